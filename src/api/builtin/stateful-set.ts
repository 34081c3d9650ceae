// apps/v1 StatefulSet: SetDefaults_StatefulSet, ValidateStatefulSet (DNS-label names, the fields an update may change,
// the immutable selector) and `kubectl get sts` rows.
import { fieldErrors, type FieldError } from '../errors.js';
import type { KubeObject } from '../meta.js';
import { checkDns1123Label, checkDns1123Subdomain } from '../names.js';
import type { ResourceType } from '../resource-type.js';
import { appsScale, checkIntOrPercent, goIntOrString, checkNonNegative, checkNotMoreThan100Percent, checkWorkloadSelector, intOrPercentValue, invalidShown, specOf } from './apps.js';
import { builtinType } from './builtin-type.js';
import { isRecord, list, num, record, sameJson, text } from './json.js';
import { containerCells, containersColumn, defaultPodTemplate, imagesColumn, templateAt, validateReplicatedTemplate, workloadPatchMeta } from './pod-template.js';
import { ageCell, ageColumn, column } from './printing.js';

export function defaultStatefulSet(object: KubeObject): void {
  const spec = specOf(object);
  if (!isRecord(object.status)) object.status = {};
  (object.status as Record<string, unknown>).replicas ??= 0;
  (object.status as Record<string, unknown>).availableReplicas ??= 0;
  if (!text(spec.podManagementPolicy)) spec.podManagementPolicy = 'OrderedReady';
  const strategy = templateAt(spec, 'updateStrategy');
  if (!text(strategy.type)) {
    strategy.type = 'RollingUpdate';
    if (!isRecord(strategy.rollingUpdate)) strategy.rollingUpdate = {};
  }
  if (strategy.type === 'RollingUpdate' && isRecord(strategy.rollingUpdate)) strategy.rollingUpdate.partition ??= 0;
  const retention = templateAt(spec, 'persistentVolumeClaimRetentionPolicy');
  if (!text(retention.whenDeleted)) retention.whenDeleted = 'Retain';
  if (!text(retention.whenScaled)) retention.whenScaled = 'Retain';
  spec.replicas ??= 1;
  spec.revisionHistoryLimit ??= 10;
  defaultPodTemplate(templateAt(spec, 'template'));
  // The claims' own defaults (volumeMode Filesystem), as the PVC type's defaulting fills them inside the StatefulSet.
  for (const claim of list(spec.volumeClaimTemplates)) {
    if (!isRecord(claim)) continue;
    const claimSpec = isRecord(claim.spec) ? claim.spec : (claim.spec = {});
    claimSpec.volumeMode ??= 'Filesystem';
    if (!isRecord(claim.status)) claim.status = { phase: 'Pending' };
    else if (!text(claim.status.phase)) claim.status.phase = 'Pending';
    claim.apiVersion ??= 'v1';
    claim.kind ??= 'PersistentVolumeClaim';
  }
}

const updatable = ['replicas', 'ordinals', 'template', 'updateStrategy', 'persistentVolumeClaimRetentionPolicy', 'minReadySeconds'];

function checkRetention(value: unknown): FieldError[] {
  if (!isRecord(value)) return [];
  const errs: FieldError[] = [];
  for (const key of ['whenDeleted', 'whenScaled']) {
    const v = text(value[key]);
    if (v !== 'Retain' && v !== 'Delete') errs.push(fieldErrors.notSupported(`spec.persistentVolumeClaimRetentionPolicy.${key}`, v, ['Retain', 'Delete']));
  }
  return errs;
}

