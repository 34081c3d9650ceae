// Pure JobSet logic: the defaulting webhook, validation, child names and labels, the Jobs and Service wanted, and status.
import { createHash } from 'node:crypto';
import { fieldErrors, type FieldError } from '../../api/errors.js';
import { checkDns1035Label } from '../../api/names.js';
import type { Service } from '../../api/core-v1.js';
import { controllerReference, type Condition } from '../../controller/index.js';
import type { Job } from '../batch/job-controller.js';
import { JobSetLabels, type JobSet, type ReplicatedJob, type ReplicatedJobStatus } from './types.js';

export const JobSetManager = 'jobset.sigs.k8s.io/jobset-controller';

/** The messages and reasons sigs.k8s.io/jobset writes (pkg/constants). */
export const JobSetReasons = {
  completed: { reason: 'AllJobsCompleted', message: 'jobset completed successfully' },
  failedJobs: { reason: 'FailedJobs', message: 'jobset failed due to one or more job failures' },
  maxRestarts: { reason: 'ReachedMaxRestarts', message: 'jobset failed due to reaching max number of restarts' },
  suspended: { reason: 'SuspendedJobs', message: 'jobset is suspended' },
  resumed: { reason: 'ResumeJobs', message: 'jobset is resumed' },
} as const;

/** A defaulted copy, as the JobSet webhook writes it: replicas 1, DNS hostnames on, success policy All, Indexed Jobs. */
export function jobSetDefaults(js: JobSet): JobSet {
  const out = structuredClone(js);
  out.spec ??= { replicatedJobs: [] };
  out.spec.replicatedJobs ??= [];
  for (const rjob of out.spec.replicatedJobs) {
    if (typeof rjob !== 'object' || rjob === null) continue;
    rjob.replicas ??= 1;
    const spec = rjob.template?.spec;
    if (spec) {
      spec.completionMode ??= 'Indexed';
      const pod = spec.template?.spec;
      if (pod) pod.restartPolicy ??= 'OnFailure';
    }
  }
  const network = (out.spec.network ??= {});
  network.enableDNSHostnames ??= true;
  network.publishNotReadyAddresses ??= true;
  out.spec.successPolicy ??= {};
  out.spec.successPolicy.operator ??= 'All';
  out.spec.startupPolicy ??= {};
  out.spec.startupPolicy.startupPolicyOrder ??= 'AnyOrder';
  if (out.spec.failurePolicy) out.spec.failurePolicy.restartStrategy ??= 'Recreate';
  out.spec.managedBy ??= JobSetManager;
  return out;
}

/** `<jobset>-<replicatedJob>-<jobIndex>`: a child Job's name. */
export function jobName(jobSet: string, rjob: string, index: number): string {
  return `${jobSet}-${rjob}-${index}`;
}

/** The headless Service's name: the subdomain, the JobSet's name unless set. */
export function subdomainOf(js: JobSet): string {
  return js.spec.network?.subdomain || (js.metadata.name ?? '');
}

/** Every problem with a (defaulted) JobSet, with the paths kubectl shows. */
export function validateJobSet(js: JobSet): FieldError[] {
  const errs: FieldError[] = [];
  const name = js.metadata.name ?? '';
  for (const m of checkDns1035Label(name)) errs.push(fieldErrors.invalid('metadata.name', name, m));
  const rjobs = js.spec?.replicatedJobs ?? [];
  if (!Array.isArray(rjobs) || rjobs.length === 0) {
    errs.push(fieldErrors.required('spec.replicatedJobs', 'a JobSet needs at least one replicated job'));
    return errs;
  }
  const seen = new Set<string>();
  rjobs.forEach((rjob, i) => {
    const at = `spec.replicatedJobs[${i}]`;
    const rname = rjob?.name ?? '';
    for (const m of checkDns1035Label(rname)) errs.push(fieldErrors.invalid(`${at}.name`, rname, m));
    if (seen.has(rname)) errs.push(fieldErrors.duplicate(`${at}.name`, rname));
    seen.add(rname);
    const replicas = rjob?.replicas ?? 1;
    if (!Number.isInteger(replicas) || replicas < 0) errs.push(fieldErrors.invalid(`${at}.replicas`, replicas, 'must be a whole number >= 0'));
    // A Pod's hostname is `<jobset>-<rjob>-<jobIndex>-<podIndex>`: it must stay a DNS label (63 characters).
    const parallelism = rjob?.template?.spec?.parallelism ?? 1;
    const longest = `${jobName(name, rname, Math.max(0, replicas - 1))}-${Math.max(0, parallelism - 1)}`;
    if (longest.length > 63) errs.push(fieldErrors.invalid(`${at}.name`, rname, `pod hostname ${longest} would be longer than 63 characters: shorten the JobSet or replicated job name`));
    if (!rjob?.template?.spec?.template?.spec?.containers?.length) errs.push(fieldErrors.required(`${at}.template.spec.template.spec.containers`, 'at least one container is needed'));
    (rjob?.dependsOn ?? []).forEach((dep, j) => {
      if (!rjobs.slice(0, i).some((r) => r.name === dep.name)) {
        errs.push(fieldErrors.invalid(`${at}.dependsOn[${j}].name`, dep.name, 'must name a replicated job listed before this one'));
      }
      if (dep.status !== 'Ready' && dep.status !== 'Complete') errs.push(fieldErrors.notSupported(`${at}.dependsOn[${j}].status`, dep.status, ['Ready', 'Complete']));
    });
  });
  const success = js.spec.successPolicy;
  if (success?.operator !== undefined && success.operator !== 'All' && success.operator !== 'Any') errs.push(fieldErrors.notSupported('spec.successPolicy.operator', success.operator, ['All', 'Any']));
  (success?.targetReplicatedJobs ?? []).forEach((t, i) => {
    if (!seen.has(t)) errs.push(fieldErrors.invalid(`spec.successPolicy.targetReplicatedJobs[${i}]`, t, 'must name a replicated job of this JobSet'));
  });
  const maxRestarts = js.spec.failurePolicy?.maxRestarts;
  if (maxRestarts !== undefined && (!Number.isInteger(maxRestarts) || maxRestarts < 0)) errs.push(fieldErrors.invalid('spec.failurePolicy.maxRestarts', maxRestarts, 'must be a whole number >= 0'));
  const coordinator = js.spec.coordinator;
  if (coordinator && !seen.has(coordinator.replicatedJob)) errs.push(fieldErrors.invalid('spec.coordinator.replicatedJob', coordinator.replicatedJob, 'must name a replicated job of this JobSet'));
  return errs;
}

