// The composition root of embedded mode: store, registry, handler chain, collectors, HTTP server, kubeconfig.
import { writeFileSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { builtinResourceTypes } from '../api/builtin/index.js';
import { errors, FloeError } from '../api/errors.js';
import { hostPorts } from '../api/host-ports.js';
import type { KubeObject } from '../api/meta.js';
import type { ResourceType } from '../api/resource-type.js';
import { ResourceRegistry } from '../api/registry.js';
import { PatchType, type Client } from '../client/client.js';
import { GarbageCollector } from '../store/gc.js';
import { resourceKey, Store } from '../store/store.js';
import { ApiHandler } from './api-handler.js';
import { AllowMastersAuthorizer, TokenAuthenticator } from './auth.js';
import { isLoopback, type FloeConfig } from './config.js';
import { CrdController } from './crd-controller.js';
import { HostPortAllocator, Kubelet } from '../kubelet/index.js';
import { Manager } from '../controller/index.js';
import { addJobController } from '../controllers/batch/job-controller.js';
import { ActivatedAtAnnotation, addServingControllers, InferenceServiceRef, installServing, ServingIngress, type InProcessModel } from '../controllers/serving/index.js';
import { ModelServer } from '../serving/model-server.js';
import { OnnxModel } from '../serving/onnx.js';
import { addKatibControllers, admitKatib, installKatibCrds, KatibGroup, katibKinds, ObservationDb, observationLogRoute, SuggestionRunner, type TrialPods } from '../controllers/katib/index.js';
import { startPipelines, type Pipelines } from '../controllers/pipelines/index.js';
import { MetadataStore } from '../metadata/store.js';
import { metadataRoute } from '../metadata/rest.js';
import { addTrainingControllers, installTrainingCrds, TrainingGroup, trainingKinds, validateTrainingJob } from '../controllers/training/index.js';
import { ApiHttpServer, type PodLogOptions } from './http-server.js';
import { LocalClient } from './local-client.js';
import { createLogger, type Logger } from './logger.js';
import { ensureServingCertificate } from './tls.js';

export interface Floe {
  /** `http://host:port` of the API server. */
  url: string;
  port: number;
  kubeconfigPath: string;
  client: Client;
  handler: ApiHandler;
  store: Store;
  logger: Logger;
  gc: GarbageCollector;
  stop(): Promise<void>;
}

/** python/ of this checkout: floe_katib.py, the helper Push trials report metrics with. */
const pythonHelperDir = fileURLToPath(new URL('../../../python', import.meta.url));

const systemNamespaces = ['default', 'kube-system', 'kube-public', 'kube-node-lease'];

export async function startFloe(config: FloeConfig, logger: Logger = createLogger({ level: config.logLevel })): Promise<Floe> {
  if (!isLoopback(config.host) && !config.token) {
    throw new FloeError('Forbidden', `refusing to listen on ${config.host} without a token: set --token (or FLOE_TOKEN) or bind to 127.0.0.1`);
  }
  mkdirSync(config.dataDir, { recursive: true });
  const store = new Store({ path: join(config.dataDir, 'floe.db'), historyLimit: config.historyLimit });
  const registry = new ResourceRegistry();
  registry.register(builtinResourceTypes());
  const crds = new CrdController({ store, registry, logger });
  crds.start();
  const services = resourceKey('', 'services');
  const allocator = config.runPods ? new HostPortAllocator({ inUse: () => store.list(services).items.flatMap((s) => Object.values(hostPorts(s))) }) : undefined;
  const handler = new ApiHandler({
    store,
    registry,
    authorizer: new AllowMastersAuthorizer(),
    admission: [
      ...(allocator ? [{ handles: (t: ResourceType) => t.group === '' && t.plural === 'services', admit: (o: KubeObject, old: KubeObject | undefined) => allocator.assign(o, old) }] : []),
      {
        // Kubeflow checks training jobs in a validating webhook; here admission does it, with every bad field at once.
        handles: (t: ResourceType) => t.group === TrainingGroup && trainingKinds.includes(t.kind),
        admit: (o: KubeObject) => {
          const problems = validateTrainingJob(o);
          if (problems.length > 0) throw errors.invalid(TrainingGroup, o.kind ?? '', o.metadata.name ?? '', problems);
        },
      },
      // Katib's defaulting and validating webhooks for Experiments.
      { handles: (t: ResourceType) => t.group === KatibGroup && katibKinds.includes(t.kind), admit: admitKatib },
    ],
  });
  ensureNamespaces(store);
  const gc = new GarbageCollector({ store, onError: (err) => logger.error({ err }, 'garbage collection failed') });
  gc.start();
  // kubectl sends a bearer token only over TLS, so a token-protected Floe serves HTTPS with its own CA.
  const certificate = config.token ? ensureServingCertificate(config.dataDir, servingHosts(config.host)) : undefined;
  const client = new LocalClient({ handler });
  const kubelet = config.runPods
    ? new Kubelet({
        client,
        logger,
        config: { nodeName: config.node.name, dataDir: config.dataDir, labels: config.node.labels, taints: config.node.taints, images: config.images, ...capacity(config) },
        ...(config.kubeletTiming ? { timing: config.kubeletTiming } : {}),
      })
    : undefined;
  // Katib's DB manager: observation logs in their own SQLite file, served at /katib/v1beta1/….
  const observations = config.controllers ? new ObservationDb(join(config.dataDir, 'katib.db')) : undefined;
  // ML Metadata (KFP's lineage store) in its own SQLite file, served at /mlmd/v1/….
  const metadata = config.controllers ? new MetadataStore({ path: join(config.dataDir, 'metadata.db') }) : undefined;
  // The KFP API server (/apis/v2beta1/…) and run engine start once the API server listens; requests before that wait.
  let pipelines: Pipelines | undefined;
  let pipelinesReady: Promise<Pipelines> | undefined;
  const kfpRoute = async (req: IncomingMessage, res: ServerResponse, u: URL): Promise<boolean> => {
    if (!u.pathname.startsWith('/apis/v2beta1/') || !pipelinesReady) return false;
    return (await pipelinesReady).route(req, res, u);
  };
  // KServe's ingress: /serving/<namespace>/<name>/… reaches that InferenceService's predictor.
  const ingress = new ServingIngress({
    // A request for an InferenceService scaled to zero: tell its controller (through the API, like Knative's activator).
    activate: (namespace, name) => {
      void client
        .patch(InferenceServiceRef, name, namespace, { metadata: { annotations: { [ActivatedAtAnnotation]: new Date().toISOString() } } }, PatchType.Merge)
        .catch((err: unknown) => logger.warn({ err, namespace, name }, 'cannot wake an InferenceService scaled to zero'));
    },
  });
  const http = new ApiHttpServer({
    handler,
    authenticator: new TokenAuthenticator(config.token ? { token: config.token } : {}),
    logger,
    bookmarkIntervalMs: config.bookmarkIntervalMs,
    maxBodyBytes: config.maxBodyBytes,
    ...(kubelet ? { podLogs: (namespace: string, pod: string, options: PodLogOptions) => kubelet.logs(namespace, pod, options) } : {}),
    ...(certificate ? { tls: { cert: certificate.certPem, key: certificate.keyPem } } : {}),
    ...(observations && metadata ? { extraRoutes: [observationLogRoute(observations), metadataRoute(metadata), kfpRoute, (req, res, u) => ingress.handle(req, res, u)] } : {}),
  });
  const address = await http.listen(config.port, config.host);
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const url = `${certificate ? 'https' : 'http'}://${host}:${address.port}`;
  const kubeconfigPath = join(config.dataDir, 'kubeconfig');
  writeFileSync(kubeconfigPath, kubeconfig(url, config.token, certificate?.caPem), { mode: 0o600 });
  await kubelet?.start();
  const pods: TrialPods | undefined = kubelet
    ? {
        log: async (namespace, pod, container) => {
          const chunks: Buffer[] = [];
          for await (const chunk of kubelet.logs(namespace, pod, { container })) chunks.push(chunk);
          return Buffer.concat(chunks).toString('utf8');
        },
        volumeDir: (pod, volume) => kubelet.volumeDir(pod, volume),
      }
    : undefined;
  const runner = new SuggestionRunner();
  const controllers = observations
    ? await startControllers(client, logger, config.node.name, { db: observations, runner, reportUrl: `${url}/katib/v1beta1`, pythonHelperDir, ...(pods ? { pods } : {}) }, { ingress, ingressUrl: url, loaders: { onnxruntime: loadOnnx } })
    : undefined;
  if (metadata) {
    pipelinesReady = startPipelines({ client, metadata, dbPath: join(config.dataDir, 'pipelines.db'), dir: join(config.dataDir, 'pipelines'), logger });
    pipelines = await pipelinesReady;
  }
  logger.info({ url, dataDir: config.dataDir, kubeconfig: kubeconfigPath }, 'floe is serving');
  let stopped = false;
  return {
    url,
    port: address.port,
    kubeconfigPath,
    client,
    handler,
    store,
    logger,
    gc,
    async stop() {
      if (stopped) return;
      stopped = true;
      await pipelines?.close();
      await controllers?.stop();
      await runner.stop();
      await kubelet?.stop();
      await http.close();
      observations?.close();
      metadata?.close();
      gc.stop();
      crds.stop();
      store.close();
    },
  };
}

/** Floe's CRDs, then a Manager running its controllers over the in-process client. */
async function startControllers(client: Client, logger: Logger, host: string, katib: Parameters<typeof addKatibControllers>[1], serving: Parameters<typeof addServingControllers>[1]): Promise<{ stop(): Promise<void> }> {
  await installTrainingCrds(client);
  await installKatibCrds(client);
  await installServing(client);
  const manager = new Manager({ client, log: logger.child({ component: 'controllers' }), host, gracefulShutdownMs: 5_000 });
  addTrainingControllers(manager);
  addJobController(manager);
  addKatibControllers(manager, katib);
  const servingControllers = addServingControllers(manager, serving);
  const abort = new AbortController();
  const done = manager.start(abort.signal);
  return {
    async stop() {
      abort.abort();
      await done;
      await servingControllers.close();
    },
  };
}

/** The in-process ONNX runtime: one model server per InferenceService, the model from a .onnx file or a folder holding one. */
async function loadOnnx(name: string, path: string): Promise<InProcessModel> {
  const file = onnxFile(path);
  const server = new ModelServer({ name: 'floe-onnxruntime' });
  await server.add(await OnnxModel.load(name, file));
  return {
    handle: (req, res, p) => server.handle(req, res, p),
    close: async () => {
      await server.close();
    },
    addModel: async (model, modelPath) => {
      await server.add(await OnnxModel.load(model, onnxFile(modelPath)));
    },
    removeModel: async (model) => {
      await server.remove(model);
    },
    models: () => server.list().map((m) => m.name),
  };
}

function onnxFile(path: string): string {
  if (!statSync(path).isDirectory()) return path;
  const file = readdirSync(path).filter((f) => f.endsWith('.onnx')).sort((a, b) => Number(b === 'model.onnx') - Number(a === 'model.onnx'))[0];
  if (!file) throw new Error(`no .onnx file in ${path}`);
  return join(path, file);
}

function capacity(config: FloeConfig): { cpu?: number; memoryBytes?: number; gpus?: number } {
  const out: { cpu?: number; memoryBytes?: number; gpus?: number } = {};
  if (config.node.cpu !== undefined) out.cpu = config.node.cpu;
  if (config.node.memoryBytes !== undefined) out.memoryBytes = config.node.memoryBytes;
  if (config.node.gpus !== undefined) out.gpus = config.node.gpus;
  return out;
}

function servingHosts(host: string): string[] {
  const hosts = new Set(['127.0.0.1', 'localhost', '::1']);
  if (host !== '0.0.0.0' && host !== '::') hosts.add(host);
  return [...hosts];
}

function ensureNamespaces(store: Store): void {
  const key = resourceKey('', 'namespaces');
  for (const name of systemNamespaces) {
    if (store.get(key, '', name)) continue;
    store.create(key, { apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels: { 'kubernetes.io/metadata.name': name } }, spec: { finalizers: ['kubernetes'] }, status: { phase: 'Active' } });
  }
}

/** A kubeconfig for kubectl and the Kubernetes clients, pointing at this server. */
export function kubeconfig(url: string, token?: string, caPem?: string): string {
  const ca = caPem ? `    certificate-authority-data: ${Buffer.from(caPem).toString('base64')}\n` : '';
  const user = token ? `  user:\n    token: ${token}\n` : '  user: {}\n';
  return `apiVersion: v1
kind: Config
clusters:
- name: floe
  cluster:
    server: ${url}
${ca}contexts:
- name: floe
  context:
    cluster: floe
    user: floe-admin
    namespace: default
current-context: floe
users:
- name: floe-admin
${user}`;
}
