// The Jupyter web app's backend API (kubeflow/notebooks crud-web-apps/jupyter) under `/jupyter/` on Floe's front door:
// upstream's `{success, status, user, …}` envelope, XSRF double-submit (cookie XSRF-TOKEN, header X-XSRF-TOKEN), and a
// SubjectAccessReview for the caller before every API call, made, as upstream, with the app's own identity.
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { parse as parseYaml } from 'yaml';
import { EventRef, NodeRef, PodRef, type Node, type Pod } from '../../api/core-v1.js';
import { FloeError } from '../../api/errors.js';
import type { KubeObject } from '../../api/meta.js';
import { PatchType, type Client } from '../../client/client.js';
import type { Caller, CapabilityContext, Route } from '../../controller/index.js';
import { subjectAccessReviewer, type AccessReviewer } from '../profiles/access.js';
import {
  addNotebookVolume,
  defaultSpawnerConfig,
  notebookFromForm,
  notebookSummary,
  podVolumeFor,
  processStatus,
  stopTimestamp,
  WebAppError,
  type ApiVolume,
  type EventLike,
} from './jupyter-web-app-form.js';
import { PodDefaultRef, type PodDefault } from './poddefaults.js';
import { Annotations, NotebookRef, type Notebook } from './types.js';

export const JupyterPrefix = '/jupyter';
export const CsrfCookie = 'XSRF-TOKEN';
export const CsrfHeader = 'x-xsrf-token';
/** Where an admin puts a spawner config (upstream's ConfigMap, mounted at /etc/config/spawner_ui_config.yaml). */
export const SpawnerConfigMap = { namespace: 'kubeflow', name: 'jupyter-web-app-config', key: 'spawner_ui_config.yaml' } as const;
const ConfigTtlMs = 60_000;
const MaxBody = 1024 * 1024;

const ClaimRef = { apiVersion: 'v1', kind: 'PersistentVolumeClaim' } as const;
const NamespaceRef = { apiVersion: 'v1', kind: 'Namespace' } as const;
const StorageClassRef = { apiVersion: 'storage.k8s.io/v1', kind: 'StorageClass' } as const;
const ConfigMapRef = { apiVersion: 'v1', kind: 'ConfigMap' } as const;

type Json = Record<string, unknown>;

export interface JupyterWebAppOptions {
  client: Client;
  review: AccessReviewer;
  /** A container's whole log (the node runtime); pod logs answer 500 without it. */
  podLog?: (namespace: string, pod: string, container: string) => Promise<string>;
  now?: () => Date;
}

/** What one API call needs the caller to be allowed (upstream's ensure_authorized arguments). */
interface Access {
  verb: string;
  group: string;
  version: string;
  resource: string;
  namespace?: string;
  subresource?: string;
}

function unauthorizedMessage(user: string, a: Access): string {
  let msg = `User '${user}' is not authorized to ${a.verb}`;
  msg += a.group === '' ? ` ${a.version}/${a.resource}` : ` ${a.group}/${a.version}/${a.resource}`;
  if (a.subresource !== undefined) msg += `/${a.subresource}`;
  if (a.namespace !== undefined) msg += ` in namespace '${a.namespace}'`;
  return msg;
}

/** A Kubernetes API failure as upstream's api_exception_handler reports it. */
function apiFailure(err: unknown): WebAppError {
  if (err instanceof WebAppError) return err;
  if (err instanceof FloeError) {
    if (err.code === 404) return new WebAppError(404, 'The requested resource could not be found in the API Server');
    return new WebAppError(err.code, err.message);
  }
  return new WebAppError(500, 'An error occured in the backend.');
}

function cookies(req: IncomingMessage): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq <= 0) continue;
    const key = part.slice(0, eq).trim();
    if (!out.has(key)) out.set(key, part.slice(eq + 1).trim());
  }
  return out;
}

