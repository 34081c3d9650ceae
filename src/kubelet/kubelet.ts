// The Kubelet: registers the node, schedules, runs Pods as process groups, serves their logs, gives Services ports.
import { mkdirSync } from 'node:fs';
import type { Socket } from 'node:net';
import { join } from 'node:path';
import { FloeError } from '../api/errors.js';
import type { Logger } from '../api/logger.js';
import type { Client } from '../client/client.js';
import { unmountUnder } from '../images/index.js';
import { defaultTiming, type KubeletConfig, type KubeletTiming } from './config.js';
import { ContainerConfigError } from './container-env.js';
import { EventRecorder } from './events.js';
import { ContainerStreams, type AttachRequest, type ExecRequest, type ExecSession } from './exec.js';
import { Informer } from './informer.js';
import { logTarget, readLog, type LogOptions } from './logs.js';
import { buildLoopbackShim } from './loopback.js';
import { NodeAgent } from './node.js';
import { capacityMap, detectCapacity } from './resources.js';
import { PodPaths, podDirectories } from './pod-state.js';
import { Runtime } from './runtime.js';
import { apiServerEnv, ServiceAccountTokenManager, type ApiServerAddress, type ServiceAccountTokenSource } from './service-account-tokens.js';
import { allocatable } from './scheduling.js';
import { Scheduler } from './scheduler.js';
import { ServiceController } from './services.js';
import { DefaultShutdownGracePeriodSeconds, stopPodProcesses } from './shutdown.js';
import { UsageSampler, usageTargets, type NodeUsage } from './usage.js';
import { DefaultUsernsRoot, removePodStages } from './userns.js';
import { volumeDirs } from './volumes.js';
import { PodRef, NodeRef, ServiceRef, type Node, type Pod, type Service } from './types.js';

export interface KubeletOptions {
  client: Client;
  config: KubeletConfig;
  logger: Logger;
  /** Shorter intervals and back-off for tests; production uses the kubelet's defaults. */
  timing?: Partial<KubeletTiming>;
  /** The host environment processes inherit a few variables from (PATH, HOME, LANG…); default: this process's. */
  hostEnv?: Record<string, string | undefined>;
  /** TokenRequest for projected ServiceAccount token volumes (the embedded API server's issuer). */
  serviceAccountTokens?: ServiceAccountTokenSource;
  /** Where Pods reach the API server: KUBERNETES_SERVICE_HOST/PORT. */
  apiServer?: ApiServerAddress;
}

/** Host variables every container gets, the way an image would provide them; the rest of Floe's environment stays out. */
const inheritedEnv = ['PATH', 'HOME', 'USER', 'LOGNAME', 'SHELL', 'LANG', 'LANGUAGE', 'LC_ALL', 'LC_CTYPE', 'TZ', 'TMPDIR', 'TERM', 'LD_LIBRARY_PATH', 'PYENV_ROOT', 'CUDA_HOME', 'SSL_CERT_FILE', 'SSL_CERT_DIR'];

interface Running {
  pods: Informer<Pod>;
  nodes: Informer<Node>;
  services: Informer<Service>;
  node: NodeAgent;
  scheduler: Scheduler;
  runtime: Runtime;
  serviceController: ServiceController;
  events: EventRecorder[];
}

export class Kubelet {
  private readonly client: Client;
  private readonly config: KubeletConfig;
  private readonly log: Logger;
  private readonly timing: KubeletTiming;
  private readonly baseEnv: Record<string, string>;
  private readonly streams: ContainerStreams;
  private running: Running | undefined;
  private usageSampler: UsageSampler | undefined;
  private readonly tokenSource: ServiceAccountTokenSource | undefined;
  private readonly apiServer: ApiServerAddress | undefined;
  private tokens: ServiceAccountTokenManager | undefined;

