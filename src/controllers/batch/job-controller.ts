// The batch/v1 Job controller for embedded mode (on a cluster, kube-controller-manager's runs): Pods until enough
// succeed, NonIndexed or Indexed, with parallelism, backoffLimit, activeDeadlineSeconds, suspend and TTL.
import { FloeError } from '../../api/errors.js';
import { CompletionIndexAnnotation } from '../../api/builtin/index.js';
import { PodRef, type ContainerSpec, type Pod, type PodSpec } from '../../api/core-v1.js';
import type { KubeObject, ObjectMeta } from '../../api/meta.js';
import { controllerReference, isControlledBy, kubeTime, realClock, type Clock, type Manager, type ReconcileContext, type ReconcileResult, type Reconciler, type Request } from '../../controller/index.js';

export const JobRef = { apiVersion: 'batch/v1', kind: 'Job' } as const;

interface JobCondition {
  type: string;
  status: 'True' | 'False';
  reason?: string;
  message?: string;
  lastProbeTime?: string;
  lastTransitionTime?: string;
}

export interface Job extends KubeObject {
  spec: {
    parallelism?: number;
    completions?: number;
    backoffLimit?: number;
    activeDeadlineSeconds?: number;
    ttlSecondsAfterFinished?: number;
    completionMode?: 'NonIndexed' | 'Indexed';
    suspend?: boolean;
    selector?: { matchLabels?: Record<string, string> };
    template: { metadata?: ObjectMeta; spec: PodSpec };
  };
  status?: {
    active?: number;
    succeeded?: number;
    failed?: number;
    ready?: number;
    startTime?: string;
    completionTime?: string;
    completedIndexes?: string;
    conditions?: JobCondition[];
  };
}

const terminal = (p: Pod): boolean => p.status?.phase === 'Succeeded' || p.status?.phase === 'Failed';
const isActive = (p: Pod): boolean => !terminal(p) && !p.metadata.deletionTimestamp;
const indexOf = (p: Pod): number => Number(p.metadata.annotations?.[CompletionIndexAnnotation] ?? -1);

/** `0-2,4`: completed indexes as kube-controller-manager writes them. */
export function formatIndexes(indexes: Iterable<number>): string {
  const sorted = [...new Set(indexes)].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < sorted.length; i++) {
    const start = sorted[i]!;
    let end = start;
    while (sorted[i + 1] === end + 1) end = sorted[++i]!;
    parts.push(end === start ? String(start) : `${start}-${end}`);
  }
  return parts.join(',');
}

function setCondition(status: NonNullable<Job['status']>, type: string, value: 'True' | 'False', reason: string, message: string, now: number): boolean {
  const conditions = (status.conditions ??= []);
  const existing = conditions.find((c) => c.type === type);
  if (existing && existing.status === value && existing.reason === reason) return false;
  const at = kubeTime(now);
  const next: JobCondition = { type, status: value, reason, message, lastProbeTime: at, lastTransitionTime: existing?.status === value ? (existing.lastTransitionTime ?? at) : at };
  status.conditions = [...conditions.filter((c) => c.type !== type), next];
  return true;
}

const isTrue = (job: Job, type: string): boolean => job.status?.conditions?.some((c) => c.type === type && c.status === 'True') ?? false;

export class JobReconciler implements Reconciler {
  private readonly clock: Clock;

  constructor(options: { clock?: Clock } = {}) {
    this.clock = options.clock ?? realClock();
  }

