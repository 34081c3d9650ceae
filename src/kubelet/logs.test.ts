// Integration: container logs as kubectl reads them — content, errors, --previous, --follow, --tail, --timestamps.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FloeError } from '../api/errors.js';
import { waitFor } from '../../test/helpers/wait.js';
import { rejectsWith } from '../../test/helpers/expect.js';
import type { LogOptions } from './logs.js';
import { nodeCommand, podManifest, startHarness, type Harness } from '../../test/helpers/kubelet-harness.js';
import { PodRef, type Pod } from './types.js';

async function read(h: Harness, ns: string, name: string, options: LogOptions = {}): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of h.kubelet.logs(ns, name, options)) chunks.push(chunk);
  return Buffer.concat(chunks).toString('utf8');
}

async function until(h: Harness, ns: string, name: string, what: string, check: (p: Pod) => boolean): Promise<Pod> {
  return waitFor(async () => {
    const p = await h.client.get<Pod>(PodRef, name, ns);
    return check(p) ? p : undefined;
  }, { what, timeoutMs: 15_000 });
}

const printLines = (n: number, delayMs = 0): string[] =>
  nodeCommand(`let i = 0; const next = () => { if (i === ${n}) return; console.log("line " + ++i); setTimeout(next, ${delayMs}); }; next();`);

