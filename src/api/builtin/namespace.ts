// core/v1 Namespace: DNS-label names, the `kubernetes` finalizer, phase Active and its metadata.name label.
import { fieldErrors, type FieldError } from '../errors.js';
import type { KubeObject } from '../meta.js';
import { checkDns1123Label, checkQualifiedName } from '../names.js';
import type { ResourceType } from '../resource-type.js';
import { builtinType } from './builtin-type.js';
import { isRecord, list, record, text } from './json.js';
import { column } from './printing.js';

/** Finalizer names Kubernetes accepts without a domain prefix. */
const standardFinalizers = new Set(['kubernetes', 'orphan', 'foregroundDeletion']);

export function defaultNamespace(ns: KubeObject): void {
  // kube-apiserver labels every namespace with its own name, so selectors can pick namespaces by name.
  ns.metadata.labels = { ...ns.metadata.labels, 'kubernetes.io/metadata.name': ns.metadata.name ?? '' };
  if (!isRecord(ns.spec)) ns.spec = {};
  const spec = ns.spec as Record<string, unknown>;
  spec.finalizers ??= ['kubernetes'];
  if (!isRecord(ns.status)) ns.status = {};
  const status = ns.status as Record<string, unknown>;
  if (!text(status.phase)) status.phase = 'Active';
}

export function validateNamespace(ns: KubeObject): FieldError[] {
  const errs: FieldError[] = [];
  const name = ns.metadata.name ?? '';
  if (name) for (const m of checkDns1123Label(name)) errs.push(fieldErrors.invalid('metadata.name', name, m));
  for (const item of list(record(ns.spec).finalizers)) {
    const finalizer = text(item);
    for (const m of checkQualifiedName(finalizer)) errs.push(fieldErrors.invalid('spec.finalizers', finalizer, m));
    if (!finalizer.includes('/') && !standardFinalizers.has(finalizer)) {
      errs.push(fieldErrors.invalid('spec.finalizers', finalizer, 'name is neither a standard finalizer name nor is it fully qualified'));
    }
  }
  return errs;
}

export function namespaceType(): ResourceType {
  return builtinType({
    group: '',
    version: 'v1',
    kind: 'Namespace',
    plural: 'namespaces',
    namespaced: false,
    shortNames: ['ns'],
    statusSubresource: true,
    columns: [column('Status', 'string', 'The status of the namespace')],
    cells: (ns) => [text(record(ns.status).phase)],
    defaults: defaultNamespace,
    validate: validateNamespace,
    selectableFields: { 'status.phase': (ns) => text(record(ns.status).phase) },
    verbs: ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'],
  });
}
