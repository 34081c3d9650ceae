// Pure: the OCI runtime config (config.json) of one container run, and the securityContext rules that shape it.
import { seccompChoice, type SeccompChoice } from './seccomp.js';
import type { ContainerSpec, Pod } from './types.js';

/**
 * The capabilities a container gets unless its securityContext adds or drops some: containerd's default set (the one
 * Docker and Kubernetes nodes give), less `CAP_NET_RAW`. Floe's containers share the host's network namespace
 * (docs/adr/0010), where a raw socket would see every loopback packet on the machine, Floe's own API traffic included;
 * `capabilities.add: [NET_RAW]` gives it back.
 */
export const DefaultCapabilities: readonly string[] = [
  'CAP_CHOWN',
  'CAP_DAC_OVERRIDE',
  'CAP_FSETID',
  'CAP_FOWNER',
  'CAP_MKNOD',
  'CAP_SETGID',
  'CAP_SETUID',
  'CAP_SETFCAP',
  'CAP_SETPCAP',
  'CAP_NET_BIND_SERVICE',
  'CAP_SYS_CHROOT',
  'CAP_KILL',
  'CAP_AUDIT_WRITE',
];

/** Every capability of Linux 5.9 and later (`ALL`, and `privileged`), in the kernel's order. */
export const AllCapabilities: readonly string[] = [
  'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_DAC_READ_SEARCH', 'CAP_FOWNER', 'CAP_FSETID', 'CAP_KILL', 'CAP_SETGID', 'CAP_SETUID',
  'CAP_SETPCAP', 'CAP_LINUX_IMMUTABLE', 'CAP_NET_BIND_SERVICE', 'CAP_NET_BROADCAST', 'CAP_NET_ADMIN', 'CAP_NET_RAW',
  'CAP_IPC_LOCK', 'CAP_IPC_OWNER', 'CAP_SYS_MODULE', 'CAP_SYS_RAWIO', 'CAP_SYS_CHROOT', 'CAP_SYS_PTRACE', 'CAP_SYS_PACCT',
  'CAP_SYS_ADMIN', 'CAP_SYS_BOOT', 'CAP_SYS_NICE', 'CAP_SYS_RESOURCE', 'CAP_SYS_TIME', 'CAP_SYS_TTY_CONFIG', 'CAP_MKNOD',
  'CAP_LEASE', 'CAP_AUDIT_WRITE', 'CAP_AUDIT_CONTROL', 'CAP_SETFCAP', 'CAP_MAC_OVERRIDE', 'CAP_MAC_ADMIN', 'CAP_SYSLOG',
  'CAP_WAKE_ALARM', 'CAP_BLOCK_SUSPEND', 'CAP_AUDIT_READ', 'CAP_PERFMON', 'CAP_BPF', 'CAP_CHECKPOINT_RESTORE',
];

/** /proc and /sys entries hidden from a container (as containerd's default spec hides them), unless privileged. */
const maskedPaths = [
  '/proc/acpi', '/proc/asound', '/proc/kcore', '/proc/keys', '/proc/latency_stats', '/proc/timer_list', '/proc/timer_stats',
  '/proc/sched_debug', '/proc/scsi', '/sys/firmware', '/sys/devices/virtual/powercap',
];
const readonlyPaths = ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'];

/** The securityContext fields Floe honours, with the container's own over the Pod's where Kubernetes merges them. */
export interface EffectiveSecurity {
  runAsUser?: number;
  runAsGroup?: number;
  runAsNonRoot?: boolean;
  fsGroup?: number;
  supplementalGroups: number[];
  privileged: boolean;
  readOnlyRootFilesystem: boolean;
  allowPrivilegeEscalation?: boolean;
  capabilities: { add: string[]; drop: string[] };
  /** Which seccomp profile runs it (RuntimeDefault unless the Pod or the container says otherwise). */
  seccomp: SeccompChoice;
}

