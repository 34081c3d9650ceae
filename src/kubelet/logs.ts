// Container logs: rotation at a size, and reading as kubectl does (the run, current or --previous; tail, follow, timestamps).
import { closeSync, fstatSync, ftruncateSync, openSync, readFileSync, readSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
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

/** When container logs rotate and how many files a run keeps: the kubelet's containerLogMaxSize and containerLogMaxFiles. */
export interface LogRotation {
  maxBytes: number;
  /** Files per run, the current one included; 1 keeps none of the older output. */
  maxFiles: number;
}

export const defaultLogRotation: LogRotation = { maxBytes: 10 * 2 ** 20, maxFiles: 5 };

/** The rotated files of `log` (`<log>.1` the newest, `<log>.2`…), newest first. */
export function rotatedLogs(log: string): string[] {
  const base = `${basename(log)}.`;
  let names: string[];
  try {
    names = readdirSync(dirname(log));
  } catch {
    return [];
  }
  return names
    .filter((n) => n.startsWith(base) && /^\d+$/.test(n.slice(base.length)) && Number(n.slice(base.length)) > 0)
    .sort((a, b) => Number(a.slice(base.length)) - Number(b.slice(base.length)))
    .map((n) => join(dirname(log), n));
}

/** Removes a run's log with its rotated files and timestamp index. */
export function removeLogFiles(log: string): void {
  for (const file of [log, `${log}.times`, ...rotatedLogs(log)]) rmSync(file, { force: true });
}

function readAt(fd: number, position: number, length: number): Buffer {
  const buffer = Buffer.alloc(length);
  let filled = 0;
  while (filled < length) {
    const n = readSync(fd, buffer, filled, length - filled, position + filled);
    if (n === 0) break;
    filled += n;
  }
  return buffer.subarray(0, filled);
}

/**
 * Rotates `log` once it is over `maxBytes`. The container's process writes the file itself (O_APPEND, so it outlives
 * Floe), which rules out renaming it away: the newest output is copied into `<log>.1`… in pieces of at most
 * `maxBytes` that start at a line, older rotated files shift up, those past `maxFiles - 1` are deleted, and the log
 * is truncated, after which the process's appends start again at 0. What the process writes between the last read
 * and the truncation is lost (copytruncate's window). Once the run has `finished`, nothing writes any more and the
 * newest piece stays in the log itself, so `kubectl logs` still shows the end. Returns whether it rotated.
 */
export function rotateLog(log: string, rotation: LogRotation, finished = false): boolean {
  // Pieces to keep: the rotated files, and the log itself once nothing writes to it.
  const files = finished ? Math.max(1, rotation.maxFiles) : Math.max(0, rotation.maxFiles - 1);
  if (sizeOf(log) <= rotation.maxBytes) return false;
  let fd: number;
  try {
    fd = openSync(log, 'r+');
  } catch {
    return false;
  }
  let data: Buffer;
  /** Whether `data` begins at the start of a line. */
  let startsLine: boolean;
  try {
    let size = fstatSync(fd).size;
    if (size <= rotation.maxBytes) return false;
    const keep = files * rotation.maxBytes;
    // One byte before the kept part tells whether it starts a line.
    const from = Math.max(0, size - keep - 1);
    const parts: Buffer[] = [readAt(fd, from, size - from)];
    // Catch up with a process that is still writing, a few times, so the window before the truncation is short.
    for (let i = 0; i < 4; i++) {
      const now = fstatSync(fd).size;
      if (now <= size) break;
      parts.push(readAt(fd, size, now - size));
      size = now;
    }
    ftruncateSync(fd, 0);
    data = Buffer.concat(parts);
    startsLine = from === 0;
    if (data.length > keep) {
      startsLine = data[data.length - keep - 1] === 0x0a;
      data = data.subarray(data.length - keep);
    }
  } finally {
    closeSync(fd);
  }
  const pieces: Buffer[] = [];
  let end = data.length;
  while (end > 0 && pieces.length < files) {
    let start = Math.max(0, end - rotation.maxBytes);
    const atLineStart = start === 0 ? startsLine : data[start - 1] === 0x0a;
    if (!atLineStart) {
      const newline = data.indexOf(0x0a, start);
      if (newline >= 0 && newline + 1 < end) start = newline + 1;
    }
    pieces.push(data.subarray(start, end));
    end = start;
  }
  if (finished && pieces.length > 0) writeFileSync(log, pieces.shift()!);
  const old = rotatedLogs(log);
  for (let i = old.length - 1; i >= 0; i--) {
    const file = old[i]!;
    const index = Number(file.slice(log.length + 1)) + pieces.length;
    if (index > rotation.maxFiles - 1) rmSync(file, { force: true });
    else renameSync(file, `${log}.${index}`);
  }
  pieces.forEach((piece, i) => {
    writeFileSync(`${log}.${i + 1}.tmp`, piece);
    renameSync(`${log}.${i + 1}.tmp`, `${log}.${i + 1}`);
  });
  // Timestamps index offsets into the current file, which starts again at 0.
  rmSync(`${log}.times`, { force: true });
  return true;
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

function sizeOf(file: string): number {
  try {
    return statSync(file).size;
  } catch {
    return 0;
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
  let times = options.timestamps ? new TimeIndex({ path: `${file}.times`, logFile: file }) : undefined;
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
    if (sizeOf(file) < offset) {
      // Rotated (copied away and truncated): the process goes on writing from 0.
      const rest = stamp(Buffer.alloc(0), offset, true);
      if (rest.length > 0) yield rest;
      offset = 0;
      pendingStart = 0;
      if (times) times = new TimeIndex({ path: `${file}.times`, logFile: file });
      continue;
    }
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
