// Identity sources in isolation: the token file's CSV, ServiceAccount JWT checks under an injected clock, the union's
// order and 401 rules, the proxy address list, and the kubelet's token refresh at 80% of a token's life.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { KubeObject } from '../../api/meta.js';
import type { Logger } from '../../api/logger.js';
import { ServiceAccountTokenManager } from '../../kubelet/service-account-tokens.js';
import { localAdmin } from '../../server/auth.js';
import { RequestHeaderAuthenticator } from './request-header.js';
import { ensureSigningKey, ServiceAccountTokens, signingKey, type ObjectLookup } from './service-account-token.js';
import { parseTokenAuthFile, StaticTokenAuthenticator } from './token-file.js';
import { UnionAuthenticator } from './union.js';
import { serviceAccountAdmission, kubeApiAccessVolume } from './service-accounts.js';
import { Store, resourceKey } from '../../store/store.js';

function request(headers: Record<string, string>, remoteAddress = '127.0.0.1'): IncomingMessage {
  return { headers, socket: { remoteAddress } } as unknown as IncomingMessage;
}

const sa = (uid = 'sa-uid'): KubeObject => ({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'robot', namespace: 'team', uid } });

describe('token auth file', () => {
  test('kube\'s CSV: quoted groups, optional groups, comments; every user is system:authenticated', () => {
    const tokens = parseTokenAuthFile('# comment\n\nt1,alice,u1,"a,b"\nt2,bob,u2\nt3,carol,,admins\n');
    assert.deepEqual(tokens.map((t) => [t.token, t.user.name, t.user.uid, t.user.groups]), [['t1', 'alice', 'u1', ['a', 'b']], ['t2', 'bob', 'u2', []], ['t3', 'carol', '', ['admins']]]);
    const auth = new StaticTokenAuthenticator({ tokens });
    assert.deepEqual(auth.authenticateToken('t1')?.groups, ['a', 'b', 'system:authenticated']);
    assert.equal(auth.authenticateToken('t'), undefined);
    assert.equal(auth.authenticateToken('t1x'), undefined);
  });

  test('malformed lines and duplicate tokens are refused with the line number', () => {
    assert.throws(() => parseTokenAuthFile('t1,alice\n', 'tokens.csv'), /tokens.csv:1: expected token,user,uid/);
    assert.throws(() => parseTokenAuthFile('t1,alice,u1,"a,b\n', 'tokens.csv'), /tokens.csv:1: unterminated/);
    assert.throws(() => parseTokenAuthFile('t1,alice,u1\nt1,bob,u2\n', 'tokens.csv'), /tokens.csv:2: the token of "bob" is already given/);
  });
});

