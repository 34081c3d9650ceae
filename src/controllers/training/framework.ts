// What differs between TFJob, PyTorchJob, XGBoostJob and MXJob: names, defaults, checks, the environment contract, success.
import type { FieldError } from '../../api/errors.js';
import type { EnvVar, Pod } from '../../api/core-v1.js';
import type { CleanPodPolicy, ReplicaRestartPolicy, ReplicaSpec, TrainingJob } from './types.js';

/** Where one replica is reached: `host:port` as the framework's peers should dial it. */
export interface ReplicaAddress {
  host: string;
  port: number;
}

/** DNS forms the frameworks use on a cluster: the bare Service name, or `<svc>.<namespace>.svc`. */
export type DnsForm = 'short' | 'svc';

/** What a plug-in needs to write one replica's environment. */
export interface EnvContext {
  job: TrainingJob;
  replicas: Record<string, ReplicaSpec>;
  replicaType: string;
  index: number;
  /** The address of replica `index` of `replicaType`, read from its Service; undefined for a replica that does not exist. */
  address(replicaType: string, index: number, form: DnsForm): ReplicaAddress | undefined;
}

/** Pods of one replica type, for the success rule. */
export interface ReplicaPods {
  replicas: number;
  succeeded: Set<number>;
  running: Set<number>;
}

export interface Framework {
  kind: 'TFJob' | 'PyTorchJob' | 'XGBoostJob' | 'MXJob';
  plural: string;
  singular: string;
  shortNames: string[];
  /** The spec field holding the replica map. */
  replicaSpecsField: string;
  /** Replica types in canonical CamelCase, in the order their Pods are made. */
  replicaTypes: readonly string[];
  /** The container the operator configures (environment, default port). */
  container: string;
  portName: string;
  defaultPort: number;
  defaultRestartPolicy: ReplicaRestartPolicy;
  defaultCleanPodPolicy: CleanPodPolicy;
  /** Replica types that must have exactly one replica when present, and those that must be present. */
  singleton: readonly string[];
  required: readonly string[];
  /** The operator name recorded in `training.kubeflow.org/operator-name`. */
  operatorName: string;
  /** Kind-specific spec fields for the CRD schema (besides runPolicy and the replica map). */
  specSchema: Record<string, unknown>;
  /** Kind-specific defaults, after the common ones. */
  setDefaults?(job: TrainingJob): void;
  /** Kind-specific checks, after the common ones. */
  validate?(job: TrainingJob, replicas: Record<string, ReplicaSpec>): FieldError[];
  /** Which containers get the environment: only the framework container, or all of them. */
  envOnAllContainers: boolean;
  env(ctx: EnvContext): EnvVar[];
  /** Whether replica (type, index) carries `training.kubeflow.org/job-role: master`. */
  isMasterRole(replicas: Record<string, ReplicaSpec>, replicaType: string, index: number): boolean;
  /** Whether the job has succeeded, given its replicas' Pods. */
  succeeded(job: TrainingJob, pods: Record<string, ReplicaPods>): boolean;
}

export function replicaCount(spec: ReplicaSpec | undefined): number {
  return spec?.replicas ?? 1;
}

export function totalReplicas(replicas: Record<string, ReplicaSpec>): number {
  return Object.values(replicas).reduce((n, spec) => n + replicaCount(spec), 0);
}

/** `{job}-{replicatype}-{index}`, as the operator names a replica's Pod and Service. */
export function replicaName(job: string, replicaType: string, index: number): string {
  return `${job}-${replicaType.toLowerCase()}-${index}`.replace(/\//g, '-');
}

export function env(name: string, value: string): EnvVar {
  return { name, value };
}

/** A Pod's exit code from its framework container (or the first terminated one). */
export function exitCodeOf(pod: Pod, container: string): number | undefined {
  const statuses = pod.status?.containerStatuses ?? [];
  const status = statuses.find((s) => s.name === container) ?? statuses.find((s) => s.state?.terminated);
  return status?.state?.terminated?.exitCode ?? status?.lastState?.terminated?.exitCode;
}

/** Every index of a replica type has succeeded. */
export function allSucceeded(pods: ReplicaPods | undefined): boolean {
  return pods !== undefined && pods.succeeded.size >= pods.replicas;
}
