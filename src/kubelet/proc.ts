// Process groups through /proc: liveness with start-time checks against pid reuse, group memory, signals.
import { readdirSync, readFileSync } from 'node:fs';

export interface ProcStat {
  pid: number;
  /** R, S, D, Z (zombie), X (dead), T… */
  state: string;
  ppid: number;
  pgrp: number;
  /** Start time in clock ticks after boot: with the pid, identifies one process across pid reuse. */
  startTicks: number;
}

export function readProcStat(pid: number): ProcStat | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // The command name is in parentheses and may itself contain spaces and parentheses.
  const close = text.lastIndexOf(')');
  if (close < 0) return undefined;
  const fields = text.slice(close + 2).split(' ');
  // fields[0] is field 3 of proc(5): state; ppid 4, pgrp 5, starttime 22.
  return { pid, state: fields[0] ?? '?', ppid: Number(fields[1]), pgrp: Number(fields[2]), startTicks: Number(fields[19]) };
}

/** Whether `pid` is the same live (not zombie) process that started at `startTicks`. */
export function isAlive(pid: number, startTicks: number | undefined): boolean {
  const stat = readProcStat(pid);
  if (!stat || stat.state === 'Z' || stat.state === 'X') return false;
  return startTicks === undefined || stat.startTicks === startTicks;
}

/** Sends `signal` to every process of the group; a group already gone is not an error. */
export function signalGroup(pgid: number, signal: NodeJS.Signals): boolean {
  if (!Number.isInteger(pgid) || pgid <= 1) return false;
  try {
    process.kill(-pgid, signal);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ESRCH') return false;
    throw err;
  }
}

function pids(): number[] {
  try {
    return readdirSync('/proc').filter((n) => /^\d+$/.test(n)).map(Number);
  } catch {
    return [];
  }
}

/** Resident memory (bytes) of the live processes in each of `pgids`, from one scan of /proc. */
export function groupResidentBytes(pgids: ReadonlySet<number>): Map<number, number> {
  const out = new Map<number, number>();
  if (pgids.size === 0) return out;
  for (const pid of pids()) {
    const stat = readProcStat(pid);
    if (!stat || !pgids.has(stat.pgrp) || stat.state === 'Z') continue;
    let rss = 0;
    try {
      const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
      rss = m ? Number(m[1]) * 1024 : 0;
    } catch {
      continue;
    }
    out.set(stat.pgrp, (out.get(stat.pgrp) ?? 0) + rss);
  }
  return out;
}

/** Whether any live process is still in the group. */
export function groupHasMembers(pgid: number): boolean {
  for (const pid of pids()) {
    const stat = readProcStat(pid);
    if (stat && stat.pgrp === pgid && stat.state !== 'Z' && stat.state !== 'X') return true;
  }
  return false;
}

/** The live process whose command line contains `marker` (the wrapper's unique exit-file path), if any. */
export function findByCommandLine(marker: string): ProcStat | undefined {
  for (const pid of pids()) {
    let cmdline: string;
    try {
      cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    } catch {
      continue;
    }
    if (!cmdline.split('\u0000').includes(marker)) continue;
    const stat = readProcStat(pid);
    if (stat && stat.state !== 'Z' && stat.state !== 'X') return stat;
  }
  return undefined;
}

/**
 * Live processes whose environment holds exactly `entry` (`NAME=value`). Without cgroups this is how a container's
 * processes are found after they left its process group (`setsid`): the environment is inherited across both.
 */
export function processesWithEnv(entry: string): number[] {
  const out: number[] = [];
  const needle = Buffer.from(`\u0000${entry}\u0000`);
  for (const pid of pids()) {
    if (pid === process.pid) continue;
    let environ: Buffer;
    try {
      environ = readFileSync(`/proc/${pid}/environ`);
    } catch {
      continue;
    }
    if (!Buffer.concat([Buffer.from([0]), environ]).includes(needle)) continue;
    const stat = readProcStat(pid);
    if (stat && stat.state !== 'Z' && stat.state !== 'X') out.push(pid);
  }
  return out;
}

/** SIGKILL to every process `processesWithEnv(entry)` finds; returns how many there were. */
export function killByEnv(entry: string): number {
  const found = processesWithEnv(entry);
  for (const pid of found) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone already
    }
  }
  return found.length;
}

/** Tasks (threads included) of all processes whose real uid is `uid`: what RLIMIT_NPROC counts. */
export function userTaskCount(uid: number): number {
  let total = 0;
  for (const pid of pids()) {
    let status: string;
    try {
      status = readFileSync(`/proc/${pid}/status`, 'utf8');
    } catch {
      continue;
    }
    const owner = /^Uid:\s+(\d+)/m.exec(status);
    if (Number(owner?.[1]) !== uid) continue;
    total += Number(/^Threads:\s+(\d+)/m.exec(status)?.[1] ?? 1);
  }
  return total;
}
