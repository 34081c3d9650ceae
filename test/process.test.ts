// Floe as a process on a shared machine: private files in its data directory, one Floe per data directory, /readyz
// that notices a store it cannot write, the token from a file, TLS that kubectl, the Python clients and Katib Push
// trials verify on a wildcard bind, the bin/floe shim, and `floe uninstall` asking first.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import forge from 'node-forge';
import { FloeError } from '../src/api/errors.js';
import { confirmUninstall } from '../src/cli/cluster.js';
import { UsageError } from '../src/cli/cli-error.js';
import { defaultConfig, readTokenFile, validSan } from '../src/server/config.js';
import { openDataDir } from '../src/server/data-dir.js';
import { startFloe, type Floe } from '../src/server/floe.js';
import { healthAnswer } from '../src/server/health.js';
import { ensureServingCertificate, isWildcard, kubeconfigServer, servingHosts } from '../src/server/tls.js';
import { preparePrivateDatabase, writePrivateFile } from '../src/store/private-file.js';
import { resourceKey, Store } from '../src/store/store.js';
import { waitFor } from './helpers/wait.js';
import { runProcess } from './helpers/run-process.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const cli = join(root, 'dist', 'src', 'cli', 'main.js');
const venvPython = join(root, '.venv', 'bin', 'python');
const kfpPython = join(root, '.venvs', 'kfp', 'bin', 'python');
const hasKubectl = spawnSync('sh', ['-c', 'command -v kubectl'], { stdio: 'ignore' }).status === 0;
const isRoot = process.getuid?.() === 0;

// A common umask: without Floe's own modes its files would be 0644 and its folders 0755.
process.umask(0o022);

const tempDirs: string[] = [];
function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), `floe-${prefix}-`));
  tempDirs.push(dir);
  return dir;
}
after(() => {
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
});

const modeOf = (path: string): number => statSync(path).mode & 0o777;
const octal = (mode: number): string => `0${mode.toString(8)}`;
const quietConfig = (dataDir: string) => ({ ...defaultConfig(), dataDir, port: 0, logLevel: 'silent' as const });
const secrets = resourceKey('', 'secrets');

/** Every SQLite file (and its -wal, -shm, -journal), the kubeconfig, the lock, the PKI: 0600; the folders 0700. */
function assertPrivate(dataDir: string): void {
  assert.equal(octal(modeOf(dataDir)), '0700', `data directory ${dataDir}`);
  for (const name of ['floe.db', 'katib.db', 'metadata.db', 'pipelines.db', 'kubeconfig']) {
    assert.ok(existsSync(join(dataDir, name)), `${name} exists`);
  }
  for (const name of readdirSync(dataDir)) {
    const path = join(dataDir, name);
    if (statSync(path).isDirectory()) continue;
    assert.equal(octal(modeOf(path)), '0600', `${name} must be readable by its owner only`);
  }
  const pki = join(dataDir, 'pki');
  if (existsSync(pki)) {
    assert.equal(octal(modeOf(pki)), '0700', 'pki/');
    for (const name of readdirSync(pki)) assert.equal(octal(modeOf(join(pki, name))), '0600', `pki/${name}`);
  }
}

/** An HTTPS request verified against `ca` (no client-side skipping of verification anywhere in this file). */
function httpsCall(url: string, options: { ca?: string; token?: string; method?: string; body?: unknown; servername?: string } = {}): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const payload = options.body === undefined ? undefined : JSON.stringify(options.body);
    const req = httpsRequest(url, {
      method: options.method ?? 'GET',
      ...(options.ca ? { ca: options.ca } : {}),
      ...(options.servername ? { servername: options.servername } : {}),
      headers: {
        ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
        ...(payload ? { 'content-type': 'application/json' } : {}),
      },
    }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => { body += d.toString(); });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.once('error', reject);
    req.end(payload);
  });
}

interface UpProcess {
  child: ChildProcess;
  url: Promise<string>;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<number | null>;
  stop(signal?: NodeJS.Signals): Promise<void>;
}

