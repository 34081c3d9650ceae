// Kind names as users type them (plural, singular, kind, short name, category, `name.group`) resolved through discovery.
import { FloeError } from '../api/errors.js';
import { apiVersionOf, parseApiVersion } from '../api/meta.js';
import type { KubeHttp } from '../client/kube-http.js';
import { CliError } from './cli-error.js';

/** One served resource, with everything discovery says about how users may name it. */
export interface ApiResource {
  group: string;
  version: string;
  kind: string;
  plural: string;
  singular: string;
  namespaced: boolean;
  shortNames: string[];
  verbs: string[];
  categories: string[];
}

interface ApiResourceList {
  resources?: { name: string; singularName?: string; kind: string; namespaced: boolean; shortNames?: string[]; verbs?: string[]; categories?: string[] }[];
}

interface ApiGroupList {
  groups?: { name: string; versions?: { version: string }[]; preferredVersion?: { version: string } }[];
}

export interface ResourceCatalogOptions {
  http: KubeHttp;
  /** How often to re-read discovery while waiting for a kind a CRD of this run is about to serve. */
  pollMs?: number;
}

export class ResourceCatalog {
  private readonly http: KubeHttp;
  private readonly pollMs: number;
  private everything: Promise<ApiResource[]> | undefined;
  private readonly groupVersions = new Map<string, ApiResource[]>();

  constructor(options: ResourceCatalogOptions) {
    this.http = options.http;
    this.pollMs = options.pollMs ?? 200;
  }

  /**
   * Every resource the server serves, core first: each at its group's preferred version, or, for a resource only
   * another version serves (Katib's v1beta1 beside the training operator's v1 in kubeflow.org), at that version,
   * as kubectl's ServerPreferredResources does.
   */
  all(): Promise<ApiResource[]> {
    this.everything ??= this.loadAll();
    return this.everything;
  }

  /**
   * The resources `name` means, as kubectl reads it: `pods`, `pod`, `Pod`, `po`, `widgets.example.floe.dev`,
   * `widget.v1.example.floe.dev`, or a category such as `all` (several resources).
   */
  async resolve(name: string): Promise<ApiResource[]> {
    const wanted = name.trim().toLowerCase();
    if (wanted === '') throw new CliError('a resource type is required, such as `pods` or `configmaps`');
    const all = await this.all();
    const matches = (r: ApiResource, token: string): boolean =>
      r.plural === token || r.singular === token || r.kind.toLowerCase() === token || r.shortNames.includes(token);
    const direct = all.filter((r) => matches(r, wanted));
    if (direct.length > 0) return [direct[0]!];
    const dot = wanted.indexOf('.');
    if (dot > 0) {
      const token = wanted.slice(0, dot);
      const rest = wanted.slice(dot + 1);
      const inGroup = all.filter((r) => r.group === rest && matches(r, token));
      if (inGroup.length > 0) return [inGroup[0]!];
      const versionDot = rest.indexOf('.');
      if (versionDot > 0) {
        const version = rest.slice(0, versionDot);
        const group = rest.slice(versionDot + 1);
        const exact = await this.groupVersion(group, version);
        const found = exact.find((r) => matches(r, token));
        if (found) return [found];
      }
    }
    const category = all.filter((r) => r.categories.includes(wanted));
    if (category.length > 0) return category;
    throw new CliError(`the server doesn't have a resource type "${name}": see \`floe api-resources\` for the kinds it serves`);
  }

  /** Exactly one resource for `name` (a category such as `all` is refused). */
  async resolveOne(name: string): Promise<ApiResource> {
    const found = await this.resolve(name);
    if (found.length !== 1) throw new CliError(`"${name}" names ${found.length} resource types: name one, such as \`${found[0]?.plural ?? 'pods'}\``);
    return found[0]!;
  }

  /**
   * The resource serving a manifest's apiVersion and kind. A kind missing from what is cached re-reads its
   * group-version; with `waitMs` (a CRD was just created) it keeps re-reading until the kind is served.
   */
  async forKind(apiVersion: string, kind: string, options: { waitMs?: number } = {}): Promise<ApiResource> {
    const { group, version } = parseApiVersion(apiVersion);
    const deadline = Date.now() + (options.waitMs ?? 0);
    let found = this.groupVersions.get(apiVersion)?.find((r) => r.kind === kind);
    for (;;) {
      if (found) return found;
      this.groupVersions.delete(apiVersion);
      found = (await this.groupVersion(group, version)).find((r) => r.kind === kind);
      if (found || Date.now() >= deadline) break;
      await new Promise((resolve) => setTimeout(resolve, this.pollMs));
    }
    if (found) return found;
    throw new CliError(unservedKindMessage(kind, apiVersion));
  }

