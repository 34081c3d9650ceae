// StatefulSets, DaemonSets, PodDisruptionBudgets and the local-path provisioner on a real Floe with the local runtime.
/* eslint-disable no-restricted-imports -- tests are composition roots: they start the server that runs these controllers */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { FloeError } from '../../api/errors.js';
import { NodeRef, PodRef, type Node, type Pod } from '../../api/core-v1.js';
import type { KubeObject, WatchEvent } from '../../api/meta.js';
import type { Client } from '../../client/client.js';
import type { Floe } from '../../server/floe.js';
import { freshNamespace } from '../../../test/helpers/fixtures.js';
import { waitFor } from '../../../test/helpers/wait.js';
import { ControllerRevisionRef, isRunningAndReady, revisionHash, type ControllerRevision } from './controller-revision.js';
import { DaemonSetRef, daemonTolerations, nodeOfPod, pinToNode, scaled, shouldRunOn, type DaemonSet } from './daemon-set.js';
import { PodDisruptionBudgetRef, budget, type PodDisruptionBudget } from './pdb.js';
import { ClaimRef, StatefulSetRef, claimName, ordinalOf, statefulPod, type StatefulSet } from './stateful-set.js';
import { StorageClassRef, VolumeRef, type Claim, type Volume } from '../storage/local-path.js';
import { startEmbeddedFloe, type EmbeddedFloe } from '../../../test/helpers/embedded-floe.js';

const template = (app: string, script: string, extra: Record<string, unknown> = {}): StatefulSet['spec']['template'] => ({
  metadata: { labels: { app } },
  spec: { terminationGracePeriodSeconds: 1, containers: [{ name: 'main', image: 'busybox', command: ['sh', '-c', script], ...extra }] },
});

