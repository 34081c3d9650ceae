// User namespaces for container Pods (KEP-127's `hostUsers: false`, and Floe's default for container Pods): whether a
// Pod gets one, its host id range, the volumes its mapped root can use, and the stage outside Floe's 0700 data
// directory that runc's mounts in the user namespace can reach.
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, closeSync, existsSync, lchownSync, lstatSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { removeUnmounted } from '../images/index.js';
import { effectiveSecurity, type UsernsMapping } from './oci-spec.js';
import type { ContainerSpec, Pod, Volume } from './types.js';

/** Where runs of `hostUsers: false` Pods are staged (a tmpfs: nothing of them outlives a reboot). */
export const DefaultUsernsRoot = '/run/floe-userns';

/** Ids per Pod, as the kubelet gives: 65536, so that every id an image may use (0..65535) is mapped. */
export const UsernsSize = 65_536;
/** The first Pod range starts at 16 × 65536 (host uid 1048576), above the ids of users and /etc/subuid's usual ranges. */
const firstRange = 16;
/** How many Pod ranges the node hands out (host ids up to 2^28). */
const rangeCount = 4_096;

/** Whether a Pod asks for a user namespace (`spec.hostUsers: false`): it then needs one, and a container. */
export function hostUsersOff(pod: Pod): boolean {
  return (pod.spec as { hostUsers?: boolean }).hostUsers === false;
}

/**
 * Capabilities that act on the host's resources (its network namespace, devices, clock, kernel, limits): in a user
 * namespace the kernel checks them against the host's namespaces, where the mapped root has none, so a container
 * that adds one would silently lose it. Such Pods keep the host's users unless they say `hostUsers: false`.
 */
const hostOnlyCapabilities = new Set([
  'CAP_SYS_ADMIN', 'CAP_SYS_MODULE', 'CAP_SYS_RAWIO', 'CAP_SYS_TIME', 'CAP_SYS_BOOT', 'CAP_SYS_NICE', 'CAP_SYS_RESOURCE',
  'CAP_SYS_PACCT', 'CAP_SYS_TTY_CONFIG', 'CAP_NET_ADMIN', 'CAP_NET_RAW', 'CAP_NET_BROADCAST', 'CAP_IPC_LOCK',
  'CAP_LINUX_IMMUTABLE', 'CAP_DAC_READ_SEARCH', 'CAP_AUDIT_CONTROL', 'CAP_AUDIT_READ', 'CAP_MAC_ADMIN', 'CAP_MAC_OVERRIDE',
  'CAP_SYSLOG', 'CAP_WAKE_ALARM', 'CAP_BLOCK_SUSPEND', 'CAP_BPF', 'CAP_PERFMON', 'CAP_ALL',
]);

function containersOf(pod: Pod): ContainerSpec[] {
  const spec = pod.spec as { initContainers?: ContainerSpec[]; containers?: ContainerSpec[]; ephemeralContainers?: ContainerSpec[] };
  return [...(spec.initContainers ?? []), ...(spec.containers ?? []), ...(spec.ephemeralContainers ?? [])];
}

/**
 * Whether a Pod's container runs get a user namespace: `hostUsers: false` always; `hostUsers: true` never; unset (Floe's
 * default, where Kubernetes' is the host's users) yes, unless the Pod needs the host's: a host namespace (network,
 * PID, IPC), a privileged container, a capability that only works with host users, or an id the Pod's range cannot
 * map (runAsUser, runAsGroup, fsGroup or a supplemental group of 65536 or more). `host` says why, for the log.
 * Process-mode containers are host processes whatever this says.
 */
