// What KServe's controller does with a predictor, checked on a real embedded Floe: model args appended to the
// runtime's and model env merged into it, a storageUri naming one file served as /mnt/models/<file>, an explicitly
// named runtime checked against the model at once (KServe's reasons and messages, no Pod), the deployment mode Floe
// really runs; and the data plane's answers as the kserve servers give them: the V2 id echoed, {"error": …} with
// 400/404/500 where the servers use it, FastAPI's 422 {"detail": …} for a V2 body that is not an inference request,
// and the in-process runtime's configurable request size limit (413).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { credentials, makeGenericClientConstructor } from '@grpc/grpc-js';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Client } from '../src/client/client.js';
import { InferenceServiceRef, type InferenceService } from '../src/controllers/serving/index.js';
import { inferenceService } from '../src/serving/grpc-inference.js';
import { startEmbeddedFloe, type EmbeddedFloe } from './helpers/embedded-floe.js';
import { freshNamespace } from './helpers/fixtures.js';
import { waitFor } from './helpers/wait.js';

const venv = (name: string): string => fileURLToPath(new URL(`../../.venvs/${name}/bin/python`, import.meta.url));
const kservePython = venv('kserve');
const torchPython = venv('torch');
const noKserve = existsSync(kservePython) && spawnSync(kservePython, ['-c', 'import kserve, sklearn'], { stdio: 'ignore' }).status === 0 ? false : `.venvs/kserve with the kserve SDK and scikit-learn is not installed (${kservePython}): tools/setup.mjs --with-training-envs builds it`;
const noTorch = existsSync(torchPython) ? false : `.venvs/torch is not installed (${torchPython}): tools/setup.mjs builds it (the test exports its ONNX model with torch)`;
const mlserverPython = venv('mlserver');
const noMlserver = existsSync(mlserverPython) ? false : `.venvs/mlserver is not installed (${mlserverPython})`;
if (noKserve) console.log(`# skipping the kserve-sklearnserver fidelity tests: ${noKserve}`);
if (noTorch) console.log(`# skipping the in-process ONNX fidelity test: ${noTorch}`);

const rows = [[5.1, 3.5, 1.4, 0.2], [6.7, 3.0, 5.2, 2.3]];

interface PodView {
  spec: { containers: { args?: string[]; env?: { name: string; value?: string }[] }[]; volumes?: { name: string; hostPath?: { path: string } }[] };
}

