"""Pipelines for the engine defects of issue 23 item 2, written with the kfp SDK, compiled here and run on Floe through
the real kfp.Client. Prints one JSON object (the last line of stdout) for test/kfp-engine.test.ts.
Usage: python kfp_engine_gaps.py <floe url> <scratch dir>"""
import base64
import hashlib
import json
import os
import sys
import time
import zipfile
from typing import List, Optional

import kfp
import yaml
from kfp import compiler, dsl, kubernetes
from kfp.dsl import ClassificationMetrics, Dataset, Output, OutputPath

HOST, SCRATCH = sys.argv[1], sys.argv[2]
BASE = 'python:3.11'
_client = []


def client():
    if not _client:
        _client.append(kfp.Client(host=HOST))
    return _client[0]


def probe_wheel(folder: str) -> str:
    """A tiny wheel (no build tools, no index needed) that a component pip-installs."""
    path = os.path.join(folder, 'floe_probe-1.0-py3-none-any.whl')
    files = {
        'floe_probe/__init__.py': 'VALUE = "probe"\n',
        'floe_probe-1.0.dist-info/METADATA': 'Metadata-Version: 2.1\nName: floe-probe\nVersion: 1.0\n',
        'floe_probe-1.0.dist-info/WHEEL': 'Wheel-Version: 1.0\nGenerator: floe-test\nRoot-Is-Purelib: true\nTag: py3-none-any\n',
    }
    record = []
    with zipfile.ZipFile(path, 'w') as z:
        for name, text in files.items():
            data = text.encode()
            z.writestr(name, data)
            digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b'=').decode()
            record.append(f'{name},sha256={digest},{len(data)}')
        record.append('floe_probe-1.0.dist-info/RECORD,,')
        z.writestr('floe_probe-1.0.dist-info/RECORD', '\n'.join(record) + '\n')
    return path


WHEEL = probe_wheel(SCRATCH)


def run(pipeline_func, arguments=None, pipeline_root=None, edit=None, name=None):
    """Compiles, optionally edits the IR, runs it and waits; returns the run as the API reports it."""
    package = os.path.join(SCRATCH, f'{name or pipeline_func.name}.yaml')
    compiler.Compiler().compile(pipeline_func, package)
    if edit:
        docs = list(yaml.safe_load_all(open(package)))
        edit(docs[0])
        with open(package, 'w') as f:
            yaml.safe_dump_all(docs, f, sort_keys=False)
    r = client().create_run_from_pipeline_package(package, arguments=arguments or {}, run_name=name or pipeline_func.name, pipeline_root=pipeline_root, enable_caching=False)
    deadline = time.time() + 600
    while time.time() < deadline:
        got = client().get_run(r.run_id)
        if got.state in ('SUCCEEDED', 'FAILED', 'CANCELED'):
            break
        time.sleep(0.5)
    got = client().get_run(r.run_id).to_dict()
    tasks = (got.get('run_details') or {}).get('task_details') or []
    return {
        'run_id': r.run_id,
        'state': got['state'],
        'error': (got.get('error') or {}).get('message'),
        'tasks': [{'name': t['display_name'], 'state': t['state'], 'error': (t.get('error') or {}).get('message'),
                   'execution_id': t.get('execution_id'), 'outputs': {k: v.get('artifact_ids') for k, v in (t.get('outputs') or {}).items()},
                   'start': str(t.get('start_time')), 'end': str(t.get('end_time'))} for t in tasks],
    }


# ---- (a) each task has its own environment; Floe's is never written ----

@dsl.component(base_image=BASE, packages_to_install=[WHEEL])
def installs_probe() -> str:
    import json
    import sys
    import floe_probe
    import kfp
    return json.dumps({'prefix': sys.prefix, 'probe': floe_probe.__file__, 'kfp': kfp.__version__, 'kfp_file': kfp.__file__})


@dsl.component(base_image=BASE)
def looks_for_probe() -> str:
    import importlib.util
    import json
    import sys
    return json.dumps({'prefix': sys.prefix, 'probe': importlib.util.find_spec('floe_probe') is not None})


@dsl.component(base_image=BASE, use_venv=True)
def in_own_venv() -> str:
    import json
    import sys
    import kfp
    return json.dumps({'prefix': sys.prefix, 'kfp': kfp.__version__})


@dsl.pipeline(name='own-env')
def own_env():
    first = installs_probe()
    looks_for_probe().after(first)
    in_own_venv()


# ---- (e)/(g) placeholders: IfPresent and Concat as the compiler writes them, f-strings, run/task names ----

