// The batch/v1 CronJob controller for embedded mode, re-derived from kube-controller-manager's cronjob_controllerv2.go:
// Jobs named `<cronjob>-<minutes since the epoch>` at each schedule time, concurrencyPolicy, startingDeadlineSeconds,
// suspend, history limits, status.active/lastScheduleTime/lastSuccessfulTime and upstream's events.
import { FloeError } from '../../api/errors.js';
import type { KubeObject, ObjectMeta } from '../../api/meta.js';
import { controllerReference, isControlledBy, kubeTime, realClock, type Clock, type Manager, type ReconcileContext, type ReconcileResult, type Reconciler, type Request } from '../../controller/index.js';
import { ScheduleError, checkTimeZone, formatInZone, formatRfc1123z, mostRecentScheduleTime, parseSchedule, type CronSchedule } from './cron-job-schedule.js';
import { JobRef, type Job } from './job-controller.js';

export const CronJobRef = { apiVersion: 'batch/v1', kind: 'CronJob' } as const;
export const ScheduledTimestampAnnotation = 'batch.kubernetes.io/cronjob-scheduled-timestamp';

/** Past this many missed schedule times the controller warns (it still starts the latest one). */
const TooManyMissed = 100;
/** Requeues land this long after the schedule time, as upstream's nextScheduleDelta. */
const NextScheduleDeltaMs = 100;

interface ObjectReference {
  apiVersion?: string;
  kind?: string;
  namespace?: string;
  name?: string;
  uid?: string;
  resourceVersion?: string;
}

export interface CronJob extends KubeObject {
  spec: {
    schedule: string;
    timeZone?: string;
    startingDeadlineSeconds?: number;
    concurrencyPolicy?: 'Allow' | 'Forbid' | 'Replace';
    suspend?: boolean;
    successfulJobsHistoryLimit?: number;
    failedJobsHistoryLimit?: number;
    jobTemplate: { metadata?: ObjectMeta; spec: Job['spec'] };
  };
  status?: { active?: ObjectReference[]; lastScheduleTime?: string; lastSuccessfulTime?: string };
}

const finishedCondition = (job: Job): string | undefined => job.status?.conditions?.find((c) => (c.type === 'Complete' || c.type === 'Failed') && c.status === 'True')?.type;

/** `<cronjob>-<floor(scheduled seconds / 60)>`: one deterministic name per schedule time. */
export function jobNameFor(cronJob: string, scheduledMs: number): string {
  return `${cronJob}-${Math.floor(scheduledMs / 60_000)}`;
}

/** The schedule text with spec.timeZone applied, as formatSchedule builds it; warns about a TZ prefix in the text. */
function scheduleText(cj: CronJob, warn: (message: string) => void): string {
  if (/(^|\s)(CRON_TZ|TZ)=/.test(cj.spec.schedule)) warn(`CRON_TZ or TZ used in schedule "${cj.spec.schedule}" is not officially supported, see https://kubernetes.io/docs/concepts/workloads/controllers/cron-jobs/ for more details`);
  return cj.spec.timeZone ? `TZ=${cj.spec.timeZone} ${cj.spec.schedule}` : cj.spec.schedule;
}

export class CronJobReconciler implements Reconciler {
  private readonly clock: Clock;

  constructor(options: { clock?: Clock } = {}) {
    this.clock = options.clock ?? realClock();
  }

