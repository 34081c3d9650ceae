// A Kubeflow-style PyTorchJob CRD and schema shared by the schema tests.
import type { KubeObject } from '../meta.js';
import type { JSONSchemaProps } from '../resource-type.js';

const container: JSONSchemaProps = {
  type: 'object',
  required: ['name'],
  properties: {
    name: { type: 'string', pattern: '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$', maxLength: 63 },
    image: { type: 'string', minLength: 1 },
    args: { type: 'array', items: { type: 'string' } },
    imagePullPolicy: { type: 'string', enum: ['Always', 'IfNotPresent', 'Never'] },
    ports: {
      type: 'array',
      'x-kubernetes-list-type': 'map',
      'x-kubernetes-list-map-keys': ['containerPort', 'protocol'],
      items: {
        type: 'object',
        required: ['containerPort'],
        properties: {
          containerPort: { type: 'integer', format: 'int32', minimum: 1, maximum: 65535 },
          protocol: { type: 'string', default: 'TCP', enum: ['TCP', 'UDP', 'SCTP'] },
          name: { type: 'string' },
        },
      },
    },
    env: {
      type: 'array',
      'x-kubernetes-list-type': 'map',
      'x-kubernetes-list-map-keys': ['name'],
      items: { type: 'object', required: ['name'], properties: { name: { type: 'string' }, value: { type: 'string' } } },
    },
    resources: {
      type: 'object',
      properties: {
        limits: { type: 'object', additionalProperties: { 'x-kubernetes-int-or-string': true, anyOf: [{ type: 'integer' }, { type: 'string' }], pattern: '^[0-9]+(m|Mi|Gi)?$' } },
      },
    },
  },
};

const replicaSpec: JSONSchemaProps = {
  type: 'object',
  properties: {
    replicas: { type: 'integer', format: 'int32', minimum: 0, default: 1 },
    restartPolicy: { type: 'string', enum: ['Always', 'OnFailure', 'Never', 'ExitCode'], default: 'OnFailure' },
    template: {
      type: 'object',
      properties: {
        metadata: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
        spec: {
          type: 'object',
          required: ['containers'],
          'x-kubernetes-preserve-unknown-fields': true,
          properties: {
            containers: { type: 'array', minItems: 1, items: container },
            tolerations: { type: 'array', items: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } },
          },
        },
      },
    },
  },
};

export const pytorchJobSchema: JSONSchemaProps = {
  type: 'object',
  properties: {
    apiVersion: { type: 'string' },
    kind: { type: 'string' },
    metadata: { type: 'object' },
    spec: {
      type: 'object',
      required: ['pytorchReplicaSpecs'],
      properties: {
        pytorchReplicaSpecs: { type: 'object', minProperties: 1, additionalProperties: replicaSpec },
        runPolicy: {
          type: 'object',
          default: {},
          properties: {
            cleanPodPolicy: { type: 'string', enum: ['All', 'Running', 'None'], default: 'None' },
            backoffLimit: { type: 'integer', format: 'int32', minimum: 0 },
            activeDeadlineSeconds: { type: 'integer', format: 'int64', exclusiveMinimum: true, minimum: 0 },
            suspend: { type: 'boolean', default: false },
            schedulingPolicy: {
              type: 'object',
              properties: { minAvailable: { type: 'integer', format: 'int32' }, queue: { type: 'string' }, priorityClass: { type: 'string' } },
            },
          },
        },
        elasticPolicy: {
          type: 'object',
          properties: {
            minReplicas: { type: 'integer', format: 'int32', minimum: 1 },
            maxReplicas: { type: 'integer', format: 'int32', maximum: 100 },
            rdzvBackend: { type: 'string', enum: ['c10d', 'etcd', 'etcd-v2'], default: 'c10d' },
            nProcPerNode: { 'x-kubernetes-int-or-string': true },
            metrics: { type: 'array', maxItems: 2, items: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } },
          },
        },
        nprocPerNode: { type: 'string', nullable: true },
      },
    },
    status: {
      type: 'object',
      properties: {
        conditions: {
          type: 'array',
          items: {
            type: 'object',
            required: ['type', 'status'],
            properties: {
              type: { type: 'string' },
              status: { type: 'string', enum: ['True', 'False', 'Unknown'] },
              lastTransitionTime: { type: 'string', format: 'date-time' },
              reason: { type: 'string' },
              message: { type: 'string' },
            },
          },
        },
        replicaStatuses: { type: 'object', additionalProperties: { type: 'object', properties: { active: { type: 'integer' }, succeeded: { type: 'integer' }, failed: { type: 'integer' } } } },
        startTime: { type: 'string', format: 'date-time' },
      },
    },
  },
};

export function pytorchJobCrd(): KubeObject {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: 'pytorchjobs.kubeflow.org' },
    spec: {
      group: 'kubeflow.org',
      scope: 'Namespaced',
      names: { plural: 'pytorchjobs', singular: 'pytorchjob', kind: 'PyTorchJob', listKind: 'PyTorchJobList', shortNames: ['ptj'], categories: ['all', 'kubeflow'] },
      versions: [
        {
          name: 'v1',
          served: true,
          storage: true,
          subresources: { status: {}, scale: { specReplicasPath: '.spec.pytorchReplicaSpecs.Worker.replicas', statusReplicasPath: '.status.replicaStatuses.Worker.active' } },
          schema: { openAPIV3Schema: pytorchJobSchema },
          additionalPrinterColumns: [
            { name: 'State', type: 'string', jsonPath: '.status.conditions[-1:].type' },
            { name: 'Workers', type: 'integer', jsonPath: '.spec.pytorchReplicaSpecs.Worker.replicas', priority: 1 },
            { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
          ],
        },
        { name: 'v1beta1', served: true, storage: false, schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } } },
        { name: 'v1alpha1', served: false, storage: false, schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } } },
      ],
    },
  };
}

export function job(spec: unknown, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { apiVersion: 'kubeflow.org/v1', kind: 'PyTorchJob', metadata: { name: 'mnist', namespace: 'default' }, spec, ...extra };
}
