// Pure TrainJob logic: admission checks, and the JobSet a TrainJob becomes (runtime template, trainer and initializer
// overrides, runtimePatches, each framework's environment), and the TrainJob's status from that JobSet.
import { generateKeyPairSync } from 'node:crypto';
import { fieldErrors, type FieldError } from '../../api/errors.js';
import type { ContainerSpec, EnvVar, PodSpec } from '../../api/core-v1.js';
import type { KubeObject } from '../../api/meta.js';
import { controllerReference, type Condition } from '../../controller/index.js';
import { localOpenMpiEnv, rshAgent, rshAgentName, runsSshd } from '../training/mpi-plan.js';
import {
  JobSetApiVersion,
  TrainerLabels,
  TrainerNames,
  type ContainerPatch,
  type JobSet,
  type MetadataPatch,
  type ReplicatedJob,
  type TrainJob,
  type TrainingRuntime,
} from './types.js';

const namePattern = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const uriPattern = /^[a-zA-Z][a-zA-Z0-9+.-]*:\/\//;

/** Torch's reserved variables: the runtime sets them, a TrainJob may not. */
export const TorchReservedEnv = ['PET_NNODES', 'PET_NPROC_PER_NODE', 'PET_NODE_RANK', 'PET_MASTER_ADDR', 'PET_MASTER_PORT'] as const;

export type Framework = 'torch' | 'mpi' | 'jax' | 'xgboost' | 'flux' | 'plain';

export function frameworkOf(runtime: TrainingRuntime): Framework {
  const p = runtime.spec.mlPolicy ?? {};
  if (p.torch) return 'torch';
  if (p.mpi) return 'mpi';
  if (p.jax) return 'jax';
  if (p.xgboost) return 'xgboost';
  if (p.flux) return 'flux';
  return 'plain';
}

/** Every problem with a TrainJob, and on update with what changed (upstream's webhook and CEL rules). */
export function validateTrainJob(job: TrainJob, old: TrainJob | undefined): FieldError[] {
  const errs: FieldError[] = [];
  const name = job.metadata.name ?? '';
  if (name.length > 63 || !namePattern.test(name)) {
    errs.push(fieldErrors.invalid('metadata.name', name, "must match the regex '^[a-z]([-a-z0-9]*[a-z0-9])?$' and be at most 63 characters (it names the JobSet and the Pods' hostnames)"));
  }
  const spec = job.spec ?? ({} as TrainJob['spec']);
  if (!spec.runtimeRef?.name) errs.push(fieldErrors.required('spec.runtimeRef.name'));
  if (spec.runtimeRef?.apiGroup !== undefined && spec.runtimeRef.apiGroup !== 'trainer.kubeflow.org') {
    errs.push(fieldErrors.notSupported('spec.runtimeRef.apiGroup', spec.runtimeRef.apiGroup, ['trainer.kubeflow.org']));
  }
  const managedBy = spec.managedBy;
  if (managedBy !== undefined && managedBy !== TrainerNames.defaultManagedBy && managedBy !== TrainerNames.multiKueue) {
    errs.push(fieldErrors.notSupported('spec.managedBy', managedBy, [TrainerNames.defaultManagedBy, TrainerNames.multiKueue]));
  }
  const nproc = spec.trainer?.numProcPerNode;
  if (nproc !== undefined && !(typeof nproc === 'number' ? Number.isInteger(nproc) && nproc >= 1 : /^(auto|cpu|gpu|[1-9][0-9]*)$/.test(nproc))) {
    errs.push(fieldErrors.invalid('spec.trainer.numProcPerNode', nproc, 'must be a whole number >= 1'));
  }
  for (const which of ['dataset', 'model'] as const) {
    const uri = spec.initializer?.[which]?.storageUri;
    if (uri !== undefined && uri !== '' && !uriPattern.test(uri)) errs.push(fieldErrors.invalid(`spec.initializer.${which}.storageUri`, uri, 'must be empty or a URI: scheme://path'));
  }
  const managers = new Set<string>();
  (spec.runtimePatches ?? []).forEach((p, i) => {
    if (managers.has(p.manager)) errs.push(fieldErrors.duplicate(`spec.runtimePatches[${i}].manager`, p.manager));
    managers.add(p.manager);
    (p.trainingRuntimeSpec?.template?.spec?.replicatedJobs ?? []).forEach((r, j) => {
      (r.template?.spec?.template?.spec?.containers ?? []).forEach((c, k) => {
        if ((c.env ?? []).length > 0 && ([TrainerNames.node, TrainerNames.datasetInitializer, TrainerNames.modelInitializer] as string[]).includes(c.name)) {
          errs.push(fieldErrors.forbidden(`spec.runtimePatches[${i}].trainingRuntimeSpec.template.spec.replicatedJobs[${j}].template.spec.template.spec.containers[${k}].env`, `env of the ${c.name} container is set through spec.trainer or spec.initializer, not a runtime patch`));
        }
      });
    });
  });
  if (old) {
    const same = (a: unknown, b: unknown): boolean => JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
    for (const field of ['runtimeRef', 'initializer', 'trainer', 'activeDeadlineSeconds', 'managedBy'] as const) {
      if (!same(spec[field], old.spec?.[field])) errs.push(fieldErrors.invalid(`spec.${field}`, spec[field], 'field is immutable'));
    }
    if (!same(spec.runtimePatches, old.spec?.runtimePatches) && spec.suspend !== true && old.spec?.suspend !== true) {
      errs.push(fieldErrors.forbidden('spec.runtimePatches', 'RuntimePatches can only be modified when the TrainJob is suspended before or after the update'));
    }
  }
  return errs;
}

