// Controller and its builder: watch sources mapped to requests, a work queue, and workers that run the reconciler.
import { randomUUID } from 'node:crypto';
import { FloeError } from '../api/errors.js';
import type { Logger } from '../api/logger.js';
import type { KubeObject } from '../api/meta.js';
import type { Client, KindRef } from '../client/client.js';
import { delay, realClock, type Clock } from './clock.js';
import type { EventRecorder } from './event-recorder.js';
import type { Informer, InformerEventHandler } from './informer.js';
import type { InformerFactory } from './informer-factory.js';
import { parseRequestKey, requestFor, requestKey, type Request } from './keys.js';
import { controllerOf, refersToKind } from './owners.js';
import { TerminalError, type ReconcileContext, type Reconciler, type ReconcileFunction, type ReconcileResult } from './reconciler.js';
import { ExponentialBackoff, WorkQueue, type QueueMetrics, type RateLimiter } from './work-queue.js';

/** One change seen by a source, before it becomes requests. */
export interface SourceEvent<T extends KubeObject = KubeObject> {
  type: 'add' | 'update' | 'delete';
  object: T;
  /** The previous state, for updates. */
  oldObject?: T;
}

/** Decides whether a change is worth a reconcile. */
export type Predicate<T extends KubeObject = KubeObject> = (event: SourceEvent<T>) => boolean;

/** Maps a watched object to the requests it should trigger (often its owner, or objects that refer to it). */
export type MapFunction<T extends KubeObject = KubeObject> = (object: T) => Request[];

export interface SourceOptions<T extends KubeObject = KubeObject> {
  /** Only changes that pass every predicate trigger requests. */
  predicates?: Predicate<T>[];
  /** Narrows the informer to matching objects (it is then shared only with watchers of the same selector). */
  labelSelector?: string;
  /** Overrides the manager's namespace for this source; '' watches all namespaces (use it for cluster-scoped kinds). */
  namespace?: string;
}

/**
 * Passes adds, deletes, and updates that change `metadata.generation` (a spec change) or start a deletion.
 * Use it on a primary kind so status writes do not trigger another reconcile.
 */
export const generationChanged: Predicate = (event) => {
  const old = event.oldObject;
  if (event.type !== 'update' || !old) return true;
  return old.metadata.generation !== event.object.metadata.generation || old.metadata.deletionTimestamp !== event.object.metadata.deletionTimestamp;
};

interface Source {
  kind: KindRef;
  role: 'primary' | 'owned' | 'watched';
  map: (object: KubeObject, primary: Informer) => Request[];
  predicates: Predicate[];
  labelSelector: string | undefined;
  namespace: string | undefined;
}

/** How one reconcile ended, in controller-runtime's `result` terms (a terminal error also counts as an error). */
export type ReconcileOutcome = 'success' | 'error' | 'terminal-error' | 'requeue' | 'requeue_after';

/** One controller's metric hooks: its queue's and its reconciles' (controller-runtime's metrics). */
export interface ControllerMetricsHooks {
  queue: QueueMetrics;
  started(): void;
  finished(outcome: ReconcileOutcome, seconds: number): void;
}

/** Where controllers report what they do (src/observability exports it to Prometheus). */
export interface ControllerMetrics {
  controller(name: string, maxConcurrent: number): ControllerMetricsHooks;
}

/** What a controller needs from the manager that runs it. */
export interface ControllerEnvironment {
  informers: InformerFactory;
  client: Client;
  recorder: EventRecorder;
  /** Already bound to the controller's name. */
  log: Logger;
  clock?: Clock;
  metrics?: ControllerMetrics;
}

export interface ControllerRunOptions {
  /** Stop taking work when this aborts. */
  signal: AbortSignal;
  /** How long in-flight reconciles may finish before their `ctx.signal` aborts; 30 s unless given. */
  gracefulShutdownMs?: number;
  /** Aborts in-flight reconciles at once, with no grace (the manager uses it when leadership is lost). */
  abortReconciles?: AbortSignal;
}

/** Counts of reconcile outcomes since the controller was built. */
export interface ControllerStats {
  reconciles: number;
  successes: number;
  errors: number;
  terminalErrors: number;
  conflicts: number;
  requeuesAfter: number;
}

export interface ControllerOptions {
  name: string;
  reconciler: Reconciler;
  primary: KindRef;
  sources: Source[];
  concurrency: number;
  /** Makes the per-run backoff; an `ExponentialBackoff` with controller-runtime's defaults unless given. */
  rateLimiter?: () => RateLimiter;
}

const uidIndex = 'floe.dev/uid';

/**
 * Runs one reconciler for one primary kind. Each run has its own work queue: changes from its sources become
 * keys; `concurrency` workers take keys and reconcile them, never the same key twice at once. Built with
 * `ControllerBuilder` (usually `manager.controller(name)`); the manager runs it.
 */
export class Controller {
  readonly name: string;
  readonly primary: KindRef;
  readonly concurrency: number;
  readonly stats: ControllerStats = { reconciles: 0, successes: 0, errors: 0, terminalErrors: 0, conflicts: 0, requeuesAfter: 0 };
  private readonly reconciler: Reconciler;
  private readonly sources: Source[];
  private readonly rateLimiter: () => RateLimiter;

