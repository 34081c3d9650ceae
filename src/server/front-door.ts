// Floe's one HTTP listener: every request passes Host, Origin, authentication, body-type and authorization checks, then the route table.
import { createServer, type IncomingMessage, type RequestListener, type Server, type ServerResponse } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { errors, FloeError } from '../api/errors.js';
import type { Caller, Http2Access, Route } from '../controller/index.js';
import { forbiddenMessage, type AuthorizationAttributes, type Authenticator, type Authorizer } from './auth.js';
import { impersonate } from '../auth/rbac/impersonation.js';
import { anonymous, DashboardSessions, publicRoute } from '../dashboard/session.js';
import type { Logger } from './logger.js';
import { healthAnswer, type HealthCheck } from './health.js';
import { checkRequestTarget } from './request-limits.js';
import { RequestGuard, RouteTable, type RequestGuardOptions } from './routes.js';

export interface FrontDoorOptions {
  authenticator: Authenticator;
  authorizer: Authorizer;
  guard: RequestGuardOptions;
  logger: Logger;
  /** Serve HTTPS with this certificate and key (PEM). */
  tls?: { cert: string; key: string };
  /** What `/readyz` checks besides start-up being done (the store taking writes); answered as kube-apiserver does. */
  readyChecks?: readonly HealthCheck[];
  /** Largest request head (URL and headers) in bytes; Node's default (16 KiB) unless given. */
  maxHeaderBytes?: number;
  /** Sees every request once, with the prefix of the route that serves its path (Prometheus apiserver_request_*). */
  requestObserver?: (req: IncomingMessage, res: ServerResponse, url: URL, route: string | undefined) => void;
}

/**
 * The listener. Routes arrive in two steps: the ones known at construction, then each capability's once it has
 * started (`mount`); requests other than health checks wait until `open()` so that a route is never missed because
 * its capability was still starting.
 */
export class FrontDoor {
  readonly server: Server;
  readonly table = new RouteTable();
  private readonly guard: RequestGuard;
  private readonly authenticator: Authenticator;
  private readonly authorizer: Authorizer;
  private readonly log: Logger;
  private readonly scheme: 'http' | 'https';
  private readonly readyChecks: readonly HealthCheck[];
  private opened = false;
  private readonly openedPromise: Promise<void>;
  private resolveOpened: () => void = () => undefined;
  private readonly closers: (() => void)[] = [];
  private readonly observe: FrontDoorOptions['requestObserver'];
  private http2: ((socket: Duplex) => void) | undefined;
  private readonly sockets = new Set<Socket>();
  /** The dashboard's sign-in sessions: a session cookie is one more authentication source, beside the request's own. */
  readonly sessions: DashboardSessions;

