// Pure planning for an MPIJob: its Service, hostfile ConfigMap, SSH Secret, worker Pods, launcher Job, and its status.
import { generateKeyPairSync } from 'node:crypto';
import type { ContainerSpec, EnvVar, Pod, PodSpec, Service, Volume } from '../../api/core-v1.js';
import type { KubeObject, ObjectMeta } from '../../api/meta.js';
import { controllerReference, kubeTime } from '../../controller/index.js';
import { MpiOperatorName, type MpiJob, type MpiJobStatus, type MpiReplicaSpec, type MpiReplicaType, workerReplicas } from './mpi-job.js';
import { Labels, type JobCondition, type JobConditionType } from './types.js';

export const BatchJobRef = { apiVersion: 'batch/v1', kind: 'Job' } as const;

/** The launcher: a batch/v1 Job, as mpi-operator v2 makes it (the Job's own controller retries and times it). */
export interface LauncherJob extends KubeObject {
  spec: {
    backoffLimit?: number;
    activeDeadlineSeconds?: number;
    ttlSecondsAfterFinished?: number;
    suspend?: boolean;
    podReplacementPolicy?: string;
    template: { metadata?: ObjectMeta; spec: PodSpec };
  };
  status?: {
    active?: number;
    failed?: number;
    succeeded?: number;
    ready?: number;
    completionTime?: string;
    conditions?: { type: string; status: string; reason?: string; message?: string; lastTransitionTime?: string }[];
  };
}

export interface ConfigMap extends KubeObject {
  data?: Record<string, string>;
}

export interface Secret extends KubeObject {
  type?: string;
  data?: Record<string, string>;
}

const configMountPath = '/etc/mpi';
const hostfileName = 'hostfile';
const discoverHostsName = 'discover_hosts.sh';
/** Floe's rsh agent for the local runtime (docs/compatibility.md, "MPIJob"): in the config volume beside the hostfile. */
export const rshAgentName = 'floe_rsh_agent.sh';

export const launcherName = (job: MpiJob): string => `${job.metadata.name ?? ''}-launcher`;
export const workerName = (job: MpiJob, index: number): string => `${job.metadata.name ?? ''}-worker-${index}`;
export const configName = (job: MpiJob): string => `${job.metadata.name ?? ''}-config`;
export const sshSecretName = (job: MpiJob): string => `${job.metadata.name ?? ''}-ssh`;

/** Where the Pods run, which decides how mpirun reaches the workers. */
export interface MpiPlanOptions {
  /**
   * The Pods run as processes on this machine (Floe's local runtime): no sshd, so mpirun starts its daemons through
   * the rsh agent in the config volume, and the workers' sshd command is replaced by a process that waits.
   */
  hostProcesses: boolean;
  /** `OMPI_ALLOW_RUN_AS_ROOT`: Pods run as root here, which mpirun refuses unless told. */
  runsAsRoot?: boolean;
}

export function mpiLabels(job: MpiJob, role: 'launcher' | 'worker'): Record<string, string> {
  return { [Labels.operatorName]: MpiOperatorName, [Labels.jobName]: job.metadata.name ?? '', [Labels.jobRole]: role };
}

const runLauncherAsWorker = (job: MpiJob): boolean => job.spec.runLauncherAsWorker === true;

function fqdn(job: MpiJob, host: string): string {
  return `${host}.${job.metadata.name ?? ''}.${job.metadata.namespace ?? ''}.svc`;
}

function hostLine(job: MpiJob, host: string): string {
  const slots = job.spec.slotsPerWorker ?? 1;
  return job.spec.mpiImplementation === 'OpenMPI' ? `${fqdn(job, host)} slots=${slots}\n` : `${fqdn(job, host)}:${slots}\n`;
}

/**
 * The rsh agent: Open MPI (`plm_rsh_agent`) and Hydra (`*_BOOTSTRAP_EXEC`) call it as `agent [ssh options] <host>
 * <command…>` (the ssh options are mpi-operator's `-o ConnectionAttempts=10`, skipped here). Every
 * Pod is a process on this machine, so it runs the daemon's command here, tagged with the worker it stands for.
 */
