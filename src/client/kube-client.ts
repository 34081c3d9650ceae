// KubeClient: the Client seam over a Kubernetes API server (Floe's or a real cluster's), reached through a kubeconfig.
import type { IncomingMessage } from 'node:http';
import { KubeConfig } from '@kubernetes/client-node';
import { errors, FloeError } from '../api/errors.js';
import type { KubeList, KubeObject, WatchEvent } from '../api/meta.js';
import {
  PatchType,
  type Client,
  type DeleteOptions,
  type KindRef,
  type ListOptions,
  type PatchOptions,
  type WatchOptions,
  type WatchStream,
  type WriteOptions,
} from './client.js';
import { KubeDiscovery, type ResourceInfo } from './kube-discovery.js';
import { KubeHttp, errorFromResponse, isStatus, type KubeRequest } from './kube-http.js';
import { WatchQueue } from './watch-queue.js';

/** Where a Kubernetes API server is and the CA its certificate is checked against (`rejectUnauthorized`: whether it is). */
export interface ServerTarget {
  server: string;
  ca?: string | Buffer;
  rejectUnauthorized: boolean;
}

export interface KubeClientOptions {
  /** Whose current context names the server and the credentials. A plain-http server is accepted as is. */
  kubeConfig: KubeConfig;
}

/**
 * Speaks the Kubernetes REST API with the same observable behaviour as the in-process client: objects come back
 * as the server's JSON, failures as `FloeError` rebuilt from the server's `Status`.
 */
export class KubeClient implements Client {
  private readonly http: KubeHttp;
  private readonly discovery: KubeDiscovery;
  private readonly kubeConfig: KubeConfig;

