// The InferenceService controller of embedded mode: picks the ServingRuntime, resolves storageUri to a local folder,
// and brings up the predictor — inside this process for in-process runtimes (ONNX), or as a revision Pod behind a
// Service for Pod runtimes (MLServer) — then routes `/serving/<ns>/<name>` to it and reports KServe's status.
import { createHash } from 'node:crypto';
import { existsSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { FloeError } from '../../api/errors.js';
import { hostPorts } from '../../api/host-ports.js';
import { PodRef, ServiceRef, type ContainerSpec, type Pod, type Service } from '../../api/core-v1.js';
import { controllerReference, isControlledBy, kubeTime, realClock, type Clock, type ReconcileContext, type ReconcileResult, type Reconciler, type Request } from '../../controller/index.js';
import { mlserverImplementations } from './builtin-runtimes.js';
import { ServingIngress, type LocalEndpoint, type Target } from './dataplane.js';
import { predictorModel, selectRuntime, type Selection } from './runtimes.js';
import { ClusterServingRuntimeRef, InferenceServiceRef, InProcessAnnotation, ServingRuntimeRef, type ComponentStatus, type Condition, type InferenceService, type ModelSpec, type ServingRuntime } from './types.js';

export const Labels = {
  isvc: 'serving.kserve.io/inferenceservice',
  component: 'component',
  revision: 'serving.knative.dev/revision',
} as const;

export interface InProcessModel extends LocalEndpoint {
  close(): Promise<void>;
  /** Multi-model servers (TrainedModels): serve another model beside the first, and stop serving it. */
  addModel?(name: string, path: string): Promise<void>;
  removeModel?(name: string): Promise<void>;
  models?(): string[];
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

const revisionOf = (isvc: string, n: number): string => `${isvc}-predictor-${String(n).padStart(5, '0')}`;

export const StopAnnotation = 'serving.kserve.io/stop';
/** Seconds without a request before an InferenceService with minReplicas 0 scales to zero (60 unless given). */
export const ScaleToZeroAfterAnnotation = 'serving.floe.dev/scale-to-zero-after';
/** Written by the ingress when a request arrives for an InferenceService scaled to zero. */
export const ActivatedAtAnnotation = 'serving.floe.dev/activated-at';

/** Where the controller keeps its revisions (number, config hash, model and runtime of each one still serving). */
export const RevisionsAnnotation = 'serving.floe.dev/revisions';

interface RevisionEntry {
  hash: string;
  model: ModelSpec;
  runtime: string;
  cluster: boolean;
}

interface Book {
  latest: number;
  revisions: Record<string, RevisionEntry>;
}

function readBook(isvc: InferenceService): Book {
  try {
    const book = JSON.parse(isvc.metadata.annotations?.[RevisionsAnnotation] ?? '') as Book;
    if (typeof book.latest === 'number' && book.revisions && typeof book.revisions === 'object') return book;
  } catch {
    // no book yet
  }
  return { latest: 0, revisions: {} };
}

/** The predictor minus what changes traffic or scale rather than the revision. */
function configHash(predictor: InferenceService['spec']['predictor']): string {
  const config: Record<string, unknown> = { ...predictor };
  for (const k of ['canaryTrafficPercent', 'minReplicas', 'maxReplicas', 'scaleTarget', 'scaleMetric', 'containerConcurrency']) delete config[k];
  return createHash('sha256').update(JSON.stringify(config)).digest('hex').slice(0, 16);
}

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
  /** When an InferenceService with minReplicas 0 was last brought up (or first seen), by `ns/name`. */
  private readonly activeSince = new Map<string, number>();
  /** In-process predictors by `ns/name/revision`. */
  private readonly loaded = new Map<string, InProcessModel>();

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
    let revision = revisionOf(isvc.metadata.name ?? '', readBook(isvc).latest || 1);
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

    // `serving.kserve.io/stop: "true"` takes every revision down and keeps the object.
    if (isvc.metadata.annotations?.[StopAnnotation] === 'true') {
      this.options.ingress.delete(namespace, name);
      await this.retire(ctx, isvc, readBook(isvc), new Set(), true);
      setCondition(conditions, 'Stopped', 'True', now, 'Stopped', 'The InferenceService is stopped');
      setCondition(conditions, 'PredictorReady', 'False', now, 'Stopped', 'The InferenceService is stopped');
      setCondition(conditions, 'Ready', 'False', now, 'Stopped', 'The InferenceService is stopped');
      await write();
      return;
    }
    if (conditions.some((c) => c.type === 'Stopped')) setCondition(conditions, 'Stopped', 'False', now);

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
    try {
      const path = localStorage(model.storageUri ?? '');
      if (!existsSync(path)) throw new FloeError('Invalid', `storageUri ${model.storageUri ?? ''}: ${path} does not exist`);
    } catch (err) {
      return failed('InvalidPredictorSpec', (err as Error).message);
    }

    // A change of the predictor (other than its traffic and scale settings) is a new revision, numbered like Knative's.
    const book = readBook(isvc);
    const hash = configHash(isvc.spec.predictor);
    if (book.revisions[revisionOf(name, book.latest)]?.hash !== hash) {
      book.latest += 1;
      book.revisions[revisionOf(name, book.latest)] = { hash, model, runtime: runtime.metadata.name ?? '', cluster: selection.choice.cluster };
      await ctx.client.update<InferenceService>({ ...isvc, metadata: { ...isvc.metadata, annotations: { ...(isvc.metadata.annotations ?? {}), [RevisionsAnnotation]: JSON.stringify(book) } } });
      ctx.recorder.event(isvc, 'Normal', 'RevisionCreated', `predictor revision ${revisionOf(name, book.latest)} created`);
      return; // the update brings this object back with the revision recorded
    }
    revision = revisionOf(name, book.latest);

    // Traffic as KServe's canary rollout sets it: P% to the latest revision, the rest to the last rolled-out one.
    const percent = isvc.spec.predictor.canaryTrafficPercent;
    const rolled = status.components?.['predictor']?.latestRolledoutRevision;
    const canary = percent !== undefined && percent < 100 && rolled !== undefined && rolled !== revision && book.revisions[rolled] !== undefined;
    const targets = canary ? [{ revision, percent, latest: true }, { revision: rolled, percent: 100 - percent, latest: false }] : [{ revision, percent: 100, latest: true }];

    // minReplicas 0: after scale-to-zero-after seconds without a request, every revision goes; the ingress holds the
    // next request and asks for one back (annotation activated-at), as Knative's activator does.
    let scaleCheck: number | undefined;
    if ((isvc.spec.predictor.minReplicas ?? 1) === 0) {
      const idleMs = Number(isvc.metadata.annotations?.[ScaleToZeroAfterAnnotation] ?? 60) * 1000;
      if (!this.activeSince.has(key)) this.activeSince.set(key, now);
      const lastUse = Math.max(this.activeSince.get(key)!, this.options.ingress.lastRequest(namespace, name) ?? 0, Date.parse(isvc.metadata.annotations?.[ActivatedAtAnnotation] ?? '') || 0);
      if (now - lastUse >= idleMs) {
        if (this.options.ingress.get(namespace, name)?.kind !== 'zero') {
          this.options.ingress.set(namespace, name, { kind: 'zero' });
          await this.retire(ctx, isvc, book, new Set(), false);
          ctx.recorder.event(isvc, 'Normal', 'ScaledToZero', `no request for ${idleMs / 1000} s: scaled to zero`);
        }
        this.activeSince.delete(key);
        return;
      }
      scaleCheck = idleMs - (now - lastUse) + 50;
    } else {
      this.activeSince.delete(key);
    }

    const routes: { revision: string; weight: number; target: Target; address: string }[] = [];
    for (const t of targets) {
      const entry = book.revisions[t.revision]!;
      const endpoint = await this.endpoint(ctx, isvc, t.revision, entry);
      if ('failed' in endpoint) {
        if (endpoint.failed) return failed(endpoint.reason, endpoint.failed);
        setCondition(conditions, 'PredictorReady', 'False', now, 'RevisionNotReady', `predictor revision ${t.revision} is not ready yet`);
        setCondition(conditions, 'Ready', 'False', now, 'RevisionNotReady', `predictor revision ${t.revision} is not ready yet`);
        status.modelStatus = { transitionStatus: 'InProgress', states: { activeModelState: 'Loading', targetModelState: 'Loaded' } };
        await write();
        return;
      }
      routes.push({ revision: t.revision, weight: t.percent, target: endpoint.target, address: endpoint.address });
    }
    // Always a split (of one when there is no canary), so every answer names its revision and is counted per revision.
    this.options.ingress.set(namespace, name, { kind: 'split', targets: routes.map(({ revision: r, weight, target }) => ({ revision: r, weight, target })) });

    const url = ServingIngress.urlOf(this.options.ingressUrl, namespace, name);
    const predictor: ComponentStatus = {
      ...(status.components?.['predictor'] ?? {}),
      latestCreatedRevision: revision,
      latestReadyRevision: revision,
      url,
      restUrl: url,
      address: { url: routes[0]!.address },
      traffic: targets.map((t) => ({ revisionName: t.revision, latestRevision: t.latest, percent: t.percent, ...(t.latest ? {} : { tag: 'prev' }) })),
    };
    if (!canary && rolled !== revision) {
      // Promoted (or no canary): the latest revision is rolled out, the one before it remembered.
      if (rolled) predictor.previousRolledoutRevision = rolled;
      predictor.latestRolledoutRevision = revision;
    }
    status.components = { ...(status.components ?? {}), predictor };
    status.url = url;
    status.address = { url };
    status.modelStatus = { transitionStatus: 'UpToDate', states: { activeModelState: 'Loaded', targetModelState: 'Loaded' }, copies: { failedCopies: 0, totalCopies: routes.length } };
    setCondition(conditions, 'PredictorReady', 'True', now);
    setCondition(conditions, 'IngressReady', 'True', now);
    setCondition(conditions, 'LatestDeploymentReady', 'True', now);
    setCondition(conditions, 'Ready', 'True', now);
    await write();
    await this.retire(ctx, isvc, book, new Set(targets.map((t) => t.revision)), true);
    if (scaleCheck !== undefined) return { requeueAfterMs: scaleCheck };
  }

  /** A revision's endpoint: loaded in-process, or its Pod behind its own Service; or why it is not there yet. */
  private async endpoint(ctx: ReconcileContext, isvc: InferenceService, revision: string, entry: RevisionEntry): Promise<{ target: Target; address: string } | { failed: string | undefined; reason: string }> {
    const namespace = isvc.metadata.namespace ?? '';
    const name = isvc.metadata.name ?? '';
    const ref = entry.cluster ? ClusterServingRuntimeRef : ServingRuntimeRef;
    let runtime: ServingRuntime;
    try {
      runtime = await ctx.client.get<ServingRuntime>(ref, entry.runtime, entry.cluster ? undefined : namespace);
    } catch (err) {
      if (!(err instanceof FloeError && err.reason === 'NotFound')) throw err;
      return { failed: `runtime ${entry.runtime} of revision ${revision} no longer exists`, reason: 'RuntimeNotRecognized' };
    }
    const path = localStorage(entry.model.storageUri ?? '');
    const loader = runtime.metadata.annotations?.[InProcessAnnotation];
    if (loader) {
      const key = `${namespace}/${name}/${revision}`;
      let model = this.loaded.get(key);
      if (!model) {
        const load = this.options.loaders[loader];
        if (!load) return { failed: `runtime ${entry.runtime} asks for in-process loader ${loader}, which this Floe does not have`, reason: 'RuntimeNotRecognized' };
        try {
          model = draining(await load(name, path));
        } catch (err) {
          return { failed: `cannot load ${path}: ${(err as Error).message}`, reason: 'ModelLoadFailed' };
        }
        this.loaded.set(key, model);
      }
      return { target: { kind: 'local', endpoint: model }, address: ServingIngress.urlOf(this.options.ingressUrl, namespace, name) };
    }
    const pod = await this.ensurePod(ctx, isvc, runtime, entry.model, path, revision);
    if (!pod.ready) return { failed: pod.failed, reason: 'ModelLoadFailed' };
    return { target: { kind: 'proxy', url: pod.url }, address: pod.url };
  }

  /** Unloads, or deletes the Pods and Services of, revisions that no longer take traffic, and forgets them. */
  private async retire(ctx: ReconcileContext, isvc: InferenceService, book: Book, keep: Set<string>, forget: boolean): Promise<void> {
    const namespace = isvc.metadata.namespace ?? '';
    const name = isvc.metadata.name ?? '';
    for (const key of [...this.loaded.keys()]) {
      const [ns, isvcName, revision] = key.split('/');
      if (ns !== namespace || isvcName !== name || keep.has(revision ?? '')) continue;
      await this.loaded.get(key)?.close();
      this.loaded.delete(key);
    }
    for (const ref of [PodRef, ServiceRef]) {
      const items = (await ctx.client.list(ref, { namespace, labelSelector: `${Labels.isvc}=${name}` })).items;
      for (const o of items) {
        const revision = o.metadata.labels?.[Labels.revision] ?? '';
        if (keep.has(revision) || !isControlledBy(o, isvc)) continue;
        await ctx.client.delete(ref, o.metadata.name ?? '', namespace).catch((err: unknown) => {
          if (!(err instanceof FloeError && err.reason === 'NotFound')) throw err;
        });
      }
    }
    const stale = Object.keys(book.revisions).filter((r) => !keep.has(r));
    if (forget && stale.length > 0) {
      for (const r of stale) delete book.revisions[r];
      const fresh = await ctx.client.get<InferenceService>(InferenceServiceRef, name, namespace);
      await ctx.client.update<InferenceService>({ ...fresh, metadata: { ...fresh.metadata, annotations: { ...(fresh.metadata.annotations ?? {}), [RevisionsAnnotation]: JSON.stringify(book) } } });
    }
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
    // One Service per revision (Knative's `<revision>-private`), so a canary and its predecessor each have their ports.
    const serviceName = revision;
    const labels = { [Labels.isvc]: name, [Labels.component]: 'predictor', [Labels.revision]: revision };
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
        metadata: { name: revision, namespace, labels, ownerReferences: [controllerReference(isvc)] },
        spec: {
          containers: [{ ...container, volumeMounts: [...(container.volumeMounts ?? []), { name: 'kserve-provision-location', mountPath: '/mnt/models', readOnly: true }] }],
          volumes: [...(runtime.spec.volumes ?? []), { name: 'kserve-provision-location', hostPath: { path: statSync(path).isDirectory() ? path : `${path}/..` } }],
        },
      });
    }
    // A Pod still shutting down (after a scale to zero) is not this revision's: wait for it to go, then start anew.
    if (pod.metadata.deletionTimestamp) return { ready: false, url: '' };
    const ready = pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
    const restarts = pod.status?.containerStatuses?.[0]?.restartCount ?? 0;
    const failed =
      pod.status?.phase === 'Failed' || (!ready && restarts >= 2)
        ? `predictor Pod ${revision} exited ${restarts + 1} times before it was ready (see \`floe logs ${revision}\`)`
        : undefined;
    return { ready, url: `http://127.0.0.1:${http}`, ...(failed ? { failed } : {}) };
  }

  /** Unloads every in-process revision of one InferenceService (`ns/name`). */
  private async unload(key: string): Promise<void> {
    for (const k of [...this.loaded.keys()]) {
      if (!k.startsWith(`${key}/`)) continue;
      await this.loaded.get(k)?.close();
      this.loaded.delete(k);
    }
  }

  async close(): Promise<void> {
    for (const model of this.loaded.values()) await model.close();
    this.loaded.clear();
  }

  /** The in-process servers now loaded for an InferenceService (one per revision taking traffic). */
  inProcess(namespace: string, name: string): InProcessModel[] {
    return [...this.loaded.entries()].filter(([k]) => k.startsWith(`${namespace}/${name}/`)).map(([, m]) => m);
  }
}

/** Closing waits for the requests already inside: a retired revision answers what it accepted. */
function draining(model: InProcessModel): InProcessModel {
  let inFlight = 0;
  let waiters: (() => void)[] = [];
  return {
    async handle(req, res, path) {
      inFlight += 1;
      try {
        return await model.handle(req, res, path);
      } finally {
        inFlight -= 1;
        if (inFlight === 0) for (const wake of waiters.splice(0)) wake();
      }
    },
    async close() {
      if (inFlight > 0) await new Promise<void>((resolve) => waiters.push(resolve));
      waiters = [];
      await model.close();
    },
    ...(model.addModel ? { addModel: model.addModel.bind(model) } : {}),
    ...(model.removeModel ? { removeModel: model.removeModel.bind(model) } : {}),
    ...(model.models ? { models: model.models.bind(model) } : {}),
  };
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