const sameToken = (a: string, b: string): boolean => a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b));

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MaxBody) throw new WebAppError(413, `the request body is larger than ${MaxBody} bytes`);
    chunks.push(chunk as Buffer);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  try {
    return JSON.parse(text || 'null') as unknown;
  } catch {
    throw new WebAppError(400, 'Failed to decode JSON object');
  }
}

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** One request's handling context: the caller, authorization before each call, the JSON answer. */
class Call {
  readonly app: JupyterWebApp;
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly caller: Caller;

  constructor(app: JupyterWebApp, req: IncomingMessage, res: ServerResponse, caller: Caller) {
    this.app = app;
    this.req = req;
    this.res = res;
    this.caller = caller;
  }

  async authorize(a: Access): Promise<void> {
    const decision = await this.app.options.review(this.caller, { verb: a.verb, group: a.group, version: a.version, resource: a.resource, ...(a.namespace !== undefined ? { namespace: a.namespace } : {}), ...(a.subresource !== undefined ? { subresource: a.subresource } : {}) });
    if (!decision.allowed) throw new WebAppError(403, unauthorizedMessage(this.caller.name, a));
  }

  /** Authorizes, then runs the API call with the app's identity; API errors become upstream's failure answers. */
  async api<T>(a: Access, call: () => Promise<T>): Promise<T> {
    await this.authorize(a);
    try {
      return await call();
    } catch (err) {
      throw apiFailure(err);
    }
  }

  success(field?: string, data?: unknown): void {
    const body: Json = { status: 200, success: true, user: this.caller.name };
    if (field !== undefined) body[field] = data;
    this.send(200, body);
  }

  send(code: number, body: Json): void {
    this.res.writeHead(code, { 'content-type': 'application/json', 'cache-control': 'no-store' });
    this.res.end(JSON.stringify(body));
  }

  /** decorators.request_is_json_type + the body. */
  async jsonBody(): Promise<Json> {
    const type = (this.req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
    if (type !== 'application/json') throw new WebAppError(400, 'Request is not in JSON format.');
    const body = await readJson(this.req);
    if (!isObject(body)) throw new WebAppError(400, "Request doesn't have a body.");
    return body;
  }
}

const nbAccess = (verb: string, namespace: string): Access => ({ verb, group: 'kubeflow.org', version: 'v1beta1', resource: 'notebooks', namespace });
const coreAccess = (verb: string, resource: string, namespace?: string, subresource?: string): Access => ({ verb, group: '', version: 'v1', resource, ...(namespace !== undefined ? { namespace } : {}), ...(subresource !== undefined ? { subresource } : {}) });

export class JupyterWebApp {
  readonly options: JupyterWebAppOptions;
  private config: { value: Json; at: number } | undefined;

  constructor(options: JupyterWebAppOptions) {
    this.options = options;
  }

  private now(): Date {
    return this.options.now?.() ?? new Date();
  }

  /** The spawner config: the admin's ConfigMap when there is one, else Floe's default; read at most once a minute. */
  async spawnerConfig(): Promise<Json> {
    const at = Date.now();
    if (this.config && at - this.config.at < ConfigTtlMs) return this.config.value;
    let value = defaultSpawnerConfig();
    try {
      const cm = await this.options.client.get<KubeObject & { data?: Record<string, string> }>(ConfigMapRef, SpawnerConfigMap.name, SpawnerConfigMap.namespace);
      const text = cm.data?.[SpawnerConfigMap.key];
      const parsed: unknown = text ? parseYaml(text) : undefined;
      if (isObject(parsed) && isObject(parsed.spawnerFormDefaults)) value = parsed.spawnerFormDefaults;
    } catch (err) {
      if (!(err instanceof FloeError && err.reason === 'NotFound')) throw err;
    }
    this.config = { value, at };
    return value;
  }

