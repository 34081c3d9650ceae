// Container logs as kubectl reads them: choose the run (current or --previous), tail, follow, timestamps.
import { closeSync, openSync, readFileSync, readSync, statSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { errors } from '../api/errors.js';
import { outcome } from './pod-status.js';
import type { PodWorker } from './pod-worker.js';
import type { Pod } from './types.js';

export interface LogOptions {
  container?: string;
  follow?: boolean;
  previous?: boolean;
  tailLines?: number;
  timestamps?: boolean;
  signal?: AbortSignal;
}

export interface LogTarget {
  file: string;
  /** Whether the run that writes `file` is still going. */
  active(): boolean;
}

/** Which log file a request means, or the kube-apiserver error for why there is none. */
export function logTarget(pod: Pod, worker: PodWorker | undefined, options: LogOptions): LogTarget {
  const podName = pod.metadata.name ?? '';
  const names = pod.spec.containers.map((c) => c.name);
  const initNames = (pod.spec.initContainers ?? []).map((c) => c.name);
  let container = options.container;
  if (!container) {
    if (names.length !== 1) {
      const init = initNames.length > 0 ? ` or one of the init containers: [${initNames.join(' ')}]` : '';
      throw errors.badRequest(`a container name must be specified for pod ${podName}, choose one of: [${names.join(' ')}]${init}`);
    }
    container = names[0]!;
  }
  if (!names.includes(container) && !initNames.includes(container)) throw errors.badRequest(`container ${container} is not valid for pod ${podName}`);
  const record = worker?.record(container);
  const state = outcome(record);
  const statuses = [...(pod.status?.containerStatuses ?? []), ...(pod.status?.initContainerStatuses ?? [])];
  const waitingReason = statuses.find((s) => s.name === container)?.state.waiting?.reason ?? 'ContainerCreating';
  let attempt: number | undefined;
  if (options.previous) {
    const last = record?.lastTermination;
    if (state === 'running' || state === 'restarting') attempt = last?.attempt;
    else if (state === 'done' && last && last.attempt > 0) attempt = last.attempt - 1;
    if (attempt === undefined) throw errors.badRequest(`previous terminated container "${container}" in pod "${podName}" not found`);
  } else {
    if (state === 'never') throw errors.badRequest(`container "${container}" in pod "${podName}" is waiting to start: ${waitingReason}`);
    attempt = record!.running?.attempt ?? record!.lastTermination!.attempt;
  }
  const chosen = attempt;
  const name = container;
  return { file: worker!.paths.logFile(name, chosen), active: () => worker!.isRunning(name, chosen) };
}

/** RFC 3339 with nanoseconds, trailing zeros trimmed (Go's RFC3339Nano). */
export function rfc3339Nano(ns: bigint): string {
  const seconds = ns / 1_000_000_000n;
  const fraction = (ns % 1_000_000_000n).toString().padStart(9, '0').replace(/0+$/, '');
  const base = new Date(Number(seconds) * 1000).toISOString().replace(/\.\d+Z$/, '');
  return `${base}${fraction ? `.${fraction}` : ''}Z`;
}

/** The (size, mtime) samples the runtime wrote beside a log: bytes up to `size` had arrived by `ns`. */
class TimeIndex {
  private readonly path: string;
  private readonly logFile: string;
  private entries: { size: number; ns: bigint }[] = [];

  constructor(options: { path: string; logFile: string }) {
    this.path = options.path;
    this.logFile = options.logFile;
    this.load();
  }

  private load(): void {
    try {
      this.entries = readFileSync(this.path, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((line) => {
          const [size, ns] = line.split(' ');
          return { size: Number(size), ns: BigInt(ns ?? '0') };
        });
    } catch {
      this.entries = [];
    }
  }

  /** When the byte before `end` arrived. */
  at(end: number): bigint {
    let found = this.entries.find((e) => e.size >= end);
    if (!found) {
      this.load();
      found = this.entries.find((e) => e.size >= end);
    }
    if (found) return found.ns;
    try {
      return statSync(this.logFile, { bigint: true }).mtimeNs;
    } catch {
      return BigInt(Date.now()) * 1_000_000n;
    }
  }
}

function readFrom(file: string, offset: number, max = 1 << 20): Buffer {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch {
    return Buffer.alloc(0);
  }
  try {
    const buffer = Buffer.alloc(max);
    const n = readSync(fd, buffer, 0, max, offset);
    return buffer.subarray(0, n);
  } finally {
    closeSync(fd);
  }
}

/** The offset where the last `lines` lines begin (a final newline does not start another line). */
export function tailOffset(file: string, lines: number): number {
  let size: number;
  try {
    size = statSync(file).size;
  } catch {
    return 0;
  }
  if (lines <= 0) return size;
  let seen = 0;
  let end = size;
  const chunk = 64 * 1024;
  while (end > 0) {
    const start = Math.max(0, end - chunk);
    const buffer = readFrom(file, start, end - start);
    for (let i = buffer.length - 1; i >= 0; i--) {
      const at = start + i;
      if (buffer[i] !== 0x0a || at === size - 1) continue;
      seen += 1;
      if (seen === lines) return at + 1;
    }
    end = start;
  }
  return 0;
}

export interface ReadLogOptions {
  follow: boolean;
  tailLines?: number;
  timestamps: boolean;
  signal?: AbortSignal;
  pollMs: number;
}

/** Streams a log file; with `follow`, keeps reading until its run ends or `signal` aborts. */
export async function* readLog(target: LogTarget, options: ReadLogOptions): AsyncGenerator<Buffer> {
  const { file } = target;
  let offset = options.tailLines !== undefined ? tailOffset(file, options.tailLines) : 0;
  const times = options.timestamps ? new TimeIndex({ path: `${file}.times`, logFile: file }) : undefined;
  let pending = Buffer.alloc(0);
  let pendingStart = offset;
  const stamp = (data: Buffer, start: number, final: boolean): Buffer => {
    if (!times) return data;
    const all = pending.length > 0 ? Buffer.concat([pending, data]) : data;
    const base = pending.length > 0 ? pendingStart : start;
    const out: Buffer[] = [];
    let from = 0;
    for (let i = 0; i < all.length; i++) {
      if (all[i] !== 0x0a) continue;
      out.push(Buffer.from(`${rfc3339Nano(times.at(base + i + 1))} `), all.subarray(from, i + 1));
      from = i + 1;
    }
    if (from < all.length && final) {
      out.push(Buffer.from(`${rfc3339Nano(times.at(base + all.length))} `), all.subarray(from));
      from = all.length;
    }
    pending = Buffer.from(all.subarray(from));
    pendingStart = base + from;
    return Buffer.concat(out);
  };
  if (options.follow) yield Buffer.alloc(0);
  for (;;) {
    if (options.signal?.aborted) return;
    const chunk = readFrom(file, offset);
    if (chunk.length > 0) {
      const start = offset;
      offset += chunk.length;
      const out = stamp(chunk, start, false);
      if (out.length > 0) yield out;
      continue;
    }
    if (!options.follow) break;
    if (!target.active()) {
      const rest = readFrom(file, offset);
      if (rest.length > 0) continue;
      break;
    }
    try {
      await sleep(options.pollMs, undefined, options.signal ? { signal: options.signal } : {});
    } catch {
      return;
    }
  }
  const tail = stamp(Buffer.alloc(0), offset, true);
  if (tail.length > 0) yield tail;
}
