// Pure planning for a job: its replicas' Services and Pods, what its Pods say about it, and its conditions.
import { serviceAddress } from '../../api/host-ports.js';
import { GroupAnnotation, MinAvailableAnnotation } from '../../api/gang.js';
import type { ContainerSpec, Pod, Service } from '../../api/core-v1.js';
import { controllerReference, kubeTime } from '../../controller/index.js';
import { replicaCount, replicaName, type DnsForm, type Framework, type ReplicaAddress, type ReplicaPods } from './framework.js';
import { replicaSpecs } from './spec.js';
import { Labels, type JobCondition, type JobConditionType, type JobStatus, type ReplicaSpec, type TrainingJob } from './types.js';

export function replicaLabels(fw: Framework, job: TrainingJob, replicaType: string, index?: number): Record<string, string> {
  const labels: Record<string, string> = {
    [Labels.operatorName]: fw.operatorName,
    [Labels.jobName]: job.metadata.name ?? '',
    [Labels.replicaType]: replicaType.toLowerCase(),
  };
  if (index !== undefined) labels[Labels.replicaIndex] = String(index);
  return labels;
}

/** The port the framework container exposes (its `<kind>-port`), or the default. */
export function frameworkPort(fw: Framework, spec: ReplicaSpec | undefined): number {
  const main = spec?.template.spec.containers?.find((c) => c.name === fw.container);
  return main?.ports?.find((p) => p.name === fw.portName)?.containerPort ?? fw.defaultPort;
}

/** The headless Service `{job}-{type}-{index}` that makes one replica addressable. */
export function desiredService(fw: Framework, job: TrainingJob, replicaType: string, index: number): Service {
  const spec = replicaSpecs(fw, job)[replicaType];
  const labels = replicaLabels(fw, job, replicaType, index);
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: replicaName(job.metadata.name ?? '', replicaType, index), namespace: job.metadata.namespace ?? '', labels, ownerReferences: [controllerReference(job)] },
    spec: { clusterIP: 'None', selector: labels, ports: [{ name: fw.portName, port: frameworkPort(fw, spec), targetPort: frameworkPort(fw, spec), protocol: 'TCP' }] },
  };
}

/** Addresses read from the Services: loopback host ports where Floe runs the Pods, DNS names and service ports elsewhere. */
export function addressBook(fw: Framework, job: TrainingJob, services: ReadonlyMap<string, Service>) {
  return (replicaType: string, index: number, form: DnsForm): ReplicaAddress | undefined => {
    const name = replicaName(job.metadata.name ?? '', replicaType, index);
    const svc = services.get(name);
    if (!svc) return undefined;
    const port = svc.spec?.ports?.find((p) => p.name === fw.portName) ?? svc.spec?.ports?.[0];
    if (!port) return undefined;
    const dns = form === 'short' ? name : `${name}.${job.metadata.namespace ?? ''}.svc`;
    return serviceAddress(svc, port, dns);
  };
}

/** The Pod of one replica: the template, the operator's labels, the environment contract, and ExitCode as `Never`. */
export function desiredPod(fw: Framework, job: TrainingJob, replicaType: string, index: number, address: ReturnType<typeof addressBook>): Pod {
  const replicas = replicaSpecs(fw, job);
  const spec = replicas[replicaType];
  if (!spec) throw new Error(`${fw.kind} ${job.metadata.name ?? ''} has no ${replicaType} replicas`);
  const template = structuredClone(spec.template);
  const labels = { ...(template.metadata?.labels ?? {}), ...replicaLabels(fw, job, replicaType, index) };
  if (fw.isMasterRole(replicas, replicaType, index)) labels[Labels.jobRole] = 'master';
  const annotations = { ...(template.metadata?.annotations ?? {}) };
  const minAvailable = job.spec.runPolicy?.schedulingPolicy?.minAvailable;
  if (minAvailable !== undefined) {
    annotations[GroupAnnotation] = job.metadata.name ?? '';
    annotations[MinAvailableAnnotation] = String(minAvailable);
  }
  const env = fw.env({ job, replicas, replicaType, index, address });
  const containers: ContainerSpec[] = (template.spec.containers ?? []).map((c) =>
    fw.envOnAllContainers || c.name === fw.container ? { ...c, env: [...(c.env ?? []), ...env] } : c,
  );
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: replicaName(job.metadata.name ?? '', replicaType, index),
      namespace: job.metadata.namespace ?? '',
      labels,
      ...(Object.keys(annotations).length > 0 ? { annotations } : {}),
      ownerReferences: [controllerReference(job)],
    },
    spec: { ...template.spec, containers, restartPolicy: podRestartPolicy(spec.restartPolicy ?? fw.defaultRestartPolicy) },
  };
}

function podRestartPolicy(policy: ReplicaSpec['restartPolicy']): 'Always' | 'OnFailure' | 'Never' {
  return policy === 'ExitCode' || policy === undefined ? 'Never' : policy;
}

