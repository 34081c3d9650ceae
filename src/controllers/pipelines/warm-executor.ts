// The warm executor (issue 23): one pre-started Python worker per local environment that has imported kfp, forking a
// child per lightweight-component task; a task Pod's command becomes a tiny client (python/floe_warm_executor.py).
// The Pod stays the unit the engine and the kubelet see (its log, exit code, cgroups, termination); only the process
// that runs the component is a fork of a warm interpreter instead of a fresh one. Embedded mode only.
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { chmodSync, copyFileSync, existsSync, mkdirSync, renameSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Logger } from '../../api/logger.js';
import { compiledNative } from '../../api/native-build.js';

/** A Pod annotation: `"false"` runs that task's Pod as a fresh process (kfp-kubernetes `add_pod_annotation`). */
export const WarmExecutorAnnotation = 'pipelines.floe.dev/warm-executor';

/** A local Python environment that images map to, and the images (globs) whose tasks its worker takes. */
export interface WarmEnvironment {
  name: string;
  images: readonly string[];
  /** The environment's interpreter (`.venvs/<name>/bin/python`). */
  python: string;
}

export interface WarmExecutorOptions {
  /** The pipelines folder (mounted into every task Pod): the client script and the workers' sockets go here. */
  dir: string;
  /** python/floe_warm_executor.py of the checkout; copied into the pipelines folder. */
  script: string;
  /**
   * native/floe-warm-client.c of the checkout: the client in C, compiled once per machine (~/.cache/floe/native), so a
   * task does not pay an interpreter's start. Without it, or without a working C compiler, Pods run the Python client.
   */
  nativeClient?: string;
  environments: readonly WarmEnvironment[];
  logger: Logger;
}

/** What a local Pod inherits from the host (src/kubelet/kubelet.ts), so the worker's own environment is no richer. */
const hostEnv = ['HOME', 'USER', 'LOGNAME', 'SHELL', 'LANG', 'LANGUAGE', 'LC_ALL', 'LC_CTYPE', 'TZ', 'TMPDIR', 'TERM', 'LD_LIBRARY_PATH', 'SSL_CERT_FILE', 'SSL_CERT_DIR'];

/** A worker that died this soon after starting is not restarted for a while (tasks run as fresh processes meanwhile). */
const quickDeathMs = 5_000;
const restartHoldMs = 30_000;

interface WorkerState {
  env: WarmEnvironment;
  socket: string;
  child?: ChildProcess | undefined;
  startedAt: number;
  holdUntil: number;
}

/** Whether an argv is the kfp compiler's lightweight-component command (the worker checks it exactly). */
export function isLightweightComponent(argv: readonly string[]): boolean {
  return argv[0] === 'sh' && argv.some((a) => a.includes('kfp.dsl.executor_main') && a.includes('ephemeral_component.py'));
}

