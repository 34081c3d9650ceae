// The MPIJob controller (mpi-operator v2's sync loop): Service, ConfigMap, SSH Secret, workers, the launcher Job, status.
import { FloeError } from '../../api/errors.js';
import { ConfigMapRef, PodRef, SecretRef, ServiceRef, type Pod, type Service } from '../../api/core-v1.js';
import type { KubeObject } from '../../api/meta.js';
import { isControlledBy, kubeTime, realClock, type Clock, type Controller, type Manager, type ReconcileContext, type ReconcileResult, type Reconciler, type Request } from '../../controller/index.js';
import { MpiJobRef, MpiOperatorName, mpiWithDefaults, validateMpiJob, workerReplicas, type MpiJob, type MpiJobStatus } from './mpi-job.js';
import {
  BatchJobRef,
  configName,
  countWorkers,
  desiredConfigMap,
  desiredLauncher,
  desiredService,
  desiredSshSecret,
  desiredWorker,
  isMpiFinished,
  isPodReady,
  launcherCondition,
  launcherName,
  mpiCondition,
  mpiLabels,
  replicaStatus,
  setMpiCondition,
  sshSecretName,
  type ConfigMap,
  type LauncherJob,
  type MpiPlanOptions,
} from './mpi-plan.js';
import { Labels } from './types.js';

const notFound = (err: unknown): boolean => err instanceof FloeError && err.reason === 'NotFound';
const selectorOf = (labels: Record<string, string>): string => Object.entries(labels).map(([k, v]) => `${k}=${v}`).join(',');

export interface MpiJobReconcilerOptions extends MpiPlanOptions {
  clock?: Clock;
}

export class MpiJobReconciler implements Reconciler {
  private readonly clock: Clock;
  private readonly plan: MpiPlanOptions;

  constructor(options: MpiJobReconcilerOptions) {
    this.clock = options.clock ?? realClock();
    this.plan = { hostProcesses: options.hostProcesses, ...(options.runsAsRoot !== undefined ? { runsAsRoot: options.runsAsRoot } : {}) };
  }

  async reconcile(ctx: ReconcileContext, request: Request): Promise<ReconcileResult | void> {
    let stored: MpiJob;
    try {
      stored = await ctx.client.get<MpiJob>(MpiJobRef, request.name, request.namespace);
    } catch (err) {
      if (notFound(err)) return;
      throw err;
    }
    const job = mpiWithDefaults(stored);
    const managedBy = job.spec.runPolicy?.managedBy;
    // Another controller (Kueue's MultiKueue) owns this job: no children, no status from here.
    if (managedBy !== undefined && managedBy !== 'kubeflow.org/mpi-operator') return;
    if (stored.metadata.deletionTimestamp) return;
    const problems = validateMpiJob(job);
    if (problems.length > 0) {
      ctx.recorder.event(stored, 'Warning', 'ValidationError', `Found validation errors: ${problems.map((p) => `${p.field}: ${p.message}`).join(', ')}`.slice(0, 1024));
      return;
    }
    const ns = request.namespace;
    const name = request.name;
    const now = this.clock.now();
    const status: MpiJobStatus = structuredClone(stored.status ?? {});
    const before = JSON.stringify(status);
    const write = async (): Promise<void> => {
      if (JSON.stringify(status) !== before) await ctx.client.updateStatus<MpiJob>({ ...stored, status });
    };
    const suspended = job.spec.runPolicy?.suspend === true;

    if ((status.conditions ?? []).length === 0) {
      const message = `MPIJob ${ns}/${name} is created.`;
      setMpiCondition(status, 'Created', 'True', 'MPIJobCreated', message, now);
      ctx.recorder.event(stored, 'Normal', 'MPIJobCreated', message);
    }

    if (isMpiFinished(status) && status.completionTime) {
      const policy = job.spec.runPolicy?.cleanPodPolicy;
      if (policy === 'All' || policy === 'Running') {
        await this.cleanUpWorkers(ctx, job, stored, status);
        await write();
      }
      return;
    }
    if (!status.startTime && !suspended) status.startTime = kubeTime(now);

    let launcher = await this.getOwned<LauncherJob>(ctx, stored, BatchJobRef, launcherName(job), ns);
    let workers: Pod[] = [];
    const launcherDone = launcher !== undefined && (launcherCondition(launcher, 'Complete') !== undefined || launcherCondition(launcher, 'Failed') !== undefined);
    if (!launcherDone) {
      await this.ensureService(ctx, stored, desiredService(job));
      const running = (await this.workerPods(ctx, stored, job)).filter((p) => p.status?.phase === 'Running');
      await this.ensureConfigMap(ctx, stored, desiredConfigMap(job, running, this.plan));
      if (!(await this.getOwned(ctx, stored, SecretRef, sshSecretName(job), ns))) await this.createIgnoringExists(ctx, desiredSshSecret(job));
      if (!suspended) workers = await this.ensureWorkers(ctx, stored, job);
      if (!launcher && (job.spec.launcherCreationPolicy !== 'WaitForWorkersReady' || workers.filter(isPodReady).length === workers.length)) {
        try {
          launcher = await ctx.client.create(desiredLauncher(job, this.plan));
        } catch (err) {
          ctx.recorder.event(stored, 'Warning', 'MPIJobFailed', `launcher pod created failed: ${err instanceof Error ? err.message : String(err)}`);
          throw err;
        }
      }
    }

    if (launcher) {
      const jobSuspended = launcher.spec.suspend === true;
      if (jobSuspended !== suspended) launcher = await ctx.client.update<LauncherJob>({ ...launcher, spec: { ...launcher.spec, suspend: suspended } });
    }
    if (suspended) await this.cleanUpWorkers(ctx, job, stored, status);

    await this.updateStatus(ctx, stored, job, status, launcher, workers, now);
    await write();
  }

