// Floe's typed configuration, parsed once at the entry point and passed down.
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
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
  images: [...trainingImageRules(join(projectRoot, '.venvs')), ...pipelineImageRules(join(projectRoot, '.venvs'))],
});

/** The checkout this module runs from (dist/src/server → the root), where tools/setup.mjs builds `.venvs/`. */
const projectRoot = fileURLToPath(new URL('../../../', import.meta.url));

/** Framework (and serving runtime) environment → the image globs it stands for. */
const trainingEnvironments: [string, string[]][] = [
  ['torch', ['*pytorch*', '*torch*', '*xgboost*']],
  ['tensorflow', ['*tensorflow*']],
  ['mxnet', ['*mxnet*']],
  ['mlserver', ['*mlserver*']],
  // The kserve SDK: KServe's Python servers (kserve/sklearnserver, …) and user images built on kserve.Model.
  ['kserve', ['*kserve*']],
];

/**
 * Framework images run in the project's virtualenvs (`.venvs/<name>`, built by tools/setup.mjs from python/envs):
 * `python`, `torchrun` and friends resolve there first. An environment that is not installed refuses its images,
 * so the Pod says so instead of failing on an import.
 */
export function trainingImageRules(venvsDir: string): ImageRule[] {
  return trainingEnvironments.flatMap(([name, patterns]) => {
    const venv = join(venvsDir, name);
    const installed = existsSync(join(venv, 'bin', 'python'));
    return patterns.map((pattern): ImageRule =>
      installed
        ? { pattern, run: { pathPrepend: [join(venv, 'bin')], env: { VIRTUAL_ENV: venv } } }
        : { pattern, run: 'unsupported', reason: `the ${name} environment is not installed at ${venv}: run \`node tools/setup.mjs --with-training-envs\`` },
    );
  });
}

/**
 * Plain Python images (the kfp SDK's default base image python:3.11 among them) run in the pipelines environment
 * `.venvs/kfp`, where a lightweight component's own `pip install kfp==…` finds kfp installed. Without that environment
 * they run on the host as before.
 */
export function pipelineImageRules(venvsDir: string): ImageRule[] {
  const venv = join(venvsDir, 'kfp');
  if (!existsSync(join(venv, 'bin', 'python'))) return [];
  return ['python:*', '*/python:*'].map((pattern) => ({ pattern, run: { pathPrepend: [join(venv, 'bin')], env: { VIRTUAL_ENV: venv } } }));
}

export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\./.test(host);
}
