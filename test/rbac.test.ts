// RBAC, differential: the same Roles and bindings applied to Floe and to a real kube-apiserver 1.32, then real
// `kubectl auth can-i` (impersonating users, groups and ServiceAccounts from an admin kubeconfig) must answer the same
// on both, `can-i --list` must print the same table, and a refused request must carry kube-apiserver's 403 text.
// Floe-only: a deleted binding takes effect on the next request, escalation is refused, every route kind answers 403.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { defaultConfig } from '../src/server/config.js';
import { startFloe, type Floe } from '../src/server/floe.js';
import { controlPlaneUnavailable, startControlPlane, type ControlPlane } from './helpers/control-plane.js';

interface Run {
  code: number;
  out: string;
}

function kubectl(kubeconfig: string, args: string[], stdin?: string): Promise<Run> {
  return new Promise((resolve) => {
    const child = execFile('kubectl', ['--kubeconfig', kubeconfig, ...args], { encoding: 'utf8' }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, out: `${stdout}${stderr}` });
    });
    if (stdin !== undefined) child.stdin?.end(stdin);
  });
}

interface Reply {
  status: number;
  body: { message?: string; reason?: string; status?: Record<string, unknown> } & Record<string, unknown>;
}

/** One raw request as `user` (impersonated by the admin credentials of the target). */
function requestAs(target: { url: string; token?: string; ca?: string }, method: string, path: string, headers: Record<string, string> = {}, body?: unknown): Promise<Reply> {
  const url = new URL(path, target.url);
  const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
  const h: Record<string, string | number> = { ...headers };
  if (payload) Object.assign(h, { 'content-type': headers['content-type'] ?? 'application/json', 'content-length': payload.length });
  if (target.token) h.authorization = `Bearer ${target.token}`;
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = send(url, { method, headers: h, ...(target.ca ? { ca: target.ca } : {}) }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let parsed: Reply['body'] = {};
        try {
          parsed = JSON.parse(text) as Reply['body'];
        } catch {
          parsed = { message: text };
        }
        resolve({ status: res.statusCode ?? 0, body: parsed });
      });
    });
    req.on('error', reject);
    req.end(payload);
  });
}

const policy = `
apiVersion: v1
kind: Namespace
metadata: {name: rbac-a}
---
apiVersion: v1
kind: Namespace
metadata: {name: rbac-b}
---
apiVersion: v1
kind: ServiceAccount
metadata: {name: robot, namespace: rbac-a}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: pod-reader, namespace: rbac-a}
rules:
- {apiGroups: [""], resources: [pods, pods/log], verbs: [get, list, watch]}
- {apiGroups: [""], resources: [configmaps], resourceNames: [cm1], verbs: [get, update]}
- {apiGroups: [batch], resources: ["*"], verbs: [list]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: alice-reads, namespace: rbac-a}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: pod-reader}
subjects: [{kind: User, name: alice, apiGroup: rbac.authorization.k8s.io}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: bob-edits, namespace: rbac-b}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: edit}
subjects: [{kind: User, name: bob, apiGroup: rbac.authorization.k8s.io}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: carol-views}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: view}
subjects: [{kind: User, name: carol, apiGroup: rbac.authorization.k8s.io}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: devs-admin, namespace: rbac-a}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: admin}
subjects: [{kind: Group, name: devs, apiGroup: rbac.authorization.k8s.io}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: robot-view, namespace: rbac-b}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: view}
subjects: [{kind: ServiceAccount, name: robot, namespace: rbac-a}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: sas-read, namespace: rbac-a}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: pod-reader}
subjects: [{kind: Group, name: "system:serviceaccounts:rbac-a", apiGroup: rbac.authorization.k8s.io}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: rbac-test-urls}
rules:
- {nonResourceURLs: [/metrics, "/logs/*"], verbs: [get]}
- {apiGroups: [""], resources: ["*/scale", nodes], verbs: [get]}
- {apiGroups: [""], resources: [users], verbs: [impersonate], resourceNames: [zed]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: dave-urls}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: rbac-test-urls}
subjects: [{kind: User, name: dave, apiGroup: rbac.authorization.k8s.io}]
`;

/** [impersonation flags, can-i arguments]. */
const users: [string, string[]][] = [
  ['alice', ['--as', 'alice']],
  ['bob', ['--as', 'bob']],
  ['carol', ['--as', 'carol']],
  ['dave', ['--as', 'dave']],
  ['eve', ['--as', 'eve']],
  ['frank (devs)', ['--as', 'frank', '--as-group', 'devs']],
  ['robot (SA)', ['--as', 'system:serviceaccount:rbac-a:robot']],
];

