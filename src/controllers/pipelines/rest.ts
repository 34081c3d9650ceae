// KFP's REST API v2beta1 (`/apis/v2beta1/...`) over the pipeline store, in the JSON the ml-pipeline API server writes
// (proto field names, enums as strings, int64 as strings, unset fields left out), so that kfp.Client works unchanged.
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Caller } from '../../controller/index.js';
import type { AccessReviewer } from '../profiles/access.js';
import { CronError, parseCron } from './cron.js';
import { KfpError, type ExperimentRecord, type KfpErrorCode, type ListResult, type PipelineDb, type PipelineRecord, type PipelineVersionRecord, type RecurringRunRecord, type Trigger } from './db.js';
import { ListQueryError, type ListRequest } from './filter.js';
import type { JsonValue, PipelineSpec, PlatformSpec } from './ir.js';
import { parseObjectUri, type ObjectStore } from './object-store.js';
import { packageFetcher } from './package-url.js';
import { parseYamlDocuments } from './validate.js';
import { multipartBoundary, packageText, parseMultipart } from './multipart.js';
import { finalStates, type RunEngine, type RunRecord, type RuntimeConfig, type TaskRecord } from './types.js';

/** Checks a pipeline spec (and a run's parameters); returns every problem, each naming its field, or [] when fine. */
export type SpecValidator = (spec: unknown, platform: unknown, parameters?: Record<string, unknown>) => string[];

export interface KfpApiOptions {
  db: PipelineDb;
  engine: RunEngine;
  validate: SpecValidator;
  /** The clock for run timestamps (tests inject one). */
  now?: () => Date;
  /** The namespace runs get when their experiment has none (single-user mode: the API server's own). */
  defaultNamespace?: string;
  /** Fetches a version's `package_url`; refuses every URL unless given (see package-url.ts). */
  fetchPackage?: (url: string) => Promise<Buffer>;
  /** The largest request body accepted, in bytes. */
  maxBodyBytes?: number;
  /**
   * KFP's multi-user mode (MULTIUSER=true): experiments, runs and recurring runs belong to a namespace, pipelines to a
   * namespace or to everyone (""), and every call is authorized by a SubjectAccessReview with KFP's attributes.
   */
  multiUser?: { review: AccessReviewer };
}

/** The SubjectAccessReview group and version KFP authorizes its API with (backend/src/apiserver/common/const.go). */
export const KfpRbacGroup = 'pipelines.kubeflow.org';
export const KfpRbacVersion = 'v1beta1';
/** The ServiceAccount runs use in multi-user mode when they name none (KFP's default-editor in profile namespaces). */
export const MultiUserRunnerServiceAccount = 'default-editor';
/** The ServiceAccount runs use in single-user mode when they name none (KFP's DefaultPipelineRunnerServiceAccount). */
export const DefaultRunnerServiceAccount = 'pipeline-runner';

/** A route's handler: the response body (or a promise of it); a KfpError for an error. */
type Handler = (req: IncomingMessage, url: URL, params: string[], caller: Caller | undefined) => unknown;

const grpcCodes: Record<KfpErrorCode, { code: number; http: number }> = {
  INVALID_ARGUMENT: { code: 3, http: 400 },
  NOT_FOUND: { code: 5, http: 404 },
  ALREADY_EXISTS: { code: 6, http: 409 },
  FAILED_PRECONDITION: { code: 9, http: 400 },
  UNIMPLEMENTED: { code: 12, http: 501 },
  INTERNAL: { code: 13, http: 500 },
  PERMISSION_DENIED: { code: 7, http: 403 },
  UNAUTHENTICATED: { code: 16, http: 401 },
};

const invalid = (message: string, problems?: string[]): KfpError => new KfpError('INVALID_ARGUMENT', message, problems);
const notFound = (message: string): KfpError => new KfpError('NOT_FOUND', message);

function send(res: ServerResponse, code: number, value: unknown): void {
  res.writeHead(code, { 'content-type': 'application/json' });
  res.end(JSON.stringify(value));
}

/** KFP's error body: google.rpc.Status plus the error_message / error_details the API server adds. */
export function errorBody(err: KfpError): { error_message: string; error_details: string; code: number; message: string; details: unknown[] } {
  return { error_message: err.message, error_details: err.message, code: grpcCodes[err.code].code, message: err.message, details: [] };
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function snake(key: string): string {
  return key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

/**
 * A message's keys in proto names (grpc-gateway also takes the lowerCamel JSON names), checked against the message's
 * fields: an unknown field is rejected as the API server's parser does.
 */
function message(value: unknown, field: string, known: readonly string[]): Record<string, unknown> {
  if (value === undefined || value === null) return {};
  if (!isRecord(value)) throw invalid(`${field}: must be an object`);
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    const key = known.includes(k) ? k : snake(k);
    if (!known.includes(key)) throw invalid(`${field}: unknown field "${k}"`);
    if (v !== null && v !== undefined) out[key] = v;
  }
  return out;
}

function optString(v: unknown, field: string): string | undefined {
  if (v === undefined || v === '') return undefined;
  if (typeof v !== 'string') throw invalid(`${field}: must be a string`);
  return v;
}

/** The zero time.Time the Go client sends for an unset timestamp (0001-01-01T00:00:00Z): it means "none". */
const goZeroTime = Date.parse('0001-01-01T00:00:00Z');

function optTime(v: unknown, field: string): string | undefined {
  const s = optString(v, field);
  if (s === undefined) return undefined;
  const t = Date.parse(s);
  if (Number.isNaN(t)) throw invalid(`${field}: "${s}" is not an RFC 3339 timestamp`);
  if (t <= goZeroTime || t === 0) return undefined;
  return new Date(t).toISOString();
}

function int64(v: unknown, field: string): number | undefined {
  if (v === undefined || v === '') return undefined;
  const n = typeof v === 'string' && /^-?\d+$/.test(v) ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isInteger(n)) throw invalid(`${field}: must be an integer`);
  return n;
}

/** KFP's limits on tags (model/pipeline_tags.go): keys and values up to 63 characters, keys non-empty without ".". */
const maxTagLength = 63;
const maxTags = 20;

/** Tags as KFP validates them, with its messages; `{}` is kept (an update with `{}` clears every tag). */
export function tags(v: unknown, field: string): Record<string, string> | undefined {
  if (v === undefined) return undefined;
  if (!isRecord(v) || Object.values(v).some((x) => typeof x !== 'string')) throw invalid(`${field}: must be a map of strings`);
  const entries = Object.entries(v as Record<string, string>);
  if (entries.length > maxTags) throw invalid(`number of tags (${entries.length}) exceeds maximum of ${maxTags} per entity`);
  for (const [key, value] of entries) {
    if (key === '') throw invalid('tag key cannot be empty');
    if (key.includes('.')) throw invalid(`tag key ${JSON.stringify(key)} must not contain '.' character`);
    if ([...key].length > maxTagLength) throw invalid(`tag key ${JSON.stringify(key)} exceeds maximum length of ${maxTagLength} characters`);
    if ([...value].length > maxTagLength) throw invalid(`tag value ${JSON.stringify(value)} for key ${JSON.stringify(key)} exceeds maximum length of ${maxTagLength} characters`);
  }
  return v as Record<string, string>;
}

/** KFP's column limits (apiserver/validation/length.go), checked before anything is stored. */
const lengthLimits = { 'Pipeline.Name': 128, 'Pipeline.Namespace': 63, 'PipelineVersion.Name': 127, 'Experiment.Name': 128, 'Experiment.Namespace': 63, 'Run.Namespace': 63 } as const;

function checkLength(what: keyof typeof lengthLimits, value: string | undefined): void {
  const max = lengthLimits[what];
  if (value !== undefined && Buffer.byteLength(value, 'utf8') > max) throw invalid(`${what} length cannot exceed ${max}`);
}

