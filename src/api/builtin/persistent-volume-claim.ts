// core/v1 PersistentVolumeClaim: access modes, storage request, spec immutability and the `kubectl get pvc` row.
import { fieldErrors, type FieldError } from '../errors.js';
import type { KubeObject } from '../meta.js';
import type { PrinterColumn, ResourceType } from '../resource-type.js';
import { builtinType } from './builtin-type.js';
import { checkOneOf } from './field-checks.js';
import { isRecord, list, record, sameJson, text } from './json.js';
import { ageCell, ageColumn, column } from './printing.js';
import { parseQuantity, quantityFormatMessage } from './quantity.js';

const accessModes = ['ReadOnlyMany', 'ReadWriteMany', 'ReadWriteOnce', 'ReadWriteOncePod'] as const;
/** Short forms in the order kubectl prints them, whatever order the claim lists them in. */
const accessModeAbbreviations: [string, string][] = [['ReadWriteOnce', 'RWO'], ['ReadOnlyMany', 'ROX'], ['ReadWriteMany', 'RWX'], ['ReadWriteOncePod', 'RWOP']];

export const claimColumns: PrinterColumn[] = [
  column('Status', 'string', 'The phase of the claim'),
  column('Volume', 'string', 'The name of the PersistentVolume backing this claim'),
  column('Capacity', 'string', 'The actual resources of the underlying volume'),
  column('Access Modes', 'string', 'The access modes the volume has'),
  column('StorageClass', 'string', 'The name of the StorageClass required by the claim'),
  column('VolumeAttributesClass', 'string', 'The name of the VolumeAttributesClass the claim uses'),
  ageColumn,
  column('VolumeMode', 'string', 'What type of volume is required by the claim', 1),
];

export function claimCells(claim: KubeObject): unknown[] {
  const spec = record(claim.spec);
  const status = record(claim.status);
  const phase = claim.metadata.deletionTimestamp ? 'Terminating' : text(status.phase);
  const volume = text(spec.volumeName);
  let capacity = '';
  let modes = '';
  if (volume) {
    const have = list(status.accessModes);
    modes = accessModeAbbreviations.filter(([mode]) => have.includes(mode)).map(([, short]) => short).join(',');
    capacity = text(record(status.capacity).storage);
  }
  const storageClass = claim.metadata.annotations?.['volume.beta.kubernetes.io/storage-class'] ?? text(spec.storageClassName);
  return [phase, volume, capacity, modes, storageClass, text(spec.volumeAttributesClassName) || '<unset>', ageCell, text(spec.volumeMode) || '<unset>'];
}

export function defaultClaim(claim: KubeObject): void {
  if (!isRecord(claim.spec)) claim.spec = {};
  const spec = claim.spec as Record<string, unknown>;
  if (!text(spec.volumeMode)) spec.volumeMode = 'Filesystem';
  if (!isRecord(claim.status)) claim.status = {};
  const status = claim.status as Record<string, unknown>;
  if (!text(status.phase)) status.phase = 'Pending';
}

export function validateClaim(claim: KubeObject, old?: KubeObject): FieldError[] {
  const errs: FieldError[] = [];
  const spec = record(claim.spec);
  const modes = list(spec.accessModes);
  if (modes.length === 0) errs.push(fieldErrors.required('spec.accessModes', 'at least 1 access mode is required'));
  for (const mode of modes) if (!(accessModes as readonly unknown[]).includes(mode)) errs.push(fieldErrors.notSupported('spec.accessModes', mode, accessModes));
  if (modes.includes('ReadWriteOncePod') && modes.length > 1) errs.push(fieldErrors.forbidden('spec.accessModes', 'may not use ReadWriteOncePod with other access modes'));
  const resources = record(spec.resources);
  const storage = record(resources.requests).storage;
  if (storage === undefined) errs.push(fieldErrors.required('spec.resources[storage]'));
  else {
    const size = parseQuantity(storage);
    if (size === undefined) errs.push(fieldErrors.invalid('spec.resources[storage]', storage, quantityFormatMessage));
    else if (size <= 0) errs.push(fieldErrors.invalid('spec.resources[storage]', storage, 'must be greater than zero'));
  }
  errs.push(...checkOneOf('spec.volumeMode', spec.volumeMode, ['Block', 'Filesystem']));
  if (old) {
    const oldSpec = record(old.spec);
    // Only the storage request may change (expansion), and volumeName may be set once, when the claim binds.
    const strip = (s: Record<string, unknown>, binding: boolean): unknown => {
      const copy = structuredClone(s);
      delete copy.resources;
      delete copy.volumeAttributesClassName;
      if (binding) delete copy.volumeName;
      return copy;
    };
    const binding = !text(oldSpec.volumeName);
    if (!sameJson(strip(spec, binding), strip(oldSpec, binding))) {
      errs.push(fieldErrors.forbidden('spec', 'spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims'));
    }
  }
  return errs;
}

export function claimType(): ResourceType {
  return builtinType({
    group: '',
    version: 'v1',
    kind: 'PersistentVolumeClaim',
    plural: 'persistentvolumeclaims',
    shortNames: ['pvc'],
    statusSubresource: true,
    columns: claimColumns,
    cells: claimCells,
    defaults: defaultClaim,
    validate: validateClaim,
  });
}
