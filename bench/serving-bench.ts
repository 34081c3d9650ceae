// Serving benchmark, first part of issue 8's side-by-side: the same request load against
//  - Floe's in-process ONNX runtime through Floe's ingress: the iris logistic regression below exported to ONNX by
//    skl2onnx (the same model as the MLServer and kserve columns), over HTTP V2 and over gRPC (ModelInfer, typed
//    contents and raw_input_contents), and a small MLP exported by PyTorch,
//  - Floe → the kserve-mlserver runtime (scikit-learn logistic regression on iris) through the ingress,
//  - that MLServer process directly (its own port: MLServer alone),
//  - the same iris model on kserve-sklearnserver (Floe's server on the kserve SDK's Python ModelServer) through the
//    ingress and directly (the kserve Python ModelServer alone), and an XGBoost and a LightGBM booster on iris on
//    kserve-xgbserver and kserve-lgbserver (V1, through the ingress and alone),
// at a fixed concurrency: throughput and p50/p99 latency, and the ingress's added latency (Floe → MLServer minus
// MLServer alone), the same ONNX load through a 90/10 canary split, the time from zero replicas to the first answer,
// a bounded burst that meets the 90/10 canary at zero replicas, and a bounded load that makes a Pod runtime scale
// from 1 to 2 replicas (Knative's autoscaler rules).
// Starts `floe up` as a subprocess; writes bench/results/serving-bench.json.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { credentials, makeGenericClientConstructor } from '@grpc/grpc-js';
import { inferenceService } from '../src/serving/grpc-inference.js';
import { grpcPortOf } from '../src/controllers/serving/grpc-ingress.js';
import { arg, benchVenv, percentile, sleep, httpCall } from './common.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const cli = join(root, 'dist', 'src', 'cli', 'main.js');
const torchPython = join(root, '.venvs', 'torch', 'bin', 'python');
const mlserverPython = join(root, '.venvs', 'mlserver', 'bin', 'python');
const kservePython = join(root, '.venvs', 'kserve', 'bin', 'python');
/** skl2onnx lives in a bench-only venv (not python/envs), built from a pinned file; BENCH_SKL2ONNX_PYTHON picks the base python. */
const skl2onnxVenv = join(root, '.venvs', 'bench-skl2onnx');
const skl2onnxRequirements = join(root, 'bench', 'serving', 'requirements-skl2onnx.txt');
const requests = arg('requests', 2000);
const concurrency = arg('concurrency', 8);
const progress = (msg: string): void => { process.stderr.write(`[serving-bench] ${msg}\n`); };
/** `--runtimes-only 1`: only the TF Serving, TorchServe, Hugging Face and PMML rows (bench/results/serving-bench-runtimes.json). */
const runtimesOnly = arg('runtimes-only', 0) === 1;
/** `--runtime <key>` (e.g. kservePmmlserver): only that row; with --runtimes-only, merged into the results file under `byRuntime`. */
const runtimeFilter = ((i) => (i >= 0 ? process.argv[i + 1] : undefined))(process.argv.indexOf('--runtime'));
const aloneFirst = arg('alone-first', 0) === 1;
const tensorflowPython = join(root, '.venvs', 'tensorflow', 'bin', 'python');
const kserveTorchPython = join(root, '.venvs', 'kserve-torch', 'bin', 'python');

