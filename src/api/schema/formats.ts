// The `format` and `pattern` keywords of structural schemas: ajv-formats' checks plus the formats Kubernetes adds.
import type { Format } from 'ajv';
import { fullFormats } from 'ajv-formats/dist/formats.js';
import { compileRe2, type Re2Pattern } from './re2.js';

/** One format check; `type` says which JSON values it looks at (others pass). */
interface FormatCheck {
  type: 'string' | 'number';
  test: (value: never) => boolean;
}

// Go durations ("1h30m", "250ms"), plus the day and week units Kubernetes' strfmt also accepts.
const goDuration = /^[-+]?(0|((\d+(\.\d*)?|\.\d+)\s*(ns|us|µs|μs|ms|s|m|h|d|w))+)$/;
const ipv4 = /^(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/;
const localDateTime = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?$/;

function fromAjv(format: Format | undefined): FormatCheck | undefined {
  if (format === undefined || format === true || typeof format === 'string') return undefined;
  if (format instanceof RegExp) return { type: 'string', test: (v: string) => format.test(v) };
  if (typeof format === 'function') return { type: 'string', test: (v: string) => format(v) };
  if ('async' in format && format.async === true) return undefined;
  const validate = format.validate;
  const type = format.type === 'number' ? 'number' : 'string';
  if (validate instanceof RegExp) return { type, test: (v: string) => validate.test(v) };
  if (typeof validate === 'function') return { type, test: (v: never) => (validate as (x: unknown) => boolean)(v) };
  return undefined;
}

function buildChecks(): Map<string, FormatCheck> {
  const checks = new Map<string, FormatCheck>();
  for (const [name, format] of Object.entries(fullFormats)) {
    const check = fromAjv(format);
    if (check) checks.set(name, check);
  }
  const dateTime = checks.get('date-time');
  const str = (re: RegExp): FormatCheck => ({ type: 'string', test: (v: string) => re.test(v) });
  // Kubernetes' date-time also takes a local time without zone; "datetime" is its alias.
  const lenientDateTime: FormatCheck = { type: 'string', test: (v: string) => localDateTime.test(v) || (dateTime?.test(v as never) ?? true) };
  checks.set('date-time', lenientDateTime);
  checks.set('datetime', lenientDateTime);
  // Kubernetes durations are Go durations, not ISO 8601 ones.
  checks.set('duration', str(goDuration));
  // JavaScript cannot hold int64 bounds exactly; any integer passes, as in Kubernetes.
  checks.set('int64', { type: 'number', test: (v: number) => Number.isInteger(v) });
  checks.set('uuid3', str(/^[0-9a-f]{8}-[0-9a-f]{4}-3[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}$/i));
  checks.set('uuid4', str(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/i));
  checks.set('uuid5', str(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/i));
  checks.set('mac', str(/^([0-9a-f]{2}[:-]){5}[0-9a-f]{2}$/i));
  checks.set('hexcolor', str(/^#?([0-9a-f]{3}|[0-9a-f]{6})$/i));
  checks.set('rgbcolor', str(/^rgb\(\s*\d{1,3}\s*,\s*\d{1,3}\s*,\s*\d{1,3}\s*\)$/));
  checks.set('bsonobjectid', str(/^[0-9a-f]{24}$/i));
  const ipv6 = checks.get('ipv6');
  checks.set('cidr', {
    type: 'string',
    test: (v: string) => {
      const slash = v.lastIndexOf('/');
      if (slash < 0) return false;
      const [ip, bits] = [v.slice(0, slash), v.slice(slash + 1)];
      if (!/^\d{1,3}$/.test(bits)) return false;
      if (ipv4.test(ip)) return Number(bits) <= 32;
      return (ipv6?.test(ip as never) ?? false) && Number(bits) <= 128;
    },
  });
  return checks;
}

const checks = buildChecks();

/** Whether `value` satisfies `format`; unknown formats, and values of a type the format does not look at, pass. */
export function matchesFormat(value: unknown, format: string): boolean {
  const check = checks.get(format);
  if (!check) return true;
  if (check.type === 'string') return typeof value !== 'string' || check.test(value as never);
  return typeof value !== 'number' || check.test(value as never);
}

/** Whether Floe checks `format` at all. */
export function isKnownFormat(format: string): boolean {
  return checks.has(format);
}

/**
 * Compiles a schema `pattern` as kube-apiserver does: Go regexp syntax on RE2, whose matching time is linear in the
 * input (a backtracking engine takes exponential time on `^(a+)+$` against "aaa…!"). Undefined when it does not compile.
 */
export function compilePattern(pattern: string): Re2Pattern | undefined {
  const compiled = compileRe2(pattern);
  return 'error' in compiled ? undefined : compiled;
}

/** Why `pattern` does not compile, in Go's words (`error parsing regexp: …`), or undefined when it does. */
export function patternError(pattern: string): string | undefined {
  const compiled = compileRe2(pattern);
  return 'error' in compiled ? compiled.error : undefined;
}
