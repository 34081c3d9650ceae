// Cgroups for containers: the machine's layout (v2, v1, hybrid or none), one cgroup per container run, limits, kill.
import { existsSync, mkdirSync, readFileSync, readdirSync, rmdirSync, writeFileSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, normalize } from 'node:path';

/** The controllers Floe uses: cpu (quota), cpuacct (v1 accounting), pids (podPidsLimit), memory (limits.memory). */
export type LimitController = 'cpu' | 'cpuacct' | 'pids' | 'memory';
const limitControllers: readonly LimitController[] = ['cpu', 'cpuacct', 'pids', 'memory'];

/** Floe's folder under its own cgroup in every hierarchy: `<own>/floe/<pod uid>/<container>.<attempt>`. */
export const CgroupParentName = 'floe';

/** The kubelet's default is no bound; Floe bounds every Pod unless told otherwise (a fork loop must not take the host). */
export const DefaultPodPidsLimit = 1024;

/** CFS period the quota is a share of, as the kubelet sets it. */
const cfsPeriodUs = 100_000;

/** One hierarchy from /proc/self/mountinfo and /proc/self/cgroup: where Floe's own cgroup is in it. */
export interface HierarchyPlan {
  version: 1 | 2;
  /** The directory of this process's own cgroup in the hierarchy. */
  own: string;
  /** v1: the wanted controllers mounted here. v2: empty (the probe reads cgroup.controllers). */
  controllers: LimitController[];
}

function unescapeMount(path: string): string {
  return path.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8)));
}

/**
 * Pure: the hierarchies worth using, from the text of /proc/self/mountinfo and /proc/self/cgroup. A v1 hierarchy
 * counts when it carries one of the wanted controllers; the v2 one always (membership and cgroup.kill need no
 * controller). A cgroup path outside the mount's root (another cgroup namespace) is skipped.
 */
export function planHierarchies(mountinfo: string, selfCgroup: string): HierarchyPlan[] {
  const own = new Map<string, string>();
  for (const line of selfCgroup.split('\n')) {
    const match = /^(\d+):([^:]*):(.*)$/.exec(line.trim());
    if (!match) continue;
    const [, id, controllers, path] = match;
    if (id === '0' && controllers === '') own.set('', path!);
    else for (const c of controllers!.split(',')) own.set(c, path!);
  }
  const out: HierarchyPlan[] = [];
  const seen = new Set<string>();
  for (const line of mountinfo.split('\n')) {
    const [left, right] = line.split(' - ');
    if (!left || !right) continue;
    const fields = left.split(' ');
    const [fstype, , superOptions] = right.split(' ');
    const root = unescapeMount(fields[3] ?? '');
    const mountPoint = unescapeMount(fields[4] ?? '');
    let version: 1 | 2;
    let controllers: LimitController[] = [];
    let key: string;
    if (fstype === 'cgroup2') {
      version = 2;
      key = '';
    } else if (fstype === 'cgroup') {
      version = 1;
      const options = (superOptions ?? '').split(',');
      controllers = limitControllers.filter((c) => options.includes(c));
      if (controllers.length === 0) continue;
      key = controllers[0]!;
    } else {
      continue;
    }
    const path = own.get(key);
    const id = `${version}:${controllers.join(',')}`;
    if (path === undefined || seen.has(id) || path.split('/').includes('..')) continue;
    let relative: string;
    if (root === '/') relative = path;
    else if (path === root || path.startsWith(`${root}/`)) relative = path.slice(root.length);
    else continue;
    seen.add(id);
    out.push({ version, own: normalize(join(mountPoint, relative)).replace(/(.)\/+$/, '$1'), controllers });
  }
  return out;
}

/** A hierarchy Floe can write: its `floe` folder and the controllers it may set there. */
interface Hierarchy {
  version: 1 | 2;
  parent: string;
  controllers: Set<LimitController>;
}

export type CgroupLayout = 'v2' | 'v1' | 'hybrid' | 'none';

/** What this node enforces, for logs, the Node's events and the docs. */
export interface CgroupStatus {
  layout: CgroupLayout;
  /** limits.cpu becomes a CFS quota. */
  cpu: boolean;
  /** podPidsLimit bounds the tasks of a Pod. */
  pids: boolean;
  /** limits.memory is also a kernel limit (the RSS poll runs everywhere). */
  memory: boolean;
  /** Every process of a container is found by cgroup membership (so `setsid` does not escape a kill). */
  tracked: boolean;
  /** Why something is not enforced, in words for a user. */
  notes: string[];
}

