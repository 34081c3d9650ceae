// The replicated-job reconciler, one instance per kind: Services and Pods per replica, run policy, conditions and replica statuses.
import { FloeError } from '../../api/errors.js';
import { PodRef, ServiceRef, type Pod, type Service } from '../../api/core-v1.js';
import { isControlledBy, kubeTime, realClock, TerminalError, type Clock, type ReconcileContext, type ReconcileResult, type Reconciler, type Request } from '../../controller/index.js';
import { exitCodeOf, replicaCount, replicaName, type Framework } from './framework.js';
import {
  addressBook,
  crashLooping,
  desiredPod,
  desiredService,
  failureCount,
  findJobCondition,
  isFinished,
  replicaOf,
  replicaStatuses,
  retryableExitCode,
  setJobCondition,
  viewReplicas,
} from './plan.js';
import { isManagedElsewhere, replicaSpecs, validateJob, withDefaults } from './spec.js';
import { ApiVersion, Labels, RecreationsAnnotation, type JobStatus, type TrainingJob } from './types.js';

export interface TrainingJobReconcilerOptions {
  framework: Framework;
  clock?: Clock;
}

const notFound = (err: unknown): boolean => err instanceof FloeError && err.reason === 'NotFound';
const alreadyExists = (err: unknown): boolean => err instanceof FloeError && err.reason === 'AlreadyExists';

function recreationsOf(service: Service | undefined): number {
  const n = Number(service?.metadata.annotations?.[RecreationsAnnotation] ?? 0);
  return Number.isInteger(n) && n > 0 ? n : 0;
}

export class TrainingJobReconciler implements Reconciler {
  private readonly fw: Framework;
  private readonly clock: Clock;

  constructor(options: TrainingJobReconcilerOptions) {
    this.fw = options.framework;
    this.clock = options.clock ?? realClock();
  }

