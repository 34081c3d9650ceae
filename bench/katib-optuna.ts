// Katib algorithms versus Optuna's samplers: best value found at equal budgets (Branin, Hartmann6, an XGBoost model's
// validation RMSE) over many seeds, and the time of one suggestion with 50/200/500 trials of history. Floe's side runs
// here (the XGBoost objective in one Python worker, bench/katib/objectives.py); Optuna's in bench/katib/optuna_bench.py.
// Writes bench/results/katib-optuna.json and bench/results/katib-optuna.md.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { algorithms, SearchSpace } from '../src/controllers/katib/algorithms/index.js';
import type { Algorithm, ParameterSpec, TrialRecord } from '../src/controllers/katib/algorithms/index.js';
import { Rng } from '../src/controllers/katib/algorithms/rng.js';

const root = fileURLToPath(new URL('../../', import.meta.url));

/** Floe's algorithmName → the Optuna sampler it is compared with. */
const PAIRS = [
  { algorithm: 'random', sampler: 'RandomSampler' },
  { algorithm: 'tpe', sampler: 'TPESampler(multivariate=False)' },
  { algorithm: 'multivariate-tpe', sampler: 'TPESampler(multivariate=True)' },
  { algorithm: 'bayesianoptimization', sampler: 'GPSampler' },
  { algorithm: 'cmaes', sampler: 'CmaEsSampler' },
] as const;

interface Config {
  python: string;
  seeds: number[];
  trials: number;
  checkpoints: number[];
  problems: string[];
  algorithms: string[];
  latencySizes: number[];
  latencyReps: number;
  latencyLimitSeconds: number;
  /**
   * Keep from the previous results file what this run does not redo: other algorithms' figures, and (when set)
   * Optuna's quality runs, which depend on the seeds alone. For re-running one algorithm after a change.
   */
  merge: boolean;
  reuseOptunaQuality: boolean;
}

function parseConfig(env: NodeJS.ProcessEnv): Config {
  const int = (name: string, fallback: number): number => {
    const raw = env[name];
    const n = raw === undefined || raw === '' ? fallback : Number(raw);
    if (!Number.isInteger(n) || n < 0) throw new Error(`${name} must be a non-negative integer, not ${raw}`);
    return n;
  };
  const list = (name: string, fallback: string[]): string[] => {
    const raw = env[name];
    return raw === undefined || raw.trim() === '' ? fallback : raw.split(',').map((s) => s.trim()).filter(Boolean);
  };
  const trials = int('KATIB_BENCH_TRIALS', 100);
  const seeds = int('KATIB_BENCH_SEEDS', 10);
  if (trials < 1 || seeds < 1) throw new Error('KATIB_BENCH_TRIALS and KATIB_BENCH_SEEDS must be at least 1');
  return {
    python: env.KATIB_BENCH_PYTHON ?? join(root, '.venvs', 'torch', 'bin', 'python'),
    seeds: Array.from({ length: seeds }, (_, i) => i + 1),
    trials,
    checkpoints: [...new Set([...[25, 50, 100].filter((c) => c < trials), trials])],
    problems: list('KATIB_BENCH_PROBLEMS', PROBLEMS.map((p) => p.name)),
    algorithms: list('KATIB_BENCH_ALGORITHMS', PAIRS.map((p) => p.algorithm)),
    latencySizes: list('KATIB_BENCH_LATENCY_SIZES', ['50', '200', '500']).map(Number),
    latencyReps: int('KATIB_BENCH_LATENCY_REPS', 5),
    latencyLimitSeconds: 60,
    merge: env.KATIB_BENCH_MERGE === '1',
    reuseOptunaQuality: env.KATIB_BENCH_REUSE_OPTUNA_QUALITY === '1',
  };
}

// ---- problems -------------------------------------------------------------------------------------------------

type Params = Record<string, string>;

interface Problem {
  name: string;
  title: string;
  parameters: ParameterSpec[];
  knownMinimum?: number;
  /** Evaluated here; without it, by the Python worker. */
  evaluate?: (p: Params) => number;
}

const double = (name: string, min: number, max: number, distribution: 'uniform' | 'logUniform' = 'uniform'): ParameterSpec => ({
  name,
  parameterType: 'double',
  feasibleSpace: { min: String(min), max: String(max), distribution },
});

