// KServe's storageUri schemes on a real embedded Floe, read as KServe's storage initializer reads them: s3:// from a
// real S3-compatible server (moto) with the endpoint, https setting, region and keys of the ServiceAccount's Secret;
// https:// from a local HTTPS server whose CA is trusted only through the namespace's global-ca-bundle, files and
// .tar.gz/.zip archives unpacked; pvc:// from the claim's volume; gs:// from a real GCS JSON API server
// (fake-gcs-server) named by Floe's STORAGE_EMULATOR_HOST, anonymous or with a service-account key; hdfs:// refused
// naming the field. Remote models land once in a content-addressed cache; hostile keys, object names and archive
// entries are refused, leaving nothing.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createVerify, generateKeyPairSync } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { pack } from 'tar-stream';
import type { Client } from '../src/client/client.js';
import { PatchType } from '../src/client/client.js';
import { InferenceServiceRef, type InferenceService } from '../src/controllers/serving/index.js';
import { ModelStore, StorageDownloadError } from '../src/controllers/serving/storage.js';
import { startEmbeddedFloe, type EmbeddedFloe } from './helpers/embedded-floe.js';
import { freshNamespace } from './helpers/fixtures.js';
import { startHttpsFileServer, type HttpsFileServer } from './helpers/https-server.js';
import { gcsServerUnavailable, startGcsServer, type GcsServer } from './helpers/gcs-server.js';
import { s3ServerUnavailable, startS3Server, type S3Server } from './helpers/s3-server.js';
import { waitFor } from './helpers/wait.js';

const s3Skip = s3ServerUnavailable();
const irisOnnx = readFileSync(fileURLToPath(new URL('../../examples/serving/iris-onnx/model.onnx', import.meta.url)));
const instances = '{"instances": [[5.1, 3.5, 1.4, 0.2]]}';

/** A tar archive (gzipped) of the given entries; names are written as given, `..` included. */
async function tarGz(entries: { name: string; body?: Buffer | string; type?: 'file' | 'directory' | 'symlink'; linkname?: string }[]): Promise<Buffer> {
  const p = pack();
  const chunks: Buffer[] = [];
  p.on('data', (c: unknown) => {
    chunks.push(c as Buffer);
  });
  const ended = new Promise<void>((resolve) => p.on('end', () => resolve()));
  for (const e of entries) {
    await new Promise<void>((resolve, reject) => p.entry({ name: e.name, type: e.type ?? 'file', ...(e.linkname ? { linkname: e.linkname } : {}) }, e.body ?? '', (err) => (err ? reject(err) : resolve())));
  }
  p.finalize();
  await ended;
  return gzipSync(Buffer.concat(chunks));
}

/** A zip archive made by Python's zipfile (names written as given). */
function zip(dir: string, entries: Record<string, Buffer>): Buffer {
  const file = join(dir, `a-${Math.random().toString(36).slice(2)}.zip`);
  const script = 'import sys, zipfile, base64, json\nz = zipfile.ZipFile(sys.argv[1], "w")\nfor n, b in json.loads(sys.argv[2]).items(): z.writestr(n, base64.b64decode(b))\nz.close()';
  execFileSync('python3', ['-c', script, file, JSON.stringify(Object.fromEntries(Object.entries(entries).map(([k, v]) => [k, v.toString('base64')])))]);
  return readFileSync(file);
}

/** Every file under a folder, relative. */
const listFiles = (dir: string): string[] => (existsSync(dir) ? (readdirSync(dir, { recursive: true }) as string[]).filter((f) => statSync(join(dir, f)).isFile()).sort() : []);

