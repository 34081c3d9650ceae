// metrics.k8s.io/v1beta1 NodeMetrics and PodMetrics: their resource types, upstream object shapes and quantity formats, answered read-only from the local kubelet's usage (nothing stored).
import { errors } from '../api/errors.js';
import type { KubeList, KubeObject, ObjectMeta } from '../api/meta.js';
import type { ResourceType } from '../api/resource-type.js';
import { matchesFields, matchesLabels, parseFieldSelector, parseLabelSelector } from '../api/selectors/index.js';
import type { NodeUsage } from '../kubelet/index.js';

export const metricsGroup = 'metrics.k8s.io';
export const metricsVersion = 'v1beta1';
const apiVersion = `${metricsGroup}/${metricsVersion}`;

/** A source of usage: the local kubelet in embedded mode; undefined where no kubelet runs (no Pods run here). */
export type UsageSource = () => NodeUsage | undefined;

/** Go's resource.Quantity canonical form of `mantissa × 10^exponent` (DecimalSI): "250m", "1500u", "12345n", "2". */
export function decimalQuantity(mantissa: number, exponent: number): string {
  let m = Math.round(mantissa);
  let e = exponent;
  if (m === 0) return '0';
  while (m % 10 === 0) {
    m /= 10;
    e += 1;
  }
  while (((e % 3) + 3) % 3 !== 0) {
    m *= 10;
    e -= 1;
  }
  const suffixes: Record<number, string> = { [-9]: 'n', [-6]: 'u', [-3]: 'm', 0: '', 3: 'k', 6: 'M', 9: 'G', 12: 'T', 15: 'P', 18: 'E' };
  const suffix = suffixes[e];
  return suffix === undefined ? `${m}e${e}` : `${m}${suffix}`;
}

/** Go's resource.Quantity canonical form of a byte count (BinarySI): "1024Ki", "8Mi", "512" (below 1Ki as a plain number). */
export function binaryQuantity(bytes: number): string {
  let value = Math.max(0, Math.round(bytes));
  if (value < 1024) return String(value);
  const suffixes = ['', 'Ki', 'Mi', 'Gi', 'Ti', 'Pi', 'Ei'];
  let i = 0;
  while (value % 1024 === 0 && i < suffixes.length - 1) {
    value /= 1024;
    i += 1;
  }
  return `${value}${suffixes[i]}`;
}

/** Go's time.Duration String(): "15s", "10.266s", "1m5.5s", "750ms" (what metav1.Duration puts on the wire). */
export function goDuration(seconds: number): string {
  const ns = Math.round(seconds * 1e9);
  if (ns === 0) return '0s';
  const trim = (n: number, digits: number): string => n.toFixed(digits).replace(/\.?0+$/, '');
  if (ns < 1e3) return `${ns}ns`;
  if (ns < 1e6) return `${trim(ns / 1e3, 3)}µs`;
  if (ns < 1e9) return `${trim(ns / 1e6, 6)}ms`;
  const hours = Math.floor(ns / 3.6e12);
  const minutes = Math.floor((ns % 3.6e12) / 6e10);
  const secs = trim((ns % 6e10) / 1e9, 9);
  return `${hours > 0 ? `${hours}h` : ''}${hours > 0 || minutes > 0 ? `${minutes}m` : ''}${secs}s`;
}

/** metav1.Time on the wire: RFC 3339 to the second. */
function rfc3339(iso: string): string {
  return iso.replace(/\.\d+Z$/, 'Z');
}

function usageOf(cpuNanoCores: number, memoryBytes: number): { cpu: string; memory: string } {
  return { cpu: decimalQuantity(cpuNanoCores, -9), memory: binaryQuantity(memoryBytes) };
}

function sumCpu(o: KubeObject): string {
  const containers = (o as { containers?: { usage?: { cpu?: string } }[] }).containers;
  const usage = (o as { usage?: { cpu?: string; memory?: string } }).usage;
  if (usage) return usage.cpu ?? '';
  return containers ? decimalQuantity(containers.reduce((sum, c) => sum + nanos(c.usage?.cpu), 0), -9) : '';
}

function sumMemory(o: KubeObject): string {
  const containers = (o as { containers?: { usage?: { memory?: string } }[] }).containers;
  const usage = (o as { usage?: { memory?: string } }).usage;
  if (usage) return usage.memory ?? '';
  return containers ? binaryQuantity(containers.reduce((sum, c) => sum + bytesOf(c.usage?.memory), 0)) : '';
}

/** Nanocores of a CPU quantity this module wrote ("123n", "250m", "2"). */
function nanos(q: string | undefined): number {
  const m = /^(\d+)([numk]?)$/.exec(q ?? '');
  if (!m) return 0;
  const scale: Record<string, number> = { n: 1, u: 1e3, m: 1e6, '': 1e9, k: 1e12 };
  return Number(m[1]) * (scale[m[2] ?? ''] ?? 0);
}

function bytesOf(q: string | undefined): number {
  const m = /^(\d+)(Ki|Mi|Gi|Ti|Pi|Ei)?$/.exec(q ?? '');
  if (!m) return 0;
  const power = ['', 'Ki', 'Mi', 'Gi', 'Ti', 'Pi', 'Ei'].indexOf(m[2] ?? '');
  return Number(m[1]) * 1024 ** power;
}

