// Label selectors: the ?labelSelector= grammar, the metav1.LabelSelector object form, matching and formatting.
import { errors, fieldErrors, type FieldError } from '../errors.js';
import { checkLabelValue, checkQualifiedName } from '../names.js';

/** `Equals` covers both `=` and `==`; `GreaterThan` / `LessThan` are the API server's `a>1` / `a<1`. */
export type LabelOperator = 'In' | 'NotIn' | 'Exists' | 'DoesNotExist' | 'Equals' | 'NotEquals' | 'GreaterThan' | 'LessThan';

export interface LabelRequirement {
  readonly key: string;
  readonly operator: LabelOperator;
  /** A sorted set: one value for Equals, NotEquals, GreaterThan and LessThan, at least one for In and NotIn, none otherwise. */
  readonly values: readonly string[];
}

/** The conjunction of its requirements, sorted by key; no requirements selects everything. */
export interface LabelSelector {
  readonly requirements: readonly LabelRequirement[];
}

/** The operators of metav1.LabelSelectorRequirement. */
export type LabelSelectorOperator = 'In' | 'NotIn' | 'Exists' | 'DoesNotExist';

export interface LabelSelectorRequirementObject {
  key: string;
  operator: LabelSelectorOperator;
  values?: string[] | undefined;
}

/** metav1.LabelSelector, as it appears in `spec.selector` of workloads. */
export interface LabelSelectorObject {
  matchLabels?: Record<string, string> | undefined;
  matchExpressions?: LabelSelectorRequirementObject[] | undefined;
}

/** Parses `?labelSelector=` text; the empty string (or only whitespace) selects everything. Throws BadRequest. */
export function parseLabelSelector(text: string): LabelSelector {
  return { requirements: sortByKey(new LabelSelectorParser(text).parse()) };
}

/** Builds one validated requirement; values are treated as a set. Throws BadRequest naming what is wrong. */
export function labelRequirement(key: string, operator: LabelOperator, values: readonly string[] = []): LabelRequirement {
  const problems = requirementProblems(key, operator, values);
  if (problems.length > 0) throw errors.badRequest(`invalid label selector requirement: ${problems.join('; ')}`);
  return { key, operator, values: toSet(values) };
}

export function matchesLabels(selector: LabelSelector, labels: Readonly<Record<string, string>> | undefined): boolean {
  const l = labels ?? {};
  return selector.requirements.every((r) => matchesLabelRequirement(r, l));
}

export function matchesLabelRequirement(r: LabelRequirement, labels: Readonly<Record<string, string>>): boolean {
  const has = Object.hasOwn(labels, r.key);
  const value = has ? labels[r.key] : undefined;
  switch (r.operator) {
    case 'Exists':
      return has;
    case 'DoesNotExist':
      return !has;
    case 'Equals':
    case 'In':
      return value !== undefined && r.values.includes(value);
    case 'NotEquals':
    case 'NotIn':
      return value === undefined || !r.values.includes(value);
    case 'GreaterThan':
    case 'LessThan': {
      const have = value === undefined ? undefined : toInt64(value);
      const want = r.values.length === 1 ? toInt64(r.values[0] ?? '') : undefined;
      if (have === undefined || want === undefined) return false;
      return r.operator === 'GreaterThan' ? have > want : have < want;
    }
  }
}

/** The canonical text form; `parseLabelSelector` of it selects exactly the same label maps. */
export function formatLabelSelector(selector: LabelSelector): string {
  return selector.requirements.map(formatLabelRequirement).join(',');
}

export function formatLabelRequirement(r: LabelRequirement): string {
  const one = r.values[0] ?? '';
  switch (r.operator) {
    case 'Exists':
      return r.key;
    case 'DoesNotExist':
      return `!${r.key}`;
    case 'Equals':
      return `${r.key}=${one}`;
    case 'NotEquals':
      return `${r.key}!=${one}`;
    case 'GreaterThan':
      return `${r.key}>${one}`;
    case 'LessThan':
      return `${r.key}<${one}`;
    case 'In':
    case 'NotIn':
      // A sorted set puts '' first, which the grammar reads back as '(' ',' or '()'.
      return `${r.key} ${r.operator === 'In' ? 'in' : 'notin'} (${toSet(r.values).join(',')})`;
  }
}