  private async updateStatus(ctx: ReconcileContext, stored: MpiJob, job: MpiJob, status: MpiJobStatus, launcher: LauncherJob | undefined, workers: readonly Pod[], now: number): Promise<void> {
    const ns = job.metadata.namespace ?? '';
    const name = job.metadata.name ?? '';
    const suspended = job.spec.runPolicy?.suspend === true;
    if (suspended) {
      if (setMpiCondition(status, 'Suspended', 'True', 'MPIJobSuspended', 'MPIJob suspended', now)) ctx.recorder.event(stored, 'Normal', 'MPIJobSuspended', 'MPIJob suspended');
    } else if (mpiCondition(status, 'Suspended')) {
      if (setMpiCondition(status, 'Suspended', 'False', 'MPIJobResumed', 'MPIJob resumed', now)) {
        ctx.recorder.event(stored, 'Normal', 'MPIJobResumed', 'MPIJob resumed');
        status.startTime = kubeTime(now);
      }
    }
    status.replicaStatuses ??= {};
    let launcherRunning = 0;
    if (launcher) {
      const pods = (await ctx.client.list<Pod>(PodRef, { namespace: ns, labelSelector: selectorOf(mpiLabels(job, 'launcher')) })).items.filter((p) => isControlledBy(p, launcher));
      launcherRunning = pods.filter((p) => p.status?.phase === 'Running').length;
      const launcherStatus = replicaStatus({ failed: launcher.status?.failed ?? 0 });
      status.replicaStatuses.Launcher = launcherStatus;
      const failed = launcherCondition(launcher, 'Failed');
      if (launcherCondition(launcher, 'Complete')) {
        launcherStatus.succeeded = 1;
        const message = `MPIJob ${ns}/${name} successfully completed.`;
        status.completionTime ??= launcher.status?.completionTime ?? kubeTime(now);
        if (setMpiCondition(status, 'Succeeded', 'True', 'MPIJobSucceeded', message, now)) ctx.recorder.event(stored, 'Normal', 'MPIJobSucceeded', message);
      } else if (failed) {
        let reason = failed.reason || 'MPIJobFailed';
        let message = failed.message || `MPIJob ${ns}/${name} has failed`;
        if (reason === 'BackoffLimitExceeded') {
          const last = pods.filter((p) => p.status?.phase === 'Failed').sort((a, b) => (a.metadata.creationTimestamp ?? '').localeCompare(b.metadata.creationTimestamp ?? '')).at(-1);
          if (last) {
            reason += `/${last.status?.reason ?? ''}`;
            message = `${message}: ${last.status?.message ?? ''}`.slice(0, 1024);
          }
        }
        status.completionTime ??= kubeTime(now);
        if (setMpiCondition(status, 'Failed', 'True', reason, message, now)) ctx.recorder.event(stored, 'Warning', reason, message);
      } else if (launcherRunning > 0) {
        launcherStatus.active = launcherRunning;
      }
    }
    const counts = countWorkers(workers);
    status.replicaStatuses.Worker = replicaStatus(counts);
    if (counts.evicted > 0) {
      const message = `${counts.evicted}/${workers.length} workers are evicted`;
      if (setMpiCondition(status, 'Failed', 'True', 'MPIJobEvicted', message, now)) ctx.recorder.event(stored, 'Warning', 'MPIJobEvicted', message);
    }
    if (suspended) {
      setMpiCondition(status, 'Running', 'False', 'MPIJobSuspended', `MPIJob ${ns}/${name} is suspended.`, now);
    } else if (isMpiFinished(status)) {
      if (!mpiCondition(status, 'Running')) {
        const at = status.completionTime ?? kubeTime(now);
        status.conditions = [...(status.conditions ?? []), { type: 'Running', status: 'False', reason: 'MPIJobRunning', message: `MPIJob ${ns}/${name} is finished but Running condition was never set.`, lastUpdateTime: at, lastTransitionTime: at }];
      }
    } else if (launcher && launcherRunning >= 1 && counts.running === workers.length) {
      const message = `MPIJob ${ns}/${name} is running.`;
      if (setMpiCondition(status, 'Running', 'True', 'MPIJobRunning', message, now)) ctx.recorder.event(stored, 'Normal', 'MPIJobRunning', message);
    }
  }

