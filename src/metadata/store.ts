// ML Metadata's store in one SQLite file: types, artifacts, executions, contexts, events and their links; MLMD's writes
// (each one transaction), its reads with keyset-paged lists, and lineage walks.
import Database from 'better-sqlite3';
import { ARTIFACT_STATES, EVENT_TYPES, EXECUTION_STATES, PROPERTY_TYPES, checkId, checkPath, checkValues, enumCode, enumName, optionalString, valueKind } from './codec.js';
import { MetadataError } from './errors.js';
import { EDGE_CHUNK, pageOfWalk, walkLineage, type Edge, type EdgeSource } from './lineage.js';
import { decodeToken, encodeToken, fingerprint } from './page-token.js';
import type {
  Artifact,
  ArtifactPage,
  Association,
  Attribution,
  Context,
  ContextPage,
  Event,
  Execution,
  ExecutionPage,
  LineageDirection,
  LineageGraph,
  LineageQuery,
  ListFilter,
  ListOptions,
  MetadataWriter,
  MlmdType,
  MlmdValue,
  OrderByField,
  ParentContext,
  PropertyType,
  StoredType,
} from './types.js';

export interface MetadataStoreOptions {
  /** The SQLite file (created when missing), or ':memory:'. */
  path: string;
  /** Milliseconds since the epoch; tests inject their own. */
  now?: () => number;
}

/** One artifact (optional, else `event.artifact_id` names an existing one) with its event, as PutExecution takes them. */
export interface ArtifactAndEvent {
  artifact?: Artifact;
  event: Omit<Event, 'execution_id' | 'artifact_id'> & { artifact_id?: number };
}

type Kind = 'artifact' | 'execution' | 'context';

interface KindSpec {
  kind: Kind;
  code: number;
  table: 'artifacts' | 'executions' | 'contexts';
  /** The link table to contexts and its id column. */
  link?: { table: 'attributions' | 'associations'; column: 'artifact_id' | 'execution_id' };
}

const SPECS: Record<Kind, KindSpec> = {
  artifact: { kind: 'artifact', code: 0, table: 'artifacts', link: { table: 'attributions', column: 'artifact_id' } },
  execution: { kind: 'execution', code: 1, table: 'executions', link: { table: 'associations', column: 'execution_id' } },
  context: { kind: 'context', code: 2, table: 'contexts' },
};

interface TypeRow {
  id: number;
  kind: number;
  name: string;
  version: string;
  description: string | null;
  properties: string;
}

interface NodeRow {
  id: number;
  type_id: number;
  type_name: string;
  name: string | null;
  uri?: string | null;
  external_id: string | null;
  state?: number;
  properties: string | null;
  custom_properties: string | null;
  create_time: number;
  update_time: number;
}

interface EventRow {
  id: number;
  artifact_id: number;
  execution_id: number;
  type: number;
  path: string | null;
  time: number;
}

const MAX_PAGE = 1000;
const MAX_START_NODES = 100;

// Ids are never reused (nothing is deleted), and the store stamps create times itself, never earlier than the last
// stamp: so within a table, CREATE_TIME order is id order, and lists ordered by create time page on the primary key
// (and through a context's link table) without indexes of their own.
const SCHEMA = `
CREATE TABLE IF NOT EXISTS types (
  id INTEGER PRIMARY KEY, kind INTEGER NOT NULL, name TEXT NOT NULL, version TEXT NOT NULL DEFAULT '',
  description TEXT, properties TEXT NOT NULL DEFAULT '{}', UNIQUE (kind, name, version));
CREATE TABLE IF NOT EXISTS artifacts (
  id INTEGER PRIMARY KEY, type_id INTEGER NOT NULL, name TEXT, uri TEXT, external_id TEXT, state INTEGER NOT NULL DEFAULT 0,
  properties TEXT, custom_properties TEXT, create_time INTEGER NOT NULL, update_time INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS executions (
  id INTEGER PRIMARY KEY, type_id INTEGER NOT NULL, name TEXT, external_id TEXT, state INTEGER NOT NULL DEFAULT 0,
  properties TEXT, custom_properties TEXT, create_time INTEGER NOT NULL, update_time INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS contexts (
  id INTEGER PRIMARY KEY, type_id INTEGER NOT NULL, name TEXT NOT NULL, external_id TEXT,
  properties TEXT, custom_properties TEXT, create_time INTEGER NOT NULL, update_time INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS events (
  id INTEGER PRIMARY KEY, artifact_id INTEGER NOT NULL, execution_id INTEGER NOT NULL, type INTEGER NOT NULL,
  path TEXT, time INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS attributions (
  context_id INTEGER NOT NULL, artifact_id INTEGER NOT NULL, PRIMARY KEY (context_id, artifact_id)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS associations (
  context_id INTEGER NOT NULL, execution_id INTEGER NOT NULL, PRIMARY KEY (context_id, execution_id)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS parent_contexts (
  child_id INTEGER NOT NULL, parent_id INTEGER NOT NULL, PRIMARY KEY (child_id, parent_id)) WITHOUT ROWID;

CREATE UNIQUE INDEX IF NOT EXISTS artifacts_type_name ON artifacts (type_id, name) WHERE name IS NOT NULL;
CREATE UNIQUE INDEX IF NOT EXISTS artifacts_external_id ON artifacts (external_id) WHERE external_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS artifacts_type ON artifacts (type_id);
CREATE INDEX IF NOT EXISTS artifacts_uri ON artifacts (uri);
CREATE INDEX IF NOT EXISTS artifacts_updated ON artifacts (update_time);
CREATE INDEX IF NOT EXISTS artifacts_type_updated ON artifacts (type_id, update_time);
CREATE UNIQUE INDEX IF NOT EXISTS executions_type_name ON executions (type_id, name) WHERE name IS NOT NULL;
CREATE UNIQUE INDEX IF NOT EXISTS executions_external_id ON executions (external_id) WHERE external_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS executions_type ON executions (type_id);
CREATE INDEX IF NOT EXISTS executions_updated ON executions (update_time);
CREATE INDEX IF NOT EXISTS executions_type_updated ON executions (type_id, update_time);
CREATE UNIQUE INDEX IF NOT EXISTS contexts_type_name ON contexts (type_id, name);
CREATE UNIQUE INDEX IF NOT EXISTS contexts_external_id ON contexts (external_id) WHERE external_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS contexts_updated ON contexts (update_time);
CREATE INDEX IF NOT EXISTS contexts_type_updated ON contexts (type_id, update_time);
-- The lineage walk reads these two covering indexes only.
CREATE UNIQUE INDEX IF NOT EXISTS events_by_artifact ON events (artifact_id, execution_id, type);
CREATE INDEX IF NOT EXISTS events_by_execution ON events (execution_id, artifact_id, type);
CREATE INDEX IF NOT EXISTS attributions_by_artifact ON attributions (artifact_id, context_id);
CREATE INDEX IF NOT EXISTS associations_by_execution ON associations (execution_id, context_id);
CREATE INDEX IF NOT EXISTS parent_contexts_by_parent ON parent_contexts (parent_id, child_id);
`;

