// Pod templates inside workload kinds (Deployment, ReplicaSet, StatefulSet, DaemonSet, CronJob, ReplicationController,
// PodTemplate): kube-apiserver's SetDefaults_PodSpec and friends, ValidatePodTemplateSpec, and the core/v1 PodTemplate kind.
import { fieldErrors, type FieldError } from '../errors.js';
import type { KubeObject } from '../meta.js';
import { validateLabelsAndAnnotations } from '../names.js';
import { objectMetaPatchMeta, podPatchMeta } from '../patch/index.js';
import type { PatchMeta, ResourceType } from '../resource-type.js';
import { builtinType } from './builtin-type.js';
import { isRecord, list, record, text, type JsonObject } from './json.js';
import { defaultPullPolicy } from './pod.js';
import { validatePod, volumeSources } from './pod-validation.js';
import { column, formatLabels } from './printing.js';

function defaultProbe(value: unknown): void {
  if (!isRecord(value)) return;
  value.timeoutSeconds ??= 1;
  value.periodSeconds ??= 10;
  value.successThreshold ??= 1;
  value.failureThreshold ??= 3;
  if (isRecord(value.httpGet)) {
    if (!text(value.httpGet.path)) value.httpGet.path = '/';
    if (!text(value.httpGet.scheme)) value.httpGet.scheme = 'HTTP';
  }
  if (isRecord(value.grpc)) value.grpc.service ??= '';
}

function defaultFieldRef(value: unknown): void {
  if (isRecord(value) && !text(value.apiVersion)) value.apiVersion = 'v1';
}

function defaultTemplateContainer(value: unknown): void {
  if (!isRecord(value)) return;
  const c = value;
  if (!text(c.imagePullPolicy)) c.imagePullPolicy = defaultPullPolicy(text(c.image));
  if (!text(c.terminationMessagePath)) c.terminationMessagePath = '/dev/termination-log';
  if (!text(c.terminationMessagePolicy)) c.terminationMessagePolicy = 'File';
  for (const port of list(c.ports)) if (isRecord(port) && !text(port.protocol)) port.protocol = 'TCP';
  // ResourceRequirements is a struct, not a pointer: it always serializes, as `{}` when empty.
  if (!isRecord(c.resources)) c.resources = {};
  for (const probe of ['livenessProbe', 'readinessProbe', 'startupProbe']) defaultProbe(c[probe]);
  for (const env of list(c.env)) defaultFieldRef(record(record(env).valueFrom).fieldRef);
  for (const hook of ['postStart', 'preStop']) {
    const handler = record(record(c.lifecycle)[hook]);
    if (isRecord(handler.httpGet)) {
      if (!text(handler.httpGet.path)) handler.httpGet.path = '/';
      if (!text(handler.httpGet.scheme)) handler.httpGet.scheme = 'HTTP';
    }
  }
}

function defaultVolume(value: unknown): void {
  if (!isRecord(value)) return;
  const v = value;
  if (!volumeSources.some((s) => v[s] !== undefined && v[s] !== null)) v.emptyDir = {};
  for (const source of ['secret', 'configMap', 'downwardAPI', 'projected']) if (isRecord(v[source])) v[source].defaultMode ??= 420;
  if (isRecord(v.hostPath)) v.hostPath.type ??= '';
  for (const item of list(record(v.downwardAPI).items)) defaultFieldRef(record(item).fieldRef);
  for (const source of list(record(v.projected).sources)) for (const item of list(record(record(source).downwardAPI).items)) defaultFieldRef(record(item).fieldRef);
  if (isRecord(v.iscsi)) v.iscsi.iscsiInterface ??= 'default';
  if (isRecord(v.azureDisk)) {
    v.azureDisk.cachingMode ??= 'ReadWrite';
    v.azureDisk.fsType ??= 'ext4';
    v.azureDisk.readOnly ??= false;
    v.azureDisk.kind ??= 'Shared';
  }
}

/**
 * Fills a PodTemplateSpec's defaults in place as kube-apiserver does for templates: SetDefaults_PodSpec (dnsPolicy,
 * restartPolicy, securityContext, terminationGracePeriodSeconds, schedulerName), container, port, probe and volume
 * defaults — but not the Pod-only ones (enableServiceLinks, requests from limits) nor admission (serviceAccountName,
 * priority, tolerations), which apply to the Pods a controller creates from it.
 */
export function defaultPodTemplate(value: unknown): void {
  if (!isRecord(value)) return;
  // An embedded ObjectMeta is a struct: kube-apiserver always prints it (as `{creationTimestamp: null}`).
  if (!isRecord(value.metadata)) value.metadata = {};
  const spec = isRecord(value.spec) ? value.spec : (value.spec = {});
  if (!text(spec.dnsPolicy)) spec.dnsPolicy = 'ClusterFirst';
  if (!text(spec.restartPolicy)) spec.restartPolicy = 'Always';
  if (!isRecord(spec.securityContext)) spec.securityContext = {};
  spec.terminationGracePeriodSeconds ??= 30;
  if (!text(spec.schedulerName)) spec.schedulerName = 'default-scheduler';
  for (const c of list(spec.initContainers)) defaultTemplateContainer(c);
  for (const c of list(spec.containers)) defaultTemplateContainer(c);
  for (const c of list(spec.ephemeralContainers)) defaultTemplateContainer(c);
  for (const v of list(spec.volumes)) defaultVolume(v);
}

