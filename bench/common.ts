// What the benchmarks share: flags, percentiles, one HTTP call over a keep-alive agent, `floe up` as a child, and
// bench-only Python venvs.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { request, type Agent } from 'node:http';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** `--name N` from the command line, else `fallback`. */
export const arg = (name: string, fallback: number): number => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};

/** The p-th percentile (0–100) of an ascending array. */
export const percentile = (sorted: number[], p: number): number => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** One request with a JSON (or `contentType`) body; the answer's status and text. */
export function httpCall(agent: Agent, url: string | URL, method: string, body?: unknown, contentType = 'application/json'): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const req = request(url, { method, agent, headers: payload ? { 'content-type': contentType, 'content-length': Buffer.byteLength(payload) } : {} }, (res) => {
      let data = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => { data += d; });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: data }));
    });
    req.on('error', reject);
    req.end(payload);
  });
}

/**
 * A bench-only venv at `venv` from the pinned `requirements` file, rebuilt (with `basePython`) when that file changes;
 * its python. Throws with pip's last lines when a step fails. Bench-only packages stay out of python/envs, which every
 * `npm test` installs.
 */
export function benchVenv(venv: string, requirements: string, basePython: string, progress: (msg: string) => void): string {
  const python = join(venv, 'bin', 'python');
  const stamp = join(venv, '.floe-requirements-hash');
  const hash = createHash('sha256').update(readFileSync(requirements)).digest('hex');
  if (existsSync(stamp) && readFileSync(stamp, 'utf8') === hash) return python;
  progress(`installing ${requirements} into ${venv} with ${basePython}`);
  const steps: [string, string[]][] = [
    [basePython, ['-m', 'venv', '--clear', venv]],
    [python, ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', '-r', requirements]],
  ];
  for (const [cmd, args] of steps) {
    const r = spawnSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.error?.message ?? `exit ${r.status ?? r.signal}`}): ${(r.stderr || r.stdout || '').trim().split('\n').slice(-5).join(' | ')}`);
  }
  writeFileSync(stamp, hash);
  return python;
}

const cli = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));

/** `floe up` on `dataDir` and a free port, as a child process; resolves with it and its URL once it serves. */
export async function startFloeUp(dataDir: string, extraArgs: string[] = []): Promise<{ child: ChildProcess; base: string }> {
  const child = spawn(process.execPath, [cli, 'up', '--data-dir', dataDir, '--port', '0', '--log-level', 'error', ...extraArgs], { stdio: ['ignore', 'pipe', 'inherit'] });
  const base = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /serving the Kubernetes API at (\S+)/.exec(out);
      if (m?.[1]) resolve(m[1]);
    });
    child.once('exit', (c) => reject(new Error(`floe exited ${c}`)));
  });
  return { child, base };
}
