// fake-gcs-server (github.com/fsouza/fake-gcs-server), a GCS JSON API server, built from the Go module proxy at a
// pinned version and cached under ~/.cache/floe/fake-gcs-server-<version>, for the gs:// storageUri tests
// (test/helpers/gcs-server.ts). Built the way tools/registry.mjs builds the distribution registry.
//
//   node tools/fake-gcs-server.mjs build    build (or find the cached) binary; prints its path as JSON
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const version = 'v1.56.1';
const cacheRoot = process.env.FLOE_CACHE_DIR ?? join(homedir(), '.cache', 'floe');
const log = (msg) => process.stderr.write(`[fake-gcs-server] ${msg}\n`);

export function haveGo() {
  return spawnSync('sh', ['-c', 'command -v go'], { stdio: 'ignore' }).status === 0;
}

/** The binary's path once built (it may not exist yet). */
export const binaryPath = () => join(cacheRoot, `fake-gcs-server-${version}`, 'fake-gcs-server');

/** Builds the binary once (minutes the first time; a stat afterwards) and returns its path. */
export function build() {
  const out = binaryPath();
  if (existsSync(out)) return out;
  if (!haveGo()) throw new Error('the Go toolchain is not on the PATH: it builds fake-gcs-server');
  // A per-process GOBIN, then an atomic rename: two test files building at once cannot clobber each other.
  const tmp = `${join(cacheRoot, `fake-gcs-server-${version}`)}.${process.pid}.tmp`;
  mkdirSync(tmp, { recursive: true });
  log(`building github.com/fsouza/fake-gcs-server@${version} (first time: minutes; cached in ${out})`);
  const started = Date.now();
  const env = { ...process.env, GOMODCACHE: join(cacheRoot, 'go', 'mod'), GOCACHE: join(cacheRoot, 'go', 'build'), GOTOOLCHAIN: 'local', CGO_ENABLED: '0', GOBIN: tmp };
  const r = spawnSync('go', ['install', '-trimpath', '-ldflags=-s -w', `github.com/fsouza/fake-gcs-server@${version}`], { env, stdio: ['ignore', 'inherit', 'inherit'] });
  if (r.status !== 0) {
    rmSync(tmp, { recursive: true, force: true });
    throw new Error(`go install fake-gcs-server@${version} failed (exit ${r.status ?? r.signal})`);
  }
  mkdirSync(join(cacheRoot, `fake-gcs-server-${version}`), { recursive: true });
  renameSync(join(tmp, 'fake-gcs-server'), out);
  rmSync(tmp, { recursive: true, force: true });
  log(`built in ${Math.round((Date.now() - started) / 1000)} s`);
  return out;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  if (process.argv[2] === 'build') process.stdout.write(`${JSON.stringify({ binary: build() })}\n`);
  else {
    process.stderr.write('usage: node tools/fake-gcs-server.mjs build\n');
    process.exit(2);
  }
}
