"""Pipelines written with the kfp SDK, compiled here and run on Floe through the real kfp.Client.

Usage: python sdk_scenarios.py <floe url> <scenario> <scratch dir>
Prints one JSON object on the last line of stdout for pipelines.test.ts to assert on.
"""
import json
import os
import sys
import tempfile
from typing import List, NamedTuple

import kfp
from kfp import compiler, dsl
from kfp.dsl import Dataset, Input, Metrics, Model, Output, OutputPath, PipelineTaskFinalStatus

HOST, SCENARIO, SCRATCH = sys.argv[1], sys.argv[2], sys.argv[3]
BASE = 'python:3.11'


# ---- components -----------------------------------------------------------------------------------------------------

@dsl.component(base_image=BASE)
def add(a: float, b: float) -> float:
    return a + b


@dsl.component(base_image=BASE)
def make_dataset(rows: int, data: Output[Dataset], stats: Output[Metrics]):
    with open(data.path, 'w') as f:
        for i in range(rows):
            f.write(f'{i},{i * i}\n')
    data.metadata['rows'] = rows
    stats.log_metric('rows', rows)


@dsl.component(base_image=BASE)
def train(data: Input[Dataset], scale: float, model: Output[Model]) -> NamedTuple('Out', [('total', float), ('lines', int)]):
    import json
    with open(data.path) as f:
        lines = f.read().splitlines()
    total = sum(float(line.split(',')[1]) for line in lines) * scale
    with open(model.path, 'w') as f:
        f.write(json.dumps({'total': total}))
    model.metadata['framework'] = 'sum'
    from collections import namedtuple
    return namedtuple('Out', ['total', 'lines'])(total, len(lines))


@dsl.container_component
def shout(text: str, out: OutputPath(str)):
    return dsl.ContainerSpec(image='alpine:3.20', command=['sh', '-c', 'mkdir -p "$(dirname "$1")" && printf "%s!" "$0" | tr a-z A-Z > "$1"'], args=[text, out])


@dsl.component(base_image=BASE)
def flip(side: str) -> str:
    return side


@dsl.component(base_image=BASE)
def note(scratch: str, name: str, value: str) -> str:
    import os
    with open(os.path.join(scratch, name), 'w') as f:
        f.write(value)
    return value


@dsl.component(base_image=BASE)
def square(x: int) -> int:
    return x * x


@dsl.component(base_image=BASE)
def total(xs: List[int]) -> int:
    return sum(xs)


@dsl.component(base_image=BASE)
def flaky(scratch: str, name: str, fail_times: int) -> int:
    import os
    path = os.path.join(scratch, name + '.attempts')
    n = int(open(path).read()) if os.path.exists(path) else 0
    with open(path, 'w') as f:
        f.write(str(n + 1))
    if n < fail_times:
        raise RuntimeError(f'attempt {n + 1} fails on purpose')
    return n + 1


@dsl.component(base_image=BASE)
def boom():
    raise RuntimeError('boom: this step always fails')


@dsl.component(base_image=BASE)
def final_status(scratch: str, status: PipelineTaskFinalStatus):
    import json
    import os
    with open(os.path.join(scratch, 'final_status.json'), 'w') as f:
        json.dump({'state': status.state, 'task': status.pipeline_task_name, 'job': status.pipeline_job_resource_name, 'error': status.error_message}, f)


@dsl.component(base_image=BASE)
def read_text(data: Input[Dataset]) -> str:
    with open(data.path) as f:
        return f.read()


@dsl.component(base_image=BASE)
def stamp(scratch: str, name: str) -> str:
    import os
    import time
    with open(os.path.join(scratch, name), 'a') as f:
        f.write(f'{time.time()}\n')
    return name


@dsl.component(base_image=BASE)
def show_env(scratch: str):
    import json
    import os
    with open(os.path.join(scratch, 'env.json'), 'w') as f:
        json.dump({'user': os.environ.get('DB_USER'), 'mode': os.environ.get('APP_MODE'),
                   'file': open('/etc/app-secret/password').read(), 'pod': os.environ.get('KFP_POD_NAME')}, f)


@dsl.container_component
def sleeper(seconds: int):
    return dsl.ContainerSpec(image='alpine:3.20', command=['sleep'], args=[seconds])


# ---- pipelines ------------------------------------------------------------------------------------------------------

@dsl.pipeline(name='floe-basics')
def basics(rows: int = 4, scale: float = 2.0, greeting: str = 'hello') -> float:
    d = make_dataset(rows=rows)
    t = train(data=d.outputs['data'], scale=scale)
    s = add(a=t.outputs['total'], b=1.0)
    shout(text=greeting)
    return s.output


@dsl.pipeline(name='floe-control')
def control(side: str = 'heads', xs: List[int] = [1, 2, 3, 4], scratch: str = '/tmp'):
    f = flip(side=side)
    with dsl.If(f.output == 'heads'):
        note(scratch=scratch, name='branch', value='if')
    with dsl.Elif(f.output == 'tails'):
        note(scratch=scratch, name='branch', value='elif')
    with dsl.Else():
        note(scratch=scratch, name='branch', value='else')
    with dsl.ParallelFor(xs, parallelism=2) as x:
        sq = square(x=x)
    tot = total(xs=dsl.Collected(sq.output))
    with dsl.ParallelFor([10, 20]) as y:
        square(x=y)
    note(scratch=scratch, name='collected', value='x').after(tot)
    with dsl.If(tot.output > 25):
        note(scratch=scratch, name='big', value='yes')


