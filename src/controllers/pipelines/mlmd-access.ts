// ML Metadata in KFP's multi-user mode: upstream leaves the MLMD gRPC service to the mesh; Floe serves it on the same
// listener as everything else, so a caller who may not read every namespace's runs names the namespace it reads
// (`?namespace=`), is authorized for `get runs` there, and sees only the artifacts, executions, contexts and events
// that belong to it. A node belongs to a namespace through its own `namespace` custom property (KFP writes one on
// pipeline-run contexts and executions), a context it is attributed or associated to, or an execution it is an event
// of. Writes are left to callers who may read every namespace (docs/compatibility.md, "Multi-user pipelines").
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Caller } from '../../controller/index.js';
import type { MetadataStore } from '../../metadata/store.js';
import type { Artifact, Context, Execution, MlmdValue } from '../../metadata/types.js';
import type { AccessReviewer } from '../profiles/access.js';
import { KfpRbacGroup, KfpRbacVersion } from './rest.js';

type MlmdRoute = (req: IncomingMessage, res: ServerResponse, url: URL) => Promise<boolean>;

function stringValue(v: MlmdValue | undefined): string | undefined {
  return v && 'string_value' in v ? v.string_value : undefined;
}

/** Which nodes belong to one namespace, memoized for one request. */
class NamespaceView {
  private readonly contexts = new Map<number, boolean>();
  private readonly executions = new Map<number, boolean>();
  private readonly artifacts = new Map<number, boolean>();

  constructor(private readonly store: MetadataStore, private readonly namespace: string) {}

  context(c: Context | number, depth = 0): boolean {
    const id = typeof c === 'number' ? c : c.id!;
    const known = this.contexts.get(id);
    if (known !== undefined) return known;
    const node = typeof c === 'number' ? this.store.getContextsByID([c])[0] : c;
    let ok = false;
    if (node) {
      const ns = stringValue(node.custom_properties?.namespace);
      ok = ns !== undefined ? ns === this.namespace : depth < 8 && this.store.getParentContextsByContext(id).some((p) => this.context(p, depth + 1));
    }
    this.contexts.set(id, ok);
    return ok;
  }

  execution(e: Execution | number): boolean {
    const id = typeof e === 'number' ? e : e.id!;
    const known = this.executions.get(id);
    if (known !== undefined) return known;
    const node = typeof e === 'number' ? this.store.getExecutionsByID([e])[0] : e;
    let ok = false;
    if (node) {
      const ns = stringValue(node.custom_properties?.namespace);
      ok = ns !== undefined ? ns === this.namespace : this.store.getContextsByExecution(id).some((c) => this.context(c));
    }
    this.executions.set(id, ok);
    return ok;
  }

  artifact(a: Artifact | number): boolean {
    const id = typeof a === 'number' ? a : a.id!;
    const known = this.artifacts.get(id);
    if (known !== undefined) return known;
    const ok = this.store.getContextsByArtifact(id).some((c) => this.context(c)) || this.store.getEventsByArtifactIDs([id]).some((ev) => ev.execution_id !== undefined && this.execution(ev.execution_id));
    this.artifacts.set(id, ok);
    return ok;
  }

  /** Drops what is not this namespace's from a response body (lists, lineage subgraphs, events). */
  filter(body: Record<string, unknown>): Record<string, unknown> {
    const out = { ...body };
    const keep = <T>(key: string, visible: (x: T) => boolean): void => {
      if (Array.isArray(out[key])) out[key] = (out[key] as T[]).filter(visible);
    };
    keep<Artifact>('artifacts', (a) => this.artifact(a));
    keep<Execution>('executions', (e) => this.execution(e));
    keep<Context>('contexts', (c) => this.context(c));
    keep<{ artifact_id?: number; execution_id?: number }>('events', (ev) => (ev.execution_id === undefined || this.execution(ev.execution_id)) && (ev.artifact_id === undefined || this.artifact(ev.artifact_id)));
    return out;
  }
}

function send(res: ServerResponse, status: number, value: unknown): true {
  const text = JSON.stringify(value);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
  return true;
}

/** Wraps the MLMD route: unchanged for callers who may read every namespace's runs, namespace-scoped for the rest. */
export function multiUserMetadataRoute(inner: MlmdRoute, store: MetadataStore, review: AccessReviewer): (req: IncomingMessage, res: ServerResponse, url: URL, caller: Caller) => Promise<boolean> {
  return async (req, res, url, caller) => {
    const everything = await review(caller, { verb: 'get', group: KfpRbacGroup, version: KfpRbacVersion, resource: 'runs' });
    if (everything.allowed) return inner(req, res, url);
    if ((req.method ?? 'GET') !== 'GET' && req.method !== 'HEAD') {
      return send(res, 403, { code: 7, message: `User '${caller.name}' may not write ML Metadata: in multi-user mode only callers who may read every namespace's runs record lineage` });
    }
    const namespace = url.searchParams.get('namespace') ?? '';
    if (!namespace) return send(res, 400, { code: 3, message: 'namespace: required in multi-user mode (the profile namespace whose lineage to read)' });
    const decision = await review(caller, { verb: 'get', group: KfpRbacGroup, version: KfpRbacVersion, resource: 'runs', namespace });
    if (!decision.allowed) {
      return send(res, 403, { code: 7, message: `PermissionDenied: User '${caller.name}' is not authorized with reason: ${decision.reason ?? 'no RBAC policy matched'} (request: &ResourceAttributes{Namespace:${namespace},Verb:get,Group:${KfpRbacGroup},Version:${KfpRbacVersion},Resource:runs,Subresource:,Name:,})` });
    }
    const view = new NamespaceView(store, namespace);
    // A node named in the path must be the namespace's; a foreign one reads as missing, as if it did not exist.
    const path = url.pathname.replace(/\/+$/, '');
    const m = /\/mlmd\/v1\/(artifacts|executions|contexts)\/(\d+)(?:\/|$)/.exec(path);
    if (m) {
      const id = Number(m[2]);
      const visible = m[1] === 'artifacts' ? view.artifact(id) : m[1] === 'executions' ? view.execution(id) : view.context(id);
      const kind = m[1]!.slice(0, -1);
      if (!visible) return send(res, 404, { code: 5, message: `${kind}_id: no ${kind} with id ${id}` });
    }
    // The inner route writes its answer here; only a 200 JSON object is filtered.
    let status = 200;
    const headers: Record<string, string> = {};
    let text = '';
    const capture = {
      headersSent: false,
      setHeader(name: string, value: string) {
        headers[name.toLowerCase()] = value;
      },
      writeHead(code: number, h?: Record<string, string | number>) {
        status = code;
        for (const [k, v] of Object.entries(h ?? {})) headers[k.toLowerCase()] = String(v);
        return capture;
      },
      end(chunk?: string | Buffer) {
        text = chunk === undefined ? '' : chunk.toString();
      },
    };
    const handled = await inner(req, capture as unknown as ServerResponse, url);
    if (!handled) return false;
    let body: unknown;
    try {
      body = JSON.parse(text || '{}');
    } catch {
      body = undefined;
    }
    if (status !== 200 || !body || typeof body !== 'object' || Array.isArray(body)) {
      if (headers.allow) res.setHeader('allow', headers.allow);
      res.writeHead(status, { 'content-type': headers['content-type'] ?? 'application/json' });
      res.end(text);
      return true;
    }
    return send(res, 200, view.filter(body as Record<string, unknown>));
  };
}
