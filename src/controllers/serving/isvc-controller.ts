// The InferenceService controller of embedded mode: picks the ServingRuntime, resolves storageUri to a local folder,
// and brings up the predictor — inside this process for in-process runtimes (ONNX), or as a revision Pod behind a
// Service for Pod runtimes (MLServer) — then routes `/serving/<ns>/<name>` to it and reports KServe's status.
import { existsSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { FloeError } from '../../api/errors.js';
import { hostPorts } from '../../api/host-ports.js';
import { PodRef, ServiceRef, type ContainerSpec, type Pod, type Service } from '../../api/core-v1.js';
import { controllerReference, isControlledBy, kubeTime, realClock, type Clock, type ReconcileContext, type ReconcileResult, type Reconciler, type Request } from '../../controller/index.js';
import { mlserverImplementations } from './builtin-runtimes.js';
import { ServingIngress, type LocalEndpoint } from './dataplane.js';
import { predictorModel, selectRuntime, type Selection } from './runtimes.js';
import { ClusterServingRuntimeRef, InferenceServiceRef, InProcessAnnotation, ServingRuntimeRef, type ComponentStatus, type Condition, type InferenceService, type ModelSpec, type ServingRuntime } from './types.js';

export const Labels = {
  isvc: 'serving.kserve.io/inferenceservice',
  component: 'component',
  revision: 'serving.knative.dev/revision',
} as const;

export interface InProcessModel extends LocalEndpoint {
  close(): Promise<void>;
}

/** Loads a model of an in-process runtime from a local path (a file or a folder). */
export type InProcessLoader = (modelName: string, path: string) => Promise<InProcessModel>;

export interface IsvcControllerOptions {
  ingress: ServingIngress;
  /** Base URL the ingress answers on (Floe's URL). */
  ingressUrl: string;
  loaders: Record<string, InProcessLoader>;
  clock?: Clock;
}

/** storageUri → a local path: `file:///p`, or a plain absolute path. Anything else is not reachable from here. */
export function localStorage(uri: string): string {
  if (uri.startsWith('file://')) return fileURLToPath(uri);
  if (uri.startsWith('/')) return uri;
  const scheme = /^([a-z0-9+.-]+):\/\//i.exec(uri)?.[1] ?? uri;
  throw new FloeError('Invalid', `storageUri ${uri}: Floe reads models from file:// URIs and local paths, not ${scheme}://`);
}

const revisionName = (isvc: InferenceService): string => `${isvc.metadata.name ?? ''}-predictor-${String(isvc.metadata.generation ?? 1).padStart(5, '0')}`;

function setCondition(conditions: Condition[], type: string, status: Condition['status'], now: number, reason?: string, message?: string): void {
  const at = kubeTime(now);
  const existing = conditions.find((c) => c.type === type);
  const next: Condition = { type, status, lastTransitionTime: existing && existing.status === status ? (existing.lastTransitionTime ?? at) : at, ...(reason ? { reason } : {}), ...(message ? { message } : {}) };
  if (existing) Object.keys(existing).forEach((k) => delete (existing as unknown as Record<string, unknown>)[k]);
  if (existing) Object.assign(existing, next);
  else conditions.push(next);
  conditions.sort((a, b) => a.type.localeCompare(b.type));
}

export class InferenceServiceReconciler implements Reconciler {
  private readonly options: IsvcControllerOptions;
  private readonly clock: Clock;
  /** In-process predictors by `ns/name`, with the revision they serve. */
  private readonly loaded = new Map<string, { revision: string; model: InProcessModel }>();

  constructor(options: IsvcControllerOptions) {
    this.options = options;
    this.clock = options.clock ?? realClock();
  }

  async reconcile(ctx: ReconcileContext, request: Request): Promise<ReconcileResult | void> {
    const key = `${request.namespace ?? ''}/${request.name}`;
    let isvc: InferenceService;
    try {
      isvc = await ctx.client.get<InferenceService>(InferenceServiceRef, request.name, request.namespace);
    } catch (err) {
      if (!(err instanceof FloeError && err.reason === 'NotFound')) throw err;
      await this.unload(key);
      this.options.ingress.delete(request.namespace ?? '', request.name);
      return;
    }
    if (isvc.metadata.deletionTimestamp) return;
    const now = this.clock.now();
    const namespace = isvc.metadata.namespace ?? '';
    const name = isvc.metadata.name ?? '';
    const status: NonNullable<InferenceService['status']> = structuredClone(isvc.status ?? {});
    const before = JSON.stringify(status);
    const conditions = (status.conditions ??= []);
    const revision = revisionName(isvc);
    const write = async (): Promise<void> => {
      status.observedGeneration = isvc.metadata.generation ?? 1;
      if (JSON.stringify(status) !== before) await ctx.client.updateStatus<InferenceService>({ ...isvc, status });
    };
    const failed = async (reason: string, message: string): Promise<void> => {
      setCondition(conditions, 'PredictorReady', 'False', now, reason, message);
      setCondition(conditions, 'Ready', 'False', now, reason, message);
      status.modelStatus = { transitionStatus: reason === 'ModelLoadFailed' ? 'BlockedByFailedLoad' : 'InvalidSpec', states: { activeModelState: 'FailedToLoad', targetModelState: 'FailedToLoad' }, lastFailureInfo: { reason, message, modelRevisionName: revision, time: kubeTime(now) } };
      ctx.recorder.event(isvc, 'Warning', reason, message);
      await write();
    };
    status.deploymentMode = 'Standard';

    const model = predictorModel(isvc.spec.predictor ?? {});
    if (!model) return failed('InvalidPredictorSpec', 'Floe serves predictors given as spec.predictor.model (or a framework field such as sklearn); custom predictor containers are not supported yet');
    const selection = await this.select(ctx, model, namespace);
    if (!selection.ok) {
      // A runtime may be created later: look again.
      await failed(selection.reason, selection.message);
      return { requeueAfterMs: 10_000 };
    }
    const runtime = selection.choice.runtime;
    if (selection.choice.cluster) status.clusterServingRuntimeName = runtime.metadata.name ?? '';
    else status.servingRuntimeName = runtime.metadata.name ?? '';
    let path: string;
    try {
      path = localStorage(model.storageUri ?? '');
      if (!existsSync(path)) throw new FloeError('Invalid', `storageUri ${model.storageUri ?? ''}: ${path} does not exist`);
    } catch (err) {
      return failed('InvalidPredictorSpec', (err as Error).message);
    }

    const loader = runtime.metadata.annotations?.[InProcessAnnotation];
    let predictorUrl: string;
    if (loader) {
      const current = this.loaded.get(key);
      if (current?.revision !== revision) {
        const load = this.options.loaders[loader];
        if (!load) return failed('RuntimeNotRecognized', `runtime ${runtime.metadata.name ?? ''} asks for in-process loader ${loader}, which this Floe does not have`);
        let loadedModel: InProcessModel;
        try {
          loadedModel = await load(name, path);
        } catch (err) {
          return failed('ModelLoadFailed', `cannot load ${path}: ${(err as Error).message}`);
        }
        this.loaded.set(key, { revision, model: loadedModel });
        this.options.ingress.set(namespace, name, { kind: 'local', endpoint: loadedModel });
        await current?.model.close();
      }
      predictorUrl = ServingIngress.urlOf(this.options.ingressUrl, namespace, name);
    } else {
      const address = await this.ensurePod(ctx, isvc, runtime, model, path, revision);
      if (!address.ready) {
        setCondition(conditions, 'PredictorReady', 'False', now, 'RevisionNotReady', `predictor Pod ${revision} is not ready yet`);
        setCondition(conditions, 'Ready', 'False', now, 'RevisionNotReady', `predictor Pod ${revision} is not ready yet`);
        status.modelStatus = { transitionStatus: 'InProgress', states: { activeModelState: 'Loading', targetModelState: 'Loaded' } };
        if (address.failed) return failed('ModelLoadFailed', address.failed);
        await write();
        return;
      }
      this.options.ingress.set(namespace, name, { kind: 'proxy', url: address.url });
      await this.unload(key);
      predictorUrl = address.url;
    }

    const url = ServingIngress.urlOf(this.options.ingressUrl, namespace, name);
    const predictor: ComponentStatus = {
      ...(status.components?.['predictor'] ?? {}),
      latestCreatedRevision: revision,
      latestReadyRevision: revision,
      url,
      restUrl: url,
      address: { url: predictorUrl },
      traffic: [{ revisionName: revision, latestRevision: true, percent: 100 }],
    };
    const previous = status.components?.['predictor']?.latestRolledoutRevision;
    if (previous !== revision) {
      if (previous) predictor.previousRolledoutRevision = previous;
      predictor.latestRolledoutRevision = revision;
    }
    status.components = { ...(status.components ?? {}), predictor };
    status.url = url;
    status.address = { url };
    status.modelStatus = { transitionStatus: 'UpToDate', states: { activeModelState: 'Loaded', targetModelState: 'Loaded' }, copies: { failedCopies: 0, totalCopies: 1 } };
    setCondition(conditions, 'PredictorReady', 'True', now);
    setCondition(conditions, 'IngressReady', 'True', now);
    setCondition(conditions, 'LatestDeploymentReady', 'True', now);
    setCondition(conditions, 'Ready', 'True', now);
    await write();
    if (!loader) await this.removeOldRevisions(ctx, isvc, revision);
  }

  private async select(ctx: ReconcileContext, model: ModelSpec, namespace: string): Promise<Selection> {
    const [namespaced, clustered] = await Promise.all([
      ctx.client.list<ServingRuntime>(ServingRuntimeRef, { namespace }),
      ctx.client.list<ServingRuntime>(ClusterServingRuntimeRef),
    ]);
    return selectRuntime(model, namespaced.items, clustered.items);
  }

  /** The revision's Service and Pod; `ready` once the Pod is Ready. */
  private async ensurePod(ctx: ReconcileContext, isvc: InferenceService, runtime: ServingRuntime, model: ModelSpec, path: string, revision: string): Promise<{ ready: boolean; url: string; failed?: string }> {
    const namespace = isvc.metadata.namespace ?? '';
    const name = isvc.metadata.name ?? '';
    const template = structuredClone(runtime.spec.containers?.[0]);
    if (!template) return { ready: false, url: '', failed: `runtime ${runtime.metadata.name ?? ''} has no container` };
    const ports = (template.ports ?? []).map((p) => p.containerPort).filter((p): p is number => typeof p === 'number');
    const serviceName = `${name}-predictor`;
    const labels = { [Labels.isvc]: name, [Labels.component]: 'predictor' };
    let service: Service;
    try {
      service = await ctx.client.get<Service>(ServiceRef, serviceName, namespace);
    } catch (err) {
      if (!(err instanceof FloeError && err.reason === 'NotFound')) throw err;
      service = await ctx.client.create<Service>({
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name: serviceName, namespace, labels, ownerReferences: [controllerReference(isvc)] },
        spec: { selector: labels, ports: ports.map((p, i) => ({ name: i === 0 ? 'http' : `port-${p}`, port: i === 0 ? 80 : p, targetPort: p })) },
      });
    }
    const assigned = hostPorts(service);
    // Processes share the host's network: each container port the runtime declares becomes the Service's loopback port.
    const mapping = new Map(ports.map((p, i) => [p, assigned[i === 0 ? 'http' : `port-${p}`] ?? p]));
    const http = mapping.get(ports[0] ?? 8080) ?? 8080;
    let pod: Pod | undefined;
    try {
      pod = await ctx.client.get<Pod>(PodRef, revision, namespace);
    } catch (err) {
      if (!(err instanceof FloeError && err.reason === 'NotFound')) throw err;
    }
    if (!pod) {
      const container = localize({ ...template, ...containerOverrides(model, template), name: 'kserve-container' }, name, mapping);
      pod = await ctx.client.create<Pod>({
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: revision, namespace, labels: { ...labels, [Labels.revision]: revision }, ownerReferences: [controllerReference(isvc)] },
        spec: {
          containers: [{ ...container, volumeMounts: [...(container.volumeMounts ?? []), { name: 'kserve-provision-location', mountPath: '/mnt/models', readOnly: true }] }],
          volumes: [...(runtime.spec.volumes ?? []), { name: 'kserve-provision-location', hostPath: { path: statSync(path).isDirectory() ? path : `${path}/..` } }],
        },
      });
      ctx.recorder.event(isvc, 'Normal', 'RevisionCreated', `predictor revision ${revision} created`);
    }
    const ready = pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
    const restarts = pod.status?.containerStatuses?.[0]?.restartCount ?? 0;
    const failed =
      pod.status?.phase === 'Failed' || (!ready && restarts >= 2)
        ? `predictor Pod ${revision} exited ${restarts + 1} times before it was ready (see \`floe logs ${revision}\`)`
        : undefined;
    return { ready, url: `http://127.0.0.1:${http}`, ...(failed ? { failed } : {}) };
  }

  private async removeOldRevisions(ctx: ReconcileContext, isvc: InferenceService, revision: string): Promise<void> {
    const pods = await ctx.client.list<Pod>(PodRef, { namespace: isvc.metadata.namespace ?? '', labelSelector: `${Labels.isvc}=${isvc.metadata.name ?? ''}` });
    for (const p of pods.items) {
      if (p.metadata.name === revision || !isControlledBy(p, isvc)) continue;
      await ctx.client.delete(PodRef, p.metadata.name ?? '', p.metadata.namespace).catch((err: unknown) => {
        if (!(err instanceof FloeError && err.reason === 'NotFound')) throw err;
      });
    }
  }

  private async unload(key: string): Promise<void> {
    const current = this.loaded.get(key);
    this.loaded.delete(key);
    await current?.model.close();
  }

  async close(): Promise<void> {
    for (const key of [...this.loaded.keys()]) await this.unload(key);
  }
}

