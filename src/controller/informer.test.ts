// Informer and InformerFactory against a real Floe: cache contents, handlers, selectors, indexes, resume and relist.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { KubeList, KubeObject } from '../api/meta.js';
import type { Client, DeleteOptions, KindRef, ListOptions, PatchOptions, PatchType, WatchOptions, WatchStream, WriteOptions } from '../client/client.js';
// Integration tests start a real Floe; the runtime itself imports only api and client.
// eslint-disable-next-line no-restricted-imports
import { defaultConfig } from '../server/config.js';
// eslint-disable-next-line no-restricted-imports
import { startFloe, type Floe } from '../server/floe.js';
import { ConfigMapRef, configMap, freshNamespace, RootCaConfigMap } from '../../test/helpers/fixtures.js';
import { waitFor } from '../../test/helpers/wait.js';
import { Informer } from './informer.js';
import { InformerFactory } from './informer-factory.js';

/**
 * The real client with a watch connection the test can cut, as a network failure would: `cut()` ends every
 * open watch and holds new ones until `reconnect()`. Everything else goes straight to the real client.
 */
class CuttableClient implements Client {
  lists = 0;
  private readonly inner: Client;
  private readonly open = new Set<WatchStream>();
  private gate: Promise<void> | undefined;
  private release: (() => void) | undefined;

  constructor(options: { client: Client }) {
    this.inner = options.client;
  }

  cut(): void {
    this.gate = new Promise((resolve) => (this.release = resolve));
    for (const stream of this.open) stream.close();
    this.open.clear();
  }

  reconnect(): void {
    this.release?.();
    this.gate = undefined;
  }

  get watching(): boolean {
    return this.open.size > 0;
  }

  get<T extends KubeObject = KubeObject>(ref: KindRef, name: string, namespace?: string): Promise<T> {
    return this.inner.get<T>(ref, name, namespace);
  }

  create<T extends KubeObject>(object: T, options?: WriteOptions): Promise<T> {
    return this.inner.create(object, options);
  }

  update<T extends KubeObject>(object: T, options?: WriteOptions): Promise<T> {
    return this.inner.update(object, options);
  }

  updateStatus<T extends KubeObject>(object: T, options?: WriteOptions): Promise<T> {
    return this.inner.updateStatus(object, options);
  }

  patch<T extends KubeObject = KubeObject>(ref: KindRef, name: string, namespace: string | undefined, patch: unknown, type: PatchType, options?: PatchOptions): Promise<T> {
    return this.inner.patch<T>(ref, name, namespace, patch, type, options);
  }

  delete(ref: KindRef, name: string, namespace?: string, options?: DeleteOptions): Promise<KubeObject | undefined> {
    return this.inner.delete(ref, name, namespace, options);
  }

  list<T extends KubeObject = KubeObject>(ref: KindRef, options?: ListOptions): Promise<KubeList<T>> {
    this.lists += 1;
    return this.inner.list<T>(ref, options);
  }

  async watch<T extends KubeObject = KubeObject>(ref: KindRef, options?: WatchOptions): Promise<WatchStream<T>> {
    if (this.gate) await this.gate;
    const stream = await this.inner.watch<T>(ref, options);
    this.open.add(stream);
    return stream;
  }

}

interface Recorded {
  events: string[];
}

/** Every namespace has the root CA ConfigMap (as in Kubernetes); the tests follow their own ConfigMaps. */
const own = (o: KubeObject): boolean => o.metadata.name !== RootCaConfigMap;

function record(informer: Informer): Recorded {
  const out: Recorded = { events: [] };
  informer.addEventHandler({
    onAdd: (o) => own(o) && out.events.push(`add ${o.metadata.name ?? ''}`),
    onUpdate: (_, o) => own(o) && out.events.push(`update ${o.metadata.name ?? ''}`),
    onDelete: (o) => own(o) && out.events.push(`delete ${o.metadata.name ?? ''}`),
  });
  return out;
}

function ownKeys(informer: Informer): string[] {
  return informer.keys().filter((k) => !k.endsWith(`/${RootCaConfigMap}`));
}

function dataOf(informer: Informer, name: string, namespace: string): unknown {
  return informer.get(name, namespace)?.data;
}

