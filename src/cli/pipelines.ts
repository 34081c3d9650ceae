// `floe pipeline …` and `floe run …`: Kubeflow Pipelines through Floe's KFP REST API v2beta1 (upload, list, run) and a
// run's progress as a user follows it: task state changes as they happen and each task Pod's output.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { basename } from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import { parseAllDocuments } from 'yaml';
import { FloeError } from '../api/errors.js';
import type { HttpMethod } from '../client/kube-http.js';
import { CliError, ExitCode, isServerError, UsageError } from './cli-error.js';
import { formatTable } from './printers.js';
import type { Session } from './session.js';

const apiPrefix = '/apis/v2beta1';
/** The label the run engine puts on every task Pod (KFP's own), valued with the run id. */
const runIdLabel = 'pipeline/runid';
const finalRunStates = ['SUCCEEDED', 'SKIPPED', 'FAILED', 'CANCELED'];
const pollMs = 500;
/** How long a finished task's log stream may take to drain before its final state is printed anyway. */
const drainMs = 10_000;
/** Pod logs streamed at once while following a run. */
const maxFollowed = 32;

type Json = Record<string, unknown>;

interface KfpPipeline {
  pipeline_id: string;
  name?: string;
  display_name?: string;
  description?: string;
  created_at?: string;
}
interface KfpVersion {
  pipeline_id: string;
  pipeline_version_id: string;
  name?: string;
  display_name?: string;
  description?: string;
  created_at?: string;
  pipeline_spec?: unknown;
}
interface KfpExperiment {
  experiment_id: string;
  display_name?: string;
  namespace?: string;
}
interface RpcStatus {
  code?: number;
  message?: string;
}
interface StateChange {
  update_time?: string;
  state?: string;
  error?: RpcStatus;
}
interface KfpTask {
  task_id: string;
  display_name?: string;
  parent_task_id?: string;
  create_time?: string;
  start_time?: string;
  end_time?: string;
  state?: string;
  error?: RpcStatus;
  pod_name?: string;
  state_history?: StateChange[];
}
interface KfpRun {
  run_id: string;
  display_name?: string;
  experiment_id?: string;
  pipeline_spec?: unknown;
  pipeline_version_reference?: { pipeline_id?: string; pipeline_version_id?: string };
  runtime_config?: { parameters?: Json; pipeline_root?: string };
  created_at?: string;
  scheduled_at?: string;
  finished_at?: string;
  state?: string;
  error?: RpcStatus;
  run_details?: { task_details?: KfpTask[] };
  state_history?: StateChange[];
}
interface InputDefinition {
  parameterType?: string;
  defaultValue?: unknown;
  isOptional?: boolean;
  description?: string;
}
interface PipelineIr {
  pipelineInfo?: { name?: string; description?: string };
  root?: {
    inputDefinitions?: { parameters?: Record<string, InputDefinition>; artifacts?: Record<string, { artifactType?: { schemaTitle?: string }; isOptional?: boolean }> };
    outputDefinitions?: { parameters?: Record<string, { parameterType?: string }>; artifacts?: Record<string, { artifactType?: { schemaTitle?: string } }> };
    dag?: { tasks?: Record<string, Json> };
  };
  components?: Record<string, { dag?: { tasks?: Record<string, Json> } }>;
}

// ---- the KFP API ----

/**
 * One request to the KFP API. KFP answers a failure with `{error_message, code, message}` rather than a Kubernetes
 * Status: it becomes a server error carrying the KFP message, which the CLI prints as `Error from server (…): …`.
 */
async function kfp<T>(session: Session, method: HttpMethod, path: string, options: { query?: Record<string, string | undefined>; body?: unknown; contentType?: string } = {}): Promise<T> {
  try {
    return await session.http.json<T>({ method, path: `${apiPrefix}${path}`, ...options });
  } catch (err) {
    throw kfpFailure(err);
  }
}

function kfpFailure(err: unknown): unknown {
  if (!isServerError(err)) return err;
  let body: unknown;
  try {
    body = JSON.parse(err.message);
  } catch {
    body = undefined;
  }
  if (isRecord(body) && (typeof body.error_message === 'string' || typeof body.message === 'string')) {
    const short = typeof body.error_message === 'string' ? body.error_message : '';
    const long = typeof body.message === 'string' ? body.message : '';
    const text = short && long && !short.includes(long) && !long.includes(short) ? `${short}: ${long}` : long.length > short.length ? long : short;
    return new FloeError(err.reason, text || `the KFP API answered HTTP ${err.code}`);
  }
  // KFP answers its own 404s with its error JSON; a 404 without it is the server not knowing the path at all.
  if (err.reason === 'NotFound') return new CliError(`the server does not serve the Kubeflow Pipelines API (${apiPrefix}): ${err.message}`);
  return err;
}

/** Every item of a paged list. */
async function listAll<T>(session: Session, path: string, key: string, query: Record<string, string | undefined> = {}): Promise<T[]> {
  const items: T[] = [];
  let token: string | undefined;
  do {
    const page = await kfp<Json | undefined>(session, 'GET', path, { query: { ...query, page_size: '100', page_token: token } });
    items.push(...((page?.[key] as T[] | undefined) ?? []));
    token = typeof page?.next_page_token === 'string' && page.next_page_token !== '' ? page.next_page_token : undefined;
  } while (token);
  return items;
}