export const rshAgent = `#!/bin/sh
# Floe's local runtime: every Pod of this MPIJob runs on this machine, without sshd. mpirun calls this as its rsh
# agent ("agent [ssh options] <host> <command...>") and the MPI daemon for <host> starts here, with the worker's role.
while [ $# -gt 0 ]; do
  case "$1" in
    -[bcDEeFIiJLlmOopQRSWw]) shift 2 ;;
    -*) shift ;;
    *) break ;;
  esac
done
host="$1"; shift
export K_MPI_JOB_ROLE=worker FLOE_MPI_HOST="$host"
exec /bin/sh -c "$*"
`;

/** The `<job>-config` ConfigMap: hostfile, discover_hosts.sh (running workers only), and the local rsh agent. */
export function desiredConfigMap(job: MpiJob, runningWorkers: readonly Pod[], options: MpiPlanOptions): ConfigMap {
  let hostfile = '';
  let discover = '#!/bin/sh\n';
  if (runLauncherAsWorker(job)) {
    hostfile += hostLine(job, launcherName(job));
    discover += `echo ${fqdn(job, launcherName(job))}\n`;
  }
  for (let i = 0; i < workerReplicas(job); i++) hostfile += hostLine(job, workerName(job, i));
  for (const pod of [...runningWorkers].sort((a, b) => (a.metadata.name ?? '').localeCompare(b.metadata.name ?? ''))) {
    discover += `echo ${fqdn(job, pod.metadata.name ?? '')}\n`;
  }
  const data: Record<string, string> = { [hostfileName]: hostfile, [discoverHostsName]: discover };
  if (options.hostProcesses) data[rshAgentName] = rshAgent;
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: configName(job), namespace: job.metadata.namespace ?? '', labels: { app: job.metadata.name ?? '' }, ownerReferences: [controllerReference(job)] },
    data,
  };
}

/** The headless Service `<job>` that gives launcher and workers their `<pod>.<job>.<ns>.svc` names. */
export function desiredService(job: MpiJob): Service {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: job.metadata.name ?? '', namespace: job.metadata.namespace ?? '', labels: { app: job.metadata.name ?? '' }, ownerReferences: [controllerReference(job)] },
    spec: {
      clusterIP: 'None',
      selector: { [Labels.operatorName]: MpiOperatorName, [Labels.jobName]: job.metadata.name ?? '' },
      publishNotReadyAddresses: runLauncherAsWorker(job),
    },
  };
}

/** An SSH key pair as mpi-operator makes it: ECDSA P-521, the private key in SEC1 PEM, the public one as authorized_keys. */
export function sshKeyPair(): { privateKey: string; publicKey: string } {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-521' });
  const pem = privateKey.export({ format: 'pem', type: 'sec1' }).toString();
  const jwk = publicKey.export({ format: 'jwk' });
  const point = Buffer.concat([Buffer.from([4]), Buffer.from(jwk.x ?? '', 'base64url'), Buffer.from(jwk.y ?? '', 'base64url')]);
  const field = (b: Buffer): Buffer => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(b.length);
    return Buffer.concat([len, b]);
  };
  const blob = Buffer.concat([field(Buffer.from('ecdsa-sha2-nistp521')), field(Buffer.from('nistp521')), field(point)]);
  return { privateKey: pem, publicKey: `ecdsa-sha2-nistp521 ${blob.toString('base64')}\n` };
}

/** The `<job>-ssh` Secret (type kubernetes.io/ssh-auth) that launcher and workers mount at sshAuthMountPath. */
export function desiredSshSecret(job: MpiJob, keys = sshKeyPair()): Secret {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: sshSecretName(job), namespace: job.metadata.namespace ?? '', labels: { app: job.metadata.name ?? '' }, ownerReferences: [controllerReference(job)] },
    type: 'kubernetes.io/ssh-auth',
    data: { 'ssh-privatekey': Buffer.from(keys.privateKey).toString('base64'), 'ssh-publickey': Buffer.from(keys.publicKey).toString('base64') },
  };
}