  async reconcile(ctx: ReconcileContext, request: Request): Promise<ReconcileResult | void> {
    const fw = this.fw;
    const kind = fw.kind;
    let stored: TrainingJob;
    try {
      stored = await ctx.client.get<TrainingJob>({ apiVersion: ApiVersion, kind }, request.name, request.namespace);
    } catch (err) {
      if (notFound(err)) return;
      throw err;
    }
    // Children carry ownerReferences: garbage collection removes them with the job.
    if (stored.metadata.deletionTimestamp) return;
    // Managed by another controller (Kueue's MultiKueue): it runs the job and writes its status, not this operator.
    if (isManagedElsewhere(stored)) return;
    const job = withDefaults(fw, stored);
    const name = request.name;
    const ns = request.namespace;
    const status: JobStatus = structuredClone(stored.status ?? {});
    const before = JSON.stringify(status);
    const now = this.clock.now();
    const write = async (): Promise<void> => {
      if (JSON.stringify(status) === before) return;
      await ctx.client.updateStatus<TrainingJob>({ ...stored, status });
    };

    const problems = validateJob(fw, job);
    if (problems.length > 0) {
      const message = `${kind}.kubeflow.org "${name}" is invalid: ${problems.map((p) => `${p.field}: ${p.message}`).join('; ')}`;
      setJobCondition(status, 'Failed', 'True', `${kind}FailedValidation`, message, now);
      await write();
      throw new TerminalError(message, { reason: `${kind}FailedValidation` });
    }

    if (!findJobCondition(status, 'Created')) {
      const message = `${kind} ${name} is created.`;
      setJobCondition(status, 'Created', 'True', `${kind}Created`, message, now);
      ctx.recorder.event(stored, 'Normal', `${kind}Created`, message);
    }

    const selector = `${Labels.jobName}=${name},${Labels.operatorName}=${fw.operatorName}`;
    const pods = (await ctx.client.list<Pod>(PodRef, { namespace: ns, labelSelector: selector })).items.filter((p) => isControlledBy(p, stored));
    const services = (await ctx.client.list<Service>(ServiceRef, { namespace: ns, labelSelector: selector })).items.filter((s) => isControlledBy(s, stored));
    const runPolicy = job.spec.runPolicy ?? {};

    if (isFinished(status)) {
      const policy = runPolicy.cleanPodPolicy ?? fw.defaultCleanPodPolicy;
      const doomed = policy === 'None' ? [] : pods.filter((p) => policy === 'All' || p.status?.phase === 'Running' || p.status?.phase === 'Pending' || p.status?.phase === undefined);
      await this.deleteReplicas(ctx, ns, doomed.map((p) => p.metadata.name ?? ''));
      if (findJobCondition(status, 'Succeeded')?.status === 'True') {
        for (const rs of Object.values(status.replicaStatuses ?? {})) {
          rs.succeeded = (rs.succeeded ?? 0) + (rs.active ?? 0);
          rs.active = 0;
        }
      }
      await write();
      return this.afterFinished(ctx, stored, status, runPolicy.ttlSecondsAfterFinished, now);
    }

    if (runPolicy.suspend === true) {
      await this.deleteReplicas(ctx, ns, [...new Set([...pods, ...services].map((o) => o.metadata.name ?? ''))]);
      const message = `${kind} ${name} is suspended.`;
      if (findJobCondition(status, 'Running')?.status === 'True') setJobCondition(status, 'Running', 'False', `${kind}Suspended`, message, now);
      if (findJobCondition(status, 'Suspended')?.status !== 'True') {
        setJobCondition(status, 'Suspended', 'True', `${kind}Suspended`, message, now);
        ctx.recorder.event(stored, 'Normal', `${kind}Suspended`, message);
      }
      for (const rs of Object.values(status.replicaStatuses ?? {})) rs.active = 0;
      await write();
      return;
    }
    if (findJobCondition(status, 'Suspended')?.status === 'True') {
      const message = `${kind} ${name} is resumed.`;
      setJobCondition(status, 'Suspended', 'False', `${kind}Resumed`, message, now);
      status.startTime = kubeTime(now);
      ctx.recorder.event(stored, 'Normal', `${kind}Resumed`, message);
    }
    status.startTime ??= kubeTime(now);

    // Run policy limits: the backoff limit counts every failure, the deadline runs from the start time.
    const recreations = services.reduce((n, s) => n + recreationsOf(s), 0);
    let limit: string | undefined;
    if (runPolicy.backoffLimit !== undefined && failureCount(pods, recreations) > runPolicy.backoffLimit) {
      limit = `Job ${name} has failed because it has reached the specified backoff limit`;
    } else if (runPolicy.activeDeadlineSeconds !== undefined && now >= Date.parse(status.startTime) + runPolicy.activeDeadlineSeconds * 1000) {
      limit = `Job ${name} has failed because it was active longer than specified deadline`;
    }
    if (limit) {
      await this.deleteReplicas(ctx, ns, [...new Set([...pods, ...services].map((o) => o.metadata.name ?? ''))]);
      status.replicaStatuses = replicaStatuses(fw, job, []);
      status.completionTime ??= kubeTime(now);
      setJobCondition(status, 'Failed', 'True', `${kind}Failed`, limit, now);
      ctx.recorder.event(stored, 'Normal', `${kind}Failed`, limit);
      await write();
      return this.afterFinished(ctx, stored, status, runPolicy.ttlSecondsAfterFinished, now);
    }

    // Services first: a Pod's environment holds its peers' addresses, read from their Services.
    const replicas = replicaSpecs(fw, job);
    const serviceByName = new Map(services.map((s) => [s.metadata.name ?? '', s]));
    const podByName = new Map(pods.map((p) => [p.metadata.name ?? '', p]));
    for (const s of services) {
      const at = replicaOf(fw, s);
      if (!at || at.index >= replicaCount(replicas[at.type])) await this.deleteObject(ctx, ServiceRef, s.metadata.name ?? '', ns);
    }
    for (const type of fw.replicaTypes) {
      for (let i = 0; i < (replicas[type] ? replicaCount(replicas[type]) : 0); i++) {
        const svcName = replicaName(name, type, i);
        if (serviceByName.has(svcName)) continue;
        serviceByName.set(svcName, await this.createService(ctx, desiredService(fw, job, type, i)));
      }
    }
    const address = addressBook(fw, job, serviceByName);

    let restarting = false;
    const failedForGood: Record<string, number> = {};
    for (const pod of pods) {
      const at = replicaOf(fw, pod);
      if (!at || at.index >= replicaCount(replicas[at.type])) {
        await this.deleteObject(ctx, PodRef, pod.metadata.name ?? '', ns);
        podByName.delete(pod.metadata.name ?? '');
        continue;
      }
      if (crashLooping(pod)) restarting = true;
      if (pod.status?.phase !== 'Failed') continue;
      const policy = replicas[at.type]?.restartPolicy ?? fw.defaultRestartPolicy;
      if (policy === 'ExitCode' && retryableExitCode(exitCodeOf(pod, fw.container))) {
        // Retryable: the Pod goes and comes back; its Service remembers how often, for the backoff limit.
        const svc = serviceByName.get(pod.metadata.name ?? '');
        if (svc) serviceByName.set(svc.metadata.name ?? '', await this.countRecreation(ctx, svc));
        await this.deleteObject(ctx, PodRef, pod.metadata.name ?? '', ns);
        podByName.delete(pod.metadata.name ?? '');
        restarting = true;
        ctx.recorder.event(stored, 'Normal', 'ExitedWithCode', `Pod: ${ns}.${pod.metadata.name ?? ''} exited with code ${exitCodeOf(pod, fw.container) ?? '?'}; restarting it (restartPolicy ExitCode)`);
      } else {
        failedForGood[at.type] = (failedForGood[at.type] ?? 0) + 1;
      }
    }

    const failedTypes = Object.entries(failedForGood);
    if (failedTypes.length === 0) {
      for (const type of fw.replicaTypes) {
        for (let i = 0; i < (replicas[type] ? replicaCount(replicas[type]) : 0); i++) {
          const podName = replicaName(name, type, i);
          if (podByName.has(podName)) continue;
          const created = await this.createPod(ctx, desiredPod(fw, job, type, i, address));
          if (created) {
            podByName.set(podName, created);
            ctx.recorder.event(stored, 'Normal', 'SuccessfulCreatePod', `Created pod: ${podName}`);
          }
        }
      }
    }

    const current = [...podByName.values()];
    status.replicaStatuses = replicaStatuses(fw, job, current);
    const view = viewReplicas(fw, job, current);
    if (failedTypes.length > 0) {
      const [type, count] = failedTypes[0] ?? ['', 0];
      const message = `${kind} ${ns}/${name} has failed because ${count} ${type} replica(s) failed.`;
      status.completionTime ??= kubeTime(now);
      setJobCondition(status, 'Failed', 'True', `${kind}Failed`, message, now);
      ctx.recorder.event(stored, 'Normal', `${kind}Failed`, message);
    } else if (fw.succeeded(job, view.byType)) {
      const message = `${kind} ${ns}/${name} successfully completed.`;
      status.completionTime ??= kubeTime(now);
      setJobCondition(status, 'Succeeded', 'True', `${kind}Succeeded`, message, now);
      ctx.recorder.event(stored, 'Normal', `${kind}Succeeded`, message);
    } else if (restarting) {
      const message = `${kind} ${ns}/${name} is restarting because a replica failed.`;
      if (setJobCondition(status, 'Restarting', 'True', `${kind}Restarting`, message, now)) ctx.recorder.event(stored, 'Warning', `${kind}Restarting`, message);
    } else if (Object.values(view.byType).some((r) => r.running.size > 0)) {
      setJobCondition(status, 'Running', 'True', `${kind}Running`, `${kind} ${ns}/${name} is running.`, now);
    }
    await write();
    if (isFinished(status)) return { requeueAfterMs: 0 };
    if (runPolicy.activeDeadlineSeconds !== undefined && status.startTime) {
      return { requeueAfterMs: Math.max(0, Date.parse(status.startTime) + runPolicy.activeDeadlineSeconds * 1000 - now) };
    }
  }

