// Pure planning of JobSets and TrainJobs: defaults, names and labels, dependsOn, success policy, the torch contract,
// runtime patches, initializers, and the checks admission runs.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { dependenciesMet, desiredJob, jobSetDefaults, replicatedJobsStatus, succeeded, validateJobSet } from './jobset-plan.js';
import { defaultRuntimes } from './runtimes.js';
import { BuildError, desiredJobSet, dnsMaster, mpiHostfile, mpiKeyPair, mpiObjects, validateTrainJob } from './trainjob-plan.js';
import type { ContainerSpec } from '../../api/core-v1.js';
import type { JobSet, ReplicatedJobStatus, TrainingRuntime, TrainJob } from './types.js';

const container = { name: 'main', image: 'busybox' };
const rjob = (name: string, extra: Record<string, unknown> = {}) => ({ name, template: { spec: { template: { spec: { containers: [container] } } } }, ...extra });
const jobSet = (spec: Record<string, unknown>): JobSet => ({ apiVersion: 'jobset.x-k8s.io/v1alpha2', kind: 'JobSet', metadata: { name: 'js', namespace: 'ns', uid: 'u-1' }, spec } as unknown as JobSet);
const status = (name: string, fields: Partial<ReplicatedJobStatus>): ReplicatedJobStatus => ({ name, ready: 0, succeeded: 0, failed: 0, active: 0, suspended: 0, ...fields });

test('JobSet defaults: replicas 1, DNS hostnames, success policy All, Indexed Jobs whose Pods restart OnFailure', () => {
  const js = jobSetDefaults(jobSet({ replicatedJobs: [rjob('a')] }));
  assert.equal(js.spec.replicatedJobs[0]?.replicas, 1);
  assert.equal(js.spec.network?.enableDNSHostnames, true);
  assert.equal(js.spec.network?.publishNotReadyAddresses, true);
  assert.equal(js.spec.successPolicy?.operator, 'All');
  assert.equal(js.spec.replicatedJobs[0]?.template.spec.completionMode, 'Indexed');
  assert.equal(js.spec.replicatedJobs[0]?.template.spec.template.spec.restartPolicy, 'OnFailure');
});

test('a child Job: <jobset>-<rjob>-<index>, jobset labels and annotations, the subdomain, the suspend flag', () => {
  const js = jobSetDefaults(jobSet({ suspend: true, replicatedJobs: [rjob('a', { replicas: 2 }), rjob('b', { replicas: 3 })] }));
  const job = desiredJob(js, js.spec.replicatedJobs[1]!, 2, 0);
  assert.equal(job.metadata.name, 'js-b-2');
  const labels = job.metadata.labels ?? {};
  assert.equal(labels['jobset.sigs.k8s.io/jobset-name'], 'js');
  assert.equal(labels['jobset.sigs.k8s.io/replicatedjob-name'], 'b');
  assert.equal(labels['jobset.sigs.k8s.io/replicatedjob-replicas'], '3');
  assert.equal(labels['jobset.sigs.k8s.io/job-index'], '2');
  assert.equal(labels['jobset.sigs.k8s.io/job-global-index'], '4');
  assert.equal(labels['jobset.sigs.k8s.io/global-replicas'], '5');
  assert.match(labels['jobset.sigs.k8s.io/job-key'] ?? '', /^[0-9a-f]{40}$/);
  assert.equal(job.metadata.annotations?.['jobset.sigs.k8s.io/jobset-uid'], 'u-1');
  assert.equal(job.spec.template.metadata?.labels?.['jobset.sigs.k8s.io/job-index'], '2');
  assert.equal((job.spec.template.spec as { subdomain?: string }).subdomain, 'js');
  assert.equal(job.spec.suspend, true);
  assert.equal(job.metadata.ownerReferences?.[0]?.controller, true);
});

test('dependsOn: Ready needs ready+succeeded Jobs, Complete needs succeeded ones; InOrder waits for earlier jobs', () => {
  const js = jobSetDefaults(jobSet({ replicatedJobs: [rjob('a', { replicas: 2 }), rjob('b', { dependsOn: [{ name: 'a', status: 'Ready' }] }), rjob('c', { dependsOn: [{ name: 'a', status: 'Complete' }] })] }));
  const [, b, c] = js.spec.replicatedJobs;
  assert.equal(dependenciesMet(js, b!, [status('a', { ready: 1 })]), false);
  assert.equal(dependenciesMet(js, b!, [status('a', { ready: 1, succeeded: 1 })]), true);
  assert.equal(dependenciesMet(js, c!, [status('a', { ready: 2 })]), false);
  assert.equal(dependenciesMet(js, c!, [status('a', { succeeded: 2 })]), true);
  const ordered = jobSetDefaults(jobSet({ startupPolicy: { startupPolicyOrder: 'InOrder' }, replicatedJobs: [rjob('a'), rjob('b')] }));
  assert.equal(dependenciesMet(ordered, ordered.spec.replicatedJobs[1]!, [status('a', {})]), false);
  assert.equal(dependenciesMet(ordered, ordered.spec.replicatedJobs[1]!, [status('a', { ready: 1 })]), true);
});

