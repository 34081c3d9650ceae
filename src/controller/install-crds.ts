// Creates (or brings up to date) a set of CustomResourceDefinitions, then waits until the API serves every kind.
import { FloeError } from '../api/errors.js';
import type { KubeObject } from '../api/meta.js';
import type { Client } from '../client/client.js';
import { delay, realClock, type Clock } from './clock.js';

export interface InstallCrdsOptions {
  timeoutMs?: number;
  clock?: Clock;
}

const crdRef = { apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition' };

export async function installCrds(client: Client, crds: readonly KubeObject[], options: InstallCrdsOptions = {}): Promise<void> {
  for (const crd of crds) {
    try {
      await client.create(crd);
    } catch (err) {
      if (!(err instanceof FloeError && err.reason === 'AlreadyExists')) throw err;
      const existing = await client.get(crdRef, crd.metadata.name ?? '');
      if (JSON.stringify(existing['spec']) !== JSON.stringify(crd['spec'])) await client.update({ ...existing, spec: crd['spec'] });
    }
  }
  const clock = options.clock ?? realClock();
  const deadline = clock.now() + (options.timeoutMs ?? 30_000);
  for (const crd of crds) {
    const spec = crd['spec'] as { group: string; names: { kind: string }; versions: { name: string; storage?: boolean }[] };
    const version = spec.versions.find((v) => v.storage)?.name ?? spec.versions[0]?.name ?? 'v1';
    for (;;) {
      try {
        await client.list({ apiVersion: `${spec.group}/${version}`, kind: spec.names.kind }, { limit: 1 });
        break;
      } catch (err) {
        if (!(err instanceof FloeError && err.reason === 'NotFound') || clock.now() >= deadline) throw err;
      }
      await delay(clock, 50);
    }
  }
}
