// The training operator: TFJob, PyTorchJob, XGBoostJob and MXJob CRDs, and one replicated-job controller per kind.
import { FloeError, type FieldError } from '../../api/errors.js';
import type { KubeObject } from '../../api/meta.js';
import { PodRef, ServiceRef } from '../../api/core-v1.js';
import type { Client } from '../../client/client.js';
import { delay, realClock, type Clock, type Controller, type Manager } from '../../controller/index.js';
import { trainingCrds } from './crds.js';
import { frameworkOf, frameworks } from './frameworks.js';
import { TrainingJobReconciler } from './reconciler.js';
import { validateJob, withDefaults } from './spec.js';
import { ApiVersion, Group, type TrainingJob } from './types.js';

export { trainingCrd, trainingCrds } from './crds.js';
export { frameworkOf, frameworks, mxnet, pytorch, tensorflow, xgboost } from './frameworks.js';
export type { Framework } from './framework.js';
export { replicaName } from './framework.js';
export { ApiVersion as TrainingApiVersion, Labels as TrainingLabels, type JobStatus, type TrainingJob } from './types.js';

export interface TrainingControllerOptions {
  /** Jobs of one kind reconciled at once; 2 unless given. */
  concurrency?: number;
  clock?: Clock;
}

/** Registers one controller per kind (`tfjob-controller`, …): jobs primary, their Pods and Services owned. */
export function addTrainingControllers(manager: Manager, options: TrainingControllerOptions = {}): Controller[] {
  return frameworks.map((framework) =>
    manager
      .controller(framework.operatorName)
      .for({ apiVersion: ApiVersion, kind: framework.kind })
      .owns(PodRef)
      .owns(ServiceRef)
      .withConcurrency(options.concurrency ?? 2)
      .complete(new TrainingJobReconciler({ framework, ...(options.clock ? { clock: options.clock } : {}) })),
  );
}

/** Semantic checks of a training job as admission runs them (`[]` for other kinds). */
export function validateTrainingJob(object: KubeObject): FieldError[] {
  if (object.apiVersion !== ApiVersion) return [];
  const fw = frameworkOf(object.kind ?? '');
  return fw ? validateJob(fw, withDefaults(fw, object as TrainingJob)) : [];
}

export const trainingKinds: readonly string[] = frameworks.map((f) => f.kind);
export { Group as TrainingGroup };

export interface InstallOptions {
  timeoutMs?: number;
  clock?: Clock;
}

/** Creates (or brings up to date) the four CRDs, then waits until the API serves every kind. */
export async function installTrainingCrds(client: Client, options: InstallOptions = {}): Promise<void> {
  const crdRef = { apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition' };
  for (const crd of trainingCrds()) {
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
  for (const fw of frameworks) {
    for (;;) {
      try {
        await client.list({ apiVersion: ApiVersion, kind: fw.kind }, { limit: 1 });
        break;
      } catch (err) {
        if (!(err instanceof FloeError && err.reason === 'NotFound') || clock.now() >= deadline) throw err;
      }
      await delay(clock, 50);
    }
  }
}
