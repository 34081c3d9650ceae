// The apps/v1 StatefulSet controller for embedded mode: ordinal Pods with stable names and claims, OrderedReady or
// Parallel management, RollingUpdate (partition, highest ordinal first) or OnDelete, ControllerRevisions and status,
// re-derived from k8s.io/kubernetes pkg/controller/statefulset (stateful_set_control.go, stateful_set_utils.go).
import { FloeError } from '../../api/errors.js';
import type { KubeObject, ObjectMeta, OwnerReference } from '../../api/meta.js';
import { PodRef, type Pod, type Volume } from '../../api/core-v1.js';
import { controllerReference, isControlledBy, realClock, type Clock, type Manager, type ReconcileContext, type ReconcileResult, type Reconciler, type Request } from '../../controller/index.js';
import {
  ControllerRevisionRef,
  PodRevisionLabel,
  deleteIgnoringNotFound,
  ensureRevision,
  isAvailable,
  isRunningAndReady,
  pruneRevisions,
  selectorString,
  templateOf,
  untilAvailable,
  type ControllerRevision,
  type LabelSelectorSpec,
  type PodTemplate,
} from './controller-revision.js';

export const StatefulSetRef = { apiVersion: 'apps/v1', kind: 'StatefulSet' } as const;
export const ClaimRef = { apiVersion: 'v1', kind: 'PersistentVolumeClaim' } as const;

export const PodNameLabel = 'statefulset.kubernetes.io/pod-name';
export const PodIndexLabel = 'apps.kubernetes.io/pod-index';

export interface ClaimTemplate {
  metadata?: ObjectMeta;
  spec?: Record<string, unknown>;
}

export interface StatefulSet extends KubeObject {
  spec: {
    replicas?: number;
    selector?: LabelSelectorSpec;
    template: PodTemplate;
    serviceName?: string;
    volumeClaimTemplates?: ClaimTemplate[];
    podManagementPolicy?: 'OrderedReady' | 'Parallel';
    updateStrategy?: { type?: 'RollingUpdate' | 'OnDelete'; rollingUpdate?: { partition?: number; maxUnavailable?: number | string } };
    revisionHistoryLimit?: number;
    minReadySeconds?: number;
    persistentVolumeClaimRetentionPolicy?: { whenDeleted?: 'Retain' | 'Delete'; whenScaled?: 'Retain' | 'Delete' };
    ordinals?: { start?: number };
  };
  status?: {
    observedGeneration?: number;
    replicas?: number;
    readyReplicas?: number;
    currentReplicas?: number;
    updatedReplicas?: number;
    availableReplicas?: number;
    currentRevision?: string;
    updateRevision?: string;
    collisionCount?: number;
    conditions?: unknown[];
  };
}

interface Claim extends KubeObject {
  spec?: Record<string, unknown>;
}

/** `<set>-<ordinal>` → ordinal, or undefined when the name is not one of the set's. */
export function ordinalOf(set: string, pod: string): number | undefined {
  const prefix = `${set}-`;
  if (!pod.startsWith(prefix)) return undefined;
  const rest = pod.slice(prefix.length);
  return /^(0|[1-9]\d*)$/.test(rest) ? Number(rest) : undefined;
}

/** The claim of template `t` for ordinal `ordinal`: `<template>-<set>-<ordinal>`. */
export function claimName(template: string, set: string, ordinal: number): string {
  return `${template}-${set}-${ordinal}`;
}

const terminating = (p: Pod): boolean => Boolean(p.metadata.deletionTimestamp);
const finished = (p: Pod): boolean => p.status?.phase === 'Failed' || p.status?.phase === 'Succeeded';
const revisionOf = (p: Pod): string | undefined => p.metadata.labels?.[PodRevisionLabel];

