// Structural-schema admission for custom resources: prune unknown fields, apply defaults, report every violation.
import { fieldErrors, type FieldError } from '../errors.js';
import type { JSONSchemaProps } from '../resource-type.js';

export interface Admitted {
  object: Record<string, unknown>;
  errors: FieldError[];
}

/** Prunes, defaults and validates `object` against `schema` as kube-apiserver does for a custom resource. */
export function admitWithSchema(object: Record<string, unknown>, schema: JSONSchemaProps): Admitted {
  const copy = structuredClone(object);
  const errs: FieldError[] = [];
  const root = schema.properties ?? {};
  for (const key of Object.keys(copy)) {
    if (key === 'apiVersion' || key === 'kind' || key === 'metadata') continue;
    const sub = root[key];
    if (sub === undefined) {
      if (!schema['x-kubernetes-preserve-unknown-fields']) delete copy[key];
      continue;
    }
    copy[key] = walk(copy[key], sub, key, errs);
    if (copy[key] === undefined) delete copy[key];
  }
  applyDefaults(copy, schema, errs, '');
  for (const req of schema.required ?? []) {
    if (copy[req] === undefined && req !== 'metadata' && req !== 'apiVersion' && req !== 'kind') errs.push(fieldErrors.required(req));
  }
  return { object: copy, errors: errs };
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function typeName(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return typeof v;
}

/** Prunes and validates one value, defaulting absent children. Returns the value to keep. */
function walk(value: unknown, schema: JSONSchemaProps, path: string, errs: FieldError[]): unknown {
  if (value === null) {
    if (schema.nullable) return null;
    // Kubernetes drops a null for a non-nullable field (so a default can apply) rather than failing.
    return undefined;
  }
  if (schema['x-kubernetes-int-or-string']) {
    if (typeof value !== 'string' && !(typeof value === 'number' && Number.isInteger(value))) {
      errs.push(fieldErrors.typeInvalid(path, value, `${path} in body must be of type int-or-string: "${typeName(value)}"`));
    }
    checkScalar(value, schema, path, errs);
    return value;
  }
  const t = schema.type;
  if (t !== undefined && !typeMatches(value, t)) {
    errs.push(fieldErrors.typeInvalid(path, value, `${path} in body must be of type ${t}: "${typeName(value)}"`));
    return value;
  }
  if (isObject(value)) {
    const out: Record<string, unknown> = {};
    const props = schema.properties;
    const additional = schema.additionalProperties;
    const preserve = schema['x-kubernetes-preserve-unknown-fields'] === true;
    for (const [k, v] of Object.entries(value)) {
      const childPath = `${path}.${k}`;
      const sub = props?.[k];
      if (sub !== undefined) {
        const kept = walk(v, sub, childPath, errs);
        if (kept !== undefined) out[k] = kept;
      } else if (isObject(additional)) {
        const kept = walk(v, additional, `${path}[${k}]`, errs);
        if (kept !== undefined) out[k] = kept;
      } else if (additional === true || preserve || (schema['x-kubernetes-embedded-resource'] && ['apiVersion', 'kind', 'metadata'].includes(k))) {
        out[k] = v;
      }
    }
    applyDefaults(out, schema, errs, path);
    for (const req of schema.required ?? []) if (out[req] === undefined) errs.push(fieldErrors.required(`${path}.${req}`));
    const n = Object.keys(out).length;
    if (schema.minProperties !== undefined && n < schema.minProperties) errs.push(fieldErrors.invalid(path, n, `${path} in body should have at least ${schema.minProperties} properties`));
    if (schema.maxProperties !== undefined && n > schema.maxProperties) errs.push({ type: 'FieldValueTooMany', field: path, message: `Too many: ${n}: must have at most ${schema.maxProperties} items` });
    checkCombinators(out, schema, path, errs);
    return out;
  }
  if (Array.isArray(value)) {
    const items = schema.items;
    const out = value.map((v: unknown, i) => (items ? walk(v, items, `${path}[${i}]`, errs) : v)).map((v) => (v === undefined ? null : v));
    if (schema.minItems !== undefined && out.length < schema.minItems) errs.push(fieldErrors.invalid(path, out.length, `${path} in body should have at least ${schema.minItems} items`));
    if (schema.maxItems !== undefined && out.length > schema.maxItems) errs.push({ type: 'FieldValueTooMany', field: path, message: `Too many: ${out.length}: must have at most ${schema.maxItems} items` });
    const listType = schema['x-kubernetes-list-type'];
    if (schema.uniqueItems || listType === 'set') {
      const seen = new Set<string>();
      out.forEach((v, i) => {
        const k = JSON.stringify(v);
        if (seen.has(k)) errs.push(fieldErrors.duplicate(`${path}[${i}]`, v));
        seen.add(k);
      });
    }
    if (listType === 'map') {
      const keys = schema['x-kubernetes-list-map-keys'] ?? [];
      const seen = new Set<string>();
      out.forEach((v, i) => {
        const k = JSON.stringify(keys.map((key) => (isObject(v) ? v[key] : undefined)));
        if (seen.has(k)) errs.push(fieldErrors.duplicate(`${path}[${i}]`, Object.fromEntries(keys.map((key) => [key, isObject(v) ? v[key] : undefined]))));
        seen.add(k);
      });
    }
    checkCombinators(out, schema, path, errs);
    return out;
  }
  checkScalar(value, schema, path, errs);
  checkCombinators(value, schema, path, errs);
  return value;
}

function typeMatches(value: unknown, t: NonNullable<JSONSchemaProps['type']>): boolean {
  switch (t) {
    case 'object': return isObject(value);
    case 'array': return Array.isArray(value);
    case 'string': return typeof value === 'string';
    case 'integer': return typeof value === 'number' && Number.isInteger(value);
    case 'number': return typeof value === 'number';
    case 'boolean': return typeof value === 'boolean';
  }
}

function applyDefaults(out: Record<string, unknown>, schema: JSONSchemaProps, errs: FieldError[], path: string): void {
  for (const [k, sub] of Object.entries(schema.properties ?? {})) {
    if (out[k] === undefined && sub.default !== undefined) {
      out[k] = walk(structuredClone(sub.default), sub, path ? `${path}.${k}` : k, errs);
    }
  }
}

const formats: Record<string, RegExp> = {
  'date-time': /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/,
  date: /^\d{4}-\d{2}-\d{2}$/,
  uuid: /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/,
  email: /^[^\s@]+@[^\s@]+\.[^\s@]+$/,
  ipv4: /^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}$/,
  hostname: /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/,
  byte: /^[A-Za-z0-9+/]*={0,2}$/,
};

