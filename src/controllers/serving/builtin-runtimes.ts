// The ClusterServingRuntimes Floe installs: ONNX models served inside Floe by onnxruntime-node (the fast path,
// V1 and V2), and MLServer for scikit-learn and XGBoost models (V2), run from the project's `.venvs/mlserver`.
import { InProcessAnnotation } from './isvc-controller.js';
import { ClusterServingRuntimeRef, type ServingRuntime } from './types.js';

const labels = { 'app.kubernetes.io/part-of': 'floe' };

export function builtinRuntimes(): ServingRuntime[] {
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
  ];
}