@dsl.container_component
def echo_args(name: str, argv: OutputPath(str), opt: Optional[str] = None):
    return dsl.ContainerSpec(
        image='alpine:3.19',
        command=['sh', '-c', 'out="$0"; printf "%s\\n" "$@" > "$out"'],
        args=[argv, f'--name={name}', dsl.ConcatPlaceholder(['pre-', name, '-post']),
              dsl.IfPresentPlaceholder(input_name='opt', then=['--opt', opt], else_=['--no-opt']),
              f'task={dsl.PIPELINE_TASK_NAME_PLACEHOLDER}', f'job={dsl.PIPELINE_JOB_RESOURCE_NAME_PLACEHOLDER}'])


@dsl.component(base_image=BASE)
def names(task_name: str, job: str) -> str:
    return f'{task_name}|{job}'


@dsl.pipeline(name='placeholder-pipeline')
def placeholders(n: str = 'x'):
    echo_args(name=n).set_display_name('without-opt')
    echo_args(name=n, opt='y').set_display_name('with-opt')
    names(task_name=dsl.PIPELINE_TASK_NAME_PLACEHOLDER, job=dsl.PIPELINE_JOB_RESOURCE_NAME_PLACEHOLDER)


# ---- (f) artifact metadata holding lists and structs ----

@dsl.component(base_image=BASE)
def classify(metrics: Output[ClassificationMetrics], data: Output[Dataset]):
    metrics.log_roc_curve(fpr=[0.0, 0.5, 1.0], tpr=[0.0, 0.8, 1.0], threshold=[1.0, 0.5, 0.0])
    metrics.log_confusion_matrix(['cat', 'dog'], [[3, 1], [0, 4]])
    with open(data.path, 'w') as f:
        f.write('x')
    data.metadata['columns'] = ['a', 'b']
    data.metadata['schema'] = {'a': 'int', 'b': 'str'}


@dsl.pipeline(name='list-metadata')
def list_metadata():
    classify()


# ---- (b) engine errors end the run with the reason ----

@dsl.component(base_image=BASE)
def hello() -> str:
    return 'hi'


@dsl.pipeline(name='bad-pod')
def bad_pod():
    kubernetes.add_pod_label(hello(), 'not a valid/label key!', 'v')


@dsl.pipeline(name='bad-root')
def bad_root():
    hello()


@dsl.pipeline(name='bad-placeholder')
def bad_placeholder(n: str = 'x'):
    echo_args(name=n)


def break_placeholder(spec):
    args = spec['deploymentSpec']['executors']['exec-echo-args']['container']['args']
    args[1] = "--name={{$.inputs.parameters['nope']}}"


# ---- (j) data makes the order; ignore_upstream_failure takes the default; Collected leaves out skipped iterations ----

@dsl.component(base_image=BASE)
def slow_value(scratch: str) -> int:
    import time
    time.sleep(2)
    open(f'{scratch}/produced', 'w').write('1')
    return 5


@dsl.component(base_image=BASE)
def needs_value(v: int, scratch: str) -> str:
    import os
    return f'{v}:{os.path.exists(scratch + "/produced")}'


@dsl.pipeline(name='data-order')
def data_order(scratch: str):
    needs_value(v=slow_value(scratch=scratch).output, scratch=scratch)


def drop_dependencies(spec):
    for task in spec['root']['dag']['tasks'].values():
        task.pop('dependentTasks', None)


@dsl.component(base_image=BASE)
def fails() -> str:
    raise RuntimeError('on purpose')


@dsl.component(base_image=BASE)
def after_failure(msg: str = 'the default') -> str:
    return msg


@dsl.component(base_image=BASE)
def double(x: int) -> int:
    return 2 * x


@dsl.component(base_image=BASE)
def total(nums: List[int]) -> str:
    return ','.join(str(n) for n in nums)


@dsl.pipeline(name='upstream-failure')
def upstream_failure():
    after_failure(msg=fails().output).ignore_upstream_failure()


@dsl.pipeline(name='collected-conditional')
def collected_conditional():
    with dsl.ParallelFor([1, 2, 3]) as i:
        with dsl.If(i != 2):
            d = double(x=i)
    total(nums=dsl.Collected(d.output))


# ---- (c)/(i) kfp-kubernetes CreatePVC/mount_pvc/DeletePVC; limits from inputs and outputs; optional inputs unset ----

@dsl.component(base_image=BASE)
def write_claim(path: str) -> str:
    with open(path + '/note', 'w') as f:
        f.write('kept on the claim')
    return 'written'


