// The dashboard's built files (web/dist): path resolution that never leaves the folder, content types and cache headers.
import { realpath, stat } from 'node:fs/promises';
import { extname, join, sep } from 'node:path';

/** What a request path under the dashboard names. */
export type StaticTarget =
  /** A file inside the root (its real path); `immutable` for content-hashed assets, cached for a year. */
  | { kind: 'file'; path: string; immutable: boolean }
  /** A page of the single-page app (no file extension): answered with index.html, so deep links work. */
  | { kind: 'app' }
  | { kind: 'missing' }
  /** The path tried to leave the root (dot segments, encoded separators, a symlink pointing out). */
  | { kind: 'refused' };

export const contentTypes: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
  '.map': 'application/json',
};

/**
 * Resolves `path` (the URL path below the dashboard's prefix, still percent-encoded) inside `root`. The front door
 * already refuses dot segments in the raw target; this check stands on its own all the same, because a static file
 * server is where a traversal reads the data directory (tokens, the database).
 */
export async function resolveStaticFile(root: string, path: string): Promise<StaticTarget> {
  let decoded: string;
  try {
    decoded = decodeURIComponent(path);
  } catch {
    return { kind: 'refused' };
  }
  if (decoded.includes('\0') || decoded.includes('\\')) return { kind: 'refused' };
  const segments = decoded.split('/').filter((s) => s !== '');
  if (segments.some((s) => s === '.' || s === '..')) return { kind: 'refused' };
  // Encoded slashes decode into separators: a segment list built from the raw path must match the decoded one.
  if (path.split('/').filter((s) => s !== '').length !== segments.length) return { kind: 'refused' };
  const last = segments.at(-1) ?? '';
  if (segments.length === 0 || !extname(last)) return { kind: 'app' };
  let realRoot: string;
  try {
    realRoot = await realpath(root);
  } catch {
    return { kind: 'missing' };
  }
  const candidate = join(realRoot, ...segments);
  if (!candidate.startsWith(realRoot + sep)) return { kind: 'refused' };
  let real: string;
  try {
    real = await realpath(candidate);
  } catch {
    return { kind: 'missing' };
  }
  if (!real.startsWith(realRoot + sep)) return { kind: 'refused' };
  const info = await stat(real);
  if (!info.isFile()) return { kind: 'missing' };
  return { kind: 'file', path: real, immutable: segments[0] === 'assets' };
}
