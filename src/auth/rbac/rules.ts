// Kubernetes RBAC's rule semantics (pkg/apis/rbac/v1/evaluation_helpers.go): how one PolicyRule and one Subject match a request.
import type { KubeObject } from '../../api/meta.js';

export const RbacGroup = 'rbac.authorization.k8s.io';

export interface PolicyRule {
  verbs: string[];
  apiGroups?: string[];
  resources?: string[];
  resourceNames?: string[];
  nonResourceURLs?: string[];
}

export interface Subject {
  /** User, Group or ServiceAccount (anything else never matches). */
  kind: string;
  apiGroup?: string;
  name: string;
  namespace?: string;
}

export interface RoleRef {
  apiGroup: string;
  /** Role or ClusterRole. */
  kind: string;
  name: string;
}

export interface LabelSelectorRequirement {
  key: string;
  /** In, NotIn, Exists, DoesNotExist. */
  operator: string;
  values?: string[];
}

export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: LabelSelectorRequirement[];
}

export interface RoleObject extends KubeObject {
  rules?: PolicyRule[] | null;
  aggregationRule?: { clusterRoleSelectors?: LabelSelector[] };
}

export interface BindingObject extends KubeObject {
  subjects?: Subject[] | null;
  roleRef: RoleRef;
}

/** What a request asks, in the terms RBAC decides on (kube's authorizer.Attributes). */
export interface RequestAttributes {
  verb: string;
  /** Set for a non-resource request (`/metrics`, `/healthz`): group, resource and the rest are then ignored. */
  path?: string;
  group?: string;
  resource?: string;
  subresource?: string;
  namespace?: string;
  name?: string;
}

export function verbMatches(rule: PolicyRule, verb: string): boolean {
  for (const v of rule.verbs) if (v === '*' || v === verb) return true;
  return false;
}

export function apiGroupMatches(rule: PolicyRule, group: string): boolean {
  for (const g of rule.apiGroups ?? []) if (g === '*' || g === group) return true;
  return false;
}

/** `*`, the resource, `resource/subresource`, or `*` + `/subresource` (kube: `pods/*` is no wildcard). */
export function resourceMatches(rule: PolicyRule, resource: string, subresource: string | undefined): boolean {
  const combined = subresource ? `${resource}/${subresource}` : resource;
  for (const r of rule.resources ?? []) {
    if (r === '*' || r === combined) return true;
    if (subresource && r.length === subresource.length + 2 && r.startsWith('*/') && r.endsWith(subresource)) return true;
  }
  return false;
}

/** An empty list means every name; otherwise the request must name one of them. */
export function resourceNameMatches(rule: PolicyRule, name: string | undefined): boolean {
  const names = rule.resourceNames ?? [];
  if (names.length === 0) return true;
  return name !== undefined && names.includes(name);
}

/** `*`, the exact path, or a prefix ending in `*`. */
export function nonResourceURLMatches(rule: PolicyRule, path: string): boolean {
  for (const u of rule.nonResourceURLs ?? []) {
    if (u === '*' || u === path) return true;
    if (u.endsWith('*') && path.startsWith(u.slice(0, -1))) return true;
  }
  return false;
}

export function ruleAllows(rule: PolicyRule, request: RequestAttributes): boolean {
  if (request.path !== undefined) return verbMatches(rule, request.verb) && nonResourceURLMatches(rule, request.path);
  return (
    verbMatches(rule, request.verb) &&
    apiGroupMatches(rule, request.group ?? '') &&
    resourceMatches(rule, request.resource ?? '', request.subresource || undefined) &&
    resourceNameMatches(rule, request.name || undefined)
  );
}

/** The index key of a subject: `User:alice`, `Group:dev`, `ServiceAccount:ns:name` (namespace defaulted from a RoleBinding). */
export function subjectKey(subject: Subject, bindingNamespace: string | undefined): string | undefined {
  switch (subject.kind) {
    case 'User':
      return `User:${subject.name}`;
    case 'Group':
      return `Group:${subject.name}`;
    case 'ServiceAccount': {
      const ns = subject.namespace || bindingNamespace;
      return ns ? `ServiceAccount:${ns}:${subject.name}` : undefined;
    }
    default:
      return undefined;
  }
}

