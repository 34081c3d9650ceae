// KServe's multi-model shape on a real embedded Floe: an InferenceService with no storageUri on a multi-model
// ServingRuntime (MLServer from .venvs/mlserver, multiModel: true) starts an empty server, and TrainedModels are
// downloaded by the same model store as any storageUri (here from a real S3-compatible server, with the parent's
// ServiceAccount Secret) and loaded and unloaded through MLServer's v2 model repository API.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { KubeObject } from '../src/api/meta.js';
import type { Client } from '../src/client/client.js';
import { ClusterServingRuntimeRef, InferenceServiceRef, ServerTypeAnnotation, TrainedModelRef, type InferenceService, type ServingRuntime } from '../src/controllers/serving/types.js';
import { startEmbeddedFloe, type EmbeddedFloe } from './helpers/embedded-floe.js';
import { freshNamespace } from './helpers/fixtures.js';
import { s3ServerUnavailable, startS3Server, type S3Server } from './helpers/s3-server.js';
import { waitFor } from './helpers/wait.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const mlserverPython = join(root, '.venvs', 'mlserver', 'bin', 'python');
const skip = s3ServerUnavailable() ?? (existsSync(mlserverPython) ? undefined : `.venvs/mlserver is not installed (${mlserverPython})`);

type TrainedModel = KubeObject & { spec: Record<string, unknown>; status?: { url?: string; conditions?: { type: string; status: string; reason?: string; message?: string }[] } };

const train = `
import sys, joblib
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression
X, y = load_iris(return_X_y=True)
joblib.dump(LogisticRegression(max_iter=300).fit(X, y), sys.argv[1])
`;

describe('KServe multi-model serving on a Pod runtime (embedded)', { skip }, () => {
  let env: EmbeddedFloe;
  let client: Client;
  let s3: S3Server;

  before(async () => {
    [env, s3] = await Promise.all([startEmbeddedFloe('floe-kserve-mm-'), startS3Server()]);
    client = env.floe.client;
    await s3.createBucket('mm-models');
    const file = join(env.dataDir, 'model.joblib');
    execFileSync(mlserverPython, ['-c', train, file]);
    await s3.putObject('mm-models', 'iris/model.joblib', readFileSync(file));
  });

  after(async () => {
    await Promise.all([env?.stop(), s3?.stop()]);
  });

  const tmReady = (ns: string, name: string): Promise<TrainedModel> =>
    waitFor(async () => {
      const tm = await client.get<TrainedModel>(TrainedModelRef, name, ns);
      return tm.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True' ? tm : undefined;
    }, { what: `TrainedModel ${name} to be Ready`, timeoutMs: 240_000, intervalMs: 250 });
  const infer = (url: string, model: string): Promise<Response> =>
    fetch(`${url}/v2/models/${model}/infer`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ inputs: [{ name: 'input-0', shape: [2, 4], datatype: 'FP64', data: [5.1, 3.5, 1.4, 0.2, 6.7, 3.0, 5.2, 2.3] }] }) });

  test('an InferenceService without storageUri hosts TrainedModels from S3, loaded and unloaded through MLServer\'s repository API', async () => {
    const ns = await freshNamespace(client, 'kserve-mm');
    await client.create({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 's3creds', namespace: ns, annotations: { 'serving.kserve.io/s3-endpoint': `${s3.host}:${s3.port}`, 'serving.kserve.io/s3-usehttps': '0' } }, type: 'Opaque', data: { AWS_ACCESS_KEY_ID: Buffer.from(s3.accessKey).toString('base64'), AWS_SECRET_ACCESS_KEY: Buffer.from(s3.secretKey).toString('base64') } });
    await client.create({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'models-sa', namespace: ns }, secrets: [{ name: 's3creds' }] });
    // KServe's kserve-mlserver is single-model; a namespace's own runtime says multiModel: true, as KServe's docs show
    // (and which server it runs, for the MLServer defaults KServe applies by server type).
    const mlserver = await client.get<ServingRuntime>(ClusterServingRuntimeRef, 'kserve-mlserver');
    await client.create({ apiVersion: 'serving.kserve.io/v1alpha1', kind: 'ServingRuntime', metadata: { name: 'mlserver-mms', namespace: ns, annotations: { [ServerTypeAnnotation]: 'mlserver' } }, spec: { ...mlserver.spec, multiModel: true } });
    await client.create({ apiVersion: 'serving.kserve.io/v1beta1', kind: 'InferenceService', metadata: { name: 'mms', namespace: ns }, spec: { predictor: { serviceAccountName: 'models-sa', model: { modelFormat: { name: 'sklearn' }, protocolVersion: 'v2', runtime: 'mlserver-mms' } } } });
    const parent = await waitFor(async () => {
      const i = await client.get<InferenceService>(InferenceServiceRef, 'mms', ns);
      const readyCondition = i.status?.conditions?.find((c) => c.type === 'Ready');
      return readyCondition?.status === 'True' || readyCondition?.reason === 'ModelLoadFailed' || readyCondition?.reason === 'InvalidPredictorSpec' ? i : undefined;
    }, { what: 'the model-less InferenceService to be Ready', timeoutMs: 240_000, intervalMs: 250 }).catch(async () => client.get<InferenceService>(InferenceServiceRef, 'mms', ns));
    const parentReady = parent.status?.conditions?.find((c) => c.type === 'Ready');
    if (parentReady?.status !== 'True') {
      const logs = execFileSync('bash', ['-c', `find ${env.dataDir}/pods -type f -name '*.log' | head -3 | xargs -r tail -n 25`]).toString();
      assert.fail(`mms failed: ${JSON.stringify(parent.status)}\n${logs}`);
    }
    const url = parent.status!.url!;
    assert.equal((await infer(url, 'iris')).status, 404, 'no model before a TrainedModel');

    await client.create({ apiVersion: 'serving.kserve.io/v1alpha1', kind: 'TrainedModel', metadata: { name: 'iris', namespace: ns }, spec: { inferenceService: 'mms', model: { storageUri: 's3://mm-models/iris', framework: 'sklearn', memory: '64Mi' } } });
    const tm = await tmReady(ns, 'iris');
    assert.equal(tm.status?.url, `${url}/v2/models/iris`);
    const res = await infer(url, 'iris');
    const body = (await res.json()) as { model_name?: string; outputs?: { data: number[] }[] };
    assert.equal(res.status, 200, JSON.stringify(body));
    assert.equal(body.model_name, 'iris');
    assert.deepEqual(body.outputs?.[0]?.data, [0, 2]);

    // Deleting the TrainedModel unloads it from the server.
    await client.delete(TrainedModelRef, 'iris', ns);
    await waitFor(async () => (await infer(url, 'iris')).status === 404, { what: 'the model to be unloaded', timeoutMs: 60_000, intervalMs: 250 });
  });

  test('a TrainedModel whose storage cannot be read says so in its Ready condition', async () => {
    const ns = await freshNamespace(client, 'kserve-mm-bad');
    await client.create({ apiVersion: 'serving.kserve.io/v1beta1', kind: 'InferenceService', metadata: { name: 'onnx-mms', namespace: ns }, spec: { predictor: { model: { modelFormat: { name: 'onnx' }, storageUri: fileURLToPath(new URL('../../examples/serving/iris-onnx', import.meta.url)), resources: { limits: { memory: '1Gi' } } } } } });
    await client.create({ apiVersion: 'serving.kserve.io/v1alpha1', kind: 'TrainedModel', metadata: { name: 'gone', namespace: ns }, spec: { inferenceService: 'onnx-mms', model: { storageUri: 'hdfs://namenode/models/x', framework: 'onnx', memory: '1Mi' } } });
    const tm = await waitFor(async () => {
      const t = await client.get<TrainedModel>(TrainedModelRef, 'gone', ns);
      return t.status?.conditions?.find((c) => c.type === 'Ready' && c.reason === 'InvalidStorageUri') ? t : undefined;
    }, { what: 'the TrainedModel to report its storage', timeoutMs: 120_000, intervalMs: 250 });
    assert.match(tm.status?.conditions?.find((c) => c.type === 'Ready')?.message ?? '', /^TrainedModel\.spec\.model\.storageUri hdfs:\/\/namenode\/models\/x: Floe cannot download hdfs:\/\/ storage/);
  });
});

