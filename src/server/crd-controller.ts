// Keeps the registry in step with stored CustomResourceDefinitions and reports them Established.
import type { KubeObject } from '../api/meta.js';
import type { ResourceRegistry } from '../api/registry.js';
import { resourceTypesFromCrd } from '../api/schema/index.js';
import { resourceKey, type Store, type StoreChange } from '../store/store.js';
import type { Logger } from './logger.js';

const crdKey = resourceKey('apiextensions.k8s.io', 'customresourcedefinitions');

interface CrdSpec {
  names?: Record<string, unknown>;
  versions?: { name: string; storage?: boolean }[];
}

interface CrdStatus {
  conditions?: { type: string; status: string; reason?: string; message?: string; lastTransitionTime?: string }[];
  acceptedNames?: Record<string, unknown>;
  storedVersions?: string[];
}

export class CrdController {
  private readonly store: Store;
  private readonly registry: ResourceRegistry;
  private readonly log: Logger;
  private unsubscribe: (() => void) | undefined;
  private readonly pending = new Set<NodeJS.Immediate>();

  constructor(options: { store: Store; registry: ResourceRegistry; logger: Logger }) {
    this.store = options.store;
    this.registry = options.registry;
    this.log = options.logger;
  }

  /** Registers every stored CRD, then follows changes. Registration is synchronous with the write. */
  start(): void {
    for (const crd of this.store.list(crdKey).items) this.apply(crd);
    this.unsubscribe = this.store.watch(crdKey, this.store.currentRevision(), (c) => this.observe(c));
  }

  stop(): void {
    this.unsubscribe?.();
    for (const p of this.pending) clearImmediate(p);
    this.pending.clear();
  }

  /** Status is written after the registering commit, outside the store listener's stack. */
  private later(name: string): void {
    const handle = setImmediate(() => {
      this.pending.delete(handle);
      this.markEstablished(name);
    });
    this.pending.add(handle);
  }

  private observe(change: StoreChange): void {
    if (change.type === 'DELETED') {
      this.registry.unregisterCrd(change.object.metadata.name ?? '');
      return;
    }
    this.apply(change.object);
  }

  private apply(crd: KubeObject): void {
    const name = crd.metadata.name ?? '';
    try {
      this.registry.unregisterCrd(name);
      if (crd.metadata.deletionTimestamp === undefined) this.registry.register(resourceTypesFromCrd(crd));
    } catch (err) {
      this.log.error({ err, crd: name }, 'cannot serve CustomResourceDefinition');
      return;
    }
    this.later(name);
  }

  private markEstablished(name: string): void {
    const crd = this.store.get(crdKey, '', name);
    if (!crd || crd.metadata.deletionTimestamp !== undefined) return;
    const spec = (crd.spec ?? {}) as CrdSpec;
    const status = (crd.status ?? {}) as CrdStatus;
    const storage = spec.versions?.find((v) => v.storage)?.name;
    const stored = new Set(status.storedVersions ?? []);
    if (storage) stored.add(storage);
    const now = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
    const keep = (type: string, reason: string, message: string): NonNullable<CrdStatus['conditions']>[number] => {
      const prev = status.conditions?.find((c) => c.type === type);
      return { type, status: 'True', reason, message, lastTransitionTime: prev?.status === 'True' ? prev.lastTransitionTime ?? now : now };
    };
    const next: CrdStatus = {
      conditions: [keep('NamesAccepted', 'NoConflicts', 'no conflicts found'), keep('Established', 'InitialNamesAccepted', 'the initial names have been accepted')],
      acceptedNames: spec.names ?? {},
      storedVersions: [...stored],
    };
    if (JSON.stringify(next) === JSON.stringify(status)) return;
    crd.status = next;
    try {
      this.store.update(crdKey, crd, { expectRevision: crd.metadata.resourceVersion ?? '' });
    } catch {
      this.later(name);
    }
  }
}