function withSsh(spec: PodSpec, job: MpiJob): void {
  const volume: Volume = {
    name: 'ssh-auth',
    secret: {
      secretName: sshSecretName(job),
      ...(job.spec.sshAuthMountPath === '/root/.ssh' ? { defaultMode: 0o600 } : {}),
      items: [
        { key: 'ssh-privatekey', path: 'id_rsa' },
        { key: 'ssh-publickey', path: 'id_rsa.pub' },
        { key: 'ssh-publickey', path: 'authorized_keys' },
      ],
    },
  };
  spec.volumes = [...(spec.volumes ?? []), volume];
  const main = spec.containers[0];
  if (main) main.volumeMounts = [...(main.volumeMounts ?? []), { name: 'ssh-auth', mountPath: job.spec.sshAuthMountPath ?? '/root/.ssh' }];
}

function podRestartPolicy(spec: MpiReplicaSpec | undefined): 'Always' | 'OnFailure' | 'Never' {
  const p = spec?.restartPolicy;
  return p === 'Always' || p === 'OnFailure' ? p : 'Never';
}

/** A worker's first container runs sshd upstream (explicitly, or by default when it has no command). */
export function runsSshd(container: ContainerSpec): boolean {
  const command = [...(container.command ?? []), ...(container.args ?? [])];
  if (command.length === 0) return true;
  return /(^|\/)sshd$/.test(command[0] ?? '');
}

/** Worker `<job>-worker-<index>`: the template, the operator's labels, hostname + subdomain, K_MPI_JOB_ROLE, SSH keys. */
export function desiredWorker(job: MpiJob, index: number, options: MpiPlanOptions): Pod {
  const replica = job.spec.mpiReplicaSpecs?.Worker;
  const template = structuredClone(replica?.template ?? { spec: { containers: [] } });
  const name = workerName(job, index);
  const labels = { ...(template.metadata?.labels ?? {}), ...mpiLabels(job, 'worker'), [Labels.replicaIndex]: String(runLauncherAsWorker(job) ? index + 1 : index) };
  const spec: PodSpec = { ...template.spec, hostname: name, subdomain: job.metadata.name ?? '', restartPolicy: podRestartPolicy(replica) };
  spec.containers = spec.containers.map((c) => ({ ...c }));
  const main = spec.containers[0];
  if (main) {
    if (options.hostProcesses && runsSshd(main)) {
      // No sshd here: the worker holds its place (Ready, Running) while mpirun's daemons start through the rsh agent.
      main.command = ['sleep', 'infinity'];
      main.args = [];
    } else if ((main.command ?? []).length === 0 && (main.args ?? []).length === 0) {
      main.command = ['/usr/sbin/sshd', '-De'];
    }
    main.env = [...(main.env ?? []), { name: 'K_MPI_JOB_ROLE', value: 'worker' }];
  }
  withSsh(spec, job);
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace: job.metadata.namespace ?? '',
      labels,
      ...(template.metadata?.annotations ? { annotations: template.metadata.annotations } : {}),
      ownerReferences: [controllerReference(job)],
    },
    spec,
  };
}

/** Open MPI's launcher variables where the Pods are processes on this machine (also used by Trainer's MPI TrainJobs). */
export function localOpenMpiEnv(agent: string, runsAsRoot: boolean): EnvVar[] {
  const env: EnvVar[] = [{ name: 'OMPI_MCA_plm_rsh_agent', value: agent }];
  // Ranks of different "hosts" share one machine: shared memory (vader) between them crashes, so TCP over loopback.
  env.push({ name: 'OMPI_MCA_btl', value: 'self,tcp' }, { name: 'OMPI_MCA_btl_tcp_if_include', value: 'lo' }, { name: 'OMPI_MCA_oob_tcp_if_include', value: 'lo' });
  if (runsAsRoot) env.push({ name: 'OMPI_ALLOW_RUN_AS_ROOT', value: '1' }, { name: 'OMPI_ALLOW_RUN_AS_ROOT_CONFIRM', value: '1' });
  return env;
}

