// The profiles capability in cluster mode (`floe controllers`) against a real kube-apiserver with
// kube-controller-manager (tools/control-plane.mjs), running with nothing but the rights `floe install` gives the
// controller manager's ServiceAccount (its token, not the admin's): the Profile CRD installs, a Profile gets its
// namespace, ServiceAccounts, RoleBindings and quota, a foreign namespace is refused, KFAM's reviews are real
// SubjectAccessReviews, and deleting the Profile lets the cluster's garbage collector take the namespace.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { FloeError } from '../src/api/errors.js';
import { clusterManifests, install, SystemNamespace } from '../src/cli/cluster.js';
import type { KubeObject } from '../src/api/meta.js';
import { KubeClient } from '../src/client/kube-client.js';
import { Manager, startCapabilities, type RunningCapabilities } from '../src/controller/index.js';
import { subjectAccessReviewer } from '../src/controllers/profiles/access.js';
import { profilesCapability } from '../src/controllers/profiles/capability.js';
import { kfamRoute } from '../src/controllers/profiles/kfam.js';
import { notOwnedMessage } from '../src/controllers/profiles/profile-controller.js';
import { NamespaceRef, ProfileRef, ResourceQuotaRef, RoleBindingRef, ServiceAccountRef, type Profile, type RoleBinding } from '../src/controllers/profiles/types.js';
import { createLogger } from '../src/server/logger.js';
import { controlPlaneUnavailable, startControlPlane, type ControlPlane } from './helpers/control-plane.js';
import { waitFor } from './helpers/wait.js';

const unavailable = controlPlaneUnavailable();
const notFound = (err: unknown): boolean => err instanceof FloeError && err.reason === 'NotFound';

