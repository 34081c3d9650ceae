// KServe's kserve-torchserve, kserve-huggingfaceserver and kserve-pmmlserver runtimes on a real embedded Floe, with
// models the test builds in `.venvs/kserve-torch`: a TorchScript model archived by torch-model-archiver into KServe's
// TorchServe layout (config/config.properties + model-store/*.mar) served by TorchServe (PyPI, on the machine's JDK)
// behind KServe's wrapper on V1; a tiny BERT with random weights and a local WordPiece vocabulary (no hub download) on
// the Hugging Face server, fill-mask and sequence classification on V1 and V2; a PMML decision tree on pypmml.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Client } from '../src/client/client.js';
import { InferenceServiceRef, type InferenceService } from '../src/controllers/serving/index.js';
import { startEmbeddedFloe, type EmbeddedFloe } from './helpers/embedded-floe.js';
import { freshNamespace } from './helpers/fixtures.js';
import { waitFor } from './helpers/wait.js';

const python = fileURLToPath(new URL('../../.venvs/kserve-torch/bin/python', import.meta.url));

function lacks(modules: string[], commands: string[] = []): string | false {
  if (!existsSync(python)) return `.venvs/kserve-torch is not installed (${python}): tools/setup.mjs --with-training-envs builds it`;
  const probe = spawnSync(python, ['-c', `import ${modules.join(', ')}`], { encoding: 'utf8' });
  if (probe.status !== 0) return `.venvs/kserve-torch lacks ${modules.join(' or ')}: rebuild it from python/envs/kserve-torch/requirements.txt`;
  for (const command of commands) if (spawnSync(command, ['-version'], { stdio: 'ignore' }).status !== 0) return `${command} is not installed (Debian's openjdk-17-jre-headless)`;
  return false;
}
const noTorchserve = lacks(['ts', 'model_archiver', 'kserve'], ['java']);
const noTransformers = lacks(['transformers', 'kserve']);
const noPmml = lacks(['pypmml', 'kserve'], ['java']);
if (noPmml) console.log(`# skipping the kserve-pmmlserver test: ${noPmml}`);
if (noTorchserve) console.log(`# skipping the kserve-torchserve test: ${noTorchserve}`);
if (noTransformers) console.log(`# skipping the kserve-huggingfaceserver test: ${noTransformers}`);

/** KServe's TorchServe layout: a TorchScript linear model (4 → 3, class = argmax) archived as iris.mar, and config.properties as KServe's docs write it. */
const torchserveModel = String.raw`
import os, subprocess, sys, torch
root, work = sys.argv[1], sys.argv[2]
os.makedirs(f"{root}/model-store", exist_ok=True); os.makedirs(f"{root}/config", exist_ok=True); os.makedirs(work, exist_ok=True)
linear = torch.nn.Linear(4, 3)
with torch.no_grad():
    linear.weight.copy_(torch.tensor([[1.0, 0, 0, 0], [0, 1.0, 0, 0], [0, 0, 1.0, 1.0]])); linear.bias.zero_()
torch.jit.script(linear).save(f"{work}/model.pt")
open(f"{work}/handler.py", "w").write('''
import torch
from ts.torch_handler.base_handler import BaseHandler
class Handler(BaseHandler):
    def preprocess(self, data):
        return torch.tensor(data, dtype=torch.float32)
    def postprocess(self, data):
        return data.argmax(dim=1).tolist()
''')
subprocess.run([os.path.join(os.path.dirname(sys.executable), "torch-model-archiver"), "--model-name", "iris", "--version", "1.0", "--serialized-file", f"{work}/model.pt", "--handler", f"{work}/handler.py", "--export-path", f"{root}/model-store"], check=True)
open(f"{root}/config/config.properties", "w").write("""inference_address=http://0.0.0.0:8085
management_address=http://0.0.0.0:8085
metrics_address=http://0.0.0.0:8082
grpc_inference_port=7070
grpc_management_port=7071
enable_metrics_api=true
metrics_mode=prometheus
number_of_netty_threads=4
job_queue_size=10
enable_envvars_config=true
install_py_dep_per_model=true
model_store=/mnt/models/model-store
model_snapshot={"name":"startup.cfg","modelCount":1,"models":{"iris":{"1.0":{"defaultVersion":true,"marName":"iris.mar","minWorkers":1,"maxWorkers":1,"batchSize":1,"maxBatchDelay":10,"responseTimeout":120}}}}
""")
`;

/**
 * Two tiny BERTs (1 layer, hidden 16) with random weights and one WordPiece vocabulary, saved with transformers: a
 * masked LM whose output bias makes "paris" the answer, and a 2-class classifier whose bias makes class 1 the answer.
 */
