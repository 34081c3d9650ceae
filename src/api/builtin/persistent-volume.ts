// core/v1 PersistentVolume: SetDefaults_PersistentVolume, ValidatePersistentVolume (access modes, capacity, exactly one
// volume source, reclaim policy, immutable source) and `kubectl get pv` rows.
import { fieldErrors, type FieldError } from '../errors.js';
import type { KubeObject } from '../meta.js';
import type { ResourceType } from '../resource-type.js';
import { specOf } from './apps.js';
import { builtinType } from './builtin-type.js';
import { isRecord, list, record, sameJson, text } from './json.js';
import { parseQuantity, quantityFormatMessage } from './quantity.js';
import { ageCell, ageColumn, column } from './printing.js';

/** The volume sources a PersistentVolumeSpec may carry (exactly one). */
export const persistentVolumeSources = [
  'hostPath', 'gcePersistentDisk', 'awsElasticBlockStore', 'glusterfs', 'flocker', 'nfs', 'rbd', 'quobyte', 'cephfs', 'iscsi', 'cinder',
  'fc', 'azureFile', 'vsphereVolume', 'photonPersistentDisk', 'portworxVolume', 'azureDisk', 'scaleIO', 'local', 'storageos', 'csi',
] as const;

const accessModes = ['ReadOnlyMany', 'ReadWriteMany', 'ReadWriteOnce', 'ReadWriteOncePod'];
const reclaimPolicies = ['Delete', 'Recycle', 'Retain'];
const set = (v: unknown): boolean => v !== undefined && v !== null;

export function defaultPersistentVolume(object: KubeObject): void {
  const spec = specOf(object);
  if (!text(spec.persistentVolumeReclaimPolicy)) spec.persistentVolumeReclaimPolicy = 'Retain';
  spec.volumeMode ??= 'Filesystem';
  if (isRecord(spec.hostPath)) spec.hostPath.type ??= '';
  if (!isRecord(object.status)) object.status = {};
  const status = object.status as Record<string, unknown>;
  if (!text(status.phase)) {
    status.phase = 'Pending';
    status.lastPhaseTransitionTime ??= new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
  }
}

export function validatePersistentVolume(object: KubeObject, old?: KubeObject): FieldError[] {
  const spec = record(object.spec);
  const errs: FieldError[] = [];
  const modes = list(spec.accessModes);
  if (modes.length === 0) errs.push(fieldErrors.required('spec.accessModes'));
  for (const mode of modes) if (!accessModes.includes(text(mode))) errs.push(fieldErrors.notSupported('spec.accessModes', mode, accessModes));
  if (modes.includes('ReadWriteOncePod') && modes.some((m) => m !== 'ReadWriteOncePod' && accessModes.includes(text(m)))) {
    errs.push(fieldErrors.forbidden('spec.accessModes', 'may not use ReadWriteOncePod with other access modes'));
  }
  const capacity = record(spec.capacity);
  if (Object.keys(capacity).length === 0) errs.push(fieldErrors.required('spec.capacity'));
  if (!('storage' in capacity) || Object.keys(capacity).length > 1) {
    const shown = Object.keys(capacity).length === 0 ? 'core.ResourceList(nil)' : JSON.stringify(capacity);
    errs.push({ type: 'FieldValueNotSupported', field: 'spec.capacity', message: `Unsupported value: ${shown}: supported values: "storage"` });
  }
  for (const [name, q] of Object.entries(capacity)) {
    const v = parseQuantity(q);
    if (v === undefined) errs.push(fieldErrors.invalid(`spec.capacity[${name}]`, q, quantityFormatMessage));
    else if (v <= 0) errs.push(fieldErrors.invalid(`spec.capacity[${name}]`, String(q), 'must be greater than zero'));
  }
  const policy = text(spec.persistentVolumeReclaimPolicy);
  if (policy && !reclaimPolicies.includes(policy)) errs.push(fieldErrors.notSupported('spec.persistentVolumeReclaimPolicy', policy, reclaimPolicies));
  const sources = persistentVolumeSources.filter((s) => set(spec[s]));
  for (const extra of sources.slice(1)) errs.push(fieldErrors.forbidden(`spec.${extra === 'cephfs' ? 'cephFS' : extra}`, 'may not specify more than 1 volume type'));
  if (sources.length === 0) errs.push(fieldErrors.required('spec', 'must specify a volume type'));
  if (isRecord(spec.hostPath) && !text(spec.hostPath.path)) errs.push(fieldErrors.required('spec.hostPath.path'));
  if (isRecord(spec.local)) {
    if (!text(spec.local.path)) errs.push(fieldErrors.required('spec.local.path'));
    if (!set(spec.nodeAffinity)) errs.push(fieldErrors.required('spec.nodeAffinity', 'Local volume requires node affinity'));
  }
  if (isRecord(spec.nfs)) {
    if (!text(spec.nfs.server)) errs.push(fieldErrors.required('spec.nfs.server'));
    if (!text(spec.nfs.path)) errs.push(fieldErrors.required('spec.nfs.path'));
    else if (!text(spec.nfs.path).startsWith('/')) errs.push(fieldErrors.invalid('spec.nfs.path', spec.nfs.path, 'must be an absolute path'));
  }
  if (isRecord(spec.csi)) {
    if (!text(spec.csi.driver)) errs.push(fieldErrors.required('spec.csi.driver'));
    if (!text(spec.csi.volumeHandle)) errs.push(fieldErrors.required('spec.csi.volumeHandle'));
  }
  const mode = spec.volumeMode;
  if (set(mode) && mode !== 'Block' && mode !== 'Filesystem') errs.push(fieldErrors.notSupported('spec.volumeMode', mode, ['Block', 'Filesystem']));
  if (old) {
    // The status strategy stamps lastPhaseTransitionTime whenever the phase changes, and keeps it otherwise.
    const status = record(object.status);
    const previous = record(old.status);
    if (isRecord(object.status) && text(status.phase) && status.phase !== previous.phase) status.lastPhaseTransitionTime = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
    else if (isRecord(object.status) && status.lastPhaseTransitionTime === undefined && previous.lastPhaseTransitionTime !== undefined) status.lastPhaseTransitionTime = previous.lastPhaseTransitionTime;
    const before = record(old.spec);
    const pick = (s: Record<string, unknown>): Record<string, unknown> => Object.fromEntries(persistentVolumeSources.filter((k) => set(s[k])).map((k) => [k, s[k]]));
    if (!sameJson(pick(before), pick(spec))) errs.push(fieldErrors.forbidden('spec.persistentvolumesource', 'spec.persistentvolumesource is immutable after creation'));
    if (!sameJson(before.volumeMode, spec.volumeMode)) errs.push(fieldErrors.invalid('volumeMode', spec.volumeMode ?? null, 'field is immutable'));
  }
  return errs;
}