test('success policy: All Jobs of the targets (all replicated jobs by default), or Any one of them', () => {
  const all = jobSetDefaults(jobSet({ replicatedJobs: [rjob('a', { replicas: 2 }), rjob('b')] }));
  assert.equal(succeeded(all, [status('a', { succeeded: 2 }), status('b', {})]), false);
  assert.equal(succeeded(all, [status('a', { succeeded: 2 }), status('b', { succeeded: 1 })]), true);
  const target = jobSetDefaults(jobSet({ successPolicy: { operator: 'All', targetReplicatedJobs: ['b'] }, replicatedJobs: [rjob('a'), rjob('b')] }));
  assert.equal(succeeded(target, [status('a', {}), status('b', { succeeded: 1 })]), true);
  const any = jobSetDefaults(jobSet({ successPolicy: { operator: 'Any' }, replicatedJobs: [rjob('a', { replicas: 3 })] }));
  assert.equal(succeeded(any, [status('a', { succeeded: 1 })]), true);
  assert.deepEqual(replicatedJobsStatus(any, []), [status('a', {})]);
});

test('JobSet validation names every bad field', () => {
  const errs = validateJobSet(jobSetDefaults(jobSet({ successPolicy: { targetReplicatedJobs: ['nope'] }, replicatedJobs: [rjob('a', { dependsOn: [{ name: 'b', status: 'Ready' }] }), rjob('b'), rjob('b')] })));
  const fields = errs.map((e) => e.field);
  assert.ok(fields.includes('spec.replicatedJobs[0].dependsOn[0].name'), fields.join());
  assert.ok(fields.includes('spec.replicatedJobs[2].name'), fields.join());
  assert.ok(fields.includes('spec.successPolicy.targetReplicatedJobs[0]'), fields.join());
});

const torch = defaultRuntimes().find((r) => r.metadata.name === 'torch-distributed') as TrainingRuntime;
const trainJob = (spec: Partial<TrainJob['spec']>): TrainJob => ({ apiVersion: 'trainer.kubeflow.org/v1alpha1', kind: 'TrainJob', metadata: { name: 'tj', namespace: 'ns', uid: 'u-2' }, spec: { runtimeRef: { name: 'torch-distributed' }, ...spec } });
const nodeEnv = (js: JobSet): Record<string, string | undefined> =>
  Object.fromEntries((js.spec.replicatedJobs[0]?.template.spec.template.spec.containers.find((c) => c.name === 'node')?.env ?? []).map((e) => [e.name, e.value ?? e.valueFrom?.fieldRef?.fieldPath]));

test('torch: PET_* from the trainer, the node count on the Job, rank from the completion index, master by DNS on a cluster', () => {
  const job = trainJob({ trainer: { numNodes: 3, image: 'my/torch:1', command: ['torchrun', 'x.py'], env: [{ name: 'A', value: '1' }], resourcesPerNode: { requests: { cpu: '4' } } } });
  const js = desiredJobSet(job, torch, dnsMaster(job));
  assert.equal(js.metadata.name, 'tj');
  const rj = js.spec.replicatedJobs[0]!;
  assert.equal(rj.template.spec.parallelism, 3);
  assert.equal(rj.template.spec.completions, 3);
  const node = rj.template.spec.template.spec.containers[0]!;
  assert.equal(node.image, 'my/torch:1');
  assert.deepEqual(node.command, ['torchrun', 'x.py']);
  assert.deepEqual(node.ports, [{ containerPort: 29500 }]);
  assert.deepEqual(nodeEnv(js), {
    A: '1',
    PET_NNODES: '3',
    PET_NPROC_PER_NODE: '4',
    PET_NODE_RANK: "metadata.annotations['batch.kubernetes.io/job-completion-index']",
    PET_MASTER_ADDR: 'tj-node-0-0.tj',
    PET_MASTER_PORT: '29500',
  });
  assert.equal(nodeEnv(desiredJobSet(trainJob({ trainer: { resourcesPerNode: { limits: { 'nvidia.com/gpu': 2, cpu: 8 } } } }), torch, dnsMaster(job))).PET_NPROC_PER_NODE, 'auto');
  assert.equal(nodeEnv(desiredJobSet(trainJob({ trainer: { numProcPerNode: 2 } }), torch, { host: '127.0.0.1', port: 20001 })).PET_MASTER_PORT, '20001');
  assert.throws(() => desiredJobSet(trainJob({ trainer: { env: [{ name: 'PET_NNODES', value: '9' }] } }), torch, dnsMaster(job)), BuildError);
});

