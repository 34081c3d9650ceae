// Kind-to-URL mapping from the server's discovery documents, cached per group-version and refreshed on a miss.
import { errors, FloeError } from '../api/errors.js';
import { parseApiVersion } from '../api/meta.js';
import type { KindRef } from './client.js';
import type { KubeHttp } from './kube-http.js';

/** Where a kind lives: what a URL needs to address it. */
export interface ResourceInfo {
  group: string;
  version: string;
  kind: string;
  plural: string;
  namespaced: boolean;
}

interface ApiResourceList {
  resources?: { name: string; kind: string; namespaced: boolean }[];
}

export interface KubeDiscoveryOptions {
  http: KubeHttp;
}

export class KubeDiscovery {
  private readonly http: KubeHttp;
  private readonly cache = new Map<string, Map<string, ResourceInfo>>();
  private readonly loading = new Map<string, Promise<Map<string, ResourceInfo>>>();

  constructor(options: KubeDiscoveryOptions) {
    this.http = options.http;
  }

  /** The resource serving `ref`; a kind missing from the cache re-reads its group-version, so CRDs added later are found. */
  async resolve(ref: KindRef): Promise<ResourceInfo> {
    if (!ref.apiVersion || !ref.kind) throw errors.badRequest('apiVersion and kind are required to address a resource');
    const cached = this.cache.get(ref.apiVersion)?.get(ref.kind);
    if (cached) return cached;
    const found = (await this.load(ref.apiVersion)).get(ref.kind);
    if (!found) throw errors.notFound('', 'kinds', `${ref.kind} in ${ref.apiVersion}`);
    return found;
  }

  /** Drops what is known about a group-version (after the server said a path of it does not exist). */
  forget(apiVersion: string): void {
    this.cache.delete(apiVersion);
  }

  private load(apiVersion: string): Promise<Map<string, ResourceInfo>> {
    const pending = this.loading.get(apiVersion);
    if (pending) return pending;
    const loaded = this.fetch(apiVersion).finally(() => this.loading.delete(apiVersion));
    this.loading.set(apiVersion, loaded);
    return loaded;
  }

  private async fetch(apiVersion: string): Promise<Map<string, ResourceInfo>> {
    const { group, version } = parseApiVersion(apiVersion);
    const path = group === '' ? `/api/${encodeURIComponent(version)}` : `/apis/${encodeURIComponent(group)}/${encodeURIComponent(version)}`;
    let list: ApiResourceList | undefined;
    try {
      list = await this.http.json<ApiResourceList>({ method: 'GET', path });
    } catch (err) {
      if (!(err instanceof FloeError && err.reason === 'NotFound')) throw err;
      list = undefined;
    }
    const kinds = new Map<string, ResourceInfo>();
    for (const r of list?.resources ?? []) {
      // Subresources (`pods/status`) share their kind with the resource they belong to.
      if (r.name.includes('/')) continue;
      kinds.set(r.kind, { group, version, kind: r.kind, plural: r.name, namespaced: r.namespaced });
    }
    if (kinds.size > 0) this.cache.set(apiVersion, kinds);
    else this.cache.delete(apiVersion);
    return kinds;
  }
}
