// Container probes (startup, readiness, liveness): when each is due, what its results mean, and one probe run.
import { spawn } from 'node:child_process';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { connect } from 'node:net';
import type { ContainerSpec } from './types.js';

export interface ProbeSpec {
  exec?: { command?: string[] };
  httpGet?: { path?: string; port: number | string; host?: string; scheme?: 'HTTP' | 'HTTPS'; httpHeaders?: { name: string; value: string }[] };
  tcpSocket?: { port: number | string; host?: string };
  initialDelaySeconds?: number;
  timeoutSeconds?: number;
  periodSeconds?: number;
  successThreshold?: number;
  failureThreshold?: number;
}

export type ProbeKind = 'startup' | 'readiness' | 'liveness';

export interface ProbeResult {
  ok: boolean;
  /** Why it failed, as the kubelet words it (`HTTP probe failed with statuscode: 500`). */
  message: string;
}

/** What a probe run needs: where the container's own ports are, and the environment its exec probes run with. */
export interface ProbeTarget {
  container: ContainerSpec;
  env: Record<string, string>;
  cwd: string;
  /** For a container run: the command that runs an exec probe inside it (`runc exec <id>`). */
  execPrefix?: string[];
}

function probeOf(container: ContainerSpec, kind: ProbeKind): ProbeSpec | undefined {
  const field = `${kind}Probe` as const;
  return (container as ContainerSpec & Partial<Record<typeof field, ProbeSpec>>)[field];
}

interface KindState {
  spec: ProbeSpec;
  next: number;
  successes: number;
  failures: number;
  inFlight: boolean;
}

export type ProbeOutcome = { kind: 'ready-changed' } | { kind: 'started' } | { kind: 'liveness-failed'; message: string } | { kind: 'failed'; probe: ProbeKind; message: string };

/**
 * The probes of one run of one container. Startup first: until it succeeds the others wait (and its failures past
 * the threshold kill the container, as liveness does). Readiness starts false when a readiness probe exists.
 */
export class ContainerProbes {
  readonly attempt: number;
  private readonly states = new Map<ProbeKind, KindState>();
  private isReady: boolean;
  private isStarted: boolean;

  constructor(container: ContainerSpec, attempt: number, startedAt: number) {
    this.attempt = attempt;
    for (const kind of ['startup', 'readiness', 'liveness'] as const) {
      const spec = probeOf(container, kind);
      if (spec) this.states.set(kind, { spec, next: startedAt + (spec.initialDelaySeconds ?? 0) * 1000, successes: 0, failures: 0, inFlight: false });
    }
    this.isReady = !this.states.has('readiness');
    this.isStarted = !this.states.has('startup');
  }

  static wanted(container: ContainerSpec): boolean {
    return (['startup', 'readiness', 'liveness'] as const).some((k) => probeOf(container, k) !== undefined);
  }

  get ready(): boolean {
    return this.isStarted && this.isReady;
  }

  get started(): boolean {
    return this.isStarted;
  }

  /** Probes whose time has come and which are not running; they are marked running. */
  take(now: number): { kind: ProbeKind; spec: ProbeSpec }[] {
    const out: { kind: ProbeKind; spec: ProbeSpec }[] = [];
    for (const [kind, s] of this.states) {
      if (s.inFlight || now < s.next) continue;
      if (kind !== 'startup' && !this.isStarted) continue;
      if (kind === 'startup' && this.isStarted) continue;
      s.inFlight = true;
      out.push({ kind, spec: s.spec });
    }
    return out;
  }

  /** Records a result; says what changed for the Pod. */
  record(kind: ProbeKind, result: ProbeResult, now: number): ProbeOutcome | undefined {
    const s = this.states.get(kind);
    if (!s) return undefined;
    s.inFlight = false;
    s.next = now + (s.spec.periodSeconds ?? 10) * 1000;
    if (result.ok) {
      s.failures = 0;
      s.successes += 1;
    } else {
      s.successes = 0;
      s.failures += 1;
    }
    const failureThreshold = s.spec.failureThreshold ?? 3;
    switch (kind) {
      case 'startup':
        if (result.ok) {
          this.isStarted = true;
          return { kind: 'started' };
        }
        return s.failures >= failureThreshold ? { kind: 'liveness-failed', message: `Startup probe failed: ${result.message}` } : { kind: 'failed', probe: kind, message: result.message };
      case 'liveness':
        if (result.ok) return undefined;
        return s.failures >= failureThreshold ? { kind: 'liveness-failed', message: `Liveness probe failed: ${result.message}` } : { kind: 'failed', probe: kind, message: result.message };
      case 'readiness': {
        const was = this.isReady;
        if (result.ok && s.successes >= (s.spec.successThreshold ?? 1)) this.isReady = true;
        if (!result.ok && s.failures >= failureThreshold) this.isReady = false;
        if (was !== this.isReady) return { kind: 'ready-changed' };
        return result.ok ? undefined : { kind: 'failed', probe: kind, message: result.message };
      }
    }
  }
}

