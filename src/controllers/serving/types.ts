// KServe's kinds as Floe uses them (serving.kserve.io): InferenceService v1beta1, ServingRuntime and
// ClusterServingRuntime, InferenceGraph and TrainedModel v1alpha1. Field names as in kserve/pkg/apis/serving.
import type { ContainerSpec, PodSpec } from '../../api/core-v1.js';
import type { KubeObject } from '../../api/meta.js';

export const Group = 'serving.kserve.io';
export const InferenceServiceRef = { apiVersion: 'serving.kserve.io/v1beta1', kind: 'InferenceService' } as const;
export const ServingRuntimeRef = { apiVersion: 'serving.kserve.io/v1alpha1', kind: 'ServingRuntime' } as const;
export const ClusterServingRuntimeRef = { apiVersion: 'serving.kserve.io/v1alpha1', kind: 'ClusterServingRuntime' } as const;
export const InferenceGraphRef = { apiVersion: 'serving.kserve.io/v1alpha1', kind: 'InferenceGraph' } as const;
export const TrainedModelRef = { apiVersion: 'serving.kserve.io/v1alpha1', kind: 'TrainedModel' } as const;

/** A runtime served inside Floe names its loader in this annotation (`onnxruntime`). */
export const InProcessAnnotation = 'serving.floe.dev/in-process';
/** KServe's annotation naming a runtime's server (`mlserver`, `torchserve`, …): which defaults its controller applies. */
export const ServerTypeAnnotation = 'serving.kserve.io/server-type';
/** On a runtime Floe lists but cannot run on this machine: why, in words (an InferenceService that selects it says so). */
export const UnavailableAnnotation = 'serving.floe.dev/unavailable';
/** KServe's deployment mode annotation on an InferenceService (`Knative`, `Standard`; legacy `Serverless`, `RawDeployment`). */
export const DeploymentModeAnnotation = 'serving.kserve.io/deploymentMode';
/** Largest request body the in-process runtime reads, in bytes (on the InferenceService, else on its runtime): 64 MiB unless given. */
export const MaxRequestBytesAnnotation = 'serving.floe.dev/max-request-bytes';

export type ProtocolVersion = 'v1' | 'v2' | 'grpc-v1' | 'grpc-v2';

export interface ModelFormat {
  name: string;
  version?: string;
}

/** ModelSpec: the generic predictor form, plus container fields. */
export interface ModelSpec extends Partial<ContainerSpec> {
  modelFormat?: ModelFormat;
  runtime?: string;
  storageUri?: string;
  protocolVersion?: ProtocolVersion;
  runtimeVersion?: string;
}

/** The legacy framework shortcuts of a predictor, each a ModelSpec without modelFormat. */
export const frameworkFields = ['sklearn', 'xgboost', 'tensorflow', 'pytorch', 'triton', 'onnx', 'huggingface', 'pmml', 'lightgbm', 'paddle'] as const;

export interface PredictorSpec extends Partial<PodSpec> {
  model?: ModelSpec;
  minReplicas?: number;
  maxReplicas?: number;
  scaleTarget?: number;
  scaleMetric?: 'concurrency' | 'rps' | 'cpu' | 'memory';
  containerConcurrency?: number;
  timeout?: number;
  canaryTrafficPercent?: number;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  [framework: string]: unknown;
}

export interface Condition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  reason?: string;
  message?: string;
  severity?: string;
  lastTransitionTime?: string;
}

export interface ComponentStatus {
  latestReadyRevision?: string;
  latestCreatedRevision?: string;
  previousRolledoutRevision?: string;
  latestRolledoutRevision?: string;
  traffic?: { revisionName?: string; latestRevision?: boolean; percent?: number; tag?: string; url?: string }[];
  url?: string;
  restUrl?: string;
  address?: { url?: string };
}

export interface ModelStatus {
  transitionStatus?: 'UpToDate' | 'InProgress' | 'BlockedByFailedLoad' | 'InvalidSpec';
  states?: { activeModelState?: string; targetModelState?: string };
  lastFailureInfo?: { location?: string; reason?: string; message?: string; modelRevisionName?: string; time?: string; exitCode?: number };
  copies?: { failedCopies?: number; totalCopies?: number };
}

export interface InferenceService extends KubeObject {
  spec: { predictor: PredictorSpec; transformer?: Partial<PodSpec> & Record<string, unknown>; explainer?: Record<string, unknown> };
  status?: {
    url?: string;
    address?: { url?: string };
    conditions?: Condition[];
    components?: Record<string, ComponentStatus>;
    modelStatus?: ModelStatus;
    deploymentMode?: string;
    /** Knative's duck-typed extra state (Floe: ready and desired replicas per revision). */
    annotations?: Record<string, string>;
    servingRuntimeName?: string;
    clusterServingRuntimeName?: string;
    observedGeneration?: number;
  };
}

export interface SupportedModelFormat {
  name: string;
  version?: string;
  autoSelect?: boolean;
  priority?: number;
}

export interface ServingRuntimeSpec {
  supportedModelFormats?: SupportedModelFormat[];
  protocolVersions?: ProtocolVersion[];
  multiModel?: boolean;
  disabled?: boolean;
  containers?: ContainerSpec[];
  volumes?: PodSpec['volumes'];
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  workerSpec?: Record<string, unknown>;
}

export interface ServingRuntime extends KubeObject {
  spec: ServingRuntimeSpec;
}
