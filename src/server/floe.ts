// The composition root of embedded mode: the process concerns (config, store, HTTP listener, lifecycle) and the capability list.
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { builtinResourceTypes } from '../api/builtin/index.js';
import { ensureSystemPriorityClasses } from '../api/builtin/scheduling.js';
import { FloeError } from '../api/errors.js';
import { hostPorts } from '../api/host-ports.js';
import type { KubeObject } from '../api/meta.js';
import type { ResourceType } from '../api/resource-type.js';
import { ResourceRegistry } from '../api/registry.js';
import type { Client } from '../client/client.js';
import { admissionOf, capabilitiesFor, Manager, startCapabilities, type NodeRuntime, type PodCredentials, type RunningCapabilities } from '../controller/index.js';
import { GarbageCollector } from '../store/gc.js';
import { resourceKey, Store } from '../store/store.js';
import { HostPortAllocator, Kubelet } from '../kubelet/index.js';
import { FloeMetrics, KubeflowMetrics, MetricsApi, metricsResourceTypes } from '../observability/index.js';
import { ApiHandler } from './api-handler.js';
import { builtinAdmission } from '../admission/index.js';
import { ServiceAccountAuthorizer } from './auth.js';
import { createRbac } from '../auth/rbac/index.js';
import { anyOfAuthorizers, NamespaceDefaults, oidcOptions, podTokenSource, serviceAccountAdmission, startIdentities } from '../auth/identity/index.js';
import { loadEncryption } from '../store/encryption.js';
import { floeCapabilities } from './capabilities.js';
import { isLoopback, type FloeConfig } from './config.js';
import { CrdController } from './crd-controller.js';
import { FrontDoor } from './front-door.js';
import { KubernetesApi, type PodLogOptions } from './http-server.js';
import { LocalClient } from './local-client.js';
import { createLogger, type Logger } from './logger.js';
import { openDataDir, type DataDir } from './data-dir.js';
import { ensureServingCertificate, kubeconfigServer, servingHosts } from './tls.js';

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
  /** Every route the listener serves (the Kubernetes API and each capability's). */
  routes: FrontDoor['table'];
  stop(): Promise<void>;
}

/** python/ of this checkout: floe_katib.py (Push trials), Floe's kserve runtime. */
const pythonDir = fileURLToPath(new URL('../../../python', import.meta.url));

const systemNamespaces = ['default', 'kube-system', 'kube-public', 'kube-node-lease'];

export async function startFloe(config: FloeConfig, logger: Logger = createLogger({ level: config.logLevel })): Promise<Floe> {
  if (!isLoopback(config.host) && !config.token) {
    throw new FloeError('Forbidden', `refusing to listen on ${config.host} without a token: set --token-file (or FLOE_TOKEN) or bind to 127.0.0.1`);
  }
  const capabilities = config.controllers ? capabilitiesFor('embedded', floeCapabilities({ allowPackageUrls: config.allowPackageUrls, multiUser: config.multiUser === true, ...(config.notebooks ? { notebooks: config.notebooks } : {}) })) : [];
  // One Floe per data directory (a second one refuses, naming the first's pid); 0700 folder, 0600 databases.
  const dataDir = openDataDir(config.dataDir);
  for (const t of dataDir.tightened) logger.warn({ path: t.path, from: t.from.toString(8), to: t.to.toString(8) }, 'narrowed the mode of a data directory file');
  try {
    return await startInDataDir(config, logger, capabilities, dataDir);
  } catch (err) {
    dataDir.close();
    throw err;
  }
}

