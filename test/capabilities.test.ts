// The capability runtime: CRDs before any start, start in list order, stop in reverse, a failed start closes what
// started, duplicate names refused, and each mode takes only its capabilities — against a real Floe's API.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { KubeObject } from '../src/api/meta.js';
import { admissionOf, capabilitiesFor, Manager, startCapabilities, type Capability, type CapabilityContext } from '../src/controller/index.js';
import { defaultConfig } from '../src/server/config.js';
import { startFloe, type Floe } from '../src/server/floe.js';
import { floeCapabilities } from '../src/server/capabilities.js';

function crd(plural: string): KubeObject {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${plural}.caps.floe.dev` },
    spec: {
      group: 'caps.floe.dev',
      scope: 'Namespaced',
      names: { plural, singular: plural.slice(0, -1), kind: plural[0]!.toUpperCase() + plural.slice(1, -1) },
      versions: [{ name: 'v1', served: true, storage: true, schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } } }],
    },
  };
}

describe('capabilities', () => {
  let floe: Floe;
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'floe-caps-'));
    floe = await startFloe({ ...defaultConfig(), dataDir: dir, port: 0, logLevel: 'silent' });
  });
  after(async () => {
    await floe.stop();
    await rm(dir, { recursive: true, force: true });
  });

  const context = (): Omit<CapabilityContext, 'manager'> => ({ mode: 'embedded', client: floe.client, logger: floe.logger, dataDir: dir, url: floe.url, pythonDir: dir });

  function recording(name: string, log: string[], options: { crd?: string; fail?: boolean } = {}): Capability {
    return {
      name,
      modes: ['embedded'],
      ...(options.crd ? { crds: () => [crd(options.crd!)] } : {}),
      async start(ctx) {
        // Every CRD of the list is served before the first capability starts.
        for (const plural of ['widgets', 'gadgets']) await ctx.client.list({ apiVersion: 'caps.floe.dev/v1', kind: plural[0]!.toUpperCase() + plural.slice(1, -1) });
        if (options.fail) throw new Error(`${name} cannot start`);
        log.push(`start ${name}`);
        return { close: () => Promise.resolve(void log.push(`close ${name}`)) };
      },
    };
  }

  test('CRDs first, start in list order, stop in reverse', async () => {
    const log: string[] = [];
    const list = [recording('a', log, { crd: 'widgets' }), recording('b', log), recording('c', log, { crd: 'gadgets' })];
    const running = await startCapabilities(list, context(), new Manager({ client: floe.client, log: floe.logger }));
    assert.deepEqual(log, ['start a', 'start b', 'start c']);
    await running.stop();
    assert.deepEqual(log, ['start a', 'start b', 'start c', 'close c', 'close b', 'close a']);
  });

  test('a capability that fails to start closes the ones started before it, and the error reaches the caller', async () => {
    const log: string[] = [];
    const list = [recording('a', log, { crd: 'widgets' }), recording('b', log), recording('c', log, { fail: true, crd: 'gadgets' })];
    await assert.rejects(startCapabilities(list, context(), new Manager({ client: floe.client, log: floe.logger })), /c cannot start/);
    assert.deepEqual(log, ['start a', 'start b', 'close b', 'close a']);
  });

  test('two capabilities with one name are refused; each mode takes its own', () => {
    const one: Capability = { name: 'x', modes: ['embedded'], start: () => Promise.resolve({}) };
    assert.throws(() => capabilitiesFor('embedded', [one, { ...one }]), /two capabilities are named x/);
    const all = floeCapabilities({ allowPackageUrls: [] });
    assert.deepEqual(capabilitiesFor('embedded', all).map((c) => c.name), ['training', 'batch', 'trainer', 'apps', 'storage', 'katib', 'serving', 'notebooks', 'profiles', 'pipelines', 'dashboard']);
    assert.deepEqual(capabilitiesFor('cluster', all).map((c) => c.name), ['training', 'trainer', 'katib', 'serving-cluster', 'notebooks', 'profiles', 'pipelines', 'dashboard']);
    // Admission runs in list order: the training operator's webhooks (v1 jobs, MPIJob), Trainer v2's (JobSet, the
    // runtimes, TrainJob), the DefaultStorageClass step, Katib's, then the PodDefault webhook.
    assert.equal(admissionOf(all).length, 8);
  });
});
