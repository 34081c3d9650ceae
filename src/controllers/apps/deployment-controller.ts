// The Deployment controller for embedded mode, as kube-controller-manager's: ReplicaSets per pod template
// (`<name>-<pod-template-hash>`), RollingUpdate and Recreate, revisions, proportional scaling, pause, history cleanup,
// Progressing/Available conditions and the progress deadline.
import { FloeError } from '../../api/errors.js';
import { PodRef, type Pod } from '../../api/core-v1.js';
import { matchesLabels, selectorFromLabelSelectorObject } from '../../api/selectors/index.js';
import { controllerOf, controllerReference, realClock, type Clock, type Manager, type ReconcileContext, type ReconcileResult, type Reconciler, type Request } from '../../controller/index.js';
import {
  byCreation,
  calculateStatus,
  DeploymentRef,
  deploymentComplete,
  deploymentProgressing,
  deploymentTimedOut,
  equalIgnoreHash,
  getCondition,
  hasProgressDeadline,
  isRollingUpdate,
  maxRevision,
  maxSurge,
  maxUnavailable,
  newCondition,
  newRSNewReplicas,
  PodTemplateHashLabel,
  proportionalSizes,
  Reasons,
  removeDeploymentCondition,
  replicasAnnotationsNeedUpdate,
  replicasOf,
  RevisionAnnotation,
  revisionOf,
  setDeploymentCondition,
  setNewReplicaSetAnnotations,
  setReplicasAnnotations,
  splitReplicaSets,
  totalSpecReplicas,
  type Deployment,
  type DeploymentStatus,
} from './deployment-util.js';
import { computeHash } from './hash.js';
import { ReplicaSetRef, type ReplicaSet } from './replica-set-controller.js';

const notFound = (err: unknown): boolean => err instanceof FloeError && err.reason === 'NotFound';

/** One sync's view: the Deployment (kept current as we write it) and its ReplicaSets. */
interface Sync {
  ctx: ReconcileContext;
  d: Deployment;
  newRS: ReplicaSet | undefined;
  oldRSs: ReplicaSet[];
}

export class DeploymentReconciler implements Reconciler {
  private readonly clock: Clock;

  constructor(options: { clock?: Clock } = {}) {
    this.clock = options.clock ?? realClock();
  }

  async reconcile(ctx: ReconcileContext, request: Request): Promise<ReconcileResult | void> {
    let d: Deployment;
    try {
      d = await ctx.client.get<Deployment>(DeploymentRef, request.name, request.namespace);
    } catch (err) {
      if (notFound(err)) return;
      throw err;
    }
    if (d.metadata.deletionTimestamp) return;
    const selector = selectorFromLabelSelectorObject(d.spec.selector);
    if (selector.requirements.length === 0) {
      ctx.recorder.event(d, 'Warning', 'SelectingAll', 'This deployment is selecting all pods. A non-empty selector is required.');
      return;
    }
    let rss = await this.claimReplicaSets(ctx, d);
    d = await this.checkPausedConditions(ctx, d);
    if (d.spec.paused) return this.sync(ctx, d, rss);
    // The scaling check syncs revisions already: carry its fresh objects on, so later writes are not conflicts.
    const checked = await this.getAllReplicaSetsAndSyncRevision(ctx, d, rss, false);
    d = checked.d;
    rss = this.all(checked);
    if (this.isScalingEvent(checked)) return this.sync(ctx, d, rss);
    return isRollingUpdate(d) ? this.rolloutRolling(ctx, d, rss) : this.rolloutRecreate(ctx, d, rss);
  }

  /** ReplicaSets of the namespace this Deployment controls after adoption and release by selector (ClaimReplicaSets). */
  private async claimReplicaSets(ctx: ReconcileContext, d: Deployment): Promise<ReplicaSet[]> {
    const selector = selectorFromLabelSelectorObject(d.spec.selector);
    const all = (await ctx.client.list<ReplicaSet>(ReplicaSetRef, { namespace: d.metadata.namespace ?? '' })).items;
    const mine: ReplicaSet[] = [];
    for (const rs of all) {
      const ref = controllerOf(rs);
      const matches = matchesLabels(selector, rs.metadata.labels ?? {});
      if (ref?.uid === d.metadata.uid) {
        if (matches) mine.push(rs);
        else await this.patchOwners(ctx, rs, (rs.metadata.ownerReferences ?? []).filter((r) => r.uid !== d.metadata.uid));
      } else if (!ref && matches && !rs.metadata.deletionTimestamp) {
        const adopted = await this.patchOwners(ctx, rs, [...(rs.metadata.ownerReferences ?? []), controllerReference(d)]);
        if (adopted) mine.push(adopted);
      }
    }
    return mine;
  }

