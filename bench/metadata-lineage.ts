// Floe's ML Metadata store at a million artifacts: build time and size, lineage walks, deep pages, context and event
// reads (median/p95/p99 of random queries), side by side with Google's ml-metadata on the same rows
// (bench/metadata/mlmd_bench.py). Writes bench/results/metadata-lineage.json and bench/results/metadata-lineage.md.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { cpus, totalmem, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { metadataRoute } from '../src/metadata/rest.js';
import { MetadataStore } from '../src/metadata/store.js';
import type { Artifact, LineageDirection } from '../src/metadata/types.js';
import { arg, benchVenv, percentile } from './common.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const progress = (msg: string): void => {
  process.stderr.write(`[metadata-bench] ${msg}\n`);
};

/** The run shape: every pipeline's runs share a data snapshot for `snapshotRuns` runs, and each run's select step
 * takes the pipeline's previous best model (the champion) as an input, so lineage crosses runs as it does in practice. */
const SHAPE = { pipelines: 20, snapshotRuns: 20, trainers: 3 } as const;
const ARTIFACTS_PER_RUN = 2 + 3 * SHAPE.trainers + 1;

interface Config {
  artifacts: number;
  queries: number;
  writeRuns: number;
  mlmd: boolean;
  python: string;
  keep: boolean;
  /** Seconds each MLMD query set may take before it stops early (its queries take far longer at this size). */
  mlmdBudget: number;
}

function parseConfig(): Config {
  return {
    artifacts: arg('artifacts', 1_000_000),
    queries: arg('queries', 200),
    writeRuns: arg('write-runs', 200),
    mlmd: !process.argv.includes('--skip-mlmd'),
    python: process.env.MLMD_BENCH_PYTHON ?? 'python3.11',
    keep: process.argv.includes('--keep'),
    mlmdBudget: arg('mlmd-budget', 45),
  };
}

