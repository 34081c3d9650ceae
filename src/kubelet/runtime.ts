// The runtime: one PodWorker per Pod bound to this node, recovery of state left on disk, the process poll loop.
import { existsSync, readFileSync } from 'node:fs';
import { FloeError } from '../api/errors.js';
import type { Logger } from '../api/logger.js';
import type { ServiceAccountTokenManager } from './service-account-tokens.js';
import type { Client } from '../client/client.js';
import type { ImageRule, KubeletConfig, KubeletTiming } from './config.js';
import { Cgroups, DefaultPodPidsLimit, recordedCgroups } from './cgroups.js';
import { defaultLogRotation } from './logs.js';
import type { EventRecorder } from './events.js';
import type { Informer } from './informer.js';
import { PodWorker, runMarker, type GpuAllocator, type WorkerContext } from './pod-worker.js';
import { ContainerRuntime } from './container-runtime.js';
import { groupResidentBytes, isAlive, killByEnv, signalGroup, userTaskCount } from './proc.js';
import { PodPaths, podDirectories, readContainerRecords, removePodState } from './pod-state.js';
import { ConfigMapRef, SecretRef, isTerminal, type Pod } from './types.js';
import { startSpawner } from './spawner.js';

export interface RuntimeOptions {
  client: Client;
  logger: Logger;
  events: EventRecorder;
  pods: Informer<Pod>;
  dataDir: string;
  nodeName: string;
  images: readonly ImageRule[];
  timing: KubeletTiming;
  baseEnv: Record<string, string>;
  allocatable: Record<string, number>;
  gpuCount: number;
  serviceEnv(namespace: string): Record<string, string>;
  /** cgroups, podPidsLimit and log rotation, from the kubelet configuration; defaults where absent. */
  limits?: Pick<KubeletConfig, 'cgroups' | 'podPidsLimit' | 'containerLogMaxSize' | 'containerLogMaxFiles'>;
  /** Container Pods: the host-process fallback, runc and the image store, from the kubelet configuration. */
  containers?: Pick<KubeletConfig, 'hostProcessFallback' | 'runcPath' | 'imagesDir'>;
  /** false: runs start with Node's spawn, not through the spawner helper (native/floe-spawner.c). Default: the helper where it builds. */
  spawner?: boolean;
  /** Every Service (namespace and name), for container Pods' /etc/hosts; none when absent. */
  serviceNames?(): { namespace: string; name: string }[];
  /** KUBERNETES_SERVICE_HOST/PORT… for every container (service-account-tokens.ts). */
  apiServerEnv?(): Record<string, string>;
  /** Pod-bound ServiceAccount tokens for projected volumes; such volumes fail without it. */
  serviceAccountTokens?: ServiceAccountTokenManager;
}

/**
 * Without a pids cgroup, a non-root Floe can still bound a run's processes with RLIMIT_NPROC (prlimit): that limit
 * counts every task of the user, so the bound is the user's tasks at start plus podPidsLimit. Root ignores it.
 */
function processBound(podPidsLimit: number): () => string[] {
  const uid = process.getuid?.();
  const prlimit = ['/usr/bin/prlimit', '/bin/prlimit'].find((p) => existsSync(p));
  if (podPidsLimit <= 0 || uid === undefined || uid === 0 || !prlimit) return () => [];
  return () => {
    let bound = userTaskCount(uid) + podPidsLimit;
    let limits = '';
    try {
      limits = readFileSync('/proc/self/limits', 'utf8');
    } catch {
      // no /proc: the bound stays as computed
    }
    const hard = /^Max processes\s+\S+\s+(\d+)/m.exec(limits)?.[1];
    if (hard !== undefined) bound = Math.min(bound, Number(hard));
    return [prlimit, `--nproc=${bound}`, '--'];
  };
}

/** Hands out GPU indices 0..n-1 to Pods, each index to one Pod at a time. */
class Gpus implements GpuAllocator {
  private readonly total: number;
  private readonly owners = new Map<string, number[]>();

  constructor(options: { total: number }) {
    this.total = options.total;
  }

  assign(uid: string, count: number, existing?: number[]): number[] {
    if (existing) {
      this.owners.set(uid, existing);
      return existing;
    }
    const held = this.owners.get(uid);
    if (held) return held;
    const used = new Set([...this.owners.values()].flat());
    const free: number[] = [];
    for (let i = 0; i < this.total && free.length < count; i++) if (!used.has(i)) free.push(i);
    if (free.length > 0) this.owners.set(uid, free);
    return free;
  }

