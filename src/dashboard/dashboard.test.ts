// The dashboard against a real Floe: its files (and the traversal attacks on them), the Kubeflow dashboard backend
// contracts, CSRF refusals, and what a non-admin user sees with tokens.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { defaultConfig } from '../server/config.js';
import { startFloe, type Floe } from '../server/floe.js';
import { defaultWebDist } from './capability.js';

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** A raw request: the path goes on the wire exactly as written (no URL normalisation by the client). */
function raw(base: string, method: string, path: string, options: { headers?: Record<string, string>; body?: string; ca?: string } = {}): Promise<Answer> {
  const url = new URL(base);
  const request = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = request({ host: url.hostname, port: url.port, method, path, headers: { ...(options.body !== undefined ? { 'content-length': String(Buffer.byteLength(options.body)) } : {}), ...options.headers }, ...(options.ca ? { ca: options.ca } : {}) }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    req.end(options.body);
  });
}

describe('dashboard: files and backend on a default (loopback) Floe', () => {
  let dir: string;
  let floe: Floe;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'floe-dashboard-'));
    floe = await startFloe({ ...defaultConfig(), dataDir: join(dir, 'data'), port: 0, logLevel: 'silent', controllers: true, runPods: false });
  });
  after(async () => {
    await floe?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  test('path traversal: no request under /ui/ reads a file outside web/dist', async () => {
    for (const path of ['/ui/../package.json', '/ui/%2e%2e/%2e%2e/package.json', '/ui/assets/..%2f..%2f..%2fpackage.json', '/ui/..%5c..%5cpackage.json', '/ui/assets/%2e%2e%2f%2e%2e%2f%2e%2e%2fdata%2ffloe.db', '/ui/%00.js']) {
      const res = await raw(floe.url, 'GET', path);
      assert.ok(res.status === 400 || res.status === 404, `${path}: ${res.status}`);
      assert.doesNotMatch(res.body, /"name": "floe"|SQLite format/, path);
    }
  });

  test('every page path is the app (deep links), with a CSP that allows no inline script', async () => {
    const built = existsSync(join(defaultWebDist(), 'index.html'));
    for (const path of ['/ui/', '/ui/runs/0a1b2c?ns=default', '/ui/experiments/x']) {
      const res = await raw(floe.url, 'GET', path, { headers: { accept: 'text/html' } });
      assert.equal(res.status, built ? 200 : 503, path);
      assert.match(String(res.headers['content-security-policy']), /script-src 'self'(;|$)/);
      assert.doesNotMatch(String(res.headers['content-security-policy']), /script-src[^;]*unsafe-inline/);
      assert.equal(res.headers['x-frame-options'], 'DENY');
      assert.match(res.body, built ? /<div id="root">/ : /not built/);
      if (built) assert.doesNotMatch(res.body, /<script(?![^>]*\bsrc=)[^>]*>/, 'no inline <script> in index.html');
    }
    if (built) {
      const index = await raw(floe.url, 'GET', '/ui/');
      const asset = /src="(\/ui\/assets\/[^"]+\.js)"/.exec(index.body)?.[1];
      assert.ok(asset, 'index.html names its script');
      const res = await raw(floe.url, 'GET', asset);
      assert.equal(res.status, 200);
      assert.match(String(res.headers['cache-control']), /immutable/);
      assert.match(String(res.headers['content-type']), /javascript/);
      assert.equal((await raw(floe.url, 'GET', '/ui/assets/missing-000.js')).status, 404);
    }
    assert.equal((await raw(floe.url, 'POST', '/ui/', { headers: { 'content-type': 'application/json' }, body: '{}' })).status, 415);
  });

  test('env-info, exists, namespaces and links answer as the Kubeflow dashboard backend does, for the local admin', async () => {
    const env = JSON.parse((await raw(floe.url, 'GET', '/api/workgroup/env-info')).body) as { user: string; isClusterAdmin: boolean; namespaces: { namespace: string; role: string }[]; platform: { providerName: string } };
    assert.equal(env.user, 'floe-admin');
    assert.equal(env.isClusterAdmin, true);
    assert.ok(env.namespaces.some((n) => n.namespace === 'default'), JSON.stringify(env.namespaces));
    assert.equal(env.platform.providerName, 'other');
    const exists = JSON.parse((await raw(floe.url, 'GET', '/api/workgroup/exists')).body) as Record<string, unknown>;
    assert.deepEqual(Object.keys(exists).sort(), ['hasAuth', 'hasWorkgroup', 'registrationFlowAllowed', 'user']);
    const namespaces = JSON.parse((await raw(floe.url, 'GET', '/api/namespaces')).body) as { kind?: string; metadata: { name: string } }[];
    assert.ok(namespaces.some((n) => n.metadata.name === 'default'));
    const links = JSON.parse((await raw(floe.url, 'GET', '/api/dashboard-links')).body) as { menuLinks: { link: string }[] };
    assert.ok(links.menuLinks.some((l) => l.link === '/ui/pipelines'));
    await floe.client.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'dashboard-config', namespace: 'kubeflow' }, data: { links: '{"menuLinks":[{"type":"item","link":"/jupyter/","text":"Notebooks","icon":"book"}]}', settings: 'not json' } }).catch(async (err: unknown) => {
      // The kubeflow namespace may not exist yet in this mode.
      if (!String(err).includes('not found')) throw err;
      await floe.client.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'kubeflow' } });
      await floe.client.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'dashboard-config', namespace: 'kubeflow' }, data: { links: '{"menuLinks":[{"type":"item","link":"/jupyter/","text":"Notebooks","icon":"book"}]}', settings: 'not json' } });
    });
    assert.deepEqual(JSON.parse((await raw(floe.url, 'GET', '/api/dashboard-links')).body), { menuLinks: [{ type: 'item', link: '/jupyter/', text: 'Notebooks', icon: 'book' }] });
    const settings = await raw(floe.url, 'GET', '/api/dashboard-settings');
    assert.equal(settings.status, 500);
    assert.deepEqual(JSON.parse(settings.body), { error: 'Cannot load dashboard settings' });
    const unknown = await raw(floe.url, 'GET', '/api/workgroup/nope');
    assert.equal(unknown.status, 404);
    assert.deepEqual(JSON.parse(unknown.body), { error: 'Could not find the route you\'re looking for' });
  });

  test('CSRF: creating a workgroup takes a JSON body from Floe\'s own page only', async () => {
    const body = JSON.stringify({ namespace: 'team-web' });
    const form = await raw(floe.url, 'POST', '/api/workgroup/create', { headers: { 'content-type': 'text/plain' }, body });
    assert.equal(form.status, 415, 'a text/plain body (a cross-site form) is refused');
    const foreign = await raw(floe.url, 'POST', '/api/workgroup/create', { headers: { 'content-type': 'application/json', origin: 'http://evil.example' }, body });
    assert.equal(foreign.status, 403, 'a foreign origin is refused');
    const site = await raw(floe.url, 'POST', '/api/workgroup/create', { headers: { 'content-type': 'application/json', 'sec-fetch-site': 'same-site' }, body });
    assert.equal(site.status, 403, 'a same-site (not same-origin) page is refused');
    const own = await raw(floe.url, 'POST', '/api/workgroup/create', { headers: { 'content-type': 'application/json', origin: floe.url, 'sec-fetch-site': 'same-origin' }, body });
    assert.equal(own.status, 200, own.body);
    assert.deepEqual(JSON.parse(own.body), { message: 'Created namespace team-web' });
    const profile = await floe.client.get<{ metadata: { name: string }; spec?: { owner?: { name?: string } } } & { apiVersion: string; kind: string }>({ apiVersion: 'kubeflow.org/v1', kind: 'Profile' }, 'team-web');
    assert.equal(profile.spec?.owner?.name, 'floe-admin');
  });
});

