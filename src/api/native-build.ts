// Floe's small C helpers (native/*.c): compiled with the machine's C compiler on first use, once per source version,
// into ~/.cache/floe/native/<source hash>/ (0700). Each has a slower fallback where no compiler builds it.
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { homedir } from 'node:os';
import { basename, join } from 'node:path';
import type { Logger } from './logger.js';

/**
 * The program compiled from `source` (named after it: native/floe-spawner.c gives floe-spawner), or undefined, with
 * the compiler's reason logged as `fallback` says, where it does not build.
 */
export function compiledNative(source: string, log: Logger, fallback: string): string | undefined {
  const hash = createHash('sha256').update(readFileSync(source)).digest('hex').slice(0, 16);
  const dir = join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'floe', 'native', hash);
  const binary = join(dir, basename(source).replace(/\.c$/, ''));
  if (existsSync(binary)) return binary;
  const partial = `${binary}.${randomBytes(4).toString('hex')}`;
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    execFileSync(process.env.CC ?? 'cc', ['-O2', '-Wall', '-o', partial, source], { stdio: ['ignore', 'ignore', 'pipe'] });
    renameSync(partial, binary);
    return binary;
  } catch (err) {
    rmSync(partial, { force: true });
    const stderr = (err as { stderr?: Buffer }).stderr?.toString().trim();
    log.warn({ err: stderr || (err instanceof Error ? err.message : String(err)) }, `${basename(source)} did not build; ${fallback}`);
    return undefined;
  }
}
