// The RBAC evaluator against Kubernetes' semantics: rule matching, subjects, binding scopes, aggregation, coverage, reviews.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../../api/meta.js';
import { RBACAuthorizer, RbacIndex, rbacKeys } from './authorizer.js';
import { bootstrapClusterRoleBindings, bootstrapClusterRoles, reconcile } from './bootstrap.js';
import { aggregatedRules } from './controller.js';
import { impersonate } from './impersonation.js';
import { nonResourceURLMatches, resourceMatches, ruleAllows, rulesCover, selectorMatches, type PolicyRule, type RoleObject } from './rules.js';
import { authorizationReviewTypes } from './reviews.js';

const G = 'rbac.authorization.k8s.io';

function role(name: string, rules: PolicyRule[], namespace?: string): KubeObject {
  return { apiVersion: `${G}/v1`, kind: namespace ? 'Role' : 'ClusterRole', metadata: { name, ...(namespace ? { namespace } : {}) }, rules };
}

function binding(name: string, roleKind: 'Role' | 'ClusterRole', roleName: string, subjects: { kind: string; name: string; namespace?: string }[], namespace?: string): KubeObject {
  return { apiVersion: `${G}/v1`, kind: namespace ? 'RoleBinding' : 'ClusterRoleBinding', metadata: { name, ...(namespace ? { namespace } : {}) }, roleRef: { apiGroup: G, kind: roleKind, name: roleName }, subjects };
}

function setup(): { index: RbacIndex; authz: RBACAuthorizer } {
  const index = new RbacIndex();
  for (const r of bootstrapClusterRoles()) index.upsert(rbacKeys.clusterRoles, r);
  for (const b of bootstrapClusterRoleBindings()) index.upsert(rbacKeys.clusterRoleBindings, b);
  // Aggregate as the controller would (view → edit → admin).
  const all = bootstrapClusterRoles();
  for (let i = 0; i < 5; i++) {
    for (const r of all) if (r.aggregationRule) r.rules = aggregatedRules(r, all);
  }
  for (const r of all) index.upsert(rbacKeys.clusterRoles, r);
  return { index, authz: new RBACAuthorizer(index) };
}

const alice = { name: 'alice', groups: ['system:authenticated'] };

describe('RBAC rule matching', () => {
  test('resources: *, exact, resource/subresource, */subresource; pods/* is no wildcard (as kube)', () => {
    assert.ok(resourceMatches({ verbs: ['get'], resources: ['*'] }, 'pods', 'log'));
    assert.ok(resourceMatches({ verbs: ['get'], resources: ['pods/log'] }, 'pods', 'log'));
    assert.ok(!resourceMatches({ verbs: ['get'], resources: ['pods'] }, 'pods', 'log'));
    assert.ok(resourceMatches({ verbs: ['get'], resources: ['*/log'] }, 'pods', 'log'));
    assert.ok(!resourceMatches({ verbs: ['get'], resources: ['*/log'] }, 'pods', undefined));
    assert.ok(!resourceMatches({ verbs: ['get'], resources: ['pods/*'] }, 'pods', 'log'));
  });

  test('nonResourceURLs: *, exact, trailing * prefix', () => {
    const rule = { verbs: ['get'], nonResourceURLs: ['/healthz', '/apis/*'] };
    assert.ok(nonResourceURLMatches(rule, '/healthz'));
    assert.ok(!nonResourceURLMatches(rule, '/healthz/etcd'));
    assert.ok(nonResourceURLMatches(rule, '/apis/apps/v1'));
    assert.ok(!nonResourceURLMatches(rule, '/apis'));
    assert.ok(nonResourceURLMatches({ verbs: ['get'], nonResourceURLs: ['*'] }, '/anything'));
  });

  test('verbs, groups and resourceNames all have to match', () => {
    const rule: PolicyRule = { verbs: ['get', 'update'], apiGroups: ['apps'], resources: ['deployments'], resourceNames: ['web'] };
    assert.ok(ruleAllows(rule, { verb: 'get', group: 'apps', resource: 'deployments', name: 'web' }));
    assert.ok(!ruleAllows(rule, { verb: 'get', group: 'apps', resource: 'deployments', name: 'db' }));
    assert.ok(!ruleAllows(rule, { verb: 'list', group: 'apps', resource: 'deployments' }), 'a list names nothing, so resourceNames never match it');
    assert.ok(!ruleAllows(rule, { verb: 'get', group: '', resource: 'deployments', name: 'web' }));
    assert.ok(ruleAllows({ verbs: ['*'], apiGroups: ['*'], resources: ['*'] }, { verb: 'escalate', group: G, resource: 'roles' }));
  });

  test('label selectors of aggregation rules', () => {
    assert.ok(selectorMatches({ matchLabels: { a: 'true' } }, { a: 'true', b: 'x' }));
    assert.ok(!selectorMatches({ matchLabels: { a: 'true' } }, { a: 'false' }));
    assert.ok(selectorMatches({ matchExpressions: [{ key: 'a', operator: 'In', values: ['1', '2'] }] }, { a: '2' }));
    assert.ok(selectorMatches({ matchExpressions: [{ key: 'a', operator: 'DoesNotExist' }] }, {}));
    assert.ok(!selectorMatches({ matchExpressions: [{ key: 'a', operator: 'Exists' }] }, {}));
  });

  test('coverage (escalation checks): atoms of the requested rule must each be covered', () => {
    const owner: PolicyRule[] = [{ verbs: ['get', 'list'], apiGroups: [''], resources: ['pods', '*/log'] }];
    assert.ok(rulesCover(owner, { verbs: ['get'], apiGroups: [''], resources: ['pods', 'pods/log'] }));
    assert.ok(!rulesCover(owner, { verbs: ['get', 'delete'], apiGroups: [''], resources: ['pods'] }));
    assert.ok(rulesCover([{ verbs: ['*'], apiGroups: ['*'], resources: ['*'] }], { verbs: ['get'], apiGroups: ['apps'], resources: ['deployments'], resourceNames: ['x'] }));
    assert.ok(!rulesCover([{ verbs: ['get'], apiGroups: [''], resources: ['pods'], resourceNames: ['a'] }], { verbs: ['get'], apiGroups: [''], resources: ['pods'] }));
  });
});

