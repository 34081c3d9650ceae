// The Kubernetes REST API over HTTP, as the front door's `/` route: routing, bodies, content types, Tables, watch streams.
import { redirectBrowserToDashboard } from '../dashboard/capability.js';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { parse as parseYaml } from 'yaml';
import { errors, fieldErrors, FloeError } from '../api/errors.js';
import type { KubeObject, WatchEvent } from '../api/meta.js';
import type { ResourceType } from '../api/resource-type.js';
import { PatchType, type DeleteOptions } from '../client/client.js';
import type { ApiHandler, ConnectSubresource, FieldValidation, RequestContext, WriteParams } from './api-handler.js';
import type { Caller, Route } from '../controller/index.js';
import { apiGroup, apiGroupList, apiResourceList, apiVersions, floeVersion, openApiV3GroupVersion, openApiV3Root } from './discovery.js';
import { decodeKubernetesProtobuf } from './protobuf.js';
import { checkNameParameter, checkNestingDepth, checkRequestTarget, decodeComponent, parseJsonBody, parseYamlBody, warningHeaderValues } from './request-limits.js';
import { PodStreamServer, type PodStreamSource } from './streaming.js';
import { toTable, type IncludeObject } from './table.js';

export interface KubernetesApiOptions {
  handler: ApiHandler;
  /** Largest accepted request body, in bytes (kube-apiserver: 3 MiB). */
  maxBodyBytes?: number;
  /** How often a watch that asked for bookmarks gets one. */
  bookmarkIntervalMs?: number;
  /** Where `pods/log` reads from (the local runtime in embedded mode). */
  podLogs?: PodLogSource;
  /** What runs `pods/exec`, `pods/attach` and `pods/portforward` (the local runtime in embedded mode). */
  podStreams?: PodStreamSource;
}

/** What the Kubernetes API accepts as a request body: objects, the four patch types, protobuf from client-go. */
export const kubernetesBodyTypes: readonly string[] = ['application/json', 'application/yaml', 'application/vnd.kubernetes.protobuf', ...Object.values(PatchType)];

export interface PodLogOptions {
  container?: string;
  follow?: boolean;
  previous?: boolean;
  tailLines?: number;
  timestamps?: boolean;
  signal?: AbortSignal;
}

/** Streams a container's log; throws FloeError (NotFound, BadRequest) before the first chunk when it cannot. */
export type PodLogSource = (namespace: string, pod: string, options: PodLogOptions) => AsyncIterable<Buffer>;

interface Target {
  group: string;
  version: string;
  plural: string;
  namespace?: string;
  name?: string;
  subresource?: string;
}

const jsonType = 'application/json';

export class KubernetesApi {
  private readonly handler: ApiHandler;
  private readonly maxBody: number;
  private readonly bookmarkMs: number;
  private readonly watches = new Set<() => void>();
  private readonly podLogs: PodLogSource | undefined;
  private readonly podStreams: PodStreamServer | undefined;

  constructor(options: KubernetesApiOptions) {
    this.handler = options.handler;
    this.maxBody = options.maxBodyBytes ?? 3 * 1024 * 1024;
    this.bookmarkMs = options.bookmarkIntervalMs ?? 60_000;
    this.podLogs = options.podLogs;
    this.podStreams = options.podStreams ? new PodStreamServer({ source: options.podStreams }) : undefined;
  }

  /** The route behind every other: `/api`, `/apis`, discovery, OpenAPI, `/version`; each object authorized in the handler chain. */
  route(): Route {
    return {
      prefix: '/',
      access: { kind: 'in-handler', why: 'the API handler chain authorizes every verb on every resource and namespace it serves' },
      bodyTypes: kubernetesBodyTypes,
      handle: async (req, res, url, caller) => {
        // A browser opening Floe's address gets the dashboard; API clients get the API's root as before.
        if (redirectBrowserToDashboard(req, res, url.pathname)) return true;
        await this.serve(req, res, url, caller);
        return true;
      },
      upgrade: (req, socket, head, url, caller) => this.upgrade(req, socket, head, url, caller),
    };
  }

