// `floe up --no-host-process-fallback`: an image Floe can neither find in its store nor pull fails with the kubelet's
// ErrImagePull instead of running its command on the host; by default it still runs on the host, as before containers.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { kubectl, removeDir, startFloeProcess, waitFor, type RunningFloe } from './harness.js';

/** A Pod whose image exists nowhere: `.invalid` names never resolve. */
const pod = (name: string): string => JSON.stringify({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name },
  spec: { restartPolicy: 'Never', containers: [{ name: 'main', image: 'registry.floe.invalid/team/train:v3', command: ['sh', '-c', 'echo ran on the host'] }] },
});

interface PodView {
  status?: { phase?: string; containerStatuses?: { state?: { waiting?: { reason?: string; message?: string } } }[] };
}

async function podView(floe: RunningFloe, name: string): Promise<PodView> {
  const got = await kubectl(floe, ['get', 'pod', name, '-o', 'json']);
  assert.equal(got.code, 0, got.stderr);
  return JSON.parse(got.stdout) as PodView;
}

describe('the host-process fallback for images Floe cannot get', () => {
  const running: RunningFloe[] = [];
  after(async () => {
    for (const floe of running) {
      await floe.stop();
      removeDir(floe.dataDir);
    }
  });

  test('--no-host-process-fallback: the Pod waits with ErrImagePull (or its back-off) naming the image', async () => {
    const floe = await startFloeProcess(['--no-host-process-fallback']);
    running.push(floe);
    assert.equal((await kubectl(floe, ['apply', '-f', '-'], pod('strict'))).code, 0);
    const waiting = await waitFor(async () => {
      const reason = (await podView(floe, 'strict')).status?.containerStatuses?.[0]?.state?.waiting;
      return reason?.reason === 'ErrImagePull' || reason?.reason === 'ImagePullBackOff' ? reason : undefined;
    }, { what: 'the Pod to wait on its image', timeoutMs: 60_000 });
    assert.match(waiting.message ?? '', /registry\.floe\.invalid/);
  });

  test('by default the same Pod runs its command on the host', async () => {
    const floe = await startFloeProcess();
    running.push(floe);
    assert.equal((await kubectl(floe, ['apply', '-f', '-'], pod('lenient'))).code, 0);
    await waitFor(async () => (await podView(floe, 'lenient')).status?.phase === 'Succeeded', { what: 'the Pod to succeed', timeoutMs: 60_000 });
    const logs = await kubectl(floe, ['logs', 'lenient']);
    assert.match(logs.stdout, /ran on the host/);
  });
});
