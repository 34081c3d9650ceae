// Informer: list and watch one kind through the Client, keep a frozen in-memory cache with indexes, tell handlers.
import { FloeError } from '../api/errors.js';
import type { KubeObject, WatchEvent } from '../api/meta.js';
import { matchesLabels, parseLabelSelector, type LabelSelector } from '../api/selectors/index.js';
import type { Client, KindRef, WatchStream } from '../client/client.js';
import { delay, realClock, type Clock } from './clock.js';
import { objectKey, requestKey } from './keys.js';
import { ExponentialBackoff, type ExponentialBackoffOptions } from './work-queue.js';

/** Callbacks for changes to the cache. They run synchronously after the cache changed; keep them short (enqueue a key). */
export interface InformerEventHandler<T extends KubeObject = KubeObject> {
  onAdd?(object: T): void;
  onUpdate?(oldObject: T, newObject: T): void;
  /** The object as last seen: the watch's final state, or the cached one when a relist found it gone. */
  onDelete?(object: T): void;
}

/** Values an object is indexed under (say, the names of its owners); an empty list leaves it out. */
export type IndexFunc<T extends KubeObject = KubeObject> = (object: T) => string[];

export interface InformerOptions<T extends KubeObject = KubeObject> {
  client: Client;
  kind: KindRef;
  /** Watch one namespace; all namespaces unless given. */
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
  indexers?: Record<string, IndexFunc<T>>;
  /** Page size of the initial list and relists; 500 unless given. */
  pageSize?: number;
  /** Delay between attempts after a failed list or watch; 500 ms doubling to 30 s unless given. */
  retryBackoff?: ExponentialBackoffOptions;
  clock?: Clock;
  /** Failures the informer recovers from by retrying (and handler errors); the informer never throws them. */
  onError?: (err: unknown) => void;
}

export interface CacheListOptions {
  namespace?: string;
  labelSelector?: string | LabelSelector;
}

/**
 * Lists a kind once, then watches it from the list's resourceVersion, keeping every object in a cache.
 * A watch that ends cleanly resumes from the last resourceVersion seen; one that fails with 'Expired' (410)
 * relists at once; any other failure backs off, then relists. A relist replaces the cache and reports the
 * difference as add, update and delete events, so handlers never miss a change, only intermediate states.
 *
 * Cached objects are deep-frozen and shared: `clone()` one before changing it.
 */
export class Informer<T extends KubeObject = KubeObject> {
  readonly kind: KindRef;
  readonly namespace: string | undefined;
  readonly labelSelector: string | undefined;
  readonly fieldSelector: string | undefined;
  private readonly client: Client;
  private readonly pageSize: number;
  private readonly clock: Clock;
  private readonly backoff: ExponentialBackoff;
  private readonly reportError: (err: unknown) => void;
  private readonly items = new Map<string, T>();
  private readonly indexers = new Map<string, IndexFunc<T>>();
  /** index name → indexed value → keys */
  private readonly indices = new Map<string, Map<string, Set<string>>>();
  private readonly handlers = new Set<InformerEventHandler<T>>();
  private syncWaiters: ((synced: boolean) => void)[] = [];
  private resourceVersion: string | undefined;
  private synced = false;
  private state: 'idle' | 'running' | 'stopped' = 'idle';
  private abort: AbortController | undefined;
  private loop: Promise<void> | undefined;
  private stream: WatchStream<T> | undefined;

  constructor(options: InformerOptions<T>) {
    this.client = options.client;
    this.kind = { apiVersion: options.kind.apiVersion, kind: options.kind.kind };
    this.namespace = options.namespace;
    this.labelSelector = options.labelSelector;
    this.fieldSelector = options.fieldSelector;
    this.pageSize = options.pageSize ?? 500;
    this.clock = options.clock ?? realClock();
    this.backoff = new ExponentialBackoff({ baseDelayMs: 500, maxDelayMs: 30_000, ...options.retryBackoff });
    this.reportError = options.onError ?? (() => undefined);
    for (const [name, fn] of Object.entries(options.indexers ?? {})) this.addIndexer(name, fn);
  }

  /** Whether the first list has filled the cache. */
  hasSynced(): boolean {
    return this.synced;
  }

  /** The resourceVersion the cache reflects; undefined before the first list. */
  get lastSyncResourceVersion(): string | undefined {
    return this.resourceVersion;
  }

