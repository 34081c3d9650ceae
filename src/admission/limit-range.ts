// LimitRange at admission (kube's LimitRanger): container defaults on new Pods, then min/max/ratio checks with kube's 403 messages.
import { FloeError } from '../api/errors.js';
import { isRecord, list, record, text, type JsonObject } from '../api/builtin/json.js';
import { parseQuantity, qosClass } from '../api/builtin/index.js';
import { formatQuantity, quantityFormatOf } from '../api/builtin/quantity-format.js';
import type { KubeObject } from '../api/meta.js';
import type { ResourceType } from '../api/resource-type.js';
import type { AdmissionAttributes, AdmissionPlugin } from '../server/api-handler.js';
import type { NamespaceReader } from './resource-quota.js';
import { podResources, type Usage } from './quota-usage.js';

export const LimitRangerAnnotation = 'kubernetes.io/limit-ranger';

/** Quantity.String() of a raw quantity. */
function show(raw: unknown): string {
  return formatQuantity(parseQuantity(raw) ?? 0, quantityFormatOf(raw));
}

function resources(container: JsonObject): { requests: JsonObject; limits: JsonObject } {
  const r = isRecord(container.resources) ? container.resources : (container.resources = {});
  const requests = isRecord(r.requests) ? r.requests : (r.requests = {});
  const limits = isRecord(r.limits) ? r.limits : (r.limits = {});
  return { requests, limits };
}

/** Fills unset container requests and limits from the Container items; returns the annotation parts (`cpu, memory request for container app`). */
function applyDefaults(pod: KubeObject, items: JsonObject[]): string[] {
  const defLimits: JsonObject = {};
  const defRequests: JsonObject = {};
  for (const item of items) {
    if (item.type !== 'Container') continue;
    Object.assign(defLimits, record(item.default));
    Object.assign(defRequests, record(item.defaultRequest));
  }
  if (Object.keys(defLimits).length === 0 && Object.keys(defRequests).length === 0) return [];
  const notes: string[] = [];
  const spec = record(pod.spec);
  const each = (containers: unknown, prefix: string): void => {
    for (const c of list(containers)) {
      if (!isRecord(c)) continue;
      const { requests, limits } = resources(c);
      const setLimits: string[] = [];
      const setRequests: string[] = [];
      for (const [k, v] of Object.entries(defLimits)) {
        if (!(k in limits)) {
          limits[k] = v;
          setLimits.push(k);
        }
      }
      for (const [k, v] of Object.entries(defRequests)) {
        if (!(k in requests)) {
          requests[k] = v;
          setRequests.push(k);
        }
      }
      const r = record(c.resources);
      if (Object.keys(requests).length === 0) delete r.requests;
      if (Object.keys(limits).length === 0) delete r.limits;
      const who = `${prefix} ${text(c.name)}`;
      if (setRequests.length > 0) notes.push(`${setRequests.sort().join(', ')} request for ${who}`);
      if (setLimits.length > 0) notes.push(`${setLimits.sort().join(', ')} limit for ${who}`);
    }
  };
  each(spec.containers, 'container');
  each(spec.initContainers, 'init container');
  return notes;
}

function minConstraint(kind: string, name: string, enforced: unknown, request: JsonObject, limit: JsonObject, errs: string[]): void {
  const min = parseQuantity(enforced) ?? 0;
  if (!(name in request)) {
    errs.push(`minimum ${name} usage per ${kind} is ${show(enforced)}.  No request is specified`);
    return;
  }
  if ((parseQuantity(request[name]) ?? 0) < min) errs.push(`minimum ${name} usage per ${kind} is ${show(enforced)}, but request is ${show(request[name])}`);
  else if (name in limit && (parseQuantity(limit[name]) ?? 0) < min) errs.push(`minimum ${name} usage per ${kind} is ${show(enforced)}, but limit is ${show(limit[name])}`);
}

function maxConstraint(kind: string, name: string, enforced: unknown, request: JsonObject, limit: JsonObject, errs: string[]): void {
  const max = parseQuantity(enforced) ?? 0;
  if (!(name in limit)) {
    errs.push(`maximum ${name} usage per ${kind} is ${show(enforced)}.  No limit is specified`);
    return;
  }
  if ((parseQuantity(limit[name]) ?? 0) > max) errs.push(`maximum ${name} usage per ${kind} is ${show(enforced)}, but limit is ${show(limit[name])}`);
  else if (name in request && (parseQuantity(request[name]) ?? 0) > max) errs.push(`maximum ${name} usage per ${kind} is ${show(enforced)}, but request is ${show(request[name])}`);
}

function maxRequestConstraint(kind: string, name: string, enforced: unknown, request: JsonObject, errs: string[]): void {
  if (!(name in request)) errs.push(`maximum ${name} usage per ${kind} is ${show(enforced)}.  No request is specified`);
  else if ((parseQuantity(request[name]) ?? 0) > (parseQuantity(enforced) ?? 0)) errs.push(`maximum ${name} usage per ${kind} is ${show(enforced)}, but request is ${show(request[name])}`);
}

