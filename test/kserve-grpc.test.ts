// The Open Inference Protocol's gRPC service through Floe, as a KServe user calls it: the kserve SDK's
// InferenceGRPCClient and a grpc-js client reach an in-process ONNX InferenceService and a kserve-sklearnserver Pod
// on Floe's own port (h2c in plain text, ALPN h2 over TLS), routed by :authority `<name>.<namespace>.<domain>`.
// Floe's authentication and authorization apply to gRPC calls as to the HTTP ingress.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, execFileSync, spawnSync } from 'node:child_process';
import { promisify } from 'node:util';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { credentials, makeGenericClientConstructor, Metadata, status, type ChannelCredentials, type ServiceError } from '@grpc/grpc-js';
import type { Client } from '../src/client/client.js';
import { InferenceServiceRef, type InferenceService } from '../src/controllers/serving/index.js';
import { defaultConfig } from '../src/server/config.js';
import { startFloe, type Floe } from '../src/server/floe.js';
import { inferenceService } from '../src/serving/grpc-inference.js';
import { startEmbeddedFloe, type EmbeddedFloe } from './helpers/embedded-floe.js';
import { freshNamespace } from './helpers/fixtures.js';
import { killRecordedProcesses, testTiming } from './helpers/kubelet-harness.js';
import { waitFor } from './helpers/wait.js';

const venv = (name: string): string => fileURLToPath(new URL(`../../.venvs/${name}/bin/python`, import.meta.url));
const kservePython = venv('kserve');
const torchPython = venv('torch');
const noKserve = existsSync(kservePython) && spawnSync(kservePython, ['-c', 'import kserve, sklearn, grpc'], { stdio: 'ignore' }).status === 0 ? false : `.venvs/kserve with the kserve SDK, grpcio and scikit-learn is not installed (${kservePython})`;
const noTorch = existsSync(torchPython) ? false : `.venvs/torch is not installed (${torchPython}): the test exports its ONNX model with torch`;
const mlserverPython = venv('mlserver');
const noMlserver = existsSync(mlserverPython) ? false : `.venvs/mlserver is not installed (${mlserverPython})`;
if (noKserve) console.log(`# skipping the kserve SDK gRPC tests: ${noKserve}`);
if (noMlserver) console.log(`# skipping the MLServer gRPC test: ${noMlserver}`);
if (noTorch) console.log(`# skipping the in-process ONNX gRPC tests: ${noTorch}`);

/** The SDK runs beside this process's Floe: never block the event loop that serves it. */
const run = promisify(execFile);

const rows = [[5.1, 3.5, 1.4, 0.2], [6.7, 3.0, 5.2, 2.3]];

/** The kserve SDK's InferenceGRPCClient: liveness, readiness, model metadata and one inference, printed as JSON. */
const sdkClient = `
import asyncio, json, sys
import numpy as np
from kserve import InferenceGRPCClient, InferRequest, InferInput
from kserve.protocol.grpc import grpc_predict_v2_pb2 as pb

async def main():
    url, authority, model, input_name, datatype, data = sys.argv[1:7]
    ca, token = (sys.argv[7:9] + ["", ""])[:2]
    args = [("grpc.default_authority", authority)]
    tls = {}
    if ca:
        # The serving certificate names localhost; the authority names the InferenceService.
        args.append(("grpc.ssl_target_name_override", "localhost"))
        tls = {"use_ssl": True, "root_certificates": ca}
    md = [("authorization", "Bearer " + token)] if token else None
    client = InferenceGRPCClient(url=url, channel_args=args, **tls)
    out = {"live": await client.is_server_live(headers=md), "ready": await client.is_server_ready(headers=md), "model_ready": await client.is_model_ready(model, headers=md)}
    meta = await client._client_stub.ModelMetadata(pb.ModelMetadataRequest(name=model), metadata=md)
    out["metadata"] = {"name": meta.name, "platform": meta.platform, "inputs": [[t.name, t.datatype, list(t.shape)] for t in meta.inputs], "outputs": [[t.name, t.datatype, list(t.shape)] for t in meta.outputs]}
    array = np.array(json.loads(data), dtype=np.float32 if datatype == "FP32" else np.float64)
    tensor = InferInput(name=input_name, shape=list(array.shape), datatype=datatype)
    tensor.set_data_from_numpy(array, binary_data=False)
    res = await client.infer(InferRequest(model_name=model, infer_inputs=[tensor], request_id="grpc-1"), headers=md)
    out["infer"] = {"id": res.id, "model_name": res.model_name, "outputs": [[o.name, o.datatype, list(o.shape), o.as_numpy().tolist()] for o in res.outputs]}
    await client.close()
    print(json.dumps(out))

asyncio.run(main())
`;

