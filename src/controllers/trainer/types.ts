// The shapes of JobSet (jobset.x-k8s.io/v1alpha2) and Kubeflow Trainer v2 (trainer.kubeflow.org/v1alpha1), with their labels.
import type { ContainerSpec, EnvVar, PodSpec } from '../../api/core-v1.js';
import type { KubeObject, ObjectMeta } from '../../api/meta.js';
import type { Condition } from '../../controller/index.js';

export const JobSetGroup = 'jobset.x-k8s.io';
export const JobSetApiVersion = 'jobset.x-k8s.io/v1alpha2';
export const JobSetRef = { apiVersion: JobSetApiVersion, kind: 'JobSet' } as const;

export const TrainerGroup = 'trainer.kubeflow.org';
export const TrainerApiVersion = 'trainer.kubeflow.org/v1alpha1';
export const TrainJobRef = { apiVersion: TrainerApiVersion, kind: 'TrainJob' } as const;
export const TrainingRuntimeRef = { apiVersion: TrainerApiVersion, kind: 'TrainingRuntime' } as const;
export const ClusterTrainingRuntimeRef = { apiVersion: TrainerApiVersion, kind: 'ClusterTrainingRuntime' } as const;

/** Labels and annotations the JobSet controller puts on its Jobs and their Pods (sigs.k8s.io/jobset's names). */
export const JobSetLabels = {
  jobSetName: 'jobset.sigs.k8s.io/jobset-name',
  jobSetUid: 'jobset.sigs.k8s.io/jobset-uid',
  replicatedJobName: 'jobset.sigs.k8s.io/replicatedjob-name',
  replicatedJobReplicas: 'jobset.sigs.k8s.io/replicatedjob-replicas',
  jobIndex: 'jobset.sigs.k8s.io/job-index',
  jobGlobalIndex: 'jobset.sigs.k8s.io/job-global-index',
  globalReplicas: 'jobset.sigs.k8s.io/global-replicas',
  jobKey: 'jobset.sigs.k8s.io/job-key',
  restartAttempt: 'jobset.sigs.k8s.io/restart-attempt',
  coordinator: 'jobset.sigs.k8s.io/coordinator',
} as const;

/** Trainer's label names and reserved names (pkg/constants). */
export const TrainerLabels = {
  ancestorStep: 'trainer.kubeflow.org/trainjob-ancestor-step',
  framework: 'trainer.kubeflow.org/framework',
  support: 'trainer.kubeflow.org/support',
} as const;

export const TrainerNames = {
  node: 'node',
  launcher: 'launcher',
  datasetInitializer: 'dataset-initializer',
  modelInitializer: 'model-initializer',
  trainerStep: 'trainer',
  /** ContainerTrainerPort: where rank 0's rendezvous store listens on a cluster. */
  trainerPort: 29500,
  trainerPortName: 'trainer',
  defaultManagedBy: 'trainer.kubeflow.org/trainjob-controller',
  multiKueue: 'kueue.x-k8s.io/multikueue',
  datasetMountPath: '/workspace/dataset',
  modelMountPath: '/workspace/model',
} as const;

// ---- JobSet ----------------------------------------------------------------------------------------------------------

export interface JobTemplateSpec {
  metadata?: ObjectMeta;
  spec: {
    parallelism?: number;
    completions?: number;
    backoffLimit?: number;
    activeDeadlineSeconds?: number;
    completionMode?: 'NonIndexed' | 'Indexed';
    suspend?: boolean;
    ttlSecondsAfterFinished?: number;
    template: { metadata?: ObjectMeta; spec: PodSpec & { subdomain?: string; hostname?: string } };
    [field: string]: unknown;
  };
}

export interface DependsOn {
  name: string;
  status: 'Ready' | 'Complete';
}

export interface ReplicatedJob {
  name: string;
  groupName?: string;
  replicas?: number;
  dependsOn?: DependsOn[];
  template: JobTemplateSpec;
}

