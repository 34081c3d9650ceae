// core/v1 Pod validation as kube-apiserver does it: every bad field with its path, and what a Pod update may change.
import { fieldErrors, type FieldError } from '../errors.js';
import type { KubeObject } from '../meta.js';
import { checkDns1123Label } from '../names.js';
import {
  checkOneOf,
  checkPortNumber,
  checkProtocol,
  checkResourceRequirements,
  checkTolerations,
  envNameMessages,
  portNameMessages,
} from './field-checks.js';
import { differingPaths, isRecord, list, record, sameJson, text, type JsonObject } from './json.js';

/** Every volume source a core/v1 Volume may name; exactly one is set. */
export const volumeSources = [
  'hostPath', 'emptyDir', 'gcePersistentDisk', 'awsElasticBlockStore', 'gitRepo', 'secret', 'nfs', 'iscsi', 'glusterfs',
  'persistentVolumeClaim', 'rbd', 'flexVolume', 'cinder', 'cephfs', 'flocker', 'downwardAPI', 'fc', 'azureFile', 'configMap',
  'vsphereVolume', 'quobyte', 'azureDisk', 'photonPersistentDisk', 'projected', 'portworxVolume', 'scaleIO', 'storageos', 'csi',
  'ephemeral', 'image',
] as const;

/** Fields a volume source cannot do without. */
const requiredSourceFields: Partial<Record<(typeof volumeSources)[number], string>> = {
  hostPath: 'path',
  secret: 'secretName',
  configMap: 'name',
  persistentVolumeClaim: 'claimName',
};

/** What kube-apiserver's message lists as updatable (without in-place resize, off by default in 1.32). */
export const podUpdatableFields =
  'pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)';

const maxInt32 = 2147483647;

function checkVolumes(value: unknown, errs: FieldError[]): Set<string> {
  const names = new Set<string>();
  list(value).forEach((item, i) => {
    const volume = record(item);
    const p = `spec.volumes[${i}]`;
    const own: FieldError[] = [];
    const sources = volumeSources.filter((s) => volume[s] !== undefined && volume[s] !== null);
    if (sources.length === 0) own.push(fieldErrors.required(p, 'must specify a volume type'));
    for (const extra of sources.slice(1)) own.push(fieldErrors.forbidden(`${p}.${extra}`, 'may not specify more than 1 volume type'));
    const first = sources[0];
    const needs = first === undefined ? undefined : requiredSourceFields[first];
    if (first !== undefined && needs !== undefined && !text(record(volume[first])[needs])) own.push(fieldErrors.required(`${p}.${first}.${needs}`));
    const name = text(volume.name);
    if (!name) own.push(fieldErrors.required(`${p}.name`));
    else for (const m of checkDns1123Label(name)) own.push(fieldErrors.invalid(`${p}.name`, name, m));
    if (names.has(name)) own.push(fieldErrors.duplicate(`${p}.name`, name));
    // Only valid volumes can be mounted, as in Kubernetes.
    if (own.length === 0) names.add(name);
    errs.push(...own);
  });
  return names;
}

function checkPorts(value: unknown, path: string, errs: FieldError[]): void {
  const names = new Set<string>();
  list(value).forEach((item, j) => {
    const port = record(item);
    const p = `${path}[${j}]`;
    const name = text(port.name);
    if (name) {
      const messages = portNameMessages(name);
      if (messages.length > 0) for (const m of messages) errs.push(fieldErrors.invalid(`${p}.name`, name, m));
      else if (names.has(name)) errs.push(fieldErrors.duplicate(`${p}.name`, name));
      else names.add(name);
    }
    if (port.containerPort === undefined || port.containerPort === null || port.containerPort === 0) errs.push(fieldErrors.required(`${p}.containerPort`));
    else errs.push(...checkPortNumber(`${p}.containerPort`, port.containerPort));
    if (port.hostPort !== undefined && port.hostPort !== null && port.hostPort !== 0) errs.push(...checkPortNumber(`${p}.hostPort`, port.hostPort));
    errs.push(...checkProtocol(`${p}.protocol`, port.protocol));
  });
}

function checkEnv(value: unknown, path: string, errs: FieldError[]): void {
  list(value).forEach((item, j) => {
    const name = text(record(item).name);
    const p = `${path}[${j}].name`;
    if (!name) errs.push(fieldErrors.required(p));
    for (const m of envNameMessages(name)) errs.push(fieldErrors.invalid(p, name, m));
  });
}