  /** Ends every open watch stream, and every exec, attach and port-forward connection. */
  closeWatches(): void {
    for (const stop of this.watches) stop();
    this.watches.clear();
    this.podStreams?.close();
  }

  // ---- streaming subresources (pods/exec, pods/attach, pods/portforward; streaming.ts) ----------------------------

  /** Upgrades: authorized through the handler chain (`create` on the subresource), then handed to streaming.ts. */
  private async upgrade(req: IncomingMessage, socket: Duplex, head: Buffer, url: URL, user: Caller): Promise<boolean> {
    const match = /^\/api\/v1\/namespaces\/([^/]+)\/pods\/([^/]+)\/(exec|attach|portforward)\/?$/.exec(url.pathname);
    if (!match) return false;
    const [namespace, name] = [decodeComponent(match[1]!), decodeComponent(match[2]!)];
    if (namespace === undefined || name === undefined) throw errors.badRequest(`the request path has invalid percent-encoding: "${url.pathname}"`);
    for (const value of [namespace, name]) {
      const invalid = checkNameParameter(value);
      if (invalid) throw invalid;
    }
    const kind = match[3] as ConnectSubresource;
    this.handler.connect({ user }, this.handler.resolve('', 'v1', 'pods'), namespace, name, kind);
    if (!this.podStreams) throw errors.badRequest(`no local runtime runs pod "${name}" in this mode: ${kind} is served by the node that runs it`);
    await this.podStreams.serve(req, socket, head, { kind, namespace, name, query: url.searchParams });
    return true;
  }

  private async serve(req: IncomingMessage, res: ServerResponse, url: URL, user: Caller): Promise<void> {
    const path = url.pathname.replace(/\/+$/, '') || '/';
    const ctx: RequestContext = { user };
    // URL parsers resolve `..` and `%2e%2e` away (`configmaps/..` would name the namespace): judge the raw target.
    const refused = checkRequestTarget(req.url);
    if (refused) throw refused;
    const registry = this.handler.registry;
    // Discovery, OpenAPI and /version are non-resource requests (RBAC's system:discovery grants them to everyone).
    if (isNonResourcePath(path)) this.handler.authorizePath(ctx, (req.method ?? 'GET').toLowerCase() === 'head' ? 'get' : (req.method ?? 'GET').toLowerCase(), url.pathname);
    if (path === '/version') return send(res, 200, floeVersion);
    if (path === '/api') return send(res, 200, apiVersions(req.headers.host ?? '127.0.0.1'));
    if (path === '/apis') return send(res, 200, apiGroupList(registry));
    if (path === '/openapi/v3') return send(res, 200, openApiV3Root(registry));
    if (path === '/openapi/v2') return sendOpenApiV2(res, req.headers.accept ?? '');
    if (path.startsWith('/openapi/v3/')) {
      const parts = path.slice('/openapi/v3/'.length).split('/');
      const doc = parts[0] === 'api' ? openApiV3GroupVersion(registry, '', parts[1] ?? '') : openApiV3GroupVersion(registry, parts[1] ?? '', parts[2] ?? '');
      if (doc) return send(res, 200, doc);
      throw notFoundPath();
    }
    const segments = path.split('/').filter(Boolean).map((segment) => {
      const decoded = decodeComponent(segment);
      if (decoded === undefined) throw errors.badRequest(`the request path has invalid percent-encoding: "${segment}"`);
      return decoded;
    });
    let group: string;
    let version: string;
    let rest: string[];
    if (segments[0] === 'api' && segments.length >= 2) {
      group = '';
      version = segments[1]!;
      rest = segments.slice(2);
    } else if (segments[0] === 'apis' && segments.length >= 2) {
      group = segments[1]!;
      if (segments.length === 2) {
        const doc = apiGroup(registry, group);
        if (doc) return send(res, 200, doc);
        throw notFoundPath();
      }
      version = segments[2]!;
      rest = segments.slice(3);
    } else {
      throw notFoundPath();
    }
    if (rest.length === 0) {
      const doc = apiResourceList(registry, group, version);
      if (doc) return send(res, 200, doc);
      throw notFoundPath();
    }
    const target = parseTarget(group, version, rest);
    // An escaped '/' or '%' in a name or namespace would address something other than what it spells.
    for (const value of [target.namespace, target.name]) {
      const invalid = value === undefined ? undefined : checkNameParameter(value);
      if (invalid) throw invalid;
    }
    const type = this.handler.resolve(target.group, target.version, target.plural);
    if (type.namespaced === false && target.namespace !== undefined) throw notFoundPath();
    await this.dispatch(req, res, url, ctx, type, target);
  }

