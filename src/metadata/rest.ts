// MLMD over HTTP under /mlmd/v1/: the store's reads (lists, links, lineage) and the writes of users who record their own
// lineage, as JSON with the proto's snake_case names and google.rpc-style `{code, message}` errors.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { MetadataError } from './errors.js';
import type { MetadataStore } from './store.js';
import type { Artifact, Association, Attribution, Context, Event, Execution, LineageDirection, ListOptions, MlmdType, OrderByField, ParentContext } from './types.js';

const PREFIX = '/mlmd/v1';
const MAX_BODY = 32 * 1024 * 1024;
const ORDER_BY: Record<string, OrderByField> = { create_time: 'CREATE_TIME', last_update_time: 'LAST_UPDATE_TIME', id: 'ID' };

type Handler = (ctx: { q: URLSearchParams; id: number; body: () => Promise<Record<string, unknown>> }) => unknown;
interface Route {
  pattern: RegExp;
  /** The name the path's id goes by in error messages. */
  idName?: string;
  GET?: Handler;
  POST?: Handler;
}

/**
 * The routes (all GET unless said): `artifact_types`, `execution_types`, `context_types` (and POST one type);
 * `artifacts`, `executions`, `contexts` (query `type, name, uri, context_id, page_size, page_token, order_by, is_asc`;
 * POST `{artifacts|executions|contexts: [...]}`, POST `executions` also takes PutExecution's
 * `{execution, artifact_event_pairs, contexts}`); `artifacts/{id}`, `executions/{id}`, `contexts/{id}` and their
 * `/contexts`; `contexts/{id}/artifacts|executions|parents|children`; `events?artifact_ids=1,2|execution_ids=…` (and
 * POST); `lineage?artifact_id=…|execution_id=…&direction&max_hops&page_size&page_token&include_contexts`; POST
 * `parent_contexts`, `attributions_and_associations`. Returns false for paths outside /mlmd/v1.
 */
export function metadataRoute(store: MetadataStore): (req: IncomingMessage, res: ServerResponse, url: URL) => Promise<boolean> {
  const routes = buildRoutes(store);
  return async (req, res, url) => {
    const path = url.pathname.replace(/\/+$/, '');
    if (path !== PREFIX && !path.startsWith(`${PREFIX}/`)) return false;
    const rest = path.slice(PREFIX.length + 1);
    try {
      for (const route of routes) {
        const m = route.pattern.exec(rest);
        if (!m) continue;
        const method = req.method === 'HEAD' ? 'GET' : req.method ?? 'GET';
        const handler = method === 'GET' || method === 'POST' ? route[method] : undefined;
        if (!handler) {
          const allowed = (['GET', 'POST'] as const).filter((x) => route[x]);
          res.setHeader('allow', allowed.join(', '));
          throw new MetadataError('UNIMPLEMENTED', `${method} is not allowed on ${path}; use ${allowed.join(' or ')}`);
        }
        const id = m[1] === undefined ? 0 : pathId(m[1], route.idName ?? 'id');
        const result = await handler({ q: url.searchParams, id, body: () => readJson(req) });
        send(res, 200, result ?? {});
        return true;
      }
      throw new MetadataError('NOT_FOUND', `no MLMD endpoint at ${path}`);
    } catch (err) {
      if (err instanceof MetadataError) send(res, err.httpStatus, { code: err.code, message: err.message });
      else send(res, 500, { code: 13, message: err instanceof Error ? err.message : String(err) });
      return true;
    }
  };
}