const checks: string[][] = [
  ['get', 'pods', '-n', 'rbac-a'],
  ['list', 'pods', '-n', 'rbac-b'],
  ['create', 'pods', '-n', 'rbac-a'],
  ['get', 'pods', '--subresource', 'log', '-n', 'rbac-a'],
  ['get', 'configmaps/cm1', '-n', 'rbac-a'],
  ['get', 'configmaps/cm2', '-n', 'rbac-a'],
  ['list', 'jobs.batch', '-n', 'rbac-a'],
  ['delete', 'secrets', '-n', 'rbac-b'],
  ['create', 'rolebindings', '-n', 'rbac-a'],
  ['list', 'pods', '-A'],
  ['get', '/metrics'],
  ['get', '/logs/kube'],
  ['get', '/apis'],
  ['get', 'nodes'],
  ['impersonate', 'serviceaccounts', '-n', 'rbac-b'],
  ['impersonate', 'users/zed'],
  ['create', 'localsubjectaccessreviews', '-n', 'rbac-a'],
  ['list', 'namespaces'],
];

/** The target's admin connection, read from its kubeconfig. */
async function connection(kubeconfig: string): Promise<{ url: string; token?: string; ca?: string }> {
  const config = parseYaml(await readFile(kubeconfig, 'utf8')) as { clusters: { cluster: { server: string; 'certificate-authority-data'?: string } }[]; users: { user: { token?: string } | null }[] };
  const cluster = config.clusters[0]!.cluster;
  const out: { url: string; token?: string; ca?: string } = { url: cluster.server };
  const token = config.users[0]?.user?.token;
  if (token) out.token = token;
  if (cluster['certificate-authority-data']) out.ca = Buffer.from(cluster['certificate-authority-data'], 'base64').toString('utf8');
  return out;
}

async function inBatches<T, R>(items: T[], width: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = [];
  for (let i = 0; i < items.length; i += width) out.push(...(await Promise.all(items.slice(i, i + width).map(fn))));
  return out;
}

async function startTempFloe(controllers = false): Promise<{ floe: Floe; dir: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'floe-rbac-'));
  const floe = await startFloe({ ...defaultConfig(), dataDir: dir, port: 0, logLevel: 'silent', runPods: false, controllers });
  return { floe, dir };
}

const skip = controlPlaneUnavailable();