/** The container fields a ModelSpec may set over the runtime's (image, args, env, resources…). */
function containerOverrides(model: ModelSpec, template: ContainerSpec): Partial<ContainerSpec> {
  const out: Partial<ContainerSpec> = {};
  // KServe's controller tells MLServer which runtime class loads the model format (SetMlServerDefaults).
  const implementation = mlserverImplementations[model.modelFormat?.name ?? ''];
  if (template.image?.includes('mlserver') && implementation && !template.env?.some((e) => e.name === 'MLSERVER_MODEL_IMPLEMENTATION')) {
    out.env = [...(template.env ?? []), { name: 'MLSERVER_MODEL_IMPLEMENTATION', value: implementation }];
  }
  if (model.image) out.image = model.image;
  if (model.args) out.args = model.args;
  if (model.command) out.command = model.command;
  if (model.resources) out.resources = model.resources;
  return out;
}

/** `{{.Name}}` → the model name; each declared container port (as a whole value, `=P` or `:P`) → its host port. */
export function localize(container: ContainerSpec, modelName: string, ports: Map<number, number>): ContainerSpec {
  const swap = (text: string): string => {
    let out = text.replace(/\{\{\s*\.Name\s*\}\}/g, modelName);
    for (const [from, to] of ports) out = out.replace(new RegExp(`(^|[=:])${from}$`), `$1${to}`);
    return out;
  };
  const probed = container as ContainerSpec & { readinessProbe?: { httpGet?: { port: number | string; path?: string } } };
  return {
    ...container,
    ...(container.args ? { args: container.args.map(swap) } : {}),
    ...(container.command ? { command: container.command.map(swap) } : {}),
    ...(container.env ? { env: container.env.map((e) => (e.value !== undefined ? { ...e, value: swap(e.value) } : e)) } : {}),
    ...(container.ports ? { ports: container.ports.map((p) => (p.containerPort === undefined ? p : { ...p, containerPort: ports.get(p.containerPort) ?? p.containerPort })) } : {}),
    ...(probed.readinessProbe?.httpGet
      ? { readinessProbe: { ...probed.readinessProbe, httpGet: { ...probed.readinessProbe.httpGet, ...(probed.readinessProbe.httpGet.path ? { path: swap(probed.readinessProbe.httpGet.path) } : {}), port: ports.get(Number(probed.readinessProbe.httpGet.port)) ?? probed.readinessProbe.httpGet.port } } }
      : {}),
  };
}
