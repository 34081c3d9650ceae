// Unit tests of storageUri parsing and the containment check (the downloads themselves: test/kserve-storage.test.ts).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { FloeError } from '../../api/errors.js';
import { GcsDefaultEndpoint, ModelStore, StorageDownloadError, gcsEndpointFromEmulatorHost, parseStorageUri, within } from './storage.js';

describe('parseStorageUri', () => {
  const field = 'spec.predictor.model.storageUri';

  test('the schemes Floe reads', () => {
    assert.deepEqual(parseStorageUri('s3://bucket/models/iris', field), { scheme: 's3', bucket: 'bucket', path: 'models/iris' });
    assert.deepEqual(parseStorageUri('s3://bucket', field), { scheme: 's3', bucket: 'bucket', path: '' });
    assert.deepEqual(parseStorageUri('gs://bucket/models/iris', field), { scheme: 'gs', bucket: 'bucket', path: 'models/iris' });
    assert.deepEqual(parseStorageUri('gs://bucket', field), { scheme: 'gs', bucket: 'bucket', path: '' });
    assert.deepEqual(parseStorageUri('pvc://claim/a/b', field), { scheme: 'pvc', claim: 'claim', path: 'a/b' });
    assert.deepEqual(parseStorageUri('file:///models/x', field), { scheme: 'local', path: '/models/x' });
    assert.deepEqual(parseStorageUri('/models/x', field), { scheme: 'local', path: '/models/x' });
    const http = parseStorageUri('https://example.com/m/model.tar.gz?sig=1', field);
    assert.equal(http.scheme, 'http');
  });

  test('refusals name the field and the scheme', () => {
    for (const [uri, pattern] of [
      ['hdfs://nn/models', /^spec\.predictor\.model\.storageUri hdfs:\/\/nn\/models: Floe cannot download hdfs:\/\/ storage/],
      ['hf://org/model', /cannot download hf:\/\//],
      ['gs:///path', /names no bucket/],
      ['ftp://host/model', /cannot read ftp:\/\//],
      ['models/iris', /neither a URI .* nor an absolute path/],
      ['s3:///path', /names no bucket/],
      ['https://example.com/', /names no file/],
      ['pvc:///path', /names no PersistentVolumeClaim/],
    ] as const) {
      assert.throws(() => parseStorageUri(uri, field), (err: Error) => err instanceof FloeError && err.reason === 'Invalid' && pattern.test(err.message), uri);
    }
  });
});

describe('within', () => {
  test('keeps names inside the folder', () => {
    assert.equal(within('/cache/tmp/x', 'a/b.txt', 'key'), '/cache/tmp/x/a/b.txt');
    assert.equal(within('/cache/tmp/x', './a//b.txt', 'key'), '/cache/tmp/x/a/b.txt');
  });

  test('refuses `..`, absolute names, NUL and empty names', () => {
    for (const name of ['../x', 'a/../../x', 'a/..', '/etc/passwd', 'a\0b', '', '.', 'a\\..\\..\\x']) {
      assert.throws(() => within('/cache/tmp/x', name, 'key'), StorageDownloadError, JSON.stringify(name));
    }
  });
});

describe('STORAGE_EMULATOR_HOST', () => {
  test('a bare host:port is plain http, a URL is kept, empty means Google', () => {
    assert.equal(gcsEndpointFromEmulatorHost('127.0.0.1:4443'), 'http://127.0.0.1:4443');
    assert.equal(gcsEndpointFromEmulatorHost('https://gcs.local:4443/'), 'https://gcs.local:4443');
    assert.equal(gcsEndpointFromEmulatorHost(''), undefined);
    assert.equal(gcsEndpointFromEmulatorHost(undefined), undefined);
    assert.equal(new ModelStore({ cacheDir: '/nonexistent' }).gcsEndpoint, GcsDefaultEndpoint);
  });
});
