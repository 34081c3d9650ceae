// Notebooks benchmark (issue 19): the time from creating a Notebook (kubeflownotebookswg/jupyter-scipy, mapped to
// .venvs/jupyter) to JupyterLab answering `/api/status` through Floe's route, p50/p95 over `--notebooks` notebooks, with
// where the time goes (Pod created, its process started, Jupyter answering); beside the floor: the same `jupyter lab`
// command started by hand and polled on its own port, alternating with the Floe runs. Then the idle RSS of each
// running notebook (its process tree) and of Floe. Starts `floe up` as a subprocess; writes
// bench/results/notebooks-bench.json.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Agent } from 'node:http';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { arg, httpCall, percentile, sleep, startFloeUp } from './common.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const venv = join(root, '.venvs', 'jupyter');
const count = arg('notebooks', 10);
const image = 'kubeflownotebookswg/jupyter-scipy:v1.9.0';
const progress = (msg: string): void => { process.stderr.write(`[notebooks-bench] ${msg}\n`); };
const round = (n: number): number => Math.round(n);

/** The command Floe gives a mapped notebook image (src/server/config.ts), run by hand for the floor. */
const jupyterScript =
  'export HOME="$PWD"; exec jupyter lab --no-browser --allow-root --ServerApp.ip=127.0.0.1 --ServerApp.port_retries=0 "--IdentityProvider.token=${JUPYTER_TOKEN:-}" --ServerApp.password= ' +
  '"--ServerApp.allow_origin=*" --ServerApp.allow_remote_access=True --ServerApp.authenticate_prometheus=False "--ServerApp.base_url=${NB_PREFIX:-/}"';

const agent = new Agent({ keepAlive: true, maxSockets: 4 });

async function until(what: string, fn: () => Promise<boolean>, timeoutMs = 600_000): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await fn().catch(() => false)) return performance.now();
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

/** The floor: `jupyter lab` started by hand in a fresh folder, spawn → 200 from /api/status on its own port. */
async function floorRun(port: number): Promise<number> {
  const cwd = mkdtempSync(join(tmpdir(), 'nb-floor-'));
  const started = performance.now();
  const child = spawn('/bin/sh', ['-c', jupyterScript], {
    cwd,
    env: { ...process.env, PATH: `${join(venv, 'bin')}:${process.env.PATH ?? ''}`, VIRTUAL_ENV: venv, NB_PREFIX: '/notebook/floor/nb', JUPYTER_PORT: String(port) },
    stdio: 'ignore',
    detached: true,
  });
  try {
    const ready = await until('jupyter lab by hand', async () => (await httpCall(agent, `http://127.0.0.1:${port}/notebook/floor/nb/api/status`, 'GET')).status === 200);
    floorCpu.push(cpuSeconds('NB_PREFIX=/notebook/floor/nb'));
    return ready - started;
  } finally {
    if (child.pid) process.kill(-child.pid, 'SIGKILL');
    rmSync(cwd, { recursive: true, force: true });
  }
}

/** CPU seconds Jupyter used until it answered, by hand and under Floe: the same work, whatever the scheduler gave it. */
const floorCpu: number[] = [];

interface FloeRun {
  cpuSecondsToReady: number;
  totalMs: number;
  podCreatedMs: number;
  containerStartedMs: number;
  jupyterAnsweringAfterStartMs: number;
}

async function floeRun(base: string, name: string): Promise<FloeRun> {
  const manifest = {
    apiVersion: 'kubeflow.org/v1beta1',
    kind: 'Notebook',
    metadata: { name, namespace: 'default' },
    spec: { template: { spec: { containers: [{ name, image, resources: { requests: { cpu: '10m', memory: '100Mi' } } }] } } },
  };
  const started = performance.now();
  const created = await httpCall(agent, `${base}/apis/kubeflow.org/v1beta1/namespaces/default/notebooks`, 'POST', manifest);
  if (created.status !== 201) throw new Error(`creating ${name}: ${created.status} ${created.body}`);
  const podUrl = `${base}/api/v1/namespaces/default/pods/${name}-0`;
  let podAt: number | undefined;
  let runningAt: number | undefined;
  const readyAt = await until(`${name} answering`, async () => {
    if (runningAt === undefined) {
      const pod = await httpCall(agent, podUrl, 'GET');
      if (pod.status === 200) {
        podAt ??= performance.now();
        const status = (JSON.parse(pod.body) as { status?: { containerStatuses?: { state?: { running?: unknown } }[] } }).status;
        if (status?.containerStatuses?.[0]?.state?.running) runningAt = performance.now();
      }
      if (runningAt === undefined) return false;
    }
    return (await httpCall(agent, `${base}/notebook/default/${name}/api/status`, 'GET')).status === 200;
  });
  const pod = podAt ?? readyAt;
  const running = runningAt ?? readyAt;
  return { cpuSecondsToReady: cpuSeconds(`NB_PREFIX=/notebook/default/${name}`), totalMs: readyAt - started, podCreatedMs: pod - started, containerStartedMs: running - started, jupyterAnsweringAfterStartMs: readyAt - running };
}