const filterOn = (key: string, value: string): string => JSON.stringify({ predicates: [{ operation: 'EQUALS', key, string_value: value }] });

const looksLikeId = (s: string): boolean => /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(s);

async function orUndefined<T>(p: Promise<T>): Promise<T | undefined> {
  try {
    return await p;
  } catch (err) {
    if (isServerError(err) && err.reason === 'NotFound') return undefined;
    throw err;
  }
}

/** A pipeline by name or id. */
async function findPipeline(session: Session, ref: string): Promise<KfpPipeline | undefined> {
  const byId = (): Promise<KfpPipeline | undefined> => orUndefined(kfp<KfpPipeline>(session, 'GET', `/pipelines/${encodeURIComponent(ref)}`));
  const byName = (): Promise<KfpPipeline | undefined> => orUndefined(kfp<KfpPipeline>(session, 'GET', `/pipelines/names/${encodeURIComponent(ref)}`));
  return looksLikeId(ref) ? ((await byId()) ?? (await byName())) : ((await byName()) ?? (await byId()));
}

async function pipelineOrFail(session: Session, ref: string): Promise<KfpPipeline> {
  const p = await findPipeline(session, ref);
  if (!p) throw new CliError(`no pipeline named or with the id "${ref}": see \`floe pipeline list\`, or upload one with \`floe pipeline upload FILE\``);
  return p;
}

/** A pipeline's versions, newest first. */
function versionsOf(session: Session, pipelineId: string): Promise<KfpVersion[]> {
  return listAll<KfpVersion>(session, `/pipelines/${encodeURIComponent(pipelineId)}/versions`, 'pipeline_versions', { sort_by: 'created_at desc' });
}

async function experimentByName(session: Session, name: string): Promise<KfpExperiment | undefined> {
  const found = await listAll<KfpExperiment>(session, '/experiments', 'experiments', { filter: filterOn('display_name', name) });
  return found[0];
}

/** An experiment by name or id; `create` makes a missing one (as kfp.Client does when a run names one). */
async function resolveExperiment(session: Session, ref: string, create: boolean): Promise<KfpExperiment> {
  const byName = await experimentByName(session, ref);
  if (byName) return byName;
  if (looksLikeId(ref)) {
    const byId = await orUndefined(kfp<KfpExperiment>(session, 'GET', `/experiments/${encodeURIComponent(ref)}`));
    if (byId) return byId;
  }
  if (!create) throw new CliError(`no experiment named or with the id "${ref}"`);
  return kfp<KfpExperiment>(session, 'POST', '/experiments', { body: { display_name: ref } });
}

/** A run by id, or by name when exactly one run has it. */
async function getRun(session: Session, ref: string): Promise<KfpRun> {
  const byId = await orUndefined(kfp<KfpRun>(session, 'GET', `/runs/${encodeURIComponent(ref)}`));
  if (byId) return byId;
  const named = looksLikeId(ref) ? [] : await listAll<KfpRun>(session, '/runs', 'runs', { filter: filterOn('display_name', ref) });
  if (named.length === 1) return named[0]!;
  if (named.length > 1) throw new CliError(`${named.length} runs are named "${ref}": name one by its id (${named.map((r) => r.run_id).join(', ')})`);
  throw new CliError(`no run with the id or name "${ref}": see \`floe run list\``);
}

// ---- compiled pipeline files and parameters ----

interface CompiledPipeline {
  spec: PipelineIr & Json;
  platform?: Json;
  text: string;
}

/** Reads a compiled pipeline (YAML or JSON): the IR, then the platform spec when the file has a second document. */
export function readCompiledPipeline(file: string): CompiledPipeline {
  if (!existsSync(file)) throw new UsageError(`FILE: no such file: ${file}`);
  if (!statSync(file).isFile()) throw new UsageError(`FILE: ${file} is not a file`);
  if (/\.(tar\.gz|tgz|zip)$/i.test(file)) throw new UsageError(`FILE: ${file} is an archive: give the compiled pipeline YAML (kfp.compiler.Compiler().compile(pipeline, "pipeline.yaml"))`);
  const text = readFileSync(file, 'utf8');
  if (text.includes('\u0000')) throw new UsageError(`FILE: ${file} is not a text file: give the compiled pipeline YAML`);
  const docs: unknown[] = [];
  for (const doc of parseAllDocuments(text)) {
    if (doc.errors.length > 0) throw new UsageError(`FILE: ${file} is not valid YAML: ${doc.errors[0]!.message}`);
    const value: unknown = doc.toJS({ maxAliasCount: 1000 });
    if (value !== null && value !== undefined) docs.push(value);
  }
  const [first, ...rest] = docs;
  if (!isRecord(first)) throw new UsageError(`FILE: ${file} holds no pipeline spec`);
  // kfp.Client sends a two-document file as {pipeline_spec, platform_spec}; a file may already hold that shape.
  if (isRecord(first.pipeline_spec) && !('root' in first)) {
    return { spec: first.pipeline_spec, ...(isRecord(first.platform_spec) ? { platform: first.platform_spec } : {}), text };
  }
  if (!('root' in first) && !('pipelineInfo' in first)) {
    throw new UsageError(`FILE: ${file} is not a compiled KFP v2 pipeline (no pipelineInfo or root): compile it with kfp.compiler.Compiler().compile(...)`);
  }
  const platform: Json = {};
  for (const r of rest) if (isRecord(r)) Object.assign(platform, r);
  return { spec: first, ...(rest.length > 0 ? { platform } : {}), text };
}