const serviceAccountUser = /^system:serviceaccount:([^:]+):([^:]+)$/;

/** The keys a user is found under: their name, each group, and their ServiceAccount when they are one. */
export function userKeys(user: { name: string; groups: readonly string[] }): string[] {
  const keys = [`User:${user.name}`];
  for (const g of user.groups) keys.push(`Group:${g}`);
  const sa = serviceAccountUser.exec(user.name);
  if (sa) keys.push(`ServiceAccount:${sa[1]}:${sa[2]}`);
  return keys;
}

/** Does the subject name this user (kube's appliesToUser)? */
export function subjectMatches(subject: Subject, user: { name: string; groups: readonly string[] }, bindingNamespace: string | undefined): boolean {
  const key = subjectKey(subject, bindingNamespace);
  return key !== undefined && userKeys(user).includes(key);
}

/** The subject as kube prints it in reasons: `User "alice"`, `Group "dev"`, `ServiceAccount "ns/name"`. */
export function describeSubject(subject: Subject, bindingNamespace: string | undefined): string {
  if (subject.kind === 'ServiceAccount') return `ServiceAccount "${subject.name}/${subject.namespace || bindingNamespace || ''}"`;
  return `${subject.kind} "${subject.name}"`;
}

/** Label selector matching (metav1.LabelSelector), for aggregation rules. */
export function selectorMatches(selector: LabelSelector, labels: Record<string, string> | undefined): boolean {
  const l = labels ?? {};
  for (const [k, v] of Object.entries(selector.matchLabels ?? {})) if (l[k] !== v) return false;
  for (const e of selector.matchExpressions ?? []) {
    const has = Object.prototype.hasOwnProperty.call(l, e.key);
    const value = l[e.key];
    switch (e.operator) {
      case 'In':
        if (!has || !(e.values ?? []).includes(value!)) return false;
        break;
      case 'NotIn':
        if (has && (e.values ?? []).includes(value!)) return false;
        break;
      case 'Exists':
        if (!has) return false;
        break;
      case 'DoesNotExist':
        if (has) return false;
        break;
      default:
        return false;
    }
  }
  return true;
}

/** Kube's rule coverage (pkg/registry/rbac/validation): does `owner` grant everything `requested` asks? */
export function rulesCover(owner: readonly PolicyRule[], requested: PolicyRule): boolean {
  // Break the requested rule into atoms (one verb, group, resource, name or URL each) and check every atom.
  const verbs = requested.verbs;
  if ((requested.nonResourceURLs ?? []).length > 0) {
    for (const verb of verbs) {
      for (const url of requested.nonResourceURLs ?? []) {
        if (!owner.some((r) => (r.nonResourceURLs ?? []).length > 0 && verbCovers(r, verb) && nonResourceURLCovers(r, url))) return false;
      }
    }
    return true;
  }
  const groups = requested.apiGroups ?? [];
  const resources = requested.resources ?? [];
  const names = requested.resourceNames ?? [];
  for (const verb of verbs) {
    for (const group of groups) {
      for (const resource of resources) {
        const wanted = names.length === 0 ? [undefined] : names;
        for (const name of wanted) {
          const ok = owner.some(
            (r) =>
              verbCovers(r, verb) &&
              (r.apiGroups ?? []).some((g) => g === '*' || g === group) &&
              (r.resources ?? []).some((x) => resourceCovers(x, resource)) &&
              ((r.resourceNames ?? []).length === 0 || (name !== undefined && (r.resourceNames ?? []).includes(name))),
          );
          if (!ok) return false;
        }
      }
    }
  }
  return true;
}

function verbCovers(rule: PolicyRule, verb: string): boolean {
  return rule.verbs.some((v) => v === '*' || v === verb);
}

function resourceCovers(owner: string, requested: string): boolean {
  if (owner === '*' || owner === requested) return true;
  // `*/scale` covers `deployments/scale` (kube's resourceCoversAll; `pods/*` is no wildcard there either).
  const slash = requested.indexOf('/');
  return slash > 0 && owner === `*${requested.slice(slash)}`;
}

function nonResourceURLCovers(rule: PolicyRule, url: string): boolean {
  return (rule.nonResourceURLs ?? []).some((u) => u === '*' || u === url || (u.endsWith('*') && url.startsWith(u.slice(0, -1))));
}
