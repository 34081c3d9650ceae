// Floe on a Kubernetes cluster: `floe install` / `floe uninstall` (CRDs, RBAC, the controller manager Deployment) and
// `floe controllers` (the same controllers, run from anywhere with a kubeconfig, with leader election on a Lease).
import { FloeError } from '../api/errors.js';
import type { KubeObject } from '../api/meta.js';
import type { Client, KindRef } from '../client/client.js';
import { Manager } from '../controller/index.js';
import { createServer } from 'node:http';
import { addKatibControllers, installKatibCrds, katibCrds, ObservationDb, observationLogRoute, SuggestionRunner } from '../controllers/katib/index.js';
import { addTrainingControllers, installTrainingCrds, trainingCrds } from '../controllers/training/index.js';
import type { KubeClient } from '../client/kube-client.js';
import type { Logger } from '../api/logger.js';

export const SystemNamespace = 'floe-system';
const name = 'floe-controller-manager';
/** Katib's DB manager (observation logs; Push trials report here), served by the controller manager. */
const KatibService = 'floe-katib-db-manager';
const KatibPort = 6789;
const labels = { 'app.kubernetes.io/name': 'floe', 'app.kubernetes.io/component': 'controller-manager' };

/** Everything `floe install` applies, in order. */
export function clusterManifests(options: { image: string }): KubeObject[] {
  const rules = [
    { apiGroups: ['kubeflow.org'], resources: ['tfjobs', 'pytorchjobs', 'xgboostjobs', 'mxjobs', 'tfjobs/status', 'pytorchjobs/status', 'xgboostjobs/status', 'mxjobs/status'], verbs: ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete'] },
    { apiGroups: ['kubeflow.org'], resources: ['experiments', 'trials', 'suggestions', 'experiments/status', 'trials/status', 'suggestions/status'], verbs: ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete'] },
    { apiGroups: ['batch'], resources: ['jobs'], verbs: ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete'] },
    { apiGroups: [''], resources: ['pods', 'services'], verbs: ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete'] },
    { apiGroups: [''], resources: ['pods/log', 'configmaps'], verbs: ['get', 'list'] },
    { apiGroups: [''], resources: ['events'], verbs: ['get', 'list', 'create', 'update', 'patch'] },
    { apiGroups: ['events.k8s.io'], resources: ['events'], verbs: ['create', 'update', 'patch'] },
    { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['get', 'list', 'watch', 'create', 'update', 'patch'] },
    { apiGroups: ['apiextensions.k8s.io'], resources: ['customresourcedefinitions'], verbs: ['get', 'list', 'watch', 'create', 'update'] },
  ];
  return [
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: SystemNamespace, labels } },
    ...trainingCrds(),
    ...katibCrds(),
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name, namespace: SystemNamespace, labels } },
    { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name, labels }, rules },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: { name, labels },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name },
      subjects: [{ kind: 'ServiceAccount', name, namespace: SystemNamespace }],
    },
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name, namespace: SystemNamespace, labels },
      spec: {
        // One replica: Katib's observation logs live in its SQLite file (a PVC would let two replicas hand over).
        replicas: 1,
        strategy: { type: 'Recreate' },
        selector: { matchLabels: labels },
        template: {
          metadata: { labels },
          spec: {
            serviceAccountName: name,
            containers: [{
              name: 'manager',
              image: options.image,
              command: ['node', 'dist/src/cli/main.js', 'controllers', '--lease-namespace', SystemNamespace, '--katib-db', '/var/lib/floe/katib.db', '--katib-listen', `0.0.0.0:${KatibPort}`, '--katib-report-url', `http://${KatibService}.${SystemNamespace}.svc:${KatibPort}/katib/v1beta1`],
              ports: [{ name: 'db-manager', containerPort: KatibPort }],
              volumeMounts: [{ name: 'katib-db', mountPath: '/var/lib/floe' }],
              resources: { requests: { cpu: '100m', memory: '128Mi' }, limits: { memory: '512Mi' } },
            }],
            volumes: [{ name: 'katib-db', emptyDir: {} }],
          },
        },
      },
    },
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: KatibService, namespace: SystemNamespace, labels },
      spec: { selector: labels, ports: [{ name: 'db-manager', port: KatibPort, targetPort: KatibPort }] },
    },
  ];
}