  private async patchOwners(ctx: ReconcileContext, rs: ReplicaSet, ownerReferences: unknown[]): Promise<ReplicaSet | undefined> {
    try {
      return await ctx.client.patch<ReplicaSet>(ReplicaSetRef, rs.metadata.name ?? '', rs.metadata.namespace, { metadata: { ownerReferences, resourceVersion: rs.metadata.resourceVersion } }, 'application/merge-patch+json');
    } catch (err) {
      if (notFound(err)) return undefined;
      throw err;
    }
  }

  /** Progressing Unknown DeploymentPaused / DeploymentResumed as spec.paused flips. */
  private async checkPausedConditions(ctx: ReconcileContext, d: Deployment): Promise<Deployment> {
    if (!hasProgressDeadline(d)) return d;
    const cond = getCondition(d.status, 'Progressing');
    const pausedCondExists = cond?.reason === Reasons.Paused;
    const status: DeploymentStatus = structuredClone(d.status ?? {});
    const now = this.clock.now();
    if (d.spec.paused && !pausedCondExists) setDeploymentCondition(status, newCondition('Progressing', 'Unknown', Reasons.Paused, 'Deployment is paused', now));
    else if (!d.spec.paused && pausedCondExists) setDeploymentCondition(status, newCondition('Progressing', 'Unknown', Reasons.Resumed, 'Deployment is resumed', now));
    else return d;
    return ctx.client.updateStatus<Deployment>({ ...d, status });
  }

  /** A scaling event: an active ReplicaSet's desired-replicas annotation differs from spec.replicas. */
  private isScalingEvent(s: Sync): boolean {
    const d = s.d;
    for (const rs of [...s.oldRSs, ...(s.newRS ? [s.newRS] : [])]) {
      if (replicasOf(rs) === 0) continue;
      const desired = rs.metadata.annotations?.['deployment.kubernetes.io/desired-replicas'];
      if (desired !== undefined && Number(desired) !== replicasOf(d)) return true;
    }
    return false;
  }

  /** Scaling or paused: resize (proportionally mid-rollout), clean up history when paused, write status. */
  private async sync(ctx: ReconcileContext, d: Deployment, rss: ReplicaSet[]): Promise<ReconcileResult | void> {
    const s = await this.getAllReplicaSetsAndSyncRevision(ctx, d, rss, false);
    await this.scale(s);
    if (s.d.spec.paused) await this.cleanup(s);
    const all = this.all(s);
    const status = calculateStatus(s.d, all, s.newRS, this.clock.now());
    await this.writeStatus(s, status);
  }

  private all(s: Sync): ReplicaSet[] {
    return [...s.oldRSs, ...(s.newRS ? [s.newRS] : [])];
  }

  private async rolloutRolling(ctx: ReconcileContext, d: Deployment, rss: ReplicaSet[]): Promise<ReconcileResult | void> {
    const s = await this.getAllReplicaSetsAndSyncRevision(ctx, d, rss, true);
    if (await this.reconcileNewReplicaSet(s)) return this.syncRolloutStatus(s);
    if (await this.reconcileOldReplicaSets(s)) return this.syncRolloutStatus(s);
    if (deploymentComplete(s.d, s.d.status ?? {})) await this.cleanup(s);
    return this.syncRolloutStatus(s);
  }

  private async rolloutRecreate(ctx: ReconcileContext, d: Deployment, rss: ReplicaSet[]): Promise<ReconcileResult | void> {
    const s = await this.getAllReplicaSetsAndSyncRevision(ctx, d, rss, false);
    let scaledDown = false;
    for (const rs of s.oldRSs) {
      if (replicasOf(rs) === 0) continue;
      await this.scaleReplicaSet(s, rs, 0);
      scaledDown = true;
    }
    if (scaledDown) return this.syncRolloutStatus(s);
    if (await this.oldPodsRunning(s)) return this.syncRolloutStatus(s);
    if (!s.newRS) {
      const created = await this.getAllReplicaSetsAndSyncRevision(ctx, s.d, this.all(s), true);
      s.d = created.d;
      s.newRS = created.newRS;
      s.oldRSs = created.oldRSs;
    }
    if (s.newRS && replicasOf(s.newRS) !== replicasOf(s.d)) {
      await this.scaleReplicaSet(s, s.newRS, replicasOf(s.d));
    }
    if (deploymentComplete(s.d, s.d.status ?? {})) await this.cleanup(s);
    return this.syncRolloutStatus(s);
  }

