// The apps/v1 workload controllers as a Floe capability: embedded only (on a cluster, kube-controller-manager runs them).
import type { Capability, Manager } from '../../controller/index.js';
import { addDaemonSetController } from './daemon-set.js';
import { addDeploymentController } from './deployment-controller.js';
import { addHorizontalPodAutoscalerController } from './hpa-controller.js';
import { addDisruptionController } from './pdb.js';
import { addReplicaSetControllers } from './replica-set-controller.js';
import { addStatefulSetController } from './stateful-set.js';

/** Every controller of the capability, one line each: Deployments, ReplicaSets (+ ReplicationControllers), HPAs. */
export function addAppsControllers(manager: Manager): void {
  addReplicaSetControllers(manager, { replicationControllers: true });
  addDeploymentController(manager);
  addHorizontalPodAutoscalerController(manager);
  addStatefulSetController(manager);
  addDaemonSetController(manager);
  addDisruptionController(manager);
}

export const appsCapability: Capability = {
  name: 'apps',
  modes: ['embedded'],
  start(ctx) {
    addAppsControllers(ctx.manager);
    return Promise.resolve({});
  },
};
