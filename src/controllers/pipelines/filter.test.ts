// KFP's Filter JSON, sort_by and page tokens, compiled to SQL and run on SQLite.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import Database from 'better-sqlite3';
import { compileList, ListQueryError, nextPageToken, type ListFields, type ListRequest } from './filter.js';

const fields: ListFields = {
  id: { column: 'id', kind: 'string' },
  display_name: { column: 'name', kind: 'string' },
  state: { column: 'state', kind: 'string', normalize: (v) => v.toUpperCase() },
  created_at: { column: 'created', kind: 'time' },
  finished_at: { column: 'finished', kind: 'time' },
  size: { column: 'size', kind: 'number' },
};

function table(): Database.Database {
  const db = new Database(':memory:');
  db.exec('CREATE TABLE t (id TEXT PRIMARY KEY, name TEXT, state TEXT, created INTEGER, finished INTEGER, size INTEGER)');
  const rows: [string, string, string, string, string | null, number][] = [
    ['a', 'alpha', 'SUCCEEDED', '2024-01-01T00:00:00Z', '2024-01-01T01:00:00Z', 1],
    ['b', 'beta', 'FAILED', '2024-01-02T00:00:00Z', null, 2],
    ['c', 'gamma_1', 'RUNNING', '2024-01-03T00:00:00Z', null, 3],
    ['d', 'delta', 'SUCCEEDED', '2024-01-03T00:00:00Z', '2024-01-04T00:00:00Z', 4],
  ];
  const insert = db.prepare('INSERT INTO t VALUES (?, ?, ?, ?, ?, ?)');
  for (const [id, name, state, created, finished, size] of rows) insert.run(id, name, state, Date.parse(created), finished ? Date.parse(finished) : null, size);
  return db;
}

/** Every page of a listing, following the tokens. */
function pages(db: Database.Database, req: ListRequest): string[][] {
  const out: string[][] = [];
  let token: string | undefined;
  do {
    const q = compileList({ ...req, pageToken: token }, fields, 'id');
    const where = [...q.where, ...q.pageWhere];
    const rows = db
      .prepare(`SELECT id, ${q.sortExpr} AS v FROM t${where.length ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY ${q.orderBy} LIMIT ?`)
      .all(...q.params, ...q.pageParams, q.limit + 1) as { id: string; v: string | number }[];
    const page = rows.slice(0, q.limit);
    out.push(page.map((r) => r.id));
    const last = page[page.length - 1];
    token = rows.length > q.limit && last ? nextPageToken(q, last.v, last.id) : undefined;
  } while (token);
  return out;
}

const filter = (...predicates: unknown[]): string => JSON.stringify({ predicates });
const ids = (db: Database.Database, req: ListRequest): string[] => pages(db, { pageSize: 100, ...req }).flat();

describe('filter', () => {
  test('operations over strings, times and numbers', () => {
    const db = table();
    assert.deepEqual(ids(db, { filter: filter({ operation: 'EQUALS', key: 'display_name', string_value: 'beta' }) }), ['b']);
    assert.deepEqual(ids(db, { filter: filter({ operation: 1, key: 'display_name', stringValue: 'beta' }) }), ['b'], 'numeric operations and JSON names');
    assert.deepEqual(ids(db, { filter: filter({ operation: 'NOT_EQUALS', key: 'state', string_value: 'succeeded' }) }), ['b', 'c'], 'normalized values');
    assert.deepEqual(ids(db, { filter: filter({ operation: 'IN', key: 'state', string_values: { values: ['FAILED', 'RUNNING'] } }) }), ['b', 'c']);
    assert.deepEqual(ids(db, { filter: filter({ operation: 'IN', key: 'state', string_values: { values: [] } }) }), []);
    assert.deepEqual(ids(db, { filter: filter({ operation: 'IS_SUBSTRING', key: 'display_name', string_value: 'ta' }) }), ['b', 'd']);
    assert.deepEqual(ids(db, { filter: filter({ operation: 'IS_SUBSTRING', key: 'display_name', string_value: 'a_1' }) }), ['c'], 'LIKE wildcards are literal');
    assert.deepEqual(ids(db, { filter: filter({ operation: 'GREATER_THAN_EQUALS', key: 'created_at', timestamp_value: '2024-01-02T00:00:00Z' }) }), ['b', 'c', 'd']);
    assert.deepEqual(ids(db, { filter: filter({ operation: 'LESS_THAN', key: 'created_at', long_value: String(Date.parse('2024-01-02T00:00:00Z') / 1000) }) }), ['a'], 'integers on a time key are Unix seconds');
    assert.deepEqual(ids(db, { filter: filter({ operation: 'GREATER_THAN', key: 'size', int_value: 2 }, { operation: 'LESS_THAN_EQUALS', key: 'size', int_value: 3 }) }), ['c'], 'predicates are ANDed');
    assert.deepEqual(ids(db, { filter: filter({ operation: 'IN', key: 'size', int_values: { values: [1, 4] } }) }), ['a', 'd']);
    assert.deepEqual(ids(db, { filter: JSON.stringify({}) }), ['a', 'b', 'c', 'd']);
  });

  test('bad filters name what is wrong', () => {
    const bad: [string, RegExp][] = [
      ['{', /not valid JSON/],
      [JSON.stringify({ predicates: [], extra: 1 }), /unknown field "extra"/],
      [filter({ operation: 'EQUALS', key: 'colour', string_value: 'x' }), /predicates\[0\]\.key: unknown key "colour"/],
      [filter({ operation: 'LIKE', key: 'display_name', string_value: 'x' }), /predicates\[0\]\.operation: unknown operation "LIKE"/],
      [filter({ operation: 4, key: 'display_name', string_value: 'x' }), /unknown operation 4/],
      [filter({ operation: 'EQUALS', key: 'display_name' }), /exactly one value field/],
      [filter({ operation: 'EQUALS', key: 'display_name', string_value: 'x', int_value: 1 }), /exactly one value field/],
      [filter({ operation: 'IN', key: 'display_name', string_value: 'x' }), /IN takes string_values/],
      [filter({ operation: 'EQUALS', key: 'display_name', string_values: { values: ['x'] } }), /EQUALS takes a single value/],
      [filter({ operation: 'IS_SUBSTRING', key: 'size', string_value: '1' }), /IS_SUBSTRING takes a string_value on a string key/],
      [filter({ operation: 'EQUALS', key: 'created_at', timestamp_value: 'yesterday' }), /not an RFC 3339 timestamp/],
      [filter({ operation: 'EQUALS', key: 'display_name', string_value: 'x', colour: 1 }), /unknown field "colour"/],
    ];
    for (const [text, message] of bad) {
      assert.throws(() => compileList({ filter: text }, fields, 'id'), (err: unknown) => err instanceof ListQueryError && err.field === 'filter' && message.test(err.message), text);
    }
  });
});

