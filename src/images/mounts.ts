// Overlay root filesystems for container Pods, and the mount bookkeeping their cleanup needs: a bundle's rootfs is an
// overlay mount (the image's shared, read-only flattened tree below, the run's own writable folder above), which must
// be unmounted before its folder can go.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join, relative, resolve, sep } from 'node:path';

export interface MountEntry {
  /** Where it is mounted (octal escapes decoded). */
  mountPoint: string;
  /** The file system's `major:minor`, and the folder of it that is mounted there (a bind mount's source). */
  device: string;
  root: string;
  fsType: string;
  /** The file system's own options (overlay: `lowerdir=…,upperdir=…,workdir=…`). */
  superOptions: string;
}

/** The mount table of this process's mount namespace (/proc/self/mountinfo). */
export function mountTable(): MountEntry[] {
  let text: string;
  try {
    text = readFileSync('/proc/self/mountinfo', 'utf8');
  } catch {
    return [];
  }
  const out: MountEntry[] = [];
  for (const line of text.split('\n')) {
    if (!line) continue;
    // id parent major:minor root mountPoint options [optional…] - fsType source superOptions
    const [left, right] = line.split(' - ');
    const fields = left?.split(' ') ?? [];
    const tail = right?.split(' ') ?? [];
    if (fields.length < 5 || tail.length < 3) continue;
    out.push({ mountPoint: unescapeMountField(fields[4]!), device: fields[2]!, root: unescapeMountField(fields[3]!), fsType: tail[0]!, superOptions: tail.slice(2).join(' ') });
  }
  return out;
}

/** mountinfo writes space, tab, newline and backslash as `\ooo`. */
function unescapeMountField(field: string): string {
  return field.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8)));
}

/** Mount points at or below `dir`, deepest first. */
export function mountsUnder(dir: string, table: MountEntry[] = mountTable()): string[] {
  const root = resolve(dir);
  return table
    .map((m) => m.mountPoint)
    .filter((p) => p === root || p.startsWith(root + sep))
    .sort((a, b) => b.length - a.length);
}

/**
 * Unmounts everything at or below `dir` (lazily: a process still holding a file there keeps it until it lets go, but
 * the folder can be removed now). Never follows a path outside `dir`.
 */
export function unmountUnder(dir: string): void {
  for (const point of mountsUnder(dir)) spawnSync('umount', ['-l', point], { stdio: 'ignore' });
}

/** Removes `dir` after unmounting what is mounted below it, so that removal never reaches into a mounted tree. */
export function removeUnmounted(dir: string): void {
  unmountUnder(dir);
  rmSync(dir, { recursive: true, force: true });
}

/**
 * Whether `dir` is in use by a run: the lower layer of a mounted overlay (an image's flattened tree), or mounted again
 * elsewhere (the idmapped mount of it that a user-namespaced run's overlay sits on).
 */
export function isOverlayLower(dir: string, table: MountEntry[] = mountTable()): boolean {
  const target = resolve(dir);
  if (table.some((m) => m.fsType === 'overlay' && overlayOption(m.superOptions, 'lowerdir').split(':').some((d) => d === target))) return true;
  // The mount `dir` lives on, and `dir`'s path inside that file system: another mount with that root is a bind of it.
  const home = table
    .filter((m) => m.fsType !== 'overlay' && (target === m.mountPoint || target.startsWith(m.mountPoint === sep ? sep : m.mountPoint + sep)))
    .sort((a, b) => b.mountPoint.length - a.mountPoint.length)[0];
  if (!home) return false;
  const inside = join(home.root, relative(home.mountPoint, target));
  return table.some((m) => m !== home && m.device === home.device && m.root === inside && m.mountPoint !== target);
}

function overlayOption(options: string, key: string): string {
  for (const part of options.split(',')) if (part.startsWith(`${key}=`)) return part.slice(key.length + 1);
  return '';
}

/** Characters mount(8) cannot carry in an overlay option value. */
const unsafeOverlayPath = /[,:\s\\]/;

/**
 * Mounts an overlay at `target`: `lower` read-only below, `<scratch>/upper` (the run's writes) above, `<scratch>/work`
 * for the kernel. Throws with mount's own message when the kernel refuses.
 */
export function mountOverlay(lower: string, scratch: string, target: string): void {
  const upper = join(scratch, 'upper');
  const work = join(scratch, 'work');
  for (const p of [lower, upper, work, target]) if (unsafeOverlayPath.test(p)) throw new Error(`cannot mount an overlay with the path ${JSON.stringify(p)} (a comma, colon, backslash or space)`);
  mkdirSync(upper, { recursive: true, mode: 0o755 });
  mkdirSync(work, { recursive: true, mode: 0o700 });
  mkdirSync(target, { recursive: true, mode: 0o755 });
  const r = spawnSync('mount', ['-t', 'overlay', 'overlay', '-o', `lowerdir=${lower},upperdir=${upper},workdir=${work}`, target], { encoding: 'utf8' });
  if (r.error) throw r.error;
  if (r.status !== 0) throw new Error(`mount -t overlay failed: ${(r.stderr || r.stdout || `exit ${r.status}`).trim()}`);
}

let overlaySupport: string | undefined | null = null;

/**
 * Why overlay root filesystems cannot be used on this machine (not root, no overlay in the kernel, no mount(8)), or
 * undefined when a trial mount in `probeDir` worked. Probed once per process.
 */
export function overlayUnavailable(probeDir: string): string | undefined {
  if (overlaySupport !== null) return overlaySupport;
  if (process.getuid?.() !== 0) return (overlaySupport = 'overlay mounts need root');
  const dir = join(probeDir, `overlay-probe-${process.pid}`);
  try {
    mkdirSync(join(dir, 'lower'), { recursive: true });
    mountOverlay(join(dir, 'lower'), dir, join(dir, 'merged'));
    spawnSync('umount', [join(dir, 'merged')], { stdio: 'ignore' });
    overlaySupport = undefined;
  } catch (err) {
    overlaySupport = err instanceof Error ? err.message : String(err);
  } finally {
    unmountUnder(dir);
    rmSync(dir, { recursive: true, force: true });
  }
  return overlaySupport;
}
