// Pod volumes as host directories, and the mapping of container mount paths onto them.
import { chmodSync, closeSync, mkdirSync, openSync, readdirSync, renameSync, rmSync, writeSync } from 'node:fs';
import { basename, dirname, join, relative, resolve, sep } from 'node:path';
import { ContainerConfigError, fieldValue, type EnvContext } from './container-env.js';
import { containedPath, containedRealDir, inside } from './paths.js';
import type { PodPaths } from './pod-state.js';
import type { ContainerSpec, KeyToPath, Pod, Volume } from './types.js';

export interface VolumeLookups {
  /** data and binaryData of a ConfigMap as file contents, or undefined when missing. */
  configMapFiles(namespace: string, name: string): Promise<Record<string, Buffer> | undefined>;
  /** A Secret's decoded data, or undefined when missing. */
  secretFiles(namespace: string, name: string): Promise<Record<string, Buffer> | undefined>;
  /** A Pod-bound ServiceAccount token for a projected `serviceAccountToken` source, kept current in `file`. */
  serviceAccountToken?(pod: Pod, source: { audience?: string; expirationSeconds?: number }, file: string): Promise<Buffer>;
}

export interface Mount {
  volume: string;
  mountPath: string;
  hostPath: string;
}

/** The environment variable that tells a process where volume `name` lives on the host. */
export function volumeEnvName(name: string): string {
  return `FLOE_VOLUME_${name.toUpperCase().replace(/[^A-Z0-9]/g, '_')}`;
}

const supported = ['emptyDir', 'configMap', 'secret', 'persistentVolumeClaim', 'hostPath', 'downwardAPI', 'projected'];

function sourceOf(volume: Volume): string | undefined {
  return Object.keys(volume).find((k) => k !== 'name');
}

/**
 * Kubernetes' default file modes: 0644 for every volume source. Floe writes Secret files 0600 (in a 0700 folder)
 * unless the Pod gives a mode: on one machine, other local users share the host filesystem with the Pods.
 */
export const DefaultFileMode = 0o644;
export const DefaultSecretFileMode = 0o600;
const SecretDirMode = 0o700;

/**
 * The host directory of each volume (PVCs under `<dataDir>/volumes/<ns>/<claim>`, hostPath as given, the rest under
 * the Pod's folder). A name that would lead out of its root (`claimName: ../team-a/data`) throws ContainerConfigError
 * naming the field.
 */
export function volumeDirs(pod: Pod, paths: PodPaths, dataDir: string): Map<string, string> {
  const out = new Map<string, string>();
  const namespace = pod.metadata.namespace ?? 'default';
  (pod.spec.volumes ?? []).forEach((v, i) => {
    if (v.persistentVolumeClaim) {
      const claims = containedPath(join(dataDir, 'volumes'), namespace, 'metadata.namespace', { direct: true });
      out.set(v.name, containedPath(claims, v.persistentVolumeClaim.claimName, `spec.volumes[${i}].persistentVolumeClaim.claimName`, { direct: true }));
    } else if (v.hostPath) out.set(v.name, v.hostPath.path);
    else out.set(v.name, containedPath(join(paths.root, 'volumes'), v.name, `spec.volumes[${i}].name`, { direct: true }));
  });
  return out;
}

