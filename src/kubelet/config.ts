// The local runtime's typed configuration: the node it registers, its resources, and the image → environment table.
import type { Taint } from './types.js';

/** A local environment that stands in for an image: extra PATH entries and environment variables. */
export interface LocalEnvironment {
  pathPrepend?: string[];
  env?: Record<string, string>;
  /**
   * What the image would run (its entrypoint and cmd) for a container that sets no `command`; the container's `args`
   * follow it. `$(VAR)` and mount paths are expanded as in a command. Without one, such a container cannot run.
   */
  command?: string[];
}

/**
 * One row of the image table. `pattern` is a glob over the image reference (`*` any run of characters, `?` one);
 * the first matching row wins. `host` runs the command on the host as is; `unsupported` refuses the image.
 */
export interface ImageRule {
  pattern: string;
  run: 'host' | LocalEnvironment | 'unsupported';
  /** Why an `unsupported` image cannot run, for the Pod's events. */
  reason?: string;
}

export interface KubeletConfig {
  nodeName: string;
  /** Pod state, logs and volumes live under this folder (`pods/`, `volumes/`). */
  dataDir: string;
  labels: Record<string, string>;
  taints: Taint[];
  /** CPUs advertised; default: the host's available parallelism. */
  cpu?: number;
  /** Memory advertised in bytes; default: the host's total memory. */
  memoryBytes?: number;
  /** GPUs advertised as `nvidia.com/gpu`; default: what `nvidia-smi -L` lists, or 0. */
  gpus?: number;
  /** Image → local environment; empty means every image runs on the host. */
  images: ImageRule[];
  /**
   * Leave the Pods' processes running when the Kubelet stops (the next start re-adopts them). Default false: `stop()`
   * ends them as a node shutdown would, SIGTERM then SIGKILL. A `kill -9` of Floe never runs `stop()`, so its Pods
   * survive it either way and are re-adopted.
   */
  keepPodsOnStop?: boolean;
  /** The most seconds `stop()` waits after SIGTERM before SIGKILL, whatever a Pod's own grace period; default 10. */
  shutdownGracePeriodSeconds?: number;
  /**
   * Let Pod processes listen on every interface. Default false: a wildcard listen address (0.0.0.0, `::`) is turned
   * into loopback in the programs Floe starts (a preloaded bind() shim, see loopback.ts), so Pod ports answer only
   * this machine.
   */
  exposePodPorts?: boolean;
  /** 'auto' (default) runs containers in cgroups when the machine has writable ones (see cgroups.ts); 'off' never does. */
  cgroups?: 'auto' | 'off';
  /** Most tasks (processes and threads) one Pod may have, the kubelet's podPidsLimit; default 1024, -1 for no bound. */
  podPidsLimit?: number;
  /** Bytes at which a container's log file is rotated, the kubelet's containerLogMaxSize; default 10 MiB. */
  containerLogMaxSize?: number;
  /** Log files kept per container run, the current one included, the kubelet's containerLogMaxFiles; default 5. */
  containerLogMaxFiles?: number;
  /**
   * The compatibility mode for images no rule maps (docs/adr/0010): a container whose image is neither in the local
   * image store nor pullable (its registry unreachable, `imagePullPolicy: Never`, a name that is no image reference)
   * runs its command on the host, as every image did before containers. Default true; false makes it `ErrImagePull`.
   */
  hostProcessFallback?: boolean;
  /** The OCI runtime for container Pods; default `runc` looked up in /usr/sbin, /usr/bin, /sbin, /bin, /usr/local/{s,}bin. */
  runcPath?: string;
  /** The image store container Pods run from; default `<dataDir>/images` (where `floe image load` puts images). */
  imagesDir?: string;
}

/** Intervals and back-off bounds; tests shorten them, production keeps the kubelet's defaults. */
export interface KubeletTiming {
  /** How often the Node's Ready condition and Lease are renewed. */
  heartbeatMs: number;
  /** How often running processes are checked (liveness of adopted processes, memory, log timestamps). */
  pollMs: number;
  /** First crash-loop back-off after the immediate first restart; doubles up to `crashLoopMaxMs`. */
  crashLoopInitialMs: number;
  crashLoopMaxMs: number;
  /** Safety-net resync of the scheduler, services and pods, on top of watch events. */
  resyncMs: number;
  /** Retry delay after a container could not be created (missing ConfigMap, Secret…). */
  configRetryMs: number;
}

export const defaultTiming: KubeletTiming = {
  heartbeatMs: 10_000,
  pollMs: 250,
  crashLoopInitialMs: 10_000,
  crashLoopMaxMs: 300_000,
  resyncMs: 10_000,
  configRetryMs: 2_000,
};

/** `pattern` is the matching rule's; a `host` resolution without one is an image no rule maps. */
export type ImageResolution = { kind: 'host'; env: LocalEnvironment; pattern?: string } | { kind: 'unsupported'; pattern: string; reason?: string };

/** The environment an image runs in: the first rule whose pattern matches, else the host as is. */
export function resolveImage(rules: readonly ImageRule[], image: string): ImageResolution {
  for (const rule of rules) {
    if (!globMatches(rule.pattern, image)) continue;
    if (rule.run === 'unsupported') return { kind: 'unsupported', pattern: rule.pattern, ...(rule.reason ? { reason: rule.reason } : {}) };
    return { kind: 'host', env: rule.run === 'host' ? {} : rule.run, pattern: rule.pattern };
  }
  return { kind: 'host', env: {} };
}

export function globMatches(pattern: string, text: string): boolean {
  const source = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${source}$`).test(text);
}
