// The training operator: TFJob, PyTorchJob, XGBoostJob and MXJob CRDs, and one replicated-job controller per kind.
import type { FieldError } from '../../api/errors.js';
import type { KubeObject } from '../../api/meta.js';
import { PodRef, ServiceRef } from '../../api/core-v1.js';
import type { Client } from '../../client/client.js';
import { installCrds, type Clock, type Controller, type Manager } from '../../controller/index.js';
import { trainingCrds } from './crds.js';
import { frameworkOf, frameworks } from './frameworks.js';
import { TrainingJobReconciler } from './reconciler.js';
import { validateJob, validateRunPolicyUpdate, withDefaults } from './spec.js';
import { ApiVersion, Group, type TrainingJob } from './types.js';

export { trainingCrd, trainingCrds } from './crds.js';
export { frameworkOf, frameworks, mxnet, pytorch, tensorflow, xgboost } from './frameworks.js';
export type { Framework } from './framework.js';
export { replicaName } from './framework.js';
export { ExternalManagers, isManagedElsewhere } from './spec.js';
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

/** Semantic checks of a training job as admission runs them (`[]` for other kinds); `old` on an update. */
export function validateTrainingJob(object: KubeObject, old?: KubeObject): FieldError[] {
  if (object.apiVersion !== ApiVersion) return [];
  const fw = frameworkOf(object.kind ?? '');
  if (!fw) return [];
  const job = withDefaults(fw, object as TrainingJob);
  return [...validateJob(fw, job), ...validateRunPolicyUpdate(job, old as TrainingJob | undefined)];
}

/**
 * The training operator's defaults (SetDefaults_<Kind>: cleanPodPolicy None, replicas 1, the kind's restartPolicy, the
 * framework port on its container, CamelCase replica keys, the kind's own such as PyTorch's nprocPerNode "auto"), written
 * into the object being stored. Mutates `object`; a no-op for other kinds.
 */
export function defaultTrainingJob(object: KubeObject): void {
  if (object.apiVersion !== ApiVersion) return;
  const fw = frameworkOf(object.kind ?? '');
  if (!fw || typeof object['spec'] !== 'object' || object['spec'] === null) return;
  object['spec'] = withDefaults(fw, object as TrainingJob).spec;
}

export const trainingKinds: readonly string[] = frameworks.map((f) => f.kind);
export { Group as TrainingGroup };

export interface InstallOptions {
  timeoutMs?: number;
  clock?: Clock;
}

/** Creates (or brings up to date) the four CRDs, then waits until the API serves every kind. */
export async function installTrainingCrds(client: Client, options: InstallOptions = {}): Promise<void> {
  await installCrds(client, trainingCrds(), options);
}
