"""Drives Floe's KFP API with the real kfp.Client (kfp 2.x) and writes what it saw as JSON, for rest.test.ts.
Usage: python kfp_client_drive.py <host> <workdir> <out.json>"""
import json
import os
import sys
import tarfile
import zipfile

import kfp
import kfp_server_api
from kfp import compiler, dsl

host, workdir, out_path = sys.argv[1], sys.argv[2], sys.argv[3]


@dsl.component(base_image='python:3.11')
def add(a: int, b: int) -> int:
    return a + b


@dsl.pipeline(name='add-pipeline', description='adds numbers')
def add_pipeline(x: int = 1, y: int = 2):
    first = add(a=x, b=y)
    add(a=first.output, b=y)


@dsl.pipeline(name='needs-param')
def needs_param(n: int):
    add(a=n, b=n)


plain = os.path.join(workdir, 'add.yaml')
compiler.Compiler().compile(add_pipeline, plain)
required = os.path.join(workdir, 'needs-param.yaml')
compiler.Compiler().compile(needs_param, required)
# A second YAML document: the Kubernetes platform spec kfp-kubernetes would write.
with_platform = os.path.join(workdir, 'add-platform.yaml')
with open(plain) as src, open(with_platform, 'w') as dst:
    dst.write(src.read())
    dst.write('---\nplatforms:\n  kubernetes:\n    deploymentSpec:\n      executors:\n        exec-add:\n'
              '          nodeSelector:\n            labels:\n              disk: ssd\n')
tgz = os.path.join(workdir, 'add.tar.gz')
with tarfile.open(tgz, 'w:gz') as tar:
    tar.add(plain, arcname='pipeline.yaml')
zipped = os.path.join(workdir, 'add.zip')
with zipfile.ZipFile(zipped, 'w', compression=zipfile.ZIP_DEFLATED) as z:
    z.write(plain, arcname='add.yaml')

out = {}


def record(key, value):
    out[key] = value.to_dict() if hasattr(value, 'to_dict') else value


def api_error(fn):
    try:
        fn()
    except kfp_server_api.ApiException as e:
        return {'status': e.status, 'body': json.loads(e.body)}
    return None


client = kfp.Client(host=host)
record('namespace', client.get_user_namespace())
record('healthz', client.get_kfp_healthz())

pipeline = client.upload_pipeline(plain, pipeline_name='add-pipeline', description='first upload')
record('pipeline', pipeline)
record('upload_duplicate', api_error(lambda: client.upload_pipeline(plain, pipeline_name='add-pipeline')))
v2 = client.upload_pipeline_version(tgz, pipeline_version_name='v2', pipeline_id=pipeline.pipeline_id)
record('v2', v2)
v3 = client.upload_pipeline_version(with_platform, pipeline_version_name='v3-platform', pipeline_name='add-pipeline')
record('v3', v3)
record('version_duplicate', api_error(lambda: client.upload_pipeline_version(plain, pipeline_version_name='v2', pipeline_id=pipeline.pipeline_id)))
record('get_pipeline_id', client.get_pipeline_id('add-pipeline'))
record('get_pipeline_id_missing', client.get_pipeline_id('no-such-pipeline'))
record('get_pipeline', client.get_pipeline(pipeline.pipeline_id))
record('list_pipelines', client.list_pipelines())
record('list_versions', client.list_pipeline_versions(pipeline.pipeline_id, sort_by='created_at desc'))
record('get_v3', client.get_pipeline_version(pipeline.pipeline_id, v3.pipeline_version_id))

exp = client.create_experiment('exp-a', description='experiment A')
record('experiment', exp)
record('experiment_again', client.create_experiment('exp-a'))
record('get_experiment_by_name', client.get_experiment(experiment_name='exp-a'))

run1 = client.create_run_from_pipeline_package(plain, arguments={'x': 5}, run_name='run-1')
run2 = client.run_pipeline(exp.experiment_id, 'run-2', pipeline_id=pipeline.pipeline_id, version_id=v2.pipeline_version_id, params={'x': 3})
run3 = client.create_run_from_pipeline_package(with_platform, run_name='run-3', experiment_name='exp-a', enable_caching=False)
run4 = client.run_pipeline(exp.experiment_id, 'run-4', pipeline_id=pipeline.pipeline_id, version_id=v3.pipeline_version_id)
record('run_ids', [run1.run_id, run2.run_id, run3.run_id, run4.run_id])
record('list_experiments', client.list_experiments())
record('run1', client.get_run(run1.run_id))
record('run2', client.get_run(run2.run_id))
record('run3', client.get_run(run3.run_id))
record('run4', client.get_run(run4.run_id))

