// Kubeflow Notebooks as a Floe capability: the Notebook CRD, the notebook controller and culler, and /notebook/<ns>/<name>/.
import type { Capability, Route } from '../../controller/index.js';
import { addCullingController, cullingFromEnv, defaultCulling, type CullingSettings } from './culling.js';
import { notebookCrds } from './crds.js';
import { addNotebookControllers } from './notebook-controller.js';
import { notebookRoute } from './route.js';
import { jupyterWebAppRoute } from './jupyter-web-app.js';
import { podDefaultAdmission, podDefaultCrds } from './poddefaults.js';
import { addTensorboardController, tensorboardCrds, tensorboardRoute } from './tensorboard.js';

export interface NotebooksCapabilityOptions {
  /** ENABLE_CULLING, CULL_IDLE_TIME, IDLENESS_CHECK_PERIOD, CLUSTER_DOMAIN; off unless given. */
  culling?: CullingSettings;
  /** Upstream's ADD_FSGROUP (default true). */
  addFsGroup?: boolean;
}

/** The options from the environment variables upstream's notebook-controller reads (its manager.yaml / params.env). */
export function notebookOptionsFromEnv(env: Readonly<Record<string, string | undefined>>): NotebooksCapabilityOptions {
  return { culling: cullingFromEnv(env), addFsGroup: env.ADD_FSGROUP === undefined || env.ADD_FSGROUP === 'true' };
}

export function notebooksCapability(options: NotebooksCapabilityOptions = {}): Capability {
  const culling = options.culling ?? defaultCulling;
  const podDefaults = podDefaultAdmission();
  return {
    name: 'notebooks',
    modes: ['embedded', 'cluster'],
    crds: () => [...notebookCrds(), ...podDefaultCrds(), ...tensorboardCrds()],
    admission: [podDefaults],
    start(ctx) {
      addNotebookControllers(ctx.manager, { ...(options.addFsGroup !== undefined ? { addFsGroup: options.addFsGroup } : {}) });
      if (culling.enabled) addCullingController(ctx.manager, { settings: culling });
      // PodDefaults, the Jupyter web app and Tensorboards (H2): admission runs in embedded mode only.
      if (ctx.mode === 'embedded') podDefaults.start(ctx.manager);
      addTensorboardController(ctx.manager, ctx);
      const routes: Route[] = [notebookRoute({ client: ctx.client, clusterDomain: culling.clusterDomain }), jupyterWebAppRoute(ctx), tensorboardRoute({ client: ctx.client, clusterDomain: culling.clusterDomain })];
      return Promise.resolve({ routes });
    },
  };
}