test('runtime patches add labels, volumes and mounts; initializers get STORAGE_URI; suspend reaches the JobSet', () => {
  const runtime: TrainingRuntime = {
    apiVersion: 'trainer.kubeflow.org/v1alpha1',
    kind: 'TrainingRuntime',
    metadata: { name: 'r' },
    spec: {
      template: {
        spec: {
          replicatedJobs: [
            { name: 'dataset-initializer', template: { metadata: { labels: { 'trainer.kubeflow.org/trainjob-ancestor-step': 'dataset-initializer' } }, spec: { template: { spec: { containers: [{ name: 'dataset-initializer', image: 'init' }] } } } } },
            { name: 'node', template: { metadata: { labels: { 'trainer.kubeflow.org/trainjob-ancestor-step': 'trainer' } }, spec: { template: { spec: { containers: [{ name: 'node', image: 'img' }] } } } } },
          ],
        },
      },
    },
  };
  const job = trainJob({
    suspend: true,
    initializer: { dataset: { storageUri: 's3://bucket/data', env: [{ name: 'ENDPOINT', value: 'http://minio' }] } },
    runtimePatches: [
      {
        manager: 'me',
        trainingRuntimeSpec: {
          template: {
            metadata: { labels: { team: 'a' } },
            spec: { replicatedJobs: [{ name: 'node', template: { spec: { template: { metadata: { labels: { pod: 'x' } }, spec: { nodeSelector: { gpu: 'no' }, volumes: [{ name: 'v', emptyDir: {} }], containers: [{ name: 'node', volumeMounts: [{ name: 'v', mountPath: '/v' }] }] } } } } }] },
          },
        },
      },
    ],
  });
  const js = desiredJobSet(job, runtime, dnsMaster(job));
  assert.equal(js.spec.suspend, true);
  assert.equal(js.metadata.labels?.team, 'a');
  const init = js.spec.replicatedJobs[0]!.template.spec.template.spec.containers[0]!;
  assert.deepEqual(init.env, [{ name: 'STORAGE_URI', value: 's3://bucket/data' }, { name: 'ENDPOINT', value: 'http://minio' }]);
  const pod = js.spec.replicatedJobs[1]!.template.spec.template;
  assert.equal(pod.metadata?.labels?.pod, 'x');
  assert.deepEqual(pod.spec.nodeSelector, { gpu: 'no' });
  assert.deepEqual(pod.spec.volumes, [{ name: 'v', emptyDir: {} }]);
  assert.deepEqual(pod.spec.containers[0]?.volumeMounts, [{ name: 'v', mountPath: '/v' }]);
  assert.throws(() => desiredJobSet(trainJob({ initializer: { model: { storageUri: 'hf://m' } } }), runtime, dnsMaster(job)), /model-initializer/);
});

test('TrainJob admission: the name rule, managedBy, immutable fields, patches only while suspended', () => {
  const fields = (job: TrainJob, old?: TrainJob): string[] => validateTrainJob(job, old).map((e) => e.field);
  assert.deepEqual(fields(trainJob({})), []);
  assert.deepEqual(fields({ ...trainJob({ managedBy: 'someone' }), metadata: { name: '1bad' } }), ['metadata.name', 'spec.managedBy']);
  const old = trainJob({ trainer: { numNodes: 1 } });
  assert.deepEqual(fields(trainJob({ trainer: { numNodes: 2 } }), old), ['spec.trainer']);
  const patched = trainJob({ trainer: { numNodes: 1 }, runtimePatches: [{ manager: 'me' }] });
  assert.deepEqual(fields(patched, old), ['spec.runtimePatches']);
  assert.deepEqual(fields({ ...patched, spec: { ...patched.spec, suspend: true } }, old), []);
});