  async handle(req: IncomingMessage, res: ServerResponse, url: URL, caller: Caller): Promise<boolean> {
    const call = new Call(this, req, res, caller);
    try {
      const path = url.pathname.slice(JupyterPrefix.length);
      if (!path.startsWith('/api/')) {
        if (path.startsWith('/healthz/')) {
          call.send(200, { status: 200, success: true, user: caller.name });
          return true;
        }
        if (req.method !== 'GET' && req.method !== 'HEAD') throw new WebAppError(405, 'The method is not allowed for the requested URL.');
        this.serveIndex(req, res);
        return true;
      }
      this.checkCsrf(req);
      await this.route(call, req.method ?? 'GET', path.slice('/api'.length).split('/').map((p) => decodeURIComponent(p)));
    } catch (err) {
      const failure = apiFailure(err);
      if (!res.headersSent) call.send(failure.code, { success: false, log: failure.message, status: failure.code, user: caller.name });
      else res.destroy();
    }
    return true;
  }

  /**
   * Upstream serves the Angular app's index.html here and sets the XSRF cookie on it. Floe's notebook pages live in
   * the dashboard; this page sets the cookie (Path=/jupyter, SameSite=Strict, Secure over HTTPS) for them and scripts.
   */
  private serveIndex(req: IncomingMessage, res: ServerResponse): void {
    const token = randomBytes(32).toString('base64url');
    const secure = (req.socket as { encrypted?: boolean }).encrypted === true;
    res.writeHead(200, {
      'content-type': 'text/html; charset=utf-8',
      'cache-control': 'no-cache, no-store, must-revalidate, max-age=0',
      'set-cookie': `${CsrfCookie}=${token}; Path=${JupyterPrefix}; SameSite=Strict${secure ? '; Secure' : ''}`,
    });
    res.end(
      req.method === 'HEAD'
        ? undefined
        : '<!doctype html><html><head><meta charset="utf-8"><title>Notebooks</title></head><body><p>Kubeflow Jupyter web app API (Floe). The notebooks page is in the <a href="/">dashboard</a>; the API is under <code>/jupyter/api/</code>.</p></body></html>',
    );
  }

  /** csrf.py check_endpoint: every unsafe method carries the cookie and an equal X-XSRF-TOKEN header. */
  private checkCsrf(req: IncomingMessage): void {
    if (['GET', 'HEAD', 'OPTIONS', 'TRACE'].includes(req.method ?? 'GET')) return;
    const cookie = cookies(req).get(CsrfCookie);
    if (cookie === undefined) throw new WebAppError(403, `Could not find CSRF cookie ${CsrfCookie} in the request.`);
    const header = req.headers[CsrfHeader];
    if (typeof header !== 'string') throw new WebAppError(403, 'Could not detect CSRF protection header X-XSRF-TOKEN.');
    if (!sameToken(header, cookie)) throw new WebAppError(403, `CSRF check failed. Token in cookie ${CsrfCookie} doesn't match token in header X-XSRF-TOKEN.`);
  }

  private async route(call: Call, method: string, parts: string[]): Promise<void> {
    const [, first, ns, kind, name, sub, podName, tail] = parts;
    const notFound = (): never => {
      throw new WebAppError(404, 'The requested URL was not found on the server. If you entered the URL manually please check your spelling and try again.');
    };
    const only = (m: string): void => {
      if (method !== m) throw new WebAppError(405, 'The method is not allowed for the requested URL.');
    };
    if (first === 'config' && parts.length === 2) return only('GET'), this.getConfig(call);
    if (first === 'gpus' && parts.length === 2) return only('GET'), this.getGpus(call);
    if (first === 'storageclasses' && parts.length === 2) return only('GET'), this.getStorageClasses(call, false);
    if (first === 'storageclasses' && ns === 'default' && parts.length === 3) return only('GET'), this.getStorageClasses(call, true);
    if (first === 'namespaces' && parts.length === 2) return only('GET'), this.getNamespaces(call);
    if (first !== 'namespaces' || !ns) return notFound();
    if (kind === 'pvcs' && parts.length === 4) {
      if (method === 'POST') return this.postPvc(call, ns);
      return only('GET'), this.getPvcs(call, ns);
    }
    if (kind === 'poddefaults' && parts.length === 4) return only('GET'), this.getPodDefaults(call, ns);
    if (kind !== 'notebooks') return notFound();
    if (parts.length === 4) {
      if (method === 'POST') return this.postNotebook(call, ns);
      return only('GET'), this.getNotebooks(call, ns);
    }
    if (!name) return notFound();
    if (parts.length === 5) {
      if (method === 'PATCH') return this.patchNotebook(call, ns, name);
      if (method === 'DELETE') return this.deleteNotebook(call, ns, name);
      return only('GET'), this.getNotebook(call, ns, name);
    }
    if (sub === 'pod' && parts.length === 6) return only('GET'), this.getNotebookPod(call, ns, name);
    if (sub === 'pod' && podName && tail === 'logs' && parts.length === 8) return only('GET'), this.getPodLogs(call, ns, name, podName);
    if (sub === 'events' && parts.length === 6) return only('GET'), this.getNotebookEvents(call, ns, name);
    return notFound();
  }