const pipelineKeys = ['pipeline_id', 'name', 'display_name', 'description', 'created_at', 'namespace', 'error', 'tags'] as const;
const versionKeys = ['pipeline_id', 'pipeline_version_id', 'name', 'display_name', 'description', 'created_at', 'package_url', 'code_source_url', 'pipeline_spec', 'error', 'tags'] as const;
const experimentKeys = ['experiment_id', 'display_name', 'description', 'created_at', 'namespace', 'storage_state', 'last_run_created_at'] as const;
const runKeys = [
  'experiment_id', 'run_id', 'display_name', 'storage_state', 'description', 'pipeline_version_id', 'pipeline_spec', 'pipeline_version_reference', 'runtime_config',
  'service_account', 'created_at', 'scheduled_at', 'finished_at', 'state', 'error', 'run_details', 'recurring_run_id', 'state_history', 'plugins_input', 'plugins_output',
] as const;
const recurringRunKeys = [
  'recurring_run_id', 'display_name', 'description', 'pipeline_version_id', 'pipeline_spec', 'pipeline_version_reference', 'runtime_config', 'service_account',
  'max_concurrency', 'trigger', 'mode', 'created_at', 'updated_at', 'status', 'error', 'no_catchup', 'namespace', 'experiment_id', 'plugins_input',
] as const;

// ---- pipeline specs ----

interface SpecPair {
  spec: PipelineSpec;
  platform?: PlatformSpec;
}

/** An inline pipeline_spec: the IR itself, or `{pipeline_spec, platform_spec}` as kfp.Client sends it with a platform doc. */
function inlineSpec(value: unknown, field: string): { spec: unknown; platform?: unknown } {
  if (!isRecord(value)) throw invalid(`${field}: must be an object (the compiled pipeline IR)`);
  if ('pipeline_spec' in value && !('pipelineInfo' in value) && !('root' in value)) {
    const platform = value.platform_spec;
    return { spec: value.pipeline_spec, ...(platform !== undefined && platform !== null ? { platform } : {}) };
  }
  return { spec: value };
}

/** The documents of a compiled pipeline file: the IR, then (merged) the platform spec. */
function specFromText(text: string, field: string): { spec: unknown; platform?: unknown } {
  const docs = parseYamlDocuments(text);
  if (!Array.isArray(docs)) throw invalid(`${field}: not a YAML document`);
  const values: unknown[] = [];
  for (const d of docs) {
    if (d.errors.length > 0) throw invalid(`${field}: not valid YAML: ${d.errors[0]!.message}`);
    const v: unknown = d.toJS({ maxAliasCount: 1000 });
    if (v !== null && v !== undefined) values.push(v);
  }
  const [first, ...rest] = values;
  if (first === undefined) throw invalid(`${field}: the file holds no pipeline spec`);
  if (isRecord(first) && first.kind === 'Workflow') throw invalid(`${field}: a KFP v1 (Argo Workflow) package is not supported: compile the pipeline with the kfp 2.x SDK`);
  if (rest.length === 0) return inlineSpec(first, field);
  const platform: Record<string, unknown> = {};
  for (const r of rest) if (isRecord(r)) Object.assign(platform, r);
  return { spec: first, platform };
}

// ---- output shapes ----

function omitEmpty<T extends Record<string, unknown>>(o: T): Partial<T> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) if (v !== undefined && v !== '' && v !== null) out[k] = v;
  return out as Partial<T>;
}

/** A stored spec as KFP returns it: the IR, or `{pipeline_spec, platform_spec}` when there is a platform spec. */
function specOut(spec: PipelineSpec, platform: PlatformSpec | undefined): unknown {
  return platform ? { pipeline_spec: spec, platform_spec: platform } : spec;
}

export function pipelineToApi(p: PipelineRecord): unknown {
  return omitEmpty({ pipeline_id: p.pipeline_id, name: p.name, display_name: p.display_name, description: p.description, created_at: p.created_at, namespace: p.namespace, tags: p.tags });
}

export function versionToApi(v: PipelineVersionRecord): unknown {
  return omitEmpty({
    pipeline_id: v.pipeline_id,
    pipeline_version_id: v.pipeline_version_id,
    name: v.name,
    display_name: v.display_name,
    description: v.description,
    created_at: v.created_at,
    package_url: v.package_url,
    code_source_url: v.code_source_url,
    pipeline_spec: specOut(v.pipeline_spec, v.platform_spec),
    tags: v.tags,
  });
}

export function experimentToApi(e: ExperimentRecord): unknown {
  return omitEmpty({
    experiment_id: e.experiment_id,
    display_name: e.display_name,
    description: e.description,
    created_at: e.created_at,
    namespace: e.namespace,
    storage_state: e.storage_state,
    last_run_created_at: e.last_run_created_at,
  });
}

function taskToApi(t: TaskRecord): unknown {
  return omitEmpty({
    run_id: t.run_id,
    task_id: t.task_id,
    display_name: t.display_name,
    create_time: t.create_time,
    start_time: t.start_time,
    end_time: t.end_time,
    executor_detail: t.pod_name ? { main_job: t.pod_name } : undefined,
    state: t.state,
    execution_id: t.execution_id === undefined ? undefined : String(t.execution_id),
    error: t.error,
    inputs: t.inputs ? Object.fromEntries(Object.entries(t.inputs).map(([k, v]) => [k, { artifact_ids: v.artifact_ids.map(String) }])) : undefined,
    outputs: t.outputs ? Object.fromEntries(Object.entries(t.outputs).map(([k, v]) => [k, { artifact_ids: v.artifact_ids.map(String) }])) : undefined,
    parent_task_id: t.parent_task_id,
    state_history: t.state_history,
    pod_name: t.pod_name,
    child_tasks: t.child_tasks,
  });
}

/** A run as GET /runs/{id} returns it, with run_details built from its tasks (less the engine's own state). */
export function runToApi(r: RunRecord, tasks: readonly TaskRecord[]): unknown {
  return omitEmpty({
    experiment_id: r.experiment_id,
    run_id: r.run_id,
    display_name: r.display_name,
    storage_state: r.storage_state,
    description: r.description,
    ...(r.pipeline_version_reference ? { pipeline_version_reference: r.pipeline_version_reference } : { pipeline_spec: specOut(r.pipeline_spec, r.platform_spec) }),
    // KFP leaves runtime_config out when it holds neither parameters nor a pipeline root.
    runtime_config: r.runtime_config.parameters !== undefined || r.runtime_config.pipeline_root ? r.runtime_config : undefined,
    service_account: r.service_account,
    created_at: r.created_at,
    scheduled_at: r.scheduled_at,
    finished_at: r.finished_at,
    state: r.state,
    error: r.error,
    run_details: omitEmpty({
      pipeline_context_id: r.pipeline_context_id === undefined ? undefined : String(r.pipeline_context_id),
      pipeline_run_context_id: r.pipeline_run_context_id === undefined ? undefined : String(r.pipeline_run_context_id),
      task_details: tasks.map(taskToApi),
    }),
    recurring_run_id: r.recurring_run_id,
    state_history: r.state_history,
  });
}

function triggerToApi(t: Trigger): unknown {
  if ('cron_schedule' in t) return { cron_schedule: omitEmpty({ ...t.cron_schedule }) };
  return { periodic_schedule: omitEmpty({ ...t.periodic_schedule, interval_second: String(t.periodic_schedule.interval_second) }) };
}

export function recurringRunToApi(r: RecurringRunRecord): unknown {
  return omitEmpty({
    recurring_run_id: r.recurring_run_id,
    display_name: r.display_name,
    description: r.description,
    ...(r.pipeline_version_reference ? { pipeline_version_reference: r.pipeline_version_reference } : r.pipeline_spec ? { pipeline_spec: specOut(r.pipeline_spec, r.platform_spec) } : {}),
    runtime_config: r.runtime_config,
    service_account: r.service_account,
    max_concurrency: String(r.max_concurrency),
    trigger: triggerToApi(r.trigger),
    mode: r.mode,
    created_at: r.created_at,
    updated_at: r.updated_at,
    status: r.mode === 'ENABLE' ? 'ENABLED' : 'DISABLED',
    no_catchup: r.no_catchup,
    namespace: r.namespace,
    experiment_id: r.experiment_id,
  });
}

