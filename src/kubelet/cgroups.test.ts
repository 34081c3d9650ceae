// A run's cgroups on this machine: releasing them kills every member, including one that is only in the run's v1
// hierarchies (in a hybrid layout a warm pipelines task joins those alone), which v2's cgroup.kill does not reach.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Cgroups, releaseCgroups } from './cgroups.js';

const cgroups = Cgroups.detect();

function exited(child: ChildProcess): Promise<NodeJS.Signals | null> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve(child.signalCode);
    else child.once('exit', (_code, signal) => resolve(signal));
  });
}

describe("a run's cgroups", { skip: !cgroups.status.tracked && 'this machine has no writable cgroups' }, () => {
  test('releasing them kills a member in every hierarchy and one only in the v1 hierarchies', async (t) => {
    const uid = `cgroups-test-${process.pid}`;
    const dirs = cgroups.createRun(uid, 'main', 0, {});
    const v1 = dirs.filter((d) => cgroups.versionOf(d) === 1);
    const v2 = dirs.filter((d) => cgroups.versionOf(d) === 2);
    if (v1.length === 0 || v2.length === 0) {
      cgroups.releasePodSync(uid, dirs);
      t.skip('not a hybrid layout: every member of a run is in the same hierarchies');
      return;
    }
    const everywhere = spawn('sleep', ['600'], { stdio: 'ignore' });
    const v1Only = spawn('sleep', ['600'], { stdio: 'ignore' });
    try {
      for (const d of dirs) writeFileSync(join(d, 'cgroup.procs'), String(everywhere.pid));
      for (const d of v1) writeFileSync(join(d, 'cgroup.procs'), String(v1Only.pid));
      // releaseCgroups waits on unref'd timers (it runs inside the kubelet): keep the test's event loop alive meanwhile.
      const alive = setInterval(() => undefined, 1000);
      try {
        assert.equal(await releaseCgroups(dirs), true, 'every member died and the cgroups were removed');
      } finally {
        clearInterval(alive);
      }
      assert.deepEqual(await Promise.all([exited(everywhere), exited(v1Only)]), ['SIGKILL', 'SIGKILL']);
    } finally {
      everywhere.kill('SIGKILL');
      v1Only.kill('SIGKILL');
      cgroups.releasePodSync(uid, dirs);
    }
  });
});
