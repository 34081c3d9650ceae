// What the replicated workload kinds share: label-selector checks and text, int-or-percent fields, replica counts,
// and the `scale` subresource's view of a kind (where spec.replicas, status.replicas and the selector live).
import { fieldErrors, type FieldError } from '../errors.js';
import type { KubeObject } from '../meta.js';
import type { ScaleSubresource } from '../resource-type.js';
import { formatLabelSelector, matchesLabels, selectorFromLabelSelectorObject, validateLabelSelectorObject } from '../selectors/index.js';
import { regexError } from './field-checks.js';
import { isRecord, record, type JsonObject } from './json.js';

export function specOf(object: KubeObject): JsonObject {
  if (!isRecord(object.spec)) object.spec = {};
  return object.spec as JsonObject;
}

/** A metav1.LabelSelector as text (`app=web,tier in (a,b)`), '' for an empty one, undefined when it is invalid. */
export function selectorText(selector: unknown): string | undefined {
  if (!isRecord(selector)) return '';
  try {
    return formatLabelSelector(selectorFromLabelSelectorObject(selector));
  } catch {
    return undefined;
  }
}

/** metav1.FormatLabelSelector: '<none>' for an empty selector, '<error>' for an invalid one. */
export function formatSelectorCell(selector: unknown): string {
  const t = selectorText(selector);
  return t === undefined ? '<error>' : t === '' ? '<none>' : t;
}

/** Whether a LabelSelector object selects nothing in particular (no matchLabels, no matchExpressions). */
export function isEmptySelector(selector: unknown): boolean {
  const s = record(selector);
  return Object.keys(record(s.matchLabels)).length + (Array.isArray(s.matchExpressions) ? s.matchExpressions.length : 0) === 0;
}

/** Whether the selector selects the labels (an invalid selector selects nothing). */
export function selectorMatches(selector: unknown, labels: unknown): boolean {
  if (!isRecord(selector)) return false;
  try {
    return matchesLabels(selectorFromLabelSelectorObject(selector), record(labels) as Record<string, string>);
  } catch {
    return false;
  }
}

/**
 * The selector rules of Deployments, ReplicaSets and StatefulSets: required, valid, not empty (`empty selector is
 * invalid for <kindWord>`), and matching the template's labels.
 */
export function checkWorkloadSelector(spec: JsonObject, kindWord: string): FieldError[] {
  const errs: FieldError[] = [];
  const selector = spec.selector;
  if (selector === undefined || selector === null) {
    errs.push(fieldErrors.required('spec.selector'));
  } else {
    errs.push(...validateLabelSelectorObject(selector, 'spec.selector'));
    if (isEmptySelector(selector)) errs.push(invalidSelector('spec.selector', selector, `empty selector is invalid for ${kindWord}`));
  }
  errs.push(...checkTemplateLabels(spec));
  return errs;
}

/** "`selector` does not match template `labels`" when a non-empty valid selector misses the template's labels. */
export function checkTemplateLabels(spec: JsonObject, path = 'spec'): FieldError[] {
  const selector = spec.selector;
  // A missing selector selects nothing, so no template matches it (kube-apiserver reports both).
  if ((selector !== undefined && selector !== null && !isRecord(selector)) || (isRecord(selector) && (isEmptySelector(selector) || selectorText(selector) === undefined))) return [];
  const labels = record(record(record(spec.template).metadata).labels);
  if (selectorMatches(selector, labels)) return [];
  const shown = isRecord(record(record(spec.template).metadata).labels) ? goStringMap(labels) : goStringMap(undefined);
  return [{ type: 'FieldValueInvalid', field: `${path}.template.metadata.labels`, message: `Invalid value: ${shown}: \`selector\` does not match template \`labels\`` }];
}

/** ValidateNonnegativeField for an optional integer. */
export function checkNonNegative(field: string, value: unknown): FieldError[] {
  if (value === undefined || value === null) return [];
  if (typeof value === 'number' && value < 0) return [fieldErrors.invalid(field, value, 'must be greater than or equal to 0')];
  return [];
}

