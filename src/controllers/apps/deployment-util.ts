// Deployment arithmetic and annotations as kube-controller-manager's deployment/util does it: fenceposts, revisions,
// replica annotations, conditions, completeness and progress. Pure functions, unit-tested beside.
import type { KubeObject } from '../../api/meta.js';
import type { LabelSelectorObject } from '../../api/selectors/index.js';
import { kubeTime } from '../../controller/index.js';
import { canonicalJson } from './hash.js';
import type { PodTemplate, ReplicaSet } from './replica-set-controller.js';

export const DeploymentRef = { apiVersion: 'apps/v1', kind: 'Deployment' } as const;

export const PodTemplateHashLabel = 'pod-template-hash';
export const RevisionAnnotation = 'deployment.kubernetes.io/revision';
export const RevisionHistoryAnnotation = 'deployment.kubernetes.io/revision-history';
export const DesiredReplicasAnnotation = 'deployment.kubernetes.io/desired-replicas';
export const MaxReplicasAnnotation = 'deployment.kubernetes.io/max-replicas';
export const DeprecatedRollbackTo = 'deprecated.deployment.rollback.to';
export const LastAppliedAnnotation = 'kubectl.kubernetes.io/last-applied-configuration';
/** Annotations of a Deployment never copied onto its ReplicaSets (annotationsToSkip). */
export const SkippedAnnotations = new Set([LastAppliedAnnotation, RevisionAnnotation, RevisionHistoryAnnotation, DesiredReplicasAnnotation, MaxReplicasAnnotation, DeprecatedRollbackTo]);

export const Reasons = {
  NewReplicaSet: 'NewReplicaSetCreated',
  FoundNewReplicaSet: 'FoundNewReplicaSet',
  ReplicaSetUpdated: 'ReplicaSetUpdated',
  NewRSAvailable: 'NewReplicaSetAvailable',
  TimedOut: 'ProgressDeadlineExceeded',
  Paused: 'DeploymentPaused',
  Resumed: 'DeploymentResumed',
  FailedRSCreate: 'ReplicaSetCreateError',
  MinimumReplicasAvailable: 'MinimumReplicasAvailable',
  MinimumReplicasUnavailable: 'MinimumReplicasUnavailable',
} as const;

export type IntOrString = number | string;

export interface DeploymentCondition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  lastUpdateTime?: string;
  lastTransitionTime?: string;
  reason?: string;
  message?: string;
}

export interface DeploymentStatus {
  observedGeneration?: number;
  replicas?: number;
  updatedReplicas?: number;
  readyReplicas?: number;
  availableReplicas?: number;
  unavailableReplicas?: number;
  conditions?: DeploymentCondition[];
  collisionCount?: number;
}

export interface Deployment extends KubeObject {
  spec: {
    replicas?: number;
    selector: LabelSelectorObject;
    template: PodTemplate;
    strategy?: { type?: 'RollingUpdate' | 'Recreate'; rollingUpdate?: { maxSurge?: IntOrString; maxUnavailable?: IntOrString } };
    minReadySeconds?: number;
    revisionHistoryLimit?: number;
    paused?: boolean;
    progressDeadlineSeconds?: number;
  };
  status?: DeploymentStatus;
}

export const replicasOf = (o: { spec: { replicas?: number } }): number => o.spec.replicas ?? 1;
export const isRollingUpdate = (d: Deployment): boolean => (d.spec.strategy?.type ?? 'RollingUpdate') === 'RollingUpdate';

/** GetScaledValueFromIntOrPercent: an int as is, `N%` of total rounded up or down. */
export function scaledValue(value: IntOrString | undefined, total: number, roundUp: boolean): number {
  if (value === undefined) return 0;
  if (typeof value === 'number') return value;
  const m = /^(\d+)%$/.exec(value);
  if (!m) {
    const n = Number(value);
    if (Number.isInteger(n)) return n;
    throw new Error(`invalid value for IntOrString: invalid value "${value}"`);
  }
  const exact = (Number(m[1]) * total) / 100;
  return roundUp ? Math.ceil(exact) : Math.floor(exact);
}

