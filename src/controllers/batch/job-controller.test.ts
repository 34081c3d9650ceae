// batch/v1 Jobs on a real Floe with the local runtime: completions and parallelism, Indexed, backoff, deadline, checks.
/* eslint-disable no-restricted-imports -- tests are composition roots: they start the server that runs this controller */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { FloeError } from '../../api/errors.js';
import { PodRef, type Pod } from '../../api/core-v1.js';
import type { Client } from '../../client/client.js';
import type { Floe } from '../../server/floe.js';
import { freshNamespace } from '../../../test/helpers/fixtures.js';
import { waitFor } from '../../../test/helpers/wait.js';
import { formatIndexes, JobRef, type Job } from './job-controller.js';
import { startEmbeddedFloe, type EmbeddedFloe } from '../../../test/helpers/embedded-floe.js';

function job(ns: string, name: string, command: string[], spec: Record<string, unknown> = {}, restartPolicy = 'Never'): Job {
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name, namespace: ns },
    spec: { ...spec, template: { spec: { restartPolicy, containers: [{ name: 'main', image: 'busybox', command }] } } },
  } as Job;
}

test('completed indexes are written as ranges', () => {
  assert.equal(formatIndexes([0, 1, 2, 4, 6, 7]), '0-2,4,6-7');
  assert.equal(formatIndexes([]), '');
});

describe('batch/v1 Job controller (embedded)', () => {
  let floe: Floe;
  let client: Client;
  let embedded: EmbeddedFloe;

  before(async () => {
    embedded = await startEmbeddedFloe('floe-jobs-');
    ({ floe } = embedded);
    client = floe.client;
  });

  after(() => embedded.stop());

  const until = (ns: string, name: string, type: string): Promise<Job> =>
    waitFor(async () => {
      const j = await client.get<Job>(JobRef, name, ns);
      return j.status?.conditions?.some((c) => c.type === type && c.status === 'True') ? j : undefined;
    }, { what: `Job ${name} ${type}`, timeoutMs: 30_000 });
  const podsOf = async (ns: string): Promise<Pod[]> => (await client.list<Pod>(PodRef, { namespace: ns })).items;

  test('completions 3 with parallelism 2: three Pods succeed, the Job is Complete; the selector and labels come from its uid', async () => {
    const ns = await freshNamespace(client, 'job-complete');
    const created = await client.create(job(ns, 'three', ['true'], { completions: 3, parallelism: 2 }));
    const uid = created.metadata.uid ?? '';
    assert.deepEqual(created.spec.selector, { matchLabels: { 'batch.kubernetes.io/controller-uid': uid } });
    assert.equal(created.spec.backoffLimit, 6);
    const done = await until(ns, 'three', 'Complete');
    assert.equal(done.status?.succeeded, 3);
    assert.equal(done.status?.active, 0);
    assert.ok(done.status?.startTime && done.status.completionTime);
    const pods = await podsOf(ns);
    assert.equal(pods.length, 3);
    for (const p of pods) {
      assert.equal(p.metadata.labels?.['batch.kubernetes.io/job-name'], 'three');
      assert.equal(p.metadata.labels?.['controller-uid'], uid);
      assert.match(p.metadata.name ?? '', /^three-[a-z0-9]{5}$/);
    }
  });

  test('Indexed: each index runs once with JOB_COMPLETION_INDEX; completedIndexes says which finished', async () => {
    const ns = await freshNamespace(client, 'job-indexed');
    await client.create(job(ns, 'idx', ['sh', '-c', 'echo index=$JOB_COMPLETION_INDEX'], { completions: 3, parallelism: 3, completionMode: 'Indexed' }));
    const done = await until(ns, 'idx', 'Complete');
    assert.equal(done.status?.completedIndexes, '0-2');
    const indexes = (await podsOf(ns)).map((p) => p.metadata.annotations?.['batch.kubernetes.io/job-completion-index']).sort();
    assert.deepEqual(indexes, ['0', '1', '2']);
    const pod = (await podsOf(ns)).find((p) => p.metadata.annotations?.['batch.kubernetes.io/job-completion-index'] === '1')!;
    const res = await fetch(`${floe.url}/api/v1/namespaces/${ns}/pods/${pod.metadata.name ?? ''}/log`);
    assert.equal(await res.text(), 'index=1\n');
  });

  test('failing Pods are replaced until the backoff limit, then the Job fails with BackoffLimitExceeded', async () => {
    const ns = await freshNamespace(client, 'job-backoff');
    await client.create(job(ns, 'flaky', ['sh', '-c', 'exit 3'], { backoffLimit: 1 }));
    const failed = await until(ns, 'flaky', 'Failed');
    const condition = failed.status?.conditions?.find((c) => c.type === 'Failed');
    assert.equal(condition?.reason, 'BackoffLimitExceeded');
    assert.equal(condition?.message, 'Job has reached the specified backoff limit');
    assert.equal(failed.status?.failed, 2);
  });

  test('activeDeadlineSeconds fails a running Job and deletes its Pods', async () => {
    const ns = await freshNamespace(client, 'job-deadline');
    await client.create(job(ns, 'slow', ['sleep', '300'], { activeDeadlineSeconds: 1 }));
    const failed = await until(ns, 'slow', 'Failed');
    assert.equal(failed.status?.conditions?.find((c) => c.type === 'Failed')?.reason, 'DeadlineExceeded');
    await waitFor(async () => (await podsOf(ns)).every((p) => p.metadata.deletionTimestamp || p.status?.phase !== 'Running'), { what: 'the running Pod to go' });
  });

  test('a bad Job is refused with the fields named', async () => {
    const ns = await freshNamespace(client, 'job-invalid');
    await assert.rejects(client.create(job(ns, 'bad', ['true'], { parallelism: -1 }, 'Always')), (err: unknown) => {
      assert.ok(err instanceof FloeError);
      assert.equal(err.reason, 'Invalid');
      assert.match(err.message, /spec\.parallelism/);
      assert.match(err.message, /spec\.template\.spec\.restartPolicy/);
      return true;
    });
  });
});
