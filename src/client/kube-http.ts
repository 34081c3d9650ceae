// HTTP to a Kubernetes API server with a KubeConfig's credentials and TLS, turning every failure into a FloeError.
import http, { type IncomingMessage } from 'node:http';
import https from 'node:https';
import type { KubeConfig } from '@kubernetes/client-node';
import { FloeError, reasonForCode, type Status } from '../api/errors.js';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface KubeRequest {
  method: HttpMethod;
  /** Server-relative path such as `/api/v1/namespaces/default/pods`. */
  path: string;
  /** Parameters left undefined are not sent. */
  query?: Record<string, string | undefined>;
  /** Sent as given when a string (YAML for apply patches), otherwise JSON-encoded. */
  body?: unknown;
  contentType?: string;
  /** The Accept header; JSON unless given (`application/json;as=Table;v=v1;g=meta.k8s.io` asks for a Table). */
  accept?: string;
  signal?: AbortSignal;
}

/** What KubeHttp needs of a kubeconfig: client-node's KubeConfig, or a lighter reader offering the same two calls. */
export type KubeConfigLike = Pick<KubeConfig, 'getCurrentCluster' | 'applyToHTTPSOptions'>;

export interface KubeHttpOptions {
  kubeConfig: KubeConfigLike;
}

/**
 * Raw requests rather than client-node's generated APIs: those decode into typed models (timestamps become
 * `Date`, fields a model lacks are dropped) and keep only the HTTP code of a failed watch, while callers of
 * `Client` need the server's JSON as is and its `Status` on failure.
 */
export class KubeHttp {
  private readonly kubeConfig: KubeConfigLike;

  constructor(options: KubeHttpOptions) {
    this.kubeConfig = options.kubeConfig;
  }

  /** The server's base URL, as the current context names it. */
  get server(): string {
    const cluster = this.kubeConfig.getCurrentCluster();
    if (!cluster) throw new FloeError('BadRequest', 'the kubeconfig has no current cluster');
    return cluster.server;
  }

  /** Sends a request and returns its decoded JSON body; a non-2xx answer rejects with the server's Status. */
  async json<T>(request: KubeRequest): Promise<T> {
    const res = await this.open(request);
    const text = await readText(res);
    if (text.trim() === '') return undefined as T;
    try {
      return JSON.parse(text) as T;
    } catch (err) {
      throw new FloeError('InternalError', `the server at ${this.server} answered ${request.method} ${request.path} with a body that is not JSON`, { cause: err });
    }
  }

  /** Sends a request and resolves with the response once a 2xx status arrives (for streams such as watches). */
  async open(request: KubeRequest): Promise<IncomingMessage> {
    const url = this.url(request.path, request.query);
    const options: https.RequestOptions = {};
    try {
      await this.kubeConfig.applyToHTTPSOptions(options);
    } catch (err) {
      throw new FloeError('BadRequest', `cannot use the kubeconfig for ${this.server}: ${messageOf(err)}`, { cause: err });
    }
    const headers = headerObject(options.headers);
    headers.Accept = request.accept ?? 'application/json';
    let payload: Buffer | undefined;
    if (request.body !== undefined) {
      payload = Buffer.from(typeof request.body === 'string' ? request.body : JSON.stringify(request.body), 'utf8');
      headers['Content-Type'] = request.contentType ?? 'application/json';
      headers['Content-Length'] = payload.length;
    }
    options.method = request.method;
    options.headers = headers;
    if (request.signal) options.signal = request.signal;
    const transport = url.protocol === 'https:' ? https : http;
    const res = await new Promise<IncomingMessage>((resolve, reject) => {
      const req = transport.request(url, options, resolve);
      req.on('error', (err) => {
        if (request.signal?.aborted) reject(err);
        else reject(new FloeError('ServiceUnavailable', `cannot reach the API server at ${this.server}: ${messageOf(err)}`, { cause: err }));
      });
      req.end(payload);
    });
    const code = res.statusCode ?? 500;
    if (code >= 200 && code < 300) return res;
    throw errorFromResponse(code, await readText(res).catch(() => ''));
  }

  private url(path: string, query: Record<string, string | undefined> = {}): URL {
    let base: URL;
    try {
      base = new URL(this.server);
    } catch (err) {
      throw new FloeError('BadRequest', `the kubeconfig names a server that is not a URL: ${this.server}`, { cause: err });
    }
    const url = new URL(base.href);
    url.pathname = base.pathname.replace(/\/+$/, '') + path;
    for (const [key, value] of Object.entries(query)) {
      if (value !== undefined) url.searchParams.set(key, value);
    }
    return url;
  }
}

/** A failed response as a FloeError: the server's Status when it sent one, else the HTTP code and body text. */
export function errorFromResponse(code: number, body: string): FloeError {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    parsed = undefined;
  }
  if (isStatus(parsed)) return FloeError.fromStatus(parsed, code);
  const text = body.trim();
  return new FloeError(reasonForCode(code), text === '' ? `request failed with HTTP ${code}` : text);
}

export function isStatus(value: unknown): value is Partial<Status> {
  return typeof value === 'object' && value !== null && (value as { kind?: unknown }).kind === 'Status';
}

function readText(res: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    res.on('data', (chunk: Buffer) => chunks.push(chunk));
    res.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    res.on('error', (err) => reject(new FloeError('ServiceUnavailable', `the connection to the API server broke: ${err.message}`, { cause: err })));
  });
}

/** Request headers as an object; Node also allows a flat [name, value, …] list. */
function headerObject(given: https.RequestOptions['headers']): http.OutgoingHttpHeaders {
  if (given === undefined) return {};
  if (!Array.isArray(given)) return { ...(given as http.OutgoingHttpHeaders) };
  const out: http.OutgoingHttpHeaders = {};
  const flat = given as readonly string[];
  for (let i = 0; i + 1 < flat.length; i += 2) out[flat[i]!] = flat[i + 1]!;
  return out;
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
