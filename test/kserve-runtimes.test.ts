// KServe's standard runtimes on a real embedded Floe: the ClusterServingRuntimes KServe installs, the runtime each
// predictor shorthand gets (and why the ones that cannot run here do not), and models trained here with the
// environments' own libraries served for real: XGBoost on kserve-xgbserver and LightGBM on kserve-lgbserver (V1 and
// V2), LightGBM and MLflow on kserve-mlserver (V2), with MLServer's JSON error bodies.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Client } from '../src/client/client.js';
import { ClusterServingRuntimeRef, InferenceServiceRef, type InferenceService, type ServingRuntime } from '../src/controllers/serving/index.js';
import { startEmbeddedFloe, type EmbeddedFloe } from './helpers/embedded-floe.js';
import { freshNamespace } from './helpers/fixtures.js';
import { waitFor } from './helpers/wait.js';

const venv = (name: string): string => fileURLToPath(new URL(`../../.venvs/${name}/bin/python`, import.meta.url));
const kservePython = venv('kserve');
const mlserverPython = venv('mlserver');

/** Why a test cannot run: the environment is missing or lacks a module (false when it has them all). */
function lacks(python: string, env: string, modules: string[]): string | false {
  if (!existsSync(python)) return `.venvs/${env} is not installed (${python}): tools/setup.mjs --with-training-envs builds it`;
  const probe = spawnSync(python, ['-c', `import ${modules.join(', ')}`], { encoding: 'utf8' });
  return probe.status === 0 ? false : `.venvs/${env} lacks ${modules.join(' or ')}: rebuild it from python/envs/${env}/requirements.txt`;
}
const noBoosters = lacks(kservePython, 'kserve', ['kserve', 'xgboost', 'lightgbm']);
const noMlserver = lacks(mlserverPython, 'mlserver', ['mlserver_lightgbm', 'mlserver_mlflow', 'mlflow.sklearn']);
const tensorflowPython = venv('tensorflow');
const noTensorflow = lacks(tensorflowPython, 'tensorflow', ['tensorflow']);
if (noTensorflow) console.log(`# skipping the kserve-tensorflow-serving test: ${noTensorflow}`);
if (noBoosters) console.log(`# skipping the kserve-xgbserver and kserve-lgbserver tests: ${noBoosters}`);
if (noMlserver) console.log(`# skipping the MLServer lightgbm and mlflow tests: ${noMlserver}`);

const iris = 'from sklearn.datasets import load_iris; X, y = load_iris(return_X_y=True)';
const rows = [[5.1, 3.5, 1.4, 0.2], [6.7, 3.0, 5.2, 2.3]];

/**
 * A SavedModel per version folder (TF Serving's layout): `serving_default` scores rows of 3 against W (version 1: the
 * identity's first two columns, version 2: doubled) and names the argmax; `tagged` takes two inputs, one a string.
 */
const savedModels = `
import sys, tensorflow as tf
class M(tf.Module):
    def __init__(self, scale):
        self.w = tf.Variable([[1.0, 0.0], [0.0, 1.0], [0.5, 0.5]]) * scale
    @tf.function(input_signature=[tf.TensorSpec([None, 3], tf.float32, name="x")])
    def serve(self, x):
        y = tf.matmul(x, self.w)
        return {"scores": y, "label": tf.argmax(y, axis=1)}
    @tf.function(input_signature=[tf.TensorSpec([None, 3], tf.float32, name="x"), tf.TensorSpec([None], tf.string, name="tag")])
    def tagged(self, x, tag):
        return {"total": tf.reduce_sum(x, axis=1), "tag": tf.strings.upper(tag)}
for version, scale in ((1, 1.0), (2, 2.0)):
    m = M(scale)
    tf.saved_model.save(m, f"{sys.argv[1]}/{version}", signatures={"serving_default": m.serve, "tagged": m.tagged})
`;

