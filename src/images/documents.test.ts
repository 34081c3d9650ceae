// Pure parts: manifests and indexes, platform choice, WWW-Authenticate challenges, docker config and pull secrets,
// and the command/env/user a container gets from its image config.
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { parseChallenges, registryMessage } from './auth.js';
import { containerArgv, imageEnv, resolveImageUser, resolveInRoot, workingDir } from './container-config.js';
import { credentialsFor, parseDockerConfig, parsePullSecret } from './credentials.js';
import { ImageError } from './errors.js';
import { MediaType, parseImageConfig, parseManifest, selectPlatform } from './manifest.js';
import { usesPlainHttp } from './registry-client.js';

const d = (c: string): string => `sha256:${c.repeat(64)}`;
const b64 = (s: string): string => Buffer.from(s).toString('base64');

describe('manifests', () => {
  const index = {
    schemaVersion: 2,
    mediaType: MediaType.ociIndex,
    manifests: [
      { mediaType: MediaType.ociManifest, digest: d('a'), size: 10, platform: { os: 'linux', architecture: 'arm64', variant: 'v8' } },
      { mediaType: MediaType.ociManifest, digest: d('b'), size: 10, platform: { os: 'linux', architecture: 'amd64' } },
      { mediaType: MediaType.ociManifest, digest: d('c'), size: 10, platform: { os: 'unknown', architecture: 'unknown' }, annotations: { 'vnd.docker.reference.type': 'attestation-manifest' } },
    ],
  };

  test('an OCI index picks linux/amd64, never an attestation', () => {
    const parsed = parseManifest(JSON.stringify(index));
    assert.equal(parsed.kind, 'index');
    if (parsed.kind !== 'index') return;
    assert.equal(selectPlatform(parsed, { os: 'linux', architecture: 'amd64' }).digest, d('b'));
    assert.equal(selectPlatform(parsed, { os: 'linux', architecture: 'arm64' }).digest, d('a'));
    assert.throws(() => selectPlatform(parsed, { os: 'linux', architecture: 's390x' }), /no matching manifest for linux\/s390x.*linux\/arm64\/v8, linux\/amd64\)/);
  });

  test('a Docker manifest list without mediaType in the body is read by its Content-Type', () => {
    const { mediaType: _, ...bare } = index;
    const parsed = parseManifest(JSON.stringify({ ...bare, manifests: index.manifests.slice(0, 2) }), `${MediaType.dockerManifestList}; charset=utf-8`);
    assert.equal(parsed.mediaType, MediaType.dockerManifestList);
  });

  test('a Docker v2 manifest and an OCI manifest', () => {
    for (const mediaType of [MediaType.dockerManifest, MediaType.ociManifest]) {
      const parsed = parseManifest(JSON.stringify({ schemaVersion: 2, mediaType, config: { mediaType: MediaType.dockerConfig, digest: d('1'), size: 3 }, layers: [{ mediaType: MediaType.dockerLayerGzip, digest: d('2'), size: 4 }] }));
      assert.equal(parsed.kind, 'manifest');
      if (parsed.kind === 'manifest') assert.equal(parsed.layers[0]?.digest, d('2'));
    }
  });

  test('schema 1, unknown types and bad descriptors are refused with a reason', () => {
    assert.throws(() => parseManifest(JSON.stringify({ schemaVersion: 1, mediaType: MediaType.dockerManifestSchema1Signed })), /schema 1/);
    assert.throws(() => parseManifest(JSON.stringify({ mediaType: 'text/plain' })), /unsupported manifest media type "text\/plain"/);
    assert.throws(() => parseManifest(JSON.stringify({ mediaType: MediaType.ociManifest, config: { mediaType: 'x', digest: 'md5:00', size: 1 }, layers: [] })), /config\.digest/);
    assert.throws(() => parseManifest('not json'), ImageError);
  });

  test('an image config needs rootfs.diff_ids', () => {
    const c = parseImageConfig(JSON.stringify({ architecture: 'amd64', os: 'linux', config: { Cmd: ['sh'] }, rootfs: { type: 'layers', diff_ids: [d('e')] } }));
    assert.deepEqual(c.rootfs.diff_ids, [d('e')]);
    assert.deepEqual(c.config?.Cmd, ['sh']);
    assert.throws(() => parseImageConfig('{"os":"linux"}'), /rootfs\.diff_ids/);
  });
});