  // ---- GET ----------------------------------------------------------------------------------------------------------

  private async getConfig(call: Call): Promise<void> {
    call.success('config', await this.spawnerConfig());
  }

  /** Config vendors whose limitsKey some node has in its capacity (and more than none of). */
  private async getGpus(call: Call): Promise<void> {
    const config = await this.spawnerConfig();
    const gpus = isObject(config.gpus) && isObject(config.gpus.value) && Array.isArray(config.gpus.value.vendors) ? (config.gpus.value.vendors as Json[]) : [];
    const nodes = (await this.options.client.list<Node>(NodeRef)).items;
    // Floe's node always lists nvidia.com/gpu, as 0 where it found none; a device plugin's key with no device is no vendor.
    const installed = new Set(nodes.flatMap((n) => Object.entries(n.status?.capacity ?? {}).filter(([, v]) => String(v) !== '0').map(([k]) => k)));
    call.success('vendors', [...new Set(gpus.map((v) => (typeof v.limitsKey === 'string' ? v.limitsKey : '')))].filter((k) => installed.has(k)));
  }

  /** Upstream lists StorageClasses with its own identity and no review (users cannot be granted them by aggregation). */
  private async getStorageClasses(call: Call, defaultOnly: boolean): Promise<void> {
    let classes: KubeObject[];
    try {
      classes = (await this.options.client.list(StorageClassRef)).items;
    } catch (err) {
      throw apiFailure(err);
    }
    if (!defaultOnly) return call.success('storageClasses', classes.map((c) => c.metadata.name));
    const keys = ['storageclass.kubernetes.io/is-default-class', 'storageclass.beta.kubernetes.io/is-default-class'];
    const found = classes.find((c) => keys.some((k) => (c.metadata.annotations?.[k] ?? 'false') === 'true'));
    call.success('defaultStorageClass', found?.metadata.name ?? '');
  }

  private async getNamespaces(call: Call): Promise<void> {
    const list = await call.api(coreAccess('list', 'namespaces'), () => this.options.client.list(NamespaceRef));
    call.success('namespaces', list.items.map((n) => n.metadata.name));
  }

  private async getPvcs(call: Call, ns: string): Promise<void> {
    const list = await call.api(coreAccess('list', 'persistentvolumeclaims', ns), () => this.options.client.list<KubeObject & { spec?: Json }>(ClaimRef, { namespace: ns }));
    call.success(
      'pvcs',
      list.items.map((p) => {
        const spec = (p.spec ?? {}) as { resources?: { requests?: Record<string, unknown> }; accessModes?: string[] };
        return { name: p.metadata.name, size: spec.resources?.requests?.storage ?? null, mode: spec.accessModes?.[0] ?? null };
      }),
    );
  }

  private async getPodDefaults(call: Call, ns: string): Promise<void> {
    const list = await call.api({ verb: 'list', group: 'kubeflow.org', version: 'v1alpha1', resource: 'poddefaults', namespace: ns }, () => this.options.client.list<PodDefault>(PodDefaultRef, { namespace: ns }));
    call.success(
      'poddefaults',
      list.items.map((pd) => ({ ...pd, label: Object.keys(pd.spec?.selector?.matchLabels ?? {})[0] ?? null, desc: pd.spec?.desc ?? pd.metadata.name })),
    );
  }