  constructor(options: KubeletOptions) {
    this.client = options.client;
    this.config = options.config;
    this.log = options.logger.child({ component: 'kubelet', node: options.config.nodeName });
    this.timing = { ...defaultTiming, ...(options.timing ?? {}) };
    this.tokenSource = options.serviceAccountTokens;
    this.apiServer = options.apiServer;
    const host = options.hostEnv ?? process.env;
    this.baseEnv = {};
    for (const name of inheritedEnv) {
      const value = host[name];
      if (value !== undefined) this.baseEnv[name] = value;
    }
    this.streams = new ContainerStreams({
      client: this.client,
      nodeName: this.config.nodeName,
      dataDir: this.config.dataDir,
      worker: (uid) => this.running?.runtime.worker(uid),
      logs: (namespace, pod, logOptions) => this.logs(namespace, pod, logOptions),
      hostPath: this.baseEnv.PATH ?? '/usr/local/bin:/usr/bin:/bin',
    });
  }

  async start(): Promise<void> {
    if (this.running) return;
    const { client, config, timing } = this;
    mkdirSync(config.dataDir, { recursive: true });
    const capacity = await detectCapacity(config);
    const node = new NodeAgent({ client, config, capacity, logger: this.log, heartbeatMs: timing.heartbeatMs });
    await node.start();
    const kubeletEvents = new EventRecorder({ client, logger: this.log, component: 'kubelet', host: config.nodeName });
    if (!config.exposePodPorts) {
      const shim = await buildLoopbackShim({ dir: join(config.dataDir, 'lib'), env: { PATH: this.baseEnv.PATH ?? '/usr/local/bin:/usr/bin:/bin' } });
      if ('path' in shim) this.baseEnv.LD_PRELOAD = shim.path;
      else {
        const message = `Pod ports are not kept to 127.0.0.1 on this node: a process that listens on 0.0.0.0 answers other machines (the bind() shim is missing: ${shim.reason})`;
        this.log.warn({ reason: shim.reason }, message);
        kubeletEvents.record({ apiVersion: 'v1', kind: 'Node', metadata: { name: config.nodeName, uid: config.nodeName } }, 'Warning', 'LoopbackNotEnforced', message);
      }
    }
    const schedulerEvents = new EventRecorder({ client, logger: this.log, component: 'default-scheduler', host: config.nodeName });
    const pods = new Informer<Pod>({ client, ref: PodRef, logger: this.log });
    const nodes = new Informer<Node>({ client, ref: NodeRef, logger: this.log });
    const services = new Informer<Service>({ client, ref: ServiceRef, logger: this.log });
    const serviceController = new ServiceController({ client, services, pods, nodeName: config.nodeName, logger: this.log, resyncMs: timing.resyncMs });
    const runtime = new Runtime({
      client,
      logger: this.log,
      events: kubeletEvents,
      pods,
      dataDir: config.dataDir,
      nodeName: config.nodeName,
      images: config.images,
      timing,
      baseEnv: this.baseEnv,
      allocatable: allocatable({ apiVersion: 'v1', kind: 'Node', metadata: {}, status: { allocatable: capacityMap(capacity) } }),
      gpuCount: capacity.gpus,
      serviceEnv: (namespace) => serviceController.serviceEnv(namespace),
      serviceNames: () => services.list().map((s) => ({ namespace: s.metadata.namespace ?? 'default', name: s.metadata.name ?? '' })),
      limits: config,
      containers: config,
      ...(this.apiServer ? { apiServerEnv: () => apiServerEnv(this.apiServer?.()) } : {}),
      ...(this.tokenSource ? { serviceAccountTokens: (this.tokens = new ServiceAccountTokenManager({ source: this.tokenSource, logger: this.log })) } : {}),
    });
    const scheduler = new Scheduler({ client, nodeName: config.nodeName, pods, nodes, events: schedulerEvents, logger: this.log, resyncMs: timing.resyncMs });
    await Promise.all([services.start(), nodes.start()]);
    await pods.start();
    runtime.start();
    // Tokens of Pods that kept running across a restart go on being refreshed.
    this.tokens?.adopt(config.dataDir);
    serviceController.start();
    scheduler.start();
    this.running = { pods, nodes, services, node, scheduler, runtime, serviceController, events: [kubeletEvents, schedulerEvents] };
    this.log.info({ cpu: capacity.cpu, memoryBytes: capacity.memoryBytes, gpus: capacity.gpus }, 'kubelet started');
  }