export function validateStatefulSet(object: KubeObject, old?: KubeObject): FieldError[] {
  const spec = record(object.spec);
  const errs: FieldError[] = [];
  // StatefulSet names become Pod host names: DNS labels (the handler has checked them as subdomains).
  const name = object.metadata.name ?? '';
  if (name && checkDns1123Subdomain(name).length === 0 && checkDns1123Label(name).length > 0) {
    // A valid subdomain that is no valid label has dots (IsDNS1123Label), or is too long.
    if (name.length > 63) errs.push(fieldErrors.invalid('metadata.name', name, 'must be no more than 63 characters'));
    if (name.includes('.')) errs.push(fieldErrors.invalid('metadata.name', name, 'must not contain dots'));
  }
  const policy = text(spec.podManagementPolicy);
  if (!policy) errs.push(fieldErrors.required('spec.podManagementPolicy'));
  else if (policy !== 'OrderedReady' && policy !== 'Parallel') errs.push(fieldErrors.invalid('spec.podManagementPolicy', policy, "must be 'OrderedReady' or 'Parallel'"));
  const strategy = record(spec.updateStrategy);
  const type = text(strategy.type);
  if (!type) errs.push(fieldErrors.required('spec.updateStrategy'));
  else if (type === 'OnDelete') {
    if (strategy.rollingUpdate !== undefined && strategy.rollingUpdate !== null) {
      const r = record(strategy.rollingUpdate);
      const shown = `apps.RollingUpdateStatefulSetStrategy{Partition:${num(r.partition) ?? 0}, MaxUnavailable:${r.maxUnavailable === undefined || r.maxUnavailable === null ? '(*intstr.IntOrString)(nil)' : `&${goIntOrString(r.maxUnavailable)}`}}`;
      errs.push({ type: 'FieldValueInvalid', field: 'spec.updateStrategy.rollingUpdate', message: `Invalid value: ${shown}: only allowed for updateStrategy 'RollingUpdate'` });
    }
  } else if (type === 'RollingUpdate') {
    if (isRecord(strategy.rollingUpdate)) {
      const r = strategy.rollingUpdate;
      errs.push(...checkNonNegative('spec.updateStrategy.rollingUpdate.partition', r.partition));
      if (r.maxUnavailable !== undefined && r.maxUnavailable !== null) {
        errs.push(...checkIntOrPercent('spec.updateStrategy.rollingUpdate.maxUnavailable', r.maxUnavailable));
        if ((intOrPercentValue(r.maxUnavailable) ?? 0) === 0) errs.push(invalidShown('spec.updateStrategy.rollingUpdate.maxUnavailable', r.maxUnavailable, 'cannot be 0'));
        errs.push(...checkNotMoreThan100Percent('spec.updateStrategy.rollingUpdate.maxUnavailable', r.maxUnavailable));
      }
    }
  } else {
    errs.push(fieldErrors.invalid('spec.updateStrategy', strategy, "must be 'RollingUpdate' or 'OnDelete'"));
  }
  errs.push(...checkRetention(spec.persistentVolumeClaimRetentionPolicy));
  errs.push(...checkNonNegative('spec.replicas', spec.replicas));
  errs.push(...checkNonNegative('spec.minReadySeconds', spec.minReadySeconds));
  if (isRecord(spec.ordinals)) errs.push(...checkNonNegative('spec.ordinals.start', spec.ordinals.start));
  errs.push(...checkWorkloadSelector(spec, 'statefulset'));
  // kube-apiserver 1.32 checks a StatefulSet template's labels, annotations and restart policy, not its pod spec.
  errs.push(...validateReplicatedTemplate(spec.template, 'spec.template', object.metadata.namespace, 'StatefulSet', false));
  if (old) {
    const before = record(old.spec);
    const a = { ...before };
    const b = { ...spec };
    for (const key of updatable) {
      delete a[key];
      delete b[key];
    }
    if (!sameJson(a, b)) {
      errs.push(fieldErrors.forbidden('spec', "updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden"));
    }
  }
  return errs;
}

export function statefulSetType(): ResourceType {
  const type = builtinType({
    group: 'apps',
    version: 'v1',
    kind: 'StatefulSet',
    plural: 'statefulsets',
    shortNames: ['sts'],
    categories: ['all'],
    statusSubresource: true,
    createClearsStatus: true,
    scale: appsScale,
    generationFrom: 'spec',
    columns: [column('Ready', 'string', 'Number of the pod with ready state'), ageColumn, containersColumn, imagesColumn],
    cells: (o) => {
      const spec = record(o.spec);
      return [`${num(record(o.status).readyReplicas) ?? 0}/${num(spec.replicas) ?? 0}`, ageCell, ...containerCells(spec.template)];
    },
    defaults: defaultStatefulSet,
    validate: validateStatefulSet,
  });
  type.patchMeta = workloadPatchMeta(['spec', 'template']);
  return type;
}