interface SdkAnswer {
  live: boolean;
  ready: boolean;
  model_ready: boolean;
  metadata: { name: string; platform: string; inputs: [string, string, number[]][]; outputs: [string, string, number[]][] };
  infer: { id: string; model_name: string; outputs: [string, string, number[], unknown][] };
}

type Call = (method: string, request: unknown, metadata?: Metadata) => Promise<Record<string, unknown>>;

/** A grpc-js client of inference.GRPCInferenceService on Floe's port, with the authority naming the InferenceService. */
function grpcClient(port: number, authority: string, creds: ChannelCredentials, extra: Record<string, string> = {}): { call: Call; close(): void } {
  const Ctor = makeGenericClientConstructor(inferenceService(), 'GRPCInferenceService');
  const client = new Ctor(`127.0.0.1:${port}`, creds, { 'grpc.default_authority': authority, ...extra }) as unknown as Record<string, (req: unknown, md: Metadata, cb: (err: ServiceError | null, res?: Record<string, unknown>) => void) => void> & { close(): void };
  return {
    call: (method, request, metadata = new Metadata()) => new Promise((resolve, reject) => client[method]!(request, metadata, (err, res) => (err ? reject(err) : resolve(res ?? {})))),
    close: () => client.close(),
  };
}

const isvc = (ns: string, name: string, predictor: Record<string, unknown>): InferenceService => ({
  apiVersion: 'serving.kserve.io/v1beta1',
  kind: 'InferenceService',
  metadata: { name, namespace: ns },
  spec: { predictor },
});

async function ready(client: Client, ns: string, name: string): Promise<InferenceService> {
  return waitFor(async () => {
    const i = await client.get<InferenceService>(InferenceServiceRef, name, ns);
    const cond = i.status?.conditions?.find((c) => c.type === 'Ready');
    if (cond?.status === 'False' && cond.reason !== 'RevisionNotReady') throw new Error(`${name} failed: ${cond.reason ?? ''}: ${cond.message ?? ''}`);
    return cond?.status === 'True' ? i : undefined;
  }, { what: `InferenceService ${ns}/${name} to be Ready`, timeoutMs: 240_000, intervalMs: 200 });
}

function exportLinear(dir: string): string {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'model.onnx');
  const script = 'import sys, torch\ntorch.manual_seed(0)\nm = torch.nn.Linear(4, 2)\ntorch.onnx.export(m, torch.zeros(1, 4), sys.argv[1], input_names=["input"], output_names=["output"], dynamic_axes={"input": {0: "batch"}, "output": {0: "batch"}}, dynamo=False)';
  execFileSync(torchPython, ['-c', script, file], { stdio: 'pipe' });
  return file;
}

/** The same rows through the HTTP ingress (V2 JSON): what the gRPC answers are compared with. */
async function httpInfer(base: string, ns: string, name: string, init: RequestInit = {}): Promise<number[]> {
  const res = await fetch(`${base}/serving/${ns}/${name}/v2/models/${name}/infer`, {
    method: 'POST',
    ...init,
    headers: { 'content-type': 'application/json', ...(init.headers as Record<string, string> | undefined) },
    body: JSON.stringify({ inputs: [{ name: 'input', datatype: 'FP32', shape: [2, 4], data: rows.flat() }] }),
  });
  assert.equal(res.status, 200);
  const body = (await res.json()) as { outputs: { data: number[] }[] };
  return body.outputs[0]!.data;
}

