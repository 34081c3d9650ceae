// Pod volumes as host directories, and the mapping of container mount paths onto them.
import { chmodSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, isAbsolute, join, normalize, relative } from 'node:path';
import { ContainerConfigError, fieldValue, type EnvContext } from './container-env.js';
import { claimDir, type PodPaths } from './pod-state.js';
import type { ContainerSpec, KeyToPath, Pod, Volume } from './types.js';

export interface VolumeLookups {
  /** data and binaryData of a ConfigMap as file contents, or undefined when missing. */
  configMapFiles(namespace: string, name: string): Promise<Record<string, Buffer> | undefined>;
  /** A Secret's decoded data, or undefined when missing. */
  secretFiles(namespace: string, name: string): Promise<Record<string, Buffer> | undefined>;
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

/** The host directory of each volume (PVCs under `<dataDir>/volumes/<ns>/<claim>`, the rest under the Pod's folder). */
export function volumeDirs(pod: Pod, paths: PodPaths, dataDir: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const v of pod.spec.volumes ?? []) {
    if (v.persistentVolumeClaim) out.set(v.name, claimDir(dataDir, pod.metadata.namespace ?? 'default', v.persistentVolumeClaim.claimName));
    else if (v.hostPath) out.set(v.name, v.hostPath.path);
    else out.set(v.name, paths.volumeDir(v.name));
  }
  return out;
}

/** Creates every volume's directory and (re)writes the files of configMap, secret, downwardAPI and projected volumes. */
export async function prepareVolumes(pod: Pod, paths: PodPaths, dataDir: string, lookups: VolumeLookups, ctx: EnvContext): Promise<Map<string, string>> {
  const dirs = volumeDirs(pod, paths, dataDir);
  const namespace = pod.metadata.namespace ?? 'default';
  for (const v of pod.spec.volumes ?? []) {
    const source = sourceOf(v);
    if (!source || !supported.includes(source)) {
      throw new ContainerConfigError(`volume "${v.name}" uses ${source ?? 'no'} source, which Floe's local runtime does not provide (it provides ${supported.join(', ')})`);
    }
    const dir = dirs.get(v.name)!;
    if (!v.hostPath || v.hostPath.type === 'DirectoryOrCreate') mkdirSync(dir, { recursive: true });
    if (v.configMap) {
      const name = v.configMap.name ?? '';
      const data = await lookups.configMapFiles(namespace, name);
      if (!data && !v.configMap.optional) throw new ContainerConfigError(`configmap "${name}" not found`);
      writeProjection(dir, select(data ?? {}, v.configMap.items, `ConfigMap ${namespace}/${name}`, v.configMap.optional), v.configMap.defaultMode);
    } else if (v.secret) {
      const name = v.secret.secretName ?? '';
      const data = await lookups.secretFiles(namespace, name);
      if (!data && !v.secret.optional) throw new ContainerConfigError(`secret "${name}" not found`);
      writeProjection(dir, select(data ?? {}, v.secret.items, `Secret ${namespace}/${name}`, v.secret.optional), v.secret.defaultMode);
    } else if (v.downwardAPI) {
      const spec = v.downwardAPI as { items?: { path: string; fieldRef?: { fieldPath: string }; mode?: number }[]; defaultMode?: number };
      writeProjection(dir, downward(pod, spec.items ?? [], ctx), spec.defaultMode);
    } else if (v.projected) {
      const spec = v.projected as { sources?: Record<string, unknown>[]; defaultMode?: number };
      const files = new Map<string, { data: Buffer; mode?: number }>();
      for (const s of spec.sources ?? []) {
        const cm = s.configMap as { name?: string; items?: KeyToPath[]; optional?: boolean } | undefined;
        const secret = s.secret as { name?: string; items?: KeyToPath[]; optional?: boolean } | undefined;
        const down = s.downwardAPI as { items?: { path: string; fieldRef?: { fieldPath: string }; mode?: number }[] } | undefined;
        if (cm) {
          const data = await lookups.configMapFiles(namespace, cm.name ?? '');
          if (!data && !cm.optional) throw new ContainerConfigError(`configmap "${cm.name ?? ''}" not found`);
          for (const [k, f] of select(data ?? {}, cm.items, `ConfigMap ${namespace}/${cm.name ?? ''}`, cm.optional)) files.set(k, f);
        } else if (secret) {
          const data = await lookups.secretFiles(namespace, secret.name ?? '');
          if (!data && !secret.optional) throw new ContainerConfigError(`secret "${secret.name ?? ''}" not found`);
          for (const [k, f] of select(data ?? {}, secret.items, `Secret ${namespace}/${secret.name ?? ''}`, secret.optional)) files.set(k, f);
        } else if (down) {
          for (const [k, f] of downward(pod, down.items ?? [], ctx)) files.set(k, f);
        }
      }
      writeProjection(dir, files, spec.defaultMode);
    }
  }
  return dirs;
}

