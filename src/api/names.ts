// Kubernetes name rules: DNS-1123 labels and subdomains, qualified names for label keys, label values.
import { fieldErrors, type FieldError } from './errors.js';

const dns1123Label = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const dns1123Subdomain = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const qualifiedNamePart = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const labelValue = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

/** Messages for a DNS-1123 label (63 chars, lower-case alphanumerics and '-'); empty when valid. */
export function checkDns1123Label(value: string): string[] {
  const out: string[] = [];
  if (value.length > 63) out.push('must be no more than 63 characters');
  if (!dns1123Label.test(value)) {
    out.push("a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc')");
  }
  return out;
}

const dns1035Label = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;

/** Messages for a DNS-1035 label (as a Service name: starts with a letter); empty when valid. */
export function checkDns1035Label(value: string): string[] {
  const out: string[] = [];
  if (value.length > 63) out.push('must be no more than 63 characters');
  if (!dns1035Label.test(value)) {
    out.push("a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123')");
  }
  return out;
}

/** Messages for a DNS-1123 subdomain (253 chars, labels joined by '.'); empty when valid. */
export function checkDns1123Subdomain(value: string): string[] {
  const out: string[] = [];
  if (value.length > 253) out.push('must be no more than 253 characters');
  if (!dns1123Subdomain.test(value)) {
    out.push("a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com')");
  }
  return out;
}

/** Messages for a qualified name such as a label key: optional DNS subdomain prefix, '/', 63-char name. */
export function checkQualifiedName(value: string): string[] {
  const parts = value.split('/');
  let name = value;
  const out: string[] = [];
  if (parts.length === 2) {
    const [prefix = '', rest = ''] = parts;
    name = rest;
    if (prefix.length === 0) out.push('prefix part must be non-empty');
    else out.push(...checkDns1123Subdomain(prefix).map((m) => `prefix part ${m}`));
  } else if (parts.length > 2) {
    return ["a qualified name must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character, with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')"];
  }
  if (name.length === 0) out.push('name part must be non-empty');
  else if (name.length > 63) out.push('name part must be no more than 63 characters');
  if (name.length > 0 && !qualifiedNamePart.test(name)) {
    out.push("name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc')");
  }
  return out;
}

/** Messages for a label value (63 chars, may be empty); empty when valid. */
export function checkLabelValue(value: string): string[] {
  const out: string[] = [];
  if (value.length > 63) out.push('must be no more than 63 characters');
  if (!labelValue.test(value)) {
    out.push("a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345')");
  }
  return out;
}

/** Validates metadata.labels and metadata.annotations, returning every bad entry. */
export function validateLabelsAndAnnotations(meta: { labels?: unknown; annotations?: unknown }, path = 'metadata'): FieldError[] {
  const errs: FieldError[] = [];
  if (meta.labels !== undefined) {
    if (!isStringMap(meta.labels)) errs.push(fieldErrors.typeInvalid(`${path}.labels`, meta.labels, 'must be a map of string to string'));
    else {
      for (const [k, v] of Object.entries(meta.labels)) {
        for (const m of checkQualifiedName(k)) errs.push(fieldErrors.invalid(`${path}.labels`, k, m));
        for (const m of checkLabelValue(v)) errs.push(fieldErrors.invalid(`${path}.labels`, v, m));
      }
    }
  }
  if (meta.annotations !== undefined) {
    if (!isStringMap(meta.annotations)) errs.push(fieldErrors.typeInvalid(`${path}.annotations`, meta.annotations, 'must be a map of string to string'));
    else {
      let total = 0;
      for (const [k, v] of Object.entries(meta.annotations)) {
        for (const m of checkQualifiedName(k.toLowerCase())) errs.push(fieldErrors.invalid(`${path}.annotations`, k, m));
        total += k.length + v.length;
      }
      if (total > 256 * 1024) errs.push(fieldErrors.tooLong(`${path}.annotations`, 256 * 1024));
    }
  }
  return errs;
}

function isStringMap(v: unknown): v is Record<string, string> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && Object.values(v).every((x) => typeof x === 'string');
}
