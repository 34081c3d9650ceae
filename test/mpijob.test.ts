// MPIJob kubeflow.org/v2beta1 on an embedded Floe: mpi-operator's objects and status, and a real mpirun (Debian's Open
// MPI, mpi4py from .venvs/mpi) in which every rank of every worker takes part.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { parse } from 'yaml';
import { FloeError } from '../src/api/errors.js';
import { ConfigMapRef, PodRef, SecretRef, ServiceRef, type Pod, type Service } from '../src/api/core-v1.js';
import type { KubeObject } from '../src/api/meta.js';
import type { Client } from '../src/client/client.js';
import { EventRef, type KubeEvent } from '../src/controller/index.js';
import type { MpiJob } from '../src/controllers/training/mpi-job.js';
import { startEmbeddedFloe, type EmbeddedFloe } from './helpers/embedded-floe.js';
import { freshNamespace } from './helpers/fixtures.js';
import { waitFor } from './helpers/wait.js';

const MpiJobRef = { apiVersion: 'kubeflow.org/v2beta1', kind: 'MPIJob' } as const;
const JobRef = { apiVersion: 'batch/v1', kind: 'Job' } as const;
const venvPython = join(process.cwd(), '.venvs', 'mpi', 'bin', 'python');
const hasMpirun = spawnSync('sh', ['-c', 'command -v mpirun'], { stdio: 'ignore' }).status === 0;
const skipRun = !hasMpirun ? 'Open MPI is not installed (apt-get install openmpi-bin libopenmpi-dev)' : !existsSync(venvPython) ? 'the mpi environment is not built (.venvs/mpi from python/envs/mpi)' : false;

/** Each rank reports itself, the allreduce of all ranks, and the worker its daemon was started for; rank 0 gathers. */
const rankScript = `
import json, os
from mpi4py import MPI
comm = MPI.COMM_WORLD
rank, size = comm.Get_rank(), comm.Get_size()
total = comm.allreduce(rank + 1)
me = {"rank": rank, "size": size, "sum": total, "host": os.environ.get("FLOE_MPI_HOST"), "role": os.environ.get("K_MPI_JOB_ROLE")}
everyone = comm.gather(me, root=0)
if rank == 0:
    print("RANKS " + json.dumps(everyone), flush=True)
`;

interface JobOptions {
  workers?: number;
  slots?: number;
  launcherCommand?: string[];
  workerExtra?: Record<string, unknown>;
  spec?: Record<string, unknown>;
}

function mpiJob(ns: string, name: string, options: JobOptions = {}): MpiJob {
  const workers = options.workers ?? 2;
  const slots = options.slots ?? 2;
  return {
    apiVersion: MpiJobRef.apiVersion,
    kind: 'MPIJob',
    metadata: { name, namespace: ns },
    spec: {
      slotsPerWorker: slots,
      runPolicy: { cleanPodPolicy: 'Running' },
      ...options.spec,
      mpiReplicaSpecs: {
        Launcher: {
          replicas: 1,
          template: { spec: { containers: [{ name: 'launcher', image: 'mpioperator/openmpi:0.6.0', command: options.launcherCommand ?? ['mpirun', '-n', String(workers * slots), 'python', '-c', rankScript] }] } },
        },
        Worker: {
          replicas: workers,
          // As mpi-operator's examples write it: the workers run sshd.
          template: { spec: { containers: [{ name: 'worker', image: 'mpioperator/openmpi:0.6.0', command: ['/usr/sbin/sshd', '-De'] }], ...options.workerExtra } },
        },
      },
    },
  };
}