/** mulberry32: the same queries every run. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Stats {
  median: number;
  p95: number;
  p99: number;
  max: number;
  n: number;
}

function stats(ms: number[]): Stats {
  const s = ms.slice().sort((a, b) => a - b);
  const r = (x: number): number => Math.round(x * 1000) / 1000;
  return { median: r(percentile(s, 50)), p95: r(percentile(s, 95)), p99: r(percentile(s, 99)), max: r(s[s.length - 1] ?? NaN), n: s.length };
}

function time<T>(fn: () => T): [number, T] {
  const t0 = process.hrtime.bigint();
  const out = fn();
  return [Number(process.hrtime.bigint() - t0) / 1e6, out];
}

// ---- the data ------------------------------------------------------------------------------------------------------

interface Built {
  runs: number;
  pipelineContexts: number[];
  runContexts: number[];
}

const artifact = (type: string, uri: string, key: string): Artifact => ({ type, uri, state: 'LIVE', custom_properties: { display_name: { string_value: key } } });
const execution = (type: string, task: string, pod: string) => ({
  type,
  last_known_state: 'COMPLETE' as const,
  custom_properties: { task_name: { string_value: task }, display_name: { string_value: task }, pod_name: { string_value: pod }, image: { string_value: 'python:3.11' } },
});
const out = (key: string, a: Artifact) => ({ artifact: a, event: { type: 'OUTPUT' as const, path: { steps: [{ key }] } } });
const inp = (key: string, id: number) => ({ event: { type: 'INPUT' as const, artifact_id: id, path: { steps: [{ key }] } } });

/** Writes `runs` KFP-like runs through the store's public API, `batch` runs per transaction. */
function writeRuns(store: MetadataStore, runs: number, batch: number, report?: (done: number) => void): Built {
  const built: Built = { runs, pipelineContexts: [], runContexts: [] };
  store.transaction(() => {
    for (let p = 0; p < SHAPE.pipelines; p++) built.pipelineContexts.push(store.putContext({ type: 'system.Pipeline', name: `pipeline-${p}` }));
  });
  const snapshot = new Map<number, number>();
  const champion = new Map<number, number>();
  const one = (r: number): void => {
    const p = r % SHAPE.pipelines;
    const k = Math.floor(r / SHAPE.pipelines);
    const pod = (task: string): string => `run-${r}-${task}`;
    const run = store.putContext({ type: 'system.PipelineRun', name: `run-${r}`, custom_properties: { namespace: { string_value: 'bench' }, pipeline_root: { string_value: `gs://runs/pipeline-${p}/run-${r}` } } });
    store.putParentContext(run, built.pipelineContexts[p]!);
    built.runContexts.push(run);
    const ctx = [built.pipelineContexts[p]!, run];
    store.putExecution(execution('system.DAGExecution', 'root', pod('root')), [], ctx);
    if (k % SHAPE.snapshotRuns === 0) {
      snapshot.set(p, store.putExecution(execution('system.ImporterExecution', 'importer', pod('importer')), [out('artifact', artifact('system.Dataset', `gs://data/p${p}/snapshot-${k}`, 'artifact'))], ctx).artifact_ids[0]!);
    } else {
      // A reimport=False importer: an OUTPUT event to the artifact it found by uri.
      store.putExecution(execution('system.ImporterExecution', 'importer', pod('importer')), [{ event: { type: 'OUTPUT', artifact_id: snapshot.get(p)!, path: { steps: [{ key: 'artifact' }] } } }], ctx);
    }
    const [train, test] = store.putExecution(execution('system.ContainerExecution', 'preprocess', pod('preprocess')), [
      inp('dataset', snapshot.get(p)!),
      out('train', artifact('system.Dataset', `gs://runs/${r}/train`, 'train')),
      out('test', artifact('system.Dataset', `gs://runs/${r}/test`, 'test')),
    ], ctx).artifact_ids.slice(1) as [number, number];
    const models: number[] = [];
    const evals: number[] = [];
    for (let i = 0; i < SHAPE.trainers; i++) {
      models.push(store.putExecution(execution('system.ContainerExecution', `train-${i}`, pod(`train-${i}`)), [
        inp('train', train),
        out('model', artifact('system.Model', `gs://runs/${r}/model-${i}`, 'model')),
        out('metrics', artifact('system.Metrics', `gs://runs/${r}/metrics-${i}`, 'metrics')),
      ], ctx).artifact_ids[1]!);
    }
    for (let i = 0; i < SHAPE.trainers; i++) {
      evals.push(store.putExecution(execution('system.ContainerExecution', `evaluate-${i}`, pod(`evaluate-${i}`)), [
        inp('model', models[i]!),
        inp('test', test),
        out('metrics', artifact('system.ClassificationMetrics', `gs://runs/${r}/eval-${i}`, 'metrics')),
      ], ctx).artifact_ids[2]!);
    }
    const inputs = [...evals.map((id, i) => inp(`metrics-${i}`, id)), ...models.map((id, i) => inp(`model-${i}`, id))];
    const previous = champion.get(p);
    if (previous !== undefined) inputs.push(inp('champion', previous));
    champion.set(p, store.putExecution(execution('system.ContainerExecution', 'select', pod('select')), [...inputs, out('best', artifact('system.Model', `gs://runs/${r}/best`, 'best'))], ctx).artifact_ids.at(-1)!);
  };
  for (let start = 0; start < runs; start += batch) {
    if (batch === 1) one(start);
    else store.transaction(() => {
      for (let r = start; r < Math.min(runs, start + batch); r++) one(r);
    });
    report?.(Math.min(runs, start + batch));
  }
  return built;
}

// ---- Floe's side ---------------------------------------------------------------------------------------------------

interface LineageCase {
  name: string;
  direction: LineageDirection;
  hops: number;
}

const LINEAGE: LineageCase[] = [
  { name: 'upstream, 4 hops', direction: 'UPSTREAM', hops: 4 },
  { name: 'downstream, 4 hops', direction: 'DOWNSTREAM', hops: 4 },
  { name: 'bidirectional, 4 hops', direction: 'BIDIRECTIONAL', hops: 4 },
  { name: 'upstream, 20 hops', direction: 'UPSTREAM', hops: 20 },
  { name: 'downstream, 20 hops', direction: 'DOWNSTREAM', hops: 20 },
  { name: 'bidirectional, 20 hops', direction: 'BIDIRECTIONAL', hops: 20 },
];

