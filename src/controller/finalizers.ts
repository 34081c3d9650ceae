// Finalizer helpers: test for, add and remove a finalizer on an object's metadata, reporting whether it changed.
import type { KubeObject } from '../api/meta.js';

export function hasFinalizer(object: KubeObject, finalizer: string): boolean {
  return object.metadata.finalizers?.includes(finalizer) ?? false;
}

/** Appends `finalizer` unless present; returns whether the object changed (and so needs an update). */
export function addFinalizer(object: KubeObject, finalizer: string): boolean {
  if (hasFinalizer(object, finalizer)) return false;
  object.metadata.finalizers = [...(object.metadata.finalizers ?? []), finalizer];
  return true;
}

/** Removes every occurrence of `finalizer`; returns whether the object changed (and so needs an update). */
export function removeFinalizer(object: KubeObject, finalizer: string): boolean {
  const finalizers = object.metadata.finalizers;
  if (!finalizers?.includes(finalizer)) return false;
  const rest = finalizers.filter((f) => f !== finalizer);
  if (rest.length === 0) delete object.metadata.finalizers;
  else object.metadata.finalizers = rest;
  return true;
}

/** Whether the object is being deleted (it has a deletionTimestamp and waits on finalizers). */
export function isBeingDeleted(object: KubeObject): boolean {
  return object.metadata.deletionTimestamp !== undefined;
}
