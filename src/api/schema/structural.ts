// Structural-schema admission for custom resources: prune unknown fields, apply defaults, report every violation.
import { fieldErrors, type FieldError } from '../errors.js';
import type { JSONSchemaProps } from '../resource-type.js';
import { compilePattern, matchesFormat } from './formats.js';

export interface Admitted {
  object: Record<string, unknown>;
  errors: FieldError[];
  /** Paths of the fields pruning dropped as unknown (not dropped nulls), for `fieldValidation=Strict|Warn`. */
  unknownFields: string[];
}

export interface AdmitValueOptions {
  /** Apply `default`s to absent fields (default true). Off, the walk only prunes and validates. */
  defaults?: boolean;
}

/**
 * Prunes, defaults and validates a custom resource against its version's `openAPIV3Schema`, as
 * kube-apiserver does, and returns a new object plus every violation (never only the first).
 *
 * - Pruning: object fields not in `properties` are dropped unless the object has
 *   `x-kubernetes-preserve-unknown-fields: true` (or `additionalProperties: true`); an
 *   `additionalProperties` schema makes the object a map whose values follow that schema. At the
 *   root `apiVersion`, `kind` and `metadata` are always kept (and metadata is not validated here);
 *   objects marked `x-kubernetes-embedded-resource` keep theirs too.
 * - Nulls: a null in an object field whose schema is not `nullable` is dropped, as if absent, so a
 *   default can apply (Kubernetes prunes such nulls before defaulting). A null in a `nullable` field
 *   is kept and never defaulted. A null array element is kept and, unless nullable, is a type error.
 * - Defaults: an absent field whose schema has a `default` gets a deep copy of it, which is then
 *   pruned, defaulted and validated like given data. Defaults apply inside array items and map
 *   values; an absent parent object is only created when it has a default of its own.
 * - Validation runs on the result, so defaulted values are validated too. `allOf`/`anyOf`/`oneOf`/
 *   `not` only validate; they never prune or default.
 *
 * Field paths follow Kubernetes: `spec.replicas`, `spec.containers[0].name`, `spec.map[key]`.
 * Admitting an admitted object changes nothing and reports the same errors. The input is not mutated
 * and shares nothing with the result.
 */
export function admitWithSchema(object: Record<string, unknown>, schema: JSONSchemaProps): Admitted {
  const ctx: Walk = { errs: [], unknown: [], prune: true, defaults: true };
  const out = walkObject(object, node(schema), '', ctx, true);
  return { object: out, errors: ctx.errs, unknownFields: ctx.unknown };
}

/**
 * Prunes, defaults (unless turned off) and validates one value that is not a resource root, reporting
 * errors under `path`. CRD validation uses it to check a schema's `default`s.
 */
export function admitValue(value: unknown, schema: JSONSchemaProps, path: string, options: AdmitValueOptions = {}): { value: unknown; errors: FieldError[] } {
  const ctx: Walk = { errs: [], unknown: [], prune: true, defaults: options.defaults ?? true };
  const out = walkValue(value === undefined ? null : value, node(schema), path, ctx);
  return { value: out, errors: ctx.errs };
}

/** What one walk does: `prune` also means "drop non-nullable nulls"; with both off it only validates. */
interface Walk {
  errs: FieldError[];
  unknown: string[];
  prune: boolean;
  defaults: boolean;
}

const rootKeys = new Set(['apiVersion', 'kind', 'metadata']);

function walkValue(value: unknown, schema: JSONSchemaProps, path: string, ctx: Walk): unknown {
  const intOrString = schema['x-kubernetes-int-or-string'] === true;
  if (value === null) {
    if (schema.nullable === true) return null;
    if (intOrString) typeError(path, value, 'integer,string', ctx);
    else if (typeof schema.type === 'string') typeError(path, value, schema.type, ctx);
    return null;
  }
  if (intOrString) {
    if (typeof value !== 'string' && !isInteger(value)) {
      typeError(path, value, 'integer,string', ctx);
      return keep(value, ctx);
    }
    checkScalar(value, schema, path, ctx);
    checkCombinators(value, schema, path, ctx);
    return value;
  }
  if (typeof schema.type === 'string' && !typeMatches(value, schema.type)) {
    typeError(path, value, schema.type, ctx);
    return keep(value, ctx);
  }
  if (isRecord(value)) return walkObject(value, schema, path, ctx, false);
  if (Array.isArray(value)) return walkArray(value, schema, path, ctx);
  checkScalar(value, schema, path, ctx);
  checkCombinators(value, schema, path, ctx);
  return value;
}