/** `floe up` as a user runs it, on port 0. */
function floeUp(args: string[], env: NodeJS.ProcessEnv = {}): UpProcess {
  const childEnv: NodeJS.ProcessEnv = { ...process.env, ...env };
  for (const k of ['FLOE_TOKEN', 'FLOE_TOKEN_FILE', 'FLOE_DATA_DIR', 'FLOE_HOST', 'FLOE_PORT', 'FLOE_TLS_SAN']) if (!(k in env)) delete childEnv[k];
  const child = spawn(process.execPath, [cli, 'up', '--port', '0', '--log-level', 'warn', ...args], { env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
  child.stderr.on('data', (d: Buffer) => { err += d.toString(); });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const url = new Promise<string>((resolve, reject) => {
    child.stdout.on('data', () => {
      const m = /serving the Kubernetes API at (\S+)/.exec(out);
      if (m?.[1]) resolve(m[1]);
    });
    void exited.then((code) => reject(new Error(`floe up exited with ${code}: ${err}`)));
  });
  url.catch(() => undefined);
  return {
    child,
    url,
    stdout: () => out,
    stderr: () => err,
    exited,
    async stop(signal = 'SIGTERM') {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill(signal);
      await exited;
    },
  };
}

const run = runProcess;

/** Runs argv[2:] on a pseudo-terminal, types argv[1] once it asks [y/N], prints what it wrote and "exit N". */
const ptyAnswer = `
import os, pty, select, sys
pid, fd = pty.fork()
if pid == 0:
    os.execv(sys.argv[2], sys.argv[2:])
out, sent = b"", False
while True:
    ready, _, _ = select.select([fd], [], [], 30)
    if not ready:
        break
    try:
        chunk = os.read(fd, 4096)
    except OSError:
        break
    if not chunk:
        break
    out += chunk
    if not sent and b"[y/N]" in out:
        os.write(fd, sys.argv[1].encode() + b"\\n")
        sent = True
_, status = os.waitpid(pid, 0)
sys.stdout.write(out.decode(errors="replace") + "\\nexit %d" % os.waitstatus_to_exitcode(status))
`;

describe('item 3: the data directory and its files are private', () => {
  test('a fresh Floe with a token and its controllers: folder 0700; databases, their WAL and SHM, kubeconfig, lock and PKI 0600', async () => {
    const dataDir = join(tempDir('modes'), 'data');
    const floe = await startFloe({ ...quietConfig(dataDir), token: 'modes-token', controllers: true });
    try {
      // A write puts rows in the WAL: the Secret below is what others must not read.
      floe.store.create(secrets, { apiVersion: 'v1', kind: 'Secret', metadata: { name: 's', namespace: 'default' }, data: { password: 'aHVudGVyMg==' } });
      assert.ok(existsSync(join(dataDir, 'floe.db-wal')), 'the WAL exists');
      assertPrivate(dataDir);
    } finally {
      await floe.stop();
    }
  });

  test('a data directory left by an older Floe (0755, files 0644) is narrowed on start, and each change is reported', async () => {
    const dataDir = join(tempDir('old'), 'data');
    const old = new Store({ path: join(dataDir, 'floe.db') });
    old.create(secrets, { apiVersion: 'v1', kind: 'Secret', metadata: { name: 's', namespace: 'default' } });
    old.close();
    writeFileSync(join(dataDir, 'kubeconfig'), 'token: old\n');
    writeFileSync(join(dataDir, 'pod-token'), 'old pod token\n');
    mkdirSync(join(dataDir, 'pki'));
    writeFileSync(join(dataDir, 'pki', 'server.key'), 'old key\n');
    for (const p of [join(dataDir, 'floe.db'), join(dataDir, 'kubeconfig'), join(dataDir, 'pod-token'), join(dataDir, 'pki', 'server.key')]) chmodSync(p, 0o644);
    chmodSync(join(dataDir, 'pki'), 0o755);
    chmodSync(dataDir, 0o755);

    const opened = openDataDir(dataDir);
    try {
      const reported = opened.tightened.map((t) => `${t.path.slice(dataDir.length) || '/'} ${octal(t.from)}->${octal(t.to)}`);
      for (const want of ['/ 0755->0700', '/floe.db 0644->0600', '/kubeconfig 0644->0600', '/pod-token 0644->0600', '/pki 0755->0700', '/pki/server.key 0644->0600']) {
        assert.ok(reported.includes(want), `${want} in ${reported.join(', ')}`);
      }
    } finally {
      opened.close();
    }
    chmodSync(dataDir, 0o755);
    chmodSync(join(dataDir, 'floe.db'), 0o644);
    const floe = await startFloe({ ...quietConfig(dataDir), token: 'old-token', controllers: true });
    try {
      assertPrivate(dataDir);
      assert.ok(floe.store.get(secrets, 'default', 's'), 'nothing stored is lost');
    } finally {
      await floe.stop();
    }
  });

  test('SQLite gives the -wal and -shm files the database file\'s mode: 0600 from the Store, even with a 022 umask', () => {
    const dir = tempDir('wal');
    const store = new Store({ path: join(dir, 'floe.db') });
    try {
      store.create(secrets, { apiVersion: 'v1', kind: 'Secret', metadata: { name: 's', namespace: 'default' } });
      for (const name of ['floe.db', 'floe.db-wal', 'floe.db-shm']) assert.equal(octal(modeOf(join(dir, name))), '0600', name);
    } finally {
      store.close();
    }
    // The same for a database another module opens, once prepared (katib.db, metadata.db, pipelines.db).
    const other = join(dir, 'other.db');
    preparePrivateDatabase(other);
    const db = new Database(other);
    db.pragma('journal_mode = WAL');
    db.exec('CREATE TABLE t (a); INSERT INTO t VALUES (1)');
    for (const name of ['other.db', 'other.db-wal', 'other.db-shm']) assert.equal(octal(modeOf(join(dir, name))), '0600', name);
    db.close();
  });

  test('private files: an existing wider file is narrowed before it is written, and a symbolic link is refused, not followed', () => {
    const dir = tempDir('private');
    const file = join(dir, 'kubeconfig');
    writeFileSync(file, 'old\n', { mode: 0o644 });
    writePrivateFile(file, 'token: secret\n');
    assert.equal(octal(modeOf(file)), '0600');
    assert.equal(readFileSync(file, 'utf8'), 'token: secret\n');
    const elsewhere = join(dir, 'elsewhere');
    writeFileSync(elsewhere, 'not yours\n', { mode: 0o644 });
    const link = join(dir, 'link');
    symlinkSync(elsewhere, link);
    assert.throws(() => writePrivateFile(link, 'token: secret\n'), /ELOOP/);
    assert.equal(readFileSync(elsewhere, 'utf8'), 'not yours\n');
  });

  test('a shared folder (sticky bit, like /tmp) or another user\'s folder is refused as a data directory', { skip: isRoot ? false : 'chown needs root' }, () => {
    const dir = tempDir('unsafe');
    const shared = join(dir, 'shared');
    mkdirSync(shared);
    chmodSync(shared, 0o1777);
    assert.throws(() => openDataDir(shared), (err: unknown) => err instanceof FloeError && err.reason === 'Forbidden' && /shared folder/.test(err.message));
    assert.equal(octal(statSync(shared).mode & 0o7777), '01777', 'the shared folder is left as it was');
    const theirs = join(dir, 'theirs');
    mkdirSync(theirs, { mode: 0o755 });
    chownSync(theirs, 65534, 65534);
    assert.throws(() => openDataDir(theirs), /belongs to uid 65534/);
    assert.equal(octal(modeOf(theirs)), '0755');
  });

  test('--token-file: the token is read from the file, never appears on the command line, and the kubeconfig carries it', async () => {
    const dir = tempDir('tokenfile');
    const tokenFile = join(dir, 'token');
    writeFileSync(tokenFile, 'file-token-123\n', { mode: 0o600 });
    const up = floeUp(['--data-dir', join(dir, 'data'), '--token-file', tokenFile]);
    try {
      const url = await up.url;
      const cmdline = readFileSync(`/proc/${up.child.pid}/cmdline`, 'utf8');
      assert.ok(!cmdline.includes('file-token-123'), 'the token is not in the process arguments');
      const kubeconfig = readFileSync(join(dir, 'data', 'kubeconfig'), 'utf8');
      assert.match(kubeconfig, /token: file-token-123/);
      const ca = readFileSync(join(dir, 'data', 'pki', 'ca.crt'), 'utf8');
      assert.equal((await httpsCall(`${url}/api/v1/namespaces`, { ca })).status, 401);
      assert.equal((await httpsCall(`${url}/api/v1/namespaces`, { ca, token: 'file-token-123' })).status, 200);
      assert.doesNotMatch(up.stderr(), /warning/);
    } finally {
      await up.stop();
    }
  });

  test('FLOE_TOKEN_FILE works; --token still works but warns that `ps` shows it; a world-readable token file draws a warning', async () => {
    const dir = tempDir('tokenenv');
    const tokenFile = join(dir, 'token');
    writeFileSync(tokenFile, 'env-token-456\n', { mode: 0o644 });
    chmodSync(tokenFile, 0o644);
    const viaEnv = floeUp(['--data-dir', join(dir, 'a')], { FLOE_TOKEN_FILE: tokenFile });
    try {
      const url = await viaEnv.url;
      const ca = readFileSync(join(dir, 'a', 'pki', 'ca.crt'), 'utf8');
      assert.equal((await httpsCall(`${url}/api/v1/namespaces`, { ca, token: 'env-token-456' })).status, 200);
      assert.match(viaEnv.stderr(), /warning: the token file .* can be read by other users \(mode 0644\)/);
    } finally {
      await viaEnv.stop();
    }
    const viaFlag = floeUp(['--data-dir', join(dir, 'b'), '--token', 'flag-token-789']);
    try {
      await viaFlag.url;
      assert.match(viaFlag.stderr(), /warning: --token is visible to every user of this machine \(ps, \/proc\); use --token-file/);
    } finally {
      await viaFlag.stop();
    }
  });

  test('bad token input is refused before Floe starts: an empty token file, a missing one, --token with --token-file', async () => {
    const dir = tempDir('tokenbad');
    const empty = join(dir, 'empty');
    writeFileSync(empty, '\n', { mode: 0o600 });
    const cases: [string[], RegExp][] = [
      [['--token-file', empty], /the token file .*empty is empty/],
      [['--token-file', join(dir, 'missing')], /cannot read the token file/],
      [['--token-file', empty, '--token', 'x'], /give the token once/],
    ];
    for (const [args, message] of cases) {
      const up = floeUp(['--data-dir', join(dir, 'data'), ...args]);
      const code = await up.exited;
      assert.equal(code, 2, `${args.join(' ')}: ${up.stderr()}`);
      assert.match(up.stderr(), message);
    }
    assert.throws(() => readTokenFile(empty), /is empty/);
    const spaced = join(dir, 'spaced');
    writeFileSync(spaced, 'two words\n', { mode: 0o600 });
    assert.throws(() => readTokenFile(spaced), /printable ASCII/);
  });
});

describe('item 4: one Floe per data directory', () => {
  test('a second open of a data directory in use is refused with the holder\'s pid; after close it opens', () => {
    const dir = tempDir('lock');
    const first = openDataDir(dir);
    try {
      assert.throws(() => openDataDir(dir), (err: unknown) => {
        assert.ok(err instanceof FloeError);
        assert.equal(err.reason, 'Conflict');
        assert.equal(err.message, `data directory ${dir} is in use by floe (pid ${process.pid}); stop it first or use --data-dir`);
        return true;
      });
      // The refused open must not have dropped the first one's lock (a closed descriptor drops POSIX locks).
      assert.throws(() => openDataDir(dir), /in use by floe/);
    } finally {
      first.close();
    }
    const again = openDataDir(dir);
    again.close();
    assert.equal(readdirSync(dir).filter((f) => f.startsWith('floe.lock-')).length, 0, 'the lock leaves no journal behind');
  });

  test('the lock holds across processes and dies with its process: kill -9 releases it', async () => {
    const dir = tempDir('lockproc');
    const holderScript = `import('${join(root, 'dist', 'src', 'server', 'data-dir.js')}').then((m) => { m.openDataDir(process.argv[1]); console.log('held'); setInterval(() => {}, 1000); });`;
    const holder = spawn(process.execPath, ['-e', holderScript, dir], { stdio: ['ignore', 'pipe', 'inherit'] });
    const exited = new Promise((r) => holder.once('exit', r));
    try {
      await new Promise<void>((resolve, reject) => {
        holder.stdout.once('data', () => resolve());
        holder.once('exit', (code) => reject(new Error(`the holder exited with ${code}`)));
      });
      assert.throws(() => openDataDir(dir), new RegExp(`in use by floe \\(pid ${holder.pid}\\)`));
    } finally {
      holder.kill('SIGKILL');
      await exited;
    }
    const mine = openDataDir(dir);
    mine.close();
  });

  test('a second `floe up` on the same data directory exits with a clear message; the first keeps serving; after kill -9 a new one starts', async () => {
    const dataDir = join(tempDir('twice'), 'data');
    const first = floeUp(['--data-dir', dataDir]);
    let third: UpProcess | undefined;
    try {
      const url = await first.url;
      const second = floeUp(['--data-dir', dataDir]);
      const started = await Promise.race([second.exited.then(() => false), second.url.then(() => true, () => false)]);
      if (started) await second.stop();
      assert.equal(started, false, 'the second floe up must not start serving');
      assert.equal(await second.exited, 1, second.stderr());
      assert.match(second.stderr(), new RegExp(`cannot start Floe: data directory ${dataDir} is in use by floe \\(pid ${first.child.pid}\\); stop it first or use --data-dir`));
      const created = await fetch(`${url}/api/v1/namespaces/default/configmaps`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'still-mine' } }) });
      assert.equal(created.status, 201, await created.text());
      assert.equal((await fetch(`${url}/readyz`)).status, 200);
      await first.stop('SIGKILL');
      third = floeUp(['--data-dir', dataDir]);
      const again = await third.url;
      const read = await fetch(`${again}/api/v1/namespaces/default/configmaps/still-mine`);
      assert.equal(read.status, 200);
    } finally {
      await first.stop('SIGKILL');
      await third?.stop();
    }
  });

  test('startFloe on a data directory in use rejects, and stopping the first releases it', async () => {
    const dataDir = tempDir('twicein');
    const first = await startFloe(quietConfig(dataDir));
    try {
      const second = await startFloe(quietConfig(dataDir)).catch((err: unknown) => err);
      if (!(second instanceof Error)) {
        await (second as Floe).stop();
        assert.fail('a second startFloe on a data directory in use must reject');
      }
      assert.match(second.message, /in use by floe/);
    } finally {
      await first.stop();
    }
    const again = await startFloe(quietConfig(dataDir));
    await again.stop();
  });
});