describe('RBAC: kubectl auth can-i against Floe and kube-apiserver', { skip }, () => {
  let floe: Floe;
  let dir: string;
  let plane: ControlPlane;
  let manifest: string;

  before(async () => {
    ({ floe, dir } = await startTempFloe());
    plane = await startControlPlane();
    manifest = join(dir, 'policy.yaml');
    await writeFile(manifest, policy);
    for (const kubeconfig of [floe.kubeconfigPath, plane.kubeconfig]) {
      const applied = await kubectl(kubeconfig, ['apply', '-f', manifest]);
      assert.equal(applied.code, 0, applied.out);
    }
    // kube-apiserver's RBAC reads bindings through an informer: wait until the last one counts there.
    for (let i = 0; i < 100; i++) {
      const r = await kubectl(plane.kubeconfig, ['auth', 'can-i', 'get', '/metrics', '--as', 'dave']);
      if (r.code === 0) break;
      await new Promise((res) => setTimeout(res, 100));
    }
  });

  after(async () => {
    await floe?.stop();
    await plane?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  test('the same yes/no for every user and check', async () => {
    const cases = users.flatMap(([who, as]) => checks.map((check) => ({ who, args: ['auth', 'can-i', ...check, ...as] })));
    const answers = await inBatches(cases, 4, async (c) => {
      const [onFloe, onKube] = await Promise.all([kubectl(floe.kubeconfigPath, c.args), kubectl(plane.kubeconfig, c.args)]);
      return { c, onFloe, onKube };
    });
    const differences = answers.filter((a) => a.onFloe.code !== a.onKube.code || a.onFloe.out.split('\n')[0]!.trim() !== a.onKube.out.split('\n')[0]!.trim());
    assert.deepEqual(
      differences.map((d) => `${d.c.who}: ${d.c.args.join(' ')} → floe ${d.onFloe.code} ${JSON.stringify(d.onFloe.out.trim())}, kube ${d.onKube.code} ${JSON.stringify(d.onKube.out.trim())}`),
      [],
    );
    // The matrix is not trivially all-no or all-yes.
    const yes = answers.filter((a) => a.onKube.code === 0).length;
    assert.ok(yes > 20 && yes < answers.length - 20, `${yes} of ${answers.length} allowed`);
  });

  test('can-i --list prints the same rules for users bound to the bootstrap roles', async () => {
    const lists: string[][] = [
      ['--as', 'alice', '-n', 'rbac-a'],
      ['--as', 'bob', '-n', 'rbac-b'],
      ['--as', 'carol', '-n', 'default'],
      ['--as', 'frank', '--as-group', 'devs', '-n', 'rbac-a'],
      ['--as', 'eve', '-n', 'default'],
      ['--as', 'dave', '-n', 'default'],
    ];
    for (const flags of lists) {
      const [onFloe, onKube] = await Promise.all([kubectl(floe.kubeconfigPath, ['auth', 'can-i', '--list', ...flags]), kubectl(plane.kubeconfig, ['auth', 'can-i', '--list', ...flags])]);
      assert.equal(onFloe.code, onKube.code, flags.join(' '));
      assert.equal(sortedLines(onFloe.out), sortedLines(onKube.out), `can-i --list ${flags.join(' ')}`);
    }
  });

  test("a refused request carries kube-apiserver's 403 text, resource and non-resource", async () => {
    const floeTarget = await connection(floe.kubeconfigPath);
    const kubeTarget = await connection(plane.kubeconfig);
    const probes: [string, string, Record<string, string>][] = [
      ['GET', '/api/v1/namespaces/rbac-a/pods', { 'Impersonate-User': 'eve' }],
      ['GET', '/api/v1/namespaces/rbac-a/pods/p1/log', { 'Impersonate-User': 'eve' }],
      ['DELETE', '/api/v1/namespaces/rbac-b/secrets/s1', { 'Impersonate-User': 'carol' }],
      ['GET', '/apis/rbac.authorization.k8s.io/v1/clusterroles', { 'Impersonate-User': 'alice' }],
      ['GET', '/logs/', { 'Impersonate-User': 'eve' }],
      ['GET', '/api/v1/namespaces/rbac-a/pods', { 'Impersonate-User': 'zed' }],
      ['GET', '/api/v1/namespaces/rbac-a/configmaps/cm2', { 'Impersonate-User': 'alice' }],
      ['GET', '/api/v1/nodes', { 'Impersonate-User': 'eve', 'Impersonate-Group': 'devs' }],
    ];
    for (const [method, path, headers] of probes) {
      const [onFloe, onKube] = await Promise.all([requestAs(floeTarget, method, path, headers), requestAs(kubeTarget, method, path, headers)]);
      assert.equal(onKube.status, 403, `${method} ${path} on kube: ${JSON.stringify(onKube.body)}`);
      assert.equal(onFloe.status, 403, `${method} ${path} on floe: ${JSON.stringify(onFloe.body)}`);
      assert.equal(onFloe.body.message, onKube.body.message, `${method} ${path}`);
      assert.equal(onFloe.body.reason, 'Forbidden');
    }
    // Impersonating without the right: kube's text for the impersonation check.
    const as = { 'Impersonate-User': 'alice' };
    const imp = { 'Impersonate-User': 'bob' };
    const [f, k] = await Promise.all([
      requestAs(floeTarget, 'GET', '/api/v1/namespaces/rbac-a/pods', { ...as, ...imp }),
      requestAs(kubeTarget, 'GET', '/api/v1/namespaces/rbac-a/pods', { ...as, ...imp }),
    ]);
    assert.equal(f.status, k.status);
  });

  test("the bootstrap ClusterRoles and bindings kubectl users meet have kube-apiserver's rules, labels and subjects", async () => {
    const roles = ['cluster-admin', 'admin', 'edit', 'view', 'system:aggregate-to-admin', 'system:aggregate-to-edit', 'system:aggregate-to-view', 'system:basic-user', 'system:discovery', 'system:public-info-viewer', 'system:monitoring', 'system:auth-delegator', 'system:service-account-issuer-discovery'];
    const bindings = ['cluster-admin', 'system:basic-user', 'system:discovery', 'system:public-info-viewer', 'system:monitoring', 'system:service-account-issuer-discovery'];
    const shape = (out: string): unknown => {
      const o = JSON.parse(out) as { metadata: { labels?: unknown; annotations?: unknown }; rules?: unknown; aggregationRule?: unknown; roleRef?: unknown; subjects?: unknown };
      return { labels: o.metadata.labels, annotations: o.metadata.annotations, rules: o.rules, aggregationRule: o.aggregationRule, roleRef: o.roleRef, subjects: o.subjects };
    };
    for (const [kind, names] of [['clusterrole', roles], ['clusterrolebinding', bindings]] as const) {
      for (const name of names) {
        const [onFloe, onKube] = await Promise.all([kubectl(floe.kubeconfigPath, ['get', kind, name, '-o', 'json']), kubectl(plane.kubeconfig, ['get', kind, name, '-o', 'json'])]);
        assert.equal(onKube.code, 0, onKube.out);
        assert.equal(onFloe.code, 0, onFloe.out);
        assert.deepEqual(shape(onFloe.out), shape(onKube.out), `${kind} ${name}`);
      }
    }
  });

  test("escalation is refused with kube-apiserver's text", async () => {
    const floeTarget = await connection(floe.kubeconfigPath);
    const kubeTarget = await connection(plane.kubeconfig);
    const G = 'rbac.authorization.k8s.io';
    const grab = { apiVersion: `${G}/v1`, kind: 'RoleBinding', metadata: { name: 'grab' }, roleRef: { apiGroup: G, kind: 'ClusterRole', name: 'cluster-admin' }, subjects: [{ kind: 'User', name: 'frank', apiGroup: G }] };
    const role = { apiVersion: `${G}/v1`, kind: 'Role', metadata: { name: 'wider' }, rules: [{ apiGroups: ['', 'apps'], resources: ['nodes', 'secrets'], verbs: ['get', 'watch'] }, { apiGroups: [''], resources: ['pods'], verbs: ['get'], resourceNames: ['p'] }] };
    const frank = { 'Impersonate-User': 'frank', 'Impersonate-Group': 'devs' };
    for (const [path, body] of [[`/apis/${G}/v1/namespaces/rbac-a/rolebindings`, grab], [`/apis/${G}/v1/namespaces/rbac-a/roles`, role]] as const) {
      const [onFloe, onKube] = await Promise.all([requestAs(floeTarget, 'POST', path, frank, body), requestAs(kubeTarget, 'POST', path, frank, body)]);
      assert.equal(onKube.status, 403, JSON.stringify(onKube.body));
      assert.equal(onFloe.status, 403, JSON.stringify(onFloe.body));
      assert.equal(onFloe.body.message, onKube.body.message);
    }
  });

  test("invalid RBAC objects get kube-apiserver's 422 causes; RBAC names may contain colons", async () => {
    const floeTarget = await connection(floe.kubeconfigPath);
    const kubeTarget = await connection(plane.kubeconfig);
    const G = 'rbac.authorization.k8s.io';
    const cases: [string, unknown][] = [
      [`/apis/${G}/v1/namespaces/rbac-a/roles`, { apiVersion: `${G}/v1`, kind: 'Role', metadata: { name: 'bad:role' }, rules: [{ apiGroups: [''], resources: [] , verbs: [] }, { nonResourceURLs: ['/x'], verbs: ['get'] }] }],
      [`/apis/${G}/v1/clusterroles`, { apiVersion: `${G}/v1`, kind: 'ClusterRole', metadata: { name: 'bad-cr' }, rules: [{ nonResourceURLs: ['/x'], apiGroups: [''], verbs: ['get'] }], aggregationRule: { clusterRoleSelectors: [] } }],
      [`/apis/${G}/v1/clusterrolebindings`, { apiVersion: `${G}/v1`, kind: 'ClusterRoleBinding', metadata: { name: 'bad-crb' }, roleRef: { apiGroup: G, kind: 'Role', name: 'x' }, subjects: [{ kind: 'ServiceAccount', name: 'sa' }, { kind: 'Robot', name: 'r' }, { kind: 'User', name: '' }] }],
      [`/apis/${G}/v1/namespaces/rbac-a/rolebindings`, { apiVersion: `${G}/v1`, kind: 'RoleBinding', metadata: { name: 'bad/rb' }, roleRef: { apiGroup: 'x', kind: 'ClusterRole', name: '' } }],
    ];
    for (const [path, body] of cases) {
      const [onFloe, onKube] = await Promise.all([requestAs(floeTarget, 'POST', path, {}, body), requestAs(kubeTarget, 'POST', path, {}, body)]);
      assert.equal(onFloe.status, onKube.status, `${path}: ${JSON.stringify(onKube.body)}`);
      const causes = (r: Reply): string[] => ((r.body.details as { causes?: { field?: string; message?: string }[] } | undefined)?.causes ?? []).map((c) => `${c.field}: ${c.message}`).sort();
      assert.deepEqual(causes(onFloe), causes(onKube), path);
    }
    const named = { apiVersion: `${G}/v1`, kind: 'ClusterRole', metadata: { name: 'team:reader' }, rules: [] };
    const [f, k] = await Promise.all([requestAs(floeTarget, 'POST', `/apis/${G}/v1/clusterroles`, {}, named), requestAs(kubeTarget, 'POST', `/apis/${G}/v1/clusterroles`, {}, named)]);
    assert.equal(f.status, 201);
    assert.equal(k.status, 201);
  });

  test('SelfSubjectReview (kubectl auth whoami) names the impersonated user and groups', async () => {
    const args = ['auth', 'whoami', '-o', 'json', '--as', 'frank', '--as-group', 'devs'];
    const [onFloe, onKube] = await Promise.all([kubectl(floe.kubeconfigPath, args), kubectl(plane.kubeconfig, args)]);
    assert.equal(onFloe.code, 0, onFloe.out);
    const info = (out: string): unknown => (JSON.parse(out) as { status: { userInfo: unknown } }).status.userInfo;
    assert.deepEqual(info(onFloe.out), info(onKube.out));
  });
});

function sortedLines(text: string): string {
  return text
    .split('\n')
    .map((l) => l.replace(/\s+/g, ' ').trim())
    .filter((l) => l !== '')
    .sort()
    .join('\n');
}

describe('RBAC on Floe: bindings take effect on the next request; escalation refused; every route kind', () => {
  let floe: Floe;
  let dir: string;

  before(async () => {
    ({ floe, dir } = await startTempFloe(true));
  });

  after(async () => {
    await floe?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  test('the zero-configuration default is an explicit identity (the local admin), not anonymous access', async () => {
    const r = await kubectl(floe.kubeconfigPath, ['auth', 'whoami', '-o', 'json']);
    assert.equal(r.code, 0, r.out);
    const info = (JSON.parse(r.out) as { status: { userInfo: { username: string; groups: string[] } } }).status.userInfo;
    assert.equal(info.username, 'floe-admin');
    assert.deepEqual([...info.groups].sort(), ['system:authenticated', 'system:masters']);
    // Anyone else is a named user that RBAC judges: impersonating one leaves it without rights.
    const eve = await kubectl(floe.kubeconfigPath, ['auth', 'can-i', 'list', 'secrets', '--as', 'eve']);
    assert.equal(eve.out.trim(), 'no');
  });

  test('a deleted binding takes effect on the next request', async () => {
    const target = await connection(floe.kubeconfigPath);
    const eve = { 'Impersonate-User': 'eve' };
    assert.equal((await requestAs(target, 'GET', '/api/v1/namespaces/default/configmaps', eve)).status, 403);
    const created = await requestAs(target, 'POST', '/apis/rbac.authorization.k8s.io/v1/namespaces/default/rolebindings', {}, {
      apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', metadata: { name: 'eve-view' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'view' }, subjects: [{ kind: 'User', name: 'eve', apiGroup: 'rbac.authorization.k8s.io' }],
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    assert.equal((await requestAs(target, 'GET', '/api/v1/namespaces/default/configmaps', eve)).status, 200);
    assert.equal((await requestAs(target, 'DELETE', '/apis/rbac.authorization.k8s.io/v1/namespaces/default/rolebindings/eve-view')).status, 200);
    const after = await requestAs(target, 'GET', '/api/v1/namespaces/default/configmaps', eve);
    assert.equal(after.status, 403);
    assert.equal(after.body.message, 'configmaps is forbidden: User "eve" cannot list resource "configmaps" in API group "" in the namespace "default"');
  });

  test('escalation: a namespace admin cannot bind cluster-admin nor write a Role with rights it lacks; roleRef is immutable', async () => {
    const target = await connection(floe.kubeconfigPath);
    const G = 'rbac.authorization.k8s.io';
    const rb = (name: string, role: string, kind = 'ClusterRole'): unknown => ({
      apiVersion: `${G}/v1`, kind: 'RoleBinding', metadata: { name }, roleRef: { apiGroup: G, kind, name: role }, subjects: [{ kind: 'User', name: 'mallory', apiGroup: G }],
    });
    assert.equal((await requestAs(target, 'POST', `/apis/${G}/v1/namespaces/default/rolebindings`, {}, rb('ann-admin', 'admin'))).status, 201);
    const ann = { 'Impersonate-User': 'mallory' };
    const refused = await requestAs(target, 'POST', `/apis/${G}/v1/namespaces/default/rolebindings`, ann, rb('grab', 'cluster-admin'));
    assert.equal(refused.status, 403);
    assert.match(refused.body.message ?? '', /^rolebindings\.rbac\.authorization\.k8s\.io "grab" is forbidden: user "mallory" \(groups=\["system:authenticated"\]\) is attempting to grant RBAC permissions not currently held:\n/);
    // What the admin holds it may grant.
    assert.equal((await requestAs(target, 'POST', `/apis/${G}/v1/namespaces/default/rolebindings`, ann, rb('share-view', 'view'))).status, 201);
    const role = { apiVersion: `${G}/v1`, kind: 'Role', metadata: { name: 'nodes' }, rules: [{ apiGroups: [''], resources: ['nodes'], verbs: ['get'] }] };
    const roleRefused = await requestAs(target, 'POST', `/apis/${G}/v1/namespaces/default/roles`, ann, role);
    assert.equal(roleRefused.status, 403, JSON.stringify(roleRefused.body));
    assert.match(roleRefused.body.message ?? '', /\{APIGroups:\[""\], Resources:\["nodes"\], Verbs:\["get"\]\}/);
    const changed = await requestAs(target, 'PATCH', `/apis/${G}/v1/namespaces/default/rolebindings/share-view`, { 'content-type': 'application/merge-patch+json' }, { roleRef: { name: 'edit' } });
    assert.equal(changed.status, 422, JSON.stringify(changed.body));
    assert.match(changed.body.message ?? '', /roleRef: Invalid value: .*: cannot change roleRef/);
  });

  test('a caller without rights gets 403 from every route kind', async () => {
    const target = await connection(floe.kubeconfigPath);
    const eve = { 'Impersonate-User': 'eve' };
    const routes: [string, string, RegExp][] = [
      ['GET', '/api/v1/namespaces/default/pods', /^pods is forbidden: User "eve" cannot list resource "pods"/],
      ['GET', '/api/v1/namespaces/default/pods/x/log', /^pods "x" is forbidden: User "eve" cannot get resource "pods\/log"/],
      ['GET', '/metrics', /^forbidden: User "eve" cannot get path "\/metrics"/],
      ['GET', '/apis/v2beta1/runs?namespace=default', /User "eve"|eve/],
      ['GET', '/katib/v1beta1/namespaces/default/trials/t1/observationlog', /User "eve" cannot get resource "trials\/observationlog"/],
      ['GET', '/serving/default/m1/v1/models/m1', /User "eve" cannot get resource "inferenceservices\/proxy"/],
    ];
    for (const [method, path, message] of routes) {
      const reply = await requestAs(target, method, path, eve);
      assert.equal(reply.status, 403, `${method} ${path}: ${JSON.stringify(reply.body).slice(0, 300)}`);
      assert.match(reply.body.message ?? JSON.stringify(reply.body), message, path);
    }
    // kubectl exec: the WebSocket upgrade is authorized as create on pods/exec before the socket is taken.
    const upgrade = await requestAs(target, 'GET', '/api/v1/namespaces/default/pods/x/exec?command=ls&stdout=true', {
      ...eve, Connection: 'Upgrade', Upgrade: 'websocket', 'Sec-WebSocket-Version': '13', 'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==', 'Sec-WebSocket-Protocol': 'v5.channel.k8s.io',
    });
    assert.equal(upgrade.status, 403, JSON.stringify(upgrade.body));
    assert.equal(upgrade.body.message, 'pods "x" is forbidden: User "eve" cannot create resource "pods/exec" in API group "" in the namespace "default"');
    // The public endpoints stay public; discovery is every authenticated user's.
    assert.equal((await requestAs(target, 'GET', '/version', eve)).status, 200);
    assert.equal((await requestAs(target, 'GET', '/apis', eve)).status, 200);
  });
});
