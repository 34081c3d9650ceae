// CustomResourceDefinition defaulting, validation, and the served kinds a CRD defines.
import { fieldErrors, type FieldError } from '../errors.js';
import type { KubeObject } from '../meta.js';
import { checkDns1123Label, checkDns1123Subdomain } from '../names.js';
import { allVerbs, type JSONSchemaProps, type PrinterColumn, type ResourceType } from '../resource-type.js';
import { parseJsonPath } from './json-path.js';
import { validateStructuralSchema } from './schema-checks.js';
import { copyJson, typeName } from './structural.js';

const columnTypes = ['boolean', 'date', 'integer', 'number', 'string'];
const columnFormats = ['byte', 'date', 'date-time', 'double', 'float', 'int32', 'int64', 'password'];
const scopes = ['Cluster', 'Namespaced'];
const strategies = ['None', 'Webhook'];
const dns1035Label = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const dns1035Message = "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123')";
const kindMessage = 'may have mixed case, but should otherwise match: [a-z]([-a-z0-9]*[a-z0-9])?';

/**
 * Fills kube-apiserver's CRD defaults in place: `names.singular` = lower-case kind, `names.listKind` =
 * kind + "List", `conversion` = `{strategy: None}`, and port 443 for a webhook service.
 */
export function defaultCrd(crd: KubeObject): void {
  const spec = record(crd.spec);
  if (!spec) return;
  const names = record(spec.names);
  const kind = names ? text(names.kind) : undefined;
  if (names && kind) {
    if (!text(names.singular)) names.singular = kind.toLowerCase();
    if (!text(names.listKind)) names.listKind = `${kind}List`;
  }
  if (spec.conversion === undefined || spec.conversion === null) spec.conversion = { strategy: 'None' };
  const service = record(record(record(record(spec.conversion)?.webhook)?.clientConfig)?.service);
  if (service && service.port === undefined) service.port = 443;
}

/**
 * Everything kube-apiserver checks on a CRD that users commonly get wrong, every error with its full
 * path: the name, group, names, scope, versions (unique DNS-1035 names, exactly one storage version,
 * at least one served), each version's structural schema, subresources and printer columns, and the
 * conversion strategy. Call `defaultCrd` first, as the API server does.
 */
export function validateCrd(crd: KubeObject): FieldError[] {
  const errs: FieldError[] = [];
  const spec = record(crd.spec);
  if (!spec) return [fieldErrors.required('spec')];
  const group = text(spec.group);
  if (!group) errs.push(fieldErrors.required('spec.group'));
  else {
    for (const m of checkDns1123Subdomain(group)) errs.push(fieldErrors.invalid('spec.group', group, m));
    if (!group.includes('.')) errs.push(fieldErrors.invalid('spec.group', group, 'should be a domain with at least one dot'));
  }
  const names = record(spec.names);
  if (!names) errs.push(fieldErrors.required('spec.names'));
  const plural = names ? text(names.plural) : undefined;
  if (names) validateNames(names, errs);
  const expected = `${plural ?? ''}.${group ?? ''}`;
  if (crd.metadata.name !== expected) errs.push(fieldErrors.invalid('metadata.name', crd.metadata.name ?? '', 'must be spec.names.plural+"."+spec.group'));
  const scope = text(spec.scope);
  if (!scope) errs.push(fieldErrors.required('spec.scope'));
  else if (!scopes.includes(scope)) errs.push(fieldErrors.notSupported('spec.scope', scope, scopes));
  validateVersions(spec.versions, errs);
  validateConversion(spec.conversion, errs);
  if (spec.preserveUnknownFields === true) {
    errs.push(fieldErrors.invalid('spec.preserveUnknownFields', true, 'cannot set to true, set x-kubernetes-preserve-unknown-fields to true in spec.versions[*].schema instead'));
  }
  return errs;
}