describe('item 4: /readyz turns unhealthy when the store cannot write', () => {
  test('Store.checkWritable: ok when it can write; not when another process wrote the file, another writer holds it, or it is closed', () => {
    const dir = tempDir('health');
    const path = join(dir, 'floe.db');
    const store = new Store({ path });
    assert.deepEqual(store.checkWritable(), { ok: true });
    store.create(secrets, { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'a', namespace: 'default' } });
    assert.deepEqual(store.checkWritable(), { ok: true });

    // Another writer holds the write lock: the probe answers (after a short wait), it does not hang /readyz.
    const other = new Database(path);
    other.exec('BEGIN IMMEDIATE');
    const locked = store.checkWritable();
    assert.equal(locked.ok, false);
    assert.match(locked.ok ? '' : locked.reason, /database is locked/);
    other.exec('ROLLBACK');
    other.close();
    assert.deepEqual(store.checkWritable(), { ok: true });

    // A second store on the same file (two Floes sharing a data directory) writes: this one's revisions are stale,
    // and every write it makes would fail with UNIQUE constraint failed: changes.rv.
    const second = new Store({ path });
    second.create(secrets, { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'b', namespace: 'default' } });
    second.close();
    const diverged = store.checkWritable();
    assert.equal(diverged.ok, false);
    assert.match(diverged.ok ? '' : diverged.reason, /another process has written to the database/);
    store.close();
    assert.deepEqual(store.checkWritable(), { ok: false, reason: 'the store is closed' });
  });

  test('a write that failed in SQLite keeps the store unhealthy until a write succeeds again', () => {
    const dir = tempDir('healthfail');
    const path = join(dir, 'floe.db');
    const store = new Store({ path });
    const other = new Database(path);
    other.exec('BEGIN IMMEDIATE');
    // The write waits out SQLite's busy timeout, then fails.
    assert.throws(() => store.create(secrets, { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'a', namespace: 'default' } }), /database is locked/);
    other.exec('ROLLBACK');
    other.close();
    // The probe retries a real commit and clears the failure once it succeeds.
    assert.deepEqual(store.checkWritable(), { ok: true });
    store.create(secrets, { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'a', namespace: 'default' } });
    assert.deepEqual(store.checkWritable(), { ok: true });
    store.close();
  });

  test('healthAnswer: 200 ok when every check passes; 500 naming the failed check and its reason otherwise', () => {
    assert.deepEqual(healthAnswer('readyz', [{ name: 'store', check: () => ({ ok: true }) }]), { status: 200, body: 'ok' });
    assert.deepEqual(healthAnswer('readyz', [{ name: 'store', check: () => ({ ok: true }) }], true), { status: 200, body: '[+]store ok\nreadyz check passed\n' });
    assert.deepEqual(healthAnswer('readyz', [{ name: 'ping', check: () => ({ ok: true }) }, { name: 'store', check: () => ({ ok: false, reason: 'the store is closed' }) }]), {
      status: 500,
      body: '[+]ping ok\n[-]store failed: the store is closed\nreadyz check failed\n',
    });
    assert.equal(healthAnswer('readyz', [{ name: 'store', check: () => { throw new Error('boom'); } }]).status, 500);
  });

  test('through startFloe: /readyz says ok, then unhealthy once another process has written to its database', async () => {
    const dataDir = tempDir('readyz');
    const floe = await startFloe(quietConfig(dataDir));
    try {
      assert.equal((await fetch(`${floe.url}/readyz`)).status, 200);
      // What the reported bug did: a second Floe writing to the same file (here past the lock, straight to SQLite).
      const intruder = new Store({ path: join(dataDir, 'floe.db') });
      intruder.create(resourceKey('', 'configmaps'), { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'theirs', namespace: 'default' } });
      intruder.close();
      const res = await fetch(`${floe.url}/readyz`);
      const body = await res.text();
      assert.ok(res.status === 503 || res.status === 500, `${res.status} ${body}`);
      assert.match(body, /store/);
    } finally {
      await floe.stop();
    }
  });
});

