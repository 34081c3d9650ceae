// The serving ingress of embedded mode (what Istio / Knative's gateway is to KServe): requests under
// `/serving/<namespace>/<name>/…` go to that InferenceService's predictor — a model server in this process, or the
// predictor Pod's loopback port — with the prefix stripped, so the path the server sees is KServe's own
// (`/v1/models/m:predict`, `/v2/models/m/infer`, …). A revision with several replica Pods gets each request on the
// replica with the fewest in flight; the load of every revision is measured here for the autoscaler, as Knative's
// queue-proxy and activator measure it. A route with a `logger` sends its payloads to a CloudEvents sink, as KServe's
// agent does (payload-logger.ts).
import { request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Logger } from '../../api/logger.js';
import { LoadMeter, type Load } from './load-meter.js';
import { PayloadSink, tapPayloads, type PayloadLog } from './payload-logger.js';
import { VariantStats } from './variants.js';
import type { GrpcModels } from '../../serving/grpc-inference.js';

/** Something that answers KServe's REST paths in-process (the ONNX model server). */
export interface LocalEndpoint {
  handle(req: IncomingMessage, res: ServerResponse, path: string): Promise<boolean>;
  /** Its models for the gRPC ingress (grpc-ingress.ts); without them gRPC calls get UNIMPLEMENTED. */
  grpc?: GrpcModels;
}

/** Where one revision answers: in this process, or its ready replica Pods (at least one), each at its base URL. */
export type Target = { kind: 'local'; endpoint: LocalEndpoint } | { kind: 'proxy'; replicas: { pod: string; url: string }[] };

/** A route: one revision, or a traffic split between revisions (canary), each request drawn by weight. */
export type Route = Target | { kind: 'split'; targets: { revision: string; weight: number; target: Target }[] } | { kind: 'zero' };

/** The response header set on a request that waited for its InferenceService to scale up from zero. */
export const ActivatedHeader = 'x-floe-activated';

/** The response header naming the revision that answered, when traffic is split. */
export const RevisionHeader = 'x-floe-revision';

/** The response header naming the replica Pod that answered (Pod runtimes). */
export const ReplicaHeader = 'x-floe-replica';

export const ServingPrefix = '/serving';
/** Under an InferenceService's URL: the per-revision statistics and the A/B verdict (a Floe extension). */
export const VariantsPath = '/.floe/variants';

export interface IngressOptions {
  random?: () => number;
  /** Asks for an InferenceService scaled to zero to come back (the controller then routes it again). */
  activate?: (namespace: string, name: string) => void;
  /** How long a request waits for a scale-up before it gets 503; 120 s unless given. */
  activationTimeoutMs?: number;
  now?: () => number;
  /** Where the payload logger reports drops and failed deliveries. */
  log?: Logger;
  /** The payload logger's sender (one per ingress unless given). */
  sink?: PayloadSink;
}

export class ServingIngress {
  private readonly routes = new Map<string, Route>();
  private readonly lastRequests = new Map<string, number>();
  private readonly stats = new Map<string, VariantStats>();
  private readonly random: () => number;
  private readonly activate: ((namespace: string, name: string) => void) | undefined;
  private readonly activationTimeoutMs: number;
  /** Load per revision (`namespace/revision`), for the autoscaler. */
  private readonly meter: LoadMeter;
  /** Requests in flight per replica URL, for least-in-flight balancing and for draining a replica before it goes. */
  private readonly inFlight = new Map<string, number>();
  private turn = 0;
  /** Payload logging per route (`namespace/name`): KServe's `logger` of the component that route reaches. */
  private readonly loggers = new Map<string, PayloadLog>();
  readonly sink: PayloadSink;

  constructor(options: IngressOptions = {}) {
    this.random = options.random ?? Math.random;
    this.activate = options.activate;
    this.activationTimeoutMs = options.activationTimeoutMs ?? 120_000;
    this.meter = new LoadMeter(options.now ? { now: options.now } : {});
    this.sink = options.sink ?? new PayloadSink(options.log ? { log: options.log } : {});
  }

  /** Sends the payloads of requests on a route to a CloudEvents sink (undefined: stops). */
  setLogger(namespace: string, name: string, log: PayloadLog | undefined): void {
    if (log) this.loggers.set(`${namespace}/${name}`, log);
    else this.loggers.delete(`${namespace}/${name}`);
  }

  /** A revision's load over the last `windowMs` (average concurrency and requests per second). */
  load(namespace: string, revision: string, windowMs: number): Load {
    return this.meter.read(`${namespace}/${revision}`, windowMs);
  }