/** The launcher's environment for its MPI implementation (hostfile, slots, rsh arguments), and Floe's rsh agent. */
export function launcherEnv(job: MpiJob, options: MpiPlanOptions): EnvVar[] {
  const hostfile = `${configMountPath}/${hostfileName}`;
  const agent = `${configMountPath}/${rshAgentName}`;
  const slots = String(job.spec.slotsPerWorker ?? 1);
  const env: EnvVar[] = [{ name: 'K_MPI_JOB_ROLE', value: 'launcher' }];
  const add = (name: string, value: string): void => void env.push({ name, value });
  const implementation = job.spec.mpiImplementation === 'Intel' || job.spec.mpiImplementation === 'MPICH' ? job.spec.mpiImplementation : 'OpenMPI';
  switch (implementation) {
    case 'Intel':
      add('I_MPI_HYDRA_HOST_FILE', hostfile);
      add('I_MPI_HYDRA_BOOTSTRAP_EXEC_EXTRA_ARGS', '-o ConnectionAttempts=10');
      add('I_MPI_PERHOST', slots);
      if (options.hostProcesses) {
        add('I_MPI_HYDRA_BOOTSTRAP', 'rsh');
        add('I_MPI_HYDRA_BOOTSTRAP_EXEC', agent);
      }
      break;
    case 'MPICH':
      add('HYDRA_HOST_FILE', hostfile);
      add('HYDRA_LAUNCH_EXTRA_ARGS', '-o ConnectionAttempts=10');
      if (options.hostProcesses) {
        add('HYDRA_LAUNCHER', 'rsh');
        add('HYDRA_LAUNCHER_EXEC', agent);
      }
      break;
    case 'OpenMPI':
      add('OMPI_MCA_orte_keep_fqdn_hostnames', 'true');
      add('OMPI_MCA_orte_default_hostfile', hostfile);
      add('OMPI_MCA_plm_rsh_args', '-o ConnectionAttempts=10');
      add('OMPI_MCA_orte_set_default_slots', slots);
      if (options.hostProcesses) env.push(...localOpenMpiEnv(agent, options.runsAsRoot === true));
  }
  if (!runLauncherAsWorker(job)) env.push({ name: 'NVIDIA_VISIBLE_DEVICES' }, { name: 'NVIDIA_DRIVER_CAPABILITIES' });
  return env;
}

/** The launcher Job `<job>-launcher`: run policy's backoff, deadline and TTL, suspend, the config volume at /etc/mpi. */
export function desiredLauncher(job: MpiJob, options: MpiPlanOptions): LauncherJob {
  const replica = job.spec.mpiReplicaSpecs?.Launcher;
  const template = structuredClone(replica?.template ?? { spec: { containers: [] } });
  const name = launcherName(job);
  const labels = { ...(template.metadata?.labels ?? {}), ...mpiLabels(job, 'launcher'), ...(runLauncherAsWorker(job) ? { [Labels.replicaIndex]: '0' } : {}) };
  const spec: PodSpec = { ...template.spec, hostname: name, subdomain: job.metadata.name ?? '', restartPolicy: podRestartPolicy(replica) };
  spec.containers = spec.containers.map((c) => ({ ...c }));
  const main = spec.containers[0];
  if (main) {
    main.env = [...(main.env ?? []), ...launcherEnv(job, options)];
    main.volumeMounts = [...(main.volumeMounts ?? []), { name: 'mpi-job-config', mountPath: configMountPath }];
  }
  withSsh(spec, job);
  const items = [
    { key: hostfileName, path: hostfileName, mode: 0o444 },
    { key: discoverHostsName, path: discoverHostsName, mode: 0o555 },
    ...(options.hostProcesses ? [{ key: rshAgentName, path: rshAgentName, mode: 0o555 }] : []),
  ];
  spec.volumes = [...(spec.volumes ?? []), { name: 'mpi-job-config', configMap: { name: configName(job), items } }];
  const policy = job.spec.runPolicy ?? {};
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name, namespace: job.metadata.namespace ?? '', labels: { app: job.metadata.name ?? '' }, ownerReferences: [controllerReference(job)] },
    spec: {
      ...(policy.ttlSecondsAfterFinished !== undefined ? { ttlSecondsAfterFinished: policy.ttlSecondsAfterFinished } : {}),
      ...(policy.activeDeadlineSeconds !== undefined ? { activeDeadlineSeconds: policy.activeDeadlineSeconds } : {}),
      ...(policy.backoffLimit !== undefined ? { backoffLimit: policy.backoffLimit } : {}),
      ...(policy.suspend === true ? { suspend: true } : {}),
      podReplacementPolicy: 'Failed',
      template: { metadata: { labels, ...(template.metadata?.annotations ? { annotations: template.metadata.annotations } : {}) }, spec },
    },
  };
}

