// KServe as a user drives it: the README walk-through on the files shipped in examples/serving (iris-onnx.yaml, its
// model, iris-v1.json, iris-v2.json); an InferenceService manifest for an ONNX model (floe apply), Ready (floe wait),
// the endpoint in `floe get isvc` and `kubectl get isvc`, then `floe predict` with V1 and V2 request files; and a
// scikit-learn model on kserve-sklearnserver behind a kserve.Model transformer, applied with kubectl.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { killRecordedProcesses } from '../test/helpers/kubelet-harness.js';
import { floeCli, kubectl, removeDir, startFloeProcess, type RunningFloe } from './harness.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const python = join(root, '.venvs', 'torch', 'bin', 'python');
const kservePython = join(root, '.venvs', 'kserve', 'bin', 'python');
const noKserve = existsSync(kservePython) ? false : `.venvs/kserve is missing (${kservePython}): node tools/setup.mjs --with-training-envs builds it`;
if (noKserve) console.log(`# skipping the kserve SDK end-to-end test: ${noKserve}`);

describe('KServe through the CLI', () => {
  let floe: RunningFloe;

  before(async () => {
    floe = await startFloeProcess();
  });

  after(async () => {
    await floe.stop();
    killRecordedProcesses(floe.dataDir);
    removeDir(floe.dataDir);
  });

  test('the README walk-through as shipped: examples/serving/iris-onnx.yaml, its model and its request files', async () => {
    // The manifest's storageUri names /path/to/floe, which the walk-through replaces with the checkout: sed "s|/path/to/floe|$PWD|".
    const manifest = readFileSync(join(root, 'examples', 'serving', 'iris-onnx.yaml'), 'utf8').replaceAll('/path/to/floe', root.replace(/\/$/, ''));
    const applied = await floeCli(floe, ['apply', '-f', '-'], manifest);
    assert.equal(applied.code, 0, applied.stderr);
    assert.match(applied.stdout, /inferenceservice\.serving\.kserve\.io\/iris-onnx created/);
    const waited = await floeCli(floe, ['wait', 'isvc/iris-onnx', '--for=condition=Ready', '--timeout=60s']);
    assert.equal(waited.code, 0, waited.stderr);
    const v1 = await floeCli(floe, ['predict', 'iris-onnx', '-f', join(root, 'examples', 'serving', 'iris-v1.json')]);
    assert.equal(v1.code, 0, v1.stderr);
    // The first output, "label": setosa (0) for the first row, virginica (2) for the second.
    assert.deepEqual(JSON.parse(v1.stdout), { predictions: [0, 2] });
    const v2 = await floeCli(floe, ['predict', 'iris-onnx', '-f', join(root, 'examples', 'serving', 'iris-v2.json')]);
    assert.equal(v2.code, 0, v2.stderr);
    const out = JSON.parse(v2.stdout) as { model_name: string; outputs: { name: string; shape: number[]; data: number[] }[] };
    assert.equal(out.model_name, 'iris-onnx');
    const byName = Object.fromEntries(out.outputs.map((o) => [o.name, o]));
    assert.deepEqual(byName.label?.data, [0]);
    assert.deepEqual(byName.probabilities?.shape, [1, 3]);
    assert.ok(Math.abs((byName.probabilities?.data ?? []).reduce((a, b) => a + b, 0) - 1) < 1e-5);
    assert.ok((byName.probabilities?.data[0] ?? 0) > 0.9);
  });

  test('apply an ONNX InferenceService, see its URL, predict with V1 and V2 files', { skip: existsSync(python) ? false : `.venvs/torch is missing (${python})` }, async () => {
    const models = join(floe.dataDir, 'models', 'mlp');
    mkdirSync(models, { recursive: true });
    // A small MLP with fixed weights, exported by PyTorch: its answers are computed here too.
    execFileSync(python, ['-c', `
import torch, sys, json
torch.manual_seed(0)
m = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.ReLU(), torch.nn.Linear(8, 3))
x = torch.tensor([[5.1, 3.5, 1.4, 0.2], [6.7, 3.0, 5.2, 2.3]])
torch.onnx.export(m, x, sys.argv[1] + "/model.onnx", input_names=["input"], output_names=["output"], dynamic_axes={"input": {0: "batch"}, "output": {0: "batch"}}, dynamo=False)
json.dump(m(x).tolist(), open(sys.argv[1] + "/expected.json", "w"))
`, models]);
    const manifest = `apiVersion: serving.kserve.io/v1beta1
kind: InferenceService
metadata:
  name: iris-mlp
spec:
  predictor:
    model:
      modelFormat:
        name: onnx
      storageUri: file://${models}
`;
    const applied = await floeCli(floe, ['apply', '-f', '-'], manifest);
    assert.equal(applied.code, 0, applied.stderr);
    const waited = await floeCli(floe, ['wait', 'isvc/iris-mlp', '--for=condition=Ready', '--timeout=60s']);
    assert.equal(waited.code, 0, waited.stderr);
    const listed = await floeCli(floe, ['get', 'isvc']);
    assert.match(listed.stdout, new RegExp(`iris-mlp\\s+${floe.url.replace(/[.]/g, '\\.')}/serving/default/iris-mlp\\s+True`), listed.stdout);
    const viaKubectl = await kubectl(floe, ['get', 'inferenceservices']);
    assert.equal(viaKubectl.code, 0, viaKubectl.stderr);
    assert.match(viaKubectl.stdout, /iris-mlp/);

    const expected = JSON.parse(execFileSync('cat', [join(models, 'expected.json')], { encoding: 'utf8' })) as number[][];
    const v1File = join(floe.dataDir, 'v1.json');
    writeFileSync(v1File, JSON.stringify({ instances: [[5.1, 3.5, 1.4, 0.2], [6.7, 3.0, 5.2, 2.3]] }));
    const v1 = await floeCli(floe, ['predict', 'iris-mlp', '-f', v1File]);
    assert.equal(v1.code, 0, v1.stderr);
    const predictions = (JSON.parse(v1.stdout) as { predictions: number[][] }).predictions;
    predictions.flat().forEach((p, i) => assert.ok(Math.abs(p - expected.flat()[i]!) < 1e-5, `${p} vs ${expected.flat()[i]}`));
    const v2File = join(floe.dataDir, 'v2.json');
    writeFileSync(v2File, JSON.stringify({ inputs: [{ name: 'input', shape: [1, 4], datatype: 'FP32', data: [5.1, 3.5, 1.4, 0.2] }] }));
    const v2 = await floeCli(floe, ['predict', 'iris-mlp', '-f', v2File]);
    assert.equal(v2.code, 0, v2.stderr);
    const out = JSON.parse(v2.stdout) as { model_name: string; outputs: { name: string; shape: number[]; data: number[] }[] };
    assert.equal(out.model_name, 'iris-mlp');
    assert.deepEqual(out.outputs[0]?.shape, [1, 3]);
    out.outputs[0].data.forEach((p, i) => assert.ok(Math.abs(p - expected[0]![i]!) < 1e-5));
    writeFileSync(v2File, JSON.stringify({ inputs: [{ name: 'input', shape: [1, 4], datatype: 'FP32', data: [1, 2] }] }));
    const bad = await floeCli(floe, ['predict', 'iris-mlp', '-f', v2File]);
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /shape|element/, bad.stderr);
  });

  test('kubectl apply a scikit-learn InferenceService with a transformer; floe predict goes through the transformer to kserve-sklearnserver', { skip: noKserve }, async () => {
    const models = join(floe.dataDir, 'models', 'iris');
    mkdirSync(models, { recursive: true });
    execFileSync(kservePython, ['-c', 'import sys, joblib; from sklearn.datasets import load_iris; from sklearn.linear_model import LogisticRegression; X, y = load_iris(return_X_y=True); joblib.dump(LogisticRegression(max_iter=500).fit(X, y), sys.argv[1] + "/model.joblib")', models]);
    const transformer = join(floe.dataDir, 'scale.py');
    // The transformer takes measurements in millimetres and hands the predictor centimetres.
    writeFileSync(transformer, [
      'import argparse',
      'from kserve import Model, ModelServer, model_server',
      'class Scale(Model):',
      '    def __init__(self, name):',
      '        super().__init__(name)',
      '        self.ready = True',
      '    async def preprocess(self, payload, headers=None):',
      '        return {"instances": [[v / 10 for v in row] for row in payload["instances"]]}',
      'args, _ = argparse.ArgumentParser(parents=[model_server.parser]).parse_known_args()',
      'ModelServer().start([Scale(args.model_name)])',
      '',
    ].join('\n'));
    const manifest = `apiVersion: serving.kserve.io/v1beta1
kind: InferenceService
metadata:
  name: iris-mm
spec:
  predictor:
    minReplicas: 1
    maxReplicas: 2
    model:
      modelFormat:
        name: sklearn
      storageUri: file://${models}
  transformer:
    containers:
    - name: kserve-container
      image: example.com/kserve-iris-transformer:1.0
      command: [python, ${transformer}]
      args: [--predictor_protocol, v1]
`;
    const applied = await kubectl(floe, ['apply', '-f', '-'], manifest);
    assert.equal(applied.code, 0, applied.stderr);
    const waited = await floeCli(floe, ['wait', 'isvc/iris-mm', '--for=condition=Ready', '--timeout=180s']);
    assert.equal(waited.code, 0, waited.stderr);
    const pods = await kubectl(floe, ['get', 'pods', '-o', 'name']);
    assert.match(pods.stdout, /pod\/iris-mm-predictor-00001/);
    assert.match(pods.stdout, /pod\/iris-mm-transformer-00001/);
    const request = join(floe.dataDir, 'iris-mm.json');
    writeFileSync(request, JSON.stringify({ instances: [[51, 35, 14, 2], [67, 30, 52, 23]] }));
    const answer = await floeCli(floe, ['predict', 'iris-mm', '-f', request]);
    assert.equal(answer.code, 0, answer.stderr);
    assert.deepEqual(JSON.parse(answer.stdout), { predictions: [0, 2] });
  });
});
