// Resource usage for metrics.k8s.io: cumulative CPU and memory working set per container run (its cgroups, else /proc of its process group) and of the node, turned into rates over a sliding window as metrics-server does.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ContainerRecord } from './pod-state.js';
import type { Pod } from './types.js';

/** A container's usage over the window that ends at its pod's `timestamp`. */
export interface ContainerUsage {
  name: string;
  /** CPU rate over the window, in nanocores (1e9 = one core busy). */
  cpuNanoCores: number;
  memoryWorkingSetBytes: number;
}

export interface PodUsage {
  namespace: string;
  name: string;
  uid: string;
  labels: Record<string, string>;
  /** RFC 3339: when the newer of the two samples was taken. */
  timestamp: string;
  windowSeconds: number;
  containers: ContainerUsage[];
}

/** What `Kubelet.usage()` returns: the node's own usage and every running Pod's on it that has two samples. */
export interface NodeUsage {
  name: string;
  labels: Record<string, string>;
  timestamp: string;
  windowSeconds: number;
  cpuNanoCores: number;
  memoryWorkingSetBytes: number;
  pods: PodUsage[];
}

/** One container run to measure: its cgroup folders (none on a node without cgroups) and its process group. */
export interface RunTarget {
  container: string;
  attempt: number;
  cgroups: readonly string[];
  /** The wrapper's pid, which is the run's process-group id. */
  pgid?: number;
}

export interface PodTarget {
  namespace: string;
  name: string;
  uid: string;
  labels: Record<string, string>;
  runs: RunTarget[];
}

export interface UsageTargets {
  node: { name: string; labels: Record<string, string> };
  pods: PodTarget[];
}

/** Cumulative counters read at one instant. */
export interface RawUsage {
  cpuSeconds: number;
  memoryWorkingSetBytes: number;
  /** Where the numbers came from: the run's cgroups, or a /proc scan of its processes. */
  source: 'cgroup' | 'proc';
}

/** USER_HZ: the unit of /proc's CPU times; 100 on every Linux architecture Node runs on. */
const clockTicksPerSecond = 100;

function readText(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

function statValue(text: string | undefined, name: string): number | undefined {
  const match = text === undefined ? null : new RegExp(`^${name} (\\d+)$`, 'm').exec(text);
  return match ? Number(match[1]) : undefined;
}

/** CPU seconds of a cgroup (hierarchical: a container runtime's child cgroup counts), v2 cpu.stat or v1 cpuacct.usage. */
export function cgroupCpuSeconds(dirs: readonly string[]): number | undefined {
  for (const dir of dirs) {
    const v2 = statValue(readText(join(dir, 'cpu.stat')), 'usage_usec');
    if (v2 !== undefined) return v2 / 1e6;
    const v1 = readText(join(dir, 'cpuacct.usage'));
    if (v1 !== undefined && /^\d+\s*$/.test(v1)) return Number(v1.trim()) / 1e9;
  }
  return undefined;
}

/**
 * The memory working set of a cgroup, as cAdvisor and the kubelet define it: usage minus inactive file pages
 * (v2 memory.current − inactive_file; v1 memory.usage_in_bytes − total_inactive_file), never below zero.
 */
export function cgroupWorkingSetBytes(dirs: readonly string[]): number | undefined {
  for (const dir of dirs) {
    const current = readText(join(dir, 'memory.current'));
    if (current !== undefined && /^\d+\s*$/.test(current)) {
      const inactive = statValue(readText(join(dir, 'memory.stat')), 'inactive_file') ?? 0;
      return Math.max(0, Number(current.trim()) - inactive);
    }
    const usage = readText(join(dir, 'memory.usage_in_bytes'));
    if (usage !== undefined && /^\d+\s*$/.test(usage)) {
      const inactive = statValue(readText(join(dir, 'memory.stat')), 'total_inactive_file') ?? 0;
      return Math.max(0, Number(usage.trim()) - inactive);
    }
  }
  return undefined;
}

/** Member pids of cgroups and the cgroups below them. */
function cgroupPids(dirs: readonly string[]): number[] {
  const out: number[] = [];
  const visit = (dir: string): void => {
    for (const line of (readText(join(dir, 'cgroup.procs')) ?? '').split('\n')) {
      const pid = Number(line);
      if (Number.isInteger(pid) && pid > 1) out.push(pid);
    }
    try {
      for (const entry of readdirSync(dir, { withFileTypes: true })) if (entry.isDirectory()) visit(join(dir, entry.name));
    } catch {
      // gone
    }
  };
  for (const dir of dirs) visit(dir);
  return [...new Set(out)];
}

interface ProcSample {
  pgrp: number;
  /** utime + stime + cutime + cstime, in seconds: the process and the children it has waited for. */
  cpuSeconds: number;
  zombie: boolean;
}

function readProcSample(pid: number): ProcSample | undefined {
  const text = readText(`/proc/${pid}/stat`);
  if (text === undefined) return undefined;
  const close = text.lastIndexOf(')');
  if (close < 0) return undefined;
  // After the command: field 3 (state) is [0]; pgrp (5) [2]; utime, stime, cutime, cstime (14–17) [11]–[14].
  const f = text.slice(close + 2).split(' ');
  const ticks = Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14]);
  return { pgrp: Number(f[2]), cpuSeconds: Number.isFinite(ticks) ? ticks / clockTicksPerSecond : 0, zombie: f[0] === 'Z' || f[0] === 'X' };
}

