// Field checks shared by the built-in kinds, with kube-apiserver's paths and wording: ports, keys, quantities, taints, tolerations.
import { isIP } from 'node:net';
import { fieldErrors, type FieldError } from '../errors.js';
import { checkLabelValue, checkQualifiedName } from '../names.js';
import { parseQuantity, quantityFormatMessage } from './quantity.js';
import { list, record, text } from './json.js';

/** Kubernetes' RegexError: the message, examples and the regular expression used. */
export function regexError(message: string, regex: string, ...examples: string[]): string {
  if (examples.length === 0) return `${message} (regex used for validation is '${regex}')`;
  return `${message} (e.g. ${examples.map((e) => `'${e}', `).join(' or ')}regex used for validation is '${regex}')`;
}

export const protocols = ['SCTP', 'TCP', 'UDP'] as const;

/** An int32 port number: 1..65535. */
export function checkPortNumber(field: string, value: unknown): FieldError[] {
  if (typeof value === 'number' && Number.isInteger(value) && value >= 1 && value <= 65535) return [];
  return [fieldErrors.invalid(field, value ?? 0, 'must be between 1 and 65535, inclusive')];
}

/** IANA service names as Kubernetes restricts port names (IsValidPortName). */
export function portNameMessages(name: string): string[] {
  const out: string[] = [];
  if (name.length > 15) out.push('must be no more than 15 characters');
  if (!/^[-a-z0-9]+$/.test(name)) out.push('must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)');
  if (!/[a-z]/.test(name)) out.push('must contain at least one letter (a-z)');
  if (name.includes('--')) out.push('must not contain consecutive hyphens');
  if (name.startsWith('-') || name.endsWith('-')) out.push('must not begin or end with a hyphen');
  return out;
}

/** A protocol, when given, is one of SCTP, TCP and UDP (defaulting fills TCP). */
export function checkProtocol(field: string, value: unknown): FieldError[] {
  if (value === undefined || value === null || value === '') return [];
  return (protocols as readonly unknown[]).includes(value) ? [] : [fieldErrors.notSupported(field, value, protocols)];
}

/** A targetPort-like int-or-string: a port number or an IANA port name. */
export function checkPortNumberOrName(field: string, value: unknown): FieldError[] {
  if (typeof value === 'string') {
    if (/^\d+$/.test(value)) return checkPortNumber(field, Number(value));
    return portNameMessages(value).map((m) => fieldErrors.invalid(field, value, m));
  }
  return checkPortNumber(field, value);
}

/** Keys of ConfigMap and Secret data (IsConfigMapKey). */
export function configKeyMessages(key: string): string[] {
  const out: string[] = [];
  if (key.length > 253) out.push('must be no more than 253 characters');
  if (!/^[-._a-zA-Z0-9]+$/.test(key)) {
    out.push(regexError("a valid config key must consist of alphanumeric characters, '-', '_' or '.'", '[-._a-zA-Z0-9]+', 'key.name', 'KEY_NAME', 'key-name'));
  }
  if (key === '.') out.push("must not be '.'");
  else if (key === '..') out.push("must not be '..'");
  else if (key.startsWith('..')) out.push("must not start with '..'");
  return out;
}

/** Environment variable names (IsEnvVarName). */
export function envNameMessages(name: string): string[] {
  if (/^[-._a-zA-Z][-._a-zA-Z0-9]*$/.test(name)) return [];
  return [regexError("a valid environment variable name must consist of alphabetic characters, digits, '_', '-', or '.', and must not start with a digit", '[-._a-zA-Z][-._a-zA-Z0-9]*', 'my.env-name', 'MY_ENV.NAME', 'MyEnvName1')];
}

/** Whether a string is standard base64 with padding, as Go's encoding/json decodes []byte. */
export function isBase64(value: string): boolean {
  return value.length % 4 === 0 && /^[A-Za-z0-9+/]*={0,2}$/.test(value);
}

export function checkIp(field: string, value: unknown): FieldError[] {
  if (typeof value !== 'string' || value === '') return [fieldErrors.required(field)];
  return isIP(value) === 0 ? [fieldErrors.invalid(field, value, 'must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)')] : [];
}

/** Label keys, taint keys, toleration keys: qualified names. */
export function checkLabelKey(field: string, key: string): FieldError[] {
  return checkQualifiedName(key).map((m) => fieldErrors.invalid(field, key, m));
}

const standardContainerResources = new Set(['cpu', 'memory', 'ephemeral-storage']);

/** Native resources live in the kubernetes.io domain or have no domain; the rest are extended resources (nvidia.com/gpu). */
function isNativeResource(name: string): boolean {
  return !name.includes('/') || name.includes('kubernetes.io/');
}

function isHugePages(name: string): boolean {
  return name.startsWith('hugepages-');
}

/** Resources the scheduler may overcommit: native ones but huge pages. Extended resources need requests equal to limits. */
function isOvercommitAllowed(name: string): boolean {
  return isNativeResource(name) && !isHugePages(name);
}

function isIntegerResource(name: string): boolean {
  return isHugePages(name) || name.startsWith('attachable-volumes-') || !isNativeResource(name);
}

function checkContainerResourceName(field: string, name: string): FieldError[] {
  const errs = checkLabelKey(field, name);
  if (!name.includes('/')) {
    if (!standardContainerResources.has(name) && !isHugePages(name)) errs.push(fieldErrors.invalid(field, name, 'must be a standard resource for containers'));
  } else if (!isNativeResource(name) && name.startsWith('requests.')) {
    errs.push(fieldErrors.invalid(field, name, "doesn't follow extended resource name standard"));
  }
  return errs;
}

