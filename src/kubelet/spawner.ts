// The kubelet's spawner (native/floe-spawner.c): container runs start as forks of one small helper process instead of
// forks of Floe, whose fork of a few hundred MB of Node costs ~4 ms of the event loop on every Pod start. Where the
// helper does not build or has died, runs start with Node's own spawn (the caller's fallback).
import { spawn, type ChildProcess } from 'node:child_process';
import { constants } from 'node:os';
import { getSystemErrorName } from 'node:util';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Logger } from '../api/logger.js';
import { compiledNative } from '../api/native-build.js';

/** native/floe-spawner.c of the checkout (absent from the controllers' image, which runs no kubelet). */
export const spawnerSource = fileURLToPath(new URL('../../../native/floe-spawner.c', import.meta.url));

/** The spawner, compiled on first use; undefined (runs start with Node's spawn) where it does not build, or with FLOE_SPAWNER=0. */
export function startSpawner(log: Logger): Spawner | undefined {
  if (!existsSync(spawnerSource) || process.env.FLOE_SPAWNER === '0') return undefined;
  const binary = compiledNative(spawnerSource, log, 'container runs start with Node\'s spawn');
  return binary ? new Spawner(binary, log) : undefined;
}

/**
 * A run started by the spawner: its pid, then its end (code or signal, as a ChildProcess's `exit` gives them) or, if
 * the helper died first, `lost`. A handler added after the fact is called at once: the helper's answers can carry a
 * run's start and its end in one read.
 */
export class SpawnedRun {
  private ended: { code: number | null; signal: NodeJS.Signals | null } | 'lost' | undefined;
  private readonly exitHandlers: ((code: number | null, signal: NodeJS.Signals | null) => void)[] = [];
  private readonly lostHandlers: (() => void)[] = [];

  constructor(readonly pid: number) {}

  onExit(handler: (code: number | null, signal: NodeJS.Signals | null) => void): void {
    if (this.ended === undefined) this.exitHandlers.push(handler);
    else if (this.ended !== 'lost') handler(this.ended.code, this.ended.signal);
  }

  onLost(handler: () => void): void {
    if (this.ended === undefined) this.lostHandlers.push(handler);
    else if (this.ended === 'lost') handler();
  }

  /** @internal the helper reported the run's end. */
  settle(code: number | null, signal: NodeJS.Signals | null): void {
    if (this.ended !== undefined) return;
    this.ended = { code, signal };
    for (const h of this.exitHandlers.splice(0)) h(code, signal);
  }

  /** @internal the helper is gone before the run ended. */
  lose(): void {
    if (this.ended !== undefined) return;
    this.ended = 'lost';
    for (const h of this.lostHandlers.splice(0)) h();
  }
}

export interface SpawnRequest {
  /** argv[0] is run as is (an absolute path): no PATH lookup. */
  argv: readonly string[];
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** stdout and stderr are appended to this file (created 0600). */
  log: string;
  /** The cgroups the run starts in: the v2 one from its creation, v1 ones before it execs. */
  cgroups?: readonly { version: 1 | 2; dir: string }[];
}

interface Pending {
  resolve: (run: SpawnedRun) => void;
  reject: (err: Error) => void;
}

export class Spawner {
  private readonly log: Logger;
  private child: ChildProcess | undefined;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly runs = new Map<number, SpawnedRun>();
  private buffered = '';
  private ready: Promise<boolean>;

  constructor(private readonly binary: string, logger: Logger) {
    this.log = logger.child({ component: 'spawner' });
    this.ready = this.start();
  }

  /** Whether runs can start through the helper now (false once it has died or was closed). */
  get available(): boolean {
    return this.child !== undefined;
  }