  private async notebookEvents(call: Call, ns: string, name: string): Promise<EventLike[]> {
    const list = await call.api(coreAccess('list', 'events', ns), () => this.options.client.list<EventLike>(EventRef, { namespace: ns, fieldSelector: `involvedObject.kind=Notebook,involvedObject.name=${name}` }));
    return list.items;
  }

  private async getNotebooks(call: Call, ns: string): Promise<void> {
    const list = await call.api(nbAccess('list', ns), () => this.options.client.list<Notebook>(NotebookRef, { namespace: ns }));
    const config = await this.spawnerConfig();
    const now = this.now();
    const out: Json[] = [];
    for (const nb of list.items) out.push(notebookSummary(nb, await this.eventsIfNeeded(call, nb, now), config, now));
    call.success('notebooks', out);
  }

  /** Events matter to the status only when nothing before them decides it (status.py reads them last). */
  private async eventsIfNeeded(call: Call, nb: Notebook, now: Date): Promise<EventLike[]> {
    const settled = processStatus(nb, [], now);
    if (settled.message !== "Couldn't find any information for the status of this notebook.") return [];
    return this.notebookEvents(call, nb.metadata.namespace ?? '', nb.metadata.name ?? '');
  }

  private async getNotebook(call: Call, ns: string, name: string): Promise<void> {
    const nb = await call.api(nbAccess('get', ns), () => this.options.client.get<Notebook>(NotebookRef, name, ns));
    const now = this.now();
    call.success('notebook', { ...nb, processed_status: processStatus(nb, await this.eventsIfNeeded(call, nb, now), now) });
  }

  private async getNotebookPod(call: Call, ns: string, name: string): Promise<void> {
    const pods = await call.api(coreAccess('list', 'pods', ns), () => this.options.client.list<Pod>(PodRef, { namespace: ns, labelSelector: `notebook-name=${name}` }));
    const pod = pods.items[0];
    if (!pod) throw new WebAppError(404, 'No pod detected.');
    call.success('pod', pod);
  }

  private async getPodLogs(call: Call, ns: string, notebook: string, pod: string): Promise<void> {
    await call.authorize(coreAccess('get', 'pods', ns, 'log'));
    const podLog = this.options.podLog;
    if (!podLog) throw new WebAppError(500, 'Pod logs are not available in this mode: use kubectl logs');
    let text: string;
    try {
      // The Pod must exist (the kubelet answers for Pods it runs).
      await this.options.client.get(PodRef, pod, ns);
      text = await podLog(ns, pod, notebook);
    } catch (err) {
      throw apiFailure(err);
    }
    call.success('logs', text.split('\n'));
  }

  private async getNotebookEvents(call: Call, ns: string, name: string): Promise<void> {
    call.success('events', await this.notebookEvents(call, ns, name));
  }

  // ---- POST, PATCH, DELETE ------------------------------------------------------------------------------------------

  private async postPvc(call: Call, ns: string): Promise<void> {
    const body = await call.jsonBody();
    for (const p of ['name', 'mode', 'class', 'size', 'type']) if (!(p in body)) throw new WebAppError(400, `Parameter '${p}' is missing from the request's body.`);
    // volumes web app: `{none}` is the empty class, `{empty}` none at all (the default class).
    const storageClassName = body.class === '{none}' ? '' : body.class === '{empty}' ? undefined : body.class;
    const pvc = {
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      metadata: { name: String(body.name), namespace: ns },
      spec: { accessModes: [body.mode], ...(storageClassName !== undefined && storageClassName !== null ? { storageClassName } : {}), resources: { requests: { storage: body.size } } },
    };
    await call.api(coreAccess('create', 'persistentvolumeclaims', ns), () => this.options.client.create(pvc));
    call.success('message', 'PVC created successfully.');
  }

