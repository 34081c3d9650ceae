// The warm executor (issue 23 item 3), with pipelines written with the kfp SDK (kfp 2.17.3, kfp-kubernetes), compiled
// and run through kfp.Client on an embedded Floe: a 10-step chain gives the same outputs as the same pipeline with every
// task opted out (fresh processes), a failing component fails its task the same way, each task's Pod log holds its own
// output, a terminated run ends the forked child, and a component that pip-installs a package Floe's environment lacks
// runs as a fresh process (one whose packages are present stays warm).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { Cgroups } from '../src/kubelet/cgroups.js';
import { startEmbeddedFloe, type EmbeddedFloe } from './helpers/embedded-floe.js';

const run = promisify(execFile);
const root = fileURLToPath(new URL('../../', import.meta.url));
const python = join(root, '.venvs', 'kfp', 'bin', 'python');
const driver = join(root, 'src', 'controllers', 'pipelines', 'testdata', 'kfp_warm.py');
const missing = existsSync(python) ? false : `the pipelines environment is not installed at ${python}: run \`node tools/setup.mjs --with-training-envs\``;

interface TaskView {
  name: string;
  state: string;
  error: string | null;
  outputs: Record<string, unknown>;
  artifacts: Record<string, string | null>;
  log: string;
  command: string[];
  uid: string;
}
interface RunView {
  run_id: string;
  state: string;
  error: string | null;
  tasks: TaskView[];
}

/** The client a warm task's Pod runs: the C one (native/floe-warm-client.c) where a compiler built it, else the Python one. */
const warmClient = (t: TaskView): boolean => t.command[0]?.endsWith('/floe-warm-client') === true || (t.command.some((c) => c.endsWith('floe-warm-executor.py')) && t.command.includes('client'));
/** What the component printed about its parent process: `warm` (a fork of the worker) or `fresh`. */
const ranAs = (t: TaskView): string | undefined => /floe-warm-test .* ran (warm|fresh)/.exec(t.log)?.[1];