  async reconcile(ctx: ReconcileContext, request: Request): Promise<ReconcileResult | void> {
    let job: Job;
    try {
      job = await ctx.client.get<Job>(JobRef, request.name, request.namespace);
    } catch (err) {
      if (err instanceof FloeError && err.reason === 'NotFound') return;
      throw err;
    }
    if (job.metadata.deletionTimestamp) return;
    const now = this.clock.now();
    const status: NonNullable<Job['status']> = structuredClone(job.status ?? {});
    const before = JSON.stringify(status);
    const write = async (): Promise<void> => {
      if (JSON.stringify(status) !== before) await ctx.client.updateStatus<Job>({ ...job, status });
    };
    const selector = Object.entries(job.spec.selector?.matchLabels ?? {}).map(([k, v]) => `${k}=${v}`).join(',');
    const pods = (await ctx.client.list<Pod>(PodRef, { namespace: request.namespace, labelSelector: selector })).items.filter((p) => isControlledBy(p, job));
    const active = pods.filter(isActive);
    const succeeded = pods.filter((p) => p.status?.phase === 'Succeeded');
    const failed = pods.filter((p) => p.status?.phase === 'Failed');
    const removeActive = async (): Promise<void> => {
      for (const p of active) await this.deletePod(ctx, p);
    };

    if (isTrue(job, 'Complete') || isTrue(job, 'Failed')) return this.afterFinished(ctx, job, now);

    if (job.spec.suspend === true) {
      await removeActive();
      if (setCondition(status, 'Suspended', 'True', 'JobSuspended', 'Job suspended', now)) ctx.recorder.event(job, 'Normal', 'Suspended', 'Job suspended');
      delete status.startTime;
      status.active = 0;
      await write();
      return;
    }
    if (isTrue(job, 'Suspended')) {
      setCondition(status, 'Suspended', 'False', 'JobResumed', 'Job resumed', now);
      ctx.recorder.event(job, 'Normal', 'Resumed', 'Job resumed');
      status.startTime = kubeTime(now);
    }
    status.startTime ??= kubeTime(now);

    const onFailure = job.spec.template.spec.restartPolicy === 'OnFailure';
    const restarts = onFailure ? pods.reduce((n, p) => n + (p.status?.containerStatuses ?? []).reduce((m, s) => m + (s.restartCount ?? 0), 0), 0) : 0;
    const failures = failed.length + restarts;
    const deadline = job.spec.activeDeadlineSeconds !== undefined ? Date.parse(status.startTime) + job.spec.activeDeadlineSeconds * 1000 : undefined;
    const failure =
      failures > (job.spec.backoffLimit ?? 6)
        ? { reason: 'BackoffLimitExceeded', message: 'Job has reached the specified backoff limit' }
        : deadline !== undefined && now >= deadline
          ? { reason: 'DeadlineExceeded', message: 'Job was active longer than specified deadline' }
          : undefined;
    if (failure) {
      await removeActive();
      Object.assign(status, { active: 0, failed: failed.length + active.length, succeeded: succeeded.length, ready: 0 });
      setCondition(status, 'FailureTarget', 'True', failure.reason, failure.message, now);
      setCondition(status, 'Failed', 'True', failure.reason, failure.message, now);
      ctx.recorder.event(job, 'Warning', failure.reason, failure.message);
      await write();
      return this.afterFinished(ctx, { ...job, status }, now);
    }

    const parallelism = job.spec.parallelism ?? 1;
    const completions = job.spec.completions;
    let done: boolean;
    if (job.spec.completionMode === 'Indexed') {
      const total = completions ?? 0;
      const completed = new Set(succeeded.map(indexOf).filter((i) => i >= 0 && i < total));
      const running = new Set(active.map(indexOf));
      done = completed.size >= total;
      status.completedIndexes = formatIndexes(completed);
      let room = parallelism - active.length;
      for (let i = 0; i < total && room > 0 && !done; i++) {
        if (completed.has(i) || running.has(i)) continue;
        await this.createPod(ctx, job, i);
        room -= 1;
      }
    } else {
      done = completions !== undefined ? succeeded.length >= completions : succeeded.length > 0 && active.length === 0;
      const want = done ? 0 : completions !== undefined ? Math.min(parallelism, completions - succeeded.length) : succeeded.length > 0 ? 0 : parallelism;
      for (let i = active.length; i < want; i++) await this.createPod(ctx, job, undefined);
      for (const extra of active.slice(want).reverse()) if (!done || completions !== undefined) await this.deletePod(ctx, extra);
    }

    const current = (await ctx.client.list<Pod>(PodRef, { namespace: request.namespace, labelSelector: selector })).items.filter((p) => isControlledBy(p, job));
    status.active = current.filter(isActive).length;
    status.succeeded = current.filter((p) => p.status?.phase === 'Succeeded').length;
    status.failed = current.filter((p) => p.status?.phase === 'Failed').length;
    status.ready = current.filter((p) => isActive(p) && p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')).length;
    if (done) {
      status.completionTime ??= kubeTime(now);
      setCondition(status, 'SuccessCriteriaMet', 'True', 'CompletionsReached', 'Reached expected number of succeeded pods', now);
      setCondition(status, 'Complete', 'True', 'CompletionsReached', 'Reached expected number of succeeded pods', now);
      ctx.recorder.event(job, 'Normal', 'Completed', 'Job completed');
    }
    await write();
    if (done) return this.afterFinished(ctx, { ...job, status }, now);
    if (deadline !== undefined) return { requeueAfterMs: Math.max(0, deadline - now) };
  }

  /** ttlSecondsAfterFinished: the Job (and by garbage collection its Pods) goes once that long has passed. */
  private async afterFinished(ctx: ReconcileContext, job: Job, now: number): Promise<ReconcileResult | void> {
    const ttl = job.spec.ttlSecondsAfterFinished;
    const finishedAt = job.status?.conditions?.find((c) => (c.type === 'Complete' || c.type === 'Failed') && c.status === 'True')?.lastTransitionTime;
    if (ttl === undefined || !finishedAt) return;
    const due = Date.parse(finishedAt) + ttl * 1000;
    if (now < due) return { requeueAfterMs: due - now };
    try {
      await ctx.client.delete(JobRef, job.metadata.name ?? '', job.metadata.namespace, { propagationPolicy: 'Background' });
    } catch (err) {
      if (!(err instanceof FloeError && err.reason === 'NotFound')) throw err;
    }
  }

  private async createPod(ctx: ReconcileContext, job: Job, index: number | undefined): Promise<void> {
    const template = structuredClone(job.spec.template);
    const name = job.metadata.name ?? '';
    const labels = { ...(template.metadata?.labels ?? {}) };
    const annotations = { ...(template.metadata?.annotations ?? {}) };
    const spec: PodSpec = { ...template.spec };
    if (index !== undefined) {
      labels[CompletionIndexAnnotation] = String(index);
      annotations[CompletionIndexAnnotation] = String(index);
      spec.containers = spec.containers.map((c: ContainerSpec) => ({ ...c, env: [...(c.env ?? []), { name: 'JOB_COMPLETION_INDEX', valueFrom: { fieldRef: { fieldPath: `metadata.annotations['${CompletionIndexAnnotation}']` } } }] }));
      (spec as PodSpec & { hostname?: string; subdomain?: string }).hostname = `${name}-${index}`;
    }
    const pod: Pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { generateName: index === undefined ? `${name}-` : `${name}-${index}-`, namespace: job.metadata.namespace ?? '', labels, annotations, ownerReferences: [controllerReference(job)] },
      spec,
    };
    const created = await ctx.client.create(pod);
    ctx.recorder.event(job, 'Normal', 'SuccessfulCreate', `Created pod: ${created.metadata.name ?? ''}`);
  }

  private async deletePod(ctx: ReconcileContext, pod: Pod): Promise<void> {
    try {
      await ctx.client.delete(PodRef, pod.metadata.name ?? '', pod.metadata.namespace);
    } catch (err) {
      if (!(err instanceof FloeError && err.reason === 'NotFound')) throw err;
    }
  }
}

/** The `job-controller`: Jobs primary, their Pods owned. Embedded mode only: a cluster has kube-controller-manager's. */
export function addJobController(manager: Manager, options: { clock?: Clock } = {}): void {
  manager.controller('job-controller').for(JobRef).owns(PodRef).withConcurrency(2).complete(new JobReconciler(options));
}
