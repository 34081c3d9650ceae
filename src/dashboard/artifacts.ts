// Artifact previews: the text of a pipeline artifact's file (Markdown, HTML, small text) for the run page, the way
// KFP's UI fetches an artifact's content to show it. Only files inside Floe's pipelines folder, read-only, bounded.
import { open, realpath, stat } from 'node:fs/promises';
import { isAbsolute, relative, sep } from 'node:path';
import type { Route } from '../controller/index.js';

export const ArtifactContentPrefix = '/api/dashboard/artifact-content';

/** Previews stop here, as KFP's UI shows only the head of a large artifact (the rest is a download). */
export const PreviewLimit = 1 << 20;

/**
 * What an HTML artifact may do in the page: nothing that runs. `sandbox` with no allowances gives it an opaque origin and
 * no scripts, forms, popups or plugins; only inline styles and data: images load; it may be framed only by Floe's page.
 */
export const htmlPreviewPolicy = "sandbox; default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'self'";

function inside(root: string, path: string): boolean {
  const rel = relative(root, path);
  return rel !== '' && !rel.startsWith(`..${sep}`) && rel !== '..' && !isAbsolute(rel);
}

function send(res: import('node:http').ServerResponse, code: number, body: string): void {
  res.writeHead(code, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store', 'X-Content-Type-Options': 'nosniff' });
  res.end(JSON.stringify({ error: body }));
}

/**
 * `GET /api/dashboard/artifact-content?uri=<artifact uri>[&as=html]`: the first MiB of the artifact's file as text
 * (`X-Floe-Truncated: true` when cut), or with `as=html` as a sandboxed HTML document for an iframe. Authorized as
 * reading ML Metadata (`get metadata` in pipelines.kubeflow.org), where the artifact's URI comes from.
 */
export function artifactContentRoute(pipelinesDir: string): Route {
  return {
    prefix: ArtifactContentPrefix,
    access: { kind: 'resource', attributes: () => ({ verb: 'get', group: 'pipelines.kubeflow.org', resource: 'metadata' }) },
    bodyTypes: [],
    async handle(req, res, url) {
      if (url.pathname !== ArtifactContentPrefix) return false;
      if (req.method !== 'GET') {
        send(res, 405, 'only GET');
        return true;
      }
      const uri = url.searchParams.get('uri') ?? '';
      const given = uri.startsWith('file://') ? uri.slice('file://'.length) : uri;
      if (!given || !isAbsolute(given) || given.includes('\0')) {
        send(res, 400, 'uri: an artifact URI under Floe\'s pipelines folder is required');
        return true;
      }
      let path: string;
      let root: string;
      try {
        root = await realpath(pipelinesDir);
        path = await realpath(given);
      } catch {
        send(res, 404, `no artifact file at ${uri}`);
        return true;
      }
      if (!inside(root, path)) {
        send(res, 403, 'only artifacts inside Floe\'s pipelines folder can be previewed');
        return true;
      }
      const info = await stat(path);
      if (!info.isFile()) {
        send(res, 400, `${uri} is a folder, not a file`);
        return true;
      }
      const length = Math.min(info.size, PreviewLimit);
      const buffer = Buffer.alloc(length);
      const handle = await open(path, 'r');
      try {
        await handle.read(buffer, 0, length, 0);
      } finally {
        await handle.close();
      }
      const html = url.searchParams.get('as') === 'html';
      res.writeHead(200, {
        'Content-Type': html ? 'text/html; charset=utf-8' : 'text/plain; charset=utf-8',
        'Content-Security-Policy': html ? htmlPreviewPolicy : "sandbox; default-src 'none'",
        'X-Content-Type-Options': 'nosniff',
        'Cache-Control': 'no-store',
        'Referrer-Policy': 'no-referrer',
        'X-Floe-Truncated': String(info.size > PreviewLimit),
      });
      res.end(buffer);
      return true;
    },
  };
}