  private async dispatch(req: IncomingMessage, res: ServerResponse, url: URL, ctx: RequestContext, type: ResourceType, t: Target): Promise<void> {
    const q = url.searchParams;
    const method = req.method ?? 'GET';
    const sub = t.subresource;
    if (sub === 'log' && type.plural === 'pods' && type.group === '' && t.name !== undefined && t.namespace !== undefined) {
      if (method !== 'GET') throw new FloeError('MethodNotAllowed', `the server does not allow this method on the requested resource: ${method}`);
      return this.streamLogs(req, res, ctx, type, t.namespace, t.name, q);
    }
    if ((sub === 'exec' || sub === 'attach' || sub === 'portforward') && type.plural === 'pods' && type.group === '' && t.name !== undefined) {
      throw errors.badRequest('Upgrade request required');
    }
    const createOnly = sub !== undefined && t.name !== undefined ? type.createSubresources?.[sub] : undefined;
    const scale = sub === 'scale' && t.name !== undefined && type.scale !== undefined;
    if (sub !== undefined && sub !== 'status' && !createOnly && !scale && !(sub === 'finalize' && type.plural === 'namespaces')) throw notFoundPath();
    const write: WriteParams = {};
    if (q.get('dryRun') === 'All') write.dryRun = true;
    else if (q.has('dryRun') && q.get('dryRun') !== '') throw errors.badRequest(`dryRun: Unsupported value: "${q.get('dryRun')}": supported values: "All"`);
    if (createOnly && sub !== undefined && t.name !== undefined) {
      // A create-only subresource (serviceaccounts/<name>/token): POST only, answered by the type's function.
      if (method !== 'POST') throw new FloeError('MethodNotAllowed', `the server does not allow this method on the requested resource: ${method}`);
      write.fieldValidation = fieldValidation(q, 'CreateOptions');
      const body = await this.readObject(req);
      return send(res, 201, this.handler.createSubresource(ctx, type, t.namespace, t.name, sub, body, write));
    }
    const manager = q.get('fieldManager');
    if (manager) write.fieldManager = manager;
    if (queryBool(q, 'force')) write.force = true;
    if (sub === 'status') write.subresource = 'status';
    const warnings: string[] = [];
    if (method === 'POST' || method === 'PUT' || method === 'PATCH') {
      write.fieldValidation = fieldValidation(q, method === 'POST' ? 'CreateOptions' : method === 'PUT' ? 'UpdateOptions' : 'PatchOptions');
      write.warnings = warnings;
    }
    const accept = req.headers.accept ?? '';

    if (scale && t.name !== undefined) return this.serveScale(req, res, ctx, type, t.namespace, t.name, method, write);
    if (t.name === undefined) {
      switch (method) {
        case 'GET': {
          const selectors = listParams(q);
          if (queryBool(q, 'watch')) return this.watch(req, res, ctx, type, t.namespace, q, accept);
          const list = this.handler.list(ctx, type, t.namespace, selectors);
          return this.sendObjects(res, 200, accept, type, list, q);
        }
        case 'POST': {
          const body = await this.readObject(req);
          const created = await this.handler.create(ctx, type, t.namespace, body, write);
          return send(res, 201, created, warnings);
        }
        case 'DELETE': {
          const options = await this.deleteOptions(req, q);
          const list = await this.handler.deleteCollection(ctx, type, t.namespace, listParams(q), options);
          return send(res, 200, list);
        }
        default:
          throw new FloeError('MethodNotAllowed', `the server does not allow this method on the requested resource: ${method}`);
      }
    }
    const name = t.name;
    switch (method) {
      case 'GET': {
        const object = this.handler.get(ctx, type, t.namespace, name, write.subresource);
        return this.sendObjects(res, 200, accept, type, object, q);
      }
      case 'PUT': {
        const body = await this.readObject(req);
        if (sub === 'finalize') write.subresource = 'status';
        const updated = await this.handler.update(ctx, type, t.namespace, name, body, write);
        return send(res, 200, updated, warnings);
      }
      case 'PATCH': {
        const contentType = (req.headers['content-type'] ?? '').split(';')[0]!.trim();
        const patchType = Object.values(PatchType).find((p) => p === contentType);
        if (!patchType) {
          throw new FloeError('UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: ${Object.values(PatchType).join(', ')}`);
        }
        if (patchType === PatchType.Apply && !write.fieldManager) {
          throw errors.badRequest('PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is required for apply patch');
        }
        const raw = await this.readBody(req);
        const patch = patchType === PatchType.Apply ? parseYamlOrJson(raw) : parseJsonBody(raw);
        const patched = await this.handler.patch(ctx, type, t.namespace, name, patch, patchType, write);
        return send(res, 200, patched, warnings);
      }
      case 'DELETE': {
        const options = await this.deleteOptions(req, q);
        const result = await this.handler.delete(ctx, type, t.namespace, name, options);
        return send(res, result.gone ? 200 : 202, result.object);
      }
      default:
        throw new FloeError('MethodNotAllowed', `the server does not allow this method on the requested resource: ${method}`);
    }
  }

  /** `.../NAME/scale` (autoscaling/v1 Scale): GET, PUT and PATCH, as `kubectl scale` and the HPA use them. */
  private async serveScale(req: IncomingMessage, res: ServerResponse, ctx: RequestContext, type: ResourceType, namespace: string | undefined, name: string, method: string, write: WriteParams): Promise<void> {
    switch (method) {
      case 'GET':
        return send(res, 200, this.handler.getScale(ctx, type, namespace, name));
      case 'PUT': {
        const body = await this.readObject(req);
        return send(res, 200, await this.handler.updateScale(ctx, type, namespace, name, body, write));
      }
      case 'PATCH': {
        const contentType = (req.headers['content-type'] ?? '').split(';')[0]!.trim();
        const patchType = Object.values(PatchType).find((p) => p === contentType);
        if (!patchType) {
          throw new FloeError('UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: ${Object.values(PatchType).join(', ')}`);
        }
        const raw = await this.readBody(req);
        const patch = patchType === PatchType.Apply ? parseYamlOrJson(raw) : parseJsonBody(raw);
        return send(res, 200, await this.handler.patchScale(ctx, type, namespace, name, patch, patchType, write));
      }
      default:
        throw new FloeError('MethodNotAllowed', `the server does not allow this method on the requested resource: ${method}`);
    }
  }

  private watch(req: IncomingMessage, res: ServerResponse, ctx: RequestContext, type: ResourceType, namespace: string | undefined, q: URLSearchParams, accept: string): void {
    const asTable = accept.includes('as=Table');
    const include = includeObject(q);
    const params: Parameters<ApiHandler['watch']>[3] = listParams(q);
    const rv = q.get('resourceVersion');
    if (rv !== null) params.resourceVersion = rv;
    const bookmarks = queryBool(q, 'allowWatchBookmarks');
    let first = true;
    let stopped = false;
    const encode = (event: WatchEvent): string => {
      let object: unknown = event.object;
      if (asTable && event.type !== 'BOOKMARK' && event.type !== 'ERROR') {
        object = toTable(type, [event.object], include, { resourceVersion: event.object.metadata.resourceVersion ?? '' }, new Date(), first);
        first = false;
      }
      return JSON.stringify({ type: event.type, object }) + '\n';
    };
    const buffered: string[] = [];
    let headersSent = false;
    const sink = (event: WatchEvent): void => {
      if (stopped) return;
      lastRevision = event.object.metadata.resourceVersion ?? lastRevision;
      const line = encode(event);
      if (!headersSent) {
        buffered.push(line);
        return;
      }
      res.write(line);
      // A client that cannot keep up is cut off; it resumes from its last resourceVersion.
      if (res.writableLength > 64 * 1024 * 1024) stop();
    };
    let lastRevision = rv ?? '';
    let cancel: () => void = () => undefined;
    const stop = (): void => {
      if (stopped) return;
      stopped = true;
      cancel();
      clearInterval(bookmarkTimer);
      clearTimeout(timeout);
      this.watches.delete(stop);
      if (!res.writableEnded) res.end();
    };
    cancel = this.handler.watch(ctx, type, namespace, params, sink);
    res.writeHead(200, { 'Content-Type': jsonType, 'Transfer-Encoding': 'chunked', 'Cache-Control': 'no-cache, private' });
    headersSent = true;
    for (const line of buffered) res.write(line);
    res.flushHeaders();
    this.watches.add(stop);
    const timeoutSeconds = Number(q.get('timeoutSeconds') ?? '') || 1800 + Math.floor(Math.random() * 1800);
    const timeout = setTimeout(stop, timeoutSeconds * 1000);
    const bookmarkTimer = setInterval(() => {
      if (!bookmarks) return;
      const revision = String(this.handler.store.currentRevision());
      lastRevision = revision;
      res.write(JSON.stringify({ type: 'BOOKMARK', object: { kind: type.kind, apiVersion: this.handler.registry.apiVersionOf(type), metadata: { resourceVersion: revision } } }) + '\n');
    }, this.bookmarkMs);
    req.on('close', stop);
    res.on('error', stop);
  }

  private async streamLogs(req: IncomingMessage, res: ServerResponse, ctx: RequestContext, type: ResourceType, namespace: string, name: string, q: URLSearchParams): Promise<void> {
    this.handler.get(ctx, type, namespace, name, 'log');
    if (!this.podLogs) throw errors.badRequest(`no local runtime serves logs in this mode: read them from the node that runs pod "${name}"`);
    const abort = new AbortController();
    req.on('close', () => abort.abort());
    const options: PodLogOptions = { signal: abort.signal, follow: queryBool(q, 'follow'), previous: queryBool(q, 'previous'), timestamps: queryBool(q, 'timestamps') };
    const container = q.get('container');
    if (container) options.container = container;
    const tail = q.get('tailLines');
    if (tail !== null) {
      const n = Number(tail);
      if (!Number.isInteger(n) || n < 0) throw errors.badRequest(`tailLines: Invalid value: "${tail}": must be a non-negative integer`);
      options.tailLines = n;
    }
    const iterator = this.podLogs(namespace, name, options)[Symbol.asyncIterator]();
    // The first chunk decides between a Status error and a 200 stream.
    const first = await iterator.next();
    res.writeHead(200, { 'Content-Type': 'text/plain', 'Transfer-Encoding': 'chunked', 'Cache-Control': 'no-cache, private' });
    if (!first.done) res.write(first.value);
    res.flushHeaders();
    try {
      for (let next = first.done ? first : await iterator.next(); !next.done; next = await iterator.next()) {
        if (!res.write(next.value)) await new Promise((r) => res.once('drain', r));
        if (abort.signal.aborted) break;
      }
    } finally {
      await iterator.return?.();
      if (!res.writableEnded) res.end();
    }
  }

  private sendObjects(res: ServerResponse, code: number, accept: string, type: ResourceType, body: KubeObject | { items: KubeObject[]; metadata: { resourceVersion?: string; continue?: string } }, q: URLSearchParams): void {
    if (accept.includes('as=Table')) {
      const items: KubeObject[] = 'items' in body && Array.isArray(body.items) ? (body.items as KubeObject[]) : [body as KubeObject];
      const meta: { resourceVersion?: string; continue?: string } = {};
      const m = body.metadata as { resourceVersion?: string; continue?: string };
      if (m.resourceVersion !== undefined) meta.resourceVersion = m.resourceVersion;
      if ('items' in body && m.continue !== undefined) meta.continue = m.continue;
      return send(res, code, toTable(type, items, includeObject(q), meta, new Date()));
    }
    if (accept.includes('as=PartialObjectMetadata')) {
      if ('items' in body && Array.isArray(body.items)) {
        return send(res, code, { kind: 'PartialObjectMetadataList', apiVersion: 'meta.k8s.io/v1', metadata: body.metadata, items: body.items.map(partial) });
      }
      return send(res, code, partial(body as KubeObject));
    }
    return send(res, code, body);
  }

  private async deleteOptions(req: IncomingMessage, q: URLSearchParams): Promise<DeleteOptions> {
    const raw = await this.readBody(req);
    const body = raw.length > 0 ? (parseJsonBody(raw) as Record<string, unknown>) : {};
    const options: DeleteOptions = {};
    const policy = (body.propagationPolicy as string | undefined) ?? q.get('propagationPolicy') ?? undefined;
    if (policy) options.propagationPolicy = policy as NonNullable<DeleteOptions['propagationPolicy']>;
    const orphan = body.orphanDependents ?? (q.has('orphanDependents') ? queryBool(q, 'orphanDependents') : undefined);
    if (orphan === true && !policy) options.propagationPolicy = 'Orphan';
    const grace = body.gracePeriodSeconds ?? q.get('gracePeriodSeconds');
    if (grace !== undefined && grace !== null) options.gracePeriodSeconds = Number(grace);
    if (body.preconditions && typeof body.preconditions === 'object') options.preconditions = body.preconditions;
    const dry = (body.dryRun as string[] | undefined) ?? q.getAll('dryRun');
    if (dry.includes('All')) options.dryRun = true;
    return options;
  }

  private async readBody(req: IncomingMessage): Promise<string> {
    return (await this.readRaw(req)).toString('utf8');
  }

  private readRaw(req: IncomingMessage): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      const declared = Number(req.headers['content-length'] ?? '0');
      if (declared > this.maxBody) {
        req.resume();
        reject(errors.tooLarge(this.maxBody));
        return;
      }
      const chunks: Buffer[] = [];
      let size = 0;
      let failed = false;
      req.on('data', (chunk: Buffer) => {
        if (failed) return;
        size += chunk.length;
        if (size > this.maxBody) {
          failed = true;
          reject(errors.tooLarge(this.maxBody));
          return;
        }
        chunks.push(chunk);
      });
      req.on('end', () => { if (!failed) resolve(Buffer.concat(chunks)); });
      req.on('error', reject);
    });
  }

  private async readObject(req: IncomingMessage): Promise<unknown> {
    const contentType = (req.headers['content-type'] ?? jsonType).split(';')[0]!.trim();
    if (contentType === 'application/vnd.kubernetes.protobuf') {
      const decoded = decodeKubernetesProtobuf(await this.readRaw(req));
      checkNestingDepth(decoded);
      return decoded;
    }
    if (contentType !== jsonType && contentType !== 'application/yaml') {
      throw new FloeError('UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: application/json, application/yaml, application/vnd.kubernetes.protobuf`);
    }
    const raw = await this.readBody(req);
    return contentType === 'application/yaml' ? parseYamlOrJson(raw) : parseJsonBody(raw);
  }

}