function branin(p: Params): number {
  const x1 = Number(p.x1);
  const x2 = Number(p.x2);
  const b = 5.1 / (4 * Math.PI ** 2);
  const c = 5 / Math.PI;
  const t = 1 / (8 * Math.PI);
  return (x2 - b * x1 ** 2 + c * x1 - 6) ** 2 + 10 * (1 - t) * Math.cos(x1) + 10;
}

const H6_ALPHA = [1.0, 1.2, 3.0, 3.2];
const H6_A = [
  [10, 3, 17, 3.5, 1.7, 8],
  [0.05, 10, 17, 0.1, 8, 14],
  [3, 3.5, 1.7, 10, 17, 8],
  [17, 8, 0.05, 10, 0.1, 14],
];
const H6_P = [
  [0.1312, 0.1696, 0.5569, 0.0124, 0.8283, 0.5886],
  [0.2329, 0.4135, 0.8307, 0.3736, 0.1004, 0.9991],
  [0.2348, 0.1451, 0.3522, 0.2883, 0.3047, 0.665],
  [0.4047, 0.8828, 0.8732, 0.5743, 0.1091, 0.0381],
];

function hartmann6(p: Params): number {
  const x = [1, 2, 3, 4, 5, 6].map((i) => Number(p[`x${i}`]));
  let total = 0;
  for (let k = 0; k < 4; k++) {
    let s = 0;
    for (let j = 0; j < 6; j++) s += H6_A[k]![j]! * (x[j]! - H6_P[k]![j]!) ** 2;
    total += H6_ALPHA[k]! * Math.exp(-s);
  }
  return -total;
}

const PROBLEMS: Problem[] = [
  { name: 'branin', title: 'Branin (2-d, [-5,10]×[0,15], minimum 0.397887)', parameters: [double('x1', -5, 10), double('x2', 0, 15)], knownMinimum: 0.397887, evaluate: branin },
  {
    name: 'hartmann6',
    title: 'Hartmann6 (6-d, [0,1]^6, minimum -3.32237)',
    parameters: [1, 2, 3, 4, 5, 6].map((i) => double(`x${i}`, 0, 1)),
    knownMinimum: -3.32237,
    evaluate: hartmann6,
  },
  {
    name: 'xgboost-diabetes',
    title: 'XGBoost validation RMSE (scikit-learn diabetes, 300 train / 142 validation rows, 50 rounds)',
    parameters: [
      double('eta', 0.01, 1, 'logUniform'),
      { name: 'max_depth', parameterType: 'int', feasibleSpace: { min: '1', max: '6', distribution: 'uniform' } },
      double('min_child_weight', 0.1, 50, 'logUniform'),
      double('lambda', 0.001, 100, 'logUniform'),
      double('subsample', 0.5, 1),
    ],
  },
];

/** One long-lived `objectives.py` process, asked one point at a time over JSON lines. */
class PythonWorker {
  private readonly child;
  private readonly waiting: { resolve: (v: number) => void; reject: (e: Error) => void }[] = [];

  constructor(python: string) {
    this.child = spawn(python, [join(root, 'bench', 'katib', 'objectives.py')], { stdio: ['pipe', 'pipe', 'inherit'], env: { ...process.env, OMP_NUM_THREADS: '1' } });
    createInterface({ input: this.child.stdout }).on('line', (line) => {
      const next = this.waiting.shift();
      if (!next) return;
      const answer = JSON.parse(line) as { value?: number; error?: string };
      if (answer.value !== undefined) next.resolve(answer.value);
      else next.reject(new Error(`objectives.py: ${answer.error ?? line}`));
    });
    this.child.once('exit', (code) => {
      for (const w of this.waiting.splice(0)) w.reject(new Error(`objectives.py exited ${code}`));
    });
  }

  evaluate(problem: string, params: Params): Promise<number> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ resolve, reject });
      this.child.stdin.write(`${JSON.stringify({ problem, params })}\n`);
    });
  }

  async close(): Promise<void> {
    this.child.stdin.end();
    if (this.child.exitCode === null) await new Promise((r) => this.child.once('exit', r));
  }
}

// ---- statistics -----------------------------------------------------------------------------------------------

interface Summary {
  median: number;
  q25: number;
  q75: number;
  min: number;
  max: number;
  mean: number;
}