  async reconcile(ctx: ReconcileContext, request: Request): Promise<ReconcileResult | void> {
    let cj: CronJob;
    try {
      cj = await ctx.client.get<CronJob>(CronJobRef, request.name, request.namespace);
    } catch (err) {
      if (err instanceof FloeError && err.reason === 'NotFound') return;
      throw err;
    }
    const namespace = cj.metadata.namespace ?? '';
    const jobs = (await ctx.client.list<Job>(JobRef, { namespace })).items.filter((j) => isControlledBy(j, cj));
    const status: NonNullable<CronJob['status']> = structuredClone(cj.status ?? {});
    const before = JSON.stringify(status);
    const active = (): ObjectReference[] => (status.active ??= []);
    const now = this.clock.now();

    // 1. Reconcile status.active with the Jobs this CronJob owns.
    const children = new Set(jobs.map((j) => j.metadata.uid));
    for (const job of jobs) {
      const listed = active().some((a) => a.uid === job.metadata.uid);
      const condition = finishedCondition(job);
      if (!listed && !condition) {
        ctx.recorder.event(cj, 'Warning', 'UnexpectedJob', `Saw a job that the controller did not create or forgot: ${job.metadata.name ?? ''}`);
      } else if (listed && condition) {
        status.active = active().filter((a) => a.uid !== job.metadata.uid);
        ctx.recorder.event(cj, 'Normal', 'SawCompletedJob', `Saw completed job: ${job.metadata.name ?? ''}, condition: ${condition}`);
      }
      const completedAt = job.status?.completionTime;
      if (condition === 'Complete' && completedAt && (!status.lastSuccessfulTime || Date.parse(completedAt) > Date.parse(status.lastSuccessfulTime))) status.lastSuccessfulTime = completedAt;
    }
    for (const ref of [...active()]) {
      if (children.has(ref.uid)) continue;
      try {
        await ctx.client.get(JobRef, ref.name ?? '', ref.namespace);
      } catch (err) {
        if (!(err instanceof FloeError && err.reason === 'NotFound')) throw err;
        ctx.recorder.event(cj, 'Normal', 'MissingJob', `Active job went missing: ${ref.name ?? ''}`);
        status.active = active().filter((a) => a.uid !== ref.uid);
      }
    }
    if (status.active?.length === 0) delete status.active;

    const write = async (): Promise<void> => {
      if (JSON.stringify(status) === before) return;
      await ctx.client.updateStatus<CronJob>({ ...cj, status });
    };
    const finish = async (requeueAfterMs?: number): Promise<ReconcileResult | void> => {
      await write();
      await this.cleanupFinished(ctx, cj, jobs, status);
      if (requeueAfterMs !== undefined) return { requeueAfterMs };
    };

    // 2. Nothing to schedule when deleting, suspended, in an unknown zone or with an unparseable schedule.
    if (cj.metadata.deletionTimestamp) return finish();
    const zone = cj.spec.timeZone ?? 'UTC';
    if (cj.spec.timeZone !== undefined) {
      try {
        checkTimeZone(cj.spec.timeZone);
      } catch (err) {
        ctx.recorder.event(cj, 'Warning', 'UnknownTimeZone', `invalid timeZone: "${cj.spec.timeZone}": ${(err as Error).message}`);
        return finish();
      }
    }
    if (cj.spec.suspend === true) return finish();
    let schedule: CronSchedule;
    try {
      schedule = parseSchedule(scheduleText(cj, (m) => ctx.recorder.event(cj, 'Warning', 'UnsupportedSchedule', m)));
    } catch (err) {
      if (!(err instanceof ScheduleError)) throw err;
      ctx.recorder.event(cj, 'Warning', 'UnparseableSchedule', `unparseable schedule: "${cj.spec.schedule}" : ${err.message}`);
      return finish();
    }

    // 3. The most recent unmet schedule time since the last one (or creation).
    const since = Date.parse(status.lastScheduleTime ?? cj.metadata.creationTimestamp ?? kubeTime(now));
    let recent;
    try {
      recent = mostRecentScheduleTime(schedule, now, since, cj.spec.startingDeadlineSeconds);
    } catch (err) {
      if (!(err instanceof ScheduleError)) throw err;
      ctx.recorder.event(cj, 'Warning', 'InvalidSchedule', `invalid schedule: ${cj.spec.schedule} : ${err.message}`);
      return finish();
    }
    const requeue = (): number | undefined => {
      const from = status.lastScheduleTime ? Math.max(Date.parse(status.lastScheduleTime), recent.mostRecent ?? 0) : (recent.mostRecent ?? recent.earliest);
      const next = schedule.next(from);
      return next === undefined ? undefined : Math.max(0, next + NextScheduleDeltaMs - now);
    };
    if (recent.missed > TooManyMissed) {
      ctx.recorder.event(cj, 'Warning', 'TooManyMissedTimes', `too many missed start times: ${recent.missed}. Set or decrease .spec.startingDeadlineSeconds or check clock skew`);
    }
    const scheduled = recent.mostRecent;
    if (scheduled === undefined) return finish(requeue());

    // 4. Too late to start it.
    if (cj.spec.startingDeadlineSeconds !== undefined && scheduled + cj.spec.startingDeadlineSeconds * 1000 < now) {
      ctx.recorder.event(cj, 'Warning', 'MissSchedule', `Missed scheduled time to start a job: ${formatRfc1123z(scheduled)}`);
      return finish(requeue());
    }
    // 5. Already handled.
    const name = jobNameFor(cj.metadata.name ?? '', scheduled);
    if (active().some((a) => a.name === name) || (status.lastScheduleTime !== undefined && Date.parse(status.lastScheduleTime) === scheduled)) return finish(requeue());
    // 6. Concurrency.
    const policy = cj.spec.concurrencyPolicy ?? 'Allow';
    if (policy === 'Forbid' && active().length > 0) {
      ctx.recorder.event(cj, 'Normal', 'JobAlreadyActive', 'Not starting job because prior execution is running and concurrency policy is Forbid');
      return finish(requeue());
    }
    if (policy === 'Replace') {
      for (const ref of [...active()]) {
        await this.deleteJob(ctx, cj, ref.name ?? '');
        status.active = active().filter((a) => a.uid !== ref.uid);
      }
    }
    // 7. Create the Job.
    const job: Job = {
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: {
        name,
        namespace,
        labels: { ...(cj.spec.jobTemplate.metadata?.labels ?? {}) },
        annotations: { ...(cj.spec.jobTemplate.metadata?.annotations ?? {}), [ScheduledTimestampAnnotation]: formatInZone(scheduled, zone) },
        ownerReferences: [controllerReference(cj)],
      },
      spec: structuredClone(cj.spec.jobTemplate.spec),
    };
    let created: Job;
    try {
      created = await ctx.client.create(job);
      ctx.recorder.event(cj, 'Normal', 'SuccessfulCreate', `Created job ${name}`);
    } catch (err) {
      if (!(err instanceof FloeError && err.reason === 'AlreadyExists')) {
        ctx.recorder.event(cj, 'Warning', 'FailedCreate', `Error creating job: ${(err as Error).message}`);
        throw err;
      }
      created = await ctx.client.get<Job>(JobRef, name, namespace);
      if (!isControlledBy(created, cj)) {
        ctx.recorder.event(cj, 'Warning', 'FailedCreate', `Error creating job: job ${name} already exists and is not owned by this CronJob`);
        return finish(requeue());
      }
    }
    if (!active().some((a) => a.uid === created.metadata.uid)) {
      active().push({ kind: 'Job', namespace, name, uid: created.metadata.uid ?? '', apiVersion: 'batch/v1', resourceVersion: created.metadata.resourceVersion ?? '' });
    }
    status.lastScheduleTime = kubeTime(scheduled);
    return finish(requeue());
  }