/** Where the trainer's rank 0 is reached: from the JobSet's Service (a loopback host port locally, DNS on a cluster). */
export interface MasterAddress {
  host: string;
  port: number;
}

/** The default master address: `<trainjob>-node-0-0.<trainjob>`, port 29500. */
export function dnsMaster(job: TrainJob): MasterAddress {
  const name = job.metadata.name ?? '';
  return { host: `${name}-${TrainerNames.node}-0-0.${name}`, port: TrainerNames.trainerPort };
}

function ancestorOf(rjob: ReplicatedJob): string | undefined {
  return rjob.template.metadata?.labels?.[TrainerLabels.ancestorStep];
}

function mergeEnv(base: readonly EnvVar[] | undefined, over: readonly EnvVar[] | undefined): EnvVar[] {
  const out = [...(base ?? [])];
  for (const e of over ?? []) {
    const i = out.findIndex((x) => x.name === e.name);
    if (i >= 0) out[i] = e;
    else out.push(e);
  }
  return out;
}

function mergeByName<T extends { name: string }>(base: readonly T[] | undefined, over: readonly T[] | undefined): T[] {
  const out = [...(base ?? [])];
  for (const o of over ?? []) {
    const i = out.findIndex((x) => x.name === o.name);
    if (i >= 0) out[i] = o;
    else out.push(o);
  }
  return out;
}

function mergeMeta(target: { labels?: Record<string, string>; annotations?: Record<string, string> }, patch: MetadataPatch | undefined): void {
  if (!patch) return;
  if (patch.labels) target.labels = { ...(target.labels ?? {}), ...patch.labels };
  if (patch.annotations) target.annotations = { ...(target.annotations ?? {}), ...patch.annotations };
}

function patchContainers(containers: ContainerSpec[] | undefined, patches: readonly ContainerPatch[] | undefined): ContainerSpec[] | undefined {
  if (!containers || !patches) return containers;
  return containers.map((c) => {
    const p = patches.find((x) => x.name === c.name);
    if (!p) return c;
    const next: ContainerSpec = { ...c };
    if (p.env) next.env = mergeEnv(c.env, p.env);
    if (p.volumeMounts) next.volumeMounts = mergeByName(c.volumeMounts as { name: string }[] | undefined, p.volumeMounts as { name: string }[]) as NonNullable<ContainerSpec['volumeMounts']>;
    if (p.securityContext) (next as ContainerSpec & { securityContext?: unknown }).securityContext = p.securityContext;
    return next;
  });
}

