// Which (Cluster)ServingRuntime serves a predictor, and the defaults that choice brings, as KServe's controller does
// it (pkg/apis/serving/v1beta1 predictor_model.go, inference_service_defaults.go; components/predictor.go):
// - the framework shorthands (`sklearn: {…}`, …) are a model of that format; onnx, triton and huggingface default to
//   the v2 protocol, the rest to none (selection then looks for v1);
// - an explicit `model.runtime` is looked up (namespace first), refused when disabled, when it does not speak the
//   protocol asked for, or when it does not list the model format (autoSelect or not);
// - otherwise: the runtimes that are enabled, single-model, single-node, speak the protocol (v1 unless given) and list
//   the format (and exactly that version, when one is given) with autoSelect; namespaced ones before cluster ones, each
//   ordered by their lowest protocol, newest first, by name, then (stably) by the format's priority, highest first,
//   runtimes without a priority last;
// - then the runtime's server type adds its defaults (MLServer: v2, model name and URI in env, the modelClass label;
//   TorchServe: v1, the service envelope label and PROTOCOL_VERSION; Triton: v2), and a protocol still unset becomes
//   the runtime's lowest one.
import { frameworkFields, ServerTypeAnnotation, type ModelSpec, type PredictorSpec, type ProtocolVersion, type ServingRuntime } from './types.js';
import type { EnvVar } from '../../api/core-v1.js';

export interface RuntimeChoice {
  runtime: ServingRuntime;
  /** true for a ClusterServingRuntime. */
  cluster: boolean;
}

export type SelectionFailure = 'NoSupportingRuntime' | 'RuntimeNotRecognized' | 'RuntimeDisabled' | 'InvalidPredictorSpec';

/** A failure carries KServe's failure-info message (`modelStatus.lastFailureInfo.message`) and the error its controller logs. */
export type Selection = { ok: true; choice: RuntimeChoice } | { ok: false; reason: SelectionFailure; message: string; detail: string };

/** Formats whose shorthand (and model, for triton) defaults to the v2 protocol (assignONNXRuntime, …). */
const v2Shorthands = new Set(['onnx', 'triton', 'huggingface']);

/** The predictor's model as a ModelSpec: `model`, or a framework shorthand (`sklearn: {...}`), as KServe's defaulter converts it. */
export function predictorModel(predictor: PredictorSpec): ModelSpec | undefined {
  let model = predictor.model;
  if (!model) {
    for (const framework of frameworkFields) {
      const spec = predictor[framework] as ModelSpec | undefined;
      if (!spec) continue;
      model = { ...spec, modelFormat: { name: framework }, ...(spec.protocolVersion === undefined && v2Shorthands.has(framework) ? { protocolVersion: 'v2' as const } : {}) };
      break;
    }
  }
  if (model && model.protocolVersion === undefined && (model.modelFormat?.name === 'triton' || model.modelFormat?.name === 'vllm')) return { ...model, protocolVersion: 'v2' };
  return model;
}

/** KServe's RuntimeSupportsModel: the format (and version, when the model gives one) among the runtime's, autoSelect ones unless the runtime is named. */
function supportsModel(runtime: ServingRuntime, model: ModelSpec): boolean {
  const format = model.modelFormat;
  if (!format?.name) return false;
  return (runtime.spec.supportedModelFormats ?? []).some(
    (f) => (model.runtime !== undefined || f.autoSelect === true) && f.name === format.name && (format.version === undefined || f.version === format.version),
  );
}

const supportsProtocol = (runtime: ServingRuntime, protocol: ProtocolVersion | undefined): boolean =>
  protocol === undefined || (runtime.spec.protocolVersions ?? []).length === 0 || (runtime.spec.protocolVersions ?? []).includes(protocol);

const protocolRank: Record<string, number> = { v1: 1, v2: 2, 'grpc-v1': 3, 'grpc-v2': 4 };

/** KServe's GetProtocolVersionPriority: the rank of a runtime's lowest protocol (5, unknown, when it lists none). */
function lowestProtocol(protocols: readonly string[] | undefined): number {
  const ranks = (protocols ?? []).map((p) => protocolRank[p] ?? 5);
  return ranks.length === 0 ? 5 : Math.min(...ranks);
}

const created = (r: ServingRuntime): number => Date.parse(r.metadata.creationTimestamp ?? '') || 0;

function ordered(runtimes: ServingRuntime[], format: string): ServingRuntime[] {
  const byList = [...runtimes].sort(
    (a, b) => lowestProtocol(a.spec.protocolVersions) - lowestProtocol(b.spec.protocolVersions) || created(b) - created(a) || (a.metadata.name ?? '').localeCompare(b.metadata.name ?? ''),
  );
  // Array.prototype.sort is stable: runtimes of equal priority keep the order above.
  return byList.sort((a, b) => {
    const pa = priorityOf(a, format);
    const pb = priorityOf(b, format);
    if (pa === undefined || pb === undefined) return pa === undefined ? (pb === undefined ? 0 : 1) : -1;
    return pb - pa;
  });
}

/** KServe's GetPriority: the priority of the first listed entry for the format. */
function priorityOf(runtime: ServingRuntime, format: string): number | undefined {
  return runtime.spec.supportedModelFormats?.find((f) => f.name === format)?.priority;
}