describe('authentication challenges', () => {
  test('Bearer with a scope holding commas', () => {
    assert.deepEqual(parseChallenges('Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:samalba/my-app:pull,push"'), [
      { scheme: 'bearer', params: { realm: 'https://auth.docker.io/token', service: 'registry.docker.io', scope: 'repository:samalba/my-app:pull,push' } },
    ]);
  });

  test('Basic, unquoted values, several challenges and escapes', () => {
    assert.deepEqual(parseChallenges('Basic realm="Registry Realm"'), [{ scheme: 'basic', params: { realm: 'Registry Realm' } }]);
    assert.deepEqual(parseChallenges('Basic realm=x, Bearer realm="http://a/t", error="insufficient_scope", x="a\\"b"'), [
      { scheme: 'basic', params: { realm: 'x' } },
      { scheme: 'bearer', params: { realm: 'http://a/t', error: 'insufficient_scope', x: 'a"b' } },
    ]);
    assert.deepEqual(parseChallenges(''), []);
  });

  test("the registry's error body becomes the message", () => {
    assert.equal(registryMessage('{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown","detail":{"Tag":"x"}}]}'), 'MANIFEST_UNKNOWN: manifest unknown');
    assert.equal(registryMessage('{"details":"incorrect username or password"}'), 'incorrect username or password');
    assert.equal(registryMessage('<html>big page</html>'), '');
  });

  test('plain HTTP only for loopback and registries marked insecure', () => {
    assert.equal(usesPlainHttp('localhost:5000'), true);
    assert.equal(usesPlainHttp('127.0.0.1:5000'), true);
    assert.equal(usesPlainHttp('[::1]:5000'), true);
    assert.equal(usesPlainHttp('registry.example.com'), false);
    assert.equal(usesPlainHttp('registry.lan:5000', ['registry.lan:5000']), true);
    assert.equal(usesPlainHttp('docker.io'), false);
  });
});

describe('credentials', () => {
  const config = JSON.stringify({
    auths: {
      'https://index.docker.io/v1/': { auth: b64('hubuser:hubpass') },
      'registry.example.com': { username: 'u1', password: 'p1' },
      'registry.example.com/team': { auth: b64('team:secret:with:colons') },
      '*.corp.example': { auth: b64('wild:card') },
      '127.0.0.1:5000': { auth: b64('local:pw') },
      'token.example': { identitytoken: 'refresh-me' },
      'empty.example': {},
    },
    credsStore: 'desktop',
  });
  const entries = parseDockerConfig(config, 'config.json');

  test('auth (base64 user:password) and username/password both read; entries without credentials dropped', () => {
    assert.equal(entries.length, 6);
    assert.deepEqual(credentialsFor(entries, 'docker.io', 'library/busybox').map((c) => c.username), ['hubuser']);
    assert.equal(credentialsFor(entries, 'registry.example.com', 'team/app')[0]?.password, 'secret:with:colons');
    assert.deepEqual(credentialsFor(entries, 'registry.example.com', 'team/app').map((c) => c.username), ['team', 'u1']);
    assert.deepEqual(credentialsFor(entries, 'registry.example.com', 'teamwork/app').map((c) => c.username), ['u1']);
    assert.equal(credentialsFor(entries, 'token.example', 'x')[0]?.identityToken, 'refresh-me');
  });

  test('wildcards match one label; ports must match', () => {
    assert.deepEqual(credentialsFor(entries, 'a.corp.example', 'x').map((c) => c.username), ['wild']);
    assert.deepEqual(credentialsFor(entries, 'a.b.corp.example', 'x'), []);
    assert.deepEqual(credentialsFor(entries, '127.0.0.1:5000', 'x').map((c) => c.username), ['local']);
    assert.deepEqual(credentialsFor(entries, '127.0.0.1:5001', 'x'), []);
    assert.deepEqual(credentialsFor(entries, '127.0.0.1', 'x'), []);
  });

  test('imagePullSecrets: dockerconfigjson and the legacy dockercfg', () => {
    const json = parsePullSecret({ metadata: { namespace: 'team-a', name: 'regcred' }, type: 'kubernetes.io/dockerconfigjson', data: { '.dockerconfigjson': b64(JSON.stringify({ auths: { 'reg.io': { username: 'a', password: 'b' } } })) } });
    assert.deepEqual(json.map((e) => [e.key, e.username, e.source]), [['reg.io', 'a', 'secret team-a/regcred']]);
    const legacy = parsePullSecret({ type: 'kubernetes.io/dockercfg', data: { '.dockercfg': b64(JSON.stringify({ 'reg.io': { auth: b64('c:d') } })) } });
    assert.deepEqual(legacy.map((e) => [e.username, e.password]), [['c', 'd']]);
    assert.deepEqual(parsePullSecret({ type: 'Opaque', data: { x: b64('y') } }), []);
    assert.throws(() => parseDockerConfig('{"auths":{"r":{"auth":"' + b64('nocolon') + '"}}}', 'cfg'), /not base64 of user:password/);
  });
});