/** Linear-interpolation quantile (numpy's default). */
function quantile(sorted: number[], q: number): number {
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

function summarize(xs: number[]): Summary {
  const s = [...xs].sort((a, b) => a - b);
  return { median: quantile(s, 0.5), q25: quantile(s, 0.25), q75: quantile(s, 0.75), min: s[0]!, max: s.at(-1)!, mean: s.reduce((a, b) => a + b, 0) / s.length };
}

/** P(a run of Floe's ends lower than one of Optuna's), ties counting half: the Mann–Whitney U over n·m. */
function probabilityLower(a: number[], b: number[]): number {
  let wins = 0;
  for (const x of a) for (const y of b) wins += x < y ? 1 : x === y ? 0.5 : 0;
  return wins / (a.length * b.length);
}

const median = (xs: number[]): number => quantile([...xs].sort((a, b) => a - b), 0.5);
const progress = (msg: string): void => { process.stderr.write(`[katib-bench] ${msg}\n`); };

// ---- Floe's side ----------------------------------------------------------------------------------------------

interface Run {
  seed: number;
  bestAt: Record<string, number>;
  seconds: number;
}

const params = (assignments: readonly { name: string; value: string }[]): Params => Object.fromEntries(assignments.map((a) => [a.name, a.value]));

async function floeRun(alg: Algorithm, problem: Problem, seed: number, cfg: Config, worker: PythonWorker): Promise<Run> {
  const trials: TrialRecord[] = [];
  let stored: Record<string, string> = {};
  let best = Infinity;
  const bestAt: Record<string, number> = {};
  const t0 = performance.now();
  for (let i = 0; i < cfg.trials; i++) {
    const out = alg.suggest({
      parameters: problem.parameters,
      objective: 'minimize',
      // Katib sends the experiment's settings overwritten by what the algorithm stored in the Suggestion's status.
      settings: { random_state: String(seed), ...stored },
      trials,
      count: 1,
      issued: trials.length,
      parallelTrialCount: 1,
      defaultSeed: seed,
      maxTrialCount: cfg.trials,
    });
    if (out.settings) stored = { ...stored, ...out.settings };
    const suggestion = out.suggestions[0];
    if (!suggestion) throw new Error(`${alg.name} returned no suggestion at trial ${i} of ${problem.name}`);
    const p = params(suggestion.assignments);
    const value = problem.evaluate ? problem.evaluate(p) : await worker.evaluate(problem.name, p);
    // Katib puts a suggestion's labels on its Trial (cmaes keeps its generation there).
    trials.push({ name: `trial-${i}`, assignments: suggestion.assignments, ...(suggestion.labels ? { labels: suggestion.labels } : {}), state: 'Succeeded', value });
    best = Math.min(best, value);
    if (cfg.checkpoints.includes(i + 1)) bestAt[String(i + 1)] = best;
  }
  return { seed, bestAt, seconds: Math.round(performance.now() - t0) / 1000 };
}

interface LatencyCell {
  medianMs?: number;
  cpuMedianMs?: number;
  runsMs?: number[];
  skipped?: string;
  overLimit?: string;
}

function floeLatency(alg: Algorithm, parameters: ParameterSpec[], history: TrialRecord[], cfg: Config): Record<string, LatencyCell> {
  const request = (n: number, seed: number): Parameters<Algorithm['suggest']>[0] => ({
    parameters,
    objective: 'minimize',
    settings: { random_state: String(seed) },
    trials: history.slice(0, n),
    count: 1,
    issued: n,
    parallelTrialCount: 1,
    defaultSeed: seed,
  });
  alg.suggest(request(20, 0)); // warm-up (JIT), not timed
  const out: Record<string, LatencyCell> = {};
  let previous: [number, number] | undefined;
  for (const n of cfg.latencySizes) {
    if (previous && previous[1] * (n / previous[0]) ** 3 > 5 * cfg.latencyLimitSeconds) {
      const predicted = previous[1] * (n / previous[0]) ** 3;
      out[String(n)] = { skipped: `predicted ${predicted.toFixed(0)} s a suggestion (cubic growth from ${previous[0]} trials)` };
      progress(`latency Floe ${alg.name} at ${n} trials: skipped (predicted ${predicted.toFixed(0)} s)`);
      continue;
    }
    const times: number[] = [];
    const cpu: number[] = [];
    let spent = 0;
    for (let rep = 0; rep < cfg.latencyReps; rep++) {
      const req = request(n, rep + 1);
      const c0 = process.cpuUsage();
      const t0 = performance.now();
      alg.suggest(req);
      const dt = performance.now() - t0;
      cpu.push(process.cpuUsage(c0).user / 1000);
      times.push(dt);
      spent += dt / 1000;
      if (spent > cfg.latencyLimitSeconds) break;
    }
    const med = median(times);
    // CPU time of this process (user), next to wall time: on a shared, loaded machine wall time mostly measures waiting.
    out[String(n)] = { medianMs: round3(med), runsMs: times.map(round3), cpuMedianMs: round3(median(cpu)), ...(med > cfg.latencyLimitSeconds * 1000 ? { overLimit: `a suggestion took over ${cfg.latencyLimitSeconds} s` } : {}) };
    previous = [n, med / 1000];
    progress(`latency Floe ${alg.name} at ${n} trials: median ${med.toFixed(1)} ms of ${times.length}`);
  }
  return out;
}

const round3 = (x: number): number => Math.round(x * 1000) / 1000;

// ---- Optuna's side --------------------------------------------------------------------------------------------

function runOptuna<T>(cfg: Config, request: unknown): Promise<T> {
  return new Promise((resolve, reject) => {
    const child = spawn(cfg.python, [join(root, 'bench', 'katib', 'optuna_bench.py')], {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: { ...process.env, OMP_NUM_THREADS: '1', MKL_NUM_THREADS: '1' },
    });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => { out += d; });
    createInterface({ input: child.stderr }).on('line', (line) => progress(`optuna: ${line}`));
    child.once('error', reject);
    child.once('exit', (code) => {
      if (code !== 0) reject(new Error(`optuna_bench.py exited ${code}`));
      else resolve(JSON.parse(out) as T);
    });
    child.stdin.end(JSON.stringify(request));
  });
}

