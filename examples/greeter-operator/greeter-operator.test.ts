// The Greeter operator end to end on a real Floe: what a user sees in ConfigMaps, status and Events, in both client modes.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FloeError } from '../../src/api/errors.js';
import type { Logger } from '../../src/api/logger.js';
import type { Client } from '../../src/client/client.js';
import { KubeClient } from '../../src/client/kube-client.js';
import { EventRef, findCondition, Manager, type KubeEvent } from '../../src/controller/index.js';
import { defaultConfig } from '../../src/server/config.js';
import { startFloe, type Floe } from '../../src/server/floe.js';
import { freshNamespace } from '../../test/helpers/fixtures.js';
import { waitFor } from '../../test/helpers/wait.js';
import { ConfigMapRef, GreeterFinalizer, GreeterRef, type ConfigMap, type Greeter } from './greeter.js';
import { addGreeterController, installGreeterCrd } from './operator.js';

const quiet: Logger = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined, child: () => quiet };

interface Running {
  floe: Floe;
  dataDir: string;
  abort: AbortController;
  done: Promise<void>;
}

/** A Floe on a free port with the Greeter CRD installed, and the operator running over `clientFor(floe)`. */
async function startOperator(clientFor: (floe: Floe) => Client): Promise<Running & { client: Client }> {
  const dataDir = await mkdtemp(join(tmpdir(), 'floe-greeter-'));
  const floe = await startFloe({ ...defaultConfig(), dataDir, port: 0, logLevel: 'silent' });
  const client = clientFor(floe);
  await installGreeterCrd(client);
  const manager = new Manager({ client, log: quiet, host: 'test' });
  addGreeterController(manager, { maxReplicas: 5 });
  const abort = new AbortController();
  const done = manager.start(abort.signal);
  return { floe, dataDir, abort, done, client };
}

async function stopOperator(running: Running | undefined): Promise<void> {
  if (!running) return;
  running.abort.abort();
  await running.done;
  await running.floe.stop();
  await rm(running.dataDir, { recursive: true, force: true });
}

/** What a user checks, through the user's own client (never the operator's). */
function userView(client: Client) {
  return {
    async configMaps(ns: string): Promise<Record<string, string | undefined>> {
      const list = await client.list<ConfigMap>(ConfigMapRef, { namespace: ns });
      return Object.fromEntries(list.items.filter((c) => c.metadata.name !== 'kube-root-ca.crt').map((c) => [c.metadata.name ?? '', c.data?.message]));
    },
    greeter(ns: string, name: string): Promise<Greeter> {
      return client.get<Greeter>(GreeterRef, name, ns);
    },
    async gone(ns: string, name: string): Promise<boolean> {
      try {
        await client.get(GreeterRef, name, ns);
        return false;
      } catch (err) {
        if (err instanceof FloeError && err.reason === 'NotFound') return true;
        throw err;
      }
    },
    /** The Events `kubectl describe greeter NAME` lists: selected by involvedObject fields. */
    async events(ns: string, greeter: Greeter): Promise<KubeEvent[]> {
      const fieldSelector = `involvedObject.name=${greeter.metadata.name ?? ''},involvedObject.namespace=${ns},involvedObject.kind=Greeter,involvedObject.uid=${greeter.metadata.uid ?? ''}`;
      return (await client.list<KubeEvent>(EventRef, { namespace: ns, fieldSelector })).items;
    },
    async ready(ns: string, name: string, generation: number): Promise<Greeter | undefined> {
      const g = await client.get<Greeter>(GreeterRef, name, ns);
      const ready = findCondition(g.status?.conditions, 'Ready');
      return g.status?.observedGeneration === generation && ready?.status === 'True' && ready.observedGeneration === generation ? g : undefined;
    },
  };
}

function greeter(ns: string, name: string, message: string, replicas: number): Greeter {
  return { apiVersion: GreeterRef.apiVersion, kind: GreeterRef.kind, metadata: { name, namespace: ns }, spec: { message, replicas } };
}

const reasons = (events: KubeEvent[]): string[] => events.map((e) => `${e.type}/${e.reason}: ${e.message}`).sort();

