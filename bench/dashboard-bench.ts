// The dashboard's speed in Debian's chromium against an embedded Floe: the first page from a cold cache, the runs list
// over 10,000 runs (server-side paging), and a 500-node run graph. Writes bench/results/dashboard-bench.json.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Page } from 'playwright-core';
import { PipelineDb } from '../src/controllers/pipelines/db.js';
import type { RunRecord, TaskRecord } from '../src/controllers/pipelines/types.js';

type PipelineSpec = RunRecord['pipeline_spec'];
import { defaultConfig } from '../src/server/config.js';
import { startFloe } from '../src/server/floe.js';
import { chromiumArgs, chromiumPath, root, skipReason } from '../test/browser/harness.js';
import { percentile } from './common.js';

/** FLOE_BENCH_FIRST_PAGE=1: only the first page (20 runs seeded, nothing written), for A/B runs of a change. */
const FirstPageOnly = process.env.FLOE_BENCH_FIRST_PAGE === '1';
const Runs = FirstPageOnly ? 20 : 10_000;
const GraphNodes = 500;
const Repeats = Number(process.env.FLOE_BENCH_REPEATS ?? 5);

function spec(tasks: number): PipelineSpec {
  const dagTasks: Record<string, unknown> = {};
  const width = 25;
  for (let i = 0; i < tasks; i++) {
    const layer = Math.floor(i / width);
    const deps = layer === 0 ? [] : [`t${(layer - 1) * width + (i % width)}`, `t${(layer - 1) * width + ((i + 7) % width)}`];
    dagTasks[`t${i}`] = { componentRef: { name: 'comp-x' }, taskInfo: { name: `t${i}` }, ...(deps.length ? { dependentTasks: [...new Set(deps)] } : {}) };
  }
  return {
    pipelineInfo: { name: `bench-${tasks}` },
    schemaVersion: '2.1.0',
    sdkVersion: 'kfp-2.17.3',
    components: { 'comp-x': { executorLabel: 'exec-x' } },
    deploymentSpec: { executors: { 'exec-x': { container: { image: 'python:3.11', command: ['true'] } } } },
    root: { dag: { tasks: dagTasks } },
  } as unknown as PipelineSpec;
}

/** Finished runs written straight into the KFP store before Floe starts: nothing executes, the list is what is measured. */
function seed(dataDir: string): string {
  const db = new PipelineDb({ path: join(dataDir, 'pipelines.db') });
  const experiment = db.defaultExperiment();
  const small = spec(2);
  const t0 = Date.parse('2026-01-01T00:00:00Z');
  const run = (id: string, name: string, s: PipelineSpec, at: number): RunRecord => ({
    run_id: id,
    experiment_id: experiment.experiment_id,
    display_name: name,
    namespace: '',
    storage_state: 'AVAILABLE',
    pipeline_spec: s,
    runtime_config: {},
    created_at: new Date(at).toISOString(),
    scheduled_at: new Date(at).toISOString(),
    finished_at: new Date(at + 5000).toISOString(),
    state: 'SUCCEEDED',
    state_history: [],
  });
  for (let i = 0; i < Runs; i++) db.createRun(run(`00000000-0000-4000-8000-${String(i).padStart(12, '0')}`, `bench run ${i}`, small, t0 + i * 1000));
  const bigId = '00000000-0000-4000-9000-000000000500';
  db.createRun(run(bigId, 'bench 500-node run', spec(GraphNodes), t0 + Runs * 1000));
  const tasks: TaskRecord[] = [];
  for (let i = 0; i < GraphNodes; i++) {
    tasks.push({ run_id: bigId, task_id: `task-${i}`, display_name: `t${i}`, create_time: new Date(t0).toISOString(), state: i % 50 === 0 ? 'FAILED' : 'SUCCEEDED', state_history: [], engine: {} });
  }
  db.putTasks(tasks);
  db.close();
  return bigId;
}

async function timed(fn: () => Promise<void>): Promise<number> {
  const started = performance.now();
  await fn();
  return performance.now() - started;
}

const stats = (xs: number[]) => {
  const sorted = [...xs].sort((a, b) => a - b);
  return { median_ms: Math.round(percentile(sorted, 50)), min_ms: Math.round(sorted[0] ?? NaN), max_ms: Math.round(sorted.at(-1) ?? NaN), samples: xs.length };
};

