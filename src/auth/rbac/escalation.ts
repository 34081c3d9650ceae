// RBAC escalation prevention (kube's pkg/registry/rbac): a user may write a Role or binding only with permissions
// they already hold, or with the `escalate` (roles) / `bind` (bindings) verb.
import { errors } from '../../api/errors.js';
import type { KubeObject } from '../../api/meta.js';
import type { ResourceType } from '../../api/resource-type.js';
import type { AdmissionAttributes, AdmissionPlugin } from '../../server/api-handler.js';
import type { Authorizer, UserInfo } from '../../server/auth.js';
import type { RbacIndex } from './authorizer.js';
import { RbacGroup, rulesCover, type BindingObject, type PolicyRule, type RoleObject } from './rules.js';

export interface EscalationCheckOptions {
  authorizer: Authorizer;
  index: RbacIndex;
}

export class EscalationCheck implements AdmissionPlugin {
  private readonly authorizer: Authorizer;
  private readonly index: RbacIndex;

  constructor(options: EscalationCheckOptions) {
    this.authorizer = options.authorizer;
    this.index = options.index;
  }

  handles(type: ResourceType): boolean {
    return type.group === RbacGroup && ['roles', 'clusterroles', 'rolebindings', 'clusterrolebindings'].includes(type.plural);
  }

  admit(object: KubeObject, old: KubeObject | undefined, attributes?: AdmissionAttributes): void {
    if (!attributes || (attributes.operation !== 'CREATE' && attributes.operation !== 'UPDATE')) return;
    const user = attributes.user;
    // system:masters may grant anything (kube's EscalationAllowed).
    if (user.groups.includes('system:masters')) return;
    const plural = attributes.type.plural;
    const namespace = plural === 'roles' || plural === 'rolebindings' ? object.metadata.namespace : undefined;
    const name = object.metadata.name ?? '';
    if (old && onlyGcFieldsChanged(object, old)) return;
    if (plural === 'roles' || plural === 'clusterroles') {
      const role = object as RoleObject;
      if (this.allowed(user, 'escalate', plural, namespace, attributes.operation === 'UPDATE' ? name : undefined)) return;
      if (plural === 'clusterroles' && role.aggregationRule) {
        throw errors.forbidden(`${plural}.${RbacGroup} "${name}" is forbidden: must have cluster-admin privileges to use the aggregationRule`);
      }
      if (old && JSON.stringify((old as RoleObject).rules ?? []) === JSON.stringify(role.rules ?? [])) return;
      this.confirmNoEscalation(user, namespace, role.rules ?? [], plural, name);
      return;
    }
    const binding = object as BindingObject;
    const ref = binding.roleRef;
    const refResource = ref.kind === 'Role' ? 'roles' : 'clusterroles';
    if (this.allowed(user, 'bind', refResource, namespace, ref.name)) return;
    const rules = ref.kind === 'Role' ? (namespace !== undefined ? this.index.namespacedRoleRules(namespace, ref.name) : undefined) : this.index.clusterRoleRules(ref.name);
    if (!rules) {
      throw errors.forbidden(`${plural}.${RbacGroup} "${name}" is forbidden: ${ref.kind === 'Role' ? 'roles' : 'clusterroles'}.${RbacGroup} "${ref.name}" not found`);
    }
    this.confirmNoEscalation(user, namespace, rules, plural, name);
  }

  private allowed(user: UserInfo, verb: string, resource: string, namespace: string | undefined, name: string | undefined): boolean {
    const attrs: Parameters<Authorizer['authorize']>[0] = { user, verb, group: RbacGroup, resource };
    if (namespace !== undefined) attrs.namespace = namespace;
    if (name) attrs.name = name;
    return this.authorizer.authorize(attrs).allowed;
  }

