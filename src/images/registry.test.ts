// Pulls from a real registry on loopback: the CNCF distribution registry built from its Go module
// (tools/registry.mjs), with htpasswd basic auth, and with Bearer token auth whose tokens come from a token server
// written here (RS256 JWTs the registry verifies against our certificate). Images are built here and pushed with
// skopeo when it is installed, else with Floe's own client.
import assert from 'node:assert/strict';
import { generateKeyPairSync, randomUUID, sign } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { after, before, describe, test } from 'node:test';
import forge from 'node-forge';
import { parseDockerConfig, parsePullSecret } from './credentials.js';
import { ImageError } from './errors.js';
import { buildImage, buildIndex, pushBuiltImage, writeOciLayout, type BuiltImage } from './image-builder.js';
import { normalizeReference } from './reference.js';
import { RegistryClient } from './registry-client.js';
import { ImageStore, type PullProgress } from './store.js';
import { appConfig, appLayer, baseLayer } from './test-images.js';

interface RunningRegistry {
  url: string;
  host: string;
  dir: string;
  stop(): Promise<void>;
}
interface RegistryTool {
  haveGo(): boolean;
  startRegistry(options: { dir?: string; auth?: { user: string; password: string } | { token: { realm: string; service: string; issuer: string; rootCertBundle: string } } }): Promise<RunningRegistry>;
}

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
const tool = (await import(pathToFileURL(join(repoRoot, 'tools', 'registry.mjs')).href)) as RegistryTool;
const skipReason = tool.haveGo() ? false : 'the Go toolchain is not installed: it builds the distribution registry these tests pull from';
const haveSkopeo = spawnSync('sh', ['-c', 'command -v skopeo'], { stdio: 'ignore' }).status === 0;
const b64 = (s: string): string => Buffer.from(s).toString('base64');

let work: string;
let n = 0;
const fresh = async (name: string): Promise<string> => {
  const dir = join(work, `${name}-${++n}`);
  await mkdir(dir, { recursive: true });
  return dir;
};

before(async () => {
  work = await mkdtemp(join(tmpdir(), 'floe-registry-test-'));
});
after(async () => {
  await rm(work, { recursive: true, force: true });
});

const isPullError = (pattern: RegExp) => (err: unknown): boolean => {
  if (!(err instanceof ImageError) || err.pullReason !== 'ErrImagePull') return false;
  assert.match(err.message, pattern);
  return true;
};

