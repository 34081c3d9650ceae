// Object roots as KFP's launcher resolves them: URI parsing, the providers config (default, overrides, fromEnv) and the
// defaults without one.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { FloeError } from '../../api/errors.js';
import { parseObjectUri, sessionFor } from './object-store.js';

const providers = `
s3:
  default:
    endpoint: s3.example:9000
    disableSSL: true
    region: eu-west-1
    credentials:
      fromEnv: false
      secretRef: {secretName: s3-creds, accessKeyKey: AWS_ACCESS_KEY_ID, secretKeyKey: AWS_SECRET_ACCESS_KEY}
  Overrides:
    - bucketName: other
      keyPrefix: team-a
      endpoint: other.example
      credentials:
        secretRef: {secretName: team-a, accessKeyKey: a, secretKeyKey: s}
    - bucketName: envbucket
      credentials: {fromEnv: true}
`;

describe('object roots', () => {
  test('s3:// and minio:// URIs split into bucket and key; other schemes are not object roots', () => {
    assert.deepEqual(parseObjectUri('s3://bucket/a/b/'), { provider: 's3', bucket: 'bucket', key: 'a/b' });
    assert.deepEqual(parseObjectUri('minio://mlpipeline/v2/artifacts'), { provider: 'minio', bucket: 'mlpipeline', key: 'v2/artifacts' });
    assert.deepEqual(parseObjectUri('s3://bucket'), { provider: 's3', bucket: 'bucket', key: '' });
    assert.equal(parseObjectUri('gs://bucket/x'), undefined);
    assert.equal(parseObjectUri('/local/path'), undefined);
  });

  test("the provider's default, then the override whose bucket and key prefix match", () => {
    assert.deepEqual(sessionFor(parseObjectUri('s3://main/x')!, providers), {
      endpoint: 's3.example:9000', region: 'eu-west-1', disableSSL: true, forcePathStyle: true,
      credentials: { secretName: 's3-creds', accessKeyKey: 'AWS_ACCESS_KEY_ID', secretKeyKey: 'AWS_SECRET_ACCESS_KEY' },
    });
    const teamA = sessionFor(parseObjectUri('s3://other/team-a/run')!, providers);
    assert.equal(teamA.endpoint, 'other.example');
    assert.deepEqual(teamA.credentials, { secretName: 'team-a', accessKeyKey: 'a', secretKeyKey: 's' });
    assert.equal(sessionFor(parseObjectUri('s3://other/team-b')!, providers).endpoint, 's3.example:9000', 'the prefix does not match');
    assert.equal(sessionFor(parseObjectUri('s3://envbucket/x')!, providers).credentials, 'env');
  });

  test("without a providers entry: minio is KFP's in-cluster MinIO with mlpipeline-minio-artifact; s3 the environment", () => {
    assert.deepEqual(sessionFor(parseObjectUri('minio://mlpipeline/v2')!, undefined), {
      endpoint: 'minio-service.kubeflow:9000', region: 'minio', disableSSL: true, forcePathStyle: true,
      credentials: { secretName: 'mlpipeline-minio-artifact', accessKeyKey: 'accesskey', secretKeyKey: 'secretkey' },
    });
    assert.equal(sessionFor(parseObjectUri('s3://b/k')!, '').credentials, 'env');
  });

  test('a providers entry without credentials, or not YAML, is refused with the ConfigMap named', () => {
    assert.throws(() => sessionFor(parseObjectUri('s3://b/k')!, 's3: {default: {endpoint: x}}'), (err: unknown) => err instanceof FloeError && /kfp-launcher providers\.s3\.default: missing credentials/.test(err.message));
    assert.throws(() => sessionFor(parseObjectUri('s3://b/k')!, 's3: [unclosed'), /providers is not YAML/);
  });
});