async function main(): Promise<void> {
  const skip = skipReason();
  if (skip) {
    console.error(`dashboard bench skipped: ${skip}`);
    return;
  }
  const dir = await mkdtemp(join(tmpdir(), 'floe-dash-bench-'));
  const dataDir = join(dir, 'data');
  await (await import('node:fs/promises')).mkdir(dataDir, { mode: 0o700 });
  const seeding = performance.now();
  const bigRun = seed(dataDir);
  const seedMs = performance.now() - seeding;
  const floe = await startFloe({ ...defaultConfig(), dataDir, port: 0, logLevel: 'silent', controllers: true, runPods: false });
  const browser = await chromium.launch({ executablePath: chromiumPath, args: chromiumArgs });
  try {
    const base = `${floe.url}/ui`;
    // 1. The first page, interactive, from a cold cache: a fresh browser context each time (empty HTTP cache).
    const first: number[] = [];
    const shell: number[] = [];
    const mainThread: number[] = [];
    let transfer = 0;
    /** Requests the first page made until interactive (the document, its assets and API calls). */
    let requests = 0;
    for (let i = 0; i < Repeats; i++) {
      const context = await browser.newContext();
      const page = await context.newPage();
      // The renderer's main-thread busy time (CDP Performance.TaskDuration): the page's own work, which a loaded
      // machine stretches in wall time but does not add to.
      const cdp = await context.newCDPSession(page);
      await cdp.send('Performance.enable');
      let bytes = 0;
      let calls = 0;
      page.on('response', (r) => void r.body().then((b) => (bytes += b.length)).catch(() => undefined));
      page.on('request', () => calls++);
      const started = performance.now();
      first.push(
        await timed(async () => {
          await page.goto(`${base}/?ns=default`);
          await page.getByRole('heading', { name: 'Namespace default' }).waitFor();
          shell.push(performance.now() - started);
          await page.getByRole('region', { name: 'Recent runs' }).getByRole('link', { name: /bench/ }).first().waitFor();
          await page.getByRole('link', { name: 'Runs', exact: true }).click({ trial: true });
        }),
      );
      const metrics = (await cdp.send('Performance.getMetrics')).metrics;
      mainThread.push(1000 * (metrics.find((m) => m.name === 'TaskDuration')?.value ?? NaN));
      transfer = bytes;
      requests = calls;
      await context.close();
    }
    if (FirstPageOnly) {
      console.log(JSON.stringify({ load_average_1m: loadavg()[0], first_page_interactive_cold_cache: stats(first), first_page_shell_cold_cache: stats(shell), main_thread_busy: stats(mainThread), decoded_bytes: transfer, requests }));
      return;
    }
    // 2. Runs list over 10,000 runs: the first page, then five "Next page" steps (each a server-side page of 20).
    const context = await browser.newContext();
    const page = await context.newPage();
    const firstRows = await timed(async () => {
      await page.goto(`${base}/runs?ns=default`);
      await page.getByRole('table', { name: 'Runs' }).getByRole('link').first().waitFor();
    });
    const pages: number[] = [];
    for (let i = 0; i < 5; i++) {
      const before = await page.getByRole('table', { name: 'Runs' }).getByRole('link').first().textContent();
      pages.push(
        await timed(async () => {
          await page.getByRole('button', { name: 'Next page' }).click();
          await page.waitForFunction((b) => (globalThis as unknown as { document: Dom }).document.querySelector('table[aria-label="Runs"] a')?.textContent !== b, before);
        }),
      );
    }
    const shown = await page.getByText(/ of \d+/).first().textContent();
    // 3. A 500-node run graph: navigation to every node drawn, and dagre's layout alone (measured in the page).
    const graph: number[] = [];
    const layout: number[] = [];
    for (let i = 0; i < Repeats; i++) {
      const p = await context.newPage();
      graph.push(
        await timed(async () => {
          await p.goto(`${base}/runs/${bigRun}?ns=default`);
          await p.waitForFunction((n) => (globalThis as unknown as { document: Dom }).document.querySelectorAll('[data-node]').length === n, GraphNodes, { timeout: 60_000 });
        }),
      );
      layout.push(await layoutMs(p));
      await p.close();
    }
    const result = {
      bench: 'dashboard',
      machine: 'this machine (2 cores), Debian chromium headless, Floe embedded on loopback',
      load_average_1m: loadavg()[0],
      first_page_interactive_cold_cache: { ...stats(first), decoded_bytes: transfer, requests, what: 'fresh context → Home heading and the recent runs list shown and clickable' },
      first_page_shell_cold_cache: { ...stats(shell), what: 'fresh context → the shell and Home heading rendered (before the data arrives)' },
      first_page_main_thread_busy: { ...stats(mainThread), what: 'the renderer main thread\'s busy time over that load (CDP TaskDuration): work done, which load on the machine does not inflate as much as wall time' },
      runs_list_10000: { runs: Runs, page_size: 20, first_page_ms: Math.round(firstRows), next_page: stats(pages), counter: shown, seeded_in_ms: Math.round(seedMs) },
      run_graph_500_nodes: { nodes: GraphNodes, navigation_to_drawn: stats(graph), layout: { ...stats(layout), what: 'in the page: the layered layout (dagre above 150 nodes took 2.6–9 s)' } },
    };
    const out = join(root, 'bench', 'results', 'dashboard-bench.json');
    await writeFile(out, `${JSON.stringify(result, null, 2)}\n`);
    console.log(JSON.stringify(result, null, 2));
  } finally {
    await browser.close();
    await floe.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

/** The page's document as the functions that run in the browser use it (this package compiles without the DOM types). */
interface Dom {
  querySelector(s: string): { textContent: string | null } | null;
  querySelectorAll(s: string): { length: number };
}

async function layoutMs(page: Page): Promise<number> {
  const measures = await page.evaluate<{ d: number; n: number }[]>(`performance.getEntriesByName('floe:dag-layout').map((m) => ({ d: m.duration, n: m.detail?.nodes }))`);
  return Math.max(...measures.filter((m) => m.n === GraphNodes).map((m) => m.d));
}

await main();
