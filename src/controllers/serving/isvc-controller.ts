// The InferenceService controller of embedded mode: picks the ServingRuntime (or takes the predictor's own
// containers), resolves storageUri to a local folder, and brings up the predictor — inside this process for in-process
// runtimes (ONNX), or as replica Pods of a revision, each behind its own Service, for Pod runtimes (MLServer, the kserve
// SDK) — and the transformer in front of it; routes `/serving/<ns>/<name>` to them, scales the replicas on the load the
// ingress measures (Knative's autoscaler rules) and reports KServe's status. In raw mode (the deploymentMode
// annotation, and always on a real cluster) the predictor is a Deployment + Service + HPA instead (raw-deployment.ts).
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, linkSync, mkdirSync, rmSync, statSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { FloeError } from '../../api/errors.js';
import { hostPorts } from '../../api/host-ports.js';
import { PodRef, ServiceRef, type ContainerSpec, type Pod, type Service, type Volume } from '../../api/core-v1.js';
import { controllerReference, isControlledBy, kubeTime, realClock, type Clock, type ReconcileContext, type ReconcileResult, type Reconciler, type Request } from '../../controller/index.js';
import { decide, freshScaleState, scaleSettings, type ScaleState } from './autoscaler.js';
import { fillPlaceholders, mergeRuntimeContainer } from './container-merge.js';
import { ServingIngress, type LocalEndpoint, type Target } from './dataplane.js';
import { payloadLog, type LoggerSpec } from './payload-logger.js';
import { isRawMode, rawDeployment } from './raw-deployment.js';
import { ModelStore, StorageDownloadError, gcsEndpointFromEmulatorHost, parseStorageUri, storageMessage } from './storage.js';
import { mlserverModelClasses, predictorModel, runtimeDefaults, selectRuntime, serverType, type Selection } from './runtimes.js';
import { ClusterServingRuntimeRef, DeploymentModeAnnotation, InferenceServiceRef, InProcessAnnotation, MaxRequestBytesAnnotation, ServingRuntimeRef, UnavailableAnnotation, type ComponentStatus, type Condition, type InferenceService, type ModelSpec, type PredictorSpec, type ServingRuntime } from './types.js';

export const Labels = {
  isvc: 'serving.kserve.io/inferenceservice',
  component: 'component',
  revision: 'serving.knative.dev/revision',
  /** Which replica of its revision a Pod (and its Service) is: 0, 1, … */
  replica: 'serving.floe.dev/replica',
} as const;

/** In `status.annotations` (Knative's duck-typed status field for extra state): ready and desired replicas per revision. */
export const ReplicasStatusAnnotation = 'serving.floe.dev/replicas';

export interface InProcessModel extends LocalEndpoint {
  close(): Promise<void>;
  /** Multi-model servers (TrainedModels): serve another model beside the first, and stop serving it. */
  addModel?(name: string, path: string): Promise<void>;
  removeModel?(name: string): Promise<void>;
  models?(): string[];
}

/** How an in-process runtime serves: the largest request body it reads (413 above it; its own default when absent). */
export interface InProcessSettings {
  maxBodyBytes?: number;
}

/** Loads a model of an in-process runtime from a local path (a file or a folder). */
export type InProcessLoader = (modelName: string, path: string, settings?: InProcessSettings) => Promise<InProcessModel>;

export interface IsvcControllerOptions {
  ingress: ServingIngress;
  /** Base URL the ingress answers on (Floe's URL). */
  ingressUrl: string;
  loaders: Record<string, InProcessLoader>;
  clock?: Clock;
  /** The most replicas a revision gets when `maxReplicas` is not set (unbounded in Knative): the CPU count unless given. */
  defaultMaxReplicas?: number;
  /**
   * Where a storageUri naming one file is laid out as KServe's storage initializer leaves it (`/mnt/models/<file>`): a
   * folder per revision holding a link to (or a copy of) the file. Without it, the file's own folder is mounted.
   */
  stagingDir?: string;
  /**
   * The content-addressed cache that remote storageUris (s3://, http(s)://) are downloaded into, once: by default
   * `model-cache` beside the staging folder.
   */
  cacheDir?: string;
  /**
   * The GCS JSON API endpoint for gs:// storageUris: Google's unless set. Floe's STORAGE_EMULATOR_HOST (`host:port`
   * meaning plain http, or a URL) sets it when this is not given, as it points the google-cloud-storage clients.
   */
  gcsEndpoint?: string;
  /**
   * On a real cluster (`floe controllers`) there is no Knative and no shared host network: every InferenceService runs
   * in raw mode, as KServe's with `defaultDeploymentMode: RawDeployment`, and is addressed by its Service's DNS name.
   */
  cluster?: boolean;
}

/** storageUri → a local path, for local URIs only (`file:///p`, or a plain absolute path); remote ones go through ModelStore. */
export function localStorage(uri: string): string {
  const source = parseStorageUri(uri, 'storageUri');
  if (source.scheme === 'local') return source.path;
  throw new FloeError('Invalid', `storageUri ${uri}: a ${source.scheme} URI is downloaded by the model store, not read in place`);
}

const revisionOf = (isvc: string, n: number, component: Component = 'predictor'): string => `${isvc}-${component}-${String(n).padStart(5, '0')}`;

type Component = 'predictor' | 'transformer';

/** Replica 0 keeps the revision's own name (Pod and Service); replica i is `<revision>-r<i>`. */
const replicaName = (revision: string, i: number): string => (i === 0 ? revision : `${revision}-r${i}`);

export const StopAnnotation = 'serving.kserve.io/stop';
/** Seconds without a request before an InferenceService with minReplicas 0 scales to zero (60 unless given). */
export const ScaleToZeroAfterAnnotation = 'serving.floe.dev/scale-to-zero-after';
/** Written by the ingress when a request arrives for an InferenceService scaled to zero. */
export const ActivatedAtAnnotation = 'serving.floe.dev/activated-at';

/** Where the controller keeps its revisions (number, config hash, model and runtime of each one still serving). */
export const RevisionsAnnotation = 'serving.floe.dev/revisions';

/** A revision: a model on a runtime, or (a custom predictor) the user's own container. */
interface RevisionEntry {
  hash: string;
  model?: ModelSpec;
  runtime?: string;
  cluster?: boolean;
  container?: ContainerSpec;
  volumes?: Volume[];
}

