// apps/v1 Deployment: SetDefaults_Deployment, ValidateDeployment (+ the apps/v1 immutable selector) and `kubectl get deployments` rows.
import { fieldErrors, type FieldError } from '../errors.js';
import type { KubeObject } from '../meta.js';
import type { ResourceType } from '../resource-type.js';
import {
  checkIntOrPercent,
  checkNonNegative,
  checkNotMoreThan100Percent,
  checkWorkloadSelector,
  formatSelectorCell,
  intOrPercentValue,
  invalidShown,
  specOf,
  appsScale,
  invalidSelector,
} from './apps.js';
import { builtinType } from './builtin-type.js';
import { isRecord, num, record, sameJson, text } from './json.js';
import { containerCells, containersColumn, defaultPodTemplate, imagesColumn, templateAt, validateReplicatedTemplate, workloadPatchMeta } from './pod-template.js';
import { ageCell, ageColumn, column } from './printing.js';

export function defaultDeployment(object: KubeObject): void {
  const spec = specOf(object);
  if (!isRecord(object.status)) object.status = {};
  spec.replicas ??= 1;
  const strategy = templateAt(spec, 'strategy');
  if (!text(strategy.type)) strategy.type = 'RollingUpdate';
  if (strategy.type === 'RollingUpdate') {
    const rolling = templateAt(strategy, 'rollingUpdate');
    rolling.maxUnavailable ??= '25%';
    rolling.maxSurge ??= '25%';
  }
  spec.revisionHistoryLimit ??= 10;
  spec.progressDeadlineSeconds ??= 600;
  defaultPodTemplate(templateAt(spec, 'template'));
}

function checkStrategy(value: unknown): FieldError[] {
  const strategy = record(value);
  const errs: FieldError[] = [];
  const path = 'spec.strategy';
  if (strategy.type === 'Recreate') {
    if (strategy.rollingUpdate !== undefined && strategy.rollingUpdate !== null) errs.push(fieldErrors.forbidden(`${path}.rollingUpdate`, "may not be specified when strategy `type` is 'Recreate'"));
  } else if (strategy.type === 'RollingUpdate') {
    if (!isRecord(strategy.rollingUpdate)) {
      errs.push(fieldErrors.required(`${path}.rollingUpdate`, 'this should be defaulted and never be nil'));
    } else {
      const r = strategy.rollingUpdate;
      errs.push(...checkIntOrPercent(`${path}.rollingUpdate.maxUnavailable`, r.maxUnavailable));
      errs.push(...checkIntOrPercent(`${path}.rollingUpdate.maxSurge`, r.maxSurge));
      if ((intOrPercentValue(r.maxUnavailable) ?? 0) === 0 && (intOrPercentValue(r.maxSurge) ?? 0) === 0) {
        errs.push(invalidShown(`${path}.rollingUpdate.maxUnavailable`, r.maxUnavailable ?? 0, 'may not be 0 when `maxSurge` is 0'));
      }
      errs.push(...checkNotMoreThan100Percent(`${path}.rollingUpdate.maxUnavailable`, r.maxUnavailable));
    }
  } else {
    errs.push(fieldErrors.notSupported(path, strategy, ['Recreate', 'RollingUpdate']));
  }
  return errs;
}

export function validateDeployment(object: KubeObject, old?: KubeObject): FieldError[] {
  const spec = record(object.spec);
  const errs: FieldError[] = [];
  errs.push(...checkNonNegative('spec.replicas', spec.replicas));
  errs.push(...checkWorkloadSelector(spec, 'deployment'));
  errs.push(...validateReplicatedTemplate(spec.template, 'spec.template', object.metadata.namespace, 'ReplicaSet'));
  errs.push(...checkStrategy(spec.strategy));
  errs.push(...checkNonNegative('spec.minReadySeconds', spec.minReadySeconds));
  errs.push(...checkNonNegative('spec.revisionHistoryLimit', spec.revisionHistoryLimit));
  const deadline = num(spec.progressDeadlineSeconds);
  if (deadline !== undefined) {
    errs.push(...checkNonNegative('spec.progressDeadlineSeconds', deadline));
    if (deadline <= (num(spec.minReadySeconds) ?? 0)) errs.push(fieldErrors.invalid('spec.progressDeadlineSeconds', deadline, 'must be greater than minReadySeconds'));
  }
  if (old && !sameJson(record(old.spec).selector, spec.selector)) errs.push(invalidSelector('spec.selector', spec.selector, 'field is immutable'));
  return errs;
}

export function deploymentType(): ResourceType {
  const type = builtinType({
    group: 'apps',
    version: 'v1',
    kind: 'Deployment',
    plural: 'deployments',
    shortNames: ['deploy'],
    categories: ['all'],
    statusSubresource: true,
    createClearsStatus: true,
    scale: appsScale,
    generationFrom: 'spec',
    columns: [
      column('Ready', 'string', 'Number of the pod with ready state'),
      column('Up-to-date', 'string', 'Total number of non-terminated pods targeted by this deployment that have the desired template spec.'),
      column('Available', 'string', 'Total number of available pods (ready for at least minReadySeconds) targeted by this deployment.'),
      ageColumn,
      containersColumn,
      imagesColumn,
      column('Selector', 'string', 'Label selector for pods. Existing ReplicaSets whose pods are selected by this will be the ones affected by this deployment.', 1),
    ],
    cells: (o) => {
      const spec = record(o.spec);
      const status = record(o.status);
      return [`${num(status.readyReplicas) ?? 0}/${num(spec.replicas) ?? 0}`, num(status.updatedReplicas) ?? 0, num(status.availableReplicas) ?? 0, ageCell, ...containerCells(spec.template), formatSelectorCell(spec.selector)];
    },
    defaults: defaultDeployment,
    validate: validateDeployment,
  });
  type.patchMeta = workloadPatchMeta(['spec', 'template'], { strategy: { strategy: 'retainKeys' } });
  return type;
}
