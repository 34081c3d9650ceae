// Kubeflow's PodDefault (kubeflow.org/v1alpha1): the CRD, and the admission step that applies PodDefaults to new Pods,
// in place of upstream's mutating webhook (poddefaults-webhook-deployment.kubeflow.org, CREATE pods, only in namespaces
// labelled app.kubernetes.io/part-of=kubeflow-profile, failurePolicy Fail). The merge itself is poddefault-merge.ts.
import { FloeError, errors, type FieldError } from '../../api/errors.js';
import { clone, type KubeObject } from '../../api/meta.js';
import type { AdmissionPlugin, Informer, Manager } from '../../controller/index.js';
import { applyPodDefaults, matchingPodDefaults, podDefaultConflicts, podDefaultsApplyTo, PodDefaultGroup, PodDefaultRef, type PodDefault } from './poddefault-merge.js';

export { PodDefaultRef, type PodDefault, type PodDefaultSpec } from './poddefault-merge.js';

/** The webhook's name upstream: kube-apiserver names it in a denial, and so does Floe. */
export const PodDefaultWebhookName = 'poddefaults-webhook-deployment.kubeflow.org';
/** The webhook's namespaceSelector upstream: the label the profile controller puts on every profile namespace. */
export const ProfileNamespaceLabel = { key: 'app.kubernetes.io/part-of', value: 'kubeflow-profile' } as const;
const NamespaceRef = { apiVersion: 'v1', kind: 'Namespace' } as const;

const str = { type: 'string' };
const strings = { type: 'array', items: str };
const stringMap = { type: 'object', additionalProperties: str };
/** core/v1 structures (EnvVar, Volume, Container, …) are kept whole; the Pod's own validation checks them once applied. */
const named = { type: 'array', items: { type: 'object', required: ['name'], properties: { name: str }, 'x-kubernetes-preserve-unknown-fields': true } };
const objects = { type: 'array', items: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } };
const selector = {
  type: 'object',
  properties: {
    matchLabels: stringMap,
    matchExpressions: { type: 'array', items: { type: 'object', required: ['key', 'operator'], properties: { key: str, operator: str, values: strings } } },
  },
};
const spec = {
  type: 'object',
  required: ['selector'],
  properties: {
    selector,
    desc: str,
    initContainers: named,
    sidecars: named,
    serviceAccountName: str,
    automountServiceAccountToken: { type: 'boolean' },
    env: named,
    envFrom: objects,
    volumes: named,
    volumeMounts: { type: 'array', items: { type: 'object', required: ['name', 'mountPath'], properties: { name: str, mountPath: str }, 'x-kubernetes-preserve-unknown-fields': true } },
    annotations: stringMap,
    labels: stringMap,
    tolerations: objects,
    command: strings,
    args: strings,
    imagePullSecrets: { type: 'array', items: { type: 'object', properties: { name: str } } },
  },
};

/** The CRD as upstream ships it: namespaced, v1alpha1 only (storage), status subresource, `selector` required. */
export function podDefaultCrds(): KubeObject[] {
  return [
    {
      apiVersion: 'apiextensions.k8s.io/v1',
      kind: 'CustomResourceDefinition',
      metadata: { name: `poddefaults.${PodDefaultGroup}`, labels: { 'app.kubernetes.io/part-of': 'floe', 'app.kubernetes.io/component': 'notebooks' } },
      spec: {
        group: PodDefaultGroup,
        scope: 'Namespaced',
        names: { kind: 'PodDefault', listKind: 'PodDefaultList', plural: 'poddefaults', singular: 'poddefault' },
        versions: [
          {
            name: 'v1alpha1',
            served: true,
            storage: true,
            subresources: { status: {} },
            schema: { openAPIV3Schema: { type: 'object', properties: { apiVersion: str, kind: str, metadata: { type: 'object' }, spec, status: { type: 'object' } } } },
          },
        ],
      },
    },
  ];
}

/** What admission knows of the kind being admitted (kube re-defaults and re-validates a webhook-mutated object). */
interface AdmittedKind {
  type?: { defaults?(object: KubeObject): void; validate?(object: KubeObject, old: KubeObject | undefined): FieldError[] };
}

/** The PodDefault admission step: an AdmissionPlugin on Pods, reading PodDefaults and namespaces from shared informers. */
export interface PodDefaultAdmission extends AdmissionPlugin {
  admit(object: KubeObject, old: KubeObject | undefined, attributes?: AdmittedKind): void;
  /** Starts reading PodDefaults and Namespaces through the manager's informers (embedded mode, where admission runs). */
  start(manager: Manager): void;
}

export function podDefaultAdmission(): PodDefaultAdmission {
  let podDefaults: Informer<PodDefault> | undefined;
  let namespaces: Informer | undefined;
  return {
    handles: (type) => type.group === '' && type.kind === 'Pod',
    start(manager) {
      podDefaults = manager.informers.informerFor<PodDefault>(PodDefaultRef, { namespace: '' });
      namespaces = manager.informers.informerFor(NamespaceRef, { namespace: '' });
    },
    admit(object, old, attributes) {
      // The webhook is registered for CREATE only.
      if (old !== undefined || !podDefaults || !namespaces) return;
      if (!podDefaultsApplyTo(object)) return;
      const namespace = object.metadata.namespace ?? '';
      // failurePolicy Fail: while the caches fill (Floe starting), a Pod in a profile namespace waits rather than
      // starting without its PodDefaults.
      if (!namespaces.hasSynced() || !podDefaults.hasSynced()) {
        throw new FloeError('ServiceUnavailable', `Internal error occurred: failed calling webhook "${PodDefaultWebhookName}": the PodDefault cache is not synced yet; retry`);
      }
      if (namespaces.get(namespace)?.metadata.labels?.[ProfileNamespaceLabel.key] !== ProfileNamespaceLabel.value) return;
      const inNamespace = podDefaults.list({ namespace }).sort((a, b) => (a.metadata.name ?? '').localeCompare(b.metadata.name ?? ''));
      if (inNamespace.length === 0) return;
      let matching: PodDefault[];
      try {
        matching = matchingPodDefaults(inNamespace, object);
      } catch (err) {
        throw new FloeError('BadRequest', `admission webhook "${PodDefaultWebhookName}" denied the request: ${(err as Error).message}`);
      }
      if (matching.length === 0) return;
      const names = matching.map((pd) => pd.metadata.name ?? '').join(',');
      const conflict = podDefaultConflicts(object, matching);
      if (conflict !== undefined) {
        throw new FloeError('BadRequest', `admission webhook "${PodDefaultWebhookName}" denied the request: conflict occurred while applying poddefaults: ${names} on pod: ${object.metadata.name ?? ''} err: ${conflict}`);
      }
      // Cached objects are frozen and shared: the Pod gets copies.
      applyPodDefaults(object, clone(matching));
      // As kube-apiserver decodes a webhook's patched object: defaults for what was added, then validation.
      attributes?.type?.defaults?.(object);
      const problems = attributes?.type?.validate?.(object, undefined) ?? [];
      if (problems.length > 0) throw errors.invalid('', 'Pod', object.metadata.name ?? '', problems);
    },
  };
}