function checkQuantityValue(field: string, name: string, value: unknown): { errs: FieldError[]; parsed: number | undefined } {
  const parsed = parseQuantity(value);
  if (parsed === undefined) return { errs: [fieldErrors.invalid(field, value, quantityFormatMessage)], parsed };
  const errs: FieldError[] = [];
  if (parsed < 0) errs.push(fieldErrors.invalid(field, String(value), 'must be greater than or equal to 0'));
  if (isIntegerResource(name) && !Number.isInteger(parsed)) errs.push(fieldErrors.invalid(field, String(value), 'must be an integer'));
  return { errs, parsed };
}

/** A container's (or PVC's) resources: names, quantities, and requests no greater than limits (equal for extended resources). */
export function checkResourceRequirements(field: string, value: unknown): FieldError[] {
  const errs: FieldError[] = [];
  const resources = record(value);
  const limits = record(resources.limits);
  const limitValues = new Map<string, number | undefined>();
  for (const [name, q] of Object.entries(limits)) {
    const path = `${field}.limits[${name}]`;
    errs.push(...checkContainerResourceName(path, name));
    const checked = checkQuantityValue(path, name, q);
    errs.push(...checked.errs);
    limitValues.set(name, checked.parsed);
  }
  for (const [name, q] of Object.entries(record(resources.requests))) {
    const path = `${field}.requests[${name}]`;
    errs.push(...checkContainerResourceName(path, name));
    const checked = checkQuantityValue(path, name, q);
    errs.push(...checked.errs);
    if (limitValues.has(name)) {
      const limit = limitValues.get(name);
      if (checked.parsed === undefined || limit === undefined) continue;
      if (checked.parsed !== limit && !isOvercommitAllowed(name)) {
        errs.push(fieldErrors.invalid(`${field}.requests`, String(q), `must be equal to ${name} limit of ${String(limits[name])}`));
      } else if (checked.parsed > limit) {
        errs.push(fieldErrors.invalid(`${field}.requests`, String(q), `must be less than or equal to ${name} limit of ${String(limits[name])}`));
      }
    } else if (!isOvercommitAllowed(name)) {
      errs.push(fieldErrors.required(`${field}.limits`, 'Limit must be set for non overcommitable resources'));
    }
  }
  return errs;
}

export const taintEffects = ['NoSchedule', 'PreferNoSchedule', 'NoExecute'] as const;

export function checkTaintEffect(field: string, effect: unknown, allowEmpty: boolean): FieldError[] {
  if (effect === undefined || effect === null || effect === '') return allowEmpty ? [] : [fieldErrors.required(field)];
  return (taintEffects as readonly unknown[]).includes(effect) ? [] : [fieldErrors.notSupported(field, effect, taintEffects)];
}

/** Node taints: qualified keys, label-valued values, a supported effect, unique by key and effect. */
export function checkTaints(field: string, value: unknown): FieldError[] {
  const errs: FieldError[] = [];
  const seen = new Set<string>();
  list(value).forEach((item, i) => {
    const taint = record(item);
    const p = `${field}[${i}]`;
    const key = text(taint.key);
    errs.push(...checkLabelKey(`${p}.key`, key));
    const v = text(taint.value);
    if (v) errs.push(...checkLabelValue(v).map((m) => fieldErrors.invalid(`${p}.value`, v, m)));
    errs.push(...checkTaintEffect(`${p}.effect`, taint.effect, false));
    const id = `${key}\u0000${text(taint.effect)}`;
    if (seen.has(id)) errs.push({ type: 'FieldValueDuplicate', field: p, message: `Duplicate value: ${JSON.stringify(item)}: taints must be unique by key and effect pair` });
    seen.add(id);
  });
  return errs;
}

/** Pod tolerations (ValidateTolerations). */
export function checkTolerations(field: string, value: unknown): FieldError[] {
  const errs: FieldError[] = [];
  list(value).forEach((item, i) => {
    const t = record(item);
    const p = `${field}[${i}]`;
    const key = text(t.key);
    const operator = text(t.operator);
    const effect = text(t.effect);
    if (key) errs.push(...checkLabelKey(`${p}.key`, key));
    if (!key && operator !== 'Exists') {
      errs.push(fieldErrors.invalid(`${p}.operator`, operator, 'operator must be Exists when `key` is empty, which means "match all values and all keys"'));
    }
    if (t.tolerationSeconds !== undefined && t.tolerationSeconds !== null && effect !== 'NoExecute') {
      errs.push(fieldErrors.invalid(`${p}.effect`, effect, "effect must be 'NoExecute' when `tolerationSeconds` is set"));
    }
    if (operator === 'Equal' || operator === '') {
      const messages = checkLabelValue(text(t.value));
      if (messages.length > 0) errs.push(fieldErrors.invalid(`${p}.operator`, text(t.value), messages.join(';')));
    } else if (operator === 'Exists') {
      if (text(t.value)) errs.push(fieldErrors.invalid(`${p}.operator`, item, "value must be empty when `operator` is 'Exists'"));
    } else {
      errs.push(fieldErrors.notSupported(`${p}.operator`, operator, ['Equal', 'Exists']));
    }
    if (effect) errs.push(...checkTaintEffect(`${p}.effect`, effect, true));
  });
  return errs;
}

/** A value from a fixed set; empty is left to defaulting. */
export function checkOneOf(field: string, value: unknown, allowed: readonly string[]): FieldError[] {
  if (value === undefined || value === null || value === '') return [];
  return allowed.includes(value as string) ? [] : [fieldErrors.notSupported(field, value, allowed)];
}
