// WorkQueue and ExponentialBackoff: de-duplication, one worker per key, delayed adds, backoff math, shutdown.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from './clock.js';
import { ExponentialBackoff, WorkQueue } from './work-queue.js';

/** The keys `get` hands out right now, without waiting (each marked done at once unless `keep`). */
async function drain(queue: WorkQueue, keep = false): Promise<string[]> {
  const out: string[] = [];
  while (queue.length > 0) {
    const key = await queue.get();
    if (key === undefined) break;
    out.push(key);
    if (!keep) queue.done(key);
  }
  return out;
}

describe('ExponentialBackoff', () => {
  test('doubles from 5 ms per failure and caps at 1000 s by default', () => {
    const backoff = new ExponentialBackoff();
    const delays = Array.from({ length: 30 }, () => backoff.when('a'));
    assert.deepEqual(delays.slice(0, 6), [5, 10, 20, 40, 80, 160]);
    // 5 ms * 2^17 = 655.36 s is the last step under the cap; 5 ms * 2^18 would be 1310.72 s.
    assert.equal(delays[17], 655_360);
    assert.equal(delays[18], 1_000_000);
    assert.equal(delays[29], 1_000_000);
    assert.equal(backoff.retries('a'), 30);
  });

  test('keeps a separate count per key and forgets on success', () => {
    const backoff = new ExponentialBackoff({ baseDelayMs: 100, maxDelayMs: 1000 });
    assert.deepEqual([backoff.when('a'), backoff.when('a'), backoff.when('b'), backoff.when('a')], [100, 200, 100, 400]);
    assert.deepEqual([backoff.when('a'), backoff.when('a')], [800, 1000]);
    backoff.forget('a');
    assert.equal(backoff.retries('a'), 0);
    assert.equal(backoff.when('a'), 100);
    assert.equal(backoff.when('b'), 200);
  });

  test('never overflows into a non-finite delay', () => {
    const backoff = new ExponentialBackoff({ baseDelayMs: 1, maxDelayMs: 10 });
    for (let i = 0; i < 2000; i++) backoff.when('k');
    assert.equal(backoff.when('k'), 10);
  });

  test('rejects nonsensical settings', () => {
    assert.throws(() => new ExponentialBackoff({ baseDelayMs: 0 }), RangeError);
    assert.throws(() => new ExponentialBackoff({ baseDelayMs: 10, maxDelayMs: 5 }), RangeError);
  });
});

