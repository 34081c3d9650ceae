// What one object charges against a ResourceQuota (kube's quota evaluators for pods, services, claims and object counts), pure.
import { parseQuantity, qosClass } from '../api/builtin/index.js';
import { isRecord, list, record, text } from '../api/builtin/json.js';
import { formatQuantity, quantityFormatOf, type QuantityFormat } from '../api/builtin/quantity-format.js';
import type { KubeObject } from '../api/meta.js';

/** A quantity with the format Kubernetes would print it in (the first operand's, as Quantity.Add keeps). */
export interface Amount {
  value: number;
  format: QuantityFormat;
}

/** Resource name → amount (kube's ResourceList). */
export type Usage = Record<string, Amount>;

export function amountOf(raw: unknown): Amount | undefined {
  const value = parseQuantity(raw);
  return value === undefined ? undefined : { value, format: quantityFormatOf(raw) };
}

const count = (n: number): Amount => ({ value: n, format: 'DecimalSI' });

export function add(a: Usage, b: Usage): Usage {
  const out: Usage = { ...a };
  for (const [k, v] of Object.entries(b)) {
    const have = out[k];
    out[k] = have ? { value: have.value + v.value, format: have.format } : { ...v };
  }
  return out;
}

/** a - b per key of a, never below zero (quota.SubtractWithNonNegativeResult). */
export function subtractNonNegative(a: Usage, b: Usage): Usage {
  const out: Usage = {};
  for (const [k, v] of Object.entries(a)) out[k] = { value: Math.max(0, v.value - (b[k]?.value ?? 0)), format: v.format };
  return out;
}

export function mask(usage: Usage, names: Iterable<string>): Usage {
  const out: Usage = {};
  for (const k of names) if (usage[k] !== undefined) out[k] = usage[k];
  return out;
}

export function removeZeros(usage: Usage): Usage {
  return Object.fromEntries(Object.entries(usage).filter(([, v]) => v.value !== 0));
}

/** kube's prettyPrint: `requests.cpu=500m,requests.memory=1Gi`, sorted by name. */
export function prettyPrint(usage: Usage): string {
  return Object.keys(usage)
    .sort()
    .map((k) => `${k}=${formatQuantity(usage[k]!.value, usage[k]!.format)}`)
    .join(',');
}

/** A ResourceList as status writes it. */
export function toResourceList(usage: Usage): Record<string, string> {
  return Object.fromEntries(Object.keys(usage).sort().map((k) => [k, formatQuantity(usage[k]!.value, usage[k]!.format)]));
}

export function fromResourceList(value: unknown): Usage {
  const out: Usage = {};
  for (const [k, raw] of Object.entries(record(value))) {
    const a = amountOf(raw);
    if (a) out[k] = a;
  }
  return out;
}

/** The group and plural a `count/<resource>[.<group>]` name counts, or undefined for other names. */
export function countedResource(name: string): { group: string; plural: string } | undefined {
  if (!name.startsWith('count/')) return undefined;
  const rest = name.slice('count/'.length);
  const dot = rest.indexOf('.');
  return dot < 0 ? { group: '', plural: rest } : { group: rest.slice(dot + 1), plural: rest.slice(0, dot) };
}

/** The object-count name of a kind, `count/pods` or `count/deployments.apps`. */
export function countName(group: string, plural: string): string {
  return group ? `count/${plural}.${group}` : `count/${plural}`;
}

/** The names kube's quota tracked before `count/…` existed, for the core kinds that have one. */
const legacyCounts: Record<string, string> = {
  pods: 'pods',
  services: 'services',
  replicationcontrollers: 'replicationcontrollers',
  resourcequotas: 'resourcequotas',
  secrets: 'secrets',
  configmaps: 'configmaps',
  persistentvolumeclaims: 'persistentvolumeclaims',
};

const computeNames = new Set(['cpu', 'memory', 'ephemeral-storage', 'requests.cpu', 'requests.memory', 'requests.ephemeral-storage', 'limits.cpu', 'limits.memory', 'limits.ephemeral-storage']);