/** ResolveFenceposts: maxSurge rounds up, maxUnavailable down; both 0 ⇒ unavailable 1 so a rollout can progress. */
export function resolveFenceposts(maxSurge: IntOrString | undefined, maxUnavailable: IntOrString | undefined, desired: number): { surge: number; unavailable: number } {
  const surge = scaledValue(maxSurge ?? '25%', desired, true);
  let unavailable = scaledValue(maxUnavailable ?? '25%', desired, false);
  if (surge === 0 && unavailable === 0) unavailable = 1;
  return { surge, unavailable };
}

export function maxSurge(d: Deployment): number {
  if (!isRollingUpdate(d)) return 0;
  return resolveFenceposts(d.spec.strategy?.rollingUpdate?.maxSurge, d.spec.strategy?.rollingUpdate?.maxUnavailable, replicasOf(d)).surge;
}

export function maxUnavailable(d: Deployment): number {
  if (!isRollingUpdate(d) || replicasOf(d) === 0) return 0;
  const { unavailable } = resolveFenceposts(d.spec.strategy?.rollingUpdate?.maxSurge, d.spec.strategy?.rollingUpdate?.maxUnavailable, replicasOf(d));
  return Math.min(unavailable, replicasOf(d));
}

/** EqualIgnoreHash: templates equal once the pod-template-hash label is dropped (nil and empty maps equal). */
export function equalIgnoreHash(a: PodTemplate | undefined, b: PodTemplate | undefined): boolean {
  const strip = (t: PodTemplate | undefined): unknown => {
    if (!t) return undefined;
    const labels = { ...(t.metadata?.labels ?? {}) };
    delete labels[PodTemplateHashLabel];
    return { ...t, metadata: { ...(t.metadata ?? {}), labels } };
  };
  return canonicalJson(strip(a)) === canonicalJson(strip(b));
}

export const revisionOf = (o: KubeObject): number => {
  const v = Number(o.metadata.annotations?.[RevisionAnnotation] ?? '');
  return Number.isInteger(v) && v > 0 ? v : 0;
};

export const maxRevision = (rss: readonly ReplicaSet[]): number => rss.reduce((m, rs) => Math.max(m, revisionOf(rs)), 0);

const created = (o: KubeObject): number => (o.metadata.creationTimestamp ? Date.parse(o.metadata.creationTimestamp) : 0);
/** ReplicaSetsByCreationTimestamp: oldest first, then by name. */
export const byCreation = (a: KubeObject, b: KubeObject): number => created(a) - created(b) || (a.metadata.name ?? '').localeCompare(b.metadata.name ?? '');

/** The ReplicaSet whose template is the Deployment's (oldest when several), and the others. */
export function splitReplicaSets(d: Deployment, rss: readonly ReplicaSet[]): { newRS: ReplicaSet | undefined; oldRSs: ReplicaSet[] } {
  const sorted = [...rss].sort(byCreation);
  const newRS = sorted.find((rs) => equalIgnoreHash(rs.spec.template, d.spec.template));
  return { newRS, oldRSs: sorted.filter((rs) => rs !== newRS) };
}

/**
 * SetNewReplicaSetAnnotations: copies the Deployment's own annotations, raises the revision to `newRevision` (the old
 * one joins revision-history) and, for a new ReplicaSet, the replica annotations. Returns whether anything changed.
 */
export function setNewReplicaSetAnnotations(d: Deployment, rs: ReplicaSet, newRevision: number, exists: boolean): boolean {
  const annotations = (rs.metadata.annotations ??= {});
  let changed = copyDeploymentAnnotations(d, rs);
  const oldRevision = annotations[RevisionAnnotation];
  const oldInt = Number(oldRevision ?? 0) || 0;
  if (oldInt < newRevision) {
    annotations[RevisionAnnotation] = String(newRevision);
    changed = true;
  }
  if (!exists && setReplicasAnnotations(rs, replicasOf(d), replicasOf(d) + maxSurge(d))) changed = true;
  if (oldRevision && oldInt < newRevision) {
    const history = annotations[RevisionHistoryAnnotation];
    annotations[RevisionHistoryAnnotation] = history ? `${history},${oldRevision}` : oldRevision;
    changed = true;
  }
  return changed;
}

export function copyDeploymentAnnotations(d: Deployment, rs: KubeObject): boolean {
  const annotations = (rs.metadata.annotations ??= {});
  let changed = false;
  for (const [k, v] of Object.entries(d.metadata.annotations ?? {})) {
    if (SkippedAnnotations.has(k) || annotations[k] === v) continue;
    annotations[k] = v;
    changed = true;
  }
  return changed;
}

