// The CustomResourceDefinitions of KServe's kinds as Floe serves them: typed where users and tools read fields,
// open objects where KServe embeds whole Pod specs.
import type { KubeObject } from '../../api/meta.js';
import { Group } from './types.js';

const open = { type: 'object', 'x-kubernetes-preserve-unknown-fields': true };
const age = { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' };

function crd(kind: string, plural: string, version: string, scope: 'Namespaced' | 'Cluster', extra: { shortNames?: string[]; columns?: Record<string, unknown>[] } = {}): KubeObject {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${plural}.${Group}`, labels: { 'app.kubernetes.io/part-of': 'floe', 'app.kubernetes.io/component': 'kserve' } },
    spec: {
      group: Group,
      scope,
      names: { kind, listKind: `${kind}List`, plural, singular: kind.toLowerCase(), ...(extra.shortNames ? { shortNames: extra.shortNames } : {}), categories: ['all', 'kserve'] },
      versions: [
        {
          name: version,
          served: true,
          storage: true,
          subresources: { status: {} },
          additionalPrinterColumns: [...(extra.columns ?? []), age],
          schema: { openAPIV3Schema: { type: 'object', properties: { apiVersion: { type: 'string' }, kind: { type: 'string' }, metadata: { type: 'object' }, spec: open, status: open } } },
        },
      ],
    },
  };
}

const ready = { name: 'Ready', type: 'string', jsonPath: ".status.conditions[?(@.type=='Ready')].status" };

export function servingCrds(): KubeObject[] {
  return [
    crd('InferenceService', 'inferenceservices', 'v1beta1', 'Namespaced', {
      shortNames: ['isvc'],
      columns: [
        { name: 'URL', type: 'string', jsonPath: '.status.url' },
        ready,
        { name: 'Prev', type: 'integer', jsonPath: ".status.components.predictor.traffic[?(@.tag=='prev')].percent" },
        { name: 'Latest', type: 'integer', jsonPath: '.status.components.predictor.traffic[?(@.latestRevision==true)].percent' },
      ],
    }),
    crd('ServingRuntime', 'servingruntimes', 'v1alpha1', 'Namespaced', { columns: [{ name: 'Disabled', type: 'boolean', jsonPath: '.spec.disabled' }, { name: 'ModelType', type: 'string', jsonPath: '.spec.supportedModelFormats[*].name' }] }),
    crd('ClusterServingRuntime', 'clusterservingruntimes', 'v1alpha1', 'Cluster', { columns: [{ name: 'Disabled', type: 'boolean', jsonPath: '.spec.disabled' }, { name: 'ModelType', type: 'string', jsonPath: '.spec.supportedModelFormats[*].name' }] }),
    crd('InferenceGraph', 'inferencegraphs', 'v1alpha1', 'Namespaced', { shortNames: ['ig'], columns: [{ name: 'URL', type: 'string', jsonPath: '.status.url' }, ready] }),
    crd('TrainedModel', 'trainedmodels', 'v1alpha1', 'Namespaced', { shortNames: ['tm'], columns: [{ name: 'URL', type: 'string', jsonPath: '.status.url' }, ready] }),
  ];
}
