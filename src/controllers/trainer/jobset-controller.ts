// The JobSet controller: a headless Service and batch/v1 Jobs per replicated job (dependsOn, suspend, success and
// failure policy with restarts), and the JobSet's status. Pods are the Job controller's business, never this one's.
import { FloeError } from '../../api/errors.js';
import { ServiceRef, type Service } from '../../api/core-v1.js';
import type { KindRef } from '../../client/client.js';
import { isControlledBy, kubeTime, realClock, setCondition, TerminalError, type Clock, type Manager, type ReconcileContext, type ReconcileResult, type Reconciler, type Request } from '../../controller/index.js';
import { JobRef, type Job } from '../batch/job-controller.js';
import {
  dependenciesMet,
  desiredJob,
  desiredService,
  isFinished,
  jobSetDefaults,
  jobState,
  JobSetManager,
  JobSetReasons,
  replicatedJobsStatus,
  subdomainOf,
  succeeded,
  validateJobSet,
} from './jobset-plan.js';
import { JobSetLabels, JobSetRef, type JobSet, type JobSetStatus } from './types.js';

const isReason = (err: unknown, reason: string): boolean => err instanceof FloeError && err.reason === reason;

export class JobSetReconciler implements Reconciler {
  private readonly clock: Clock;

  constructor(options: { clock?: Clock } = {}) {
    this.clock = options.clock ?? realClock();
  }

  async reconcile(ctx: ReconcileContext, request: Request): Promise<ReconcileResult | void> {
    let stored: JobSet;
    try {
      stored = await ctx.client.get<JobSet>(JobSetRef, request.name, request.namespace);
    } catch (err) {
      if (isReason(err, 'NotFound')) return;
      throw err;
    }
    // Children carry ownerReferences: garbage collection removes them with the JobSet.
    if (stored.metadata.deletionTimestamp) return;
    const js = jobSetDefaults(stored);
    // Another controller (Kueue's MultiKueue, say) runs this JobSet.
    if (js.spec.managedBy !== JobSetManager) return;
    const ns = request.namespace ?? '';
    const now = this.clock.now();
    const status: JobSetStatus = structuredClone(stored.status ?? {});
    const before = JSON.stringify(status);
    const conditions = (status.conditions ??= []);
    const write = async (): Promise<void> => {
      if (JSON.stringify(status) !== before) await ctx.client.updateStatus<JobSet>({ ...stored, status });
    };

    const problems = validateJobSet(js);
    if (problems.length > 0) {
      const message = `JobSet.jobset.x-k8s.io "${request.name}" is invalid: ${problems.map((p) => `${p.field}: ${p.message}`).join('; ')}`;
      setCondition(conditions, { type: 'Failed', status: 'True', reason: 'ValidationFailed', message }, now);
      status.terminalState = 'Failed';
      await write();
      throw new TerminalError(message, { reason: 'ValidationFailed' });
    }

    const owned = (await ctx.client.list<Job>(JobRef, { namespace: ns, labelSelector: `${JobSetLabels.jobSetName}=${request.name}` })).items.filter((j) => isControlledBy(j, stored));
    const restarts = status.restarts ?? 0;
    // Jobs of an earlier attempt go before the next attempt's are made.
    const stale = owned.filter((j) => Number(j.metadata.labels?.[JobSetLabels.restartAttempt] ?? 0) < restarts);
    const jobs = owned.filter((j) => !stale.includes(j) && !j.metadata.deletionTimestamp);
    for (const j of stale) if (!j.metadata.deletionTimestamp) await this.deleteJob(ctx, j);

    if (isFinished(stored)) {
      // Finished: what is still running stops.
      for (const j of jobs) if (jobState(j) === 'active') await this.deleteJob(ctx, j);
      status.replicatedJobsStatus = replicatedJobsStatus(js, []);
      for (const s of status.replicatedJobsStatus) {
        const mine = jobs.filter((j) => j.metadata.labels?.[JobSetLabels.replicatedJobName] === s.name);
        s.succeeded = mine.filter((j) => jobState(j) === 'succeeded').length;
        s.failed = mine.filter((j) => jobState(j) === 'failed').length;
      }
      await write();
      return this.afterFinished(ctx, js, status, now);
    }

    if (js.spec.network?.enableDNSHostnames !== false) await this.ensureService(ctx, js);

    const failed = jobs.filter((j) => jobState(j) === 'failed').sort((a, b) => failedAt(a).localeCompare(failedAt(b)));
    const firstFailed = failed[0];
    if (firstFailed) {
      const policy = js.spec.failurePolicy;
      const withJob = (m: string): string => `${m} (first failed job: ${firstFailed.metadata.name ?? ''})`;
      if (!policy || restarts >= (policy.maxRestarts ?? 0)) {
        const why = policy ? JobSetReasons.maxRestarts : JobSetReasons.failedJobs;
        setCondition(conditions, { type: 'Failed', status: 'True', reason: why.reason, message: withJob(why.message) }, now);
        status.terminalState = 'Failed';
        status.replicatedJobsStatus = replicatedJobsStatus(js, jobs);
        ctx.recorder.event(stored, 'Warning', why.reason, withJob(why.message));
        await write();
        return { requeueAfterMs: 0 };
      }
      // Recreate: every Job of this attempt goes; the next reconcile makes the next attempt's.
      status.restarts = restarts + 1;
      status.restartsCountTowardsMax = (status.restartsCountTowardsMax ?? 0) + 1;
      status.replicatedJobsStatus = replicatedJobsStatus(js, []);
      ctx.recorder.event(stored, 'Warning', 'Restarting', `restarting jobset, attempt ${status.restarts}`);
      await write();
      return { requeueAfterMs: 0 };
    }

    let current = replicatedJobsStatus(js, jobs);
    if (succeeded(js, current)) {
      setCondition(conditions, { type: 'Completed', status: 'True', reason: JobSetReasons.completed.reason, message: JobSetReasons.completed.message }, now);
      status.terminalState = 'Completed';
      status.replicatedJobsStatus = current;
      ctx.recorder.event(stored, 'Normal', JobSetReasons.completed.reason, JobSetReasons.completed.message);
      await write();
      return { requeueAfterMs: 0 };
    }

    // Suspend and resume reach the Jobs through their own spec.suspend.
    const suspend = js.spec.suspend === true;
    for (const j of jobs) {
      if (jobState(j) !== 'active' || (j.spec.suspend === true) === suspend) continue;
      try {
        await ctx.client.update<Job>({ ...j, spec: { ...j.spec, suspend } });
      } catch (err) {
        if (!isReason(err, 'NotFound')) throw err;
      }
    }
    const suspendedNow = conditions.some((c) => c.type === 'Suspended' && c.status === 'True');
    if (suspend && !suspendedNow) {
      setCondition(conditions, { type: 'Suspended', status: 'True', reason: JobSetReasons.suspended.reason, message: JobSetReasons.suspended.message }, now);
      ctx.recorder.event(stored, 'Normal', JobSetReasons.suspended.reason, JobSetReasons.suspended.message);
    } else if (!suspend && suspendedNow) {
      setCondition(conditions, { type: 'Suspended', status: 'False', reason: JobSetReasons.resumed.reason, message: JobSetReasons.resumed.message }, now);
      ctx.recorder.event(stored, 'Normal', JobSetReasons.resumed.reason, JobSetReasons.resumed.message);
    }

    // Jobs in list order; a replicated job waits for its dependsOn (and, InOrder, for the jobs before it).
    const byName = new Map(jobs.map((j) => [j.metadata.name ?? '', j]));
    for (const rjob of js.spec.replicatedJobs) {
      if (!dependenciesMet(js, rjob, current)) continue;
      for (let i = 0; i < (rjob.replicas ?? 1); i++) {
        const want = desiredJob(js, rjob, i, restarts);
        if (byName.has(want.metadata.name ?? '')) continue;
        // A Job of an earlier attempt with this name is still being deleted: its deletion brings us back.
        if (owned.some((j) => j.metadata.name === want.metadata.name)) continue;
        try {
          const created = await ctx.client.create<Job>(want);
          byName.set(created.metadata.name ?? '', created);
          ctx.recorder.event(stored, 'Normal', 'SuccessfulCreate', `Created job: ${created.metadata.name ?? ''}`);
        } catch (err) {
          if (isReason(err, 'AlreadyExists')) continue;
          if (err instanceof FloeError && !err.retryable && err.reason !== 'Conflict') {
            ctx.recorder.event(stored, 'Warning', 'JobCreationFailed', err.message);
          }
          throw err;
        }
      }
      current = replicatedJobsStatus(js, [...byName.values()]);
    }
    status.replicatedJobsStatus = current;
    await write();
  }

