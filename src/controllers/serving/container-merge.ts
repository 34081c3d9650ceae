// The predictor container KServe builds from a ServingRuntime's container and the InferenceService's model
// (MergeRuntimeContainers: a strategic merge patch of the model's container fields onto the runtime's, except that
// args are the runtime's followed by the model's), the image tag from runtimeVersion (UpdateImageTag), and the runtime
// template's placeholders (`{{.Name}}`, `{{.Namespace}}`, `{{.Labels.k}}`, `{{.Annotations.k}}`) filled from the
// InferenceService's metadata (ReplacePlaceholders).
import type { ContainerSpec } from '../../api/core-v1.js';
import type { ModelSpec } from './types.js';

type Json = Record<string, unknown>;

/** The ModelSpec fields that are not container fields. */
const modelOnly = new Set(['modelFormat', 'runtime', 'storageUri', 'storage', 'protocolVersion', 'runtimeVersion', 'name']);

/** Lists merged by a key, as the Kubernetes strategic merge patch merges these container fields. */
const mergeKeys: Record<string, string> = { env: 'name', volumeMounts: 'mountPath', ports: 'containerPort', volumeDevices: 'devicePath', resizePolicy: 'resourceName' };

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

function mergeObjects(base: Json, patch: Json): Json {
  const out: Json = { ...base };
  for (const [k, v] of Object.entries(patch)) {
    if (v === undefined) continue;
    const key = mergeKeys[k];
    const current = out[k];
    if (key && Array.isArray(v) && Array.isArray(current)) out[k] = mergeByKey(current as Json[], v as Json[], key);
    else if (isObject(v) && isObject(current)) out[k] = mergeObjects(current, v);
    else out[k] = v;
  }
  return out;
}

/** Entries of `patch` merged into the entries of `base` with the same key, in place; the others appended. */
function mergeByKey(base: Json[], patch: Json[], key: string): Json[] {
  const out = base.map((e) => ({ ...e }));
  for (const entry of patch) {
    const at = out.findIndex((e) => e[key] === entry[key]);
    if (at < 0) out.push(entry);
    // An env var set by value in one and by reference in the other takes the patch's form whole.
    else out[at] = key === 'name' ? { ...entry } : mergeObjects(out[at]!, entry);
  }
  return out;
}

/** The container fields of a model (its inline Container), without the model-only fields. */
export function modelContainer(model: ModelSpec): Partial<ContainerSpec> {
  return Object.fromEntries(Object.entries(model).filter(([k]) => !modelOnly.has(k)));
}

/** KServe's MergeRuntimeContainers: the model's fields patched onto the runtime's; args appended, not replaced. */
export function mergeRuntimeContainer(runtime: ContainerSpec, model: ModelSpec): ContainerSpec {
  const patch = modelContainer(model);
  const merged = mergeObjects(runtime as unknown as Json, patch) as unknown as ContainerSpec;
  const args = [...(runtime.args ?? []), ...(patch.args ?? [])];
  if (args.length > 0) merged.args = args;
  // runtimeVersion replaces the image's tag unless the model names its own image.
  if (model.runtimeVersion && !patch.image && merged.image) merged.image = `${merged.image.replace(/:[^:/]*$/, '')}:${model.runtimeVersion}`;
  return merged;
}

export interface TemplateMeta {
  name: string;
  namespace: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

/** The runtime template's placeholders replaced from the InferenceService's metadata (a missing key becomes empty). */
export function fillPlaceholders<T>(value: T, meta: TemplateMeta): T {
  const text = JSON.stringify(value);
  const filled = text.replace(/\{\{\s*\.(Name|Namespace|Labels\.([A-Za-z0-9_]+)|Annotations\.([A-Za-z0-9_]+))\s*\}\}/g, (_all, field: string, label?: string, annotation?: string) => {
    const v = label !== undefined ? meta.labels[label] : annotation !== undefined ? meta.annotations[annotation] : field === 'Name' ? meta.name : meta.namespace;
    return JSON.stringify(v ?? '').slice(1, -1);
  });
  return JSON.parse(filled) as T;
}