describe('greeter operator (in-process client)', () => {
  let running: (Running & { client: Client }) | undefined;
  let user: ReturnType<typeof userView>;
  let client: Client;

  before(async () => {
    running = await startOperator((floe) => floe.client);
    client = running.client;
    user = userView(client);
  });

  after(() => stopOperator(running));

  test('a Greeter gets one ConfigMap per replica holding its message, a finalizer, Ready status and Events', async () => {
    const ns = await freshNamespace(client, 'greeter-create');
    await client.create(greeter(ns, 'hello', 'Hello, Floe!', 3));
    await waitFor(async () => JSON.stringify(await user.configMaps(ns)) === JSON.stringify({ 'hello-0': 'Hello, Floe!', 'hello-1': 'Hello, Floe!', 'hello-2': 'Hello, Floe!' }), { what: 'three ConfigMaps' });
    const ready = await waitFor(() => user.ready(ns, 'hello', 1), { what: 'Ready at generation 1' });
    assert.equal(ready.status?.readyReplicas, 3);
    assert.deepEqual(ready.metadata.finalizers, [GreeterFinalizer]);
    const cm = await client.get<ConfigMap>(ConfigMapRef, 'hello-0', ns);
    assert.deepEqual(cm.metadata.ownerReferences, [{ apiVersion: GreeterRef.apiVersion, kind: 'Greeter', name: 'hello', uid: ready.metadata.uid, controller: true, blockOwnerDeletion: true }]);
    const events = await waitFor(async () => {
      const list = await user.events(ns, ready);
      return list.length === 3 ? list : undefined;
    }, { what: 'three Created events' });
    assert.deepEqual(reasons(events), ['Normal/Created: Created ConfigMap hello-0', 'Normal/Created: Created ConfigMap hello-1', 'Normal/Created: Created ConfigMap hello-2']);
    assert.ok(events.every((e) => e.source.component === 'greeter' && e.count === 1));
  });

  test('scaling down deletes the extras; editing the message updates the rest', async () => {
    const ns = await freshNamespace(client, 'greeter-scale');
    await client.create(greeter(ns, 'scaled', 'one', 3));
    await waitFor(() => user.ready(ns, 'scaled', 1), { what: 'Ready at generation 1' });
    let g = await user.greeter(ns, 'scaled');
    g = await client.update<Greeter>({ ...g, spec: { ...g.spec, replicas: 1 } });
    await waitFor(async () => JSON.stringify(await user.configMaps(ns)) === JSON.stringify({ 'scaled-0': 'one' }), { what: 'the extras to go' });
    assert.equal((await waitFor(() => user.ready(ns, 'scaled', 2), { what: 'Ready at generation 2' })).status?.readyReplicas, 1);
    g = await user.greeter(ns, 'scaled');
    await client.update<Greeter>({ ...g, spec: { ...g.spec, message: 'two' } });
    await waitFor(async () => JSON.stringify(await user.configMaps(ns)) === JSON.stringify({ 'scaled-0': 'two' }), { what: 'the message to change' });
    const latest = await waitFor(() => user.ready(ns, 'scaled', 3), { what: 'Ready at generation 3' });
    const events = await waitFor(async () => {
      const list = reasons(await user.events(ns, latest));
      return list.some((r) => r.includes('Updated')) ? list : undefined;
    }, { what: 'an Updated event' });
    assert.ok(events.includes('Normal/Deleted: Deleted ConfigMap scaled-1'), JSON.stringify(events));
    assert.ok(events.includes('Normal/Deleted: Deleted ConfigMap scaled-2'), JSON.stringify(events));
    assert.ok(events.includes('Normal/Updated: Updated ConfigMap scaled-0'), JSON.stringify(events));
  });

  test('a deleted or edited ConfigMap comes back as it was', async () => {
    const ns = await freshNamespace(client, 'greeter-repair');
    await client.create(greeter(ns, 'sturdy', 'keep me', 2));
    await waitFor(() => user.ready(ns, 'sturdy', 1), { what: 'Ready' });
    const original = await client.get<ConfigMap>(ConfigMapRef, 'sturdy-1', ns);
    await client.delete(ConfigMapRef, 'sturdy-1', ns);
    const back = await waitFor(async () => {
      try {
        const cm = await client.get<ConfigMap>(ConfigMapRef, 'sturdy-1', ns);
        return cm.metadata.uid !== original.metadata.uid ? cm : undefined;
      } catch {
        return undefined;
      }
    }, { what: 'the ConfigMap to be recreated' });
    assert.deepEqual(back.data, { message: 'keep me' });
    const edited = await client.get<ConfigMap>(ConfigMapRef, 'sturdy-0', ns);
    await client.update({ ...edited, data: { message: 'vandalised' } });
    await waitFor(async () => (await user.configMaps(ns))['sturdy-0'] === 'keep me', { what: 'the edit to be reverted' });
  });

  test('more replicas than the operator allows: Ready=False with a reason, a Warning, no retries; fixing the spec recovers', async () => {
    const ns = await freshNamespace(client, 'greeter-terminal');
    await client.create(greeter(ns, 'greedy', 'hi', 50));
    const refused = await waitFor(async () => {
      const g = await user.greeter(ns, 'greedy');
      return findCondition(g.status?.conditions, 'Ready')?.reason === 'TooManyReplicas' ? g : undefined;
    }, { what: 'the TooManyReplicas condition' });
    const condition = findCondition(refused.status?.conditions, 'Ready');
    assert.equal(condition?.status, 'False');
    assert.equal(condition?.message, 'spec.replicas is 50; this operator makes at most 5 ConfigMaps per Greeter');
    assert.equal(refused.status?.observedGeneration, 1);
    const warning = await waitFor(async () => (await user.events(ns, refused)).find((e) => e.type === 'Warning'), { what: 'a Warning event' });
    assert.equal(warning.reason, 'TooManyReplicas');
    assert.equal(warning.count, 1, 'a terminal error is not retried, so the Warning is not repeated');
    assert.deepEqual(await user.configMaps(ns), {});
    await client.update<Greeter>({ ...refused, spec: { ...refused.spec, replicas: 2 } });
    await waitFor(() => user.ready(ns, 'greedy', 2), { what: 'Ready after the fix' });
    assert.deepEqual(Object.keys(await user.configMaps(ns)), ['greedy-0', 'greedy-1']);
  });

  test('deleting a Greeter runs its finalizer (a Goodbye event) and garbage collection removes its ConfigMaps', async () => {
    const ns = await freshNamespace(client, 'greeter-delete');
    await client.create(greeter(ns, 'brief', 'bye', 2));
    const ready = await waitFor(() => user.ready(ns, 'brief', 1), { what: 'Ready' });
    await client.delete(GreeterRef, 'brief', ns);
    await waitFor(() => user.gone(ns, 'brief'), { what: 'the Greeter to go once finalized' });
    await waitFor(async () => Object.keys(await user.configMaps(ns)).length === 0, { what: 'its ConfigMaps to be collected' });
    const goodbye = await waitFor(async () => (await user.events(ns, ready)).find((e) => e.reason === 'Goodbye'), { what: 'the Goodbye event' });
    assert.equal(goodbye.type, 'Normal');
    assert.equal(goodbye.message, 'Greeter brief is being deleted; its ConfigMaps go with it');
  });
});

