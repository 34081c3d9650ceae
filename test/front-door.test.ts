// Attacks on Floe's one front door, as a web page or a careless client would make them: cross-site bodies, foreign
// origins, DNS-rebinding hosts, server-side fetches, and unauthenticated calls to every route when a token is set.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, request as httpRequest, type Server } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { connect, type AddressInfo, type Socket } from 'node:net';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultConfig, type FloeConfig } from '../src/server/config.js';
import { startFloe, type Floe } from '../src/server/floe.js';

interface Reply {
  status: number;
  body: string;
  json(): Record<string, unknown>;
}

/** One raw request, so that the test controls every header a browser would send. */
function call(floe: Floe, method: string, path: string, options: { headers?: Record<string, string>; body?: string; ca?: string } = {}): Promise<Reply> {
  // The path goes out byte for byte (a URL object would resolve `..` on the client side).
  const url = new URL(floe.url);
  const body = options.body === undefined ? undefined : Buffer.from(options.body);
  const headers: Record<string, string | number> = { ...(options.headers ?? {}) };
  if (body) headers['content-length'] = body.length;
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = send({ hostname: url.hostname, port: url.port, path, method, headers, ...(options.ca ? { ca: options.ca } : {}) }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        resolve({ status: res.statusCode ?? 0, body: text, json: () => JSON.parse(text) as Record<string, unknown> });
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** A minimal compiled pipeline: one container task that echoes. */
const pipelineSpec = {
  pipelineInfo: { name: 'csrf-probe' },
  schemaVersion: '2.1.0',
  sdkVersion: 'kfp-2.17.3',
  root: { dag: { tasks: { echo: { taskInfo: { name: 'echo' }, componentRef: { name: 'comp-echo' } } } } },
  components: { 'comp-echo': { executorLabel: 'exec-echo' } },
  deploymentSpec: { executors: { 'exec-echo': { container: { image: 'busybox', command: ['echo', 'owned'] } } } },
};

async function startTemp(overrides: Partial<FloeConfig> = {}): Promise<{ floe: Floe; dir: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'floe-door-'));
  const floe = await startFloe({ ...defaultConfig(), dataDir: dir, port: 0, logLevel: 'silent', controllers: true, ...overrides });
  return { floe, dir };
}

