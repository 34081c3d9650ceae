// A real OCI/Docker registry on loopback for Floe's image tests and benchmark: the CNCF distribution registry
// (cmd/registry) built from its Go module at the version pinned in tools/registry/go.mod, cached by the hash of
// go.mod and go.sum under ~/.cache/floe (like tools/control-plane.mjs), started with htpasswd basic auth.
//
//   node tools/registry.mjs build                       build (or find the cached) binary; prints its path as JSON
//   node tools/registry.mjs up [--dir DIR] [--user U:P]  start it; prints {"ready":true,"url":...}; stops on SIGINT/SIGTERM
//
// Needs the Go toolchain (go 1.26+, what distribution v3.1 requires). Tests import `build`, `haveGo` and `startRegistry`.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { homedir, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const moduleDir = join(root, 'tools', 'registry');
const cacheRoot = process.env.FLOE_CACHE_DIR ?? join(homedir(), '.cache', 'floe');
const log = (msg) => process.stderr.write(`[registry] ${msg}\n`);

function goEnv() {
  return { ...process.env, GOMODCACHE: join(cacheRoot, 'go', 'mod'), GOCACHE: join(cacheRoot, 'go', 'build'), GOFLAGS: '-mod=mod', GOTOOLCHAIN: 'local', CGO_ENABLED: '0' };
}

export function haveGo() {
  return spawnSync('sh', ['-c', 'command -v go'], { stdio: 'ignore' }).status === 0;
}

/**
 * The registry binary and the bcrypt helper (tools/registry/bcrypt) for its htpasswd file, built once per go.mod +
 * go.sum (minutes the first time; a few ms afterwards).
 */
export function build() {
  const hasher = createHash('sha256');
  for (const f of ['go.mod', 'go.sum', 'bcrypt/main.go']) hasher.update(readFileSync(join(moduleDir, f)));
  const bin = join(cacheRoot, 'registry', hasher.digest('hex').slice(0, 16), 'bin');
  const binaries = { registry: join(bin, 'registry'), bcrypt: join(bin, 'bcrypt') };
  const targets = [
    ['registry', 'github.com/distribution/distribution/v3/cmd/registry'],
    ['bcrypt', './bcrypt'],
  ];
  for (const [name, pkg] of targets) {
    const out = join(bin, name);
    if (existsSync(out)) continue;
    if (!haveGo()) throw new Error('the Go toolchain is not on the PATH: it builds the distribution registry');
    mkdirSync(bin, { recursive: true });
    log(`building ${name} from ${pkg} (first time: minutes; cached in ${bin})`);
    const started = Date.now();
    // A per-process temporary name, then an atomic rename: two test files building at once cannot clobber each other.
    const tmp = `${out}.${process.pid}.tmp`;
    const r = spawnSync('go', ['build', '-trimpath', '-ldflags=-s -w', '-o', tmp, pkg], { cwd: moduleDir, env: goEnv(), stdio: ['ignore', 'inherit', 'inherit'] });
    if (r.status !== 0) throw new Error(`go build ${pkg} failed (exit ${r.status ?? r.signal})`);
    renameSync(tmp, out);
    log(`built ${name} in ${Math.round((Date.now() - started) / 1000)} s`);
  }
  return binaries;
}

function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/** An htpasswd line: the registry reads bcrypt hashes only. */
function htpasswdLine(bcrypt, user, password) {
  return `${user}:${execFileSync(bcrypt, [password], { encoding: 'utf8' })}\n`;
}

/**
 * Starts the registry on 127.0.0.1 with its storage under `dir`. With `auth: { user, password }` it requires HTTP
 * basic auth (htpasswd); with `auth: { token: { realm, service, issuer, rootCertBundle } }` it requires Bearer tokens
 * (JWTs) from the token server at `realm`, signed by a key whose certificate is in the PEM file `rootCertBundle`.
 * Resolves once `/v2/` answers; `stop()` ends it.
 */
export async function startRegistry({ dir = mkdtempSync(join(tmpdir(), 'floe-registry-')), auth } = {}) {
  const binaries = build();
  mkdirSync(dir, { recursive: true });
  const port = await freePort();
  const lines = [
    'version: 0.1',
    'log:',
    '  level: warn',
    '  accesslog:',
    '    disabled: true',
    'storage:',
    '  filesystem:',
    `    rootdirectory: ${join(dir, 'data')}`,
    '  delete:',
    '    enabled: true',
    'http:',
    `  addr: 127.0.0.1:${port}`,
    `  secret: ${randomBytes(16).toString('hex')}`,
  ];
  if (auth?.token) {
    const t = auth.token;
    lines.push('auth:', '  token:', `    realm: ${t.realm}`, `    service: ${t.service}`, `    issuer: ${t.issuer}`, `    rootcertbundle: ${t.rootCertBundle}`);
  } else if (auth) {
    writeFileSync(join(dir, 'htpasswd'), htpasswdLine(binaries.bcrypt, auth.user, auth.password));
    lines.push('auth:', '  htpasswd:', '    realm: floe-test', `    path: ${join(dir, 'htpasswd')}`);
  }
  const config = join(dir, 'config.yml');
  writeFileSync(config, `${lines.join('\n')}\n`);
  const logFile = join(dir, 'registry.log');
  // OpenTelemetry exporters are on by default in v3; nothing listens for them here.
  const child = spawn(binaries.registry, ['serve', config], { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, OTEL_TRACES_EXPORTER: 'none', OTEL_METRICS_EXPORTER: 'none', OTEL_LOGS_EXPORTER: 'none' } });
  child.stderr.on('data', (d) => writeFileSync(logFile, d, { flag: 'a' }));
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
  };
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the registry exited (${child.exitCode}); its log: ${existsSync(logFile) ? readFileSync(logFile, 'utf8').slice(-2000) : 'none'}`);
    try {
      const res = await fetch(`${url}/v2/`);
      // 401 with auth on: it is up.
      if (res.status === 200 || res.status === 401) break;
    } catch {
      // not yet
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`the registry did not answer at ${url}/v2/ within 30 s`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return { url, host: `127.0.0.1:${port}`, dir, stop };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [command] = process.argv.slice(2);
  const flag = (name) => {
    const i = process.argv.indexOf(name);
    return i >= 0 ? process.argv[i + 1] : undefined;
  };
  if (command === 'build') {
    process.stdout.write(`${JSON.stringify(build())}\n`);
  } else if (command === 'up') {
    const dirArg = flag('--dir');
    const userArg = flag('--user');
    const dir = dirArg ?? mkdtempSync(join(tmpdir(), 'floe-registry-'));
    const auth = userArg ? { user: userArg.split(':')[0], password: userArg.split(':').slice(1).join(':') } : undefined;
    const reg = await startRegistry({ dir, ...(auth ? { auth } : {}) });
    process.stdout.write(`${JSON.stringify({ ready: true, url: reg.url, host: reg.host, dir })}\n`);
    const shutdown = () => reg.stop().then(() => {
      if (!dirArg) rmSync(dir, { recursive: true, force: true });
      process.exit(0);
    });
    process.once('SIGINT', shutdown);
    process.once('SIGTERM', shutdown);
  } else {
    process.stderr.write('usage: node tools/registry.mjs build | up [--dir DIR] [--user USER:PASSWORD]\n');
    process.exit(2);
  }
}