describe('KFP warm executor (issue 23 item 3) with the kfp SDK', { skip: missing }, () => {
  let env: EmbeddedFloe;
  let out: Record<string, RunView & { pid?: number; was_alive?: boolean }>;

  before(async () => {
    env = await startEmbeddedFloe('floe-kfp-warm-');
    const scratch = join(env.dataDir, 'scratch');
    await mkdir(scratch, { recursive: true });
    const socket = join(env.dataDir, 'pipelines', 'warm', 'kfp.sock');
    const { stdout } = await run(python, [driver, env.floe.url, scratch, socket], { maxBuffer: 64 * 1024 * 1024, env: { ...process.env, PYTHONWARNINGS: 'ignore' } });
    out = JSON.parse(stdout.trim().split('\n').pop() ?? '{}') as typeof out;
  });

  after(async () => {
    await env?.stop();
  });

  test('a 10-step chain gives the same outputs, artifacts and states warm as with fresh processes', () => {
    const warm = out.chain_warm!;
    const fresh = out.chain_fresh!;
    assert.equal(warm.state, 'SUCCEEDED', warm.error ?? '');
    assert.equal(fresh.state, 'SUCCEEDED', fresh.error ?? '');
    assert.equal(warm.tasks.length, 11);
    const view = (r: RunView): unknown => r.tasks.map((t) => ({ name: t.name, state: t.state, outputs: t.outputs, artifacts: t.artifacts }));
    assert.deepEqual(view(warm), view(fresh));
    const last = warm.tasks.find((t) => t.name === 'read-back');
    // 1 → 3·x + i for i = 0…9
    let x = 1;
    for (let i = 0; i < 10; i++) x = x * 3 + i;
    assert.deepEqual(last?.outputs, { Output: `step 9: ${x} / ${x}` });
    for (const t of warm.tasks) assert.ok(warmClient(t), `${t.name} ran through the warm client: ${t.command.slice(0, 4).join(' ')}`);
    // Where a C compiler exists (set-up's machines), every warm Pod runs the compiled client: no interpreter start.
    if (spawnSync(process.env.CC ?? 'cc', ['--version']).status === 0) {
      for (const t of warm.tasks) assert.match(t.command[0] ?? '', /\/pipelines\/bin\/floe-warm-client$/, t.name);
    }
    for (const t of fresh.tasks) assert.ok(!warmClient(t), `${t.name} opted out: ${t.command.slice(0, 4).join(' ')}`);
    const steps = (r: RunView): TaskView[] => r.tasks.filter((t) => t.name.startsWith('step'));
    assert.equal(steps(warm).length, 10);
    for (const t of steps(warm)) assert.equal(ranAs(t), 'warm', `${t.name} ran in a fork of the worker:\n${t.log}`);
    for (const t of steps(fresh)) assert.equal(ranAs(t), 'fresh', `${t.name} ran as a fresh process:\n${t.log}`);
  });

  test("a warm task runs in its Pod's cgroups, the same ones a fresh task's process is in (v1 only in a hybrid layout)", () => {
    /** The hierarchies (their /proc/self/cgroup ids) in which the component ran in its own Pod's cgroup. */
    const placed = (t: TaskView): string[] => {
      const line = /floe-warm-test cgroups (.*)/.exec(t.log)?.[1] ?? '';
      return line.split(' ').filter((l) => l.includes(`/floe/${t.uid}/main.`)).map((l) => l.split(':')[0]!).sort();
    };
    const fresh = out.chain_fresh!.tasks.filter((t) => t.name.startsWith('step'));
    const expected = placed(fresh[0]!);
    if (!Cgroups.detect().status.tracked) return; // a machine without writable cgroups: nothing to compare
    assert.ok(expected.length > 0, `a fresh task ran in its Pod's cgroups:\n${fresh[0]!.log}`);
    for (const t of fresh) assert.deepEqual(placed(t), expected, `${t.name} (fresh):\n${t.log}`);
    // In a hybrid layout the v1 hierarchies hold the controllers and Floe's kill signals what they list: the warm child
    // skips the v2 move, the one that takes the kernel's global cgroup lock. On a pure v2 machine it joins v2.
    const hybrid = expected.some((id) => id !== '0');
    const warmExpected = hybrid ? expected.filter((id) => id !== '0') : expected;
    for (const t of out.chain_warm!.tasks.filter((x) => x.name.startsWith('step'))) assert.deepEqual(placed(t), warmExpected, `${t.name} (warm):\n${t.log}`);
  });

  test("each task's Pod log holds its own output and no other task's", () => {
    for (const r of [out.chain_warm!, out.chain_fresh!]) {
      const steps = r.tasks.filter((t) => t.name.startsWith('step'));
      const seen = new Set<string>();
      for (const t of steps) {
        const mine = [...t.log.matchAll(/floe-warm-test step (\d+) ran/g)].map((m) => m[1]!);
        assert.equal(mine.length, 1, `${t.name}: exactly one step's line in its log:\n${t.log}`);
        assert.ok(!seen.has(mine[0]!));
        seen.add(mine[0]!);
        assert.match(t.log, /Wrote executor output file/);
      }
      assert.equal(seen.size, 10);
    }
  });

  test('a failing component fails its task with the same error warm as fresh', () => {
    const warm = out.fails_warm!;
    const fresh = out.fails_fresh!;
    assert.equal(warm.state, 'FAILED');
    assert.equal(fresh.state, 'FAILED');
    const [w] = warm.tasks;
    const [f] = fresh.tasks;
    assert.ok(w && f);
    assert.equal(w.state, 'FAILED');
    assert.equal(f.state, 'FAILED');
    for (const t of [w, f]) {
      assert.match(t.log, /ValueError: boom 7/);
      assert.match(t.log, /Traceback \(most recent call last\)/);
    }
    // The engine's reason (the Pod's exit code) is the same up to the Pod's name (its run's id).
    const normal = (s: string | null): string => (s ?? '').replace(/\/tmp\/tmp[\w]+/g, '<tmp>').replace(/\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d+/g, '<time>').replace(/pod [0-9a-f]{8}-/g, 'pod <run>-');
    assert.match(w.error ?? '', /exit code 1/);
    assert.equal(normal(w.error), normal(f.error));
    assert.equal(normal(warm.error), normal(fresh.error));
    assert.ok(warmClient(w));
  });

  test("terminating a run ends the task's forked child", () => {
    const r = out.terminated!;
    assert.equal(r.state, 'CANCELED', r.error ?? '');
    assert.equal(r.was_alive, true, 'the task was running when the run was terminated');
    assert.ok(r.pid && !existsSync(`/proc/${r.pid}`), `process ${String(r.pid)} is gone`);
    const [t] = r.tasks;
    assert.ok(t && warmClient(t));
    assert.match(t.log, /floe-warm-test sleeping/);
  });

  test('a component that pip-installs a missing package runs as a fresh process; present packages stay warm', () => {
    const r = out.packages!;
    assert.equal(r.state, 'SUCCEEDED', r.error ?? '');
    const installs = r.tasks.find((t) => t.name === 'installs');
    const present = r.tasks.find((t) => t.name === 'present');
    assert.ok(installs && present);
    assert.deepEqual(installs.outputs, { Output: 'probe' });
    assert.match(installs.log, /floe-warm-test installs ran fresh/);
    assert.deepEqual(present.outputs, { Output: 'a: 1' });
    assert.match(present.log, /floe-warm-test present ran warm/);
    assert.ok(warmClient(installs) && warmClient(present), 'both Pods start the client; the worker sends one back');
  });
});