const TYPE_LABEL: Record<Kind, string> = { artifact: 'artifact type', execution: 'execution type', context: 'context type' };
const A_NODE: Record<Kind, string> = { artifact: 'an artifact', execution: 'an execution', context: 'a context' };

export class MetadataStore implements MetadataWriter {
  private readonly db: Database.Database;
  private readonly clock: () => number;
  private lastStamp: number;
  private readonly statements = new Map<string, Database.Statement>();
  // Types are read on every write and change rarely; the cache is dropped whenever a write fails (its transaction may
  // have rolled back a type it created) and whenever a type changes. One process owns the file.
  private readonly typesById = new Map<number, TypeRow>();
  private readonly typesByName = new Map<string, TypeRow[]>();

  constructor(options: MetadataStoreOptions) {
    this.db = new Database(options.path);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    // A million-node store's indexes outgrow SQLite's 2 MiB default cache at once; statement journals stay in memory.
    this.db.pragma('cache_size = -65536');
    this.db.pragma('temp_store = MEMORY');
    this.db.exec(SCHEMA);
    this.clock = options.now ?? Date.now;
    const row = this.db.prepare('SELECT max(t) AS t FROM (SELECT max(create_time) AS t FROM artifacts UNION ALL SELECT max(create_time) FROM executions UNION ALL SELECT max(create_time) FROM contexts)').get() as { t: number | null };
    this.lastStamp = row.t ?? 0;
  }

  close(): void {
    this.db.close();
  }

  /** Runs `fn` as one transaction; the puts inside it become savepoints (a loader batches thousands this way). */
  transaction<T>(fn: () => T): T {
    return this.write(fn);
  }

  // ---- types -----------------------------------------------------------------------------------------------------

  /** Get-or-create by name (and version); new properties are added, a declared property cannot change its type. */
  putArtifactType(type: MlmdType): number {
    return this.write(() => this.putType('artifact', type, 'artifact_type'));
  }

  putExecutionType(type: MlmdType): number {
    return this.write(() => this.putType('execution', type, 'execution_type'));
  }

  putContextType(type: MlmdType): number {
    return this.write(() => this.putType('context', type, 'context_type'));
  }

  getArtifactTypes(): StoredType[] {
    return this.typesOf('artifact');
  }

  getExecutionTypes(): StoredType[] {
    return this.typesOf('execution');
  }

  getContextTypes(): StoredType[] {
    return this.typesOf('context');
  }

  getArtifactType(name: string, version?: string): StoredType | undefined {
    return this.typeByName('artifact', name, version);
  }

  getExecutionType(name: string, version?: string): StoredType | undefined {
    return this.typeByName('execution', name, version);
  }

  getContextType(name: string, version?: string): StoredType | undefined {
    return this.typeByName('context', name, version);
  }

  getArtifactTypesByID(ids: number[]): StoredType[] {
    return this.typesByID('artifact', ids);
  }

  getExecutionTypesByID(ids: number[]): StoredType[] {
    return this.typesByID('execution', ids);
  }

  getContextTypesByID(ids: number[]): StoredType[] {
    return this.typesByID('context', ids);
  }

  // ---- writes ----------------------------------------------------------------------------------------------------

  /** Inserts artifacts without `id`, updates those with one (given fields replace, absent ones stay); ids in order. */
  putArtifacts(artifacts: Artifact[]): number[] {
    return this.write(() => artifacts.map((a, i) => this.upsertNode(SPECS.artifact, a, `artifacts[${i}]`)));
  }

  putExecutions(executions: Execution[]): number[] {
    return this.write(() => executions.map((e, i) => this.upsertNode(SPECS.execution, e, `executions[${i}]`)));
  }

  /** Like putArtifacts; a new context's name must be unused under its type (putContext reuses instead). */
  putContexts(contexts: Context[]): number[] {
    return this.write(() => contexts.map((c, i) => this.upsertNode(SPECS.context, c, `contexts[${i}]`)));
  }

  putContext(context: Context): number {
    return this.write(() => {
      if (context.id === undefined && typeof context.name === 'string' && context.name !== '') {
        const typeId = this.resolveTypeRef(SPECS.context, context, 'context', true);
        const found = this.stmt('SELECT id FROM contexts WHERE type_id = ? AND name = ?').get(typeId, context.name) as { id: number } | undefined;
        if (found) return found.id;
      }
      return this.upsertNode(SPECS.context, context, 'context');
    });
  }

  putParentContext(childId: number, parentId: number): void {
    this.putParentContexts([{ child_id: childId, parent_id: parentId }]);
  }

  /** Idempotent; refuses a link that would make a context its own ancestor. */
  putParentContexts(links: ParentContext[]): void {
    this.write(() => {
      links.forEach((l, i) => {
        const child = this.requireNode(SPECS.context, l.child_id, `parent_contexts[${i}].child_id`);
        const parent = this.requireNode(SPECS.context, l.parent_id, `parent_contexts[${i}].parent_id`);
        if (child === parent || this.isAncestor(child, parent)) {
          throw MetadataError.invalid(`parent_contexts[${i}]`, `context ${parent} cannot be the parent of context ${child}: that makes a cycle`);
        }
        this.stmt('INSERT OR IGNORE INTO parent_contexts (child_id, parent_id) VALUES (?, ?)').run(child, parent);
      });
    });
  }