describe('KServe storageUri schemes (embedded)', { skip: s3Skip }, () => {
  let env: EmbeddedFloe;
  let client: Client;
  let s3: S3Server;
  let web: HttpsFileServer;
  let cache: string;

  before(async () => {
    [env, s3, web] = await Promise.all([startEmbeddedFloe('floe-kserve-storage-'), startS3Server(), startHttpsFileServer()]);
    client = env.floe.client;
    cache = join(env.dataDir, 'serving', 'model-cache');
    await s3.createBucket('models');
  });

  after(async () => {
    await Promise.all([env?.stop(), s3?.stop(), web?.stop()]);
  });

  const isvc = (ns: string, name: string, predictor: Record<string, unknown>, annotations?: Record<string, string>): InferenceService => ({ apiVersion: 'serving.kserve.io/v1beta1', kind: 'InferenceService', metadata: { name, namespace: ns, ...(annotations ? { annotations } : {}) }, spec: { predictor } });
  const onnx = (storageUri: string, extra: Record<string, unknown> = {}): Record<string, unknown> => ({ ...extra, model: { modelFormat: { name: 'onnx' }, storageUri } });
  const condition = (ns: string, name: string, what: string, want: (c: { status: string; reason?: string; message?: string }) => boolean): Promise<InferenceService> =>
    waitFor(async () => {
      const i = await client.get<InferenceService>(InferenceServiceRef, name, ns);
      const ready = i.status?.conditions?.find((c) => c.type === 'Ready');
      return ready && want(ready) ? i : undefined;
    }, { what, timeoutMs: 120_000, intervalMs: 200 });
  const ready = (ns: string, name: string): Promise<InferenceService> => condition(ns, name, `${name} to be Ready`, (c) => c.status === 'True');
  const failing = (ns: string, name: string, reason: string): Promise<InferenceService> => condition(ns, name, `${name} to fail with ${reason}`, (c) => c.status === 'False' && c.reason === reason);
  const nudge = (ns: string, name: string): Promise<unknown> => client.patch(InferenceServiceRef, name, ns, { metadata: { annotations: { 'test.floe.dev/nudge': String(Date.now()) } } }, PatchType.Merge);
  const predict = async (i: InferenceService, name: string): Promise<number> => (await fetch(`${i.status!.url!}/v1/models/${name}:predict`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: instances })).status;
  /** A namespace whose default ServiceAccount lists an S3 Secret for the test server, as KServe's docs write one. */
  const s3Namespace = async (hint: string, extra: Record<string, string> = {}): Promise<string> => {
    const ns = await freshNamespace(client, hint);
    await client.create({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 's3creds', namespace: ns, annotations: { 'serving.kserve.io/s3-endpoint': `${s3.host}:${s3.port}`, 'serving.kserve.io/s3-usehttps': '0', 'serving.kserve.io/s3-region': s3.region, ...extra } },
      type: 'Opaque',
      data: { AWS_ACCESS_KEY_ID: Buffer.from(s3.accessKey).toString('base64'), AWS_SECRET_ACCESS_KEY: Buffer.from(s3.secretKey).toString('base64') },
    });
    await client.create({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'models-sa', namespace: ns }, secrets: [{ name: 's3creds' }] });
    return ns;
  };

  // The attacks first: nothing a bucket or an archive names may land outside the model's folder.
  test('hostile S3 keys and archive entries are refused and leave nothing behind', async () => {
    const ns = await s3Namespace('storage-attack');
    const store = new ModelStore({ cacheDir: join(env.dataDir, 'attack-cache') });
    const sdk = new S3Client({ endpoint: s3.endpoint, region: s3.region, forcePathStyle: true, credentials: { accessKeyId: s3.accessKey, secretAccessKey: s3.secretKey } });
    // A key with `..` segments, stored verbatim by the server (the SDK sends the path as it is).
    await sdk.send(new PutObjectCommand({ Bucket: 'models', Key: 'evil/../../escaped.txt', Body: 'pwned' }));
    await sdk.send(new PutObjectCommand({ Bucket: 'models', Key: 'evil/ok.txt', Body: 'fine' }));
    const stored = await sdk.send(new GetObjectCommand({ Bucket: 'models', Key: 'evil/../../escaped.txt' }));
    assert.equal(await stored.Body?.transformToString(), 'pwned', 'the server keeps the hostile key as it is');
    sdk.destroy();
    const request = { field: 'spec.predictor.model.storageUri', namespace: ns, serviceAccountName: 'models-sa' };
    await assert.rejects(store.resolve(client, { ...request, uri: 's3://models/evil' }), (err: Error) => err instanceof StorageDownloadError && /escaped\.txt.*refused/.test(err.message));
    // Archives: a `..` entry, an absolute entry, a symlink out; and a zip with a `..` name.
    await s3.putObject('models', 'tar-dotdot/model.tar.gz', await tarGz([{ name: 'model.onnx', body: irisOnnx }, { name: '../../escaped-tar.txt', body: 'pwned' }]));
    await s3.putObject('models', 'tar-abs/model.tgz', await tarGz([{ name: '/tmp/escaped-abs.txt', body: 'pwned' }]));
    await s3.putObject('models', 'tar-link/model.tar.gz', await tarGz([{ name: 'link', type: 'symlink', linkname: '/etc/passwd' }]));
    await s3.putObject('models', 'zip-dotdot/model.zip', zip(env.dataDir, { 'model.onnx': irisOnnx, '../escaped-zip.txt': Buffer.from('pwned') }));
    for (const [uri, why] of [['s3://models/tar-dotdot', /escaped-tar\.txt.*refused/], ['s3://models/tar-abs', /escaped-abs\.txt.*refused/], ['s3://models/tar-link', /symlink.*refused/], ['s3://models/zip-dotdot', /unpack|refused/]] as const) {
      await assert.rejects(store.resolve(client, { ...request, uri }), (err: Error) => err instanceof StorageDownloadError && why.test(err.message), uri);
    }
    for (const name of ['escaped.txt', 'escaped-tar.txt', 'escaped-zip.txt']) {
      for (const dir of [env.dataDir, join(env.dataDir, 'attack-cache'), join(env.dataDir, 'attack-cache', 'tmp')]) assert.ok(!existsSync(join(dir, name)), `${name} in ${dir}`);
    }
    assert.ok(!existsSync('/tmp/escaped-abs.txt'));
    assert.deepEqual(listFiles(join(env.dataDir, 'attack-cache')), [], 'no half-written model and no index entry');
    assert.equal((statSync(join(env.dataDir, 'attack-cache', 'tmp')).mode & 0o777).toString(8), '700');
  });

  test('s3:// with the ServiceAccount Secret\'s endpoint, https, region and keys: downloaded once, shared by InferenceServices', async () => {
    const ns = await s3Namespace('storage-s3');
    await s3.putObject('models', 'iris/v1/model.onnx', irisOnnx);
    await client.create(isvc(ns, 'iris-a', onnx('s3://models/iris/v1', { serviceAccountName: 'models-sa' })));
    const a = await ready(ns, 'iris-a');
    assert.equal(await predict(a, 'iris-a'), 200);
    // A second InferenceService of the same model, and one naming the single object: one tree in the cache.
    await client.create(isvc(ns, 'iris-b', onnx('s3://models/iris/v1', { serviceAccountName: 'models-sa' })));
    await client.create(isvc(ns, 'iris-file', onnx('s3://models/iris/v1/model.onnx', { serviceAccountName: 'models-sa' })));
    assert.equal(await predict(await ready(ns, 'iris-b'), 'iris-b'), 200);
    assert.equal(await predict(await ready(ns, 'iris-file'), 'iris-file'), 200);
    const trees = readdirSync(join(cache, 'sha256'));
    assert.equal(trees.length, 1, `one content-addressed tree: ${trees.join(', ')}`);
    assert.deepEqual(listFiles(join(cache, 'sha256', trees[0]!)), ['model.onnx']);
    assert.equal(readdirSync(join(cache, 'sources')).length, 2, 'two sources (the folder and the file) index the same tree');
    assert.deepEqual(readdirSync(join(cache, 'tmp')), []);
    for (const d of [cache, join(cache, 'sha256'), join(cache, 'sha256', trees[0]!)]) assert.equal((statSync(d).mode & 0o777).toString(8), '700', d);
    assert.ok(readFileSync(join(cache, 'sha256', trees[0]!, 'model.onnx')).equals(irisOnnx));
  });

  test('a failed S3 download gives ModelLoadFailed with the reason, and the model comes up once it is there', async () => {
    const ns = await s3Namespace('storage-s3-missing');
    await client.create(isvc(ns, 'late', onnx('s3://models/late/model', { serviceAccountName: 'models-sa' })));
    const failed = await failing(ns, 'late', 'ModelLoadFailed');
    const message = failed.status?.conditions?.find((c) => c.type === 'Ready')?.message ?? '';
    assert.match(message, /^spec\.predictor\.model\.storageUri s3:\/\/models\/late\/model: Failed to fetch model\. No model found in late\/model\./);
    assert.equal(failed.status?.modelStatus?.lastFailureInfo?.reason, 'ModelLoadFailed');
    // The failed download left nothing (a retry may be under way: wait for it to fail too).
    await waitFor(() => readdirSync(join(cache, 'tmp')).length === 0, { what: 'no download folder left in the cache', timeoutMs: 30_000 });
    assert.ok(!readdirSync(join(cache, 'sources')).some((f) => readFileSync(join(cache, 'sources', f), 'utf8').includes('late')));
    await s3.putObject('models', 'late/model/model.onnx', irisOnnx);
    await nudge(ns, 'late');
    assert.equal(await predict(await ready(ns, 'late'), 'late'), 200);
  });

  test('s3:// with an endpoint whose scheme wins over s3-usehttps, and a wrong endpoint reported', async () => {
    const ns = await s3Namespace('storage-s3-scheme', { 'serving.kserve.io/s3-endpoint': s3.endpoint, 'serving.kserve.io/s3-usehttps': '1' });
    await s3.putObject('models', 'scheme/model.onnx', irisOnnx);
    await client.create(isvc(ns, 'scheme', onnx('s3://models/scheme', { serviceAccountName: 'models-sa' })));
    assert.equal(await predict(await ready(ns, 'scheme'), 'scheme'), 200);
    // https to a plain-HTTP server: the download fails and says where it went.
    const bad = await s3Namespace('storage-s3-https', { 'serving.kserve.io/s3-usehttps': '1' });
    await client.create(isvc(bad, 'tls', onnx('s3://models/scheme', { serviceAccountName: 'models-sa' })));
    const failed = await failing(bad, 'tls', 'ModelLoadFailed');
    assert.match(failed.status?.conditions?.find((c) => c.type === 'Ready')?.message ?? '', /cannot read s3:\/\/models\/scheme/);
  });

  test('https:// files and .tar.gz/.zip archives, trusted through the namespace\'s global-ca-bundle, with a Secret\'s headers', async () => {
    web.files.set('/m/model.onnx', { body: irisOnnx, contentType: 'application/octet-stream' });
    web.files.set('/m/iris.tar.gz', { body: await tarGz([{ name: 'model.onnx', body: irisOnnx }, { name: 'docs', type: 'directory' }, { name: 'docs/README.txt', body: 'iris' }]), contentType: 'application/gzip' });
    web.files.set('/m/iris.zip', { body: zip(env.dataDir, { 'model.onnx': irisOnnx }), contentType: 'application/zip' });
    web.files.set('/m/wrong-type.onnx', { body: irisOnnx, contentType: 'text/html' });
    web.files.set('/private/model.onnx', { body: irisOnnx, contentType: 'application/octet-stream', requireHeader: ['authorization', 'Bearer t0ken'] });
    const ns = await freshNamespace(client, 'storage-https');
    // Without the CA: the certificate is not trusted.
    await client.create(isvc(ns, 'file', onnx(`${web.url}/m/model.onnx`)));
    const untrusted = await failing(ns, 'file', 'ModelLoadFailed');
    assert.match(untrusted.status?.conditions?.find((c) => c.type === 'Ready')?.message ?? '', /certificate/i);
    await client.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'global-ca-bundle', namespace: ns }, data: { 'cabundle.crt': web.caPem } });
    await nudge(ns, 'file');
    assert.equal(await predict(await ready(ns, 'file'), 'file'), 200);
    await client.create(isvc(ns, 'tgz', onnx(`${web.url}/m/iris.tar.gz`)));
    await client.create(isvc(ns, 'zip', onnx(`${web.url}/m/iris.zip`)));
    assert.equal(await predict(await ready(ns, 'tgz'), 'tgz'), 200);
    assert.equal(await predict(await ready(ns, 'zip'), 'zip'), 200);
    const trees = readdirSync(join(cache, 'sha256')).map((t) => listFiles(join(cache, 'sha256', t)).join(','));
    assert.ok(trees.includes('docs/README.txt,model.onnx'), `the tar.gz unpacked, the archive gone: ${trees.join(' | ')}`);
    // KServe's Content-Type rule: a plain file must come as application/octet-stream.
    await client.create(isvc(ns, 'wrong', onnx(`${web.url}/m/wrong-type.onnx`)));
    const wrong = await failing(ns, 'wrong', 'ModelLoadFailed');
    assert.match(wrong.status?.conditions?.find((c) => c.type === 'Ready')?.message ?? '', /did not respond with 'Content-Type': 'application\/octet-stream'/);
    // A Secret with https-host and headers, listed by the ServiceAccount: its headers go with the request.
    await client.create({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'web', namespace: ns }, type: 'Opaque', data: { 'https-host': Buffer.from('127.0.0.1').toString('base64'), headers: Buffer.from('{"Authorization": "Bearer t0ken"}').toString('base64') } });
    await client.create({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'web-sa', namespace: ns }, secrets: [{ name: 'web' }] });
    await client.create(isvc(ns, 'private', onnx(`${web.url}/private/model.onnx`, { serviceAccountName: 'web-sa' })));
    assert.equal(await predict(await ready(ns, 'private'), 'private'), 200);
    assert.equal(web.hits.get('/m/model.onnx'), 1, 'fetched once (the untrusted handshake never reached the server)');
  });

  test('pvc:// reads the claim\'s volume folder', async () => {
    const ns = await freshNamespace(client, 'storage-pvc');
    const folder = join(env.dataDir, 'pv-models');
    mkdirSync(join(folder, 'iris'), { recursive: true });
    writeFileSync(join(folder, 'iris', 'model.onnx'), irisOnnx);
    const pv = `pv-${ns}`;
    await client.create({ apiVersion: 'v1', kind: 'PersistentVolume', metadata: { name: pv }, spec: { capacity: { storage: '1Gi' }, accessModes: ['ReadWriteOnce'], storageClassName: 'manual', hostPath: { path: folder } } });
    await client.create({ apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name: 'models', namespace: ns }, spec: { storageClassName: 'manual', volumeName: pv, accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } });
    await client.create(isvc(ns, 'pvc', onnx('pvc://models/iris')));
    assert.equal(await predict(await ready(ns, 'pvc'), 'pvc'), 200);
    await client.create(isvc(ns, 'escape', onnx('pvc://models/../../etc')));
    const escaped = await failing(ns, 'escape', 'ModelLoadFailed');
    assert.match(escaped.status?.conditions?.find((c) => c.type === 'Ready')?.message ?? '', /refused/);
    await client.create(isvc(ns, 'noclaim', onnx('pvc://nope/iris')));
    const missing = await failing(ns, 'noclaim', 'ModelLoadFailed');
    assert.match(missing.status?.conditions?.find((c) => c.type === 'Ready')?.message ?? '', /PersistentVolumeClaim .*nope does not exist/);
  });

  test('hdfs://, hf:// and unknown schemes are refused, naming the field', async () => {
    const ns = await freshNamespace(client, 'storage-refused');
    await client.create(isvc(ns, 'hdfs', onnx('hdfs://namenode/models/iris')));
    await client.create(isvc(ns, 'hf', { sklearn: { storageUri: 'hf://example/iris' } }));
    await client.create(isvc(ns, 'ftp', onnx('ftp://example/model.onnx')));
    for (const [name, field, scheme] of [['hdfs', 'spec.predictor.model.storageUri', 'hdfs'], ['hf', 'spec.predictor.sklearn.storageUri', 'hf'], ['ftp', 'spec.predictor.model.storageUri', 'ftp']] as const) {
      const i = await failing(ns, name, 'InvalidPredictorSpec');
      const message = i.status?.conditions?.find((c) => c.type === 'Ready')?.message ?? '';
      assert.ok(message.startsWith(`${field} ${scheme}://`), message);
      assert.match(message, new RegExp(`cannot (download|read) ${scheme}:// storage`));
    }
  });
});

