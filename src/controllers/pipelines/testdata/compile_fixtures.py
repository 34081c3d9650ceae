"""Compiles the KFP pipelines whose IR Floe's validate/cel tests read. Run with kfp 2.17.3 and kfp-kubernetes:
    .venvs/kfp/bin/python src/controllers/pipelines/testdata/compile_fixtures.py
Writes kfp-<name>.yaml beside this file. Without kfp-kubernetes the platform-spec fixture is skipped."""
import os
from typing import List, NamedTuple

from kfp import compiler, dsl
from kfp.dsl import Dataset, Input, Model, Output, PipelineTaskFinalStatus

HERE = os.path.dirname(os.path.abspath(__file__))


@dsl.component(base_image='python:3.11')
def flip_coin() -> str:
    import random
    return random.choice(['heads', 'tails'])


@dsl.component(base_image='python:3.11')
def roll() -> int:
    return 3


@dsl.component(base_image='python:3.11')
def score() -> float:
    return 0.75


@dsl.component(base_image='python:3.11')
def truthy() -> bool:
    return True


@dsl.component(base_image='python:3.11')
def say(msg: str) -> str:
    print(msg)
    return msg


@dsl.component(base_image='python:3.11')
def add(a: int, b: int) -> int:
    return a + b


@dsl.component(base_image='python:3.11')
def make_items() -> List[int]:
    return [1, 2, 3]


@dsl.component(base_image='python:3.11')
def make_data(n: int, data: Output[Dataset]):
    with open(data.path, 'w') as f:
        f.write(str(n))


@dsl.component(base_image='python:3.11')
def train(data: Input[Dataset], lr: float, model: Output[Model]) -> NamedTuple('Out', [('acc', float), ('name', str)]):
    with open(model.path, 'w') as f:
        f.write('m')
    Out = NamedTuple('Out', [('acc', float), ('name', str)])
    return Out(0.9, 'm')


@dsl.component(base_image='python:3.11')
def fail_op(msg: str):
    import sys
    print(msg)
    sys.exit(1)


@dsl.component(base_image='python:3.11')
def exit_op(status: PipelineTaskFinalStatus, user: str):
    print(user, status.state, status.pipeline_task_name, status.error_message)


@dsl.component(base_image='python:3.11')
def use_model(model: Input[Model]) -> str:
    return model.uri


@dsl.pipeline(name='conditions')
def conditions(threshold: int = 2, name: str = 'x', flag: bool = True, ratio: float = 0.5):
    coin = flip_coin()
    r = roll()
    s = score()
    t = truthy()
    with dsl.If(coin.output == 'heads'):
        say(msg='heads!')
    with dsl.Elif(coin.output == 'tails'):
        say(msg='tails!')
    with dsl.Else():
        say(msg='edge')
    with dsl.If(r.output > threshold):
        say(msg='big roll')
    with dsl.If(r.output < 3):
        say(msg='small roll')
    with dsl.If(r.output >= 3):
        say(msg='ge')
    with dsl.If(r.output <= 3):
        say(msg='le')
    with dsl.If(r.output != 4):
        say(msg='ne')
    with dsl.If(s.output > 0.5):
        say(msg='good score')
    with dsl.If(t.output == True):  # noqa: E712
        say(msg='true')
    with dsl.If(flag == False):  # noqa: E712
        say(msg='flag off')
    with dsl.If(name == 'x'):
        say(msg='named x')
    with dsl.If(ratio < 0.25):
        say(msg='low ratio')
    with dsl.If(r.output > 2.5):
        say(msg='int channel vs float literal')
    with dsl.If(s.output > 1):
        say(msg='float channel vs int literal')
    with dsl.If(name == 3):
        say(msg='string channel vs int literal')
    with dsl.If(r.output == threshold):
        say(msg='int channel vs int channel')


