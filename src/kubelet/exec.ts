// `kubectl exec`, `attach` and `port-forward` on the local runtime: a command in a running container (its environment,
// working directory and cgroups; `runc exec` for an OCI container), the container's output, a TCP connection to a port
// one of the Pod's processes listens on.
import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants, existsSync, readdirSync, readFileSync, readlinkSync, statSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { basename, isAbsolute, join } from 'node:path';
import { PassThrough, Readable, Writable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { errors, FloeError } from '../api/errors.js';
import type { Client } from '../client/client.js';
import { cgroupMembers, recordedCgroups } from './cgroups.js';
import { ContainerConfigError } from './container-env.js';
import { runMarker, type ExecTarget, type PodWorker } from './pod-worker.js';
import { ContainerRuntime } from './container-runtime.js';
import { PodPaths } from './pod-state.js';
import { processesWithEnv, readProcStat, signalGroup } from './proc.js';
import { PodRef, type ContainerSpec, type Pod } from './types.js';
import { containerMounts, mapMountPaths, volumeDirs, type Mount } from './volumes.js';
import { resizeTty, ttyResizePath } from './tty.js';

/** What `pods/exec` asks for (its query parameters). */
export interface ExecRequest {
  /** The container; may be left out when the Pod has one. */
  container?: string;
  command: string[];
  stdin: boolean;
  stdout: boolean;
  stderr: boolean;
  /** A terminal: stdout carries the terminal's output (stderr included), `resize` sets its size. */
  tty: boolean;
  /** Variables over the container's own. */
  env?: Record<string, string>;
}

/** What `pods/attach` asks for. */
export interface AttachRequest {
  container?: string;
  stdin: boolean;
  stdout: boolean;
  stderr: boolean;
  tty: boolean;
}

/** How a session ended: the command's exit code, or why it could not run (the error channel's Failure status). */
export type ExecExit = { kind: 'exited'; code: number } | { kind: 'failed'; message: string };

/** A running exec or attach: its streams (absent when not asked for), the terminal size, and its end. */
export interface ExecSession {
  readonly stdin: Writable | undefined;
  readonly stdout: Readable | undefined;
  readonly stderr: Readable | undefined;
  /** The terminal's size in columns and rows (a session without a terminal ignores it). */
  resize(width: number, height: number): void;
  readonly exit: Promise<ExecExit>;
  /** Ends the session (the client went away): SIGHUP and SIGTERM to its processes, SIGKILL after a grace period. */
  kill(): void;
}

export interface ContainerStreamsOptions {
  client: Client;
  nodeName: string;
  dataDir: string;
  /** The worker of a Pod on this node, while the runtime runs. */
  worker(uid: string): PodWorker | undefined;
  /** A container's log, as `kubectl logs` reads it (attach follows it). */
  logs(namespace: string, pod: string, options: { container: string; follow: true; tailLines: number; signal: AbortSignal }): AsyncIterable<Buffer>;
  /** PATH where python3 (the terminal helper) and `script` are looked up; the host's. */
  hostPath: string;
}

/** How long processes of an abandoned session get after SIGTERM before SIGKILL. */
const killGraceMs = 2_000;
/** How long exec waits for runc to create a container whose run has just started. */
const containerCreationMs = 10_000;

/**
 * A pseudo-terminal for a command, without compiling anything: Python's `pty` module (on every machine that runs
 * Floe's Python runtimes). It relays fd 0 to the terminal and the terminal to fd 1, reads `<columns> <rows>` lines on
 * fd 3 to set the window size (which also sends SIGWINCH, so `runc exec --tty` passes the size on), and exits with
 * the command's code (128 + signal when killed). It waits up to a second for the first size (kubectl sends it as soon
 * as it is connected), so the command starts with it. `raw` (first argument) is for `runc exec --tty`, which brings its
 * own terminal inside the container: this one then passes bytes through unchanged. Run with -I: the container's
 * PYTHON* variables must not reach it.
 */
const ptyHelper = String.raw`
import errno, fcntl, os, pty, select, struct, sys, termios, tty
raw, argv = sys.argv[1] == 'raw', sys.argv[2:]
ctl, size = b'', None
def take_sizes():
    global ctl, size
    while b'\n' in ctl:
        line, ctl = ctl.split(b'\n', 1)
        try:
            cols, rows = (int(x) for x in line.split())
            size = struct.pack('HHHH', rows, cols, 0, 0)
        except ValueError:
            pass
if select.select([3], [], [], 1.0)[0]:
    ctl += os.read(3, 4096)
    take_sizes()
pid, master = pty.fork()
if pid == 0:
    if size:
        fcntl.ioctl(0, termios.TIOCSWINSZ, size)
    if raw:
        tty.setraw(0)
    try:
        os.execvp(argv[0], argv)
    except OSError as e:
        os.write(2, ('exec: "%s": %s\r\n' % (argv[0], e.strerror)).encode())
        os._exit(127 if e.errno == errno.ENOENT else 126)
os.set_blocking(master, False)
def out(data):
    while data:
        data = data[os.write(1, data):]
pending, status, reading = b'', None, [master, 0, 3]
while True:
    if status is None:
        done, st = os.waitpid(pid, os.WNOHANG)
        if done:
            status = st
    if status is not None:
        while True:
            try:
                data = os.read(master, 65536)
            except OSError:
                data = b''
            if not data:
                break
            out(data)
        break
    watch = [fd for fd in reading if fd != 0 or len(pending) < 65536]
    r, w, _ = select.select(watch, [master] if pending else [], [], 0.1)
    if master in w:
        try:
            pending = pending[os.write(master, pending):]
        except OSError:
            pending = b''
    if master in r:
        try:
            data = os.read(master, 65536)
        except OSError:
            data = b''
        if data:
            out(data)
        else:
            reading.remove(master)
    if 0 in r:
        data = os.read(0, 65536)
        if data:
            pending += data
        else:
            reading.remove(0)
    if 3 in r:
        data = os.read(3, 4096)
        if not data:
            reading.remove(3)
        ctl += data
        size = None
        take_sizes()
        if size:
            try:
                fcntl.ioctl(master, termios.TIOCSWINSZ, size)
            except OSError:
                pass
code = os.waitstatus_to_exitcode(status)
sys.exit(code if code >= 0 else 128 - code)
`;

/** Joins the run's cgroups ($1 of them follow), then becomes the command: nothing it starts is outside them. */
const joinCgroups =
  'n=$1; shift; while [ "$n" -gt 0 ]; do echo $$ > "$1/cgroup.procs" || { echo "floe: cannot join cgroup $1" >&2; exit 126; }; shift; n=$((n - 1)); done; exec "$@"';

function findProgram(program: string, path: string, cwd = '/'): string | undefined {
  const candidates = program.includes('/') ? [isAbsolute(program) ? program : join(cwd, program)] : path.split(':').filter(Boolean).map((dir) => join(dir, program));
  return candidates.find((file) => {
    try {
      accessSync(file, constants.X_OK);
      return statSync(file).isFile();
    } catch {
      return false;
    }
  });
}

/** The container a request names, with kube-apiserver's errors for none, an ambiguous one, or an unknown one. */
export function chooseContainer(pod: Pod, name: string | undefined): ContainerSpec {
  const podName = pod.metadata.name ?? '';
  const containers = pod.spec.containers;
  const all = [...containers, ...(pod.spec.initContainers ?? [])];
  if (!name) {
    if (containers.length !== 1) throw errors.badRequest(`a container name must be specified for pod ${podName}, choose one of: [${containers.map((c) => c.name).join(' ')}]`);
    return containers[0]!;
  }
  const found = all.find((c) => c.name === name);
  if (!found) throw errors.badRequest(`container ${name} is not valid for pod ${podName}`);
  return found;
}

/**
 * For a host process, `kubectl cp` runs `tar cf - /data/f` and checks that the member names start with `data/f`. The
 * mount path was mapped to the volume's host folder, so tar would name members after that folder: a `--transform`
 * (GNU tar) names them after the mount path again. Only for tar, only for paths that were mapped.
 */
export function tarTransforms(argv: readonly string[], mapped: readonly string[], mounts: readonly Mount[]): string[] {
  if (basename(argv[0] ?? '') !== 'tar') return [];
  const used = mounts.filter((m) => mapped.some((a, i) => a !== argv[i] && a.includes(m.hostPath)));
  const escape = (s: string): string => s.replace(/[\\^$.*[\]]/g, '\\$&');
  return used.map((m) => `--transform=s|^/\\?${escape(m.hostPath.replace(/^\/+/, ''))}|${m.mountPath.replace(/^\/+/, '').replace(/[\\&|]/g, '\\$&')}|`);
}

/**
 * A child's output, held until the client's streams are there. Node resumes (and so discards) the output pipes of a
 * child that exits while nobody listens to them; a command quicker than the client's SPDY handshake lost its output.
 * Piping into a PassThrough at once keeps it (up to the high-water mark, then the child waits, as with a slow client).
 */
function held(output: Readable | null): Readable | undefined {
  if (!output) return undefined;
  const kept = new PassThrough();
  output.pipe(kept);
  // Whoever stops reading (the client went away, or a background process holds the pipe after the exit) closes the pipe.
  kept.once('close', () => output.destroy());
  return kept;
}

/** A session over a child process (which leads its own process group). */
function childSession(child: ChildProcess, options: { stdin: boolean; stdout: boolean; stderr: boolean; tty: boolean; control?: Writable }): ExecSession {
  const exit = new Promise<ExecExit>((resolve) => {
    child.once('error', (err) => resolve({ kind: 'failed', message: err.message }));
    child.once('exit', (code, signal) => {
      resolve({ kind: 'exited', code: code ?? 128 + (signal ? signalNumber(signal) : 9) });
    });
  });
  let exited = false;
  void exit.then(() => (exited = true));
  // A client that went away must not leave EPIPE errors behind.
  for (const stream of [child.stdin, child.stdout, child.stderr, options.control]) stream?.on('error', () => undefined);
  return {
    stdin: options.stdin ? (child.stdin ?? undefined) : undefined,
    stdout: options.stdout ? held(child.stdout) : undefined,
    stderr: options.stderr && !options.tty ? held(child.stderr) : undefined,
    resize(width, height) {
      if (!options.control || !Number.isInteger(width) || !Number.isInteger(height) || width <= 0 || height <= 0) return;
      options.control.write(`${Math.min(width, 65535)} ${Math.min(height, 65535)}\n`);
    },
    exit,
    kill() {
      child.stdin?.destroy();
      const pid = child.pid;
      if (exited || pid === undefined) return;
      signalGroup(pid, 'SIGHUP');
      signalGroup(pid, 'SIGTERM');
      setTimeout(() => {
        if (!exited) signalGroup(pid, 'SIGKILL');
      }, killGraceMs).unref();
    },
  };
}

function signalNumber(signal: NodeJS.Signals): number {
  const table: Partial<Record<NodeJS.Signals, number>> = { SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGKILL: 9, SIGTERM: 15, SIGPIPE: 13 };
  return table[signal] ?? 9;
}

/** A session that failed before anything ran (the command is not in the container). */
function failedSession(message: string): ExecSession {
  return { stdin: undefined, stdout: undefined, stderr: undefined, resize: () => undefined, exit: Promise.resolve({ kind: 'failed', message }), kill: () => undefined };
}

interface Listener {
  inode: string;
  /** Where to connect: the listening address, loopback for a wildcard. */
  host: string;
}

/** Sockets listening on TCP `port` in this network namespace (/proc/net/tcp and tcp6). */
function tcpListeners(port: number): Listener[] {
  const out: Listener[] = [];
  for (const [file, v6] of [['/proc/net/tcp', false], ['/proc/net/tcp6', true]] as const) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/);
      const [address, portHex] = (fields[1] ?? '').split(':');
      if (fields[3] !== '0A' || !address || !portHex || parseInt(portHex, 16) !== port) continue;
      out.push({ inode: fields[9] ?? '', host: v6 ? ipv6Host(address) : ipv4Host(address) });
    }
  }
  return out;
}

