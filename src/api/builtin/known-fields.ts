// Unknown fields of built-in kinds, found (and dropped) as decoding into kube-apiserver's Go types finds and drops them.
import { builtinFieldTypes, builtinKinds } from './known-fields-data.js';

/** A field's kind as the data table spells it: '' scalar, '*' opaque, 'T' struct, '[]…' list, '{}…' map. */
type FieldRef = string;

const parsed = new Map<string, ReadonlyMap<string, FieldRef>>();

function fieldsOf(typeName: string): ReadonlyMap<string, FieldRef> | undefined {
  let fields = parsed.get(typeName);
  if (!fields) {
    const spec = builtinFieldTypes[typeName];
    if (spec === undefined) return undefined;
    const map = new Map<string, FieldRef>();
    for (const entry of spec.split(' ')) {
      const colon = entry.indexOf(':');
      if (colon < 0) map.set(entry, '');
      else map.set(entry.slice(0, colon), entry.slice(colon + 1));
    }
    fields = map;
    parsed.set(typeName, fields);
  }
  return fields;
}

/**
 * The type name of a built-in kind in the table, or undefined for kinds it does not describe (custom resources).
 * A kind whose versions differ in shape (autoscaling/v1 and v2 HorizontalPodAutoscalers) is keyed by its version too.
 */
export function builtinTypeName(group: string, kind: string, version?: string): string | undefined {
  return (version === undefined ? undefined : builtinKinds[`${group}/${version}/${kind}`]) ?? builtinKinds[`${group}/${kind}`];
}

/** The type of `metadata` on every object, built-in or custom. */
export const objectMetaType = 'meta.ObjectMeta';

/** kube-apiserver's strict decoder stops collecting after 100 problems; so does this walk (it keeps pruning). */
const maxReported = 100;

export interface UnknownFieldsOptions {
  /** Delete the unknown fields from `value` in place, as decoding into a Go struct drops them. */
  prune: boolean;
  /** Where `value` sits, for the reported paths (`metadata` for an object's metadata); empty at the root. */
  path?: string;
}

/**
 * Paths of the fields in `value` that the built-in type `typeName` does not declare, in document order and worded as
 * the strict JSON decoder words them: `spec.containers[0].comand`, map values as `.key`. Values of the wrong JSON type
 * are left alone here (type checks are the decoder's other half). Lists of at most 100 paths.
 */
export function unknownFields(typeName: string, value: unknown, options: UnknownFieldsOptions): string[] {
  const found: string[] = [];
  walk(value, typeName, options.path ?? '', options.prune, found);
  return found;
}

function walk(value: unknown, ref: FieldRef, path: string, prune: boolean, found: string[]): void {
  if (ref === '' || ref === '*' || value === null || typeof value !== 'object') return;
  if (ref.startsWith('[]')) {
    if (!Array.isArray(value)) return;
    const item = ref.slice(2);
    value.forEach((v: unknown, i) => walk(v, item, `${path}[${i}]`, prune, found));
    return;
  }
  if (Array.isArray(value)) return;
  const object = value as Record<string, unknown>;
  if (ref.startsWith('{}')) {
    const item = ref.slice(2);
    for (const [k, v] of Object.entries(object)) walk(v, item, join(path, k), prune, found);
    return;
  }
  const fields = fieldsOf(ref);
  if (!fields) return;
  for (const [k, v] of Object.entries(object)) {
    const field = fields.get(k);
    if (field === undefined) {
      if (found.length < maxReported && !found.includes(join(path, k))) found.push(join(path, k));
      if (prune) Reflect.deleteProperty(object, k);
    } else {
      walk(v, field, join(path, k), prune, found);
    }
  }
}

function join(path: string, key: string): string {
  return path === '' ? key : `${path}.${key}`;
}
