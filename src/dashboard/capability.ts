// The dashboard capability: Floe's web app (web/dist, built by set-up) under /ui/, and the Kubeflow dashboard backend.
import { createReadStream } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { readFile, stat } from 'node:fs/promises';
import { request as httpRequest, type IncomingMessage, type OutgoingHttpHeaders, type ServerResponse } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FloeError } from '../api/errors.js';
import type { ServerTarget } from '../client/kube-client.js';
import type { Capability, Route } from '../controller/index.js';
import { subjectAccessReviewer } from '../controllers/profiles/access.js';
import { dashboardBackendRoutes } from './backend.js';
import { homeRoute } from './home.js';
import { searchRoute } from './search.js';
import { contentTypes, resolveStaticFile } from './static-files.js';

export const DashboardPrefix = '/ui/';

/**
 * The page's Content-Security-Policy: scripts and styles from Floe only (no inline scripts, nothing from a CDN);
 * inline style attributes stay allowed for the component library's CSS variables; no framing (clickjacking).
 */
export const contentSecurityPolicy = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

const securityHeaders = {
  'Content-Security-Policy': contentSecurityPolicy,
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'no-referrer',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Resource-Policy': 'same-origin',
};

/** web/dist of this checkout (dist/src/dashboard/ → the repository root). */
export function defaultWebDist(): string {
  return fileURLToPath(new URL('../../../web/dist', import.meta.url));
}

export interface DashboardOptions {
  /** The built app; web/dist of the checkout unless given. */
  webDist?: string;
  /**
   * On a cluster: the bearer token behind a request signed in by the dashboard's session cookie (the session keeps it),
   * for the Kubernetes API calls forwarded to the cluster. Requests with an Authorization header use that.
   */
  sessionToken?: (req: IncomingMessage) => string | undefined;
}

const compressible = new Set(['.js', '.css', '.svg', '.json', '.map']);

/** Serves the app's files: hashed assets cached for a year, index.html (for every page path, so deep links work) never cached. */
export function staticRoute(webDist: string): Route {
  // Hashed assets never change under their name: each is gzipped once, on first request, and kept.
  const gzipped = new Map<string, Buffer>();
  return {
    prefix: DashboardPrefix,
    access: { kind: 'in-handler', why: 'the app\'s own files hold no data; every call the app then makes is authorized on its own route' },
    bodyTypes: [],
    async handle(req, res, url) {
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        res.writeHead(405, { Allow: 'GET, HEAD', 'Content-Type': 'text/plain; charset=utf-8' });
        res.end('method not allowed');
        return true;
      }
      // The raw target, not url.pathname: URL parsing would already have resolved dot segments away.
      const raw = (req.url ?? '/').split('?')[0] ?? '/';
      const below = raw.startsWith(DashboardPrefix) ? raw.slice(DashboardPrefix.length - 1) : '/';
      const target = await resolveStaticFile(webDist, below);
      switch (target.kind) {
        case 'refused':
          sendText(res, 400, 'the path leaves the dashboard\'s folder');
          return true;
        case 'missing':
          sendText(res, 404, `not found: ${url.pathname}`);
          return true;
        case 'app':
          await sendIndex(req, res, webDist);
          return true;
        case 'file': {
          const headers = {
            ...securityHeaders,
            'Content-Type': contentTypes[extname(target.path)] ?? 'application/octet-stream',
            'Cache-Control': target.immutable ? 'public, max-age=31536000, immutable' : 'no-cache',
            Vary: 'Accept-Encoding',
          };
          if (target.immutable && compressible.has(extname(target.path)) && /\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''))) {
            let body = gzipped.get(target.path);
            if (!body) {
              body = gzipSync(await readFile(target.path), { level: 9 });
              gzipped.set(target.path, body);
            }
            res.writeHead(200, { ...headers, 'Content-Encoding': 'gzip', 'Content-Length': body.length });
            res.end(req.method === 'HEAD' ? undefined : body);
            return true;
          }
          const info = await stat(target.path);
          res.writeHead(200, { ...headers, 'Content-Length': info.size });
          if (req.method === 'HEAD') res.end();
          else createReadStream(target.path).pipe(res);
          return true;
        }
      }
    },
  };
}