/** `/version`, `/openapi…`, `/api`, `/api/v1`, `/apis`, `/apis/g`, `/apis/g/v`: paths that name no resource. */
function isNonResourcePath(path: string): boolean {
  if (path === '/version' || path === '/openapi' || path.startsWith('/openapi/')) return true;
  const parts = path.split('/').filter(Boolean);
  if (parts[0] === 'api') return parts.length <= 2;
  if (parts[0] === 'apis') return parts.length <= 3;
  return !(parts[0] === 'api' || parts[0] === 'apis');
}

function parseTarget(group: string, version: string, rest: string[]): Target {
  const [a, b, c, d, e] = rest;
  if (a === 'namespaces' && b !== undefined && c !== undefined && c !== 'status' && c !== 'finalize') {
    const t: Target = { group, version, plural: c, namespace: b };
    if (d !== undefined) t.name = d;
    if (e !== undefined) t.subresource = e;
    if (rest.length > 5) throw notFoundPath();
    return t;
  }
  const t: Target = { group, version, plural: a! };
  if (b !== undefined) t.name = b;
  if (c !== undefined) t.subresource = c;
  if (rest.length > 3) throw notFoundPath();
  return t;
}

function listParams(q: URLSearchParams): { labelSelector?: string; fieldSelector?: string; limit?: number; continue?: string } {
  const p: { labelSelector?: string; fieldSelector?: string; limit?: number; continue?: string } = {};
  const label = q.get('labelSelector');
  if (label) p.labelSelector = label;
  const field = q.get('fieldSelector');
  if (field) p.fieldSelector = field;
  const limit = q.get('limit');
  if (limit) {
    const n = Number(limit);
    if (!Number.isInteger(n) || n < 0) throw errors.badRequest(`limit: Invalid value: "${limit}": must be a non-negative integer`);
    p.limit = n;
  }
  const cont = q.get('continue');
  if (cont) p.continue = cont;
  return p;
}