/** CPUs of a resources block (requests first, then limits), or undefined when none is given. */
export function cpuOf(resources: ContainerSpec['resources'] | undefined): number | undefined {
  const q = resources?.requests?.cpu ?? resources?.limits?.cpu;
  if (q === undefined) return undefined;
  const text = String(q);
  const n = text.endsWith('m') ? Number(text.slice(0, -1)) / 1000 : Number(text);
  return Number.isFinite(n) ? n : undefined;
}

function gpusOf(resources: ContainerSpec['resources'] | undefined): number {
  let n = 0;
  for (const block of [resources?.limits ?? {}, resources?.requests ?? {}]) {
    for (const [k, v] of Object.entries(block)) if (/gpu|nvidia\.com\/mig-/i.test(k)) n = Math.max(n, Number(v) || 0);
  }
  return n;
}

const completionIndex: NonNullable<EnvVar['valueFrom']> = { fieldRef: { fieldPath: "metadata.annotations['batch.kubernetes.io/job-completion-index']" } };

/** Where the Pods run, which decides how an MPI runtime's mpirun reaches its nodes. */
export interface PlanOptions {
  /**
   * The Pods are processes on this machine (Floe's local runtime): no sshd, so mpirun starts its daemons through the
   * MPIJob controller's rsh agent, shipped in the hostfile ConfigMap, and the nodes' sshd is replaced by a wait.
   */
  hostProcesses?: boolean;
  /** Pods run as root here, which mpirun refuses unless told (`OMPI_ALLOW_RUN_AS_ROOT`). */
  runsAsRoot?: boolean;
}

/** What one framework adds to the trainer's node container. */
function frameworkEnv(framework: Framework, runtime: TrainingRuntime, job: TrainJob, numNodes: number, resources: ContainerSpec['resources'] | undefined, master: MasterAddress, options: PlanOptions = {}): EnvVar[] {
  switch (framework) {
    case 'torch': {
      const explicit = job.spec.trainer?.numProcPerNode ?? runtime.spec.mlPolicy?.torch?.numProcPerNode;
      let nproc = explicit === undefined ? 'auto' : String(explicit);
      if (nproc === 'auto' && gpusOf(resources) === 0) {
        const cpu = cpuOf(resources);
        if (cpu !== undefined) nproc = String(Math.max(1, Math.floor(cpu)));
      }
      return [
        { name: 'PET_NNODES', value: String(numNodes) },
        { name: 'PET_NPROC_PER_NODE', value: nproc },
        { name: 'PET_NODE_RANK', valueFrom: completionIndex },
        { name: 'PET_MASTER_ADDR', value: master.host },
        { name: 'PET_MASTER_PORT', value: String(master.port) },
      ];
    }
    case 'jax':
      return [
        { name: 'JAX_NUM_PROCESSES', value: String(numNodes) },
        { name: 'JAX_PROCESS_ID', valueFrom: completionIndex },
        { name: 'JAX_COORDINATOR_ADDRESS', value: `${master.host}:${master.port}` },
      ];
    case 'xgboost':
      return [
        { name: 'DMLC_TRACKER_URI', value: master.host },
        { name: 'DMLC_TRACKER_PORT', value: String(master.port) },
        { name: 'DMLC_TASK_ID', valueFrom: completionIndex },
        { name: 'DMLC_NUM_WORKER', value: String(numNodes * Math.max(1, gpusOf(resources))) },
      ];
    case 'mpi': {
      const slots = String(mpiSlots(runtime, job));
      return [
        { name: 'OMPI_MCA_orte_default_hostfile', value: `${MpiNames.hostfileDir}/${MpiNames.hostfileKey}` },
        { name: 'OMPI_MCA_orte_keep_fqdn_hostnames', value: 'true' },
        { name: 'OMPI_MCA_orte_set_default_slots', value: slots },
        { name: 'OMPI_MCA_plm_rsh_args', value: '-o ConnectionAttempts=10' },
        ...(options.hostProcesses ? localOpenMpiEnv(`${MpiNames.hostfileDir}/${rshAgentName}`, options.runsAsRoot === true) : []),
      ];
    }
    case 'flux':
    case 'plain':
      return [];
  }
}

