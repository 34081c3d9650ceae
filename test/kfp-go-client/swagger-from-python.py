"""Writes the five KFP v2beta1 swagger 2.0 documents go-swagger needs, built from facts in kfp_server_api.

    swagger-from-python.py <output dir>

KFP generates its Go HTTP client with go-swagger from one swagger file per service. Floe's test does not carry those
files: this script rebuilds equivalent documents from what the installed kfp_server_api package (the Python client KFP
generates from the same API) states as data: each API class's operations (HTTP method, path template, path/query/form/
body parameters, required ones, response model, content types, authentication setting), read from the source's syntax
tree, and each model's `openapi_types`, `attribute_map` and, for enums, `allowed_values`. Only names, paths and types are
taken; no descriptions are written.

Operation ids follow the `<Service>_<Method>` form of KFP's gRPC gateway (upload's are bare), so go-swagger names the Go
packages and methods as KFP's own client does (`pipeline_service.PipelineServiceCreatePipeline`, ...).
"""
import ast
import inspect
import json
import os
import re
import sys

import kfp_server_api
import kfp_server_api.models as models
from kfp_server_api import api as apis

# file name -> (API class, whether its operations carry the Bearer security requirement). KFP's per-service swagger
# files declare the Bearer key for the pipeline, upload and run services only; the Go client's method signatures
# follow (with security: (params, authInfo), without: (params)), and the test program calls them that way.
FILES = {
    'experiment': (apis.ExperimentServiceApi, False),
    'pipeline': (apis.PipelineServiceApi, True),
    'pipeline.upload': (apis.PipelineUploadServiceApi, True),
    'recurring_run': (apis.RecurringRunServiceApi, False),
    'run': (apis.RunServiceApi, True),
}

SCALARS = {
    'str': {'type': 'string'},
    'int': {'type': 'integer', 'format': 'int32'},
    'float': {'type': 'number', 'format': 'double'},
    'bool': {'type': 'boolean'},
    'datetime': {'type': 'string', 'format': 'date-time'},
    'date': {'type': 'string', 'format': 'date'},
    'object': {'type': 'object'},
    'file': {'type': 'file'},
}

PROTO_PREFIXES = ('V2beta1', 'Google', 'Protobuf')


def definition_name(cls_name):
    """The gateway's definition name: a proto package prefix starts lower-case (v2beta1Run, googleRpcStatus)."""
    return cls_name[0].lower() + cls_name[1:] if cls_name.startswith(PROTO_PREFIXES) else cls_name


def camel(snake):
    return ''.join(p[:1].upper() + p[1:] for p in snake.split('_'))


def snake(name):
    return re.sub(r'(?<!^)(?=[A-Z])', '_', name).lower()


class Schemas:
    """Definitions reached from one document's operations."""

    def __init__(self):
        self.definitions = {}

    def of(self, t):
        t = t.strip()
        if t in SCALARS:
            return dict(SCALARS[t])
        m = re.fullmatch(r'list\[(.+)\]', t)
        if m:
            return {'type': 'array', 'items': self.of(m.group(1))}
        m = re.fullmatch(r'dict\(str, (.+)\)', t)
        if m:
            return {'type': 'object', 'additionalProperties': self.of(m.group(1))}
        cls = getattr(models, t)
        name = definition_name(t)
        if name not in self.definitions:
            self.definitions[name] = None  # reserve: models refer to one another
            self.definitions[name] = self.model(cls)
        return {'$ref': f'#/definitions/{name}'}

    def model(self, cls):
        if not cls.openapi_types:
            values = getattr(cls, 'allowed_values', None) or [v for k, v in vars(cls).items() if k.isupper() and isinstance(v, str)]
            if values:
                return {'type': 'string', 'enum': list(values), 'default': values[0]}
            return {'type': 'object'}
        props = {}
        for attr, t in cls.openapi_types.items():
            props[cls.attribute_map[attr]] = self.of(t)
        return {'type': 'object', 'properties': props}


def literal(node):
    try:
        return ast.literal_eval(node)
    except ValueError:
        return None


def local_key(node):
    """'y' of local_var_params['y']."""
    if isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name) and node.value.id == 'local_var_params':
        return literal(node.slice)
    return None