  release(uid: string): void {
    this.owners.delete(uid);
  }
}

async function getData(client: Client, ref: typeof ConfigMapRef | typeof SecretRef, namespace: string, name: string): Promise<Record<string, unknown> | undefined> {
  try {
    return await client.get(ref, name, namespace);
  } catch (err) {
    if (err instanceof FloeError && err.reason === 'NotFound') return undefined;
    throw err;
  }
}

function entries(value: unknown): [string, string][] {
  return typeof value === 'object' && value !== null ? Object.entries(value as Record<string, unknown>).filter((e): e is [string, string] => typeof e[1] === 'string') : [];
}

export class Runtime {
  private readonly client: Client;
  private readonly log: Logger;
  private readonly pods: Informer<Pod>;
  private readonly dataDir: string;
  private readonly nodeName: string;
  private readonly pollMs: number;
  private readonly ctx: WorkerContext;
  private readonly events: EventRecorder;
  private readonly workers = new Map<string, PodWorker>();
  private poller: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(options: RuntimeOptions) {
    this.client = options.client;
    this.log = options.logger.child({ component: 'runtime' });
    this.pods = options.pods;
    this.dataDir = options.dataDir;
    this.nodeName = options.nodeName;
    this.pollMs = options.timing.pollMs;
    this.events = options.events;
    const client = options.client;
    const limits = options.limits ?? {};
    const podPidsLimit = limits.podPidsLimit ?? DefaultPodPidsLimit;
    const cgroups = Cgroups.detect({ mode: limits.cgroups ?? 'auto', podPidsLimit });
    const spawner = options.spawner === false ? undefined : startSpawner(this.log);
    this.ctx = {
      client,
      logger: this.log,
      events: options.events,
      dataDir: options.dataDir,
      nodeName: options.nodeName,
      images: options.images,
      timing: options.timing,
      baseEnv: options.baseEnv,
      allocatable: options.allocatable,
      serviceEnv: (namespace) => options.serviceEnv(namespace),
      gpus: new Gpus({ total: options.gpuCount }),
      cgroups,
      processBound: processBound(cgroups.status.pids ? 0 : podPidsLimit),
      logRotation: { maxBytes: limits.containerLogMaxSize ?? defaultLogRotation.maxBytes, maxFiles: limits.containerLogMaxFiles ?? defaultLogRotation.maxFiles },
      containers: new ContainerRuntime({
        dataDir: options.dataDir,
        client,
        logger: this.log,
        backoffInitialMs: options.timing.crashLoopInitialMs,
        backoffMaxMs: options.timing.crashLoopMaxMs,
        ...(options.containers?.hostProcessFallback !== undefined ? { hostProcessFallback: options.containers.hostProcessFallback } : {}),
        ...(options.containers?.runcPath ? { runcPath: options.containers.runcPath } : {}),
        ...(options.containers?.imagesDir ? { imagesDir: options.containers.imagesDir } : {}),
      }),
      serviceNames: () => options.serviceNames?.() ?? [],
      ...(options.apiServerEnv ? { apiServerEnv: () => options.apiServerEnv?.() ?? {} } : {}),
      finished: (uid) => this.workers.delete(uid),
      ...(spawner ? { spawner } : {}),
      lookups: {
        async configMap(namespace, name) {
          const cm = await getData(client, ConfigMapRef, namespace, name);
          if (!cm) return undefined;
          const out: Record<string, string> = Object.fromEntries(entries(cm.data));
          for (const [k, v] of entries(cm.binaryData)) out[k] = Buffer.from(v, 'base64').toString('utf8');
          return out;
        },
        async secret(namespace, name) {
          const secret = await getData(client, SecretRef, namespace, name);
          return secret ? Object.fromEntries(entries(secret.data).map(([k, v]) => [k, Buffer.from(v, 'base64').toString('utf8')])) : undefined;
        },
        async configMapFiles(namespace, name) {
          const cm = await getData(client, ConfigMapRef, namespace, name);
          if (!cm) return undefined;
          const out: Record<string, Buffer> = Object.fromEntries(entries(cm.data).map(([k, v]) => [k, Buffer.from(v)]));
          for (const [k, v] of entries(cm.binaryData)) out[k] = Buffer.from(v, 'base64');
          return out;
        },
        async secretFiles(namespace, name) {
          const secret = await getData(client, SecretRef, namespace, name);
          return secret ? Object.fromEntries(entries(secret.data).map(([k, v]) => [k, Buffer.from(v, 'base64')])) : undefined;
        },
        ...(options.serviceAccountTokens ? { serviceAccountToken: (pod: Pod, source: { audience?: string; expirationSeconds?: number }, file: string) => options.serviceAccountTokens!.token(pod, source, file) } : {}),
      },
    };
    this.pods.onEvent((type, pod) => this.podEvent(type, pod));
  }