describe('dashboard: with tokens, each user sees its own namespaces; only the app\'s own files load without credentials', () => {
  let dir: string;
  let floe: Floe;
  let ca: string;
  const adminToken = 'dash-admin-token-0123456789';
  const alice = 'dash-alice-token-0123456789';
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'floe-dashboard-auth-'));
    const tokenFile = join(dir, 'tokens.csv');
    await writeFile(tokenFile, `${alice},alice@example.com,alice-uid,"kubeflow-users"\n`, { mode: 0o600 });
    floe = await startFloe({ ...defaultConfig(), dataDir: join(dir, 'data'), port: 0, logLevel: 'silent', controllers: true, runPods: false, token: adminToken, tokenAuthFile: tokenFile });
    ca = await readFile(join(dir, 'data', 'pki', 'ca.crt'), 'utf8');
    for (const [name, owner] of [['team-a', 'alice@example.com'], ['team-b', 'bob@example.com']] as const) {
      await floe.client.create({ apiVersion: 'kubeflow.org/v1', kind: 'Profile', metadata: { name }, spec: { owner: { kind: 'User', name: owner } } });
    }
  });
  after(async () => {
    await floe?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  test('no token: the app\'s files (no data) load so that it can ask for a token, its API is 401; alice sees team-a only and may not read team-b\'s activities', async () => {
    // The sign-in page must load in a browser that has no credentials yet (src/dashboard/session.ts); nothing else does.
    assert.notEqual((await raw(floe.url, 'GET', '/ui/', { ca })).status, 401);
    assert.equal((await raw(floe.url, 'GET', '/api/workgroup/env-info', { ca })).status, 401);
    const auth = { authorization: `Bearer ${alice}` };
    const env = JSON.parse((await raw(floe.url, 'GET', '/api/workgroup/env-info', { ca, headers: auth })).body) as { user: string; isClusterAdmin: boolean; namespaces: { namespace: string; role: string }[] };
    assert.equal(env.user, 'alice@example.com');
    assert.equal(env.isClusterAdmin, false);
    assert.deepEqual(env.namespaces, [{ namespace: 'team-a', role: 'owner', user: 'alice@example.com' }]);
    const exists = JSON.parse((await raw(floe.url, 'GET', '/api/workgroup/exists', { ca, headers: auth })).body) as { user: string; hasWorkgroup: boolean };
    assert.equal(exists.user, 'alice');
    assert.equal(exists.hasWorkgroup, true);
    const namespaces = JSON.parse((await raw(floe.url, 'GET', '/api/namespaces', { ca, headers: auth })).body) as { metadata: { name: string } }[];
    assert.deepEqual(namespaces.map((n) => n.metadata.name), ['team-a']);
    const denied = await raw(floe.url, 'GET', '/api/activities/team-b', { ca, headers: auth });
    assert.equal(denied.status, 403);
    assert.match(denied.body, /Access denied/);
    assert.equal((await raw(floe.url, 'GET', '/api/activities/team-a', { ca, headers: auth })).status, 200);
    // Home's one call: team-a's newest objects for alice; nothing of team-b.
    await floe.client.create({
      apiVersion: 'kubeflow.org/v1',
      kind: 'PyTorchJob',
      metadata: { name: 'home-job', namespace: 'team-a' },
      spec: { pytorchReplicaSpecs: { Master: { replicas: 1, template: { spec: { containers: [{ name: 'pytorch', image: 'python:3.11', command: ['true'] }] } } } } },
    } as never);
    let home = { status: 0, body: '' };
    for (let i = 0; i < 100 && home.status !== 200; i++) {
      home = await raw(floe.url, 'GET', '/api/dashboard/home?namespace=team-a', { ca, headers: auth });
      if (home.status !== 200) await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal(home.status, 200, home.body);
    const summary = JSON.parse(home.body) as { jobs: { name: string; plural: string }[]; experiments: unknown[]; models: unknown[]; denied: string[] };
    assert.deepEqual(summary.jobs.map((j) => [j.plural, j.name]), [['pytorchjobs', 'home-job']]);
    assert.deepEqual([summary.experiments, summary.models, summary.denied], [[], [], []]);
    const other = await raw(floe.url, 'GET', '/api/dashboard/home?namespace=team-b', { ca, headers: auth });
    assert.equal(other.status, 403);
    assert.doesNotMatch(other.body, /home-job/);
    assert.equal((await raw(floe.url, 'GET', '/api/dashboard/home?namespace=team-a', { ca })).status, 401);
    const forBob = await raw(floe.url, 'POST', '/api/workgroup/create', { ca, headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify({ namespace: 'bobs', user: 'bob@example.com' }) });
    assert.equal(forBob.status, 403, forBob.body);
  });
});