  /**
   * MLMD's PutExecution, atomically: the execution (insert, or update when `id` is set), each artifact (insert or
   * update) with its event, and every artifact and the execution linked to `contextIds`. An event equal to a stored one
   * (same artifact, execution and type) is kept as it is, so a retried call adds nothing.
   */
  putExecution(execution: Execution, artifactEvents: ArtifactAndEvent[], contextIds: number[]): { execution_id: number; artifact_ids: number[] } {
    return this.write(() => {
      const contexts = contextIds.map((id, i) => this.requireNode(SPECS.context, id, `contexts[${i}]`));
      const executionId = this.upsertNode(SPECS.execution, execution, 'execution');
      const artifactIds = artifactEvents.map((pair, i) => {
        const field = `artifact_event_pairs[${i}]`;
        if (!pair || typeof pair !== 'object' || !pair.event || typeof pair.event !== 'object') throw MetadataError.invalid(`${field}.event`, 'required');
        let artifactId: number;
        const newArtifact = pair.artifact !== undefined && (pair.artifact.id === undefined || pair.artifact.id === null);
        if (pair.artifact !== undefined) {
          artifactId = this.upsertNode(SPECS.artifact, pair.artifact, `${field}.artifact`);
          if (pair.event.artifact_id !== undefined && pair.event.artifact_id !== artifactId) {
            throw MetadataError.invalid(`${field}.event.artifact_id`, `is ${pair.event.artifact_id} but the pair's artifact is ${artifactId}`);
          }
        } else {
          if (pair.event.artifact_id === undefined) throw MetadataError.invalid(`${field}.event.artifact_id`, 'required when the pair has no artifact');
          artifactId = this.requireNode(SPECS.artifact, pair.event.artifact_id, `${field}.event.artifact_id`);
        }
        this.insertEvent({ ...pair.event, artifact_id: artifactId, execution_id: executionId }, `${field}.event`, true, { artifact: true, execution: true, newArtifact });
        for (const c of contexts) this.stmt('INSERT OR IGNORE INTO attributions (context_id, artifact_id) VALUES (?, ?)').run(c, artifactId);
        return artifactId;
      });
      for (const c of contexts) this.stmt('INSERT OR IGNORE INTO associations (context_id, execution_id) VALUES (?, ?)').run(c, executionId);
      return { execution_id: executionId, artifact_ids: artifactIds };
    });
  }

  /** Each event must name stored nodes; one equal to a stored event (artifact, execution, type) is ALREADY_EXISTS. */
  putEvents(events: Event[]): void {
    this.write(() => {
      events.forEach((e, i) => {
        if (!e || typeof e !== 'object') throw MetadataError.invalid(`events[${i}]`, 'must be an Event object');
        this.insertEvent(e, `events[${i}]`, false);
      });
    });
  }

  /** Idempotent. */
  putAttributionsAndAssociations(attributions: Attribution[], associations: Association[]): void {
    this.write(() => {
      attributions.forEach((a, i) => {
        const artifact = this.requireNode(SPECS.artifact, a.artifact_id, `attributions[${i}].artifact_id`);
        const context = this.requireNode(SPECS.context, a.context_id, `attributions[${i}].context_id`);
        this.stmt('INSERT OR IGNORE INTO attributions (context_id, artifact_id) VALUES (?, ?)').run(context, artifact);
      });
      associations.forEach((a, i) => {
        const execution = this.requireNode(SPECS.execution, a.execution_id, `associations[${i}].execution_id`);
        const context = this.requireNode(SPECS.context, a.context_id, `associations[${i}].context_id`);
        this.stmt('INSERT OR IGNORE INTO associations (context_id, execution_id) VALUES (?, ?)').run(context, execution);
      });
    });
  }

  // ---- reads by id, name, uri ------------------------------------------------------------------------------------

  /** In the order of `ids`; unknown ids are left out. */
  getArtifactsByID(ids: number[]): Artifact[] {
    return this.nodesByID(SPECS.artifact, ids).map(toArtifact);
  }

  getExecutionsByID(ids: number[]): Execution[] {
    return this.nodesByID(SPECS.execution, ids).map(toExecution);
  }

  getContextsByID(ids: number[]): Context[] {
    return this.nodesByID(SPECS.context, ids).map(toContext);
  }

  getArtifactByTypeAndName(typeName: string, name: string, typeVersion?: string): Artifact | undefined {
    const row = this.nodeByTypeAndName(SPECS.artifact, typeName, name, typeVersion);
    return row && toArtifact(row);
  }

  getExecutionByTypeAndName(typeName: string, name: string, typeVersion?: string): Execution | undefined {
    const row = this.nodeByTypeAndName(SPECS.execution, typeName, name, typeVersion);
    return row && toExecution(row);
  }

  getContextByTypeAndName(typeName: string, name: string, typeVersion?: string): Context | undefined {
    const row = this.nodeByTypeAndName(SPECS.context, typeName, name, typeVersion);
    return row && toContext(row);
  }

  /** Every artifact with this uri, by id. */
  getArtifactsByURI(uri: string): Artifact[] {
    return (this.stmt(`${selectNodes('artifacts')} WHERE n.uri = ? ORDER BY n.id`).all(uri) as NodeRow[]).map(toArtifact);
  }

  getArtifactsByExternalIds(externalIds: string[]): Artifact[] {
    return this.nodesByExternalID(SPECS.artifact, externalIds).map(toArtifact);
  }

  getExecutionsByExternalIds(externalIds: string[]): Execution[] {
    return this.nodesByExternalID(SPECS.execution, externalIds).map(toExecution);
  }

  getContextsByExternalIds(externalIds: string[]): Context[] {
    return this.nodesByExternalID(SPECS.context, externalIds).map(toContext);
  }

  // ---- lists -----------------------------------------------------------------------------------------------------

  getArtifacts(filter: ListFilter = {}, options: ListOptions = {}): ArtifactPage {
    const page = this.list(SPECS.artifact, filter, options);
    return { artifacts: page.rows.map(toArtifact), ...tokenField(page.next) };
  }

  getExecutions(filter: ListFilter = {}, options: ListOptions = {}): ExecutionPage {
    const page = this.list(SPECS.execution, filter, options);
    return { executions: page.rows.map(toExecution), ...tokenField(page.next) };
  }

  getContexts(filter: Omit<ListFilter, 'uri' | 'context_id'> = {}, options: ListOptions = {}): ContextPage {
    const page = this.list(SPECS.context, filter, options);
    return { contexts: page.rows.map(toContext), ...tokenField(page.next) };
  }

  getArtifactsByType(typeName: string, options: ListOptions = {}): ArtifactPage {
    return this.getArtifacts({ type: typeName }, options);
  }

