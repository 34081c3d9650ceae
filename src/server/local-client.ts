// The in-process Client: the API handler chain without the HTTP hop, as a system identity.
import { errors } from '../api/errors.js';
import type { KubeList, KubeObject, WatchEvent } from '../api/meta.js';
import type { ResourceType } from '../api/resource-type.js';
import type { Client, DeleteOptions, KindRef, ListOptions, PatchOptions, PatchType, WatchOptions, WatchStream, WriteOptions } from '../client/client.js';
import { WatchQueue } from '../client/watch-queue.js';
import type { ApiHandler, RequestContext, WriteParams } from './api-handler.js';
import { systemController, type UserInfo } from './auth.js';

export interface LocalClientOptions {
  handler: ApiHandler;
  user?: UserInfo;
}

export class LocalClient implements Client {
  private readonly handler: ApiHandler;
  private readonly ctx: RequestContext;

  constructor(options: LocalClientOptions) {
    this.handler = options.handler;
    this.ctx = { user: options.user ?? systemController };
  }

  get<T extends KubeObject = KubeObject>(ref: KindRef, name: string, namespace?: string): Promise<T> {
    return run(() => this.handler.get(this.ctx, this.type(ref), namespace, name) as T);
  }

  list<T extends KubeObject = KubeObject>(ref: KindRef, options: ListOptions = {}): Promise<KubeList<T>> {
    return run(() => {
      const params: Parameters<ApiHandler['list']>[3] = {};
      if (options.labelSelector) params.labelSelector = options.labelSelector;
      if (options.fieldSelector) params.fieldSelector = options.fieldSelector;
      if (options.limit !== undefined) params.limit = options.limit;
      if (options.continue) params.continue = options.continue;
      return this.handler.list(this.ctx, this.type(ref), options.namespace, params) as KubeList<T>;
    });
  }

  watch<T extends KubeObject = KubeObject>(ref: KindRef, options: WatchOptions = {}): Promise<WatchStream<T>> {
    return run(() => {
      const params: Parameters<ApiHandler['watch']>[3] = {};
      if (options.labelSelector) params.labelSelector = options.labelSelector;
      if (options.fieldSelector) params.fieldSelector = options.fieldSelector;
      if (options.resourceVersion !== undefined) params.resourceVersion = options.resourceVersion;
      const queue = new WatchQueue<T>();
      const stop = this.handler.watch(this.ctx, this.type(ref), options.namespace, params, (e) => queue.push(structuredClone(e) as WatchEvent<T>));
      queue.onClose(stop);
      if (options.signal) {
        if (options.signal.aborted) queue.close();
        else options.signal.addEventListener('abort', () => queue.close(), { once: true });
      }
      return queue;
    });
  }

  create<T extends KubeObject>(object: T, options: WriteOptions = {}): Promise<T> {
    return run(() => this.handler.create(this.ctx, this.type(object), object.metadata.namespace, object, writeParams(options)) as T);
  }

  update<T extends KubeObject>(object: T, options: WriteOptions = {}): Promise<T> {
    return run(() => this.handler.update(this.ctx, this.type(object), object.metadata.namespace, object.metadata.name ?? '', object, writeParams(options)) as T);
  }

  updateStatus<T extends KubeObject>(object: T, options: WriteOptions = {}): Promise<T> {
    return run(() => this.handler.update(this.ctx, this.type(object), object.metadata.namespace, object.metadata.name ?? '', object, { ...writeParams(options), subresource: 'status' }) as T);
  }

  patch<T extends KubeObject = KubeObject>(ref: KindRef, name: string, namespace: string | undefined, patch: unknown, type: PatchType, options: PatchOptions = {}): Promise<T> {
    return run(() => {
      const params = writeParams(options);
      if (options.subresource) params.subresource = options.subresource;
      if (options.force) params.force = true;
      return this.handler.patch(this.ctx, this.type(ref), namespace, name, patch, type, params) as T;
    });
  }

  delete(ref: KindRef, name: string, namespace?: string, options: DeleteOptions = {}): Promise<KubeObject | undefined> {
    return run(() => this.handler.delete(this.ctx, this.type(ref), namespace, name, options)).then(async (r) => (await r).object);
  }

  private type(ref: KindRef): ResourceType {
    if (!ref.apiVersion || !ref.kind) throw errors.badRequest('apiVersion and kind are required to address a resource');
    return this.handler.resolveKind(ref.apiVersion, ref.kind);
  }
}

/** Results are copies: callers may mutate what they get without touching the handler's objects. */
function run<T>(fn: () => T): Promise<T> {
  try {
    return Promise.resolve(fn());
  } catch (err) {
    return Promise.reject(err instanceof Error ? err : new Error(String(err)));
  }
}

function writeParams(options: WriteOptions): WriteParams {
  const p: WriteParams = {};
  if (options.dryRun) p.dryRun = true;
  if (options.fieldManager) p.fieldManager = options.fieldManager;
  return p;
}