describe('KServe standard runtimes (embedded)', () => {
  let env: EmbeddedFloe;
  let client: Client;
  let models: string;

  before(async () => {
    env = await startEmbeddedFloe('floe-kserve-runtimes-');
    client = env.floe.client;
    models = join(env.dataDir, 'models');
  });

  after(async () => {
    await env.stop();
  });

  const isvc = (ns: string, name: string, predictor: Record<string, unknown>): InferenceService => ({ apiVersion: 'serving.kserve.io/v1beta1', kind: 'InferenceService', metadata: { name, namespace: ns }, spec: { predictor } });
  const condition = (i: InferenceService, type: string) => i.status?.conditions?.find((c) => c.type === type);
  const settled = (ns: string, name: string, what: string, timeoutMs = 240_000): Promise<InferenceService> =>
    waitFor(async () => {
      const i = await client.get<InferenceService>(InferenceServiceRef, name, ns);
      const ready = condition(i, 'Ready');
      if (ready?.status === 'False' && ready.reason !== 'RevisionNotReady') throw new Error(`${name} failed: ${ready.reason ?? ''}: ${ready.message ?? ''}`);
      return ready?.status === 'True' ? i : undefined;
    }, { what, timeoutMs, intervalMs: 200 });
  const post = async (url: string, body: unknown): Promise<{ status: number; body: Record<string, unknown> }> => {
    const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };
  const v2 = (data: number[][], id?: string): Record<string, unknown> => ({ ...(id ? { id } : {}), inputs: [{ name: 'input-0', shape: [data.length, data[0]!.length], datatype: 'FP32', data: data.flat() }] });

  test('the ClusterServingRuntimes KServe installs are there, with its formats, priorities and protocols', async () => {
    const runtimes = (await client.list<ServingRuntime>(ClusterServingRuntimeRef)).items;
    const get = (name: string): ServingRuntime => {
      const r = runtimes.find((x) => x.metadata.name === name);
      assert.ok(r, `ClusterServingRuntime ${name}`);
      return r;
    };
    for (const name of ['kserve-sklearnserver', 'kserve-xgbserver', 'kserve-lgbserver', 'kserve-mlserver', 'kserve-tensorflow-serving', 'kserve-torchserve', 'kserve-huggingfaceserver', 'kserve-pmmlserver', 'kserve-tritonserver']) get(name);
    assert.deepEqual(get('kserve-xgbserver').spec.supportedModelFormats, [{ name: 'xgboost', version: '2', autoSelect: true, priority: 1 }]);
    assert.deepEqual(get('kserve-xgbserver').spec.protocolVersions, ['v1', 'v2']);
    assert.deepEqual(get('kserve-lgbserver').spec.supportedModelFormats, [{ name: 'lightgbm', version: '4', autoSelect: true, priority: 1 }]);
    assert.deepEqual(new Set(get('kserve-mlserver').spec.supportedModelFormats?.map((f) => f.name)), new Set(['sklearn', 'xgboost', 'lightgbm', 'mlflow']));
    assert.deepEqual(get('kserve-mlserver').spec.protocolVersions, ['v2']);
    assert.equal(get('kserve-mlserver').metadata.annotations?.['serving.kserve.io/server-type'], 'mlserver');
  });

  test('each predictor shorthand gets the runtime KServe gives it; a runtime that cannot run here says which and why', async () => {
    const ns = await freshNamespace(client, 'kserve-shorthands');
    const nowhere = pathToFileURL(join(models, 'not-there')).href;
    const cases: [string, Record<string, unknown>, string, string][] = [
      ['sk', { sklearn: { storageUri: nowhere } }, 'kserve-sklearnserver', 'InvalidPredictorSpec'],
      ['sk-v2', { sklearn: { storageUri: nowhere, protocolVersion: 'v2' } }, 'kserve-mlserver', 'InvalidPredictorSpec'],
      ['xgb', { xgboost: { storageUri: nowhere } }, 'kserve-xgbserver', 'InvalidPredictorSpec'],
      ['xgb-v2', { xgboost: { storageUri: nowhere, protocolVersion: 'v2' } }, 'kserve-mlserver', 'InvalidPredictorSpec'],
      ['lgb', { lightgbm: { storageUri: nowhere } }, 'kserve-lgbserver', 'InvalidPredictorSpec'],
      ['onnx', { onnx: { storageUri: nowhere } }, 'floe-onnxruntime', 'InvalidPredictorSpec'],
      ['tf', { tensorflow: { storageUri: nowhere } }, 'kserve-tensorflow-serving', 'InvalidPredictorSpec'],
      ['torch', { pytorch: { storageUri: nowhere } }, 'kserve-torchserve', 'InvalidPredictorSpec'],
      ['hf', { huggingface: { storageUri: nowhere } }, 'kserve-huggingfaceserver', 'InvalidPredictorSpec'],
      ['pmml', { pmml: { storageUri: nowhere } }, 'kserve-pmmlserver', 'InvalidPredictorSpec'],
      ['triton', { triton: { storageUri: nowhere } }, 'kserve-tritonserver', 'RuntimeUnavailable'],
    ];
    for (const [name, predictor] of cases) await client.create(isvc(ns, name, predictor));
    for (const [name, , runtime, reason] of cases) {
      const failed = await waitFor(async () => {
        const i = await client.get<InferenceService>(InferenceServiceRef, name, ns);
        return condition(i, 'Ready')?.status === 'False' ? i : undefined;
      }, { what: `${name} to report its runtime`, timeoutMs: 60_000 });
      assert.equal(failed.status?.clusterServingRuntimeName, runtime, name);
      assert.equal(condition(failed, 'PredictorReady')?.reason, reason, `${name}: ${condition(failed, 'PredictorReady')?.message ?? ''}`);
      if (reason === 'RuntimeUnavailable') {
        assert.match(condition(failed, 'PredictorReady')?.message ?? '', new RegExp(`${runtime} serves model format .* cannot run on this machine: .*not installed here`));
        assert.equal(failed.status?.modelStatus?.transitionStatus, 'BlockedByFailedLoad');
      } else {
        assert.match(condition(failed, 'PredictorReady')?.message ?? '', /does not exist/);
      }
    }
  });

  test('kserve-xgbserver: an XGBoost booster (model.bst) answers V1 and V2 predict, echoes the V2 id, and reports XGBoost\'s errors as KServe does', { skip: noBoosters }, async () => {
    const ns = await freshNamespace(client, 'kserve-xgb');
    const dir = join(models, 'xgb');
    mkdirSync(dir, { recursive: true });
    execFileSync(kservePython, ['-c', `import sys, xgboost as xgb; ${iris}; xgb.train({"objective": "multi:softmax", "num_class": 3, "nthread": 1}, xgb.DMatrix(X, label=y), num_boost_round=10).save_model(sys.argv[1] + "/model.bst")`, dir], { stdio: 'pipe' });
    await client.create(isvc(ns, 'flowers', { xgboost: { storageUri: pathToFileURL(dir).href } }));
    const done = await settled(ns, 'flowers', 'the XGBoost InferenceService to be Ready');
    assert.equal(done.status?.clusterServingRuntimeName, 'kserve-xgbserver');
    const base = done.status.url!;
    assert.deepEqual(await post(`${base}/v1/models/flowers:predict`, { instances: rows }), { status: 200, body: { predictions: [0, 2] } });
    const answer = await post(`${base}/v2/models/flowers/infer`, v2(rows, 'req-xgb-1'));
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    assert.equal(answer.body['id'], 'req-xgb-1');
    assert.equal(answer.body['model_name'], 'flowers');
    assert.deepEqual(answer.body['outputs'], [{ name: 'output-0', shape: [2], datatype: 'FP32', parameters: null, data: [0, 2] }]);
    // A request XGBoost cannot read is KServe's InferenceError: 500 and {"error": …}.
    const bad = await post(`${base}/v1/models/flowers:predict`, { instances: [['a', 'b', 'c', 'd']] });
    assert.equal(bad.status, 500);
    assert.equal(typeof bad.body['error'], 'string');
  });

  test('kserve-lgbserver: a LightGBM booster (model.bst) answers V1 and V2 predict with class probabilities', { skip: noBoosters }, async () => {
    const ns = await freshNamespace(client, 'kserve-lgb');
    const dir = join(models, 'lgb');
    mkdirSync(dir, { recursive: true });
    execFileSync(kservePython, ['-c', `import sys, lightgbm as lgb; ${iris}; lgb.train({"objective": "multiclass", "num_class": 3, "verbose": -1, "num_threads": 1}, lgb.Dataset(X, label=y), num_boost_round=10).save_model(sys.argv[1] + "/model.bst")`, dir], { stdio: 'pipe' });
    await client.create(isvc(ns, 'flowers', { model: { modelFormat: { name: 'lightgbm' }, storageUri: pathToFileURL(dir).href } }));
    const done = await settled(ns, 'flowers', 'the LightGBM InferenceService to be Ready');
    assert.equal(done.status?.clusterServingRuntimeName, 'kserve-lgbserver');
    const base = done.status.url!;
    const v1 = await post(`${base}/v1/models/flowers:predict`, { instances: rows });
    assert.equal(v1.status, 200, JSON.stringify(v1.body));
    const probabilities = v1.body['predictions'] as number[][];
    assert.deepEqual(probabilities.map((p) => p.indexOf(Math.max(...p))), [0, 2]);
    const answer = await post(`${base}/v2/models/flowers/infer`, v2(rows));
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    const [out] = answer.body['outputs'] as { name: string; shape: number[]; datatype: string; data: number[] }[];
    assert.deepEqual([out?.name, out?.shape, out?.datatype], ['output-0', [2, 3], 'FP64']);
    assert.match(String(answer.body['id']), /^[0-9a-f-]{36}$/, 'a request without an id gets a uuid, as the kserve SDK gives');
    const wrongWidth = await post(`${base}/v1/models/flowers:predict`, { instances: [[1, 2, 3]] });
    assert.equal(wrongWidth.status, 500);
    assert.match(String(wrongWidth.body['error']), /number of features/);
  });

  test('kserve-tensorflow-serving: a SavedModel in version folders answers TF Serving\'s REST API (status, metadata, row and columnar predict, its errors)', { skip: noTensorflow }, async () => {
    const ns = await freshNamespace(client, 'kserve-tf');
    const dir = join(models, 'tf');
    mkdirSync(dir, { recursive: true });
    execFileSync(tensorflowPython, ['-c', savedModels, dir], { stdio: 'pipe', env: { ...process.env, TF_CPP_MIN_LOG_LEVEL: '3' } });
    await client.create(isvc(ns, 'scorer', { tensorflow: { storageUri: pathToFileURL(dir).href } }));
    const done = await settled(ns, 'scorer', 'the TensorFlow InferenceService to be Ready');
    assert.equal(done.status?.clusterServingRuntimeName, 'kserve-tensorflow-serving');
    const base = done.status.url!;
    // The model status: the highest version is the one served (TF Serving's "latest" policy).
    const status = await fetch(`${base}/v1/models/scorer`);
    assert.equal(status.status, 200);
    assert.deepEqual(await status.json(), { model_version_status: [{ version: '2', state: 'AVAILABLE', status: { error_code: 'OK', error_message: '' } }] });
    const meta = (await (await fetch(`${base}/v1/models/scorer/metadata`)).json()) as { model_spec: { version: string }; metadata: { signature_def: { signature_def: Record<string, { inputs: Record<string, { dtype: string }>; method_name: string }> } } };
    assert.equal(meta.model_spec.version, '2');
    for (const signature of ['serving_default', 'tagged']) assert.ok(signature in meta.metadata.signature_def.signature_def, signature);
    assert.equal(meta.metadata.signature_def.signature_def['serving_default']?.inputs['x']?.dtype, 'DT_FLOAT');
    assert.equal(meta.metadata.signature_def.signature_def['serving_default']?.method_name, 'tensorflow/serving/predict');
    // Row format: "instances" in, one object per row out (two named outputs); float32 values as TF Serving prints them.
    assert.deepEqual(await post(`${base}/v1/models/scorer:predict`, { instances: [[1, 2, 0], [0.1, 0, 0]] }), {
      status: 200,
      body: { predictions: [{ scores: [2, 4], label: 1 }, { scores: [0.2, 0], label: 0 }] },
    });
    // Columnar format: "inputs" in, "outputs" out; a named signature with a string input, one value as {"b64": …}.
    assert.deepEqual(await post(`${base}/v1/models/scorer:predict`, { signature_name: 'tagged', inputs: { x: [[1, 2, 3], [1, 1, 1]], tag: ['a', { b64: Buffer.from('b').toString('base64') }] } }), {
      status: 200,
      body: { outputs: { total: [6, 3], tag: ['A', 'B'] } },
    });
    assert.deepEqual(await post(`${base}/v1/models/scorer:predict`, { signature_name: 'tagged', instances: [{ x: [1, 2, 3], tag: 'c' }] }), { status: 200, body: { predictions: [{ total: 6, tag: 'C' }] } });
    // Errors are {"error": …} with TF Serving's codes.
    const gone = await post(`${base}/v1/models/scorer/versions/1:predict`, { instances: [[1, 2, 3]] });
    assert.deepEqual(gone, { status: 404, body: { error: 'Servable not found for request: Specific(scorer, 1)' } });
    assert.deepEqual(await post(`${base}/v1/models/scorer:predict`, { rows: [[1, 2, 3]] }), { status: 400, body: { error: "Missing 'inputs' or 'instances' key" } });
    const wrongWidth = await post(`${base}/v1/models/scorer:predict`, { instances: [[1, 2]] });
    assert.equal(wrongWidth.status, 400);
    assert.match(String(wrongWidth.body['error']), /incompatible|shape/i);
    const noSignature = await post(`${base}/v1/models/scorer:predict`, { signature_name: 'nope', instances: [[1, 2, 3]] });
    assert.deepEqual(noSignature, { status: 400, body: { error: 'Serving signature name: "nope" not found in signature def' } });
    const classify = await post(`${base}/v1/models/scorer:classify`, { examples: [{ x: 1 }] });
    assert.deepEqual(classify, { status: 400, body: { error: 'Expected classification signature method_name to be tensorflow/serving/classify. Was: tensorflow/serving/predict' } });
  });

  test('kserve-mlserver: LightGBM and MLflow models on V2, and MLServer\'s own JSON error bodies', { skip: noMlserver }, async () => {
    const ns = await freshNamespace(client, 'kserve-mlserver');
    const lgbDir = join(models, 'ml-lgb');
    const mlflowDir = join(models, 'ml-mlflow');
    mkdirSync(lgbDir, { recursive: true });
    execFileSync(mlserverPython, ['-c', `import sys, lightgbm as lgb; ${iris}; lgb.train({"objective": "multiclass", "num_class": 3, "verbose": -1, "num_threads": 1}, lgb.Dataset(X, label=y), num_boost_round=10).save_model(sys.argv[1] + "/model.bst")`, lgbDir]);
    execFileSync(mlserverPython, ['-c', `import sys, mlflow.sklearn; from mlflow.models import infer_signature; from sklearn.linear_model import LogisticRegression; ${iris}; m = LogisticRegression(max_iter=500).fit(X, y); mlflow.sklearn.save_model(m, sys.argv[1], signature=infer_signature(X, m.predict(X)))`, mlflowDir], { stdio: 'pipe' });
    await client.create(isvc(ns, 'lgb', { lightgbm: { storageUri: pathToFileURL(lgbDir).href, protocolVersion: 'v2' } }));
    await client.create(isvc(ns, 'mlflow', { model: { modelFormat: { name: 'mlflow' }, protocolVersion: 'v2', storageUri: pathToFileURL(mlflowDir).href } }));
    const lgb = await settled(ns, 'lgb', 'the MLServer LightGBM InferenceService to be Ready');
    assert.equal(lgb.status?.clusterServingRuntimeName, 'kserve-mlserver');
    const pod = await client.get<{ spec: { containers: { env?: { name: string; value?: string }[] }[] } } & InferenceService>({ apiVersion: 'v1', kind: 'Pod' }, 'lgb-predictor-00001', ns);
    const podEnv = Object.fromEntries((pod.spec.containers[0]?.env ?? []).map((e) => [e.name, e.value]));
    assert.equal(podEnv['MLSERVER_MODEL_IMPLEMENTATION'], 'mlserver_lightgbm.LightGBMModel');
    assert.equal(podEnv['MLSERVER_MODEL_NAME'], 'lgb');
    assert.equal(podEnv['MLSERVER_MODEL_URI'], '/mnt/models');
    const lgbAnswer = await post(`${lgb.status.url!}/v2/models/lgb/infer`, v2(rows, 'req-lgb'));
    assert.equal(lgbAnswer.status, 200, JSON.stringify(lgbAnswer.body));
    assert.equal(lgbAnswer.body['id'], 'req-lgb');
    const [probabilities] = lgbAnswer.body['outputs'] as { shape: number[]; data: number[] }[];
    assert.deepEqual(probabilities?.shape, [2, 3]);

    const mlflow = await settled(ns, 'mlflow', 'the MLServer MLflow InferenceService to be Ready');
    const base = mlflow.status!.url!;
    const answer = await post(`${base}/v2/models/mlflow/infer`, { inputs: [{ name: 'input-0', shape: [2, 4], datatype: 'FP64', data: rows.flat() }] });
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    const [predicted] = answer.body['outputs'] as { data: number[] }[];
    assert.deepEqual(predicted?.data, [0, 2]);
    // A model error is MLServer's {"error": "<exception class>: <message>"} with 500, never a traceback.
    const res = await fetch(`${base}/v2/models/mlflow/infer`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ inputs: [{ name: 'input-0', shape: [1, 3], datatype: 'FP64', data: [1, 2, 3] }] }) });
    assert.equal(res.status, 500);
    assert.match(res.headers.get('content-type') ?? '', /application\/json/);
    const error = (await res.json()) as { error: string };
    assert.match(error.error, /^mlflow\.exceptions\.MlflowException: .*shape/i);
    assert.doesNotMatch(error.error, /Traceback|\.venvs|site-packages/);
    const missing = await post(`${base}/v2/models/nope/infer`, v2(rows));
    assert.equal(missing.status, 404);
    assert.match(String(missing.body['error']), /nope/);
  });
});
