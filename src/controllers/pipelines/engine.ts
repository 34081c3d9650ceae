// The run engine: KFP's driver for the PipelineSpec IR. It walks a run's DAG level by level (conditions, loops, exit
// handlers, nested pipelines), resolves each task's inputs, checks the cache, runs container tasks as Pods through the
// Client, reads their outputs, retries with backoff, and records executions and artifacts in ML Metadata.
// All state lives in the run store, so a restart resumes every run where it was (Pods are adopted by their names).
import { createHash, randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, join } from 'node:path';
import { isInside } from '../../api/paths.js';
import { PodRef, type ContainerSpec as PodContainer, type EnvVar, type Pod, type Volume, type VolumeMount } from '../../api/core-v1.js';
import { FloeError } from '../../api/errors.js';
import type { Client } from '../../client/client.js';
import { Informer, realClock, WorkQueue, type Clock } from '../../controller/index.js';
import type { Logger } from '../../api/logger.js';
import type { Artifact, Execution, ExecutionState, MetadataWriter, MlmdValue } from '../../metadata/types.js';
import { evaluateCondition, selectParameter, valueToText } from './cel.js';
import { cacheKeyFingerprint } from './fingerprint.js';
import type { ComponentSpec, ContainerSpec, DagSpec, ImporterSpec, JsonValue, KubernetesExecutorConfig, PipelineSpec, TaskInputParameterSpec, TaskSpec } from './ir.js';
import { endpointUrl, ObjectStore, parseObjectUri } from './object-store.js';
import { localPath, PlaceholderError, resolveCommand, resolveRunPlaceholders, resolveString, type ExecutorInput, type RunPlaceholders, type RuntimeArtifact } from './placeholders.js';
import { finalStates, type RpcStatus, type RunEngine, type RunRecord, type RunStore, type RuntimeState, type TaskRecord } from './types.js';
import { installTaskEnv, inTaskEnv, runsPython } from './task-env.js';
import { WarmExecutorAnnotation, type WarmExecutor } from './warm-executor.js';
import { coerceParameters } from './validate.js';

export const RunIdLabel = 'pipeline/runid';
export const TaskIdLabel = 'pipelines.floe.dev/task-id';

export interface PipelineEngineOptions {
  client: Client;
  store: RunStore;
  metadata: MetadataWriter;
  /** Floe's pipelines folder: the default pipeline root (artifacts) and each task's output files live under it. It is
   * mounted into every task Pod at the same path, so paths in a task's command are the same inside and out. */
  dir: string;
  logger: Logger;
  /** Namespace of runs that name none (KFP's single-user deployment namespace). */
  defaultNamespace?: string;
  clock?: Clock;
  /** Runs reconciled at once. */
  workers?: number;
  /**
   * Gives each Python task its own environment layered over the one its image maps to (default true), so a component's
   * `pip install` never writes Floe's environment. See task-env.ts.
   */
  isolatePythonTasks?: boolean;
  /**
   * Runs lightweight Python components in a warm worker per environment (warm-executor.ts); none: every task is a
   * fresh process. A task Pod annotated `pipelines.floe.dev/warm-executor: "false"` is always a fresh process.
   */
  warmExecutor?: WarmExecutor;
  /** S3-compatible pipeline roots; without it an `s3://` or `minio://` root fails the run. */
  objectStore?: ObjectStore;
  /**
   * Task Pods run on this machine (Floe's own kubelet), so they mount the pipelines folder by hostPath (default true).
   * False on a cluster (`floe controllers`): Pods mount nothing of this machine's.
   */
  localNode?: boolean;
  /**
   * The source of python/floe_kfp_launcher.py. Off this machine's node with an object pipeline root, a task that reads
   * or writes artifacts runs its component through it: it moves the artifacts in the Pod and reports the outputs.
   */
  launcher?: string;
}

type TaskKind = 'dag' | 'loop' | 'container' | 'importer';

/** The engine's own state of a task, stored in TaskRecord.engine. */
interface TaskState {
  path: string;
  kind: TaskKind;
  /** The task's key in its parent DAG ('' for the root). */
  key: string;
  /** Key into pipeline_spec.components ('' for the root). */
  component: string;
  iteration?: number;
  items?: JsonValue[];
  params: Record<string, JsonValue>;
  artifacts: Record<string, RuntimeArtifact[]>;
  outParams?: Record<string, JsonValue>;
  outArtifacts?: Record<string, RuntimeArtifact[]>;
  attempt?: number;
  /** How many times the run was retried (`:retry`) with this task among those to run again; part of its Pod name. */
  round?: number;
  retryAt?: number;
  fingerprint?: string;
  cached?: boolean;
  executorInput?: ExecutorInput;
  /** Where the task's in-Pod launcher stores its report (the executor output and output parameters). */
  report?: string;
}

interface Task {
  record: TaskRecord;
  state: TaskState;
}

/** A step of reconciling one run: everything it needs, read once. */
interface RunView {
  run: RunRecord;
  spec: PipelineSpec;
  tasks: Map<string, Task>;
  dirty: Map<string, Task>;
  contexts: number[];
  /** The local folder artifacts are written to (for an object root, its staging copy). */
  root: string;
  /** An object pipeline root (`s3://bucket/prefix`, `minio://…`): artifacts are uploaded there from `root`. */
  remoteRoot?: string;
  /** Earliest time something must be looked at again (a retry's backoff). */
  wakeAt?: number;
}

const blocked = 'BLOCKED' as const;
type ChildStatus = RuntimeState | typeof blocked | 'ABSENT';

export class PipelineEngine implements RunEngine {
  private readonly client: Client;
  private readonly store: RunStore;
  private readonly metadata: MetadataWriter;
  private readonly dir: string;
  private readonly log: Logger;
  private readonly clock: Clock;
  private readonly defaultNamespace: string;
  private readonly queue: WorkQueue;
  private readonly workers: number;
  private readonly pods: Informer<Pod>;
  private running: Promise<void>[] = [];
  private readonly namespaces = new Set<string>();
  /** Consecutive failed reconciles per run (see work()). */
  private readonly failures = new Map<string, number>();
  private readonly isolatePython: boolean;
  private taskEnvScript = '';
  private readonly warm: WarmExecutor | undefined;
  private readonly objects: ObjectStore | undefined;
  private readonly localNode: boolean;
  private readonly launcher: string | undefined;
  /** Runs whose workspace claim this process made or found. */
  private readonly workspaces = new Set<string>();
  /** Each unfinished run's root from the kfp-launcher ConfigMap, read once per run (KFP reads it once per task). */
  private readonly launcherRoots = new Map<string, string | undefined>();

  constructor(options: PipelineEngineOptions) {
    this.client = options.client;
    this.store = options.store;
    this.metadata = options.metadata;
    this.dir = options.dir;
    this.log = options.logger.child({ component: 'pipelines' });
    this.clock = options.clock ?? realClock();
    this.defaultNamespace = options.defaultNamespace ?? 'kubeflow';
    this.workers = options.workers ?? 4;
    this.isolatePython = options.isolatePythonTasks ?? true;
    this.warm = options.warmExecutor;
    this.objects = options.objectStore;
    this.localNode = options.localNode ?? true;
    this.launcher = options.launcher;
    this.queue = new WorkQueue({ clock: this.clock });
    this.pods = new Informer<Pod>({
      client: this.client,
      kind: PodRef,
      labelSelector: RunIdLabel,
      onError: (err) => this.log.warn({ err }, 'pod watch failed; retrying'),
    });
    const enqueue = (pod: Pod): void => {
      const run = pod.metadata.labels?.[RunIdLabel];
      if (run) this.queue.add(run);
    };
    // A run acts on its Pods only when one ends (Succeeded or Failed) or is gone: a Pod's other changes (bound,
    // started, its status rewritten) would each cost a pass over the whole run, three per task.
    const ended = (pod: Pod | undefined): boolean => pod?.status?.phase === 'Succeeded' || pod?.status?.phase === 'Failed';
    this.pods.addEventHandler({
      onAdd: (pod) => {
        if (ended(pod)) enqueue(pod);
      },
      onUpdate: (old, pod) => {
        if (ended(pod) && old.status?.phase !== pod.status?.phase) enqueue(pod);
      },
      onDelete: enqueue,
    });
  }

  /** Starts watching Pods and resumes every run that was not finished. */
  async open(): Promise<void> {
    mkdirSync(this.dir, { recursive: true });
    if (this.isolatePython) this.taskEnvScript = installTaskEnv(this.dir);
    this.warm?.open();
    await this.ensureNamespace(this.defaultNamespace);
    this.pods.start();
    await this.pods.waitForSync();
    for (const run of this.store.runsInState(['PENDING', 'RUNNING', 'CANCELING'])) this.queue.add(run.run_id);
    for (let i = 0; i < this.workers; i++) this.running.push(this.work());
  }

  async close(): Promise<void> {
    await this.queue.shutDown();
    await Promise.all(this.running);
    this.running = [];
    await this.pods.stop();
  }

  start(runId: string): void {
    this.queue.add(runId);
  }

  async terminate(runId: string): Promise<void> {
    const run = this.store.getRun(runId);
    if (!run) throw new FloeError('NotFound', `run ${runId} not found`);
    if (finalStates.includes(run.state)) return;
    this.store.updateRun(runId, { state: 'CANCELING' });
    this.queue.add(runId);
    return Promise.resolve();
  }

  async retry(runId: string): Promise<void> {
    const run = this.store.getRun(runId);
    if (!run) throw new FloeError('NotFound', `run ${runId} not found`);
    if (run.state !== 'FAILED' && run.state !== 'CANCELED') {
      throw new FloeError('BadRequest', `run ${runId} is ${run.state}: only a FAILED or CANCELED run can be retried`);
    }
    // Keep what succeeded (and what a condition skipped); everything else runs again from its first attempt.
    const again = this.store.listTasks(runId).filter((t) => t.state !== 'SUCCEEDED' && t.state !== 'SKIPPED');
    const now = this.now();
    this.store.putTasks(
      again.map((t) => {
        const state = { ...(t.engine as unknown as TaskState) };
        state.round = (state.round ?? 0) + 1;
        delete state.attempt;
        delete state.retryAt;
        delete state.outParams;
        delete state.outArtifacts;
        delete state.executorInput;
        const isDag = state.kind === 'dag' || state.kind === 'loop';
        const record: TaskRecord = { ...t, state: isDag ? 'RUNNING' : 'PENDING', engine: state };
        delete record.end_time;
        delete record.error;
        delete record.pod_name;
        if (isDag) record.start_time = now;
        else delete record.start_time;
        if (!isDag) delete record.execution_id;
        record.create_time = now;
        return record;
      }),
    );
    this.store.updateRun(runId, { state: 'RUNNING' });
    this.queue.add(runId);
    return Promise.resolve();
  }

  private async work(): Promise<void> {
    for (;;) {
      const runId = await this.queue.get();
      if (runId === undefined) return;
      try {
        const wakeAt = await this.reconcile(runId);
        this.queue.forget(runId);
        this.failures.delete(runId);
        if (wakeAt !== undefined) this.queue.addAfter(runId, Math.max(0, wakeAt - this.clock.now()));
      } catch (err) {
        // A transient error (a conflict, the API server busy) is retried with backoff a few times; anything else, or
        // one that keeps coming back, ends the run FAILED with the reason instead of leaving it RUNNING forever.
        const count = (this.failures.get(runId) ?? 0) + 1;
        this.failures.set(runId, count);
        if (isTransient(err) && count < maxTransientFailures) {
          this.log.warn({ err, run: runId, attempt: count }, 'reconciling a run failed; retrying');
          this.queue.addRateLimited(runId);
        } else {
          this.failures.delete(runId);
          this.queue.forget(runId);
          try {
            await this.failRun(runId, err);
          } catch (failErr) {
            this.log.error({ err: failErr, run: runId }, 'could not record a failed run; retrying');
            this.queue.addRateLimited(runId);
          }
        }
      } finally {
        this.queue.done(runId);
      }
    }
  }