@dsl.pipeline(name='oneof')
def oneof(threshold: int = 2):
    r = roll()
    with dsl.If(r.output > threshold):
        a = say(msg='a')
    with dsl.Else():
        b = say(msg='b')
    say(msg=dsl.OneOf(a.output, b.output))


@dsl.pipeline(name='loops')
def loops(xs: List[int] = [1, 2], base: int = 10):
    with dsl.ParallelFor([1, 2, 3], parallelism=2) as i:
        add(a=i, b=base)
    with dsl.ParallelFor(xs) as x:
        add(a=x, b=1)
    items = make_items()
    with dsl.ParallelFor(items.output) as it:
        res = add(a=it, b=2)
    say(msg=dsl.Collected(res.output).__str__() if False else 'done').after(res)
    with dsl.ParallelFor([{'a': 1, 'b': 2}, {'a': 3, 'b': 4}]) as d:
        add(a=d.a, b=d.b)


@dsl.pipeline(name='exit-handler')
def exit_handler(user: str = 'me'):
    ex = exit_op(user=user)
    with dsl.ExitHandler(ex):
        fail_op(msg='boom')


@dsl.pipeline(name='retry-and-caching')
def retry_and_caching(msg: str = 'hi'):
    t = say(msg=msg)
    t.set_retry(num_retries=3, backoff_duration='5s', backoff_factor=2.0, backoff_max_duration='1h')
    u = say(msg='second').after(t)
    u.set_caching_options(False)
    v = say(msg='third')
    v.set_caching_options(True, cache_key='my-key')


@dsl.pipeline(name='importer')
def importer_pipeline(uri: str = 'gs://bucket/model'):
    imp = dsl.importer(artifact_uri=uri, artifact_class=Model, reimport=False, metadata={'k': 'v'})
    use_model(model=imp.output)
    imp2 = dsl.importer(artifact_uri='minio://mlpipeline/x', artifact_class=Model)
    use_model(model=imp2.output)


@dsl.pipeline(name='inner')
def inner(n: int, lr: float = 0.1) -> Model:
    d = make_data(n=n)
    t = train(data=d.outputs['data'], lr=lr)
    return t.outputs['model']


@dsl.pipeline(name='nested')
def nested(n: int = 5):
    i = inner(n=n)
    use_model(model=i.output)


@dsl.pipeline(name='artifacts')
def artifacts(n: int, lr: float = 0.01, tags: list = ['a'], cfg: dict = {'k': 1}, on: bool = False, who: str = 'w'):
    d = make_data(n=n)
    t = train(data=d.outputs['data'], lr=lr)
    say(msg=t.outputs['name'])
    use_model(model=t.outputs['model'])


def k8s_pipeline_or_none():
    try:
        from kfp import kubernetes
    except ImportError:
        return None

    @dsl.pipeline(name='kubernetes')
    def k8s(secret_name: str = 'my-secret'):
        t = say(msg='hello')
        kubernetes.use_secret_as_env(t, secret_name=secret_name, secret_key_to_env={'password': 'PASSWORD'})
        kubernetes.mount_pvc(t, pvc_name='shared-data', mount_path='/data')
        kubernetes.add_node_selector(t, label_key='disk', label_value='ssd')
        kubernetes.set_image_pull_policy(t, 'IfNotPresent')
        u = add(a=1, b=2)
        kubernetes.use_config_map_as_env(u, config_map_name='cfg', config_map_key_to_env={'k': 'K'})

    return k8s


def main() -> None:
    c = compiler.Compiler()
    for name, fn in [
        ('conditions', conditions), ('oneof', oneof), ('loops', loops), ('exit-handler', exit_handler),
        ('retry-caching', retry_and_caching), ('importer', importer_pipeline), ('nested', nested),
        ('artifacts', artifacts), ('kubernetes', k8s_pipeline_or_none()),
    ]:
        if fn is None:
            continue
        c.compile(fn, os.path.join(HERE, f'kfp-{name}.yaml'))


if __name__ == '__main__':
    main()
