// Probes: the schedule and thresholds (pure), and real probes against real processes (exec, httpGet, tcpSocket).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitFor } from '../../test/helpers/wait.js';
import { ContainerProbes, runProbe } from './probes.js';
import { nodeCommand, podManifest, startHarness, type Harness } from '../../test/helpers/kubelet-harness.js';
import { PodRef, type ContainerSpec, type Pod } from './types.js';

const container = (probes: Record<string, unknown>): ContainerSpec => ({ name: 'main', image: 'node:20', command: ['true'], ...probes });
const ok = { ok: true, message: '' };
const bad = { ok: false, message: 'no' };

test('readiness starts false, turns true after successThreshold and false after failureThreshold', () => {
  const p = new ContainerProbes(container({ readinessProbe: { exec: { command: ['x'] }, initialDelaySeconds: 2, periodSeconds: 1, successThreshold: 2, failureThreshold: 2 } }), 0, 0);
  assert.equal(p.ready, false);
  assert.deepEqual(p.take(1000), [], 'not before the initial delay');
  assert.equal(p.take(2000).length, 1);
  assert.deepEqual(p.take(2000), [], 'one run at a time');
  assert.equal(p.record('readiness', ok, 2000), undefined);
  p.take(3000);
  assert.deepEqual(p.record('readiness', ok, 3000), { kind: 'ready-changed' });
  assert.equal(p.ready, true);
  p.take(4000);
  assert.deepEqual(p.record('readiness', bad, 4000), { kind: 'failed', probe: 'readiness', message: 'no' });
  assert.equal(p.ready, true, 'one failure is under the threshold');
  p.take(5000);
  assert.deepEqual(p.record('readiness', bad, 5000), { kind: 'ready-changed' });
  assert.equal(p.ready, false);
});

test('a startup probe holds the others back; liveness past its threshold asks for a restart', () => {
  const p = new ContainerProbes(container({ startupProbe: { exec: { command: ['x'] }, periodSeconds: 1 }, livenessProbe: { exec: { command: ['x'] }, periodSeconds: 1, failureThreshold: 2 } }), 0, 0);
  assert.equal(p.ready, false, 'not started yet');
  assert.deepEqual(p.take(0).map((t) => t.kind), ['startup']);
  assert.deepEqual(p.record('startup', ok, 0), { kind: 'started' });
  assert.equal(p.ready, true, 'no readiness probe: ready once started');
  assert.deepEqual(p.take(1000).map((t) => t.kind), ['liveness']);
  p.record('liveness', bad, 1000);
  p.take(2000);
  assert.deepEqual(p.record('liveness', bad, 2000), { kind: 'liveness-failed', message: 'Liveness probe failed: no' });
});

test('runProbe: exec exit codes, HTTP status codes, TCP connects, named ports', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'floe-probe-'));
  const target = { container: container({ ports: [{ name: 'web', containerPort: 0 }] }), env: { PATH: process.env.PATH ?? '/usr/bin:/bin' }, cwd: dir };
  assert.equal((await runProbe({ exec: { command: ['true'] } }, target)).ok, true);
  assert.deepEqual(await runProbe({ exec: { command: ['sh', '-c', 'echo not yet; exit 1'] } }, target), { ok: false, message: 'not yet' });
  const server = createHttpServer((_req, res) => {
    res.statusCode = 503;
    res.end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  target.container.ports![0]!.containerPort = port;
  assert.deepEqual(await runProbe({ httpGet: { port: 'web', path: '/healthz' } }, target), { ok: false, message: 'HTTP probe failed with statuscode: 503' });
  assert.equal((await runProbe({ tcpSocket: { port } }, target)).ok, true);
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
  const refused = await runProbe({ tcpSocket: { port } }, target);
  assert.equal(refused.ok, false);
  assert.match(refused.message, /ECONNREFUSED/);
  rmSync(dir, { recursive: true, force: true });
});

describe('probes on real Pods', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness();
  });
  after(() => h.stop());

  const get = (ns: string, name: string): Promise<Pod> => h.client.get<Pod>(PodRef, name, ns);
  const readyOf = (p: Pod): string | undefined => p.status?.conditions?.find((c) => c.type === 'Ready')?.status;

  test('readiness (exec): Running but not Ready until the probe passes, with ContainersNotReady', async () => {
    const ns = await h.namespace('probe-ready');
    const flag = join(h.dataDir, `${ns}-ready`);
    await h.client.create(podManifest(ns, 'gated', [{ command: ['sleep', '300'], readinessProbe: { exec: { command: ['test', '-f', flag] }, periodSeconds: 1, failureThreshold: 1 } }]));
    const running = await waitFor(async () => {
      const p = await get(ns, 'gated');
      return p.status?.phase === 'Running' ? p : undefined;
    }, { what: 'Running' });
    assert.equal(readyOf(running), 'False');
    await new Promise((r) => setTimeout(r, 1500));
    const still = await get(ns, 'gated');
    assert.equal(readyOf(still), 'False');
    assert.equal(still.status?.conditions?.find((c) => c.type === 'Ready')?.reason, 'ContainersNotReady');
    assert.equal(still.status?.containerStatuses?.[0]?.ready, false);
    writeFileSync(flag, '');
    await waitFor(async () => readyOf(await get(ns, 'gated')) === 'True', { what: 'Ready after the probe passes' });
  });

  test('readiness (httpGet on a named port): Ready once the server answers 200', async () => {
    const ns = await h.namespace('probe-http');
    const port = await new Promise<number>((resolve) => {
      const s = createServer();
      s.listen(0, '127.0.0.1', () => {
        const p = (s.address() as { port: number }).port;
        s.close(() => resolve(p));
      });
    });
    const server = `setTimeout(() => require('http').createServer((q, s) => s.end('ok')).listen(${port}, '127.0.0.1'), 800)`;
    await h.client.create(podManifest(ns, 'web', [{ command: nodeCommand(server), ports: [{ name: 'http', containerPort: port }], readinessProbe: { httpGet: { path: '/healthz', port: 'http' }, periodSeconds: 1 } }]));
    await waitFor(async () => readyOf(await get(ns, 'web')) === 'True', { what: 'Ready once the server listens' });
  });

  test('liveness: a failing probe kills the container, which restarts, with Unhealthy and Killing events', async () => {
    const ns = await h.namespace('probe-live');
    await h.client.create(podManifest(ns, 'sick', [{ command: ['sleep', '300'], livenessProbe: { exec: { command: ['false'] }, periodSeconds: 1, failureThreshold: 2 } }], { terminationGracePeriodSeconds: 1 }));
    const restarted = await waitFor(async () => {
      const p = await get(ns, 'sick');
      return (p.status?.containerStatuses?.[0]?.restartCount ?? 0) >= 1 ? p : undefined;
    }, { what: 'a restart after the liveness probe failed', timeoutMs: 20_000 });
    assert.equal(restarted.status?.containerStatuses?.[0]?.lastState.terminated?.exitCode, 143, 'SIGTERM ended it');
    const list = await h.client.list({ apiVersion: 'v1', kind: 'Event' }, { namespace: ns });
    const reasons = list.items.map((e) => `${String(e.reason)}: ${String(e.message)}`);
    assert.ok(reasons.includes('Unhealthy: Liveness probe failed: command exited with 1'), JSON.stringify(reasons));
    assert.ok(reasons.includes('Killing: Container main failed liveness probe, will be restarted'), JSON.stringify(reasons));
  });
});