describe('container command, env, working directory and user', () => {
  const image = { Entrypoint: ['/entry.sh'], Cmd: ['serve', '--port', '80'], Env: ['PATH=/usr/bin:/bin', 'LANG=C.UTF-8', 'EMPTY=', 'A=b=c'], WorkingDir: '/app' };

  test("Kubernetes' four cases", () => {
    assert.deepEqual(containerArgv(image, {}), ['/entry.sh', 'serve', '--port', '80']);
    assert.deepEqual(containerArgv(image, { args: ['migrate'] }), ['/entry.sh', 'migrate']);
    assert.deepEqual(containerArgv(image, { command: ['/bin/sh'] }), ['/bin/sh']);
    assert.deepEqual(containerArgv(image, { command: ['/bin/sh'], args: ['-c', 'true'] }), ['/bin/sh', '-c', 'true']);
    assert.deepEqual(containerArgv({ Cmd: ['sh'], Entrypoint: null }, {}), ['sh']);
    assert.deepEqual(containerArgv(undefined, {}), []);
  });

  test('image env and working directory', () => {
    assert.deepEqual(imageEnv(image), { PATH: '/usr/bin:/bin', LANG: 'C.UTF-8', EMPTY: '', A: 'b=c' });
    assert.equal(workingDir(image, {}), '/app');
    assert.equal(workingDir(image, { workingDir: '/work' }), '/work');
    assert.equal(workingDir({}, {}), '/');
  });

  test('paths resolve inside the rootfs, symlinks included', async () => {
    const root = await mkdtemp(join(tmpdir(), 'floe-root-'));
    try {
      await mkdir(join(root, 'etc'));
      await mkdir(join(root, 'usr', 'lib'), { recursive: true });
      await symlink('/usr/lib', join(root, 'lib'));
      await symlink('../../../../../../etc', join(root, 'usr', 'escape'));
      await symlink('/', join(root, 'rootlink'));
      assert.equal(await resolveInRoot(root, '/lib/x'), join(root, 'usr/lib/x'));
      assert.equal(await resolveInRoot(root, '/usr/escape/hosts'), join(root, 'etc/hosts'));
      assert.equal(await resolveInRoot(root, '/rootlink/../../etc/passwd'), join(root, 'etc/passwd'));
      await symlink('loop2', join(root, 'loop1'));
      await symlink('loop1', join(root, 'loop2'));
      await assert.rejects(resolveInRoot(root, '/loop1'), /too many levels/);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });

  test('the image user from the rootfs passwd and group files', async () => {
    const root = await mkdtemp(join(tmpdir(), 'floe-root-'));
    try {
      await mkdir(join(root, 'etc'));
      await writeFile(join(root, 'etc', 'passwd'), 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\napp:x:1000:1000::/home/app:/bin/sh\n');
      await writeFile(join(root, 'etc', 'group'), 'root:x:0:\nstaff:x:50:app\napp:x:1000:\n');
      assert.deepEqual(await resolveImageUser(root, undefined), { uid: 0, gid: 0, groups: [], home: '/root' });
      assert.deepEqual(await resolveImageUser(root, 'app'), { uid: 1000, gid: 1000, groups: [50], home: '/home/app' });
      assert.deepEqual(await resolveImageUser(root, '1000:staff'), { uid: 1000, gid: 50, groups: [], home: '/home/app' });
      assert.deepEqual(await resolveImageUser(root, '4242'), { uid: 4242, gid: 0, groups: [], home: '/' });
      assert.deepEqual(await resolveImageUser(root, '4242:7'), { uid: 4242, gid: 7, groups: [], home: '/' });
      await assert.rejects(resolveImageUser(root, 'ghost'), /"ghost" is not in its \/etc\/passwd/);
      await assert.rejects(resolveImageUser(root, 'app:ghosts'), /"ghosts" is not in its \/etc\/group/);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});