  constructor(options: FrontDoorOptions) {
    this.guard = new RequestGuard(options.guard);
    this.sessions = new DashboardSessions({ authenticator: options.authenticator, secure: options.tls !== undefined });
    this.authenticator = this.sessions;
    this.table.add([this.sessions.route()]);
    this.authorizer = options.authorizer;
    this.log = options.logger;
    this.scheme = options.tls ? 'https' : 'http';
    this.readyChecks = options.readyChecks ?? [];
    this.observe = options.requestObserver;
    this.openedPromise = new Promise((resolve) => (this.resolveOpened = resolve));
    const listener: RequestListener = (req, res) => {
      this.serve(req, res).catch((err: unknown) => this.fail(res, err));
    };
    const limits = options.maxHeaderBytes ? { maxHeaderSize: options.maxHeaderBytes } : {};
    // HTTP/2 only for clients that cannot speak HTTP/1.1 (gRPC), and only once something takes it: kubectl and
    // browsers, which offer both, keep HTTP/1.1 (WebSocket, SPDY upgrades).
    const alpn = { ALPNCallback: ({ protocols }: { protocols: string[] }) => (protocols.includes('http/1.1') ? 'http/1.1' : this.http2 && protocols.includes('h2') ? 'h2' : undefined) };
    this.server = options.tls ? createTlsServer({ cert: options.tls.cert, key: options.tls.key, ...alpn, ...limits }, listener) : createServer(limits, listener);
    divertHttp2(this.server, options.tls ? 'secureConnection' : 'connection', (socket) => (this.http2 ? this.http2(socket) : socket.destroy()));
    // Every accepted connection, from its first byte on: the HTTP server knows only those that reached its parser, so
    // one that has sent nothing yet (a browser's preconnect, a TLS handshake under way) would hold close() open.
    this.server.on('connection', (socket: Socket) => {
      this.sockets.add(socket);
      socket.once('close', () => this.sockets.delete(socket));
    });
    this.server.keepAliveTimeout = 65_000;
    // Upgrades (WebSocket, SPDY) pass the same checks as every other request before a route takes the socket.
    this.server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      this.serveUpgrade(req, socket, head).catch((err: unknown) => refuseUpgrade(socket, err, this.log));
    });
    // A request Node cannot parse (a head past the size limit, bad bytes) gets a Status body, not a bare reset.
    this.server.on('clientError', (err: Error & { code?: string }, socket: Socket) => clientError(err, socket));
  }

  /** Where HTTP/2 connections go (the serving capability's gRPC), and the checks its calls pass. */
  http2Access(): Http2Access {
    return {
      take: (accept) => {
        this.http2 = accept;
      },
      admit: async (headers, attributes, remoteAddress) => {
        // What the authenticators read of a request: its headers, and the peer address for an authenticating proxy.
        const authenticated = await this.authenticator.authenticate({ headers, socket: { remoteAddress } } as unknown as IncomingMessage);
        const caller = authenticated ? impersonate(authenticated, headers, this.authorizer, []) : undefined;
        if (!caller) throw new FloeError('Unauthorized', 'Unauthorized');
        const asked: AuthorizationAttributes = { user: caller, ...attributes };
        const decision = this.authorizer.authorize(asked);
        if (!decision.allowed) throw new FloeError('Forbidden', forbiddenMessage(asked, decision.reason));
        return caller;
      },
    };
  }

  /** Adds routes to the table (a capability's, once it has started). */
  mount(routes: readonly Route[]): void {
    this.table.add(routes);
  }

  /** Lets waiting and new requests through to the table. */
  open(): void {
    this.opened = true;
    this.resolveOpened();
  }

  /** Runs on close (watch streams end first so that the server can close). */
  onClose(fn: () => void): void {
    this.closers.push(fn);
  }

  listen(port: number, host: string): Promise<AddressInfo> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => {
        this.server.off('error', reject);
        resolve(this.server.address() as AddressInfo);
      });
    });
  }

  async close(): Promise<void> {
    for (const fn of this.closers) fn();
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeAllConnections();
    for (const socket of this.sockets) socket.destroy();
    await closed;
  }

  private async serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    // Before URL parsing resolves them away: `..`, `%2e%2e`, `\\` and bad escapes must not climb to another route.
    const refused = checkRequestTarget(req.url);
    if (refused) throw refused;
    const url = new URL(req.url ?? '/', 'http://floe.local');
    this.observe?.(req, res, url, this.table.match(url.pathname)?.prefix);
    const path = url.pathname.replace(/\/+$/, '') || '/';
    // Health probes answer everyone, as kube-apiserver's do (system:unauthenticated may read them); they reveal nothing.
    if (path === '/healthz' || path === '/livez') return text(res, 200, 'ok');
    if (path === '/readyz') {
      if (!this.opened) return text(res, 503, 'starting');
      const answer = healthAnswer('readyz', this.readyChecks, url.searchParams.has('verbose'));
      return text(res, answer.status, answer.body);
    }
    const { route, caller } = await this.admit(req, url);
    this.guard.checkBody(req, route);
    if (!(await route.handle(req, res, url, caller))) throw new FloeError('NotFound', 'the server could not find the requested resource');
  }

  private async serveUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    const refused = checkRequestTarget(req.url);
    if (refused) throw refused;
    const url = new URL(req.url ?? '/', 'http://floe.local');
    const { route, caller } = await this.admit(req, url);
    if (!route.upgrade || !(await route.upgrade(req, socket, head, url, caller))) throw new FloeError('NotFound', 'the server could not find the requested resource');
  }

  /** The checks every request passes, in order: Host, Origin, authentication, the route, the route's authorization. */
  private async admit(req: IncomingMessage, url: URL): Promise<{ route: Route; caller: Caller }> {
    this.guard.checkHost(req);
    this.guard.checkOrigin(req, this.scheme);
    const authenticated = await this.authenticator.authenticate(req);
    // Impersonation headers (kubectl --as / --as-group) replace the caller once `impersonate` is allowed for each.
    const caller = authenticated ? impersonate(authenticated, req.headers, this.authorizer, req.rawHeaders) : undefined;
    if (!caller) {
      // The dashboard's own files (no data in them) load without credentials, so that its page can ask for a token.
      const open = this.opened ? this.table.match(url.pathname) : undefined;
      if (publicRoute(req, open)) return { route: open, caller: anonymous };
      throw new FloeError('Unauthorized', 'Unauthorized');
    }
    if (!this.opened) await this.openedPromise;
    const route = this.table.match(url.pathname);
    if (!route) throw new FloeError('NotFound', 'the server could not find the requested resource');
    if (route.access.kind === 'resource') {
      const attributes: AuthorizationAttributes = { user: caller, ...route.access.attributes(req, url) };
      const decision = this.authorizer.authorize(attributes);
      if (!decision.allowed) throw new FloeError('Forbidden', forbiddenMessage(attributes, decision.reason));
    } else if (route.access.kind === 'non-resource') {
      const method = (req.method ?? 'GET').toLowerCase();
      const attributes: AuthorizationAttributes = { user: caller, verb: method === 'head' ? 'get' : method, group: '', resource: '', path: url.pathname };
      const decision = this.authorizer.authorize(attributes);
      if (!decision.allowed) throw new FloeError('Forbidden', forbiddenMessage(attributes, decision.reason));
    }
    return { route, caller };
  }

  private fail(res: ServerResponse, err: unknown): void {
    const floe = err instanceof FloeError ? err : errors.internal(err instanceof Error ? err.message : String(err), err);
    if (!(err instanceof FloeError)) this.log.error({ err }, 'request failed');
    if (res.headersSent) {
      if (!res.writableEnded) res.end();
      return;
    }
    const payload = JSON.stringify(floe.toStatus());
    res.writeHead(floe.code, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(payload), 'Cache-Control': 'no-cache, private' });
    res.end(payload);
  }
}

