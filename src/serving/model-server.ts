// KServe's REST data plane for the models one server holds: V1, V2 with the model repository extension, and
// Prometheus metrics in a registry of the server's own.
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import { Counter, Histogram, Registry } from 'prom-client';
import type { ServedModel } from './model.js';
import { ProtocolError, decodeInferRequest, encodeInferResponse, errorResponse, inferRequestProblems, jsonInvalid, stringifyJson } from './v2.js';

/** Makes a model by name for `POST /v2/repository/models/{name}/load`. */
export type ModelLoader = (name: string) => Promise<ServedModel>;

export interface ModelServerOptions {
  /** `name` and `version` of `GET /v2`. */
  name?: string;
  version?: string;
  /** Without one, `load` answers 501. */
  loader?: ModelLoader;
  /** Largest request body read, in bytes; larger ones get 413. Default 64 MiB. */
  maxBodyBytes?: number;
  /** The id of a V2 response whose request had none (KServe makes a uuid4). */
  newId?: () => string;
}

/**
 * The metrics, by name:
 * - `request_predict_seconds{model_name}`: histogram of the model's own infer/predict time, failures included,
 *   with prometheus_client's default buckets: KServe python's metric (kserve/metrics.py). KServe's
 *   `request_preprocess_seconds`, `request_postprocess_seconds` and `request_explain_seconds` have no counterpart
 *   here: these models have no pre/post-processing step and no explainer.
 * - `floe_serving_requests_total{model_name, endpoint, code}`: requests that name a model, by HTTP status.
 *   `endpoint` is one of infer, predict, explain, metadata, ready, load, unload. `model_name` is "" when the server
 *   holds no model of that name, so unknown names cannot grow the label set.
 * - `floe_serving_request_errors_total{model_name, endpoint, error}`: the failed ones, by KServe error class
 *   (InvalidInput, ModelNotFound, ModelNotReady, NotImplemented, InferenceError, InternalError, ...).
 */
const pythonDefaultBuckets = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10];

type Endpoint = 'infer' | 'predict' | 'explain' | 'metadata' | 'ready' | 'load' | 'unload';

/** A request this server answers, parsed from method-less path segments. */
type Route =
  | { op: 'alive' | 'metrics' | 'v1List' | 'live' | 'serverReady' | 'serverMetadata' | 'v2List' }
  | { op: Endpoint; model: string; version?: string };

const postOps = new Set<Route['op']>(['infer', 'predict', 'explain', 'load', 'unload']);

/** Matches the path against KServe's routes; undefined for a path that is not ours. */
function route(segments: string[]): Route | undefined {
  const [a, b, c, d, e] = segments;
  if (segments.length === 1 && a === '') return { op: 'alive' };
  if (segments.length === 1 && a === 'metrics') return { op: 'metrics' };
  if (a === 'v1' && b === 'models') {
    if (segments.length === 2) return { op: 'v1List' };
    if (segments.length !== 3 || !c) return undefined;
    // `/v1/models/{name}:predict`; a name with another suffix is just a name, as in KServe's router.
    const colon = c.lastIndexOf(':');
    const verb = colon > 0 ? c.slice(colon + 1) : '';
    if (verb === 'predict' || verb === 'explain') return { op: verb, model: c.slice(0, colon) };
    return { op: 'ready', model: c };
  }
  if (a !== 'v2') return undefined;
  if (segments.length === 1) return { op: 'serverMetadata' };
  if (b === 'health' && segments.length === 3) return c === 'live' ? { op: 'live' } : c === 'ready' ? { op: 'serverReady' } : undefined;
  if (b === 'models') {
    if (segments.length === 2) return { op: 'v2List' };
    if (!c) return undefined;
    let version: string | undefined;
    let tail = segments.slice(3);
    if (tail[0] === 'versions') {
      if (!tail[1]) return undefined;
      version = tail[1];
      tail = tail.slice(2);
    }
    const op = tail.length === 0 ? 'metadata' : tail.length === 1 && (tail[0] === 'ready' || tail[0] === 'infer') ? tail[0] : undefined;
    if (!op) return undefined;
    return version === undefined ? { op, model: c } : { op, model: c, version };
  }
  if (b === 'repository' && c === 'models' && d && segments.length === 5 && (e === 'load' || e === 'unload')) {
    return { op: e, model: d };
  }
  return undefined;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = stringifyJson(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(text)), ...headers });
  res.end(text);
}

export class ModelServer {
  /** The server's own metrics registry (never prom-client's global one); `/metrics` serves it. */
  readonly registry: Registry;
  readonly #models = new Map<string, ServedModel>();
  readonly #name: string;
  readonly #version: string;
  readonly #loader: ModelLoader | undefined;
  readonly #maxBodyBytes: number;
  readonly #newId: () => string;
  readonly #predictSeconds: Histogram<'model_name'>;
  readonly #requests: Counter<'model_name' | 'endpoint' | 'code'>;
  readonly #errors: Counter<'model_name' | 'endpoint' | 'error'>;

