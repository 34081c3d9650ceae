// core/v1 Pod: its ResourceType, the defaults kube-apiserver fills (with its admission plugins), QoS class and field selectors.
import type { KubeObject } from '../meta.js';
import type { ResourceType } from '../resource-type.js';
import { builtinType } from './builtin-type.js';
import { isRecord, list, record, text } from './json.js';
import { podCells, podColumns } from './pod-printer.js';
import { validatePod, volumeSources } from './pod-validation.js';
import { parseQuantity } from './quantity.js';

export type QosClass = 'BestEffort' | 'Burstable' | 'Guaranteed';

/** Built-in PriorityClasses the Priority admission plugin knows without any PriorityClass object. */
const systemPriorities: Readonly<Record<string, number>> = { 'system-cluster-critical': 2000000000, 'system-node-critical': 2000001000 };

/** Taints the DefaultTolerationSeconds admission plugin tolerates for five minutes. */
const defaultTolerationKeys = ['node.kubernetes.io/not-ready', 'node.kubernetes.io/unreachable'];

/** imagePullPolicy when unset: Always for `:latest` or an untagged, undigested image; IfNotPresent otherwise. */
export function defaultPullPolicy(image: string): 'Always' | 'IfNotPresent' {
  if (image === '') return 'IfNotPresent';
  const at = image.indexOf('@');
  const name = at < 0 ? image : image.slice(0, at);
  const colon = name.lastIndexOf(':');
  const tag = colon > name.lastIndexOf('/') ? name.slice(colon + 1) : '';
  if (tag === '') return at < 0 ? 'Always' : 'IfNotPresent';
  return tag === 'latest' ? 'Always' : 'IfNotPresent';
}

function defaultContainer(value: unknown): void {
  if (!isRecord(value)) return;
  const c = value;
  if (!text(c.imagePullPolicy)) c.imagePullPolicy = defaultPullPolicy(text(c.image));
  if (!text(c.terminationMessagePath)) c.terminationMessagePath = '/dev/termination-log';
  if (!text(c.terminationMessagePolicy)) c.terminationMessagePolicy = 'File';
  for (const port of list(c.ports)) if (isRecord(port) && !text(port.protocol)) port.protocol = 'TCP';
  if (!isRecord(c.resources)) c.resources = {};
  const resources = c.resources as Record<string, unknown>;
  // Requests default to limits, resource by resource.
  if (isRecord(resources.limits)) {
    const requests = isRecord(resources.requests) ? resources.requests : {};
    for (const [name, q] of Object.entries(resources.limits)) if (!(name in requests)) requests[name] = q;
    if (Object.keys(requests).length > 0) resources.requests = requests;
  }
}

/**
 * What a Pod looks like after kube-apiserver stores it: API defaults (restartPolicy, dnsPolicy, ...),
 * admission (serviceAccountName, priority, not-ready/unreachable tolerations) and the create-time status.
 * Idempotent, because it also runs on every update.
 */