  /** Ends a run the engine cannot go on with: its Pods stopped, unfinished tasks FAILED, the run FAILED with why. */
  private async failRun(runId: string, err: unknown): Promise<void> {
    const run = this.store.getRun(runId);
    if (!run || finalStates.includes(run.state)) return;
    const reason = err instanceof Error ? err.message : String(err);
    this.log.warn({ err, run: runId }, 'the run cannot go on; it fails');
    const namespace = run.namespace || this.defaultNamespace;
    for (const pod of this.pods.list({ namespace, labelSelector: `${RunIdLabel}=${runId}` })) {
      if (pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed') continue;
      try {
        await this.client.delete(PodRef, pod.metadata.name!, namespace);
      } catch (deleteErr) {
        if (!(deleteErr instanceof FloeError && deleteErr.reason === 'NotFound')) throw deleteErr;
      }
    }
    const error: RpcStatus = { code: 13, message: `the pipeline engine could not run this pipeline: ${reason}` };
    const now = this.now();
    const open = this.store.listTasks(runId).filter((t) => !finalStates.includes(t.state));
    this.store.putTasks(open.map((t) => ({ ...t, state: 'FAILED' as const, end_time: now, error })));
    this.store.updateRun(runId, { state: 'FAILED', finished_at: now, error });
  }

  private now(): string {
    return new Date(this.clock.now()).toISOString();
  }

  /** One pass over a run: start what can start, observe what runs, finish what is done. */
  private async reconcile(runId: string): Promise<number | undefined> {
    const run = this.store.getRun(runId);
    if (!run || finalStates.includes(run.state)) {
      this.launcherRoots.delete(runId);
      return undefined;
    }
    this.log.debug({ run: runId }, 'reconciling a run');
    const view: RunView = { run, spec: run.pipeline_spec, tasks: new Map(), dirty: new Map(), contexts: [], root: '' };
    for (const record of this.store.listTasks(runId)) {
      const state = record.engine as unknown as TaskState;
      view.tasks.set(state.path, { record, state });
    }
    if (run.state === 'CANCELING') {
      await this.cancel(view);
      return undefined;
    }
    const given = await this.givenRoot(run);
    view.root = this.pipelineRoot(run, given);
    if (given && parseObjectUri(given)) {
      view.remoteRoot = given.replace(/\/+$/, '');
      // Checked once, before any task: a root without credentials fails the run with the reason.
      if (!view.tasks.has('root')) await this.objects!.check(view.remoteRoot, run.namespace || this.defaultNamespace);
    }
    view.contexts = this.ensureContexts(view);
    let root = view.tasks.get('root');
    if (!root) {
      const params = coerceParameters(run.pipeline_spec, run.runtime_config.parameters ?? {});
      root = this.newTask(view, undefined, { path: 'root', kind: 'dag', key: '', component: '', params, artifacts: {} }, 'RUNNING', run.pipeline_spec.pipelineInfo.name);
      this.startDagExecution(view, root, undefined);
      // {{$.workspace_path}} (PipelineConfig(workspace=…)): KFP mounts a PVC; here a folder of the run, made up front.
      if (this.localNode && JSON.stringify(run.pipeline_spec).includes('{{$.workspace_path}}')) mkdirSync(this.runPlaceholders(view, '', '').workspace_path, { recursive: true });
      if (run.state !== 'RUNNING') this.store.updateRun(runId, { state: 'RUNNING' });
      // The run is RUNNING in its own write before any task can finish it (a fully cached run included), so a
      // client polling the run sees it, as it would on KFP.
      this.flush(view);
      return this.clock.now();
    }
    await this.reconcileDag(view, root, run.pipeline_spec.root);
    // A task that finished late in the pass may have made an earlier sibling ready: look again until nothing changes.
    const changed = view.dirty.size > 0;
    this.flush(view);
    if (finalStates.includes(root.record.state)) {
      await this.releaseWorkspace(view);
      this.launcherRoots.delete(runId);
      const failed = [...view.tasks.values()].filter((t) => t.record.state === 'FAILED' && (t.state.kind === 'container' || t.state.kind === 'importer'));
      const error: RpcStatus | undefined =
        root.record.state === 'FAILED'
          ? { code: 2, message: failed.length > 0 ? failed.map((t) => `task ${t.record.display_name} failed: ${t.record.error?.message ?? 'see its logs'}`).join('; ') : root.record.error?.message ?? 'the pipeline failed' }
          : undefined;
      this.store.updateRun(runId, { state: root.record.state, finished_at: this.now(), ...(error ? { error } : {}) });
      this.log.info({ run: runId, state: root.record.state }, 'run finished');
      return undefined;
    }
    return changed ? this.clock.now() : view.wakeAt;
  }

  // ---- DAGs ----------------------------------------------------------------------------------------------------

  /** Advances one DAG instance (the root, a sub-DAG, or one loop iteration); sets its state once every child is done. */
  private async reconcileDag(view: RunView, dag: Task, component: ComponentSpec): Promise<void> {
    if (finalStates.includes(dag.record.state)) return;
    const spec: DagSpec = component.dag ?? {};
    const tasks = spec.tasks ?? {};
    const statuses = new Map<string, ChildStatus>();
    const statusOf = (key: string, seen: Set<string> = new Set()): ChildStatus => {
      const known = statuses.get(key);
      if (known) return known;
      const child = view.tasks.get(`${dag.state.path}/${key}`);
      let status: ChildStatus = child ? child.record.state : 'ABSENT';
      if (!child) {
        const taskSpec = tasks[key];
        const strategy = taskSpec?.triggerPolicy?.strategy ?? 'ALL_UPSTREAM_TASKS_SUCCEEDED';
        if (strategy !== 'ALL_UPSTREAM_TASKS_COMPLETED' && !seen.has(key)) {
          seen.add(key);
          const upstream = (taskSpec ? upstreamOf(taskSpec) : []).map((k) => statusOf(k, seen));
          if (upstream.some((s) => s === 'FAILED' || s === 'CANCELED' || s === blocked)) status = blocked;
        }
      }
      statuses.set(key, status);
      return status;
    };
    for (const [key, taskSpec] of Object.entries(tasks)) {
      const path = `${dag.state.path}/${key}`;
      let child = view.tasks.get(path);
      if (!child) {
        if (statusOf(key) === blocked) continue;
        // Ready once every upstream task is done (a blocked one counts as done only under ALL_UPSTREAM_TASKS_COMPLETED,
        // which is the only strategy under which this task is not blocked by it).
        const ready = upstreamOf(taskSpec).every((k) => {
          const s = statusOf(k);
          return s === blocked || (s !== 'ABSENT' && finalStates.includes(s));
        });
        if (!ready) continue;
        child = this.createChild(view, dag, key, taskSpec);
        this.log.debug({ run: view.run.run_id, task: child.state.path, state: child.record.state }, 'task created');
        statuses.set(key, child.record.state);
      }
      await this.advance(view, child, taskSpec);
      statuses.set(key, child.record.state);
    }
    const all = Object.keys(tasks).map((k) => statusOf(k));
    if (all.some((s) => s === 'ABSENT' || (s !== blocked && !finalStates.includes(s)))) return;
    const failed = all.some((s) => s === 'FAILED' || s === 'CANCELED' || s === blocked);
    if (failed) {
      this.finish(view, dag, 'FAILED', { code: 2, message: `tasks failed in ${dag.record.display_name}` });
      return;
    }
    try {
      const outputs = this.dagOutputs(view, dag, spec);
      dag.state.outParams = outputs.params;
      dag.state.outArtifacts = outputs.artifacts;
      this.finish(view, dag, 'SUCCEEDED');
    } catch (err) {
      this.finish(view, dag, 'FAILED', { code: 3, message: (err as Error).message });
    }
  }

  private async advance(view: RunView, child: Task, taskSpec: TaskSpec): Promise<void> {
    if (finalStates.includes(child.record.state)) return;
    switch (child.state.kind) {
      case 'dag':
        return this.reconcileDag(view, child, this.component(view, child.state.component));
      case 'loop':
        return this.reconcileLoop(view, child, taskSpec);
      case 'container':
        return this.reconcileContainer(view, child, taskSpec);
      case 'importer':
        return;
    }
  }

  /** A new child task of a DAG: inputs resolved, condition checked, then a DAG, a loop, a container task or an importer. */
  private createChild(view: RunView, dag: Task, key: string, taskSpec: TaskSpec): Task {
    const path = `${dag.state.path}/${key}`;
    const componentName = taskSpec.componentRef.name;
    const component = this.component(view, componentName);
    const name = taskSpec.taskInfo?.name ?? key;
    const base: TaskState = { path, kind: 'container', key, component: componentName, params: {}, artifacts: {} };
    if (taskSpec.parameterIterator || taskSpec.artifactIterator) base.kind = 'loop';
    else if (component.dag) base.kind = 'dag';
    else if (this.executor(view, component).importer) base.kind = 'importer';
    let inputs: { params: Record<string, JsonValue>; artifacts: Record<string, RuntimeArtifact[]> };
    try {
      inputs = this.resolveInputs(view, dag, key, taskSpec, component, base.kind === 'loop');
    } catch (err) {
      const failed = this.newTask(view, dag, base, 'FAILED', name);
      failed.record.error = { code: 3, message: (err as Error).message };
      failed.record.end_time = this.now();
      return failed;
    }
    base.params = inputs.params;
    base.artifacts = inputs.artifacts;
    const condition = taskSpec.triggerPolicy?.condition;
    if (condition) {
      let run: boolean;
      try {
        run = evaluateCondition(condition, { inputs: { parameterValues: inputs.params } });
      } catch (err) {
        const failed = this.newTask(view, dag, base, 'FAILED', name);
        failed.record.error = { code: 3, message: `triggerPolicy.condition: ${(err as Error).message}` };
        failed.record.end_time = this.now();
        return failed;
      }
      if (!run) {
        const skipped = this.newTask(view, dag, base, 'SKIPPED', name);
        skipped.record.end_time = this.now();
        skipped.record.execution_id = this.putExecution(view, { type: executionType(base.kind), last_known_state: 'CANCELED', custom_properties: this.execProps(skipped, dag) }, []);
        return skipped;
      }
    }
    switch (base.kind) {
      case 'loop': {
        try {
          base.items = this.loopItems(taskSpec, inputs);
        } catch (err) {
          const failed = this.newTask(view, dag, base, 'FAILED', name);
          failed.record.error = { code: 3, message: (err as Error).message };
          failed.record.end_time = this.now();
          return failed;
        }
        const loop = this.newTask(view, dag, base, 'RUNNING', name);
        this.startDagExecution(view, loop, dag);
        return loop;
      }
      case 'dag': {
        const sub = this.newTask(view, dag, base, 'RUNNING', name);
        this.startDagExecution(view, sub, dag);
        return sub;
      }
      case 'importer':
        return this.runImporter(view, dag, base, name, component);
      case 'container':
        return this.newTask(view, dag, base, 'PENDING', name);
    }
  }

  private loopItems(taskSpec: TaskSpec, inputs: { params: Record<string, JsonValue>; artifacts: Record<string, RuntimeArtifact[]> }): JsonValue[] {
    if (taskSpec.artifactIterator) {
      const name = taskSpec.artifactIterator.items.inputArtifact ?? '';
      return (inputs.artifacts[name] ?? []) as unknown as JsonValue[];
    }
    const items = taskSpec.parameterIterator!.items;
    let value: JsonValue | undefined = items.raw !== undefined ? (JSON.parse(items.raw) as JsonValue) : inputs.params[items.inputParameter ?? ''];
    if (typeof value === 'string') value = JSON.parse(value) as JsonValue;
    if (!Array.isArray(value)) throw new Error(`parameterIterator.items: the loop's items are not a list (got ${JSON.stringify(value)})`);
    return value;
  }

  /** A ParallelFor: one DAG instance per item, at most `parallelismLimit` unfinished at a time; outputs collected in order. */
  private async reconcileLoop(view: RunView, loop: Task, taskSpec: TaskSpec): Promise<void> {
    const items = loop.state.items ?? [];
    const limit = taskSpec.iteratorPolicy?.parallelismLimit ?? 0;
    const component = this.component(view, loop.state.component);
    const itemInput = (taskSpec.parameterIterator ?? taskSpec.artifactIterator)!.itemInput;
    let active = 0;
    const iterations: Task[] = [];
    for (let i = 0; i < items.length; i++) {
      const path = `${loop.state.path}/${i}`;
      let iteration = view.tasks.get(path);
      if (!iteration) {
        if (limit > 0 && active >= limit) break;
        const params = { ...loop.state.params };
        const artifacts = { ...loop.state.artifacts };
        if (taskSpec.artifactIterator) artifacts[itemInput] = [items[i] as unknown as RuntimeArtifact];
        else params[itemInput] = items[i]!;
        iteration = this.newTask(view, loop, { path, kind: 'dag', key: String(i), component: loop.state.component, iteration: i, params, artifacts }, 'RUNNING', `${loop.record.display_name}-iteration-${i}`);
        this.startDagExecution(view, iteration, loop);
      }
      await this.reconcileDag(view, iteration, component);
      if (!finalStates.includes(iteration.record.state)) active++;
      iterations.push(iteration);
    }
    if (iterations.length < items.length || iterations.some((t) => !finalStates.includes(t.record.state))) return;
    if (iterations.some((t) => t.record.state !== 'SUCCEEDED')) {
      this.finish(view, loop, 'FAILED', { code: 2, message: `iterations failed in ${loop.record.display_name}` });
      return;
    }
    const outParams: Record<string, JsonValue> = {};
    const outArtifacts: Record<string, RuntimeArtifact[]> = {};
    // dsl.Collected: iterations whose producer a condition skipped give no value and are left out, as in KFP.
    for (const name of Object.keys(component.dag?.outputs?.parameters ?? {})) outParams[name] = iterations.flatMap((t) => (t.state.outParams?.[name] === undefined ? [] : [t.state.outParams[name]]));
    for (const name of Object.keys(component.dag?.outputs?.artifacts ?? {})) outArtifacts[name] = iterations.flatMap((t) => t.state.outArtifacts?.[name] ?? []);
    loop.state.outParams = outParams;
    loop.state.outArtifacts = outArtifacts;
    this.finish(view, loop, 'SUCCEEDED');
  }

  /** A DAG's outputs from its children (valueFromOneof: the first branch that produced one). */
  private dagOutputs(view: RunView, dag: Task, spec: DagSpec): { params: Record<string, JsonValue>; artifacts: Record<string, RuntimeArtifact[]> } {
    const params: Record<string, JsonValue> = {};
    const artifacts: Record<string, RuntimeArtifact[]> = {};
    const child = (key: string): Task | undefined => view.tasks.get(`${dag.state.path}/${key}`);
    for (const [name, out] of Object.entries(spec.outputs?.parameters ?? {})) {
      const selectors = out.valueFromParameter ? [out.valueFromParameter] : (out.valueFromOneof?.parameterSelectors ?? []);
      const found = selectors.map((s) => child(s.producerSubtask)).find((t, i) => t?.record.state === 'SUCCEEDED' && t.state.outParams?.[selectors[i]!.outputParameterKey] !== undefined);
      const selector = selectors[found ? selectors.findIndex((s) => child(s.producerSubtask) === found) : -1];
      if (found && selector) params[name] = found.state.outParams![selector.outputParameterKey]!;
      else if (out.valueFromOneof) throw new Error(`output ${name}: no branch of the dsl.OneOf produced a value`);
    }
    for (const [name, out] of Object.entries(spec.outputs?.artifacts ?? {})) {
      for (const s of out.artifactSelectors ?? []) {
        const producer = child(s.producerSubtask);
        const list = producer?.record.state === 'SUCCEEDED' ? producer.state.outArtifacts?.[s.outputArtifactKey] : undefined;
        if (list && list.length > 0) {
          artifacts[name] = list;
          break;
        }
      }
    }
    return { params, artifacts };
  }

  // ---- inputs ----------------------------------------------------------------------------------------------------

  private resolveInputs(view: RunView, dag: Task, key: string, taskSpec: TaskSpec, component: ComponentSpec, isLoop: boolean): { params: Record<string, JsonValue>; artifacts: Record<string, RuntimeArtifact[]> } {
    const params: Record<string, JsonValue> = {};
    const artifacts: Record<string, RuntimeArtifact[]> = {};
    // Under ignore_upstream_failure (ALL_UPSTREAM_TASKS_COMPLETED) an output of a producer that failed or was skipped is
    // absent, and the input takes its default, as in KFP.
    const lenient = taskSpec.triggerPolicy?.strategy === 'ALL_UPSTREAM_TASKS_COMPLETED';
    // {{$.pipeline_task_name}} as a parameter value is the DAG key of the task that receives it (KFP's driver gets
    // the task's original name, not its display name).
    const placeholders = this.runPlaceholders(view, key, dag.record.task_id);
    for (const [name, input] of Object.entries(taskSpec.inputs?.parameters ?? {})) {
      const value = this.parameterValue(view, dag, name, input, placeholders, lenient);
      if (value !== undefined) params[name] = value;
    }
    for (const [name, input] of Object.entries(taskSpec.inputs?.artifacts ?? {})) {
      if (input.componentInputArtifact !== undefined) {
        const list = dag.state.artifacts[input.componentInputArtifact];
        if (list) artifacts[name] = list;
      } else if (input.taskOutputArtifact) {
        const { producerTask, outputArtifactKey } = input.taskOutputArtifact;
        const producer = view.tasks.get(`${dag.state.path}/${producerTask}`);
        const list = producer?.state.outArtifacts?.[outputArtifactKey];
        if (!list && lenient && producer?.record.state !== 'SUCCEEDED') continue;
        if (!list) throw new Error(`inputs.artifacts.${name}: task ${producerTask} produced no artifact "${outputArtifactKey}"${producer ? ` (it is ${producer.record.state})` : ''}`);
        artifacts[name] = list;
      }
    }
    // Defaults of the component's own inputs; a loop's body gets its item later, so its item input is not required here.
    for (const [name, def] of Object.entries(component.inputDefinitions?.parameters ?? {})) {
      if (name in params) continue;
      if (def.defaultValue !== undefined) params[name] = def.defaultValue;
      else if (!def.isOptional && !isLoop && def.parameterType !== 'TASK_FINAL_STATUS') throw new Error(`inputs.parameters.${name}: no value for a required input`);
    }
    for (const [name, def] of Object.entries(component.inputDefinitions?.artifacts ?? {})) {
      if (!(name in artifacts) && !def.isOptional && !isLoop) throw new Error(`inputs.artifacts.${name}: no artifact for a required input`);
    }
    return { params, artifacts };
  }

  private parameterValue(view: RunView, dag: Task, name: string, input: TaskInputParameterSpec, placeholders: RunPlaceholders, lenient = false): JsonValue | undefined {
    let value: JsonValue | undefined;
    if (input.componentInputParameter !== undefined) {
      value = dag.state.params[input.componentInputParameter];
    } else if (input.taskOutputParameter) {
      const { producerTask, outputParameterKey } = input.taskOutputParameter;
      const producer = view.tasks.get(`${dag.state.path}/${producerTask}`);
      value = producer?.state.outParams?.[outputParameterKey];
      if (value === undefined && lenient && producer?.record.state !== 'SUCCEEDED') return undefined;
      if (value === undefined) throw new Error(`inputs.parameters.${name}: task ${producerTask} produced no parameter "${outputParameterKey}"${producer ? ` (it is ${producer.record.state})` : ''}`);
    } else if (input.runtimeValue) {
      const c = input.runtimeValue.constant ?? constantValue(input.runtimeValue.constantValue);
      value = c === undefined ? undefined : resolveRunPlaceholders(c, placeholders);
    } else if (input.taskFinalStatus) {
      const producer = view.tasks.get(`${dag.state.path}/${input.taskFinalStatus.producerTask}`);
      const state = producer?.record.state ?? 'FAILED';
      value = {
        state: mlmdState(state),
        error: producer?.record.error ? { code: producer.record.error.code, message: producer.record.error.message } : {},
        pipelineJobResourceName: placeholders.pipeline_job_resource_name,
        pipelineTaskName: input.taskFinalStatus.producerTask,
      };
    }
    if (value !== undefined && input.parameterExpressionSelector) value = selectParameter(input.parameterExpressionSelector, value);
    return value;
  }

  // ---- container tasks -------------------------------------------------------------------------------------------

  private async reconcileContainer(view: RunView, task: Task, taskSpec: TaskSpec): Promise<void> {
    try {
      await this.reconcileContainerTask(view, task, taskSpec);
    } catch (err) {
      if (isTransient(err)) throw err;
      // Refused for good (a placeholder, the Pod, a metadata write): the task fails with what was wrong.
      const message = err instanceof Error ? err.message : String(err);
      this.log.warn({ run: view.run.run_id, task: task.record.display_name, err }, 'a task cannot run');
      if (task.record.execution_id !== undefined) {
        try {
          this.metadata.putExecution({ id: task.record.execution_id, type: 'system.ContainerExecution', last_known_state: 'FAILED', custom_properties: this.execProps(task, this.parentOf(view, task)) }, [], view.contexts);
        } catch {
          // The metadata store may be what refused; the task's error says so.
        }
      }
      this.finish(view, task, 'FAILED', { code: 3, message });
    }
  }

  private async reconcileContainerTask(view: RunView, task: Task, taskSpec: TaskSpec): Promise<void> {
    const component = this.component(view, task.state.component);
    const container = this.executor(view, component).container!;
    const dag = this.parentOf(view, task);
    if (container.image === CreatePvcImage || container.image === DeletePvcImage) {
      await this.runPvcTask(view, task, container.image, dag);
      return;
    }
    if (task.record.state === 'PENDING') {
      if (task.state.retryAt !== undefined && task.state.retryAt > this.clock.now()) {
        view.wakeAt = Math.min(view.wakeAt ?? Infinity, task.state.retryAt);
        return;
      }
      if (!task.state.executorInput) {
        const input = this.provision(view, task, component);
        // Off this node, the task's launcher downloads them in its Pod.
        if (this.localNode) await this.stageObjectInputs(view, task, input);
        task.state.executorInput = input;
      }
      const attempt = task.state.attempt ?? 0;
      if (attempt === 0 && taskSpec.cachingOptions?.enableCache && task.state.cached === undefined) {
        task.state.fingerprint = this.fingerprint(task, taskSpec, component, container);
        const hit = this.store.cacheLookup(task.state.fingerprint, view.spec.pipelineInfo.name, view.run.namespace || this.defaultNamespace);
        task.state.cached = hit !== undefined;
        if (hit) {
          const outputs = hit.outputs as { params?: Record<string, JsonValue>; artifacts?: Record<string, RuntimeArtifact[]> };
          task.state.outParams = outputs.params ?? {};
          task.state.outArtifacts = outputs.artifacts ?? {};
          task.record.execution_id = this.putExecution(
            view,
            {
              type: 'system.ContainerExecution',
              last_known_state: 'CACHED',
              custom_properties: { ...this.execProps(task, dag), cache_fingerprint: { string_value: task.state.fingerprint }, ...(hit.execution_id !== undefined ? { cached_execution_id: { string_value: String(hit.execution_id) } } : {}), outputs: { struct_value: task.state.outParams } },
            },
            [...this.inputEvents(task), ...Object.entries(task.state.outArtifacts).flatMap(([key, list]) => list.map((a) => ({ event: { type: 'OUTPUT' as const, path: { steps: [{ key }] }, artifact_id: Number(a.name) } })))],
          );
          task.record.outputs = artifactIds(task.state.outArtifacts);
          this.finish(view, task, 'SUCCEEDED');
          this.log.info({ run: view.run.run_id, task: task.record.display_name }, 'cache hit');
          return;
        }
      }
      const pod = this.podFor(view, task, component, container, dag, this.localNode ? undefined : await this.launchSpec(view, task, component));
      if (task.record.execution_id === undefined) {
        task.record.execution_id = this.putExecution(
          view,
          { type: 'system.ContainerExecution', last_known_state: 'RUNNING', custom_properties: { ...this.execProps(task, dag), pod_name: { string_value: pod.metadata.name! }, namespace: { string_value: pod.metadata.namespace! }, image: { string_value: container.image }, inputs: { struct_value: task.state.params }, ...(task.state.fingerprint ? { cache_fingerprint: { string_value: task.state.fingerprint } } : {}) } },
          this.inputEvents(task),
        );
      }
      await this.ensureNamespace(pod.metadata.namespace!);
      if (pod.spec.volumes?.some((v) => v.name === WorkspaceVolumeName)) await this.ensureWorkspace(view);
      try {
        await this.client.create(pod);
      } catch (err) {
        if (err instanceof FloeError && !err.retryable && err.reason !== 'AlreadyExists') throw new FloeError(err.reason, `task ${task.record.display_name}: the Pod ${pod.metadata.name!} was refused: ${err.message}`);
        if (!(err instanceof FloeError && err.reason === 'AlreadyExists')) throw err;
      }
      task.record.pod_name = pod.metadata.name!;
      task.record.child_tasks = [{ pod_name: pod.metadata.name! }];
      if (!task.record.start_time) task.record.start_time = this.now();
      this.setState(view, task, 'RUNNING');
      return;
    }
    // RUNNING: look at the Pod.
    const name = task.record.pod_name!;
    const namespace = view.run.namespace || this.defaultNamespace;
    let pod = this.pods.get(name, namespace);
    if (!pod) {
      try {
        pod = await this.client.get<Pod>(PodRef, name, namespace);
      } catch (err) {
        if (!(err instanceof FloeError && err.reason === 'NotFound')) throw err;
        // The Pod is gone (deleted by hand, or never created before a crash): run this attempt again.
        this.setState(view, task, 'PENDING');
        return;
      }
    }
    const phase = pod.status?.phase;
    if (phase === 'Succeeded') {
      let written: (path: string) => string | undefined;
      if (this.localNode) {
        written = (path) => (existsSync(path) ? readFileSync(path, 'utf8') : undefined);
      } else {
        const files = await this.launcherReport(task, namespace);
        if (typeof files === 'string') {
          this.failAttempt(view, task, taskSpec, files);
          return;
        }
        written = (path) => files.get(path);
      }
      try {
        this.collectOutputs(task, component, written);
      } catch (err) {
        this.failAttempt(view, task, taskSpec, (err as Error).message);
        return;
      }
      await this.uploadObjectOutputs(view, task);
      let ids: Record<string, { artifact_ids: number[] }>;
      try {
        ids = this.recordOutputs(view, task, dag);
      } catch (err) {
        if (isTransient(err)) throw err;
        throw new FloeError('BadRequest', `task ${task.record.display_name}: ML Metadata refused its outputs: ${(err as Error).message}`);
      }
      task.record.outputs = ids;
      if (task.state.fingerprint) {
        this.store.cachePut({
          fingerprint: task.state.fingerprint,
          pipeline_name: view.spec.pipelineInfo.name,
          namespace,
          run_id: view.run.run_id,
          task_id: task.record.task_id,
          ...(task.record.execution_id !== undefined ? { execution_id: task.record.execution_id } : {}),
          outputs: { params: task.state.outParams ?? {}, artifacts: task.state.outArtifacts ?? {} },
          created_at: this.now(),
        });
      }
      this.finish(view, task, 'SUCCEEDED');
    } else if (phase === 'Failed') {
      const terminated = pod.status?.containerStatuses?.[0]?.state.terminated;
      const why = terminated ? `exit code ${terminated.exitCode}${terminated.reason ? ` (${terminated.reason})` : ''}${terminated.message ? `: ${terminated.message.trim().slice(-500)}` : ''}` : (pod.status?.message ?? pod.status?.reason ?? 'the Pod failed');
      this.failAttempt(view, task, taskSpec, `pod ${name}: ${why}`);
    }
  }

  /** A failed attempt: retry after KFP's backoff while retries remain, else the task fails. */
  private failAttempt(view: RunView, task: Task, taskSpec: TaskSpec, message: string): void {
    const attempt = task.state.attempt ?? 0;
    const policy = taskSpec.retryPolicy;
    const max = policy?.maxRetryCount ?? 0;
    if (attempt < max) {
      const base = durationMs(policy?.backoffDuration ?? '0s');
      const factor = policy?.backoffFactor ?? 2;
      const cap = durationMs(policy?.backoffMaxDuration ?? '3600s');
      const wait = Math.min(cap, base * Math.pow(factor, attempt));
      task.state.attempt = attempt + 1;
      task.state.retryAt = this.clock.now() + wait;
      delete task.state.executorInput;
      delete task.state.report;
      task.record.error = { code: 2, message: `attempt ${attempt + 1} of ${max + 1} failed: ${message}` };
      this.setState(view, task, 'PENDING');
      view.wakeAt = Math.min(view.wakeAt ?? Infinity, task.state.retryAt);
      this.log.info({ run: view.run.run_id, task: task.record.display_name, attempt: attempt + 1, waitMs: wait }, 'retrying a failed task');
      return;
    }
    const dag = this.parentOf(view, task);
    if (task.record.execution_id !== undefined) {
      this.metadata.putExecution({ id: task.record.execution_id, type: 'system.ContainerExecution', last_known_state: 'FAILED', custom_properties: this.execProps(task, dag) }, [], view.contexts);
    }
    this.finish(view, task, 'FAILED', { code: 2, message: max > 0 ? `${message} (after ${max + 1} attempts)` : message });
  }

  // ---- object pipeline roots (s3://, minio://) ----------------------------------------------------------------------

  /**
   * Input artifacts held in an object store are downloaded into the attempt's folder, and the executor reads the local
   * copy (its `uri` and `path`); ML Metadata and the API keep the object URI.
   */
  private async stageObjectInputs(view: RunView, task: Task, input: ExecutorInput): Promise<void> {
    const namespace = view.run.namespace || this.defaultNamespace;
    const attemptDir = dirname(input.outputs.outputFile);
    for (const [key, list] of Object.entries(input.inputs.artifacts)) {
      input.inputs.artifacts[key] = {
        artifacts: await Promise.all(list.artifacts.map(async (a, i) => {
          const location = parseObjectUri(a.uri);
          if (!location) return a;
          if (!this.objects) throw new FloeError('BadRequest', `task ${task.record.display_name}: input ${key} is in ${a.uri}, and object stores are not served here`);
          const local = join(attemptDir, 'inputs', key, String(i), location.bucket, location.key);
          await this.objects.download(a.uri, local, namespace);
          return { ...a, uri: local };
        })),
      };
    }
  }

  /** Output artifacts written under an object root's staging folder go to the bucket; their URIs become the objects'. */
  private async uploadObjectOutputs(view: RunView, task: Task): Promise<void> {
    if (!view.remoteRoot || !this.objects) return;
    const namespace = view.run.namespace || this.defaultNamespace;
    for (const list of Object.values(task.state.outArtifacts ?? {})) {
      for (const a of list) {
        if (!isInside(view.root, a.uri)) continue;
        const remote = `${view.remoteRoot}${a.uri.slice(view.root.length)}`;
        try {
          await this.objects.upload(remote, a.uri, namespace);
        } catch (err) {
          if (err instanceof FloeError && !err.retryable) throw new FloeError('BadRequest', `task ${task.record.display_name}: ${err.message}`);
          throw err;
        }
        a.uri = remote;
      }
    }
  }

  /** Output locations for one execution: artifact URIs under the pipeline root, parameter files and executor_output.json. */
  private provision(view: RunView, task: Task, component: ComponentSpec): ExecutorInput {
    const salt = randomUUID();
    const taskName = task.state.iteration !== undefined ? `${task.state.key}-${task.state.iteration}` : task.record.display_name;
    // Off this node the files are the Pod's own (its launcher reports them), and artifacts go straight to the object root.
    const attemptDir = this.localNode ? join(this.dir, 'runs', view.run.run_id, task.record.task_id, String(task.state.attempt ?? 0)) : PodOutputsDir;
    const root = this.localNode ? view.root : view.remoteRoot;
    if (root === undefined && hasOutputs(component)) {
      throw new FloeError('BadRequest', `task ${task.record.display_name}: on a cluster a task's outputs pass through an object store, and this run's pipeline root is a local folder: set runtime_config.pipeline_root, or defaultPipelineRoot in the kfp-launcher ConfigMap of namespace ${view.run.namespace || this.defaultNamespace}, to an s3:// or minio:// URI`);
    }
    if (this.localNode) mkdirSync(join(attemptDir, 'parameters'), { recursive: true });
    const parameters: Record<string, { outputFile: string }> = {};
    for (const name of Object.keys(component.outputDefinitions?.parameters ?? {})) {
      const outputFile = join(attemptDir, 'parameters', name);
      if (!isInside(join(attemptDir, 'parameters'), outputFile)) throw new Error(`output parameter ${JSON.stringify(name)} would be written outside its task's folder`);
      parameters[name] = { outputFile };
    }
    const artifacts: Record<string, { artifacts: RuntimeArtifact[] }> = {};
    for (const [name, def] of Object.entries(component.outputDefinitions?.artifacts ?? {})) {
      const uri = `${root!}/${view.spec.pipelineInfo.name}/${view.run.run_id}/${taskName}/${salt}/${name}`;
      // Validation refuses names with "/" or ".."; this is the last line against a name that would leave the root.
      const escapes = this.localNode ? !isInside(root!, uri) : uri.slice(root!.length).split('/').includes('..');
      if (escapes) throw new Error(`artifact ${JSON.stringify(name)} of task ${JSON.stringify(taskName)} would be written outside the pipeline root ${root!}`);
      if (this.localNode) mkdirSync(join(uri, '..'), { recursive: true });
      artifacts[name] = { artifacts: [{ name, type: { schemaTitle: def.artifactType?.schemaTitle ?? 'system.Artifact', ...(def.artifactType?.schemaVersion ? { schemaVersion: def.artifactType.schemaVersion } : {}) }, uri, metadata: { ...(def.metadata ?? {}) } }] };
    }
    return {
      inputs: {
        parameterValues: task.state.params,
        artifacts: Object.fromEntries(Object.entries(task.state.artifacts).map(([k, list]) => [k, { artifacts: list }])),
      },
      outputs: { parameters, artifacts, outputFile: join(attemptDir, this.localNode ? 'executor_output.json' : 'output_metadata.json') },
    };
  }

  /**
   * What a task's in-Pod launcher does on a cluster (python/floe_kfp_launcher.py): the input artifacts to download from
   * their object stores, the output artifacts to upload, and where to store its report. Each store's credentials come
   * from the Secret the run namespace's kfp-launcher ConfigMap names, as env references (the engine never copies
   * them), or from the Pod's own AWS_* environment for `fromEnv`. Undefined: the task moves nothing.
   */
  private async launchSpec(view: RunView, task: Task, component: ComponentSpec): Promise<{ spec: string; env: EnvVar[] } | undefined> {
    const input = task.state.executorInput!;
    const outputs = hasOutputs(component);
    const downloads = Object.values(input.inputs.artifacts).flatMap((list) => list.artifacts.map((a) => a.uri)).filter((uri) => parseObjectUri(uri));
    if (!outputs && downloads.length === 0) return undefined;
    if (!this.launcher) throw new FloeError('BadRequest', `task ${task.record.display_name}: on a cluster its artifacts are moved in its Pod, and this Floe has no launcher (python/floe_kfp_launcher.py)`);
    if (!this.objects) throw new FloeError('BadRequest', `task ${task.record.display_name}: object stores are not served here`);
    const namespace = view.run.namespace || this.defaultNamespace;
    const stores: { endpoint: string; region: string; pathStyle: boolean; accessKeyEnv?: string; secretKeyEnv?: string }[] = [];
    const env: EnvVar[] = [];
    const indexOf = new Map<string, number>();
    const storeOf = async (uri: string): Promise<number> => {
      const session = await this.objects!.session(uri, namespace);
      const key = JSON.stringify(session);
      const known = indexOf.get(key);
      if (known !== undefined) return known;
      const i = stores.length;
      indexOf.set(key, i);
      const store: (typeof stores)[number] = { endpoint: endpointUrl(session) ?? '', region: session.region, pathStyle: session.forcePathStyle };
      if (session.credentials !== 'env') {
        const ref = session.credentials;
        store.accessKeyEnv = `FLOE_OBJECT_STORE_${i}_ACCESS_KEY`;
        store.secretKeyEnv = `FLOE_OBJECT_STORE_${i}_SECRET_KEY`;
        env.push({ name: store.accessKeyEnv, valueFrom: { secretKeyRef: { name: ref.secretName, key: ref.accessKeyKey } } });
        env.push({ name: store.secretKeyEnv, valueFrom: { secretKeyRef: { name: ref.secretName, key: ref.secretKeyKey } } });
      }
      stores.push(store);
      return i;
    };
    const moves = async (uri: string): Promise<{ uri: string; path: string; store: number }> => ({ uri, path: localPath(uri), store: await storeOf(uri) });
    const report = outputs ? this.reportUri(view, task) : undefined;
    const spec = {
      stores,
      downloads: await Promise.all(downloads.map(moves)),
      uploads: await Promise.all(Object.values(input.outputs.artifacts).flatMap((list) => list.artifacts.map((a) => a.uri)).filter((uri) => parseObjectUri(uri)).map(moves)),
      outputFile: input.outputs.outputFile,
      parameters: Object.fromEntries(Object.entries(input.outputs.parameters).map(([name, p]) => [name, p.outputFile])),
      ...(report ? { report: { uri: report, store: await storeOf(report) } } : {}),
    };
    return { spec: JSON.stringify(spec), env };
  }

  // ---- workspaces on a cluster (PipelineConfig(workspace=…)) -------------------------------------------------------

  /**
   * The run's workspace claim as KFP makes it (Argo's volumeClaimTemplate `kfp-workspace`, so the claim is
   * `<run resource name>-kfp-workspace`): the spec patch of `platforms.kubernetes.pipelineConfig.workspace` with the
   * workspace's size as its storage request. Floe has no API-server default spec, so the patch must give accessModes.
   */
  private workspaceClaim(view: RunView): { name: string; spec: Record<string, unknown> } | undefined {
    const config = view.run.platform_spec?.platforms?.kubernetes?.pipelineConfig as { workspace?: { size?: string; kubernetes?: { pvcSpecPatch?: Record<string, unknown> } } } | undefined;
    const workspace = config?.workspace;
    if (!workspace) return undefined;
    const where = 'platform_spec.platforms.kubernetes.pipelineConfig.workspace';
    if (!workspace.size) throw new FloeError('BadRequest', `${where}: workspace size is required but not specified`);
    const patch = workspace.kubernetes?.pvcSpecPatch ?? {};
    const accessModes = patch.accessModes;
    if (!Array.isArray(accessModes) || accessModes.length === 0) throw new FloeError('BadRequest', `${where}.kubernetes.pvcSpecPatch: workspace PVC spec must specify accessModes (Floe has no default workspace spec)`);
    if (patch.storageClassName === '') throw new FloeError('BadRequest', `${where}.kubernetes.pvcSpecPatch: workspace PVC spec storageClassName must be omitted or set to a non-empty value`);
    const resources = (patch.resources ?? {}) as { requests?: Record<string, unknown> };
    return { name: `${jobResourceName(view.run)}-${WorkspaceVolumeName}`, spec: { ...patch, resources: { ...resources, requests: { ...(resources.requests ?? {}), storage: workspace.size } } } };
  }

  /** Creates the run's workspace claim unless it exists. */
  private async ensureWorkspace(view: RunView): Promise<void> {
    if (this.workspaces.has(view.run.run_id)) return;
    const claim = this.workspaceClaim(view)!;
    const namespace = view.run.namespace || this.defaultNamespace;
    try {
      await this.client.create({ apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name: claim.name, namespace, labels: { [RunIdLabel]: view.run.run_id } }, spec: claim.spec });
    } catch (err) {
      if (!(err instanceof FloeError && err.reason === 'AlreadyExists')) {
        if (err instanceof FloeError && !err.retryable) throw new FloeError(err.reason, `the run's workspace claim ${claim.name} was refused: ${err.message}`);
        throw err;
      }
    }
    this.workspaces.add(view.run.run_id);
  }

