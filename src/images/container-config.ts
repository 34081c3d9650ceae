// What a container runs, from its image config and its Pod spec, as Kubernetes computes it: `command` replaces the
// Entrypoint, `args` replace the Cmd; image Env under the container's; WorkingDir; the User resolved in the rootfs.
import { lstat, readFile, readlink } from 'node:fs/promises';
import { join } from 'node:path';
import { ImageError } from './errors.js';
import type { ImageRuntimeConfig } from './manifest.js';

export interface ContainerSpecPart {
  command?: string[];
  args?: string[];
  workingDir?: string;
}

/**
 * The argv Kubernetes runs: with `command`, `command + args` (the image's Entrypoint and Cmd both ignored); with
 * only `args`, `Entrypoint + args`; with neither, `Entrypoint + Cmd`. Empty when the image and the spec give nothing
 * (the kubelet reports that as a CreateContainerError). `$(VAR)` expansion is the kubelet's, before or after this.
 */
export function containerArgv(image: ImageRuntimeConfig | undefined, container: ContainerSpecPart): string[] {
  const entrypoint = image?.Entrypoint ?? [];
  const cmd = image?.Cmd ?? [];
  if (container.command && container.command.length > 0) return [...container.command, ...(container.args ?? [])];
  if (container.args && container.args.length > 0) return [...entrypoint, ...container.args];
  return [...entrypoint, ...cmd];
}

/** The image's `Env` (`KEY=value` lines) as a map; the kubelet lays the container's `env` over it. */
export function imageEnv(image: ImageRuntimeConfig | undefined): Record<string, string> {
  const env: Record<string, string> = {};
  for (const line of image?.Env ?? []) {
    const eq = line.indexOf('=');
    if (eq > 0) env[line.slice(0, eq)] = line.slice(eq + 1);
    else if (eq < 0 && line !== '') env[line] = '';
  }
  return env;
}

/** The working directory: the container's, else the image's, else `/`. */
export function workingDir(image: ImageRuntimeConfig | undefined, container: ContainerSpecPart): string {
  return container.workingDir || image?.WorkingDir || '/';
}

/**
 * `path` (absolute, as seen inside the container) resolved to a host path under `root`, following symlinks the way
 * the container would see them: absolute targets restart at `root`, `..` stops at `root`. The result is always inside
 * `root`, so writing there (an /etc/hosts, a volume's mount point) cannot land outside the rootfs.
 */
export async function resolveInRoot(root: string, path: string): Promise<string> {
  let pending = path.split('/').filter((p) => p !== '' && p !== '.');
  const done: string[] = [];
  let hops = 0;
  while (pending.length > 0) {
    const part = pending.shift()!;
    if (part === '..') {
      done.pop();
      continue;
    }
    const candidate = join(root, ...done, part);
    const st = await lstat(candidate).catch(() => undefined);
    if (st?.isSymbolicLink()) {
      if (++hops > 40) throw new Error(`too many levels of symbolic links resolving ${path} in ${root}`);
      const target = await readlink(candidate);
      if (target.startsWith('/')) done.length = 0;
      pending = [...target.split('/').filter((p) => p !== '' && p !== '.'), ...pending];
      continue;
    }
    done.push(part);
  }
  return join(root, ...done);
}

export interface ResolvedUser {
  uid: number;
  gid: number;
  /** Supplementary groups from the rootfs's /etc/group. */
  groups: number[];
  home: string;
}

interface PasswdLine {
  name: string;
  uid: number;
  gid: number;
  home: string;
}

async function readRootFile(root: string, path: string): Promise<string> {
  return readFile(await resolveInRoot(root, path), 'utf8').catch(() => '');
}

/**
 * The image's `User` (`name`, `uid`, `name:group`, `uid:gid`, …) resolved against the rootfs's /etc/passwd and
 * /etc/group, as runc and containerd do: a numeric user missing from passwd is fine (gid 0, home /); a name that is
 * missing is an error. `runAsUser`/`runAsGroup` from the securityContext override the result (the kubelet's part).
 */
export async function resolveImageUser(root: string, user: string | undefined): Promise<ResolvedUser> {
  const spec = user?.trim() ?? '';
  const [userPart = '', groupPart] = spec === '' ? ['0'] : spec.split(':');
  const passwd: PasswdLine[] = (await readRootFile(root, '/etc/passwd')).split('\n').flatMap((l) => {
    const f = l.split(':');
    if (f.length < 7 || !/^\d+$/.test(f[2]!) || !/^\d+$/.test(f[3]!)) return [];
    return [{ name: f[0]!, uid: Number(f[2]), gid: Number(f[3]), home: f[5]! }];
  });
  const groups = (await readRootFile(root, '/etc/group')).split('\n').flatMap((l) => {
    const f = l.split(':');
    if (f.length < 4 || !/^\d+$/.test(f[2]!)) return [];
    return [{ name: f[0]!, gid: Number(f[2]), members: f[3]!.split(',').filter(Boolean) }];
  });
  let entry: PasswdLine | undefined;
  let uid: number;
  if (/^\d+$/.test(userPart)) {
    uid = Number(userPart);
    entry = passwd.find((p) => p.uid === uid);
  } else {
    entry = passwd.find((p) => p.name === userPart);
    if (!entry) throw new ImageError('ErrImagePull', `the image's user "${userPart}" is not in its /etc/passwd`);
    uid = entry.uid;
  }
  let gid = entry?.gid ?? 0;
  if (groupPart !== undefined && groupPart !== '') {
    if (/^\d+$/.test(groupPart)) gid = Number(groupPart);
    else {
      const g = groups.find((x) => x.name === groupPart);
      if (!g) throw new ImageError('ErrImagePull', `the image's group "${groupPart}" is not in its /etc/group`);
      gid = g.gid;
    }
  }
  const supplementary = entry ? groups.filter((g) => g.members.includes(entry.name) && g.gid !== gid).map((g) => g.gid) : [];
  return { uid, gid, groups: supplementary, home: entry?.home || '/' };
}