/** Creates every volume's directory and (re)writes the files of configMap, secret, downwardAPI and projected volumes. */
export async function prepareVolumes(pod: Pod, paths: PodPaths, dataDir: string, lookups: VolumeLookups, ctx: EnvContext): Promise<Map<string, string>> {
  const dirs = volumeDirs(pod, paths, dataDir);
  const namespace = pod.metadata.namespace ?? 'default';
  for (const [i, v] of (pod.spec.volumes ?? []).entries()) {
    const field = `spec.volumes[${i}]`;
    const source = sourceOf(v);
    if (!source || !supported.includes(source)) {
      throw new ContainerConfigError(`volume "${v.name}" uses ${source ?? 'no'} source, which Floe's local runtime does not provide (it provides ${supported.join(', ')})`);
    }
    const dir = dirs.get(v.name)!;
    const secretBearing = Boolean(v.secret) || Boolean((v.projected as { sources?: Record<string, unknown>[] } | undefined)?.sources?.some((s) => s.secret));
    if (!v.hostPath || v.hostPath.type === 'DirectoryOrCreate') mkdirSync(dir, { recursive: true, ...(secretBearing ? { mode: SecretDirMode } : {}) });
    // mkdir's mode is cut by the umask and leaves an existing folder as it is.
    if (secretBearing) chmodSync(dir, SecretDirMode);
    if (v.configMap) {
      const name = v.configMap.name ?? '';
      const data = await lookups.configMapFiles(namespace, name);
      if (!data && !v.configMap.optional) throw new ContainerConfigError(`configmap "${name}" not found`);
      const files = select(data ?? {}, v.configMap.items, `ConfigMap ${namespace}/${name}`, v.configMap.optional, `${field}.configMap`, false);
      writeProjection(dir, files, fileMode(v.configMap.defaultMode, `${field}.configMap.defaultMode`), false);
    } else if (v.secret) {
      const name = v.secret.secretName ?? '';
      const data = await lookups.secretFiles(namespace, name);
      if (!data && !v.secret.optional) throw new ContainerConfigError(`secret "${name}" not found`);
      const files = select(data ?? {}, v.secret.items, `Secret ${namespace}/${name}`, v.secret.optional, `${field}.secret`, true);
      writeProjection(dir, files, fileMode(v.secret.defaultMode, `${field}.secret.defaultMode`), true);
    } else if (v.downwardAPI) {
      const spec = v.downwardAPI as { items?: { path: string; fieldRef?: { fieldPath: string }; mode?: number }[]; defaultMode?: number };
      writeProjection(dir, downward(pod, spec.items ?? [], ctx, `${field}.downwardAPI`), fileMode(spec.defaultMode, `${field}.downwardAPI.defaultMode`), false);
    } else if (v.projected) {
      const spec = v.projected as { sources?: Record<string, unknown>[]; defaultMode?: number };
      const files = new Map<string, ProjectedFile>();
      for (const [j, s] of (spec.sources ?? []).entries()) {
        const sourceField = `${field}.projected.sources[${j}]`;
        const cm = s.configMap as { name?: string; items?: KeyToPath[]; optional?: boolean } | undefined;
        const secret = s.secret as { name?: string; items?: KeyToPath[]; optional?: boolean } | undefined;
        const down = s.downwardAPI as { items?: { path: string; fieldRef?: { fieldPath: string }; mode?: number }[] } | undefined;
        const token = s.serviceAccountToken as { audience?: string; expirationSeconds?: number; path?: string } | undefined;
        if (token) {
          // A kubelet wired without a token source (tests' own) leaves the token out; the rest of the volume is written.
          const path = token.path ?? 'token';
          if (lookups.serviceAccountToken) files.set(path, { data: await lookups.serviceAccountToken(pod, token, join(dir, path)), secret: true, field: `${sourceField}.serviceAccountToken` });
        } else if (cm) {
          const data = await lookups.configMapFiles(namespace, cm.name ?? '');
          if (!data && !cm.optional) throw new ContainerConfigError(`configmap "${cm.name ?? ''}" not found`);
          for (const [k, f] of select(data ?? {}, cm.items, `ConfigMap ${namespace}/${cm.name ?? ''}`, cm.optional, `${sourceField}.configMap`, false)) files.set(k, f);
        } else if (secret) {
          const data = await lookups.secretFiles(namespace, secret.name ?? '');
          if (!data && !secret.optional) throw new ContainerConfigError(`secret "${secret.name ?? ''}" not found`);
          for (const [k, f] of select(data ?? {}, secret.items, `Secret ${namespace}/${secret.name ?? ''}`, secret.optional, `${sourceField}.secret`, true)) files.set(k, f);
        } else if (down) {
          for (const [k, f] of downward(pod, down.items ?? [], ctx, `${sourceField}.downwardAPI`)) files.set(k, f);
        }
      }
      writeProjection(dir, files, fileMode(spec.defaultMode, `${field}.projected.defaultMode`), secretBearing);
    }
  }
  return dirs;
}

/** One file of a projection: its bytes, the mode its item gives, whether it holds Secret data, and its spec field. */
interface ProjectedFile {
  data: Buffer;
  mode?: number;
  secret: boolean;
  field: string;
}

/** A mode from the Pod spec, checked as kube-apiserver does (0 to 0777). */
function fileMode(mode: number | undefined, field: string): number | undefined {
  if (mode === undefined || mode === null) return undefined;
  if (!Number.isInteger(mode) || mode < 0 || mode > 0o777) throw new ContainerConfigError(`${field}: Invalid value: ${JSON.stringify(mode)}: must be a number between 0 and 0777 (octal), both inclusive`);
  return mode;
}

function select(data: Record<string, Buffer>, items: KeyToPath[] | undefined, what: string, optional: boolean | undefined, field: string, secret: boolean): Map<string, ProjectedFile> {
  const files = new Map<string, ProjectedFile>();
  if (!items) {
    for (const [k, v] of Object.entries(data)) files.set(k, { data: v, secret, field: `${field} key ${JSON.stringify(k)}` });
    return files;
  }
  items.forEach((item, i) => {
    const value = data[item.key];
    if (value === undefined) {
      if (optional) return;
      throw new ContainerConfigError(`couldn't find key ${item.key} in ${what}`);
    }
    const mode = fileMode(item.mode, `${field}.items[${i}].mode`);
    files.set(item.path, { data: value, secret, field: `${field}.items[${i}].path`, ...(mode === undefined ? {} : { mode }) });
  });
  return files;
}

function downward(pod: Pod, items: { path: string; fieldRef?: { fieldPath: string }; mode?: number }[], ctx: EnvContext, field: string): Map<string, ProjectedFile> {
  const files = new Map<string, ProjectedFile>();
  items.forEach((item, i) => {
    if (!item.fieldRef) return;
    const data = Buffer.from(fieldValue(pod, item.fieldRef.fieldPath, ctx));
    const mode = fileMode(item.mode, `${field}.items[${i}].mode`);
    files.set(item.path, { data, secret: false, field: `${field}.items[${i}].path`, ...(mode === undefined ? {} : { mode }) });
  });
  return files;
}

