// Floe's Prometheus registry: kube-apiserver's request and storage metrics, client-go's workqueue and controller-runtime's reconcile metrics, process/nodejs defaults, and the `/metrics` route.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { ResourceType } from '../api/resource-type.js';
import type { ControllerMetrics, ControllerMetricsHooks, QueueMetrics, ReconcileOutcome, Route } from '../controller/index.js';
import type { Store } from '../store/store.js';
import { requestInfo } from './request-info.js';

/** kube-apiserver's request latency buckets (apiserver_request_duration_seconds, etcd_request_duration_seconds). */
export const apiserverBuckets = [0.005, 0.025, 0.05, 0.1, 0.2, 0.4, 0.6, 0.8, 1, 1.25, 1.5, 2, 3, 4, 5, 6, 8, 10, 15, 20, 30, 45, 60];
/** client-go's workqueue duration buckets: 10 ns × 10^i, i = 0…9 (prometheus.ExponentialBuckets(10e-9, 10, 10)). */
export const workqueueBuckets = Array.from({ length: 10 }, (_, i) => Number((1e-8 * 10 ** i).toPrecision(1)));
/** controller-runtime's reconcile_time_seconds buckets. */
export const reconcileBuckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.6, 0.7, 0.8, 0.9, 1, 1.25, 1.5, 1.75, 2, 2.5, 3, 3.5, 4, 4.5, 5, 6, 7, 8, 9, 10, 15, 20, 25, 30, 40, 50, 60];

const requestLabels = ['verb', 'dry_run', 'group', 'version', 'resource', 'subresource', 'scope', 'component'] as const;
const readOnlyVerbs = new Set(['GET', 'LIST', 'WATCH']);

export interface FloeMetricsOptions {
  /** Registers process_* and nodejs_* (prom-client's default metrics); on unless false. */
  defaultMetrics?: boolean;
}

/**
 * One registry per Floe (no process-wide singleton): several Floes in one test process each export their own numbers.
 * Hooks: `observeRequest` (front door), `instrumentStore` (storage latency), `ControllerMetrics` (manager → controllers
 * → work queues), `countObjects` (apiserver_storage_objects at scrape), `route()` serves it all.
 */
export class FloeMetrics implements ControllerMetrics {
  readonly registry = new Registry();
  private readonly requests: Counter<string>;
  private readonly latency: Histogram<string>;
  private readonly sizes: Histogram<string>;
  private readonly inflight: Gauge<string>;
  private readonly longRunning: Gauge<string>;
  private readonly storage: Histogram<string>;
  private readonly queue: {
    adds: Counter<string>;
    depth: Gauge<string>;
    queueDuration: Histogram<string>;
    workDuration: Histogram<string>;
    retries: Counter<string>;
    unfinished: Gauge<string>;
    longest: Gauge<string>;
  };
  private readonly reconcile: {
    total: Counter<string>;
    errors: Counter<string>;
    terminal: Counter<string>;
    panics: Counter<string>;
    time: Histogram<string>;
    active: Gauge<string>;
    max: Gauge<string>;
  };
  /** Per queue name: when each key being worked on was handed out (for unfinished_work and longest_running). */
  private readonly processing = new Map<string, Map<string, number>>();
  private objectCounter: (() => { resource: string; count: number }[]) | undefined;

