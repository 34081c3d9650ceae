// Unit tests for the workload arithmetic: hashes, fenceposts, rolling-update steps, proportional scaling, victim order.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Pod } from '../../api/core-v1.js';
import { calculateStatus, deploymentComplete, equalIgnoreHash, newRSNewReplicas, proportionalSizes, resolveFenceposts, scaledValue, setNewReplicaSetAnnotations, type Deployment } from './deployment-util.js';
import { computeHash, fnv32a, SafeAlphabet, safeEncode } from './hash.js';
import { podsToDelete, type ReplicaSet } from './replica-set-controller.js';

const template = (cmd = '300'): Deployment['spec']['template'] => ({ metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'main', image: 'busybox', command: ['sleep', cmd] }] } });
const dep = (replicas: number, extra: Partial<Deployment['spec']> = {}, status: Deployment['status'] = {}): Deployment => ({
  apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', namespace: 'ns', generation: 1, uid: 'd1' },
  spec: { replicas, selector: { matchLabels: { app: 'web' } }, template: template(), ...extra }, status,
});
const rs = (name: string, replicas: number, created: string, annotations: Record<string, string> = {}, available = replicas): ReplicaSet => ({
  apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: { name, creationTimestamp: created, annotations },
  spec: { replicas, selector: { matchLabels: { app: 'web' } }, template: template() }, status: { replicas, availableReplicas: available, readyReplicas: available },
});

test('FNV-32a matches the reference vectors and the hash uses only the safe alphabet', () => {
  assert.equal(fnv32a(new TextEncoder().encode('')), 0x811c9dc5);
  assert.equal(fnv32a(new TextEncoder().encode('a')), 0xe40c292c);
  assert.equal(fnv32a(new TextEncoder().encode('foobar')), 0xbf9cf968);
  // Digits map by char code mod 27 ('0' is 48 → index 21), which is why real hashes look like 5d4f8b6c9.
  assert.equal(safeEncode('0123456789'), '456789bcdf');
  const h = computeHash(template());
  assert.ok([...h].every((c) => SafeAlphabet.includes(c)));
  assert.ok(h.length >= 1 && h.length <= 10);
  assert.equal(computeHash(template()), h, 'stable');
  assert.notEqual(computeHash(template('301')), h, 'changes with the template');
  assert.notEqual(computeHash(template(), 1), h, 'changes with collisionCount');
  // Key order does not matter; empty maps equal missing ones (kube compares semantically).
  assert.equal(computeHash({ spec: template().spec, metadata: { labels: { app: 'web' }, annotations: {} } }), h);
});

test('equalIgnoreHash ignores pod-template-hash only', () => {
  const withHash = template();
  withHash.metadata = { labels: { app: 'web', 'pod-template-hash': 'abc' } };
  assert.ok(equalIgnoreHash(withHash, template()));
  assert.ok(!equalIgnoreHash(template('1'), template()));
  // kubectl rollout undo sends the ReplicaSet's template back with `creationTimestamp: null`.
  assert.ok(equalIgnoreHash({ ...template(), metadata: { labels: { app: 'web' }, creationTimestamp: null as unknown as string } }, template()));
});

test('fenceposts: surge rounds up, unavailable rounds down, both zero gives one unavailable', () => {
  assert.deepEqual(resolveFenceposts('25%', '25%', 10), { surge: 3, unavailable: 2 });
  assert.deepEqual(resolveFenceposts('25%', '25%', 1), { surge: 1, unavailable: 0 });
  assert.deepEqual(resolveFenceposts(0, '10%', 5), { surge: 0, unavailable: 1 });
  assert.deepEqual(resolveFenceposts(2, 0, 100), { surge: 2, unavailable: 0 });
  assert.equal(scaledValue('33%', 100, true), 33);
  assert.equal(scaledValue('33%', 10, true), 4);
  assert.equal(scaledValue('33%', 10, false), 3);
});

