// Pipelines benchmark: the same compiled KFP YAML run by Floe (`floe up` as a subprocess; the IR POSTed to its KFP REST
// API v2beta1, one Pod per task on the local runtime) and by kfp.local (the SDK's SubprocessRunner, use_venv=False,
// the YAML loaded with kfp.components.load_component_from_file), caching off on both sides, on the same machine:
//  (a) a linear chain of trivial lightweight Python components, each step taking the previous step's output,
//  (b) a ParallelFor over trivial tasks (or, where a side cannot run ParallelFor, the same tasks as independent tasks).
// Wall time (median over the repetitions, sides alternating), per-step overhead (wall / tasks) and Floe's breakdown
// (submit → first Pod, time inside task Pods, the engine's gap between chained steps). Floe runs each scenario twice:
// with the warm executor (its default: each lightweight task a fork of a worker that has imported kfp) and with every
// task opted out (Pod annotation pipelines.floe.dev/warm-executor: "false", a fresh Python per task). Writes
// bench/results/pipelines-bench.{json,md}. Flags: --steps 50 --fanout 200 --reps 3; PIPELINES_BENCH_FLOE_URL runs
// against an already running Floe instead of starting one.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Agent } from 'node:http';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { arg, httpCall, sleep } from './common.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const cli = join(root, 'dist', 'src', 'cli', 'main.js');
const python = process.env.PIPELINES_BENCH_PYTHON ?? join(root, '.venvs', 'kfp', 'bin', 'python');
const driver = join(root, 'bench', 'pipelines', 'kfp_bench.py');
const resultsDir = join(root, 'bench', 'results');
const steps = arg('steps', 50);
const fanout = arg('fanout', 200);
const reps = arg('reps', 3);
/** A run that shows no task change for this long is recorded as stalled (a benchmark guard, not a test limit). */
const stallMs = 120_000;
/** The client polls the run this often; its wall time is at most this much late (the server times are exact). */
const pollMs = 50;
const run = promisify(execFile);
const progress = (msg: string): void => { process.stderr.write(`[pipelines-bench] ${msg}\n`); };

const round = (n: number): number => Math.round(n);
const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
};
const ms = (t: string | undefined): number => (t ? Date.parse(t) : NaN);

type Json = Record<string, unknown>;
interface Task { task_id: string; display_name?: string; parent_task_id?: string; state?: string; start_time?: string; end_time?: string; create_time?: string; pod_name?: string; state_history?: { update_time?: string; state?: string }[] }
interface Run { run_id: string; state?: string; created_at?: string; finished_at?: string; error?: { message?: string }; run_details?: { task_details?: Task[] } }

interface FloeRep {
  ok: boolean;
  state: string;
  error?: string;
  /** POST /runs sent → the poll that saw the run finished (client side, ±pollMs). */
  wallMs: number;
  /** The run's own created_at → finished_at. */
  serverMs: number;
  /** created_at → the first task Pod created (its task's start_time). */
  submitToFirstPodMs: number;
  /** The last task Pod's end → the run finished. */
  lastPodToFinishMs: number;
  /** Median time inside one task (Pod created → its success observed). */
  medianTaskMs: number;
  /** Linear chain: the engine's time between a step finishing and the next step's Pod being created, median. */
  medianGapMs?: number;
  containerTasks: number;
}

interface LocalRep {
  ok: boolean;
  wallMs: number;
  initMs: number;
  errorType?: string;
  error?: string;
}

/** One run on Floe: POST the IR, poll until it ends, read the breakdown from its tasks. */
/**
 * After a long idle (kfp.local's turn), a pooled keep-alive socket the server has closed fails the next request with
 * "socket hang up". A GET goes first, retried, so the timed POST never meets such a socket.
 */
async function freshConnection(agent: Agent, base: string): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      await httpCall(agent, `${base}/apis/v2beta1/healthz`, 'GET');
      return;
    } catch (err) {
      if (attempt >= 2) throw err;
    }
  }
}

