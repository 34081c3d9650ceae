// Floe's embedded API versus a real kube-apiserver + etcd (tools/control-plane.mjs), same machine, same run, same
// client: creates/s and gets/s (ConfigMaps, 16 in flight), listing 10k objects in pages of 500, watch delivery latency
// (p50/p99) to concurrent watchers, and resident memory. Prints JSON and writes bench/results/apiserver-compare.json.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Agent as HttpAgent, request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { arg, percentile } from './common.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const cli = join(root, 'dist', 'src', 'cli', 'main.js');
const writes = arg('writes', 2000);
const listSize = arg('list', 10_000);
const watchers = arg('watchers', 20);
const watchEvents = arg('events', 100);
const concurrency = 16;
const progress = (msg: string): void => { process.stderr.write(`[bench] ${msg}\n`); };

interface Target {
  name: string;
  base: string;
  headers: Record<string, string>;
  ca?: string;
  /** Processes whose resident memory is the server's. */
  pids: () => number[];
}

interface Reply {
  status: number;
  body: string;
}

function agentFor(t: Target): HttpAgent | HttpsAgent {
  return t.ca ? new HttpsAgent({ keepAlive: true, maxSockets: concurrency * 2, ca: t.ca }) : new HttpAgent({ keepAlive: true, maxSockets: concurrency * 2 });
}

function call(t: Target, agent: HttpAgent | HttpsAgent, method: string, path: string, body?: unknown): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const request = t.ca ? httpsRequest : httpRequest;
    const headers: Record<string, string | number> = { ...t.headers, accept: 'application/json' };
    if (payload) Object.assign(headers, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) });
    const req = request(new URL(path, t.base), { method, agent, headers }, (res) => {
      let data = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => { data += d; });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: data }));
    });
    req.on('error', reject);
    req.end(payload);
  });
}

async function pool(count: number, width: number, fn: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: width }, async () => {
    for (;;) {
      const i = next++;
      if (i >= count) return;
      await fn(i);
    }
  }));
}

function expect(r: Reply, code: number, what: string): void {
  if (r.status !== code) throw new Error(`${what}: HTTP ${r.status} ${r.body.slice(0, 300)}`);
}

function rssMiB(pids: number[]): number {
  let kb = 0;
  for (const pid of pids) kb += Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
  return Math.round((kb / 1024) * 10) / 10;
}

const round = (n: number): number => Math.round(n * 100) / 100;

async function measure(t: Target): Promise<Record<string, unknown>> {
  const agent = agentFor(t);
  const ns = `bench-${Date.now()}`;
  expect(await call(t, agent, 'POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } }), 201, 'namespace');
  const cms = `/api/v1/namespaces/${ns}/configmaps`;
  const rssIdle = rssMiB(t.pids());

  progress(`${t.name}: ${writes} creates`);
  let started = performance.now();
  await pool(writes, concurrency, async (i) => expect(await call(t, agent, 'POST', cms, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `cm-${i}` }, data: { i: String(i) } }), 201, 'create'));
  const createsPerSec = writes / ((performance.now() - started) / 1000);

  progress(`${t.name}: ${writes} gets`);
  started = performance.now();
  await pool(writes, concurrency, async (i) => expect(await call(t, agent, 'GET', `${cms}/cm-${i % writes}`), 200, 'get'));
  const getsPerSec = writes / ((performance.now() - started) / 1000);

  progress(`${t.name}: filling to ${listSize} objects, then listing them 500 per page`);
  await pool(Math.max(0, listSize - writes), concurrency, async (i) => expect(await call(t, agent, 'POST', cms, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `fill-${i}` } }), 201, 'fill'));
  started = performance.now();
  let listed = 0;
  let token: string | undefined;
  do {
    const r = await call(t, agent, 'GET', `${cms}?limit=500${token ? `&continue=${encodeURIComponent(token)}` : ''}`);
    expect(r, 200, 'list');
    const page = JSON.parse(r.body) as { items: unknown[]; metadata: { continue?: string } };
    listed += page.items.length;
    token = page.metadata.continue || undefined;
  } while (token);
  const listMs = performance.now() - started;

  progress(`${t.name}: ${watchers} watchers x ${watchEvents} events`);
  const rv = (JSON.parse((await call(t, agent, 'GET', `${cms}?limit=1`)).body) as { metadata: { resourceVersion: string } }).metadata.resourceVersion;
  const sent = new Map<string, number>();
  const latencies: number[] = [];
  const request = t.ca ? httpsRequest : httpRequest;
  const streams = await Promise.all(Array.from({ length: watchers }, () => new Promise<{ close: () => void }>((resolve, reject) => {
    const req = request(new URL(`${cms}?watch=true&resourceVersion=${rv}&labelSelector=watched%3Dyes`, t.base), { headers: t.headers, ...(t.ca ? { ca: t.ca } : {}) }, (res) => {
      let buf = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => {
        const now = performance.now();
        buf += d;
        let nl: number;
        while ((nl = buf.indexOf('\n')) >= 0) {
          const line = buf.slice(0, nl);
          buf = buf.slice(nl + 1);
          if (!line.trim()) continue;
          const ev = JSON.parse(line) as { type: string; object: { metadata: { name: string } } };
          const at = sent.get(ev.object.metadata.name);
          if (ev.type === 'ADDED' && at !== undefined) latencies.push(now - at);
        }
      });
      resolve({ close: () => req.destroy() });
    });
    req.on('error', (err) => { if ((err as NodeJS.ErrnoException).code !== 'ECONNRESET') reject(err); });
    req.end();
  })));
  await new Promise((r) => setTimeout(r, 500));
  for (let i = 0; i < watchEvents; i++) {
    const name = `w-${i}`;
    sent.set(name, performance.now());
    expect(await call(t, agent, 'POST', cms, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, labels: { watched: 'yes' } } }), 201, 'watched create');
    await new Promise((r) => setTimeout(r, 5));
  }
  const deadline = Date.now() + 30_000;
  while (latencies.length < watchers * watchEvents && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  for (const s of streams) s.close();
  latencies.sort((a, b) => a - b);
  const result = {
    createsPerSec: round(createsPerSec),
    getsPerSec: round(getsPerSec),
    list: { objects: listed, pages: Math.ceil(listed / 500), ms: round(listMs) },
    watch: { watchers, events: watchEvents, delivered: latencies.length, p50Ms: round(percentile(latencies, 50)), p99Ms: round(percentile(latencies, 99)) },
    rssMiB: { idle: rssIdle, afterLoad: rssMiB(t.pids()) },
  };
  agent.destroy();
  return result;
}