describe('KServe gs:// storageUris (embedded, fake-gcs-server)', { skip: gcsServerUnavailable() }, () => {
  let env: EmbeddedFloe;
  let client: Client;
  let gcs: GcsServer;
  let cache: string;
  /** A stand-in for Google's OAuth2 token endpoint: records each JWT assertion and answers an access token. */
  let tokens: Server;
  const assertions: string[] = [];

  before(async () => {
    gcs = await startGcsServer();
    // Floe reads STORAGE_EMULATOR_HOST from its process env when its serving controller is made, as the
    // google-cloud-storage clients do; it is removed again at once so no other test sees it.
    process.env.STORAGE_EMULATOR_HOST = gcs.emulatorHost;
    try {
      env = await startEmbeddedFloe('floe-kserve-gcs-');
    } finally {
      delete process.env.STORAGE_EMULATOR_HOST;
    }
    client = env.floe.client;
    cache = join(env.dataDir, 'serving', 'model-cache');
    await gcs.createBucket('models');
    tokens = createServer((req, res) => {
      let body = '';
      req.on('data', (d: Buffer) => (body += d.toString()));
      req.on('end', () => {
        const form = new URLSearchParams(body);
        assertions.push(form.get('assertion') ?? '');
        const ok = form.get('grant_type') === 'urn:ietf:params:oauth:grant-type:jwt-bearer';
        res.writeHead(ok ? 200 : 400, { 'content-type': 'application/json' }).end(JSON.stringify(ok ? { access_token: 'ya29.test', token_type: 'Bearer', expires_in: 3600 } : { error: 'invalid_grant' }));
      });
    });
    await new Promise<void>((resolve) => tokens.listen(0, '127.0.0.1', resolve));
  });

  after(async () => {
    await Promise.all([env?.stop(), gcs?.stop(), new Promise((resolve) => (tokens ? tokens.close(resolve) : resolve(undefined)))]);
  });

  const isvc = (ns: string, name: string, storageUri: string, extra: Record<string, unknown> = {}): InferenceService => ({ apiVersion: 'serving.kserve.io/v1beta1', kind: 'InferenceService', metadata: { name, namespace: ns }, spec: { predictor: { ...extra, model: { modelFormat: { name: 'onnx' }, storageUri } } } });
  const readyCondition = async (ns: string, name: string): Promise<{ status: string; reason?: string; message?: string } | undefined> => (await client.get<InferenceService>(InferenceServiceRef, name, ns)).status?.conditions?.find((c) => c.type === 'Ready');
  const ready = (ns: string, name: string): Promise<InferenceService> =>
    waitFor(async () => ((await readyCondition(ns, name))?.status === 'True' ? client.get<InferenceService>(InferenceServiceRef, name, ns) : undefined), { what: `${name} to be Ready`, timeoutMs: 120_000, intervalMs: 200 });
  const failing = (ns: string, name: string, reason: string): Promise<{ status: string; reason?: string; message?: string }> =>
    waitFor(async () => {
      const c = await readyCondition(ns, name);
      return c?.status === 'False' && c.reason === reason ? c : undefined;
    }, { what: `${name} to fail with ${reason}`, timeoutMs: 120_000, intervalMs: 200 });
  const predict = async (i: InferenceService, name: string): Promise<{ status: number; body: string }> => {
    const res = await fetch(`${i.status!.url!}/v1/models/${name}:predict`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: instances });
    return { status: res.status, body: await res.text() };
  };

  // The attack first: object names are the bucket owner's to choose; none may land outside the model's folder.
  test('GCS object names with `..` or an absolute remainder are refused and leave nothing behind', async () => {
    const store = new ModelStore({ cacheDir: join(env.dataDir, 'gcs-attack-cache'), gcsEndpoint: gcs.endpoint });
    await gcs.createBucket('hostile');
    await gcs.putObject('hostile', 'evil/ok.txt', 'fine');
    await gcs.putObject('hostile', 'evil/../../escaped-gcs.txt', 'pwned');
    await gcs.putObject('hostile', 'abs/ok.txt', 'fine');
    await gcs.putObject('hostile', 'abs//tmp/escaped-gcs-abs.txt', 'pwned');
    await gcs.createBucket('rooted');
    await gcs.putObject('rooted', '/tmp/escaped-gcs-root.txt', 'pwned');
    const names = [...(await gcs.listNames('hostile')), ...(await gcs.listNames('rooted'))];
    for (const n of ['evil/../../escaped-gcs.txt', 'abs//tmp/escaped-gcs-abs.txt', '/tmp/escaped-gcs-root.txt']) assert.ok(names.includes(n), `the server keeps ${n} as it is: ${names.join(', ')}`);
    const request = { field: 'spec.predictor.model.storageUri', namespace: 'default' };
    for (const [uri, why] of [['gs://hostile/evil', /GCS object name "\.\.\/\.\.\/escaped-gcs\.txt" .*refused/], ['gs://hostile/abs', /GCS object name "\/tmp\/escaped-gcs-abs\.txt" .*refused/], ['gs://rooted', /GCS object name "\/tmp\/escaped-gcs-root\.txt" .*refused/]] as const) {
      await assert.rejects(store.resolve(client, { ...request, uri }), (err: Error) => err instanceof StorageDownloadError && why.test(err.message), uri);
    }
    for (const file of [join(env.dataDir, 'escaped-gcs.txt'), join(env.dataDir, 'gcs-attack-cache', 'escaped-gcs.txt'), '/tmp/escaped-gcs-abs.txt', '/tmp/escaped-gcs-root.txt']) assert.ok(!existsSync(file), file);
    assert.deepEqual(listFiles(join(env.dataDir, 'gcs-attack-cache')), [], 'no half-written model and no index entry');
  });

  test('a model folder on gs:// (anonymous) is served by an InferenceService, laid out as KServe writes it', async () => {
    const ns = await freshNamespace(client, 'storage-gcs');
    await gcs.putObject('models', 'iris/v1/', '');
    await gcs.putObject('models', 'iris/v1/model.onnx', irisOnnx);
    await gcs.putObject('models', 'iris/v1/docs/README.txt', 'iris');
    // A sibling sharing the name's start is not under the folder `iris/v1/`.
    await gcs.putObject('models', 'iris/v10/other.txt', 'not this one');
    await client.create(isvc(ns, 'iris', 'gs://models/iris/v1'));
    const answer = await predict(await ready(ns, 'iris'), 'iris');
    assert.equal(answer.status, 200, answer.body);
    assert.ok(Array.isArray((JSON.parse(answer.body) as { predictions?: unknown }).predictions), answer.body);
    // One object named exactly: that file under its own name.
    await client.create(isvc(ns, 'iris-file', 'gs://models/iris/v1/model.onnx'));
    assert.equal((await predict(await ready(ns, 'iris-file'), 'iris-file')).status, 200);
    const trees = readdirSync(join(cache, 'sha256')).map((t) => listFiles(join(cache, 'sha256', t)).join(','));
    assert.ok(trees.includes('docs/README.txt,model.onnx'), `the folder, subfolder kept, sibling left out: ${trees.join(' | ')}`);
    assert.ok(trees.includes('model.onnx'), trees.join(' | '));
    assert.deepEqual(readdirSync(join(cache, 'tmp')), []);
  });

  test('a missing gs:// model gives ModelLoadFailed naming the field, and comes up once it is uploaded', async () => {
    const ns = await freshNamespace(client, 'storage-gcs-missing');
    await client.create(isvc(ns, 'late', 'gs://models/late/model'));
    const failed = await failing(ns, 'late', 'ModelLoadFailed');
    assert.match(failed.message ?? '', /^spec\.predictor\.model\.storageUri gs:\/\/models\/late\/model: Failed to fetch model\. No model found in gs:\/\/models\/late\/model\./);
    await waitFor(() => readdirSync(join(cache, 'tmp')).length === 0, { what: 'no download folder left in the cache', timeoutMs: 30_000 });
    await gcs.putObject('models', 'late/model/model.onnx', irisOnnx);
    await client.patch(InferenceServiceRef, 'late', ns, { metadata: { annotations: { 'test.floe.dev/nudge': String(Date.now()) } } }, PatchType.Merge);
    assert.equal((await predict(await ready(ns, 'late'), 'late')).status, 200);
  });

  test('a service-account key from the ServiceAccount\'s gcloud-application-credentials.json Secret signs a token request', async () => {
    const ns = await freshNamespace(client, 'storage-gcs-key');
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const tokenUri = `http://127.0.0.1:${(tokens.address() as AddressInfo).port}/token`;
    const key = { type: 'service_account', project_id: 'floe-test', private_key_id: 'k1', private_key: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), client_email: 'models@floe-test.iam.gserviceaccount.com', token_uri: tokenUri };
    await client.create({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'gcp-credentials', namespace: ns }, type: 'Opaque', data: { 'gcloud-application-credentials.json': Buffer.from(JSON.stringify(key)).toString('base64') } });
    await client.create({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'gcs-sa', namespace: ns }, secrets: [{ name: 'gcp-credentials' }] });
    await gcs.putObject('models', 'keyed/model.onnx', irisOnnx);
    const before = assertions.length;
    await client.create(isvc(ns, 'keyed', 'gs://models/keyed', { serviceAccountName: 'gcs-sa' }));
    assert.equal((await predict(await ready(ns, 'keyed'), 'keyed')).status, 200);
    const jwt = assertions[before];
    assert.ok(jwt, 'the token endpoint was asked');
    const [h, c, sig] = jwt.split('.') as [string, string, string];
    assert.ok(createVerify('RSA-SHA256').update(`${h}.${c}`).verify(publicKey, Buffer.from(sig, 'base64url')), 'signed with the key');
    const claims = JSON.parse(Buffer.from(c, 'base64url').toString()) as { iss: string; aud: string; scope: string };
    assert.equal(claims.iss, key.client_email);
    assert.equal(claims.aud, tokenUri);
    assert.match(claims.scope, /devstorage\.read_only/);
    // A key file of another kind is refused, naming the Secret.
    await client.create({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'user-creds', namespace: ns }, type: 'Opaque', data: { 'gcloud-application-credentials.json': Buffer.from('{"type": "authorized_user"}').toString('base64') } });
    await client.create({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'user-sa', namespace: ns }, secrets: [{ name: 'user-creds' }] });
    await client.create(isvc(ns, 'user', 'gs://models/keyed', { serviceAccountName: 'user-sa' }));
    const refused = await waitFor(async () => {
      const c = await readyCondition(ns, 'user');
      return c?.status === 'False' && /user-creds/.test(c.message ?? '') ? c : undefined;
    }, { what: 'the authorized_user key to be refused', timeoutMs: 120_000, intervalMs: 200 });
    assert.match(refused.message ?? '', /must be a service-account key/);
  });
});