  /** Recreate waits until no Pod of an old ReplicaSet is left (Failed and Succeeded ones do not count). */
  private async oldPodsRunning(s: Sync): Promise<boolean> {
    if (s.oldRSs.some((rs) => (rs.status?.replicas ?? 0) > 0)) return true;
    const oldUids = new Set(s.oldRSs.map((rs) => rs.metadata.uid));
    const selector = selectorFromLabelSelectorObject(s.d.spec.selector);
    const pods = (await s.ctx.client.list<Pod>(PodRef, { namespace: s.d.metadata.namespace ?? '' })).items;
    return pods.some((p) => matchesLabels(selector, p.metadata.labels ?? {}) && oldUids.has(controllerOf(p)?.uid) && p.status?.phase !== 'Failed' && p.status?.phase !== 'Succeeded');
  }

  /**
   * getAllReplicaSetsAndSyncRevision: finds the new ReplicaSet (creating it when asked), brings its revision and
   * annotations up to date and copies the revision onto the Deployment.
   */
  private async getAllReplicaSetsAndSyncRevision(ctx: ReconcileContext, d: Deployment, rss: ReplicaSet[], create: boolean): Promise<Sync> {
    const { newRS: existing, oldRSs } = splitReplicaSets(d, rss);
    const newRevision = maxRevision(oldRSs) + 1;
    const s: Sync = { ctx, d, newRS: existing, oldRSs };
    const now = this.clock.now();
    if (existing) {
      const copy = structuredClone(existing);
      const changed = setNewReplicaSetAnnotations(d, copy, newRevision, true);
      const minReadyChanged = (copy.spec.minReadySeconds ?? 0) !== (d.spec.minReadySeconds ?? 0);
      if (minReadyChanged) copy.spec.minReadySeconds = d.spec.minReadySeconds ?? 0;
      if (changed || minReadyChanged) s.newRS = await ctx.client.update(copy);
      await this.setDeploymentRevision(s, s.newRS?.metadata.annotations?.[RevisionAnnotation]);
      if (!getCondition(s.d.status, 'Progressing') && hasProgressDeadline(s.d)) {
        const status = structuredClone(s.d.status ?? {});
        setDeploymentCondition(status, newCondition('Progressing', 'True', Reasons.FoundNewReplicaSet, `Found new replica set "${existing.metadata.name ?? ''}"`, now));
        s.d = await ctx.client.updateStatus<Deployment>({ ...s.d, status });
      }
      return s;
    }
    if (!create) return s;

    const collisionCount = d.status?.collisionCount;
    const hash = computeHash(d.spec.template, collisionCount);
    const template = structuredClone(d.spec.template);
    template.metadata = { ...(template.metadata ?? {}), labels: { ...(template.metadata?.labels ?? {}), [PodTemplateHashLabel]: hash } };
    const selector = structuredClone(d.spec.selector);
    selector.matchLabels = { ...(selector.matchLabels ?? {}), [PodTemplateHashLabel]: hash };
    const name = `${d.metadata.name ?? ''}-${hash}`;
    const rs: ReplicaSet = {
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: { name, namespace: d.metadata.namespace ?? '', labels: { ...(template.metadata.labels ?? {}) }, ownerReferences: [controllerReference(d)] },
      spec: { replicas: 0, minReadySeconds: d.spec.minReadySeconds ?? 0, selector, template },
    };
    const all = [...oldRSs, rs];
    rs.spec.replicas = newRSNewReplicas(d, all, rs);
    setNewReplicaSetAnnotations(d, rs, newRevision, false);
    let created: ReplicaSet;
    try {
      created = await ctx.client.create(rs);
    } catch (err) {
      if (err instanceof FloeError && err.reason === 'AlreadyExists') {
        const found = await ctx.client.get<ReplicaSet>(ReplicaSetRef, name, d.metadata.namespace);
        if (controllerOf(found)?.uid === d.metadata.uid && equalIgnoreHash(found.spec.template, d.spec.template)) {
          return { ctx, d, newRS: found, oldRSs };
        }
        // A hash collision: bump collisionCount and try again with the next name.
        const status = structuredClone(d.status ?? {});
        status.collisionCount = (status.collisionCount ?? 0) + 1;
        await ctx.client.updateStatus<Deployment>({ ...d, status });
        throw new Error(`hash collision for ReplicaSet ${name}; collisionCount is now ${status.collisionCount}`);
      }
      const status = structuredClone(d.status ?? {});
      const msg = `Failed to create new replica set "${name}": ${err instanceof Error ? err.message : String(err)}`;
      if (hasProgressDeadline(d)) setDeploymentCondition(status, newCondition('Progressing', 'False', Reasons.FailedRSCreate, msg, now));
      ctx.recorder.event(d, 'Warning', Reasons.FailedRSCreate, msg);
      await ctx.client.updateStatus<Deployment>({ ...d, status });
      throw err;
    }
    if (replicasOf(created) > 0) ctx.recorder.event(d, 'Normal', 'ScalingReplicaSet', `Scaled up replica set ${name} from 0 to ${replicasOf(created)}`);
    s.newRS = created;
    await this.setDeploymentRevision(s, created.metadata.annotations?.[RevisionAnnotation]);
    if (hasProgressDeadline(s.d)) {
      const status = structuredClone(s.d.status ?? {});
      setDeploymentCondition(status, newCondition('Progressing', 'True', Reasons.NewReplicaSet, `Created new replica set "${name}"`, now));
      s.d = await ctx.client.updateStatus<Deployment>({ ...s.d, status });
    }
    return s;
  }