  /** Resolves once no request is in flight to a replica (one no route names any more), or after `timeoutMs`. */
  async drain(url: string, timeoutMs = 60_000): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while ((this.inFlight.get(url) ?? 0) > 0) {
      if (Date.now() >= deadline) return false;
      await new Promise((r) => setTimeout(r, 20));
    }
    return true;
  }

  /** When the last request for an InferenceService arrived (ms since the epoch). */
  lastRequest(namespace: string, name: string): number | undefined {
    return this.lastRequests.get(`${namespace}/${name}`);
  }

  set(namespace: string, name: string, route: Route): void {
    this.routes.set(`${namespace}/${name}`, route);
  }

  get(namespace: string, name: string): Route | undefined {
    return this.routes.get(`${namespace}/${name}`);
  }

  delete(namespace: string, name: string): void {
    this.routes.delete(`${namespace}/${name}`);
    this.loggers.delete(`${namespace}/${name}`);
    this.stats.delete(`${namespace}/${name}`);
    for (const component of ['predictor', 'transformer']) this.meter.forget(`${namespace}/${name}-${component}-`);
  }

  /** What the ingress saw of each revision of an InferenceService, and the verdict on the two busiest. */
  variants(namespace: string, name: string): { variants: ReturnType<VariantStats['summaries']>; comparison?: ReturnType<VariantStats['compare']> } {
    const stats = this.stats.get(`${namespace}/${name}`);
    const comparison = stats?.compare();
    return { variants: stats?.summaries() ?? [], ...(comparison ? { comparison } : {}) };
  }

  /** The public base URL of an InferenceService behind this ingress. */
  static urlOf(base: string, namespace: string, name: string): string {
    return `${base}${ServingPrefix}/${namespace}/${name}`;
  }

  /** Serves `/serving/…`; returns false for any other path. */
  async handle(req: IncomingMessage, res: ServerResponse, url: URL): Promise<boolean> {
    if (!url.pathname.startsWith(`${ServingPrefix}/`)) return false;
    const [namespace = '', name = '', ...rest] = url.pathname.slice(ServingPrefix.length + 1).split('/');
    const key = `${decodeURIComponent(namespace)}/${decodeURIComponent(name)}`;
    let route = this.routes.get(key);
    const path = `/${rest.join('/')}`;
    this.lastRequests.set(key, Date.now());
    if (route?.kind === 'zero') {
      // Scaled to zero: hold the request while the controller brings a revision back, then send it on.
      this.activate?.(decodeURIComponent(namespace), decodeURIComponent(name));
      const deadline = Date.now() + this.activationTimeoutMs;
      while (route?.kind === 'zero' && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 20));
        route = this.routes.get(key);
        this.lastRequests.set(key, Date.now());
      }
      if (route?.kind === 'zero') {
        reply(res, 503, { error: `InferenceService ${decodeURIComponent(name)} did not scale up from zero in time` });
        return true;
      }
      res.setHeader(ActivatedHeader, '1');
    }
    if (path === VariantsPath && route) {
      reply(res, 200, this.variants(decodeURIComponent(namespace), decodeURIComponent(name)));
      return true;
    }
    if (!route) {
      reply(res, 404, { error: `no InferenceService ${decodeURIComponent(name)} is ready in namespace ${decodeURIComponent(namespace)}` });
      return true;
    }
    const target: Target = route.kind === 'split' ? this.pick(route.targets, res, key) : route;
    const log = this.loggers.get(key);
    if (log) {
      // `ce-endpoint`: KServe's "default", or "canary" for the latest revision while a canary split is on.
      const endpoint = route.kind === 'split' && route.targets.length > 1 && route.targets[0]?.target === target ? 'canary' : 'default';
      req = await tapPayloads(this.sink, log, endpoint, req, res);
    }
    if (target.kind === 'local') {
      if (!(await target.endpoint.handle(req, res, path))) reply(res, 404, { error: `no such path: ${path}` });
      return true;
    }
    const replica = this.leastBusy(target.replicas);
    res.setHeader(ReplicaHeader, replica.pod);
    this.inFlight.set(replica.url, (this.inFlight.get(replica.url) ?? 0) + 1);
    try {
      await proxy(req, res, `${replica.url}${path}${url.search}`);
    } finally {
      const left = (this.inFlight.get(replica.url) ?? 1) - 1;
      if (left > 0) this.inFlight.set(replica.url, left);
      else this.inFlight.delete(replica.url);
    }
    return true;
  }

  /** The replica with the fewest requests in flight; ties go round the list. */
  private leastBusy<T extends { url: string }>(replicas: T[]): T {
    this.turn = (this.turn + 1) % Math.max(1, replicas.length);
    let best = replicas[this.turn] ?? replicas[0]!;
    for (let i = 0; i < replicas.length; i++) {
      const r = replicas[(this.turn + i) % replicas.length]!;
      if ((this.inFlight.get(r.url) ?? 0) < (this.inFlight.get(best.url) ?? 0)) best = r;
    }
    return best;
  }

  private pick(targets: { revision: string; weight: number; target: Target }[], res: ServerResponse, key: string): Target {
    const { chosen, done } = this.choose(targets, key);
    res.setHeader(RevisionHeader, chosen.revision);
    res.once('finish', () => done(res.statusCode));
    res.once('close', () => done());
    return chosen.target;
  }

  /** Draws a revision by weight and meters it until `done` (with a status: recorded for the A/B analysis). */
  private choose(targets: { revision: string; weight: number; target: Target }[], key: string): { chosen: { revision: string; target: Target }; done: (status?: number) => void } {
    const total = targets.reduce((n, t) => n + t.weight, 0);
    let r = this.random() * total;
    const chosen = targets.find((t) => (r -= t.weight) < 0) ?? targets[targets.length - 1]!;
    let stats = this.stats.get(key);
    if (!stats) this.stats.set(key, (stats = new VariantStats()));
    const started = performance.now();
    const tally = stats;
    const ended = this.meter.start(`${key.slice(0, key.indexOf('/'))}/${chosen.revision}`);
    let finished = false;
    return {
      chosen,
      done: (status) => {
        if (finished) return;
        finished = true;
        ended();
        if (status !== undefined) tally.record(chosen.revision, status, performance.now() - started);
      },
    };
  }

  /**
   * Admits one gRPC call as `handle` admits an HTTP request: it counts as activity, wakes an InferenceService scaled
   * to zero and waits for it, draws the revision by weight and meters it for the autoscaler until `done`. Undefined
   * when nothing routes the name (or it did not come back from zero in time: `timedOut`).
   */
  async admit(namespace: string, name: string): Promise<{ target: Target; revision?: string; activated: boolean; done: (status?: number) => void } | { timedOut: true } | undefined> {
    const key = `${namespace}/${name}`;
    let route = this.routes.get(key);
    if (!route) return undefined;
    this.lastRequests.set(key, Date.now());
    let activated = false;
    if (route.kind === 'zero') {
      this.activate?.(namespace, name);
      const deadline = Date.now() + this.activationTimeoutMs;
      while (route?.kind === 'zero' && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 20));
        route = this.routes.get(key);
        this.lastRequests.set(key, Date.now());
      }
      if (!route) return undefined;
      if (route.kind === 'zero') return { timedOut: true };
      activated = true;
    }
    if (route.kind !== 'split') return { target: route, activated, done: () => undefined };
    const { chosen, done } = this.choose(route.targets, key);
    return { target: chosen.target, revision: chosen.revision, activated, done };
  }

  /** The least busy replica of a Pod target, counted in flight (so a drain waits for it) until `release`. */
  acquire<T extends { url: string }>(replicas: T[]): { replica: T; release: () => void } {
    const replica = this.leastBusy(replicas);
    this.inFlight.set(replica.url, (this.inFlight.get(replica.url) ?? 0) + 1);
    let released = false;
    return {
      replica,
      release: () => {
        if (released) return;
        released = true;
        const left = (this.inFlight.get(replica.url) ?? 1) - 1;
        if (left > 0) this.inFlight.set(replica.url, left);
        else this.inFlight.delete(replica.url);
      },
    };
  }
}

function reply(res: ServerResponse, code: number, body: unknown): void {
  res.writeHead(code, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

function proxy(req: IncomingMessage, res: ServerResponse, target: string): Promise<void> {
  return new Promise((resolve) => {
    const headers = { ...req.headers };
    delete headers.host;
    delete headers.authorization;
    const upstream = httpRequest(target, { method: req.method ?? 'GET', headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
      answer.once('end', resolve);
      answer.once('error', () => resolve());
    });
    upstream.once('error', (err) => {
      if (!res.headersSent) reply(res, 503, { error: `the predictor is not reachable: ${err.message}` });
      else res.destroy(err);
      resolve();
    });
    req.pipe(upstream);
  });
}
