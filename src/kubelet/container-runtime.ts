// Pods in OCI containers (docs/adr/0010): whether a container gets one, its image as the Pod's pull policy wants it,
// its bundle (rootfs + config.json) and runc's command line, and the cleanup runc leaves to its caller.
import { spawn } from 'node:child_process';
import { accessSync, chmodSync, chownSync, closeSync, constants, existsSync, lstatSync, mkdirSync, openSync, readdirSync, readFileSync, readSync, rmdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { basename, isAbsolute, join, posix, relative } from 'node:path';
import { FloeError } from '../api/errors.js';
import type { Logger } from '../api/logger.js';
import type { Client } from '../client/client.js';
import {
  containerArgv,
  defaultPullPolicy,
  ImageError,
  imageEnv,
  ImageStore,
  mountOverlay,
  normalizeReference,
  overlayUnavailable,
  parsePullSecret,
  removeUnmounted,
  RegistryClient,
  resolveImageUser,
  resolveInRoot,
  workingDir,
  type CredentialEntry,
  type ImageRecord,
  type PullPolicy,
} from '../images/index.js';
import { ContainerConfigError, expand } from './container-env.js';
import { seccompProfile } from './seccomp.js';
import { effectiveSecurity, hostsFile, nonRootViolation, ociSpec, type BindMount, type OciSpecInput, type UsernsMapping } from './oci-spec.js';
import { SecretRef, type ContainerSpec, type Pod, type Volume } from './types.js';
import { buildIdmapHelper, mountIdmapped, type IdmapHelper } from './idmap.js';
import { findTtyPython, makeTtyResizeFifo, ttyResizePath, ttyRunArgv } from './tty.js';
import { bindInto, claimMapping, DefaultUsernsRoot, makeStage, releaseMapping, removePodStages, shiftedRootfs, shiftVolumes, userNamespaceChoice } from './userns.js';
import type { Mount } from './volumes.js';

/** A container the runtime cannot create (no runc, no command, a user the image lacks): kubelet's CreateContainerError. */
export class CreateContainerError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CreateContainerError';
  }
}

export type PullReason = 'ErrImagePull' | 'ImagePullBackOff' | 'ErrImageNeverPull' | 'InvalidImageName';

/** An image the Pod cannot have yet: the container waits with `reason`, and is tried again at `retryAt`. */
export class PullError extends Error {
  readonly reason: PullReason;
  readonly retryAt: number | undefined;

  constructor(reason: PullReason, message: string, retryAt?: number) {
    super(message);
    this.name = 'PullError';
    this.reason = reason;
    this.retryAt = retryAt;
  }
}

/**
 * A Pod annotation choosing the runtime of its containers: `container` runs them from their images even when the
 * image table maps the image to a local environment (and never on the host); `process` runs them on the host as
 * before containers, without looking for the image.
 */
export const RuntimeAnnotation = 'floe.dev/runtime';

/** Where a container runs: in an OCI container from `image`, or (images no rule maps and Floe cannot get) on the host. */
export type RuntimeDecision = { kind: 'container'; image: ImageRecord } | { kind: 'host'; why: string };

/** Events about one container (Pulling, Pulled, Failed, BackOff…), recorded on its Pod with its field path. */
export type ContainerEvents = (type: 'Normal' | 'Warning', reason: string, message: string) => void;

export interface ContainerRuntimeOptions {
  dataDir: string;
  client: Client;
  logger: Logger;
  /** The image store; default `<dataDir>/images`. */
  imagesDir?: string;
  /** runc; default: looked up in the usual system folders. */
  runcPath?: string;
  /** Images no rule maps that Floe cannot get run on the host (the compatibility mode); default true. */
  hostProcessFallback?: boolean;
  /** Image pull back-off, first and longest (the kubelet's: 10 s doubling to 5 min). */
  backoffInitialMs: number;
  backoffMaxMs: number;
  /** How long a TCP connect to a registry may take before it counts as unreachable; default 2 s. */
  connectTimeoutMs?: number;
  /** How long an unreachable registry is not tried again; default one minute. */
  unreachableForMs?: number;
  /**
   * Where the bundles of `hostUsers: false` Pods are staged (outside the 0700 data directory, which the mapped root
   * cannot traverse), with the node's claimed id ranges in `ranges/`; default /run/floe-userns.
   */
  usernsRoot?: string;
}

/** Where the kubelet's containers find a program when the image sets no PATH (containerd's default). */
const defaultPath = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
const runcCandidates = ['/usr/sbin/runc', '/usr/bin/runc', '/sbin/runc', '/bin/runc', '/usr/local/sbin/runc', '/usr/local/bin/runc'];
/** The cgroup below Floe's run cgroup that runc creates and destroys (Floe's keeps the limits and the OOM counters). */
export const RuncCgroupLeaf = 'ctr';
/** In a run's bundle: the file bound at the container's terminationMessagePath. */
const TerminationLogFile = 'termination-log';
/** The kubelet reads at most this much of a termination message. */
const TerminationMessageMax = 4096;
/** Volume sources Kubernetes always mounts read-only. */
const readOnlySources = ['configMap', 'secret', 'downwardAPI', 'projected'];

function errnoOf(err: unknown): string | undefined {
  return (err as NodeJS.ErrnoException | undefined)?.code;
}

