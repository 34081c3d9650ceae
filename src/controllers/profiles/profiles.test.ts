// KFAM's binding names and the labels-file rule; the controller and KFAM against a real Floe are in test/profiles.test.ts.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { kfamBindingName } from './kfam.js';
import { applyNamespaceLabels } from './profile-controller.js';

test('binding names follow KFAM: kind, user, roleRef kind and name, lower-case, non-alphanumerics as "-"', () => {
  assert.equal(kfamBindingName({ user: { kind: 'User', name: 'bob@example.com' }, referredNamespace: 'a', RoleRef: { kind: 'ClusterRole', name: 'edit' } }), 'user-bob-example-com-clusterrole-edit');
  assert.equal(kfamBindingName({ user: { kind: 'User', name: 'Jane.Doe+ml@Corp.io' }, RoleRef: { kind: 'ClusterRole', name: 'view' } }), 'user-jane-doe-ml-corp-io-clusterrole-view');
});

test('namespace labels: "" removes, others are added only where absent', () => {
  const labels: Record<string, string> = { keep: 'mine', drop: 'x' };
  assert.equal(applyNamespaceLabels(labels, { keep: 'theirs', drop: '', add: 'y' }), true);
  assert.deepEqual(labels, { keep: 'mine', add: 'y' });
  assert.equal(applyNamespaceLabels(labels, { keep: 'theirs', add: 'z' }), false);
});
