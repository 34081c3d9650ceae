// WorkQueue: de-duplicated keys, one worker per key at a time, delayed adds and per-key capped exponential backoff.
import { realClock, type Clock, type TimerHandle } from './clock.js';

/** Decides how long a key waits before its next retry. */
export interface RateLimiter {
  /** The delay before the key's next attempt; counts one more failure for it. */
  when(key: string): number;
  /** Clears the key's failure history (call after a success). */
  forget(key: string): void;
  /** Failures counted for the key since it was last forgotten. */
  retries(key: string): number;
}

export interface ExponentialBackoffOptions {
  /** The first retry's delay; 5 ms unless given (controller-runtime's default). */
  baseDelayMs?: number;
  /** The cap; 1000 s unless given (controller-runtime's default). */
  maxDelayMs?: number;
}

/** Per-key delay of `base * 2^failures`, capped at `max`: 5 ms, 10 ms, 20 ms … 1000 s. */
export class ExponentialBackoff implements RateLimiter {
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
  private readonly failures = new Map<string, number>();

  constructor(options: ExponentialBackoffOptions = {}) {
    this.baseDelayMs = options.baseDelayMs ?? 5;
    this.maxDelayMs = options.maxDelayMs ?? 1_000_000;
    if (!(this.baseDelayMs > 0) || !(this.maxDelayMs >= this.baseDelayMs)) {
      throw new RangeError(`ExponentialBackoff needs 0 < baseDelayMs <= maxDelayMs, got ${this.baseDelayMs} and ${this.maxDelayMs}`);
    }
  }

  when(key: string): number {
    const n = this.failures.get(key) ?? 0;
    this.failures.set(key, n + 1);
    // 2^n overflows to Infinity long after the cap applies, and Math.min handles Infinity.
    return Math.min(this.maxDelayMs, this.baseDelayMs * 2 ** n);
  }

  forget(key: string): void {
    this.failures.delete(key);
  }

  retries(key: string): number {
    return this.failures.get(key) ?? 0;
  }
}

/** What a queue reports as it works, as client-go's queue metrics see it (src/observability exports them). */
export interface QueueMetrics {
  /** A key became pending (it was not already). */
  add(key: string): void;
  /** A key was handed to a worker. */
  get(key: string): void;
  /** A worker finished with a key. */
  done(key: string): void;
  /** A key was added again after a failure (`addRateLimited`). */
  retry(): void;
  shutDown(): void;
}

export interface WorkQueueOptions {
  /** Backoff for `addRateLimited`; an `ExponentialBackoff` with controller-runtime's defaults unless given. */
  rateLimiter?: RateLimiter;
  clock?: Clock;
  metrics?: QueueMetrics;
}

/**
 * A queue of keys with the semantics controllers rely on:
 * - a key waiting in the queue is held once, however often it is added;
 * - a key handed out by `get` is not handed out again until `done`; adding it meanwhile marks it dirty,
 *   and `done` puts it back at the end of the queue;
 * - `addAfter` and `addRateLimited` add later (the earliest pending time wins);
 * - `shutDown` stops taking and handing out keys, and resolves once every key handed out is `done`.
 */
export class WorkQueue {
  private readonly clock: Clock;
  private readonly limiter: RateLimiter;
  private readonly queue: string[] = [];
  private readonly dirty = new Set<string>();
  private readonly processing = new Set<string>();
  private readonly waiting = new Map<string, { at: number; handle: TimerHandle }>();
  private readonly wakers: (() => void)[] = [];
  private readonly drainWaiters: (() => void)[] = [];
  private shuttingDown = false;
  private readonly metrics: QueueMetrics | undefined;

  constructor(options: WorkQueueOptions = {}) {
    this.clock = options.clock ?? realClock();
    this.limiter = options.rateLimiter ?? new ExponentialBackoff();
    this.metrics = options.metrics;
  }

  /** Keys ready to hand out (not counting those in progress or waiting on a delay). */
  get length(): number {
    return this.queue.length;
  }

  /** Keys handed out and not yet `done`. */
  get inFlight(): number {
    return this.processing.size;
  }

  /** Keys waiting on `addAfter` or `addRateLimited`. */
  get delayed(): number {
    return this.waiting.size;
  }

  get isShuttingDown(): boolean {
    return this.shuttingDown;
  }

  add(key: string): void {
    if (this.shuttingDown || this.dirty.has(key)) return;
    this.metrics?.add(key);
    this.dirty.add(key);
    if (this.processing.has(key)) return;
    this.queue.push(key);
    this.wake();
  }

  /** Adds the key once `ms` have passed; an earlier pending add of the same key wins. */
  addAfter(key: string, ms: number): void {
    if (this.shuttingDown) return;
    if (ms <= 0) {
      this.add(key);
      return;
    }
    const at = this.clock.now() + ms;
    const pending = this.waiting.get(key);
    if (pending) {
      if (pending.at <= at) return;
      this.clock.clearTimeout(pending.handle);
    }
    const handle = this.clock.setTimeout(() => {
      this.waiting.delete(key);
      this.add(key);
    }, ms);
    this.waiting.set(key, { at, handle });
  }

  /** Adds the key after its backoff delay, and counts one more failure for it. */
  addRateLimited(key: string): void {
    if (this.shuttingDown) return;
    this.metrics?.retry();
    this.addAfter(key, this.limiter.when(key));
  }

  /** Ends the key's backoff history: its next failure waits the base delay again. */
  forget(key: string): void {
    this.limiter.forget(key);
  }

  /** Failures counted for the key since it was last forgotten. */
  numRequeues(key: string): number {
    return this.limiter.retries(key);
  }

  /**
   * The next key to work on, waiting for one if needed; undefined once the queue shuts down. A key moves to
   * "in progress" only when the waiting worker resumes, so adds of the same key in the same tick (an update
   * mapped through both its old and new object, say) still fold into one.
   */
  async get(): Promise<string | undefined> {
    for (;;) {
      if (this.shuttingDown) return undefined;
      const key = this.queue.shift();
      if (key !== undefined) {
        this.dirty.delete(key);
        this.processing.add(key);
        this.metrics?.get(key);
        return key;
      }
      await new Promise<void>((resolve) => this.wakers.push(resolve));
    }
  }

  /** Marks work on the key finished; a key added while it was in progress goes back in the queue. */
  done(key: string): void {
    if (!this.processing.delete(key)) return;
    this.metrics?.done(key);
    if (this.dirty.has(key) && !this.shuttingDown) {
      this.queue.push(key);
      this.wake();
    }
    if (this.processing.size === 0 && this.shuttingDown) this.resolveDrain();
  }

  /**
   * Stops the queue: adds are ignored, pending delays are cancelled, waiting and later `get` calls get
   * undefined. Resolves once every key already handed out has been marked `done`.
   */
  shutDown(): Promise<void> {
    if (!this.shuttingDown) {
      this.shuttingDown = true;
      this.metrics?.shutDown();
      for (const { handle } of this.waiting.values()) this.clock.clearTimeout(handle);
      this.waiting.clear();
      this.queue.length = 0;
      this.dirty.clear();
      for (const wake of this.wakers.splice(0)) wake();
    }
    if (this.processing.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.drainWaiters.push(resolve));
  }

  /** Wakes one waiting worker per queued key; a woken worker that finds nothing waits again. */
  private wake(): void {
    for (let n = Math.min(this.queue.length, this.wakers.length); n > 0; n--) this.wakers.shift()?.();
  }

  private resolveDrain(): void {
    for (const resolve of this.drainWaiters.splice(0)) resolve();
  }
}
