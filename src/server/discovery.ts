// Discovery documents (/api, /apis, group versions), /version, and the OpenAPI v3 documents kubectl reads.
import { createHash } from 'node:crypto';
import { apiVersionOf } from '../api/meta.js';
import type { ResourceRegistry } from '../api/registry.js';
import type { JSONSchemaProps, ResourceType } from '../api/resource-type.js';

export const floeVersion = {
  major: '1',
  minor: '32',
  gitVersion: 'v1.32.0-floe.0.1.0',
  gitCommit: 'floe',
  gitTreeState: 'clean',
  buildDate: '2026-11-28T00:00:00Z',
  goVersion: 'node' + process.versions.node,
  compiler: 'tsc',
  platform: `${process.platform}/${process.arch}`,
};

export function apiVersions(serverAddress: string): unknown {
  return { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress }] };
}

function groupDoc(g: { group: string; versions: string[]; preferred: string }): unknown {
  return {
    name: g.group,
    versions: g.versions.map((v) => ({ groupVersion: apiVersionOf(g.group, v), version: v })),
    preferredVersion: { groupVersion: apiVersionOf(g.group, g.preferred), version: g.preferred },
  };
}

export function apiGroupList(registry: ResourceRegistry): unknown {
  return { kind: 'APIGroupList', apiVersion: 'v1', groups: registry.groups().filter((g) => g.group !== '').map(groupDoc) };
}

export function apiGroup(registry: ResourceRegistry, group: string): object | undefined {
  const g = registry.groups().find((x) => x.group === group && group !== '');
  return g ? { kind: 'APIGroup', apiVersion: 'v1', ...(groupDoc(g) as object) } : undefined;
}

export function apiResourceList(registry: ResourceRegistry, group: string, version: string): object | undefined {
  const types = registry.inGroupVersion(group, version);
  if (types.length === 0) return undefined;
  const resources: unknown[] = [];
  for (const t of types.sort((a, b) => a.plural.localeCompare(b.plural))) {
    const entry: Record<string, unknown> = {
      name: t.plural,
      singularName: t.singular,
      namespaced: t.namespaced,
      kind: t.kind,
      verbs: t.verbs,
      storageVersionHash: createHash('sha256').update(`${t.group}/${t.storageVersion}/${t.kind}`).digest('base64').slice(0, 11),
    };
    if (t.shortNames.length > 0) entry.shortNames = t.shortNames;
    if (t.categories.length > 0) entry.categories = t.categories;
    resources.push(entry);
    if (t.group === '' && t.plural === 'pods') {
      resources.push({ name: 'pods/log', singularName: '', namespaced: true, kind: 'Pod', verbs: ['get'] });
    }
    if (t.statusSubresource) {
      resources.push({ name: `${t.plural}/status`, singularName: '', namespaced: t.namespaced, kind: t.kind, verbs: ['get', 'patch', 'update'] });
    }
    if (t.scale) {
      resources.push({ name: `${t.plural}/scale`, singularName: '', namespaced: t.namespaced, group: 'autoscaling', version: 'v1', kind: 'Scale', verbs: ['get', 'patch', 'update'] });
    }
    for (const [name, sub] of Object.entries(t.createSubresources ?? {})) {
      resources.push({ name: `${t.plural}/${name}`, singularName: '', namespaced: t.namespaced, group: sub.group, version: sub.version, kind: sub.kind, verbs: ['create'] });
    }
  }
  return { kind: 'APIResourceList', apiVersion: 'v1', groupVersion: apiVersionOf(group, version), resources };
}

/** `/openapi/v3`: one entry per group-version, each pointing at its document. */
export function openApiV3Root(registry: ResourceRegistry): unknown {
  const paths: Record<string, { serverRelativeURL: string }> = {};
  for (const g of registry.groups()) {
    for (const v of g.versions) {
      const p = g.group === '' ? `api/${v}` : `apis/${g.group}/${v}`;
      paths[p] = { serverRelativeURL: `/openapi/v3/${p}?hash=${registry.version()}` };
    }
  }
  return { paths };
}

const writeParams = ['dryRun', 'fieldManager', 'fieldValidation'].map((name) => ({ name, in: 'query', schema: { type: 'string', uniqueItems: true } }));

/**
 * A group-version's OpenAPI v3 document: paths with the `x-kubernetes-group-version-kind` and the
 * `fieldValidation` parameter (which tells kubectl to validate on the server), and each kind's schema.
 */
export function openApiV3GroupVersion(registry: ResourceRegistry, group: string, version: string): object | undefined {
  const types = registry.inGroupVersion(group, version);
  if (types.length === 0) return undefined;
  const paths: Record<string, unknown> = {};
  const schemas: Record<string, unknown> = {};
  const prefix = group === '' ? `/api/${version}` : `/apis/${group}/${version}`;
  for (const t of types) {
    const gvk = { group: t.group, version: t.version, kind: t.kind };
    const ref = { $ref: `#/components/schemas/${schemaName(t)}` };
    const op = (action: string, extra: Record<string, unknown> = {}): unknown => ({
      'x-kubernetes-action': action,
      'x-kubernetes-group-version-kind': gvk,
      parameters: writeParams,
      responses: { '200': { content: { 'application/json': { schema: ref } } } },
      ...extra,
    });
    const base = t.namespaced ? `${prefix}/namespaces/{namespace}/${t.plural}` : `${prefix}/${t.plural}`;
    const post = op('post', { requestBody: { content: { '*/*': { schema: ref } } } });
    if (t.review) {
      paths[base] = { post };
      schemas[schemaName(t)] = { ...withKubeMeta(t.schema), 'x-kubernetes-group-version-kind': [gvk] };
      continue;
    }
    paths[base] = { get: op('list'), post };
    paths[`${base}/{name}`] = { get: op('get'), put: op('put'), patch: op('patch'), delete: op('delete') };
    if (t.statusSubresource) paths[`${base}/{name}/status`] = { get: op('get'), put: op('put'), patch: op('patch') };
    schemas[schemaName(t)] = { ...withKubeMeta(t.schema), 'x-kubernetes-group-version-kind': [gvk] };
  }
  schemas['io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta'] = { type: 'object', 'x-kubernetes-preserve-unknown-fields': true };
  return { openapi: '3.0.0', info: { title: 'Floe', version: floeVersion.gitVersion }, paths, components: { schemas } };
}

function schemaName(t: ResourceType): string {
  const reversed = t.group === '' ? 'io.k8s.api.core' : t.group.split('.').reverse().join('.');
  return `${reversed}.${t.version}.${t.kind}`;
}

function withKubeMeta(schema: JSONSchemaProps | undefined): Record<string, unknown> {
  const base: Record<string, unknown> = schema ? { ...schema } : { type: 'object', 'x-kubernetes-preserve-unknown-fields': true };
  const properties = { ...((base.properties as Record<string, unknown> | undefined) ?? {}) };
  properties.apiVersion = { type: 'string', description: 'APIVersion defines the versioned schema of this representation of an object.' };
  properties.kind = { type: 'string', description: 'Kind is a string value representing the REST resource this object represents.' };
  properties.metadata = { $ref: '#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta' };
  base.properties = properties;
  base.type = 'object';
  return base;
}
