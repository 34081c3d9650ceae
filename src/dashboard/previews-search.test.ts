// The dashboard's artifact previews and its logs-and-events search, over HTTP on a real Floe: what a preview may read
// (only files inside the pipelines folder; HTML with a policy that forbids scripts), the search's bounds, and that a
// user searches only namespaces it may read.
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { defaultConfig } from '../server/config.js';
import { startFloe, type Floe } from '../server/floe.js';
import { htmlPreviewPolicy } from './artifacts.js';

const content = (uri: string, extra = '') => `/api/dashboard/artifact-content?uri=${encodeURIComponent(uri)}${extra}`;

describe('dashboard: artifact previews and search on a default (loopback) Floe', () => {
  let dir: string;
  let floe: Floe;
  let pipelines: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'floe-dash-previews-'));
    floe = await startFloe({ ...defaultConfig(), dataDir: join(dir, 'data'), port: 0, logLevel: 'silent', controllers: true, runPods: false });
    pipelines = join(dir, 'data', 'pipelines', 'artifacts', 'p', 'run-1', 'report', 'x');
    await mkdir(pipelines, { recursive: true });
    await writeFile(join(pipelines, 'notes'), '# Report\n\n<script>alert(1)</script>\n');
    await writeFile(join(pipelines, 'page'), '<h1>hi</h1><script>parent.alert(1)</script>');
    await writeFile(join(dir, 'secret.txt'), 'outside');
    await symlink(join(dir, 'secret.txt'), join(pipelines, 'escape'));
  });
  after(async () => {
    await floe?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  test('a preview reads an artifact file inside the pipelines folder, as text or as sandboxed HTML', async () => {
    const md = await fetch(`${floe.url}${content(`file://${join(pipelines, 'notes')}`)}`);
    assert.equal(md.status, 200);
    assert.match(md.headers.get('content-type') ?? '', /^text\/plain/);
    assert.equal(md.headers.get('x-content-type-options'), 'nosniff');
    assert.equal(await md.text(), '# Report\n\n<script>alert(1)</script>\n');
    const html = await fetch(`${floe.url}${content(join(pipelines, 'page'), '&as=html')}`);
    assert.equal(html.status, 200);
    assert.match(html.headers.get('content-type') ?? '', /^text\/html/);
    assert.equal(html.headers.get('content-security-policy'), htmlPreviewPolicy);
    assert.match(htmlPreviewPolicy, /^sandbox; default-src 'none'/);
    assert.doesNotMatch(htmlPreviewPolicy, /allow-scripts|script-src/);
  });

  test('nothing outside the pipelines folder: absolute paths, climbing out, symlinks, folders, relative paths', async () => {
    for (const [uri, status] of [
      ['/etc/passwd', 403],
      [join(dir, 'secret.txt'), 403],
      [`${join(dir, 'data', 'pipelines')}/../floe.db`, 403],
      [join(pipelines, 'escape'), 403],
      [pipelines, 400],
      ['notes', 400],
      ['', 400],
      [join(pipelines, 'missing'), 404],
    ] as const) {
      const res = await fetch(`${floe.url}${content(uri)}`);
      assert.equal(res.status, status, `${uri}: ${res.status}`);
      assert.doesNotMatch(await res.text(), /outside|SQLite/, uri);
    }
    assert.equal((await fetch(`${floe.url}${content(join(pipelines, 'notes'))}`, { method: 'POST' })).status, 405);
  });

  test('search: events matched by text, bounded input', async () => {
    await floe.client.create({ apiVersion: 'v1', kind: 'Event', metadata: { name: 'x.1', namespace: 'default' }, involvedObject: { kind: 'Pod', name: 'trainer-0', namespace: 'default' }, reason: 'BackOff', type: 'Warning', message: 'Back-off restarting failed container' } as never);
    const res = await fetch(`${floe.url}/api/dashboard/search?namespace=default&q=${encodeURIComponent('back-OFF restarting')}`);
    assert.equal(res.status, 200);
    const body = (await res.json()) as { events: { reason: string; object: string }[]; logs: unknown[]; denied: string[] };
    assert.deepEqual(body.events.map((e) => [e.reason, e.object]), [['BackOff', 'Pod/trainer-0']]);
    assert.deepEqual(body.denied, []);
    assert.equal((await fetch(`${floe.url}/api/dashboard/search?namespace=default&q=x`)).status, 400);
    assert.equal((await fetch(`${floe.url}/api/dashboard/search?namespace=Not_A_Namespace&q=xyz`)).status, 400);
    assert.equal((await fetch(`${floe.url}/api/dashboard/search?namespace=default&q=${'y'.repeat(201)}`)).status, 400);
  });
});

describe('dashboard: search and previews with tokens', () => {
  let dir: string;
  let floe: Floe;
  let ca: string;
  const alice = 'prev-alice-token-0123456789';
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'floe-dash-previews-auth-'));
    const tokenFile = join(dir, 'tokens.csv');
    await writeFile(tokenFile, `${alice},alice@example.com,alice-uid,"kubeflow-users"\n`, { mode: 0o600 });
    floe = await startFloe({ ...defaultConfig(), dataDir: join(dir, 'data'), port: 0, logLevel: 'silent', controllers: true, runPods: false, token: 'prev-admin-token-0123456789', tokenAuthFile: tokenFile });
    ca = await readFile(join(dir, 'data', 'pki', 'ca.crt'), 'utf8');
    for (const [name, owner] of [['team-a', 'alice@example.com'], ['team-b', 'bob@example.com']] as const) {
      await floe.client.create({ apiVersion: 'kubeflow.org/v1', kind: 'Profile', metadata: { name }, spec: { owner: { kind: 'User', name: owner } } });
    }
  });
  after(async () => {
    await floe?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  test('alice searches her own namespace, not bob\'s; previews need the right to read ML Metadata', async () => {
    const { Agent } = await import('node:https');
    const agent = new Agent({ ca });
    const get = (path: string, token?: string) =>
      new Promise<number>((resolve, reject) => {
        const url = new URL(path, floe.url);
        import('node:https')
          .then(({ request }) => {
            const req = request(url, { agent, headers: token ? { authorization: `Bearer ${token}` } : {} }, (res) => {
              res.resume();
              res.on('end', () => resolve(res.statusCode ?? 0));
            });
            req.on('error', reject);
            req.end();
          })
          .catch(reject);
      });
    // Profiles grant their owner edit rights a moment after they are created.
    let own = 0;
    for (let i = 0; i < 100 && own !== 200; i++) {
      own = await get('/api/dashboard/search?namespace=team-a&q=anything', alice);
      if (own !== 200) await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal(own, 200);
    assert.equal(await get('/api/dashboard/search?namespace=team-b&q=anything', alice), 403);
    assert.equal(await get('/api/dashboard/search?namespace=team-a&q=anything'), 401);
    assert.equal(await get(content('/etc/passwd'), alice), 403);
  });
});
