// rbac.authorization.k8s.io/v1 Role, ClusterRole, RoleBinding, ClusterRoleBinding: defaults and validation as kube-apiserver's.
import { fieldErrors, type FieldError } from '../errors.js';
import type { KubeObject } from '../meta.js';
import type { ResourceType } from '../resource-type.js';
import { builtinType } from './builtin-type.js';
import { column } from './printing.js';

const group = 'rbac.authorization.k8s.io';

interface Rule {
  verbs?: unknown;
  apiGroups?: unknown;
  resources?: unknown;
  resourceNames?: unknown;
  nonResourceURLs?: unknown;
}

interface Ref {
  apiGroup?: string;
  kind?: string;
  name?: string;
}

interface SubjectLike {
  kind?: string;
  apiGroup?: string;
  name?: string;
  namespace?: string;
}

/** path.IsValidPathSegmentName: what RBAC object names must be (colons allowed: `system:basic-user`). */
export function checkPathSegmentName(name: string): string[] {
  if (name === '.' || name === '..') return [`may not be '${name}'`];
  const out: string[] = [];
  if (name.includes('/')) out.push(`may not contain '/'`);
  if (name.includes('%')) out.push(`may not contain '%'`);
  return out;
}

/** Go's %#v of a []string, as field.Invalid prints it: `[]string{"/x", "/y"}`. */
function invalidStrings(field: string, value: unknown, detail: string): FieldError {
  const items = Array.isArray(value) ? value.map((v) => JSON.stringify(String(v))).join(', ') : '';
  return { type: 'FieldValueInvalid', field, message: `Invalid value: []string{${items}}: ${detail}` };
}

function len(v: unknown): number {
  return Array.isArray(v) ? v.length : 0;
}

/** ValidatePolicyRule: verbs always; non-resource URLs only cluster-wide and alone; resource rules need groups and resources. */
export function validatePolicyRules(rules: unknown, namespaced: boolean): FieldError[] {
  const errs: FieldError[] = [];
  if (!Array.isArray(rules)) return errs;
  rules.forEach((raw, i) => {
    const rule = (raw ?? {}) as Rule;
    const path = `rules[${i}]`;
    if (len(rule.verbs) === 0) errs.push(fieldErrors.required(`${path}.verbs`, 'verbs must contain at least one value'));
    if (len(rule.nonResourceURLs) > 0) {
      if (namespaced) errs.push(invalidStrings(`${path}.nonResourceURLs`, rule.nonResourceURLs, 'namespaced rules cannot apply to non-resource URLs'));
      if (len(rule.apiGroups) > 0 || len(rule.resources) > 0 || len(rule.resourceNames) > 0) {
        errs.push(invalidStrings(`${path}.nonResourceURLs`, rule.nonResourceURLs, 'rules cannot apply to both regular resources and non-resource URLs'));
      }
      return;
    }
    if (len(rule.apiGroups) === 0) errs.push(fieldErrors.required(`${path}.apiGroups`, 'resource rules must supply at least one api group'));
    if (len(rule.resources) === 0) errs.push(fieldErrors.required(`${path}.resources`, 'resource rules must supply at least one resource'));
  });
  return errs;
}