/** GetAccessModesAsString: RWO,ROX,RWX,RWOP in that order. */
export function accessModesCell(modes: unknown): string {
  const short: [string, string][] = [['ReadWriteOnce', 'RWO'], ['ReadOnlyMany', 'ROX'], ['ReadWriteMany', 'RWX'], ['ReadWriteOncePod', 'RWOP']];
  const given = list(modes);
  return short.filter(([m]) => given.includes(m)).map(([, s]) => s).join(',');
}

export function persistentVolumeType(): ResourceType {
  return builtinType({
    group: '',
    version: 'v1',
    kind: 'PersistentVolume',
    plural: 'persistentvolumes',
    namespaced: false,
    shortNames: ['pv'],
    statusSubresource: true,
    createClearsStatus: true,
    columns: [
      column('Capacity', 'string', 'capacity is the description of the persistent volume\'s resources and capacity.'),
      column('Access Modes', 'string', 'accessModes contains all ways the volume can be mounted.'),
      column('Reclaim Policy', 'string', 'persistentVolumeReclaimPolicy defines what happens to a persistent volume when released from its claim.'),
      column('Status', 'string', 'phase indicates if a volume is available, bound to a claim, or released by a claim.'),
      column('Claim', 'string', 'claimRef is part of a bi-directional binding between PersistentVolume and PersistentVolumeClaim.'),
      column('StorageClass', 'string', 'StorageClass of the pv'),
      column('VolumeAttributesClass', 'string', 'VolumeAttributesClass of the pv'),
      column('Reason', 'string', 'reason is a brief CamelCase string that describes any failure and is meant for machine parsing and tidy display in the CLI.'),
      ageColumn,
      column('VolumeMode', 'string', 'volumeMode defines if a volume is intended to be used with a formatted filesystem or to remain in raw block state.', 1),
    ],
    cells: (o) => {
      const spec = record(o.spec);
      const status = record(o.status);
      const claim = isRecord(spec.claimRef) ? `${text(spec.claimRef.namespace)}/${text(spec.claimRef.name)}` : '';
      const storageClass = text(spec.storageClassName) || text(o.metadata.annotations?.['volume.beta.kubernetes.io/storage-class']);
      const phase = o.metadata.deletionTimestamp ? 'Terminating' : text(status.phase);
      return [
        (typeof record(spec.capacity).storage === 'string' ? text(record(spec.capacity).storage) : '0'), accessModesCell(spec.accessModes), text(spec.persistentVolumeReclaimPolicy), phase, claim, storageClass,
        set(spec.volumeAttributesClassName) ? text(spec.volumeAttributesClassName) : '<unset>', text(status.reason), ageCell, set(spec.volumeMode) ? text(spec.volumeMode) : '<unset>',
      ];
    },
    defaults: defaultPersistentVolume,
    validate: validatePersistentVolume,
  });
}
