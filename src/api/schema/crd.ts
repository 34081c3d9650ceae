// CustomResourceDefinition defaulting, validation, and the served kinds a CRD defines.
import { fieldErrors, type FieldError } from '../errors.js';
import type { KubeObject } from '../meta.js';
import { checkDns1123Label, checkDns1123Subdomain } from '../names.js';
import { allVerbs, type JSONSchemaProps, type PrinterColumn, type ResourceType } from '../resource-type.js';

interface CrdVersion {
  name?: string;
  served?: boolean;
  storage?: boolean;
  schema?: { openAPIV3Schema?: JSONSchemaProps };
  subresources?: { status?: unknown; scale?: unknown };
  additionalPrinterColumns?: Partial<PrinterColumn>[];
}

interface CrdSpec {
  group?: string;
  scope?: string;
  names?: { plural?: string; singular?: string; kind?: string; listKind?: string; shortNames?: string[]; categories?: string[] };
  versions?: CrdVersion[];
  conversion?: { strategy?: string };
}

const columnTypes = ['string', 'integer', 'number', 'boolean', 'date'];

export function defaultCrd(crd: KubeObject): void {
  const spec = (crd.spec ?? {}) as CrdSpec;
  const names = spec.names;
  if (names?.kind) {
    names.listKind ??= `${names.kind}List`;
    names.singular ??= names.kind.toLowerCase();
  }
  spec.conversion ??= { strategy: 'None' };
  for (const v of spec.versions ?? []) {
    for (const c of v.additionalPrinterColumns ?? []) c.priority ??= 0;
  }
}

export function validateCrd(crd: KubeObject): FieldError[] {
  const errs: FieldError[] = [];
  const spec = crd.spec as CrdSpec | undefined;
  if (!spec || typeof spec !== 'object') return [fieldErrors.required('spec')];
  const group = spec.group ?? '';
  if (!group) errs.push(fieldErrors.required('spec.group'));
  else {
    for (const m of checkDns1123Subdomain(group)) errs.push(fieldErrors.invalid('spec.group', group, m));
    if (!group.includes('.')) errs.push(fieldErrors.invalid('spec.group', group, "should be a domain with at least one dot"));
  }
  const names = spec.names ?? {};
  if (!names.plural) errs.push(fieldErrors.required('spec.names.plural'));
  else for (const m of checkDns1123Label(names.plural)) errs.push(fieldErrors.invalid('spec.names.plural', names.plural, m));
  if (names.singular) for (const m of checkDns1123Label(names.singular)) errs.push(fieldErrors.invalid('spec.names.singular', names.singular, m));
  if (!names.kind) errs.push(fieldErrors.required('spec.names.kind'));
  else if (!/^[A-Za-z][A-Za-z0-9]*$/.test(names.kind)) errs.push(fieldErrors.invalid('spec.names.kind', names.kind, 'may have mixed case, but should otherwise match: [a-z]([-a-z0-9]*[a-z0-9])?'));
  (names.shortNames ?? []).forEach((s, i) => { for (const m of checkDns1123Label(s)) errs.push(fieldErrors.invalid(`spec.names.shortNames[${i}]`, s, m)); });
  const expected = `${names.plural ?? ''}.${group}`;
  if (crd.metadata.name !== expected) errs.push(fieldErrors.invalid('metadata.name', crd.metadata.name ?? '', `must be spec.names.plural+"."+spec.group`));
  if (spec.scope !== 'Namespaced' && spec.scope !== 'Cluster') errs.push(fieldErrors.notSupported('spec.scope', spec.scope ?? '', ['Cluster', 'Namespaced']));
  const versions = spec.versions ?? [];
  if (versions.length === 0) errs.push(fieldErrors.required('spec.versions', 'must have exactly one version marked as storage version'));
  const seen = new Set<string>();
  let storage = 0;
  versions.forEach((v, i) => {
    const p = `spec.versions[${i}]`;
    if (!v.name) errs.push(fieldErrors.required(`${p}.name`));
    else {
      for (const m of checkDns1123Label(v.name)) errs.push(fieldErrors.invalid(`${p}.name`, v.name, m));
      if (seen.has(v.name)) errs.push(fieldErrors.duplicate(`${p}.name`, v.name));
      seen.add(v.name);
    }
    if (v.storage) storage++;
    const root = v.schema?.openAPIV3Schema;
    if (root && root.type !== 'object') errs.push(fieldErrors.invalid(`${p}.schema.openAPIV3Schema.type`, root.type ?? '', 'must be object at the root'));
    (v.additionalPrinterColumns ?? []).forEach((c, j) => {
      const cp = `${p}.additionalPrinterColumns[${j}]`;
      if (!c.name) errs.push(fieldErrors.required(`${cp}.name`));
      if (!c.jsonPath) errs.push(fieldErrors.required(`${cp}.jsonPath`));
      if (!c.type) errs.push(fieldErrors.required(`${cp}.type`));
      else if (!columnTypes.includes(c.type)) errs.push(fieldErrors.notSupported(`${cp}.type`, c.type, columnTypes));
    });
  });
  if (versions.length > 0 && storage !== 1) errs.push(fieldErrors.invalid('spec.versions', versions.map((v) => v.name), 'must have exactly one version marked as storage version'));
  if (versions.length > 0 && !versions.some((v) => v.served)) errs.push(fieldErrors.invalid('spec.versions', versions.map((v) => v.name), 'must have at least one version marked as served'));
  return errs;
}

/** One ResourceType per served version of a (valid) CRD. */
export function resourceTypesFromCrd(crd: KubeObject): ResourceType[] {
  const spec = crd.spec as CrdSpec;
  const names = spec.names ?? {};
  const versions = spec.versions ?? [];
  const storageVersion = versions.find((v) => v.storage)?.name ?? versions[0]?.name ?? 'v1';
  return versions.filter((v) => v.served).map((v) => {
    const type: ResourceType = {
      group: spec.group ?? '',
      version: v.name ?? '',
      kind: names.kind ?? '',
      listKind: names.listKind ?? `${names.kind ?? ''}List`,
      plural: names.plural ?? '',
      singular: names.singular ?? (names.kind ?? '').toLowerCase(),
      namespaced: spec.scope !== 'Cluster',
      shortNames: names.shortNames ?? [],
      categories: names.categories ?? [],
      storageVersion,
      statusSubresource: v.subresources?.status !== undefined && v.subresources.status !== null,
      columns: (v.additionalPrinterColumns ?? []).map((c) => {
        const col: PrinterColumn = { name: c.name ?? '', type: c.type ?? 'string', jsonPath: c.jsonPath ?? '' };
        if (c.description) col.description = c.description;
        if (c.format) col.format = c.format;
        if (c.priority !== undefined) col.priority = c.priority;
        return col;
      }),
      generationFrom: 'spec',
      verbs: allVerbs,
      source: { from: 'crd', crdName: crd.metadata.name ?? '' },
    };
    const schema = v.schema?.openAPIV3Schema;
    if (schema) type.schema = schema;
    return type;
  });
}
