// Kubeflow Notebooks on a real embedded Floe with real JupyterLab: a Notebook applied with kubectl becomes ready, its
// route is refused to strangers, JupyterLab's REST and kernel WebSocket APIs work through Floe (1+1 → 2), a file on the
// workspace volume survives stop/start, and the culler stops an idle notebook.
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { WebSocket } from 'ws';
import { FloeError } from '../src/api/errors.js';
import type { KubeObject } from '../src/api/meta.js';
import type { Pod, Service } from '../src/api/core-v1.js';
import { EventRef, PodRef, SecretRef, ServiceRef } from '../src/api/core-v1.js';
import { NotebookRef, StatefulSetRef, type Notebook } from '../src/controllers/notebooks/types.js';
import type { StatefulSet } from '../src/controllers/notebooks/notebook-controller.js';
import { defaultConfig } from '../src/server/config.js';
import { startFloe, type Floe } from '../src/server/floe.js';
import { killRecordedProcesses, testTiming } from './helpers/kubelet-harness.js';
import { runProcess } from './helpers/run-process.js';
import { waitFor } from './helpers/wait.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const jupyter = join(root, '.venvs', 'jupyter', 'bin', 'jupyter');
const noJupyter = existsSync(jupyter)
  ? undefined
  : `the jupyter environment is not built (${jupyter} is missing): python3 -m venv .venvs/jupyter && .venvs/jupyter/bin/pip install -r python/envs/jupyter/requirements.txt (tools/setup.mjs builds it)`;
const image = 'kubeflownotebookswg/jupyter-scipy:v1.9.0';
/** Starting JupyterLab is seconds of Python imports, far more on a loaded machine: a safety net, not a measure. */
const jupyterTimeoutMs = 240_000;
const notFound = (err: unknown): boolean => err instanceof FloeError && err.reason === 'NotFound';

interface Answer {
  status: number;
  body: string;
  headers: Record<string, string | string[] | undefined>;
}

function notebookManifest(namespace: string, name: string, volume?: string): Notebook {
  return {
    apiVersion: 'kubeflow.org/v1',
    kind: 'Notebook',
    metadata: { name, namespace, labels: { app: name } },
    spec: {
      template: {
        spec: {
          containers: [{ name, image, resources: { requests: { cpu: '100m', memory: '100Mi' } }, ...(volume ? { volumeMounts: [{ name: volume, mountPath: '/home/jovyan' }] } : {}) }],
          ...(volume ? { volumes: [{ name: volume, persistentVolumeClaim: { claimName: volume } }] } : {}),
        },
      },
    },
  };
}

