// KServe InferenceServices on a real Floe: runtime selection, the in-process ONNX runtime behind the ingress (V1 and
// V2 exactly as KServe serves them), revisions on a spec change, the failures KServe reports; Pod runtimes on the kserve
// SDK (kserve-sklearnserver, custom predictors, transformers) driven with the kserve SDK's own REST client, and
// replica autoscaling under a bounded load.
/* eslint-disable no-restricted-imports -- tests are composition roots: they start the server that runs these controllers */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Client } from '../../client/client.js';
import { defaultConfig } from '../../server/config.js';
import { startFloe, type Floe } from '../../server/floe.js';
import { killRecordedProcesses } from '../../../test/helpers/kubelet-harness.js';
import { freshNamespace } from '../../../test/helpers/fixtures.js';
import { waitFor } from '../../../test/helpers/wait.js';
import { ClusterServingRuntimeRef, InferenceServiceRef, type InferenceService } from './index.js';

const torchPython = fileURLToPath(new URL('../../../../.venvs/torch/bin/python', import.meta.url));
const mlserverPython = fileURLToPath(new URL('../../../../.venvs/mlserver/bin/python', import.meta.url));
const noMlserver = existsSync(mlserverPython) ? false : `.venvs/mlserver is not installed (${mlserverPython}): tools/setup.mjs builds it`;
const noTorch = existsSync(torchPython) ? false : `.venvs/torch is not installed (${torchPython}): tools/setup.mjs builds it`;
const kservePython = fileURLToPath(new URL('../../../../.venvs/kserve/bin/python', import.meta.url));
const noKserve = existsSync(kservePython) ? false : `.venvs/kserve is not installed (${kservePython}): tools/setup.mjs --with-training-envs builds it`;
if (noKserve) console.log(`# skipping the kserve SDK tests: ${noKserve}`);

