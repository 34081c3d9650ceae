// The one route table and the checks every request passes before any route: Host, Origin, body type.
import type { IncomingMessage } from 'node:http';
import { isIP } from 'node:net';
import { hostname } from 'node:os';
import { FloeError } from '../api/errors.js';
import type { Route } from '../controller/index.js';

/** Routes by path prefix; the longest matching prefix wins, so `/` can be the Kubernetes API behind everything else. */
export class RouteTable {
  private routes: Route[] = [];

  constructor(routes: readonly Route[] = []) {
    this.add(routes);
  }

  /** Adds routes; a prefix may be served once only, so two capabilities cannot silently shadow each other. */
  add(routes: readonly Route[]): void {
    for (const route of routes) {
      if (!route.prefix.startsWith('/')) throw new Error(`route prefix "${route.prefix}" must start with /`);
      if (this.routes.some((r) => r.prefix === route.prefix)) throw new Error(`two routes claim the prefix ${route.prefix}`);
      this.routes.push(route);
    }
    this.routes.sort((a, b) => b.prefix.length - a.prefix.length);
  }

  match(pathname: string): Route | undefined {
    return this.routes.find((r) => pathname.startsWith(r.prefix) || pathname === r.prefix.replace(/\/$/, ''));
  }

  all(): readonly Route[] {
    return this.routes;
  }
}

export interface RequestGuardOptions {
  /**
   * Host names (without port) the server answers to besides IP literals, `localhost` and this machine's host name;
   * `'*'` accepts any (a cluster Service, reached by cluster DNS names). A browser sends the page's own host name in
   * `Host`, so a name Floe does not serve is a DNS-rebinding page (rebind.attacker.example resolving to 127.0.0.1).
   */
  hosts: readonly string[] | '*';
  /** Origins (`scheme://host[:port]`) whose pages may call Floe besides Floe's own (same-origin) pages. */
  allowedOrigins: readonly string[];
}

/** Methods that change state; their bodies must have a media type the route defines. */
const stateChanging = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

export class RequestGuard {
  private readonly hosts: Set<string> | '*';
  private readonly origins: Set<string>;

  constructor(options: RequestGuardOptions) {
    this.hosts = options.hosts === '*' ? '*' : new Set(['localhost', hostname().toLowerCase(), ...options.hosts.map((h) => h.toLowerCase())]);
    this.origins = new Set(options.allowedOrigins.map((o) => o.replace(/\/+$/, '').toLowerCase()));
  }

  /** Refuses a request whose Host is not a name this server serves. */
  checkHost(req: IncomingMessage): void {
    if (this.hosts === '*') return;
    const host = req.headers.host;
    // HTTP/1.0 clients may omit Host; a browser never does.
    if (host === undefined) return;
    const name = hostName(host);
    if (name === undefined || !(isIP(name) !== 0 || this.hosts.has(name))) {
      throw new FloeError('Forbidden', `the Host header "${truncate(host)}" is not a name this server answers to; start Floe with --tls-san ${name ?? 'NAME'} to serve it`);
    }
  }

  /**
   * Refuses a browser request from another site's page. Browsers send `Origin` on cross-origin requests (and on every
   * POST) and `Sec-Fetch-Site`; clients such as kubectl or kfp send neither, and pass.
   */
  checkOrigin(req: IncomingMessage, scheme: 'http' | 'https'): void {
    const origin = req.headers.origin;
    if (origin !== undefined) {
      const normalized = origin.replace(/\/+$/, '').toLowerCase();
      const own = req.headers.host ? `${scheme}://${req.headers.host.toLowerCase()}` : undefined;
      if (normalized !== own && !this.origins.has(normalized)) {
        throw new FloeError('Forbidden', `requests from pages at ${truncate(origin)} are not allowed: start Floe with --allowed-origin ${truncate(origin)} to allow that site`);
      }
      return;
    }
    const site = req.headers['sec-fetch-site'];
    if (site === 'cross-site' || site === 'same-site') {
      throw new FloeError('Forbidden', `a ${site} browser request without an Origin header is not allowed`);
    }
  }

  /** Refuses a state-changing request whose body is not a media type the route defines (text/plain, forms, …). */
  checkBody(req: IncomingMessage, route: Route): void {
    if (!stateChanging.has(req.method ?? 'GET')) return;
    const header = req.headers['content-type'];
    const hasBody = Number(req.headers['content-length'] ?? '0') > 0 || req.headers['transfer-encoding'] !== undefined;
    if (header === undefined && !hasBody) return;
    // client-go's scale client PUTs a Scale without Content-Type (kube-apiserver reads it as JSON). A browser cannot send
    // a PUT across sites without a CORS preflight, so a missing header there is no cross-site form or beacon.
    if (header === undefined && req.method === 'PUT' && route.bodyTypes.includes('application/json')) return;
    const type = (header ?? '').split(';')[0]!.trim().toLowerCase();
    if (!route.bodyTypes.includes(type)) {
      throw new FloeError('UnsupportedMediaType', `the body of the request was in an unknown format${type ? ` (${truncate(type)})` : ''} - accepted media types include: ${route.bodyTypes.join(', ')}`);
    }
  }
}

/** The host part of a Host header: `[::1]:8443` → `::1`, `Example.org:80` → `example.org`. */
function hostName(host: string): string | undefined {
  const trimmed = host.trim().toLowerCase();
  if (trimmed.startsWith('[')) {
    const end = trimmed.indexOf(']');
    return end > 0 ? trimmed.slice(1, end) : undefined;
  }
  const colon = trimmed.lastIndexOf(':');
  const name = colon >= 0 ? trimmed.slice(0, colon) : trimmed;
  return name === '' ? undefined : name.replace(/\.$/, '');
}

function truncate(value: string): string {
  return value.length > 100 ? `${value.slice(0, 100)}…` : value;
}