describe('front door: cross-site requests', () => {
  let floe: Floe;
  let dir: string;
  before(async () => ({ floe, dir } = await startTemp({ allowedOrigins: ['http://dashboard.example:3000'] })));
  after(async () => {
    await floe.stop();
    await rm(dir, { recursive: true, force: true });
  });

  const simpleBody = JSON.stringify({ display_name: 'owned', pipeline_spec: pipelineSpec });

  test('a text/plain POST (no CORS preflight) cannot start a pipeline run', async () => {
    const res = await call(floe, 'POST', '/apis/v2beta1/runs', { headers: { 'content-type': 'text/plain' }, body: simpleBody });
    assert.equal(res.status, 415, res.body);
    assert.equal(res.json().reason, 'UnsupportedMediaType');
    const runs = await call(floe, 'GET', '/apis/v2beta1/runs');
    assert.equal(runs.status, 200, runs.body);
    assert.equal((runs.json().runs as unknown[] | undefined)?.length ?? 0, 0, 'no run was created');
  });

  test('form and text bodies are refused on the Katib, MLMD, serving and Kubernetes routes too', async () => {
    const targets: [string, string][] = [
      ['/katib/v1beta1/namespaces/default/trials/t1/observationlog', JSON.stringify({ metrics: { loss: 1 } })],
      ['/mlmd/v1/artifacts', JSON.stringify({ type: 'system.Model' })],
      ['/serving/default/model/v1/models/model:predict', JSON.stringify({ instances: [[1]] })],
      ['/api/v1/namespaces/default/configmaps', JSON.stringify({ metadata: { name: 'owned' } })],
    ];
    for (const [path, body] of targets) {
      for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x']) {
        const res = await call(floe, 'POST', path, { headers: { 'content-type': type }, body });
        assert.equal(res.status, 415, `${type} to ${path}: ${res.body}`);
      }
    }
    const logs = await call(floe, 'GET', '/katib/v1beta1/namespaces/default/trials/t1/observationlog');
    assert.deepEqual((logs.json().observationLog as { metricLogs: unknown[] }).metricLogs, [], 'no metric was stored');
    const cm = await call(floe, 'GET', '/api/v1/namespaces/default/configmaps/owned');
    assert.equal(cm.status, 404);
  });

  test('a page on another origin is refused, even with a JSON body; Floe\'s own and configured origins pass', async () => {
    const headers = { 'content-type': 'application/json', origin: 'https://evil.example' };
    const refused = await call(floe, 'POST', '/api/v1/namespaces/default/configmaps', { headers, body: JSON.stringify({ metadata: { name: 'evil' } }) });
    assert.equal(refused.status, 403, refused.body);
    assert.match(String(refused.json().message), /evil\.example/);
    const read = await call(floe, 'GET', '/api/v1/namespaces/default/secrets', { headers: { origin: 'https://evil.example' } });
    assert.equal(read.status, 403, 'a foreign page cannot read Secrets either');
    const nullOrigin = await call(floe, 'GET', '/api/v1/namespaces', { headers: { origin: 'null' } });
    assert.equal(nullOrigin.status, 403, 'sandboxed frames and file:// pages send Origin: null');
    const crossSite = await call(floe, 'GET', '/api/v1/namespaces', { headers: { 'sec-fetch-site': 'cross-site' } });
    assert.equal(crossSite.status, 403);
    const own = new URL(floe.url);
    const same = await call(floe, 'POST', '/api/v1/namespaces/default/configmaps', { headers: { 'content-type': 'application/json', origin: `http://${own.host}` }, body: JSON.stringify({ metadata: { name: 'same-origin' } }) });
    assert.equal(same.status, 201, same.body);
    const configured = await call(floe, 'GET', '/api/v1/namespaces', { headers: { origin: 'http://dashboard.example:3000' } });
    assert.equal(configured.status, 200, configured.body);
  });

  test('a DNS-rebinding host name is refused; IP literals and localhost are served', async () => {
    const port = new URL(floe.url).port;
    const rebind = await call(floe, 'GET', '/api/v1/namespaces/default/secrets', { headers: { host: `rebind.attacker.example:${port}` } });
    assert.equal(rebind.status, 403, rebind.body);
    assert.match(String(rebind.json().message), /rebind\.attacker\.example/);
    for (const host of [`localhost:${port}`, `127.0.0.1:${port}`, `[::1]:${port}`]) {
      const ok = await call(floe, 'GET', '/api/v1/namespaces', { headers: { host } });
      assert.equal(ok.status, 200, `${host}: ${ok.body}`);
    }
  });

  test('package_url is not fetched unless allowed', async () => {
    const body = JSON.stringify({ display_name: 'v1', package_url: { pipeline_url: 'http://169.254.169.254/latest/meta-data/' } });
    const created = await call(floe, 'POST', '/apis/v2beta1/pipelines', { headers: { 'content-type': 'application/json' }, body: JSON.stringify({ display_name: 'ssrf' }) });
    assert.equal(created.status, 200, created.body);
    const id = String(created.json().pipeline_id);
    const res = await call(floe, 'POST', `/apis/v2beta1/pipelines/${id}/versions`, { headers: { 'content-type': 'application/json' }, body });
    assert.equal(res.status, 400, res.body);
    assert.match(String(res.json().message), /does not fetch package URLs.*--allow-package-url/);
  });
});

