// The group/version/kind registry: which kinds are served, found by URL segment, kind, or kubectl's short names.
import { apiVersionOf, parseApiVersion } from './meta.js';
import type { ResourceType } from './resource-type.js';

export interface GroupVersions {
  group: string;
  versions: string[];
  preferred: string;
}

/** Built-in groups and CRD groups: kube-apiserver lists legacy core first, then groups by priority. */
export class ResourceRegistry {
  private readonly byResource = new Map<string, ResourceType>();
  private readonly byKind = new Map<string, ResourceType>();
  private readonly listeners = new Set<() => void>();
  private generation = 0;

  /** Adds or replaces the types a source serves (all versions of one CRD, say). */
  register(types: ResourceType[]): void {
    for (const t of types) {
      this.byResource.set(key(t.group, t.version, t.plural), t);
      this.byKind.set(key(t.group, t.version, t.kind), t);
    }
    this.changed();
  }

  /** Removes every type a CRD served. */
  unregisterCrd(crdName: string): ResourceType[] {
    const removed = this.all().filter((t) => t.source.from === 'crd' && t.source.crdName === crdName);
    for (const t of removed) {
      this.byResource.delete(key(t.group, t.version, t.plural));
      this.byKind.delete(key(t.group, t.version, t.kind));
    }
    if (removed.length > 0) this.changed();
    return removed;
  }

  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Increments on every change; caches of discovery documents key on it. */
  version(): number {
    return this.generation;
  }

  byPlural(group: string, version: string, plural: string): ResourceType | undefined {
    return this.byResource.get(key(group, version, plural));
  }

  byApiVersionKind(apiVersion: string, kind: string): ResourceType | undefined {
    const { group, version } = parseApiVersion(apiVersion);
    return this.byKind.get(key(group, version, kind));
  }

  all(): ResourceType[] {
    return [...this.byResource.values()];
  }

  /** Served groups with their versions, the storage/preferred version first. Core ('') first. */
  groups(): GroupVersions[] {
    const groups = new Map<string, { versions: Set<string>; preferred: string }>();
    for (const t of this.all()) {
      const g = groups.get(t.group) ?? { versions: new Set<string>(), preferred: t.storageVersion };
      g.versions.add(t.version);
      groups.set(t.group, g);
    }
    return [...groups.entries()]
      .map(([group, g]) => ({
        group,
        versions: [...g.versions].sort((a, b) => compareVersions(b, a)),
        preferred: g.versions.has(g.preferred) ? g.preferred : [...g.versions].sort((a, b) => compareVersions(b, a))[0] ?? '',
      }))
      .sort((a, b) => (a.group === '' ? -1 : b.group === '' ? 1 : a.group.localeCompare(b.group)));
  }

  inGroupVersion(group: string, version: string): ResourceType[] {
    return this.all().filter((t) => t.group === group && t.version === version);
  }

  /** The type objects of a kind are stored as (the storage version). */
  storageTypeOf(t: ResourceType): ResourceType {
    return this.byPlural(t.group, t.storageVersion, t.plural) ?? t;
  }

  apiVersionOf(t: ResourceType): string {
    return apiVersionOf(t.group, t.version);
  }

  private changed(): void {
    this.generation++;
    for (const l of this.listeners) l();
  }
}

function key(group: string, version: string, name: string): string {
  return `${group}|${version}|${name}`;
}

/** Kubernetes version priority: GA > beta > alpha, then by number (v1 > v1beta2 > v1beta1 > v1alpha1). */
export function compareVersions(a: string, b: string): number {
  const parse = (v: string): [number, number, number] | undefined => {
    const m = /^v(\d+)(?:(alpha|beta)(\d+))?$/.exec(v);
    if (!m) return undefined;
    const stage = m[2] === undefined ? 3 : m[2] === 'beta' ? 2 : 1;
    return [stage, Number(m[1]), Number(m[3] ?? 0)];
  };
  const pa = parse(a);
  const pb = parse(b);
  if (!pa && !pb) return b.localeCompare(a);
  if (!pa) return -1;
  if (!pb) return 1;
  return pa[0] - pb[0] || pa[1] - pb[1] || pa[2] - pb[2];
}