  constructor(options: ControllerOptions) {
    this.name = options.name;
    this.reconciler = options.reconciler;
    this.primary = options.primary;
    this.sources = options.sources;
    this.concurrency = options.concurrency;
    this.rateLimiter = options.rateLimiter ?? (() => new ExponentialBackoff());
  }

  /** Creates (or joins) the informers the sources need, so the manager can start and sync them first. */
  informers(factory: InformerFactory): Informer[] {
    const primarySource = this.sources.find((s) => s.role === 'primary');
    const primary = primarySource ? this.informerOf(factory, primarySource) : factory.informerFor(this.primary);
    if (!primary.hasIndexer(uidIndex)) primary.addIndexer(uidIndex, (o) => (o.metadata.uid ? [o.metadata.uid] : []));
    return [primary, ...this.sources.map((s) => this.informerOf(factory, s))];
  }

  /**
   * Watches, queues and reconciles until `signal` aborts; then stops taking work, lets in-flight reconciles
   * finish (aborting their signal after the grace period), and resolves once every worker has returned.
   */
  async run(env: ControllerEnvironment, options: ControllerRunOptions): Promise<void> {
    const { signal } = options;
    const clock = env.clock ?? realClock();
    const metrics = env.metrics?.controller(this.name, this.concurrency);
    const queue = new WorkQueue({ rateLimiter: this.rateLimiter(), clock, ...(metrics ? { metrics: metrics.queue } : {}) });
    const reconciles = new AbortController();
    const hard = options.abortReconciles;
    const onHardAbort = (): void => reconciles.abort();
    if (hard?.aborted) reconciles.abort();
    else hard?.addEventListener('abort', onHardAbort, { once: true });
    const primary = this.informers(env.informers)[0] as Informer;
    const removals = this.sources.map((source) => this.informerOf(env.informers, source).addEventHandler(this.handler(source, primary, queue)));
    try {
      if (!(await env.informers.waitForSync(signal))) return;
      env.log.info({ concurrency: this.concurrency, kind: this.primary.kind }, 'starting workers');
      const workers = Array.from({ length: this.concurrency }, () => this.worker(queue, env, primary, reconciles.signal, metrics));
      await untilAborted(signal);
      for (const remove of removals.splice(0)) remove();
      const drained = queue.shutDown();
      const grace = new AbortController();
      const finished = await Promise.race([drained.then(() => true), delay(clock, options.gracefulShutdownMs ?? 30_000, grace.signal).then(() => false)]);
      grace.abort();
      if (!finished) {
        env.log.warn({ inFlight: queue.inFlight }, 'reconciles still running after the grace period; aborting them');
        reconciles.abort();
      }
      await Promise.all(workers);
      env.log.info({}, 'workers stopped');
    } finally {
      hard?.removeEventListener('abort', onHardAbort);
      for (const remove of removals) remove();
      reconciles.abort();
      void queue.shutDown();
    }
  }

  private informerOf(factory: InformerFactory, source: Source): Informer {
    return factory.informerFor(source.kind, {
      ...(source.labelSelector === undefined ? {} : { labelSelector: source.labelSelector }),
      ...(source.namespace === undefined ? {} : { namespace: source.namespace }),
    });
  }

  private handler(source: Source, primary: Informer, queue: WorkQueue): InformerEventHandler {
    const enqueue = (event: SourceEvent): void => {
      if (!source.predicates.every((p) => p(event))) return;
      const objects = event.oldObject ? [event.oldObject, event.object] : [event.object];
      for (const object of objects) for (const request of source.map(object, primary)) queue.add(requestKey(request));
    };
    return {
      onAdd: (object) => enqueue({ type: 'add', object }),
      onUpdate: (oldObject, object) => enqueue({ type: 'update', object, oldObject }),
      onDelete: (object) => enqueue({ type: 'delete', object }),
    };
  }

  private async worker(queue: WorkQueue, env: ControllerEnvironment, primary: Informer, signal: AbortSignal, metrics: ControllerMetricsHooks | undefined): Promise<void> {
    for (;;) {
      const key = await queue.get();
      if (key === undefined) return;
      metrics?.started();
      const started = performance.now();
      let outcome: ReconcileOutcome = 'error';
      try {
        outcome = await this.reconcileKey(key, queue, env, primary, signal);
      } finally {
        metrics?.finished(outcome, (performance.now() - started) / 1000);
        queue.done(key);
      }
    }
  }

