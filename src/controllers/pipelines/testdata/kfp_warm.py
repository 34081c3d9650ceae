"""Pipelines for the warm executor (issue 23 item 3), written with the kfp SDK, compiled here and run on Floe through the
real kfp.Client: each pipeline twice, with the warm executor and with every task opted out (the Pod annotation
pipelines.floe.dev/warm-executor: "false", set with kfp-kubernetes). Prints one JSON object (the last line of stdout)
for test/kfp-warm.test.ts. Usage: python kfp_warm.py <floe url> <scratch dir> <worker socket>"""
import base64
import hashlib
import json
import os
import sys
import time
import urllib.error
import urllib.request
import zipfile

import kfp
from kfp import compiler, dsl, kubernetes
from kfp.dsl import Dataset, Input, Output

HOST, SCRATCH, SOCKET = sys.argv[1], sys.argv[2], sys.argv[3]
BASE = 'python:3.11'
OPT_OUT = 'pipelines.floe.dev/warm-executor'
_client = []
# A guard for this driver's own loops (not a timing assertion): a run or a process that never ends fails the test.
GUARD_S = 600


def client():
    if not _client:
        _client.append(kfp.Client(host=HOST))
    return _client[0]


def get(path):
    with urllib.request.urlopen(HOST + path) as r:
        body = r.read()
    return body.decode() if path.endswith('/log') else json.loads(body)


def wait_until(what, check):
    deadline = time.time() + GUARD_S
    while time.time() < deadline:
        if check():
            return True
        time.sleep(0.2)
    raise RuntimeError('gave up waiting for ' + what)


def probe_wheel(folder):
    """A tiny wheel (no index needed) that a component pip-installs: not in Floe's environment."""
    path = os.path.join(folder, 'floe_warm_probe-1.0-py3-none-any.whl')
    files = {
        'floe_warm_probe/__init__.py': 'VALUE = "probe"\n',
        'floe_warm_probe-1.0.dist-info/METADATA': 'Metadata-Version: 2.1\nName: floe-warm-probe\nVersion: 1.0\n',
        'floe_warm_probe-1.0.dist-info/WHEEL': 'Wheel-Version: 1.0\nGenerator: floe-test\nRoot-Is-Purelib: true\nTag: py3-none-any\n',
    }
    record = []
    with zipfile.ZipFile(path, 'w') as z:
        for name, text in files.items():
            data = text.encode()
            z.writestr(name, data)
            digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b'=').decode()
            record.append(f'{name},sha256={digest},{len(data)}')
        record.append('floe_warm_probe-1.0.dist-info/RECORD,,')
        z.writestr('floe_warm_probe-1.0.dist-info/RECORD', '\n'.join(record) + '\n')
    return path


WHEEL = probe_wheel(SCRATCH)


def opt_out(task, warm):
    """Unless `warm`, the task's Pod runs as a fresh process (the annotation, set with kfp-kubernetes)."""
    if not warm:
        kubernetes.add_pod_annotation(task, OPT_OUT, 'false')
    return task


def start(pipeline_func, name, arguments=None):
    package = os.path.join(SCRATCH, name + '.yaml')
    compiler.Compiler().compile(pipeline_func, package)
    return client().create_run_from_pipeline_package(package, arguments=arguments or {}, run_name=name, enable_caching=False).run_id


def finish(run_id):
    wait_until('run ' + run_id, lambda: client().get_run(run_id).state in ('SUCCEEDED', 'FAILED', 'CANCELED'))
    got = client().get_run(run_id).to_dict()
    tasks = []
    for t in (got.get('run_details') or {}).get('task_details') or []:
        if not t.get('pod_name'):
            continue
        execution = get('/mlmd/v1/executions/%s' % t['execution_id']) if t.get('execution_id') else {}
        execution = execution.get('execution', execution)
        outputs = ((execution.get('custom_properties') or {}).get('outputs') or {}).get('struct_value') or {}
        artifacts = {}
        for key, ref in (t.get('outputs') or {}).items():
            for aid in ref.get('artifact_ids') or []:
                a = get('/mlmd/v1/artifacts/%s' % aid)
                a = a.get('artifact', a)
                path = a.get('uri', '')
                artifacts[key] = open(path).read() if os.path.isfile(path) else None
        tasks.append(dict({
            'name': t['display_name'], 'state': t['state'], 'error': (t.get('error') or {}).get('message'),
            'outputs': outputs, 'artifacts': artifacts}, **pod_view(t['pod_name'])))
    return {'run_id': run_id, 'state': got['state'], 'error': (got.get('error') or {}).get('message'),
            'tasks': sorted(tasks, key=lambda x: x['name'])}


def pod_view(name):
    """The task Pod's command and log ({} once the Pod is deleted, as a terminated run's are)."""
    try:
        pod = get('/api/v1/namespaces/kubeflow/pods/%s' % name)
        return {'command': pod['spec']['containers'][0].get('command') or [], 'uid': pod['metadata']['uid'],
                'log': get('/api/v1/namespaces/kubeflow/pods/%s/log' % name)}
    except urllib.error.HTTPError as err:
        if err.code != 404:
            raise
        return {}