  /** At the run's end its workspace claim goes, as Argo removes a workflow's claims when it completes. */
  private async releaseWorkspace(view: RunView): Promise<void> {
    this.workspaces.delete(view.run.run_id);
    if (this.localNode) return;
    let claim: string;
    try {
      const workspace = this.workspaceClaim(view);
      if (!workspace) return;
      claim = workspace.name;
    } catch {
      return; // an invalid workspace was never made
    }
    try {
      await this.client.delete({ apiVersion: 'v1', kind: 'PersistentVolumeClaim' }, claim, view.run.namespace || this.defaultNamespace);
    } catch (err) {
      if (!(err instanceof FloeError && err.reason === 'NotFound')) throw err;
    }
  }

  /** Where the launcher of the task's current attempt stores its report: beside the attempt's artifacts. */
  private reportUri(view: RunView, task: Task): string {
    if (!task.state.report) {
      const taskName = task.state.iteration !== undefined ? `${task.state.key}-${task.state.iteration}` : task.record.display_name;
      task.state.report = `${view.remoteRoot!}/${view.spec.pipelineInfo.name}/${view.run.run_id}/${taskName}/${randomUUID()}/executor_output.json`;
    }
    return task.state.report;
  }

  /** The files the task's launcher reported, by their path in the Pod; a string: why there are none. */
  private async launcherReport(task: Task, namespace: string): Promise<Map<string, string> | string> {
    const input = task.state.executorInput!;
    const files = new Map<string, string>();
    if (!task.state.report) return files;
    const body = await this.objects!.read(task.state.report, namespace);
    if (!body) return `the task's launcher stored no report at ${task.state.report}, so its outputs are unknown`;
    let report: { executorOutput?: string | null; parameters?: Record<string, string | null> };
    try {
      report = JSON.parse(body.toString('utf8')) as typeof report;
    } catch (err) {
      return `the task's launcher report at ${task.state.report} is not JSON: ${(err as Error).message}`;
    }
    if (typeof report.executorOutput === 'string') files.set(input.outputs.outputFile, report.executorOutput);
    for (const [name, p] of Object.entries(input.outputs.parameters)) {
      const text = report.parameters?.[name];
      if (typeof text === 'string') files.set(p.outputFile, text);
    }
    return files;
  }