/** RSS (kB) of every process whose environment says it belongs to notebook `name` (the Pod's whole process tree). */
function notebookRssKb(name: string): number {
  let total = 0;
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      const env = readFileSync(`/proc/${pid}/environ`, 'utf8');
      if (!env.split('\0').includes(`NB_PREFIX=/notebook/default/${name}`)) continue;
      const rss = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
      total += Number(rss?.[1] ?? 0);
    } catch {
      // gone, or not ours to read
    }
  }
  return total;
}

/** CPU seconds (user + system, children reaped included) of every process whose environment has `marker`. */
function cpuSeconds(marker: string): number {
  let ticks = 0;
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      if (!readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').includes(marker)) continue;
      const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
      // utime, stime, cutime, cstime are fields 14-17 of /proc/<pid>/stat (11-14 after the command name).
      ticks += [11, 12, 13, 14].reduce((n, i) => n + Number(fields[i] ?? 0), 0);
    } catch {
      // gone, or not ours to read
    }
  }
  return ticks / 100;
}

function rssKb(pid: number): number {
  return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
}

const summary = (xs: number[]): { p50: number; p95: number; min: number; max: number } => {
  const s = [...xs].sort((a, b) => a - b);
  return { p50: round(percentile(s, 50)), p95: round(percentile(s, 95)), min: round(s[0] ?? NaN), max: round(s[s.length - 1] ?? NaN) };
};

async function main(): Promise<void> {
  if (!existsSync(join(venv, 'bin', 'jupyter'))) throw new Error(`${venv} is missing: python3 -m venv .venvs/jupyter && .venvs/jupyter/bin/pip install -r python/envs/jupyter/requirements.txt`);
  const dataDir = mkdtempSync(join(tmpdir(), 'floe-nb-bench-'));
  const { child, base } = await startFloeUp(dataDir);
  const floe: FloeRun[] = [];
  const floor: number[] = [];
  try {
    await until('floe ready', async () => (await httpCall(agent, `${base}/readyz`, 'GET')).status === 200);
    // One notebook first, not counted: the first import of JupyterLab's Python packages fills the page cache.
    progress('warm-up notebook');
    await floeRun(base, 'warmup');
    for (let i = 0; i < count; i++) {
      floor.push(await floorRun(18_800 + i));
      floe.push(await floeRun(base, `nb-${i}`));
      progress(`notebook ${i + 1}/${count}: floe ${round(floe[i]!.totalMs)} ms, by hand ${round(floor[i]!)} ms`);
    }
    await sleep(5000);
    const rss = Array.from({ length: count }, (_, i) => notebookRssKb(`nb-${i}`));
    const result = {
      benchmark: 'notebooks',
      date: new Date().toISOString(),
      machine: { cpus: cpus().length, loadAverage1m: Math.round(loadavg()[0]! * 100) / 100 },
      image,
      notebooks: count,
      applyToJupyterAnsweringThroughFloeMs: summary(floe.map((r) => r.totalMs)),
      breakdownMs: {
        applyToPodCreated: summary(floe.map((r) => r.podCreatedMs)),
        applyToContainerStarted: summary(floe.map((r) => r.containerStartedMs)),
        containerStartedToJupyterAnswering: summary(floe.map((r) => r.jupyterAnsweringAfterStartMs)),
      },
      floorJupyterLabByHandMs: summary(floor),
      jupyterCpuSecondsToReady: { underFloe: summary(floe.map((r) => r.cpuSecondsToReady * 1000)), byHand: summary(floorCpu.map((c) => c * 1000)), unit: 'ms of CPU' },
      idleRssPerNotebookMb: summary(rss.map((kb) => kb / 1024)),
      floeRssMb: round(rssKb(child.pid ?? 0) / 1024),
      runs: floe.map((r, i) => ({ totalMs: round(r.totalMs), podCreatedMs: round(r.podCreatedMs), containerStartedMs: round(r.containerStartedMs), jupyterAnsweringAfterStartMs: round(r.jupyterAnsweringAfterStartMs), byHandMs: round(floor[i] ?? NaN), idleRssMb: round((rss[i] ?? 0) / 1024) })),
    };
    const out = join(root, 'bench', 'results');
    mkdirSync(out, { recursive: true });
    writeFileSync(join(out, 'notebooks-bench.json'), `${JSON.stringify(result, null, 2)}\n`);
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
  process.exit(1);
});
