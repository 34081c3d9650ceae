// MPIJob kubeflow.org/v2beta1 (kubeflow/mpi-operator v0.8): its shape, CRD, defaults and checks, every bad field at once.
import { errors, fieldErrors, type FieldError } from '../../api/errors.js';
import type { AdmissionPlugin } from '../../controller/index.js';
import { checkDns1035Label } from '../../api/names.js';
import type { KubeObject } from '../../api/meta.js';
import type { JobCondition, PodTemplateSpec, SchedulingPolicy } from './types.js';
import { Group } from './types.js';

export const MpiApiVersion = 'kubeflow.org/v2beta1';
export const MpiJobRef = { apiVersion: MpiApiVersion, kind: 'MPIJob' } as const;
/** The operator name in `training.kubeflow.org/operator-name`, and the controller's name. */
export const MpiOperatorName = 'mpi-operator';
/** `runPolicy.managedBy` values: the mpi-operator itself, or Kueue's MultiKueue (then Floe leaves the job alone). */
export const MpiManagers = ['kubeflow.org/mpi-operator', 'kueue.x-k8s.io/multikueue'] as const;

export type MpiReplicaType = 'Launcher' | 'Worker';
export const MpiReplicaTypes: readonly MpiReplicaType[] = ['Launcher', 'Worker'];
export type MpiImplementation = 'OpenMPI' | 'Intel' | 'MPICH';
export const MpiImplementations: readonly MpiImplementation[] = ['OpenMPI', 'Intel', 'MPICH'];
export type LauncherCreationPolicy = 'AtStartup' | 'WaitForWorkersReady';
const cleanPodPolicies = ['None', 'Running', 'All'] as const;
/** mpi-operator accepts only these two for its replicas (ExitCode and Always are training-operator's). */
const restartPolicies = ['Never', 'OnFailure'] as const;

export interface MpiReplicaSpec {
  replicas?: number;
  restartPolicy?: string;
  template: PodTemplateSpec;
}

export interface MpiRunPolicy {
  cleanPodPolicy?: string;
  ttlSecondsAfterFinished?: number;
  activeDeadlineSeconds?: number;
  backoffLimit?: number;
  schedulingPolicy?: SchedulingPolicy;
  suspend?: boolean;
  managedBy?: string;
}

export interface MpiJobSpec {
  slotsPerWorker?: number;
  runLauncherAsWorker?: boolean;
  runPolicy?: MpiRunPolicy;
  mpiReplicaSpecs?: Partial<Record<string, MpiReplicaSpec>>;
  sshAuthMountPath?: string;
  launcherCreationPolicy?: string;
  mpiImplementation?: string;
}

export interface MpiReplicaStatus {
  active?: number;
  succeeded?: number;
  failed?: number;
  selector?: string;
}

export interface MpiJobStatus {
  conditions?: JobCondition[];
  replicaStatuses?: Partial<Record<MpiReplicaType, MpiReplicaStatus>>;
  startTime?: string;
  completionTime?: string;
  lastReconcileTime?: string;
}

export interface MpiJob extends KubeObject {
  spec: MpiJobSpec;
  status?: MpiJobStatus;
}

/** The controller's defaulting (mpi-operator's SetDefaults_MPIJob), applied to a copy. */
export function mpiWithDefaults(job: MpiJob): MpiJob {
  const out = structuredClone(job);
  out.spec ??= {};
  const spec = out.spec;
  spec.runPolicy ??= {};
  spec.runPolicy.cleanPodPolicy ??= 'None';
  spec.slotsPerWorker ??= 1;
  spec.sshAuthMountPath ||= '/root/.ssh';
  spec.mpiImplementation ||= 'OpenMPI';
  spec.launcherCreationPolicy ||= 'AtStartup';
  const launcher = spec.mpiReplicaSpecs?.Launcher;
  if (launcher && typeof launcher === 'object') {
    launcher.restartPolicy ||= 'OnFailure';
    launcher.replicas ??= 1;
  }
  const worker = spec.mpiReplicaSpecs?.Worker;
  if (worker && typeof worker === 'object') {
    worker.restartPolicy ||= 'Never';
    worker.replicas ??= 0;
  }
  return out;
}

