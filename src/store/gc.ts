// Garbage collection over the owner index: background, foreground and orphan propagation, and namespace cleanup.
import type { KubeObject } from '../api/meta.js';
import { FloeError } from '../api/errors.js';
import { gcFinalizers, resourceKey, type Store, type StoreChange } from './store.js';

const namespaces = resourceKey('', 'namespaces');

export interface GarbageCollectorOptions {
  store: Store;
  /** Called with errors the collector could not handle (it retries them on the next pass). */
  onError?: (err: unknown) => void;
}

/**
 * Watches the store and finishes deletions: dependents of a deleted owner go (or lose the reference when other
 * owners remain), `foregroundDeletion` owners wait for their dependents, `orphan` owners release theirs, and a
 * terminating namespace empties before it goes. Work is idempotent, so a restart re-derives it from the store.
 */
export class GarbageCollector {
  private readonly store: Store;
  private readonly onError: (err: unknown) => void;
  private readonly goneOwners = new Set<string>();
  private readonly owners = new Set<string>();
  private readonly namespaces = new Set<string>();
  private scheduled: NodeJS.Immediate | undefined;
  private retry: NodeJS.Timeout | undefined;
  private unsubscribe: (() => void) | undefined;
  private idleWaiters: (() => void)[] = [];

  constructor(options: GarbageCollectorOptions) {
    this.store = options.store;
    this.onError = options.onError ?? (() => undefined);
  }

  start(): void {
    this.unsubscribe = this.store.watch(undefined, this.store.currentRevision(), (c) => this.observe(c));
    for (const uid of this.store.missingOwners()) this.goneOwners.add(uid);
    for (const { resource, object } of this.store.markedForDeletion()) this.observeMarked(resource, object);
    this.schedule();
  }

  stop(): void {
    this.unsubscribe?.();
    if (this.scheduled) clearImmediate(this.scheduled);
    if (this.retry) clearTimeout(this.retry);
  }

  /** Resolves when no collection work is pending (for tests and orderly shutdown). */
  idle(): Promise<void> {
    if (!this.busy()) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private busy(): boolean {
    return this.goneOwners.size + this.owners.size + this.namespaces.size > 0;
  }

  private observe(change: StoreChange): void {
    const meta = change.object.metadata;
    if (change.type === 'DELETED') {
      if (meta.uid) this.goneOwners.add(meta.uid);
      // A dependent went: its foreground owners may now finish; its namespace may now be empty.
      for (const ref of meta.ownerReferences ?? []) this.owners.add(ref.uid);
      if (meta.namespace && this.isTerminating(meta.namespace)) this.namespaces.add(meta.namespace);
    } else if (meta.deletionTimestamp !== undefined) {
      this.observeMarked(change.resource, change.object);
    }
    this.schedule();
  }

  private observeMarked(resource: string, object: KubeObject): void {
    const meta = object.metadata;
    if (resource === namespaces) this.namespaces.add(meta.name ?? '');
    if (meta.finalizers?.some((f) => f === gcFinalizers.foreground || f === gcFinalizers.orphan)) this.owners.add(meta.uid ?? '');
  }

  private isTerminating(namespace: string): boolean {
    return this.store.get(namespaces, '', namespace)?.metadata.deletionTimestamp !== undefined;
  }

  private schedule(): void {
    if (this.scheduled || !this.busy()) return;
    this.scheduled = setImmediate(() => {
      this.scheduled = undefined;
      this.pass();
    });
  }

  private pass(): void {
    let failed = false;
    const guard = (fn: () => void): void => {
      try {
        fn();
      } catch (err) {
        // NotFound and Conflict mean someone else moved first; the next event brings us back if needed.
        if (err instanceof FloeError && (err.reason === 'NotFound' || err.reason === 'Conflict')) return;
        failed = true;
        this.onError(err);
      }
    };
    const gone = [...this.goneOwners];
    this.goneOwners.clear();
    for (const uid of gone) guard(() => this.collectDependentsOf(uid));
    const owners = [...this.owners];
    this.owners.clear();
    for (const uid of owners) guard(() => this.finishOwner(uid));
    const spaces = [...this.namespaces];
    this.namespaces.clear();
    for (const ns of spaces) guard(() => this.finishNamespace(ns));
    if (failed) {
      for (const uid of gone) this.goneOwners.add(uid);
      this.retry = setTimeout(() => this.schedule(), 1000);
      this.retry.unref();
    }
    if (this.busy()) this.schedule();
    else {
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const w of waiters) w();
    }
  }

