// A 100-replica Deployment rollout (create, then a template change) on Floe's local runtime (real processes) beside the
// same rollout on kube-apiserver + kube-controller-manager + kube-scheduler + kwok (fake Pods) from
// tools/control-plane.mjs: wall time to "successfully rolled out" (kubectl's rule) and the API writes it took, counted
// per kind from watch events and in total from the store's resourceVersion counter. Writes bench/results/workloads-bench.json.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { arg, sleep } from './common.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const cli = join(root, 'dist', 'src', 'cli', 'main.js');
const replicas = arg('replicas', 100);
const timeoutMs = arg('timeout-s', 900) * 1000;
const progress = (msg: string): void => { process.stderr.write(`[bench] ${msg}\n`); };
const ns = 'bench';

interface Target {
  name: string;
  base: string;
  token: string;
  ca: string;
}

function call(t: Target, agent: HttpsAgent, method: string, path: string, body?: unknown, contentType = 'application/json'): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const headers: Record<string, string | number> = { authorization: `Bearer ${t.token}`, accept: 'application/json' };
    if (payload) Object.assign(headers, { 'content-type': contentType, 'content-length': Buffer.byteLength(payload) });
    const req = httpsRequest(new URL(path, t.base), { method, agent, headers, ca: t.ca }, (res) => {
      let data = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => { data += d; });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: data }));
    });
    req.on('error', reject);
    req.end(payload);
  });
}

async function must(t: Target, agent: HttpsAgent, method: string, path: string, body?: unknown, contentType?: string): Promise<Record<string, unknown>> {
  const r = await call(t, agent, method, path, body, contentType);
  if (r.status >= 300) throw new Error(`${t.name}: ${method} ${path} → ${r.status} ${r.body.slice(0, 300)}`);
  return JSON.parse(r.body) as Record<string, unknown>;
}

/** Counts watch events (= writes) per kind and type in the namespace from `rv` on. */
function countWrites(t: Target, path: string, rv: string): { counts: Record<string, number>; stop: () => void } {
  const counts: Record<string, number> = {};
  const req = httpsRequest(new URL(`${path}?watch=true&resourceVersion=${rv}`, t.base), { headers: { authorization: `Bearer ${t.token}` }, ca: t.ca }, (res) => {
    let buf = '';
    res.setEncoding('utf8');
    res.on('data', (d: string) => {
      buf += d;
      let i;
      while ((i = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        if (!line.trim()) continue;
        const type = (JSON.parse(line) as { type: string }).type;
        if (type !== 'BOOKMARK' && type !== 'ERROR') counts[type] = (counts[type] ?? 0) + 1;
      }
    });
  });
  req.on('error', () => undefined);
  req.end();
  return { counts, stop: () => req.destroy() };
}

const deployment = {
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'web', namespace: ns },
  spec: {
    replicas,
    selector: { matchLabels: { app: 'web' } },
    template: { metadata: { labels: { app: 'web' } }, spec: { terminationGracePeriodSeconds: 1, containers: [{ name: 'main', image: 'busybox', command: ['sleep', '3600'] }] } },
  },
};

interface Phase {
  seconds: number;
  /** resourceVersion delta over the phase: every write the store took (including leases, node status, Events). */
  storeWrites: number;
  /** Watch events in the namespace per kind: writes to Deployments, ReplicaSets, Pods and Events. */
  writesByKind: Record<string, Record<string, number>>;
  writesInNamespace: number;
}

const kinds = {
  deployments: `/apis/apps/v1/namespaces/${ns}/deployments`,
  replicasets: `/apis/apps/v1/namespaces/${ns}/replicasets`,
  pods: `/api/v1/namespaces/${ns}/pods`,
  events: `/api/v1/namespaces/${ns}/events`,
} as const;

async function currentRv(t: Target, agent: HttpsAgent): Promise<number> {
  const cm = await must(t, agent, 'POST', `/api/v1/namespaces/${ns}/configmaps`, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { generateName: 'rv-', namespace: ns } });
  return Number((cm.metadata as { resourceVersion: string }).resourceVersion);
}