async function startInDataDir(config: FloeConfig, logger: Logger, capabilities: ReturnType<typeof capabilitiesFor>, dataDir: DataDir): Promise<Floe> {
  // Secrets at rest: --encryption-provider-config, else the data directory's generated AES-GCM key (encryption.ts).
  const encryption = loadEncryption({ dataDir: dataDir.path, ...(config.encryptionProviderConfig ? { configPath: config.encryptionProviderConfig } : {}) });
  if (encryption.generated) logger.info({ path: encryption.path }, 'generated an encryption key for Secrets at rest');
  if (encryption.warning) logger.warn({ path: encryption.path }, encryption.warning);
  const store = new Store({ path: dataDir.database('floe.db'), historyLimit: config.historyLimit, transformer: encryption.encryption });
  const registry = new ResourceRegistry();
  registry.register(builtinResourceTypes());
  const metrics = new FloeMetrics();
  metrics.instrumentStore(store, () => registry.all());
  const crds = new CrdController({ store, registry, logger });
  crds.start();
  const services = resourceKey('', 'services');
  const allocator = config.runPods ? new HostPortAllocator({ inUse: () => store.list(services).items.flatMap((s) => Object.values(hostPorts(s))) }) : undefined;
  // LimitRanger, admission webhooks and ResourceQuota, as kube-apiserver orders them (src/admission).
  const builtin = builtinAdmission({ store, registry, logger });
  // RBAC (src/auth/rbac): the authorizer of every request, the review kinds, escalation prevention, bootstrap roles.
  const rbac = createRbac({ store, registry });
  const handler = new ApiHandler({
    store,
    registry,
    remoteAdmission: builtin.remote,
    validating: [...builtin.validating, rbac.escalation],
    authorizer: rbac.authorizer,
    admission: [
      ...builtin.mutating,
      // kube's ServiceAccount admission: the kube-api-access projected token volume on every Pod, where the local
      // runtime (which requests the tokens) runs them.
      ...(config.runPods ? [serviceAccountAdmission({ store })] : []),
      // The local runtime's Service ports are allocated at admission, as kube-apiserver allocates node ports.
      ...(allocator ? [{ handles: (t: ResourceType) => t.group === '' && t.plural === 'services', admit: (o: KubeObject, old: KubeObject | undefined) => allocator.assign(o, old) }] : []),
      ...admissionOf(capabilities),
    ],
  });
  ensureNamespaces(store);
  rbac.start(handler, (err) => logger.error({ err }, 'RBAC aggregation failed'));
  ensureSystemPriorityClasses(store);
  const gc = new GarbageCollector({ store, onError: (err) => logger.error({ err }, 'garbage collection failed') });
  gc.start();
  // kubectl sends a bearer token only over TLS, so a token-protected Floe serves HTTPS with its own CA.
  // The names the certificate covers are the names the Host guard accepts: loopback, the bind host (every interface
  // address for 0.0.0.0 / ::), --tls-san.
  const hosts = servingHosts(config.host, config.tlsSans);
  const certificate = config.token ? ensureServingCertificate(config.dataDir, hosts) : undefined;
  const podToken = config.token ? ensurePodToken(dataDir) : undefined;
  // Identities: --token (admin), the Pod token, --token-auth-file, ServiceAccount tokens, the trusted proxy header.
  const identities = startIdentities({
    dataDir: dataDir.path, store, registry,
    ...(config.token ? { adminToken: config.token } : {}), ...(podToken ? { podToken } : {}),
    ...(config.tokenAuthFile ? { tokenAuthFile: config.tokenAuthFile } : {}), ...(config.authProxy ? { authProxy: config.authProxy } : {}),
    ...(config.oidc ? { oidc: oidcOptions(config.oidc) } : {}),
  });
  await identities.ready.catch((err: unknown) => logger.warn({ err }, 'cannot reach the OIDC issuer yet: its tokens fail until it answers'));
  for (const warning of identities.warnings) logger.warn({}, warning);
  // The `default` ServiceAccount and `kube-root-ca.crt` in every namespace, as kube-controller-manager keeps them.
  const namespaceDefaults = new NamespaceDefaults({ store, ...(certificate ? { caPem: certificate.caPem } : {}) });
  namespaceDefaults.start();
  let apiServerAddress: { host: string; port: number } | undefined = undefined;
  const client = new LocalClient({ handler });
  const stopQuotaStatus = builtin.startQuotaStatus(client);
  const kubelet = config.runPods
    ? new Kubelet({
        client,
        logger,
        config: { nodeName: config.node.name, dataDir: config.dataDir, labels: config.node.labels, taints: config.node.taints, images: config.images, keepPodsOnStop: config.keepPods, hostProcessFallback: config.hostProcessFallback, ...capacity(config) },
        ...(config.kubeletTiming ? { timing: config.kubeletTiming } : {}),
        serviceAccountTokens: podTokenSource({ store, serviceAccounts: identities.serviceAccounts }),
        apiServer: () => apiServerAddress,
      })
    : undefined;
  const kubernetes = new KubernetesApi({
    handler,
    bookmarkIntervalMs: config.bookmarkIntervalMs,
    maxBodyBytes: config.maxBodyBytes,
    ...(kubelet ? { podLogs: (namespace: string, pod: string, options: PodLogOptions) => kubelet.logs(namespace, pod, options) } : {}),
    ...(kubelet ? { podStreams: kubelet } : {}),
  });
  registry.register(metricsResourceTypes(new MetricsApi({ usage: () => kubelet?.usage() })));
  const door = new FrontDoor({
    requestObserver: (req, res, url, route) => metrics.observeRequest(req, res, url, route),
    authenticator: identities.authenticator,
    // Pods' ServiceAccount tokens report Katib metrics of their own namespace's trials (floe_katib.py sends them).
    authorizer: anyOfAuthorizers(rbac.authorizer, new ServiceAccountAuthorizer()),
    guard: { hosts: [...hosts, ...config.allowedHosts], allowedOrigins: config.allowedOrigins },
    readyChecks: [{ name: 'store', check: () => store.checkWritable() }],
    logger,
    ...(certificate ? { tls: { cert: certificate.certPem, key: certificate.keyPem } } : {}),
  });
  door.mount([kubernetes.route(), metrics.route()]);
  door.onClose(() => kubernetes.closeWatches());
  door.onClose(() => namespaceDefaults.stop());
  const address = await door.listen(config.port, config.host);
  // 127.0.0.1 for a wildcard bind: an address this machine's clients reach and the certificate covers.
  const url = kubeconfigServer(config.host, address.port, certificate ? 'https' : 'http');
  apiServerAddress = { host: new URL(url).hostname.replace(/^\[|\]$/g, ''), port: address.port };
  const kubeconfigPath = dataDir.writePrivate('kubeconfig', kubeconfig(url, config.token, certificate?.caPem));
  await kubelet?.start();
  let running: RunningCapabilities | undefined;
  let kubeflowMetrics: KubeflowMetrics | undefined;
  try {
    if (capabilities.length > 0) {
      const node: NodeRuntime | undefined = kubelet
        ? {
            podLog: async (namespace, pod, container) => {
              const chunks: Buffer[] = [];
              for await (const chunk of kubelet.logs(namespace, pod, { container })) chunks.push(chunk);
              return Buffer.concat(chunks).toString('utf8');
            },
            podLogStream: (namespace, pod, container) => kubelet.logs(namespace, pod, { container }),
            volumeDir: (pod, volume) => kubelet.volumeDir(pod as Parameters<Kubelet['volumeDir']>[0], volume),
          }
        : undefined;
      const podCredentials: PodCredentials | undefined = podToken && certificate ? { token: podToken, caFile: certificate.caFile } : undefined;
      const manager = new Manager({ client, log: logger.child({ component: 'controllers' }), host: config.node.name, gracefulShutdownMs: 5_000, metrics });
      running = await startCapabilities(
        capabilities,
        { mode: 'embedded', client, logger, dataDir: config.dataDir, url, pythonDir, http2: door.http2Access(), ...(node ? { node } : {}), ...(podCredentials ? { podCredentials } : {}) },
        manager,
      );
      door.mount(running.routes);
      // The training operator's and Katib's own metrics, from their objects' lifecycle (src/observability).
      kubeflowMetrics = new KubeflowMetrics({ client, registry: metrics.registry, log: logger.child({ component: 'metrics' }) });
      kubeflowMetrics.start();
    }
  } catch (err) {
    await stopQuotaStatus();
    await kubelet?.stop();
    await door.close();
    gc.stop();
    crds.stop();
    rbac.stop();
    store.close();
    throw err;
  }
  door.open();
  logger.info({ url, dataDir: config.dataDir, kubeconfig: kubeconfigPath, capabilities: capabilities.map((c) => c.name) }, 'floe is serving');
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
    routes: door.table,
    async stop() {
      if (stopped) return;
      stopped = true;
      // The reverse of start: capabilities (their controllers, then their stores), the runtime, the listener, the store.
      await kubeflowMetrics?.stop();
      await running?.stop();
      await kubelet?.stop();
      await door.close();
      await stopQuotaStatus();
      gc.stop();
      crds.stop();
      rbac.stop();
      store.close();
      dataDir.close();
    },
  };
}

/** The token Pods present when they call back (Katib Push): kept in the data directory so re-adopted Pods keep working. */
function ensurePodToken(dataDir: DataDir): string {
  const file = join(dataDir.path, 'pod-token');
  if (existsSync(file)) {
    const token = readFileSync(file, 'utf8').trim();
    if (token) return token;
  }
  const token = randomBytes(32).toString('base64url');
  dataDir.writePrivate('pod-token', token);
  return token;
}

function capacity(config: FloeConfig): { cpu?: number; memoryBytes?: number; gpus?: number } {
  const out: { cpu?: number; memoryBytes?: number; gpus?: number } = {};
  if (config.node.cpu !== undefined) out.cpu = config.node.cpu;
  if (config.node.memoryBytes !== undefined) out.memoryBytes = config.node.memoryBytes;
  if (config.node.gpus !== undefined) out.gpus = config.node.gpus;
  return out;
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
