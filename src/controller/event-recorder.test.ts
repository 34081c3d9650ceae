// EventRecorder against a real Floe: core/v1 Events kubectl describe finds, repeats folded into one count.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
// Integration tests start a real Floe; the runtime itself imports only api and client.
// eslint-disable-next-line no-restricted-imports
import { defaultConfig } from '../server/config.js';
// eslint-disable-next-line no-restricted-imports
import { startFloe, type Floe } from '../server/floe.js';
import { configMap, freshNamespace } from '../../test/helpers/fixtures.js';
import { ManualClock } from './clock.js';
import { EventRecorder, EventRef, type KubeEvent } from './event-recorder.js';

describe('EventRecorder', () => {
  let dataDir = '';
  let floe: Floe;

  before(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'floe-events-'));
    floe = await startFloe({ ...defaultConfig(), dataDir, port: 0, logLevel: 'silent' });
  });

  after(async () => {
    await floe.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  /** The Events kubectl describe shows for an object: it selects on these involvedObject fields. */
  async function describeEvents(namespace: string, kind: string, name: string, uid: string): Promise<KubeEvent[]> {
    const fieldSelector = `involvedObject.name=${name},involvedObject.namespace=${namespace},involvedObject.kind=${kind},involvedObject.uid=${uid}`;
    const list = await floe.client.list<KubeEvent>(EventRef, { namespace, fieldSelector });
    return list.items.sort((a, b) => a.reason.localeCompare(b.reason));
  }

  test('writes an Event with the fields kubectl describe reads', async () => {
    const ns = await freshNamespace(floe.client, 'events-fields');
    const cm = await floe.client.create(configMap(ns, 'subject'));
    const clock = new ManualClock({ startMs: Date.parse('2025-03-01T10:00:00Z') });
    const recorder = new EventRecorder({ client: floe.client, component: 'test-controller', host: 'box-1', clock });
    recorder.event(cm, 'Normal', 'Configured', 'the subject is configured');
    await recorder.flush();
    const events = await describeEvents(ns, 'ConfigMap', 'subject', cm.metadata.uid ?? '');
    assert.equal(events.length, 1);
    const e = events[0];
    assert.ok(e);
    assert.deepEqual(e.involvedObject, { apiVersion: 'v1', kind: 'ConfigMap', name: 'subject', namespace: ns, uid: cm.metadata.uid, resourceVersion: cm.metadata.resourceVersion });
    assert.equal(e.metadata.namespace, ns);
    assert.match(e.metadata.name ?? '', /^subject\.[0-9a-f]{16}$/);
    assert.equal(e.type, 'Normal');
    assert.equal(e.reason, 'Configured');
    assert.equal(e.message, 'the subject is configured');
    assert.deepEqual(e.source, { component: 'test-controller', host: 'box-1' });
    assert.equal(e.firstTimestamp, '2025-03-01T10:00:00Z');
    assert.equal(e.lastTimestamp, '2025-03-01T10:00:00Z');
    assert.equal(e.count, 1);
    assert.equal(e.reportingComponent, 'test-controller');
  });

  test('a repeat bumps count and lastTimestamp on the same Event; a different message is a new Event', async () => {
    const ns = await freshNamespace(floe.client, 'events-repeat');
    const cm = await floe.client.create(configMap(ns, 'noisy'));
    const clock = new ManualClock({ startMs: Date.parse('2025-03-01T10:00:00Z') });
    const recorder = new EventRecorder({ client: floe.client, component: 'test-controller', clock });
    recorder.event(cm, 'Warning', 'BackOff', 'retrying');
    clock.advance(30_000);
    recorder.event(cm, 'Warning', 'BackOff', 'retrying');
    clock.advance(30_000);
    recorder.event(cm, 'Warning', 'BackOff', 'retrying');
    recorder.event(cm, 'Normal', 'Recovered', 'back to normal');
    await recorder.flush();
    const events = await describeEvents(ns, 'ConfigMap', 'noisy', cm.metadata.uid ?? '');
    assert.deepEqual(events.map((e) => [e.reason, e.type, e.count]), [['BackOff', 'Warning', 3], ['Recovered', 'Normal', 1]]);
    const backoff = events[0];
    assert.equal(backoff?.firstTimestamp, '2025-03-01T10:00:00Z');
    assert.equal(backoff?.lastTimestamp, '2025-03-01T10:01:00Z');
  });

  test('a second recorder (a restart, another replica) folds into the same Event', async () => {
    const ns = await freshNamespace(floe.client, 'events-restart');
    const cm = await floe.client.create(configMap(ns, 'shared'));
    const first = new EventRecorder({ client: floe.client, component: 'test-controller' });
    first.event(cm, 'Normal', 'Synced', 'in sync');
    await first.flush();
    const second = new EventRecorder({ client: floe.client, component: 'test-controller' });
    second.event(cm, 'Normal', 'Synced', 'in sync');
    second.event(cm, 'Normal', 'Synced', 'in sync');
    await second.flush();
    const events = await describeEvents(ns, 'ConfigMap', 'shared', cm.metadata.uid ?? '');
    assert.deepEqual(events.map((e) => e.count), [3]);
  });

  test('failures go to onError, never to the caller', async () => {
    const errors: unknown[] = [];
    const recorder = new EventRecorder({ client: floe.client, component: 'test-controller', onError: (err) => errors.push(err) });
    recorder.event({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'ghost', namespace: 'no-such-namespace-anywhere' } }, 'Normal', 'Ghost', 'boo');
    await recorder.flush();
    assert.equal(errors.length, 1);
  });
});