function validateNames(names: Record<string, unknown>, errs: FieldError[]): void {
  const label = (key: string, required: boolean): void => {
    const path = `spec.names.${key}`;
    const v = names[key];
    if (v === undefined || v === '') {
      if (required) errs.push(fieldErrors.required(path));
    } else if (typeof v !== 'string') errs.push(fieldErrors.typeInvalid(path, typeName(v), 'must be a string'));
    else for (const m of checkDns1123Label(v)) errs.push(fieldErrors.invalid(path, v, m));
  };
  label('plural', true);
  label('singular', false);
  const kindName = (key: string, required: boolean): string | undefined => {
    const path = `spec.names.${key}`;
    const v = names[key];
    if (v === undefined || v === '') {
      if (required) errs.push(fieldErrors.required(path));
      return undefined;
    }
    if (typeof v !== 'string') {
      errs.push(fieldErrors.typeInvalid(path, typeName(v), 'must be a string'));
      return undefined;
    }
    if (v.length > 63 || !dns1035Label.test(v.toLowerCase())) errs.push(fieldErrors.invalid(path, v, kindMessage));
    return v;
  };
  const kind = kindName('kind', true);
  const listKind = kindName('listKind', false);
  if (kind !== undefined && kind === listKind) errs.push(fieldErrors.invalid('spec.names.listKind', listKind, 'kind and listKind may not be the same or parsing become ambiguous'));
  for (const key of ['shortNames', 'categories']) {
    const list = names[key];
    if (list === undefined) continue;
    if (!Array.isArray(list)) {
      errs.push(fieldErrors.typeInvalid(`spec.names.${key}`, typeName(list), 'must be a list of strings'));
      continue;
    }
    list.forEach((v: unknown, i) => {
      const path = `spec.names.${key}[${i}]`;
      if (typeof v !== 'string') errs.push(fieldErrors.typeInvalid(path, typeName(v), 'must be a string'));
      else for (const m of checkDns1123Label(v)) errs.push(fieldErrors.invalid(path, v, m));
    });
  }
}

function validateVersions(raw: unknown, errs: FieldError[]): void {
  if (raw === undefined || raw === null || (Array.isArray(raw) && raw.length === 0)) {
    errs.push(fieldErrors.required('spec.versions', 'must have exactly one version marked as storage version'));
    return;
  }
  if (!Array.isArray(raw)) {
    errs.push(fieldErrors.typeInvalid('spec.versions', typeName(raw), 'must be a list of versions'));
    return;
  }
  const seen = new Set<string>();
  let storage = 0;
  let served = 0;
  raw.forEach((item: unknown, i) => {
    const p = `spec.versions[${i}]`;
    const v = record(item);
    if (!v) {
      errs.push(fieldErrors.typeInvalid(p, typeName(item), 'must be an object'));
      return;
    }
    const name = v.name;
    if (name === undefined || name === '') errs.push(fieldErrors.required(`${p}.name`));
    else if (typeof name !== 'string') errs.push(fieldErrors.typeInvalid(`${p}.name`, typeName(name), 'must be a string'));
    else {
      if (name.length > 63 || !dns1035Label.test(name)) errs.push(fieldErrors.invalid(`${p}.name`, name, dns1035Message));
      if (seen.has(name)) errs.push(fieldErrors.duplicate(`${p}.name`, name));
      seen.add(name);
    }
    for (const flag of ['served', 'storage']) {
      if (v[flag] !== undefined && typeof v[flag] !== 'boolean') errs.push(fieldErrors.typeInvalid(`${p}.${flag}`, typeName(v[flag]), 'must be a boolean'));
    }
    if (v.served === true) served++;
    if (v.storage === true) {
      storage++;
      if (storage > 1) errs.push(fieldErrors.invalid(`${p}.storage`, true, 'must have exactly one version marked as storage version'));
    }
    if (v.schema !== undefined && v.schema !== null) {
      const schema = record(v.schema);
      if (!schema) errs.push(fieldErrors.typeInvalid(`${p}.schema`, typeName(v.schema), 'must be an object'));
      else if (schema.openAPIV3Schema === undefined || schema.openAPIV3Schema === null) errs.push(fieldErrors.required(`${p}.schema.openAPIV3Schema`, 'schemas are required'));
      else errs.push(...validateStructuralSchema(schema.openAPIV3Schema, `${p}.schema.openAPIV3Schema`));
    }
    validateSubresources(v.subresources, `${p}.subresources`, errs);
    validateColumns(v.additionalPrinterColumns, `${p}.additionalPrinterColumns`, errs);
  });
  if (storage === 0) errs.push(fieldErrors.invalid('spec.versions', raw.map((v: unknown) => record(v)?.name ?? null), 'must have exactly one version marked as storage version'));
  if (served === 0) errs.push(fieldErrors.invalid('spec.versions', raw.map((v: unknown) => record(v)?.name ?? null), 'must have at least one version marked as served'));
}