describe('Informer', () => {
  let dataDir = '';
  let floe: Floe;
  const informers: Informer[] = [];

  function track<T extends KubeObject>(informer: Informer<T>): Informer<T> {
    informers.push(informer as unknown as Informer);
    return informer;
  }

  before(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'floe-informer-'));
    floe = await startFloe({ ...defaultConfig(), dataDir, port: 0, logLevel: 'silent' });
  });

  after(async () => {
    await Promise.all(informers.map((i) => i.stop()));
    await floe.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  test('lists what exists, then follows adds, updates and deletes in its cache and handlers', async () => {
    const client = floe.client;
    const ns = await freshNamespace(client, 'informer-cache');
    await client.create(configMap(ns, 'before', { data: { v: '0' } }));
    const informer = track(new Informer({ client, kind: ConfigMapRef, namespace: ns }));
    const seen = record(informer);
    informer.start();
    assert.equal(await informer.waitForSync(), true);
    assert.equal(informer.hasSynced(), true);
    assert.deepEqual(ownKeys(informer), [`${ns}/before`]);
    assert.deepEqual(seen.events, ['add before']);

    const a = await client.create(configMap(ns, 'a', { data: { v: '1' } }));
    await client.create(configMap(ns, 'b'));
    await client.update({ ...a, data: { v: '2' } });
    await client.delete(ConfigMapRef, 'b', ns);
    await waitFor(() => seen.events.length === 5, { what: 'five handler calls' });
    assert.deepEqual(seen.events, ['add before', 'add a', 'add b', 'update a', 'delete b']);
    assert.deepEqual(ownKeys(informer), [`${ns}/a`, `${ns}/before`]);
    assert.deepEqual(dataOf(informer, 'a', ns), { v: '2' });
    assert.equal(informer.get('b', ns), undefined);
    const latest = await client.get(ConfigMapRef, 'a', ns);
    await waitFor(() => informer.lastSyncResourceVersion !== undefined && Number(informer.lastSyncResourceVersion) >= Number(latest.metadata.resourceVersion), { what: 'the cache to reach the latest resourceVersion' });
  });

  test('cached objects are frozen, so a caller cannot corrupt the cache by accident', async () => {
    const client = floe.client;
    const ns = await freshNamespace(client, 'informer-frozen');
    await client.create(configMap(ns, 'frozen', { data: { v: '1' } }));
    const informer = track(new Informer({ client, kind: ConfigMapRef, namespace: ns }));
    informer.start();
    await informer.waitForSync();
    const cached = informer.get('frozen', ns);
    assert.ok(cached);
    assert.throws(() => {
      (cached.data as Record<string, string>).v = 'changed';
    }, TypeError);
    const copy = structuredClone(cached);
    (copy.data as Record<string, string>).v = 'changed';
    assert.deepEqual(dataOf(informer, 'frozen', ns), { v: '1' });
  });

  test('lists by namespace and label selector, and by index', async () => {
    const client = floe.client;
    const ns1 = await freshNamespace(client, 'informer-sel-1');
    const ns2 = await freshNamespace(client, 'informer-sel-2');
    await client.create(configMap(ns1, 'web', { labels: { app: 'web', tier: 'front' } }));
    await client.create(configMap(ns1, 'db', { labels: { app: 'db', tier: 'back' } }));
    await client.create(configMap(ns2, 'web', { labels: { app: 'web', tier: 'front' } }));
    const informer = track(
      new Informer({ client, kind: ConfigMapRef, indexers: { app: (o) => (o.metadata.labels?.app ? [o.metadata.labels.app] : []) } }),
    );
    informer.start();
    await informer.waitForSync();
    const names = (objects: KubeObject[]): string[] => objects.map((o) => `${o.metadata.namespace ?? ''}/${o.metadata.name ?? ''}`);
    assert.deepEqual(names(informer.list({ namespace: ns1 }).filter(own)), [`${ns1}/db`, `${ns1}/web`]);
    assert.deepEqual(names(informer.list({ labelSelector: 'app=web' }).filter((o) => [ns1, ns2].includes(o.metadata.namespace ?? ''))), [`${ns1}/web`, `${ns2}/web`]);
    assert.deepEqual(names(informer.list({ namespace: ns1, labelSelector: 'tier in (back)' })), [`${ns1}/db`]);
    assert.deepEqual(names(informer.byIndex('app', 'web').filter((o) => [ns1, ns2].includes(o.metadata.namespace ?? ''))), [`${ns1}/web`, `${ns2}/web`]);
    // An index follows updates: relabel db as web.
    const db = await client.get(ConfigMapRef, 'db', ns1);
    await client.update({ ...db, metadata: { ...db.metadata, labels: { app: 'web' } } });
    await waitFor(() => informer.byIndex('app', 'web').some((o) => o.metadata.name === 'db'), { what: 'the index to follow the relabel' });
    assert.equal(informer.byIndex('app', 'db').filter((o) => o.metadata.namespace === ns1).length, 0);
    // An index added late covers what is cached already.
    informer.addIndexer('tier', (o) => (o.metadata.labels?.tier ? [o.metadata.labels.tier] : []));
    assert.deepEqual(names(informer.byIndex('tier', 'front').filter((o) => [ns1, ns2].includes(o.metadata.namespace ?? ''))), [`${ns1}/web`, `${ns2}/web`]);
    assert.throws(() => informer.byIndex('nope', 'x'), /no index named "nope"/);
  });

  test('a server-side label selector keeps other objects out; relabelling in and out reads as add and delete', async () => {
    const client = floe.client;
    const ns = await freshNamespace(client, 'informer-server-sel');
    await client.create(configMap(ns, 'in', { labels: { watched: 'yes' } }));
    await client.create(configMap(ns, 'out', { labels: { watched: 'no' } }));
    const informer = track(new Informer({ client, kind: ConfigMapRef, namespace: ns, labelSelector: 'watched=yes' }));
    const seen = record(informer);
    informer.start();
    await informer.waitForSync();
    assert.deepEqual(ownKeys(informer), [`${ns}/in`]);
    const out = await client.get(ConfigMapRef, 'out', ns);
    await client.update({ ...out, metadata: { ...out.metadata, labels: { watched: 'yes' } } });
    await waitFor(() => informer.get('out', ns), { what: 'the relabelled object to enter' });
    const inside = await client.get(ConfigMapRef, 'in', ns);
    await client.update({ ...inside, metadata: { ...inside.metadata, labels: { watched: 'no' } } });
    await waitFor(() => informer.get('in', ns) === undefined, { what: 'the relabelled object to leave' });
    assert.deepEqual(seen.events, ['add in', 'add out', 'delete in']);
  });

  test('a late handler first receives everything already cached', async () => {
    const client = floe.client;
    const ns = await freshNamespace(client, 'informer-late');
    await client.create(configMap(ns, 'x'));
    await client.create(configMap(ns, 'y'));
    const informer = track(new Informer({ client, kind: ConfigMapRef, namespace: ns }));
    informer.start();
    await informer.waitForSync();
    const seen = record(informer);
    assert.deepEqual(seen.events.sort(), ['add x', 'add y']);
  });

  test('after a dropped connection it resumes from its resourceVersion without relisting', async () => {
    const flaky = new CuttableClient({ client: floe.client });
    const ns = await freshNamespace(floe.client, 'informer-resume');
    await floe.client.create(configMap(ns, 'kept'));
    await floe.client.create(configMap(ns, 'doomed'));
    const informer = track(new Informer({ client: flaky, kind: ConfigMapRef, namespace: ns }));
    const seen = record(informer);
    informer.start();
    await informer.waitForSync();
    await floe.client.create(configMap(ns, 'first'));
    await waitFor(() => informer.get('first', ns), { what: 'a first live event' });
    flaky.cut();
    await floe.client.create(configMap(ns, 'missed'));
    await floe.client.delete(ConfigMapRef, 'doomed', ns);
    flaky.reconnect();
    await waitFor(() => informer.get('missed', ns) && !informer.get('doomed', ns), { what: 'the missed changes to arrive' });
    assert.equal(flaky.lists, 1, 'no relist: the watch resumed from the last resourceVersion');
    assert.deepEqual(seen.events.filter((e) => e !== 'add kept').sort(), ['add doomed', 'add first', 'add missed', 'delete doomed'].sort());
  });

  test("after 'Expired' it relists and reports what changed while it was away", async () => {
    const flaky = new CuttableClient({ client: floe.client });
    const ns = await freshNamespace(floe.client, 'informer-expired');
    await floe.client.create(configMap(ns, 'stays', { data: { v: '1' } }));
    await floe.client.create(configMap(ns, 'goes'));
    await floe.client.create(configMap(ns, 'changes', { data: { v: '1' } }));
    const informer = track(new Informer({ client: flaky, kind: ConfigMapRef, namespace: ns }));
    const seen = record(informer);
    informer.start();
    await informer.waitForSync();
    await floe.client.create(configMap(ns, 'live'));
    await waitFor(() => informer.get('live', ns), { what: 'a live event' });
    seen.events.length = 0;
    flaky.cut();
    await floe.client.delete(ConfigMapRef, 'goes', ns);
    const changes = await floe.client.get(ConfigMapRef, 'changes', ns);
    await floe.client.update({ ...changes, data: { v: '2' } });
    await floe.client.create(configMap(ns, 'arrives'));
    // The server forgets the history the informer would resume from.
    floe.store.compact(0);
    flaky.reconnect();
    await waitFor(() => flaky.lists === 2 && informer.get('arrives', ns) && flaky.watching, { what: 'a relist after Expired' });
    assert.deepEqual(ownKeys(informer), [`${ns}/arrives`, `${ns}/changes`, `${ns}/live`, `${ns}/stays`]);
    assert.deepEqual(dataOf(informer, 'changes', ns), { v: '2' });
    assert.deepEqual(seen.events.sort(), ['add arrives', 'delete goes', 'update changes']);
    // And it keeps watching afterwards.
    await floe.client.create(configMap(ns, 'after'));
    await waitFor(() => informer.get('after', ns), { what: 'events after the relist' });
  });

  test('waitForSync resolves false when the informer stops before syncing', async () => {
    const informer = new Informer({ client: floe.client, kind: { apiVersion: 'nowhere.floe.dev/v1', kind: 'Missing' }, retryBackoff: { baseDelayMs: 10, maxDelayMs: 50 } });
    const errors: unknown[] = [];
    const reporting = new Informer({ client: floe.client, kind: { apiVersion: 'nowhere.floe.dev/v1', kind: 'Missing' }, onError: (err) => errors.push(err), retryBackoff: { baseDelayMs: 10, maxDelayMs: 50 } });
    informer.start();
    reporting.start();
    const waiting = informer.waitForSync();
    await waitFor(() => errors.length >= 2, { what: 'the unknown kind to be reported and retried' });
    await informer.stop();
    await reporting.stop();
    assert.equal(await waiting, false);
    assert.equal(informer.hasSynced(), false);
  });
});

