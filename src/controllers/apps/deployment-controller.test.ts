// Deployments and ReplicaSets on a real Floe with the local runtime: Pods, rollouts, revisions, Recreate, pause, history.
/* eslint-disable no-restricted-imports -- tests are composition roots: they start the server that runs these controllers */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { PodRef, type Pod } from '../../api/core-v1.js';
import type { Client } from '../../client/client.js';
import type { Floe } from '../../server/floe.js';
import { freshNamespace } from '../../../test/helpers/fixtures.js';
import { waitFor } from '../../../test/helpers/wait.js';
import { DeploymentRef, type Deployment } from './deployment-util.js';
import { SafeAlphabet } from './hash.js';
import { ReplicaSetRef, type ReplicaSet } from './replica-set-controller.js';
import { startEmbeddedFloe, type EmbeddedFloe } from '../../../test/helpers/embedded-floe.js';

const sleeper = (image = 'busybox'): Deployment['spec']['template'] => ({
  metadata: { labels: { app: 'web' } },
  spec: { containers: [{ name: 'main', image, command: ['sleep', '300'] }], terminationGracePeriodSeconds: 1 },
});

function deployment(ns: string, name: string, spec: Partial<Deployment['spec']> = {}): Deployment {
  return { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name, namespace: ns }, spec: { replicas: 3, selector: { matchLabels: { app: 'web' } }, template: sleeper(), ...spec } };
}