describe('RBACAuthorizer', () => {
  test('ClusterRoleBinding grants everywhere; RoleBinding only in its namespace', () => {
    const { index, authz } = setup();
    index.upsert(rbacKeys.clusterRoleBindings, binding('alice-view', 'ClusterRole', 'view', [{ kind: 'User', name: 'alice' }]));
    index.upsert(rbacKeys.roleBindings, binding('bob-edit', 'ClusterRole', 'edit', [{ kind: 'User', name: 'bob' }], 'team'));
    assert.ok(authz.authorize({ user: alice, verb: 'list', group: '', resource: 'pods', namespace: 'x' }).allowed);
    assert.ok(authz.authorize({ user: alice, verb: 'list', group: '', resource: 'pods' }).allowed, 'cluster-wide list');
    assert.ok(!authz.authorize({ user: alice, verb: 'create', group: '', resource: 'pods', namespace: 'x' }).allowed);
    const bob = { name: 'bob', groups: ['system:authenticated'] };
    assert.ok(authz.authorize({ user: bob, verb: 'create', group: '', resource: 'pods', namespace: 'team' }).allowed);
    assert.ok(!authz.authorize({ user: bob, verb: 'create', group: '', resource: 'pods', namespace: 'other' }).allowed);
    assert.ok(!authz.authorize({ user: bob, verb: 'list', group: '', resource: 'pods' }).allowed, 'a RoleBinding gives nothing cluster-wide');
    assert.ok(!authz.authorize({ user: bob, verb: 'get', group: '', resource: 'pods', subresource: 'log', namespace: 'other' }).allowed);
    assert.ok(authz.authorize({ user: bob, verb: 'get', group: '', resource: 'pods', subresource: 'log', namespace: 'team' }).allowed);
  });

  test('the allow reason names the binding, its role and the subject, as kube does', () => {
    const { index, authz } = setup();
    index.upsert(rbacKeys.roles, role('r', [{ verbs: ['get'], apiGroups: [''], resources: ['configmaps'] }], 'ns'));
    index.upsert(rbacKeys.roleBindings, binding('rb', 'Role', 'r', [{ kind: 'ServiceAccount', name: 'sa' }], 'ns'));
    const sa = { name: 'system:serviceaccount:ns:sa', groups: ['system:serviceaccounts', 'system:serviceaccounts:ns', 'system:authenticated'] };
    const d = authz.authorize({ user: sa, verb: 'get', group: '', resource: 'configmaps', namespace: 'ns' });
    assert.deepEqual(d, { allowed: true, reason: 'RBAC: allowed by RoleBinding "rb/ns" of Role "r" to ServiceAccount "sa/ns"' });
    const other = { name: 'system:serviceaccount:other:sa', groups: ['system:serviceaccounts', 'system:serviceaccounts:other', 'system:authenticated'] };
    assert.ok(!authz.authorize({ user: other, verb: 'get', group: '', resource: 'configmaps', namespace: 'ns' }).allowed);
  });

  test('groups: system:authenticated, system:serviceaccounts:<ns>, and masters bypass', () => {
    const { index, authz } = setup();
    index.upsert(rbacKeys.roleBindings, binding('sas', 'ClusterRole', 'view', [{ kind: 'Group', name: 'system:serviceaccounts:ml' }], 'ml'));
    const sa = { name: 'system:serviceaccount:ml:runner', groups: ['system:serviceaccounts', 'system:serviceaccounts:ml', 'system:authenticated'] };
    assert.ok(authz.authorize({ user: sa, verb: 'watch', group: 'batch', resource: 'jobs', namespace: 'ml' }).allowed);
    assert.ok(authz.authorize({ user: alice, verb: 'create', group: 'authorization.k8s.io', resource: 'selfsubjectaccessreviews' }).allowed, 'system:basic-user');
    assert.ok(authz.authorize({ user: alice, verb: 'get', group: '', resource: '', path: '/apis/apps/v1' }).allowed, 'system:discovery');
    assert.ok(!authz.authorize({ user: alice, verb: 'get', group: '', resource: '', path: '/metrics' }).allowed);
    assert.ok(authz.authorize({ user: { name: 'root', groups: ['system:masters'] }, verb: 'delete', group: 'x', resource: 'y' }).allowed);
  });

  test('a deleted binding stops counting at once; a binding to a missing role is reported', () => {
    const { index, authz } = setup();
    const b = binding('tmp', 'ClusterRole', 'edit', [{ kind: 'User', name: 'alice' }, { kind: 'Group', name: 'system:authenticated' }], 'ns');
    index.upsert(rbacKeys.roleBindings, b);
    assert.ok(authz.authorize({ user: alice, verb: 'delete', group: '', resource: 'secrets', namespace: 'ns' }).allowed);
    index.remove(rbacKeys.roleBindings, b);
    assert.ok(!authz.authorize({ user: alice, verb: 'delete', group: '', resource: 'secrets', namespace: 'ns' }).allowed);
    index.upsert(rbacKeys.roleBindings, binding('ghost', 'Role', 'nope', [{ kind: 'User', name: 'alice' }], 'ns'));
    assert.deepEqual(authz.authorize({ user: alice, verb: 'get', group: '', resource: 'pods', namespace: 'ns' }), { allowed: false, reason: 'RBAC: role.rbac.authorization.k8s.io "nope" not found' });
    assert.equal(index.rulesFor(alice, 'ns').errors.length, 1);
  });

  test('Kubeflow roles aggregate view ⊂ edit ⊂ admin with their leaf roles', () => {
    const { index, authz } = setup();
    index.upsert(rbacKeys.roleBindings, binding('kv', 'ClusterRole', 'kubeflow-view', [{ kind: 'User', name: 'v' }], 'p'));
    index.upsert(rbacKeys.roleBindings, binding('ke', 'ClusterRole', 'kubeflow-edit', [{ kind: 'User', name: 'e' }], 'p'));
    index.upsert(rbacKeys.roleBindings, binding('ka', 'ClusterRole', 'kubeflow-admin', [{ kind: 'User', name: 'a' }], 'p'));
    const u = (name: string): { name: string; groups: string[] } => ({ name, groups: ['system:authenticated'] });
    const can = (who: string, verb: string, group: string, resource: string, subresource?: string): boolean =>
      authz.authorize({ user: u(who), verb, group, resource, namespace: 'p', ...(subresource ? { subresource } : {}) }).allowed;
    assert.ok(can('v', 'list', 'pipelines.kubeflow.org', 'runs'));
    assert.ok(!can('v', 'create', 'pipelines.kubeflow.org', 'runs'));
    assert.ok(can('e', 'create', 'pipelines.kubeflow.org', 'runs'));
    assert.ok(can('e', 'list', 'pipelines.kubeflow.org', 'runs'), 'edit includes view');
    assert.ok(can('e', 'create', 'kubeflow.org', 'pytorchjobs'));
    assert.ok(can('v', 'get', 'serving.kserve.io', 'inferenceservices'));
    assert.ok(!can('e', 'create', G, 'rolebindings'));
    assert.ok(can('a', 'create', G, 'rolebindings'), 'admin includes kubeflow-kubernetes-admin');
    assert.ok(can('a', 'create', 'kubeflow.org', 'notebooks'), 'admin includes edit');
    assert.ok(can('a', 'get', '', 'pods', 'log'), 'admin includes view');
  });
});

