// Owner references: make a child controlled by its owner, and find the controller of an object.
import type { KubeObject, OwnerReference } from '../api/meta.js';
import { parseApiVersion } from '../api/meta.js';
import type { KindRef } from '../client/client.js';

/** The ownerReference marking `owner` as the controller of a child: garbage collection deletes the child with it. */
export function controllerReference(owner: KubeObject): OwnerReference {
  const { name, uid } = owner.metadata;
  if (!name || !uid) throw new Error(`${owner.kind} has no name or uid yet: read it back from the API before owning children with it`);
  return { apiVersion: owner.apiVersion, kind: owner.kind, name, uid, controller: true, blockOwnerDeletion: true };
}

/** The ownerReference with controller=true, if any. */
export function controllerOf(object: KubeObject): OwnerReference | undefined {
  return object.metadata.ownerReferences?.find((r) => r.controller === true);
}

/** Whether `object` is controlled by `owner` (same uid). */
export function isControlledBy(object: KubeObject, owner: KubeObject): boolean {
  const ref = controllerOf(object);
  return ref !== undefined && ref.uid === owner.metadata.uid;
}

/**
 * Makes `owner` the controller of `object` in place (replacing a reference to the same owner). Throws when
 * another object already controls it: two controllers fighting over a child is a bug to surface, not hide.
 */
export function setControllerReference(owner: KubeObject, object: KubeObject): void {
  const ref = controllerReference(owner);
  const current = controllerOf(object);
  if (current && current.uid !== ref.uid) {
    throw new Error(`${object.kind} "${object.metadata.name ?? ''}" is already controlled by ${current.kind} "${current.name}"`);
  }
  const others = (object.metadata.ownerReferences ?? []).filter((r) => r.uid !== ref.uid);
  object.metadata.ownerReferences = [...others, ref];
}

/** Whether `ref` points at an object of `kind` (any version of the same group, as ownerReferences may lag a version bump). */
export function refersToKind(ref: { apiVersion: string; kind: string }, kind: KindRef): boolean {
  return ref.kind === kind.kind && parseApiVersion(ref.apiVersion).group === parseApiVersion(kind.apiVersion).group;
}