async function sendIndex(req: IncomingMessage, res: ServerResponse, webDist: string): Promise<void> {
  let html: Buffer;
  try {
    html = await readFile(join(webDist, 'index.html'));
  } catch {
    const message = '<!doctype html><meta charset="utf-8"><title>Floe</title><h1>The dashboard is not built</h1><p>Run <code>npm start</code> (its set-up builds <code>web/</code>), or <code>cd web &amp;&amp; npm ci &amp;&amp; npx vite build</code>.</p>';
    res.writeHead(503, { ...securityHeaders, 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' });
    res.end(message);
    return;
  }
  res.writeHead(200, { ...securityHeaders, 'Content-Type': 'text/html; charset=utf-8', 'Content-Length': html.length, 'Cache-Control': 'no-cache' });
  res.end(req.method === 'HEAD' ? undefined : html);
}

function sendText(res: ServerResponse, code: number, body: string): void {
  res.writeHead(code, { ...securityHeaders, 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-store' });
  res.end(body);
}

/**
 * For the Kubernetes API's `/` route: a browser opening Floe's bare URL (Accept: text/html) is sent to the dashboard;
 * true when it answered. kubectl and the SDKs never ask `/` for HTML.
 */
export function redirectBrowserToDashboard(req: IncomingMessage, res: ServerResponse, path: string): boolean {
  if (path !== '/' || (req.method !== 'GET' && req.method !== 'HEAD') || !(req.headers.accept ?? '').includes('text/html')) return false;
  res.writeHead(302, { Location: DashboardPrefix, 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-store' });
  res.end(`the dashboard is at ${DashboardPrefix}`);
  return true;
}

/** Media types the Kubernetes API takes in a request body (JSON, the patch types, server-side apply's YAML). */
const kubeBodyTypes = ['application/json', 'application/merge-patch+json', 'application/strategic-merge-patch+json', 'application/json-patch+json', 'application/apply-patch+yaml', 'application/yaml'];
/** Response headers worth passing back: the body's type and encoding, and caching. */
const passedBack = ['content-type', 'content-encoding', 'cache-control', 'audit-id', 'warning'];

/**
 * On a cluster (`floe controllers`), the pages' Kubernetes API calls (`/api/v1/…`, `/apis/<group>/…`) go on to the
 * kube-apiserver with the caller's own bearer token, so the cluster authenticates and authorizes each one itself; this
 * process's ServiceAccount lends them no rights. Floe's own routes under `/apis/` (KFP's `/apis/v2beta1/`) are longer
 * prefixes and win. A request signed in by the dashboard's session cookie is forwarded with the session's token
 * (`sessionToken`); one with no token behind it gets 403: there is nothing to forward.
 */
export function kubeApiRoutes(target: ServerTarget, sessionToken?: (req: IncomingMessage) => string | undefined): Route[] {
  const base = target.server.replace(/\/+$/, '');
  const handle = (req: IncomingMessage, res: ServerResponse): Promise<boolean> => {
    const token = req.headers.authorization !== undefined ? /^Bearer\s+(.+)$/i.exec(req.headers.authorization)?.[1]?.trim() : sessionToken?.(req);
    if (!token) {
      const status = { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', reason: 'Forbidden', code: 403, message: 'on a cluster the dashboard reaches the Kubernetes API with the caller\'s own bearer token, and this request has none' };
      res.writeHead(403, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' });
      res.end(JSON.stringify(status));
      return Promise.resolve(true);
    }
    const upstream = new URL(`${base}${req.url ?? '/'}`);
    // Only what the API needs: no cookies, no impersonation headers (the front door already turned those into the caller).
    const headers: OutgoingHttpHeaders = { authorization: `Bearer ${token}`, accept: req.headers.accept ?? 'application/json' };
    for (const name of ['content-type', 'content-length', 'transfer-encoding'] as const) {
      const value = req.headers[name];
      if (value !== undefined) headers[name] = value;
    }
    const tls = upstream.protocol === 'https:' ? { ...(target.ca !== undefined ? { ca: target.ca } : {}), rejectUnauthorized: target.rejectUnauthorized } : {};
    return new Promise<boolean>((resolve, reject) => {
      const forwarded = (upstream.protocol === 'https:' ? httpsRequest : httpRequest)(upstream, { method: req.method ?? 'GET', headers, ...tls }, (answer) => {
        const back: OutgoingHttpHeaders = { 'X-Content-Type-Options': 'nosniff' };
        for (const name of passedBack) if (answer.headers[name] !== undefined) back[name] = answer.headers[name];
        res.writeHead(answer.statusCode ?? 502, back);
        // A watch streams: each event is flushed as it comes.
        answer.pipe(res);
        answer.once('end', () => resolve(true));
        answer.once('error', () => resolve(true));
      });
      forwarded.once('error', (err) => {
        if (res.headersSent) {
          res.destroy();
          resolve(true);
        } else reject(new FloeError('ServiceUnavailable', `the Kubernetes API server at ${base} cannot be reached: ${err.message}`, { cause: err }));
      });
      // The browser went away (a watch closed by the page): stop asking the cluster.
      res.once('close', () => {
        forwarded.destroy();
        resolve(true);
      });
      req.pipe(forwarded);
    });
  };
  const access = { kind: 'in-handler' as const, why: 'forwarded with the caller\'s own token: the cluster\'s authentication and RBAC decide' };
  return [
    { prefix: '/api/v1/', access, bodyTypes: kubeBodyTypes, handle },
    { prefix: '/apis/', access, bodyTypes: kubeBodyTypes, handle },
  ];
}

export function dashboardCapability(options: DashboardOptions = {}): Capability {
  return {
    name: 'dashboard',
    // Cluster mode (`floe controllers`): the same routes on its listener, reading the cluster through the controllers'
    // Client; callers are authenticated by TokenReview and each backend asks the cluster a SubjectAccessReview for them.
    modes: ['embedded', 'cluster'],
    async start(ctx) {
      const webDist = options.webDist ?? defaultWebDist();
      const review = subjectAccessReviewer(ctx.client);
      // The pages read the Kubernetes API on their own origin: embedded, Floe serves it; on a cluster it is forwarded.
      const target = ctx.mode === 'cluster' ? await (ctx.client as { serverTarget?: () => Promise<ServerTarget> }).serverTarget?.() : undefined;
      return {
        routes: [
          staticRoute(webDist),
          searchRoute(ctx.client, review, ctx.node),
          homeRoute(ctx.client, review),
          ...dashboardBackendRoutes({ client: ctx.client, review }),
          ...(target ? kubeApiRoutes(target, options.sessionToken) : []),
        ],
      };
    },
  };
}
