// Store semantics: revisions, optimistic concurrency, finalizers, watch replay and compaction, GC, crash atomicity.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { FloeError } from '../api/errors.js';
import type { KubeObject } from '../api/meta.js';
import { GarbageCollector } from './gc.js';
import { gcFinalizers, resourceKey, Store, type StoreChange } from './store.js';

const cms = resourceKey('', 'configmaps');
const dirs: string[] = [];
after(() => { for (const d of dirs) rmSync(d, { recursive: true, force: true }); });

function tempDb(): string {
  const dir = mkdtempSync(join(tmpdir(), 'floe-store-'));
  dirs.push(dir);
  return join(dir, 'floe.db');
}

function cm(name: string, data: Record<string, string> = {}, extra: Partial<KubeObject['metadata']> = {}): KubeObject {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: 'ns', ...extra }, data };
}

function reason(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    if (err instanceof FloeError) return err.reason;
    throw err;
  }
  return 'no error';
}

describe('store', () => {
  test('create sets system fields and resourceVersions increase monotonically', () => {
    const store = new Store({ path: ':memory:' });
    const a = store.create(cms, cm('a'));
    const b = store.create(cms, cm('b'));
    assert.match(a.metadata.uid ?? '', /^[0-9a-f-]{36}$/);
    assert.equal(a.metadata.generation, 1);
    assert.ok(a.metadata.creationTimestamp);
    assert.ok(Number(b.metadata.resourceVersion) > Number(a.metadata.resourceVersion));
    assert.equal(reason(() => store.create(cms, cm('a'))), 'AlreadyExists');
    store.close();
  });

  test('a stale resourceVersion is a Conflict and changes nothing', () => {
    const store = new Store({ path: ':memory:' });
    const a = store.create(cms, cm('a', { k: '1' }));
    const fresh = store.update(cms, { ...a, data: { k: '2' } }, { expectRevision: a.metadata.resourceVersion! });
    assert.equal(reason(() => store.update(cms, { ...a, data: { k: '3' } }, { expectRevision: a.metadata.resourceVersion! })), 'Conflict');
    assert.deepEqual(store.get(cms, 'ns', 'a')?.data, { k: '2' });
    assert.equal(store.get(cms, 'ns', 'a')?.metadata.resourceVersion, fresh.metadata.resourceVersion);
    store.close();
  });

  test('an update that changes nothing keeps the resourceVersion', () => {
    const store = new Store({ path: ':memory:' });
    const a = store.create(cms, cm('a', { k: '1' }));
    const same = store.update(cms, a);
    assert.equal(same.metadata.resourceVersion, a.metadata.resourceVersion);
    store.close();
  });

  test('finalizers hold a deleted object until the last one is removed', () => {
    const store = new Store({ path: ':memory:' });
    store.create(cms, cm('a', {}, { finalizers: ['example.com/hold'] }));
    const { object, gone } = store.delete(cms, 'ns', 'a');
    assert.equal(gone, false);
    assert.ok(object.metadata.deletionTimestamp);
    assert.equal(reason(() => store.update(cms, { ...object, metadata: { ...object.metadata, finalizers: ['example.com/hold', 'new'] } })), 'Forbidden');
    store.update(cms, { ...object, metadata: { ...object.metadata, finalizers: [] } });
    assert.equal(store.get(cms, 'ns', 'a'), undefined);
    store.close();
  });

  test('list pages in name order with no gap and no duplicate', () => {
    const store = new Store({ path: ':memory:' });
    for (let i = 0; i < 57; i++) store.create(cms, cm(`o-${String(i).padStart(3, '0')}`));
    const seen: string[] = [];
    let after: string | undefined;
    for (;;) {
      const page = store.list(cms, after === undefined ? { limit: 10 } : { limit: 10, after });
      seen.push(...page.items.map((o) => o.metadata.name ?? ''));
      if (page.continueAfter === undefined) break;
      after = page.continueAfter;
    }
    assert.equal(seen.length, 57);
    assert.deepEqual(seen, [...seen].sort());
    assert.equal(new Set(seen).size, 57);
    store.close();
  });

  test('watch replays from a revision then continues live, without gap or duplicate', () => {
    const store = new Store({ path: ':memory:' });
    const first = store.create(cms, cm('a'));
    store.create(cms, cm('b'));
    const got: StoreChange[] = [];
    const stop = store.watch(cms, Number(first.metadata.resourceVersion), (c) => got.push(c));
    store.delete(cms, 'ns', 'a');
    stop();
    store.create(cms, cm('c'));
    assert.deepEqual(got.map((c) => `${c.type} ${c.object.metadata.name}`), ['ADDED b', 'DELETED a']);
    const revisions = got.map((c) => c.revision);
    assert.deepEqual(revisions, [...revisions].sort((x, y) => x - y));
    store.close();
  });

  test('watching from before the compacted history is 410 Gone', () => {
    const store = new Store({ path: ':memory:', historyLimit: 5 });
    const first = store.create(cms, cm('a'));
    for (let i = 0; i < 20; i++) store.update(cms, { ...store.get(cms, 'ns', 'a')!, data: { i: String(i) } });
    store.compact();
    assert.equal(reason(() => store.watch(cms, Number(first.metadata.resourceVersion), () => undefined)), 'Expired');
    assert.doesNotThrow(() => store.watch(cms, store.currentRevision() - 2, () => undefined)());
    store.close();
  });

  test('a failed transaction leaves nothing behind and notifies nobody', () => {
    const store = new Store({ path: ':memory:' });
    const seen: StoreChange[] = [];
    store.watch(undefined, store.currentRevision(), (c) => seen.push(c));
    const before = store.currentRevision();
    assert.throws(() => store.transaction(() => {
      store.create(cms, cm('x'));
      store.create(cms, cm('x'));
    }));
    assert.equal(store.get(cms, 'ns', 'x'), undefined);
    assert.equal(seen.length, 0);
    assert.equal(store.currentRevision(), before);
    store.close();
  });

  test('state survives reopening the database', () => {
    const path = tempDb();
    const store = new Store({ path });
    store.create(cms, cm('kept', { k: 'v' }));
    const rv = store.currentRevision();
    store.close();
    const again = new Store({ path });
    assert.deepEqual(again.get(cms, 'ns', 'kept')?.data, { k: 'v' });
    assert.equal(again.currentRevision(), rv);
    assert.ok(again.create(cms, cm('next')).metadata.resourceVersion! > String(rv - 1));
    again.close();
  });
});

