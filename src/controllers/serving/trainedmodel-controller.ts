// The TrainedModel controller: more models on one InferenceService's server (KServe's multi-model serving). A
// TrainedModel is loaded into every revision of its parent that runs in-process, or — for a parent without a
// storageUri on a Pod runtime (MLServer, or the kserve SDK's sklearn/xgboost/lightgbm servers) — laid into the
// revision's model folder and loaded through the server's v2 model repository API
// (`POST /v2/repository/models/<name>/load`, as KServe's model agent does), if the memory it declares
// fits in what the parent's predictor may use (resources.limits.memory) beside the other TrainedModels; unloaded on delete.
import { existsSync, mkdirSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FloeError } from '../../api/errors.js';
import type { KubeObject } from '../../api/meta.js';
import { parseQuantity } from '../../api/builtin/quantity.js';
import { kubeTime, realClock, type Clock, type ReconcileContext, type ReconcileResult, type Reconciler, type Request } from '../../controller/index.js';
import { ServingIngress } from './dataplane.js';
import type { InferenceServiceReconciler } from './isvc-controller.js';
import { mlserverModelClasses } from './runtimes.js';
import { storageMessage, within } from './storage.js';
import { InferenceServiceRef, TrainedModelRef, type Condition, type InferenceService } from './types.js';

export type TrainedModel = KubeObject & {
  spec: { inferenceService: string; model: { storageUri: string; framework?: string; memory?: string } };
  status?: { url?: string; address?: { url?: string }; conditions?: Condition[] };
};

export class TrainedModelReconciler implements Reconciler {
  private readonly clock: Clock;
  /** What each TrainedModel (`ns/name`) was loaded into, so a delete can unload it. */
  private readonly placed = new Map<string, { isvc: string }>();

  constructor(private readonly options: { isvcs: InferenceServiceReconciler; ingressUrl: string; clock?: Clock }) {
    this.clock = options.clock ?? realClock();
  }

  async reconcile(ctx: ReconcileContext, request: Request): Promise<ReconcileResult | void> {
    const namespace = request.namespace ?? '';
    const key = `${namespace}/${request.name}`;
    let tm: TrainedModel;
    try {
      tm = await ctx.client.get<TrainedModel>(TrainedModelRef, request.name, namespace);
    } catch (err) {
      if (!(err instanceof FloeError && err.reason === 'NotFound')) throw err;
      const where = this.placed.get(key);
      this.placed.delete(key);
      if (where) {
        for (const server of this.options.isvcs.inProcess(namespace, where.isvc)) await server.removeModel?.(request.name);
        for (const pod of this.options.isvcs.multiModelServers(namespace, where.isvc)) {
          for (const url of pod.urls) await repository(url, request.name, 'unload').catch(() => undefined);
          rmSync(join(pod.folder, request.name), { recursive: true, force: true });
        }
      }
      return;
    }
    const now = kubeTime(this.clock.now());
    const status = structuredClone(tm.status ?? {});
    const before = JSON.stringify(status);
    const conditions: Condition[] = [];
    const set = (type: string, ok: boolean, reason?: string, message?: string): void => {
      const old = tm.status?.conditions?.find((c) => c.type === type);
      const value = ok ? 'True' : 'False';
      conditions.push({ type, status: value, lastTransitionTime: old?.status === value ? (old.lastTransitionTime ?? now) : now, ...(reason ? { reason } : {}), ...(message ? { message } : {}) });
    };
    const finish = async (ready: boolean, reason?: string, message?: string): Promise<ReconcileResult> => {
      set('Ready', ready, reason, message);
      status.conditions = conditions.sort((a, b) => a.type.localeCompare(b.type));
      if (JSON.stringify(status) !== before) await ctx.client.updateStatus<TrainedModel>({ ...tm, status });
      // Parents change revisions: look again now and then, so the model follows them.
      return { requeueAfterMs: 5_000 };
    };

    const parentName = tm.spec.inferenceService;
    const parent = await ctx.client.get<InferenceService>(InferenceServiceRef, parentName, namespace).catch(() => undefined);
    const parentReady = parent?.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
    set('InferenceServiceReady', parentReady, parentReady ? undefined : 'InferenceServiceNotReady', parentReady ? undefined : `InferenceService ${parentName} is not ready`);
    const servers = this.options.isvcs.inProcess(namespace, parentName);
    const pods = this.options.isvcs.multiModelServers(namespace, parentName);
    // KServe's IsMMSPredictor: no storageUri of its own, and never a Hugging Face predictor (its model ID needs none).
    const huggingface = parent?.spec.predictor.huggingface !== undefined || parent?.spec.predictor.model?.modelFormat?.name === 'huggingface';
    const multi = !huggingface && ((servers.length > 0 && servers.every((s) => s.addModel !== undefined)) || (servers.length === 0 && pods.length > 0));
    set('IsMMSPredictor', multi, multi ? undefined : 'IsNotMMSPredictor', multi ? undefined : `Inference Service predictor is not configured for multi-model serving: ${parentName} runs neither an in-process multi-model server nor a Pod runtime without a storageUri of its own${huggingface ? ' (a Hugging Face predictor never is)' : ''}`);
    if (!parentReady || !multi || !parent) return finish(false, 'NotReady', 'the parent InferenceService cannot take this model yet');

    // Memory: the TrainedModels on the parent must fit in its predictor's memory limit.
    const limit = parent.spec.predictor.model?.resources?.limits?.['memory'] ?? (parent.spec.predictor as { resources?: { limits?: Record<string, string> } }).resources?.limits?.['memory'];
    if (limit !== undefined) {
      const siblings = (await ctx.client.list<TrainedModel>(TrainedModelRef, { namespace })).items.filter((t) => t.spec.inferenceService === parentName);
      const ordered = siblings.sort((a, b) => (a.metadata.creationTimestamp ?? '').localeCompare(b.metadata.creationTimestamp ?? '') || (a.metadata.name ?? '').localeCompare(b.metadata.name ?? ''));
      let used = 0;
      for (const t of ordered) {
        used += parseQuantity(t.spec.model.memory ?? '0') ?? 0;
        if (t.metadata.name === tm.metadata.name) break;
      }
      const fits = used <= (parseQuantity(String(limit)) ?? Infinity);
      set('MemoryResourceAvailable', fits, fits ? undefined : 'MemoryResourceUnavailable', fits ? undefined : `TrainedModels on ${parentName} need more memory than its limit of ${String(limit)}`);
      if (!fits) {
        for (const server of servers) await server.removeModel?.(tm.metadata.name ?? '');
        return finish(false, 'MemoryResourceUnavailable', 'not enough memory on the parent InferenceService');
      }
    } else {
      set('MemoryResourceAvailable', true);
    }
    // The model's storage as the parent's (its ServiceAccount's credentials, the same cache), then loaded.
    let path: string;
    try {
      path = await this.options.isvcs.resolveStorage(ctx, parent, tm.spec.model.storageUri, 'TrainedModel.spec.model.storageUri');
    } catch (err) {
      return finish(false, err instanceof FloeError ? 'InvalidStorageUri' : 'ModelLoadFailed', storageMessage(err, 'TrainedModel.spec.model.storageUri', tm.spec.model.storageUri));
    }
    try {
      for (const server of servers) if (!server.models?.().includes(tm.metadata.name ?? '')) await server.addModel!(tm.metadata.name ?? '', path);
      for (const pod of pods) {
        layOut(pod.folder, tm, path, pod.mlserver);
        for (const url of pod.urls) if (!(await loaded(url, tm.metadata.name ?? ''))) await repository(url, tm.metadata.name ?? '', 'load');
      }
    } catch (err) {
      return finish(false, 'ModelLoadFailed', (err as Error).message);
    }
    this.placed.set(key, { isvc: parentName });
    const base = ServingIngress.urlOf(this.options.ingressUrl, namespace, parentName);
    const v2 = pods.some((p) => p.mlserver) || parent.spec.predictor.model?.protocolVersion === 'v2';
    status.url = `${base}/${v2 ? 'v2' : 'v1'}/models/${tm.metadata.name ?? ''}`;
    status.address = { url: status.url };
    return finish(true);
  }
}

