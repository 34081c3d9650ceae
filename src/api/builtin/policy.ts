// policy/v1 PodDisruptionBudget: validation and `kubectl get pdb` rows (status is kept by the disruption controller).
import { fieldErrors, type FieldError } from '../errors.js';
import type { KubeObject } from '../meta.js';
import type { ResourceType } from '../resource-type.js';
import { validateLabelSelectorObject } from '../selectors/index.js';
import { checkIntOrPercent, checkNotMoreThan100Percent, specOf } from './apps.js';
import { builtinType } from './builtin-type.js';
import { workloadPatchMeta } from './pod-template.js';
import { isRecord, num, record, text } from './json.js';
import { ageCell, ageColumn, column } from './printing.js';

const set = (v: unknown): boolean => v !== undefined && v !== null;

export function validatePodDisruptionBudget(object: KubeObject): FieldError[] {
  const spec = record(object.spec);
  const errs: FieldError[] = [];
  if (set(spec.minAvailable) && set(spec.maxUnavailable)) errs.push(fieldErrors.invalid('spec', spec, 'minAvailable and maxUnavailable cannot be both set'));
  for (const key of ['minAvailable', 'maxUnavailable']) {
    if (!set(spec[key])) continue;
    errs.push(...checkIntOrPercent(`spec.${key}`, spec[key]));
    errs.push(...checkNotMoreThan100Percent(`spec.${key}`, spec[key]));
  }
  if (isRecord(spec.selector)) errs.push(...validateLabelSelectorObject(spec.selector, 'spec.selector'));
  const policy = spec.unhealthyPodEvictionPolicy;
  if (set(policy) && policy !== 'AlwaysAllow' && policy !== 'IfHealthyBudget') {
    errs.push(fieldErrors.notSupported('spec.unhealthyPodEvictionPolicy', text(policy), ['AlwaysAllow', 'IfHealthyBudget']));
  }
  return errs;
}

export function podDisruptionBudgetType(): ResourceType {
  return builtinType({
    patchMeta: workloadPatchMeta([]),
    group: 'policy',
    version: 'v1',
    kind: 'PodDisruptionBudget',
    plural: 'poddisruptionbudgets',
    shortNames: ['pdb'],
    statusSubresource: true,
    createClearsStatus: true,
    generationFrom: 'spec',
    columns: [
      column('Min Available', 'string', 'The minimum number of pods that must be available.'),
      column('Max Unavailable', 'string', 'The maximum number of pods that may be unavailable.'),
      column('Allowed Disruptions', 'integer', 'Calculated number of pods that may be disrupted at this time.'),
      ageColumn,
    ],
    cells: (o) => {
      const spec = record(o.spec);
      return [set(spec.minAvailable) ? String(spec.minAvailable) : 'N/A', set(spec.maxUnavailable) ? String(spec.maxUnavailable) : 'N/A', num(record(o.status).disruptionsAllowed) ?? 0, ageCell];
    },
    defaults: (o) => {
      specOf(o);
      if (!isRecord(o.status)) o.status = {};
      const status = o.status as Record<string, unknown>;
      for (const key of ['disruptionsAllowed', 'currentHealthy', 'desiredHealthy', 'expectedPods']) status[key] ??= 0;
    },
    validate: validatePodDisruptionBudget,
  });
}