/** A template's object under `path` (creating it when absent), for defaulting. */
export function templateAt(owner: JsonObject, key: string): JsonObject {
  if (!isRecord(owner[key])) owner[key] = {};
  return owner[key] as JsonObject;
}

/**
 * ValidatePodTemplateSpec: the template's labels and annotations (reported, as kube-apiserver does, at
 * `<path>.labels`) and its pod spec with every path under `<path>.spec`.
 */
export function validatePodTemplate(template: unknown, path: string, namespace: string | undefined): FieldError[] {
  const errs: FieldError[] = [];
  const t = record(template);
  const meta = record(t.metadata);
  errs.push(...validateLabelsAndAnnotations(meta, path));
  const pod: KubeObject = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'template', namespace: namespace ?? 'default' }, spec: record(t.spec) };
  for (const e of validatePod(pod)) if (e.field === 'spec' || e.field.startsWith('spec.') || e.field.startsWith('spec[')) errs.push({ ...e, field: `${path}.${e.field}` });
  return errs;
}

/** The pod template of a replicated workload: restartPolicy Always and no activeDeadlineSeconds. */
export function validateReplicatedTemplate(template: unknown, path: string, namespace: string | undefined, kindWord: string, withPodSpec = true): FieldError[] {
  const errs = withPodSpec ? validatePodTemplate(template, path, namespace) : validateLabelsAndAnnotations(record(record(template).metadata), path);
  const spec = record(record(template).spec);
  if (spec.restartPolicy !== 'Always') errs.push(fieldErrors.notSupported(`${path}.spec.restartPolicy`, text(spec.restartPolicy), ['Always']));
  if (spec.activeDeadlineSeconds !== undefined && spec.activeDeadlineSeconds !== null) {
    errs.push(fieldErrors.forbidden(`${path}.spec.activeDeadlineSeconds`, `activeDeadlineSeconds in ${kindWord} is not Supported`));
  }
  return errs;
}

/** Container names and images of a template, comma-joined, for the CONTAINERS and IMAGES columns. */
export function containerCells(template: unknown): [string, string] {
  const containers = list(record(record(template).spec).containers).map(record);
  return [containers.map((c) => text(c.name)).join(','), containers.map((c) => text(c.image)).join(',')];
}

export const containersColumn = column('Containers', 'string', 'Names of each container in the template.', 1);
export const imagesColumn = column('Images', 'string', 'Images referenced by each container in the template.', 1);

/** Strategic-merge metadata of a PodTemplateSpec: containers merge by name, volumes by name, and so on (as in Pods). */
export const podTemplatePatchMeta: PatchMeta = { fields: { metadata: objectMetaPatchMeta, spec: podPatchMeta.fields?.spec ?? {} } };

const conditionsByType: PatchMeta = { mergeKey: 'type', strategy: 'merge' };

/**
 * Strategic-merge metadata of a workload kind: its pod template at `templatePath` (dotted, under the object), the
 * status conditions merged by type, and any extra fields under spec (a Deployment's `strategy` retains keys).
 */
export function workloadPatchMeta(templatePath: string[], specFields: Record<string, PatchMeta> = {}): PatchMeta {
  const fields: Record<string, PatchMeta> = { metadata: objectMetaPatchMeta, status: { fields: { conditions: conditionsByType } } };
  if (Object.keys(specFields).length > 0) fields.spec = { fields: { ...specFields } };
  let at = fields;
  templatePath.forEach((key, i) => {
    if (i === templatePath.length - 1) {
      at[key] = podTemplatePatchMeta;
      return;
    }
    const next: PatchMeta = at[key] ?? { fields: {} };
    next.fields ??= {};
    at[key] = next;
    at = next.fields;
  });
  return { fields };
}

/** core/v1 PodTemplate. */
export function podTemplateType(): ResourceType {
  const type = builtinType({
    group: '',
    version: 'v1',
    kind: 'PodTemplate',
    plural: 'podtemplates',
    generationFrom: 'all-but-metadata-and-status',
    columns: [
      column('Containers', 'string', 'Names of each container in the template.'),
      column('Images', 'string', 'Images referenced by each container in the template.'),
      column('Pod Labels', 'string', 'The labels for the pod template.'),
    ],
    cells: (o) => [...containerCells(o.template), formatLabels(record(record(record(o.template).metadata).labels))],
    defaults: (o) => defaultPodTemplate(templateAt(o, 'template')),
    validate: (o) => validatePodTemplate(o.template, 'template', o.metadata.namespace),
  });
  type.patchMeta = workloadPatchMeta(['template']);
  return type;
}
