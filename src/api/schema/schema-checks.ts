// The structural-schema rules a CRD version's openAPIV3Schema must follow before Floe serves it.
import { fieldErrors, type FieldError } from '../errors.js';
import type { JSONSchemaProps } from '../resource-type.js';
import { patternError } from './formats.js';
import { admitValue, canonicalJson, typeName } from './structural.js';

const schemaTypes = ['array', 'boolean', 'integer', 'number', 'object', 'string'];
const listTypes = ['atomic', 'map', 'set'];

/**
 * Checks the structural-schema rules users commonly break, returning every error with its full path
 * (`spec.versions[0].schema.openAPIV3Schema.properties[spec].properties[replicas].type`): the root is an
 * object; every specified field, array item and map value has a type (unless it is int-or-string or
 * preserves unknown fields); arrays have items; properties and additionalProperties exclude each
 * other; additionalProperties is never false; patterns compile; list-type rules hold; and defaults
 * validate against their schema and carry no unknown fields.
 */
export function validateStructuralSchema(schema: unknown, path: string): FieldError[] {
  const errs: FieldError[] = [];
  if (!isRecord(schema)) {
    errs.push(fieldErrors.typeInvalid(path, typeName(schema), `${path} must be of type object: "${typeName(schema)}"`));
    return errs;
  }
  check(schema, path, 'root', errs);
  return errs;
}

/** Where a schema node sits: it decides whether `type` is required and which message says so. */
type Position = 'root' | 'field' | 'item' | 'value' | 'combinator';

function check(s: JSONSchemaProps, path: string, at: Position, errs: FieldError[]): void {
  const type = s.type as unknown;
  const intOrString = s['x-kubernetes-int-or-string'] === true;
  const preserve = s['x-kubernetes-preserve-unknown-fields'];
  if (type !== undefined && (typeof type !== 'string' || !schemaTypes.includes(type))) {
    errs.push(fieldErrors.notSupported(`${path}.type`, type, schemaTypes));
  }
  if (at === 'root') {
    if (type === undefined) errs.push(fieldErrors.required(`${path}.type`, 'must not be empty at the root'));
    else if (type !== 'object') errs.push(fieldErrors.invalid(`${path}.type`, type, 'must be object at the root'));
  } else if (at !== 'combinator' && type === undefined && !intOrString && preserve !== true) {
    const where = at === 'item' ? 'array items' : 'object fields';
    errs.push(fieldErrors.required(`${path}.type`, `must not be empty for specified ${where}`));
  }
  if (intOrString && type !== undefined) errs.push(fieldErrors.invalid(`${path}.type`, type, 'must be empty if x-kubernetes-int-or-string is true'));
  if (preserve !== undefined && preserve !== true) errs.push(fieldErrors.invalid(`${path}.x-kubernetes-preserve-unknown-fields`, preserve, 'must be true or undefined'));
  if (s['x-kubernetes-embedded-resource'] === true && type !== 'object') {
    errs.push(fieldErrors.invalid(`${path}.type`, type ?? '', 'must be object if x-kubernetes-embedded-resource is true'));
  }

  const props = s.properties as unknown;
  if (props !== undefined) {
    if (!isRecord(props)) errs.push(fieldErrors.invalid(`${path}.properties`, typeName(props), 'must be an object'));
    else for (const [k, v] of Object.entries(props)) sub(v, `${path}.properties[${k}]`, at === 'combinator' ? 'combinator' : 'field', errs);
  }
  const additional = s.additionalProperties as unknown;
  if (additional === false) errs.push(fieldErrors.forbidden(`${path}.additionalProperties`, 'additionalProperties cannot be set to false'));
  else if (additional !== undefined && additional !== true) {
    if (isRecord(props)) errs.push(fieldErrors.forbidden(`${path}.additionalProperties`, 'additionalProperties and properties are mutual exclusive'));
    sub(additional, `${path}.additionalProperties`, at === 'combinator' ? 'combinator' : 'value', errs);
  }
  const items = s.items as unknown;
  if (items === undefined) {
    if (type === 'array') errs.push(fieldErrors.required(`${path}.items`, 'must be specified'));
  } else if (Array.isArray(items)) {
    errs.push(fieldErrors.forbidden(`${path}.items`, 'items must be a schema object and not an array'));
  } else {
    sub(items, `${path}.items`, at === 'combinator' ? 'combinator' : 'item', errs);
  }
  const required = s.required as unknown;
  if (required !== undefined && (!Array.isArray(required) || !required.every((r) => typeof r === 'string'))) {
    errs.push(fieldErrors.invalid(`${path}.required`, typeName(required), 'must be a list of property names'));
  }
  if (s.enum !== undefined && !Array.isArray(s.enum)) errs.push(fieldErrors.invalid(`${path}.enum`, typeName(s.enum), 'must be a list of values'));
  if (s.pattern !== undefined) {
    // kube-apiserver compiles patterns with Go's regexp (RE2): backreferences and lookaround are refused here, not at the first request.
    const why = typeof s.pattern === 'string' ? patternError(s.pattern) : 'must be a string';
    if (why !== undefined) errs.push(fieldErrors.invalid(`${path}.pattern`, s.pattern, `must be a valid regular expression, but isn't: ${why}`));
  }
  checkListType(s, path, errs);
  for (const key of ['allOf', 'anyOf', 'oneOf'] as const) {
    const list = s[key] as unknown;
    if (list === undefined) continue;
    if (!Array.isArray(list)) errs.push(fieldErrors.invalid(`${path}.${key}`, typeName(list), 'must be a list of schemas'));
    else list.forEach((v: unknown, i) => sub(v, `${path}.${key}[${i}]`, 'combinator', errs));
  }
  if (s.not !== undefined) sub(s.not, `${path}.not`, 'combinator', errs);
  if (s.default !== undefined && s.default !== null && at !== 'combinator') checkDefault(s, path, errs);
}

