// The RBAC authorizer: Kubernetes' rbac.authorization.k8s.io/v1 semantics over an index of bindings by subject, kept by a store watch.
import type { KubeObject } from '../../api/meta.js';
import type { AuthorizationAttributes, Authorizer, Decision, UserInfo } from '../../server/auth.js';
import { resourceKey, type Store, type StoreChange } from '../../store/store.js';
import { describeSubject, RbacGroup, ruleAllows, subjectKey, userKeys, type BindingObject, type PolicyRule, type RequestAttributes, type RoleObject, type RoleRef, type Subject } from './rules.js';

export const rbacKeys = {
  roles: resourceKey(RbacGroup, 'roles'),
  clusterRoles: resourceKey(RbacGroup, 'clusterroles'),
  roleBindings: resourceKey(RbacGroup, 'rolebindings'),
  clusterRoleBindings: resourceKey(RbacGroup, 'clusterrolebindings'),
};

/** One binding as the index keeps it: enough to find its role and to say why a request was allowed. */
interface BindingEntry {
  kind: 'RoleBinding' | 'ClusterRoleBinding';
  name: string;
  namespace: string | undefined;
  roleRef: RoleRef;
  subject: Subject;
}

/** The rules a user holds in a namespace (cluster-wide ones included), and the role references that did not resolve. */
export interface UserRules {
  rules: PolicyRule[];
  errors: string[];
}

/**
 * An in-memory copy of every Role, ClusterRole and binding, with bindings indexed by subject key (`User:alice`,
 * `Group:dev`, `ServiceAccount:ns:sa`): a decision costs a few map look-ups per group of the caller, whatever the number
 * of bindings. Fed by the store's change stream synchronously on commit, so a deleted binding stops counting before
 * the next request is served.
 */
export class RbacIndex {
  private readonly roles = new Map<string, PolicyRule[]>();
  private readonly clusterRoles = new Map<string, PolicyRule[]>();
  private readonly clusterBindings = new Map<string, BindingEntry[]>();
  private readonly namespaceBindings = new Map<string, Map<string, BindingEntry[]>>();
  /** `kind/namespace/name` of a binding → the subject keys it was filed under, to unfile it. */
  private readonly filed = new Map<string, string[]>();
  private stopWatch: (() => void) | undefined;

  /** Loads every RBAC object from the store and follows its changes. */
  static fromStore(store: Store): RbacIndex {
    const index = new RbacIndex();
    index.follow(store);
    return index;
  }

  follow(store: Store): void {
    let revision = 0;
    for (const key of Object.values(rbacKeys)) {
      const result = store.list(key);
      revision = Math.max(revision, result.revision);
      for (const object of result.items) this.upsert(key, object);
    }
    const keys = new Set(Object.values(rbacKeys));
    this.stopWatch = store.watch(undefined, revision, (change: StoreChange) => {
      if (!keys.has(change.resource)) return;
      if (change.type === 'DELETED') this.remove(change.resource, change.object);
      else this.upsert(change.resource, change.object);
    });
  }

  close(): void {
    this.stopWatch?.();
  }

  upsert(resource: string, object: KubeObject): void {
    const name = object.metadata.name ?? '';
    const namespace = object.metadata.namespace;
    switch (resource) {
      case rbacKeys.roles:
        this.roles.set(`${namespace ?? ''}/${name}`, rulesOf(object));
        return;
      case rbacKeys.clusterRoles:
        this.clusterRoles.set(name, rulesOf(object));
        return;
      case rbacKeys.roleBindings:
      case rbacKeys.clusterRoleBindings: {
        this.remove(resource, object);
        const binding = object as BindingObject;
        const kind = resource === rbacKeys.roleBindings ? 'RoleBinding' : 'ClusterRoleBinding';
        const ns = kind === 'RoleBinding' ? namespace : undefined;
        const keys: string[] = [];
        for (const subject of binding.subjects ?? []) {
          const key = subjectKey(subject, ns);
          if (key === undefined) continue;
          const entry: BindingEntry = { kind, name, namespace: ns, roleRef: binding.roleRef, subject };
          const table = kind === 'ClusterRoleBinding' ? this.clusterBindings : this.namespaceTable(ns ?? '');
          const list = table.get(key);
          if (list) list.push(entry);
          else table.set(key, [entry]);
          keys.push(key);
        }
        this.filed.set(`${kind}/${ns ?? ''}/${name}`, keys);
        return;
      }
    }
  }

  remove(resource: string, object: KubeObject): void {
    const name = object.metadata.name ?? '';
    const namespace = object.metadata.namespace;
    switch (resource) {
      case rbacKeys.roles:
        this.roles.delete(`${namespace ?? ''}/${name}`);
        return;
      case rbacKeys.clusterRoles:
        this.clusterRoles.delete(name);
        return;
      case rbacKeys.roleBindings:
      case rbacKeys.clusterRoleBindings: {
        const kind = resource === rbacKeys.roleBindings ? 'RoleBinding' : 'ClusterRoleBinding';
        const ns = kind === 'RoleBinding' ? namespace : undefined;
        const id = `${kind}/${ns ?? ''}/${name}`;
        const keys = this.filed.get(id);
        if (!keys) return;
        this.filed.delete(id);
        const table = kind === 'ClusterRoleBinding' ? this.clusterBindings : this.namespaceTable(ns ?? '');
        for (const key of new Set(keys)) {
          const list = table.get(key)?.filter((e) => !(e.kind === kind && e.name === name));
          if (list && list.length > 0) table.set(key, list);
          else table.delete(key);
        }
        return;
      }
    }
  }