  /** Resolves true once the cache has synced, or false if the informer stops (or `signal` aborts) first. */
  waitForSync(signal?: AbortSignal): Promise<boolean> {
    if (this.synced) return Promise.resolve(true);
    if (this.state === 'stopped' || signal?.aborted) return Promise.resolve(false);
    return new Promise((resolve) => {
      const onAbort = (): void => {
        this.syncWaiters = this.syncWaiters.filter((w) => w !== done);
        resolve(false);
      };
      const done = (synced: boolean): void => {
        signal?.removeEventListener('abort', onAbort);
        resolve(synced);
      };
      this.syncWaiters.push(done);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** Starts listing and watching in the background. Idempotent; an informer cannot restart once stopped. */
  start(): void {
    if (this.state === 'running') return;
    if (this.state === 'stopped') throw new Error(`the informer for ${this.describe()} was stopped and cannot restart`);
    this.state = 'running';
    const abort = new AbortController();
    this.abort = abort;
    this.loop = this.run(abort.signal);
  }

  /** Stops watching and resolves once the background loop has ended. The cache keeps its last contents. */
  async stop(): Promise<void> {
    if (this.state === 'idle') this.state = 'stopped';
    if (this.state !== 'running') return;
    this.state = 'stopped';
    this.abort?.abort();
    this.stream?.close();
    await this.loop;
    for (const waiter of this.syncWaiters.splice(0)) waiter(false);
  }

  /**
   * Registers callbacks and returns the function that removes them. Objects already in the cache are
   * delivered to `onAdd` at once, so a late handler sees the same world as an early one.
   */
  addEventHandler(handler: InformerEventHandler<T>): () => void {
    this.handlers.add(handler);
    for (const object of this.items.values()) this.call(() => handler.onAdd?.(object));
    return () => {
      this.handlers.delete(handler);
    };
  }

  /** Adds an index, built at once over the current cache. A name can be registered once. */
  addIndexer(name: string, fn: IndexFunc<T>): void {
    if (this.indexers.has(name)) throw new Error(`the informer for ${this.describe()} already has an index named "${name}"`);
    this.indexers.set(name, fn);
    this.indices.set(name, new Map());
    for (const [key, object] of this.items) this.index(name, fn, key, object, 'add');
  }

  /** Whether an index of this name exists. */
  hasIndexer(name: string): boolean {
    return this.indexers.has(name);
  }

  /** The cached object, or undefined. Leave `namespace` out (or '') for cluster-scoped kinds. */
  get(name: string, namespace = ''): T | undefined {
    return this.items.get(requestKey({ namespace, name }));
  }

  /** The cached object under a `namespace/name` key, or undefined. */
  getByKey(key: string): T | undefined {
    return this.items.get(key);
  }

  /** Cached objects, optionally in one namespace and matching a label selector, ordered by key. */
  list(options: CacheListOptions = {}): T[] {
    const selector = typeof options.labelSelector === 'string' ? parseLabelSelector(options.labelSelector) : options.labelSelector;
    const out: T[] = [];
    for (const object of this.items.values()) {
      if (options.namespace !== undefined && (object.metadata.namespace ?? '') !== options.namespace) continue;
      if (selector && !matchesLabels(selector, object.metadata.labels)) continue;
      out.push(object);
    }
    return out.sort((a, b) => compare(objectKey(a), objectKey(b)));
  }

  /** Cached objects that the index `name` files under `value`, ordered by key. */
  byIndex(name: string, value: string): T[] {
    const index = this.indices.get(name);
    if (!index) throw new Error(`the informer for ${this.describe()} has no index named "${name}"`);
    const keys = [...(index.get(value) ?? [])].sort(compare);
    return keys.map((k) => this.items.get(k)).filter((o): o is T => o !== undefined);
  }

  /** Keys of every cached object. */
  keys(): string[] {
    return [...this.items.keys()].sort(compare);
  }

  private describe(): string {
    return `${this.kind.kind}.${this.kind.apiVersion}${this.namespace === undefined ? '' : ` in ${this.namespace}`}`;
  }

  private async run(signal: AbortSignal): Promise<void> {
    const backoffKey = 'informer';
    while (!signal.aborted) {
      try {
        if (this.resourceVersion === undefined) await this.relist(signal);
        const delivered = await this.watch(signal);
        // A watch the server ends cleanly resumes at once; one that ends without any event waits a little,
        // so a server that keeps closing watches does not turn this loop into a busy one.
        if (delivered > 0) this.backoff.forget(backoffKey);
        else await delay(this.clock, this.backoff.when(backoffKey), signal);
      } catch (err) {
        if (signal.aborted) break;
        this.resourceVersion = undefined;
        if (err instanceof FloeError && err.reason === 'Expired') continue;
        this.reportError(err);
        await delay(this.clock, this.backoff.when(backoffKey), signal);
      }
    }
  }

  private async relist(signal: AbortSignal): Promise<void> {
    const listed = new Map<string, T>();
    let revision: string | undefined;
    let next: string | undefined;
    do {
      const page = await this.client.list<T>(this.kind, {
        ...(this.namespace === undefined ? {} : { namespace: this.namespace }),
        ...(this.labelSelector === undefined ? {} : { labelSelector: this.labelSelector }),
        ...(this.fieldSelector === undefined ? {} : { fieldSelector: this.fieldSelector }),
        limit: this.pageSize,
        ...(next === undefined ? {} : { continue: next }),
      });
      if (signal.aborted) return;
      revision ??= page.metadata.resourceVersion;
      for (const item of page.items) {
        const object = this.own(item);
        listed.set(objectKey(object), object);
      }
      next = page.metadata.continue || undefined;
    } while (next !== undefined);
    for (const [key, old] of [...this.items]) {
      if (!listed.has(key)) this.remove(key, old);
    }
    for (const [key, object] of listed) {
      const old = this.items.get(key);
      if (old?.metadata.resourceVersion === object.metadata.resourceVersion && old !== undefined) continue;
      this.put(key, object);
    }
    this.resourceVersion = revision ?? '0';
    if (!this.synced) {
      this.synced = true;
      for (const waiter of this.syncWaiters.splice(0)) waiter(true);
    }
  }

  /** Watches from the cached resourceVersion until the stream ends; returns how many events it applied. */
  private async watch(signal: AbortSignal): Promise<number> {
    const stream = await this.client.watch<T>(this.kind, {
      ...(this.namespace === undefined ? {} : { namespace: this.namespace }),
      ...(this.labelSelector === undefined ? {} : { labelSelector: this.labelSelector }),
      ...(this.fieldSelector === undefined ? {} : { fieldSelector: this.fieldSelector }),
      ...(this.resourceVersion === undefined ? {} : { resourceVersion: this.resourceVersion }),
      allowWatchBookmarks: true,
      signal,
    });
    this.stream = stream;
    let delivered = 0;
    try {
      for await (const event of stream) {
        if (signal.aborted) break;
        this.apply(event);
        delivered += 1;
      }
    } finally {
      stream.close();
      this.stream = undefined;
    }
    return delivered;
  }

  private apply(event: WatchEvent<T>): void {
    switch (event.type) {
      case 'ERROR':
        throw FloeError.fromStatus(event.object as unknown as Parameters<typeof FloeError.fromStatus>[0]);
      case 'BOOKMARK':
        break;
      case 'ADDED':
      case 'MODIFIED': {
        const object = this.own(event.object);
        this.put(objectKey(object), object);
        break;
      }
      case 'DELETED': {
        const object = this.own(event.object);
        const key = objectKey(object);
        if (this.items.has(key)) this.remove(key, object);
        break;
      }
    }
    const revision = event.object.metadata.resourceVersion;
    if (revision) this.resourceVersion = revision;
  }

  /** Fills the kind (list items from kube-apiserver omit it) and freezes the object for sharing. */
  private own(object: T): T {
    if (!object.apiVersion) object.apiVersion = this.kind.apiVersion;
    if (!object.kind) object.kind = this.kind.kind;
    return deepFreeze(object);
  }

  private put(key: string, object: T): void {
    const old = this.items.get(key);
    this.items.set(key, object);
    for (const [name, fn] of this.indexers) {
      if (old) this.index(name, fn, key, old, 'remove');
      this.index(name, fn, key, object, 'add');
    }
    for (const handler of [...this.handlers]) {
      if (old) this.call(() => handler.onUpdate?.(old, object));
      else this.call(() => handler.onAdd?.(object));
    }
  }

  private remove(key: string, last: T): void {
    const old = this.items.get(key);
    this.items.delete(key);
    if (old) for (const [name, fn] of this.indexers) this.index(name, fn, key, old, 'remove');
    for (const handler of [...this.handlers]) this.call(() => handler.onDelete?.(last));
  }

  private index(name: string, fn: IndexFunc<T>, key: string, object: T, op: 'add' | 'remove'): void {
    const index = this.indices.get(name);
    if (!index) return;
    let values: string[];
    try {
      values = fn(object);
    } catch (err) {
      this.reportError(err);
      return;
    }
    for (const value of values) {
      let keys = index.get(value);
      if (op === 'add') {
        if (!keys) index.set(value, (keys = new Set()));
        keys.add(key);
      } else if (keys) {
        keys.delete(key);
        if (keys.size === 0) index.delete(value);
      }
    }
  }

  private call(fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.reportError(err);
    }
  }
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function deepFreeze<V>(value: V): V {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}