/** A list response: KFP leaves out an empty list, a zero total and an empty token. */
function listOut<T>(key: string, result: ListResult<T>, convert: (item: T) => unknown): unknown {
  return omitEmpty({ [key]: result.items.length ? result.items.map(convert) : undefined, total_size: result.total_size || undefined, next_page_token: result.next_page_token });
}

function listRequest(url: URL): ListRequest {
  const q = url.searchParams;
  const size = q.get('page_size') ?? q.get('pageSize');
  const pageSize = size === null || size === '' ? undefined : Number(size);
  if (pageSize !== undefined && !Number.isInteger(pageSize)) throw invalid(`page_size: "${size}" is not an integer`);
  return {
    filter: q.get('filter') ?? undefined,
    sortBy: q.get('sort_by') ?? q.get('sortBy') ?? undefined,
    pageSize,
    pageToken: q.get('page_token') ?? q.get('pageToken') ?? undefined,
  };
}

// ---- the route ----

/**
 * The KFP API route: `(req, res, url) => handled`. Serves healthz, pipelines (with uploads), versions, experiments, runs
 * and recurring runs under `/apis/v2beta1/`; answers false for any other path.
 */
export function kfpApiRoute(options: KfpApiOptions): (req: IncomingMessage, res: ServerResponse, url: URL, caller?: Caller) => Promise<boolean> {
  const { db, engine, validate } = options;
  const multiUser = options.multiUser;

  /** What each resource is called in KFP's "cannot have an empty namespace" errors. */
  const what: Record<string, string> = { experiments: 'An experiment', runs: 'A run', jobs: 'A recurring run', pipelines: 'A pipeline', pipelineversions: 'A pipeline version' };

  /**
   * KFP's IsAuthorized in multi-user mode (a no-op in single-user mode): a SubjectAccessReview for the caller with
   * group pipelines.kubeflow.org, version v1beta1, the resource, verb, namespace and name. `namespace` "" is refused
   * (`shared` allows it for pipelines shared with everyone: then the review is cluster-wide).
   */
  async function authorize(caller: Caller | undefined, resource: string, verb: string, namespace: string, name?: string, shared = false): Promise<void> {
    if (!multiUser) return;
    if (!caller?.name) throw new KfpError('UNAUTHENTICATED', 'User identity is empty in the request header');
    if (!namespace && !shared) throw invalid(`${what[resource] ?? 'A resource'} cannot have an empty namespace in multi-user mode`);
    const decision = await multiUser.review(caller, { verb, group: KfpRbacGroup, version: KfpRbacVersion, resource, ...(namespace ? { namespace } : {}), ...(name ? { name } : {}) });
    if (!decision.allowed) {
      const attrs = `&ResourceAttributes{Namespace:${namespace},Verb:${verb},Group:${KfpRbacGroup},Version:${KfpRbacVersion},Resource:${resource},Subresource:,Name:${name ?? ''},}`;
      throw new KfpError('PERMISSION_DENIED', `Failed to authorize with API: PermissionDenied: User '${caller.name}' is not authorized with reason: ${decision.reason ?? 'no RBAC policy matched'} (request: ${attrs})`);
    }
  }

  /** Reading a pipeline: shared ones (namespace "") are readable by every caller, as in KFP. */
  async function canAccessPipeline(caller: Caller | undefined, p: PipelineRecord, verb: string, resource = 'pipelines'): Promise<void> {
    if (!multiUser) return;
    if (!p.namespace && (verb === 'get' || verb === 'list')) {
      if (!caller?.name) throw new KfpError('UNAUTHENTICATED', 'User identity is empty in the request header');
      return;
    }
    await authorize(caller, resource, verb, p.namespace, p.name, true);
  }

  /** The namespace a list call is about: `namespace`, or the experiment's; in multi-user mode it must be there. */
  function listNamespace(url: URL, experimentId: string | undefined): string | undefined {
    const namespace = url.searchParams.get('namespace') || undefined;
    if (!multiUser || !experimentId) return namespace;
    const e = db.getExperiment(experimentId);
    if (!e) throw notFound(`experiment ${experimentId} not found`);
    if (namespace && e.namespace !== namespace) throw invalid(`the experiment ${experimentId} is in namespace ${e.namespace}, not ${namespace}`);
    return e.namespace;
  }
  const now = options.now ?? (() => new Date());
  const defaultNamespace = options.defaultNamespace ?? 'kubeflow';
  const maxBody = options.maxBodyBytes ?? 64 * 1024 * 1024;
  const fetchPackage = options.fetchPackage ?? packageFetcher([]);

  async function rawBody(req: IncomingMessage): Promise<Buffer> {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of req) {
      size += (chunk as Buffer).length;
      if (size > maxBody) throw invalid(`the request body is larger than ${maxBody} bytes`);
      chunks.push(chunk as Buffer);
    }
    return Buffer.concat(chunks);
  }

  async function jsonBody(req: IncomingMessage): Promise<unknown> {
    const text = (await rawBody(req)).toString('utf8');
    if (text.trim() === '') return {};
    try {
      return JSON.parse(text);
    } catch {
      throw invalid('the request body is not valid JSON');
    }
  }

  /** Checks a spec with the validator; on problems nothing is stored and the caller gets them all. */
  function checked(pair: { spec: unknown; platform?: unknown }, field: string, parameters?: Record<string, unknown>): SpecPair {
    if (!isRecord(pair.spec)) throw invalid(`${field}: must be an object (the compiled pipeline IR)`);
    if (pair.platform !== undefined && !isRecord(pair.platform)) throw invalid(`${field}.platform_spec: must be an object`);
    const problems = validate(pair.spec, pair.platform, parameters);
    if (problems.length > 0) throw invalid(`${field.split('.')[0]!} is not valid: ${problems.join('; ')}`, problems);
    return { spec: pair.spec as unknown as PipelineSpec, ...(pair.platform ? { platform: pair.platform } : {}) };
  }

  async function uploadedFile(req: IncomingMessage): Promise<{ text: string; filename: string }> {
    const boundary = multipartBoundary(req.headers['content-type']);
    if (!boundary) throw invalid('uploadfile: the request must be multipart/form-data with the pipeline package in the "uploadfile" field');
    let parts;
    try {
      parts = parseMultipart(await rawBody(req), boundary);
    } catch (err) {
      throw invalid(`uploadfile: ${(err as Error).message}`);
    }
    const file = parts.find((p) => p.name === 'uploadfile');
    if (!file) throw invalid('uploadfile: the form has no "uploadfile" field');
    try {
      return { text: packageText(file.data, file.filename ?? ''), filename: file.filename ?? '' };
    } catch (err) {
      throw invalid(`uploadfile: ${(err as Error).message}`);
    }
  }

  function queryTags(url: URL): Record<string, string> | undefined {
    const t = url.searchParams.get('tags');
    if (!t) return undefined;
    let parsed: unknown;
    try {
      parsed = JSON.parse(t);
    } catch {
      throw invalid('Failed to parse tags query parameter. Expected JSON object with string keys and values');
    }
    if (parsed === null) return undefined;
    if (!isRecord(parsed) || Object.values(parsed).some((x) => typeof x !== 'string')) throw invalid('Failed to parse tags query parameter. Expected JSON object with string keys and values');
    return tags(parsed, 'tags');
  }

  function baseName(filename: string): string {
    return (filename.split(/[\\/]/).pop() ?? '').replace(/\.(tar\.gz|tgz|zip|ya?ml|json)$/i, '');
  }

  function pipelineOrThrow(id: string): PipelineRecord {
    const p = db.getPipeline(id);
    if (!p) throw notFound(`pipeline ${id} not found`);
    return p;
  }

  function versionOrThrow(id: string): PipelineVersionRecord {
    const v = db.getVersion(id);
    if (!v) throw notFound(`pipeline version ${id} not found`);
    return v;
  }

  function experimentFor(id: string | undefined, field: string): ExperimentRecord {
    if (!id) return db.defaultExperiment();
    const e = db.getExperiment(id);
    if (!e) throw notFound(`${field}: experiment ${id} not found`);
    return e;
  }

  /** The version body of a create: an inline spec or a package URL. */
  async function versionSpec(body: Record<string, unknown>, field: string): Promise<SpecPair & { package_url?: { pipeline_url: string } }> {
    if (body.pipeline_spec !== undefined) return checked(inlineSpec(body.pipeline_spec, `${field}.pipeline_spec`), `${field}.pipeline_spec`);
    const pkg = message(body.package_url, `${field}.package_url`, ['pipeline_url']);
    const u = optString(pkg.pipeline_url, `${field}.package_url.pipeline_url`);
    if (!u) throw invalid(`${field}: pipeline_spec or package_url.pipeline_url is required`);
    let text: string;
    try {
      text = packageText(await fetchPackage(u), new URL(u).pathname);
    } catch (err) {
      throw invalid(`${field}.package_url.pipeline_url: cannot read the package at ${u}: ${(err as Error).message}`);
    }
    return { ...checked(specFromText(text, `${field}.package_url`), `${field}.package_url`), package_url: { pipeline_url: u } };
  }

  function versionFields(body: Record<string, unknown>, field: string, spec: PipelineSpec, fallbackName: string) {
    const name = optString(body.name, `${field}.name`) ?? optString(body.display_name, `${field}.display_name`) ?? (fallbackName || spec.pipelineInfo?.name);
    if (!name) throw invalid(`${field}.name: required`);
    checkLength('PipelineVersion.Name', name);
    const description = optString(body.description, `${field}.description`);
    const codeSource = optString(body.code_source_url, `${field}.code_source_url`);
    const t = tags(body.tags, `${field}.tags`);
    return {
      name,
      display_name: optString(body.display_name, `${field}.display_name`) ?? name,
      ...(description ? { description } : {}),
      ...(codeSource ? { code_source_url: codeSource } : {}),
      ...(t ? { tags: t } : {}),
    };
  }

  /** Where a run or recurring run gets its pipeline: inline, or a version (the latest when only the pipeline is named). */
  function pipelineSource(body: Record<string, unknown>, field: string, parameters: Record<string, unknown> | undefined): SpecPair & { ref?: { pipeline_id: string; pipeline_version_id: string } } {
    const refBody = message(body.pipeline_version_reference, `${field}.pipeline_version_reference`, ['pipeline_id', 'pipeline_version_id']);
    const versionId = optString(refBody.pipeline_version_id, `${field}.pipeline_version_reference.pipeline_version_id`) ?? optString(body.pipeline_version_id, `${field}.pipeline_version_id`);
    const pipelineId = optString(refBody.pipeline_id, `${field}.pipeline_version_reference.pipeline_id`);
    const byRef = versionId !== undefined || pipelineId !== undefined;
    if (body.pipeline_spec !== undefined && byRef) throw invalid(`${field}: give pipeline_spec or pipeline_version_reference, not both`);
    if (body.pipeline_spec !== undefined) return checked(inlineSpec(body.pipeline_spec, `${field}.pipeline_spec`), `${field}.pipeline_spec`, parameters);
    if (!byRef) throw invalid(`${field}: pipeline_spec or pipeline_version_reference is required`);
    let version: PipelineVersionRecord | undefined;
    if (versionId) {
      version = db.getVersion(versionId);
      if (!version || (pipelineId && version.pipeline_id !== pipelineId)) {
        throw notFound(`${field}.pipeline_version_reference.pipeline_version_id: pipeline version ${versionId} not found${pipelineId ? ` in pipeline ${pipelineId}` : ''}`);
      }
    } else {
      pipelineOrThrow(pipelineId!);
      version = db.latestVersion(pipelineId!);
      if (!version) throw new KfpError('FAILED_PRECONDITION', `${field}.pipeline_version_reference.pipeline_id: pipeline ${pipelineId} has no versions`);
    }
    const pair = checked({ spec: version.pipeline_spec, ...(version.platform_spec ? { platform: version.platform_spec } : {}) }, `${field}.pipeline_version_reference`, parameters);
    return { ...pair, ref: { pipeline_id: version.pipeline_id, pipeline_version_id: version.pipeline_version_id } };
  }

  function runtimeConfig(value: unknown, field: string): RuntimeConfig {
    const rc = message(value, field, ['parameters', 'pipeline_root']);
    if (rc.parameters !== undefined && !isRecord(rc.parameters)) throw invalid(`${field}.parameters: must be a map`);
    const root = optString(rc.pipeline_root, `${field}.pipeline_root`);
    const params = rc.parameters as Record<string, JsonValue> | undefined;
    return { ...(params && Object.keys(params).length ? { parameters: params } : {}), ...(root ? { pipeline_root: root } : {}) };
  }

  function trigger(value: unknown, field: string): Trigger {
    if (value === undefined || value === null) throw invalid(`${field}: API Trigger cannot be nil`);
    const t = message(value, field, ['cron_schedule', 'periodic_schedule']);
    if ((t.cron_schedule === undefined) === (t.periodic_schedule === undefined)) throw invalid(`${field}: exactly one of cron_schedule and periodic_schedule is required`);
    const kind = t.cron_schedule !== undefined ? 'cron_schedule' : 'periodic_schedule';
    const s = message(t[kind], `${field}.${kind}`, ['start_time', 'end_time', 'cron', 'interval_second']);
    const start = optTime(s.start_time, `${field}.${kind}.start_time`);
    const end = optTime(s.end_time, `${field}.${kind}.end_time`);
    if (start && end && Date.parse(end) < Date.parse(start)) throw invalid(`${field}.${kind}.end_time: is before start_time`);
    const window = { ...(start ? { start_time: start } : {}), ...(end ? { end_time: end } : {}) };
    if (kind === 'cron_schedule') {
      const cron = optString(s.cron, `${field}.cron_schedule.cron`);
      if (!cron) throw invalid(`${field}.cron_schedule.cron: required`);
      try {
        parseCron(cron);
      } catch (err) {
        if (err instanceof CronError) throw invalid(`${field}.cron_schedule.cron: ${err.message}`);
        throw err;
      }
      return { cron_schedule: { ...window, cron } };
    }
    const interval = int64(s.interval_second, `${field}.periodic_schedule.interval_second`);
    if (interval === undefined || interval < 1) throw invalid(`${field}.periodic_schedule.interval_second: must be at least 1`);
    return { periodic_schedule: { ...window, interval_second: interval } };
  }

  const routes: [string, RegExp, Handler][] = [
    ['GET', /^\/healthz$/, () => ({ multi_user: multiUser !== undefined, pipeline_store: 'database' })],

    // ---- pipelines ----
    [
      'POST',
      /^\/pipelines$/,
      async (req, _url, _p, caller) => {
        const b = message(await jsonBody(req), 'pipeline', pipelineKeys);
        const name = optString(b.name, 'pipeline.name') ?? optString(b.display_name, 'pipeline.display_name');
        if (!name) throw invalid('pipeline.name: required');
        checkLength('Pipeline.Name', name);
        checkLength('Pipeline.Namespace', optString(b.namespace, 'pipeline.namespace'));
        await authorize(caller, 'pipelines', 'create', optString(b.namespace, 'pipeline.namespace') ?? '', name, true);
        const description = optString(b.description, 'pipeline.description');
        const t = tags(b.tags, 'pipeline.tags');
        const p = db.createPipeline({
          name,
          display_name: optString(b.display_name, 'pipeline.display_name') ?? name,
          namespace: optString(b.namespace, 'pipeline.namespace') ?? '',
          ...(description ? { description } : {}),
          ...(t ? { tags: t } : {}),
        });
        return pipelineToApi(p);
      },
    ],
    [
      'POST',
      /^\/pipelines\/create$/,
      async (req, _url, _p, caller) => {
        const b = message(await jsonBody(req), 'request', ['pipeline', 'pipeline_version']);
        const p = message(b.pipeline, 'pipeline', pipelineKeys);
        const v = message(b.pipeline_version, 'pipeline_version', versionKeys);
        if (b.pipeline_version === undefined) throw invalid('pipeline_version: required');
        const spec = await versionSpec(v, 'pipeline_version');
        const name = optString(p.name, 'pipeline.name') ?? optString(p.display_name, 'pipeline.display_name') ?? spec.spec.pipelineInfo?.name;
        if (!name) throw invalid('pipeline.name: required');
        checkLength('Pipeline.Name', name);
        checkLength('Pipeline.Namespace', optString(p.namespace, 'pipeline.namespace'));
        await authorize(caller, 'pipelines', 'create', optString(p.namespace, 'pipeline.namespace') ?? '', name, true);
        const description = optString(p.description, 'pipeline.description');
        const t = tags(p.tags, 'pipeline.tags');
        const versionTags = tags(v.tags, 'pipeline_version.tags');
        const displayName = optString(p.display_name, 'pipeline.display_name') ?? name;
        const codeSource = optString(v.code_source_url, 'pipeline_version.code_source_url');
        // As KFP does, the first version takes the pipeline's name, display name and description; of the version
        // body only its source, code_source_url and tags are used.
        const created = db.createPipelineAndVersion(
          { name, display_name: displayName, namespace: optString(p.namespace, 'pipeline.namespace') ?? '', ...(description ? { description } : {}), ...(t ? { tags: t } : {}) },
          {
            name,
            display_name: displayName,
            ...(description ? { description } : {}),
            ...(codeSource ? { code_source_url: codeSource } : {}),
            ...(versionTags ? { tags: versionTags } : {}),
            pipeline_spec: spec.spec,
            ...(spec.platform ? { platform_spec: spec.platform } : {}),
            ...(spec.package_url ? { package_url: spec.package_url } : {}),
          },
        );
        return pipelineToApi(created.pipeline);
      },
    ],
    [
      'POST',
      /^\/pipelines\/upload$/,
      async (req, url, _p, caller) => {
        const q = url.searchParams;
        await authorize(caller, 'pipelines', 'create', q.get('namespace') ?? '', undefined, true);
        const file = await uploadedFile(req);
        const pair = checked(specFromText(file.text, 'uploadfile'), 'uploadfile');
        const name = q.get('name') || q.get('display_name') || baseName(file.filename) || pair.spec.pipelineInfo?.name;
        if (!name) throw invalid('name: required');
        checkLength('Pipeline.Name', name);
        checkLength('Pipeline.Namespace', q.get('namespace') ?? undefined);
        const displayName = q.get('display_name') || name;
        const description = q.get('description') || undefined;
        const t = queryTags(url);
        const created = db.createPipelineAndVersion(
          { name, display_name: displayName, namespace: q.get('namespace') ?? '', ...(description ? { description } : {}), ...(t ? { tags: t } : {}) },
          { name, display_name: displayName, ...(description ? { description } : {}), pipeline_spec: pair.spec, ...(pair.platform ? { platform_spec: pair.platform } : {}) },
        );
        return pipelineToApi(created.pipeline);
      },
    ],
    [
      'POST',
      /^\/pipelines\/upload_version$/,
      async (req, url, _p, caller) => {
        const q = url.searchParams;
        const pipelineId = q.get('pipelineid') ?? q.get('pipeline_id');
        if (!pipelineId) throw invalid('pipelineid: required (the pipeline to add the version to)');
        await canAccessPipeline(caller, pipelineOrThrow(pipelineId), 'create', 'pipelineversions');
        const file = await uploadedFile(req);
        const pair = checked(specFromText(file.text, 'uploadfile'), 'uploadfile');
        const name = q.get('name') || q.get('display_name') || baseName(file.filename) || pair.spec.pipelineInfo?.name;
        if (!name) throw invalid('name: required');
        checkLength('PipelineVersion.Name', name);
        const description = q.get('description') || undefined;
        const t = queryTags(url);
        const v = db.createVersion({
          pipeline_id: pipelineId,
          name,
          display_name: q.get('display_name') || name,
          ...(description ? { description } : {}),
          ...(t ? { tags: t } : {}),
          pipeline_spec: pair.spec,
          ...(pair.platform ? { platform_spec: pair.platform } : {}),
        });
        return versionToApi(v);
      },
    ],
    [
      'GET',
      /^\/pipelines$/,
      async (_req, url, _p, caller) => {
        const namespace = url.searchParams.get('namespace') || undefined;
        if (multiUser && namespace) await authorize(caller, 'pipelines', 'list', namespace);
        if (multiUser && !caller?.name) throw new KfpError('UNAUTHENTICATED', 'User identity is empty in the request header');
        return listOut('pipelines', db.listPipelines(listRequest(url), namespace, { sharedOnly: multiUser !== undefined }), pipelineToApi);
      },
    ],
    [
      'GET',
      /^\/pipelines\/names\/([^/]+)$/,
      async (_req, url, [name], caller) => {
        const ns = url.searchParams.get('namespace') ?? '';
        if (multiUser && ns) await authorize(caller, 'pipelines', 'get', ns, name);
        const p = db.getPipelineByName(name!, ns) ?? (ns ? db.getPipelineByName(name!, '') : undefined);
        if (!p) throw notFound(`pipeline named "${name}" not found${ns ? ` in namespace ${ns}` : ''}`);
        await canAccessPipeline(caller, p, 'get');
        return pipelineToApi(p);
      },
    ],
    [
      'GET',
      /^\/pipelines\/([^/]+)$/,
      async (_req, _url, [id], caller) => {
        const p = pipelineOrThrow(id!);
        await canAccessPipeline(caller, p, 'get');
        return pipelineToApi(p);
      },
    ],
    [
      'PATCH',
      /^\/pipelines\/([^/]+)$/,
      async (req, _url, [id], caller) => {
        await canAccessPipeline(caller, pipelineOrThrow(id!), 'update');
        const b = message(await jsonBody(req), 'pipeline', pipelineKeys);
        const displayName = optString(b.display_name, 'pipeline.display_name');
        const description = optString(b.description, 'pipeline.description');
        const t = tags(b.tags, 'pipeline.tags');
        return pipelineToApi(db.updatePipeline(id!, { ...(displayName ? { display_name: displayName } : {}), ...(description ? { description } : {}), ...(t ? { tags: t } : {}) }));
      },
    ],
    [
      'DELETE',
      /^\/pipelines\/([^/]+)$/,
      async (_req, url, [id], caller) => {
        if (multiUser) await canAccessPipeline(caller, pipelineOrThrow(id!), 'delete');
        // grpc-gateway reads a bool query parameter with Go's strconv.ParseBool (kfp_server_api sends "True").
        db.deletePipeline(id!, ['1', 't', 'T', 'TRUE', 'true', 'True'].includes(url.searchParams.get('cascade') ?? ''));
        return {};
      },
    ],

    // ---- pipeline versions ----
    [
      'POST',
      /^\/pipelines\/([^/]+)\/versions$/,
      async (req, _url, [pipelineId], caller) => {
        if (multiUser) await canAccessPipeline(caller, pipelineOrThrow(pipelineId!), 'create', 'pipelineversions');
        const b = message(await jsonBody(req), 'pipeline_version', versionKeys);
        // The pipeline in the path wins over one in the body, as in KFP's CreatePipelineVersion.
        pipelineOrThrow(pipelineId!);
        const spec = await versionSpec(b, 'pipeline_version');
        const v = db.createVersion({
          pipeline_id: pipelineId!,
          ...versionFields(b, 'pipeline_version', spec.spec, ''),
          pipeline_spec: spec.spec,
          ...(spec.platform ? { platform_spec: spec.platform } : {}),
          ...(spec.package_url ? { package_url: spec.package_url } : {}),
        });
        return versionToApi(v);
      },
    ],
    [
      'GET',
      /^\/pipelines\/([^/]+)\/versions$/,
      async (_req, url, [pipelineId], caller) => {
        await canAccessPipeline(caller, pipelineOrThrow(pipelineId!), 'list', 'pipelineversions');
        return listOut('pipeline_versions', db.listVersions(pipelineId!, listRequest(url)), versionToApi);
      },
    ],
    [
      'GET',
      /^\/pipelines\/([^/]+)\/versions\/([^/]+)$/,
      async (_req, _url, [, versionId], caller) => {
        // As KFP: the version by its id, whatever pipeline the path names.
        const v = versionOrThrow(versionId!);
        await canAccessPipeline(caller, pipelineOrThrow(v.pipeline_id), 'get', 'pipelineversions');
        return versionToApi(v);
      },
    ],
    [
      'PATCH',
      /^\/pipelines\/([^/]+)\/versions\/([^/]+)$/,
      async (req, _url, [, versionId], caller) => {
        const v = versionOrThrow(versionId!);
        await canAccessPipeline(caller, pipelineOrThrow(v.pipeline_id), 'update', 'pipelineversions');
        const b = message(await jsonBody(req), 'pipeline_version', versionKeys);
        const displayName = optString(b.display_name, 'pipeline_version.display_name');
        const description = optString(b.description, 'pipeline_version.description');
        const t = tags(b.tags, 'pipeline_version.tags');
        return versionToApi(db.updateVersion(versionId!, { ...(displayName ? { display_name: displayName } : {}), ...(description ? { description } : {}), ...(t ? { tags: t } : {}) }));
      },
    ],
    [
      'DELETE',
      /^\/pipelines\/([^/]+)\/versions\/([^/]+)$/,
      async (_req, _url, [, versionId], caller) => {
        // KFP deletes the version named even when the path's pipeline is another one.
        const v = versionOrThrow(versionId!);
        await canAccessPipeline(caller, pipelineOrThrow(v.pipeline_id), 'delete', 'pipelineversions');
        db.deleteVersion(versionId!);
        return {};
      },
    ],

    // ---- experiments ----
    [
      'POST',
      /^\/experiments$/,
      async (req, _url, _p, caller) => {
        const b = message(await jsonBody(req), 'experiment', experimentKeys);
        const name = optString(b.display_name, 'experiment.display_name');
        if (!name) throw invalid('experiment.display_name: required');
        checkLength('Experiment.Name', name);
        const namespace = optString(b.namespace, 'experiment.namespace') ?? '';
        checkLength('Experiment.Namespace', namespace);
        await authorize(caller, 'experiments', 'create', namespace, name);
        const description = optString(b.description, 'experiment.description');
        return experimentToApi(db.createExperiment({ display_name: name, namespace, ...(description ? { description } : {}) }));
      },
    ],
    [
      'GET',
      /^\/experiments$/,
      async (_req, url, _p, caller) => {
        const namespace = url.searchParams.get('namespace') || undefined;
        await authorize(caller, 'experiments', 'list', namespace ?? '');
        return listOut('experiments', db.listExperiments(listRequest(url), namespace), experimentToApi);
      },
    ],
    [
      'GET',
      /^\/experiments\/([^/:]+)$/,
      async (_req, _url, [id], caller) => {
        const e = db.getExperiment(id!);
        if (!e) throw notFound(`experiment ${id} not found`);
        await authorize(caller, 'experiments', 'get', e.namespace, e.display_name);
        return experimentToApi(e);
      },
    ],
    [
      'DELETE',
      /^\/experiments\/([^/:]+)$/,
      async (_req, _url, [id], caller) => {
        if (multiUser) {
          const e = db.getExperiment(id!);
          if (!e) throw notFound(`experiment ${id} not found`);
          await authorize(caller, 'experiments', 'delete', e.namespace, e.display_name);
        }
        db.deleteExperiment(id!);
        return {};
      },
    ],
    [
      'POST',
      /^\/experiments\/([^/:]+):(archive|unarchive)$/,
      async (_req, _url, [id, verb], caller) => {
        if (multiUser) {
          const e = db.getExperiment(id!);
          if (!e) throw notFound(`experiment ${id} not found`);
          await authorize(caller, 'experiments', verb!, e.namespace, e.display_name);
        }
        if (verb === 'archive') db.archiveExperiment(id!);
        else db.unarchiveExperiment(id!);
        return {};
      },
    ],

    // ---- runs ----
    [
      'POST',
      /^\/runs$/,
      async (req, _url, _p, caller) => {
        const b = message(await jsonBody(req), 'run', runKeys);
        const displayName = optString(b.display_name, 'run.display_name');
        if (!displayName) throw invalid('run.display_name: required');
        const rc = runtimeConfig(b.runtime_config, 'run.runtime_config');
        const experiment = experimentFor(optString(b.experiment_id, 'run.experiment_id'), 'run.experiment_id');
        await authorize(caller, 'runs', 'create', experiment.namespace, displayName);
        const source = pipelineSource(b, 'run', rc.parameters ?? {});
        if (multiUser && source.ref) await canAccessPipeline(caller, pipelineOrThrow(source.ref.pipeline_id), 'get');
        const description = optString(b.description, 'run.description');
        const sa = optString(b.service_account, 'run.service_account') ?? (multiUser ? MultiUserRunnerServiceAccount : DefaultRunnerServiceAccount);
        const created = now().toISOString();
        const run: RunRecord = {
          run_id: randomUUID(),
          experiment_id: experiment.experiment_id,
          display_name: displayName,
          ...(description ? { description } : {}),
          namespace: experiment.namespace || defaultNamespace,
          storage_state: 'AVAILABLE',
          pipeline_spec: source.spec,
          ...(source.platform ? { platform_spec: source.platform } : {}),
          ...(source.ref ? { pipeline_version_reference: source.ref } : {}),
          runtime_config: rc,
          ...(sa ? { service_account: sa } : {}),
          created_at: created,
          scheduled_at: created,
          state: 'PENDING',
          state_history: [{ update_time: created, state: 'PENDING' }],
        };
        db.createRun(run);
        engine.start(run.run_id);
        return runToApi(db.getRun(run.run_id) ?? run, db.listTasks(run.run_id));
      },
    ],
    [
      'GET',
      /^\/runs$/,
      async (_req, url, _p, caller) => {
        const experimentId = url.searchParams.get('experiment_id') || undefined;
        const namespace = listNamespace(url, experimentId);
        await authorize(caller, 'runs', 'list', namespace ?? '');
        const result = db.listRuns(listRequest(url), { ...(experimentId ? { experimentId } : {}), ...(namespace ? { namespace } : {}) });
        return listOut('runs', result, (r) => runToApi(r, db.listTasks(r.run_id)));
      },
    ],
    [
      'GET',
      /^\/runs\/([^/:]+)$/,
      async (_req, _url, [id], caller) => {
        const r = db.getRun(id!);
        if (!r) throw notFound(`run ${id} not found`);
        await authorize(caller, 'runs', 'get', r.namespace, r.display_name);
        return runToApi(r, db.listTasks(r.run_id));
      },
    ],
    [
      'DELETE',
      /^\/runs\/([^/:]+)$/,
      async (_req, _url, [id], caller) => {
        const r = db.getRun(id!);
        if (!r) throw notFound(`run ${id} not found`);
        await authorize(caller, 'runs', 'delete', r.namespace, r.display_name);
        // A run still going is stopped first, as KFP deletes its workflow.
        if (!finalStates.includes(r.state)) await engine.terminate(r.run_id);
        db.deleteRun(r.run_id);
        return {};
      },
    ],
    [
      'POST',
      /^\/runs\/([^/:]+):(archive|unarchive|terminate|retry)$/,
      async (_req, _url, [id, verb], caller) => {
        const r = db.getRun(id!);
        if (!r) throw notFound(`run ${id} not found`);
        await authorize(caller, 'runs', verb!, r.namespace, r.display_name);
        if (verb === 'archive') {
          db.archiveRun(r.run_id);
        } else if (verb === 'unarchive') {
          db.unarchiveRun(r.run_id);
        } else if (verb === 'terminate') {
          if (finalStates.includes(r.state)) throw new KfpError('FAILED_PRECONDITION', `run ${id} has already finished (${r.state})`);
          await engine.terminate(r.run_id);
        } else {
          if (r.state !== 'FAILED' && r.state !== 'CANCELED') throw new KfpError('FAILED_PRECONDITION', `run ${id} is ${r.state}: only a FAILED or CANCELED run can be retried`);
          await engine.retry(r.run_id);
        }
        return {};
      },
    ],

    // ---- recurring runs ----
    [
      'POST',
      /^\/recurringruns$/,
      async (req, _url, _p, caller) => {
        const b = message(await jsonBody(req), 'recurring_run', recurringRunKeys);
        const displayName = optString(b.display_name, 'recurring_run.display_name');
        if (!displayName) throw invalid('recurring_run.display_name: required');
        const trig = trigger(b.trigger, 'recurring_run.trigger');
        const maxConcurrency = int64(b.max_concurrency, 'recurring_run.max_concurrency') || 1;
        if (maxConcurrency < 1 || maxConcurrency > 10) throw invalid('recurring_run.max_concurrency: must be between 1 and 10');
        const mode = b.mode ?? 'ENABLE';
        if (!['ENABLE', 'DISABLE', 'MODE_UNSPECIFIED', 0, 1, 2].includes(mode as string)) throw invalid(`recurring_run.mode: unknown mode ${JSON.stringify(mode)} (ENABLE or DISABLE)`);
        if (b.no_catchup !== undefined && typeof b.no_catchup !== 'boolean') throw invalid('recurring_run.no_catchup: must be a boolean');
        const rc = runtimeConfig(b.runtime_config, 'recurring_run.runtime_config');
        const experiment = experimentFor(optString(b.experiment_id, 'recurring_run.experiment_id'), 'recurring_run.experiment_id');
        const rrNamespace = optString(b.namespace, 'recurring_run.namespace') ?? experiment.namespace;
        if (multiUser && rrNamespace !== experiment.namespace) throw invalid(`recurring_run.namespace: ${rrNamespace} differs from the experiment's namespace, ${experiment.namespace}`);
        await authorize(caller, 'jobs', 'create', rrNamespace, displayName);
        const source = pipelineSource(b, 'recurring_run', rc.parameters ?? {});
        if (multiUser && source.ref) await canAccessPipeline(caller, pipelineOrThrow(source.ref.pipeline_id), 'get');
        // Only a pipeline named without a version follows its latest version; everything else is fixed now.
        const refBody = message(b.pipeline_version_reference, 'recurring_run.pipeline_version_reference', ['pipeline_id', 'pipeline_version_id']);
        const followsLatest = source.ref !== undefined && !refBody.pipeline_version_id && !b.pipeline_version_id;
        const description = optString(b.description, 'recurring_run.description');
        const sa = optString(b.service_account, 'recurring_run.service_account') ?? (multiUser ? MultiUserRunnerServiceAccount : DefaultRunnerServiceAccount);
        const rr = db.createRecurringRun({
          display_name: displayName,
          ...(description ? { description } : {}),
          namespace: rrNamespace,
          experiment_id: experiment.experiment_id,
          ...(followsLatest ? { pipeline_version_reference: { pipeline_id: source.ref!.pipeline_id } } : { pipeline_spec: source.spec, ...(source.platform ? { platform_spec: source.platform } : {}) }),
          ...(source.ref && !followsLatest ? { pipeline_version_reference: source.ref } : {}),
          runtime_config: rc,
          ...(sa ? { service_account: sa } : {}),
          max_concurrency: maxConcurrency,
          trigger: trig,
          mode: mode === 'DISABLE' || mode === 2 ? 'DISABLE' : 'ENABLE',
          no_catchup: b.no_catchup === true,
        });
        return recurringRunToApi(rr);
      },
    ],
    [
      'GET',
      /^\/recurringruns$/,
      async (_req, url, _p, caller) => {
        const experimentId = url.searchParams.get('experiment_id') || undefined;
        const namespace = listNamespace(url, experimentId);
        await authorize(caller, 'jobs', 'list', namespace ?? '');
        return listOut('recurringRuns', db.listRecurringRuns(listRequest(url), { ...(experimentId ? { experimentId } : {}), ...(namespace ? { namespace } : {}) }), recurringRunToApi);
      },
    ],
    [
      'GET',
      /^\/recurringruns\/([^/:]+)$/,
      async (_req, _url, [id], caller) => {
        const rr = db.getRecurringRun(id!);
        if (!rr) throw notFound(`recurring run ${id} not found`);
        await authorize(caller, 'jobs', 'get', rr.namespace, rr.display_name);
        return recurringRunToApi(rr);
      },
    ],
    [
      'DELETE',
      /^\/recurringruns\/([^/:]+)$/,
      async (_req, _url, [id], caller) => {
        await recurringAccess(caller, id!, 'delete');
        db.deleteRecurringRun(id!);
        return {};
      },
    ],
    [
      'POST',
      /^\/recurringruns\/([^/:]+):(enable|disable)$/,
      async (_req, _url, [id, verb], caller) => {
        await recurringAccess(caller, id!, verb!);
        db.setRecurringRunMode(id!, verb === 'enable' ? 'ENABLE' : 'DISABLE');
        return {};
      },
    ],
  ];

  async function recurringAccess(caller: Caller | undefined, id: string, verb: string): Promise<void> {
    if (!multiUser) return;
    const rr = db.getRecurringRun(id);
    if (!rr) throw notFound(`recurring run ${id} not found`);
    await authorize(caller, 'jobs', verb, rr.namespace, rr.display_name);
  }

  const prefix = '/apis/v2beta1';
  return async (req, res, url, caller) => {
    if (url.pathname !== prefix && !url.pathname.startsWith(`${prefix}/`)) return false;
    const path = url.pathname.slice(prefix.length).replace(/\/+$/, '');
    const method = req.method ?? 'GET';
    try {
      let pathMatched = false;
      for (const [m, pattern, handler] of routes) {
        const match = pattern.exec(path);
        if (!match) continue;
        pathMatched = true;
        if (m !== method) continue;
        const params = match.slice(1).map((p) => decodeURIComponent(p));
        send(res, 200, await handler(req, url, params, caller));
        return true;
      }
      if (pathMatched) throw new KfpError('UNIMPLEMENTED', `method ${method} is not allowed on ${url.pathname}`);
      throw notFound(`no KFP API at ${method} ${url.pathname}`);
    } catch (err) {
      const e =
        err instanceof KfpError ? err : err instanceof ListQueryError ? invalid(err.message) : new KfpError('INTERNAL', `internal error: ${err instanceof Error ? err.message : String(err)}`);
      if (!res.headersSent) send(res, e.code === 'UNIMPLEMENTED' && /not allowed/.test(e.message) ? 405 : grpcCodes[e.code].http, errorBody(e));
      return true;
    }
  };
}