/** sha1 of `<namespace>/<job>`, as jobset writes `jobset.sigs.k8s.io/job-key`. */
function jobKey(namespace: string, name: string): string {
  return createHash('sha1').update(`${namespace}/${name}`).digest('hex');
}

/** The Job for index `index` of a replicated job, at restart attempt `restarts`. */
export function desiredJob(js: JobSet, rjob: ReplicatedJob, index: number, restarts: number): Job {
  const name = js.metadata.name ?? '';
  const namespace = js.metadata.namespace ?? '';
  const rjobs = js.spec.replicatedJobs;
  const globalReplicas = rjobs.reduce((n, r) => n + (r.replicas ?? 1), 0);
  let globalIndex = index;
  for (const r of rjobs) {
    if (r.name === rjob.name) break;
    globalIndex += r.replicas ?? 1;
  }
  const child = jobName(name, rjob.name, index);
  const identity: Record<string, string> = {
    [JobSetLabels.jobSetName]: name,
    [JobSetLabels.replicatedJobName]: rjob.name,
    [JobSetLabels.replicatedJobReplicas]: String(rjob.replicas ?? 1),
    [JobSetLabels.jobIndex]: String(index),
    [JobSetLabels.jobGlobalIndex]: String(globalIndex),
    [JobSetLabels.globalReplicas]: String(globalReplicas),
    [JobSetLabels.restartAttempt]: String(restarts),
    [JobSetLabels.jobKey]: jobKey(namespace, child),
  };
  const annotations: Record<string, string> = { ...identity, [JobSetLabels.jobSetUid]: js.metadata.uid ?? '' };
  if (js.spec.coordinator) {
    const c = js.spec.coordinator;
    annotations[JobSetLabels.coordinator] = `${jobName(name, c.replicatedJob, c.jobIndex ?? 0)}-${c.podIndex ?? 0}.${subdomainOf(js)}`;
  }
  const template = structuredClone(rjob.template);
  const podTemplate = template.spec.template;
  podTemplate.metadata = {
    ...(podTemplate.metadata ?? {}),
    labels: { ...(podTemplate.metadata?.labels ?? {}), ...identity },
    annotations: { ...(podTemplate.metadata?.annotations ?? {}), ...annotations },
  };
  if (js.spec.network?.enableDNSHostnames !== false) podTemplate.spec.subdomain = subdomainOf(js);
  const spec = { ...template.spec, suspend: js.spec.suspend === true };
  spec.parallelism ??= 1;
  spec.completions ??= spec.parallelism;
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: {
      name: child,
      namespace,
      labels: { ...(template.metadata?.labels ?? {}), ...identity },
      annotations: { ...(template.metadata?.annotations ?? {}), ...annotations },
      ownerReferences: [controllerReference(js)],
    },
    spec: spec,
  };
}