async function floeRun(agent: Agent, base: string, name: string, spec: Json): Promise<FloeRep> {
  await freshConnection(agent, base);
  const started = performance.now();
  const res = await httpCall(agent, `${base}/apis/v2beta1/runs`, 'POST', { display_name: `${name} ${new Date().toISOString()}`, pipeline_spec: spec });
  if (res.status !== 200) throw new Error(`POST /apis/v2beta1/runs answered ${res.status}: ${res.body}`);
  const id = (JSON.parse(res.body) as Run).run_id;
  let last: Run | undefined;
  let lastChange = performance.now();
  let signature = '';
  for (;;) {
    const got = await httpCall(agent, `${base}/apis/v2beta1/runs/${id}`, 'GET');
    last = JSON.parse(got.body) as Run;
    if (['SUCCEEDED', 'FAILED', 'CANCELED', 'SKIPPED'].includes(last.state ?? '')) break;
    const now = (last.run_details?.task_details ?? []).map((t) => `${t.task_id}:${t.state}`).join(',');
    if (now !== signature) {
      signature = now;
      lastChange = performance.now();
    } else if (performance.now() - lastChange > stallMs) {
      const stuck = (last.run_details?.task_details ?? []).filter((t) => t.state !== 'SUCCEEDED').map((t) => `${t.display_name}:${t.state}`);
      await httpCall(agent, `${base}/apis/v2beta1/runs/${id}:terminate`, 'POST', {});
      return { ok: false, state: `STALLED (${last.state})`, error: `no task changed state for ${stallMs / 1000} s; unfinished: ${stuck.slice(0, 10).join(', ')}`, wallMs: NaN, serverMs: NaN, submitToFirstPodMs: NaN, lastPodToFinishMs: NaN, medianTaskMs: NaN, containerTasks: 0 };
    }
    await sleep(pollMs);
  }
  const wallMs = performance.now() - started;
  const tasks = (last.run_details?.task_details ?? []).filter((t) => t.pod_name);
  const created = ms(last.created_at);
  const finished = ms(last.finished_at);
  const starts = tasks.map((t) => ms(t.start_time)).filter(Number.isFinite);
  const ends = tasks.map((t) => ms(t.end_time)).filter(Number.isFinite);
  const rep: FloeRep = {
    ok: last.state === 'SUCCEEDED',
    state: last.state ?? '',
    wallMs: round(wallMs),
    serverMs: round(finished - created),
    submitToFirstPodMs: round(Math.min(...starts) - created),
    lastPodToFinishMs: round(finished - Math.max(...ends)),
    medianTaskMs: round(median(tasks.map((t) => ms(t.end_time) - ms(t.start_time)))),
    containerTasks: tasks.length,
  };
  if (last.error?.message) rep.error = last.error.message;
  if (name === 'linear') {
    const byStart = [...tasks].sort((a, b) => ms(a.start_time) - ms(b.start_time));
    const gaps = byStart.slice(1).map((t, i) => ms(t.start_time) - ms(byStart[i]!.end_time));
    rep.medianGapMs = round(median(gaps));
  }
  return rep;
}

/** One run with kfp.local in its own Python process. */
async function localRun(yaml: string, work: string): Promise<LocalRep> {
  rmSync(work, { recursive: true, force: true });
  const { stdout } = await run(python, [driver, 'local', yaml, work], { maxBuffer: 256 * 1024 * 1024, env: { ...process.env, PYTHONWARNINGS: 'ignore' } });
  const line = stdout.split('\n').map((l) => l.trim()).filter((l) => l.startsWith('{"ok"')).pop();
  if (!line) throw new Error(`kfp.local printed no result: ${stdout.slice(-2000)}`);
  const r = JSON.parse(line) as { ok: boolean; wall_ms: number; init_ms: number; error_type?: string; error?: string };
  rmSync(work, { recursive: true, force: true });
  return { ok: r.ok, wallMs: round(r.wall_ms), initMs: round(r.init_ms), ...(r.error_type ? { errorType: r.error_type } : {}), ...(r.error ? { error: r.error } : {}) };
}

/** The same run with every task a fresh process: the warm executor's opt-out annotation on every executor. */
function freshProcesses(spec: Json): Json {
  const executors = Object.keys(((spec.deploymentSpec as Json | undefined)?.executors as Json | undefined) ?? {});
  const annotated = Object.fromEntries(executors.map((e) => [e, { podMetadata: { annotations: { 'pipelines.floe.dev/warm-executor': 'false' } } }]));
  return { pipeline_spec: spec, platform_spec: { platforms: { kubernetes: { deploymentSpec: { executors: annotated } } } } };
}

/** Caching off for every task (root DAG and sub-DAGs), as both sides are measured without it. */
function cachingOff(spec: Json): Json {
  const copy = JSON.parse(JSON.stringify(spec)) as { root?: { dag?: { tasks?: Record<string, Json> } }; components?: Record<string, { dag?: { tasks?: Record<string, Json> } }> };
  for (const dag of [copy.root?.dag, ...Object.values(copy.components ?? {}).map((c) => c.dag)]) {
    for (const task of Object.values(dag?.tasks ?? {})) task.cachingOptions = { enableCache: false };
  }
  return copy;
}

