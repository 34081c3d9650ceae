// The spawner helper (native/floe-spawner.c) against real processes, and a Pod's run started through it.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitFor } from '../../test/helpers/wait.js';
import { podManifest, silentLogger, startHarness, type Harness } from '../../test/helpers/kubelet-harness.js';
import { Cgroups } from './cgroups.js';
import { isAlive } from './proc.js';
import { compiledNative } from '../api/native-build.js';
import { Spawner, spawnerSource, type SpawnedRun } from './spawner.js';
import { PodRef, type Pod } from './types.js';

const log = silentLogger();
const cgroups = Cgroups.detect();

function ended(run: SpawnedRun): Promise<[number | null, NodeJS.Signals | null]> {
  return new Promise((resolve) => run.onExit((code, signal) => resolve([code, signal])));
}

/** Field `n` (1-based, as proc(5) counts) of /proc/<pid>/stat. */
function statField(pid: number, n: number): number {
  const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return Number(text.slice(text.lastIndexOf(')') + 2).split(' ')[n - 3]);
}

describe('spawner', () => {
  let spawner: Spawner;
  let dir: string;

  before(() => {
    const binary = compiledNative(spawnerSource, log, 'the spawner tests fail');
    assert.ok(binary, 'the spawner builds on this machine (a C compiler is part of set-up)');
    spawner = new Spawner(binary, log);
    dir = mkdtempSync(join(tmpdir(), 'floe-spawner-'));
  });

  after(() => {
    spawner.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('a run gets exactly the environment, working directory and log file asked for, and its exit code', async () => {
    const logFile = join(dir, 'run.log');
    const run = await spawner.spawn({ argv: ['/bin/sh', '-c', 'echo "$GREETING from $(pwd)"; echo oops >&2; read x; echo "stdin: [$x]"; env | sort; exit 3'], cwd: dir, env: { GREETING: 'hi there', PATH: '/usr/bin:/bin' }, log: logFile });
    assert.deepEqual(await ended(run), [3, null]);
    const lines = readFileSync(logFile, 'utf8').split('\n');
    assert.equal(lines[0], `hi there from ${dir}`);
    assert.equal(lines[1], 'oops');
    assert.equal(lines[2], 'stdin: []', 'stdin is /dev/null');
    const env = lines.slice(3).filter((l) => l && !/^(PWD|SHLVL|_)=/.test(l));
    assert.deepEqual(env, ['GREETING=hi there', 'PATH=/usr/bin:/bin'], 'nothing of Floe\'s or the helper\'s own environment leaks in');
    assert.equal(statSync(logFile).mode & 0o777, 0o600);
  });

  test('a run leads its own session and process group, and a signal that ends it is reported', async () => {
    const run = await spawner.spawn({ argv: ['/bin/sleep', '30'], cwd: dir, env: {}, log: join(dir, 'sleep.log') });
    assert.equal(statField(run.pid, 6), run.pid, 'session id');
    assert.equal(statField(run.pid, 5), run.pid, 'process group id');
    process.kill(-run.pid, 'SIGTERM');
    assert.deepEqual(await ended(run), [null, 'SIGTERM']);
  });

  test('a run is in its cgroups, v1 and v2, when it execs, and limits set on them hold it', { skip: !cgroups.status.tracked && 'this machine has no writable cgroups' }, async () => {
    const uid = `spawner-test-${process.pid}`;
    const dirs = cgroups.createRun(uid, 'main', 0, { memoryBytes: 64 * 2 ** 20 });
    try {
      const logFile = join(dir, 'cgroup.log');
      const run = await spawner.spawn({ argv: ['/bin/cat', '/proc/self/cgroup'], cwd: dir, env: {}, log: logFile, cgroups: dirs.map((d) => ({ version: cgroups.versionOf(d), dir: d })) });
      assert.deepEqual(await ended(run), [0, null]);
      const paths = readFileSync(logFile, 'utf8').trim().split('\n').map((l) => l.split(':').slice(2).join(':'));
      for (const d of dirs) {
        const relative = d.slice(d.indexOf('/floe/'));
        assert.ok(paths.some((p) => p.endsWith(relative)), `in ${d} (its /proc/self/cgroup: ${paths.join(', ')})`);
      }
      // A refused placement (a cgroup that is not there) is a start refused, not a run outside its limits.
      await assert.rejects(spawner.spawn({ argv: ['/bin/true'], cwd: dir, env: {}, log: logFile, cgroups: dirs.map((d) => ({ version: cgroups.versionOf(d), dir: `${d}-missing` })) }), { code: 'ENOENT' });
    } finally {
      cgroups.releasePodSync(uid, dirs);
    }
  });

  test('what cannot start is refused with the errno, and nothing is left running', async () => {
    await assert.rejects(spawner.spawn({ argv: [join(dir, 'no-such-program')], cwd: dir, env: {}, log: join(dir, 'x.log') }), { code: 'ENOENT' });
    await assert.rejects(spawner.spawn({ argv: ['/bin/true'], cwd: join(dir, 'no-such-dir'), env: {}, log: join(dir, 'x.log') }), { code: 'ENOENT' });
    await assert.rejects(spawner.spawn({ argv: ['/bin/true'], cwd: dir, env: {}, log: join(dir, 'missing', 'x.log') }), { code: 'ENOENT' });
    await assert.rejects(spawner.spawn({ argv: ['/bin/echo', 'a\0b'], cwd: dir, env: {}, log: join(dir, 'x.log') }), /NUL/);
    // The helper still serves after refusals.
    const run = await spawner.spawn({ argv: ['/bin/true'], cwd: dir, env: {}, log: join(dir, 'x.log') });
    assert.deepEqual(await ended(run), [0, null]);
  });

  test('an end learnt before anyone listens is still delivered', async () => {
    const run = await spawner.spawn({ argv: ['/bin/true'], cwd: dir, env: {}, log: join(dir, 'x.log') });
    await waitFor(() => !isAlive(run.pid, undefined), { timeoutMs: 5_000, what: 'the run to end' });
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.deepEqual(await ended(run), [0, null]);
  });

  test('many runs at once each get their own answer', async () => {
    const runs = await Promise.all(Array.from({ length: 40 }, (_, i) => spawner.spawn({ argv: ['/bin/sh', '-c', `exit ${i % 7}`], cwd: dir, env: {}, log: join(dir, 'many.log') })));
    const codes = await Promise.all(runs.map(ended));
    assert.deepEqual(codes.map(([code]) => code), Array.from({ length: 40 }, (_, i) => i % 7));
    assert.equal(new Set(runs.map((r) => r.pid)).size, 40);
  });

  test('when the helper is gone, its runs go on and are reported lost; new spawns are refused', async () => {
    const own = new Spawner(compiledNative(spawnerSource, log, 'the spawner tests fail')!, log);
    const run = await own.spawn({ argv: ['/bin/sleep', '30'], cwd: dir, env: {}, log: join(dir, 'lost.log') });
    const lost = new Promise<void>((resolve) => run.onLost(resolve));
    own.close();
    await lost;
    assert.ok(isAlive(run.pid, undefined), 'the run outlives the helper, as a Pod outlives Floe');
    assert.equal(own.available, false);
    await assert.rejects(own.spawn({ argv: ['/bin/true'], cwd: dir, env: {}, log: join(dir, 'x.log') }), /not running/);
    process.kill(-run.pid, 'SIGKILL');
  });
});

describe('a Pod started through the spawner', { skip: process.env.FLOE_SPAWNER === '0' && 'FLOE_SPAWNER=0: Pods start with Node\'s spawn' }, () => {
  let h: Harness;

  before(async () => {
    h = await startHarness();
  });

  after(async () => {
    await h.stop();
  });

  test('its wrapper is a child of the spawner, not of Floe, and its exit code reaches the Pod status', async () => {
    // The container's parent is the wrapper; the wrapper's parent is whoever forked it.
    const script = 'read -r _ _ _ wrapper_parent _ < /proc/$PPID/stat; cat /proc/$wrapper_parent/comm; exit 4';
    const ns = await h.namespace('spawned');
    await h.client.create(podManifest(ns, 'spawned', [{ command: ['/bin/sh', '-c', script] }], { restartPolicy: 'Never' }));
    const pod = await waitFor(async () => {
      const p = await h.client.get<Pod>(PodRef, 'spawned', ns);
      return p.status?.phase === 'Failed' ? p : undefined;
    }, { timeoutMs: 15_000, what: 'the Pod to fail with exit code 4' });
    assert.equal(pod.status?.containerStatuses?.[0]?.state.terminated?.exitCode, 4);
    const chunks: Buffer[] = [];
    for await (const chunk of h.kubelet.logs(ns, 'spawned', {})) chunks.push(chunk);
    assert.equal(Buffer.concat(chunks).toString('utf8').trim(), 'floe-spawner');
    // The run's records, rewritten at every start, stay the kubelet's alone.
    const uid = pod.metadata.uid!;
    for (const file of [join(h.config.dataDir, 'pods', uid, 'pod.json'), join(h.config.dataDir, 'pods', uid, 'containers', 'main.json')]) {
      assert.equal(statSync(file).mode & 0o777, 0o600, file);
    }
  });
});
