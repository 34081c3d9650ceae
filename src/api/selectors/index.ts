// Label and field selectors as the API server accepts them in ?labelSelector= and ?fieldSelector=.
import { errors } from '../errors.js';
import { checkLabelValue, checkQualifiedName } from '../names.js';

export type LabelOperator = 'In' | 'NotIn' | 'Exists' | 'DoesNotExist' | 'Equals' | 'NotEquals';
export interface LabelRequirement { key: string; operator: LabelOperator; values: string[] }
export interface LabelSelector { requirements: LabelRequirement[] }

export function parseLabelSelector(text: string): LabelSelector {
  const requirements: LabelRequirement[] = [];
  let i = 0;
  const s = text;
  const fail = (why: string): never => { throw errors.badRequest(`unable to parse requirement: ${why} (in label selector "${text}")`); };
  const ws = (): void => { while (i < s.length && /\s/.test(s[i]!)) i++; };
  const word = (): string => {
    ws();
    const m = /^[A-Za-z0-9_./-]+/.exec(s.slice(i));
    if (!m) return '';
    i += m[0].length;
    return m[0];
  };
  ws();
  if (i === s.length) return { requirements };
  for (;;) {
    ws();
    let negate = false;
    if (s[i] === '!') { negate = true; i++; }
    const key = word();
    if (!key) fail(`found '${s[i] ?? 'end of string'}', expected a key`);
    for (const m of checkQualifiedName(key)) fail(`invalid label key "${key}": ${m}`);
    ws();
    if (negate) {
      requirements.push({ key, operator: 'DoesNotExist', values: [] });
    } else if (s.startsWith('!=', i)) {
      i += 2;
      requirements.push({ key, operator: 'NotEquals', values: [value()] });
    } else if (s.startsWith('==', i)) {
      i += 2;
      requirements.push({ key, operator: 'Equals', values: [value()] });
    } else if (s[i] === '=') {
      i += 1;
      requirements.push({ key, operator: 'Equals', values: [value()] });
    } else if (/^(in|notin)\s*\(/.test(s.slice(i))) {
      const op = s.startsWith('notin', i) ? 'NotIn' : 'In';
      i = s.indexOf('(', i) + 1;
      const values: string[] = [];
      for (;;) {
        ws();
        if (s[i] === ')') { i++; break; }
        values.push(value());
        ws();
        if (s[i] === ',') { i++; continue; }
        if (s[i] === ')') { i++; break; }
        fail(`found '${s[i] ?? 'end of string'}', expected: ',', ')'`);
      }
      if (values.length === 0) fail(`for '${op.toLowerCase()}' operator, values set can't be empty`);
      requirements.push({ key, operator: op, values });
    } else if (i === s.length || s[i] === ',') {
      requirements.push({ key, operator: 'Exists', values: [] });
    } else {
      fail(`found '${s[i]}', expected: '=', '!=', '==', 'in', notin'`);
    }
    ws();
    if (i === s.length) break;
    if (s[i] !== ',') fail(`found '${s[i]}', expected: ',' or end of string`);
    i++;
  }
  return { requirements };

  function value(): string {
    ws();
    const m = /^[A-Za-z0-9_.-]*/.exec(s.slice(i));
    const v = m?.[0] ?? '';
    i += v.length;
    if (s[i] === '=') fail(`found '=', expected: ',' or end of string`);
    for (const msg of checkLabelValue(v)) fail(`invalid label value: "${v}": ${msg}`);
    return v;
  }
}

export function matchesLabels(selector: LabelSelector, labels: Record<string, string> | undefined): boolean {
  const l = labels ?? {};
  return selector.requirements.every((r) => {
    const has = Object.prototype.hasOwnProperty.call(l, r.key);
    const v = l[r.key];
    switch (r.operator) {
      case 'Exists': return has;
      case 'DoesNotExist': return !has;
      case 'Equals':
      case 'In': return has && r.values.includes(v ?? '');
      case 'NotEquals':
      case 'NotIn': return !has || !r.values.includes(v ?? '');
    }
  });
}

export interface LabelSelectorObject {
  matchLabels?: Record<string, string>;
  matchExpressions?: { key: string; operator: string; values?: string[] }[];
}

export function selectorFromLabelSelectorObject(obj: LabelSelectorObject, path = 'selector'): LabelSelector {
  const requirements: LabelRequirement[] = [];
  for (const [key, v] of Object.entries(obj.matchLabels ?? {})) requirements.push({ key, operator: 'Equals', values: [v] });
  (obj.matchExpressions ?? []).forEach((e, i) => {
    const values = e.values ?? [];
    if (e.operator === 'In' || e.operator === 'NotIn') {
      if (values.length === 0) throw errors.badRequest(`${path}.matchExpressions[${i}].values: Required value: must be specified when operator is '${e.operator}'`);
      requirements.push({ key: e.key, operator: e.operator, values });
    } else if (e.operator === 'Exists' || e.operator === 'DoesNotExist') {
      if (values.length > 0) throw errors.badRequest(`${path}.matchExpressions[${i}].values: Forbidden: may not be specified when operator is '${e.operator}'`);
      requirements.push({ key: e.key, operator: e.operator, values: [] });
    } else {
      throw errors.badRequest(`${path}.matchExpressions[${i}].operator: Unsupported value: "${e.operator}": supported values: "In", "NotIn", "Exists", "DoesNotExist"`);
    }
  });
  return { requirements };
}

export function formatLabelSelector(selector: LabelSelector): string {
  return selector.requirements.map((r) => {
    switch (r.operator) {
      case 'Exists': return r.key;
      case 'DoesNotExist': return `!${r.key}`;
      case 'Equals': return `${r.key}=${r.values[0] ?? ''}`;
      case 'NotEquals': return `${r.key}!=${r.values[0] ?? ''}`;
      case 'In': return `${r.key} in (${r.values.join(',')})`;
      case 'NotIn': return `${r.key} notin (${r.values.join(',')})`;
    }
  }).join(',');
}

export interface FieldRequirement { field: string; operator: '=' | '!='; value: string }
export interface FieldSelector { requirements: FieldRequirement[] }

export function parseFieldSelector(text: string): FieldSelector {
  const requirements: FieldRequirement[] = [];
  if (text.trim() === '') return { requirements };
  for (const part of splitUnescaped(text, ',')) {
    const m = /^([^=!]+?)\s*(==|!=|=)(.*)$/s.exec(part);
    if (!m) throw errors.badRequest(`invalid selector: '${text}'; can't understand '${part}'`);
    requirements.push({ field: m[1]!.trim(), operator: m[2] === '!=' ? '!=' : '=', value: unescapeField(m[3]!) });
  }
  return { requirements };
}

export function matchesFields(selector: FieldSelector, get: (field: string) => string | undefined): boolean {
  return selector.requirements.every((r) => ((get(r.field) ?? '') === r.value) === (r.operator === '='));
}

export function fieldsOf(selector: FieldSelector): string[] {
  return selector.requirements.map((r) => r.field);
}

export function escapeFieldValue(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/,/g, '\\,').replace(/=/g, '\\=');
}

function unescapeField(v: string): string {
  return v.replace(/\\(.)/g, '$1');
}

function splitUnescaped(s: string, sep: string): string[] {
  const out: string[] = [];
  let cur = '';
  for (let i = 0; i < s.length; i++) {
    if (s[i] === '\\' && i + 1 < s.length) { cur += s[i]! + s[i + 1]!; i++; continue; }
    if (s[i] === sep) { out.push(cur); cur = ''; continue; }
    cur += s[i]!;
  }
  out.push(cur);
  return out;
}