  /** The Deployment carries its new ReplicaSet's revision (upstream writes it with the status; Floe patches metadata). */
  private async setDeploymentRevision(s: Sync, revision: string | undefined): Promise<void> {
    if (revision === undefined || s.d.metadata.annotations?.[RevisionAnnotation] === revision) return;
    s.d = await s.ctx.client.patch<Deployment>(DeploymentRef, s.d.metadata.name ?? '', s.d.metadata.namespace, { metadata: { annotations: { [RevisionAnnotation]: revision } } }, 'application/merge-patch+json');
  }

  private async reconcileNewReplicaSet(s: Sync): Promise<boolean> {
    const newRS = s.newRS;
    if (!newRS) return false;
    const want = replicasOf(s.d);
    if (replicasOf(newRS) === want) return false;
    if (replicasOf(newRS) > want) return this.scaleReplicaSet(s, newRS, want);
    return this.scaleReplicaSet(s, newRS, newRSNewReplicas(s.d, this.all(s), newRS));
  }

  /** Scales old ReplicaSets down as far as maxUnavailable allows: unhealthy replicas first, then oldest first. */
  private async reconcileOldReplicaSets(s: Sync): Promise<boolean> {
    const oldPods = totalSpecReplicas(s.oldRSs);
    if (oldPods === 0) return false;
    const allPods = totalSpecReplicas(this.all(s));
    const minAvailable = replicasOf(s.d) - maxUnavailable(s.d);
    const newUnavailable = s.newRS ? replicasOf(s.newRS) - (s.newRS.status?.availableReplicas ?? 0) : 0;
    const maxScaledDown = allPods - minAvailable - newUnavailable;
    if (maxScaledDown <= 0) return false;

    let cleaned = 0;
    for (const rs of [...s.oldRSs].sort(byCreation)) {
      if (cleaned >= maxScaledDown) break;
      if (replicasOf(rs) === 0) continue;
      const unhealthy = replicasOf(rs) - (rs.status?.availableReplicas ?? 0);
      if (unhealthy <= 0) continue;
      const n = Math.min(maxScaledDown - cleaned, unhealthy);
      await this.scaleReplicaSet(s, rs, replicasOf(rs) - n);
      cleaned += n;
    }

    const available = this.all(s).reduce((n, rs) => n + (rs.status?.availableReplicas ?? 0), 0);
    let scaled = 0;
    if (available > minAvailable) {
      const total = available - minAvailable;
      for (const rs of [...s.oldRSs].sort(byCreation)) {
        if (scaled >= total) break;
        if (replicasOf(rs) === 0) continue;
        const n = Math.min(replicasOf(rs), total - scaled);
        await this.scaleReplicaSet(s, rs, replicasOf(rs) - n);
        scaled += n;
      }
    }
    return cleaned + scaled > 0;
  }

