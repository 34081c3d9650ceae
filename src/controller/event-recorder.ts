// EventRecorder: core/v1 Events about an object, written in the background, repeats folded into one Event's count.
import { createHash } from 'node:crypto';
import { FloeError } from '../api/errors.js';
import type { KubeObject } from '../api/meta.js';
import type { Client, KindRef } from '../client/client.js';
import { realClock, type Clock } from './clock.js';
import { kubeTime } from './conditions.js';

export type EventType = 'Normal' | 'Warning';

/** The core/v1 Event shape the recorder writes (the fields `kubectl describe` and `kubectl get events` read). */
export interface KubeEvent extends KubeObject {
  involvedObject: { apiVersion: string; kind: string; name: string; namespace?: string; uid?: string; resourceVersion?: string };
  reason: string;
  message: string;
  type: EventType;
  source: { component: string; host?: string };
  firstTimestamp: string;
  lastTimestamp: string;
  count: number;
  reportingComponent: string;
  reportingInstance: string;
}

export const EventRef: KindRef = { apiVersion: 'v1', kind: 'Event' };

export interface EventRecorderOptions {
  client: Client;
  /** `source.component`: who reports, e.g. `greeter-controller`. */
  component: string;
  /** `source.host`; empty unless given. */
  host?: string;
  clock?: Clock;
  /** Writes that failed after retries; the recorder never throws at its caller. */
  onError?: (err: unknown) => void;
}

/** kube-apiserver's limit on an Event message is 1 KiB; longer ones are cut, as client-go's recorder does. */
const maxMessageLength = 1024;
/** How many recent Events the recorder remembers to bump without reading them back first. */
const rememberedEvents = 4096;

/**
 * Records Events the way client-go's recorder does for `kubectl describe`: `event()` returns at once and the
 * write happens in the background, in order. The same (object, type, reason, message, component) again bumps
 * `count` and `lastTimestamp` on one Event, whose name is derived from those fields, so repeats fold together
 * even across restarts and between replicas.
 */
export class EventRecorder {
  readonly component: string;
  private readonly client: Client;
  private readonly host: string;
  private readonly clock: Clock;
  private readonly onError: (err: unknown) => void;
  private readonly known = new Map<string, KubeEvent>();
  private tail: Promise<void> = Promise.resolve();

  constructor(options: EventRecorderOptions) {
    this.client = options.client;
    this.component = options.component;
    this.host = options.host ?? '';
    this.clock = options.clock ?? realClock();
    this.onError = options.onError ?? (() => undefined);
  }

  /** Records an Event about `object` (read back from the API: it needs its uid). Never throws. */
  event(object: KubeObject, type: EventType, reason: string, message: string): void {
    const at = kubeTime(this.clock.now());
    const draft = this.draft(object, type, reason, message.length > maxMessageLength ? `${message.slice(0, maxMessageLength - 3)}...` : message, at);
    this.tail = this.tail.then(() => this.write(draft)).catch((err: unknown) => this.onError(err));
  }

  /** Resolves once every Event recorded so far has been written (or has failed). */
  flush(): Promise<void> {
    return this.tail;
  }

  private draft(object: KubeObject, type: EventType, reason: string, message: string, at: string): KubeEvent {
    const { name = '', namespace, uid, resourceVersion } = object.metadata;
    const involved: KubeEvent['involvedObject'] = { apiVersion: object.apiVersion, kind: object.kind, name };
    if (namespace) involved.namespace = namespace;
    if (uid) involved.uid = uid;
    if (resourceVersion) involved.resourceVersion = resourceVersion;
    const digest = createHash('sha256')
      .update(JSON.stringify([object.apiVersion, object.kind, namespace ?? '', name, uid ?? '', type, reason, message, this.component]))
      .digest('hex')
      .slice(0, 16);
    const source: KubeEvent['source'] = { component: this.component };
    if (this.host) source.host = this.host;
    return {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name: `${name.slice(0, 200)}.${digest}`, namespace: namespace || 'default' },
      involvedObject: involved,
      reason,
      message,
      type,
      source,
      firstTimestamp: at,
      lastTimestamp: at,
      count: 1,
      reportingComponent: this.component,
      reportingInstance: this.host,
    };
  }

  private async write(draft: KubeEvent): Promise<void> {
    const key = `${draft.metadata.namespace ?? ''}/${draft.metadata.name ?? ''}`;
    let current: KubeEvent | undefined = this.known.get(key);
    for (let attempt = 0; attempt < 5; attempt++) {
      try {
        const written = current
          ? await this.client.update<KubeEvent>({ ...current, count: (current.count || 1) + 1, lastTimestamp: draft.lastTimestamp })
          : await this.client.create<KubeEvent>(draft);
        this.remember(key, written);
        return;
      } catch (err) {
        if (!(err instanceof FloeError)) throw err;
        if (err.reason === 'AlreadyExists' || err.reason === 'Conflict') {
          current = await this.client.get<KubeEvent>(EventRef, draft.metadata.name ?? '', draft.metadata.namespace);
        } else if (err.reason === 'NotFound' && current) {
          // Someone deleted the Event we remembered: start a new one.
          current = undefined;
        } else {
          throw err;
        }
      }
    }
    throw new FloeError('Conflict', `could not record Event ${key} after 5 attempts: it kept changing underneath`);
  }

  private remember(key: string, event: KubeEvent): void {
    this.known.delete(key);
    this.known.set(key, event);
    if (this.known.size > rememberedEvents) {
      const oldest = this.known.keys().next();
      if (!oldest.done) this.known.delete(oldest.value);
    }
  }
}