const close = (a: number[], b: number[]): void => {
  assert.equal(a.length, b.length);
  a.forEach((v, i) => assert.ok(Math.abs(v - b[i]!) < 1e-5, `element ${i}: ${v} vs ${b[i]!}`));
};

describe('gRPC over TLS on a token-protected Floe (ALPN h2 on the one port)', { skip: noTorch }, () => {
  let floe: Floe;
  let dir: string;
  const token = randomBytes(24).toString('hex');
  const malloryToken = randomBytes(24).toString('hex');
  let creds: ChannelCredentials;
  let ns: string;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'floe-kserve-grpc-tls-'));
    // mallory has a valid token and no role: authenticated, not authorized.
    const tokens = join(dir, 'tokens.csv');
    writeFileSync(tokens, `${malloryToken},mallory,mallory-uid\n`, { mode: 0o600 });
    floe = await startFloe({ ...defaultConfig(), dataDir: join(dir, 'data'), port: 0, logLevel: 'silent', runPods: true, controllers: true, kubeletTiming: testTiming, token, tokenAuthFile: tokens, authProxy: { header: 'kubeflow-userid', prefix: '', addresses: ['10.99.0.0/16'] } });
    creds = credentials.createSsl(readFileSync(join(dir, 'data', 'pki', 'ca.crt')));
    ns = await freshNamespace(floe.client, 'kserve-grpc-tls');
    const file = exportLinear(join(dir, 'data', 'models', 'linear'));
    await floe.client.create(isvc(ns, 'linear', { onnx: { storageUri: pathToFileURL(file).href } }));
    await ready(floe.client, ns, 'linear');
  });

  after(async () => {
    await floe.stop();
    killRecordedProcesses(dir);
    rmSync(dir, { recursive: true, force: true });
  });

  test('a call without a token, or with a wrong one, is refused UNAUTHENTICATED before it reaches the model', async () => {
    const anonymous = grpcClient(floe.port, `linear.${ns}.example.com`, creds, { 'grpc.ssl_target_name_override': 'localhost' });
    try {
      for (const method of ['ServerLive', 'ModelMetadata', 'ModelInfer']) {
        await assert.rejects(anonymous.call(method, { name: 'linear', model_name: 'linear', inputs: [] }), (err: ServiceError) => err.code === status.UNAUTHENTICATED, `${method} without a token`);
      }
      const wrong = new Metadata();
      wrong.set('authorization', 'Bearer not-the-token');
      await assert.rejects(anonymous.call('ServerReady', {}, wrong), (err: ServiceError) => err.code === status.UNAUTHENTICATED);
      // The authenticating proxy is elsewhere (10.99.0.0/16): its user header from this address is a spoof.
      const spoof = new Metadata();
      spoof.set('kubeflow-userid', 'floe-admin');
      await assert.rejects(anonymous.call('ModelInfer', { model_name: 'linear', inputs: [] }, spoof), (err: ServiceError) => err.code === status.UNAUTHENTICATED);
      // A name that is no InferenceService is refused the same way: nothing is revealed before authentication.
      const nowhere = grpcClient(floe.port, `nothing.${ns}.example.com`, creds, { 'grpc.ssl_target_name_override': 'localhost' });
      await assert.rejects(nowhere.call('ServerLive', {}), (err: ServiceError) => err.code === status.UNAUTHENTICATED);
      nowhere.close();
    } finally {
      anonymous.close();
    }
  });

  test('a caller with a valid token but no access to the InferenceService is refused PERMISSION_DENIED', async () => {
    const md = new Metadata();
    md.set('authorization', `Bearer ${malloryToken}`);
    const c = grpcClient(floe.port, `linear.${ns}.example.com`, creds, { 'grpc.ssl_target_name_override': 'localhost' });
    try {
      await assert.rejects(c.call('ModelInfer', { model_name: 'linear', inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 4], contents: { fp32_contents: rows[0] } }] }, md), (err: ServiceError) => err.code === status.PERMISSION_DENIED && /mallory.*cannot create.*inferenceservices\/proxy/.test(err.details));
    } finally {
      c.close();
    }
  });

  test('the kserve SDK\'s InferenceGRPCClient over TLS with the token (use_ssl, root_certificates)', { skip: noKserve }, async () => {
    const { stdout } = await run(kservePython, ['-c', sdkClient, `127.0.0.1:${floe.port}`, `linear.${ns}.example.com`, 'linear', 'input', 'FP32', JSON.stringify(rows), join(dir, 'data', 'pki', 'ca.crt'), token]);
    const answer = JSON.parse(stdout) as SdkAnswer;
    assert.deepEqual([answer.live, answer.ready, answer.model_ready], [true, true, true]);
    assert.deepEqual(answer.infer.outputs.map(([name, datatype, shape]) => [name, datatype, shape]), [['output', 'FP32', [2, 2]]]);
  });

  test('with the token, ModelInfer over TLS answers what the HTTP/1.1 ingress on the same port answers', async () => {
    const md = new Metadata();
    md.set('authorization', `Bearer ${token}`);
    const c = grpcClient(floe.port, `linear.${ns}.example.com`, creds, { 'grpc.ssl_target_name_override': 'localhost' });
    try {
      assert.deepEqual(await c.call('ServerLive', {}, md), { live: true });
      const answer = (await c.call('ModelInfer', { model_name: 'linear', id: 'tls-1', inputs: [{ name: 'input', datatype: 'FP32', shape: [2, 4], contents: { fp32_contents: rows.flat() } }] }, md)) as { id: string; outputs: { name: string; contents: { fp32_contents: number[] } }[] };
      assert.equal(answer.id, 'tls-1');
      // HTTP/1.1 on the same port still answers (fetch cannot take a CA: the https module with the CA file).
      const { request } = await import('node:https');
      const viaHttp = await new Promise<number[]>((resolve, reject) => {
        const req = request(`https://127.0.0.1:${floe.port}/serving/${ns}/linear/v2/models/linear/infer`, { method: 'POST', ca: readFileSync(join(dir, 'data', 'pki', 'ca.crt')), headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' } }, (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve((JSON.parse(Buffer.concat(chunks).toString()) as { outputs: { data: number[] }[] }).outputs[0]!.data));
        });
        req.on('error', reject);
        req.end(JSON.stringify({ inputs: [{ name: 'input', datatype: 'FP32', shape: [2, 4], data: rows.flat() }] }));
      });
      close(answer.outputs[0]!.contents.fp32_contents, viaHttp);
    } finally {
      c.close();
    }
  });
});