  getExecutionsByType(typeName: string, options: ListOptions = {}): ExecutionPage {
    return this.getExecutions({ type: typeName }, options);
  }

  getContextsByType(typeName: string, options: ListOptions = {}): ContextPage {
    return this.getContexts({ type: typeName }, options);
  }

  /** NOT_FOUND when the context does not exist. */
  getArtifactsByContext(contextId: number, options: ListOptions = {}): ArtifactPage {
    this.requireNode(SPECS.context, contextId, 'context_id', 'NOT_FOUND');
    return this.getArtifacts({ context_id: contextId }, options);
  }

  getExecutionsByContext(contextId: number, options: ListOptions = {}): ExecutionPage {
    this.requireNode(SPECS.context, contextId, 'context_id', 'NOT_FOUND');
    return this.getExecutions({ context_id: contextId }, options);
  }

  // ---- events and context links ----------------------------------------------------------------------------------

  /** By artifact id, then event id. */
  getEventsByArtifactIDs(ids: number[]): Event[] {
    return (this.stmt('SELECT * FROM events WHERE artifact_id IN (SELECT value FROM json_each(?)) ORDER BY artifact_id, id').all(JSON.stringify(ids)) as EventRow[]).map(toEvent);
  }

  getEventsByExecutionIDs(ids: number[]): Event[] {
    return (this.stmt('SELECT * FROM events WHERE execution_id IN (SELECT value FROM json_each(?)) ORDER BY execution_id, id').all(JSON.stringify(ids)) as EventRow[]).map(toEvent);
  }

  getContextsByArtifact(artifactId: number): Context[] {
    return (this.stmt(`${selectNodes('contexts')} JOIN attributions l ON l.context_id = n.id WHERE l.artifact_id = ? ORDER BY n.id`).all(artifactId) as NodeRow[]).map(toContext);
  }

  getContextsByExecution(executionId: number): Context[] {
    return (this.stmt(`${selectNodes('contexts')} JOIN associations l ON l.context_id = n.id WHERE l.execution_id = ? ORDER BY n.id`).all(executionId) as NodeRow[]).map(toContext);
  }

  getParentContextsByContext(contextId: number): Context[] {
    return (this.stmt(`${selectNodes('contexts')} JOIN parent_contexts p ON p.parent_id = n.id WHERE p.child_id = ? ORDER BY n.id`).all(contextId) as NodeRow[]).map(toContext);
  }

  getChildrenContextsByContext(contextId: number): Context[] {
    return (this.stmt(`${selectNodes('contexts')} JOIN parent_contexts p ON p.child_id = n.id WHERE p.parent_id = ? ORDER BY n.id`).all(contextId) as NodeRow[]).map(toContext);
  }

  // ---- lineage ---------------------------------------------------------------------------------------------------

  /**
   * MLMD's GetLineageSubgraph, a page at a time: the nodes within `max_hops` events of the starting nodes in
   * `direction`, in walk order (nearest first), `page_size` nodes a page, and the events among the nodes returned so
   * far (each event once over all pages). A walk has no index to seek into, so a later page replays the walk up to its
   * start: its cost grows with its depth, within the bound of the subgraph.
   */
  getLineageSubgraph(query: LineageQuery): LineageGraph {
    const artifactIds = (query.artifact_ids ?? []).map((id, i) => checkId(id, `artifact_ids[${i}]`));
    const executionIds = (query.execution_ids ?? []).map((id, i) => checkId(id, `execution_ids[${i}]`));
    if (artifactIds.length + executionIds.length === 0) throw MetadataError.invalid('artifact_ids', 'give at least one starting artifact or execution');
    if (artifactIds.length + executionIds.length > MAX_START_NODES) throw MetadataError.invalid('artifact_ids', `at most ${MAX_START_NODES} starting nodes`);
    const direction: LineageDirection = query.direction ?? 'BIDIRECTIONAL';
    if (!['UPSTREAM', 'DOWNSTREAM', 'BIDIRECTIONAL'].includes(direction)) throw MetadataError.invalid('direction', `must be UPSTREAM, DOWNSTREAM or BIDIRECTIONAL, not ${JSON.stringify(direction)}`);
    const maxHops = query.max_hops ?? 20;
    if (!Number.isSafeInteger(maxHops) || maxHops < 0) throw MetadataError.invalid('max_hops', `must be a non-negative integer, not ${JSON.stringify(maxHops)}`);
    const pageSize = checkPageSize(query.page_size, 100);
    const present = new Set(this.nodesByID(SPECS.artifact, artifactIds).map((r) => r.id));
    artifactIds.forEach((id, i) => {
      if (!present.has(id)) throw MetadataError.notFound(`artifact_ids[${i}]`, `no artifact with id ${id}`);
    });
    const presentExecutions = new Set(this.nodesByID(SPECS.execution, executionIds).map((r) => r.id));
    executionIds.forEach((id, i) => {
      if (!presentExecutions.has(id)) throw MetadataError.notFound(`execution_ids[${i}]`, `no execution with id ${id}`);
    });
    const fp = fingerprint(['lineage', artifactIds, executionIds, direction, maxHops]);
    const offset = query.page_token === undefined || query.page_token === '' ? 0 : decodeToken(query.page_token, fp, 1)[0]!;

    // One read transaction, so the replayed walk and the rows it returns see the same snapshot.
    return this.db.transaction(() => {
      const walk = walkLineage(this.edgeSource(), { artifacts: artifactIds, executions: executionIds }, direction, maxHops);
      const page = pageOfWalk(walk, offset, pageSize);
      const graph: LineageGraph = {
        artifacts: this.getArtifactsByID(page.artifacts),
        executions: this.getExecutionsByID(page.executions),
        events: this.eventsByID(page.edges),
      };
      if (query.include_contexts) {
        const contexts = this.stmt(
          `SELECT context_id AS id FROM attributions WHERE artifact_id IN (SELECT value FROM json_each(?))
           UNION SELECT context_id FROM associations WHERE execution_id IN (SELECT value FROM json_each(?)) ORDER BY 1`,
        ).all(JSON.stringify(page.artifacts), JSON.stringify(page.executions)) as { id: number }[];
        graph.contexts = this.getContextsByID(contexts.map((c) => c.id));
      }
      if (page.nextOffset !== undefined) graph.next_page_token = encodeToken(fp, [page.nextOffset]);
      return graph;
    })();
  }

  // ---- internals -------------------------------------------------------------------------------------------------

