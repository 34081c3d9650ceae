"""The Python half of test/kfp-go-client.test.ts.
  python kfp_go_roundtrip.py compile <out.yaml> <out.json>   compile the pipeline with the kfp SDK (YAML, and as JSON)
  python kfp_go_roundtrip.py read <host> <ids.json>          read the objects the Go client made back through
                                                             kfp.Client's kfp_server_api and print them as JSON
  python kfp_go_roundtrip.py pvc <host> <workdir> <claim>    run a pipeline that mounts <claim> (made by client-go over
                                                             protobuf) and one it makes with CreatePVC; print the run
The read mode prints one JSON object (the last line of stdout): {name: the object as kfp_server_api serializes it}."""
import json
import sys

from kfp import compiler, dsl


@dsl.component(base_image='python:3.11')
def add(a: int, b: int) -> int:
    return a + b


@dsl.pipeline(name='go-add', description='adds two numbers')
def go_add(a: int = 1, b: int = 2):
    add(a=a, b=b)


@dsl.component(base_image='python:3.11')
def write_note(path: str, text: str) -> str:
    with open(path + '/note', 'w') as f:
        f.write(text)
    return text


@dsl.component(base_image='python:3.11')
def read_note(path: str) -> str:
    return open(path + '/note').read()


@dsl.pipeline(name='protobuf-claim')
def protobuf_claim(claim: str):
    from kfp import kubernetes
    w = write_note(path='/given', text='on the protobuf claim')
    kubernetes.mount_pvc(w, pvc_name=claim, mount_path='/given')
    r = read_note(path='/given').after(w).set_display_name('read-given')
    kubernetes.mount_pvc(r, pvc_name=claim, mount_path='/given')
    made = kubernetes.CreatePVC(pvc_name_suffix='-made', access_modes=['ReadWriteOnce'], size='5Mi', storage_class_name='standard')
    m = write_note(path='/made', text='on the made claim').set_display_name('write-made')
    kubernetes.mount_pvc(m, pvc_name=made.outputs['name'], mount_path='/made')
    rm = read_note(path='/made').after(m).set_display_name('read-made')
    kubernetes.mount_pvc(rm, pvc_name=made.outputs['name'], mount_path='/made')


def run_pvc(host, workdir, claim):
    import os
    import time
    import kfp
    package = os.path.join(workdir, 'protobuf-claim.yaml')
    compiler.Compiler().compile(protobuf_claim, package)
    client = kfp.Client(host=host)
    r = client.create_run_from_pipeline_package(package, arguments={'claim': claim}, run_name='protobuf-claim', enable_caching=False)
    deadline = time.time() + 600
    while time.time() < deadline and client.get_run(r.run_id).state not in ('SUCCEEDED', 'FAILED', 'CANCELED'):
        time.sleep(0.5)
    got = client.get_run(r.run_id).to_dict()
    tasks = (got.get('run_details') or {}).get('task_details') or []
    print(json.dumps({'run_id': r.run_id, 'state': got['state'], 'error': (got.get('error') or {}).get('message'),
                      'tasks': [{'name': t['display_name'], 'state': t['state'], 'execution_id': t.get('execution_id'),
                                 'error': (t.get('error') or {}).get('message')} for t in tasks]}, default=str))


def compile_pipeline(yaml_path, json_path):
    import yaml
    compiler.Compiler().compile(go_add, yaml_path)
    with open(yaml_path) as f:
        spec = yaml.safe_load(f)
    with open(json_path, 'w') as f:
        json.dump(spec, f)


def read(host, ids_path):
    import kfp
    with open(ids_path) as f:
        ids = json.load(f)
    client = kfp.Client(host=host)
    serialize = client._run_api.api_client.sanitize_for_serialization
    out = {
        'get_pipeline': client._pipelines_api.pipeline_service_get_pipeline(ids['pipeline_id']),
        'get_pipeline_version': client._pipelines_api.pipeline_service_get_pipeline_version(ids['pipeline_id'], ids['pipeline_version_id']),
        'get_experiment': client._experiment_api.experiment_service_get_experiment(ids['experiment_id']),
        'get_run': client._run_api.run_service_get_run(ids['run_id']),
        'get_recurring_run': client._recurring_run_api.recurring_run_service_get_recurring_run(ids['recurring_run_id']),
    }
    print(json.dumps({k: serialize(v) for k, v in out.items()}))


if __name__ == '__main__':
    if sys.argv[1] == 'compile':
        compile_pipeline(sys.argv[2], sys.argv[3])
    elif sys.argv[1] == 'pvc':
        run_pvc(sys.argv[2], sys.argv[3], sys.argv[4])
    else:
        read(sys.argv[2], sys.argv[3])
