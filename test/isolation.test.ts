// Multi-user isolation, written as an attacker would: two users from a token file (alice owns Profile team-a, bob owns
// team-b) against an embedded Floe in multi-user mode. Alice must not list, get, watch, read logs of, exec into or
// delete anything of bob's by any route: the Kubernetes API, KFP's REST API with a forged namespace filter, ML
// Metadata and artifact downloads, the serving ingress, Katib's observation logs, the dashboard's backends and the
// notebook routes; the token mounted into alice's Pod acts in her profile only and dies with the Pod; kfp.Client with
// each token sees a disjoint world; a contributor binding added through KFAM grants access, and deleting it takes
// effect on the very next request.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { KubeObject } from '../src/api/meta.js';
import { defaultConfig } from '../src/server/config.js';
import { startFloe, type Floe } from '../src/server/floe.js';
import { waitFor } from './helpers/wait.js';

const python = fileURLToPath(new URL('../../.venvs/kfp/bin/python', import.meta.url));
const noKfp = existsSync(python) ? false : `.venvs/kfp is not installed (${python}): tools/setup.mjs --with-training-envs builds it`;

const adminToken = 'isolation-admin-token-0123456789abcdef';
const tokens = { alice: 'isolation-alice-token-0123456789abcdef', bob: 'isolation-bob-token-0123456789abcdef' } as const;
type Who = keyof typeof tokens | 'admin';
const emails: Record<keyof typeof tokens, string> = { alice: 'alice@example.com', bob: 'bob@example.com' };

interface Reply {
  status: number;
  body: string;
  json(): Record<string, unknown>;
}

const spec = {
  pipelineInfo: { name: 'isolation-probe' },
  schemaVersion: '2.1.0',
  sdkVersion: 'kfp-2.17.3',
  root: { dag: { tasks: { t: { taskInfo: { name: 't' }, componentRef: { name: 'comp-t' } } } } },
  components: { 'comp-t': { executorLabel: 'exec-t' } },
  deploymentSpec: { executors: { 'exec-t': { container: { image: 'python:3.11', command: ['python', '-c', 'print(1)'] } } } },
};