describe('pulling from the distribution registry with basic auth', { skip: skipReason }, () => {
  let registry: RunningRegistry;
  let app: BuiltImage;
  let client: RegistryClient;
  const user = 'floe';
  const password = 's3cret pass';
  let credentials: ReturnType<typeof parseDockerConfig>;
  let multiIndexDigest: string;

  before(async () => {
    registry = await tool.startRegistry({ dir: await fresh('registry'), auth: { user, password } });
    credentials = parseDockerConfig(JSON.stringify({ auths: { [registry.host]: { auth: b64(`${user}:${password}`) } } }), 'test config.json');
    client = new RegistryClient({ credentials });
    app = await buildImage({ layers: [await baseLayer(), appLayer()], config: appConfig });
    const appRef = normalizeReference(`${registry.host}/team/app:v1`);
    if (haveSkopeo) {
      const layout = await fresh('layout');
      await writeOciLayout(layout, [{ tag: 'v1', image: app }]);
      const r = spawnSync('skopeo', ['--insecure-policy', 'copy', '--quiet', '--dest-tls-verify=false', '--dest-creds', `${user}:${password}`, `oci:${layout}:v1`, `docker://${registry.host}/team/app:v1`], { encoding: 'utf8' });
      assert.equal(r.status, 0, r.stderr);
    } else {
      await pushBuiltImage(client, appRef, [app], 'v1');
    }
    // The rest with Floe's own push: a multi-platform index, zstd layers, Docker media types.
    const amd = await buildImage({ layers: [[{ path: 'arch', content: 'amd64' }]], platform: { os: 'linux', architecture: 'amd64' } });
    const arm = await buildImage({ layers: [[{ path: 'arch', content: 'arm64' }]], platform: { os: 'linux', architecture: 'arm64', variant: 'v8' } });
    const index = buildIndex([arm, amd]);
    multiIndexDigest = await pushBuiltImage(client, normalizeReference(`${registry.host}/team/multi:1`), [arm, amd], '1', index);
    const zstd = await buildImage({ layers: [[{ path: 'z', content: 'zstd' }], [{ path: 'y', content: 'two' }]], compression: 'zstd' });
    await pushBuiltImage(client, normalizeReference(`${registry.host}/team/zstd:1`), [zstd], '1');
    const docker = await buildImage({ layers: [[{ path: 'd', content: 'docker v2' }]], docker: true });
    await pushBuiltImage(client, normalizeReference(`${registry.host}/team/docker:1`), [docker], '1', buildIndex([docker], { docker: true }));
  });
  after(async () => {
    await registry?.stop();
  });

  test('without credentials the registry says so', async () => {
    const store = new ImageStore({ root: await fresh('store') });
    await assert.rejects(store.pull(`${registry.host}/team/app:v1`), isPullError(new RegExp(`failed to pull image "${registry.host}/team/app:v1": .*the registry requires a user name and password`)));
  });

  test('wrong credentials: the registry\'s UNAUTHORIZED message', async () => {
    const store = new ImageStore({ root: await fresh('store') });
    const wrong = parseDockerConfig({ auths: { [registry.host]: { username: user, password: 'nope' } } }, 'wrong config');
    await assert.rejects(store.pull(`${registry.host}/team/app:v1`, { credentials: wrong }), isPullError(/UNAUTHORIZED: authentication required \(HTTP 401 from http:\/\/127\.0\.0\.1:\d+\)/));
  });

  test('with a docker config.json: pulled, unpacked once, and the rootfs has the image', async () => {
    const store = new ImageStore({ root: await fresh('store') });
    const events: PullProgress[] = [];
    const record = await store.pull(`${registry.host}/team/app:v1`, { credentials, onProgress: (e) => events.push(e) });
    assert.equal(record.name, `${registry.host}/team/app:v1`);
    assert.equal(record.configDigest, app.config.descriptor.digest);
    assert.deepEqual(record.layers.map((l) => l.diffId), app.diffIds);
    assert.equal(events[0]?.phase, 'resolved');
    assert.equal(events.filter((e) => e.phase === 'layer' && e.state === 'unpacked').length, 2);
    const root = join(await fresh('rootfs'), 'rootfs');
    await store.rootfs(`${registry.host}/team/app:v1`, root);
    assert.equal(await readFile(join(root, 'app/message.txt'), 'utf8'), 'hello from the image\n');
    // Pulling again downloads nothing.
    const again: PullProgress[] = [];
    await store.pull(`${registry.host}/team/app:v1`, { credentials, onProgress: (e) => again.push(e) });
    assert.deepEqual(again.filter((e) => e.phase === 'layer').map((e) => e.phase === 'layer' && e.state), ['present', 'present']);
    // By digest, verified.
    const byDigest = await store.pull(`${registry.host}/team/app@${record.digest}`, { credentials });
    assert.equal(byDigest.digest, record.digest);
  });

  test('with an imagePullSecret: an index resolves to linux/amd64', async () => {
    const secret = { metadata: { namespace: 'team-a', name: 'regcred' }, type: 'kubernetes.io/dockerconfigjson', data: { '.dockerconfigjson': b64(JSON.stringify({ auths: { [`http://${registry.host}`]: { username: user, password } } })) } };
    const store = new ImageStore({ root: await fresh('store'), platform: { os: 'linux', architecture: 'amd64' } });
    const record = await store.pull(`${registry.host}/team/multi:1`, { credentials: parsePullSecret(secret) });
    assert.equal(record.repoDigest, multiIndexDigest);
    const root = join(await fresh('rootfs'), 'rootfs');
    await store.rootfs(record.name, root);
    assert.equal(await readFile(join(root, 'arch'), 'utf8'), 'amd64');
    assert.equal((await store.find(`${registry.host}/team/multi@${multiIndexDigest}`))?.name, record.name);
  });

  test('zstd layers and Docker v2 media types', async () => {
    const store = new ImageStore({ root: await fresh('store') });
    const z = await store.pull(`${registry.host}/team/zstd:1`, { credentials });
    assert.deepEqual(z.layers.map((l) => l.mediaType), ['application/vnd.oci.image.layer.v1.tar+zstd', 'application/vnd.oci.image.layer.v1.tar+zstd']);
    const d = await store.pull(`${registry.host}/team/docker:1`, { credentials });
    assert.equal(d.layers[0]?.mediaType, 'application/vnd.docker.image.rootfs.diff.tar.gzip');
    const root = join(await fresh('rootfs'), 'rootfs');
    await store.rootfs(`${registry.host}/team/zstd:1`, root);
    assert.equal(await readFile(join(root, 'z'), 'utf8'), 'zstd');
    assert.equal(await readFile(join(root, 'y'), 'utf8'), 'two');
  });

  test('Pods starting together: one pull per image, one download per shared layer', async () => {
    const store = new ImageStore({ root: await fresh('store') });
    const other = await buildImage({ layers: [await baseLayer(), appLayer('another app')], config: appConfig });
    await pushBuiltImage(client, normalizeReference(`${registry.host}/team/other:v1`), [other], 'v1');
    const events: PullProgress[] = [];
    const onProgress = (e: PullProgress): void => { events.push(e); };
    const [a, b, c] = await Promise.all([
      store.pull(`${registry.host}/team/app:v1`, { credentials, onProgress }),
      store.pull(`${registry.host}/team/app:v1`, { credentials, onProgress }),
      store.pull(`${registry.host}/team/other:v1`, { credentials, onProgress }),
    ]);
    assert.equal(a, b);
    assert.equal(c.layers[0]?.diffId, a.layers[0]?.diffId);
    const unpacked = events.filter((e) => e.phase === 'layer' && e.state === 'unpacked').map((e) => e.phase === 'layer' && e.digest);
    // Three distinct layers (the shared base, two app layers), each unpacked once.
    assert.equal(unpacked.length, 3);
    assert.equal(new Set(unpacked).size, 3);
  });

  test('a missing tag, a missing digest, an unreachable registry: each says what failed', async () => {
    const store = new ImageStore({ root: await fresh('store') });
    await assert.rejects(store.pull(`${registry.host}/team/app:nope`, { credentials }), isPullError(/manifest nope of .*\/team\/app:nope: MANIFEST_UNKNOWN: manifest unknown \(HTTP 404/));
    await assert.rejects(store.pull(`${registry.host}/team/app@sha256:${'0'.repeat(64)}`, { credentials }), isPullError(/MANIFEST_UNKNOWN|NOT_FOUND|not found/i));
    await assert.rejects(store.pull(`${registry.host}/team/nothing:1`, { credentials }), isPullError(/NAME_UNKNOWN|MANIFEST_UNKNOWN/));
    const closed = await new Promise<number>((resolve) => {
      const s: Server = createServer();
      s.listen(0, '127.0.0.1', () => {
        const port = (s.address() as { port: number }).port;
        s.close(() => resolve(port));
      });
    });
    await assert.rejects(store.pull(`127.0.0.1:${closed}/team/app:v1`), isPullError(new RegExp(`cannot reach the registry at http://127\\.0\\.0\\.1:${closed}: .*ECONNREFUSED`)));
  });

  test('imagePullPolicy: Always follows the tag, IfNotPresent keeps what it has', async () => {
    const store = new ImageStore({ root: await fresh('store') });
    const ref = normalizeReference(`${registry.host}/team/moving:1`);
    const first = await buildImage({ layers: [[{ path: 'v', content: 'first' }]] });
    const second = await buildImage({ layers: [[{ path: 'v', content: 'second' }]] });
    await pushBuiltImage(client, ref, [first], '1');
    const a = await store.ensure(`${registry.host}/team/moving:1`, 'IfNotPresent', { credentials });
    assert.equal(a.pulled, true);
    await pushBuiltImage(client, ref, [second], '1');
    const b = await store.ensure(`${registry.host}/team/moving:1`, 'IfNotPresent', { credentials });
    assert.equal(b.pulled, false);
    assert.equal(b.image.digest, first.manifest.descriptor.digest);
    const c = await store.ensure(`${registry.host}/team/moving:1`, 'Always', { credentials });
    assert.equal(c.image.digest, second.manifest.descriptor.digest);
    // The first image's content is unreferenced now: collected.
    const gc = await store.gc({});
    assert.equal(gc.removedLayers, 1);
  });
});

/** A self-signed certificate and key for the token issuer (RSA, so the JWTs are RS256). */
function issuerKeys(): { keyPem: string; certPem: string; certDer: Buffer } {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048, publicKeyEncoding: { type: 'spki', format: 'pem' }, privateKeyEncoding: { type: 'pkcs8', format: 'pem' } });
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.publicKeyFromPem(publicKey);
  cert.serialNumber = '01';
  cert.validity.notBefore = new Date(Date.now() - 60_000);
  cert.validity.notAfter = new Date(Date.now() + 86_400_000);
  const subject = [{ name: 'commonName', value: 'floe test token issuer' }];
  cert.setSubject(subject);
  cert.setIssuer(subject);
  cert.setExtensions([{ name: 'basicConstraints', cA: true }, { name: 'keyUsage', digitalSignature: true, keyCertSign: true }]);
  cert.sign(forge.pki.privateKeyFromPem(privateKey), forge.md.sha256.create());
  const certPem = forge.pki.certificateToPem(cert);
  const certDer = Buffer.from(forge.asn1.toDer(forge.pki.certificateToAsn1(cert)).getBytes(), 'binary');
  return { keyPem: privateKey, certPem, certDer };
}

