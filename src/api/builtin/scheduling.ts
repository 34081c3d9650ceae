// scheduling.k8s.io/v1 PriorityClass: defaults, validation, `kubectl get pc` rows, and the two system classes
// kube-apiserver creates at start (system-cluster-critical, system-node-critical).
import { fieldErrors, type FieldError } from '../errors.js';
import type { KubeObject } from '../meta.js';
import type { ResourceType } from '../resource-type.js';
import { builtinType } from './builtin-type.js';
import { workloadPatchMeta } from './pod-template.js';
import { text } from './json.js';
import { ageCell, ageColumn, column } from './printing.js';

export const HighestUserDefinablePriority = 1000000000;

export const systemPriorityClasses: readonly { name: string; value: number; description: string }[] = [
  { name: 'system-node-critical', value: 2000001000, description: 'Used for system critical pods that must not be moved from their current node.' },
  { name: 'system-cluster-critical', value: 2000000000, description: 'Used for system critical pods that must run in the cluster, but can be moved to another node if necessary.' },
];

export function validatePriorityClass(object: KubeObject, old?: KubeObject): FieldError[] {
  const errs: FieldError[] = [];
  const name = object.metadata.name ?? '';
  const value = typeof object.value === 'number' ? object.value : 0;
  const globalDefault = object.globalDefault === true;
  if (name.startsWith('system-')) {
    const known = systemPriorityClasses.find((c) => c.name === name);
    const why = !known ? `${name} is not a known system priority class` : known.value !== value ? `value of ${name} PriorityClass must be ${known.value}` : globalDefault ? `globalDefault of ${name} PriorityClass must be false` : '';
    if (why) errs.push(fieldErrors.forbidden('metadata.name', `priority class names with 'system-' prefix are reserved for system use only. error: ${why}`));
  } else if (value > HighestUserDefinablePriority) {
    errs.push(fieldErrors.forbidden('value', `maximum allowed value of a user defined priority is ${HighestUserDefinablePriority}`));
  }
  const policy = object.preemptionPolicy;
  if (policy !== undefined && policy !== null) {
    if (policy === '') errs.push(fieldErrors.required('preemptionPolicy'));
    else if (policy !== 'PreemptLowerPriority' && policy !== 'Never') errs.push(fieldErrors.notSupported('preemptionPolicy', policy, ['Never', 'PreemptLowerPriority']));
  }
  if (old) {
    if (old.value !== object.value) errs.push(fieldErrors.forbidden('value', 'may not be changed in an update.'));
    if (old.preemptionPolicy !== object.preemptionPolicy) errs.push(fieldErrors.invalid('preemptionPolicy', object.preemptionPolicy ?? null, 'field is immutable'));
  }
  return errs;
}

export function priorityClassType(): ResourceType {
  return builtinType({
    patchMeta: workloadPatchMeta([]),
    group: 'scheduling.k8s.io',
    version: 'v1',
    kind: 'PriorityClass',
    plural: 'priorityclasses',
    namespaced: false,
    shortNames: ['pc'],
    generationFrom: 'spec',
    columns: [
      column('Value', 'integer', 'value represents the integer value of this priority class. This is the actual priority that pods receive when they have the name of this class in their pod spec.'),
      column('Global-Default', 'boolean', 'globalDefault specifies whether this PriorityClass should be considered as the default priority for pods that do not have any priority class. Only one PriorityClass can be marked as `globalDefault`. However, if more than one PriorityClasses exists with their `globalDefault` field set to true, the smallest value of such global default PriorityClasses will be used as the default priority.'),
      ageColumn,
      column('PreemptionPolicy', 'string', 'preemptionPolicy is the Policy for preempting pods with lower priority. One of Never, PreemptLowerPriority. Defaults to PreemptLowerPriority if unset.'),
    ],
    cells: (o) => [typeof o.value === 'number' ? o.value : 0, o.globalDefault === true, ageCell, text(o.preemptionPolicy)],
    defaults: (o) => {
      if (!text(o.preemptionPolicy)) o.preemptionPolicy = 'PreemptLowerPriority';
    },
    validate: validatePriorityClass,
  });
}

/** The store operations the bootstrap needs (the api layer does not import the store). */
export interface PriorityClassSink {
  get(key: string, namespace: string, name: string): KubeObject | undefined;
  create(key: string, object: KubeObject, options: { generation?: boolean }): KubeObject;
}

/** Creates the system PriorityClasses when absent, as kube-apiserver's scheduling bootstrap does. */
export function ensureSystemPriorityClasses(store: PriorityClassSink): void {
  const key = 'scheduling.k8s.io/priorityclasses';
  for (const c of systemPriorityClasses) {
    if (store.get(key, '', c.name)) continue;
    store.create(key, { apiVersion: 'scheduling.k8s.io/v1', kind: 'PriorityClass', metadata: { name: c.name }, value: c.value, description: c.description, preemptionPolicy: 'PreemptLowerPriority' }, { generation: true });
  }
}
