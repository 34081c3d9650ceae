// Training operator benchmark: apply → every replica Running (p50/p99) for a 3-replica PyTorchJob, and the wall time
// of a real PyTorch DDP run through Floe versus the same processes launched by hand. Runs `floe up` as a subprocess;
// prints JSON and writes bench/results/training-bench.json.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Agent } from 'node:http';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { arg, percentile, sleep, httpCall, startFloeUp } from './common.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const runs = arg('runs', 20);
const trainingRuns = arg('training-runs', 3);
const agent = new Agent({ keepAlive: true, maxSockets: 8 });
const progress = (msg: string): void => { process.stderr.write(`[bench] ${msg}\n`); };

const call = (base: string, method: string, path: string, body?: unknown, contentType = 'application/json'): Promise<{ status: number; body: string }> => httpCall(agent, new URL(path, base), method, body, contentType);

const median = (xs: number[]): number => percentile([...xs].sort((a, b) => a - b), 50);
const round = (n: number): number => Math.round(n * 100) / 100;

interface JobState {
  status?: { conditions?: { type: string; status: string }[]; replicaStatuses?: Record<string, { active?: number }> };
}

async function until(base: string, path: string, done: (job: JobState) => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const res = await call(base, 'GET', path);
    if (res.status === 200 && done(JSON.parse(res.body) as JobState)) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting on ${path}: ${res.body.slice(0, 500)}`);
    await sleep(10);
  }
}

const jobsPath = '/apis/kubeflow.org/v1/namespaces/bench/pytorchjobs';

function pytorchJob(name: string, image: string, command: string[], volume?: { configMap: string; mountPath: string }): unknown {
  const replica = (replicas: number) => ({
    replicas,
    restartPolicy: 'OnFailure',
    template: {
      spec: {
        containers: [{ name: 'pytorch', image, command, ...(volume ? { volumeMounts: [{ name: 'code', mountPath: volume.mountPath }] } : {}) }],
        ...(volume ? { volumes: [{ name: 'code', configMap: { name: volume.configMap } }] } : {}),
      },
    },
  });
  return { apiVersion: 'kubeflow.org/v1', kind: 'PyTorchJob', metadata: { name }, spec: { pytorchReplicaSpecs: { Master: replica(1), Worker: replica(2) } } };
}

const succeeded = (j: JobState): boolean => j.status?.conditions?.some((c) => c.type === 'Succeeded' && c.status === 'True') ?? false;
const failed = (j: JobState): boolean => j.status?.conditions?.some((c) => c.type === 'Failed' && c.status === 'True') ?? false;

async function main(): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'floe-tbench-'));
  const { child, base } = await startFloeUp(dataDir);
  const result: Record<string, unknown> = { machine: { cpus: cpus().length, node: process.version }, parameters: { runs, trainingRuns } };
  try {
    await call(base, 'POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'bench' } });

    // 1. apply → all three replicas Running (as the job's replicaStatuses report it).
    progress(`${runs} PyTorchJobs (master + 2 workers, sleep processes): apply → all replicas running`);
    const latencies: number[] = [];
    for (let i = 0; i < runs; i++) {
      const name = `sleepy-${i}`;
      const t0 = performance.now();
      const res = await call(base, 'POST', jobsPath, pytorchJob(name, 'busybox', ['sleep', '600']));
      if (res.status !== 201) throw new Error(`create failed: ${res.body}`);
      await until(base, `${jobsPath}/${name}`, (j) => (j.status?.replicaStatuses?.Master?.active ?? 0) === 1 && (j.status?.replicaStatuses?.Worker?.active ?? 0) === 2, 60_000);
      latencies.push(performance.now() - t0);
      await call(base, 'DELETE', `${jobsPath}/${name}`);
    }
    latencies.sort((a, b) => a - b);
    result.applyToAllRunningMs = { p50: round(percentile(latencies, 50)), p99: round(percentile(latencies, 99)), min: round(latencies[0] ?? NaN), max: round(latencies.at(-1) ?? NaN) };

    // 2. A real DDP run: Floe versus the same three processes by hand.
    const script = join(root, 'examples', 'training', 'pytorch', 'train_ddp.py');
    const byHand = join(root, 'examples', 'training', 'pytorch', 'run-by-hand.sh');
    if (trainingRuns === 0) {
      result.pytorchDdp = { skipped: '--training-runs 0' };
    } else if (!existsSync(join(root, '.venvs', 'torch', 'bin', 'python')) || !existsSync(script) || !existsSync(byHand)) {
      result.pytorchDdp = { skipped: 'the torch environment (.venvs/torch) or examples/training/pytorch is missing' };
    } else {
      await call(base, 'POST', '/api/v1/namespaces/bench/configmaps', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'ddp' }, data: { 'train_ddp.py': readFileSync(script, 'utf8') } });
      const viaFloe: number[] = [];
      const manual: number[] = [];
      for (let i = 0; i < trainingRuns; i++) {
        progress(`PyTorch DDP run ${i + 1}/${trainingRuns} through Floe`);
        const name = `ddp-${i}`;
        const t0 = performance.now();
        const res = await call(base, 'POST', jobsPath, pytorchJob(name, 'pytorch/pytorch:2-cpu', ['python', '/opt/train/train_ddp.py'], { configMap: 'ddp', mountPath: '/opt/train' }));
        if (res.status !== 201) throw new Error(`create failed: ${res.body}`);
        await until(base, `${jobsPath}/${name}`, (j) => {
          if (failed(j)) throw new Error(`the DDP job failed: ${JSON.stringify(j.status)}`);
          return succeeded(j);
        }, 600_000);
        viaFloe.push(performance.now() - t0);
        await call(base, 'DELETE', `${jobsPath}/${name}`);
        progress(`PyTorch DDP run ${i + 1}/${trainingRuns} by hand`);
        const t1 = performance.now();
        const r = spawnSync('bash', [byHand], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });
        if (r.status !== 0) throw new Error(`run-by-hand.sh exited ${r.status}`);
        manual.push(performance.now() - t1);
      }
      result.pytorchDdp = {
        replicas: 3,
        floeWallMs: { median: round(median(viaFloe)), runs: viaFloe.map(round) },
        byHandWallMs: { median: round(median(manual)), runs: manual.map(round) },
        ratioFloeOverByHand: round(median(viaFloe) / median(manual)),
      };
    }
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    // Pods outlive `floe up` by design; the bench's own are ended here.
    spawnSync('pkill', ['-f', `${dataDir}/`]);
    rmSync(dataDir, { recursive: true, force: true });
  }
  result.note = 'apply→running: POST of the job to replicaStatuses showing master and both workers active (polled every 10 ms). DDP: POST to Succeeded, versus examples/training/pytorch/run-by-hand.sh.';
  const text = JSON.stringify(result, null, 2);
  process.stdout.write(`${text}\n`);
  mkdirSync(join(root, 'bench', 'results'), { recursive: true });
  writeFileSync(join(root, 'bench', 'results', 'training-bench.json'), `${text}\n`);
}

await main();