  /** A client for the current context of the kubeconfig file at `path`. */
  static fromFile(path: string): KubeClient {
    const kubeConfig = new KubeConfig();
    try {
      kubeConfig.loadFromFile(path);
    } catch (err) {
      throw new FloeError('BadRequest', `cannot load the kubeconfig ${path}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
    }
    return new KubeClient({ kubeConfig });
  }

  /** A client from inside a Pod: the service account token and CA, and KUBERNETES_SERVICE_HOST/PORT. */
  static inCluster(): KubeClient {
    const kubeConfig = new KubeConfig();
    kubeConfig.loadFromCluster();
    return new KubeClient({ kubeConfig });
  }

  constructor(options: KubeClientOptions) {
    this.kubeConfig = allowPlainHttp(options.kubeConfig);
    this.http = new KubeHttp({ kubeConfig: this.kubeConfig });
    this.discovery = new KubeDiscovery({ http: this.http });
  }

  /**
   * The API server's URL and how to trust its certificate, without this client's own credentials: for a route that
   * forwards a caller's request with the caller's token (the dashboard's Kubernetes API on a cluster).
   */
  async serverTarget(): Promise<ServerTarget> {
    const options: { ca?: string | Buffer | (string | Buffer)[]; rejectUnauthorized?: boolean } = {};
    await this.kubeConfig.applyToHTTPSOptions(options);
    const ca = Array.isArray(options.ca) ? options.ca[0] : options.ca;
    return { server: this.http.server, ...(ca !== undefined ? { ca } : {}), rejectUnauthorized: options.rejectUnauthorized !== false };
  }

  async get<T extends KubeObject = KubeObject>(ref: KindRef, name: string, namespace?: string): Promise<T> {
    const info = await this.discovery.resolve(ref);
    return this.send<T>(info, { method: 'GET', path: objectPath(info, namespace, name) });
  }

  async list<T extends KubeObject = KubeObject>(ref: KindRef, options: ListOptions = {}): Promise<KubeList<T>> {
    const info = await this.discovery.resolve(ref);
    const query: Record<string, string | undefined> = {
      labelSelector: options.labelSelector || undefined,
      fieldSelector: options.fieldSelector || undefined,
      limit: options.limit === undefined ? undefined : String(options.limit),
      continue: options.continue || undefined,
      resourceVersion: options.resourceVersion,
    };
    return this.send<KubeList<T>>(info, { method: 'GET', path: collectionPath(info, options.namespace), query });
  }

  /**
   * Opens a watch and resolves once the server has accepted it. An expired resourceVersion (HTTP 410, or an
   * ERROR event carrying a 410 Status) is thrown from the iterator as a FloeError with reason 'Expired', so
   * the caller relists; other refusals reject this call. The stream ends when the server closes it.
   */
  async watch<T extends KubeObject = KubeObject>(ref: KindRef, options: WatchOptions = {}): Promise<WatchStream<T>> {
    const info = await this.discovery.resolve(ref);
    const queue = new WatchQueue<T>();
    const abort = new AbortController();
    queue.onClose(() => abort.abort());
    const signal = options.signal;
    if (signal?.aborted) queue.close();
    else if (signal) {
      const onAbort = (): void => queue.close();
      signal.addEventListener('abort', onAbort, { once: true });
      queue.onClose(() => signal.removeEventListener('abort', onAbort));
    }
    if (queue.closed) return queue;
    const query: Record<string, string | undefined> = {
      watch: 'true',
      labelSelector: options.labelSelector || undefined,
      fieldSelector: options.fieldSelector || undefined,
      resourceVersion: options.resourceVersion,
      allowWatchBookmarks: options.allowWatchBookmarks ? 'true' : undefined,
    };
    const request: KubeRequest = { method: 'GET', path: collectionPath(info, options.namespace), query, signal: abort.signal };
    let res: IncomingMessage;
    try {
      res = await this.staleAware(info, () => this.http.open(request));
    } catch (err) {
      if (abort.signal.aborted) return queue;
      if (err instanceof FloeError && err.reason === 'Expired') {
        queue.fail(err);
        return queue;
      }
      queue.close();
      throw err;
    }
    // kube-apiserver answers a watch its cache cannot serve yet (the cache behind etcd's current revision, on a busy
    // server) with an ERROR event "Too large resource version" and retryAfterSeconds: it is opened again after that
    // delay, as client-go's reflector does, a bounded number of times; the caller sees the events, not the wait.
    let retries = 0;
    const reopen = (afterMs: number): void => {
      retries += 1;
      setTimeout(() => {
        if (queue.closed) return;
        this.http.open(request).then(
          (next) => readEvents(next, queue, this.http.server, retries < maxTooLargeRetries ? reopen : undefined),
          (err: unknown) => {
            if (!abort.signal.aborted) queue.fail(err instanceof Error ? err : new Error(String(err)));
          },
        );
      }, afterMs).unref();
    };
    // Also when the caller closed the stream meanwhile: then the response is released at once.
    readEvents(res, queue, this.http.server, reopen);
    return queue;
  }

  async create<T extends KubeObject>(object: T, options: WriteOptions = {}): Promise<T> {
    const info = await this.discovery.resolve(object);
    return this.send<T>(info, { method: 'POST', path: collectionPath(info, object.metadata.namespace), query: writeQuery(options), body: object });
  }

  async update<T extends KubeObject>(object: T, options: WriteOptions = {}): Promise<T> {
    const info = await this.discovery.resolve(object);
    const path = objectPath(info, object.metadata.namespace, nameOf(object));
    return this.send<T>(info, { method: 'PUT', path, query: writeQuery(options), body: object });
  }

  async updateStatus<T extends KubeObject>(object: T, options: WriteOptions = {}): Promise<T> {
    const info = await this.discovery.resolve(object);
    const path = `${objectPath(info, object.metadata.namespace, nameOf(object))}/status`;
    return this.send<T>(info, { method: 'PUT', path, query: writeQuery(options), body: object });
  }

  /** The patch goes with its type's Content-Type; a string patch is sent as written (YAML for apply). */
  async patch<T extends KubeObject = KubeObject>(
    ref: KindRef,
    name: string,
    namespace: string | undefined,
    patch: unknown,
    type: PatchType,
    options: PatchOptions = {},
  ): Promise<T> {
    const info = await this.discovery.resolve(ref);
    let path = objectPath(info, namespace, name);
    if (options.subresource) path += `/${options.subresource}`;
    const query = writeQuery(options);
    if (options.force && type === PatchType.Apply) query.force = 'true';
    return this.send<T>(info, { method: 'PATCH', path, query, body: patch, contentType: type });
  }

  async delete(ref: KindRef, name: string, namespace?: string, options: DeleteOptions = {}): Promise<KubeObject | undefined> {
    const info = await this.discovery.resolve(ref);
    const body: Record<string, unknown> = { kind: 'DeleteOptions', apiVersion: 'v1' };
    if (options.propagationPolicy) body.propagationPolicy = options.propagationPolicy;
    if (options.gracePeriodSeconds !== undefined) body.gracePeriodSeconds = options.gracePeriodSeconds;
    if (options.preconditions) body.preconditions = options.preconditions;
    if (options.dryRun) body.dryRun = ['All'];
    const result = await this.send<KubeObject | Record<string, unknown> | undefined>(info, { method: 'DELETE', path: objectPath(info, namespace, name), body });
    // Some servers answer a finished delete with a success Status instead of the object.
    if (result === undefined || isStatus(result)) return undefined;
    return result as KubeObject;
  }

  private send<T>(info: ResourceInfo, request: KubeRequest): Promise<T> {
    return this.staleAware(info, () => this.http.json<T>(request));
  }

  /** A 404 for the path itself (not for a named object) means discovery went stale: re-read it next time. */
  /** A container's log so far (`GET …/pods/NAME/log`), as text. */
  async podLog(namespace: string, pod: string, container: string): Promise<string> {
    const res = await this.http.open({ method: 'GET', path: `/api/v1/namespaces/${encodeURIComponent(namespace)}/pods/${encodeURIComponent(pod)}/log`, query: { container }, accept: 'text/plain' });
    const chunks: Buffer[] = [];
    for await (const chunk of res) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    if ((res.statusCode ?? 500) >= 400) throw errorFromResponse(res.statusCode ?? 500, text);
    return text;
  }

  private async staleAware<R>(info: ResourceInfo, call: () => Promise<R>): Promise<R> {
    try {
      return await call();
    } catch (err) {
      if (err instanceof FloeError && err.reason === 'NotFound' && err.details?.name === undefined) {
        this.discovery.forget(info.group === '' ? info.version : `${info.group}/${info.version}`);
      }
      throw err;
    }
  }
}

/** client-node refuses an http:// server unless the cluster skips TLS verification, which plain http has none of. */
function allowPlainHttp(source: KubeConfig): KubeConfig {
  const plain = source.clusters.some((c) => c.server.startsWith('http:') && !c.skipTLSVerify);
  if (!plain) return source;
  const copy = new KubeConfig();
  copy.loadFromOptions({
    clusters: source.clusters.map((c) => (c.server.startsWith('http:') ? { ...c, skipTLSVerify: true } : c)),
    contexts: source.contexts,
    users: source.users,
    currentContext: source.currentContext,
  });
  return copy;
}

function groupVersionPath(info: ResourceInfo): string {
  return info.group === '' ? `/api/${info.version}` : `/apis/${info.group}/${info.version}`;
}

function collectionPath(info: ResourceInfo, namespace: string | undefined): string {
  const scope = info.namespaced && namespace ? `/namespaces/${encodeURIComponent(namespace)}` : '';
  return `${groupVersionPath(info)}${scope}/${info.plural}`;
}

function objectPath(info: ResourceInfo, namespace: string | undefined, name: string): string {
  if (!name) throw errors.badRequest(`a name is required to address one ${info.kind}`);
  return `${collectionPath(info, namespace)}/${encodeURIComponent(name)}`;
}

function nameOf(object: KubeObject): string {
  return object.metadata.name ?? '';
}

function writeQuery(options: WriteOptions): Record<string, string | undefined> {
  return { dryRun: options.dryRun ? 'All' : undefined, fieldManager: options.fieldManager || undefined };
}

/** How often a watch is opened again after "Too large resource version" (each wait is the server's, ~3 s, plus 1 s). */
const maxTooLargeRetries = 10;

/** The ERROR kube-apiserver sends when its watch cache has not reached the revision the watch must start at. */
function tooLargeResourceVersion(status: unknown): number | undefined {
  if (!isStatus(status) || status.code !== 504 || !/too large resource version/i.test(status.message ?? '')) return undefined;
  const seconds = (status.details as { retryAfterSeconds?: number } | undefined)?.retryAfterSeconds;
  return (typeof seconds === 'number' && seconds > 0 ? seconds : 1) * 1000;
}

/**
 * Feeds newline-delimited watch events into `queue`; an ERROR event ends it with the Status it carries, except a
 * "Too large resource version" before any event when `retry` is given: that response is dropped and `retry` called.
 */
function readEvents<T extends KubeObject>(res: IncomingMessage, queue: WatchQueue<T>, server: string, retry?: (afterMs: number) => void): void {
  let retrying = false;
  let delivered = false;
  queue.onClose(() => res.destroy());
  res.setEncoding('utf8');
  let buffer = '';
  const line = (text: string): void => {
    if (text.trim() === '') return;
    let event: WatchEvent<T>;
    try {
      event = JSON.parse(text) as WatchEvent<T>;
    } catch (err) {
      queue.fail(new FloeError('InternalError', `the watch stream from ${server} carried a line that is not JSON`, { cause: err }));
      return;
    }
    if (event.type === 'ERROR') {
      const status: unknown = event.object;
      const afterMs = delivered || !retry ? undefined : tooLargeResourceVersion(status);
      if (afterMs !== undefined) {
        retrying = true;
        res.destroy();
        retry!(afterMs);
        return;
      }
      queue.fail(isStatus(status) ? FloeError.fromStatus(status) : new FloeError('InternalError', 'the watch stream carried an ERROR event without a Status'));
      return;
    }
    delivered = true;
    queue.push(event);
  };
  res.on('data', (chunk: string) => {
    buffer += chunk;
    let end = buffer.indexOf('\n');
    while (end >= 0 && !queue.closed && !retrying) {
      line(buffer.slice(0, end));
      buffer = buffer.slice(end + 1);
      end = buffer.indexOf('\n');
    }
  });
  res.on('end', () => {
    if (retrying) return;
    line(buffer);
    if (!retrying) queue.close();
  });
  res.on('error', (err) => {
    if (retrying) return;
    queue.fail(new FloeError('ServiceUnavailable', `the watch connection to ${server} broke: ${err.message}`, { cause: err }));
  });
  res.on('close', () => {
    if (retrying) return;
    // A connection the server cut without ending the response is a broken watch, not a finished one.
    if (!res.complete) queue.fail(new FloeError('ServiceUnavailable', `the watch connection to ${server} closed early`));
    else queue.close();
  });
}