export function setReplicasAnnotations(rs: KubeObject, desired: number, max: number): boolean {
  const annotations = (rs.metadata.annotations ??= {});
  let changed = false;
  if (annotations[DesiredReplicasAnnotation] !== String(desired)) {
    annotations[DesiredReplicasAnnotation] = String(desired);
    changed = true;
  }
  if (annotations[MaxReplicasAnnotation] !== String(max)) {
    annotations[MaxReplicasAnnotation] = String(max);
    changed = true;
  }
  return changed;
}

export function replicasAnnotationsNeedUpdate(rs: KubeObject, desired: number, max: number): boolean {
  return rs.metadata.annotations?.[DesiredReplicasAnnotation] !== String(desired) || rs.metadata.annotations[MaxReplicasAnnotation] !== String(max);
}

const specReplicas = (rss: readonly (ReplicaSet | undefined)[]): number => rss.reduce((n, rs) => n + (rs ? replicasOf(rs) : 0), 0);
const statusSum = (rss: readonly (ReplicaSet | undefined)[], field: 'replicas' | 'readyReplicas' | 'availableReplicas'): number => rss.reduce((n, rs) => n + (rs?.status?.[field] ?? 0), 0);
export const totalSpecReplicas = specReplicas;

/** NewRSNewReplicas for RollingUpdate: grow the new ReplicaSet as far as maxSurge allows. */
export function newRSNewReplicas(d: Deployment, allRSs: readonly ReplicaSet[], newRS: ReplicaSet): number {
  if (!isRollingUpdate(d)) return replicasOf(d);
  const surge = maxSurge(d);
  const current = specReplicas(allRSs);
  const maxTotal = replicasOf(d) + surge;
  if (current >= maxTotal) return replicasOf(newRS);
  const up = Math.min(maxTotal - current, replicasOf(d) - replicasOf(newRS));
  return replicasOf(newRS) + up;
}

/** calculateStatus: counts summed over every ReplicaSet, Available from minimum availability. */
export function calculateStatus(d: Deployment, allRSs: readonly ReplicaSet[], newRS: ReplicaSet | undefined, now: number): DeploymentStatus {
  const available = statusSum(allRSs, 'availableReplicas');
  const status: DeploymentStatus = {
    observedGeneration: d.metadata.generation ?? 0,
    replicas: statusSum(allRSs, 'replicas'),
    updatedReplicas: statusSum([newRS], 'replicas'),
    readyReplicas: statusSum(allRSs, 'readyReplicas'),
    availableReplicas: available,
    unavailableReplicas: Math.max(0, specReplicas(allRSs) - available),
    conditions: structuredClone(d.status?.conditions ?? []),
  };
  if (d.status?.collisionCount !== undefined) status.collisionCount = d.status.collisionCount;
  if (available >= replicasOf(d) - maxUnavailable(d)) setDeploymentCondition(status, newCondition('Available', 'True', Reasons.MinimumReplicasAvailable, 'Deployment has minimum availability.', now));
  else setDeploymentCondition(status, newCondition('Available', 'False', Reasons.MinimumReplicasUnavailable, 'Deployment does not have minimum availability.', now));
  return status;
}

export function newCondition(type: string, status: DeploymentCondition['status'], reason: string, message: string, now: number): DeploymentCondition {
  const at = kubeTime(now);
  return { type, status, lastUpdateTime: at, lastTransitionTime: at, reason, message };
}

export const getCondition = (status: DeploymentStatus | undefined, type: string): DeploymentCondition | undefined => status?.conditions?.find((c) => c.type === type);

/** SetDeploymentCondition: same status and reason ⇒ nothing; same status ⇒ keep lastTransitionTime. */
export function setDeploymentCondition(status: DeploymentStatus, condition: DeploymentCondition): void {
  const current = getCondition(status, condition.type);
  if (current && current.status === condition.status && current.reason === condition.reason) return;
  if (current?.lastTransitionTime && current.status === condition.status) condition.lastTransitionTime = current.lastTransitionTime;
  status.conditions = [...(status.conditions ?? []).filter((c) => c.type !== condition.type), condition];
}

export function removeDeploymentCondition(status: DeploymentStatus, type: string): void {
  status.conditions = (status.conditions ?? []).filter((c) => c.type !== type);
}