// The kserve SDK's servers (kserve-sklearnserver, kserve-xgbserver from .venvs/kserve): with no model file in
// --model_dir they start empty and load `<model_dir>/<name>/` through the repository API, as KServe's do.
const kservePython = join(root, '.venvs', 'kserve', 'bin', 'python');
const skipKserve = existsSync(kservePython) ? undefined : `.venvs/kserve is not installed (${kservePython})`;

const trainBoth = `
import os, sys, joblib, xgboost
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression
X, y = load_iris(return_X_y=True)
os.makedirs(os.path.join(sys.argv[1], 'sklearn'), exist_ok=True)
os.makedirs(os.path.join(sys.argv[1], 'xgboost'), exist_ok=True)
joblib.dump(LogisticRegression(max_iter=300).fit(X, y), os.path.join(sys.argv[1], 'sklearn', 'model.joblib'))
booster = xgboost.train({'objective': 'multi:softmax', 'num_class': 3, 'nthread': 1}, xgboost.DMatrix(X, label=y), num_boost_round=5)
booster.save_model(os.path.join(sys.argv[1], 'xgboost', 'model.json'))
`;

describe('KServe multi-model serving on the kserve SDK servers (embedded)', { skip: skipKserve }, () => {
  let env: EmbeddedFloe;
  let client: Client;
  let models: string;

  before(async () => {
    env = await startEmbeddedFloe('floe-kserve-mm-sdk-');
    client = env.floe.client;
    models = join(env.dataDir, 'models');
    execFileSync(kservePython, ['-c', trainBoth, models]);
  });

  after(async () => {
    await env?.stop();
  });

  const rows = { instances: [[5.1, 3.5, 1.4, 0.2], [6.7, 3.0, 5.2, 2.3]] };
  const predict = (url: string, model: string): Promise<Response> =>
    fetch(`${url}/v1/models/${model}:predict`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(rows) });
  const parentUrl = async (ns: string, name: string): Promise<string> => {
    const parent = await waitFor(async () => {
      const i = await client.get<InferenceService>(InferenceServiceRef, name, ns);
      const ready = i.status?.conditions?.find((c) => c.type === 'Ready');
      return ready?.status === 'True' || ready?.reason === 'ModelLoadFailed' || ready?.reason === 'InvalidPredictorSpec' ? i : undefined;
    }, { what: `the model-less InferenceService ${name} to be Ready`, timeoutMs: 240_000, intervalMs: 250 }).catch(async () => client.get<InferenceService>(InferenceServiceRef, name, ns));
    if (parent.status?.conditions?.find((c) => c.type === 'Ready')?.status !== 'True') {
      const logs = execFileSync('bash', ['-c', `find ${env.dataDir}/pods -type f -name '*.log' | head -3 | xargs -r tail -n 25`]).toString();
      assert.fail(`${name} failed: ${JSON.stringify(parent.status)}\n${logs}`);
    }
    return parent.status.url!;
  };
  const tmReady = (ns: string, name: string): Promise<TrainedModel> =>
    waitFor(async () => {
      const tm = await client.get<TrainedModel>(TrainedModelRef, name, ns);
      return tm.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True' ? tm : undefined;
    }, { what: `TrainedModel ${name} to be Ready`, timeoutMs: 240_000, intervalMs: 250 });

  for (const [format, runtime, expected] of [['sklearn', 'kserve-sklearnserver', [0, 2]], ['xgboost', 'kserve-xgbserver', [0, 2]]] as const) {
    test(`${runtime} without a storageUri loads and unloads TrainedModels through the kserve ModelServer's repository API`, async () => {
      const ns = await freshNamespace(client, `kserve-mm-${format}`);
      await client.create({ apiVersion: 'serving.kserve.io/v1beta1', kind: 'InferenceService', metadata: { name: 'mms', namespace: ns }, spec: { predictor: { model: { modelFormat: { name: format }, runtime } } } });
      const url = await parentUrl(ns, 'mms');
      assert.equal((await predict(url, 'flowers')).status, 404, 'no model before a TrainedModel');

      await client.create({ apiVersion: 'serving.kserve.io/v1alpha1', kind: 'TrainedModel', metadata: { name: 'flowers', namespace: ns }, spec: { inferenceService: 'mms', model: { storageUri: join(models, format), framework: format, memory: '64Mi' } } });
      const tm = await tmReady(ns, 'flowers');
      assert.equal(tm.status?.url, `${url}/v1/models/flowers`);
      const res = await predict(url, 'flowers');
      const body = (await res.json()) as { predictions?: number[] };
      assert.equal(res.status, 200, JSON.stringify(body));
      assert.deepEqual(body.predictions, expected);
      // The V2 side of the same server answers for the TrainedModel too.
      assert.equal((await fetch(`${url}/v2/models/flowers/ready`)).status, 200);

      await client.delete(TrainedModelRef, 'flowers', ns);
      await waitFor(async () => (await predict(url, 'flowers')).status === 404, { what: 'the model to be unloaded', timeoutMs: 60_000, intervalMs: 250 });
    });
  }

  test('a TrainedModel on a single-model InferenceService (its own storageUri) is not loaded: IsNotMMSPredictor, as KServe says', async () => {
    const ns = await freshNamespace(client, 'kserve-mm-single');
    await client.create({ apiVersion: 'serving.kserve.io/v1beta1', kind: 'InferenceService', metadata: { name: 'single', namespace: ns }, spec: { predictor: { model: { modelFormat: { name: 'sklearn' }, runtime: 'kserve-sklearnserver', storageUri: join(models, 'sklearn') } } } });
    await client.create({ apiVersion: 'serving.kserve.io/v1alpha1', kind: 'TrainedModel', metadata: { name: 'extra', namespace: ns }, spec: { inferenceService: 'single', model: { storageUri: join(models, 'sklearn'), framework: 'sklearn', memory: '64Mi' } } });
    const tm = await waitFor(async () => {
      const t = await client.get<TrainedModel>(TrainedModelRef, 'extra', ns);
      return t.status?.conditions?.find((c) => c.type === 'IsMMSPredictor' && c.status === 'False') ? t : undefined;
    }, { what: 'the TrainedModel to report its parent', timeoutMs: 120_000, intervalMs: 250 });
    const mms = tm.status?.conditions?.find((c) => c.type === 'IsMMSPredictor');
    assert.equal(mms?.reason, 'IsNotMMSPredictor');
    assert.match(mms?.message ?? '', /^Inference Service predictor is not configured for multi-model serving/);
    assert.equal(tm.status?.conditions?.find((c) => c.type === 'Ready')?.status, 'False');
  });
});
