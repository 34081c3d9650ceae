// Kubeflow Trainer v2 on an embedded Floe: a JobSet with dependsOn ordering, a TrainJob on the default torch runtime
// running a real two-node torchrun (gloo, CPU) in which every rank takes part, and the `kubeflow` SDK's TrainerClient
// training a Python function and reading its logs, unchanged.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { FloeError } from '../src/api/errors.js';
import { hostPorts } from '../src/api/host-ports.js';
import { PodRef, ServiceRef, type Pod, type Service } from '../src/api/core-v1.js';
import type { KubeObject } from '../src/api/meta.js';
import type { Client } from '../src/client/client.js';
import { JobRef, type Job } from '../src/controllers/batch/job-controller.js';
import { ClusterTrainingRuntimeRef, JobSetRef, TrainJobRef, type JobSet, type TrainJob } from '../src/controllers/trainer/types.js';
import { KubeClient } from '../src/client/kube-client.js';
import { Manager, startCapabilities, type RunningCapabilities } from '../src/controller/index.js';
import { trainerCapability } from '../src/controllers/trainer/capability.js';
import { createLogger } from '../src/server/logger.js';
import { controlPlaneUnavailable, startControlPlane, type ControlPlane } from './helpers/control-plane.js';
import { startEmbeddedFloe, type EmbeddedFloe } from './helpers/embedded-floe.js';
import { freshNamespace } from './helpers/fixtures.js';
import { waitFor } from './helpers/wait.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const torchPython = join(root, '.venvs', 'torch', 'bin', 'python');
const sdkPython = join(root, '.venvs', 'trainer-sdk', 'bin', 'python');
const noTorch = existsSync(torchPython) ? false : `.venvs/torch is missing (node tools/setup.mjs --with-training-envs builds it)`;
const mpiPython = join(root, '.venvs', 'mpi', 'bin', 'python');
const hasMpirun = spawnSync('sh', ['-c', 'command -v mpirun'], { stdio: 'ignore' }).status === 0;
const noMpi = !hasMpirun ? 'Open MPI is not installed (apt-get install openmpi-bin libopenmpi-dev)' : existsSync(mpiPython) ? false : '.venvs/mpi is missing (python3 -m venv .venvs/mpi && .venvs/mpi/bin/pip install -r python/envs/mpi/requirements.txt)';
const noSdk = existsSync(sdkPython) ? noTorch : `.venvs/trainer-sdk is missing (python3 -m venv .venvs/trainer-sdk && .venvs/trainer-sdk/bin/pip install -r python/envs/trainer-sdk/requirements.txt)`;

/** One rank of a gloo all-reduce: every rank adds rank+1, so the sum says who took part. */
const allReduce = `
import json, os
import torch
import torch.distributed as dist
dist.init_process_group("gloo")
rank, world = dist.get_rank(), dist.get_world_size()
t = torch.tensor([float(rank + 1)])
dist.all_reduce(t)
print("FLOE_RESULT " + json.dumps({"rank": rank, "world": world, "sum": t.item(), "node_rank": os.environ.get("GROUP_RANK")}), flush=True)
dist.destroy_process_group()
`;

/** Each rank: itself, the allreduce of every rank, and the node its daemon was started for; rank 0 gathers them. */
const mpiRanks = `
import json, os
from mpi4py import MPI
comm = MPI.COMM_WORLD
rank, size = comm.Get_rank(), comm.Get_size()
total = comm.allreduce(rank + 1)
me = {"rank": rank, "size": size, "sum": total, "host": os.environ.get("FLOE_MPI_HOST")}
everyone = comm.gather(me, root=0)
if rank == 0:
    print("FLOE_RANKS " + json.dumps(everyone), flush=True)
`;

