// The dashboard capability: Floe's web app (web/dist, built by set-up) under /ui/, and the Kubeflow dashboard backend.
import { createReadStream } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { readFile, stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
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

export function dashboardCapability(options: DashboardOptions = {}): Capability {
  return {
    name: 'dashboard',
    // Cluster mode serves its routes only on the Katib report listener, to Pods' ServiceAccount tokens: no browsers.
    modes: ['embedded'],
    start(ctx) {
      const webDist = options.webDist ?? defaultWebDist();
      const review = subjectAccessReviewer(ctx.client);
      return Promise.resolve({
        routes: [staticRoute(webDist), searchRoute(ctx.client, review, ctx.node), homeRoute(ctx.client, review), ...dashboardBackendRoutes({ client: ctx.client, review })],
      });
    },
  };
}
