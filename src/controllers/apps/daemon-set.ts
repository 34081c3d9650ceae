// The apps/v1 DaemonSet controller for embedded mode: one Pod per eligible Node (nodeSelector, required node affinity,
// taints against the template's tolerations plus the DaemonSet defaults), RollingUpdate with maxUnavailable/maxSurge or
// OnDelete, ControllerRevisions and status, re-derived from k8s.io/kubernetes pkg/controller/daemon.
import { FloeError } from '../../api/errors.js';
import type { KubeObject } from '../../api/meta.js';
import { selectsNode, tolerates } from '../../api/node-selection.js';
import { NodeRef, PodRef, type Node, type NodeSelectorRequirement, type NodeSelectorTerm, type Pod, type PodSpec, type Toleration } from '../../api/core-v1.js';
import { controllerReference, isControlledBy, realClock, requestKey, type Clock, type Manager, type ReconcileContext, type ReconcileResult, type Reconciler, type Request } from '../../controller/index.js';
import {
  ControllerRevisionRef,
  PodRevisionLabel,
  RevisionHashLabel,
  deleteIgnoringNotFound,
  ensureRevision,
  isAvailable,
  isRunningAndReady,
  pruneRevisions,
  selectorString,
  untilAvailable,
  type LabelSelectorSpec,
  type PodTemplate,
} from './controller-revision.js';

export const DaemonSetRef = { apiVersion: 'apps/v1', kind: 'DaemonSet' } as const;

export interface DaemonSet extends KubeObject {
  spec: {
    selector?: LabelSelectorSpec;
    template: PodTemplate;
    updateStrategy?: { type?: 'RollingUpdate' | 'OnDelete'; rollingUpdate?: { maxUnavailable?: number | string; maxSurge?: number | string } };
    minReadySeconds?: number;
    revisionHistoryLimit?: number;
  };
  status?: {
    currentNumberScheduled?: number;
    numberMisscheduled?: number;
    desiredNumberScheduled?: number;
    numberReady?: number;
    observedGeneration?: number;
    updatedNumberScheduled?: number;
    numberAvailable?: number;
    numberUnavailable?: number;
    collisionCount?: number;
    conditions?: unknown[];
  };
}

/** The tolerations every daemon Pod gets (AddOrUpdateDaemonPodTolerations). */
export function daemonTolerations(spec: PodSpec & { hostNetwork?: boolean }): Toleration[] {
  const add: Toleration[] = [
    { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute' },
    { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute' },
    { key: 'node.kubernetes.io/disk-pressure', operator: 'Exists', effect: 'NoSchedule' },
    { key: 'node.kubernetes.io/memory-pressure', operator: 'Exists', effect: 'NoSchedule' },
    { key: 'node.kubernetes.io/pid-pressure', operator: 'Exists', effect: 'NoSchedule' },
    { key: 'node.kubernetes.io/unschedulable', operator: 'Exists', effect: 'NoSchedule' },
  ];
  if (spec.hostNetwork) add.push({ key: 'node.kubernetes.io/network-unavailable', operator: 'Exists', effect: 'NoSchedule' });
  const out = [...(spec.tolerations ?? [])];
  for (const t of add) if (!out.some((o) => o.key === t.key && o.effect === t.effect && (o.operator ?? 'Equal') === t.operator)) out.push(t);
  return out;
}

function matchesNode(spec: PodSpec, node: Node): boolean {
  if (spec.nodeName && spec.nodeName !== node.metadata.name) return false;
  return selectsNode(spec, node);
}

/** nodeShouldRunDaemonPod: whether a new daemon Pod belongs on the node, and whether an existing one may stay. */
export function shouldRunOn(template: PodTemplate, node: Node): { shouldRun: boolean; shouldContinueRunning: boolean } {
  if (!matchesNode(template.spec, node)) return { shouldRun: false, shouldContinueRunning: false };
  const tolerations = daemonTolerations(template.spec);
  const untolerated = (node.spec?.taints ?? []).filter((t) => t.effect !== 'PreferNoSchedule' && !tolerations.some((tol) => tolerates(tol, t)));
  if (untolerated.some((t) => t.effect === 'NoExecute')) return { shouldRun: false, shouldContinueRunning: false };
  if (untolerated.length > 0) return { shouldRun: false, shouldContinueRunning: true };
  return { shouldRun: true, shouldContinueRunning: true };
}

/** ReplaceDaemonSetPodNodeNameNodeAffinity: every required term gets `metadata.name In [node]` as its only field match. */
export function pinToNode(spec: PodSpec, node: string): void {
  const pin: NodeSelectorRequirement = { key: 'metadata.name', operator: 'In', values: [node] };
  const terms: NodeSelectorTerm[] = spec.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms ?? [];
  const next = terms.length === 0 ? [{ matchFields: [pin] }] : terms.map((t) => ({ ...t, matchFields: [pin] }));
  spec.affinity = { ...(spec.affinity ?? {}), nodeAffinity: { ...(spec.affinity?.nodeAffinity ?? {}), requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: next } } };
}

/** The node a daemon Pod is for: where it is bound, else the node its pinning affinity names. */
export function nodeOfPod(pod: Pod): string | undefined {
  if (pod.spec.nodeName) return pod.spec.nodeName;
  for (const term of pod.spec.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms ?? []) {
    const f = term.matchFields?.find((m) => m.key === 'metadata.name' && m.operator === 'In' && m.values?.length === 1);
    if (f) return f.values?.[0];
  }
  return undefined;
}

/** An int-or-percent against a total, rounding up (intstr.GetScaledValueFromIntOrPercent(…, true)). */
export function scaled(value: number | string | undefined, total: number, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value === 'number') return value;
  const m = /^(\d+)%$/.exec(value);
  if (m) return Math.ceil((Number(m[1]) * total) / 100);
  return Number.isInteger(Number(value)) ? Number(value) : fallback;
}