describe('gRPC in plain text (h2c) through Floe\'s ingress', () => {
  let env: EmbeddedFloe;
  let client: Client;
  let onnxNs: string;

  before(async () => {
    env = await startEmbeddedFloe('floe-kserve-grpc-');
    client = env.floe.client;
    if (!noTorch) {
      onnxNs = await freshNamespace(client, 'kserve-grpc-onnx');
      const file = exportLinear(join(env.dataDir, 'models', 'linear'));
      await client.create(isvc(onnxNs, 'linear', { onnx: { storageUri: pathToFileURL(file).href } }));
      await ready(client, onnxNs, 'linear');
    }
  });

  after(async () => {
    await env.stop();
  });

  test('the kserve SDK\'s InferenceGRPCClient gets liveness, readiness, metadata and ModelInfer from an in-process ONNX model', { skip: noKserve || noTorch }, async () => {
    const { stdout: out } = await run(kservePython, ['-c', sdkClient, `127.0.0.1:${env.floe.port}`, `linear.${onnxNs}.example.com`, 'linear', 'input', 'FP32', JSON.stringify(rows)]);
    const answer = JSON.parse(out) as SdkAnswer;
    assert.equal(answer.live, true);
    assert.equal(answer.ready, true);
    assert.equal(answer.model_ready, true);
    assert.deepEqual(answer.metadata, { name: 'linear', platform: 'onnxruntime_onnx', inputs: [['input', 'FP32', [-1, 4]]], outputs: [['output', 'FP32', [-1, 2]]] });
    assert.equal(answer.infer.id, 'grpc-1');
    assert.equal(answer.infer.model_name, 'linear');
    const [name, datatype, shape, data] = answer.infer.outputs[0]!;
    assert.deepEqual([name, datatype, shape], ['output', 'FP32', [2, 2]]);
    close((data as number[][]).flat(), await httpInfer(env.floe.url, onnxNs, 'linear'));
  });

  test('raw_input_contents in, raw_output_contents out (grpc-js); errors as gRPC status codes', { skip: noTorch }, async () => {
    const c = grpcClient(env.floe.port, `linear.${onnxNs}.example.com`, credentials.createInsecure());
    try {
      const raw = Buffer.from(new Float32Array(rows.flat()).buffer);
      const answer = (await c.call('ModelInfer', { model_name: 'linear', inputs: [{ name: 'input', datatype: 'FP32', shape: [2, 4] }], raw_input_contents: [raw] })) as { outputs: { name: string; datatype: string; shape: string[]; contents?: unknown }[]; raw_output_contents: Buffer[] };
      assert.deepEqual(answer.outputs.map((o) => [o.name, o.datatype, o.shape.map(Number)]), [['output', 'FP32', [2, 2]]]);
      assert.equal(answer.outputs[0]!.contents, undefined, 'a raw request gets raw outputs, as KServe answers');
      const bytes = answer.raw_output_contents[0]!;
      close(Array.from(new Float32Array(new Uint8Array(bytes).buffer)), await httpInfer(env.floe.url, onnxNs, 'linear'));
      await assert.rejects(c.call('ModelInfer', { model_name: 'linear', inputs: [{ name: 'input', datatype: 'FP32', shape: [2, 4] }], raw_input_contents: [raw.subarray(4)] }), (err: ServiceError) => err.code === status.INVALID_ARGUMENT && /needs 32 bytes/.test(err.details));
      await assert.rejects(c.call('ModelMetadata', { name: 'other' }), (err: ServiceError) => err.code === status.NOT_FOUND);
      const nowhere = grpcClient(env.floe.port, `missing.${onnxNs}.example.com`, credentials.createInsecure());
      await assert.rejects(nowhere.call('ServerLive', {}), (err: ServiceError) => err.code === status.NOT_FOUND && /no InferenceService missing/.test(err.details));
      nowhere.close();
    } finally {
      c.close();
    }
  });

  test('the kserve SDK\'s client reaches a kserve-sklearnserver Pod through the ingress (the Pod\'s gRPC port)', { skip: noKserve }, async () => {
    const ns = await freshNamespace(client, 'kserve-grpc-sklearn');
    const dir = join(env.dataDir, 'models', 'iris');
    mkdirSync(dir, { recursive: true });
    execFileSync(kservePython, ['-c', 'import sys, joblib; from sklearn.datasets import load_iris; from sklearn.linear_model import LogisticRegression; X, y = load_iris(return_X_y=True); joblib.dump(LogisticRegression(max_iter=500).fit(X, y), sys.argv[1])', join(dir, 'model.joblib')]);
    await client.create(isvc(ns, 'iris', { sklearn: { storageUri: pathToFileURL(dir).href } }));
    await ready(client, ns, 'iris');
    const { stdout: out } = await run(kservePython, ['-c', sdkClient, `127.0.0.1:${env.floe.port}`, `iris-predictor.${ns}.example.com`, 'iris', 'input-0', 'FP64', JSON.stringify(rows)]);
    const answer = JSON.parse(out) as SdkAnswer;
    assert.equal(answer.live, true);
    assert.equal(answer.ready, true);
    assert.equal(answer.model_ready, true);
    assert.equal(answer.metadata.name, 'iris');
    assert.equal(answer.infer.model_name, 'iris');
    assert.equal(answer.infer.id, 'grpc-1');
    assert.deepEqual(answer.infer.outputs[0]![3], [0, 2], 'setosa and virginica, as the model predicts over HTTP');
  });
  test('a gRPC call wakes an InferenceService scaled to zero and waits for it, and is metered like an HTTP request', { skip: noTorch }, async () => {
    const ns = await freshNamespace(client, 'kserve-grpc-zero');
    const file = exportLinear(join(env.dataDir, 'models', 'sleepy'));
    const created = isvc(ns, 'sleepy', { minReplicas: 0, onnx: { storageUri: pathToFileURL(file).href } });
    created.metadata.annotations = { 'serving.floe.dev/scale-to-zero-after': '1' };
    await client.create(created);
    await ready(client, ns, 'sleepy');
    const zeroEvents = async (): Promise<number> => {
      const events = (await client.list<{ reason?: string; count?: number } & InferenceService>({ apiVersion: 'v1', kind: 'Event' }, { namespace: ns })).items.filter((e) => e.reason === 'ScaledToZero');
      return events.reduce((n, e) => n + (e.count ?? 1), 0);
    };
    await waitFor(async () => ((await zeroEvents()) >= 1 ? true : undefined), { what: 'scaled to zero', timeoutMs: 60_000 });
    const c = grpcClient(env.floe.port, `sleepy.${ns}.example.com`, credentials.createInsecure());
    try {
      // Before: a call to a revision at zero was refused UNAVAILABLE. Now it brings the revision back, as HTTP does.
      const answers = await Promise.all([0, 1, 2].map(() => c.call('ModelInfer', { model_name: 'sleepy', inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 4], contents: { fp32_contents: rows[0] } }] })));
      for (const a of answers) assert.equal((a['outputs'] as { shape: string[] }[])[0]?.shape.map(Number).join(','), '1,2');
    } finally {
      c.close();
    }
    // The calls were metered per revision, as the HTTP ingress meters requests (the load the autoscaler reads).
    const seen = (await (await fetch(`${env.floe.url}/serving/${ns}/sleepy/.floe/variants`)).json()) as { variants: { revision: string; requests: number; errors: number }[] };
    assert.equal(seen.variants.length, 1, JSON.stringify(seen));
    assert.match(seen.variants[0]!.revision, /^sleepy-predictor/);
    assert.deepEqual([seen.variants[0]!.requests, seen.variants[0]!.errors], [3, 0]);
  });

  test('MLServer over gRPC through the ingress: the kserve SDK\'s InferenceGRPCClient reaches a kserve-mlserver Pod', { skip: noKserve || noMlserver }, async () => {
    const ns = await freshNamespace(client, 'kserve-grpc-mlserver');
    const dir = join(env.dataDir, 'models', 'iris-mlserver');
    mkdirSync(dir, { recursive: true });
    execFileSync(kservePython, ['-c', 'import sys, joblib; from sklearn.datasets import load_iris; from sklearn.linear_model import LogisticRegression; X, y = load_iris(return_X_y=True); joblib.dump(LogisticRegression(max_iter=500).fit(X, y), sys.argv[1])', join(dir, 'model.joblib')]);
    await client.create(isvc(ns, 'mls', { model: { modelFormat: { name: 'sklearn' }, protocolVersion: 'v2', runtime: 'kserve-mlserver', storageUri: pathToFileURL(dir).href } }));
    await ready(client, ns, 'mls');
    const { stdout: out } = await run(kservePython, ['-c', sdkClient, `127.0.0.1:${env.floe.port}`, `mls.${ns}.example.com`, 'mls', 'input-0', 'FP64', JSON.stringify(rows)]);
    const answer = JSON.parse(out) as SdkAnswer;
    assert.equal(answer.live, true);
    assert.equal(answer.ready, true);
    assert.equal(answer.model_ready, true);
    assert.equal(answer.metadata.name, 'mls');
    assert.equal(answer.infer.model_name, 'mls');
    assert.equal(answer.infer.id, 'grpc-1');
    assert.deepEqual(answer.infer.outputs.map((o) => [o[0], o[1], o[2]]), [['predict', 'INT64', [2, 1]]], 'MLServer\'s sklearn runtime names its output predict');
    assert.deepEqual((answer.infer.outputs[0]![3] as number[][]).flat(), [0, 2]);
  });
});