interface OptunaQuality {
  versions: Record<string, string | null>;
  quality: Record<string, Record<string, { sampler: string; runs: Run[] }>>;
}

interface OptunaLatency {
  versions: Record<string, string | null>;
  latency: Record<string, { sampler: string; sizes: Record<string, LatencyCell> }>;
}

// ---- report ---------------------------------------------------------------------------------------------------

interface PairResult {
  sampler: string;
  floe: { runs: Run[]; summary: Record<string, Summary> } | { skipped: string };
  optuna: { runs: Run[]; summary: Record<string, Summary> };
  /** Per checkpoint: the chance that a Floe run ends lower than an Optuna run (0.5 = no difference). */
  pFloeLower?: Record<string, number>;
}

function summaries(runs: Run[], checkpoints: number[]): Record<string, Summary> {
  return Object.fromEntries(checkpoints.map((c) => [String(c), summarize(runs.map((r) => r.bestAt[String(c)]!))]));
}

function fmt(x: number, problem: string): string {
  if (problem === 'xgboost-diabetes') return x.toFixed(2);
  return x.toFixed(4);
}

function cell(s: Summary | undefined, problem: string): string {
  return s ? `${fmt(s.median, problem)} [${fmt(s.q25, problem)}, ${fmt(s.q75, problem)}]` : '—';
}

function latencyText(c: LatencyCell | undefined): string {
  if (!c) return '—';
  if (c.skipped) return `skipped (${c.skipped})`;
  const text = (ms: number): string => (ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : ms >= 10 ? `${ms.toFixed(0)} ms` : `${ms.toFixed(2)} ms`);
  return c.cpuMedianMs !== undefined ? `${text(c.medianMs!)} (CPU ${text(c.cpuMedianMs)})` : text(c.medianMs!);
}