async function startFloe(dataDir: string): Promise<{ base: string; child?: ChildProcess }> {
  const given = process.env.PIPELINES_BENCH_FLOE_URL;
  if (given) return { base: given.replace(/\/+$/, '') };
  const child = spawn(process.execPath, [cli, 'up', '--data-dir', dataDir, '--port', '0', '--log-level', 'warn'], { stdio: ['ignore', 'ignore', 'inherit'] });
  const kubeconfig = join(dataDir, 'kubeconfig');
  let base = '';
  for (let i = 0; i < 600 && !base; i++) {
    await sleep(100);
    if (existsSync(kubeconfig)) base = /server: (\S+)/.exec(readFileSync(kubeconfig, 'utf8'))?.[1] ?? '';
  }
  if (!base) throw new Error('floe up wrote no kubeconfig within 60 s');
  return { base, child };
}

interface Scenario {
  name: 'linear' | 'parallel';
  tasks: number;
  floeYaml: string;
  localYaml: string;
  floe: FloeRep[];
  fresh: FloeRep[];
  local: LocalRep[];
  note?: string;
}

async function main(): Promise<void> {
  if (!existsSync(python)) throw new Error(`${python} is missing: run node tools/setup.mjs --with-training-envs`);
  const work = mkdtempSync(join(tmpdir(), 'floe-pipelines-bench-'));
  const compiledDir = join(work, 'compiled');
  progress(`compiling: linear ${steps} steps, ParallelFor over ${fanout}`);
  const { stdout } = await run(python, [driver, 'compile', compiledDir, String(steps), String(fanout)], { env: { ...process.env, PYTHONWARNINGS: 'ignore' } });
  const files = JSON.parse(stdout.trim().split('\n').pop() ?? '{}') as { linear: string; parallel: string; independent: string };
  const { parseAllDocuments } = await import('yaml');
  const ir = (file: string): Json => cachingOff(parseAllDocuments(readFileSync(file, 'utf8')).map((d) => d.toJS() as Json)[0]!);

  const dataDir = join(work, 'floe');
  mkdirSync(dataDir, { recursive: true });
  const floe = await startFloe(dataDir);
  const agent = new Agent({ keepAlive: true, maxSockets: 4 });
  try {
    for (let i = 0; ; i++) {
      const h = await httpCall(agent, `${floe.base}/apis/v2beta1/healthz`, 'GET').catch(() => ({ status: 0, body: '' }));
      if (h.status === 200) break;
      if (h.status === 404) throw new Error(`Floe at ${floe.base} does not serve the KFP API (/apis/v2beta1/healthz answered 404)`);
      if (i > 300) throw new Error(`Floe at ${floe.base} is not answering: ${h.status} ${h.body}`);
      await sleep(100);
    }
    // Does kfp.local run ParallelFor? One small probe decides which YAML its side of (b) runs.
    progress('probing kfp.local with a ParallelFor of 3');
    const probeDir = join(work, 'probe');
    await run(python, [driver, 'compile', probeDir, '2', '3'], { env: { ...process.env, PYTHONWARNINGS: 'ignore' } });
    const probe = await localRun(join(probeDir, 'parallel.yaml'), join(work, 'probe-run'));
    const parallelNote = probe.ok
      ? 'kfp.local runs the ParallelFor YAML itself.'
      : `kfp.local cannot run the ParallelFor YAML (${probe.errorType}: ${probe.error}); its side runs the same ${fanout} tasks as independent tasks in one DAG.`;
    progress(parallelNote);
    // Warm-up on both sides (first Pod of the kfp environment, Python's bytecode caches), not counted.
    progress('warm-up: one 2-step run on each side');
    await floeRun(agent, floe.base, 'warmup', ir(join(probeDir, 'linear.yaml')));
    // The warm executor's worker starts with the first lightweight task; its tasks run fresh until it listens.
    const socket = join(dataDir, 'pipelines', 'warm', 'kfp.sock');
    for (let i = 0; floe.child && i < 300 && !existsSync(socket); i++) await sleep(100);
    await floeRun(agent, floe.base, 'warmup', ir(join(probeDir, 'linear.yaml')));
    await floeRun(agent, floe.base, 'warmup', freshProcesses(ir(join(probeDir, 'linear.yaml'))));
    await localRun(join(probeDir, 'linear.yaml'), join(work, 'warmup'));

    const scenarios: Scenario[] = [
      { name: 'linear', tasks: steps, floeYaml: files.linear, localYaml: files.linear, floe: [], fresh: [], local: [] },
      { name: 'parallel', tasks: fanout, floeYaml: files.parallel, localYaml: probe.ok ? files.parallel : files.independent, floe: [], fresh: [], local: [], note: parallelNote },
    ];
    for (const s of scenarios) {
      const spec = ir(s.floeYaml);
      for (let r = 0; r < reps; r++) {
        // Alternate which side goes first, so a drift in the machine's load does not favour one.
        const order = r % 2 === 0 ? ['floe', 'fresh', 'local'] : ['local', 'fresh', 'floe'];
        for (const side of order) {
          if (side === 'floe') {
            const rep = await floeRun(agent, floe.base, s.name, spec);
            s.floe.push(rep);
            progress(`${s.name} rep ${r + 1} Floe (warm executor): ${JSON.stringify(rep)}`);
          } else if (side === 'fresh') {
            const rep = await floeRun(agent, floe.base, s.name, freshProcesses(spec));
            s.fresh.push(rep);
            progress(`${s.name} rep ${r + 1} Floe (fresh processes): ${JSON.stringify(rep)}`);
          } else {
            const rep = await localRun(s.localYaml, join(work, `local-${s.name}-${r}`));
            s.local.push(rep);
            progress(`${s.name} rep ${r + 1} kfp.local: ${JSON.stringify(rep)}`);
          }
        }
      }
    }
    const kfpVersion = (await run(python, ['-c', 'import kfp; print(kfp.__version__)'])).stdout.trim();
    const summary = scenarios.map((s) => {
      const okFloe = s.floe.filter((r) => r.ok);
      const okLocal = s.local.filter((r) => r.ok);
      const okFresh = s.fresh.filter((r) => r.ok);
      const floeWall = median(okFloe.map((r) => r.wallMs));
      const freshWall = median(okFresh.map((r) => r.wallMs));
      const localWall = median(okLocal.map((r) => r.wallMs));
      return {
        scenario: s.name,
        tasks: s.tasks,
        floe: {
          runs: s.floe.length,
          succeeded: okFloe.length,
          medianWallMs: round(floeWall),
          perStepMs: round(floeWall / s.tasks),
          medianServerMs: round(median(okFloe.map((r) => r.serverMs))),
          medianSubmitToFirstPodMs: round(median(okFloe.map((r) => r.submitToFirstPodMs))),
          medianTaskMs: round(median(okFloe.map((r) => r.medianTaskMs))),
          ...(s.name === 'linear' ? { medianGapBetweenStepsMs: round(median(okFloe.map((r) => r.medianGapMs ?? NaN))) } : {}),
          medianLastPodToFinishMs: round(median(okFloe.map((r) => r.lastPodToFinishMs))),
        },
        floeFreshProcesses: {
          runs: s.fresh.length,
          succeeded: okFresh.length,
          medianWallMs: round(freshWall),
          perStepMs: round(freshWall / s.tasks),
          medianTaskMs: round(median(okFresh.map((r) => r.medianTaskMs))),
          ...(s.name === 'linear' ? { medianGapBetweenStepsMs: round(median(okFresh.map((r) => r.medianGapMs ?? NaN))) } : {}),
        },
        kfpLocal: {
          runs: s.local.length,
          succeeded: okLocal.length,
          yaml: s.localYaml === s.floeYaml ? 'same' : 'independent tasks (fallback)',
          medianWallMs: round(localWall),
          perStepMs: round(localWall / s.tasks),
          medianInitMs: round(median(okLocal.map((r) => r.initMs))),
        },
        floeOverKfpLocal: Math.round((floeWall / localWall) * 100) / 100,
        kfpLocalOverFloe: Math.round((localWall / floeWall) * 10) / 10,
        freshOverWarm: Math.round((freshWall / floeWall) * 10) / 10,
        ...(s.note ? { note: s.note } : {}),
        reps: { floe: s.floe, floeFreshProcesses: s.fresh, kfpLocal: s.local },
      };
    });
    const machine = { cpus: cpus().length, cpuModel: cpus()[0]?.model ?? '', memoryGiB: Math.round(totalmem() / 2 ** 30), node: process.version, kfp: kfpVersion };
    const result = {
      bench: 'pipelines',
      date: new Date().toISOString(),
      machine,
      settings: { steps, fanout, reps, caching: 'off on both sides', kfpLocalRunner: 'SubprocessRunner(use_venv=False)', floe: floe.child ? 'floe up subprocess, KFP REST API v2beta1' : `running Floe at ${floe.base}` },
      scenarios: summary,
    };
    mkdirSync(resultsDir, { recursive: true });
    writeFileSync(join(resultsDir, 'pipelines-bench.json'), `${JSON.stringify(result, null, 2)}\n`);
    writeFileSync(join(resultsDir, 'pipelines-bench.md'), markdown(result.date, machine, summary));
    process.stdout.write(`${JSON.stringify({ ...result, scenarios: summary.map(({ reps: _reps, ...rest }) => rest) }, null, 2)}\n`);
  } finally {
    agent.destroy();
    if (floe.child && floe.child.exitCode === null) {
      const exited = new Promise((r) => floe.child!.once('exit', r));
      floe.child.kill('SIGTERM');
      await exited;
    }
    rmSync(work, { recursive: true, force: true });
  }
}

