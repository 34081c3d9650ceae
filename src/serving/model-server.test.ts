// ModelServer over real HTTP on port 0 with real ONNX models exported by PyTorch and run by onnxruntime-node.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ModelServer } from './model-server.js';
import { OnnxModel } from './onnx.js';
import type { WireTensor } from './v2.js';

// dist/src/serving → the repository root's .venvs/torch.
const python = fileURLToPath(new URL('../../../.venvs/torch/bin/python', import.meta.url));
const skip = existsSync(python) ? false : `no PyTorch to export the test models: ${python} is missing`;
if (skip) console.log(`skipping the ONNX model-server tests: ${skip}`);

// Fixed weights, so every output can be checked by hand. torch's TorchScript exporter wants the `onnx` package
// only to splice in onnxscript functions, which these models have none of; the stub lets it run without it.
const exportScript = `
import sys, torch
import torch.onnx._internal.onnx_proto_utils as opu
opu._add_onnxscript_fn = lambda proto, custom_opsets: proto
out = sys.argv[1]
W = [[1., 2., 3., 4.], [0.5, -1., 0., 2.]]
B = [0.1, -0.2]
class Linear(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = torch.nn.Linear(4, 2)
        with torch.no_grad():
            self.fc.weight.copy_(torch.tensor(W))
            self.fc.bias.copy_(torch.tensor(B))
    def forward(self, x):
        y = self.fc(x)
        return y, y.sum(dim=1)
class IntBool(torch.nn.Module):
    def forward(self, a, mask):
        return torch.where(mask, a * 2, torch.zeros_like(a)), mask.any(dim=1)
class Half(torch.nn.Module):
    def forward(self, h):
        return h * 2, h.float()
batch = lambda *names: {n: {0: "batch"} for n in names}
torch.onnx.export(Linear(), (torch.zeros(1, 4),), f"{out}/linear.onnx", input_names=["x"], output_names=["y", "y_sum"],
                  dynamic_axes=batch("x", "y", "y_sum"), dynamo=False, opset_version=17)
torch.onnx.export(IntBool(), (torch.zeros(1, 3, dtype=torch.int64), torch.zeros(1, 3, dtype=torch.bool)), f"{out}/intbool.onnx",
                  input_names=["a", "mask"], output_names=["masked", "any"], dynamic_axes=batch("a", "mask", "masked", "any"),
                  dynamo=False, opset_version=17)
torch.onnx.export(Half(), (torch.zeros(3, dtype=torch.float16),), f"{out}/half.onnx", input_names=["h"],
                  output_names=["doubled", "widened"], dynamo=False, opset_version=17)
`;
const W = [[1, 2, 3, 4], [0.5, -1, 0, 2]];
const B = [0.1, -0.2];
const linear = (row: number[]): number[] => W.map((w, j) => w.reduce((s, wi, i) => s + wi * (row[i] ?? 0), B[j] ?? 0));

function assertClose(actual: unknown, expected: number[], where: string): void {
  assert.ok(Array.isArray(actual), `${where} is an array`);
  assert.equal(actual.length, expected.length, `${where} length`);
  expected.forEach((e, i) => assert.ok(Math.abs((actual[i] as number) - e) < 1e-5, `${where}[${i}]: ${String(actual[i])} vs ${e}`));
}

/** The fields of response bodies the tests read (each body has some of them). */
interface Body {
  error: string;
  id: string;
  model_name: string;
  model_version: string;
  name: string;
  models: string[];
  inputs: unknown[];
  outputs: WireTensor[];
  predictions: unknown[];
}
/** A GET or a POST of JSON (or raw text) to the test server, answering status, parsed body and headers. */
type Call = (method: string, path: string, body?: unknown) => Promise<{ status: number; body: Body; text: string; headers: Headers }>;

const prefix = '/serving/default/isvc';