describe('StatefulSet, DaemonSet and PDB planning (pure)', () => {
  test('ordinals, claim names and the Pod identity', () => {
    assert.equal(ordinalOf('web', 'web-0'), 0);
    assert.equal(ordinalOf('web', 'web-12'), 12);
    assert.equal(ordinalOf('web', 'web-01'), undefined);
    assert.equal(ordinalOf('web', 'webx-1'), undefined);
    assert.equal(claimName('data', 'web', 2), 'data-web-2');
    const set: StatefulSet = {
      apiVersion: 'apps/v1',
      kind: 'StatefulSet',
      metadata: { name: 'web', namespace: 'ns', uid: 'u1' },
      spec: { serviceName: 'svc', selector: { matchLabels: { app: 'web' } }, template: { ...template('web', 'true'), spec: { ...template('web', 'true').spec, volumes: [{ name: 'data', emptyDir: {} }] } }, volumeClaimTemplates: [{ metadata: { name: 'data' } }] },
    };
    const revision = { apiVersion: 'apps/v1', kind: 'ControllerRevision', metadata: { name: 'web-abc' }, revision: 1 } as ControllerRevision;
    const pod = statefulPod(set, revision, set.spec.template, 2);
    assert.equal(pod.metadata.name, 'web-2');
    assert.deepEqual(pod.metadata.labels, { app: 'web', 'statefulset.kubernetes.io/pod-name': 'web-2', 'apps.kubernetes.io/pod-index': '2', 'controller-revision-hash': 'web-abc' });
    assert.equal(pod.spec.hostname, 'web-2');
    assert.equal(pod.spec.subdomain, 'svc');
    assert.deepEqual(pod.spec.volumes, [{ name: 'data', persistentVolumeClaim: { claimName: 'data-web-2' } }], 'the claim replaces a volume of the same name');
    assert.equal(pod.metadata.ownerReferences?.[0]?.controller, true);
  });

  test('revision hashes use the safe alphabet and change with the collision count', () => {
    const a = revisionHash('{"spec":1}');
    assert.match(a, /^[bcdfghjklmnpqrstvwxz2456789]+$/);
    assert.equal(a, revisionHash('{"spec":1}'));
    assert.notEqual(a, revisionHash('{"spec":1}', 1));
  });

  test('daemon Pods: default tolerations, node pinning, eligibility by selector, affinity and taints', () => {
    const tolerations = daemonTolerations({ containers: [], tolerations: [{ key: 'x', operator: 'Exists' }] });
    assert.deepEqual(tolerations.map((t) => `${t.key ?? ''}:${t.effect ?? ''}`), ['x:', 'node.kubernetes.io/not-ready:NoExecute', 'node.kubernetes.io/unreachable:NoExecute', 'node.kubernetes.io/disk-pressure:NoSchedule', 'node.kubernetes.io/memory-pressure:NoSchedule', 'node.kubernetes.io/pid-pressure:NoSchedule', 'node.kubernetes.io/unschedulable:NoSchedule']);
    assert.ok(daemonTolerations({ containers: [], hostNetwork: true }).some((t) => t.key === 'node.kubernetes.io/network-unavailable'));
    const spec: Pod['spec'] = { containers: [] };
    pinToNode(spec, 'n1');
    assert.deepEqual(spec.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms, [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: ['n1'] }] }]);
    assert.equal(nodeOfPod({ apiVersion: 'v1', kind: 'Pod', metadata: {}, spec }), 'n1');
    const node = (labels: Record<string, string>, taints: NonNullable<Node['spec']>['taints'] = []): Node => ({ apiVersion: 'v1', kind: 'Node', metadata: { name: 'n1', labels }, spec: { taints } });
    const t = (extra: Partial<Pod['spec']>): StatefulSet['spec']['template'] => ({ spec: { containers: [], ...extra } });
    assert.deepEqual(shouldRunOn(t({ nodeSelector: { disk: 'ssd' } }), node({ disk: 'ssd' })), { shouldRun: true, shouldContinueRunning: true });
    assert.deepEqual(shouldRunOn(t({ nodeSelector: { disk: 'ssd' } }), node({})), { shouldRun: false, shouldContinueRunning: false });
    const affinity = { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'zone', operator: 'In' as const, values: ['a'] }] }] } } };
    assert.equal(shouldRunOn(t({ affinity }), node({ zone: 'b' })).shouldRun, false);
    assert.equal(shouldRunOn(t({ affinity }), node({ zone: 'a' })).shouldRun, true);
    assert.deepEqual(shouldRunOn(t({}), node({}, [{ key: 'gpu', effect: 'NoSchedule' }])), { shouldRun: false, shouldContinueRunning: true });
    assert.deepEqual(shouldRunOn(t({}), node({}, [{ key: 'gpu', effect: 'NoExecute' }])), { shouldRun: false, shouldContinueRunning: false });
    assert.equal(shouldRunOn(t({}), node({}, [{ key: 'node.kubernetes.io/unschedulable', effect: 'NoSchedule' }])).shouldRun, true, 'cordoned nodes still run daemons');
    assert.equal(shouldRunOn(t({ tolerations: [{ key: 'gpu', operator: 'Exists' }] }), node({}, [{ key: 'gpu', effect: 'NoExecute' }])).shouldRun, true);
    assert.equal(scaled('25%', 10, 1), 3, 'percentages round up');
    assert.equal(scaled(undefined, 10, 1), 1);
  });

  test('budget arithmetic as the disruption controller does it', () => {
    assert.deepEqual(budget({ minAvailable: 2 }, 3, undefined, 3), { expected: 3, desired: 2, allowed: 1 });
    assert.deepEqual(budget({ minAvailable: 2 }, 3, undefined, 2), { expected: 3, desired: 2, allowed: 0 });
    assert.deepEqual(budget({ minAvailable: '50%' }, 3, 3, 3), { expected: 3, desired: 2, allowed: 1 });
    assert.deepEqual(budget({ maxUnavailable: 1 }, 3, 4, 3), { expected: 4, desired: 3, allowed: 0 });
    assert.deepEqual(budget({ maxUnavailable: '34%' }, 3, 3, 3), { expected: 3, desired: 1, allowed: 2 }, 'maxUnavailable percentages round up');
    assert.equal(budget({ maxUnavailable: 1 }, 3, undefined, 3), undefined, 'needs the controllers\' scale');
    assert.deepEqual(budget({ minAvailable: 0 }, 0, undefined, 0), { expected: 0, desired: 0, allowed: 0 });
  });
});

