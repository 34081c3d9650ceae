// apps/v1 DaemonSet: SetDefaults_DaemonSet, ValidateDaemonSet (+ the apps/v1 immutable selector) and `kubectl get ds` rows.
import { fieldErrors, type FieldError } from '../errors.js';
import type { KubeObject } from '../meta.js';
import type { ResourceType } from '../resource-type.js';
import { validateLabelSelectorObject } from '../selectors/index.js';
import {
  checkIntOrPercent,
  checkNonNegative,
  checkNotMoreThan100Percent,
  formatSelectorCell,
  goStringMap,
  intOrPercentValue,
  invalidShown,
  isEmptySelector,
  selectorMatches,
  selectorText,
  specOf,
  invalidSelector,
} from './apps.js';
import { builtinType } from './builtin-type.js';
import { isRecord, num, record, sameJson, text } from './json.js';
import { containerCells, containersColumn, defaultPodTemplate, imagesColumn, templateAt, validateReplicatedTemplate, workloadPatchMeta } from './pod-template.js';
import { ageCell, ageColumn, column, formatLabels } from './printing.js';

export function defaultDaemonSet(object: KubeObject): void {
  const spec = specOf(object);
  if (!isRecord(object.status)) object.status = {};
  (object.status as Record<string, unknown>).currentNumberScheduled ??= 0;
  (object.status as Record<string, unknown>).numberMisscheduled ??= 0;
  (object.status as Record<string, unknown>).desiredNumberScheduled ??= 0;
  (object.status as Record<string, unknown>).numberReady ??= 0;
  const strategy = templateAt(spec, 'updateStrategy');
  if (!text(strategy.type)) strategy.type = 'RollingUpdate';
  if (strategy.type === 'RollingUpdate') {
    const rolling = templateAt(strategy, 'rollingUpdate');
    rolling.maxUnavailable ??= 1;
    rolling.maxSurge ??= 0;
  }
  spec.revisionHistoryLimit ??= 10;
  defaultPodTemplate(templateAt(spec, 'template'));
  // apps/v1 carries the internal spec.templateGeneration as this annotation: 1 at creation, +1 per template change.
  const annotations = (object.metadata.annotations ??= {});
  annotations[TemplateGenerationAnnotation] ??= '1';
}

export const TemplateGenerationAnnotation = 'deprecated.daemonset.template.generation';

function checkUpdateStrategy(value: unknown): FieldError[] {
  const strategy = record(value);
  const path = 'spec.updateStrategy';
  if (strategy.type === 'OnDelete') return [];
  if (strategy.type !== 'RollingUpdate') return [fieldErrors.notSupported(path, strategy, ['RollingUpdate', 'OnDelete'])];
  if (!isRecord(strategy.rollingUpdate)) return [fieldErrors.required(`${path}.rollingUpdate`)];
  const r = strategy.rollingUpdate;
  const errs: FieldError[] = [];
  errs.push(...checkIntOrPercent(`${path}.rollingUpdate.maxUnavailable`, r.maxUnavailable));
  errs.push(...checkIntOrPercent(`${path}.rollingUpdate.maxSurge`, r.maxSurge));
  errs.push(...checkNotMoreThan100Percent(`${path}.rollingUpdate.maxUnavailable`, r.maxUnavailable));
  errs.push(...checkNotMoreThan100Percent(`${path}.rollingUpdate.maxSurge`, r.maxSurge));
  const unavailable = (intOrPercentValue(r.maxUnavailable) ?? 0) !== 0;
  const surge = (intOrPercentValue(r.maxSurge) ?? 0) !== 0;
  if (unavailable && surge) errs.push(invalidShown(`${path}.rollingUpdate.maxSurge`, r.maxSurge, 'may not be set when maxUnavailable is non-zero'));
  else if (!unavailable && !surge) errs.push(fieldErrors.required(`${path}.rollingUpdate.maxUnavailable`, 'cannot be 0 when maxSurge is 0'));
  return errs;
}