  /** After the Pod cache is filled: workers for bound Pods, cleanup of state whose Pod is gone, then the poll loop. */
  start(): void {
    this.reportLimits();
    for (const pod of this.pods.list()) this.podEvent('ADDED', pod);
    for (const uid of podDirectories(this.dataDir)) {
      if (this.workers.has(uid)) continue;
      this.removeOrphan(uid);
    }
    this.poller = setInterval(() => this.poll(), this.pollMs);
    this.poller.unref();
  }

  /** Stops reconciling; processes keep running and are re-adopted by the next start. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.poller);
    await Promise.all([...this.workers.values()].map((w) => w.stop()));
    this.ctx.spawner?.close();
  }

  /** Logs what the node enforces, and tells the Node's events what it does not. */
  private reportLimits(): void {
    const status = this.ctx.cgroups.status;
    this.log.info({ cgroups: status.layout, cpu: status.cpu, pids: status.pids, memory: status.memory, tracked: status.tracked }, 'container limits');
    const missing: string[] = [];
    if (!status.cpu) missing.push('limits.cpu');
    if (!status.pids) missing.push('the number of processes per Pod');
    if (!status.tracked) missing.push('finding processes that leave their Pod by cgroup (an environment marker stands in)');
    if (missing.length === 0) return;
    const message = `Not enforced on this node: ${missing.join(', ')}. ${status.notes.join('; ')}`.trim();
    this.log.warn({ notEnforced: missing, notes: status.notes }, 'container limits not enforced on this node');
    this.events.record({ apiVersion: 'v1', kind: 'Node', metadata: { name: this.nodeName, uid: this.nodeName } }, 'Warning', 'ResourceLimitsNotEnforced', message);
  }

  worker(uid: string): PodWorker | undefined {
    return this.workers.get(uid);
  }

  private podEvent(type: string, pod: Pod): void {
    if (this.stopped) return;
    const uid = pod.metadata.uid ?? '';
    let worker = this.workers.get(uid);
    if (type === 'DELETED') {
      worker?.update(undefined);
      if (!worker && podDirectories(this.dataDir).includes(uid)) this.removeOrphan(uid);
      return;
    }
    if (pod.spec.nodeName !== this.nodeName) return;
    if (!worker) {
      worker = new PodWorker({ ctx: this.ctx, uid, pod });
      // A finished Pod with nothing on disk has nothing left to run or clean up.
      if (isTerminal(pod) && !worker.hasState && !pod.metadata.deletionTimestamp) return;
      this.workers.set(uid, worker);
    }
    worker.update(pod);
  }

  /** State of a Pod that no longer exists: kill its processes (checking start times against pid reuse) and delete it. */
  private removeOrphan(uid: string): void {
    const paths = new PodPaths({ dataDir: this.dataDir, uid });
    const cgroups: string[] = [];
    for (const record of readContainerRecords(paths).values()) {
      const run = record.running;
      if (run?.pid !== undefined && isAlive(run.pid, run.startTicks)) signalGroup(run.pid, 'SIGKILL');
      if (!run) continue;
      const dirs = recordedCgroups(run.cgroups, uid, record.name);
      cgroups.push(...dirs);
      if (dirs.length === 0) killByEnv(runMarker(uid, record.name, run.attempt));
    }
    void this.ctx.cgroups.releasePod(uid, cgroups);
    void this.ctx.containers.releasePod(uid).catch((err: unknown) => this.log.warn({ err, uid }, 'releasing the containers of a removed pod failed'));
    this.log.info({ uid }, 'removing state of a pod that no longer exists');
    removePodState(paths);
  }

  private poll(): void {
    if (this.stopped) return;
    try {
      const limited = new Set<number>();
      for (const w of this.workers.values()) for (const pgid of w.limitedGroups()) limited.add(pgid);
      const rss = groupResidentBytes(limited);
      for (const w of this.workers.values()) w.poll(rss);
    } catch (err) {
      this.log.warn({ err }, 'process poll failed');
    }
  }
}
