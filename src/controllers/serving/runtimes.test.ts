// Runtime selection, runtime defaults and the predictor container as KServe's controller computes them, over the
// ClusterServingRuntimes Floe installs (KServe's config/runtimes set).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { builtinRuntimes } from './builtin-runtimes.js';
import { fillPlaceholders, mergeRuntimeContainer } from './container-merge.js';
import { predictorModel, runtimeDefaults, selectRuntime } from './runtimes.js';
import { ServingRuntimeRef, UnavailableAnnotation, type ModelSpec, type PredictorSpec, type ServingRuntime } from './types.js';

const cluster = builtinRuntimes({ pythonDir: '/floe/python' });
const byName = (name: string): ServingRuntime => cluster.find((r) => r.metadata.name === name)!;

/** The runtime KServe would pick for a predictor, or the failure reason. */
function pick(predictor: PredictorSpec, namespaced: ServingRuntime[] = []): string {
  const model = predictorModel(predictor);
  assert.ok(model);
  const selection = selectRuntime(model, namespaced, cluster);
  return selection.ok ? selection.choice.runtime.metadata.name! : selection.reason;
}

describe('KServe runtime selection over the standard runtimes', () => {
  test('the standard set: names, formats, priorities and protocols as KServe installs them', () => {
    const names = cluster.map((r) => r.metadata.name).sort();
    assert.deepEqual(names, ['floe-onnxruntime', 'kserve-huggingfaceserver', 'kserve-lgbserver', 'kserve-mlserver', 'kserve-pmmlserver', 'kserve-sklearnserver', 'kserve-tensorflow-serving', 'kserve-torchserve', 'kserve-tritonserver', 'kserve-xgbserver']);
    assert.deepEqual(byName('kserve-xgbserver').spec.supportedModelFormats, [{ name: 'xgboost', version: '2', autoSelect: true, priority: 1 }]);
    assert.deepEqual(byName('kserve-lgbserver').spec.supportedModelFormats, [{ name: 'lightgbm', version: '4', autoSelect: true, priority: 1 }]);
    assert.deepEqual(byName('kserve-mlserver').spec.supportedModelFormats?.map((f) => `${f.name}:${f.version}:${f.priority}`), ['sklearn:0:2', 'sklearn:1:2', 'xgboost:1:2', 'xgboost:2:2', 'lightgbm:3:2', 'lightgbm:4:2', 'mlflow:1:1', 'mlflow:2:1']);
    assert.deepEqual(byName('kserve-tensorflow-serving').spec.protocolVersions, ['v1', 'grpc-v1']);
    assert.deepEqual(byName('kserve-torchserve').spec.protocolVersions, ['v1', 'v2', 'grpc-v2']);
    // The runtimes Floe cannot run here say so; the ones it runs do not.
    const unavailable = cluster.filter((r) => r.metadata.annotations?.[UnavailableAnnotation]).map((r) => r.metadata.name).sort();
    assert.deepEqual(unavailable, ['kserve-tritonserver']);
  });

  test('the predictor shorthands and model formats pick what KServe picks', () => {
    const cases: [PredictorSpec, string][] = [
      [{ sklearn: {} }, 'kserve-sklearnserver'],
      [{ sklearn: { protocolVersion: 'v2' } }, 'kserve-mlserver'],
      [{ xgboost: {} }, 'kserve-xgbserver'],
      [{ xgboost: { protocolVersion: 'v2' } }, 'kserve-mlserver'],
      [{ lightgbm: {} }, 'kserve-lgbserver'],
      [{ lightgbm: { protocolVersion: 'v2' } }, 'kserve-mlserver'],
      [{ tensorflow: {} }, 'kserve-tensorflow-serving'],
      [{ tensorflow: { protocolVersion: 'v2' } }, 'kserve-tritonserver'],
      [{ pytorch: {} }, 'kserve-torchserve'],
      // Triton lists pytorch without autoSelect, so v2 PyTorch still goes to TorchServe.
      [{ pytorch: { protocolVersion: 'v2' } }, 'kserve-torchserve'],
      // The onnx, triton and huggingface shorthands default to v2.
      [{ onnx: {} }, 'floe-onnxruntime'],
      [{ triton: {} }, 'kserve-tritonserver'],
      [{ huggingface: {} }, 'kserve-huggingfaceserver'],
      [{ pmml: {} }, 'kserve-pmmlserver'],
      [{ model: { modelFormat: { name: 'mlflow' }, protocolVersion: 'v2' } }, 'kserve-mlserver'],
      [{ model: { modelFormat: { name: 'mlflow' } } }, 'NoSupportingRuntime'],
      [{ model: { modelFormat: { name: 'sklearn', version: '1' } } }, 'kserve-sklearnserver'],
      [{ model: { modelFormat: { name: 'sklearn', version: '0' }, protocolVersion: 'v2' } }, 'kserve-mlserver'],
      // Versions match exactly: xgboost 3 is listed by no standard runtime, "1.0" is not "1".
      [{ model: { modelFormat: { name: 'xgboost', version: '3' } } }, 'NoSupportingRuntime'],
      [{ model: { modelFormat: { name: 'sklearn', version: '1.0' } } }, 'NoSupportingRuntime'],
      [{ model: { modelFormat: { name: 'xgboost' }, protocolVersion: 'grpc-v2' } }, 'NoSupportingRuntime'],
    ];
    for (const [predictor, expected] of cases) assert.equal(pick(predictor), expected, JSON.stringify(predictor));
  });

  test('a namespaced runtime comes before every ClusterServingRuntime; among equals, priority then the lowest protocol', () => {
    const mine: ServingRuntime = { ...ServingRuntimeRef, metadata: { name: 'my-sklearn', namespace: 'team' }, spec: { supportedModelFormats: [{ name: 'sklearn', autoSelect: true }], protocolVersions: ['v1'], containers: [{ name: 'kserve-container', image: 'x' }] } };
    assert.equal(pick({ sklearn: {} }, [mine]), 'my-sklearn');
    const high: ServingRuntime = { ...mine, metadata: { name: 'high', namespace: 'team' }, spec: { ...mine.spec, supportedModelFormats: [{ name: 'sklearn', autoSelect: true, priority: 5 }] } };
    assert.equal(pick({ sklearn: {} }, [mine, high]), 'high', 'a priority beats none');
    const off: ServingRuntime = { ...high, metadata: { name: 'off', namespace: 'team' }, spec: { ...high.spec, disabled: true, supportedModelFormats: [{ name: 'sklearn', autoSelect: true, priority: 9 }] } };
    assert.equal(pick({ sklearn: {} }, [off]), 'kserve-sklearnserver', 'disabled runtimes are never picked');
  });

  test('a named runtime is checked against the protocol and the model format, with KServe\'s reasons and messages', () => {
    const check = (model: ModelSpec): unknown => {
      const s = selectRuntime(model, [], cluster);
      return s.ok ? s.choice.runtime.metadata.name : { reason: s.reason, message: s.message };
    };
    assert.deepEqual(check({ modelFormat: { name: 'sklearn' }, runtime: 'kserve-xgbserver' }), { reason: 'NoSupportingRuntime', message: 'Specified runtime does not support specified framework/version' });
    assert.deepEqual(check({ modelFormat: { name: 'sklearn' }, runtime: 'kserve-sklearnserver', protocolVersion: 'grpc-v1' }), { reason: 'NoSupportingRuntime', message: 'Specified runtime does not support specified protocol version' });
    assert.deepEqual(check({ modelFormat: { name: 'sklearn' }, runtime: 'no-such-runtime' }), { reason: 'RuntimeNotRecognized', message: 'Waiting for runtime to become available' });
    // Named, a format listed without autoSelect is supported (Triton's pytorch).
    assert.equal(check({ modelFormat: { name: 'pytorch' }, runtime: 'kserve-tritonserver' }), 'kserve-tritonserver');
    // With no protocol asked, a named runtime is not checked for one.
    assert.equal(check({ modelFormat: { name: 'sklearn' }, runtime: 'kserve-mlserver' }), 'kserve-mlserver');
  });

  test('runtime defaults: MLServer gets v2, the model name and URI and its modelClass; others their lowest protocol', () => {
    const ml = runtimeDefaults({ modelFormat: { name: 'lightgbm' }, storageUri: 'file:///m' }, byName('kserve-mlserver'), 'flowers');
    assert.equal(ml.model.protocolVersion, 'v2');
    assert.deepEqual(ml.model.env, [{ name: 'MLSERVER_MODEL_NAME', value: 'flowers' }, { name: 'MLSERVER_MODEL_URI', value: '/mnt/models' }]);
    assert.deepEqual(ml.labels, { modelClass: 'mlserver_lightgbm.LightGBMModel' });
    const own = runtimeDefaults({ modelFormat: { name: 'mlflow' }, storageUri: 'file:///m', env: [{ name: 'MLSERVER_MODEL_NAME', value: 'mine' }] }, byName('kserve-mlserver'), 'flowers');
    assert.deepEqual(own.model.env?.map((e) => `${e.name}=${e.value ?? ''}`), ['MLSERVER_MODEL_NAME=mine', 'MLSERVER_MODEL_URI=/mnt/models'], 'the model\'s own env wins');
    assert.equal(runtimeDefaults({ modelFormat: { name: 'sklearn' } }, byName('kserve-sklearnserver'), 'x').model.protocolVersion, 'v1');
    const torch = runtimeDefaults({ modelFormat: { name: 'pytorch' }, protocolVersion: 'v2' }, byName('kserve-torchserve'), 'x');
    assert.deepEqual(torch.labels, { serviceEnvelope: 'kservev2' });
  });

  test('the predictor container: model args appended to the runtime\'s, env merged by name, placeholders filled', () => {
    const runtime = byName('kserve-sklearnserver').spec.containers![0]!;
    const merged = mergeRuntimeContainer({ ...runtime, env: [{ name: 'A', value: '1' }, { name: 'B', value: '2' }], resources: { requests: { cpu: '1' } } }, {
      modelFormat: { name: 'sklearn' },
      storageUri: 'file:///m',
      args: ['--workers=1'],
      env: [{ name: 'B', value: 'model' }, { name: 'PREDICT_PROBA', value: 'true' }],
      resources: { limits: { memory: '1Gi' } },
    });
    assert.deepEqual(merged.args, ['--model_name={{.Name}}', '--model_dir=/mnt/models', '--http_port=8080', '--workers=1']);
    assert.deepEqual(merged.env, [{ name: 'A', value: '1' }, { name: 'B', value: 'model' }, { name: 'PREDICT_PROBA', value: 'true' }]);
    assert.deepEqual(merged.resources, { requests: { cpu: '1' }, limits: { memory: '1Gi' } });
    assert.deepEqual(merged.command, runtime.command, 'a model without a command keeps the runtime\'s');
    assert.equal(mergeRuntimeContainer(runtime, { runtimeVersion: '0.21.0' }).image, 'kserve/sklearnserver:0.21.0');
    const filled = fillPlaceholders({ args: ['--model_name={{.Name}}', '--ns={{ .Namespace }}'], env: [{ name: 'C', value: '{{.Labels.modelClass}}' }, { name: 'D', value: '{{.Annotations.missing}}' }] }, { name: 'iris', namespace: 'team', labels: { modelClass: 'mlserver_sklearn.SKLearnModel' }, annotations: {} });
    assert.deepEqual(filled, { args: ['--model_name=iris', '--ns=team'], env: [{ name: 'C', value: 'mlserver_sklearn.SKLearnModel' }, { name: 'D', value: '' }] });
  });
});