async function phase(t: Target, agent: HttpsAgent, act: () => Promise<void>): Promise<Phase> {
  const rv0 = await currentRv(t, agent);
  const watches = Object.fromEntries(Object.entries(kinds).map(([k, p]) => [k, countWrites(t, p, String(rv0))]));
  await sleep(300);
  const started = Date.now();
  await act();
  for (;;) {
    const d = await must(t, agent, 'GET', `${kinds.deployments}/web`);
    const meta = d.metadata as { generation: number };
    const s = (d.status ?? {}) as { observedGeneration?: number; updatedReplicas?: number; replicas?: number; availableReplicas?: number };
    if ((s.observedGeneration ?? 0) >= meta.generation && s.updatedReplicas === replicas && s.replicas === replicas && s.availableReplicas === replicas) break;
    if (Date.now() - started > timeoutMs) throw new Error(`${t.name}: rollout not done after ${timeoutMs} ms: ${JSON.stringify(s)}`);
    await sleep(100);
  }
  const seconds = (Date.now() - started) / 1000;
  await sleep(1000);
  const rv1 = await currentRv(t, agent);
  for (const w of Object.values(watches)) w.stop();
  const writesByKind = Object.fromEntries(Object.entries(watches).map(([k, w]) => [k, { ...w.counts }]));
  const writesInNamespace = Object.values(writesByKind).reduce((n, c) => n + Object.values(c).reduce((a, b) => a + b, 0), 0);
  return { seconds: Math.round(seconds * 100) / 100, storeWrites: rv1 - rv0 - 1, writesByKind, writesInNamespace };
}

async function measure(t: Target, extraNodes = 0): Promise<Record<string, unknown>> {
  const agent = new HttpsAgent({ keepAlive: true, maxSockets: 8 });
  // kwok's node takes 110 Pods; a rollout with 25% surge needs 125 at once, so the kube side gets a second fake node.
  for (let i = 1; i <= extraNodes; i++) {
    const name = `kwok-node-${i}`;
    await must(t, agent, 'POST', '/api/v1/nodes', {
      apiVersion: 'v1', kind: 'Node',
      metadata: { name, annotations: { 'kwok.x-k8s.io/node': 'fake', 'node.alpha.kubernetes.io/ttl': '0' }, labels: { type: 'kwok', 'kubernetes.io/hostname': name, 'kubernetes.io/os': 'linux' } },
      status: { allocatable: { cpu: '32', memory: '256Gi', pods: '110' }, capacity: { cpu: '32', memory: '256Gi', pods: '110' } },
    });
  }
  await must(t, agent, 'POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
  // A namespace's default ServiceAccount comes from a controller upstream; Pods wait for it there.
  await sleep(2000);
  progress(`${t.name}: create`);
  const create = await phase(t, agent, async () => { await must(t, agent, 'POST', kinds.deployments, deployment); });
  progress(`${t.name}: create took ${create.seconds} s; rolling out a template change`);
  const rollout = await phase(t, agent, async () => {
    await must(t, agent, 'PATCH', `${kinds.deployments}/web`, { spec: { template: { metadata: { annotations: { 'bench/rev': '2' } } } } }, 'application/merge-patch+json');
  });
  progress(`${t.name}: rollout took ${rollout.seconds} s`);
  const rs = await must(t, agent, 'GET', kinds.replicasets);
  agent.destroy();
  return { create, rollout, replicaSets: (rs.items as unknown[]).length };
}

function waitForLine(child: ChildProcess, pattern: RegExp): Promise<RegExpExecArray> {
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = pattern.exec(out);
      if (m) resolve(m);
    });
    child.once('exit', (c) => reject(new Error(`exited ${c} before printing ${pattern}`)));
  });
}

async function stopChild(c: ChildProcess): Promise<void> {
  if (c.exitCode !== null) return;
  const exited = new Promise((r) => c.once('exit', r));
  c.kill('SIGTERM');
  await exited;
}