describe('apps/v1 Deployment and ReplicaSet controllers (embedded)', () => {
  let floe: Floe;
  let client: Client;
  let embedded: EmbeddedFloe;

  before(async () => {
    embedded = await startEmbeddedFloe('floe-apps-');
    ({ floe } = embedded);
    client = floe.client;
  });

  after(() => embedded.stop());

  const pods = async (ns: string): Promise<Pod[]> => (await client.list<Pod>(PodRef, { namespace: ns })).items.filter((p) => !p.metadata.deletionTimestamp);
  const replicaSets = async (ns: string): Promise<ReplicaSet[]> => (await client.list<ReplicaSet>(ReplicaSetRef, { namespace: ns })).items;
  const rolledOut = (ns: string, name: string): Promise<Deployment> =>
    waitFor(async () => {
      const d = await client.get<Deployment>(DeploymentRef, name, ns);
      const s = d.status;
      const r = d.spec.replicas ?? 1;
      const done = s && (s.observedGeneration ?? 0) >= (d.metadata.generation ?? 0) && s.updatedReplicas === r && s.replicas === r && s.availableReplicas === r;
      return done ? d : undefined;
    }, { what: `Deployment ${name} rolled out`, timeoutMs: 60_000 });

  test('a ReplicaSet keeps spec.replicas Pods, counts them, adopts a matching orphan and deletes the extra', async () => {
    const ns = await freshNamespace(client, 'rs-basic');
    const rs = await client.create<ReplicaSet>({ apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: { name: 'front', namespace: ns }, spec: { replicas: 2, selector: { matchLabels: { tier: 'front' } }, template: { metadata: { labels: { tier: 'front' } }, spec: { containers: [{ name: 'main', image: 'busybox', command: ['sleep', '300'] }], terminationGracePeriodSeconds: 1 } } } });
    const ready = await waitFor(async () => {
      const got = await client.get<ReplicaSet>(ReplicaSetRef, 'front', ns);
      return got.status?.readyReplicas === 2 && got.status.availableReplicas === 2 ? got : undefined;
    }, { what: 'two ready replicas', timeoutMs: 30_000 });
    assert.equal(ready.status?.fullyLabeledReplicas, 2);
    assert.equal(ready.status?.observedGeneration, ready.metadata.generation);
    const owned = await pods(ns);
    assert.equal(owned.length, 2);
    for (const p of owned) {
      assert.match(p.metadata.name ?? '', /^front-[a-z0-9]{5}$/);
      const ref = p.metadata.ownerReferences?.[0];
      assert.equal(ref?.uid, rs.metadata.uid);
      assert.equal(ref?.controller, true);
      assert.equal(ref?.blockOwnerDeletion, true);
    }
    // An orphan with the selector's labels is adopted, so one Pod too many: the not-ready one goes.
    await client.create<Pod>({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'orphan', namespace: ns, labels: { tier: 'front' } }, spec: { containers: [{ name: 'main', image: 'busybox', command: ['sleep', '300'] }], terminationGracePeriodSeconds: 1 } });
    await client.patch(ReplicaSetRef, 'front', ns, { spec: { replicas: 3 } }, 'application/merge-patch+json');
    await waitFor(async () => {
      const orphan = (await pods(ns)).find((p) => p.metadata.name === 'orphan');
      return orphan?.metadata.ownerReferences?.[0]?.uid === rs.metadata.uid;
    }, { what: 'the orphan adopted' });
    await waitFor(async () => (await client.get<ReplicaSet>(ReplicaSetRef, 'front', ns)).status?.readyReplicas === 3, { what: 'three ready', timeoutMs: 30_000 });
    assert.equal((await pods(ns)).length, 3);
    await client.patch(ReplicaSetRef, 'front', ns, { spec: { replicas: 1 } }, 'application/merge-patch+json');
    await waitFor(async () => (await pods(ns)).length === 1 && (await client.get<ReplicaSet>(ReplicaSetRef, 'front', ns)).status?.replicas === 1, { what: 'scaled down to one', timeoutMs: 30_000 });
    // A Pod relabelled out of the selector is released (its ownerReference dropped) and replaced.
    const [kept] = await pods(ns);
    await client.patch(PodRef, kept?.metadata.name ?? '', ns, { metadata: { labels: { tier: 'debug' } } }, 'application/merge-patch+json');
    await waitFor(async () => {
      const all = await pods(ns);
      const released = all.find((p) => p.metadata.name === kept?.metadata.name);
      return released && !released.metadata.ownerReferences?.length && all.filter((p) => p.metadata.labels?.tier === 'front').length === 1;
    }, { what: 'the relabelled Pod released and replaced', timeoutMs: 30_000 });
  });

  test('a Deployment rolls out a ReplicaSet named by its pod-template-hash, then rolls a new template out and keeps revisions', async () => {
    const ns = await freshNamespace(client, 'deploy-roll');
    await client.create(deployment(ns, 'web', { replicas: 4, strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } } }));
    const first = await rolledOut(ns, 'web');
    assert.equal(first.metadata.annotations?.['deployment.kubernetes.io/revision'], '1');
    const progressing = first.status?.conditions?.find((c) => c.type === 'Progressing');
    const available = first.status?.conditions?.find((c) => c.type === 'Available');
    assert.equal(available?.status, 'True');
    assert.equal(available?.reason, 'MinimumReplicasAvailable');
    assert.equal(available?.message, 'Deployment has minimum availability.');
    assert.equal(progressing?.reason, 'NewReplicaSetAvailable');
    const [rs1] = await replicaSets(ns);
    assert.ok(rs1);
    const hash = rs1.metadata.labels?.['pod-template-hash'] ?? '';
    assert.ok(hash.length > 0 && [...hash].every((c) => SafeAlphabet.includes(c)), hash);
    assert.equal(rs1.metadata.name, `web-${hash}`);
    assert.equal(progressing?.message, `ReplicaSet "web-${hash}" has successfully progressed.`);
    assert.deepEqual(rs1.spec.selector.matchLabels, { app: 'web', 'pod-template-hash': hash });
    assert.equal(rs1.metadata.annotations?.['deployment.kubernetes.io/desired-replicas'], '4');
    assert.equal(rs1.metadata.annotations?.['deployment.kubernetes.io/max-replicas'], '5');
    assert.ok((await pods(ns)).every((p) => p.metadata.labels?.['pod-template-hash'] === hash));

    // A new template: a second ReplicaSet takes over; never more than 5 Pods, never fewer than 4 available (maxSurge 1, maxUnavailable 0).
    await client.patch(DeploymentRef, 'web', ns, { metadata: { annotations: { 'kubernetes.io/change-cause': 'sleep longer' } }, spec: { template: { spec: { containers: [{ name: 'main', image: 'busybox', command: ['sleep', '301'] }] } } } }, 'application/merge-patch+json');
    const second = await rolledOut(ns, 'web');
    assert.equal(second.metadata.annotations?.['deployment.kubernetes.io/revision'], '2');
    const all = await replicaSets(ns);
    assert.equal(all.length, 2);
    const rs2 = all.find((r) => r.metadata.name !== rs1.metadata.name)!;
    assert.equal(rs2.metadata.annotations?.['deployment.kubernetes.io/revision'], '2');
    assert.equal(rs2.metadata.annotations?.['kubernetes.io/change-cause'], 'sleep longer');
    assert.equal(rs2.spec.replicas, 4);
    assert.equal(all.find((r) => r.metadata.name === rs1.metadata.name)?.spec.replicas, 0);
    await waitFor(async () => (await pods(ns)).length === 4, { what: 'the old Pods to go', timeoutMs: 30_000 });

    // Back to the first template (what `kubectl rollout undo` patches): the first ReplicaSet is reused as revision 3.
    await client.patch(DeploymentRef, 'web', ns, [{ op: 'replace', path: '/spec/template', value: sleeper() }], 'application/json-patch+json');
    const third = await rolledOut(ns, 'web');
    assert.equal(third.metadata.annotations?.['deployment.kubernetes.io/revision'], '3');
    const back = await client.get<ReplicaSet>(ReplicaSetRef, rs1.metadata.name ?? '', ns);
    assert.equal(back.metadata.annotations?.['deployment.kubernetes.io/revision'], '3');
    assert.equal(back.metadata.annotations?.['deployment.kubernetes.io/revision-history'], '1');
    assert.equal(back.spec.replicas, 4);
  });

  test('Recreate scales the old ReplicaSet to zero before the new one starts; revisionHistoryLimit removes old ReplicaSets', async () => {
    const ns = await freshNamespace(client, 'deploy-recreate');
    await client.create(deployment(ns, 'api', { replicas: 2, strategy: { type: 'Recreate' }, revisionHistoryLimit: 1 }));
    await rolledOut(ns, 'api');
    for (const seconds of ['301', '302']) {
      await client.patch(DeploymentRef, 'api', ns, { spec: { template: { spec: { containers: [{ name: 'main', image: 'busybox', command: ['sleep', seconds] }] } } } }, 'application/merge-patch+json');
      await rolledOut(ns, 'api');
    }
    const d = await client.get<Deployment>(DeploymentRef, 'api', ns);
    assert.equal(d.metadata.annotations?.['deployment.kubernetes.io/revision'], '3');
    const rss = await waitFor(async () => {
      const list = await replicaSets(ns);
      return list.length === 2 ? list : undefined;
    }, { what: 'one old ReplicaSet kept' });
    assert.deepEqual(rss.map((r) => r.metadata.annotations?.['deployment.kubernetes.io/revision']).sort(), ['2', '3']);
    const events = (await client.list({ apiVersion: 'v1', kind: 'Event' }, { namespace: ns })).items.map((e) => String(e.message));
    assert.ok(events.some((m) => /^Scaled down replica set api-[a-z0-9]+ from 2 to 0$/.test(m)), events.join('\n'));
  });

  test('paused: a template change makes no new ReplicaSet but scaling still applies; Progressing says paused, then resumed', async () => {
    const ns = await freshNamespace(client, 'deploy-pause');
    await client.create(deployment(ns, 'p', { replicas: 1 }));
    await rolledOut(ns, 'p');
    await client.patch(DeploymentRef, 'p', ns, { spec: { paused: true } }, 'application/merge-patch+json');
    const paused = await waitFor(async () => {
      const d = await client.get<Deployment>(DeploymentRef, 'p', ns);
      return d.status?.conditions?.find((c) => c.type === 'Progressing' && c.reason === 'DeploymentPaused') ? d : undefined;
    }, { what: 'DeploymentPaused' });
    assert.equal(paused.status?.conditions?.find((c) => c.type === 'Progressing')?.status, 'Unknown');
    await client.patch(DeploymentRef, 'p', ns, { spec: { replicas: 2, template: { spec: { containers: [{ name: 'main', image: 'busybox', command: ['sleep', '303'] }] } } } }, 'application/merge-patch+json');
    await waitFor(async () => (await client.get<Deployment>(DeploymentRef, 'p', ns)).status?.availableReplicas === 2, { what: 'scaled while paused', timeoutMs: 30_000 });
    assert.equal((await replicaSets(ns)).length, 1);
    await client.patch(DeploymentRef, 'p', ns, { spec: { paused: false } }, 'application/merge-patch+json');
    const resumed = await rolledOut(ns, 'p');
    assert.equal((await replicaSets(ns)).length, 2);
    assert.equal(resumed.metadata.annotations?.['deployment.kubernetes.io/revision'], '2');
  });

  test('a Pod refused at admission (a ResourceQuota) sets ReplicaFailure FailedCreate on the ReplicaSet and the Deployment', async () => {
    const ns = await freshNamespace(client, 'deploy-quota');
    await client.create({ apiVersion: 'v1', kind: 'ResourceQuota', metadata: { name: 'two-pods', namespace: ns }, spec: { hard: { pods: '2' } } });
    await waitFor(async () => ((await client.get({ apiVersion: 'v1', kind: 'ResourceQuota' }, 'two-pods', ns)).status as { hard?: unknown } | undefined)?.hard, { what: 'the quota counted' });
    await client.create(deployment(ns, 'q', { replicas: 3 }));
    const d = await waitFor(async () => {
      const got = await client.get<Deployment>(DeploymentRef, 'q', ns);
      return got.status?.conditions?.find((c) => c.type === 'ReplicaFailure') ? got : undefined;
    }, { what: 'ReplicaFailure on the Deployment', timeoutMs: 30_000 });
    const failure = d.status?.conditions?.find((c) => c.type === 'ReplicaFailure');
    assert.equal(failure?.status, 'True');
    assert.equal(failure?.reason, 'FailedCreate');
    assert.match(failure?.message ?? '', /exceeded quota/);
    const [rs] = await replicaSets(ns);
    assert.equal(rs?.status?.conditions?.find((c) => c.type === 'ReplicaFailure')?.reason, 'FailedCreate');
    assert.equal((await pods(ns)).length, 2);
  });

  test('progressDeadlineSeconds: a rollout that cannot become available times out with ProgressDeadlineExceeded', async () => {
    const ns = await freshNamespace(client, 'deploy-deadline');
    const template = sleeper();
    // Running but never Ready: the readiness probe always fails.
    Object.assign(template.spec.containers[0]!, { readinessProbe: { exec: { command: ['false'] }, periodSeconds: 1 } });
    await client.create(deployment(ns, 'stuck', { replicas: 1, progressDeadlineSeconds: 2, minReadySeconds: 0, template }));
    const d = await waitFor(async () => {
      const got = await client.get<Deployment>(DeploymentRef, 'stuck', ns);
      return got.status?.conditions?.find((c) => c.type === 'Progressing' && c.reason === 'ProgressDeadlineExceeded') ? got : undefined;
    }, { what: 'ProgressDeadlineExceeded', timeoutMs: 30_000 }).catch(async (err: unknown) => {
      throw new Error(`${String(err)}: ${JSON.stringify((await client.get<Deployment>(DeploymentRef, 'stuck', ns)).status)}`);
    });
    const cond = d.status?.conditions?.find((c) => c.type === 'Progressing');
    assert.equal(cond?.status, 'False');
    assert.match(cond?.message ?? '', /^ReplicaSet "stuck-[a-z0-9]+" has timed out progressing\.$/);
    assert.equal(d.status?.conditions?.find((c) => c.type === 'Available')?.reason, 'MinimumReplicasUnavailable');
  });
});
