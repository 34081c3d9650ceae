// Which (Cluster)ServingRuntime serves a predictor, as KServe picks it: an explicit `model.runtime`, else the
// non-disabled runtimes whose multiModel matches, that speak the protocol (v1 unless given) and list the model format
// (and version, when given) with autoSelect; namespaced runtimes first, then by priority, highest first.
import { frameworkFields, type ModelSpec, type PredictorSpec, type ProtocolVersion, type ServingRuntime } from './types.js';

export interface RuntimeChoice {
  runtime: ServingRuntime;
  /** true for a ClusterServingRuntime. */
  cluster: boolean;
}

export type Selection = { ok: true; choice: RuntimeChoice } | { ok: false; reason: 'NoSupportingRuntime' | 'RuntimeNotRecognized' | 'RuntimeDisabled' | 'InvalidPredictorSpec'; message: string };

/** The predictor's model as a ModelSpec: `model`, or a legacy framework shortcut (`sklearn: {...}`). */
export function predictorModel(predictor: PredictorSpec): ModelSpec | undefined {
  if (predictor.model) return predictor.model;
  for (const framework of frameworkFields) {
    const spec = predictor[framework] as ModelSpec | undefined;
    if (spec) return { ...spec, modelFormat: { name: framework } };
  }
  return undefined;
}

const versionMatches = (supported: string | undefined, wanted: string | undefined): boolean => {
  if (wanted === undefined) return true;
  if (supported === undefined) return false;
  // "1" matches "1", "1.0" and "1.0.2": KServe compares the parts that are given.
  const s = supported.split('.');
  return wanted.split('.').every((part, i) => s[i] === undefined || s[i] === part);
};

export function selectRuntime(model: ModelSpec, namespaced: ServingRuntime[], clustered: ServingRuntime[]): Selection {
  const protocol: ProtocolVersion = model.protocolVersion ?? 'v1';
  if (model.runtime) {
    const local = namespaced.find((r) => r.metadata.name === model.runtime);
    const cluster = clustered.find((r) => r.metadata.name === model.runtime);
    const found = local ?? cluster;
    if (!found) return { ok: false, reason: 'RuntimeNotRecognized', message: `no ServingRuntime or ClusterServingRuntime named ${model.runtime}` };
    if (found.spec.disabled) return { ok: false, reason: 'RuntimeDisabled', message: `runtime ${model.runtime} is disabled` };
    return { ok: true, choice: { runtime: found, cluster: !local } };
  }
  const format = model.modelFormat;
  if (!format?.name) return { ok: false, reason: 'InvalidPredictorSpec', message: 'the predictor names no model format (spec.predictor.model.modelFormat.name)' };
  const candidates = (runtimes: ServingRuntime[]): ServingRuntime[] =>
    runtimes
      .filter((r) => !r.spec.disabled && !r.spec.multiModel && !r.spec.workerSpec && (r.spec.protocolVersions ?? ['v1']).includes(protocol))
      .filter((r) => (r.spec.supportedModelFormats ?? []).some((f) => f.autoSelect && f.name === format.name && versionMatches(f.version, format.version)))
      .sort((a, b) => priorityOf(b, format.name) - priorityOf(a, format.name) || (a.metadata.name ?? '').localeCompare(b.metadata.name ?? ''));
  const local = candidates(namespaced)[0];
  if (local) return { ok: true, choice: { runtime: local, cluster: false } };
  const cluster = candidates(clustered)[0];
  if (cluster) return { ok: true, choice: { runtime: cluster, cluster: true } };
  return { ok: false, reason: 'NoSupportingRuntime', message: `no runtime supports model format ${format.name}${format.version ? ` version ${format.version}` : ''} with protocol ${protocol}` };
}

function priorityOf(runtime: ServingRuntime, format: string): number {
  return runtime.spec.supportedModelFormats?.find((f) => f.name === format)?.priority ?? 0;
}