export function validateDaemonSet(object: KubeObject, old?: KubeObject): FieldError[] {
  const spec = record(object.spec);
  const errs: FieldError[] = [];
  const selector = spec.selector;
  if (selector !== undefined && selector !== null) errs.push(...validateLabelSelectorObject(selector, 'spec.selector'));
  // A missing selector selects nothing, so it cannot match the template's labels either.
  const labels = record(record(record(spec.template).metadata).labels);
  if (selectorText(selector) !== undefined && (!isRecord(selector) || !selectorMatches(selector, labels))) {
    const shown = goStringMap(record(record(spec.template).metadata).labels);
    errs.push({ type: 'FieldValueInvalid', field: 'spec.template.metadata.labels', message: `Invalid value: ${shown}: \`selector\` does not match template \`labels\`` });
  }
  if (isRecord(selector) && isEmptySelector(selector)) errs.push(invalidSelector('spec.selector', selector, 'empty selector is invalid for daemonset'));
  errs.push(...validateReplicatedTemplate(spec.template, 'spec.template', object.metadata.namespace, 'DaemonSet'));
  errs.push(...checkNonNegative('spec.minReadySeconds', spec.minReadySeconds));
  errs.push(...checkNonNegative('spec.templateGeneration', spec.templateGeneration));
  errs.push(...checkUpdateStrategy(spec.updateStrategy));
  errs.push(...checkNonNegative('spec.revisionHistoryLimit', spec.revisionHistoryLimit));
  if (old && !sameJson(record(old.spec).selector, spec.selector)) errs.push(invalidSelector('spec.selector', spec.selector, 'field is immutable'));
  if (old) {
    // PrepareForUpdate: the template generation follows the template (kept, or one more when the template changed).
    const before = Number(old.metadata.annotations?.[TemplateGenerationAnnotation] ?? '1') || 1;
    const next = sameJson(record(old.spec).template, spec.template) ? before : before + 1;
    (object.metadata.annotations ??= {})[TemplateGenerationAnnotation] = String(next);
  }
  return errs;
}

export function daemonSetType(): ResourceType {
  const type = builtinType({
    group: 'apps',
    version: 'v1',
    kind: 'DaemonSet',
    plural: 'daemonsets',
    shortNames: ['ds'],
    categories: ['all'],
    statusSubresource: true,
    createClearsStatus: true,
    generationFrom: 'spec',
    columns: [
      column('Desired', 'integer', 'The total number of nodes that should be running the daemon pod (including nodes correctly running the daemon pod).'),
      column('Current', 'integer', 'The number of nodes that are running at least 1 daemon pod and are supposed to run the daemon pod.'),
      column('Ready', 'integer', 'numberReady is the number of nodes that should be running the daemon pod and have one or more of the daemon pod running with a Ready Condition.'),
      column('Up-to-date', 'integer', 'The total number of nodes that are running updated daemon pod'),
      column('Available', 'integer', 'The number of nodes that should be running the daemon pod and have one or more of the daemon pod running and available (ready for at least spec.minReadySeconds)'),
      column('Node Selector', 'string', "NodeSelector is a selector which must be true for the pod to fit on a node. Selector which must match a node's labels for the pod to be scheduled on that node."),
      ageColumn,
      containersColumn,
      imagesColumn,
      column('Selector', 'string', 'A label query over pods that are managed by the daemon set.', 1),
    ],
    cells: (o) => {
      const spec = record(o.spec);
      const s = record(o.status);
      const n = (v: unknown): number => num(v) ?? 0;
      return [
        n(s.desiredNumberScheduled), n(s.currentNumberScheduled), n(s.numberReady), n(s.updatedNumberScheduled), n(s.numberAvailable),
        formatLabels(record(record(record(spec.template).spec).nodeSelector)), ageCell, ...containerCells(spec.template), formatSelectorCell(spec.selector),
      ];
    },
    defaults: defaultDaemonSet,
    validate: validateDaemonSet,
  });
  type.patchMeta = workloadPatchMeta(['spec', 'template']);
  return type;
}