function validateAggregation(role: KubeObject): FieldError[] {
  const rule = role.aggregationRule as { clusterRoleSelectors?: unknown } | undefined | null;
  if (rule === undefined || rule === null) return [];
  const errs: FieldError[] = [];
  const selectors = rule.clusterRoleSelectors;
  if (len(selectors) === 0) {
    errs.push(fieldErrors.required('aggregationRule.clusterRoleSelectors', 'at least one clusterRoleSelector required if aggregationRule is non-nil'));
    return errs;
  }
  (selectors as unknown[]).forEach((raw, i) => {
    const sel = (raw ?? {}) as { matchExpressions?: { key?: string; operator?: string; values?: unknown[] }[] };
    (sel.matchExpressions ?? []).forEach((e, j) => {
      const path = `aggregationRule.clusterRoleSelectors[${i}].matchExpressions[${j}]`;
      const op = e.operator ?? '';
      if (op === 'In' || op === 'NotIn') {
        if (len(e.values) === 0) errs.push(fieldErrors.required(`${path}.values`, 'must be specified when `operator` is \'In\' or \'NotIn\''));
      } else if (op === 'Exists' || op === 'DoesNotExist') {
        if (len(e.values) > 0) errs.push(fieldErrors.forbidden(`${path}.values`, 'may not be specified when `operator` is \'Exists\' or \'DoesNotExist\''));
      } else {
        errs.push(fieldErrors.invalid(`${path}.operator`, op, 'not a valid selector operator'));
      }
    });
  });
  return errs;
}

/** RoleRef.APIGroup and subjects' apiGroup defaults (rbac/v1 SetDefaults_*). */
function defaultBinding(binding: KubeObject): void {
  const ref = binding.roleRef as Ref | undefined;
  if (ref && typeof ref === 'object' && (ref.apiGroup === undefined || ref.apiGroup === '')) ref.apiGroup = group;
  const subjects = binding.subjects;
  if (!Array.isArray(subjects)) return;
  for (const s of subjects as SubjectLike[]) {
    if (!s || typeof s !== 'object') continue;
    if ((s.apiGroup === undefined || s.apiGroup === '') && (s.kind === 'User' || s.kind === 'Group')) s.apiGroup = group;
    if (s.apiGroup === undefined && s.kind === 'ServiceAccount') s.apiGroup = '';
  }
}

function validateBinding(binding: KubeObject, old: KubeObject | undefined, namespaced: boolean): FieldError[] {
  const errs: FieldError[] = [];
  const ref = (binding.roleRef ?? {}) as Ref;
  if (ref.apiGroup !== group) errs.push(fieldErrors.notSupported('roleRef.apiGroup', ref.apiGroup ?? '', [group]));
  const kinds = namespaced ? ['Role', 'ClusterRole'] : ['ClusterRole'];
  if (!kinds.includes(ref.kind ?? '')) errs.push(fieldErrors.notSupported('roleRef.kind', ref.kind ?? '', kinds));
  if (!ref.name) errs.push(fieldErrors.required('roleRef.name'));
  else for (const m of checkPathSegmentName(ref.name)) errs.push(fieldErrors.invalid('roleRef.name', ref.name, m));
  const subjects = Array.isArray(binding.subjects) ? (binding.subjects as SubjectLike[]) : [];
  subjects.forEach((s, i) => {
    const path = `subjects[${i}]`;
    const subject = s ?? {};
    if (!subject.name) errs.push(fieldErrors.required(`${path}.name`));
    switch (subject.kind ?? '') {
      case 'ServiceAccount':
        if (subject.name) for (const m of serviceAccountName(subject.name)) errs.push(fieldErrors.invalid(`${path}.name`, subject.name, m));
        if (subject.apiGroup) errs.push(fieldErrors.notSupported(`${path}.apiGroup`, subject.apiGroup, ['']));
        if (!namespaced && !subject.namespace) errs.push(fieldErrors.required(`${path}.namespace`));
        break;
      case 'User':
      case 'Group':
        if (subject.apiGroup !== group) errs.push(fieldErrors.notSupported(`${path}.apiGroup`, subject.apiGroup ?? '', [group]));
        break;
      default:
        errs.push(fieldErrors.notSupported(`${path}.kind`, subject.kind ?? '', ['ServiceAccount', 'User', 'Group']));
    }
  });
  if (old) {
    const before = (old.roleRef ?? {}) as Ref;
    if (before.apiGroup !== ref.apiGroup || before.kind !== ref.kind || before.name !== ref.name) {
      // kube prints the Go value of the new roleRef.
      const value = `rbac.RoleRef{APIGroup:${JSON.stringify(ref.apiGroup ?? '')}, Kind:${JSON.stringify(ref.kind ?? '')}, Name:${JSON.stringify(ref.name ?? '')}}`;
      errs.push({ type: 'FieldValueInvalid', field: 'roleRef', message: `Invalid value: ${value}: cannot change roleRef` });
    }
  }
  return errs;
}