/** The headless Service that gives every Pod `<hostname>.<subdomain>`; it exposes the ports the containers declare. */
export function desiredService(js: JobSet): Service {
  const ports = new Map<number, { name?: string; port: number; targetPort: number; protocol: string }>();
  for (const rjob of js.spec.replicatedJobs) {
    for (const c of rjob.template.spec.template.spec.containers ?? []) {
      for (const p of c.ports ?? []) {
        if (p.containerPort === undefined || ports.has(p.containerPort)) continue;
        ports.set(p.containerPort, { ...(p.name ? { name: p.name } : {}), port: p.containerPort, targetPort: p.containerPort, protocol: p.protocol ?? 'TCP' });
      }
    }
  }
  const named = [...ports.values()];
  // A Service with several ports needs a name on each.
  if (named.length > 1) named.forEach((p, i) => (p.name ??= `port-${i}`));
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: subdomainOf(js), namespace: js.metadata.namespace ?? '', labels: { [JobSetLabels.jobSetName]: js.metadata.name ?? '' }, ownerReferences: [controllerReference(js)] },
    spec: {
      clusterIP: 'None',
      selector: { [JobSetLabels.jobSetName]: js.metadata.name ?? '' },
      publishNotReadyAddresses: js.spec.network?.publishNotReadyAddresses !== false,
      ...(named.length > 0 ? { ports: named } : {}),
    },
  };
}

export type JobState = 'active' | 'succeeded' | 'failed';

export function jobState(job: Job): JobState {
  const cond = job.status?.conditions ?? [];
  if (cond.some((c) => c.type === 'Complete' && c.status === 'True')) return 'succeeded';
  if (cond.some((c) => c.type === 'Failed' && c.status === 'True')) return 'failed';
  return 'active';
}

/** A Job counts as ready when its ready and succeeded Pods cover its parallelism (jobset's definition). */
export function jobReady(job: Job): boolean {
  if (jobState(job) !== 'active') return false;
  const want = Math.min(job.spec.parallelism ?? 1, job.spec.completions ?? job.spec.parallelism ?? 1);
  return (job.status?.ready ?? 0) + (job.status?.succeeded ?? 0) >= want;
}

/** `replicatedJobsStatus`: per replicated job, how many of its Jobs are ready, succeeded, failed, active, suspended. */
export function replicatedJobsStatus(js: JobSet, jobs: readonly Job[]): ReplicatedJobStatus[] {
  return js.spec.replicatedJobs.map((rjob) => {
    const mine = jobs.filter((j) => j.metadata.labels?.[JobSetLabels.replicatedJobName] === rjob.name);
    const active = mine.filter((j) => jobState(j) === 'active');
    return {
      name: rjob.name,
      ready: mine.filter(jobReady).length,
      succeeded: mine.filter((j) => jobState(j) === 'succeeded').length,
      failed: mine.filter((j) => jobState(j) === 'failed').length,
      active: active.filter((j) => j.spec.suspend !== true && (j.status?.active ?? 0) > 0).length,
      suspended: mine.filter((j) => j.spec.suspend === true).length,
    };
  });
}

/** Whether a replicated job's dependencies (and, for InOrder startup, every job before it) have reached their status. */
export function dependenciesMet(js: JobSet, rjob: ReplicatedJob, status: readonly ReplicatedJobStatus[]): boolean {
  const replicasOf = (name: string): number => js.spec.replicatedJobs.find((r) => r.name === name)?.replicas ?? 1;
  const reached = (name: string, want: 'Ready' | 'Complete'): boolean => {
    const s = status.find((x) => x.name === name);
    if (!s) return false;
    return want === 'Complete' ? s.succeeded >= replicasOf(name) : s.ready + s.succeeded >= replicasOf(name);
  };
  const deps: { name: string; status: 'Ready' | 'Complete' }[] = [...(rjob.dependsOn ?? [])];
  if (js.spec.startupPolicy?.startupPolicyOrder === 'InOrder') {
    for (const r of js.spec.replicatedJobs) {
      if (r.name === rjob.name) break;
      deps.push({ name: r.name, status: 'Ready' });
    }
  }
  return deps.every((d) => reached(d.name, d.status));
}

/** The success policy: All (or Any) Jobs of the target replicated jobs (all of them when none are named) succeeded. */
export function succeeded(js: JobSet, status: readonly ReplicatedJobStatus[]): boolean {
  const policy = js.spec.successPolicy ?? {};
  const targets = policy.targetReplicatedJobs?.length ? policy.targetReplicatedJobs : js.spec.replicatedJobs.map((r) => r.name);
  const rjobs = js.spec.replicatedJobs.filter((r) => targets.includes(r.name));
  if (policy.operator === 'Any') return rjobs.some((r) => (status.find((s) => s.name === r.name)?.succeeded ?? 0) > 0);
  return rjobs.every((r) => (status.find((s) => s.name === r.name)?.succeeded ?? 0) >= (r.replicas ?? 1));
}

export function isFinished(js: JobSet): boolean {
  return js.status?.terminalState !== undefined || (js.status?.conditions ?? []).some((c: Condition) => (c.type === 'Completed' || c.type === 'Failed') && c.status === 'True');
}
