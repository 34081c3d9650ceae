// Integration: the one-node scheduler against a real Floe: taints and tolerations, requests, gangs, retries.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../api/meta.js';
import { PatchType } from '../client/client.js';
import { waitFor } from '../../test/helpers/wait.js';
import { GroupAnnotation, MinAvailableAnnotation } from './scheduling.js';
import { podManifest, startHarness, type Harness } from '../../test/helpers/kubelet-harness.js';
import { NodeRef, PodRef, type Pod } from './types.js';

const sleeper = { command: ['sleep', '300'] };

async function pod(h: Harness, ns: string, name: string): Promise<Pod> {
  return h.client.get<Pod>(PodRef, name, ns);
}

function scheduled(p: Pod): { status?: string; reason?: string; message?: string } | undefined {
  return p.status?.conditions?.find((c) => c.type === 'PodScheduled');
}

/** What the scheduler saw, for a failure message. */
async function snapshot(h: Harness): Promise<string> {
  const pods = (await h.client.list<Pod>(PodRef)).items.map((p) => `${p.metadata.namespace ?? ''}/${p.metadata.name ?? ''} node=${p.spec.nodeName ?? ''} phase=${p.status?.phase ?? ''} deleting=${Boolean(p.metadata.deletionTimestamp)} ${scheduled(p)?.message ?? ''}`);
  const node = await h.client.get(NodeRef, 'floe-test');
  return `pods: ${pods.join('; ')}; node: ${JSON.stringify(node.spec)} ${JSON.stringify((node.status as { allocatable?: unknown }).allocatable)}`;
}

async function explained<T>(h: Harness, wait: Promise<T>): Promise<T> {
  try {
    return await wait;
  } catch (err) {
    throw new Error(`${(err as Error).message}; ${await snapshot(h)}`);
  }
}

async function unschedulable(h: Harness, ns: string, name: string): Promise<string> {
  const p = await explained(h, waitFor(async () => {
    const current = await pod(h, ns, name);
    return scheduled(current)?.reason === 'Unschedulable' ? current : undefined;
  }, { what: `${name} to be Unschedulable` }));
  assert.equal(p.spec.nodeName, undefined);
  assert.equal(p.status?.phase, 'Pending');
  return scheduled(p)?.message ?? '';
}

async function bound(h: Harness, ns: string, name: string): Promise<Pod> {
  return explained(h, waitFor(async () => {
    const current = await pod(h, ns, name);
    return current.spec.nodeName ? current : undefined;
  }, { what: `${name} to be bound` }));
}

async function eventsOf(h: Harness, ns: string, name: string): Promise<KubeObject[]> {
  const list = await h.client.list({ apiVersion: 'v1', kind: 'Event' }, { namespace: ns });
  return list.items.filter((e) => (e.involvedObject as { name?: string }).name === name);
}