describe('profiles on a real kube-apiserver (cluster mode)', { ...(unavailable ? { skip: unavailable } : {}), timeout: 600_000 }, () => {
  let plane: ControlPlane;
  let client: KubeClient;
  let dir: string;
  let running: RunningCapabilities;
  let kfam: Server;
  let kfamBase: string;

  before(async () => {
    plane = await startControlPlane();
    client = KubeClient.fromFile(plane.kubeconfig);
    dir = await mkdtemp(join(tmpdir(), 'floe-profiles-cluster-'));
    // What `floe install` applies (CRDs, the controller manager's ServiceAccount and ClusterRole, Kubeflow's roles);
    // the controllers then run as that ServiceAccount, so a right missing from the install fails this suite.
    await install(client, clusterManifests({ image: 'registry.example/floe:test' }), () => undefined);
    await client.patch({ apiVersion: 'apps/v1', kind: 'Deployment' }, 'floe-controller-manager', SystemNamespace, { spec: { replicas: 0 } }, 'application/merge-patch+json');
    const token = execFileSync('kubectl', ['--kubeconfig', plane.kubeconfig, 'create', 'token', 'floe-controller-manager', '-n', SystemNamespace, '--duration=2h'], { encoding: 'utf8' }).trim();
    const saKubeconfig = join(dir, 'controller-manager.kubeconfig');
    writeFileSync(saKubeconfig, readFileSync(plane.kubeconfig, 'utf8').replace(/^(\s+token: ).*$/m, `$1${token}`), { mode: 0o600 });
    const controller = KubeClient.fromFile(saKubeconfig);
    assert.equal((await controller.list(NamespaceRef)).kind, 'NamespaceList');
    await assert.rejects(controller.list({ apiVersion: 'v1', kind: 'Node' }), (err: unknown) => err instanceof FloeError && err.reason === 'Forbidden', 'the ServiceAccount is not an admin');
    const logger = createLogger({ level: 'silent' });
    const manager = new Manager({ client: controller, log: logger });
    running = await startCapabilities([profilesCapability()], { mode: 'cluster', client: controller, logger, dataDir: dir, url: 'http://127.0.0.1', pythonDir: dir }, manager);
    // KFAM as `floe controllers` serves it; the caller is the x-user header of this test's front door.
    const route = kfamRoute({ client: controller, review: subjectAccessReviewer(controller) });
    kfam = createServer((req, res) => {
      const user = String(req.headers['x-user'] ?? '');
      void Promise.resolve(route.handle(req, res, new URL(req.url ?? '/', 'http://localhost'), { name: user, groups: ['system:authenticated'] })).catch((err: unknown) => {
        res.writeHead(500);
        res.end(String(err));
      });
    });
    await new Promise<void>((resolve) => kfam.listen(0, '127.0.0.1', resolve));
    kfamBase = `http://127.0.0.1:${(kfam.address() as AddressInfo).port}/kfam`;
  });
  after(async () => {
    kfam?.closeAllConnections();
    await new Promise<void>((resolve) => (kfam ? kfam.close(() => resolve()) : resolve()));
    await running?.stop();
    await plane?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  test('a Profile gets its namespace, ServiceAccounts, RoleBindings and quota; a foreign namespace is refused', async () => {
    await client.create<Profile>({ apiVersion: 'kubeflow.org/v1', kind: 'Profile', metadata: { name: 'team-c' }, spec: { owner: { kind: 'User', name: 'carol@example.com' }, resourceQuotaSpec: { hard: { cpu: '2', pods: '10' } } } });
    const ns = await waitFor(() => client.get(NamespaceRef, 'team-c'), { what: 'namespace team-c', timeoutMs: 60_000 });
    assert.equal(ns.metadata.annotations?.owner, 'carol@example.com');
    assert.equal(ns.metadata.labels?.['app.kubernetes.io/part-of'], 'kubeflow-profile');
    for (const sa of ['default-editor', 'default-viewer']) await waitFor(() => client.get(ServiceAccountRef, sa, 'team-c'), { what: sa, timeoutMs: 60_000 });
    const admin = await waitFor(() => client.get<RoleBinding>(RoleBindingRef, 'namespaceAdmin', 'team-c'), { what: 'namespaceAdmin', timeoutMs: 60_000 });
    assert.deepEqual(admin.roleRef, { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'kubeflow-admin' });
    assert.deepEqual(admin.subjects, [{ kind: 'User', name: 'carol@example.com', apiGroup: 'rbac.authorization.k8s.io' }]);
    const editor = await waitFor(() => client.get<RoleBinding>(RoleBindingRef, 'default-editor', 'team-c'), { what: 'default-editor binding', timeoutMs: 60_000 });
    // Settled: kube-apiserver's defaulting of the ServiceAccount subject's apiGroup causes no update loop.
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    assert.equal((await client.get(RoleBindingRef, 'default-editor', 'team-c')).metadata.resourceVersion, editor.metadata.resourceVersion);
    const quota = await waitFor(() => client.get<KubeObject & { spec?: { hard?: Record<string, string> } }>(ResourceQuotaRef, 'kf-resource-quota', 'team-c'), { what: 'quota', timeoutMs: 60_000 });
    assert.deepEqual(quota.spec?.hard, { cpu: '2', pods: '10' });
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    assert.equal((await client.get(ResourceQuotaRef, 'kf-resource-quota', 'team-c')).metadata.resourceVersion, quota.metadata.resourceVersion);

    await client.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'dave-owns-this', annotations: { owner: 'dave@example.com' } } });
    await client.create<Profile>({ apiVersion: 'kubeflow.org/v1beta1', kind: 'Profile', metadata: { name: 'dave-owns-this' }, spec: { owner: { kind: 'User', name: 'carol@example.com' } } });
    const failed = await waitFor(async () => {
      const p = await client.get<Profile>(ProfileRef, 'dave-owns-this');
      return p.status?.conditions?.length ? p : undefined;
    }, { what: 'Failed condition', timeoutMs: 60_000 });
    assert.equal(failed.status?.conditions?.[0]?.message, notOwnedMessage('carol@example.com'));
  });

  test('KFAM on a cluster: owner adds a contributor, others are refused, clusteradmin is a real SubjectAccessReview', async () => {
    const binding = { user: { kind: 'User', name: 'erin@example.com' }, referredNamespace: 'team-c', RoleRef: { kind: 'ClusterRole', name: 'view' } };
    const post = (user: string, body: unknown, method = 'POST'): Promise<Response> => fetch(`${kfamBase}/v1/bindings`, { method, headers: { 'content-type': 'application/json', 'x-user': user }, body: JSON.stringify(body) });
    assert.equal((await post('mallory@example.com', binding)).status, 403);
    const ok = await post('carol@example.com', binding);
    assert.equal(ok.status, 200, await ok.text());
    const rb = await client.get<RoleBinding>(RoleBindingRef, 'user-erin-example-com-clusterrole-view', 'team-c');
    assert.equal(rb.roleRef.name, 'kubeflow-view');
    assert.equal((await (await fetch(`${kfamBase}/v1/role/clusteradmin?user=carol@example.com`, { headers: { 'x-user': 'carol@example.com' } })).text()), 'false');
    const del = await post('carol@example.com', binding, 'DELETE');
    assert.equal(del.status, 200, await del.text());
    await assert.rejects(client.get(RoleBindingRef, 'user-erin-example-com-clusterrole-view', 'team-c'), notFound);
  });

  test('deleting the Profile removes its finalizer and the cluster\'s garbage collector takes the namespace', async () => {
    await client.delete(ProfileRef, 'team-c');
    await waitFor(() => client.get(ProfileRef, 'team-c').then(() => false, notFound), { what: 'profile gone', timeoutMs: 60_000 });
    await waitFor(async () => {
      try {
        const ns = await client.get(NamespaceRef, 'team-c');
        return ns.metadata.deletionTimestamp !== undefined;
      } catch (err) {
        return notFound(err);
      }
    }, { what: 'namespace deleted by the garbage collector', timeoutMs: 120_000 });
  });
});
