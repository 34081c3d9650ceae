// The Greeter plan, tested as the pure function it is: which ConfigMaps a Greeter should own.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { desiredConfigMaps, GreeterLabel, upToDate, type Greeter } from './greeter.js';

const greeter: Greeter = {
  apiVersion: 'example.floe.dev/v1',
  kind: 'Greeter',
  metadata: { name: 'hello', namespace: 'team', uid: 'uid-1', generation: 1 },
  spec: { message: 'Hi', replicas: 2 },
};

describe('desiredConfigMaps', () => {
  test('one ConfigMap per replica, named <name>-<i>, labelled, owned by the Greeter, holding the message', () => {
    const desired = desiredConfigMaps(greeter);
    assert.deepEqual(desired.map((c) => c.metadata.name), ['hello-0', 'hello-1']);
    for (const cm of desired) {
      assert.equal(cm.metadata.namespace, 'team');
      assert.deepEqual(cm.metadata.labels, { [GreeterLabel]: 'hello' });
      assert.deepEqual(cm.metadata.ownerReferences, [{ apiVersion: 'example.floe.dev/v1', kind: 'Greeter', name: 'hello', uid: 'uid-1', controller: true, blockOwnerDeletion: true }]);
      assert.deepEqual(cm.data, { message: 'Hi' });
    }
  });

  test('zero replicas want nothing', () => {
    assert.deepEqual(desiredConfigMaps({ ...greeter, spec: { message: 'Hi', replicas: 0 } }), []);
  });

  test('upToDate compares the data and the label this operator owns, ignoring everything else', () => {
    const [want] = desiredConfigMaps(greeter);
    assert.ok(want);
    const have = { ...structuredClone(want), metadata: { ...structuredClone(want.metadata), resourceVersion: '7', labels: { [GreeterLabel]: 'hello', extra: 'x' } } };
    assert.equal(upToDate(have, want), true);
    assert.equal(upToDate({ ...have, data: { message: 'Bye' } }, want), false);
    assert.equal(upToDate({ ...have, metadata: { ...have.metadata, labels: {} } }, want), false);
  });
});