  constructor(options: FloeMetricsOptions = {}) {
    const registers = [this.registry];
    if (options.defaultMetrics !== false) collectDefaultMetrics({ register: this.registry });
    this.requests = new Counter({ name: 'apiserver_request_total', help: 'Counter of apiserver requests broken out for each verb, dry run value, group, version, resource, scope, component, and HTTP response code.', labelNames: [...requestLabels, 'code'], registers });
    this.latency = new Histogram({ name: 'apiserver_request_duration_seconds', help: 'Response latency distribution in seconds for each verb, dry run value, group, version, resource, subresource, scope and component.', labelNames: [...requestLabels], buckets: apiserverBuckets, registers });
    this.sizes = new Histogram({ name: 'apiserver_response_sizes', help: 'Response size distribution in bytes for each group, version, verb, resource, subresource, scope and component.', labelNames: ['verb', 'group', 'version', 'resource', 'subresource', 'scope', 'component'], buckets: [1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9], registers });
    this.inflight = new Gauge({ name: 'apiserver_current_inflight_requests', help: 'Maximal number of currently used inflight request limit of this apiserver per request kind in last second.', labelNames: ['request_kind'], registers });
    this.longRunning = new Gauge({ name: 'apiserver_longrunning_requests', help: 'Gauge of all active long-running apiserver requests broken out by verb, group, version, resource, scope and component. Not all requests are tracked this way.', labelNames: [...requestLabels], registers });
    this.storage = new Histogram({ name: 'etcd_request_duration_seconds', help: "Etcd request latency in seconds for each operation and object type (Floe: its SQLite store's).", labelNames: ['operation', 'type'], buckets: apiserverBuckets, registers });
    // collect() runs with `this` bound to the metric: the registry's state reaches it through these closures.
    const objects = (): { resource: string; count: number }[] => this.objectCounter?.() ?? [];
    const processing = this.processing;
    new Gauge({
      name: 'apiserver_storage_objects',
      help: 'Number of stored objects at the time of last check split by kind.',
      labelNames: ['resource'],
      registers,
      collect() {
        this.reset();
        for (const { resource, count } of objects()) this.set({ resource }, count);
      },
    });
    const q = ['name', 'controller'];
    this.queue = {
      adds: new Counter({ name: 'workqueue_adds_total', help: 'Total number of adds handled by workqueue', labelNames: q, registers }),
      depth: new Gauge({ name: 'workqueue_depth', help: 'Current depth of workqueue', labelNames: q, registers }),
      queueDuration: new Histogram({ name: 'workqueue_queue_duration_seconds', help: 'How long in seconds an item stays in workqueue before being requested', labelNames: q, buckets: workqueueBuckets, registers }),
      workDuration: new Histogram({ name: 'workqueue_work_duration_seconds', help: 'How long in seconds processing an item from workqueue takes.', labelNames: q, buckets: workqueueBuckets, registers }),
      retries: new Counter({ name: 'workqueue_retries_total', help: 'Total number of retries handled by workqueue', labelNames: q, registers }),
      unfinished: new Gauge({
        name: 'workqueue_unfinished_work_seconds',
        help: 'How many seconds of work has been done that is in progress and hasn\'t been observed by work_duration. Large values indicate stuck threads. One can deduce the number of stuck threads by observing the rate at which this increases.',
        labelNames: q,
        registers,
        collect() {
          const now = performance.now();
          for (const [name, keys] of processing) this.set({ name, controller: name }, [...keys.values()].reduce((sum, t) => sum + (now - t) / 1000, 0));
        },
      }),
      longest: new Gauge({
        name: 'workqueue_longest_running_processor_seconds',
        help: 'How many seconds has the longest running processor for workqueue been running.',
        labelNames: q,
        registers,
        collect() {
          const now = performance.now();
          for (const [name, keys] of processing) this.set({ name, controller: name }, Math.max(0, ...[...keys.values()].map((t) => (now - t) / 1000)));
        },
      }),
    };
    const c = ['controller'];
    this.reconcile = {
      total: new Counter({ name: 'controller_runtime_reconcile_total', help: 'Total number of reconciliations per controller', labelNames: ['controller', 'result'], registers }),
      errors: new Counter({ name: 'controller_runtime_reconcile_errors_total', help: 'Total number of reconciliation errors per controller', labelNames: c, registers }),
      terminal: new Counter({ name: 'controller_runtime_terminal_reconcile_errors_total', help: 'Total number of terminal reconciliation errors per controller', labelNames: c, registers }),
      panics: new Counter({ name: 'controller_runtime_reconcile_panics_total', help: 'Total number of reconciliation panics per controller', labelNames: c, registers }),
      time: new Histogram({ name: 'controller_runtime_reconcile_time_seconds', help: 'Length of time per reconciliation per controller', labelNames: c, buckets: reconcileBuckets, registers }),
      active: new Gauge({ name: 'controller_runtime_active_workers', help: 'Number of currently used workers per controller', labelNames: c, registers }),
      max: new Gauge({ name: 'controller_runtime_max_concurrent_reconciles', help: 'Maximum number of concurrent reconciles per controller', labelNames: c, registers }),
    };
  }

