// Encryption at rest: kube's EncryptionConfiguration providers, and a real SQLite store whose file (objects and change
// log) holds no Secret value in the clear.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createDecipheriv, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { KubeObject } from '../api/meta.js';
import { Encryption, EncryptionConfigError, generatedEncryptionConfig, loadEncryption } from './encryption.js';
import { resourceKey, Store } from './store.js';

const secrets = resourceKey('', 'secrets');
const configMaps = resourceKey('', 'configmaps');
const key32 = (): string => randomBytes(32).toString('base64');

function config(providers: string): string {
  return `apiVersion: apiserver.config.k8s.io/v1
kind: EncryptionConfiguration
resources:
  - resources: [secrets]
    providers:
${providers}`;
}

const provider = (name: string, keys: [string, string][]): string =>
  `      - ${name}:\n          keys:\n${keys.map(([n, s]) => `            - name: ${n}\n              secret: ${s}\n`).join('')}`;

function secret(name: string, value: string): KubeObject {
  return { apiVersion: 'v1', kind: 'Secret', metadata: { name, namespace: 'default' }, data: { password: Buffer.from(value).toString('base64') }, stringData: undefined };
}

/** Every byte of the database and its write-ahead log, after a checkpoint. */
function fileBytes(path: string): Buffer {
  const parts = [readFileSync(path)];
  try {
    parts.push(readFileSync(`${path}-wal`));
  } catch {
    // no WAL
  }
  return Buffer.concat(parts);
}