export interface RunLimits {
  /** limits.cpu in millicores. */
  cpuMilli?: number;
  memoryBytes?: number;
}

function errno(err: unknown): string {
  return (err as NodeJS.ErrnoException).code ?? String(err);
}

function readText(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

const segment = /^[A-Za-z0-9][A-Za-z0-9_-]*$/;
/** Where a Kubelet alone in a v2 cgroup moves itself, so that the cgroup can hand controllers down to its Pods. */
const supervisorLeaf = 'floe-kubelet';
const runName = /^[A-Za-z0-9][A-Za-z0-9_-]*\.\d+$/;

/** Probes the v2 hierarchy: its `floe` folder and the controllers that can be enabled below Floe's own cgroup. */
function probeV2(found: HierarchyPlan, notes: string[]): Hierarchy | undefined {
  // A Kubelet that moved itself into its leaf before (see below) works from the cgroup above it, as the first time.
  const plan = basename(found.own) === supervisorLeaf ? { ...found, own: dirname(found.own) } : found;
  const parent = join(plan.own, CgroupParentName);
  try {
    mkdirSync(parent, { recursive: true });
  } catch (err) {
    notes.push(`cannot create ${parent} (${errno(err)})`);
    return undefined;
  }
  const available = (readText(join(plan.own, 'cgroup.controllers')) ?? '').trim().split(/\s+/);
  const want = (['cpu', 'pids', 'memory'] as const).filter((c) => available.includes(c));
  const enable = (dir: string): void => {
    if (want.length > 0) writeFileSync(join(dir, 'cgroup.subtree_control'), want.map((c) => `+${c}`).join(' '));
  };
  try {
    try {
      enable(plan.own);
    } catch (err) {
      // "No internal processes": a non-root cgroup with processes cannot hand controllers down. When Floe is alone
      // in it (a delegated scope or service), it moves itself into a leaf beside its Pods' folder and tries again.
      const procs = (readText(join(plan.own, 'cgroup.procs')) ?? '').trim().split('\n').filter(Boolean);
      if (errno(err) !== 'EBUSY' || procs.length !== 1 || procs[0] !== String(process.pid)) throw err;
      const leaf = join(plan.own, supervisorLeaf);
      mkdirSync(leaf, { recursive: true });
      writeFileSync(join(leaf, 'cgroup.procs'), String(process.pid));
      enable(plan.own);
    }
    enable(parent);
  } catch (err) {
    if (want.length > 0) notes.push(`cannot enable the ${want.join(', ')} controllers below ${plan.own} (${errno(err)})`);
  }
  const enabled = new Set((readText(join(parent, 'cgroup.subtree_control')) ?? '').trim().split(/\s+/).map((c) => c.replace(/^\+/, '')));
  const controllers = new Set<LimitController>(want.filter((c) => enabled.has(c)));
  if (controllers.has('cpu')) controllers.add('cpuacct');
  return { version: 2, parent, controllers };
}

function probeV1(plan: HierarchyPlan, notes: string[]): Hierarchy | undefined {
  const parent = join(plan.own, CgroupParentName);
  try {
    mkdirSync(parent, { recursive: true });
  } catch (err) {
    notes.push(`cannot create ${parent} (${errno(err)})`);
    return undefined;
  }
  const files: Record<LimitController, string> = { cpu: 'cpu.cfs_quota_us', cpuacct: 'cpuacct.usage', pids: 'pids.max', memory: 'memory.limit_in_bytes' };
  const controllers = new Set(plan.controllers.filter((c) => existsSync(join(parent, files[c]))));
  return controllers.size > 0 ? { version: 1, parent, controllers } : undefined;
}

/** The cgroups directly below `dir` (a container runtime puts its container in one, see container-runtime.ts). */
function childCgroups(dir: string): string[] {
  try {
    return readdirSync(dir, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => join(dir, e.name));
  } catch {
    return [];
  }
}

/** Live (not zombie) member processes of a cgroup directory and of the cgroups below it (v1 lists only its own). */
function liveMembers(dir: string): number[] {
  const text = readText(join(dir, 'cgroup.procs'));
  if (text === undefined) return [];
  const out: number[] = childCgroups(dir).flatMap(liveMembers);
  for (const line of text.split('\n')) {
    const pid = Number(line);
    if (!Number.isInteger(pid) || pid <= 1 || pid === process.pid) continue;
    const stat = readText(`/proc/${pid}/stat`);
    const state = stat ? stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) : 'X';
    if (state !== 'Z' && state !== 'X') out.push(pid);
  }
  return out;
}