function checkVolumeMounts(value: unknown, path: string, volumes: Set<string>, errs: FieldError[]): void {
  const mountPaths = new Set<string>();
  list(value).forEach((item, j) => {
    const mount = record(item);
    const p = `${path}[${j}]`;
    const name = text(mount.name);
    if (!name) errs.push(fieldErrors.required(`${p}.name`));
    if (!volumes.has(name)) errs.push({ type: 'FieldValueNotFound', field: `${p}.name`, message: `Not found: ${JSON.stringify(name)}` });
    const mountPath = text(mount.mountPath);
    if (!mountPath) errs.push(fieldErrors.required(`${p}.mountPath`));
    else if (mountPaths.has(mountPath)) errs.push(fieldErrors.invalid(`${p}.mountPath`, mountPath, 'must be unique'));
    mountPaths.add(mountPath);
  });
}

/**
 * A seccompProfile (Pod or container securityContext): a known type, and a localhostProfile exactly when the type is
 * Localhost, as a descending relative path (the kubelet reads it below its seccomp folder).
 */
function checkSeccompProfile(value: unknown, path: string, errs: FieldError[]): void {
  if (value === undefined || value === null) return;
  if (!isRecord(value)) {
    errs.push(fieldErrors.typeInvalid(path, value, 'must be an object'));
    return;
  }
  const types = ['Localhost', 'RuntimeDefault', 'Unconfined'];
  const type = value.type;
  if (type === undefined || type === null || type === '') errs.push(fieldErrors.required(`${path}.type`, 'type is required when seccompProfile is set'));
  else if (typeof type !== 'string' || !types.includes(type)) errs.push(fieldErrors.notSupported(`${path}.type`, type, types));
  const profile = value.localhostProfile;
  if (type === 'Localhost') {
    if (typeof profile !== 'string') errs.push(fieldErrors.required(`${path}.localhostProfile`, 'must be set when seccomp type is Localhost'));
    else {
      if (profile.startsWith('/')) errs.push(fieldErrors.invalid(`${path}.localhostProfile`, profile, 'must be a relative path'));
      if (profile.split('/').includes('..')) errs.push(fieldErrors.invalid(`${path}.localhostProfile`, profile, "must not contain '..'"));
    }
  } else if (profile !== undefined && profile !== null) {
    errs.push(fieldErrors.invalid(`${path}.localhostProfile`, profile, 'can only be set when seccomp type is Localhost'));
  }
}

/** Checks one container; `names` holds the names seen so far, for uniqueness across containers and init containers. */
function checkContainer(item: unknown, path: string, init: boolean, volumes: Set<string>, names: Set<string>, errs: FieldError[]): void {
  if (!isRecord(item)) {
    errs.push(fieldErrors.typeInvalid(path, item, 'must be an object'));
    return;
  }
  const c = item;
  const name = text(c.name);
  if (!name) errs.push(fieldErrors.required(`${path}.name`));
  else for (const m of checkDns1123Label(name)) errs.push(fieldErrors.invalid(`${path}.name`, name, m));
  if (!text(c.image)) errs.push(fieldErrors.required(`${path}.image`));
  errs.push(...checkOneOf(`${path}.terminationMessagePolicy`, c.terminationMessagePolicy, ['File', 'FallbackToLogsOnError']));
  checkPorts(c.ports, `${path}.ports`, errs);
  checkEnv(c.env, `${path}.env`, errs);
  checkVolumeMounts(c.volumeMounts, `${path}.volumeMounts`, volumes, errs);
  errs.push(...checkOneOf(`${path}.imagePullPolicy`, c.imagePullPolicy, ['Always', 'IfNotPresent', 'Never']));
  errs.push(...checkResourceRequirements(`${path}.resources`, c.resources));
  if (isRecord(c.securityContext)) checkSeccompProfile(c.securityContext.seccompProfile, `${path}.securityContext.seccompProfile`, errs);
  if (c.restartPolicy !== undefined && c.restartPolicy !== null) {
    if (!init) errs.push(fieldErrors.forbidden(`${path}.restartPolicy`, 'may not be set for non-init containers'));
    else if (c.restartPolicy !== 'Always') errs.push(fieldErrors.notSupported(`${path}.restartPolicy`, c.restartPolicy, ['Always']));
  }
  if (name) {
    if (names.has(name)) errs.push(fieldErrors.duplicate(`${path}.name`, name));
    names.add(name);
  }
}

/**
 * Validates a Pod and returns every bad field. On update (`old` set) the spec may change only in container
 * images, activeDeadlineSeconds (set or lowered), added tolerations, removed scheduling gates, and — for
 * Floe's scheduler, which binds by update rather than the binding subresource — nodeName while unset.
 */