  /**
   * Stops watching and reconciling, and stops the Pods' processes (SIGTERM, SIGKILL after the grace period) unless
   * `config.keepPodsOnStop`: then they keep running and the next start re-adopts them.
   */
  async stop(): Promise<void> {
    const running = this.running;
    if (!running) return;
    this.running = undefined;
    await running.scheduler.stop();
    await running.serviceController.stop();
    const graces = new Map(running.pods.list().map((p) => [p.metadata.uid ?? '', p.spec.terminationGracePeriodSeconds ?? 30]));
    await running.runtime.stop();
    this.tokens?.stop();
    if (!this.config.keepPodsOnStop) {
      const stopped = await stopPodProcesses({
        dataDir: this.config.dataDir,
        graceSeconds: (uid) => graces.get(uid),
        maxGraceSeconds: this.config.shutdownGracePeriodSeconds ?? DefaultShutdownGracePeriodSeconds,
        pollMs: this.timing.pollMs,
      });
      if (stopped > 0) this.log.info({ containers: stopped }, 'stopped the containers of this node');
      // Their overlay root filesystems too: nothing of a stopped node stays mounted (the data dir can then be removed).
      unmountUnder(join(this.config.dataDir, 'pods'));
      for (const uid of podDirectories(this.config.dataDir)) removePodStages(DefaultUsernsRoot, uid);
    }
    await running.node.stop();
    await Promise.all([running.pods.stop(), running.nodes.stop(), running.services.stop()]);
    await Promise.all(running.events.map((e) => e.flush()));
  }

  /**
   * Usage of this node and of its running containers (usage.ts), what metrics.k8s.io serves: CPU as a rate over the
   * last window, memory working set. The first call starts sampling; undefined while the kubelet is not running.
   */
  usage(): NodeUsage | undefined {
    if (!this.running) return undefined;
    this.usageSampler ??= new UsageSampler({
      targets: () => {
        const running = this.running;
        if (!running) return undefined;
        const name = this.config.nodeName;
        const pods = usageTargets(running.pods.list(), name, (uid, container) => running.runtime.worker(uid)?.record(container));
        return { node: { name, labels: { ...(running.nodes.get(undefined, name)?.metadata.labels ?? {}) } }, pods };
      },
    });
    return this.usageSampler.report();
  }

  /** The host folder behind one of a Pod's volumes (processes share the host filesystem); none for a refused one. */
  volumeDir(pod: Pod, volume: string): string | undefined {
    try {
      return volumeDirs(pod, new PodPaths({ dataDir: this.config.dataDir, uid: pod.metadata.uid ?? '' }), this.config.dataDir).get(volume);
    } catch (err) {
      if (err instanceof ContainerConfigError) return undefined;
      throw err;
    }
  }

  /** `kubectl exec`: a command in a running container, in its environment and cgroups (exec.ts). */
  exec(namespace: string, pod: string, request: ExecRequest): Promise<ExecSession> {
    return this.streams.exec(namespace, pod, request);
  }

  /** `kubectl attach`: a running container's output from now on (exec.ts). */
  attach(namespace: string, pod: string, request: AttachRequest): Promise<ExecSession> {
    return this.streams.attach(namespace, pod, request);
  }

  /** `kubectl port-forward`: a connection to a port one of the Pod's processes listens on (exec.ts). */
  portForward(namespace: string, pod: string, port: number): Promise<Socket> {
    return this.streams.portForward(namespace, pod, port);
  }

  /**
   * A container's log, as `kubectl logs` reads it. Throws (on the first iteration) FloeError NotFound for a missing
   * Pod and BadRequest for an ambiguous or unknown container, one that has not started, or a missing previous run.
   */
  async *logs(namespace: string, pod: string, options: LogOptions): AsyncIterable<Buffer> {
    const running = this.running;
    if (!running) throw new FloeError('ServiceUnavailable', 'the local runtime is not running');
    const object = await this.client.get<Pod>(PodRef, pod, namespace);
    const worker = running.runtime.worker(object.metadata.uid ?? '');
    const target = logTarget(object, worker, options);
    const read: Parameters<typeof readLog>[1] = { follow: options.follow ?? false, timestamps: options.timestamps ?? false, pollMs: Math.min(200, this.timing.pollMs) };
    if (options.tailLines !== undefined) read.tailLines = options.tailLines;
    if (options.signal) read.signal = options.signal;
    yield* readLog(target, read);
  }
}
