// One Pod's lifecycle on this node: start init containers then containers as process groups, restart, kill, report.
import { spawn, type ChildProcess, type StdioOptions } from 'node:child_process';
import { accessSync, appendFileSync, closeSync, constants, existsSync, mkdirSync, openSync, readFileSync, rmSync, statSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import type { Writable } from 'node:stream';
import { constants as osConstants } from 'node:os';
import { FloeError } from '../api/errors.js';
import type { Logger } from '../api/logger.js';
import type { Client } from '../client/client.js';
import { resolveImage, type ImageRule, type KubeletTiming } from './config.js';
import { containerEnv, ContainerConfigError, expand, type EnvContext, type EnvLookups } from './container-env.js';
import type { EventRecorder } from './events.js';
import { findByCommandLine, isAlive, killByEnv, readProcStat, signalGroup } from './proc.js';
import { killCgroupRound, recordedCgroups, releaseCgroups, type Cgroups, type RunLimits } from './cgroups.js';
import { removeLogFiles, rotateLog, type LogRotation } from './logs.js';
import { closeStdinFds, ContainerStdin } from './stdin.js';
import { parseQuantity } from '../api/builtin/quantity.js';
import { computePodStatus, outcome, type Waiting } from './pod-status.js';
import { ContainerProbes, runProbe, type ProbeKind, type ProbeResult, type ProbeTarget } from './probes.js';
import {
  PodPaths,
  readContainerRecords,
  readExitCode,
  readJson,
  removePodState,
  writeJson,
  type ContainerRecord,
  type PodRecord,
  type RunRecord,
} from './pod-state.js';
import { containerGpuCount, containerMemoryLimit, podRequests, GpuResource } from './resources.js';
import { PodRef, isTerminal, type ContainerSpec, type Pod } from './types.js';
import { containerMounts, mapMountPaths, prepareVolumes, volumeEnvName, type Mount, type VolumeLookups } from './volumes.js';
import { hostUsersOff } from './userns.js';
import { ContainerRuntime, CreateContainerError, memoryLimitReached, PullError, RuntimeAnnotation, type PreparedBundle } from './container-runtime.js';
import type { ImageRecord } from '../images/index.js';
import type { SpawnedRun, Spawner } from './spawner.js';

/**
 * The wrapper every container runs under: it first moves itself into the run's cgroups ($2 directories follow), so
 * that nothing it starts is ever outside them; it ignores the polite signals itself (the group's real process gets
 * them), waits for the command, and writes its exit code to the file named by $1, so the code survives a Floe restart.
 * The code is written in place (one write, by the shell itself): the file is read only once the wrapper has ended
 * (its exit event, or a restarted Floe finding it gone), and a wrapper killed before writing leaves an empty file,
 * read as no code, as a missing one is. A rename through `mv` cost a fork and exec on every Pod's path.
 */
const wrapper =
  'trap : TERM INT HUP QUIT; f=$1; n=$2; shift 2; ' +
  'while [ "$n" -gt 0 ]; do echo $$ > "$1/cgroup.procs" || { echo "floe: cannot join cgroup $1" >&2; echo 128 > "$f"; exit 128; }; shift; n=$((n - 1)); done; ' +
  '"$@" 3>&-; s=$?; echo $s > "$f"; exit $s';

/** Without cgroups, every process of a run carries this variable, so a process that left the group is still found. */
export const RunMarkerVariable = 'FLOE_CONTAINER_RUN';

function runMarkerValue(uid: string, container: string, attempt: number): string {
  return `${uid}/${container}/${attempt}`;
}

/** The marker as it appears in /proc/<pid>/environ. */
export function runMarker(uid: string, container: string, attempt: number): string {
  return `${RunMarkerVariable}=${runMarkerValue(uid, container, attempt)}`;
}

export const PodIP = '127.0.0.1';
export const HostIP = '127.0.0.1';

export interface GpuAllocator {
  /** Keeps `existing` when given (recovery), else takes `count` free GPU indices. */
  assign(uid: string, count: number, existing?: number[]): number[];
  release(uid: string): void;
}

/** What every worker shares: the API, the node's settings and the lookups a container start needs. */
export interface WorkerContext {
  client: Client;
  logger: Logger;
  events: EventRecorder;
  dataDir: string;
  nodeName: string;
  images: readonly ImageRule[];
  timing: KubeletTiming;
  /** The part of the host environment every process gets (PATH, HOME, LANG…). */
  baseEnv: Readonly<Record<string, string>>;
  allocatable: Record<string, number>;
  lookups: EnvLookups & VolumeLookups;
  serviceEnv(namespace: string): Record<string, string>;
  /** KUBERNETES_SERVICE_HOST/PORT… for every container; none when absent. */
  apiServerEnv?(): Record<string, string>;
  gpus: GpuAllocator;
  /** The node's cgroups (possibly none), where container runs get their limits. */
  cgroups: Cgroups;
  /** Without a pids cgroup: a command prefix bounding the run's processes another way (prlimit), or none. */
  processBound(): string[];
  logRotation: LogRotation;
  /** OCI containers for images no rule maps (container-runtime.ts). */
  containers: ContainerRuntime;
  /** Every Service (namespace and name), for a container Pod's /etc/hosts. */
  serviceNames(): { namespace: string; name: string }[];
  /** Called once the worker has removed the Pod's state after the Pod is gone. */
  finished(uid: string): void;
  /** Starts container runs as forks of a small helper rather than of Floe (spawner.ts); none: Node's spawn. */
  spawner?: Spawner;
}

/** A running container as `kubectl exec` sees it (PodWorker.execTarget). */
export interface ExecTarget {
  uid: string;
  pod: Pod;
  container: ContainerSpec;
  attempt: number;
  /** The run's cgroups (none on a node without them): an exec'd process joins them, so limits and kills reach it. */
  cgroups: string[];
  /** `FLOE_CONTAINER_RUN=…`: without cgroups, how the run's processes are found (and killed). */
  marker: string;
  /** The container's environment and working directory (host processes). */
  env: Record<string, string>;
  cwd: string;
  /** For an OCI container: `runc … exec <id>`, the command runs inside it with the container's own env and cwd. */
  execPrefix?: string[];
  /** For an OCI container: runc's state file, there once `runc run` has created the container. */
  containerState?: string;
  /** Without a pids cgroup: the prlimit prefix the container's own command ran under. */
  processBound: string[];
}

interface ExitInfo {
  code?: number | null;
  signal?: NodeJS.Signals | null;
  error?: Error;
}

/** A container Floe cannot run at all (no command, an unsupported image): kubelet's CreateContainerError. */
class CannotRunError extends Error {}

interface Launch {
  argv: string[];
  env: Record<string, string>;
  cwd: string;
  /** Set for a container that runs from its image (an OCI container), with what its bundle is built from. */
  container?: { image: ImageRecord; podEnv: Record<string, string>; mounts: Mount[]; dirs: Map<string, string> };
}

/** PATH of the wrapper and runc when a container runs in an OCI container (its own environment is in config.json). */
const runtimePath = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

export class PodWorker {
  readonly uid: string;
  readonly paths: PodPaths;
  private readonly ctx: WorkerContext;
  private readonly log: Logger;
  private pod: Pod | undefined;
  private gone = false;
  private podRecord: PodRecord | undefined;
  private readonly records: Map<string, ContainerRecord>;
  /** Runs whose exit this worker is told of (Node's child processes, or the spawner's runs). */
  private readonly children = new Map<string, ChildProcess | SpawnedRun>();
  /** The stdin of each running container that asked for one (`stdin: true`), for `kubectl attach`. */
  private readonly stdins = new Map<string, ContainerStdin>();
  private readonly waiting = new Map<string, Waiting>();
  private readonly warned = new Set<string>();
  private readonly logIndexed = new Map<string, number>();
  /** Probes of the current run of each container that has any. */
  private readonly probes = new Map<string, ContainerProbes>();
  /** How each container was launched (exec probes run with its environment); rebuilt for adopted processes. */
  private readonly launches = new Map<string, Launch>();
  private terminating: { deadline: number; killed: boolean; deleteSent: boolean } | undefined;
  private recovered = false;
  private retryAt: number | undefined;
  private syncing: Promise<void> | undefined;
  private dirty = false;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private done = false;

  constructor(options: { ctx: WorkerContext; uid: string; pod?: Pod }) {
    this.ctx = options.ctx;
    this.uid = options.uid;
    this.pod = options.pod;
    this.paths = new PodPaths({ dataDir: options.ctx.dataDir, uid: options.uid });
    this.podRecord = readJson<PodRecord>(this.paths.podFile);
    this.records = readContainerRecords(this.paths);
    if (this.podRecord?.gpus.length) this.ctx.gpus.assign(this.uid, this.podRecord.gpus.length, this.podRecord.gpus);
    const name = options.pod ? `${options.pod.metadata.namespace ?? ''}/${options.pod.metadata.name ?? ''}` : this.podRecord ? `${this.podRecord.namespace}/${this.podRecord.name}` : options.uid;
    this.log = options.ctx.logger.child({ pod: name, uid: options.uid });
  }

  /** Whether the worker has state worth keeping a worker for (something ran, or the Pod is still to run). */
  get hasState(): boolean {
    return this.podRecord !== undefined;
  }

  get finishedForGood(): boolean {
    return this.done;
  }

  record(container: string): ContainerRecord | undefined {
    return this.records.get(container);
  }

  /** Whether the run `attempt` of `container` is still going (for `logs --follow`). */
  isRunning(container: string, attempt: number): boolean {
    return this.records.get(container)?.running?.attempt === attempt && !this.done && !this.stopped;
  }

  update(pod: Pod | undefined): void {
    if (pod) this.pod = pod;
    else this.gone = true;
    this.kick();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    // Floe's ends of the containers' stdins close; the wrappers keep theirs, and the next Floe opens them again.
    for (const stdin of this.stdins.values()) stdin.detach();
    this.stdins.clear();
    await this.syncing;
  }

  /**
   * What `kubectl attach -i` writes into: the running container's stdin (reopened after a Floe restart); undefined when
   * the container has none (`stdin` unset), or its `stdinOnce` stream went to an earlier attach.
   */
  attachStdin(name: string): Writable | undefined {
    const run = this.records.get(name)?.running;
    const container = this.containerSpec(name)?.container;
    if (!run || container?.stdin !== true || this.done || this.stopped || this.terminating) return undefined;
    let stdin = this.stdins.get(name);
    if (!stdin) {
      stdin = ContainerStdin.reopen(this.paths.stdinFifo(name, run.attempt), container.stdinOnce === true);
      if (stdin) this.stdins.set(name, stdin);
    }
    return stdin?.attach();
  }

  kick(): void {
    if (this.stopped || this.done) return;
    this.dirty = true;
    if (this.syncing) return;
    this.syncing = (async () => {
      // Yield once so `this.syncing` is set before the first sync: a kick() from inside it (recovery finishing a run
      // calls exited(), which kicks) must not start a second loop that starts the same container again.
      await Promise.resolve();
      while (this.dirty && !this.stopped && !this.done) {
        this.dirty = false;
        try {
          await this.sync();
        } catch (err) {
          this.log.warn({ err }, 'pod sync failed; retrying');
          this.retryAt = Date.now() + this.ctx.timing.configRetryMs;
          this.arm();
        }
      }
    })().finally(() => (this.syncing = undefined));
  }

  /** Checks running processes: adopted ones for exit, memory against limits, log growth for timestamps. */
  poll(rss: ReadonlyMap<number, number>): void {
    if (this.stopped || this.done) return;
    for (const record of this.records.values()) {
      const run = record.running;
      if (!run) continue;
      this.indexLog(record.name, run.attempt);
      if (run.pid === undefined) continue;
      if (!this.children.has(record.name) && !isAlive(run.pid, run.startTicks)) {
        this.exited(record.name, run.attempt, {});
        continue;
      }
      const limit = this.memoryLimit(record.name);
      const used = rss.get(run.pid);
      if (limit !== undefined && used !== undefined && used > limit && !record.killReason) {
        record.killReason = 'OOMKilled';
        record.killMessage = `the container's processes used ${Math.round(used / 2 ** 20)}Mi, over its memory limit of ${Math.round(limit / 2 ** 20)}Mi`;
        this.persist(record);
        this.killRun(record.name, run);
        if (this.pod) this.ctx.events.record(this.pod, 'Warning', 'OOMKilled', `Container ${record.name} exceeded its memory limit and was killed: ${record.killMessage}`, this.fieldPath(record.name));
      }
      this.probeTick(record);
    }
  }

  /** Starts the probes of a running container that are due; their results arrive in `probed`. */
  private probeTick(record: ContainerRecord): void {
    const run = record.running;
    const found = this.containerSpec(record.name);
    if (!run || run.pid === undefined || !found || found.init || !ContainerProbes.wanted(found.container)) return;
    let probes = this.probes.get(record.name);
    if (!probes || probes.attempt !== run.attempt) {
      probes = new ContainerProbes(found.container, run.attempt, Date.parse(run.startedAt));
      this.probes.set(record.name, probes);
    }
    const current = probes;
    for (const { kind, spec } of current.take(Date.now())) {
      this.probeTarget(found.container)
        .then((target) => runProbe(spec, target))
        .catch((err: unknown) => ({ ok: false, message: err instanceof Error ? err.message : String(err) }))
        .then((result) => this.probed(record.name, current, kind, result), (err: unknown) => this.log.warn({ err }, 'probe handling failed'));
    }
  }

  private async probeTarget(container: ContainerSpec): Promise<ProbeTarget> {
    const containerId = this.records.get(container.name)?.running?.containerId;
    if (containerId) return { container, env: {}, cwd: '/', execPrefix: this.ctx.containers.execPrefix(containerId) };
    let launch = this.launches.get(container.name);
    if (!launch && this.pod) {
      launch = await this.prepare(this.pod, container);
      this.launches.set(container.name, launch);
    }
    return { container, env: launch?.env ?? { PATH: this.ctx.baseEnv.PATH ?? '/usr/bin:/bin' }, cwd: launch?.cwd ?? this.paths.workDir };
  }

  /**
   * What `kubectl exec` into a running container needs (exec.ts): the run, its cgroups, and the environment and working
   * directory it was launched with (an OCI container: `runc exec` with its id instead). Undefined when it is not running.
   */
  async execTarget(name: string): Promise<ExecTarget | undefined> {
    const run = this.records.get(name)?.running;
    const found = this.containerSpec(name);
    if (!this.pod || !run || run.pid === undefined || !found || this.done || this.stopped || this.terminating) return undefined;
    const pod = this.pod;
    const target = await this.probeTarget(found.container);
    const cgroups = recordedCgroups(run.cgroups, this.uid, name);
    return {
      uid: this.uid,
      pod,
      container: found.container,
      attempt: run.attempt,
      cgroups,
      marker: runMarker(this.uid, name, run.attempt),
      env: target.env,
      cwd: target.cwd,
      ...(target.execPrefix && target.execPrefix.length > 0 ? { execPrefix: target.execPrefix } : {}),
      ...(run.containerId ? { containerState: join(this.ctx.containers.stateRoot, run.containerId, 'state.json') } : {}),
      processBound: cgroups.length > 0 && this.ctx.cgroups.status.pids ? [] : this.ctx.processBound(),
    };
  }

  /** A probe result: readiness changes rewrite the status; a failed liveness (or startup) probe restarts the container. */
  private probed(name: string, probes: ContainerProbes, kind: ProbeKind, result: ProbeResult): void {
    const record = this.records.get(name);
    const run = record?.running;
    if (this.stopped || !record || !run || run.attempt !== probes.attempt || this.probes.get(name) !== probes) return;
    const outcome = probes.record(kind, result, Date.now());
    if (!outcome || !this.pod) return;
    const fieldPath = this.fieldPath(name);
    const title = `${kind[0]!.toUpperCase()}${kind.slice(1)}`;
    switch (outcome.kind) {
      case 'ready-changed':
      case 'started':
        this.kick();
        return;
      case 'failed':
        this.ctx.events.record(this.pod, 'Warning', 'Unhealthy', `${title} probe failed: ${outcome.message}`, fieldPath);
        return;
      case 'liveness-failed': {
        this.ctx.events.record(this.pod, 'Warning', 'Unhealthy', outcome.message, fieldPath);
        const why = kind === 'startup' ? 'startup' : 'liveness';
        this.ctx.events.record(this.pod, 'Normal', 'Killing', `Container ${name} failed ${why} probe, will be restarted`, fieldPath);
        this.probes.delete(name);
        if (run.pid === undefined) return;
        const pid = run.pid;
        const grace = (this.pod.spec as { terminationGracePeriodSeconds?: number }).terminationGracePeriodSeconds ?? 30;
        signalGroup(pid, grace > 0 ? 'SIGTERM' : 'SIGKILL');
        if (grace > 0) {
          setTimeout(() => {
            if (this.records.get(name)?.running?.attempt === probes.attempt) signalGroup(pid, 'SIGKILL');
          }, grace * 1000).unref();
        }
        this.kick();
        return;
      }
    }
  }

  /** Process groups with a memory limit, for the runtime's one /proc scan per poll. */
  limitedGroups(): number[] {
    const out: number[] = [];
    for (const record of this.records.values()) {
      // A container run's processes are not in the wrapper's group, and its memory limit is the kernel's (its cgroup).
      if (record.running?.pid !== undefined && record.running.containerId === undefined && this.memoryLimit(record.name) !== undefined) out.push(record.running.pid);
    }
    return out;
  }

  private memoryLimit(name: string): number | undefined {
    const spec = this.containerSpec(name);
    return spec ? containerMemoryLimit(spec.container) : undefined;
  }

  /**
   * terminationMessagePolicy FallbackToLogsOnError: a failed run that wrote no message gets its log's last 80 lines,
   * at most 2048 bytes (the kubelet's limits).
   */
  private logFallback(name: string, attempt: number, exitCode: number): string | undefined {
    if (exitCode === 0 || this.containerSpec(name)?.container.terminationMessagePolicy !== 'FallbackToLogsOnError') return undefined;
    try {
      const lines = readFileSync(this.paths.logFile(name, attempt)).subarray(-64 * 1024).toString('utf8').split('\n');
      if (lines.at(-1) === '') lines.pop();
      const tail = Buffer.from(lines.slice(-80).join('\n'));
      return tail.length > 0 ? tail.subarray(-2048).toString('utf8') : undefined;
    } catch {
      return undefined;
    }
  }

  private containerSpec(name: string): { container: ContainerSpec; init: boolean } | undefined {
    const spec = this.pod?.spec;
    const init = spec?.initContainers?.find((c) => c.name === name);
    if (init) return { container: init, init: true };
    const main = spec?.containers.find((c) => c.name === name);
    return main ? { container: main, init: false } : undefined;
  }

  private fieldPath(name: string): string {
    return this.containerSpec(name)?.init ? `spec.initContainers{${name}}` : `spec.containers{${name}}`;
  }

  private async sync(): Promise<void> {
    if (!this.recovered) this.recover();
    const pod = this.pod;
    if (this.gone || !pod) return this.teardown();
    if (pod.metadata.deletionTimestamp) return this.terminate(pod);
    if (!this.podRecord) {
      // A Pod that already finished (its state gone with an old data dir) is not run again.
      if (isTerminal(pod)) return;
      const gpus = this.ctx.gpus.assign(this.uid, Math.ceil(podRequests(pod.spec)[GpuResource] ?? 0));
      this.podRecord = { uid: this.uid, namespace: pod.metadata.namespace ?? '', name: pod.metadata.name ?? '', startTime: new Date().toISOString(), gpus };
      writeJson(this.paths.podFile, this.podRecord);
    }
    await this.advance(pod);
    const status = await this.writeStatus(this.pod ?? pod);
    if (status === 'Succeeded' || status === 'Failed') this.ctx.gpus.release(this.uid);
    this.arm();
  }

  /** Starts what is due: the next init container, else every container that has not started or whose back-off ended. */
  private async advance(pod: Pod): Promise<void> {
    const now = Date.now();
    for (const c of pod.spec.initContainers ?? []) {
      const record = this.records.get(c.name);
      const state = outcome(record);
      if (state === 'done' && record!.lastTermination!.exitCode === 0) continue;
      if (state === 'never' || (state === 'restarting' && now >= record!.restartAt!)) await this.start(pod, c);
      return;
    }
    for (const c of pod.spec.containers) {
      if (this.stopped || this.gone) return;
      const record = this.records.get(c.name);
      const state = outcome(record);
      if (state === 'never' || (state === 'restarting' && now >= record!.restartAt!)) await this.start(pod, c);
    }
  }

  private async start(pod: Pod, container: ContainerSpec): Promise<void> {
    let launch: Launch;
    let bundle: PreparedBundle | undefined;
    try {
      launch = await this.prepare(pod, container);
      if (launch.container) {
        const { image, podEnv, mounts, dirs } = launch.container;
        const attempt = this.records.get(container.name)?.started ?? 0;
        bundle = await this.ctx.containers.prepareBundle({ pod, container, attempt, image, podRoot: this.paths.root, podEnv, mounts, volumeDirs: dirs, services: this.ctx.serviceNames() });
        launch = { ...launch, env: bundle.env, cwd: bundle.cwd };
      }
    } catch (err) {
      if (err instanceof PullError) {
        // ErrImagePull, then ImagePullBackOff until the back-off ends (the runtime's events say what failed).
        this.waiting.set(container.name, { reason: err.reason, message: err.message });
        this.ctx.events.record(pod, 'Warning', 'Failed', `Error: ${err.reason}`, this.fieldPath(container.name));
        const at = err.retryAt ?? Date.now() + this.ctx.timing.configRetryMs;
        this.retryAt = this.retryAt !== undefined && this.retryAt > Date.now() ? Math.min(this.retryAt, at) : at;
        return;
      }
      if (!(err instanceof ContainerConfigError || err instanceof CannotRunError || err instanceof CreateContainerError)) throw err;
      const reason = err instanceof ContainerConfigError ? 'CreateContainerConfigError' : 'CreateContainerError';
      this.waiting.set(container.name, { reason, message: err.message });
      const key = `${container.name}\u0000${err.message}`;
      if (!this.warned.has(key)) {
        this.warned.add(key);
        this.ctx.events.record(pod, 'Warning', 'Failed', `Error: ${err.message}`, this.fieldPath(container.name));
      }
      if (err instanceof ContainerConfigError) this.retryAt = Date.now() + this.ctx.timing.configRetryMs;
      return;
    }
    this.waiting.delete(container.name);
    const record: ContainerRecord = this.records.get(container.name) ?? { name: container.name, started: 0, backoffMs: 0 };
    this.records.set(container.name, record);
    const attempt = record.started;
    record.started += 1;
    record.running = { attempt, startedAt: new Date().toISOString() };
    delete record.restartAt;
    delete record.killReason;
    delete record.killMessage;
    if (bundle) {
      record.running.containerId = bundle.id;
      this.persist(record);
      return this.startContainer(pod, container, record, attempt, launch, bundle);
    }
    const program = launch.argv[0] ?? '';
    if (!this.executable(program, launch.env.PATH ?? '', launch.cwd)) {
      const message = program.includes('/') ? `exec: "${program}": stat ${program}: no such file or directory` : `exec: "${program}": executable file not found in $PATH`;
      appendFileSync(this.openLog(container.name, attempt), `${message}\n`);
      this.exited(container.name, attempt, { error: new Error(message) });
      return;
    }
    const exitFile = this.paths.exitFile(container.name, attempt);
    mkdirSync(join(exitFile, '..'), { recursive: true });
    rmSync(exitFile, { force: true });
    this.prune(container.name, attempt);
    const cgroups = this.runCgroups(pod, container, attempt);
    if (cgroups.length > 0) record.running.cgroups = cgroups;
    // Recorded before the spawn: a restarted Floe knows the attempt and its cgroups even if the spawn never happened.
    this.persist(record);
    // Without cgroups the marker stands in for membership (see killMembers), and a prlimit prefix may bound processes.
    const env = cgroups.length > 0 ? launch.env : { ...launch.env, [RunMarkerVariable]: runMarkerValue(this.uid, container.name, attempt) };
    const argv = [...(cgroups.length > 0 && this.ctx.cgroups.status.pids ? [] : this.ctx.processBound()), ...launch.argv];
    const pid = await this.spawnRun(container, attempt, launch, { exitFile, cgroups, argv }, { cwd: launch.cwd, env });
    if (pid === undefined) return;
    this.started(pod, container.name, record, record.running, pid, { attempt }, 'started container');
  }

  /**
   * A run in an OCI container: `runc run` in the foreground under the same wrapper as a process (exit file, log file,
   * process group), so restarts, logs, probes, deletion and re-adoption work alike. runc puts the container into its
   * own cgroup below the run's (config.json), so the wrapper joins none; the container's processes are found by cgroup.
   */
  private async startContainer(pod: Pod, container: ContainerSpec, record: ContainerRecord, attempt: number, launch: Launch, bundle: PreparedBundle): Promise<void> {
    const run = record.running!;
    if (bundle.startError) {
      appendFileSync(this.openLog(container.name, attempt), `${bundle.startError}\n`);
      this.exited(container.name, attempt, { error: new Error(bundle.startError) });
      return;
    }
    const exitFile = this.paths.exitFile(container.name, attempt);
    mkdirSync(join(exitFile, '..'), { recursive: true });
    rmSync(exitFile, { force: true });
    this.prune(container.name, attempt);
    const cgroups = this.runCgroups(pod, container, attempt);
    if (cgroups.length > 0) run.cgroups = cgroups;
    this.persist(record);
    const limits: { cpuQuotaUs?: number; memoryBytes?: number } = {};
    const cpu = parseQuantity(container.resources?.limits?.cpu);
    if (cpu !== undefined && cpu > 0) limits.cpuQuotaUs = Math.max(1000, Math.ceil(cpu * 100_000));
    const memory = containerMemoryLimit(container);
    if (memory !== undefined) limits.memoryBytes = memory;
    this.ctx.containers.writeConfig(bundle, { uid: this.uid, container: container.name, attempt, cgroups, limits });
    const pid = await this.spawnRun(container, attempt, launch, { exitFile, cgroups: [], argv: bundle.argv }, { cwd: bundle.dir, env: { PATH: runtimePath } });
    if (pid === undefined) return;
    this.started(pod, container.name, record, run, pid, { attempt, id: bundle.id }, 'started container in an OCI container');
  }

  /**
   * Spawns a run's wrapper (`/bin/sh`; it writes the exit file) in its own process group and `cgroups`, its output into
   * the run's log file, its stdin a FIFO when the container asks for one (stdin.ts), else /dev/null. Through the
   * spawner where there is one: no fork of Floe itself, and the run is placed in its cgroups as it is created rather
   * than moved there by the wrapper. Else, and for a stdin FIFO, with Node's spawn.
   */
  private async spawnRun(container: ContainerSpec, attempt: number, launch: Launch, run: { exitFile: string; cgroups: readonly string[]; argv: readonly string[] }, options: { cwd: string; env: NodeJS.ProcessEnv }): Promise<number | undefined> {
    const name = container.name;
    const log = this.openLog(name, attempt);
    const spawner = this.ctx.spawner;
    const joined = ['-c', wrapper, 'floe-container', run.exitFile, String(run.cgroups.length), ...run.cgroups, ...run.argv];
    if (spawner?.available && container.stdin !== true) {
      this.stdins.get(name)?.close();
      this.stdins.delete(name);
      let spawned: SpawnedRun;
      try {
        const cgroups = run.cgroups.map((dir) => ({ version: this.ctx.cgroups.versionOf(dir), dir }));
        spawned = await spawner.spawn({ argv: ['/bin/sh', '-c', wrapper, 'floe-container', run.exitFile, '0', ...run.argv], cwd: options.cwd, env: options.env, log, cgroups });
      } catch (err) {
        if (spawner.available) {
          const why = (err as Error).message;
          appendFileSync(log, `floe: cannot start the container: ${why}\n`);
          this.exited(name, attempt, { error: err as Error });
          return undefined;
        }
        return this.spawnRunWithNode(container, attempt, launch, joined, options, log); // the helper died meanwhile
      }
      // Handled on the next turn, after the caller has recorded the start (the end may already be known).
      spawned.onExit((code, signal) => setImmediate(() => this.exited(name, attempt, { code, signal })));
      // The helper died: the run goes on, watched by pid and exit file (poll) as a re-adopted one is.
      spawned.onLost(() => {
        if (this.children.get(name) === spawned) this.children.delete(name);
      });
      this.track(name, spawned, launch);
      return spawned.pid;
    }
    return this.spawnRunWithNode(container, attempt, launch, joined, options, log);
  }

  private spawnRunWithNode(container: ContainerSpec, attempt: number, launch: Launch, args: string[], options: { cwd: string; env: NodeJS.ProcessEnv }, log: string): number | undefined {
    const name = container.name;
    const fd = openSync(log, 'a', 0o600);
    this.stdins.get(name)?.close();
    this.stdins.delete(name);
    const input = container.stdin === true ? ContainerStdin.create(this.paths.stdinFifo(name, attempt), container.stdinOnce === true) : undefined;
    let child: ChildProcess;
    try {
      const stdio: StdioOptions = input ? [input.fds.read, fd, fd, ...(input.fds.hold !== undefined ? [input.fds.hold] : [])] : ['ignore', fd, fd];
      child = spawn('/bin/sh', args, { detached: true, cwd: options.cwd, env: options.env, stdio });
    } finally {
      closeSync(fd);
      closeStdinFds(input?.fds);
    }
    if (input) this.stdins.set(name, input.stdin);
    child.once('error', (err) => this.exited(name, attempt, { error: err }));
    if (child.pid === undefined) return undefined;
    child.once('exit', (code, signal) => this.exited(name, attempt, { code, signal }));
    child.unref();
    this.track(name, child, launch);
    return child.pid;
  }

  private track(name: string, child: ChildProcess | SpawnedRun, launch: Launch): void {
    this.children.set(name, child);
    this.launches.set(name, launch);
    this.probes.delete(name);
  }

  /** Records a started run (pid and start time, so a restarted Floe can tell it from a reused pid) and its events. */
  private started(pod: Pod, name: string, record: ContainerRecord, run: NonNullable<ContainerRecord['running']>, pid: number, fields: Record<string, unknown>, message: string): void {
    run.pid = pid;
    const startTicks = readProcStat(pid)?.startTicks;
    if (startTicks !== undefined) run.startTicks = startTicks;
    this.persist(record);
    this.log.debug({ container: name, pid, ...fields }, message);
    const fieldPath = this.fieldPath(name);
    this.ctx.events.record(pod, 'Normal', 'Created', `Created container: ${name}`, fieldPath);
    this.ctx.events.record(pod, 'Normal', 'Started', `Started container ${name}`, fieldPath);
  }

  /** Keeps the logs of the current and the previous run only, as the kubelet does. */
  private prune(container: string, attempt: number): void {
    for (let old = attempt - 2; old >= 0; old--) {
      const log = this.paths.logFile(container, old);
      if (!existsSync(log)) break;
      removeLogFiles(log);
      rmSync(this.paths.exitFile(container, old), { force: true });
    }
  }

  /**
   * The cgroups of a container run, with its limits set; none where the node has none or they cannot be made, and
   * then a Warning event says which of the container's limits the node does not enforce.
   */
  private runCgroups(pod: Pod, container: ContainerSpec, attempt: number): string[] {
    const limits: RunLimits = {};
    const cpu = parseQuantity(container.resources?.limits?.cpu);
    if (cpu !== undefined && cpu > 0) limits.cpuMilli = cpu * 1000;
    const memory = containerMemoryLimit(container);
    if (memory !== undefined) limits.memoryBytes = memory;
    let dirs: string[] = [];
    let failure: string | undefined;
    try {
      dirs = this.ctx.cgroups.createRun(this.uid, container.name, attempt, limits);
    } catch (err) {
      failure = err instanceof Error ? err.message : String(err);
      this.log.warn({ err, container: container.name }, 'could not create the cgroups of a container; its limits are not enforced');
    }
    if (limits.cpuMilli !== undefined && (dirs.length === 0 || !this.ctx.cgroups.status.cpu)) {
      const why = failure ?? (this.ctx.cgroups.status.notes.join('; ') || 'the node has no usable cgroups');
      const message = `limits.cpu of container ${container.name} is not enforced on this node: ${why}`;
      const key = `limits\u0000${message}`;
      if (!this.warned.has(key)) {
        this.warned.add(key);
        this.ctx.events.record(pod, 'Warning', 'ResourceLimitsNotEnforced', message, this.fieldPath(container.name));
      }
    }
    return dirs;
  }

  /** SIGKILL to all of a run: its process group, and its cgroups' members (or, without cgroups, its marked processes). */
  private killRun(name: string, run: RunRecord): void {
    if (run.pid !== undefined) signalGroup(run.pid, 'SIGKILL');
    this.killMembers(name, run);
  }

  /** Processes of a run outside its process group too (a `setsid` child): by cgroup, or by the run's env marker. */
  private killMembers(name: string, run: RunRecord): void {
    const cgroups = recordedCgroups(run.cgroups, this.uid, name);
    if (cgroups.length > 0) killCgroupRound(cgroups);
    else killByEnv(runMarker(this.uid, name, run.attempt));
  }

  private openLog(container: string, attempt: number): string {
    mkdirSync(this.paths.logDir(container), { recursive: true });
    return this.paths.logFile(container, attempt);
  }

  private executable(program: string, path: string, cwd: string): boolean {
    const candidates = program.includes('/') ? [isAbsolute(program) ? program : join(cwd, program)] : path.split(':').map((dir) => join(dir || '.', program));
    return candidates.some((file) => {
      try {
        accessSync(file, constants.X_OK);
        return statSync(file).isFile();
      } catch {
        return false;
      }
    });
  }

  /** Command line, environment and working directory of the container, with mount paths mapped to host folders. */
  private async prepare(pod: Pod, container: ContainerSpec): Promise<Launch> {
    const image = container.image ?? '';
    const resolved = resolveImage(this.ctx.images, image);
    // Images no rule maps to a local environment run from the image when Floe has it or can pull it (docs/adr/0010);
    // the Pod's floe.dev/runtime annotation can ask for either runtime whatever the image table says.
    const annotated = pod.metadata.annotations?.[RuntimeAnnotation];
    // A user namespace exists only in a container: such a Pod never runs as a host process (as root).
    if (hostUsersOff(pod) && annotated === 'process') throw new CannotRunError(`pod asks for hostUsers: false, which needs a container, and its ${RuntimeAnnotation} annotation asks for a host process`);
    const wanted = hostUsersOff(pod) ? 'container' : annotated;
    if (wanted !== 'process' && (wanted === 'container' || resolved.kind === 'unsupported' || resolved.pattern === undefined)) {
      const fieldPath = this.fieldPath(container.name);
      const events = (type: 'Normal' | 'Warning', reason: string, message: string): void => this.ctx.events.record(pod, type, reason, message, fieldPath);
      const decision = await this.ctx.containers.decide(pod, container, events, { hostFallback: wanted !== 'container' });
      if (decision.kind === 'container') return this.prepareContainer(pod, container, decision.image);
    }
    if (resolved.kind === 'unsupported') {
      throw new CannotRunError(`image "${image}" cannot run on this machine: it matches "${resolved.pattern}", which Floe's image table marks unsupported${resolved.reason ? ` (${resolved.reason})` : ''}`);
    }
    const command = container.command && container.command.length > 0 ? container.command : resolved.env.command;
    if (!command || command.length === 0) {
      throw new CannotRunError(
        `container "${container.name}" has no command: Floe runs containers as host processes and cannot run the entrypoint of image "${image}"; set command (and args) in the Pod spec`,
      );
    }
    const envCtx: EnvContext = { podIP: PodIP, hostIP: HostIP, nodeName: this.ctx.nodeName, allocatable: this.ctx.allocatable, serviceEnv: this.ctx.serviceEnv(pod.metadata.namespace ?? 'default'), apiServerEnv: this.ctx.apiServerEnv?.() ?? {} };
    const podEnv = await containerEnv(pod, container, this.ctx.lookups, envCtx);
    const dirs = await prepareVolumes(pod, this.paths, this.ctx.dataDir, this.ctx.lookups, envCtx);
    const mounts = containerMounts(container, dirs, pod);
    const imageEnv = resolved.env;
    const basePath = this.ctx.baseEnv.PATH ?? '/usr/local/bin:/usr/bin:/bin';
    const env: Record<string, string> = { ...this.ctx.baseEnv, ...(imageEnv.env ?? {}) };
    env.PATH = [...(imageEnv.pathPrepend ?? []), imageEnv.env?.PATH ?? basePath].join(':');
    env.HOSTNAME = pod.spec.hostname ?? pod.metadata.name ?? '';
    const expandWith = { ...env, ...podEnv };
    const argv = [...command, ...(container.args ?? [])].map((a) => mapMountPaths(expand(a, expandWith), mounts));
    for (const [k, v] of Object.entries(podEnv)) env[k] = mapMountPaths(v, mounts);
    for (const [name, dir] of dirs) env[volumeEnvName(name)] = dir;
    env.CUDA_VISIBLE_DEVICES = this.gpusFor(pod, container).join(',');
    return { argv, env, cwd: this.workingDir(container.workingDir ? mapMountPaths(expand(container.workingDir, expandWith), mounts) : undefined) };
  }

  /** What an OCI container's bundle is built from: the Pod's variables and volumes (the image gives the rest). */
  private async prepareContainer(pod: Pod, container: ContainerSpec, image: ImageRecord): Promise<Launch> {
    const envCtx: EnvContext = { podIP: PodIP, hostIP: HostIP, nodeName: this.ctx.nodeName, allocatable: this.ctx.allocatable, serviceEnv: this.ctx.serviceEnv(pod.metadata.namespace ?? 'default'), apiServerEnv: this.ctx.apiServerEnv?.() ?? {} };
    const podEnv = await containerEnv(pod, container, this.ctx.lookups, envCtx);
    const dirs = await prepareVolumes(pod, this.paths, this.ctx.dataDir, this.ctx.lookups, envCtx);
    const mounts = containerMounts(container, dirs, pod);
    return { argv: [], env: podEnv, cwd: '/', container: { image, podEnv, mounts, dirs } };
  }

  /** The container's slice of the Pod's GPUs: init containers from the start, containers one after another. */
  private gpusFor(pod: Pod, container: ContainerSpec): number[] {
    const all = this.podRecord?.gpus ?? [];
    const want = containerGpuCount(container);
    if (want === 0) return [];
    if (pod.spec.initContainers?.includes(container)) return all.slice(0, want);
    let offset = 0;
    for (const c of pod.spec.containers) {
      if (c === container) break;
      offset += containerGpuCount(c);
    }
    return all.slice(offset, offset + want);
  }

  /** workingDir when it exists or can be created; otherwise the same path under the Pod's own workdir. */
  private workingDir(wanted: string | undefined): string {
    const fallback = this.paths.workDir;
    mkdirSync(fallback, { recursive: true });
    if (!wanted) return fallback;
    try {
      mkdirSync(wanted, { recursive: true });
      accessSync(wanted, constants.W_OK | constants.X_OK);
      return wanted;
    } catch {
      const mapped = join(fallback, wanted);
      mkdirSync(mapped, { recursive: true });
      return mapped;
    }
  }

  /** Records the end of run `attempt` and decides on a restart (with crash-loop back-off) by the restart policy. */
  private exited(name: string, attempt: number, info: ExitInfo): void {
    if (this.stopped) return;
    const record = this.records.get(name);
    const run = record?.running;
    if (!record || !run || run.attempt !== attempt) return;
    this.children.delete(name);
    this.stdins.get(name)?.close();
    this.stdins.delete(name);
    let exitCode = readExitCode(this.paths.exitFile(name, attempt));
    if (info.error) exitCode ??= 128;
    else if (exitCode === undefined) {
      const signal = info.signal ? osConstants.signals[info.signal] : undefined;
      exitCode = info.code ?? (signal !== undefined ? 128 + signal : 137);
    }
    const cgroups = recordedCgroups(run.cgroups, this.uid, name);
    const oomKilled = cgroups.length > 0 && (this.ctx.cgroups.oomKills(cgroups) > 0 || (run.containerId !== undefined && !this.terminating && memoryLimitReached(cgroups)));
    if (exitCode === 137 && !record.killReason && oomKilled) {
      const limit = this.memoryLimit(name);
      record.killReason = 'OOMKilled';
      record.killMessage = `the kernel stopped a process of the container at its memory limit${limit !== undefined ? ` of ${Math.round(limit / 2 ** 20)}Mi` : ''}`;
      if (this.pod) this.ctx.events.record(this.pod, 'Warning', 'OOMKilled', `Container ${name} exceeded its memory limit and was killed: ${record.killMessage}`, this.fieldPath(name));
    }
    // A container ends when its main process does: what it leaves behind goes too, in its group or its cgroups.
    this.killRun(name, run);
    const written = run.containerId !== undefined ? this.ctx.containers.terminationMessage(this.paths.root, this.uid, name, attempt) : undefined;
    if (run.containerId !== undefined) {
      void this.ctx.containers.finish(this.paths.root, this.uid, name, attempt).catch((err: unknown) => this.log.warn({ err, container: name }, 'cleaning up after a container failed'));
    }
    if (cgroups.length > 0) {
      void releaseCgroups(cgroups).then((ok) => {
        if (!ok) this.log.warn({ container: name, cgroups }, 'processes of a finished container would not die; its cgroups are left');
      });
    }
    const reason = record.killReason === 'OOMKilled' ? 'OOMKilled' : info.error ? 'StartError' : exitCode === 0 ? 'Completed' : 'Error';
    const finishedAt = new Date();
    record.lastTermination = { attempt, exitCode, reason, startedAt: run.startedAt, finishedAt: finishedAt.toISOString() };
    if (run.pid !== undefined) record.lastTermination.pid = run.pid;
    const message = info.error?.message ?? (record.killReason === 'OOMKilled' ? record.killMessage : undefined) ?? written ?? this.logFallback(name, attempt, exitCode);
    if (message) record.lastTermination.message = message;
    delete record.running;
    delete record.killReason;
    delete record.killMessage;
    const spec = this.containerSpec(name);
    const policy = this.pod?.spec.restartPolicy ?? 'Always';
    const restart = !this.terminating && !this.gone && spec !== undefined && (policy === 'Always' && !spec.init ? true : policy !== 'Never' && exitCode !== 0);
    if (restart) {
      const timing = this.ctx.timing;
      // A run that lasted well past the longest back-off resets it, as the kubelet's does.
      if (finishedAt.getTime() - Date.parse(run.startedAt) > 2 * timing.crashLoopMaxMs) record.backoffMs = 0;
      record.restartAt = finishedAt.getTime() + record.backoffMs;
      if (record.backoffMs > 0 && this.pod) {
        const pod = this.pod.metadata;
        this.ctx.events.record(this.pod, 'Warning', 'BackOff', `Back-off restarting failed container ${name} in pod ${pod.name ?? ''}_${pod.namespace ?? ''}(${pod.uid ?? ''})`, this.fieldPath(name));
      }
      record.backoffMs = record.backoffMs === 0 ? timing.crashLoopInitialMs : Math.min(record.backoffMs * 2, timing.crashLoopMaxMs);
    } else {
      delete record.restartAt;
    }
    if (!this.done) {
      this.persist(record);
      this.indexLog(name, attempt, true);
    }
    this.log.debug({ container: name, attempt, exitCode, reason }, 'container exited');
    this.kick();
  }

  /** Graceful deletion: SIGTERM to every group, SIGKILL after the grace period, then remove the Pod for good. */
  private async terminate(pod: Pod): Promise<void> {
    if (!this.terminating) {
      const grace = pod.metadata.deletionGracePeriodSeconds ?? pod.spec.terminationGracePeriodSeconds ?? 30;
      this.terminating = { deadline: Date.now() + grace * 1000, killed: false, deleteSent: false };
      for (const record of this.records.values()) {
        delete record.restartAt;
        if (record.running?.pid !== undefined) {
          this.ctx.events.record(pod, 'Normal', 'Killing', `Stopping container ${record.name}`, this.fieldPath(record.name));
          if (grace > 0) signalGroup(record.running.pid, 'SIGTERM');
          else this.killRun(record.name, record.running);
        }
        this.persist(record);
      }
    }
    const running = [...this.records.values()].filter((r) => r.running);
    if (running.length > 0) {
      if (Date.now() >= this.terminating.deadline && !this.terminating.killed) {
        this.terminating.killed = true;
        for (const r of running) if (r.running) this.killRun(r.name, r.running);
      }
      this.arm();
      return;
    }
    if (this.terminating.deleteSent) return;
    this.terminating.deleteSent = true;
    await this.writeStatus(pod).catch(() => undefined);
    try {
      await this.ctx.client.delete(PodRef, pod.metadata.name ?? '', pod.metadata.namespace, { gracePeriodSeconds: 0, preconditions: { uid: this.uid } });
    } catch (err) {
      if (!(err instanceof FloeError && (err.reason === 'NotFound' || err.reason === 'Conflict'))) {
        this.terminating.deleteSent = false;
        throw err;
      }
    }
  }

  /** The Pod is gone from the API: kill what is left and remove its state (logs and emptyDirs with it). */
  private teardown(): void {
    for (const stdin of this.stdins.values()) stdin.close();
    this.stdins.clear();
    const cgroups: string[] = [];
    for (const record of this.records.values()) {
      const run = record.running;
      if (!run) continue;
      if (run.pid !== undefined && (this.children.has(record.name) || isAlive(run.pid, run.startTicks))) signalGroup(run.pid, 'SIGKILL');
      this.killMembers(record.name, run);
      cgroups.push(...recordedCgroups(run.cgroups, this.uid, record.name));
    }
    void this.ctx.cgroups.releasePod(this.uid, cgroups).then((ok) => {
      if (!ok) this.log.warn({ uid: this.uid }, 'processes of a deleted pod would not die; its cgroups are left');
    });
    void this.ctx.containers.releasePod(this.uid).catch((err: unknown) => this.log.warn({ err }, 'releasing the containers of a deleted pod failed'));
    this.done = true;
    clearTimeout(this.timer);
    this.ctx.gpus.release(this.uid);
    removePodState(this.paths);
    this.ctx.finished(this.uid);
  }

  /** After a Floe restart: keep live processes (found by pid and start time, or by command line) and finish dead ones. */
  private recover(): void {
    this.recovered = true;
    for (const record of this.records.values()) {
      const run = record.running;
      if (!run) continue;
      if (run.pid === undefined) {
        const found = findByCommandLine(this.paths.exitFile(record.name, run.attempt));
        if (found) {
          run.pid = found.pid;
          run.startTicks = found.startTicks;
          this.persist(record);
        }
      }
      if (run.pid !== undefined && isAlive(run.pid, run.startTicks)) {
        this.log.info({ container: record.name, pid: run.pid }, 're-adopted a running container');
        continue;
      }
      this.exited(record.name, run.attempt, {});
    }
  }

  /** Writes the computed status when it differs from the stored one; returns the phase. */
  private async writeStatus(pod: Pod): Promise<string | undefined> {
    if (!this.podRecord) return pod.status?.phase;
    let current = pod;
    for (let attempt = 0; attempt < 5; attempt++) {
      const status = computePodStatus({
        pod: current,
        records: this.records,
        waiting: this.waiting,
        probes: this.probeView(current),
        startTime: this.podRecord.startTime,
        now: Date.now(),
        podIP: PodIP,
        hostIP: HostIP,
      });
      if (JSON.stringify(status) === JSON.stringify(current.status)) return status.phase;
      try {
        const written = await this.ctx.client.updateStatus<Pod>({ ...current, status });
        if (this.pod && this.pod.metadata.uid === written.metadata.uid) this.pod = written;
        return status.phase;
      } catch (err) {
        if (!(err instanceof FloeError)) throw err;
        if (err.reason === 'NotFound') return status.phase;
        if (err.reason !== 'Conflict') throw err;
        current = await this.ctx.client.get<Pod>(PodRef, pod.metadata.name ?? '', pod.metadata.namespace);
        if (current.metadata.uid !== this.uid) return status.phase;
      }
    }
    return undefined;
  }

  /** Readiness and started-ness of running containers that have probes (until their first result: not ready). */
  private probeView(pod: Pod): Map<string, { ready: boolean; started: boolean }> {
    const out = new Map<string, { ready: boolean; started: boolean }>();
    for (const c of pod.spec.containers) {
      if (!ContainerProbes.wanted(c)) continue;
      const record = this.records.get(c.name);
      const probes = this.probes.get(c.name);
      const current = probes !== undefined && probes.attempt === record?.running?.attempt;
      out.set(c.name, { ready: current ? probes.ready : false, started: current ? probes.started : false });
    }
    return out;
  }

  /** Wakes the worker for the next due restart, the end of a grace period, or a retry. */
  private arm(): void {
    clearTimeout(this.timer);
    if (this.stopped || this.done) return;
    const now = Date.now();
    const times: number[] = [];
    for (const r of this.records.values()) if (r.restartAt !== undefined) times.push(r.restartAt);
    if (this.terminating && !this.terminating.killed) times.push(this.terminating.deadline);
    if (this.retryAt !== undefined) times.push(this.retryAt);
    const next = times.filter((t) => Number.isFinite(t)).sort((a, b) => a - b)[0];
    if (next === undefined) return;
    this.timer = setTimeout(() => {
      if (this.retryAt !== undefined && Date.now() >= this.retryAt) this.retryAt = undefined;
      this.kick();
    }, Math.max(0, next - now) + 5);
    this.timer.unref();
  }

  private persist(record: ContainerRecord): void {
    if (this.done || !existsSync(this.paths.root)) return;
    writeJson(this.paths.containerFile(record.name), record);
  }

  /**
   * Log lines get their time from a side index of (size, mtime) pairs sampled while the run goes on: every byte up
   * to `size` had arrived by that time. The process writes the log file directly, so it outlives a Floe restart.
   */
  private indexLog(container: string, attempt: number, finished = false): void {
    const file = this.paths.logFile(container, attempt);
    const key = `${container}/${attempt}`;
    if (rotateLog(file, this.ctx.logRotation, finished)) this.logIndexed.set(key, 0);
    let stat;
    try {
      stat = statSync(file, { bigint: true });
    } catch {
      return;
    }
    let last = this.logIndexed.get(key);
    if (last === undefined) {
      last = lastIndexedSize(`${file}.times`);
      this.logIndexed.set(key, last);
    }
    const size = Number(stat.size);
    if (size <= last) return;
    appendFileSync(`${file}.times`, `${size} ${stat.mtimeNs}\n`);
    this.logIndexed.set(key, size);
  }
}

function lastIndexedSize(path: string): number {
  try {
    const lines = readFileSync(path, 'utf8').trim().split('\n');
    return Number(lines[lines.length - 1]?.split(' ')[0] ?? 0) || 0;
  } catch {
    return 0;
  }
}