// ---- status ---------------------------------------------------------------------------------------------

export const isPodReady = (p: Pod): boolean => (p.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');

export function launcherCondition(launcher: LauncherJob | undefined, type: 'Complete' | 'Failed'): { reason?: string; message?: string } | undefined {
  return launcher?.status?.conditions?.find((c) => c.type === type && c.status === 'True');
}

export function isMpiFinished(status: MpiJobStatus): boolean {
  return (status.conditions ?? []).some((c) => (c.type === 'Succeeded' || c.type === 'Failed') && c.status === 'True');
}

export function mpiCondition(status: MpiJobStatus, type: JobConditionType): JobCondition | undefined {
  return status.conditions?.find((c) => c.type === type);
}

/**
 * mpi-operator's setCondition: unchanged when type, status and reason match; Running and Restarting replace each
 * other; Succeeded or Failed turn Running (and an older Failed) to False; the changed condition goes last.
 */
export function setMpiCondition(status: MpiJobStatus, type: JobConditionType, value: 'True' | 'False', reason: string, message: string, now: number): boolean {
  const conditions = status.conditions ?? [];
  const current = conditions.find((c) => c.type === type);
  if (current && current.status === value && current.reason === reason) return false;
  const at = kubeTime(now);
  const next: JobCondition = { type, status: value, reason, message, lastUpdateTime: at, lastTransitionTime: current && current.status === value ? (current.lastTransitionTime ?? at) : at };
  const kept = conditions
    .filter((c) => c.type !== type && !(type === 'Restarting' && c.type === 'Running') && !(type === 'Running' && c.type === 'Restarting'))
    .map((c) => ((type === 'Succeeded' || type === 'Failed') && (c.type === 'Running' || c.type === 'Failed') ? { ...c, status: 'False' as const } : c));
  status.conditions = [...kept, next];
  return true;
}

/** replicaStatuses as mpi-operator writes them: zero counts left out. */
export function countWorkers(workers: readonly Pod[]): { active?: number; succeeded?: number; failed?: number; evicted: number; running: number } {
  let active = 0;
  let succeeded = 0;
  let failed = 0;
  let evicted = 0;
  for (const p of workers) {
    if (p.status?.phase === 'Failed') {
      failed++;
      if (p.status.reason === 'Evicted') evicted++;
    } else if (p.status?.phase === 'Succeeded') succeeded++;
    else if (p.status?.phase === 'Running') active++;
  }
  return { ...(active ? { active } : {}), ...(succeeded ? { succeeded } : {}), ...(failed ? { failed } : {}), evicted, running: active };
}

export function replicaStatus(counts: { active?: number; succeeded?: number; failed?: number }): { active?: number; succeeded?: number; failed?: number } {
  const out: { active?: number; succeeded?: number; failed?: number } = {};
  if (counts.active) out.active = counts.active;
  if (counts.succeeded) out.succeeded = counts.succeeded;
  if (counts.failed) out.failed = counts.failed;
  return out;
}

export type { MpiReplicaType };