interface Book {
  latest: number;
  revisions: Record<string, RevisionEntry>;
  /** The transformer's latest revision number and the hash of its spec. */
  transformer?: { latest: number; hash: string };
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

/** A component minus what changes traffic or scale rather than the revision. */
function configHash(component: Record<string, unknown>): string {
  const config: Record<string, unknown> = { ...component };
  for (const k of ['canaryTrafficPercent', 'minReplicas', 'maxReplicas', 'scaleTarget', 'scaleMetric', 'containerConcurrency']) delete config[k];
  return createHash('sha256').update(JSON.stringify(config)).digest('hex').slice(0, 16);
}

/** A custom predictor (or a transformer): the component's own `kserve-container`, the first of its containers. */
function ownContainer(component: { containers?: ContainerSpec[] } | undefined): ContainerSpec | undefined {
  return component?.containers?.find((c) => c.name === 'kserve-container') ?? component?.containers?.[0];
}

/** How a Pod revision's replicas run: the container (not yet localized), volumes, and where the model is on the host. */
interface PodTemplate {
  component: Component;
  container: ContainerSpec;
  volumes: Volume[];
  /** Host folder mounted at /mnt/models, as KServe's storage initializer would leave the model. */
  models?: string;
}

interface Replica {
  index: number;
  pod: string;
  url: string;
}

/** What the replicas of one Pod revision are doing. */
interface ReplicaSet {
  ready: Replica[];
  /** Replicas past the desired count: out of the route first, then drained, then deleted. */
  surplus: Replica[];
  failed?: string;
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
  private readonly defaultMaxReplicas: number;
  /** When an InferenceService with minReplicas 0 was last brought up (or first seen), by `ns/name`. */
  private readonly activeSince = new Map<string, number>();
  /** When an InferenceService went to zero, by `ns/name`: it stays there until a request comes after that. */
  private readonly zeroSince = new Map<string, number>();
  /** In-process predictors by `ns/name/revision`. */
  private readonly loaded = new Map<string, InProcessModel>();
  /** The autoscaler's view of each Pod revision (`ns/revision`): the replicas it wants and its memory between ticks. */
  private readonly scaling = new Map<string, { desired: number; state: ScaleState; decidedAt: number }>();
  private readonly store: ModelStore;
  /** The model folders of revisions that host TrainedModels only, by `ns/name/revision`, and whether MLServer serves them. */
  private readonly multiModel = new Map<string, { folder: string; mlserver: boolean }>();

  constructor(options: IsvcControllerOptions) {
    this.options = options;
    const gcsEndpoint = options.gcsEndpoint ?? gcsEndpointFromEmulatorHost(process.env.STORAGE_EMULATOR_HOST);
    this.store = new ModelStore({ cacheDir: options.cacheDir ?? join(options.stagingDir ? dirname(options.stagingDir) : join(tmpdir(), `floe-serving-${process.pid}`), 'model-cache'), ...(gcsEndpoint ? { gcsEndpoint } : {}) });
    this.clock = options.clock ?? realClock();
    this.defaultMaxReplicas = options.defaultMaxReplicas ?? Math.max(1, cpus().length);
  }