describe('MPIJob (kubeflow.org/v2beta1)', () => {
  let env: EmbeddedFloe;
  let client: Client;

  before(async () => {
    env = await startEmbeddedFloe('floe-mpijob-');
    client = env.floe.client;
  });
  after(async () => {
    await env.stop();
  });

  const get = (ns: string, name: string): Promise<MpiJob> => client.get<MpiJob>(MpiJobRef, name, ns);
  const until = (ns: string, name: string, type: string, timeoutMs = 90_000): Promise<MpiJob> =>
    waitFor(async () => {
      const j = await get(ns, name);
      return j.status?.conditions?.some((c) => c.type === type && c.status === 'True') ? j : undefined;
    }, { what: `MPIJob ${name} to be ${type}`, timeoutMs });
  const logs = async (ns: string, pod: string): Promise<string> => (await fetch(`${env.floe.url}/api/v1/namespaces/${ns}/pods/${pod}/log`)).text();
  const podsOf = async (ns: string, selector: string): Promise<Pod[]> => (await client.list<Pod>(PodRef, { namespace: ns, labelSelector: selector })).items;
  const events = async (ns: string, name: string): Promise<KubeEvent[]> => (await client.list<KubeEvent>(EventRef, { namespace: ns, fieldSelector: `involvedObject.name=${name}` })).items;
  const refused = async (object: KubeObject): Promise<FloeError> => {
    try {
      await client.create(object);
    } catch (err) {
      if (err instanceof FloeError) return err;
      throw err;
    }
    assert.fail(`${object.metadata.name ?? ''} was accepted`);
  };

  test('admission: the CRD defaults are stored, and mpi-operator\'s checks refuse a bad job with every field named', async () => {
    const ns = await freshNamespace(client, 'mpi-admit');
    const stored = await client.create(mpiJob(ns, 'defaults', { spec: { runPolicy: { suspend: true } } }));
    const spec = stored.spec;
    assert.equal(spec.mpiImplementation, 'OpenMPI');
    assert.equal(spec.launcherCreationPolicy, 'AtStartup');
    assert.equal(spec.sshAuthMountPath, '/root/.ssh');
    assert.equal(spec.runLauncherAsWorker, false);

    const bad = mpiJob(ns, 'bad');
    bad.spec.mpiReplicaSpecs = { Worker: { replicas: 0, restartPolicy: 'ExitCode', template: { spec: { containers: [] } } } };
    bad.spec.runPolicy = { cleanPodPolicy: 'Sometimes', managedBy: 'someone-else', backoffLimit: -1 };
    const err = await refused(bad);
    assert.equal(err.code, 422);
    const fields = (err.details?.causes ?? []).map((c) => c.field).sort();
    assert.deepEqual(fields, [
      'spec.mpiReplicaSpecs[Launcher]',
      'spec.mpiReplicaSpecs[Worker].replicas',
      'spec.mpiReplicaSpecs[Worker].restartPolicy',
      'spec.mpiReplicaSpecs[Worker].template.spec.containers',
      'spec.runPolicy.backoffLimit',
      'spec.runPolicy.cleanPodPolicy',
      'spec.runPolicy.managedBy',
    ]);
    const long = await refused(mpiJob(ns, `a${'b'.repeat(55)}`, { workers: 10 }));
    assert.match(long.message, /will not able to create pod and service with invalid DNS label/);
  });

  test('a real mpirun: 2 workers x 2 slots, every rank takes part; hostfile, SSH Secret, Service, launcher Job and status as mpi-operator writes them', { skip: skipRun }, async () => {
    const ns = await freshNamespace(client, 'mpi-run');
    await client.create(mpiJob(ns, 'pi'));
    const done = await until(ns, 'pi', 'Succeeded');

    const ranks = JSON.parse(/RANKS (.*)/.exec(await waitFor(async () => {
      const launcher = (await podsOf(ns, 'training.kubeflow.org/job-name=pi,training.kubeflow.org/job-role=launcher'))[0];
      return launcher ? logs(ns, launcher.metadata.name ?? '') : undefined;
    }, { what: 'the launcher Pod' }))?.[1] ?? 'null') as { rank: number; size: number; sum: number; host: string; role: string }[];
    assert.deepEqual(ranks.map((r) => r.rank), [0, 1, 2, 3], 'every rank reported');
    for (const r of ranks) {
      assert.equal(r.size, 4);
      assert.equal(r.sum, 1 + 2 + 3 + 4, `rank ${r.rank} took part in the allreduce`);
      assert.equal(r.role, 'worker');
    }
    // Open MPI maps by slot: two ranks on each worker.
    assert.deepEqual(ranks.map((r) => r.host), ['pi-worker-0.pi.' + ns + '.svc', 'pi-worker-0.pi.' + ns + '.svc', 'pi-worker-1.pi.' + ns + '.svc', 'pi-worker-1.pi.' + ns + '.svc']);

    const cm = await client.get<KubeObject & { data: Record<string, string> }>(ConfigMapRef, 'pi-config', ns);
    assert.equal(cm.data.hostfile, `pi-worker-0.pi.${ns}.svc slots=2\npi-worker-1.pi.${ns}.svc slots=2\n`);
    assert.match(cm.data['discover_hosts.sh'] ?? '', /^#!\/bin\/sh\n/);
    const secret = await client.get<KubeObject & { type: string; data: Record<string, string> }>(SecretRef, 'pi-ssh', ns);
    assert.equal(secret.type, 'kubernetes.io/ssh-auth');
    assert.match(Buffer.from(secret.data['ssh-privatekey'] ?? '', 'base64').toString(), /^-----BEGIN EC PRIVATE KEY-----/);
    assert.match(Buffer.from(secret.data['ssh-publickey'] ?? '', 'base64').toString(), /^ecdsa-sha2-nistp521 AAAA/);
    const svc = await client.get<Service>(ServiceRef, 'pi', ns);
    assert.equal(svc.spec?.clusterIP, 'None');
    assert.deepEqual(svc.spec?.selector, { 'training.kubeflow.org/operator-name': 'mpi-operator', 'training.kubeflow.org/job-name': 'pi' });

    const launcherJob = await client.get<KubeObject & { spec: { template: { spec: { containers: { env?: { name: string; value?: string }[] }[] } } } }>(JobRef, 'pi-launcher', ns);
    const launcherEnv = Object.fromEntries((launcherJob.spec.template.spec.containers[0]?.env ?? []).map((e) => [e.name, e.value]));
    assert.equal(launcherEnv.K_MPI_JOB_ROLE, 'launcher');
    assert.equal(launcherEnv.OMPI_MCA_orte_default_hostfile, '/etc/mpi/hostfile');
    assert.equal(launcherEnv.OMPI_MCA_orte_keep_fqdn_hostnames, 'true');
    assert.equal(launcherEnv.OMPI_MCA_orte_set_default_slots, '2');
    assert.equal(launcherEnv.OMPI_MCA_plm_rsh_args, '-o ConnectionAttempts=10');

    assert.deepEqual(done.status?.conditions?.map((c) => [c.type, c.status, c.reason]), [
      ['Created', 'True', 'MPIJobCreated'],
      ['Running', 'False', 'MPIJobRunning'],
      ['Succeeded', 'True', 'MPIJobSucceeded'],
    ]);
    assert.deepEqual(done.status?.replicaStatuses?.Launcher, { succeeded: 1 });
    assert.ok(done.status?.startTime && done.status.completionTime);
    // cleanPodPolicy Running: the workers (still running sshd's stand-in) go once the job is done.
    await waitFor(async () => (await podsOf(ns, 'training.kubeflow.org/job-name=pi,training.kubeflow.org/job-role=worker')).length === 0, { what: 'the workers to be cleaned up', timeoutMs: 30_000 });
    const reasons = (await events(ns, 'pi')).map((e) => e.reason);
    for (const r of ['MPIJobCreated', 'MPIJobRunning', 'MPIJobSucceeded']) assert.ok(reasons.includes(r), `event ${r} in ${reasons.join(',')}`);
  });

  test('examples/mpi: the manifest as written (sshd workers, --allow-run-as-root) estimates pi over 4 ranks on 2 workers', { skip: skipRun }, async () => {
    const ns = await freshNamespace(client, 'mpi-example');
    const examples = join(process.cwd(), 'examples', 'mpi');
    await client.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'mpi-pi', namespace: ns }, data: { 'pi.py': await readFile(join(examples, 'pi.py'), 'utf8') } });
    const manifest = parse(await readFile(join(examples, 'mpijob.yaml'), 'utf8')) as MpiJob;
    await client.create({ ...manifest, metadata: { ...manifest.metadata, namespace: ns } });
    await until(ns, 'mpi-pi', 'Succeeded');
    const launcher = (await podsOf(ns, 'training.kubeflow.org/job-name=mpi-pi,training.kubeflow.org/job-role=launcher'))[0];
    const out = await logs(ns, launcher?.metadata.name ?? '');
    for (let rank = 0; rank < 4; rank++) assert.match(out, new RegExp(`rank ${rank} of 4 on mpi-pi-worker-${rank < 2 ? 0 : 1}\\.mpi-pi\\.${ns}\\.svc: share 0\\.7`));
    const pi = Number(/pi is approximately ([0-9.]+)/.exec(out)?.[1]);
    assert.ok(Math.abs(pi - Math.PI) < 1e-9, `pi from the ranks: ${pi}`);
  });

  test('launcherCreationPolicy WaitForWorkersReady: no launcher until every worker is Ready', { skip: skipRun }, async () => {
    const ns = await freshNamespace(client, 'mpi-wait');
    const dir = await mkdtemp(join(tmpdir(), 'floe-mpi-ready-'));
    const flag = join(dir, 'ready');
    try {
      const gated = mpiJob(ns, 'gated2', { workers: 2, slots: 1, spec: { launcherCreationPolicy: 'WaitForWorkersReady' } });
      const worker = gated.spec.mpiReplicaSpecs?.Worker;
      const container = worker?.template.spec.containers[0] as unknown as Record<string, unknown>;
      container.readinessProbe = { exec: { command: ['test', '-f', flag] }, periodSeconds: 1 };
      await client.create(gated);
      await waitFor(async () => {
        const pods = await podsOf(ns, 'training.kubeflow.org/job-name=gated2,training.kubeflow.org/job-role=worker');
        return pods.length === 2 && pods.every((p) => p.status?.phase === 'Running');
      }, { what: 'both workers Running (not Ready)', timeoutMs: 30_000 });
      // Running but not Ready: the launcher Job must not exist (a reconcile per worker change has run by now).
      await waitFor(async () => (await get(ns, 'gated2')).status?.replicaStatuses?.Worker?.active === 2, { what: 'the status to count 2 active workers' });
      await assert.rejects(client.get(JobRef, 'gated2-launcher', ns), (err: unknown) => err instanceof FloeError && err.reason === 'NotFound');
      await writeFile(flag, 'ready');
      await until(ns, 'gated2', 'Succeeded');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  test('suspend: no workers and a suspended launcher Job until resumed; then it runs', { skip: skipRun }, async () => {
    const ns = await freshNamespace(client, 'mpi-suspend');
    await client.create(mpiJob(ns, 'later', { workers: 1, slots: 2, spec: { runPolicy: { suspend: true, cleanPodPolicy: 'All' } } }));
    const suspended = await until(ns, 'later', 'Suspended', 30_000);
    assert.equal(suspended.status?.startTime, undefined);
    const launcherJob = await waitFor(() => client.get<KubeObject & { spec: { suspend?: boolean } }>(JobRef, 'later-launcher', ns), { what: 'the launcher Job' });
    assert.equal(launcherJob.spec.suspend, true);
    assert.equal((await podsOf(ns, 'training.kubeflow.org/job-name=later')).length, 0);
    const current = await get(ns, 'later');
    await client.update<MpiJob>({ ...current, spec: { ...current.spec, runPolicy: { ...current.spec.runPolicy, suspend: false } } });
    const done = await until(ns, 'later', 'Succeeded');
    assert.deepEqual(done.status?.conditions?.find((c) => c.type === 'Suspended')?.reason, 'MPIJobResumed');
  });

  test('runPolicy: a launcher that fails with backoffLimit 0 fails the job (BackoffLimitExceeded); managedBy MultiKueue gets nothing from Floe', { skip: skipRun }, async () => {
    const ns = await freshNamespace(client, 'mpi-policy');
    await client.create(mpiJob(ns, 'broken', { workers: 1, slots: 1, launcherCommand: ['sh', '-c', 'echo no luck; exit 3'], spec: { runPolicy: { backoffLimit: 0, cleanPodPolicy: 'All' } } }));
    const failed = await until(ns, 'broken', 'Failed');
    const condition = failed.status?.conditions?.at(-1);
    assert.equal(condition?.type, 'Failed');
    assert.match(condition?.reason ?? '', /^BackoffLimitExceeded/);
    assert.deepEqual(failed.status?.replicaStatuses?.Launcher, { failed: 1 });

    await client.create(mpiJob(ns, 'elsewhere', { workers: 1, slots: 1, spec: { runPolicy: { managedBy: 'kueue.x-k8s.io/multikueue' } } }));
    // A job Floe reconciles in the same namespace gets its status; the managed one still has none after that.
    await client.create(mpiJob(ns, 'here', { workers: 1, slots: 1, spec: { runPolicy: { suspend: true } } }));
    await until(ns, 'here', 'Suspended', 30_000);
    const elsewhere = await get(ns, 'elsewhere');
    assert.equal(elsewhere.status?.conditions, undefined);
    assert.equal((await podsOf(ns, 'training.kubeflow.org/job-name=elsewhere')).length, 0);
    const moved = { ...elsewhere, spec: { ...elsewhere.spec, runPolicy: { ...elsewhere.spec.runPolicy, managedBy: 'kubeflow.org/mpi-operator' } } };
    await assert.rejects(client.update(moved), (err: unknown) => err instanceof FloeError && err.code === 422 && /immutable/.test(err.message));
  });
});
