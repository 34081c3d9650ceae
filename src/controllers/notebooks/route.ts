// `/notebook/<namespace>/<name>/…` on Floe's front door: what Istio's VirtualService `notebook-<ns>-<name>` is upstream.
// HTTP and WebSocket (kernels, terminals) go to the notebook's Service, with the http-rewrite-uri and
// http-headers-request-set annotations applied. The caller must be allowed to `get` the Notebook.
import { request as httpRequest, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import { connect } from 'node:net';
import type { Duplex } from 'node:stream';
import { FloeError } from '../../api/errors.js';
import { serviceAddress } from '../../api/host-ports.js';
import { ServiceRef, type Service } from '../../api/core-v1.js';
import type { Client } from '../../client/client.js';
import type { Route } from '../../controller/index.js';
import { notebookToken, servicePortName } from './notebook-controller.js';
import { Annotations, Group, isStopped, NotebookPathPrefix, NotebookRef, notebookPrefix, type Notebook } from './types.js';

export interface NotebookRouteOptions {
  client: Client;
  /** The cluster's DNS domain (CLUSTER_DOMAIN), for Services that have no loopback host port. */
  clusterDomain?: string;
}

/** Where a request for a notebook goes: the upstream address and the path (after the rewrite) and headers to send. */
export interface NotebookTarget {
  host: string;
  port: number;
  path: string;
  headers: Record<string, string>;
}

/** `/notebook/<ns>/<name>/<rest>` → its parts; undefined for a path that names no notebook. */
export function parseNotebookPath(pathname: string): { namespace: string; name: string; rest: string } | undefined {
  if (!pathname.startsWith(`${NotebookPathPrefix}/`)) return undefined;
  const [namespace = '', name = '', ...rest] = pathname.slice(NotebookPathPrefix.length + 1).split('/');
  if (!namespace || !name) return undefined;
  try {
    return { namespace: decodeURIComponent(namespace), name: decodeURIComponent(name), rest: rest.join('/') };
  } catch {
    return undefined;
  }
}

/**
 * The path Jupyter sees: the request's own, or with the matched prefix `/notebook/<ns>/<name>/` replaced by the
 * `http-rewrite-uri` annotation (Istio's prefix rewrite); and the headers `http-headers-request-set` sets (a JSON
 * object; malformed JSON sets none, as upstream's controller ignores it).
 */
export function rewriteFor(notebook: Notebook, pathWithQuery: string): { path: string; headers: Record<string, string> } {
  const prefix = `${notebookPrefix(notebook.metadata.namespace ?? '', notebook.metadata.name ?? '')}/`;
  const annotations = notebook.metadata.annotations ?? {};
  const rewrite = annotations[Annotations.httpRewriteUri];
  const path = rewrite && pathWithQuery.startsWith(prefix) ? `${rewrite}${pathWithQuery.slice(prefix.length)}` : pathWithQuery;
  const headers: Record<string, string> = {};
  const raw = annotations[Annotations.httpHeadersRequestSet];
  if (raw) {
    try {
      const parsed: unknown = JSON.parse(raw);
      if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) {
        for (const [k, v] of Object.entries(parsed as Record<string, unknown>)) if (typeof v === 'string') headers[k.toLowerCase()] = v;
      }
    } catch {
      // upstream: invalid JSON sets no headers
    }
  }
  return { path, headers };
}

/** The headers passed on: the caller's, less Floe's own credentials and hop-by-hop ones, plus the annotation's. */
function forwardHeaders(req: IncomingMessage, set: Record<string, string>, upgrade: boolean): IncomingHttpHeaders {
  const headers: IncomingHttpHeaders = { ...req.headers };
  // Floe's bearer token is for Floe; the notebook never sees it.
  delete headers.authorization;
  delete headers['proxy-authorization'];
  if (!upgrade) {
    delete headers.connection;
    delete headers['keep-alive'];
    delete headers.upgrade;
  }
  headers['x-forwarded-proto'] ??= (req.socket as { encrypted?: boolean }).encrypted ? 'https' : 'http';
  if (req.socket.remoteAddress) headers['x-forwarded-for'] = req.headers['x-forwarded-for'] ? `${String(req.headers['x-forwarded-for'])}, ${req.socket.remoteAddress}` : req.socket.remoteAddress;
  return { ...headers, ...set };
}

export class NotebookProxy {
  private readonly client: Client;
  private readonly clusterDomain: string;

  constructor(options: NotebookRouteOptions) {
    this.client = options.client;
    this.clusterDomain = options.clusterDomain ?? 'cluster.local';
  }