const failed = (p: Pod): boolean => p.status?.phase === 'Failed';
const terminating = (p: Pod): boolean => Boolean(p.metadata.deletionTimestamp);
const byAge = (a: Pod, b: Pod): number => (a.metadata.creationTimestamp ?? '').localeCompare(b.metadata.creationTimestamp ?? '') || (a.metadata.name ?? '').localeCompare(b.metadata.name ?? '');

export class DaemonSetReconciler implements Reconciler {
  private readonly clock: Clock;
  /** DaemonSets seen, so a Node change can requeue them all. */
  readonly known = new Map<string, Request>();

  constructor(options: { clock?: Clock } = {}) {
    this.clock = options.clock ?? realClock();
  }

  async reconcile(ctx: ReconcileContext, request: Request): Promise<ReconcileResult | void> {
    let ds: DaemonSet;
    try {
      ds = await ctx.client.get<DaemonSet>(DaemonSetRef, request.name, request.namespace);
    } catch (err) {
      if (err instanceof FloeError && err.reason === 'NotFound') {
        this.known.delete(requestKey(request));
        return;
      }
      throw err;
    }
    this.known.set(requestKey(request), request);
    if (ds.metadata.deletionTimestamp) return;
    const now = this.clock.now();
    const namespace = ds.metadata.namespace ?? '';
    const { all: revisions, update, collisionCount } = await ensureRevision(ctx.client, ds, ds.status?.collisionCount ?? 0);
    const hash = update.metadata.labels?.[RevisionHashLabel] ?? '';
    const nodes = (await ctx.client.list<Node>(NodeRef)).items;
    const listPods = async (): Promise<Pod[]> => (await ctx.client.list<Pod>(PodRef, { namespace, labelSelector: selectorString(ds.spec.selector) })).items.filter((p) => isControlledBy(p, ds));
    const minReady = ds.spec.minReadySeconds ?? 0;
    const byNode = (pods: Pod[]): Map<string, Pod[]> => {
      const out = new Map<string, Pod[]>();
      for (const p of pods) {
        const n = nodeOfPod(p);
        if (n === undefined) continue;
        out.set(n, [...(out.get(n) ?? []), p].sort(byAge));
      }
      return out;
    };

    // manage(): create on eligible nodes without a Pod, delete extras, failed ones, and Pods on nodes they must leave.
    let pods = await listPods();
    let podsByNode = byNode(pods);
    const toCreate: string[] = [];
    const toDelete: Pod[] = [];
    const surge = (ds.spec.updateStrategy?.type ?? 'RollingUpdate') === 'RollingUpdate' ? scaled(ds.spec.updateStrategy?.rollingUpdate?.maxSurge, nodes.length, 0) : 0;
    for (const node of nodes) {
      const name = node.metadata.name ?? '';
      const { shouldRun, shouldContinueRunning } = shouldRunOn(ds.spec.template, node);
      const here = (podsByNode.get(name) ?? []).filter((p) => !terminating(p));
      if (shouldRun && here.length === 0) {
        toCreate.push(name);
        continue;
      }
      if (!shouldContinueRunning) {
        toDelete.push(...here);
        continue;
      }
      const live: Pod[] = [];
      for (const p of here) {
        if (failed(p)) {
          ctx.recorder.event(ds, 'Warning', 'FailedDaemonPod', `Found failed daemon pod ${namespace}/${p.metadata.name ?? ''} on node ${name}, will try to kill it`);
          toDelete.push(p);
        } else live.push(p);
      }
      if (shouldRun && live.length === 0 && here.length > 0) toCreate.push(name);
      // One daemon Pod per node; with surge an old and a new one may overlap, else the oldest stays.
      const keep = surge > 0 ? [live.find((p) => p.metadata.labels?.[PodRevisionLabel] === hash) ?? live[0], live.find((p) => p.metadata.labels?.[PodRevisionLabel] !== hash)] : [live[0]];
      for (const p of live) if (!keep.includes(p)) toDelete.push(p);
    }
    for (const node of toCreate) await this.createPod(ctx, ds, node, hash);
    for (const p of toDelete) await this.deletePod(ctx, ds, p);

    if ((ds.spec.updateStrategy?.type ?? 'RollingUpdate') === 'RollingUpdate' && toCreate.length === 0 && toDelete.length === 0) {
      pods = await listPods();
      podsByNode = byNode(pods);
      await this.rollingUpdate(ctx, ds, nodes, podsByNode, hash, now);
    }

    pods = await listPods();
    podsByNode = byNode(pods);
    let requeueMs: number | undefined;
    const status = { desired: 0, current: 0, misscheduled: 0, ready: 0, available: 0, updated: 0 };
    for (const node of nodes) {
      const { shouldRun } = shouldRunOn(ds.spec.template, node);
      const here = (podsByNode.get(node.metadata.name ?? '') ?? []).filter((p) => !terminating(p));
      if (shouldRun) {
        status.desired++;
        const pod = here[0];
        if (!pod) continue;
        status.current++;
        if (isRunningAndReady(pod)) status.ready++;
        if (isAvailable(pod, minReady, now)) status.available++;
        const wait = untilAvailable(pod, minReady, now);
        if (wait !== undefined) requeueMs = Math.min(requeueMs ?? wait, wait);
        if (here.some((p) => p.metadata.labels?.[PodRevisionLabel] === hash)) status.updated++;
      } else if (here.length > 0) status.misscheduled++;
    }
    const next: NonNullable<DaemonSet['status']> = {
      ...(ds.status ?? {}),
      currentNumberScheduled: status.current,
      numberMisscheduled: status.misscheduled,
      desiredNumberScheduled: status.desired,
      numberReady: status.ready,
      observedGeneration: ds.metadata.generation ?? 1,
      updatedNumberScheduled: status.updated,
      numberAvailable: status.available,
      collisionCount,
    };
    if (status.desired - status.available > 0) next.numberUnavailable = status.desired - status.available;
    else delete next.numberUnavailable;
    if (JSON.stringify(next) !== JSON.stringify(ds.status ?? {})) {
      try {
        await ctx.client.updateStatus<DaemonSet>({ ...ds, status: next });
      } catch (err) {
        if (!(err instanceof FloeError && (err.reason === 'Conflict' || err.reason === 'NotFound'))) throw err;
        return { requeueAfterMs: 0 };
      }
    }
    const live = new Set([update.metadata.name ?? '', ...revisions.filter((r) => pods.some((p) => p.metadata.labels?.[PodRevisionLabel] === r.metadata.labels?.[RevisionHashLabel])).map((r) => r.metadata.name ?? '')]);
    await pruneRevisions(ctx.client, revisions, live, ds.spec.revisionHistoryLimit ?? 10);
    if (requeueMs !== undefined) return { requeueAfterMs: requeueMs };
  }