  constructor(options: ModelServerOptions = {}) {
    this.#name = options.name ?? 'floe';
    this.#version = options.version ?? '0.1.0';
    this.#loader = options.loader;
    this.#maxBodyBytes = options.maxBodyBytes ?? 64 * 1024 * 1024;
    this.#newId = options.newId ?? randomUUID;
    this.registry = new Registry();
    const registers = [this.registry];
    this.#predictSeconds = new Histogram({ name: 'request_predict_seconds', help: 'predict request latency', labelNames: ['model_name'], buckets: pythonDefaultBuckets, registers });
    this.#requests = new Counter({ name: 'floe_serving_requests_total', help: 'requests naming a model, by endpoint and HTTP status', labelNames: ['model_name', 'endpoint', 'code'], registers });
    this.#errors = new Counter({ name: 'floe_serving_request_errors_total', help: 'failed requests naming a model, by KServe error class', labelNames: ['model_name', 'endpoint', 'error'], registers });
  }

  /** Serves `model` under its name, replacing (and unloading) one of the same name. */
  async add(model: ServedModel): Promise<void> {
    const old = this.#models.get(model.name);
    this.#models.set(model.name, model);
    if (old && old !== model) await old.unload?.();
  }

  /** Stops serving `name` and unloads it; false when there was no such model. */
  async remove(name: string): Promise<boolean> {
    const model = this.#models.get(name);
    if (!model) return false;
    this.#models.delete(name);
    await model.unload?.();
    return true;
  }