/**
 * `-p key=value` pairs as run parameters: a value is JSON when it parses as JSON (`3`, `true`, `[1,2]`, `{"a":1}`),
 * else the text itself; a STRING input of the pipeline always gets the text, so `-p tag=123` stays "123".
 */
export function parseParams(pairs: readonly string[], spec?: PipelineIr): Json {
  const types = spec?.root?.inputDefinitions?.parameters ?? {};
  const out: Json = {};
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new UsageError(`-p ${pair}: a parameter is written key=value, such as -p epochs=3 or -p name=mnist`);
    const key = pair.slice(0, eq).trim();
    const raw = pair.slice(eq + 1);
    if (key === '') throw new UsageError(`-p ${pair}: the parameter name is empty`);
    if (key in out) throw new UsageError(`-p ${pair}: parameter ${key} is given twice`);
    if (types[key]?.parameterType === 'STRING') {
      out[key] = raw;
      continue;
    }
    try {
      out[key] = JSON.parse(raw) as unknown;
    } catch {
      out[key] = raw;
    }
  }
  return out;
}

/** Turns caching off for every task, in the root DAG and in every sub-DAG (loops, conditions, nested pipelines). */
export function disableCaching(spec: PipelineIr): void {
  const dags = [spec.root?.dag, ...Object.values(spec.components ?? {}).map((c) => c.dag)];
  for (const dag of dags) {
    for (const task of Object.values(dag?.tasks ?? {})) {
      const options = isRecord(task.cachingOptions) ? task.cachingOptions : {};
      task.cachingOptions = { ...options, enableCache: false };
    }
  }
}

/** The IR of a stored version (which may be `{pipeline_spec, platform_spec}`). */
function splitSpec(value: unknown): { spec: PipelineIr & Json; platform?: Json } | undefined {
  if (!isRecord(value)) return undefined;
  if (isRecord(value.pipeline_spec) && !('root' in value)) return { spec: value.pipeline_spec, ...(isRecord(value.platform_spec) ? { platform: value.platform_spec } : {}) };
  return { spec: value };
}

// ---- formatting ----