/** The Pod for `ordinal` at `revision`: identity (name, hostname, subdomain, labels) and claims as newStatefulSetPod builds it. */
export function statefulPod(set: StatefulSet, revision: ControllerRevision, template: PodTemplate, ordinal: number): Pod {
  const setName = set.metadata.name ?? '';
  const name = `${setName}-${ordinal}`;
  const t = structuredClone(template);
  const labels = { ...(t.metadata?.labels ?? {}), [PodNameLabel]: name, [PodIndexLabel]: String(ordinal), [PodRevisionLabel]: revision.metadata.name ?? '' };
  const spec = t.spec;
  spec.hostname = name;
  if (set.spec.serviceName) spec.subdomain = set.spec.serviceName;
  const claims = new Map((set.spec.volumeClaimTemplates ?? []).map((c) => [c.metadata?.name ?? '', claimName(c.metadata?.name ?? '', setName, ordinal)]));
  const volumes: Volume[] = (spec.volumes ?? []).filter((v) => !claims.has(v.name));
  for (const [volume, claim] of claims) volumes.push({ name: volume, persistentVolumeClaim: { claimName: claim } });
  if (volumes.length > 0) spec.volumes = volumes;
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { ...(t.metadata ?? {}), name, namespace: set.metadata.namespace ?? '', labels, ownerReferences: [controllerReference(set)] },
    spec,
  };
}

export class StatefulSetReconciler implements Reconciler {
  private readonly clock: Clock;

  constructor(options: { clock?: Clock } = {}) {
    this.clock = options.clock ?? realClock();
  }