interface SecurityFields {
  runAsUser?: number;
  runAsGroup?: number;
  runAsNonRoot?: boolean;
  fsGroup?: number;
  supplementalGroups?: number[];
  privileged?: boolean;
  readOnlyRootFilesystem?: boolean;
  allowPrivilegeEscalation?: boolean;
  capabilities?: { add?: string[]; drop?: string[] };
  seccompProfile?: { type?: string; localhostProfile?: string };
}

const int = (v: unknown): number | undefined => (typeof v === 'number' && Number.isInteger(v) && v >= 0 ? v : undefined);

/** The Pod's securityContext under the container's, as the kubelet merges them (run-as fields; the rest per level). */
export function effectiveSecurity(pod: Pod, container: ContainerSpec): EffectiveSecurity {
  const podSc = (pod.spec as { securityContext?: SecurityFields }).securityContext ?? {};
  const sc = (container as { securityContext?: SecurityFields }).securityContext ?? {};
  const out: EffectiveSecurity = {
    supplementalGroups: (podSc.supplementalGroups ?? []).map(int).filter((g): g is number => g !== undefined),
    privileged: sc.privileged === true,
    readOnlyRootFilesystem: sc.readOnlyRootFilesystem === true,
    capabilities: { add: sc.capabilities?.add ?? [], drop: sc.capabilities?.drop ?? [] },
    seccomp: seccompChoice(podSc, sc, sc.privileged === true),
  };
  const runAsUser = int(sc.runAsUser) ?? int(podSc.runAsUser);
  const runAsGroup = int(sc.runAsGroup) ?? int(podSc.runAsGroup);
  const runAsNonRoot = sc.runAsNonRoot ?? podSc.runAsNonRoot;
  const fsGroup = int(podSc.fsGroup);
  if (runAsUser !== undefined) out.runAsUser = runAsUser;
  if (runAsGroup !== undefined) out.runAsGroup = runAsGroup;
  if (runAsNonRoot !== undefined) out.runAsNonRoot = runAsNonRoot;
  if (fsGroup !== undefined) out.fsGroup = fsGroup;
  if (sc.allowPrivilegeEscalation !== undefined) out.allowPrivilegeEscalation = sc.allowPrivilegeEscalation;
  return out;
}

/** `NET_ADMIN` or `CAP_NET_ADMIN` → `CAP_NET_ADMIN`, as containerd accepts both. */
function capName(name: string): string {
  const upper = name.trim().toUpperCase();
  return upper.startsWith('CAP_') ? upper : `CAP_${upper}`;
}

/** The capability set: privileged gets all; otherwise the defaults, minus `drop` (`ALL` drops all), plus `add`. */
export function capabilitySet(security: Pick<EffectiveSecurity, 'privileged' | 'capabilities'>): string[] {
  if (security.privileged) return [...AllCapabilities];
  const drop = security.capabilities.drop.map(capName);
  const add = security.capabilities.add.map(capName);
  let caps = drop.includes('CAP_ALL') ? [] : DefaultCapabilities.filter((c) => !drop.includes(c));
  if (add.includes('CAP_ALL')) caps = [...AllCapabilities];
  for (const c of add) if (c !== 'CAP_ALL' && !caps.includes(c)) caps.push(c);
  return caps;
}

/** Why a runAsNonRoot container may not start, in the kubelet's words; undefined when it may. */
export function nonRootViolation(security: EffectiveSecurity, imageUser: string | undefined, uid: number, podName: string, container: string): string | undefined {
  if (security.runAsNonRoot !== true) return undefined;
  const where = `(pod: "${podName}", container: ${container})`;
  if (security.runAsUser !== undefined) return security.runAsUser === 0 ? `container's runAsUser breaks non-root policy ${where}` : undefined;
  const user = (imageUser ?? '').split(':')[0] ?? '';
  if (user !== '' && !/^\d+$/.test(user)) return `container has runAsNonRoot and image has non-numeric user (${user}), cannot verify user is non-root ${where}`;
  return uid === 0 ? `container has runAsNonRoot and image will run as root ${where}` : undefined;
}

