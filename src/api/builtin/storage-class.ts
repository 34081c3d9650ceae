// storage.k8s.io/v1 StorageClass: SetDefaults_StorageClass, ValidateStorageClass (+ what an update may not change) and
// `kubectl get sc` rows. The `storageclass.kubernetes.io/is-default-class` annotation marks the default class.
import { fieldErrors, type FieldError } from '../errors.js';
import type { KubeObject } from '../meta.js';
import { checkQualifiedName } from '../names.js';
import type { ResourceType } from '../resource-type.js';
import { builtinType } from './builtin-type.js';
import { workloadPatchMeta } from './pod-template.js';
import { list, record, sameJson, text } from './json.js';
import { ageCell, ageColumn, column } from './printing.js';

export const DefaultStorageClassAnnotation = 'storageclass.kubernetes.io/is-default-class';

/** Whether a StorageClass is marked default (either the GA or the beta annotation set to "true"). */
export function isDefaultStorageClass(object: KubeObject): boolean {
  const a = object.metadata.annotations ?? {};
  return a[DefaultStorageClassAnnotation] === 'true' || a['storageclass.beta.kubernetes.io/is-default-class'] === 'true';
}

export function defaultStorageClass(object: KubeObject): void {
  object.reclaimPolicy ??= 'Delete';
  object.volumeBindingMode ??= 'Immediate';
}

export function validateStorageClass(object: KubeObject, old?: KubeObject): FieldError[] {
  const errs: FieldError[] = [];
  const provisioner = text(object.provisioner);
  if (!provisioner) errs.push(fieldErrors.required('provisioner'));
  else for (const m of checkQualifiedName(provisioner.toLowerCase())) errs.push(fieldErrors.invalid('provisioner', provisioner.toLowerCase(), m));
  const params = record(object.parameters);
  if (Object.keys(params).length > 512) errs.push(fieldErrors.tooLong('parameters', 512));
  for (const k of Object.keys(params)) if (k === '') errs.push(fieldErrors.invalid('parameters', params, 'key must not be empty'));
  const reclaim = text(object.reclaimPolicy);
  if (reclaim && reclaim !== 'Delete' && reclaim !== 'Retain') errs.push(fieldErrors.notSupported('reclaimPolicy', reclaim, ['Delete', 'Retain']));
  const mode = object.volumeBindingMode;
  if (mode === undefined || mode === null) errs.push(fieldErrors.required('volumeBindingMode'));
  else if (mode !== 'Immediate' && mode !== 'WaitForFirstConsumer') errs.push(fieldErrors.notSupported('volumeBindingMode', mode, ['Immediate', 'WaitForFirstConsumer']));
  list(object.allowedTopologies).forEach((term, i) => {
    const exprs = list(record(term).matchLabelExpressions);
    if (exprs.length === 0) errs.push(fieldErrors.required(`allowedTopologies[${i}].matchLabelExpressions`, 'must have at least one label selector requirement'));
  });
  if (old) {
    if (!sameJson(old.parameters ?? {}, object.parameters ?? {})) errs.push(fieldErrors.forbidden('parameters', 'updates to parameters are forbidden.'));
    if (old.provisioner !== object.provisioner) errs.push(fieldErrors.forbidden('provisioner', 'updates to provisioner are forbidden.'));
    if (old.reclaimPolicy !== object.reclaimPolicy) errs.push(fieldErrors.forbidden('reclaimPolicy', 'updates to reclaimPolicy are forbidden.'));
    if (old.volumeBindingMode !== object.volumeBindingMode) errs.push(fieldErrors.invalid('volumeBindingMode', object.volumeBindingMode ?? null, 'field is immutable'));
  }
  return errs;
}

export function storageClassType(): ResourceType {
  return builtinType({
    patchMeta: workloadPatchMeta([]),
    group: 'storage.k8s.io',
    version: 'v1',
    kind: 'StorageClass',
    plural: 'storageclasses',
    namespaced: false,
    shortNames: ['sc'],
    columns: [
      column('Provisioner', 'string', 'provisioner indicates the type of the provisioner.'),
      column('ReclaimPolicy', 'string', 'reclaimPolicy controls the reclaimPolicy for dynamically provisioned PersistentVolumes of this storage class. Defaults to Delete.'),
      column('VolumeBindingMode', 'string', 'volumeBindingMode indicates how PersistentVolumeClaims should be provisioned and bound.  When unset, VolumeBindingImmediate is used. This field is only honored by servers that enable the VolumeScheduling feature.'),
      column('AllowVolumeExpansion', 'string', 'allowVolumeExpansion shows whether the storage class allow volume expand.'),
      ageColumn,
    ],
    cells: (o) => [text(o.provisioner), text(o.reclaimPolicy) || 'Delete', text(o.volumeBindingMode) || 'Immediate', o.allowVolumeExpansion === true, ageCell],
    defaults: defaultStorageClass,
    validate: validateStorageClass,
  });
}
