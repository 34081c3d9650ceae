// PodDefaults applied to a Pod, as Kubeflow's poddefaults webhook does (kubeflow/dashboard components/poddefaults-webhooks):
// which PodDefaults select the Pod, whether they conflict with it or each other, and the merged Pod. Pure: no I/O.
import { isDeepStrictEqual } from 'node:util';
import type { KubeObject } from '../../api/meta.js';
import { matchesLabels, selectorFromLabelSelectorObject, type LabelSelectorObject } from '../../api/selectors/index.js';

export const PodDefaultGroup = 'kubeflow.org';
export const PodDefaultRef = { apiVersion: 'kubeflow.org/v1alpha1', kind: 'PodDefault' } as const;
/** Upstream's annotation prefix: `<prefix>/exclude: "true"` opts a Pod out; `<prefix>/poddefault-<name>` records each one applied. */
export const PodDefaultAnnotationPrefix = 'poddefault.admission.kubeflow.org';
export const ExcludeAnnotation = `${PodDefaultAnnotationPrefix}/exclude`;
/** kube's mirror-Pod annotation (static Pods): the webhook leaves those alone. */
const MirrorPodAnnotation = 'kubernetes.io/config.mirror';
/** Containers the webhook never gives a command or args (Istio's sidecar). */
const IstioProxy = 'istio-proxy';

type Json = Record<string, unknown>;
interface Named extends Json {
  name: string;
}

export interface PodDefaultSpec {
  selector: LabelSelectorObject;
  desc?: string;
  initContainers?: Named[];
  sidecars?: Named[];
  serviceAccountName?: string;
  automountServiceAccountToken?: boolean;
  env?: Named[];
  envFrom?: Json[];
  volumes?: Named[];
  volumeMounts?: (Named & { mountPath: string })[];
  annotations?: Record<string, string>;
  labels?: Record<string, string>;
  tolerations?: Json[];
  command?: string[];
  args?: string[];
  imagePullSecrets?: Named[];
}

export interface PodDefault extends KubeObject {
  spec: PodDefaultSpec;
}

interface MutableContainer extends Json {
  name: string;
  command?: string[];
  args?: string[];
  env?: Named[];
  envFrom?: Json[];
  volumeMounts?: (Named & { mountPath: string })[];
}

interface MutablePod extends KubeObject {
  spec: Json & {
    containers: MutableContainer[];
    initContainers?: MutableContainer[];
    volumes?: Named[];
    tolerations?: Json[];
    imagePullSecrets?: Named[];
    serviceAccountName?: string;
    automountServiceAccountToken?: boolean;
  };
}

/** Whether the webhook looks at this Pod at all (upstream skips excluded and mirror Pods). */
export function podDefaultsApplyTo(pod: KubeObject): boolean {
  const annotations = pod.metadata.annotations ?? {};
  return annotations[ExcludeAnnotation] !== 'true' && !(MirrorPodAnnotation in annotations);
}

/**
 * The PodDefaults of the Pod's namespace whose selector matches the Pod's labels, in the order given (the API's
 * list order, by name). A selector that cannot be read is an error, as upstream's filter fails the request.
 */
export function matchingPodDefaults(podDefaults: readonly PodDefault[], pod: KubeObject): PodDefault[] {
  return podDefaults.filter((pd) => {
    if (pd.metadata.namespace !== pod.metadata.namespace) return false;
    let selector;
    try {
      selector = selectorFromLabelSelectorObject(pd.spec?.selector ?? {}, 'spec.selector');
    } catch (err) {
      throw new Error(`label selector conversion failed: ${JSON.stringify(pd.spec?.selector)} for selector: ${(err as Error).message}`);
    }
    return matchesLabels(selector, pod.metadata.labels ?? {});
  });
}

const show = (v: unknown): string => JSON.stringify(v);

/** Go's utilerrors.NewAggregate(...).Error(): one message as is, several as `[a, b]`. */
function aggregate(errs: string[]): string | undefined {
  if (errs.length === 0) return undefined;
  return errs.length === 1 ? errs[0] : `[${errs.join(', ')}]`;
}

interface Merged<T> {
  items: T[];
  errors: string[];
}

