// Containment of paths built from names a user chose: the one check the kubelet and the controllers share.
import { isAbsolute, relative, resolve, sep } from 'node:path';

/** Whether `target` lies below `base` once both are resolved (`..` and all), or is `base` itself when `allowRoot`. */
export function isInside(base: string, target: string, allowRoot = false): boolean {
  const rel = relative(resolve(base), resolve(target));
  if (rel === '') return allowRoot;
  return rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel);
}
