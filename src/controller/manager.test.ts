// Manager and Controller against a real Floe: sources, retries, terminal errors, conflicts, concurrency, shutdown, leadership.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FloeError } from '../api/errors.js';
import type { Logger } from '../api/logger.js';
import type { KubeObject } from '../api/meta.js';
import type { KindRef } from '../client/client.js';
// Integration tests start a real Floe; the runtime itself imports only api and client.
// eslint-disable-next-line no-restricted-imports
import { defaultConfig } from '../server/config.js';
// eslint-disable-next-line no-restricted-imports
import { startFloe, type Floe } from '../server/floe.js';
import { ConfigMapRef, configMap, freshNamespace, RootCaConfigMap } from '../../test/helpers/fixtures.js';
import { waitFor } from '../../test/helpers/wait.js';
import { EventRef, type KubeEvent } from './event-recorder.js';
import { requestKey, type Request } from './keys.js';
import { Manager, type ManagerOptions } from './manager.js';
import { controllerReference } from './owners.js';
import { TerminalError, type ReconcileContext } from './reconciler.js';

const SecretRef: KindRef = { apiVersion: 'v1', kind: 'Secret' };

interface LogEntry {
  level: 'debug' | 'info' | 'warn' | 'error';
  message: string;
  fields: Record<string, unknown>;
}

/** A Logger that keeps what it is told, so a test can check that a conflict logs no error. */
function memoryLogger(entries: LogEntry[], bound: Record<string, unknown> = {}): Logger {
  const at = (level: LogEntry['level']) => (fields: Record<string, unknown>, message: string): void => {
    entries.push({ level, message, fields: { ...bound, ...fields } });
  };
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error'), child: (b) => memoryLogger(entries, { ...bound, ...b }) };
}

/** A promise the test resolves by hand. */
function gate(): { wait: Promise<void>; open: () => void } {
  let open = (): void => undefined;
  const wait = new Promise<void>((resolve) => (open = resolve));
  return { wait, open };
}

const ticks = async (n: number): Promise<void> => {
  for (let i = 0; i < n; i++) await new Promise((resolve) => setImmediate(resolve));
};

