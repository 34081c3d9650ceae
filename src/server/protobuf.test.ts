// The protobuf envelope kubectl's typed clients send, decoded into the object's JSON.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FloeError } from '../api/errors.js';
import { decodeKubernetesProtobuf } from './protobuf.js';

const field = (n: number, payload: Buffer): Buffer => Buffer.concat([Buffer.from([(n << 3) | 2, payload.length]), payload]);
const str = (n: number, s: string): Buffer => field(n, Buffer.from(s));
const entry = (n: number, k: string, v: Buffer | string): Buffer => field(n, Buffer.concat([str(1, k), typeof v === 'string' ? str(2, v) : field(2, v)]));
const envelope = (apiVersion: string, kind: string, raw: Buffer): Buffer =>
  Buffer.concat([Buffer.from('k8s\0', 'binary'), field(1, Buffer.concat([str(1, apiVersion), str(2, kind)])), field(2, raw)]);

test('a Secret decodes with base64 data, labels, and empty strings omitted', () => {
  const meta = Buffer.concat([str(1, 's1'), str(2, ''), str(3, 'team'), entry(11, 'app', 'web')]);
  const body = envelope('v1', 'Secret', Buffer.concat([field(1, meta), entry(2, 'pw', Buffer.from('x')), str(3, '')]));
  assert.deepEqual(decodeKubernetesProtobuf(body), {
    apiVersion: 'v1', kind: 'Secret', metadata: { name: 's1', namespace: 'team', labels: { app: 'web' } }, data: { pw: Buffer.from('x').toString('base64') },
  });
});

test('other built-in kinds decode through the generated table: a Deployment with an inlined volume source', () => {
  const varint = (n: number, v: number): Buffer => {
    const tag = n << 3;
    return Buffer.from(tag < 128 ? [tag, v] : [(tag & 0x7f) | 0x80, tag >> 7, v]);
  };
  const volume = Buffer.concat([str(1, 'cache'), field(2, field(2, Buffer.alloc(0)))]); // name, VolumeSource{emptyDir: {}}
  const container = Buffer.concat([str(1, 'web'), str(2, 'nginx:1.27'), varint(16, 0)]); // stdin false is left out
  const podSpec = Buffer.concat([field(1, volume), field(2, container)]);
  const template = Buffer.concat([field(1, entry(11, 'app', 'web')), field(2, podSpec)]);
  const spec = Buffer.concat([varint(1, 3), field(3, template), varint(5, 0)]);
  const body = envelope('apps/v1', 'Deployment', Buffer.concat([field(1, str(1, 'web')), field(2, spec)]));
  assert.deepEqual(decodeKubernetesProtobuf(body), {
    apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web' },
    spec: { replicas: 3, template: { metadata: { labels: { app: 'web' } }, spec: { volumes: [{ name: 'cache', emptyDir: {} }], containers: [{ name: 'web', image: 'nginx:1.27' }] } } },
  });
});

test('kinds Floe cannot decode are refused with a way out', () => {
  assert.throws(() => decodeKubernetesProtobuf(envelope('certificates.k8s.io/v1', 'CertificateSigningRequest', Buffer.alloc(0))), (err: unknown) =>
    err instanceof FloeError && err.reason === 'UnsupportedMediaType' && /application\/json/.test(err.message));
  assert.throws(() => decodeKubernetesProtobuf(Buffer.from('{}')), (err: unknown) => err instanceof FloeError && err.reason === 'BadRequest');
});
