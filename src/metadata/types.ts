// ML Metadata's data model (ml_metadata/proto/metadata_store.proto), as Floe's metadata store and its REST API carry it.
// JSON field names are the proto's (snake_case), times in milliseconds since the epoch, as MLMD keeps them.

/** MLMD's Value: one of int, double, string, struct or bool. Stored and returned as `{int_value: 3}` etc. */
export type MlmdValue = { int_value: number } | { double_value: number } | { string_value: string } | { struct_value: unknown } | { bool_value: boolean };

export type PropertyType = 'UNKNOWN' | 'INT' | 'DOUBLE' | 'STRING' | 'STRUCT' | 'PROTO' | 'BOOLEAN';

export type ArtifactState = 'UNKNOWN' | 'PENDING' | 'LIVE' | 'MARKED_FOR_DELETION' | 'DELETED' | 'ABANDONED' | 'REFERENCE';
export type ExecutionState = 'UNKNOWN' | 'NEW' | 'RUNNING' | 'COMPLETE' | 'FAILED' | 'CACHED' | 'CANCELED';
export type EventType = 'UNKNOWN' | 'DECLARED_OUTPUT' | 'DECLARED_INPUT' | 'INPUT' | 'OUTPUT' | 'INTERNAL_INPUT' | 'INTERNAL_OUTPUT' | 'PENDING_OUTPUT';

export interface MlmdType {
  id?: number;
  name: string;
  version?: string;
  description?: string;
  properties?: Record<string, PropertyType>;
}

export interface Artifact {
  id?: number;
  name?: string;
  type_id?: number;
  /** The type's name: an input instead of type_id, and always filled on output. */
  type?: string;
  uri?: string;
  external_id?: string;
  properties?: Record<string, MlmdValue>;
  custom_properties?: Record<string, MlmdValue>;
  state?: ArtifactState;
  create_time_since_epoch?: number;
  last_update_time_since_epoch?: number;
}

export interface Execution {
  id?: number;
  name?: string;
  type_id?: number;
  type?: string;
  external_id?: string;
  last_known_state?: ExecutionState;
  properties?: Record<string, MlmdValue>;
  custom_properties?: Record<string, MlmdValue>;
  create_time_since_epoch?: number;
  last_update_time_since_epoch?: number;
}

export interface Context {
  id?: number;
  name: string;
  type_id?: number;
  type?: string;
  external_id?: string;
  properties?: Record<string, MlmdValue>;
  custom_properties?: Record<string, MlmdValue>;
  create_time_since_epoch?: number;
  last_update_time_since_epoch?: number;
}

export interface Event {
  artifact_id: number;
  execution_id: number;
  /** The artifact's role in the execution: KFP writes one step, `{key: <input or output name>}`. */
  path?: { steps: ({ key: string } | { index: number })[] };
  type: EventType;
  milliseconds_since_epoch?: number;
}

/**
 * What the pipeline engine writes through. Types are named by `type` (created on first use, like PutArtifactType with
 * can_add_fields); every call is one transaction.
 */
export interface MetadataWriter {
  /** Get-or-create a context by type name and name (MLMD: GetContextByTypeAndName, then PutContexts). */
  putContext(context: Context): number;
  /** ParentContext(child, parent); idempotent. */
  putParentContext(childId: number, parentId: number): void;
  /** MLMD's PutExecution: the execution (insert, or update when `id` is set), artifacts with their events, and the
   * attributions/associations to `contextIds`, atomically. Returns the execution id and the artifact ids in order. */
  putExecution(execution: Execution, artifactEvents: { artifact?: Artifact; event: Omit<Event, 'execution_id' | 'artifact_id'> & { artifact_id?: number } }[], contextIds: number[]): { execution_id: number; artifact_ids: number[] };
  getArtifactsByID(ids: number[]): Artifact[];
  getExecutionsByID(ids: number[]): Execution[];
}

// ---- Reads (MLMD's ListOperationOptions, GetLineageSubgraph) and the link records -------------------------------

/** A type as the store returns it: its id and the declared properties always filled. */
export interface StoredType extends MlmdType {
  id: number;
  properties: Record<string, PropertyType>;
}

/** Artifact ∈ context. */
export interface Attribution {
  artifact_id: number;
  context_id: number;
}

/** Execution ∈ context. */
export interface Association {
  execution_id: number;
  context_id: number;
}

export interface ParentContext {
  child_id: number;
  parent_id: number;
}

export type OrderByField = 'CREATE_TIME' | 'LAST_UPDATE_TIME' | 'ID';

/** MLMD's ListOperationOptions. `page_token` is the `next_page_token` of the previous page of the same query. */
export interface ListOptions {
  /** 1–1000, default 20 (MLMD's max_result_size). */
  page_size?: number;
  /** Default ID. */
  order_by?: OrderByField;
  /** Default true. */
  is_asc?: boolean;
  page_token?: string;
}

/** What a list of artifacts, executions or contexts can be narrowed to (all given ones must hold). */
export interface ListFilter {
  /** The type's name. */
  type?: string;
  name?: string;
  /** Artifacts only. */
  uri?: string;
  /** Members of this context (artifacts and executions only). */
  context_id?: number;
}

export interface ArtifactPage {
  artifacts: Artifact[];
  next_page_token?: string;
}

export interface ExecutionPage {
  executions: Execution[];
  next_page_token?: string;
}

export interface ContextPage {
  contexts: Context[];
  next_page_token?: string;
}

export type LineageDirection = 'UPSTREAM' | 'DOWNSTREAM' | 'BIDIRECTIONAL';

/** MLMD's LineageSubgraphQueryOptions, with a node limit per page. */
export interface LineageQuery {
  /** Starting artifacts (with `execution_ids`, at most 100 starting nodes in all). */
  artifact_ids?: number[];
  execution_ids?: number[];
  /** Default BIDIRECTIONAL. */
  direction?: LineageDirection;
  /** Hops from the starting nodes, one per event crossed; default 20. */
  max_hops?: number;
  /** Nodes (artifacts + executions) per page, 1–1000, default 100. */
  page_size?: number;
  page_token?: string;
  /** Also return the contexts the page's nodes belong to. */
  include_contexts?: boolean;
}

/** One page of a lineage walk: its nodes in walk order and the events among the nodes returned so far. */
export interface LineageGraph {
  artifacts: Artifact[];
  executions: Execution[];
  events: Event[];
  contexts?: Context[];
  next_page_token?: string;
}