  async reconcile(ctx: ReconcileContext, request: Request): Promise<ReconcileResult | void> {
    let set: StatefulSet;
    try {
      set = await ctx.client.get<StatefulSet>(StatefulSetRef, request.name, request.namespace);
    } catch (err) {
      if (err instanceof FloeError && err.reason === 'NotFound') return;
      throw err;
    }
    if (set.metadata.deletionTimestamp) return;
    const now = this.clock.now();
    const namespace = set.metadata.namespace ?? '';
    const setName = set.metadata.name ?? '';
    const selector = selectorString(set.spec.selector);

    const { all: revisions, update: updateRevision, collisionCount } = await ensureRevision(ctx.client, set, set.status?.collisionCount ?? 0);
    const currentRevision = revisions.find((r) => r.metadata.name === set.status?.currentRevision) ?? updateRevision;
    const pods = (await ctx.client.list<Pod>(PodRef, { namespace, labelSelector: selector })).items.filter((p) => isControlledBy(p, set));

    const replicaCount = set.spec.replicas ?? 1;
    const start = set.spec.ordinals?.start ?? 0;
    const replicas = new Array<Pod | undefined>(replicaCount).fill(undefined);
    const condemned: Pod[] = [];
    for (const pod of pods) {
      const ord = ordinalOf(setName, pod.metadata.name ?? '');
      if (ord !== undefined && ord >= start && ord < start + replicaCount) replicas[ord - start] = pod;
      else condemned.push(pod);
    }
    condemned.sort((a, b) => (ordinalOf(setName, b.metadata.name ?? '') ?? -1) - (ordinalOf(setName, a.metadata.name ?? '') ?? -1));

    const minReady = set.spec.minReadySeconds ?? 0;
    const monotonic = set.spec.podManagementPolicy !== 'Parallel';
    const rolling = (set.spec.updateStrategy?.type ?? 'RollingUpdate') === 'RollingUpdate';
    const partition = set.spec.updateStrategy?.rollingUpdate?.partition ?? 0;
    let requeueMs: number | undefined;
    const noteAvailability = (p: Pod): void => {
      const wait = untilAvailable(p, minReady, now);
      if (wait !== undefined) requeueMs = Math.min(requeueMs ?? wait, wait);
    };

    const work = async (): Promise<void> => {
      // Failed Pods are replaced; missing ordinals created lowest first; OrderedReady waits for each to be Running+Ready.
      for (let i = 0; i < replicaCount; i++) {
        const ordinal = start + i;
        let pod = replicas[i];
        if (pod && finished(pod) && !terminating(pod)) {
          await this.deletePod(ctx, set, pod);
          replicas[i] = undefined;
          if (monotonic) return;
          continue;
        }
        if (!pod) {
          const useCurrent = rolling && ordinal < partition;
          const revision = useCurrent ? currentRevision : updateRevision;
          pod = statefulPod(set, revision, templateOf(revision), ordinal);
          await this.ensureClaims(ctx, set, ordinal, pod);
          try {
            replicas[i] = await ctx.client.create(pod);
            ctx.recorder.event(set, 'Normal', 'SuccessfulCreate', `create Pod ${pod.metadata.name ?? ''} in StatefulSet ${setName} successful`);
          } catch (err) {
            if (!(err instanceof FloeError && err.reason === 'AlreadyExists')) {
              ctx.recorder.event(set, 'Warning', 'FailedCreate', `create Pod ${pod.metadata.name ?? ''} in StatefulSet ${setName} failed error: ${(err as Error).message}`);
              throw err;
            }
          }
          if (monotonic) return;
          continue;
        }
        if (terminating(pod)) {
          if (monotonic) return;
          continue;
        }
        await this.ensureClaims(ctx, set, ordinal, pod);
        if (monotonic && !isAvailable(pod, minReady, now)) {
          noteAvailability(pod);
          return;
        }
      }
      // Scale down, highest ordinal first; OrderedReady one at a time, waiting for the last to go.
      for (const pod of condemned) {
        if (terminating(pod)) {
          if (monotonic) return;
          continue;
        }
        await this.releaseClaims(ctx, set, pod);
        await this.deletePod(ctx, set, pod);
        if (monotonic) return;
      }
      if (!rolling) return;
      // RollingUpdate: highest ordinal first down to the partition, one Pod at a time, each waiting to be healthy.
      for (let i = replicaCount - 1; i >= 0 && start + i >= partition; i--) {
        const pod = replicas[i];
        if (!pod) return;
        if (revisionOf(pod) !== updateRevision.metadata.name && !terminating(pod)) {
          await this.deletePod(ctx, set, pod);
          return;
        }
        if (!isAvailable(pod, minReady, now)) {
          noteAvailability(pod);
          return;
        }
      }
    };
    await work();

    const current = (await ctx.client.list<Pod>(PodRef, { namespace, labelSelector: selector })).items.filter((p) => isControlledBy(p, set));
    for (const p of current) noteAvailability(p);
    const counted = current.filter((p) => !finished(p));
    const status: NonNullable<StatefulSet['status']> = {
      ...(set.status ?? {}),
      observedGeneration: set.metadata.generation ?? 1,
      replicas: counted.length,
      readyReplicas: counted.filter(isRunningAndReady).length,
      availableReplicas: counted.filter((p) => isAvailable(p, minReady, now)).length,
      currentReplicas: counted.filter((p) => revisionOf(p) === currentRevision.metadata.name).length,
      updatedReplicas: counted.filter((p) => revisionOf(p) === updateRevision.metadata.name).length,
      currentRevision: currentRevision.metadata.name ?? '',
      updateRevision: updateRevision.metadata.name ?? '',
      collisionCount,
    };
    // completeRollingUpdate: once every Pod runs the update revision and is ready, it becomes the current one.
    if (rolling && status.updatedReplicas === status.replicas && status.readyReplicas === status.replicas) {
      status.currentRevision = updateRevision.metadata.name ?? '';
      status.currentReplicas = status.updatedReplicas ?? 0;
    }
    if (JSON.stringify(status) !== JSON.stringify(set.status ?? {})) {
      try {
        await ctx.client.updateStatus<StatefulSet>({ ...set, status });
      } catch (err) {
        if (!(err instanceof FloeError && (err.reason === 'Conflict' || err.reason === 'NotFound'))) throw err;
        return { requeueAfterMs: 0 };
      }
    }

    const live = new Set([status.currentRevision ?? '', status.updateRevision ?? '', ...current.map((p) => revisionOf(p) ?? '')]);
    await pruneRevisions(ctx.client, revisions, live, set.spec.revisionHistoryLimit ?? 10);
    if (requeueMs !== undefined) return { requeueAfterMs: requeueMs };
  }