function isRecord(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** `2026-05-01T12:00:01Z` (RFC 3339 to the second), or '' for none. */
function timeText(t: string | undefined): string {
  if (!t) return '';
  const ms = Date.parse(t);
  return Number.isNaN(ms) || ms <= 0 ? '' : new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z');
}

/** `850ms`, `3.2s`, `4m05s`, `1h02m`. */
export function durationText(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '';
  if (ms < 1000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)}s`;
  const s = Math.round(ms / 1000);
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

function span(start: string | undefined, end: string | undefined, now: number): string {
  const a = start ? Date.parse(start) : NaN;
  if (Number.isNaN(a) || a <= 0) return '';
  const b = end ? Date.parse(end) : now;
  return durationText((Number.isNaN(b) || b <= 0 ? now : b) - a);
}

/** The local wall-clock time of an RFC 3339 timestamp (or now), as `HH:MM:SS`. */
function clock(t: string | undefined): string {
  const ms = t ? Date.parse(t) : NaN;
  const d = new Date(Number.isNaN(ms) ? Date.now() : ms);
  return [d.getHours(), d.getMinutes(), d.getSeconds()].map((n) => String(n).padStart(2, '0')).join(':');
}

const pythonTypes: Record<string, string> = { NUMBER_INTEGER: 'int', NUMBER_DOUBLE: 'float', STRING: 'str', BOOLEAN: 'bool', LIST: 'list', STRUCT: 'dict', TASK_FINAL_STATUS: 'PipelineTaskFinalStatus' };

function defaultText(def: InputDefinition): string {
  if (def.defaultValue === undefined) return def.isOptional ? '(optional)' : '(required)';
  if (def.parameterType === 'NUMBER_DOUBLE' && typeof def.defaultValue === 'number' && Number.isInteger(def.defaultValue)) return `${def.defaultValue}.0`;
  return JSON.stringify(def.defaultValue);
}

function stateWord(state: string | undefined, tty: boolean): string {
  const s = state ?? 'PENDING';
  if (!tty) return s;
  const mark = s === 'SUCCEEDED' ? '✓ ' : s === 'FAILED' || s === 'CANCELED' ? '✗ ' : s === 'SKIPPED' ? '- ' : '';
  return `${mark}${s}`;
}

/** A run's tasks in tree order (parents first, siblings by creation), each with its depth below the root DAG. */
export function taskTree(tasks: readonly KfpTask[]): { task: KfpTask; depth: number }[] {
  const ids = new Set(tasks.map((t) => t.task_id));
  const children = new Map<string, KfpTask[]>();
  const tops: KfpTask[] = [];
  for (const t of tasks) {
    if (t.parent_task_id && ids.has(t.parent_task_id)) {
      const list = children.get(t.parent_task_id) ?? [];
      list.push(t);
      children.set(t.parent_task_id, list);
    } else {
      tops.push(t);
    }
  }
  const order = (a: KfpTask, b: KfpTask): number => (a.create_time ?? '').localeCompare(b.create_time ?? '') || naturalCompare(a.display_name ?? '', b.display_name ?? '');
  const out: { task: KfpTask; depth: number }[] = [];
  const visit = (t: KfpTask, depth: number): void => {
    out.push({ task: t, depth });
    for (const c of (children.get(t.task_id) ?? []).sort(order)) visit(c, depth + 1);
  };
  for (const t of tops.sort(order)) visit(t, 0);
  return out;
}

/** Each task's place in a post-order walk of the tree (children before their parent). */
function postOrderIndex(tree: readonly { task: KfpTask; depth: number }[]): Map<string, number> {
  const out = new Map<string, number>();
  const stack: { id: string; depth: number }[] = [];
  for (const { task, depth } of tree) {
    while (stack.length > 0 && stack.at(-1)!.depth >= depth) out.set(stack.pop()!.id, out.size);
    stack.push({ id: task.task_id, depth });
  }
  while (stack.length > 0) out.set(stack.pop()!.id, out.size);
  return out;
}

function naturalCompare(a: string, b: string): number {
  return a.localeCompare(b, undefined, { numeric: true });
}

/**
 * The name a task's lines carry: its display name, qualified by its parent's where several tasks share it
 * (the same component in every ParallelFor iteration).
 */
function taskLabels(tasks: readonly KfpTask[]): Map<string, string> {
  const counts = new Map<string, number>();
  for (const t of tasks) counts.set(t.display_name ?? t.task_id, (counts.get(t.display_name ?? t.task_id) ?? 0) + 1);
  const byId = new Map(tasks.map((t) => [t.task_id, t]));
  const labels = new Map<string, string>();
  for (const t of tasks) {
    const name = t.display_name ?? t.task_id;
    const parent = t.parent_task_id ? byId.get(t.parent_task_id) : undefined;
    labels.set(t.task_id, (counts.get(name) ?? 0) > 1 && parent?.parent_task_id ? `${parent.display_name ?? parent.task_id}/${name}` : name);
  }
  return labels;
}

// ---- pipeline commands ----

export interface UploadOptions {
  name?: string;
  description?: string;
  /** The version's name when the pipeline exists already (default: `<name>-v<N>`). */
  version?: string;
}

/** `floe pipeline upload FILE`: a new pipeline, or a new version of the pipeline of that name. */
export async function pipelineUpload(session: Session, file: string, options: UploadOptions): Promise<ExitCode> {
  const compiled = readCompiledPipeline(file);
  const name = options.name ?? compiled.spec.pipelineInfo?.name ?? basename(file).replace(/\.(ya?ml|json)$/i, '');
  const description = options.description ?? compiled.spec.pipelineInfo?.description;
  const boundary = `----floe-${Date.now().toString(16)}${Math.random().toString(16).slice(2)}`;
  const filename = basename(file).replace(/["\r\n]/g, '_');
  const body = `--${boundary}\r\nContent-Disposition: form-data; name="uploadfile"; filename="${filename}"\r\nContent-Type: application/x-yaml\r\n\r\n${compiled.text}\r\n--${boundary}--\r\n`;
  const contentType = `multipart/form-data; boundary=${boundary}`;
  const existing = await orUndefined(kfp<KfpPipeline>(session, 'GET', `/pipelines/names/${encodeURIComponent(name)}`));
  let pipeline: KfpPipeline;
  let version: KfpVersion | undefined;
  if (!existing) {
    pipeline = await kfp<KfpPipeline>(session, 'POST', '/pipelines/upload', { query: { name, description }, body, contentType });
    version = (await versionsOf(session, pipeline.pipeline_id))[0];
    session.io.out(`Pipeline ${name} uploaded\n`);
  } else {
    pipeline = existing;
    const taken = new Set((await versionsOf(session, existing.pipeline_id)).map((v) => v.name ?? ''));
    let versionName = options.version;
    if (!versionName) {
      let n = taken.size + 1;
      while (taken.has(`${name}-v${n}`)) n += 1;
      versionName = `${name}-v${n}`;
    }
    version = await kfp<KfpVersion>(session, 'POST', '/pipelines/upload_version', { query: { pipelineid: existing.pipeline_id, name: versionName, description }, body, contentType });
    session.io.out(`Pipeline ${name} exists: uploaded version ${versionName}\n`);
  }
  const rows = [['Pipeline ID:', pipeline.pipeline_id]];
  if (version) rows.push(['Version ID:', `${version.pipeline_version_id} (${version.display_name ?? version.name ?? ''})`]);
  session.io.out(formatTable(rows));
  return ExitCode.Ok;
}

/** `floe pipeline list`. */
export async function pipelineList(session: Session): Promise<ExitCode> {
  const pipelines = await listAll<KfpPipeline>(session, '/pipelines', 'pipelines', { sort_by: 'created_at desc' });
  if (pipelines.length === 0) {
    session.io.err('No pipelines: upload one with `floe pipeline upload FILE`.\n');
    return ExitCode.Ok;
  }
  const counts = await Promise.all(pipelines.map(async (p) => (await versionsOf(session, p.pipeline_id)).length));
  const rows = pipelines.map((p, i) => [p.display_name ?? p.name ?? '', p.pipeline_id, String(counts[i]), timeText(p.created_at), p.description ?? '']);
  session.io.out(formatTable([['NAME', 'ID', 'VERSIONS', 'CREATED', 'DESCRIPTION'], ...rows]));
  return ExitCode.Ok;
}

/** `floe pipeline get NAME|ID`: the pipeline, its versions, and the inputs of its latest version. */
export async function pipelineGet(session: Session, ref: string): Promise<ExitCode> {
  const p = await pipelineOrFail(session, ref);
  const versions = await versionsOf(session, p.pipeline_id);
  const out: string[] = [];
  const fields: string[][] = [['Name:', p.display_name ?? p.name ?? ''], ['ID:', p.pipeline_id]];
  if (p.description) fields.push(['Description:', p.description]);
  fields.push(['Created:', timeText(p.created_at)]);
  out.push(formatTable(fields));
  out.push(`Versions (${versions.length}, newest first):\n`);
  if (versions.length > 0) {
    out.push(indent(formatTable([['NAME', 'ID', 'CREATED', 'DESCRIPTION'], ...versions.map((v) => [v.display_name ?? v.name ?? '', v.pipeline_version_id, timeText(v.created_at), v.description ?? ''])])));
  }
  const latest = versions[0];
  const ir = latest ? splitSpec(latest.pipeline_spec)?.spec : undefined;
  if (latest && ir) {
    const params = ir.root?.inputDefinitions?.parameters ?? {};
    const artifacts = ir.root?.inputDefinitions?.artifacts ?? {};
    const rows = [
      ...Object.entries(params).map(([n, d]) => [n, pythonTypes[d.parameterType ?? ''] ?? d.parameterType ?? '', defaultText(d), d.description ?? '']),
      ...Object.entries(artifacts).map(([n, d]) => [n, d.artifactType?.schemaTitle ?? 'artifact', d.isOptional ? '(optional)' : '(required)', '']),
    ];
    out.push(`Inputs (version ${latest.display_name ?? latest.name ?? latest.pipeline_version_id}):\n`);
    out.push(rows.length > 0 ? indent(formatTable([['NAME', 'TYPE', 'DEFAULT', 'DESCRIPTION'], ...rows])) : '  none\n');
    const outputs = ir.root?.outputDefinitions;
    const outRows = [
      ...Object.entries(outputs?.parameters ?? {}).map(([n, d]) => [n, pythonTypes[d.parameterType ?? ''] ?? d.parameterType ?? '']),
      ...Object.entries(outputs?.artifacts ?? {}).map(([n, d]) => [n, d.artifactType?.schemaTitle ?? 'artifact']),
    ];
    if (outRows.length > 0) out.push(`Outputs:\n${indent(formatTable([['NAME', 'TYPE'], ...outRows]))}`);
  }
  session.io.out(out.join(''));
  return ExitCode.Ok;
}

function indent(text: string): string {
  return text.replace(/^(?=.)/gm, '  ');
}

export interface RunOptions {
  params: string[];
  experiment?: string;
  runName?: string;
  /** Caching off for every task (kfp.Client's enable_caching=False). */
  noCache: boolean;
  /** Follow the run to its end, as `floe run logs --follow`. */
  wait: boolean;
  tty: boolean;
}

/** `floe pipeline run FILE|PIPELINE`: a run of a compiled file (inline spec) or of an uploaded pipeline's latest version. */
export async function pipelineRun(session: Session, source: string, options: RunOptions): Promise<ExitCode> {
  const isFile = existsSync(source) && statSync(source).isFile();
  if (!isFile && /\.(ya?ml|json|tar\.gz|tgz|zip)$/i.test(source)) throw new UsageError(`FILE|PIPELINE: no such file: ${source}`);
  const body: Json = {};
  let pipelineName: string;
  if (isFile) {
    const compiled = readCompiledPipeline(source);
    if (options.noCache) disableCaching(compiled.spec);
    body.pipeline_spec = compiled.platform ? { pipeline_spec: compiled.spec, platform_spec: compiled.platform } : compiled.spec;
    body.runtime_config = { parameters: parseParams(options.params, compiled.spec) };
    pipelineName = compiled.spec.pipelineInfo?.name ?? basename(source);
  } else {
    parseParams(options.params); // a typo in -p costs no round trip
    const p = await findPipeline(session, source);
    if (!p) throw new CliError(`FILE|PIPELINE: "${source}" is neither a file nor an uploaded pipeline (see \`floe pipeline list\`)`);
    const latest = (await versionsOf(session, p.pipeline_id))[0];
    if (!latest) throw new CliError(`pipeline ${p.display_name ?? p.name ?? p.pipeline_id} has no versions: upload one with \`floe pipeline upload FILE --name ${p.name ?? ''}\``);
    const split = splitSpec(latest.pipeline_spec);
    body.runtime_config = { parameters: parseParams(options.params, split?.spec) };
    pipelineName = p.display_name ?? p.name ?? p.pipeline_id;
    if (options.noCache && split) {
      // A version reference runs the stored spec as it is; caching off needs the spec itself, sent inline.
      disableCaching(split.spec);
      body.pipeline_spec = split.platform ? { pipeline_spec: split.spec, platform_spec: split.platform } : split.spec;
      session.io.err(`--no-cache: running version ${latest.display_name ?? latest.name ?? latest.pipeline_version_id} of ${pipelineName} as an inline spec with caching off\n`);
    } else {
      body.pipeline_version_reference = { pipeline_id: p.pipeline_id, pipeline_version_id: latest.pipeline_version_id };
    }
  }
  body.display_name = options.runName ?? `${pipelineName} ${runStamp(new Date())}`;
  let experimentName: string | undefined;
  if (options.experiment) {
    const e = await resolveExperiment(session, options.experiment, true);
    body.experiment_id = e.experiment_id;
    experimentName = e.display_name;
  }
  const run = await kfp<KfpRun>(session, 'POST', '/runs', { body });
  session.io.out(`Run ${run.run_id} created: ${run.display_name ?? ''}${experimentName ? ` (experiment ${experimentName})` : ''}\n`);
  if (!options.wait) return ExitCode.Ok;
  return runLogs(session, run.run_id, { follow: true, tty: options.tty });
}