function checkScalar(value: unknown, schema: JSONSchemaProps, path: string, errs: FieldError[]): void {
  if (schema.enum !== undefined && !schema.enum.some((e) => JSON.stringify(e) === JSON.stringify(value))) {
    errs.push(fieldErrors.notSupported(path, value, schema.enum));
  }
  if (typeof value === 'number') {
    if (schema.minimum !== undefined && (schema.exclusiveMinimum ? value <= schema.minimum : value < schema.minimum)) {
      errs.push(fieldErrors.invalid(path, value, `${path} in body should be greater than ${schema.exclusiveMinimum ? '' : 'or equal to '}${schema.minimum}`));
    }
    if (schema.maximum !== undefined && (schema.exclusiveMaximum ? value >= schema.maximum : value > schema.maximum)) {
      errs.push(fieldErrors.invalid(path, value, `${path} in body should be less than ${schema.exclusiveMaximum ? '' : 'or equal to '}${schema.maximum}`));
    }
    if (schema.multipleOf !== undefined && Math.abs(value / schema.multipleOf - Math.round(value / schema.multipleOf)) > 1e-9) {
      errs.push(fieldErrors.invalid(path, value, `${path} in body should be a multiple of ${schema.multipleOf}`));
    }
    if (schema.format === 'int32' && (value < -2147483648 || value > 2147483647)) errs.push(fieldErrors.invalid(path, value, `${path} in body must be of type int32`));
  }
  if (typeof value === 'string') {
    const len = [...value].length;
    if (schema.minLength !== undefined && len < schema.minLength) errs.push(fieldErrors.invalid(path, value, `${path} in body should be at least ${schema.minLength} chars long`));
    if (schema.maxLength !== undefined && len > schema.maxLength) errs.push(fieldErrors.tooLong(path, schema.maxLength));
    if (schema.pattern !== undefined && !new RegExp(schema.pattern, 'u').test(value)) {
      errs.push(fieldErrors.invalid(path, value, `${path} in body should match '${schema.pattern}'`));
    }
    const f = schema.format ? formats[schema.format] : undefined;
    if (f && !f.test(value)) errs.push(fieldErrors.invalid(path, value, `${path} in body must be of type ${schema.format ?? ''}: "${value}"`));
  }
}

/** oneOf / anyOf / allOf / not constrain values only (structural schemas forbid types and defaults in them). */
function checkCombinators(value: unknown, schema: JSONSchemaProps, path: string, errs: FieldError[]): void {
  const passes = (s: JSONSchemaProps): boolean => {
    const e: FieldError[] = [];
    validateOnly(value, s, path, e);
    return e.length === 0;
  };
  if (schema.allOf) for (const s of schema.allOf) validateOnly(value, s, path, errs);
  if (schema.anyOf && !schema.anyOf.some(passes)) errs.push(fieldErrors.invalid(path, value, `${path} in body must match at least one schema in anyOf`));
  if (schema.oneOf && schema.oneOf.filter(passes).length !== 1) errs.push(fieldErrors.invalid(path, value, `${path} in body must match exactly one schema in oneOf`));
  if (schema.not && passes(schema.not)) errs.push(fieldErrors.invalid(path, value, `${path} in body must not match the schema in not`));
}

function validateOnly(value: unknown, schema: JSONSchemaProps, path: string, errs: FieldError[]): void {
  if (schema.type !== undefined && !typeMatches(value, schema.type)) {
    errs.push(fieldErrors.typeInvalid(path, value, `${path} in body must be of type ${schema.type}: "${typeName(value)}"`));
    return;
  }
  if (isObject(value)) {
    for (const req of schema.required ?? []) if (value[req] === undefined) errs.push(fieldErrors.required(`${path}.${req}`));
    for (const [k, sub] of Object.entries(schema.properties ?? {})) if (value[k] !== undefined) validateOnly(value[k], sub, `${path}.${k}`, errs);
  } else if (Array.isArray(value) && schema.items) {
    const items = schema.items;
    value.forEach((v, i) => validateOnly(v, items, `${path}[${i}]`, errs));
  } else {
    checkScalar(value, schema, path, errs);
  }
  checkCombinators(value, schema, path, errs);
}