export function validatePod(pod: KubeObject, old?: KubeObject): FieldError[] {
  const errs: FieldError[] = [];
  const spec = record(pod.spec);
  const volumes = checkVolumes(spec.volumes, errs);
  const names = new Set<string>();
  const containers = list(spec.containers);
  if (containers.length === 0) errs.push(fieldErrors.required('spec.containers'));
  containers.forEach((c, i) => checkContainer(c, `spec.containers[${i}]`, false, volumes, names, errs));
  list(spec.initContainers).forEach((c, i) => checkContainer(c, `spec.initContainers[${i}]`, true, volumes, names, errs));
  if (isRecord(spec.securityContext)) checkSeccompProfile(spec.securityContext.seccompProfile, 'spec.securityContext.seccompProfile', errs);
  // A user namespace with a host namespace is refused (kube-apiserver's paths and words, HostPID's capitals included).
  if (spec.hostUsers === false) {
    for (const [key, path] of [['hostNetwork', 'hostNetwork'], ['hostPID', 'HostPID'], ['hostIPC', 'HostIPC']] as const) {
      if (spec[key] === true) errs.push(fieldErrors.forbidden(`spec.securityContext.${path}`, 'when `pod.Spec.HostUsers` is false'));
    }
  }
  errs.push(...checkOneOf('spec.restartPolicy', spec.restartPolicy, ['Always', 'OnFailure', 'Never']));
  errs.push(...checkOneOf('spec.dnsPolicy', spec.dnsPolicy, ['ClusterFirstWithHostNet', 'ClusterFirst', 'Default', 'None']));
  const deadline = spec.activeDeadlineSeconds;
  if (deadline !== undefined && deadline !== null && !(typeof deadline === 'number' && Number.isInteger(deadline) && deadline >= 1 && deadline <= maxInt32)) {
    errs.push(fieldErrors.invalid('spec.activeDeadlineSeconds', deadline, `must be between 1 and ${maxInt32}, inclusive`));
  }
  errs.push(...checkTolerations('spec.tolerations', spec.tolerations));
  if (old) errs.push(...checkPodUpdate(spec, record(old.spec)));
  return errs;
}

function checkPodUpdate(spec: JsonObject, old: JsonObject): FieldError[] {
  for (const key of ['containers', 'initContainers']) {
    if (list(spec[key]).length !== list(old[key]).length) return [fieldErrors.forbidden(`spec.${key}`, 'pod updates may not add or remove containers')];
  }
  const errs: FieldError[] = [];
  const deadline = spec.activeDeadlineSeconds;
  const oldDeadline = old.activeDeadlineSeconds;
  if (typeof deadline === 'number') {
    if (typeof oldDeadline === 'number' && deadline > oldDeadline) {
      return [fieldErrors.invalid('spec.activeDeadlineSeconds', deadline, 'must be less than or equal to previous value')];
    }
  } else if (typeof oldDeadline === 'number') {
    errs.push(fieldErrors.invalid('spec.activeDeadlineSeconds', null, 'must not update from a positive integer to nil value'));
  }
  // Every old toleration must remain; only its tolerationSeconds may change.
  const tolerations = list(spec.tolerations);
  const kept = list(old.tolerations).every((t) => tolerations.some((n) => sameJson({ ...record(t), tolerationSeconds: null }, { ...record(n), tolerationSeconds: null })));
  if (!kept) errs.push(fieldErrors.forbidden('spec.tolerations', 'existing toleration can not be modified except its tolerationSeconds'));
  const gates = list(old.schedulingGates);
  list(spec.schedulingGates).forEach((g, i) => {
    if (!gates.some((o) => sameJson(o, g))) errs.push(fieldErrors.forbidden(`spec.schedulingGates[${i}]`, `only deletion is allowed, but found new scheduling gate '${text(record(g).name)}'`));
  });

  // Put the updatable fields back to their old values; whatever still differs was not allowed to change.
  const munged = structuredClone(spec);
  for (const key of ['containers', 'initContainers']) {
    list(munged[key]).forEach((c, i) => {
      if (isRecord(c)) c.image = record(list(old[key])[i]).image;
    });
  }
  for (const key of ['activeDeadlineSeconds', 'tolerations', 'schedulingGates']) {
    if (key in old) munged[key] = old[key];
    else delete munged[key];
  }
  if (!text(old.nodeName)) {
    if ('nodeName' in old) munged.nodeName = old.nodeName;
    else delete munged.nodeName;
  }
  const grace = old.terminationGracePeriodSeconds;
  if (typeof grace === 'number' && grace < 0 && munged.terminationGracePeriodSeconds === 1) munged.terminationGracePeriodSeconds = grace;
  if (!sameJson(munged, old)) {
    const changed = differingPaths(old, munged, 'spec');
    errs.push(fieldErrors.forbidden('spec', `${podUpdatableFields}\nchanged: ${changed.join(', ')}`));
  }
  return errs;
}
