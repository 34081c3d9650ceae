// What the runtime keeps on disk per Pod, so a restarted Floe can re-adopt processes and finish statuses.
import { mkdirSync, readFileSync, readdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { removeUnmounted } from '../images/index.js';

/** One run of a container: the wrapper's pid (= its process group) and its start time in clock ticks. */
export interface RunRecord {
  attempt: number;
  startedAt: string;
  /** Unset between "about to spawn" and "spawned"; recovery then finds the process by its exit-file path. */
  pid?: number;
  startTicks?: number;
  /** The run's cgroup directories (one per hierarchy), written before the spawn; absent on a node without cgroups. */
  cgroups?: string[];
  /** Set when the run is an OCI container (container-runtime.ts): runc's id for it; the pid above is the wrapper's. */
  containerId?: string;
}

export interface TerminationRecord {
  attempt: number;
  pid?: number;
  exitCode: number;
  signal?: number;
  reason: string;
  message?: string;
  startedAt: string;
  finishedAt: string;
}

export interface ContainerRecord {
  name: string;
  /** Runs started so far; the current or last run's attempt is `started - 1`, which is also its restartCount. */
  started: number;
  running?: RunRecord;
  lastTermination?: TerminationRecord;
  /** Set while a restart is due: not before this epoch-ms time. */
  restartAt?: number;
  /** The delay the next crash will wait (0 before the first restart, as the kubelet restarts once at once). */
  backoffMs: number;
  /** Why the runtime itself is killing the current run, kept so a crash in between does not lose it. */
  killReason?: 'OOMKilled' | 'Killed';
  killMessage?: string;
}

export interface PodRecord {
  uid: string;
  namespace: string;
  name: string;
  startTime: string;
  /** GPU indices assigned to the Pod, for CUDA_VISIBLE_DEVICES. */
  gpus: number[];
}

/** Paths of one Pod's state under `<dataDir>/pods/<uid>/`. */
export class PodPaths {
  readonly root: string;

  constructor(options: { dataDir: string; uid: string }) {
    this.root = join(options.dataDir, 'pods', options.uid);
  }

  get podFile(): string {
    return join(this.root, 'pod.json');
  }

  containerFile(container: string): string {
    return join(this.root, 'containers', `${container}.json`);
  }

  exitFile(container: string, attempt: number): string {
    return join(this.root, 'exit', container, String(attempt));
  }

  /** The FIFO a run with `stdin: true` reads (stdin.ts). */
  stdinFifo(container: string, attempt: number): string {
    return join(this.root, 'exit', container, `${attempt}.stdin`);
  }

  logDir(container: string): string {
    return join(this.root, 'logs', container);
  }

  logFile(container: string, attempt: number): string {
    return join(this.logDir(container), `${attempt}.log`);
  }

  volumeDir(volume: string): string {
    return join(this.root, 'volumes', volume);
  }

  get workDir(): string {
    return join(this.root, 'workdir');
  }
}

export function claimDir(dataDir: string, namespace: string, claim: string): string {
  return join(dataDir, 'volumes', namespace, claim);
}

/** Writes JSON atomically (temp file, then rename), so a crash leaves the old or the new version, never half. */
export function writeJson(path: string, value: unknown): void {
  const tmp = `${path}.tmp`;
  const text = `${JSON.stringify(value, null, 1)}\n`;
  try {
    writeFileSync(tmp, text, { mode: 0o600 });
  } catch (err) {
    // The folder is made on the first write only: records are rewritten several times per container start.
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    mkdirSync(join(path, '..'), { recursive: true });
    writeFileSync(tmp, text, { mode: 0o600 });
  }
  renameSync(tmp, path);
}

export function readJson<T>(path: string): T | undefined {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as T;
  } catch {
    return undefined;
  }
}

export function readContainerRecords(paths: PodPaths): Map<string, ContainerRecord> {
  const out = new Map<string, ContainerRecord>();
  let files: string[] = [];
  try {
    files = readdirSync(join(paths.root, 'containers'));
  } catch {
    return out;
  }
  for (const file of files) {
    if (!file.endsWith('.json')) continue;
    const record = readJson<ContainerRecord>(join(paths.root, 'containers', file));
    if (record?.name) out.set(record.name, record);
  }
  return out;
}

/** The exit code the wrapper wrote for a run, if it got to write one. */
export function readExitCode(path: string): number | undefined {
  try {
    const text = readFileSync(path, 'utf8').trim();
    return /^\d+$/.test(text) ? Number(text) : undefined;
  } catch {
    return undefined;
  }
}

/** uids of the Pods with state on disk. */
export function podDirectories(dataDir: string): string[] {
  try {
    return readdirSync(join(dataDir, 'pods'));
  } catch {
    return [];
  }
}

export function removePodState(paths: PodPaths): void {
  // A container run's overlay root may still be mounted (a crash between its exit and its cleanup).
  removeUnmounted(paths.root);
}
