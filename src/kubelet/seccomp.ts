// Seccomp for container Pods: which profile a container gets (securityContext.seccompProfile, container over Pod) and
// the OCI `linux.seccomp` runc loads for it.
import { readFileSync } from 'node:fs';
import { isAbsolute, join, relative, resolve } from 'node:path';

export type SeccompType = 'RuntimeDefault' | 'Unconfined' | 'Localhost';

export interface SeccompChoice {
  type: SeccompType;
  localhostProfile?: string;
}

/**
 * Floe's RuntimeDefault: every system call allowed except those a container has no business making, which fail with
 * EPERM (as containerd's and Docker's default profiles refuse them to a container without CAP_SYS_ADMIN): kernel
 * modules and kexec, mounts and namespaces (the way out of a container), keyrings, ptrace and cross-process memory
 * access, clock and swap changes, BPF and perf, NUMA policy, and obsolete calls. `clone3` answers ENOSYS, as there,
 * so that libc falls back to `clone`. A deny list rather than containerd's allow list: a new kernel's new calls stay
 * usable, which is what a training framework built against it expects.
 */
const denied = [
  'acct', 'add_key', 'bpf', 'clock_adjtime', 'clock_settime', 'create_module', 'delete_module', 'finit_module',
  'fsconfig', 'fsmount', 'fsopen', 'fspick', 'get_kernel_syms', 'get_mempolicy', 'init_module', 'ioperm', 'iopl', 'kcmp',
  'kexec_file_load', 'kexec_load', 'keyctl', 'lookup_dcookie', 'mbind', 'mount', 'mount_setattr', 'move_mount',
  'move_pages', 'name_to_handle_at', 'nfsservctl', 'open_by_handle_at', 'open_tree', 'perf_event_open', 'pivot_root',
  'process_vm_readv', 'process_vm_writev', 'ptrace', 'query_module', 'quotactl', 'reboot', 'request_key',
  'set_mempolicy', 'setns', 'settimeofday', 'stime', 'swapoff', 'swapon', 'syslog', 'sysfs', '_sysctl', 'umount',
  'umount2', 'unshare', 'uselib', 'userfaultfd', 'ustat', 'vm86', 'vm86old',
];

/** The seccomp architectures of this machine's process (native first), as the OCI spec names them. */
function architectures(): string[] {
  if (process.arch === 'arm64') return ['SCMP_ARCH_AARCH64', 'SCMP_ARCH_ARM'];
  if (process.arch === 'x64') return ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32'];
  return [];
}

export function runtimeDefaultProfile(): Record<string, unknown> {
  const EPERM = 1;
  const ENOSYS = 38;
  return {
    defaultAction: 'SCMP_ACT_ALLOW',
    architectures: architectures(),
    syscalls: [
      { names: denied, action: 'SCMP_ACT_ERRNO', errnoRet: EPERM },
      { names: ['clone3'], action: 'SCMP_ACT_ERRNO', errnoRet: ENOSYS },
    ],
  };
}

interface SecurityWithSeccomp {
  seccompProfile?: { type?: string; localhostProfile?: string };
}

/**
 * The container's profile: its own seccompProfile, else the Pod's, else RuntimeDefault. Kubernetes' default is
 * Unconfined (the kubelet's `--seccomp-default` is off); Floe confines by default, as it sets no_new_privs by default.
 * A privileged container is unconfined, as containerd leaves it.
 */
export function seccompChoice(podSecurity: SecurityWithSeccomp | undefined, containerSecurity: SecurityWithSeccomp | undefined, privileged: boolean): SeccompChoice {
  if (privileged) return { type: 'Unconfined' };
  const chosen = containerSecurity?.seccompProfile?.type ? containerSecurity.seccompProfile : podSecurity?.seccompProfile;
  const type = chosen?.type;
  if (type === 'Unconfined') return { type };
  if (type === 'Localhost') return { type, ...(chosen?.localhostProfile !== undefined ? { localhostProfile: chosen.localhostProfile } : {}) };
  return { type: 'RuntimeDefault' };
}

/**
 * The OCI `linux.seccomp` for a choice; undefined for Unconfined. A Localhost profile is a file below `profileRoot`
 * (`<data dir>/seccomp`, the kubelet's `<root>/seccomp`) in the OCI form (defaultAction, architectures, syscalls).
 * Throws with the reason a user reads in the container's CreateContainerError.
 */
export function seccompProfile(choice: SeccompChoice, profileRoot: string): Record<string, unknown> | undefined {
  if (choice.type === 'Unconfined') return undefined;
  if (choice.type === 'RuntimeDefault') return runtimeDefaultProfile();
  const name = choice.localhostProfile ?? '';
  const file = resolve(profileRoot, name);
  const inside = relative(profileRoot, file);
  if (name === '' || isAbsolute(name) || inside.startsWith('..') || isAbsolute(inside)) {
    throw new Error(`seccomp profile "${name}" must be a path below ${profileRoot}`);
  }
  let text: string;
  try {
    text = readFileSync(join(profileRoot, inside), 'utf8');
  } catch (err) {
    throw new Error(`failed to load seccomp profile ${join(profileRoot, inside)}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message}`);
  }
  let profile: unknown;
  try {
    profile = JSON.parse(text);
  } catch (err) {
    throw new Error(`seccomp profile ${join(profileRoot, inside)} is not JSON: ${(err as Error).message}`);
  }
  if (typeof profile !== 'object' || profile === null || typeof (profile as { defaultAction?: unknown }).defaultAction !== 'string') {
    throw new Error(`seccomp profile ${join(profileRoot, inside)} has no defaultAction`);
  }
  const { defaultAction, defaultErrnoRet, architectures: arches, syscalls, flags } = profile as Record<string, unknown>;
  return {
    defaultAction,
    ...(defaultErrnoRet !== undefined ? { defaultErrnoRet } : {}),
    ...(Array.isArray(arches) ? { architectures: arches } : {}),
    ...(Array.isArray(syscalls) ? { syscalls } : {}),
    ...(Array.isArray(flags) ? { flags } : {}),
  };
}