  // ---- kube-apiserver ------------------------------------------------------------------------------------------

  /**
   * Counts one HTTP request when its response ends: apiserver_request_total (with the code) and
   * apiserver_request_duration_seconds, labelled as kube-apiserver labels them (request-info.ts); `route` is the
   * prefix of the route that serves the path (`/` for the Kubernetes API).
   */
  observeRequest(req: IncomingMessage, res: ServerResponse, url: URL, route: string | undefined): void {
    const started = performance.now();
    const info = requestInfo(req, url, route);
    const labels = { verb: info.verb, dry_run: info.dryRun, group: info.group, version: info.version, resource: info.resource, subresource: info.subresource, scope: info.scope, component: 'apiserver' };
    const kind = readOnlyVerbs.has(info.verb) ? 'readOnly' : 'mutating';
    const longRunning = info.verb === 'WATCH' || info.verb === 'CONNECT';
    if (longRunning) this.longRunning.inc(labels);
    else this.inflight.inc({ request_kind: kind });
    // As kube-apiserver: the sizes of read responses only (GET and LIST), counted as the body is written.
    const sized = info.verb === 'GET' || info.verb === 'LIST';
    let bytes = 0;
    if (sized) {
      const count = (chunk: unknown): void => {
        if (typeof chunk === 'string') bytes += Buffer.byteLength(chunk);
        else if (chunk instanceof Uint8Array) bytes += chunk.byteLength;
      };
      const write = res.write.bind(res) as (...args: unknown[]) => boolean;
      const end = res.end.bind(res) as (...args: unknown[]) => ServerResponse;
      res.write = ((chunk: unknown, ...rest: unknown[]) => {
        count(chunk);
        return write(chunk, ...rest);
      }) as ServerResponse['write'];
      res.end = ((chunk?: unknown, ...rest: unknown[]) => {
        if (typeof chunk !== 'function') count(chunk);
        return end(chunk, ...rest);
      }) as ServerResponse['end'];
    }
    res.once('close', () => {
      if (longRunning) this.longRunning.dec(labels);
      else this.inflight.dec({ request_kind: kind });
      this.requests.inc({ ...labels, code: String(res.statusCode) });
      this.latency.observe(labels, (performance.now() - started) / 1000);
      if (sized) this.sizes.observe({ verb: info.verb, group: info.group, version: info.version, resource: info.resource, subresource: info.subresource, scope: info.scope, component: 'apiserver' }, bytes);
    });
  }

  // ---- storage -------------------------------------------------------------------------------------------------

  /**
   * Times the store's reads and writes as kube-apiserver times its etcd calls (etcd_request_duration_seconds
   * {operation, type}), with `type` the resource (`pods`, `deployments.apps`); also counts objects per resource at
   * scrape (apiserver_storage_objects) for the types `types()` names.
   */
  instrumentStore(store: Store, types: () => readonly ResourceType[]): void {
    const time = <A extends unknown[], R>(operation: string, fn: (...args: A) => R, key: (...args: A) => unknown): ((...args: A) => R) => {
      return (...args: A): R => {
        const started = performance.now();
        try {
          return fn(...args);
        } finally {
          this.storage.observe({ operation, type: resourceLabel(String(key(...args))) }, (performance.now() - started) / 1000);
        }
      };
    };
    const s = store as unknown as Record<string, (...args: unknown[]) => unknown>;
    for (const [method, operation] of [['get', 'get'], ['list', 'list'], ['create', 'create'], ['update', 'update'], ['delete', 'delete'], ['count', 'count']] as const) {
      const original = s[method]!.bind(store);
      s[method] = time(operation, original, (resource) => resource);
    }
    this.objectCounter = () => {
      const seen = new Set<string>();
      const out: { resource: string; count: number }[] = [];
      for (const t of types()) {
        const key = `${t.group}/${t.plural}`;
        if (seen.has(key) || t.readOnly || t.review) continue;
        seen.add(key);
        out.push({ resource: t.group ? `${t.plural}.${t.group}` : t.plural, count: store.count(key) });
      }
      return out;
    };
  }

