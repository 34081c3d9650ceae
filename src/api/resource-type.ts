// What the API knows about one kind: names, scope, schema, subresources, printer columns and patch metadata.
import type { FieldError } from './errors.js';
import type { KubeList, KubeObject } from './meta.js';

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
  /**
   * For a version whose objects differ in shape from the storage version (autoscaling/v1 and v2 HorizontalPodAutoscalers):
   * how to turn an admitted object of this version into the stored form (defaulted as stored) and back. Without it,
   * versions convert by rewriting apiVersion.
   */
  convert?: { toStorage(object: KubeObject): KubeObject; fromStorage(object: KubeObject): KubeObject };
  /**
   * The autoscaling/v1 `scale` subresource: where the kind keeps its desired and observed replica counts and its
   * selector (a LabelSelector object for apps kinds, a plain map for ReplicationControllers, the text form for custom
   * resources, as a CRD's `subresources.scale.labelSelectorPath` names it). Paths are simple JSON paths (`.spec.replicas`).
   */
  scale?: ScaleSubresource;
  /** Built-ins whose create ignores a client's status, as kube-apiserver's PrepareForCreate resets it (custom resources always do). */
  createClearsStatus?: boolean;
  /** Verbs the resource supports, for discovery. */
  verbs: string[];
  /**
   * Checks `metadata.name` instead of the DNS-subdomain rule: RBAC names are path segments (`system:basic-user`).
   * Returns the messages of every problem.
   */
  validateName?: (name: string) => string[];
  /** Built-in kinds cannot be removed; CRD-backed ones point at their CRD. */
  source: { from: 'builtin' } | { from: 'crd'; crdName: string };
  /**
   * A create-only kind that is never stored (kube's TokenReview, SubjectAccessReview): a POST is authorized as `create`,
   * decoded, defaulted and validated like any create, then answered by this function; every other verb is 405. Give
   * such a type `verbs: ['create']` for discovery.
   */
  review?: ReviewFunction;
  /**
   * Create-only subresources answered by a function (`serviceaccounts/token` answers a TokenRequest): POST
   * `.../<plural>/<name>/<subresource>` is authorized as `create` on `<plural>/<subresource>` with the name, the parent
   * object is read (404 when absent), the body is decoded as `kind` in `group/version` and passed to `review`.
   */
  createSubresources?: Record<string, CreateSubresource>;
  /**
   * A read-only kind that is never stored (metrics.k8s.io NodeMetrics/PodMetrics): get and list are authorized as usual
   * and answered by these functions; every other verb (watch included) is 405. Give such a type `verbs: ['get', 'list']`.
   */
  readOnly?: ReadOnlyFunctions;
}

/** Answers get (throwing a NotFound FloeError when absent) and list of a read-only kind; synchronous, like reviews. */
export interface ReadOnlyFunctions {
  get(namespace: string | undefined, name: string): KubeObject;
  list(namespace: string | undefined, params: { labelSelector?: string; fieldSelector?: string }): KubeList;
}

/** Who asks, as a review function sees them: the authenticated caller (after impersonation). */
export interface ReviewUser {
  name: string;
  groups: string[];
  uid?: string;
  extra?: Record<string, string[]>;
}

export interface ReviewRequest {
  user: ReviewUser;
  /** The namespace of the URL (namespaced review kinds, subresources of namespaced kinds). */
  namespace?: string;
  /** For a subresource: the parent object as stored (the ServiceAccount of `serviceaccounts/<name>/token`). */
  parent?: KubeObject;
  dryRun: boolean;
}

/**
 * Answers a posted review: receives the decoded, defaulted, validated object and returns the object sent back with
 * 201 (usually the same object with `status` filled). Throw a FloeError to refuse. Synchronous on purpose: the
 * in-process Client and the HTTP door share it.
 */
export type ReviewFunction = (request: ReviewRequest, object: KubeObject) => KubeObject;

export interface CreateSubresource {
  group: string;
  version: string;
  kind: string;
  review: ReviewFunction;
  /** Defaults and checks of the posted object, as for a kind (field errors give a 422). */
  defaults?: (object: KubeObject) => void;
  validate?: (object: KubeObject) => FieldError[];
}

export const allVerbs = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];

export interface ScaleSubresource {
  specReplicasPath: string;
  statusReplicasPath: string;
  labelSelectorPath?: string;
  selector: 'labelSelector' | 'map' | 'text';
}