/** Every problem with a metav1.LabelSelector, each with its path under `path`. */
export function validateLabelSelectorObject(obj: LabelSelectorObject, path = 'selector'): FieldError[] {
  const at = (field: string): string => (path === '' ? field : `${path}.${field}`);
  const errs: FieldError[] = [];
  if (!isPlainObject(obj)) return [fieldErrors.typeInvalid(path, obj, 'must be an object')];
  const { matchLabels, matchExpressions } = obj as { matchLabels?: unknown; matchExpressions?: unknown };
  if (matchLabels !== undefined) {
    if (!isPlainObject(matchLabels)) errs.push(fieldErrors.typeInvalid(at('matchLabels'), matchLabels, 'must be a map of string to string'));
    else {
      for (const [k, v] of Object.entries(matchLabels)) {
        for (const m of checkQualifiedName(k)) errs.push(fieldErrors.invalid(at('matchLabels'), k, m));
        if (typeof v !== 'string') errs.push(fieldErrors.typeInvalid(at(`matchLabels.${k}`), v, 'must be a string'));
        else for (const m of checkLabelValue(v)) errs.push(fieldErrors.invalid(at(`matchLabels.${k}`), v, m));
      }
    }
  }
  if (matchExpressions !== undefined) {
    if (!Array.isArray(matchExpressions)) errs.push(fieldErrors.typeInvalid(at('matchExpressions'), matchExpressions, 'must be a list'));
    else matchExpressions.forEach((e: unknown, i) => errs.push(...expressionProblems(e, at(`matchExpressions[${i}]`))));
  }
  return errs;
}

/** Compiles a metav1.LabelSelector; `{}` selects everything. Throws BadRequest listing every bad field. */
export function selectorFromLabelSelectorObject(obj: LabelSelectorObject, path = 'selector'): LabelSelector {
  const errs = validateLabelSelectorObject(obj, path);
  if (errs.length > 0) throw errors.badRequest(`invalid label selector: ${errs.map((e) => `${e.field}: ${e.message}`).join('; ')}`);
  const requirements: LabelRequirement[] = [];
  for (const [key, value] of Object.entries(obj.matchLabels ?? {})) requirements.push({ key, operator: 'Equals', values: [value] });
  for (const e of obj.matchExpressions ?? []) {
    const exists = e.operator === 'Exists' || e.operator === 'DoesNotExist';
    requirements.push({ key: e.key, operator: e.operator, values: exists ? [] : toSet(e.values ?? []) });
  }
  return { requirements: sortByKey(requirements) };
}

function expressionProblems(e: unknown, path: string): FieldError[] {
  if (!isPlainObject(e)) return [fieldErrors.typeInvalid(path, e, 'must be an object')];
  const { key, operator, values } = e as { key?: unknown; operator?: unknown; values?: unknown };
  const errs: FieldError[] = [];
  if (typeof key !== 'string') errs.push(key === undefined ? fieldErrors.required(`${path}.key`) : fieldErrors.typeInvalid(`${path}.key`, key, 'must be a string'));
  else for (const m of checkQualifiedName(key)) errs.push(fieldErrors.invalid(`${path}.key`, key, m));
  if (values !== undefined && !isStringArray(values)) {
    errs.push(fieldErrors.typeInvalid(`${path}.values`, values, 'must be a list of strings'));
    return errs;
  }
  const list = values ?? [];
  switch (operator) {
    case 'In':
    case 'NotIn':
      if (list.length === 0) errs.push(fieldErrors.required(`${path}.values`, "must be specified when `operator` is 'In' or 'NotIn'"));
      list.forEach((v, i) => {
        for (const m of checkLabelValue(v)) errs.push(fieldErrors.invalid(`${path}.values[${i}]`, v, m));
      });
      break;
    case 'Exists':
    case 'DoesNotExist':
      if (list.length > 0) errs.push(fieldErrors.forbidden(`${path}.values`, "may not be specified when `operator` is 'Exists' or 'DoesNotExist'"));
      break;
    default:
      errs.push(operator === undefined ? fieldErrors.required(`${path}.operator`) : fieldErrors.notSupported(`${path}.operator`, operator, ['In', 'NotIn', 'Exists', 'DoesNotExist']));
  }
  return errs;
}

