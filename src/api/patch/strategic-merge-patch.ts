// Kubernetes strategic merge patch (application/strategic-merge-patch+json), driven by PatchMeta, with the directives kubectl sends.
import { errors } from '../errors.js';
import type { PatchMeta } from '../resource-type.js';
import { cloneJson, getOwn, hasOwn, isJsonObject, jsonEqual, setKey, type JsonObject } from './json-value.js';

/** The directive keys a strategic merge patch may carry; none of them survives into the result. */
export const smpDirectives = {
  patch: '$patch',
  retainKeys: '$retainKeys',
  setElementOrderPrefix: '$setElementOrder/',
  deleteFromPrimitiveListPrefix: '$deleteFromPrimitiveList/',
} as const;

/**
 * Applies a strategic merge patch to `original`. Maps merge as in a JSON merge patch (null deletes);
 * lists whose meta has a 'merge' strategy merge by `mergeKey` (or union their values when there is
 * none); other lists are replaced. Honours `$patch` (merge, replace, delete), `$retainKeys`,
 * `$setElementOrder/<field>` and `$deleteFromPrimitiveList/<field>`. A malformed patch is a BadRequest.
 * Never mutates its inputs, and the result shares nothing with them.
 */
export function applyStrategicMergePatch(original: unknown, patch: unknown, meta: PatchMeta | undefined): unknown {
  if (!isJsonObject(patch)) {
    throw errors.badRequest(`a strategic merge patch must be a JSON object, got ${Array.isArray(patch) ? 'an array' : JSON.stringify(patch)}`);
  }
  const base = isJsonObject(original) ? cloneJson(original) : {};
  return mergeMap(base, patch, meta, '') ?? {};
}

/** Merges `patch` into `original`, which the caller owns. Returns undefined when the patch deletes the map. */
function mergeMap(original: JsonObject, patch: JsonObject, meta: PatchMeta | undefined, path: string): JsonObject | undefined {
  const directive = getOwn(patch, smpDirectives.patch);
  if (directive !== undefined) {
    if (directive === 'delete') return undefined;
    if (directive === 'replace') {
      const rest: JsonObject = {};
      for (const [k, v] of Object.entries(patch)) if (k !== smpDirectives.patch) setKey(rest, k, v);
      return mergeMap({}, rest, meta, path);
    }
    if (directive !== 'merge') throw errors.badRequest(`${at(path)}: unknown $patch directive ${JSON.stringify(directive)}: expected merge, replace or delete`);
  }

  const retain = getOwn(patch, smpDirectives.retainKeys);
  if (retain !== undefined) {
    const keys = stringList(retain, `${at(path)}: $retainKeys`);
    for (const k of Object.keys(original)) if (!keys.includes(k)) delete original[k];
    for (const [k, v] of Object.entries(patch)) {
      if (!k.startsWith('$') && v !== null && !keys.includes(k)) {
        throw errors.badRequest(`${at(path)}: field ${JSON.stringify(k)} is set by the patch but missing from its $retainKeys list`);
      }
    }
  }

  const orders = new Map<string, unknown[]>();
  for (const [k, v] of Object.entries(patch)) {
    if (!k.startsWith('$') || k === smpDirectives.patch || k === smpDirectives.retainKeys) continue;
    if (k.startsWith(smpDirectives.setElementOrderPrefix)) {
      orders.set(directiveField(k, smpDirectives.setElementOrderPrefix, path), list(v, `${at(path)}: ${k}`));
    } else if (k.startsWith(smpDirectives.deleteFromPrimitiveListPrefix)) {
      const field = directiveField(k, smpDirectives.deleteFromPrimitiveListPrefix, path);
      const doomed = list(v, `${at(path)}: ${k}`);
      const current = getOwn(original, field);
      if (Array.isArray(current)) {
        const kept = current.filter((item) => !doomed.some((d) => jsonEqual(d, item)));
        if (kept.length === 0 && current.length > 0) delete original[field];
        else setKey(original, field, kept);
      }
    } else {
      throw errors.badRequest(`${at(path)}: unknown strategic merge patch directive ${JSON.stringify(k)}`);
    }
  }

  for (const [k, v] of Object.entries(patch)) {
    if (k.startsWith('$')) continue;
    const childPath = path === '' ? k : `${path}.${k}`;
    const childMeta = fieldMeta(meta, k);
    if (v === null) {
      delete original[k];
    } else if (isJsonObject(v)) {
      const current = getOwn(original, k);
      const merged = mergeMap(isJsonObject(current) ? current : {}, v, childMeta, childPath);
      if (merged === undefined) delete original[k];
      else setKey(original, k, merged);
    } else if (Array.isArray(v)) {
      const current = getOwn(original, k);
      const merged = mergeList(Array.isArray(current) ? current : undefined, v, childMeta, childPath);
      if (merged.length === 0 && isMergeList(childMeta) && Array.isArray(current) && current.length > 0) delete original[k];
      else setKey(original, k, merged);
    } else {
      setKey(original, k, v);
    }
  }

  for (const [field, order] of orders) {
    const current = getOwn(original, field);
    if (Array.isArray(current)) setKey(original, field, reorder(current, order, fieldMeta(meta, field)?.mergeKey, path));
  }
  return original;
}