describe('encryption providers', () => {
  for (const name of ['aesgcm', 'aescbc', 'secretbox']) {
    test(`${name}: the value carries k8s:enc:${name}:v1:<key>: and round-trips; another key cannot open it`, () => {
      const enc = Encryption.parse(config(provider(name, [['first', key32()]])));
      const stored = enc.toStorage(secrets, '/registry/secrets/default/a', '{"x":"hunter2"}');
      assert.ok(Buffer.isBuffer(stored));
      assert.ok(stored.subarray(0, 30).toString('latin1').startsWith(`k8s:enc:${name}:v1:first:`), stored.subarray(0, 30).toString('latin1'));
      assert.ok(!stored.includes('hunter2'));
      assert.equal(enc.fromStorage(secrets, '/registry/secrets/default/a', stored), '{"x":"hunter2"}');
      const other = Encryption.parse(config(provider(name, [['first', key32()]])));
      assert.throws(() => other.fromStorage(secrets, '/registry/secrets/default/a', stored), EncryptionConfigError);
    });
  }

  test('aesgcm is kube\'s layout: 12-byte nonce, ciphertext, 16-byte tag, the storage key as authenticated data', () => {
    const secretKey = randomBytes(32);
    const enc = Encryption.parse(config(provider('aesgcm', [['k', secretKey.toString('base64')]])));
    const stored = enc.toStorage(secrets, '/registry/secrets/default/a', 'plain text') as Buffer;
    const body = stored.subarray('k8s:enc:aesgcm:v1:k:'.length);
    const decipher = createDecipheriv('aes-256-gcm', secretKey, body.subarray(0, 12));
    decipher.setAAD(Buffer.from('/registry/secrets/default/a'));
    decipher.setAuthTag(body.subarray(body.length - 16));
    assert.equal(Buffer.concat([decipher.update(body.subarray(12, body.length - 16)), decipher.final()]).toString(), 'plain text');
    // Copied into another object's row, the value does not open.
    assert.throws(() => enc.fromStorage(secrets, '/registry/secrets/default/b', stored), /authenticate/);
  });

  test('the first provider writes, every listed key reads: rotation', () => {
    const oldKey = key32();
    const newKey = key32();
    const before = Encryption.parse(config(provider('aescbc', [['old', oldKey]])));
    const sealedOld = before.toStorage(secrets, 'c', 'v1');
    const rotated = Encryption.parse(config(provider('aesgcm', [['new', newKey]]) + provider('aescbc', [['old', oldKey]])));
    assert.equal(rotated.fromStorage(secrets, 'c', sealedOld), 'v1');
    assert.ok((rotated.toStorage(secrets, 'c', 'v2') as Buffer).toString('latin1').startsWith('k8s:enc:aesgcm:v1:new:'));
    const removed = Encryption.parse(config(provider('aesgcm', [['new', newKey]])));
    assert.throws(() => removed.fromStorage(secrets, 'c', sealedOld), /no provider .* reads values prefixed "k8s:enc:aescbc:v1:old/);
  });

  test('identity: clear values are read only when identity is listed; identity first writes in the clear', () => {
    const withIdentity = Encryption.parse(config(provider('aesgcm', [['k', key32()]]) + '      - identity: {}\n'));
    assert.equal(withIdentity.fromStorage(secrets, 'c', '{"a":1}'), '{"a":1}');
    const without = Encryption.parse(config(provider('aesgcm', [['k', key32()]])));
    assert.throws(() => without.fromStorage(secrets, 'c', '{"a":1}'), /no identity provider/);
    const identityFirst = Encryption.parse(config('      - identity: {}\n' + provider('aesgcm', [['k', key32()]])));
    assert.equal(identityFirst.toStorage(secrets, 'c', '{"a":1}'), '{"a":1}');
    // Resources no rule names are not touched.
    assert.equal(without.handles(configMaps), false);
    assert.equal(without.handles(secrets), true);
  });

  test('resource names: secrets, configmaps, *.apps, *.*', () => {
    const enc = Encryption.parse(`apiVersion: apiserver.config.k8s.io/v1
kind: EncryptionConfiguration
resources:
  - resources: [secrets, "*.apps"]
    providers: [{ aesgcm: { keys: [{ name: a, secret: ${key32()} }] } }]
  - resources: ["*.*"]
    providers: [{ identity: {} }]
`);
    assert.ok(enc.handles(secrets));
    assert.ok(enc.handles('apps/deployments'));
    assert.ok(Buffer.isBuffer(enc.toStorage('apps/deployments', 'c', '{}')));
    assert.equal(enc.toStorage(configMaps, 'c', '{}'), '{}');
  });

  test('bad configurations are refused with the field', () => {
    assert.throws(() => Encryption.parse('kind: Other'), /EncryptionConfiguration/);
    assert.throws(() => Encryption.parse(config(provider('aesgcm', [['k', randomBytes(10).toString('base64')]]))), /secret is not of the expected length, got 10/);
    assert.throws(() => Encryption.parse(config(provider('aescbc', [['k', randomBytes(16).toString('base64')]]))), /expected one of \[32\]/);
    assert.throws(() => Encryption.parse(config(provider('aesgcm', [['a:b', key32()]]))), /should not contain ':'/);
    assert.throws(() => Encryption.parse(config(provider('aesgcm', [['k', key32()], ['k', key32()]]))), /Duplicate value: "k"/);
    assert.throws(() => Encryption.parse(config('      - kms: { name: x }\n')), /kms provider is not supported/);
  });
});

describe('a store with encryption at rest', () => {
  test('no Secret value is in the SQLite file (objects, change log, deletions); reads, lists and watches decrypt', () => {
    const dir = mkdtempSync(join(tmpdir(), 'floe-enc-'));
    try {
      const { encryption, path, generated } = loadEncryption({ dataDir: dir });
      assert.equal(generated, true);
      assert.equal(statSync(path).mode & 0o777, 0o600);
      const dbPath = join(dir, 'floe.db');
      const store = new Store({ path: dbPath, transformer: encryption });
      const seen: string[] = [];
      const stop = store.watch(secrets, 0, (c) => seen.push(`${c.type}:${String((c.object as unknown as { data: { password: string } }).data.password)}`));
      store.create(secrets, secret('db', 'correct-horse-battery-staple'));
      const updated = store.get(secrets, 'default', 'db')!;
      (updated as unknown as { data: Record<string, string> }).data.password = Buffer.from('second-secret-value-42').toString('base64');
      store.update(secrets, updated);
      store.create(secrets, secret('gone', 'deleted-secret-value-77'));
      store.delete(secrets, 'default', 'gone');
      store.create(configMaps, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cm', namespace: 'default' }, data: { k: 'visible-config' } });
      stop();
      assert.equal(seen.length, 4);
      assert.equal((store.get(secrets, 'default', 'db') as unknown as { data: { password: string } }).data.password, Buffer.from('second-secret-value-42').toString('base64'));
      assert.equal(store.list(secrets).items.length, 1);
      const replay: string[] = [];
      store.watch(secrets, 0, (c) => replay.push(c.type))();
      assert.deepEqual(replay, ['ADDED', 'MODIFIED', 'ADDED', 'DELETED']);
      store.close();
      const bytes = fileBytes(dbPath);
      for (const value of ['correct-horse-battery-staple', 'second-secret-value-42', 'deleted-secret-value-77']) {
        for (const form of [value, Buffer.from(value).toString('base64')]) assert.equal(bytes.includes(form), false, `${form} is in the database file`);
      }
      // ConfigMaps stay readable JSON (SQLite's json functions keep working on them).
      assert.ok(bytes.includes('visible-config'));
      const db = new Database(dbPath, { readonly: true });
      const rows = db.prepare("SELECT data FROM objects WHERE resource = '/secrets'").all() as { data: Buffer }[];
      db.close();
      assert.ok(rows.every((r) => Buffer.isBuffer(r.data) && r.data.toString('latin1').startsWith('k8s:enc:aesgcm:v1:key1:')));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('clear Secrets of an older store keep reading; rewrite encrypts them; rotation and removal of the old key', () => {
    const dir = mkdtempSync(join(tmpdir(), 'floe-enc-'));
    try {
      const dbPath = join(dir, 'floe.db');
      const plain = new Store({ path: dbPath });
      plain.create(secrets, secret('old', 'written-before-encryption'));
      const marked = plain.create(secrets, { ...secret('held', 'held-by-finalizer'), metadata: { name: 'held', namespace: 'default', finalizers: ['example.com/hold'] } });
      plain.delete(secrets, 'default', marked.metadata.name!);
      plain.close();
      assert.ok(fileBytes(dbPath).includes(Buffer.from('written-before-encryption').toString('base64')));

      const first = key32();
      const configPath = join(dir, 'enc.yaml');
      writeFileSync(configPath, config(provider('secretbox', [['one', first]]) + '      - identity: {}\n'), { mode: 0o600 });
      let store = new Store({ path: dbPath, transformer: loadEncryption({ dataDir: dir, configPath }).encryption });
      assert.equal((store.get(secrets, 'default', 'old') as unknown as { data: { password: string } }).data.password, Buffer.from('written-before-encryption').toString('base64'));
      assert.deepEqual(store.markedForDeletion().map((m) => m.object.metadata.name), ['held']);
      const counts = store.rewrite(secrets);
      assert.equal(counts.objects, 2);
      assert.ok(counts.changes >= 3);
      assert.deepEqual(store.markedForDeletion().map((m) => m.object.metadata.name), ['held'], 'encrypted rows marked for deletion are still found');
      store.close();
      assert.equal(fileBytes(dbPath).includes(Buffer.from('written-before-encryption').toString('base64')), false);

      // Rotation: a new first key, rewrite, then the old key can go.
      const second = key32();
      writeFileSync(configPath, config(provider('aesgcm', [['two', second]]) + provider('secretbox', [['one', first]])));
      store = new Store({ path: dbPath, transformer: loadEncryption({ dataDir: dir, configPath }).encryption });
      store.rewrite(secrets);
      store.close();
      writeFileSync(configPath, config(provider('aesgcm', [['two', second]])));
      store = new Store({ path: dbPath, transformer: loadEncryption({ dataDir: dir, configPath }).encryption });
      assert.equal((store.get(secrets, 'default', 'old') as unknown as { data: { password: string } }).data.password, Buffer.from('written-before-encryption').toString('base64'));
      const replay: string[] = [];
      store.watch(secrets, 0, (c) => replay.push(`${c.type}:${c.object.metadata.name ?? ''}`))();
      assert.deepEqual(replay, ['ADDED:old', 'ADDED:held', 'MODIFIED:held']);
      store.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('the generated configuration is a valid EncryptionConfiguration with a 32-byte AES-GCM key', () => {
    const text = generatedEncryptionConfig('key1', Buffer.alloc(32, 7));
    const enc = Encryption.parse(text);
    assert.ok((enc.toStorage(secrets, 'c', 'x') as Buffer).toString('latin1').startsWith('k8s:enc:aesgcm:v1:key1:'));
    assert.equal(enc.fromStorage(secrets, 'c', 'clear'), 'clear');
  });
});
