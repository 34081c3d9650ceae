// The data directory: private modes (0700 folder, 0600 databases, kubeconfig and keys) and one Floe per folder.
import { existsSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { FloeError } from '../api/errors.js';
import { createExclusive, ensurePrivateDir, preparePrivateDatabase, tightenMode, writePrivateFile, type Tightened } from '../store/private-file.js';

export type { Tightened } from '../store/private-file.js';

/** The SQLite files of embedded mode; each is made private before anything opens it. */
export const databaseFiles = ['floe.db', 'katib.db', 'metadata.db', 'pipelines.db'] as const;

/** Held open for as long as Floe runs: a SQLite exclusive lock, which the operating system drops when the process dies. */
const lockFile = 'floe.lock';
/** Who holds the lock, for the message a second Floe prints (the lock itself cannot be read while held). */
const ownerFile = 'floe.pid';
const stickyBit = 0o1000;

export interface DataDir {
  /** The folder, as an absolute path. */
  readonly path: string;
  /** Modes that were wider than Floe wants and have been narrowed: log each as a warning. */
  readonly tightened: readonly Tightened[];
  /** `<dir>/<name>`, made private first (0600 with its -wal, -shm and -journal files), for a SQLite database. */
  database(name: string): string;
  /** Writes `<dir>/<name>` with mode 0600 (narrowed when it existed wider) and returns its path. */
  writePrivate(name: string, content: string): string;
  /** Releases the lock: another Floe may use the folder. */
  close(): void;
}

export interface OpenDataDirOptions {
  /** The pid recorded as the holder (this process unless given). */
  pid?: number;
}

/**
 * Opens Floe's data directory: creates it 0700 (or narrows an existing one), refuses a folder that is another user's
 * or shared like /tmp, takes the folder's exclusive lock (refusing with the holder's pid when another Floe runs there),
 * and makes the databases, the kubeconfig and the PKI private. Throws FloeError: Conflict when the folder is in use,
 * Forbidden when it is unsafe.
 */
export function openDataDir(dir: string, options: OpenDataDirOptions = {}): DataDir {
  const path = resolve(dir);
  checkOwnership(path);
  const tightened: Tightened[] = [...ensurePrivateDir(path)];
  const lock = acquireLock(path, options.pid ?? process.pid);
  try {
    for (const name of databaseFiles) tightened.push(...preparePrivateDatabase(join(path, name)));
    // The kubeconfig, the Pods' token, the lock's pid and any database of an older Floe: every file at the top is private.
    for (const entry of readdirSync(path, { withFileTypes: true })) {
      if (!entry.isFile()) continue;
      const changed = tightenMode(join(path, entry.name), 0o600);
      if (changed) tightened.push(changed);
    }
    tightened.push(...tightenPki(join(path, 'pki')));
  } catch (err) {
    lock.release();
    throw err;
  }
  return {
    path,
    tightened,
    database(name) {
      const file = join(path, name);
      preparePrivateDatabase(file);
      return file;
    },
    writePrivate(name, content) {
      const file = join(path, name);
      writePrivateFile(file, content);
      return file;
    },
    close() {
      lock.release();
    },
  };
}

/** The PKI folder 0700 and each file in it 0600 (the CA and server keys among them). */
export function tightenPki(dir: string): Tightened[] {
  if (!existsSync(dir)) return [];
  const out = ensurePrivateDir(dir);
  for (const name of readdirSync(dir)) {
    const changed = tightenMode(join(dir, name), 0o600);
    if (changed) out.push(changed);
  }
  return out;
}

function checkOwnership(path: string): void {
  let stats;
  try {
    stats = statSync(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw err;
  }
  if (!stats.isDirectory()) throw new FloeError('Forbidden', `data directory ${path} is not a directory: point --data-dir at a folder`);
  const uid = process.getuid?.();
  if (uid !== undefined && stats.uid !== uid) {
    throw new FloeError('Forbidden', `data directory ${path} belongs to uid ${stats.uid}, not to this user (uid ${uid}): Floe keeps its database, token and keys there, so use a folder of your own with --data-dir`);
  }
  // Narrowing a shared folder such as /tmp (sticky bit) or / to 0700 would lock every other user out of it.
  if ((stats.mode & stickyBit) !== 0 || path === '/') {
    throw new FloeError('Forbidden', `data directory ${path} is a shared folder: use a folder of Floe's own with --data-dir, such as ${join(path, 'floe')}`);
  }
}

interface Lock {
  release(): void;
}

function acquireLock(dir: string, pid: number): Lock {
  const path = join(dir, lockFile);
  createPrivateLockFile(path);
  let db: Database.Database | undefined;
  try {
    // No busy wait: a held lock is an answer, not a delay. MEMORY journaling: the lock file never gets a -journal.
    db = new Database(path, { timeout: 0 });
    db.pragma('journal_mode = MEMORY');
    db.pragma('locking_mode = EXCLUSIVE');
    db.exec('BEGIN EXCLUSIVE');
  } catch (err) {
    db?.close();
    if ((err as { code?: string }).code === 'SQLITE_BUSY') {
      const holder = readOwner(join(dir, ownerFile));
      throw new FloeError('Conflict', `data directory ${dir} is in use by floe (${holder === undefined ? 'pid unknown' : `pid ${holder}`}); stop it first or use --data-dir`, { cause: err });
    }
    throw err;
  }
  const owner = join(dir, ownerFile);
  writePrivateFile(owner, `${pid}\n`);
  const held = db;
  return {
    release() {
      if (!held.open) return;
      if (readOwner(owner) === pid) rmSync(owner, { force: true });
      // Closing the connection ends its transaction and drops the operating system's lock.
      held.close();
    },
  };
}

/**
 * Creates the lock file 0600 when it is missing. An existing one is narrowed by path, never opened: closing any
 * descriptor of a file drops every POSIX lock this process holds on it, the lock of a Floe in this process included.
 */
function createPrivateLockFile(path: string): void {
  if (!createExclusive(path)) tightenMode(path, 0o600);
}

/** The pid in the owner file when that process is alive; undefined otherwise. */
function readOwner(path: string): number | undefined {
  let pid: number;
  try {
    pid = Number(readFileSync(path, 'utf8').trim());
  } catch {
    return undefined;
  }
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  try {
    process.kill(pid, 0);
    return pid;
  } catch (err) {
    // EPERM: alive, but another user's.
    return (err as NodeJS.ErrnoException).code === 'EPERM' ? pid : undefined;
  }
}