  /** An owner is gone: dependents with no live owner left are deleted, the others drop the reference. */
  private collectDependentsOf(uid: string): void {
    if (this.store.uidExists(uid)) return;
    for (const dep of this.store.dependentsOf(uid)) {
      const object = this.store.get(dep.resource, dep.namespace, dep.name);
      if (!object) continue;
      const refs = object.metadata.ownerReferences ?? [];
      const live = refs.filter((r) => r.uid !== uid && this.store.uidExists(r.uid));
      if (live.length === 0) {
        this.store.delete(dep.resource, dep.namespace, dep.name);
      } else if (live.length !== refs.length) {
        object.metadata.ownerReferences = live;
        this.store.update(dep.resource, object);
      }
    }
  }

  /** Foreground owners wait until their dependents are gone; orphaning owners release them first. */
  private finishOwner(uid: string): void {
    const found = this.store.getByUid(uid);
    if (!found || found.object.metadata.deletionTimestamp === undefined) return;
    const { resource, object } = found;
    const finalizers = object.metadata.finalizers ?? [];
    const dependents = this.store.dependentsOf(uid);
    if (finalizers.includes(gcFinalizers.orphan)) {
      for (const dep of dependents) {
        const child = this.store.get(dep.resource, dep.namespace, dep.name);
        if (!child) continue;
        child.metadata.ownerReferences = (child.metadata.ownerReferences ?? []).filter((r) => r.uid !== uid);
        if (child.metadata.ownerReferences.length === 0) delete child.metadata.ownerReferences;
        this.store.update(dep.resource, child);
      }
      object.metadata.finalizers = finalizers.filter((f) => f !== gcFinalizers.orphan);
      this.store.update(resource, object);
      return;
    }
    if (finalizers.includes(gcFinalizers.foreground)) {
      if (dependents.length === 0) {
        object.metadata.finalizers = finalizers.filter((f) => f !== gcFinalizers.foreground);
        this.store.update(resource, object);
        return;
      }
      for (const dep of dependents) {
        const child = this.store.get(dep.resource, dep.namespace, dep.name);
        if (!child || child.metadata.deletionTimestamp !== undefined) continue;
        const hasOwnDependents = this.store.dependentsOf(child.metadata.uid ?? '').length > 0;
        const others = (child.metadata.ownerReferences ?? []).filter((r) => r.uid !== uid && this.store.uidExists(r.uid));
        if (others.length > 0) {
          child.metadata.ownerReferences = others;
          this.store.update(dep.resource, child);
          continue;
        }
        this.store.delete(dep.resource, dep.namespace, dep.name, hasOwnDependents ? { propagationFinalizer: gcFinalizers.foreground } : {});
      }
    }
  }

  /** A terminating namespace deletes its content, then itself. */
  private finishNamespace(name: string): void {
    const ns = this.store.get(namespaces, '', name);
    if (!ns || ns.metadata.deletionTimestamp === undefined) return;
    const status = (ns.status ?? {}) as { phase?: string };
    if (status.phase !== 'Terminating') {
      ns.status = { ...status, phase: 'Terminating' };
      this.store.update(namespaces, ns);
    }
    const content = this.store.objectsInNamespace(name);
    if (content.length === 0) {
      if ((ns.metadata.finalizers ?? []).length === 0) this.store.forceRemove(namespaces, '', name);
      return;
    }
    for (const item of content) {
      const object = this.store.get(item.resource, name, item.name);
      if (object && object.metadata.deletionTimestamp === undefined) this.store.delete(item.resource, name, item.name);
    }
  }
}