function markdown(result: {
  parameters: Config;
  problems: Problem[];
  quality: Record<string, Record<string, PairResult>>;
  latency: { sizes: number[]; floe: Record<string, Record<string, LatencyCell> | { skipped: string }>; optuna: Record<string, Record<string, LatencyCell>> };
  versions: Record<string, string | null>;
  machine: Record<string, unknown>;
}): string {
  const cfg = result.parameters;
  const lines: string[] = [
    '# Floe\'s Katib algorithms versus Optuna samplers',
    '',
    `Best objective value found (minimised) after ${cfg.checkpoints.join(' / ')} sequential trials: median [q25, q75] over ${cfg.seeds.length} seeds.`,
    'P(Floe lower): the chance that a Floe run ends below an Optuna run at the last budget (0.5: no difference; ties half).',
    `Machine: ${String(result.machine.cpus)} × ${String(result.machine.cpuModel)}; Node ${String(result.machine.node)}, Python ${String(result.versions.python)}, Optuna ${String(result.versions.optuna)}. Generated by \`npm run bench:katib\`.`,
    '',
  ];
  const last = String(cfg.checkpoints.at(-1));
  for (const problem of result.problems) {
    const q = result.quality[problem.name];
    if (!q) continue;
    lines.push(`## ${problem.title}`, '');
    lines.push(`| Floe ↔ Optuna | ${cfg.checkpoints.map((c) => `Floe @${c} | Optuna @${c}`).join(' | ')} | P(Floe lower) @${last} |`);
    lines.push(`|---|${cfg.checkpoints.map(() => '---|---').join('|')}|---|`);
    for (const [algorithm, pair] of Object.entries(q)) {
      const floe = 'summary' in pair.floe ? pair.floe.summary : undefined;
      const cells = cfg.checkpoints.map((c) => `${floe ? cell(floe[String(c)], problem.name) : 'not in registry'} | ${cell(pair.optuna.summary[String(c)], problem.name)}`);
      lines.push(`| ${algorithm} ↔ ${pair.sampler} | ${cells.join(' | ')} | ${pair.pFloeLower?.[last]?.toFixed(2) ?? '—'} |`);
    }
    lines.push('');
  }
  if (result.latency.sizes.length === 0 || Object.keys(result.latency.optuna).length === 0) {
    lines.push('Suggestion latency: not measured in this run (KATIB_BENCH_LATENCY_REPS=0).', '');
    return `${lines.join('\n')}\n`;
  }
  lines.push('## Time of one suggestion (Hartmann6, history of random points; median)', '');
  lines.push(`| Floe ↔ Optuna | ${result.latency.sizes.map((n) => `Floe @${n} | Optuna @${n}`).join(' | ')} |`);
  lines.push(`|---|${result.latency.sizes.map(() => '---|---').join('|')}|`);
  for (const pair of PAIRS) {
    const o = result.latency.optuna[pair.algorithm];
    if (!o) continue;
    const f = result.latency.floe[pair.algorithm];
    const cells = result.latency.sizes.map((n) => {
      const fc = f && !('skipped' in f && typeof f.skipped === 'string') ? (f as Record<string, LatencyCell>)[String(n)] : undefined;
      return `${f && fc ? latencyText(fc) : 'not in registry'} | ${latencyText(o[String(n)])}`;
    });
    lines.push(`| ${pair.algorithm} ↔ ${pair.sampler} | ${cells.join(' | ')} |`);
  }
  lines.push('', 'Optuna\'s side runs with one thread (torch.set_num_threads(1), OMP_NUM_THREADS=1), as Floe\'s suggestions run on Node\'s one thread.', '');
  return `${lines.join('\n')}\n`;
}

// ---- earlier results -------------------------------------------------------------------------------------------

interface PreviousResults {
  versions: Record<string, string | null>;
  parameters: { trials: number; seeds: number[]; checkpoints: number[] };
  quality: Record<string, Record<string, PairResult>>;
  latency: { floe: Record<string, Record<string, LatencyCell> | { skipped: string }>; optuna: Record<string, Record<string, LatencyCell>> };
}

/** Optuna's quality runs of the previous file, when it has every problem × algorithm of this run. */
function previousOptunaQuality(previous: PreviousResults, problems: readonly Problem[], pairs: readonly { algorithm: string; sampler: string }[]): OptunaQuality | undefined {
  const quality: OptunaQuality['quality'] = {};
  for (const problem of problems) {
    for (const pair of pairs) {
      const entry = previous.quality[problem.name]?.[pair.algorithm];
      if (!entry) return undefined;
      (quality[problem.name] ??= {})[pair.algorithm] = { sampler: entry.sampler, runs: entry.optuna.runs };
    }
  }
  const versions = Object.fromEntries(Object.entries(previous.versions).filter(([k]) => k !== 'floe'));
  return { versions, quality };
}