  private async reconcileKey(key: string, queue: WorkQueue, env: ControllerEnvironment, primary: Informer, signal: AbortSignal): Promise<ReconcileOutcome> {
    const request = parseRequestKey(key);
    const reconcileId = randomUUID();
    const log = env.log.child({ namespace: request.namespace, name: request.name, reconcileId });
    const ctx: ReconcileContext = { signal, log, client: env.client, recorder: env.recorder, reconcileId };
    this.stats.reconciles += 1;
    let result: ReconcileResult | void;
    try {
      result = await this.reconciler.reconcile(ctx, request);
    } catch (err) {
      if (signal.aborted || queue.isShuttingDown) {
        log.debug({ err }, 'reconcile ended by shutdown');
      } else if (err instanceof TerminalError) {
        this.stats.terminalErrors += 1;
        queue.forget(key);
        log.error({ err, reason: err.reason }, 'reconcile failed terminally; not retrying until the object changes');
        const object = primary.get(request.name, request.namespace);
        if (object) env.recorder.event(object, 'Warning', err.reason, err.message);
      } else if (err instanceof FloeError && err.reason === 'Conflict') {
        // Someone else wrote first: read again at once. Normal under concurrency, so not an error.
        this.stats.conflicts += 1;
        log.debug({ err: err.message }, 'conflict; requeueing');
        queue.add(key);
      } else {
        this.stats.errors += 1;
        queue.addRateLimited(key);
        log.error({ err, retries: queue.numRequeues(key) }, 'reconcile failed; retrying with backoff');
      }
      return err instanceof TerminalError ? 'terminal-error' : 'error';
    }
    this.stats.successes += 1;
    queue.forget(key);
    const after = result?.requeueAfterMs;
    if (after !== undefined && after > 0) {
      this.stats.requeuesAfter += 1;
      queue.addAfter(key, after);
      return 'requeue_after';
    }
    return 'success';
  }
}

export interface ControllerBuilderOptions {
  name: string;
  /** Called with the built controller (the manager registers it). */
  onComplete?: (controller: Controller) => void;
}

/**
 * Declares what a controller watches, controller-runtime style:
 * `manager.controller('greeter').for(GreeterRef).owns(ConfigMapRef).withConcurrency(2).complete(reconciler)`.
 */
export class ControllerBuilder {
  private readonly name: string;
  private readonly onComplete: ((controller: Controller) => void) | undefined;
  private primary: KindRef | undefined;
  private readonly sources: Source[] = [];
  private concurrency = 1;
  private rateLimiter: (() => RateLimiter) | undefined;

  constructor(options: ControllerBuilderOptions) {
    if (!/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(options.name)) {
      throw new Error(`controller name "${options.name}" must be lower-case letters, digits, '-' and '.'`);
    }
    this.name = options.name;
    this.onComplete = options.onComplete;
  }

  /** The primary kind: each of its objects is a request. Exactly one per controller. */
  for<T extends KubeObject = KubeObject>(kind: KindRef, options: SourceOptions<T> = {}): this {
    if (this.primary) throw new Error(`controller ${this.name} already reconciles ${this.primary.kind}; a controller has one primary kind`);
    this.primary = kind;
    this.sources.push(source(kind, 'primary', (o) => [requestFor(o)], options));
    return this;
  }

  /** A kind the primary owns: a change to one requests its controller owner (ownerReferences, controller=true). */
  owns<T extends KubeObject = KubeObject>(kind: KindRef, options: SourceOptions<T> = {}): this {
    this.sources.push(
      source(kind, 'owned', (o, primary) => {
        const ref = controllerOf(o);
        if (!ref || !this.primary || !refersToKind(ref, this.primary)) return [];
        // The owner's namespace comes from the cache when it is there, which also covers cluster-scoped owners.
        const owner = primary.byIndex(uidIndex, ref.uid)[0];
        return [owner ? requestFor(owner) : { namespace: o.metadata.namespace ?? '', name: ref.name }];
      }, options),
    );
    return this;
  }

  /** Any other kind, mapped to requests by `map`. */
  watches<T extends KubeObject = KubeObject>(kind: KindRef, map: MapFunction<T>, options: SourceOptions<T> = {}): this {
    this.sources.push(source(kind, 'watched', (o) => map(o as T), options));
    return this;
  }

  /** How many requests reconcile at once (never two for the same object); 1 unless set. */
  withConcurrency(n: number): this {
    if (!Number.isInteger(n) || n < 1) throw new RangeError(`controller ${this.name}: concurrency must be a positive integer, got ${n}`);
    this.concurrency = n;
    return this;
  }

  /** Replaces the retry backoff (a fresh limiter per run). */
  withRateLimiter(make: () => RateLimiter): this {
    this.rateLimiter = make;
    return this;
  }

  complete(reconciler: Reconciler | ReconcileFunction): Controller {
    if (!this.primary) throw new Error(`controller ${this.name} needs a primary kind: call .for(kind) before .complete()`);
    const controller = new Controller({
      name: this.name,
      reconciler: typeof reconciler === 'function' ? { reconcile: reconciler } : reconciler,
      primary: this.primary,
      sources: this.sources,
      concurrency: this.concurrency,
      ...(this.rateLimiter ? { rateLimiter: this.rateLimiter } : {}),
    });
    this.onComplete?.(controller);
    return controller;
  }
}

function source<T extends KubeObject>(kind: KindRef, role: Source['role'], map: Source['map'], options: SourceOptions<T>): Source {
  return { kind, role, map, predicates: (options.predicates ?? []) as Predicate[], labelSelector: options.labelSelector, namespace: options.namespace };
}

function untilAborted(signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
}
