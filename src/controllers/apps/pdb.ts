// The policy/v1 PodDisruptionBudget status controller for embedded mode (kube-controller-manager's disruption
// controller, re-derived): expectedPods, desiredHealthy, currentHealthy, disruptionsAllowed and DisruptionAllowed.
import { FloeError } from '../../api/errors.js';
import type { KubeObject } from '../../api/meta.js';
import { PodRef, type Pod } from '../../api/core-v1.js';
import { controllerOf, realClock, requestKey, setCondition, type Clock, type Condition, type Manager, type ReconcileContext, type ReconcileResult, type Reconciler, type Request } from '../../controller/index.js';
import { selectorString, type LabelSelectorSpec } from './controller-revision.js';

export const PodDisruptionBudgetRef = { apiVersion: 'policy/v1', kind: 'PodDisruptionBudget' } as const;

export interface PodDisruptionBudget extends KubeObject {
  spec?: { minAvailable?: number | string; maxUnavailable?: number | string; selector?: LabelSelectorSpec | null; unhealthyPodEvictionPolicy?: string };
  status?: {
    observedGeneration?: number;
    disruptedPods?: Record<string, string>;
    disruptionsAllowed?: number;
    currentHealthy?: number;
    desiredHealthy?: number;
    expectedPods?: number;
    conditions?: Condition[];
  };
}

interface Scaled extends KubeObject {
  spec?: { replicas?: number };
}

const ready = (p: Pod): boolean => p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;

/** The pieces of a budget's arithmetic, pure for tests: pods counted, and the controllers' scale where one is needed. */
export function budget(spec: NonNullable<PodDisruptionBudget['spec']>, pods: number, controllersScale: number | undefined, healthy: number): { expected: number; desired: number; allowed: number } | undefined {
  let expected: number;
  let desired: number;
  const pct = (v: string): number | undefined => {
    const m = /^(\d+)%$/.exec(v);
    return m ? Number(m[1]) : undefined;
  };
  if (spec.maxUnavailable !== undefined && spec.maxUnavailable !== null) {
    if (controllersScale === undefined) return undefined;
    expected = controllersScale;
    const p = typeof spec.maxUnavailable === 'string' ? pct(spec.maxUnavailable) : undefined;
    const maxUnavailable = typeof spec.maxUnavailable === 'number' ? spec.maxUnavailable : p !== undefined ? Math.ceil((p * expected) / 100) : Number(spec.maxUnavailable);
    desired = Math.max(0, expected - maxUnavailable);
  } else if (typeof spec.minAvailable === 'string' && pct(spec.minAvailable) !== undefined) {
    if (controllersScale === undefined) return undefined;
    expected = controllersScale;
    desired = Math.ceil(((pct(spec.minAvailable) ?? 0) * expected) / 100);
  } else {
    expected = pods;
    desired = Number(spec.minAvailable ?? 0);
  }
  const allowed = expected <= 0 || healthy - desired <= 0 ? 0 : healthy - desired;
  return { expected, desired, allowed };
}

export class DisruptionReconciler implements Reconciler {
  private readonly clock: Clock;
  /** Budgets seen, per namespace, so a Pod change can requeue its namespace's budgets. */
  readonly known = new Map<string, Map<string, Request>>();

  constructor(options: { clock?: Clock } = {}) {
    this.clock = options.clock ?? realClock();
  }

