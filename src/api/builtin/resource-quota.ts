// core/v1 ResourceQuota: the kind (status subresource, `kubectl get quota` rows) and kube's spec checks.
import { fieldErrors, type FieldError } from '../errors.js';
import type { KubeObject } from '../meta.js';
import type { ResourceType } from '../resource-type.js';
import { builtinType } from './builtin-type.js';
import { list, record, text } from './json.js';
import { ageCell, ageColumn, column } from './printing.js';
import { parseQuantity, quantityFormatMessage } from './quantity.js';

const scopes = ['Terminating', 'NotTerminating', 'BestEffort', 'NotBestEffort', 'PriorityClass', 'CrossNamespacePodAffinity'];

/** The quantities of a ResourceList field: every key a quantity of at least 0 (`spec.hard[pods]: Invalid value: "-1": …`). */
export function validateResourceList(value: unknown, path: string): FieldError[] {
  const errs: FieldError[] = [];
  for (const [name, raw] of Object.entries(record(value))) {
    const q = parseQuantity(raw);
    if (q === undefined) errs.push(fieldErrors.invalid(`${path}[${name}]`, raw, quantityFormatMessage));
    else if (q < 0) errs.push(fieldErrors.invalid(`${path}[${name}]`, raw, 'must be greater than or equal to 0'));
  }
  return errs;
}

function validateQuota(quota: KubeObject): FieldError[] {
  const s = record(quota.spec);
  const errs = validateResourceList(s.hard, 'spec.hard');
  const given = list(s.scopes).map(text);
  if (given.some((scope) => !scopes.includes(scope))) errs.push(fieldErrors.invalid('spec.scopes', given, 'unsupported scope'));
  if ((given.includes('BestEffort') && given.includes('NotBestEffort')) || (given.includes('Terminating') && given.includes('NotTerminating'))) {
    errs.push(fieldErrors.invalid('spec.scopes', given, 'conflicting scopes'));
  }
  const status = record(quota.status);
  errs.push(...validateResourceList(status.hard, 'status.hard'), ...validateResourceList(status.used, 'status.used'));
  return errs;
}

/** kubectl's REQUEST and LIMIT cells: `pods: 1/2, requests.cpu: 500m/1` (limits.* in LIMIT), sorted by name. */
export function quotaCells(quota: KubeObject): [string, string] {
  const status = record(quota.status);
  const hard = record(status.hard);
  const used = record(status.used);
  const requests: string[] = [];
  const limits: string[] = [];
  for (const name of Object.keys(hard).sort()) {
    const cell = `${name}: ${text(used[name]) || '0'}/${text(hard[name])}`;
    (name.startsWith('limits.') ? limits : requests).push(cell);
  }
  return [requests.join(', '), limits.join(', ')];
}

export function resourceQuotaType(): ResourceType {
  return builtinType({
    group: '',
    version: 'v1',
    kind: 'ResourceQuota',
    plural: 'resourcequotas',
    shortNames: ['quota'],
    statusSubresource: true,
    columns: [ageColumn, column('Request', 'string', 'Request represents a minimum amount of cpu/memory that a container may consume.'), column('Limit', 'string', 'Limits control the maximum amount of cpu/memory that a container may use independent of contention on the node.')],
    cells: (quota) => [ageCell, ...quotaCells(quota)],
    validate: validateQuota,
  });
}