/** kfp.Client's default run name suffix: `2026-05-01 12-00-01`. */
function runStamp(d: Date): string {
  const p = (n: number): string => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}-${p(d.getMinutes())}-${p(d.getSeconds())}`;
}

// ---- run commands ----

/** The pipeline a run runs, as a name: the inline IR's, else the referenced pipeline's (looked up once per id). */
function pipelineNamer(session: Session): (run: KfpRun) => Promise<string> {
  const names = new Map<string, Promise<string>>();
  return async (run) => {
    const inline = splitSpec(run.pipeline_spec)?.spec.pipelineInfo?.name;
    if (inline) return inline;
    const id = run.pipeline_version_reference?.pipeline_id;
    if (!id) return '';
    if (!names.has(id)) names.set(id, orUndefined(kfp<KfpPipeline>(session, 'GET', `/pipelines/${encodeURIComponent(id)}`)).then((p) => p?.display_name ?? p?.name ?? id));
    return names.get(id)!;
  };
}

/** `floe run list [--experiment E]`, newest first. */
export async function runList(session: Session, options: { experiment?: string }): Promise<ExitCode> {
  const query: Record<string, string | undefined> = { sort_by: 'created_at desc' };
  if (options.experiment) query.experiment_id = (await resolveExperiment(session, options.experiment, false)).experiment_id;
  const runs = await listAll<KfpRun>(session, '/runs', 'runs', query);
  if (runs.length === 0) {
    session.io.err(`No runs${options.experiment ? ` in experiment ${options.experiment}` : ''}.\n`);
    return ExitCode.Ok;
  }
  const namer = pipelineNamer(session);
  const now = Date.now();
  const rows = await Promise.all(runs.map(async (r) => [r.run_id, r.display_name ?? '', await namer(r), r.state ?? '', timeText(r.created_at), span(r.created_at, r.finished_at, now)]));
  session.io.out(formatTable([['RUN ID', 'NAME', 'PIPELINE', 'STATE', 'CREATED', 'DURATION'], ...rows]));
  return ExitCode.Ok;
}

/** `floe run get RUN`: the run's state, times, error and parameters, and its task tree. */
export async function runGet(session: Session, ref: string): Promise<ExitCode> {
  const run = await getRun(session, ref);
  const now = Date.now();
  const experiment = run.experiment_id ? await orUndefined(kfp<KfpExperiment>(session, 'GET', `/experiments/${encodeURIComponent(run.experiment_id)}`)) : undefined;
  const pipeline = await pipelineNamer(session)(run);
  const fields: string[][] = [
    ['Name:', run.display_name ?? ''],
    ['ID:', run.run_id],
    ['Pipeline:', `${pipeline}${run.pipeline_version_reference?.pipeline_version_id ? ` (version ${run.pipeline_version_reference.pipeline_version_id})` : ' (inline spec)'}`],
    ['Experiment:', experiment ? `${experiment.display_name ?? ''} (${experiment.experiment_id})` : run.experiment_id ?? ''],
    ['State:', run.state ?? ''],
    ['Created:', timeText(run.created_at)],
  ];
  if (run.finished_at && timeText(run.finished_at)) fields.push(['Finished:', timeText(run.finished_at)]);
  fields.push(['Duration:', span(run.created_at, finalRunStates.includes(run.state ?? '') ? run.finished_at : undefined, now)]);
  const params = run.runtime_config?.parameters ?? {};
  if (Object.keys(params).length > 0) fields.push(['Parameters:', Object.entries(params).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(' ')]);
  if (run.error?.message) fields.push(['Error:', run.error.message]);
  const out = [formatTable(fields)];
  const tasks = run.run_details?.task_details ?? [];
  out.push(`Tasks (${tasks.length}):\n`);
  if (tasks.length > 0) {
    const rows = taskTree(tasks).map(({ task, depth }) => [
      `${'  '.repeat(depth)}${task.display_name ?? task.task_id}`,
      task.state ?? '',
      span(task.start_time ?? task.create_time, finalRunStates.includes(task.state ?? '') ? task.end_time : undefined, now),
      task.pod_name ?? '',
      task.state === 'FAILED' && task.error?.message ? task.error.message : '',
    ]);
    out.push(indent(formatTable([['TASK', 'STATE', 'DURATION', 'POD', 'ERROR'], ...rows])));
  }
  session.io.out(out.join(''));
  return ExitCode.Ok;
}

/** `floe run terminate RUN`. */
export async function runTerminate(session: Session, ref: string): Promise<ExitCode> {
  const run = await getRun(session, ref);
  await kfp<unknown>(session, 'POST', `/runs/${encodeURIComponent(run.run_id)}:terminate`);
  session.io.out(`Run ${run.run_id} terminating (${run.display_name ?? ''})\n`);
  return ExitCode.Ok;
}

/** `floe run retry RUN`: runs a FAILED or CANCELED run's unfinished tasks again. */
export async function runRetry(session: Session, ref: string): Promise<ExitCode> {
  const run = await getRun(session, ref);
  await kfp<unknown>(session, 'POST', `/runs/${encodeURIComponent(run.run_id)}:retry`);
  session.io.out(`Run ${run.run_id} retrying (${run.display_name ?? ''})\n`);
  return ExitCode.Ok;
}

// ---- run logs ----

export interface RunLogsOptions {
  follow: boolean;
  /** Marks final states with ✓/✗ on a terminal. */
  tty: boolean;
}

/** One Pod's log: read once, or streamed (follow) with lines prefixed by the task's label. */
interface PodLog {
  done: Promise<void>;
  finished: boolean;
  abort: AbortController;
}

/**
 * `floe run logs RUN [--follow]`: a line for every task state change (nested tasks indented under their parent),
 * each task Pod's output prefixed by the task's name, and the run's final state. Without --follow, what exists now.
 * Exits 1 when the run FAILED or was CANCELED.
 */
export async function runLogs(session: Session, ref: string, options: RunLogsOptions): Promise<ExitCode> {
  let run = await getRun(session, ref);
  const runId = run.run_id;
  const out = (text: string): void => session.io.out(text);
  const printedHistory = new Map<string, number>();
  const logs = new Map<string, PodLog>();
  let nameWidth = 24;

  /** Where the run's Pods are (all in the run's namespace): read from a Pod's labels, else the experiment's, else kubeflow. */
  let runNamespace: string | undefined;
  const namespaceOf = async (): Promise<string> => {
    if (runNamespace !== undefined) return runNamespace;
    try {
      const list = await session.http.json<{ items?: { metadata: { namespace?: string } }[] }>({ method: 'GET', path: '/api/v1/pods', query: { labelSelector: `${runIdLabel}=${runId}`, limit: '1' } });
      const found = list.items?.[0]?.metadata.namespace;
      if (found) return (runNamespace = found);
    } catch {
      // Listing across namespaces may be refused; the experiment's namespace is the next best guess.
    }
    const e = run.experiment_id ? await orUndefined(kfp<KfpExperiment>(session, 'GET', `/experiments/${encodeURIComponent(run.experiment_id)}`)).catch(() => undefined) : undefined;
    return e?.namespace || 'kubeflow';
  };

  /** Opens a Pod's log; undefined while its container has not started (the next poll tries again). */
  const openLog = async (pod: string, label: string, follow: boolean): Promise<PodLog | undefined> => {
    const abort = new AbortController();
    let res: AsyncIterable<Buffer>;
    try {
      res = await session.http.open({ method: 'GET', path: `/api/v1/namespaces/${encodeURIComponent(await namespaceOf())}/pods/${encodeURIComponent(pod)}/log`, query: { follow: follow ? 'true' : undefined }, signal: abort.signal });
    } catch (err) {
      if (isServerError(err) && (err.reason === 'BadRequest' || err.reason === 'NotFound')) return undefined;
      throw err;
    }
    const entry: PodLog = { finished: false, abort, done: Promise.resolve() };
    entry.done = (async () => {
      let pending = '';
      const decoder = new StringDecoder('utf8');
      try {
        for await (const chunk of res) {
          pending += decoder.write(chunk);
          const lines = pending.split('\n');
          pending = lines.pop() ?? '';
          if (lines.length > 0) out(lines.map((l) => `${label} | ${l.replace(/\r$/, '')}\n`).join(''));
        }
      } catch (err) {
        if (!abort.signal.aborted) out(`${label} | (the log stream broke: ${err instanceof Error ? err.message : String(err)})\n`);
      } finally {
        pending += decoder.end();
        if (pending !== '') out(`${label} | ${pending}\n`);
        entry.finished = true;
      }
    })();
    return entry;
  };

  // A run retried from the start reuses Pod names: the task's creation time tells the attempts apart.
  const logKey = (task: KfpTask): string => `${task.pod_name ?? ''}@${task.create_time ?? ''}`;

  const drain = async (log: PodLog): Promise<void> => {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([log.done, new Promise<void>((r) => { timer = setTimeout(r, drainMs); })]);
    clearTimeout(timer);
    if (!log.finished) log.abort.abort();
  };

  /** Prints what changed since the last look: state changes in time order, each task's log before its final state. */
  const step = async (current: KfpRun, follow: boolean): Promise<void> => {
    const tasks = current.run_details?.task_details ?? [];
    const tree = taskTree(tasks);
    const labels = taskLabels(tasks);
    const depthOf = new Map(tree.map(({ task, depth }) => [task.task_id, depth]));
    const preOrder = new Map(tree.map(({ task }, i) => [task.task_id, i]));
    const postOrder = postOrderIndex(tree);
    nameWidth = Math.max(nameWidth, ...tree.filter(({ depth }) => depth > 0).map(({ task, depth }) => 2 * (depth - 1) + (task.display_name ?? task.task_id).length));
    const events: { task: KfpTask; change: StateChange }[] = [];
    for (const { task, depth } of tree) {
      if (depth === 0) continue; // the root DAG is the run itself, reported by the last line
      const history = task.state_history && task.state_history.length > 0 ? task.state_history : [{ state: task.state ?? 'PENDING', update_time: task.create_time ?? '' }];
      const seen = printedHistory.get(task.task_id) ?? 0;
      for (const change of history.slice(seen)) events.push({ task, change });
      printedHistory.set(task.task_id, history.length);
    }
    // Changes stored together share a time: what ended first (children before their DAG), then what started (parents first).
    const ends = (e: { change: StateChange }): boolean => finalRunStates.includes(e.change.state ?? '');
    events.sort((a, b) => {
      const byTime = (a.change.update_time ?? '').localeCompare(b.change.update_time ?? '');
      if (byTime !== 0) return byTime;
      if (ends(a) !== ends(b)) return ends(a) ? -1 : 1;
      const order = ends(a) ? postOrder : preOrder;
      return (order.get(a.task.task_id) ?? 0) - (order.get(b.task.task_id) ?? 0);
    });
    for (const { task, change } of events) {
      const label = labels.get(task.task_id) ?? task.display_name ?? task.task_id;
      const isFinal = finalRunStates.includes(change.state ?? '');
      const isLatest = change === task.state_history?.at(-1) || !task.state_history?.length;
      if (isFinal && isLatest && task.pod_name) {
        const open = logs.get(logKey(task));
        if (open) await drain(open);
        else {
          const once = await openLog(task.pod_name, label, false);
          logs.set(logKey(task), once ?? { finished: true, abort: new AbortController(), done: Promise.resolve() });
          if (once) await once.done;
        }
      }
      const depth = depthOf.get(task.task_id) ?? 1;
      const name = `${'  '.repeat(Math.max(0, depth - 1))}${task.display_name ?? task.task_id}`;
      let line = `[${clock(change.update_time)}] ${name.padEnd(nameWidth)}  ${stateWord(change.state, options.tty)}`;
      if (isFinal && isLatest) {
        const took = span(task.start_time ?? task.create_time, task.end_time, Date.now());
        if (took) line += ` (${took})`;
        if (change.state === 'FAILED' && (change.error?.message ?? task.error?.message)) line += `: ${change.error?.message ?? task.error?.message}`;
      }
      out(`${line}\n`);
    }
    // Pods of running tasks: followed while they run, or read as they are now.
    for (const { task } of tree) {
      const pod = task.pod_name;
      if (!pod || logs.has(logKey(task)) || finalRunStates.includes(task.state ?? '')) continue;
      // A wide fan-out is not followed Pod by Pod: past the cap, a task's log is read once it ends.
      if (follow && [...logs.values()].filter((l) => !l.finished).length >= maxFollowed) continue;
      const log = await openLog(pod, labels.get(task.task_id) ?? task.display_name ?? task.task_id, follow);
      if (!log) continue;
      logs.set(logKey(task), log);
      if (!follow) await log.done;
    }
  };

  const mode = options.follow ? 'following' : 'so far';
  out(`Run ${run.display_name ?? ''} (${runId}), ${mode}:\n`);
  await step(run, options.follow);
  while (options.follow && !finalRunStates.includes(run.state ?? '')) {
    await new Promise((r) => setTimeout(r, pollMs));
    run = await kfp<KfpRun>(session, 'GET', `/runs/${encodeURIComponent(runId)}`);
    await step(run, true);
  }
  if (options.follow) await Promise.all([...logs.values()].map((l) => drain(l)));
  const state = run.state ?? 'PENDING';
  const finished = finalRunStates.includes(state);
  const took = span(run.created_at, finished ? run.finished_at : undefined, Date.now());
  let last = `Run ${run.display_name ?? runId} ${stateWord(state, options.tty)}${finished ? (took ? ` after ${took}` : '') : took ? ` (${took} so far)` : ''}`;
  if (run.error?.message) last += `: ${run.error.message}`;
  out(`${last}\n`);
  if (state === 'FAILED' || state === 'CANCELED') {
    session.io.err(`error: run ${runId} ${state}${run.error?.message ? `: ${run.error.message}` : ''}\n`);
    return ExitCode.Failed;
  }
  return ExitCode.Ok;
}