/** Every page of one lineage query (1000 nodes a page): the whole subgraph, as MLMD returns it. */
function wholeSubgraph(store: MetadataStore, start: number, c: LineageCase): { artifacts: number[]; executions: number[]; events: number; pages: number } {
  const res = { artifacts: [] as number[], executions: [] as number[], events: 0, pages: 0 };
  let token: string | undefined;
  do {
    const g = store.getLineageSubgraph({ artifact_ids: [start], direction: c.direction, max_hops: c.hops, page_size: 1000, ...(token ? { page_token: token } : {}) });
    res.artifacts.push(...g.artifacts.map((a) => a.id!));
    res.executions.push(...g.executions.map((e) => e.id!));
    res.events += g.events.length;
    res.pages++;
    token = g.next_page_token;
  } while (token);
  return res;
}

async function measureFloe(store: MetadataStore, plan: Plan, warmup: number[]): Promise<Record<string, unknown>> {
  const results: Record<string, unknown> = {};
  const lineage: Record<string, unknown> = {};
  for (const c of LINEAGE) {
    const starts = plan.lineage.find((l) => l.name === c.name)!.starts;
    // Untimed queries from other starting points first, so the JIT and the page cache are warm for every row alike.
    for (const start of warmup) wholeSubgraph(store, start, c);
    const first: number[] = [];
    const firstNodes: number[] = [];
    const whole: number[] = [];
    const wholeNodes: number[] = [];
    let multiPage = 0;
    for (const start of starts) {
      const [ms, g] = time(() => store.getLineageSubgraph({ artifact_ids: [start], direction: c.direction, max_hops: c.hops, page_size: 100 }));
      first.push(ms);
      firstNodes.push(g.artifacts.length + g.executions.length);
      const [wms, w] = time(() => wholeSubgraph(store, start, c));
      whole.push(wms);
      wholeNodes.push(w.artifacts.length + w.executions.length);
      if (w.pages > 1) multiPage++;
    }
    lineage[c.name] = { firstPage100: stats(first), firstPageNodes: stats(firstNodes), whole: stats(whole), wholeNodes: stats(wholeNodes), wholeOverOnePage: multiPage };
    progress(`${c.name}: first page ${stats(first).median.toFixed(2)} ms, whole subgraph ${stats(whole).median.toFixed(2)} ms (median ${stats(wholeNodes).median} nodes)`);
  }
  results.lineage = lineage;

  // Over HTTP: the REST route on a real server, one keep-alive client.
  const server = createServer((req, res) => {
    void route(req, res, new URL(req.url ?? '/', 'http://x'));
  });
  const route = metadataRoute(store);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/mlmd/v1`;
  const rest: number[] = [];
  for (const start of warmup) await (await fetch(`${base}/lineage?artifact_id=${start}&direction=BIDIRECTIONAL&max_hops=20&page_size=100`)).json();
  for (const start of plan.lineage.find((l) => l.name === 'bidirectional, 20 hops')!.starts) {
    const t0 = process.hrtime.bigint();
    const res = await fetch(`${base}/lineage?artifact_id=${start}&direction=BIDIRECTIONAL&max_hops=20&page_size=100`);
    await res.json();
    rest.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  await new Promise<void>((r) => server.close(() => r()));
  results.restLineage = stats(rest);
  progress(`REST lineage (bidirectional, 20 hops, first page): ${stats(rest).median.toFixed(2)} ms`);

  // A deep page by type: cursors collected by walking the whole type once, then pages fetched from random depths.
  const [walkMs, cursors] = time(() => {
    const tokens: string[] = [];
    let token: string | undefined;
    let seen = 0;
    do {
      const page = store.getArtifacts({ type: plan.deep_page.type }, { page_size: 1000, ...(token ? { page_token: token } : {}) });
      seen += page.artifacts.length;
      token = page.next_page_token;
      if (token) tokens.push(token);
    } while (token);
    return { tokens, seen };
  });
  const deep = plan.deep_page.fractions.map((f) => cursors.tokens[Math.floor(f * cursors.tokens.length)]!);
  results.deepPage = {
    type: plan.deep_page.type,
    artifacts: cursors.seen,
    walkSeconds: Math.round(walkMs) / 1000,
    byId: stats(deep.map((t) => time(() => store.getArtifacts({ type: plan.deep_page.type }, { page_size: 100, page_token: t }))[0])),
  };
  // The same by LAST_UPDATE_TIME (the (type_id, update_time) index), cursors from its own walk.
  const updTokens: string[] = [];
  let token: string | undefined;
  do {
    const page = store.getArtifacts({ type: plan.deep_page.type }, { page_size: 1000, order_by: 'LAST_UPDATE_TIME', is_asc: false, ...(token ? { page_token: token } : {}) });
    token = page.next_page_token;
    if (token) updTokens.push(token);
  } while (token);
  (results.deepPage as Record<string, unknown>).byUpdateTimeDesc = stats(plan.deep_page.fractions.map((f) => time(() => store.getArtifacts({ type: plan.deep_page.type }, { page_size: 100, order_by: 'LAST_UPDATE_TIME', is_asc: false, page_token: updTokens[Math.floor(f * updTokens.length)]! }))[0]));
  progress(`deep page of ${plan.deep_page.type}: ${(results.deepPage as { byId: Stats }).byId.median.toFixed(3)} ms`);

  for (const id of warmup) {
    store.getArtifactsByContext(plan.context_run[id % plan.context_run.length]!, { page_size: 100 });
    store.getEventsByArtifactIDs([id]);
  }
  results.contextRun = stats(plan.context_run.map((id) => time(() => store.getArtifactsByContext(id, { page_size: 100 }))[0]));
  results.contextPipeline = stats(plan.context_pipeline.map((id) => time(() => store.getArtifactsByContext(id, { page_size: 100 }))[0]));
  results.events = stats(plan.events.map((id) => time(() => store.getEventsByArtifactIDs([id]))[0]));
  return results;
}

// ---- MLMD's side ---------------------------------------------------------------------------------------------------

interface Plan {
  floe_db: string;
  mlmd_db: string;
  shape: { pipelines: number; snapshot_runs: number; trainers: number };
  write_runs: number;
  budget_s: number;
  check: { start: number; direction: LineageDirection; hops: number }[];
  /** Starting artifacts of untimed queries run before each timed set. */
  warmup: number[];
  lineage: { name: string; direction: LineageDirection; hops: number; starts: number[] }[];
  deep_page: { type: string; fractions: number[] };
  context_run: number[];
  context_pipeline: number[];
  events: number[];
}

/** `.venvs/bench-mlmd` from bench/metadata/requirements.txt (rebuilt when that file changes), checked by an import;
 * the reason when it fails. */
function mlmdPython(cfg: Config): { python: string } | { error: string } {
  try {
    const python = benchVenv(join(root, '.venvs', 'bench-mlmd'), join(root, 'bench', 'metadata', 'requirements.txt'), cfg.python, progress);
    const r = spawnSync(python, ['-c', 'from ml_metadata.metadata_store import metadata_store'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    if (r.status !== 0) return { error: `ml-metadata does not import: ${(r.stderr || r.stdout || '').trim().split('\n').slice(-5).join(' | ')}` };
    return { python };
  } catch (err) {
    return { error: (err as Error).message };
  }
}

interface MlmdResult {
  versions: { ml_metadata: string; python: string };
  load: { seconds: number; counts: Record<string, number>; db_bytes: number };
  check: { artifacts: number[]; executions: number[]; events: number }[];
  check_walk: { artifacts: number[]; executions: number[] }[];
  lineage: Record<string, { ms: number[]; nodes: number[] }>;
  events_walk: Record<string, { ms: number[]; nodes: number[] }>;
  deep_page: { ms: number[]; walk_seconds: number; pages_walked: number; artifacts_walked: number; walk_complete: boolean };
  context_run: number[];
  context_pipeline: number[];
  events: number[];
  api_write?: { runs: number; artifacts: number; seconds: number };
}

// ---- report --------------------------------------------------------------------------------------------------------

const fmt = (x: number | undefined): string => (x === undefined || Number.isNaN(x) ? '–' : x < 1 ? x.toFixed(3) : x < 100 ? x.toFixed(2) : x.toFixed(0));
const ratio = (mlmd: number | undefined, floe: number | undefined): string => (mlmd === undefined || floe === undefined || floe === 0 ? '–' : `${(mlmd / floe).toFixed(1)}×`);

function markdown(r: Record<string, unknown>): string {
  const build = r.build as { artifacts: number; executions: number; events: number; contexts: number; runs: number; seconds: number; artifactsPerSecond: number; dbMiB: number };
  const floe = r.floe as { lineage: Record<string, { firstPage100: Stats; firstPageNodes: Stats; whole: Stats; wholeNodes: Stats; wholeOverOnePage: number }>; restLineage: Stats; deepPage: { type: string; artifacts: number; byId: Stats; byUpdateTimeDesc: Stats }; contextRun: Stats; contextPipeline: Stats; events: Stats };
  const m = r.mlmd as
    | { ok: true; versions: MlmdResult['versions']; load: MlmdResult['load']; apiWrite?: MlmdResult['api_write']; lineage: Record<string, Stats>; nodes: Record<string, Stats>; eventsWalk: Record<string, Stats>; deepPage: Stats; deepPageWalk: { seconds: number; pages: number; artifacts: number; complete: boolean }; contextRun: Stats; contextPipeline: Stats; events: Stats; agreement: string }
    | { ok: false; error: string };
  const write = r.apiWrite as { floe: { runs: number; artifacts: number; seconds: number } };
  const lines: string[] = [];
  lines.push('# ML Metadata: Floe\'s store at a million artifacts, and Google\'s ml-metadata on the same rows', '');
  lines.push(`Generated by \`npm run bench:metadata\` (\`bench/metadata-lineage.ts\`), ${String(r.date)}. Machine: ${JSON.stringify(r.machine)}.`, '');
  lines.push('## The data', '');
  lines.push(`${build.runs} KFP-like runs in ${SHAPE.pipelines} pipelines: per run a \`system.PipelineRun\` context (parent: its \`system.Pipeline\` context), a root DAG execution, an importer, preprocess (→ train, test), ${SHAPE.trainers} trainers (→ model, metrics), ${SHAPE.trainers} evaluators (model + test → classification metrics) and a select step (all metrics and models, plus the pipeline's previous best model → best model). A pipeline's runs share a data snapshot for ${SHAPE.snapshotRuns} runs (a reimport=False importer). Every node is in its pipeline and run context; events carry KFP's path \`{steps: [{key}]}\`, nodes KFP's custom properties.`, '');
  lines.push('| | |', '|---|---|');
  lines.push(`| artifacts / executions / events / contexts | ${build.artifacts} / ${build.executions} / ${build.events} / ${build.contexts} |`);
  lines.push(`| Floe build (putExecution through the public API, 500 runs a transaction) | ${build.seconds.toFixed(1)} s, ${Math.round(build.artifactsPerSecond)} artifacts/s |`);
  lines.push(`| Floe SQLite file | ${build.dbMiB.toFixed(0)} MiB |`);
  if (m.ok) {
    lines.push(`| MLMD ${m.versions.ml_metadata} (Python ${m.versions.python}) load: the same rows copied into its tables with SQL, ids kept | ${m.load.seconds.toFixed(1)} s |`);
    lines.push(`| MLMD SQLite file | ${(m.load.db_bytes / 2 ** 20).toFixed(0)} MiB |`);
  }
  lines.push(`| Floe: ${write.floe.runs} runs written one putExecution transaction at a time (file, WAL) | ${(write.floe.artifacts / write.floe.seconds).toFixed(0)} artifacts/s, ${(write.floe.runs / write.floe.seconds).toFixed(1)} runs/s |`);
  if (m.ok && m.apiWrite) {
    const w = m.apiWrite;
    lines.push(`| MLMD: the same ${w.runs} runs through PutExecution, one call per execution | ${(w.artifacts / w.seconds).toFixed(0)} artifacts/s, ${(w.runs / w.seconds).toFixed(1)} runs/s |`);
  }
  lines.push('');
  lines.push(`## Lineage (${floe.lineage[LINEAGE[0]!.name]!.firstPage100.n} random starting artifacts per row, ms)`, '');
  lines.push('Floe answers a page of nodes at a time (walk order, nearest first); "whole" follows next_page_token (1000 nodes a page) to the end, which is what MLMD\'s GetLineageSubgraph returns in one answer.', '');
  lines.push('MLMD\'s "events walk" is what a client without GetLineageSubgraph does (KFP\'s UI walks events): one GetEventsByArtifactIDs/GetEventsByExecutionIDs call per hop for the whole frontier, then GetArtifactsByID/GetExecutionsByID. An MLMD set stops early once it has run for the time limit; its number of queries is then given as n.', '');
  lines.push('| query | Floe first page (≤100 nodes) median / p95 / p99 | Floe whole subgraph median / p95 / p99 | MLMD get_lineage_subgraph median / p95 / p99 | MLMD events walk median / p95 / p99 | MLMD ÷ Floe whole (subgraph; walk) | nodes median / p99 |');
  lines.push('|---|---|---|---|---|---|---|');
  const triple = (x: Stats | undefined, n: number): string => (x ? `${fmt(x.median)} / ${fmt(x.p95)} / ${fmt(x.p99)}${x.n < n ? ` (n = ${x.n})` : ''}` : '–');
  for (const c of LINEAGE) {
    const f = floe.lineage[c.name]!;
    const ml = m.ok ? m.lineage[c.name] : undefined;
    const walk = m.ok ? m.eventsWalk[c.name] : undefined;
    lines.push(`| ${c.name} | ${triple(f.firstPage100, 0)} | ${triple(f.whole, 0)} | ${triple(ml, f.whole.n)} | ${triple(walk, f.whole.n)} | ${ratio(ml?.median, f.whole.median)}; ${ratio(walk?.median, f.whole.median)} | ${f.wholeNodes.median} / ${f.wholeNodes.p99} |`);
  }
  lines.push('', `Over HTTP (\`GET /mlmd/v1/lineage?…&direction=BIDIRECTIONAL&max_hops=20&page_size=100\`, fetch, one connection): median ${fmt(floe.restLineage.median)}, p95 ${fmt(floe.restLineage.p95)}, p99 ${fmt(floe.restLineage.p99)} ms.`);
  if (m.ok) lines.push('', `Same answers: ${m.agreement}.`);
  lines.push('', '## Lists and events (ms)', '');
  lines.push('| query | Floe median / p95 / p99 | MLMD median / p95 / p99 | MLMD ÷ Floe (medians) |', '|---|---|---|---|');
  const row = (label: string, f: Stats, ml: Stats | undefined): void => {
    lines.push(`| ${label} | ${triple(f, 0)} | ${triple(ml, f.n)} | ${ratio(ml?.median, f.median)} |`);
  };
  row(`a page of 100 ${floe.deepPage.type} artifacts at a random depth (of ${floe.deepPage.artifacts}), by id`, floe.deepPage.byId, m.ok ? m.deepPage : undefined);
  row('the same by last update time, descending (Floe only)', floe.deepPage.byUpdateTimeDesc, undefined);
  row(`first 100 artifacts of a run context (${ARTIFACTS_PER_RUN} or so)`, floe.contextRun, m.ok ? m.contextRun : undefined);
  row(`first 100 artifacts of a pipeline context (~${Math.round(build.artifacts / SHAPE.pipelines)})`, floe.contextPipeline, m.ok ? m.contextPipeline : undefined);
  row('events of one artifact', floe.events, m.ok ? m.events : undefined);
  if (m.ok && !m.deepPageWalk.complete) lines.push('', `MLMD's deep pages: walking ${floe.deepPage.type} from the first page by next_page_token reached ${m.deepPageWalk.artifacts} artifacts (${m.deepPageWalk.pages} pages) in ${m.deepPageWalk.seconds.toFixed(0)} s, where the time limit stopped it; its pages were fetched from random depths within that.`);
  lines.push('', '## Notes', '');
  for (const n of r.notes as string[]) lines.push(`- ${n}`);
  if (!m.ok) lines.push(`- **MLMD was not measured**: ${m.error}`);
  return `${lines.join('\n')}\n`;
}