  /** kube's ConfirmNoEscalation: every requested rule must be covered by the user's rules in that namespace. */
  private confirmNoEscalation(user: UserInfo, namespace: string | undefined, requested: readonly PolicyRule[], plural: string, name: string): void {
    const owner = this.index.rulesFor(user, namespace);
    const missing = requested.flatMap((r) => breakdown(r)).filter((atom) => !rulesCover(owner.rules, atom));
    if (missing.length === 0) return;
    const lines = [...new Set(compact(missing).map(compactString))].sort();
    let message = `user "${user.name}" (groups=${goQuoted(user.groups)}) is attempting to grant RBAC permissions not currently held:\n${lines.join('\n')}`;
    if (owner.errors.length > 0) message += `; resolution errors: [${owner.errors.join(' ')}]`;
    throw errors.forbidden(`${plural}.${RbacGroup} "${name}" is forbidden: ${message}`);
  }
}

/** Only the fields the garbage collector changes (finalizers, ownerReferences): never an escalation (kube's IsOnlyMutatingGCFields). */
function onlyGcFieldsChanged(object: KubeObject, old: KubeObject): boolean {
  const strip = (o: KubeObject): string => {
    const meta = { ...o.metadata };
    delete meta.finalizers;
    delete meta.ownerReferences;
    delete meta.resourceVersion;
    delete meta.managedFields;
    return JSON.stringify({ ...o, metadata: meta });
  };
  return strip(object) === strip(old);
}

/** One rule per verb × group × resource × name (or verb × URL), as kube's BreakdownRule. */
function breakdown(rule: PolicyRule): PolicyRule[] {
  const out: PolicyRule[] = [];
  for (const verb of rule.verbs) {
    for (const url of rule.nonResourceURLs ?? []) out.push({ verbs: [verb], nonResourceURLs: [url] });
    for (const group of rule.apiGroups ?? []) {
      for (const resource of rule.resources ?? []) {
        const names = rule.resourceNames ?? [];
        if (names.length === 0) out.push({ verbs: [verb], apiGroups: [group], resources: [resource] });
        else for (const n of names) out.push({ verbs: [verb], apiGroups: [group], resources: [resource], resourceNames: [n] });
      }
    }
  }
  return out;
}

/** kube's CompactRules: simple resource rules for the same group, resource and name merge their verbs. */
function compact(rules: PolicyRule[]): PolicyRule[] {
  const merged = new Map<string, PolicyRule>();
  const out: PolicyRule[] = [];
  for (const r of rules) {
    if ((r.nonResourceURLs ?? []).length > 0) {
      out.push(r);
      continue;
    }
    const key = JSON.stringify([r.apiGroups, r.resources, r.resourceNames ?? []]);
    const existing = merged.get(key);
    if (existing) {
      for (const v of r.verbs) if (!existing.verbs.includes(v)) existing.verbs.push(v);
    } else {
      const copy: PolicyRule = { ...r, verbs: [...r.verbs] };
      merged.set(key, copy);
      out.push(copy);
    }
  }
  return out;
}

/** rbacv1helpers.CompactString: `{APIGroups:["apps"], Resources:["deployments"], Verbs:["get" "list"]}`. */
function compactString(r: PolicyRule): string {
  const parts: string[] = [];
  if ((r.apiGroups ?? []).length > 0) parts.push(`APIGroups:${goQuoted(r.apiGroups!)}`);
  if ((r.resources ?? []).length > 0) parts.push(`Resources:${goQuoted(r.resources!)}`);
  if ((r.nonResourceURLs ?? []).length > 0) parts.push(`NonResourceURLs:${goQuoted(r.nonResourceURLs!)}`);
  if ((r.resourceNames ?? []).length > 0) parts.push(`ResourceNames:${goQuoted(r.resourceNames!)}`);
  if (r.verbs.length > 0) parts.push(`Verbs:${goQuoted(r.verbs)}`);
  return `{${parts.join(', ')}}`;
}

/** Go's %q of a []string: `["a" "b"]`. */
function goQuoted(values: readonly string[]): string {
  return `[${values.map((v) => JSON.stringify(v)).join(' ')}]`;
}