function walkObject(value: Record<string, unknown>, schema: JSONSchemaProps, path: string, ctx: Walk, root: boolean): Record<string, unknown> {
  const props = isRecord(schema.properties) ? (schema.properties as Record<string, unknown>) : undefined;
  const additional = schema.additionalProperties;
  const mapSchema = isRecord(additional) ? (additional as JSONSchemaProps) : undefined;
  const keepUnknown = !ctx.prune || schema['x-kubernetes-preserve-unknown-fields'] === true || additional === true;
  const embedded = !root && schema['x-kubernetes-embedded-resource'] === true;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    if (v === undefined) continue;
    if ((root && rootKeys.has(k)) || (embedded && rootKeys.has(k) && !(props && Object.hasOwn(props, k)))) {
      setOwn(out, k, keep(v, ctx));
      continue;
    }
    if (props && Object.hasOwn(props, k)) {
      const sub = node(props[k]);
      if (v === null && sub.nullable !== true && ctx.prune) continue;
      setOwn(out, k, walkValue(v, sub, child(path, k), ctx));
    } else if (mapSchema) {
      if (v === null && mapSchema.nullable !== true && ctx.prune) continue;
      setOwn(out, k, walkValue(v, mapSchema, `${path}[${k}]`, ctx));
    } else if (keepUnknown) {
      setOwn(out, k, keep(v, ctx));
    } else {
      ctx.unknown.push(child(path, k));
    }
  }
  if (ctx.defaults && props) {
    for (const [k, raw] of Object.entries(props)) {
      if (Object.hasOwn(out, k) || (root && rootKeys.has(k))) continue;
      const sub = node(raw);
      // A null default is no default (Kubernetes treats it so).
      if (sub.default === undefined || sub.default === null) continue;
      setOwn(out, k, walkValue(copyJson(sub.default), sub, child(path, k), ctx));
    }
  }
  for (const r of Array.isArray(schema.required) ? schema.required : []) {
    if (typeof r !== 'string' || (root && rootKeys.has(r))) continue;
    if (!Object.hasOwn(out, r)) ctx.errs.push(fieldErrors.required(child(path, r)));
  }
  if (embedded && ctx.prune) checkEmbedded(out, path, ctx);
  const count = Object.keys(out).length;
  if (typeof schema.minProperties === 'number' && count < schema.minProperties) {
    ctx.errs.push(fieldErrors.invalid(path, count, `${path} in body should have at least ${schema.minProperties} properties`));
  }
  if (typeof schema.maxProperties === 'number' && count > schema.maxProperties) {
    ctx.errs.push(tooMany(path, count, schema.maxProperties));
  }
  checkEnum(out, schema, path, ctx);
  checkCombinators(out, schema, path, ctx);
  return out;
}

function walkArray(value: unknown[], schema: JSONSchemaProps, path: string, ctx: Walk): unknown[] {
  // Without `items`, elements are unknown: pruned to nothing unless unknown fields are preserved.
  const items = isRecord(schema.items)
    ? (schema.items as JSONSchemaProps)
    : ctx.prune && schema['x-kubernetes-preserve-unknown-fields'] !== true ? {} : undefined;
  const out = Array.from(value, (v, i) => {
    const element = v === undefined ? null : v;
    return items ? walkValue(element, items, `${path}[${i}]`, ctx) : keep(element, ctx);
  });
  if (typeof schema.minItems === 'number' && out.length < schema.minItems) {
    ctx.errs.push(fieldErrors.invalid(path, out.length, `${path} in body should have at least ${schema.minItems} items`));
  }
  if (typeof schema.maxItems === 'number' && out.length > schema.maxItems) {
    ctx.errs.push(tooMany(path, out.length, schema.maxItems));
  }
  if (schema.uniqueItems === true && new Set(out.map(canonicalJson)).size !== out.length) {
    ctx.errs.push(fieldErrors.invalid(path, summary(out), `${path} in body shouldn't contain duplicates`));
  }
  const listType = schema['x-kubernetes-list-type'];
  if (listType === 'set') {
    const seen = new Set<string>();
    out.forEach((v, i) => {
      const key = canonicalJson(v);
      if (seen.has(key)) ctx.errs.push(fieldErrors.duplicate(`${path}[${i}]`, v));
      seen.add(key);
    });
  } else if (listType === 'map') {
    const keys = (schema['x-kubernetes-list-map-keys'] ?? []).filter((k): k is string => typeof k === 'string');
    const seen = new Set<string>();
    out.forEach((v, i) => {
      if (!isRecord(v)) return;
      const identity: Record<string, unknown> = {};
      for (const k of keys) if (Object.hasOwn(v, k)) setOwn(identity, k, v[k]);
      const key = canonicalJson(identity);
      if (seen.has(key)) ctx.errs.push(fieldErrors.duplicate(`${path}[${i}]`, identity));
      seen.add(key);
    });
  }
  checkEnum(out, schema, path, ctx);
  checkCombinators(out, schema, path, ctx);
  return out;
}

