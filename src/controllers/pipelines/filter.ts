// The list options of KFP's v2beta1 API: the Filter JSON (filter.proto), `sort_by` and page tokens, compiled to SQL for
// the pipeline store. Page tokens carry the sort and filter of the first page and the last row seen (keyset paging), so
// rows inserted while a client pages never shift or repeat what it sees.

export type FieldKind = 'string' | 'time' | 'number';

/** A key a list endpoint can filter and sort on, and the column that holds it. */
export interface ListField {
  column: string;
  kind: FieldKind;
  /**
   * A map of strings held as JSON in `column` (KFP's pipeline and version tags): the filter key `<prefix>.<key>` matches
   * entries of the map, with EQUALS on a string value only, as KFP's API server allows. Never a sort key.
   */
  map?: true;
  /** Maps a filter value to the stored form (enums written several ways). */
  normalize?: (value: string) => string;
}

export type ListFields = Readonly<Record<string, ListField>>;

/** Bad list options; `field` is the request field at fault (`filter`, `sort_by`, `page_token`, `page_size`). */
export class ListQueryError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
    this.name = 'ListQueryError';
  }
}

export interface ListRequest {
  filter?: string | undefined;
  sortBy?: string | undefined;
  pageSize?: number | undefined;
  pageToken?: string | undefined;
}

type SqlValue = string | number;

export interface CompiledList {
  /** SQL conditions (joined with AND by the caller) and their parameters, without the page position. */
  where: string[];
  params: SqlValue[];
  /** The page position condition (empty on the first page). */
  pageWhere: string[];
  pageParams: SqlValue[];
  orderBy: string;
  /** Rows in a page. */
  limit: number;
  sortExpr: string;
  token: Omit<PageToken, 'v' | 'i'>;
}

interface PageToken {
  /** The API sort key, `desc`, the filter JSON, the sort value and id of the last row returned. */
  k: string;
  d: boolean;
  f?: string;
  v?: SqlValue | null;
  i?: string;
}

export const defaultPageSize = 20;
export const maxPageSize = 1000;

const operationNumbers: Record<number, string> = {
  1: 'EQUALS',
  2: 'NOT_EQUALS',
  3: 'GREATER_THAN',
  5: 'GREATER_THAN_EQUALS',
  6: 'LESS_THAN',
  7: 'LESS_THAN_EQUALS',
  8: 'IN',
  9: 'IS_SUBSTRING',
};
const comparisons: Record<string, string> = {
  EQUALS: '=',
  NOT_EQUALS: '<>',
  GREATER_THAN: '>',
  GREATER_THAN_EQUALS: '>=',
  LESS_THAN: '<',
  LESS_THAN_EQUALS: '<=',
};

/** The predicate value fields, in proto name and JSON (lowerCamel) name. */
const valueFields = [
  ['string_value', 'stringValue'],
  ['int_value', 'intValue'],
  ['long_value', 'longValue'],
  ['timestamp_value', 'timestampValue'],
  ['string_values', 'stringValues'],
  ['int_values', 'intValues'],
  ['long_values', 'longValues'],
] as const;
type ValueField = (typeof valueFields)[number][0];

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function sortExpression(f: ListField): string {
  return f.kind === 'string' ? `COALESCE(${f.column}, '')` : `COALESCE(${f.column}, 0)`;
}

/** Converts one filter value to the column's stored form. */
function convert(value: unknown, from: ValueField, field: ListField, where: string): SqlValue {
  if (field.kind === 'time') {
    // A string of digits is Unix seconds (KFP's clients send created_at filters that way); other strings RFC 3339.
    if (from === 'string_value' && typeof value === 'string' && /^-?\d+$/.test(value.trim())) return Number(value) * 1000;
    if (from === 'timestamp_value' || from === 'string_value') {
      const ms = typeof value === 'string' ? Date.parse(value) : Number.NaN;
      if (Number.isNaN(ms)) throw new ListQueryError('filter', `${where}: ${JSON.stringify(value)} is not an RFC 3339 timestamp`);
      return ms;
    }
    // Integers on a time key are Unix seconds, as KFP stores them.
    const n = Number(value);
    if (!Number.isFinite(n)) throw new ListQueryError('filter', `${where}: ${JSON.stringify(value)} is not a number`);
    return n * 1000;
  }
  if (field.kind === 'number') {
    const n = Number(value);
    if (!Number.isFinite(n)) throw new ListQueryError('filter', `${where}: ${JSON.stringify(value)} is not a number`);
    return n;
  }
  if (typeof value !== 'string' && typeof value !== 'number') throw new ListQueryError('filter', `${where}: ${JSON.stringify(value)} is not a string`);
  const s = String(value);
  return field.normalize ? field.normalize(s) : s;
}

