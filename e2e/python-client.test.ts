// The official Kubernetes Python client (pinned in requirements.txt, installed into .venv) against a running Floe.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { removeDir, startFloeProcess, type RunningFloe } from './harness.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const script = fileURLToPath(new URL('../../e2e/python/client_check.py', import.meta.url));
let floe: RunningFloe;
before(async () => { floe = await startFloeProcess(); });
after(async () => {
  await floe.stop();
  removeDir(floe.dataDir);
});

test('the kubernetes Python client lists, pages, updates, patches, conflicts and watches', () => {
  const r = spawnSync(`${root}.venv/bin/python`, [script, floe.kubeconfig], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const seen = JSON.parse(r.stdout.trim().split('\n').at(-1) ?? '{}') as Record<string, unknown>;
  assert.deepEqual(seen.even, ['cm-0', 'cm-2']);
  assert.deepEqual(seen.first_page, ['cm-0', 'cm-1']);
  assert.equal(seen.has_continue, true);
  // Every namespace has the root CA ConfigMap, as on a cluster: it sorts after the test's own.
  assert.deepEqual(seen.second_page, ['cm-2', 'kube-root-ca.crt']);
  assert.equal(seen.rv_changed, true);
  assert.equal(seen.conflict, 409);
  assert.equal(seen.patched, 'yes');
  assert.deepEqual(seen.missing, [404, 'NotFound']);
  assert.deepEqual(seen.watched, ['MODIFIED cm-1', 'DELETED cm-2']);
});
