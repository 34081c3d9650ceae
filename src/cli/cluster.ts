// Floe on a Kubernetes cluster: `floe install` / `floe uninstall` (CRDs, RBAC, the controller manager Deployment) and
// `floe controllers` (the same controllers, run from anywhere with a kubeconfig, with leader election on a Lease).
import { FloeError } from '../api/errors.js';
import type { KubeObject } from '../api/meta.js';
import type { Client, KindRef } from '../client/client.js';
import { Manager } from '../controller/index.js';
import { addTrainingControllers, installTrainingCrds, trainingCrds } from '../controllers/training/index.js';
import type { Logger } from '../api/logger.js';

export const SystemNamespace = 'floe-system';
const name = 'floe-controller-manager';
const labels = { 'app.kubernetes.io/name': 'floe', 'app.kubernetes.io/component': 'controller-manager' };

/** Everything `floe install` applies, in order. */
export function clusterManifests(options: { image: string }): KubeObject[] {
  const rules = [
    { apiGroups: ['kubeflow.org'], resources: ['tfjobs', 'pytorchjobs', 'xgboostjobs', 'mxjobs', 'tfjobs/status', 'pytorchjobs/status', 'xgboostjobs/status', 'mxjobs/status'], verbs: ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete'] },
    { apiGroups: [''], resources: ['pods', 'services'], verbs: ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete'] },
    { apiGroups: [''], resources: ['events'], verbs: ['get', 'list', 'create', 'update', 'patch'] },
    { apiGroups: ['events.k8s.io'], resources: ['events'], verbs: ['create', 'update', 'patch'] },
    { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['get', 'list', 'watch', 'create', 'update', 'patch'] },
    { apiGroups: ['apiextensions.k8s.io'], resources: ['customresourcedefinitions'], verbs: ['get', 'list', 'watch', 'create', 'update'] },
  ];
  return [
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: SystemNamespace, labels } },
    ...trainingCrds(),
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
        replicas: 2,
        selector: { matchLabels: labels },
        template: {
          metadata: { labels },
          spec: {
            serviceAccountName: name,
            containers: [{
              name: 'manager',
              image: options.image,
              command: ['node', 'dist/src/cli/main.js', 'controllers', '--lease-namespace', SystemNamespace],
              resources: { requests: { cpu: '100m', memory: '128Mi' }, limits: { memory: '512Mi' } },
            }],
          },
        },
      },
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
  const manager = new Manager({
    client,
    log: options.logger,
    leaderElection: { leaseName: 'floe-controllers', leaseNamespace: options.leaseNamespace, ...(options.identity ? { identity: options.identity } : {}) },
  });
  addTrainingControllers(manager);
  await manager.start(options.signal);
}