describe('StatefulSet, DaemonSet, PDB and PVC provisioning (embedded)', () => {
  let floe: Floe;
  let client: Client;
  let dataDir: string;
  let embedded: EmbeddedFloe;

  before(async () => {
    embedded = await startEmbeddedFloe('floe-sts-');
    ({ floe, dataDir } = embedded);
    client = floe.client;
  });

  after(() => embedded.stop());

  const pods = async (ns: string): Promise<Pod[]> => (await client.list<Pod>(PodRef, { namespace: ns })).items;
  const readyNames = async (ns: string): Promise<string[]> => (await pods(ns)).filter(isRunningAndReady).map((p) => p.metadata.name ?? '').sort();
  const sts = (ns: string, name: string, spec: Partial<StatefulSet['spec']>): StatefulSet => ({
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: { name, namespace: ns },
    spec: { selector: { matchLabels: { app: name } }, serviceName: name, template: template(name, 'sleep 3600'), ...spec },
  });
  const getSts = (ns: string, name: string): Promise<StatefulSet> => client.get<StatefulSet>(StatefulSetRef, name, ns);
  /** Watches a namespace's Pods: `+name`/`-name` in order, and any Pod created while a lower ordinal was not ready. */
  const recordPods = async (ns: string, set: string): Promise<{ seen: string[]; violations: string[]; stop: () => Promise<void> }> => {
    const seen: string[] = [];
    const violations: string[] = [];
    const watch = await client.watch<Pod>(PodRef, { namespace: ns });
    const watching = (async () => {
      for await (const e of watch as AsyncIterable<WatchEvent<Pod>>) {
        const name = e.object.metadata.name ?? '';
        if (e.type === 'ADDED') {
          const ordinal = ordinalOf(set, name) ?? -1;
          const ready = await readyNames(ns);
          for (let k = 0; k < ordinal; k++) if (!ready.includes(`${set}-${k}`)) violations.push(`${name} created while ${set}-${k} was not ready`);
          seen.push(`+${name}`);
        } else if (e.type === 'DELETED') seen.push(`-${name}`);
      }
    })();
    return {
      seen,
      violations,
      stop: async () => {
        watch.close();
        await watching.catch(() => undefined);
      },
    };
  };

  test('the default StorageClass `standard` is installed and claims without a class get it', async () => {
    const sc = await client.get<KubeObject & { provisioner: string; reclaimPolicy: string }>(StorageClassRef, 'standard');
    assert.equal(sc.metadata.annotations?.['storageclass.kubernetes.io/is-default-class'], 'true');
    assert.equal(sc.reclaimPolicy, 'Delete');
    const ns = await freshNamespace(client, 'pvc-default');
    const claim = await client.create<Claim>({ apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name: 'c', namespace: ns }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } });
    assert.equal(claim.spec?.storageClassName, 'standard');
    const explicitNone = await client.create<Claim>({ apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name: 'none', namespace: ns }, spec: { storageClassName: '', accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } });
    assert.equal(explicitNone.spec?.storageClassName, '', 'an explicit "" opts out of the default');
    const bound = await waitFor(async () => {
      const c = await client.get<Claim>(ClaimRef, 'c', ns);
      return c.status?.phase === 'Bound' ? c : undefined;
    }, { what: 'claim c bound' });
    assert.equal(bound.metadata.annotations?.['pv.kubernetes.io/bind-completed'], 'yes');
    assert.equal(bound.status?.capacity?.storage, '1Gi');
    const pv = await client.get<Volume>(VolumeRef, bound.spec?.volumeName ?? '');
    assert.equal(pv.metadata.name, `pvc-${bound.metadata.uid ?? ''}`);
    assert.equal(pv.status?.phase, 'Bound');
    assert.equal(pv.spec?.claimRef?.uid, bound.metadata.uid);
    assert.equal(pv.spec?.persistentVolumeReclaimPolicy, 'Delete');
    const folder = pv.spec?.hostPath?.path ?? '';
    assert.equal(folder, join(dataDir, 'volumes', ns, 'c'));
    assert.equal(statSync(folder).mode & 0o777, 0o700);
    // Reclaim Delete: the claim goes, and with it the volume and its folder.
    await client.delete(ClaimRef, 'c', ns);
    await waitFor(async () => {
      try {
        await client.get(VolumeRef, pv.metadata.name ?? '');
        return false;
      } catch (err) {
        return err instanceof FloeError && err.reason === 'NotFound';
      }
    }, { what: 'the PV deleted' });
    assert.equal(existsSync(folder), false);
    assert.equal((await client.get<Claim>(ClaimRef, 'none', ns)).status?.phase, 'Pending');
  });

  test('reclaimPolicy Retain keeps the folder and leaves the volume Released', async () => {
    await client.create({ apiVersion: 'storage.k8s.io/v1', kind: 'StorageClass', metadata: { name: 'keep' }, provisioner: 'floe.dev/local-path', reclaimPolicy: 'Retain' });
    const ns = await freshNamespace(client, 'pvc-retain');
    await client.create<Claim>({ apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name: 'kept', namespace: ns }, spec: { storageClassName: 'keep', accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } });
    const bound = await waitFor(async () => {
      const c = await client.get<Claim>(ClaimRef, 'kept', ns);
      return c.status?.phase === 'Bound' ? c : undefined;
    }, { what: 'claim kept bound' });
    await client.delete(ClaimRef, 'kept', ns);
    const released = await waitFor(async () => {
      const v = await client.get<Volume>(VolumeRef, bound.spec?.volumeName ?? '');
      return v.status?.phase === 'Released' ? v : undefined;
    }, { what: 'the PV released' });
    assert.ok(existsSync(released.spec?.hostPath?.path ?? '/nonexistent'));
    await client.delete(VolumeRef, released.metadata.name ?? '');
  });

  test('OrderedReady with a volumeClaimTemplate: Pods in order, claims bound, data survives a Pod, scale down in reverse', async () => {
    const ns = await freshNamespace(client, 'sts-ordered');
    const { seen, violations, stop } = await recordPods(ns, 'web');
    await client.create(sts(ns, 'web', {
      replicas: 3,
      template: { ...template('web', 'echo $HOSTNAME >> /data/log; sleep 3600', { volumeMounts: [{ name: 'data', mountPath: '/data' }] }) },
      volumeClaimTemplates: [{ metadata: { name: 'data' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } }],
    }));
    const ready = await waitFor(async () => {
      const s = await getSts(ns, 'web');
      return s.status?.readyReplicas === 3 && s.status.availableReplicas === 3 ? s : undefined;
    }, { what: 'three ready replicas', timeoutMs: 60_000 });
    assert.equal(ready.status?.replicas, 3);
    assert.equal(ready.status?.currentReplicas, 3);
    assert.equal(ready.status?.updatedReplicas, 3);
    assert.equal(ready.status?.currentRevision, ready.status?.updateRevision);
    assert.equal(ready.status?.observedGeneration, ready.metadata.generation);
    assert.deepEqual(seen.slice(0, 3), ['+web-0', '+web-1', '+web-2']);
    const web1 = (await pods(ns)).find((p) => p.metadata.name === 'web-1');
    assert.equal(web1?.spec.hostname, 'web-1');
    assert.equal(web1?.spec.subdomain, 'web');
    assert.equal(web1?.metadata.labels?.['apps.kubernetes.io/pod-index'], '1');
    assert.equal(web1?.metadata.labels?.['controller-revision-hash'], ready.status?.updateRevision);
    const claims = await waitFor(async () => {
      const list = (await client.list<Claim>(ClaimRef, { namespace: ns })).items;
      return list.length === 3 && list.every((c) => c.status?.phase === 'Bound') ? list : undefined;
    }, { what: 'three bound claims' });
    assert.deepEqual(claims.map((c) => c.metadata.name).sort(), ['data-web-0', 'data-web-1', 'data-web-2']);
    assert.deepEqual(claims[0]?.metadata.labels, { app: 'web' });
    const revisions = (await client.list<ControllerRevision>(ControllerRevisionRef, { namespace: ns })).items;
    assert.equal(revisions.length, 1);
    assert.equal(revisions[0]?.metadata.name, ready.status?.updateRevision);
    assert.equal(revisions[0]?.revision, 1);

    // The recreated web-1 writes to the same claim: the file has two lines.
    const log = join(dataDir, 'volumes', ns, 'data-web-1', 'log');
    await waitFor(() => existsSync(log) && readFileSync(log, 'utf8').trim().split('\n').length === 1, { what: 'web-1 wrote its log' });
    await client.delete(PodRef, 'web-1', ns);
    await waitFor(async () => readFileSync(log, 'utf8').trim().split('\n').length === 2 && (await getSts(ns, 'web')).status?.readyReplicas === 3, { what: 'web-1 recreated on the same claim', timeoutMs: 60_000 });

    // Scale down to 1: web-2 goes before web-1; claims stay (whenScaled: Retain).
    seen.length = 0;
    await client.patch(StatefulSetRef, 'web', ns, { spec: { replicas: 1 } }, 'application/merge-patch+json');
    await waitFor(async () => (await pods(ns)).length === 1 && (await getSts(ns, 'web')).status?.replicas === 1, { what: 'one replica left', timeoutMs: 60_000 });
    assert.deepEqual(seen.filter((s) => s.startsWith('-')), ['-web-2', '-web-1']);
    assert.equal((await client.list(ClaimRef, { namespace: ns })).items.length, 3);
    await stop();
    assert.deepEqual(violations, []);
  });

  test('RollingUpdate goes highest ordinal first, honours the partition, and records ControllerRevisions', async () => {
    const ns = await freshNamespace(client, 'sts-rolling');
    await client.create(sts(ns, 'db', { replicas: 3, podManagementPolicy: 'Parallel', updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 1 } } }));
    const first = await waitFor(async () => {
      const s = await getSts(ns, 'db');
      return s.status?.readyReplicas === 3 ? s : undefined;
    }, { what: 'three ready', timeoutMs: 60_000 });
    const { seen, stop } = await recordPods(ns, 'db');
    await client.patch(StatefulSetRef, 'db', ns, { spec: { template: template('db', 'sleep 3600', { env: [{ name: 'V', value: '2' }] }) } }, 'application/merge-patch+json');
    const partial = await waitFor(async () => {
      const s = await getSts(ns, 'db');
      return s.status?.updatedReplicas === 2 && s.status.readyReplicas === 3 && s.status.updateRevision !== first.status?.updateRevision ? s : undefined;
    }, { what: 'ordinals 1 and 2 updated', timeoutMs: 60_000 });
    assert.equal(partial.status?.currentRevision, first.status?.currentRevision, 'the partition keeps the current revision');
    const byName = new Map((await pods(ns)).map((p) => [p.metadata.name, p.metadata.labels?.['controller-revision-hash']]));
    assert.equal(byName.get('db-0'), first.status?.updateRevision);
    assert.equal(byName.get('db-1'), partial.status?.updateRevision);
    assert.equal(byName.get('db-2'), partial.status?.updateRevision);
    await stop();
    assert.deepEqual(seen.slice(3), ['-db-2', '+db-2', '-db-1', '+db-1'], 'highest ordinal first, one at a time, down to the partition');
    await client.patch(StatefulSetRef, 'db', ns, { spec: { updateStrategy: { rollingUpdate: { partition: 0 } } } }, 'application/merge-patch+json');
    const done = await waitFor(async () => {
      const s = await getSts(ns, 'db');
      return s.status?.updatedReplicas === 3 && s.status.readyReplicas === 3 && s.status.currentRevision === s.status.updateRevision ? s : undefined;
    }, { what: 'all updated', timeoutMs: 60_000 });
    assert.equal(done.status?.currentReplicas, 3);
    const revisions = (await client.list<ControllerRevision>(ControllerRevisionRef, { namespace: ns })).items.sort((a, b) => a.revision - b.revision);
    assert.deepEqual(revisions.map((r) => r.revision), [1, 2]);
    assert.equal(revisions[1]?.metadata.name, done.status?.updateRevision);
    assert.equal((revisions[1]?.data as { spec: { template: { $patch: string } } }).spec.template.$patch, 'replace');
  });

  test('a DaemonSet runs one Pod on the node, and none where its nodeSelector does not match', async () => {
    const ns = await freshNamespace(client, 'ds');
    const nodes = (await client.list<Node>(NodeRef)).items;
    assert.equal(nodes.length, 1);
    const nodeName = nodes[0]?.metadata.name ?? '';
    await client.create<DaemonSet>({ apiVersion: 'apps/v1', kind: 'DaemonSet', metadata: { name: 'agent', namespace: ns }, spec: { selector: { matchLabels: { app: 'agent' } }, template: template('agent', 'sleep 3600') } });
    await client.create<DaemonSet>({ apiVersion: 'apps/v1', kind: 'DaemonSet', metadata: { name: 'gpu-agent', namespace: ns }, spec: { selector: { matchLabels: { app: 'gpu-agent' } }, template: { ...template('gpu-agent', 'sleep 3600'), spec: { ...template('gpu-agent', 'sleep 3600').spec, nodeSelector: { 'floe.dev/no-such-label': 'x' } } } } });
    const ds = await waitFor(async () => {
      const d = await client.get<DaemonSet>(DaemonSetRef, 'agent', ns);
      return d.status?.numberReady === 1 && d.status.numberAvailable === 1 ? d : undefined;
    }, { what: 'the daemon ready', timeoutMs: 60_000 });
    assert.deepEqual({ ...ds.status, collisionCount: undefined }, { currentNumberScheduled: 1, numberMisscheduled: 0, desiredNumberScheduled: 1, numberReady: 1, observedGeneration: 1, updatedNumberScheduled: 1, numberAvailable: 1, collisionCount: undefined });
    const [pod] = (await pods(ns)).filter((p) => p.metadata.labels?.app === 'agent');
    assert.equal(pod?.spec.nodeName, nodeName);
    assert.match(pod?.metadata.name ?? '', /^agent-[a-z0-9]{5}$/);
    assert.ok(pod?.metadata.labels?.['controller-revision-hash']);
    assert.ok(pod?.spec.tolerations?.some((t) => t.key === 'node.kubernetes.io/not-ready'));
    const none = await waitFor(async () => {
      const d = await client.get<DaemonSet>(DaemonSetRef, 'gpu-agent', ns);
      return d.status?.observedGeneration === 1 ? d : undefined;
    }, { what: 'gpu-agent observed' });
    assert.equal(none.status?.desiredNumberScheduled, 0);
    assert.equal((await pods(ns)).filter((p) => p.metadata.labels?.app === 'gpu-agent').length, 0);

    // A template change rolls the Pod (maxUnavailable 1).
    const before = pod?.metadata.name;
    await client.patch(DaemonSetRef, 'agent', ns, { spec: { template: { metadata: { annotations: { v: '2' } } } } }, 'application/merge-patch+json');
    await waitFor(async () => {
      const d = await client.get<DaemonSet>(DaemonSetRef, 'agent', ns);
      const now = (await pods(ns)).filter((p) => p.metadata.labels?.app === 'agent' && !p.metadata.deletionTimestamp);
      return d.status?.updatedNumberScheduled === 1 && d.status.numberReady === 1 && now.length === 1 && now[0]?.metadata.name !== before;
    }, { what: 'the daemon Pod replaced', timeoutMs: 60_000 });
  });

  test('a PodDisruptionBudget counts healthy Pods of a StatefulSet', async () => {
    const ns = await freshNamespace(client, 'pdb');
    await client.create(sts(ns, 'cache', { replicas: 2, podManagementPolicy: 'Parallel' }));
    await client.create<PodDisruptionBudget>({ apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', metadata: { name: 'min', namespace: ns }, spec: { minAvailable: 1, selector: { matchLabels: { app: 'cache' } } } });
    await client.create<PodDisruptionBudget>({ apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', metadata: { name: 'max', namespace: ns }, spec: { maxUnavailable: 0, selector: { matchLabels: { app: 'cache' } } } });
    const min = await waitFor(async () => {
      const p = await client.get<PodDisruptionBudget>(PodDisruptionBudgetRef, 'min', ns);
      return p.status?.currentHealthy === 2 ? p : undefined;
    }, { what: 'two healthy', timeoutMs: 60_000 });
    assert.equal(min.status?.desiredHealthy, 1);
    assert.equal(min.status?.expectedPods, 2);
    assert.equal(min.status?.disruptionsAllowed, 1);
    assert.equal(min.status?.observedGeneration, min.metadata.generation);
    assert.deepEqual(min.status?.conditions?.map((c) => [c.type, c.status, c.reason]), [['DisruptionAllowed', 'True', 'SufficientPods']]);
    const max = await waitFor(async () => {
      const p = await client.get<PodDisruptionBudget>(PodDisruptionBudgetRef, 'max', ns);
      return p.status?.currentHealthy === 2 ? p : undefined;
    }, { what: 'max observed' });
    assert.equal(max.status?.expectedPods, 2, 'from the StatefulSet\'s replicas');
    assert.equal(max.status?.disruptionsAllowed, 0);
    assert.deepEqual(max.status?.conditions?.map((c) => [c.type, c.status, c.reason]), [['DisruptionAllowed', 'False', 'InsufficientPods']]);
  });
});