  /** Deletes finished Jobs beyond the history limits, the earliest started first (cleanupFinishedJobs). */
  private async cleanupFinished(ctx: ReconcileContext, cj: CronJob, jobs: readonly Job[], status: NonNullable<CronJob['status']>): Promise<void> {
    const activeUids = new Set((status.active ?? []).map((a) => a.uid));
    const byStart = (a: Job, b: Job): number => {
      const sa = a.status?.startTime;
      const sb = b.status?.startTime;
      if (sa === undefined && sb !== undefined) return 1;
      if (sb === undefined && sa !== undefined) return -1;
      return (sa ?? '').localeCompare(sb ?? '') || (a.metadata.name ?? '').localeCompare(b.metadata.name ?? '');
    };
    const groups: [string, number | undefined][] = [
      ['Complete', cj.spec.successfulJobsHistoryLimit],
      ['Failed', cj.spec.failedJobsHistoryLimit],
    ];
    for (const [kind, limit] of groups) {
      if (limit === undefined) continue;
      const finished = jobs.filter((j) => finishedCondition(j) === kind && !activeUids.has(j.metadata.uid) && !j.metadata.deletionTimestamp).sort(byStart);
      for (const job of finished.slice(0, Math.max(0, finished.length - limit))) await this.deleteJob(ctx, cj, job.metadata.name ?? '');
    }
  }

  private async deleteJob(ctx: ReconcileContext, cj: CronJob, name: string): Promise<void> {
    try {
      await ctx.client.delete(JobRef, name, cj.metadata.namespace, { propagationPolicy: 'Background' });
    } catch (err) {
      if (err instanceof FloeError && err.reason === 'NotFound') return;
      ctx.recorder.event(cj, 'Warning', 'FailedDelete', `Deleted job: ${(err as Error).message}`);
      throw err;
    }
    ctx.recorder.event(cj, 'Normal', 'SuccessfulDelete', `Deleted job ${name}`);
  }
}

/** The `cronjob-controller`: CronJobs primary, their Jobs owned. Embedded only. */
export function addCronJobController(manager: Manager, options: { clock?: Clock } = {}): void {
  manager.controller('cronjob-controller').for(CronJobRef).owns(JobRef).complete(new CronJobReconciler(options));
}
