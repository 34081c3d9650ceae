// KServe in Floe: the CRDs, Floe's built-in ClusterServingRuntimes, and the InferenceService controller.
import { fileURLToPath } from 'node:url';
import { FloeError } from '../../api/errors.js';
import { PodRef, ServiceRef } from '../../api/core-v1.js';
import type { Client } from '../../client/client.js';
import { installCrds, type Clock, type Controller, type Manager } from '../../controller/index.js';
import { servingCrds } from './crds.js';
import type { ServingIngress } from './dataplane.js';
import { InferenceServiceReconciler, type InProcessLoader } from './isvc-controller.js';
import { builtinRuntimes } from './builtin-runtimes.js';
import { Group, InferenceGraphRef, InferenceServiceRef, TrainedModelRef } from './types.js';
import { TrainedModelReconciler } from './trainedmodel-controller.js';
import { InferenceGraphReconciler } from './graph-controller.js';

export { servingCrds } from './crds.js';
export { ServingIngress, ServingPrefix, type LocalEndpoint } from './dataplane.js';
export { ActivatedAtAnnotation, ReplicasStatusAnnotation, ScaleToZeroAfterAnnotation, StopAnnotation, type InProcessLoader, type InProcessModel } from './isvc-controller.js';
export { InProcessAnnotation, InferenceServiceRef, ServingRuntimeRef, ClusterServingRuntimeRef, type InferenceService, type ServingRuntime } from './types.js';
export const ServingGroup = Group;

export interface ServingControllerOptions {
  ingress: ServingIngress;
  ingressUrl: string;
  loaders: Record<string, InProcessLoader>;
  clock?: Clock;
  /** Where single-file storageUris are laid out as /mnt/models/<file> (IsvcControllerOptions.stagingDir). */
  stagingDir?: string;
  /** Every InferenceService in raw mode, addressed by Service DNS (IsvcControllerOptions.cluster). */
  cluster?: boolean;
}

export function addServingControllers(manager: Manager, options: ServingControllerOptions): { controllers: Controller[]; close(): Promise<void> } {
  const reconciler = new InferenceServiceReconciler(options);
  const isvc = manager
    .controller('inferenceservice-controller')
    .for(InferenceServiceRef)
    .owns(PodRef)
    .owns(ServiceRef)
    .withConcurrency(2)
    .complete(reconciler);
  const graphs = manager
    .controller('inferencegraph-controller')
    .for(InferenceGraphRef)
    .complete(new InferenceGraphReconciler({ ingress: options.ingress, ingressUrl: options.ingressUrl, ...(options.clock ? { clock: options.clock } : {}) }));
  const trained = manager
    .controller('trainedmodel-controller')
    .for(TrainedModelRef)
    .complete(new TrainedModelReconciler({ isvcs: reconciler, ingressUrl: options.ingressUrl, ...(options.clock ? { clock: options.clock } : {}) }));
  return { controllers: [isvc, graphs, trained], close: () => reconciler.close() };
}

/** The CRDs, then Floe's built-in runtimes (kept as the user left them once created). */
export async function installServing(client: Client, options: { pythonDir?: string } = {}): Promise<void> {
  await installCrds(client, servingCrds());
  // Floe's Python helpers live in the checkout's python/ (this file is dist/src/controllers/serving/index.js).
  const pythonDir = options.pythonDir ?? fileURLToPath(new URL('../../../../python', import.meta.url));
  for (const runtime of builtinRuntimes({ pythonDir })) {
    try {
      await client.create(runtime);
    } catch (err) {
      if (!(err instanceof FloeError && err.reason === 'AlreadyExists')) throw err;
    }
  }
}
