// apps/v1 ReplicaSet: SetDefaults_ReplicaSet, ValidateReplicaSet (+ the apps/v1 immutable selector) and `kubectl get rs` rows.
import type { FieldError } from '../errors.js';
import type { KubeObject } from '../meta.js';
import type { ResourceType } from '../resource-type.js';
import { appsScale, checkNonNegative, checkWorkloadSelector, formatSelectorCell, invalidSelector, specOf } from './apps.js';
import { builtinType } from './builtin-type.js';
import { isRecord, num, record, sameJson } from './json.js';
import { containerCells, containersColumn, defaultPodTemplate, imagesColumn, templateAt, validateReplicatedTemplate, workloadPatchMeta } from './pod-template.js';
import { ageCell, ageColumn, column } from './printing.js';

export function defaultReplicaSet(object: KubeObject): void {
  const spec = specOf(object);
  if (!isRecord(object.status)) object.status = {};
  (object.status as Record<string, unknown>).replicas ??= 0;
  spec.replicas ??= 1;
  defaultPodTemplate(templateAt(spec, 'template'));
}

export function validateReplicaSet(object: KubeObject, old?: KubeObject): FieldError[] {
  const spec = record(object.spec);
  const errs: FieldError[] = [];
  errs.push(...checkNonNegative('spec.replicas', spec.replicas));
  errs.push(...checkNonNegative('spec.minReadySeconds', spec.minReadySeconds));
  // kube-apiserver names Deployments in this message for ReplicaSets too.
  errs.push(...checkWorkloadSelector(spec, 'deployment'));
  errs.push(...validateReplicatedTemplate(spec.template, 'spec.template', object.metadata.namespace, 'ReplicaSet'));
  if (old && !sameJson(record(old.spec).selector, spec.selector)) errs.push(invalidSelector('spec.selector', spec.selector, 'field is immutable'));
  return errs;
}

/** DESIRED, CURRENT, READY (+ AGE, and CONTAINERS, IMAGES, SELECTOR with -o wide), as for ReplicaSets and ReplicationControllers. */
export const replicaColumns = (selectorDescription: string) => [
  column('Desired', 'integer', 'Replicas is the number of desired pods.'),
  column('Current', 'integer', 'Replicas is the most recently observed number of replicas.'),
  column('Ready', 'integer', 'The number of pods targeted by this ReplicaSet with a Ready Condition.'),
  ageColumn,
  containersColumn,
  imagesColumn,
  column('Selector', 'string', selectorDescription, 1),
];

export function replicaSetType(): ResourceType {
  const type = builtinType({
    group: 'apps',
    version: 'v1',
    kind: 'ReplicaSet',
    plural: 'replicasets',
    shortNames: ['rs'],
    categories: ['all'],
    statusSubresource: true,
    createClearsStatus: true,
    scale: appsScale,
    generationFrom: 'spec',
    columns: replicaColumns('Selector is a label query over pods that should match the replica count.'),
    cells: (o) => {
      const spec = record(o.spec);
      const status = record(o.status);
      return [num(spec.replicas) ?? 0, num(status.replicas) ?? 0, num(status.readyReplicas) ?? 0, ageCell, ...containerCells(spec.template), formatSelectorCell(spec.selector)];
    },
    defaults: defaultReplicaSet,
    validate: validateReplicaSet,
  });
  type.patchMeta = workloadPatchMeta(['spec', 'template']);
  return type;
}