const b64url = (data: Buffer | string): string => Buffer.from(data).toString('base64url');

describe('pulling through the Bearer token flow (distribution registry + a token server)', { skip: skipReason }, () => {
  let registry: RunningRegistry;
  let tokenServer: Server;
  const requests: { service: string | null; scopes: string[]; user: string }[] = [];
  const service = 'floe-test-registry';
  const issuer = 'floe-test-issuer';
  let image: BuiltImage;

  before(async () => {
    const keys = issuerKeys();
    const bundle = join(await fresh('pki'), 'issuer.pem');
    await writeFile(bundle, keys.certPem);
    // The token server: alice may pull and push anywhere; anyone may pull public/*; it says why it refuses.
    tokenServer = createServer((req, res) => {
      if (req.method === 'POST') {
        // The OAuth2 form: an identity token (refresh token) from a docker config.json.
        let body = '';
        req.on('data', (d: Buffer) => { body += d.toString(); });
        req.on('end', () => {
          const form = new URLSearchParams(body);
          const ok = form.get('grant_type') === 'refresh_token' && form.get('refresh_token') === 'alice-refresh-token';
          if (!ok) {
            res.writeHead(401, { 'content-type': 'application/json' }).end(JSON.stringify({ error: 'invalid refresh token' }));
            return;
          }
          const scopes = (form.get('scope') ?? '').split(' ').filter(Boolean);
          requests.push({ service: form.get('service'), scopes, user: 'alice (identity token)' });
          res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ access_token: issue('alice', scopes), expires_in: 300 }));
        });
        return;
      }
      const url = new URL(req.url ?? '/', 'http://token');
      const auth = req.headers.authorization;
      let who = '';
      if (auth?.startsWith('Basic ')) {
        const [u, p] = Buffer.from(auth.slice(6), 'base64').toString().split(':');
        if (u !== 'alice' || p !== 'wonderland') {
          res.writeHead(401, { 'content-type': 'application/json' }).end(JSON.stringify({ details: 'incorrect username or password' }));
          return;
        }
        who = u;
      }
      const scopes = url.searchParams.getAll('scope');
      requests.push({ service: url.searchParams.get('service'), scopes, user: who });
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ token: issue(who, scopes), expires_in: 300, issued_at: new Date().toISOString() }));
    });
    /** A JWT the registry accepts: RS256, our certificate in x5c, the access the rules grant `who`. */
    const issue = (who: string, scopes: string[]): string => {
      const access = scopes.flatMap((s) => {
        const [type, name, actions] = s.split(':') as [string, string, string];
        const granted = actions.split(',').filter((a) => who === 'alice' || (a === 'pull' && name.startsWith('public/')));
        return granted.length > 0 ? [{ type, name, actions: granted }] : [];
      });
      const now = Math.floor(Date.now() / 1000);
      const header = { alg: 'RS256', typ: 'JWT', x5c: [keys.certDer.toString('base64')] };
      const claims = { iss: issuer, sub: who, aud: service, exp: now + 300, nbf: now - 10, iat: now, jti: randomUUID(), access };
      const signingInput = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(claims))}`;
      return `${signingInput}.${b64url(sign('sha256', Buffer.from(signingInput), keys.keyPem))}`;
    };
    await new Promise<void>((resolve) => tokenServer.listen(0, '127.0.0.1', resolve));
    const realm = `http://127.0.0.1:${(tokenServer.address() as { port: number }).port}/token`;
    registry = await tool.startRegistry({ dir: await fresh('registry'), auth: { token: { realm, service, issuer, rootCertBundle: bundle } } });
    image = await buildImage({ layers: [[{ path: 'hello', content: 'through a bearer token' }]] });
    const alice = new RegistryClient({ credentials: parseDockerConfig({ auths: { [registry.host]: { username: 'alice', password: 'wonderland' } } }, 'alice') });
    await pushBuiltImage(alice, normalizeReference(`${registry.host}/public/app:1`), [image], '1');
    await pushBuiltImage(alice, normalizeReference(`${registry.host}/private/app:1`), [image], '1');
  });
  after(async () => {
    await registry?.stop();
    await new Promise((r) => tokenServer?.close(r));
  });

  test('the push asked for pull,push on the repository, for the registry\'s service', () => {
    assert.ok(requests.some((r) => r.user === 'alice' && r.service === service && r.scopes.includes('repository:private/app:pull,push')), JSON.stringify(requests));
  });

  test('anonymous: a public image pulls with an anonymous token; a private one is refused with the reason', async () => {
    const store = new ImageStore({ root: await fresh('store') });
    const record = await store.pull(`${registry.host}/public/app:1`);
    assert.equal(record.digest, image.manifest.descriptor.digest);
    assert.ok(requests.some((r) => r.user === '' && r.scopes.includes('repository:public/app:pull')));
    await assert.rejects(store.pull(`${registry.host}/private/app:1`), isPullError(/UNAUTHORIZED: authentication required \(HTTP 401/));
  });

  test('with credentials the token covers the private repository', async () => {
    const store = new ImageStore({ root: await fresh('store') });
    const credentials = parseDockerConfig({ auths: { [registry.host]: { auth: b64('alice:wonderland') } } }, 'config.json');
    const record = await store.pull(`${registry.host}/private/app:1`, { credentials });
    const root = join(await fresh('rootfs'), 'rootfs');
    await store.rootfs(record.name, root);
    assert.equal(await readFile(join(root, 'hello'), 'utf8'), 'through a bearer token');
  });

  test('an identity token from config.json is exchanged with the OAuth2 refresh-token form', async () => {
    const store = new ImageStore({ root: await fresh('store') });
    const credentials = parseDockerConfig({ auths: { [registry.host]: { auth: b64('<token>:'), identitytoken: 'alice-refresh-token' } } }, 'config.json');
    const record = await store.pull(`${registry.host}/private/app:1`, { credentials });
    assert.equal(record.digest, image.manifest.descriptor.digest);
    assert.ok(requests.some((r) => r.user === 'alice (identity token)' && r.service === service && r.scopes.includes('repository:private/app:pull')));
    const bad = parseDockerConfig({ auths: { [registry.host]: { identitytoken: 'stale' } } }, 'config.json');
    await assert.rejects(store.pull(`${registry.host}/private/app:1`, { credentials: bad }), isPullError(/refused a token for the identity token in config\.json: HTTP 401: invalid refresh token/));
  });

  test("a wrong password: the token endpoint's own message", async () => {
    const store = new ImageStore({ root: await fresh('store') });
    const credentials = parseDockerConfig({ auths: { [registry.host]: { auth: b64('alice:guess') } } }, '~/.docker/config.json');
    await assert.rejects(store.pull(`${registry.host}/private/app:1`, { credentials }), isPullError(/refused a token as "alice" \(~\/\.docker\/config\.json\): HTTP 401: incorrect username or password/));
  });
});
