// The Client seam: every controller's whole view of the API. Two implementations share one conformance suite.
import type { KubeList, KubeObject, WatchEvent } from '../api/meta.js';

/** Which kind a call addresses: the object's apiVersion and kind, as in a manifest. */
export interface KindRef {
  apiVersion: string;
  kind: string;
}

export interface ListOptions {
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
  limit?: number;
  continue?: string;
  resourceVersion?: string;
}

export interface WatchOptions {
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
  /** Start after this resourceVersion; without it the watch begins with ADDED for every current object. */
  resourceVersion?: string;
  allowWatchBookmarks?: boolean;
  signal?: AbortSignal;
}

export interface WriteOptions {
  dryRun?: boolean;
  fieldManager?: string;
}

export const PatchType = {
  Merge: 'application/merge-patch+json',
  Json: 'application/json-patch+json',
  StrategicMerge: 'application/strategic-merge-patch+json',
  Apply: 'application/apply-patch+yaml',
} as const;
export type PatchType = (typeof PatchType)[keyof typeof PatchType];

export interface PatchOptions extends WriteOptions {
  subresource?: 'status';
  force?: boolean;
}

export type PropagationPolicy = 'Background' | 'Foreground' | 'Orphan';

export interface DeleteOptions {
  propagationPolicy?: PropagationPolicy;
  gracePeriodSeconds?: number;
  preconditions?: { uid?: string; resourceVersion?: string };
  dryRun?: boolean;
}

/** A stream of watch events; iterate it, and close it (or abort its signal) when done. */
export interface WatchStream<T extends KubeObject = KubeObject> extends AsyncIterable<WatchEvent<T>> {
  close(): void;
}

export interface Client {
  get<T extends KubeObject = KubeObject>(ref: KindRef, name: string, namespace?: string): Promise<T>;
  list<T extends KubeObject = KubeObject>(ref: KindRef, options?: ListOptions): Promise<KubeList<T>>;
  watch<T extends KubeObject = KubeObject>(ref: KindRef, options?: WatchOptions): Promise<WatchStream<T>>;
  create<T extends KubeObject>(object: T, options?: WriteOptions): Promise<T>;
  /** Replace the object; its metadata.resourceVersion must be current (409 Conflict otherwise). */
  update<T extends KubeObject>(object: T, options?: WriteOptions): Promise<T>;
  /** Replace only the status subresource. */
  updateStatus<T extends KubeObject>(object: T, options?: WriteOptions): Promise<T>;
  patch<T extends KubeObject = KubeObject>(
    ref: KindRef,
    name: string,
    namespace: string | undefined,
    patch: unknown,
    type: PatchType,
    options?: PatchOptions,
  ): Promise<T>;
  /** Delete; returns the object as it stands afterwards (with deletionTimestamp while finalizers remain), or the last state. */
  delete(ref: KindRef, name: string, namespace?: string, options?: DeleteOptions): Promise<KubeObject | undefined>;
}