describe('greeter operator (Kubernetes client over HTTP)', () => {
  let running: (Running & { client: Client }) | undefined;

  before(async () => {
    running = await startOperator((floe) => KubeClient.fromFile(floe.kubeconfigPath));
  });

  after(() => stopOperator(running));

  test('the same operator, unchanged, over the kubeconfig: ConfigMaps, status, scale-down and deletion', async () => {
    assert.ok(running);
    // The user acts through the in-process client; the operator only through HTTP.
    const client = running.floe.client;
    const user = userView(client);
    const ns = await freshNamespace(client, 'greeter-http');
    await client.create(greeter(ns, 'remote', 'over the wire', 2));
    await waitFor(async () => JSON.stringify(await user.configMaps(ns)) === JSON.stringify({ 'remote-0': 'over the wire', 'remote-1': 'over the wire' }), { what: 'two ConfigMaps' });
    const ready = await waitFor(() => user.ready(ns, 'remote', 1), { what: 'Ready' });
    const g = await user.greeter(ns, 'remote');
    await client.update<Greeter>({ ...g, spec: { ...g.spec, replicas: 1 } });
    await waitFor(async () => JSON.stringify(await user.configMaps(ns)) === JSON.stringify({ 'remote-0': 'over the wire' }), { what: 'the scale-down' });
    await client.delete(GreeterRef, 'remote', ns);
    await waitFor(() => user.gone(ns, 'remote'), { what: 'the Greeter to go' });
    await waitFor(async () => Object.keys(await user.configMaps(ns)).length === 0, { what: 'its ConfigMaps to be collected' });
    await waitFor(async () => (await user.events(ns, ready)).some((e) => e.reason === 'Goodbye'), { what: 'the Goodbye event' });
  });
});