describe('logs', () => {
  let h: Harness;
  let scratch: string;

  before(async () => {
    h = await startHarness();
    scratch = mkdtempSync(join(tmpdir(), 'floe-logs-scratch-'));
  });

  after(async () => {
    await h.stop();
    rmSync(scratch, { recursive: true, force: true });
  });

  test('stdout and stderr of a finished container, whole or tailed', async () => {
    const ns = await h.namespace('content');
    await h.client.create(podManifest(ns, 'p', [{ command: nodeCommand('console.log("out 1"); console.error("err 2"); console.log("out 3")') }], { restartPolicy: 'Never' }));
    await until(h, ns, 'p', 'Succeeded', (p) => p.status?.phase === 'Succeeded');
    const text = await read(h, ns, 'p');
    assert.deepEqual(text.split('\n').sort(), ['', 'err 2', 'out 1', 'out 3']);
    assert.equal((await read(h, ns, 'p', { tailLines: 1 })).split('\n').length, 2);
    assert.equal(await read(h, ns, 'p', { tailLines: 0 }), '');
  });

  test('errors read like kube-apiserver', async () => {
    const ns = await h.namespace('errors');
    await rejectsWith(read(h, ns, 'missing'), 'NotFound');
    await h.client.create(podManifest(ns, 'two', [{ name: 'a', command: ['sleep', '300'] }, { name: 'b', command: ['sleep', '300'] }]));
    const ambiguous = await rejectsWith(read(h, ns, 'two'), 'BadRequest');
    assert.equal(ambiguous.message, 'a container name must be specified for pod two, choose one of: [a b]');
    const unknown = await rejectsWith(read(h, ns, 'two', { container: 'c' }), 'BadRequest');
    assert.equal(unknown.message, 'container c is not valid for pod two');
    const env = [{ name: 'V', valueFrom: { configMapKeyRef: { name: 'absent', key: 'v' } } }];
    await h.client.create(podManifest(ns, 'stuck', [{ command: ['true'], env }]));
    await until(h, ns, 'stuck', 'CreateContainerConfigError', (p) => p.status?.containerStatuses?.[0]?.state.waiting?.reason === 'CreateContainerConfigError');
    const waiting = await rejectsWith(read(h, ns, 'stuck'), 'BadRequest');
    assert.equal(waiting.message, 'container "main" in pod "stuck" is waiting to start: CreateContainerConfigError');
    await h.client.create(podManifest(ns, 'once', [{ command: ['true'] }], { restartPolicy: 'Never' }));
    await until(h, ns, 'once', 'Succeeded', (p) => p.status?.phase === 'Succeeded');
    const previous = await rejectsWith(read(h, ns, 'once', { previous: true }), 'BadRequest');
    assert.equal(previous.message, 'previous terminated container "main" in pod "once" not found');
    for (const name of ['two', 'stuck']) await h.client.delete(PodRef, name, ns, { gracePeriodSeconds: 0 });
  });

  test('--previous reads the run before the current one', async () => {
    const counter = join(scratch, 'runs');
    const script = `const fs = require("fs"); const n = (fs.existsSync(${JSON.stringify(counter)}) ? Number(fs.readFileSync(${JSON.stringify(counter)}, "utf8")) : 0) + 1;
      fs.writeFileSync(${JSON.stringify(counter)}, String(n)); console.log("run " + n); if (n < 3) process.exit(1); setInterval(() => {}, 1000);`;
    const ns = await h.namespace('previous');
    await h.client.create(podManifest(ns, 'flaky', [{ command: nodeCommand(script) }], { restartPolicy: 'OnFailure', terminationGracePeriodSeconds: 1 }));
    await until(h, ns, 'flaky', 'running after two restarts', (p) => p.status?.containerStatuses?.[0]?.restartCount === 2 && p.status.containerStatuses[0].state.running !== undefined);
    await waitFor(async () => (await read(h, ns, 'flaky')) === 'run 3\n', { what: 'the current run to log' });
    assert.equal(await read(h, ns, 'flaky', { previous: true }), 'run 2\n');
    await h.client.delete(PodRef, 'flaky', ns);
  });

  test('--follow streams until the container ends', async () => {
    const ns = await h.namespace('follow');
    await h.client.create(podManifest(ns, 'ticker', [{ command: printLines(5, 100) }], { restartPolicy: 'Never' }));
    await until(h, ns, 'ticker', 'Running', (p) => p.status?.containerStatuses?.[0]?.state.running !== undefined);
    const text = await read(h, ns, 'ticker', { follow: true });
    assert.equal(text, 'line 1\nline 2\nline 3\nline 4\nline 5\n');
  });

  test('--follow stops when its signal aborts', async () => {
    const ns = await h.namespace('abort');
    await h.client.create(podManifest(ns, 'forever', [{ command: nodeCommand('console.log("hi"); setInterval(() => {}, 1000)') }], { terminationGracePeriodSeconds: 1 }));
    await until(h, ns, 'forever', 'Running', (p) => p.status?.containerStatuses?.[0]?.state.running !== undefined);
    const abort = new AbortController();
    const chunks: string[] = [];
    for await (const chunk of h.kubelet.logs(ns, 'forever', { follow: true, signal: abort.signal })) {
      chunks.push(chunk.toString());
      if (chunks.join('').includes('hi\n')) abort.abort();
    }
    assert.equal(chunks.join(''), 'hi\n');
    await h.client.delete(PodRef, 'forever', ns);
  });

  test('--timestamps prefixes each line with an RFC 3339 time', async () => {
    const ns = await h.namespace('stamps');
    const before = Date.now() - 1000;
    await h.client.create(podManifest(ns, 'stamped', [{ command: printLines(3, 50) }], { restartPolicy: 'Never' }));
    await until(h, ns, 'stamped', 'Succeeded', (p) => p.status?.phase === 'Succeeded');
    const lines = (await read(h, ns, 'stamped', { timestamps: true })).trimEnd().split('\n');
    assert.equal(lines.length, 3);
    let previous = 0;
    lines.forEach((line, i) => {
      const match = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?Z) line (\d)$/.exec(line);
      assert.ok(match, `a timestamped line: ${line}`);
      assert.equal(match[2], String(i + 1));
      const at = Date.parse(match[1]!);
      assert.ok(at >= before && at <= Date.now() + 1000, `a plausible time: ${match[1]!}`);
      assert.ok(at >= previous, 'times do not go backwards');
      previous = at;
    });
    const tailed = (await read(h, ns, 'stamped', { timestamps: true, tailLines: 1 })).trimEnd();
    assert.match(tailed, /Z line 3$/);
  });

  test('a Pod that is not found is a NotFound FloeError', async () => {
    const err = await rejectsWith(read(h, 'default', 'nope'), 'NotFound');
    assert.ok(err instanceof FloeError);
  });
});