describe('notebooks: kubectl, the route, JupyterLab over HTTP and WebSocket, stop/start', { skip: noJupyter }, () => {
  let floe: Floe;
  let dir: string;
  let ca: string;
  const tokens = { admin: randomBytes(24).toString('hex'), alice: randomBytes(24).toString('hex'), bob: randomBytes(24).toString('hex') };
  const emails = { alice: 'alice@example.com', bob: 'bob@example.com' };
  const ns = 'team-a';
  const nb = 'nb';
  const prefix = `/notebook/${ns}/${nb}`;
  /** Jupyter's XSRF cookie for this notebook (its page sets it; every POST, PUT, PATCH and DELETE must echo it). */
  let xsrf = '';

  function call(user: keyof typeof tokens | undefined, method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Answer> {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    return new Promise((resolve, reject) => {
      const req = httpsRequest(
        `${floe.url}${path}`,
        {
          method,
          ca,
          headers: {
            ...(user ? { authorization: `Bearer ${tokens[user]}` } : {}),
            ...(payload !== undefined ? { 'content-type': 'application/json' } : {}),
            ...(xsrf && method !== 'GET' ? { 'x-xsrftoken': xsrf, cookie: `_xsrf=${xsrf}` } : {}),
            ...headers,
          },
        },
        (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (c: string) => (text += c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text, headers: res.headers }));
        },
      );
      req.on('error', reject);
      req.end(payload);
    });
  }

  /** Opens a WebSocket through Floe's route as `user`; resolves with the socket or the HTTP status of the refusal. */
  function openSocket(user: keyof typeof tokens | undefined, path: string): Promise<WebSocket | number> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(`${floe.url.replace(/^http/, 'ws')}${path}`, { ca, headers: user ? { authorization: `Bearer ${tokens[user]}` } : {} });
      ws.once('open', () => resolve(ws));
      ws.once('unexpected-response', (_req, res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      ws.once('error', reject);
    });
  }

  async function kubectl(args: string[], input?: string): Promise<string> {
    const r = await runProcess('kubectl', ['--kubeconfig', floe.kubeconfigPath, '--cache-dir', join(dir, 'kubectl-cache'), ...args], input === undefined ? {} : { input });
    assert.equal(r.code, 0, `kubectl ${args.join(' ')} failed: ${r.stderr}`);
    return r.stdout;
  }

  async function jupyterAnswers(): Promise<boolean> {
    const r = await call('alice', 'GET', `${prefix}/api/status`);
    return r.status === 200;
  }

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'floe-notebooks-'));
    const tokenFile = join(dir, 'tokens.csv');
    await writeFile(tokenFile, `${tokens.alice},${emails.alice},alice-uid,"kubeflow-users"\n${tokens.bob},${emails.bob},bob-uid,"kubeflow-users"\n`, { mode: 0o600 });
    floe = await startFloe({ ...defaultConfig(), dataDir: join(dir, 'data'), port: 0, logLevel: 'silent', controllers: true, runPods: true, kubeletTiming: testTiming, token: tokens.admin, tokenAuthFile: tokenFile });
    ca = await readFile(join(dir, 'data', 'pki', 'ca.crt'), 'utf8');
    // Alice owns team-a, Bob team-b: Profiles give each the kubeflow-admin binding in their own namespace only.
    for (const [name, owner] of [[ns, emails.alice], ['team-b', emails.bob]] as const) {
      await floe.client.create({ apiVersion: 'kubeflow.org/v1', kind: 'Profile', metadata: { name }, spec: { owner: { kind: 'User', name: owner } } });
      await waitFor(() => floe.client.get({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding' }, 'namespaceAdmin', name), { what: `namespaceAdmin in ${name}`, timeoutMs: 30_000 });
    }
  });
  after(async () => {
    await floe?.stop();
    if (dir) {
      killRecordedProcesses(join(dir, 'data'));
      await rm(dir, { recursive: true, force: true });
    }
  });

  test('the route refuses callers without credentials, and users who may not get the Notebook, before it is even there', async () => {
    for (const path of [`${prefix}/api/status`, `${prefix}/lab`, `/notebook/${ns}/`]) {
      assert.equal((await call(undefined, 'GET', path)).status, 401, `no credentials: ${path}`);
    }
    const bob = await call('bob', 'GET', `${prefix}/api/status`);
    assert.equal(bob.status, 403, bob.body);
    assert.match(bob.body, /notebooks.kubeflow.org \\"nb\\" is forbidden: User \\"bob@example.com\\" cannot get resource \\"notebooks\\"/);
    assert.equal((await call('bob', 'POST', `${prefix}/api/kernels`, {})).status, 403);
    assert.equal(await openSocket(undefined, `${prefix}/api/kernels/${randomUUID()}/channels`), 401);
    assert.equal(await openSocket('bob', `${prefix}/api/kernels/${randomUUID()}/channels`), 403);
    assert.equal(await openSocket('bob', `${prefix}/terminals/websocket/1`), 403);
    // Alice may: the Notebook is not there yet, which is a 404 from Floe, not from Jupyter.
    const alice = await call('alice', 'GET', `${prefix}/api/status`);
    assert.equal(alice.status, 404, alice.body);
  });

  test('a Notebook applied with kubectl becomes ready: StatefulSet, Service, status and events as upstream', async () => {
    await kubectl(['apply', '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name: 'nb-workspace', namespace: ns }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } }));
    await kubectl(['apply', '-f', '-'], JSON.stringify(notebookManifest(ns, nb, 'nb-workspace')));
    const sts = await waitFor(() => floe.client.get<StatefulSet>(StatefulSetRef, nb, ns), { what: 'the StatefulSet' });
    assert.equal(sts.spec.replicas, 1);
    assert.deepEqual(sts.spec.selector?.matchLabels, { statefulset: nb });
    assert.deepEqual(sts.spec.template.metadata?.labels, { statefulset: nb, 'notebook-name': nb, app: nb });
    const container = sts.spec.template.spec.containers[0]!;
    assert.equal(container.workingDir, '/home/jovyan');
    assert.deepEqual(container.env?.find((e) => e.name === 'NB_PREFIX'), { name: 'NB_PREFIX', value: prefix });
    assert.equal(sts.metadata.ownerReferences?.[0]?.kind, 'Notebook');
    const svc = await floe.client.get<Service>(ServiceRef, nb, ns);
    assert.equal(svc.spec?.ports?.[0]?.name, `http-${nb}`);
    assert.equal(svc.spec?.ports?.[0]?.port, 80);
    assert.deepEqual(svc.spec?.selector, { statefulset: nb });
    // Pods share the host's network here: the notebook listens on the Service's host port, and the Service points there.
    assert.equal(svc.spec?.ports?.[0]?.targetPort, container.ports?.[0]?.containerPort);

    const ready = await waitFor(async () => {
      const got = await floe.client.get<Notebook>(NotebookRef, nb, ns);
      return got.status?.readyReplicas === 1 && got.status.containerState.running ? got : undefined;
    }, { what: 'readyReplicas 1', timeoutMs: 60_000 });
    const pod = await floe.client.get<Pod>(PodRef, `${nb}-0`, ns);
    assert.deepEqual(ready.status?.conditions.map((c) => c.type), pod.status?.conditions?.map((c) => c.type));
    assert.ok(ready.status?.conditions.some((c) => c.type === 'Ready'));
    assert.ok(ready.status?.conditions.every((c) => c.status === 'True' && c.lastProbeTime && c.lastTransitionTime));
    // Every version is served with the same body.
    for (const version of ['v1', 'v1alpha1']) {
      const other = await floe.client.get<Notebook>({ apiVersion: `kubeflow.org/${version}`, kind: 'Notebook' }, nb, ns);
      assert.deepEqual(other.spec, ready.spec);
    }
    assert.match(await kubectl(['get', 'notebooks.v1beta1.kubeflow.org', '-n', ns]), /\bnb\b/);
    // The Pod's events show on the Notebook, re-issued as upstream does.
    await waitFor(async () => {
      const events = await floe.client.list<KubeObject & { involvedObject: { kind: string; name: string }; message: string }>(EventRef, { namespace: ns });
      return events.items.some((e) => e.involvedObject.kind === 'Notebook' && e.involvedObject.name === nb && e.message.startsWith(`Reissued from pod/${nb}-0: `));
    }, { what: 'a re-issued Pod event on the Notebook' });
    // JupyterLab answers through Floe, at the notebook's prefix.
    await waitFor(jupyterAnswers, { what: 'JupyterLab answering /api/status through Floe', timeoutMs: jupyterTimeoutMs, intervalMs: 200 });
    // The attack around the route: Pods share the host's network, so anyone on this machine can dial the notebook's
    // port. Jupyter refuses them: its token is in a Secret the controller made, and only the route sends it.
    const port = Number(container.ports?.[0]?.containerPort);
    const secret = await floe.client.get<KubeObject & { data?: Record<string, string> }>(SecretRef, `${nb}-jupyter-token`, ns);
    assert.equal(secret.metadata.ownerReferences?.[0]?.uid, ready.metadata.uid);
    for (const [method, path] of [['GET', '/api/kernels'], ['POST', '/api/kernels'], ['GET', '/api/contents'], ['POST', '/api/terminals']] as const) {
      const direct = await fetch(`http://127.0.0.1:${port}${prefix}${path}`, { method, headers: { 'content-type': 'application/json' }, ...(method === 'POST' ? { body: '{}' } : {}) });
      assert.equal(direct.status, 403, `${method} ${path} straight to the notebook's port`);
    }
  });

  test('JupyterLab through Floe: its page and XSRF cookie, a kernel, 1+1 over the kernel WebSocket, contents, a terminal', async () => {
    await waitFor(jupyterAnswers, { what: 'JupyterLab', timeoutMs: jupyterTimeoutMs, intervalMs: 200 });
    const page = await call('alice', 'GET', `${prefix}/lab`);
    assert.equal(page.status, 200, page.body.slice(0, 500));
    assert.match(page.body, /JupyterLab/);
    const cookies = ([] as string[]).concat(page.headers['set-cookie'] ?? []);
    const cookie = cookies.find((c) => c.startsWith('_xsrf='));
    assert.ok(cookie, `the page sets _xsrf: ${cookies.join(' | ')}`);
    assert.match(cookie, new RegExp(`Path=${prefix}/`));
    xsrf = cookie.slice('_xsrf='.length).split(';')[0]!;

    const created = await call('alice', 'POST', `${prefix}/api/kernels`, { name: 'python3' });
    assert.equal(created.status, 201, created.body);
    const kernel = JSON.parse(created.body) as { id: string; name: string };
    assert.equal(kernel.name, 'python3');
    const listed = JSON.parse((await call('alice', 'GET', `${prefix}/api/kernels`)).body) as { id: string }[];
    assert.ok(listed.some((k) => k.id === kernel.id));

    // The Jupyter messaging protocol over the kernel's channels WebSocket: execute_request → execute_result "2".
    const ws = await openSocket('alice', `${prefix}/api/kernels/${kernel.id}/channels?session_id=${randomUUID()}`);
    assert.ok(ws instanceof WebSocket, `the WebSocket opens (got HTTP ${typeof ws === 'number' ? ws : ''})`);
    const msgId = randomUUID();
    const result = new Promise<string>((resolve, reject) => {
      ws.on('message', (data: Buffer) => {
        const msg = JSON.parse(data.toString('utf8')) as { msg_type?: string; header: { msg_type: string }; parent_header: { msg_id?: string }; content: { data?: Record<string, string>; ename?: string; evalue?: string } };
        if (msg.parent_header.msg_id !== msgId) return;
        if (msg.header.msg_type === 'execute_result') resolve(msg.content.data?.['text/plain'] ?? '');
        if (msg.header.msg_type === 'error') reject(new Error(`${msg.content.ename ?? ''}: ${msg.content.evalue ?? ''}`));
      });
    });
    ws.send(
      JSON.stringify({
        header: { msg_id: msgId, username: 'alice', session: randomUUID(), msg_type: 'execute_request', version: '5.3', date: new Date().toISOString() },
        parent_header: {},
        metadata: {},
        content: { code: '1+1', silent: false, store_history: true, user_expressions: {}, allow_stdin: false, stop_on_error: true },
        channel: 'shell',
        buffers: [],
      }),
    );
    assert.equal(await result, '2');
    ws.close();

    // A file written through the contents API lands in the workspace volume (the PVC's folder on this machine).
    const put = await call('alice', 'PUT', `${prefix}/api/contents/hello.txt`, { type: 'file', format: 'text', content: 'kept across stop and start' });
    assert.equal(put.status, 201, put.body);
    assert.equal(await readFile(join(dir, 'data', 'volumes', ns, 'nb-workspace', 'hello.txt'), 'utf8'), 'kept across stop and start');

    // A terminal: its WebSocket says hello with the "setup" message, then runs what it is sent.
    const term = await call('alice', 'POST', `${prefix}/api/terminals`, {});
    assert.equal(term.status, 200, term.body);
    const termName = (JSON.parse(term.body) as { name: string }).name;
    const tws = await openSocket('alice', `${prefix}/terminals/websocket/${termName}`);
    assert.ok(tws instanceof WebSocket);
    const echoed = new Promise<void>((resolve) => {
      let seen = '';
      tws.on('message', (data: Buffer) => {
        const [kind, text] = JSON.parse(data.toString('utf8')) as [string, string?];
        if (kind === 'stdout') seen += text ?? '';
        if (seen.includes('floe-terminal-42')) resolve();
      });
    });
    tws.send(JSON.stringify(['stdin', 'echo floe-terminal-$((40+2))\r']));
    await echoed;
    tws.close();
    assert.equal((await call('alice', 'DELETE', `${prefix}/api/kernels/${kernel.id}`)).status, 204);
  });

  test('stop and start through kubeflow-resource-stopped keep the workspace volume', async () => {
    await waitFor(jupyterAnswers, { what: 'JupyterLab', timeoutMs: jupyterTimeoutMs, intervalMs: 200 });
    await kubectl(['annotate', 'notebook.v1beta1.kubeflow.org', nb, '-n', ns, 'kubeflow-resource-stopped=2026-12-07T00:00:00Z']);
    await waitFor(async () => (await floe.client.get<StatefulSet>(StatefulSetRef, nb, ns)).spec.replicas === 0, { what: 'replicas 0' });
    await waitFor(() => floe.client.get<Pod>(PodRef, `${nb}-0`, ns).then(() => false, (err: unknown) => notFound(err)), { what: 'the Pod gone', timeoutMs: 60_000 });
    const stopped = await waitFor(async () => {
      const got = await floe.client.get<Notebook>(NotebookRef, nb, ns);
      return got.status?.readyReplicas === 0 ? got : undefined;
    }, { what: 'readyReplicas 0' });
    assert.deepEqual(stopped.status?.conditions, []);
    assert.deepEqual(stopped.status?.containerState, {});
    const refused = await call('alice', 'GET', `${prefix}/api/status`);
    assert.equal(refused.status, 503, refused.body);
    assert.match(refused.body, /is stopped/);

    await kubectl(['annotate', 'notebook.v1beta1.kubeflow.org', nb, '-n', ns, 'kubeflow-resource-stopped-']);
    await waitFor(async () => (await floe.client.get<StatefulSet>(StatefulSetRef, nb, ns)).spec.replicas === 1, { what: 'replicas 1' });
    await waitFor(jupyterAnswers, { what: 'JupyterLab back', timeoutMs: jupyterTimeoutMs, intervalMs: 200 });
    const file = await call('alice', 'GET', `${prefix}/api/contents/hello.txt?content=1&format=text&type=file`);
    assert.equal(file.status, 200, file.body);
    assert.equal((JSON.parse(file.body) as { content: string }).content, 'kept across stop and start');
  });

  test('the http-rewrite-uri and http-headers-request-set annotations shape what the server sees', async () => {
    // A tiny server that reports the path and headers it got, as a Notebook (any image; its own command).
    const echo = 'echo';
    const script = "require('http').createServer((q,s)=>{s.setHeader('content-type','application/json');s.end(JSON.stringify({url:q.url,headers:q.headers}))}).listen(Number(process.env.JUPYTER_PORT),'127.0.0.1')";
    const manifest = notebookManifest(ns, echo);
    // floe.dev/runtime reaches the Pod (upstream copies annotations without "notebook" or "kubectl" in their keys).
    manifest.metadata.annotations = { 'notebooks.kubeflow.org/http-rewrite-uri': '/', 'notebooks.kubeflow.org/http-headers-request-set': '{"X-RStudio-Root-Path":"/notebook/team-a/echo/"}', 'floe.dev/runtime': 'process' };
    manifest.spec.template.spec.containers[0] = { name: echo, image: 'node:20', command: [process.execPath, '-e', script] };
    await kubectl(['apply', '-f', '-'], JSON.stringify(manifest));
    const answer = await waitFor(async () => {
      const r = await call('alice', 'GET', '/notebook/team-a/echo/some/path?q=1');
      return r.status === 200 ? (JSON.parse(r.body) as { url: string; headers: Record<string, string> }) : undefined;
    }, { what: 'the echo notebook answering', timeoutMs: 60_000 });
    assert.equal(answer.url, '/some/path?q=1');
    assert.equal(answer.headers['x-rstudio-root-path'], '/notebook/team-a/echo/');
    // Floe's bearer token is not passed on; the notebook's own token is.
    const token = await floe.client.get<KubeObject & { data?: Record<string, string> }>(SecretRef, 'echo-jupyter-token', ns);
    assert.equal(answer.headers.authorization, `token ${Buffer.from(token.data?.token ?? '', 'base64').toString('utf8')}`);
    assert.ok(!JSON.stringify(answer.headers).includes(tokens.alice), "alice's bearer token does not reach the notebook");
    await kubectl(['delete', 'notebook.v1beta1.kubeflow.org', echo, '-n', ns, '--wait=false']);
  });
});

describe('notebooks: culling', { skip: noJupyter }, () => {
  let floe: Floe;
  let dir: string;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'floe-culling-'));
    // CULL_IDLE_TIME 0.1 minutes, IDLENESS_CHECK_PERIOD 0.05 minutes (Floe takes fractions of upstream's minutes).
    floe = await startFloe({
      ...defaultConfig(), dataDir: join(dir, 'data'), port: 0, logLevel: 'silent', controllers: true, runPods: true, kubeletTiming: testTiming,
      notebooks: { culling: { enabled: true, idleMinutes: 0.1, checkPeriodMinutes: 0.05, clusterDomain: 'cluster.local' } },
    });
    await floe.client.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'cull' } });
  });
  after(async () => {
    await floe?.stop();
    if (dir) {
      killRecordedProcesses(join(dir, 'data'));
      await rm(dir, { recursive: true, force: true });
    }
  });

  test('an idle notebook gets last-activity annotations, then is stopped', async () => {
    await floe.client.create(notebookManifest('cull', 'idle'));
    // Whether JupyterLab has started by then or not (upstream culls a server that never answers just the same), the
    // culler first records the activity annotations, then stops the notebook once CULL_IDLE_TIME has passed.
    let sawActivity = false;
    const culled = await waitFor(async () => {
      const got = await floe.client.get<Notebook>(NotebookRef, 'idle', 'cull');
      const a = got.metadata.annotations ?? {};
      if (a['notebooks.kubeflow.org/last-activity'] && a['notebooks.kubeflow.org/last_activity_check_timestamp']) sawActivity = true;
      return a['kubeflow-resource-stopped'] ? got : undefined;
    }, { what: 'the culler stopping the notebook', timeoutMs: 120_000, intervalMs: 100 });
    assert.ok(sawActivity, 'last-activity and last_activity_check_timestamp were recorded before the stop');
    assert.match(culled.metadata.annotations?.['kubeflow-resource-stopped'] ?? '', /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    await waitFor(async () => (await floe.client.get<StatefulSet>(StatefulSetRef, 'idle', 'cull')).spec.replicas === 0, { what: 'replicas 0' });
    // Stopped: the activity annotations go, as upstream's culler removes them.
    await waitFor(async () => {
      const got = await floe.client.get<Notebook>(NotebookRef, 'idle', 'cull');
      return got.metadata.annotations?.['notebooks.kubeflow.org/last-activity'] === undefined && got.metadata.annotations?.['notebooks.kubeflow.org/last_activity_check_timestamp'] === undefined;
    }, { what: 'the activity annotations removed' });
  });
});