// ---- artifacts (KFP's ArtifactService, backend/api/v2beta1/artifacts.proto) ----

/** Where the artifact routes read from: ML Metadata and the pipelines folder that `file://` artifact URIs point into. */
/** The ML Metadata reads the artifact routes make. */
export type ArtifactMetadata = Pick<
  import('../../metadata/store.js').MetadataStore,
  'getArtifactsByID' | 'getExecutionsByID' | 'getContextsByArtifact' | 'getContextsByExecution' | 'getParentContextsByContext' | 'getEventsByArtifactIDs'
>;

export interface KfpArtifactOptions {
  metadata: ArtifactMetadata;
  /** The pipelines folder: only files inside it are served. */
  dir: string;
  multiUser?: { review: AccessReviewer };
  /** Reads artifacts kept in an object store (s3://, minio:// pipeline roots), with the run namespace's credentials. */
  objects?: ObjectStore;
  /** The namespace whose credentials read an artifact no run namespace is known for. */
  defaultNamespace?: string;
}

function mlmdString(v: unknown): string | undefined {
  return isRecord(v) && typeof v.string_value === 'string' ? v.string_value : undefined;
}

/**
 * `GET /apis/v2beta1/artifacts/{id}[?view=DOWNLOAD]` (the Artifact message) and `GET /apis/v2beta1/artifacts/{id}:download`
 * (its file). The namespace is the one of the pipeline run that made it (its contexts' or producing execution's
 * `namespace`); in multi-user mode the caller needs `get artifacts` there. Upstream's `download_url` is a signed URL into
 * the object store; Floe's is its own `:download`, authorized like the GET, which serves a file of its pipelines folder
 * or streams an object of an s3:// or minio:// root read with the run namespace's credentials.
 */
