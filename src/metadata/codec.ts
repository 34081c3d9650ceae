// MLMD's enums and values between the API's JSON shapes and the store's columns, and the checks on them.
import { MetadataError } from './errors.js';
import type { ArtifactState, Event, EventType, ExecutionState, MlmdValue, PropertyType } from './types.js';

// The enum numbers are MLMD's, so a stored row reads the same as MLMD's own tables.
export const ARTIFACT_STATES: readonly ArtifactState[] = ['UNKNOWN', 'PENDING', 'LIVE', 'MARKED_FOR_DELETION', 'DELETED', 'ABANDONED', 'REFERENCE'];
export const EXECUTION_STATES: readonly ExecutionState[] = ['UNKNOWN', 'NEW', 'RUNNING', 'COMPLETE', 'FAILED', 'CACHED', 'CANCELED'];
export const EVENT_TYPES: readonly EventType[] = ['UNKNOWN', 'DECLARED_OUTPUT', 'DECLARED_INPUT', 'INPUT', 'OUTPUT', 'INTERNAL_INPUT', 'INTERNAL_OUTPUT', 'PENDING_OUTPUT'];
export const PROPERTY_TYPES: readonly PropertyType[] = ['UNKNOWN', 'INT', 'DOUBLE', 'STRING', 'STRUCT', 'PROTO', 'BOOLEAN'];

/** Event types that say the execution produced the artifact (walked UPSTREAM from an artifact). */
export const OUTPUT_EVENT_CODES: ReadonlySet<number> = new Set(['DECLARED_OUTPUT', 'OUTPUT', 'INTERNAL_OUTPUT', 'PENDING_OUTPUT'].map((t) => EVENT_TYPES.indexOf(t as EventType)));
/** Event types that say the execution consumed the artifact. */
export const INPUT_EVENT_CODES: ReadonlySet<number> = new Set(['DECLARED_INPUT', 'INPUT', 'INTERNAL_INPUT'].map((t) => EVENT_TYPES.indexOf(t as EventType)));

export function enumCode<T extends string>(values: readonly T[], value: unknown, field: string): number {
  const i = typeof value === 'string' ? values.indexOf(value as T) : -1;
  if (i < 0) throw MetadataError.invalid(field, `must be one of ${values.join(', ')}, not ${JSON.stringify(value)}`);
  return i;
}

export function enumName<T extends string>(values: readonly T[], code: number): T {
  return values[code] ?? values[0]!;
}

const VALUE_KINDS = { int_value: 'INT', double_value: 'DOUBLE', string_value: 'STRING', struct_value: 'STRUCT', bool_value: 'BOOLEAN' } as const satisfies Record<string, PropertyType>;
type ValueKey = keyof typeof VALUE_KINDS;

/** Checks one Value and returns it normalized (an int64 sent as a JSON string, as proto3 JSON writes it, becomes a number). */
export function checkValue(value: unknown, field: string): MlmdValue {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw MetadataError.invalid(field, `must be a Value object such as {"string_value": "x"}, not ${JSON.stringify(value)}`);
  const keys = Object.keys(value);
  const key = keys[0];
  if (keys.length !== 1 || key === undefined || !(key in VALUE_KINDS)) {
    throw MetadataError.invalid(field, `must set exactly one of ${Object.keys(VALUE_KINDS).join(', ')}${keys.includes('proto_value') ? ' (proto_value is not supported)' : ''}, not ${JSON.stringify(keys)}`);
  }
  const v = (value as Record<string, unknown>)[key];
  switch (key as ValueKey) {
    case 'int_value': {
      const n = typeof v === 'string' && /^-?\d+$/.test(v) ? Number(v) : v;
      if (typeof n !== 'number' || !Number.isSafeInteger(n)) throw MetadataError.invalid(`${field}.int_value`, `must be an integer, not ${JSON.stringify(v)}`);
      return { int_value: n };
    }
    case 'double_value': {
      const n = typeof v === 'string' && v.trim() !== '' ? Number(v) : v;
      if (typeof n !== 'number' || Number.isNaN(n)) throw MetadataError.invalid(`${field}.double_value`, `must be a number, not ${JSON.stringify(v)}`);
      return { double_value: n };
    }
    case 'string_value':
      if (typeof v !== 'string') throw MetadataError.invalid(`${field}.string_value`, `must be a string, not ${JSON.stringify(v)}`);
      return { string_value: v };
    case 'bool_value':
      if (typeof v !== 'boolean') throw MetadataError.invalid(`${field}.bool_value`, `must be true or false, not ${JSON.stringify(v)}`);
      return { bool_value: v };
    case 'struct_value':
      if (typeof v !== 'object' || v === null || Array.isArray(v)) throw MetadataError.invalid(`${field}.struct_value`, 'must be a JSON object (a google.protobuf.Struct)');
      return { struct_value: v };
  }
}

export function valueKind(value: MlmdValue): PropertyType {
  return VALUE_KINDS[Object.keys(value)[0] as ValueKey];
}

/** Checks a properties or custom_properties map; returns its JSON column text, null when empty. */
export function checkValues(map: unknown, field: string): { values: Record<string, MlmdValue>; json: string | null } {
  if (map === undefined || map === null) return { values: {}, json: null };
  if (typeof map !== 'object' || Array.isArray(map)) throw MetadataError.invalid(field, 'must be a map of name to Value');
  const values: Record<string, MlmdValue> = {};
  for (const [name, v] of Object.entries(map as Record<string, unknown>)) {
    if (name === '') throw MetadataError.invalid(field, 'a property name must not be empty');
    values[name] = checkValue(v, `${field}.${name}`);
  }
  return { values, json: Object.keys(values).length === 0 ? null : JSON.stringify(values) };
}

/** Checks an event's path: `{steps: [{key} | {index}]}`; returns its JSON column text, null when absent. */
export function checkPath(path: unknown, field: string): string | null {
  if (path === undefined || path === null) return null;
  const steps = (path as { steps?: unknown }).steps;
  if (typeof path !== 'object' || !Array.isArray(steps)) throw MetadataError.invalid(field, 'must be {"steps": [{"key": "name"} | {"index": 0}]}');
  const out: Event['path'] = { steps: [] };
  steps.forEach((s: unknown, i) => {
    const step = s as { key?: unknown; index?: unknown } | null;
    if (step && typeof step.key === 'string' && step.index === undefined) out.steps.push({ key: step.key });
    else if (step && step.key === undefined && Number.isSafeInteger(Number(step.index))) out.steps.push({ index: Number(step.index) });
    else throw MetadataError.invalid(`${field}.steps[${i}]`, 'must be {"key": string} or {"index": integer}');
  });
  return out.steps.length === 0 ? null : JSON.stringify(out);
}

/** An optional string field: absent, or a string (empty allowed). */
export function optionalString(value: unknown, field: string): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw MetadataError.invalid(field, `must be a string, not ${JSON.stringify(value)}`);
  return value;
}

/** A positive integer id. */
export function checkId(value: unknown, field: string): number {
  const n = typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 1) throw MetadataError.invalid(field, `must be a positive integer id, not ${JSON.stringify(value)}`);
  return n;
}