def run(pipeline_func, name, arguments=None):
    return finish(start(pipeline_func, name, arguments))


# ---- components ----

@dsl.component(base_image=BASE)
def step(x: int, i: int, out: Output[Dataset]) -> int:
    import os
    with open('/proc/%d/cmdline' % os.getppid(), 'rb') as f:
        parent = f.read().split(b'\0')
    where = 'warm' if b'worker' in parent and any(p.endswith(b'floe-warm-executor.py') for p in parent) else 'fresh'
    print('floe-warm-test step %d ran %s' % (i, where))
    with open('/proc/self/cgroup') as f:
        print('floe-warm-test cgroups %s' % ' '.join(f.read().split()))
    value = x * 3 + i
    with open(out.path, 'w') as f:
        f.write('step %d: %d' % (i, value))
    return value


@dsl.component(base_image=BASE)
def read_back(data: Input[Dataset], x: int) -> str:
    with open(data.path) as f:
        return '%s / %d' % (f.read(), x)


def chain(warm):
    @dsl.pipeline(name='warm-chain')
    def pipeline(start: int = 1):
        t = opt_out(step(x=start, i=0), warm)
        for i in range(1, 10):
            t = opt_out(step(x=t.outputs['Output'], i=i), warm)
        opt_out(read_back(data=t.outputs['out'], x=t.outputs['Output']), warm)
    return pipeline


@dsl.component(base_image=BASE)
def boom(n: int) -> int:
    print('floe-warm-test about to fail')
    raise ValueError('boom %d' % n)


def fails(warm):
    @dsl.pipeline(name='warm-fails')
    def pipeline(n: int = 7):
        opt_out(boom(n=n), warm)
    return pipeline


@dsl.component(base_image=BASE)
def sleeper(pid_file: str):
    import os
    import time
    with open(pid_file + '.tmp', 'w') as f:
        f.write(str(os.getpid()))
    os.rename(pid_file + '.tmp', pid_file)
    print('floe-warm-test sleeping', flush=True)
    time.sleep(3600)


@dsl.pipeline(name='warm-sleeps')
def sleeps(pid_file: str):
    sleeper(pid_file=pid_file)


@dsl.component(base_image=BASE, packages_to_install=[WHEEL])
def installs() -> str:
    import os
    import floe_warm_probe
    with open('/proc/%d/cmdline' % os.getppid(), 'rb') as f:
        parent = f.read().split(b'\0')
    print('floe-warm-test installs ran', 'warm' if b'worker' in parent else 'fresh')
    return floe_warm_probe.VALUE


@dsl.component(base_image=BASE, packages_to_install=['PyYAML'])
def present() -> str:
    import os
    import yaml
    with open('/proc/%d/cmdline' % os.getppid(), 'rb') as f:
        parent = f.read().split(b'\0')
    print('floe-warm-test present ran', 'warm' if b'worker' in parent else 'fresh')
    return yaml.safe_dump({'a': 1}).strip()


@dsl.pipeline(name='warm-packages')
def packages():
    installs()
    present()


def alive(pid):
    try:
        with open('/proc/%d/stat' % pid) as f:
            return f.read().rsplit(')', 1)[1].split()[0] not in ('Z', 'X')
    except OSError:
        return False


def main():
    out = {}
    # The first lightweight task starts the worker (its own tasks run as fresh processes until it listens).
    out['first'] = run(fails(True), 'warm-first', arguments={'n': 1})
    wait_until('the worker socket', lambda: os.path.exists(SOCKET))
    out['chain_warm'] = run(chain(True), 'warm-chain')
    out['chain_fresh'] = run(chain(False), 'warm-chain-fresh')
    out['fails_warm'] = run(fails(True), 'warm-fails')
    out['fails_fresh'] = run(fails(False), 'warm-fails-fresh')
    out['packages'] = run(packages, 'warm-packages')
    pid_file = os.path.join(SCRATCH, 'sleeper.pid')
    run_id = start(sleeps, 'warm-sleeps', {'pid_file': pid_file})
    wait_until('the sleeping task', lambda: os.path.exists(pid_file))
    pid = int(open(pid_file).read())
    was_alive = alive(pid)
    running = [t for t in (client().get_run(run_id).to_dict().get('run_details') or {}).get('task_details') or [] if t.get('pod_name')]
    wait_until('the sleeping task\'s log', lambda: 'sleeping' in pod_view(running[0]['pod_name']).get('log', ''))
    before = pod_view(running[0]['pod_name'])
    client().terminate_run(run_id)
    wait_until('the sleeping task to end', lambda: not alive(pid))
    ended = finish(run_id)
    for t in ended['tasks']:
        t.setdefault('command', before['command'])
        t.setdefault('log', before['log'])
    out['terminated'] = dict(ended, pid=pid, was_alive=was_alive)
    print(json.dumps(out))


if __name__ == '__main__':
    main()