describe('scheduler', () => {
  let h: Harness;

  before(async () => {
    h = await startHarness({ config: { labels: { 'floe.dev/pool': 'main' }, taints: [{ key: 'dedicated', value: 'ml', effect: 'NoSchedule' }] } });
  });

  after(async () => {
    await h.stop();
  });

  test('a taint blocks a Pod without a toleration, with kube-scheduler wording and a FailedScheduling event', async () => {
    const ns = await h.namespace('taint');
    await h.client.create(podManifest(ns, 'blocked', [sleeper]));
    const message = await unschedulable(h, ns, 'blocked');
    assert.equal(message, '0/1 nodes are available: 1 node(s) had untolerated taint {dedicated: ml}.');
    await waitFor(async () => (await eventsOf(h, ns, 'blocked')).some((e) => e.reason === 'FailedScheduling' && e.type === 'Warning' && e.message === message), { what: 'a FailedScheduling event' });
  });

  const tolerations = [{ key: 'dedicated', operator: 'Equal' as const, value: 'ml', effect: 'NoSchedule' as const }];

  test('a toleration admits the Pod and a Scheduled event names the node', async () => {
    const ns = await h.namespace('tolerate');
    await h.client.create(podManifest(ns, 'admitted', [sleeper], { tolerations, nodeSelector: { 'floe.dev/pool': 'main' } }));
    const p = await bound(h, ns, 'admitted');
    assert.equal(p.spec.nodeName, 'floe-test');
    await waitFor(async () => (await eventsOf(h, ns, 'admitted')).some((e) => e.reason === 'Scheduled' && e.message === `Successfully assigned ${ns}/admitted to floe-test`), { what: 'a Scheduled event' });
    await waitFor(async () => scheduled(await pod(h, ns, 'admitted'))?.status === 'True', { what: 'PodScheduled=True' });
    await h.client.delete(PodRef, 'admitted', ns, { gracePeriodSeconds: 0 });
  });

  test('a node selector that matches nothing keeps the Pod Pending', async () => {
    const ns = await h.namespace('selector');
    await h.client.create(podManifest(ns, 'elsewhere', [sleeper], { tolerations, nodeSelector: { 'floe.dev/pool': 'other' } }));
    assert.equal(await unschedulable(h, ns, 'elsewhere'), "0/1 nodes are available: 1 node(s) didn't match Pod's node affinity/selector.");
  });

  test('a request larger than the node stays Pending with the reason, and is bound once the node grows', async () => {
    const ns = await h.namespace('big');
    await h.client.create(podManifest(ns, 'huge', [{ ...sleeper, resources: { requests: { cpu: '16', memory: '1Gi' } } }], { tolerations }));
    assert.equal(await unschedulable(h, ns, 'huge'), '0/1 nodes are available: 1 Insufficient cpu.');
    // Another writer (a test standing in for a bigger machine) raises allocatable; the scheduler retries on Node changes.
    const node = await h.client.get(NodeRef, 'floe-test');
    const status = node.status as { allocatable: Record<string, string> };
    await h.client.updateStatus({ ...node, status: { ...status, allocatable: { ...status.allocatable, cpu: '32' } } });
    await bound(h, ns, 'huge');
    await h.client.delete(PodRef, 'huge', ns, { gracePeriodSeconds: 0 });
    // The next heartbeat puts the configured capacity back.
    await waitFor(async () => ((await h.client.get(NodeRef, 'floe-test')).status as { allocatable: Record<string, string> }).allocatable.cpu === '4', { what: 'allocatable to be restored' });
  });

  test('requests add up: the second Pod waits until the first finishes', async () => {
    const ns = await h.namespace('sum');
    const cpu3 = { resources: { requests: { cpu: '3' } } };
    await h.client.create(podManifest(ns, 'first', [{ ...sleeper, ...cpu3 }], { tolerations }));
    await bound(h, ns, 'first');
    await h.client.create(podManifest(ns, 'second', [{ ...sleeper, ...cpu3 }], { tolerations }));
    assert.match(await unschedulable(h, ns, 'second'), /Insufficient cpu/);
    await h.client.delete(PodRef, 'first', ns, { gracePeriodSeconds: 1 });
    await bound(h, ns, 'second');
    await h.client.delete(PodRef, 'second', ns, { gracePeriodSeconds: 0 });
  });

  test('a gang is bound all together once min-available members exist', async () => {
    const ns = await h.namespace('gang');
    const member = (name: string): Pod =>
      podManifest(ns, name, [{ ...sleeper, resources: { requests: { cpu: '1' } } }], { tolerations }, { annotations: { [GroupAnnotation]: 'job', [MinAvailableAnnotation]: '3' } });
    await h.client.create(member('w0'));
    await h.client.create(member('w1'));
    assert.match(await unschedulable(h, ns, 'w0'), /pod group "job" has 2 of the 3 pods it needs/);
    assert.equal((await pod(h, ns, 'w1')).spec.nodeName, undefined);
    await h.client.create(member('w2'));
    for (const name of ['w0', 'w1', 'w2']) await bound(h, ns, name);
    for (const name of ['w0', 'w1', 'w2']) await h.client.delete(PodRef, name, ns, { gracePeriodSeconds: 0 });
  });

  test('a gang that does not fit together binds none of its members', async () => {
    const ns = await h.namespace('gang-big');
    const member = (name: string): Pod =>
      podManifest(ns, name, [{ ...sleeper, resources: { requests: { memory: '5Gi' } } }], { tolerations }, { annotations: { [GroupAnnotation]: 'big', [MinAvailableAnnotation]: '2' } });
    await h.client.create(member('a'));
    await h.client.create(member('b'));
    const message = await unschedulable(h, ns, 'a');
    assert.match(message, /all together or not at all/);
    assert.match(message, /Insufficient memory/);
    await unschedulable(h, ns, 'b');
    assert.equal((await pod(h, ns, 'a')).spec.nodeName, undefined);
    assert.equal((await pod(h, ns, 'b')).spec.nodeName, undefined);
  });

  test('kubectl cordon (spec.unschedulable) stops new bindings', async () => {
    const ns = await h.namespace('cordon');
    await h.client.patch(NodeRef, 'floe-test', undefined, { spec: { unschedulable: true } }, PatchType.Merge);
    try {
      await h.client.create(podManifest(ns, 'late', [sleeper], { tolerations }));
      assert.equal(await unschedulable(h, ns, 'late'), '0/1 nodes are available: 1 node(s) were unschedulable.');
    } finally {
      await h.client.patch(NodeRef, 'floe-test', undefined, { spec: { unschedulable: false } }, PatchType.Merge);
    }
    await bound(h, ns, 'late');
    await h.client.delete(PodRef, 'late', ns, { gracePeriodSeconds: 0 });
  });
});