/** ValidateServiceAccountName: a DNS subdomain. */
function serviceAccountName(name: string): string[] {
  const out: string[] = [];
  if (name.length > 253) out.push('must be no more than 253 characters');
  if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/.test(name)) {
    out.push("a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')");
  }
  return out;
}

const createdAt = column('Created At', 'string', 'CreationTimestamp is a timestamp representing the server time when this object was created.');

function roleCell(binding: KubeObject): string {
  const ref = (binding.roleRef ?? {}) as Ref;
  return `${ref.kind ?? ''}/${ref.name ?? ''}`;
}

function subjectCells(binding: KubeObject): [string, string, string] {
  const subjects = Array.isArray(binding.subjects) ? (binding.subjects as SubjectLike[]) : [];
  const users = subjects.filter((s) => s.kind === 'User').map((s) => s.name ?? '');
  const groups = subjects.filter((s) => s.kind === 'Group').map((s) => s.name ?? '');
  const sas = subjects.filter((s) => s.kind === 'ServiceAccount').map((s) => `${s.namespace ?? ''}/${s.name ?? ''}`);
  return [users.join(', '), groups.join(', '), sas.join(', ')];
}

const bindingColumns = [
  column('Role', 'string', 'RoleRef is the reference to the role the binding refers to.'),
  column('Age', 'string', 'CreationTimestamp is a timestamp representing the server time when this object was created.'),
  column('Users', 'string', 'Users in the binding', 1),
  column('Groups', 'string', 'Groups in the binding', 1),
  column('ServiceAccounts', 'string', 'ServiceAccounts in the binding', 1),
];

export function roleType(): ResourceType {
  return builtinType({
    group,
    version: 'v1',
    kind: 'Role',
    plural: 'roles',
    columns: [createdAt],
    cells: (o) => [o.metadata.creationTimestamp ?? ''],
    validateName: checkPathSegmentName,
    validate: (o) => validatePolicyRules(o.rules, true),
    verbs: ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'],
  });
}

export function clusterRoleType(): ResourceType {
  return builtinType({
    group,
    version: 'v1',
    kind: 'ClusterRole',
    plural: 'clusterroles',
    namespaced: false,
    columns: [createdAt],
    cells: (o) => [o.metadata.creationTimestamp ?? ''],
    validateName: checkPathSegmentName,
    validate: (o) => [...validatePolicyRules(o.rules, false), ...validateAggregation(o)],
  });
}

export function roleBindingType(): ResourceType {
  return builtinType({
    group,
    version: 'v1',
    kind: 'RoleBinding',
    plural: 'rolebindings',
    columns: bindingColumns,
    cells: (o) => [roleCell(o), undefined, ...subjectCells(o)],
    validateName: checkPathSegmentName,
    defaults: defaultBinding,
    validate: (o, old) => validateBinding(o, old, true),
  });
}

export function clusterRoleBindingType(): ResourceType {
  return builtinType({
    group,
    version: 'v1',
    kind: 'ClusterRoleBinding',
    plural: 'clusterrolebindings',
    namespaced: false,
    columns: bindingColumns,
    cells: (o) => [roleCell(o), undefined, ...subjectCells(o)],
    validateName: checkPathSegmentName,
    defaults: defaultBinding,
    validate: (o, old) => validateBinding(o, old, false),
  });
}

export function rbacTypes(): ResourceType[] {
  return [roleType(), clusterRoleType(), roleBindingType(), clusterRoleBindingType()];
}
