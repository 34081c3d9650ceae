// The KFP API's store: pipelines, pipeline versions, experiments, runs with their tasks, cache entries and recurring
// runs, in one SQLite file (WAL). Each write is one transaction. Records are kept whole as JSON beside the columns that
// list endpoints filter and sort on.
import { createHash, randomUUID } from 'node:crypto';
import Database from 'better-sqlite3';
import { compileList, nextPageToken, type ListFields, type ListRequest } from './filter.js';
import type { PipelineSpec, PlatformSpec } from './ir.js';
import { finalStates, type CacheEntry, type RunRecord, type RunStore, type RuntimeConfig, type RuntimeState, type TaskRecord } from './types.js';

/** gRPC status codes the API answers with (KFP's errors are gRPC statuses). */
export type KfpErrorCode = 'INVALID_ARGUMENT' | 'NOT_FOUND' | 'ALREADY_EXISTS' | 'FAILED_PRECONDITION' | 'INTERNAL' | 'UNIMPLEMENTED' | 'PERMISSION_DENIED' | 'UNAUTHENTICATED';

export class KfpError extends Error {
  constructor(
    readonly code: KfpErrorCode,
    message: string,
    /** Every problem, when there are several (a spec that fails validation). */
    readonly problems: readonly string[] = [message],
  ) {
    super(message);
    this.name = 'KfpError';
  }
}

export interface PipelineRecord {
  pipeline_id: string;
  name: string;
  display_name: string;
  description?: string;
  namespace: string;
  created_at: string;
  tags?: Record<string, string>;
}

export interface PipelineVersionRecord {
  pipeline_id: string;
  pipeline_version_id: string;
  name: string;
  display_name: string;
  description?: string;
  created_at: string;
  package_url?: { pipeline_url: string };
  code_source_url?: string;
  pipeline_spec: PipelineSpec;
  platform_spec?: PlatformSpec;
  tags?: Record<string, string>;
}

export type StorageState = 'AVAILABLE' | 'ARCHIVED';

export interface ExperimentRecord {
  experiment_id: string;
  display_name: string;
  description?: string;
  namespace: string;
  created_at: string;
  storage_state: StorageState;
  last_run_created_at?: string;
}

export interface ScheduleWindow {
  start_time?: string;
  end_time?: string;
}

export type Trigger = { cron_schedule: ScheduleWindow & { cron: string } } | { periodic_schedule: ScheduleWindow & { interval_second: number } };

export interface RecurringRunRecord {
  recurring_run_id: string;
  display_name: string;
  description?: string;
  namespace: string;
  experiment_id: string;
  /** The IR to run, fixed at creation; absent when the recurring run follows the latest version of a pipeline. */
  pipeline_spec?: PipelineSpec;
  platform_spec?: PlatformSpec;
  /** `pipeline_version_id` absent: each firing runs the pipeline's latest version. */
  pipeline_version_reference?: { pipeline_id: string; pipeline_version_id?: string };
  runtime_config: RuntimeConfig;
  service_account?: string;
  max_concurrency: number;
  trigger: Trigger;
  mode: 'ENABLE' | 'DISABLE';
  no_catchup: boolean;
  created_at: string;
  updated_at: string;
  /** The schedule slot the scheduler last fired (or decided to skip up to): its cursor. */
  last_fired_at?: string;
}

export interface ListResult<T> {
  items: T[];
  total_size: number;
  next_page_token: string;
}

export interface PipelineDbOptions {
  path: string;
  /** The clock for timestamps (tests inject one). */
  now?: () => Date;
}

function storageState(v: string): string {
  const up = v.toUpperCase();
  return up.replace(/^STORAGE_?STATE_/, '');
}

const upper = (v: string): string => v.toUpperCase();

/** The keys each list endpoint filters and sorts on (KFP's API field names, with the v1 aliases `id` and `name`). */
export const pipelineFields: ListFields = {
  pipeline_id: { column: 'pipeline_id', kind: 'string' },
  id: { column: 'pipeline_id', kind: 'string' },
  name: { column: 'name', kind: 'string' },
  display_name: { column: 'display_name', kind: 'string' },
  description: { column: 'description', kind: 'string' },
  namespace: { column: 'namespace', kind: 'string' },
  created_at: { column: 'created_at', kind: 'time' },
  tags: { column: "record, '$.tags'", kind: 'string', map: true },
};

export const versionFields: ListFields = {
  pipeline_version_id: { column: 'pipeline_version_id', kind: 'string' },
  id: { column: 'pipeline_version_id', kind: 'string' },
  pipeline_id: { column: 'pipeline_id', kind: 'string' },
  name: { column: 'name', kind: 'string' },
  display_name: { column: 'display_name', kind: 'string' },
  description: { column: 'description', kind: 'string' },
  created_at: { column: 'created_at', kind: 'time' },
  tags: { column: "record, '$.tags'", kind: 'string', map: true },
};