describe('garbage collector', () => {
  function setup(): { store: Store; gc: GarbageCollector } {
    const store = new Store({ path: ':memory:' });
    const gc = new GarbageCollector({ store });
    gc.start();
    return { store, gc };
  }
  const ownedBy = (o: KubeObject) => ({ ownerReferences: [{ apiVersion: 'v1', kind: 'ConfigMap', name: o.metadata.name!, uid: o.metadata.uid! }] });

  test('background: dependents go after their owner', async () => {
    const { store, gc } = setup();
    const parent = store.create(cms, cm('parent'));
    const child = store.create(cms, cm('child', {}, ownedBy(parent)));
    store.create(cms, cm('grandchild', {}, ownedBy(child)));
    store.delete(cms, 'ns', 'parent');
    await gc.idle();
    assert.equal(store.get(cms, 'ns', 'child'), undefined);
    assert.equal(store.get(cms, 'ns', 'grandchild'), undefined);
    gc.stop();
    store.close();
  });

  test('a dependent with another live owner only loses the reference', async () => {
    const { store, gc } = setup();
    const p1 = store.create(cms, cm('p1'));
    const p2 = store.create(cms, cm('p2'));
    store.create(cms, cm('shared', {}, { ownerReferences: [...ownedBy(p1).ownerReferences, ...ownedBy(p2).ownerReferences] }));
    store.delete(cms, 'ns', 'p1');
    await gc.idle();
    assert.deepEqual(store.get(cms, 'ns', 'shared')?.metadata.ownerReferences?.map((r) => r.name), ['p2']);
    gc.stop();
    store.close();
  });

  test('orphan: dependents stay and are released', async () => {
    const { store, gc } = setup();
    const parent = store.create(cms, cm('parent'));
    store.create(cms, cm('child', {}, ownedBy(parent)));
    store.delete(cms, 'ns', 'parent', { propagationFinalizer: gcFinalizers.orphan });
    await gc.idle();
    assert.equal(store.get(cms, 'ns', 'parent'), undefined);
    assert.equal(store.get(cms, 'ns', 'child')?.metadata.ownerReferences, undefined);
    gc.stop();
    store.close();
  });

  test('foreground: the owner waits for a dependent held by a finalizer', async () => {
    const { store, gc } = setup();
    const parent = store.create(cms, cm('parent'));
    store.create(cms, cm('child', {}, { ...ownedBy(parent), finalizers: ['example.com/hold'] }));
    store.delete(cms, 'ns', 'parent', { propagationFinalizer: gcFinalizers.foreground });
    await gc.idle();
    assert.ok(store.get(cms, 'ns', 'parent')?.metadata.deletionTimestamp);
    const child = store.get(cms, 'ns', 'child')!;
    assert.ok(child.metadata.deletionTimestamp);
    store.update(cms, { ...child, metadata: { ...child.metadata, finalizers: [] } });
    await gc.idle();
    assert.equal(store.get(cms, 'ns', 'child'), undefined);
    assert.equal(store.get(cms, 'ns', 'parent'), undefined);
    gc.stop();
    store.close();
  });

  test('dependents orphaned by a crash are collected at start', async () => {
    const store = new Store({ path: ':memory:' });
    const parent = store.create(cms, cm('parent'));
    store.create(cms, cm('child', {}, ownedBy(parent)));
    store.delete(cms, 'ns', 'parent');
    const gc = new GarbageCollector({ store });
    gc.start();
    await gc.idle();
    assert.equal(store.get(cms, 'ns', 'child'), undefined);
    gc.stop();
    store.close();
  });
});