/** Every live process in any of `dirs` (one container run's cgroups). */
export function cgroupMembers(dirs: readonly string[]): number[] {
  return [...new Set(dirs.flatMap(liveMembers))];
}

/**
 * One kill round over a run's cgroups: cgroup.kill where the kernel has it, and SIGKILL to each member it does not
 * reach (all of them without it; in a hybrid layout, those only in v1 hierarchies, such as a warm pipelines task).
 * Returns how many live members there were; repeat until 0 (children forked during a round show up in the next one).
 */
export function killCgroupRound(dirs: readonly string[]): number {
  const members = cgroupMembers(dirs);
  if (members.length === 0) return 0;
  const killDir = dirs.find((d) => existsSync(join(d, 'cgroup.kill')));
  let reached = new Set<number>();
  if (killDir) {
    try {
      const inside = liveMembers(killDir);
      writeFileSync(join(killDir, 'cgroup.kill'), '1');
      reached = new Set(inside);
    } catch {
      // fall through to signals
    }
  }
  for (const pid of members) {
    if (reached.has(pid)) continue;
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone already
    }
  }
  return members.length;
}

/** Removes cgroup directories, the cgroups below each first (a cgroup with children cannot be removed). */
function removeDirs(dirs: readonly string[]): boolean {
  let all = true;
  for (const dir of dirs) {
    if (!removeDirs(childCgroups(dir))) all = false;
    try {
      rmdirSync(dir);
    } catch (err) {
      if (errno(err) !== 'ENOENT') all = false;
    }
  }
  return all;
}

/** Kills everything in a run's cgroups and removes them, waiting up to `timeoutMs`; false when something stayed. */
export async function releaseCgroups(dirs: readonly string[], timeoutMs = 10_000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (killCgroupRound(dirs) === 0 && removeDirs(dirs)) return true;
    if (Date.now() >= deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 10).unref());
  }
}

/** The same, blocking (for cleanup paths that cannot wait on the event loop, such as test teardown). */
export function releaseCgroupsSync(dirs: readonly string[], timeoutMs = 2_000): boolean {
  const deadline = Date.now() + timeoutMs;
  const pause = new Int32Array(new SharedArrayBuffer(4));
  for (;;) {
    if (killCgroupRound(dirs) === 0 && removeDirs(dirs)) return true;
    if (Date.now() >= deadline) return false;
    Atomics.wait(pause, 0, 0, 5);
  }
}

/**
 * Whether `dir`, read back from a record on disk, is a run cgroup of this Pod and container, so that a changed or
 * damaged record cannot make Floe kill the members of some other cgroup.
 */
export function isRunCgroup(dir: unknown, uid: string, container: string): dir is string {
  if (typeof dir !== 'string' || !isAbsolute(dir) || normalize(dir) !== dir) return false;
  const parts = dir.split('/');
  const [run, pod, floe] = [parts.at(-1) ?? '', parts.at(-2), parts.at(-3)];
  return floe === CgroupParentName && pod === uid && run.startsWith(`${container}.`) && /^\d+$/.test(run.slice(container.length + 1)) && existsSync(join(dir, 'cgroup.procs'));
}

/** The run cgroups a record names, keeping only those that pass `isRunCgroup`. */
export function recordedCgroups(dirs: unknown, uid: string, container: string): string[] {
  return Array.isArray(dirs) ? dirs.filter((d): d is string => isRunCgroup(d, uid, container)) : [];
}

function write(dir: string, file: string, value: string): void {
  writeFileSync(join(dir, file), value);
}

/** The node's cgroups: detected once, then one cgroup per container run in every usable hierarchy. */
export class Cgroups {
  readonly status: CgroupStatus;
  private readonly hierarchies: Hierarchy[];
  private readonly podPidsLimit: number;

