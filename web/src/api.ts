// Talking to Floe: same-origin fetches only, credentials never stored by the app (the browser sends what it has).
export class ApiError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

/** Where the dashboard signs in with a token, reads its session's CSRF token and signs out (src/dashboard/session.ts). */
export const sessionPath = '/ui/api/session';
/**
 * The session's CSRF token, sent on every state-changing request: from the sign-in answer, or asked for once after a
 * reload (the session cookie itself is HttpOnly). Kept in memory only, never in browser storage.
 */
let csrf: Promise<string | undefined> | undefined;
export function setCsrfToken(token: string | undefined): void {
  csrf = Promise.resolve(token);
}
function csrfToken(): Promise<string | undefined> {
  csrf ??= fetch(sessionPath, { headers: { Accept: 'application/json' }, credentials: 'same-origin' })
    .then(async (res) => (res.ok ? ((await res.json()) as { csrfToken?: string }).csrfToken : undefined))
    .catch(() => undefined);
  return csrf;
}
/** Whether this page is signed in by a dashboard session (and not by the browser's own credentials, or none needed). */
export async function hasSession(): Promise<boolean> {
  return (await csrfToken()) !== undefined;
}
/** Ends the session (the cookie is cleared by the answer); a session already gone is no error. */
export async function signOut(): Promise<void> {
  await request(sessionPath, { method: 'DELETE' }).catch(() => undefined);
  csrf = undefined;
}

async function errorOf(res: Response): Promise<ApiError> {
  const text = await res.text();
  let message = text || res.statusText;
  try {
    const body = JSON.parse(text) as { message?: string; error?: string; log?: string; error_message?: string };
    message = body.message ?? body.error ?? body.log ?? body.error_message ?? message;
  } catch {
    /* not JSON: keep the text */
  }
  return new ApiError(res.status, message);
}

export async function request(path: string, init: RequestInit = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  const method = (init.method ?? 'GET').toUpperCase();
  if (method !== 'GET' && method !== 'HEAD') {
    const token = await csrfToken();
    if (token) headers.set('X-CSRF-Token', token);
  }
  const res = await fetch(path, { ...init, headers, credentials: 'same-origin' });
  if (!res.ok) throw await errorOf(res);
  return res;
}

export async function getJson<T>(path: string): Promise<T> {
  return (await request(path, { headers: { Accept: 'application/json' } })).json() as Promise<T>;
}

export async function sendJson<T>(method: string, path: string, body: unknown, contentType = 'application/json', extra: Record<string, string> = {}): Promise<T> {
  const res = await request(path, { method, headers: { 'Content-Type': contentType, Accept: 'application/json', ...extra }, body: typeof body === 'string' ? body : JSON.stringify(body) });
  const text = await res.text();
  return (text ? JSON.parse(text) : {}) as T;
}

export async function getText(path: string): Promise<string> {
  return (await request(path)).text();
}

// ---- Kubernetes objects ----

export interface Meta {
  name: string;
  namespace?: string;
  uid?: string;
  creationTimestamp?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  generation?: number;
}
export interface Condition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
  lastTransitionTime?: string;
}
export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata: Meta;
  spec?: Record<string, unknown>;
  status?: Record<string, unknown> & { conditions?: Condition[] };
}

/** The REST path of a kind: `apiVersion` → `/api/v1` or `/apis/<group>/<version>`. */
export function kubePath(apiVersion: string, plural: string, namespace?: string, name?: string): string {
  const base = apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
  return `${base}${namespace ? `/namespaces/${encodeURIComponent(namespace)}` : ''}/${plural}${name ? `/${encodeURIComponent(name)}` : ''}`;
}

export async function kubeList<T extends KubeObject = KubeObject>(apiVersion: string, plural: string, namespace?: string, query = ''): Promise<T[]> {
  const list = await getJson<{ items: T[] }>(`${kubePath(apiVersion, plural, namespace)}${query ? `?${query}` : ''}`);
  return list.items ?? [];
}

/** Lists a kind that this Floe may not serve (a capability switched off): an empty list and `served: false` then. */
export async function kubeListOptional<T extends KubeObject = KubeObject>(apiVersion: string, plural: string, namespace?: string, query = ''): Promise<{ items: T[]; served: boolean }> {
  try {
    return { items: await kubeList<T>(apiVersion, plural, namespace, query), served: true };
  } catch (err) {
    if (err instanceof ApiError && err.status === 404) return { items: [], served: false };
    throw err;
  }
}

export function condition(obj: KubeObject | undefined): Condition | undefined {
  const conditions = obj?.status?.conditions ?? [];
  return conditions.filter((c) => c.status === 'True').at(-1) ?? conditions.at(-1);
}

export function age(timestamp: string | undefined): string {
  if (!timestamp) return '';
  const s = Math.max(0, Math.round((Date.now() - Date.parse(timestamp)) / 1000));
  if (s < 90) return `${s}s`;
  if (s < 5400) return `${Math.round(s / 60)}m`;
  if (s < 172800) return `${Math.round(s / 3600)}h`;
  return `${Math.round(s / 86400)}d`;
}

// ---- the Kubeflow dashboard backend ----

export interface EnvInfo {
  user: string;
  namespaces: { namespace: string; role: string; user: string }[];
  isClusterAdmin: boolean;
  platform: { kubeflowVersion: string };
}

/** The Jupyter web app's CSRF check is a double submit: any value works as long as cookie and header agree. */
export function xsrfHeader(): Record<string, string> {
  const bytes = new Uint8Array(16);
  crypto.getRandomValues(bytes);
  const token = Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
  document.cookie = `XSRF-TOKEN=${token}; Path=/jupyter; SameSite=Strict`;
  return { 'X-XSRF-TOKEN': token };
}