describe('multi-user isolation (embedded, --multi-user, token-file users)', () => {
  let floe: Floe;
  let dir: string;
  let ca: string;
  let skip: string | false = false;

  function call(who: Who | { token: string }, method: string, path: string, body?: unknown): Promise<Reply> {
    const url = new URL(floe.url);
    const payload = body === undefined ? undefined : Buffer.from(typeof body === 'string' ? body : JSON.stringify(body));
    const headers: Record<string, string | number> = { authorization: `Bearer ${typeof who === 'object' ? who.token : who === 'admin' ? adminToken : tokens[who]}` };
    if (payload) {
      headers['content-type'] = method === 'PATCH' ? 'application/merge-patch+json' : 'application/json';
      headers['content-length'] = payload.length;
    }
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    return new Promise((resolve, reject) => {
      const req = send({ hostname: url.hostname, port: url.port, path, method, headers, ca }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          resolve({ status: res.statusCode ?? 0, body: text, json: () => JSON.parse(text) as Record<string, unknown> });
        });
      });
      req.on('error', reject);
      req.end(payload);
    });
  }

  /** The first status a watch answers with (a refused watch answers at once; an allowed one streams: we stop reading). */
  function watchStatus(who: Who, path: string): Promise<number> {
    const url = new URL(floe.url);
    return new Promise((resolve, reject) => {
      const req = httpsRequest({ hostname: url.hostname, port: url.port, path, method: 'GET', headers: { authorization: `Bearer ${who === 'admin' ? adminToken : tokens[who]}` }, ca }, (res) => {
        resolve(res.statusCode ?? 0);
        req.destroy();
      });
      req.on('error', (err) => (req.destroyed ? undefined : reject(err)));
      req.end();
    });
  }

  /** The status an Upgrade request (WebSocket, as kubectl exec sends) is answered with: 101 when switched. */
  function upgradeStatus(who: Who, path: string): Promise<number> {
    const url = new URL(floe.url);
    return new Promise((resolve, reject) => {
      const req = httpsRequest({
        hostname: url.hostname,
        port: url.port,
        path,
        method: 'GET',
        ca,
        headers: {
          authorization: `Bearer ${who === 'admin' ? adminToken : tokens[who]}`,
          connection: 'Upgrade',
          upgrade: 'websocket',
          'sec-websocket-version': '13',
          'sec-websocket-key': Buffer.from('isolation-probe!').toString('base64'),
          'sec-websocket-protocol': 'v5.channel.k8s.io',
        },
      });
      req.on('upgrade', (res, socket) => {
        socket.destroy();
        resolve(res.statusCode ?? 0);
      });
      req.on('response', (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      req.end();
    });
  }

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'floe-isolation-'));
    const tokenFile = join(dir, 'tokens.csv');
    await writeFile(tokenFile, `${tokens.alice},${emails.alice},alice-uid,"kubeflow-users"\n${tokens.bob},${emails.bob},bob-uid,"kubeflow-users"\n`, { mode: 0o600 });
    floe = await startFloe({ ...defaultConfig(), dataDir: join(dir, 'data'), port: 0, logLevel: 'silent', controllers: true, runPods: true, token: adminToken, tokenAuthFile: tokenFile, multiUser: true });
    ca = await readFile(join(dir, 'data', 'pki', 'ca.crt'), 'utf8');
    // RBAC (roles, bindings, SubjectAccessReview) is what isolates users; without it there is nothing to test.
    const probe = await call('alice', 'POST', '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews', { apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectAccessReview', spec: { resourceAttributes: { verb: 'get', resource: 'pods', namespace: 'team-a' } } });
    if (probe.status === 404) {
      skip = 'RBAC (rbac.authorization.k8s.io, SelfSubjectAccessReview) is not served by this build';
      return;
    }
    for (const [name, owner] of [['team-a', emails.alice], ['team-b', emails.bob]] as const) {
      await floe.client.create({ apiVersion: 'kubeflow.org/v1', kind: 'Profile', metadata: { name }, spec: { owner: { kind: 'User', name: owner } } });
    }
    for (const ns of ['team-a', 'team-b']) {
      await waitFor(() => floe.client.get({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding' }, 'namespaceAdmin', ns), { what: `namespaceAdmin in ${ns}`, timeoutMs: 30_000 });
    }
  });
  after(async () => {
    await floe?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  test('the Kubernetes API: alice cannot list, get, watch, log, exec into or delete anything in team-b', async (t) => {
    if (skip) return t.skip(skip);
    const cm = await call('bob', 'POST', '/api/v1/namespaces/team-b/configmaps', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'bobs-secret-plan' }, data: { plan: 'world domination' } });
    assert.equal(cm.status, 201, `bob writes in his own profile: ${cm.body}`);
    const secret = await call('bob', 'POST', '/api/v1/namespaces/team-b/secrets', { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'bobs-key' }, stringData: { key: 'hunter2' } });
    assert.equal(secret.status, 201, secret.body);
    const pod = await floe.client.create<KubeObject>({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'bobs-pod', namespace: 'team-b' }, spec: { containers: [{ name: 'main', image: 'busybox:1.36', command: ['sleep', '3600'] }] } });
    assert.ok(pod.metadata.uid);
    assert.equal((await call('alice', 'GET', '/api/v1/namespaces/team-a/configmaps')).status, 200, 'alice reads her own profile');

    const denied: [string, string][] = [
      ['GET', '/api/v1/namespaces/team-b/configmaps'],
      ['GET', '/api/v1/namespaces/team-b/configmaps/bobs-secret-plan'],
      ['GET', '/api/v1/namespaces/team-b/secrets'],
      ['GET', '/api/v1/namespaces/team-b/secrets/bobs-key'],
      ['GET', '/api/v1/configmaps'],
      ['GET', '/api/v1/secrets'],
      ['GET', '/api/v1/pods'],
      ['GET', '/api/v1/namespaces/team-b/pods'],
      ['GET', '/api/v1/namespaces/team-b/pods/bobs-pod'],
      ['GET', '/api/v1/namespaces/team-b/pods/bobs-pod/log'],
      ['GET', '/api/v1/namespaces/team-b/events'],
      ['GET', '/apis/kubeflow.org/v1/namespaces/team-b/pytorchjobs'],
      ['GET', '/apis/serving.kserve.io/v1beta1/namespaces/team-b/inferenceservices'],
      ['GET', '/apis/kubeflow.org/v1beta1/namespaces/team-b/experiments'],
      ['DELETE', '/api/v1/namespaces/team-b/configmaps/bobs-secret-plan'],
      ['DELETE', '/api/v1/namespaces/team-b/pods/bobs-pod'],
      ['DELETE', '/api/v1/namespaces/team-b'],
      ['DELETE', '/apis/kubeflow.org/v1/profiles/team-b'],
      ['PATCH', '/api/v1/namespaces/team-b/configmaps/bobs-secret-plan'],
      ['POST', '/apis/rbac.authorization.k8s.io/v1/namespaces/team-b/rolebindings'],
    ];
    for (const [method, path] of denied) {
      const r = await call('alice', method, path, method === 'POST' || method === 'PATCH' ? {} : undefined);
      assert.equal(r.status, 403, `alice ${method} ${path}: ${r.status} ${r.body.slice(0, 200)}`);
    }
    assert.equal(await watchStatus('alice', '/api/v1/namespaces/team-b/configmaps?watch=true'), 403);
    // exec, attach and port-forward as kubectl sends them: an Upgrade (WebSocket).
    for (const path of [
      '/api/v1/namespaces/team-b/pods/bobs-pod/exec?command=cat&command=/etc/passwd&stdout=true&container=main',
      '/api/v1/namespaces/team-b/pods/bobs-pod/attach?stdout=true&container=main',
      '/api/v1/namespaces/team-b/pods/bobs-pod/portforward?ports=80',
    ]) {
      assert.equal(await upgradeStatus('alice', path), 403, `alice upgrade ${path}`);
    }
    assert.equal(await watchStatus('alice', '/api/v1/configmaps?watch=true'), 403);
    // Still there.
    assert.equal((await call('bob', 'GET', '/api/v1/namespaces/team-b/configmaps/bobs-secret-plan')).status, 200);

    // A Pod's ServiceAccount token from alice's profile (default-editor, as her pipeline runs use) acts in team-a only.
    const tr = await call('admin', 'POST', '/api/v1/namespaces/team-a/serviceaccounts/default-editor/token', { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: {} });
    assert.equal(tr.status, 201, tr.body);
    const saToken = (tr.json().status as { token: string }).token;
    const asSa = (method: string, path: string): Promise<Reply> => call({ token: saToken }, method, path);
    assert.equal((await asSa('GET', '/api/v1/namespaces/team-a/configmaps')).status, 200, 'default-editor edits its own profile');
    assert.equal((await asSa('GET', '/api/v1/namespaces/team-b/configmaps')).status, 403);
    assert.equal((await asSa('GET', '/api/v1/namespaces/team-b/secrets/bobs-key')).status, 403);
    assert.equal((await asSa('GET', '/apis/v2beta1/runs?namespace=team-b')).status, 403);
  });

  test('KFP: a forged namespace filter, another namespace\'s run id or experiment id gets nothing', async (t) => {
    if (skip) return t.skip(skip);
    const health = await call('alice', 'GET', '/apis/v2beta1/healthz');
    assert.equal(health.json().multi_user, true);
    const exp = await call('bob', 'POST', '/apis/v2beta1/experiments', { display_name: 'bobs-exp', namespace: 'team-b' });
    assert.equal(exp.status, 200, exp.body);
    const experimentId = exp.json().experiment_id as string;
    const run = await call('bob', 'POST', '/apis/v2beta1/runs', { display_name: 'bobs-run', experiment_id: experimentId, pipeline_spec: spec });
    assert.equal(run.status, 200, run.body);
    const runId = run.json().run_id as string;
    const pipe = await call('bob', 'POST', '/apis/v2beta1/pipelines', { name: 'bobs-pipeline', namespace: 'team-b' });
    assert.equal(pipe.status, 200, pipe.body);
    const mine = await call('alice', 'POST', '/apis/v2beta1/experiments', { display_name: 'alices-exp', namespace: 'team-a' });
    assert.equal(mine.status, 200, mine.body);

    for (const [method, path] of [
      ['GET', '/apis/v2beta1/runs?namespace=team-b'],
      ['GET', `/apis/v2beta1/runs?experiment_id=${experimentId}`],
      ['GET', `/apis/v2beta1/runs/${runId}`],
      ['DELETE', `/apis/v2beta1/runs/${runId}`],
      ['POST', `/apis/v2beta1/runs/${runId}:terminate`],
      ['POST', `/apis/v2beta1/runs/${runId}:archive`],
      ['GET', '/apis/v2beta1/experiments?namespace=team-b'],
      ['GET', `/apis/v2beta1/experiments/${experimentId}`],
      ['DELETE', `/apis/v2beta1/experiments/${experimentId}`],
      ['GET', '/apis/v2beta1/recurringruns?namespace=team-b'],
      ['GET', '/apis/v2beta1/pipelines?namespace=team-b'],
      ['GET', `/apis/v2beta1/pipelines/${pipe.json().pipeline_id as string}`],
      ['POST', '/apis/v2beta1/experiments'],
    ] as const) {
      const body = path === '/apis/v2beta1/experiments' ? { display_name: 'planted', namespace: 'team-b' } : undefined;
      const r = await call('alice', method, path, body);
      assert.equal(r.status, 403, `alice ${method} ${path}: ${r.body.slice(0, 300)}`);
    }
    // Running a run in bob's experiment from alice's side.
    assert.equal((await call('alice', 'POST', '/apis/v2beta1/runs', { display_name: 'planted', experiment_id: experimentId, pipeline_spec: spec })).status, 403);
    // Without a namespace the lists refuse instead of answering for everyone.
    assert.equal((await call('alice', 'GET', '/apis/v2beta1/runs')).status, 400);
    assert.equal((await call('alice', 'GET', '/apis/v2beta1/experiments')).status, 400);
    // Her own lists hold nothing of bob's.
    const own = await call('alice', 'GET', '/apis/v2beta1/runs?namespace=team-a');
    assert.equal(own.status, 200, own.body);
    assert.equal(own.json().runs, undefined);
    const ownPipes = await call('alice', 'GET', '/apis/v2beta1/pipelines?namespace=team-a');
    assert.ok(!JSON.stringify(ownPipes.json()).includes('bobs-pipeline'));
    // The run's Pods go to bob's namespace under default-editor.
    assert.equal(run.json().service_account, 'default-editor');
    const pods = await waitFor(async () => {
      const list = await floe.client.list({ apiVersion: 'v1', kind: 'Pod' }, { namespace: 'team-b', labelSelector: `pipeline/runid=${runId}` });
      return list.items.length > 0 ? list.items : undefined;
    }, { what: 'the run\'s Pod in team-b', timeoutMs: 30_000 });
    assert.equal((pods[0]!.spec as { serviceAccountName?: string }).serviceAccountName, 'default-editor');
    // It runs to the end in bob's profile; its Pod's log is bob's to read, not alice's.
    const done = await waitFor(async () => {
      const r = (await call('bob', 'GET', `/apis/v2beta1/runs/${runId}`)).json();
      return ['SUCCEEDED', 'FAILED'].includes(r.state as string) ? r : undefined;
    }, { what: 'bob\'s run finished', timeoutMs: 120_000 });
    assert.equal(done.state, 'SUCCEEDED', JSON.stringify(done.error ?? done));
    const podName = pods[0]!.metadata.name!;
    const log = await call('bob', 'GET', `/api/v1/namespaces/team-b/pods/${podName}/log`);
    assert.equal(log.status, 200, log.body);
    assert.equal((await call('alice', 'GET', `/api/v1/namespaces/team-b/pods/${podName}/log`)).status, 403);
  });

  test('ML Metadata: another namespace\'s lineage is not readable', async (t) => {
    if (skip) return t.skip(skip);
    // The admin records a run context in each namespace (as the engine does: a `namespace` property).
    assert.equal((await call('admin', 'POST', '/mlmd/v1/context_types', { context_type: { name: 'system.PipelineRun' } })).status, 200);
    const put = await call('admin', 'POST', '/mlmd/v1/contexts', {
      contexts: [
        { type: 'system.PipelineRun', name: 'bob-run-ctx', custom_properties: { namespace: { string_value: 'team-b' } } },
        { type: 'system.PipelineRun', name: 'alice-run-ctx', custom_properties: { namespace: { string_value: 'team-a' } } },
      ],
    });
    assert.equal(put.status, 200, put.body);
    const [bobCtx, aliceCtx] = put.json().context_ids as number[];
    assert.equal((await call('alice', 'GET', '/mlmd/v1/contexts?namespace=team-b')).status, 403);
    assert.equal((await call('alice', 'GET', '/mlmd/v1/contexts')).status, 400);
    const hers = await call('alice', 'GET', '/mlmd/v1/contexts?namespace=team-a');
    assert.equal(hers.status, 200, hers.body);
    const herNames = (hers.json().contexts as { name: string }[]).map((c) => c.name);
    assert.ok(herNames.includes('alice-run-ctx') && !herNames.includes('bob-run-ctx'), herNames.join(' '));
    assert.equal((await call('alice', 'GET', `/mlmd/v1/contexts/${bobCtx}?namespace=team-a`)).status, 404);
    assert.equal((await call('alice', 'GET', `/mlmd/v1/contexts/${bobCtx}/artifacts?namespace=team-a`)).status, 404);
    assert.equal((await call('alice', 'GET', `/mlmd/v1/contexts/${aliceCtx}?namespace=team-a`)).status, 200);
    assert.equal((await call('alice', 'POST', '/mlmd/v1/contexts?namespace=team-a', { contexts: [{ type: 'system.PipelineRun', name: 'forged', custom_properties: { namespace: { string_value: 'team-b' } } }] })).status, 403);
    // Bob sees his own: the context recorded here and his run's (the engine's, from the KFP test), none of alice's.
    const bobs = await call('bob', 'GET', '/mlmd/v1/contexts?namespace=team-b');
    const bobNames = (bobs.json().contexts as { name: string }[]).map((c) => c.name);
    assert.ok(bobNames.includes('bob-run-ctx') && !bobNames.includes('alice-run-ctx'), bobNames.join(' '));
    // Every node the engine wrote for bob's runs stays his: alice's namespace view of artifacts and executions holds none.
    for (const kind of ['artifacts', 'executions']) {
      const all = await call('admin', 'GET', `/mlmd/v1/${kind}`);
      const mine = await call('alice', 'GET', `/mlmd/v1/${kind}?namespace=team-a`);
      assert.equal(mine.status, 200, mine.body);
      const ids = new Set(((mine.json()[kind] as { id: number }[] | undefined) ?? []).map((n) => n.id));
      const bobsNodes = ((all.json()[kind] as { id: number; custom_properties?: { namespace?: { string_value?: string } } }[] | undefined) ?? []).filter((n) => n.custom_properties?.namespace?.string_value === 'team-b');
      for (const n of bobsNodes) assert.ok(!ids.has(n.id), `${kind} ${n.id} of team-b is visible to alice`);
    }
    // An artifact file of bob's run (in Floe's pipelines folder, attributed to his run context) cannot be fetched by
    // alice through KFP's artifact API, its download, or a dashboard preview of its URI.
    const secret = `bobs-weights-${Date.now()}`;
    const file = join(dir, 'data', 'pipelines', 'team-b', 'isolation-model.txt');
    await mkdir(join(dir, 'data', 'pipelines', 'team-b'), { recursive: true });
    await writeFile(file, secret);
    assert.equal((await call('admin', 'POST', '/mlmd/v1/artifact_types', { artifact_type: { name: 'system.Model' } })).status, 200);
    const art = await call('admin', 'POST', '/mlmd/v1/artifacts', { artifacts: [{ type: 'system.Model', uri: `file://${file}`, custom_properties: { namespace: { string_value: 'team-b' } } }] });
    assert.equal(art.status, 200, art.body);
    const [artId] = art.json().artifact_ids as number[];
    assert.equal((await call('admin', 'POST', '/mlmd/v1/attributions_and_associations', { attributions: [{ artifact_id: artId, context_id: bobCtx }] })).status, 200);
    for (const path of [
      `/apis/v2beta1/artifacts/${artId}?view=DOWNLOAD`,
      `/apis/v2beta1/artifacts/${artId}:download`,
      `/mlmd/v1/artifacts/${artId}?namespace=team-a`,
      `/api/dashboard/artifact-content?uri=${encodeURIComponent(`file://${file}`)}`,
    ]) {
      const r = await call('alice', 'GET', path);
      assert.notEqual(r.status, 200, `alice GET ${path}: ${r.body.slice(0, 200)}`);
      assert.ok(!r.body.includes(secret), `alice GET ${path} returned bob's artifact`);
    }
  });

  test('the serving ingress and Katib observation logs of team-b refuse alice', async (t) => {
    if (skip) return t.skip(skip);
    for (const [method, path] of [
      ['GET', '/serving/team-b/bobs-model/v1/models/bobs-model'],
      ['POST', '/serving/team-b/bobs-model/v1/models/bobs-model:predict'],
      ['GET', '/katib/v1beta1/namespaces/team-b/trials/bobs-trial/observationlog'],
      ['POST', '/katib/v1beta1/namespaces/team-b/trials/bobs-trial/observationlog'],
    ] as const) {
      const r = await call('alice', method, path, method === 'POST' ? { instances: [[1]] } : undefined);
      assert.equal(r.status, 403, `alice ${method} ${path}: ${r.body.slice(0, 200)}`);
    }
  });

  test('the dashboard backends, notebook and Tensorboard routes of team-b refuse alice', async (t) => {
    if (skip) return t.skip(skip);
    for (const path of [
      '/api/activities/team-b',
      '/api/dashboard/search?namespace=team-b&q=plan',
      '/jupyter/api/namespaces/team-b/notebooks',
      '/jupyter/api/namespaces/team-b/pvcs',
      '/notebook/team-b/bobs-notebook/',
      '/tensorboard/team-b/bobs-board/',
    ]) {
      const r = await call('alice', 'GET', path);
      assert.equal(r.status, 403, `alice GET ${path}: ${r.status} ${r.body.slice(0, 200)}`);
    }
    // The namespace lists the dashboard and the Jupyter web app show name alice's profile, never bob's.
    const namespaces = (await call('alice', 'GET', '/api/namespaces')).json() as unknown as { metadata: { name: string } }[];
    const names = namespaces.map((n) => n.metadata.name);
    assert.ok(names.includes('team-a') && !names.includes('team-b'), JSON.stringify(names));
    const env = await call('alice', 'GET', '/api/workgroup/env-info');
    assert.equal(env.status, 200, env.body);
    assert.doesNotMatch(env.body, /team-b/);
  });

  test('the token mounted into a Pod of alice\'s profile acts there only, and stops working once the Pod is gone', async (t) => {
    if (skip) return t.skip(skip);
    // What an attacker with code in alice's Pod would take: its projected ServiceAccount token, read by the Pod itself.
    await floe.client.create<KubeObject>({
      apiVersion: 'v1', kind: 'Pod', metadata: { name: 'alices-pod', namespace: 'team-a' },
      spec: {
        serviceAccountName: 'default-editor', terminationGracePeriodSeconds: 1,
        containers: [{ name: 'main', image: 'busybox:1.36', command: ['sh', '-c', 'cat /var/run/secrets/kubernetes.io/serviceaccount/token; echo; exec sleep 3600'] }],
      },
    });
    const stolen = await waitFor(async () => {
      const log = await call('admin', 'GET', '/api/v1/namespaces/team-a/pods/alices-pod/log');
      return log.status === 200 ? /^(eyJ[\w-]+\.[\w-]+\.[\w-]+)$/m.exec(log.body)?.[1] : undefined;
    }, { what: 'the Pod to print its ServiceAccount token', timeoutMs: 60_000 });
    const asPod = (method: string, path: string): Promise<Reply> => call({ token: stolen }, method, path);
    assert.equal((await asPod('GET', '/api/v1/namespaces/team-a/configmaps')).status, 200, 'the Pod\'s own profile');
    for (const [method, path] of [
      ['GET', '/api/v1/namespaces/team-b/configmaps'],
      ['GET', '/api/v1/namespaces/team-b/secrets'],
      ['GET', '/api/v1/namespaces/team-b/pods/bobs-pod/log'],
      ['DELETE', '/api/v1/namespaces/team-b/pods/bobs-pod'],
      ['GET', '/apis/v2beta1/runs?namespace=team-b'],
      ['GET', '/serving/team-b/bobs-model/v1/models/bobs-model'],
    ] as const) {
      const r = await asPod(method, path);
      assert.equal(r.status, 403, `the Pod's token ${method} ${path}: ${r.status} ${r.body.slice(0, 200)}`);
    }
    // A Pod-bound token is revoked with its Pod: the next request after the deletion is unauthenticated.
    // 202: a graceful deletion, accepted and finished by the kubelet, as kube-apiserver answers it.
    assert.ok([200, 202].includes((await call('admin', 'DELETE', '/api/v1/namespaces/team-a/pods/alices-pod')).status));
    await waitFor(async () => (await call('admin', 'GET', '/api/v1/namespaces/team-a/pods/alices-pod')).status === 404, { what: 'the Pod to be gone', timeoutMs: 60_000 });
    assert.equal((await asPod('GET', '/api/v1/namespaces/team-a/configmaps')).status, 401);
  });

  test('KFAM: only the owner adds contributors; a binding grants access and its deletion revokes it on the next request', async (t) => {
    if (skip) return t.skip(skip);
    const binding = { user: { kind: 'User', name: emails.bob }, referredNamespace: 'team-a', RoleRef: { kind: 'ClusterRole', name: 'edit' } };
    assert.equal((await call('bob', 'POST', '/kfam/v1/bindings', binding)).status, 403, 'bob cannot add himself to alice\'s profile');
    assert.equal((await call('alice', 'GET', `/kfam/v1/role/clusteradmin?user=${encodeURIComponent(emails.alice)}`)).body, 'false');
    assert.equal((await call('bob', 'GET', '/api/v1/namespaces/team-a/configmaps')).status, 403);
    assert.equal((await call('bob', 'GET', '/apis/v2beta1/experiments?namespace=team-a')).status, 403);
    // bob sees no binding of team-a through KFAM yet.
    const before = await call('bob', 'GET', '/kfam/v1/bindings?namespace=team-a');
    assert.deepEqual(before.json().bindings, []);

    const add = await call('alice', 'POST', '/kfam/v1/bindings', binding);
    assert.equal(add.status, 200, add.body);
    assert.equal((await call('bob', 'GET', '/api/v1/namespaces/team-a/configmaps')).status, 200, 'a contributor reads the profile');
    assert.equal((await call('bob', 'GET', '/apis/v2beta1/experiments?namespace=team-a')).status, 200, 'and its experiments');
    const listed = await call('bob', 'GET', `/kfam/v1/bindings?user=${encodeURIComponent(emails.bob)}`);
    assert.ok((listed.json().bindings as { referredNamespace: string; RoleRef: { name: string } }[]).some((b) => b.referredNamespace === 'team-a' && b.RoleRef.name === 'edit'), listed.body);
    // A contributor is not an owner: bob may not add others.
    assert.equal((await call('bob', 'POST', '/kfam/v1/bindings', { ...binding, user: { kind: 'User', name: 'mallory@example.com' } })).status, 403);

    const del = await call('alice', 'DELETE', '/kfam/v1/bindings', binding);
    assert.equal(del.status, 200, del.body);
    assert.equal((await call('bob', 'GET', '/api/v1/namespaces/team-a/configmaps')).status, 403, 'revoked on the next request');
    assert.equal((await call('bob', 'GET', '/apis/v2beta1/experiments?namespace=team-a')).status, 403, 'KFP too');
    // Deleting alice's profile is hers alone.
    assert.equal((await call('bob', 'DELETE', '/kfam/v1/profiles/team-a')).status, 401);
    // Self-service registration: a profile for oneself, not for someone else, not over an existing one.
    const own = await call('bob', 'POST', '/kfam/v1/profiles', { metadata: { name: 'team-bob-2' }, spec: { owner: { kind: 'User', name: emails.bob } } });
    assert.equal(own.status, 200, own.body);
    assert.equal((await call('bob', 'POST', '/kfam/v1/profiles', { metadata: { name: 'team-x' }, spec: { owner: { kind: 'User', name: emails.alice } } })).status, 403);
    assert.equal((await call('bob', 'POST', '/kfam/v1/profiles', { metadata: { name: 'team-y' }, spec: { owner: { kind: 'Group', name: emails.bob } } })).status, 403);
    assert.equal((await call('bob', 'POST', '/kfam/v1/profiles', { metadata: { name: 'team-a' }, spec: { owner: { kind: 'User', name: emails.bob } } })).status, 403);
    assert.equal((await call('bob', 'GET', '/api/v1/namespaces/team-a/configmaps')).status, 403, 'still alice\'s alone');
  });

  test('kfp.Client with two users\' tokens sees two disjoint worlds', { skip: noKfp, timeout: 180_000 }, async (t) => {
    if (skip) return t.skip(skip);
    const script = `
import json, sys, kfp
host, ca, token, ns, other = sys.argv[1:6]
c = kfp.Client(host=host, existing_token=token, ssl_ca_cert=ca, namespace=ns)
c.create_experiment(name='kfp-client-' + ns, namespace=ns)
mine = [e.display_name for e in (c.list_experiments(namespace=ns).experiments or [])]
try:
    c.list_experiments(namespace=other)
    forged = 'allowed'
except Exception as e:
    forged = str(getattr(e, 'status', 'error'))
print(json.dumps({'mine': mine, 'forged': forged}))
`;
    const run = (who: keyof typeof tokens, ns: string, other: string): Promise<{ mine: string[]; forged: string }> =>
      new Promise((resolve, reject) => {
        const p = spawn(python, ['-c', script, floe.url, join(dir, 'data', 'pki', 'ca.crt'), tokens[who], ns, other], { env: { ...process.env, HOME: dir, PYTHONWARNINGS: 'ignore' } });
        let out = '';
        let err = '';
        p.stdout.on('data', (d: Buffer) => (out += d.toString()));
        p.stderr.on('data', (d: Buffer) => (err += d.toString()));
        p.on('error', reject);
        p.on('exit', (code) => (code === 0 ? resolve(JSON.parse(out.trim().split('\n').pop()!) as { mine: string[]; forged: string }) : reject(new Error(`kfp.Client as ${who} exited ${code}: ${err}`))));
      });
    const alice = await run('alice', 'team-a', 'team-b');
    const bob = await run('bob', 'team-b', 'team-a');
    assert.ok(alice.mine.includes('kfp-client-team-a') && !alice.mine.includes('kfp-client-team-b'), JSON.stringify(alice));
    assert.ok(bob.mine.includes('kfp-client-team-b') && !bob.mine.includes('kfp-client-team-a'), JSON.stringify(bob));
    assert.equal(alice.forged, '403');
    assert.equal(bob.forged, '403');
  });
});
