// The training operator on a real Floe with the local runtime: Pods and Services, the environment contract, run policy.
/* eslint-disable no-restricted-imports -- tests are composition roots: they start the server that runs these controllers */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FloeError } from '../../api/errors.js';
import { hostPorts } from '../../api/host-ports.js';
import { PodRef, ServiceRef, type Pod, type Service } from '../../api/core-v1.js';
import type { Client } from '../../client/client.js';
import { EventRef, type KubeEvent } from '../../controller/index.js';
import { defaultConfig } from '../../server/config.js';
import { startFloe, type Floe } from '../../server/floe.js';
import { killRecordedProcesses } from '../../../test/helpers/kubelet-harness.js';
import { freshNamespace } from '../../../test/helpers/fixtures.js';
import { waitFor } from '../../../test/helpers/wait.js';
import { TrainingApiVersion, TrainingLabels, type TrainingJob } from './index.js';

const python = 'python3';
/** A replica that prints the variables the operator set (as one JSON line) and exits 0. */
const printEnv = (keys: string[], extra = ''): string[] => [python, '-c', `import os, json; print(json.dumps({k: os.environ.get(k) for k in ${JSON.stringify(keys)}}), flush=True)${extra}`];
const forever = ['sleep', '3600'];

interface Replica {
  replicas?: number;
  restartPolicy?: string;
  command: string[];
  container?: string;
  extra?: Record<string, unknown>;
}

function job(kind: string, field: string, container: string, ns: string, name: string, replicas: Record<string, Replica>, spec: Record<string, unknown> = {}): TrainingJob {
  const specs: Record<string, unknown> = {};
  for (const [type, r] of Object.entries(replicas)) {
    specs[type] = {
      ...(r.replicas !== undefined ? { replicas: r.replicas } : {}),
      ...(r.restartPolicy ? { restartPolicy: r.restartPolicy } : {}),
      template: { spec: { containers: [{ name: r.container ?? container, image: 'python:3.11', command: r.command }], ...(r.extra ?? {}) } },
    };
  }
  return { apiVersion: TrainingApiVersion, kind, metadata: { name, namespace: ns }, spec: { ...spec, [field]: specs } };
}

const pytorchJob = (ns: string, name: string, replicas: Record<string, Replica>, spec: Record<string, unknown> = {}) => job('PyTorchJob', 'pytorchReplicaSpecs', 'pytorch', ns, name, replicas, spec);