  private constructor(options: { hierarchies: Hierarchy[]; notes: string[]; podPidsLimit: number }) {
    this.hierarchies = options.hierarchies;
    this.podPidsLimit = options.podPidsLimit;
    const has = (c: LimitController): boolean => this.hierarchies.some((h) => h.controllers.has(c));
    const v1 = this.hierarchies.some((h) => h.version === 1);
    const v2 = this.hierarchies.some((h) => h.version === 2);
    const layout: CgroupLayout = v1 && v2 ? 'hybrid' : v1 ? 'v1' : v2 ? 'v2' : 'none';
    const notes = [...options.notes];
    const pids = has('pids') && this.podPidsLimit > 0;
    if (layout !== 'none') {
      if (!has('cpu')) notes.push('no writable cpu controller: limits.cpu is not enforced');
      if (!has('pids')) notes.push('no writable pids controller: the number of processes per Pod is not bounded');
    }
    this.status = { layout, cpu: has('cpu'), pids, memory: has('memory'), tracked: this.hierarchies.length > 0, notes };
  }

  /**
   * Reads this process's cgroups (mountinfo and /proc/self/cgroup) and keeps the hierarchies where Floe can create
   * its folder. `mode: 'off'` uses none.
   */
  static detect(options: { mode?: 'auto' | 'off'; podPidsLimit?: number } = {}): Cgroups {
    const podPidsLimit = options.podPidsLimit ?? DefaultPodPidsLimit;
    if (options.mode === 'off') return new Cgroups({ hierarchies: [], notes: ['cgroups are turned off in the kubelet configuration'], podPidsLimit });
    const mountinfo = readText('/proc/self/mountinfo');
    const self = readText('/proc/self/cgroup');
    if (!mountinfo || !self) return new Cgroups({ hierarchies: [], notes: ['this system has no /proc/self/cgroup'], podPidsLimit });
    return Cgroups.fromPlans(planHierarchies(mountinfo, self), { podPidsLimit });
  }

  /** Probes the given hierarchies (detect's second half; tests hand it folders that stand in for cgroup mounts). */
  static fromPlans(plans: readonly HierarchyPlan[], options: { podPidsLimit?: number } = {}): Cgroups {
    const podPidsLimit = options.podPidsLimit ?? DefaultPodPidsLimit;
    const notes: string[] = [];
    const hierarchies: Hierarchy[] = [];
    for (const plan of plans) {
      const probed = plan.version === 2 ? probeV2(plan, notes) : probeV1(plan, notes);
      if (probed) hierarchies.push(probed);
    }
    // In a hybrid layout a controller may be both in v1 and v2; the v1 hierarchy holds it, v2 only tracks and kills.
    const v1 = new Set(hierarchies.filter((h) => h.version === 1).flatMap((h) => [...h.controllers]));
    for (const h of hierarchies) if (h.version === 2) for (const c of v1) h.controllers.delete(c);
    if (plans.length === 0) notes.push('no cgroup file system is mounted');
    else if (hierarchies.length === 0) notes.push('no cgroup hierarchy is writable by Floe');
    return new Cgroups({ hierarchies, notes, podPidsLimit });
  }

  /**
   * Creates the cgroups of one container run (and the Pod's, on its first run) with the limits set, and returns
   * their directories for the wrapper to join. Throws when one cannot be created or configured.
   */
  createRun(uid: string, container: string, attempt: number, limits: RunLimits): string[] {
    if (this.hierarchies.length === 0) return [];
    if (!segment.test(uid) || !segment.test(container)) throw new Error(`cannot name a cgroup after pod uid "${uid}" and container "${container}"`);
    const dirs: string[] = [];
    try {
      for (const h of this.hierarchies) {
        const podDir = join(h.parent, uid);
        if (!existsSync(podDir)) {
          mkdirSync(podDir);
          if (h.version === 2) {
            const down = [...h.controllers].filter((c) => c !== 'cpuacct');
            if (down.length > 0) write(podDir, 'cgroup.subtree_control', down.map((c) => `+${c}`).join(' '));
          }
        }
        if (h.controllers.has('pids')) write(podDir, 'pids.max', this.podPidsLimit > 0 ? String(this.podPidsLimit) : 'max');
        const runDir = join(podDir, `${container}.${attempt}`);
        if (existsSync(runDir)) killCgroupRound([runDir]);
        else mkdirSync(runDir);
        dirs.push(runDir);
        this.setLimits(h, runDir, limits);
      }
    } catch (err) {
      releaseCgroupsSync(dirs, 500);
      throw err;
    }
    return dirs;
  }