function readText(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

/** Network failures (as opposed to a registry's answer): the registry is not reachable from here. */
function unreachableCause(err: unknown): string | undefined {
  const codes = new Set(['ENOTFOUND', 'EAI_AGAIN', 'ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_SOCKET']);
  for (let e: unknown = err, depth = 0; e && depth < 6; e = (e as { cause?: unknown }).cause, depth++) {
    const code = errnoOf(e);
    if (code && codes.has(code)) return `${code}${(e as Error).message ? `: ${(e as Error).message}` : ''}`;
  }
  return undefined;
}

/** One TCP connect with a short timeout; the reason it failed, or undefined when it connected. */
function probeTcp(host: string, port: number, timeoutMs: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    const socket = connect({ host, port, timeout: timeoutMs });
    socket.once('connect', () => {
      socket.destroy();
      resolve(undefined);
    });
    socket.once('timeout', () => {
      socket.destroy();
      resolve(`no answer from ${host}:${port} within ${timeoutMs} ms`);
    });
    socket.once('error', (err) => resolve(`${host}:${port}: ${errnoOf(err) ?? err.message}`));
  });
}

/**
 * Whether a registry answers at all, remembered for a while each way, so that Pods whose registry is unreachable (no
 * network, docker.io from this machine) fail in milliseconds instead of each waiting for a connect timeout.
 */
class RegistryReachability {
  private readonly cache = new Map<string, { until: number; error: string | undefined }>();
  private readonly pending = new Map<string, Promise<string | undefined>>();
  private readonly client = new RegistryClient();
  private readonly timeoutMs: number;
  private readonly forMs: number;

  constructor(options: { timeoutMs: number; forMs: number }) {
    this.timeoutMs = options.timeoutMs;
    this.forMs = options.forMs;
  }

  /** `host:port` of a registry domain, as the registry client reaches it. */
  address(domain: string): { host: string; port: number } {
    const url = new URL(this.client.baseUrl(domain));
    return { host: url.hostname.replace(/^\[|\]$/g, ''), port: Number(url.port || (url.protocol === 'https:' ? 443 : 80)) };
  }

  /** Why `domain`'s registry cannot be reached, or undefined when it answers. */
  async check(domain: string): Promise<string | undefined> {
    const { host, port } = this.address(domain);
    const key = `${host}:${port}`;
    const cached = this.cache.get(key);
    if (cached && cached.until > Date.now()) return cached.error;
    let pending = this.pending.get(key);
    if (!pending) {
      pending = probeTcp(host, port, this.timeoutMs).then((error) => {
        this.cache.set(key, { until: Date.now() + this.forMs, error });
        return error;
      });
      this.pending.set(key, pending);
      void pending.finally(() => this.pending.delete(key));
    }
    return pending;
  }

  markDown(domain: string, error: string): void {
    const { host, port } = this.address(domain);
    this.cache.set(`${host}:${port}`, { until: Date.now() + this.forMs, error });
  }
}

interface CgroupMount {
  version: 1 | 2;
  mountPoint: string;
  /** This process's own cgroup directory in the hierarchy. */
  own: string;
}

/** Every mounted cgroup hierarchy and this process's place in it (runc uses all of them, Floe's limits only some). */
function cgroupMounts(): CgroupMount[] {
  const mountinfo = readText('/proc/self/mountinfo') ?? '';
  const self = readText('/proc/self/cgroup') ?? '';
  const paths = new Map<string, string>();
  for (const line of self.split('\n')) {
    const m = /^(\d+):([^:]*):(.*)$/.exec(line.trim());
    if (m) paths.set(m[1] === '0' && m[2] === '' ? '' : m[2]!, m[3]!);
  }
  const out: CgroupMount[] = [];
  for (const line of mountinfo.split('\n')) {
    const [left, right] = line.split(' - ');
    if (!left || !right) continue;
    const fields = left.split(' ');
    const [fstype, , superOptions = ''] = right.split(' ');
    if (fstype !== 'cgroup' && fstype !== 'cgroup2') continue;
    const root = fields[3] ?? '/';
    const mountPoint = (fields[4] ?? '').replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
    const options = superOptions.split(',');
    const key = fstype === 'cgroup2' ? '' : [...paths.keys()].find((k) => k !== '' && k.split(',').every((c) => options.includes(c)));
    const path = key === undefined ? undefined : paths.get(key);
    if (path === undefined || path.split('/').includes('..')) continue;
    const rel = root === '/' ? path : path === root || path.startsWith(`${root}/`) ? path.slice(root.length) : undefined;
    if (rel === undefined) continue;
    out.push({ version: fstype === 'cgroup2' ? 2 : 1, mountPoint, own: join(mountPoint, rel) });
  }
  return out;
}

/** Removes a cgroup directory and the cgroups below it, children first; what is busy or gone stays as it is. */
function removeCgroupTree(dir: string): void {
  let entries: string[] = [];
  try {
    entries = readdirSync(dir, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name);
  } catch {
    return;
  }
  for (const name of entries) removeCgroupTree(join(dir, name));
  try {
    rmdirSync(dir);
  } catch {
    // busy (a live process) or gone
  }
}

/**
 * Removes what runc left of a Pod's cgroups in every hierarchy (`…/floe/<uid>`, its runs and their `ctr` below),
 * the hierarchies Floe sets no limits in included; busy folders stay. For cleanup that has no runtime at hand.
 */
export function removePodCgroupFolders(uid: string): void {
  if (!/^[A-Za-z0-9][A-Za-z0-9_-]*$/.test(uid)) return;
  for (const m of cgroupMounts()) removeCgroupTree(join(m.own, 'floe', uid));
}

/** A container run's bundle, prepared before the spawn: the runc command line and the config to write. */
export interface PreparedBundle {
  id: string;
  dir: string;
  /** `runc --root … run --bundle … <id>`: what the wrapper runs in the foreground. */
  argv: string[];
  spec: Omit<OciSpecInput, 'cgroupsPath' | 'resources'>;
  /** The container's environment (for probes and the record of how it was launched). */
  env: Record<string, string>;
  cwd: string;
  /** Set when the command is not in the image: the run ends at once with StartError, exit 128, as in process mode. */
  startError?: string;
}

