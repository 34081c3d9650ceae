// The dashboard in cluster mode (issue 20 item 1): `floe controllers`, running as the controller manager's
// ServiceAccount with only the rights `floe install` gives it, against a real kube-apiserver (tools/control-plane.mjs)
// serves /ui/ and the dashboard's backends on its listener. Callers bring Kubernetes tokens (TokenReview); what each
// sees is decided by the cluster's RBAC (SubjectAccessReviews) and read from the cluster.
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { parse as parseYaml } from 'yaml';
import type { KubeObject } from '../src/api/meta.js';
import { clusterManifests, install, SystemNamespace } from '../src/cli/cluster.js';
import { builtinRuntimes } from '../src/controllers/serving/builtin-runtimes.js';
import type { Client } from '../src/client/client.js';
import { KubeClient } from '../src/client/kube-client.js';
import type { EnvironmentInfo } from '../src/dashboard/backend.js';
import type { HomeSummary } from '../src/dashboard/home.js';
import { SessionPath } from '../src/dashboard/session.js';
import { controlPlaneUnavailable, startControlPlane, type ControlPlane } from '../test/helpers/control-plane.js';
import { s3ServerUnavailable, startS3Server, type S3Server } from '../test/helpers/s3-server.js';
import { chromiumArgs, chromiumPath, screenshotPath, skipReason } from '../test/browser/harness.js';
import { waitFor } from '../test/helpers/wait.js';
import { freePort } from '../test/helpers/run-process.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const cli = join(root, 'dist', 'src', 'cli', 'main.js');
const index = join(root, 'web', 'dist', 'index.html');
const unavailable = controlPlaneUnavailable();
const browserSkip = skipReason();
if (browserSkip) process.stderr.write(`[cluster dashboard e2e] browser tests skipped: ${browserSkip}\n`);
/** The browser tests' options: skipped, with the reason, where chromium, the built dashboard or playwright is missing. */
const inBrowser = browserSkip ? { skip: browserSkip } : {};
const s3Skip = s3ServerUnavailable();
/** The serving tests' options: their model is in an S3 bucket (moto's server, from set-up's .venvs/s3). */
const withS3 = s3Skip ? { skip: s3Skip } : {};
if (s3Skip) process.stderr.write(`[cluster dashboard e2e] serving tests skipped: ${s3Skip}\n`);
if (unavailable) process.stderr.write(`[cluster dashboard e2e] skipped: ${unavailable}\n`);


