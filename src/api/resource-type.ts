// What the API knows about one kind: names, scope, schema, subresources, printer columns and patch metadata.
import type { FieldError } from './errors.js';
import type { KubeObject } from './meta.js';

/** A subset of apiextensions.k8s.io/v1 JSONSchemaProps: the structural OpenAPI v3 schema of a kind. */
export interface JSONSchemaProps {
  type?: 'object' | 'array' | 'string' | 'integer' | 'number' | 'boolean';
  description?: string;
  properties?: Record<string, JSONSchemaProps>;
  additionalProperties?: JSONSchemaProps | boolean;
  items?: JSONSchemaProps;
  required?: string[];
  enum?: unknown[];
  default?: unknown;
  nullable?: boolean;
  format?: string;
  pattern?: string;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: boolean;
  exclusiveMaximum?: boolean;
  multipleOf?: number;
  minLength?: number;
  maxLength?: number;
  minItems?: number;
  maxItems?: number;
  uniqueItems?: boolean;
  minProperties?: number;
  maxProperties?: number;
  oneOf?: JSONSchemaProps[];
  anyOf?: JSONSchemaProps[];
  allOf?: JSONSchemaProps[];
  not?: JSONSchemaProps;
  'x-kubernetes-preserve-unknown-fields'?: boolean;
  'x-kubernetes-int-or-string'?: boolean;
  'x-kubernetes-embedded-resource'?: boolean;
  'x-kubernetes-list-type'?: 'atomic' | 'set' | 'map';
  'x-kubernetes-list-map-keys'?: string[];
  'x-kubernetes-map-type'?: 'atomic' | 'granular';
  [extension: `x-${string}`]: unknown;
}

/** A column of `kubectl get` output (CRD additionalPrinterColumns shape). */
export interface PrinterColumn {
  name: string;
  type: 'string' | 'integer' | 'number' | 'boolean' | 'date';
  jsonPath: string;
  description?: string;
  format?: string;
  priority?: number;
}

/**
 * How a strategic merge patch treats the lists and maps under a path.
 * Keys are field names; `mergeKey` makes a list merge by that key, `strategy` follows Kubernetes'
 * patchStrategy tag ('merge', 'replace', 'retainKeys', 'merge,retainKeys').
 */
export interface PatchMeta {
  mergeKey?: string;
  strategy?: string;
  /** For lists: the element's own metadata. For objects: the fields'. */
  fields?: Record<string, PatchMeta>;
}

export interface ResourceType {
  group: string;
  /** The version served at this entry. Multi-version kinds have one ResourceType per served version. */
  version: string;
  kind: string;
  listKind: string;
  plural: string;
  singular: string;
  namespaced: boolean;
  shortNames: string[];
  categories: string[];
  /** The version objects are stored in (CRDs with several versions convert by rewriting apiVersion). */
  storageVersion: string;
  /** Whether `status` is a subresource: main-resource writes ignore status, status writes ignore the rest. */
  statusSubresource: boolean;
  /** Validation, defaulting and pruning schema; absent means "anything goes" (built-ins use `validate`). */
  schema?: JSONSchemaProps;
  /** Columns after NAME (and AGE, appended unless `columns` ends with its own). */
  columns: PrinterColumn[];
  /** Built-in printers compute cells in code (Pods' READY, STATUS, RESTARTS). Returns one cell per column. */
  cells?: (object: KubeObject) => unknown[];
  /** Strategic-merge-patch metadata; undefined means strategic merge patch is refused (custom resources). */
  patchMeta?: PatchMeta;
  /** Semantic checks beyond the schema, returning every bad field. `old` is set on update. */
  validate?: (object: KubeObject, old?: KubeObject) => FieldError[];
  /** Fills defaults in place (built-ins; CRDs default through their schema). */
  defaults?: (object: KubeObject) => void;
  /** Field-selector fields this kind supports beyond metadata.name / metadata.namespace, with their getters. */
  selectableFields?: Record<string, (object: KubeObject) => string | undefined>;
  /**
   * What bumps `metadata.generation`: a spec change, any change outside metadata and status, or nothing because the
   * kind has no generation (as in kube-apiserver 1.32: ConfigMaps, Pods, Services, Namespaces… only CRDs, custom
   * resources and workload kinds carry one).
   */
  generationFrom: 'spec' | 'all-but-metadata-and-status' | 'none';
  /** Verbs the resource supports, for discovery. */
  verbs: string[];
  /** Built-in kinds cannot be removed; CRD-backed ones point at their CRD. */
  source: { from: 'builtin' } | { from: 'crd'; crdName: string };
}

export const allVerbs = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];
