// The ReplicaSet (and ReplicationController) controller for embedded mode: Pods created and deleted to match
// spec.replicas, adopted and released by selector, status counted as kube-controller-manager's replicaset controller does.
import { FloeError } from '../../api/errors.js';
import { PodRef, type Pod, type PodSpec } from '../../api/core-v1.js';
import type { KubeObject, ObjectMeta } from '../../api/meta.js';
import { formatLabelSelector, matchesLabels, selectorFromLabelSelectorObject, type LabelSelector, type LabelSelectorObject } from '../../api/selectors/index.js';
import type { Client, KindRef } from '../../client/client.js';
import { controllerOf, controllerReference, generationChanged, kubeTime, realClock, type Clock, type Manager, type ReconcileContext, type ReconcileResult, type Reconciler, type Request } from '../../controller/index.js';

export const ReplicaSetRef = { apiVersion: 'apps/v1', kind: 'ReplicaSet' } as const;
export const ReplicationControllerRef = { apiVersion: 'v1', kind: 'ReplicationController' } as const;

/** Upstream's cap on Pods created or deleted in one sync (`burstReplicas`). */
export const BurstReplicas = 500;
export const PodDeletionCostAnnotation = 'controller.kubernetes.io/pod-deletion-cost';

export interface PodTemplate {
  metadata?: ObjectMeta;
  spec: PodSpec;
}

/** A ReplicaSet condition (apps/v1 ReplicaSetCondition): only `ReplicaFailure` is written. */
export interface ReplicaSetCondition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  lastTransitionTime?: string;
  reason?: string;
  message?: string;
}

export interface ReplicaSetStatus {
  replicas?: number;
  fullyLabeledReplicas?: number;
  readyReplicas?: number;
  availableReplicas?: number;
  observedGeneration?: number;
  conditions?: ReplicaSetCondition[];
}

export interface ReplicaSet extends KubeObject {
  spec: { replicas?: number; minReadySeconds?: number; selector: LabelSelectorObject; template: PodTemplate };
  status?: ReplicaSetStatus;
}

/** core/v1 ReplicationController: the same controller with a map selector. */
export interface ReplicationController extends KubeObject {
  spec: { replicas?: number; minReadySeconds?: number; selector?: Record<string, string>; template?: PodTemplate };
  status?: ReplicaSetStatus;
}

type Workload = ReplicaSet | ReplicationController;

export function selectorOf(rs: Workload): LabelSelector {
  if (rs.kind === 'ReplicationController') {
    const sel = (rs as ReplicationController).spec.selector ?? (rs as ReplicationController).spec.template?.metadata?.labels ?? {};
    return selectorFromLabelSelectorObject({ matchLabels: sel });
  }
  return selectorFromLabelSelectorObject((rs as ReplicaSet).spec.selector);
}

export const isPodActive = (p: Pod): boolean => p.status?.phase !== 'Succeeded' && p.status?.phase !== 'Failed' && !p.metadata.deletionTimestamp;

export function podReadyCondition(p: Pod): { status: string; lastTransitionTime?: string } | undefined {
  return p.status?.conditions?.find((c) => c.type === 'Ready');
}
export const isPodReady = (p: Pod): boolean => podReadyCondition(p)?.status === 'True';

/** Ready for at least minReadySeconds (podutil.IsPodAvailable). */
export function isPodAvailable(p: Pod, minReadySeconds: number, now: number): boolean {
  const ready = podReadyCondition(p);
  if (ready?.status !== 'True') return false;
  if (minReadySeconds <= 0) return true;
  const since = ready.lastTransitionTime ? Date.parse(ready.lastTransitionTime) : NaN;
  return !Number.isNaN(since) && since + minReadySeconds * 1000 <= now;
}

