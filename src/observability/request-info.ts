// kube-apiserver's RequestInfo and metric label values for one HTTP request: verb (CleanVerb), group, version, resource, subresource, scope (CleanScope), dry_run.
import type { IncomingMessage } from 'node:http';

export interface RequestInfo {
  /** Upper-case as kube-apiserver reports it: GET, LIST, WATCH, CREATE, UPDATE, PATCH, APPLY, DELETE, DELETECOLLECTION, CONNECT. */
  verb: string;
  group: string;
  version: string;
  resource: string;
  /** The subresource of a resource request; for a non-resource request, the path (or, for another route, its prefix). */
  subresource: string;
  /** `resource`, `namespace`, `cluster`, or '' for a non-resource request. */
  scope: string;
  /** `All` for dryRun=All, else ''. */
  dryRun: string;
}

const connectSubresources = new Set(['exec', 'attach', 'portforward', 'proxy']);

function decode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

/**
 * Parses a request as kube-apiserver's RequestInfoFactory does. `route` is the prefix of the route that serves the
 * path: anything but the Kubernetes API (`/`) is a non-resource request labelled with that prefix, so that paths
 * with ids in them (KFP runs, say) do not each become a series.
 */
export function requestInfo(req: IncomingMessage, url: URL, route: string | undefined): RequestInfo {
  const method = (req.method ?? 'GET').toUpperCase();
  const dryRun = url.searchParams.get('dryRun') === 'All' ? 'All' : '';
  const nonResource = (path: string): RequestInfo => ({ verb: method === 'HEAD' ? 'GET' : method, group: '', version: '', resource: '', subresource: path, scope: '', dryRun });
  if (route !== '/') return nonResource(route ?? url.pathname);
  let parts = url.pathname.split('/').filter(Boolean).map(decode);
  let group: string;
  let version: string;
  if (parts[0] === 'api' && parts.length >= 3) {
    group = '';
    version = parts[1]!;
    parts = parts.slice(2);
  } else if (parts[0] === 'apis' && parts.length >= 4) {
    group = parts[1]!;
    version = parts[2]!;
    parts = parts.slice(3);
  } else {
    // Discovery, /version, /openapi/…: non-resource URLs.
    return nonResource(url.pathname.replace(/\/+$/, '') || '/');
  }
  // The deprecated /watch/ prefix.
  let watchPrefix = false;
  if (parts[0] === 'watch') {
    watchPrefix = true;
    parts = parts.slice(1);
  }
  let namespace = '';
  if (parts[0] === 'namespaces' && parts.length >= 3) {
    namespace = parts[1]!;
    parts = parts.slice(2);
  } else if (parts[0] === 'namespaces' && parts.length === 2) {
    // /api/v1/namespaces/<name>: the Namespace object itself.
    namespace = parts[1]!;
  }
  const resource = parts[0] ?? '';
  const name = parts[1] ?? '';
  const subresource = parts[2] ?? '';
  const watch = watchPrefix || ['true', '1'].includes(url.searchParams.get('watch') ?? '');
  let verb: string;
  switch (method) {
    case 'GET':
    case 'HEAD':
      verb = watch ? 'WATCH' : name ? 'GET' : 'LIST';
      break;
    case 'POST':
      verb = connectSubresources.has(subresource) ? 'CONNECT' : 'CREATE';
      break;
    case 'PUT':
      verb = 'UPDATE';
      break;
    case 'PATCH':
      verb = (req.headers['content-type'] ?? '').startsWith('application/apply-patch') ? 'APPLY' : 'PATCH';
      break;
    case 'DELETE':
      verb = name ? 'DELETE' : 'DELETECOLLECTION';
      break;
    default:
      verb = method;
  }
  if (connectSubresources.has(subresource)) verb = 'CONNECT';
  const scope = name || verb === 'CREATE' ? 'resource' : namespace ? 'namespace' : 'cluster';
  return { verb, group, version, resource, subresource, scope, dryRun };
}