/** Boolean query parameters parse like Go's strconv.ParseBool, which clients rely on (Python sends "True"). */
function queryBool(q: URLSearchParams, name: string): boolean {
  const v = q.get(name);
  return v !== null && ['1', 't', 'T', 'true', 'TRUE', 'True'].includes(v);
}

function includeObject(q: URLSearchParams): IncludeObject {
  const v = q.get('includeObject');
  return v === 'None' || v === 'Object' ? v : 'Metadata';
}

function partial(o: KubeObject): unknown {
  return { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: o.metadata };
}

/** `fieldValidation`: Strict, Warn (the default, as in kube-apiserver) or Ignore; anything else is a 422 on the options. */
function fieldValidation(q: URLSearchParams, options: 'CreateOptions' | 'UpdateOptions' | 'PatchOptions'): FieldValidation {
  const value = q.get('fieldValidation') ?? '';
  if (value === '') return 'Warn';
  if (value === 'Strict' || value === 'Warn' || value === 'Ignore') return value;
  throw errors.invalid('meta.k8s.io', options, '', [fieldErrors.notSupported('fieldValidation', value, ['', 'Ignore', 'Strict', 'Warn'])]);
}

function parseYamlOrJson(raw: string): unknown {
  return parseYamlBody(raw, (text) => {
    try {
      return parseYaml(text) as unknown;
    } catch (err) {
      throw errors.badRequest(`the request body is not valid YAML: ${(err as Error).message.split('\n')[0]}`);
    }
  });
}