export interface BundleRequest {
  pod: Pod;
  container: ContainerSpec;
  attempt: number;
  image: ImageRecord;
  /** The Pod's state folder (`<dataDir>/pods/<uid>`). */
  podRoot: string;
  /** Service links, envFrom and env, as the kubelet computes them (container-env.ts). */
  podEnv: Record<string, string>;
  /** The container's volume mounts, with their host folders (volumes.ts), in volumeMounts order. */
  mounts: readonly Mount[];
  /** Every volume's host folder. */
  volumeDirs: ReadonlyMap<string, string>;
  /** Every Service, for /etc/hosts. */
  services: readonly { namespace: string; name: string }[];
}

/** The runtime for container Pods: runc driven directly, one bundle per container run under the Pod's folder. */
export class ContainerRuntime {
  readonly store: ImageStore;
  /** runc's state (`--root`), Floe's own. */
  readonly stateRoot: string;
  readonly hostProcessFallback: boolean;
  private readonly client: Client;
  private readonly log: Logger;
  private readonly runc: { path: string } | { reason: string };
  private readonly reach: RegistryReachability;
  private readonly backoff = new Map<string, { image: string; failures: number; delayMs: number; until: number }>();
  private readonly backoffInitialMs: number;
  private readonly backoffMaxMs: number;
  private readonly fellBack = new Map<string, number>();
  private mounts: CgroupMount[] | undefined;
  private overlay: boolean | undefined;
  /** Where Localhost seccomp profiles live (the kubelet's `<root>/seccomp`). */
  private readonly seccompRoot: string;
  readonly usernsRoot: string;
  private readonly dataDir: string;
  private idmap: Promise<IdmapHelper> | undefined;
  private warnedNoUserns = false;
  private readonly warnedCopy = new Set<string>();

  constructor(options: ContainerRuntimeOptions) {
    this.dataDir = options.dataDir;
    this.store = new ImageStore({ root: options.imagesDir ?? join(options.dataDir, 'images') });
    this.stateRoot = join(options.dataDir, 'runc');
    this.seccompRoot = join(options.dataDir, 'seccomp');
    this.usernsRoot = options.usernsRoot ?? DefaultUsernsRoot;
    this.hostProcessFallback = options.hostProcessFallback ?? true;
    this.client = options.client;
    this.log = options.logger.child({ component: 'containers' });
    this.backoffInitialMs = options.backoffInitialMs;
    this.backoffMaxMs = options.backoffMaxMs;
    this.reach = new RegistryReachability({ timeoutMs: options.connectTimeoutMs ?? 2_000, forMs: options.unreachableForMs ?? 60_000 });
    this.runc = ContainerRuntime.findRunc(options.runcPath);
  }

  /** runc, where it is usable: installed, and Floe running as root (rootless runc needs a user namespace Floe does not set up). */
  static findRunc(configured?: string): { path: string } | { reason: string } {
    const candidates = configured ? [configured] : runcCandidates;
    const path = candidates.find((p) => {
      try {
        accessSync(p, constants.X_OK);
        return statSync(p).isFile();
      } catch {
        return false;
      }
    });
    if (!path) return { reason: configured ? `the configured runc (${configured}) is not an executable file` : 'runc is not installed on this machine (apt-get install runc; `npm start` installs it)' };
    if (process.getuid?.() !== 0) return { reason: 'Floe does not run as root, and runc needs root here' };
    return { path };
  }

  /** Why container Pods cannot run on this node, or undefined when they can. */
  get unavailable(): string | undefined {
    return 'reason' in this.runc ? this.runc.reason : undefined;
  }

  /**
   * Where a container runs, for an image no rule maps: in a container when the image is in the store or its policy
   * lets Floe pull it, else (with hostProcessFallback) on the host. Throws PullError (the container waits:
   * ErrImagePull, ImagePullBackOff, ErrImageNeverPull, InvalidImageName) or CreateContainerError (no runtime).
   */
  async decide(pod: Pod, container: ContainerSpec, events: ContainerEvents, options: { hostFallback?: boolean } = {}): Promise<RuntimeDecision> {
    const image = container.image ?? '';
    const fallback = this.hostProcessFallback && options.hostFallback !== false;
    const host = (why: string): RuntimeDecision => {
      const last = this.fellBack.get(image) ?? 0;
      if (Date.now() - last > 60_000) {
        this.fellBack.set(image, Date.now());
        this.log.info({ image, why }, 'image not available: its containers run on the host (hostProcessFallback)');
      }
      return { kind: 'host', why };
    };
    let domain: string;
    try {
      domain = normalizeReference(image).domain;
    } catch (err) {
      if (fallback) return host('the image name is not an image reference');
      const message = `Failed to apply default image tag "${image}": couldn't parse image name "${image}": ${err instanceof Error ? err.message : String(err)}`;
      events('Warning', 'InspectFailed', message);
      throw new PullError('InvalidImageName', message);
    }
    const policy: PullPolicy = ((container as { imagePullPolicy?: PullPolicy }).imagePullPolicy ?? defaultPullPolicy(image));
    const found = await this.store.find(image).catch(() => undefined);
    const unavailable = this.unavailable;
    if (unavailable) {
      if (!found && fallback) return host(unavailable);
      throw new CreateContainerError(`image "${image}" runs in a container, and this node cannot run containers: ${unavailable}`);
    }
    if (found && policy !== 'Always') {
      events('Normal', 'Pulled', `Container image "${image}" already present on machine`);
      return { kind: 'container', image: found };
    }
    if (policy === 'Never') {
      if (fallback) return host('not in the image store, and imagePullPolicy is Never');
      const message = `Container image "${image}" is not present with pull policy of Never`;
      events('Warning', 'ErrImageNeverPull', message);
      throw new PullError('ErrImageNeverPull', message);
    }
    const key = `${pod.metadata.uid ?? ''}/${container.name}`;
    const backoff = this.backoff.get(key);
    if (backoff && backoff.image === image && backoff.until > Date.now()) {
      events('Normal', 'BackOff', `Back-off pulling image "${image}"`);
      throw new PullError('ImagePullBackOff', `Back-off pulling image "${image}"`, backoff.until);
    }
    const down = await this.reach.check(domain);
    if (down) {
      if (!found && fallback) return host(`its registry cannot be reached (${down})`);
      const { host: registry } = this.reach.address(domain);
      this.failPull(key, image, events, `failed to pull image "${image}": the registry ${registry} cannot be reached: ${down}`);
    }
    const credentials = await this.pullCredentials(pod, events);
    events('Normal', 'Pulling', `Pulling image "${image}"`);
    const started = Date.now();
    try {
      const { image: record, pulled } = await this.store.ensure(image, policy, { credentials });
      const seconds = ((Date.now() - started) / 1000).toFixed(3);
      events('Normal', 'Pulled', pulled ? `Successfully pulled image "${image}" in ${seconds}s. Image size: ${record.size} bytes.` : `Container image "${image}" already present on machine`);
      this.backoff.delete(key);
      return { kind: 'container', image: record };
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      const cause = unreachableCause(err);
      if (cause) {
        this.reach.markDown(domain, cause);
        if (!found && fallback) return host(`its registry cannot be reached (${cause})`);
      }
      if (!(err instanceof ImageError) && !cause) throw err;
      this.failPull(key, image, events, message);
    }
  }