export function selectRuntime(model: ModelSpec, namespaced: ServingRuntime[], clustered: ServingRuntime[]): Selection {
  const format = model.modelFormat;
  if (model.runtime) {
    const local = namespaced.find((r) => r.metadata.name === model.runtime);
    const found = local ?? clustered.find((r) => r.metadata.name === model.runtime);
    if (!found) return { ok: false, reason: 'RuntimeNotRecognized', message: 'Waiting for runtime to become available', detail: `no ServingRuntime or ClusterServingRuntime named ${model.runtime}` };
    if (found.spec.disabled) return { ok: false, reason: 'RuntimeDisabled', message: 'Specified runtime is disabled', detail: `specified runtime ${model.runtime} is disabled` };
    if (!supportsProtocol(found, model.protocolVersion)) {
      return { ok: false, reason: 'NoSupportingRuntime', message: 'Specified runtime does not support specified protocol version', detail: `specified runtime ${model.runtime} does not support specified protocol version ${model.protocolVersion ?? ''}` };
    }
    if (!supportsModel(found, model)) {
      return { ok: false, reason: 'NoSupportingRuntime', message: 'Specified runtime does not support specified framework/version', detail: `specified runtime ${model.runtime} does not support specified framework/version ${describe(model)}` };
    }
    return { ok: true, choice: { runtime: found, cluster: !local } };
  }
  if (!format?.name) return { ok: false, reason: 'InvalidPredictorSpec', message: 'the predictor names no model format', detail: 'the predictor names no model format (spec.predictor.model.modelFormat.name)' };
  const protocol = model.protocolVersion ?? 'v1';
  const candidates = (runtimes: ServingRuntime[]): ServingRuntime[] =>
    ordered(
      runtimes.filter((r) => !r.spec.disabled && !r.spec.multiModel && !r.spec.workerSpec && supportsProtocol(r, protocol) && supportsModel(r, model)),
      format.name,
    );
  const local = candidates(namespaced)[0];
  if (local) return { ok: true, choice: { runtime: local, cluster: false } };
  const cluster = candidates(clustered)[0];
  if (cluster) return { ok: true, choice: { runtime: cluster, cluster: true } };
  return { ok: false, reason: 'NoSupportingRuntime', message: 'No runtime found to support specified framework/version', detail: `no runtime found to support predictor with model type ${describe(model)} and protocol ${protocol}` };
}

const describe = (model: ModelSpec): string => `${model.modelFormat?.name ?? ''}${model.modelFormat?.version ? ` version ${model.modelFormat.version}` : ''}`;

/** KServe's server type of a runtime: its `serving.kserve.io/server-type` annotation, else known by its name. */
export function serverType(runtime: ServingRuntime): string {
  const annotated = runtime.metadata.annotations?.[ServerTypeAnnotation];
  if (annotated) return annotated;
  const byName: Record<string, string> = { 'kserve-mlserver': 'mlserver', 'kserve-torchserve': 'torchserve', 'kserve-tritonserver': 'tritonserver', 'kserve-tensorflow-serving': 'tensorflow-serving', 'kserve-huggingfaceserver': 'huggingfaceserver' };
  return byName[runtime.metadata.name ?? ''] ?? '';
}

/** MLServer's implementation class per model format: the modelClass label KServe's controller sets (SetMlServerDefaults). */
export const mlserverModelClasses: Record<string, string> = {
  sklearn: 'mlserver_sklearn.SKLearnModel',
  xgboost: 'mlserver_xgboost.XGBoostModel',
  lightgbm: 'mlserver_lightgbm.LightGBMModel',
  mlflow: 'mlserver_mlflow.MLflowRuntime',
};

export interface RuntimeDefaults {
  /** The model with its protocol and env as KServe's controller leaves them. */
  model: ModelSpec;
  /** Labels KServe adds to the InferenceService, which runtime templates read (`{{.Labels.modelClass}}`). */
  labels: Record<string, string>;
}

/** What a runtime's server type adds to the model (SetRuntimeDefaults), then the protocol default from the runtime. */
export function runtimeDefaults(model: ModelSpec, runtime: ServingRuntime, isvcName: string): RuntimeDefaults {
  const out: ModelSpec = { ...model, ...(model.env ? { env: [...model.env] } : {}) };
  const labels: Record<string, string> = {};
  const appendIfMissing = (...vars: EnvVar[]): void => {
    const env = (out.env ??= []);
    for (const v of vars) if (!env.some((e) => e.name === v.name)) env.push(v);
  };
  switch (serverType(runtime)) {
    case 'mlserver':
      out.protocolVersion ??= 'v2';
      if (out.storageUri === undefined) appendIfMissing({ name: 'MLSERVER_LOAD_MODELS_AT_STARTUP', value: 'false' });
      else appendIfMissing({ name: 'MLSERVER_MODEL_NAME', value: isvcName }, { name: 'MLSERVER_MODEL_URI', value: '/mnt/models' });
      labels['modelClass'] = mlserverModelClasses[out.modelFormat?.name ?? ''] ?? mlserverModelClasses['sklearn']!;
      break;
    case 'torchserve':
      out.protocolVersion ??= 'v1';
      labels['serviceEnvelope'] = out.protocolVersion === 'v2' || out.protocolVersion === 'grpc-v2' ? 'kservev2' : 'kserve';
      out.env = [...(out.env ?? []), { name: 'PROTOCOL_VERSION', value: out.protocolVersion }];
      break;
    case 'tritonserver':
      out.protocolVersion ??= 'v2';
      if (out.storageUri === undefined) out.args = [...(out.args ?? []), '--model-control-mode=explicit'];
      break;
    default:
      break;
  }
  if (out.protocolVersion === undefined) {
    const lowest = Object.entries(protocolRank).find(([, rank]) => rank === lowestProtocol(runtime.spec.protocolVersions))?.[0];
    if (lowest) out.protocolVersion = lowest as ProtocolVersion;
  }
  return { model: out, labels };
}