/** Merges a patch list into the original list (owned by the caller), or replaces it when the meta does not say merge. */
function mergeList(original: unknown[] | undefined, patch: readonly unknown[], meta: PatchMeta | undefined, path: string): unknown[] {
  const elementMeta: PatchMeta | undefined = meta?.fields ? { fields: meta.fields } : undefined;
  if (!isMergeList(meta)) return replaceList(patch, elementMeta, path);

  const replaceAt = patch.findIndex((el) => isJsonObject(el) && getOwn(el, smpDirectives.patch) === 'replace');
  if (replaceAt >= 0) {
    const rest = patch.filter((_, i) => i !== replaceAt);
    return mergeList(undefined, rest, meta, path);
  }

  const result = original ?? [];
  const mergeKey = meta?.mergeKey;
  if (mergeKey === undefined) {
    // A merge list without a key is a set: union the values, keeping the original order first.
    for (const el of patch) {
      const value = isJsonObject(el) ? mergeMap({}, el, elementMeta, path) : cloneJson(el);
      if (value !== undefined && !result.some((x) => jsonEqual(x, value))) result.push(value);
    }
    return result;
  }

  let merged = result;
  patch.forEach((el, i) => {
    const elementPath = `${path}[${i}]`;
    if (!isJsonObject(el)) {
      throw errors.badRequest(`${at(elementPath)}: elements of a list merged by ${JSON.stringify(mergeKey)} must be objects, got ${JSON.stringify(el)}`);
    }
    if (!hasOwn(el, mergeKey)) throw errors.badRequest(`${at(elementPath)}: the element has no merge key ${JSON.stringify(mergeKey)}`);
    const key = el[mergeKey];
    const matches = (x: unknown): boolean => isJsonObject(x) && hasOwn(x, mergeKey) && jsonEqual(x[mergeKey], key);
    const directive = getOwn(el, smpDirectives.patch);
    if (directive === 'delete') {
      merged = merged.filter((x) => !matches(x));
      return;
    }
    const keyedPath = `${path}[${mergeKey}=${typeof key === 'string' ? key : JSON.stringify(key)}]`;
    const index = merged.findIndex(matches);
    const existing = index >= 0 ? merged[index] : undefined;
    const value = mergeMap(isJsonObject(existing) ? existing : {}, el, elementMeta, keyedPath);
    if (index < 0) {
      if (value !== undefined) merged.push(value);
    } else if (value === undefined) {
      merged.splice(index, 1);
    } else {
      merged[index] = value;
    }
  });
  return merged;
}

/** A replaced list is taken from the patch, with any directives inside its elements resolved. */
function replaceList(patch: readonly unknown[], elementMeta: PatchMeta | undefined, path: string): unknown[] {
  const out: unknown[] = [];
  patch.forEach((el, i) => {
    if (!isJsonObject(el)) {
      out.push(cloneJson(el));
      return;
    }
    const value = mergeMap({}, el, elementMeta, `${path}[${i}]`);
    if (value !== undefined) out.push(value);
  });
  return out;
}

/**
 * Puts the elements named by `$setElementOrder` first, in that order; the rest keep their relative
 * order after them. Map elements are named by their merge key (or the order entry's only key).
 */
function reorder(items: readonly unknown[], order: readonly unknown[], mergeKey: string | undefined, path: string): unknown[] {
  const used = new Set<number>();
  const out: unknown[] = [];
  for (const entry of order) {
    let matches: (x: unknown) => boolean;
    if (isJsonObject(entry)) {
      const keys = Object.keys(entry);
      const keyName = mergeKey ?? (keys.length === 1 ? keys[0] : undefined);
      if (keyName === undefined || !hasOwn(entry, keyName)) {
        throw errors.badRequest(`${at(path)}: $setElementOrder entry ${JSON.stringify(entry)} does not name an element by its merge key`);
      }
      const wanted = entry[keyName];
      matches = (x) => isJsonObject(x) && hasOwn(x, keyName) && jsonEqual(x[keyName], wanted);
    } else {
      matches = (x) => jsonEqual(x, entry);
    }
    items.forEach((item, i) => {
      if (!used.has(i) && matches(item)) {
        used.add(i);
        out.push(item);
      }
    });
  }
  items.forEach((item, i) => {
    if (!used.has(i)) out.push(item);
  });
  return out;
}

function isMergeList(meta: PatchMeta | undefined): boolean {
  return meta?.strategy?.split(',').some((s) => s.trim() === 'merge') ?? false;
}

function fieldMeta(meta: PatchMeta | undefined, field: string): PatchMeta | undefined {
  return meta?.fields && hasOwn(meta.fields, field) ? meta.fields[field] : undefined;
}

function directiveField(key: string, prefix: string, path: string): string {
  const field = key.slice(prefix.length);
  if (field === '') throw errors.badRequest(`${at(path)}: directive ${JSON.stringify(key)} names no field`);
  return field;
}

function list(value: unknown, what: string): unknown[] {
  if (!Array.isArray(value)) throw errors.badRequest(`${what} must be a list, got ${JSON.stringify(value)}`);
  return value;
}

function stringList(value: unknown, what: string): string[] {
  const items = list(value, what);
  if (!items.every((x): x is string => typeof x === 'string')) throw errors.badRequest(`${what} must be a list of strings`);
  return items;
}

function at(path: string): string {
  return path === '' ? 'strategic merge patch' : `strategic merge patch at ${path}`;
}