describe('KServe controller and data-plane fidelity (embedded)', () => {
  let env: EmbeddedFloe;
  let client: Client;
  let models: string;

  before(async () => {
    env = await startEmbeddedFloe('floe-kserve-fidelity-');
    client = env.floe.client;
    models = join(env.dataDir, 'models');
  });

  after(async () => {
    await env.stop();
  });

  const isvc = (ns: string, name: string, predictor: Record<string, unknown>, annotations?: Record<string, string>): InferenceService => ({
    apiVersion: 'serving.kserve.io/v1beta1',
    kind: 'InferenceService',
    metadata: { name, namespace: ns, ...(annotations ? { annotations } : {}) },
    spec: { predictor },
  });
  const condition = (i: InferenceService, type: string) => i.status?.conditions?.find((c) => c.type === type);
  const settled = (ns: string, name: string, what: string): Promise<InferenceService> =>
    waitFor(async () => {
      const i = await client.get<InferenceService>(InferenceServiceRef, name, ns);
      const ready = condition(i, 'Ready');
      if (ready?.status === 'False' && ready.reason !== 'RevisionNotReady') throw new Error(`${name} failed: ${ready.reason ?? ''}: ${ready.message ?? ''}`);
      return ready?.status === 'True' ? i : undefined;
    }, { what, timeoutMs: 240_000, intervalMs: 200 });
  const post = async (url: string, body: unknown): Promise<{ status: number; body: Record<string, unknown>; headers: Headers }> => {
    const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: typeof body === 'string' ? body : JSON.stringify(body) });
    return { status: res.status, body: (await res.json()) as Record<string, unknown>, headers: res.headers };
  };
  const trainIris = (file: string): void => {
    execFileSync(kservePython, ['-c', 'import sys, joblib; from sklearn.datasets import load_iris; from sklearn.linear_model import LogisticRegression; X, y = load_iris(return_X_y=True); joblib.dump(LogisticRegression(max_iter=500).fit(X, y), sys.argv[1])', file]);
  };

  test('model.args are appended to the runtime\'s args and model.env merged into its env; the deployment mode is the one Floe runs', { skip: noKserve }, async () => {
    const ns = await freshNamespace(client, 'kserve-merge');
    const dir = join(models, 'merge');
    mkdirSync(dir, { recursive: true });
    trainIris(join(dir, 'model.joblib'));
    await client.create(isvc(ns, 'iris', { sklearn: { storageUri: pathToFileURL(dir).href, args: ['--workers=1', '--enable_docs_url=true'], env: [{ name: 'PREDICT_PROBA', value: 'true' }] } }, { 'serving.kserve.io/deploymentMode': 'Serverless' }));
    const done = await settled(ns, 'iris', 'the InferenceService with model args and env to be Ready');
    const pod = await client.get<PodView & InferenceService>({ apiVersion: 'v1', kind: 'Pod' }, 'iris-predictor-00001', ns);
    const args = pod.spec.containers[0]?.args ?? [];
    assert.deepEqual(args.slice(0, 2), ['--model_name=iris', '--model_dir=/mnt/models'], 'the runtime\'s args come first');
    assert.match(args[2] ?? '', /^--http_port=\d+$/);
    assert.deepEqual(args.slice(3, 5), ['--workers=1', '--enable_docs_url=true'], 'then the model\'s');
    assert.ok(pod.spec.containers[0]?.env?.some((e) => e.name === 'PREDICT_PROBA' && e.value === 'true'));
    // Observable: the server has its model (--model_dir kept), serves /docs (the model's flag) and probabilities (the env).
    assert.equal((await fetch(`${done.status!.url!}/docs`)).status, 200);
    const answer = await post(`${done.status!.url!}/v1/models/iris:predict`, { instances: rows });
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    const probabilities = answer.body['predictions'] as number[][];
    assert.deepEqual(probabilities.map((p) => p.length), [3, 3]);
    assert.deepEqual(probabilities.map((p) => p.indexOf(Math.max(...p))), [0, 2]);
    // Serverless (KServe's legacy name for Knative mode) runs as Knative-mode revisions, and the status says so.
    assert.equal(done.status?.deploymentMode, 'Knative');
  });

  test('a storageUri naming one file is served as /mnt/models/<file>, without the files beside it; V2 answers and errors as the kserve SDK gives them', { skip: noKserve }, async () => {
    const ns = await freshNamespace(client, 'kserve-file');
    const dir = join(models, 'single');
    mkdirSync(dir, { recursive: true });
    trainIris(join(dir, 'iris.joblib'));
    // A second model file beside it: were the folder mounted, the server would refuse to choose.
    writeFileSync(join(dir, 'other.pkl'), 'not a model');
    await client.create(isvc(ns, 'iris', { model: { modelFormat: { name: 'sklearn' }, storageUri: pathToFileURL(join(dir, 'iris.joblib')).href } }));
    const done = await settled(ns, 'iris', 'the single-file InferenceService to be Ready');
    const pod = await client.get<PodView & InferenceService>({ apiVersion: 'v1', kind: 'Pod' }, 'iris-predictor-00001', ns);
    const mounted = pod.spec.volumes?.find((v) => v.name === 'kserve-provision-location')?.hostPath?.path;
    assert.ok(mounted);
    assert.deepEqual(readdirSync(mounted), ['iris.joblib']);
    const base = done.status!.url!;
    assert.deepEqual((await post(`${base}/v1/models/iris:predict`, { instances: rows })).body, { predictions: [0, 2] });
    const v2 = await post(`${base}/v2/models/iris/infer`, { id: 'req-42', inputs: [{ name: 'input-0', shape: [2, 4], datatype: 'FP32', data: rows.flat() }] });
    assert.equal(v2.status, 200);
    assert.equal(v2.body['id'], 'req-42', 'the V2 id is echoed');
    assert.match(v2.headers.get('content-type') ?? '', /application\/json/);
    // The answers of the kserve SDK's own server: 404 {"error"}, 422 {"detail"} for a body that is not a V2 request,
    // 400 {"error"} for V1 JSON it cannot parse, 500 {"error"} for what the model refuses.
    const unknown = await post(`${base}/v2/models/nope/infer`, { inputs: [] });
    assert.deepEqual([unknown.status, unknown.body], [404, { error: 'Model with name nope does not exist.' }]);
    const malformed = await post(`${base}/v2/models/iris/infer`, '{"inputs": [');
    assert.equal(malformed.status, 422);
    assert.equal((malformed.body['detail'] as { type: string }[])[0]?.type, 'json_invalid');
    const incomplete = await post(`${base}/v2/models/iris/infer`, { inputs: [{ name: 'input-0' }] });
    assert.equal(incomplete.status, 422);
    assert.deepEqual((incomplete.body['detail'] as { type: string; loc: unknown[] }[]).slice(0, 3).map((d) => [d.type, d.loc]), [
      ['missing', ['body', 'InferenceRequest', 'inputs', 0, 'shape']],
      ['missing', ['body', 'InferenceRequest', 'inputs', 0, 'datatype']],
      ['missing', ['body', 'InferenceRequest', 'inputs', 0, 'data']],
    ]);
    const v1Malformed = await post(`${base}/v1/models/iris:predict`, '{"instances": [');
    assert.equal(v1Malformed.status, 400);
    assert.match(String(v1Malformed.body['error']), /^Unrecognized request format: /);
    const refused = await post(`${base}/v1/models/iris:predict`, { instances: [[1, 2, 3]] });
    assert.deepEqual([refused.status, refused.body], [500, { error: 'X has 3 features, but LogisticRegression is expecting 4 features as input.' }]);
  });

  test('an explicitly named runtime that does not fit the model fails at once with KServe\'s reason and message, and starts nothing', async () => {
    const ns = await freshNamespace(client, 'kserve-explicit');
    const storageUri = pathToFileURL(models).href;
    await client.create(isvc(ns, 'format', { model: { modelFormat: { name: 'sklearn' }, runtime: 'kserve-xgbserver', storageUri } }));
    await client.create(isvc(ns, 'protocol', { model: { modelFormat: { name: 'sklearn' }, runtime: 'kserve-sklearnserver', protocolVersion: 'grpc-v1', storageUri } }));
    await client.create(isvc(ns, 'unknown', { model: { modelFormat: { name: 'sklearn' }, runtime: 'no-such-runtime', storageUri } }));
    const expected: Record<string, [string, string]> = {
      format: ['NoSupportingRuntime', 'Specified runtime does not support specified framework/version'],
      protocol: ['NoSupportingRuntime', 'Specified runtime does not support specified protocol version'],
      unknown: ['RuntimeNotRecognized', 'Waiting for runtime to become available'],
    };
    for (const [name, [reason, message]] of Object.entries(expected)) {
      const failed = await waitFor(async () => {
        const i = await client.get<InferenceService>(InferenceServiceRef, name, ns);
        return condition(i, 'Ready')?.status === 'False' ? i : undefined;
      }, { what: `${name} to fail`, timeoutMs: 60_000 });
      assert.equal(condition(failed, 'PredictorReady')?.reason, reason, name);
      assert.equal(failed.status?.modelStatus?.transitionStatus, 'InvalidSpec');
      assert.deepEqual([failed.status?.modelStatus?.lastFailureInfo?.reason, failed.status?.modelStatus?.lastFailureInfo?.message], [reason, message]);
    }
    assert.match(condition(await client.get<InferenceService>(InferenceServiceRef, 'format', ns), 'Ready')?.message ?? '', /kserve-xgbserver does not support specified framework\/version sklearn/);
    assert.equal((await client.list({ apiVersion: 'v1', kind: 'Pod' }, { namespace: ns })).items.length, 0, 'no Pod was started for a runtime that does not fit');
  });

  test('in-process ONNX: the request size limit is set by annotation (413 above it); V2 answers and errors as the kserve SDK gives them', { skip: noTorch }, async () => {
    const ns = await freshNamespace(client, 'kserve-inproc');
    const dir = join(models, 'onnx');
    mkdirSync(dir, { recursive: true });
    const script = 'import sys, torch\nm = torch.nn.Linear(4, 2)\ntorch.onnx.export(m, torch.zeros(1, 4), sys.argv[1], input_names=["input"], output_names=["output"], dynamic_axes={"input": {0: "batch"}, "output": {0: "batch"}}, dynamo=False)';
    execFileSync(torchPython, ['-c', script, join(dir, 'model.onnx')], { stdio: 'pipe' });
    await client.create(isvc(ns, 'linear', { onnx: { storageUri: pathToFileURL(join(dir, 'model.onnx')).href } }, { 'serving.floe.dev/max-request-bytes': '2048' }));
    const done = await settled(ns, 'linear', 'the ONNX InferenceService to be Ready');
    assert.equal(done.status?.clusterServingRuntimeName, 'floe-onnxruntime');
    const url = `${done.status.url!}/v2/models/linear/infer`;
    const small = await post(url, { id: 'small-1', inputs: [{ name: 'input', shape: [1, 4], datatype: 'FP32', data: [1, 2, 3, 4] }] });
    assert.equal(small.status, 200, JSON.stringify(small.body));
    assert.equal(small.body['id'], 'small-1');
    const many = Array.from({ length: 200 }, () => [1.5, 2.5, 3.5, 4.5]);
    const big = await post(url, { inputs: [{ name: 'input', shape: [200, 4], datatype: 'FP32', data: many.flat() }] });
    assert.equal(big.status, 413);
    assert.match(String(big.body['error']), /2048 bytes/);
    const malformed = await post(url, '{"inputs": [');
    assert.equal(malformed.status, 422);
    assert.deepEqual(Object.keys(malformed.body), ['detail']);
    assert.equal((malformed.body['detail'] as { type: string; msg: string }[])[0]?.msg, 'JSON decode error');
    const incomplete = await post(url, { inputs: [{ name: 'input' }] });
    assert.equal(incomplete.status, 422);
    assert.deepEqual((incomplete.body['detail'] as { type: string; loc: unknown[]; msg: string }[]).slice(0, 3).map((d) => [d.type, d.loc, d.msg]), [
      ['missing', ['body', 'InferenceRequest', 'inputs', 0, 'shape'], 'Field required'],
      ['missing', ['body', 'InferenceRequest', 'inputs', 0, 'datatype'], 'Field required'],
      ['missing', ['body', 'InferenceRequest', 'inputs', 0, 'data'], 'Field required'],
    ]);
    const v1Malformed = await post(`${done.status.url!}/v1/models/linear:predict`, '{"instances": [');
    assert.equal(v1Malformed.status, 400);
    assert.match(String(v1Malformed.body['error']), /^Unrecognized request format: /);
  });
  // KServe's test/e2e/graph runs its InferenceGraphs over two stand-in predictors, success-200-isvc and error-404-isvc;
  // here they are one small HTTP server in its own process, called through `serviceUrl` steps.
  test('InferenceGraph: Switch, Sequence, Splitter and Ensemble answer as KServe\'s router, with its GJSON conditions and error bodies', async () => {
    const stub = spawn(process.execPath, ['-e', `
      const http = require('node:http');
      http.createServer((req, res) => {
        const chunks = [];
        req.on('data', (c) => chunks.push(c)).on('end', () => {
          const body = Buffer.concat(chunks).toString();
          if (req.url === '/error') { res.writeHead(404, { 'content-type': 'application/json' }); res.end(JSON.stringify({ detail: 'Intentional 404 code' })); return; }
          if (req.url === '/echo') { res.writeHead(200, { 'content-type': 'application/json' }); res.end(body); return; }
          if (req.url === '/text') { res.writeHead(200, { 'content-type': 'text/plain' }); res.end('plain words'); return; }
          if (req.url === '/list') { res.writeHead(200, { 'content-type': 'application/json' }); res.end('[1,2]'); return; }
          res.writeHead(200, { 'content-type': 'application/json' }); res.end(JSON.stringify({ message: 'SUCCESS', z: 1, a: { y: 2, b: 3 } }));
        });
      }).listen(0, '127.0.0.1', function () { console.log(this.address().port); });`], { stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      const port = await new Promise<number>((resolve, reject) => {
        stub.stdout.once('data', (d: Buffer) => resolve(Number(d.toString().trim())));
        stub.once('exit', (code) => reject(new Error(`the stand-in server exited (${code ?? 'signal'})`)));
      });
      const ok = `http://127.0.0.1:${port}/success`;
      const error = `http://127.0.0.1:${port}/error`;
      const echo = `http://127.0.0.1:${port}/echo`;
      const ns = await freshNamespace(client, 'kserve-graph');
      const graph = (name: string, nodes: Record<string, unknown>) => ({ apiVersion: 'serving.kserve.io/v1alpha1', kind: 'InferenceGraph', metadata: { name, namespace: ns }, spec: { nodes } });
      const graphs: Record<string, Record<string, unknown>> = {
        // ig_test_switch_scenario_4: a Switch on the request, unquoted values.
        switch: { root: { routerType: 'Switch', steps: [{ serviceUrl: error, condition: '[@this].#(decision_picker==ERROR)', dependency: 'Soft' }, { serviceUrl: ok, condition: '[@this].#(decision_picker==SUCCESS)', dependency: 'Soft' }] } },
        // ig_test_switch_scenario_5 / 6: success, then a nested Switch whose matching step fails (Soft goes on, Hard stops).
        soft: { root: { routerType: 'Sequence', steps: [{ nodeName: 'node1', dependency: 'Soft' }, { serviceUrl: ok }] }, node1: { routerType: 'Switch', steps: [{ serviceUrl: error, condition: '[@this].#(decision_picker==ERROR)' }] } },
        hard: { root: { routerType: 'Sequence', steps: [{ nodeName: 'node1', dependency: 'Hard' }, { serviceUrl: ok }] }, node1: { routerType: 'Switch', steps: [{ serviceUrl: error, condition: '[@this].#(decision_picker==ERROR)', dependency: 'Hard' }] } },
        // docs/samples/graph/switch.yaml: object matching, array matching, pattern matching; a step without a condition never matches.
        samples: { root: { routerType: 'Switch', steps: [{ serviceUrl: `${echo}?x`, condition: 'nothing', name: 'no' }, { serviceUrl: error, condition: '[@this].#(source==client)' }, { serviceUrl: ok, condition: 'instances.#(intval>10)' }, { serviceUrl: echo, condition: 'instances.#(strval%*red-server*)' }, { serviceUrl: ok }] } },
        // A Sequence's condition reads the previous answer; on the first step there is none (KServe: 500 invalid response).
        seq: { root: { routerType: 'Sequence', steps: [{ serviceUrl: echo }, { serviceUrl: ok, condition: 'keep.#(>1)', data: '$response' }] } },
        first: { root: { routerType: 'Sequence', steps: [{ serviceUrl: ok, condition: '@this' }] } },
        // Ensemble: the answers by step name, marshalled by Go (sorted keys); an answer that is not a JSON object is a 500.
        ensemble: { root: { routerType: 'Ensemble', steps: [{ name: 'second', serviceUrl: ok }, { name: 'first', serviceUrl: echo }] } },
        badensemble: { root: { routerType: 'Ensemble', steps: [{ name: 'l', serviceUrl: `http://127.0.0.1:${port}/list` }] } },
        text: { root: { routerType: 'Splitter', steps: [{ serviceUrl: `http://127.0.0.1:${port}/text`, weight: 100 }] } },
        down: { root: { routerType: 'Sequence', steps: [{ serviceUrl: 'http://127.0.0.1:9/nothing' }] } },
      };
      for (const [name, nodes] of Object.entries(graphs)) await client.create(graph(name, nodes));
      const url = async (name: string): Promise<string> =>
        waitFor(async () => {
          const g = await client.get<{ status?: { url?: string; conditions?: { type: string; status: string }[] } } & InferenceService>({ apiVersion: 'serving.kserve.io/v1alpha1', kind: 'InferenceGraph' }, name, ns);
          return g.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ? g.status.url : undefined;
        }, { what: `graph ${name} to be Ready`, timeoutMs: 60_000 });
      const send = async (name: string, body: unknown): Promise<{ status: number; text: string; type: string | null }> => {
        const res = await fetch(await url(name), { method: 'POST', headers: { 'content-type': 'application/json' }, body: typeof body === 'string' ? body : JSON.stringify(body) });
        return { status: res.status, text: await res.text(), type: res.headers.get('content-type') };
      };
      const noMatch = JSON.stringify({ error: 'Failed to process request', cause: 'None of the routes matched with the switch condition' });

      assert.deepEqual(await send('switch', { decision_picker: 'ERROR' }), { status: 404, text: '{"detail":"Intentional 404 code"}', type: 'application/json' });
      assert.deepEqual(await send('switch', { decision_picker: 'SUCCESS' }), { status: 200, text: '{"message":"SUCCESS","z":1,"a":{"y":2,"b":3}}', type: 'application/json' }, 'the answer\'s bytes pass through');
      assert.deepEqual(await send('switch', { decision_picker: 'NO_MATCH' }), { status: 404, text: noMatch, type: 'application/json' });
      assert.deepEqual(await send('switch', '{"decision_picker": "ERROR"'), { status: 404, text: noMatch, type: 'application/json' }, 'a body that is not JSON matches nothing');

      assert.equal((await send('soft', { decision_picker: 'ERROR' })).status, 200, 'a Soft failure goes on to the next step');
      assert.deepEqual(await send('hard', { decision_picker: 'ERROR' }), { status: 404, text: '{"detail":"Intentional 404 code"}', type: 'application/json' }, 'a Hard failure stops the sequence with its answer');
      assert.deepEqual(await send('hard', { decision_picker: 'OTHER' }), { status: 404, text: noMatch, type: 'application/json' });

      assert.equal((await send('samples', { source: 'client' })).text, '{"detail":"Intentional 404 code"}');
      assert.equal((await send('samples', { instances: [{ intval: 3 }, { intval: 11 }] })).text, '{"message":"SUCCESS","z":1,"a":{"y":2,"b":3}}');
      const red = { instances: [{ intval: 1, strval: 'the-red-server-7' }] };
      assert.deepEqual(JSON.parse((await send('samples', red)).text), red);
      assert.deepEqual(await send('samples', { instances: [{ intval: 1, strval: 'blue' }] }), { status: 404, text: noMatch, type: 'application/json' });

      assert.equal((await send('seq', { keep: [0, 5] })).text, '{"message":"SUCCESS","z":1,"a":{"y":2,"b":3}}');
      assert.deepEqual(await send('seq', { keep: [0, 1] }), { status: 200, text: '{"keep":[0,1]}', type: 'application/json' }, 'a condition that fails ends with the previous answer');
      assert.deepEqual(await send('first', {}), { status: 500, text: JSON.stringify({ error: 'Failed to process request', cause: 'invalid response' }), type: 'application/json' });

      assert.deepEqual(await send('ensemble', { q: 1, b: [2] }), { status: 200, text: '{"first":{"b":[2],"q":1},"second":{"a":{"b":3,"y":2},"message":"SUCCESS","z":1}}', type: 'application/json' });
      const bad = await send('badensemble', {});
      assert.equal(bad.status, 500);
      assert.equal((JSON.parse(bad.text) as { error: string }).error, 'Failed to process request');
      assert.deepEqual(await send('text', {}), { status: 200, text: 'plain words', type: null }, 'an answer that is not JSON is not labelled JSON');
      const down = await send('down', {});
      assert.equal(down.status, 500);
      assert.match((JSON.parse(down.text) as { cause: string }).cause, /^Post "http:\/\/127\.0\.0\.1:9\/nothing": /);
    } finally {
      stub.kill();
    }
  });
  // KServe's test_sklearn_v2_mixed(_grpc): a pipeline over string and integer columns, asked with BYTES and INT32
  // inputs and `content_type: pd`, which the kserve SDK turns into a DataFrame; MLServer decodes the same request with
  // its pandas codec, each BYTES input marked `content_type: str`. The model is trained here (KServe's comes from GCS).
  test('mixed-type V2 inputs (BYTES with INT32, the pd codec) reach kserve-sklearnserver over REST and gRPC, and MLServer', { skip: noKserve || noMlserver }, async () => {
    const ns = await freshNamespace(client, 'kserve-mixed');
    const dir = join(models, 'mixed');
    mkdirSync(dir, { recursive: true });
    const train = [
      'import sys, json, joblib, numpy as np, pandas as pd',
      'from sklearn.compose import ColumnTransformer',
      'from sklearn.preprocessing import OneHotEncoder',
      'from sklearn.linear_model import Ridge',
      'from sklearn.pipeline import Pipeline',
      'rng = np.random.default_rng(0); n = 80',
      'df = pd.DataFrame({"MSZoning": rng.choice(["RL", "RM", "FV"], n), "LotArea": rng.integers(5000, 15000, n), "LotShape": rng.choice(["Reg", "IR1"], n), "YrSold": rng.integers(2006, 2010, n)})',
      'y = df.LotArea * 0.001 + (df.MSZoning == "RL") * 3 + (df.YrSold - 2006) + (df.LotShape == "Reg") * 0.5',
      'pipe = Pipeline([("prep", ColumnTransformer([("cat", OneHotEncoder(), ["MSZoning", "LotShape"])], remainder="passthrough")), ("model", Ridge())]).fit(df, y)',
      'joblib.dump(pipe, sys.argv[1])',
      'print(json.dumps(pipe.predict(pd.DataFrame({"MSZoning": ["RL", "FV"], "LotArea": [8450, 9600], "LotShape": ["Reg", "IR1"], "YrSold": [2008, 2007]})).tolist()))',
    ].join('\n');
    const expected = JSON.parse(execFileSync(kservePython, ['-c', train, join(dir, 'model.joblib')], { encoding: 'utf8' })) as number[];
    await client.create(isvc(ns, 'house', { model: { modelFormat: { name: 'sklearn' }, runtime: 'kserve-sklearnserver', storageUri: pathToFileURL(dir).href } }));
    await client.create(isvc(ns, 'house-mls', { model: { modelFormat: { name: 'sklearn' }, protocolVersion: 'v2', runtime: 'kserve-mlserver', storageUri: pathToFileURL(dir).href } }));
    const house = await settled(ns, 'house', 'the kserve-sklearnserver InferenceService to be Ready');
    const columns = { MSZoning: ['RL', 'FV'], LotArea: [8450, 9600], LotShape: ['Reg', 'IR1'], YrSold: [2008, 2007] };
    const inputs = (str?: boolean) =>
      Object.entries(columns).map(([name, data]) => ({ name, shape: [2], datatype: typeof data[0] === 'string' ? 'BYTES' : 'INT32', data, ...(str && typeof data[0] === 'string' ? { parameters: { content_type: 'str' } } : {}) }));
    const near = (got: number[], what: string): void => {
      assert.equal(got.length, expected.length, what);
      got.forEach((v, i) => assert.ok(Math.abs(v - expected[i]!) < 1e-9, `${what}: ${v} vs ${expected[i]!}`));
    };

    // REST, the kserve SDK's pd decoding: every input a column, in the request's order.
    const rest = await post(`${house.status!.url!}/v2/models/house/infer`, { id: 'mixed-1', parameters: { content_type: 'pd' }, inputs: inputs() });
    assert.equal(rest.status, 200, JSON.stringify(rest.body));
    assert.equal(rest.body['id'], 'mixed-1');
    assert.equal(rest.headers.get('content-type'), 'application/json');
    near((rest.body['outputs'] as { data: number[] }[])[0]!.data, 'REST pd');
    // Without pd the SDK reads the first input alone (a BYTES column): the model refuses it, as KServe's server does.
    const first = await post(`${house.status!.url!}/v2/models/house/infer`, { inputs: inputs() });
    assert.equal(first.status, 500);
    assert.deepEqual(Object.keys(first.body), ['error']);

    // gRPC through Floe's ingress: bytes_contents and int_contents, the pd parameter as an InferParameter.
    const Ctor = makeGenericClientConstructor(inferenceService(), 'GRPCInferenceService');
    const grpc = new Ctor(`127.0.0.1:${env.floe.port}`, credentials.createInsecure(), { 'grpc.default_authority': `house.${ns}.example.com` }) as unknown as Record<string, (req: unknown, cb: (err: Error | null, res?: { id: string; outputs: { contents: { fp64_contents: number[] } }[] }) => void) => void> & { close(): void };
    try {
      const request = {
        model_name: 'house',
        id: 'mixed-grpc',
        parameters: { content_type: { string_param: 'pd' } },
        inputs: Object.entries(columns).map(([name, data]) =>
          typeof data[0] === 'string' ? { name, shape: [2], datatype: 'BYTES', contents: { bytes_contents: (data as string[]).map((v) => Buffer.from(v)) } } : { name, shape: [2], datatype: 'INT32', contents: { int_contents: data } },
        ),
      };
      const answer = await new Promise<{ id: string; outputs: { contents: { fp64_contents: number[] } }[] }>((resolve, reject) => grpc['ModelInfer']!(request, (err, res) => (err ? reject(err) : resolve(res!))));
      assert.equal(answer.id, 'mixed-grpc');
      near(answer.outputs[0]!.contents.fp64_contents, 'gRPC pd');
    } finally {
      grpc.close();
    }

    // MLServer: the pandas codec, with each BYTES input marked as strings.
    const mls = await settled(ns, 'house-mls', 'the kserve-mlserver InferenceService to be Ready');
    const viaMls = await post(`${mls.status!.url!}/v2/models/house-mls/infer`, { id: 'mixed-2', parameters: { content_type: 'pd' }, inputs: inputs(true) });
    assert.equal(viaMls.status, 200, JSON.stringify(viaMls.body));
    assert.equal(viaMls.body['id'], 'mixed-2');
    near((viaMls.body['outputs'] as { data: number[] }[])[0]!.data, 'MLServer pd');
    // MLServer's own error shapes pass through: a body that is not an inference request is FastAPI's 422 detail list,
    // a model it does not have is its 404 error.
    const malformed = await post(`${mls.status!.url!}/v2/models/house-mls/infer`, { inputs: [{ name: 'x' }] });
    assert.equal(malformed.status, 422, JSON.stringify(malformed.body));
    assert.deepEqual(Object.keys(malformed.body), ['detail']);
    const unknown = await post(`${mls.status!.url!}/v2/models/nothing/infer`, { inputs: inputs(true) });
    assert.equal(unknown.status, 404);
    assert.deepEqual(unknown.body, { error: 'Model nothing not found' });
  });
});
