// Floe's typed configuration, parsed once at the entry point and passed down.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { isIP } from 'node:net';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { NotebooksCapabilityOptions } from '../controllers/notebooks/capability.js';
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
  /** Names and addresses the serving certificate covers besides the loopback names and the bind host's addresses. */
  tlsSans: string[];
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
  /** Origins (`scheme://host[:port]`) whose web pages may call Floe; none but Floe's own unless given. */
  allowedOrigins: string[];
  /** Host names Floe answers to besides IP literals, localhost and this machine's name (a proxy's or DNS name). */
  allowedHosts: string[];
  /** URL prefixes whose pipeline `package_url`s Floe may fetch; none unless given. */
  allowPackageUrls: string[];
  /** kube-apiserver's --token-auth-file: a CSV of token,user,uid,"group1,group2". */
  tokenAuthFile?: string;
  /** Trusted-header mode behind an auth proxy: the user header, its prefix, and the proxies' addresses (CIDRs). */
  authProxy?: { header: string; prefix: string; addresses: string[]; groupsHeader?: string };
  /** OIDC ID tokens, as kube-apiserver's --oidc-* flags (caFile read at start). */
  oidc?: { issuerUrl: string; clientId: string; usernameClaim?: string; usernamePrefix?: string; groupsClaim?: string; groupsPrefix?: string; caFile?: string };
  /** kube-apiserver's --encryption-provider-config; the data directory's generated configuration when absent. */
  encryptionProviderConfig?: string;
  /** Leave Pods' processes running when Floe stops (they are re-adopted on the next start); stopped otherwise. */
  keepPods: boolean;
  /** Run an image Floe can neither find in its store nor pull as a host process (the behaviour before containers). */
  hostProcessFallback: boolean;
  /** KFP's multi-user mode: namespaced runs, experiments and pipelines, every call authorized (`--multi-user`). */
  multiUser?: boolean;
  /** Kubeflow Notebooks: culling (upstream's ENABLE_CULLING, CULL_IDLE_TIME, IDLENESS_CHECK_PERIOD) and ADD_FSGROUP. */
  notebooks?: NotebooksCapabilityOptions;
}

export const defaultConfig = (): FloeConfig => ({
  dataDir: join(homedir(), '.floe'),
  host: '127.0.0.1',
  port: 8443,
  tlsSans: [],
  logLevel: 'info',
  historyLimit: 200_000,
  bookmarkIntervalMs: 60_000,
  maxBodyBytes: 3 * 1024 * 1024,
  runPods: false,
  controllers: false,
  node: { name: 'floe', labels: {}, taints: [] },
  images: [...trainingImageRules(join(projectRoot, '.venvs')), ...pipelineImageRules(join(projectRoot, '.venvs'))],
  allowedOrigins: [],
  allowedHosts: [],
  allowPackageUrls: [],
  keepPods: false,
  hostProcessFallback: true,
});

/** The checkout this module runs from (dist/src/server → the root), where tools/setup.mjs builds `.venvs/`. */
const projectRoot = fileURLToPath(new URL('../../../', import.meta.url));

/**
 * What Kubeflow's notebook images run (their s6 service `jupyterlab`), for a Notebook container with no command: JupyterLab
 * at `$NB_PREFIX`, no password, no token unless JUPYTER_TOKEN gives one (the notebook controller does, embedded, and
 * Floe's route sends it after authorizing the caller), HOME = the working directory (/home/jovyan, the
 * workspace volume, as in the image), on loopback at JUPYTER_PORT (8888 unless the notebook controller gives the
 * Service's host port); the container's args follow.
 */
const jupyterLabCommand = [
  '/bin/sh',
  '-c',
  'export HOME="$PWD"; exec jupyter lab --no-browser --allow-root --ServerApp.ip=127.0.0.1 --ServerApp.port_retries=0 "--IdentityProvider.token=${JUPYTER_TOKEN:-}" --ServerApp.password= ' +
    '"--ServerApp.allow_origin=*" --ServerApp.allow_remote_access=True --ServerApp.authenticate_prometheus=False "--ServerApp.base_url=${NB_PREFIX:-/}" "$@"',
  'jupyter-lab',
];