  /**
   * rollingUpdate(): old Pods that are not available go at once; available ones go while fewer than maxUnavailable
   * nodes lack an available Pod. With maxSurge, a new Pod starts beside the old one, which goes once the new is available.
   */
  private async rollingUpdate(ctx: ReconcileContext, ds: DaemonSet, nodes: Node[], podsByNode: Map<string, Pod[]>, hash: string, now: number): Promise<void> {
    const minReady = ds.spec.minReadySeconds ?? 0;
    const eligible = nodes.filter((n) => shouldRunOn(ds.spec.template, n).shouldRun);
    const desired = eligible.length;
    let maxSurge = scaled(ds.spec.updateStrategy?.rollingUpdate?.maxSurge, desired, 0);
    let maxUnavailable = scaled(ds.spec.updateStrategy?.rollingUpdate?.maxUnavailable, desired, 1);
    if (maxSurge === 0 && maxUnavailable === 0) maxUnavailable = 1;
    const isNew = (p: Pod): boolean => p.metadata.labels?.[PodRevisionLabel] === hash;
    if (maxSurge === 0) {
      let unavailable = 0;
      const candidates: Pod[] = [];
      for (const node of eligible) {
        const here = (podsByNode.get(node.metadata.name ?? '') ?? []).filter((p) => !terminating(p));
        const pod = here[0];
        if (!pod) {
          unavailable++;
          continue;
        }
        const available = isAvailable(pod, minReady, now);
        if (!available) unavailable++;
        if (isNew(pod)) continue;
        if (!available) await this.deletePod(ctx, ds, pod);
        else candidates.push(pod);
      }
      for (const pod of candidates.slice(0, Math.max(0, maxUnavailable - unavailable))) await this.deletePod(ctx, ds, pod);
      return;
    }
    // Surge: start new Pods beside old ones (at most maxSurge at a time), retire old Pods whose new one is available.
    for (const node of eligible) {
      const name = node.metadata.name ?? '';
      const here = (podsByNode.get(name) ?? []).filter((p) => !terminating(p));
      const fresh = here.find(isNew);
      const old = here.filter((p) => !isNew(p));
      if (old.length === 0) continue;
      if (fresh && isAvailable(fresh, minReady, now)) {
        for (const p of old) await this.deletePod(ctx, ds, p);
      } else if (!fresh) {
        if (!old.some((p) => isAvailable(p, minReady, now))) {
          for (const p of old) await this.deletePod(ctx, ds, p);
        } else if (maxSurge > 0) {
          maxSurge--;
          await this.createPod(ctx, ds, name, hash);
        }
      } else maxSurge--;
    }
  }

