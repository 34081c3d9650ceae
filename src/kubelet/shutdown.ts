// Stopping the Pods with the Kubelet: SIGTERM to every container run recorded on disk, SIGKILL after the grace period.
import { readdirSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { cgroupMembers, killCgroupRound, recordedCgroups, releaseCgroups } from './cgroups.js';
import { runMarker } from './pod-worker.js';
import { PodPaths, podDirectories, readContainerRecords } from './pod-state.js';
import { findByCommandLine, isAlive, killByEnv, processesWithEnv, readProcStat, signalGroup } from './proc.js';

/** The kubelet's graceful node shutdown bound (shutdownGracePeriod) when the configuration gives none. */
export const DefaultShutdownGracePeriodSeconds = 10;

export interface ShutdownOptions {
  /** The Kubelet's data directory (`pods/<uid>/containers/*.json` name the runs). */
  dataDir: string;
  /** The Pod's own grace period (terminationGracePeriodSeconds), by uid; undefined for state whose Pod is unknown. */
  graceSeconds(uid: string): number | undefined;
  /** No Pod waits longer than this, however long its own grace period. */
  maxGraceSeconds: number;
  pollMs: number;
}

interface Run {
  uid: string;
  container: string;
  attempt: number;
  /** The wrapper's pid, which is also the run's process group. */
  pgid?: number;
  cgroups: string[];
  deadline: number;
}

/** Process groups among `pgids` that still have a live (not zombie) member, from one scan of /proc. */
function liveGroups(pgids: ReadonlySet<number>): Set<number> {
  const live = new Set<number>();
  if (pgids.size === 0) return live;
  let entries: string[] = [];
  try {
    entries = readdirSync('/proc');
  } catch {
    return live;
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = readProcStat(Number(entry));
    if (stat && pgids.has(stat.pgrp) && stat.state !== 'Z' && stat.state !== 'X') live.add(stat.pgrp);
  }
  return live;
}

function signalPids(pids: readonly number[], signal: NodeJS.Signals): void {
  for (const pid of pids) {
    try {
      process.kill(pid, signal);
    } catch {
      // gone already
    }
  }
}

/** The polite signal to all of a run: its group, and members that left it (by cgroup, or by the run's env marker). */
function terminate(run: Run): void {
  if (run.pgid !== undefined) signalGroup(run.pgid, 'SIGTERM');
  signalPids(run.cgroups.length > 0 ? cgroupMembers(run.cgroups) : processesWithEnv(runMarker(run.uid, run.container, run.attempt)), 'SIGTERM');
}

function kill(run: Run): void {
  if (run.pgid !== undefined) signalGroup(run.pgid, 'SIGKILL');
  killStrays(run);
}

/** Members of a run outside its process group. */
function killStrays(run: Run): void {
  if (run.cgroups.length > 0) killCgroupRound(run.cgroups);
  else killByEnv(runMarker(run.uid, run.container, run.attempt));
}

/**
 * Stops every container run recorded under `dataDir`, as a kubelet's graceful node shutdown does: SIGTERM first,
 * SIGKILL for what is left at the Pod's grace period (bounded by `maxGraceSeconds`). The records are left as they are,
 * so the next start finishes each run from its exit file (143 after a SIGTERM, 137 after a SIGKILL) and restarts it by
 * the Pod's restart policy. Returns how many runs were stopped.
 */
export async function stopPodProcesses(options: ShutdownOptions): Promise<number> {
  const start = Date.now();
  const runs: Run[] = [];
  for (const uid of podDirectories(options.dataDir)) {
    const paths = new PodPaths({ dataDir: options.dataDir, uid });
    const own = options.graceSeconds(uid);
    const grace = Math.max(0, Math.min(own ?? options.maxGraceSeconds, options.maxGraceSeconds));
    for (const record of readContainerRecords(paths).values()) {
      const recorded = record.running;
      if (!recorded) continue;
      const run: Run = { uid, container: record.name, attempt: recorded.attempt, cgroups: recordedCgroups(recorded.cgroups, uid, record.name), deadline: start + grace * 1000 };
      // A run recorded without a pid (a crash between the two writes) is found by its exit-file path, as on recovery.
      const pgid = recorded.pid ?? findByCommandLine(paths.exitFile(record.name, recorded.attempt))?.pid;
      if (pgid !== undefined && (recorded.pid === undefined || isAlive(pgid, recorded.startTicks))) run.pgid = pgid;
      runs.push(run);
    }
  }
  for (const run of runs) {
    if (run.deadline <= start) kill(run);
    else terminate(run);
  }
  let pending = runs;
  // A process stuck in the kernel (state D) ignores even SIGKILL: stop waiting for it a little after the last deadline.
  const giveUp = Math.max(start, ...runs.map((r) => r.deadline)) + 5_000;
  while (Date.now() < giveUp) {
    const live = liveGroups(new Set(pending.flatMap((r) => (r.pgid === undefined ? [] : [r.pgid]))));
    const now = Date.now();
    pending = pending.filter((r) => {
      const alive = (r.pgid !== undefined && live.has(r.pgid)) || (r.cgroups.length > 0 && cgroupMembers(r.cgroups).length > 0);
      if (alive && now >= r.deadline) kill(r);
      return alive;
    });
    if (pending.length === 0) break;
    await sleep(Math.min(options.pollMs, 100));
  }
  // Whatever escaped the group without cgroups to track it (a setsid child) goes now; then the cgroups themselves.
  for (const run of runs) killStrays(run);
  await Promise.all(runs.filter((r) => r.cgroups.length > 0).map((r) => releaseCgroups(r.cgroups, 2_000)));
  return runs.length;
}