const bertModels = String.raw`
import os, sys, torch
from transformers import BertConfig, BertForMaskedLM, BertForSequenceClassification, BertTokenizerFast
root = sys.argv[1]
vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "the", "capital", "of", "france", "is", "paris", "a", "good", "movie", "."]
torch.manual_seed(0)
config = dict(vocab_size=len(vocab), hidden_size=16, num_hidden_layers=1, num_attention_heads=2, intermediate_size=32, max_position_embeddings=64)
for name in ("mlm", "cls"):
    os.makedirs(f"{root}/{name}", exist_ok=True)
    with open(f"{root}/{name}/vocab.txt", "w") as f:
        f.write("\n".join(vocab) + "\n")
    BertTokenizerFast(vocab_file=f"{root}/{name}/vocab.txt").save_pretrained(f"{root}/{name}")
mlm = BertForMaskedLM(BertConfig(**config))
with torch.no_grad():
    mlm.cls.predictions.bias[vocab.index("paris")] = 100.0
mlm.save_pretrained(f"{root}/mlm")
cls = BertForSequenceClassification(BertConfig(num_labels=2, **config))
with torch.no_grad():
    cls.classifier.bias.copy_(torch.tensor([0.0, 100.0]))
cls.save_pretrained(f"{root}/cls")
`;

/** A PMML 4.4 decision tree on two iris features (petal length and width), as any PMML exporter writes one. */
const irisTree = `<?xml version="1.0" encoding="UTF-8"?>
<PMML xmlns="http://www.dmg.org/PMML-4_4" version="4.4">
  <Header description="iris by petal size"/>
  <DataDictionary numberOfFields="3">
    <DataField name="petal_length" optype="continuous" dataType="double"/>
    <DataField name="petal_width" optype="continuous" dataType="double"/>
    <DataField name="species" optype="categorical" dataType="string"><Value value="setosa"/><Value value="versicolor"/><Value value="virginica"/></DataField>
  </DataDictionary>
  <TreeModel functionName="classification">
    <MiningSchema><MiningField name="petal_length"/><MiningField name="petal_width"/><MiningField name="species" usageType="target"/></MiningSchema>
    <Output><OutputField name="predicted_species" optype="categorical" dataType="string" feature="predictedValue"/></Output>
    <Node score="setosa">
      <True/>
      <Node score="setosa"><SimplePredicate field="petal_length" operator="lessThan" value="2.45"/></Node>
      <Node score="versicolor"><SimplePredicate field="petal_width" operator="lessThan" value="1.75"/></Node>
      <Node score="virginica"><True/></Node>
    </Node>
  </TreeModel>
</PMML>
`;