function buildRoutes(store: MetadataStore): Route[] {
  /** The node, or NOT_FOUND naming the path's id. */
  const node = (kind: 'artifact' | 'execution' | 'context', id: number): Artifact | Execution | Context => {
    const found = kind === 'artifact' ? store.getArtifactsByID([id]) : kind === 'execution' ? store.getExecutionsByID([id]) : store.getContextsByID([id]);
    if (!found[0]) throw MetadataError.notFound(`${kind}_id`, `no ${kind} with id ${id}`);
    return found[0];
  };
  return [
    { pattern: /^artifact_types$/, GET: () => ({ artifact_types: store.getArtifactTypes() }), POST: async ({ body }) => ({ type_id: store.putArtifactType(field<MlmdType>(await body(), 'artifact_type')) }) },
    { pattern: /^execution_types$/, GET: () => ({ execution_types: store.getExecutionTypes() }), POST: async ({ body }) => ({ type_id: store.putExecutionType(field<MlmdType>(await body(), 'execution_type')) }) },
    { pattern: /^context_types$/, GET: () => ({ context_types: store.getContextTypes() }), POST: async ({ body }) => ({ type_id: store.putContextType(field<MlmdType>(await body(), 'context_type')) }) },
    {
      pattern: /^artifacts$/,
      GET: ({ q }) => store.getArtifacts(listFilter(q, true, true), listOptions(q)),
      POST: async ({ body }) => ({ artifact_ids: store.putArtifacts(arrayField<Artifact>(await body(), 'artifacts')) }),
    },
    {
      pattern: /^executions$/,
      GET: ({ q }) => store.getExecutions(listFilter(q, false, true), listOptions(q)),
      POST: async ({ body }) => putExecutions(store, await body()),
    },
    {
      pattern: /^contexts$/,
      GET: ({ q }) => store.getContexts(listFilter(q, false, false), listOptions(q)),
      POST: async ({ body }) => ({ context_ids: store.putContexts(arrayField<Context>(await body(), 'contexts')) }),
    },
    { pattern: /^artifacts\/([^/]+)$/, idName: 'artifact id', GET: ({ id }) => node('artifact', id) },
    { pattern: /^executions\/([^/]+)$/, idName: 'execution id', GET: ({ id }) => node('execution', id) },
    { pattern: /^contexts\/([^/]+)$/, idName: 'context id', GET: ({ id }) => node('context', id) },
    { pattern: /^artifacts\/([^/]+)\/contexts$/, idName: 'artifact id', GET: ({ id }) => node('artifact', id) && { contexts: store.getContextsByArtifact(id) } },
    { pattern: /^executions\/([^/]+)\/contexts$/, idName: 'execution id', GET: ({ id }) => node('execution', id) && { contexts: store.getContextsByExecution(id) } },
    { pattern: /^contexts\/([^/]+)\/artifacts$/, idName: 'context id', GET: ({ id, q }) => store.getArtifactsByContext(id, listOptions(q)) },
    { pattern: /^contexts\/([^/]+)\/executions$/, idName: 'context id', GET: ({ id, q }) => store.getExecutionsByContext(id, listOptions(q)) },
    { pattern: /^contexts\/([^/]+)\/parents$/, idName: 'context id', GET: ({ id }) => node('context', id) && { contexts: store.getParentContextsByContext(id) } },
    { pattern: /^contexts\/([^/]+)\/children$/, idName: 'context id', GET: ({ id }) => node('context', id) && { contexts: store.getChildrenContextsByContext(id) } },
    {
      pattern: /^events$/,
      GET: ({ q }) => {
        const artifacts = idList(q, 'artifact_ids');
        const executions = idList(q, 'execution_ids');
        if (!artifacts && !executions) throw MetadataError.invalid('artifact_ids', 'give artifact_ids or execution_ids (comma-separated ids)');
        if (artifacts && executions) throw MetadataError.invalid('execution_ids', 'give artifact_ids or execution_ids, not both');
        return { events: artifacts ? store.getEventsByArtifactIDs(artifacts) : store.getEventsByExecutionIDs(executions!) };
      },
      POST: async ({ body }) => {
        store.putEvents(arrayField<Event>(await body(), 'events'));
        return {};
      },
    },
    {
      pattern: /^lineage$/,
      GET: ({ q }) => {
        const artifactIds = idList(q, 'artifact_id') ?? idList(q, 'artifact_ids');
        const executionIds = idList(q, 'execution_id') ?? idList(q, 'execution_ids');
        if (!artifactIds && !executionIds) throw MetadataError.invalid('artifact_id', 'give artifact_id or execution_id, the starting node(s)');
        const direction = q.get('direction')?.toUpperCase();
        const maxHops = intParam(q, 'max_hops', 0, Number.MAX_SAFE_INTEGER);
        const pageSize = intParam(q, 'page_size', 1, 1000);
        const token = q.get('page_token');
        return store.getLineageSubgraph({
          ...(artifactIds ? { artifact_ids: artifactIds } : {}),
          ...(executionIds ? { execution_ids: executionIds } : {}),
          ...(direction ? { direction: direction as LineageDirection } : {}),
          ...(maxHops !== undefined ? { max_hops: maxHops } : {}),
          ...(pageSize !== undefined ? { page_size: pageSize } : {}),
          ...(token ? { page_token: token } : {}),
          include_contexts: boolParam(q, 'include_contexts') ?? false,
        });
      },
    },
    {
      pattern: /^parent_contexts$/,
      POST: async ({ body }) => {
        store.putParentContexts(arrayField<ParentContext>(await body(), 'parent_contexts'));
        return {};
      },
    },
    {
      pattern: /^attributions_and_associations$/,
      POST: async ({ body }) => {
        const b = await body();
        store.putAttributionsAndAssociations(optionalArray<Attribution>(b, 'attributions'), optionalArray<Association>(b, 'associations'));
        return {};
      },
    },
  ];
}

/**
 * POST executions: PutExecution's `{execution, artifact_event_pairs, contexts}` (contexts as ids, `{id}`, or new
 * `{type, name}` contexts reused by name), or PutExecutions' `{executions: [...]}`.
 */