def operations(api_cls):
    """One record per `<name>_with_http_info` method, read from its syntax tree and its `:type` lines."""
    tree = ast.parse(inspect.getsource(api_cls))
    cls = tree.body[0]
    publics = {f.name: f for f in cls.body if isinstance(f, ast.FunctionDef)}
    for fn in cls.body:
        if not (isinstance(fn, ast.FunctionDef) and fn.name.endswith('_with_http_info')):
            continue
        name = fn.name[: -len('_with_http_info')]
        required = [a.arg for a in publics[name].args.args if a.arg != 'self']
        types = dict(re.findall(r':type (\w+): (.+)', ast.get_docstring(fn) or ''))
        op = {'name': name, 'required': required, 'types': types, 'path': [], 'query': [], 'form': [], 'files': [], 'body': None,
              'consumes': None, 'auth': [], 'collection_formats': {}}
        for node in ast.walk(fn):
            if isinstance(node, ast.Assign) and len(node.targets) == 1:
                target = node.targets[0]
                if isinstance(target, ast.Name) and target.id == 'all_params':
                    op['all_params'] = literal(node.value)
                elif isinstance(target, ast.Name) and target.id == 'body_params' and local_key(node.value):
                    op['body'] = local_key(node.value)
                elif isinstance(target, ast.Name) and target.id == 'auth_settings':
                    op['auth'] = literal(node.value)
                elif isinstance(target, ast.Subscript) and isinstance(target.value, ast.Name):
                    wire = literal(target.slice)
                    if target.value.id == 'path_params':
                        op['path'].append((wire, local_key(node.value)))
                    elif target.value.id == 'local_var_files':
                        op['files'].append((wire, local_key(node.value)))
                    elif target.value.id == 'collection_formats':
                        op['collection_formats'][wire] = literal(node.value)
            elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
                if node.func.attr == 'append' and isinstance(node.func.value, ast.Name) and node.func.value.id in ('query_params', 'form_params'):
                    pair = node.args[0]
                    entry = (literal(pair.elts[0]), local_key(pair.elts[1]))
                    op['query' if node.func.value.id == 'query_params' else 'form'].append(entry)
                elif node.func.attr == 'select_header_content_type':
                    op['consumes'] = literal(node.args[0])
                elif node.func.attr == 'call_api':
                    op['url'] = literal(node.args[0])
                    op['method'] = literal(node.args[1]).lower()
                    for kw in node.keywords:
                        if kw.arg == 'response_type':
                            op['response'] = literal(kw.value)
        yield op


def parameter(op, wire, key, where, schemas):
    t = op['types'].get(key, 'str')
    p = {'name': wire, 'in': where}
    if where == 'body':
        p['schema'] = schemas.of(t)
    else:
        s = schemas.of(t)
        if '$ref' in s:  # an enum model as a query parameter: its values inline
            s = dict(schemas.definitions[s['$ref'].split('/')[-1]])
        p.update(s)
        if p.get('type') == 'array' and wire in op['collection_formats']:
            p['collectionFormat'] = op['collection_formats'][wire]
    if where == 'path' or key in op['required']:
        p['required'] = True
    return p


def document(api_cls, secured):
    tag = api_cls.__name__[: -len('Api')]
    prefix = snake(tag) + '_'
    schemas = Schemas()
    paths = {}
    for op in operations(api_cls):
        op_id = f'{tag}_{camel(op["name"][len(prefix):])}' if op['name'].startswith(prefix) else camel(op['name'])
        params = [parameter(op, w, k, 'path', schemas) for w, k in op['path']]
        if op['body']:
            params.append(parameter(op, op['body'], op['body'], 'body', schemas))
        params += [parameter(op, w, k, 'formData', schemas) for w, k in op['files'] + op['form']]
        params += [parameter(op, w, k, 'query', schemas) for w, k in op['query']]
        response = op.get('response')
        ok = schemas.of(response) if response else {'type': 'object'}
        operation = {
            'operationId': op_id,
            'tags': [tag],
            'parameters': params,
            'responses': {'200': {'description': 'OK', 'schema': ok}, 'default': {'description': 'error', 'schema': schemas.of('GoogleRpcStatus')}},
        }
        if op['consumes'] and op['consumes'] != ['application/json']:
            operation['consumes'] = op['consumes']
        paths.setdefault(op['url'], {})[op['method']] = operation
    doc = {
        'swagger': '2.0',
        'info': {'title': f'{tag} (from kfp_server_api {kfp_server_api.__version__})', 'version': kfp_server_api.__version__},
        'tags': [{'name': tag}],
        'schemes': ['http', 'https'],
        'consumes': ['application/json'],
        'produces': ['application/json'],
        'paths': paths,
        'definitions': dict(sorted(schemas.definitions.items())),
    }
    if secured:
        doc['securityDefinitions'] = {'Bearer': {'type': 'apiKey', 'name': 'authorization', 'in': 'header'}}
        doc['security'] = [{'Bearer': []}]
    return doc


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    for file, (api_cls, secured) in FILES.items():
        with open(os.path.join(out, f'{file}.swagger.json'), 'w') as f:
            json.dump(document(api_cls, secured), f, indent=2)
            f.write('\n')


if __name__ == '__main__':
    main()