describe('KServe TorchServe, Hugging Face and PMML runtimes (embedded)', () => {
  let env: EmbeddedFloe;
  let client: Client;
  let models: string;

  before(async () => {
    env = await startEmbeddedFloe('floe-kserve-torch-');
    client = env.floe.client;
    models = join(env.dataDir, 'models');
    mkdirSync(models, { recursive: true });
  });

  after(async () => {
    await env.stop();
  });

  const isvc = (ns: string, name: string, predictor: Record<string, unknown>): InferenceService => ({ apiVersion: 'serving.kserve.io/v1beta1', kind: 'InferenceService', metadata: { name, namespace: ns }, spec: { predictor } });
  const condition = (i: InferenceService, type: string) => i.status?.conditions?.find((c) => c.type === type);
  const settled = (ns: string, name: string, what: string): Promise<InferenceService> =>
    waitFor(async () => {
      const i = await client.get<InferenceService>(InferenceServiceRef, name, ns);
      const ready = condition(i, 'Ready');
      if (ready?.status === 'False' && ready.reason !== 'RevisionNotReady') throw new Error(`${name} failed: ${ready.reason ?? ''}: ${ready.message ?? ''}`);
      return ready?.status === 'True' ? i : undefined;
    }, { what, timeoutMs: 480_000, intervalMs: 250 });
  const post = async (url: string, body: unknown): Promise<{ status: number; body: Record<string, unknown> }> => {
    const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };

  test('kserve-torchserve: a .mar in KServe\'s model-store layout answers KServe V1 through TorchServe', { skip: noTorchserve }, async () => {
    const ns = await freshNamespace(client, 'kserve-torchserve');
    const dir = join(models, 'torchserve');
    execFileSync(python, ['-c', torchserveModel, dir, join(env.dataDir, 'torchserve-build')], { stdio: 'pipe' });
    await client.create(isvc(ns, 'torch', { pytorch: { storageUri: pathToFileURL(dir).href } }));
    const done = await settled(ns, 'torch', 'the TorchServe InferenceService to be Ready');
    assert.equal(done.status?.clusterServingRuntimeName, 'kserve-torchserve');
    const base = done.status.url!;
    // KServe's wrapper names the model after config.properties' model_snapshot, not the InferenceService.
    const ready = await fetch(`${base}/v1/models/iris`);
    assert.equal(ready.status, 200);
    assert.deepEqual(await ready.json(), { name: 'iris', ready: true });
    // The kserve envelope hands TorchServe's handler the instances and wraps its answer as predictions.
    assert.deepEqual(await post(`${base}/v1/models/iris:predict`, { instances: [[1, 0, 0, 0], [0, 0, 1, 1], [0, 3, 0, 0]] }), { status: 200, body: { predictions: [0, 2, 1] } });
    const missing = await post(`${base}/v1/models/nope:predict`, { instances: [[1, 0, 0, 0]] });
    assert.equal(missing.status, 404);
    assert.match(String(missing.body['error']), /nope/);
    // The Pod's env carries what KServe's controller sets for TorchServe: the v1 envelope and protocol.
    const pod = await client.get<{ spec: { containers: { env?: { name: string; value?: string }[] }[] } } & InferenceService>({ apiVersion: 'v1', kind: 'Pod' }, 'torch-predictor-00001', ns);
    const podEnv = Object.fromEntries((pod.spec.containers[0]?.env ?? []).map((e) => [e.name, e.value]));
    assert.equal(podEnv['TS_SERVICE_ENVELOPE'], 'kserve');
    assert.equal(podEnv['PROTOCOL_VERSION'], 'v1');
  });

  test('kserve-huggingfaceserver: a locally built BERT answers fill-mask and sequence classification on V1 and V2', { skip: noTransformers }, async () => {
    const ns = await freshNamespace(client, 'kserve-hf');
    const dir = join(models, 'bert');
    execFileSync(python, ['-c', bertModels, dir], { stdio: 'pipe' });
    // The huggingface shorthand defaults to v2 (as KServe's defaulter does); both protocols are served.
    await client.create(isvc(ns, 'mlm', { huggingface: { storageUri: pathToFileURL(join(dir, 'mlm')).href } }));
    await client.create(isvc(ns, 'cls', { model: { modelFormat: { name: 'huggingface' }, storageUri: pathToFileURL(join(dir, 'cls')).href } }));
    const mlm = await settled(ns, 'mlm', 'the fill-mask InferenceService to be Ready');
    assert.equal(mlm.status?.clusterServingRuntimeName, 'kserve-huggingfaceserver');
    assert.deepEqual(await post(`${mlm.status.url!}/v1/models/mlm:predict`, { instances: ['The capital of France is [MASK].', '[MASK] is a good movie.'] }), { status: 200, body: { predictions: ['paris', 'paris'] } });
    const v2 = await post(`${mlm.status.url!}/v2/models/mlm/infer`, { id: 'req-hf', inputs: [{ name: 'input-0', shape: [1], datatype: 'BYTES', data: ['The capital of France is [MASK].'] }] });
    assert.equal(v2.status, 200, JSON.stringify(v2.body));
    assert.equal(v2.body['id'], 'req-hf');
    assert.deepEqual((v2.body['outputs'] as { data: unknown[] }[])[0]?.data, ['paris']);
    const cls = await settled(ns, 'cls', 'the classification InferenceService to be Ready');
    assert.deepEqual(await post(`${cls.status!.url!}/v1/models/cls:predict`, { instances: ['a good movie', 'the movie'] }), { status: 200, body: { predictions: [1, 1] } });
    const bad = await post(`${cls.status!.url!}/v1/models/cls:predict`, { instances: [[1, 2]] });
    assert.equal(bad.status, 400);
    assert.match(String(bad.body['error']), /list of strings/);
  });

  test('kserve-pmmlserver: a PMML tree answers V1 (one object of output fields per row) and V2 (one output per field)', { skip: noPmml }, async () => {
    const ns = await freshNamespace(client, 'kserve-pmml');
    const dir = join(models, 'pmml');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'model.pmml'), irisTree);
    await client.create(isvc(ns, 'iris', { pmml: { storageUri: pathToFileURL(dir).href } }));
    const done = await settled(ns, 'iris', 'the PMML InferenceService to be Ready');
    assert.equal(done.status?.clusterServingRuntimeName, 'kserve-pmmlserver');
    const base = done.status.url!;
    assert.deepEqual(await post(`${base}/v1/models/iris:predict`, { instances: [[1.4, 0.2], [5.2, 2.3], [4.5, 1.5]] }), {
      status: 200,
      body: { predictions: [{ predicted_species: 'setosa' }, { predicted_species: 'virginica' }, { predicted_species: 'versicolor' }] },
    });
    const v2 = await post(`${base}/v2/models/iris/infer`, { id: 'req-pmml', inputs: [{ name: 'input-0', shape: [2, 2], datatype: 'FP64', data: [1.4, 0.2, 5.2, 2.3] }] });
    assert.equal(v2.status, 200, JSON.stringify(v2.body));
    assert.equal(v2.body['id'], 'req-pmml');
    assert.deepEqual(v2.body['outputs'], [{ name: 'predicted_species', shape: [2], datatype: 'BYTES', parameters: null, data: ['setosa', 'virginica'] }]);
  });
});
