// apps/v1 ControllerRevision: an immutable snapshot (`data`) that StatefulSets and DaemonSets keep per template revision.
import { fieldErrors, type FieldError } from '../errors.js';
import type { KubeObject } from '../meta.js';
import type { ResourceType } from '../resource-type.js';
import { checkNonNegative } from './apps.js';
import { builtinType } from './builtin-type.js';
import { workloadPatchMeta } from './pod-template.js';
import { isRecord, sameJson } from './json.js';
import { ageCell, ageColumn, column } from './printing.js';

export function validateControllerRevision(object: KubeObject, old?: KubeObject): FieldError[] {
  const errs = checkNonNegative('revision', object.revision);
  if (!old) {
    if (object.data === undefined || object.data === null) errs.push(fieldErrors.required('data', 'data is mandatory'));
    else if (!isRecord(object.data)) errs.push(fieldErrors.required('data', 'data must be a valid JSON object'));
  } else if (!sameJson(object.data, old.data)) {
    const bytes = [...Buffer.from(JSON.stringify(object.data ?? null))].map((b) => `0x${b.toString(16)}`).join(', ');
    errs.push({ type: 'FieldValueInvalid', field: 'data', message: `Invalid value: runtime.RawExtension{Raw:[]uint8{${bytes}}, Object:runtime.Object(nil)}: field is immutable` });
  }
  return errs;
}

/** `statefulset.apps/web` from the controller owner reference, as kubectl prints it; '<none>' without one. */
export function controllerCell(object: KubeObject): string {
  const ref = (object.metadata.ownerReferences ?? []).find((r) => r.controller === true);
  if (!ref) return '<none>';
  const group = ref.apiVersion.includes('/') ? ref.apiVersion.slice(0, ref.apiVersion.indexOf('/')) : '';
  return `${ref.kind.toLowerCase()}${group ? `.${group}` : ''}/${ref.name}`;
}

export function controllerRevisionType(): ResourceType {
  return builtinType({
    patchMeta: workloadPatchMeta([]),
    group: 'apps',
    version: 'v1',
    kind: 'ControllerRevision',
    plural: 'controllerrevisions',
    columns: [column('Controller', 'string', 'Controller of the object'), column('Revision', 'string', 'Revision indicates the revision of the state represented by Data.'), ageColumn],
    cells: (o) => [controllerCell(o), typeof o.revision === 'number' ? o.revision : 0, ageCell],
    defaults: (o) => {
      o.revision ??= 0;
    },
    validate: validateControllerRevision,
  });
}