export interface JobSetSpec {
  replicatedJobs: ReplicatedJob[];
  network?: { enableDNSHostnames?: boolean; subdomain?: string; publishNotReadyAddresses?: boolean };
  successPolicy?: { operator?: 'All' | 'Any'; targetReplicatedJobs?: string[] };
  failurePolicy?: { maxRestarts?: number; restartStrategy?: string; rules?: unknown[] };
  startupPolicy?: { startupPolicyOrder?: 'AnyOrder' | 'InOrder' };
  suspend?: boolean;
  coordinator?: { replicatedJob: string; jobIndex?: number; podIndex?: number };
  managedBy?: string;
  ttlSecondsAfterFinished?: number;
  volumeClaimPolicies?: unknown[];
}

export interface ReplicatedJobStatus {
  name: string;
  ready: number;
  succeeded: number;
  failed: number;
  active: number;
  suspended: number;
}

export interface JobSetStatus {
  conditions?: Condition[];
  restarts?: number;
  restartsCountTowardsMax?: number;
  terminalState?: 'Completed' | 'Failed';
  replicatedJobsStatus?: ReplicatedJobStatus[];
}

export interface JobSet extends KubeObject {
  spec: JobSetSpec;
  status?: JobSetStatus;
}

// ---- Trainer ---------------------------------------------------------------------------------------------------------

export interface MLPolicy {
  numNodes?: number;
  torch?: { numProcPerNode?: string | number; envInjection?: { targets?: { jobName: string; containerNames?: string[] }[] } };
  mpi?: { numProcPerNode?: number; mpiImplementation?: string; sshAuthMountPath?: string; runLauncherAsNode?: boolean };
  jax?: Record<string, unknown>;
  xgboost?: Record<string, unknown>;
  flux?: { numProcPerNode?: number };
}

export interface TrainingRuntimeSpec {
  mlPolicy?: MLPolicy;
  podGroupPolicy?: Record<string, unknown>;
  template: { metadata?: ObjectMeta; spec: JobSetSpec };
}

export interface TrainingRuntime extends KubeObject {
  spec: TrainingRuntimeSpec;
}

export interface InitializerSource {
  storageUri?: string;
  env?: EnvVar[];
  secretRef?: { name: string };
}

export interface ContainerPatch {
  name: string;
  env?: EnvVar[];
  volumeMounts?: ContainerSpec['volumeMounts'];
  securityContext?: Record<string, unknown>;
}

export interface PodSpecPatch {
  serviceAccountName?: string;
  volumes?: PodSpec['volumes'];
  initContainers?: ContainerPatch[];
  containers?: ContainerPatch[];
  imagePullSecrets?: { name: string }[];
  securityContext?: Record<string, unknown>;
  nodeSelector?: Record<string, string>;
  affinity?: Record<string, unknown>;
  tolerations?: Record<string, unknown>[];
  schedulingGates?: { name: string }[];
  terminationGracePeriodSeconds?: number;
}

export interface MetadataPatch {
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

export interface RuntimePatch {
  manager: string;
  time?: string;
  trainingRuntimeSpec?: {
    template?: {
      metadata?: MetadataPatch;
      spec?: {
        replicatedJobs?: {
          name: string;
          template?: { metadata?: MetadataPatch; spec?: { template?: { metadata?: MetadataPatch; spec?: PodSpecPatch } } };
        }[];
      };
    };
  };
}

export interface TrainerSpec {
  image?: string;
  command?: string[];
  args?: string[];
  env?: EnvVar[];
  numNodes?: number;
  resourcesPerNode?: ContainerSpec['resources'];
  numProcPerNode?: number | string;
}

export interface TrainJobSpec {
  runtimeRef: { name: string; apiGroup?: string; kind?: string };
  initializer?: { dataset?: InitializerSource; model?: InitializerSource };
  trainer?: TrainerSpec;
  runtimePatches?: RuntimePatch[];
  suspend?: boolean;
  activeDeadlineSeconds?: number;
  managedBy?: string;
}

export interface TrainJobStatus {
  conditions?: Condition[];
  jobsStatus?: ReplicatedJobStatus[];
  trainerStatus?: Record<string, unknown>;
}

export interface TrainJob extends KubeObject {
  spec: TrainJobSpec;
  status?: TrainJobStatus;
}
