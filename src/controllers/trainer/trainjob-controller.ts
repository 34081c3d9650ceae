// The TrainJob controller: resolves the runtime, makes the JobSet (and, first, the headless Service whose address rank 0
// is reached at), and copies the JobSet's state into the TrainJob's conditions and jobsStatus.
import { FloeError } from '../../api/errors.js';
import { serviceAddress } from '../../api/host-ports.js';
import { ConfigMapRef, SecretRef, ServiceRef, type Service } from '../../api/core-v1.js';
import type { KubeObject } from '../../api/meta.js';
import { controllerReference, isControlledBy, realClock, setCondition, type Clock, type Manager, type ReconcileContext, type ReconcileResult, type Reconciler, type Request } from '../../controller/index.js';
import { subdomainOf } from './jobset-plan.js';
import { BuildError, copiedConditions, desiredJobSet, dnsMaster, frameworkOf, mpiKeyPair, mpiObjects, needsMasterPort, type Framework, type MasterAddress, type PlanOptions } from './trainjob-plan.js';
import { ClusterTrainingRuntimeRef, JobSetLabels, JobSetRef, TrainerNames, TrainingRuntimeRef, TrainJobRef, type JobSet, type TrainJob, type TrainJobStatus, type TrainingRuntime } from './types.js';

const isReason = (err: unknown, reason: string): boolean => err instanceof FloeError && err.reason === reason;

export interface TrainJobReconcilerOptions {
  clock?: Clock;
  /** Frameworks this mode cannot run, with the reason a TrainJob that uses one fails with. */
  unsupported?: Partial<Record<Framework, string>>;
  /** Initializer storage URI schemes this mode cannot fetch from (`hf`), with the reason. */
  unsupportedStorage?: Readonly<Record<string, string>>;
  /** Where the Pods run: as processes on this machine, MPI runtimes start their daemons through Floe's rsh agent. */
  plan?: PlanOptions;
}

export class TrainJobReconciler implements Reconciler {
  private readonly clock: Clock;
  private readonly unsupported: Partial<Record<Framework, string>>;
  private readonly unsupportedStorage: Readonly<Record<string, string>>;
  private readonly plan: PlanOptions;

  constructor(options: TrainJobReconcilerOptions = {}) {
    this.clock = options.clock ?? realClock();
    this.unsupported = options.unsupported ?? {};
    this.unsupportedStorage = options.unsupportedStorage ?? {};
    this.plan = options.plan ?? {};
  }