function metricsType(kind: 'NodeMetrics' | 'PodMetrics', api: MetricsApi): ResourceType {
  const namespaced = kind === 'PodMetrics';
  const type: ResourceType = {
    group: metricsGroup,
    version: metricsVersion,
    kind,
    listKind: `${kind}List`,
    plural: namespaced ? 'pods' : 'nodes',
    singular: '',
    namespaced,
    shortNames: [],
    categories: [],
    storageVersion: metricsVersion,
    statusSubresource: false,
    columns: [
      { name: 'CPU', type: 'string', jsonPath: '', description: 'CPU usage over the window' },
      { name: 'Memory', type: 'string', jsonPath: '', description: 'Memory working set' },
      { name: 'Window', type: 'string', jsonPath: '.window', description: 'The window CPU usage was measured over' },
      { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp', description: '' },
    ],
    cells: (o) => [sumCpu(o), sumMemory(o), (o as { window?: string }).window ?? '', ''],
    generationFrom: 'none',
    verbs: ['get', 'list'],
    source: { from: 'builtin' },
    readOnly: {
      get: (namespace, name) => api.get(type, namespace, name),
      list: (namespace, params) => api.list(type, namespace, params),
    },
  };
  return type;
}

/**
 * The two kinds of metrics.k8s.io/v1beta1 for the registry (discovery, OpenAPI, `kubectl api-resources`), answered
 * by `api` through the API handler (get/list authorized as usual; other verbs 405).
 */
export function metricsResourceTypes(api: MetricsApi): ResourceType[] {
  return [metricsType('NodeMetrics', api), metricsType('PodMetrics', api)];
}

/** A metrics object without apiVersion and kind (as list items are sent). */
interface Item {
  metadata: ObjectMeta;
  [field: string]: unknown;
}

export interface MetricsListParams {
  labelSelector?: string;
  fieldSelector?: string;
}

/**
 * Answers get and list of NodeMetrics and PodMetrics from a usage source, in metrics-server's shapes. The API handler
 * calls it (through the types' `readOnly`) after authorization: get/list on `pods`/`nodes` in metrics.k8s.io.
 */
export class MetricsApi {
  private readonly usage: UsageSource;

  constructor(options: { usage: UsageSource }) {
    this.usage = options.usage;
  }

  get(type: ResourceType, namespace: string | undefined, name: string): KubeObject {
    if (type.plural === 'nodes') {
      const node = this.nodeMetrics().find((n) => n.metadata.name === name);
      if (!node) throw errors.notFound(metricsGroup, 'nodemetrics', name);
      return { apiVersion, kind: 'NodeMetrics', ...node };
    }
    const pod = this.podMetrics().find((p) => p.metadata.namespace === namespace && p.metadata.name === name);
    if (!pod) throw errors.notFound(metricsGroup, 'podmetrics', `${namespace ?? ''}/${name}`);
    return { apiVersion, kind: 'PodMetrics', ...pod };
  }

  list(type: ResourceType, namespace: string | undefined, params: MetricsListParams = {}): KubeList {
    const labels = params.labelSelector ? parseLabelSelector(params.labelSelector) : undefined;
    const fields = params.fieldSelector ? parseFieldSelector(params.fieldSelector) : undefined;
    const all = type.plural === 'nodes' ? this.nodeMetrics() : this.podMetrics().filter((p) => namespace === undefined || p.metadata.namespace === namespace);
    const items = all.filter((o) => {
      if (labels && !matchesLabels(labels, o.metadata.labels)) return false;
      if (fields && !matchesFields(fields, (f) => (f === 'metadata.name' ? o.metadata.name : f === 'metadata.namespace' ? o.metadata.namespace : undefined))) return false;
      return true;
    });
    // List items carry no apiVersion/kind, as metrics-server's do.
    return { apiVersion, kind: type.listKind, metadata: {}, items: items as unknown as KubeObject[] };
  }

  private nodeMetrics(): Item[] {
    const usage = this.usage();
    if (!usage || usage.windowSeconds <= 0) return [];
    const now = rfc3339(new Date().toISOString());
    return [
      {
        metadata: { name: usage.name, creationTimestamp: now, labels: usage.labels },
        timestamp: rfc3339(usage.timestamp),
        window: goDuration(usage.windowSeconds),
        usage: usageOf(usage.cpuNanoCores, usage.memoryWorkingSetBytes),
      },
    ];
  }

  private podMetrics(): Item[] {
    const usage = this.usage();
    if (!usage) return [];
    const now = rfc3339(new Date().toISOString());
    return usage.pods
      .map(
        (p) =>
          ({
            metadata: { name: p.name, namespace: p.namespace, creationTimestamp: now, labels: p.labels },
            timestamp: rfc3339(p.timestamp),
            window: goDuration(p.windowSeconds),
            containers: p.containers.map((c) => ({ name: c.name, usage: usageOf(c.cpuNanoCores, c.memoryWorkingSetBytes) })),
          }) satisfies Item,
      )
      .sort((a, b) => `${a.metadata.namespace}/${a.metadata.name}`.localeCompare(`${b.metadata.namespace}/${b.metadata.name}`));
  }
}