test('MPI (deepspeed-distributed): launcher once, the other nodes on `node`, hostfile with the launcher first, OMPI_MCA_* on the launcher', () => {
  const deepspeed = defaultRuntimes().find((r) => r.metadata.name === 'deepspeed-distributed') as TrainingRuntime;
  const job = { ...trainJob({ trainer: { numNodes: 3, numProcPerNode: 2, command: ['mpirun', 'python', 'x.py'], image: 'my/ds:1' } }), spec: { runtimeRef: { name: 'deepspeed-distributed' }, trainer: { numNodes: 3, numProcPerNode: 2, command: ['mpirun', 'python', 'x.py'], image: 'my/ds:1' } } } as TrainJob;
  const js = desiredJobSet(job, deepspeed, dnsMaster(job));
  const [node, launcher] = js.spec.replicatedJobs;
  assert.equal(node?.name, 'node');
  assert.equal(node?.template.spec.parallelism, 2);
  assert.equal(launcher?.template.spec.parallelism, 1);
  const lc = launcher.template.spec.template.spec.containers[0]!;
  assert.deepEqual(lc.command, ['mpirun', 'python', 'x.py']);
  const env = Object.fromEntries((lc.env ?? []).map((e) => [e.name, e.value]));
  assert.equal(env.OMPI_MCA_orte_default_hostfile, '/etc/mpi/hostfile');
  assert.equal(env.OMPI_MCA_orte_set_default_slots, '2');
  assert.equal(node.template.spec.template.spec.containers[0]?.image, 'my/ds:1');
  assert.deepEqual(node.template.spec.template.spec.containers[0]?.volumeMounts, [{ name: 'mpi-hostfile', mountPath: '/etc/mpi' }, { name: 'mpi-ssh-auth', mountPath: '/home/mpiuser/.ssh' }]);
  assert.equal(mpiHostfile(job, deepspeed), 'tj-launcher-0-0.tj slots=2\ntj-node-0-0.tj slots=2\ntj-node-0-1.tj slots=2\n');
  const keys = mpiKeyPair();
  assert.match(keys.publicKey, /^ecdsa-sha2-nistp256 [A-Za-z0-9+/=]+$/);
  const { secret, hostfile } = mpiObjects(job, deepspeed, keys);
  assert.equal(secret.metadata.name, 'tj-mpi-ssh-auth');
  assert.equal(hostfile.metadata.name, 'tj-mpi-hostfile');
  // OpenSSH reads the key pair as one: the public key it derives from the private one is ours.
  if (spawnSync('ssh-keygen', ['-?'], { stdio: 'ignore' }).error === undefined) {
    const dir = mkdtempSync(join(tmpdir(), 'floe-mpi-key-'));
    try {
      writeFileSync(join(dir, 'id'), keys.privateKey, { mode: 0o600 });
      const derived = spawnSync('ssh-keygen', ['-y', '-f', join(dir, 'id')], { encoding: 'utf8' });
      assert.equal(derived.stdout.trim(), keys.publicKey, derived.stderr);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
});

test('MPI on host processes: the rsh agent in the hostfile ConfigMap and OMPI_MCA_* on the launcher; sshd nodes wait instead', () => {
  const deepspeed = defaultRuntimes().find((r) => r.metadata.name === 'deepspeed-distributed') as TrainingRuntime;
  const job = { ...trainJob({}), spec: { runtimeRef: { name: 'deepspeed-distributed' }, trainer: { numNodes: 2, numProcPerNode: 2, command: ['mpirun', 'python', 'x.py'] } } } as TrainJob;
  const local = { hostProcesses: true, runsAsRoot: true };
  const [node, launcher] = desiredJobSet(job, deepspeed, dnsMaster(job), local).spec.replicatedJobs;
  const env = Object.fromEntries((launcher?.template.spec.template.spec.containers[0]?.env ?? []).map((e) => [e.name, e.value]));
  assert.equal(env.OMPI_MCA_plm_rsh_agent, '/etc/mpi/floe_rsh_agent.sh');
  assert.equal(env.OMPI_MCA_btl, 'self,tcp');
  assert.equal(env.OMPI_ALLOW_RUN_AS_ROOT, '1');
  const nc = node?.template.spec.template.spec.containers[0] as (ContainerSpec & { readinessProbe?: unknown }) | undefined;
  assert.deepEqual([nc?.command, nc?.args, nc?.readinessProbe], [['sleep', 'infinity'], [], undefined]);
  const volume = node?.template.spec.template.spec.volumes?.find((v) => v.name === 'mpi-hostfile');
  assert.deepEqual(volume?.configMap?.items?.map((i) => [i.path, i.mode]), [['hostfile', 0o444], ['floe_rsh_agent.sh', 0o555]]);
  assert.match((mpiObjects(job, deepspeed, mpiKeyPair(), local).hostfile as { data?: Record<string, string> }).data?.['floe_rsh_agent.sh'] ?? '', /FLOE_MPI_HOST/);
  // On a cluster the runtime is planned as upstream: sshd on the nodes, no agent.
  const [clusterNode, clusterLauncher] = desiredJobSet(job, deepspeed, dnsMaster(job)).spec.replicatedJobs;
  assert.deepEqual(clusterNode?.template.spec.template.spec.containers[0]?.command, ['/usr/sbin/sshd']);
  assert.ok(!(clusterLauncher?.template.spec.template.spec.containers[0]?.env ?? []).some((e) => e.name === 'OMPI_MCA_plm_rsh_agent'));
});
