// What the KFP API's store (db.ts), its REST layer (rest.ts) and the run engine (engine.ts) agree on. Field names are the
// KFP v2beta1 REST names (snake_case), so a record is what GET /apis/v2beta1/runs/{id} returns, less the engine's own state.
import type { JsonValue, PipelineSpec, PlatformSpec } from './ir.js';

/** KFP's RuntimeState, as the REST API spells it. */
export type RuntimeState = 'RUNTIME_STATE_UNSPECIFIED' | 'PENDING' | 'RUNNING' | 'SUCCEEDED' | 'SKIPPED' | 'FAILED' | 'CANCELING' | 'CANCELED' | 'PAUSED';

export const finalStates: readonly RuntimeState[] = ['SUCCEEDED', 'SKIPPED', 'FAILED', 'CANCELED'];

/** google.rpc.Status as KFP returns it in `error`. */
export interface RpcStatus {
  code: number;
  message: string;
  details?: unknown[];
}

export interface StateChange {
  update_time: string;
  state: RuntimeState;
  error?: RpcStatus;
}

export interface RuntimeConfig {
  parameters?: Record<string, JsonValue>;
  pipeline_root?: string;
}

/** A run as stored. `pipeline_spec` is always the resolved IR (from the request or the referenced version). */
export interface RunRecord {
  run_id: string;
  experiment_id: string;
  display_name: string;
  description?: string;
  namespace: string;
  storage_state: 'AVAILABLE' | 'ARCHIVED';
  pipeline_spec: PipelineSpec;
  platform_spec?: PlatformSpec;
  pipeline_version_reference?: { pipeline_id: string; pipeline_version_id: string };
  runtime_config: RuntimeConfig;
  service_account?: string;
  created_at: string;
  scheduled_at?: string;
  finished_at?: string;
  state: RuntimeState;
  error?: RpcStatus;
  recurring_run_id?: string;
  state_history: StateChange[];
  /** MLMD context ids, set by the engine once it has created them. */
  pipeline_context_id?: number;
  pipeline_run_context_id?: number;
}

/**
 * One task of a run: a DAG (the root, a condition, a loop, one loop iteration, an exit handler, a nested pipeline), a
 * container task or an importer. `engine` is the engine's own state (resolved inputs, attempts, fingerprint, …), stored
 * with the task and not shown by the REST API.
 */
export interface TaskRecord {
  run_id: string;
  task_id: string;
  parent_task_id?: string;
  /** The task's display name (taskInfo.name, or the task key). */
  display_name: string;
  create_time: string;
  start_time?: string;
  end_time?: string;
  state: RuntimeState;
  execution_id?: number;
  error?: RpcStatus;
  inputs?: Record<string, { artifact_ids: number[] }>;
  outputs?: Record<string, { artifact_ids: number[] }>;
  pod_name?: string;
  child_tasks?: { task_id?: string; pod_name?: string }[];
  state_history: StateChange[];
  engine: Record<string, unknown>;
}

/** A cache entry: a successful container execution's fingerprint and where its outputs are (KFP's tasks table). */
export interface CacheEntry {
  fingerprint: string;
  pipeline_name: string;
  namespace: string;
  run_id: string;
  task_id: string;
  execution_id?: number;
  /** The outputs to copy on a hit: parameter values and output artifacts (uri, type, metadata, MLMD id). */
  outputs: Record<string, unknown>;
  created_at: string;
}

/** What the store offers the run engine. db.ts implements it on SQLite. */
export interface RunStore {
  getRun(runId: string): RunRecord | undefined;
  /** Runs in any of these states (PENDING, RUNNING, CANCELING …), for resuming after a restart. */
  runsInState(states: readonly RuntimeState[]): RunRecord[];
  /** Sets fields of a run; a change of `state` appends to `state_history` in the same transaction. */
  updateRun(runId: string, patch: Partial<Pick<RunRecord, 'state' | 'error' | 'finished_at' | 'pipeline_context_id' | 'pipeline_run_context_id'>>): RunRecord;
  listTasks(runId: string): TaskRecord[];
  /** Inserts or replaces one task; a change of `state` appends to its `state_history`. */
  putTask(task: TaskRecord): void;
  /** Several task writes in one transaction (a DAG step that creates many children at once). */
  putTasks(tasks: TaskRecord[]): void;
  /** The newest cache entry with this fingerprint for this pipeline name and namespace. */
  cacheLookup(fingerprint: string, pipelineName: string, namespace: string): CacheEntry | undefined;
  cachePut(entry: CacheEntry): void;
}

/** What the REST layer asks of the engine after it has stored a change. */
export interface RunEngine {
  /** A new run was stored in PENDING: start it. */
  start(runId: string): void;
  /** Stop a run: running Pods are deleted, the run ends CANCELED. */
  terminate(runId: string): Promise<void>;
  /** Re-run the failed or canceled tasks of a finished run, keeping what succeeded. */
  retry(runId: string): Promise<void>;
}
