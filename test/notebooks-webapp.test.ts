// The Jupyter web app API (/jupyter/api/…) against an embedded Floe behind a trusted auth-proxy header (Kubeflow's
// kubeflow-userid): alice, owner of Profile team-a, gets the XSRF cookie, creates a notebook the way the spawner form
// does, lists it in upstream's shape, stops and starts it with PATCH and deletes it; requests without the XSRF
// double-submit, with a body that is not JSON, or from mallory (no role in team-a) are refused as upstream refuses them.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { NodeRef, PodRef, type Node, type Pod } from '../src/api/core-v1.js';
import { FloeError } from '../src/api/errors.js';
import type { KubeObject } from '../src/api/meta.js';
import { NotebookRef, type Notebook } from '../src/controllers/notebooks/types.js';
import { NamespaceRef, RoleBindingRef } from '../src/controllers/profiles/types.js';
import { defaultConfig } from '../src/server/config.js';
import { startFloe, type Floe } from '../src/server/floe.js';
import { killRecordedProcesses, testTiming } from './helpers/kubelet-harness.js';
import { waitFor } from './helpers/wait.js';

const haveJupyter = existsSync(fileURLToPath(new URL('../../.venvs/jupyter/bin/jupyter', import.meta.url)));
const ns = 'team-a';
const alice = 'alice@example.com';
const mallory = 'mallory@example.com';

interface Answer {
  status: number;
  body: Record<string, unknown>;
  headers: Headers;
}

