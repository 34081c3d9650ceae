// A container's root filesystem from unpacked layers, bottom to top, with the OCI whiteouts applied: `.wh.NAME` hides
// NAME of the layers below, `.wh..wh..opq` empties its directory of them. Files are copied (a reflink where the file
// system can) or hard-linked from the store; nothing under the target is ever reached through a symlink.
import { constants } from 'node:fs';
import { chmodSync, copyFileSync, lchownSync, linkSync, lstatSync, lutimesSync, mkdirSync, readdirSync, readlinkSync, rmSync, symlinkSync, utimesSync } from 'node:fs';
import { copyFile } from 'node:fs/promises';
import { setImmediate as turn } from 'node:timers/promises';
import { join } from 'node:path';

export const whiteoutPrefix = '.wh.';
export const opaqueWhiteout = '.wh..wh..opq';

/**
 * How files reach a rootfs. `copy`: an independent copy (a copy-on-write reflink on btrfs and xfs, a byte copy on
 * ext4), so the container may write anywhere. `hardlink`: the store's own inodes, in microseconds and no space, but a
 * write in place would change the stored layer, so only for read-only root filesystems.
 */
export type RootfsMode = 'copy' | 'hardlink';

export interface AssembleStats {
  files: number;
  dirs: number;
  symlinks: number;
  /** Bytes of regular files placed (copied or linked). */
  bytes: number;
  whiteouts: number;
}

/**
 * Stacks `layerDirs` (bottom first) into `target`, which must not exist or be empty. Ownership is kept when running
 * as root. Within one layer, files that were hard links of each other stay linked.
 */
export async function assembleRootfs(layerDirs: readonly string[], target: string, mode: RootfsMode): Promise<AssembleStats> {
  mkdirSync(target, { recursive: true });
  if (readdirSync(target).length > 0) throw new Error(`the rootfs target ${target} is not empty`);
  const stats: AssembleStats = { files: 0, dirs: 0, symlinks: 0, bytes: 0, whiteouts: 0 };
  const asRoot = process.getuid?.() === 0;
  const dirTimes: { path: string; atime: Date; mtime: Date }[] = [];
  for (const layer of layerDirs) {
    const inodes = new Map<string, string>();
    await applyDir(layer, target, { mode, asRoot, stats, inodes, dirTimes });
  }
  // Children change a directory's mtime: set them once everything is in place, deepest last-written first.
  for (const { path, atime, mtime } of dirTimes.reverse()) {
    try {
      utimesSync(path, atime, mtime);
    } catch {
      // replaced by a later layer
    }
  }
  const root = layerDirs.length > 0 ? lstatSync(layerDirs[0]!, { throwIfNoEntry: false }) : undefined;
  if (root) chmodSync(target, root.mode & 0o7777);
  return stats;
}

interface ApplyContext {
  mode: RootfsMode;
  asRoot: boolean;
  stats: AssembleStats;
  /** dev:ino of this layer's files → where the first of them went, so hard links stay hard links when copying. */
  inodes: Map<string, string>;
  dirTimes: { path: string; atime: Date; mtime: Date }[];
}

/** Files above this size are copied asynchronously, so that one big file does not hold the event loop. */
const syncCopyLimit = 4 * 1024 * 1024;

/**
 * Applies one layer's directory `src` onto `dst`, which is a real directory (never a symlink). Calls are synchronous
 * (microseconds each, no thread-pool round trips); the event loop gets a turn every few hundred entries.
 */
async function applyDir(src: string, dst: string, ctx: ApplyContext): Promise<void> {
  const names = readdirSync(src);
  // Whiteouts hide what the layers below put here; they never hide this layer's own entries, so they go first.
  if (names.includes(opaqueWhiteout)) {
    ctx.stats.whiteouts++;
    for (const name of readdirSync(dst)) rmSync(join(dst, name), { recursive: true, force: true });
  }
  for (const name of names) {
    if (name === opaqueWhiteout || !name.startsWith(whiteoutPrefix)) continue;
    ctx.stats.whiteouts++;
    const hidden = name.slice(whiteoutPrefix.length);
    if (hidden !== '' && hidden !== '.' && hidden !== '..' && !hidden.includes('/')) rmSync(join(dst, hidden), { recursive: true, force: true });
  }
  for (const name of names) {
    if (name.startsWith(whiteoutPrefix)) continue;
    const from = join(src, name);
    const to = join(dst, name);
    const st = lstatSync(from);
    const there = lstatSync(to, { throwIfNoEntry: false });
    const placed = ctx.stats.files + ctx.stats.dirs + ctx.stats.symlinks;
    if (placed % 256 === 255) await turn();
    if (st.isDirectory()) {
      // A directory over a directory merges; over anything else it replaces.
      if (there && !there.isDirectory()) rmSync(to, { force: true });
      if (!there || !there.isDirectory()) {
        mkdirSync(to);
        ctx.stats.dirs++;
      }
      if (ctx.asRoot) lchownSync(to, st.uid, st.gid);
      chmodSync(to, st.mode & 0o7777);
      await applyDir(from, to, ctx);
      ctx.dirTimes.push({ path: to, atime: st.atime, mtime: st.mtime });
      continue;
    }
    if (there) rmSync(to, { recursive: true, force: true });
    if (st.isSymbolicLink()) {
      symlinkSync(readlinkSync(from), to);
      if (ctx.asRoot) lchownSync(to, st.uid, st.gid);
      lutimesSync(to, st.atime, st.mtime);
      ctx.stats.symlinks++;
    } else if (st.isFile()) {
      const key = `${st.dev}:${st.ino}`;
      const first = st.nlink > 1 ? ctx.inodes.get(key) : undefined;
      if (ctx.mode === 'hardlink') {
        linkSync(from, to);
      } else if (first !== undefined) {
        linkSync(first, to);
      } else {
        if (st.size > syncCopyLimit) await copyFile(from, to, constants.COPYFILE_FICLONE);
        else copyFileSync(from, to, constants.COPYFILE_FICLONE);
        // chown before chmod: chown clears setuid and setgid.
        if (ctx.asRoot) lchownSync(to, st.uid, st.gid);
        chmodSync(to, st.mode & 0o7777);
        utimesSync(to, st.atime, st.mtime);
        if (st.nlink > 1) ctx.inodes.set(key, to);
      }
      ctx.stats.files++;
      ctx.stats.bytes += st.size;
    }
    // Sockets, devices and FIFOs are never in the store (the unpacker skips them).
  }
}