  /** The task's outputs from the files its executor wrote (`read`: a file's text, undefined when it was not written). */
  private collectOutputs(task: Task, component: ComponentSpec, read: (path: string) => string | undefined): void {
    const input = task.state.executorInput!;
    let written: { parameterValues?: Record<string, JsonValue>; artifacts?: Record<string, { artifacts?: Partial<RuntimeArtifact & { custom_path: string }>[] }> } = {};
    const executorOutput = read(input.outputs.outputFile);
    if (executorOutput !== undefined) {
      try {
        written = JSON.parse(executorOutput) as typeof written;
      } catch (err) {
        throw new Error(`executor output ${input.outputs.outputFile} is not JSON: ${(err as Error).message}`);
      }
    }
    const params: Record<string, JsonValue> = {};
    for (const [name, def] of Object.entries(component.outputDefinitions?.parameters ?? {})) {
      const fromOutput = written.parameterValues?.[name];
      if (fromOutput !== undefined) {
        params[name] = fromOutput;
        continue;
      }
      const file = input.outputs.parameters[name]!.outputFile;
      const text = read(file);
      if (text === undefined) throw new Error(`output parameter "${name}" was not written (expected the file ${file} or executor output)`);
      params[name] = parseParameter(text, def.parameterType ?? 'STRING', name);
    }
    const artifacts: Record<string, RuntimeArtifact[]> = {};
    for (const [name, out] of Object.entries(input.outputs.artifacts)) {
      const reported = written.artifacts?.[name]?.artifacts ?? [];
      artifacts[name] = out.artifacts.map((a, i) => {
        const r = reported[i];
        return { ...a, uri: r?.uri ?? a.uri, metadata: { ...a.metadata, ...(r?.metadata ?? {}) } };
      });
    }
    task.state.outParams = params;
    task.state.outArtifacts = artifacts;
  }