const phaseRank = (p: Pod): number => ({ Pending: 0, Unknown: 1, Running: 2 } as Record<string, number>)[p.status?.phase ?? 'Pending'] ?? 0;
const restarts = (p: Pod): number => (p.status?.containerStatuses ?? []).reduce((n, s) => Math.max(n, s.restartCount ?? 0), 0);
const deletionCost = (p: Pod): number => {
  const v = Number(p.metadata.annotations?.[PodDeletionCostAnnotation] ?? 0);
  return Number.isFinite(v) ? v : 0;
};
const time = (t: string | undefined): number => (t ? Date.parse(t) : 0);

/**
 * Pods in the order kube deletes them (ActivePodsWithRanks): unassigned before assigned; Pending < Unknown < Running;
 * not-ready before ready; lower pod-deletion-cost first; more co-located replicas first; more recently ready first;
 * more restarts first; newer first.
 */
export function podsToDelete(pods: readonly Pod[], count: number, related: readonly Pod[] = pods): Pod[] {
  const perNode = new Map<string, number>();
  for (const p of related) if (p.spec.nodeName && isPodActive(p)) perNode.set(p.spec.nodeName, (perNode.get(p.spec.nodeName) ?? 0) + 1);
  const rank = (p: Pod): number => (p.spec.nodeName ? (perNode.get(p.spec.nodeName) ?? 0) : 0);
  const sorted = [...pods].sort((a, b) => {
    const assigned = Number(Boolean(a.spec.nodeName)) - Number(Boolean(b.spec.nodeName));
    if (assigned !== 0) return assigned;
    if (phaseRank(a) !== phaseRank(b)) return phaseRank(a) - phaseRank(b);
    if (isPodReady(a) !== isPodReady(b)) return Number(isPodReady(a)) - Number(isPodReady(b));
    if (deletionCost(a) !== deletionCost(b)) return deletionCost(a) - deletionCost(b);
    if (rank(a) !== rank(b)) return rank(b) - rank(a);
    if (isPodReady(a) && isPodReady(b)) {
      const ra = time(podReadyCondition(a)?.lastTransitionTime);
      const rb = time(podReadyCondition(b)?.lastTransitionTime);
      if (ra !== rb) return rb - ra;
    }
    if (restarts(a) !== restarts(b)) return restarts(b) - restarts(a);
    return time(b.metadata.creationTimestamp) - time(a.metadata.creationTimestamp);
  });
  return sorted.slice(0, count);
}

/** Status as upstream computes it (calculateStatus) over the controller's active Pods. */
export function replicaSetStatus(rs: Workload, active: readonly Pod[], now: number): ReplicaSetStatus {
  const templateLabels = rs.spec.template?.metadata?.labels ?? {};
  const minReady = rs.spec.minReadySeconds ?? 0;
  return {
    replicas: active.length,
    fullyLabeledReplicas: active.filter((p) => Object.entries(templateLabels).every(([k, v]) => p.metadata.labels?.[k] === v)).length,
    readyReplicas: active.filter(isPodReady).length,
    availableReplicas: active.filter((p) => isPodAvailable(p, minReady, now)).length,
  };
}

export function podFromTemplate(rs: Workload, template: PodTemplate): Pod {
  const meta = template.metadata ?? {};
  const metadata: ObjectMeta = { generateName: `${rs.metadata.name ?? ''}-`, namespace: rs.metadata.namespace ?? '', ownerReferences: [controllerReference(rs)] };
  if (meta.labels) metadata.labels = { ...meta.labels };
  if (meta.annotations) metadata.annotations = { ...meta.annotations };
  if (meta.finalizers) metadata.finalizers = [...meta.finalizers];
  return { apiVersion: 'v1', kind: 'Pod', metadata, spec: structuredClone(template.spec) };
}

const notFound = (err: unknown): boolean => err instanceof FloeError && err.reason === 'NotFound';

/**
 * Pods this controller owns after adoption and release (ClaimPods). Matching Pods are read through the Client (never
 * stale, so no expectations are needed); owned Pods whose labels stopped matching come from `ownedElsewhere` (the
 * shared Pod cache: a release may wait for it to catch up, which is harmless).
 */