/**
 * Writes one file so that it never exists with looser permissions than `mode` and a symlink planted by a Pod is
 * replaced, not followed: a fresh temporary file (O_EXCL does not follow links) renamed over the target.
 */
function writeFileAtomically(target: string, data: Buffer, mode: number): void {
  const tmp = join(dirname(target), `..floe-${process.pid}.tmp`);
  rmSync(tmp, { force: true });
  const fd = openSync(tmp, 'wx', 0o600);
  try {
    writeSync(fd, data);
  } finally {
    closeSync(fd);
  }
  chmodSync(tmp, mode);
  renameSync(tmp, target);
}

/**
 * Writes the files and removes ones a previous projection left that are no longer wanted. A file's mode is its item's
 * `mode`, else the volume's `defaultMode`, else 0600 for Secret data and 0644 for the rest; folders of a volume that
 * holds Secret data are 0700.
 */
function writeProjection(dir: string, files: Map<string, ProjectedFile>, defaultMode: number | undefined, secretBearing: boolean): void {
  const wanted = new Set<string>();
  const root = resolve(dir);
  for (const [path, file] of files) {
    // Kubernetes refuses item paths with a '..' element or starting with '..'; the containment check covers the rest.
    if (path.split('/').includes('..') || path.startsWith('..')) throw new ContainerConfigError(`${file.field}: Invalid value: ${JSON.stringify(path)}: must not contain '..'`);
    const target = containedPath(dir, path, file.field);
    const rel = relative(dir, target);
    const parent = containedRealDir(dir, dirname(rel), file.field);
    if (secretBearing) for (let d = parent; inside(root, d); d = dirname(d)) chmodSync(d, SecretDirMode);
    writeFileAtomically(join(parent, basename(target)), file.data, file.mode ?? defaultMode ?? (file.secret ? DefaultSecretFileMode : DefaultFileMode));
    wanted.add(rel.split(sep).join('/'));
  }
  const prune = (sub: string): void => {
    for (const entry of readdirSync(join(dir, sub), { withFileTypes: true })) {
      const rel = join(sub, entry.name);
      if (entry.isDirectory()) prune(rel);
      else if (!wanted.has(rel.split(sep).join('/'))) rmSync(join(dir, rel), { force: true });
    }
  };
  prune('');
}

/** `spec.containers[i]` or `spec.initContainers[i]`: where a container sits in its Pod, for messages naming fields. */
export function containerField(pod: Pod | undefined, container: ContainerSpec): string {
  const init = pod?.spec.initContainers?.indexOf(container) ?? -1;
  if (init >= 0) return `spec.initContainers[${init}]`;
  const main = pod?.spec.containers.indexOf(container) ?? -1;
  return main >= 0 ? `spec.containers[${main}]` : `container ${JSON.stringify(container.name)}`;
}

/**
 * The mounts of one container: its mount paths and the host directories that stand in for them. A subPath must stay
 * inside its volume, also through symbolic links a Pod may have planted there (as the kubelet checks).
 */
export function containerMounts(container: ContainerSpec, dirs: ReadonlyMap<string, string>, pod?: Pod): Mount[] {
  const mounts: Mount[] = [];
  for (const [i, m] of (container.volumeMounts ?? []).entries()) {
    const base = dirs.get(m.name);
    if (base === undefined) throw new ContainerConfigError(`volumeMount "${m.name}" names a volume the pod does not have`);
    let hostPath = base;
    if (m.subPath) {
      const field = `${containerField(pod, container)}.volumeMounts[${i}].subPath`;
      if (m.subPath.split('/').includes('..')) throw new ContainerConfigError(`${field}: Invalid value: ${JSON.stringify(m.subPath)}: must not contain '..'`);
      hostPath = containedRealDir(base, m.subPath, field);
    }
    const mountPath = m.mountPath.length > 1 ? m.mountPath.replace(/\/+$/, '') : m.mountPath;
    mounts.push({ volume: m.name, mountPath, hostPath });
  }
  return mounts;
}

/**
 * Replaces each mount path that appears as a whole path prefix in `text` (`/data`, `/data/x`, `--dir=/data`, not
 * `/database` or `/x/data`) with its host directory, in one pass so a host path is never rewritten again.
 */
export function mapMountPaths(text: string, mounts: readonly Mount[]): string {
  const usable = mounts.filter((m) => m.mountPath !== '/' && m.mountPath.startsWith('/')).sort((a, b) => b.mountPath.length - a.mountPath.length);
  if (usable.length === 0) return text;
  const alternatives = usable.map((m) => m.mountPath.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|');
  const pattern = new RegExp(`(^|[^A-Za-z0-9._/-])(${alternatives})(?=$|[^A-Za-z0-9._-])`, 'g');
  return text.replace(pattern, (_all, before: string, path: string) => before + (usable.find((m) => m.mountPath === path)?.hostPath ?? path));
}