function select(data: Record<string, Buffer>, items: KeyToPath[] | undefined, what: string, optional: boolean | undefined): Map<string, { data: Buffer; mode?: number }> {
  const files = new Map<string, { data: Buffer; mode?: number }>();
  if (!items) {
    for (const [k, v] of Object.entries(data)) files.set(k, { data: v });
    return files;
  }
  for (const item of items) {
    const value = data[item.key];
    if (value === undefined) {
      if (optional) continue;
      throw new ContainerConfigError(`couldn't find key ${item.key} in ${what}`);
    }
    files.set(item.path, item.mode === undefined ? { data: value } : { data: value, mode: item.mode });
  }
  return files;
}

function downward(pod: Pod, items: { path: string; fieldRef?: { fieldPath: string }; mode?: number }[], ctx: EnvContext): Map<string, { data: Buffer; mode?: number }> {
  const files = new Map<string, { data: Buffer; mode?: number }>();
  for (const item of items) {
    if (!item.fieldRef) continue;
    const data = Buffer.from(fieldValue(pod, item.fieldRef.fieldPath, ctx));
    files.set(item.path, item.mode === undefined ? { data } : { data, mode: item.mode });
  }
  return files;
}

/** Writes the files and removes ones a previous projection left that are no longer wanted. */
function writeProjection(dir: string, files: Map<string, { data: Buffer; mode?: number }>, defaultMode: number | undefined): void {
  const wanted = new Set<string>();
  for (const [path, file] of files) {
    const rel = normalize(path);
    if (isAbsolute(rel) || rel.startsWith('..')) throw new ContainerConfigError(`volume file path "${path}" must be relative and must not contain '..'`);
    const target = join(dir, rel);
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, file.data);
    chmodSync(target, file.mode ?? defaultMode ?? 0o644);
    wanted.add(rel);
  }
  const prune = (sub: string): void => {
    for (const entry of readdirSync(join(dir, sub), { withFileTypes: true })) {
      const rel = join(sub, entry.name);
      if (entry.isDirectory()) prune(rel);
      else if (!wanted.has(rel)) rmSync(join(dir, rel), { force: true });
    }
  };
  prune('');
}

/** The mounts of one container: its mount paths and the host directories that stand in for them. */
export function containerMounts(container: ContainerSpec, dirs: ReadonlyMap<string, string>): Mount[] {
  const mounts: Mount[] = [];
  for (const m of container.volumeMounts ?? []) {
    const base = dirs.get(m.name);
    if (base === undefined) throw new ContainerConfigError(`volumeMount "${m.name}" names a volume the pod does not have`);
    const hostPath = m.subPath ? join(base, m.subPath) : base;
    if (m.subPath) {
      if (relative(base, hostPath).startsWith('..')) throw new ContainerConfigError(`subPath "${m.subPath}" must not leave its volume`);
      mkdirSync(hostPath, { recursive: true });
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