/** What makes a requirement invalid, each as `field: message` (the API server's wording for NewRequirement). */
function requirementProblems(key: string, operator: LabelOperator, values: readonly string[]): string[] {
  const out: string[] = [];
  const say = (e: FieldError): void => void out.push(`${e.field}: ${e.message}`);
  for (const m of checkQualifiedName(key)) say(fieldErrors.invalid('key', key, m));
  switch (operator) {
    case 'In':
    case 'NotIn':
      if (values.length === 0) say(fieldErrors.required('values', "for 'in', 'notin' operators, values set can't be empty"));
      break;
    case 'Equals':
    case 'NotEquals':
      if (values.length !== 1) say(fieldErrors.invalid('values', values, 'exact-match compatibility requires one single value'));
      break;
    case 'Exists':
    case 'DoesNotExist':
      if (values.length !== 0) say(fieldErrors.forbidden('values', 'values set must be empty for exists and does not exist'));
      break;
    case 'GreaterThan':
    case 'LessThan':
      if (values.length !== 1) say(fieldErrors.invalid('values', values, "for 'Gt', 'Lt' operators, exactly one value is required"));
      values.forEach((v, i) => {
        if (toInt64(v) === undefined) say(fieldErrors.invalid(`values[${i}]`, v, "for 'Gt', 'Lt' operators, the value must be an integer"));
      });
      break;
  }
  values.forEach((v, i) => {
    for (const m of checkLabelValue(v)) say(fieldErrors.invalid(`values[${i}]`, v, m));
  });
  return out;
}

type TokenKind = 'identifier' | 'in' | 'notin' | '!' | '!=' | '=' | '==' | '>' | '<' | '(' | ')' | ',' | 'end';
interface Token {
  kind: TokenKind;
  text: string;
}

const whitespace = new Set([' ', '\t', '\r', '\n']);
const symbolChars = new Set(['!', '=', '>', '<', '(', ')', ',']);
const endToken: Token = { kind: 'end', text: '' };

/** Splits selector text into words and symbols; a word is any run without whitespace or symbol characters. */
function tokenize(text: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text.charAt(i);
    if (whitespace.has(c)) {
      i++;
    } else if (symbolChars.has(c)) {
      const pair = text.slice(i, i + 2);
      const symbol = pair === '!=' || pair === '==' ? pair : c;
      out.push({ kind: symbol as TokenKind, text: symbol });
      i += symbol.length;
    } else {
      let j = i + 1;
      while (j < text.length && !whitespace.has(text.charAt(j)) && !symbolChars.has(text.charAt(j))) j++;
      const word = text.slice(i, j);
      out.push({ kind: word === 'in' || word === 'notin' ? word : 'identifier', text: word });
      i = j;
    }
  }
  out.push(endToken);
  return out;
}

/**
 * Where a key or a value is expected, `in` and `notin` are plain words (so `in in (notin)` is valid);
 * only in operator position are they keywords.
 */
type Position = 'word' | 'operator';

class LabelSelectorParser {
  private readonly text: string;
  private readonly tokens: Token[];
  private at = 0;

  constructor(text: string) {
    this.text = text;
    this.tokens = tokenize(text);
  }

  parse(): LabelRequirement[] {
    const out: LabelRequirement[] = [];
    const first = this.peek('word');
    if (first.kind === 'end') return out;
    if (first.kind !== 'identifier' && first.kind !== '!') this.fail(`found '${first.text}', expected: !, identifier, or 'end of string'`);
    for (;;) {
      out.push(this.requirement());
      const sep = this.next('word');
      if (sep.kind === 'end') return out;
      if (sep.kind !== ',') this.fail(`found '${sep.text}', expected: ',' or 'end of string'`);
      const after = this.peek('word');
      if (after.kind !== 'identifier' && after.kind !== '!') this.fail(`found '${after.text}', expected: identifier after ','`);
    }
  }

