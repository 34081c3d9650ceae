// The Greeter reconciler: ConfigMaps per replica holding the message, status with a Ready condition, a goodbye finalizer.
import { FloeError } from '../../src/api/errors.js';
import {
  addFinalizer,
  hasFinalizer,
  isBeingDeleted,
  isControlledBy,
  realClock,
  removeFinalizer,
  setCondition,
  setObservedGeneration,
  TerminalError,
  type Clock,
  type Condition,
  type ConditionInput,
  type ReconcileContext,
  type Reconciler,
  type Request,
} from '../../src/controller/index.js';
import { ConfigMapRef, desiredConfigMaps, GreeterFinalizer, GreeterLabel, GreeterRef, upToDate, type ConfigMap, type Greeter, type GreeterStatus } from './greeter.js';

export interface GreeterReconcilerOptions {
  /** A policy of this operator, not of the API: more replicas than this is refused. 10 unless given. */
  maxReplicas?: number;
  clock?: Clock;
}

/**
 * STYLE.md's one shape: get → handle deletion (finalizer) → ensure finalizer → observe children → compute
 * desired → apply the smallest change → one status write.
 */
export class GreeterReconciler implements Reconciler {
  private readonly maxReplicas: number;
  private readonly clock: Clock;

  constructor(options: GreeterReconcilerOptions = {}) {
    this.maxReplicas = options.maxReplicas ?? 10;
    this.clock = options.clock ?? realClock();
  }

  async reconcile(ctx: ReconcileContext, request: Request): Promise<void> {
    let greeter = await getGreeter(ctx, request);
    if (!greeter) return;

    if (isBeingDeleted(greeter)) {
      if (hasFinalizer(greeter, GreeterFinalizer)) {
        // The ConfigMaps go by garbage collection (their ownerReferences); the finalizer's job is the goodbye.
        ctx.recorder.event(greeter, 'Normal', 'Goodbye', `Greeter ${request.name} is being deleted; its ConfigMaps go with it`);
        removeFinalizer(greeter, GreeterFinalizer);
        await ctx.client.update(greeter);
        ctx.log.info({}, 'finalized');
      }
      return;
    }
    if (addFinalizer(greeter, GreeterFinalizer)) greeter = await ctx.client.update(greeter);

    const status: GreeterStatus = structuredClone(greeter.status ?? {});
    const conditions = (status.conditions ??= []);
    const before = JSON.stringify(status);
    setObservedGeneration(status, greeter);

    if (greeter.spec.replicas > this.maxReplicas) {
      const message = `spec.replicas is ${greeter.spec.replicas}; this operator makes at most ${this.maxReplicas} ConfigMaps per Greeter`;
      this.setReady(conditions, greeter, { status: 'False', reason: 'TooManyReplicas', message });
      await this.writeStatus(ctx, greeter, status, before);
      throw new TerminalError(message, { reason: 'TooManyReplicas' });
    }

    const listed = await ctx.client.list<ConfigMap>(ConfigMapRef, { namespace: request.namespace, labelSelector: `${GreeterLabel}=${request.name}` });
    const owned = listed.items.filter((cm) => isControlledBy(cm, greeter));
    const desired = desiredConfigMaps(greeter);
    const wanted = new Set(desired.map((cm) => cm.metadata.name));

    for (const want of desired) {
      const have = owned.find((cm) => cm.metadata.name === want.metadata.name);
      if (!have) {
        await ctx.client.create(want);
        ctx.recorder.event(greeter, 'Normal', 'Created', `Created ConfigMap ${want.metadata.name ?? ''}`);
      } else if (!upToDate(have, want)) {
        await ctx.client.update({ ...have, metadata: { ...have.metadata, labels: { ...have.metadata.labels, ...want.metadata.labels } }, data: want.data });
        ctx.recorder.event(greeter, 'Normal', 'Updated', `Updated ConfigMap ${want.metadata.name ?? ''}`);
      }
    }
    for (const extra of owned.filter((cm) => !wanted.has(cm.metadata.name))) {
      try {
        await ctx.client.delete(ConfigMapRef, extra.metadata.name ?? '', request.namespace);
      } catch (err) {
        if (!(err instanceof FloeError && err.reason === 'NotFound')) throw err;
      }
      ctx.recorder.event(greeter, 'Normal', 'Deleted', `Deleted ConfigMap ${extra.metadata.name ?? ''}`);
    }

    status.readyReplicas = desired.length;
    this.setReady(conditions, greeter, { status: 'True', reason: 'ConfigMapsReady', message: `${desired.length} ConfigMap(s) hold the message` });
    await this.writeStatus(ctx, greeter, status, before);
  }

  private setReady(conditions: Condition[], greeter: Greeter, ready: Omit<ConditionInput, 'type'>): void {
    const input: ConditionInput = { type: 'Ready', ...ready };
    if (greeter.metadata.generation !== undefined) input.observedGeneration = greeter.metadata.generation;
    setCondition(conditions, input, this.clock.now());
  }

  /** One status write, and only when something changed. */
  private async writeStatus(ctx: ReconcileContext, greeter: Greeter, status: GreeterStatus, before: string): Promise<void> {
    if (JSON.stringify(status) === before) return;
    await ctx.client.updateStatus<Greeter>({ ...greeter, status });
  }
}

async function getGreeter(ctx: ReconcileContext, request: Request): Promise<Greeter | undefined> {
  try {
    return await ctx.client.get<Greeter>(GreeterRef, request.name, request.namespace);
  } catch (err) {
    if (err instanceof FloeError && err.reason === 'NotFound') return undefined;
    throw err;
  }
}