  /** The rules a binding's roleRef names; undefined when the role does not exist (kube reports it and goes on). */
  roleRules(ref: RoleRef, bindingNamespace: string | undefined): PolicyRule[] | undefined {
    if (ref.kind === 'ClusterRole') return this.clusterRoles.get(ref.name);
    if (ref.kind === 'Role' && bindingNamespace !== undefined) return this.roles.get(`${bindingNamespace}/${ref.name}`);
    return undefined;
  }

  clusterRoleRules(name: string): PolicyRule[] | undefined {
    return this.clusterRoles.get(name);
  }

  namespacedRoleRules(namespace: string, name: string): PolicyRule[] | undefined {
    return this.roles.get(`${namespace}/${name}`);
  }

  /**
   * Visits the bindings that apply to the user for a request in `namespace` (ClusterRoleBindings, then RoleBindings of
   * the namespace), as kube's VisitRulesFor; the visitor returns true to stop.
   */
  visit(user: { name: string; groups: readonly string[] }, namespace: string | undefined, visitor: (entry: BindingEntry, rules: PolicyRule[] | undefined) => boolean): void {
    const keys = userKeys(user);
    for (const key of keys) {
      for (const entry of this.clusterBindings.get(key) ?? []) {
        if (visitor(entry, this.roleRules(entry.roleRef, undefined))) return;
      }
    }
    if (!namespace) return;
    const table = this.namespaceBindings.get(namespace);
    if (!table) return;
    for (const key of keys) {
      for (const entry of table.get(key) ?? []) {
        if (visitor(entry, this.roleRules(entry.roleRef, entry.namespace))) return;
      }
    }
  }

  /** Every rule the user holds in `namespace` (cluster-wide ones included), as kube's RulesFor. */
  rulesFor(user: { name: string; groups: readonly string[] }, namespace: string | undefined): UserRules {
    const rules: PolicyRule[] = [];
    const errors: string[] = [];
    const seen = new Set<string>();
    this.visit(user, namespace, (entry, found) => {
      // One binding may name the user twice (as User and in a Group): its rules count once.
      const id = `${entry.kind}/${entry.namespace ?? ''}/${entry.name}`;
      if (seen.has(id)) return false;
      seen.add(id);
      if (found) rules.push(...found);
      else errors.push(missingRole(entry));
      return false;
    });
    return { rules, errors };
  }

  private namespaceTable(namespace: string): Map<string, BindingEntry[]> {
    let table = this.namespaceBindings.get(namespace);
    if (!table) {
      table = new Map();
      this.namespaceBindings.set(namespace, table);
    }
    return table;
  }
}

/**
 * Kubernetes' RBAC authorizer over an RbacIndex. Members of system:masters are allowed everything without a rule
 * (kube-apiserver's privileged-group authorizer). Denials carry no reason, as kube's RBAC gives "no opinion", except
 * the role references that did not resolve.
 */
export class RBACAuthorizer implements Authorizer {
  constructor(readonly index: RbacIndex) {}

  authorize(attributes: AuthorizationAttributes): Decision {
    const user = attributes.user;
    if (user.groups.includes('system:masters')) return { allowed: true };
    const request: RequestAttributes = attributes.path !== undefined ? { verb: attributes.verb, path: attributes.path } : attributes;
    let allowedBy: string | undefined;
    const errors: string[] = [];
    this.index.visit(user, attributes.path !== undefined ? undefined : attributes.namespace, (entry, rules) => {
      if (!rules) {
        errors.push(missingRole(entry));
        return false;
      }
      for (const rule of rules) {
        if (ruleAllows(rule, request)) {
          allowedBy = `RBAC: allowed by ${entry.kind} "${entry.name}${entry.namespace ? `/${entry.namespace}` : ''}" of ${entry.roleRef.kind} "${entry.roleRef.name}" to ${describeSubject(entry.subject, entry.namespace)}`;
          return true;
        }
      }
      return false;
    });
    if (allowedBy !== undefined) return { allowed: true, reason: allowedBy };
    // kube's utilerrors.NewAggregate: one error as is, several in brackets.
    return errors.length > 0 ? { allowed: false, reason: `RBAC: ${errors.length === 1 ? errors[0] : `[${errors.join(', ')}]`}` } : { allowed: false };
  }

  /** Whether `user` holds every permission of `rules` in `namespace` (kube's ConfirmNoEscalation). Returns the missing rules. */
  rulesFor(user: UserInfo, namespace: string | undefined): UserRules {
    return this.index.rulesFor(user, namespace);
  }
}

function rulesOf(role: RoleObject): PolicyRule[] {
  return Array.isArray(role.rules) ? role.rules : [];
}

function missingRole(entry: BindingEntry): string {
  const kind = entry.roleRef.kind === 'Role' ? 'role' : 'clusterrole';
  return `${kind}.rbac.authorization.k8s.io "${entry.roleRef.name}" not found`;
}