  private start(): Promise<boolean> {
    const child = spawn(this.binary, [], { stdio: ['pipe', 'pipe', 'inherit'] });
    this.child = child;
    child.stdin.on('error', () => undefined);
    const ready = new Promise<boolean>((resolve) => {
      child.once('error', (err) => {
        this.log.warn({ err }, 'the spawner could not start; runs start with Node\'s spawn');
        resolve(false);
      });
      child.stdout.once('data', () => resolve(true));
      child.once('exit', () => resolve(false));
    });
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => this.read(chunk));
    child.once('exit', (code, signal) => {
      if (this.child !== child) return;
      this.child = undefined;
      if (code !== 0 || signal) this.log.warn({ code, signal }, 'the spawner exited; runs start with Node\'s spawn');
      // Requests in flight get no answer, and the runs it started are no longer its children: the pod workers watch
      // them by pid and exit file, as they do for runs re-adopted after a restart.
      this.abandon('the spawner exited');
    });
    return ready;
  }

  private read(chunk: string): void {
    this.buffered += chunk;
    let newline: number;
    while ((newline = this.buffered.indexOf('\n')) >= 0) {
      const line = this.buffered.slice(0, newline);
      this.buffered = this.buffered.slice(newline + 1);
      const [kind, a, b, c] = line.split(' ');
      if (kind === 'S' || kind === 'F') {
        const request = this.pending.get(Number(a));
        this.pending.delete(Number(a));
        if (!request) continue;
        if (kind === 'S') {
          const run = new SpawnedRun(Number(b));
          this.runs.set(run.pid, run);
          request.resolve(run);
        } else {
          const errno = Number(b);
          const err = new Error(`spawn failed: ${getSystemErrorName(-errno)}`) as NodeJS.ErrnoException;
          err.code = getSystemErrorName(-errno);
          err.errno = -errno;
          request.reject(err);
        }
      } else if (kind === 'X') {
        const run = this.runs.get(Number(a));
        this.runs.delete(Number(a));
        if (!run) continue;
        if (b === 'signal') run.settle(null, signalName(Number(c)));
        else run.settle(Number(c), null);
      }
    }
  }

  /** Starts a run in its own session; rejects with the errno's code when it cannot start (or the helper is gone). */
  async spawn(request: SpawnRequest): Promise<SpawnedRun> {
    if (!(await this.ready) || !this.child) throw new Error('the spawner is not running');
    const id = this.nextId++;
    const env = Object.entries(request.env).filter((e): e is [string, string] => e[1] !== undefined).map(([k, v]) => `${k}=${v}`);
    const cgroups = (request.cgroups ?? []).map((c) => `${c.version}:${c.dir}`);
    const fields = [String(id), request.cwd, request.log, String(cgroups.length), ...cgroups, String(request.argv.length), ...request.argv, String(env.length), ...env];
    for (const f of fields) if (f.includes('\0')) throw new Error('an argument or environment variable holds a NUL byte');
    const payload = Buffer.from(fields.map((f) => `${f}\0`).join(''), 'utf8');
    const head = Buffer.alloc(4);
    head.writeUInt32BE(payload.length);
    const answer = new Promise<SpawnedRun>((resolve, reject) => this.pending.set(id, { resolve, reject }));
    this.child.stdin!.write(Buffer.concat([head, payload]));
    return answer;
  }

  /** Requests in flight are refused; the runs it started are reported lost (their pod workers then watch them by pid). */
  private abandon(why: string): void {
    for (const p of this.pending.values()) p.reject(new Error(why));
    this.pending.clear();
    for (const run of this.runs.values()) run.lose();
    this.runs.clear();
  }

  /** Closes the helper's stdin: it exits, and the runs it started go on (re-adopted by the next start). */
  close(): void {
    const child = this.child;
    this.child = undefined;
    if (!child) return;
    child.stdin?.end();
    child.stdout?.destroy();
    child.unref();
    this.abandon('the spawner is closed');
  }
}

function signalName(n: number): NodeJS.Signals | null {
  for (const [name, value] of Object.entries(constants.signals)) if (value === n) return name as NodeJS.Signals;
  return null;
}

