// The dashboard's sign-in session: a bearer token exchanged for an HttpOnly cookie, held in memory and re-checked on use.
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { FloeError } from '../api/errors.js';
import type { Caller, Route } from '../controller/index.js';
import type { Authenticator, UserInfo } from '../server/auth.js';

/** Where the dashboard signs in (POST), reads its session's CSRF token (GET) and signs out (DELETE). */
export const SessionPath = '/ui/api/session';
/** The request header a cookie-authenticated state-changing request must carry, equal to its session's token. */
export const CsrfHeader = 'x-csrf-token';
/** The prefix of the dashboard's own files: the only route an unauthenticated browser may reach (see `publicRoute`). */
const dashboardFiles = '/ui/';
const safeMethods = new Set(['GET', 'HEAD', 'OPTIONS']);

/** Who an unauthenticated request is, for the one route it may reach. */
export const anonymous: Caller = { name: 'system:anonymous', groups: ['system:unauthenticated'] };

interface Session {
  /** The bearer token signed in with: every use authenticates it again, so a revoked or expired token ends the session. */
  token: string;
  csrf: Buffer;
  user: string;
  expires: number;
}

export interface DashboardSessionsOptions {
  /** The authenticator every request passes (the union of Floe's identity sources). */
  authenticator: Authenticator;
  /** HTTPS: the cookie is `Secure` and named with the `__Host-` prefix (no Domain, Path=/, Secure enforced by browsers). */
  secure: boolean;
  /** How long a session lives after sign-in at most (8 hours unless given); the token's own expiry may end it sooner. */
  maxAgeMs?: number;
  /** The most sessions kept at once; the oldest is dropped beyond it (memory stays bounded). */
  maxSessions?: number;
  now?: () => number;
}

/**
 * An `Authenticator` around the front door's: a request with an `Authorization` header is the inner authenticator's
 * alone; one with only a session cookie is the session's token, authenticated again by the inner authenticator, and,
 * when it changes state, must carry the session's CSRF token in `X-CSRF-Token`. Sessions live in this process's memory
 * only: nothing on disk, and a restart signs everyone out.
 */
export class DashboardSessions implements Authenticator {
  readonly cookieName: string;
  private readonly inner: Authenticator;
  private readonly secure: boolean;
  private readonly maxAgeMs: number;
  private readonly maxSessions: number;
  private readonly now: () => number;
  private readonly sessions = new Map<string, Session>();

  constructor(options: DashboardSessionsOptions) {
    this.inner = options.authenticator;
    this.secure = options.secure;
    this.cookieName = options.secure ? '__Host-floe-session' : 'floe-session';
    this.maxAgeMs = options.maxAgeMs ?? 8 * 3600_000;
    this.maxSessions = options.maxSessions ?? 10_000;
    this.now = options.now ?? Date.now;
  }

  async authenticate(request: IncomingMessage): Promise<UserInfo | undefined> {
    if (request.headers.authorization !== undefined) return this.inner.authenticate(request);
    const found = this.find(request);
    // An unknown, expired or signed-out cookie is no credential at all: the request is as if it carried none.
    if (!found) return this.inner.authenticate(request);
    const user = await this.inner.authenticate({ headers: { authorization: `Bearer ${found.session.token}` }, socket: request.socket } as unknown as IncomingMessage);
    if (!user) {
      this.sessions.delete(found.id);
      return undefined;
    }
    if (!safeMethods.has((request.method ?? '').toUpperCase())) {
      const given = request.headers[CsrfHeader];
      const value = Buffer.from(typeof given === 'string' ? given : '');
      if (value.length !== found.session.csrf.length || !timingSafeEqual(value, found.session.csrf)) {
        throw new FloeError('Forbidden', `a request signed in by the dashboard's session cookie that changes state must carry the session's CSRF token in ${CsrfHeader}`);
      }
    }
    return user;
  }

  /** The route at `SessionPath`. */
  route(): Route {
    return {
      prefix: SessionPath,
      access: { kind: 'in-handler', why: 'a caller signs in, reads or ends its own session only' },
      bodyTypes: ['application/json'],
      handle: (req, res, url, caller) => this.handle(req, res, url, caller),
    };
  }

