// LeaderElector against a real Floe: one leader among candidates, takeover after expiry, fast handover on release.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
// Integration tests start a real Floe; the runtime itself imports only api and client.
// eslint-disable-next-line no-restricted-imports
import { defaultConfig } from '../server/config.js';
// eslint-disable-next-line no-restricted-imports
import { startFloe, type Floe } from '../server/floe.js';
import { freshNamespace } from '../../test/helpers/fixtures.js';
import { waitFor } from '../../test/helpers/wait.js';
import { LeaderElector, LeaseRef, type Lease, type LeaderElectorOptions } from './leader-election.js';

/** Short timings so takeover happens within a test; the ratios are the defaults' (15 s / 10 s / 2 s). */
const timings = { leaseDurationMs: 1000, renewDeadlineMs: 600, retryPeriodMs: 100 } as const;

interface Candidate {
  elector: LeaderElector;
  abort: AbortController;
  running: Promise<void>;
  log: string[];
  startedAt: number[];
}

describe('LeaderElector', () => {
  let dataDir = '';
  let floe: Floe;
  const candidates: Candidate[] = [];

  function candidate(identity: string, lease: { name: string; namespace: string }, extra: Partial<LeaderElectorOptions> = {}): Candidate {
    const log: string[] = [];
    const startedAt: number[] = [];
    const elector = new LeaderElector({
      client: floe.client,
      lease,
      identity,
      ...timings,
      onStartedLeading: (signal) => {
        log.push('started');
        startedAt.push(Date.now());
        signal.addEventListener('abort', () => log.push('term-ended'), { once: true });
      },
      onStoppedLeading: () => {
        log.push('stopped');
      },
      ...extra,
    });
    const abort = new AbortController();
    const c: Candidate = { elector, abort, running: elector.run(abort.signal), log, startedAt };
    candidates.push(c);
    return c;
  }

  async function lease(ref: { name: string; namespace: string }): Promise<Lease> {
    return floe.client.get<Lease>(LeaseRef, ref.name, ref.namespace);
  }

  before(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'floe-election-'));
    floe = await startFloe({ ...defaultConfig(), dataDir, port: 0, logLevel: 'silent' });
  });

  after(async () => {
    for (const c of candidates) c.abort.abort();
    await Promise.all(candidates.map((c) => c.running));
    await floe.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  test('of two candidates exactly one leads, and the Lease names it', async () => {
    const ns = await freshNamespace(floe.client, 'election-one');
    const ref = { name: 'operator', namespace: ns };
    const a = candidate('replica-a', ref);
    const b = candidate('replica-b', ref);
    const leader = await waitFor(() => [a, b].find((c) => c.elector.isLeader()), { what: 'a leader' });
    const follower = leader === a ? b : a;
    // Many renewal rounds later, still one leader and the same one.
    for (let round = 0; round < 3; round++) {
      const seen = (await lease(ref)).spec?.renewTime;
      await waitFor(async () => (await lease(ref)).spec?.renewTime !== seen, { what: `renewal ${round + 1}` });
      assert.equal([a, b].filter((c) => c.elector.isLeader()).length, 1);
    }
    assert.equal(leader.elector.isLeader(), true);
    assert.equal(follower.elector.isLeader(), false);
    assert.deepEqual(follower.log, []);
    assert.equal(follower.elector.leader, leader.elector.identity);
    const spec = (await lease(ref)).spec;
    assert.equal(spec?.holderIdentity, leader.elector.identity);
    assert.equal(spec?.leaseDurationSeconds, 1);
    assert.equal(spec?.leaseTransitions, 0);
    assert.match(spec?.acquireTime ?? '', /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
    assert.match(spec?.renewTime ?? '', /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
  });

  test('when the leader dies without releasing, the other takes over only after the lease expires', async () => {
    const ns = await freshNamespace(floe.client, 'election-crash');
    const ref = { name: 'operator', namespace: ns };
    const a = candidate('crash-a', ref, { releaseOnCancel: false });
    await waitFor(() => a.elector.isLeader(), { what: 'a to lead' });
    const b = candidate('crash-b', ref);
    await waitFor(() => b.elector.leader === 'crash-a', { what: 'b to observe a' });
    const acquiredBy = (await lease(ref)).spec?.acquireTime;
    a.abort.abort();
    await a.running;
    const diedAt = Date.now();
    assert.deepEqual(a.log, ['started', 'term-ended', 'stopped']);
    assert.equal((await lease(ref)).spec?.holderIdentity, 'crash-a', 'a crashed replica leaves its name on the lease');
    await waitFor(() => b.elector.isLeader(), { what: 'b to take over', timeoutMs: 10_000 });
    const waited = (b.startedAt[0] ?? 0) - diedAt;
    // b last saw the record change at a's last renewal, at most one retry period before a died.
    assert.ok(waited >= timings.leaseDurationMs - timings.retryPeriodMs * 2, `b took over after ${waited} ms, before the lease expired`);
    const spec = (await lease(ref)).spec;
    assert.equal(spec?.holderIdentity, 'crash-b');
    assert.equal(spec?.leaseTransitions, 1);
    assert.notEqual(spec?.acquireTime, acquiredBy);
  });

  test('a leader that releases on shutdown hands over at once, after its own work stopped', async () => {
    const ns = await freshNamespace(floe.client, 'election-release');
    const ref = { name: 'operator', namespace: ns };
    const order: string[] = [];
    const a = candidate('calm-a', ref, {
      onStoppedLeading: async () => {
        await new Promise((resolve) => setImmediate(resolve));
        order.push('a stopped its work');
      },
    });
    await waitFor(() => a.elector.isLeader(), { what: 'a to lead' });
    // A long lease: only a release lets b in quickly.
    const b = candidate('calm-b', ref, {
      leaseDurationMs: 30_000,
      renewDeadlineMs: 20_000,
      onStartedLeading: () => {
        order.push('b started');
      },
    });
    await waitFor(() => b.elector.leader === 'calm-a', { what: 'b to observe a' });
    a.abort.abort();
    await a.running;
    order.push('a released');
    const released = (await lease(ref)).spec;
    assert.equal(released?.holderIdentity ?? '', '', 'the release clears the holder');
    await waitFor(() => b.elector.isLeader(), { what: 'b to take over after the release', timeoutMs: 5_000 });
    assert.deepEqual(order, ['a stopped its work', 'a released', 'b started']);
    assert.equal((await lease(ref)).spec?.holderIdentity, 'calm-b');
  });

  test('a leader whose lease is taken stops leading and campaigns again', async () => {
    const ns = await freshNamespace(floe.client, 'election-stolen');
    const ref = { name: 'operator', namespace: ns };
    const a = candidate('victim-a', ref);
    await waitFor(() => a.elector.isLeader(), { what: 'a to lead' });
    // An operator (or a split brain) rewrites the lease to another holder with a long duration.
    const current = await lease(ref);
    const now = new Date().toISOString().replace('Z', '000Z');
    await floe.client.update<Lease>({ ...current, spec: { ...current.spec, holderIdentity: 'intruder', leaseDurationSeconds: 3600, renewTime: now } });
    await waitFor(() => !a.elector.isLeader() && a.log.includes('stopped'), { what: 'a to step down' });
    assert.deepEqual(a.log, ['started', 'term-ended', 'stopped']);
    assert.equal(a.elector.leader, 'intruder');
  });

  test('rejects timings that cannot work', () => {
    const base = { client: floe.client, lease: { name: 'x', namespace: 'default' }, identity: 'x' };
    assert.throws(() => new LeaderElector({ ...base, leaseDurationMs: 1000, renewDeadlineMs: 1000 }), RangeError);
    assert.throws(() => new LeaderElector({ ...base, leaseDurationMs: 15_000, renewDeadlineMs: 1000, retryPeriodMs: 1000 }), RangeError);
    assert.throws(() => new LeaderElector({ ...base, identity: '' }), RangeError);
  });
});