function putExecutions(store: MetadataStore, body: Record<string, unknown>): unknown {
  if (body.execution === undefined && Array.isArray(body.executions)) return { execution_ids: store.putExecutions(body.executions as Execution[]) };
  const execution = field<Execution>(body, 'execution');
  const pairs = optionalArray<{ artifact?: Artifact; event: Event }>(body, 'artifact_event_pairs');
  const contexts = optionalArray<unknown>(body, 'contexts');
  return store.transaction(() => {
    const contextIds = contexts.map((c, i) => {
      if (typeof c === 'number' || typeof c === 'string') return c as number;
      if (c && typeof c === 'object') {
        const ctx = c as Context;
        return ctx.id !== undefined ? ctx.id : store.putContext(ctx);
      }
      throw MetadataError.invalid(`contexts[${i}]`, 'must be a context id or a context object');
    });
    const written = store.putExecution(execution, pairs, contextIds);
    return { ...written, context_ids: contextIds.map(Number) };
  });
}

function listFilter(q: URLSearchParams, withUri: boolean, withContext: boolean): { type?: string; name?: string; uri?: string; context_id?: number } {
  const out: { type?: string; name?: string; uri?: string; context_id?: number } = {};
  const type = q.get('type');
  const name = q.get('name');
  const uri = q.get('uri');
  if (type) out.type = type;
  if (name) out.name = name;
  if (uri !== null) {
    if (!withUri) throw MetadataError.invalid('uri', 'only artifacts have a uri');
    out.uri = uri;
  }
  const contextId = intParam(q, 'context_id', 1, Number.MAX_SAFE_INTEGER);
  if (contextId !== undefined) {
    if (!withContext) throw MetadataError.invalid('context_id', 'contexts cannot be filtered by context; use contexts/{id}/children');
    out.context_id = contextId;
  }
  return out;
}

function listOptions(q: URLSearchParams): ListOptions {
  const out: ListOptions = {};
  const size = intParam(q, 'page_size', 1, 1000);
  if (size !== undefined) out.page_size = size;
  const token = q.get('page_token');
  if (token) out.page_token = token;
  const order = q.get('order_by');
  if (order) {
    const field = ORDER_BY[order.toLowerCase()];
    if (!field) throw MetadataError.invalid('order_by', `must be create_time, last_update_time or id, not ${JSON.stringify(order)}`);
    out.order_by = field;
  }
  const asc = boolParam(q, 'is_asc');
  if (asc !== undefined) out.is_asc = asc;
  return out;
}

function intParam(q: URLSearchParams, name: string, min: number, max: number): number | undefined {
  const raw = q.get(name);
  if (raw === null || raw === '') return undefined;
  const n = /^-?\d+$/.test(raw) ? Number(raw) : NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) throw MetadataError.invalid(name, `must be an integer${max === Number.MAX_SAFE_INTEGER ? ` >= ${min}` : ` from ${min} to ${max}`}, not ${JSON.stringify(raw)}`);
  return n;
}

function boolParam(q: URLSearchParams, name: string): boolean | undefined {
  const raw = q.get(name);
  if (raw === null || raw === '') return undefined;
  if (raw !== 'true' && raw !== 'false') throw MetadataError.invalid(name, `must be true or false, not ${JSON.stringify(raw)}`);
  return raw === 'true';
}

/** `1,2,3` (or the parameter repeated) as ids; undefined when absent. */
function idList(q: URLSearchParams, name: string): number[] | undefined {
  const parts = q.getAll(name).flatMap((v) => v.split(',')).map((s) => s.trim()).filter((s) => s !== '');
  if (parts.length === 0) return undefined;
  return parts.map((s) => {
    if (!/^\d+$/.test(s) || Number(s) < 1) throw MetadataError.invalid(name, `must be comma-separated positive integer ids, not ${JSON.stringify(s)}`);
    return Number(s);
  });
}

function pathId(raw: string, name: string): number {
  if (!/^\d+$/.test(raw) || !Number.isSafeInteger(Number(raw)) || Number(raw) < 1) throw MetadataError.invalid(name, `must be a positive integer, not ${JSON.stringify(decodeURIComponent(raw))}`);
  return Number(raw);
}

function field<T>(body: Record<string, unknown>, name: string): T {
  const v = body[name];
  if (!v || typeof v !== 'object' || Array.isArray(v)) throw MetadataError.invalid(name, 'required: an object');
  return v as T;
}

function arrayField<T>(body: Record<string, unknown>, name: string): T[] {
  const v = body[name];
  if (!Array.isArray(v) || v.length === 0) throw MetadataError.invalid(name, 'required: a non-empty array');
  return v as T[];
}

function optionalArray<T>(body: Record<string, unknown>, name: string): T[] {
  const v = body[name];
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw MetadataError.invalid(name, 'must be an array');
  return v as T[];
}

async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY) throw MetadataError.invalid('body', `larger than ${MAX_BODY} bytes`);
    chunks.push(chunk as Buffer);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}');
  } catch {
    throw MetadataError.invalid('body', 'not valid JSON');
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw MetadataError.invalid('body', 'must be a JSON object');
  return parsed as Record<string, unknown>;
}

function send(res: ServerResponse, status: number, value: unknown): void {
  const text = JSON.stringify(value);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}