  private async postNotebook(call: Call, ns: string): Promise<void> {
    const body = await call.jsonBody();
    if (!('name' in body)) throw new WebAppError(400, "Parameter 'name' is missing from the request's body.");
    const config = await this.spawnerConfig();
    const { notebook, volumes } = notebookFromForm(body, ns, call.caller.name, config);
    const client = this.options.client;
    const newPvc = (v: ApiVolume): KubeObject | undefined => {
      if (!v.newPvc) return undefined;
      const name = String(v.newPvc.metadata?.name ?? '').replaceAll('{notebook-name}', notebook.metadata.name ?? '');
      return { apiVersion: 'v1', kind: 'PersistentVolumeClaim', ...v.newPvc, metadata: { ...(v.newPvc.metadata ?? {}), ...(name ? { name } : {}), namespace: ns } };
    };
    // Everything is tried with dryRun first, so that a bad PVC leaves no Notebook behind and the other way round.
    await call.api(nbAccess('create', ns), () => client.create(notebook, { dryRun: true }));
    for (const v of volumes) {
      const pvc = newPvc(v);
      if (pvc) await call.api(coreAccess('create', 'persistentvolumeclaims', ns), () => client.create(pvc, { dryRun: true }));
    }
    for (const v of volumes) {
      const pvc = newPvc(v);
      const created = pvc ? await call.api(coreAccess('create', 'persistentvolumeclaims', ns), () => client.create(pvc)) : undefined;
      const { volume, mount } = podVolumeFor(v, created?.metadata.name);
      addNotebookVolume(notebook, volume, mount);
    }
    await call.api(nbAccess('create', ns), () => client.create(notebook));
    call.success('message', 'Notebook created successfully.');
  }

  private async patchNotebook(call: Call, ns: string, name: string): Promise<void> {
    const body = await call.jsonBody();
    if (!('stopped' in body)) throw new WebAppError(400, "Request body must include at least one supported key: ['stopped']");
    let patch: Json;
    if (body.stopped) {
      const nb = await call.api(nbAccess('get', ns), () => this.options.client.get<Notebook>(NotebookRef, name, ns));
      if (nb.metadata.annotations?.[Annotations.stopped] !== undefined) throw new WebAppError(409, `Notebook ${ns}/${name} is already stopped.`);
      patch = { metadata: { annotations: { [Annotations.stopped]: stopTimestamp(this.now()) } } };
    } else {
      patch = { metadata: { annotations: { [Annotations.stopped]: null } } };
    }
    await call.api(nbAccess('patch', ns), () => this.options.client.patch(NotebookRef, name, ns, patch, PatchType.Merge));
    call.success();
  }

  private async deleteNotebook(call: Call, ns: string, name: string): Promise<void> {
    await call.api(nbAccess('delete', ns), () => this.options.client.delete(NotebookRef, name, ns, { propagationPolicy: 'Foreground' }));
    call.success('message', `Notebook ${name} successfully deleted.`);
  }
}

/**
 * The route. Authorization happens in the handler, per Kubernetes call, as upstream's backend does with
 * SubjectAccessReviews; only JSON bodies reach it (upstream's request_is_json_type).
 */
export function jupyterWebAppRoute(ctx: Pick<CapabilityContext, 'client' | 'node'>): Route {
  const app = new JupyterWebApp({
    client: ctx.client,
    review: subjectAccessReviewer(ctx.client),
    ...(ctx.node ? { podLog: (ns: string, pod: string, container: string) => ctx.node?.podLog(ns, pod, container) ?? Promise.resolve('') } : {}),
  });
  return {
    prefix: `${JupyterPrefix}/`,
    access: { kind: 'in-handler', why: 'the Jupyter web app asks a SubjectAccessReview for the caller before each Kubernetes call, as upstream does' },
    bodyTypes: ['application/json'],
    handle: (req, res, url, caller) => app.handle(req, res, url, caller),
  };
}
