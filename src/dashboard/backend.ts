// The Kubeflow central dashboard's backend contracts (kubeflow/dashboard components/centraldashboard app/api*.ts):
// /api/workgroup/*, /api/namespaces, /api/dashboard-links, /api/dashboard-settings, /api/activities/:ns, for the caller
// Floe's front door authenticated (upstream reads the kubeflow-userid header behind Istio).
import type { IncomingMessage, ServerResponse } from 'node:http';
import { FloeError } from '../api/errors.js';
import type { KubeObject } from '../api/meta.js';
import type { Client } from '../client/client.js';
import type { Caller, Route } from '../controller/index.js';
import type { AccessReviewer } from '../controllers/profiles/access.js';

const NamespaceRef = { apiVersion: 'v1', kind: 'Namespace' } as const;
const ConfigMapRef = { apiVersion: 'v1', kind: 'ConfigMap' } as const;
const EventRef = { apiVersion: 'v1', kind: 'Event' } as const;
const ProfileRef = { apiVersion: 'kubeflow.org/v1', kind: 'Profile' } as const;
const RoleBindingRef = { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding' } as const;
const MaxBody = 64 * 1024;
/** How long one user's bindings are reused: the dashboard asks on every page, and upstream's per-request scan of every profile is its top complaint. */
const BindingsTtlMs = 3000;

export type DashboardRole = 'owner' | 'contributor' | 'viewer';
export interface SimpleBinding {
  namespace: string;
  role: DashboardRole;
  user: string;
}

export interface EnvironmentInfo {
  user: string;
  platform: { provider: string; providerName: string; kubeflowVersion: string; logoutUrl: string };
  namespaces: SimpleBinding[];
  isClusterAdmin: boolean;
}

export interface DashboardBackendOptions {
  client: Client;
  review: AccessReviewer;
  /** Where the dashboard-config ConfigMap lives (upstream: the dashboard Pod's namespace). */
  configNamespace?: string;
  /** Upstream's REGISTRATION_FLOW: may a user without a profile create one for themselves. */
  registrationFlow?: boolean;
  now?: () => number;
}

/** kubeflow-admin/edit/view (KFAM's ClusterRoles) as the dashboard names them. */
const roleOf: Readonly<Record<string, DashboardRole>> = {
  'kubeflow-admin': 'owner',
  admin: 'owner',
  'kubeflow-edit': 'contributor',
  edit: 'contributor',
  'kubeflow-view': 'viewer',
  view: 'viewer',
};

/** Floe's own pages as the dashboard-config `links` shape, used when no ConfigMap overrides them. */
export function defaultLinks(): Record<string, unknown> {
  const item = (link: string, text: string, icon: string) => ({ type: 'item', link, text, icon });
  return {
    menuLinks: [
      item('/ui/pipelines', 'Pipelines', 'kubeflow:pipeline-centered'),
      item('/ui/runs', 'Runs', 'kubeflow:pipeline-centered'),
      item('/ui/experiments', 'Experiments (Katib)', 'kubeflow:katib'),
      item('/ui/jobs', 'Training jobs', 'device:storage'),
      item('/ui/models', 'Models (KServe)', 'kubeflow:models'),
      item('/ui/notebooks', 'Notebooks', 'book'),
    ],
    externalLinks: [],
    quickLinks: [
      { link: '/ui/pipelines', text: 'Upload a pipeline', desc: 'Pipelines' },
      { link: '/ui/experiments', text: 'Tune hyperparameters', desc: 'Katib' },
      { link: '/ui/notebooks', text: 'Start a notebook', desc: 'Notebooks' },
    ],
    documentationItems: [{ link: 'https://www.kubeflow.org/docs/', text: 'Kubeflow documentation', desc: 'kubeflow.org' }],
  };
}

class HttpError extends Error {
  constructor(readonly code: number, message: string) {
    super(message);
  }
}

/**
 * The routes. Each is authorized in its handler: what a caller sees is computed from the caller (its profiles and
 * KFAM bindings, or every namespace for a cluster admin), never from a header or parameter the client sets.
 */
export function dashboardBackendRoutes(options: DashboardBackendOptions): Route[] {
  const { client, review } = options;
  const configNamespace = options.configNamespace ?? 'kubeflow';
  const registrationFlow = options.registrationFlow ?? true;
  const now = options.now ?? Date.now;
  const cache = new Map<string, { at: number; value: Promise<{ admin: boolean; bindings: SimpleBinding[] }> }>();

  async function isClusterAdmin(caller: Caller): Promise<boolean> {
    if (caller.groups.includes('system:masters')) return true;
    return (await review(caller, { verb: '*', group: '*', resource: '*' })).allowed;
  }

  async function computeBindings(caller: Caller): Promise<{ admin: boolean; bindings: SimpleBinding[] }> {
    const admin = await isClusterAdmin(caller);
    const profiles = await listOrEmpty<KubeObject & { spec?: { owner?: { name?: string } } }>(client, ProfileRef);
    const owned = new Set(profiles.filter((p) => p.spec?.owner?.name === caller.name).map((p) => p.metadata.name ?? ''));
    const found = new Map<string, SimpleBinding>();
    for (const ns of owned) found.set(ns, { namespace: ns, role: 'owner', user: caller.name });
    for (const p of profiles) {
      const ns = p.metadata.name ?? '';
      if (found.has(ns)) continue;
      const bindings = await listOrEmpty<KubeObject & { roleRef?: { name?: string } }>(client, RoleBindingRef, ns);
      for (const rb of bindings) {
        if (rb.metadata.annotations?.user !== caller.name) continue;
        const role = roleOf[rb.metadata.annotations.role ?? ''] ?? roleOf[rb.roleRef?.name ?? ''];
        if (role) found.set(ns, { namespace: ns, role, user: caller.name });
      }
    }
    if (admin) {
      // The local admin (and any cluster admin) may use every namespace; upstream lists only KFAM bindings, which left
      // admins with "no namespaces" (dashboard.md, complaint 5).
      for (const ns of await listOrEmpty(client, NamespaceRef)) {
        const name = ns.metadata.name ?? '';
        if (!found.has(name) && !isSystemNamespace(name)) found.set(name, { namespace: name, role: 'owner', user: caller.name });
      }
    }
    return { admin, bindings: [...found.values()].sort((a, b) => a.namespace.localeCompare(b.namespace)) };
  }

  function access(caller: Caller): Promise<{ admin: boolean; bindings: SimpleBinding[] }> {
    const key = `${caller.name}\n${caller.groups.join(',')}`;
    const hit = cache.get(key);
    if (hit && now() - hit.at < BindingsTtlMs) return hit.value;
    const value = computeBindings(caller);
    value.catch(() => cache.delete(key));
    if (cache.size > 500) cache.clear();
    cache.set(key, { at: now(), value });
    return value;
  }

  const serve = (fn: (req: IncomingMessage, url: URL, caller: Caller) => Promise<{ code?: number; body: unknown }>) =>
    async (req: IncomingMessage, res: ServerResponse, url: URL, caller: Caller): Promise<boolean> => {
      try {
        const out = await fn(req, url, caller);
        json(res, out.code ?? 200, out.body);
      } catch (err) {
        if (err instanceof HttpError) json(res, err.code, { error: err.message });
        else if (err instanceof FloeError) json(res, err.code, { error: err.message });
        else throw err;
      }
      return true;
    };

  const workgroup = serve(async (req, url, caller) => {
    const sub = url.pathname.slice('/api/workgroup/'.length).replace(/\/+$/, '');
    const method = req.method ?? 'GET';
    if (sub === 'exists' && method === 'GET') {
      const { admin, bindings } = await access(caller);
      return { body: { hasAuth: true, user: caller.name.split('@')[0], hasWorkgroup: bindings.some((b) => b.role === 'owner') || (admin && bindings.length > 0), registrationFlowAllowed: registrationFlow } };
    }
    if (sub === 'env-info' && method === 'GET') {
      const { admin, bindings } = await access(caller);
      const info: EnvironmentInfo = {
        user: caller.name,
        platform: { provider: 'other://', providerName: 'other', kubeflowVersion: 'unknown', logoutUrl: '/logout' },
        namespaces: bindings,
        isClusterAdmin: admin,
      };
      return { body: info };
    }
    if (sub === 'create' && method === 'POST') {
      requireSameOrigin(req);
      const body = (await readJson(req)) as { namespace?: unknown; user?: unknown };
      const namespace = typeof body.namespace === 'string' && body.namespace ? body.namespace : caller.name.split('@')[0] ?? '';
      const owner = typeof body.user === 'string' && body.user ? body.user : caller.name;
      if (!registrationFlow && !(await isClusterAdmin(caller))) throw new HttpError(403, 'Registration flow is disabled: ask an administrator to create your profile.');
      if (owner !== caller.name && !(await isClusterAdmin(caller))) throw new HttpError(403, `User ${caller.name} may only create a profile owned by itself.`);
      if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(namespace) || namespace.length > 63) throw new HttpError(400, `Invalid namespace name "${namespace}": lower-case letters, digits and '-' only.`);
      await client.create({ apiVersion: 'kubeflow.org/v1', kind: 'Profile', metadata: { name: namespace }, spec: { owner: { kind: 'User', name: owner } } });
      cache.clear();
      return { body: { message: `Created namespace ${namespace}` } };
    }
    if (sub.startsWith('get-contributors/') && method === 'GET') {
      const ns = decodeURIComponent(sub.slice('get-contributors/'.length));
      await requireNamespace(caller, ns);
      const bindings = await listOrEmpty<KubeObject & { roleRef?: { name?: string } }>(client, RoleBindingRef, ns);
      return { body: bindings.filter((rb) => (roleOf[rb.metadata.annotations?.role ?? ''] ?? roleOf[rb.roleRef?.name ?? '']) === 'contributor').map((rb) => rb.metadata.annotations?.user).filter(Boolean) };
    }
    throw new HttpError(404, 'Could not find the route you\'re looking for');
  });

  async function requireNamespace(caller: Caller, namespace: string): Promise<void> {
    const { admin, bindings } = await access(caller);
    if (admin || bindings.some((b) => b.namespace === namespace)) return;
    throw new HttpError(403, `Access denied. You do not have permission to view activities for namespace '${namespace}'.`);
  }

  const routes: Route[] = [
    { prefix: '/api/workgroup/', access: { kind: 'in-handler', why: 'answers for the caller only: its own profiles, bindings and registration' }, bodyTypes: ['application/json'], handle: workgroup },
    {
      prefix: '/api/namespaces',
      access: { kind: 'in-handler', why: 'a cluster admin gets every namespace; anyone else only those it is bound in' },
      bodyTypes: [],
      handle: serve(async (req, url, caller) => {
        if (url.pathname.replace(/\/+$/, '') !== '/api/namespaces' || req.method !== 'GET') throw new HttpError(404, 'Could not find the route you\'re looking for');
        const { admin, bindings } = await access(caller);
        const all = await listOrEmpty(client, NamespaceRef);
        const mine = new Set(bindings.map((b) => b.namespace));
        return { body: admin ? all : all.filter((ns) => mine.has(ns.metadata.name ?? '')) };
      }),
    },
    {
      prefix: '/api/activities/',
      access: { kind: 'in-handler', why: 'events of a namespace the caller is bound in (or any, for a cluster admin)' },
      bodyTypes: [],
      handle: serve(async (req, url, caller) => {
        const ns = decodeURIComponent(url.pathname.slice('/api/activities/'.length).replace(/\/+$/, ''));
        if (!ns || ns.includes('/') || req.method !== 'GET') throw new HttpError(404, 'Could not find the route you\'re looking for');
        await requireNamespace(caller, ns);
        const events = await listOrEmpty<KubeObject & { lastTimestamp?: string; eventTime?: string }>(client, EventRef, ns);
        const when = (e: { lastTimestamp?: string; eventTime?: string; metadata: { creationTimestamp?: string } }) => e.lastTimestamp ?? e.eventTime ?? e.metadata.creationTimestamp ?? '';
        return { body: events.sort((a, b) => when(b).localeCompare(when(a))) };
      }),
    },
    {
      prefix: '/api/dashboard-links',
      access: { kind: 'in-handler', why: 'the menu every signed-in user sees (upstream serves it to everyone)' },
      bodyTypes: [],
      handle: serve(async () => {
        const data = await configData(client, configNamespace);
        if (data?.links === undefined) return { body: defaultLinks() };
        try {
          return { body: JSON.parse(data.links) as unknown };
        } catch {
          throw new HttpError(500, 'Cannot load dashboard menu link');
        }
      }),
    },
    {
      prefix: '/api/dashboard-settings',
      access: { kind: 'in-handler', why: 'the dashboard\'s display settings every signed-in user sees' },
      bodyTypes: [],
      handle: serve(async () => {
        const data = await configData(client, configNamespace);
        if (data?.settings === undefined) return { body: { DASHBOARD_FORCE_IFRAME: false } };
        try {
          return { body: JSON.parse(data.settings) as unknown };
        } catch {
          throw new HttpError(500, 'Cannot load dashboard settings');
        }
      }),
    },
  ];
  return routes;
}

