// API benchmark: creates/s, updates/s, gets/s, paging 100k objects, watch latency with 100 watchers, cold start, RSS.
// Runs `floe up` as a subprocess and drives it over loopback HTTP, printing JSON (and writing bench/results/).
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { arg, startFloeUp } from './common.js';

const writes = arg('writes', 5000);
const listSize = arg('list', 100_000);
const watchers = arg('watchers', 100);
const watchEvents = arg('events', 200);
const concurrency = arg('concurrency', 16);
const agent = new Agent({ keepAlive: true, maxSockets: concurrency * 2 });

interface Reply {
  status: number;
  body: string;
}

function call(base: string, method: string, path: string, body?: unknown): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const req = request(new URL(path, base), { method, agent, headers: payload ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } : {} }, (res) => {
      let data = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => { data += d; });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: data }));
    });
    req.on('error', reject);
    req.end(payload);
  });
}

async function pool<T>(count: number, width: number, fn: (i: number) => Promise<T>): Promise<T[]> {
  const out: T[] = new Array<T>(count);
  let next = 0;
  await Promise.all(Array.from({ length: width }, async () => {
    for (;;) {
      const i = next++;
      if (i >= count) return;
      out[i] = await fn(i);
    }
  }));
  return out;
}

function expectStatus(r: Reply, code: number, what: string): void {
  if (r.status !== code) throw new Error(`${what}: HTTP ${r.status} ${r.body.slice(0, 300)}`);
}

function rssMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
  return Math.round((kb / 1024) * 10) / 10;
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

const round = (n: number): number => Math.round(n * 100) / 100;
const configMap = (ns: string, name: string, extra: Record<string, unknown> = {}): unknown => ({
  apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: ns, labels: { bench: 'yes' }, ...extra }, data: { key: 'value' },
});