@dsl.pipeline(name='floe-exit')
def exit_pipeline(scratch: str = '/tmp'):
    done = final_status(scratch=scratch)
    with dsl.ExitHandler(done):
        boom()


@dsl.pipeline(name='floe-retry')
def retry_pipeline(scratch: str = '/tmp', run_tag: str = 'a'):
    flaky(scratch=scratch, name=run_tag, fail_times=2).set_retry(num_retries=3, backoff_duration='0s', backoff_factor=1.0)


@dsl.pipeline(name='floe-retry-exhausted')
def retry_exhausted(scratch: str = '/tmp', run_tag: str = 'b'):
    flaky(scratch=scratch, name=run_tag, fail_times=5).set_retry(num_retries=1, backoff_duration='0s')


@dsl.pipeline(name='floe-cache')
def cache_pipeline(scratch: str = '/tmp', rows: int = 3):
    d = make_dataset(rows=rows)
    read_text(data=d.outputs['data'])
    stamp(scratch=scratch, name='uncached').set_caching_options(False)


@dsl.pipeline(name='floe-inner')
def inner(x: int) -> int:
    return square(x=x).output


@dsl.pipeline(name='floe-nested')
def nested(x: int = 7, uri: str = ''):
    i = inner(x=x)
    square(x=i.output)
    imported = dsl.importer(artifact_uri=uri, artifact_class=Dataset, reimport=False, metadata={'source': 'importer'})
    read_text(data=imported.output)


@dsl.pipeline(name='floe-recurring')
def recurring(scratch: str = '/tmp'):
    stamp(scratch=scratch, name='ticks').set_caching_options(False)


@dsl.component(base_image=BASE)
def slow_stamp(scratch: str, name: str, seconds: float) -> str:
    import os
    import time
    time.sleep(seconds)
    with open(os.path.join(scratch, name), 'a') as f:
        f.write(f'{time.time()}\n')
    return name


@dsl.pipeline(name='floe-restart')
def restart_pipeline(scratch: str = '/tmp'):
    a = stamp(scratch=scratch, name='a').set_caching_options(False)
    b = slow_stamp(scratch=scratch, name='b', seconds=3.0).after(a).set_caching_options(False)
    stamp(scratch=scratch, name='c').after(b).set_caching_options(False)


@dsl.pipeline(name='floe-platform')
def platform_pipeline(scratch: str = '/tmp', secret: str = 'db-credentials'):
    from kfp import kubernetes
    t = show_env(scratch=scratch)
    kubernetes.use_secret_as_env(t, secret_name=secret, secret_key_to_env={'username': 'DB_USER'})
    kubernetes.use_config_map_as_env(t, config_map_name='app-config', config_map_key_to_env={'mode': 'APP_MODE'})
    kubernetes.use_secret_as_volume(t, secret_name='db-credentials', mount_path='/etc/app-secret')


@dsl.pipeline(name='floe-sleep')
def sleep_pipeline(seconds: int = 300):
    sleeper(seconds=seconds)


def client() -> kfp.Client:
    return kfp.Client(host=HOST)


def run(pipeline, arguments, caching=None, name=None):
    c = client()
    result = c.create_run_from_pipeline_func(pipeline, arguments=arguments, enable_caching=caching, run_name=name, experiment_name='floe-tests')
    done = c.wait_for_run_completion(result.run_id, timeout=300)
    tasks = sorted(
        ({'name': t.display_name, 'state': t.state, 'id': t.task_id, 'parent': t.parent_task_id, 'execution_id': t.execution_id, 'pod': t.pod_name,
          'outputs': {k: list(v.artifact_ids or []) for k, v in (t.outputs or {}).items()}} for t in (done.run_details.task_details or [])),
        key=lambda t: t['name'])
    return {'run_id': result.run_id, 'state': done.state, 'error': done.error.message if done.error else None, 'tasks': tasks,
            'pipeline_run_context_id': done.run_details.pipeline_run_context_id}