const percentPattern = /^[0-9]+%$/;

/** The value of an int-or-percent ('25%' → 25, 3 → 3), or undefined when it is neither. */
export function intOrPercentValue(value: unknown): number | undefined {
  if (typeof value === 'number') return value;
  if (typeof value === 'string' && percentPattern.test(value)) return Number(value.slice(0, -1));
  if (typeof value === 'string') return /^-?\d+$/.test(value) ? Number(value) : 0;
  return undefined;
}

/** ValidatePositiveIntOrPercent: a non-negative integer or a percentage string. */
export function checkIntOrPercent(field: string, value: unknown): FieldError[] {
  if (value === undefined || value === null) return [];
  if (typeof value === 'string') {
    if (!percentPattern.test(value)) return [invalidShown(field, value, regexError("a valid percent string must be a numeric string followed by an ending '%'", '[0-9]+%', '1%', '93%'))];
    return [];
  }
  return checkNonNegative(field, value);
}

export function checkNotMoreThan100Percent(field: string, value: unknown): FieldError[] {
  if (typeof value !== 'string' || !percentPattern.test(value)) return [];
  return Number(value.slice(0, -1)) > 100 ? [invalidShown(field, value, 'must not be greater than 100%')] : [];
}

/** Go's %#v of an intstr.IntOrString, as kube-apiserver prints one in a message. */
export function goIntOrString(value: unknown): string {
  if (typeof value === 'string') return `intstr.IntOrString{Type:1, IntVal:0, StrVal:${JSON.stringify(value)}}`;
  return `intstr.IntOrString{Type:0, IntVal:${typeof value === 'number' ? value : 0}, StrVal:""}`;
}

/** An Invalid cause for an int-or-string field, its value printed as Go prints an IntOrString. */
export function invalidShown(field: string, value: unknown, detail: string): FieldError {
  return { type: 'FieldValueInvalid', field, message: `Invalid value: ${goIntOrString(value)}: ${detail}` };
}

/** Go's %#v of a metav1.LabelSelector (the value of `spec.selector` in kube-apiserver's messages). */
export function goLabelSelector(selector: unknown): string {
  const s = record(selector);
  const labels = isRecord(s.matchLabels) ? goStringMap(s.matchLabels) : 'map[string]string(nil)';
  const exprs = Array.isArray(s.matchExpressions)
    ? `[]v1.LabelSelectorRequirement{${s.matchExpressions.map((e) => {
      const r = record(e);
      const values = Array.isArray(r.values) ? `[]string{${r.values.map((v) => JSON.stringify(String(v))).join(', ')}}` : '[]string(nil)';
      return `v1.LabelSelectorRequirement{Key:${JSON.stringify(typeof r.key === 'string' ? r.key : '')}, Operator:${JSON.stringify(typeof r.operator === 'string' ? r.operator : '')}, Values:${values}}`;
    }).join(', ')}}`
    : '[]v1.LabelSelectorRequirement(nil)';
  return `v1.LabelSelector{MatchLabels:${labels}, MatchExpressions:${exprs}}`;
}

/** An Invalid cause whose value is a label selector. */
export function invalidSelector(field: string, selector: unknown, detail: string): FieldError {
  return { type: 'FieldValueInvalid', field, message: `Invalid value: ${goLabelSelector(selector)}: ${detail}` };
}

/** Go's %#v of a map[string]string, as kube-apiserver prints template labels in messages. */
export function goStringMap(value: unknown): string {
  if (!isRecord(value)) return 'map[string]string(nil)';
  const keys = Object.keys(value).sort();
  return `map[string]string{${keys.map((k) => `${JSON.stringify(k)}:${JSON.stringify(String(value[k]))}`).join(', ')}}`;
}

/** The Scale view of the replicated apps kinds: spec.replicas, status.replicas and a LabelSelector at spec.selector. */
export const appsScale: ScaleSubresource = { specReplicasPath: '.spec.replicas', statusReplicasPath: '.status.replicas', labelSelectorPath: '.spec.selector', selector: 'labelSelector' };
