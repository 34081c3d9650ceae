// The dashboard's cookie session, attacked: cross-site forms, missing CSRF tokens, forged, expired and signed-out cookies,
// revoked tokens; against a real token-protected Floe over HTTPS (and the session store alone, with a clock, for expiry).
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, request as httpRequest, type Server } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { FloeError } from '../api/errors.js';
import { UnionAuthenticator } from '../auth/identity/index.js';
import { defaultConfig } from '../server/config.js';
import { startFloe, type Floe } from '../server/floe.js';
import { waitFor } from '../../test/helpers/wait.js';
import { DashboardSessions, SessionPath } from './session.js';

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

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

/** The cookie pair (`name=value`) a sign-in answer set. */
function cookieOf(answer: Answer): string {
  const set = answer.headers['set-cookie'];
  const first = Array.isArray(set) ? set[0] : set;
  assert.ok(first, 'the sign-in answer sets a cookie');
  return first.split(';')[0]!;
}

const review = JSON.stringify({ apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectAccessReview', spec: { resourceAttributes: { namespace: 'team-a', verb: 'list', resource: 'pods' } } });
const reviewPath = '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews';

describe('dashboard session: a token-protected Floe over HTTPS', () => {
  let dir: string;
  let floe: Floe;
  let ca: string;
  let tokenFile: string;
  const adminToken = 'session-admin-token-0123456789';
  const alice = 'session-alice-token-0123456789';
  const bob = 'session-bob-token-0123456789';
  let origin: string;
  const start = async (): Promise<void> => {
    floe = await startFloe({ ...defaultConfig(), dataDir: join(dir, 'data'), port: 0, logLevel: 'silent', controllers: true, runPods: false, token: adminToken, tokenAuthFile: tokenFile });
    ca = await readFile(join(dir, 'data', 'pki', 'ca.crt'), 'utf8');
    origin = new URL(floe.url).origin;
  };
  /** A same-origin request from the dashboard's page, as Chromium sends it. */
  const page = (cookie: string, extra: Record<string, string> = {}): Record<string, string> => ({ cookie, origin, 'sec-fetch-site': 'same-origin', ...extra });
  const signIn = async (token: string): Promise<{ cookie: string; csrf: string; answer: Answer }> => {
    const answer = await raw(floe.url, 'POST', SessionPath, { ca, headers: { authorization: `Bearer ${token}`, origin, 'sec-fetch-site': 'same-origin' } });
    assert.equal(answer.status, 201, answer.body);
    return { cookie: cookieOf(answer), csrf: (JSON.parse(answer.body) as { csrfToken: string }).csrfToken, answer };
  };
  const whoAmI = async (cookie: string): Promise<Answer> => raw(floe.url, 'GET', '/api/workgroup/env-info', { ca, headers: page(cookie) });

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'floe-session-'));
    tokenFile = join(dir, 'tokens.csv');
    await writeFile(tokenFile, `${alice},alice@example.com,alice-uid,"kubeflow-users"\n${bob},bob@example.com,bob-uid\n`, { mode: 0o600 });
    await start();
    await floe.client.create({ apiVersion: 'kubeflow.org/v1', kind: 'Profile', metadata: { name: 'team-a' }, spec: { owner: { kind: 'User', name: 'alice@example.com' } } });
    // The profile controller binds alice in team-a; what she may do there is asserted below.
    await waitFor(async () => (await floe.client.list({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding' }, { namespace: 'team-a' })).items.length > 0, { what: 'alice bound in team-a', timeoutMs: 30_000 });
  });
  after(async () => {
    await floe?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  test('the page loads without credentials; the API, the session route and other files do not', async () => {
    assert.notEqual((await raw(floe.url, 'GET', '/ui/', { ca })).status, 401);
    // A forged cookie is no credential: the page still loads, to sign in again. A wrong bearer token is a 401 even there.
    assert.notEqual((await raw(floe.url, 'GET', '/ui/runs', { ca, headers: { cookie: '__Host-floe-session=forged' } })).status, 401);
    assert.equal((await raw(floe.url, 'GET', '/ui/', { ca, headers: { authorization: 'Bearer not-a-token' } })).status, 401);
    assert.equal((await raw(floe.url, 'GET', '/api/workgroup/env-info', { ca })).status, 401);
    assert.equal((await raw(floe.url, 'GET', SessionPath, { ca })).status, 401);
    assert.equal((await raw(floe.url, 'GET', '/api/v1/namespaces', { ca })).status, 401);
    // Only reads: a POST to the dashboard's files without credentials is still a 401.
    assert.equal((await raw(floe.url, 'POST', '/ui/', { ca, headers: { 'content-type': 'application/json' }, body: '{}' })).status, 401);
  });

  test('sign-in: the token goes through the same authentication as any request; the cookie is HttpOnly, Strict, Secure, host-only', async () => {
    // A wrong token, a token only in the body, or no token at all: 401 from the front door, no cookie.
    const wrong = await raw(floe.url, 'POST', SessionPath, { ca, headers: { authorization: 'Bearer not-a-token', origin } });
    assert.equal(wrong.status, 401);
    assert.equal(wrong.headers['set-cookie'], undefined);
    const inBody = await raw(floe.url, 'POST', SessionPath, { ca, headers: { 'content-type': 'application/json', origin }, body: JSON.stringify({ token: alice }) });
    assert.equal(inBody.status, 401);
    // A sign-in posted from another site is refused before the token is looked at.
    assert.equal((await raw(floe.url, 'POST', SessionPath, { ca, headers: { authorization: `Bearer ${alice}`, origin: 'https://evil.example' } })).status, 403);

    const { answer, csrf } = await signIn(alice);
    const set = String(answer.headers['set-cookie']);
    assert.match(set, /^__Host-floe-session=[A-Za-z0-9_-]{43};/);
    for (const attribute of ['Path=/', 'HttpOnly', 'SameSite=Strict', 'Secure']) assert.ok(set.split('; ').includes(attribute), `${attribute} in ${set}`);
    assert.doesNotMatch(set, /Domain=/i);
    assert.doesNotMatch(set, new RegExp(alice));
    assert.equal((JSON.parse(answer.body) as { user: string }).user, 'alice@example.com');
    assert.ok(csrf.length >= 43);
    assert.equal(answer.headers['cache-control'], 'no-store');
  });

  test('the cookie authenticates reads as the token\'s user, and GET on the session hands the page its CSRF token again', async () => {
    const { cookie, csrf } = await signIn(alice);
    const env = await whoAmI(cookie);
    assert.equal(env.status, 200, env.body);
    assert.equal((JSON.parse(env.body) as { user: string }).user, 'alice@example.com');
    const session = await raw(floe.url, 'GET', SessionPath, { ca, headers: page(cookie) });
    assert.equal(session.status, 200);
    assert.deepEqual(JSON.parse(session.body), { user: 'alice@example.com', csrfToken: csrf });
    // RBAC still applies to the session's user: alice may not list every namespace's pods.
    assert.equal((await raw(floe.url, 'GET', '/api/v1/pods', { ca, headers: page(cookie) })).status, 403);
    // A bearer request has no session to read.
    assert.equal((await raw(floe.url, 'GET', SessionPath, { ca, headers: { authorization: `Bearer ${alice}` } })).status, 404);
  });

  test('attack: a cross-site form POST carrying the cookie is refused, CSRF token or not', async () => {
    const { cookie, csrf } = await signIn(alice);
    const form = { 'content-type': 'application/x-www-form-urlencoded' };
    for (const headers of [
      { cookie, origin: 'https://evil.example', 'sec-fetch-site': 'cross-site', ...form },
      { cookie, origin: 'https://evil.example', 'sec-fetch-site': 'cross-site', 'content-type': 'application/json', 'x-csrf-token': csrf },
      { cookie, 'sec-fetch-site': 'cross-site', ...form },
      { cookie, 'sec-fetch-site': 'same-site', ...form },
      { cookie, origin: 'null', ...form },
    ]) {
      const answer = await raw(floe.url, 'POST', reviewPath, { ca, headers, body: headers['content-type'] === 'application/json' ? review : 'a=b' });
      assert.equal(answer.status, 403, `${JSON.stringify(headers)}: ${answer.body}`);
    }
    // A same-origin form (no CSRF header, form body): refused too (CSRF first, then the body type).
    const sameOriginForm = await raw(floe.url, 'POST', reviewPath, { ca, headers: page(cookie, form), body: 'a=b' });
    assert.equal(sameOriginForm.status, 403);
  });

  test('attack: a same-origin POST, PUT, PATCH or DELETE with the cookie but without the right CSRF header is refused', async () => {
    const { cookie, csrf } = await signIn(alice);
    const json = { 'content-type': 'application/json' };
    const missing = await raw(floe.url, 'POST', reviewPath, { ca, headers: page(cookie, json), body: review });
    assert.equal(missing.status, 403);
    assert.match((JSON.parse(missing.body) as { message: string }).message, /CSRF token/);
    assert.equal((await raw(floe.url, 'POST', reviewPath, { ca, headers: page(cookie, { ...json, 'x-csrf-token': `${csrf.slice(0, -1)}${csrf.endsWith('A') ? 'B' : 'A'}` }), body: review })).status, 403);
    const other = await signIn(bob);
    assert.equal((await raw(floe.url, 'POST', reviewPath, { ca, headers: page(cookie, { ...json, 'x-csrf-token': other.csrf }), body: review })).status, 403, 'another session\'s token does not fit');
    for (const method of ['PUT', 'PATCH', 'DELETE']) {
      assert.equal((await raw(floe.url, method, '/api/v1/namespaces/team-a/configmaps/x', { ca, headers: page(cookie, json), body: '{}' })).status, 403, method);
    }
    // With the header the request goes through, as alice.
    const ok = await raw(floe.url, 'POST', reviewPath, { ca, headers: page(cookie, { ...json, 'x-csrf-token': csrf }), body: review });
    assert.equal(ok.status, 201, ok.body);
    assert.equal((JSON.parse(ok.body) as { status: { allowed: boolean } }).status.allowed, true);
  });

  test('attack: a forged cookie, a signed-out cookie: 401', async () => {
    assert.equal((await whoAmI('__Host-floe-session=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA')).status, 401);
    assert.equal((await whoAmI('floe-session=AAAA')).status, 401);
    const { cookie, csrf } = await signIn(bob);
    assert.equal((await whoAmI(cookie)).status, 200);
    // Signing out is a state change: it needs the CSRF token too.
    assert.equal((await raw(floe.url, 'DELETE', SessionPath, { ca, headers: page(cookie) })).status, 403);
    const out = await raw(floe.url, 'DELETE', SessionPath, { ca, headers: page(cookie, { 'x-csrf-token': csrf }) });
    assert.equal(out.status, 200);
    assert.match(String(out.headers['set-cookie']), /^__Host-floe-session=; Path=\/; HttpOnly; SameSite=Strict; Max-Age=0; Secure$/);
    assert.equal((await whoAmI(cookie)).status, 401);
    assert.equal((await raw(floe.url, 'GET', SessionPath, { ca, headers: page(cookie) })).status, 401);
  });

  test('attack: a session whose ServiceAccount token is revoked (the ServiceAccount deleted) stops working at once', async () => {
    const sa = await floe.client.create({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'robot', namespace: 'team-a' } });
    const issued = await raw(floe.url, 'POST', `/api/v1/namespaces/team-a/serviceaccounts/${sa.metadata.name}/token`, {
      ca,
      headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: { expirationSeconds: 3600 } }),
    });
    assert.equal(issued.status, 201, issued.body);
    const token = (JSON.parse(issued.body) as { status: { token: string } }).status.token;
    const { cookie } = await signIn(token);
    const env = await whoAmI(cookie);
    assert.equal(env.status, 200, env.body);
    assert.equal((JSON.parse(env.body) as { user: string }).user, 'system:serviceaccount:team-a:robot');
    await floe.client.delete({ apiVersion: 'v1', kind: 'ServiceAccount' }, 'robot', 'team-a');
    assert.equal((await whoAmI(cookie)).status, 401);
  });

  test('attack: after the tokens file changes (alice removed) and Floe restarts, alice\'s cookie and token are refused', async () => {
    const { cookie } = await signIn(alice);
    assert.equal((await whoAmI(cookie)).status, 200);
    await floe.stop();
    await writeFile(tokenFile, `${bob},bob@example.com,bob-uid\n`, { mode: 0o600 });
    await start();
    assert.equal((await whoAmI(cookie)).status, 401);
    assert.equal((await raw(floe.url, 'POST', SessionPath, { ca, headers: { authorization: `Bearer ${alice}`, origin } })).status, 401);
    assert.equal((await whoAmI((await signIn(bob)).cookie)).status, 200);
  });
});

describe('dashboard session: the store alone, with a clock', () => {
  let server: Server;
  let base: string;
  let now = 1_000_000;
  const sessions = new DashboardSessions({ authenticator: new UnionAuthenticator({ adminToken: 'clock-admin-token' }), secure: false, maxAgeMs: 60_000, maxSessions: 2, now: () => now });
  before(async () => {
    const route = sessions.route();
    // The front door's order, reduced: authenticate (401), then the route; errors as their HTTP status.
    server = createServer((req, res) => {
      void (async () => {
        try {
          const user = await sessions.authenticate(req);
          if (!user) throw new FloeError('Unauthorized', 'Unauthorized');
          const url = new URL(req.url ?? '/', 'http://x');
          if (url.pathname === SessionPath) await route.handle(req, res, url, user);
          else if (url.pathname === '/token') res.end(sessions.tokenOf(req) ?? '(none)');
          else res.end(user.name);
        } catch (err) {
          res.writeHead(err instanceof FloeError ? err.code : 500);
          res.end(String(err));
        }
      })();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const signIn = async (): Promise<string> => {
    const answer = await raw(base, 'POST', SessionPath, { headers: { authorization: 'Bearer clock-admin-token' } });
    assert.equal(answer.status, 201);
    assert.doesNotMatch(String(answer.headers['set-cookie']), /Secure/, 'plain HTTP: no Secure attribute, no __Host- prefix');
    return cookieOf(answer);
  };

  test('an expired cookie is a 401; the oldest session goes once the cap is reached', async () => {
    const first = await signIn();
    assert.match(first, /^floe-session=/);
    assert.equal((await raw(base, 'GET', '/', { headers: { cookie: first } })).status, 200);
    now += 60_001;
    assert.equal((await raw(base, 'GET', '/', { headers: { cookie: first } })).status, 401);
    // tokenOf: what a forwarding route sends on for a cookie-signed request; nothing for a bearer request.
    const live = await signIn();
    assert.equal((await raw(base, 'GET', '/token', { headers: { cookie: live } })).body, 'clock-admin-token');
    assert.equal((await raw(base, 'GET', '/token', { headers: { cookie: live, authorization: 'Bearer clock-admin-token' } })).body, '(none)');
    now += 60_001;
    const a = await signIn();
    const b = await signIn();
    const c = await signIn();
    assert.equal(sessions.size, 2);
    assert.equal((await raw(base, 'GET', '/', { headers: { cookie: a } })).status, 401);
    assert.equal((await raw(base, 'GET', '/', { headers: { cookie: b } })).status, 200);
    assert.equal((await raw(base, 'GET', '/', { headers: { cookie: c } })).status, 200);
  });
});
