// Floe's typed configuration, parsed once at the entry point and passed down.
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { ImageRule, KubeletTiming } from '../kubelet/index.js';
import type { LogLevel } from './logger.js';

/** The local node the embedded runtime registers and schedules onto. */
export interface NodeConfig {
  name: string;
  labels: Record<string, string>;
  taints: { key: string; value?: string; effect: 'NoSchedule' | 'PreferNoSchedule' | 'NoExecute' }[];
  /** Advertised CPUs, memory (bytes) and GPUs; detected when absent. */
  cpu?: number;
  memoryBytes?: number;
  gpus?: number;
}

export interface FloeConfig {
  /** One folder for the database, logs, artifacts and volumes. Deleting it resets Floe. */
  dataDir: string;
  host: string;
  /** 0 picks a free port. */
  port: number;
  /** Required when `host` is not a loopback address. */
  token?: string;
  logLevel: LogLevel;
  /** Change-log entries kept for watch resumption. */
  historyLimit: number;
  bookmarkIntervalMs: number;
  maxBodyBytes: number;
  /** Run the local runtime (a small kubelet) in this process. */
  runPods: boolean;
  /** Shorter kubelet intervals and back-off (tests); the kubelet's defaults unless given. */
  kubeletTiming?: Partial<KubeletTiming>;
  /** Install Floe's CRDs and run its controllers (the training operator) in this process. */
  controllers: boolean;
  node: NodeConfig;
  /** Container image → local environment, first match wins; empty runs every image on the host. */
  images: ImageRule[];
}

export const defaultConfig = (): FloeConfig => ({
  dataDir: join(homedir(), '.floe'),
  host: '127.0.0.1',
  port: 8443,
  logLevel: 'info',
  historyLimit: 200_000,
  bookmarkIntervalMs: 60_000,
  maxBodyBytes: 3 * 1024 * 1024,
  runPods: false,
  controllers: false,
  node: { name: 'floe', labels: {}, taints: [] },
  images: [],
});

export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\./.test(host);
}
