// Pure: a job's defaults (training-operator's defaulting; admission stores them) and its semantic checks, every bad field at once.
import { fieldErrors, type FieldError } from '../../api/errors.js';
import { checkDns1035Label } from '../../api/names.js';
import type { ContainerSpec } from '../../api/core-v1.js';
import type { Framework } from './framework.js';
import type { ReplicaSpec, TrainingJob } from './types.js';

/** The replica map of a job, under its kind's field; {} when missing or not an object. */
export function replicaSpecs(fw: Framework, job: TrainingJob): Record<string, ReplicaSpec> {
  const value = job.spec?.[fw.replicaSpecsField];
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, ReplicaSpec>) : {};
}

/**
 * A defaulted copy: replica keys in CamelCase (`worker` → `Worker`), replicas 1, the kind's restart policy and
 * clean-pod policy, the framework port on the framework container, and the kind's own defaults.
 */
export function withDefaults(fw: Framework, job: TrainingJob): TrainingJob {
  const out = structuredClone(job);
  out.spec ??= {};
  const specs = replicaSpecs(fw, out);
  const normalized: Record<string, ReplicaSpec> = {};
  for (const [key, spec] of Object.entries(specs)) {
    const canonical = fw.replicaTypes.find((t) => t.toLowerCase() === key.toLowerCase()) ?? key;
    normalized[canonical] = spec;
  }
  for (const spec of Object.values(normalized)) {
    if (typeof spec !== 'object' || spec === null) continue;
    spec.replicas ??= 1;
    spec.restartPolicy ??= fw.defaultRestartPolicy;
    const containers = spec.template?.spec?.containers ?? [];
    const main = containers.find((c) => c.name === fw.container);
    if (main) {
      const ports = (main.ports ??= []) as { name?: string; containerPort: number }[];
      if (!ports.some((p) => p.name === fw.portName)) ports.push({ name: fw.portName, containerPort: fw.defaultPort });
    }
  }
  out.spec[fw.replicaSpecsField] = normalized;
  out.spec.runPolicy ??= {};
  out.spec.runPolicy.cleanPodPolicy ??= fw.defaultCleanPodPolicy;
  // The CRD's own default (+kubebuilder:default=false), which kube-apiserver stores.
  out.spec.runPolicy.suspend ??= false;
  fw.setDefaults?.(out);
  return out;
}

/** Every problem with a (defaulted) job, with paths as `kubectl` shows them. */
export function validateJob(fw: Framework, job: TrainingJob): FieldError[] {
  const errs: FieldError[] = [];
  const name = job.metadata.name ?? '';
  for (const m of checkDns1035Label(name)) errs.push(fieldErrors.invalid('metadata.name', name, m));
  const field = `spec.${fw.replicaSpecsField}`;
  const specs = replicaSpecs(fw, job);
  if (Object.keys(specs).length === 0) {
    errs.push(fieldErrors.required(field, `a ${fw.kind} needs at least one replica type (${fw.replicaTypes.join(', ')})`));
    return errs;
  }
  for (const [type, spec] of Object.entries(specs)) {
    const at = `${field}[${type}]`;
    if (!fw.replicaTypes.includes(type)) {
      errs.push(fieldErrors.notSupported(at, type, fw.replicaTypes));
      continue;
    }
    if (typeof spec !== 'object' || spec === null) {
      errs.push(fieldErrors.required(at));
      continue;
    }
    if (spec.replicas !== undefined && (!Number.isInteger(spec.replicas) || spec.replicas < 0)) errs.push(fieldErrors.invalid(`${at}.replicas`, spec.replicas, 'must be a whole number >= 0'));
    if (fw.singleton.includes(type) && spec.replicas !== undefined && spec.replicas !== 1) {
      errs.push(fieldErrors.invalid(`${at}.replicas`, spec.replicas, `a ${fw.kind} has exactly one ${type} replica`));
    }
    const containers: ContainerSpec[] = spec.template?.spec?.containers ?? [];
    if (containers.length === 0) {
      errs.push(fieldErrors.required(`${at}.template.spec.containers`, 'at least one container is needed'));
      continue;
    }
    if (!containers.some((c) => c.name === fw.container)) {
      errs.push(fieldErrors.required(`${at}.template.spec.containers`, `there must be a container named ${fw.container} (the one the operator configures)`));
    }
    containers.forEach((c, i) => {
      if (!c.image) errs.push(fieldErrors.required(`${at}.template.spec.containers[${i}].image`));
    });
  }
  for (const type of fw.required) if (!specs[type]) errs.push(fieldErrors.required(`${field}[${type}]`, `a ${fw.kind} needs a ${type} replica`));
  const manager = job.spec?.runPolicy?.managedBy;
  if (manager !== undefined && !ExternalManagers.includes(manager)) {
    errs.push(fieldErrors.notSupported('spec.runPolicy.managedBy', manager, [...ExternalManagers]));
  }
  errs.push(...(fw.validate?.(job, specs) ?? []));
  return errs;
}

/** runPolicy.managedBy values the training operator accepts: itself, or Kueue's MultiKueue (which then runs the job). */
export const ExternalManagers: readonly string[] = ['kueue.x-k8s.io/multikueue', 'kubeflow.org/training-operator'];

/** Whether another controller runs the job: the operator then creates no Pods and writes no status (training-operator's ManagedByExternalController). */
export function isManagedElsewhere(job: TrainingJob): boolean {
  const manager = job.spec?.runPolicy?.managedBy;
  return manager !== undefined && manager !== 'kubeflow.org/training-operator';
}

/** runPolicy.managedBy cannot change once the job exists (apimachinery's ValidateImmutableField). */
export function validateRunPolicyUpdate(job: TrainingJob, old: TrainingJob | undefined): FieldError[] {
  if (!old) return [];
  const now = job.spec?.runPolicy?.managedBy;
  const before = old.spec?.runPolicy?.managedBy;
  return now === before ? [] : [fieldErrors.invalid('spec.runPolicy.managedBy', now ?? null, 'field is immutable')];
}