function sub(v: unknown, path: string, at: Position, errs: FieldError[]): void {
  if (!isRecord(v)) errs.push(fieldErrors.invalid(path, typeName(v), 'must be a schema object'));
  else check(v, path, at, errs);
}

function checkListType(s: JSONSchemaProps, path: string, errs: FieldError[]): void {
  const listType = s['x-kubernetes-list-type'] as unknown;
  const keys = s['x-kubernetes-list-map-keys'] as unknown;
  const keysPath = `${path}.x-kubernetes-list-map-keys`;
  if (listType !== undefined) {
    if (typeof listType !== 'string' || !listTypes.includes(listType)) errs.push(fieldErrors.notSupported(`${path}.x-kubernetes-list-type`, listType, listTypes));
    else if (s.type !== undefined && s.type !== 'array') errs.push(fieldErrors.invalid(`${path}.x-kubernetes-list-type`, listType, 'must only be used with type array'));
  }
  if (listType !== 'map') {
    if (keys !== undefined) errs.push(fieldErrors.forbidden(keysPath, 'must be empty if x-kubernetes-list-type is not map'));
    return;
  }
  if (!Array.isArray(keys) || keys.length === 0) {
    errs.push(fieldErrors.required(keysPath, 'must not be empty if x-kubernetes-list-type is map'));
    return;
  }
  const items = isRecord(s.items) ? (s.items as JSONSchemaProps) : undefined;
  if (!items) return;
  if (items.type !== 'object') errs.push(fieldErrors.invalid(`${path}.items.type`, items.type ?? '', 'must be object if parent array\'s x-kubernetes-list-type is map'));
  const props = isRecord(items.properties) ? items.properties : {};
  const required = Array.isArray(items.required) ? items.required : [];
  for (const k of keys) {
    if (typeof k !== 'string' || !Object.hasOwn(props, k)) {
      errs.push(fieldErrors.invalid(keysPath, keys, 'entries must all be names of item properties'));
      continue;
    }
    const prop = props[k];
    if (!required.includes(k) && (prop?.default === undefined || prop.default === null)) {
      errs.push(fieldErrors.required(`${path}.items.properties[${k}].default`, 'this property is in x-kubernetes-list-map-keys, so it must have a default or be a required property'));
    }
  }
}

/** A default must validate against its own schema and must not carry fields the schema would prune. */
function checkDefault(s: JSONSchemaProps, path: string, errs: FieldError[]): void {
  const at = `${path}.default`;
  const { value, errors } = admitValue(s.default, s, at, { defaults: false });
  errs.push(...errors);
  if (canonicalJson(value) !== canonicalJson(s.default)) errs.push(fieldErrors.invalid(at, typeName(s.default), 'must not have unknown fields'));
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