describe('sort and pages', () => {
  test('sort_by asc/desc with the id breaking ties; a missing value sorts first', () => {
    const db = table();
    assert.deepEqual(ids(db, {}), ['a', 'b', 'c', 'd'], 'created_at ascending by default');
    assert.deepEqual(ids(db, { sortBy: 'created_at desc' }), ['d', 'c', 'b', 'a']);
    assert.deepEqual(ids(db, { sortBy: 'display_name' }), ['a', 'b', 'd', 'c']);
    assert.deepEqual(ids(db, { sortBy: 'finished_at' }), ['b', 'c', 'a', 'd']);
    assert.throws(() => compileList({ sortBy: 'colour' }, fields, 'id'), /sort_by: unknown field "colour"/);
    assert.throws(() => compileList({ sortBy: 'display_name sideways' }, fields, 'id'), /sort_by: "display_name sideways"/);
  });

  test('pages follow tokens, with ties and missing values, and keep the first page’s sort and filter', () => {
    const db = table();
    assert.deepEqual(pages(db, { pageSize: 1, sortBy: 'created_at desc' }), [['d'], ['c'], ['b'], ['a']]);
    assert.deepEqual(pages(db, { pageSize: 3, sortBy: 'finished_at desc' }), [['d', 'a', 'c'], ['b']]);
    assert.deepEqual(pages(db, { pageSize: 1, filter: filter({ operation: 'EQUALS', key: 'state', string_value: 'SUCCEEDED' }) }), [['a'], ['d']]);
    const first = compileList({ pageSize: 1, sortBy: 'display_name desc' }, fields, 'id');
    const token = nextPageToken(first, 'gamma_1', 'c');
    const second = compileList({ pageToken: token, sortBy: 'created_at' }, fields, 'id');
    assert.equal(second.orderBy, first.orderBy, 'the token’s sort wins');
  });

  test('rows inserted while paging neither shift nor repeat the rows already listed', () => {
    const db = table();
    const q1 = compileList({ pageSize: 2 }, fields, 'id');
    const p1 = db.prepare(`SELECT id, ${q1.sortExpr} AS v FROM t ORDER BY ${q1.orderBy} LIMIT 2`).all() as { id: string; v: number }[];
    assert.deepEqual(p1.map((r) => r.id), ['a', 'b']);
    // A new row before the cursor, one tying with it, one after it.
    db.prepare('INSERT INTO t VALUES (?, ?, ?, ?, ?, ?)').run('0', 'early', 'RUNNING', Date.parse('2023-12-31T00:00:00Z'), null, 0);
    db.prepare('INSERT INTO t VALUES (?, ?, ?, ?, ?, ?)').run('bb', 'tie', 'RUNNING', Date.parse('2024-01-02T00:00:00Z'), null, 0);
    const q2 = compileList({ pageToken: nextPageToken(q1, p1[1]!.v, p1[1]!.id), pageSize: 10 }, fields, 'id');
    const rest = db.prepare(`SELECT id FROM t WHERE ${q2.pageWhere.join(' AND ')} ORDER BY ${q2.orderBy} LIMIT 10`).pluck().all(...q2.pageParams);
    assert.deepEqual(rest, ['bb', 'c', 'd']);
  });

  test('bad page options', () => {
    assert.throws(() => compileList({ pageToken: 'garbage' }, fields, 'id'), (err: unknown) => err instanceof ListQueryError && err.field === 'page_token');
    assert.throws(() => compileList({ pageSize: -1 }, fields, 'id'), (err: unknown) => err instanceof ListQueryError && err.field === 'page_size');
    assert.equal(compileList({ pageSize: 0 }, fields, 'id').limit, 20);
    assert.equal(compileList({ pageSize: 1_000_000 }, fields, 'id').limit, 1000);
  });
});
