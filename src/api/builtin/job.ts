// batch/v1 Job: defaults (the selector and template labels from the Job's uid), checks, and `kubectl get jobs` rows.
import { fieldErrors, type FieldError } from '../errors.js';
import type { KubeObject } from '../meta.js';
import type { ResourceType } from '../resource-type.js';
import { builtinType } from './builtin-type.js';
import { isRecord, list, num, record, text, type JsonObject } from './json.js';
import { validatePod } from './pod-validation.js';
import { ageCell, ageColumn, column, humanDuration } from './printing.js';

export const JobLabels = {
  controllerUid: 'batch.kubernetes.io/controller-uid',
  jobName: 'batch.kubernetes.io/job-name',
  legacyControllerUid: 'controller-uid',
  legacyJobName: 'job-name',
} as const;

export const CompletionIndexAnnotation = 'batch.kubernetes.io/job-completion-index';

function spec(job: KubeObject): JsonObject {
  if (!isRecord(job.spec)) job.spec = {};
  return job.spec as JsonObject;
}

/** kube-apiserver's Job defaults, and (without manualSelector) the selector and template labels from the uid. */
export function defaultJob(job: KubeObject): void {
  const s = spec(job);
  if (s.completions === undefined && s.parallelism === undefined) {
    s.completions = 1;
    s.parallelism = 1;
  }
  s.parallelism ??= 1;
  s.backoffLimit ??= 6;
  s.completionMode ??= 'NonIndexed';
  s.suspend ??= false;
  s.podReplacementPolicy ??= 'TerminatingOrFailed';
  const template = isRecord(s.template) ? s.template : (s.template = {});
  const meta = isRecord(template.metadata) ? template.metadata : (template.metadata = {});
  if (s.manualSelector !== true && job.metadata.uid && !isRecord(s.selector)) {
    const uid = job.metadata.uid;
    const name = job.metadata.name ?? '';
    meta.labels = { ...record(meta.labels), [JobLabels.controllerUid]: uid, [JobLabels.jobName]: name, [JobLabels.legacyControllerUid]: uid, [JobLabels.legacyJobName]: name };
    s.selector = { matchLabels: { [JobLabels.controllerUid]: uid } };
  }
  const podSpec = isRecord(template.spec) ? template.spec : (template.spec = {});
  podSpec.dnsPolicy ??= 'ClusterFirst';
  podSpec.schedulerName ??= 'default-scheduler';
  podSpec.terminationGracePeriodSeconds ??= 30;
}

export function validateJob(job: KubeObject, old?: KubeObject): FieldError[] {
  const errs: FieldError[] = [];
  const s = record(job.spec);
  for (const field of ['parallelism', 'completions', 'backoffLimit', 'activeDeadlineSeconds', 'ttlSecondsAfterFinished'] as const) {
    const v = s[field];
    if (v !== undefined && (!Number.isInteger(v) || (v as number) < 0)) errs.push(fieldErrors.invalid(`spec.${field}`, v, 'must be greater than or equal to 0'));
  }
  if (s.activeDeadlineSeconds === 0) errs.push(fieldErrors.invalid('spec.activeDeadlineSeconds', 0, 'must be greater than 0'));
  const mode = text(s.completionMode);
  if (mode && mode !== 'NonIndexed' && mode !== 'Indexed') errs.push(fieldErrors.notSupported('spec.completionMode', mode, ['NonIndexed', 'Indexed']));
  if (mode === 'Indexed' && s.completions === undefined) errs.push(fieldErrors.required('spec.completions', 'when completion mode is Indexed'));
  const template = record(s.template);
  const podSpec = record(template.spec);
  const restart = text(podSpec.restartPolicy);
  if (restart !== 'Never' && restart !== 'OnFailure') errs.push(fieldErrors.notSupported('spec.template.spec.restartPolicy', restart, ['OnFailure', 'Never']));
  const selector = record(record(s.selector).matchLabels);
  const labels = record(record(template.metadata).labels);
  if (Object.keys(selector).length === 0) errs.push(fieldErrors.required('spec.selector'));
  else if (!Object.entries(selector).every(([k, v]) => labels[k] === v)) errs.push(fieldErrors.invalid('spec.template.metadata.labels', labels, '`selector` does not match template `labels`'));
  const pod: KubeObject = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'template', namespace: job.metadata.namespace ?? 'default', ...record(template.metadata) }, spec: podSpec };
  for (const e of validatePod(pod)) if (e.field.startsWith('spec.')) errs.push({ ...e, field: `spec.template.${e.field}` });
  if (old) {
    const before = record(old.spec);
    if (JSON.stringify(before.selector) !== JSON.stringify(s.selector)) errs.push(fieldErrors.invalid('spec.selector', s.selector, 'field is immutable'));
    if (before.completionMode !== s.completionMode) errs.push(fieldErrors.invalid('spec.completionMode', s.completionMode, 'field is immutable'));
    if (before.suspend !== true && JSON.stringify(before.template) !== JSON.stringify(s.template)) errs.push(fieldErrors.invalid('spec.template', '', 'field is immutable'));
  }
  return errs;
}

/** STATUS, COMPLETIONS (`1/3`), DURATION as kubectl 1.32 prints them. */
export function jobCells(job: KubeObject, now = new Date()): unknown[] {
  const s = record(job.spec);
  const status = record(job.status);
  const conditions = list(status.conditions).map(record);
  const isTrue = (type: string): boolean => conditions.some((c) => c.type === type && c.status === 'True');
  const state = isTrue('Complete') ? 'Complete' : isTrue('Failed') ? 'Failed' : isTrue('Suspended') ? 'Suspended' : isTrue('FailureTarget') ? 'FailureTarget' : 'Running';
  const succeeded = num(status.succeeded) ?? 0;
  const completions = num(s.completions);
  const parallelism = num(s.parallelism) ?? 1;
  const count = completions !== undefined ? `${succeeded}/${completions}` : parallelism > 1 ? `${succeeded}/1 of ${parallelism}` : `${succeeded}/1`;
  const start = Date.parse(text(status.startTime));
  const end = status.completionTime ? Date.parse(text(status.completionTime)) : now.getTime();
  const duration = Number.isNaN(start) ? '' : humanDuration(end - start);
  return [state, count, duration];
}

export function jobType(): ResourceType {
  return builtinType({
    group: 'batch',
    version: 'v1',
    kind: 'Job',
    plural: 'jobs',
    categories: ['all'],
    statusSubresource: true,
    generationFrom: 'spec',
    columns: [
      column('Status', 'string', 'Status of the job.'),
      column('Completions', 'string', 'The completion status of the job'),
      column('Duration', 'string', 'Time required to complete the job.'),
      ageColumn,
      column('Containers', 'string', 'Names of each container in the template.', 1),
      column('Images', 'string', 'Images referenced by each container in the template.', 1),
      column('Selector', 'string', 'Selector used for selecting pods for the job.', 1),
    ],
    cells: (job) => {
      const containers = list(record(record(record(job.spec).template).spec).containers).map(record);
      const selector = Object.entries(record(record(record(job.spec).selector).matchLabels)).map(([k, v]) => `${k}=${String(v)}`).join(',');
      return [...jobCells(job), ageCell, containers.map((c) => text(c.name)).join(','), containers.map((c) => text(c.image)).join(','), selector];
    },
    defaults: defaultJob,
    validate: validateJob,
  });
}
