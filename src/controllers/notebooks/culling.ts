// The culler (kubeflow/notebooks culling_controller.go): it records a notebook's last activity from Jupyter's own API in
// `notebooks.kubeflow.org/last-activity` and stops (`kubeflow-resource-stopped`) one idle for longer than CULL_IDLE_TIME.
import { FloeError } from '../../api/errors.js';
import { serviceAddress } from '../../api/host-ports.js';
import { PodRef, ServiceRef, type Pod, type Service } from '../../api/core-v1.js';
import { PatchType } from '../../client/client.js';
import { realClock, type Clock, type Manager, type ReconcileContext, type ReconcileResult, type Reconciler, type Request } from '../../controller/index.js';
import { notebookToken, servicePortName } from './notebook-controller.js';
import { Annotations, NotebookRef, notebookPrefix, type Notebook } from './types.js';

/** Upstream's ENABLE_CULLING, CULL_IDLE_TIME and IDLENESS_CHECK_PERIOD (minutes; Floe also takes fractions), CLUSTER_DOMAIN. */
export interface CullingSettings {
  enabled: boolean;
  idleMinutes: number;
  checkPeriodMinutes: number;
  clusterDomain: string;
}

export const defaultCulling: CullingSettings = { enabled: false, idleMinutes: 1440, checkPeriodMinutes: 1, clusterDomain: 'cluster.local' };

/** Culling settings from the environment variables upstream's controller reads; a malformed number keeps the default. */
export function cullingFromEnv(env: Readonly<Record<string, string | undefined>>): CullingSettings {
  const minutes = (value: string | undefined, fallback: number): number => {
    const n = Number(value);
    return value !== undefined && value.trim() !== '' && Number.isFinite(n) && n > 0 ? n : fallback;
  };
  return {
    enabled: env.ENABLE_CULLING === 'true',
    idleMinutes: minutes(env.CULL_IDLE_TIME, defaultCulling.idleMinutes),
    checkPeriodMinutes: minutes(env.IDLENESS_CHECK_PERIOD, defaultCulling.checkPeriodMinutes),
    clusterDomain: env.CLUSTER_DOMAIN || defaultCulling.clusterDomain,
  };
}

/** One kernel as Jupyter's `GET /api/kernels` lists it. */
export interface KernelInfo {
  id?: string;
  name?: string;
  last_activity?: string;
  execution_state?: string;
  connections?: number;
}

/** What Jupyter said: its kernels (undefined when the call failed), and `/api/status`'s `last_activity` when it answered. */
export interface JupyterActivity {
  kernels?: KernelInfo[];
  statusLastActivity?: string;
}

/**
 * The new last-activity (ms), or undefined to leave it. Upstream's rule on the kernels: a busy kernel means now; all
 * idle means the latest kernel activity; no answer or no kernels changes nothing. Floe adds `/api/status`'s
 * `last_activity` (terminals, file saves and other API use, as JupyterHub's culler reads it) when no kernel is busy.
 */
export function lastActivityFrom(activity: JupyterActivity, now: number): number | undefined {
  const kernels = activity.kernels ?? [];
  if (kernels.some((k) => k.execution_state !== 'idle')) return now;
  const times: number[] = [];
  for (const k of kernels) {
    const t = Date.parse(k.last_activity ?? '');
    if (Number.isNaN(t)) return undefined;
    times.push(t);
  }
  const status = Date.parse(activity.statusLastActivity ?? '');
  if (!Number.isNaN(status)) times.push(status);
  return times.length > 0 ? Math.max(...times) : undefined;
}

const notFound = (err: unknown): boolean => err instanceof FloeError && err.reason === 'NotFound';
const rfc3339 = (ms: number): string => new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');

export interface CullerOptions {
  settings: CullingSettings;
  clock?: Clock;
  /** Asks Jupyter; `getJupyterActivity` (HTTP, 10 s timeout) unless given. */
  probe?: (baseUrl: string, headers: Record<string, string>) => Promise<JupyterActivity>;
}

/** GET `<base>/api/kernels` and `<base>/api/status`; neither counts as activity (`no_track_activity`, status never does). */
export async function getJupyterActivity(baseUrl: string, headers: Record<string, string> = {}): Promise<JupyterActivity> {
  const get = async (path: string): Promise<unknown> => {
    const res = await fetch(`${baseUrl}${path}`, { headers, signal: AbortSignal.timeout(10_000) });
    if (res.status !== 200) throw new Error(`${path} answered ${res.status}`);
    return res.json();
  };
  const out: JupyterActivity = {};
  const [kernels, status] = await Promise.allSettled([get('/api/kernels?no_track_activity=1'), get('/api/status')]);
  if (kernels.status === 'fulfilled' && Array.isArray(kernels.value)) out.kernels = kernels.value as KernelInfo[];
  if (status.status === 'fulfilled' && typeof status.value === 'object' && status.value !== null) {
    const last = (status.value as { last_activity?: unknown }).last_activity;
    if (typeof last === 'string') out.statusLastActivity = last;
  }
  return out;
}