/** Whether the quota evaluator of this kind tracks `name` (kube's Evaluator.MatchingResources). */
export function tracks(group: string, plural: string, name: string): boolean {
  if (name === countName(group, plural)) return true;
  if (group !== '') return false;
  if (legacyCounts[plural] === name) return true;
  if (plural === 'pods') return computeNames.has(name) || name.startsWith('requests.') || name.startsWith('limits.') || name.startsWith('hugepages-');
  if (plural === 'services') return name === 'services.loadbalancers' || name === 'services.nodeports';
  if (plural === 'persistentvolumeclaims') return name === 'requests.storage' || name.endsWith('.storageclass.storage.k8s.io/requests.storage') || name.endsWith('.storageclass.storage.k8s.io/persistentvolumeclaims');
  return false;
}

/** Whether a Pod no longer counts (kube's QuotaV1Pod: terminal phase, or deleted past its grace period). */
export function podIsTerminal(pod: KubeObject, now = Date.now()): boolean {
  const phase = text(record(pod.status).phase);
  if (phase === 'Succeeded' || phase === 'Failed') return true;
  const deleted = pod.metadata.deletionTimestamp;
  if (deleted) {
    const grace = pod.metadata.deletionGracePeriodSeconds ?? 0;
    if (Date.parse(deleted) + grace * 1000 < now) return true;
  }
  return false;
}

interface ContainerResources {
  requests: Usage;
  limits: Usage;
}

function containerResources(c: unknown): ContainerResources {
  const r = record(record(c).resources);
  const limits = fromResourceList(r.limits);
  // An unset request takes the limit, as the Pod defaults of kube-apiserver fill it in.
  const requests = { ...limits, ...fromResourceList(r.requests) };
  return { requests, limits };
}

function maxUsage(a: Usage, b: Usage): Usage {
  const out: Usage = { ...a };
  for (const [k, v] of Object.entries(b)) if (!out[k] || out[k].value < v.value) out[k] = v;
  return out;
}

/** A Pod's effective requests and limits: the sum of its containers, at least the largest init container, plus overhead. */
export function podResources(pod: KubeObject): ContainerResources {
  const spec = record(pod.spec);
  let requests: Usage = {};
  let limits: Usage = {};
  for (const c of list(spec.containers)) {
    const r = containerResources(c);
    requests = add(requests, r.requests);
    limits = add(limits, r.limits);
  }
  for (const c of list(spec.initContainers)) {
    const r = containerResources(c);
    requests = maxUsage(requests, r.requests);
    limits = maxUsage(limits, r.limits);
  }
  const overhead = fromResourceList(spec.overhead);
  if (Object.keys(overhead).length > 0) {
    requests = add(requests, overhead);
    limits = add(limits, mask(overhead, Object.keys(limits)));
  }
  return { requests, limits };
}

function podUsage(pod: KubeObject, now: number): Usage {
  const usage: Usage = { 'count/pods': count(1) };
  if (podIsTerminal(pod, now)) return usage;
  usage.pods = count(1);
  const { requests, limits } = podResources(pod);
  for (const [k, v] of Object.entries(requests)) {
    usage[`requests.${k}`] = v;
    if (k === 'cpu' || k === 'memory' || k === 'ephemeral-storage') usage[k] = v;
    if (k.startsWith('hugepages-')) usage[k] = v;
  }
  for (const [k, v] of Object.entries(limits)) if (k === 'cpu' || k === 'memory' || k === 'ephemeral-storage') usage[`limits.${k}`] = v;
  return usage;
}

function serviceUsage(service: KubeObject): Usage {
  const spec = record(service.spec);
  const usage: Usage = { services: count(1), 'count/services': count(1) };
  const type = text(spec.type);
  if (type === 'LoadBalancer') usage['services.loadbalancers'] = count(1);
  if (type === 'LoadBalancer' || type === 'NodePort') usage['services.nodeports'] = count(list(spec.ports).length);
  return usage;
}

function claimUsage(claim: KubeObject): Usage {
  const spec = record(claim.spec);
  const usage: Usage = { persistentvolumeclaims: count(1), 'count/persistentvolumeclaims': count(1) };
  const storage = amountOf(record(record(spec.resources).requests).storage);
  const className = text(spec.storageClassName);
  if (className) usage[`${className}.storageclass.storage.k8s.io/persistentvolumeclaims`] = count(1);
  if (storage) {
    usage['requests.storage'] = storage;
    if (className) usage[`${className}.storageclass.storage.k8s.io/requests.storage`] = storage;
  }
  return usage;
}

