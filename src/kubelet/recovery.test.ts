// Crash safety: kill -9 the process running Floe and its Kubelet, start it again on the same data dir, and check adoption.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Client } from '../client/client.js';
import { waitFor } from '../../test/helpers/wait.js';
import { groupHasMembers, isAlive } from './proc.js';
import { killRecordedProcesses, nodeCommand, podManifest } from '../../test/helpers/kubelet-harness.js';
import { PodRef, type Pod } from './types.js';
import { killCrashFixture, startCrashFixture } from '../../test/helpers/crash-fixture.js';


interface Started {
  child: ChildProcess;
  client: Client;
}

const startFixture = (dataDir: string): Promise<Started> => startCrashFixture(dataDir);
const killHard = killCrashFixture;

function pidOf(p: Pod): number {
  return Number((p.status?.containerStatuses?.[0]?.containerID ?? '').replace('floe://', ''));
}

describe('crash safety', () => {
  let dataDir = '';
  let running: Started | undefined;

  before(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'floe-recovery-'));
  });

  after(async () => {
    if (running) await killHard(running.child);
    killRecordedProcesses(join(dataDir, 'kubelet'));
    rmSync(dataDir, { recursive: true, force: true });
  });

  test('a restarted Kubelet re-adopts live processes and finishes the ones that ended while it was down', async () => {
    running = await startFixture(dataDir);
    let client = running.client;
    const ns = 'recovery';
    await client.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
    const go = join(dataDir, 'go');
    const waitThenExit = (code: number): string[] =>
      nodeCommand(`console.log("waiting"); setInterval(() => { if (require("fs").existsSync(${JSON.stringify(go)})) { console.log("leaving with ${code}"); process.exit(${code}); } }, 50);`);
    await client.create(podManifest(ns, 'long', [{ command: nodeCommand('console.log("still here"); setInterval(() => {}, 1000)') }], { terminationGracePeriodSeconds: 2 }));
    await client.create(podManifest(ns, 'crashes', [{ command: waitThenExit(3) }], { restartPolicy: 'OnFailure' }));
    await client.create(podManifest(ns, 'finishes', [{ command: waitThenExit(0) }], { restartPolicy: 'Never' }));
    const runningPod = async (name: string): Promise<Pod> =>
      waitFor(async () => {
        const p = await client.get<Pod>(PodRef, name, ns);
        return p.status?.containerStatuses?.[0]?.state.running && p.status.containerStatuses[0].containerID ? p : undefined;
      }, { what: `${name} to run`, timeoutMs: 15_000 });
    const long = await runningPod('long');
    const crashes = await runningPod('crashes');
    const finishes = await runningPod('finishes');
    const longPid = pidOf(long);

    await killHard(running.child);
    running = undefined;
    // While Floe is down, two of the processes end.
    writeFileSync(go, '');
    await waitFor(() => !groupHasMembers(pidOf(crashes)) && !groupHasMembers(pidOf(finishes)), { what: 'the processes to end during the outage' });
    assert.ok(isAlive(longPid, undefined), 'the long-running process outlives Floe');

    running = await startFixture(dataDir);
    client = running.client;
    const done = await waitFor(async () => {
      const p = await client.get<Pod>(PodRef, 'finishes', ns);
      return p.status?.phase === 'Succeeded' ? p : undefined;
    }, { what: 'finishes to be Succeeded', timeoutMs: 15_000 });
    const t = done.status?.containerStatuses?.[0]?.state.terminated;
    assert.equal(t?.exitCode, 0);
    assert.equal(t?.reason, 'Completed');

    const restarted = await waitFor(async () => {
      const p = await client.get<Pod>(PodRef, 'crashes', ns);
      const cs = p.status?.containerStatuses?.[0];
      return (cs?.restartCount ?? 0) >= 1 && cs?.lastState.terminated?.exitCode === 3 ? p : undefined;
    }, { what: 'crashes to be restarted with its exit code', timeoutMs: 15_000 });
    assert.equal(restarted.status?.containerStatuses?.[0]?.lastState.terminated?.reason, 'Error');

    const adopted = await client.get<Pod>(PodRef, 'long', ns);
    assert.equal(adopted.status?.phase, 'Running');
    assert.equal(pidOf(adopted), longPid, 'the same process, not a new one');
    assert.equal(adopted.status?.containerStatuses?.[0]?.restartCount, 0);
    assert.ok(isAlive(longPid, undefined));

    // The adopted process is still managed: deleting its Pod stops it.
    await client.delete(PodRef, 'long', ns);
    await waitFor(async () => (await client.list<Pod>(PodRef, { namespace: ns })).items.every((p) => p.metadata.name !== 'long'), { what: 'long to be gone', timeoutMs: 15_000 });
    await waitFor(() => !groupHasMembers(longPid), { what: 'the adopted process to stop' });
  });
});
