// apiextensions.k8s.io/v1 CustomResourceDefinition's entry; its defaults and checks live in src/api/schema (crd.ts).
import type { ResourceType } from '../resource-type.js';
import { builtinType } from './builtin-type.js';

export function customResourceDefinitionType(): ResourceType {
  return builtinType({
    generationFrom: 'spec',
    group: 'apiextensions.k8s.io',
    version: 'v1',
    kind: 'CustomResourceDefinition',
    plural: 'customresourcedefinitions',
    namespaced: false,
    shortNames: ['crd', 'crds'],
    categories: ['api-extensions'],
    statusSubresource: true,
    // apiextensions-apiserver's default table: NAME and the RFC 3339 creation time, no AGE.
    columns: [{ name: 'Created At', type: 'date', jsonPath: '.metadata.creationTimestamp', description: 'CreationTimestamp is a timestamp representing the server time when this object was created.' }],
    cells: (crd) => [crd.metadata.creationTimestamp ?? ''],
  });
}