describe('item 8: TLS names', () => {
  test('servingHosts: loopback names, the bind host, every interface address and the host name for a wildcard bind, and --tls-san names', () => {
    const interfaces = {
      lo: [{ address: '127.0.0.1', family: 'IPv4' }, { address: '::1', family: 'IPv6' }],
      eth0: [{ address: '10.1.2.3', family: 'IPv4' }, { address: 'fe80::1', family: 'IPv6' }, { address: '2001:db8::5', family: 'IPv6' }],
    } as unknown as ReturnType<typeof networkInterfaces>;
    assert.deepEqual(servingHosts('0.0.0.0', ['Floe.Example.com'], interfaces, 'box'), ['127.0.0.1', 'localhost', '::1', '10.1.2.3', '2001:db8::5', 'box', 'floe.example.com']);
    assert.deepEqual(servingHosts('::', [], interfaces, 'box'), ['127.0.0.1', 'localhost', '::1', '10.1.2.3', '2001:db8::5', 'box']);
    assert.deepEqual(servingHosts('192.168.7.7', ['10.9.9.9'], interfaces, 'box'), ['127.0.0.1', 'localhost', '::1', '192.168.7.7', '10.9.9.9']);
    assert.ok(isWildcard('0.0.0.0') && isWildcard('::') && isWildcard('[::]') && !isWildcard('127.0.0.1') && !isWildcard('::1'));
  });

  test('kubeconfigServer names 127.0.0.1 for a wildcard bind, the bind host otherwise (IPv6 in brackets)', () => {
    assert.equal(kubeconfigServer('0.0.0.0', 8443, 'https'), 'https://127.0.0.1:8443');
    assert.equal(kubeconfigServer('::', 8443, 'https'), 'https://127.0.0.1:8443');
    assert.equal(kubeconfigServer('127.0.0.1', 1, 'http'), 'http://127.0.0.1:1');
    assert.equal(kubeconfigServer('10.0.0.5', 8443, 'https'), 'https://10.0.0.5:8443');
    assert.equal(kubeconfigServer('::1', 8443, 'https'), 'https://[::1]:8443');
    assert.equal(kubeconfigServer('floe.example.com', 8443, 'https'), 'https://floe.example.com:8443');
  });

  test('--tls-san accepts DNS names and IP addresses only', () => {
    for (const good of ['floe.example.com', '*.floe.example.com', '10.0.0.1', '::1', 'localhost', 'my-host']) assert.ok(validSan(good), good);
    for (const bad of ['', 'has space', 'a..b', '-lead.example', 'x'.repeat(64), '*', '*.com', 'http://x']) assert.ok(!validSan(bad), bad);
  });

  test('the serving certificate is issued again when it does not cover the wanted names; the CA is kept; pki is 0700/0600', () => {
    const dataDir = tempDir('pki');
    const first = ensureServingCertificate(dataDir, ['127.0.0.1', 'localhost', '::1']);
    const again = ensureServingCertificate(dataDir, ['127.0.0.1', 'localhost', '::1']);
    assert.equal(again.certPem, first.certPem, 'covered: the certificate is reused');
    const wider = ensureServingCertificate(dataDir, ['127.0.0.1', 'localhost', '::1', '10.1.2.3', 'floe.example.com', '2001:db8::5']);
    assert.notEqual(wider.certPem, first.certPem);
    assert.equal(wider.caPem, first.caPem, 'the CA is kept, so kubeconfigs and trials that trust it keep working');
    const cert = forge.pki.certificateFromPem(wider.certPem);
    assert.ok(forge.pki.certificateFromPem(wider.caPem).verify(cert));
    const names = (cert.getExtension('subjectAltName') as { altNames: { value?: string; ip?: string }[] }).altNames;
    assert.ok(names.some((n) => n.ip === '10.1.2.3') && names.some((n) => n.value === 'floe.example.com'));
    assert.equal(ensureServingCertificate(dataDir, ['2001:db8::5', 'localhost']).certPem, wider.certPem, 'IPv6 names compare as addresses');
    assert.equal(wider.caFile, join(dataDir, 'pki', 'ca.crt'));
    assert.equal(octal(modeOf(join(dataDir, 'pki'))), '0700');
    for (const name of readdirSync(join(dataDir, 'pki'))) assert.equal(octal(modeOf(join(dataDir, 'pki', name))), '0600', name);
  });
});