  // ---- controllers (ControllerMetrics) ------------------------------------------------------------------------

  controller(name: string, maxConcurrent: number): ControllerMetricsHooks {
    const labels = { controller: name };
    const queueLabels = { name, controller: name };
    this.reconcile.max.set(labels, maxConcurrent);
    this.reconcile.active.set(labels, 0);
    // Every series a dashboard plots exists from the start, at zero.
    for (const result of ['success', 'error', 'requeue', 'requeue_after']) this.reconcile.total.inc({ controller: name, result }, 0);
    this.reconcile.errors.inc(labels, 0);
    this.reconcile.terminal.inc(labels, 0);
    this.reconcile.panics.inc(labels, 0);
    this.queue.adds.inc(queueLabels, 0);
    this.queue.retries.inc(queueLabels, 0);
    this.queue.depth.set(queueLabels, 0);
    const processing = new Map<string, number>();
    this.processing.set(name, processing);
    const added = new Map<string, number>();
    const queue: QueueMetrics = {
      add: (key) => {
        this.queue.adds.inc(queueLabels);
        this.queue.depth.inc(queueLabels);
        if (!added.has(key)) added.set(key, performance.now());
      },
      get: (key) => {
        this.queue.depth.dec(queueLabels);
        const at = added.get(key);
        added.delete(key);
        if (at !== undefined) this.queue.queueDuration.observe(queueLabels, (performance.now() - at) / 1000);
        processing.set(key, performance.now());
      },
      done: (key) => {
        const at = processing.get(key);
        processing.delete(key);
        if (at !== undefined) this.queue.workDuration.observe(queueLabels, (performance.now() - at) / 1000);
      },
      retry: () => this.queue.retries.inc(queueLabels),
      shutDown: () => {
        added.clear();
        processing.clear();
        this.queue.depth.set(queueLabels, 0);
      },
    };
    return {
      queue,
      started: () => this.reconcile.active.inc(labels),
      finished: (outcome: ReconcileOutcome, seconds: number) => {
        this.reconcile.active.dec(labels);
        this.reconcile.time.observe(labels, seconds);
        this.reconcile.total.inc({ controller: name, result: outcome === 'terminal-error' ? 'error' : outcome });
        if (outcome === 'error' || outcome === 'terminal-error') this.reconcile.errors.inc(labels);
        if (outcome === 'terminal-error') this.reconcile.terminal.inc(labels);
      },
    };
  }

  // ---- exposition ----------------------------------------------------------------------------------------------

  /** The text format Prometheus scrapes. */
  async exposition(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }

  /**
   * `GET /metrics`, authorized as kube-apiserver authorizes it: the non-resource URL `/metrics` with verb `get`
   * (RBAC: a ClusterRole rule `nonResourceURLs: ["/metrics"], verbs: ["get"]`, as system:monitoring has).
   */
  route(): Route {
    return {
      prefix: '/metrics',
      access: { kind: 'resource', attributes: () => ({ verb: 'get', group: '', resource: '', path: '/metrics' }) },
      bodyTypes: [],
      handle: async (req, res, url) => {
        if (url.pathname.replace(/\/+$/, '') !== '/metrics') return false;
        if (req.method !== 'GET' && req.method !== 'HEAD') {
          res.writeHead(405, { 'Content-Type': 'text/plain; charset=utf-8', Allow: 'GET, HEAD' });
          res.end('method not allowed\n');
          return true;
        }
        const { contentType, body } = await this.exposition();
        res.writeHead(200, { 'Content-Type': contentType, 'Content-Length': Buffer.byteLength(body), 'Cache-Control': 'no-cache, private' });
        res.end(req.method === 'HEAD' ? undefined : body);
        return true;
      },
    };
  }
}

/** `group/plural` store keys as kube names resources in metrics: `pods`, `deployments.apps`. */
function resourceLabel(key: string): string {
  const slash = key.indexOf('/');
  if (slash < 0) return key;
  const group = key.slice(0, slash);
  const plural = key.slice(slash + 1);
  return group ? `${plural}.${group}` : plural;
}
