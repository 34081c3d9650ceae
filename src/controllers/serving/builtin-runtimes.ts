// The ClusterServingRuntimes Floe installs: KServe's standard set (config/runtimes), with KServe's names, model
// formats, versions, autoSelect, priorities and protocol versions, so that runtime selection picks what KServe picks.
// Each runs locally from an environment tools/setup.mjs builds: kserve-sklearnserver, kserve-xgbserver and
// kserve-lgbserver as Floe's own servers on the kserve SDK (python/floe_*server.py in `.venvs/kserve`: KServe's
// servers are not published on PyPI), kserve-mlserver as MLServer with its sklearn, xgboost, lightgbm and mlflow
// runtimes (`.venvs/mlserver`), kserve-tensorflow-serving as TF Serving's REST API from TensorFlow
// (python/floe_tfserving.py in `.venvs/tensorflow`), kserve-torchserve as TorchServe from PyPI behind KServe's wrapper
// kserve-huggingfaceserver as Floe's transformers server and kserve-pmmlserver on pypmml (python/floe_torchserve.py,
// floe_hfserver.py, floe_pmmlserver.py in `.venvs/kserve-torch`), and ONNX inside Floe (onnxruntime-node, V1 and V2).
// Triton is listed as KServe lists it, marked unavailable with the reason: an InferenceService that selects it says
// which runtime it got and why it cannot run here (UnavailableAnnotation).
import { join } from 'node:path';
import { ClusterServingRuntimeRef, InProcessAnnotation, ServerTypeAnnotation, UnavailableAnnotation, type ServingRuntime, type ServingRuntimeSpec } from './types.js';

const labels = { 'app.kubernetes.io/part-of': 'floe' };

export interface BuiltinRuntimeOptions {
  /** The folder of Floe's Python helpers (python/ in the checkout), where the floe_*server.py scripts are. */
  pythonDir: string;
}

/** KServe's spec.annotations of its runtimes: where Prometheus scrapes the server. */
const prometheus = (port: number): Record<string, string> => ({ 'prometheus.kserve.io/port': String(port), 'prometheus.kserve.io/path': '/metrics' });

const runtime = (name: string, serverType: string, spec: ServingRuntimeSpec, annotations: Record<string, string> = {}): ServingRuntime => ({
  ...ClusterServingRuntimeRef,
  metadata: { name, labels, annotations: { [ServerTypeAnnotation]: serverType, ...annotations } },
  spec,
});

/** A server on the kserve SDK, from python/: KServe's args; the image name maps to `.venvs/kserve` (`*kserve*`). */
function kserveServer(options: BuiltinRuntimeOptions, script: string, image: string, extraArgs: string[] = []): NonNullable<ServingRuntimeSpec['containers']>[number] {
  return {
    name: 'kserve-container',
    // An image name like KServe's, so the image table maps it to .venvs/kserve; the command is Floe's server.
    image,
    command: ['python', join(options.pythonDir, script)],
    args: ['--model_name={{.Name}}', '--model_dir=/mnt/models', '--http_port=8080', ...extraArgs],
    ports: [{ containerPort: 8080, protocol: 'TCP' }],
    readinessProbe: { httpGet: { path: '/v1/models/{{.Name}}', port: 8080 }, periodSeconds: 1 },
  } as never;
}

/** Why each KServe runtime Floe lists but cannot run is unavailable on this machine. */
const unavailable = {
  triton: 'NVIDIA Triton Inference Server (tritonserver, from the tritonserver image) is not installed here: Floe has no environment for it; ONNX models run on floe-onnxruntime',
} as const;