@dsl.component(base_image=BASE)
def read_claim(path: str) -> str:
    return open(path + '/note').read()


@dsl.component(base_image=BASE)
def memory() -> str:
    return '96Mi'


@dsl.component(base_image=BASE)
def limited() -> str:
    import os
    return os.environ.get('FROM_SECRET', 'unset')


@dsl.pipeline(name='claims-and-limits')
def claims_and_limits(cpu: str = '250m', secret: str = ''):
    claim = kubernetes.CreatePVC(pvc_name_suffix='-scratch', access_modes=['ReadWriteOnce'], size='5Mi', storage_class_name='standard')
    w = write_claim(path='/claim')
    kubernetes.mount_pvc(w, pvc_name=claim.outputs['name'], mount_path='/claim')
    r = read_claim(path='/claim').after(w)
    kubernetes.mount_pvc(r, pvc_name=claim.outputs['name'], mount_path='/claim')
    kubernetes.DeletePVC(pvc_name=claim.outputs['name']).after(r)
    t = limited().set_cpu_limit(cpu).set_memory_limit(memory().output)
    kubernetes.use_secret_as_env(t, secret_name=secret, secret_key_to_env={'k': 'FROM_SECRET'}, optional=True)


# ---- IR corpus: workspaces, pythonic artifacts (one and several returns), importer metadata from an input ----

@dsl.component(base_image=BASE)
def write_workspace(path: str) -> str:
    import os
    with open(os.path.join(path, 'shared.txt'), 'w') as f:
        f.write('in the workspace')
    return path


@dsl.component(base_image=BASE)
def read_workspace(path: str) -> str:
    import os
    return open(os.path.join(path, 'shared.txt')).read()


@dsl.pipeline(name='with-workspace', pipeline_config=dsl.PipelineConfig(workspace=dsl.WorkspaceConfig(size='10Mi')))
def with_workspace():
    w = write_workspace(path=dsl.WORKSPACE_PATH_PLACEHOLDER)
    read_workspace(path=dsl.WORKSPACE_PATH_PLACEHOLDER).after(w)


@dsl.component(base_image=BASE)
def make_pair() -> __import__('typing').NamedTuple('Pair', [('data', Dataset), ('n', int)]):
    from typing import NamedTuple
    data = Dataset(uri=dsl.get_uri('data'))
    with open(data.path, 'w') as f:
        f.write('pythonic')
    data.metadata['kind'] = 'pair'
    return NamedTuple('Pair', [('data', Dataset), ('n', int)])(data=data, n=2)


@dsl.component(base_image=BASE)
def read_data(data: Dataset) -> str:
    return f"{open(data.path).read()}:{data.metadata.get('kind') or data.metadata.get('tag')}"


@dsl.pipeline(name='pythonic-and-importer')
def pythonic_and_importer(uri: str, tag: str = 'v7'):
    read_data(data=make_pair().outputs['data']).set_display_name('read-pythonic')
    imported = dsl.importer(artifact_uri=uri, artifact_class=Dataset, reimport=True, metadata={'tag': tag})
    read_data(data=imported.output).set_display_name('read-imported')


out = {}
scenario = os.environ.get('KFP_ENGINE_SCENARIOS', 'env,placeholders,metadata,errors,data,k8s,corpus').split(',')
if 'corpus' in scenario:
    source = os.path.join(SCRATCH, 'outside.txt')
    with open(source, 'w') as f:
        f.write('imported')
    out['with_workspace'] = run(with_workspace)
    out['pythonic_and_importer'] = run(pythonic_and_importer, arguments={'uri': source})
if 'k8s' in scenario:
    out['claims_and_limits'] = run(claims_and_limits)
if 'env' in scenario:
    out['own_env'] = run(own_env)
if 'placeholders' in scenario:
    out['placeholders'] = run(placeholders)
if 'metadata' in scenario:
    out['list_metadata'] = run(list_metadata)
if 'errors' in scenario:
    out['bad_pod'] = run(bad_pod)
    out['bad_root'] = run(bad_root, pipeline_root='s3://bucket/root')
    out['bad_placeholder'] = run(bad_placeholder, edit=break_placeholder)
if 'data' in scenario:
    data_scratch = os.path.join(SCRATCH, 'order')
    os.makedirs(data_scratch, exist_ok=True)
    out['data_order'] = run(data_order, arguments={'scratch': data_scratch}, edit=drop_dependencies)
    out['upstream_failure'] = run(upstream_failure)
    out['collected_conditional'] = run(collected_conditional)
print(json.dumps(out, default=str))
