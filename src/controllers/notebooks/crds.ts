// The Notebook CustomResourceDefinition (notebooks.kubeflow.org): v1 (storage), v1beta1 and v1alpha1 with one schema.
import type { KubeObject } from '../../api/meta.js';
import { Group } from './types.js';

const open = { type: 'object', 'x-kubernetes-preserve-unknown-fields': true };

/**
 * Upstream's generated schema with its validation patch (config/crd/patches/validation_patches.yaml): at least one
 * container, each with a name and an image. The rest of the PodSpec is kept as given (upstream prunes against the full
 * core/v1 PodSpec schema; Floe's API validates the Pod when the StatefulSet makes it).
 */
const schema = {
  openAPIV3Schema: {
    type: 'object',
    description: 'Notebook is the Schema for the notebooks API',
    properties: {
      apiVersion: { type: 'string' },
      kind: { type: 'string' },
      metadata: { type: 'object' },
      spec: {
        type: 'object',
        description: 'NotebookSpec defines the desired state of Notebook',
        properties: {
          template: {
            type: 'object',
            properties: {
              spec: {
                type: 'object',
                'x-kubernetes-preserve-unknown-fields': true,
                properties: {
                  containers: {
                    type: 'array',
                    minItems: 1,
                    items: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true, required: ['name', 'image'], properties: { name: { type: 'string' }, image: { type: 'string' } } },
                  },
                },
              },
            },
          },
        },
      },
      status: {
        type: 'object',
        description: 'NotebookStatus defines the observed state of Notebook',
        properties: {
          conditions: {
            type: 'array',
            items: {
              type: 'object',
              required: ['status', 'type'],
              properties: { type: { type: 'string' }, status: { type: 'string' }, lastProbeTime: { type: 'string', format: 'date-time' }, lastTransitionTime: { type: 'string', format: 'date-time' }, reason: { type: 'string' }, message: { type: 'string' } },
            },
          },
          readyReplicas: { type: 'integer', format: 'int32' },
          containerState: open,
        },
        required: ['conditions', 'containerState', 'readyReplicas'],
      },
    },
  },
};

export function notebookCrds(): KubeObject[] {
  const version = (name: string, storage: boolean): Record<string, unknown> => ({ name, served: true, storage, subresources: { status: {} }, schema });
  return [
    {
      apiVersion: 'apiextensions.k8s.io/v1',
      kind: 'CustomResourceDefinition',
      metadata: { name: `notebooks.${Group}`, labels: { 'app.kubernetes.io/part-of': 'floe', 'app.kubernetes.io/component': 'notebooks' } },
      spec: {
        group: Group,
        scope: 'Namespaced',
        names: { kind: 'Notebook', listKind: 'NotebookList', plural: 'notebooks', singular: 'notebook' },
        // Conversion strategy None: the versions differ only in apiVersion.
        versions: [version('v1', true), version('v1alpha1', false), version('v1beta1', false)],
      },
    },
  ];
}