async function main(): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'floe-bench-'));
  const started = performance.now();
  const { child, base } = await startFloeUp(dataDir);
  expectStatus(await call(base, 'GET', '/readyz'), 200, 'readyz');
  const coldStartMs = performance.now() - started;
  await new Promise((r) => setTimeout(r, 1000));
  const idleRssMiB = rssMiB(child.pid!);
  const progress = (msg: string): void => { process.stderr.write(`[bench] ${msg}\n`); };

  try {
    expectStatus(await call(base, 'POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'bench' } }), 201, 'namespace');
    progress(`creating ${writes} ConfigMaps (concurrency ${concurrency})`);
    let t = performance.now();
    await pool(writes, concurrency, async (i) => expectStatus(await call(base, 'POST', '/api/v1/namespaces/bench/configmaps', configMap('bench', `cm-${i}`)), 201, 'create'));
    const createsPerSec = writes / ((performance.now() - t) / 1000);

    progress(`getting ${writes} ConfigMaps`);
    t = performance.now();
    const current = await pool(writes, concurrency, async (i) => {
      const r = await call(base, 'GET', `/api/v1/namespaces/bench/configmaps/cm-${i}`);
      expectStatus(r, 200, 'get');
      return JSON.parse(r.body) as { metadata: { resourceVersion: string }; data: Record<string, string> };
    });
    const getsPerSec = writes / ((performance.now() - t) / 1000);

    progress(`updating ${writes} ConfigMaps`);
    t = performance.now();
    await pool(writes, concurrency, async (i) => {
      const o = current[i]!;
      o.data = { key: 'changed' };
      expectStatus(await call(base, 'PUT', `/api/v1/namespaces/bench/configmaps/cm-${i}`, o), 200, 'update');
    });
    const updatesPerSec = writes / ((performance.now() - t) / 1000);

    progress(`filling to ${listSize} objects for the paging test`);
    expectStatus(await call(base, 'POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'bulk' } }), 201, 'namespace');
    t = performance.now();
    await pool(listSize, concurrency, async (i) => {
      expectStatus(await call(base, 'POST', '/api/v1/namespaces/bulk/configmaps', configMap('bulk', `o-${i}`)), 201, 'create');
      if (i > 0 && i % 20000 === 0) progress(`  ${i} created`);
    });
    const bulkCreatesPerSec = listSize / ((performance.now() - t) / 1000);

    progress(`listing ${listSize} objects, 500 per page`);
    t = performance.now();
    let listed = 0;
    let token = '';
    let pages = 0;
    for (;;) {
      const r = await call(base, 'GET', `/api/v1/namespaces/bulk/configmaps?limit=500${token ? `&continue=${encodeURIComponent(token)}` : ''}`);
      expectStatus(r, 200, 'list');
      const page = JSON.parse(r.body) as { items: unknown[]; metadata: { continue?: string } };
      listed += page.items.length;
      pages++;
      if (!page.metadata.continue) break;
      token = page.metadata.continue;
    }
    const listAllMs = performance.now() - t;
    if (listed !== listSize) throw new Error(`paging saw ${listed} of ${listSize}`);

    progress(`${watchers} watchers, ${watchEvents} events`);
    const sentAt = new Map<string, number>();
    const head = await call(base, 'GET', '/api/v1/namespaces/bench/configmaps?limit=1');
    const fromRv = (JSON.parse(head.body) as { metadata: { resourceVersion: string } }).metadata.resourceVersion;
    const latencies: number[] = [];
    const streams = await Promise.all(Array.from({ length: watchers }, () => new Promise<() => void>((resolve, reject) => {
      const req = request(new URL(`/api/v1/namespaces/watched/configmaps?watch=true&resourceVersion=${fromRv}&allowWatchBookmarks=false`, base), { agent: false }, (res) => {
        let buf = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => {
          const now = performance.now();
          buf += d;
          let nl: number;
          while ((nl = buf.indexOf('\n')) >= 0) {
            const line = buf.slice(0, nl);
            buf = buf.slice(nl + 1);
            const ev = JSON.parse(line) as { type: string; object: { metadata: { name: string } } };
            const at = sentAt.get(ev.object.metadata.name);
            if (ev.type === 'ADDED' && at !== undefined) latencies.push(now - at);
          }
        });
        resolve(() => req.destroy());
      });
      req.on('error', (e) => { if ((e as NodeJS.ErrnoException).code !== 'ECONNRESET') reject(e); });
      req.end();
    })));
    expectStatus(await call(base, 'POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'watched' } }), 201, 'namespace');
    for (let i = 0; i < watchEvents; i++) {
      const name = `w-${i}`;
      sentAt.set(name, performance.now());
      expectStatus(await call(base, 'POST', '/api/v1/namespaces/watched/configmaps', configMap('watched', name)), 201, 'create');
    }
    const deadline = Date.now() + 30_000;
    while (latencies.length < watchers * watchEvents && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    for (const s of streams) s();
    latencies.sort((a, b) => a - b);
    const loadedRssMiB = rssMiB(child.pid!);

    const result = {
      benchmark: 'floe-api',
      machine: { cpus: (await import('node:os')).cpus().length, node: process.version },
      parameters: { writes, listSize, watchers, watchEvents, concurrency },
      floe: {
        coldStartMs: round(coldStartMs),
        idleRssMiB,
        createsPerSec: round(createsPerSec),
        getsPerSec: round(getsPerSec),
        updatesPerSec: round(updatesPerSec),
        bulkCreatesPerSec: round(bulkCreatesPerSec),
        list: { objects: listed, pages, pageSize: 500, totalMs: round(listAllMs), perPageMs: round(listAllMs / pages) },
        watch: { delivered: latencies.length, expected: watchers * watchEvents, p50Ms: round(percentile(latencies, 50)), p99Ms: round(percentile(latencies, 99)) },
        rssAfterLoadMiB: loadedRssMiB,
      },
    };
    const json = JSON.stringify(result, null, 2);
    process.stdout.write(json + '\n');
    const outDir = fileURLToPath(new URL('../../bench/results/', import.meta.url));
    mkdirSync(outDir, { recursive: true });
    writeFileSync(join(outDir, 'api-bench.json'), json + '\n');
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    agent.destroy();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`bench failed: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