/**
 * Sends a connection to `h2` instead of the HTTP/1.1 server when it speaks HTTP/2: negotiated by ALPN (TLS), or
 * opening with the h2c preface (plain text, prior knowledge as gRPC clients send it). The first bytes are put back.
 */
function divertHttp2(server: Server, event: 'connection' | 'secureConnection', h2: (socket: Socket) => void): void {
  const http1 = server.listeners(event) as ((socket: Socket) => void)[];
  server.removeAllListeners(event);
  server.on(event, (socket: Socket & { alpnProtocol?: string | false }) => {
    if (event === 'secureConnection') {
      if (socket.alpnProtocol === 'h2') h2(socket);
      else for (const l of http1) l.call(server, socket);
      return;
    }
    // A connection that never says a word is closed, as the HTTP server's own timeouts would.
    socket.setTimeout(65_000, () => socket.destroy());
    const first = (chunk: Buffer): void => {
      socket.off('data', first);
      socket.setTimeout(0);
      socket.pause();
      socket.unshift(chunk);
      if (chunk.subarray(0, h2cPreface.length).equals(h2cPreface.subarray(0, Math.min(chunk.length, h2cPreface.length))) && chunk.length >= 3) h2(socket);
      else {
        for (const l of http1) l.call(server, socket);
        socket.resume();
      }
    };
    socket.on('data', first);
  });
}
const h2cPreface = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n');

/** Refuses an upgrade before it is accepted: an HTTP error response with a Status body, then the socket closes. */
function refuseUpgrade(socket: Duplex, err: unknown, log: Logger): void {
  const floe = err instanceof FloeError ? err : errors.internal(err instanceof Error ? err.message : String(err), err);
  if (!(err instanceof FloeError)) log.error({ err }, 'upgrade failed');
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  const body = JSON.stringify(floe.toStatus());
  socket.end(`HTTP/1.1 ${floe.code} ${floe.reason}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
}

/** Answers a request Node's parser refused: 431 for a head past the limit, 400 otherwise, each with a Status body. */
function clientError(err: Error & { code?: string }, socket: Socket): void {
  if (!socket.writable || err.code === 'ECONNRESET') {
    socket.destroy();
    return;
  }
  const tooLarge = err.code === 'HPE_HEADER_OVERFLOW';
  const code = tooLarge ? 431 : 400;
  const message = tooLarge ? 'the request URL and headers are larger than this server accepts' : `the request could not be parsed: ${err.message}`;
  const body = JSON.stringify({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason: tooLarge ? 'RequestHeaderFieldsTooLarge' : 'BadRequest', code });
  socket.end(`HTTP/1.1 ${code} ${tooLarge ? 'Request Header Fields Too Large' : 'Bad Request'}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
}

function text(res: ServerResponse, code: number, body: string): void {
  res.writeHead(code, { 'Content-Type': 'text/plain; charset=utf-8' });
  res.end(body);
}