export function builtinRuntimes(options: BuiltinRuntimeOptions): ServingRuntime[] {
  return [
    runtime(
      'floe-onnxruntime',
      'onnxruntime',
      {
        supportedModelFormats: [{ name: 'onnx', version: '1', autoSelect: true, priority: 2 }],
        protocolVersions: ['v1', 'v2'],
        multiModel: false,
        containers: [{ name: 'kserve-container', image: 'floe/onnxruntime-node:1.30', ports: [{ containerPort: 8080, protocol: 'TCP' }] }],
      },
      { [InProcessAnnotation]: 'onnxruntime' },
    ),
    runtime('kserve-sklearnserver', 'sklearnserver', {
      annotations: prometheus(8080),
      supportedModelFormats: [{ name: 'sklearn', version: '1', autoSelect: true, priority: 1 }],
      protocolVersions: ['v1', 'v2'],
      multiModel: false,
      containers: [kserveServer(options, 'floe_sklearnserver.py', 'kserve/sklearnserver:floe')],
    }),
    runtime('kserve-xgbserver', 'xgbserver', {
      annotations: prometheus(8080),
      supportedModelFormats: [{ name: 'xgboost', version: '2', autoSelect: true, priority: 1 }],
      protocolVersions: ['v1', 'v2'],
      multiModel: false,
      containers: [kserveServer(options, 'floe_xgbserver.py', 'kserve/xgbserver:floe', ['--nthread=1'])],
    }),
    runtime('kserve-lgbserver', 'lgbserver', {
      annotations: prometheus(8080),
      supportedModelFormats: [{ name: 'lightgbm', version: '4', autoSelect: true, priority: 1 }],
      protocolVersions: ['v1', 'v2'],
      multiModel: false,
      containers: [kserveServer(options, 'floe_lgbserver.py', 'kserve/lgbserver:floe', ['--nthread=1'])],
    }),
    runtime('kserve-mlserver', 'mlserver', {
      annotations: prometheus(8080),
      supportedModelFormats: [
        { name: 'sklearn', version: '0', autoSelect: true, priority: 2 },
        { name: 'sklearn', version: '1', autoSelect: true, priority: 2 },
        { name: 'xgboost', version: '1', autoSelect: true, priority: 2 },
        { name: 'xgboost', version: '2', autoSelect: true, priority: 2 },
        { name: 'lightgbm', version: '3', autoSelect: true, priority: 2 },
        { name: 'lightgbm', version: '4', autoSelect: true, priority: 2 },
        { name: 'mlflow', version: '1', autoSelect: true, priority: 1 },
        { name: 'mlflow', version: '2', autoSelect: true, priority: 1 },
      ],
      protocolVersions: ['v2'],
      multiModel: false,
      containers: [
        {
          name: 'kserve-container',
          image: 'docker.io/seldonio/mlserver:1.7.1',
          command: ['mlserver', 'start', '/mnt/models'],
          env: [
            // KServe's: the model class comes from the InferenceService's modelClass label, which its controller sets
            // from the model format (SetMlServerDefaults); MLSERVER_MODEL_NAME and _URI come from the model's env.
            { name: 'MLSERVER_MODEL_IMPLEMENTATION', value: '{{.Labels.modelClass}}' },
            { name: 'MLSERVER_HTTP_PORT', value: '8080' },
            { name: 'MLSERVER_GRPC_PORT', value: '9000' },
            // Locally every port is a loopback port of its own: the metrics port too (MLServer's default is 8082).
            { name: 'MLSERVER_METRICS_PORT', value: '8082' },
            { name: 'MLSERVER_HOST', value: '127.0.0.1' },
          ],
          ports: [
            { containerPort: 8080, protocol: 'TCP' },
            { containerPort: 9000, protocol: 'TCP' },
            { containerPort: 8082, protocol: 'TCP' },
          ],
          readinessProbe: { httpGet: { path: '/v2/models/{{.Name}}/ready', port: 8080 }, periodSeconds: 1 },
        } as never,
      ],
    }),
    runtime(
      'kserve-tensorflow-serving',
      'tensorflow-serving',
      {
        annotations: prometheus(8080),
        supportedModelFormats: [
          { name: 'tensorflow', version: '1', autoSelect: true, priority: 2 },
          { name: 'tensorflow', version: '2', autoSelect: true, priority: 2 },
        ],
        protocolVersions: ['v1', 'grpc-v1'],
        multiModel: false,
        containers: [
          {
            name: 'kserve-container',
            // KServe's image and args; the command is Floe's TF Serving REST server (python/floe_tfserving.py), run in
            // `.venvs/tensorflow` (the image table's `*tensorflow*`) in place of the C++ tensorflow_model_server.
            image: 'tensorflow/serving:2.6.2',
            command: ['python', join(options.pythonDir, 'floe_tfserving.py')],
            args: ['--model_name={{.Name}}', '--port=9000', '--rest_api_port=8080', '--model_base_path=/mnt/models', '--rest_api_timeout_in_ms=60000'],
            ports: [{ containerPort: 8080, protocol: 'TCP' }],
          },
        ],
      },
    ),
    runtime(
      'kserve-torchserve',
      'torchserve',
      {
        annotations: prometheus(8082),
        supportedModelFormats: [{ name: 'pytorch', version: '1', autoSelect: true, priority: 2 }],
        protocolVersions: ['v1', 'v2', 'grpc-v2'],
        multiModel: false,
        containers: [
          {
            name: 'kserve-container',
            // KServe's image, args and env; the command stands for the image's entrypoint (the args, then KServe's
            // wrapper): python/floe_torchserve.py runs TorchServe from PyPI and the wrapper in `.venvs/kserve-torch`.
            image: 'pytorch/torchserve-kfs:0.9.0',
            command: ['python', join(options.pythonDir, 'floe_torchserve.py')],
            args: ['torchserve', '--start', '--model-store=/mnt/models/model-store', '--ts-config=/mnt/models/config/config.properties'],
            env: [{ name: 'TS_SERVICE_ENVELOPE', value: '{{.Labels.serviceEnvelope}}' }],
            ports: [{ containerPort: 8080, protocol: 'TCP' }],
          },
        ],
      },
    ),
    runtime(
      'kserve-huggingfaceserver',
      'huggingfaceserver',
      {
        annotations: prometheus(8080),
        supportedModelFormats: [{ name: 'huggingface', version: '1', autoSelect: true, priority: 1 }],
        protocolVersions: ['v2', 'v1'],
        multiModel: false,
        containers: [
          {
            name: 'kserve-container',
            // KServe's image and args, with the server's default --model_dir spelled out (a host process sees
            // /mnt/models only through its arguments); Floe's server on the kserve SDK in `.venvs/kserve-torch`.
            image: 'kserve/huggingfaceserver:latest',
            command: ['python', join(options.pythonDir, 'floe_hfserver.py')],
            args: ['--model_name={{.Name}}', '--model_dir=/mnt/models'],
            ports: [{ containerPort: 8080, protocol: 'TCP' }],
            readinessProbe: { httpGet: { path: '/v1/models/{{.Name}}', port: 8080 }, periodSeconds: 1 },
          } as never,
        ],
      },
    ),
    runtime(
      'kserve-pmmlserver',
      'pmmlserver',
      {
        annotations: prometheus(8080),
        supportedModelFormats: [
          { name: 'pmml', version: '3', autoSelect: true, priority: 1 },
          { name: 'pmml', version: '4', autoSelect: true, priority: 1 },
        ],
        protocolVersions: ['v1', 'v2'],
        multiModel: false,
        // KServe's image and args; Floe's server (python/floe_pmmlserver.py, pypmml on the JDK) in `.venvs/kserve-torch`.
        containers: [kserveServer(options, 'floe_pmmlserver.py', 'kserve/pmmlserver:latest')],
      },
    ),
    runtime(
      'kserve-tritonserver',
      'tritonserver',
      {
        annotations: prometheus(8002),
        supportedModelFormats: [
          { name: 'tensorrt', version: '8', autoSelect: true, priority: 1 },
          { name: 'tensorflow', version: '1', autoSelect: true, priority: 1 },
          { name: 'tensorflow', version: '2', autoSelect: true, priority: 1 },
          { name: 'onnx', version: '1', autoSelect: true, priority: 1 },
          { name: 'pytorch', version: '1' },
          { name: 'triton', version: '2', autoSelect: true, priority: 1 },
        ],
        protocolVersions: ['v2', 'grpc-v2'],
        multiModel: false,
        containers: [
          {
            name: 'kserve-container',
            image: 'nvcr.io/nvidia/tritonserver:23.05-py3',
            args: ['tritonserver', '--model-store=/mnt/models', '--grpc-port=9000', '--http-port=8080', '--allow-grpc=true', '--allow-http=true'],
          },
        ],
      },
      { [UnavailableAnnotation]: unavailable.triton },
    ),
  ];
}