/** Embedded resources must say what they are: apiVersion and kind are required, non-empty strings. */
function checkEmbedded(out: Record<string, unknown>, path: string, ctx: Walk): void {
  for (const k of ['apiVersion', 'kind']) {
    const p = child(path, k);
    const v = out[k];
    if (!Object.hasOwn(out, k)) ctx.errs.push(fieldErrors.required(p, 'must not be empty'));
    else if (typeof v !== 'string') ctx.errs.push(fieldErrors.invalid(p, v, 'must be a string'));
    else if (v === '') ctx.errs.push(fieldErrors.invalid(p, v, 'must not be empty'));
  }
  if (Object.hasOwn(out, 'metadata') && !isRecord(out.metadata)) {
    ctx.errs.push(fieldErrors.typeInvalid(child(path, 'metadata'), typeName(out.metadata), `${child(path, 'metadata')} in body must be of type object: "${typeName(out.metadata)}"`));
  }
}

function checkScalar(value: unknown, schema: JSONSchemaProps, path: string, ctx: Walk): void {
  checkEnum(value, schema, path, ctx);
  if (typeof value === 'number') {
    const { minimum, maximum, exclusiveMinimum, exclusiveMaximum, multipleOf } = schema as Record<string, unknown>;
    if (typeof minimum === 'number') {
      const exclusive = exclusiveMinimum === true;
      if (exclusive ? value <= minimum : value < minimum) {
        ctx.errs.push(fieldErrors.invalid(path, value, `${path} in body should be greater than ${exclusive ? '' : 'or equal to '}${minimum}`));
      }
    }
    if (typeof exclusiveMinimum === 'number' && value <= exclusiveMinimum) {
      ctx.errs.push(fieldErrors.invalid(path, value, `${path} in body should be greater than ${exclusiveMinimum}`));
    }
    if (typeof maximum === 'number') {
      const exclusive = exclusiveMaximum === true;
      if (exclusive ? value >= maximum : value > maximum) {
        ctx.errs.push(fieldErrors.invalid(path, value, `${path} in body should be less than ${exclusive ? '' : 'or equal to '}${maximum}`));
      }
    }
    if (typeof exclusiveMaximum === 'number' && value >= exclusiveMaximum) {
      ctx.errs.push(fieldErrors.invalid(path, value, `${path} in body should be less than ${exclusiveMaximum}`));
    }
    if (typeof multipleOf === 'number' && multipleOf > 0) {
      const q = value / multipleOf;
      if (Math.abs(q - Math.round(q)) > 1e-9 * Math.max(1, Math.abs(q))) {
        ctx.errs.push(fieldErrors.invalid(path, value, `${path} in body should be a multiple of ${multipleOf}`));
      }
    }
  }
  if (typeof value === 'string') {
    const length = codePoints(value);
    if (typeof schema.minLength === 'number' && length < schema.minLength) {
      ctx.errs.push(fieldErrors.invalid(path, value, `${path} in body should be at least ${schema.minLength} chars long`));
    }
    if (typeof schema.maxLength === 'number' && length > schema.maxLength) {
      ctx.errs.push(fieldErrors.tooLong(path, schema.maxLength));
    }
    if (typeof schema.pattern === 'string') {
      const re = compilePattern(schema.pattern);
      if (re && !re.test(value)) ctx.errs.push(fieldErrors.invalid(path, value, `${path} in body should match '${schema.pattern}'`));
    }
  }
  if (typeof schema.format === 'string' && !matchesFormat(value, schema.format)) {
    // Kubernetes reports a bad format as a type error ("must be of type date-time").
    ctx.errs.push(fieldErrors.typeInvalid(path, value, `${path} in body must be of type ${schema.format}: ${JSON.stringify(String(value))}`));
  }
}