function globMatches(pattern: string, text: string): boolean {
  const source = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${source}$`).test(text);
}

export class WarmExecutor {
  private readonly log: Logger;
  private readonly client: string;
  private readonly source: string;
  private readonly nativeSource: string | undefined;
  private readonly native: string;
  private nativeBuilt = false;
  private readonly socketDir: string;
  private readonly workers = new Map<string, WorkerState>();
  private closed = false;

  constructor(options: WarmExecutorOptions) {
    this.log = options.logger.child({ component: 'warm-executor' });
    this.source = options.script;
    this.client = join(options.dir, 'bin', 'floe-warm-executor.py');
    this.nativeSource = options.nativeClient;
    this.native = join(options.dir, 'bin', 'floe-warm-client');
    // A Unix socket path holds 107 bytes: a long data directory gets its sockets in the temp folder instead.
    const preferred = join(options.dir, 'warm');
    this.socketDir = preferred.length <= 80 ? preferred : join(tmpdir(), `floe-warm-${createHash('sha256').update(options.dir).digest('hex').slice(0, 12)}`);
    for (const env of options.environments) {
      this.workers.set(env.name, { env, socket: join(this.socketDir, `${env.name}.sock`), startedAt: 0, holdUntil: 0 });
    }
  }

  /** Installs the client (the compiled one where it builds, and the script) where task Pods see it. */
  open(): void {
    mkdirSync(join(this.client, '..'), { recursive: true });
    copyFileSync(this.source, this.client);
    const built = this.nativeSource && existsSync(this.nativeSource) ? compiledClient(this.nativeSource, this.log) : undefined;
    if (built) {
      // Copied beside, then renamed over: Pods re-adopted after a restart may be running the previous copy (ETXTBSY).
      const partial = `${this.native}.${randomBytes(4).toString('hex')}`;
      copyFileSync(built, partial);
      chmodSync(partial, 0o755);
      renameSync(partial, this.native);
      this.nativeBuilt = true;
    }
    mkdirSync(this.socketDir, { recursive: true, mode: 0o700 });
    chmodSync(this.socketDir, 0o700);
  }

  /**
   * The Pod command for a task whose image maps to a warm environment: the client, which hands `component` (the kfp
   * compiler's command) to the worker, or execs `fallback` (the Pod's command without the warm executor) when the
   * worker is not there yet or cannot take the task. Undefined for any other task. Starts the worker on first use.
   */
  command(image: string, component: readonly string[], fallback: readonly string[]): string[] | undefined {
    if (this.closed || !isLightweightComponent(component)) return undefined;
    const worker = [...this.workers.values()].find((w) => w.env.images.some((p) => globMatches(p, image)));
    if (!worker) return undefined;
    this.ensure(worker);
    const offset = fallback.length - component.length;
    const client = this.nativeBuilt ? [this.native] : ['python3', '-S', this.client, 'client'];
    return [...client, worker.socket, String(offset), ...fallback];
  }

  private ensure(worker: WorkerState): void {
    if (worker.child || Date.now() < worker.holdUntil) return;
    // The host variables a Pod inherits (the kubelet's list), not Floe's own: each child takes its Pod's environment,
    // and no PYTHON* variable, as they act at interpreter start (a task whose Pod sets one is run fresh).
    const env: NodeJS.ProcessEnv = { VIRTUAL_ENV: join(worker.env.python, '..', '..'), PATH: `${join(worker.env.python, '..')}:${process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin'}` };
    for (const name of hostEnv) if (process.env[name] !== undefined && env[name] === undefined) env[name] = process.env[name];
    // stdin stays a pipe from Floe: when Floe ends (or restarts), the worker takes no new task and exits once its running
    // tasks, whose Pods outlive Floe, have ended and reported to their clients.
    const child = spawn(worker.env.python, [this.client, 'worker', worker.socket], { stdio: ['pipe', 'pipe', 'pipe'], env });
    worker.child = child;
    worker.startedAt = Date.now();
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr = (stderr + chunk).slice(-4000);
    });
    child.stdout.setEncoding('utf8').once('data', () => this.log.info({ environment: worker.env.name, pid: child.pid }, 'warm executor ready'));
    child.stdin.on('error', () => undefined);
    child.on('error', (err) => this.log.warn({ err, environment: worker.env.name }, 'warm executor could not start'));
    child.on('exit', (code, signal) => {
      if (worker.child !== child) return;
      worker.child = undefined;
      if (this.closed) return;
      if (Date.now() - worker.startedAt < quickDeathMs) worker.holdUntil = Date.now() + restartHoldMs;
      this.log.warn({ environment: worker.env.name, code, signal, stderr }, 'warm executor exited; the next task starts it again');
    });
  }

  /**
   * Retires every worker: it takes no new task and exits once the tasks it runs have ended and reported to their
   * clients. Those tasks belong to Pods, which outlive a Floe restart as every Pod does (a killed Pod's client closes
   * its connection, and the worker kills that task). Waits a moment for idle workers to exit, then lets busy ones be.
   */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(
      [...this.workers.values()].map(async (w) => {
        const child = w.child;
        if (!child || child.exitCode !== null || child.signalCode !== null) return;
        const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
        child.stdin?.end();
        let timer: NodeJS.Timeout | undefined;
        const busy = new Promise<void>((resolve) => (timer = setTimeout(resolve, 2_000)));
        await Promise.race([exited, busy]);
        clearTimeout(timer);
        // A worker still finishing tasks does not hold this process open.
        child.stdout?.destroy();
        child.stderr?.destroy();
        child.unref();
      }),
    );
  }
}

/**
 * The C client compiled from `source` into ~/.cache/floe/native/<source hash>/ (once per machine and version), or
 * undefined, with the reason logged, where no C compiler builds it.
 */
export function compiledClient(source: string, log: Logger): string | undefined {
  return compiledNative(source, log, 'task Pods run the warm executor\'s Python client');
}