/** /proc/net/tcp writes an IPv4 address as one little-endian 32-bit word; a wildcard becomes loopback. */
export function ipv4Host(hex: string): string {
  const bytes = Buffer.from(hex, 'hex').reverse();
  const text = [...bytes].join('.');
  return text === '0.0.0.0' ? '127.0.0.1' : text;
}

/** …and an IPv6 address as four of them (IPv4-mapped addresses come back as IPv4). */
export function ipv6Host(hex: string): string {
  const bytes = Buffer.alloc(16);
  for (let i = 0; i < 4; i++) Buffer.from(hex.slice(i * 8, i * 8 + 8), 'hex').reverse().copy(bytes, i * 4);
  if (bytes.subarray(0, 10).every((b) => b === 0) && bytes[10] === 0xff && bytes[11] === 0xff) return [...bytes.subarray(12)].join('.');
  if (bytes.every((b) => b === 0)) return '::1';
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(bytes.readUInt16BE(i).toString(16));
  return groups.join(':');
}

/** Whether one of `pids` holds the socket with this inode. */
function holdsSocket(pids: Iterable<number>, inode: string): boolean {
  const link = `socket:[${inode}]`;
  for (const pid of pids) {
    let fds: string[];
    try {
      fds = readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      try {
        if (readlinkSync(`/proc/${pid}/fd/${fd}`) === link) return true;
      } catch {
        // closed meanwhile
      }
    }
  }
  return false;
}