  private stmt(sql: string): Database.Statement {
    let s = this.statements.get(sql);
    if (!s) {
      s = this.db.prepare(sql);
      this.statements.set(sql, s);
    }
    return s;
  }

  private write<T>(fn: () => T): T {
    try {
      return this.db.transaction(fn)();
    } catch (err) {
      this.forgetTypes();
      throw err;
    }
  }

  private forgetTypes(): void {
    this.typesById.clear();
    this.typesByName.clear();
  }

  private typeRow(id: number): TypeRow | undefined {
    let row = this.typesById.get(id);
    if (!row) {
      row = this.stmt('SELECT * FROM types WHERE id = ?').get(id) as TypeRow | undefined;
      if (row) this.typesById.set(id, row);
    }
    return row;
  }

  /** Every version of a type name, by version. */
  private typesNamed(kind: Kind, name: string): TypeRow[] {
    const key = `${SPECS[kind].code}:${name}`;
    let rows = this.typesByName.get(key);
    if (!rows) {
      rows = this.stmt('SELECT * FROM types WHERE kind = ? AND name = ? ORDER BY version').all(SPECS[kind].code, name) as TypeRow[];
      if (rows.length > 0) this.typesByName.set(key, rows);
    }
    return rows;
  }

  /** The next create/update time: the clock, but never earlier than the last one handed out. */
  private stamp(): number {
    this.lastStamp = Math.max(this.clock(), this.lastStamp);
    return this.lastStamp;
  }

  private edgeSource(): EdgeSource {
    // The limit is a literal: a bound LIMIT costs SQLite more than the whole index seek here.
    const byArtifact = this.stmt(`SELECT id, artifact_id, execution_id, type FROM events WHERE artifact_id = ? AND (execution_id, type) > (?, ?) ORDER BY execution_id, type LIMIT ${EDGE_CHUNK}`);
    const byExecution = this.stmt(`SELECT id, artifact_id, execution_id, type FROM events WHERE execution_id = ? AND (artifact_id, type) > (?, ?) ORDER BY artifact_id, type LIMIT ${EDGE_CHUNK}`);
    return {
      eventsOfArtifact: (id, after) => byArtifact.all(id, after[0], after[1]) as Edge[],
      eventsOfExecution: (id, after) => byExecution.all(id, after[0], after[1]) as Edge[],
    };
  }

  private eventsByID(edges: Edge[]): Event[] {
    if (edges.length === 0) return [];
    const rows = this.stmt('SELECT * FROM events WHERE id IN (SELECT value FROM json_each(?))').all(JSON.stringify(edges.map((e) => e.id))) as EventRow[];
    const byId = new Map(rows.map((r) => [r.id, r]));
    return edges.flatMap((e) => {
      const r = byId.get(e.id);
      return r ? [toEvent(r)] : [];
    });
  }

  private putType(kind: Kind, input: MlmdType, field: string): number {
    if (!input || typeof input !== 'object') throw MetadataError.invalid(field, 'must be a type object');
    if (typeof input.name !== 'string' || input.name === '') throw MetadataError.invalid(`${field}.name`, 'required');
    const version = optionalString(input.version, `${field}.version`) ?? '';
    const description = optionalString(input.description, `${field}.description`);
    const props = input.properties ?? {};
    if (typeof props !== 'object' || Array.isArray(props)) throw MetadataError.invalid(`${field}.properties`, 'must be a map of name to PropertyType');
    for (const [name, t] of Object.entries(props)) enumCode(PROPERTY_TYPES, t, `${field}.properties.${name}`);
    const existing = this.stmt('SELECT * FROM types WHERE kind = ? AND name = ? AND version = ?').get(SPECS[kind].code, input.name, version) as TypeRow | undefined;
    if (input.id !== undefined && existing?.id !== input.id) {
      throw MetadataError.invalid(`${field}.id`, existing ? `is ${input.id} but ${TYPE_LABEL[kind]} "${input.name}" has id ${existing.id}` : `no ${TYPE_LABEL[kind]} named "${input.name}" has id ${input.id}`);
    }
    if (!existing) {
      this.forgetTypes();
      return Number(this.stmt('INSERT INTO types (kind, name, version, description, properties) VALUES (?, ?, ?, ?, ?)').run(SPECS[kind].code, input.name, version, description ?? null, JSON.stringify(props)).lastInsertRowid);
    }
    const declared = JSON.parse(existing.properties) as Record<string, PropertyType>;
    let changed = false;
    for (const [name, t] of Object.entries(props)) {
      if (declared[name] === undefined) {
        declared[name] = t;
        changed = true;
      } else if (declared[name] !== t) {
        throw MetadataError.alreadyExists(`${field}.properties.${name}`, `${TYPE_LABEL[kind]} "${input.name}" declares it as ${declared[name]}; it cannot become ${t}`);
      }
    }
    if (changed || (description !== undefined && description !== existing.description)) {
      this.forgetTypes();
      this.stmt('UPDATE types SET properties = ?, description = ? WHERE id = ?').run(JSON.stringify(declared), description ?? existing.description, existing.id);
    }
    return existing.id;
  }

  /**
   * The type a node names by `type_id` or `type`. A type named by `type` is created on first use (PutArtifactType with
   * can_add_fields), one named by id must exist. Undefined when neither is given and `required` is false.
   */
  private resolveTypeRef(spec: KindSpec, input: { type_id?: unknown; type?: unknown }, field: string, required: boolean): number | undefined {
    const label = TYPE_LABEL[spec.kind];
    let byId: TypeRow | undefined;
    if (input.type_id !== undefined && input.type_id !== null) {
      const id = checkId(input.type_id, `${field}.type_id`);
      byId = this.typeRow(id);
      if (byId?.kind !== spec.code) byId = undefined;
      if (!byId) throw MetadataError.invalid(`${field}.type_id`, `no ${label} with id ${id}`);
    }
    if (input.type !== undefined && input.type !== null) {
      if (typeof input.type !== 'string' || input.type === '') throw MetadataError.invalid(`${field}.type`, 'must be a type name');
      if (byId) {
        if (byId.name !== input.type) throw MetadataError.invalid(`${field}.type`, `is "${input.type}" but type_id ${byId.id} is ${label} "${byId.name}"`);
        return byId.id;
      }
      const rows = this.typesNamed(spec.kind, input.type);
      if (rows.length > 1) throw MetadataError.invalid(`${field}.type`, `${label} "${input.type}" has versions ${rows.map((r) => JSON.stringify(r.version)).join(', ')}: give type_id`);
      return rows[0]?.id ?? this.putType(spec.kind, { name: input.type }, `${field}.type`);
    }
    if (byId) return byId.id;
    if (required) throw MetadataError.invalid(`${field}.type_id`, `required (or type, the ${label}'s name)`);
    return undefined;
  }