/** Whether a framework needs rank 0's port on the JobSet's Service. */
export function needsMasterPort(framework: Framework): boolean {
  return framework === 'torch' || framework === 'jax' || framework === 'xgboost';
}

// ---- MPI (Trainer's mpi plug-in, OpenMPI) ---------------------------------------------------------------------------

export const MpiNames = {
  hostfileDir: '/etc/mpi',
  hostfileKey: 'hostfile',
  hostfileVolume: 'mpi-hostfile',
  sshVolume: 'mpi-ssh-auth',
} as const;

export const mpiSecretName = (job: TrainJob): string => `${job.metadata.name ?? ''}-mpi-ssh-auth`;
export const mpiHostfileName = (job: TrainJob): string => `${job.metadata.name ?? ''}-mpi-hostfile`;

/** Slots per node: `trainer.numProcPerNode`, else the runtime's `mpi.numProcPerNode` (1). */
export function mpiSlots(runtime: TrainingRuntime, job: TrainJob): number {
  const n = Number(job.spec.trainer?.numProcPerNode ?? runtime.spec.mlPolicy?.mpi?.numProcPerNode ?? 1);
  return Number.isInteger(n) && n > 0 ? n : 1;
}

/** How many Pods the `node` replicated job runs: every node, less the launcher when it counts as one. */
function mpiWorkers(runtime: TrainingRuntime, numNodes: number): number {
  return runtime.spec.mlPolicy?.mpi?.runLauncherAsNode === true ? Math.max(0, numNodes - 1) : numNodes;
}

/** The hostfile: `<pod hostname>.<subdomain> slots=<n>`, the launcher first when it runs as a node. */
export function mpiHostfile(job: TrainJob, runtime: TrainingRuntime): string {
  const name = job.metadata.name ?? '';
  const numNodes = job.spec.trainer?.numNodes ?? runtime.spec.mlPolicy?.numNodes ?? 1;
  const subdomain = runtime.spec.template.spec.network?.subdomain || name;
  const slots = mpiSlots(runtime, job);
  const lines: string[] = [];
  if (runtime.spec.mlPolicy?.mpi?.runLauncherAsNode === true) lines.push(`${name}-${TrainerNames.launcher}-0-0.${subdomain} slots=${slots}`);
  for (let i = 0; i < mpiWorkers(runtime, numNodes); i++) lines.push(`${name}-${TrainerNames.node}-0-${i}.${subdomain} slots=${slots}`);
  return `${lines.join('\n')}\n`;
}