describe('Trainer v2: JobSet, TrainJob and the kubeflow SDK', () => {
  let embedded: EmbeddedFloe;
  let client: Client;
  let url: string;

  before(async () => {
    embedded = await startEmbeddedFloe('floe-trainer-');
    client = embedded.floe.client;
    url = embedded.floe.url;
  });
  after(() => embedded.stop());

  const logOf = async (ns: string, pod: string, container: string): Promise<string> => {
    const res = await fetch(`${url}/api/v1/namespaces/${ns}/pods/${pod}/log?container=${container}`);
    return res.ok ? res.text() : `(log: HTTP ${res.status})`;
  };

  test('the default ClusterTrainingRuntimes are installed, with the framework label the SDK needs', async () => {
    const list = await client.list<KubeObject>(ClusterTrainingRuntimeRef);
    const names = list.items.map((r) => r.metadata.name).sort();
    assert.deepEqual(names, ['deepspeed-distributed', 'torch-distributed', 'xgboost-distributed']);
    for (const r of list.items) assert.ok(r.metadata.labels?.['trainer.kubeflow.org/framework'], `${r.metadata.name ?? ''} has no framework label`);
  });

  test('a JobSet runs its replicated jobs in dependsOn order and reaches Completed', async () => {
    const ns = await freshNamespace(client, 'jobset');
    const jobTemplate = (command: string, extra: Record<string, unknown> = {}) => ({
      spec: { ...extra, template: { spec: { restartPolicy: 'Never', containers: [{ name: 'main', image: 'busybox', command: ['sh', '-c', command] }] } } },
    });
    const created = await client.create<JobSet>({
      apiVersion: 'jobset.x-k8s.io/v1alpha2',
      kind: 'JobSet',
      metadata: { name: 'pipeline', namespace: ns },
      spec: {
        replicatedJobs: [
          { name: 'prepare', template: jobTemplate('echo prepared') },
          { name: 'work', replicas: 2, dependsOn: [{ name: 'prepare', status: 'Complete' }], template: jobTemplate('echo "work $JOB_COMPLETION_INDEX on $(hostname)"', { parallelism: 2, completions: 2 }) },
        ],
      },
    } as JobSet);
    // The webhook's defaults are stored.
    assert.equal(created.spec.network?.enableDNSHostnames, true);
    assert.equal(created.spec.successPolicy?.operator, 'All');
    assert.equal(created.spec.replicatedJobs[0]?.replicas, 1);
    assert.equal(created.spec.replicatedJobs[0]?.template.spec.completionMode, 'Indexed');

    const done = await waitFor(async () => {
      const js = await client.get<JobSet>(JobSetRef, 'pipeline', ns);
      return js.status?.terminalState ? js : undefined;
    }, { what: 'JobSet pipeline finished', timeoutMs: 300_000 });
    assert.equal(done.status?.terminalState, 'Completed', JSON.stringify(done.status));
    const completed = done.status?.conditions?.find((c) => c.type === 'Completed');
    assert.equal(completed?.status, 'True');
    assert.equal(completed?.reason, 'AllJobsCompleted');
    assert.deepEqual(done.status?.replicatedJobsStatus?.map((s) => [s.name, s.succeeded, s.failed]), [['prepare', 1, 0], ['work', 2, 0]]);

    const jobs = (await client.list<Job>(JobRef, { namespace: ns })).items;
    assert.deepEqual(jobs.map((j) => j.metadata.name).sort(), ['pipeline-prepare-0', 'pipeline-work-0', 'pipeline-work-1']);
    const prepare = jobs.find((j) => j.metadata.name === 'pipeline-prepare-0');
    const prepareDone = prepare?.status?.conditions?.find((c) => c.type === 'Complete')?.lastTransitionTime ?? '';
    for (const j of jobs.filter((x) => x.metadata.name?.startsWith('pipeline-work-'))) {
      // Created only once prepare had completed.
      assert.ok((j.metadata.creationTimestamp ?? '') >= prepareDone, `${j.metadata.name ?? ''} was created at ${j.metadata.creationTimestamp ?? ''}, before prepare completed at ${prepareDone}`);
      assert.equal(j.metadata.labels?.['jobset.sigs.k8s.io/jobset-name'], 'pipeline');
      assert.equal(j.metadata.labels?.['jobset.sigs.k8s.io/replicatedjob-name'], 'work');
      assert.equal(j.metadata.labels?.['jobset.sigs.k8s.io/job-index'], j.metadata.name?.slice(-1));
    }
    const pods = (await client.list<Pod>(PodRef, { namespace: ns })).items;
    const work = pods.filter((p) => p.metadata.labels?.['jobset.sigs.k8s.io/replicatedjob-name'] === 'work').map((p) => p.metadata.name ?? '').sort();
    assert.equal(work.length, 4);
    for (const [i, name] of work.entries()) assert.match(name, new RegExp(`^pipeline-work-${Math.floor(i / 2)}-${i % 2}-[a-z0-9]{5}$`));
    const workPod = pods.find((p) => p.metadata.name === work[3]);
    assert.equal(workPod?.spec.subdomain, 'pipeline');
    assert.equal((workPod?.spec as { hostname?: string } | undefined)?.hostname, 'pipeline-work-1-1');
    const svc = await client.get<Service>(ServiceRef, 'pipeline', ns);
    assert.equal(svc.spec?.clusterIP, 'None');
    assert.deepEqual(svc.spec?.selector, { 'jobset.sigs.k8s.io/jobset-name': 'pipeline' });
  });

  test('a JobSet whose dependsOn names a later job is refused with the field named', async () => {
    const ns = await freshNamespace(client, 'jobset-bad');
    const err = await client
      .create<JobSet>({
        apiVersion: 'jobset.x-k8s.io/v1alpha2',
        kind: 'JobSet',
        metadata: { name: 'bad', namespace: ns },
        spec: { replicatedJobs: [{ name: 'a', dependsOn: [{ name: 'b', status: 'Ready' }], template: { spec: { template: { spec: { containers: [{ name: 'm', image: 'busybox' }] } } } } }, { name: 'b', template: { spec: { template: { spec: { containers: [{ name: 'm', image: 'busybox' }] } } } } }] },
      })
      .then(() => undefined, (e: unknown) => e);
    assert.ok(err instanceof FloeError, String(err));
    assert.equal(err.reason, 'Invalid');
    assert.match(err.message, /spec\.replicatedJobs\[0\]\.dependsOn\[0\]\.name/);
  });

  test('a JobSet whose Job fails restarts once (failurePolicy.maxRestarts 1), then fails with ReachedMaxRestarts', async () => {
    const ns = await freshNamespace(client, 'jobset-restart');
    await client.create<JobSet>({
      apiVersion: 'jobset.x-k8s.io/v1alpha2',
      kind: 'JobSet',
      metadata: { name: 'flaky', namespace: ns },
      spec: {
        failurePolicy: { maxRestarts: 1 },
        replicatedJobs: [{ name: 'w', template: { spec: { backoffLimit: 0, template: { spec: { restartPolicy: 'Never', containers: [{ name: 'main', image: 'busybox', command: ['sh', '-c', 'exit 3'] }] } } } } }],
      },
    });
    const done = await waitFor(async () => {
      const js = await client.get<JobSet>(JobSetRef, 'flaky', ns);
      return js.status?.terminalState ? js : undefined;
    }, { what: 'JobSet flaky finished', timeoutMs: 300_000 });
    assert.equal(done.status?.terminalState, 'Failed');
    assert.equal(done.status?.restarts, 1);
    const failed = done.status?.conditions?.find((c) => c.type === 'Failed');
    assert.equal(failed?.reason, 'ReachedMaxRestarts');
    assert.equal(failed?.message, 'jobset failed due to reaching max number of restarts (first failed job: flaky-w-0)');
    const jobs = (await client.list<Job>(JobRef, { namespace: ns })).items;
    assert.deepEqual(jobs.map((j) => j.metadata.labels?.['jobset.sigs.k8s.io/restart-attempt']), ['1'], 'the first attempt\'s Job was replaced');
  });

  test('a TrainJob on a namespaced plain TrainingRuntime: suspended (no Pods), resumed, Complete; an hf:// initializer is refused', async () => {
    const ns = await freshNamespace(client, 'trainjob-plain');
    await client.create<KubeObject>({
      apiVersion: 'trainer.kubeflow.org/v1alpha1',
      kind: 'TrainingRuntime',
      metadata: { name: 'plain', namespace: ns, labels: { 'trainer.kubeflow.org/framework': 'plain' } },
      spec: {
        mlPolicy: { numNodes: 1 },
        template: { spec: { replicatedJobs: [{ name: 'node', template: { metadata: { labels: { 'trainer.kubeflow.org/trainjob-ancestor-step': 'trainer' } }, spec: { template: { spec: { containers: [{ name: 'node', image: 'busybox', command: ['sh', '-c', 'echo "node $JOB_COMPLETION_INDEX says $GREETING"'] }] } } } } }] } },
      },
    });
    await client.create<TrainJob>({ apiVersion: 'trainer.kubeflow.org/v1alpha1', kind: 'TrainJob', metadata: { name: 'later', namespace: ns }, spec: { runtimeRef: { name: 'plain', kind: 'TrainingRuntime' }, suspend: true, trainer: { numNodes: 2, env: [{ name: 'GREETING', value: 'hello' }] } } });
    const suspended = await waitFor(async () => (await client.get<TrainJob>(TrainJobRef, 'later', ns)).status?.conditions?.find((c) => c.type === 'Suspended' && c.status === 'True'), { what: 'TrainJob later Suspended', timeoutMs: 120_000 });
    assert.equal(suspended.reason, 'Suspended');
    assert.equal(suspended.message, 'TrainJob is suspended');
    const js = await waitFor(() => client.get<JobSet>(JobSetRef, 'later', ns), { what: 'JobSet later' });
    assert.equal(js.spec.suspend, true);
    await waitFor(async () => (await client.get<JobSet>(JobSetRef, 'later', ns)).status?.replicatedJobsStatus?.[0]?.suspended === 1, { what: 'the JobSet\'s Job suspended', timeoutMs: 120_000 });
    assert.equal((await client.list<Pod>(PodRef, { namespace: ns })).items.length, 0, 'a suspended TrainJob runs no Pods');

    await client.patch(TrainJobRef, 'later', ns, { spec: { suspend: false } }, 'application/merge-patch+json');
    const done = await waitFor(async () => {
      const tj = await client.get<TrainJob>(TrainJobRef, 'later', ns);
      return tj.status?.conditions?.some((c) => c.type === 'Complete' && c.status === 'True') ? tj : undefined;
    }, { what: 'TrainJob later Complete', timeoutMs: 300_000 });
    const resumed = done.status?.conditions?.find((c) => c.type === 'Suspended');
    assert.deepEqual([resumed?.status, resumed?.reason, resumed?.message], ['False', 'Resumed', 'TrainJob is resumed']);
    assert.equal(done.status?.conditions?.at(-1)?.type, 'Complete', 'the State column shows Complete');
    const pods = (await client.list<Pod>(PodRef, { namespace: ns })).items;
    const logs = (await Promise.all(pods.map((p) => logOf(ns, p.metadata.name ?? '', 'node')))).map((l) => l.trim()).sort();
    assert.deepEqual(logs, ['node 0 says hello', 'node 1 says hello']);

    await client.create<TrainJob>({ apiVersion: 'trainer.kubeflow.org/v1alpha1', kind: 'TrainJob', metadata: { name: 'hub', namespace: ns }, spec: { runtimeRef: { name: 'plain', kind: 'TrainingRuntime' }, initializer: { model: { storageUri: 'hf://Qwen/Qwen2.5-1.5B' } } } });
    const refused = await waitFor(async () => (await client.get<TrainJob>(TrainJobRef, 'hub', ns)).status?.conditions?.find((c) => c.type === 'Failed'), { what: 'TrainJob hub Failed', timeoutMs: 120_000 });
    assert.equal(refused.reason, 'TrainJobResourcesCreationFailed');
    assert.match(refused.message, /hf:\/\/Qwen.*Hugging Face/);
  });

  test('a TrainJob on torch-distributed with numNodes 2 runs torchrun on two nodes; every rank takes part', { skip: noTorch }, async () => {
    const ns = await freshNamespace(client, 'trainjob-torch');
    await client.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'allreduce', namespace: ns }, data: { 'allreduce.py': allReduce } });
    await client.create<TrainJob>({
      apiVersion: 'trainer.kubeflow.org/v1alpha1',
      kind: 'TrainJob',
      metadata: { name: 'ddp', namespace: ns },
      spec: {
        runtimeRef: { name: 'torch-distributed' },
        trainer: { numNodes: 2, numProcPerNode: 1, command: ['torchrun', '/opt/train/allreduce.py'] },
        runtimePatches: [
          {
            manager: 'floe.dev/test',
            trainingRuntimeSpec: {
              template: {
                spec: {
                  replicatedJobs: [
                    { name: 'node', template: { spec: { template: { spec: { volumes: [{ name: 'code', configMap: { name: 'allreduce' } }], containers: [{ name: 'node', volumeMounts: [{ name: 'code', mountPath: '/opt/train' }] }] } } } } },
                  ],
                },
              },
            },
          },
        ],
      },
    });
    const done = await waitFor(async () => {
      const tj = await client.get<TrainJob>(TrainJobRef, 'ddp', ns);
      return tj.status?.conditions?.some((c) => (c.type === 'Complete' || c.type === 'Failed') && c.status === 'True') ? tj : undefined;
    }, { what: 'TrainJob ddp finished', timeoutMs: 600_000, intervalMs: 500 });
    const pods = (await client.list<Pod>(PodRef, { namespace: ns, labelSelector: 'jobset.sigs.k8s.io/jobset-name=ddp' })).items;
    const logs = await Promise.all(pods.map(async (p) => `--- ${p.metadata.name ?? ''}\n${await logOf(ns, p.metadata.name ?? '', 'node')}`));
    const complete = done.status?.conditions?.find((c) => c.type === 'Complete');
    assert.equal(complete?.status, 'True', `${JSON.stringify(done.status)}\n${logs.join('\n')}`);
    assert.equal(complete?.reason, 'AllJobsCompleted');
    assert.deepEqual(done.status?.jobsStatus?.map((s) => [s.name, s.succeeded]), [['node', 1]]);

    // The JobSet is the TrainJob's, with the torch contract in the node container.
    const js = await client.get<JobSet>(JobSetRef, 'ddp', ns);
    const node = js.spec.replicatedJobs[0]?.template.spec.template.spec.containers.find((c) => c.name === 'node');
    const env = Object.fromEntries((node?.env ?? []).map((e) => [e.name, e.value ?? e.valueFrom?.fieldRef?.fieldPath]));
    assert.equal(env.PET_NNODES, '2');
    assert.equal(env.PET_NPROC_PER_NODE, '1');
    assert.equal(env.PET_NODE_RANK, "metadata.annotations['batch.kubernetes.io/job-completion-index']");
    assert.equal(env.PET_MASTER_ADDR, '127.0.0.1');
    const svc = await client.get<Service>(ServiceRef, 'ddp', ns);
    assert.equal(env.PET_MASTER_PORT, String(hostPorts(svc).trainer), 'rank 0 listens on the host port Floe gave the Service');
    assert.equal(js.spec.replicatedJobs[0]?.template.spec.parallelism, 2);

    const results = pods
      .flatMap((_p, i) => (logs[i] ?? '').split('\n'))
      .filter((l) => l.startsWith('FLOE_RESULT '))
      .map((l) => JSON.parse(l.slice('FLOE_RESULT '.length)) as { rank: number; world: number; sum: number });
    assert.deepEqual(results.map((r) => r.rank).sort(), [0, 1], logs.join('\n'));
    for (const r of results) {
      assert.equal(r.world, 2);
      assert.equal(r.sum, 3, 'every rank added its part');
    }
  });

  test('a TrainJob on deepspeed-distributed (mlPolicy.mpi) with numNodes 2 x 2 slots runs a real mpirun; every rank takes part', { skip: noMpi }, async () => {
    const ns = await freshNamespace(client, 'trainjob-mpi');
    await client.create<TrainJob>({
      apiVersion: 'trainer.kubeflow.org/v1alpha1',
      kind: 'TrainJob',
      metadata: { name: 'ds', namespace: ns },
      spec: { runtimeRef: { name: 'deepspeed-distributed' }, trainer: { numNodes: 2, numProcPerNode: 2, command: ['mpirun', '--hostfile', '/etc/mpi/hostfile', '-n', '4', 'python', '-c', mpiRanks] } },
    });
    const done = await waitFor(async () => {
      const tj = await client.get<TrainJob>(TrainJobRef, 'ds', ns);
      return tj.status?.conditions?.some((c) => (c.type === 'Complete' || c.type === 'Failed') && c.status === 'True') ? tj : undefined;
    }, { what: 'TrainJob ds finished', timeoutMs: 600_000, intervalMs: 500 });
    const launcher = (await client.list<Pod>(PodRef, { namespace: ns, labelSelector: 'jobset.sigs.k8s.io/replicatedjob-name=launcher' })).items[0];
    const log = launcher ? await logOf(ns, launcher.metadata.name ?? '', 'node') : '(no launcher Pod)';
    const complete = done.status?.conditions?.find((c) => c.type === 'Complete');
    assert.equal(complete?.status, 'True', `${JSON.stringify(done.status)}\n${log}`);

    // The runtime's launcher-as-node hostfile, 2 slots a node, and the rsh agent beside it.
    const hostfile = await client.get<KubeObject & { data?: Record<string, string> }>({ apiVersion: 'v1', kind: 'ConfigMap' }, 'ds-mpi-hostfile', ns);
    assert.equal(hostfile.data?.hostfile, 'ds-launcher-0-0.ds slots=2\nds-node-0-0.ds slots=2\n');
    assert.match(hostfile.data?.['floe_rsh_agent.sh'] ?? '', /^#!\/bin\/sh/);

    const line = log.split('\n').find((l) => l.startsWith('FLOE_RANKS '));
    assert.ok(line, log);
    const ranks = JSON.parse(line.slice('FLOE_RANKS '.length)) as { rank: number; size: number; sum: number; host: string | null }[];
    assert.deepEqual(ranks.map((r) => r.rank), [0, 1, 2, 3], log);
    for (const r of ranks) {
      assert.equal(r.size, 4);
      assert.equal(r.sum, 10, 'every rank added its part');
    }
    // By-slot placement over the hostfile: ranks 0-1 on the launcher (a node too), 2-3 on node 0.
    assert.deepEqual(ranks.map((r) => r.host), ['ds-launcher-0-0.ds', 'ds-launcher-0-0.ds', 'ds-node-0-0.ds', 'ds-node-0-0.ds'], log);
  });

  test('TrainerClient (kubeflow SDK) lists runtimes, trains a CustomTrainer function on two nodes, waits, and reads its logs', { skip: noSdk }, async () => {
    const ns = await freshNamespace(client, 'trainer-sdk');
    const dir = await mkdtemp(join(tmpdir(), 'floe-trainer-sdk-'));
    try {
      const script = join(dir, 'sdk_check.py');
      await writeFile(script, sdkScript);
      const out = await runPython(sdkPython, [script, ns], { KUBECONFIG: embedded.floe.kubeconfigPath });
      assert.equal(out.code, 0, `${out.stdout}\n${out.stderr}`);
      const seen = JSON.parse(out.stdout.trim().split('\n').at(-1) ?? '{}') as { runtimes: string[]; status: string; node0: string[]; node1: string[]; steps: string[] };
      assert.ok(seen.runtimes.includes('torch-distributed'), JSON.stringify(seen));
      assert.equal(seen.status, 'Complete');
      assert.deepEqual(seen.steps, ['node-0', 'node-1']);
      const lines = [...seen.node0, ...seen.node1].filter((l) => l.startsWith('FLOE_SDK '));
      assert.deepEqual(lines.sort(), ['FLOE_SDK rank=0 world=2 sum=3.0', 'FLOE_SDK rank=1 world=2 sum=3.0'], `${JSON.stringify(seen)}\n${out.stderr}`);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

const unavailable = controlPlaneUnavailable();

describe('Trainer v2 on a real kube-apiserver (cluster mode: floe controllers)', { ...(unavailable ? { skip: unavailable } : {}), timeout: 1_800_000 }, () => {
  let plane: ControlPlane;
  let client: KubeClient;
  let dir: string;
  let running: RunningCapabilities;

  before(async () => {
    plane = await startControlPlane();
    client = KubeClient.fromFile(plane.kubeconfig);
    dir = await mkdtemp(join(tmpdir(), 'floe-trainer-cluster-'));
    const logger = createLogger({ level: 'silent' });
    running = await startCapabilities([trainerCapability], { mode: 'cluster', client, logger, dataDir: dir, url: 'http://127.0.0.1', pythonDir: dir }, new Manager({ client, log: logger }));
  });
  after(async () => {
    await running?.stop();
    await plane?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  test('the CRDs are accepted by kube-apiserver and the default runtimes installed', async () => {
    const runtimes = await client.list<KubeObject>(ClusterTrainingRuntimeRef);
    assert.deepEqual(runtimes.items.map((r) => r.metadata.name).sort(), ['deepspeed-distributed', 'torch-distributed', 'xgboost-distributed']);
  });

  test('a TrainJob becomes a JobSet whose Jobs kube-controller-manager runs; torch env by DNS name; Complete when kwok completes the Pods', async () => {
    const ns = await freshNamespace(client, 'cluster-trainjob');
    await client.create<TrainJob>({ apiVersion: 'trainer.kubeflow.org/v1alpha1', kind: 'TrainJob', metadata: { name: 'ddp', namespace: ns }, spec: { runtimeRef: { name: 'torch-distributed' }, trainer: { numNodes: 2, resourcesPerNode: { requests: { cpu: '2' } } } } });
    const done = await waitFor(async () => {
      const tj = await client.get<TrainJob>(TrainJobRef, 'ddp', ns);
      return tj.status?.conditions?.some((c) => c.type === 'Complete' && c.status === 'True') ? tj : undefined;
    }, { what: 'TrainJob ddp Complete', timeoutMs: 600_000, intervalMs: 250 });
    assert.deepEqual(done.status?.jobsStatus?.map((s) => [s.name, s.succeeded]), [['node', 1]]);
    const pods = (await client.list<Pod>(PodRef, { namespace: ns, labelSelector: 'jobset.sigs.k8s.io/jobset-name=ddp' })).items;
    assert.equal(pods.length, 2);
    const pod = pods.find((p) => p.metadata.annotations?.['batch.kubernetes.io/job-completion-index'] === '1');
    assert.ok(pod, JSON.stringify(pods.map((p) => p.metadata.name)));
    assert.equal((pod.spec as { hostname?: string }).hostname, 'ddp-node-0-1');
    assert.equal(pod.spec.subdomain, 'ddp');
    const env = Object.fromEntries((pod.spec.containers.find((c) => c.name === 'node')?.env ?? []).map((e) => [e.name, e.value ?? e.valueFrom?.fieldRef?.fieldPath]));
    assert.equal(env.PET_MASTER_ADDR, 'ddp-node-0-0.ddp');
    assert.equal(env.PET_MASTER_PORT, '29500');
    assert.equal(env.PET_NNODES, '2');
    assert.equal(env.PET_NPROC_PER_NODE, '2', 'no GPU: the CPU request');
    const svc = await client.get<Service>(ServiceRef, 'ddp', ns);
    assert.equal(svc.spec?.clusterIP, 'None');
    assert.equal(svc.metadata.annotations?.['floe.dev/host-ports'], undefined, 'no Floe host ports on a cluster');
  });

  test('an MPI TrainJob (deepspeed-distributed): ssh-auth Secret, hostfile, launcher after the nodes are Ready; Complete', async () => {
    const ns = await freshNamespace(client, 'cluster-mpi');
    await client.create<TrainJob>({ apiVersion: 'trainer.kubeflow.org/v1alpha1', kind: 'TrainJob', metadata: { name: 'ds', namespace: ns }, spec: { runtimeRef: { name: 'deepspeed-distributed' }, trainer: { numNodes: 3, command: ['mpirun', '--hostfile', '/etc/mpi/hostfile', 'python', 'train.py'] } } });
    const done = await waitFor(async () => {
      const tj = await client.get<TrainJob>(TrainJobRef, 'ds', ns);
      return tj.status?.conditions?.some((c) => c.type === 'Complete' && c.status === 'True') ? tj : undefined;
    }, { what: 'TrainJob ds Complete', timeoutMs: 600_000, intervalMs: 250 });
    assert.deepEqual(done.status?.jobsStatus?.map((s) => s.name), ['node', 'launcher']);
    const hostfile = await client.get<KubeObject & { data?: Record<string, string> }>({ apiVersion: 'v1', kind: 'ConfigMap' }, 'ds-mpi-hostfile', ns);
    assert.equal(hostfile.data?.hostfile, 'ds-launcher-0-0.ds slots=1\nds-node-0-0.ds slots=1\nds-node-0-1.ds slots=1\n');
    const secret = await client.get<KubeObject & { type?: string }>({ apiVersion: 'v1', kind: 'Secret' }, 'ds-mpi-ssh-auth', ns);
    assert.equal(secret.type, 'kubernetes.io/ssh-auth');
    const jobs = (await client.list<Job>(JobRef, { namespace: ns })).items;
    const node = jobs.find((j) => j.metadata.name === 'ds-node-0');
    const launcher = jobs.find((j) => j.metadata.name === 'ds-launcher-0');
    assert.equal(node?.spec.parallelism, 2);
    assert.equal(launcher?.spec.parallelism, 1);
    const pods = (await client.list<Pod>(PodRef, { namespace: ns, labelSelector: 'jobset.sigs.k8s.io/replicatedjob-name=launcher' })).items;
    const env = Object.fromEntries((pods[0]?.spec.containers[0]?.env ?? []).map((e) => [e.name, e.value]));
    assert.equal(env.OMPI_MCA_orte_default_hostfile, '/etc/mpi/hostfile');
    assert.ok(pods[0]?.spec.volumes?.some((v) => v.secret?.secretName === 'ds-mpi-ssh-auth'));
  });

  test('a JobSet with dependsOn Complete runs in order on the cluster', async () => {
    const ns = await freshNamespace(client, 'cluster-jobset');
    const template = { spec: { template: { spec: { containers: [{ name: 'main', image: 'busybox' }] } } } };
    await client.create<JobSet>({ apiVersion: 'jobset.x-k8s.io/v1alpha2', kind: 'JobSet', metadata: { name: 'seq', namespace: ns }, spec: { replicatedJobs: [{ name: 'first', template }, { name: 'second', replicas: 2, dependsOn: [{ name: 'first', status: 'Complete' }], template }] } });
    const done = await waitFor(async () => {
      const js = await client.get<JobSet>(JobSetRef, 'seq', ns);
      return js.status?.terminalState ? js : undefined;
    }, { what: 'JobSet seq finished', timeoutMs: 600_000, intervalMs: 250 });
    assert.equal(done.status?.terminalState, 'Completed', JSON.stringify(done.status));
    const jobs = (await client.list<Job>(JobRef, { namespace: ns })).items;
    const firstDone = jobs.find((j) => j.metadata.name === 'seq-first-0')?.status?.completionTime ?? '';
    for (const j of jobs.filter((x) => x.metadata.name?.startsWith('seq-second-'))) assert.ok((j.metadata.creationTimestamp ?? '') >= firstDone, `${j.metadata.name ?? ''} before seq-first-0 completed`);
    assert.equal(jobs.length, 3);
  });
});

const sdkScript = `
import json, sys
from kubeflow.common.types import KubernetesBackendConfig
from kubeflow.trainer import CustomTrainer, TrainerClient


def train_allreduce():
    import torch
    import torch.distributed as dist

    dist.init_process_group("gloo")
    rank, world = dist.get_rank(), dist.get_world_size()
    t = torch.tensor([float(rank + 1)])
    dist.all_reduce(t)
    print(f"FLOE_SDK rank={rank} world={world} sum={t.item()}", flush=True)
    dist.destroy_process_group()


client = TrainerClient(KubernetesBackendConfig(namespace=sys.argv[1]))
runtimes = [r.name for r in client.list_runtimes()]
name = client.train(
    runtime="torch-distributed",
    trainer=CustomTrainer(func=train_allreduce, num_nodes=2, resources_per_node={"cpu": 1}),
)
job = client.wait_for_job_status(name, status={"Complete"}, timeout=600, polling_interval=2)
job = client.get_job(name)
print(json.dumps({
    "runtimes": runtimes,
    "status": job.status,
    "steps": sorted(s.name for s in job.steps),
    "node0": list(client.get_job_logs(name)),
    "node1": list(client.get_job_logs(name, step="node-1")),
}))
`;

function runPython(python: string, args: string[], env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(python, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}