  /** Records a failed pull (the back-off doubles, as the kubelet's), tells the Pod's events, and throws ErrImagePull. */
  private failPull(key: string, image: string, events: ContainerEvents, message: string): never {
    const previous = this.backoff.get(key);
    const delayMs = previous && previous.image === image ? Math.min(previous.delayMs * 2, this.backoffMaxMs) : this.backoffInitialMs;
    const until = Date.now() + delayMs;
    this.backoff.set(key, { image, failures: (previous?.failures ?? 0) + 1, delayMs, until });
    events('Warning', 'Failed', `Failed to pull image "${image}": ${message}`);
    throw new PullError('ErrImagePull', message, until);
  }

  /** The registry credentials of the Pod's imagePullSecrets; a missing Secret is an event, not an error (as the kubelet). */
  private async pullCredentials(pod: Pod, events: ContainerEvents): Promise<CredentialEntry[]> {
    const refs = (pod.spec as { imagePullSecrets?: { name?: string }[] }).imagePullSecrets ?? [];
    const out: CredentialEntry[] = [];
    const missing: string[] = [];
    for (const ref of refs) {
      if (!ref.name) continue;
      try {
        const secret = await this.client.get(SecretRef, ref.name, pod.metadata.namespace);
        out.push(...parsePullSecret(secret));
      } catch (err) {
        if (!(err instanceof FloeError && err.reason === 'NotFound')) throw err;
        missing.push(ref.name);
      }
    }
    if (missing.length > 0) events('Warning', 'FailedToRetrieveImagePullSecret', `Unable to retrieve some image pull secrets (${missing.join(', ')}); attempting to pull the image may not succeed.`);
    return out;
  }

  /** Forgets a Pod's pull back-off (the Pod is gone). */
  forget(uid: string): void {
    for (const key of this.backoff.keys()) if (key.startsWith(`${uid}/`)) this.backoff.delete(key);
  }

  /** runc's id of one container run: unique per Pod, container and attempt. */
  static containerId(uid: string, container: string, attempt: number): string {
    return `${uid}-${container}-${attempt}`;
  }

  static bundleDir(podRoot: string, container: string, attempt: number): string {
    return join(podRoot, 'bundles', `${container}.${attempt}`);
  }

  /**
   * What the run wrote at its terminationMessagePath (the kubelet's limit: the first 4096 bytes), undefined when
   * nothing; read before `finish` removes the bundle (in a user namespace, its stage).
   */
  terminationMessage(podRoot: string, uid: string, container: string, attempt: number): string | undefined {
    for (const dir of [join(this.usernsRoot, ContainerRuntime.containerId(uid, container, attempt)), ContainerRuntime.bundleDir(podRoot, container, attempt)]) {
      let fd: number | undefined;
      try {
        fd = openSync(join(dir, TerminationLogFile), 'r');
        const buf = Buffer.alloc(TerminationMessageMax);
        const n = readSync(fd, buf, 0, buf.length, 0);
        return n > 0 ? buf.subarray(0, n).toString('utf8') : undefined;
      } catch {
        // not in this folder
      } finally {
        if (fd !== undefined) closeSync(fd);
      }
    }
    return undefined;
  }

