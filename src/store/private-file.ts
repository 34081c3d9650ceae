// Files only their owner may read: SQLite databases (with their -wal, -shm and -journal files), keys, kubeconfigs.
import { chmodSync, closeSync, constants, fchmodSync, fstatSync, mkdirSync, openSync, statSync, writeSync } from 'node:fs';

/** A mode that was wider than wanted and has been narrowed, for the caller to log. */
export interface Tightened {
  path: string;
  from: number;
  to: number;
}

/** The files SQLite keeps beside a database; they hold the same rows, so they get the database's mode. */
const sqliteCompanions = ['-wal', '-shm', '-journal'];

/**
 * Narrows `path` to `mode` when it exists with any bit `mode` lacks. Returns what changed, or undefined when the mode
 * was already as narrow (or the file does not exist).
 */
export function tightenMode(path: string, mode: number): Tightened | undefined {
  let current: number;
  try {
    current = statSync(path).mode & 0o7777;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  if ((current & ~mode) === 0) return undefined;
  chmodSync(path, current & mode);
  return { path, from: current, to: current & mode };
}

/** Creates a folder (and its parents) readable by its owner only, or narrows an existing one to 0700. */
export function ensurePrivateDir(path: string): Tightened[] {
  mkdirSync(path, { recursive: true, mode: 0o700 });
  const changed = tightenMode(path, 0o700);
  return changed ? [changed] : [];
}

/**
 * Makes a SQLite database file private before SQLite opens it: created empty with mode 0600 (an empty file is a new
 * database to SQLite), or narrowed to 0600 when it exists, together with its -wal, -shm and -journal files. SQLite
 * creates those later with the database file's own mode, so they stay private too.
 */
export function preparePrivateDatabase(path: string): Tightened[] {
  if (path === ':memory:' || path === '') return [];
  const changed: Tightened[] = [];
  if (!createExclusive(path)) {
    // Narrowed by path, never opened: closing any descriptor of a file drops the POSIX locks this process's SQLite
    // connections hold on it.
    const c = tightenMode(path, 0o600);
    if (c) changed.push(c);
  }
  for (const suffix of sqliteCompanions) {
    const c = tightenMode(`${path}${suffix}`, 0o600);
    if (c) changed.push(c);
  }
  return changed;
}

/** Creates an empty file with mode 0600 when none exists; false when one does. Links are not followed. */
export function createExclusive(path: string): boolean {
  try {
    closeSync(openSync(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600));
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  }
}

/**
 * Writes `content` to `path` readable by its owner only: mode 0600 even when the file existed with a wider mode
 * (writeFileSync's `mode` applies only to a file it creates). A symbolic link at `path` is refused, not followed.
 */
export function writePrivateFile(path: string, content: string | Uint8Array): void {
  const fd = openSync(path, constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | constants.O_NOFOLLOW, 0o600);
  try {
    // Narrow before writing, so the new content is never readable by others.
    const mode = fstatSync(fd).mode & 0o7777;
    if ((mode & ~0o600) !== 0) fchmodSync(fd, mode & 0o600);
    const bytes = typeof content === 'string' ? Buffer.from(content, 'utf8') : content;
    let written = 0;
    while (written < bytes.length) written += writeSync(fd, bytes, written, bytes.length - written);
  } finally {
    closeSync(fd);
  }
}