function validateSubresources(raw: unknown, path: string, errs: FieldError[]): void {
  if (raw === undefined || raw === null) return;
  const sub = record(raw);
  if (!sub) {
    errs.push(fieldErrors.typeInvalid(path, typeName(raw), 'must be an object'));
    return;
  }
  if (sub.status !== undefined && sub.status !== null && !record(sub.status)) errs.push(fieldErrors.typeInvalid(`${path}.status`, typeName(sub.status), 'must be an object ({})'));
  if (sub.scale === undefined || sub.scale === null) return;
  const scale = record(sub.scale);
  if (!scale) {
    errs.push(fieldErrors.typeInvalid(`${path}.scale`, typeName(sub.scale), 'must be an object'));
    return;
  }
  const jsonPathUnder = (key: string, roots: string[], required: boolean): void => {
    const p = `${path}.scale.${key}`;
    const v = scale[key];
    if (v === undefined || v === '') {
      if (required) errs.push(fieldErrors.required(p));
      return;
    }
    if (typeof v !== 'string' || !roots.some((r) => v.startsWith(`${r}.`)) || !parses(v)) {
      errs.push(fieldErrors.invalid(p, v, `should be a json path under ${roots.join(' or ')}`));
    }
  };
  jsonPathUnder('specReplicasPath', ['.spec'], true);
  jsonPathUnder('statusReplicasPath', ['.status'], true);
  jsonPathUnder('labelSelectorPath', ['.spec', '.status'], false);
}

function validateColumns(raw: unknown, path: string, errs: FieldError[]): void {
  if (raw === undefined || raw === null) return;
  if (!Array.isArray(raw)) {
    errs.push(fieldErrors.typeInvalid(path, typeName(raw), 'must be a list of columns'));
    return;
  }
  raw.forEach((item: unknown, j) => {
    const p = `${path}[${j}]`;
    const c = record(item);
    if (!c) {
      errs.push(fieldErrors.typeInvalid(p, typeName(item), 'must be an object'));
      return;
    }
    if (!text(c.name)) errs.push(fieldErrors.required(`${p}.name`));
    if (c.type === undefined || c.type === '') errs.push(fieldErrors.required(`${p}.type`));
    else if (typeof c.type !== 'string' || !columnTypes.includes(c.type)) errs.push(fieldErrors.notSupported(`${p}.type`, c.type, columnTypes));
    if (c.format !== undefined && c.format !== '' && (typeof c.format !== 'string' || !columnFormats.includes(c.format))) {
      errs.push(fieldErrors.notSupported(`${p}.format`, c.format, columnFormats));
    }
    const jsonPath = c.jsonPath;
    if (jsonPath === undefined || jsonPath === '') errs.push(fieldErrors.required(`${p}.jsonPath`));
    else if (typeof jsonPath !== 'string' || !jsonPath.startsWith('.')) errs.push(fieldErrors.invalid(`${p}.jsonPath`, jsonPath, 'must be a simple json path starting with .'));
    else {
      const problem = parseProblem(jsonPath);
      if (problem) errs.push(fieldErrors.invalid(`${p}.jsonPath`, jsonPath, `invalid JSONPath: ${problem}`));
    }
    if (c.priority !== undefined && (typeof c.priority !== 'number' || !Number.isInteger(c.priority) || c.priority < 0)) {
      errs.push(fieldErrors.invalid(`${p}.priority`, c.priority, 'must be a non-negative integer'));
    }
  });
}