describe('item 8: token mode on 0.0.0.0 works end to end over verified TLS', () => {
  const token = 'wildcard-token-0123456789';
  let dir: string;
  let up: UpProcess;
  let url: string;
  let kubeconfig: string;
  let caFile: string;
  const otherAddress = Object.values(networkInterfaces()).flat().find((a) => a && a.family === 'IPv4' && !a.internal)?.address;

  before(async () => {
    dir = tempDir('wild');
    const tokenFile = join(dir, 'token');
    writeFileSync(tokenFile, `${token}\n`, { mode: 0o600 });
    up = floeUp(['--data-dir', join(dir, 'data'), '--host', '0.0.0.0', '--token-file', tokenFile, '--tls-san', 'floe.test']);
    url = await up.url;
    kubeconfig = join(dir, 'data', 'kubeconfig');
    caFile = join(dir, 'data', 'pki', 'ca.crt');
  });
  after(async () => {
    await up.stop();
  });

  test('the printed URL and the kubeconfig name 127.0.0.1, which the certificate covers, not 0.0.0.0', () => {
    assert.match(url, /^https:\/\/127\.0\.0\.1:\d+$/);
    assert.match(readFileSync(kubeconfig, 'utf8'), new RegExp(`server: ${url.replace(/[.]/g, '\\.')}\\n`));
  });

  test('kubectl with the generated kubeconfig, verifying TLS; also at this machine\'s other address and a --tls-san name', { skip: hasKubectl ? false : 'kubectl is not on the PATH' }, async () => {
    const base = ['--kubeconfig', kubeconfig, '--cache-dir', join(dir, 'kubectl-cache')];
    const listed = await run('kubectl', [...base, 'get', 'namespaces', '-o', 'name']);
    assert.equal(listed.code, 0, listed.stderr);
    assert.match(listed.stdout, /namespace\/default/);
    const port = new URL(url).port;
    if (otherAddress) {
      const remote = await run('kubectl', [...base, '--server', `https://${otherAddress}:${port}`, 'get', 'namespaces', '-o', 'name']);
      assert.equal(remote.code, 0, remote.stderr);
    }
    const named = await run('kubectl', [...base, '--tls-server-name', 'floe.test', 'get', 'namespaces', '-o', 'name']);
    assert.equal(named.code, 0, named.stderr);
    const unnamed = await run('kubectl', [...base, '--tls-server-name', 'not-covered.test', 'get', 'namespaces']);
    assert.notEqual(unnamed.code, 0, 'a name the certificate does not cover fails verification');
    assert.match(unnamed.stderr, /certificate/);
  });

  test('the floe CLI with the generated kubeconfig', async () => {
    const env = { ...process.env };
    delete env.KUBECONFIG;
    const r = await run(process.execPath, [cli, 'get', 'namespaces', '--kubeconfig', kubeconfig], { env });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /default/);
  });

  test('the Kubernetes Python client with the generated kubeconfig', { skip: existsSync(venvPython) ? false : `${venvPython} is missing` }, async () => {
    const r = await run(venvPython, ['-c', 'import sys\nfrom kubernetes import client, config\nconfig.load_kube_config(sys.argv[1])\nprint(sorted(n.metadata.name for n in client.CoreV1Api().list_namespace().items))', kubeconfig]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /'default'/);
  });

  test('kfp.Client with the token and the CA file', { skip: existsSync(kfpPython) ? false : `${kfpPython} is missing` }, async () => {
    const r = await run(kfpPython, ['-c', 'import sys, kfp\nc = kfp.Client(host=sys.argv[1], existing_token=sys.argv[2], ssl_ca_cert=sys.argv[3])\nprint("experiments", c.list_experiments().total_size or 0)', url, token, caFile]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /experiments \d+/);
  });

  test('a Katib Push trial reports over HTTPS with FLOE_REPORT_CA and FLOE_REPORT_TOKEN; without the CA it refuses to talk', async () => {
    const python = existsSync(venvPython) ? venvPython : 'python3';
    const reportUrl = `${url}/katib/v1beta1/namespaces/default/trials/push-trial/observationlog`;
    const script = 'import floe_katib\nfloe_katib.report_metrics({"loss": 0.25})\nprint("reported")';
    const env = { PYTHONPATH: join(root, 'python'), FLOE_KATIB_REPORT_URL: reportUrl, FLOE_REPORT_TOKEN: token, FLOE_REPORT_CA: caFile };
    const ok = await run(python, ['-c', script], { env });
    assert.equal(ok.code, 0, ok.stderr);
    const logs = await httpsCall(reportUrl, { ca: readFileSync(caFile, 'utf8'), token });
    assert.equal(logs.status, 200, logs.body);
    assert.match(logs.body, /"loss"/);
    const unverified = await run(python, ['-c', script], { env: { ...env, FLOE_REPORT_CA: '' } });
    assert.notEqual(unverified.code, 0);
    assert.match(unverified.stderr, /CERTIFICATE_VERIFY_FAILED/);
    const noToken = await run(python, ['-c', script], { env: { ...env, FLOE_REPORT_TOKEN: '' } });
    assert.notEqual(noToken.code, 0);
    assert.match(noToken.stderr, /401/);
  });
});

