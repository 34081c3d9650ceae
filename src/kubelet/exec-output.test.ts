// Integration: an exec'd command's output waits for the client. A command that ends before the client's streams are
// ready (a SPDY handshake on a loaded machine takes longer than `echo`) must not lose what it wrote.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Readable } from 'node:stream';
import { podManifest, podRunning, startHarness, type Harness } from '../../test/helpers/kubelet-harness.js';

let h: Harness;

before(async () => {
  h = await startHarness();
});

after(async () => {
  await h.stop();
});

async function readAll(stream: Readable | undefined): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream ?? []) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

test('output written before the exit is kept until the client reads it, however late', async () => {
  const ns = await h.namespace('exec-late');
  await h.client.create(podManifest(ns, 'shell', [{ image: 'busybox:1.36', command: ['sleep', '600'] }]));
  await podRunning(h.client, ns, 'shell');
  const session = await h.kubelet.exec(ns, 'shell', { command: ['sh', '-c', 'echo hi; echo err >&2; exit 3'], stdin: false, stdout: true, stderr: true, tty: false });
  assert.deepEqual(await session.exit, { kind: 'exited', code: 3 });
  // The client is slow: Node would have flushed unread pipes of the exited child by now.
  await sleep(200);
  assert.equal(await readAll(session.stdout), 'hi\n');
  assert.equal(await readAll(session.stderr), 'err\n');
});
