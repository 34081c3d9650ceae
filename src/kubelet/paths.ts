// Containment of paths built from user-supplied names (claim names, volume names, subPaths, volume file paths).
import { lstatSync, mkdirSync, realpathSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { isInside } from '../api/paths.js';
import { ContainerConfigError } from './container-env.js';

export interface ContainOptions {
  /** The root itself is an acceptable answer (a subPath of `.`). */
  allowRoot?: boolean;
  /** Only a direct child of the root: one path segment, as an object name is. */
  direct?: boolean;
}

function refuse(field: string, value: string, why: string): ContainerConfigError {
  return new ContainerConfigError(`${field}: Invalid value: ${JSON.stringify(value)}: ${why}`);
}

/** Whether `target` lies below `base` (both resolved), or is `base` itself when `allowRoot`. */
export const inside = isInside;

/**
 * `root` joined with the user-supplied relative path `rel` and resolved, refused with a ContainerConfigError naming
 * `field` unless the result stays inside `root`. Lexical only: `containedRealPath` also follows symbolic links.
 */
export function containedPath(root: string, rel: string, field: string, options: ContainOptions = {}): string {
  const base = resolve(root);
  if (isAbsolute(rel)) throw refuse(field, rel, 'must be a relative path');
  const target = resolve(base, rel);
  if (!inside(base, target, options.allowRoot)) throw refuse(field, rel, 'must stay inside its folder (no "..", not empty)');
  if (options.direct && dirname(target) !== base) throw refuse(field, rel, 'must be a name, not a path');
  return target;
}

/**
 * The same, for a folder inside a volume that Pod processes can write to: each existing component is resolved
 * through symbolic links and must stay inside the volume's real folder; missing ones are created one at a time, so
 * a planted symlink can neither be followed out nor make Floe create folders elsewhere. Returns the folder (as
 * `root` spells it). A Pod that swaps a folder for a link after this check is not stopped (the kubelet's bind mount
 * of an opened file descriptor has no equivalent for host processes).
 */
export function containedRealDir(root: string, rel: string, field: string): string {
  const lexical = containedPath(root, rel, field, { allowRoot: true });
  const realRoot = realpathSync(root);
  let current = realRoot;
  for (const part of relative(resolve(root), lexical).split(sep).filter((p) => p !== '')) {
    const next = join(current, part);
    let exists = true;
    try {
      lstatSync(next);
    } catch {
      exists = false;
    }
    if (!exists) mkdirSync(next);
    const real = realpathSync(next);
    if (!inside(realRoot, real)) throw refuse(field, rel, 'leads out of its volume through a symbolic link');
    current = real;
  }
  return lexical;
}