  private async groupVersion(group: string, version: string): Promise<ApiResource[]> {
    const key = apiVersionOf(group, version);
    const cached = this.groupVersions.get(key);
    if (cached) return cached;
    const path = group === '' ? `/api/${encodeURIComponent(version)}` : `/apis/${encodeURIComponent(group)}/${encodeURIComponent(version)}`;
    let list: ApiResourceList | undefined;
    try {
      list = await this.http.json<ApiResourceList>({ method: 'GET', path });
    } catch (err) {
      if (!(err instanceof FloeError && err.reason === 'NotFound' && err.cause === undefined)) throw err;
    }
    const resources: ApiResource[] = [];
    for (const r of list?.resources ?? []) {
      // Subresources (`pods/status`, `pods/log`) share their kind with the resource they belong to.
      if (r.name.includes('/')) continue;
      resources.push({
        group,
        version,
        kind: r.kind,
        plural: r.name,
        singular: r.singularName || r.kind.toLowerCase(),
        namespaced: r.namespaced,
        shortNames: r.shortNames ?? [],
        verbs: r.verbs ?? [],
        categories: r.categories ?? [],
      });
    }
    if (resources.length > 0) this.groupVersions.set(key, resources);
    return resources;
  }

  private async loadAll(): Promise<ApiResource[]> {
    const groups = (await this.http.json<ApiGroupList>({ method: 'GET', path: '/apis' })).groups ?? [];
    const wanted: { group: string; version: string }[] = [{ group: '', version: 'v1' }];
    for (const g of groups) {
      const preferred = g.preferredVersion?.version ?? g.versions?.[0]?.version;
      const versions = [...new Set([preferred, ...(g.versions ?? []).map((v) => v.version)])].filter((v): v is string => v !== undefined);
      for (const version of versions) wanted.push({ group: g.name, version });
    }
    const lists = await Promise.all(wanted.map((gv) => this.groupVersion(gv.group, gv.version)));
    const seen = new Set<string>();
    return lists.flat().filter((r) => {
      const key = `${r.group}/${r.plural}`;
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    });
  }
}

/** How kubectl names a kind in its output: `configmap`, `widget.example.floe.dev`. */
export function qualifiedKind(r: ApiResource): string {
  return r.group === '' ? r.kind.toLowerCase() : `${r.kind.toLowerCase()}.${r.group}`;
}

/** How kubectl names a resource in messages: `configmaps`, `widgets.example.floe.dev`. */
export function qualifiedPlural(r: ApiResource): string {
  return r.group === '' ? r.plural : `${r.plural}.${r.group}`;
}

export function apiVersionOfResource(r: ApiResource): string {
  return apiVersionOf(r.group, r.version);
}

/** The collection URL; a namespaced resource without a namespace addresses every namespace. */
export function collectionPath(r: ApiResource, namespace: string | undefined): string {
  const base = r.group === '' ? `/api/${r.version}` : `/apis/${r.group}/${r.version}`;
  const scope = r.namespaced && namespace ? `/namespaces/${encodeURIComponent(namespace)}` : '';
  return `${base}${scope}/${r.plural}`;
}

export function objectPath(r: ApiResource, namespace: string | undefined, name: string): string {
  return `${collectionPath(r, namespace)}/${encodeURIComponent(name)}`;
}

/** Kubernetes' own API groups: the legacy core group, the unsuffixed ones and everything under k8s.io. */
function isKubernetesGroup(group: string): boolean {
  return group === '' || ['apps', 'batch', 'autoscaling', 'policy', 'extensions'].includes(group) || group === 'k8s.io' || group.endsWith('.k8s.io');
}

/**
 * Why a manifest's kind cannot be applied: Floe does not serve it. A Kubernetes kind is one Floe does not implement;
 * any other kind is served only once a CustomResourceDefinition declares it.
 */
export function unservedKindMessage(kind: string, apiVersion: string): string {
  const { group } = parseApiVersion(apiVersion);
  const head = `no matches for kind "${kind}" in version "${apiVersion}"`;
  if (isKubernetesGroup(group)) {
    return `${head}: this Kubernetes kind is not served by Floe (\`floe api-resources\` lists the kinds and versions it serves; docs/compatibility.md lists what it leaves out)`;
  }
  return `${head}: the kind is not served by Floe: no CustomResourceDefinition declares it (apply its CRD first; \`floe api-resources\` lists what is served)`;
}
