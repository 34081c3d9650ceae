"""Runs a pipeline through `floe controllers`' KFP API on a real kube-apiserver (e2e/cluster-pipelines.test.ts), with
the real kfp.Client and an admin token. Its container steps carry the annotation the harness's kwok stage reads to
complete a Running Pod (kfp-kubernetes add_pod_annotation), since kwok's node runs no processes.
Usage: python kfp_cluster.py <host> <token> <workdir>
Prints one JSON object (the last line of stdout): the run as the API reports it."""
import json
import os
import sys
import time

import kfp
from kfp import compiler, dsl, kubernetes

host, token, workdir = sys.argv[1], sys.argv[2], sys.argv[3]


@dsl.container_component
def say(msg: str):
    return dsl.ContainerSpec(image='registry.example/tools:1', command=['echo'], args=[msg])


@dsl.pipeline(name='on-cluster')
def on_cluster(msg: str = 'hello cluster'):
    first = say(msg=msg).set_display_name('first')
    kubernetes.add_pod_annotation(first, 'kwok.floe.dev/complete', 'Succeeded')
    second = say(msg='after first').set_display_name('second').after(first)
    kubernetes.add_pod_annotation(second, 'kwok.floe.dev/complete', 'Succeeded')
    kubernetes.add_pod_label(second, 'team', 'ml')


@dsl.component(base_image='python:3.11')
def answer() -> int:
    return 42


@dsl.pipeline(name='with-outputs')
def with_outputs():
    answer()


client = kfp.Client(host=host, existing_token=token)


def run(pipeline_func, arguments=None, pipeline_root=None):
    package = os.path.join(workdir, f'{pipeline_func.name}.yaml')
    compiler.Compiler().compile(pipeline_func, package)
    r = client.create_run_from_pipeline_package(package, arguments=arguments or {}, run_name=pipeline_func.name, pipeline_root=pipeline_root, enable_caching=False)
    seen = []
    deadline = time.time() + 300
    while time.time() < deadline:
        state = client.get_run(r.run_id).state
        if not seen or seen[-1] != state:
            seen.append(state)
        if state in ('SUCCEEDED', 'FAILED', 'CANCELED'):
            break
        time.sleep(0.5)
    got = client.get_run(r.run_id).to_dict()
    tasks = (got.get('run_details') or {}).get('task_details') or []
    return {'run_id': r.run_id, 'state': got['state'], 'seen': seen, 'error': (got.get('error') or {}).get('message'),
            'tasks': [{'name': t['display_name'], 'state': t['state'], 'error': (t.get('error') or {}).get('message'),
                       'pod': ((t.get('child_tasks') or [{}])[0] or {}).get('pod_name')} for t in tasks]}


print(json.dumps({'on_cluster': run(on_cluster, {'msg': 'hello cluster'}), 'with_outputs': run(with_outputs),
                  'locked_root': run(on_cluster, pipeline_root='s3://artifacts/locked')}, default=str))