function residentBytes(pid: number): number {
  const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(readText(`/proc/${pid}/status`) ?? '');
  return match ? Number(match[1]) * 1024 : 0;
}

function allPids(): number[] {
  try {
    return readdirSync('/proc').filter((n) => /^\d+$/.test(n)).map(Number);
  } catch {
    return [];
  }
}

/** CPU seconds and resident bytes of a set of live processes. */
function procUsage(pids: readonly number[]): { cpuSeconds: number; residentBytes: number } {
  let cpuSeconds = 0;
  let rss = 0;
  for (const pid of pids) {
    const sample = readProcSample(pid);
    if (!sample || sample.zombie) continue;
    cpuSeconds += sample.cpuSeconds;
    rss += residentBytes(pid);
  }
  return { cpuSeconds, residentBytes: rss };
}

/**
 * Reads every run's counters at one instant. A run in cgroups is measured by them (memory by its members' RSS where
 * the memory controller is not delegated); a run without cgroups by its process group, found in one /proc scan.
 */
export function readRunUsage(runs: readonly RunTarget[]): (RawUsage | undefined)[] {
  const groups = new Map<number, number[]>();
  const byGroup = runs.filter((r) => r.cgroups.length === 0 && r.pgid !== undefined).map((r) => r.pgid!);
  if (byGroup.length > 0) {
    const wanted = new Set(byGroup);
    for (const pid of allPids()) {
      const sample = readProcSample(pid);
      if (!sample || !wanted.has(sample.pgrp)) continue;
      const members = groups.get(sample.pgrp) ?? [];
      members.push(pid);
      groups.set(sample.pgrp, members);
    }
  }
  return runs.map((run) => {
    if (run.cgroups.length > 0) {
      const cpu = cgroupCpuSeconds(run.cgroups);
      const pids = cgroupPids(run.cgroups);
      const memory = cgroupWorkingSetBytes(run.cgroups) ?? procUsage(pids).residentBytes;
      if (cpu !== undefined) return { cpuSeconds: cpu, memoryWorkingSetBytes: memory, source: 'cgroup' };
      const proc = procUsage(pids);
      return { cpuSeconds: proc.cpuSeconds, memoryWorkingSetBytes: memory, source: 'proc' };
    }
    if (run.pgid === undefined) return undefined;
    const members = groups.get(run.pgid);
    if (!members || members.length === 0) return undefined;
    const proc = procUsage(members);
    return { cpuSeconds: proc.cpuSeconds, memoryWorkingSetBytes: proc.residentBytes, source: 'proc' };
  });
}