/** The worker count on the `node` job, the trainer's image and resources on it, and the hostfile and ssh volumes everywhere. */
function applyMpi(job: TrainJob, runtime: TrainingRuntime, rjobs: ReplicatedJob[], numNodes: number, options: PlanOptions): void {
  const sshPath = runtime.spec.mlPolicy?.mpi?.sshAuthMountPath ?? '/root/.ssh';
  const trainer = job.spec.trainer ?? {};
  for (const rjob of rjobs) {
    const pod = rjob.template.spec.template.spec;
    const launcher = ancestorOf(rjob) === TrainerNames.trainerStep;
    if (!launcher && rjob.name !== TrainerNames.node) continue;
    if (!launcher) {
      const workers = mpiWorkers(runtime, numNodes);
      rjob.template.spec.parallelism = workers;
      rjob.template.spec.completions = workers;
    }
    pod.volumes = mergeByName(pod.volumes, [
      {
        name: MpiNames.hostfileVolume,
        configMap: {
          name: mpiHostfileName(job),
          items: [
            { key: MpiNames.hostfileKey, path: MpiNames.hostfileKey, mode: 0o444 },
            ...(options.hostProcesses ? [{ key: rshAgentName, path: rshAgentName, mode: 0o555 }] : []),
          ],
        },
      },
      {
        name: MpiNames.sshVolume,
        secret: {
          secretName: mpiSecretName(job),
          items: [
            { key: 'ssh-privatekey', path: 'id_rsa' },
            { key: 'ssh-publickey', path: 'id_rsa.pub' },
            { key: 'ssh-publickey', path: 'authorized_keys' },
          ],
        },
      },
    ]);
    for (const c of pod.containers ?? []) {
      if (c.name !== TrainerNames.node) continue;
      if (!launcher) {
        if (trainer.image) c.image = trainer.image;
        if (trainer.resourcesPerNode) c.resources = structuredClone(trainer.resourcesPerNode);
        if (options.hostProcesses && runsSshd(c)) {
          // No sshd here: the node holds its place (Running, Ready) while mpirun's daemons start through the rsh agent.
          c.command = ['sleep', 'infinity'];
          c.args = [];
          // The runtime's probe waits for sshd's port, which nothing listens on here.
          delete (c as ContainerSpec & { readinessProbe?: unknown }).readinessProbe;
        }
      }
      c.volumeMounts = mergeByName(c.volumeMounts, [
        { name: MpiNames.hostfileVolume, mountPath: MpiNames.hostfileDir },
        { name: MpiNames.sshVolume, mountPath: sshPath },
      ]);
    }
  }
}

/** Problems found while building (a runtime that lacks what the TrainJob asks of it); the TrainJob fails with them. */
export class BuildError extends Error {}