// ---- main ----------------------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const cfg = parseConfig();
  const dir = mkdtempSync(join(tmpdir(), 'floe-mlmd-bench-'));
  const dbPath = join(dir, 'floe-mlmd.sqlite');
  const machine = { cpus: cpus().length, cpuModel: cpus()[0]?.model ?? 'unknown', memGiB: Math.round(totalmem() / 2 ** 30), node: process.version };
  try {
    const runs = Math.ceil(cfg.artifacts / (ARTIFACTS_PER_RUN + 1 / SHAPE.snapshotRuns));
    progress(`building ${runs} runs (~${cfg.artifacts} artifacts) in ${dbPath}`);
    let store = new MetadataStore({ path: dbPath });
    const t0 = Date.now();
    const built = writeRuns(store, runs, 500, (done) => {
      if (done % 10_000 === 0) progress(`${done} runs, ${((Date.now() - t0) / 1000).toFixed(0)} s`);
    });
    const buildSeconds = (Date.now() - t0) / 1000;
    store.close();
    const dbBytes = statSync(dbPath).size;
    store = new MetadataStore({ path: dbPath });
    // Counted in the file itself: the store has no count API, and listing everything would time the wrong thing.
    const file = new Database(dbPath, { readonly: true });
    const count = (table: string): number => (file.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;
    const totals = { artifacts: count('artifacts'), executions: count('executions'), events: count('events'), contexts: count('contexts') };
    file.close();
    const build = { runs, ...totals, seconds: buildSeconds, artifactsPerSecond: totals.artifacts / buildSeconds, dbMiB: dbBytes / 2 ** 20 };
    progress(`built: ${JSON.stringify(build)}`);

    const random = rng(42);
    const pick = (n: number, max: number): number[] => Array.from({ length: n }, () => 1 + Math.floor(random() * max));
    const lineagePlan = LINEAGE.map((c) => ({ ...c, starts: pick(cfg.queries, totals.artifacts) }));
    const fractions = Array.from({ length: cfg.queries }, () => random());
    const contextRun = Array.from({ length: cfg.queries }, () => built.runContexts[Math.floor(random() * built.runContexts.length)]!);
    const contextPipeline = Array.from({ length: cfg.queries }, () => built.pipelineContexts[Math.floor(random() * built.pipelineContexts.length)]!);
    const events = pick(cfg.queries, totals.artifacts);
    const check = LINEAGE.flatMap((c) => lineagePlan.find((l) => l.name === c.name)!.starts.slice(0, 10).map((start) => ({ start, direction: c.direction, hops: c.hops })));
    const plan: Plan = {
      floe_db: dbPath,
      mlmd_db: join(dir, 'mlmd.sqlite'),
      shape: { pipelines: SHAPE.pipelines, snapshot_runs: SHAPE.snapshotRuns, trainers: SHAPE.trainers },
      write_runs: cfg.writeRuns,
      budget_s: cfg.mlmdBudget,
      check,
      warmup: pick(10, totals.artifacts),
      lineage: lineagePlan,
      deep_page: { type: 'system.Model', fractions },
      context_run: contextRun,
      context_pipeline: contextPipeline,
      events,
    };

    const floe = await measureFloe(store, plan, plan.warmup);
    const floeChecks = check.map((c) => wholeSubgraph(store, c.start, { name: '', direction: c.direction, hops: c.hops }));
    store.close();

    // The write path one transaction per putExecution (no batching), into a fresh file, for the side-by-side with MLMD.
    const writePath = join(dir, 'floe-write.sqlite');
    const writer = new MetadataStore({ path: writePath });
    const [writeMs] = time(() => writeRuns(writer, cfg.writeRuns, 1));
    const writeArtifacts = writer.getArtifacts({}, { page_size: 1, is_asc: false }).artifacts[0]?.id ?? 0;
    writer.close();
    const apiWrite = { floe: { runs: cfg.writeRuns, artifacts: writeArtifacts, seconds: writeMs / 1000 } };
    progress(`Floe write path: ${(writeArtifacts / (writeMs / 1000)).toFixed(0)} artifacts/s one putExecution a transaction`);

    let mlmd: Record<string, unknown> = { ok: false, error: 'skipped (--skip-mlmd)' };
    if (cfg.mlmd) {
      const py = mlmdPython(cfg);
      if ('error' in py) {
        mlmd = { ok: false, error: py.error };
      } else {
        const planPath = join(dir, 'plan.json');
        const outPath = join(dir, 'mlmd-result.json');
        writeFileSync(planPath, JSON.stringify(plan));
        progress('running bench/metadata/mlmd_bench.py');
        const r = spawnSync(py.python, [join(root, 'bench', 'metadata', 'mlmd_bench.py'), planPath, outPath], { stdio: ['ignore', 'inherit', 'inherit'] });
        if (r.status !== 0 || !existsSync(outPath)) {
          mlmd = { ok: false, error: `mlmd_bench.py exited with ${r.status ?? r.signal}` };
        } else {
          const result = JSON.parse(readFileSync(outPath, 'utf8')) as MlmdResult;
          const agree = (answers: { artifacts: number[]; executions: number[] }[]): string => {
            let same = 0;
            const differ: string[] = [];
            check.forEach((c, i) => {
              const f = floeChecks[i]!;
              const ml = answers[i]!;
              const eq = JSON.stringify(f.artifacts.slice().sort((a, b) => a - b)) === JSON.stringify(ml.artifacts) && JSON.stringify(f.executions.slice().sort((a, b) => a - b)) === JSON.stringify(ml.executions);
              if (eq) same++;
              else if (differ.length < 5) differ.push(`${c.direction} ${c.hops} hops from artifact ${c.start}: Floe ${f.artifacts.length}+${f.executions.length} nodes, MLMD ${ml.artifacts.length}+${ml.executions.length}`);
            });
            return `${same} of ${check.length}${differ.length ? ` (differing: ${differ.join('; ')})` : ''}`;
          };
          mlmd = {
            ok: true,
            versions: result.versions,
            load: result.load,
            apiWrite: result.api_write,
            lineage: Object.fromEntries(Object.entries(result.lineage).map(([k, v]) => [k, stats(v.ms)])),
            nodes: Object.fromEntries(Object.entries(result.lineage).map(([k, v]) => [k, stats(v.nodes)])),
            eventsWalk: Object.fromEntries(Object.entries(result.events_walk).map(([k, v]) => [k, stats(v.ms)])),
            deepPageWalk: { seconds: result.deep_page.walk_seconds, pages: result.deep_page.pages_walked, artifacts: result.deep_page.artifacts_walked, complete: result.deep_page.walk_complete },
            deepPage: stats(result.deep_page.ms),
            contextRun: stats(result.context_run),
            contextPipeline: stats(result.context_pipeline),
            events: stats(result.events),
            agreement: `get_lineage_subgraph ${agree(result.check)}, the events walk ${agree(result.check_walk)} lineage queries (the first 10 of each row) returned the same artifact and execution ids as Floe`,
          };
        }
      }
    }

    const result = {
      date: new Date().toISOString().slice(0, 10),
      machine,
      parameters: { ...cfg, shape: SHAPE },
      build,
      floe,
      apiWrite,
      mlmd,
      notes: [
        'Both stores are SQLite files on the same disk, read in-process: Floe through its TypeScript API (better-sqlite3), MLMD through its Python binding (pybind11 over the C++ store), so MLMD\'s times include protobuf (de)serialization of its answer; KFP reaches MLMD over gRPC (metadata-grpc-service), which adds a network hop on top.',
        'MLMD is loaded by copying Floe\'s rows into the tables MLMD created (same ids, types made through its API), because its PutExecution path writes a few hundred artifacts a second here: a million would take most of an hour. Its write rate is measured separately on a few hundred runs of the same shape, sent as KFP\'s Go client sends PutExecution.',
        'Floe\'s build writes through putExecution in transactions of 500 runs (each putExecution a savepoint). Floe runs SQLite in WAL mode with synchronous=NORMAL; MLMD its own defaults.',
        'Each lineage query starts at one uniformly random artifact. A page of lineage in Floe replays the walk from the start (a walk has no index to seek into), so "whole" costs grow with the number of pages; MLMD has no paging for lineage.',
        'Deep pages: cursors collected by walking the whole type once (not timed), then pages fetched from uniformly random depths. MLMD pages through its gRPC method GetArtifactsByType with next_page_token (100 a page, its maximum).',
        'Queries run one at a time, first Floe\'s, then MLMD\'s; both files were just written, so both are in the page cache. The machine is shared (2 cores, other jobs running), so a single figure can move by up to 2× between runs.',
        `Each MLMD set of queries stops once it has run for ${cfg.mlmdBudget} s (--mlmd-budget), and its deep-page walk after twice that; the tables give n where a set was cut short.`,
      ],
    };
    const outDir = join(root, 'bench', 'results');
    mkdirSync(outDir, { recursive: true });
    writeFileSync(join(outDir, 'metadata-lineage.json'), `${JSON.stringify(result, null, 2)}\n`);
    const md = markdown(result);
    writeFileSync(join(outDir, 'metadata-lineage.md'), md);
    process.stdout.write(md);
    progress('wrote bench/results/metadata-lineage.json and bench/results/metadata-lineage.md');
  } finally {
    if (cfg.keep) progress(`kept ${dir}`);
    else rmSync(dir, { recursive: true, force: true });
  }
}

await main();