/** An algorithm's medians in the previous file: latency per size, and best value per problem and checkpoint. */
function previousFigures(previous: PreviousResults, algorithm: string): Record<string, unknown> {
  const lat = previous.latency.floe[algorithm];
  const latency = lat && !('skipped' in lat && typeof lat.skipped === 'string') ? Object.fromEntries(Object.entries(lat as Record<string, LatencyCell>).map(([n, c]) => [n, c.medianMs ?? null])) : null;
  const quality = Object.fromEntries(
    Object.entries(previous.quality).map(([problem, byAlgorithm]) => {
      const f = byAlgorithm[algorithm]?.floe;
      return [problem, f && 'summary' in f ? Object.fromEntries(Object.entries(f.summary).map(([c, sm]) => [c, sm.median])) : null];
    }),
  );
  return { latencyMedianMs: latency, qualityMedian: quality };
}

// ---- main -----------------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const cfg = parseConfig(process.env);
  if (!existsSync(cfg.python)) throw new Error(`no Python at ${cfg.python}: run \`node tools/setup.mjs --with-training-envs\` (or set KATIB_BENCH_PYTHON)`);
  const problems = cfg.problems.map((name) => {
    const p = PROBLEMS.find((x) => x.name === name);
    if (!p) throw new Error(`unknown problem ${name} (known: ${PROBLEMS.map((x) => x.name).join(', ')})`);
    return p;
  });
  const pairs = cfg.algorithms.map((name) => {
    const p = PAIRS.find((x) => x.algorithm === name);
    if (!p) throw new Error(`no Optuna pair for ${name} (known: ${PAIRS.map((x) => x.algorithm).join(', ')})`);
    return p;
  });
  const missing = pairs.filter((p) => !(p.algorithm in algorithms)).map((p) => p.algorithm);
  if (missing.length > 0) progress(`not in Floe's registry yet (Optuna's side only): ${missing.join(', ')}`);
  progress(`${problems.length} problems × ${pairs.length} pairs × ${cfg.seeds.length} seeds × ${cfg.trials} trials; checkpoints ${cfg.checkpoints.join('/')}`);

  const worker = new PythonWorker(cfg.python);
  const machine = { cpus: cpus().length, cpuModel: cpus()[0]?.model ?? 'unknown', memGiB: Math.round(totalmem() / 2 ** 30), node: process.version, platform: `${process.platform} ${process.arch}` };
  let commit: string | undefined;
  try {
    commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: root, encoding: 'utf8' }).trim();
  } catch {
    commit = undefined;
  }
  try {
    // The objectives must agree on both sides: Branin and Hartmann6 here and in objectives.py, at random points.
    const checkRng = new Rng(7);
    for (const problem of problems) {
      if (!problem.evaluate) continue;
      const space = new SearchSpace(problem.parameters);
      for (let i = 0; i < 20; i++) {
        const p = params(space.decode(space.dims.map(() => checkRng.uniform())));
        const here = problem.evaluate(p);
        const there = await worker.evaluate(problem.name, p);
        if (Math.abs(here - there) > 1e-9 * Math.max(1, Math.abs(here))) throw new Error(`${problem.name} differs: ${here} here, ${there} in objectives.py at ${JSON.stringify(p)}`);
      }
    }

    // 1. Quality. Optuna's runs go in their own process while Floe's run here: the values do not depend on timing.
    const t0 = performance.now();
    const resultsFile = join(root, 'bench', 'results', 'katib-optuna.json');
    const previous = existsSync(resultsFile) ? (JSON.parse(readFileSync(resultsFile, 'utf8')) as PreviousResults) : undefined;
    const comparable =
      previous !== undefined &&
      previous.parameters.trials === cfg.trials &&
      JSON.stringify(previous.parameters.seeds) === JSON.stringify(cfg.seeds) &&
      JSON.stringify(previous.parameters.checkpoints) === JSON.stringify(cfg.checkpoints);
    const reused = cfg.reuseOptunaQuality && comparable ? previousOptunaQuality(previous, problems, pairs) : undefined;
    if (cfg.reuseOptunaQuality && !reused) progress('KATIB_BENCH_REUSE_OPTUNA_QUALITY: the previous results do not cover this run; running Optuna\'s side');
    const optunaQuality = reused ? Promise.resolve(reused) : runOptuna<OptunaQuality>(cfg, {
      mode: 'quality',
      algorithms: pairs.map((p) => p.algorithm),
      seeds: cfg.seeds,
      trials: cfg.trials,
      checkpoints: cfg.checkpoints,
      problems: problems.map((p) => ({ name: p.name, parameters: p.parameters })),
    });
    // Keep an early failure of Optuna's side from going unhandled while Floe's runs are still going.
    optunaQuality.catch(() => undefined);
    const floeRuns: Record<string, Record<string, Run[]>> = {};
    for (const problem of problems) {
      for (const pair of pairs) {
        const alg = algorithms[pair.algorithm];
        if (!alg) continue;
        const errors = alg.validate({ parameters: problem.parameters, settings: { random_state: '1' }, parallelTrialCount: 1, maxTrialCount: cfg.trials, settingsPath: 'spec.algorithm.algorithmSettings' });
        if (errors.length > 0) throw new Error(`${pair.algorithm} rejects the ${problem.name} experiment: ${JSON.stringify(errors)}`);
        const runs: Run[] = [];
        for (const seed of cfg.seeds) {
          const run = await floeRun(alg, problem, seed, cfg, worker);
          runs.push(run);
          progress(`floe: ${problem.name} ${pair.algorithm} seed ${seed}: best ${Number(run.bestAt[String(cfg.trials)]).toPrecision(6)} (${run.seconds.toFixed(1)} s)`);
        }
        (floeRuns[problem.name] ??= {})[pair.algorithm] = runs;
      }
    }
    progress(`Floe's side done in ${((performance.now() - t0) / 1000).toFixed(0)} s; waiting for Optuna's`);
    const oq = await optunaQuality;
    progress(`both sides done in ${((performance.now() - t0) / 1000).toFixed(0)} s`);

    const quality: Record<string, Record<string, PairResult>> = {};
    for (const problem of problems) {
      for (const pair of pairs) {
        const oRuns = oq.quality[problem.name]?.[pair.algorithm]?.runs;
        if (!oRuns) throw new Error(`optuna_bench.py returned nothing for ${problem.name} ${pair.algorithm}`);
        const fRuns = floeRuns[problem.name]?.[pair.algorithm];
        const entry: PairResult = {
          sampler: pair.sampler,
          floe: fRuns ? { runs: fRuns, summary: summaries(fRuns, cfg.checkpoints) } : { skipped: `${pair.algorithm} is not in Floe's algorithm registry` },
          optuna: { runs: oRuns, summary: summaries(oRuns, cfg.checkpoints) },
        };
        if (fRuns) {
          entry.pFloeLower = Object.fromEntries(cfg.checkpoints.map((c) => [String(c), probabilityLower(fRuns.map((r) => r.bestAt[String(c)]!), oRuns.map((r) => r.bestAt[String(c)]!))]));
        }
        (quality[problem.name] ??= {})[pair.algorithm] = entry;
      }
    }

    // 2. Latency, each side alone on the machine. The same history on both sides: random points of Hartmann6.
    const latencyProblem = PROBLEMS.find((p) => p.name === 'hartmann6')!;
    const space = new SearchSpace(latencyProblem.parameters);
    const rng = new Rng(12345);
    const maxN = Math.max(0, ...cfg.latencySizes);
    const history: TrialRecord[] = Array.from({ length: maxN }, (_, i) => {
      const assignments = space.decode(space.dims.map(() => rng.uniform()));
      return { name: `history-${i}`, assignments, state: 'Succeeded' as const, value: hartmann6(params(assignments)) };
    });
    const floeLat: Record<string, Record<string, LatencyCell> | { skipped: string }> = {};
    let optunaLat: OptunaLatency | undefined;
    if (cfg.latencySizes.length > 0 && cfg.latencyReps > 0) {
      for (const pair of pairs) {
        const alg = algorithms[pair.algorithm];
        floeLat[pair.algorithm] = alg ? floeLatency(alg, latencyProblem.parameters, history, cfg) : { skipped: `${pair.algorithm} is not in Floe's algorithm registry` };
      }
      optunaLat = await runOptuna<OptunaLatency>(cfg, {
        mode: 'latency',
        algorithms: pairs.map((p) => p.algorithm),
        parameters: latencyProblem.parameters,
        history: history.map((t) => ({ params: params(t.assignments), value: t.value })),
        sizes: cfg.latencySizes,
        reps: cfg.latencyReps,
        limitSeconds: cfg.latencyLimitSeconds,
      });
    }

    const versions = { floe: commit ?? null, ...oq.versions };
    // What an earlier run measured for the algorithms this run redid (before/after), and the others carried over.
    const before: Record<string, unknown> = {};
    const carried: string[] = [];
    if (previous && comparable) {
      for (const pair of pairs) before[pair.algorithm] = previousFigures(previous, pair.algorithm);
      if (cfg.merge) {
        for (const [problem, byAlgorithm] of Object.entries(previous.quality)) {
          if (!quality[problem]) continue;
          for (const [algorithm, entry] of Object.entries(byAlgorithm)) {
            if (quality[problem][algorithm]) continue;
            quality[problem][algorithm] = entry;
            if (!carried.includes(algorithm)) carried.push(algorithm);
          }
        }
        // In the usual order, as a full run writes them.
        for (const [problem, byAlgorithm] of Object.entries(quality)) {
          quality[problem] = Object.fromEntries(PAIRS.flatMap((p) => (byAlgorithm[p.algorithm] ? [[p.algorithm, byAlgorithm[p.algorithm]!]] : [])));
        }
        for (const [algorithm, cells] of Object.entries(previous.latency.floe)) floeLat[algorithm] ??= cells;
        for (const [algorithm, cells] of Object.entries(previous.latency.optuna)) if (optunaLat && !optunaLat.latency[algorithm]) optunaLat.latency[algorithm] = { sampler: '', sizes: cells };
      }
    }
    const result = {
      machine,
      versions,
      parameters: carried.length > 0 ? { ...cfg, algorithms: PAIRS.map((p) => p.algorithm).filter((a) => cfg.algorithms.includes(a) || carried.includes(a)) } : cfg,
      floeAlgorithms: PAIRS.map((p) => p.algorithm).filter((a) => a in algorithms && (cfg.algorithms.includes(a) || carried.includes(a))),
      missingFromFloe: missing,
      problems: problems.map((p) => ({ name: p.name, title: p.title, parameters: p.parameters, ...(p.knownMinimum !== undefined ? { knownMinimum: p.knownMinimum } : {}) })),
      quality,
      latency: {
        problem: 'hartmann6',
        sizes: cfg.latencySizes,
        floe: floeLat,
        optuna: Object.fromEntries(Object.entries(optunaLat?.latency ?? {}).map(([k, v]) => [k, v.sizes])),
      },
      notes: [
        'Sequential: one suggestion (count 1), evaluated, then the next. Floe gets random_state = seed; Optuna seed = seed. Each side runs with its defaults otherwise (e.g. startup trials before the model is used).',
        'Branin and Hartmann6 are evaluated in TypeScript for Floe and in Python for Optuna (checked equal at 20 random points a run); the XGBoost objective runs in bench/katib/objectives.py for both.',
        'Latency: one suggestion on a fresh state holding the first N trials of one history of random Hartmann6 points (Optuna: study.add_trials, then timed study.ask() and suggest_float calls; Floe: algorithm.suggest). One warm-up call untimed. Repetitions stop once they take over 60 s together; a size is skipped when cubic growth from the previous size predicts over 300 s.',
        'Quality-phase seconds per run are wall time while the other side ran concurrently on the same two cores.',
        'Latency cells carry cpuMedianMs (Floe: user CPU time of the process) beside the wall-time medianMs.',
        ...(reused ? ['Optuna\'s quality runs are the previous results file\'s (same seeds and budgets; they depend on nothing else).'] : []),
        ...(carried.length > 0 ? [`Carried over unchanged from the previous results file (Floe ${String(previous?.versions.floe)}): ${carried.join(', ')}.`] : []),
      ],
      ...(Object.keys(before).length > 0 ? { previousRun: { floe: previous?.versions.floe ?? null, figures: before } } : {}),
    };
    const dir = join(root, 'bench', 'results');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'katib-optuna.json'), `${JSON.stringify(result, null, 2)}\n`);
    const md = markdown({ parameters: cfg, problems, quality, latency: result.latency, versions, machine });
    writeFileSync(join(dir, 'katib-optuna.md'), md);
    process.stdout.write(md);
    progress('wrote bench/results/katib-optuna.json and bench/results/katib-optuna.md');
  } finally {
    await worker.close();
  }
}

await main();