function likePattern(s: string): string {
  return `%${s.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

/** Parses a Filter JSON into SQL conditions over `fields`; throws ListQueryError naming the bad part. */
export function compileFilter(text: string, fields: ListFields): { where: string[]; params: SqlValue[] } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new ListQueryError('filter', 'filter: not valid JSON (a Filter message: {"predicates": [...]})');
  }
  if (!isRecord(parsed)) throw new ListQueryError('filter', 'filter: must be a JSON object with "predicates"');
  for (const k of Object.keys(parsed)) if (k !== 'predicates') throw new ListQueryError('filter', `filter: unknown field "${k}"`);
  const predicates = parsed.predicates ?? [];
  if (!Array.isArray(predicates)) throw new ListQueryError('filter', 'filter.predicates: must be a list');
  const where: string[] = [];
  const params: SqlValue[] = [];
  predicates.forEach((p: unknown, i) => {
    const at = `filter.predicates[${i}]`;
    if (!isRecord(p)) throw new ListQueryError('filter', `${at}: must be an object`);
    const known = new Set<string>(['operation', 'key', ...valueFields.flat()]);
    for (const k of Object.keys(p)) if (!known.has(k)) throw new ListQueryError('filter', `${at}: unknown field "${k}"`);
    const op = typeof p.operation === 'number' ? operationNumbers[p.operation] : p.operation;
    if (typeof op !== 'string' || !(op in comparisons || op === 'IN' || op === 'IS_SUBSTRING')) {
      throw new ListQueryError('filter', `${at}.operation: unknown operation ${JSON.stringify(p.operation)} (EQUALS, NOT_EQUALS, GREATER_THAN, GREATER_THAN_EQUALS, LESS_THAN, LESS_THAN_EQUALS, IN, IS_SUBSTRING)`);
    }
    if (typeof p.key !== 'string' || p.key === '') throw new ListQueryError('filter', `${at}.key: required`);
    const dot = p.key.indexOf('.');
    const mapField = dot > 0 ? fields[p.key.slice(0, dot)] : undefined;
    if (mapField?.map) {
      // KFP's messages (pipeline_server.go extractTagFiltersFromFilterSpec).
      if (op !== 'EQUALS') throw new ListQueryError('filter', `only EQUALS operation is supported for tag filtering, got ${op} for key "${p.key}"`);
      const value = p.string_value ?? p.stringValue;
      if (typeof value !== 'string') throw new ListQueryError('filter', `tag filter value must be a string for key "${p.key}"`);
      where.push(`EXISTS (SELECT 1 FROM json_each(${mapField.column}) WHERE json_each.key = ? AND json_each.value = ?)`);
      params.push(p.key.slice(dot + 1), value);
      return;
    }
    const field = fields[p.key];
    if (!field || field.map) throw new ListQueryError('filter', `${at}.key: unknown key "${p.key}" (one of ${Object.keys(fields).filter((k) => !fields[k]!.map).join(', ')})`);
    const given = valueFields.filter(([snake, camel]) => p[snake] !== undefined || p[camel] !== undefined);
    if (given.length !== 1) throw new ListQueryError('filter', `${at}: exactly one value field is required (${valueFields.map(([s]) => s).join(', ')})`);
    const [name, camel] = given[0]!;
    const raw = p[name] ?? p[camel];
    const many = name.endsWith('_values');
    if ((op === 'IN') !== many) throw new ListQueryError('filter', `${at}: ${op === 'IN' ? 'IN takes string_values, int_values or long_values' : `${op} takes a single value, not ${name}`}`);
    const expr = sortExpression(field);
    if (op === 'IN') {
      const values = isRecord(raw) ? raw.values : undefined;
      if (!Array.isArray(values)) throw new ListQueryError('filter', `${at}.${name}.values: must be a list`);
      if (values.length === 0) {
        where.push('0');
        return;
      }
      where.push(`${expr} IN (${values.map(() => '?').join(', ')})`);
      for (const v of values) params.push(convert(v, name, field, `${at}.${name}`));
      return;
    }
    if (op === 'IS_SUBSTRING') {
      if (name !== 'string_value' || field.kind !== 'string') throw new ListQueryError('filter', `${at}: IS_SUBSTRING takes a string_value on a string key`);
      where.push(`${expr} LIKE ? ESCAPE '\\'`);
      params.push(likePattern(String(convert(raw, name, field, `${at}.${name}`))));
      return;
    }
    where.push(`${expr} ${comparisons[op]} ?`);
    params.push(convert(raw, name, field, `${at}.${name}`));
  });
  return { where, params };
}

function encodeToken(t: PageToken): string {
  return Buffer.from(JSON.stringify(t), 'utf8').toString('base64url');
}

function decodeToken(text: string): PageToken {
  try {
    const t = JSON.parse(Buffer.from(text, 'base64url').toString('utf8')) as PageToken;
    if (typeof t.k !== 'string' || typeof t.d !== 'boolean' || typeof t.i !== 'string') throw new Error('incomplete');
    return t;
  } catch {
    throw new ListQueryError('page_token', 'page_token: not a token this server issued');
  }
}

function parseSort(sortBy: string, fields: ListFields): { key: string; desc: boolean } {
  const parts = sortBy.trim().split(/\s+/);
  const [key = '', dir = 'asc', extra] = parts;
  if (extra !== undefined || !['asc', 'desc'].includes(dir.toLowerCase())) throw new ListQueryError('sort_by', `sort_by: "${sortBy}" is not "<field>" or "<field> desc"`);
  if (!fields[key] || fields[key].map) throw new ListQueryError('sort_by', `sort_by: unknown field "${key}" (one of ${Object.keys(fields).join(', ')})`);
  return { key, desc: dir.toLowerCase() === 'desc' };
}

/**
 * Compiles list options. With a page token, the sort and filter come from the token (as KFP does), so every page of
 * one listing uses the same ones.
 */
export function compileList(req: ListRequest, fields: ListFields, idColumn: string, defaultSort = 'created_at'): CompiledList {
  let pageSize = req.pageSize ?? 0;
  if (!Number.isInteger(pageSize) || pageSize < 0) throw new ListQueryError('page_size', `page_size: ${req.pageSize} is not a non-negative integer`);
  if (pageSize === 0) pageSize = defaultPageSize;
  pageSize = Math.min(pageSize, maxPageSize);
  let token: PageToken;
  if (req.pageToken) {
    token = decodeToken(req.pageToken);
    if (!fields[token.k]) throw new ListQueryError('page_token', 'page_token: not a token for this list');
  } else {
    const sort = req.sortBy?.trim() ? parseSort(req.sortBy, fields) : { key: defaultSort, desc: false };
    token = { k: sort.key, d: sort.desc, ...(req.filter?.trim() ? { f: req.filter } : {}) };
  }
  const field = fields[token.k]!;
  const { where, params } = token.f ? compileFilter(token.f, fields) : { where: [], params: [] };
  const sortExpr = sortExpression(field);
  const cmp = token.d ? '<' : '>';
  const pageWhere: string[] = [];
  const pageParams: SqlValue[] = [];
  if (token.i !== undefined) {
    pageWhere.push(`(${sortExpr} ${cmp} ? OR (${sortExpr} = ? AND ${idColumn} ${cmp} ?))`);
    const v = token.v ?? (field.kind === 'string' ? '' : 0);
    pageParams.push(v, v, token.i);
  }
  const dir = token.d ? 'DESC' : 'ASC';
  return {
    where,
    params,
    pageWhere,
    pageParams,
    orderBy: `${sortExpr} ${dir}, ${idColumn} ${dir}`,
    limit: pageSize,
    sortExpr,
    token: { k: token.k, d: token.d, ...(token.f !== undefined ? { f: token.f } : {}) },
  };
}

/** The token for the page after the row with this sort value and id. */
export function nextPageToken(list: CompiledList, sortValue: SqlValue | null, id: string): string {
  return encodeToken({ ...list.token, v: sortValue, i: id });
}
