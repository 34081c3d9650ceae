// ConfigMaps and Secrets: key rules, size limit, base64, Secret types, stringData and immutability.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../meta.js';
import { defaultSecret, validateConfigMap, validateSecret } from './config-data.js';

const configMap = (extra: Record<string, unknown>): KubeObject => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', namespace: 'ns' }, ...extra });
const secret = (extra: Record<string, unknown>, annotations?: Record<string, string>): KubeObject => ({
  apiVersion: 'v1', kind: 'Secret', metadata: annotations ? { name: 's', namespace: 'ns', annotations } : { name: 's', namespace: 'ns' }, ...extra,
});
const b64 = (s: string) => Buffer.from(s).toString('base64');

describe('ConfigMap', () => {
  test('keys must be config keys', () => {
    const errors = validateConfigMap(configMap({ data: { 'ok.key_1-x': 'v', 'bad key': 'v', '..hidden': 'v', '.': 'v' }, binaryData: { 'ok.key_1-x': b64('x'), 'bad/bin': 'not base64!' } }));
    assert.deepEqual(errors.map((e) => e.field), ['data[bad key]', 'data[..hidden]', 'data[.]', 'binaryData[bad/bin]', 'binaryData[bad/bin]', 'data[ok.key_1-x]', 'binaryData[ok.key_1-x]']);
    assert.equal(errors[0]?.message, "Invalid value: \"bad key\": a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')");
    assert.equal(errors[1]?.message, "Invalid value: \"..hidden\": must not start with '..'");
    assert.equal(errors[5]?.message, 'Invalid value: "ok.key_1-x": duplicate of key present in binaryData');
  });

  test('1 MiB in all', () => {
    assert.deepEqual(validateConfigMap(configMap({ data: { a: 'x'.repeat(512 * 1024), b: 'y'.repeat(512 * 1024) } })), []);
    const errors = validateConfigMap(configMap({ data: { a: 'x'.repeat(512 * 1024), b: 'y'.repeat(512 * 1024 + 1) } }));
    assert.deepEqual(errors, [{ type: 'FieldValueTooLong', field: '', message: 'Too long: may not be more than 1048576 bytes' }]);
  });

  test('an immutable ConfigMap keeps its data', () => {
    const old = configMap({ immutable: true, data: { a: '1' } });
    assert.deepEqual(validateConfigMap(configMap({ immutable: true, data: { a: '1' } }), old), []);
    assert.deepEqual(validateConfigMap(configMap({ data: { a: '2' }, binaryData: { b: b64('x') } }), old).map((e) => e.field), ['immutable', 'data', 'binaryData']);
    assert.deepEqual(validateConfigMap(configMap({ data: { a: '2' } }), configMap({ data: { a: '1' } })), []);
  });
});

describe('Secret', () => {
  test('type defaults to Opaque; stringData is merged into data as base64 and dropped', () => {
    const s = secret({ data: { user: b64('old'), keep: b64('k') }, stringData: { user: 'admin', password: 'pw' } });
    defaultSecret(s);
    assert.equal(s.type, 'Opaque');
    assert.deepEqual(s.data, { user: b64('admin'), keep: b64('k'), password: b64('pw') });
    assert.equal('stringData' in s, false);
    const typed = secret({ type: 'kubernetes.io/tls', stringData: { 'tls.crt': 'c', 'tls.key': 'k' } });
    defaultSecret(typed);
    assert.equal(typed.type, 'kubernetes.io/tls');
    assert.deepEqual(validateSecret(typed), []);
  });

  test('keys, base64 values and size', () => {
    const errors = validateSecret(secret({ type: 'Opaque', data: { 'bad key': b64('x'), ok: '***', pad: 'abc' } }));
    assert.deepEqual(errors.map((e) => e.field), ['data[bad key]', 'data[ok]', 'data[pad]']);
    assert.equal(errors[1]?.message, 'Invalid value: "<secret contents redacted>": must be base64 encoded');
    const big = Buffer.alloc(1024 * 1024 + 1).toString('base64');
    assert.deepEqual(validateSecret(secret({ type: 'Opaque', data: { big } })).map((e) => `${e.type} ${e.field}`), ['FieldValueTooLong data']);
  });

  test('typed secrets need their keys', () => {
    const fields = (type: string, data: Record<string, string> = {}, annotations?: Record<string, string>) => validateSecret(secret({ type, data }, annotations)).map((e) => e.field);
    assert.deepEqual(fields('kubernetes.io/tls'), ['data[tls.crt]', 'data[tls.key]']);
    assert.deepEqual(fields('kubernetes.io/basic-auth'), ['data[username]', 'data[password]']);
    assert.deepEqual(fields('kubernetes.io/basic-auth', { password: b64('x') }), []);
    assert.deepEqual(fields('kubernetes.io/ssh-auth'), ['data[ssh-privatekey]']);
    assert.deepEqual(fields('kubernetes.io/dockerconfigjson'), ['data[.dockerconfigjson]']);
    assert.deepEqual(fields('kubernetes.io/dockerconfigjson', { '.dockerconfigjson': b64('{not json') }), ['data[.dockerconfigjson]']);
    assert.deepEqual(fields('kubernetes.io/dockerconfigjson', { '.dockerconfigjson': b64('{"auths":{}}') }), []);
    assert.deepEqual(fields('kubernetes.io/service-account-token'), ['metadata.annotations[kubernetes.io/service-account.name]']);
    assert.deepEqual(fields('kubernetes.io/service-account-token', {}, { 'kubernetes.io/service-account.name': 'default' }), []);
    assert.deepEqual(fields('example.com/custom'), []);
  });

  test('type is immutable, and so is the data of an immutable secret', () => {
    const old = secret({ type: 'Opaque', immutable: true, data: { a: b64('1') } });
    assert.deepEqual(validateSecret(secret({ type: 'Opaque', immutable: true, data: { a: b64('1') } }), old), []);
    const errors = validateSecret(secret({ type: 'example.com/other', immutable: true, data: { a: b64('2') } }), old);
    assert.deepEqual(errors.map((e) => `${e.field}: ${e.message}`), ['type: Invalid value: "example.com/other": field is immutable', 'data: Forbidden: field is immutable when `immutable` is set']);
  });
});