  /**
   * Builds the run's bundle: the rootfs (a private copy, or hard links for readOnlyRootFilesystem), the process as
   * Kubernetes computes it (command over Entrypoint, args over Cmd, image env under the Pod's, the image's user unless
   * runAsUser/runAsGroup), the Pod's /etc files and the volume binds. Throws ContainerConfigError (runAsNonRoot)
   * and CreateContainerError (no command, an unknown user, a rootfs that cannot be built).
   */
  async prepareBundle(req: BundleRequest): Promise<PreparedBundle> {
    if ('reason' in this.runc) throw new CreateContainerError(this.runc.reason);
    const { pod, container, attempt } = req;
    const uid = pod.metadata.uid ?? '';
    const podName = `${pod.metadata.name ?? ''}_${pod.metadata.namespace ?? ''}(${uid})`;
    const id = ContainerRuntime.containerId(uid, container.name, attempt);
    const scratch = ContainerRuntime.bundleDir(req.podRoot, container.name, attempt);
    // A bundle left by a crash before its run started (or a previous run's) goes; nothing is mounted in it on the host.
    await this.deleteState(id);
    for (const old of [scratch, ...this.oldBundles(req.podRoot, container.name, attempt)]) {
      removeUnmounted(old);
      removeUnmounted(join(this.usernsRoot, ContainerRuntime.containerId(uid, container.name, Number(old.slice(old.lastIndexOf('.') + 1)))));
    }
    mkdirSync(scratch, { recursive: true, mode: 0o711 });
    // A user namespace (hostUsers: false, or Floe's default for container Pods: userns.ts): runc mounts as the mapped
    // root, which cannot traverse the 0700 data directory, so the bundle is staged outside it (docs/adr/0010, 0014);
    // the run's writable layer stays in the Pod's folder.
    const userns = this.userNamespace(pod, req.podRoot, uid);
    const dir = userns ? makeStage(this.usernsRoot, id) : scratch;
    const security = effectiveSecurity(pod, container);
    const rootfs = join(dir, 'rootfs');
    let config;
    try {
      // An overlay over the image's shared flattened tree where the kernel allows (no per-run copy); else a private
      // copy, or hard links for a read-only root filesystem. In a user namespace the lower layer is the shared tree
      // mounted again idmapped into the Pod's range (docs/adr/0014); a copy with shifted owners where that fails.
      if (this.rootfsMode() === 'overlay') {
        const flat = await this.store.flattened(req.image.name);
        config = flat.config;
        const lower = userns ? await this.mappedLower(flat.dir, dir, req.podRoot, userns) : flat.dir;
        mountOverlay(lower, join(scratch, 'overlay'), rootfs);
        // The overlay's root folder is the upper layer's: the mapped root must own it to make /proc and the mount points.
        if (userns) chownSync(rootfs, userns.hostID, userns.hostID);
      } else {
        ({ config } = await this.store.rootfs(req.image.name, rootfs, { mode: security.readOnlyRootFilesystem ? 'hardlink' : 'copy' }));
      }
    } catch (err) {
      throw new CreateContainerError(`cannot build the root filesystem of image "${req.image.name}": ${err instanceof Error ? err.message : String(err)}`);
    }
    const runtimeConfig = config.config;
    let user;
    try {
      user = await resolveImageUser(rootfs, security.runAsUser !== undefined ? String(security.runAsUser) : runtimeConfig?.User);
    } catch (err) {
      throw new CreateContainerError(`unable to find the container's user: ${err instanceof Error ? err.message : String(err)}`);
    }
    const violation = nonRootViolation(security, runtimeConfig?.User, user.uid, podName, container.name);
    if (violation) throw new ContainerConfigError(violation);
    const gid = security.runAsGroup ?? user.gid;
    const additionalGids = [...new Set([...user.groups, ...security.supplementalGroups, ...(security.fsGroup !== undefined ? [security.fsGroup] : [])])].filter((g) => g !== gid);
    const hostname = (pod.spec.hostname ?? pod.metadata.name ?? '').slice(0, 63);
    // $(VAR) in command and args refers to the container's own variables (not the image's), as in Kubernetes.
    const expandWith = req.podEnv;
    const command = container.command?.map((a) => expand(a, expandWith));
    const args = container.args?.map((a) => expand(a, expandWith));
    const argv = containerArgv(runtimeConfig, { ...(command ? { command } : {}), ...(args ? { args } : {}) });
    if (argv.length === 0) throw new CreateContainerError(`no command specified: container "${container.name}" sets no command and image "${req.image.name}" has no Entrypoint or Cmd`);
    const env: Record<string, string> = { PATH: defaultPath, ...imageEnv(runtimeConfig), HOSTNAME: hostname };
    if (env.HOME === undefined) env.HOME = user.home;
    for (const m of req.mounts) env[`FLOE_VOLUME_${m.volume.toUpperCase().replace(/[^A-Z0-9]/g, '_')}`] ??= posix.resolve('/', m.mountPath);
    Object.assign(env, req.podEnv);
    const cwd = workingDir(runtimeConfig, container);
    if (userns) shiftVolumes(pod.spec.volumes ?? [], req.volumeDirs, userns);
    let binds = this.binds(req, dir, hostname);
    // The container's user writes its termination message: the file is its own (through the Pod's range, if any).
    if (existsSync(join(dir, TerminationLogFile))) chownSync(join(dir, TerminationLogFile), user.uid + (userns?.hostID ?? 0), gid + (userns?.hostID ?? 0));
    // PVCs the Pod's range sees through an idmapped mount (their files keep host ids on disk, whichever Pod wrote them).
    const idmapped = new Set<string>();
    if (userns) binds = await this.stageBinds(binds, req, dir, userns, idmapped);
    const fsGroup = security.fsGroup;
    if (fsGroup !== undefined) applyFsGroup(pod.spec.volumes ?? [], req.volumeDirs, (volume) => fsGroup + (userns && !idmapped.has(volume) ? userns.hostID : 0));
    const startError = await missingExecutable(rootfs, argv[0]!, env.PATH ?? defaultPath, cwd);
    let seccomp;
    try {
      seccomp = seccompProfile(security.seccomp, this.seccompRoot);
    } catch (err) {
      throw new CreateContainerError(err instanceof Error ? err.message : String(err));
    }
    // tty: true: the process gets a terminal (TERM=xterm unless set, as containerd gives one), relayed by tty.ts.
    const terminal = container.tty === true;
    if (terminal) env.TERM ??= 'xterm';
    const spec: PreparedBundle['spec'] = { argv, env, cwd, user: { uid: user.uid, gid, additionalGids }, hostname, root: 'rootfs', security, binds, ...(seccomp ? { seccomp } : {}), ...(userns ? { userns } : {}), ...(terminal ? { terminal } : {}) };
    let argvRunc = [this.runc.path, '--root', this.stateRoot, 'run', '--bundle', dir, id];
    if (terminal) argvRunc = this.withTerminal(argvRunc, container, scratch);
    return { id, dir, argv: argvRunc, spec, env, cwd, ...(startError ? { startError } : {}) };
  }

