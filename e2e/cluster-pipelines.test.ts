// Kubeflow Pipelines in cluster mode (issue 23 item 4): `floe controllers` against a real kube-apiserver
// (tools/control-plane.mjs: kube-scheduler, kube-controller-manager, kwok's fake node) serves KFP's v2beta1 API and
// runs the engine there. The run is driven with the real kfp.Client (an admin token, through the same front door as
// Katib's endpoint); each task is a Pod that kube-scheduler places on the kwok node. kwok's node runs no processes, so
// the steps are container components without outputs that carry the harness's completion annotation (added with
// kfp-kubernetes add_pod_annotation): the test checks the Pods the engine made, their order, and the run's states.
// Tasks that move artifacts through an object root on a cluster run Pods for real in test/kfp-cluster-launcher.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { parse as parseYaml } from 'yaml';
import type { Pod } from '../src/api/core-v1.js';
import { FloeError } from '../src/api/errors.js';
import type { Client } from '../src/client/client.js';
import { KubeClient } from '../src/client/kube-client.js';
import { controlPlaneUnavailable, startControlPlane, type ControlPlane } from '../test/helpers/control-plane.js';
import { waitFor } from '../test/helpers/wait.js';
import { freePort, stopChild } from '../test/helpers/run-process.js';

const run = promisify(execFile);
const root = fileURLToPath(new URL('../../', import.meta.url));
const cli = join(root, 'dist', 'src', 'cli', 'main.js');
const python = join(root, '.venvs', 'kfp', 'bin', 'python');
const driver = join(root, 'src', 'controllers', 'pipelines', 'testdata', 'kfp_cluster.py');
const unavailable = controlPlaneUnavailable() ?? (existsSync(python) ? undefined : `the pipelines environment is not installed at ${python}`);
if (unavailable) process.stderr.write(`[cluster pipelines e2e] skipped: ${unavailable}\n`);


interface RunView {
  run_id: string;
  state: string;
  seen: string[];
  error: string | null;
  tasks: { name: string; state: string; error: string | null; pod?: string }[];
}