/** Models for the TF Serving, TorchServe and Hugging Face runtimes, built with their environments' own libraries. */
const runtimeModels = {
  // A SavedModel (version 1) scoring rows of 4 into 3 classes.
  tensorflow: String.raw`import sys, tensorflow as tf
class M(tf.Module):
    def __init__(self):
        self.w = tf.Variable(tf.random.stateless_normal([4, 3], seed=[0, 1]))
    @tf.function(input_signature=[tf.TensorSpec([None, 4], tf.float32, name="x")])
    def serve(self, x):
        return {"scores": tf.matmul(x, self.w)}
m = M()
tf.saved_model.save(m, sys.argv[1] + "/1", signatures={"serving_default": m.serve})`,
  // A TorchScript linear model archived by torch-model-archiver in KServe's layout (config/ + model-store/).
  torchserve: String.raw`import os, subprocess, sys, torch
root, work = sys.argv[1], sys.argv[1] + "-build"
os.makedirs(root + "/model-store", exist_ok=True); os.makedirs(root + "/config", exist_ok=True); os.makedirs(work, exist_ok=True)
torch.manual_seed(0); torch.jit.script(torch.nn.Linear(4, 3)).save(work + "/model.pt")
open(work + "/handler.py", "w").write("import torch\nfrom ts.torch_handler.base_handler import BaseHandler\nclass Handler(BaseHandler):\n    def preprocess(self, data):\n        return torch.tensor(data, dtype=torch.float32)\n    def postprocess(self, data):\n        return data.argmax(dim=1).tolist()\n")
subprocess.run([os.path.join(os.path.dirname(sys.executable), "torch-model-archiver"), "--model-name", "iris-ts", "--version", "1.0", "--serialized-file", work + "/model.pt", "--handler", work + "/handler.py", "--export-path", root + "/model-store"], check=True)
open(root + "/config/config.properties", "w").write('inference_address=http://0.0.0.0:8085\nmanagement_address=http://0.0.0.0:8085\nmetrics_address=http://0.0.0.0:8082\nenable_envvars_config=true\nmodel_store=/mnt/models/model-store\nmodel_snapshot={"name":"startup.cfg","modelCount":1,"models":{"iris-ts":{"1.0":{"defaultVersion":true,"marName":"iris-ts.mar","minWorkers":1,"maxWorkers":1,"batchSize":1,"maxBatchDelay":10,"responseTimeout":120}}}}\n')`,
  // A 1-layer BERT (hidden 16) with random weights and a local vocabulary, for sequence classification.
  // A PMML decision tree on iris by petal size (pypmml reads it on a JVM).
  pmml: String.raw`import os, sys
os.makedirs(sys.argv[1], exist_ok=True)
open(sys.argv[1] + "/model.pmml", "w").write("""<?xml version="1.0" encoding="UTF-8"?>
<PMML xmlns="http://www.dmg.org/PMML-4_4" version="4.4"><Header description="iris by petal size"/>
<DataDictionary numberOfFields="3"><DataField name="petal_length" optype="continuous" dataType="double"/><DataField name="petal_width" optype="continuous" dataType="double"/>
<DataField name="species" optype="categorical" dataType="string"><Value value="setosa"/><Value value="versicolor"/><Value value="virginica"/></DataField></DataDictionary>
<TreeModel functionName="classification"><MiningSchema><MiningField name="petal_length"/><MiningField name="petal_width"/><MiningField name="species" usageType="target"/></MiningSchema>
<Node score="setosa"><True/><Node score="setosa"><SimplePredicate field="petal_length" operator="lessThan" value="2.45"/></Node>
<Node score="versicolor"><SimplePredicate field="petal_width" operator="lessThan" value="1.75"/></Node><Node score="virginica"><True/></Node></Node></TreeModel></PMML>
""")`,
  huggingface: String.raw`import os, sys, torch
from transformers import BertConfig, BertForSequenceClassification, BertTokenizerFast
root = sys.argv[1]; os.makedirs(root, exist_ok=True)
vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "a", "good", "bad", "movie"]
open(root + "/vocab.txt", "w").write("\n".join(vocab) + "\n")
BertTokenizerFast(vocab_file=root + "/vocab.txt").save_pretrained(root)
torch.manual_seed(0)
BertForSequenceClassification(BertConfig(vocab_size=len(vocab), hidden_size=16, num_hidden_layers=1, num_attention_heads=2, intermediate_size=32, max_position_embeddings=64, num_labels=2)).save_pretrained(root)`,
};


const round = (n: number): number => Math.round(n * 1000) / 1000;

interface LoadResult {
  requests: number;
  concurrency: number;
  errors: number;
  throughputPerSecond: number;
  p50Ms: number;
  p99Ms: number;
}

/** `requests` POSTs, `concurrency` at a time over keep-alive connections, after 100 warm-up requests. */
async function load(url: string, body: unknown): Promise<LoadResult> {
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  for (let i = 0; i < 100; i++) await httpCall(agent, url, 'POST', body);
  const latencies: number[] = [];
  let errors = 0;
  let next = 0;
  const started = performance.now();
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < requests) {
      next += 1;
      const t = performance.now();
      const res = await httpCall(agent, url, 'POST', body);
      latencies.push(performance.now() - t);
      if (res.status !== 200) errors += 1;
    }
  }));
  const seconds = (performance.now() - started) / 1000;
  agent.destroy();
  latencies.sort((a, b) => a - b);
  return { requests: latencies.length, concurrency, errors, throughputPerSecond: Math.round(latencies.length / seconds), p50Ms: round(percentile(latencies, 50)), p99Ms: round(percentile(latencies, 99)) };
}