page1 = client.list_runs(page_size=3, sort_by='created_at desc')
page2 = client.list_runs(page_size=3, sort_by='created_at desc', page_token=page1.next_page_token)
record('runs_page1', page1)
record('runs_page2', page2)
record('runs_in_exp', client.list_runs(experiment_id=exp.experiment_id, sort_by='display_name'))
record('runs_filter_string_op', client.list_runs(filter=json.dumps({'predicates': [{'operation': 'EQUALS', 'key': 'display_name', 'string_value': 'run-2'}]})))
record('runs_filter_numeric_op', client.list_runs(filter=json.dumps({'predicates': [{'operation': 9, 'key': 'display_name', 'stringValue': 'run-'}]}), sort_by='display_name desc'))
record('runs_filter_in', client.list_runs(filter=json.dumps({'predicates': [{'operation': 'IN', 'key': 'display_name', 'string_values': {'values': ['run-1', 'run-4']}}]})))
record('runs_filter_bad_key', api_error(lambda: client.list_runs(filter=json.dumps({'predicates': [{'operation': 'EQUALS', 'key': 'colour', 'string_value': 'red'}]}))))

client.archive_run(run1.run_id)
record('run1_archived', client.get_run(run1.run_id).storage_state)
record('runs_available', client.list_runs(filter=json.dumps({'predicates': [{'operation': 'EQUALS', 'key': 'storage_state', 'string_value': 'AVAILABLE'}]})))
client.unarchive_run(run1.run_id)
record('run1_unarchived', client.get_run(run1.run_id).storage_state)
client.terminate_run(run2.run_id)
record('run2_terminated', client.get_run(run2.run_id).state)
record('missing_param', api_error(lambda: client.create_run_from_pipeline_package(required, run_name='no-n', experiment_name='exp-a')))
record('unknown_version', api_error(lambda: client.run_pipeline(exp.experiment_id, 'bad', pipeline_id=pipeline.pipeline_id, version_id='00000000-0000-0000-0000-000000000000')))
record('unknown_run', api_error(lambda: client.get_run('no-such-run')))

cron = client.create_recurring_run(exp.experiment_id, 'hourly', cron_expression='0 0 * * * *', pipeline_id=pipeline.pipeline_id,
                                   version_id=v2.pipeline_version_id, max_concurrency=2, start_time='2030-01-01T00:00:00Z')
record('cron', cron)
interval = client.create_recurring_run(exp.experiment_id, 'every-hour', interval_second=3600, pipeline_package_path=plain,
                                       params={'y': 7}, no_catchup=True, enabled=False)
record('interval', interval)
record('bad_cron', api_error(lambda: client.create_recurring_run(exp.experiment_id, 'bad', cron_expression='61 * * * * *', pipeline_package_path=plain)))
record('list_recurring', client.list_recurring_runs(experiment_id=exp.experiment_id, sort_by='display_name'))
client.disable_recurring_run(cron.recurring_run_id)
record('cron_disabled', client.get_recurring_run(cron.recurring_run_id))
client.enable_recurring_run(interval.recurring_run_id)
record('interval_enabled', client.get_recurring_run(interval.recurring_run_id).status)

client.delete_recurring_run(cron.recurring_run_id)
client.delete_recurring_run(interval.recurring_run_id)
record('recurring_after_delete', client.list_recurring_runs())
client.delete_run(run4.run_id)
record('run4_deleted', api_error(lambda: client.get_run(run4.run_id)))
record('delete_pipeline_with_versions', api_error(lambda: client.delete_pipeline(pipeline.pipeline_id)))
for v in client.list_pipeline_versions(pipeline.pipeline_id).pipeline_versions:
    client.delete_pipeline_version(pipeline.pipeline_id, v.pipeline_version_id)
client.delete_pipeline(pipeline.pipeline_id)
record('pipelines_after_delete', client.list_pipelines())
client.archive_experiment(exp.experiment_id)
record('exp_archived', client.get_experiment(experiment_id=exp.experiment_id).storage_state)
record('run3_after_exp_archive', client.get_run(run3.run_id).storage_state)
client.unarchive_experiment(exp.experiment_id)
client.delete_experiment(exp.experiment_id)
record('exp_deleted', api_error(lambda: client.get_experiment(experiment_id=exp.experiment_id)))

exp_b = client.create_experiment('exp-b')
from_func = client.create_run_from_pipeline_func(add_pipeline, arguments={'x': 2}, run_name='from-func', experiment_id=exp_b.experiment_id)
record('from_func', client.get_run(from_func.run_id).display_name)
record('from_func_pipeline', client.upload_pipeline_from_pipeline_func(add_pipeline, pipeline_name='from-func-pipeline').display_name)
record('zip_pipeline', client.get_pipeline_version(*(lambda p: (p.pipeline_id, client.list_pipeline_versions(p.pipeline_id).pipeline_versions[0].pipeline_version_id))(
    client.upload_pipeline(zipped, pipeline_name='zipped'))))

with open(out_path, 'w') as f:
    json.dump(out, f, default=str, indent=1)