export function userNamespaceChoice(pod: Pod): { userns: true; required: boolean } | { userns: false; host: string } {
  const hostUsers = (pod.spec as { hostUsers?: boolean }).hostUsers;
  if (hostUsers === false) return { userns: true, required: true };
  if (hostUsers === true) return { userns: false, host: 'spec.hostUsers is true' };
  const spec = pod.spec as { hostNetwork?: boolean; hostPID?: boolean; hostIPC?: boolean };
  for (const field of ['hostNetwork', 'hostPID', 'hostIPC'] as const) if (spec[field] === true) return { userns: false, host: `spec.${field} is true` };
  for (const c of containersOf(pod)) {
    const security = effectiveSecurity(pod, c);
    if (security.privileged) return { userns: false, host: `container ${c.name} is privileged` };
    const cap = security.capabilities.add.map((n) => (n.toUpperCase().startsWith('CAP_') ? n.toUpperCase() : `CAP_${n.toUpperCase()}`)).find((name) => hostOnlyCapabilities.has(name));
    if (cap) return { userns: false, host: `container ${c.name} adds ${cap}, which acts on the host's namespaces` };
    const ids = [security.runAsUser, security.runAsGroup, security.fsGroup, ...security.supplementalGroups];
    if (ids.some((id) => id !== undefined && id >= UsernsSize)) return { userns: false, host: `container ${c.name} asks for an id above the ${UsernsSize} a user namespace maps` };
  }
  return { userns: true, required: false };
}

/**
 * The Pod's range: the one recorded in its folder (a restarted Floe re-adopts it), else the lowest free one, claimed
 * machine-wide with an exclusive create in `rangesDir` (two Floe servers on one machine never share a range).
 */
export function claimMapping(podRoot: string, uid: string, rangesDir: string): UsernsMapping {
  const file = join(podRoot, 'userns.json');
  try {
    const recorded = JSON.parse(readFileSync(file, 'utf8')) as UsernsMapping;
    if (Number.isInteger(recorded.hostID) && recorded.size === UsernsSize) return recorded;
  } catch {
    // not claimed yet
  }
  mkdirSync(rangesDir, { recursive: true, mode: 0o700 });
  for (let k = 0; k < rangeCount; k++) {
    const claim = join(rangesDir, String(k));
    let fd: number;
    try {
      fd = openSync(claim, 'wx', 0o600);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      // A claim whose Pod folder is gone (its data directory removed with the Pod still in it) is stale.
      if (!existsSync(claimOwner(claim).podRoot || '/')) rmSync(claim, { force: true });
      continue;
    }
    writeSync(fd, `${uid}\n${podRoot}`);
    closeSync(fd);
    const mapping = { hostID: (firstRange + k) * UsernsSize, size: UsernsSize };
    mkdirSync(podRoot, { recursive: true });
    writeFileSync(file, JSON.stringify(mapping));
    return mapping;
  }
  throw new Error(`every one of the node's ${rangeCount} user namespace ranges is in use`);
}

/** The Pod uid and folder a claim file names. */
function claimOwner(claim: string): { uid: string; podRoot: string } {
  try {
    const [uid = '', podRoot = ''] = readFileSync(claim, 'utf8').split('\n');
    return { uid, podRoot };
  } catch {
    return { uid: '', podRoot: '/' };
  }
}

/** Gives back the ranges a Pod claimed (its uid is in the claim file). */
export function releaseMapping(uid: string, rangesDir: string): void {
  let names: string[] = [];
  try {
    names = readdirSync(rangesDir);
  } catch {
    return;
  }
  for (const name of names) {
    if (claimOwner(join(rangesDir, name)).uid === uid) rmSync(join(rangesDir, name), { force: true });
  }
}

/**
 * Moves ownership of `path` (and, with `deep`, everything below it) into the range: an id below the range's size is
 * the container's, so host id = id + hostID; ids already shifted stay. chown clears setuid/setgid bits, so the mode is
 * put back. Hard links are shifted once.
 */