  /** Creates the ordinal's missing claims (labels: template's plus the selector's), owned as the retention policy says. */
  private async ensureClaims(ctx: ReconcileContext, set: StatefulSet, ordinal: number, pod: Pod): Promise<void> {
    const setName = set.metadata.name ?? '';
    const namespace = set.metadata.namespace ?? '';
    for (const template of set.spec.volumeClaimTemplates ?? []) {
      const name = claimName(template.metadata?.name ?? '', setName, ordinal);
      let existing: Claim | undefined;
      try {
        existing = await ctx.client.get<Claim>(ClaimRef, name, namespace);
      } catch (err) {
        if (!(err instanceof FloeError && err.reason === 'NotFound')) throw err;
      }
      const owners: OwnerReference[] = set.spec.persistentVolumeClaimRetentionPolicy?.whenDeleted === 'Delete' ? [{ ...controllerReference(set), controller: true }] : [];
      if (existing) {
        if (owners.length > 0 && !existing.metadata.ownerReferences?.some((r) => r.uid === set.metadata.uid)) {
          await ctx.client.update<Claim>({ ...existing, metadata: { ...existing.metadata, ownerReferences: [...(existing.metadata.ownerReferences ?? []).filter((r) => r.controller !== true), ...owners] } });
        }
        continue;
      }
      const claim: Claim = {
        apiVersion: 'v1',
        kind: 'PersistentVolumeClaim',
        metadata: {
          ...(template.metadata?.annotations ? { annotations: { ...template.metadata.annotations } } : {}),
          name,
          namespace,
          labels: { ...(template.metadata?.labels ?? {}), ...(set.spec.selector?.matchLabels ?? {}) },
          ...(owners.length > 0 ? { ownerReferences: owners } : {}),
        },
        spec: structuredClone(template.spec ?? {}),
      };
      try {
        await ctx.client.create(claim);
        ctx.recorder.event(set, 'Normal', 'SuccessfulCreate', `create Claim ${name} Pod ${pod.metadata.name ?? ''} in StatefulSet ${setName} success`);
      } catch (err) {
        if (err instanceof FloeError && err.reason === 'AlreadyExists') continue;
        ctx.recorder.event(set, 'Warning', 'FailedCreate', `create Claim ${name} for Pod ${pod.metadata.name ?? ''} in StatefulSet ${setName} failed error: ${(err as Error).message}`);
        throw err;
      }
    }
  }

  /** whenScaled: Delete makes the condemned Pod the owner of its claims, so garbage collection removes them with it. */
  private async releaseClaims(ctx: ReconcileContext, set: StatefulSet, pod: Pod): Promise<void> {
    if (set.spec.persistentVolumeClaimRetentionPolicy?.whenScaled !== 'Delete') return;
    const ordinal = ordinalOf(set.metadata.name ?? '', pod.metadata.name ?? '');
    if (ordinal === undefined) return;
    for (const template of set.spec.volumeClaimTemplates ?? []) {
      const name = claimName(template.metadata?.name ?? '', set.metadata.name ?? '', ordinal);
      try {
        const claim = await ctx.client.get<Claim>(ClaimRef, name, set.metadata.namespace);
        const others = (claim.metadata.ownerReferences ?? []).filter((r) => r.controller !== true);
        await ctx.client.update<Claim>({ ...claim, metadata: { ...claim.metadata, ownerReferences: [...others, controllerReference(pod)] } });
      } catch (err) {
        if (!(err instanceof FloeError && err.reason === 'NotFound')) throw err;
      }
    }
  }

  private async deletePod(ctx: ReconcileContext, set: StatefulSet, pod: Pod): Promise<void> {
    await deleteIgnoringNotFound(ctx.client, PodRef, pod.metadata.name ?? '', pod.metadata.namespace);
    ctx.recorder.event(set, 'Normal', 'SuccessfulDelete', `delete Pod ${pod.metadata.name ?? ''} in StatefulSet ${set.metadata.name ?? ''} successful`);
  }
}

/** The `statefulset-controller`: StatefulSets primary; their Pods and ControllerRevisions owned. */
export function addStatefulSetController(manager: Manager, options: { clock?: Clock } = {}): void {
  manager.controller('statefulset-controller').for(StatefulSetRef).owns(PodRef).owns(ControllerRevisionRef).withConcurrency(2).complete(new StatefulSetReconciler(options));
}
