// ResourceQuota at admission: the request's usage added to what the namespace already uses, refused with kube's 403 past `hard`.
import { FloeError } from '../api/errors.js';
import { record } from '../api/builtin/json.js';
import type { KubeObject } from '../api/meta.js';
import type { AdmissionAttributes, AdmissionPlugin } from '../server/api-handler.js';
import type { ResourceType } from '../api/resource-type.js';
import {
  add,
  countedResource,
  fromResourceList,
  mask,
  podConstraintError,
  prettyPrint,
  quotaMatches,
  removeZeros,
  subtractNonNegative,
  tracks,
  usageOf,
  type Usage,
} from './quota-usage.js';

/** Reads the objects of one kind in one namespace (the store, synchronously, in embedded mode). */
export type NamespaceReader = (group: string, plural: string, namespace: string) => KubeObject[];

const legacyKinds: Record<string, string> = {
  pods: 'pods',
  services: 'services',
  persistentvolumeclaims: 'persistentvolumeclaims',
  configmaps: 'configmaps',
  secrets: 'secrets',
  replicationcontrollers: 'replicationcontrollers',
  resourcequotas: 'resourcequotas',
};

/** The kind whose objects a quota resource name counts. */
export function kindOfName(name: string): { group: string; plural: string } | undefined {
  const counted = countedResource(name);
  if (counted) return counted;
  if (legacyKinds[name]) return { group: '', plural: legacyKinds[name] };
  if (name === 'requests.storage' || name.includes('.storageclass.storage.k8s.io/')) return { group: '', plural: 'persistentvolumeclaims' };
  if (name.startsWith('services.')) return { group: '', plural: 'services' };
  if (['cpu', 'memory', 'ephemeral-storage'].includes(name) || name.startsWith('requests.') || name.startsWith('limits.') || name.startsWith('hugepages-')) {
    return { group: '', plural: 'pods' };
  }
  return undefined;
}

/** What the namespace uses of each resource `quota` names, from the objects as they are now (the quota controller's sum). */
export function liveUsage(quota: KubeObject, read: NamespaceReader, now = Date.now()): Usage {
  const hard = Object.keys(record(record(quota.spec).hard));
  const namespace = quota.metadata.namespace ?? '';
  const byKind = new Map<string, { group: string; plural: string; names: string[] }>();
  for (const name of hard) {
    const kind = kindOfName(name);
    if (!kind) continue;
    const key = `${kind.group}/${kind.plural}`;
    const entry = byKind.get(key) ?? { ...kind, names: [] };
    entry.names.push(name);
    byKind.set(key, entry);
  }
  let used: Usage = {};
  for (const name of hard) used[name] = { value: 0, format: fromResourceList(record(record(quota.spec).hard))[name]?.format ?? 'DecimalSI' };
  for (const { group, plural, names } of byKind.values()) {
    for (const object of read(group, plural, namespace)) {
      if (!quotaMatches(quota, group, plural, object)) continue;
      used = add(used, mask(usageOf(group, plural, object, now), names));
    }
  }
  return used;
}

function forbidden(attributes: AdmissionAttributes, object: KubeObject, why: string): FloeError {
  const { group, plural } = attributes.type;
  const meta = object.metadata;
  // kube-apiserver names the object before the random suffix is added: the generateName.
  const generated = meta.generateName && meta.name?.startsWith(meta.generateName) && meta.name.length === meta.generateName.length + 5;
  const name = (generated ? meta.generateName : meta.name) || 'Unknown';
  const resource = group ? `${plural}.${group}` : plural;
  return new FloeError('Forbidden', `${resource} "${name}" is forbidden: ${why}`, { details: { name, group, kind: plural } });
}

export interface ResourceQuotaAdmissionOptions {
  read: NamespaceReader;
  now?: () => number;
}

/**
 * kube-apiserver's ResourceQuota plug-in, validating, last before the write: for each quota in the namespace that
 * selects the object, the constraints (containers must state cpu/memory a quota tracks), then used + requested ≤ hard.
 * `used` is summed from the stored objects at this moment (kube reads status.used, which its controller keeps equal
 * to the same sum); the write follows synchronously, so two requests cannot both take the last unit.
 */
export class ResourceQuotaAdmission implements AdmissionPlugin {
  private readonly read: NamespaceReader;
  private readonly now: () => number;

  constructor(options: ResourceQuotaAdmissionOptions) {
    this.read = options.read;
    this.now = options.now ?? Date.now;
  }

  handles(type: ResourceType): boolean {
    return type.namespaced;
  }

  admit(object: KubeObject, old: KubeObject | undefined, attributes?: AdmissionAttributes): void {
    if (!attributes || (attributes.operation !== 'CREATE' && attributes.operation !== 'UPDATE')) return;
    const namespace = attributes.namespace;
    if (!namespace) return;
    const quotas = this.read('', 'resourcequotas', namespace).sort((a, b) => (a.metadata.name ?? '').localeCompare(b.metadata.name ?? ''));
    if (quotas.length === 0) return;
    const { group, plural } = attributes.type;
    // kube's evaluators charge Pods and plain object counts on create only; Services and claims also on update.
    if (attributes.operation === 'UPDATE' && !(group === '' && (plural === 'services' || plural === 'persistentvolumeclaims'))) return;
    if (attributes.subresource === 'status') return;
    const now = this.now();
    const input = usageOf(group, plural, object, now);
    for (const quota of quotas) {
      if (!quotaMatches(quota, group, plural, object)) continue;
      const hard = fromResourceList(record(record(quota.spec).hard));
      const restricted = Object.keys(hard).filter((name) => tracks(group, plural, name));
      if (restricted.length === 0) continue;
      if (group === '' && plural === 'pods') {
        const missing = podConstraintError(object, restricted);
        if (missing) throw forbidden(attributes, object, `failed quota: ${quota.metadata.name ?? ''}: ${missing}`);
      }
      let delta = input;
      if (attributes.operation === 'UPDATE' && old && quotaMatches(quota, group, plural, old)) delta = subtractNonNegative(input, usageOf(group, plural, old, now));
      const requested = removeZeros(mask(delta, restricted));
      if (Object.keys(requested).length === 0) continue;
      const used = liveUsage(quota, this.read, now);
      const exceeded = Object.keys(requested).filter((name) => (used[name]?.value ?? 0) + requested[name]!.value > hard[name]!.value);
      if (exceeded.length > 0) {
        const usedShown: Usage = {};
        for (const name of exceeded) usedShown[name] = used[name] ?? { value: 0, format: 'DecimalSI' };
        throw forbidden(
          attributes,
          object,
          `exceeded quota: ${quota.metadata.name ?? ''}, requested: ${prettyPrint(mask(requested, exceeded))}, used: ${prettyPrint(usedShown)}, limited: ${prettyPrint(mask(hard, exceeded))}`,
        );
      }
    }
  }
}