export interface BindMount {
  /** Absolute path inside the container. */
  destination: string;
  /** Host path. */
  source: string;
  readOnly: boolean;
}

export interface OciSpecInput {
  argv: string[];
  env: Record<string, string>;
  cwd: string;
  user: { uid: number; gid: number; additionalGids: number[] };
  hostname: string;
  /** The rootfs folder, relative to the bundle (or absolute). */
  root: string;
  security: EffectiveSecurity;
  /** Volumes, and the Pod's /etc/hosts, /etc/resolv.conf and /etc/hostname files. */
  binds: BindMount[];
  /** runc's cgroupsPath (see container-runtime.ts for why it is a child of Floe's run cgroup). */
  cgroupsPath: string;
  /** Limits for runc to set itself, where Floe's own cgroups do not hold them. */
  resources?: { cpuQuotaUs?: number; cpuPeriodUs?: number; memoryBytes?: number; pidsLimit?: number };
  /** /dev/shm size in bytes; 64 MiB by default, as Docker and containerd give. */
  shmBytes?: number;
  /** The OCI seccomp section (seccomp.ts); none runs the container unconfined. */
  seccomp?: Record<string, unknown>;
  /** `hostUsers: false`: a user namespace mapping container ids 0..size-1 to host ids from hostID (userns.ts). */
  userns?: UsernsMapping;
  /** The container's own terminal (`tty: true`): runc gives the process one, relayed by tty.ts. */
  terminal?: boolean;
}

/** A Pod's user namespace: container uid and gid 0 are host id `hostID`, and the next `size - 1` follow. */
export interface UsernsMapping {
  hostID: number;
  size: number;
}

/** Mount destinations, parents before children (a mount over a parent would hide the child). */
function byDepth(a: BindMount, b: BindMount): number {
  return a.destination.split('/').length - b.destination.split('/').length;
}

/**
 * The config.json runc runs: the process (argv, env, cwd, user, capabilities, no_new_privs), its root, the namespaces
 * (mount, pid, ipc, uts: the network namespace stays the host's), the kernel file systems and the binds.
 */
