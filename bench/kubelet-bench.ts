// Local runtime benchmark: Pods started per second, create→Running latency, control-plane CPU and RSS idle with 0
// and with N running Pods. Runs `floe up` as a subprocess; prints JSON and writes bench/results/kubelet-bench.json.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { arg, percentile, startFloeUp } from './common.js';

const pods = arg('pods', 100);
const idleSeconds = arg('idle-seconds', 5);
const agent = new Agent({ keepAlive: true, maxSockets: 8 });
const progress = (msg: string): void => { process.stderr.write(`[bench] ${msg}\n`); };

function call(base: string, method: string, path: string, body?: unknown): Promise<{ status: number; body: string }> {
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

/** CPU seconds (user + system) the process has used, from /proc. */
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

function rssMiB(pid: number): number {
  const kb = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
  return Math.round((kb / 1024) * 10) / 10;
}

async function idleCpuPercent(pid: number): Promise<number> {
  const before = cpuSeconds(pid);
  await new Promise((r) => setTimeout(r, idleSeconds * 1000));
  return Math.round(((cpuSeconds(pid) - before) / idleSeconds) * 1000) / 10;
}

const round = (n: number): number => Math.round(n * 100) / 100;

async function main(): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'floe-kbench-'));
  const { child, base } = await startFloeUp(dataDir);
  const pid = child.pid!;
  try {
    await call(base, 'POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'bench' } });
    progress(`idle with 0 pods for ${idleSeconds}s`);
    const idle0 = { cpuPercent: await idleCpuPercent(pid), rssMiB: rssMiB(pid) };

    const list = JSON.parse((await call(base, 'GET', '/api/v1/namespaces/bench/pods')).body) as { metadata: { resourceVersion: string } };
    const created = new Map<string, number>();
    const running = new Map<string, number>();
    // One watch observes every Pod reaching Running.
    const watch = request(new URL(`/api/v1/namespaces/bench/pods?watch=true&resourceVersion=${list.metadata.resourceVersion}`, base), { agent: false }, (res) => {
      let buf = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => {
        const now = performance.now();
        buf += d;
        let nl: number;
        while ((nl = buf.indexOf('\n')) >= 0) {
          const ev = JSON.parse(buf.slice(0, nl)) as { object: { metadata: { name: string }; status?: { phase?: string } } };
          buf = buf.slice(nl + 1);
          const name = ev.object.metadata.name;
          if (ev.object.status?.phase === 'Running' && !running.has(name)) running.set(name, now);
        }
      });
    });
    watch.on('error', () => undefined);
    watch.end();

    progress(`creating ${pods} pods running 'sleep 3600'`);
    const t0 = performance.now();
    await Promise.all(Array.from({ length: pods }, async (_, i) => {
      const name = `p-${i}`;
      created.set(name, performance.now());
      const r = await call(base, 'POST', '/api/v1/namespaces/bench/pods', {
        apiVersion: 'v1', kind: 'Pod', metadata: { name },
        spec: { restartPolicy: 'Never', terminationGracePeriodSeconds: 1, containers: [{ name: 'main', image: 'busybox', command: ['sleep', '3600'], resources: { requests: { cpu: '1m', memory: '1Mi' } } }] },
      });
      if (r.status !== 201) throw new Error(`create ${name}: ${r.status} ${r.body.slice(0, 200)}`);
    }));
    const deadline = Date.now() + 300_000;
    while (running.size < pods && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    const allRunningMs = performance.now() - t0;
    const latencies = [...running.entries()].map(([name, at]) => at - (created.get(name) ?? at)).sort((a, b) => a - b);

    progress(`idle with ${running.size} running pods for ${idleSeconds}s`);
    const idleN = { cpuPercent: await idleCpuPercent(pid), rssMiB: rssMiB(pid) };
    watch.destroy();

    const result = {
      benchmark: 'floe-local-runtime',
      machine: { cpus: cpus().length, node: process.version },
      parameters: { pods, idleSeconds, command: 'sleep 3600' },
      floe: {
        podsRunning: running.size,
        podsStartedPerSec: round(running.size / (allRunningMs / 1000)),
        createToRunningMs: { p50: round(percentile(latencies, 50)), p99: round(percentile(latencies, 99)) },
        idleWith0Pods: idle0,
        idleWithPodsRunning: idleN,
      },
      note: 'CPU is the Floe process only (user+system over the idle window, % of one core); the pods are separate processes.',
    };
    const json = JSON.stringify(result, null, 2);
    process.stdout.write(json + '\n');
    const outDir = fileURLToPath(new URL('../../bench/results/', import.meta.url));
    mkdirSync(outDir, { recursive: true });
    writeFileSync(join(outDir, 'kubelet-bench.json'), json + '\n');
    progress('deleting the pods');
    await call(base, 'DELETE', '/api/v1/namespaces/bench/pods');
    const gone = Date.now() + 60_000;
    while (Date.now() < gone) {
      const left = JSON.parse((await call(base, 'GET', '/api/v1/namespaces/bench/pods')).body) as { items: unknown[] };
      if (left.items.length === 0) break;
      await new Promise((r) => setTimeout(r, 200));
    }
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