describe('item 9: the floe command on the PATH, and uninstall asks first', () => {
  test('bin/floe runs the built CLI, also through a symbolic link elsewhere', async () => {
    const direct = await run(join(root, 'bin', 'floe'), ['version', '--client']);
    assert.equal(direct.code, 0, direct.stderr);
    assert.match(direct.stdout, /Client Version: v\d+\.\d+\.\d+/);
    const link = join(tempDir('bin'), 'floe');
    symlinkSync(join(root, 'bin', 'floe'), link);
    const linked = await run(link, ['version', '--client']);
    assert.equal(linked.code, 0, linked.stderr);
    assert.equal(linked.stdout, direct.stdout);
  });

  test('examples/serving/make_iris_onnx.py rebuilds the shipped iris-onnx/model.onnx byte for byte', async () => {
    const out = join(tempDir('onnx'), 'model.onnx');
    const r = await run('python3', [join(root, 'examples', 'serving', 'make_iris_onnx.py'), out]);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(readFileSync(out).equals(readFileSync(join(root, 'examples', 'serving', 'iris-onnx', 'model.onnx'))));
  });

  test('confirmUninstall: --yes goes ahead; a person must answer y; with no terminal it refuses and says to pass --yes', async () => {
    const losses = [{ kind: 'PyTorchJob', plural: 'pytorchjobs', count: 2 }, { kind: 'Experiment', plural: 'experiments', count: 1 }];
    const base = { kubeconfig: '/k', losses };
    const never = (): Promise<string> => Promise.reject(new Error('must not ask'));
    assert.equal(await confirmUninstall({ ...base, yes: true, interactive: false, ask: never }), true);
    await assert.rejects(confirmUninstall({ ...base, yes: false, interactive: false, ask: never }), (err: unknown) => {
      assert.ok(err instanceof UsageError);
      assert.match(err.message, /with them 2 pytorchjobs, 1 Experiment; there is no terminal to ask on, so pass --yes to go ahead/);
      return true;
    });
    let asked = '';
    const answer = (text: string) => (q: string): Promise<string> => { asked = q; return Promise.resolve(text); };
    assert.equal(await confirmUninstall({ ...base, yes: false, interactive: true, ask: answer('y') }), true);
    assert.match(asked, /Delete them\? \[y\/N\] $/);
    assert.equal(await confirmUninstall({ ...base, yes: false, interactive: true, ask: answer('YES\n') }), true);
    assert.equal(await confirmUninstall({ ...base, yes: false, interactive: true, ask: answer('') }), false);
    assert.equal(await confirmUninstall({ ...base, yes: false, interactive: true, ask: answer('n') }), false);
  });

  test('`floe uninstall` without --yes and without a terminal deletes nothing and exits 2', async () => {
    const dataDir = tempDir('uninstall');
    const floe: Floe = await startFloe({ ...quietConfig(dataDir), controllers: true });
    try {
      await floe.client.create({ apiVersion: 'kubeflow.org/v1', kind: 'PyTorchJob', metadata: { name: 'keep-me', namespace: 'default' }, spec: { pytorchReplicaSpecs: { Master: { replicas: 1, template: { spec: { containers: [{ name: 'pytorch', image: 'pytorch/pytorch', command: ['true'] }] } } } } } });
      const env = { ...process.env };
      delete env.KUBECONFIG;
      const r = await run(process.execPath, [cli, 'uninstall', '--kubeconfig', floe.kubeconfigPath], { env });
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, /with them 1 PyTorchJob; there is no terminal to ask on, so pass --yes to go ahead/);
      assert.equal(r.stdout, '');
      // On a terminal it asks; "n" (or Enter) deletes nothing. A pseudo-terminal from Python's pty module stands in.
      const onTerminal = await run('python3', ['-c', ptyAnswer, 'n', process.execPath, cli, 'uninstall', '--kubeconfig', floe.kubeconfigPath], { env });
      assert.equal(onTerminal.code, 0, onTerminal.stderr);
      assert.match(onTerminal.stdout, /with them 1 PyTorchJob\.\r?\nDelete them\? \[y\/N\]/);
      assert.match(onTerminal.stdout, /uninstall cancelled: nothing was deleted/);
      assert.match(onTerminal.stdout, /exit 1$/);
      await floe.client.get({ apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition' }, 'pytorchjobs.kubeflow.org');
      await waitFor(async () => (await floe.client.get({ apiVersion: 'kubeflow.org/v1', kind: 'PyTorchJob' }, 'keep-me', 'default')).metadata.name === 'keep-me', { what: 'the job is still there' });
    } finally {
      await floe.stop();
    }
  });
});
