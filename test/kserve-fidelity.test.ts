// What KServe's controller does with a predictor, checked on a real embedded Floe: model args appended to the
// runtime's and model env merged into it, a storageUri naming one file served as /mnt/models/<file>, an explicitly
// named runtime checked against the model at once (KServe's reasons and messages, no Pod), the deployment mode Floe
// really runs; and the data plane's answers as the kserve servers give them: the V2 id echoed, {"error": …} with
// 400/404/500 where the servers use it, FastAPI's 422 {"detail": …} for a V2 body that is not an inference request,
// and the in-process runtime's configurable request size limit (413).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Client } from '../src/client/client.js';
import { InferenceServiceRef, type InferenceService } from '../src/controllers/serving/index.js';
import { startEmbeddedFloe, type EmbeddedFloe } from './helpers/embedded-floe.js';
import { freshNamespace } from './helpers/fixtures.js';
import { waitFor } from './helpers/wait.js';

const venv = (name: string): string => fileURLToPath(new URL(`../../.venvs/${name}/bin/python`, import.meta.url));
const kservePython = venv('kserve');
const torchPython = venv('torch');
const noKserve = existsSync(kservePython) && spawnSync(kservePython, ['-c', 'import kserve, sklearn'], { stdio: 'ignore' }).status === 0 ? false : `.venvs/kserve with the kserve SDK and scikit-learn is not installed (${kservePython}): tools/setup.mjs --with-training-envs builds it`;
const noTorch = existsSync(torchPython) ? false : `.venvs/torch is not installed (${torchPython}): tools/setup.mjs builds it (the test exports its ONNX model with torch)`;
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
});