describe('ServiceAccount tokens', () => {
  const key = signingKey(generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey);
  function issuer(objects: Map<string, KubeObject>, now: () => number): ServiceAccountTokens {
    const lookup: ObjectLookup = (resource, namespace, name) => objects.get(`${resource}/${namespace}/${name}`);
    return new ServiceAccountTokens({ key, lookup, nowSeconds: now });
  }

  test('expiry (with kube\'s minute of leeway), audience, signature, and the account\'s uid', () => {
    let now = 1_000_000;
    const objects = new Map([['serviceaccounts/team/robot', sa()]]);
    const tokens = issuer(objects, () => now);
    const { token } = tokens.issue(sa(), { expirationSeconds: 600 });
    assert.equal(tokens.authenticateToken(token)?.name, 'system:serviceaccount:team:robot');
    now += 600 + 59;
    assert.ok(tokens.authenticateToken(token), 'within the leeway');
    now += 2;
    const expired = tokens.check(token);
    assert.equal(expired.ok, false);
    assert.match(expired.ok ? '' : expired.error, /expired/);
    now = 1_000_000;
    const other = tokens.issue(sa(), { audiences: ['other'] }).token;
    assert.equal(tokens.authenticateToken(other), undefined);
    assert.ok(tokens.authenticateToken(other, { audiences: ['other'] }));
    // Another key's signature; an RSA key of the same issuer.
    const rsa = new ServiceAccountTokens({ key: signingKey(generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey), lookup: (r, n, m) => objects.get(`${r}/${n}/${m}`) });
    const rsaToken = rsa.issue(sa(), {}).token;
    assert.equal((JSON.parse(Buffer.from(rsaToken.split('.')[0]!, 'base64url').toString()) as { alg: string }).alg, 'RS256');
    assert.ok(rsa.authenticateToken(rsaToken));
    assert.equal(tokens.authenticateToken(rsaToken), undefined);
    // The account re-created: another uid.
    objects.set('serviceaccounts/team/robot', sa('new-uid'));
    assert.match((tokens.check(token) as { error: string }).error, /does not match/);
    objects.delete('serviceaccounts/team/robot');
    assert.match((tokens.check(token) as { error: string }).error, /serviceaccounts "robot" not found/);
  });

  test('a Pod-bound token: extra names the Pod and node; a Pod deleted over a minute ago stops it', () => {
    let now = 2_000_000;
    const pod: KubeObject = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'team', uid: 'pod-uid' }, spec: { nodeName: 'n1' } };
    const objects = new Map<string, KubeObject>([['serviceaccounts/team/robot', sa()], ['pods/team/p', pod], ['nodes//n1', { apiVersion: 'v1', kind: 'Node', metadata: { name: 'n1', uid: 'node-uid' } }]]);
    const tokens = issuer(objects, () => now);
    const issued = tokens.issue(sa(), { boundObjectRef: { kind: 'Pod', name: 'p' } });
    assert.deepEqual(issued.claims['kubernetes.io'].node, { name: 'n1', uid: 'node-uid' });
    const user = tokens.authenticateToken(issued.token);
    assert.deepEqual(user?.extra?.['authentication.kubernetes.io/pod-uid'], ['pod-uid']);
    assert.deepEqual(user?.extra?.['authentication.kubernetes.io/node-name'], ['n1']);
    assert.throws(() => tokens.issue(sa(), { boundObjectRef: { kind: 'Pod', name: 'p', uid: 'wrong' } }), /does not match/);
    objects.set('pods/team/p', { ...pod, metadata: { ...pod.metadata, deletionTimestamp: new Date((now - 30) * 1000).toISOString() } });
    assert.ok(tokens.authenticateToken(issued.token), 'being deleted for 30 s: still valid');
    now += 60;
    assert.equal(tokens.authenticateToken(issued.token), undefined);
  });

  test('the signing key is made once, 0600, and reused', () => {
    const dir = mkdtempSync(join(tmpdir(), 'floe-sakey-'));
    try {
      const a = ensureSigningKey(dir);
      const b = ensureSigningKey(dir);
      assert.equal(a.kid, b.kid);
      assert.equal(statSync(join(dir, 'sa-signing-key.pem')).mode & 0o777, 0o600);
      assert.match(readFileSync(join(dir, 'sa-signing-key.pem'), 'utf8'), /BEGIN PRIVATE KEY/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('union authenticator', () => {
  const file = new StaticTokenAuthenticator({ tokens: parseTokenAuthFile('alice-token,alice,u1\n') });
  const proxy = new RequestHeaderAuthenticator({ header: 'kubeflow-userid', prefix: 'accounts.google.com:', addresses: ['10.0.0.0/8'] });

  test('without --token: no credentials is the local admin, but bad credentials are 401', () => {
    const union = new UnionAuthenticator({ tokens: [file] });
    assert.equal(union.authenticate(request({})), localAdmin);
    assert.equal(union.authenticate(request({ authorization: 'Bearer alice-token' }))?.name, 'alice');
    assert.equal(union.authenticate(request({ authorization: 'Bearer wrong' })), undefined);
    assert.equal(union.authenticate(request({ authorization: 'Basic YTpi' })), undefined);
  });

  test('with --token: the admin token, the Pod token, file users; nothing else', () => {
    const union = new UnionAuthenticator({ adminToken: 'admin', podToken: 'pod', tokens: [file] });
    assert.equal(union.authenticate(request({})), undefined);
    assert.equal(union.authenticate(request({ authorization: 'Bearer admin' })), localAdmin);
    assert.equal(union.authenticate(request({ authorization: 'Bearer pod' }))?.name, 'system:floe:pod');
    assert.equal(union.authenticate(request({ authorization: 'Bearer alice-token' }))?.name, 'alice');
  });

  test('the proxy header counts only from the proxy\'s addresses (v4, v4-mapped v6), prefix removed', () => {
    const union = new UnionAuthenticator({ adminToken: 'admin', requestHeader: proxy });
    const header = { 'kubeflow-userid': 'accounts.google.com:alice@example.com' };
    assert.equal(union.authenticate(request(header, '127.0.0.1')), undefined, 'a spoof from loopback');
    assert.equal(union.authenticate(request(header, '192.168.1.5')), undefined, 'a spoof from the LAN');
    assert.equal(union.authenticate(request(header, '10.1.2.3'))?.name, 'alice@example.com');
    assert.equal(union.authenticate(request(header, '::ffff:10.1.2.3'))?.name, 'alice@example.com');
    assert.deepEqual(union.authenticate(request(header, '10.1.2.3'))?.groups, ['system:authenticated']);
    assert.throws(() => new RequestHeaderAuthenticator({ header: 'x', prefix: '', addresses: ['10.0.0.0/33'] }), /bad prefix length/);
    assert.throws(() => new RequestHeaderAuthenticator({ header: 'x', prefix: '', addresses: ['example.com'] }), /not an IP address/);
  });
});

describe('ServiceAccount admission', () => {
  const store = new Store({ path: ':memory:' });
  const admission = serviceAccountAdmission({ store });
  const pod = (spec: Record<string, unknown>): KubeObject => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'ns' }, spec: { containers: [{ name: 'c' }], initContainers: [{ name: 'i' }], ...spec } });

  test('the kube-api-access volume and a read-only mount in every container, unless opted out', () => {
    const p = pod({});
    admission.admit(p, undefined);
    const spec = p.spec as { serviceAccountName: string; volumes: { name: string }[]; containers: { volumeMounts: unknown[] }[]; initContainers: { volumeMounts: unknown[] }[] };
    assert.equal(spec.serviceAccountName, 'default');
    const name = spec.volumes[0]!.name;
    assert.deepEqual(spec.volumes[0], kubeApiAccessVolume(name));
    assert.deepEqual(spec.containers[0]!.volumeMounts, [{ name, readOnly: true, mountPath: '/var/run/secrets/kubernetes.io/serviceaccount' }]);
    assert.deepEqual(spec.initContainers[0]!.volumeMounts, [{ name, readOnly: true, mountPath: '/var/run/secrets/kubernetes.io/serviceaccount' }]);
    const off = pod({ automountServiceAccountToken: false });
    admission.admit(off, undefined);
    assert.equal((off.spec as { volumes?: unknown }).volumes, undefined);
    store.create(resourceKey('', 'serviceaccounts'), { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'quiet', namespace: 'ns' }, automountServiceAccountToken: false });
    const quiet = pod({ serviceAccountName: 'quiet' });
    admission.admit(quiet, undefined);
    assert.equal((quiet.spec as { volumes?: unknown }).volumes, undefined);
    const own = pod({ containers: [{ name: 'c', volumeMounts: [{ name: 'mine', mountPath: '/var/run/secrets/kubernetes.io/serviceaccount/' }] }] });
    admission.admit(own, undefined);
    assert.equal((own.spec as { volumes?: unknown }).volumes, undefined);
  });
});