function resolvePort(container: ContainerSpec, port: number | string): number | undefined {
  if (typeof port === 'number') return port;
  if (/^\d+$/.test(port)) return Number(port);
  return container.ports?.find((p) => p.name === port)?.containerPort;
}

/** Runs one probe with its timeout: exec in the container's environment, an HTTP GET, or a TCP connect. */
export function runProbe(spec: ProbeSpec, target: ProbeTarget): Promise<ProbeResult> {
  const timeoutMs = (spec.timeoutSeconds ?? 1) * 1000;
  if (spec.exec) {
    const [first, ...rest] = spec.exec.command ?? [];
    if (!first) return Promise.resolve({ ok: false, message: 'exec probe has no command' });
    const [cmd, ...args] = target.execPrefix && target.execPrefix.length > 0 ? [...target.execPrefix, first, ...rest] : [first, ...rest];
    if (!cmd) return Promise.resolve({ ok: false, message: 'exec probe has no command' });
    return new Promise((resolve) => {
      const child = spawn(cmd, args, { cwd: target.cwd, env: target.env, stdio: ['ignore', 'pipe', 'pipe'], timeout: timeoutMs, killSignal: 'SIGKILL' });
      let output = '';
      child.stdout.on('data', (d: Buffer) => { output += d.toString(); });
      child.stderr.on('data', (d: Buffer) => { output += d.toString(); });
      child.once('error', (err) => resolve({ ok: false, message: err.message }));
      child.once('close', (code, signal) => {
        if (signal) resolve({ ok: false, message: `command timed out after ${spec.timeoutSeconds ?? 1}s` });
        else resolve(code === 0 ? { ok: true, message: '' } : { ok: false, message: output.trim() || `command exited with ${code ?? '?'}` });
      });
    });
  }
  if (spec.httpGet) {
    const get = spec.httpGet;
    const port = resolvePort(target.container, get.port);
    if (port === undefined) return Promise.resolve({ ok: false, message: `port "${String(get.port)}" is not a number nor a named container port` });
    const https = get.scheme === 'HTTPS';
    const url = `${https ? 'https' : 'http'}://${get.host ?? '127.0.0.1'}:${port}${get.path ?? '/'}`;
    const headers = Object.fromEntries((get.httpHeaders ?? []).map((h) => [h.name, h.value]));
    return new Promise((resolve) => {
      const req = (https ? httpsRequest : httpRequest)(url, { headers: { 'user-agent': 'kube-probe/1.32', ...headers }, timeout: timeoutMs, ...(https ? { rejectUnauthorized: false } : {}) }, (res) => {
        res.resume();
        const code = res.statusCode ?? 0;
        resolve(code >= 200 && code < 400 ? { ok: true, message: '' } : { ok: false, message: `HTTP probe failed with statuscode: ${code}` });
      });
      req.once('timeout', () => req.destroy(new Error(`Get "${url}": context deadline exceeded`)));
      req.once('error', (err) => resolve({ ok: false, message: `Get "${url}": ${err.message}` }));
      req.end();
    });
  }
  if (spec.tcpSocket) {
    const port = resolvePort(target.container, spec.tcpSocket.port);
    if (port === undefined) return Promise.resolve({ ok: false, message: `port "${String(spec.tcpSocket.port)}" is not a number nor a named container port` });
    const host = spec.tcpSocket.host ?? '127.0.0.1';
    return new Promise((resolve) => {
      const socket = connect({ host, port, timeout: timeoutMs });
      socket.once('connect', () => {
        socket.destroy();
        resolve({ ok: true, message: '' });
      });
      socket.once('timeout', () => socket.destroy(new Error('i/o timeout')));
      socket.once('error', (err) => resolve({ ok: false, message: `dial tcp ${host}:${port}: ${err.message}` }));
    });
  }
  return Promise.resolve({ ok: false, message: 'the probe names no handler (exec, httpGet or tcpSocket)' });
}