  /** DeploymentController.scale: one active ReplicaSet takes the whole size; several share it proportionally. */
  private async scale(s: Sync): Promise<void> {
    const d = s.d;
    const active = this.all(s).filter((rs) => replicasOf(rs) > 0);
    const only = active.length === 1 ? active[0] : active.length === 0 ? (s.newRS ?? [...s.oldRSs].sort(byCreation).at(-1)) : undefined;
    if (only) {
      if (replicasOf(only) !== replicasOf(d) || replicasAnnotationsNeedUpdate(only, replicasOf(d), replicasOf(d) + maxSurge(d))) await this.scaleReplicaSet(s, only, replicasOf(d));
      return;
    }
    const newRS = s.newRS;
    if (newRS && replicasOf(newRS) === replicasOf(d) && newRS.metadata.annotations?.['deployment.kubernetes.io/desired-replicas'] === String(replicasOf(d)) && (newRS.status?.availableReplicas ?? 0) === replicasOf(d)) {
      for (const rs of s.oldRSs) if (replicasOf(rs) > 0) await this.scaleReplicaSet(s, rs, 0);
      return;
    }
    if (!isRollingUpdate(d)) return;
    const sizes = proportionalSizes(d, active);
    for (const rs of active) await this.scaleReplicaSet(s, rs, sizes.get(rs.metadata.name ?? '') ?? replicasOf(rs));
  }

  /** Resizes one ReplicaSet and refreshes its replica annotations; records ScalingReplicaSet. Returns whether the size changed. */
  private async scaleReplicaSet(s: Sync, rs: ReplicaSet, size: number): Promise<boolean> {
    const sizeChanged = replicasOf(rs) !== size;
    const max = replicasOf(s.d) + maxSurge(s.d);
    if (!sizeChanged && !replicasAnnotationsNeedUpdate(rs, replicasOf(s.d), max)) return false;
    const copy = structuredClone(rs);
    const from = replicasOf(rs);
    copy.spec.replicas = size;
    setReplicasAnnotations(copy, replicasOf(s.d), max);
    const updated = await s.ctx.client.update(copy);
    if (s.newRS?.metadata.uid === updated.metadata.uid) s.newRS = updated;
    else s.oldRSs = s.oldRSs.map((o) => (o.metadata.uid === updated.metadata.uid ? updated : o));
    if (sizeChanged) s.ctx.recorder.event(s.d, 'Normal', 'ScalingReplicaSet', `Scaled ${size > from ? 'up' : 'down'} replica set ${rs.metadata.name ?? ''} from ${from} to ${size}`);
    return sizeChanged;
  }

  /** Old ReplicaSets with no replicas beyond revisionHistoryLimit go, lowest revision first. */
  private async cleanup(s: Sync): Promise<void> {
    const limit = s.d.spec.revisionHistoryLimit;
    if (limit === undefined) return;
    const alive = s.oldRSs.filter((rs) => !rs.metadata.deletionTimestamp);
    const diff = alive.length - limit;
    if (diff <= 0) return;
    const sorted = [...alive].sort((a, b) => revisionOf(a) - revisionOf(b) || byCreation(a, b));
    for (const rs of sorted.slice(0, diff)) {
      if ((rs.status?.replicas ?? 0) !== 0 || replicasOf(rs) !== 0 || (rs.metadata.generation ?? 0) > (rs.status?.observedGeneration ?? 0)) continue;
      try {
        await s.ctx.client.delete(ReplicaSetRef, rs.metadata.name ?? '', rs.metadata.namespace);
      } catch (err) {
        if (!notFound(err)) throw err;
      }
    }
  }