/** Runs a Python snippet in .venvs/kserve (asynchronously, so this process keeps serving) and parses its JSON output. */
function kserveScript<T>(script: string, args: string[]): Promise<T> {
  return new Promise((resolve, reject) => {
    execFile(kservePython, ['-c', script, ...args], { encoding: 'utf8', timeout: 120_000 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${err.message}\n${stderr}`));
      else resolve(JSON.parse(stdout) as T);
    });
  });
}

/** The kserve SDK's REST client (V2) against a base URL: model readiness, one inference, and one with a wrong shape. */
const v2ClientScript = `
import asyncio, json, sys
import httpx, numpy as np
from kserve import InferenceRESTClient, RESTConfig, InferRequest, InferInput

async def main(base, model, rows):
    async with InferenceRESTClient(RESTConfig(protocol="v2", retries=0, timeout=60)) as client:
        ready = await client.is_model_ready(base, model)
        data = np.array(json.loads(rows), dtype=np.float32)
        tensor = InferInput(name="input-0", shape=list(data.shape), datatype="FP32")
        tensor.set_data_from_numpy(data, binary_data=False)
        answer = await client.infer(base, InferRequest(model_name=model, infer_inputs=[tensor], request_id="sdk-1"), model_name=model)
        wrong = InferInput(name="input-0", shape=[data.shape[0] + 1, data.shape[1]], datatype="FP32", data=data.flatten().tolist())
        try:
            await client.infer(base, InferRequest(model_name=model, infer_inputs=[wrong]), model_name=model)
            bad = None
        except httpx.HTTPStatusError as err:
            bad = {"status": err.response.status_code, "body": err.response.json()}
        print(json.dumps({"ready": ready, "id": answer.id, "model": answer.model_name, "outputs": [{"name": o.name, "shape": list(o.shape), "datatype": o.datatype, "data": o.as_numpy().tolist()} for o in answer.outputs], "bad": bad}))

asyncio.run(main(sys.argv[1], sys.argv[2], sys.argv[3]))
`;

/** An iris classifier (scikit-learn LogisticRegression) saved as model.joblib in dir, with the kserve environment. */
function trainIris(dir: string): void {
  execFileSync('mkdir', ['-p', dir]);
  execFileSync(kservePython, ['-c', 'import sys, joblib; from sklearn.datasets import load_iris; from sklearn.linear_model import LogisticRegression; X, y = load_iris(return_X_y=True); joblib.dump(LogisticRegression(max_iter=500).fit(X, y), sys.argv[1] + "/model.joblib")', dir]);
}

/** y = x·Wᵀ + b with W = [[1, 2, 3, 4], [0, 0, 0, 1]] and b = [0.5, -1] (scale multiplies W): an ONNX file per call. */
function exportLinear(dir: string, scale: number): void {
  const script = `
import torch, sys
m = torch.nn.Linear(4, 2)
with torch.no_grad():
    m.weight.copy_(torch.tensor([[1., 2., 3., 4.], [0., 0., 0., 1.]]) * ${scale})
    m.bias.copy_(torch.tensor([0.5, -1.]))
torch.onnx.export(m, torch.zeros(1, 4), sys.argv[1], input_names=["input"], output_names=["output"], dynamic_axes={"input": {0: "batch"}, "output": {0: "batch"}}, dynamo=False)
`;
  execFileSync(torchPython, ['-c', script, join(dir, 'model.onnx')], { stdio: 'pipe' });
}

describe('KServe (embedded)', () => {
  let floe: Floe;
  let client: Client;
  let dataDir: string;
  let models: string;

  before(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'floe-serving-'));
    floe = await startFloe({ ...defaultConfig(), dataDir, port: 0, logLevel: 'silent', runPods: true, controllers: true, kubeletTiming: { heartbeatMs: 1000, pollMs: 50, crashLoopInitialMs: 200, crashLoopMaxMs: 800, resyncMs: 1000, configRetryMs: 200 } });
    client = floe.client;
    models = join(dataDir, 'models');
    if (!noTorch) {
      for (const [name, scale] of [['v1', 1], ['v2', 2]] as const) {
        execFileSync('mkdir', ['-p', join(models, name)]);
        exportLinear(join(models, name), scale);
      }
    }
  });

  after(async () => {
    await floe.stop();
    killRecordedProcesses(dataDir);
    await rm(dataDir, { recursive: true, force: true });
  });

  const isvc = (ns: string, name: string, predictor: Record<string, unknown>): InferenceService => ({ apiVersion: 'serving.kserve.io/v1beta1', kind: 'InferenceService', metadata: { name, namespace: ns }, spec: { predictor } });
  const get = (ns: string, name: string): Promise<InferenceService> => client.get<InferenceService>(InferenceServiceRef, name, ns);
  const until = (ns: string, name: string, ok: (i: InferenceService) => boolean, what: string): Promise<InferenceService> =>
    waitFor(async () => {
      const i = await get(ns, name);
      return ok(i) ? i : undefined;
    }, { what, timeoutMs: 30_000 });
  const condition = (i: InferenceService, type: string) => i.status?.conditions?.find((c) => c.type === type);
  const ready = (i: InferenceService): boolean => condition(i, 'Ready')?.status === 'True';
  const post = async (url: string, body: unknown): Promise<{ status: number; body: Record<string, unknown> }> => {
    const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };

  test('Floe installs its ClusterServingRuntimes', async () => {
    const runtime = await client.get<{ spec: { supportedModelFormats: { name: string }[]; protocolVersions: string[] } } & InferenceService>(ClusterServingRuntimeRef, 'floe-onnxruntime');
    assert.deepEqual(runtime.spec.supportedModelFormats.map((f) => f.name), ['onnx']);
    assert.deepEqual(runtime.spec.protocolVersions, ['v1', 'v2']);
  });

  test('an ONNX model is served in-process: status as KServe reports it, V2 and V1 answers, metrics', { skip: noTorch }, async () => {
    const ns = await freshNamespace(client, 'isvc-onnx');
    await client.create(isvc(ns, 'linear', { model: { modelFormat: { name: 'onnx' }, storageUri: pathToFileURL(join(models, 'v1')).href } }));
    const done = await until(ns, 'linear', ready, 'the InferenceService to be Ready');
    assert.equal(done.status?.url, `${floe.url}/serving/${ns}/linear`);
    assert.equal(done.status?.clusterServingRuntimeName, 'floe-onnxruntime');
    assert.equal(done.status?.components?.['predictor']?.latestReadyRevision, 'linear-predictor-00001');
    assert.deepEqual(done.status?.components?.['predictor']?.traffic, [{ revisionName: 'linear-predictor-00001', latestRevision: true, percent: 100 }]);
    assert.equal(done.status?.modelStatus?.states?.activeModelState, 'Loaded');
    for (const type of ['PredictorReady', 'IngressReady', 'Ready']) assert.equal(condition(done, type)?.status, 'True', type);

    const base = done.status.url;
    const v2 = await post(`${base}/v2/models/linear/infer`, { id: 'r1', inputs: [{ name: 'input', shape: [2, 4], datatype: 'FP32', data: [[1, 1, 1, 1], [0, 0, 0, 2]] }] });
    assert.equal(v2.status, 200, JSON.stringify(v2.body));
    assert.equal(v2.body['model_name'], 'linear');
    assert.equal(v2.body['id'], 'r1');
    assert.deepEqual(v2.body['outputs'], [{ name: 'output', shape: [2, 2], datatype: 'FP32', data: [10.5, 0, 8.5, 1] }]);
    const v1 = await post(`${base}/v1/models/linear:predict`, { instances: [[1, 0, 0, 0]] });
    assert.equal(v1.status, 200, JSON.stringify(v1.body));
    assert.deepEqual(v1.body, { predictions: [[1.5, -1]] });
    const meta = (await (await fetch(`${base}/v2/models/linear`)).json()) as { inputs: unknown[] };
    assert.deepEqual(meta.inputs, [{ name: 'input', datatype: 'FP32', shape: [-1, 4] }]);
    const bad = await post(`${base}/v2/models/linear/infer`, { inputs: [{ name: 'input', shape: [1, 4], datatype: 'FP32', data: [1, 2, 3] }] });
    assert.equal(bad.status, 400);
    assert.match(String(bad.body['error']), /4|shape|element/);
    const metrics = await (await fetch(`${base}/metrics`)).text();
    assert.match(metrics, /request_predict_seconds_count\{model_name="linear"\} 2/);

    // A new model in the spec is a new revision; the previous one is remembered.
    await client.update<InferenceService>({ ...done, spec: { predictor: { model: { modelFormat: { name: 'onnx' }, storageUri: join(models, 'v2') } } } });
    const next = await until(ns, 'linear', (i) => ready(i) && i.status?.components?.['predictor']?.latestReadyRevision === 'linear-predictor-00002', 'revision 2');
    assert.equal(next.status?.components?.['predictor']?.previousRolledoutRevision, 'linear-predictor-00001');
    const doubled = await post(`${base}/v1/models/linear:predict`, { instances: [[1, 0, 0, 0]] });
    assert.deepEqual(doubled.body, { predictions: [[2.5, -1]] });

    // serving.kserve.io/stop takes it down without deleting it; removing the annotation brings it back.
    const annotate = async (value: string | undefined): Promise<void> => {
      const current = await get(ns, 'linear');
      const annotations = { ...(current.metadata.annotations ?? {}) };
      if (value === undefined) delete annotations['serving.kserve.io/stop'];
      else annotations['serving.kserve.io/stop'] = value;
      await client.update<InferenceService>({ ...current, metadata: { ...current.metadata, annotations } });
    };
    await annotate('true');
    const stopped = await until(ns, 'linear', (i) => condition(i, 'Stopped')?.status === 'True', 'Stopped');
    assert.equal(condition(stopped, 'Ready')?.reason, 'Stopped');
    assert.equal((await fetch(`${base}/v2/models/linear`)).status, 404);
    await annotate(undefined);
    await until(ns, 'linear', (i) => ready(i) && condition(i, 'Stopped')?.status === 'False', 'Ready again');
    assert.equal((await post(`${base}/v1/models/linear:predict`, { instances: [[1, 0, 0, 0]] })).status, 200);

    await client.delete(InferenceServiceRef, 'linear', ns);
    await waitFor(async () => ((await fetch(`${base}/v2/models/linear`)).status === 404 ? true : undefined), { what: 'the route to go', timeoutMs: 30_000 });
  });

  test('canary: a new revision takes canaryTrafficPercent of requests, promotion and rollback move traffic, and no request fails meanwhile', { skip: noTorch }, async () => {
    const ns = await freshNamespace(client, 'isvc-canary');
    const spec = (version: string, percent?: number): Record<string, unknown> => ({ model: { modelFormat: { name: 'onnx' }, storageUri: join(models, version) }, ...(percent !== undefined ? { canaryTrafficPercent: percent } : {}) });
    await client.create(isvc(ns, 'roll', spec('v1')));
    const first = await until(ns, 'roll', ready, 'revision 1');
    const base = first.status!.url!;
    // Requests run all along the roll-out and the rollback: each must succeed with one of the two models' answers.
    let stop = false;
    let sent = 0;
    const failures: string[] = [];
    const background = (async () => {
      while (!stop) {
        const res = await fetch(`${base}/v1/models/roll:predict`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ instances: [[1, 0, 0, 0]] }) });
        const body = await res.text();
        sent += 1;
        if (res.status !== 200 || !['{"predictions":[[1.5,-1]]}', '{"predictions":[[2.5,-1]]}'].includes(body)) failures.push(`${res.status} ${body}`);
      }
    })();
    const sample = async (n: number): Promise<Record<string, number>> => {
      const seen: Record<string, number> = {};
      for (let i = 0; i < n; i++) {
        const res = await fetch(`${base}/v1/models/roll:predict`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ instances: [[1, 0, 0, 0]] }) });
        const answer = ((await res.json()) as { predictions: number[][] }).predictions[0]![0]!;
        const key = `${res.headers.get('x-floe-revision') ?? 'single'}=${answer}`;
        seen[key] = (seen[key] ?? 0) + 1;
      }
      return seen;
    };

    await client.update<InferenceService>({ ...(await get(ns, 'roll')), spec: { predictor: spec('v2', 20) } });
    const canary = await until(ns, 'roll', (i) => ready(i) && i.status?.components?.['predictor']?.latestReadyRevision === 'roll-predictor-00002', 'the canary revision');
    assert.deepEqual(canary.status?.components?.['predictor']?.traffic, [
      { revisionName: 'roll-predictor-00002', latestRevision: true, percent: 20 },
      { revisionName: 'roll-predictor-00001', latestRevision: false, percent: 80, tag: 'prev' },
    ]);
    assert.equal(canary.status?.components?.['predictor']?.latestRolledoutRevision, 'roll-predictor-00001');
    const split = await sample(200);
    assert.deepEqual(Object.keys(split).sort(), ['roll-predictor-00001=1.5', 'roll-predictor-00002=2.5'], 'each revision answers with its own model');
    assert.ok(split['roll-predictor-00002=2.5']! >= 15 && split['roll-predictor-00002=2.5']! <= 75, `about 20% to the canary: ${JSON.stringify(split)}`);
    // What the ingress saw of each variant, and its verdict (an A/B test between the two revisions).
    const ab = (await (await fetch(`${base}/.floe/variants`)).json()) as { variants: { revision: string; requests: number; errors: number }[]; comparison?: { a: string; b: string; verdict: string } };
    assert.deepEqual(ab.variants.map((v) => v.revision).sort(), ['roll-predictor-00001', 'roll-predictor-00002']);
    assert.ok(ab.variants.reduce((n, v) => n + v.requests, 0) >= 200);
    assert.ok(ab.variants.every((v) => v.errors === 0));
    // Both revisions serve the same model; the latency half of the verdict is a real test, so by chance (p < 0.05) it
    // may name one of them faster: either wording is a verdict on latency.
    assert.match(ab.comparison?.verdict ?? '', /latency|answers faster than/);
    assert.match(ab.comparison?.verdict ?? '', /error rate/);

    // Promote: canaryTrafficPercent removed.
    await client.update<InferenceService>({ ...(await get(ns, 'roll')), spec: { predictor: spec('v2') } });
    const promoted = await until(ns, 'roll', (i) => i.status?.components?.['predictor']?.latestRolledoutRevision === 'roll-predictor-00002', 'promotion');
    assert.equal(promoted.status?.components?.['predictor']?.previousRolledoutRevision, 'roll-predictor-00001');
    assert.deepEqual(promoted.status?.components?.['predictor']?.traffic, [{ revisionName: 'roll-predictor-00002', latestRevision: true, percent: 100 }]);
    assert.deepEqual(await sample(20), { 'roll-predictor-00002=2.5': 20 });

    // A third revision as a canary, then rolled back (canaryTrafficPercent 0): everything to the previous one.
    await client.update<InferenceService>({ ...(await get(ns, 'roll')), spec: { predictor: spec('v1', 30) } });
    await until(ns, 'roll', (i) => ready(i) && i.status?.components?.['predictor']?.latestReadyRevision === 'roll-predictor-00003', 'revision 3');
    await client.update<InferenceService>({ ...(await get(ns, 'roll')), spec: { predictor: spec('v1', 0) } });
    const rolledBack = await until(ns, 'roll', (i) => i.status?.components?.['predictor']?.traffic?.[0]?.percent === 0, 'rollback');
    assert.equal(rolledBack.status?.components?.['predictor']?.latestReadyRevision, 'roll-predictor-00003', 'a traffic change is not a new revision');
    assert.equal(rolledBack.status?.components?.['predictor']?.latestRolledoutRevision, 'roll-predictor-00002');
    const after = await sample(30);
    assert.deepEqual(Object.keys(after), ['roll-predictor-00002=2.5'], JSON.stringify(after));
    stop = true;
    await background;
    assert.deepEqual(failures, [], `${failures.length} of ${sent} requests failed during the roll-out`);
    assert.ok(sent > 20, `requests kept flowing (${sent})`);
  });

  test('InferenceGraph: Sequence (with a stopping condition), Switch, Ensemble and Splitter nodes over two InferenceServices', { skip: noTorch }, async () => {
    const ns = await freshNamespace(client, 'isvc-graph');
    await client.create(isvc(ns, 'one', { model: { modelFormat: { name: 'onnx' }, storageUri: join(models, 'v1') } }));
    await client.create(isvc(ns, 'two', { model: { modelFormat: { name: 'onnx' }, storageUri: join(models, 'v2') } }));
    const graph = (name: string, nodes: Record<string, unknown>) => ({ apiVersion: 'serving.kserve.io/v1alpha1', kind: 'InferenceGraph', metadata: { name, namespace: ns }, spec: { nodes } });
    await client.create(graph('seq', { root: { routerType: 'Sequence', steps: [{ serviceName: 'one' }, { serviceName: 'two', condition: 'predictions.#(#>0)' }] } }));
    await client.create(graph('seq-stop', { root: { routerType: 'Sequence', steps: [{ serviceName: 'one' }, { serviceName: 'two', condition: 'predictions.0.#(>100)' }] } }));
    await client.create(graph('switch', { root: { routerType: 'Switch', steps: [{ serviceName: 'one', condition: '[@this].#(pick=="one")' }, { serviceName: 'two', condition: '[@this].#(pick=="two")' }] } }));
    await client.create(graph('ensemble', { root: { routerType: 'Ensemble', steps: [{ name: 'a', serviceName: 'one' }, { name: 'b', nodeName: 'inner' }] }, inner: { routerType: 'Splitter', steps: [{ serviceName: 'two', weight: 100 }, { serviceName: 'one', weight: 0 }] } }));
    await client.create(graph('broken', { start: { routerType: 'Sequence', steps: [] } }));
    const graphUrl = async (name: string): Promise<string> =>
      waitFor(async () => {
        const g = await client.get<{ status?: { url?: string; conditions?: { type: string; status: string }[] } } & InferenceService>({ apiVersion: 'serving.kserve.io/v1alpha1', kind: 'InferenceGraph' }, name, ns);
        return g.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ? g.status.url : undefined;
      }, { what: `graph ${name} to be Ready`, timeoutMs: 30_000 });
    const request = { instances: [[1, 0, 0, 0]] };
    assert.deepEqual((await post(await graphUrl('seq'), request)).body, { predictions: [[2.5, -1]] }, 'the last step answers');
    assert.deepEqual((await post(await graphUrl('seq-stop'), request)).body, { predictions: [[1.5, -1]] }, 'a failing condition stops the sequence');
    const switchUrl = await graphUrl('switch');
    assert.deepEqual((await post(switchUrl, { ...request, pick: 'two' })).body, { predictions: [[2.5, -1]] });
    assert.deepEqual((await post(switchUrl, { ...request, pick: 'one' })).body, { predictions: [[1.5, -1]] });
    const none = await post(switchUrl, { ...request, pick: 'three' });
    assert.equal(none.status, 404);
    assert.deepEqual(none.body, { error: 'Failed to process request', cause: 'None of the routes matched with the switch condition' });
    assert.deepEqual((await post(await graphUrl('ensemble'), request)).body, { a: { predictions: [[1.5, -1]] }, b: { predictions: [[2.5, -1]] } });
    const broken = await waitFor(async () => {
      const g = await client.get<{ status?: { conditions?: { type: string; status: string; reason?: string; message?: string }[] } } & InferenceService>({ apiVersion: 'serving.kserve.io/v1alpha1', kind: 'InferenceGraph' }, 'broken', ns);
      return g.status?.conditions?.find((c) => c.type === 'Ready');
    }, { what: 'the broken graph to be judged', timeoutMs: 30_000 });
    assert.equal(broken.reason, 'InvalidGraph');
    assert.match(broken.message ?? '', /root/);
  });

  test('minReplicas 0: idle, the InferenceService scales to zero; the next requests are held while it comes back, none dropped', { skip: noTorch }, async () => {
    const ns = await freshNamespace(client, 'isvc-zero');
    const created = isvc(ns, 'sleepy', { minReplicas: 0, model: { modelFormat: { name: 'onnx' }, storageUri: join(models, 'v1') } });
    created.metadata.annotations = { 'serving.floe.dev/scale-to-zero-after': '1' };
    await client.create(created);
    const done = await until(ns, 'sleepy', ready, 'Ready');
    const scaledToZero = async (times: number): Promise<void> => {
      await waitFor(async () => {
        const events = (await client.list<{ reason?: string } & InferenceService>({ apiVersion: 'v1', kind: 'Event' }, { namespace: ns })).items.filter((e) => e.reason === 'ScaledToZero');
        return events.length >= times || events.some((e) => ((e as { count?: number }).count ?? 1) >= times) ? true : undefined;
      }, { what: `scaled to zero (${times})`, timeoutMs: 30_000 });
    };
    await scaledToZero(1);
    const answers = await Promise.all(Array.from({ length: 20 }, async () => {
      const res = await fetch(`${done.status!.url!}/v1/models/sleepy:predict`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ instances: [[1, 0, 0, 0]] }) });
      return { status: res.status, activated: res.headers.get('x-floe-activated'), body: await res.text() };
    }));
    assert.deepEqual(answers.map((a) => a.status), Array(20).fill(200), JSON.stringify(answers));
    assert.ok(answers.every((a) => a.body === '{"predictions":[[1.5,-1]]}'));
    assert.ok(answers.some((a) => a.activated === '1'), 'requests waited for the scale-up');
    assert.equal((await get(ns, 'sleepy')).status?.conditions?.find((c) => c.type === 'Ready')?.status, 'True');
    await scaledToZero(2);
  });

  test('TrainedModels: more models on one InferenceService, admitted by the memory they declare, unloaded on delete', { skip: noTorch }, async () => {
    const ns = await freshNamespace(client, 'isvc-mms');
    await client.create(isvc(ns, 'mms', { model: { modelFormat: { name: 'onnx' }, storageUri: join(models, 'v1'), resources: { limits: { memory: '1Gi' } } } }));
    const parent = await until(ns, 'mms', ready, 'the parent');
    const tm = (name: string, memory: string) => ({ apiVersion: 'serving.kserve.io/v1alpha1', kind: 'TrainedModel', metadata: { name, namespace: ns }, spec: { inferenceService: 'mms', model: { storageUri: join(models, 'v2'), framework: 'onnx', memory } } });
    type Tm = { status?: { url?: string; conditions?: { type: string; status: string; reason?: string }[] } } & InferenceService;
    const tmStatus = (name: string, type: string, want: string): Promise<Tm> =>
      waitFor(async () => {
        const t = await client.get<Tm>({ apiVersion: 'serving.kserve.io/v1alpha1', kind: 'TrainedModel' }, name, ns);
        return t.status?.conditions?.find((c) => c.type === type)?.status === want ? t : undefined;
      }, { what: `${name} ${type}=${want}`, timeoutMs: 30_000 });
    await client.create(tm('tm-a', '512Mi'));
    const a = await tmStatus('tm-a', 'Ready', 'True');
    assert.equal(a.status?.url, `${parent.status!.url!}/v1/models/tm-a`);
    assert.deepEqual((await post(`${a.status.url}:predict`, { instances: [[1, 0, 0, 0]] })).body, { predictions: [[2.5, -1]] });
    assert.deepEqual((await post(`${parent.status!.url!}/v1/models/mms:predict`, { instances: [[1, 0, 0, 0]] })).body, { predictions: [[1.5, -1]] }, 'the parent model still answers');
    await client.create(tm('tm-b', '768Mi'));
    const b = await tmStatus('tm-b', 'MemoryResourceAvailable', 'False');
    assert.equal(b.status?.conditions?.find((c) => c.type === 'Ready')?.status, 'False');
    assert.equal((await post(`${parent.status!.url!}/v1/models/tm-b:predict`, { instances: [[1, 0, 0, 0]] })).status, 404);
    await client.delete({ apiVersion: 'serving.kserve.io/v1alpha1', kind: 'TrainedModel' }, 'tm-a', ns);
    await waitFor(async () => ((await post(`${parent.status!.url!}/v1/models/tm-a:predict`, { instances: [[1, 0, 0, 0]] })).status === 404 ? true : undefined), { what: 'tm-a unloaded', timeoutMs: 30_000 });
    await tmStatus('tm-b', 'Ready', 'True');
    assert.equal((await post(`${parent.status!.url!}/v1/models/tm-b:predict`, { instances: [[1, 0, 0, 0]] })).status, 200);
  });

  test('the legacy framework field (onnx:) selects the same runtime', { skip: noTorch }, async () => {
    const ns = await freshNamespace(client, 'isvc-legacy');
    await client.create(isvc(ns, 'legacy', { onnx: { storageUri: join(models, 'v1', 'model.onnx') } }));
    const done = await until(ns, 'legacy', ready, 'the legacy InferenceService to be Ready');
    const v1 = await post(`${done.status!.url!}/v1/models/legacy:predict`, { instances: [[0, 0, 0, 1]] });
    assert.deepEqual(v1.body, { predictions: [[4.5, 0]] });
  });

  test('a scikit-learn model on the V2 protocol runs in an MLServer predictor Pod behind the same ingress', { skip: noMlserver }, async () => {
    const ns = await freshNamespace(client, 'isvc-mlserver');
    const dir = join(dataDir, 'sklearn-iris');
    execFileSync('mkdir', ['-p', dir]);
    execFileSync(mlserverPython, ['-c', 'import sys, joblib; from sklearn.datasets import load_iris; from sklearn.linear_model import LogisticRegression; X, y = load_iris(return_X_y=True); joblib.dump(LogisticRegression(max_iter=500).fit(X, y), sys.argv[1] + "/model.joblib")', dir]);
    await client.create(isvc(ns, 'iris', { model: { modelFormat: { name: 'sklearn' }, protocolVersion: 'v2', storageUri: `file://${dir}` } }));
    const done = await waitFor(async () => {
      const i = await get(ns, 'iris');
      return ready(i) ? i : undefined;
    }, { what: 'the MLServer InferenceService to be Ready', timeoutMs: 240_000 });
    assert.equal(done.status?.clusterServingRuntimeName, 'kserve-mlserver');
    const pod = await client.get<{ spec: { containers: { env?: { name: string; value?: string }[] }[] } } & InferenceService>({ apiVersion: 'v1', kind: 'Pod' }, 'iris-predictor-00001', ns);
    const env = Object.fromEntries((pod.spec.containers[0]?.env ?? []).map((e) => [e.name, e.value]));
    assert.equal(env['MLSERVER_MODEL_IMPLEMENTATION'], 'mlserver_sklearn.SKLearnModel');
    assert.equal(env['MLSERVER_MODEL_NAME'], 'iris');
    assert.notEqual(env['MLSERVER_HTTP_PORT'], '8080', 'the container port became a loopback host port');
    const answer = await post(`${done.status.url!}/v2/models/iris/infer`, { inputs: [{ name: 'input-0', shape: [2, 4], datatype: 'FP32', data: [[5.1, 3.5, 1.4, 0.2], [6.7, 3.0, 5.2, 2.3]] }] });
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    const outputs = answer.body['outputs'] as { data: number[] }[];
    assert.deepEqual(outputs[0]?.data, [0, 2]);
    // The runtime's own errors come back through the ingress unchanged.
    const unknown = await post(`${done.status.url!}/v2/models/nope/infer`, { inputs: [] });
    assert.equal(unknown.status, 404);
  });

  test('kserve-sklearnserver: a scikit-learn model on V1 and V2 (the kserve SDK REST client), and each protocol error', { skip: noKserve }, async () => {
    const ns = await freshNamespace(client, 'isvc-sklearn');
    const dir = join(dataDir, 'iris-kserve');
    trainIris(dir);
    await client.create(isvc(ns, 'iris', { model: { modelFormat: { name: 'sklearn' }, storageUri: `file://${dir}` } }));
    const done = await waitFor(async () => {
      const i = await get(ns, 'iris');
      return ready(i) ? i : undefined;
    }, { what: 'the sklearnserver InferenceService to be Ready', timeoutMs: 120_000 });
    assert.equal(done.status?.clusterServingRuntimeName, 'kserve-sklearnserver', 'V1 sklearn picks KServe\'s sklearn runtime');
    const base = done.status.url!;
    const rows = [[5.1, 3.5, 1.4, 0.2], [6.7, 3.0, 5.2, 2.3]];
    const v1 = await post(`${base}/v1/models/iris:predict`, { instances: rows });
    assert.equal(v1.status, 200, JSON.stringify(v1.body));
    assert.deepEqual(v1.body, { predictions: [0, 2] });
    const sdk = await kserveScript<{ ready: boolean; id: string; model: string; outputs: { name: string; shape: number[]; datatype: string; data: number[] }[]; bad: { status: number; body: { error: string } } | null }>(v2ClientScript, [base, 'iris', JSON.stringify(rows)]);
    assert.equal(sdk.ready, true);
    assert.equal(sdk.id, 'sdk-1');
    assert.equal(sdk.model, 'iris');
    assert.deepEqual(sdk.outputs, [{ name: 'output-0', shape: [2], datatype: 'INT64', data: [0, 2] }]);
    // What the model refuses is KServe's InferenceError, as its sklearnserver answers: 500 with {"error": <message>}.
    assert.equal(sdk.bad?.status, 500, 'a shape that does not fit the data');
    assert.match(sdk.bad?.body.error ?? '', /reshape/);
    // The same errors over plain HTTP: {"error": …} with 500 (the model failed), 400 (the SDK's own V1 checks) or 404.
    const v2 = (inputs: unknown): Promise<{ status: number; body: Record<string, unknown> }> => post(`${base}/v2/models/iris/infer`, { inputs });
    const wrongType = await v2([{ name: 'input-0', shape: [1, 4], datatype: 'FP32', data: ['a', 'b', 'c', 'd'] }]);
    assert.equal(wrongType.status, 500);
    assert.equal(typeof wrongType.body['error'], 'string');
    const unknownType = await v2([{ name: 'input-0', shape: [1, 4], datatype: 'FP99', data: [1, 2, 3, 4] }]);
    assert.equal(unknownType.status, 500);
    assert.match(String(unknownType.body['error']), /datatype/);
    const wrongWidth = await post(`${base}/v1/models/iris:predict`, { instances: [[1, 2, 3]] });
    assert.deepEqual(wrongWidth, { status: 500, body: { error: 'X has 3 features, but LogisticRegression is expecting 4 features as input.' } });
    assert.deepEqual(await post(`${base}/v1/models/iris:predict`, { instances: 5 }), { status: 400, body: { error: 'Expected "instances" to be a list' } });
    const unknown = await post(`${base}/v2/models/nope/infer`, { inputs: [] });
    assert.equal(unknown.status, 404);
    assert.match(String(unknown.body['error']), /nope/);
    const raw = async (path: string, body: string): Promise<number> => (await fetch(`${base}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body })).status;
    assert.equal(await raw('/v1/models/iris:predict', '{"instances": [['), 400, 'malformed JSON on V1');
    assert.equal(await raw('/v2/models/iris/infer', '{"inputs": ['), 422, 'malformed JSON on V2: the kserve SDK\'s request validation (FastAPI), as KServe\'s own servers answer');
  });

  test('a custom predictor: the user\'s kserve.Model in spec.predictor.containers runs as a Pod on its own loopback port', { skip: noKserve }, async () => {
    const ns = await freshNamespace(client, 'isvc-custom');
    const file = join(dataDir, 'doubler.py');
    writeFileSync(file, `
import argparse, os
import numpy as np
from kserve import InferOutput, InferRequest, InferResponse, Model, ModelServer, model_server

class Doubler(Model):
    def __init__(self, name):
        super().__init__(name)
        self.ready = True

    async def predict(self, payload, headers=None, response_headers=None):
        if isinstance(payload, InferRequest):
            x = payload.inputs[0].as_numpy() * 2
            out = InferOutput(name="doubled", shape=list(x.shape), datatype="FP32")
            out.set_data_from_numpy(x.astype(np.float32), binary_data=False)
            return InferResponse(response_id=payload.id, model_name=self.name, infer_outputs=[out])
        return {"predictions": (np.array(payload["instances"]) * 2).tolist(), "service": os.environ.get("K_SERVICE")}

parser = argparse.ArgumentParser(parents=[model_server.parser])
args, _ = parser.parse_known_args()
ModelServer().start([Doubler(args.model_name)])
`);
    await client.create(isvc(ns, 'custom', { containers: [{ name: 'kserve-container', image: 'myrepo/kserve-custom:1.0', command: ['python', file], args: ['--model_name=doubler'], ports: [{ containerPort: 8080, protocol: 'TCP' }] }] }));
    const done = await waitFor(async () => {
      const i = await get(ns, 'custom');
      return ready(i) ? i : undefined;
    }, { what: 'the custom predictor to be Ready', timeoutMs: 120_000 });
    assert.equal(done.status?.clusterServingRuntimeName, undefined);
    assert.equal(done.status?.components?.['predictor']?.latestReadyRevision, 'custom-predictor-00001');
    const pod = await client.get<{ spec: { containers: { args?: string[]; env?: { name: string; value?: string }[] }[] } } & InferenceService>({ apiVersion: 'v1', kind: 'Pod' }, 'custom-predictor-00001', ns);
    const container = pod.spec.containers[0]!;
    const env = Object.fromEntries((container.env ?? []).map((e) => [e.name, e.value]));
    const httpPort = container.args?.[container.args.indexOf('--http_port') + 1];
    assert.ok(httpPort && httpPort !== '8080', `--http_port is the replica's own loopback port: ${JSON.stringify(container.args)}`);
    assert.equal(env['PORT'], httpPort, 'PORT names the same port (Knative)');
    assert.equal(env['K_SERVICE'], 'custom-predictor');
    assert.equal(env['K_REVISION'], 'custom-predictor-00001');
    assert.ok(container.args?.includes('--grpc_port'), 'the kserve SDK\'s gRPC port gets its own port too');
    const base = done.status.url!;
    assert.deepEqual((await post(`${base}/v1/models/doubler:predict`, { instances: [[1, 2], [3, 4]] })).body, { predictions: [[2, 4], [6, 8]], service: 'custom-predictor' });
    const sdk = await kserveScript<{ ready: boolean; outputs: { name: string; data: number[][] }[] }>(v2ClientScript, [base, 'doubler', JSON.stringify([[1.5, 2.5, 3, 4]])]);
    assert.equal(sdk.ready, true);
    assert.deepEqual(sdk.outputs.map((o) => [o.name, o.data]), [['doubled', [[3, 5, 6, 8]]]]);
    assert.equal((await post(`${base}/v1/models/other:predict`, { instances: [[1]] })).status, 404, 'unknown model');
  });

  test('a transformer in front of the predictor: the ingress sends requests to it, and it calls the predictor through --predictor_host', { skip: noKserve }, async () => {
    const ns = await freshNamespace(client, 'isvc-transformer');
    const dir = join(dataDir, 'iris-transformer');
    trainIris(dir);
    const file = join(dataDir, 'mm_to_cm.py');
    // Measurements come in millimetres; the model was trained on centimetres.
    writeFileSync(file, `
import argparse
from kserve import Model, ModelServer, model_server

class MillimetresToCentimetres(Model):
    def __init__(self, name):
        super().__init__(name)
        self.ready = True

    async def preprocess(self, payload, headers=None):
        return {"instances": [[v / 10 for v in row] for row in payload["instances"]]}

parser = argparse.ArgumentParser(parents=[model_server.parser])
args, _ = parser.parse_known_args()
ModelServer().start([MillimetresToCentimetres(args.model_name)])
`);
    const spec: InferenceService = isvc(ns, 'iris-mm', { model: { modelFormat: { name: 'sklearn' }, storageUri: dir } });
    spec.spec.transformer = { containers: [{ name: 'kserve-container', image: 'myrepo/kserve-transformer:1.0', command: ['python', file], args: ['--predictor_protocol', 'v1'] }] };
    await client.create(spec);
    const done = await waitFor(async () => {
      const i = await get(ns, 'iris-mm');
      return ready(i) ? i : undefined;
    }, { what: 'the InferenceService with a transformer to be Ready', timeoutMs: 120_000 });
    assert.equal(condition(done, 'TransformerReady')?.status, 'True');
    assert.equal(done.status?.components?.['transformer']?.latestReadyRevision, 'iris-mm-transformer-00001');
    assert.equal(done.status?.components?.['transformer']?.url, done.status?.url);
    assert.equal(done.status?.components?.['predictor']?.url, `${floe.url}/serving/${ns}/iris-mm-predictor`);
    const pod = await client.get<{ spec: { containers: { args?: string[] }[] } } & InferenceService>({ apiVersion: 'v1', kind: 'Pod' }, 'iris-mm-transformer-00001', ns);
    const args = pod.spec.containers[0]!.args ?? [];
    assert.equal(args[args.indexOf('--model_name') + 1], 'iris-mm');
    assert.equal(args[args.indexOf('--predictor_host') + 1], `${floe.url.replace('http://', '')}/serving/${ns}/iris-mm-predictor`);
    const viaTransformer = await fetch(`${done.status.url!}/v1/models/iris-mm:predict`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ instances: [[51, 35, 14, 2], [67, 30, 52, 23]] }) });
    assert.equal(viaTransformer.status, 200);
    assert.equal(viaTransformer.headers.get('x-floe-replica'), 'iris-mm-transformer-00001', 'the transformer answered');
    assert.deepEqual(await viaTransformer.json(), { predictions: [0, 2] }, 'millimetres scaled to centimetres before the model');
    const direct = await post(`${done.status.components['predictor'].url}/v1/models/iris-mm:predict`, { instances: [[5.1, 3.5, 1.4, 0.2]] });
    assert.deepEqual(direct.body, { predictions: [0] }, 'the predictor answers on its own URL too');
    // The kserve SDK's transformer reports a predictor's error as its own 500, naming the predictor's error (as in KServe).
    const bad = await post(`${done.status.url!}/v1/models/iris-mm:predict`, { instances: [[1, 2, 3]] });
    assert.equal(bad.status, 500, JSON.stringify(bad.body));
    assert.match(String(bad.body['error']), /X has 3 features, but LogisticRegression is expecting 4 features as input.*500/);

    // minReplicas 0: the predictor and the transformer go to zero together and come back for the next request.
    const current = await get(ns, 'iris-mm');
    await client.update<InferenceService>({ ...current, metadata: { ...current.metadata, annotations: { ...(current.metadata.annotations ?? {}), 'serving.floe.dev/scale-to-zero-after': '1' } }, spec: { ...current.spec, predictor: { ...current.spec.predictor, minReplicas: 0 } } });
    await waitFor(async () => ((await client.list<{ reason?: string } & InferenceService>({ apiVersion: 'v1', kind: 'Event' }, { namespace: ns })).items.some((e) => e.reason === 'ScaledToZero') ? true : undefined), { what: 'scaled to zero', timeoutMs: 60_000 });
    await waitFor(async () => ((await client.list({ apiVersion: 'v1', kind: 'Pod' }, { namespace: ns })).items.length === 0 ? true : undefined), { what: 'no Pod left', timeoutMs: 60_000 });
    const woken = await fetch(`${done.status.url!}/v1/models/iris-mm:predict`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ instances: [[51, 35, 14, 2]] }) });
    assert.equal(woken.status, 200, await woken.clone().text());
    assert.equal(woken.headers.get('x-floe-activated'), '1');
    assert.deepEqual(await woken.json(), { predictions: [0] });
  });

  test('autoscaling: a Pod runtime goes from 1 to 2 replicas under concurrency above its target without a failed request, and back to 1 when idle', { skip: noKserve }, async () => {
    const ns = await freshNamespace(client, 'isvc-scale');
    const dir = join(dataDir, 'iris-scale');
    trainIris(dir);
    const created = isvc(ns, 'busy', { minReplicas: 1, maxReplicas: 2, scaleMetric: 'concurrency', scaleTarget: 1, model: { modelFormat: { name: 'sklearn' }, storageUri: dir } });
    // A short stable window (Knative: 60 s) so the test sees the scale-down soon.
    created.metadata.annotations = { 'autoscaling.knative.dev/window': '4s' };
    await client.create(created);
    const done = await waitFor(async () => {
      const i = await get(ns, 'busy');
      return ready(i) ? i : undefined;
    }, { what: 'Ready with one replica', timeoutMs: 120_000 });
    const replicas = (i: InferenceService): { desired: number; ready: number } | undefined => (JSON.parse(i.status?.annotations?.['serving.floe.dev/replicas'] ?? '{}') as Record<string, { desired: number; ready: number }>)['busy-predictor-00001'];
    assert.deepEqual(replicas(done), { desired: 1, ready: 1 });
    const url = `${done.status?.url ?? ""}/v1/models/busy:predict`;
    // Load: 6 requests at a time (6× the target), bounded: until 200 requests after the second replica is ready,
    // and never more than 20,000.
    let stopAfter = 20_000;
    let sent = 0;
    const failures: string[] = [];
    const answeredBy: Record<string, number> = {};
    const worker = async (): Promise<void> => {
      while (sent < stopAfter) {
        sent += 1;
        const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ instances: [[6.7, 3.0, 5.2, 2.3]] }) });
        const body = await res.text();
        if (res.status !== 200 || body !== '{"predictions":[2]}') failures.push(`${res.status} ${body}`);
        const pod = res.headers.get('x-floe-replica') ?? '?';
        answeredBy[pod] = (answeredBy[pod] ?? 0) + 1;
      }
    };
    const load = Promise.all(Array.from({ length: 6 }, worker));
    const scaled = await waitFor(async () => {
      const i = await get(ns, 'busy');
      return replicas(i)?.ready === 2 ? i : undefined;
    }, { what: 'a second ready replica', timeoutMs: 120_000 });
    assert.equal(replicas(scaled)?.desired, 2);
    stopAfter = Math.min(stopAfter, sent + 200);
    await load;
    assert.deepEqual(failures, [], `${failures.length} of ${sent} requests failed`);
    assert.ok((answeredBy['busy-predictor-00001-r1'] ?? 0) > 0, `the new replica took requests: ${JSON.stringify(answeredBy)}`);
    const events = (await client.list<{ reason?: string; message?: string } & InferenceService>({ apiVersion: 'v1', kind: 'Event' }, { namespace: ns })).items.filter((e) => e.reason === 'SuccessfulRescale');
    assert.match(events[0]?.message ?? '', /busy-predictor-00001: new size 2 \(was 1\); concurrency/);
    // Idle: the stable window's average falls under the target, and the second replica goes.
    await waitFor(async () => {
      const i = await get(ns, 'busy');
      return replicas(i)?.desired === 1 && replicas(i)?.ready === 1 ? i : undefined;
    }, { what: 'back to one replica', timeoutMs: 60_000 });
    await waitFor(async () => ((await client.list({ apiVersion: 'v1', kind: 'Pod' }, { namespace: ns })).items.length === 1 ? true : undefined), { what: 'the second replica Pod to go', timeoutMs: 60_000 });
    assert.deepEqual(await post(url, { instances: [[5.1, 3.5, 1.4, 0.2]] }), { status: 200, body: { predictions: [0] } });
  });

  test('failures KServe reports: no runtime for the format, storage Floe cannot reach, a model that does not load', async () => {
    const ns = await freshNamespace(client, 'isvc-bad');
    await client.create(isvc(ns, 'triton', { model: { modelFormat: { name: 'triton' }, storageUri: '/tmp' } }));
    await client.create(isvc(ns, 'remote', { model: { modelFormat: { name: 'onnx' }, storageUri: 'gs://kfserving-examples/models/onnx' } }));
    await client.create(isvc(ns, 'junk', { model: { modelFormat: { name: 'onnx' }, storageUri: join(dataDir, 'floe.db') } }));
    await client.create(isvc(ns, 'mlflow-v1', { model: { modelFormat: { name: 'mlflow' }, storageUri: '/tmp' } }));
    // Triton is listed as KServe lists it, and says why it cannot run here.
    const triton = await until(ns, 'triton', (i) => condition(i, 'Ready')?.status === 'False', 'triton to fail');
    assert.equal(condition(triton, 'PredictorReady')?.reason, 'RuntimeUnavailable');
    assert.equal(triton.status?.clusterServingRuntimeName, 'kserve-tritonserver');
    assert.match(condition(triton, 'PredictorReady')?.message ?? '', /tritonserver/);
    // MLflow models need the v2 protocol (MLServer only): on v1 no runtime supports them, as in KServe.
    const mlflow = await until(ns, 'mlflow-v1', (i) => condition(i, 'Ready')?.status === 'False', 'mlflow on v1 to fail');
    assert.equal(condition(mlflow, 'PredictorReady')?.reason, 'NoSupportingRuntime');
    assert.equal(mlflow.status?.modelStatus?.lastFailureInfo?.message, 'No runtime found to support specified framework/version');
    assert.match(condition(mlflow, 'PredictorReady')?.message ?? '', /mlflow/);
    const remote = await until(ns, 'remote', (i) => condition(i, 'Ready')?.status === 'False', 'remote to fail');
    assert.match(condition(remote, 'Ready')?.message ?? '', /gs:\/\//);
    const junk = await until(ns, 'junk', (i) => condition(i, 'Ready')?.status === 'False', 'junk to fail');
    assert.equal(junk.status?.modelStatus?.lastFailureInfo?.reason, 'ModelLoadFailed');
    assert.equal(junk.status?.modelStatus?.transitionStatus, 'BlockedByFailedLoad');
  });
});
