// core/v1 ReplicationController: served (the API, the scale subresource and `kubectl get rc`), with no controller in
// Floe (docs/compatibility.md). SetDefaults_ReplicationController fills the selector and labels from the template.
import { fieldErrors, type FieldError } from '../errors.js';
import type { KubeObject } from '../meta.js';
import { checkLabelValue, checkQualifiedName } from '../names.js';
import type { ResourceType } from '../resource-type.js';
import { checkNonNegative, goStringMap, specOf } from './apps.js';
import { builtinType } from './builtin-type.js';
import { isRecord, num, record } from './json.js';
import { containerCells, containersColumn, defaultPodTemplate, imagesColumn, validateReplicatedTemplate, workloadPatchMeta } from './pod-template.js';
import { ageCell, ageColumn, column, formatLabels } from './printing.js';

export function defaultReplicationController(object: KubeObject): void {
  const spec = specOf(object);
  if (!isRecord(object.status)) object.status = {};
  (object.status as Record<string, unknown>).replicas ??= 0;
  const template = isRecord(spec.template) ? spec.template : undefined;
  const labels = template && isRecord(record(template.metadata).labels) ? (record(template.metadata).labels as Record<string, string>) : undefined;
  if (labels) {
    if (Object.keys(record(spec.selector)).length === 0) spec.selector = { ...labels };
    if (Object.keys(object.metadata.labels ?? {}).length === 0) object.metadata.labels = { ...labels };
  }
  spec.replicas ??= 1;
  if (template) defaultPodTemplate(template);
}

export function validateReplicationController(object: KubeObject): FieldError[] {
  const spec = record(object.spec);
  const errs: FieldError[] = [];
  errs.push(...checkNonNegative('spec.replicas', spec.replicas));
  errs.push(...checkNonNegative('spec.minReadySeconds', spec.minReadySeconds));
  const selector = record(spec.selector);
  if (Object.keys(selector).length === 0) errs.push(fieldErrors.required('spec.selector'));
  for (const [k, v] of Object.entries(selector)) {
    for (const m of checkQualifiedName(k)) errs.push(fieldErrors.invalid('spec.selector', k, m));
    for (const m of checkLabelValue(String(v))) errs.push(fieldErrors.invalid('spec.selector', v, m));
  }
  if (!isRecord(spec.template)) {
    errs.push(fieldErrors.required('spec.template'));
    return errs;
  }
  const labels = record(record(spec.template.metadata).labels);
  if (Object.keys(selector).length > 0 && !Object.entries(selector).every(([k, v]) => labels[k] === v)) {
    errs.push({ type: 'FieldValueInvalid', field: 'spec.template.metadata.labels', message: `Invalid value: ${goStringMap(record(spec.template.metadata).labels)}: \`selector\` does not match template \`labels\`` });
  }
  errs.push(...validateReplicatedTemplate(spec.template, 'spec.template', object.metadata.namespace, 'ReplicationController'));
  return errs;
}

export function replicationControllerType(): ResourceType {
  const type = builtinType({
    group: '',
    version: 'v1',
    kind: 'ReplicationController',
    plural: 'replicationcontrollers',
    shortNames: ['rc'],
    categories: ['all'],
    statusSubresource: true,
    createClearsStatus: true,
    scale: { specReplicasPath: '.spec.replicas', statusReplicasPath: '.status.replicas', labelSelectorPath: '.spec.selector', selector: 'map' },
    generationFrom: 'spec',
    columns: [
      column('Desired', 'integer', 'Replicas is the number of desired replicas.'),
      column('Current', 'integer', 'Replicas is the most recently observed number of replicas.'),
      column('Ready', 'integer', 'The number of ready replicas for this replication controller.'),
      ageColumn,
      containersColumn,
      imagesColumn,
      column('Selector', 'string', 'Selector is a label query over pods that should match the Replicas count.', 1),
    ],
    cells: (o) => {
      const spec = record(o.spec);
      const status = record(o.status);
      return [num(spec.replicas) ?? 0, num(status.replicas) ?? 0, num(status.readyReplicas) ?? 0, ageCell, ...containerCells(spec.template), formatLabels(record(spec.selector))];
    },
    defaults: defaultReplicationController,
    validate: validateReplicationController,
  });
  type.patchMeta = workloadPatchMeta(['spec', 'template']);
  return type;
}