/** Replica type and index a Pod or Service was made for, from its labels. */
export function replicaOf(fw: Framework, object: { metadata: { labels?: Record<string, string> } }): { type: string; index: number } | undefined {
  const labels = object.metadata.labels ?? {};
  const type = fw.replicaTypes.find((t) => t.toLowerCase() === labels[Labels.replicaType]);
  const index = Number(labels[Labels.replicaIndex]);
  if (!type || !Number.isInteger(index) || index < 0) return undefined;
  return { type, index };
}

/** ExitCode semantics: 128–255 (signals, OOM kills, preemption) are retryable; 1–127 are the program's own failure. */
export function retryableExitCode(code: number | undefined): boolean {
  return code !== undefined && code >= 128;
}

/** A Pod whose containers are crash-looping (restartPolicy OnFailure or Always). */
export function crashLooping(pod: Pod): boolean {
  return (pod.status?.containerStatuses ?? []).some((s) => s.state?.waiting?.reason === 'CrashLoopBackOff' || (s.state?.terminated !== undefined && s.state.terminated.exitCode !== 0));
}

/** Failures so far: container restarts, Pods re-created after a retryable exit, and Pods failed or crashed right now. */
export function failureCount(pods: readonly Pod[], recreations: number): number {
  let n = recreations;
  for (const pod of pods) {
    for (const s of pod.status?.containerStatuses ?? []) n += s.restartCount ?? 0;
    if (pod.status?.phase === 'Failed' || crashLooping(pod)) n += 1;
  }
  return n;
}

export interface ReplicaView {
  byType: Record<string, ReplicaPods>;
  /** Pods that failed for good (not retried by their policy), per replica type. */
  failed: Record<string, Pod[]>;
}

/** Which indices of each replica type succeeded, run, or failed. */
export function viewReplicas(fw: Framework, job: TrainingJob, pods: readonly Pod[]): ReplicaView {
  const replicas = replicaSpecs(fw, job);
  const byType: Record<string, ReplicaPods> = {};
  const failed: Record<string, Pod[]> = {};
  for (const [type, spec] of Object.entries(replicas)) byType[type] = { replicas: replicaCount(spec), succeeded: new Set(), running: new Set() };
  for (const pod of pods) {
    const at = replicaOf(fw, pod);
    if (!at) continue;
    const view = byType[at.type];
    if (!view || at.index >= view.replicas) continue;
    if (pod.status?.phase === 'Succeeded') view.succeeded.add(at.index);
    else if (pod.status?.phase === 'Running') view.running.add(at.index);
    else if (pod.status?.phase === 'Failed') (failed[at.type] ??= []).push(pod);
  }
  return { byType, failed };
}

/** `replicaStatuses` as training-operator reports it: Running Pods are active. */
export function replicaStatuses(fw: Framework, job: TrainingJob, pods: readonly Pod[]): NonNullable<JobStatus['replicaStatuses']> {
  const out: NonNullable<JobStatus['replicaStatuses']> = {};
  for (const type of Object.keys(replicaSpecs(fw, job))) {
    const labels = replicaLabels(fw, job, type);
    out[type] = {
      active: 0,
      succeeded: 0,
      failed: 0,
      selector: Object.entries(labels).map(([k, v]) => `${k}=${v}`).join(','),
    };
  }
  for (const pod of pods) {
    const at = replicaOf(fw, pod);
    const status = at ? out[at.type] : undefined;
    if (!status) continue;
    if (pod.status?.phase === 'Running') status.active = (status.active ?? 0) + 1;
    else if (pod.status?.phase === 'Succeeded') status.succeeded = (status.succeeded ?? 0) + 1;
    else if (pod.status?.phase === 'Failed') status.failed = (status.failed ?? 0) + 1;
  }
  return out;
}

export function findJobCondition(status: JobStatus, type: JobConditionType): JobCondition | undefined {
  return status.conditions?.find((c) => c.type === type);
}

export function isFinished(status: JobStatus): boolean {
  return (status.conditions ?? []).some((c) => (c.type === 'Succeeded' || c.type === 'Failed') && c.status === 'True');
}

/**
 * training-operator's condition rules: one condition per type, appended last when it changes (so the last one is the
 * job's state); Running and Restarting replace each other; Succeeded or Failed turn Running to False.
 */
export function setJobCondition(status: JobStatus, type: JobConditionType, value: 'True' | 'False', reason: string, message: string, now: number): boolean {
  const conditions = status.conditions ?? [];
  const existing = conditions.find((c) => c.type === type);
  if (existing && existing.status === value && existing.reason === reason && existing.message === message) return false;
  const at = kubeTime(now);
  const next: JobCondition = { type, status: value, reason, message, lastUpdateTime: at, lastTransitionTime: existing && existing.status === value ? existing.lastTransitionTime : at };
  const kept = conditions
    .filter((c) => c.type !== type && !(type === 'Restarting' && c.type === 'Running') && !(type === 'Running' && c.type === 'Restarting'))
    .map((c) => ((type === 'Succeeded' || type === 'Failed') && c.type === 'Running' && c.status === 'True' ? { ...c, status: 'False' as const, lastUpdateTime: at, lastTransitionTime: at } : c));
  status.conditions = [...kept, next];
  return true;
}