/** What `object` of kind group/plural charges (kube's Evaluator.Usage). */
export function usageOf(group: string, plural: string, object: KubeObject, now = Date.now()): Usage {
  if (group === '' && plural === 'pods') return podUsage(object, now);
  if (group === '' && plural === 'services') return serviceUsage(object);
  if (group === '' && plural === 'persistentvolumeclaims') return claimUsage(object);
  const usage: Usage = { [countName(group, plural)]: count(1) };
  const legacy = group === '' ? legacyCounts[plural] : undefined;
  if (legacy) usage[legacy] = count(1);
  return usage;
}

/** Whether a quota's scopes and scopeSelector select `pod` (only Pods have scopes; other kinds match unscoped quotas only). */
export function quotaMatches(quota: KubeObject, group: string, plural: string, object: KubeObject): boolean {
  const spec = record(quota.spec);
  const selectors: { scopeName: string; operator: string; values: string[] }[] = list(spec.scopes).map((s) => ({ scopeName: text(s), operator: 'Exists', values: [] }));
  for (const e of list(record(spec.scopeSelector).matchExpressions)) {
    const m = record(e);
    selectors.push({ scopeName: text(m.scopeName), operator: text(m.operator), values: list(m.values).map(text) });
  }
  if (selectors.length === 0) return true;
  if (!(group === '' && plural === 'pods')) return false;
  const podSpec = record(object.spec);
  return selectors.every((s) => {
    switch (s.scopeName) {
      case 'Terminating':
        return podSpec.activeDeadlineSeconds !== undefined && podSpec.activeDeadlineSeconds !== null;
      case 'NotTerminating':
        return podSpec.activeDeadlineSeconds === undefined || podSpec.activeDeadlineSeconds === null;
      case 'BestEffort':
        return qosClass(object.spec) === 'BestEffort';
      case 'NotBestEffort':
        return qosClass(object.spec) !== 'BestEffort';
      case 'PriorityClass': {
        const name = podSpec.priorityClassName;
        const has = typeof name === 'string' && name !== '';
        if (s.operator === 'Exists') return has;
        if (s.operator === 'DoesNotExist') return !has;
        if (s.operator === 'In') return has && s.values.includes(name);
        if (s.operator === 'NotIn') return !has || !s.values.includes(name);
        return false;
      }
      case 'CrossNamespacePodAffinity': {
        const affinity = record(podSpec.affinity);
        const terms = [...list(record(affinity.podAffinity).requiredDuringSchedulingIgnoredDuringExecution), ...list(record(affinity.podAntiAffinity).requiredDuringSchedulingIgnoredDuringExecution)];
        return terms.some((t) => isRecord(t) && (list(t.namespaces).length > 0 || t.namespaceSelector !== undefined));
      }
      default:
        return false;
    }
  });
}

const constrained = ['cpu', 'memory', 'requests.cpu', 'requests.memory', 'limits.cpu', 'limits.memory'];

/**
 * kube's podEvaluator.Constraints: when a quota tracks cpu or memory, every container must state it.
 * Returns `must specify limits.cpu for: app; requests.memory for: app,side` or undefined.
 */
export function podConstraintError(pod: KubeObject, required: Iterable<string>): string | undefined {
  const requiredSet = new Set([...required].filter((r) => constrained.includes(r)));
  if (requiredSet.size === 0) return undefined;
  const missing = new Map<string, Set<string>>();
  const spec = record(pod.spec);
  for (const c of [...list(spec.containers), ...list(spec.initContainers)]) {
    const r = record(record(c).resources);
    const has = new Set<string>();
    for (const k of Object.keys(record(r.requests))) if (k === 'cpu' || k === 'memory') has.add(k).add(`requests.${k}`);
    for (const k of Object.keys(record(r.limits))) if (k === 'cpu' || k === 'memory') has.add(`limits.${k}`);
    for (const need of requiredSet) {
      if (!has.has(need)) {
        const names = missing.get(need) ?? new Set<string>();
        names.add(text(record(c).name));
        missing.set(need, names);
      }
    }
  }
  if (missing.size === 0) return undefined;
  const parts = [...missing.keys()].sort().map((k) => `${k} for: ${[...missing.get(k)!].sort().join(',')}`);
  return `must specify ${parts.join('; ')}`;
}