export const experimentFields: ListFields = {
  experiment_id: { column: 'experiment_id', kind: 'string' },
  id: { column: 'experiment_id', kind: 'string' },
  display_name: { column: 'display_name', kind: 'string' },
  name: { column: 'display_name', kind: 'string' },
  description: { column: 'description', kind: 'string' },
  namespace: { column: 'namespace', kind: 'string' },
  storage_state: { column: 'storage_state', kind: 'string', normalize: storageState },
  created_at: { column: 'created_at', kind: 'time' },
  last_run_created_at: { column: 'last_run_created_at', kind: 'time' },
};

export const runFields: ListFields = {
  run_id: { column: 'run_id', kind: 'string' },
  id: { column: 'run_id', kind: 'string' },
  display_name: { column: 'display_name', kind: 'string' },
  name: { column: 'display_name', kind: 'string' },
  description: { column: 'description', kind: 'string' },
  experiment_id: { column: 'experiment_id', kind: 'string' },
  namespace: { column: 'namespace', kind: 'string' },
  storage_state: { column: 'storage_state', kind: 'string', normalize: storageState },
  state: { column: 'state', kind: 'string', normalize: upper },
  status: { column: 'state', kind: 'string', normalize: upper },
  pipeline_id: { column: 'pipeline_id', kind: 'string' },
  pipeline_version_id: { column: 'pipeline_version_id', kind: 'string' },
  recurring_run_id: { column: 'recurring_run_id', kind: 'string' },
  service_account: { column: 'service_account', kind: 'string' },
  created_at: { column: 'created_at', kind: 'time' },
  scheduled_at: { column: 'scheduled_at', kind: 'time' },
  finished_at: { column: 'finished_at', kind: 'time' },
};

export const recurringRunFields: ListFields = {
  recurring_run_id: { column: 'recurring_run_id', kind: 'string' },
  id: { column: 'recurring_run_id', kind: 'string' },
  display_name: { column: 'display_name', kind: 'string' },
  name: { column: 'display_name', kind: 'string' },
  description: { column: 'description', kind: 'string' },
  experiment_id: { column: 'experiment_id', kind: 'string' },
  namespace: { column: 'namespace', kind: 'string' },
  status: { column: 'status', kind: 'string', normalize: (v) => ({ ENABLE: 'ENABLED', DISABLE: 'DISABLED' })[v.toUpperCase()] ?? v.toUpperCase() },
  pipeline_id: { column: 'pipeline_id', kind: 'string' },
  pipeline_version_id: { column: 'pipeline_version_id', kind: 'string' },
  created_at: { column: 'created_at', kind: 'time' },
  updated_at: { column: 'updated_at', kind: 'time' },
};

const schema = `
CREATE TABLE IF NOT EXISTS settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS pipelines (
  pipeline_id TEXT PRIMARY KEY, name TEXT NOT NULL, display_name TEXT NOT NULL, description TEXT NOT NULL DEFAULT '',
  namespace TEXT NOT NULL DEFAULT '', created_at INTEGER NOT NULL, record TEXT NOT NULL,
  UNIQUE (namespace, name));
CREATE TABLE IF NOT EXISTS pipeline_versions (
  pipeline_version_id TEXT PRIMARY KEY, pipeline_id TEXT NOT NULL, name TEXT NOT NULL, display_name TEXT NOT NULL,
  description TEXT NOT NULL DEFAULT '', created_at INTEGER NOT NULL, record TEXT NOT NULL,
  UNIQUE (pipeline_id, name));
CREATE INDEX IF NOT EXISTS pipeline_versions_pipeline ON pipeline_versions (pipeline_id, created_at);
CREATE TABLE IF NOT EXISTS experiments (
  experiment_id TEXT PRIMARY KEY, display_name TEXT NOT NULL, description TEXT NOT NULL DEFAULT '',
  namespace TEXT NOT NULL DEFAULT '', storage_state TEXT NOT NULL, created_at INTEGER NOT NULL,
  last_run_created_at INTEGER, record TEXT NOT NULL,
  UNIQUE (namespace, display_name));
CREATE TABLE IF NOT EXISTS runs (
  run_id TEXT PRIMARY KEY, experiment_id TEXT NOT NULL, display_name TEXT NOT NULL, description TEXT NOT NULL DEFAULT '',
  namespace TEXT NOT NULL DEFAULT '', storage_state TEXT NOT NULL, state TEXT NOT NULL,
  pipeline_id TEXT NOT NULL DEFAULT '', pipeline_version_id TEXT NOT NULL DEFAULT '',
  recurring_run_id TEXT NOT NULL DEFAULT '', service_account TEXT NOT NULL DEFAULT '',
  created_at INTEGER NOT NULL, scheduled_at INTEGER, finished_at INTEGER, record TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS runs_experiment ON runs (experiment_id, created_at);
CREATE INDEX IF NOT EXISTS runs_state ON runs (state);
CREATE INDEX IF NOT EXISTS runs_recurring ON runs (recurring_run_id, display_name);
CREATE INDEX IF NOT EXISTS runs_created ON runs (created_at, run_id);
CREATE TABLE IF NOT EXISTS tasks (
  run_id TEXT NOT NULL, task_id TEXT NOT NULL, seq INTEGER NOT NULL, record TEXT NOT NULL,
  PRIMARY KEY (run_id, task_id));
CREATE TABLE IF NOT EXISTS cache_entries (
  id INTEGER PRIMARY KEY AUTOINCREMENT, fingerprint TEXT NOT NULL, pipeline_name TEXT NOT NULL,
  namespace TEXT NOT NULL, record TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS cache_entries_key ON cache_entries (fingerprint, pipeline_name, namespace, id);
CREATE TABLE IF NOT EXISTS recurring_runs (
  recurring_run_id TEXT PRIMARY KEY, display_name TEXT NOT NULL, description TEXT NOT NULL DEFAULT '',
  namespace TEXT NOT NULL DEFAULT '', experiment_id TEXT NOT NULL, status TEXT NOT NULL,
  pipeline_id TEXT NOT NULL DEFAULT '', pipeline_version_id TEXT NOT NULL DEFAULT '',
  created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL, record TEXT NOT NULL);
`;