/** Framework (and serving runtime) environment → the image globs it stands for, and a default command for its images. */
const trainingEnvironments: [string, string[], string[]?][] = [
  // Kubeflow's notebook images (kubeflownotebookswg/jupyter, -scipy, -pytorch*, -tensorflow*, and their ghcr.io
  // names): JupyterLab, first so that jupyter-pytorch is not taken for a torch image.
  ['jupyter', ['*kubeflownotebookswg/jupyter*', '*/notebook-servers/jupyter*'], jupyterLabCommand],
  // KServe's TorchServe image (pytorch/torchserve-kfs), huggingfaceserver and pmmlserver: torch with TorchServe,
  // transformers, pypmml and the kserve SDK (python/envs/kserve-torch), before `torch` and `kserve` so that
  // pytorch/torchserve-kfs is not taken for a torch image nor kserve/pmmlserver for a plain kserve one.
  ['kserve-torch', ['*torchserve*', '*huggingfaceserver*', '*pmmlserver*']],
  ['torch', ['*pytorch*', '*torch*', '*xgboost*']],
  ['tensorflow', ['*tensorflow*']],
  ['mxnet', ['*mxnet*']],
  ['mlserver', ['*mlserver*']],
  // The kserve SDK: KServe's Python servers (kserve/sklearnserver, …) and user images built on kserve.Model.
  ['kserve', ['*kserve*']],
  // MPIJob images (mpioperator/openmpi, mpioperator/mpi-pi, …): mpi4py over Debian's Open MPI (mpirun, orted).
  ['mpi', ['*mpi*']],
  // Floe's TensorBoard image: what the Tensorboard controller runs in embedded mode (python/envs/tensorboard).
  ['tensorboard', ['floe/tensorboard:*']],
  // Trainer's deepspeed-distributed runtime image: its mpirun and mpi4py (the deepspeed package is in no local env).
  ['mpi', ['*deepspeed*']],
];

/**
 * Framework images run in the project's virtualenvs (`.venvs/<name>`, built by tools/setup.mjs from python/envs):
 * `python`, `torchrun` and friends resolve there first. An environment that is not installed refuses its images,
 * so the Pod says so instead of failing on an import.
 */
export function trainingImageRules(venvsDir: string): ImageRule[] {
  return trainingEnvironments.flatMap(([name, patterns, command]) => {
    const venv = join(venvsDir, name);
    const installed = existsSync(join(venv, 'bin', 'python'));
    return patterns.map((pattern): ImageRule =>
      installed
        ? { pattern, run: { pathPrepend: [join(venv, 'bin')], env: { VIRTUAL_ENV: venv }, ...(command ? { command } : {}) } }
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

/** A token read from a file (`--token-file`, FLOE_TOKEN_FILE), with a warning when others may read the file. */
export interface TokenFromFile {
  token: string;
  warning?: string;
}

/**
 * Reads a bearer token from a file: the first line, without surrounding whitespace. Throws when the file cannot be read
 * or holds no token, or when the token has characters an HTTP header cannot carry.
 */
export function readTokenFile(path: string): TokenFromFile {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new Error(`cannot read the token file ${path}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
  const token = (text.split(/\r?\n/)[0] ?? '').trim();
  if (!token) throw new Error(`the token file ${path} is empty: write the token on its first line`);
  if (!/^[\x21-\x7e]+$/.test(token)) throw new Error(`the token in ${path} has spaces or characters an Authorization header cannot carry: use printable ASCII`);
  const mode = statSync(path).mode & 0o777;
  const out: TokenFromFile = { token };
  if ((mode & 0o077) !== 0) out.warning = `the token file ${path} can be read by other users (mode 0${mode.toString(8)}): chmod 600 ${path}`;
  return out;
}

/** An IP address, or a DNS name (a leading `*.` allowed) as a certificate's subjectAltName can hold it. */
export function validSan(name: string): boolean {
  const n = name.replace(/^\[|\]$/g, '');
  if (isIP(n)) return true;
  if (n.length > 253) return false;
  const labels = n.split('.');
  return labels.every((label, i) => (i === 0 && label === '*' && labels.length > 2) || /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/i.test(label));
}