describe('WorkQueue', () => {
  test('holds a key once however often it is added, in first-added order', async () => {
    const queue = new WorkQueue({ clock: new ManualClock() });
    for (const key of ['a', 'b', 'a', 'c', 'b', 'a']) queue.add(key);
    assert.equal(queue.length, 3);
    assert.deepEqual(await drain(queue), ['a', 'b', 'c']);
  });

  test('never hands out a key that is in progress; an add meanwhile requeues it after done', async () => {
    const queue = new WorkQueue({ clock: new ManualClock() });
    queue.add('a');
    queue.add('b');
    const first = await queue.get();
    assert.equal(first, 'a');
    queue.add('a');
    queue.add('a');
    assert.deepEqual(await drain(queue, true), ['b'], 'a stays out while in progress');
    assert.equal(queue.inFlight, 2);
    queue.done('a');
    assert.deepEqual(await drain(queue), ['a'], 'a comes back once, after done');
    queue.done('b');
    assert.equal(queue.length, 0);
    assert.equal(queue.inFlight, 0);
  });

  test('a key done without being re-added does not come back', async () => {
    const queue = new WorkQueue({ clock: new ManualClock() });
    queue.add('a');
    const key = await queue.get();
    assert.equal(key, 'a');
    queue.done('a');
    assert.equal(queue.length, 0);
  });

  test('a waiting get resolves when a key arrives', async () => {
    const queue = new WorkQueue({ clock: new ManualClock() });
    const waiting = queue.get();
    queue.add('late');
    assert.equal(await waiting, 'late');
  });

  test('adds of one key in the same tick fold into one even while a worker waits', async () => {
    const queue = new WorkQueue({ clock: new ManualClock() });
    const waiting = queue.get();
    queue.add('k');
    queue.add('k');
    assert.equal(await waiting, 'k');
    queue.done('k');
    assert.equal(queue.length, 0, 'the second add did not mark the key dirty behind the worker');
  });

  test('two workers never hold the same key, even when it is added while both wait', async () => {
    const queue = new WorkQueue({ clock: new ManualClock() });
    const w1 = queue.get();
    const w2 = queue.get();
    queue.add('x');
    queue.add('x');
    assert.equal(await w1, 'x');
    queue.add('x');
    queue.add('y');
    assert.equal(await w2, 'y', 'the second worker gets y, not a second x');
    queue.done('x');
    assert.equal(await queue.get(), 'x');
  });

  test('addAfter adds once the delay passes, and the earliest pending delay wins', async () => {
    const clock = new ManualClock();
    const queue = new WorkQueue({ clock });
    queue.addAfter('a', 100);
    queue.addAfter('a', 300);
    queue.addAfter('b', 50);
    assert.equal(queue.delayed, 2);
    assert.deepEqual(clock.pendingDelays(), [50, 100]);
    clock.advance(49);
    assert.equal(queue.length, 0);
    clock.advance(1);
    assert.deepEqual(await drain(queue), ['b']);
    queue.addAfter('a', 10);
    assert.deepEqual(clock.pendingDelays(), [10], 'an earlier time replaces the later one');
    clock.advance(10);
    assert.deepEqual(await drain(queue), ['a']);
    clock.advance(1000);
    assert.equal(queue.length, 0, 'the replaced timer does not fire');
    queue.addAfter('now', 0);
    assert.deepEqual(await drain(queue), ['now'], 'a zero delay adds at once');
  });

  test('addRateLimited waits 5 ms, 10 ms, 20 ms … per key until forget', async () => {
    const clock = new ManualClock();
    const queue = new WorkQueue({ clock });
    const waits: number[] = [];
    for (let i = 0; i < 5; i++) {
      queue.addRateLimited('k');
      waits.push(...clock.pendingDelays());
      clock.advance(clock.pendingDelays()[0] ?? 0);
      assert.deepEqual(await drain(queue), ['k']);
    }
    assert.deepEqual(waits, [5, 10, 20, 40, 80]);
    assert.equal(queue.numRequeues('k'), 5);
    queue.forget('k');
    queue.addRateLimited('k');
    assert.deepEqual(clock.pendingDelays(), [5]);
  });

  test('addRateLimited honours an injected limiter', () => {
    const clock = new ManualClock();
    const queue = new WorkQueue({ clock, rateLimiter: new ExponentialBackoff({ baseDelayMs: 1000, maxDelayMs: 3000 }) });
    const waits: number[] = [];
    for (let i = 0; i < 4; i++) {
      queue.addRateLimited('k');
      waits.push(...clock.pendingDelays());
      clock.advance(10_000);
    }
    assert.deepEqual(waits, [1000, 2000, 3000, 3000]);
  });

  test('shutDown hands out nothing more and resolves once in-flight keys are done', async () => {
    const clock = new ManualClock();
    const queue = new WorkQueue({ clock });
    queue.add('busy');
    queue.add('queued');
    queue.addAfter('later', 100);
    const busy = await queue.get();
    assert.equal(busy, 'busy');
    const idle = queue.get();
    const waiting = queue.get();
    assert.equal(await idle, 'queued');
    let drained = false;
    const shutdown = queue.shutDown().then(() => {
      drained = true;
    });
    assert.equal(await waiting, undefined, 'a waiting worker is released');
    assert.equal(await queue.get(), undefined, 'no work is handed out after shutdown');
    assert.equal(clock.pending, 0, 'delayed adds are cancelled');
    queue.add('ignored');
    assert.equal(queue.length, 0);
    queue.done('busy');
    await Promise.resolve();
    assert.equal(drained, false, 'still one key in flight');
    queue.done('queued');
    await shutdown;
    assert.equal(drained, true);
  });

  test('shutDown of an idle queue resolves at once', async () => {
    const queue = new WorkQueue({ clock: new ManualClock() });
    queue.add('a');
    await queue.shutDown();
    assert.equal(queue.isShuttingDown, true);
    assert.equal(await queue.get(), undefined);
  });
});