export function defaultPod(pod: KubeObject): void {
  if (!isRecord(pod.spec)) pod.spec = {};
  const spec = pod.spec as Record<string, unknown>;
  if (!isRecord(spec.securityContext)) spec.securityContext = {};
  if (!text(spec.restartPolicy)) spec.restartPolicy = 'Always';
  if (!text(spec.dnsPolicy)) spec.dnsPolicy = 'ClusterFirst';
  if (!text(spec.schedulerName)) spec.schedulerName = 'default-scheduler';
  spec.terminationGracePeriodSeconds ??= 30;
  spec.enableServiceLinks ??= true;
  // serviceAccount is the deprecated mirror of serviceAccountName; the ServiceAccount admission plugin names 'default'.
  const serviceAccount = text(spec.serviceAccountName) || text(spec.serviceAccount) || 'default';
  spec.serviceAccountName = serviceAccount;
  spec.serviceAccount = serviceAccount;
  const priorityClass = text(spec.priorityClassName);
  if (spec.priority === undefined || spec.priority === null) {
    if (!priorityClass) spec.priority = 0;
    else if (priorityClass in systemPriorities) spec.priority = systemPriorities[priorityClass];
  }
  if (!text(spec.preemptionPolicy) && (!priorityClass || priorityClass in systemPriorities)) spec.preemptionPolicy = 'PreemptLowerPriority';
  for (const volume of list(spec.volumes)) {
    if (isRecord(volume) && !volumeSources.some((s) => volume[s] !== undefined && volume[s] !== null)) volume.emptyDir = {};
  }
  for (const c of list(spec.initContainers)) defaultContainer(c);
  for (const c of list(spec.containers)) defaultContainer(c);
  if (spec.tolerations === undefined || spec.tolerations === null) spec.tolerations = [];
  if (Array.isArray(spec.tolerations)) {
    const tolerations = spec.tolerations as unknown[];
    for (const key of defaultTolerationKeys) {
      const covered = tolerations.some((t) => isRecord(t) && (text(t.key) === key || !text(t.key)) && (text(t.effect) === 'NoExecute' || !text(t.effect)));
      if (!covered) tolerations.push({ key, operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 });
    }
  }
  if (!isRecord(pod.status)) pod.status = {};
  const status = pod.status as Record<string, unknown>;
  if (!text(status.phase)) status.phase = 'Pending';
  if (!text(status.qosClass)) status.qosClass = qosClass(spec);
}

/** The QoS class kube-apiserver records in status.qosClass, from the containers' cpu and memory requests and limits. */
export function qosClass(spec: unknown): QosClass {
  const s = record(spec);
  const requests = new Map<string, number>();
  const limits = new Map<string, number>();
  let guaranteed = true;
  for (const item of [...list(s.containers), ...list(s.initContainers)]) {
    const resources = record(record(item).resources);
    const add = (into: Map<string, number>, values: unknown): Set<string> => {
      const found = new Set<string>();
      for (const [name, q] of Object.entries(record(values))) {
        const v = parseQuantity(q);
        if ((name !== 'cpu' && name !== 'memory') || v === undefined || v <= 0) continue;
        into.set(name, (into.get(name) ?? 0) + v);
        found.add(name);
      }
      return found;
    };
    add(requests, resources.requests);
    const limited = add(limits, resources.limits);
    if (!limited.has('cpu') || !limited.has('memory')) guaranteed = false;
  }
  if (requests.size === 0 && limits.size === 0) return 'BestEffort';
  if (guaranteed) for (const [name, v] of requests) if (limits.get(name) !== v) guaranteed = false;
  return guaranteed && requests.size === limits.size ? 'Guaranteed' : 'Burstable';
}

/** Pod field selectors; absent fields read as '' as in Kubernetes' fields.Set. */
export const podSelectableFields: Record<string, (pod: KubeObject) => string> = {
  'spec.nodeName': (p) => text(record(p.spec).nodeName),
  'spec.restartPolicy': (p) => text(record(p.spec).restartPolicy),
  'spec.schedulerName': (p) => text(record(p.spec).schedulerName),
  'spec.serviceAccountName': (p) => text(record(p.spec).serviceAccountName),
  'spec.hostNetwork': (p) => String(record(p.spec).hostNetwork === true),
  'status.phase': (p) => text(record(p.status).phase),
  'status.podIP': (p) => text(record(list(record(p.status).podIPs)[0]).ip) || text(record(p.status).podIP),
  'status.nominatedNodeName': (p) => text(record(p.status).nominatedNodeName),
};

export function podType(): ResourceType {
  return builtinType({
    group: '',
    version: 'v1',
    kind: 'Pod',
    plural: 'pods',
    shortNames: ['po'],
    categories: ['all'],
    statusSubresource: true,
    columns: podColumns,
    cells: (pod) => podCells(pod, new Date()),
    defaults: defaultPod,
    validate: validatePod,
    selectableFields: podSelectableFields,
  });
}
