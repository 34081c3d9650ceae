// ControllerRevisions for StatefulSets and DaemonSets: the template snapshot, its hash, revision numbers and history pruning
// (k8s.io/kubernetes pkg/controller/history and the two controllers' getPatch/truncateHistory, re-derived).
import { FloeError } from '../../api/errors.js';
import type { KubeObject, ObjectMeta } from '../../api/meta.js';
import type { PodSpec, Pod } from '../../api/core-v1.js';
import type { Client } from '../../client/client.js';
import { controllerReference, isControlledBy } from '../../controller/index.js';

export const ControllerRevisionRef = { apiVersion: 'apps/v1', kind: 'ControllerRevision' } as const;

/** The hash label on a ControllerRevision (`ControllerRevisionHashLabel`). */
export const RevisionHashLabel = 'controller.kubernetes.io/hash';
/** The label on a Pod naming its revision (`StatefulSetRevisionLabel` / `DefaultDaemonSetUniqueLabelKey`). */
export const PodRevisionLabel = 'controller-revision-hash';

export interface PodTemplate {
  metadata?: ObjectMeta;
  spec: PodSpec;
}

export interface ControllerRevision extends KubeObject {
  data?: { spec?: { template?: PodTemplate & { $patch?: string } } };
  revision: number;
}

export interface LabelSelectorSpec {
  matchLabels?: Record<string, string>;
  matchExpressions?: { key: string; operator: string; values?: string[] }[];
}

/** A label selector object as the `labelSelector` query string (`a=b,c in (d,e)`). */
export function selectorString(selector: LabelSelectorSpec | undefined): string {
  const parts = Object.entries(selector?.matchLabels ?? {}).map(([k, v]) => `${k}=${v}`);
  for (const e of selector?.matchExpressions ?? []) {
    const values = (e.values ?? []).join(',');
    if (e.operator === 'In') parts.push(`${e.key} in (${values})`);
    else if (e.operator === 'NotIn') parts.push(`${e.key} notin (${values})`);
    else if (e.operator === 'Exists') parts.push(e.key);
    else if (e.operator === 'DoesNotExist') parts.push(`!${e.key}`);
  }
  return parts.join(',');
}

const safeAlphabet = 'bcdfghjklmnpqrstvwxz2456789';