export async function claimPods(client: Client, owner: KubeObject, selector: LabelSelector, ownedElsewhere: readonly Pod[] = []): Promise<Pod[]> {
  const matching = (await client.list<Pod>(PodRef, { namespace: owner.metadata.namespace ?? '', labelSelector: formatLabelSelector(selector) })).items;
  const claimed: Pod[] = [];
  const deleting = Boolean(owner.metadata.deletionTimestamp);
  const patchOwners = async (pod: Pod, ownerReferences: unknown[]): Promise<Pod | undefined> => {
    try {
      return await client.patch<Pod>(PodRef, pod.metadata.name ?? '', pod.metadata.namespace, { metadata: { ownerReferences, resourceVersion: pod.metadata.resourceVersion } }, 'application/merge-patch+json');
    } catch (err) {
      if (notFound(err) || (err instanceof FloeError && err.reason === 'Conflict')) return undefined;
      throw err;
    }
  };
  for (const pod of matching) {
    const ref = controllerOf(pod);
    if (ref?.uid === owner.metadata.uid) claimed.push(pod);
    else if (!ref && !deleting && !pod.metadata.deletionTimestamp && isPodActive(pod)) {
      // Adopt an orphan that matches the selector.
      const adopted = await patchOwners(pod, [...(pod.metadata.ownerReferences ?? []), controllerReference(owner)]);
      if (adopted) claimed.push(adopted);
    }
  }
  for (const pod of ownedElsewhere) {
    if (controllerOf(pod)?.uid !== owner.metadata.uid || matchesLabels(selector, pod.metadata.labels ?? {})) continue;
    if (deleting) claimed.push(pod);
    // Release: the Pod's labels no longer match; drop our reference.
    else if (!pod.metadata.deletionTimestamp) await patchOwners(pod, (pod.metadata.ownerReferences ?? []).filter((r) => r.uid !== owner.metadata.uid));
  }
  return claimed;
}

export class ReplicaSetReconciler implements Reconciler {
  private readonly clock: Clock;
  private readonly ref: KindRef;

  private readonly ownedPods: (rs: KubeObject) => readonly Pod[];

  /** `ownedPods`: the owner's Pods from a cache, to release those whose labels stopped matching. */
  constructor(options: { clock?: Clock; kind?: KindRef; ownedPods?: (rs: KubeObject) => readonly Pod[] } = {}) {
    this.clock = options.clock ?? realClock();
    this.ref = options.kind ?? ReplicaSetRef;
    this.ownedPods = options.ownedPods ?? (() => []);
  }

  async reconcile(ctx: ReconcileContext, request: Request): Promise<ReconcileResult | void> {
    let rs: Workload;
    try {
      rs = await ctx.client.get<Workload>(this.ref, request.name, request.namespace);
    } catch (err) {
      if (notFound(err)) return;
      throw err;
    }
    const template = rs.spec.template;
    if (!template) return;
    const selector = selectorOf(rs);
    const pods = await claimPods(ctx.client, rs, selector, this.ownedPods(rs));
    const active = pods.filter(isPodActive);
    let failure: { reason: string; message: string } | undefined;
    if (!rs.metadata.deletionTimestamp) failure = await this.manageReplicas(ctx, rs, template, active);

    const now = this.clock.now();
    const after = failure === undefined && active.length !== (rs.spec.replicas ?? 1) ? (await claimPods(ctx.client, rs, selector, this.ownedPods(rs))).filter(isPodActive) : active;
    const status: ReplicaSetStatus = { ...replicaSetStatus(rs, after, now), observedGeneration: rs.metadata.generation ?? 0 };
    const conditions = (rs.status?.conditions ?? []).filter((c) => c.type !== 'ReplicaFailure');
    const previous = rs.status?.conditions?.find((c) => c.type === 'ReplicaFailure');
    if (failure) {
      conditions.push(previous && previous.status === 'True' && previous.reason === failure.reason && previous.message === failure.message ? previous : { type: 'ReplicaFailure', status: 'True', lastTransitionTime: kubeTime(now), ...failure });
    }
    if (conditions.length > 0) status.conditions = conditions;
    if (JSON.stringify(status) !== JSON.stringify(rs.status ?? {})) {
      await ctx.client.updateStatus<Workload>({ ...rs, status });
    }
    if (failure) throw new Error(failure.message);
    // Ready but not yet available Pods become available after minReadySeconds: look again then (upstream's AddAfter).
    const minReady = rs.spec.minReadySeconds ?? 0;
    if (minReady > 0 && (status.readyReplicas ?? 0) > (status.availableReplicas ?? 0)) return { requeueAfterMs: minReady * 1000 };
  }

