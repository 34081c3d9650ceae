// Strategic-merge-patch metadata for the built-in kinds, transcribed from the Kubernetes API's patch tags.
import type { PatchMeta } from '../resource-type.js';

const merge = 'merge';
const mergeByName: PatchMeta = { mergeKey: 'name', strategy: merge };
const conditionsByType: PatchMeta = { mergeKey: 'type', strategy: merge };

/** ObjectMeta: finalizers are a set of strings; ownerReferences merge by uid. */
export const objectMetaPatchMeta: PatchMeta = {
  fields: {
    finalizers: { strategy: merge },
    ownerReferences: { mergeKey: 'uid', strategy: merge },
  },
};

/** For kinds whose only merge-aware fields are in metadata (ConfigMap, Secret, Namespace, Lease, CRD, ...). */
export const genericPatchMeta: PatchMeta = {
  fields: { metadata: objectMetaPatchMeta },
};

const containerPatchMeta: PatchMeta = {
  mergeKey: 'name',
  strategy: merge,
  fields: {
    env: { mergeKey: 'name', strategy: merge },
    ports: { mergeKey: 'containerPort', strategy: merge },
    volumeMounts: { mergeKey: 'mountPath', strategy: merge },
    volumeDevices: { mergeKey: 'devicePath', strategy: merge },
  },
};

export const podPatchMeta: PatchMeta = {
  fields: {
    metadata: objectMetaPatchMeta,
    spec: {
      fields: {
        containers: containerPatchMeta,
        initContainers: containerPatchMeta,
        ephemeralContainers: containerPatchMeta,
        volumes: { mergeKey: 'name', strategy: 'merge,retainKeys' },
        imagePullSecrets: mergeByName,
        hostAliases: { mergeKey: 'ip', strategy: merge },
        topologySpreadConstraints: { mergeKey: 'topologyKey', strategy: merge },
        schedulingGates: mergeByName,
        resourceClaims: { mergeKey: 'name', strategy: 'merge,retainKeys' },
        // tolerations and readinessGates carry no patch strategy: they are replaced wholesale.
      },
    },
    status: {
      fields: {
        conditions: conditionsByType,
        podIPs: { mergeKey: 'ip', strategy: merge },
        hostIPs: { mergeKey: 'ip', strategy: merge },
        // containerStatuses, initContainerStatuses and ephemeralContainerStatuses are replaced wholesale.
      },
    },
  },
};

export const servicePatchMeta: PatchMeta = {
  fields: {
    metadata: objectMetaPatchMeta,
    spec: { fields: { ports: { mergeKey: 'port', strategy: merge } } },
    status: { fields: { conditions: conditionsByType } },
  },
};

export const nodePatchMeta: PatchMeta = {
  fields: {
    metadata: objectMetaPatchMeta,
    // spec.taints carries no patch strategy: it is replaced wholesale.
    spec: { fields: { podCIDRs: { strategy: merge } } },
    status: {
      fields: {
        conditions: conditionsByType,
        addresses: { mergeKey: 'type', strategy: merge },
      },
    },
  },
};

/**
 * The patch metadata for a built-in kind: Pod, Service and Node have their own; every other core/v1
 * kind, coordination.k8s.io Lease and apiextensions.k8s.io CustomResourceDefinition get the generic
 * one. Undefined for anything else (custom resources refuse strategic merge patch).
 */
export function patchMetaForKind(group: string, kind: string): PatchMeta | undefined {
  if (group === '') {
    switch (kind) {
      case 'Pod':
        return podPatchMeta;
      case 'Service':
        return servicePatchMeta;
      case 'Node':
        return nodePatchMeta;
      default:
        return genericPatchMeta;
    }
  }
  if (group === 'coordination.k8s.io' && kind === 'Lease') return genericPatchMeta;
  if (group === 'discovery.k8s.io' && kind === 'EndpointSlice') return genericPatchMeta;
  if (group === 'batch' && kind === 'Job') return genericPatchMeta;
  if (group === 'apiextensions.k8s.io' && kind === 'CustomResourceDefinition') return genericPatchMeta;
  return undefined;
}