test('rolling update: the new ReplicaSet grows only as far as maxSurge allows', () => {
  const d = dep(10, { strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' } } });
  const old = rs('old', 10, '2026-01-01T00:00:00Z');
  const fresh = rs('new', 0, '2026-01-02T00:00:00Z');
  assert.equal(newRSNewReplicas(d, [old, fresh], fresh), 3);
  const grown = rs('new', 3, '2026-01-02T00:00:00Z');
  assert.equal(newRSNewReplicas(d, [rs('old', 8, '2026-01-01T00:00:00Z'), grown], grown), 5);
  assert.equal(newRSNewReplicas(dep(3, { strategy: { type: 'Recreate' } }), [fresh], fresh), 3);
});

test('proportional scaling spreads a change by max-replicas and gives the leftover to the largest', () => {
  // Mid-rollout 10 → 15 with maxSurge 3: old 8, new 5 (annotated max 13) grow to 18 in all.
  const d = dep(15, { strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 3, maxUnavailable: 2 } } });
  const sizes = proportionalSizes(d, [rs('old', 8, '2026-01-01T00:00:00Z', { 'deployment.kubernetes.io/max-replicas': '13' }), rs('new', 5, '2026-01-02T00:00:00Z', { 'deployment.kubernetes.io/max-replicas': '13' })]);
  assert.equal((sizes.get('old') ?? 0) + (sizes.get('new') ?? 0), 18);
  assert.deepEqual([sizes.get('old'), sizes.get('new')], [11, 7]);
});

test('revisions: an existing ReplicaSet taking over gets the next revision and remembers its old one', () => {
  const d = dep(3, {}, {});
  d.metadata.annotations = { 'kubernetes.io/change-cause': 'undo', 'kubectl.kubernetes.io/last-applied-configuration': '{}' };
  const old = rs('a', 0, '2026-01-01T00:00:00Z', { 'deployment.kubernetes.io/revision': '1' });
  assert.ok(setNewReplicaSetAnnotations(d, old, 3, true));
  assert.equal(old.metadata.annotations?.['deployment.kubernetes.io/revision'], '3');
  assert.equal(old.metadata.annotations?.['deployment.kubernetes.io/revision-history'], '1');
  assert.equal(old.metadata.annotations?.['kubernetes.io/change-cause'], 'undo');
  assert.equal(old.metadata.annotations?.['kubectl.kubernetes.io/last-applied-configuration'], undefined);
  assert.ok(!setNewReplicaSetAnnotations(d, old, 3, true));
});

test('status: Available from maxUnavailable, complete when every replica is updated and available', () => {
  const d = dep(4);
  const now = Date.parse('2026-01-01T00:00:00Z');
  const s = calculateStatus(d, [rs('new', 4, '2026-01-01T00:00:00Z', {}, 3)], rs('new', 4, '2026-01-01T00:00:00Z', {}, 3), now);
  assert.equal(s.conditions?.find((c) => c.type === 'Available')?.status, 'True');
  assert.equal(s.unavailableReplicas, 1);
  assert.ok(!deploymentComplete(d, s));
  const s2 = calculateStatus(d, [rs('new', 4, '2026-01-01T00:00:00Z', {}, 2)], undefined, now);
  assert.equal(s2.conditions?.find((c) => c.type === 'Available')?.reason, 'MinimumReplicasUnavailable');
  assert.ok(deploymentComplete(d, calculateStatus(d, [rs('new', 4, '2026-01-01T00:00:00Z')], rs('new', 4, '2026-01-01T00:00:00Z'), now)));
});

test('scale-down victims: unscheduled, then pending, then not ready, then cheaper, then newer', () => {
  const pod = (name: string, fields: { node?: string; phase?: Pod['status'] extends infer S ? S extends { phase?: infer P } ? P : never : never; ready?: boolean; created?: string; cost?: string }): Pod => ({
    apiVersion: 'v1', kind: 'Pod',
    metadata: { name, creationTimestamp: fields.created ?? '2026-01-01T00:00:00Z', ...(fields.cost ? { annotations: { 'controller.kubernetes.io/pod-deletion-cost': fields.cost } } : {}) },
    spec: { containers: [], ...(fields.node ? { nodeName: fields.node } : {}) },
    status: { phase: fields.phase ?? 'Running', conditions: [{ type: 'Ready', status: fields.ready === false ? 'False' : 'True', lastTransitionTime: '2026-01-01T00:00:00Z' }] },
  });
  const pods = [
    pod('ready-old', { node: 'n' }),
    pod('ready-new', { node: 'n', created: '2026-01-02T00:00:00Z' }),
    pod('expensive', { node: 'n', created: '2026-01-03T00:00:00Z', cost: '100' }),
    pod('not-ready', { node: 'n', ready: false }),
    pod('pending', { node: 'n', phase: 'Pending', ready: false }),
    pod('unscheduled', { phase: 'Pending', ready: false }),
  ];
  assert.deepEqual(podsToDelete(pods, 6).map((p) => p.metadata.name), ['unscheduled', 'pending', 'not-ready', 'ready-new', 'ready-old', 'expensive']);
});