describe('training operator (embedded, local runtime)', () => {
  let floe: Floe;
  let client: Client;
  let dataDir: string;

  before(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'floe-training-'));
    floe = await startFloe({
      ...defaultConfig(),
      dataDir,
      port: 0,
      logLevel: 'silent',
      runPods: true,
      controllers: true,
      kubeletTiming: { heartbeatMs: 1000, pollMs: 50, crashLoopInitialMs: 200, crashLoopMaxMs: 800, resyncMs: 1000, configRetryMs: 200 },
    });
    client = floe.client;
  });

  after(async () => {
    await floe.stop();
    // Stopping Floe stops its Pods; anything a failed test left behind ends here.
    killRecordedProcesses(dataDir);
    await rm(dataDir, { recursive: true, force: true });
  });

  const get = (kind: string, ns: string, name: string): Promise<TrainingJob> => client.get<TrainingJob>({ apiVersion: TrainingApiVersion, kind }, name, ns);
  const state = async (kind: string, ns: string, name: string): Promise<string | undefined> => (await get(kind, ns, name)).status?.conditions?.at(-1)?.type;
  const untilState = async (kind: string, ns: string, name: string, want: string, timeoutMs = 30_000): Promise<TrainingJob> =>
    waitFor(async () => {
      const j = await get(kind, ns, name);
      return j.status?.conditions?.some((c) => c.type === want && c.status === 'True') ? j : undefined;
    }, { what: `${kind} ${name} to be ${want}`, timeoutMs });
  const logs = async (ns: string, pod: string): Promise<string> => {
    const res = await fetch(`${floe.url}/api/v1/namespaces/${ns}/pods/${pod}/log`);
    return res.text();
  };
  const envOf = async (ns: string, pod: string): Promise<Record<string, string | null>> =>
    waitFor(async () => {
      const line = (await logs(ns, pod)).split('\n').find((l) => l.startsWith('{'));
      return line ? (JSON.parse(line) as Record<string, string | null>) : undefined;
    }, { what: `the environment printed by ${pod}`, timeoutMs: 30_000 });
  const services = async (ns: string): Promise<Service[]> => (await client.list<Service>(ServiceRef, { namespace: ns })).items;
  const pods = async (ns: string): Promise<Pod[]> => (await client.list<Pod>(PodRef, { namespace: ns })).items;
  const events = async (ns: string, name: string): Promise<KubeEvent[]> => (await client.list<KubeEvent>(EventRef, { namespace: ns, fieldSelector: `involvedObject.name=${name}` })).items;

  test('PyTorchJob: a headless Service and a Pod per replica, MASTER_*/WORLD_SIZE/RANK/PET_* from the Services, Succeeded when the master exits 0', async () => {
    const ns = await freshNamespace(client, 'pt-env');
    const keys = ['MASTER_ADDR', 'MASTER_PORT', 'WORLD_SIZE', 'RANK', 'PET_MASTER_ADDR', 'PET_MASTER_PORT', 'PET_NODE_RANK', 'PET_NNODES', 'PET_NPROC_PER_NODE', 'PYTHONUNBUFFERED'];
    await client.create(pytorchJob(ns, 'mnist', { Master: { command: printEnv(keys) }, worker: { replicas: 2, command: printEnv(keys) } }));
    const done = await untilState('PyTorchJob', ns, 'mnist', 'Succeeded');
    const svcs = await services(ns);
    assert.deepEqual(svcs.map((s) => s.metadata.name).sort(), ['mnist-master-0', 'mnist-worker-0', 'mnist-worker-1']);
    const master = svcs.find((s) => s.metadata.name === 'mnist-master-0')!;
    assert.equal(master.spec?.clusterIP, 'None');
    assert.deepEqual(master.spec?.ports?.map((p) => [p.name, p.port]), [['pytorchjob-port', 23456]]);
    assert.deepEqual(master.spec?.selector, { [TrainingLabels.operatorName]: 'pytorchjob-controller', [TrainingLabels.jobName]: 'mnist', [TrainingLabels.replicaType]: 'master', [TrainingLabels.replicaIndex]: '0' });
    const masterPort = hostPorts(master)['pytorchjob-port'];
    assert.ok(masterPort !== undefined && masterPort > 0, 'the master Service has a loopback host port');
    for (const [pod, rank] of [['mnist-master-0', '0'], ['mnist-worker-0', '1'], ['mnist-worker-1', '2']] as const) {
      assert.deepEqual(await envOf(ns, pod), {
        MASTER_ADDR: '127.0.0.1',
        MASTER_PORT: String(masterPort),
        WORLD_SIZE: '3',
        RANK: rank,
        PET_MASTER_ADDR: '127.0.0.1',
        PET_MASTER_PORT: String(masterPort),
        PET_NODE_RANK: rank,
        PET_NNODES: '3',
        PET_NPROC_PER_NODE: 'auto',
        PYTHONUNBUFFERED: '1',
      }, pod);
    }
    const masterPod = (await pods(ns)).find((p) => p.metadata.name === 'mnist-master-0')!;
    assert.equal(masterPod.metadata.labels?.[TrainingLabels.jobRole], 'master');
    assert.equal(masterPod.spec.restartPolicy, 'OnFailure');
    assert.deepEqual(done.status?.conditions?.map((c) => c.type).filter((t) => t !== 'Running'), ['Created', 'Succeeded']);
    assert.equal(done.status?.conditions?.find((c) => c.type === 'Succeeded')?.reason, 'PyTorchJobSucceeded');
    assert.equal(done.status?.conditions?.find((c) => c.type === 'Succeeded')?.message, `PyTorchJob ${ns}/mnist successfully completed.`);
    assert.ok(done.status?.startTime && done.status.completionTime);
    const reasons = (await events(ns, 'mnist')).map((e) => e.reason);
    assert.ok(reasons.includes('PyTorchJobCreated') && reasons.includes('SuccessfulCreatePod') && reasons.includes('PyTorchJobSucceeded'), JSON.stringify(reasons));
  });

  test('PyTorchJob elastic: PET_NNODES min:max, the rendezvous endpoint at worker-0, and the rdzv settings', async () => {
    const ns = await freshNamespace(client, 'pt-elastic');
    const keys = ['PET_NNODES', 'PET_RDZV_ENDPOINT', 'PET_RDZV_BACKEND', 'PET_RDZV_ID', 'PET_RDZV_CONF', 'PET_MAX_RESTARTS', 'PET_NPROC_PER_NODE', 'MASTER_ADDR', 'WORLD_SIZE'];
    await client.create(pytorchJob(ns, 'elastic', { Worker: { replicas: 2, command: printEnv(keys) } }, {
      nprocPerNode: '1',
      elasticPolicy: { minReplicas: 1, rdzvId: 'run-1', rdzvConf: [{ key: 'join_timeout', value: '30' }], maxRestarts: 3 },
    }));
    await untilState('PyTorchJob', ns, 'elastic', 'Succeeded');
    const worker0 = (await services(ns)).find((s) => s.metadata.name === 'elastic-worker-0')!;
    const env = await envOf(ns, 'elastic-worker-1');
    assert.deepEqual(env, {
      PET_NNODES: '1:1',
      PET_RDZV_ENDPOINT: `127.0.0.1:${hostPorts(worker0)['pytorchjob-port']}`,
      PET_RDZV_BACKEND: 'c10d',
      PET_RDZV_ID: 'run-1',
      PET_RDZV_CONF: 'join_timeout=30',
      PET_MAX_RESTARTS: '3',
      PET_NPROC_PER_NODE: '1',
      MASTER_ADDR: null,
      WORLD_SIZE: null,
    });
  });

  test('TFJob: TF_CONFIG with every replica at its Service address; worker-0 decides success; the running PS is cleaned up', async () => {
    const ns = await freshNamespace(client, 'tf-env');
    // worker-0 (whose exit decides success) lingers a second, so worker-1 has finished and keeps its Pod and Service.
    const linger = '\nimport time\nif json.loads(os.environ["TF_CONFIG"])["task"]["index"] == 0: time.sleep(1)';
    await client.create(job('TFJob', 'tfReplicaSpecs', 'tensorflow', ns, 'dist', { PS: { command: forever }, Worker: { replicas: 2, command: printEnv(['TF_CONFIG'], linger) } }));
    await untilState('TFJob', ns, 'dist', 'Succeeded');
    // The PS's Service goes with its Pod (below); the workers' stay with their finished Pods.
    const svcs = await services(ns);
    const at = (name: string): string => `127.0.0.1:${hostPorts(svcs.find((s) => s.metadata.name === name)!)['tfjob-port']}`;
    const config = JSON.parse((await envOf(ns, 'dist-worker-1')).TF_CONFIG ?? '{}') as { cluster: { ps: string[] } };
    assert.match(config.cluster.ps[0] ?? '', /^127\.0\.0\.1:\d+$/);
    assert.deepEqual(config, { cluster: { ps: config.cluster.ps, worker: [at('dist-worker-0'), at('dist-worker-1')] }, task: { type: 'worker', index: 1 }, environment: 'cloud' });
    assert.deepEqual(JSON.parse((await envOf(ns, 'dist-worker-0')).TF_CONFIG ?? '{}'), { ...config, task: { type: 'worker', index: 0 } });
    // cleanPodPolicy defaults to Running for TFJob: the PS, still running, goes.
    await waitFor(async () => !(await pods(ns)).some((p) => p.metadata.name === 'dist-ps-0'), { what: 'the PS pod to be deleted' });
    assert.ok((await pods(ns)).some((p) => p.metadata.name === 'dist-worker-0'), 'finished Pods stay');
  });

  test('XGBoostJob and MXJob: their environment contracts', async () => {
    const ns = await freshNamespace(client, 'xgb-mx-env');
    const xgbKeys = ['MASTER_ADDR', 'MASTER_PORT', 'WORLD_SIZE', 'RANK', 'WORKER_PORT', 'WORKER_ADDRS', 'PYTHONUNBUFFERED'];
    await client.create(job('XGBoostJob', 'xgbReplicaSpecs', 'xgboost', ns, 'xgb', { Master: { command: printEnv(xgbKeys, '\nimport time; time.sleep(1)') }, Worker: { replicas: 2, command: printEnv(xgbKeys) } }));
    await untilState('XGBoostJob', ns, 'xgb', 'Succeeded');
    const svcs = await services(ns);
    const port = (name: string): string => String(hostPorts(svcs.find((s) => s.metadata.name === name)!)['xgboostjob-port']);
    assert.deepEqual(await envOf(ns, 'xgb-worker-1'), {
      MASTER_ADDR: '127.0.0.1', MASTER_PORT: port('xgb-master-0'), WORLD_SIZE: '3', RANK: '2', WORKER_PORT: port('xgb-worker-0'), WORKER_ADDRS: '127.0.0.1,127.0.0.1', PYTHONUNBUFFERED: '1',
    });

    const mxKeys = ['DMLC_PS_ROOT_URI', 'DMLC_PS_ROOT_PORT', 'DMLC_NUM_SERVER', 'DMLC_NUM_WORKER', 'DMLC_ROLE', 'DMLC_USE_KUBERNETES', 'DMLC_WORKER_ID', 'MX_CONFIG'];
    await client.create(job('MXJob', 'mxReplicaSpecs', 'mxnet', ns, 'mx', { Scheduler: { command: forever }, Server: { command: forever }, Worker: { replicas: 2, command: printEnv(mxKeys) } }, { jobMode: 'MXTrain' }));
    await untilState('MXJob', ns, 'mx', 'Succeeded');
    const all = await services(ns);
    const mxAt = (name: string) => ({ url: '127.0.0.1', port: hostPorts(all.find((s) => s.metadata.name === name)!)['mxjob-port'] });
    const env = await envOf(ns, 'mx-worker-1');
    const mx = JSON.parse(env.MX_CONFIG ?? '{}') as { cluster: { scheduler: { url: string; port: number }[]; server: unknown[] } };
    const scheduler = mx.cluster.scheduler[0];
    assert.equal(scheduler?.url, '127.0.0.1');
    assert.deepEqual(mx, {
      cluster: { scheduler: [scheduler], server: mx.cluster.server, worker: [mxAt('mx-worker-0'), mxAt('mx-worker-1')] },
      labels: { scheduler: '', server: '', worker: '' },
      task: { type: 'worker', index: 1 },
    });
    delete env.MX_CONFIG;
    assert.deepEqual(env, { DMLC_PS_ROOT_URI: '127.0.0.1', DMLC_PS_ROOT_PORT: String(scheduler?.port), DMLC_NUM_SERVER: '1', DMLC_NUM_WORKER: '2', DMLC_ROLE: 'worker', DMLC_USE_KUBERNETES: '1', DMLC_WORKER_ID: '1' });
  });

  test('a crashing worker is restarted (OnFailure) and the job fails once the backoff limit is passed', async () => {
    const ns = await freshNamespace(client, 'pt-backoff');
    await client.create(pytorchJob(ns, 'crashy', { Master: { command: forever }, Worker: { command: [python, '-c', 'import sys; print("boom", flush=True); sys.exit(1)'] } }, { runPolicy: { backoffLimit: 2 } }));
    const failed = await untilState('PyTorchJob', ns, 'crashy', 'Failed');
    const condition = failed.status?.conditions?.find((c) => c.type === 'Failed');
    assert.equal(condition?.reason, 'PyTorchJobFailed');
    assert.equal(condition?.message, 'Job crashy has failed because it has reached the specified backoff limit');
    const reasons = (await events(ns, 'crashy')).map((e) => `${e.type}/${e.reason}`);
    assert.ok(reasons.includes('Warning/PyTorchJobRestarting'), `it was Restarting first: ${JSON.stringify(reasons)}`);
    await waitFor(async () => (await pods(ns)).length === 0, { what: 'the pods to be deleted' });
  });

  test('restartPolicy ExitCode: 128+ is retried with a new Pod, 1-127 fails the job', async () => {
    const ns = await freshNamespace(client, 'pt-exitcode');
    const marker = join(dataDir, `${ns}-first-run-done`);
    const flaky = [python, '-c', `import os, sys\nif not os.path.exists(${JSON.stringify(marker)}):\n    open(${JSON.stringify(marker)}, "w").close(); sys.exit(137)\nprint("second run ok")`];
    await client.create(pytorchJob(ns, 'retry', { Master: { restartPolicy: 'ExitCode', command: flaky } }));
    const ok = await untilState('PyTorchJob', ns, 'retry', 'Succeeded');
    const reasons = (await events(ns, 'retry')).map((e) => `${e.reason}: ${e.message}`);
    assert.ok(reasons.includes(`ExitedWithCode: Pod: ${ns}.retry-master-0 exited with code 137; restarting it (restartPolicy ExitCode)`), JSON.stringify(reasons));
    assert.ok(reasons.includes('PyTorchJobRestarting: ' + `PyTorchJob ${ns}/retry is restarting because a replica failed.`), JSON.stringify(reasons));
    assert.equal(ok.status?.conditions?.some((c) => c.type === 'Restarting'), false, 'Running replaced Restarting');
    const pod = (await pods(ns)).find((p) => p.metadata.name === 'retry-master-0')!;
    assert.equal(pod.spec.restartPolicy, 'Never');
    assert.match(await logs(ns, 'retry-master-0'), /second run ok/);

    await client.create(pytorchJob(ns, 'fatal', { Master: { restartPolicy: 'ExitCode', command: [python, '-c', 'import sys; sys.exit(3)'] } }));
    const failed = await untilState('PyTorchJob', ns, 'fatal', 'Failed');
    assert.equal(failed.status?.conditions?.at(-1)?.message, `PyTorchJob ${ns}/fatal has failed because 1 Master replica(s) failed.`);
    assert.equal(failed.status?.replicaStatuses?.Master?.failed, 1);
  });

  test('activeDeadlineSeconds ends a running job and deletes its Pods', async () => {
    const ns = await freshNamespace(client, 'pt-deadline');
    await client.create(pytorchJob(ns, 'slow', { Master: { command: forever } }, { runPolicy: { activeDeadlineSeconds: 2 } }));
    await untilState('PyTorchJob', ns, 'slow', 'Running');
    const failed = await untilState('PyTorchJob', ns, 'slow', 'Failed');
    assert.equal(failed.status?.conditions?.at(-1)?.message, 'Job slow has failed because it was active longer than specified deadline');
    assert.equal(failed.status?.conditions?.find((c) => c.type === 'Running')?.status, 'False');
    await waitFor(async () => (await pods(ns)).length === 0 && (await services(ns)).length === 0, { what: 'pods and services to go' });
  });

  test('suspend removes the Pods and resume brings them back', async () => {
    const ns = await freshNamespace(client, 'pt-suspend');
    await client.create(pytorchJob(ns, 'paused', { Master: { command: forever }, Worker: { command: forever } }, { runPolicy: { suspend: true } }));
    const suspended = await untilState('PyTorchJob', ns, 'paused', 'Suspended');
    assert.equal(suspended.status?.conditions?.at(-1)?.reason, 'PyTorchJobSuspended');
    assert.equal((await pods(ns)).length, 0);
    await client.patch({ apiVersion: TrainingApiVersion, kind: 'PyTorchJob' }, 'paused', ns, { spec: { runPolicy: { suspend: false } } }, 'application/merge-patch+json');
    const running = await untilState('PyTorchJob', ns, 'paused', 'Running');
    assert.equal(running.status?.conditions?.find((c) => c.type === 'Suspended')?.reason, 'PyTorchJobResumed');
    assert.equal((await pods(ns)).length, 2);
    await client.patch({ apiVersion: TrainingApiVersion, kind: 'PyTorchJob' }, 'paused', ns, { spec: { runPolicy: { suspend: true } } }, 'application/merge-patch+json');
    await waitFor(async () => (await state('PyTorchJob', ns, 'paused')) === 'Suspended' && (await pods(ns)).length === 0, { what: 'suspended again, with no pods', timeoutMs: 30_000 });
  });

  test('deleting a job removes its Pods and Services; ttlSecondsAfterFinished deletes a finished job', async () => {
    const ns = await freshNamespace(client, 'pt-delete');
    await client.create(pytorchJob(ns, 'doomed', { Master: { command: forever }, Worker: { replicas: 2, command: forever } }));
    await untilState('PyTorchJob', ns, 'doomed', 'Running');
    assert.equal((await pods(ns)).length, 3);
    await client.delete({ apiVersion: TrainingApiVersion, kind: 'PyTorchJob' }, 'doomed', ns);
    await waitFor(async () => (await pods(ns)).length === 0 && (await services(ns)).length === 0, { what: 'pods and services to be collected' });

    await client.create(pytorchJob(ns, 'brief', { Master: { command: ['true'] } }, { runPolicy: { ttlSecondsAfterFinished: 1 } }));
    await untilState('PyTorchJob', ns, 'brief', 'Succeeded');
    await waitFor(async () => {
      try {
        await get('PyTorchJob', ns, 'brief');
        return false;
      } catch (err) {
        return err instanceof FloeError && err.reason === 'NotFound';
      }
    }, { what: 'the finished job to be deleted by its TTL' });
  });

  test('schedulingPolicy.minAvailable gangs the Pods; nodeSelector, tolerations and GPU requests pass through', async () => {
    const ns = await freshNamespace(client, 'pt-gang');
    const extra = { nodeSelector: { 'kubernetes.io/os': 'linux' }, tolerations: [{ key: 'dedicated', operator: 'Exists', effect: 'NoSchedule' }] };
    const spec = pytorchJob(ns, 'gang', { Master: { command: forever, extra }, Worker: { replicas: 2, command: forever, extra } }, { runPolicy: { schedulingPolicy: { minAvailable: 3 } } });
    await client.create(spec);
    await untilState('PyTorchJob', ns, 'gang', 'Running');
    const all = await pods(ns);
    assert.equal(all.length, 3);
    for (const p of all) {
      assert.equal(p.metadata.annotations?.['scheduling.floe.dev/group'], 'gang');
      assert.equal(p.metadata.annotations?.['scheduling.floe.dev/min-available'], '3');
      assert.deepEqual(p.spec.nodeSelector, extra.nodeSelector);
      assert.deepEqual(p.spec.tolerations?.[0], extra.tolerations[0]);
    }
    await client.delete({ apiVersion: TrainingApiVersion, kind: 'PyTorchJob' }, 'gang', ns);
    const gpu = pytorchJob(ns, 'gpu', { Master: { command: forever } });
    const master = (gpu.spec.pytorchReplicaSpecs as Record<string, { template: { spec: { containers: { resources?: unknown }[] } } }>).Master!;
    master.template.spec.containers[0]!.resources = { limits: { 'nvidia.com/gpu': 1 } };
    await client.create(gpu);
    const pod = await waitFor(async () => (await pods(ns)).find((p) => p.metadata.name === 'gpu-master-0'), { what: 'the GPU pod' });
    assert.deepEqual(pod.spec.containers[0]?.resources?.limits, { 'nvidia.com/gpu': 1 });
  });

  test('bad jobs are refused with every wrong field named, and nothing is stored', async () => {
    const ns = await freshNamespace(client, 'pt-invalid');
    const bad = pytorchJob(ns, 'bad', { Master: { replicas: 2, command: forever, container: 'main' }, Chief: { command: forever } });
    await assert.rejects(client.create(bad), (err: unknown) => {
      assert.ok(err instanceof FloeError);
      assert.equal(err.reason, 'Invalid');
      assert.match(err.message, /spec\.pytorchReplicaSpecs\[Master\]\.replicas/);
      assert.match(err.message, /there must be a container named pytorch/);
      assert.match(err.message, /spec\.pytorchReplicaSpecs\[Chief\]: Unsupported value: "Chief"/);
      return true;
    });
    await assert.rejects(client.create(job('TFJob', 'tfReplicaSpecs', 'tensorflow', ns, 'typo', { Worker: { restartPolicy: 'Sometimes', command: forever } })), /restartPolicy/);
    await assert.rejects(client.create(job('XGBoostJob', 'xgbReplicaSpecs', 'xgboost', ns, 'nomaster', { Worker: { command: forever } })), /needs a Master replica/);
    assert.equal((await client.list({ apiVersion: TrainingApiVersion, kind: 'PyTorchJob' }, { namespace: ns })).items.length, 0);
  });
});
