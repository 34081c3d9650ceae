// The Greeter kind: its TypeScript shape, its CRD, and the pure plan of the ConfigMaps a Greeter should own.
import type { KubeObject } from '../../src/api/meta.js';
import type { KindRef } from '../../src/client/client.js';
import { controllerReference, type Condition } from '../../src/controller/index.js';

export const GreeterRef: KindRef = { apiVersion: 'example.floe.dev/v1', kind: 'Greeter' };
export const ConfigMapRef: KindRef = { apiVersion: 'v1', kind: 'ConfigMap' };

/** Set on a Greeter until the operator has said goodbye to it. */
export const GreeterFinalizer = 'example.floe.dev/goodbye';
/** Labels every ConfigMap with the Greeter it belongs to, so one list finds them. */
export const GreeterLabel = 'example.floe.dev/greeter';

export interface GreeterSpec {
  message: string;
  /** How many ConfigMaps hold the message; the CRD defaults it to 1. */
  replicas: number;
}

export interface GreeterStatus {
  observedGeneration?: number;
  /** ConfigMaps that hold the current message. */
  readyReplicas?: number;
  conditions?: Condition[];
}

export interface Greeter extends KubeObject {
  spec: GreeterSpec;
  status?: GreeterStatus;
}

export interface ConfigMap extends KubeObject {
  data?: Record<string, string>;
}

/** The ConfigMap name for replica `i`: deterministic, so "already exists" means "already made". */
export function configMapName(greeter: Greeter, i: number): string {
  return `${greeter.metadata.name ?? ''}-${i}`;
}

/** The ConfigMaps `greeter` should own: `<name>-<i>` for i < replicas, each holding the message. Pure. */
export function desiredConfigMaps(greeter: Greeter): ConfigMap[] {
  return Array.from({ length: greeter.spec.replicas }, (_, i) => ({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: {
      name: configMapName(greeter, i),
      namespace: greeter.metadata.namespace ?? 'default',
      labels: { [GreeterLabel]: greeter.metadata.name ?? '' },
      ownerReferences: [controllerReference(greeter)],
    },
    data: { message: greeter.spec.message },
  }));
}

/** Whether `actual` already holds what `desired` asks for (the fields this operator owns). */
export function upToDate(actual: ConfigMap, desired: ConfigMap): boolean {
  const label = desired.metadata.labels?.[GreeterLabel];
  return JSON.stringify(actual.data ?? {}) === JSON.stringify(desired.data ?? {}) && actual.metadata.labels?.[GreeterLabel] === label;
}

/** The CustomResourceDefinition that serves Greeters (apply it with `kubectl apply` or `client.create`). */
export function greeterCrd(): KubeObject {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: 'greeters.example.floe.dev' },
    spec: {
      group: 'example.floe.dev',
      scope: 'Namespaced',
      names: { plural: 'greeters', singular: 'greeter', kind: 'Greeter', listKind: 'GreeterList', shortNames: ['gr'] },
      versions: [
        {
          name: 'v1',
          served: true,
          storage: true,
          subresources: { status: {} },
          additionalPrinterColumns: [
            { name: 'Message', type: 'string', jsonPath: '.spec.message' },
            { name: 'Replicas', type: 'integer', jsonPath: '.spec.replicas' },
            { name: 'Ready', type: 'string', jsonPath: '.status.conditions[?(@.type=="Ready")].status' },
            { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
          ],
          schema: {
            openAPIV3Schema: {
              type: 'object',
              properties: {
                spec: {
                  type: 'object',
                  required: ['message'],
                  properties: {
                    message: { type: 'string', minLength: 1, maxLength: 1024 },
                    replicas: { type: 'integer', minimum: 0, default: 1 },
                  },
                },
                status: {
                  type: 'object',
                  properties: {
                    observedGeneration: { type: 'integer', format: 'int64' },
                    readyReplicas: { type: 'integer' },
                    conditions: {
                      type: 'array',
                      items: {
                        type: 'object',
                        required: ['type', 'status', 'reason', 'message', 'lastTransitionTime'],
                        properties: {
                          type: { type: 'string' },
                          status: { type: 'string', enum: ['True', 'False', 'Unknown'] },
                          reason: { type: 'string' },
                          message: { type: 'string' },
                          lastTransitionTime: { type: 'string', format: 'date-time' },
                          observedGeneration: { type: 'integer', format: 'int64' },
                        },
                      },
                    },
                  },
                },
              },
            },
          },
        },
      ],
    },
  };
}