  /** runc's command line inside the terminal relay (tty.ts), with the run's resize FIFO in its bundle folder. */
  private withTerminal(runcArgv: string[], container: ContainerSpec, bundleDir: string): string[] {
    const python = findTtyPython();
    if ('reason' in python) throw new CreateContainerError(python.reason);
    const fifo = ttyResizePath(bundleDir);
    if (!makeTtyResizeFifo(fifo)) throw new CreateContainerError('a container with tty: true needs mkfifo on this node for its terminal');
    const stdin = container.stdin !== true ? 'none' : container.stdinOnce === true ? 'once' : 'open';
    return ttyRunArgv(python.path, fifo, stdin, runcArgv);
  }

  private oldBundles(podRoot: string, container: string, attempt: number): string[] {
    try {
      return readdirSync(join(podRoot, 'bundles'))
        .filter((n) => n.startsWith(`${container}.`) && n !== `${container}.${attempt}` && /^\d+$/.test(n.slice(container.length + 1)))
        .map((n) => join(podRoot, 'bundles', n));
    } catch {
      return [];
    }
  }

  /** The volume binds, then the Pod's /etc/hosts, /etc/resolv.conf and /etc/hostname unless a volume is mounted there. */
  private binds(req: BundleRequest, dir: string, hostname: string): BindMount[] {
    const { pod, container } = req;
    const volumes = new Map((pod.spec.volumes ?? []).map((v) => [v.name, v]));
    const binds: BindMount[] = req.mounts.map((m, i) => {
      const spec = container.volumeMounts?.[i];
      const volume = volumes.get(m.volume);
      const source = volume ? Object.keys(volume).find((k) => k !== 'name') : undefined;
      const readOnly = spec?.readOnly === true || (source !== undefined && readOnlySources.includes(source)) || volume?.persistentVolumeClaim?.readOnly === true;
      return { destination: posix.resolve('/', m.mountPath), source: m.hostPath, readOnly };
    });
    const taken = new Set(binds.map((b) => b.destination));
    const files: [string, string, string][] = [
      ['/etc/hosts', 'hosts', hostsFile({ hostname, namespace: pod.metadata.namespace ?? 'default', ...(pod.spec.subdomain ? { subdomain: pod.spec.subdomain } : {}), hostAliases: (pod.spec as { hostAliases?: { ip?: string; hostnames?: string[] }[] }).hostAliases ?? [], services: req.services })],
      ['/etc/resolv.conf', 'resolv.conf', readText('/etc/resolv.conf') ?? ''],
      ['/etc/hostname', 'hostname', `${hostname}\n`],
    ];
    for (const [destination, name, content] of files) {
      if (taken.has(destination)) continue;
      writeFileSync(join(dir, name), content, { mode: 0o644 });
      binds.push({ destination, source: join(dir, name), readOnly: true });
    }
    // The termination message file (default /dev/termination-log), which the kubelet reads when the run ends.
    const messagePath = posix.resolve('/', container.terminationMessagePath || '/dev/termination-log');
    if (!taken.has(messagePath)) {
      writeFileSync(join(dir, TerminationLogFile), '', { mode: 0o600 });
      binds.push({ destination: messagePath, source: join(dir, TerminationLogFile), readOnly: false });
    }
    return binds;
  }

  /**
   * Writes config.json once the run's cgroups exist. runc's cgroup is `ctr` below Floe's run cgroup: limits set on
   * Floe's apply to it, and Floe's outlives it, so the kernel's OOM counters there can still be read after runc has
   * removed its own (docs/adr/0010). Relative paths are relative to runc's own cgroups, which are Floe's.
   */
  writeConfig(bundle: PreparedBundle, options: { uid: string; container: string; attempt: number; cgroups: readonly string[]; limits?: OciSpecInput['resources'] }): void {
    const runDir = `${options.container}.${options.attempt}`;
    let cgroupsPath = posix.join('floe', options.uid, runDir, RuncCgroupLeaf);
    let resources: OciSpecInput['resources'];
    if (options.cgroups.length === 0) {
      // Floe has no cgroups of its own here: runc sets the limits itself.
      cgroupsPath = posix.join('floe', options.uid, runDir);
      resources = options.limits;
    } else {
      this.mounts ??= cgroupMounts();
      const v1 = options.cgroups.some((d) => this.mounts!.some((m) => m.version === 1 && d.startsWith(`${m.mountPoint}/`)));
      const v2 = this.mounts.find((m) => m.version === 2 && options.cgroups.some((d) => d.startsWith(`${m.mountPoint}/`)));
      // On a unified hierarchy runc reads a relative path against the parent of its own cgroup, so give it the path.
      if (!v1 && v2) cgroupsPath = posix.join('/', relative(v2.mountPoint, options.cgroups.find((d) => d.startsWith(`${v2.mountPoint}/`))!), RuncCgroupLeaf);
    }
    const spec = ociSpec({ ...bundle.spec, cgroupsPath, ...(resources ? { resources } : {}) });
    writeFileSync(join(bundle.dir, 'config.json'), JSON.stringify(spec, null, 1), { mode: 0o600 });
  }