export class CullingReconciler implements Reconciler {
  private readonly settings: CullingSettings;
  private readonly clock: Clock;
  private readonly probe: (baseUrl: string, headers: Record<string, string>) => Promise<JupyterActivity>;

  constructor(options: CullerOptions) {
    this.settings = options.settings;
    this.clock = options.clock ?? realClock();
    this.probe = options.probe ?? getJupyterActivity;
  }

  async reconcile(ctx: ReconcileContext, request: Request): Promise<ReconcileResult> {
    const periodMs = this.settings.checkPeriodMinutes * 60_000;
    let notebook: Notebook;
    try {
      notebook = await ctx.client.get<Notebook>(NotebookRef, request.name, request.namespace);
    } catch (err) {
      if (notFound(err)) return {};
      throw err;
    }
    if (notebook.metadata.deletionTimestamp) return {};
    const annotations = notebook.metadata.annotations ?? {};
    const clear = async (): Promise<ReconcileResult> => {
      if (annotations[Annotations.lastActivity] !== undefined || annotations[Annotations.lastActivityCheck] !== undefined) {
        await this.annotate(ctx, notebook, { [Annotations.lastActivity]: null, [Annotations.lastActivityCheck]: null });
      }
      return {};
    };
    // Stopped, or no Pod: nothing to measure.
    if (annotations[Annotations.stopped] !== undefined) return clear();
    try {
      await ctx.client.get<Pod>(PodRef, `${request.name}-0`, request.namespace);
    } catch (err) {
      if (notFound(err)) return clear();
      throw err;
    }
    const now = this.clock.now();
    const last = Date.parse(annotations[Annotations.lastActivity] ?? '');
    const checked = Date.parse(annotations[Annotations.lastActivityCheck] ?? '');
    if (Number.isNaN(last) || Number.isNaN(checked)) {
      await this.annotate(ctx, notebook, { [Annotations.lastActivity]: rfc3339(now), [Annotations.lastActivityCheck]: rfc3339(now) });
      return { requeueAfterMs: periodMs };
    }
    if (checked + periodMs > now) return { requeueAfterMs: checked + periodMs - now };
    let lastActivity = last;
    const base = await this.baseUrl(ctx, notebook);
    if (base) {
      const token = await notebookToken(ctx.client, notebook);
      const activity = await this.probe(base, token ? { authorization: `token ${token}` } : {}).catch((): JupyterActivity => ({}));
      lastActivity = lastActivityFrom(activity, now) ?? last;
    }
    const patch: Record<string, string | null> = { [Annotations.lastActivity]: rfc3339(lastActivity), [Annotations.lastActivityCheck]: rfc3339(now) };
    if (now > lastActivity + this.settings.idleMinutes * 60_000) {
      ctx.log.info({ lastActivity: rfc3339(lastActivity) }, 'culling an idle notebook');
      ctx.recorder.event(notebook, 'Normal', 'Culling', `Notebook idle since ${rfc3339(lastActivity)} (CULL_IDLE_TIME ${this.settings.idleMinutes} minutes): stopping it`);
      patch[Annotations.stopped] = rfc3339(now);
    }
    await this.annotate(ctx, notebook, patch);
    return { requeueAfterMs: periodMs };
  }

  /** Where the culler reaches Jupyter: the Service's loopback host port embedded, its cluster DNS name otherwise. */
  private async baseUrl(ctx: ReconcileContext, notebook: Notebook): Promise<string | undefined> {
    const name = notebook.metadata.name ?? '';
    const namespace = notebook.metadata.namespace ?? '';
    let service: Service;
    try {
      service = await ctx.client.get<Service>(ServiceRef, name, namespace);
    } catch (err) {
      if (notFound(err)) return undefined;
      throw err;
    }
    const port = service.spec?.ports?.find((p) => p.name === servicePortName(notebook)) ?? service.spec?.ports?.[0];
    if (!port) return undefined;
    const address = serviceAddress(service, port, `${name}.${namespace}.svc.${this.settings.clusterDomain}`);
    return `http://${address.host}:${address.port}${notebookPrefix(namespace, name)}`;
  }

  private async annotate(ctx: ReconcileContext, notebook: Notebook, annotations: Record<string, string | null>): Promise<void> {
    await ctx.client.patch(NotebookRef, notebook.metadata.name ?? '', notebook.metadata.namespace, { metadata: { annotations } }, PatchType.Merge);
  }
}

export function addCullingController(manager: Manager, options: CullerOptions): void {
  manager.controller('notebook-culler').for(NotebookRef).complete(new CullingReconciler(options));
}