function checkEnum(value: unknown, schema: JSONSchemaProps, path: string, ctx: Walk): void {
  if (!Array.isArray(schema.enum)) return;
  const want = canonicalJson(value);
  if (!schema.enum.some((e) => canonicalJson(e) === want)) ctx.errs.push(fieldErrors.notSupported(path, summary(value), schema.enum));
}

/** allOf / anyOf / oneOf / not validate the (already pruned and defaulted) value; they never change it. */
function checkCombinators(value: unknown, schema: JSONSchemaProps, path: string, ctx: Walk): void {
  const { allOf, anyOf, oneOf, not } = schema;
  if (allOf === undefined && anyOf === undefined && oneOf === undefined && not === undefined) return;
  const validate = (s: unknown, errs: FieldError[]): FieldError[] => {
    walkValue(value, node(s), path, { errs, unknown: [], prune: false, defaults: false });
    return errs;
  };
  const passes = (s: unknown): boolean => validate(s, []).length === 0;
  if (Array.isArray(allOf)) for (const s of allOf) validate(s, ctx.errs);
  if (Array.isArray(anyOf) && anyOf.length > 0 && !anyOf.some(passes)) {
    ctx.errs.push(fieldErrors.invalid(path, summary(value), `"${path}" must validate at least one schema (anyOf)`));
  }
  if (Array.isArray(oneOf) && oneOf.length > 0) {
    const valid = oneOf.filter(passes).length;
    if (valid !== 1) {
      const found = valid === 0 ? 'Found none valid' : `Found ${valid} valid alternatives`;
      ctx.errs.push(fieldErrors.invalid(path, summary(value), `"${path}" must validate one and only one schema (oneOf). ${found}`));
    }
  }
  if (isRecord(not) && passes(not)) {
    ctx.errs.push(fieldErrors.invalid(path, summary(value), `"${path}" must not validate the schema (not)`));
  }
}

function typeError(path: string, value: unknown, expected: string, ctx: Walk): void {
  // Kubernetes names the type it got in both places: `Invalid value: "string": … must be of type integer: "string"`.
  const got = typeName(value);
  ctx.errs.push(fieldErrors.typeInvalid(path, got, `${path} in body must be of type ${expected}: "${got}"`));
}

function tooMany(path: string, actual: number, max: number): FieldError {
  return { type: 'FieldValueTooMany', field: path, message: `Too many: ${actual}: must have at most ${max} items` };
}

function typeMatches(value: unknown, type: string): boolean {
  switch (type) {
    case 'object': return isRecord(value);
    case 'array': return Array.isArray(value);
    case 'string': return typeof value === 'string';
    case 'integer': return isInteger(value);
    case 'number': return typeof value === 'number' && Number.isFinite(value);
    case 'boolean': return typeof value === 'boolean';
    default: return true;
  }
}

/** The JSON type of a value, with whole numbers as `integer` (what Kubernetes' decoder makes of them). */
export function typeName(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value;
}

/** Scalars as themselves; containers by their type, so a message does not repeat a whole subtree. */
function summary(value: unknown): unknown {
  return typeof value === 'object' && value !== null ? typeName(value) : value;
}

function isInteger(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A schema node as given, or an empty schema where the input is malformed. */
function node(value: unknown): JSONSchemaProps {
  return isRecord(value) ? value : {};
}

function child(path: string, key: string): string {
  return path === '' ? key : `${path}.${key}`;
}

function codePoints(s: string): number {
  return [...s].length;
}

/** Kept data is copied when admitting, so the result shares nothing with the input. */
function keep(value: unknown, ctx: Walk): unknown {
  return ctx.prune ? copyJson(value) : value;
}

/** Assigns an own property, including one named `__proto__`. */
function setOwn(target: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__') Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  else target[key] = value;
}

/** A deep copy of JSON data. */
export function copyJson(value: unknown): unknown {
  if (Array.isArray(value)) return value.map((v: unknown) => copyJson(v));
  if (isRecord(value)) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) if (v !== undefined) setOwn(out, k, copyJson(v));
    return out;
  }
  return value;
}

/** JSON with object keys sorted, for equality of JSON values. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map((v: unknown) => canonicalJson(v === undefined ? null : v)).join(',')}]`;
  if (isRecord(value)) {
    const keys = Object.keys(value).filter((k) => value[k] !== undefined).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(value[k])}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}