function ratioConstraint(kind: string, name: string, enforced: unknown, request: JsonObject, limit: JsonObject, errs: string[]): void {
  const req = parseQuantity(request[name]) ?? 0;
  const lim = parseQuantity(limit[name]) ?? 0;
  if (!(name in request) || req === 0) {
    errs.push(`${name} max limit to request ratio per ${kind} is ${show(enforced)}, but no request is specified or request is 0`);
    return;
  }
  if (!(name in limit) || lim === 0) {
    errs.push(`${name} max limit to request ratio per ${kind} is ${show(enforced)}, but no limit is specified or limit is 0`);
    return;
  }
  const ratio = lim / req;
  if (ratio > (parseQuantity(enforced) ?? 0)) errs.push(`${name} max limit to request ratio per ${kind} is ${show(enforced)}, but provided ratio is ${ratio.toFixed(6)}`);
}

function asList(usage: Usage): JsonObject {
  return Object.fromEntries(Object.entries(usage).map(([k, v]) => [k, formatQuantity(v.value, v.format)]));
}

/** Every violation of the items by `pod` (kube's PodValidateLimitFunc), in item order. */
export function podLimitErrors(pod: KubeObject, items: JsonObject[]): string[] {
  const errs: string[] = [];
  const spec = record(pod.spec);
  for (const item of items) {
    const type = text(item.type);
    if (type === 'Container') {
      for (const c of [...list(spec.containers), ...list(spec.initContainers)]) {
        const r = record(record(c).resources);
        const requests = record(r.requests);
        const limits = record(r.limits);
        for (const [k, v] of Object.entries(record(item.min))) minConstraint('Container', k, v, requests, limits, errs);
        for (const [k, v] of Object.entries(record(item.max))) maxConstraint('Container', k, v, requests, limits, errs);
        for (const [k, v] of Object.entries(record(item.maxLimitRequestRatio))) ratioConstraint('Container', k, v, requests, limits, errs);
      }
    } else if (type === 'Pod') {
      const { requests, limits } = podResources(pod);
      const containers = [...list(spec.containers), ...list(spec.initContainers)].map((c) => record(record(record(c).resources).limits));
      // A Pod has a limit for a resource only when every container sets one.
      const limited = Object.fromEntries(Object.entries(asList(limits)).filter(([k]) => containers.every((l) => k in l)));
      const requested = asList(requests);
      for (const [k, v] of Object.entries(record(item.min))) minConstraint('Pod', k, v, requested, limited, errs);
      for (const [k, v] of Object.entries(record(item.max))) maxConstraint('Pod', k, v, requested, limited, errs);
      for (const [k, v] of Object.entries(record(item.maxLimitRequestRatio))) ratioConstraint('Pod', k, v, requested, limited, errs);
    }
  }
  return errs;
}

/** Violations by a PersistentVolumeClaim of the PersistentVolumeClaim items. */
export function claimLimitErrors(claim: KubeObject, items: JsonObject[]): string[] {
  const errs: string[] = [];
  const requests = record(record(record(claim.spec).resources).requests);
  for (const item of items) {
    if (item.type !== 'PersistentVolumeClaim') continue;
    for (const [k, v] of Object.entries(record(item.min))) minConstraint('PersistentVolumeClaim', k, v, requests, {}, errs);
    for (const [k, v] of Object.entries(record(item.max))) maxRequestConstraint('PersistentVolumeClaim', k, v, requests, errs);
  }
  return errs;
}

export interface LimitRangerOptions {
  read: NamespaceReader;
}

/**
 * kube-apiserver's LimitRanger: on Pod creation, the namespace's LimitRanges default each container's requests and
 * limits (noted in the `kubernetes.io/limit-ranger` annotation) and refuse what breaks min, max or
 * maxLimitRequestRatio; on claim creation, storage min/max. Forbidden (403) with every violation, as kube words it.
 */
export class LimitRanger implements AdmissionPlugin {
  private readonly read: NamespaceReader;

  constructor(options: LimitRangerOptions) {
    this.read = options.read;
  }

  handles(type: ResourceType): boolean {
    return type.group === '' && (type.plural === 'pods' || type.plural === 'persistentvolumeclaims');
  }

  admit(object: KubeObject, _old: KubeObject | undefined, attributes?: AdmissionAttributes): void {
    // Containers and their resources cannot change after creation, so kube checks Pods (and claims) on create only.
    if (!attributes || attributes.operation !== 'CREATE' || attributes.subresource !== undefined || !attributes.namespace) return;
    const ranges = this.read('', 'limitranges', attributes.namespace).sort((a, b) => (a.metadata.name ?? '').localeCompare(b.metadata.name ?? ''));
    if (ranges.length === 0) return;
    const errs: string[] = [];
    for (const range of ranges) {
      const items = list(record(range.spec).limits).filter(isRecord);
      if (attributes.type.plural === 'pods') {
        const notes = applyDefaults(object, items);
        if (notes.length > 0) {
          object.metadata.annotations = { ...(object.metadata.annotations ?? {}), [LimitRangerAnnotation]: `LimitRanger plugin set: ${notes.join('; ')}` };
          // kube-apiserver derives the QoS class after admission: from the defaulted resources.
          if (isRecord(object.status)) object.status.qosClass = qosClass(object.spec);
        }
        errs.push(...podLimitErrors(object, items));
      } else {
        errs.push(...claimLimitErrors(object, items));
      }
    }
    if (errs.length === 0) return;
    const meta = object.metadata;
    const name = meta.name || meta.generateName || 'Unknown';
    const plural = attributes.type.plural;
    const why = errs.length === 1 ? errs[0]! : `[${errs.join(', ')}]`;
    throw new FloeError('Forbidden', `${plural} "${name}" is forbidden: ${why}`, { details: { name, group: '', kind: plural } });
  }
}