/** Whether a replica's server has the model loaded (the v2 model-ready endpoint). */
async function loaded(url: string, model: string): Promise<boolean> {
  const res = await fetch(`${url}/v2/models/${encodeURIComponent(model)}/ready`);
  await res.arrayBuffer();
  return res.status === 200;
}

/** The v2 model repository extension: load or unload a model by name (MLServer, Triton, the kserve SDK's servers). */
async function repository(url: string, model: string, action: 'load' | 'unload'): Promise<void> {
  const res = await fetch(`${url}/v2/repository/models/${encodeURIComponent(model)}/${action}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
  const text = await res.text();
  if (!res.ok) throw new FloeError('InternalError', `the server at ${url} did not ${action} model ${model}: ${res.status} ${text.slice(0, 500)}`);
}

/**
 * Lays a TrainedModel into its parent revision's model folder as `<folder>/<name>/`: links to the cached model's
 * files, and — for MLServer, where the model brings none — a model-settings.json naming it and its framework's
 * MLServer class, which MLServer's repository needs to find it (the kserve SDK's servers want the model files alone).
 */
function layOut(folder: string, tm: TrainedModel, path: string, mlserver: boolean): void {
  const name = tm.metadata.name ?? '';
  const target = within(folder, name, 'TrainedModel name');
  if (existsSync(target)) return;
  mkdirSync(target, { recursive: true, mode: 0o700 });
  let entries: string[];
  try {
    entries = readdirSync(path);
  } catch {
    entries = [];
  }
  if (entries.length === 0) symlinkSync(path, join(target, path.split('/').pop() ?? 'model'));
  for (const entry of entries) symlinkSync(join(path, entry), join(target, entry));
  if (mlserver && !entries.includes('model-settings.json')) {
    const implementation = mlserverModelClasses[tm.spec.model.framework ?? 'sklearn'] ?? mlserverModelClasses['sklearn']!;
    writeFileSync(join(target, 'model-settings.json'), JSON.stringify({ name, implementation }), { mode: 0o600 });
  }
}
