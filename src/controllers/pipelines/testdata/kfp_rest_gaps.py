"""Drives the KFP v2beta1 features of issue 23 item 1 against Floe with the real kfp.Client and kfp_server_api, and
prints what it saw as one JSON object (the last line of stdout) for test/kfp-rest.test.ts to assert on.
Usage: python kfp_rest_gaps.py <host> <workdir>"""
import json
import os
import sys
import time

import kfp
import kfp_server_api
from kfp import compiler, dsl

host, workdir = sys.argv[1], sys.argv[2]


@dsl.component(base_image='python:3.11')
def add(a: int, b: int) -> int:
    import time
    time.sleep(1)
    return a + b


@dsl.pipeline(name='tagged-add', description='adds numbers')
def tagged_add(x: int = 1, y: int = 2):
    add(a=x, b=y)


package = os.path.join(workdir, 'tagged-add.yaml')
compiler.Compiler().compile(tagged_add, package)

client = kfp.Client(host=host)
api = client._pipelines_api
upload = client._upload_api
runs = client._run_api
out = {}


def error_of(fn):
    """The status and message of a call KFP refuses, or None when it succeeds."""
    try:
        fn()
    except kfp_server_api.ApiException as e:
        body = json.loads(e.body)
        return {'status': e.status, 'message': body.get('message') or body.get('error_message')}
    return None


def names(result, key):
    return sorted(p.name for p in (getattr(result, key) or []))


def flt(*predicates):
    return json.dumps({'predicates': list(predicates)})


# ---- tags: create, validation, filters alone and with a name, update and clear ----
team_a = api.pipeline_service_create_pipeline(kfp_server_api.V2beta1Pipeline(name='tags-a', tags={'team': 'ml', 'env': 'prod'}))
api.pipeline_service_create_pipeline(kfp_server_api.V2beta1Pipeline(name='tags-b', tags={'team': 'ml', 'env': 'dev'}))
api.pipeline_service_create_pipeline(kfp_server_api.V2beta1Pipeline(name='tags-c', tags={'team': 'data'}))
out['created_tags'] = api.pipeline_service_get_pipeline(team_a.pipeline_id).tags
out['tag_errors'] = {
    'dot': error_of(lambda: api.pipeline_service_create_pipeline(kfp_server_api.V2beta1Pipeline(name='bad-1', tags={'a.b': 'x'}))),
    'empty': error_of(lambda: api.pipeline_service_create_pipeline(kfp_server_api.V2beta1Pipeline(name='bad-2', tags={'': 'x'}))),
    'long_key': error_of(lambda: api.pipeline_service_create_pipeline(kfp_server_api.V2beta1Pipeline(name='bad-3', tags={'k' * 64: 'x'}))),
    'long_value': error_of(lambda: api.pipeline_service_create_pipeline(kfp_server_api.V2beta1Pipeline(name='bad-4', tags={'k': 'v' * 64}))),
    'too_many': error_of(lambda: api.pipeline_service_create_pipeline(kfp_server_api.V2beta1Pipeline(name='bad-5', tags={f'k{i}': 'v' for i in range(21)}))),
}
out['max_tags_ok'] = error_of(lambda: api.pipeline_service_create_pipeline(kfp_server_api.V2beta1Pipeline(name='max-tags', tags={'k' * 63: 'v' * 63}))) is None
out['stored_bad'] = [n for n in ('bad-1', 'bad-2', 'bad-3', 'bad-4', 'bad-5') if error_of(lambda n=n: api.pipeline_service_get_pipeline_by_name(n)) is None]
out['filter_team_ml'] = names(api.pipeline_service_list_pipelines(filter=flt({'key': 'tags.team', 'operation': 'EQUALS', 'string_value': 'ml'})), 'pipelines')
out['filter_two_tags'] = names(api.pipeline_service_list_pipelines(filter=flt(
    {'key': 'tags.team', 'operation': 'EQUALS', 'string_value': 'ml'}, {'key': 'tags.env', 'operation': 'EQUALS', 'string_value': 'dev'})), 'pipelines')
out['filter_tag_and_name'] = names(api.pipeline_service_list_pipelines(filter=flt(
    {'key': 'tags.team', 'operation': 'EQUALS', 'string_value': 'ml'}, {'key': 'name', 'operation': 'EQUALS', 'string_value': 'tags-a'})), 'pipelines')
