// Identities of the embedded API server with the real kubectl: the --token-auth-file users, ServiceAccount tokens
// (`kubectl create token`, TokenReview, revocation), the trusted proxy header (the spoof first), a Pod's projected
// token used by the kubernetes Python client in the Pod, and Secrets encrypted in the database file.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateKeyPairSync, randomBytes, sign as cryptoSign } from 'node:crypto';
import { createServer as createHttpsServer } from 'node:https';
import { ensureServingCertificate } from '../src/server/tls.js';
import { defaultConfig, type FloeConfig } from '../src/server/config.js';
import { startFloe, type Floe } from '../src/server/floe.js';
import { rewriteSecrets } from '../src/cli/secrets.js';
import { waitFor } from './helpers/wait.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const issuer = 'https://kubernetes.default.svc.cluster.local';

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function kubectl(floe: Floe, args: string[], options: { token?: string; stdin?: string } = {}): Promise<Run> {
  const all = ['--kubeconfig', floe.kubeconfigPath, ...(options.token ? ['--token', options.token] : []), ...args];
  return new Promise((resolve) => {
    const child = execFile('kubectl', all, { timeout: 60_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
    });
    child.stdin?.end(options.stdin ?? '');
  });
}

async function ok(floe: Floe, args: string[], options: { token?: string; stdin?: string } = {}): Promise<string> {
  const r = await kubectl(floe, args, options);
  assert.equal(r.code, 0, `kubectl ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

/** One raw HTTPS request with the headers the test chooses (a proxy's or an attacker's). */
function call(floe: Floe, path: string, headers: Record<string, string>): Promise<{ status: number; body: string }> {
  const url = new URL(floe.url);
  const ca = readFileSync(join(floe.kubeconfigPath, '..', 'pki', 'ca.crt'), 'utf8');
  return new Promise((resolve, reject) => {
    const req = httpsRequest({ hostname: url.hostname, port: url.port, path, method: 'GET', headers, ca }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    req.end();
  });
}

function claims(token: string): Record<string, unknown> {
  const part = token.split('.')[1] ?? '';
  return JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as Record<string, unknown>;
}

async function tokenReview(floe: Floe, token: string, audiences?: string[]): Promise<{ authenticated?: boolean; user?: { username?: string; uid?: string; groups?: string[]; extra?: Record<string, string[]> }; audiences?: string[]; error?: string }> {
  const body = JSON.stringify({ apiVersion: 'authentication.k8s.io/v1', kind: 'TokenReview', spec: { token, ...(audiences ? { audiences } : {}) } });
  const out = await ok(floe, ['create', '-f', '-', '-o', 'json'], { stdin: body });
  return (JSON.parse(out) as { status: Record<string, never> }).status;
}

async function startTemp(dir: string, overrides: Partial<FloeConfig>): Promise<Floe> {
  return startFloe({ ...defaultConfig(), dataDir: dir, port: 0, logLevel: 'silent', ...overrides });
}

describe('identities: token file, ServiceAccount tokens, proxy header spoofing', () => {
  let floe: Floe;
  let dir: string;
  const adminToken = randomBytes(24).toString('hex');
  const aliceToken = randomBytes(24).toString('hex');
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'floe-ident-'));
    const tokens = join(dir, 'tokens.csv');
    await writeFile(tokens, `# users\n${aliceToken},alice,alice-uid,"devs,ml"\n${randomBytes(24).toString('hex')},bob,bob-uid\n`, { mode: 0o600 });
    // The proxy is somewhere else (10.99.0.0/16): every header this test sends from 127.0.0.1 is a spoof.
    floe = await startTemp(join(dir, 'data'), { token: adminToken, tokenAuthFile: tokens, authProxy: { header: 'kubeflow-userid', prefix: 'accounts.google.com:', addresses: ['10.99.0.0/16'] } });
  });
  after(async () => {
    await floe?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  test('a kubeflow-userid header from an address that is not the proxy is ignored (no credentials → 401)', async () => {
    const spoof = await call(floe, '/api/v1/namespaces/default/secrets', { 'kubeflow-userid': 'accounts.google.com:floe-admin' });
    assert.equal(spoof.status, 401, spoof.body);
    // With a real credential the header changes nothing: the caller stays alice.
    const mixed = await call(floe, '/api/v1/namespaces/default/secrets', { authorization: `Bearer ${aliceToken}`, 'kubeflow-userid': 'floe-admin' });
    assert.equal(mixed.status, 403, mixed.body);
    assert.match(mixed.body, /User \\"alice\\" cannot list resource \\"secrets\\"/);
  });

  test('--token-auth-file users authenticate with their groups and system:authenticated; a wrong token is 401', async () => {
    const denied = await kubectl(floe, ['get', 'pods', '-n', 'default'], { token: aliceToken });
    assert.notEqual(denied.code, 0);
    assert.match(denied.stderr, /User "alice" cannot list resource "pods"/);
    const review = await tokenReview(floe, aliceToken);
    assert.equal(review.authenticated, true);
    assert.equal(review.user?.username, 'alice');
    assert.equal(review.user?.uid, 'alice-uid');
    assert.deepEqual(review.user?.groups, ['devs', 'ml', 'system:authenticated']);
    // kubectl auth whoami (SelfSubjectReview) answers with the same identity.
    const whoami = JSON.parse(await ok(floe, ['auth', 'whoami', '-o', 'json'], { token: aliceToken })) as { status: { userInfo: { username: string; uid?: string; groups: string[] } } };
    assert.deepEqual(whoami.status.userInfo, { username: 'alice', uid: 'alice-uid', groups: ['devs', 'ml', 'system:authenticated'] });
    const wrong = await kubectl(floe, ['get', 'pods'], { token: `${aliceToken}x` });
    assert.notEqual(wrong.code, 0);
    assert.match(wrong.stderr, /Unauthorized|must be logged in/);
    const reviewWrong = await tokenReview(floe, 'not-a-token');
    assert.notEqual(reviewWrong.authenticated, true);
    // The admin token is the local admin, in system:masters.
    const admin = await tokenReview(floe, adminToken);
    assert.equal(admin.user?.username, 'floe-admin');
    assert.ok(admin.user?.groups?.includes('system:masters'));
  });

  test('kubectl create token: a bound JWT with kube\'s claims that authenticates as the ServiceAccount', async () => {
    await ok(floe, ['create', 'serviceaccount', 'robot', '-n', 'default']);
    const sa = JSON.parse(await ok(floe, ['get', 'serviceaccount', 'robot', '-n', 'default', '-o', 'json'])) as { metadata: { uid: string } };
    const token = (await ok(floe, ['create', 'token', 'robot', '-n', 'default'])).trim();
    const c = claims(token);
    assert.equal(c.iss, issuer);
    assert.equal(c.sub, 'system:serviceaccount:default:robot');
    assert.deepEqual(c.aud, [issuer]);
    assert.equal((c.exp as number) - (c.iat as number), 3600);
    assert.equal(c.nbf, c.iat);
    assert.match(String(c.jti), /^[0-9a-f-]{36}$/);
    assert.deepEqual(c['kubernetes.io'], { namespace: 'default', serviceaccount: { name: 'robot', uid: sa.metadata.uid } });
    const header = JSON.parse(Buffer.from(token.split('.')[0]!, 'base64url').toString()) as { alg: string; kid: string };
    assert.ok(['RS256', 'ES256'].includes(header.alg));
    assert.ok(header.kid.length > 20);

    const review = await tokenReview(floe, token);
    assert.equal(review.authenticated, true);
    assert.equal(review.user?.username, 'system:serviceaccount:default:robot');
    assert.equal(review.user?.uid, sa.metadata.uid);
    assert.deepEqual(review.user?.groups, ['system:serviceaccounts', 'system:serviceaccounts:default', 'system:authenticated']);
    assert.deepEqual(review.audiences, [issuer]);
    const whoami = JSON.parse(await ok(floe, ['auth', 'whoami', '-o', 'json'], { token })) as { status: { userInfo: { username: string; extra?: Record<string, string[]> } } };
    assert.equal(whoami.status.userInfo.username, 'system:serviceaccount:default:robot');
    assert.match(whoami.status.userInfo.extra?.['authentication.kubernetes.io/credential-id']?.[0] ?? '', /^JTI=/);
    const denied = await kubectl(floe, ['get', 'secrets', '-n', 'default'], { token });
    assert.notEqual(denied.code, 0);
    assert.match(denied.stderr, /User "system:serviceaccount:default:robot" cannot list resource "secrets"/);

    // --duration and --audience: another audience is not an API credential, but TokenReview with it says yes.
    const short = (await ok(floe, ['create', 'token', 'robot', '-n', 'default', '--duration', '20m', '--audience', 'https://vault.example'])).trim();
    assert.equal((claims(short).exp as number) - (claims(short).iat as number), 1200);
    assert.deepEqual(claims(short).aud, ['https://vault.example']);
    const notApi = await kubectl(floe, ['get', 'pods'], { token: short });
    assert.notEqual(notApi.code, 0);
    assert.match(notApi.stderr, /Unauthorized|must be logged in/);
    assert.notEqual((await tokenReview(floe, short)).authenticated, true);
    const forVault = await tokenReview(floe, short, ['https://vault.example']);
    assert.equal(forVault.authenticated, true);
    assert.deepEqual(forVault.audiences, ['https://vault.example']);
    // kube's minimum duration.
    const tooShort = await kubectl(floe, ['create', 'token', 'robot', '-n', 'default', '--duration', '5m']);
    assert.notEqual(tooShort.code, 0);
    assert.match(tooShort.stderr, /may not specify a duration less than 10 minutes/);
    // A forged token (signature of another key) is refused.
    const [h, p] = token.split('.');
    const forged = `${h}.${p}.${Buffer.from(randomBytes(64)).toString('base64url')}`;
    assert.notEqual((await tokenReview(floe, forged)).authenticated, true);
  });

  test('a Pod-bound token names the Pod and dies with it; deleting the ServiceAccount revokes its tokens', async () => {
    await ok(floe, ['create', 'serviceaccount', 'worker', '-n', 'default']);
    await ok(floe, ['create', '-f', '-'], { stdin: JSON.stringify({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'holder', namespace: 'default' }, spec: { serviceAccountName: 'worker', containers: [{ name: 'c', image: 'busybox', command: ['sleep', '1'] }] } }) });
    const pod = JSON.parse(await ok(floe, ['get', 'pod', 'holder', '-n', 'default', '-o', 'json'])) as { metadata: { uid: string } };

    const bound = (await ok(floe, ['create', 'token', 'worker', '-n', 'default', '--bound-object-kind', 'Pod', '--bound-object-name', 'holder'])).trim();
    assert.deepEqual((claims(bound)['kubernetes.io'] as { pod?: unknown }).pod, { name: 'holder', uid: pod.metadata.uid });
    const review = await tokenReview(floe, bound);
    assert.equal(review.authenticated, true);
    assert.deepEqual(review.user?.extra?.['authentication.kubernetes.io/pod-name'], ['holder']);
    assert.deepEqual(review.user?.extra?.['authentication.kubernetes.io/pod-uid'], [pod.metadata.uid]);
    const unbound = (await ok(floe, ['create', 'token', 'worker', '-n', 'default'])).trim();

    await ok(floe, ['delete', 'pod', 'holder', '-n', 'default', '--grace-period=0', '--force']);
    await waitFor(async () => (await kubectl(floe, ['get', 'pod', 'holder', '-n', 'default'])).code !== 0, { what: 'the pod to be gone' });
    const afterPod = await tokenReview(floe, bound);
    assert.notEqual(afterPod.authenticated, true);
    assert.match(afterPod.error ?? '', /pods "holder" not found/);
    assert.equal((await tokenReview(floe, unbound)).authenticated, true, 'the unbound token outlives the Pod');

    await ok(floe, ['delete', 'serviceaccount', 'worker', '-n', 'default']);
    const revoked = await kubectl(floe, ['get', 'pods', '-n', 'default'], { token: unbound });
    assert.notEqual(revoked.code, 0);
    assert.match(revoked.stderr, /Unauthorized|must be logged in/);
    // A new ServiceAccount of the same name is another account (another uid): the old token stays dead.
    await ok(floe, ['create', 'serviceaccount', 'worker', '-n', 'default']);
    const again = await tokenReview(floe, unbound);
    assert.notEqual(again.authenticated, true);
    assert.match(again.error ?? '', /does not match/);
  });

  test('every namespace gets the default ServiceAccount and kube-root-ca.crt with Floe\'s CA', async () => {
    await ok(floe, ['create', 'namespace', 'team-a']);
    await waitFor(async () => (await kubectl(floe, ['get', 'serviceaccount', 'default', '-n', 'team-a'])).code === 0, { what: 'the default ServiceAccount' });
    const cm = JSON.parse(await ok(floe, ['get', 'configmap', 'kube-root-ca.crt', '-n', 'team-a', '-o', 'json'])) as { data: Record<string, string> };
    assert.equal(cm.data['ca.crt'], readFileSync(join(floe.kubeconfigPath, '..', 'pki', 'ca.crt'), 'utf8'));
    // Deleted, it comes back, as kube-controller-manager brings it back.
    await ok(floe, ['delete', 'serviceaccount', 'default', '-n', 'team-a']);
    await waitFor(async () => (await kubectl(floe, ['get', 'serviceaccount', 'default', '-n', 'team-a'])).code === 0, { what: 'the default ServiceAccount to come back' });
  });

  test('Secrets are encrypted in the database file (objects and watch history), readable through the API', async () => {
    const value = `s3cr3t-${randomBytes(8).toString('hex')}`;
    await ok(floe, ['create', 'secret', 'generic', 'db-pass', '-n', 'default', `--from-literal=password=${value}`]);
    await ok(floe, ['patch', 'secret', 'db-pass', '-n', 'default', '-p', JSON.stringify({ stringData: { other: `${value}-2` } })]);
    const got = (await ok(floe, ['get', 'secret', 'db-pass', '-n', 'default', '-o', 'jsonpath={.data.password}'])).trim();
    assert.equal(Buffer.from(got, 'base64').toString(), value);
    const db = join(dir, 'data', 'floe.db');
    const bytes = Buffer.concat([readFileSync(db), ...(existsSync(`${db}-wal`) ? [readFileSync(`${db}-wal`)] : [])]);
    for (const form of [value, Buffer.from(value).toString('base64'), `${value}-2`, Buffer.from(`${value}-2`).toString('base64')]) {
      assert.equal(bytes.includes(form), false, `${form} is in the database file`);
    }
    assert.ok(bytes.includes('k8s:enc:aesgcm:v1:key1:'));
    const configPath = join(dir, 'data', 'encryption-config.yaml');
    const config = readFileSync(configPath, 'utf8');
    assert.match(config, /kind: EncryptionConfiguration/);
    // The generated key is kept beside the database, readable by Floe's user only.
    assert.equal((statSync(configPath).mode & 0o777).toString(8), '600');
  });
});