export function ociSpec(input: OciSpecInput): Record<string, unknown> {
  const { security } = input;
  const caps = capabilitySet(security);
  // Floe's default is stricter than Kubernetes' (allowPrivilegeEscalation defaults to true there): setuid programs
  // and file capabilities cannot raise privileges unless the container asks for that.
  const noNewPrivileges = !security.privileged && security.allowPrivilegeEscalation !== true;
  const sysfs = security.privileged ? ['nosuid', 'noexec', 'nodev'] : ['nosuid', 'noexec', 'nodev', 'ro'];
  // In a user namespace the kernel lets sysfs be mounted only by the owner of the network namespace, which stays the
  // host's (docs/adr/0010): the host's /sys is bound instead, as rootless runc does.
  const sys = input.userns
    ? { destination: '/sys', type: 'bind', source: '/sys', options: ['rbind', 'rprivate', ...sysfs] }
    : { destination: '/sys', type: 'sysfs', source: 'sysfs', options: sysfs };
  const mounts: Record<string, unknown>[] = [
    { destination: '/proc', type: 'proc', source: 'proc', options: ['nosuid', 'noexec', 'nodev'] },
    { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'] },
    { destination: '/dev/pts', type: 'devpts', source: 'devpts', options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620', 'gid=5'] },
    { destination: '/dev/shm', type: 'tmpfs', source: 'shm', options: ['nosuid', 'noexec', 'nodev', 'mode=1777', `size=${Math.max(1, Math.floor((input.shmBytes ?? 64 * 2 ** 20) / 1024))}k`] },
    { destination: '/dev/mqueue', type: 'mqueue', source: 'mqueue', options: ['nosuid', 'noexec', 'nodev'] },
    sys,
    { destination: '/sys/fs/cgroup', type: 'cgroup', source: 'cgroup', options: ['nosuid', 'noexec', 'nodev', 'relatime', 'ro'] },
    ...[...input.binds].sort(byDepth).map((b) => ({
      destination: b.destination,
      type: 'bind',
      source: b.source,
      options: ['rbind', 'rprivate', ...(b.readOnly ? ['ro'] : [])],
    })),
  ];
  const resources: Record<string, unknown> = {
    devices: [{ allow: security.privileged, access: 'rwm' }],
  };
  const r = input.resources;
  if (r?.cpuQuotaUs !== undefined) resources.cpu = { quota: r.cpuQuotaUs, period: r.cpuPeriodUs ?? 100_000 };
  if (r?.memoryBytes !== undefined) resources.memory = { limit: r.memoryBytes, swap: r.memoryBytes };
  if (r?.pidsLimit !== undefined) resources.pids = { limit: r.pidsLimit };
  const linux: Record<string, unknown> = {
    namespaces: [{ type: 'pid' }, { type: 'ipc' }, { type: 'uts' }, { type: 'mount' }, ...(input.userns ? [{ type: 'user' }] : [])],
    cgroupsPath: input.cgroupsPath,
    resources,
  };
  if (input.userns) {
    const mapping = [{ containerID: 0, hostID: input.userns.hostID, size: input.userns.size }];
    linux.uidMappings = mapping;
    linux.gidMappings = mapping;
  }
  if (input.seccomp) linux.seccomp = input.seccomp;
  if (!security.privileged) {
    linux.maskedPaths = maskedPaths;
    linux.readonlyPaths = readonlyPaths;
  }
  return {
    ociVersion: '1.0.2',
    process: {
      terminal: input.terminal === true,
      user: { uid: input.user.uid, gid: input.user.gid, ...(input.user.additionalGids.length > 0 ? { additionalGids: input.user.additionalGids } : {}) },
      args: input.argv,
      env: Object.entries(input.env).map(([k, v]) => `${k}=${v}`),
      cwd: input.cwd,
      capabilities: { bounding: caps, effective: caps, permitted: caps },
      noNewPrivileges,
    },
    root: { path: input.root, readonly: security.readOnlyRootFilesystem },
    hostname: input.hostname,
    mounts,
    linux,
  };
}

/** /etc/hosts of a container Pod: loopback, the Pod's own name, its hostAliases, and every Service name → 127.0.0.1. */
export function hostsFile(options: {
  hostname: string;
  namespace: string;
  subdomain?: string;
  hostAliases?: { ip?: string; hostnames?: string[] }[];
  services: readonly { namespace: string; name: string }[];
}): string {
  const lines = [
    '# Kubernetes-managed hosts file (written by Floe; Services answer on 127.0.0.1 at the ports their <SVC>_SERVICE_PORT variables give).',
    '127.0.0.1\tlocalhost',
    '::1\tlocalhost ip6-localhost ip6-loopback',
    'fe00::0\tip6-localnet',
    'fe00::0\tip6-mcastprefix',
    'fe00::1\tip6-allnodes',
    'fe00::2\tip6-allrouters',
  ];
  const own = [options.hostname];
  if (options.subdomain) own.push(`${options.hostname}.${options.subdomain}.${options.namespace}.svc.cluster.local`, `${options.hostname}.${options.subdomain}.${options.namespace}.svc`);
  lines.push(`127.0.0.1\t${own.join(' ')}`);
  for (const alias of options.hostAliases ?? []) {
    if (alias.ip && alias.hostnames && alias.hostnames.length > 0) lines.push(`${alias.ip}\t${alias.hostnames.join(' ')}`);
  }
  const valid = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
  for (const svc of options.services) {
    if (!valid.test(svc.name) || !valid.test(svc.namespace)) continue;
    const names = [`${svc.name}.${svc.namespace}.svc`, `${svc.name}.${svc.namespace}.svc.cluster.local`];
    if (svc.namespace === options.namespace) names.unshift(svc.name, `${svc.name}.${svc.namespace}`);
    lines.push(`127.0.0.1\t${names.join(' ')}`);
  }
  return `${lines.join('\n')}\n`;
}
