// The ServiceAccount admission plug-in (the kube-api-access projected volume on every Pod) and what kube's
// controller-manager keeps in every namespace: the `default` ServiceAccount and the `kube-root-ca.crt` ConfigMap.
import { randomBytes } from 'node:crypto';
import type { KubeObject } from '../../api/meta.js';
import type { ResourceType } from '../../api/resource-type.js';
import type { AdmissionAttributes, AdmissionPlugin } from '../../server/api-handler.js';
import { resourceKey, type Store } from '../../store/store.js';

export const serviceAccountMountPath = '/var/run/secrets/kubernetes.io/serviceaccount';
export const rootCaConfigMap = 'kube-root-ca.crt';

interface PodShape {
  metadata: { namespace?: string };
  spec?: {
    serviceAccountName?: string;
    automountServiceAccountToken?: boolean;
    volumes?: { name: string; [k: string]: unknown }[];
    containers?: ContainerShape[];
    initContainers?: ContainerShape[];
    ephemeralContainers?: ContainerShape[];
  };
}

interface ContainerShape {
  volumeMounts?: { name: string; mountPath: string; readOnly?: boolean }[];
}

/** kube's generated volume name suffix: five characters of [bcdfghjklmnpqrstvwxz2456789]. */
function suffix(): string {
  const alphabet = 'bcdfghjklmnpqrstvwxz2456789';
  return [...randomBytes(5)].map((b) => alphabet[b % alphabet.length]).join('');
}

/** The volume kube's ServiceAccount admission adds (BoundServiceAccountTokenVolume), byte for byte. */
export function kubeApiAccessVolume(name: string): Record<string, unknown> {
  return {
    name,
    projected: {
      defaultMode: 420,
      sources: [
        { serviceAccountToken: { expirationSeconds: 3607, path: 'token' } },
        { configMap: { name: rootCaConfigMap, items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
        { downwardAPI: { items: [{ fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' }, path: 'namespace' }] } },
      ],
    },
  };
}

/**
 * On Pod CREATE: `spec.serviceAccountName` defaults to `default` (pod.ts does that already), and unless the Pod or
 * its ServiceAccount sets automountServiceAccountToken: false, or a container already mounts something at the
 * standard path, a `kube-api-access-xxxxx` volume is added and mounted read-only into every container.
 * Unlike kube, a Pod naming a ServiceAccount that does not exist (yet) is admitted: Floe's Pods often come before
 * their namespace's default ServiceAccount in tests and scripts; its token requests fail until the account exists.
 */
export function serviceAccountAdmission(options: { store: Store }): AdmissionPlugin {
  const serviceAccounts = resourceKey('', 'serviceaccounts');
  return {
    handles: (t: ResourceType) => t.group === '' && t.plural === 'pods',
    admit(object: KubeObject, old: KubeObject | undefined, attributes?: AdmissionAttributes) {
      if (old !== undefined || (attributes && attributes.operation !== 'CREATE') || attributes?.subresource) return;
      const pod = object as unknown as PodShape;
      const spec = pod.spec;
      if (!spec) return;
      spec.serviceAccountName ||= 'default';
      if (spec.automountServiceAccountToken === false) return;
      const namespace = pod.metadata.namespace ?? attributes?.namespace ?? 'default';
      const sa = options.store.get(serviceAccounts, namespace, spec.serviceAccountName) as (KubeObject & { automountServiceAccountToken?: boolean }) | undefined;
      if (sa?.automountServiceAccountToken === false && spec.automountServiceAccountToken !== true) return;
      const containers = [...(spec.initContainers ?? []), ...(spec.containers ?? []), ...(spec.ephemeralContainers ?? [])];
      if (containers.some((c) => (c.volumeMounts ?? []).some((m) => m.mountPath.replace(/\/+$/, '') === serviceAccountMountPath))) return;
      const taken = new Set((spec.volumes ?? []).map((v) => v.name));
      let name = `kube-api-access-${suffix()}`;
      while (taken.has(name)) name = `kube-api-access-${suffix()}`;
      spec.volumes = [...(spec.volumes ?? []), kubeApiAccessVolume(name) as { name: string }];
      for (const c of containers) c.volumeMounts = [...(c.volumeMounts ?? []), { name, readOnly: true, mountPath: serviceAccountMountPath }];
    },
  };
}

/**
 * Keeps the `default` ServiceAccount and the `kube-root-ca.crt` ConfigMap (`ca.crt`: Floe's CA, empty without TLS)
 * in every namespace that is not terminating, re-creating them when deleted, as kube-controller-manager's
 * serviceaccount and root-ca-cert-publisher controllers do. Works on the store, like the system namespaces.
 */
export class NamespaceDefaults {
  private readonly store: Store;
  private readonly caPem: string;
  private stopWatch: (() => void) | undefined;
  private readonly pending = new Set<string>();

  constructor(options: { store: Store; caPem?: string }) {
    this.store = options.store;
    this.caPem = options.caPem ?? '';
  }

  start(): void {
    const namespaces = resourceKey('', 'namespaces');
    const watched = new Set([namespaces, resourceKey('', 'serviceaccounts'), resourceKey('', 'configmaps')]);
    this.stopWatch = this.store.watch(undefined, this.store.currentRevision(), (change) => {
      if (!watched.has(change.resource)) return;
      const ns = change.resource === namespaces ? change.object.metadata.name : change.object.metadata.namespace;
      if (!ns || (change.resource !== namespaces && change.type !== 'DELETED')) return;
      this.schedule(ns);
    });
    for (const ns of this.store.list(namespaces).items) this.ensure(ns.metadata.name ?? '');
  }

  stop(): void {
    this.stopWatch?.();
    this.stopWatch = undefined;
    this.pending.clear();
  }

  /** After the write that told us commits and every listener has heard it. */
  private schedule(namespace: string): void {
    if (this.pending.has(namespace)) return;
    this.pending.add(namespace);
    queueMicrotask(() => {
      this.pending.delete(namespace);
      if (this.stopWatch) this.ensure(namespace);
    });
  }

  private ensure(namespace: string): void {
    const ns = this.store.get(resourceKey('', 'namespaces'), '', namespace);
    if (!ns || ns.metadata.deletionTimestamp !== undefined) return;
    const sas = resourceKey('', 'serviceaccounts');
    const cms = resourceKey('', 'configmaps');
    try {
      if (!this.store.get(sas, namespace, 'default')) this.store.create(sas, { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'default', namespace } });
      const cm = this.store.get(cms, namespace, rootCaConfigMap) as (KubeObject & { data?: Record<string, string> }) | undefined;
      if (!cm) {
        this.store.create(cms, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: rootCaConfigMap, namespace, annotations: { 'kubernetes.io/description': 'Contains a CA bundle that can be used to verify the kube-apiserver when using internal endpoints such as the internal service IP or kubernetes.default.svc. No other usage is guaranteed across distributions of Kubernetes clusters.' } }, data: { 'ca.crt': this.caPem } });
      } else if (cm.data?.['ca.crt'] !== this.caPem) {
        this.store.update(cms, { ...cm, data: { ...(cm.data ?? {}), 'ca.crt': this.caPem } });
      }
    } catch {
      // A racing writer (AlreadyExists, Conflict) or a namespace going away: the next change brings us back.
    }
  }
}
