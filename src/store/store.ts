// The embedded store: durable objects in SQLite with one resourceVersion counter, optimistic concurrency,
// finalizer-aware deletion, an owner index, and a change log that watches replay from.
import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { errors, FloeError } from '../api/errors.js';
import { clone, type KubeObject, type WatchEventType } from '../api/meta.js';
import type { ValueTransformer } from './encryption.js';
import { preparePrivateDatabase } from './private-file.js';

/** Identifies a resource in the store: `group/plural`, with '' for the core group (`/pods`). */
export type ResourceKey = string;

export function resourceKey(group: string, plural: string): ResourceKey {
  return `${group}/${plural}`;
}

export interface StoreOptions {
  /** SQLite file, or ':memory:' for tests that need no durability. */
  path: string;
  /** How many changes the log keeps for watch resumption before compacting older ones (410 Gone). */
  historyLimit?: number;
  /** Injected clock, for tests. */
  now?: () => Date;
  /** Encryption at rest (encryption.ts): applied to every stored value, in objects and in the change log. */
  transformer?: ValueTransformer;
}

export interface StoreChange {
  type: Exclude<WatchEventType, 'BOOKMARK' | 'ERROR'>;
  resource: ResourceKey;
  revision: number;
  object: KubeObject;
  /** The object before a MODIFIED change, when the change happened live (not replayed from the log). */
  previous?: KubeObject;
}

export interface ListResult {
  items: KubeObject[];
  revision: number;
  /** The `namespace/name` key to continue after, when more remain. */
  continueAfter?: string;
  remaining?: number;
}

export interface ListQuery {
  namespace?: string;
  /** Start after this `namespace/name` key. */
  after?: string;
  limit?: number;
  filter?: (object: KubeObject) => boolean;
}

export interface DeleteRequest {
  preconditions?: { uid?: string; resourceVersion?: string };
  /** Finalizer to add before marking for deletion (`foregroundDeletion` or `orphan`), for propagation policies. */
  propagationFinalizer?: string;
  /** Mark for deletion even without finalizers (namespaces, gracefully deleted Pods). */
  alwaysMark?: boolean;
  gracePeriodSeconds?: number;
}

export type Listener = (change: StoreChange) => void;

/** Whether the store can write now; `reason` says why not, for /readyz. */
export type WriteHealth = { ok: true } | { ok: false; reason: string };

/** How long the write probe waits for another writer's lock before calling the store unwritable. */
const probeBusyMs = 250;

/** A stored value: JSON text, or the bytes of an encrypting provider (`k8s:enc:…`). */
type Stored = string | Buffer;

interface Row {
  rv: number;
  data: Stored;
}

interface ChangeRow {
  rv: number;
  resource: string;
  type: StoreChange['type'];
  data: Stored;
}

const FOREGROUND = 'foregroundDeletion';
const ORPHAN = 'orphan';
export const gcFinalizers = { foreground: FOREGROUND, orphan: ORPHAN } as const;

/** A group + plural for messages, from a resource key. */
function describe(resource: ResourceKey): { group: string; plural: string } {
  const slash = resource.indexOf('/');
  return { group: resource.slice(0, slash), plural: resource.slice(slash + 1) };
}

export class Store {
  private readonly db: Database.Database;
  private readonly now: () => Date;
  private readonly historyLimit: number;
  private readonly transformer: ValueTransformer | undefined;
  private readonly listeners = new Set<Listener>();
  private revision: number;
  private compactedRevision: number;
  private pending: StoreChange[] = [];
  private depth = 0;
  private readonly stmt;
  /** The last write that failed in SQLite (disk full, read-only, locked, diverged), until a write succeeds. */
  private writeFailure: string | undefined;