export const hasProgressDeadline = (d: Deployment): boolean => d.spec.progressDeadlineSeconds !== undefined && d.spec.progressDeadlineSeconds !== 2147483647;

/** DeploymentComplete: every replica updated and available, nothing old left, the spec observed. */
export function deploymentComplete(d: Deployment, s: DeploymentStatus): boolean {
  const r = replicasOf(d);
  return s.updatedReplicas === r && s.replicas === r && s.availableReplicas === r && (s.observedGeneration ?? 0) >= (d.metadata.generation ?? 0);
}

/** DeploymentProgressing: more updated, fewer old, or more ready/available replicas than the last status said. */
export function deploymentProgressing(d: Deployment, s: DeploymentStatus): boolean {
  const old = d.status ?? {};
  const oldOld = (old.replicas ?? 0) - (old.updatedReplicas ?? 0);
  const newOld = (s.replicas ?? 0) - (s.updatedReplicas ?? 0);
  return (s.updatedReplicas ?? 0) > (old.updatedReplicas ?? 0) || newOld < oldOld || (s.readyReplicas ?? 0) > (old.readyReplicas ?? 0) || (s.availableReplicas ?? 0) > (old.availableReplicas ?? 0);
}

/** DeploymentTimedOut: the Progressing condition has not been refreshed within progressDeadlineSeconds. */
export function deploymentTimedOut(d: Deployment, s: DeploymentStatus, now: number): boolean {
  if (!hasProgressDeadline(d)) return false;
  const c = getCondition(s, 'Progressing');
  if (!c || c.reason === Reasons.NewRSAvailable) return false;
  if (c.reason === Reasons.TimedOut) return true;
  const from = Date.parse(c.lastUpdateTime ?? '');
  return !Number.isNaN(from) && from + (d.spec.progressDeadlineSeconds ?? 600) * 1000 < now;
}

/** getReplicaSetFraction: this ReplicaSet's share of a scaling change, by its max-replicas annotation. */
export function replicaSetFraction(rs: ReplicaSet, d: Deployment): number {
  if (replicasOf(d) === 0) return -replicasOf(rs);
  const deploymentReplicas = replicasOf(d) + maxSurge(d);
  const annotated = Number(rs.metadata.annotations?.[MaxReplicasAnnotation] ?? NaN);
  const base = Number.isInteger(annotated) && annotated > 0 ? annotated : (d.status?.replicas ?? 0);
  if (base === 0) return 0;
  return Math.round((replicasOf(rs) * deploymentReplicas) / base) - replicasOf(rs);
}

/** GetProportion, bounded by what is still left to add (or remove). */
export function proportion(rs: ReplicaSet, d: Deployment, toAdd: number, added: number): number {
  if (replicasOf(rs) === 0 || toAdd === 0 || toAdd === added) return 0;
  const fraction = replicaSetFraction(rs, d);
  const allowed = toAdd - added;
  return toAdd > 0 ? Math.min(fraction, allowed) : Math.max(fraction, allowed);
}

/**
 * Proportional scaling (DeploymentController.scale for RollingUpdate with several active ReplicaSets): the change in
 * spec.replicas (+ surge) spread by each ReplicaSet's share, leftovers to the largest. Returns name → new size.
 */
export function proportionalSizes(d: Deployment, active: readonly ReplicaSet[]): Map<string, number> {
  const sizes = new Map<string, number>();
  const all = specReplicas(active);
  const allowed = replicasOf(d) > 0 ? replicasOf(d) + maxSurge(d) : 0;
  const toAdd = allowed - all;
  const sorted = [...active].sort((a, b) => {
    if (replicasOf(a) !== replicasOf(b)) return replicasOf(b) - replicasOf(a);
    // Growing favours newer ReplicaSets, shrinking older ones (ReplicaSetsBySizeNewer / BySizeOlder).
    return toAdd > 0 ? byCreation(b, a) : byCreation(a, b);
  });
  let added = 0;
  for (const rs of sorted) {
    const p = toAdd === 0 ? 0 : proportion(rs, d, toAdd, added);
    sizes.set(rs.metadata.name ?? '', replicasOf(rs) + p);
    added += p;
  }
  const first = sorted[0];
  if (first && toAdd !== 0) {
    const name = first.metadata.name ?? '';
    sizes.set(name, Math.max(0, (sizes.get(name) ?? 0) + (toAdd - added)));
  }
  return sizes;
}
