"""Runs pipelines whose tasks move artifacts through an S3 bucket on a cluster (test/kfp-cluster-launcher.test.ts):
`floe controllers` drives a Floe node it shares no folder with, so each task's in-Pod launcher downloads its inputs,
and uploads its outputs and report. The real kfp.Client, with an admin token.
Usage: python kfp_cluster_launcher.py <host> <token> <workdir> <image> <a host path the Pods must not see> <an image without Python>
Prints one JSON object (the last line of stdout): {scenario: the run as the API reports it}."""
import json
import os
import sys
import time
from typing import NamedTuple

import kfp
from kfp import compiler, dsl
from kfp.dsl import Dataset, Input, Model, Output

host, token, workdir, image, host_path, bare_image = sys.argv[1:7]


@dsl.component(base_image=image)
def produce(text: str, host_path: str, data: Output[Dataset], model: Output[Model]) -> NamedTuple('Outputs', [('count', int), ('where', str)]):
    import collections
    import os
    with open(data.path, 'w') as f:
        f.write(text)
    data.metadata['rows'] = len(text.split())
    os.makedirs(os.path.join(model.path, 'weights'), exist_ok=True)
    with open(os.path.join(model.path, 'config.json'), 'w') as f:
        f.write('{"text": "%s"}' % text)
    with open(os.path.join(model.path, 'weights', 'layer0.bin'), 'wb') as f:
        f.write(b'\x00\x01\x02')
    # Where the component ran: the container's own file system (the host's folders are not there).
    where = 'host' if os.path.exists(host_path) else 'container'
    return collections.namedtuple('Outputs', ['count', 'where'])(len(text), where)


@dsl.component(base_image=image)
def consume(data: Input[Dataset], model: Input[Model], count: int) -> str:
    import os
    files = sorted(os.path.relpath(os.path.join(d, f), model.path) for d, _, fs in os.walk(model.path) for f in fs)
    return '%s|%s|%d|%s' % (open(data.path).read(), ','.join(files), count, data.metadata.get('rows'))


@dsl.container_component
def shout(data: Input[Dataset], loud: Output[Dataset]):
    # A container component: its paths are the placeholders the launcher resolves to local copies.
    return dsl.ContainerSpec(image=image, command=['sh', '-c', 'mkdir -p "$(dirname "$1")" && tr a-z A-Z < "$0" > "$1"'], args=[data.path, loud.path])


@dsl.component(base_image=image)
def read(data: Input[Dataset]) -> str:
    return open(data.path).read()


@dsl.pipeline(name='cluster-artifacts')
def cluster_artifacts(text: str = 'hello from the bucket', host_path: str = '/nonexistent'):
    p = produce(text=text, host_path=host_path)
    consume(data=p.outputs['data'], model=p.outputs['model'], count=p.outputs['count'])
    s = shout(data=p.outputs['data'])
    read(data=s.outputs['loud'])


@dsl.component(base_image=image)
def fails() -> str:
    raise RuntimeError('the component broke on purpose')


@dsl.pipeline(name='cluster-fails')
def cluster_fails():
    fails()


@dsl.pipeline(name='cluster-missing-input')
def cluster_missing_input():
    imported = dsl.importer(artifact_uri='s3://artifacts/nowhere/data', artifact_class=Dataset, reimport=True)
    read(data=imported.output)


@dsl.container_component
def bare(out: Output[Dataset]):
    return dsl.ContainerSpec(image=bare_image, command=['sh', '-c', 'echo hi > "$0"'], args=[out.path])


@dsl.pipeline(name='cluster-no-python')
def cluster_no_python():
    bare()


@dsl.component(base_image=image)
def write_workspace(path: str) -> str:
    import os
    with open(os.path.join(path, 'shared.txt'), 'w') as f:
        f.write('in the workspace')
    return path


@dsl.component(base_image=image)
def read_workspace(path: str) -> str:
    import os
    return open(os.path.join(path, 'shared.txt')).read()


def workspace_pipeline(name, patch):
    config = dsl.PipelineConfig(workspace=dsl.WorkspaceConfig(size='10Mi', kubernetes=dsl.KubernetesWorkspaceConfig(pvcSpecPatch=patch)))

    @dsl.pipeline(name=name, pipeline_config=config)
    def with_workspace():
        w = write_workspace(path=dsl.WORKSPACE_PATH_PLACEHOLDER)
        read_workspace(path=dsl.WORKSPACE_PATH_PLACEHOLDER).after(w)
    return with_workspace


client = kfp.Client(host=host, existing_token=token)


def run(pipeline_func, arguments=None, pipeline_root=None):
    package = os.path.join(workdir, f'{pipeline_func.name}.yaml')
    compiler.Compiler().compile(pipeline_func, package)
    r = client.create_run_from_pipeline_package(package, arguments=arguments or {}, run_name=pipeline_func.name, pipeline_root=pipeline_root, enable_caching=False)
    deadline = time.time() + 900
    while time.time() < deadline and client.get_run(r.run_id).state not in ('SUCCEEDED', 'FAILED', 'CANCELED'):
        time.sleep(0.5)
    got = client.get_run(r.run_id).to_dict()
    tasks = (got.get('run_details') or {}).get('task_details') or []
    return {'run_id': r.run_id, 'state': got['state'], 'error': (got.get('error') or {}).get('message'),
            'tasks': [{'name': t['display_name'], 'state': t['state'], 'execution_id': t.get('execution_id'),
                       'error': (t.get('error') or {}).get('message'),
                       'pod': ((t.get('child_tasks') or [{}])[0] or {}).get('pod_name'),
                       'outputs': {k: v.get('artifact_ids') for k, v in (t.get('outputs') or {}).items()}} for t in tasks]}


print(json.dumps({
    'artifacts': run(cluster_artifacts, {'text': 'hello from the bucket', 'host_path': host_path}),
    'fails': run(cluster_fails),
    'local_root': run(cluster_artifacts, pipeline_root='/srv/kfp-artifacts'),
    'missing_input': run(cluster_missing_input),
    'no_python': run(cluster_no_python),
    'workspace': run(workspace_pipeline('cluster-workspace', {'accessModes': ['ReadWriteOnce']})),
    'workspace_no_modes': run(workspace_pipeline('cluster-workspace-bad', {'storageClassName': 'standard'})),
}, default=str))