  /** Checks `properties` against the type's declarations; a type named by `type` gains the undeclared ones. */
  private checkProperties(typeId: number, properties: unknown, canAdd: boolean, field: string): string | null {
    const { values, json } = checkValues(properties, `${field}.properties`);
    if (json === null) return null;
    const type = this.typeRow(typeId)!;
    const declared = JSON.parse(type.properties) as Record<string, PropertyType>;
    const added: Record<string, PropertyType> = {};
    for (const [name, value] of Object.entries(values)) {
      const kind = valueKind(value);
      const want = declared[name];
      if (want === undefined) {
        if (!canAdd) throw MetadataError.invalid(`${field}.properties.${name}`, `type "${type.name}" declares no property "${name}" (declared: ${Object.keys(declared).join(', ') || 'none'}); declare it or use custom_properties`);
        added[name] = kind;
      } else if (want !== kind && want !== 'UNKNOWN') {
        throw MetadataError.invalid(`${field}.properties.${name}`, `type "${type.name}" declares it ${want}, not ${kind}`);
      }
    }
    if (Object.keys(added).length > 0) {
      this.forgetTypes();
      this.stmt('UPDATE types SET properties = ? WHERE id = ?').run(JSON.stringify({ ...declared, ...added }), typeId);
    }
    return json;
  }

  private upsertNode(spec: KindSpec, input: Artifact | Execution | Context, field: string): number {
    if (!input || typeof input !== 'object' || Array.isArray(input)) throw MetadataError.invalid(field, `must be ${A_NODE[spec.kind]} object`);
    const raw = input as unknown as Record<string, unknown>;
    const label = spec.kind;
    const id = raw.id === undefined || raw.id === null ? undefined : checkId(raw.id, `${field}.id`);
    const existing = id === undefined ? undefined : this.nodeRow(spec, id);
    if (id !== undefined && !existing) throw MetadataError.notFound(`${field}.id`, `no ${label} with id ${id}`);
    const typeId = this.resolveTypeRef(spec, raw, field, !existing) ?? existing!.type_id;
    if (existing && typeId !== existing.type_id) throw MetadataError.invalid(`${field}.type_id`, `${label} ${existing.id} has type ${existing.type_id}; the type of ${A_NODE[spec.kind]} cannot change`);
    const typeName = this.typeRow(typeId)!.name;

    const name = optionalString(raw.name, `${field}.name`);
    if (name === '') throw MetadataError.invalid(`${field}.name`, 'must not be empty (leave it out for none)');
    if (spec.kind === 'context' && !existing && name === undefined) throw MetadataError.invalid(`${field}.name`, 'required: a context is found by its type and name');
    if (existing && existing.name !== null && name !== undefined && name !== existing.name) {
      throw MetadataError.invalid(`${field}.name`, `is "${name}" but ${label} ${existing.id} is named "${existing.name}"; a name cannot change`);
    }
    if (name !== undefined && name !== existing?.name) {
      const clash = this.stmt(`SELECT id FROM ${spec.table} WHERE type_id = ? AND name = ?`).get(typeId, name) as { id: number } | undefined;
      if (clash) throw MetadataError.alreadyExists(`${field}.name`, `${TYPE_LABEL[spec.kind]} "${typeName}" already has ${A_NODE[spec.kind]} named "${name}" (id ${clash.id})`);
    }
    const externalId = optionalString(raw.external_id, `${field}.external_id`);
    if (externalId === '') throw MetadataError.invalid(`${field}.external_id`, 'must not be empty (leave it out for none)');
    if (externalId !== undefined && externalId !== existing?.external_id) {
      const clash = this.stmt(`SELECT id FROM ${spec.table} WHERE external_id = ?`).get(externalId) as { id: number } | undefined;
      if (clash) throw MetadataError.alreadyExists(`${field}.external_id`, `"${externalId}" is already the external_id of ${label} ${clash.id}`);
    }
    const properties = raw.properties === undefined ? existing?.properties ?? null : this.checkProperties(typeId, raw.properties, typeof raw.type === 'string' && (raw.type_id === undefined || raw.type_id === null), field);
    const custom = raw.custom_properties === undefined ? existing?.custom_properties ?? null : checkValues(raw.custom_properties, `${field}.custom_properties`).json;
    const now = this.stamp();

    if (spec.kind === 'artifact') {
      const uri = optionalString(raw.uri, `${field}.uri`);
      const state = raw.state === undefined ? existing?.state ?? 0 : enumCode(ARTIFACT_STATES, raw.state, `${field}.state`);
      if (existing) {
        this.stmt('UPDATE artifacts SET name = ?, uri = ?, external_id = ?, state = ?, properties = ?, custom_properties = ?, update_time = ? WHERE id = ?')
          .run(name ?? existing.name, uri ?? existing.uri ?? null, externalId ?? existing.external_id, state, properties, custom, now, existing.id);
        return existing.id;
      }
      return Number(this.stmt('INSERT INTO artifacts (type_id, name, uri, external_id, state, properties, custom_properties, create_time, update_time) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)')
        .run(typeId, name ?? null, uri ?? null, externalId ?? null, state, properties, custom, now, now).lastInsertRowid);
    }
    if (spec.kind === 'execution') {
      const state = raw.last_known_state === undefined ? existing?.state ?? 0 : enumCode(EXECUTION_STATES, raw.last_known_state, `${field}.last_known_state`);
      if (existing) {
        this.stmt('UPDATE executions SET name = ?, external_id = ?, state = ?, properties = ?, custom_properties = ?, update_time = ? WHERE id = ?')
          .run(name ?? existing.name, externalId ?? existing.external_id, state, properties, custom, now, existing.id);
        return existing.id;
      }
      return Number(this.stmt('INSERT INTO executions (type_id, name, external_id, state, properties, custom_properties, create_time, update_time) VALUES (?, ?, ?, ?, ?, ?, ?, ?)')
        .run(typeId, name ?? null, externalId ?? null, state, properties, custom, now, now).lastInsertRowid);
    }
    if (existing) {
      this.stmt('UPDATE contexts SET external_id = ?, properties = ?, custom_properties = ?, update_time = ? WHERE id = ?').run(externalId ?? existing.external_id, properties, custom, now, existing.id);
      return existing.id;
    }
    return Number(this.stmt('INSERT INTO contexts (type_id, name, external_id, properties, custom_properties, create_time, update_time) VALUES (?, ?, ?, ?, ?, ?, ?)')
      .run(typeId, name!, externalId ?? null, properties, custom, now, now).lastInsertRowid);
  }