describe('bootstrap reconciliation', () => {
  test('adds missing rules and subjects, keeps what users added, honours autoupdate=false', () => {
    const wanted = bootstrapClusterRoles().find((r) => r.metadata.name === 'system:basic-user')!;
    const existing: RoleObject = structuredClone(wanted);
    existing.rules = [{ verbs: ['get'], apiGroups: [''], resources: ['nodes'] }];
    const next = reconcile(existing, wanted) as RoleObject;
    assert.equal(next.rules!.length, 3);
    assert.equal(reconcile(next, wanted), undefined);
    existing.metadata.annotations = { 'rbac.authorization.kubernetes.io/autoupdate': 'false' };
    assert.equal(reconcile(existing, wanted), undefined);
  });
});

describe('impersonation', () => {
  test('needs impersonate on each user, group and uid; adds system:authenticated; SA groups from the name', () => {
    const { index, authz } = setup();
    const admin = { name: 'root', groups: ['system:masters'] };
    assert.deepEqual(impersonate(admin, { 'impersonate-user': 'bob', 'impersonate-group': 'dev' }, authz), { name: 'bob', groups: ['dev', 'system:authenticated'] });
    assert.deepEqual(impersonate(admin, { 'impersonate-user': 'system:serviceaccount:ns:sa' }, authz), {
      name: 'system:serviceaccount:ns:sa',
      groups: ['system:serviceaccounts', 'system:serviceaccounts:ns', 'system:authenticated'],
    });
    assert.throws(() => impersonate(alice, { 'impersonate-user': 'bob' }, authz), /users "bob" is forbidden: User "alice" cannot impersonate resource "users" in API group "" at the cluster scope/);
    assert.throws(() => impersonate(admin, { 'impersonate-group': 'dev' }, authz), /without impersonating a user/);
    index.upsert(rbacKeys.clusterRoles, role('imp', [{ verbs: ['impersonate'], apiGroups: [''], resources: ['users'], resourceNames: ['bob'] }]));
    index.upsert(rbacKeys.clusterRoleBindings, binding('imp', 'ClusterRole', 'imp', [{ kind: 'User', name: 'alice' }]));
    assert.equal(impersonate(alice, { 'impersonate-user': 'bob' }, authz).name, 'bob');
    assert.throws(() => impersonate(alice, { 'impersonate-user': 'bob', 'impersonate-group': 'system:masters' }, authz), /groups "system:masters" is forbidden/);
  });
});

