// Profiles and KFAM against a real embedded Floe: the controller's namespace, ServiceAccounts, RoleBindings and quota,
// the refusal of a namespace owned by someone else, deletion cascading, and KFAM's bindings over HTTP.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { FloeError } from '../src/api/errors.js';
import type { KubeObject } from '../src/api/meta.js';
import { PatchType } from '../src/client/client.js';
import { defaultConfig } from '../src/server/config.js';
import { startFloe, type Floe } from '../src/server/floe.js';
import { waitFor } from './helpers/wait.js';
import { notOwnedMessage } from '../src/controllers/profiles/profile-controller.js';
import { NamespaceRef, ProfileRef, ResourceQuotaRef, RoleBindingRef, ServiceAccountRef, type Profile, type RoleBinding } from '../src/controllers/profiles/types.js';

const notFound = (err: unknown): boolean => err instanceof FloeError && err.reason === 'NotFound';

describe('profiles (embedded)', () => {
  let floe: Floe;
  let dir: string;
  let rbac = false;
  let quota = false;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'floe-profiles-'));
    floe = await startFloe({ ...defaultConfig(), dataDir: dir, port: 0, logLevel: 'silent', controllers: true });
    rbac = await floe.client.list(RoleBindingRef, { limit: 1 }).then(() => true, () => false);
    quota = await floe.client.list(ResourceQuotaRef, { limit: 1 }).then(() => true, () => false);
  });
  after(async () => {
    await floe.stop();
    await rm(dir, { recursive: true, force: true });
  });

  const profile = (name: string, owner: string, hard?: Record<string, string>): Profile => ({
    apiVersion: 'kubeflow.org/v1',
    kind: 'Profile',
    metadata: { name },
    spec: { owner: { kind: 'User', name: owner }, ...(hard ? { resourceQuotaSpec: { hard } } : {}) },
  });

  test('a Profile becomes a namespace with owner, labels, ServiceAccounts, bindings and quota; deleting it removes them', async () => {
    await floe.client.create(profile('team-a', 'alice@example.com', { cpu: '2', 'requests.nvidia.com/gpu': '1' }));
    const ns = await waitFor(() => floe.client.get(NamespaceRef, 'team-a'), { what: 'namespace team-a' });
    assert.equal(ns.metadata.annotations?.owner, 'alice@example.com');
    assert.equal(ns.metadata.labels?.['app.kubernetes.io/part-of'], 'kubeflow-profile');
    assert.equal(ns.metadata.labels?.['pipelines.kubeflow.org/enabled'], 'true');
    assert.equal(ns.metadata.labels?.['katib.kubeflow.org/metrics-collector-injection'], 'enabled');
    assert.equal(ns.metadata.ownerReferences?.[0]?.kind, 'Profile');
    for (const sa of ['default-editor', 'default-viewer']) await waitFor(() => floe.client.get(ServiceAccountRef, sa, 'team-a'), { what: `ServiceAccount ${sa}` });
    const p = await floe.client.get<Profile>(ProfileRef, 'team-a');
    assert.deepEqual(p.metadata.finalizers, ['profile-finalizer']);
    // v1beta1 is served too.
    const beta = await floe.client.get<Profile>({ apiVersion: 'kubeflow.org/v1beta1', kind: 'Profile' }, 'team-a');
    assert.equal(beta.spec?.owner?.name, 'alice@example.com');

    if (rbac) {
      const admin = await waitFor(() => floe.client.get<RoleBinding>(RoleBindingRef, 'namespaceAdmin', 'team-a'), { what: 'namespaceAdmin' });
      assert.deepEqual(admin.metadata.annotations, { user: 'alice@example.com', role: 'admin' });
      assert.deepEqual(admin.roleRef, { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'kubeflow-admin' });
      assert.deepEqual(admin.subjects, [{ kind: 'User', name: 'alice@example.com', apiGroup: 'rbac.authorization.k8s.io' }]);
      const editor = await waitFor(() => floe.client.get<RoleBinding>(RoleBindingRef, 'default-editor', 'team-a'), { what: 'default-editor binding' });
      assert.equal(editor.roleRef.name, 'kubeflow-edit');
      assert.deepEqual(editor.subjects?.map((x) => ({ ...x, apiGroup: x.apiGroup ?? '' })), [{ kind: 'ServiceAccount', name: 'default-editor', namespace: 'team-a', apiGroup: '' }]);
      const viewer = await waitFor(() => floe.client.get<RoleBinding>(RoleBindingRef, 'default-viewer', 'team-a'), { what: 'default-viewer binding' });
      assert.equal(viewer.roleRef.name, 'kubeflow-view');
      // Settled objects are left alone: no update loop from a server-defaulted field.
      const settled = await floe.client.get<RoleBinding>(RoleBindingRef, 'default-editor', 'team-a');
      await new Promise((resolve) => setTimeout(resolve, 500));
      assert.equal((await floe.client.get<RoleBinding>(RoleBindingRef, 'default-editor', 'team-a')).metadata.resourceVersion, settled.metadata.resourceVersion);
      // A binding edited by hand is brought back.
      await floe.client.update({ ...admin, subjects: [{ kind: 'User', name: 'mallory@example.com', apiGroup: 'rbac.authorization.k8s.io' }] });
      await waitFor(async () => (await floe.client.get<RoleBinding>(RoleBindingRef, 'namespaceAdmin', 'team-a')).subjects?.[0]?.name === 'alice@example.com', { what: 'namespaceAdmin restored' });
    }
    if (quota) {
      const q = await waitFor(() => floe.client.get<KubeObject & { spec?: { hard?: Record<string, string> } }>(ResourceQuotaRef, 'kf-resource-quota', 'team-a'), { what: 'kf-resource-quota' });
      assert.equal(String(q.spec?.hard?.cpu), '2');
      await floe.client.patch(ProfileRef, 'team-a', undefined, { spec: { resourceQuotaSpec: { hard: { cpu: '4' } } } }, PatchType.Merge);
      await waitFor(async () => String((await floe.client.get<KubeObject & { spec?: { hard?: Record<string, string> } }>(ResourceQuotaRef, 'kf-resource-quota', 'team-a')).spec?.hard?.cpu) === '4', { what: 'quota updated' });
      await floe.client.patch(ProfileRef, 'team-a', undefined, { spec: { resourceQuotaSpec: { hard: null } } }, PatchType.Merge);
      await waitFor(() => floe.client.get(ResourceQuotaRef, 'kf-resource-quota', 'team-a').then(() => false, (err: unknown) => notFound(err)), { what: 'quota deleted when hard empties' });
    }

    await floe.client.delete(ProfileRef, 'team-a');
    await waitFor(() => floe.client.get(ProfileRef, 'team-a').then(() => false, (err: unknown) => notFound(err)), { what: 'profile gone', timeoutMs: 30_000 });
    await waitFor(() => floe.client.get(NamespaceRef, 'team-a').then(() => false, (err: unknown) => notFound(err)), { what: 'namespace gone', timeoutMs: 30_000 });
  });

  test('a namespace that exists with another owner is refused with upstream\'s Failed condition', async () => {
    await floe.client.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'taken', annotations: { owner: 'bob@example.com' } } });
    await floe.client.create(profile('taken', 'alice@example.com'));
    const p = await waitFor(async () => {
      const got = await floe.client.get<Profile>(ProfileRef, 'taken');
      return got.status?.conditions?.length ? got : undefined;
    }, { what: 'Failed condition' });
    assert.deepEqual(p.status?.conditions, [{ type: 'Failed', status: 'True', message: notOwnedMessage('alice@example.com') }]);
    assert.equal(notOwnedMessage('alice@example.com'), 'namespace already exist, but not owned by profile creator alice@example.com');
    await assert.rejects(floe.client.get(ServiceAccountRef, 'default-editor', 'taken'), notFound);
    const ns = await floe.client.get(NamespaceRef, 'taken');
    assert.equal(ns.metadata.annotations?.owner, 'bob@example.com');
    assert.equal(ns.metadata.ownerReferences, undefined);
  });

  test('KFAM over HTTP: hello, add a contributor, list it with the capitalised RoleRef, remove it; clusteradmin', async (t) => {
    const kfam = (path: string, init?: RequestInit): Promise<Response> => fetch(`${floe.url}/kfam${path}`, { ...init, headers: { 'content-type': 'application/json' } });
    assert.equal(await (await kfam('/')).text(), 'Hello World!');
    // Profiles through KFAM (the dashboard's registration), as the local admin.
    const created = await kfam('/v1/profiles', { method: 'POST', body: JSON.stringify({ metadata: { name: 'team-k' }, spec: { owner: { kind: 'User', name: 'alice@example.com' } } }) });
    assert.equal(created.status, 200, await created.text());
    await waitFor(() => floe.client.get(NamespaceRef, 'team-k'), { what: 'namespace team-k' });
    if (!rbac) {
      t.skip('rbac.authorization.k8s.io RoleBindings are not served yet');
      return;
    }
    const binding = { user: { kind: 'User', name: 'bob@example.com' }, referredNamespace: 'team-k', RoleRef: { kind: 'ClusterRole', name: 'edit' } };
    const add = await kfam('/v1/bindings', { method: 'POST', body: JSON.stringify(binding) });
    assert.equal(add.status, 200, await add.text());
    const rb = await floe.client.get<RoleBinding>(RoleBindingRef, 'user-bob-example-com-clusterrole-edit', 'team-k');
    assert.deepEqual(rb.metadata.annotations, { user: 'bob@example.com', role: 'edit' });
    assert.equal(rb.roleRef.name, 'kubeflow-edit');
    const list = (await (await kfam('/v1/bindings?namespace=team-k&role=edit')).json()) as { bindings: unknown[] };
    assert.deepEqual(list.bindings, [{ user: { kind: 'User', name: 'bob@example.com' }, referredNamespace: 'team-k', RoleRef: { kind: 'ClusterRole', name: 'edit' } }]);
    const byUser = (await (await kfam('/v1/bindings?user=alice@example.com')).json()) as { bindings: { referredNamespace: string; RoleRef: { name: string } }[] };
    assert.ok(byUser.bindings.some((b) => b.referredNamespace === 'team-k' && b.RoleRef.name === 'admin'), JSON.stringify(byUser));
    const del = await kfam('/v1/bindings', { method: 'DELETE', body: JSON.stringify(binding) });
    assert.equal(del.status, 200, await del.text());
    await assert.rejects(floe.client.get(RoleBindingRef, 'user-bob-example-com-clusterrole-edit', 'team-k'), notFound);
    // Bindings to a namespace without a Profile are refused (403, empty body), even for an admin, as upstream.
    const orphan = await kfam('/v1/bindings', { method: 'POST', body: JSON.stringify({ ...binding, referredNamespace: 'default' }) });
    assert.equal(orphan.status, 403);
    const del2 = await kfam('/v1/profiles/team-k', { method: 'DELETE' });
    assert.equal(del2.status, 200);
  });
});