  /** The execution COMPLETE in MLMD with its output artifacts; the artifacts' MLMD ids become their names. */
  private recordOutputs(view: RunView, task: Task, dag: Task | undefined): Record<string, { artifact_ids: number[] }> {
    const entries = Object.entries(task.state.outArtifacts ?? {}).flatMap(([key, list]) => list.map((a) => ({ key, a })));
    const result = this.metadata.putExecution(
      { ...(task.record.execution_id !== undefined ? { id: task.record.execution_id } : {}), type: 'system.ContainerExecution', last_known_state: 'COMPLETE', custom_properties: { ...this.execProps(task, dag), outputs: { struct_value: task.state.outParams ?? {} } } },
      entries.map(({ key, a }) => ({ artifact: artifactFor(a, key), event: { type: 'OUTPUT' as const, path: { steps: [{ key }] } } })),
      view.contexts,
    );
    task.record.execution_id = result.execution_id;
    entries.forEach(({ a }, i) => {
      a.name = String(result.artifact_ids[i]);
    });
    return artifactIds(task.state.outArtifacts ?? {});
  }

  private inputEvents(task: Task): { event: { type: 'INPUT'; path: { steps: { key: string }[] }; artifact_id: number } }[] {
    return Object.entries(task.state.artifacts).flatMap(([key, list]) =>
      list.filter((a) => /^\d+$/.test(a.name)).map((a) => ({ event: { type: 'INPUT' as const, path: { steps: [{ key }] }, artifact_id: Number(a.name) } })),
    );
  }

  private fingerprint(task: Task, taskSpec: TaskSpec, component: ComponentSpec, container: ContainerSpec): string {
    const outputs = task.state.executorInput!.outputs;
    return cacheKeyFingerprint({
      componentName: taskSpec.componentRef.name,
      ...(taskSpec.cachingOptions?.cacheKey ? { cacheKey: taskSpec.cachingOptions.cacheKey } : {}),
      inputArtifactNames: Object.fromEntries(Object.entries(task.state.artifacts).map(([k, list]) => [k, list.map((a) => a.name)])),
      inputParameterValues: task.state.params,
      outputArtifactsSpec: Object.fromEntries(Object.entries(outputs.artifacts).map(([k, v]) => [k, { name: v.artifacts[0]?.name ?? k, type: v.artifacts[0]?.type ?? {}, metadata: v.artifacts[0]?.metadata ?? {} }])),
      outputParametersSpec: Object.fromEntries(Object.entries(component.outputDefinitions?.parameters ?? {}).map(([k, v]) => [k, v.parameterType ?? 'STRING'])),
      containerSpec: { image: container.image, cmdArgs: [...(container.command ?? []), ...(container.args ?? [])].map((c) => (typeof c === 'string' ? c : JSON.stringify(c))), pvcNames: [] },
    });
  }