const refOf = (o: KubeObject): KindRef => ({ apiVersion: o.apiVersion ?? '', kind: o.kind ?? '' });
const label = (o: KubeObject): string => `${(o.kind ?? '').toLowerCase()}/${o.metadata.name ?? ''}`;

/** Creates each object, or replaces it when it exists; one line per object, as kubectl apply prints. */
export async function install(client: Client, objects: KubeObject[], out: (line: string) => void): Promise<void> {
  for (const object of objects) {
    try {
      await client.create(object);
      out(`${label(object)} created`);
    } catch (err) {
      if (!(err instanceof FloeError && err.reason === 'AlreadyExists')) throw err;
      const existing = await client.get(refOf(object), object.metadata.name ?? '', object.metadata.namespace);
      await client.update({ ...existing, ...object, metadata: { ...existing.metadata, labels: object.metadata.labels ?? {} } });
      out(`${label(object)} configured`);
    }
  }
}

/** Deletes what `install` applied, last first. CRDs go too, and with them every job of their kinds. */
export async function uninstall(client: Client, objects: KubeObject[], out: (line: string) => void): Promise<void> {
  for (const object of [...objects].reverse()) {
    try {
      await client.delete(refOf(object), object.metadata.name ?? '', object.metadata.namespace, { propagationPolicy: 'Background' });
      out(`${label(object)} deleted`);
    } catch (err) {
      if (!(err instanceof FloeError && err.reason === 'NotFound')) throw err;
    }
  }
}

export interface ControllersOptions {
  client: Client;
  logger: Logger;
  /** Namespace of the `floe-controllers` Lease; created when missing. */
  leaseNamespace: string;
  identity?: string;
  signal: AbortSignal;
  /** Katib's observation-log database file. */
  katibDb: string;
  /** `host:port` to serve the observation-log endpoint on; not served when absent. */
  katibListen?: string;
  /** The URL Push trials report to (`…/katib/v1beta1`). */
  katibReportUrl?: string;
}

/** Installs the CRDs, then runs every controller while holding the `floe-controllers` Lease, until `signal` aborts. */
export async function runControllers(options: ControllersOptions): Promise<void> {
  const { client } = options;
  try {
    await client.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: options.leaseNamespace } });
  } catch (err) {
    if (!(err instanceof FloeError && (err.reason === 'AlreadyExists' || err.reason === 'Forbidden'))) throw err;
  }
  await installTrainingCrds(client);
  await installKatibCrds(client);
  const db = new ObservationDb(options.katibDb);
  const server = options.katibListen ? await listen(db, options.katibListen) : undefined;
  const manager = new Manager({
    client,
    log: options.logger,
    leaderElection: { leaseName: 'floe-controllers', leaseNamespace: options.leaseNamespace, ...(options.identity ? { identity: options.identity } : {}) },
  });
  addTrainingControllers(manager);
  const kube = client as Partial<KubeClient>;
  const runner = new SuggestionRunner();
  addKatibControllers(manager, {
    db,
    runner,
    ...(kube.podLog ? { pods: { log: (ns: string, pod: string, container: string) => kube.podLog!(ns, pod, container) } } : {}),
    ...(options.katibReportUrl ? { reportUrl: options.katibReportUrl } : server ? { reportUrl: `http://${server.address}/katib/v1beta1` } : {}),
  });
  try {
    await manager.start(options.signal);
  } finally {
    await runner.stop();
    await server?.close();
    db.close();
  }
}

async function listen(db: ObservationDb, address: string): Promise<{ address: string; close(): Promise<void> }> {
  const at = address.lastIndexOf(':');
  const host = address.slice(0, at) || '127.0.0.1';
  const port = Number(address.slice(at + 1));
  const route = observationLogRoute(db);
  const server = createServer((req, res) => {
    void route(req, res, new URL(req.url ?? '/', 'http://floe.local')).then((handled) => {
      if (!handled) {
        res.writeHead(404, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ message: `no such path: ${req.url ?? ''}` }));
      }
    }, (err: unknown) => {
      res.writeHead(500, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ message: String(err) }));
    });
  });
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(port, host, resolve));
  const bound = server.address();
  const actual = typeof bound === 'object' && bound ? `${host}:${bound.port}` : address;
  return { address: actual, close: () => new Promise((resolve) => server.close(() => resolve())) };
}