  /** ttlSecondsAfterFinished: the job itself goes once that long has passed since it finished. */
  private async afterFinished(ctx: ReconcileContext, job: TrainingJob, status: JobStatus, ttl: number | undefined, now: number): Promise<ReconcileResult | void> {
    if (ttl === undefined || !status.completionTime) return;
    const due = Date.parse(status.completionTime) + ttl * 1000;
    if (now < due) return { requeueAfterMs: due - now };
    await this.deleteObject(ctx, { apiVersion: ApiVersion, kind: this.fw.kind }, job.metadata.name ?? '', job.metadata.namespace ?? '');
  }

  private async createService(ctx: ReconcileContext, service: Service): Promise<Service> {
    try {
      return await ctx.client.create(service);
    } catch (err) {
      if (!alreadyExists(err)) throw err;
      return ctx.client.get<Service>(ServiceRef, service.metadata.name ?? '', service.metadata.namespace);
    }
  }

  private async createPod(ctx: ReconcileContext, pod: Pod): Promise<Pod | undefined> {
    try {
      return await ctx.client.create(pod);
    } catch (err) {
      // A Pod of that name still terminating: the next reconcile (its deletion is watched) tries again.
      if (alreadyExists(err)) return undefined;
      throw err;
    }
  }

  private async countRecreation(ctx: ReconcileContext, service: Service): Promise<Service> {
    const annotations = { ...(service.metadata.annotations ?? {}), [RecreationsAnnotation]: String(recreationsOf(service) + 1) };
    return ctx.client.update<Service>({ ...service, metadata: { ...service.metadata, annotations } });
  }

  /** Deletes a replica's Pod and its Service (they share the name). */
  private async deleteReplicas(ctx: ReconcileContext, namespace: string, names: readonly string[]): Promise<void> {
    for (const n of names) {
      await this.deleteObject(ctx, PodRef, n, namespace);
      await this.deleteObject(ctx, ServiceRef, n, namespace);
    }
  }

  private async deleteObject(ctx: ReconcileContext, ref: { apiVersion: string; kind: string }, name: string, namespace: string | undefined): Promise<void> {
    try {
      await ctx.client.delete(ref, name, namespace);
    } catch (err) {
      if (!notFound(err)) throw err;
    }
  }
}