  /** The task's Pod: resolved command, the IR's env and resources, and what the Kubernetes platform spec adds. */
  private podFor(view: RunView, task: Task, component: ComponentSpec, container: ContainerSpec, dag: Task | undefined, launch?: { spec: string; env: EnvVar[] }): Pod {
    const input = task.state.executorInput!;
    const placeholders = this.runPlaceholders(view, task.state.key || task.record.display_name, task.record.task_id);
    let command: string[];
    let args: string[];
    try {
      command = resolveCommand(container.command, input, placeholders);
      args = resolveCommand(container.args, input, placeholders);
    } catch (err) {
      if (err instanceof PlaceholderError) throw new FloeError('BadRequest', `task ${task.record.display_name}: ${err.message}`);
      throw err;
    }
    const namespace = view.run.namespace || this.defaultNamespace;
    const attempt = task.state.attempt ?? 0;
    const name = podName(view.run.run_id, task.state.path, attempt, task.state.round ?? 0);
    const label = component.executorLabel ?? '';
    const k8s: KubernetesExecutorConfig = view.run.platform_spec?.platforms?.kubernetes?.deploymentSpec?.executors?.[label] ?? {};
    const platformParam = (p: TaskInputParameterSpec | undefined, fallback: string | undefined): string | undefined => {
      if (!p) return fallback;
      const v = dag ? this.parameterValue(view, dag, 'platform', p, placeholders) : undefined;
      return v === undefined ? fallback : valueToText(v);
    };
    const env: EnvVar[] = [
      ...(container.env ?? []).map((e) => ({ name: e.name, value: e.value ?? '' })),
      { name: 'KFP_POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
      { name: 'KFP_POD_UID', valueFrom: { fieldRef: { fieldPath: 'metadata.uid' } } },
      { name: 'KFP_RETRY_INDEX', value: String(attempt) },
    ];
    const volumes: Volume[] = this.localNode ? [{ name: 'kfp-pipelines', hostPath: { path: this.dir, type: 'DirectoryOrCreate' } }] : [];
    const mounts: VolumeMount[] = this.localNode ? [{ name: 'kfp-pipelines', mountPath: this.dir }] : [];
    const localRoot = view.root;
    if (this.localNode && !localRoot.startsWith(this.dir)) {
      volumes.push({ name: 'kfp-pipeline-root', hostPath: { path: localRoot, type: 'DirectoryOrCreate' } });
      mounts.push({ name: 'kfp-pipeline-root', mountPath: localRoot });
    }
    /** A Secret or ConfigMap name from the platform spec; an optional one left unset is skipped (undefined). */
    const objectName = (what: string, name: string | undefined, optional: boolean | undefined): string | undefined => {
      if (name) return name;
      if (optional) return undefined;
      throw new FloeError('BadRequest', `task ${task.record.display_name}: the platform spec names no ${what} (the input that should give its name is empty)`);
    };
    k8s.secretAsEnv?.forEach((s) => {
      const secret = objectName('Secret', platformParam(s.secretNameParameter, s.secretName), s.optional);
      if (secret === undefined) return;
      for (const k of s.keyToEnv ?? []) env.push({ name: k.envVar, valueFrom: { secretKeyRef: { name: secret ?? '', key: k.secretKey, ...(s.optional ? { optional: true } : {}) } } });
    });
    k8s.configMapAsEnv?.forEach((c) => {
      const cm = objectName('ConfigMap', platformParam(c.configMapNameParameter, c.configMapName), c.optional);
      if (cm === undefined) return;
      for (const k of c.keyToEnv ?? []) env.push({ name: k.envVar, valueFrom: { configMapKeyRef: { name: cm ?? '', key: k.configMapKey, ...(c.optional ? { optional: true } : {}) } } });
    });
    k8s.fieldPathAsEnv?.forEach((f) => env.push({ name: f.name, valueFrom: { fieldRef: { fieldPath: f.fieldPath } } }));
    k8s.secretAsVolume?.forEach((s, i) => {
      const secret = objectName('Secret', platformParam(s.secretNameParameter, s.secretName), s.optional);
      if (secret === undefined) return;
      volumes.push({ name: `secret-${i}`, secret: { secretName: secret, ...(s.optional ? { optional: true } : {}) } });
      mounts.push({ name: `secret-${i}`, mountPath: s.mountPath });
    });
    k8s.configMapAsVolume?.forEach((c, i) => {
      const cm = objectName('ConfigMap', platformParam(c.configMapNameParameter, c.configMapName), c.optional);
      if (cm === undefined) return;
      volumes.push({ name: `configmap-${i}`, configMap: { name: cm, ...(c.optional ? { optional: true } : {}) } });
      mounts.push({ name: `configmap-${i}`, mountPath: c.mountPath });
    });
    k8s.pvcMount?.forEach((p, i) => {
      const claim = p.constant ?? platformParam(p.pvcNameParameter ?? (p.componentInputParameter ? { componentInputParameter: p.componentInputParameter } : undefined), undefined);
      if (!claim) throw new FloeError('BadRequest', `task ${task.record.display_name}: platform spec pvcMount[${i}] names no claim`);
      volumes.push({ name: `pvc-${i}`, persistentVolumeClaim: { claimName: claim } });
      mounts.push({ name: `pvc-${i}`, mountPath: p.mountPath });
    });
    const workspace = this.localNode ? undefined : this.workspaceClaim(view);
    if (workspace && needsWorkspace(input)) {
      // KFP's driver: the run's workspace PVC at /kfp-workspace, for the tasks whose inputs name it.
      const conflict = mounts.find((m) => m.mountPath === WorkspaceMountPath || m.mountPath.startsWith(`${WorkspaceMountPath}/`));
      if (conflict) throw new FloeError('BadRequest', `task ${task.record.display_name}: user volume mount at ${conflict.mountPath} conflicts with workspace mount at ${WorkspaceMountPath}`);
      volumes.push({ name: WorkspaceVolumeName, persistentVolumeClaim: { claimName: workspace.name } });
      mounts.push({ name: WorkspaceVolumeName, mountPath: WorkspaceMountPath });
    }
    k8s.emptyDirMounts?.forEach((e) => {
      volumes.push({ name: e.volumeName, emptyDir: { ...(e.medium ? { medium: e.medium } : {}), ...(e.sizeLimit ? { sizeLimit: e.sizeLimit } : {}) } });
      mounts.push({ name: e.volumeName, mountPath: e.mountPath });
    });
    const r = container.resources;
    const limits: Record<string, string> = {};
    const requests: Record<string, string> = {};
    // Limits given as pipeline inputs or task outputs are placeholders here; an empty value sets no limit.
    const quantity = (v: string | number | undefined): string | undefined => {
      if (v === undefined) return undefined;
      const text = typeof v === 'string' ? resolveString(v, input, placeholders).trim() : String(v);
      return text === '' ? undefined : text;
    };
    const cpuLimit = quantity(r?.resourceCpuLimit);
    const memoryLimit = quantity(r?.resourceMemoryLimit);
    const cpuRequest = quantity(r?.resourceCpuRequest);
    const memoryRequest = quantity(r?.resourceMemoryRequest);
    if (cpuLimit) limits.cpu = cpuLimit;
    else if (r?.cpuLimit) limits.cpu = String(r.cpuLimit);
    if (memoryLimit) limits.memory = memoryLimit;
    else if (r?.memoryLimit) limits.memory = `${r.memoryLimit}G`;
    if (cpuRequest) requests.cpu = cpuRequest;
    if (memoryRequest) requests.memory = memoryRequest;
    const accelerator = r?.accelerator;
    const gpuType = quantity(accelerator?.resourceType ?? accelerator?.type);
    const gpuCount = quantity(accelerator?.resourceCount ?? accelerator?.count);
    if (gpuType && gpuCount) limits[gpuType] = String(gpuCount);
    const componentArgv = [...command, ...args];
    if (this.taskEnvScript && command.length > 0 && runsPython([...command, ...args])) {
      // The task's own environment, in its attempt folder (a retry starts from a fresh one).
      command = inTaskEnv(this.taskEnvScript, join(dirname(input.outputs.outputFile), 'venv'), [...command, ...args]);
      args = [];
    }
    if (this.warm && command.length > 0 && k8s.podMetadata?.annotations?.[WarmExecutorAnnotation] !== 'false') {
      // The component runs in a fork of the warm worker; the command above is what the client execs when it cannot.
      const warm = this.warm.command(container.image, componentArgv, [...command, ...args]);
      if (warm) {
        command = warm;
        args = [];
      }
    }
    if (launch) {
      // The component runs under the launcher, with the image's own Python (the launcher needs nothing else).
      if (command.length === 0) throw new FloeError('BadRequest', `task ${task.record.display_name}: its container gives no command, and on a cluster Floe's launcher runs the component's command to move its artifacts`);
      command = ['sh', '-c', launcherShim, this.launcher!, launch.spec, ...command, ...args];
      args = [];
      env.push(...launch.env);
    }
    const main: PodContainer = {
      name: 'main',
      image: container.image,
      ...(command.length > 0 ? { command } : {}),
      ...(args.length > 0 ? { args } : {}),
      env,
      volumeMounts: mounts,
      ...(Object.keys(limits).length + Object.keys(requests).length > 0 ? { resources: { ...(Object.keys(limits).length > 0 ? { limits } : {}), ...(Object.keys(requests).length > 0 ? { requests } : {}) } } : {}),
      ...(k8s.imagePullPolicy ? { imagePullPolicy: k8s.imagePullPolicy } : {}),
    };
    return {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name,
        namespace,
        labels: { ...(k8s.podMetadata?.labels ?? {}), [RunIdLabel]: view.run.run_id, [TaskIdLabel]: task.record.task_id, 'pipelines.kubeflow.org/v2_component': 'true' },
        annotations: { ...(k8s.podMetadata?.annotations ?? {}), 'pipelines.kubeflow.org/task_display_name': task.record.display_name, 'pipelines.floe.dev/task-path': task.state.path },
      },
      spec: {
        restartPolicy: 'Never',
        containers: [main],
        volumes,
        // The task writes its outputs into Floe's pipelines folder by hostPath, which a container in a user namespace
        // (Floe's default for container Pods) may not write: task Pods keep the host's users, as on a cluster.
        ...(this.localNode ? { hostUsers: true } : {}),
        // KFP's single-user default, pipeline-runner, is a name in the API; the Pod runs as the namespace's default.
        ...(view.run.service_account && view.run.service_account !== DefaultRunnerServiceAccount ? { serviceAccountName: view.run.service_account } : {}),
        ...(k8s.nodeSelector?.labels ? { nodeSelector: k8s.nodeSelector.labels } : {}),
        ...(k8s.tolerations ? { tolerations: k8s.tolerations as NonNullable<Pod['spec']['tolerations']> } : {}),
        ...(k8s.activeDeadlineSeconds ? { activeDeadlineSeconds: k8s.activeDeadlineSeconds } : {}),
      },
    };
  }

  // ---- kfp-kubernetes CreatePVC / DeletePVC -----------------------------------------------------------------------

