// Object keys: the `namespace/name` strings the cache and the work queue use, and the Request a reconciler gets.
import type { KubeObject } from '../api/meta.js';

/** What a reconciler is asked to reconcile: one object, by name. `namespace` is '' for cluster-scoped kinds. */
export interface Request {
  readonly namespace: string;
  readonly name: string;
}

/** `namespace/name`, or `name` for a cluster-scoped object (client-go's MetaNamespaceKeyFunc). */
export function requestKey(request: Request): string {
  return request.namespace === '' ? request.name : `${request.namespace}/${request.name}`;
}

export function parseRequestKey(key: string): Request {
  const slash = key.indexOf('/');
  return slash < 0 ? { namespace: '', name: key } : { namespace: key.slice(0, slash), name: key.slice(slash + 1) };
}

/** The Request naming `object`. */
export function requestFor(object: KubeObject): Request {
  return { namespace: object.metadata.namespace ?? '', name: object.metadata.name ?? '' };
}

/** The cache key of `object`. */
export function objectKey(object: KubeObject): string {
  return requestKey(requestFor(object));
}