/** Live processes whose process group is one of `pgids`. */
function groupMembers(pgids: ReadonlySet<number>): number[] {
  if (pgids.size === 0) return [];
  let names: string[];
  try {
    names = readdirSync('/proc').filter((n) => /^\d+$/.test(n));
  } catch {
    return [];
  }
  return names.map(Number).filter((pid) => {
    const stat = readProcStat(pid);
    return stat !== undefined && pgids.has(stat.pgrp) && stat.state !== 'Z';
  });
}

/** exec, attach and port-forward against the Pods this node runs. */
export class ContainerStreams {
  private readonly options: ContainerStreamsOptions;

  constructor(options: ContainerStreamsOptions) {
    this.options = options;
  }

  /**
   * Starts `command` in a running container. Throws FloeError before anything runs when the Pod or container is
   * missing or not running (kubectl then prints `unable to upgrade connection: …`); a command that is not there ends
   * the session with a Failure instead.
   */
  async exec(namespace: string, podName: string, request: ExecRequest): Promise<ExecSession> {
    if (request.command.length === 0) throw errors.badRequest('you must specify at least 1 command');
    const target = await this.target(namespace, podName, request.container);
    const tty = request.tty;
    const stdio: ('pipe' | 'ignore')[] = [request.stdin ? 'pipe' : 'ignore', request.stdout ? 'pipe' : 'ignore', request.stderr && !tty ? 'pipe' : 'ignore'];
    let argv: string[];
    let env: Record<string, string>;
    let cwd: string;
    if (target.execPrefix) {
      // An OCI container: runc joins its namespaces and cgroup; its config gives the env, user and working directory.
      const [runc, ...rest] = target.execPrefix;
      const id = rest.pop()!;
      const extra = Object.entries(request.env ?? {}).flatMap(([k, v]) => ['--env', `${k}=${v}`]);
      argv = [runc!, ...rest, ...(tty ? ['--tty'] : []), ...extra, id, ...request.command];
      env = { PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' };
      cwd = '/';
    } else {
      // A host process: the container's environment and working directory, mount paths mapped as for its command.
      env = { ...target.env, ...(request.env ?? {}) };
      if (target.cgroups.length === 0) {
        const [name, value] = [target.marker.slice(0, target.marker.indexOf('=')), target.marker.slice(target.marker.indexOf('=') + 1)];
        env[name] = value;
      }
      cwd = target.cwd;
      const mounts = this.mounts(target);
      const mapped = request.command.map((a) => mapMountPaths(a, mounts));
      argv = [...mapped, ...tarTransforms(request.command, mapped, mounts)];
      if (!findProgram(argv[0]!, env.PATH ?? '', cwd)) {
        const program = argv[0]!;
        return failedSession(program.includes('/') ? `exec: "${program}": stat ${program}: no such file or directory` : `exec: "${program}": executable file not found in $PATH`);
      }
      argv = [...target.processBound, ...argv];
    }
    let control: Writable | undefined;
    if (tty) {
      const python = findProgram('python3', this.options.hostPath);
      if (!python) throw errors.badRequest('this node cannot give the command a terminal: python3 is not on the PATH of Floe; run without -t');
      argv = [python, '-I', '-c', ptyHelper, target.execPrefix ? 'raw' : 'cooked', ...argv];
      stdio.push('pipe');
    }
    const cgroups = target.execPrefix ? [] : target.cgroups;
    const child = spawn('/bin/sh', ['-c', joinCgroups, 'floe-exec', String(cgroups.length), ...cgroups, ...argv], { cwd, env, detached: true, stdio });
    if (tty) control = child.stdio[3] as Writable;
    return childSession(child, { stdin: request.stdin, stdout: request.stdout, stderr: request.stderr, tty, ...(control ? { control } : {}) });
  }

  /**
   * The container's output from now on (its log, which holds stdout and stderr together), until the run ends, and
   * its stdin when it has one (`stdin: true`; with `stdinOnce` only the first attach writes it, and detaching ends it).
   * Input to a container without stdin is dropped, as the kubelet drops it.
   */
  async attach(namespace: string, podName: string, request: AttachRequest): Promise<ExecSession> {
    const target = await this.target(namespace, podName, request.container);
    const { worker } = await this.podOnNode(namespace, podName);
    const input = request.stdin ? worker.attachStdin(target.container.name) : undefined;
    const abort = new AbortController();
    const source = this.options.logs(namespace, podName, { container: target.container.name, follow: true, tailLines: 0, signal: abort.signal });
    const stdout = Readable.from(source);
    const exit = new Promise<ExecExit>((resolve) => {
      stdout.once('end', () => resolve({ kind: 'exited', code: 0 }));
      stdout.once('error', (err) => resolve({ kind: 'failed', message: err.message }));
      stdout.once('close', () => resolve({ kind: 'exited', code: 0 }));
    });
    const sink = new Writable({ write: (_chunk, _encoding, callback) => callback() });
    // A container with its own terminal (tty: true, in runc) takes the window sizes of a terminal attach (tty.ts).
    const attempt = worker.record(target.container.name)?.running?.attempt;
    const resizeFifo = request.tty && target.container.tty === true && target.execPrefix && attempt !== undefined ? ttyResizePath(ContainerRuntime.bundleDir(worker.paths.root, target.container.name, attempt)) : undefined;
    return {
      stdin: request.stdin ? (input ?? sink) : undefined,
      stdout: request.stdout || request.stderr ? stdout : undefined,
      stderr: undefined,
      resize: (width, height) => {
        if (resizeFifo) resizeTty(resizeFifo, width, height);
      },
      exit,
      kill: () => {
        abort.abort();
        stdout.destroy();
        // The attach is over: a stdinOnce stream ends with it (ContainerStdin decides).
        if (input && !input.writableEnded) input.end();
      },
    };
  }

  /**
   * A TCP connection to `port` where one of the Pod's processes listens (they share the host's network). Other
   * programs of this machine listening there are not reachable through the Pod. Errors are plain (the port-forward
   * error stream carries their message).
   */
  async portForward(namespace: string, podName: string, port: number): Promise<Socket> {
    if (!Number.isInteger(port) || port < 1 || port > 65535) throw new Error(`invalid port ${port}`);
    const { pod, worker } = await this.podOnNode(namespace, podName);
    if (pod.status?.phase !== 'Running') throw new Error(`pod ${podName} is not running (phase ${pod.status?.phase ?? 'Pending'})`);
    const listeners = tcpListeners(port);
    if (listeners.length === 0) throw new Error(`dial tcp 127.0.0.1:${port}: connect: connection refused`);
    const pids = this.podProcesses(pod, worker);
    const own = listeners.find((l) => holdsSocket(pids, l.inode));
    if (!own) throw new Error(`no process of pod ${podName} listens on port ${port}`);
    return new Promise((resolve, reject) => {
      const socket = connect({ host: own.host, port });
      socket.once('connect', () => {
        socket.off('error', reject);
        resolve(socket);
      });
      socket.once('error', reject);
    });
  }

  private async podOnNode(namespace: string, podName: string): Promise<{ pod: Pod; worker: PodWorker }> {
    const pod = await this.options.client.get<Pod>(PodRef, podName, namespace);
    if (!pod.spec.nodeName) throw errors.badRequest(`pod ${podName} does not have a host assigned`);
    const worker = pod.spec.nodeName === this.options.nodeName ? this.options.worker(pod.metadata.uid ?? '') : undefined;
    if (!worker) throw new FloeError('ServiceUnavailable', `pod ${podName} is not running on this node`);
    return { pod, worker };
  }

  private async target(namespace: string, podName: string, name: string | undefined): Promise<ExecTarget> {
    const { pod, worker } = await this.podOnNode(namespace, podName);
    const container = chooseContainer(pod, name);
    const target = await worker.execTarget(container.name);
    if (!target) throw errors.badRequest(`container not found ("${container.name}")`);
    // The run counts as started once `runc run` is; runc needs a moment more before `runc exec` finds the container.
    const state = target.containerState;
    if (state && !existsSync(state)) {
      const deadline = Date.now() + containerCreationMs;
      while (!existsSync(state) && Date.now() < deadline) await sleep(50);
      if (!existsSync(state)) throw errors.badRequest(`container not found ("${container.name}"): runc has not created it`);
    }
    return target;
  }

  private mounts(target: ExecTarget): Mount[] {
    try {
      const dirs = volumeDirs(target.pod, new PodPaths({ dataDir: this.options.dataDir, uid: target.uid }), this.options.dataDir);
      return containerMounts(target.container, dirs, target.pod);
    } catch (err) {
      if (err instanceof ContainerConfigError) return [];
      throw err;
    }
  }

  /** Every live process of the Pod's running containers: by process group, by cgroup, and by marker without cgroups. */
  private podProcesses(pod: Pod, worker: PodWorker): Set<number> {
    const uid = pod.metadata.uid ?? '';
    const groups = new Set<number>();
    const out = new Set<number>();
    for (const c of [...(pod.spec.initContainers ?? []), ...pod.spec.containers]) {
      const run = worker.record(c.name)?.running;
      if (run?.pid === undefined) continue;
      groups.add(run.pid);
      const cgroups = recordedCgroups(run.cgroups, uid, c.name);
      for (const pid of cgroupMembers(cgroups)) out.add(pid);
      if (cgroups.length === 0) for (const pid of processesWithEnv(runMarker(uid, c.name, run.attempt))) out.add(pid);
    }
    for (const pid of groupMembers(groups)) out.add(pid);
    return out;
  }
}
