// Field selectors: the ?fieldSelector= grammar with its backslash escapes, matching and formatting.
import { errors } from '../errors.js';

export type FieldOperator = 'Equals' | 'NotEquals';

export interface FieldRequirement {
  /** Taken verbatim, whitespace included, as the API server does; it rejects fields it does not know. */
  readonly field: string;
  readonly operator: FieldOperator;
  /** Unescaped. */
  readonly value: string;
}

/** The conjunction of its requirements; none selects everything. */
export interface FieldSelector {
  readonly requirements: readonly FieldRequirement[];
}

/**
 * Parses `?fieldSelector=` text: terms `field=value`, `field==value` or `field!=value` joined by `,`, where a
 * value escapes `\`, `,` and `=` with a backslash. Empty terms are skipped. Throws BadRequest.
 */
export function parseFieldSelector(text: string): FieldSelector {
  const requirements: FieldRequirement[] = [];
  const fail = (why: string): never => {
    throw errors.badRequest(`invalid field selector ${JSON.stringify(text)}: ${why}`);
  };
  for (const term of splitTerms(text)) {
    if (term === '') continue;
    const split = splitTerm(term);
    if (!split) return fail(`can't understand '${term}': expected field=value, field==value or field!=value`);
    const value = unescape(split.rest);
    if (typeof value !== 'string') return fail(`${value.problem} in the value of ${JSON.stringify(split.field)} (write '\\,', '\\=' and '\\\\' for literal ',', '=' and '\\')`);
    requirements.push({ field: split.field, operator: split.operator, value });
  }
  return { requirements };
}

/** Whether an object matches; `get` returns a field's value, and a missing field compares as ''. */
export function matchesFields(selector: FieldSelector, get: (field: string) => string | undefined): boolean {
  return selector.requirements.every((r) => ((get(r.field) ?? '') === r.value) === (r.operator === 'Equals'));
}

/** The distinct fields a selector names, in order: the API server rejects those a kind does not support. */
export function fieldsOf(selector: FieldSelector): string[] {
  return [...new Set(selector.requirements.map((r) => r.field))];
}

/** The text form; `parseFieldSelector` of it gives back the same requirements when no field name holds `=`, `!`, `,` or `\`. */
export function formatFieldSelector(selector: FieldSelector): string {
  return selector.requirements.map((r) => `${r.field}${r.operator === 'Equals' ? '=' : '!='}${escapeFieldValue(r.value)}`).join(',');
}

/** Escapes `\`, `,` and `=` so any string can stand as a field selector value. */
export function escapeFieldValue(value: string): string {
  return value.replace(/[\\,=]/g, (c) => `\\${c}`);
}

/** Reverses `escapeFieldValue`; throws BadRequest for an unknown escape, a trailing `\`, or a bare `,` or `=`. */
export function unescapeFieldValue(text: string): string {
  const value = unescape(text);
  if (typeof value !== 'string') throw errors.badRequest(`invalid field selector value ${JSON.stringify(text)}: ${value.problem}`);
  return value;
}

function unescape(text: string): string | { problem: string } {
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const c = text.charAt(i);
    if (c === ',' || c === '=') return { problem: `unescaped '${c}'` };
    if (c !== '\\') {
      out += c;
      continue;
    }
    const escaped = text.charAt(++i);
    if (escaped === '') return { problem: "invalid escape sequence: a trailing '\\'" };
    if (escaped !== '\\' && escaped !== ',' && escaped !== '=') return { problem: `invalid escape sequence: '\\${escaped}'` };
    out += escaped;
  }
  return out;
}

/** Splits at commas that are not escaped. */
function splitTerms(text: string): string[] {
  if (text === '') return [];
  const terms: string[] = [];
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charAt(i);
    if (c === '\\') i++;
    else if (c === ',') {
      terms.push(text.slice(start, i));
      start = i + 1;
    }
  }
  terms.push(text.slice(start));
  return terms;
}

/** Splits at the leftmost operator; at one position `!=` and `==` win over `=`. */
function splitTerm(term: string): { field: string; operator: FieldOperator; rest: string } | undefined {
  for (let i = 0; i < term.length; i++) {
    if (term.startsWith('!=', i)) return { field: term.slice(0, i), operator: 'NotEquals', rest: term.slice(i + 2) };
    if (term.startsWith('==', i)) return { field: term.slice(0, i), operator: 'Equals', rest: term.slice(i + 2) };
    if (term.charAt(i) === '=') return { field: term.slice(0, i), operator: 'Equals', rest: term.slice(i + 1) };
  }
  return undefined;
}
