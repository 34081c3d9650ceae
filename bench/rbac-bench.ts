// RBAC benchmark: the cost of one authorization decision with 1,000 RoleBindings (bootstrap and Kubeflow roles installed,
// aggregated), and the same access checks as SubjectAccessReviews over HTTP on Floe and, when the control plane can be
// built, on a real kube-apiserver 1.32 (same bindings on both; answers compared). Writes bench/results/rbac-bench.json.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Agent as HttpAgent, request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { KubeObject } from '../src/api/meta.js';
import { aggregatedRules, bootstrapClusterRoleBindings, bootstrapClusterRoles, kubeflowClusterRoles, RBACAuthorizer, RbacIndex, rbacKeys } from '../src/auth/rbac/index.js';
import type { AuthorizationAttributes } from '../src/server/auth.js';
import { defaultConfig } from '../src/server/config.js';
import { startFloe } from '../src/server/floe.js';
import { controlPlaneUnavailable, startControlPlane } from '../test/helpers/control-plane.js';
import { arg, percentile } from './common.js';

const bindings = arg('bindings', 1000);
const namespaces = arg('namespaces', 100);
const iterations = arg('iterations', 200_000);
const reviews = arg('reviews', 2000);
const G = 'rbac.authorization.k8s.io';
const roles = ['view', 'edit', 'admin', 'kubeflow-edit', 'kubeflow-view'];

/** Binding i: user u<i> gets ClusterRole roles[i % 5] in namespace ns<i % namespaces>, plus a group binding every tenth. */
function bindingObjects(): KubeObject[] {
  const out: KubeObject[] = [];
  for (let i = 0; i < bindings; i++) {
    const subjects = [{ kind: 'User', apiGroup: G, name: `u${i}` }];
    if (i % 10 === 0) subjects.push({ kind: 'Group', apiGroup: G, name: `team${i % 37}` });
    out.push({ apiVersion: `${G}/v1`, kind: 'RoleBinding', metadata: { name: `rb-${i}`, namespace: `ns${i % namespaces}` }, roleRef: { apiGroup: G, kind: 'ClusterRole', name: roles[i % roles.length]! }, subjects });
  }
  return out;
}

/** The check matrix: allowed and denied, namespaced, cluster-wide, subresources, non-resource URLs. */
function checks(): AuthorizationAttributes[] {
  const out: AuthorizationAttributes[] = [];
  const verbs = ['get', 'list', 'create', 'delete', 'watch'];
  const targets: [string, string, string | undefined][] = [['', 'pods', undefined], ['', 'pods', 'log'], ['', 'secrets', undefined], ['apps', 'deployments', undefined], ['batch', 'jobs', undefined], ['pipelines.kubeflow.org', 'runs', undefined], [G, 'rolebindings', undefined]];
  for (let i = 0; i < 1000; i++) {
    const u = (i * 7919) % bindings;
    const ns = i % 3 === 0 ? `ns${(u + 1) % namespaces}` : `ns${u % namespaces}`;
    const [group, resource, subresource] = targets[i % targets.length]!;
    const a: AuthorizationAttributes = { user: { name: `u${u}`, groups: i % 4 === 0 ? [`team${u % 37}`, 'system:authenticated'] : ['system:authenticated'] }, verb: verbs[i % verbs.length]!, group, resource, namespace: ns };
    if (subresource) a.subresource = subresource;
    out.push(a);
  }
  out.push({ user: { name: 'u1', groups: ['system:authenticated'] }, verb: 'get', group: '', resource: '', path: '/apis/apps/v1' });
  return out;
}

function inProcess(): Record<string, unknown> {
  const index = new RbacIndex();
  const all = bootstrapClusterRoles();
  for (let pass = 0; pass < 5; pass++) for (const r of all) if (r.aggregationRule) r.rules = aggregatedRules(r, all);
  for (const r of all) index.upsert(rbacKeys.clusterRoles, r);
  for (const b of bootstrapClusterRoleBindings()) index.upsert(rbacKeys.clusterRoleBindings, b);
  for (const b of bindingObjects()) index.upsert(rbacKeys.roleBindings, b);
  const authz = new RBACAuthorizer(index);
  const matrix = checks();
  // Warm up the JIT, then time each call.
  for (let i = 0; i < 20_000; i++) authz.authorize(matrix[i % matrix.length]!);
  const samples = new Float64Array(iterations);
  let allowed = 0;
  for (let i = 0; i < iterations; i++) {
    const a = matrix[i % matrix.length]!;
    const t0 = process.hrtime.bigint();
    const d = authz.authorize(a);
    samples[i] = Number(process.hrtime.bigint() - t0) / 1000;
    if (d.allowed) allowed += 1;
  }
  const sorted = Array.from(samples).sort((x, y) => x - y);
  return { calls: iterations, allowedShare: Number((allowed / iterations).toFixed(3)), p50us: round(percentile(sorted, 50)), p99us: round(percentile(sorted, 99)), maxUs: round(sorted[sorted.length - 1]!) };
}

function round(n: number): number {
  return Math.round(n * 100) / 100;
}

interface Endpoint {
  url: string;
  token?: string;
  ca?: string;
}

function call(endpoint: Endpoint, agent: HttpAgent | HttpsAgent, method: string, path: string, body?: unknown): Promise<{ status: number; body: string }> {
  const url = new URL(path, endpoint.url);
  const payload = body === undefined ? undefined : JSON.stringify(body);
  const headers: Record<string, string | number> = {};
  if (payload) Object.assign(headers, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) });
  if (endpoint.token) headers.authorization = `Bearer ${endpoint.token}`;
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = send(url, { method, agent, headers, ...(endpoint.ca ? { ca: endpoint.ca } : {}) }, (res) => {
      let data = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => { data += d; });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: data }));
    });
    req.on('error', reject);
    req.end(payload);
  });
}