  /** How bundles get their root filesystem: an overlay when this machine can mount one, else per-run files. */
  rootfsMode(): 'overlay' | 'files' {
    if (this.overlay === undefined) {
      const why = overlayUnavailable(join(this.store.root, 'tmp'));
      this.overlay = why === undefined;
      if (why) this.log.info({ reason: why }, 'container root filesystems are copied per run (no overlay mounts)');
    }
    return this.overlay ? 'overlay' : 'files';
  }

  /**
   * The Pod's user namespace, or undefined for the host's users (userns.ts decides; a default one is skipped, with a
   * log line, where this node cannot give one). Throws CreateContainerError when `hostUsers: false` cannot be honoured.
   */
  private userNamespace(pod: Pod, podRoot: string, uid: string): UsernsMapping | undefined {
    const choice = userNamespaceChoice(pod);
    if (!choice.userns) return undefined;
    const missing = this.usernsUnavailable();
    if (missing) {
      if (choice.required) throw new CreateContainerError(`hostUsers: false cannot be honoured on this node: ${missing}`);
      if (!this.warnedNoUserns) this.log.warn({ reason: missing }, 'container Pods run with the host\'s users (no user namespaces on this node)');
      this.warnedNoUserns = true;
      return undefined;
    }
    try {
      return claimMapping(podRoot, uid, join(this.usernsRoot, 'ranges'));
    } catch (err) {
      throw new CreateContainerError(`cannot give the Pod a user namespace: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  /** Why this node cannot run containers in user namespaces (no overlay mounts, a kernel without them), or undefined. */
  private usernsUnavailable(): string | undefined {
    if (this.rootfsMode() !== 'overlay') return 'it has no overlay mounts';
    const max = readText('/proc/sys/user/max_user_namespaces')?.trim();
    if (max === undefined) return 'the kernel has no user namespaces';
    if (max === '0') return 'user.max_user_namespaces is 0';
    return undefined;
  }

  /** The idmap helper (idmap.ts), built on first use; its reason when there is none. */
  private idmapHelper(): Promise<IdmapHelper> {
    this.idmap ??= buildIdmapHelper({ dir: join(this.dataDir, 'lib'), env: { PATH: defaultPath } });
    return this.idmap;
  }

  /**
   * The lower layer of a user-namespaced run's overlay: the image's shared flattened tree, mounted read-only and
   * idmapped into the Pod's range at `<stage>/lower` (nothing copied; unmounted with the stage). Where that fails
   * (no C compiler, a file system or kernel without idmapped mounts) a copy with shifted owners, made once per Pod and
   * image, as before idmapped mounts; the log line says why.
   */
  private async mappedLower(flatDir: string, stage: string, podRoot: string, mapping: UsernsMapping): Promise<string> {
    const helper = await this.idmapHelper();
    let why = 'reason' in helper ? helper.reason : undefined;
    if ('path' in helper) {
      const lower = join(stage, 'lower');
      mkdirSync(lower, { mode: 0o755 });
      try {
        await mountIdmapped(helper.path, mapping, [{ source: flatDir, target: lower, readOnly: true }]);
        return lower;
      } catch (err) {
        why = err instanceof Error ? err.message : String(err);
      }
    }
    if (!this.warnedCopy.has(why ?? '')) this.log.warn({ reason: why, image: basename(flatDir) }, 'user-namespaced root filesystems are copied per Pod (no idmapped mount)');
    this.warnedCopy.add(why ?? '');
    return shiftedRootfs(flatDir, join(podRoot, 'userns-rootfs', basename(flatDir)), mapping);
  }

  /**
   * Binds of a user-namespaced run, from places its mapped root can reach: each volume is mounted into the stage by
   * Floe (as root) first. A PVC is mounted idmapped (`idmapped` gets its name): its files keep their host owners on
   * disk, root's are the container root's, whichever Pod or range wrote them. hostPath is bound as it is: host files
   * keep their host owners, which the range does not map (they show as nobody), so the container's root cannot write
   * what the host's root owns there. Where an idmapped mount fails, the PVC is bound as it is too.
   */
  private async stageBinds(binds: BindMount[], req: BundleRequest, dir: string, mapping: UsernsMapping, idmapped: Set<string>): Promise<BindMount[]> {
    const volumes = new Map((req.pod.spec.volumes ?? []).map((v) => [v.name, v]));
    const out: BindMount[] = [];
    for (const [i, b] of binds.entries()) {
      if (b.source.startsWith(`${dir}/`)) {
        out.push(b);
        continue;
      }
      const point = join(dir, 'volumes', String(i));
      const volume = req.mounts[i]?.volume;
      const pvc = volume !== undefined && volumes.get(volume)?.persistentVolumeClaim !== undefined;
      const helper = pvc ? await this.idmapHelper() : undefined;
      if (helper && 'path' in helper && statSync(b.source).isDirectory()) {
        mkdirSync(point, { recursive: true, mode: 0o755 });
        try {
          await mountIdmapped(helper.path, mapping, [{ source: b.source, target: point }]);
          idmapped.add(volume!);
          out.push({ ...b, source: point });
          continue;
        } catch (err) {
          this.log.warn({ volume, reason: err instanceof Error ? err.message : String(err) }, 'a PVC is bound with its host owners (no idmapped mount)');
          rmdirSync(point);
        }
      }
      bindInto(b.source, point);
      out.push({ ...b, source: point });
    }
    return out;
  }

  /** `runc exec <id>`: how exec probes run inside the container. */
  execPrefix(id: string): string[] {
    return 'path' in this.runc ? [this.runc.path, '--root', this.stateRoot, 'exec', id] : [];
  }

  /** After a run ends: runc's state (left when runc itself was killed), the bundle, and runc's cgroups Floe does not own. */
  async finish(podRoot: string, uid: string, container: string, attempt: number): Promise<void> {
    const id = ContainerRuntime.containerId(uid, container, attempt);
    await this.deleteState(id);
    try {
      removeUnmounted(join(this.usernsRoot, id));
      removeUnmounted(ContainerRuntime.bundleDir(podRoot, container, attempt));
    } catch {
      // the Pod's folder goes with the Pod
    }
    this.mounts ??= cgroupMounts();
    for (const m of this.mounts) removeCgroupTree(join(m.own, 'floe', uid, `${container}.${attempt}`));
  }

  /** The Pod is gone: every run's state and runc's cgroup folders of the Pod in every hierarchy. */
  async releasePod(uid: string): Promise<void> {
    this.forget(uid);
    // Stages first, before anything waits: the Pod's folder (the overlays' upper layers) is removed right after.
    removePodStages(this.usernsRoot, uid);
    releaseMapping(uid, join(this.usernsRoot, 'ranges'));
    let ids: string[] = [];
    try {
      ids = readdirSync(this.stateRoot).filter((n) => n.startsWith(`${uid}-`));
    } catch {
      // no container ever ran
    }
    for (const id of ids) await this.deleteState(id);
    this.mounts ??= cgroupMounts();
    for (const m of this.mounts) removeCgroupTree(join(m.own, 'floe', uid));
  }

  /** `runc delete --force`, when runc has state for `id` (it removes its own when `runc run` ends normally). */
  private async deleteState(id: string): Promise<void> {
    if ('reason' in this.runc || !existsSync(join(this.stateRoot, id))) return;
    const runc = this.runc.path;
    await new Promise<void>((resolve) => {
      const child = spawn(runc, ['--root', this.stateRoot, 'delete', '--force', id], { stdio: 'ignore' });
      child.once('error', () => resolve());
      child.once('exit', () => resolve());
    });
    // runc refuses ids whose state it cannot read; the folder is Floe's own.
    if (existsSync(join(this.stateRoot, id))) rmSync(join(this.stateRoot, id), { recursive: true, force: true });
  }
}

/**
 * Whether a run's processes ran into its memory limit, from Floe's run cgroup (cgroup v1). v1 counts OOM kills only in
 * the cgroup of the killed process, which is runc's, and runc removes that before Floe hears of the exit; Floe's run
 * cgroup stays, with the high-water mark of its usage. Reaching the limit (within the kernel's charge batch of 64
 * pages) and exit code 137 is what OOMKilled means on v1; the failure counters are read too where the kernel keeps them
 * (this machine's 6.18 kernel keeps none when the memory+swap limit is set). v2 counts OOM kills exactly.
 */
export function memoryLimitReached(dirs: readonly string[]): boolean {
  const count = (file: string): number | undefined => {
    const text = readText(file)?.trim();
    return text === undefined || text === '' ? undefined : Number(text);
  };
  return dirs.some((d) => {
    if ((count(join(d, 'memory.failcnt')) ?? 0) + (count(join(d, 'memory.memsw.failcnt')) ?? 0) > 0) return true;
    const limit = count(join(d, 'memory.limit_in_bytes'));
    const peak = count(join(d, 'memory.max_usage_in_bytes'));
    return limit !== undefined && peak !== undefined && limit < 2 ** 62 && peak >= limit - 64 * 4096;
  });
}

/** Why the container's program cannot start (exec's own words), looked up in the rootfs; undefined when it can. */
async function missingExecutable(rootfs: string, program: string, path: string, cwd: string): Promise<string | undefined> {
  const isExec = async (inside: string): Promise<boolean> => {
    try {
      const host = await resolveInRoot(rootfs, inside);
      const st = statSync(host);
      return st.isFile() && (st.mode & 0o111) !== 0;
    } catch {
      return false;
    }
  };
  if (program.includes('/')) {
    const inside = isAbsolute(program) ? program : posix.join(cwd, program);
    return (await isExec(inside)) ? undefined : `exec: "${program}": stat ${program}: no such file or directory`;
  }
  for (const dir of path.split(':')) if (dir && (await isExec(posix.join(dir, program)))) return undefined;
  return `exec: "${program}": executable file not found in $PATH`;
}

/**
 * fsGroup, as the kubelet applies it: the Pod's own volumes (emptyDir, configMap, secret, downwardAPI, projected,
 * PVCs) are group-owned by it, group-readable (and writable where the volume is), folders setgid. A folder already
 * owned by the group with setgid is left as it is (`fsGroupChangePolicy: OnRootMismatch`), hostPath never changes.
 */
function applyFsGroup(volumes: readonly Volume[], dirs: ReadonlyMap<string, string>, groupOf: (volume: string) => number): void {
  for (const v of volumes) {
    if (v.hostPath) continue;
    const fsGroup = groupOf(v.name);
    const dir = dirs.get(v.name);
    if (!dir) continue;
    const readOnly = readOnlySources.some((s) => v[s] !== undefined);
    const walk = (path: string): void => {
      const st = lstatSync(path);
      if (st.isSymbolicLink()) return;
      chownSync(path, st.uid, fsGroup);
      if (st.isDirectory()) {
        chmodSync(path, (st.mode & 0o7777) | 0o2000 | (readOnly ? 0o050 : 0o070));
        for (const name of readdirSync(path)) walk(join(path, name));
      } else {
        chmodSync(path, (st.mode & 0o7777) | (readOnly ? 0o040 : 0o060));
      }
    };
    try {
      const st = statSync(dir);
      if (!readOnly && st.gid === fsGroup && (st.mode & 0o2000) !== 0) continue;
      walk(dir);
    } catch (err) {
      if (errnoOf(err) !== 'ENOENT') throw err;
    }
  }
}