/**
 * The node's counters: busy CPU time of the whole machine (/proc/stat: all but idle and iowait) and its memory working
 * set as cAdvisor reports the root cgroup's (MemTotal − MemFree − Inactive(file)).
 */
export function readNodeUsage(): { cpuSeconds: number; memoryWorkingSetBytes: number } | undefined {
  const stat = /^cpu\s+(.*)$/m.exec(readText('/proc/stat') ?? '');
  const meminfo = readText('/proc/meminfo');
  if (!stat || !meminfo) return undefined;
  const [user, nice, system, , , irq, softirq, steal] = stat[1]!.trim().split(/\s+/).map(Number);
  const busy = [user, nice, system, irq, softirq, steal].reduce<number>((sum, v) => sum + (v ?? 0), 0);
  const kb = (name: string): number => Number(new RegExp(`^${name.replace(/[()]/g, '\\$&')}:\\s+(\\d+)\\s+kB`, 'm').exec(meminfo)?.[1] ?? 0) * 1024;
  return { cpuSeconds: busy / clockTicksPerSecond, memoryWorkingSetBytes: Math.max(0, kb('MemTotal') - kb('MemFree') - kb('Inactive(file)')) };
}

/** The runs of the Pods on this node that are running now, from the Pod cache and each Pod's worker records. */
export function usageTargets(pods: readonly Pod[], nodeName: string, record: (uid: string, container: string) => ContainerRecord | undefined): PodTarget[] {
  const out: PodTarget[] = [];
  for (const pod of pods) {
    const uid = pod.metadata.uid ?? '';
    if (pod.spec.nodeName !== nodeName || !uid) continue;
    const runs: RunTarget[] = [];
    for (const container of pod.spec.containers) {
      const run = record(uid, container.name)?.running;
      if (!run || run.pid === undefined) continue;
      runs.push({ container: container.name, attempt: run.attempt, cgroups: run.cgroups ?? [], pgid: run.pid });
    }
    if (runs.length > 0) out.push({ namespace: pod.metadata.namespace ?? 'default', name: pod.metadata.name ?? '', uid, labels: { ...(pod.metadata.labels ?? {}) }, runs });
  }
  return out;
}

interface Sample {
  at: number;
  cpuSeconds: number;
  memoryWorkingSetBytes: number;
}

export interface UsageSamplerOptions {
  /** What to measure now; undefined once the kubelet stopped (the sampler then stops its timer). */
  targets: () => UsageTargets | undefined;
  /** How often samples are taken in the background; 5 s unless given. */
  intervalMs?: number;
  /** The window a rate is computed over once enough history exists; 15 s unless given (metrics-server's resolution). */
  windowMs?: number;
  /** The shortest window reported (a fresher sample is taken on demand); 1 s unless given. */
  minWindowMs?: number;
  now?: () => number;
}

/**
 * Keeps a short history of samples per container run (keyed by pod uid, container and attempt, so a restart starts a
 * new series) and reports rates: CPU = Δcpu / Δt between the newest sample and the newest one at least a window older
 * (or the oldest there is), memory = the newest working set. A run with one sample, or whose counter went backwards,
 * has no usage yet, as in metrics-server.
 */
export class UsageSampler {
  private readonly targets: () => UsageTargets | undefined;
  private readonly intervalMs: number;
  private readonly windowMs: number;
  private readonly minWindowMs: number;
  private readonly now: () => number;
  private readonly history = new Map<string, Sample[]>();
  private timer: NodeJS.Timeout | undefined;
  private last: UsageTargets | undefined;

  constructor(options: UsageSamplerOptions) {
    this.targets = options.targets;
    this.intervalMs = options.intervalMs ?? 5_000;
    this.windowMs = options.windowMs ?? 15_000;
    this.minWindowMs = options.minWindowMs ?? 1_000;
    this.now = options.now ?? Date.now;
  }