/** The same load over gRPC (ModelInfer through Floe's port, h2c), one grpc-js channel per concurrent caller. */
async function grpcLoad(port: number, authority: string, request: unknown): Promise<LoadResult> {
  const Ctor = makeGenericClientConstructor(inferenceService(), 'GRPCInferenceService');
  const clients = Array.from({ length: concurrency }, (_, i) => new Ctor(`127.0.0.1:${port}`, credentials.createInsecure(), { 'grpc.default_authority': authority, 'grpc.use_local_subchannel_pool': 1, 'bench.channel': i }) as unknown as { ModelInfer(req: unknown, cb: (err: Error | null) => void): void; close(): void });
  const infer = (c: (typeof clients)[number]): Promise<boolean> => new Promise((resolve) => c.ModelInfer(request, (err) => resolve(!err)));
  for (let i = 0; i < 100; i++) await infer(clients[i % concurrency]!);
  const latencies: number[] = [];
  let errors = 0;
  let next = 0;
  const started = performance.now();
  await Promise.all(clients.map(async (c) => {
    while (next < requests) {
      next += 1;
      const t = performance.now();
      const ok = await infer(c);
      latencies.push(performance.now() - t);
      if (!ok) errors += 1;
    }
  }));
  const seconds = (performance.now() - started) / 1000;
  for (const c of clients) c.close();
  latencies.sort((a, b) => a - b);
  return { requests: latencies.length, concurrency, errors, throughputPerSecond: Math.round(latencies.length / seconds), p50Ms: round(percentile(latencies, 50)), p99Ms: round(percentile(latencies, 99)) };
}

interface Isvc {
  status?: { url?: string; conditions?: { type: string; status: string; message?: string }[]; components?: { predictor?: { address?: { url?: string } } } };
}

type CreateIsvc = (name: string, model: Record<string, unknown>, scale?: Record<string, unknown>) => Promise<Isvc>;

/** One row per runtime whose environment is installed: V1 through Floe's ingress and the same server alone (its own port). */
async function runtimeRows(models: string, create: CreateIsvc): Promise<Record<string, { viaFloeV1: LoadResult; aloneV1: LoadResult } | { skipped: string }>> {
  const row = [5.1, 3.5, 1.4, 0.2];
  const cases = [
    { key: 'kserveTensorflowServing', name: 'iris-tf', format: 'tensorflow', python: tensorflowPython, script: runtimeModels.tensorflow, model: 'iris-tf', body: { instances: [row] } },
    { key: 'kserveTorchserve', name: 'iris-ts', format: 'pytorch', python: kserveTorchPython, script: runtimeModels.torchserve, model: 'iris-ts', body: { instances: [row] } },
    { key: 'kserveHuggingfaceserver', name: 'bert-hf', format: 'huggingface', python: kserveTorchPython, script: runtimeModels.huggingface, model: 'bert-hf', body: { instances: ['a good movie'] } },
    { key: 'kservePmmlserver', name: 'iris-pmml', format: 'pmml', python: kserveTorchPython, script: runtimeModels.pmml, model: 'iris-pmml', body: { instances: [[1.4, 0.2]] } },
  ].filter((c) => runtimeFilter === undefined || c.key === runtimeFilter);
  const out: Record<string, { viaFloeV1: LoadResult; aloneV1: LoadResult } | { skipped: string }> = {};
  for (const c of cases) {
    if (!existsSync(c.python)) {
      out[c.key] = { skipped: `${c.python} is not installed` };
      continue;
    }
    execFileSync(c.python, ['-c', c.script, join(models, c.name)], { stdio: 'pipe', env: { ...process.env, TF_CPP_MIN_LOG_LEVEL: '3' } });
    const isvc = await create(c.name, { modelFormat: { name: c.format }, protocolVersion: 'v1', storageUri: join(models, c.name) }, { minReplicas: 1, maxReplicas: 1 });
    // `--alone-first 1` swaps the order, to tell the ingress's cost from what the first load pays (warm-up, contention).
    const viaFloe = (): Promise<LoadResult> => load(`${isvc.status!.url!}/v1/models/${c.model}:predict`, c.body);
    const alone = (): Promise<LoadResult> => load(`${isvc.status!.components!.predictor!.address!.url!}/v1/models/${c.model}:predict`, c.body);
    const [viaFloeV1, aloneV1] = aloneFirst ? await alone().then(async (a) => [await viaFloe(), a] as const) : await viaFloe().then(async (v) => [v, await alone()] as const);
    progress(`${c.key} V1 via Floe / alone: ${JSON.stringify(viaFloeV1)} / ${JSON.stringify(aloneV1)}`);
    out[c.key] = { viaFloeV1, aloneV1 };
  }
  return out;
}