describe('kubelet token manager', () => {
  test('after a restart, token files of running Pods are found from their claims and refreshed', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'floe-satok-'));
    const silent = { debug() {}, info() {}, warn() {}, error() {}, child() { return silent; } } as unknown as Logger;
    const key = signingKey(generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey);
    let now = 1_000_000;
    const tokens = new ServiceAccountTokens({ key, lookup: () => sa(), nowSeconds: () => now });
    const old = tokens.issue(sa(), { expirationSeconds: 1000, boundObjectRef: { kind: 'Pod', name: 'p' } });
    const file = join(dir, 'pods', 'sa-uid', 'volumes', 'kube-api-access-abcde', 'token');
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, old.token);
    writeFileSync(join(dirname(file), 'namespace'), 'team');
    const asked: unknown[] = [];
    const manager = new ServiceAccountTokenManager({
      source: async (req) => {
        asked.push(req);
        return Promise.resolve({ token: 'fresh', expirationTimestamp: new Date((now + req.expirationSeconds) * 1000).toISOString() });
      },
      logger: silent,
      now: () => now * 1000,
      checkEveryMs: 3_600_000,
    });
    try {
      assert.equal(manager.adopt(dir), 1);
      await manager.refresh();
      assert.equal(asked.length, 0, 'not due yet');
      now += 801;
      await manager.refresh();
      assert.deepEqual(asked, [{ namespace: 'team', serviceAccountName: 'robot', pod: { name: 'p', uid: 'sa-uid' }, audiences: ['https://kubernetes.default.svc.cluster.local'], expirationSeconds: 1000 }]);
      assert.equal(readFileSync(file, 'utf8'), 'fresh');
    } finally {
      manager.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('a held token is reused until 80% of its life, then re-requested and its file rewritten', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'floe-satok-'));
    let now = 0;
    let n = 0;
    const silent = { debug() {}, info() {}, warn() {}, error() {}, child() { return silent; } } as unknown as Logger;
    const manager = new ServiceAccountTokenManager({
      source: async (req) => Promise.resolve({ token: `token-${++n}`, expirationTimestamp: new Date(now + req.expirationSeconds * 1000).toISOString() }),
      logger: silent,
      now: () => now,
      checkEveryMs: 3_600_000,
    });
    try {
      const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'ns', uid: 'u' }, spec: { containers: [] } } as unknown as Parameters<ServiceAccountTokenManager['token']>[0];
      const file = join(dir, 'token');
      assert.equal((await manager.token(pod, { expirationSeconds: 1000 }, file)).toString(), 'token-1');
      now = 799_000;
      assert.equal((await manager.token(pod, { expirationSeconds: 1000 }, file)).toString(), 'token-1');
      await manager.refresh();
      assert.equal(n, 1);
      now = 800_000;
      await manager.refresh();
      assert.equal(readFileSync(file, 'utf8'), 'token-2');
      rmSync(dir, { recursive: true, force: true });
      now = 2_000_000;
      await manager.refresh();
      assert.equal(n, 2, 'a Pod whose volume is gone is forgotten');
    } finally {
      manager.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