out['filter_no_match'] = names(api.pipeline_service_list_pipelines(filter=flt({'key': 'tags.team', 'operation': 'EQUALS', 'string_value': 'nobody'})), 'pipelines')
out['filter_not_equals'] = error_of(lambda: api.pipeline_service_list_pipelines(filter=flt({'key': 'tags.team', 'operation': 'NOT_EQUALS', 'string_value': 'ml'})))
updated = api.pipeline_service_update_pipeline(team_a.pipeline_id, kfp_server_api.InlineObject(display_name='Tags A', tags={'team': 'ops'}))
out['updated'] = {'display_name': updated.display_name, 'tags': updated.tags}
out['update_bad_tag'] = error_of(lambda: api.pipeline_service_update_pipeline(team_a.pipeline_id, kfp_server_api.InlineObject(tags={'x.y': '1'})))
cleared = api.pipeline_service_update_pipeline(team_a.pipeline_id, kfp_server_api.InlineObject(tags={}))
out['cleared_tags'] = api.pipeline_service_get_pipeline(cleared.pipeline_id).tags or {}

# Versions: tags on upload_version, filters within a pipeline, and validation.
uploaded = upload.upload_pipeline(package, name='tagged-add', tags=json.dumps({'stage': 'one'}))
v2 = upload.upload_pipeline_version(package, name='tagged-add-v2', pipelineid=uploaded.pipeline_id, tags=json.dumps({'stage': 'two', 'team': 'ml'}))
out['upload_tags'] = api.pipeline_service_get_pipeline(uploaded.pipeline_id).tags
out['version_tags'] = api.pipeline_service_get_pipeline_version(uploaded.pipeline_id, v2.pipeline_version_id).tags
out['version_filter_tag'] = names(api.pipeline_service_list_pipeline_versions(uploaded.pipeline_id, filter=flt({'key': 'tags.stage', 'operation': 'EQUALS', 'string_value': 'two'})), 'pipeline_versions')
out['version_filter_tag_and_name'] = names(api.pipeline_service_list_pipeline_versions(uploaded.pipeline_id, filter=flt(
    {'key': 'tags.team', 'operation': 'EQUALS', 'string_value': 'ml'}, {'key': 'name', 'operation': 'EQUALS', 'string_value': 'tagged-add'})), 'pipeline_versions')
out['version_bad_tag'] = error_of(lambda: upload.upload_pipeline_version(package, name='v-bad', pipelineid=uploaded.pipeline_id, tags=json.dumps({'a.b': 'c'})))
out['version_update'] = api.pipeline_service_update_pipeline_version(uploaded.pipeline_id, v2.pipeline_version_id, kfp_server_api.InlineObject1(display_name='V2', tags={'stage': 'three'})).to_dict()

# ---- upload: quoted strings continued at the list item's indent (PyYAML and Go's yaml.v3 read them) ----
def flush_continuations(text):
    lines, out, indent = text.split('\n'), [], None
    for line in lines:
        if indent is not None:
            out.append(' ' * indent + line.lstrip())
            if line.rstrip().endswith('"') and not line.rstrip().endswith('\\"'):
                indent = None
            continue
        out.append(line)
        stripped = line.lstrip()
        if stripped.startswith('- "') and not (len(stripped) > 3 and stripped.rstrip().endswith('"')):
            indent = len(line) - len(stripped)
    return '\n'.join(out)


flush_text = flush_continuations(open(package).read())
flush_file = os.path.join(workdir, 'flush.yaml')
with open(flush_file, 'w') as f:
    f.write(flush_text)
out['flush_is_different'] = flush_text != open(package).read()
out['flush_pyyaml_same'] = yaml_module_load(flush_text) == yaml_module_load(open(package).read()) if (yaml_module_load := __import__('yaml').safe_load) else False
flushed = upload.upload_pipeline(flush_file, name='flush-indent')
flushed_version = api.pipeline_service_list_pipeline_versions(flushed.pipeline_id).pipeline_versions[0]
original = __import__('yaml').safe_load(open(package).read())
out['flush_same_spec'] = flushed_version.pipeline_spec['deploymentSpec'] == original['deploymentSpec']

