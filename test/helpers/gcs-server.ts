// Test support: a real GCS JSON API server, fake-gcs-server (tools/fake-gcs-server.mjs builds it from the Go module
// proxy once into ~/.cache/floe), on a loopback port with in-memory storage, filled and read over the JSON API.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

// Compiled to dist/test/helpers: the repository is three folders up.
const root = fileURLToPath(new URL('../../..', import.meta.url));
interface FakeGcsTool {
  version: string;
  haveGo(): boolean;
  binaryPath(): string;
  build(): string;
}
const tool = (await import(pathToFileURL(join(root, 'tools', 'fake-gcs-server.mjs')).href)) as FakeGcsTool;

/** Why the GCS server cannot start here, or undefined when it can (built already, or Go is there to build it). */
export function gcsServerUnavailable(): string | undefined {
  if (existsSync(tool.binaryPath()) || tool.haveGo()) return undefined;
  return `fake-gcs-server ${tool.version} is not built (${tool.binaryPath()}) and the Go toolchain is not on the PATH to build it: install Go, then node tools/fake-gcs-server.mjs build`;
}

export interface GcsServer {
  /** `http://127.0.0.1:<port>`: the JSON API's base URL. */
  endpoint: string;
  /** `127.0.0.1:<port>`: what STORAGE_EMULATOR_HOST is set to. */
  emulatorHost: string;
  createBucket(name: string): Promise<void>;
  /** Stores an object under exactly this name (the name travels as a query parameter, `..` and all). */
  putObject(bucket: string, name: string, body: string | Uint8Array): Promise<void>;
  /** Object names under a prefix. */
  listNames(bucket: string, prefix?: string): Promise<string[]>;
  stop(): Promise<void>;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const address = s.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      s.close(() => resolve(port));
    });
  });
}

/** Starts fake-gcs-server on 127.0.0.1 (building it first if it is not cached); resolves once it answers. */
export async function startGcsServer(): Promise<GcsServer> {
  const binary = tool.build();
  const port = await freePort();
  const child = spawn(binary, ['-scheme', 'http', '-host', '127.0.0.1', '-port', String(port), '-backend', 'memory', '-log-level', 'error', '-public-host', `127.0.0.1:${port}`, '-external-url', `http://127.0.0.1:${port}`], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-4000);
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
  };
  const endpoint = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`fake-gcs-server exited (${child.exitCode}): ${stderr}`);
    const up = await fetch(`${endpoint}/storage/v1/b`).then((r) => r.ok, () => false);
    if (up) break;
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`fake-gcs-server did not answer at ${endpoint} within 60 s: ${stderr}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  const ok = async (res: Response, what: string): Promise<Response> => {
    if (!res.ok) throw new Error(`fake-gcs-server: ${what}: HTTP ${res.status} ${await res.text()}`);
    return res;
  };
  return {
    endpoint,
    emulatorHost: `127.0.0.1:${port}`,
    async createBucket(name) {
      await ok(await fetch(`${endpoint}/storage/v1/b?project=floe-test`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name }) }), `create bucket ${name}`);
    },
    async putObject(bucket, name, body) {
      const query = new URLSearchParams({ uploadType: 'media', name });
      await ok(await fetch(`${endpoint}/upload/storage/v1/b/${encodeURIComponent(bucket)}/o?${query.toString()}`, { method: 'POST', headers: { 'content-type': 'application/octet-stream' }, body }), `put ${name}`);
    },
    async listNames(bucket, prefix = '') {
      const res = await ok(await fetch(`${endpoint}/storage/v1/b/${encodeURIComponent(bucket)}/o?${new URLSearchParams({ prefix }).toString()}`), `list ${bucket}`);
      return (((await res.json()) as { items?: { name: string }[] }).items ?? []).map((i) => i.name);
    },
    stop,
  };
}