export function workerReplicas(job: MpiJob): number {
  return job.spec.mpiReplicaSpecs?.Worker?.replicas ?? 0;
}

/** mpi-operator's ValidateMPIJob on a defaulted job, with the paths kubectl shows. */
export function validateMpiJob(job: MpiJob): FieldError[] {
  const errs: FieldError[] = [];
  const spec = job.spec;
  const name = job.metadata.name ?? '';
  // The longest hostname the job will have must be a DNS-1035 label.
  const workers = workerReplicas(job);
  const longest = `${name}-worker-${Math.max(workers, 1) - 1}`;
  const bad = checkDns1035Label(longest);
  if (bad.length > 0) errs.push(fieldErrors.invalid('metadata.name', name, `will not able to create pod and service with invalid DNS label "${longest}": ${bad.join(', ')}`));

  const specs = spec.mpiReplicaSpecs;
  const at = 'spec.mpiReplicaSpecs';
  if (!specs || typeof specs !== 'object') {
    errs.push(fieldErrors.required(at, 'must have replica specs'));
  } else {
    for (const key of Object.keys(specs)) if (!MpiReplicaTypes.includes(key as MpiReplicaType)) errs.push(fieldErrors.notSupported(`${at}[${key}]`, key, MpiReplicaTypes));
    const launcher = specs.Launcher;
    if (!launcher) errs.push(fieldErrors.required(`${at}[Launcher]`, 'must have Launcher replica spec'));
    else {
      errs.push(...validateReplica(launcher, `${at}[Launcher]`));
      if (launcher.replicas !== undefined && launcher.replicas !== 1) errs.push(fieldErrors.invalid(`${at}[Launcher].replicas`, launcher.replicas, 'must be 1'));
    }
    const worker = specs.Worker;
    if (worker) {
      errs.push(...validateReplica(worker, `${at}[Worker]`));
      if (worker.replicas !== undefined && worker.replicas <= 0) errs.push(fieldErrors.invalid(`${at}[Worker].replicas`, worker.replicas, 'must be greater than or equal to 1'));
    }
  }
  if (spec.slotsPerWorker === undefined) errs.push(fieldErrors.required('spec.slotsPerWorker', 'must have number of slots per worker'));
  else if (!Number.isInteger(spec.slotsPerWorker) || spec.slotsPerWorker < 0) errs.push(fieldErrors.invalid('spec.slotsPerWorker', spec.slotsPerWorker, 'must be greater than or equal to 0'));

  const policy = spec.runPolicy ?? {};
  if (policy.cleanPodPolicy === undefined) errs.push(fieldErrors.required('spec.runPolicy.cleanPodPolicy', 'must have clean Pod policy'));
  else if (!(cleanPodPolicies as readonly string[]).includes(policy.cleanPodPolicy)) errs.push(fieldErrors.notSupported('spec.runPolicy.cleanPodPolicy', policy.cleanPodPolicy, cleanPodPolicies));
  for (const field of ['ttlSecondsAfterFinished', 'activeDeadlineSeconds', 'backoffLimit'] as const) {
    const v = policy[field];
    if (v !== undefined && v < 0) errs.push(fieldErrors.invalid(`spec.runPolicy.${field}`, v, 'must be greater than or equal to 0'));
  }
  if (policy.managedBy !== undefined && !(MpiManagers as readonly string[]).includes(policy.managedBy)) errs.push(fieldErrors.notSupported('spec.runPolicy.managedBy', policy.managedBy, MpiManagers));
  if (!spec.sshAuthMountPath) errs.push(fieldErrors.required('spec.sshAuthMountPath', 'must have a mount path for SSH credentials'));
  if (!(MpiImplementations as readonly string[]).includes(spec.mpiImplementation ?? '')) errs.push(fieldErrors.notSupported('spec.mpiImplementation', spec.mpiImplementation, MpiImplementations));
  return errs;
}

function validateReplica(spec: MpiReplicaSpec, at: string): FieldError[] {
  const errs: FieldError[] = [];
  if (typeof spec !== 'object' || spec === null) return [fieldErrors.required(at)];
  if (spec.replicas === undefined) errs.push(fieldErrors.required(`${at}.replicas`, 'must define number of replicas'));
  if (!(restartPolicies as readonly string[]).includes(spec.restartPolicy ?? '')) errs.push(fieldErrors.notSupported(`${at}.restartPolicy`, spec.restartPolicy ?? '', restartPolicies));
  if ((spec.template?.spec?.containers ?? []).length === 0) errs.push(fieldErrors.required(`${at}.template.spec.containers`, 'must define at least one container'));
  return errs;
}