type Summary = { scenario: string; tasks: number; floe: Record<string, number>; floeFreshProcesses: Record<string, number>; kfpLocal: Record<string, unknown>; floeOverKfpLocal: number; kfpLocalOverFloe: number; freshOverWarm: number; note?: string };

function markdown(date: string, machine: { cpus: number; cpuModel: string; node: string; kfp: string }, rows: Summary[]): string {
  const s = (v: unknown): string => (typeof v === 'number' ? (Number.isFinite(v) ? `${(v / 1000).toFixed(2)} s` : 'n/a') : String(v));
  const lines = [
    '# Floe vs kfp.local: the same compiled pipeline',
    '',
    `Median wall time over ${reps} repetitions per side (sides alternating), caching off on both; trivial lightweight Python`,
    'components (`step(x: int) -> int: return x + 1`, base image python:3.11, so each task also runs the SDK\'s own',
    '`pip install kfp` check). Floe: `floe up`, the IR POSTed to `/apis/v2beta1/runs`, one Pod per task on the local',
    'runtime, wall = POST → the poll (every 50 ms) that sees the run finished. kfp.local: `SubprocessRunner(use_venv=False)`, the YAML',
    'loaded with `kfp.components.load_component_from_file` and called; wall = the call.',
    `Machine: ${machine.cpus} × ${machine.cpuModel}; Node ${machine.node}, kfp ${machine.kfp}. ${date}. Generated by \`npm run bench:pipelines\`.`,
    '',
    'Floe runs each scenario twice: with the warm executor (its default; each lightweight task is a fork of a worker that',
    'has imported kfp, the Pod running a small client) and with every task opted out (a fresh Python per task).',
    '',
    '| scenario | tasks | Floe warm executor | Floe fresh processes | kfp.local | kfp.local / Floe warm | Floe warm per step | Floe fresh per step | kfp.local per step |',
    '|---|---|---|---|---|---|---|---|---|',
    ...rows.map((r) => `| ${r.scenario} | ${r.tasks} | ${s(r.floe.medianWallMs)} | ${s(r.floeFreshProcesses.medianWallMs)} | ${s(r.kfpLocal.medianWallMs)} | ${r.kfpLocalOverFloe}x | ${r.floe.perStepMs} ms | ${r.floeFreshProcesses.perStepMs} ms | ${String(r.kfpLocal.perStepMs)} ms |`),
    '',
    '## Floe breakdown with the warm executor (medians)',
    '',
    '| scenario | run created → finished (server) | submit → first Pod | inside one task Pod | gap between chained steps | last Pod → run finished |',
    '|---|---|---|---|---|---|',
    ...rows.map((r) => `| ${r.scenario} | ${s(r.floe.medianServerMs)} | ${r.floe.medianSubmitToFirstPodMs} ms | ${r.floe.medianTaskMs} ms | ${r.floe.medianGapBetweenStepsMs !== undefined ? `${r.floe.medianGapBetweenStepsMs} ms` : '—'} | ${r.floe.medianLastPodToFinishMs} ms |`),
    '',
    'kfp.local (2.17) runs ParallelFor iterations on at most 2 threads, and with `use_venv=False` it holds a one-slot',
    'semaphore around every task whose command pip-installs (every lightweight component), so its iterations run one at a',
    'time; Floe starts every iteration\'s Pod at once and the machine\'s cores bound it.',
    '',
    ...rows.flatMap((r) => [`- ${r.scenario}: Floe ${r.floe.succeeded}/${r.floe.runs} runs succeeded (fresh processes ${r.floeFreshProcesses.succeeded}/${r.floeFreshProcesses.runs}; inside one task Pod ${r.floeFreshProcesses.medianTaskMs} ms), kfp.local ${String(r.kfpLocal.succeeded)}/${String(r.kfpLocal.runs)} (YAML: ${String(r.kfpLocal.yaml)}; Python start and kfp import, not counted: ${String(r.kfpLocal.medianInitMs)} ms).${r.note ? ` ${r.note}` : ''}`]),
    '',
  ];
  return lines.join('\n');
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
  process.exit(1);
});