/** FNV-32a over `text` (+ collision count), re-encoded with apimachinery's SafeEncodeString alphabet, as ComputeHash does. */
export function revisionHash(text: string, collisionCount?: number): string {
  let h = 0x811c9dc5;
  const bytes = Buffer.from(collisionCount === undefined ? text : `${text}${collisionCount}`);
  for (const b of bytes) {
    h ^= b;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return [...String(h)].map((c) => safeAlphabet[c.charCodeAt(0) % safeAlphabet.length]).join('');
}

/** Keys sorted recursively, so equal templates serialize equally. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) => {
    if (v && typeof v === 'object' && !Array.isArray(v)) return Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
    return v;
  });
}

/** The revision data upstream stores: a strategic-merge patch replacing `spec.template` (what `rollout undo` applies). */
export function revisionData(template: PodTemplate): NonNullable<ControllerRevision['data']> {
  return { spec: { template: { ...structuredClone(template), $patch: 'replace' } } };
}

/** The template a revision snapshots. */
export function templateOf(revision: ControllerRevision): PodTemplate {
  const t = structuredClone(revision.data?.spec?.template ?? { spec: { containers: [] } });
  delete t.$patch;
  return t;
}

const sameData = (a: ControllerRevision, b: ControllerRevision['data']): boolean => canonical(a.data) === canonical(b);

export interface Revisions {
  /** Every revision the owner controls, oldest (lowest `.revision`) first. */
  all: ControllerRevision[];
  update: ControllerRevision;
  collisionCount: number;
}

/**
 * Finds or creates the revision for the owner's current template: an equal existing one is reused (its number raised
 * to the newest when it is not already), else `<owner>-<hash>` is created with the next number; a name taken by
 * different data bumps the collision count, as the StatefulSet and DaemonSet controllers do.
 */
export async function ensureRevision(client: Client, owner: KubeObject & { spec: { template: PodTemplate; selector?: LabelSelectorSpec } }, collisionCount: number): Promise<Revisions> {
  const namespace = owner.metadata.namespace ?? '';
  const listed = (await client.list<ControllerRevision>(ControllerRevisionRef, { namespace, labelSelector: selectorString(owner.spec.selector) })).items;
  const all = listed.filter((r) => isControlledBy(r, owner)).sort((a, b) => a.revision - b.revision || (a.metadata.creationTimestamp ?? '').localeCompare(b.metadata.creationTimestamp ?? ''));
  const data = revisionData(owner.spec.template);
  const next = (all.at(-1)?.revision ?? 0) + 1;
  const equal = all.filter((r) => sameData(r, data));
  const found = equal.at(-1);
  if (found) {
    if (found === all.at(-1)) return { all, update: found, collisionCount };
    const bumped = await client.update<ControllerRevision>({ ...found, revision: next });
    return { all: [...all.filter((r) => r !== found), bumped], update: bumped, collisionCount };
  }
  for (let count = collisionCount; ; count++) {
    const hash = revisionHash(canonical(data), count === 0 ? undefined : count);
    const name = `${owner.metadata.name ?? ''}-${hash}`;
    const revision: ControllerRevision = {
      apiVersion: 'apps/v1',
      kind: 'ControllerRevision',
      metadata: { name, namespace, labels: { ...(owner.spec.selector?.matchLabels ?? {}), ...(owner.spec.template.metadata?.labels ?? {}), [RevisionHashLabel]: hash }, ownerReferences: [controllerReference(owner)] },
      data,
      revision: next,
    };
    try {
      const created = await client.create(revision);
      return { all: [...all, created], update: created, collisionCount: count };
    } catch (err) {
      if (!(err instanceof FloeError && err.reason === 'AlreadyExists')) throw err;
      const existing = await client.get<ControllerRevision>(ControllerRevisionRef, name, namespace);
      if (isControlledBy(existing, owner) && sameData(existing, data)) {
        const bumped = existing.revision === next - 1 ? existing : await client.update<ControllerRevision>({ ...existing, revision: next });
        return { all: [...all.filter((r) => r.metadata.name !== name), bumped], update: bumped, collisionCount: count };
      }
    }
  }
}

/** Deletes the oldest revisions no Pod and no status field uses, keeping `limit` of the unused ones (truncateHistory). */
export async function pruneRevisions(client: Client, revisions: readonly ControllerRevision[], live: ReadonlySet<string>, limit: number): Promise<void> {
  const unused = revisions.filter((r) => !live.has(r.metadata.name ?? ''));
  for (const r of unused.slice(0, Math.max(0, unused.length - limit))) {
    try {
      await client.delete(ControllerRevisionRef, r.metadata.name ?? '', r.metadata.namespace);
    } catch (err) {
      if (!(err instanceof FloeError && err.reason === 'NotFound')) throw err;
    }
  }
}

/** Running, not terminating, and its Ready condition True. */
export function isRunningAndReady(pod: Pod): boolean {
  return pod.status?.phase === 'Running' && !pod.metadata.deletionTimestamp && (pod.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false);
}

/** Ready for at least `minReadySeconds` (podutil.IsPodAvailable); `now` in epoch ms. */
export function isAvailable(pod: Pod, minReadySeconds: number, now: number): boolean {
  if (!isRunningAndReady(pod)) return false;
  if (minReadySeconds <= 0) return true;
  const since = pod.status?.conditions?.find((c) => c.type === 'Ready')?.lastTransitionTime;
  return since !== undefined && Date.parse(since) + minReadySeconds * 1000 <= now;
}

/** Milliseconds until a ready Pod becomes available, or undefined when it is already (or cannot become) available. */
export function untilAvailable(pod: Pod, minReadySeconds: number, now: number): number | undefined {
  if (!isRunningAndReady(pod) || minReadySeconds <= 0) return undefined;
  const since = pod.status?.conditions?.find((c) => c.type === 'Ready')?.lastTransitionTime;
  if (since === undefined) return undefined;
  const due = Date.parse(since) + minReadySeconds * 1000;
  return due > now ? due - now : undefined;
}

/** Swallows NotFound: the object is already gone. */
export async function deleteIgnoringNotFound(client: Client, ref: { apiVersion: string; kind: string }, name: string, namespace: string | undefined, options?: Parameters<Client['delete']>[3]): Promise<void> {
  try {
    await client.delete(ref, name, namespace, options);
  } catch (err) {
    if (!(err instanceof FloeError && err.reason === 'NotFound')) throw err;
  }
}