describe('KFP on a real kube-apiserver: floe controllers serves the API and schedules task Pods', { ...(unavailable ? { skip: unavailable } : {}) }, () => {
  let plane: ControlPlane;
  let client: Client;
  let controllers: ChildProcess | undefined;
  let result: RunView;
  let withOutputs: RunView;
  let lockedRoot: RunView;
  let host = '';

  before(async () => {
    plane = await startControlPlane();
    client = KubeClient.fromFile(plane.kubeconfig);
    const token = (parseYaml(readFileSync(plane.kubeconfig, 'utf8')) as { users: { user: { token: string } }[] }).users[0]!.user.token;
    const port = await freePort();
    controllers = spawn(process.execPath, [cli, 'controllers', '--kubeconfig', plane.kubeconfig, '--identity', 'e2e-kfp', '--log-level', 'warn', '--katib-db', join(plane.dir, 'katib.db'), '--katib-listen', `127.0.0.1:${port}`], { stdio: ['ignore', 'ignore', 'inherit'] });
    host = `http://127.0.0.1:${port}`;
    await waitFor(async () => {
      const res = await fetch(`${host}/apis/v2beta1/healthz`, { headers: { authorization: `Bearer ${token}` } }).catch(() => undefined);
      return res?.status === 200;
    }, { what: "the KFP API of floe controllers", timeoutMs: 120_000 });
    // KFP's launcher config in the run's namespace, read from the cluster: an S3 provider whose Secret is absent.
    await client.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'kubeflow' } }).catch((err: unknown) => {
      if (!(err instanceof FloeError && err.reason === 'AlreadyExists')) throw err;
    });
    const providers = { s3: { default: { endpoint: '127.0.0.1:9', disableSSL: true, region: 'us-east-1', credentials: { fromEnv: false, secretRef: { secretName: 'absent', accessKeyKey: 'accesskey', secretKeyKey: 'secretkey' } } } } };
    await client.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'kfp-launcher', namespace: 'kubeflow' }, data: { providers: JSON.stringify(providers) } });
    const work = join(plane.dir, 'kfp-work');
    await mkdir(work, { recursive: true });
    const { stdout } = await run(python, [driver, host, token, work], { maxBuffer: 16 * 1024 * 1024, env: { ...process.env, PYTHONWARNINGS: 'ignore' } });
    const runs = JSON.parse(stdout.trim().split('\n').pop() ?? '{}') as Record<'on_cluster' | 'with_outputs' | 'locked_root', RunView>;
    result = runs.on_cluster;
    withOutputs = runs.with_outputs;
    lockedRoot = runs.locked_root;
  }, { timeout: 3_600_000 });

  after(async () => {
    await stopChild(controllers);
    await plane?.stop();
  });

  test('the run goes PENDING/RUNNING to SUCCEEDED as kwok completes each step on the cluster', () => {
    assert.equal(result.state, 'SUCCEEDED', `${result.error ?? ''} ${JSON.stringify(result.tasks)}`);
    assert.ok(['PENDING', 'RUNNING'].includes(result.seen[0] ?? ''), `states seen: ${result.seen.join(' → ')}`);
    const steps = result.tasks.filter((t) => t.name === 'first' || t.name === 'second');
    assert.deepEqual(steps.map((t) => t.state), ['SUCCEEDED', 'SUCCEEDED']);
  });

  test("each task is a Pod on the cluster: scheduled on the kwok node, the component's command, nothing of Floe's host mounted", async () => {
    const pods = (await client.list<Pod>({ apiVersion: 'v1', kind: 'Pod' }, { namespace: 'kubeflow', labelSelector: `pipeline/runid=${result.run_id}` })).items;
    const byTask = new Map(pods.map((p) => [p.metadata.annotations?.['pipelines.kubeflow.org/task_display_name'], p]));
    const first = byTask.get('first');
    const second = byTask.get('second');
    assert.ok(first && second, `Pods: ${pods.map((p) => p.metadata.name).join(', ')}`);
    for (const pod of [first, second]) {
      assert.equal(pod.spec.nodeName, 'kwok-node-0', 'kube-scheduler placed it on the kwok node');
      assert.equal(pod.status?.phase, 'Succeeded');
      assert.deepEqual(pod.spec.volumes?.filter((v) => v.hostPath) ?? [], [], 'no hostPath of the machine floe controllers runs on');
      assert.equal(pod.spec.containers[0]?.image, 'registry.example/tools:1');
      assert.deepEqual(pod.spec.containers[0]?.command, ['echo']);
    }
    assert.deepEqual(first.spec.containers[0]?.args, ['hello cluster']);
    assert.deepEqual(second.spec.containers[0]?.args, ['after first']);
    assert.equal(second.metadata.labels?.team, 'ml', 'kfp-kubernetes pod labels');
    assert.ok(Date.parse(second.metadata.creationTimestamp ?? '') >= Date.parse(first.metadata.creationTimestamp ?? ''), 'second was created after first');
    const firstDone = first.status?.containerStatuses?.[0]?.state.terminated?.finishedAt;
    assert.ok(firstDone && Date.parse(second.metadata.creationTimestamp ?? '') >= Date.parse(firstDone) - 1000, 'second waited for first to finish');
  });

  test('a step with outputs under a local pipeline root fails the run with the reason (on a cluster outputs pass through an object store), and no Pod is made', async () => {
    assert.equal(withOutputs.state, 'FAILED');
    const answer = withOutputs.tasks.find((t) => t.name === 'answer');
    assert.match(answer?.error ?? '', /task answer: on a cluster a task's outputs pass through an object store, and this run's pipeline root is a local folder/);
    const pods = (await client.list<Pod>({ apiVersion: 'v1', kind: 'Pod' }, { namespace: 'kubeflow', labelSelector: `pipeline/runid=${withOutputs.run_id}` })).items;
    assert.deepEqual(pods.map((p) => p.metadata.name), []);
  });

  test("an s3:// root is resolved with the kfp-launcher ConfigMap and Secret of the cluster; a missing Secret fails the run", () => {
    assert.equal(lockedRoot.state, 'FAILED');
    assert.match(lockedRoot.error ?? '', /pipeline root "s3:\/\/artifacts\/locked": the Secret kubeflow\/absent with the credentials of s3:\/\/artifacts does not exist/);
  });

  test("a caller outside system:masters gets what the cluster's RBAC gives it (SubjectAccessReview), and nothing more", async () => {
    // carol: a ServiceAccount bound cluster-wide to a role that may list, read and create KFP experiments; dave: bound nowhere.
    for (const name of ['carol', 'dave']) await client.create({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name, namespace: 'kubeflow' } });
    await client.create({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name: 'kfp-experimenter' }, rules: [{ apiGroups: ['pipelines.kubeflow.org'], resources: ['experiments'], verbs: ['get', 'list', 'create'] }] });
    await client.create({
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: { name: 'carol-kfp-experimenter' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'kfp-experimenter' },
      subjects: [{ kind: 'ServiceAccount', name: 'carol', namespace: 'kubeflow' }],
    });
    const tokenOf = (sa: string): string => execFileSync('kubectl', ['--kubeconfig', plane.kubeconfig, 'create', 'token', sa, '-n', 'kubeflow', '--duration=1h'], { encoding: 'utf8' }).trim();
    const carol = tokenOf('carol');
    const dave = tokenOf('dave');
    const call = (path: string, token: string | undefined, init: RequestInit = {}): Promise<Response> =>
      fetch(`${host}${path}`, { ...init, headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(init.body ? { 'content-type': 'application/json' } : {}) } });
    // The API server's authorizer sees the new binding within moments.
    await waitFor(async () => (await call('/apis/v2beta1/experiments', carol)).status === 200, { what: "carol's experiment list", timeoutMs: 30_000 });
    const created = await call('/apis/v2beta1/experiments', carol, { method: 'POST', body: JSON.stringify({ display_name: 'carols-experiment' }) });
    assert.equal(created.status, 200, await created.clone().text());
    const id = ((await created.json()) as { experiment_id: string }).experiment_id;
    assert.equal((await call(`/apis/v2beta1/experiments/${id}`, carol)).status, 200);
    // What the role does not name is refused, with the user and the verb in the message.
    const deleted = await call(`/apis/v2beta1/experiments/${id}`, carol, { method: 'DELETE' });
    assert.equal(deleted.status, 403, await deleted.clone().text());
    assert.match(((await deleted.json()) as { message: string }).message, /system:serviceaccount:kubeflow:carol.*cannot delete resource "experiments" in API group "pipelines.kubeflow.org"/);
    assert.equal((await call('/apis/v2beta1/runs', carol)).status, 403);
    assert.equal((await call('/apis/v2beta1/experiments', dave)).status, 403);
    assert.equal((await call('/mlmd/v1/artifact_types', dave)).status, 403);
    assert.equal((await call('/apis/v2beta1/experiments', undefined)).status, 401);
    // A page on another site cannot use carol's rights, nor post a body type KFP's API does not take.
    const crossSite = await fetch(`${host}/apis/v2beta1/experiments`, { method: 'POST', headers: { authorization: `Bearer ${carol}`, origin: 'https://evil.example', 'content-type': 'application/json' }, body: JSON.stringify({ display_name: 'from-evil' }) });
    assert.equal(crossSite.status, 403, await crossSite.clone().text());
    const plain = await fetch(`${host}/apis/v2beta1/experiments`, { method: 'POST', headers: { authorization: `Bearer ${carol}`, 'content-type': 'text/plain' }, body: JSON.stringify({ display_name: 'as-text' }) });
    assert.equal(plain.status, 415, await plain.clone().text());
  });
});