  /**
   * `checked` names the ends the caller has just written or checked: their existence is not looked up again, and an
   * event of a new artifact cannot be a duplicate.
   */
  private insertEvent(input: Partial<Event>, field: string, reuseEqual: boolean, checked: { artifact: boolean; execution: boolean; newArtifact: boolean } = { artifact: false, execution: false, newArtifact: false }): void {
    const artifactId = checked.artifact ? (input.artifact_id as number) : this.requireNode(SPECS.artifact, input.artifact_id, `${field}.artifact_id`);
    const executionId = checked.execution ? (input.execution_id as number) : this.requireNode(SPECS.execution, input.execution_id, `${field}.execution_id`);
    const type = enumCode(EVENT_TYPES, input.type, `${field}.type`);
    const path = checkPath(input.path, `${field}.path`);
    const time = input.milliseconds_since_epoch ?? this.stamp();
    if (!Number.isSafeInteger(time)) throw MetadataError.invalid(`${field}.milliseconds_since_epoch`, `must be an integer, not ${JSON.stringify(time)}`);
    const same = !checked.newArtifact && this.stmt('SELECT id FROM events WHERE artifact_id = ? AND execution_id = ? AND type = ?').get(artifactId, executionId, type);
    if (same) {
      if (reuseEqual) return;
      throw MetadataError.alreadyExists(field, `artifact ${artifactId} already has a ${EVENT_TYPES[type]} event with execution ${executionId}`);
    }
    this.stmt('INSERT INTO events (artifact_id, execution_id, type, path, time) VALUES (?, ?, ?, ?, ?)').run(artifactId, executionId, type, path, time);
  }

  /** The id, checked to be a stored node of `spec`'s kind. */
  private requireNode(spec: KindSpec, id: unknown, field: string, code: 'INVALID_ARGUMENT' | 'NOT_FOUND' = 'INVALID_ARGUMENT'): number {
    if (id === undefined || id === null) throw MetadataError.invalid(field, 'required');
    const n = checkId(id, field);
    if (!this.stmt(`SELECT 1 FROM ${spec.table} WHERE id = ?`).get(n)) {
      throw code === 'NOT_FOUND' ? MetadataError.notFound(field, `no ${spec.kind} with id ${n}`) : MetadataError.invalid(field, `no ${spec.kind} with id ${n}`);
    }
    return n;
  }

  private isAncestor(ancestor: number, of: number): boolean {
    const row = this.stmt(
      `WITH RECURSIVE up(id) AS (SELECT parent_id FROM parent_contexts WHERE child_id = ?
         UNION SELECT p.parent_id FROM parent_contexts p JOIN up ON p.child_id = up.id)
       SELECT 1 FROM up WHERE id = ? LIMIT 1`,
    ).get(of, ancestor);
    return row !== undefined;
  }

  private nodeRow(spec: KindSpec, id: number): NodeRow | undefined {
    return this.stmt(`${selectNodes(spec.table)} WHERE n.id = ?`).get(id) as NodeRow | undefined;
  }

  private nodesByID(spec: KindSpec, ids: number[]): NodeRow[] {
    if (ids.length === 0) return [];
    const rows = this.stmt(`${selectNodes(spec.table)} WHERE n.id IN (SELECT value FROM json_each(?))`).all(JSON.stringify(ids)) as NodeRow[];
    const byId = new Map(rows.map((r) => [r.id, r]));
    const out: NodeRow[] = [];
    for (const id of new Set(ids)) {
      const r = byId.get(id);
      if (r) out.push(r);
    }
    return out;
  }

  private nodesByExternalID(spec: KindSpec, externalIds: string[]): NodeRow[] {
    if (externalIds.length === 0) return [];
    return this.stmt(`${selectNodes(spec.table)} WHERE n.external_id IN (SELECT value FROM json_each(?)) ORDER BY n.id`).all(JSON.stringify(externalIds)) as NodeRow[];
  }

  private nodeByTypeAndName(spec: KindSpec, typeName: string, name: string, typeVersion?: string): NodeRow | undefined {
    return this.stmt(`${selectNodes(spec.table)} WHERE n.type_id = (SELECT id FROM types WHERE kind = ? AND name = ? AND version = ?) AND n.name = ?`)
      .get(spec.code, typeName, typeVersion ?? '', name) as NodeRow | undefined;
  }

  private typesOf(kind: Kind): StoredType[] {
    return (this.stmt('SELECT * FROM types WHERE kind = ? ORDER BY id').all(SPECS[kind].code) as TypeRow[]).map(toType);
  }

  private typeByName(kind: Kind, name: string, version?: string): StoredType | undefined {
    const row = this.stmt('SELECT * FROM types WHERE kind = ? AND name = ? AND version = ?').get(SPECS[kind].code, name, version ?? '') as TypeRow | undefined;
    return row && toType(row);
  }

  private typesByID(kind: Kind, ids: number[]): StoredType[] {
    return (this.stmt('SELECT * FROM types WHERE kind = ? AND id IN (SELECT value FROM json_each(?)) ORDER BY id').all(SPECS[kind].code, JSON.stringify(ids)) as TypeRow[]).map(toType);
  }