/**
 * CSRF, beyond the front door's Origin and body-type checks (which an `--allowed-origin` loosens for the APIs): the
 * dashboard's own state-changing calls must come from Floe's own pages.
 */
export function requireSameOrigin(req: IncomingMessage): void {
  const site = req.headers['sec-fetch-site'];
  if (site !== undefined && site !== 'same-origin' && site !== 'none') throw new HttpError(403, `a ${String(site)} request may not change the dashboard's state`);
  const origin = req.headers.origin;
  if (origin === undefined) return;
  const host = req.headers.host;
  let originHost: string | undefined;
  try {
    originHost = new URL(origin).host;
  } catch {
    originHost = undefined;
  }
  if (!host || originHost?.toLowerCase() !== host.toLowerCase()) throw new HttpError(403, `requests from pages at ${origin.slice(0, 100)} may not change the dashboard's state`);
}

function isSystemNamespace(name: string): boolean {
  return name === 'kube-system' || name === 'kube-public' || name === 'kube-node-lease';
}

async function configData(client: Client, namespace: string): Promise<Record<string, string> | undefined> {
  try {
    const cm = await client.get<KubeObject & { data?: Record<string, string> }>(ConfigMapRef, 'dashboard-config', namespace);
    return cm.data ?? {};
  } catch (err) {
    if (err instanceof FloeError && err.reason === 'NotFound') return undefined;
    throw err;
  }
}

async function listOrEmpty<T extends KubeObject = KubeObject>(client: Client, ref: { apiVersion: string; kind: string }, namespace?: string): Promise<T[]> {
  try {
    return (await client.list<T>(ref, namespace ? { namespace } : {})).items;
  } catch (err) {
    // A kind this cluster does not serve (no Profiles CRD, no RBAC) lists as empty, as upstream answers `[]` on error.
    if (err instanceof FloeError && (err.reason === 'NotFound' || err.code === 404)) return [];
    throw err;
  }
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MaxBody) throw new HttpError(413, 'request body too large');
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if (!text.trim()) return {};
  try {
    const parsed = JSON.parse(text) as unknown;
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new HttpError(400, 'the body must be a JSON object');
    return parsed;
  } catch (err) {
    if (err instanceof HttpError) throw err;
    throw new HttpError(400, 'the body is not valid JSON');
  }
}

function json(res: ServerResponse, code: number, body: unknown): void {
  const payload = JSON.stringify(body);
  res.writeHead(code, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(payload), 'Cache-Control': 'no-store', 'X-Content-Type-Options': 'nosniff' });
  res.end(payload);
}