/** Semantic checks as admission runs them: on the defaulted job, as the operator would see it. */
export function admitMpiJob(object: KubeObject): FieldError[] {
  return validateMpiJob(mpiWithDefaults(object as MpiJob));
}

/**
 * `runPolicy.managedBy` is immutable once set (as the CRD's validation rule says upstream): a job moves between
 * controllers only by being re-created.
 */
export function mpiUpdateErrors(object: KubeObject, old: KubeObject | undefined): FieldError[] {
  if (!old) return [];
  const now = (object as MpiJob).spec?.runPolicy?.managedBy;
  const before = (old as MpiJob).spec?.runPolicy?.managedBy;
  return now === before ? [] : [fieldErrors.invalid('spec.runPolicy.managedBy', now ?? null, 'field is immutable')];
}

const int32 = (extra: Record<string, unknown> = {}): Record<string, unknown> => ({ type: 'integer', format: 'int32', ...extra });

/** The CRD as mpi-operator ships it (schema defaults included); Pod templates are kept as given. */
export function mpiJobCrd(): KubeObject {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `mpijobs.${Group}`, labels: { 'app.kubernetes.io/part-of': 'floe', 'app.kubernetes.io/component': 'mpi-operator' } },
    spec: {
      group: Group,
      scope: 'Namespaced',
      names: { kind: 'MPIJob', listKind: 'MPIJobList', plural: 'mpijobs', singular: 'mpijob', categories: ['all', 'kubeflow'] },
      versions: [
        {
          name: 'v2beta1',
          served: true,
          storage: true,
          subresources: { status: {} },
          schema: {
            openAPIV3Schema: {
              type: 'object',
              properties: {
                apiVersion: { type: 'string' },
                kind: { type: 'string' },
                metadata: { type: 'object' },
                spec: {
                  type: 'object',
                  required: ['mpiReplicaSpecs'],
                  properties: {
                    launcherCreationPolicy: { type: 'string', default: 'AtStartup' },
                    mpiImplementation: { type: 'string', enum: [...MpiImplementations], default: 'OpenMPI' },
                    mpiReplicaSpecs: {
                      type: 'object',
                      additionalProperties: {
                        type: 'object',
                        properties: {
                          replicas: int32(),
                          restartPolicy: { type: 'string' },
                          template: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
                        },
                      },
                    },
                    runLauncherAsWorker: { type: 'boolean', default: false },
                    runPolicy: {
                      type: 'object',
                      properties: {
                        activeDeadlineSeconds: { type: 'integer', format: 'int64' },
                        backoffLimit: int32(),
                        cleanPodPolicy: { type: 'string' },
                        managedBy: { type: 'string' },
                        schedulingPolicy: {
                          type: 'object',
                          properties: {
                            minAvailable: int32(),
                            minResources: { type: 'object', additionalProperties: { 'x-kubernetes-int-or-string': true } },
                            priorityClass: { type: 'string' },
                            queue: { type: 'string' },
                            scheduleTimeoutSeconds: int32(),
                          },
                        },
                        suspend: { type: 'boolean', default: false },
                        ttlSecondsAfterFinished: int32(),
                      },
                    },
                    slotsPerWorker: int32({ default: 1 }),
                    sshAuthMountPath: { type: 'string', default: '/root/.ssh' },
                  },
                },
                status: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
              },
            },
          },
        },
      ],
    },
  };
}

/** Admission for MPIJobs: mpi-operator's checks on the defaulted job, and managedBy kept as it was. */
export const mpiJobAdmission: AdmissionPlugin = {
  handles: (type) => type.group === Group && type.kind === 'MPIJob',
  admit: (object, old) => {
    const problems = [...admitMpiJob(object), ...mpiUpdateErrors(object, old)];
    if (problems.length > 0) throw errors.invalid(Group, 'MPIJob', object.metadata.name ?? '', problems);
  },
};