/** Creates the namespaces and bindings, then times `reviews` SubjectAccessReviews one at a time; returns the latencies and answers. */
async function reviewRun(endpoint: Endpoint, installKubeflowRoles = false): Promise<{ p50ms: number; p99ms: number; answers: boolean[] }> {
  const agent = endpoint.url.startsWith('https') ? new HttpsAgent({ keepAlive: true, maxSockets: 16 }) : new HttpAgent({ keepAlive: true, maxSockets: 16 });
  if (installKubeflowRoles) {
    // kube-apiserver has no Kubeflow roles: install Floe's, and wait for kube-controller-manager to aggregate them.
    const all = kubeflowClusterRoles();
    for (const role of all) await call(endpoint, agent, 'POST', `/apis/${G}/v1/clusterroles`, role);
    for (let pass = 0; pass < 5; pass++) for (const r of all) if (r.aggregationRule) r.rules = aggregatedRules(r, all);
    const want = all.find((r) => r.metadata.name === 'kubeflow-admin')!.rules!.length;
    for (let i = 0; i < 600; i++) {
      const got = JSON.parse((await call(endpoint, agent, 'GET', `/apis/${G}/v1/clusterroles/kubeflow-admin`)).body) as { rules?: unknown[] };
      if ((got.rules ?? []).length === want) break;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  for (let n = 0; n < namespaces; n++) await call(endpoint, agent, 'POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: `ns${n}` } });
  const objects = bindingObjects();
  for (let i = 0; i < objects.length; i += 16) {
    await Promise.all(objects.slice(i, i + 16).map(async (o) => {
      const r = await call(endpoint, agent, 'POST', `/apis/${G}/v1/namespaces/${o.metadata.namespace!}/rolebindings`, o);
      if (r.status !== 201 && r.status !== 409) throw new Error(`creating ${o.metadata.name!}: ${r.status} ${r.body}`);
    }));
  }
  const matrix = checks();
  const latencies: number[] = [];
  const answers: boolean[] = [];
  for (let i = 0; i < reviews; i++) {
    const a = matrix[i % matrix.length]!;
    const spec: Record<string, unknown> = { user: a.user.name, groups: a.user.groups };
    if (a.path !== undefined) spec.nonResourceAttributes = { path: a.path, verb: a.verb };
    else spec.resourceAttributes = { verb: a.verb, group: a.group, resource: a.resource, ...(a.subresource ? { subresource: a.subresource } : {}), ...(a.namespace ? { namespace: a.namespace } : {}) };
    const t0 = process.hrtime.bigint();
    const r = await call(endpoint, agent, 'POST', '/apis/authorization.k8s.io/v1/subjectaccessreviews', { apiVersion: 'authorization.k8s.io/v1', kind: 'SubjectAccessReview', spec });
    latencies.push(Number(process.hrtime.bigint() - t0) / 1e6);
    if (r.status !== 201) throw new Error(`SubjectAccessReview: ${r.status} ${r.body}`);
    if (i < matrix.length) answers.push((JSON.parse(r.body) as { status: { allowed: boolean } }).status.allowed);
  }
  agent.destroy();
  latencies.sort((x, y) => x - y);
  return { p50ms: round(percentile(latencies, 50)), p99ms: round(percentile(latencies, 99)), answers };
}

async function main(): Promise<void> {
  const result: Record<string, unknown> = { machine: { cpus: cpus().length, model: cpus()[0]?.model ?? '' }, bindings, namespaces, roles };
  result.authorizeInProcess = inProcess();
  process.stderr.write(`[rbac-bench] in-process: ${JSON.stringify(result.authorizeInProcess)}\n`);
  const dir = mkdtempSync(join(tmpdir(), 'rbac-bench-'));
  const floe = await startFloe({ ...defaultConfig(), dataDir: dir, port: 0, logLevel: 'silent', runPods: false, controllers: false });
  let floeRun: Awaited<ReturnType<typeof reviewRun>>;
  try {
    floeRun = await reviewRun({ url: floe.url });
  } finally {
    await floe.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  result.subjectAccessReviewFloe = { p50ms: floeRun.p50ms, p99ms: floeRun.p99ms };
  process.stderr.write(`[rbac-bench] floe SAR: ${JSON.stringify(result.subjectAccessReviewFloe)}\n`);
  const why = controlPlaneUnavailable();
  if (why) {
    result.subjectAccessReviewKube = { skipped: why };
  } else {
    const cp = await startControlPlane();
    try {
      const token = /token: (\S+)/.exec(readFileSync(cp.kubeconfig, 'utf8'))?.[1];
      const ca = /certificate-authority-data: (\S+)/.exec(readFileSync(cp.kubeconfig, 'utf8'))?.[1];
      const kube = await reviewRun({ url: cp.url, ...(token ? { token } : {}), ...(ca ? { ca: Buffer.from(ca, 'base64').toString() } : {}) }, true);
      const agree = kube.answers.filter((a, i) => a === floeRun.answers[i]).length;
      result.subjectAccessReviewKube = { p50ms: kube.p50ms, p99ms: kube.p99ms };
      result.answersCompared = { checks: kube.answers.length, agree, allowedOnKube: kube.answers.filter(Boolean).length, allowedOnFloe: floeRun.answers.filter(Boolean).length };
    } finally {
      await cp.stop();
    }
  }
  const out = fileURLToPath(new URL('../../bench/results/', import.meta.url));
  mkdirSync(out, { recursive: true });
  writeFileSync(join(out, 'rbac-bench.json'), JSON.stringify(result, null, 2) + '\n');
  process.stdout.write(JSON.stringify(result, null, 2) + '\n');
}

await main();