/** Appends what the PodDefaults add to a list keyed by `key`; the same key with other content is a conflict. */
function mergeKeyed<T>(existing: readonly T[] | undefined, pds: readonly PodDefault[], pick: (pd: PodDefault) => readonly T[] | undefined, key: (item: T) => string, what: string): Merged<T> {
  const seen = new Map<string, T>();
  for (const item of existing ?? []) seen.set(key(item), item);
  const items = [...(existing ?? [])];
  const errors: string[] = [];
  for (const pd of pds) {
    for (const item of pick(pd) ?? []) {
      const found = seen.get(key(item));
      if (found === undefined) {
        seen.set(key(item), item);
        items.push(item);
      } else if (!isDeepStrictEqual(found, item)) {
        errors.push(`merging ${what} for ${pd.metadata.name ?? ''} has a conflict on ${key(item)}: \n${show(item)}\ndoes not match\n${show(found)}\n in container`);
      }
    }
  }
  return { items, errors };
}

function mergeVolumeMounts(existing: MutableContainer['volumeMounts'], pds: readonly PodDefault[]): Merged<Named & { mountPath: string }> {
  const byName = new Map<string, Named & { mountPath: string }>();
  const byPath = new Map<string, Named & { mountPath: string }>();
  for (const m of existing ?? []) {
    byName.set(m.name, m);
    byPath.set(m.mountPath, m);
  }
  const items = [...(existing ?? [])];
  const errors: string[] = [];
  for (const pd of pds) {
    for (const m of pd.spec.volumeMounts ?? []) {
      const named = byName.get(m.name);
      if (named === undefined) {
        byName.set(m.name, m);
        items.push(m);
      } else if (!isDeepStrictEqual(named, m)) {
        errors.push(`merging volume mounts for ${pd.metadata.name ?? ''} has a conflict on ${m.name}: \n${show(m)}\ndoes not match\n${show(named)}\n in container`);
      }
      const atPath = byPath.get(m.mountPath);
      if (atPath === undefined) byPath.set(m.mountPath, m);
      else if (!isDeepStrictEqual(atPath, m)) {
        errors.push(`merging volume mounts for ${pd.metadata.name ?? ''} has a conflict on mount path ${m.mountPath}: \n${show(m)}\ndoes not match\n${show(atPath)}\n in container`);
      }
    }
  }
  return { items, errors };
}

function mergeMap(existing: Record<string, string> | undefined, defaults: readonly (Record<string, string> | undefined)[]): { map: Record<string, string>; errors: string[] } {
  const map: Record<string, string> = { ...(existing ?? {}) };
  const errors: string[] = [];
  for (const def of defaults) {
    for (const [k, v] of Object.entries(def ?? {})) {
      if (!(k in map)) map[k] = v;
      else if (map[k] !== v) errors.push(`merging has conflict on ${k}: \n${show(v)}\ndoes not match\n${show(map[k])}\n in pod`);
    }
  }
  return { map, errors };
}

const byName = (item: Named): string => item.name;
const byKey = (item: Json): string => (typeof item.key === 'string' ? item.key : '');

/**
 * Every conflict the PodDefaults would cause on the Pod, as upstream's safeToApplyPodDefaultsOnPod reports them:
 * same-named volumes, env vars, volume mounts, init containers, sidecars and image pull secrets with other content;
 * one mount path used twice; a toleration key with other content; a label or annotation with another value.
 */