describe('the dashboard on a real kube-apiserver: floe controllers serves /ui/ and its backends', { ...(unavailable ? { skip: unavailable } : {}) }, () => {
  let plane: ControlPlane;
  let admin: Client;
  let controllers: ChildProcess | undefined;
  let host = '';
  let adminToken = '';
  /** alice: a ServiceAccount of team-a with a contributor (kubeflow-edit) binding there. */
  let alice = '';
  /** bob: a ServiceAccount of a plain namespace, bound nowhere. */
  let bob = '';
  /** Holds the served model's bucket once a serving test has started it. */
  let s3: S3Server | undefined;

  const get = (path: string, token?: string): Promise<Response> => fetch(`${host}${path}`, token ? { headers: { authorization: `Bearer ${token}` } } : {});
  const kubectl = (...args: string[]): string => execFileSync('kubectl', ['--kubeconfig', plane.kubeconfig, ...args], { encoding: 'utf8' }).trim();

  before(async () => {
    plane = await startControlPlane();
    admin = KubeClient.fromFile(plane.kubeconfig);
    const adminConfig = readFileSync(plane.kubeconfig, 'utf8');
    adminToken = (parseYaml(adminConfig) as { users: { user: { token: string } }[] }).users[0]!.user.token;
    // What `floe install` applies; the controllers then run as its ServiceAccount (a right the dashboard lacks fails here).
    await install(admin, clusterManifests({ image: 'registry.example/floe:test' }), () => undefined);
    await admin.patch({ apiVersion: 'apps/v1', kind: 'Deployment' }, 'floe-controller-manager', SystemNamespace, { spec: { replicas: 0 } }, 'application/merge-patch+json');
    const saConfig = join(plane.dir, 'dashboard-controller-manager.kubeconfig');
    writeFileSync(saConfig, adminConfig.replace(/^(\s+token: ).*$/m, `$1${kubectl('create', 'token', 'floe-controller-manager', '-n', SystemNamespace, '--duration=2h')}`), { mode: 0o600 });
    const port = await freePort();
    host = `http://127.0.0.1:${port}`;
    controllers = spawn(process.execPath, [cli, 'controllers', '--kubeconfig', saConfig, '--identity', 'e2e-dashboard', '--log-level', 'warn', '--katib-db', join(plane.dir, 'dashboard-katib.db'), '--katib-listen', `127.0.0.1:${port}`, '--multi-user'], { stdio: ['ignore', 'ignore', 'inherit'] });
    await waitFor(async () => (await get('/api/dashboard-links', adminToken).catch(() => undefined))?.status === 200, { what: 'the dashboard backend of floe controllers', timeoutMs: 180_000 });

    // team-a and team-b are Profiles (the profile controller makes their namespaces); alice contributes to team-a
    // through a KFAM-shaped RoleBinding (annotated with user and role, as KFAM writes them).
    for (const team of ['team-a', 'team-b']) {
      await admin.create({ apiVersion: 'kubeflow.org/v1', kind: 'Profile', metadata: { name: team }, spec: { owner: { kind: 'User', name: `${team}-owner@example.com` } } });
      await waitFor(() => admin.get({ apiVersion: 'v1', kind: 'Namespace' }, team), { what: `namespace ${team}`, timeoutMs: 60_000 });
    }
    await admin.create({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'alice', namespace: 'team-a' } });
    await admin.create({
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: { name: 'user-alice-clusterrole-edit', namespace: 'team-a', annotations: { user: 'system:serviceaccount:team-a:alice', role: 'edit' } },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'kubeflow-edit' },
      subjects: [{ kind: 'ServiceAccount', name: 'alice', namespace: 'team-a' }],
    });
    await admin.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'outsiders' } });
    await admin.create({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'bob', namespace: 'outsiders' } });
    alice = kubectl('create', 'token', 'alice', '-n', 'team-a', '--duration=1h');
    bob = kubectl('create', 'token', 'bob', '-n', 'outsiders', '--duration=1h');
    // A training job created in the cluster (as a user would with kubectl), for the list backend to find.
    await admin.create({
      apiVersion: 'kubeflow.org/v1',
      kind: 'PyTorchJob',
      metadata: { name: 'mnist', namespace: 'team-a' },
      spec: { pytorchReplicaSpecs: { Master: { replicas: 1, template: { spec: { containers: [{ name: 'pytorch', image: 'registry.example/train:1', command: ['python', 'train.py'] }] } } } } },
    });
  }, { timeout: 3_600_000 });

  after(async () => {
    if (controllers && controllers.exitCode === null) {
      const exited = new Promise((resolve) => controllers!.once('exit', resolve));
      controllers.kill('SIGTERM');
      await exited;
    }
    await plane?.stop();
    await s3?.stop();
  });

  test("a user's token: env-info and the namespace list name only the namespace it is bound in", async () => {
    const res = await get('/api/workgroup/env-info', alice);
    assert.equal(res.status, 200, await res.clone().text());
    const info = (await res.json()) as EnvironmentInfo;
    assert.equal(info.user, 'system:serviceaccount:team-a:alice');
    assert.equal(info.isClusterAdmin, false);
    assert.deepEqual(info.namespaces, [{ namespace: 'team-a', role: 'contributor', user: 'system:serviceaccount:team-a:alice' }]);
    const namespaces = (await (await get('/api/namespaces', alice)).json()) as KubeObject[];
    assert.deepEqual(namespaces.map((n) => n.metadata.name), ['team-a']);
    // The cluster's admin (system:masters) is a cluster admin and sees both teams.
    const adminInfo = (await (await get('/api/workgroup/env-info', adminToken)).json()) as EnvironmentInfo;
    assert.equal(adminInfo.isClusterAdmin, true);
    assert.ok(['team-a', 'team-b'].every((ns) => adminInfo.namespaces.some((b) => b.namespace === ns)), JSON.stringify(adminInfo.namespaces));
  });

  test('a list backend returns what was created in the cluster, authorized by the cluster\'s RBAC', async () => {
    // kube-controller-manager aggregates kubeflow-edit from its leaf roles: the first answers may predate it.
    const home = await waitFor(async () => {
      const res = await get('/api/dashboard/home?namespace=team-a', alice);
      if (res.status !== 200) return undefined;
      const summary = (await res.json()) as HomeSummary;
      return summary.jobs.length > 0 ? summary : undefined;
    }, { what: "alice's Home summary with the PyTorchJob", timeoutMs: 60_000 });
    assert.deepEqual(home.jobs.map((j) => [j.name, j.plural]), [['mnist', 'pytorchjobs']]);
    assert.ok(!home.denied.includes('jobs'));
    // The Notebooks page's backend (the Jupyter web app API) on the same listener, reviewed for the caller.
    const notebooks = await get('/jupyter/api/namespaces/team-a/notebooks', alice);
    assert.equal(notebooks.status, 200, await notebooks.clone().text());
    assert.equal((await get('/jupyter/api/namespaces/team-a/notebooks', bob)).status, 403);
  });

  test('a user without rights gets 403; no token gets 401', async () => {
    const home = await get('/api/dashboard/home?namespace=team-a', bob);
    assert.equal(home.status, 403, await home.clone().text());
    assert.equal((await get('/api/activities/team-a', bob)).status, 403);
    assert.equal((await get('/api/workgroup/get-contributors/team-a', bob)).status, 403);
    const info = (await (await get('/api/workgroup/env-info', bob)).json()) as EnvironmentInfo;
    assert.deepEqual(info.namespaces, []);
    assert.deepEqual(await (await get('/api/namespaces', bob)).json(), []);
    // alice is bound in team-a only.
    assert.equal((await get('/api/dashboard/home?namespace=team-b', alice)).status, 403);
    for (const path of ['/api/workgroup/env-info', '/api/namespaces', '/api/dashboard/home?namespace=team-a', '/apis/kubeflow.org/v1/namespaces/team-a/pytorchjobs']) {
      assert.equal((await get(path)).status, 401, path);
      assert.equal((await get(path, 'not-a-token')).status, 401, `${path} with a bad token`);
    }
  });

  test("the pages' Kubernetes API calls go on to the cluster with the caller's own token", async () => {
    const jobs = '/apis/kubeflow.org/v1/namespaces/team-a/pytorchjobs';
    const list = await get(jobs, alice);
    assert.equal(list.status, 200, await list.clone().text());
    assert.deepEqual(((await list.json()) as { items: KubeObject[] }).items.map((j) => j.metadata.name), ['mnist']);
    // The cluster's RBAC decides, not the controllers' ServiceAccount (which may list every namespace's jobs).
    const refused = await get(jobs, bob);
    assert.equal(refused.status, 403);
    const status = (await refused.json()) as { reason?: string; message?: string };
    assert.equal(status.reason, 'Forbidden');
    assert.match(status.message ?? '', /system:serviceaccount:outsiders:bob/);
    assert.equal((await get('/api/v1/namespaces/team-b/pods', alice)).status, 403);
    // A write with a body, as the pages' forms send it.
    const job = { apiVersion: 'kubeflow.org/v1', kind: 'PyTorchJob', metadata: { name: 'from-the-page' }, spec: { pytorchReplicaSpecs: { Master: { replicas: 1, template: { spec: { containers: [{ name: 'pytorch', image: 'registry.example/train:1' }] } } } } } };
    const created = await fetch(`${host}${jobs}`, { method: 'POST', headers: { authorization: `Bearer ${alice}`, 'content-type': 'application/json' }, body: JSON.stringify(job) });
    assert.equal(created.status, 201, await created.clone().text());
    assert.equal((await admin.get({ apiVersion: 'kubeflow.org/v1', kind: 'PyTorchJob' }, 'from-the-page', 'team-a')).metadata.name, 'from-the-page');
    // A watch streams its events as they come.
    const watch = await get(`${jobs}?watch=1&timeoutSeconds=1`, alice);
    assert.equal(watch.status, 200);
    const events = (await watch.text()).trim().split('\n').map((line) => JSON.parse(line) as { type: string; object: KubeObject });
    assert.deepEqual(events.filter((e) => e.type === 'ADDED').map((e) => e.object.metadata.name).sort(), ['from-the-page', 'mnist']);
    // Floe's own routes under /apis/ (KFP's API) are still Floe's.
    const kfp = await get('/apis/v2beta1/healthz', adminToken);
    assert.equal(kfp.status, 200, await kfp.clone().text());
  });

  test("multi-user KFP on the cluster (--multi-user): a profile's contributor works in its namespace, the cluster's RBAC decides", async () => {
    const health = (await (await get('/apis/v2beta1/healthz', alice)).json()) as { multi_user?: boolean };
    assert.equal(health.multi_user, true);
    const post = (path: string, token: string, body: unknown): Promise<Response> =>
      fetch(`${host}${path}`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    // kubeflow-edit in team-a aggregates kubeflow-pipelines-edit (the cluster's controller does that: wait for it).
    const created = await waitFor(async () => {
      const res = await post('/apis/v2beta1/experiments', alice, { display_name: 'alices-experiment', namespace: 'team-a' });
      return res.status === 200 ? ((await res.json()) as { experiment_id: string; namespace: string }) : undefined;
    }, { what: "alice's experiment in team-a", timeoutMs: 60_000 });
    assert.equal(created.namespace, 'team-a');
    const listed = await get('/apis/v2beta1/experiments?namespace=team-a', alice);
    assert.equal(listed.status, 200, await listed.clone().text());
    assert.ok(((await listed.json()) as { experiments?: { experiment_id: string }[] }).experiments?.some((e) => e.experiment_id === created.experiment_id));
    // Another profile's namespace, and a user bound nowhere, are refused.
    assert.equal((await post('/apis/v2beta1/experiments', alice, { display_name: 'elsewhere', namespace: 'team-b' })).status, 403);
    assert.equal((await get('/apis/v2beta1/experiments?namespace=team-a', bob)).status, 403);
    assert.equal((await get(`/apis/v2beta1/experiments/${created.experiment_id}`, bob)).status, 403);
  });

  test('a browser signed in by a session cookie: the backends and the forwarded Kubernetes API answer as its token', async () => {
    const signIn = await fetch(`${host}${SessionPath}`, { method: 'POST', headers: { authorization: `Bearer ${alice}`, 'content-type': 'application/json' }, body: '{}' });
    assert.equal(signIn.status, 201, await signIn.clone().text());
    const cookie = (signIn.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
    assert.match(cookie, /=./);
    const asBrowser = (path: string): Promise<Response> => fetch(`${host}${path}`, { headers: { cookie } });
    const info = (await (await asBrowser('/api/workgroup/env-info')).json()) as EnvironmentInfo;
    assert.equal(info.user, 'system:serviceaccount:team-a:alice');
    const list = await asBrowser('/apis/kubeflow.org/v1/namespaces/team-a/pytorchjobs');
    assert.equal(list.status, 200, await list.clone().text());
    assert.ok(((await list.json()) as { items: KubeObject[] }).items.some((j) => j.metadata.name === 'mnist'));
    assert.equal((await asBrowser('/apis/kubeflow.org/v1/namespaces/team-b/pytorchjobs')).status, 403);
  });

  test("/ui/ serves the app's index.html, for deep links too", async () => {
    for (const path of ['/ui/', '/ui/jobs']) {
      const res = await get(path, alice);
      assert.equal(res.status, existsSync(index) ? 200 : 503, path);
      assert.match(res.headers.get('content-type') ?? '', /^text\/html/);
      assert.match(res.headers.get('content-security-policy') ?? '', /script-src 'self'/);
      const body = await res.text();
      if (existsSync(index)) assert.equal(body, readFileSync(index, 'utf8'));
      else assert.match(body, /The dashboard is not built/);
    }
  });

  /**
   * A chromium page that presents alice's token on every request (as an authenticating proxy in front of Floe would);
   * `body` drives it, then no page error may have happened. Responses of 400 and more are printed, for a failure's log.
   */
  async function asAliceInChromium(body: (page: Page, shot: (name: string) => Promise<void>) => Promise<void>): Promise<void> {
    const { chromium } = await import('playwright-core');
    const browser = await chromium.launch({ executablePath: chromiumPath, args: chromiumArgs });
    try {
      const context = await browser.newContext({ viewport: { width: 1360, height: 900 }, extraHTTPHeaders: { authorization: `Bearer ${alice}` } });
      const page = await context.newPage();
      const problems: string[] = [];
      page.on('pageerror', (err) => problems.push(err.message));
      page.on('response', (r) => {
        if (r.status() >= 400) process.stderr.write(`[cluster dashboard e2e] ${r.status()} ${new URL(r.url()).pathname}\n`);
      });
      await body(page, async (name) => {
        await page.screenshot({ path: await screenshotPath(name), fullPage: true });
      });
      assert.deepEqual(problems, []);
    } finally {
      await browser.close();
    }
  }

  test('in chromium: the Jobs page lists the cluster\'s PyTorchJob for a token-bearing browser', inBrowser, async () => {
    await asAliceInChromium(async (page, shot) => {
      for (const [name, path] of [['cluster-jobs', '/ui/jobs?ns=team-a'], ['cluster-home', '/ui/?ns=team-a']] as const) {
        await page.goto(`${host}${path}`);
        try {
          await page.getByText('mnist', { exact: true }).first().waitFor({ timeout: 60_000 });
        } finally {
          await shot(name);
        }
      }
    });
  });

  /**
   * iris on the in-process ONNX runtime, as alice's InferenceService in team-a, its model in an S3 bucket (moto's
   * server, with KServe's annotated Secret on a ServiceAccount of team-a); Ready once this process serves it.
   */
  async function irisInTeamA(): Promise<void> {
    const isvcRef = { apiVersion: 'serving.kserve.io/v1beta1', kind: 'InferenceService' };
    const ready = async (): Promise<boolean> => {
      const o = await admin.get<KubeObject & { status?: { conditions?: { type: string; status: string; message?: string }[] } }>(isvcRef, 'iris', 'team-a').catch(() => undefined);
      return o?.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') === true;
    };
    if (s3) return waitFor(ready, { what: 'iris Ready in team-a', timeoutMs: 120_000 }).then(() => undefined);
    s3 = await startS3Server();
    await s3.createBucket('models');
    await s3.putObject('models', 'iris/model.onnx', readFileSync(join(root, 'examples', 'serving', 'iris-onnx', 'model.onnx')));
    // Floe's in-process runtime is not installed on a cluster by default (KServe's manifests bring their own): an
    // administrator adds it as a ClusterServingRuntime, as one adds any runtime.
    const runtime = builtinRuntimes({ pythonDir: join(root, 'python') }).find((r) => r.metadata.name === 'floe-onnxruntime')!;
    await admin.create({ ...runtime, metadata: { name: 'floe-onnxruntime', ...(runtime.metadata.annotations ? { annotations: runtime.metadata.annotations } : {}) } });
    const aliceConfig = join(plane.dir, 'alice.kubeconfig');
    writeFileSync(aliceConfig, readFileSync(plane.kubeconfig, 'utf8').replace(/^(\s+token: ).*$/m, `$1${alice}`), { mode: 0o600 });
    const asAlice = KubeClient.fromFile(aliceConfig);
    await asAlice.create({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 's3creds', namespace: 'team-a', annotations: { 'serving.kserve.io/s3-endpoint': `${s3.host}:${s3.port}`, 'serving.kserve.io/s3-usehttps': '0', 'serving.kserve.io/s3-region': s3.region } },
      type: 'Opaque',
      data: { AWS_ACCESS_KEY_ID: Buffer.from(s3.accessKey).toString('base64'), AWS_SECRET_ACCESS_KEY: Buffer.from(s3.secretKey).toString('base64') },
    });
    await asAlice.create({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'models-sa', namespace: 'team-a' }, secrets: [{ name: 's3creds' }] });
    await asAlice.create({ ...isvcRef, metadata: { name: 'iris', namespace: 'team-a' }, spec: { predictor: { serviceAccountName: 'models-sa', model: { modelFormat: { name: 'onnx' }, storageUri: 's3://models/iris' } } } });
    try {
      await waitFor(ready, { what: 'iris Ready in team-a', timeoutMs: 120_000 });
    } catch (err) {
      const o = await admin.get<KubeObject>(isvcRef, 'iris', 'team-a');
      throw new Error(`${(err as Error).message}; its status: ${JSON.stringify(o.status)}`);
    }
  }

  test("a model served on the cluster answers its namespace's contributors through /serving/, the cluster's RBAC deciding", withS3, async () => {
    await irisInTeamA();
    const predict = (token?: string): Promise<Response> =>
      fetch(`${host}/serving/team-a/iris/v1/models/iris:predict`, { method: 'POST', headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) }, body: JSON.stringify({ instances: [[6.8, 2.8, 4.8, 1.4], [5.1, 3.5, 1.4, 0.2]] }) });
    const ok = await predict(alice);
    assert.equal(ok.status, 200, await ok.clone().text());
    const body = (await ok.json()) as { predictions: unknown[] };
    assert.equal(body.predictions.length, 2);
    // The metrics the Models page charts, from the same route.
    const variants = await get('/serving/team-a/iris/.floe/variants', alice);
    assert.equal(variants.status, 200, await variants.clone().text());
    assert.ok(((await variants.json()) as { variants: { requests: number }[] }).variants.some((v) => v.requests >= 1));
    // bob is bound nowhere: the cluster refuses him the InferenceService's proxy subresource.
    const denied = await predict(bob);
    assert.equal(denied.status, 403, await denied.clone().text());
    assert.match(await denied.text(), /inferenceservices\/proxy|inferenceservices/);
    assert.equal((await predict()).status, 401);
    // A page on another site cannot use alice's rights, nor post a body type a form can send (KServe's take JSON).
    const crossSite = await fetch(`${host}/serving/team-a/iris/v1/models/iris:predict`, { method: 'POST', headers: { authorization: `Bearer ${alice}`, origin: 'https://evil.example', 'content-type': 'application/json' }, body: JSON.stringify({ instances: [[6.8, 2.8, 4.8, 1.4]] }) });
    assert.equal(crossSite.status, 403, await crossSite.clone().text());
    const plain = await fetch(`${host}/serving/team-a/iris/v1/models/iris:predict`, { method: 'POST', headers: { authorization: `Bearer ${alice}`, 'content-type': 'text/plain' }, body: JSON.stringify({ instances: [[6.8, 2.8, 4.8, 1.4]] }) });
    assert.equal(plain.status, 415, await plain.clone().text());
  });

  test('in chromium: the Models page sends a test request to a model on the cluster and charts it', browserSkip || s3Skip ? { skip: browserSkip ?? s3Skip } : {}, async () => {
    await irisInTeamA();
    await asAliceInChromium(async (page, shot) => {
      try {
        await page.goto(`${host}/ui/models/iris?ns=team-a`);
        await page.getByRole('button', { name: 'Send' }).waitFor({ timeout: 60_000 });
        // Raw deployment mode, as every InferenceService on a cluster without Knative: no revisions to split.
        await page.getByTestId('raw-mode').getByText(/Raw deployment mode \(RawDeployment\)/).waitFor({ timeout: 30_000 });
        assert.equal(await page.getByRole('button', { name: 'Promote canary' }).count(), 0, 'no canary controls in raw mode');
        for (let i = 0; i < 3; i++) {
          await page.getByRole('button', { name: 'Send' }).click();
          await page.getByTestId('test-answer').getByText(/^200 in \d+ ms/).waitFor({ timeout: 30_000 });
        }
        await page.getByTestId('test-answer').getByText(/predictions/).waitFor();
        const charts = page.getByTestId('request-charts');
        await charts.getByRole('img', { name: /^Requests per second: iris/ }).waitFor({ timeout: 30_000 });
      } finally {
        await shot('cluster-model');
      }
    });
  });

  test('in chromium: a profile contributor uploads a pipeline to its namespace, starts a run and sees its graph and the runs list', inBrowser, async () => {
    await asAliceInChromium(async (page, shot) => {
      try {
        await page.goto(`${host}/ui/pipelines?ns=team-a`);
        await page.getByRole('heading', { name: 'Pipelines', level: 1 }).waitFor({ timeout: 60_000 });
        await page.getByText('Uploaded as a private pipeline of the namespace team-a.').waitFor();
        await page.locator('input[type=file]').first().setInputFiles({ name: 'hello-pipeline.yaml', mimeType: 'application/x-yaml', buffer: readFileSync(join(root, 'test', 'browser', 'fixtures', 'hello-pipeline.yaml')) });
        await page.getByLabel('Pipeline name').fill('hello-cluster');
        await page.getByRole('button', { name: 'Upload' }).first().click();
        await page.getByRole('heading', { name: 'hello-cluster', level: 1 }).waitFor({ timeout: 60_000 });
        await page.getByLabel('greeting').fill('from the cluster');
        await page.getByLabel('Run name').fill('hello-cluster-run');
        await page.getByRole('button', { name: 'Start run' }).click();
        // The run's graph, drawn from the run the cluster's KFP keeps; its first task is a Pod in team-a.
        await page.getByTestId('run-graph').waitFor({ timeout: 60_000 });
        await page.locator('[data-node="say-hello"]').waitFor({ timeout: 60_000 });
        await page.getByTestId('run-state').getByText(/^(PENDING|RUNNING|SUCCEEDED|FAILED)$/).waitFor({ timeout: 60_000 });
        await shot('cluster-run');
        const pods = await admin.list({ apiVersion: 'v1', kind: 'Pod' }, { namespace: 'team-a' });
        assert.ok(pods.items.some((p) => p.metadata.labels?.['pipelines.kubeflow.org/v2_component'] === 'true'), 'the task ran as a Pod in team-a');

        await page.goto(`${host}/ui/runs?ns=team-a`);
        await page.getByRole('heading', { name: 'Runs', level: 1 }).waitFor();
        await page.getByRole('table', { name: 'Runs' }).getByRole('link', { name: 'hello-cluster-run' }).waitFor({ timeout: 60_000 });
        await shot('cluster-runs');
        await page.goto(`${host}/ui/pipelines?ns=team-a`);
        await page.getByRole('table', { name: 'Pipelines' }).getByRole('row').filter({ hasText: 'hello-cluster' }).getByText('Private (team-a)').waitFor({ timeout: 60_000 });
        await shot('cluster-pipelines');
      } catch (err) {
        await shot('cluster-pipelines-failure');
        throw err;
      }
    });
  });
});
