// The kubeflow.org/v1 job shapes shared by TFJob, PyTorchJob, XGBoostJob and MXJob (training-operator v1.9; MXJob from v1.8).
import type { Condition } from '../../controller/index.js';
import type { KubeObject, ObjectMeta } from '../../api/meta.js';
import type { PodSpec } from '../../api/core-v1.js';

export const Group = 'kubeflow.org';
export const ApiVersion = 'kubeflow.org/v1';

export type ReplicaRestartPolicy = 'Always' | 'OnFailure' | 'Never' | 'ExitCode';
export type CleanPodPolicy = 'None' | 'Running' | 'All';

export interface PodTemplateSpec {
  metadata?: ObjectMeta;
  spec: PodSpec;
}

export interface ReplicaSpec {
  replicas?: number;
  restartPolicy?: ReplicaRestartPolicy;
  template: PodTemplateSpec;
}

export interface SchedulingPolicy {
  minAvailable?: number;
  queue?: string;
  minResources?: Record<string, string | number>;
  priorityClass?: string;
  scheduleTimeoutSeconds?: number;
}

export interface RunPolicy {
  cleanPodPolicy?: CleanPodPolicy;
  ttlSecondsAfterFinished?: number;
  activeDeadlineSeconds?: number;
  backoffLimit?: number;
  suspend?: boolean;
  managedBy?: string;
  schedulingPolicy?: SchedulingPolicy;
}

export interface ElasticPolicy {
  minReplicas?: number;
  maxReplicas?: number;
  rdzvBackend?: string;
  rdzvPort?: number;
  rdzvHost?: string;
  rdzvId?: string;
  rdzvConf?: { key: string; value: string }[];
  standalone?: boolean;
  nProcPerNode?: number;
  maxRestarts?: number;
  metrics?: unknown[];
}

/** The spec of any of the four kinds: the replica map sits under a kind-specific field (`tfReplicaSpecs`, …). */
export interface JobSpec {
  runPolicy?: RunPolicy;
  successPolicy?: string;
  enableDynamicWorker?: boolean;
  nprocPerNode?: string;
  elasticPolicy?: ElasticPolicy;
  jobMode?: string;
  [field: string]: unknown;
}

export type JobConditionType = 'Created' | 'Running' | 'Restarting' | 'Succeeded' | 'Suspended' | 'Failed';

/** training-operator's JobCondition: a metav1-style condition with `lastUpdateTime` too. */
export interface JobCondition extends Condition {
  lastUpdateTime?: string;
}

export interface ReplicaStatus {
  active?: number;
  succeeded?: number;
  failed?: number;
  labelSelector?: { matchLabels?: Record<string, string> };
  selector?: string;
}

export interface JobStatus {
  conditions?: JobCondition[];
  replicaStatuses?: Record<string, ReplicaStatus>;
  startTime?: string;
  completionTime?: string;
  lastReconcileTime?: string;
}

export interface TrainingJob extends KubeObject {
  spec: JobSpec;
  status?: JobStatus;
}

/** Labels the operator puts on every Pod and Service of a job (training-operator's names). */
export const Labels = {
  jobName: 'training.kubeflow.org/job-name',
  replicaType: 'training.kubeflow.org/replica-type',
  replicaIndex: 'training.kubeflow.org/replica-index',
  operatorName: 'training.kubeflow.org/operator-name',
  jobRole: 'training.kubeflow.org/job-role',
} as const;

/** Pods re-created after a retryable exit (restartPolicy ExitCode) carry how many times their replica was re-created. */
export const RecreationsAnnotation = 'training.floe.dev/recreations';