# ---- names over KFP's limits ----
out['long_name'] = error_of(lambda: api.pipeline_service_create_pipeline(kfp_server_api.V2beta1Pipeline(name='n' * 500)))
out['long_display_name'] = error_of(lambda: api.pipeline_service_create_pipeline(kfp_server_api.V2beta1Pipeline(display_name='d' * 255)))
out['long_version_name'] = error_of(lambda: upload.upload_pipeline_version(package, name='v' * 128, pipelineid=uploaded.pipeline_id))

# ---- CreatePipelineAndVersion: the version inherits the pipeline's name, display name and description ----
with open(package) as f:
    spec = f.read()
import yaml  # noqa: E402 (the IR as a struct for the inline version body)
both = api.pipeline_service_create_pipeline_and_version(kfp_server_api.V2beta1CreatePipelineAndVersionRequest(
    pipeline=kfp_server_api.V2beta1Pipeline(name='inherits', display_name='Inherits It', description='from the pipeline'),
    pipeline_version=kfp_server_api.V2beta1PipelineVersion(display_name='ignored', pipeline_spec=yaml.safe_load(spec))))
first = api.pipeline_service_list_pipeline_versions(both.pipeline_id).pipeline_versions[0]
out['inherited'] = {'name': first.name, 'display_name': first.display_name, 'description': first.description}

# ---- a version read and deleted through another pipeline's id, as KFP does ----
other = upload.upload_pipeline(package, name='other-pipeline')
out['get_via_other'] = api.pipeline_service_get_pipeline_version(other.pipeline_id, v2.pipeline_version_id).pipeline_id == uploaded.pipeline_id
api.pipeline_service_delete_pipeline_version(other.pipeline_id, v2.pipeline_version_id)
out['deleted_via_other'] = error_of(lambda: api.pipeline_service_get_pipeline_version(uploaded.pipeline_id, v2.pipeline_version_id))
# A version created under one pipeline with another's id in the body belongs to the one in the path.
made = api.pipeline_service_create_pipeline_version(other.pipeline_id, kfp_server_api.V2beta1PipelineVersion(
    pipeline_id=uploaded.pipeline_id, name='path-wins', pipeline_spec=yaml.safe_load(spec)))
out['path_wins'] = made.pipeline_id == other.pipeline_id
# Once its pipeline is deleted (cascade), a version is gone for get and delete alike.
first_version = api.pipeline_service_list_pipeline_versions(uploaded.pipeline_id).pipeline_versions[0].pipeline_version_id
api.pipeline_service_delete_pipeline(uploaded.pipeline_id, cascade=True)
out['after_pipeline_deleted'] = {
    'get': error_of(lambda: api.pipeline_service_get_pipeline_version(uploaded.pipeline_id, first_version)),
    'delete': error_of(lambda: api.pipeline_service_delete_pipeline_version(uploaded.pipeline_id, first_version)),
}

# ---- created_at filters with Unix seconds in a string ----
now = int(time.time())
out['created_since_now'] = len(api.pipeline_service_list_pipelines(page_size=100, filter=flt({'key': 'created_at', 'operation': 'GREATER_THAN_EQUALS', 'string_value': str(now - 3600)})).pipelines or [])
out['created_before_1970'] = len(api.pipeline_service_list_pipelines(filter=flt({'key': 'created_at', 'operation': 'LESS_THAN', 'string_value': '86400'})).pipelines or [])

# ---- a run: PENDING/RUNNING seen while it works, the state history, KFP's response shape ----
run = client.create_run_from_pipeline_package(package, arguments={'x': 3, 'y': 4}, run_name='shape')
seen = []
deadline = time.time() + 240
while time.time() < deadline:
    r = runs.run_service_get_run(run.run_id)
    if not seen or seen[-1] != r.state:
        seen.append(r.state)
    if r.state in ('SUCCEEDED', 'FAILED', 'CANCELED', 'SKIPPED'):
        break
    time.sleep(0.2)
final = runs.run_service_get_run(run.run_id).to_dict()
out['run'] = {
    'seen': seen,
    'state': final['state'],
    'history': [h['state'] for h in final.get('state_history') or []],
    'history_times': [str(h.get('update_time')) for h in final.get('state_history') or []],
    'runtime_config': final.get('runtime_config'),
    'service_account': final.get('service_account'),
    'task_names': sorted(t['display_name'] for t in (final.get('run_details') or {}).get('task_details') or []),
    'task_history': {t['display_name']: [h['state'] for h in t.get('state_history') or []] for t in (final.get('run_details') or {}).get('task_details') or []},
}

print(json.dumps(out, default=str))