  /** Takes a sample of everything the targets name now. */
  sample(): UsageTargets | undefined {
    const targets = this.targets();
    if (!targets) {
      this.stop();
      return undefined;
    }
    const at = this.now();
    const live = new Set<string>(['node']);
    const node = readNodeUsage();
    if (node) this.push('node', { at, ...node });
    const runs = targets.pods.flatMap((p) => p.runs.map((r) => ({ key: `${p.uid}/${r.container}/${r.attempt}`, run: r })));
    const read = readRunUsage(runs.map((r) => r.run));
    runs.forEach(({ key }, i) => {
      live.add(key);
      const usage = read[i];
      if (usage) this.push(key, { at, cpuSeconds: usage.cpuSeconds, memoryWorkingSetBytes: usage.memoryWorkingSetBytes });
    });
    for (const key of this.history.keys()) if (!live.has(key)) this.history.delete(key);
    this.last = targets;
    return targets;
  }

  /** Rates for the node and its Pods; starts background sampling on first use and samples now when the newest is stale. */
  report(): NodeUsage | undefined {
    this.start();
    const newest = this.history.get('node')?.at(-1)?.at;
    const targets = newest === undefined || this.now() - newest >= this.minWindowMs ? this.sample() : this.last;
    if (!targets) return undefined;
    const node = this.rate('node');
    const pods: PodUsage[] = [];
    for (const pod of targets.pods) {
      const containers: ContainerUsage[] = [];
      let window: { timestamp: number; seconds: number } | undefined;
      for (const run of pod.runs) {
        const r = this.rate(`${pod.uid}/${run.container}/${run.attempt}`);
        if (!r) continue;
        containers.push({ name: run.container, cpuNanoCores: r.cpuNanoCores, memoryWorkingSetBytes: r.memoryWorkingSetBytes });
        if (!window || r.timestamp > window.timestamp) window = { timestamp: r.timestamp, seconds: r.windowSeconds };
      }
      if (window && containers.length > 0) {
        pods.push({ namespace: pod.namespace, name: pod.name, uid: pod.uid, labels: pod.labels, timestamp: new Date(window.timestamp).toISOString(), windowSeconds: window.seconds, containers });
      }
    }
    return {
      name: targets.node.name,
      labels: targets.node.labels,
      timestamp: new Date(node?.timestamp ?? this.now()).toISOString(),
      windowSeconds: node?.windowSeconds ?? 0,
      cpuNanoCores: node?.cpuNanoCores ?? 0,
      memoryWorkingSetBytes: node?.memoryWorkingSetBytes ?? 0,
      pods,
    };
  }

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => this.sample(), this.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  private push(key: string, sample: Sample): void {
    const series = this.history.get(key) ?? [];
    const previous = series.at(-1);
    // A counter that went backwards is a new process behind the same key: start the series again.
    if (previous && sample.cpuSeconds < previous.cpuSeconds) series.length = 0;
    series.push(sample);
    // Keep what the next window needs: the newest sample at least a window older than the newest, and all after it.
    const cutoff = sample.at - this.windowMs;
    while (series.length > 2 && series[1]!.at <= cutoff) series.shift();
    this.history.set(key, series);
  }

  private rate(key: string): { timestamp: number; windowSeconds: number; cpuNanoCores: number; memoryWorkingSetBytes: number } | undefined {
    const series = this.history.get(key);
    const last = series?.at(-1);
    if (!series || !last) return undefined;
    // The newest sample at least a window before the last, else the oldest one at least the minimum window before it.
    let prev: Sample | undefined;
    for (const s of series) {
      if (last.at - s.at >= this.windowMs) prev = s;
    }
    prev ??= series.find((s) => last.at - s.at >= this.minWindowMs);
    if (!prev) return undefined;
    const seconds = (last.at - prev.at) / 1000;
    const cpuNanoCores = Math.max(0, Math.round(((last.cpuSeconds - prev.cpuSeconds) / seconds) * 1e9));
    return { timestamp: last.at, windowSeconds: seconds, cpuNanoCores, memoryWorkingSetBytes: last.memoryWorkingSetBytes };
  }
}