describe('crash atomicity', () => {
  test('killing the process mid-write leaves each object whole, old or new', async () => {
    const path = tempDb();
    // A writer that keeps two fields equal in every write; SIGKILL lands at an arbitrary instant.
    const script = `
      import { Store, resourceKey } from ${JSON.stringify(new URL('./store.js', import.meta.url).href)};
      const store = new Store({ path: ${JSON.stringify(path)} });
      const key = resourceKey('', 'configmaps');
      for (let i = 0; i < 20; i++) store.create(key, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'o' + i, namespace: 'ns' }, data: { a: '0', b: '0' } });
      process.stdout.write('ready\\n');
      for (let n = 1; ; n++) {
        store.transaction(() => {
          for (let i = 0; i < 20; i++) {
            const o = store.get(key, 'ns', 'o' + i);
            o.data = { a: String(n), b: String(n), pad: 'x'.repeat(2000) };
            store.update(key, o);
          }
        });
      }`;
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise<void>((resolve) => child.stdout.once('data', () => resolve()));
    await new Promise((r) => setTimeout(r, 300 + Math.floor(Math.random() * 300)));
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    const store = new Store({ path });
    const values = new Set<string>();
    for (let i = 0; i < 20; i++) {
      const o = store.get(cms, 'ns', `o${i}`);
      const data = o?.data as { a: string; b: string } | undefined;
      assert.ok(data, `o${i} must survive`);
      assert.equal(data.a, data.b, `o${i} must be whole`);
      values.add(data.a);
    }
    // Each transaction wrote all 20 objects together: all or none.
    assert.equal(values.size, 1);
    assert.ok(Number([...values][0]) > 0, 'some writes committed before the kill');
    store.close();
  });
});
