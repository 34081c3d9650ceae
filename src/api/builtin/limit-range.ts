// core/v1 LimitRange: the kind (`kubectl get limits` rows) and kube's checks of min ≤ defaultRequest ≤ default ≤ max.
import { fieldErrors, type FieldError } from '../errors.js';
import type { KubeObject } from '../meta.js';
import type { ResourceType } from '../resource-type.js';
import { builtinType } from './builtin-type.js';
import { isRecord, list, record, text } from './json.js';
import { column } from './printing.js';
import { parseQuantity } from './quantity.js';
import { formatQuantity, quantityFormatOf } from './quantity-format.js';
import { validateResourceList } from './resource-quota.js';

const limitTypes = ['Pod', 'Container', 'PersistentVolumeClaim'];

function show(raw: unknown): string {
  return formatQuantity(parseQuantity(raw) ?? 0, quantityFormatOf(raw));
}

/**
 * A quantity as kube-apiserver prints it in these messages: the Go value of resource.Quantity (`%#v`), because its
 * validation passes the Quantity itself to field.Invalid. `s` is cached only when the text was already canonical.
 */
function goQuantity(raw: unknown): string {
  const text = String(raw);
  const value = parseQuantity(raw) ?? 0;
  const format = /\d[eE][+-]?\d/.test(text) ? 'DecimalExponent' : quantityFormatOf(raw);
  let amount: string;
  if (format === 'BinarySI') {
    amount = `value:${Math.round(value)}, scale:0`;
  } else {
    const m = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+)|([numkMGTPE]?))$/.exec(text.trim());
    const exponents: Record<string, number> = { n: -9, u: -6, m: -3, '': 0, k: 3, M: 6, G: 9, T: 12, P: 15, E: 18 };
    const whole = m?.[2] ?? '';
    const fraction = m?.[3] ?? '';
    const exponent = m?.[4] !== undefined ? Number(m[4]) : exponents[m?.[5] ?? ''] ?? 0;
    const digits = `${whole}${fraction}`.replace(/^0+(?=\d)/, '') || '0';
    amount = `value:${m?.[1] === '-' ? '-' : ''}${digits}, scale:${exponent - fraction.length}`;
  }
  const cached = formatQuantity(value, format === 'BinarySI' ? 'BinarySI' : 'DecimalSI') === text ? text : '';
  return `resource.Quantity{i:resource.int64Amount{${amount}}, d:resource.infDecAmount{Dec:(*inf.Dec)(nil)}, s:${JSON.stringify(cached)}, Format:${JSON.stringify(format)}}`;
}

function quantityInvalid(field: string, value: unknown, detail: string): FieldError {
  return { type: 'FieldValueInvalid', field, message: `Invalid value: ${goQuantity(value)}: ${detail}` };
}