describe('identities: the trusted header from a configured proxy', () => {
  let floe: Floe;
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'floe-proxy-'));
    floe = await startTemp(dir, { token: randomBytes(24).toString('hex'), authProxy: { header: 'kubeflow-userid', prefix: 'accounts.google.com:', addresses: ['127.0.0.1/32', '::1/128'], groupsHeader: 'kubeflow-groups' } });
  });
  after(async () => {
    await floe?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  test('the header names the user (prefix removed) with its groups; without it, no credentials is still 401', async () => {
    const res = await call(floe, '/api/v1/namespaces/default/pods', { 'kubeflow-userid': 'accounts.google.com:alice@example.com', 'kubeflow-groups': 'team-a' });
    assert.equal(res.status, 403, res.body);
    assert.match(res.body, /User \\"alice@example.com\\" cannot list resource \\"pods\\"/);
    const none = await call(floe, '/api/v1/namespaces/default/pods', {});
    assert.equal(none.status, 401, none.body);
  });
});

describe('identities: a Pod\'s projected ServiceAccount token in the kubernetes Python client', () => {
  let floe: Floe;
  let dir: string;
  const venv = join(root, '.venvs', 'kfp');
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'floe-incluster-'));
    floe = await startTemp(dir, { token: randomBytes(24).toString('hex'), runPods: true, node: { name: 'ident-node', labels: {}, taints: [] }, kubeletTiming: { pollMs: 100, configRetryMs: 200 } });
  });
  after(async () => {
    await floe?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  test('load_incluster_config() authenticates as system:serviceaccount:<ns>:default', { skip: existsSync(join(venv, 'bin', 'python')) ? false : `the kfp environment (${venv}) is not built: node tools/setup.mjs` }, async () => {
    await ok(floe, ['create', 'namespace', 'in-pod']);
    await waitFor(async () => (await kubectl(floe, ['get', 'serviceaccount', 'default', '-n', 'in-pod'])).code === 0, { what: 'the default ServiceAccount' });
    // A host-process Pod sees its volumes where the kubelet rewrote the mount paths written in its command (Floe runs
    // no mount namespace for host processes): the client's own constants name the standard path, so the script
    // restates them; in an OCI container the path is the real mount and load_incluster_config() needs nothing.
    const script = [
      'import os, kubernetes',
      'from kubernetes.client.rest import ApiException',
      'from kubernetes.config import incluster_config as ic',
      'd = "/var/run/secrets/kubernetes.io/serviceaccount"',
      'ic.SERVICE_TOKEN_FILENAME = d + "/token"',
      'ic.SERVICE_CERT_FILENAME = d + "/ca.crt"',
      'kubernetes.config.load_incluster_config()',
      'print("files", sorted(os.listdir(d)))',
      'print("host", os.environ["KUBERNETES_SERVICE_HOST"], os.environ["KUBERNETES_SERVICE_PORT"])',
      'print("namespace", open(d + "/namespace").read())',
      'try:',
      '    kubernetes.client.CoreV1Api().list_namespaced_secret("in-pod")',
      '    print("listed")',
      'except ApiException as e:',
      '    print("status", e.status, e.body)',
    ].join('\n');
    await ok(floe, ['create', '-f', '-'], {
      stdin: JSON.stringify({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'client', namespace: 'in-pod' }, spec: { restartPolicy: 'Never', containers: [{ name: 'py', image: 'python:3.11', command: [join(venv, 'bin', 'python'), '-c', script] }] } }),
    });
    const phase = await waitFor(async () => {
      const p = (await ok(floe, ['get', 'pod', 'client', '-n', 'in-pod', '-o', 'jsonpath={.status.phase}'])).trim();
      return p === 'Succeeded' || p === 'Failed' ? p : undefined;
    }, { timeoutMs: 120_000, what: 'the client pod to finish' });
    const logs = await ok(floe, ['logs', 'client', '-n', 'in-pod']);
    assert.equal(phase, 'Succeeded', logs);
    assert.match(logs, /files \['ca.crt', 'namespace', 'token'\]/);
    assert.match(logs, new RegExp(`host 127.0.0.1 ${new URL(floe.url).port}`));
    assert.match(logs, /namespace in-pod/);
    assert.match(logs, /status 403 .*User \\"system:serviceaccount:in-pod:default\\" cannot list resource \\"secrets\\"/, logs);
    const pod = JSON.parse(await ok(floe, ['get', 'pod', 'client', '-n', 'in-pod', '-o', 'json'])) as { spec: { serviceAccountName: string; volumes?: { name: string; projected?: unknown }[]; containers: { volumeMounts?: { name: string; mountPath: string; readOnly?: boolean }[] }[] } };
    assert.equal(pod.spec.serviceAccountName, 'default');
    // The ServiceAccount admission plug-in added kube's kube-api-access volume and mounted it.
    const access = pod.spec.volumes?.find((v) => /^kube-api-access-[bcdfghjklmnpqrstvwxz2456789]{5}$/.test(v.name));
    assert.ok(access, JSON.stringify(pod.spec.volumes));
    assert.deepEqual(access.projected, {
      defaultMode: 420,
      sources: [
        { serviceAccountToken: { expirationSeconds: 3607, path: 'token' } },
        { configMap: { name: 'kube-root-ca.crt', items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
        { downwardAPI: { items: [{ fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' }, path: 'namespace' }] } },
      ],
    });
    assert.deepEqual(pod.spec.containers[0]?.volumeMounts, [{ name: access.name, readOnly: true, mountPath: '/var/run/secrets/kubernetes.io/serviceaccount' }]);
  });

  test('a Pod of a ServiceAccount that does not exist yet waits for it (CreateContainerConfigError), then runs', async () => {
    await ok(floe, ['create', 'namespace', 'late-sa']);
    await ok(floe, ['create', '-f', '-'], {
      stdin: JSON.stringify({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'waits', namespace: 'late-sa' }, spec: { serviceAccountName: 'late', restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox', command: ['cat', '/var/run/secrets/kubernetes.io/serviceaccount/namespace'] }] } }),
    });
    const waiting = await waitFor(async () => {
      const p = JSON.parse(await ok(floe, ['get', 'pod', 'waits', '-n', 'late-sa', '-o', 'json'])) as { status?: { containerStatuses?: { state?: { waiting?: { reason?: string; message?: string } } }[] } };
      const w = p.status?.containerStatuses?.[0]?.state?.waiting;
      return w?.reason === 'CreateContainerConfigError' ? w : undefined;
    }, { timeoutMs: 60_000, what: 'CreateContainerConfigError' });
    assert.match(waiting.message ?? '', /failed to fetch token: serviceaccounts "late" not found/);
    await ok(floe, ['create', 'serviceaccount', 'late', '-n', 'late-sa']);
    await waitFor(async () => (await ok(floe, ['get', 'pod', 'waits', '-n', 'late-sa', '-o', 'jsonpath={.status.phase}'])).trim() === 'Succeeded', { timeoutMs: 60_000, what: 'the pod to run once its account exists' });
    assert.equal((await ok(floe, ['logs', 'waits', '-n', 'late-sa'])).trim(), 'late-sa');
  });
});

describe('secrets rewrite: key rotation on a stopped Floe', () => {
  test('a new first key, `floe secrets rewrite`, then the old key removed: Secrets still read', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'floe-rotate-'));
    try {
      const value = `rotate-${randomBytes(8).toString('hex')}`;
      let floe = await startTemp(dir, { token: randomBytes(24).toString('hex') });
      await ok(floe, ['create', 'secret', 'generic', 'keep', '-n', 'default', `--from-literal=v=${value}`]);
      await floe.stop();
      const generated = readFileSync(join(dir, 'encryption-config.yaml'), 'utf8');
      const oldKey = /secret: (\S+)/.exec(generated)?.[1] ?? '';
      const newKey = randomBytes(32).toString('base64');
      const rotated = join(dir, 'rotated.yaml');
      const cfg = (keys: string): string => `apiVersion: apiserver.config.k8s.io/v1\nkind: EncryptionConfiguration\nresources:\n  - resources: [secrets]\n    providers:\n      - aesgcm:\n          keys:\n${keys}`;
      await writeFile(rotated, cfg(`            - name: key2\n              secret: ${newKey}\n            - name: key1\n              secret: ${oldKey}\n`), { mode: 0o600 });
      const result = rewriteSecrets({ dataDir: dir, configPath: rotated });
      assert.ok(result.objects >= 1);
      await writeFile(rotated, cfg(`            - name: key2\n              secret: ${newKey}\n`), { mode: 0o600 });
      floe = await startTemp(dir, { token: randomBytes(24).toString('hex'), encryptionProviderConfig: rotated });
      try {
        const got = (await ok(floe, ['get', 'secret', 'keep', '-n', 'default', '-o', 'jsonpath={.data.v}'])).trim();
        assert.equal(Buffer.from(got, 'base64').toString(), value);
        const bytes = readFileSync(join(dir, 'floe.db'));
        assert.ok(bytes.includes('k8s:enc:aesgcm:v1:key2:'));
        assert.equal(bytes.includes('k8s:enc:aesgcm:v1:key1:'), false, 'nothing is left under the old key');
      } finally {
        await floe.stop();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('identities: OIDC ID tokens from an issuer (a real HTTPS issuer in the test)', () => {
  let floe: Floe;
  let dir: string;
  let issuerServer: import('node:https').Server;
  let issuerUrl = '';
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const rogue = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
  const idToken = (claims: Record<string, unknown>, key = privateKey, kid = 'k1'): string => {
    const h = Buffer.from(JSON.stringify({ alg: 'RS256', kid, typ: 'JWT' })).toString('base64url');
    const p = Buffer.from(JSON.stringify(claims)).toString('base64url');
    return `${h}.${p}.${cryptoSign('sha256', Buffer.from(`${h}.${p}`), key).toString('base64url')}`;
  };
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'floe-oidc-'));
    const cert = ensureServingCertificate(join(dir, 'issuer'), ['127.0.0.1']);
    issuerServer = createHttpsServer({ cert: cert.certPem, key: cert.keyPem }, (req, res) => {
      res.setHeader('content-type', 'application/json');
      if (req.url === '/.well-known/openid-configuration') res.end(JSON.stringify({ issuer: issuerUrl, jwks_uri: `${issuerUrl}/keys` }));
      else if (req.url === '/keys') res.end(JSON.stringify({ keys: [{ ...publicKey.export({ format: 'jwk' }), kid: 'k1', use: 'sig', alg: 'RS256' }] }));
      else res.writeHead(404).end('{}');
    });
    await new Promise<void>((resolve) => issuerServer.listen(0, '127.0.0.1', resolve));
    issuerUrl = `https://127.0.0.1:${(issuerServer.address() as { port: number }).port}`;
    await writeFile(join(dir, 'issuer-ca.crt'), cert.caPem);
    floe = await startTemp(join(dir, 'data'), { token: randomBytes(24).toString('hex'), oidc: { issuerUrl, clientId: 'floe', usernameClaim: 'email', groupsClaim: 'groups', groupsPrefix: 'oidc:', caFile: join(dir, 'issuer-ca.crt') } });
  });
  after(async () => {
    await floe?.stop();
    await new Promise((resolve) => issuerServer?.close(resolve));
    await rm(dir, { recursive: true, force: true });
  });

  test('a valid ID token is its email with prefixed groups; wrong audience, issuer key, expiry or unverified email are 401', async () => {
    const now = Math.floor(Date.now() / 1000);
    const base = { iss: issuerUrl, aud: 'floe', sub: 'u-123', email: 'dana@example.com', email_verified: true, groups: ['ml'], iat: now, exp: now + 600 };
    const who = JSON.parse(await ok(floe, ['auth', 'whoami', '-o', 'json'], { token: idToken(base) })) as { status: { userInfo: { username: string; groups: string[] } } };
    assert.deepEqual(who.status.userInfo, { username: 'dana@example.com', groups: ['oidc:ml', 'system:authenticated'] });
    for (const [what, token] of [
      ['another audience', idToken({ ...base, aud: 'other' })],
      ['another key', idToken(base, rogue)],
      ['expired', idToken({ ...base, exp: now - 120 })],
      ['unverified email', idToken({ ...base, email_verified: false })],
    ] as const) {
      const r = await kubectl(floe, ['auth', 'whoami'], { token });
      assert.notEqual(r.code, 0, what);
      assert.match(r.stderr, /Unauthorized|must be logged in/, what);
    }
  });
});