  constructor(options: StoreOptions) {
    if (options.path !== ':memory:') {
      mkdirSync(dirname(options.path), { recursive: true, mode: 0o700 });
      // Rows include Secrets: the file (and the -wal and -shm SQLite gives the same mode) is the owner's only.
      preparePrivateDatabase(options.path);
    }
    this.db = new Database(options.path);
    this.now = options.now ?? (() => new Date());
    this.historyLimit = options.historyLimit ?? 200_000;
    this.transformer = options.transformer;
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    this.db.pragma('foreign_keys = OFF');
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS objects (
        resource TEXT NOT NULL, namespace TEXT NOT NULL, name TEXT NOT NULL,
        uid TEXT NOT NULL, rv INTEGER NOT NULL, data TEXT NOT NULL,
        PRIMARY KEY (resource, namespace, name)) WITHOUT ROWID;
      CREATE INDEX IF NOT EXISTS objects_uid ON objects(uid);
      CREATE INDEX IF NOT EXISTS objects_namespace ON objects(namespace);
      CREATE TABLE IF NOT EXISTS owners (
        owner_uid TEXT NOT NULL, resource TEXT NOT NULL, namespace TEXT NOT NULL, name TEXT NOT NULL,
        PRIMARY KEY (owner_uid, resource, namespace, name)) WITHOUT ROWID;
      CREATE TABLE IF NOT EXISTS changes (
        rv INTEGER PRIMARY KEY, resource TEXT NOT NULL, type TEXT NOT NULL, data TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
      INSERT OR IGNORE INTO meta(key, value) VALUES ('revision', 1), ('compacted', 0);
    `);
    this.stmt = {
      get: this.db.prepare<[string, string, string], Row>('SELECT rv, data FROM objects WHERE resource = ? AND namespace = ? AND name = ?'),
      getByUid: this.db.prepare<[string], { resource: string; namespace: string; name: string; rv: number; data: Stored }>('SELECT resource, namespace, name, rv, data FROM objects WHERE uid = ?'),
      upsert: this.db.prepare('INSERT INTO objects(resource, namespace, name, uid, rv, data) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(resource, namespace, name) DO UPDATE SET uid = excluded.uid, rv = excluded.rv, data = excluded.data'),
      remove: this.db.prepare('DELETE FROM objects WHERE resource = ? AND namespace = ? AND name = ?'),
      addChange: this.db.prepare('INSERT INTO changes(rv, resource, type, data) VALUES (?, ?, ?, ?)'),
      setMeta: this.db.prepare('UPDATE meta SET value = ? WHERE key = ?'),
      getMeta: this.db.prepare<[string], { value: number }>('SELECT value FROM meta WHERE key = ?'),
      removeOwners: this.db.prepare('DELETE FROM owners WHERE resource = ? AND namespace = ? AND name = ?'),
      addOwner: this.db.prepare('INSERT OR IGNORE INTO owners(owner_uid, resource, namespace, name) VALUES (?, ?, ?, ?)'),
      dependents: this.db.prepare<[string], { resource: string; namespace: string; name: string }>('SELECT resource, namespace, name FROM owners WHERE owner_uid = ?'),
      ownerUids: this.db.prepare<[], { owner_uid: string }>('SELECT DISTINCT owner_uid FROM owners'),
      uidExists: this.db.prepare<[string], { one: number }>('SELECT 1 AS one FROM objects WHERE uid = ?'),
      changesSince: this.db.prepare<[number], ChangeRow>('SELECT rv, resource, type, data FROM changes WHERE rv > ? ORDER BY rv'),
      changesSinceFor: this.db.prepare<[number, string], ChangeRow>('SELECT rv, resource, type, data FROM changes WHERE rv > ? AND resource = ? ORDER BY rv'),
      compact: this.db.prepare('DELETE FROM changes WHERE rv <= ?'),
      inNamespace: this.db.prepare<[string], { resource: string; name: string }>('SELECT resource, name FROM objects WHERE namespace = ?'),
      // Encrypted values (blobs) are not JSON to SQLite: they are read and checked here, after decryption.
      deleting: this.db.prepare<[], { resource: string; namespace: string; name: string; data: Stored; rv: number }>(`SELECT resource, namespace, name, data, rv FROM objects WHERE CASE WHEN typeof(data) = 'text' THEN json_extract(data, '$.metadata.deletionTimestamp') IS NOT NULL ELSE 1 END`),
      count: this.db.prepare<[string], { n: number }>('SELECT COUNT(*) AS n FROM objects WHERE resource = ?'),
    };
    this.revision = this.stmt.getMeta.get('revision')?.value ?? 1;
    this.compactedRevision = this.stmt.getMeta.get('compacted')?.value ?? 0;
  }

  close(): void {
    this.listeners.clear();
    this.db.close();
  }

  /**
   * Probes whether a write would succeed now: takes the write lock, rewrites one row and rolls back (commits, when an
   * earlier write failed, to retry the real path). Unhealthy when the store is closed, read-only, full or held by
   * another writer, when the last write failed in SQLite, or when another process has written to the file (its
   * revision moved without this store: two Floes on one database, every later write of this one would fail).
   */
  checkWritable(): WriteHealth {
    if (!this.db.open) return { ok: false, reason: 'the store is closed' };
    // Inside a transaction of this connection a write is under way; its outcome is the answer.
    if (this.db.inTransaction) return this.writeFailure === undefined ? { ok: true } : { ok: false, reason: this.writeFailure };
    const busyMs = this.db.pragma('busy_timeout', { simple: true }) as number;
    this.db.pragma(`busy_timeout = ${probeBusyMs}`);
    try {
      this.db.exec('BEGIN IMMEDIATE');
      let commit = false;
      try {
        const onDisk = this.stmt.getMeta.get('revision')?.value ?? 1;
        if (onDisk !== this.revision) {
          return { ok: false, reason: `another process has written to the database (revision ${onDisk} on disk, ${this.revision} here): is a second Floe using this data directory?` };
        }
        this.stmt.setMeta.run(onDisk, 'revision');
        commit = this.writeFailure !== undefined;
      } finally {
        this.db.exec(commit ? 'COMMIT' : 'ROLLBACK');
      }
      this.writeFailure = undefined;
      return { ok: true };
    } catch (err) {
      return { ok: false, reason: `the database cannot be written: ${err instanceof Error ? err.message : String(err)}` };
    } finally {
      this.db.pragma(`busy_timeout = ${busyMs}`);
    }
  }

  /** The newest resourceVersion the store has issued. */
  currentRevision(): number {
    return this.revision;
  }

  /** The oldest resourceVersion a watch may still resume from. */
  oldestResumableRevision(): number {
    return this.compactedRevision;
  }

  get(resource: ResourceKey, namespace: string, name: string): KubeObject | undefined {
    const row = this.stmt.get.get(resource, namespace, name);
    return row ? this.decode(resource, namespace, name, row) : undefined;
  }

  getByUid(uid: string): { resource: ResourceKey; object: KubeObject } | undefined {
    const row = this.stmt.getByUid.get(uid);
    return row ? { resource: row.resource, object: this.decode(row.resource, row.namespace, row.name, row) } : undefined;
  }

  count(resource: ResourceKey): number {
    return this.stmt.count.get(resource)?.n ?? 0;
  }

  /** Lists in (namespace, name) order; `limit` counts objects that pass `filter`. */
  list(resource: ResourceKey, query: ListQuery = {}): ListResult {
    const revision = this.revision;
    const limit = query.limit && query.limit > 0 ? query.limit : Infinity;
    const items: KubeObject[] = [];
    const [afterNs, afterName] = query.after === undefined ? ['', ''] : splitKey(query.after);
    const batch = Math.min(Math.max(limit === Infinity ? 1000 : limit + 1, 100), 5000);
    const ns = query.namespace;
    let cursorNs = afterNs;
    let cursorName = afterName;
    let started = query.after !== undefined;
    const sql = ns === undefined
      ? `SELECT namespace, name, rv, data FROM objects WHERE resource = ? AND (namespace, name) > (?, ?) ORDER BY namespace, name LIMIT ?`
      : `SELECT namespace, name, rv, data FROM objects WHERE resource = ? AND namespace = ? AND name > ? ORDER BY name LIMIT ?`;
    const stmt = this.db.prepare<unknown[], Row & { namespace: string; name: string }>(sql);
    let continueAfter: string | undefined;
    for (;;) {
      const rows = ns === undefined
        ? stmt.all(resource, cursorNs, cursorName, batch)
        : stmt.all(resource, ns, started ? cursorName : '', batch);
      started = true;
      for (const row of rows) {
        cursorNs = row.namespace;
        cursorName = row.name;
        const object = this.decode(resource, row.namespace, row.name, row);
        if (query.filter && !query.filter(object)) continue;
        if (items.length === limit) {
          const last = items[items.length - 1]!;
          continueAfter = `${last.metadata.namespace ?? ''}/${last.metadata.name ?? ''}`;
          break;
        }
        items.push(object);
      }
      if (continueAfter !== undefined || rows.length < batch) break;
    }
    const result: ListResult = { items, revision };
    if (continueAfter !== undefined) result.continueAfter = continueAfter;
    return result;
  }

  /** Runs `fn` atomically: every write inside commits together or not at all; listeners hear after commit. */
  transaction<T>(fn: () => T): T {
    this.depth++;
    const startRevision = this.revision;
    try {
      const result = this.db.transaction(fn)();
      this.depth--;
      if (this.depth === 0) {
        this.writeFailure = undefined;
        this.flush();
      }
      return result;
    } catch (err) {
      this.depth--;
      this.revision = startRevision;
      if (this.depth === 0) this.pending = [];
      // FloeErrors are answers (conflict, not found); a SQLite error means the file would not take the write.
      if (err instanceof Database.SqliteError) this.writeFailure = `the last write failed: ${err.message}`;
      throw err;
    }
  }

  /**
   * Creates an object. System fields (uid, resourceVersion, generation, creationTimestamp) are set here;
   * the caller has validated the rest. AlreadyExists when the name is taken.
   */
  create(resource: ResourceKey, object: KubeObject, options: { generation?: boolean } = {}): KubeObject {
    return this.transaction(() => {
      const meta = object.metadata;
      const namespace = meta.namespace ?? '';
      const name = meta.name ?? '';
      if (this.stmt.get.get(resource, namespace, name)) {
        const { group, plural } = describe(resource);
        throw errors.alreadyExists(group, plural, name);
      }
      const stored = clone(object);
      // The API handler names the object's uid before admission (some kinds' defaults use it); others get one here.
      stored.metadata.uid = object.metadata.uid ?? randomUUID();
      stored.metadata.creationTimestamp = this.timestamp();
      if (options.generation === false) delete stored.metadata.generation;
      else stored.metadata.generation = 1;
      delete stored.metadata.deletionTimestamp;
      delete stored.metadata.deletionGracePeriodSeconds;
      return this.write(resource, stored, 'ADDED');
    });
  }

  /**
   * Replaces an object. `expectRevision` (when given) must match the stored resourceVersion (409 Conflict).
   * `bumpGeneration` says whether the spec changed. Removing the last finalizer of an object marked for
   * deletion deletes it. Returns the stored object (or its final state when deleted).
   */
  update(resource: ResourceKey, object: KubeObject, options: { expectRevision?: string; bumpGeneration?: boolean } = {}): KubeObject {
    return this.transaction(() => {
      const namespace = object.metadata.namespace ?? '';
      const name = object.metadata.name ?? '';
      const { group, plural } = describe(resource);
      const row = this.stmt.get.get(resource, namespace, name);
      if (!row) throw errors.notFound(group, plural, name);
      const current = this.decode(resource, namespace, name, row);
      if (options.expectRevision !== undefined && options.expectRevision !== String(row.rv)) {
        throw errors.conflict(group, plural, name, 'the object has been modified; please apply your changes to the latest version and try again');
      }
      if (object.metadata.uid !== undefined && object.metadata.uid !== current.metadata.uid) {
        throw errors.conflict(group, plural, name, `Precondition failed: UID in precondition: ${object.metadata.uid}, UID in object meta: ${current.metadata.uid ?? ''}`);
      }
      const stored = clone(object);
      const meta = stored.metadata;
      meta.uid = current.metadata.uid!;
      meta.creationTimestamp = current.metadata.creationTimestamp!;
      if (current.metadata.generation === undefined) delete meta.generation;
      else meta.generation = current.metadata.generation + (options.bumpGeneration ? 1 : 0);
      const deleting = current.metadata.deletionTimestamp;
      if (deleting !== undefined) {
        meta.deletionTimestamp = deleting;
        if (current.metadata.deletionGracePeriodSeconds !== undefined) meta.deletionGracePeriodSeconds = current.metadata.deletionGracePeriodSeconds;
        const before = new Set(current.metadata.finalizers ?? []);
        const added = (meta.finalizers ?? []).filter((f) => !before.has(f));
        if (added.length > 0) {
          throw new FloeError('Forbidden', `${plural} "${name}" is being deleted: no new finalizers can be added (${added.join(', ')})`);
        }
      } else {
        delete meta.deletionTimestamp;
        delete meta.deletionGracePeriodSeconds;
      }
      if (meta.finalizers?.length === 0) delete meta.finalizers;
      const released = (current.metadata.finalizers ?? []).length > 0 && !meta.finalizers;
      if (deleting !== undefined && released && !meta.deletionGracePeriodSeconds) {
        return this.remove(resource, stored);
      }
      if (sameContent(current, stored)) return current;
      return this.write(resource, stored, 'MODIFIED', current);
    });
  }

  /**
   * Deletes an object: at once when nothing holds it, otherwise marks it with deletionTimestamp and leaves it
   * to its finalizers. Returns the object as it stands afterwards and whether it is gone.
   */
  delete(resource: ResourceKey, namespace: string, name: string, request: DeleteRequest = {}): { object: KubeObject; gone: boolean } {
    return this.transaction(() => {
      const { group, plural } = describe(resource);
      const row = this.stmt.get.get(resource, namespace, name);
      if (!row) throw errors.notFound(group, plural, name);
      const current = this.decode(resource, namespace, name, row);
      const pre = request.preconditions;
      if (pre?.uid !== undefined && pre.uid !== current.metadata.uid) {
        throw errors.conflict(group, plural, name, `Precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${current.metadata.uid ?? ''}`);
      }
      if (pre?.resourceVersion !== undefined && pre.resourceVersion !== String(row.rv)) {
        throw errors.conflict(group, plural, name, `Precondition failed: ResourceVersion in precondition: ${pre.resourceVersion}, ResourceVersion in object meta: ${row.rv}`);
      }
      const finalizers = current.metadata.finalizers ?? [];
      const grace = request.gracePeriodSeconds;
      if (current.metadata.deletionTimestamp !== undefined) {
        // Already marked: only a forced (grace 0) delete of an object nothing else holds finishes it now.
        if (grace === 0 && finalizers.length === 0) return { object: this.remove(resource, current), gone: true };
        return { object: current, gone: false };
      }
      const wanted = [...finalizers];
      const policy = request.propagationFinalizer;
      if (policy !== undefined && !wanted.includes(policy)) wanted.push(policy);
      if (wanted.length === 0 && !request.alwaysMark) return { object: this.remove(resource, current), gone: true };
      const marked = clone(current);
      marked.metadata.deletionTimestamp = this.timestamp();
      marked.metadata.deletionGracePeriodSeconds = grace !== undefined && grace > 0 ? grace : 0;
      if (wanted.length > 0) marked.metadata.finalizers = wanted;
      return { object: this.write(resource, marked, 'MODIFIED', current), gone: false };
    });
  }

  /** Removes an object marked for deletion once nothing holds it (used by the kubelet and namespace cleanup). */
  forceRemove(resource: ResourceKey, namespace: string, name: string): KubeObject | undefined {
    return this.transaction(() => {
      const row = this.stmt.get.get(resource, namespace, name);
      return row ? this.remove(resource, this.decode(resource, namespace, name, row)) : undefined;
    });
  }

  /** Dependents of an owner uid, by the owner index. */
  dependentsOf(ownerUid: string): { resource: ResourceKey; namespace: string; name: string }[] {
    return this.stmt.dependents.all(ownerUid);
  }

  uidExists(uid: string): boolean {
    return this.stmt.uidExists.get(uid) !== undefined;
  }

  /** Owner uids referenced by some object but no longer stored (garbage left by a crash, say). */
  missingOwners(): string[] {
    return this.stmt.ownerUids.all().map((r) => r.owner_uid).filter((uid) => !this.uidExists(uid));
  }

  /** Objects marked for deletion, for the collectors that finish them. */
  markedForDeletion(): { resource: ResourceKey; object: KubeObject }[] {
    return this.stmt.deleting.all()
      .map((r) => ({ resource: r.resource, object: this.decode(r.resource, r.namespace, r.name, r) }))
      .filter((r) => r.object.metadata.deletionTimestamp !== undefined);
  }

  objectsInNamespace(namespace: string): { resource: ResourceKey; name: string }[] {
    return this.stmt.inNamespace.all(namespace);
  }

  /**
   * Subscribes to every change after `fromRevision` (replaying the log first, then live, with no gap and no
   * duplicate). Throws 410 Gone when the log no longer reaches back that far.
   */
  watch(resource: ResourceKey | undefined, fromRevision: number, listener: Listener): () => void {
    if (fromRevision < this.compactedRevision) {
      throw errors.gone(`too old resource version: ${fromRevision} (${this.compactedRevision})`);
    }
    // Replay and subscribe in one synchronous step: no write can commit in between.
    const rows = resource === undefined ? this.stmt.changesSince.all(fromRevision) : this.stmt.changesSinceFor.all(fromRevision, resource);
    const replay = rows.map((r) => ({ type: r.type, resource: r.resource, revision: r.rv, object: this.decodeChange(r) }));
    const wrapped: Listener = resource === undefined ? listener : (c) => { if (c.resource === resource) listener(c); };
    this.listeners.add(wrapped);
    for (const change of replay) listener(change);
    return () => { this.listeners.delete(wrapped); };
  }

  /** Drops change-log entries beyond the history limit. Watches older than what remains get 410 Gone. */
  compact(keep = this.historyLimit): number {
    const upTo = this.revision - keep;
    if (upTo <= this.compactedRevision) return 0;
    const run = this.db.transaction(() => {
      const res = this.stmt.compact.run(upTo);
      this.stmt.setMeta.run(upTo, 'compacted');
      return res.changes;
    });
    const removed = run();
    this.compactedRevision = upTo;
    return removed;
  }

  private timestamp(): string {
    return this.now().toISOString().replace(/\.\d{3}Z$/, 'Z');
  }

  private nextRevision(): number {
    this.revision += 1;
    this.stmt.setMeta.run(this.revision, 'revision');
    return this.revision;
  }

  private write(resource: ResourceKey, object: KubeObject, type: 'ADDED' | 'MODIFIED', previous?: KubeObject): KubeObject {
    const rv = this.nextRevision();
    const meta = object.metadata;
    meta.resourceVersion = String(rv);
    const data = JSON.stringify(object);
    const namespace = meta.namespace ?? '';
    const name = meta.name ?? '';
    this.stmt.upsert.run(resource, namespace, name, meta.uid, rv, this.encode(resource, objectContext(resource, namespace, name), data));
    this.stmt.removeOwners.run(resource, namespace, name);
    for (const ref of meta.ownerReferences ?? []) this.stmt.addOwner.run(ref.uid, resource, namespace, name);
    this.stmt.addChange.run(rv, resource, type, this.encode(resource, changeContext(resource, rv), data));
    const change: StoreChange = { type, resource, revision: rv, object };
    if (previous) change.previous = previous;
    this.pending.push(change);
    return clone(object);
  }

  private remove(resource: ResourceKey, object: KubeObject): KubeObject {
    const rv = this.nextRevision();
    const final = clone(object);
    final.metadata.resourceVersion = String(rv);
    const namespace = final.metadata.namespace ?? '';
    const name = final.metadata.name ?? '';
    this.stmt.remove.run(resource, namespace, name);
    this.stmt.removeOwners.run(resource, namespace, name);
    this.stmt.addChange.run(rv, resource, 'DELETED', this.encode(resource, changeContext(resource, rv), JSON.stringify(final)));
    this.pending.push({ type: 'DELETED', resource, revision: rv, object: final });
    return clone(final);
  }

  private flush(): void {
    const changes = this.pending;
    this.pending = [];
    for (const change of changes) {
      for (const listener of this.listeners) {
        try {
          listener(change);
        } catch {
          // A listener's failure is its own; the write has committed.
        }
      }
    }
    if (this.revision - this.compactedRevision > this.historyLimit * 1.1) this.compact();
  }

  private encode(resource: ResourceKey, context: string, data: string): Stored {
    return this.transformer?.handles(resource) ? this.transformer.toStorage(resource, context, data) : data;
  }

  private decode(resource: ResourceKey, namespace: string, name: string, row: Row): KubeObject {
    if (typeof row.data === 'string' && !this.transformer?.handles(resource)) return decode(row.rv, row.data);
    return decode(row.rv, this.plain(resource, objectContext(resource, namespace, name), row.data));
  }

  private decodeChange(row: ChangeRow): KubeObject {
    if (typeof row.data === 'string' && !this.transformer?.handles(row.resource)) return decode(row.rv, row.data);
    return decode(row.rv, this.plain(row.resource, changeContext(row.resource, row.rv), row.data));
  }

  private plain(resource: ResourceKey, context: string, data: Stored): string {
    if (this.transformer) return this.transformer.fromStorage(resource, context, data);
    if (typeof data === 'string') return data;
    throw new FloeError('InternalError', `${resource} ${context} is encrypted at rest, and this store was opened without an encryption configuration`);
  }

  /**
   * Re-writes every stored value of `resource` (objects and change log) with the transformer's first provider, in
   * place: the objects do not change, so their resourceVersions stay. Key rotation: a new first key, then this.
   * Returns how many objects and change-log entries were rewritten.
   */
  rewrite(resource: ResourceKey): { objects: number; changes: number } {
    const objects = this.db.prepare<[string], { namespace: string; name: string; rv: number; data: Stored }>('SELECT namespace, name, rv, data FROM objects WHERE resource = ?');
    const changes = this.db.prepare<[string], ChangeRow>('SELECT rv, resource, type, data FROM changes WHERE resource = ?');
    const setObject = this.db.prepare('UPDATE objects SET data = ? WHERE resource = ? AND namespace = ? AND name = ?');
    const setChange = this.db.prepare('UPDATE changes SET data = ? WHERE rv = ?');
    // The clear (or old-key) bytes must not linger in freed pages or the write-ahead log: SQLite zeroes what it
    // frees with secure_delete, VACUUM rebuilds the file, the checkpoint empties the log.
    this.db.pragma('secure_delete = ON');
    const counts = this.db.transaction(() => {
      let o = 0;
      let c = 0;
      for (const row of objects.all(resource)) {
        const context = objectContext(resource, row.namespace, row.name);
        setObject.run(this.encode(resource, context, this.plain(resource, context, row.data)), resource, row.namespace, row.name);
        o++;
      }
      for (const row of changes.all(resource)) {
        const context = changeContext(resource, row.rv);
        setChange.run(this.encode(resource, context, this.plain(resource, context, row.data)), row.rv);
        c++;
      }
      return { objects: o, changes: c };
    })();
    this.db.exec('VACUUM');
    this.db.pragma('wal_checkpoint(TRUNCATE)');
    return counts;
  }

  /** Every resource with stored objects or change-log entries (what a rewrite may have to visit). */
  storedResources(): ResourceKey[] {
    return this.db.prepare<[], { resource: string }>('SELECT DISTINCT resource FROM objects UNION SELECT DISTINCT resource FROM changes').all().map((r) => r.resource);
  }

  /** Raw row count of the change log, for tests and metrics. */
  historySize(): number {
    return this.db.prepare<[], { n: number }>('SELECT COUNT(*) AS n FROM changes').get()?.n ?? 0;
  }
}

function decode(rv: number, data: string): KubeObject {
  const object = JSON.parse(data) as KubeObject;
  object.metadata.resourceVersion = String(rv);
  return object;
}

/** What an encrypted value is bound to (AES-GCM's authenticated data): its row, as kube binds a value to its etcd key. */
function objectContext(resource: ResourceKey, namespace: string, name: string): string {
  return `/registry/${resource}/${namespace}/${name}`;
}

/** A change-log entry is bound to its revision (the log has no name column). */
function changeContext(resource: ResourceKey, rv: number): string {
  return `/changes/${resource}/${rv}`;
}

function splitKey(key: string): [string, string] {
  const slash = key.indexOf('/');
  return slash < 0 ? ['', key] : [key.slice(0, slash), key.slice(slash + 1)];
}

function sameContent(a: KubeObject, b: KubeObject): boolean {
  const flat = (o: KubeObject): string => JSON.stringify({ ...o, metadata: { ...o.metadata, resourceVersion: '' } });
  return flat(a) === flat(b);
}
