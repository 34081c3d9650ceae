// The Profile CustomResourceDefinition (profiles.kubeflow.org): cluster-scoped, v1 (storage) and v1beta1, status subresource.
import type { KubeObject } from '../../api/meta.js';
import { ProfileGroup } from './types.js';

const str = { type: 'string' };
const open = { type: 'object', 'x-kubernetes-preserve-unknown-fields': true };

const subject = { type: 'object', properties: { kind: str, name: str, apiGroup: str, namespace: str }, required: ['kind', 'name'] };
const spec = {
  type: 'object',
  properties: {
    owner: subject,
    resourceQuotaSpec: open,
    plugins: { type: 'array', items: { type: 'object', properties: { kind: str, apiVersion: str, spec: open } } },
  },
};
const status = { type: 'object', properties: { conditions: { type: 'array', items: { type: 'object', properties: { type: str, status: str, message: str } } } } };
const schema = { openAPIV3Schema: { type: 'object', properties: { apiVersion: str, kind: str, metadata: { type: 'object' }, spec, status } } };

export function profileCrds(): KubeObject[] {
  const version = (name: string, storage: boolean): Record<string, unknown> => ({ name, served: true, storage, subresources: { status: {} }, schema });
  return [
    {
      apiVersion: 'apiextensions.k8s.io/v1',
      kind: 'CustomResourceDefinition',
      metadata: { name: `profiles.${ProfileGroup}`, labels: { 'app.kubernetes.io/part-of': 'floe', 'app.kubernetes.io/component': 'profiles' } },
      spec: {
        group: ProfileGroup,
        scope: 'Cluster',
        names: { kind: 'Profile', listKind: 'ProfileList', plural: 'profiles', singular: 'profile' },
        versions: [version('v1', true), version('v1beta1', false)],
      },
    },
  ];
}