describe('Jupyter web app API (embedded, auth proxy header)', () => {
  let floe: Floe;
  let dir: string;

  /** A request as `user` (the proxy's kubeflow-userid header), with the XSRF cookie and header when given. */
  async function call(user: string, method: string, path: string, options: { body?: unknown; cookie?: string; header?: string; contentType?: string } = {}): Promise<Answer> {
    const headers: Record<string, string> = { 'kubeflow-userid': user };
    if (options.cookie !== undefined) headers.cookie = `XSRF-TOKEN=${options.cookie}`;
    if (options.header !== undefined) headers['x-xsrf-token'] = options.header;
    if (options.body !== undefined) headers['content-type'] = options.contentType ?? 'application/json';
    const res = await fetch(`${floe.url}/jupyter${path}`, { method, headers, ...(options.body !== undefined ? { body: typeof options.body === 'string' ? options.body : JSON.stringify(options.body) } : {}) });
    const text = await res.text();
    let body: Record<string, unknown> = {};
    try {
      body = JSON.parse(text) as Record<string, unknown>;
    } catch {
      body = { text };
    }
    return { status: res.status, body, headers: res.headers };
  }

  /** The XSRF token the app's page sets, as a browser would receive it. */
  async function xsrf(user: string): Promise<string> {
    const res = await fetch(`${floe.url}/jupyter/`, { headers: { 'kubeflow-userid': user } });
    assert.equal(res.status, 200);
    const cookie = res.headers.get('set-cookie') ?? '';
    assert.match(cookie, /^XSRF-TOKEN=[A-Za-z0-9_-]{40,}; Path=\/jupyter; SameSite=Strict/);
    return /^XSRF-TOKEN=([^;]+)/.exec(cookie)?.[1] ?? '';
  }

  const form = (name: string): Record<string, unknown> => ({
    name,
    namespace: ns,
    image: 'ghcr.io/kubeflow/kubeflow/notebook-servers/jupyter-scipy:latest',
    imagePullPolicy: 'IfNotPresent',
    allowCustomImage: true,
    customImage: '',
    customImageCheck: false,
    serverType: 'jupyter',
    cpu: '0.5',
    cpuLimit: '',
    memory: '1.0Gi',
    memoryLimit: '',
    gpus: { num: 'none' },
    noWorkspace: false,
    workspace: { mount: '/home/jovyan', newPvc: { metadata: { name: '{notebook-name}-workspace' }, spec: { resources: { requests: { storage: '1Gi' } }, accessModes: ['ReadWriteOnce'] } } },
    datavols: [],
    shm: true,
    configurations: ['add-greeting'],
    affinityConfig: '',
    tolerationGroup: '',
  });

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'floe-jwa-'));
    floe = await startFloe({
      ...defaultConfig(),
      dataDir: dir,
      port: 0,
      logLevel: 'silent',
      runPods: true,
      controllers: true,
      kubeletTiming: testTiming,
      authProxy: { header: 'kubeflow-userid', prefix: '', addresses: ['127.0.0.1/32', '::1/128'] },
    });
    await floe.client.create({ apiVersion: 'kubeflow.org/v1', kind: 'Profile', metadata: { name: ns }, spec: { owner: { kind: 'User', name: alice } } });
    await waitFor(() => floe.client.get(NamespaceRef, ns), { what: 'namespace team-a' });
    await waitFor(() => floe.client.get(RoleBindingRef, 'namespaceAdmin', ns), { what: "alice's namespaceAdmin binding" });
    // What the notebook's "configurations" select: a PodDefault the admin provides.
    await floe.client.create({
      apiVersion: 'kubeflow.org/v1alpha1',
      kind: 'PodDefault',
      metadata: { name: 'add-greeting', namespace: ns },
      spec: { desc: 'Say hello', selector: { matchLabels: { 'add-greeting': 'true' } }, env: [{ name: 'GREETING', value: 'hello from a PodDefault' }] },
    });
  });
  after(async () => {
    await floe?.stop();
    killRecordedProcesses(dir);
    await rm(dir, { recursive: true, force: true });
  });

  test('config, gpus, storage classes, PodDefaults and PVCs in upstream shapes', async () => {
    const config = await call(alice, 'GET', '/api/config');
    assert.equal(config.status, 200);
    assert.equal(config.body.success, true);
    assert.equal(config.body.user, alice);
    const spawner = config.body.config as Record<string, Record<string, unknown>>;
    assert.ok((spawner.image?.options as string[]).includes('ghcr.io/kubeflow/kubeflow/notebook-servers/jupyter-scipy:latest'));
    assert.deepEqual(spawner.cpu, { readOnly: false, value: '0.5', limitFactor: '1.2' });
    const nodes = (await floe.client.list<Node>(NodeRef)).items;
    const gpus = ['nvidia.com/gpu', 'amd.com/gpu', 'habana.ai/gaudi'].filter((k) => nodes.some((n) => Number(n.status?.capacity?.[k] ?? 0) > 0));
    assert.deepEqual((await call(alice, 'GET', '/api/gpus')).body.vendors, gpus);
    assert.equal((await call(alice, 'GET', '/api/storageclasses/default')).body.defaultStorageClass, 'standard');
    const pds = (await call(alice, 'GET', `/api/namespaces/${ns}/poddefaults`)).body.poddefaults as Record<string, unknown>[];
    assert.deepEqual(pds.map((p) => [p.label, p.desc, (p.metadata as KubeObject['metadata']).name]), [['add-greeting', 'Say hello', 'add-greeting']]);
  });

  test('XSRF: a state-changing request needs the cookie and an equal header; only JSON bodies', async () => {
    const token = await xsrf(alice);
    const none = await call(alice, 'POST', `/api/namespaces/${ns}/notebooks`, { body: form('nope') });
    assert.deepEqual(none.body, { success: false, log: 'Could not find CSRF cookie XSRF-TOKEN in the request.', status: 403, user: alice });
    assert.equal(none.status, 403);
    const noHeader = await call(alice, 'POST', `/api/namespaces/${ns}/notebooks`, { body: form('nope'), cookie: token });
    assert.equal(noHeader.status, 403);
    assert.equal(noHeader.body.log, 'Could not detect CSRF protection header X-XSRF-TOKEN.');
    const mismatch = await call(alice, 'PATCH', `/api/namespaces/${ns}/notebooks/nope`, { body: { stopped: true }, cookie: token, header: `${token}x` });
    assert.equal(mismatch.status, 403);
    assert.match(String(mismatch.body.log), /^CSRF check failed/);
    // A body another site's form could send never reaches the app (the front door's content-type rule).
    const text = await call(alice, 'POST', `/api/namespaces/${ns}/notebooks`, { body: 'name=nope', contentType: 'text/plain', cookie: token, header: token });
    assert.equal(text.status, 415);
    await assert.rejects(floe.client.get(NotebookRef, 'nope', ns), (err: unknown) => err instanceof FloeError && err.reason === 'NotFound');
  });

  test('alice creates a notebook the way the spawner form does, lists it, stops and starts it, deletes it', async () => {
    const token = await xsrf(alice);
    const created = await call(alice, 'POST', `/api/namespaces/${ns}/notebooks`, { body: form('nb1'), cookie: token, header: token });
    assert.deepEqual(created.body, { status: 200, success: true, user: alice, message: 'Notebook created successfully.' });

    // The Notebook as upstream's post.py builds it.
    const nb = await floe.client.get<Notebook>(NotebookRef, 'nb1', ns);
    assert.equal(nb.metadata.annotations?.['notebooks.kubeflow.org/creator'], alice);
    assert.equal(nb.metadata.annotations?.['notebooks.kubeflow.org/server-type'], 'jupyter');
    assert.equal(nb.metadata.labels?.app, 'nb1');
    assert.equal(nb.metadata.labels?.['add-greeting'], 'true');
    const c = nb.spec.template.spec.containers[0]!;
    assert.equal(c.name, 'nb1');
    assert.deepEqual(c.resources, { requests: { cpu: '0.5', memory: '1.0Gi' }, limits: { cpu: '0.6', memory: '1.2Gi' } });
    assert.equal(nb.spec.template.spec.serviceAccountName, 'default-editor');
    assert.deepEqual(c.volumeMounts, [{ mountPath: '/dev/shm', name: 'dshm' }, { name: 'nb1-workspace', mountPath: '/home/jovyan' }]);
    assert.deepEqual(nb.spec.template.spec.volumes, [{ name: 'dshm', emptyDir: { medium: 'Memory' } }, { name: 'nb1-workspace', persistentVolumeClaim: { claimName: 'nb1-workspace' } }]);
    const pvcs = (await call(alice, 'GET', `/api/namespaces/${ns}/pvcs`)).body.pvcs;
    assert.deepEqual(pvcs, [{ name: 'nb1-workspace', size: '1Gi', mode: 'ReadWriteOnce' }]);

    // The notebook's Pod carries what the PodDefault the form selected injects.
    const pod = await waitFor(() => floe.client.get<Pod>(PodRef, 'nb1-0', ns), { what: 'Pod nb1-0', timeoutMs: 30_000 });
    assert.deepEqual(pod.spec.containers[0]?.env?.find((e) => e.name === 'GREETING'), { name: 'GREETING', value: 'hello from a PodDefault' });
    const podAnswer = await call(alice, 'GET', `/api/namespaces/${ns}/notebooks/nb1/pod`);
    assert.equal((podAnswer.body.pod as Pod).metadata.name, 'nb1-0');

    // The list, in upstream's summary shape.
    const list = await call(alice, 'GET', `/api/namespaces/${ns}/notebooks`);
    assert.equal(list.status, 200);
    const [summary] = list.body.notebooks as Record<string, unknown>[];
    assert.ok(summary);
    assert.deepEqual(Object.keys(summary).sort(), ['age', 'cpu', 'gpus', 'image', 'last_activity', 'memory', 'metadata', 'name', 'namespace', 'serverType', 'shortImage', 'status', 'volumes'].sort());
    assert.equal(summary.name, 'nb1');
    assert.equal(summary.namespace, ns);
    assert.equal(summary.serverType, 'jupyter');
    assert.equal(summary.shortImage, 'jupyter-scipy:latest');
    assert.equal(summary.cpu, '0.5');
    assert.equal(summary.memory, '1.0Gi');
    assert.deepEqual(summary.gpus, { count: 0, message: '' });
    assert.deepEqual(summary.volumes, ['dshm', 'nb1-workspace']);
    assert.equal(summary.last_activity, '');
    const phase = (s: Record<string, unknown>): string => (s.status as { phase: string }).phase;
    assert.ok(['waiting', 'ready', 'warning'].includes(phase(summary)), JSON.stringify(summary.status));
    if (haveJupyter) {
      await waitFor(async () => {
        const got = (await call(alice, 'GET', `/api/namespaces/${ns}/notebooks`)).body.notebooks as Record<string, unknown>[];
        return got[0] && phase(got[0]) === 'ready';
      }, { what: 'the notebook to be ready', timeoutMs: 120_000 });
      const logs = await call(alice, 'GET', `/api/namespaces/${ns}/notebooks/nb1/pod/nb1-0/logs`);
      assert.ok(Array.isArray(logs.body.logs));
    }

    // Stop: the annotation with upstream's timestamp; stopping twice is a 409; the status becomes stopped.
    const stop = await call(alice, 'PATCH', `/api/namespaces/${ns}/notebooks/nb1`, { body: { stopped: true }, cookie: token, header: token });
    assert.deepEqual(stop.body, { status: 200, success: true, user: alice });
    const stopped = await floe.client.get<Notebook>(NotebookRef, 'nb1', ns);
    assert.match(stopped.metadata.annotations?.['kubeflow-resource-stopped'] ?? '', /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    const again = await call(alice, 'PATCH', `/api/namespaces/${ns}/notebooks/nb1`, { body: { stopped: true }, cookie: token, header: token });
    assert.equal(again.status, 409);
    assert.equal(again.body.log, `Notebook ${ns}/nb1 is already stopped.`);
    await waitFor(async () => {
      const got = (await call(alice, 'GET', `/api/namespaces/${ns}/notebooks/nb1`)).body.notebook as { processed_status?: { phase: string } } | undefined;
      return got?.processed_status?.phase === 'stopped';
    }, { what: 'the notebook to be stopped', timeoutMs: 60_000 });
    const bad = await call(alice, 'PATCH', `/api/namespaces/${ns}/notebooks/nb1`, { body: { start: true }, cookie: token, header: token });
    assert.equal(bad.status, 400);
    // Start: the annotation goes.
    const start = await call(alice, 'PATCH', `/api/namespaces/${ns}/notebooks/nb1`, { body: { stopped: false }, cookie: token, header: token });
    assert.equal(start.status, 200);
    assert.equal((await floe.client.get<Notebook>(NotebookRef, 'nb1', ns)).metadata.annotations?.['kubeflow-resource-stopped'], undefined);

    const events = await call(alice, 'GET', `/api/namespaces/${ns}/notebooks/nb1/events`);
    assert.ok(Array.isArray(events.body.events));

    const deleted = await call(alice, 'DELETE', `/api/namespaces/${ns}/notebooks/nb1`, { cookie: token, header: token });
    assert.deepEqual(deleted.body, { status: 200, success: true, user: alice, message: 'Notebook nb1 successfully deleted.' });
    await waitFor(async () => (await call(alice, 'GET', `/api/namespaces/${ns}/notebooks/nb1`)).status === 404, { what: 'the notebook to be gone', timeoutMs: 60_000 });
    const gone = await call(alice, 'GET', `/api/namespaces/${ns}/notebooks/nb1`);
    assert.equal(gone.body.log, 'The requested resource could not be found in the API Server');
  });

  test('mallory, who has no role in team-a, is refused with upstream\'s SubjectAccessReview message', async () => {
    await floe.client.create({ apiVersion: 'kubeflow.org/v1beta1', kind: 'Notebook', metadata: { name: 'theirs', namespace: ns }, spec: { template: { spec: { containers: [{ name: 'theirs', image: 'ghcr.io/kubeflow/kubeflow/notebook-servers/jupyter-scipy:latest' }] } } } });
    const list = await call(mallory, 'GET', `/api/namespaces/${ns}/notebooks`);
    assert.equal(list.status, 403);
    assert.deepEqual(list.body, { success: false, log: `User '${mallory}' is not authorized to list kubeflow.org/v1beta1/notebooks in namespace '${ns}'`, status: 403, user: mallory });
    // Her own, valid XSRF token does not make her a contributor.
    const token = await xsrf(mallory);
    const create = await call(mallory, 'POST', `/api/namespaces/${ns}/notebooks`, { body: form('hers'), cookie: token, header: token });
    assert.equal(create.status, 403);
    assert.equal(create.body.log, `User '${mallory}' is not authorized to create kubeflow.org/v1beta1/notebooks in namespace '${ns}'`);
    const stop = await call(mallory, 'PATCH', `/api/namespaces/${ns}/notebooks/theirs`, { body: { stopped: true }, cookie: token, header: token });
    assert.equal(stop.status, 403);
    const del = await call(mallory, 'DELETE', `/api/namespaces/${ns}/notebooks/theirs`, { cookie: token, header: token });
    assert.equal(del.status, 403);
    assert.equal((await floe.client.get<Notebook>(NotebookRef, 'theirs', ns)).metadata.annotations?.['kubeflow-resource-stopped'], undefined);
    const pvcs = await call(mallory, 'GET', `/api/namespaces/${ns}/pvcs`);
    assert.equal(pvcs.body.log, `User '${mallory}' is not authorized to list v1/persistentvolumeclaims in namespace '${ns}'`);
    await assert.rejects(floe.client.get(NotebookRef, 'hers', ns), (err: unknown) => err instanceof FloeError && err.reason === 'NotFound');
    await floe.client.delete(NotebookRef, 'theirs', ns);
  });
});
