// Which requests reach a webhook: kube's rule matching (`pods/*`, `*/*`, scope), selectors and matchConditions.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../api/meta.js';
import { MatchConditions, namespaceSelectorMatches, objectSelectorMatches, ruleMatches, type MatchRequest } from './webhook-match.js';

const pods: MatchRequest = { operation: 'CREATE', group: '', version: 'v1', resource: 'pods', subresource: '', namespace: 'ns' };
const rule = (resources: string[], extra: Record<string, unknown> = {}): Record<string, unknown> => ({ apiGroups: [''], apiVersions: ['v1'], operations: ['CREATE'], resources, ...extra });

describe('ruleMatches', () => {
  test('resources, subresources and wildcards as kube splits them', () => {
    assert.ok(ruleMatches(rule(['pods']), pods));
    assert.ok(!ruleMatches(rule(['pods']), { ...pods, subresource: 'status' }));
    assert.ok(ruleMatches(rule(['pods/status']), { ...pods, subresource: 'status' }));
    assert.ok(ruleMatches(rule(['pods/*']), { ...pods, subresource: 'exec' }));
    assert.ok(ruleMatches(rule(['pods/*']), pods), 'pods/* also names the main resource');
    assert.ok(ruleMatches(rule(['*']), pods));
    assert.ok(!ruleMatches(rule(['*']), { ...pods, subresource: 'status' }));
    assert.ok(ruleMatches(rule(['*/*']), { ...pods, subresource: 'status' }));
    assert.ok(!ruleMatches(rule(['services']), pods));
  });

  test('operations, groups and versions', () => {
    assert.ok(!ruleMatches(rule(['pods']), { ...pods, operation: 'UPDATE' }));
    assert.ok(ruleMatches(rule(['pods'], { operations: ['*'] }), { ...pods, operation: 'DELETE' }));
    assert.ok(!ruleMatches(rule(['deployments'], { apiGroups: ['apps'] }), { ...pods, resource: 'deployments' }));
    assert.ok(ruleMatches(rule(['deployments'], { apiGroups: ['*'], apiVersions: ['*'] }), { ...pods, group: 'apps', resource: 'deployments' }));
  });

  test('scope: Namespaced, Cluster, and a Namespace counting as cluster-scoped', () => {
    assert.ok(ruleMatches(rule(['pods'], { scope: 'Namespaced' }), pods));
    assert.ok(!ruleMatches(rule(['pods'], { scope: 'Cluster' }), pods));
    const ns: MatchRequest = { ...pods, resource: 'namespaces', namespace: 'ns' };
    assert.ok(ruleMatches(rule(['namespaces'], { scope: 'Cluster' }), ns));
    assert.ok(!ruleMatches(rule(['namespaces'], { scope: 'Namespaced' }), ns));
  });
});

describe('selectors', () => {
  const object = (labels: Record<string, string>): KubeObject => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', labels } });
  test('namespaceSelector reads the namespace\'s labels; cluster-scoped objects always match', () => {
    const sel = { matchExpressions: [{ key: 'team', operator: 'In', values: ['a'] }] };
    assert.ok(namespaceSelectorMatches(sel, pods, object({}), object({ team: 'a' })));
    assert.ok(!namespaceSelectorMatches(sel, pods, object({ team: 'a' }), object({ team: 'b' })));
    assert.ok(namespaceSelectorMatches(sel, { ...pods, resource: 'nodes', namespace: '' }, object({}), undefined));
    assert.ok(namespaceSelectorMatches({}, pods, undefined, undefined));
  });

  test('objectSelector matches the new or the old object', () => {
    const sel = { matchLabels: { hook: 'yes' } };
    assert.ok(objectSelectorMatches(sel, object({ hook: 'yes' }), undefined));
    assert.ok(objectSelectorMatches(sel, object({}), object({ hook: 'yes' })));
    assert.ok(!objectSelectorMatches(sel, object({}), undefined));
  });
});

describe('matchConditions', () => {
  const cel = new MatchConditions();
  const vars = { object: { metadata: { name: 'web', labels: { tier: 'front' } } }, oldObject: null, request: { operation: 'CREATE' } };
  test('all true calls the webhook; one false skips it', () => {
    assert.deepEqual(cel.evaluate([{ name: 'a', expression: 'object.metadata.name == "web"' }, { name: 'b', expression: 'request.operation == "CREATE"' }], vars), { matched: true });
    assert.deepEqual(cel.evaluate([{ name: 'a', expression: 'object.metadata.name == "api"' }], vars), { matched: false });
    assert.deepEqual(cel.evaluate([{ name: 'a', expression: 'oldObject == null' }], vars), { matched: true });
  });

  test('an error names the expression as kube does', () => {
    assert.deepEqual(cel.evaluate([{ name: 'a', expression: 'object.spec.x == 1' }], vars), { matched: false, error: "expression 'object.spec.x == 1' resulted in error: no such key: spec" });
    assert.deepEqual(cel.evaluate([{ name: 'a', expression: '"text"' }], vars), { matched: false, error: "expression '\"text\"' resulted in error: must evaluate to bool" });
  });
});