export function shiftOwnership(path: string, mapping: UsernsMapping, deep: boolean): void {
  const seen = new Set<string>();
  const walk = (p: string, descend: boolean): void => {
    const st = lstatSync(p);
    const key = `${st.dev}:${st.ino}`;
    if (!seen.has(key)) {
      seen.add(key);
      const uid = st.uid < mapping.size ? st.uid + mapping.hostID : st.uid;
      const gid = st.gid < mapping.size ? st.gid + mapping.hostID : st.gid;
      if (uid !== st.uid || gid !== st.gid) {
        lchownSync(p, uid, gid);
        if (!st.isSymbolicLink()) chmodSync(p, st.mode & 0o7777);
      }
    }
    if (descend && st.isDirectory()) for (const name of readdirSync(p)) walk(join(p, name), deep);
  };
  walk(path, deep);
}

/**
 * The image's flattened tree with its ownership shifted into the Pod's range, built once per Pod and image at
 * `target` (a copy: the shared tree's hard links must keep their ids). The overlay of each run sits on it.
 */
export async function shiftedRootfs(flatDir: string, target: string, mapping: UsernsMapping): Promise<string> {
  if (existsSync(target)) return target;
  const tmp = `${target}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(dirname(tmp), { recursive: true, mode: 0o700 });
  await new Promise<void>((resolve, reject) => {
    const child = spawn('cp', ['-a', '--reflink=auto', flatDir, tmp], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`cp -a failed: ${stderr.trim() || `exit ${code}`}`))));
  });
  shiftOwnership(tmp, mapping, true);
  renameSync(tmp, target);
  return target;
}

/** Volume sources whose files Floe writes for the Pod (small): all of their files move into the range. */
const projectedSources = ['configMap', 'secret', 'downwardAPI', 'projected'];

/**
 * The Pod's own volumes as the mapped root can use them: an emptyDir's folder owned by the container's root (what it
 * creates is mapped already); configMap, secret, downwardAPI and projected files owned by it, modes kept. PVCs and
 * hostPath keep their host owners (the kubelet needs idmapped mounts for those; Floe's runc has none).
 */
export function shiftVolumes(volumes: readonly Volume[], dirs: ReadonlyMap<string, string>, mapping: UsernsMapping): void {
  for (const v of volumes) {
    const dir = dirs.get(v.name);
    if (!dir || !existsSync(dir)) continue;
    if (v.emptyDir !== undefined) shiftOwnership(dir, mapping, false);
    else if (projectedSources.some((s) => v[s] !== undefined)) shiftOwnership(dir, mapping, true);
  }
}

/** The root-owned 0711 folder of stages (only traversable: no one else can list it) and one run's stage in it. */
export function makeStage(usernsRoot: string, id: string): string {
  mkdirSync(usernsRoot, { recursive: true, mode: 0o711 });
  chmodSync(usernsRoot, 0o711);
  const stage = join(usernsRoot, id);
  removeUnmounted(stage);
  mkdirSync(stage, { mode: 0o711 });
  chmodSync(stage, 0o711);
  return stage;
}

/** Binds a host file or folder (below the 0700 data directory) at `point` in a stage, as root, before runc starts. */
export function bindInto(source: string, point: string): void {
  const st = lstatSync(source);
  mkdirSync(dirname(point), { recursive: true, mode: 0o711 });
  if (st.isDirectory()) mkdirSync(point, { mode: 0o755 });
  else writeFileSync(point, '', { mode: 0o644 });
  const r = spawnSync('mount', ['--bind', source, point], { encoding: 'utf8' });
  if (r.error) throw r.error;
  if (r.status !== 0) throw new Error(`mount --bind ${source} failed: ${(r.stderr || r.stdout || `exit ${r.status}`).trim()}`);
}

/** Removes every stage of a Pod's runs (`<uid>-…`), unmounting what Floe or the overlay mounted there first. */
export function removePodStages(usernsRoot: string, uid: string): void {
  let names: string[] = [];
  try {
    names = readdirSync(usernsRoot);
  } catch {
    return;
  }
  for (const name of names) if (name.startsWith(`${uid}-`)) removeUnmounted(join(usernsRoot, name));
}
