// Test objects: a fresh namespace per test, and ConfigMap / Pod manifests kept small and never scheduled.
import type { KubeObject } from '../../src/api/meta.js';
import type { Client, KindRef } from '../../src/client/client.js';

export const ConfigMapRef: KindRef = { apiVersion: 'v1', kind: 'ConfigMap' };
export const PodRef: KindRef = { apiVersion: 'v1', kind: 'Pod' };
export const NamespaceRef: KindRef = { apiVersion: 'v1', kind: 'Namespace' };

let namespaces = 0;

/** Creates a namespace no other test uses and returns its name. */
export async function freshNamespace(client: Client, hint: string): Promise<string> {
  namespaces += 1;
  const name = `${hint}-${process.pid}-${namespaces}`.toLowerCase().replace(/[^a-z0-9-]/g, '-').slice(0, 63).replace(/-+$/, '');
  await client.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
  return name;
}

export interface ConfigMapFields {
  labels?: Record<string, string>;
  data?: Record<string, string>;
  finalizers?: string[];
  ownerReferences?: NonNullable<KubeObject['metadata']['ownerReferences']>;
}

export function configMap(namespace: string, name: string, fields: ConfigMapFields = {}): KubeObject {
  const object: KubeObject = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace } };
  if (fields.labels) object.metadata.labels = fields.labels;
  if (fields.finalizers) object.metadata.finalizers = fields.finalizers;
  if (fields.ownerReferences) object.metadata.ownerReferences = fields.ownerReferences;
  if (fields.data) object.data = fields.data;
  return object;
}

export interface PodSpec {
  containers: { name: string; image: string; command?: string[] }[];
  nodeSelector?: Record<string, string>;
  [field: string]: unknown;
}

/** A Pod whose node selector matches no node, so no scheduler or kubelet ever runs it. */
export function pod(namespace: string, name: string, containers: { name: string; image: string }[] = [{ name: 'main', image: 'busybox:1.36' }]): KubeObject & { spec: PodSpec } {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace },
    spec: {
      containers: containers.map((c) => ({ ...c, command: ['sleep', '3600'] })),
      nodeSelector: { 'floe.dev/conformance': 'never-scheduled' },
      // No scheduler writes to it (kube-scheduler would record PodScheduled=False and race the test's updates).
      schedulerName: 'floe-conformance-none',
    },
  };
}

/** kube-controller-manager publishes this ConfigMap in every namespace; tests about their own objects ignore it. */
export const RootCaConfigMap = 'kube-root-ca.crt';

export function names(objects: KubeObject[]): string[] {
  return objects.map((o) => o.metadata.name ?? '').filter((n) => n !== RootCaConfigMap).sort();
}
