// Kubernetes Events for Pods: Scheduled, FailedScheduling, Started, Killing, BackOff…, repeated ones counted.
import { FloeError } from '../api/errors.js';
import type { Logger } from '../api/logger.js';
import type { KubeObject } from '../api/meta.js';
import { PatchType, type Client } from '../client/client.js';
import { EventRef } from './types.js';

export type EventType = 'Normal' | 'Warning';

export interface EventRecorderOptions {
  client: Client;
  logger: Logger;
  /** `source.component`: `kubelet` or `default-scheduler`. */
  component: string;
  host: string;
}

interface Seen {
  name: string;
  namespace: string;
  count: number;
}

const maxRemembered = 4096;

export class EventRecorder {
  private readonly client: Client;
  private readonly log: Logger;
  private readonly component: string;
  private readonly host: string;
  private readonly seen = new Map<string, Seen>();
  private readonly pending = new Set<Promise<void>>();
  private sequence = 0;

  constructor(options: EventRecorderOptions) {
    this.client = options.client;
    this.log = options.logger;
    this.component = options.component;
    this.host = options.host;
  }

  /** Records an event about `object` in the background; an identical repeat bumps `count` instead. */
  record(object: KubeObject, type: EventType, reason: string, message: string, fieldPath?: string): void {
    const work = this.write(object, type, reason, message, fieldPath).catch((err: unknown) => {
      if (err instanceof FloeError && (err.reason === 'NotFound' || err.reason === 'Forbidden')) return;
      this.log.debug({ err, reason }, 'could not record an event');
    });
    this.pending.add(work);
    void work.finally(() => this.pending.delete(work));
  }

  /** Waits for events already being written. */
  async flush(): Promise<void> {
    await Promise.all([...this.pending]);
  }

  private async write(object: KubeObject, type: EventType, reason: string, message: string, fieldPath: string | undefined): Promise<void> {
    const namespace = object.metadata.namespace ?? 'default';
    const key = [object.metadata.uid, type, reason, message, fieldPath ?? ''].join('\u0000');
    const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
    const seen = this.seen.get(key);
    if (seen) {
      seen.count += 1;
      try {
        await this.client.patch(EventRef, seen.name, seen.namespace, { count: seen.count, lastTimestamp: now }, PatchType.Merge);
        return;
      } catch (err) {
        if (!(err instanceof FloeError && err.reason === 'NotFound')) throw err;
        this.seen.delete(key);
      }
    }
    this.sequence += 1;
    const name = `${object.metadata.name ?? 'object'}.${(BigInt(Date.now()) * 1_000_000n + BigInt(this.sequence)).toString(16)}`;
    const involvedObject: Record<string, string> = { apiVersion: object.apiVersion, kind: object.kind, name: object.metadata.name ?? '', namespace };
    if (object.metadata.uid) involvedObject.uid = object.metadata.uid;
    if (object.metadata.resourceVersion) involvedObject.resourceVersion = object.metadata.resourceVersion;
    if (fieldPath) involvedObject.fieldPath = fieldPath;
    await this.client.create({
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name, namespace },
      involvedObject,
      reason,
      message,
      type,
      source: { component: this.component, host: this.host },
      firstTimestamp: now,
      lastTimestamp: now,
      count: 1,
      reportingComponent: this.component,
      reportingInstance: this.host,
    });
    if (this.seen.size >= maxRemembered) this.seen.delete(this.seen.keys().next().value ?? '');
    this.seen.set(key, { name, namespace, count: 1 });
  }
}