  /** The notebook's address and the rewritten request, or a FloeError saying why there is none. */
  async target(namespace: string, name: string, pathWithQuery: string): Promise<NotebookTarget> {
    let notebook: Notebook;
    try {
      notebook = await this.client.get<Notebook>(NotebookRef, name, namespace);
    } catch (err) {
      if (err instanceof FloeError && err.reason === 'NotFound') throw new FloeError('NotFound', `notebooks.kubeflow.org "${name}" not found in namespace "${namespace}"`);
      throw err;
    }
    if (isStopped(notebook)) throw new FloeError('ServiceUnavailable', `Notebook ${namespace}/${name} is stopped (annotation ${Annotations.stopped}); remove the annotation to start it`);
    let service: Service;
    try {
      service = await this.client.get<Service>(ServiceRef, name, namespace);
    } catch (err) {
      if (err instanceof FloeError && err.reason === 'NotFound') throw new FloeError('ServiceUnavailable', `Notebook ${namespace}/${name} has no Service yet`);
      throw err;
    }
    const port = service.spec?.ports?.find((p) => p.name === servicePortName(notebook)) ?? service.spec?.ports?.[0];
    if (!port) throw new FloeError('ServiceUnavailable', `the Service of Notebook ${namespace}/${name} has no port`);
    const address = serviceAddress(service, port, `${name}.${namespace}.svc.${this.clusterDomain}`);
    const { path, headers } = rewriteFor(notebook, pathWithQuery);
    // Embedded: the token only Floe's route (and culler) send; Jupyter refuses a bare connection to its port.
    const token = await notebookToken(this.client, notebook);
    if (token) headers.authorization = `token ${token}`;
    return { host: address.host, port: address.port, path, headers };
  }

  async handle(req: IncomingMessage, res: ServerResponse, url: URL): Promise<boolean> {
    const parsed = parseNotebookPath(url.pathname);
    if (!parsed) return false;
    // Istio matches `/notebook/<ns>/<name>/`; the bare name gets the slash, as Jupyter itself would redirect.
    if (parsed.rest === '' && !url.pathname.endsWith('/')) {
      res.writeHead(301, { location: `${url.pathname}/${url.search}` });
      res.end();
      return true;
    }
    const target = await this.target(parsed.namespace, parsed.name, `${url.pathname}${url.search}`);
    await new Promise<void>((resolve) => {
      const upstream = httpRequest({ host: target.host, port: target.port, path: target.path, method: req.method ?? 'GET', headers: forwardHeaders(req, target.headers, false) }, (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.statusMessage ?? '', answer.rawHeaders);
        answer.pipe(res);
        answer.once('end', resolve);
        answer.once('error', () => resolve());
      });
      upstream.once('error', (err) => {
        if (!res.headersSent) {
          const status = new FloeError('ServiceUnavailable', `Notebook ${parsed.namespace}/${parsed.name} is not answering yet: ${err.message}`).toStatus();
          res.writeHead(503, { 'content-type': 'application/json' });
          res.end(JSON.stringify(status));
        } else res.destroy(err);
        resolve();
      });
      res.once('close', () => upstream.destroy());
      req.pipe(upstream);
    });
    return true;
  }

  /** A WebSocket (kernel channels, terminals): the handshake goes on to Jupyter, then bytes flow both ways. */
  async upgrade(req: IncomingMessage, socket: Duplex, head: Buffer, url: URL): Promise<boolean> {
    const parsed = parseNotebookPath(url.pathname);
    if (!parsed) return false;
    const target = await this.target(parsed.namespace, parsed.name, `${url.pathname}${url.search}`);
    const headers = forwardHeaders(req, target.headers, true);
    const upstream = connect({ host: target.host, port: target.port });
    await new Promise<void>((resolve, reject) => {
      upstream.once('connect', resolve);
      upstream.once('error', (err) => reject(new FloeError('ServiceUnavailable', `Notebook ${parsed.namespace}/${parsed.name} is not answering yet: ${err.message}`)));
    });
    let lines = `${req.method ?? 'GET'} ${target.path} HTTP/1.1\r\n`;
    for (const [k, v] of Object.entries(headers)) {
      if (v === undefined) continue;
      for (const one of Array.isArray(v) ? v : [v]) lines += `${k}: ${one}\r\n`;
    }
    upstream.write(`${lines}\r\n`);
    if (head.length > 0) upstream.write(head);
    upstream.on('error', () => socket.destroy());
    socket.on('error', () => upstream.destroy());
    upstream.pipe(socket);
    socket.pipe(upstream);
    return true;
  }
}

/** The route: authorized as `get` on the Notebook, which is what a Profile's contributors (view and edit) may do. */
export function notebookRoute(options: NotebookRouteOptions): Route {
  const proxy = new NotebookProxy(options);
  return {
    prefix: `${NotebookPathPrefix}/`,
    access: {
      kind: 'resource',
      attributes: (_req, url) => {
        const parsed = parseNotebookPath(url.pathname);
        return { verb: 'get', group: Group, resource: 'notebooks', ...(parsed ? { namespace: parsed.namespace, name: parsed.name } : {}) };
      },
    },
    // JupyterLab's REST API speaks JSON; forms and text/plain (what another site's page can send unasked) stay out.
    bodyTypes: ['application/json'],
    handle: (req, res, url) => proxy.handle(req, res, url),
    upgrade: (req, socket, head, url) => proxy.upgrade(req, socket, head, url),
  };
}
