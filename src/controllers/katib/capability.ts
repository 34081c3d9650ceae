// Katib as a Floe capability: its CRDs and webhooks, the three controllers, and the observation-log endpoint (its DB manager).
import { join } from 'node:path';
import type { Capability } from '../../controller/index.js';
import { SuggestionRunner } from './algorithms/runner.js';
import { katibCrds } from './crds.js';
import { ObservationDb } from './db.js';
import { installTrialTemplates } from './trial-templates.js';
import { addKatibControllers, admitKatib, KatibGroup, katibKinds, observationLogRoute } from './index.js';

/** Where Push trials report: `<url>/katib/v1beta1/namespaces/NS/trials/TRIAL/observationlog`. */
export const KatibPrefix = '/katib/v1beta1/';
const observationLogPath = /^\/katib\/v1beta1\/namespaces\/([^/]+)\/trials\/([^/]+)\/observationlog\/?$/;

export const katibCapability: Capability = {
  name: 'katib',
  modes: ['embedded', 'cluster'],
  crds: katibCrds,
  // Katib's defaulting and validating webhooks for Experiments.
  admission: [{ handles: (type) => type.group === KatibGroup && katibKinds.includes(type.kind), admit: admitKatib }],
  // StdOut reads trial Pods' logs; File and TensorFlowEvent read their metrics volume on this machine.
  needs: ['podLogs', 'volumeDirs'],
  async start(ctx) {
    // Katib's standard trial templates (kubeflow/trial-templates), as its manifests install them.
    // On a cluster whose RBAC keeps the controller out of `kubeflow`, Katib still runs; the templates are missing.
    await installTrialTemplates(ctx.client).catch((err: unknown) => ctx.logger.warn({ err }, 'cannot install the kubeflow/trial-templates ConfigMap'));
    // Katib's DB manager: observation logs in their own SQLite file.
    const db = new ObservationDb(join(ctx.dataDir, 'katib.db'));
    const runner = new SuggestionRunner();
    const node = ctx.node;
    addKatibControllers(ctx.manager, {
      db,
      runner,
      reportUrl: `${ctx.url}/katib/v1beta1`,
      pythonHelperDir: ctx.pythonDir,
      ...(ctx.podCredentials ? { reportCredentials: ctx.podCredentials } : {}),
      ...(node ? { pods: { log: (namespace, pod, container) => node.podLog(namespace, pod, container), ...(node.volumeDir ? { volumeDir: node.volumeDir.bind(node) } : {}) } } : {}),
    });
    const route = observationLogRoute(db);
    return {
      routes: [
        {
          prefix: KatibPrefix,
          access: {
            kind: 'resource',
            attributes: (req, url) => {
              const m = observationLogPath.exec(url.pathname);
              const verb = req.method === 'POST' ? 'create' : req.method === 'DELETE' ? 'delete' : 'get';
              return { verb, group: KatibGroup, resource: 'trials', subresource: 'observationlog', ...(m ? { namespace: decodeURIComponent(m[1]!), name: decodeURIComponent(m[2]!) } : {}) };
            },
          },
          bodyTypes: ['application/json'],
          handle: route,
        },
      ],
      async close() {
        await runner.stop();
        db.close();
      },
    };
  },
};
