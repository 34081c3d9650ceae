// Integration: a Pod cannot exhaust the host — limits.cpu, processes per Pod, setsid escapes, log rotation.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { KubeObject } from '../api/meta.js';
import type { Client } from '../client/client.js';
import { waitFor } from '../../test/helpers/wait.js';
import { Cgroups, isRunCgroup, planHierarchies } from './cgroups.js';
import { removeLogFiles, rotateLog, rotatedLogs } from './logs.js';
import { PodPaths } from './pod-state.js';
import { isAlive, readProcStat } from './proc.js';
import { type Harness, killRecordedProcesses, nodeCommand, podGone, podManifest, podRunning, startHarness } from '../../test/helpers/kubelet-harness.js';
import { PodRef, type Pod } from './types.js';
import { killCrashFixture, startCrashFixture } from '../../test/helpers/crash-fixture.js';

const clockTicks = 100;
const cgroups = Cgroups.detect();

function skipWithout(what: 'cpu' | 'pids' | 'memory'): string | false {
  if (cgroups.status[what]) return false;
  const reason = `this machine has no usable ${what} cgroup controller (${cgroups.status.notes.join('; ') || cgroups.status.layout})`;
  process.stderr.write(`[limits.test] skipped: ${reason}\n`);
  return reason;
}

/** Live processes whose process group is `pgid`. */
function groupPids(pgid: number): number[] {
  const out: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const stat = readProcStat(Number(name));
    if (stat && stat.pgrp === pgid && stat.state !== 'Z' && stat.state !== 'X') out.push(stat.pid);
  }
  return out;
}

/** CPU time (utime + stime, from /proc) used so far by the live processes of a group, in seconds. */
function groupCpuSeconds(pgid: number): number {
  let ticks = 0;
  for (const pid of groupPids(pgid)) {
    try {
      const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
      ticks += Number(fields[11]) + Number(fields[12]);
    } catch {
      // exited in between
    }
  }
  return ticks / clockTicks;
}



function pidOf(p: Pod): number {
  return Number((p.status?.containerStatuses?.[0]?.containerID ?? '').replace('floe://', ''));
}