  async reconcile(ctx: ReconcileContext, request: Request): Promise<ReconcileResult | void> {
    let pdb: PodDisruptionBudget;
    const inNamespace = this.known.get(request.namespace) ?? new Map<string, Request>();
    try {
      pdb = await ctx.client.get<PodDisruptionBudget>(PodDisruptionBudgetRef, request.name, request.namespace);
    } catch (err) {
      if (err instanceof FloeError && err.reason === 'NotFound') {
        inNamespace.delete(requestKey(request));
        return;
      }
      throw err;
    }
    inNamespace.set(requestKey(request), request);
    this.known.set(request.namespace, inNamespace);
    if (pdb.metadata.deletionTimestamp) return;
    const spec = pdb.spec ?? {};
    const namespace = pdb.metadata.namespace ?? '';
    // An absent or empty selector selects nothing in policy/v1.
    const selector = spec.selector ? selectorString(spec.selector) : '';
    const pods = selector ? (await ctx.client.list<Pod>(PodRef, { namespace, labelSelector: selector })).items.filter((p) => !p.metadata.deletionTimestamp) : [];
    const healthy = pods.filter(ready).length;
    let scale: number | undefined;
    let failure: string | undefined;
    const needsScale = spec.maxUnavailable !== undefined || (typeof spec.minAvailable === 'string' && spec.minAvailable.endsWith('%'));
    if (needsScale) {
      scale = 0;
      const seen = new Set<string>();
      for (const pod of pods) {
        const found = await this.controllerScale(ctx, pod);
        if (!found) {
          failure = `found no controllers for pod "${pod.metadata.name ?? ''}"`;
          break;
        }
        if (seen.has(found.uid)) continue;
        seen.add(found.uid);
        scale += found.replicas;
      }
    }
    const status: NonNullable<PodDisruptionBudget['status']> = structuredClone(pdb.status ?? {});
    const conditions = (status.conditions ??= []);
    const now = this.clock.now();
    const result = failure === undefined ? budget(spec, pods.length, scale, healthy) : undefined;
    status.observedGeneration = pdb.metadata.generation ?? 1;
    status.currentHealthy = healthy;
    if (!result) {
      ctx.recorder.event(pdb, 'Warning', 'NoControllers', failure ?? 'found no controllers');
      status.disruptionsAllowed = 0;
      setCondition(conditions, { type: 'DisruptionAllowed', status: 'False', reason: 'SyncFailed', message: failure ?? '', observedGeneration: status.observedGeneration }, now);
    } else {
      status.desiredHealthy = result.desired;
      status.expectedPods = result.expected;
      status.disruptionsAllowed = result.allowed;
      setCondition(
        conditions,
        result.allowed > 0
          ? { type: 'DisruptionAllowed', status: 'True', reason: 'SufficientPods', message: '', observedGeneration: status.observedGeneration }
          : { type: 'DisruptionAllowed', status: 'False', reason: 'InsufficientPods', message: '', observedGeneration: status.observedGeneration },
        now,
      );
    }
    status.desiredHealthy ??= 0;
    status.expectedPods ??= 0;
    if (JSON.stringify(status) !== JSON.stringify(pdb.status ?? {})) {
      await ctx.client.updateStatus<PodDisruptionBudget>({ ...pdb, status });
    }
  }

  /** The replicas of the workload that controls a Pod (ReplicaSet → its Deployment, StatefulSet, ReplicationController). */
  private async controllerScale(ctx: ReconcileContext, pod: Pod): Promise<{ uid: string; replicas: number } | undefined> {
    const ref = controllerOf(pod);
    if (!ref) return undefined;
    const namespace = pod.metadata.namespace ?? '';
    const get = async (apiVersion: string, kind: string, name: string): Promise<Scaled | undefined> => {
      try {
        return await ctx.client.get<Scaled>({ apiVersion, kind }, name, namespace);
      } catch (err) {
        if (err instanceof FloeError && err.reason === 'NotFound') return undefined;
        throw err;
      }
    };
    const group = ref.apiVersion.split('/')[0];
    if (ref.kind === 'ReplicaSet' && group === 'apps') {
      const rs = await get('apps/v1', 'ReplicaSet', ref.name);
      if (!rs || rs.metadata.uid !== ref.uid) return undefined;
      const owner = controllerOf(rs);
      if (owner?.kind === 'Deployment') {
        const d = await get('apps/v1', 'Deployment', owner.name);
        if (d && d.metadata.uid === owner.uid) return { uid: owner.uid, replicas: d.spec?.replicas ?? 1 };
      }
      return { uid: ref.uid, replicas: rs.spec?.replicas ?? 1 };
    }
    if ((ref.kind === 'StatefulSet' && group === 'apps') || (ref.kind === 'ReplicationController' && ref.apiVersion === 'v1')) {
      const owner = await get(ref.kind === 'StatefulSet' ? 'apps/v1' : 'v1', ref.kind, ref.name);
      if (!owner || owner.metadata.uid !== ref.uid) return undefined;
      return { uid: ref.uid, replicas: owner.spec?.replicas ?? 1 };
    }
    return undefined;
  }
}

/** The `disruption-controller`: budgets primary; any Pod change requeues the budgets of its namespace. */
export function addDisruptionController(manager: Manager, options: { clock?: Clock } = {}): void {
  const reconciler = new DisruptionReconciler(options);
  manager
    .controller('disruption-controller')
    .for(PodDisruptionBudgetRef)
    .watches<Pod>(PodRef, (pod) => [...(reconciler.known.get(pod.metadata.namespace ?? '')?.values() ?? [])])
    .complete(reconciler);
}
