// The CustomResourceDefinitions of the four kinds, built from their plug-ins: what Floe serves and what `floe install` applies.
import type { KubeObject } from '../../api/meta.js';
import type { Framework } from './framework.js';
import { frameworks } from './frameworks.js';
import { Group } from './types.js';

const int32 = (extra: Record<string, unknown> = {}): Record<string, unknown> => ({ type: 'integer', format: 'int32', ...extra });

function replicaSpecSchema(fw: Framework): Record<string, unknown> {
  return {
    type: 'object',
    properties: {
      replicas: int32({ minimum: 0, default: 1 }),
      restartPolicy: { type: 'string', enum: ['Always', 'OnFailure', 'Never', 'ExitCode'], default: fw.defaultRestartPolicy },
      template: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
    },
  };
}

const runPolicySchema = {
  type: 'object',
  properties: {
    cleanPodPolicy: { type: 'string', enum: ['None', 'Running', 'All'] },
    ttlSecondsAfterFinished: int32({ minimum: 0 }),
    activeDeadlineSeconds: { type: 'integer', format: 'int64', minimum: 1 },
    backoffLimit: int32({ minimum: 0 }),
    suspend: { type: 'boolean', default: false },
    managedBy: { type: 'string' },
    schedulingPolicy: {
      type: 'object',
      properties: {
        minAvailable: int32({ minimum: 1 }),
        queue: { type: 'string' },
        minResources: { type: 'object', additionalProperties: { 'x-kubernetes-int-or-string': true } },
        priorityClass: { type: 'string' },
        scheduleTimeoutSeconds: int32({ minimum: 0 }),
      },
    },
  },
};

export function trainingCrd(fw: Framework): KubeObject {
  const listKind = `${fw.kind}List`;
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${fw.plural}.${Group}`, labels: { 'app.kubernetes.io/part-of': 'floe', 'app.kubernetes.io/component': 'training-operator' } },
    spec: {
      group: Group,
      scope: 'Namespaced',
      names: { kind: fw.kind, listKind, plural: fw.plural, singular: fw.singular, ...(fw.shortNames.length > 0 ? { shortNames: fw.shortNames } : {}), categories: ['all', 'kubeflow'] },
      versions: [
        {
          name: 'v1',
          served: true,
          storage: true,
          subresources: { status: {} },
          additionalPrinterColumns: [
            { name: 'State', type: 'string', jsonPath: '.status.conditions[-1:].type' },
            { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
          ],
          schema: {
            openAPIV3Schema: {
              type: 'object',
              properties: {
                apiVersion: { type: 'string' },
                kind: { type: 'string' },
                metadata: { type: 'object' },
                spec: {
                  type: 'object',
                  required: [fw.replicaSpecsField],
                  properties: {
                    runPolicy: runPolicySchema,
                    [fw.replicaSpecsField]: { type: 'object', additionalProperties: replicaSpecSchema(fw) },
                    ...fw.specSchema,
                  },
                },
                status: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
              },
            },
          },
        },
      ],
    },
  };
}

export function trainingCrds(): KubeObject[] {
  return frameworks.map(trainingCrd);
}