  /**
   * kfp-kubernetes compiles CreatePVC and DeletePVC to executors with the images `argostub/createpvc` and
   * `argostub/deletepvc` and no command: KFP's driver makes or deletes the claim itself, as this does through the Client
   * (the local-path provisioner binds it in embedded mode). CreatePVC's output `name` is the claim's name.
   */
  private async runPvcTask(view: RunView, task: Task, image: string, dag: Task | undefined): Promise<void> {
    const p = task.state.params;
    const namespace = view.run.namespace || this.defaultNamespace;
    const text = (v: JsonValue | undefined): string => (typeof v === 'string' ? v : v === undefined || v === null ? '' : valueToText(v));
    let name: string;
    if (image === CreatePvcImage) {
      name = text(p.pvc_name) || `${view.run.run_id}${text(p.pvc_name_suffix)}`;
      const accessModes = Array.isArray(p.access_modes) ? p.access_modes.map(text) : [];
      const size = text(p.size);
      if (accessModes.length === 0 || !size) throw new FloeError('BadRequest', `task ${task.record.display_name}: CreatePVC needs access_modes and size`);
      const annotations = p.annotations && typeof p.annotations === 'object' && !Array.isArray(p.annotations) ? Object.fromEntries(Object.entries(p.annotations).map(([k, v]) => [k, text(v)])) : undefined;
      const dataSource = p.data_source && typeof p.data_source === 'object' && !Array.isArray(p.data_source) ? p.data_source : undefined;
      const storageClass = text(p.storage_class_name);
      const claim = {
        apiVersion: 'v1',
        kind: 'PersistentVolumeClaim',
        metadata: { name, namespace, ...(annotations ? { annotations } : {}), labels: { [RunIdLabel]: view.run.run_id } },
        spec: {
          accessModes,
          resources: { requests: { storage: size } },
          ...(storageClass ? { storageClassName: storageClass } : {}),
          ...(text(p.volume_name) ? { volumeName: text(p.volume_name) } : {}),
          ...(dataSource ? { dataSource } : {}),
        },
      };
      await this.ensureNamespace(namespace);
      try {
        await this.client.create(claim);
      } catch (err) {
        if (!(err instanceof FloeError && err.reason === 'AlreadyExists')) {
          if (err instanceof FloeError && !err.retryable) throw new FloeError(err.reason, `task ${task.record.display_name}: the PersistentVolumeClaim ${name} was refused: ${err.message}`);
          throw err;
        }
      }
    } else {
      name = text(p.pvc_name);
      if (!name) throw new FloeError('BadRequest', `task ${task.record.display_name}: DeletePVC names no claim`);
      try {
        await this.client.delete(PersistentVolumeClaimRef, name, namespace);
      } catch (err) {
        if (!(err instanceof FloeError && err.reason === 'NotFound')) throw err;
      }
    }
    task.state.outParams = image === CreatePvcImage ? { name } : {};
    task.state.outArtifacts = {};
    if (!task.record.start_time) task.record.start_time = this.now();
    this.setState(view, task, 'RUNNING');
    task.record.execution_id = this.metadata.putExecution(
      { type: 'system.ContainerExecution', last_known_state: 'COMPLETE', custom_properties: { ...this.execProps(task, dag), inputs: { struct_value: p }, outputs: { struct_value: task.state.outParams } } },
      [],
      view.contexts,
    ).execution_id;
    this.finish(view, task, 'SUCCEEDED');
  }

  // ---- importer --------------------------------------------------------------------------------------------------

  private runImporter(view: RunView, dag: Task, base: TaskState, name: string, component: ComponentSpec): Task {
    const importer = this.executor(view, component).importer!;
    const task = this.newTask(view, dag, base, 'RUNNING', name);
    const source = importer.artifactUri ?? {};
    const uri = source.constant !== undefined ? source.constant : base.params[source.runtimeParameter ?? ''];
    if (typeof uri !== 'string' || uri === '') {
      this.finish(view, task, 'FAILED', { code: 3, message: `importer: artifactUri resolves to ${JSON.stringify(uri)}, not a URI` });
      return task;
    }
    const outputName = Object.keys(component.outputDefinitions?.artifacts ?? {})[0] ?? 'artifact';
    const artifact: RuntimeArtifact = {
      name: outputName,
      type: { schemaTitle: importer.typeSchema?.schemaTitle ?? 'system.Artifact', ...(importer.typeSchema?.schemaVersion ? { schemaVersion: importer.typeSchema.schemaVersion } : {}) },
      uri,
      metadata: importerMetadata(importer.metadata ?? {}, base.params),
    };
    const result = this.metadata.putExecution(
      { type: 'system.ImporterExecution', last_known_state: 'COMPLETE', custom_properties: { ...this.execProps(task, dag), artifact_uri: { string_value: uri } } },
      [{ artifact: artifactFor(artifact, outputName), event: { type: 'OUTPUT', path: { steps: [{ key: outputName }] } } }],
      view.contexts,
    );
    artifact.name = String(result.artifact_ids[0]);
    task.record.execution_id = result.execution_id;
    task.state.outParams = {};
    task.state.outArtifacts = { [outputName]: [artifact] };
    task.record.outputs = artifactIds(task.state.outArtifacts);
    this.finish(view, task, 'SUCCEEDED');
    return task;
  }

  // ---- cancel ----------------------------------------------------------------------------------------------------

  private async cancel(view: RunView): Promise<void> {
    const namespace = view.run.namespace || this.defaultNamespace;
    for (const pod of this.pods.list({ namespace, labelSelector: `${RunIdLabel}=${view.run.run_id}` })) {
      if (pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed') continue;
      try {
        await this.client.delete(PodRef, pod.metadata.name!, namespace);
      } catch (err) {
        if (!(err instanceof FloeError && err.reason === 'NotFound')) throw err;
      }
    }
    for (const task of view.tasks.values()) {
      if (!finalStates.includes(task.record.state)) this.finish(view, task, 'CANCELED', { code: 1, message: 'the run was terminated' });
    }
    await this.releaseWorkspace(view);
    this.flush(view);
    this.store.updateRun(view.run.run_id, { state: 'CANCELED', finished_at: this.now() });
    this.log.info({ run: view.run.run_id }, 'run terminated');
  }

  // ---- bookkeeping -----------------------------------------------------------------------------------------------

  private newTask(view: RunView, parent: Task | undefined, state: TaskState, initial: RuntimeState, displayName: string): Task {
    const now = this.now();
    const record: TaskRecord = {
      run_id: view.run.run_id,
      task_id: taskId(view.run.run_id, state.path),
      ...(parent ? { parent_task_id: parent.record.task_id } : {}),
      display_name: displayName,
      create_time: now,
      ...(initial !== 'PENDING' ? { start_time: now } : {}),
      state: initial,
      state_history: [{ update_time: now, state: initial }],
      engine: state as unknown as Record<string, unknown>,
    };
    const task = { record, state };
    view.tasks.set(state.path, task);
    view.dirty.set(state.path, task);
    if (parent) {
      parent.record.child_tasks = [...(parent.record.child_tasks ?? []), { task_id: record.task_id }];
      view.dirty.set(parent.state.path, parent);
    }
    return task;
  }

  /** A new state, kept in the task's state_history with its time even when the next one follows in the same pass. */
  private setState(view: RunView, task: Task, state: RuntimeState): void {
    this.noteState(task, state);
    task.record.state = state;
    view.dirty.set(task.state.path, task);
  }

  private noteState(task: Task, state: RuntimeState, error?: RpcStatus): void {
    const history = task.record.state_history;
    if (history[history.length - 1]?.state !== state) history.push({ update_time: this.now(), state, ...(error ? { error } : {}) });
  }

  private finish(view: RunView, task: Task, state: RuntimeState, error?: RpcStatus): void {
    this.noteState(task, state, error);
    task.record.state = state;
    task.record.end_time = this.now();
    if (error) task.record.error = error;
    else delete task.record.error;
    if ((task.state.kind === 'dag' || task.state.kind === 'loop') && task.record.execution_id !== undefined) {
      this.metadata.putExecution(
        { id: task.record.execution_id, type: 'system.DAGExecution', last_known_state: mlmdState(state), custom_properties: { ...this.execProps(task, this.parentOf(view, task)), ...(task.state.outParams ? { outputs: { struct_value: task.state.outParams } } : {}) } },
        [],
        view.contexts,
      );
    }
    view.dirty.set(task.state.path, task);
  }

  private flush(view: RunView): void {
    if (view.dirty.size === 0) return;
    this.store.putTasks([...view.dirty.values()].map((t) => ({ ...t.record, engine: t.state as unknown as Record<string, unknown> })));
    view.dirty.clear();
  }

  private startDagExecution(view: RunView, task: Task, parent: Task | undefined): void {
    task.record.execution_id = this.putExecution(view, { type: 'system.DAGExecution', last_known_state: 'RUNNING', custom_properties: { ...this.execProps(task, parent), inputs: { struct_value: task.state.params } } }, this.inputEvents(task));
  }

  private putExecution(view: RunView, execution: Execution, events: Parameters<MetadataWriter['putExecution']>[1]): number {
    return this.metadata.putExecution(execution, events, view.contexts).execution_id;
  }

  private execProps(task: Task, parent: Task | undefined): Record<string, MlmdValue> {
    return {
      display_name: { string_value: task.record.display_name },
      task_name: { string_value: task.state.key || task.record.display_name },
      ...(parent?.record.execution_id !== undefined ? { parent_dag_id: { int_value: parent.record.execution_id } } : {}),
      ...(task.state.iteration !== undefined ? { iteration_index: { int_value: task.state.iteration } } : {}),
      ...(task.state.kind === 'loop' ? { iteration_count: { int_value: task.state.items?.length ?? 0 } } : {}),
    };
  }

  /** MLMD contexts of the run (system.Pipeline and its system.PipelineRun child), created on the run's first pass. */
  private ensureContexts(view: RunView): number[] {
    const run = view.run;
    if (run.pipeline_context_id !== undefined && run.pipeline_run_context_id !== undefined) return [run.pipeline_context_id, run.pipeline_run_context_id];
    const pipeline = this.metadata.putContext({ name: run.pipeline_spec.pipelineInfo.name, type: 'system.Pipeline' });
    const runContext = this.metadata.putContext({
      name: run.run_id,
      type: 'system.PipelineRun',
      custom_properties: { namespace: { string_value: run.namespace || this.defaultNamespace }, pipeline_root: { string_value: `${view.remoteRoot ?? view.root}/${run.pipeline_spec.pipelineInfo.name}/${run.run_id}` }, resource_name: { string_value: jobResourceName(run) } },
    });
    this.metadata.putParentContext(runContext, pipeline);
    this.store.updateRun(run.run_id, { pipeline_context_id: pipeline, pipeline_run_context_id: runContext });
    return [pipeline, runContext];
  }

  /**
   * The pipeline root the run names: runtime_config.pipeline_root, the IR's default, or (as KFP's launcher reads it)
   * `defaultPipelineRoot` of the kfp-launcher ConfigMap in the run's namespace when object roots are served.
   */
  private async givenRoot(run: RunRecord): Promise<string | undefined> {
    const given = run.runtime_config.pipeline_root || run.pipeline_spec.defaultPipelineRoot;
    if (given || !this.objects) return given || undefined;
    if (!this.launcherRoots.has(run.run_id)) {
      // Runs that ended by an error are not seen again: a bound keeps such leftovers from piling up.
      if (this.launcherRoots.size >= 10_000) this.launcherRoots.clear();
      this.launcherRoots.set(run.run_id, (await this.objects.launcherConfig(run.namespace || this.defaultNamespace)).defaultPipelineRoot || undefined);
    }
    return this.launcherRoots.get(run.run_id);
  }

  /** The run's pipeline root as a local folder: the given one, an object root's staging folder, or Floe's. */
  private pipelineRoot(run: RunRecord, given: string | undefined): string {
    if (!given) return join(this.dir, 'artifacts');
    if (parseObjectUri(given)) {
      if (!this.objects) throw new FloeError('BadRequest', `runtime_config.pipeline_root "${given}": object roots are not served here`);
      return join(this.dir, 'object-roots', run.run_id);
    }
    const path = given.startsWith('file://') ? given.slice('file://'.length) : given;
    if (!isAbsolute(path)) {
      throw new FloeError('BadRequest', `runtime_config.pipeline_root "${given}": Floe keeps artifacts in a local folder; give an absolute path or a file:// URI`);
    }
    return path.replace(/\/+$/, '');
  }

  private runPlaceholders(view: RunView, taskName: string, taskUuid: string): RunPlaceholders {
    return {
      pipeline_job_name: view.run.display_name,
      pipeline_job_resource_name: jobResourceName(view.run),
      pipeline_job_uuid: view.run.run_id,
      pipeline_task_name: taskName,
      pipeline_task_uuid: taskUuid,
      pipeline_root: view.remoteRoot ?? view.root,
      pipeline_job_create_time_utc: view.run.created_at,
      pipeline_job_schedule_time_utc: view.run.scheduled_at ?? view.run.created_at,
      workspace_path: this.localNode ? join(this.dir, 'workspaces', view.run.run_id) : WorkspaceMountPath,
    };
  }

  private component(view: RunView, name: string): ComponentSpec {
    if (name === '') return view.spec.root;
    const c = view.spec.components?.[name];
    if (!c) throw new FloeError('BadRequest', `pipeline_spec.components has no component "${name}"`);
    return c;
  }

  private executor(view: RunView, component: ComponentSpec): { container?: ContainerSpec; importer?: ImporterSpec } {
    const e = view.spec.deploymentSpec?.executors?.[component.executorLabel ?? ''];
    if (!e || (!e.container && !e.importer)) throw new FloeError('BadRequest', `pipeline_spec.deploymentSpec.executors has no container or importer "${component.executorLabel ?? ''}"`);
    return e;
  }

  private parentOf(view: RunView, task: Task): Task | undefined {
    const path = task.state.path;
    const cut = path.lastIndexOf('/');
    return cut < 0 ? undefined : view.tasks.get(path.slice(0, cut));
  }

  private async ensureNamespace(namespace: string): Promise<void> {
    if (this.namespaces.has(namespace)) return;
    try {
      await this.client.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } });
    } catch (err) {
      if (!(err instanceof FloeError && err.reason === 'AlreadyExists')) throw err;
    }
    this.namespaces.add(namespace);
  }
}