describe('Manager and Controller', () => {
  let dataDir = '';
  let floe: Floe;
  const running: { abort: AbortController; done: Promise<void> }[] = [];

  function start(manager: Manager): { abort: AbortController; done: Promise<void> } {
    const abort = new AbortController();
    const run = { abort, done: manager.start(abort.signal) };
    running.push(run);
    return run;
  }

  function manager(namespace: string, logs: LogEntry[] = [], extra: Partial<ManagerOptions> = {}): Manager {
    return new Manager({ client: floe.client, log: memoryLogger(logs), namespace, host: 'test-host', ...extra });
  }

  async function exists(ref: KindRef, name: string, namespace: string): Promise<KubeObject | undefined> {
    try {
      return await floe.client.get(ref, name, namespace);
    } catch (err) {
      if (err instanceof FloeError && err.reason === 'NotFound') return undefined;
      throw err;
    }
  }

  before(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'floe-manager-'));
    floe = await startFloe({ ...defaultConfig(), dataDir, port: 0, logLevel: 'silent' });
  });

  after(async () => {
    for (const r of running) r.abort.abort();
    await Promise.all(running.map((r) => r.done));
    await floe.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  test('reconciles primaries, maps owned children to their owner and watched objects through a map function', async () => {
    const ns = await freshNamespace(floe.client, 'mgr-sources');
    const mgr = manager(ns);
    const parents = mgr.informers.informerFor(ConfigMapRef, { labelSelector: 'role=parent' });
    mgr
      .controller('mirror')
      .for(ConfigMapRef, { labelSelector: 'role=parent' })
      .owns(SecretRef)
      .watches(ConfigMapRef, (o) => (o.metadata.name === 'suffix' ? parents.list({ namespace: o.metadata.namespace ?? '' }).map((p) => ({ namespace: ns, name: p.metadata.name ?? '' })) : []))
      .complete(async (ctx: ReconcileContext, req: Request) => {
        // Mirror the parent's data into an owned Secret, with a suffix from a shared ConfigMap.
        let parent: KubeObject;
        try {
          parent = await ctx.client.get(ConfigMapRef, req.name, req.namespace);
        } catch (err) {
          if (err instanceof FloeError && err.reason === 'NotFound') return;
          throw err;
        }
        const suffix = ((await exists(ConfigMapRef, 'suffix', req.namespace))?.data as Record<string, string> | undefined)?.value ?? '';
        const want = { v: Buffer.from(`${(parent.data as Record<string, string> | undefined)?.v ?? ''}${suffix}`).toString('base64') };
        const name = `${req.name}-mirror`;
        const current = await exists(SecretRef, name, req.namespace);
        if (!current) {
          await ctx.client.create({ apiVersion: 'v1', kind: 'Secret', metadata: { name, namespace: req.namespace, ownerReferences: [controllerReference(parent)] }, data: want });
        } else if (JSON.stringify(current.data) !== JSON.stringify(want)) {
          await ctx.client.update({ ...current, data: want });
        }
      });
    start(mgr);
    const mirrored = async (name: string): Promise<string | undefined> => {
      const s = await exists(SecretRef, `${name}-mirror`, ns);
      const v = (s?.data as Record<string, string> | undefined)?.v;
      return v === undefined ? undefined : Buffer.from(v, 'base64').toString();
    };
    await floe.client.create(configMap(ns, 'p1', { labels: { role: 'parent' }, data: { v: 'one' } }));
    await floe.client.create(configMap(ns, 'p2', { labels: { role: 'parent' }, data: { v: 'two' } }));
    await floe.client.create(configMap(ns, 'bystander', { data: { v: 'ignored' } }));
    await waitFor(async () => (await mirrored('p1')) === 'one' && (await mirrored('p2')) === 'two', { what: 'secrets mirroring both parents' });
    assert.equal(await exists(SecretRef, 'bystander-mirror', ns), undefined, 'objects outside the selector are not primaries');

    // owns(): deleting or editing a child reconciles its owner, which repairs it.
    await floe.client.delete(SecretRef, 'p1-mirror', ns);
    await waitFor(async () => (await mirrored('p1')) === 'one', { what: 'the deleted child to come back' });
    const child = await floe.client.get(SecretRef, 'p2-mirror', ns);
    await floe.client.update({ ...child, data: { v: Buffer.from('tampered').toString('base64') } });
    await waitFor(async () => (await mirrored('p2')) === 'two', { what: 'the edited child to be repaired' });

    // watches(): a change to the shared ConfigMap reconciles every parent the map function names.
    await floe.client.create(configMap(ns, 'suffix', { data: { value: '!' } }));
    await waitFor(async () => (await mirrored('p1')) === 'one!' && (await mirrored('p2')) === 'two!', { what: 'both parents to pick up the suffix' });
  });

  test('a thrown error is retried with backoff until it succeeds; a TerminalError is not retried and leaves a Warning Event', async () => {
    const ns = await freshNamespace(floe.client, 'mgr-errors');
    const calls = new Map<string, number>();
    const mgr = manager(ns);
    const controller = mgr
      .controller('errors')
      .for(ConfigMapRef)
      .complete(async (ctx, req) => {
        const n = (calls.get(req.name) ?? 0) + 1;
        calls.set(req.name, n);
        if (req.name === 'flaky' && n < 3) throw new Error(`transient failure ${n}`);
        if (req.name === 'always-failing') throw new Error('still broken');
        if (req.name === 'impossible') throw new TerminalError('spec.size must be below 10 on this machine', { reason: 'TooLarge' });
        if (req.name === 'flaky') {
          const cm = await ctx.client.get(ConfigMapRef, req.name, req.namespace);
          await ctx.client.update({ ...cm, data: { done: 'yes' } });
        }
      });
    start(mgr);
    await floe.client.create(configMap(ns, 'flaky'));
    const impossible = await floe.client.create(configMap(ns, 'impossible'));
    await floe.client.create(configMap(ns, 'always-failing'));
    await waitFor(async () => ((await floe.client.get(ConfigMapRef, 'flaky', ns)).data as Record<string, string> | undefined)?.done === 'yes', { what: 'flaky to succeed on its third try' });
    assert.ok((calls.get('flaky') ?? 0) >= 3);
    // By the time the always-failing key has backed off five times, a retried terminal error would show.
    await waitFor(() => (calls.get('always-failing') ?? 0) >= 6, { what: 'five retries of the failing key' });
    assert.equal(calls.get('impossible'), 1, 'a TerminalError is not retried');
    assert.equal(controller.stats.terminalErrors, 1);
    assert.ok(controller.stats.errors >= 7);
    const events = await waitFor(async () => {
      const list = await floe.client.list<KubeEvent>(EventRef, { namespace: ns, fieldSelector: `involvedObject.name=impossible,involvedObject.uid=${impossible.metadata.uid ?? ''}` });
      return list.items.length > 0 ? list.items : undefined;
    }, { what: 'the Warning Event' });
    assert.deepEqual(events.map((e) => [e.type, e.reason, e.message, e.source.component]), [['Warning', 'TooLarge', 'spec.size must be below 10 on this machine', 'errors']]);
    // An update of the object tries again, as the user fixed something.
    const fresh = await floe.client.get(ConfigMapRef, 'impossible', ns);
    await floe.client.update({ ...fresh, data: { size: '5' } });
    await waitFor(() => calls.get('impossible') === 2, { what: 'a new attempt after the object changed' });
  });

  test('a Conflict requeues at once and logs no error', async () => {
    const ns = await freshNamespace(floe.client, 'mgr-conflict');
    const logs: LogEntry[] = [];
    const mgr = manager(ns, logs);
    let attempts = 0;
    const controller = mgr
      .controller('conflicted')
      .for(ConfigMapRef)
      .complete(async (ctx, req) => {
        if (req.name === RootCaConfigMap) return;
        attempts += 1;
        const cm = await ctx.client.get(ConfigMapRef, req.name, req.namespace);
        if ((cm.data as Record<string, string> | undefined)?.stamped) return;
        if (attempts === 1) {
          // Someone else writes between our read and our write.
          await floe.client.update({ ...cm, data: { other: 'writer' } });
        }
        await ctx.client.update({ ...cm, data: { ...(cm.data as Record<string, string> | undefined), stamped: String(attempts) } });
      });
    start(mgr);
    await floe.client.create(configMap(ns, 'contended'));
    const final = await waitFor(async () => {
      const data = (await floe.client.get(ConfigMapRef, 'contended', ns)).data as Record<string, string> | undefined;
      return data?.stamped === undefined ? undefined : data;
    }, { what: 'the stamp' });
    assert.deepEqual(final, { other: 'writer', stamped: '2' }, 'the retry read the other writer’s change and kept it');
    assert.equal(controller.stats.conflicts, 1);
    assert.equal(controller.stats.errors, 0);
    assert.deepEqual(logs.filter((l) => l.level === 'error'), []);
  });

  test('requeueAfterMs brings a request back after the delay', async () => {
    const ns = await freshNamespace(floe.client, 'mgr-requeue');
    const mgr = manager(ns);
    let calls = 0;
    const controller = mgr
      .controller('poller')
      .for(ConfigMapRef)
      .complete((_ctx, req) => {
        if (req.name === RootCaConfigMap) return Promise.resolve({});
        calls += 1;
        return Promise.resolve(calls < 3 ? { requeueAfterMs: 20 } : {});
      });
    start(mgr);
    await floe.client.create(configMap(ns, 'polled'));
    await waitFor(() => calls === 3, { what: 'two requeues' });
    assert.equal(controller.stats.requeuesAfter, 2);
  });

  test('withConcurrency runs different keys in parallel and never the same key twice at once', async () => {
    const ns = await freshNamespace(floe.client, 'mgr-concurrency');
    const mgr = manager(ns);
    const active = new Set<string>();
    const counts = new Map<string, number>();
    let maxActive = 0;
    let overlaps = 0;
    const hold = gate();
    mgr
      .controller('parallel')
      .for(ConfigMapRef)
      .withConcurrency(4)
      .complete(async (_ctx, req) => {
        const key = requestKey(req);
        if (active.has(key)) overlaps += 1;
        active.add(key);
        maxActive = Math.max(maxActive, active.size);
        counts.set(req.name, (counts.get(req.name) ?? 0) + 1);
        await hold.wait;
        active.delete(key);
      });
    start(mgr);
    const names = Array.from({ length: 8 }, (_, i) => `item-${i}`);
    for (const name of names) await floe.client.create(configMap(ns, name));
    await waitFor(() => active.size === 4, { what: 'four reconciles at once' });
    // Change the objects being reconciled: each must wait for its own reconcile to finish first.
    for (const key of [...active]) {
      const name = key.slice(key.indexOf('/') + 1);
      const cm = await floe.client.get(ConfigMapRef, name, ns);
      await floe.client.update({ ...cm, data: { bumped: 'yes' } });
    }
    const bumped = [...active].map((k) => k.slice(k.indexOf('/') + 1));
    await ticks(5);
    assert.equal(active.size, 4, 'no fifth worker, and no second run of a busy key');
    hold.open();
    await waitFor(() => names.every((n) => (counts.get(n) ?? 0) >= 1) && bumped.every((n) => (counts.get(n) ?? 0) >= 2) && active.size === 0, { what: 'every item, and the bumped ones twice' });
    assert.equal(maxActive, 4);
    assert.equal(overlaps, 0);
  });

  test('shutdown stops taking work, waits for the reconcile in flight, then stops', async () => {
    const ns = await freshNamespace(floe.client, 'mgr-shutdown');
    const mgr = manager(ns);
    const hold = gate();
    let signalAborted: boolean | undefined;
    let started = 0;
    mgr
      .controller('slow')
      .for(ConfigMapRef)
      .complete(async (ctx) => {
        started += 1;
        await hold.wait;
        signalAborted = ctx.signal.aborted;
      });
    const run = start(mgr);
    await waitFor(() => mgr.state === 'RUNNING', { what: 'the manager to run' });
    await floe.client.create(configMap(ns, 'in-flight'));
    await waitFor(() => started === 1, { what: 'the reconcile to start' });
    let stopped = false;
    void run.done.then(() => (stopped = true));
    run.abort.abort();
    assert.equal(mgr.state, 'STOPPING');
    await floe.client.create(configMap(ns, 'too-late'));
    await ticks(20);
    assert.equal(stopped, false, 'the manager waits for the reconcile in flight');
    assert.equal(started, 1, 'no new work after shutdown began');
    hold.open();
    await run.done;
    assert.equal(signalAborted, false, 'within the grace period the reconcile was not cancelled');
    assert.equal(mgr.state, 'STOPPED');
    assert.equal(mgr.informers.all().every((i) => i.hasSynced()), true);
  });

  test('a reconcile still running after the grace period sees its signal abort', async () => {
    const ns = await freshNamespace(floe.client, 'mgr-grace');
    const mgr = manager(ns, [], { gracefulShutdownMs: 50 });
    let started = false;
    let cancelled = false;
    mgr
      .controller('stubborn')
      .for(ConfigMapRef)
      .complete(async (ctx) => {
        started = true;
        await new Promise<void>((resolve) => ctx.signal.addEventListener('abort', () => resolve(), { once: true }));
        cancelled = true;
      });
    const run = start(mgr);
    await floe.client.create(configMap(ns, 'forever'));
    await waitFor(() => started, { what: 'the reconcile to start' });
    run.abort.abort();
    await run.done;
    assert.equal(cancelled, true);
    assert.equal(mgr.state, 'STOPPED');
  });

  test('with leader election only the leader reconciles; the standby takes over when it stops', async () => {
    const ns = await freshNamespace(floe.client, 'mgr-election');
    const build = (id: string): Manager => {
      const mgr = manager(ns, [], { leaderElection: { leaseName: 'stamper', leaseNamespace: ns, identity: id, leaseDurationMs: 1000, renewDeadlineMs: 600, retryPeriodMs: 100 } });
      mgr
        .controller('stamper')
        .for(ConfigMapRef)
        .complete(async (ctx, req) => {
          const cm = await ctx.client.get(ConfigMapRef, req.name, req.namespace);
          if (cm.metadata.annotations?.['stamped-by']) return;
          await ctx.client.update({ ...cm, metadata: { ...cm.metadata, annotations: { 'stamped-by': id } } });
        });
      return mgr;
    };
    const one = build('one');
    const two = build('two');
    const runOne = start(one);
    await waitFor(() => one.state === 'RUNNING', { what: 'one to lead' });
    const runTwo = start(two);
    await waitFor(() => two.state === 'STANDBY', { what: 'two to stand by' });
    const stamp = async (name: string): Promise<string | undefined> => (await floe.client.get(ConfigMapRef, name, ns)).metadata.annotations?.['stamped-by'];
    await floe.client.create(configMap(ns, 'first'));
    assert.equal(await waitFor(() => stamp('first'), { what: 'the leader to stamp' }), 'one');
    assert.equal(two.isLeader(), false);
    runOne.abort.abort();
    await runOne.done;
    await waitFor(() => two.state === 'RUNNING', { what: 'two to take over' });
    await floe.client.create(configMap(ns, 'second'));
    assert.equal(await waitFor(() => stamp('second'), { what: 'the new leader to stamp' }), 'two');
    runTwo.abort.abort();
    await runTwo.done;
    assert.equal(two.state, 'STOPPED');
  });

  test('builder mistakes are reported when the controller is declared', () => {
    const mgr = manager('default');
    assert.throws(() => mgr.controller('Bad Name'), /lower-case/);
    assert.throws(() => mgr.controller('no-primary').owns(SecretRef).complete(() => Promise.resolve()), /needs a primary kind/);
    assert.throws(() => mgr.controller('two-primaries').for(ConfigMapRef).for(SecretRef), /one primary kind/);
    assert.throws(() => mgr.controller('zero').withConcurrency(0), RangeError);
    mgr.controller('dup').for(ConfigMapRef).complete(() => Promise.resolve());
    assert.throws(() => mgr.controller('dup').for(ConfigMapRef).complete(() => Promise.resolve()), /already registered/);
  });
});