async function main(): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'floe-serving-bench-'));
  const models = join(dataDir, 'models');
  if (!runtimesOnly) {
    for (const p of [torchPython, mlserverPython, kservePython]) if (!existsSync(p)) throw new Error(`${p} is missing: run node tools/setup.mjs --with-training-envs`);
    mkdirSync(join(models, 'mlp'), { recursive: true });
    mkdirSync(join(models, 'iris'), { recursive: true });
    mkdirSync(join(models, 'mlp2'), { recursive: true });
    mkdirSync(join(models, 'iris-onnx'), { recursive: true });
    execFileSync(torchPython, ['-c', 'import torch, sys; torch.manual_seed(0); m = torch.nn.Sequential(torch.nn.Linear(4, 64), torch.nn.ReLU(), torch.nn.Linear(64, 3)); torch.onnx.export(m, torch.zeros(1, 4), sys.argv[1], input_names=["input"], output_names=["output"], dynamic_axes={"input": {0: "batch"}}, dynamo=False); torch.manual_seed(1); m2 = torch.nn.Sequential(torch.nn.Linear(4, 64), torch.nn.ReLU(), torch.nn.Linear(64, 3)); torch.onnx.export(m2, torch.zeros(1, 4), sys.argv[2], input_names=["input"], output_names=["output"], dynamic_axes={"input": {0: "batch"}}, dynamo=False)', join(models, 'mlp', 'model.onnx'), join(models, 'mlp2', 'model.onnx')]);
    execFileSync(mlserverPython, ['-c', 'import sys, joblib; from sklearn.datasets import load_iris; from sklearn.linear_model import LogisticRegression; X, y = load_iris(return_X_y=True); joblib.dump(LogisticRegression(max_iter=500).fit(X, y), sys.argv[1])', join(models, 'iris', 'model.joblib')]);
    // Boosters for kserve-xgbserver and kserve-lgbserver, 10 rounds each on iris, trained with the kserve environment's libraries.
    for (const dir of ['iris-xgb', 'iris-lgb']) mkdirSync(join(models, dir), { recursive: true });
    execFileSync(kservePython, ['-c', 'import sys, xgboost as xgb, lightgbm as lgb; from sklearn.datasets import load_iris; X, y = load_iris(return_X_y=True); xgb.train({"objective": "multi:softmax", "num_class": 3, "nthread": 1}, xgb.DMatrix(X, label=y), num_boost_round=10).save_model(sys.argv[1]); lgb.train({"objective": "multiclass", "num_class": 3, "verbose": -1, "num_threads": 1}, lgb.Dataset(X, label=y), num_boost_round=10).save_model(sys.argv[2])', join(models, 'iris-xgb', 'model.bst'), join(models, 'iris-lgb', 'model.bst')], { stdio: 'pipe' });
    // That very model (the joblib file MLServer and the kserve ModelServer load) exported to ONNX for Floe's runtime.
    const skl2onnxPython = benchVenv(skl2onnxVenv, skl2onnxRequirements, process.env['BENCH_SKL2ONNX_PYTHON'] ?? 'python3.11', progress);
    execFileSync(skl2onnxPython, [join(root, 'bench', 'serving', 'export_iris_onnx.py'), join(models, 'iris', 'model.joblib'), join(models, 'iris-onnx', 'model.onnx')]);
  }
  const floe = spawn(process.execPath, [cli, 'up', '--data-dir', dataDir, '--port', '0', '--log-level', 'warn'], { stdio: ['ignore', 'ignore', 'inherit'] });
  const kubeconfig = join(dataDir, 'kubeconfig');
  let base = '';
  for (let i = 0; i < 600 && !base; i++) {
    await sleep(100);
    if (existsSync(kubeconfig)) base = /server: (\S+)/.exec(readFileSync(kubeconfig, 'utf8'))?.[1] ?? '';
  }
  const agent = new Agent({ keepAlive: true });
  const isvcPath = (name: string): string => `${base}/apis/serving.kserve.io/v1beta1/namespaces/default/inferenceservices/${name}`;
  const create = async (name: string, model: Record<string, unknown>, scale: Record<string, unknown> = {}, annotations: Record<string, string> = {}): Promise<Isvc> => {
    for (;;) {
      const res = await httpCall(agent, `${base}/apis/serving.kserve.io/v1beta1/namespaces/default/inferenceservices`, 'POST', { apiVersion: 'serving.kserve.io/v1beta1', kind: 'InferenceService', metadata: { name, annotations }, spec: { predictor: { ...scale, model } } });
      if (res.status === 201) break;
      await sleep(200);
    }
    const started = performance.now();
    for (;;) {
      const got = JSON.parse((await httpCall(agent, isvcPath(name), 'GET')).body) as Isvc;
      if (got.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')) {
        progress(`${name} ready after ${Math.round(performance.now() - started)} ms`);
        return got;
      }
      if (performance.now() - started > 180_000) throw new Error(`${name} not ready: ${JSON.stringify(got.status)}`);
      await sleep(50);
    }
  };
  try {
    if (runtimesOnly) {
      const result = { machine: { cpus: cpus().length, cpu: cpus()[0]?.model ?? '', node: process.version }, requests, concurrency, order: aloneFirst ? 'alone first' : 'via Floe first', runtimeRowsV1: await runtimeRows(models, create) };
      process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
      mkdirSync(join(root, 'bench', 'results'), { recursive: true });
      const file = join(root, 'bench', 'results', 'serving-bench-runtimes.json');
      if (runtimeFilter !== undefined && existsSync(file)) {
        // One row run on its own joins the earlier runs in the same file.
        const earlier = JSON.parse(readFileSync(file, 'utf8')) as { byRuntime?: Record<string, unknown> };
        writeFileSync(file, `${JSON.stringify({ ...earlier, byRuntime: { ...earlier.byRuntime, [runtimeFilter]: { ...result, at: new Date().toISOString() } } }, null, 2)}\n`);
      } else {
        writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
      }
      return;
    }
    const onnx = await create('mlp', { modelFormat: { name: 'onnx' }, storageUri: join(models, 'mlp') });
    const irisOnnx = await create('iris-onnx', { modelFormat: { name: 'onnx' }, storageUri: join(models, 'iris-onnx') });
    const sklearn = await create('iris', { modelFormat: { name: 'sklearn' }, protocolVersion: 'v2', storageUri: join(models, 'iris') });
    const row = [5.1, 3.5, 1.4, 0.2];
    progress(`load: ${requests} requests at concurrency ${concurrency}`);
    const irisOnnxV2 = await load(`${irisOnnx.status!.url!}/v2/models/iris-onnx/infer`, { inputs: [{ name: 'input', shape: [1, 4], datatype: 'FP32', data: row }] });
    progress(`iris ONNX (skl2onnx) in-process V2: ${JSON.stringify(irisOnnxV2)}`);
    // The same model and row over gRPC on Floe's port: typed contents, and raw_input_contents.
    const grpcPort = Number(new URL(base).port);
    const irisOnnxGrpc = await grpcLoad(grpcPort, 'iris-onnx.default.example.com', { model_name: 'iris-onnx', inputs: [{ name: 'input', shape: ['1', '4'], datatype: 'FP32', contents: { fp32_contents: row } }] });
    progress(`iris ONNX in-process gRPC (contents): ${JSON.stringify(irisOnnxGrpc)}`);
    const irisOnnxGrpcRaw = await grpcLoad(grpcPort, 'iris-onnx.default.example.com', { model_name: 'iris-onnx', inputs: [{ name: 'input', shape: ['1', '4'], datatype: 'FP32' }], raw_input_contents: [Buffer.from(new Float32Array(row).buffer)] });
    progress(`iris ONNX in-process gRPC (raw): ${JSON.stringify(irisOnnxGrpcRaw)}`);
    const onnxV2 = await load(`${onnx.status!.url!}/v2/models/mlp/infer`, { inputs: [{ name: 'input', shape: [1, 4], datatype: 'FP32', data: row }] });
    progress(`MLP ONNX in-process V2: ${JSON.stringify(onnxV2)}`);
    const onnxV1 = await load(`${onnx.status!.url!}/v1/models/mlp:predict`, { instances: [row] });
    progress(`MLP ONNX in-process V1: ${JSON.stringify(onnxV1)}`);
    const sklearnBody = { inputs: [{ name: 'input-0', shape: [1, 4], datatype: 'FP32', data: row }] };
    const viaFloe = await load(`${sklearn.status!.url!}/v2/models/iris/infer`, sklearnBody);
    progress(`Floe → MLServer V2: ${JSON.stringify(viaFloe)}`);
    const direct = await load(`${sklearn.status!.components!.predictor!.address!.url!}/v2/models/iris/infer`, sklearnBody);
    progress(`MLServer alone V2: ${JSON.stringify(direct)}`);
    // The same model on kserve-sklearnserver (V1 unless asked: KServe's pick for sklearn), one replica.
    const kserve = await create('iris-kserve', { modelFormat: { name: 'sklearn' }, storageUri: join(models, 'iris') }, { minReplicas: 1, maxReplicas: 1 });
    const viaFloeKserve = await load(`${kserve.status!.url!}/v2/models/iris-kserve/infer`, sklearnBody);
    progress(`Floe → kserve ModelServer V2: ${JSON.stringify(viaFloeKserve)}`);
    const kserveAlone = await load(`${kserve.status!.components!.predictor!.address!.url!}/v2/models/iris-kserve/infer`, sklearnBody);
    progress(`kserve ModelServer alone V2: ${JSON.stringify(kserveAlone)}`);
    const kserveAloneV1 = await load(`${kserve.status!.components!.predictor!.address!.url!}/v1/models/iris-kserve:predict`, { instances: [row] });
    progress(`kserve ModelServer alone V1: ${JSON.stringify(kserveAloneV1)}`);
    // gRPC to the Pod runtimes: ModelInfer through Floe's port (routed by :authority) and to the same server's own
    // gRPC port (the kserve SDK's --grpc_port, MLServer's MLSERVER_GRPC_PORT), the same row in typed contents.
    const grpcPortOfPod = async (pod: string): Promise<number> => {
      const got = JSON.parse((await httpCall(agent, `${base}/api/v1/namespaces/default/pods/${pod}`, 'GET')).body) as { spec: { containers: Parameters<typeof grpcPortOf>[0][] } };
      const port = grpcPortOf(got.spec.containers[0]!);
      if (!port) throw new Error(`Pod ${pod} declares no gRPC port`);
      return port;
    };
    const grpcRow = (model: string, datatype: 'FP32' | 'FP64') => ({ model_name: model, inputs: [{ name: 'input-0', shape: ['1', '4'], datatype, contents: datatype === 'FP32' ? { fp32_contents: row } : { fp64_contents: row } }] });
    const floeToKserveGrpc = await grpcLoad(grpcPort, 'iris-kserve.default.example.com', grpcRow('iris-kserve', 'FP64'));
    const kserveAloneGrpc = await grpcLoad(await grpcPortOfPod('iris-kserve-predictor-00001'), 'localhost', grpcRow('iris-kserve', 'FP64'));
    progress(`kserve ModelServer gRPC via Floe / alone: ${JSON.stringify(floeToKserveGrpc)} / ${JSON.stringify(kserveAloneGrpc)}`);
    const floeToMlserverGrpc = await grpcLoad(grpcPort, 'iris.default.example.com', grpcRow('iris', 'FP64'));
    const mlserverAloneGrpc = await grpcLoad(await grpcPortOfPod('iris-predictor-00001'), 'localhost', grpcRow('iris', 'FP64'));
    progress(`MLServer gRPC via Floe / alone: ${JSON.stringify(floeToMlserverGrpc)} / ${JSON.stringify(mlserverAloneGrpc)}`);
    // One row per booster runtime: through the ingress and the same server alone, V1 (KServe's pick for these formats).
    const boosters: Record<string, { viaFloeV1: LoadResult; aloneV1: LoadResult }> = {};
    for (const [name, format, runtime] of [['iris-xgb', 'xgboost', 'kserveXgbserver'], ['iris-lgb', 'lightgbm', 'kserveLgbserver']] as const) {
      const isvc = await create(name, { modelFormat: { name: format }, storageUri: join(models, name) }, { minReplicas: 1, maxReplicas: 1 });
      const viaFloeV1 = await load(`${isvc.status!.url!}/v1/models/${name}:predict`, { instances: [row] });
      const aloneV1 = await load(`${isvc.status!.components!.predictor!.address!.url!}/v1/models/${name}:predict`, { instances: [row] });
      progress(`${runtime} V1 via Floe / alone: ${JSON.stringify(viaFloeV1)} / ${JSON.stringify(aloneV1)}`);
      boosters[runtime] = { viaFloeV1, aloneV1 };
    }
    // One row per TF Serving / TorchServe / Hugging Face runtime (those whose environment is installed).
    const runtimesV1 = await runtimeRows(models, create);
    // A 90/10 canary between two ONNX revisions: the split's own cost next to the single-revision figure above.
    const current = JSON.parse((await httpCall(agent, isvcPath('mlp'), 'GET')).body) as Isvc & { metadata: Record<string, unknown>; spec: { predictor: { model: Record<string, unknown> } } };
    await httpCall(agent, isvcPath('mlp'), 'PUT', { ...current, spec: { predictor: { model: { ...current.spec.predictor.model, storageUri: join(models, 'mlp2') } , canaryTrafficPercent: 10 } } });
    for (const started = performance.now(); ; ) {
      const got = JSON.parse((await httpCall(agent, isvcPath('mlp'), 'GET')).body) as Isvc & { status?: { components?: { predictor?: { traffic?: unknown[] } } } };
      if ((got.status?.components?.predictor?.traffic?.length ?? 0) === 2) break;
      if (performance.now() - started > 60_000) throw new Error('the canary did not come up');
      await sleep(50);
    }
    const canary = await load(`${onnx.status!.url!}/v2/models/mlp/infer`, { inputs: [{ name: 'input', shape: [1, 4], datatype: 'FP32', data: row }] });
    progress(`ONNX 90/10 canary V2: ${JSON.stringify(canary)}`);

    // Time from zero to the first answer: scale both to zero, then one request each.
    const coldStart = async (name: string, url: string, body: unknown): Promise<number> => {
      const got = JSON.parse((await httpCall(agent, isvcPath(name), 'GET')).body) as { metadata: { annotations?: Record<string, string> }; spec: { predictor: Record<string, unknown> } } & Isvc;
      got.metadata.annotations = { ...(got.metadata.annotations ?? {}), 'serving.floe.dev/scale-to-zero-after': '1' };
      got.spec.predictor = { ...got.spec.predictor, minReplicas: 0 };
      await httpCall(agent, isvcPath(name), 'PUT', got);
      for (const started = performance.now(); ; ) {
        const events = JSON.parse((await httpCall(agent, `${base}/api/v1/namespaces/default/events`, 'GET')).body) as { items: { reason?: string; involvedObject?: { name?: string } }[] };
        if (events.items.some((e) => e.reason === 'ScaledToZero' && e.involvedObject?.name === name)) break;
        if (performance.now() - started > 60_000) throw new Error(`${name} did not scale to zero`);
        await sleep(100);
      }
      const t = performance.now();
      const res = await httpCall(agent, url, 'POST', body);
      if (res.status !== 200) throw new Error(`${name}: the first answer after zero was ${res.status} ${res.body}`);
      return round(performance.now() - t);
    };
    const onnxCold = await coldStart('mlp', `${onnx.status!.url!}/v2/models/mlp/infer`, { inputs: [{ name: 'input', shape: [1, 4], datatype: 'FP32', data: row }] });
    const mlserverCold = await coldStart('iris', `${sklearn.status!.url!}/v2/models/iris/infer`, sklearnBody);
    progress(`zero → first answer: ONNX ${onnxCold} ms, MLServer ${mlserverCold} ms`);
    // A burst that meets the 90/10 ONNX canary at zero replicas: every request is held while both revisions come back.
    const burstFromZero = async (name: string, url: string, body: unknown, count: number): Promise<LoadResult & { firstAnswerMs: number }> => {
      // Already set to scale to zero after 1 s (coldStart above).
      const zeroes = async (): Promise<number> => {
        const events = JSON.parse((await httpCall(agent, `${base}/api/v1/namespaces/default/events`, 'GET')).body) as { items: { reason?: string; count?: number; involvedObject?: { name?: string } }[] };
        return events.items.filter((e) => e.reason === 'ScaledToZero' && e.involvedObject?.name === name).reduce((n, e) => n + (e.count ?? 1), 0);
      };
      // One request first (it wakes the revisions if they are at zero already), then wait for the next scale to zero.
      await httpCall(agent, url, 'POST', body);
      const before = await zeroes();
      for (const started = performance.now(); (await zeroes()) <= before; ) {
        if (performance.now() - started > 60_000) throw new Error(`${name} did not scale to zero again`);
        await sleep(100);
      }
      const burstAgent = new Agent({ keepAlive: true, maxSockets: concurrency });
      const latencies: number[] = [];
      let errors = 0;
      let next = 0;
      let first: number | undefined;
      const started = performance.now();
      await Promise.all(Array.from({ length: concurrency }, async () => {
        while (next < count) {
          next += 1;
          const t = performance.now();
          const res = await httpCall(burstAgent, url, 'POST', body);
          latencies.push(performance.now() - t);
          first ??= performance.now() - started;
          if (res.status !== 200) errors += 1;
        }
      }));
      const seconds = (performance.now() - started) / 1000;
      burstAgent.destroy();
      latencies.sort((a, b) => a - b);
      return { requests: latencies.length, concurrency, errors, throughputPerSecond: Math.round(latencies.length / seconds), p50Ms: round(percentile(latencies, 50)), p99Ms: round(percentile(latencies, 99)), firstAnswerMs: round(first ?? NaN) };
    };
    const canaryFromZero = await burstFromZero('mlp', `${onnx.status!.url!}/v2/models/mlp/infer`, { inputs: [{ name: 'input', shape: [1, 4], datatype: 'FP32', data: row }] }, 500);
    progress(`ONNX 90/10 canary, 500 requests from zero: ${JSON.stringify(canaryFromZero)}`);

    // Autoscaling: kserve-sklearnserver with scaleTarget 1 (concurrency), maxReplicas 2, a 6 s stable window; a load at
    // the bench's concurrency until the second replica is ready and 2 × requests more (at most 50,000 in all).
    const scaled = await create('iris-scale', { modelFormat: { name: 'sklearn' }, storageUri: join(models, 'iris') }, { minReplicas: 1, maxReplicas: 2, scaleMetric: 'concurrency', scaleTarget: 1 }, { 'autoscaling.knative.dev/window': '6s' });
    const scaleUrl = `${scaled.status!.url!}/v1/models/iris-scale:predict`;
    const scaleAgent = new Agent({ keepAlive: true, maxSockets: concurrency });
    let limit = 50_000;
    let sent = 0;
    let scaleErrors = 0;
    let secondReadyMs: number | undefined;
    const byReplica: Record<string, number> = {};
    const scaleStarted = performance.now();
    const watcher = (async () => {
      while (secondReadyMs === undefined && sent < limit) {
        const got = JSON.parse((await httpCall(agent, isvcPath('iris-scale'), 'GET')).body) as { status?: { annotations?: Record<string, string> } };
        const replicas = (JSON.parse(got.status?.annotations?.['serving.floe.dev/replicas'] ?? '{}') as Record<string, { ready: number }>)['iris-scale-predictor-00001'];
        if ((replicas?.ready ?? 0) >= 2) {
          secondReadyMs = round(performance.now() - scaleStarted);
          limit = Math.min(limit, sent + 2 * requests);
        }
        await sleep(100);
      }
    })();
    const scaleLatencies: number[] = [];
    await Promise.all(Array.from({ length: concurrency }, async () => {
      while (sent < limit) {
        sent += 1;
        const t = performance.now();
        const res = await new Promise<{ status: number; replica: string }>((resolve, reject) => {
          const payload = JSON.stringify({ instances: [row] });
          const req = request(scaleUrl, { method: 'POST', agent: scaleAgent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } }, (r) => {
            r.resume();
            r.on('end', () => resolve({ status: r.statusCode ?? 0, replica: String(r.headers['x-floe-replica'] ?? '') }));
          });
          req.on('error', reject);
          req.end(payload);
        });
        scaleLatencies.push(performance.now() - t);
        if (res.status !== 200) scaleErrors += 1;
        byReplica[res.replica] = (byReplica[res.replica] ?? 0) + 1;
      }
    }));
    await watcher;
    const scaleSeconds = (performance.now() - scaleStarted) / 1000;
    scaleAgent.destroy();
    scaleLatencies.sort((a, b) => a - b);
    const autoscale = { requests: scaleLatencies.length, concurrency, errors: scaleErrors, throughputPerSecond: Math.round(scaleLatencies.length / scaleSeconds), p50Ms: round(percentile(scaleLatencies, 50)), p99Ms: round(percentile(scaleLatencies, 99)), secondReplicaReadyAfterMs: secondReadyMs ?? null, requestsByReplica: byReplica };
    progress(`kserve-sklearnserver autoscale 1 → 2: ${JSON.stringify(autoscale)}`);
    const result = {
      machine: { cpus: cpus().length, cpu: cpus()[0]?.model ?? '', node: process.version },
      models: { onnx: 'MLP 4-64-3 (PyTorch export), FP32 [1,4]', irisOnnx: 'the sklearn model below exported by skl2onnx 1.20.0 (zipmap off: label INT64, probabilities FP32), FP32 [1,4]', sklearn: 'LogisticRegression on iris (MLServer 1.7.1, mlserver-sklearn; and kserve 0.21.0 ModelServer with python/floe_sklearnserver.py)' },
      floeOnnxIrisInProcessV2: irisOnnxV2,
      floeOnnxIrisInProcessGrpc: irisOnnxGrpc,
      floeOnnxIrisInProcessGrpcRaw: irisOnnxGrpcRaw,
      floeOnnxInProcessV2: onnxV2,
      floeOnnxInProcessV1: onnxV1,
      floeToMlserverV2: viaFloe,
      mlserverAloneV2: direct,
      ingressAddedP50Ms: round(viaFloe.p50Ms - direct.p50Ms),
      ingressAddedP99Ms: round(viaFloe.p99Ms - direct.p99Ms),
      floeToKserveV2: viaFloeKserve,
      kserveModelServerAloneV2: kserveAlone,
      kserveModelServerAloneV1: kserveAloneV1,
      floeToKserveGrpc,
      kserveModelServerAloneGrpc: kserveAloneGrpc,
      floeToMlserverGrpc,
      mlserverAloneGrpc,
      grpcIngressAddedP50Ms: { kserve: round(floeToKserveGrpc.p50Ms - kserveAloneGrpc.p50Ms), mlserver: round(floeToMlserverGrpc.p50Ms - mlserverAloneGrpc.p50Ms) },
      boosterRuntimesV1: boosters,
      runtimeRowsV1: runtimesV1,
      floeOnnxCanary9010V2: canary,
      zeroToFirstAnswerMs: { onnxInProcess: onnxCold, mlserverPod: mlserverCold },
      floeOnnxCanary9010FromZeroV2: canaryFromZero,
      kserveAutoscale1to2V1: autoscale,
    };
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    mkdirSync(join(root, 'bench', 'results'), { recursive: true });
    writeFileSync(join(root, 'bench', 'results', 'serving-bench.json'), `${JSON.stringify(result, null, 2)}\n`);
  } finally {
    const exited = new Promise((r) => floe.once('exit', r));
    floe.kill('SIGTERM');
    await exited;
    // Predictor Pods outlive `floe up` by design (re-adoption): stop them by their recorded process groups.
    const { killRecordedProcesses } = await import('../test/helpers/kubelet-harness.js');
    killRecordedProcesses(dataDir);
    rmSync(dataDir, { recursive: true, force: true });
  }
}

await main();