/** The JobSet a TrainJob becomes: named and namespaced as the TrainJob, owned by it. */
export function desiredJobSet(job: TrainJob, runtime: TrainingRuntime, master: MasterAddress, options: PlanOptions = {}): JobSet {
  const framework = frameworkOf(runtime);
  const template = structuredClone(runtime.spec.template ?? { spec: { replicatedJobs: [] } });
  const spec = template.spec;
  spec.replicatedJobs ??= [];
  const metadata: { labels?: Record<string, string>; annotations?: Record<string, string> } = {
    ...(template.metadata?.labels ? { labels: { ...template.metadata.labels } } : {}),
    ...(template.metadata?.annotations ? { annotations: { ...template.metadata.annotations } } : {}),
  };
  const trainer = job.spec.trainer ?? {};
  const numNodes = trainer.numNodes ?? runtime.spec.mlPolicy?.numNodes ?? 1;
  const reserved: string[] = framework === 'torch' ? [...TorchReservedEnv] : [];
  const clash = (trainer.env ?? []).filter((e) => reserved.includes(e.name)).map((e) => e.name);
  if (clash.length > 0) throw new BuildError(`spec.trainer.env must not have reserved envs: ${clash.join(', ')} are set by the ${framework} runtime`);

  let trainerFound = false;
  for (const rjob of spec.replicatedJobs) {
    const step = ancestorOf(rjob);
    const pod = rjob.template.spec.template.spec;
    if (step === TrainerNames.trainerStep) {
      const node = pod.containers?.find((c) => c.name === TrainerNames.node);
      if (!node) continue;
      trainerFound = true;
      // MPI: the launcher runs once; the nodes are the `node` replicated job (below).
      const count = framework === 'mpi' ? 1 : numNodes;
      rjob.template.spec.parallelism = count;
      rjob.template.spec.completions = count;
      if (trainer.image) node.image = trainer.image;
      if (trainer.command) node.command = [...trainer.command];
      if (trainer.args) node.args = [...trainer.args];
      if (trainer.resourcesPerNode) node.resources = structuredClone(trainer.resourcesPerNode);
      node.env = mergeEnv(mergeEnv(node.env, trainer.env), frameworkEnv(framework, runtime, job, numNodes, node.resources, master, options));
      if (needsMasterPort(framework)) {
        const ports = (node.ports ??= []);
        if (!ports.some((p) => p.containerPort === TrainerNames.trainerPort)) ports.push({ containerPort: TrainerNames.trainerPort });
      }
    }
    for (const which of ['dataset', 'model'] as const) {
      const source = job.spec.initializer?.[which];
      const stepName = which === 'dataset' ? TrainerNames.datasetInitializer : TrainerNames.modelInitializer;
      if (!source || step !== stepName) continue;
      const c = pod.containers?.find((x) => x.name === stepName);
      if (!c) continue;
      const env: EnvVar[] = [...(source.storageUri ? [{ name: 'STORAGE_URI', value: source.storageUri }] : []), ...(source.env ?? [])];
      c.env = mergeEnv(c.env, env);
      if (source.secretRef?.name) c.envFrom = [...(c.envFrom ?? []), { secretRef: { name: source.secretRef.name } }];
    }
  }
  if (framework === 'mpi') applyMpi(job, runtime, spec.replicatedJobs, numNodes, options);
  if (!trainerFound && (trainer.image || trainer.command || trainer.args || trainer.env || trainer.numNodes || trainer.resourcesPerNode)) {
    throw new BuildError(`runtime ${runtime.metadata.name ?? ''} has no replicated job labelled ${TrainerLabels.ancestorStep}: trainer with a container named node, so spec.trainer has nowhere to go`);
  }
  for (const which of ['dataset', 'model'] as const) {
    if (!job.spec.initializer?.[which]) continue;
    const stepName = which === 'dataset' ? TrainerNames.datasetInitializer : TrainerNames.modelInitializer;
    const has = spec.replicatedJobs.some((r) => ancestorOf(r) === stepName && r.template.spec.template.spec.containers?.some((c) => c.name === stepName));
    if (!has) throw new BuildError(`spec.initializer.${which}: runtime ${runtime.metadata.name ?? ''} has no ${stepName} job with a ${stepName} container`);
  }

  // Runtime patches, in list order.
  for (const patch of job.spec.runtimePatches ?? []) {
    const t = patch.trainingRuntimeSpec?.template;
    if (!t) continue;
    mergeMeta(metadata, t.metadata);
    for (const rp of t.spec?.replicatedJobs ?? []) {
      const rjob = spec.replicatedJobs.find((r) => r.name === rp.name);
      if (!rjob) throw new BuildError(`runtimePatches[${patch.manager}]: runtime ${runtime.metadata.name ?? ''} has no replicated job ${rp.name}`);
      const jobMeta = (rjob.template.metadata ??= {});
      mergeMeta(jobMeta, rp.template?.metadata);
      const podTemplate = rjob.template.spec.template;
      mergeMeta((podTemplate.metadata ??= {}), rp.template?.spec?.template?.metadata);
      const ps = rp.template?.spec?.template?.spec;
      if (!ps) continue;
      const pod = podTemplate.spec as PodSpec & Record<string, unknown>;
      if (ps.serviceAccountName !== undefined) pod.serviceAccountName = ps.serviceAccountName;
      if (ps.nodeSelector) pod.nodeSelector = { ...((pod.nodeSelector) ?? {}), ...ps.nodeSelector };
      if (ps.affinity) pod.affinity = ps.affinity;
      if (ps.tolerations) pod.tolerations = [...(pod.tolerations ?? []), ...(ps.tolerations as NonNullable<PodSpec['tolerations']>)];
      if (ps.volumes) pod.volumes = mergeByName(pod.volumes, ps.volumes);
      if (ps.imagePullSecrets) pod.imagePullSecrets = mergeByName((pod.imagePullSecrets as { name: string }[] | undefined) ?? [], ps.imagePullSecrets);
      if (ps.securityContext) pod.securityContext = ps.securityContext;
      if (ps.schedulingGates) pod.schedulingGates = mergeByName((pod.schedulingGates as { name: string }[] | undefined) ?? [], ps.schedulingGates);
      if (ps.terminationGracePeriodSeconds !== undefined) pod.terminationGracePeriodSeconds = ps.terminationGracePeriodSeconds;
      const containers = patchContainers(pod.containers, ps.containers);
      if (containers) pod.containers = containers;
      const inits = patchContainers(pod.initContainers, ps.initContainers);
      if (inits) pod.initContainers = inits;
    }
  }

  // Torch's envInjection: the PET_* variables in further containers too.
  const targets = runtime.spec.mlPolicy?.torch?.envInjection?.targets ?? [];
  if (framework === 'torch' && targets.length > 0) {
    const env = frameworkEnv(framework, runtime, job, numNodes, undefined, master).filter((e) => e.name === 'PET_MASTER_ADDR' || e.name === 'PET_MASTER_PORT' || e.name === 'PET_NNODES' || e.name === 'PET_NODE_RANK');
    for (const t of targets) {
      const rjob = spec.replicatedJobs.find((r) => r.name === t.jobName);
      const pod = rjob?.template.spec.template.spec;
      for (const c of [...(pod?.containers ?? []), ...(pod?.initContainers ?? [])]) if (!t.containerNames?.length || t.containerNames.includes(c.name)) c.env = mergeEnv(c.env, env);
    }
  }

  spec.suspend = job.spec.suspend === true;
  return {
    apiVersion: JobSetApiVersion,
    kind: 'JobSet',
    metadata: { name: job.metadata.name ?? '', namespace: job.metadata.namespace ?? '', ...metadata, ownerReferences: [controllerReference(job)] },
    spec,
  };
}

