// A small list-then-watch cache over the Client, re-listing when a watch ends or fails (resourceVersion too old).
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '../api/logger.js';
import type { KubeObject } from '../api/meta.js';
import type { Client, KindRef, WatchStream } from '../client/client.js';

export type InformerEventType = 'ADDED' | 'MODIFIED' | 'DELETED';
export type InformerHandler<T extends KubeObject> = (type: InformerEventType, object: T) => void;

export interface InformerOptions {
  client: Client;
  ref: KindRef;
  logger: Logger;
  /** Pause before re-listing after a failure. */
  retryMs?: number;
}

export function objectKey(object: KubeObject): string {
  return `${object.metadata.namespace ?? ''}/${object.metadata.name ?? ''}`;
}

export class Informer<T extends KubeObject> {
  private readonly client: Client;
  private readonly ref: KindRef;
  private readonly log: Logger;
  private readonly retryMs: number;
  private readonly items = new Map<string, T>();
  private readonly handlers: InformerHandler<T>[] = [];
  private readonly abort = new AbortController();
  private stream: WatchStream<T> | undefined;
  private loop: Promise<void> | undefined;

  constructor(options: InformerOptions) {
    this.client = options.client;
    this.ref = options.ref;
    this.log = options.logger.child({ informer: options.ref.kind });
    this.retryMs = options.retryMs ?? 1000;
  }

  onEvent(handler: InformerHandler<T>): void {
    this.handlers.push(handler);
  }

  get(namespace: string | undefined, name: string): T | undefined {
    return this.items.get(`${namespace ?? ''}/${name}`);
  }

  list(): T[] {
    return [...this.items.values()];
  }

  /** Lists once (so the cache is complete when this resolves), then keeps watching in the background. */
  async start(): Promise<void> {
    const rv = await this.relist();
    this.loop = this.run(rv);
  }

  async stop(): Promise<void> {
    this.abort.abort();
    this.stream?.close();
    await this.loop;
  }

  private async run(initial: string): Promise<void> {
    let rv: string | undefined = initial;
    while (!this.abort.signal.aborted) {
      try {
        rv ??= await this.relist();
        rv = await this.watchFrom(rv);
      } catch (err) {
        if (this.abort.signal.aborted) return;
        this.log.debug({ err }, 'watch failed; re-listing');
        rv = undefined;
        await sleep(this.retryMs, undefined, { signal: this.abort.signal }).catch(() => undefined);
      }
    }
  }

  /** Watches until the stream ends; returns the last resourceVersion seen, or undefined to force a re-list. */
  private async watchFrom(rv: string): Promise<string | undefined> {
    const stream = await this.client.watch<T>(this.ref, { resourceVersion: rv, allowWatchBookmarks: true, signal: this.abort.signal });
    this.stream = stream;
    let last: string | undefined = rv;
    try {
      for await (const event of stream) {
        if (event.type === 'ERROR') return undefined;
        last = event.object.metadata.resourceVersion ?? last;
        if (event.type === 'BOOKMARK') continue;
        const key = objectKey(event.object);
        if (event.type === 'DELETED') this.items.delete(key);
        else this.items.set(key, event.object);
        this.emit(event.type, event.object);
      }
    } finally {
      stream.close();
    }
    return last;
  }

  private async relist(): Promise<string> {
    const list = await this.client.list<T>(this.ref);
    const seen = new Set<string>();
    for (const item of list.items) {
      item.apiVersion ||= this.ref.apiVersion;
      item.kind ||= this.ref.kind;
      const key = objectKey(item);
      seen.add(key);
      const old = this.items.get(key);
      this.items.set(key, item);
      if (!old) this.emit('ADDED', item);
      else if (old.metadata.resourceVersion !== item.metadata.resourceVersion) this.emit('MODIFIED', item);
    }
    for (const [key, old] of this.items) {
      if (seen.has(key)) continue;
      this.items.delete(key);
      this.emit('DELETED', old);
    }
    return list.metadata.resourceVersion ?? '0';
  }

  private emit(type: InformerEventType, object: T): void {
    for (const handler of this.handlers) {
      try {
        handler(type, object);
      } catch (err) {
        this.log.error({ err }, 'informer handler failed');
      }
    }
  }
}
