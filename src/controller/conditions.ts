// Status helpers: Kubernetes-style conditions, observedGeneration, and the timestamp format they carry.
import type { KubeObject } from '../api/meta.js';

export type ConditionStatus = 'True' | 'False' | 'Unknown';

/** One entry of `status.conditions`, as metav1.Condition defines it. */
export interface Condition {
  type: string;
  status: ConditionStatus;
  /** CamelCase, machine-readable: `ReplicasReady`, `TooManyReplicas`. */
  reason: string;
  /** For people: says what is wrong and what to do. */
  message: string;
  /** When `status` last changed (RFC 3339, seconds). */
  lastTransitionTime: string;
  /** The metadata.generation this condition was computed from. */
  observedGeneration?: number;
}

/** What a reconciler says about a condition; `setCondition` adds the transition time. */
export interface ConditionInput {
  type: string;
  status: ConditionStatus;
  reason: string;
  message: string;
  observedGeneration?: number;
}

/** The fields of a status these helpers read and write. */
export interface ObservedStatus {
  observedGeneration?: number;
  conditions?: Condition[];
}

/** A Kubernetes `Time`: RFC 3339 in UTC with whole seconds, as kube-apiserver writes it. */
export function kubeTime(at: Date | number): string {
  return new Date(typeof at === 'number' ? at : at.getTime()).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** A Kubernetes `MicroTime`: RFC 3339 in UTC with six fractional digits. */
export function kubeMicroTime(at: Date | number): string {
  return new Date(typeof at === 'number' ? at : at.getTime()).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

/**
 * Sets the condition of `input.type` in place: adds it, or updates reason, message and observedGeneration.
 * `lastTransitionTime` moves to `now` only when the status changes. Returns whether anything changed, so a
 * reconciler writes status only when it must.
 */
export function setCondition(conditions: Condition[], input: ConditionInput, now: Date | number): boolean {
  const existing = conditions.find((c) => c.type === input.type);
  if (!existing) {
    const added: Condition = { type: input.type, status: input.status, reason: input.reason, message: input.message, lastTransitionTime: kubeTime(now) };
    if (input.observedGeneration !== undefined) added.observedGeneration = input.observedGeneration;
    conditions.push(added);
    return true;
  }
  let changed = false;
  if (existing.status !== input.status) {
    existing.status = input.status;
    existing.lastTransitionTime = kubeTime(now);
    changed = true;
  }
  if (existing.reason !== input.reason) {
    existing.reason = input.reason;
    changed = true;
  }
  if (existing.message !== input.message) {
    existing.message = input.message;
    changed = true;
  }
  if (input.observedGeneration !== undefined && existing.observedGeneration !== input.observedGeneration) {
    existing.observedGeneration = input.observedGeneration;
    changed = true;
  }
  return changed;
}

/** Removes the condition of `type` in place; returns whether one was there. */
export function removeCondition(conditions: Condition[], type: string): boolean {
  const i = conditions.findIndex((c) => c.type === type);
  if (i < 0) return false;
  conditions.splice(i, 1);
  return true;
}

export function findCondition(conditions: readonly Condition[] | undefined, type: string): Condition | undefined {
  return conditions?.find((c) => c.type === type);
}

/** Whether the condition of `type` is present with status 'True'. */
export function isTrue(conditions: readonly Condition[] | undefined, type: string): boolean {
  return findCondition(conditions, type)?.status === 'True';
}

/** Whether the condition of `type` is present with status 'False'. */
export function isFalse(conditions: readonly Condition[] | undefined, type: string): boolean {
  return findCondition(conditions, type)?.status === 'False';
}

/** Whether `status.observedGeneration` has caught up with `metadata.generation`: the status describes the current spec. */
export function isGenerationObserved(object: KubeObject): boolean {
  const generation = object.metadata.generation;
  const observed = (object.status as ObservedStatus | undefined)?.observedGeneration;
  return generation === undefined || (observed !== undefined && observed >= generation);
}

/** Records the object's generation in `status.observedGeneration`; returns whether it changed. */
export function setObservedGeneration(status: ObservedStatus, object: KubeObject): boolean {
  const generation = object.metadata.generation;
  if (generation === undefined || status.observedGeneration === generation) return false;
  status.observedGeneration = generation;
  return true;
}
