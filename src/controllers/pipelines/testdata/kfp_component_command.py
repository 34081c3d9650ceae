"""A lightweight component compiled with the kfp SDK of this environment, for test/kfp-image.test.ts: prints, as one
JSON object, what its executor runs (the container's image, command and args, placeholders as compiled) and the kfp
version. Usage: python kfp_component_command.py <image>"""
import json
import sys
import tempfile

import kfp
import yaml
from kfp import compiler, dsl

IMAGE = sys.argv[1]


@dsl.component(base_image=IMAGE)
def probe(a: int, b: int, host_path: str) -> str:
    """Returns the sum and where it ran: the interpreter, where kfp was imported from, whether `host_path` is there."""
    import json
    import os
    import sys

    import kfp
    return json.dumps({'sum': a + b, 'python': sys.executable, 'kfp': os.path.dirname(kfp.__file__),
                       'host_path_visible': os.path.exists(host_path)})


@dsl.pipeline(name='kfp-image-probe')
def pipeline():
    probe(a=2, b=3, host_path='/')


with tempfile.NamedTemporaryFile(suffix='.yaml') as f:
    compiler.Compiler().compile(pipeline, f.name)
    spec = yaml.safe_load(f.read())
container = spec['deploymentSpec']['executors']['exec-probe']['container']
print(json.dumps({'kfpVersion': kfp.__version__, 'image': container['image'], 'command': container['command'],
                  'args': container['args']}))