  /**
   * The token a request's live session cookie signed in with (undefined without one): for routes that forward the
   * caller's own credentials (the cluster-mode dashboard's Kubernetes API forward). The front door has authenticated
   * that token, and checked the CSRF token, before any route runs.
   */
  tokenOf(request: IncomingMessage): string | undefined {
    return request.headers.authorization === undefined ? this.find(request)?.session.token : undefined;
  }

  /** Sessions held now (for tests and metrics). */
  get size(): number {
    return this.sessions.size;
  }

  private handle(req: IncomingMessage, res: ServerResponse, url: URL, caller: Caller): boolean {
    if (url.pathname.replace(/\/+$/, '') !== SessionPath) return false;
    switch (req.method ?? 'GET') {
      case 'POST': {
        // The token came in the Authorization header and the front door has already authenticated it like any request's.
        const token = /^Bearer\s+(.+)$/i.exec(req.headers.authorization ?? '')?.[1]?.trim();
        if (!token) throw new FloeError('BadRequest', `sign in with the bearer token in the Authorization header of POST ${SessionPath}`);
        if (req.headers['impersonate-user'] !== undefined || req.headers['impersonate-group'] !== undefined) {
          throw new FloeError('BadRequest', 'a dashboard session cannot be opened while impersonating');
        }
        this.expire();
        const id = randomBytes(32).toString('base64url');
        const csrf = randomBytes(32).toString('base64url');
        this.sessions.set(id, { token, csrf: Buffer.from(csrf), user: caller.name, expires: this.now() + this.maxAgeMs });
        res.setHeader('Set-Cookie', this.cookie(id, Math.floor(this.maxAgeMs / 1000)));
        json(res, 201, { user: caller.name, csrfToken: csrf });
        return true;
      }
      case 'GET': {
        const found = this.find(req);
        if (!found) throw new FloeError('NotFound', 'no dashboard session: this request was not signed in by a session cookie');
        json(res, 200, { user: caller.name, csrfToken: found.session.csrf.toString() });
        return true;
      }
      case 'DELETE': {
        const found = this.find(req);
        if (found) this.sessions.delete(found.id);
        res.setHeader('Set-Cookie', this.cookie('', 0));
        json(res, 200, { signedOut: found !== undefined });
        return true;
      }
      default:
        res.writeHead(405, { Allow: 'GET, POST, DELETE', 'Content-Type': 'text/plain; charset=utf-8' });
        res.end('method not allowed');
        return true;
    }
  }

  private find(request: IncomingMessage): { id: string; session: Session } | undefined {
    const id = cookieValue(request.headers.cookie, this.cookieName);
    if (!id) return undefined;
    const session = this.sessions.get(id);
    if (!session) return undefined;
    if (session.expires <= this.now()) {
      this.sessions.delete(id);
      return undefined;
    }
    return { id, session };
  }

  /** Drops expired sessions, then the oldest beyond the cap (a Map iterates in insertion order). */
  private expire(): void {
    const now = this.now();
    for (const [id, s] of this.sessions) if (s.expires <= now) this.sessions.delete(id);
    for (const id of this.sessions.keys()) {
      if (this.sessions.size < this.maxSessions) break;
      this.sessions.delete(id);
    }
  }

  private cookie(value: string, maxAgeSeconds: number): string {
    return `${this.cookieName}=${value}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${maxAgeSeconds}${this.secure ? '; Secure' : ''}`;
  }
}

/**
 * Whether an unauthenticated request may still reach `route`: only reads of the dashboard's own files (the app holds
 * no data; every call it makes is authenticated on its own route), so that a browser can load the sign-in page.
 */
export function publicRoute(request: IncomingMessage, route: Route | undefined): route is Route {
  // A bearer token that does not check out stays a 401 here too: the client must learn that its credentials are wrong.
  if (request.headers.authorization !== undefined) return false;
  return (request.method === 'GET' || request.method === 'HEAD') && route?.prefix === dashboardFiles;
}

function cookieValue(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim() || undefined;
  }
  return undefined;
}

function json(res: ServerResponse, code: number, body: unknown): void {
  const payload = JSON.stringify(body);
  res.writeHead(code, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(payload), 'Cache-Control': 'no-store' });
  res.end(payload);
}