  /** `name` and `version` of `GET /v2` (and of gRPC ServerMetadata). */
  get serverInfo(): { name: string; version: string } {
    return { name: this.#name, version: this.#version };
  }

  get(name: string): ServedModel | undefined {
    return this.#models.get(name);
  }

  list(): ServedModel[] {
    return [...this.#models.values()];
  }

  /** Unloads every model. */
  async close(): Promise<void> {
    const names = [...this.#models.keys()];
    for (const name of names) await this.remove(name);
  }

  /**
   * Answers `req` if `path` (the request path after any routing prefix; a query string is ignored) is one of
   * KServe's data-plane routes, and resolves true; resolves false, having written nothing, for any other path.
   */
  async handle(req: IncomingMessage, res: ServerResponse, path: string): Promise<boolean> {
    const q = path.indexOf('?');
    const bare = q < 0 ? path : path.slice(0, q);
    if (!bare.startsWith('/')) return false;
    let r: Route | undefined;
    try {
      r = route(bare.split('/').slice(1).map(decodeURIComponent));
    } catch {
      return false; // a malformed percent-escape names nothing we serve
    }
    if (!r) return false;

    const method = req.method === 'HEAD' ? 'GET' : (req.method ?? 'GET');
    const want = postOps.has(r.op) ? 'POST' : 'GET';
    if (method !== want) {
      req.resume();
      send(res, 405, { error: 'Method Not Allowed' }, { allow: want });
      return true;
    }
    if (!('model' in r)) {
      await this.#serverRoute(r.op, res);
      return true;
    }

    const endpoint = r.op;
    const held = this.#models.has(r.model);
    let status = 200;
    try {
      status = await this.#modelRoute(r, req, res);
    } catch (err) {
      const e = errorResponse(err);
      status = e.status;
      req.resume();
      this.#errors.inc({ model_name: this.#label(r.model, held), endpoint, error: e.kind });
      if (!res.headersSent) send(res, e.status, e.body, e.status === 413 ? { connection: 'close' } : {});
      else res.end();
    }
    this.#requests.inc({ model_name: this.#label(r.model, held), endpoint, code: String(status) });
    return true;
  }

  #label(name: string, heldAtStart: boolean): string {
    return heldAtStart || this.#models.has(name) ? name : '';
  }

  async #serverRoute(op: Exclude<Route['op'], Endpoint>, res: ServerResponse): Promise<void> {
    switch (op) {
      case 'alive':
        return send(res, 200, { status: 'alive' });
      case 'live':
        return send(res, 200, { live: true });
      case 'serverReady': {
        // KServe: ready when every model is; otherwise ServerNotReady (503).
        const ready = this.list().every((m) => m.ready());
        const e = errorResponse(ProtocolError.serverNotReady());
        return ready ? send(res, 200, { ready: true }) : send(res, e.status, e.body);
      }
      case 'serverMetadata':
        return send(res, 200, { name: this.#name, version: this.#version, extensions: ['model_repository_extension'] });
      case 'v1List': case 'v2List':
        return send(res, 200, { models: [...this.#models.keys()] });
      case 'metrics': {
        const text = await this.registry.metrics();
        res.writeHead(200, { 'content-type': this.registry.contentType, 'content-length': String(Buffer.byteLength(text)) });
        res.end(text);
        return;
      }
    }
  }

  /** Serves one model route and returns the status written; throws for errors. */
  async #modelRoute(r: Extract<Route, { model: string }>, req: IncomingMessage, res: ServerResponse): Promise<number> {
    const name = r.model;
    switch (r.op) {
      case 'load':
        return this.#load(name, res);
      case 'unload': {
        if (!(await this.remove(name))) throw ProtocolError.modelNotFound(name);
        send(res, 200, { name, unload: true });
        return 200;
      }
      case 'metadata':
        send(res, 200, this.#model(name, r.version).metadata());
        return 200;
      case 'ready': {
        const model = this.#model(name, r.version);
        if (!model.ready()) throw ProtocolError.modelNotReady(name);
        send(res, 200, { name, ready: true });
        return 200;
      }
      case 'infer': {
        const model = this.#readyModel(name, r.version);
        if (req.headers['inference-header-content-length'] !== undefined) {
          throw ProtocolError.notImplemented('the binary tensor data extension is not supported; send tensors as JSON');
        }
        const body = await this.#readJson(req, true);
        // The kserve SDK takes a JSON string body as binary tensor data without its header (400).
        if (typeof body === 'string') throw ProtocolError.invalidInput("received byte inputs, but the'inference-header-content-length' header is missing.");
        const problems = inferRequestProblems(body);
        if (problems.length > 0) throw ProtocolError.requestValidation(problems);
        const request = decodeInferRequest(body);
        const response = await this.#timed(name, () => model.infer(request));
        if (response.id === undefined) response.id = this.#newId();
        send(res, 200, encodeInferResponse(response));
        return 200;
      }
      case 'predict': {
        const model = this.#readyModel(name, undefined);
        const body = await this.#readJson(req);
        // KServe's V1 check; it also takes `inputs` in place of `instances`.
        const key = isObject(body) && 'inputs' in body && !('instances' in body) ? 'inputs' : 'instances';
        const instances = isObject(body) ? body[key] : undefined;
        if (!Array.isArray(instances)) throw ProtocolError.invalidInput(`Expected "${key}" to be a list`);
        const predict = model.predict?.bind(model);
        if (!predict) throw ProtocolError.notImplemented(`Model with name ${name} does not support the V1 protocol.`);
        const predictions = await this.#timed(name, () => predict(instances));
        send(res, 200, { predictions });
        return 200;
      }
      case 'explain':
        this.#readyModel(name, undefined);
        throw ProtocolError.notImplemented(`Model with name ${name} has no explainer.`);
    }
  }

  async #load(name: string, res: ServerResponse): Promise<number> {
    if (!this.#loader) throw ProtocolError.notImplemented('this server has no model repository to load from.');
    let model: ServedModel;
    try {
      model = await this.#loader(name);
    } catch (err) {
      // KServe's ModelRepositoryExtension wraps load failures the same way.
      const detail = err instanceof Error ? `Error type: ${err.name} error msg: ${err.message}` : `error msg: ${String(err)}`;
      throw ProtocolError.modelNotReady(name, detail);
    }
    if (model.name !== name) {
      await model.unload?.();
      throw ProtocolError.modelNotReady(name, `The loader returned a model named ${model.name}.`);
    }
    if (!model.ready()) throw ProtocolError.modelNotReady(name);
    await this.add(model);
    send(res, 200, { name, load: true });
    return 200;
  }

  /**
   * The named model. A version in the path must be the model's own; KServe python answers any version with 501
   * ("Model versioning not supported yet."), which this keeps for unversioned models.
   */
  #model(name: string, version: string | undefined): ServedModel {
    const model = this.#models.get(name);
    if (!model) throw ProtocolError.modelNotFound(name);
    if (version !== undefined && version !== model.version) {
      if (model.version === undefined) throw ProtocolError.notImplemented('Model versioning not supported yet.');
      throw new ProtocolError('ModelNotFound', `Model with name ${name} version ${version} does not exist.`);
    }
    return model;
  }

  /** KServe checks readiness before it reads the body: a model that is not ready answers 503 whatever was sent. */
  #readyModel(name: string, version: string | undefined): ServedModel {
    const model = this.#model(name, version);
    if (!model.ready()) throw ProtocolError.modelNotReady(name);
    return model;
  }

  async #timed<T>(name: string, fn: () => Promise<T>): Promise<T> {
    const start = performance.now();
    try {
      return await fn();
    } finally {
      this.#predictSeconds.observe({ model_name: name }, (performance.now() - start) / 1000);
    }
  }

  /** The body as JSON; one that is not is a 400 (V1: KServe's words) or, for a V2 request, FastAPI's 422. */
  async #readJson(req: IncomingMessage, v2 = false): Promise<unknown> {
    const limit = this.#maxBodyBytes;
    // Events rather than for-await: leaving a for-await loop early destroys the socket, and the 413 with it.
    const text = await new Promise<string>((resolve, reject) => {
      const chunks: Buffer[] = [];
      let size = 0;
      let over = false;
      req.on('data', (chunk: Buffer) => {
        if (over) return; // keep draining so the 413 can be written
        size += chunk.length;
        if (size > limit) {
          over = true;
          chunks.length = 0;
          reject(new ProtocolError('PayloadTooLarge', `the request body is larger than ${limit} bytes`));
        } else chunks.push(chunk);
      });
      req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
      req.on('error', reject);
    });
    try {
      return JSON.parse(text) as unknown;
    } catch (err) {
      if (v2) throw ProtocolError.requestValidation(jsonInvalid(text, err));
      // KServe's words for a body it cannot parse.
      throw ProtocolError.invalidInput(`Unrecognized request format: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
}