async function logText(h: Harness, ns: string, name: string): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of h.kubelet.logs(ns, name, {})) chunks.push(chunk);
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * A container that starts a `setsid` child (a new session and process group) writing its pid to PIDFILE.
 * (`$$$$` is `$$` after the kubelet's `$(VAR)` expansion, where `$$` escapes a dollar.)
 */
function escapee(pidFile: string): { command: string[]; env: { name: string; value: string }[] } {
  return { command: ['sh', '-c', 'setsid sh -c \'echo $$$$ > "$PIDFILE.tmp" && mv "$PIDFILE.tmp" "$PIDFILE"; exec sleep 1000\' & exec sleep 1000'], env: [{ name: 'PIDFILE', value: pidFile }] };
}

function readPid(file: string): number | undefined {
  try {
    const pid = Number(readFileSync(file, 'utf8').trim());
    return pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

function killQuietly(pid: number | undefined): void {
  if (pid === undefined) return;
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

describe('pod limits', () => {
  let h: Harness;
  let scratch: string;
  const strays: number[] = [];

  before(async () => {
    h = await startHarness({ config: { podPidsLimit: 64, containerLogMaxSize: 64 * 1024, containerLogMaxFiles: 3 } });
    scratch = mkdtempSync(join(tmpdir(), 'floe-limits-scratch-'));
  });

  after(async () => {
    await h.stop();
    for (const pid of strays) killQuietly(pid);
    rmSync(scratch, { recursive: true, force: true });
  });

  test('limits.cpu 100m holds a busy loop to about a tenth of a CPU', { skip: skipWithout('cpu') }, async () => {
    const ns = await h.namespace('cpu');
    await h.client.create(podManifest(ns, 'spin', [{ command: ['sh', '-c', 'while :; do :; done'], resources: { limits: { cpu: '100m' } } }], { terminationGracePeriodSeconds: 0 }));
    const pgid = pidOf(await podRunning(h.client, ns, 'spin', 15_000));
    const start = { cpu: groupCpuSeconds(pgid), at: Date.now() };
    // A rate needs a window: measure CPU time against wall time over three seconds.
    await sleep(3000);
    const used = groupCpuSeconds(pgid) - start.cpu;
    const wall = (Date.now() - start.at) / 1000;
    const ratio = used / wall;
    process.stderr.write(`[limits.test] limits.cpu 100m: ${used.toFixed(2)} CPU-s in ${wall.toFixed(2)} s (${ratio.toFixed(3)} CPU/s)\n`);
    assert.ok(used > 0, 'the loop ran');
    assert.ok(ratio <= 0.15, `a 100m container used ${ratio.toFixed(3)} CPU-seconds per second`);
    await h.client.delete(PodRef, 'spin', ns);
    await waitFor(() => podGone(h.client, ns, 'spin'), { what: 'spin to be gone' });
  });

  test('a fork loop stops at the Pod pids limit and the host keeps forking', { skip: skipWithout('pids') }, async () => {
    const ns = await h.namespace('forks');
    const script = `
      const { spawn } = require('node:child_process');
      let started = 0, failed = 0, i = 0;
      const next = () => {
        if (i++ === 300) { console.log('started=' + started + ' failed=' + failed); setInterval(() => {}, 1000); return; }
        let c;
        try { c = spawn('sleep', ['600'], { stdio: 'ignore' }); } catch { failed++; return setImmediate(next); }
        c.once('spawn', () => { started++; next(); });
        c.once('error', () => { failed++; next(); });
      };
      next();`;
    await h.client.create(podManifest(ns, 'bomb', [{ command: nodeCommand(script) }], { terminationGracePeriodSeconds: 0 }));
    const pgid = pidOf(await podRunning(h.client, ns, 'bomb', 15_000));
    const line = await waitFor(async () => /started=(\d+) failed=(\d+)/.exec(await logText(h, ns, 'bomb')), { what: 'the fork loop to finish', timeoutMs: 30_000 });
    const inGroup = groupPids(pgid).length;
    process.stderr.write(`[limits.test] fork loop with podPidsLimit 64: started ${line[1]}, refused ${line[2]}, ${inGroup} processes in the group\n`);
    assert.ok(Number(line[1]) < 64, `the loop started ${line[1]} processes`);
    assert.ok(Number(line[2]) > 0, 'some forks were refused');
    assert.ok(inGroup <= 64, `${inGroup} processes in the Pod`);
    // The host is unaffected: Floe can still start processes.
    await h.client.create(podManifest(ns, 'after', [{ command: ['true'] }], { restartPolicy: 'Never' }));
    await waitFor(async () => (await h.client.get<Pod>(PodRef, 'after', ns)).status?.phase === 'Succeeded', { what: 'a Pod to run beside the bomb' });
    await h.client.delete(PodRef, 'bomb', ns);
    await waitFor(() => podGone(h.client, ns, 'bomb'), { what: 'bomb to be gone' });
    await waitFor(() => groupPids(pgid).length === 0, { what: 'the fork loop to be stopped' });
  });

  test('a process that setsid()s away from its Pod is stopped when the Pod is deleted', async () => {
    const ns = await h.namespace('setsid');
    const pidFile = join(scratch, 'escapee.pid');
    await h.client.create(podManifest(ns, 'leaver', [escapee(pidFile)], { terminationGracePeriodSeconds: 1 }));
    const pgid = pidOf(await podRunning(h.client, ns, 'leaver', 15_000));
    const pid = await waitFor(() => readPid(pidFile), { what: 'the escapee to start' });
    strays.push(pid);
    assert.notEqual(readProcStat(pid)?.pgrp, pgid, 'the child left the container process group');
    await h.client.delete(PodRef, 'leaver', ns);
    await waitFor(() => podGone(h.client, ns, 'leaver'), { what: 'leaver to be gone', timeoutMs: 15_000 });
    await waitFor(() => !isAlive(pid, undefined), { what: `the setsid child ${pid} to be stopped`, timeoutMs: 5_000 });
  });

  test('limits.memory holds a process that left the group, which the RSS poll cannot see', { skip: skipWithout('memory') }, async () => {
    const ns = await h.namespace('memory');
    const grow = 'const b = Buffer.alloc(300 * 2 ** 20, 1); console.log("allocated " + b.length); setInterval(() => {}, 1000);';
    const script = 'setsid "$NODE" -e "$GROW"; echo "child exited with $?"; exec sleep 600';
    const env = [{ name: 'NODE', value: process.execPath }, { name: 'GROW', value: grow }];
    await h.client.create(podManifest(ns, 'hog', [{ command: ['sh', '-c', script], env, resources: { limits: { memory: '128Mi' } } }], { terminationGracePeriodSeconds: 0 }));
    const text = await waitFor(async () => {
      const log = await logText(h, ns, 'hog');
      return log.includes('child exited') ? log : undefined;
    }, { what: 'the child to end', timeoutMs: 20_000 });
    assert.ok(!text.includes('allocated'), `the child got its 300 MiB: ${text}`);
    assert.match(text, /child exited with 137/, 'the kernel killed it');
    await h.client.delete(PodRef, 'hog', ns);
  });

  test('container logs rotate at containerLogMaxSize and keep containerLogMaxFiles files', async () => {
    const ns = await h.namespace('logs');
    const go = join(scratch, 'go-logs');
    // 30 MiB in lines of 128 bytes, a MiB at a time, then a last line.
    const script = `
      const fs = require('node:fs');
      const line = (i) => ('line ' + i + ' ').padEnd(127, 'x') + '\\n';
      let i = 0;
      const batch = () => {
        let s = '';
        for (let k = 0; k < 8192; k++) s += line(i++);
        fs.writeSync(1, s);
        if (i < 30 * 8192) return setTimeout(batch, 5);
        // The last line after the rotations of the last batch are done: copy-truncate loses what is written between its
        // copy and its truncation (src/kubelet/README.md), a window a loaded machine can widen.
        setTimeout(() => fs.writeSync(1, 'last line\\n'), 2000);
      };
      const wait = setInterval(() => { if (fs.existsSync(${JSON.stringify(go)})) { clearInterval(wait); batch(); } }, 20);`;
    await h.client.create(podManifest(ns, 'chatty', [{ command: nodeCommand(script) }], { restartPolicy: 'Never' }));
    const p = await podRunning(h.client, ns, 'chatty', 15_000);
    const following = (async () => {
      const chunks: Buffer[] = [];
      for await (const chunk of h.kubelet.logs(ns, 'chatty', { follow: true })) chunks.push(chunk);
      return Buffer.concat(chunks).toString('utf8');
    })();
    writeFileSync(go, '');
    await waitFor(async () => (await h.client.get<Pod>(PodRef, 'chatty', ns)).status?.phase === 'Succeeded', { what: 'chatty to finish', timeoutMs: 60_000 });
    const followed = await following;
    assert.ok(followed.endsWith('last line\n'), 'a follower reads on across rotations to the end');
    const dir = new PodPaths({ dataDir: h.config.dataDir, uid: p.metadata.uid ?? '' }).logDir('main');
    const files = readdirSync(dir).filter((f) => f.startsWith('0.log') && !f.endsWith('.times'));
    const sizes = files.map((f) => statSync(join(dir, f)).size);
    process.stderr.write(`[limits.test] 30 MiB of logs at 64 KiB x 3: ${files.map((f, i) => `${f}=${sizes[i]}`).join(' ')}\n`);
    assert.ok(files.length <= 3, `${files.length} log files: ${files.join(' ')}`);
    for (const [i, size] of sizes.entries()) assert.ok(size <= 64 * 1024, `${files[i]} holds ${size} bytes`);
    const current = await logText(h, ns, 'chatty');
    assert.equal(current, readFileSync(join(dir, '0.log'), 'utf8'), 'kubectl logs reads the current file');
    assert.ok(current.length <= 64 * 1024);
    const rotated = files.filter((f) => f !== '0.log').sort();
    assert.ok(rotated.length >= 1, 'older output went to rotated files');
    const newest = readFileSync(join(dir, rotated[0]!), 'utf8');
    assert.match(newest, /^line \d+ x+\n/, 'rotated files hold whole lines');
    // A rotation may come after the last write (the file was over the size): the last line is then the newest piece's.
    assert.ok((current || newest).endsWith('last line\n'), 'the last line is in the current file, or in the newest rotated one');
  });
});

describe('pod limits after a crash of Floe', () => {
  let dataDir = '';
  let child: ChildProcess | undefined;
  let stray: number | undefined;

  async function startFixture(): Promise<Client> {
    const started = await startCrashFixture(dataDir);
    child = started.child;
    return started.client;
  }

  async function killHard(): Promise<void> {
    const c = child;
    child = undefined;
    if (c) await killCrashFixture(c);
  }

  before(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'floe-limits-crash-'));
  });

  after(async () => {
    await killHard();
    killRecordedProcesses(join(dataDir, 'kubelet'));
    killQuietly(stray);
    rmSync(dataDir, { recursive: true, force: true });
  });

  test('a setsid child of a Pod re-adopted after kill -9 is still stopped on delete', async () => {
    let client = await startFixture();
    const ns = 'limits-crash';
    await client.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
    const pidFile = join(dataDir, 'escapee.pid');
    await client.create(podManifest(ns, 'leaver', [escapee(pidFile)], { terminationGracePeriodSeconds: 1 }));
    const first = pidOf(await podRunning(client, ns, 'leaver', 15_000));
    const pid = await waitFor(() => readPid(pidFile), { what: 'the escapee to start' });
    stray = pid;
    await killHard();
    client = await startFixture();
    await waitFor(async () => pidOf(await podRunning(client, ns, 'leaver', 15_000)) === first, { what: 'the container to be re-adopted' });
    await client.delete(PodRef, 'leaver', ns);
    await waitFor(() => podGone(client, ns, 'leaver'), { what: 'leaver to be gone', timeoutMs: 15_000 });
    await waitFor(() => !isAlive(pid, undefined), { what: `the setsid child ${pid} to be stopped`, timeoutMs: 5_000 });
    assert.ok(!existsSync(pidFile) || !isAlive(pid, undefined));
  });
});

describe('pod limits on a node without cgroups', () => {
  let h: Harness;
  let scratch: string;
  const strays: number[] = [];

  before(async () => {
    h = await startHarness({ config: { cgroups: 'off' } });
    scratch = mkdtempSync(join(tmpdir(), 'floe-limits-off-'));
  });

  after(async () => {
    await h.stop();
    for (const pid of strays) killQuietly(pid);
    rmSync(scratch, { recursive: true, force: true });
  });

  test('limits that cannot be enforced are reported on the Pod and the Node', async () => {
    const ns = await h.namespace('unenforced');
    await h.client.create(podManifest(ns, 'spin', [{ command: ['sleep', '300'], resources: { limits: { cpu: '100m' } } }], { terminationGracePeriodSeconds: 0 }));
    await podRunning(h.client, ns, 'spin', 15_000);
    const warning = await waitFor(async () => {
      const list = await h.client.list({ apiVersion: 'v1', kind: 'Event' }, { namespace: ns });
      return list.items.find((e: KubeObject) => e.reason === 'ResourceLimitsNotEnforced');
    }, { what: 'a ResourceLimitsNotEnforced event on the Pod' });
    assert.equal(warning.type, 'Warning');
    assert.match(String(warning.message), /limits\.cpu/);
    const nodeEvents = await h.client.list({ apiVersion: 'v1', kind: 'Event' }, { namespace: 'default' });
    assert.ok(
      nodeEvents.items.some((e: KubeObject) => e.reason === 'ResourceLimitsNotEnforced' && (e.involvedObject as { kind?: string }).kind === 'Node'),
      'the Node says so too',
    );
  });

  test('a setsid child is still stopped when its Pod is deleted', async () => {
    const ns = await h.namespace('setsid-off');
    const pidFile = join(scratch, 'escapee.pid');
    await h.client.create(podManifest(ns, 'leaver', [escapee(pidFile)], { terminationGracePeriodSeconds: 1 }));
    await podRunning(h.client, ns, 'leaver', 15_000);
    const pid = await waitFor(() => readPid(pidFile), { what: 'the escapee to start' });
    strays.push(pid);
    await h.client.delete(PodRef, 'leaver', ns);
    await waitFor(() => podGone(h.client, ns, 'leaver'), { what: 'leaver to be gone', timeoutMs: 15_000 });
    await waitFor(() => !isAlive(pid, undefined), { what: `the setsid child ${pid} to be stopped`, timeoutMs: 5_000 });
  });
});

describe('cgroup layouts and log rotation (units)', () => {
  const hybrid = [
    '31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755',
    '32 31 0:29 / /sys/fs/cgroup/cpu,cpuacct rw,relatime - cgroup cgroup rw,cpu,cpuacct',
    '35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory',
    '36 31 0:33 / /sys/fs/cgroup/devices rw,relatime - cgroup cgroup rw,devices',
    '39 31 0:36 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids',
    '41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw',
  ].join('\n');
  const self = ['9:pids:/user.slice', '4:memory:/sandbox/x', '3:devices:/', '2:cpu,cpuacct:/', '0::/user.slice/s.scope'].join('\n');

  test('a hybrid layout: each v1 controller hierarchy at this process\'s own cgroup, and the unified one', () => {
    assert.deepEqual(planHierarchies(hybrid, self), [
      { version: 1, own: '/sys/fs/cgroup/cpu,cpuacct', controllers: ['cpu', 'cpuacct'] },
      { version: 1, own: '/sys/fs/cgroup/memory/sandbox/x', controllers: ['memory'] },
      { version: 1, own: '/sys/fs/cgroup/pids/user.slice', controllers: ['pids'] },
      { version: 2, own: '/sys/fs/cgroup/unified/user.slice/s.scope', controllers: [] },
    ]);
  });

  test('pure v2, a cgroup namespace root, and a path outside the mount', () => {
    assert.deepEqual(planHierarchies('30 23 0:26 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw,nsdelegate', '0::/'), [{ version: 2, own: '/sys/fs/cgroup', controllers: [] }]);
    assert.deepEqual(planHierarchies('30 23 0:26 /docker/abc /sys/fs/cgroup ro - cgroup2 cgroup2 rw', '0::/docker/abc/sub'), [{ version: 2, own: '/sys/fs/cgroup/sub', controllers: [] }]);
    assert.deepEqual(planHierarchies('30 23 0:26 /docker/abc /sys/fs/cgroup ro - cgroup2 cgroup2 rw', '0::/other'), []);
    assert.deepEqual(planHierarchies('30 23 0:26 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw', '0::/../..'), []);
    assert.deepEqual(planHierarchies('', ''), []);
  });

  test('v2: controllers enabled down the tree, cpu.max, pids.max and memory.max written per run', () => {
    const root = mkdtempSync(join(tmpdir(), 'floe-cgroup-v2-'));
    try {
      writeFileSync(join(root, 'cgroup.controllers'), 'cpuset cpu io memory pids\n');
      const cg = Cgroups.fromPlans([{ version: 2, own: root, controllers: [] }], { podPidsLimit: 100 });
      assert.deepEqual({ layout: cg.status.layout, cpu: cg.status.cpu, pids: cg.status.pids, memory: cg.status.memory }, { layout: 'v2', cpu: true, pids: true, memory: true });
      assert.equal(readFileSync(join(root, 'cgroup.subtree_control'), 'utf8'), '+cpu +pids +memory');
      const [dir, ...rest] = cg.createRun('uid-1', 'main', 3, { cpuMilli: 250, memoryBytes: 64 * 2 ** 20 });
      assert.equal(rest.length, 0);
      assert.equal(dir, join(root, 'floe', 'uid-1', 'main.3'));
      assert.equal(readFileSync(join(root, 'floe', 'uid-1', 'pids.max'), 'utf8'), '100');
      assert.equal(readFileSync(join(root, 'floe', 'uid-1', 'cgroup.subtree_control'), 'utf8'), '+cpu +pids +memory');
      assert.equal(readFileSync(join(dir, 'cpu.max'), 'utf8'), '25000 100000');
      assert.equal(readFileSync(join(dir, 'memory.max'), 'utf8'), String(64 * 2 ** 20));
      assert.equal(readFileSync(join(cg.createRun('uid-1', 'other', 0, {})[0]!, 'cpu.max'), 'utf8'), 'max 100000');
      writeFileSync(join(dir, 'cgroup.procs'), '');
      assert.ok(isRunCgroup(dir, 'uid-1', 'main'));
      assert.ok(!isRunCgroup(dir, 'uid-1', 'mai'), 'the container must match');
      assert.ok(!isRunCgroup(join(root, 'floe', 'uid-1'), 'uid-1', 'main'), 'a Pod folder is not a run');
      assert.ok(!isRunCgroup(`${root}/floe/uid-1/../uid-1/main.3`, 'uid-1', 'main'), 'no dot segments');
      assert.throws(() => cg.createRun('../x', 'main', 0, {}), /cannot name a cgroup/);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  test('v1: cfs quota (at least 1ms), memory limits with swap, pids on the Pod folder', () => {
    const root = mkdtempSync(join(tmpdir(), 'floe-cgroup-v1-'));
    try {
      const cpu = join(root, 'cpu');
      const pids = join(root, 'pids');
      for (const [dir, file] of [[cpu, 'cpu.cfs_quota_us'], [pids, 'pids.max']] as const) {
        mkdirSync(join(dir, 'floe'), { recursive: true });
        writeFileSync(join(dir, 'floe', file), '');
      }
      const cg = Cgroups.fromPlans([{ version: 1, own: cpu, controllers: ['cpu'] }, { version: 1, own: pids, controllers: ['pids'] }, { version: 1, own: join(root, 'memory'), controllers: ['memory'] }], { podPidsLimit: 64 });
      assert.deepEqual({ layout: cg.status.layout, cpu: cg.status.cpu, pids: cg.status.pids, memory: cg.status.memory }, { layout: 'v1', cpu: true, pids: true, memory: false });
      const dirs = cg.createRun('u', 'c', 0, { cpuMilli: 1 });
      assert.deepEqual(dirs, [join(cpu, 'floe', 'u', 'c.0'), join(pids, 'floe', 'u', 'c.0')]);
      assert.equal(readFileSync(join(dirs[0]!, 'cpu.cfs_quota_us'), 'utf8'), '1000');
      assert.equal(readFileSync(join(pids, 'floe', 'u', 'pids.max'), 'utf8'), '64');
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  test('rotation keeps maxFiles - 1 rotated pieces of whole lines, newest first', () => {
    const dir = mkdtempSync(join(tmpdir(), 'floe-rotate-'));
    try {
      const log = join(dir, '0.log');
      const lines = (from: number, n: number): string => Array.from({ length: n }, (_, i) => `line ${String(from + i).padStart(4, '0')}\n`).join('');
      writeFileSync(log, lines(0, 100));
      writeFileSync(`${log}.times`, '1000 1\n');
      const rotation = { maxBytes: 200, maxFiles: 3 };
      assert.equal(rotateLog(log, { maxBytes: 2000, maxFiles: 3 }), false, 'under the size nothing happens');
      assert.equal(rotateLog(log, rotation), true);
      assert.equal(readFileSync(log, 'utf8'), '');
      assert.ok(!existsSync(`${log}.times`));
      assert.deepEqual(rotatedLogs(log).map((f) => f.slice(dir.length + 1)), ['0.log.1', '0.log.2']);
      assert.equal(readFileSync(`${log}.1`, 'utf8'), lines(80, 20));
      assert.equal(readFileSync(`${log}.2`, 'utf8'), lines(60, 20));
      writeFileSync(log, lines(100, 25));
      assert.equal(rotateLog(log, rotation), true);
      assert.equal(readFileSync(`${log}.1`, 'utf8'), lines(105, 20), 'a piece starts at a line');
      assert.equal(readFileSync(`${log}.2`, 'utf8'), lines(100, 5), 'a burst fills several pieces; older files shift out');
      assert.equal(rotatedLogs(log).length, 2);
      writeFileSync(log, lines(200, 30));
      assert.equal(rotateLog(log, rotation, true), true);
      assert.equal(readFileSync(log, 'utf8'), lines(210, 20), 'a finished run keeps its newest piece in the log');
      assert.equal(readFileSync(`${log}.1`, 'utf8'), lines(200, 10));
      assert.equal(readFileSync(`${log}.2`, 'utf8'), lines(105, 20), 'older pieces shift up');
      removeLogFiles(log);
      assert.deepEqual(readdirSync(dir), []);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