  /** Creates or deletes Pods toward spec.replicas; returns the ReplicaFailure reason when a write failed. */
  private async manageReplicas(ctx: ReconcileContext, rs: Workload, template: PodTemplate, active: Pod[]): Promise<{ reason: string; message: string } | undefined> {
    const want = rs.spec.replicas ?? 1;
    const diff = active.length - want;
    if (diff < 0) {
      let remaining = Math.min(-diff, BurstReplicas);
      // Slow start (1, 2, 4, …): a quota or admission refusal fails one Pod, not hundreds.
      for (let batch = 1; remaining > 0; batch *= 2) {
        const n = Math.min(batch, remaining);
        const results = await Promise.allSettled(Array.from({ length: n }, () => ctx.client.create(podFromTemplate(rs, template))));
        for (const r of results) if (r.status === 'fulfilled') ctx.recorder.event(rs, 'Normal', 'SuccessfulCreate', `Created pod: ${r.value.metadata.name ?? ''}`);
        const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
        if (failed) {
          const message = failed.reason instanceof Error ? failed.reason.message : String(failed.reason);
          ctx.recorder.event(rs, 'Warning', 'FailedCreate', `Error creating: ${message}`);
          return { reason: 'FailedCreate', message };
        }
        remaining -= n;
      }
    } else if (diff > 0) {
      const victims = podsToDelete(active, Math.min(diff, BurstReplicas));
      const results = await Promise.allSettled(victims.map((p) => ctx.client.delete(PodRef, p.metadata.name ?? '', p.metadata.namespace)));
      for (const [i, r] of results.entries()) {
        if (r.status === 'fulfilled') ctx.recorder.event(rs, 'Normal', 'SuccessfulDelete', `Deleted pod: ${victims[i]?.metadata.name ?? ''}`);
        else if (!notFound(r.reason)) {
          const message = r.reason instanceof Error ? r.reason.message : String(r.reason);
          ctx.recorder.event(rs, 'Warning', 'FailedDelete', `Error deleting: ${message}`);
          return { reason: 'FailedDelete', message };
        }
      }
    }
    return undefined;
  }
}

/** The `replicaset-controller` (and `replicationcontroller-controller`): embedded only, a cluster runs its own. */
export function addReplicaSetControllers(manager: Manager, options: { clock?: Clock; replicationControllers?: boolean } = {}): void {
  const pods = manager.informers.informerFor<Pod>(PodRef);
  if (!pods.hasIndexer('controller-uid')) {
    pods.addIndexer('controller-uid', (p) => {
      const uid = controllerOf(p)?.uid;
      return uid ? [uid] : [];
    });
  }
  const ownedPods = (rs: KubeObject): readonly Pod[] => pods.byIndex('controller-uid', rs.metadata.uid ?? '');
  const clock = options.clock ? { clock: options.clock } : {};
  manager.controller('replicaset-controller').for(ReplicaSetRef, { predicates: [generationChanged] }).owns(PodRef).withConcurrency(4).complete(new ReplicaSetReconciler({ ...clock, kind: ReplicaSetRef, ownedPods }));
  if (options.replicationControllers) {
    manager.controller('replicationcontroller-controller').for(ReplicationControllerRef, { predicates: [generationChanged] }).owns(PodRef).withConcurrency(2).complete(new ReplicaSetReconciler({ ...clock, kind: ReplicationControllerRef, ownedPods }));
  }
}