const CreatePvcImage = 'argostub/createpvc';
const DeletePvcImage = 'argostub/deletepvc';
const PersistentVolumeClaimRef = { apiVersion: 'v1', kind: 'PersistentVolumeClaim' } as const;

/** KFP's single-user runner ServiceAccount (rest.ts gives runs that name none this one). */
const DefaultRunnerServiceAccount = 'pipeline-runner';

/**
 * An importer's metadata with `{{$.inputs.parameters['x']}}` resolved in keys and values (dsl.importer(metadata=…) from
 * pipeline inputs), as KFP's driver does: a value that is just the placeholder takes the parameter's value and type.
 */
function importerMetadata(metadata: Record<string, JsonValue>, params: Record<string, JsonValue>): Record<string, JsonValue> {
  const one = /^\{\{\$\.inputs\.parameters\['([^']+)'\]\}\}$/;
  const any = /\{\{\$\.inputs\.parameters\['([^']+)'\]\}\}/g;
  const text = (s: string): string => s.replace(any, (whole, name: string) => (name in params ? valueToText(params[name]!) : whole));
  const value = (v: JsonValue): JsonValue => {
    if (typeof v === 'string') {
      const m = one.exec(v);
      return m && m[1]! in params ? params[m[1]!]! : text(v);
    }
    if (Array.isArray(v)) return v.map(value);
    if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [text(k), value(x)]));
    return v;
  };
  return value(metadata) as Record<string, JsonValue>;
}

/** How many times in a row a run's reconcile may fail on transient errors before the run fails (the queue backs off
 * from 5 ms, doubling: about five minutes in all). */
const maxTransientFailures = 16;

/** An error worth retrying: the API server busy or a conflict. Refusals (an invalid Pod, a bad placeholder, a metadata
 * write refused, a pipeline root Floe cannot use) never heal by themselves. */
/**
 * Starts the launcher (`$0`) with the image's python3 or python; `$@` is its spec and the component's command. An
 * image with neither fails the task with the reason, in the log and the termination message.
 */
const launcherShim =
  'for p in python3 python; do if command -v "$p" >/dev/null 2>&1; then exec "$p" -c "$0" "$@"; fi; done; ' +
  'm="floe launcher: the image has neither python3 nor python, which Floe\'s in-Pod launcher needs to move the task\'s artifacts on a cluster"; ' +
  'echo "$m" >&2; echo "$m" 2>/dev/null >/dev/termination-log; exit 127';

function hasOutputs(component: ComponentSpec): boolean {
  return Object.keys(component.outputDefinitions?.parameters ?? {}).length + Object.keys(component.outputDefinitions?.artifacts ?? {}).length > 0;
}

/** KFP's workspace volume and where task Pods mount it on a cluster. */
const WorkspaceVolumeName = 'kfp-workspace';
const WorkspaceMountPath = '/kfp-workspace';

/** KFP's driver mounts the workspace for a task whose parameters name it or whose input artifacts are in it. */
function needsWorkspace(input: ExecutorInput): boolean {
  const named = Object.values(input.inputs.parameterValues).some((v) => typeof v === 'string' && (v.includes('{{$.workspace_path}}') || v.includes(WorkspaceMountPath)));
  return named || Object.values(input.inputs.artifacts).some((list) => list.artifacts[0]?.metadata?._kfp_workspace === true);
}

/** Off this node, a task's executor writes its output files here, in its Pod (KFP's launcher uses the same folder). */
const PodOutputsDir = '/tmp/kfp_outputs';

function isTransient(err: unknown): boolean {
  if (err instanceof FloeError) return err.retryable;
  if (err instanceof PlaceholderError) return false;
  if (err instanceof Error && (err.name === 'MetadataError' || err.name === 'KfpError')) return false;
  // Anything else (I/O, a store busy): retried a few times.
  return true;
}

/** The tasks a task waits for: its dependentTasks and every task whose output it takes (data makes an edge, with or
 * without .after()). */
function upstreamOf(taskSpec: TaskSpec): string[] {
  const out = new Set(taskSpec.dependentTasks ?? []);
  for (const p of Object.values(taskSpec.inputs?.parameters ?? {})) {
    if (p.taskOutputParameter?.producerTask) out.add(p.taskOutputParameter.producerTask);
    if (p.taskFinalStatus?.producerTask) out.add(p.taskFinalStatus.producerTask);
  }
  for (const a of Object.values(taskSpec.inputs?.artifacts ?? {})) if (a.taskOutputArtifact?.producerTask) out.add(a.taskOutputArtifact.producerTask);
  return [...out];
}

function executionType(kind: TaskKind): string {
  return kind === 'container' ? 'system.ContainerExecution' : kind === 'importer' ? 'system.ImporterExecution' : 'system.DAGExecution';
}

/** MLMD's execution state for a task state (KFP: SKIPPED is CANCELED, a cache hit is CACHED). */
function mlmdState(state: RuntimeState): ExecutionState {
  switch (state) {
    case 'SUCCEEDED':
      return 'COMPLETE';
    case 'FAILED':
      return 'FAILED';
    case 'SKIPPED':
    case 'CANCELED':
    case 'CANCELING':
      return 'CANCELED';
    case 'RUNNING':
      return 'RUNNING';
    case 'PENDING':
    case 'PAUSED':
    case 'RUNTIME_STATE_UNSPECIFIED':
      return 'NEW';
  }
}

function artifactFor(a: RuntimeArtifact, outputName: string): Artifact {
  const custom: Record<string, MlmdValue> = { display_name: { string_value: outputName } };
  for (const [k, v] of Object.entries(a.metadata)) {
    const value = mlmdValue(v);
    if (value) custom[k] = value;
  }
  return { type: a.type.schemaTitle ?? 'system.Artifact', uri: a.uri, state: 'LIVE', custom_properties: custom };
}

/** Artifact metadata as an MLMD value. A list (log_roc_curve, confusion matrices) is wrapped as KFP's launcher wraps
 * it, `struct_value: {list: [...]}`, since an MLMD Struct cannot be a list; null has no MLMD value. */
export function mlmdValue(v: JsonValue): MlmdValue | undefined {
  if (v === null) return undefined;
  // An integer beyond 2^53 is a double as KFP stores every number (MLMD's int_value would refuse it).
  if (typeof v === 'number') return Number.isSafeInteger(v) ? { int_value: v } : { double_value: v };
  if (typeof v === 'string') return { string_value: v };
  if (typeof v === 'boolean') return { bool_value: v };
  if (Array.isArray(v)) return { struct_value: { list: v } };
  return { struct_value: v };
}

/** {{$.pipeline_job_resource_name}}: KFP's is the Argo Workflow's name, the pipeline name and a 5-character suffix;
 * Floe's takes the suffix from the run id, so it is the same after a restart. */
export function jobResourceName(run: RunRecord): string {
  const base = (run.pipeline_spec.pipelineInfo.name.split('/').pop() ?? 'pipeline').toLowerCase().replace(/[^a-z0-9-]+/g, '-').slice(0, 57);
  return `${base}-${run.run_id.replace(/-/g, '').slice(0, 5).toLowerCase()}`;
}

function artifactIds(artifacts: Record<string, RuntimeArtifact[]>): Record<string, { artifact_ids: number[] }> {
  return Object.fromEntries(Object.entries(artifacts).map(([k, list]) => [k, { artifact_ids: list.map((a) => Number(a.name)).filter((n) => Number.isFinite(n)) }]));
}

function constantValue(v: { stringValue?: string; intValue?: string | number; doubleValue?: number } | undefined): JsonValue | undefined {
  if (!v) return undefined;
  if (v.stringValue !== undefined) return v.stringValue;
  if (v.intValue !== undefined) return Number(v.intValue);
  return v.doubleValue;
}

/** An output parameter file's text as its declared type. */
function parseParameter(text: string, type: string, name: string): JsonValue {
  switch (type) {
    case 'NUMBER_INTEGER':
    case 'NUMBER_DOUBLE': {
      const n = Number(text.trim());
      if (!Number.isFinite(n)) throw new Error(`output parameter "${name}": "${text.slice(0, 100)}" is not a number`);
      return n;
    }
    case 'BOOLEAN':
      return text.trim().toLowerCase() === 'true';
    case 'LIST':
    case 'STRUCT':
      try {
        return JSON.parse(text) as JsonValue;
      } catch {
        throw new Error(`output parameter "${name}": not JSON`);
      }
    default:
      return text;
  }
}

/** Milliseconds of a proto Duration string ("0s", "1.5s", "3600s"). */
function durationMs(d: string): number {
  const m = /^(-?\d+(?:\.\d+)?)s$/.exec(d.trim());
  return m ? Math.round(Number(m[1]) * 1000) : 0;
}

function taskId(runId: string, path: string): string {
  const h = createHash('sha256').update(`${runId}\0${path}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

/** Deterministic Pod names (a restart adopts the Pod it created): run prefix, readable task part, hash, attempt. */
export function podName(runId: string, path: string, attempt: number, round = 0): string {
  const readable = path
    .split('/')
    .slice(1)
    .join('-')
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 30)
    .replace(/-+$/, '');
  const hash = createHash('sha256').update(path).digest('hex').slice(0, 6);
  return `${runId.slice(0, 8).toLowerCase()}-${readable || 'task'}-${hash}-${round > 0 ? `r${round}-` : ''}${attempt}`;
}

export { localPath };