  async reconcile(ctx: ReconcileContext, request: Request): Promise<ReconcileResult | void> {
    let job: TrainJob;
    try {
      job = await ctx.client.get<TrainJob>(TrainJobRef, request.name, request.namespace);
    } catch (err) {
      if (isReason(err, 'NotFound')) return;
      throw err;
    }
    if (job.metadata.deletionTimestamp) return;
    // MultiKueue (or another manager) runs this one.
    if ((job.spec.managedBy ?? TrainerNames.defaultManagedBy) !== TrainerNames.defaultManagedBy) return;
    const now = this.clock.now();
    const status: TrainJobStatus = structuredClone(job.status ?? {});
    const before = JSON.stringify(status);
    const conditions = (status.conditions ??= []);
    const write = async (): Promise<void> => {
      if (JSON.stringify(status) !== before) await ctx.client.updateStatus<TrainJob>({ ...job, status });
    };
    const finished = (): boolean => conditions.some((c) => (c.type === 'Complete' || c.type === 'Failed') && c.status === 'True');
    const fail = async (reason: string, message: string): Promise<void> => {
      setCondition(conditions, { type: 'Failed', status: 'True', reason, message }, now);
      ctx.recorder.event(job, 'Warning', reason, message);
      await write();
    };

    const ns = request.namespace ?? '';
    let jobSet = await this.getJobSet(ctx, request.name, ns);
    if (jobSet && !isControlledBy(jobSet, job)) {
      await fail('TrainJobResourcesCreationFailed', `JobSet ${ns}/${request.name} exists and is not controlled by this TrainJob`);
      return;
    }
    if (finished()) {
      this.copyStatus(status, jobSet, now);
      await write();
      return;
    }

    const kind = job.spec.runtimeRef.kind ?? 'ClusterTrainingRuntime';
    if (kind !== 'ClusterTrainingRuntime' && kind !== 'TrainingRuntime') {
      await fail('TrainingRuntimeNotSupported', `runtimeRef kind ${kind} is not supported: use TrainingRuntime or ClusterTrainingRuntime`);
      return;
    }
    let runtime: TrainingRuntime;
    try {
      runtime = kind === 'ClusterTrainingRuntime'
        ? await ctx.client.get<TrainingRuntime>(ClusterTrainingRuntimeRef, job.spec.runtimeRef.name)
        : await ctx.client.get<TrainingRuntime>(TrainingRuntimeRef, job.spec.runtimeRef.name, ns);
    } catch (err) {
      if (!isReason(err, 'NotFound')) throw err;
      const message = `${kind} ${kind === 'TrainingRuntime' ? `${ns}/` : ''}${job.spec.runtimeRef.name} not found`;
      ctx.recorder.event(job, 'Warning', 'TrainJobResourcesCreationFailed', message);
      // Retried with backoff: the runtime may be created later.
      throw new FloeError('NotFound', message);
    }
    const framework = frameworkOf(runtime);
    const refusal = this.unsupported[framework];
    if (refusal) {
      await fail('TrainingRuntimeNotSupported', `${kind} ${runtime.metadata.name ?? ''} (${framework}): ${refusal}`);
      return;
    }

    for (const which of ['dataset', 'model'] as const) {
      const uri = job.spec.initializer?.[which]?.storageUri ?? '';
      const why = this.unsupportedStorage[uri.split('://')[0] ?? ''];
      if (uri.includes('://') && why && !jobSet) {
        await fail('TrainJobResourcesCreationFailed', `spec.initializer.${which}.storageUri ${uri}: ${why}`);
        return;
      }
    }

    if (!jobSet && framework === 'mpi') await this.ensureMpiObjects(ctx, job, runtime);
    if (!jobSet) {
      const master = needsMasterPort(framework) ? await this.masterAddress(ctx, job, runtime) : dnsMaster(job);
      let desired: JobSet;
      try {
        desired = desiredJobSet(job, runtime, master, this.plan);
      } catch (err) {
        if (!(err instanceof BuildError)) throw err;
        await fail('TrainJobResourcesCreationFailed', err.message);
        return;
      }
      try {
        jobSet = await ctx.client.create<JobSet>(desired);
      } catch (err) {
        if (isReason(err, 'AlreadyExists')) return { requeueAfterMs: 0 };
        if (err instanceof FloeError && (err.reason === 'Invalid' || err.reason === 'BadRequest')) {
          await fail('TrainJobResourcesCreationFailed', err.message);
          return;
        }
        throw err;
      }
    } else if ((jobSet.spec.suspend === true) !== (job.spec.suspend === true)) {
      // Suspend and resume; a suspended TrainJob's runtime patches reach the JobSet before it resumes.
      let spec = { ...jobSet.spec, suspend: job.spec.suspend === true };
      if (jobSet.spec.suspend === true) {
        try {
          const master = needsMasterPort(framework) ? await this.masterAddress(ctx, job, runtime) : dnsMaster(job);
          const desired = desiredJobSet(job, runtime, master, this.plan);
          spec = { ...spec, replicatedJobs: desired.spec.replicatedJobs };
          jobSet.metadata.labels = { ...(jobSet.metadata.labels ?? {}), ...(desired.metadata.labels ?? {}) };
          jobSet.metadata.annotations = { ...(jobSet.metadata.annotations ?? {}), ...(desired.metadata.annotations ?? {}) };
        } catch (err) {
          if (!(err instanceof BuildError)) throw err;
        }
      }
      jobSet = await ctx.client.update<JobSet>({ ...jobSet, spec });
    }

    const suspended = conditions.find((c) => c.type === 'Suspended');
    if (job.spec.suspend === true && suspended?.status !== 'True') {
      setCondition(conditions, { type: 'Suspended', status: 'True', reason: 'Suspended', message: 'TrainJob is suspended' }, now);
    } else if (job.spec.suspend !== true && suspended?.status === 'True') {
      setCondition(conditions, { type: 'Suspended', status: 'False', reason: 'Resumed', message: 'TrainJob is resumed' }, now);
    }
    this.copyStatus(status, jobSet, now);

    // activeDeadlineSeconds runs from creation, or from the last resume.
    const deadline = job.spec.activeDeadlineSeconds;
    if (deadline !== undefined && job.spec.suspend !== true && !finished()) {
      const resumed = conditions.find((c) => c.type === 'Suspended' && c.status === 'False')?.lastTransitionTime;
      const start = Date.parse(resumed ?? job.metadata.creationTimestamp ?? new Date(now).toISOString());
      const due = start + deadline * 1000;
      if (now >= due) {
        if (jobSet && jobSet.spec.suspend !== true) await ctx.client.update<JobSet>({ ...jobSet, spec: { ...jobSet.spec, suspend: true } });
        await fail('DeadlineExceeded', 'TrainJob exceeded its active deadline');
        return;
      }
      await write();
      return { requeueAfterMs: due - now };
    }
    await write();
  }