function notFoundPath(): FloeError {
  return new FloeError('NotFound', 'the server could not find the requested resource');
}

function send(res: ServerResponse, code: number, body: unknown, warnings: readonly string[] = []): void {
  // A Buffer, not a string: Node then writes the head on its own as Latin-1, which keeps the UTF-8 bytes of a warning intact.
  const payload = Buffer.from(JSON.stringify(body));
  const headers: Record<string, string | number | string[]> = { 'Content-Type': jsonType, 'Content-Length': payload.length, 'Cache-Control': 'no-cache, private' };
  // kubectl and client-go print these (`Warning: unknown field "spec.containers[0].comand"`).
  const warning = warningHeaderValues(warnings);
  if (warning.length > 0) headers.Warning = warning;
  res.writeHead(code, headers);
  res.end(payload);
}

/**
 * kubectl asks for OpenAPI v2 (as protobuf) only to validate kinds the v3 documents do not describe. Floe
 * validates on the server (`fieldValidation`), so v2 is an empty Swagger document: kubectl skips client-side
 * checks and reports unknown kinds from discovery, as it does against kube-apiserver.
 */
function sendOpenApiV2(res: ServerResponse, accept: string): void {
  const title = 'Floe';
  const version = floeVersion.gitVersion;
  if (accept.includes('protobuf')) {
    const str = (field: number, value: string): Buffer => {
      const bytes = Buffer.from(value);
      return Buffer.concat([Buffer.from([(field << 3) | 2, bytes.length]), bytes]);
    };
    const info = Buffer.concat([str(1, title), str(2, version)]);
    const doc = Buffer.concat([str(1, '2.0'), Buffer.from([(2 << 3) | 2, info.length]), info]);
    res.writeHead(200, { 'Content-Type': 'application/com.github.proto-openapi.spec.v2.v1.0+protobuf', 'Content-Length': doc.length });
    res.end(doc);
    return;
  }
  send(res, 200, { swagger: '2.0', info: { title, version }, paths: {}, definitions: {} });
}