  /** Worker Pods of the job that it controls. */
  private async workerPods(ctx: ReconcileContext, owner: MpiJob, job: MpiJob): Promise<Pod[]> {
    const pods = await ctx.client.list<Pod>(PodRef, { namespace: job.metadata.namespace ?? '', labelSelector: selectorOf(mpiLabels(job, 'worker')) });
    return pods.items.filter((p) => isControlledBy(p, owner));
  }

  /** Workers `<job>-worker-<i>`: the missing ones created, those past `replicas` (a scale-down) deleted. */
  private async ensureWorkers(ctx: ReconcileContext, owner: MpiJob, job: MpiJob): Promise<Pod[]> {
    const replicas = workerReplicas(job);
    const existing = await this.workerPods(ctx, owner, job);
    const byName = new Map(existing.map((p) => [p.metadata.name ?? '', p]));
    for (const pod of existing) {
      const index = Number(pod.metadata.labels?.[Labels.replicaIndex]) - (job.spec.runLauncherAsWorker === true ? 1 : 0);
      if (Number.isInteger(index) && index >= replicas) await this.deleteIgnoringMissing(ctx, PodRef, pod.metadata.name ?? '', pod.metadata.namespace);
    }
    const out: Pod[] = [];
    for (let i = 0; i < replicas; i++) {
      const desired = desiredWorker(job, i, this.plan);
      let pod = byName.get(desired.metadata.name ?? '');
      if (!pod) {
        try {
          pod = await ctx.client.create(desired);
        } catch (err) {
          // A Pod of that name still terminating, or not ours: say so and try again later.
          ctx.recorder.event(owner, 'Warning', 'MPIJobFailed', `worker pod created failed: ${err instanceof Error ? err.message : String(err)}`);
          throw err;
        }
      }
      out.push(pod);
    }
    return out;
  }

