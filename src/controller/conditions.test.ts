// Status and metadata helpers: conditions, observedGeneration, finalizers, owner references, request keys.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../api/meta.js';
import { findCondition, isFalse, isGenerationObserved, isTrue, kubeMicroTime, kubeTime, removeCondition, setCondition, setObservedGeneration, type Condition } from './conditions.js';
import { addFinalizer, hasFinalizer, isBeingDeleted, removeFinalizer } from './finalizers.js';
import { parseRequestKey, requestKey } from './keys.js';
import { controllerOf, controllerReference, isControlledBy, refersToKind, setControllerReference } from './owners.js';

const t0 = Date.parse('2025-03-01T10:00:00.123Z');
const t1 = t0 + 60_000;

function object(fields: Partial<KubeObject['metadata']> = {}, status?: unknown): KubeObject {
  return { apiVersion: 'example.floe.dev/v1', kind: 'Greeter', metadata: { name: 'hello', namespace: 'team', uid: 'uid-1', ...fields }, ...(status === undefined ? {} : { status }) };
}

describe('setCondition', () => {
  test('adds a condition stamped with the transition time in Kubernetes format', () => {
    const conditions: Condition[] = [];
    assert.equal(setCondition(conditions, { type: 'Ready', status: 'False', reason: 'Creating', message: 'creating children' }, t0), true);
    assert.deepEqual(conditions, [{ type: 'Ready', status: 'False', reason: 'Creating', message: 'creating children', lastTransitionTime: '2025-03-01T10:00:00Z' }]);
  });

  test('keeps lastTransitionTime when only reason or message change, and reports the change', () => {
    const conditions: Condition[] = [];
    setCondition(conditions, { type: 'Ready', status: 'False', reason: 'Creating', message: '1 of 3' }, t0);
    assert.equal(setCondition(conditions, { type: 'Ready', status: 'False', reason: 'Creating', message: '2 of 3' }, t1), true);
    assert.equal(conditions[0]?.lastTransitionTime, kubeTime(t0));
    assert.equal(conditions[0]?.message, '2 of 3');
  });

  test('moves lastTransitionTime when the status flips', () => {
    const conditions: Condition[] = [];
    setCondition(conditions, { type: 'Ready', status: 'False', reason: 'Creating', message: '' }, t0);
    setCondition(conditions, { type: 'Ready', status: 'True', reason: 'Ready', message: '' }, new Date(t1));
    assert.equal(conditions[0]?.lastTransitionTime, kubeTime(t1));
    assert.equal(conditions[0]?.status, 'True');
  });

  test('reports no change when nothing differs, so no status write is needed', () => {
    const conditions: Condition[] = [];
    const input = { type: 'Ready', status: 'True', reason: 'Ready', message: 'all good', observedGeneration: 2 } as const;
    setCondition(conditions, input, t0);
    const before = structuredClone(conditions);
    assert.equal(setCondition(conditions, input, t1), false);
    assert.deepEqual(conditions, before);
  });

  test('tracks a condition observedGeneration without moving the transition time', () => {
    const conditions: Condition[] = [];
    setCondition(conditions, { type: 'Ready', status: 'True', reason: 'Ready', message: '', observedGeneration: 1 }, t0);
    assert.equal(setCondition(conditions, { type: 'Ready', status: 'True', reason: 'Ready', message: '', observedGeneration: 2 }, t1), true);
    assert.equal(conditions[0]?.observedGeneration, 2);
    assert.equal(conditions[0]?.lastTransitionTime, kubeTime(t0));
  });

  test('leaves other condition types alone; find, isTrue, isFalse and remove read them', () => {
    const conditions: Condition[] = [];
    setCondition(conditions, { type: 'Ready', status: 'True', reason: 'Ready', message: '' }, t0);
    setCondition(conditions, { type: 'Degraded', status: 'False', reason: 'Healthy', message: '' }, t0);
    setCondition(conditions, { type: 'Progressing', status: 'Unknown', reason: 'Waiting', message: '' }, t0);
    assert.deepEqual(conditions.map((c) => c.type), ['Ready', 'Degraded', 'Progressing']);
    assert.equal(findCondition(conditions, 'Degraded')?.reason, 'Healthy');
    assert.equal(findCondition(conditions, 'Missing'), undefined);
    assert.equal(isTrue(conditions, 'Ready'), true);
    assert.equal(isTrue(conditions, 'Progressing'), false);
    assert.equal(isFalse(conditions, 'Degraded'), true);
    assert.equal(isFalse(conditions, 'Missing'), false);
    assert.equal(isTrue(undefined, 'Ready'), false);
    assert.equal(removeCondition(conditions, 'Degraded'), true);
    assert.equal(removeCondition(conditions, 'Degraded'), false);
    assert.deepEqual(conditions.map((c) => c.type), ['Ready', 'Progressing']);
  });
});

