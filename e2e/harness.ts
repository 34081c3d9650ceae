// End-to-end harness: the built `floe up` as a subprocess on a free port, and the real kubectl pointed at it.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runProcess } from '../test/helpers/run-process.js';

const cli = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));

export interface RunningFloe {
  url: string;
  dataDir: string;
  kubeconfig: string;
  process: ChildProcess;
  stop(): Promise<void>;
}

/** Starts `floe up` on port 0 with a fresh data directory and waits until it prints its URL. */
export async function startFloeProcess(extraArgs: string[] = [], dataDir = mkdtempSync(join(tmpdir(), 'floe-e2e-'))): Promise<RunningFloe> {
  const child = spawn(process.execPath, [cli, 'up', '--data-dir', dataDir, '--port', '0', '--log-level', 'warn', ...extraArgs], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /serving the Kubernetes API at (\S+)/.exec(out);
      if (m?.[1]) resolve(m[1]);
    });
    child.once('exit', (code) => reject(new Error(`floe up exited with ${code}: ${stderr}`)));
  });
  return {
    url,
    dataDir,
    kubeconfig: join(dataDir, 'kubeconfig'),
    process: child,
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await exited;
      }
    },
  };
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

export interface KubectlResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs kubectl against `floe` with its own discovery cache, optionally feeding stdin. */
export function kubectl(floe: RunningFloe, args: string[], input?: string): Promise<KubectlResult> {
  return runProcess('kubectl', ['--kubeconfig', floe.kubeconfig, '--cache-dir', join(floe.dataDir, 'kubectl-cache'), ...args], input === undefined ? {} : { input });
}

/** kubectl that must succeed: its stdout, or an assertion naming the command and kubectl's error. */
export async function kubectlOk(floe: RunningFloe, args: string[], input?: string): Promise<string> {
  const r = await kubectl(floe, args, input);
  assert.equal(r.code, 0, `kubectl ${args.join(' ')} failed: ${r.stderr}`);
  return r.stdout;
}

/** kubectl that must fail: its stderr, or an assertion naming the command that succeeded. */
export async function kubectlFails(floe: RunningFloe, args: string[], input?: string): Promise<string> {
  const r = await kubectl(floe, args, input);
  assert.notEqual(r.code, 0, `kubectl ${args.join(' ')} should have failed: ${r.stdout}`);
  return r.stderr;
}

/** Starts a long-running kubectl (e.g. `get -w`) and collects its output until stopped. */
export function kubectlStream(floe: RunningFloe, args: string[]): { output: () => string; stop: () => Promise<void> } {
  const child = spawn('kubectl', ['--kubeconfig', floe.kubeconfig, '--cache-dir', join(floe.dataDir, 'kubectl-cache'), ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
  child.stderr.on('data', (d: Buffer) => { out += d.toString(); });
  return {
    output: () => out,
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/** Polls `fn` until it returns a truthy value; the timeout is a safety net, not a performance assertion. */
export async function waitFor<T>(fn: () => T | Promise<T>, options: { timeoutMs?: number; intervalMs?: number; what?: string } = {}): Promise<NonNullable<T>> {
  const deadline = Date.now() + (options.timeoutMs ?? 30_000);
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${options.what ?? 'condition'}${last instanceof Error ? `: ${last.message}` : ''}`);
    await new Promise((r) => setTimeout(r, options.intervalMs ?? 50));
  }
}

export interface FloeCliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the built `floe` CLI against `floe` (its kubeconfig), to completion, feeding `input` on stdin. */
export function floeCli(floe: RunningFloe, args: string[], input = ''): Promise<FloeCliResult> {
  return new Promise((resolve, reject) => {
    const env: NodeJS.ProcessEnv = { ...process.env };
    delete env.KUBECONFIG;
    const child = spawn(process.execPath, [cli, ...args, '--kubeconfig', floe.kubeconfig], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    child.once('error', reject);
    child.once('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
    child.stdin.end(input);
  });
}