export function kfpArtifactRoute(options: KfpArtifactOptions): (req: IncomingMessage, res: ServerResponse, url: URL, caller?: Caller) => Promise<boolean> {
  const { metadata, dir, multiUser, objects } = options;
  const namespaceOf = (id: number): string => {
    const fromContext = (ctxs: { id?: number; custom_properties?: Record<string, unknown> }[], depth: number): string | undefined => {
      for (const c of ctxs) {
        const ns = mlmdString(c.custom_properties?.namespace) ?? (depth < 4 && c.id !== undefined ? fromContext(metadata.getParentContextsByContext(c.id), depth + 1) : undefined);
        if (ns) return ns;
      }
      return undefined;
    };
    const direct = fromContext(metadata.getContextsByArtifact(id), 0);
    if (direct) return direct;
    for (const ev of metadata.getEventsByArtifactIDs([id])) {
      if (ev.execution_id === undefined) continue;
      const exec = metadata.getExecutionsByID([ev.execution_id])[0];
      const ns = mlmdString(exec?.custom_properties?.namespace) ?? fromContext(metadata.getContextsByExecution(ev.execution_id), 0);
      if (ns) return ns;
    }
    return '';
  };
  const localPath = async (uri: string | undefined): Promise<string | undefined> => {
    const given = uri?.startsWith('file://') ? uri.slice('file://'.length) : uri;
    if (!given || !given.startsWith('/') || given.includes('\0')) return undefined;
    const { realpath } = await import('node:fs/promises');
    try {
      const [root, path] = [await realpath(dir), await realpath(given)];
      return path.startsWith(`${root}/`) ? path : undefined;
    } catch {
      return undefined;
    }
  };
  const prefix = '/apis/v2beta1/artifacts/';
  return async (req, res, url, caller) => {
    if (!url.pathname.startsWith(prefix)) return false;
    const m = /^(\d+)(:download)?\/?$/.exec(url.pathname.slice(prefix.length));
    if (!m) return false;
    try {
      if (req.method !== 'GET' && req.method !== 'HEAD') throw new KfpError('UNIMPLEMENTED', `method ${req.method} is not allowed on ${url.pathname}`);
      const id = Number(m[1]);
      const artifact = metadata.getArtifactsByID([id])[0];
      if (!artifact) throw notFound(`artifact ${id} not found`);
      const namespace = namespaceOf(id);
      if (multiUser) {
        if (!caller) throw new KfpError('UNAUTHENTICATED', 'no user identity');
        if (!namespace) throw notFound(`artifact ${id} not found`);
        const decision = await multiUser.review(caller, { verb: 'get', group: KfpRbacGroup, version: KfpRbacVersion, resource: 'artifacts', namespace });
        if (!decision.allowed) {
          throw new KfpError('PERMISSION_DENIED', `Failed to authorize with API: PermissionDenied: User '${caller.name}' is not authorized with reason: ${decision.reason ?? 'no RBAC policy matched'} (request: &ResourceAttributes{Namespace:${namespace},Verb:get,Group:${KfpRbacGroup},Version:${KfpRbacVersion},Resource:artifacts,Subresource:,Name:,})`);
        }
      }
      const path = await localPath(artifact.uri);
      const { stat, open } = await import('node:fs/promises');
      const info = path ? await stat(path).catch(() => undefined) : undefined;
      // An artifact in an object root is read from its bucket with the credentials of the run's namespace.
      const location = !path && objects ? parseObjectUri(artifact.uri ?? '') : undefined;
      if (m[2]) {
        let body: { stream: NodeJS.ReadableStream & { destroy(): void }; size?: number } | undefined;
        if (location) {
          body = await objects!.open(artifact.uri!, namespace || options.defaultNamespace || 'kubeflow');
          if (!body) throw notFound(`artifact ${id} has no object at ${artifact.uri ?? ''} (a folder artifact is the objects under its key, and is not downloaded as one file)`);
        } else {
          if (!path || !info?.isFile()) throw notFound(`artifact ${id} has no file in Floe's pipelines folder to download`);
          const handle = await open(path, 'r');
          body = { stream: handle.createReadStream(), size: info.size };
        }
        // The bytes are the pipeline's, not Floe's: never run as a page (no scripts, own origin), never sniffed.
        const html = artifact.type === 'system.HTML';
        const text = html || artifact.type === 'system.Markdown';
        res.writeHead(200, {
          'Content-Type': html ? 'text/html; charset=utf-8' : text ? 'text/plain; charset=utf-8' : 'application/octet-stream',
          ...(body.size !== undefined ? { 'Content-Length': body.size } : {}),
          'Content-Security-Policy': "sandbox; default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'self'",
          'X-Content-Type-Options': 'nosniff',
          'Cache-Control': 'no-store',
          'Referrer-Policy': 'no-referrer',
          ...(text ? {} : { 'Content-Disposition': `attachment; filename="artifact-${id}"` }),
        });
        const stream = body.stream;
        if (req.method === 'HEAD') {
          stream.destroy();
          res.end();
          return true;
        }
        stream.pipe(res);
        await new Promise<void>((resolve) => {
          stream.once('close', resolve);
          stream.once('error', () => {
            res.destroy();
            resolve();
          });
          res.once('close', () => {
            stream.destroy();
            resolve();
          });
        });
        return true;
      }
      const view = url.searchParams.get('view') ?? 'BASIC';
      if (!['BASIC', 'DOWNLOAD', 'ARTIFACT_VIEW_UNSPECIFIED'].includes(view)) throw invalid(`view: unknown value "${view}" (BASIC or DOWNLOAD)`);
      const objectSize = location ? await objects!.size(artifact.uri!, namespace || options.defaultNamespace || 'kubeflow') : undefined;
      const at = (ms: number | undefined): string | undefined => (ms ? new Date(ms).toISOString() : undefined);
      send(res, 200, omitEmpty({
        artifact_id: String(id),
        storage_provider: path ? 'local' : location?.provider,
        storage_path: path ?? (location ? `${location.bucket}/${location.key}` : undefined),
        uri: artifact.uri,
        download_url: view === 'DOWNLOAD' && (info?.isFile() || objectSize !== undefined) ? `${prefix}${id}:download` : undefined,
        namespace: namespace || undefined,
        artifact_type: artifact.type,
        artifact_size: info?.isFile() ? String(info.size) : objectSize !== undefined ? String(objectSize) : undefined,
        created_at: at(artifact.create_time_since_epoch),
        last_updated_at: at(artifact.last_update_time_since_epoch),
      }));
      return true;
    } catch (err) {
      const e = err instanceof KfpError ? err : new KfpError('INTERNAL', `internal error: ${err instanceof Error ? err.message : String(err)}`);
      if (!res.headersSent) send(res, e.code === 'UNIMPLEMENTED' ? 405 : grpcCodes[e.code].http, errorBody(e));
      else res.destroy();
      return true;
    }
  };
}
