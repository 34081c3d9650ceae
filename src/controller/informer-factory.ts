// InformerFactory: one shared Informer per (apiVersion, kind, namespace, selector), started and stopped together.
import type { KubeObject } from '../api/meta.js';
import type { Client, KindRef } from '../client/client.js';
import type { Clock } from './clock.js';
import { Informer } from './informer.js';

export interface InformerFactoryOptions {
  client: Client;
  /** Restricts every informer to one namespace unless a call asks for another; all namespaces unless given. */
  namespace?: string;
  clock?: Clock;
  /** Failures informers recover from by retrying; wire it to a logger. */
  onError?: (err: unknown, kind: KindRef) => void;
}

export interface InformerForOptions {
  /** Overrides the factory's namespace for this informer; '' means all namespaces (and suits cluster-scoped kinds). */
  namespace?: string;
  labelSelector?: string;
}

/**
 * Hands out shared informers: every controller asking for ConfigMaps in the same scope gets the same cache
 * and one watch. Informers asked for after `start` start at once.
 */
export class InformerFactory {
  readonly client: Client;
  private readonly namespace: string | undefined;
  private readonly clock: Clock | undefined;
  private readonly onError: ((err: unknown, kind: KindRef) => void) | undefined;
  private readonly informers = new Map<string, Informer<KubeObject>>();
  private started = false;

  constructor(options: InformerFactoryOptions) {
    this.client = options.client;
    this.namespace = options.namespace;
    this.clock = options.clock;
    this.onError = options.onError;
  }

  /** The shared informer for `kind` in this scope, created on first use. */
  informerFor<T extends KubeObject = KubeObject>(kind: KindRef, options: InformerForOptions = {}): Informer<T> {
    const scope = options.namespace ?? this.namespace;
    const namespace = scope === '' ? undefined : scope;
    const key = JSON.stringify([kind.apiVersion, kind.kind, namespace ?? '', options.labelSelector ?? '']);
    let informer = this.informers.get(key);
    if (!informer) {
      const onError = this.onError;
      informer = new Informer<KubeObject>({
        client: this.client,
        kind,
        ...(namespace === undefined ? {} : { namespace }),
        ...(options.labelSelector === undefined ? {} : { labelSelector: options.labelSelector }),
        ...(this.clock ? { clock: this.clock } : {}),
        ...(onError ? { onError: (err: unknown) => onError(err, kind) } : {}),
      });
      this.informers.set(key, informer);
      if (this.started) informer.start();
    }
    // One informer serves every T asked for under this key: the caller names the shape it reads.
    return informer as unknown as Informer<T>;
  }

  /** Every informer handed out so far. */
  all(): Informer[] {
    return [...this.informers.values()];
  }

  start(): void {
    this.started = true;
    for (const informer of this.informers.values()) informer.start();
  }

  /** Resolves true once every informer has synced; false if `signal` aborts or one stops first. */
  async waitForSync(signal?: AbortSignal): Promise<boolean> {
    const results = await Promise.all([...this.informers.values()].map((i) => i.waitForSync(signal)));
    return results.every(Boolean);
  }

  async stop(): Promise<void> {
    this.started = false;
    await Promise.all([...this.informers.values()].map((i) => i.stop()));
  }
}