  /**
   * One page of a filtered list, by keyset: the token holds the last row's sort key, and the next page seeks past it
   * on an index (the id, or (type_id, update_time, id)), so a deep page costs what the first one does.
   */
  private list(spec: KindSpec, filter: ListFilter, options: ListOptions): { rows: NodeRow[]; next: string | undefined } {
    const pageSize = checkPageSize(options.page_size, 20);
    const orderBy: OrderByField = options.order_by ?? 'ID';
    if (!['ID', 'CREATE_TIME', 'LAST_UPDATE_TIME'].includes(orderBy)) throw MetadataError.invalid('order_by', `must be CREATE_TIME, LAST_UPDATE_TIME or ID, not ${JSON.stringify(orderBy)}`);
    const asc = options.is_asc ?? true;
    const byUpdate = orderBy === 'LAST_UPDATE_TIME';
    const fp = fingerprint([spec.kind, filter.type ?? null, filter.name ?? null, filter.uri ?? null, filter.context_id ?? null, byUpdate, asc]);
    const cursor = options.page_token === undefined || options.page_token === '' ? undefined : decodeToken(options.page_token, fp, 2);

    const where: string[] = [];
    const args: unknown[] = [];
    let from = `${spec.table} n JOIN types t ON t.id = n.type_id`;
    // Through a context the link table's primary key (context_id, member id) gives id order.
    let idColumn = 'n.id';
    if (filter.context_id !== undefined) {
      if (!spec.link) throw MetadataError.invalid('context_id', `${spec.table} cannot be filtered by context`);
      from = `${spec.link.table} l JOIN ${spec.table} n ON n.id = l.${spec.link.column} JOIN types t ON t.id = n.type_id`;
      idColumn = `l.${spec.link.column}`;
      where.push('l.context_id = ?');
      args.push(checkId(filter.context_id, 'context_id'));
    }
    if (filter.type !== undefined) {
      const ids = (this.stmt('SELECT id FROM types WHERE kind = ? AND name = ?').all(spec.code, filter.type) as { id: number }[]).map((r) => r.id);
      if (ids.length === 0) return { rows: [], next: undefined };
      where.push(`n.type_id IN (${ids.map(() => '?').join(', ')})`);
      args.push(...ids);
    }
    if (filter.name !== undefined) {
      // Without a type, still seek on the unique (type_id, name) index: one probe per type of this kind.
      if (filter.type === undefined) {
        where.push('n.type_id IN (SELECT id FROM types WHERE kind = ?)');
        args.push(spec.code);
      }
      where.push('n.name = ?');
      args.push(filter.name);
    }
    if (filter.uri !== undefined) {
      if (spec.kind !== 'artifact') throw MetadataError.invalid('uri', `only artifacts have a uri`);
      where.push('n.uri = ?');
      args.push(filter.uri);
    }

    const dir = asc ? 'ASC' : 'DESC';
    const cmp = asc ? '>' : '<';
    const run = (extra: string[], extraArgs: unknown[], order: string, limit: number): NodeRow[] => {
      const clauses = [...where, ...extra];
      const sql = `SELECT n.*, t.name AS type_name FROM ${from}${clauses.length ? ` WHERE ${clauses.join(' AND ')}` : ''} ORDER BY ${order} LIMIT ?`;
      return this.stmt(sql).all(...args, ...extraArgs, limit) as NodeRow[];
    };
    let rows: NodeRow[];
    if (!byUpdate) {
      rows = cursor ? run([`${idColumn} ${cmp} ?`], [cursor[1]], `${idColumn} ${dir}`, pageSize + 1) : run([], [], `${idColumn} ${dir}`, pageSize + 1);
    } else if (!cursor) {
      rows = run([], [], `n.update_time ${dir}, n.id ${dir}`, pageSize + 1);
    } else {
      // The rest of the cursor's update_time, then later times: two exact index seeks, where one row-value range
      // would scan every row that shares the cursor's time.
      rows = run(['n.update_time = ?', `n.id ${cmp} ?`], [cursor[0], cursor[1]], `n.id ${dir}`, pageSize + 1);
      if (rows.length <= pageSize) rows = rows.concat(run([`n.update_time ${cmp} ?`], [cursor[0]], `n.update_time ${dir}, n.id ${dir}`, pageSize + 1 - rows.length));
    }
    const more = rows.length > pageSize;
    if (more) rows = rows.slice(0, pageSize);
    const last = rows[rows.length - 1];
    return { rows, next: more && last ? encodeToken(fp, [byUpdate ? last.update_time : 0, last.id]) : undefined };
  }
}

function checkPageSize(value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1 || value > MAX_PAGE) throw MetadataError.invalid('page_size', `must be an integer from 1 to ${MAX_PAGE}, not ${JSON.stringify(value)}`);
  return value;
}

function tokenField(next: string | undefined): { next_page_token?: string } {
  return next === undefined ? {} : { next_page_token: next };
}

function selectNodes(table: string): string {
  return `SELECT n.*, t.name AS type_name FROM ${table} n JOIN types t ON t.id = n.type_id`;
}

function toType(row: TypeRow): StoredType {
  const t: StoredType = { id: row.id, name: row.name, properties: JSON.parse(row.properties) as Record<string, PropertyType> };
  if (row.version !== '') t.version = row.version;
  if (row.description !== null) t.description = row.description;
  return t;
}

function common(row: NodeRow): Omit<Artifact, 'uri' | 'state'> {
  const out: Omit<Artifact, 'uri' | 'state'> = { id: row.id, type_id: row.type_id, type: row.type_name };
  if (row.name !== null) out.name = row.name;
  if (row.external_id !== null) out.external_id = row.external_id;
  if (row.properties !== null) out.properties = JSON.parse(row.properties) as Record<string, MlmdValue>;
  if (row.custom_properties !== null) out.custom_properties = JSON.parse(row.custom_properties) as Record<string, MlmdValue>;
  return out;
}

function toArtifact(row: NodeRow): Artifact {
  const a: Artifact = common(row);
  if (row.uri !== null && row.uri !== undefined) a.uri = row.uri;
  a.state = enumName(ARTIFACT_STATES, row.state ?? 0);
  a.create_time_since_epoch = row.create_time;
  a.last_update_time_since_epoch = row.update_time;
  return a;
}

function toExecution(row: NodeRow): Execution {
  const e: Execution = common(row);
  e.last_known_state = enumName(EXECUTION_STATES, row.state ?? 0);
  e.create_time_since_epoch = row.create_time;
  e.last_update_time_since_epoch = row.update_time;
  return e;
}

function toContext(row: NodeRow): Context {
  const c = common(row) as Context;
  c.create_time_since_epoch = row.create_time;
  c.last_update_time_since_epoch = row.update_time;
  return c;
}

function toEvent(row: EventRow): Event {
  const e: Event = { artifact_id: row.artifact_id, execution_id: row.execution_id, type: enumName(EVENT_TYPES, row.type), milliseconds_since_epoch: row.time };
  if (row.path !== null) e.path = JSON.parse(row.path) as NonNullable<Event['path']>;
  return e;
}