  private copyStatus(status: TrainJobStatus, jobSet: JobSet | undefined, now: number): void {
    const conditions = (status.conditions ??= []);
    for (const c of copiedConditions(jobSet)) {
      const have = conditions.find((x) => x.type === c.type);
      if (have && have.status === 'True') continue;
      setCondition(conditions, { type: c.type, status: 'True', reason: c.reason, message: c.message }, Date.parse(c.lastTransitionTime) || now);
    }
    if (jobSet?.status?.replicatedJobsStatus) status.jobsStatus = structuredClone(jobSet.status.replicatedJobsStatus);
  }

  /** MPI: the ssh-auth Secret (made once) and the hostfile ConfigMap (kept to the node count) the Pods mount. */
  private async ensureMpiObjects(ctx: ReconcileContext, job: TrainJob, runtime: TrainingRuntime): Promise<void> {
    const ns = job.metadata.namespace ?? '';
    const { secret, hostfile } = mpiObjects(job, runtime, mpiKeyPair(), this.plan);
    for (const [ref, want] of [[SecretRef, secret], [ConfigMapRef, hostfile]] as const) {
      try {
        const have = await ctx.client.get<KubeObject & { data?: Record<string, string> }>(ref, want.metadata.name ?? '', ns);
        const data = (want as { data?: Record<string, string> }).data;
        if (ref === ConfigMapRef && JSON.stringify(have.data) !== JSON.stringify(data)) await ctx.client.update({ ...have, ...(data ? { data } : {}) });
      } catch (err) {
        if (!isReason(err, 'NotFound')) throw err;
        await ctx.client.create(want);
      }
    }
  }

  private async getJobSet(ctx: ReconcileContext, name: string, namespace: string): Promise<JobSet | undefined> {
    try {
      return await ctx.client.get<JobSet>(JobSetRef, name, namespace);
    } catch (err) {
      if (isReason(err, 'NotFound')) return undefined;
      throw err;
    }
  }

  /**
   * Rank 0's address, read from the JobSet's headless Service (made here first, so the address is known before the
   * Pods' environment is written): a loopback host port where Floe runs the Pods, `<job>-node-0-0.<job>:29500` on a cluster.
   */
  private async masterAddress(ctx: ReconcileContext, job: TrainJob, runtime: TrainingRuntime): Promise<MasterAddress> {
    const name = job.metadata.name ?? '';
    const namespace = job.metadata.namespace ?? '';
    const subdomain = subdomainOf({ apiVersion: '', kind: 'JobSet', metadata: { name }, spec: runtime.spec.template.spec });
    let svc: Service;
    try {
      svc = await ctx.client.get<Service>(ServiceRef, subdomain, namespace);
    } catch (err) {
      if (!isReason(err, 'NotFound')) throw err;
      const want: Service = {
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name: subdomain, namespace, labels: { [JobSetLabels.jobSetName]: name }, ownerReferences: [controllerReference(job)] },
        spec: {
          clusterIP: 'None',
          selector: { [JobSetLabels.jobSetName]: name },
          publishNotReadyAddresses: runtime.spec.template.spec.network?.publishNotReadyAddresses !== false,
          ports: [{ name: TrainerNames.trainerPortName, port: TrainerNames.trainerPort, targetPort: TrainerNames.trainerPort, protocol: 'TCP' }],
        },
      };
      try {
        svc = await ctx.client.create<Service>(want);
      } catch (e) {
        if (!isReason(e, 'AlreadyExists')) throw e;
        svc = await ctx.client.get<Service>(ServiceRef, subdomain, namespace);
      }
    }
    const port = svc.spec?.ports?.find((p) => p.port === TrainerNames.trainerPort) ?? { name: TrainerNames.trainerPortName, port: TrainerNames.trainerPort };
    return serviceAddress(svc, port, `${name}-${TrainerNames.node}-0-0.${subdomain}`);
  }
}

/** The `trainjob-controller`: TrainJobs primary, their JobSet and Service owned. */
export function addTrainJobController(manager: Manager, options: TrainJobReconcilerOptions = {}): void {
  manager.controller('trainjob-controller').for(TrainJobRef).owns(JobSetRef).owns(ServiceRef).withConcurrency(2).complete(new TrainJobReconciler(options));
}