  private requirement(): LabelRequirement {
    let t = this.next('word');
    const negated = t.kind === '!';
    if (negated) t = this.next('word');
    if (t.kind !== 'identifier') return this.failRequirement(`found '${t.text}', expected: identifier`);
    const key = t.text;
    const keyProblems = checkQualifiedName(key).map((m) => fieldErrors.invalid('key', key, m)).map((e) => `${e.field}: ${e.message}`);
    if (keyProblems.length > 0) this.failRequirement(keyProblems.join('; '));
    if (negated) return this.build(key, 'DoesNotExist', []);
    const ahead = this.peek('word');
    if (ahead.kind === 'end' || ahead.kind === ',') return this.build(key, 'Exists', []);
    const op = this.next('operator');
    switch (op.kind) {
      case 'in':
        return this.build(key, 'In', this.valueSet());
      case 'notin':
        return this.build(key, 'NotIn', this.valueSet());
      case '=':
      case '==':
        return this.build(key, 'Equals', [this.exactValue()]);
      case '!=':
        return this.build(key, 'NotEquals', [this.exactValue()]);
      case '>':
        return this.build(key, 'GreaterThan', [this.exactValue()]);
      case '<':
        return this.build(key, 'LessThan', [this.exactValue()]);
      case 'identifier':
      case '!':
      case '(':
      case ')':
      case ',':
      case 'end':
        return this.failRequirement(`found '${op.text}', expected: in, notin, =, ==, !=, gt, lt`);
    }
  }

  /** The value after `=`, `==`, `!=`, `>` or `<`; nothing before `,` or the end is the empty value. */
  private exactValue(): string {
    const t = this.peek('word');
    if (t.kind === 'end' || t.kind === ',') return '';
    this.at++;
    if (t.kind !== 'identifier') this.failRequirement(`found '${t.text}', expected: identifier`);
    return t.text;
  }

  /**
   * A parenthesised set after `in` / `notin`. An empty slot between commas, or `()`, stands for the empty value,
   * with the API server's one quirk kept: two commas straight before `)` are rejected.
   */
  private valueSet(): string[] {
    const open = this.next('word');
    if (open.kind !== '(') this.failRequirement(`found '${open.text}', expected: '('`);
    const first = this.peek('word');
    if (first.kind === ')') {
      this.at++;
      return [''];
    }
    if (first.kind !== 'identifier' && first.kind !== ',') this.failRequirement(`found '${first.text}', expected: ',', ')' or identifier`);
    const values: string[] = [];
    for (;;) {
      const t = this.next('word');
      if (t.kind === 'identifier') {
        values.push(t.text);
        const ahead = this.peek('word');
        if (ahead.kind === ')') break;
        if (ahead.kind !== ',') this.failRequirement(`found '${ahead.text}', expected: ',' or ')'`);
      } else if (t.kind === ',') {
        if (values.length === 0) values.push('');
        const ahead = this.peek('word');
        if (ahead.kind === ')') {
          values.push('');
          break;
        }
        if (ahead.kind === ',') {
          this.at++;
          values.push('');
        }
      } else {
        this.failRequirement(`found '${t.text}', expected: ',' or identifier`);
      }
    }
    this.at++; // the ')' seen above
    return values;
  }

  private build(key: string, operator: LabelOperator, values: string[]): LabelRequirement {
    const problems = requirementProblems(key, operator, values);
    if (problems.length > 0) this.failRequirement(problems.join('; '));
    return { key, operator, values: toSet(values) };
  }

  private peek(position: Position): Token {
    const t = this.tokens[this.at] ?? endToken;
    return position === 'word' && (t.kind === 'in' || t.kind === 'notin') ? { kind: 'identifier', text: t.text } : t;
  }

  private next(position: Position): Token {
    const t = this.peek(position);
    this.at++;
    return t;
  }

  private failRequirement(why: string): never {
    return this.fail(`unable to parse requirement: ${why}`);
  }

  private fail(why: string): never {
    throw errors.badRequest(`invalid label selector ${JSON.stringify(this.text)}: ${why}`);
  }
}

function toSet(values: readonly string[]): string[] {
  return [...new Set(values)].sort(compareStrings);
}

function sortByKey(requirements: LabelRequirement[]): LabelRequirement[] {
  return requirements.sort((a, b) => compareStrings(a.key, b.key));
}

function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

const int64Min = -(2n ** 63n);
const int64Max = 2n ** 63n - 1n;

/** A base-10 signed 64-bit integer, as the API server reads `a>1`; undefined when it is not one. */
function toInt64(text: string): bigint | undefined {
  if (!/^[+-]?[0-9]+$/.test(text)) return undefined;
  const n = BigInt(text);
  return n < int64Min || n > int64Max ? undefined : n;
}

function isStringArray(v: unknown): v is string[] {
  return Array.isArray(v) && v.every((x) => typeof x === 'string');
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