  async reconcile(ctx: ReconcileContext, request: Request): Promise<ReconcileResult | void> {
    const key = `${request.namespace ?? ''}/${request.name}`;
    let isvc: InferenceService;
    try {
      isvc = await ctx.client.get<InferenceService>(InferenceServiceRef, request.name, request.namespace);
    } catch (err) {
      if (!(err instanceof FloeError && err.reason === 'NotFound')) throw err;
      await this.unload(key);
      this.unroute(request.namespace ?? '', request.name);
      this.forgetScaling(request.namespace ?? '', request.name, new Set());
      this.activeSince.delete(key);
      this.zeroSince.delete(key);
      if (this.options.stagingDir) rmSync(join(this.options.stagingDir, request.namespace ?? '', request.name), { recursive: true, force: true });
      for (const k of [...this.multiModel.keys()]) if (k.startsWith(`${key}/`)) this.multiModel.delete(k);
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
    /** `failureInfo`: KServe's fixed message for modelStatus.lastFailureInfo where it has one (the condition says more). */
    const failed = async (reason: string, message: string, condition: 'PredictorReady' | 'TransformerReady' = 'PredictorReady', failureInfo = message): Promise<void> => {
      setCondition(conditions, condition, 'False', now, reason, message);
      setCondition(conditions, 'Ready', 'False', now, reason, message);
      const last = status.modelStatus?.lastFailureInfo;
      const same = last?.reason === reason && last.message === failureInfo && last.modelRevisionName === revision;
      status.modelStatus = { transitionStatus: reason === 'ModelLoadFailed' || reason === 'RuntimeUnavailable' ? 'BlockedByFailedLoad' : 'InvalidSpec', states: { activeModelState: 'FailedToLoad', targetModelState: 'FailedToLoad' }, lastFailureInfo: { reason, message: failureInfo, modelRevisionName: revision, time: same ? (last.time ?? kubeTime(now)) : kubeTime(now) } };
      if (!same) ctx.recorder.event(isvc, 'Warning', reason, message);
      await write();
    };
    // Knative mode (revisions, traffic split, scale to zero) unless the annotation asks for KServe's raw mode
    // (`RawDeployment`, or `Standard` as newer KServe calls it): a Deployment, a Service and an HPA.
    const mode = isvc.metadata.annotations?.[DeploymentModeAnnotation];
    const raw = isRawMode(mode) || this.options.cluster === true;
    status.deploymentMode = raw ? (isRawMode(mode) ? (mode ?? 'RawDeployment') : 'RawDeployment') : 'Knative';

    // `serving.kserve.io/stop: "true"` takes every revision down and keeps the object.
    if (isvc.metadata.annotations?.[StopAnnotation] === 'true') {
      this.unroute(namespace, name);
      await this.retire(ctx, isvc, readBook(isvc), new Set(), true);
      if (raw || isRawMode(isvc.status?.deploymentMode)) await rawDeployment.remove(ctx, isvc);
      setCondition(conditions, 'Stopped', 'True', now, 'Stopped', 'The InferenceService is stopped');
      setCondition(conditions, 'PredictorReady', 'False', now, 'Stopped', 'The InferenceService is stopped');
      setCondition(conditions, 'Ready', 'False', now, 'Stopped', 'The InferenceService is stopped');
      await write();
      return;
    }
    if (conditions.some((c) => c.type === 'Stopped')) setCondition(conditions, 'Stopped', 'False', now);

    // The predictor is a model on a (Cluster)ServingRuntime, or the user's own container (a custom predictor).
    const predictorSpec: PredictorSpec = isvc.spec.predictor ?? {};
    const model = predictorModel(predictorSpec);
    const custom = model ? undefined : ownContainer(predictorSpec);
    let wanted: RevisionEntry;
    if (model) {
      const selection = await this.select(ctx, model, namespace);
      if (!selection.ok) {
        // A runtime may be created later: look again.
        await failed(selection.reason, selection.detail, 'PredictorReady', selection.message);
        return { requeueAfterMs: 10_000 };
      }
      const runtime = selection.choice.runtime;
      if (selection.choice.cluster) {
        status.clusterServingRuntimeName = runtime.metadata.name ?? '';
        delete status.servingRuntimeName;
      } else {
        status.servingRuntimeName = runtime.metadata.name ?? '';
        delete status.clusterServingRuntimeName;
      }
      const unavailable = runtime.metadata.annotations?.[UnavailableAnnotation];
      if (unavailable) {
        const kind = selection.choice.cluster ? 'ClusterServingRuntime' : 'ServingRuntime';
        await failed('RuntimeUnavailable', `the ${kind} ${runtime.metadata.name ?? ''} serves model format ${model.modelFormat?.name ?? ''}, but it cannot run on this machine: ${unavailable}`);
        return { requeueAfterMs: 30_000 };
      }
      // The model is read (downloaded into the cache, for remote URIs) before any revision is made of it. Without a
      // storageUri the predictor hosts TrainedModels only (KServe's multi-model shape): its server starts empty.
      const storageFailure = model.storageUri === undefined ? undefined : await this.storageFailure(ctx, isvc, model.storageUri, modelField(predictorSpec));
      if (storageFailure) {
        await failed(storageFailure.reason, storageFailure.message);
        return storageFailure.retry ? { requeueAfterMs: 30_000 } : undefined;
      }
      wanted = { hash: configHash(predictorSpec), model, runtime: runtime.metadata.name ?? '', cluster: selection.choice.cluster };
    } else if (custom) {
      // On a cluster an image runs its own entrypoint; here a command says what to run in the image's environment.
      if (!this.options.cluster && !custom.command?.length) return failed('InvalidPredictorSpec', noCommand('spec.predictor.containers', custom));
      const storage = custom.env?.find((e) => e.name === 'STORAGE_URI')?.value;
      if (storage !== undefined) {
        const storageFailure = await this.storageFailure(ctx, isvc, storage, 'spec.predictor.containers[].env[STORAGE_URI]');
        if (storageFailure) {
          await failed(storageFailure.reason, storageFailure.message);
          return storageFailure.retry ? { requeueAfterMs: 30_000 } : undefined;
        }
      }
      delete status.clusterServingRuntimeName;
      delete status.servingRuntimeName;
      wanted = { hash: configHash(predictorSpec), container: custom, ...(predictorSpec.volumes ? { volumes: predictorSpec.volumes } : {}) };
    } else {
      return failed('InvalidPredictorSpec', 'the predictor names neither a model (spec.predictor.model, or a framework field such as sklearn) nor containers');
    }

    // A change of the predictor (other than its traffic and scale settings) is a new revision, numbered like Knative's.
    const book = readBook(isvc);
    if (book.revisions[revisionOf(name, book.latest)]?.hash !== wanted.hash) {
      book.latest += 1;
      book.revisions[revisionOf(name, book.latest)] = wanted;
      await this.saveBook(ctx, isvc, book);
      if (!raw) ctx.recorder.event(isvc, 'Normal', 'RevisionCreated', `predictor revision ${revisionOf(name, book.latest)} created`);
      if (mode === 'ModelMesh' || (this.options.cluster && mode !== undefined && !isRawMode(mode))) {
        ctx.recorder.event(isvc, 'Warning', 'DeploymentModeNotSupported', this.options.cluster ? `${DeploymentModeAnnotation}: ${mode ?? ''} is not available on a cluster without Knative: the predictor runs in raw mode (status.deploymentMode RawDeployment)` : `${DeploymentModeAnnotation}: ModelMesh is not implemented by Floe's serving: the predictor runs as Knative-mode revisions (status.deploymentMode Knative)`);
      }
      return; // the update brings this object back with the revision recorded
    }
    revision = revisionOf(name, book.latest);

    // Payload logging (KServe's agent, done by the ingress): the predictor's logger on the route that reaches it.
    const predictorLog = payloadLog(predictorSpec['logger'] as LoggerSpec | undefined, 'spec.predictor.logger', { inferenceService: name, namespace, component: 'predictor' });
    if (predictorLog && 'invalid' in predictorLog) return failed('InvalidPredictorSpec', predictorLog.invalid);
    const transformerLog = payloadLog(isvc.spec.transformer?.['logger'] as LoggerSpec | undefined, 'spec.transformer.logger', { inferenceService: name, namespace, component: 'transformer' });
    if (transformerLog && 'invalid' in transformerLog) return failed('InvalidPredictorSpec', transformerLog.invalid, 'TransformerReady');

    if (raw) {
      // Raw mode: no revisions of Floe's own (those of an earlier Knative mode go); the Deployment controller runs the Pods.
      if (!isRawMode(isvc.status?.deploymentMode)) {
        await this.retire(ctx, isvc, book, new Set(), false);
        this.forgetScaling(namespace, name, new Set());
      }
      if (isvc.spec.transformer) return failed('InvalidPredictorSpec', `spec.transformer in ${DeploymentModeAnnotation}: ${mode ?? ''} is not implemented by Floe yet: use Knative mode for a transformer`, 'TransformerReady');
      const entry = book.revisions[revision]!;
      const built = await this.template(ctx, isvc, revision, entry);
      if ('failed' in built) return failed(built.reason, built.failed);
      // Embedded: the ingress's URL. On a cluster, the predictor Service's DNS name, as KServe's raw mode without an ingress.
      const url = this.options.cluster ? `http://${name}-predictor.${namespace}.svc.cluster.local` : ServingIngress.urlOf(this.options.ingressUrl, namespace, name);
      let target: Target;
      let address = url;
      let ready: { ready: boolean; message?: string; failed?: string; replicas?: number };
      if ('local' in built) {
        // An in-process runtime is no process to put in a Deployment: it serves from this one, as in Knative mode.
        target = { kind: 'local', endpoint: built.local };
        ready = { ready: true, replicas: 1 };
      } else {
        const container = prepare(built.template, name, `${name}-predictor`);
        const outcome = await rawDeployment(ctx, isvc, { container, volumes: built.template.volumes, ports: declaredPorts(container), ...(built.template.models ? { models: built.template.models } : {}), localize: (c, mapping) => localize(c, name, mapping), podFailure: (pod) => podFailure(pod, pod.metadata.name ?? '', 'predictor') });
        target = { kind: 'proxy', replicas: outcome.endpoint ? [{ pod: `${name}-predictor`, url: outcome.endpoint }] : [] };
        address = outcome.endpoint ?? url;
        ready = outcome;
      }
      if (!ready.ready) {
        this.unroute(namespace, name);
        if (ready.failed) return failed('ModelLoadFailed', ready.failed);
        setCondition(conditions, 'PredictorReady', 'False', now, 'DeploymentNotReady', ready.message ?? `Deployment ${name}-predictor is not ready yet`);
        setCondition(conditions, 'Ready', 'False', now, 'DeploymentNotReady', ready.message ?? `Deployment ${name}-predictor is not ready yet`);
        status.modelStatus = { transitionStatus: 'InProgress', states: { activeModelState: 'Loading', targetModelState: 'Loaded' } };
        await write();
        return { requeueAfterMs: 2000 };
      }
      this.options.ingress.set(namespace, name, { kind: 'split', targets: [{ revision: `${name}-predictor`, weight: 100, target }] });
      this.options.ingress.setLogger(namespace, name, predictorLog);
      this.options.ingress.delete(namespace, `${name}-predictor`);
      const components: Record<string, ComponentStatus> = { predictor: { url, restUrl: url, address: { url: address } } };
      status.components = components;
      status.url = url;
      status.address = { url };
      delete status.annotations;
      status.modelStatus = { transitionStatus: 'UpToDate', states: { activeModelState: 'Loaded', targetModelState: 'Loaded' }, copies: { failedCopies: 0, totalCopies: ready.replicas ?? 1 } };
      for (const c of ['TransformerReady', 'LatestDeploymentReady']) {
        const index = conditions.findIndex((x) => x.type === c);
        if (index >= 0) conditions.splice(index, 1);
      }
      setCondition(conditions, 'PredictorReady', 'True', now);
      setCondition(conditions, 'IngressReady', 'True', now);
      setCondition(conditions, 'Ready', 'True', now);
      await write();
      return;
    }
    if (isRawMode(isvc.status?.deploymentMode)) await rawDeployment.remove(ctx, isvc);
    const transformerSpec = isvc.spec.transformer as (PredictorSpec & { containers?: ContainerSpec[] }) | undefined;
    if (transformerSpec) {
      const hash = configHash(transformerSpec);
      if (book.transformer?.hash !== hash) {
        book.transformer = { latest: (book.transformer?.latest ?? 0) + 1, hash };
        await this.saveBook(ctx, isvc, book);
        ctx.recorder.event(isvc, 'Normal', 'RevisionCreated', `transformer revision ${revisionOf(name, book.transformer.latest, 'transformer')} created`);
        return;
      }
    }

    // Traffic as KServe's canary rollout sets it: P% to the latest revision, the rest to the last rolled-out one.
    const percent = predictorSpec.canaryTrafficPercent;
    const rolled = status.components?.['predictor']?.latestRolledoutRevision;
    const canary = percent !== undefined && percent < 100 && rolled !== undefined && rolled !== revision && book.revisions[rolled] !== undefined;
    const targets = canary ? [{ revision, percent, latest: true }, { revision: rolled, percent: 100 - percent, latest: false }] : [{ revision, percent: 100, latest: true }];

    // minReplicas 0: after scale-to-zero-after seconds without a request, every revision goes; the ingress holds the
    // next request and asks for one back (annotation activated-at), as Knative's activator does.
    let requeue: number | undefined;
    if ((predictorSpec.minReplicas ?? 1) === 0) {
      const idleMs = Number(isvc.metadata.annotations?.[ScaleToZeroAfterAnnotation] ?? 60) * 1000;
      const wake = Math.max(this.options.ingress.lastRequest(namespace, name) ?? 0, Date.parse(isvc.metadata.annotations?.[ActivatedAtAnnotation] ?? '') || 0);
      const zeroAt = this.zeroSince.get(key);
      if (zeroAt !== undefined && this.options.ingress.get(namespace, name)?.kind === 'zero') {
        // At zero, only a request brings it back (the reconciles that the Pods' deletion causes do not).
        if (wake <= zeroAt) return;
        this.activeSince.set(key, now);
      }
      this.zeroSince.delete(key);
      if (!this.activeSince.has(key)) this.activeSince.set(key, now);
      const lastUse = Math.max(this.activeSince.get(key)!, wake);
      // A request still inside (a slow transformer's call, a held request just let through) keeps it up, as Knative
      // counts requests in flight: going to zero under it would take the predictor's route away mid-call.
      const revisions = [...Object.keys(book.revisions), ...(book.transformer ? [revisionOf(name, book.transformer.latest, 'transformer')] : [])];
      const busy = revisions.some((r) => this.options.ingress.load(namespace, r, 500).concurrency > 0);
      if (now - lastUse >= idleMs && !busy) {
        if (this.options.ingress.get(namespace, name)?.kind !== 'zero') {
          // The InferenceService's route holds requests (its A/B statistics stay); the transformer's way to the predictor goes.
          this.options.ingress.delete(namespace, `${name}-predictor`);
          this.options.ingress.set(namespace, name, { kind: 'zero' });
          await this.retire(ctx, isvc, book, new Set(), false);
          this.forgetScaling(namespace, name, new Set());
          ctx.recorder.event(isvc, 'Normal', 'ScaledToZero', `no request for ${idleMs / 1000} s: scaled to zero`);
        }
        this.zeroSince.set(key, now);
        this.activeSince.delete(key);
        return;
      }
      requeue = Math.max(250, idleMs - (now - lastUse) + 50);
    } else {
      this.activeSince.delete(key);
      this.zeroSince.delete(key);
    }
    const soonest = (ms: number | undefined): void => {
      if (ms !== undefined) requeue = requeue === undefined ? ms : Math.min(requeue, ms);
    };

    const notReady = async (which: string, condition: 'PredictorReady' | 'TransformerReady'): Promise<void> => {
      setCondition(conditions, condition, 'False', now, 'RevisionNotReady', `${which} is not ready yet`);
      setCondition(conditions, 'Ready', 'False', now, 'RevisionNotReady', `${which} is not ready yet`);
      status.modelStatus = { transitionStatus: 'InProgress', states: { activeModelState: 'Loading', targetModelState: 'Loaded' } };
      await write();
    };

    const routes: { revision: string; weight: number; target: Target; address: string }[] = [];
    const replicas: Record<string, { desired: number; ready: number }> = {};
    const surplus: Replica[] = [];
    for (const t of targets) {
      const entry = book.revisions[t.revision]!;
      const endpoint = await this.endpoint(ctx, isvc, t.revision, entry);
      if ('failed' in endpoint) {
        if (endpoint.failed) return failed(endpoint.reason, endpoint.failed);
        await notReady(`predictor revision ${t.revision}`, 'PredictorReady');
        return { requeueAfterMs: 1000 };
      }
      routes.push({ revision: t.revision, weight: t.percent, target: endpoint.target, address: endpoint.address });
      if (endpoint.scale) {
        replicas[t.revision] = { desired: endpoint.scale.desired, ready: endpoint.scale.set.ready.length };
        surplus.push(...endpoint.scale.set.surplus);
        soonest(endpoint.scale.tickMs);
      }
    }
    // Always a split (of one when there is no canary), so every answer names its revision and is counted per revision.
    const predictorRoute = { kind: 'split', targets: routes.map(({ revision: r, weight, target }) => ({ revision: r, weight, target })) } as const;
    const url = ServingIngress.urlOf(this.options.ingressUrl, namespace, name);
    const predictorUrl = transformerSpec ? ServingIngress.urlOf(this.options.ingressUrl, namespace, `${name}-predictor`) : url;

    // The transformer: Pods in front of the predictor, which they call through the ingress (`--predictor_host`).
    let transformer: ComponentStatus | undefined;
    const keep = new Set(targets.map((t) => t.revision));
    if (transformerSpec) {
      const tRevision = revisionOf(name, book.transformer!.latest, 'transformer');
      const container = ownContainer(transformerSpec);
      if (!container) return failed('InvalidPredictorSpec', 'spec.transformer has no containers', 'TransformerReady');
      if (!container.command?.length) return failed('InvalidPredictorSpec', noCommand('spec.transformer.containers', container), 'TransformerReady');
      // The transformer's calls reach the predictor through the ingress, so they are balanced and counted like any other.
      this.options.ingress.set(namespace, `${name}-predictor`, predictorRoute);
      const template: PodTemplate = { component: 'transformer', container: transformerContainer(container, name, predictorUrl.replace(/^[a-z]+:\/\//, '')), volumes: transformerSpec.volumes ?? [] };
      const scale = await this.podRevision(ctx, isvc, tRevision, template, transformerSpec);
      if (scale.set.ready.length === 0) {
        if (scale.set.failed) return failed('ModelLoadFailed', scale.set.failed, 'TransformerReady');
        await notReady(`transformer revision ${tRevision}`, 'TransformerReady');
        return { requeueAfterMs: 1000 };
      }
      replicas[tRevision] = { desired: scale.desired, ready: scale.set.ready.length };
      surplus.push(...scale.set.surplus);
      soonest(scale.tickMs);
      keep.add(tRevision);
      this.options.ingress.set(namespace, name, { kind: 'split', targets: [{ revision: tRevision, weight: 100, target: { kind: 'proxy', replicas: scale.set.ready } }] });
      this.options.ingress.setLogger(namespace, name, transformerLog);
      this.options.ingress.setLogger(namespace, `${name}-predictor`, predictorLog);
      transformer = {
        ...(status.components?.['transformer'] ?? {}),
        latestCreatedRevision: tRevision,
        latestReadyRevision: tRevision,
        latestRolledoutRevision: tRevision,
        url,
        restUrl: url,
        address: { url: scale.set.ready[0]!.url },
        traffic: [{ revisionName: tRevision, latestRevision: true, percent: 100 }],
      };
      setCondition(conditions, 'TransformerReady', 'True', now);
    } else {
      this.options.ingress.set(namespace, name, predictorRoute);
      this.options.ingress.setLogger(namespace, name, predictorLog);
      this.options.ingress.delete(namespace, `${name}-predictor`);
      const index = conditions.findIndex((c) => c.type === 'TransformerReady');
      if (index >= 0) conditions.splice(index, 1);
    }

    const predictor: ComponentStatus = {
      ...(status.components?.['predictor'] ?? {}),
      latestCreatedRevision: revision,
      latestReadyRevision: revision,
      url: predictorUrl,
      restUrl: predictorUrl,
      address: { url: routes[0]!.address },
      traffic: targets.map((t) => ({ revisionName: t.revision, latestRevision: t.latest, percent: t.percent, ...(t.latest ? {} : { tag: 'prev' }) })),
    };
    if (!canary && rolled !== revision) {
      // Promoted (or no canary): the latest revision is rolled out, the one before it remembered.
      if (rolled) predictor.previousRolledoutRevision = rolled;
      predictor.latestRolledoutRevision = revision;
    }
    const components: Record<string, ComponentStatus> = { ...(status.components ?? {}), predictor };
    if (transformer) components['transformer'] = transformer;
    else delete components['transformer'];
    status.components = components;
    status.url = url;
    status.address = { url };
    // Replicas have no field in KServe's status: they go in status.annotations (Knative's place for extra state).
    const annotations = { ...(status.annotations ?? {}) };
    if (Object.keys(replicas).length > 0) annotations[ReplicasStatusAnnotation] = JSON.stringify(replicas);
    else delete annotations[ReplicasStatusAnnotation];
    if (Object.keys(annotations).length > 0) status.annotations = annotations;
    else delete status.annotations;
    const copies = routes.reduce((n, r) => n + (replicas[r.revision]?.ready ?? 1), 0);
    status.modelStatus = { transitionStatus: 'UpToDate', states: { activeModelState: 'Loaded', targetModelState: 'Loaded' }, copies: { failedCopies: 0, totalCopies: copies } };
    setCondition(conditions, 'PredictorReady', 'True', now);
    setCondition(conditions, 'IngressReady', 'True', now);
    setCondition(conditions, 'LatestDeploymentReady', 'True', now);
    setCondition(conditions, 'Ready', 'True', now);
    await write();
    // Scale-down: the surplus replicas are out of the route now; each goes once its requests in flight have finished.
    for (const r of surplus) {
      await this.options.ingress.drain(r.url, 30_000);
      for (const ref of [PodRef, ServiceRef]) await ctx.client.delete(ref, r.pod, namespace).catch(ignoreNotFound);
    }
    await this.retire(ctx, isvc, book, keep, true);
    this.forgetScaling(namespace, name, keep);
    if (requeue !== undefined) return { requeueAfterMs: requeue };
  }

  /** A revision's endpoint: loaded in-process, or its replica Pods (each behind its own Service); or why it is not there yet. */
  private async endpoint(ctx: ReconcileContext, isvc: InferenceService, revision: string, entry: RevisionEntry): Promise<{ target: Target; address: string; scale?: Scaled } | { failed: string | undefined; reason: string }> {
    const built = await this.template(ctx, isvc, revision, entry);
    if ('failed' in built) return built;
    if ('local' in built) return { target: { kind: 'local', endpoint: built.local }, address: ServingIngress.urlOf(this.options.ingressUrl, isvc.metadata.namespace ?? '', isvc.metadata.name ?? '') };
    const scale = await this.podRevision(ctx, isvc, revision, built.template, isvc.spec.predictor ?? {});
    if (scale.set.ready.length === 0) return { failed: scale.set.failed, reason: 'ModelLoadFailed' };
    return { target: { kind: 'proxy', replicas: scale.set.ready }, address: scale.set.ready[0]!.url, scale };
  }

  /** How a revision runs: its in-process server (loaded here), or the Pod template of its replicas; or why neither. */
  private async template(ctx: ReconcileContext, isvc: InferenceService, revision: string, entry: RevisionEntry): Promise<{ local: InProcessModel } | { template: PodTemplate } | { failed: string; reason: string }> {
    const namespace = isvc.metadata.namespace ?? '';
    const name = isvc.metadata.name ?? '';
    let template: PodTemplate;
    if (entry.container) {
      const storage = entry.container.env?.find((e) => e.name === 'STORAGE_URI')?.value;
      let models: string | undefined;
      if (storage !== undefined) {
        try {
          models = this.modelFolder(await this.resolveStorage(ctx, isvc, storage, 'spec.predictor.containers[].env[STORAGE_URI]'), namespace, name, revision);
        } catch (err) {
          return { failed: storageMessage(err, 'spec.predictor.containers[].env[STORAGE_URI]', storage), reason: err instanceof FloeError ? 'InvalidPredictorSpec' : 'ModelLoadFailed' };
        }
      }
      template = { component: 'predictor', container: { ...entry.container, name: 'kserve-container' }, volumes: entry.volumes ?? [], ...(models ? { models } : {}) };
    } else {
      const ref = entry.cluster ? ClusterServingRuntimeRef : ServingRuntimeRef;
      let runtime: ServingRuntime;
      try {
        runtime = await ctx.client.get<ServingRuntime>(ref, entry.runtime ?? '', entry.cluster ? undefined : namespace);
      } catch (err) {
        if (!(err instanceof FloeError && err.reason === 'NotFound')) throw err;
        return { failed: `runtime ${entry.runtime ?? ''} of revision ${revision} no longer exists`, reason: 'RuntimeNotRecognized' };
      }
      const model = entry.model ?? {};
      const loader = runtime.metadata.annotations?.[InProcessAnnotation];
      if (model.storageUri === undefined) {
        // TrainedModels only: an empty model folder of this revision, into which the TrainedModel controller lays
        // each model before asking the server to load it (the v2 repository API).
        if (loader) return { failed: `${modelField(isvc.spec.predictor ?? {})} is not set: an InferenceService that hosts only TrainedModels needs a Pod runtime with a model repository API (e.g. MLServer with multiModel: true), not the in-process ${runtime.metadata.name ?? ''}`, reason: 'InvalidPredictorSpec' };
        const containers = runtime.spec.containers ?? [];
        const container = structuredClone(containers.find((c) => c.name === 'kserve-container') ?? containers[0]);
        if (!container) return { failed: `runtime ${runtime.metadata.name ?? ''} has no container`, reason: 'InvalidPredictorSpec' };
        const folder = join(this.options.stagingDir ?? join(this.store.cacheDir, '..', 'staging'), namespace, name, `${revision}-models`);
        mkdirSync(folder, { recursive: true, mode: 0o700 });
        this.multiModel.set(`${namespace}/${name}/${revision}`, { folder, mlserver: serverType(runtime) === 'mlserver' || (container.image ?? '').includes('mlserver') });
        // A runtime's probe of its one model (`/v2/models/{{.Name}}/ready`) never passes on a server without one: the
        // server's own liveness (the v2 health API) says it is up instead.
        const serving = predictorContainer(container, model, runtime, isvc) as ContainerSpec & { readinessProbe?: { httpGet?: { path?: string; port: number | string } } };
        const probe = serving.readinessProbe?.httpGet;
        if (probe?.path?.includes('/models/')) serving.readinessProbe = { ...serving.readinessProbe, httpGet: { ...probe, path: '/v2/health/live' } };
        return { template: { component: 'predictor', container: serving, volumes: runtime.spec.volumes ?? [], models: folder } };
      }
      let path: string;
      try {
        path = await this.resolveStorage(ctx, isvc, model.storageUri ?? '', modelField(isvc.spec.predictor ?? {}));
      } catch (err) {
        return { failed: storageMessage(err, modelField(isvc.spec.predictor ?? {}), model.storageUri ?? ''), reason: err instanceof FloeError ? 'InvalidPredictorSpec' : 'ModelLoadFailed' };
      }
      if (loader) {
        // In-process: one model server per revision, whatever the replica settings (it is not a process to multiply).
        const key = `${namespace}/${name}/${revision}`;
        let loadedModel = this.loaded.get(key);
        if (!loadedModel) {
          const load = this.options.loaders[loader];
          if (!load) return { failed: `runtime ${entry.runtime ?? ''} asks for in-process loader ${loader}, which this Floe does not have`, reason: 'RuntimeNotRecognized' };
          const limit = isvc.metadata.annotations?.[MaxRequestBytesAnnotation] ?? runtime.metadata.annotations?.[MaxRequestBytesAnnotation];
          const maxBodyBytes = limit === undefined ? undefined : Number(limit);
          if (maxBodyBytes !== undefined && !(Number.isInteger(maxBodyBytes) && maxBodyBytes > 0)) {
            return { failed: `annotation ${MaxRequestBytesAnnotation} must be a positive whole number of bytes, not ${JSON.stringify(limit)}`, reason: 'InvalidPredictorSpec' };
          }
          try {
            loadedModel = draining(await load(name, path, maxBodyBytes === undefined ? {} : { maxBodyBytes }));
          } catch (err) {
            return { failed: `cannot load ${path}: ${(err as Error).message}`, reason: 'ModelLoadFailed' };
          }
          this.loaded.set(key, loadedModel);
        }
        return { local: loadedModel };
      }
      const containers = runtime.spec.containers ?? [];
      const container = structuredClone(containers.find((c) => c.name === 'kserve-container') ?? containers[0]);
      if (!container) return { failed: `runtime ${runtime.metadata.name ?? ''} has no container`, reason: 'InvalidPredictorSpec' };
      template = { component: 'predictor', container: predictorContainer(container, model, runtime, isvc), volumes: runtime.spec.volumes ?? [], models: this.modelFolder(path, namespace, name, revision) };
    }
    return { template };
  }

  /** How many replicas a Pod revision should have (Knative's autoscaler on the ingress's measurements), and those replicas. */
  private async podRevision(ctx: ReconcileContext, isvc: InferenceService, revision: string, template: PodTemplate, spec: PredictorSpec): Promise<Scaled> {
    const namespace = isvc.metadata.namespace ?? '';
    const now = this.clock.now();
    const pods = (await ctx.client.list<Pod>(PodRef, { namespace, labelSelector: `${Labels.revision}=${revision}` })).items.filter((p) => isControlledBy(p, isvc));
    const live = pods.filter((p) => !p.metadata.deletionTimestamp);
    const ready = live.filter(podReady).length;
    const settings = scaleSettings(isvc, spec, this.defaultMaxReplicas);
    const clamp = (n: number): number => Math.min(settings.max, Math.max(settings.min, n));
    const key = `${namespace}/${revision}`;
    let scale = this.scaling.get(key) ?? { desired: clamp(live.length), state: freshScaleState(), decidedAt: now };
    scale = { ...scale, desired: clamp(scale.desired) };
    const tickMs = Math.min(2000, Math.max(250, settings.stableWindowMs / 10));
    if (ready > 0 && now - scale.decidedAt >= tickMs) {
      const stable = this.options.ingress.load(namespace, revision, settings.stableWindowMs)[settings.metric];
      const panic = this.options.ingress.load(namespace, revision, settings.panicWindowMs)[settings.metric];
      const decision = decide(settings, { stable, panic, ready }, scale.state, now);
      if (decision.desired !== scale.desired) {
        ctx.recorder.event(isvc, 'Normal', 'SuccessfulRescale', `${revision}: new size ${decision.desired} (was ${scale.desired}); ${settings.metric} ${stable.toFixed(2)} over the stable window, ${panic.toFixed(2)} over the panic window${decision.panic ? ' (panic mode)' : ''}, target ${settings.target} per replica at ${Math.round(settings.utilization * 100)}%`);
      }
      scale = { desired: decision.desired, state: decision.state, decidedAt: now };
    }
    this.scaling.set(key, scale);
    const set = await this.ensureReplicas(ctx, isvc, revision, template, scale.desired, pods);
    // Tick only while there is a choice to make (as Knative's autoscaler ticks every 2 s).
    return { set, desired: scale.desired, ...(settings.max > settings.min ? { tickMs } : {}) };
  }

  /** Replicas 0 … desired-1 of a Pod revision, each a Service (its loopback ports) and a Pod; the rest are surplus. */
  private async ensureReplicas(ctx: ReconcileContext, isvc: InferenceService, revision: string, template: PodTemplate, desired: number, pods: Pod[]): Promise<ReplicaSet> {
    const namespace = isvc.metadata.namespace ?? '';
    const name = isvc.metadata.name ?? '';
    const container = prepare(template, name, revision);
    const ports = declaredPorts(container);
    const services = new Map((await ctx.client.list<Service>(ServiceRef, { namespace, labelSelector: `${Labels.revision}=${revision}` })).items.map((s) => [s.metadata.name ?? '', s]));
    const indexOf = (o: { metadata: { name?: string; labels?: Record<string, string> } }): number => Number(o.metadata.labels?.[Labels.replica] ?? (o.metadata.name === revision ? 0 : NaN));
    const out: ReplicaSet = { ready: [], surplus: [] };
    for (let i = 0; i < desired; i++) {
      const replica = replicaName(revision, i);
      const labels = { [Labels.isvc]: name, [Labels.component]: template.component, [Labels.revision]: revision, [Labels.replica]: String(i) };
      let service = services.get(replica);
      if (!service) {
        service = await ctx.client.create<Service>({
          apiVersion: 'v1',
          kind: 'Service',
          metadata: { name: replica, namespace, labels, ownerReferences: [controllerReference(isvc)] },
          spec: { selector: labels, ports: ports.map((p, k) => ({ name: k === 0 ? 'http' : `port-${p}`, port: k === 0 ? 80 : p, targetPort: p })) },
        });
      }
      // Processes share the host's network: each container port becomes the replica's Service's loopback port.
      const assigned = hostPorts(service);
      const mapping = new Map(ports.map((p, k) => [p, assigned[k === 0 ? 'http' : `port-${p}`] ?? p]));
      const url = `http://127.0.0.1:${mapping.get(ports[0]!) ?? ports[0]!}`;
      let pod = pods.find((p) => p.metadata.name === replica);
      if (!pod) {
        const local = localize(container, name, mapping);
        pod = await ctx.client.create<Pod>({
          apiVersion: 'v1',
          kind: 'Pod',
          metadata: { name: replica, namespace, labels, ownerReferences: [controllerReference(isvc)] },
          spec: {
            containers: [template.models ? { ...local, volumeMounts: [...(local.volumeMounts ?? []), { name: 'kserve-provision-location', mountPath: '/mnt/models', readOnly: true }] } : local],
            volumes: [...template.volumes, ...(template.models ? [{ name: 'kserve-provision-location', hostPath: { path: template.models } }] : [])],
          },
        });
      }
      // A Pod still shutting down (after a scale to zero) is not this revision's: wait for it to go, then start anew.
      if (pod.metadata.deletionTimestamp) continue;
      if (podReady(pod)) out.ready.push({ index: i, pod: replica, url });
      else {
        const failure = podFailure(pod, replica, template.component);
        if (failure && !out.failed) out.failed = failure;
      }
    }
    for (const pod of pods) {
      const index = indexOf(pod);
      if (!(index >= desired) || pod.metadata.deletionTimestamp) continue;
      const replica = pod.metadata.name ?? '';
      const service = services.get(replica);
      const port = service ? hostPorts(service)['http'] : undefined;
      if (podReady(pod) && port !== undefined) out.surplus.push({ index, pod: replica, url: `http://127.0.0.1:${port}` });
      else for (const ref of [PodRef, ServiceRef]) await ctx.client.delete(ref, replica, namespace).catch(ignoreNotFound);
    }
    return out;
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
    // A retired revision's Pods are out of the route already: each goes once the requests it took have finished.
    const services = (await ctx.client.list<Service>(ServiceRef, { namespace, labelSelector: `${Labels.isvc}=${name}` })).items;
    const urls = new Map(services.map((svc) => [svc.metadata.name ?? '', hostPorts(svc)['http']]));
    for (const ref of [PodRef, ServiceRef]) {
      const items = ref === ServiceRef ? services : (await ctx.client.list(ref, { namespace, labelSelector: `${Labels.isvc}=${name}` })).items;
      for (const o of items) {
        const revision = o.metadata.labels?.[Labels.revision];
        // Only Knative-mode replicas carry a revision (raw mode's Service is the raw reconciler's).
        if (revision === undefined || keep.has(revision) || !isControlledBy(o, isvc)) continue;
        const port = ref === PodRef ? urls.get(o.metadata.name ?? '') : undefined;
        if (port !== undefined) await this.options.ingress.drain(`http://127.0.0.1:${port}`, 30_000);
        await ctx.client.delete(ref, o.metadata.name ?? '', namespace).catch(ignoreNotFound);
      }
    }
    const stale = Object.keys(book.revisions).filter((r) => !keep.has(r));
    if (forget && stale.length > 0) {
      for (const r of stale) delete book.revisions[r];
      await this.saveBook(ctx, isvc, book);
    }
  }

  private async saveBook(ctx: ReconcileContext, isvc: InferenceService, book: Book): Promise<void> {
    const fresh = await ctx.client.get<InferenceService>(InferenceServiceRef, isvc.metadata.name ?? '', isvc.metadata.namespace);
    await ctx.client.update<InferenceService>({ ...fresh, metadata: { ...fresh.metadata, annotations: { ...(fresh.metadata.annotations ?? {}), [RevisionsAnnotation]: JSON.stringify(book) } } });
  }

  /** Takes an InferenceService (and its predictor's own route, used by a transformer) off the ingress. */
  private unroute(namespace: string, name: string): void {
    this.options.ingress.delete(namespace, name);
    this.options.ingress.delete(namespace, `${name}-predictor`);
  }

  /** Drops the autoscaler's memory of an InferenceService's revisions other than `keep`. */
  private forgetScaling(namespace: string, name: string, keep: Set<string>): void {
    const ours = new RegExp(`^${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}-(predictor|transformer)-\\d{5}$`);
    for (const key of [...this.scaling.keys()]) {
      const revision = key.slice(namespace.length + 1);
      if (key.startsWith(`${namespace}/`) && ours.test(revision) && !keep.has(revision)) this.scaling.delete(key);
    }
  }

  /**
   * The host folder mounted at /mnt/models: the storage folder itself, or for a single file a folder of this revision
   * holding just that file (a hard link, else a copy), as KServe's storage initializer leaves `/mnt/models/<file>`.
   */
  private modelFolder(path: string, namespace: string, name: string, revision: string): string {
    if (statSync(path).isDirectory()) return path;
    if (!this.options.stagingDir) return dirname(path);
    const folder = join(this.options.stagingDir, namespace, name, revision);
    const target = join(folder, basename(path));
    if (!existsSync(target)) {
      mkdirSync(folder, { recursive: true });
      try {
        linkSync(path, target);
      } catch {
        copyFileSync(path, target);
      }
    }
    return folder;
  }

  /**
   * A storageUri's local path: a local one as it is, a PVC's volume folder, a remote one from the model cache
   * (downloaded there first, with the credentials of the predictor's ServiceAccount, as KServe's storage initializer).
   */
  async resolveStorage(ctx: ReconcileContext, isvc: InferenceService, uri: string, field: string): Promise<string> {
    // On a cluster a local path would name a file of Floe's own container, not the user's: KServe reads none either.
    if (this.options.cluster && (uri.startsWith('file://') || uri.startsWith('/'))) {
      throw new FloeError('Invalid', `${field} ${uri}: a local path is refused on a cluster (it would be a file of Floe's own container); use s3://, gs://, http(s):// or pvc://`);
    }
    const serviceAccountName = (isvc.spec.predictor as { serviceAccountName?: string } | undefined)?.serviceAccountName;
    return this.store.resolve(ctx.client, { uri, field, namespace: isvc.metadata.namespace ?? '', ...(serviceAccountName ? { serviceAccountName } : {}), ...(isvc.metadata.annotations ? { annotations: isvc.metadata.annotations } : {}) });
  }

  /** Why a storageUri cannot be read, as a status reason (a spec error, or a download that may work later), or undefined. */
  private async storageFailure(ctx: ReconcileContext, isvc: InferenceService, uri: string, field: string): Promise<{ reason: string; message: string; retry: boolean } | undefined> {
    try {
      await this.resolveStorage(ctx, isvc, uri, field);
      return undefined;
    } catch (err) {
      if (err instanceof FloeError && err.reason === 'Invalid') return { reason: 'InvalidPredictorSpec', message: err.message, retry: false };
      if (err instanceof StorageDownloadError) return { reason: 'ModelLoadFailed', message: storageMessage(err, field, uri), retry: true };
      throw err;
    }
  }

  private async select(ctx: ReconcileContext, model: ModelSpec, namespace: string): Promise<Selection> {
    const [namespaced, clustered] = await Promise.all([
      ctx.client.list<ServingRuntime>(ServingRuntimeRef, { namespace }),
      ctx.client.list<ServingRuntime>(ClusterServingRuntimeRef),
    ]);
    return selectRuntime(model, namespaced.items, clustered.items);
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

  /**
   * The Pod revisions of an InferenceService that host TrainedModels only, with their model folder (mounted at
   * /mnt/models), the URLs of their ready replicas now in the route, and whether the server is MLServer (which needs
   * a model-settings.json beside each model; the kserve SDK's servers read the model files alone).
   */
  multiModelServers(namespace: string, name: string): { revision: string; folder: string; urls: string[]; mlserver: boolean }[] {
    const route = this.options.ingress.get(namespace, name);
    const targets = route?.kind === 'split' ? route.targets : [];
    const out: { revision: string; folder: string; urls: string[]; mlserver: boolean }[] = [];
    for (const [key, { folder, mlserver }] of this.multiModel) {
      const revision = key.slice(`${namespace}/${name}/`.length);
      if (!key.startsWith(`${namespace}/${name}/`) || revision.includes('/')) continue;
      const target = targets.find((t) => t.revision === revision)?.target;
      if (target?.kind === 'proxy') out.push({ revision, folder, urls: target.replicas.map((r) => r.url), mlserver });
    }
    return out;
  }

  /** The in-process servers now loaded for an InferenceService (one per revision taking traffic). */
  inProcess(namespace: string, name: string): InProcessModel[] {
    return [...this.loaded.entries()].filter(([k]) => k.startsWith(`${namespace}/${name}/`)).map(([, m]) => m);
  }
}

interface Scaled {
  set: ReplicaSet;
  desired: number;
  /** When to look at the load again; absent when the replica count is fixed (min = max). */
  tickMs?: number;
}

const ignoreNotFound = (err: unknown): void => {
  if (!(err instanceof FloeError && err.reason === 'NotFound')) throw err;
};

const podReady = (pod: Pod): boolean => pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;

/** Why a replica Pod will not come up by itself, or undefined while it may still. */
function podFailure(pod: Pod, name: string, component: Component): string | undefined {
  const container = pod.status?.containerStatuses?.[0];
  const waiting = (container?.state as { waiting?: { reason?: string; message?: string } } | undefined)?.waiting;
  if (waiting?.reason === 'CreateContainerError') return `${component} Pod ${name} cannot start: ${waiting.message ?? waiting.reason}`;
  const restarts = container?.restartCount ?? 0;
  if (pod.status?.phase === 'Failed' || restarts >= 2) return `${component} Pod ${name} exited ${restarts + 1} times before it was ready (see \`floe logs ${name}\`)`;
  return undefined;
}

/** Where the predictor's storageUri is: `spec.predictor.model.storageUri`, or the framework field's (`spec.predictor.sklearn.storageUri`). */
function modelField(predictor: PredictorSpec): string {
  const spec = predictor as Record<string, unknown>;
  const key = ['model', ...Object.keys(spec)].find((k) => k !== 'containers' && typeof spec[k] === 'object' && spec[k] !== null && 'storageUri' in spec[k]);
  return `spec.predictor.${key ?? 'model'}.storageUri`;
}

const noCommand = (field: string, c: ContainerSpec): string =>
  `${field} (${c.name}) has no command: Floe runs a container's command in the local environment its image maps to, and cannot run an image's entrypoint`;

/** The ports a replica's container listens on: those it declares, 8080 when none (Knative's default user port), and for the kserve SDK its gRPC port 8081. */
function declaredPorts(container: ContainerSpec): number[] {
  const ports = (container.ports ?? []).map((p) => p.containerPort).filter((p): p is number => typeof p === 'number');
  if (ports.length === 0) ports.push(8080);
  if (isKserveImage(container) && !ports.includes(8081)) ports.push(8081);
  return ports;
}

const isKserveImage = (container: ContainerSpec): boolean => /kserve/i.test(container.image ?? '');

/** Whether `--flag` is among the args, as `--flag value` or `--flag=value` (KServe's IncludesArg). */
const hasArg = (args: string[], flag: string): boolean => args.some((a) => a === flag || a.startsWith(`${flag}=`));

/** A transformer's container with the arguments KServe's controller adds when they are missing. */
function transformerContainer(container: ContainerSpec, isvcName: string, predictorHost: string): ContainerSpec {
  const args = [...(container.args ?? [])];
  if (!hasArg(args, '--model_name')) args.push('--model_name', isvcName);
  if (!hasArg(args, '--predictor_host')) args.push('--predictor_host', predictorHost);
  return { ...container, name: 'kserve-container', args };
}

/**
 * What Knative and KServe give every replica's container, in container-port terms (localize maps them): `PORT` and
 * `K_SERVICE` / `K_CONFIGURATION` / `K_REVISION`; for the kserve SDK's ModelServer, `--http_port 8080` and
 * `--grpc_port 8081` when missing (it listens there by default, which on a shared host must be its own ports); a TCP
 * readiness probe on the first port when the container has none (Knative's default).
 */
function prepare(template: PodTemplate, isvcName: string, revision: string): ContainerSpec {
  const container = structuredClone(template.container) as ContainerSpec & { readinessProbe?: unknown };
  const http = declaredPorts(container)[0]!;
  const service = `${isvcName}-${template.component}`;
  const env = [...(container.env ?? [])];
  for (const [k, v] of [['PORT', String(http)], ['K_SERVICE', service], ['K_CONFIGURATION', service], ['K_REVISION', revision]] as const) {
    if (!env.some((e) => e.name === k)) env.push({ name: k, value: v });
  }
  container.env = env;
  if (isKserveImage(container)) {
    const args = [...(container.args ?? [])];
    if (!hasArg(args, '--http_port')) args.push('--http_port', String(http));
    if (!hasArg(args, '--grpc_port')) args.push('--grpc_port', '8081');
    container.args = args;
  }
  if (!container.readinessProbe) container.readinessProbe = { tcpSocket: { port: http }, periodSeconds: 1 };
  return container;
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
    ...(model.grpc ? { grpc: model.grpc } : {}),
  };
}

/**
 * The predictor container as KServe builds it: the runtime's server-type defaults applied to the model, the model's
 * container fields merged onto the runtime's container (args appended, env merged by name), and the template's
 * placeholders filled from the InferenceService (with the labels those defaults add, e.g. MLServer's modelClass).
 */
function predictorContainer(container: ContainerSpec, model: ModelSpec, runtime: ServingRuntime, isvc: InferenceService): ContainerSpec {
  const defaults = runtimeDefaults(model, runtime, isvc.metadata.name ?? '');
  const merged = mergeRuntimeContainer(container, defaults.model);
  // A kserve-mlserver runtime written without KServe's MLSERVER_MODEL_IMPLEMENTATION template still gets the class.
  if (serverType(runtime) === 'mlserver' && !merged.env?.some((e) => e.name === 'MLSERVER_MODEL_IMPLEMENTATION')) {
    merged.env = [...(merged.env ?? []), { name: 'MLSERVER_MODEL_IMPLEMENTATION', value: mlserverModelClasses[model.modelFormat?.name ?? ''] ?? mlserverModelClasses['sklearn']! }];
  }
  const meta = { name: isvc.metadata.name ?? '', namespace: isvc.metadata.namespace ?? '', labels: { ...(isvc.metadata.labels ?? {}), ...defaults.labels }, annotations: isvc.metadata.annotations ?? {} };
  return { ...fillPlaceholders(merged, meta), name: 'kserve-container' };
}

/** `{{.Name}}` → the model name; each declared container port (as a whole value, `=P` or `:P`) → its host port. */
export function localize(container: ContainerSpec, modelName: string, ports: Map<number, number>): ContainerSpec {
  const swap = (text: string): string => {
    let out = text.replace(/\{\{\s*\.Name\s*\}\}/g, modelName);
    for (const [from, to] of ports) out = out.replace(new RegExp(`(^|[=:])${from}$`), `$1${to}`);
    return out;
  };
  const probed = container as ContainerSpec & { readinessProbe?: { httpGet?: { port: number | string; path?: string }; tcpSocket?: { port: number | string } } };
  return {
    ...container,
    ...(container.args ? { args: container.args.map(swap) } : {}),
    ...(container.command ? { command: container.command.map(swap) } : {}),
    ...(container.env ? { env: container.env.map((e) => (e.value !== undefined ? { ...e, value: swap(e.value) } : e)) } : {}),
    ...(container.ports ? { ports: container.ports.map((p) => (p.containerPort === undefined ? p : { ...p, containerPort: ports.get(p.containerPort) ?? p.containerPort })) } : {}),
    ...(probed.readinessProbe?.httpGet
      ? { readinessProbe: { ...probed.readinessProbe, httpGet: { ...probed.readinessProbe.httpGet, ...(probed.readinessProbe.httpGet.path ? { path: swap(probed.readinessProbe.httpGet.path) } : {}), port: ports.get(Number(probed.readinessProbe.httpGet.port)) ?? probed.readinessProbe.httpGet.port } } }
      : {}),
    ...(probed.readinessProbe?.tcpSocket ? { readinessProbe: { ...probed.readinessProbe, tcpSocket: { ...probed.readinessProbe.tcpSocket, port: ports.get(Number(probed.readinessProbe.tcpSocket.port)) ?? probed.readinessProbe.tcpSocket.port } } } : {}),
  };
}
