// The ClusterServingRuntimes Floe installs: ONNX models served inside Floe by onnxruntime-node (the fast path,
// V1 and V2); MLServer for scikit-learn and XGBoost models (V2), run from the project's `.venvs/mlserver` as a
// predictor Pod (python/envs/mlserver; examples/serving/README.md has the command line it was checked with); and
// `kserve-sklearnserver` (scikit-learn, V1 and V2) as Floe's own server on the kserve SDK (python/floe_sklearnserver.py
// in `.venvs/kserve`), since KServe's sklearnserver is not published on PyPI.
import { join } from 'node:path';
import { ClusterServingRuntimeRef, InProcessAnnotation, type ServingRuntime } from './types.js';

const labels = { 'app.kubernetes.io/part-of': 'floe' };

export interface BuiltinRuntimeOptions {
  /** The folder of Floe's Python helpers (python/ in the checkout), where floe_sklearnserver.py is. */
  pythonDir: string;
}

export function builtinRuntimes(options: BuiltinRuntimeOptions): ServingRuntime[] {
  return [
    {
      ...ClusterServingRuntimeRef,
      metadata: { name: 'floe-onnxruntime', labels, annotations: { [InProcessAnnotation]: 'onnxruntime' } },
      spec: {
        supportedModelFormats: [{ name: 'onnx', version: '1', autoSelect: true, priority: 2 }],
        protocolVersions: ['v1', 'v2'],
        multiModel: false,
        containers: [{ name: 'kserve-container', image: 'floe/onnxruntime-node:1.30', ports: [{ containerPort: 8080, protocol: 'TCP' }] }],
      },
    },
    {
      ...ClusterServingRuntimeRef,
      metadata: { name: 'kserve-mlserver', labels },
      spec: {
        supportedModelFormats: [
          { name: 'sklearn', version: '1', autoSelect: true, priority: 2 },
          { name: 'xgboost', version: '1', autoSelect: true, priority: 2 },
          { name: 'xgboost', version: '2', autoSelect: true, priority: 2 },
          { name: 'xgboost', version: '3', autoSelect: true, priority: 2 },
        ],
        protocolVersions: ['v2'],
        multiModel: false,
        containers: [
          {
            name: 'kserve-container',
            image: 'docker.io/seldonio/mlserver:1.7.1',
            command: ['mlserver', 'start', '/mnt/models'],
            env: [
              { name: 'MLSERVER_HTTP_PORT', value: '8080' },
              { name: 'MLSERVER_GRPC_PORT', value: '9000' },
              { name: 'MLSERVER_METRICS_PORT', value: '8082' },
              { name: 'MLSERVER_MODEL_NAME', value: '{{.Name}}' },
              { name: 'MLSERVER_MODEL_URI', value: '/mnt/models' },
              // Locally every port is a loopback port; one process serves (no inference worker: ~3 s cold start, not 6).
              { name: 'MLSERVER_HOST', value: '127.0.0.1' },
              { name: 'MLSERVER_PARALLEL_WORKERS', value: '0' },
            ],
            ports: [
              { containerPort: 8080, protocol: 'TCP' },
              { containerPort: 9000, protocol: 'TCP' },
              { containerPort: 8082, protocol: 'TCP' },
            ],
            readinessProbe: { httpGet: { path: '/v2/models/{{.Name}}/ready', port: 8080 }, periodSeconds: 1 },
          } as never,
        ],
      },
    },
    {
      ...ClusterServingRuntimeRef,
      metadata: { name: 'kserve-sklearnserver', labels, annotations: { 'prometheus.kserve.io/port': '8080', 'prometheus.kserve.io/path': '/metrics' } },
      spec: {
        supportedModelFormats: [{ name: 'sklearn', version: '1', autoSelect: true, priority: 1 }],
        protocolVersions: ['v1', 'v2'],
        multiModel: false,
        containers: [
          {
            name: 'kserve-container',
            // An image name like KServe's, so the image table maps it to .venvs/kserve; the command is Floe's server.
            image: 'kserve/sklearnserver:floe',
            command: ['python', join(options.pythonDir, 'floe_sklearnserver.py')],
            args: ['--model_name={{.Name}}', '--model_dir=/mnt/models', '--http_port=8080'],
            ports: [{ containerPort: 8080, protocol: 'TCP' }],
            readinessProbe: { httpGet: { path: '/v1/models/{{.Name}}', port: 8080 }, periodSeconds: 1 },
          } as never,
        ],
      },
    },
  ];
}

/** MLServer's implementation class per model format (what KServe's controller sets for its mlserver runtime). */
export const mlserverImplementations: Record<string, string> = {
  sklearn: 'mlserver_sklearn.SKLearnModel',
  xgboost: 'mlserver_xgboost.XGBoostModel',
  lightgbm: 'mlserver_lightgbm.LightGBMModel',
  mlflow: 'mlserver_mlflow.MLflowRuntime',
};