describe('time formats', () => {
  test('Time has whole seconds and MicroTime six digits, both in UTC', () => {
    assert.equal(kubeTime(t0), '2025-03-01T10:00:00Z');
    assert.equal(kubeMicroTime(t0), '2025-03-01T10:00:00.123000Z');
  });
});

describe('observedGeneration', () => {
  test('is observed once status.observedGeneration reaches metadata.generation', () => {
    assert.equal(isGenerationObserved(object({ generation: 2 })), false);
    assert.equal(isGenerationObserved(object({ generation: 2 }, { observedGeneration: 1 })), false);
    assert.equal(isGenerationObserved(object({ generation: 2 }, { observedGeneration: 2 })), true);
    assert.equal(isGenerationObserved(object({})), true, 'kinds without generation are always observed');
  });

  test('setObservedGeneration copies the generation and reports whether it changed', () => {
    const status: { observedGeneration?: number } = {};
    assert.equal(setObservedGeneration(status, object({ generation: 3 })), true);
    assert.equal(status.observedGeneration, 3);
    assert.equal(setObservedGeneration(status, object({ generation: 3 })), false);
  });
});

describe('finalizers', () => {
  test('add and remove report whether the object changed', () => {
    const o = object({ finalizers: ['other.dev/keep'] });
    assert.equal(hasFinalizer(o, 'example.floe.dev/goodbye'), false);
    assert.equal(addFinalizer(o, 'example.floe.dev/goodbye'), true);
    assert.equal(addFinalizer(o, 'example.floe.dev/goodbye'), false);
    assert.deepEqual(o.metadata.finalizers, ['other.dev/keep', 'example.floe.dev/goodbye']);
    assert.equal(hasFinalizer(o, 'example.floe.dev/goodbye'), true);
    assert.equal(removeFinalizer(o, 'example.floe.dev/goodbye'), true);
    assert.equal(removeFinalizer(o, 'example.floe.dev/goodbye'), false);
    assert.deepEqual(o.metadata.finalizers, ['other.dev/keep']);
    removeFinalizer(o, 'other.dev/keep');
    assert.equal(o.metadata.finalizers, undefined, 'the last one removes the field');
  });

  test('isBeingDeleted reads deletionTimestamp', () => {
    assert.equal(isBeingDeleted(object()), false);
    assert.equal(isBeingDeleted(object({ deletionTimestamp: kubeTime(t0) })), true);
  });
});

describe('owner references', () => {
  test('a controller reference marks the owner as controller and blocks owner deletion', () => {
    const owner = object();
    assert.deepEqual(controllerReference(owner), { apiVersion: 'example.floe.dev/v1', kind: 'Greeter', name: 'hello', uid: 'uid-1', controller: true, blockOwnerDeletion: true });
    assert.throws(() => controllerReference(object({ uid: undefined as unknown as string })), /no name or uid/);
  });

  test('setControllerReference keeps other owners and refuses a second controller', () => {
    const owner = object();
    const child: KubeObject = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'hello-0', ownerReferences: [{ apiVersion: 'v1', kind: 'Thing', name: 't', uid: 'uid-t' }] } };
    setControllerReference(owner, child);
    setControllerReference(owner, child);
    assert.equal(child.metadata.ownerReferences?.length, 2);
    assert.equal(controllerOf(child)?.uid, 'uid-1');
    assert.equal(isControlledBy(child, owner), true);
    assert.throws(() => setControllerReference(object({ name: 'other', uid: 'uid-2' }), child), /already controlled by Greeter "hello"/);
  });

  test('refersToKind matches on group and kind, across versions', () => {
    assert.equal(refersToKind({ apiVersion: 'example.floe.dev/v1beta1', kind: 'Greeter' }, { apiVersion: 'example.floe.dev/v1', kind: 'Greeter' }), true);
    assert.equal(refersToKind({ apiVersion: 'other.dev/v1', kind: 'Greeter' }, { apiVersion: 'example.floe.dev/v1', kind: 'Greeter' }), false);
    assert.equal(refersToKind({ apiVersion: 'v1', kind: 'ConfigMap' }, { apiVersion: 'v1', kind: 'ConfigMap' }), true);
  });
});

describe('request keys', () => {
  test('namespace/name round-trips; cluster-scoped names have no slash', () => {
    assert.equal(requestKey({ namespace: 'team', name: 'hello' }), 'team/hello');
    assert.equal(requestKey({ namespace: '', name: 'node-1' }), 'node-1');
    assert.deepEqual(parseRequestKey('team/hello'), { namespace: 'team', name: 'hello' });
    assert.deepEqual(parseRequestKey('node-1'), { namespace: '', name: 'node-1' });
  });
});