describe('InformerFactory', () => {
  let dataDir = '';
  let floe: Floe;

  before(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'floe-factory-'));
    floe = await startFloe({ ...defaultConfig(), dataDir, port: 0, logLevel: 'silent' });
  });

  after(async () => {
    await floe.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  test('shares one informer per kind and scope, and starts late ones at once', async () => {
    const ns = await freshNamespace(floe.client, 'factory');
    const factory = new InformerFactory({ client: floe.client, namespace: ns });
    try {
      const a = factory.informerFor(ConfigMapRef);
      assert.equal(factory.informerFor({ apiVersion: 'v1', kind: 'ConfigMap' }), a);
      assert.notEqual(factory.informerFor(ConfigMapRef, { namespace: 'default' }), a);
      assert.notEqual(factory.informerFor(ConfigMapRef, { labelSelector: 'app=x' }), a);
      assert.equal(a.namespace, ns);
      assert.equal(factory.informerFor(ConfigMapRef, { namespace: '' }).namespace, undefined, "'' means all namespaces");
      factory.start();
      assert.equal(await factory.waitForSync(), true);
      const late = factory.informerFor({ apiVersion: 'v1', kind: 'Secret' });
      assert.equal(await late.waitForSync(), true);
      assert.equal(factory.all().length, 5);
    } finally {
      await factory.stop();
    }
  });
});