export function podDefaultConflicts(podObject: KubeObject, pds: readonly PodDefault[]): string | undefined {
  const pod = podObject as MutablePod;
  const errs: string[] = [];
  const add = (e: string | undefined): void => {
    if (e !== undefined) errs.push(e);
  };
  add(aggregate(mergeKeyed(pod.spec.volumes, pds, (pd) => pd.spec.volumes, byName, 'volumes').errors));
  add(aggregate(mergeKeyed(pod.spec.tolerations, pds, (pd) => pd.spec.tolerations, byKey, 'tolerations').errors));
  add(aggregate(mergeKeyed(pod.spec.imagePullSecrets, pds, (pd) => pd.spec.imagePullSecrets, byName, 'imagePullSecret').errors));
  for (const c of pod.spec.containers) {
    const envErr = aggregate(mergeKeyed(c.env, pds, (pd) => pd.spec.env, byName, 'env').errors);
    const mountErr = aggregate(mergeVolumeMounts(c.volumeMounts, pds).errors);
    add(aggregate([envErr, mountErr].filter((e): e is string => e !== undefined)));
  }
  add(aggregate(mergeMap(pod.metadata.annotations, pds.map((pd) => pd.spec.annotations)).errors));
  add(aggregate(mergeMap(pod.metadata.labels, pds.map((pd) => pd.spec.labels)).errors));
  add(aggregate(mergeKeyed(pod.spec.initContainers, pds, (pd) => pd.spec.initContainers, byName, 'containers').errors));
  add(aggregate(mergeKeyed(pod.spec.containers, pds, (pd) => pd.spec.sidecars, byName, 'containers').errors));
  return aggregate(errs);
}

/** Sets a list field, leaving it out when empty (Go's nil slice with `omitempty`). */
function setList(target: Json, field: string, items: readonly unknown[]): void {
  if (items.length > 0) target[field] = items;
  else delete target[field];
}

/**
 * Applies the PodDefaults to the Pod in place (conflicts checked before): pod-level volumes, tolerations and image pull
 * secrets appended by key; labels and annotations merged; the last PodDefault that sets `serviceAccountName` or
 * `automountServiceAccountToken` wins; in every container env and volume mounts merged, envFrom appended, and
 * command/args set only where the container has none (never in `istio-proxy`); init containers and sidecars appended
 * by name; and the annotation `poddefault.admission.kubeflow.org/poddefault-<name>: <resourceVersion>` for each.
 */
export function applyPodDefaults(podObject: KubeObject, pds: readonly PodDefault[]): void {
  if (pds.length === 0) return;
  const pod = podObject as MutablePod;
  const spec = pod.spec;
  setList(spec, 'volumes', mergeKeyed(spec.volumes, pds, (pd) => pd.spec.volumes, byName, 'volumes').items);
  setList(spec, 'tolerations', mergeKeyed(spec.tolerations, pds, (pd) => pd.spec.tolerations, byKey, 'tolerations').items);
  setList(spec, 'imagePullSecrets', mergeKeyed(spec.imagePullSecrets, pds, (pd) => pd.spec.imagePullSecrets, byName, 'imagePullSecret').items);
  for (const pd of pds) {
    if (pd.spec.automountServiceAccountToken !== undefined && pd.spec.automountServiceAccountToken !== null) spec.automountServiceAccountToken = pd.spec.automountServiceAccountToken;
    if (pd.spec.serviceAccountName) spec.serviceAccountName = pd.spec.serviceAccountName;
  }
  pod.metadata.annotations = mergeMap(pod.metadata.annotations, pds.map((pd) => pd.spec.annotations)).map;
  pod.metadata.labels = mergeMap(pod.metadata.labels, pds.map((pd) => pd.spec.labels)).map;
  for (const c of spec.containers) {
    setList(c, 'env', mergeKeyed(c.env, pds, (pd) => pd.spec.env, byName, 'env').items);
    setList(c, 'volumeMounts', mergeVolumeMounts(c.volumeMounts, pds).items);
    setList(c, 'envFrom', [...(c.envFrom ?? []), ...pds.flatMap((pd) => pd.spec.envFrom ?? [])]);
    if (c.name === IstioProxy) continue;
    for (const pd of pds) {
      if (c.command === undefined && pd.spec.command !== undefined) c.command = [...pd.spec.command];
      if (c.args === undefined && pd.spec.args !== undefined) c.args = [...pd.spec.args];
    }
  }
  setList(spec, 'initContainers', mergeKeyed(spec.initContainers, pds, (pd) => pd.spec.initContainers, byName, 'containers').items);
  spec.containers = mergeKeyed(spec.containers, pds, (pd) => pd.spec.sidecars, byName, 'containers').items;
  for (const pd of pds) pod.metadata.annotations[`${PodDefaultAnnotationPrefix}/poddefault-${pd.metadata.name ?? ''}`] = pd.metadata.resourceVersion ?? '';
}