describe('front door: package_url with an allow-list', () => {
  let floe: Floe;
  let dir: string;
  let packages: Server;
  let base: string;
  before(async () => {
    packages = createServer((req, res) => {
      if (req.url?.endsWith('redirect.yaml')) {
        res.writeHead(302, { location: 'http://169.254.169.254/' });
        res.end();
        return;
      }
      res.writeHead(200, { 'content-type': 'application/yaml' });
      res.end(JSON.stringify(pipelineSpec));
    });
    await new Promise<void>((r) => packages.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(packages.address() as AddressInfo).port}`;
    ({ floe, dir } = await startTemp({ allowPackageUrls: [`${base}/pipelines/`] }));
  });
  after(async () => {
    await floe.stop();
    await rm(dir, { recursive: true, force: true });
    await new Promise((r) => packages.close(r));
  });

  test('an allowed prefix is fetched; another prefix and a redirect are not', async () => {
    const created = await call(floe, 'POST', '/apis/v2beta1/pipelines', { headers: { 'content-type': 'application/json' }, body: JSON.stringify({ display_name: 'fetched' }) });
    const id = String(created.json().pipeline_id);
    const version = (url: string): Promise<Reply> => call(floe, 'POST', `/apis/v2beta1/pipelines/${id}/versions`, { headers: { 'content-type': 'application/json' }, body: JSON.stringify({ display_name: url, package_url: { pipeline_url: url } }) });
    const ok = await version(`${base}/pipelines/p.yaml`);
    assert.equal(ok.status, 200, ok.body);
    const other = await version(`${base}/elsewhere/p.yaml`);
    assert.equal(other.status, 400, other.body);
    assert.match(String(other.json().message), /not under an allowed prefix/);
    const redirected = await version(`${base}/pipelines/redirect.yaml`);
    assert.equal(redirected.status, 400, redirected.body);
    assert.match(String(redirected.json().message), /redirect/);
  });
});

describe('front door: with a token, every route authenticates', () => {
  let floe: Floe;
  let dir: string;
  let ca: string;
  const token = 'front-door-test-token-0123456789';
  before(async () => {
    ({ floe, dir } = await startTemp({ token }));
    ca = await readFile(join(dir, 'pki', 'ca.crt'), 'utf8');
  });
  after(async () => {
    await floe.stop();
    await rm(dir, { recursive: true, force: true });
  });

  test('every registered route refuses a request without the token, and serves one with it', async () => {
    const prefixes = floe.routes.all().map((r) => r.prefix);
    for (const expected of ['/', '/apis/v2beta1/', '/mlmd/v1', '/katib/v1beta1/', '/serving/']) assert.ok(prefixes.includes(expected), `${expected} is in the table: ${prefixes.join(' ')}`);
    const probe: Record<string, string> = {
      '/': '/api/v1/namespaces',
      '/apis/v2beta1/': '/apis/v2beta1/runs',
      '/mlmd/v1': '/mlmd/v1/artifacts',
      '/katib/v1beta1/': '/katib/v1beta1/namespaces/default/trials/t/observationlog',
      '/serving/': '/serving/default/none/v1/models/none',
    };
    for (const prefix of prefixes) {
      const path = probe[prefix] ?? prefix;
      for (const method of ['GET', 'POST', 'DELETE']) {
        const res = await call(floe, method, path, { ca, headers: { 'content-type': 'application/json' }, body: '{}' });
        // The dashboard's own files (no data in them) load without credentials, so that its page can ask for a token.
        if (prefix === '/ui/' && method === 'GET') assert.notEqual(res.status, 401, `${method} ${path} without a token: ${res.body}`);
        else assert.equal(res.status, 401, `${method} ${path} without a token: ${res.body}`);
        const wrong = await call(floe, method, path, { ca, headers: { 'content-type': 'application/json', authorization: 'Bearer not-the-token' }, body: '{}' });
        assert.equal(wrong.status, 401, `${method} ${path} with a wrong token`);
      }
      const ok = await call(floe, 'GET', path, { ca, headers: { authorization: `Bearer ${token}` } });
      assert.notEqual(ok.status, 401, `GET ${path} with the token: ${ok.body}`);
      assert.notEqual(ok.status, 403, `GET ${path} with the token: ${ok.body}`);
    }
  });

  test('an Upgrade (WebSocket, as kubectl exec sends) passes the same checks: no token 401, foreign origin 403', async () => {
    const upgrade = { connection: 'Upgrade', upgrade: 'websocket', 'sec-websocket-version': '13', 'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==', 'sec-websocket-protocol': 'v5.channel.k8s.io' };
    const path = '/api/v1/namespaces/default/pods/p/exec?command=id&stdout=true';
    const none = await call(floe, 'GET', path, { ca, headers: upgrade });
    assert.equal(none.status, 401, none.body);
    assert.equal(none.json().reason, 'Unauthorized');
    const foreign = await call(floe, 'GET', path, { ca, headers: { ...upgrade, authorization: `Bearer ${token}`, origin: 'https://evil.example' } });
    assert.equal(foreign.status, 403, foreign.body);
  });

  test('the Pod token may report a trial\'s metrics and nothing else', async () => {
    const podToken = (await readFile(join(dir, 'pod-token'), 'utf8')).trim();
    const headers = { authorization: `Bearer ${podToken}`, 'content-type': 'application/json' };
    const report = await call(floe, 'POST', '/katib/v1beta1/namespaces/default/trials/t2/observationlog', { ca, headers, body: JSON.stringify({ metrics: { loss: 0.5 } }) });
    assert.equal(report.status, 200, report.body);
    for (const [method, path] of [['GET', '/api/v1/namespaces/default/secrets'], ['GET', '/apis/v2beta1/runs'], ['GET', '/katib/v1beta1/namespaces/default/trials/t2/observationlog']] as const) {
      const res = await call(floe, method, path, { ca, headers });
      assert.equal(res.status, 403, `${method} ${path} with the Pod token: ${res.body}`);
    }
  });
});

describe('front door: dot segments cannot climb from one route to another', () => {
  let floe: Floe;
  let dir: string;
  before(async () => ({ floe, dir } = await startTemp()));
  after(async () => {
    await floe.stop();
    await rm(dir, { recursive: true, force: true });
  });

  test('/api/v1/../../apis/v2beta1/runs and its encoded forms get 400 before routing', async () => {
    for (const path of ['/api/v1/../../apis/v2beta1/runs', '/api/v1/%2e%2e/%2E%2E/apis/v2beta1/runs', '/serving/default/x/../../../mlmd/v1/artifacts']) {
      const res = await call(floe, 'POST', path, { headers: { 'content-type': 'application/json' }, body: JSON.stringify({ display_name: 'climbed', pipeline_spec: pipelineSpec }) });
      assert.equal(res.status, 400, `${path}: ${res.body}`);
      assert.equal(res.json().reason, 'BadRequest');
    }
    const runs = await call(floe, 'GET', '/apis/v2beta1/runs');
    assert.equal((runs.json().runs as unknown[] | undefined)?.length ?? 0, 0);
  });
});

describe('front door: stopping', () => {
  test('stop closes connections that never sent a request (a browser preconnect, a half-sent head) instead of waiting on them', async () => {
    const { floe, dir } = await startTemp({ controllers: false });
    try {
      const url = new URL(floe.url);
      const open = async (): Promise<Socket> => {
        const socket = connect(Number(url.port), url.hostname);
        await once(socket, 'connect');
        return socket;
      };
      const idle = await open();
      const partial = await open();
      partial.write('GET /healthz HTTP/1.1\r\nHost: localhost\r\n');
      // Both served: the server has accepted them and is waiting on their next bytes.
      const healthy = await call(floe, 'GET', '/healthz');
      assert.equal(healthy.status, 200);
      const closedByServer = Promise.all([idle, partial].map(async (s) => {
        const received: Buffer[] = [];
        s.on('data', (c: Buffer) => received.push(c));
        await once(s, 'close');
        return Buffer.concat(received).toString('utf8');
      }));
      // Before, stop waited for the first connection's 65-second first-byte timer, and when nothing else kept Node's
      // event loop alive, the process ended with stop() still pending.
      await floe.stop();
      assert.deepEqual(await closedByServer, ['', '']);
    } finally {
      await floe.stop();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