  private async createPod(ctx: ReconcileContext, ds: DaemonSet, node: string, hash: string): Promise<void> {
    const template = structuredClone(ds.spec.template);
    const spec = template.spec;
    pinToNode(spec, node);
    spec.tolerations = daemonTolerations(spec);
    const pod: Pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        ...(template.metadata ?? {}),
        generateName: `${ds.metadata.name ?? ''}-`,
        namespace: ds.metadata.namespace ?? '',
        labels: { ...(template.metadata?.labels ?? {}), [PodRevisionLabel]: hash },
        ownerReferences: [controllerReference(ds)],
      },
      spec,
    };
    try {
      const created = await ctx.client.create(pod);
      ctx.recorder.event(ds, 'Normal', 'SuccessfulCreate', `Created pod: ${created.metadata.name ?? ''}`);
    } catch (err) {
      ctx.recorder.event(ds, 'Warning', 'FailedCreate', `Error creating: ${(err as Error).message}`);
      throw err;
    }
  }

  private async deletePod(ctx: ReconcileContext, ds: DaemonSet, pod: Pod): Promise<void> {
    await deleteIgnoringNotFound(ctx.client, PodRef, pod.metadata.name ?? '', pod.metadata.namespace);
    ctx.recorder.event(ds, 'Normal', 'SuccessfulDelete', `Deleted pod: ${pod.metadata.name ?? ''}`);
  }
}

/** Node adds, deletes and label/taint changes; not the kubelet's heartbeats. */
const nodeShapeChanged = (event: { type: string; object: Node; oldObject?: Node }): boolean =>
  event.type !== 'update' || JSON.stringify([event.object.metadata.labels, event.object.spec]) !== JSON.stringify([event.oldObject?.metadata.labels, event.oldObject?.spec]);

/** The `daemonset-controller`: DaemonSets primary; their Pods and revisions owned; every Node change requeues them all. */
export function addDaemonSetController(manager: Manager, options: { clock?: Clock } = {}): void {
  const reconciler = new DaemonSetReconciler(options);
  manager
    .controller('daemonset-controller')
    .for(DaemonSetRef)
    .owns(PodRef)
    .owns(ControllerRevisionRef)
    .watches<Node>(NodeRef, () => [...reconciler.known.values()], { namespace: '', predicates: [nodeShapeChanged] })
    .withConcurrency(2)
    .complete(reconciler);
}