async function main(): Promise<void> {
  const result: Record<string, unknown> = {
    machine: { cpus: cpus().length, node: process.version },
    parameters: { replicas, strategy: 'RollingUpdate 25%/25% (defaults)', template: 'busybox sleep 3600, terminationGracePeriodSeconds 1', change: 'a pod-template annotation' },
  };
  const only = process.argv.includes('--floe-only') ? 'floe' : process.argv.includes('--kube-only') ? 'kube' : undefined;

  if (only !== 'kube') {
    const dataDir = mkdtempSync(join(tmpdir(), 'floe-wl-'));
    const token = 'bench-token';
    const floe = spawn(process.execPath, [cli, 'up', '--data-dir', dataDir, '--port', '0', '--log-level', 'error', '--token', token], { stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      const url = (await waitForLine(floe, /serving the Kubernetes API at (\S+)/))[1]!;
      result.floe = { runtime: 'local runtime: every Pod a real host process', ...(await measure({ name: 'floe', base: url, token, ca: readFileSync(join(dataDir, 'pki', 'ca.crt'), 'utf8') })) };
    } catch (err) {
      result.floe = { error: err instanceof Error ? err.message : String(err) };
    } finally {
      await stopChild(floe);
      rmSync(dataDir, { recursive: true, force: true });
    }
  }

  if (only !== 'floe') {
    const plane = spawn(process.execPath, [join(root, 'tools', 'control-plane.mjs'), 'up'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    plane.stderr.on('data', (d: Buffer) => { stderr += d.toString(); process.stderr.write(d); });
    try {
      const ready = JSON.parse((await waitForLine(plane, /^\{.*\}$/m))[0]) as { url: string; dir: string };
      const pki = join(ready.dir, 'pki');
      const token = readFileSync(join(pki, 'tokens.csv'), 'utf8').split(',')[0]!;
      result.kube = { runtime: 'kube-apiserver 1.32 + etcd + kube-controller-manager + kube-scheduler + kwok (fake Pods, no processes)', ...(await measure({ name: 'kube', base: ready.url, token, ca: readFileSync(join(pki, 'ca.crt'), 'utf8') }, 1)) };
    } catch (err) {
      result.kube = { error: err instanceof Error ? err.message : String(err), controlPlaneLog: stderr.split('\n').slice(-15).join('\n') };
    } finally {
      await stopChild(plane);
    }
  }

  const f = result.floe as { create?: Phase; rollout?: Phase } | undefined;
  const k = result.kube as { create?: Phase; rollout?: Phase } | undefined;
  if (f?.create && f.rollout && k?.create && k.rollout) {
    const r = (a: number, b: number): number => Math.round((a / b) * 100) / 100;
    result.ratiosFloeOverKube = {
      createSeconds: r(f.create.seconds, k.create.seconds),
      rolloutSeconds: r(f.rollout.seconds, k.rollout.seconds),
      createWritesInNamespace: r(f.create.writesInNamespace, k.create.writesInNamespace),
      rolloutWritesInNamespace: r(f.rollout.writesInNamespace, k.rollout.writesInNamespace),
    };
  }
  result.controlPlane =
    'kube-apiserver, kube-controller-manager and kube-scheduler v1.32.3 and kwok, built from their Go modules through the Go module proxy by tools/control-plane.mjs (cached in ~/.cache/floe/control-plane); kube-controller-manager runs every default controller.';
  result.note =
    'Wall time from the write to kubectl rollout status\'s "successfully rolled out" condition (observedGeneration, updated = replicas = available). ' +
    'writesByKind counts watch events in the bench namespace (one per write: ADDED/MODIFIED/DELETED); storeWrites is the resourceVersion delta, which also counts leases, Node status and other namespaces. ' +
    'Floe runs 100 (then up to 125 during the rollout) real processes on this machine; kwok only flips Pod status, so the kube side measures control-plane cost alone. ' +
    'Floe writes more: its ReplicaSet and Deployment controllers react to every Pod change at once (no informer lag or expectations batching), so a rollout takes more, smaller steps and status writes; ' +
    'and Floe records one Event per created/deleted Pod where client-go aggregates similar Events. Machine shared with other work: timings vary run to run.';
  const text = JSON.stringify(result, null, 2);
  process.stdout.write(`${text}\n`);
  mkdirSync(join(root, 'bench', 'results'), { recursive: true });
  writeFileSync(join(root, 'bench', 'results', 'workloads-bench.json'), `${text}\n`);
}

await main();