def main():
    out = {}
    if SCENARIO == 'compile':
        for p in (basics, control, exit_pipeline, retry_pipeline, retry_exhausted, cache_pipeline, nested, recurring, restart_pipeline, sleep_pipeline):
            compiler.Compiler().compile(p, os.path.join(SCRATCH, p.name + '.yaml'))
            out[p.name] = os.path.join(SCRATCH, p.name + '.yaml')
    elif SCENARIO == 'basics':
        out = run(basics, {'rows': 5, 'greeting': 'floe'}, caching=False)
    elif SCENARIO == 'control':
        for side in ('heads', 'tails', 'edge'):
            os.makedirs(os.path.join(SCRATCH, side), exist_ok=True)
        out = {side: run(control, {'side': side, 'scratch': os.path.join(SCRATCH, side)}, caching=False) for side in ('heads', 'tails', 'edge')}
        out['branches'] = {side: open(os.path.join(SCRATCH, side, 'branch')).read() for side in ('heads', 'tails', 'edge')}
        out['big'] = os.path.exists(os.path.join(SCRATCH, 'heads', 'big'))
    elif SCENARIO == 'exit':
        out = run(exit_pipeline, {'scratch': SCRATCH}, caching=False)
        out['final_status'] = json.load(open(os.path.join(SCRATCH, 'final_status.json')))
    elif SCENARIO == 'retry':
        out = {'ok': run(retry_pipeline, {'scratch': SCRATCH}, caching=False), 'exhausted': run(retry_exhausted, {'scratch': SCRATCH}, caching=False)}
        out['attempts'] = {k: int(open(os.path.join(SCRATCH, k + '.attempts')).read()) for k in ('a', 'b')}
    elif SCENARIO == 'cache':
        # enable_caching=None keeps each task's own setting (the SDK's default is on; stamp turns it off).
        first = run(cache_pipeline, {'scratch': SCRATCH}, name='cache-1')
        second = run(cache_pipeline, {'scratch': SCRATCH}, name='cache-2')
        third = run(cache_pipeline, {'scratch': SCRATCH, 'rows': 4}, name='cache-3')
        out = {'first': first, 'second': second, 'third': third, 'stamps': len(open(os.path.join(SCRATCH, 'uncached')).read().splitlines())}
    elif SCENARIO == 'nested':
        path = os.path.join(SCRATCH, 'imported.csv')
        with open(path, 'w') as f:
            f.write('imported,data\n')
        out = run(nested, {'x': 7, 'uri': path}, caching=False)
    elif SCENARIO == 'platform':
        out = run(platform_pipeline, {'scratch': SCRATCH}, caching=False)
        out['env'] = json.load(open(os.path.join(SCRATCH, 'env.json')))
    elif SCENARIO == 'terminate':
        import time
        c = client()
        result = c.create_run_from_pipeline_func(sleep_pipeline, arguments={}, enable_caching=False, experiment_name='floe-tests')
        deadline = time.time() + 120
        while time.time() < deadline:
            tasks = c.get_run(result.run_id).run_details.task_details or []
            if any(t.display_name == 'sleeper' and t.state == 'RUNNING' for t in tasks):
                break
            time.sleep(0.2)
        c.terminate_run(result.run_id)
        # kfp.Client's wait_for_run_completion does not count CANCELED as finished: poll by hand.
        deadline = time.time() + 120
        done = c.get_run(result.run_id)
        while done.state not in ('CANCELED', 'FAILED', 'SUCCEEDED') and time.time() < deadline:
            time.sleep(0.2)
            done = c.get_run(result.run_id)
        out = {'run_id': result.run_id, 'state': done.state, 'tasks': [{'name': t.display_name, 'state': t.state, 'pod': t.pod_name} for t in done.run_details.task_details or []]}
    elif SCENARIO == 'recurring':
        c = client()
        package = os.path.join(SCRATCH, 'recurring.yaml')
        compiler.Compiler().compile(recurring, package)
        exp = c.create_experiment('floe-recurring')
        job = c.create_recurring_run(experiment_id=exp.experiment_id, job_name='every-2s', pipeline_package_path=package,
                                     params={'scratch': SCRATCH}, interval_second=2, max_concurrency=1, enable_caching=False)
        out = {'recurring_run_id': job.recurring_run_id, 'experiment_id': exp.experiment_id}
    elif SCENARIO == 'bad':
        c = client()
        errors = {}
        good = os.path.join(SCRATCH, 'good.yaml')
        compiler.Compiler().compile(basics, good)
        text = open(good).read()
        broken = os.path.join(SCRATCH, 'broken.yaml')
        with open(broken, 'w') as f:
            f.write(text.replace('name: comp-train\n', 'name: comp-trian\n'))
        for label, action in [
            ('unknown_component', lambda: c.upload_pipeline(broken, pipeline_name='broken-pipeline')),
            ('wrong_type', lambda: c.create_run_from_pipeline_package(good, arguments={'rows': 'many'}, experiment_name='floe-bad')),
            ('missing_parameter', lambda: c.create_run_from_pipeline_func(inner, arguments={}, experiment_name='floe-bad')),
            ('unknown_parameter', lambda: c.create_run_from_pipeline_package(good, arguments={'nope': 1}, experiment_name='floe-bad')),
        ]:
            try:
                action()
                errors[label] = None
            except Exception as e:  # kfp_server_api.ApiException carries status and body
                errors[label] = {'status': getattr(e, 'status', None), 'body': getattr(e, 'body', str(e))}
        runs = c.list_runs(experiment_id=c.get_experiment(experiment_name='floe-bad').experiment_id, page_size=100).runs or []
        out = {'errors': errors, 'pipelines': [p.display_name for p in (c.list_pipelines(page_size=100).pipelines or [])], 'runs': [r.display_name for r in runs]}
    print(json.dumps(out, default=str))


main()
