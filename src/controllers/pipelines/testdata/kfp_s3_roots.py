"""Runs pipelines whose artifacts live in an S3-compatible bucket, for test/kfp-s3.test.ts, with the real kfp.Client.
Usage: python kfp_s3_roots.py <host> <workdir>
Prints one JSON object (the last line of stdout): {scenario: the run as the API reports it}."""
import json
import os
import sys
import time

import kfp
from kfp import compiler, dsl
from kfp.dsl import Dataset, Input, Model, Output

host, workdir = sys.argv[1], sys.argv[2]


@dsl.component(base_image='python:3.11')
def produce(text: str, data: Output[Dataset], model: Output[Model]):
    import os
    with open(data.path, 'w') as f:
        f.write(text)
    os.makedirs(model.path, exist_ok=True)
    for name in ('weights.bin', 'config.json'):
        with open(os.path.join(model.path, name), 'w') as f:
            f.write(f'{name} of {text}')


@dsl.component(base_image='python:3.11')
def consume(data: Input[Dataset], model: Input[Model]) -> str:
    import os
    files = sorted(os.listdir(model.path))
    return f"{open(data.path).read()}|{','.join(files)}|{open(os.path.join(model.path, 'config.json')).read()}"


@dsl.pipeline(name='s3-roots')
def s3_roots(text: str = 'hello bucket'):
    p = produce(text=text)
    consume(data=p.outputs['data'], model=p.outputs['model'])


package = os.path.join(workdir, 's3-roots.yaml')
compiler.Compiler().compile(s3_roots, package)
client = kfp.Client(host=host)


def run(name, pipeline_root=None, arguments=None):
    r = client.create_run_from_pipeline_package(package, arguments=arguments or {}, run_name=name, pipeline_root=pipeline_root, enable_caching=False)
    deadline = time.time() + 600
    while time.time() < deadline and client.get_run(r.run_id).state not in ('SUCCEEDED', 'FAILED', 'CANCELED'):
        time.sleep(0.5)
    got = client.get_run(r.run_id).to_dict()
    tasks = (got.get('run_details') or {}).get('task_details') or []
    return {'run_id': r.run_id, 'state': got['state'], 'error': (got.get('error') or {}).get('message'),
            'tasks': [{'name': t['display_name'], 'state': t['state'], 'execution_id': t.get('execution_id'),
                       'error': (t.get('error') or {}).get('message'),
                       'outputs': {k: v.get('artifact_ids') for k, v in (t.get('outputs') or {}).items()}} for t in tasks]}


out = {
    'from_configmap': run('from-configmap', arguments={'text': 'from the ConfigMap root'}),
    'explicit': run('explicit', pipeline_root='s3://artifacts/explicit', arguments={'text': 'explicit root'}),
    'minio': run('minio', pipeline_root='minio://artifacts/minio-root', arguments={'text': 'minio scheme'}),
    'no_secret': run('no-secret', pipeline_root='s3://locked/root'),
}
print(json.dumps(out, default=str))