function validateLimitRange(range: KubeObject): FieldError[] {
  const errs: FieldError[] = [];
  const limits = list(record(range.spec).limits);
  if (limits.length === 0) errs.push(fieldErrors.required('spec.limits'));
  limits.forEach((raw, i) => {
    const item = record(raw);
    const at = `spec.limits[${i}]`;
    const type = text(item.type);
    if (!type) errs.push(fieldErrors.required(`${at}.type`));
    else if (!limitTypes.includes(type)) errs.push(fieldErrors.notSupported(`${at}.type`, type, limitTypes));
    for (const f of ['max', 'min', 'default', 'defaultRequest', 'maxLimitRequestRatio'] as const) errs.push(...validateResourceList(item[f], `${at}.${f}`));
    if (type === 'Pod') {
      if (Object.keys(record(item.default)).length > 0) errs.push(fieldErrors.forbidden(`${at}.default`, "may not be specified when `type` is 'Pod'"));
      if (Object.keys(record(item.defaultRequest)).length > 0) errs.push(fieldErrors.forbidden(`${at}.defaultRequest`, "may not be specified when `type` is 'Pod'"));
    }
    if (type === 'PersistentVolumeClaim' && record(item.min).storage === undefined && record(item.max).storage === undefined) {
      errs.push(fieldErrors.required(`${at}.limits`, 'either minimum or maximum storage value is required, but neither was provided'));
    }
    const max = record(item.max);
    const min = record(item.min);
    const def = record(item.default);
    const defReq = record(item.defaultRequest);
    const ratio = record(item.maxLimitRequestRatio);
    const names = new Set([...Object.keys(max), ...Object.keys(min), ...Object.keys(def), ...Object.keys(defReq), ...Object.keys(ratio)]);
    for (const k of names) {
      const q = (m: Record<string, unknown>): number | undefined => (m[k] === undefined ? undefined : parseQuantity(m[k]));
      const [mx, mn, d, dr, r] = [q(max), q(min), q(def), q(defReq), q(ratio)];
      if (mn !== undefined && mx !== undefined && mn > mx) errs.push(quantityInvalid(`${at}.min[${k}]`, min[k], `min value ${show(min[k])} is greater than max value ${show(max[k])}`));
      if (dr !== undefined && mn !== undefined && mn > dr) errs.push(quantityInvalid(`${at}.defaultRequest[${k}]`, defReq[k], `min value ${show(min[k])} is greater than default request value ${show(defReq[k])}`));
      if (dr !== undefined && mx !== undefined && dr > mx) errs.push(quantityInvalid(`${at}.defaultRequest[${k}]`, defReq[k], `default request value ${show(defReq[k])} is greater than max value ${show(max[k])}`));
      if (dr !== undefined && d !== undefined && dr > d) errs.push(quantityInvalid(`${at}.defaultRequest[${k}]`, defReq[k], `default request value ${show(defReq[k])} is greater than default limit value ${show(def[k])}`));
      if (d !== undefined && mn !== undefined && mn > d) errs.push(quantityInvalid(`${at}.default[${k}]`, min[k], `min value ${show(min[k])} is greater than default value ${show(def[k])}`));
      if (d !== undefined && mx !== undefined && d > mx) errs.push(quantityInvalid(`${at}.default[${k}]`, max[k], `default value ${show(def[k])} is greater than max value ${show(max[k])}`));
      if (r !== undefined && r < 1) errs.push(quantityInvalid(`${at}.maxLimitRequestRatio[${k}]`, ratio[k], `ratio ${show(ratio[k])} is less than 1`));
      // Extended resources and hugepages cannot overcommit: their default and defaultRequest must agree.
      const overcommit = !k.startsWith('hugepages-') && (!k.includes('/') || k.startsWith('kubernetes.io/'));
      if (!overcommit && d !== undefined && dr !== undefined && d !== dr) {
        errs.push(quantityInvalid(`${at}.defaultRequest[${k}]`, defReq[k], `default value ${show(def[k])} must equal to defaultRequest value ${show(defReq[k])} in ${k}`));
      }
      if (r !== undefined && mn !== undefined && mx !== undefined && mn > 0 && r > mx / mn) {
        errs.push(quantityInvalid(`${at}.maxLimitRequestRatio[${k}]`, ratio[k], `ratio ${show(ratio[k])} is greater than max/min = ${(mx / mn).toFixed(6)}`));
      }
    }
  });
  return errs;
}

/** kube's SetDefaults_LimitRangeItem for Container items: default ← max, defaultRequest ← default, then ← min. */
export function defaultLimitRange(range: KubeObject): void {
  for (const item of list(record(range.spec).limits)) {
    if (!isRecord(item) || item.type !== 'Container') continue;
    const def = isRecord(item.default) ? item.default : (item.default = {});
    const defReq = isRecord(item.defaultRequest) ? item.defaultRequest : (item.defaultRequest = {});
    for (const [k, v] of Object.entries(record(item.max))) if (!(k in def)) def[k] = v;
    for (const [k, v] of Object.entries(def)) if (!(k in defReq)) defReq[k] = v;
    for (const [k, v] of Object.entries(record(item.min))) if (!(k in defReq)) defReq[k] = v;
    if (Object.keys(def).length === 0) delete item.default;
    if (Object.keys(defReq).length === 0) delete item.defaultRequest;
  }
}

export function limitRangeType(): ResourceType {
  return builtinType({
    group: '',
    version: 'v1',
    kind: 'LimitRange',
    plural: 'limitranges',
    shortNames: ['limits'],
    columns: [column('Created At', 'date', 'CreationTimestamp is a timestamp representing the server time when this object was created.')],
    cells: (range) => [range.metadata.creationTimestamp ?? ''],
    defaults: defaultLimitRange,
    validate: validateLimitRange,
  });
}