  private async ensureService(ctx: ReconcileContext, js: JobSet): Promise<void> {
    const name = subdomainOf(js);
    try {
      await ctx.client.get<Service>(ServiceRef, name, js.metadata.namespace);
      return;
    } catch (err) {
      if (!isReason(err, 'NotFound')) throw err;
    }
    try {
      await ctx.client.create(desiredService(js));
    } catch (err) {
      if (!isReason(err, 'AlreadyExists')) throw err;
    }
  }

  /** ttlSecondsAfterFinished: the JobSet goes once that long has passed since it finished. */
  private async afterFinished(ctx: ReconcileContext, js: JobSet, status: JobSetStatus, now: number): Promise<ReconcileResult | void> {
    const ttl = js.spec.ttlSecondsAfterFinished;
    const at = status.conditions?.find((c) => (c.type === 'Completed' || c.type === 'Failed') && c.status === 'True')?.lastTransitionTime;
    if (ttl === undefined || !at) return;
    const due = Date.parse(at) + ttl * 1000;
    if (now < due) return { requeueAfterMs: due - now };
    await this.deleteObject(ctx, JobSetRef, js.metadata.name ?? '', js.metadata.namespace);
  }

  private async deleteJob(ctx: ReconcileContext, job: Job): Promise<void> {
    try {
      await ctx.client.delete(JobRef, job.metadata.name ?? '', job.metadata.namespace, { propagationPolicy: 'Background' });
    } catch (err) {
      if (!isReason(err, 'NotFound')) throw err;
    }
  }

  private async deleteObject(ctx: ReconcileContext, ref: KindRef, name: string, namespace: string | undefined): Promise<void> {
    try {
      await ctx.client.delete(ref, name, namespace);
    } catch (err) {
      if (!isReason(err, 'NotFound')) throw err;
    }
  }
}

function failedAt(job: Job): string {
  return job.status?.conditions?.find((c) => c.type === 'Failed' && c.status === 'True')?.lastTransitionTime ?? kubeTime(0);
}

/** The `jobset-controller`: JobSets primary, their Jobs and Service owned. */
export function addJobSetController(manager: Manager, options: { clock?: Clock } = {}): void {
  manager.controller('jobset-controller').for(JobSetRef).owns(JobRef).owns(ServiceRef).withConcurrency(2).complete(new JobSetReconciler(options));
}