  /** cleanPodPolicy on the workers: Running leaves finished Pods, All (or a suspension) takes them all. */
  private async cleanUpWorkers(ctx: ReconcileContext, job: MpiJob, owner: MpiJob, status: MpiJobStatus): Promise<void> {
    const policy = job.spec.runPolicy?.cleanPodPolicy;
    for (const pod of await this.workerPods(ctx, owner, job)) {
      const phase = pod.status?.phase;
      if (policy === 'Running' && phase !== 'Running' && phase !== 'Pending' && phase !== undefined) continue;
      await this.deleteIgnoringMissing(ctx, PodRef, pod.metadata.name ?? '', pod.metadata.namespace);
    }
    status.replicaStatuses = { ...(status.replicaStatuses ?? {}), Worker: {} };
  }

  private async ensureService(ctx: ReconcileContext, owner: MpiJob, desired: Service): Promise<void> {
    const svc = await this.getOwned<Service>(ctx, owner, ServiceRef, desired.metadata.name ?? '', desired.metadata.namespace);
    if (!svc) return void (await this.createIgnoringExists(ctx, desired));
    const want = desired.spec ?? {};
    if (JSON.stringify(svc.spec?.selector) !== JSON.stringify(want.selector) || (svc.spec?.publishNotReadyAddresses ?? false) !== want.publishNotReadyAddresses) {
      await ctx.client.update<Service>({ ...svc, spec: { ...svc.spec, selector: want.selector ?? {}, publishNotReadyAddresses: want.publishNotReadyAddresses ?? false } });
    }
  }

  private async ensureConfigMap(ctx: ReconcileContext, owner: MpiJob, desired: ConfigMap): Promise<void> {
    const cm = await this.getOwned<ConfigMap>(ctx, owner, ConfigMapRef, configName(owner), desired.metadata.namespace);
    if (!cm) return void (await this.createIgnoringExists(ctx, desired));
    if (JSON.stringify(cm.data ?? {}) !== JSON.stringify(desired.data)) await ctx.client.update<ConfigMap>({ ...cm, data: desired.data ?? {} });
  }

  /** The named child if it exists; one that this job does not control is a conflict the user must resolve. */
  private async getOwned<T extends KubeObject>(ctx: ReconcileContext, owner: MpiJob, ref: { apiVersion: string; kind: string }, name: string, namespace: string | undefined): Promise<T | undefined> {
    let object: T;
    try {
      object = await ctx.client.get<T>(ref, name, namespace);
    } catch (err) {
      if (notFound(err)) return undefined;
      throw err;
    }
    if (!isControlledBy(object, owner)) {
      const message = `Resource "${name}" of Kind "${ref.kind}" already exists and is not managed by MPIJob`;
      ctx.recorder.event(owner, 'Warning', 'ErrResourceExists', message);
      throw new Error(message);
    }
    return object;
  }

  private async createIgnoringExists(ctx: ReconcileContext, object: KubeObject): Promise<void> {
    try {
      await ctx.client.create(object);
    } catch (err) {
      if (!(err instanceof FloeError && err.reason === 'AlreadyExists')) throw err;
    }
  }

  private async deleteIgnoringMissing(ctx: ReconcileContext, ref: { apiVersion: string; kind: string }, name: string, namespace: string | undefined): Promise<void> {
    try {
      await ctx.client.delete(ref, name, namespace);
    } catch (err) {
      if (!notFound(err)) throw err;
    }
  }
}

export interface MpiControllerOptions extends MpiPlanOptions {
  concurrency?: number;
  clock?: Clock;
}

/** The `mpi-operator` controller: MPIJobs primary; its Pods (workers, and the launcher's by label) and launcher Job watched. */
export function addMpiJobController(manager: Manager, options: MpiControllerOptions): Controller {
  return manager
    .controller(MpiOperatorName)
    .for(MpiJobRef)
    .owns(BatchJobRef)
    .watches<Pod>(PodRef, (pod) => {
      const labels = pod.metadata.labels ?? {};
      const job = labels[Labels.jobName];
      return labels[Labels.operatorName] === MpiOperatorName && job ? [{ namespace: pod.metadata.namespace ?? '', name: job }] : [];
    })
    .withConcurrency(options.concurrency ?? 2)
    .complete(new MpiJobReconciler(options));
}