function validateConversion(raw: unknown, errs: FieldError[]): void {
  if (raw === undefined || raw === null) return;
  const conversion = record(raw);
  if (!conversion) {
    errs.push(fieldErrors.typeInvalid('spec.conversion', typeName(raw), 'must be an object'));
    return;
  }
  const strategy = conversion.strategy;
  if (strategy === undefined || strategy === '') errs.push(fieldErrors.required('spec.conversion.strategy'));
  else if (typeof strategy !== 'string' || !strategies.includes(strategy)) errs.push(fieldErrors.notSupported('spec.conversion.strategy', strategy, strategies));
  const webhook = conversion.webhook;
  if (strategy === 'Webhook') {
    const w = record(webhook);
    if (!w) errs.push(fieldErrors.required('spec.conversion.webhook', 'required when strategy is set to Webhook'));
    else {
      if (!record(w.clientConfig)) errs.push(fieldErrors.required('spec.conversion.webhook.clientConfig', 'required when strategy is set to Webhook'));
      if (!Array.isArray(w.conversionReviewVersions) || w.conversionReviewVersions.length === 0) {
        errs.push(fieldErrors.required('spec.conversion.webhook.conversionReviewVersions', 'must contain at least one version'));
      }
    }
  } else if (webhook !== undefined && webhook !== null) {
    errs.push(fieldErrors.forbidden('spec.conversion.webhook', 'should not be set when strategy is not set to Webhook'));
  }
}

/**
 * One ResourceType per served version of a CRD that passed `validateCrd` (after `defaultCrd`).
 * Columns come from `additionalPrinterColumns` only; a CRD without any gets none (AGE is added by
 * the table printer). The schema is copied, so later edits of the CRD object do not reach it.
 */
export function resourceTypesFromCrd(crd: KubeObject): ResourceType[] {
  const spec = record(crd.spec) ?? {};
  const names = record(spec.names) ?? {};
  const versions = (Array.isArray(spec.versions) ? spec.versions : []).map((v: unknown) => record(v) ?? {});
  const kind = text(names.kind) ?? '';
  const storageVersion = text(versions.find((v) => v.storage === true)?.name) ?? text(versions[0]?.name) ?? '';
  return versions
    .filter((v) => v.served === true)
    .map((v) => {
      const type: ResourceType = {
        group: text(spec.group) ?? '',
        version: text(v.name) ?? '',
        kind,
        listKind: text(names.listKind) ?? `${kind}List`,
        plural: text(names.plural) ?? '',
        singular: text(names.singular) ?? kind.toLowerCase(),
        namespaced: spec.scope !== 'Cluster',
        shortNames: strings(names.shortNames),
        categories: strings(names.categories),
        storageVersion,
        statusSubresource: record(record(v.subresources)?.status) !== undefined,
        columns: (Array.isArray(v.additionalPrinterColumns) ? v.additionalPrinterColumns : []).flatMap((raw: unknown) => {
          const c = record(raw);
          const column = c ? toColumn(c) : undefined;
          return column ? [column] : [];
        }),
        generationFrom: 'spec',
        verbs: [...allVerbs],
        source: { from: 'crd', crdName: crd.metadata.name ?? '' },
      };
      const schema = record(record(v.schema)?.openAPIV3Schema);
      if (schema) type.schema = copyJson(schema) as JSONSchemaProps;
      // subresources.scale: the autoscaling/v1 Scale view (served by the API handler, `kubectl scale`).
      const scale = record(record(v.subresources)?.scale);
      if (scale) {
        type.scale = { specReplicasPath: text(scale.specReplicasPath) ?? '', statusReplicasPath: text(scale.statusReplicasPath) ?? '', selector: 'text' };
        const selectorPath = text(scale.labelSelectorPath);
        if (selectorPath) type.scale.labelSelectorPath = selectorPath;
      }
      return type;
    });
}

function toColumn(c: Record<string, unknown>): PrinterColumn | undefined {
  const name = text(c.name);
  const jsonPath = text(c.jsonPath);
  const type = c.type;
  if (!name || !jsonPath || typeof type !== 'string' || !columnTypes.includes(type)) return undefined;
  const column: PrinterColumn = { name, type: type as PrinterColumn['type'], jsonPath };
  const description = text(c.description);
  const format = text(c.format);
  if (description) column.description = description;
  if (format) column.format = format;
  if (typeof c.priority === 'number') column.priority = c.priority;
  return column;
}

function parses(jsonPath: string): boolean {
  return parseProblem(jsonPath) === undefined;
}

function parseProblem(jsonPath: string): string | undefined {
  try {
    parseJsonPath(jsonPath);
    return undefined;
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
}

function record(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function strings(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}