describe('ModelServer over HTTP with ONNX models', { skip }, () => {
  let dir = '';
  let http: Server;
  let server: ModelServer;
  let call: Call;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'floe-serving-'));
    writeFileSync(join(dir, 'export.py'), exportScript);
    execFileSync(python, [join(dir, 'export.py'), dir], { stdio: 'pipe' });
    server = new ModelServer({
      loader: (name) => (name.startsWith('linear') ? OnnxModel.load(name, join(dir, 'linear.onnx')) : Promise.reject(new Error(`no model ${name} in the repository`))),
      maxBodyBytes: 1024 * 1024,
    });
    await server.add(await OnnxModel.load('linear', join(dir, 'linear.onnx'), { version: '1' }));
    await server.add(await OnnxModel.load('intbool', join(dir, 'intbool.onnx')));
    await server.add(await OnnxModel.load('half', join(dir, 'half.onnx')));
    // The wiring a caller does: strip its routing prefix, hand the rest to handle(), 404 what it declines.
    http = createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://localhost');
      const path = url.pathname.startsWith(prefix) ? url.pathname.slice(prefix.length) || '/' : undefined;
      const handled = path === undefined ? Promise.resolve(false) : server.handle(req, res, path);
      handled.then((ok) => {
        if (!ok) res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"Not Found"}');
      }, (err: unknown) => res.writeHead(500).end(String(err)));
    });
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    const base = `http://127.0.0.1:${(http.address() as AddressInfo).port}${prefix}`;
    call = async (method, path, body) => {
      const init: RequestInit = { method };
      if (body !== undefined) init.body = typeof body === 'string' ? body : JSON.stringify(body);
      const r = await fetch(base + path, init);
      const text = await r.text();
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch {
        parsed = undefined;
      }
      return { status: r.status, body: parsed as Body, text, headers: r.headers };
    };
  });

  after(async () => {
    http?.closeAllConnections();
    await new Promise((resolve) => (http ? http.close(resolve) : resolve(undefined)));
    await server?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('health, server metadata and model lists', async () => {
    assert.deepEqual((await call('GET', '/v2/health/live')).body, { live: true });
    assert.deepEqual((await call('GET', '/v2/health/ready')).body, { ready: true });
    assert.deepEqual((await call('GET', '/')).body, { status: 'alive' });
    assert.deepEqual((await call('GET', '/v2')).body, { name: 'floe', version: '0.1.0', extensions: ['model_repository_extension'] });
    assert.deepEqual((await call('GET', '/v2/models')).body, { models: ['linear', 'intbool', 'half'] });
    assert.deepEqual((await call('GET', '/v1/models')).body, { models: ['linear', 'intbool', 'half'] });
    const r = await call('GET', '/v2/models/linear/ready');
    assert.equal(r.status, 200);
    assert.deepEqual(r.body, { name: 'linear', ready: true });
    assert.deepEqual((await call('GET', '/v2/models/linear/versions/1/ready')).body, { name: 'linear', ready: true });
    assert.deepEqual((await call('GET', '/v1/models/intbool')).body, { name: 'intbool', ready: true });
    assert.equal((await call('GET', '/v3/anything')).status, 404, 'paths that are not KServe routes are left to the caller');
    assert.equal((await call('GET', '/v2/models/linear/bogus')).status, 404);
  });

  test('V2 model metadata: datatypes and shapes, -1 for the dynamic batch', async () => {
    assert.deepEqual((await call('GET', '/v2/models/linear')).body, {
      name: 'linear', versions: ['1'], platform: 'onnxruntime_onnx',
      inputs: [{ name: 'x', datatype: 'FP32', shape: [-1, 4] }],
      outputs: [{ name: 'y', datatype: 'FP32', shape: [-1, 2] }, { name: 'y_sum', datatype: 'FP32', shape: [-1] }],
    });
    assert.deepEqual((await call('GET', '/v2/models/linear/versions/1')).body.name, 'linear');
    assert.deepEqual((await call('GET', '/v2/models/intbool')).body, {
      name: 'intbool', platform: 'onnxruntime_onnx',
      inputs: [{ name: 'a', datatype: 'INT64', shape: [-1, 3] }, { name: 'mask', datatype: 'BOOL', shape: [-1, 3] }],
      outputs: [{ name: 'masked', datatype: 'INT64', shape: [-1, 3] }, { name: 'any', datatype: 'BOOL', shape: [-1] }],
    });
    assert.deepEqual((await call('GET', '/v2/models/half')).body.inputs, [{ name: 'h', datatype: 'FP16', shape: [3] }]);
  });

  test('V2 infer computes the linear layer; id is echoed; outputs filter', async () => {
    const rows = [[1, 2, 3, 4], [0, 0, 0, 0], [-1, 0.5, 2, 1]];
    const r = await call('POST', '/v2/models/linear/infer', { id: '42', inputs: [{ name: 'x', datatype: 'FP32', shape: [3, 4], data: rows }] });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.headers.get('content-type'), 'application/json');
    assert.deepEqual(Object.keys(r.body), ['model_name', 'model_version', 'id', 'outputs']);
    assert.equal(r.body.model_name, 'linear');
    assert.equal(r.body.model_version, '1');
    assert.equal(r.body.id, '42');
    const [y, ySum] = r.body.outputs;
    assert.ok(y && ySum);
    assert.deepEqual({ ...y, data: undefined }, { name: 'y', datatype: 'FP32', shape: [3, 2], data: undefined });
    assertClose(y.data, rows.flatMap(linear), 'y');
    assert.deepEqual(ySum.shape, [3]);
    assertClose(ySum.data, rows.map((row) => linear(row).reduce((a, b) => a + b)), 'y_sum');

    const only = await call('POST', '/v2/models/linear/versions/1/infer', {
      inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 4], data: [1, 1, 1, 1] }], outputs: [{ name: 'y_sum' }],
    });
    assert.equal(only.status, 200, only.text);
    assert.deepEqual(only.body.outputs.map((o) => o.name), ['y_sum']);
    assertClose(only.body.outputs[0]?.data, [10.1 + 1.3], 'y_sum');
    assert.match(only.body.id, /^[0-9a-f-]{36}$/, 'a request without id gets a uuid, as in KServe');
  });

  test('V2 infer with INT64 and BOOL tensors', async () => {
    const r = await call('POST', '/v2/models/intbool/infer', {
      inputs: [
        { name: 'a', datatype: 'INT64', shape: [2, 3], data: [[1, -2, 3], [4, 5, 9007199254740991]] },
        { name: 'mask', datatype: 'BOOL', shape: [2, 3], data: [[true, false, true], [false, false, false]] },
      ],
    });
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.body.outputs, [
      { name: 'masked', datatype: 'INT64', shape: [2, 3], data: [2, 0, 6, 0, 0, 0] },
      { name: 'any', datatype: 'BOOL', shape: [2], data: [true, false] },
    ]);
    // Doubling 2^53-1 leaves JS numbers' exact range; the response still carries it exactly.
    const big = await call('POST', '/v2/models/intbool/infer', {
      inputs: [{ name: 'a', datatype: 'INT64', shape: [1, 3], data: [9007199254740991, 0, 0] }, { name: 'mask', datatype: 'BOOL', shape: [1, 3], data: [true, true, true] }],
      outputs: [{ name: 'masked' }],
    });
    assert.match(big.text, /"data":\[18014398509481982,0,0\]/);
  });

  test('V2 infer with FP16 tensors', async () => {
    const r = await call('POST', '/v2/models/half/infer', { inputs: [{ name: 'h', datatype: 'FP16', shape: [3], data: [1, -2.5, 0.1] }] });
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.body.outputs, [
      { name: 'doubled', datatype: 'FP16', shape: [3], data: [2, -5, 0.199951171875] },
      { name: 'widened', datatype: 'FP32', shape: [3], data: [1, -2.5, 0.0999755859375] },
    ]);
  });

  test('V2 errors: codes and {"error"} bodies', async () => {
    const x = (datatype: string, shape: number[], data: unknown) => ({ inputs: [{ name: 'x', datatype, shape, data }] });
    const cases: [string, string, unknown, number, RegExp][] = [
      ['POST', '/v2/models/nope/infer', x('FP32', [1, 4], [1, 2, 3, 4]), 404, /^Model with name nope does not exist\.$/],
      ['GET', '/v2/models/nope', undefined, 404, /^Model with name nope does not exist\.$/],
      ['GET', '/v2/models/nope/ready', undefined, 404, /does not exist/],
      ['POST', '/v2/models/linear/infer', x('FP64', [1, 4], [1, 2, 3, 4]), 400, /^input "x" has datatype FP64; model linear expects FP32$/],
      ['POST', '/v2/models/linear/infer', x('FP32', [1, 3], [1, 2, 3]), 400, /^input "x" has shape \[1,3\]; model linear expects \[-1,4\]/],
      ['POST', '/v2/models/linear/infer', x('FP32', [4], [1, 2, 3, 4]), 400, /has shape \[4\]/],
      ['POST', '/v2/models/half/infer', { inputs: [{ name: 'h', datatype: 'FP16', shape: [2], data: [1, 2] }] }, 400, /expects \[3\]/],
      ['POST', '/v2/models/linear/infer', x('UINT8', [1, 4], [1, 2, 300, 4]), 400, /inputs\[0\] \("x"\): data\[2\] is 300, out of range for UINT8/],
      ['POST', '/v2/models/linear/infer', x('FP32', [1, 4], [1, 2, 3]), 400, /needs 4 elements, data has 3/],
      ['POST', '/v2/models/linear/infer', { inputs: [{ name: 'z', datatype: 'FP32', shape: [1], data: [1] }] }, 400, /model linear has no input "z" \(inputs: x\)/],
      ['POST', '/v2/models/linear/infer', { ...x('FP32', [1, 4], [1, 2, 3, 4]), outputs: [{ name: 'q' }] }, 400, /model linear has no output "q" \(outputs: y, y_sum\)/],
      ['POST', '/v2/models/intbool/infer', { inputs: [{ name: 'a', datatype: 'INT64', shape: [1, 3], data: [1, 2, 3] }] }, 400, /model intbool needs input "mask"/],
      ['POST', '/v1/models/linear:predict', '{"instances": [', 400, /^Unrecognized request format: /],
      ['POST', '/v2/models/linear/versions/2/infer', x('FP32', [1, 4], [1, 2, 3, 4]), 404, /^Model with name linear version 2 does not exist\.$/],
      ['POST', '/v2/models/intbool/versions/1/infer', {}, 501, /^Model versioning not supported yet\.$/],
      ['POST', '/v2/repository/models/nope/unload', undefined, 404, /does not exist/],
      ['GET', '/v2/models/linear/infer', undefined, 405, /Method Not Allowed/],
    ];
    for (const [method, path, body, status, message] of cases) {
      const r = await call(method, path, body);
      assert.equal(r.status, status, `${method} ${path}: ${r.text}`);
      assert.deepEqual(Object.keys(r.body), ['error'], `${method} ${path} answers {"error"}`);
      assert.match(r.body.error, message, `${method} ${path}`);
    }
    assert.equal((await call('GET', '/v2/models/linear/infer')).headers.get('allow'), 'POST');
    // A V2 body that is not an inference request is FastAPI's 422 {"detail": [...]}, as the kserve SDK answers.
    const detail = async (body: unknown): Promise<unknown> => {
      const r = await call('POST', '/v2/models/linear/infer', body);
      assert.equal(r.status, 422, r.text);
      return (JSON.parse(r.text) as { detail: unknown }).detail;
    };
    assert.deepEqual(await detail('{"inputs": ['), [{ type: 'json_invalid', loc: ['body', 12], msg: 'JSON decode error', input: {}, ctx: { error: 'Expecting value' } }]);
    assert.deepEqual(await detail(''), [{ type: 'missing', loc: ['body'], msg: 'Field required', input: null }]);
    assert.deepEqual(await detail({ inputs: [{ name: 'x', shape: [1.5], datatype: 'FP32', data: [1] }], outputs: 5 }), [
      { type: 'int_from_float', loc: ['body', 'InferenceRequest', 'inputs', 0, 'shape', 0], msg: 'Input should be a valid integer, got a number with a fractional part', input: 1.5 },
      { type: 'list_type', loc: ['body', 'InferenceRequest', 'outputs'], msg: 'Input should be a valid list', input: 5 },
      { type: 'bytes_type', loc: ['body', 'bytes'], msg: 'Input should be a valid bytes', input: { inputs: [{ name: 'x', shape: [1.5], datatype: 'FP32', data: [1] }], outputs: 5 } },
    ]);
    const large = await call('POST', '/v2/models/linear/infer', 'x'.repeat(2 * 1024 * 1024));
    assert.equal(large.status, 413);
    assert.match(large.body.error, /larger than 1048576 bytes/);
  });

  test('V1: model ready and predict with instances (or inputs)', async () => {
    const rows = [[1, 2, 3, 4], [-1, 0.5, 2, 1]];
    const r = await call('POST', '/v1/models/linear:predict', { instances: rows });
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(Object.keys(r.body), ['predictions']);
    assert.equal(r.body.predictions.length, 2);
    rows.forEach((row, i) => assertClose(r.body.predictions[i], linear(row), `predictions[${i}]`));
    const viaInputs = await call('POST', '/v1/models/linear:predict', { inputs: rows });
    assert.deepEqual(viaInputs.body, r.body);

    const errors: [string, unknown, number, RegExp][] = [
      ['/v1/models/linear:predict', { instances: { x: 1 } }, 400, /^Expected "instances" to be a list$/],
      ['/v1/models/linear:predict', { inputs: 'x' }, 400, /^Expected "inputs" to be a list$/],
      ['/v1/models/linear:predict', [1, 2], 400, /^Expected "instances" to be a list$/],
      ['/v1/models/linear:predict', { instances: [[1, 2, 3]] }, 400, /input "x" has shape \[1,3\]; model linear expects \[-1,4\]/],
      ['/v1/models/linear:predict', { instances: [[1, 2, 3, 4], [1, 2]] }, 400, /instances\[1\] has shape \[2\], instances\[0\] has \[4\]/],
      ['/v1/models/linear:predict', { instances: [['a', 2, 3, 4]] }, 400, /instances: data\[0\] is "a", expected a finite number for FP32/],
      ['/v1/models/intbool:predict', { instances: [[1, 2, 3]] }, 400, /model intbool has 2 inputs/],
      ['/v1/models/nope:predict', { instances: [] }, 404, /^Model with name nope does not exist\.$/],
      ['/v1/models/linear:explain', { instances: [] }, 501, /has no explainer/],
    ];
    for (const [path, body, status, message] of errors) {
      const e = await call('POST', path, body);
      assert.equal(e.status, status, `${path}: ${e.text}`);
      assert.match(e.body.error, message, path);
    }
    assert.equal((await call('GET', '/v1/models/nope')).status, 404);
  });

  test('the model repository extension loads and unloads through the loader', async () => {
    assert.deepEqual((await call('POST', '/v2/repository/models/linear-b/load')).body, { name: 'linear-b', load: true });
    assert.ok((await call('GET', '/v2/models')).body.models.includes('linear-b'));
    const r = await call('POST', '/v2/models/linear-b/infer', { inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 4], data: [1, 2, 3, 4] }] });
    assert.equal(r.status, 200, r.text);
    assertClose(r.body.outputs[0]?.data, linear([1, 2, 3, 4]), 'y');
    assert.deepEqual((await call('POST', '/v2/repository/models/linear-b/unload')).body, { name: 'linear-b', unload: true });
    assert.equal((await call('POST', '/v2/models/linear-b/infer', {})).status, 404);
    const bad = await call('POST', '/v2/repository/models/other/load');
    assert.equal(bad.status, 503);
    assert.equal(bad.body.error, 'Model with name other is not ready. Error type: Error error msg: no model other in the repository');
  });

  test('a model that is not ready answers 503, and so does server readiness', async () => {
    const model = await OnnxModel.load('linear-c', join(dir, 'linear.onnx'));
    await server.add(model);
    await model.unload();
    try {
      const ready = await call('GET', '/v2/models/linear-c/ready');
      assert.equal(ready.status, 503);
      assert.deepEqual(ready.body, { error: 'Model with name linear-c is not ready.' });
      assert.equal((await call('POST', '/v2/models/linear-c/infer', 'not even JSON')).status, 503, 'readiness is checked before the body');
      assert.equal((await call('GET', '/v1/models/linear-c')).status, 503);
      assert.equal((await call('POST', '/v1/models/linear-c:predict', { instances: [[1, 2, 3, 4]] })).status, 503);
      assert.deepEqual(await call('GET', '/v2/health/ready').then((r) => [r.status, r.body]), [503, { error: 'Server is not ready.' }]);
      assert.equal((await call('GET', '/v2/health/live')).status, 200);
    } finally {
      await server.remove('linear-c');
    }
    assert.equal((await call('GET', '/v2/health/ready')).status, 200);
  });

  test('/metrics: per-model request counts by code, predict latency, errors', async () => {
    const infer = { inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 4], data: [1, 2, 3, 4] }] };
    const before = await call('GET', '/metrics');
    const count = (text: string, series: string): number => {
      const line = text.split('\n').find((l) => l.startsWith(`${series} `));
      return line ? Number(line.slice(series.length + 1)) : 0;
    };
    for (let i = 0; i < 3; i++) assert.equal((await call('POST', '/v2/models/linear/infer', infer)).status, 200);
    assert.equal((await call('POST', '/v2/models/linear/infer', { inputs: [] })).status, 400);
    assert.equal((await call('POST', '/v2/models/ghost/infer', infer)).status, 404);
    const m = await call('GET', '/metrics');
    assert.equal(m.status, 200);
    assert.match(m.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
    const ok = 'floe_serving_requests_total{model_name="linear",endpoint="infer",code="200"}';
    assert.equal(count(m.text, ok) - count(before.text, ok), 3);
    const bad = 'floe_serving_requests_total{model_name="linear",endpoint="infer",code="400"}';
    assert.equal(count(m.text, bad) - count(before.text, bad), 1);
    assert.ok(count(m.text, 'floe_serving_requests_total{model_name="",endpoint="infer",code="404"}') >= 1, 'unknown models count under model_name=""');
    assert.ok(!m.text.includes('ghost'), 'an unknown model name does not become a label');
    const invalid = 'floe_serving_request_errors_total{model_name="linear",endpoint="infer",error="InvalidInput"}';
    assert.equal(count(m.text, invalid) - count(before.text, invalid), 1);
    // KServe python's histogram: only calls that reached the model are timed.
    const timed = 'request_predict_seconds_count{model_name="linear"}';
    assert.equal(count(m.text, timed) - count(before.text, timed), 3);
    assert.match(m.text, /# TYPE request_predict_seconds histogram/);
    assert.match(m.text, /request_predict_seconds_bucket\{le="0\.075",model_name="linear"\} \d+/);
    assert.match(m.text, /request_predict_seconds_count\{model_name="intbool"\} \d+/);
    assert.match(m.text, /floe_serving_requests_total\{model_name="linear",endpoint="predict",code="200"\} \d+/);
    assert.ok(!/^process_|^nodejs_/m.test(m.text), 'no default or global metrics in the server registry');
  });
});