function waitForLine(child: ChildProcess, pattern: RegExp): Promise<RegExpExecArray> {
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = pattern.exec(out);
      if (m) resolve(m);
    });
    child.once('exit', (c) => reject(new Error(`exited ${c} before: ${pattern}`)));
  });
}

/** kube-apiserver and etcd among the processes started for the control plane's folder. */
function controlPlanePids(dir: string, names: string[]): number[] {
  return readdirSync('/proc').filter((p) => /^\d+$/.test(p)).map(Number).filter((pid) => {
    try {
      return names.includes(readFileSync(`/proc/${pid}/comm`, 'utf8').trim()) && readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(dir);
    } catch {
      return false;
    }
  });
}

async function main(): Promise<void> {
  const result: Record<string, unknown> = { machine: { cpus: cpus().length, node: process.version }, parameters: { writes, listSize, watchers, watchEvents, concurrency } };
  const dataDir = mkdtempSync(join(tmpdir(), 'floe-cmp-'));
  // Both over HTTPS with a bearer token: Floe serves TLS with its own CA once it has a token.
  const floeToken = 'bench-token';
  const floe = spawn(process.execPath, [cli, 'up', '--data-dir', dataDir, '--port', '0', '--log-level', 'error', '--token', floeToken], { stdio: ['ignore', 'pipe', 'inherit'] });
  const plane = spawn(process.execPath, [join(root, 'tools', 'control-plane.mjs'), 'up'], { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    const floeUrl = (await waitForLine(floe, /serving the Kubernetes API at (\S+)/))[1]!;
    const ready = JSON.parse((await waitForLine(plane, /^\{.*\}$/m))[0]) as { url: string; dir: string };
    const pki = join(ready.dir, 'pki');
    const token = readFileSync(join(pki, 'tokens.csv'), 'utf8').split(',')[0]!;
    result.floe = await measure({ name: 'floe', base: floeUrl, headers: { authorization: `Bearer ${floeToken}` }, ca: readFileSync(join(dataDir, 'pki', 'ca.crt'), 'utf8'), pids: () => [floe.pid!] });
    result.kubeApiserver = await measure({
      name: 'kube-apiserver+etcd',
      base: ready.url,
      headers: { authorization: `Bearer ${token}` },
      ca: readFileSync(join(pki, 'ca.crt'), 'utf8'),
      pids: () => controlPlanePids(ready.dir, ['kube-apiserver', 'etcd']),
    });
    const f = result.floe as { createsPerSec: number; getsPerSec: number; list: { ms: number }; rssMiB: { afterLoad: number } };
    const k = result.kubeApiserver as typeof f;
    result.ratiosFloeOverKube = {
      creates: round(f.createsPerSec / k.createsPerSec),
      gets: round(f.getsPerSec / k.getsPerSec),
      listTime: round(f.list.ms / k.list.ms),
      rssAfterLoad: round(f.rssMiB.afterLoad / k.rssMiB.afterLoad),
    };
  } finally {
    for (const c of [floe, plane]) if (c.exitCode === null) c.kill('SIGTERM');
    await Promise.all([floe, plane].map((c) => (c.exitCode === null ? new Promise((r) => c.once('exit', r)) : Promise.resolve())));
    rmSync(dataDir, { recursive: true, force: true });
  }
  result.note = 'Same machine (2 cores), same client, HTTP/1.1 keep-alive, both over HTTPS with a bearer token on loopback. RSS of kube-apiserver is summed with etcd (Debian etcd 3.4). The control plane also runs kube-scheduler, kube-controller-manager and kwok, not counted.';
  const text = JSON.stringify(result, null, 2);
  process.stdout.write(`${text}\n`);
  mkdirSync(join(root, 'bench', 'results'), { recursive: true });
  writeFileSync(join(root, 'bench', 'results', 'apiserver-compare.json'), `${text}\n`);
}

await main();
