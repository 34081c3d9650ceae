// Observability: metrics.k8s.io (NodeMetrics, PodMetrics from the local kubelet) and Prometheus /metrics with upstream names.
export { binaryQuantity, decimalQuantity, goDuration, MetricsApi, metricsGroup, metricsResourceTypes, metricsVersion, type UsageSource } from './metrics-api.js';
export { apiserverBuckets, FloeMetrics, reconcileBuckets, workqueueBuckets, type FloeMetricsOptions } from './prometheus.js';
export { requestInfo, type RequestInfo } from './request-info.js';
export { KubeflowMetrics, trainingFrameworks, type KubeflowMetricsOptions } from './kubeflow-metrics.js';