  /** The cgroup version of a run's directory (one createRun returned). */
  versionOf(dir: string): 1 | 2 {
    const h = this.hierarchies.find((x) => dir.startsWith(`${x.parent}/`));
    if (!h) throw new Error(`${dir} is in none of the node's cgroup hierarchies`);
    return h.version;
  }

  private setLimits(h: Hierarchy, dir: string, limits: RunLimits): void {
    const quota = limits.cpuMilli !== undefined && limits.cpuMilli > 0 ? Math.max(1000, Math.ceil((limits.cpuMilli * cfsPeriodUs) / 1000)) : undefined;
    const memory = limits.memoryBytes !== undefined && limits.memoryBytes > 0 ? String(Math.floor(limits.memoryBytes)) : undefined;
    if (h.version === 1) {
      if (h.controllers.has('cpu')) {
        write(dir, 'cpu.cfs_period_us', String(cfsPeriodUs));
        write(dir, 'cpu.cfs_quota_us', quota !== undefined ? String(quota) : '-1');
      }
      if (h.controllers.has('memory') && memory !== undefined) {
        write(dir, 'memory.limit_in_bytes', memory);
        // With swap, the limit above would only bound RAM; Kubernetes runs without swap.
        if (existsSync(join(dir, 'memory.memsw.limit_in_bytes'))) write(dir, 'memory.memsw.limit_in_bytes', memory);
      }
      return;
    }
    if (h.controllers.has('cpu')) write(dir, 'cpu.max', `${quota !== undefined ? String(quota) : 'max'} ${cfsPeriodUs}`);
    if (h.controllers.has('memory') && memory !== undefined) {
      write(dir, 'memory.max', memory);
      if (existsSync(join(dir, 'memory.swap.max'))) write(dir, 'memory.swap.max', '0');
    }
  }

  /**
   * Kills what is left in a Pod's cgroups and removes them: the run folders `known` (from its records) and every run
   * folder found below the Pod's folders, then the Pod's folders. False when something would not go.
   */
  async releasePod(uid: string, known: readonly string[]): Promise<boolean> {
    const { podDirs, runs } = this.podFolders(uid, known);
    const released = await releaseCgroups(runs);
    return removeDirs(podDirs) && released;
  }

  /** The same, blocking (test teardown). */
  releasePodSync(uid: string, known: readonly string[]): boolean {
    const { podDirs, runs } = this.podFolders(uid, known);
    const released = releaseCgroupsSync(runs);
    return removeDirs(podDirs) && released;
  }

  private podFolders(uid: string, known: readonly string[]): { podDirs: string[]; runs: string[] } {
    const podDirs = new Set(known.map((d) => dirname(d)));
    if (segment.test(uid)) for (const h of this.hierarchies) podDirs.add(join(h.parent, uid));
    const runs = new Set(known);
    for (const dir of podDirs) {
      try {
        for (const entry of readdirSync(dir, { withFileTypes: true })) if (entry.isDirectory() && runName.test(entry.name)) runs.add(join(dir, entry.name));
      } catch {
        // no such folder in this hierarchy
      }
    }
    return { podDirs: [...podDirs], runs: [...runs] };
  }

  /** CPU time (seconds) a run's processes used, from cpuacct.usage (v1) or cpu.stat (v2). */
  cpuSeconds(dirs: readonly string[]): number | undefined {
    for (const dir of dirs) {
      const v1 = readText(join(dir, 'cpuacct.usage'));
      if (v1 !== undefined) return Number(v1.trim()) / 1e9;
      const v2 = /^usage_usec (\d+)$/m.exec(readText(join(dir, 'cpu.stat')) ?? '');
      if (v2) return Number(v2[1]) / 1e6;
    }
    return undefined;
  }

  /** How many processes of the run the kernel's OOM killer stopped at its memory limit. */
  oomKills(dirs: readonly string[]): number {
    let total = 0;
    for (const dir of dirs) {
      const text = readText(join(dir, 'memory.oom_control')) ?? readText(join(dir, 'memory.events')) ?? '';
      const match = /^oom_kill (\d+)$/m.exec(text);
      if (match) total += Number(match[1]);
    }
    return total;
  }
}