  /** syncRolloutStatus: Progressing from progress, completion or the deadline; ReplicaFailure from the ReplicaSets. */
  private async syncRolloutStatus(s: Sync): Promise<ReconcileResult | void> {
    const d = s.d;
    const now = this.clock.now();
    const status = calculateStatus(d, this.all(s), s.newRS, now);
    if (!hasProgressDeadline(d)) removeDeploymentCondition(status, 'Progressing');
    const current = getCondition(status, 'Progressing');
    const complete = status.replicas === status.updatedReplicas && current?.reason === Reasons.NewRSAvailable;
    if (hasProgressDeadline(d) && !complete) {
      const rsName = s.newRS?.metadata.name;
      if (deploymentComplete(d, status)) {
        const msg = rsName ? `ReplicaSet "${rsName}" has successfully progressed.` : `Deployment "${d.metadata.name ?? ''}" has successfully progressed.`;
        setDeploymentCondition(status, newCondition('Progressing', 'True', Reasons.NewRSAvailable, msg, now));
      } else if (deploymentProgressing(d, status)) {
        const msg = rsName ? `ReplicaSet "${rsName}" is progressing.` : `Deployment "${d.metadata.name ?? ''}" is progressing.`;
        const cond = newCondition('Progressing', 'True', Reasons.ReplicaSetUpdated, msg, now);
        // Progress refreshes lastUpdateTime (the deadline's start) but keeps the transition time.
        if (current?.status === 'True') {
          if (current.lastTransitionTime) cond.lastTransitionTime = current.lastTransitionTime;
          removeDeploymentCondition(status, 'Progressing');
        }
        setDeploymentCondition(status, cond);
      } else if (deploymentTimedOut(d, status, now)) {
        const msg = rsName ? `ReplicaSet "${rsName}" has timed out progressing.` : `Deployment "${d.metadata.name ?? ''}" has timed out progressing.`;
        setDeploymentCondition(status, newCondition('Progressing', 'False', Reasons.TimedOut, msg, now));
        if (current?.reason !== Reasons.TimedOut) s.ctx.recorder.event(d, 'Warning', Reasons.TimedOut, msg);
      }
    }
    const failure = this.all(s).map((rs) => rs.status?.conditions?.find((c) => c.type === 'ReplicaFailure' && c.status === 'True')).find(Boolean);
    if (failure) setDeploymentCondition(status, newCondition('ReplicaFailure', failure.status, failure.reason ?? 'FailedCreate', failure.message ?? '', now));
    else removeDeploymentCondition(status, 'ReplicaFailure');
    await this.writeStatus(s, status);
    return this.requeueStuck(d, status, now);
  }

  private async writeStatus(s: Sync, status: DeploymentStatus): Promise<void> {
    const sameConditions = (a: DeploymentStatus['conditions'], b: DeploymentStatus['conditions']): boolean => JSON.stringify([...(a ?? [])].sort((x, y) => x.type.localeCompare(y.type))) === JSON.stringify([...(b ?? [])].sort((x, y) => x.type.localeCompare(y.type)));
    const { conditions: c1, ...rest1 } = status;
    const { conditions: c2, ...rest2 } = s.d.status ?? {};
    if (JSON.stringify(rest1) === JSON.stringify(rest2) && sameConditions(c1, c2)) return;
    s.d = await s.ctx.client.updateStatus<Deployment>({ ...s.d, status });
  }

  /** requeueStuckDeployment: look again when the progress deadline would pass. */
  private requeueStuck(d: Deployment, status: DeploymentStatus, now: number): ReconcileResult | void {
    const cond = getCondition(status, 'Progressing');
    if (!hasProgressDeadline(d) || !cond || cond.reason === Reasons.NewRSAvailable || cond.reason === Reasons.TimedOut || deploymentComplete(d, status)) return;
    const from = Date.parse(cond.lastUpdateTime ?? '');
    if (Number.isNaN(from)) return;
    const after = from + (d.spec.progressDeadlineSeconds ?? 600) * 1000 - now;
    return { requeueAfterMs: Math.max(after, 0) + 1000 };
  }
}

/** The `deployment-controller`: Deployments primary, ReplicaSets owned, Pods mapped to their ReplicaSet's Deployment. */
export function addDeploymentController(manager: Manager, options: { clock?: Clock } = {}): void {
  const replicaSets = manager.informers.informerFor<ReplicaSet>(ReplicaSetRef);
  manager
    .controller('deployment-controller')
    .for(DeploymentRef)
    .owns(ReplicaSetRef)
    .watches(PodRef, (pod) => {
      // Recreate waits for old Pods to go: a Pod's deletion requests its ReplicaSet's Deployment.
      const rsRef = controllerOf(pod);
      if (rsRef?.kind !== 'ReplicaSet') return [];
      const rs = replicaSets.get(rsRef.name, pod.metadata.namespace ?? '');
      const dRef = rs ? controllerOf(rs) : undefined;
      return dRef?.kind === 'Deployment' ? [{ namespace: pod.metadata.namespace ?? '', name: dRef.name }] : [];
    }, { predicates: [(e) => e.type === 'delete'] })
    .withConcurrency(4)
    .complete(new DeploymentReconciler(options));
}