/** The TrainJob conditions a JobSet's status implies: `Complete` from its `Completed`, `Failed` from its `Failed`. */
export function copiedConditions(js: JobSet | undefined): Condition[] {
  const out: Condition[] = [];
  for (const c of js?.status?.conditions ?? []) {
    if (c.status !== 'True') continue;
    if (c.type === 'Completed') out.push({ ...c, type: 'Complete' });
    if (c.type === 'Failed') out.push({ ...c });
  }
  return out;
}

/** An ssh key pair for mpirun between nodes: ECDSA P-256, the private key in PEM (SEC1), the public one in OpenSSH form. */
export function mpiKeyPair(): { privateKey: string; publicKey: string } {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const jwk = publicKey.export({ format: 'jwk' });
  const point = Buffer.concat([Buffer.from([4]), Buffer.from(jwk.x ?? '', 'base64url'), Buffer.from(jwk.y ?? '', 'base64url')]);
  const field = (b: Buffer): Buffer => Buffer.concat([Buffer.from([(b.length >>> 24) & 255, (b.length >>> 16) & 255, (b.length >>> 8) & 255, b.length & 255]), b]);
  const blob = Buffer.concat([field(Buffer.from('ecdsa-sha2-nistp256')), field(Buffer.from('nistp256')), field(point)]);
  return { privateKey: privateKey.export({ format: 'pem', type: 'sec1' }).toString(), publicKey: `ecdsa-sha2-nistp256 ${blob.toString('base64')}` };
}

/** The ssh-auth Secret and hostfile ConfigMap an MPI TrainJob's Pods mount, owned by the TrainJob. */
export function mpiObjects(job: TrainJob, runtime: TrainingRuntime, keys: { privateKey: string; publicKey: string }, options: PlanOptions = {}): { secret: KubeObject; hostfile: KubeObject } {
  const namespace = job.metadata.namespace ?? '';
  const owner = [controllerReference(job)];
  return {
    secret: {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: mpiSecretName(job), namespace, ownerReferences: owner },
      type: 'kubernetes.io/ssh-auth',
      data: { 'ssh-privatekey': Buffer.from(keys.privateKey).toString('base64'), 'ssh-publickey': Buffer.from(keys.publicKey).toString('base64') },
    },
    hostfile: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: mpiHostfileName(job), namespace, ownerReferences: owner }, data: { [MpiNames.hostfileKey]: mpiHostfile(job, runtime), ...(options.hostProcesses ? { [rshAgentName]: rshAgent } : {}) } },
  };
}