const defaultExperimentName = 'Default';
const defaultExperimentDescription = 'All runs created without specifying an experiment will be grouped here.';

type Row = Record<string, unknown> & { record: string };

function ms(iso: string | undefined): number | null {
  if (iso === undefined) return null;
  const t = Date.parse(iso);
  return Number.isNaN(t) ? null : t;
}

function parse<T>(row: Row | undefined): T | undefined {
  return row ? (JSON.parse(row.record) as T) : undefined;
}

/** A UUID derived from a name (the shape of a version 5 UUID), so one schedule slot always names the same run. */
export function deterministicUuid(name: string): string {
  const h = createHash('sha1').update(name).digest();
  h[6] = (h[6]! & 0x0f) | 0x50;
  h[8] = (h[8]! & 0x3f) | 0x80;
  const x = h.subarray(0, 16).toString('hex');
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20, 32)}`;
}

export class PipelineDb implements RunStore {
  private readonly db: Database.Database;
  private readonly now: () => Date;

  constructor(options: PipelineDbOptions) {
    this.db = new Database(options.path);
    this.db.pragma('journal_mode = WAL');
    // As the API store: a commit survives a crash or kill of Floe (the WAL is written before the commit returns); only
    // a power loss can take the last ones. FULL would also fsync on every commit, a few on each pipeline step.
    this.db.pragma('synchronous = NORMAL');
    this.db.exec(schema);
    this.now = options.now ?? (() => new Date());
  }

  close(): void {
    this.db.close();
  }

  private stamp(): string {
    return this.now().toISOString();
  }

  private tx<T>(fn: () => T): T {
    return this.db.transaction(fn)();
  }

  private list<T>(table: string, idColumn: string, fields: ListFields, req: ListRequest, base: { where: string[]; params: unknown[] }): ListResult<T> {
    const q = compileList(req, fields, idColumn);
    const where = [...base.where, ...q.where];
    const params = [...base.params, ...q.params];
    const clause = (w: string[]): string => (w.length ? ` WHERE ${w.join(' AND ')}` : '');
    const total = (this.db.prepare(`SELECT COUNT(*) AS n FROM ${table}${clause(where)}`).get(...params) as { n: number }).n;
    const rows = this.db
      .prepare(`SELECT record, ${q.sortExpr} AS sort_value, ${idColumn} AS id FROM ${table}${clause([...where, ...q.pageWhere])} ORDER BY ${q.orderBy} LIMIT ?`)
      .all(...params, ...q.pageParams, q.limit + 1) as (Row & { sort_value: string | number | null; id: string })[];
    const page = rows.slice(0, q.limit);
    const last = page[page.length - 1];
    return {
      items: page.map((r) => JSON.parse(r.record) as T),
      total_size: total,
      next_page_token: rows.length > q.limit && last ? nextPageToken(q, last.sort_value, last.id) : '',
    };
  }

  // ---- pipelines and versions ----

  private insertPipeline(p: PipelineRecord): void {
    if (this.db.prepare('SELECT 1 FROM pipelines WHERE namespace = ? AND name = ?').get(p.namespace, p.name)) {
      throw new KfpError('ALREADY_EXISTS', `a pipeline named "${p.name}" already exists${p.namespace ? ` in namespace ${p.namespace}` : ''}`);
    }
    this.db
      .prepare('INSERT INTO pipelines (pipeline_id, name, display_name, description, namespace, created_at, record) VALUES (?, ?, ?, ?, ?, ?, ?)')
      .run(p.pipeline_id, p.name, p.display_name, p.description ?? '', p.namespace, ms(p.created_at), JSON.stringify(p));
  }

  private insertVersion(v: PipelineVersionRecord): void {
    if (!this.db.prepare('SELECT 1 FROM pipelines WHERE pipeline_id = ?').get(v.pipeline_id)) throw new KfpError('NOT_FOUND', `pipeline ${v.pipeline_id} not found`);
    if (this.db.prepare('SELECT 1 FROM pipeline_versions WHERE pipeline_id = ? AND name = ?').get(v.pipeline_id, v.name)) {
      throw new KfpError('ALREADY_EXISTS', `pipeline ${v.pipeline_id} already has a version named "${v.name}"`);
    }
    this.db
      .prepare('INSERT INTO pipeline_versions (pipeline_version_id, pipeline_id, name, display_name, description, created_at, record) VALUES (?, ?, ?, ?, ?, ?, ?)')
      .run(v.pipeline_version_id, v.pipeline_id, v.name, v.display_name, v.description ?? '', ms(v.created_at), JSON.stringify(v));
  }

  /** Creates a pipeline; ids and created_at are assigned here. */
  createPipeline(p: Omit<PipelineRecord, 'pipeline_id' | 'created_at'>): PipelineRecord {
    const rec: PipelineRecord = { ...p, pipeline_id: randomUUID(), created_at: this.stamp() };
    this.tx(() => this.insertPipeline(rec));
    return rec;
  }

  /** Creates a pipeline and its first version together (upload, CreatePipelineAndVersion). */
  createPipelineAndVersion(
    p: Omit<PipelineRecord, 'pipeline_id' | 'created_at'>,
    v: Omit<PipelineVersionRecord, 'pipeline_id' | 'pipeline_version_id' | 'created_at'>,
  ): { pipeline: PipelineRecord; version: PipelineVersionRecord } {
    const created_at = this.stamp();
    const pipeline: PipelineRecord = { ...p, pipeline_id: randomUUID(), created_at };
    const version: PipelineVersionRecord = { ...v, pipeline_id: pipeline.pipeline_id, pipeline_version_id: randomUUID(), created_at };
    this.tx(() => {
      this.insertPipeline(pipeline);
      this.insertVersion(version);
    });
    return { pipeline, version };
  }

  createVersion(v: Omit<PipelineVersionRecord, 'pipeline_version_id' | 'created_at'>): PipelineVersionRecord {
    const rec: PipelineVersionRecord = { ...v, pipeline_version_id: randomUUID(), created_at: this.stamp() };
    this.tx(() => this.insertVersion(rec));
    return rec;
  }

  getPipeline(id: string): PipelineRecord | undefined {
    return parse(this.db.prepare('SELECT record FROM pipelines WHERE pipeline_id = ?').get(id) as Row | undefined);
  }

  getPipelineByName(name: string, namespace: string): PipelineRecord | undefined {
    return parse(this.db.prepare('SELECT record FROM pipelines WHERE name = ? AND namespace = ?').get(name, namespace) as Row | undefined);
  }

  listPipelines(req: ListRequest, namespace?: string, options: { sharedOnly?: boolean } = {}): ListResult<PipelineRecord> {
    // A namespace lists its own pipelines and the shared ones (namespace ""); multi-user mode without one, only shared ones.
    const base = namespace ? { where: ["namespace IN (?, '')"], params: [namespace] } : options.sharedOnly ? { where: ["namespace = ''"], params: [] } : { where: [], params: [] };
    return this.list('pipelines', 'pipeline_id', pipelineFields, req, base);
  }

  updatePipeline(id: string, patch: Partial<Pick<PipelineRecord, 'display_name' | 'description' | 'tags'>>): PipelineRecord {
    return this.tx(() => {
      const cur = this.getPipeline(id);
      if (!cur) throw new KfpError('NOT_FOUND', `pipeline ${id} not found`);
      const rec: PipelineRecord = { ...cur, ...patch };
      this.db.prepare('UPDATE pipelines SET display_name = ?, description = ?, record = ? WHERE pipeline_id = ?').run(rec.display_name, rec.description ?? '', JSON.stringify(rec), id);
      return rec;
    });
  }

  /** Deletes a pipeline; without `cascade` only one with no versions (KFP's FAILED_PRECONDITION otherwise). */
  deletePipeline(id: string, cascade: boolean): void {
    this.tx(() => {
      if (!this.getPipeline(id)) throw new KfpError('NOT_FOUND', `pipeline ${id} not found`);
      const latest = this.latestVersion(id);
      if (latest && !cascade) {
        throw new KfpError('FAILED_PRECONDITION', `pipeline ${id} has versions (e.g. ${latest.pipeline_version_id}): delete them first, or set cascade=true to delete them with it`);
      }
      this.db.prepare('DELETE FROM pipeline_versions WHERE pipeline_id = ?').run(id);
      this.db.prepare('DELETE FROM pipelines WHERE pipeline_id = ?').run(id);
    });
  }

  getVersion(id: string): PipelineVersionRecord | undefined {
    return parse(this.db.prepare('SELECT record FROM pipeline_versions WHERE pipeline_version_id = ?').get(id) as Row | undefined);
  }

  latestVersion(pipelineId: string): PipelineVersionRecord | undefined {
    return parse(this.db.prepare('SELECT record FROM pipeline_versions WHERE pipeline_id = ? ORDER BY created_at DESC, rowid DESC LIMIT 1').get(pipelineId) as Row | undefined);
  }

  listVersions(pipelineId: string, req: ListRequest): ListResult<PipelineVersionRecord> {
    return this.list('pipeline_versions', 'pipeline_version_id', versionFields, req, { where: ['pipeline_id = ?'], params: [pipelineId] });
  }

  updateVersion(id: string, patch: Partial<Pick<PipelineVersionRecord, 'display_name' | 'description' | 'tags'>>): PipelineVersionRecord {
    return this.tx(() => {
      const cur = this.getVersion(id);
      if (!cur) throw new KfpError('NOT_FOUND', `pipeline version ${id} not found`);
      const rec: PipelineVersionRecord = { ...cur, ...patch };
      this.db.prepare('UPDATE pipeline_versions SET display_name = ?, description = ?, record = ? WHERE pipeline_version_id = ?').run(rec.display_name, rec.description ?? '', JSON.stringify(rec), id);
      return rec;
    });
  }

  deleteVersion(id: string): void {
    const n = this.db.prepare('DELETE FROM pipeline_versions WHERE pipeline_version_id = ?').run(id).changes;
    if (n === 0) throw new KfpError('NOT_FOUND', `pipeline version ${id} not found`);
  }

  // ---- experiments ----

  createExperiment(e: Pick<ExperimentRecord, 'display_name' | 'namespace'> & { description?: string }): ExperimentRecord {
    const rec: ExperimentRecord = { ...e, experiment_id: randomUUID(), created_at: this.stamp(), storage_state: 'AVAILABLE' };
    this.tx(() => this.insertExperiment(rec));
    return rec;
  }

  private insertExperiment(e: ExperimentRecord): void {
    if (this.db.prepare('SELECT 1 FROM experiments WHERE namespace = ? AND display_name = ?').get(e.namespace, e.display_name)) {
      throw new KfpError('ALREADY_EXISTS', `an experiment named "${e.display_name}" already exists${e.namespace ? ` in namespace ${e.namespace}` : ''}`);
    }
    this.db
      .prepare('INSERT INTO experiments (experiment_id, display_name, description, namespace, storage_state, created_at, last_run_created_at, record) VALUES (?, ?, ?, ?, ?, ?, ?, ?)')
      .run(e.experiment_id, e.display_name, e.description ?? '', e.namespace, e.storage_state, ms(e.created_at), ms(e.last_run_created_at), JSON.stringify(e));
  }

  private writeExperiment(e: ExperimentRecord): void {
    this.db
      .prepare('UPDATE experiments SET storage_state = ?, last_run_created_at = ?, record = ? WHERE experiment_id = ?')
      .run(e.storage_state, ms(e.last_run_created_at), JSON.stringify(e), e.experiment_id);
  }

  getExperiment(id: string): ExperimentRecord | undefined {
    return parse(this.db.prepare('SELECT record FROM experiments WHERE experiment_id = ?').get(id) as Row | undefined);
  }

  /** The experiment runs go to when none is named: created on first need, or adopted if one named "Default" exists. */
  defaultExperiment(): ExperimentRecord {
    return this.tx(() => {
      const id = (this.db.prepare("SELECT value FROM settings WHERE key = 'default_experiment_id'").get() as { value: string } | undefined)?.value;
      const known = id ? this.getExperiment(id) : undefined;
      if (known) return known;
      let e = parse<ExperimentRecord>(this.db.prepare("SELECT record FROM experiments WHERE namespace = '' AND display_name = ?").get(defaultExperimentName) as Row | undefined);
      if (!e) {
        e = { experiment_id: randomUUID(), display_name: defaultExperimentName, description: defaultExperimentDescription, namespace: '', created_at: this.stamp(), storage_state: 'AVAILABLE' };
        this.insertExperiment(e);
      }
      this.db.prepare("INSERT OR REPLACE INTO settings (key, value) VALUES ('default_experiment_id', ?)").run(e.experiment_id);
      return e;
    });
  }

  /** The default experiment's id if it exists, without creating it. */
  defaultExperimentId(): string | undefined {
    return (this.db.prepare("SELECT value FROM settings WHERE key = 'default_experiment_id'").get() as { value: string } | undefined)?.value;
  }

  listExperiments(req: ListRequest, namespace?: string): ListResult<ExperimentRecord> {
    const base = namespace ? { where: ['namespace = ?'], params: [namespace] } : { where: [], params: [] };
    return this.list('experiments', 'experiment_id', experimentFields, req, base);
  }

  /**
   * Deletes an experiment. Its runs stay (as in KFP); its recurring runs are disabled so that nothing fires into an
   * experiment that is gone. The default experiment cannot be deleted.
   */
  deleteExperiment(id: string): void {
    this.tx(() => {
      if (!this.getExperiment(id)) throw new KfpError('NOT_FOUND', `experiment ${id} not found`);
      if (id === this.defaultExperimentId()) throw new KfpError('INVALID_ARGUMENT', `experiment ${id} is the default experiment, which cannot be deleted`);
      for (const rr of this.recurringRunsOf(id)) this.writeRecurringRun({ ...rr, mode: 'DISABLE', updated_at: this.stamp() });
      this.db.prepare('DELETE FROM experiments WHERE experiment_id = ?').run(id);
    });
  }

  /** Archives an experiment with its runs, and disables its recurring runs (KFP's ArchiveExperiment). */
  archiveExperiment(id: string): void {
    this.tx(() => {
      const e = this.getExperiment(id);
      if (!e) throw new KfpError('NOT_FOUND', `experiment ${id} not found`);
      for (const rr of this.recurringRunsOf(id)) if (rr.mode === 'ENABLE') this.writeRecurringRun({ ...rr, mode: 'DISABLE', updated_at: this.stamp() });
      const runIds = this.db.prepare("SELECT run_id FROM runs WHERE experiment_id = ? AND storage_state <> 'ARCHIVED'").pluck().all(id) as string[];
      for (const runId of runIds) this.setRunStorageStateIn(runId, 'ARCHIVED');
      this.writeExperiment({ ...e, storage_state: 'ARCHIVED' });
    });
  }

  unarchiveExperiment(id: string): void {
    this.tx(() => {
      const e = this.getExperiment(id);
      if (!e) throw new KfpError('NOT_FOUND', `experiment ${id} not found`);
      this.writeExperiment({ ...e, storage_state: 'AVAILABLE' });
    });
  }

  // ---- runs ----

  private runColumns(r: RunRecord): unknown[] {
    return [
      r.experiment_id,
      r.display_name,
      r.description ?? '',
      r.namespace,
      r.storage_state,
      r.state,
      r.pipeline_version_reference?.pipeline_id ?? '',
      r.pipeline_version_reference?.pipeline_version_id ?? '',
      r.recurring_run_id ?? '',
      r.service_account ?? '',
      ms(r.created_at),
      ms(r.scheduled_at),
      ms(r.finished_at),
      JSON.stringify(r),
    ];
  }

  private insertRun(r: RunRecord): void {
    this.db
      .prepare(
        `INSERT INTO runs (experiment_id, display_name, description, namespace, storage_state, state, pipeline_id, pipeline_version_id,
          recurring_run_id, service_account, created_at, scheduled_at, finished_at, record, run_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(...this.runColumns(r), r.run_id);
    const e = this.getExperiment(r.experiment_id);
    if (e) this.writeExperiment({ ...e, last_run_created_at: r.created_at });
  }

  private writeRun(r: RunRecord): void {
    this.db
      .prepare(
        `UPDATE runs SET experiment_id = ?, display_name = ?, description = ?, namespace = ?, storage_state = ?, state = ?, pipeline_id = ?,
          pipeline_version_id = ?, recurring_run_id = ?, service_account = ?, created_at = ?, scheduled_at = ?, finished_at = ?, record = ? WHERE run_id = ?`,
      )
      .run(...this.runColumns(r), r.run_id);
  }

  /** Stores a new run as given (the REST layer builds it: ids, times, state PENDING and its first state_history entry). */
  createRun(run: RunRecord): RunRecord {
    this.tx(() => {
      if (this.getRun(run.run_id)) throw new KfpError('ALREADY_EXISTS', `run ${run.run_id} already exists`);
      this.insertRun(run);
    });
    return run;
  }

  getRun(runId: string): RunRecord | undefined {
    return parse(this.db.prepare('SELECT record FROM runs WHERE run_id = ?').get(runId) as Row | undefined);
  }

  listRuns(req: ListRequest, scope: { experimentId?: string; namespace?: string } = {}): ListResult<RunRecord> {
    const where: string[] = [];
    const params: unknown[] = [];
    if (scope.experimentId) {
      where.push('experiment_id = ?');
      params.push(scope.experimentId);
    }
    if (scope.namespace) {
      where.push('namespace = ?');
      params.push(scope.namespace);
    }
    return this.list('runs', 'run_id', runFields, req, { where, params });
  }

  runsInState(states: readonly RuntimeState[]): RunRecord[] {
    if (states.length === 0) return [];
    const rows = this.db.prepare(`SELECT record FROM runs WHERE state IN (${states.map(() => '?').join(', ')}) ORDER BY created_at, run_id`).all(...states) as Row[];
    return rows.map((r) => JSON.parse(r.record) as RunRecord);
  }

  updateRun(runId: string, patch: Partial<Pick<RunRecord, 'state' | 'error' | 'finished_at' | 'pipeline_context_id' | 'pipeline_run_context_id'>>): RunRecord {
    return this.tx(() => {
      const cur = this.getRun(runId);
      if (!cur) throw new KfpError('NOT_FOUND', `run ${runId} not found`);
      const next: RunRecord = { ...cur, ...patch };
      if (patch.state !== undefined && patch.state !== cur.state) {
        next.state_history = [...cur.state_history, { update_time: this.stamp(), state: patch.state, ...(patch.error ? { error: patch.error } : {}) }];
      }
      this.writeRun(next);
      return next;
    });
  }

  private setRunStorageStateIn(runId: string, state: StorageState): void {
    const cur = this.getRun(runId);
    if (!cur) throw new KfpError('NOT_FOUND', `run ${runId} not found`);
    this.writeRun({ ...cur, storage_state: state });
  }

  archiveRun(runId: string): void {
    this.tx(() => this.setRunStorageStateIn(runId, 'ARCHIVED'));
  }

  /** Unarchives a run; not while its experiment is archived (KFP's FAILED_PRECONDITION). */
  unarchiveRun(runId: string): void {
    this.tx(() => {
      const run = this.getRun(runId);
      if (!run) throw new KfpError('NOT_FOUND', `run ${runId} not found`);
      if (this.getExperiment(run.experiment_id)?.storage_state === 'ARCHIVED') {
        throw new KfpError('FAILED_PRECONDITION', `run ${runId} is in the archived experiment ${run.experiment_id}: unarchive the experiment first`);
      }
      this.setRunStorageStateIn(runId, 'AVAILABLE');
    });
  }

  /** Deletes a run and its tasks. */
  deleteRun(runId: string): void {
    this.tx(() => {
      const n = this.db.prepare('DELETE FROM runs WHERE run_id = ?').run(runId).changes;
      if (n === 0) throw new KfpError('NOT_FOUND', `run ${runId} not found`);
      this.db.prepare('DELETE FROM tasks WHERE run_id = ?').run(runId);
    });
  }

  // ---- tasks ----

  listTasks(runId: string): TaskRecord[] {
    const rows = this.db.prepare('SELECT record FROM tasks WHERE run_id = ? ORDER BY seq').all(runId) as Row[];
    return rows.map((r) => JSON.parse(r.record) as TaskRecord);
  }

  private writeTask(task: TaskRecord): void {
    const prev = this.db.prepare('SELECT seq, record FROM tasks WHERE run_id = ? AND task_id = ?').get(task.run_id, task.task_id) as (Row & { seq: number }) | undefined;
    const before = prev ? (JSON.parse(prev.record) as TaskRecord) : undefined;
    const history = [...task.state_history];
    if (before?.state !== task.state && history[history.length - 1]?.state !== task.state) {
      history.push({ update_time: this.stamp(), state: task.state, ...(task.error ? { error: task.error } : {}) });
    }
    const rec: TaskRecord = { ...task, state_history: history };
    const seq = prev?.seq ?? ((this.db.prepare('SELECT COALESCE(MAX(seq), 0) + 1 AS n FROM tasks WHERE run_id = ?').get(task.run_id) as { n: number }).n);
    this.db.prepare('INSERT OR REPLACE INTO tasks (run_id, task_id, seq, record) VALUES (?, ?, ?, ?)').run(task.run_id, task.task_id, seq, JSON.stringify(rec));
  }

  putTask(task: TaskRecord): void {
    this.tx(() => this.writeTask(task));
  }

  putTasks(tasks: TaskRecord[]): void {
    this.tx(() => {
      for (const t of tasks) this.writeTask(t);
    });
  }

  // ---- cache ----

  cacheLookup(fingerprint: string, pipelineName: string, namespace: string): CacheEntry | undefined {
    return parse(
      this.db.prepare('SELECT record FROM cache_entries WHERE fingerprint = ? AND pipeline_name = ? AND namespace = ? ORDER BY id DESC LIMIT 1').get(fingerprint, pipelineName, namespace) as Row | undefined,
    );
  }

  cachePut(entry: CacheEntry): void {
    this.tx(() => {
      this.db.prepare('INSERT INTO cache_entries (fingerprint, pipeline_name, namespace, record) VALUES (?, ?, ?, ?)').run(entry.fingerprint, entry.pipeline_name, entry.namespace, JSON.stringify(entry));
    });
  }

  // ---- recurring runs ----

  private recurringColumns(r: RecurringRunRecord): unknown[] {
    return [
      r.display_name,
      r.description ?? '',
      r.namespace,
      r.experiment_id,
      r.mode === 'ENABLE' ? 'ENABLED' : 'DISABLED',
      r.pipeline_version_reference?.pipeline_id ?? '',
      r.pipeline_version_reference?.pipeline_version_id ?? '',
      ms(r.created_at),
      ms(r.updated_at),
      JSON.stringify(r),
      r.recurring_run_id,
    ];
  }

  private writeRecurringRun(r: RecurringRunRecord): void {
    this.db
      .prepare(
        `UPDATE recurring_runs SET display_name = ?, description = ?, namespace = ?, experiment_id = ?, status = ?, pipeline_id = ?,
          pipeline_version_id = ?, created_at = ?, updated_at = ?, record = ? WHERE recurring_run_id = ?`,
      )
      .run(...this.recurringColumns(r));
  }

  createRecurringRun(r: Omit<RecurringRunRecord, 'recurring_run_id' | 'created_at' | 'updated_at'>): RecurringRunRecord {
    const now = this.stamp();
    const rec: RecurringRunRecord = { ...r, recurring_run_id: randomUUID(), created_at: now, updated_at: now };
    this.tx(() => {
      this.db
        .prepare(
          `INSERT INTO recurring_runs (display_name, description, namespace, experiment_id, status, pipeline_id, pipeline_version_id,
            created_at, updated_at, record, recurring_run_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(...this.recurringColumns(rec));
    });
    return rec;
  }

  getRecurringRun(id: string): RecurringRunRecord | undefined {
    return parse(this.db.prepare('SELECT record FROM recurring_runs WHERE recurring_run_id = ?').get(id) as Row | undefined);
  }

  private recurringRunsOf(experimentId: string): RecurringRunRecord[] {
    const rows = this.db.prepare('SELECT record FROM recurring_runs WHERE experiment_id = ?').all(experimentId) as Row[];
    return rows.map((r) => JSON.parse(r.record) as RecurringRunRecord);
  }

  listRecurringRuns(req: ListRequest, scope: { experimentId?: string; namespace?: string } = {}): ListResult<RecurringRunRecord> {
    const where: string[] = [];
    const params: unknown[] = [];
    if (scope.experimentId) {
      where.push('experiment_id = ?');
      params.push(scope.experimentId);
    }
    if (scope.namespace) {
      where.push('namespace = ?');
      params.push(scope.namespace);
    }
    return this.list('recurring_runs', 'recurring_run_id', recurringRunFields, req, { where, params });
  }

  /** Enables or disables a recurring run. Enabling keeps its cursor, so a catch-up schedule backfills the pause. */
  setRecurringRunMode(id: string, mode: 'ENABLE' | 'DISABLE'): RecurringRunRecord {
    return this.tx(() => {
      const cur = this.getRecurringRun(id);
      if (!cur) throw new KfpError('NOT_FOUND', `recurring run ${id} not found`);
      if (mode === 'ENABLE') {
        const e = this.getExperiment(cur.experiment_id);
        if (!e) throw new KfpError('FAILED_PRECONDITION', `recurring run ${id} belongs to experiment ${cur.experiment_id}, which no longer exists`);
        if (e.storage_state === 'ARCHIVED') throw new KfpError('FAILED_PRECONDITION', `recurring run ${id} is in the archived experiment ${cur.experiment_id}: unarchive it first`);
      }
      const rec: RecurringRunRecord = { ...cur, mode, updated_at: this.stamp() };
      this.writeRecurringRun(rec);
      return rec;
    });
  }

  deleteRecurringRun(id: string): void {
    const n = this.db.prepare('DELETE FROM recurring_runs WHERE recurring_run_id = ?').run(id).changes;
    if (n === 0) throw new KfpError('NOT_FOUND', `recurring run ${id} not found`);
  }

  enabledRecurringRuns(): RecurringRunRecord[] {
    const rows = this.db.prepare("SELECT record FROM recurring_runs WHERE status = 'ENABLED' ORDER BY created_at, recurring_run_id").all() as Row[];
    return rows.map((r) => JSON.parse(r.record) as RecurringRunRecord);
  }

  /** How many of a recurring run's runs have not finished. */
  activeRunCount(recurringRunId: string): number {
    return (
      this.db
        .prepare(`SELECT COUNT(*) AS n FROM runs WHERE recurring_run_id = ? AND state NOT IN (${finalStates.map(() => '?').join(', ')})`)
        .get(recurringRunId, ...finalStates) as { n: number }
    ).n;
  }

  /**
   * Records a firing of a recurring run: stores the run unless one for the same slot exists already (same recurring run
   * and display name, as KFP guards), and moves the recurring run's cursor to the slot, in one transaction. Returns
   * whether a run was stored.
   */
  fireRecurringRun(recurringRunId: string, slot: string, run: RunRecord | undefined): boolean {
    return this.tx(() => {
      const cur = this.getRecurringRun(recurringRunId);
      if (!cur) return false;
      let stored = false;
      if (run && !this.db.prepare('SELECT 1 FROM runs WHERE recurring_run_id = ? AND display_name = ?').get(recurringRunId, run.display_name) && !this.getRun(run.run_id)) {
        this.insertRun(run);
        stored = true;
      }
      this.writeRecurringRun({ ...cur, last_fired_at: slot });
      return stored;
    });
  }
}