describe('review kinds', () => {
  test('SubjectAccessReview and SelfSubjectRulesReview answer from the index', () => {
    const { index, authz } = setup();
    index.upsert(rbacKeys.roleBindings, binding('v', 'ClusterRole', 'view', [{ kind: 'User', name: 'alice' }], 'ns'));
    const types = authorizationReviewTypes({ authorizer: authz, rulesFor: (u, ns) => index.rulesFor(u, ns) });
    const sar = types.find((t) => t.kind === 'SubjectAccessReview')!;
    const request = { user: { name: 'root', groups: ['system:masters'] }, dryRun: false };
    const answer = sar.review!(request, { apiVersion: 'authorization.k8s.io/v1', kind: 'SubjectAccessReview', metadata: {}, spec: { user: 'alice', resourceAttributes: { verb: 'list', resource: 'pods', namespace: 'ns' } } });
    assert.equal((answer.status as { allowed: boolean }).allowed, true);
    assert.deepEqual(sar.validate!({ apiVersion: '', kind: '', metadata: {}, spec: {} }).map((e) => e.field), ['spec.resourceAttributes', 'spec.user']);
    const rules = types.find((t) => t.kind === 'SelfSubjectRulesReview')!;
    const status = rules.review!({ user: alice, dryRun: false }, { apiVersion: '', kind: '', metadata: {}, spec: { namespace: 'ns' } }).status as { resourceRules: unknown[]; nonResourceRules: unknown[]; incomplete: boolean };
    assert.ok(status.resourceRules.length > 5);
    assert.ok(status.nonResourceRules.length >= 2);
    assert.equal(status.incomplete, false);
  });
});
