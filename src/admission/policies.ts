// ValidatingAdmissionPolicy + Binding: CEL validations in process, with params, variables, matchConditions, Deny and Warn actions.
import { FloeError, reasonForCode, StatusReason } from '../api/errors.js';
import { list, record, text } from '../api/builtin/json.js';
import type { KubeObject } from '../api/meta.js';
import type { ResourceType } from '../api/resource-type.js';
import type { AdmissionAttributes, AdmissionPlugin } from '../server/api-handler.js';
import { celError, MatchConditions, namespaceSelectorMatches, objectSelectorMatches, ruleMatches, type MatchRequest } from './webhook-match.js';
import { exemptFromAdmission, matchRequest, reviewRequest, type WebhookReader } from './webhooks.js';

const group = 'admissionregistration.k8s.io';

const reasonCodes: Record<string, number> = { Unauthorized: 401, Forbidden: 403, Invalid: 422, RequestEntityTooLarge: 413 };

interface Decision {
  action: 'deny' | 'warn' | 'skip';
  message: string;
  reason: string;
}

/** A resolved kind for paramKind: group/plural of apiVersion+kind, and whether it is namespaced. */
export type KindResolver = (apiVersion: string, kind: string) => { group: string; plural: string; namespaced: boolean } | undefined;

export interface PolicyAdmissionOptions {
  read: WebhookReader;
  resolveKind: KindResolver;
}

/**
 * kube-apiserver's ValidatingAdmissionPolicy plug-in. A policy acts only through a binding; the request must match the
 * policy's matchConstraints and the binding's matchResources; every validation expression must be true. Deny refuses
 * (kube's 422 Invalid unless the validation names a reason), Warn adds a Warning header. Runs with the validating
 * plug-ins, after the webhooks (kube runs it just before them: only which refusal is reported first can differ).
 */
export class PolicyAdmission implements AdmissionPlugin {
  private readonly read: WebhookReader;
  private readonly resolveKind: KindResolver;
  private readonly cel = new MatchConditions();

  constructor(options: PolicyAdmissionOptions) {
    this.read = options.read;
    this.resolveKind = options.resolveKind;
  }

  handles(type: ResourceType): boolean {
    return !(type.group === group && exemptFromAdmission.has(type.plural));
  }

  admit(object: KubeObject, old: KubeObject | undefined, attributes?: AdmissionAttributes): void {
    if (!attributes) return;
    const bindings = this.read.list(group, 'validatingadmissionpolicybindings');
    if (bindings.length === 0) return;
    const policies = new Map(this.read.list(group, 'validatingadmissionpolicies').map((p) => [p.metadata.name ?? '', p]));
    const request = matchRequest(attributes);
    const a = { ...attributes, object, oldObject: old };
    const denials: string[] = [];
    let denyReason = '';
    for (const binding of bindings.sort((x, y) => (x.metadata.name ?? '').localeCompare(y.metadata.name ?? ''))) {
      const bspec = record(binding.spec);
      const policy = policies.get(text(bspec.policyName));
      if (!policy) continue;
      const pspec = record(policy.spec);
      if (!this.matches(pspec.matchConstraints, request, a) || (bspec.matchResources !== undefined && !this.matches(bspec.matchResources, request, a))) continue;
      const actions = list(bspec.validationActions).map(text);
      for (const decision of this.evaluate(policy, binding, a)) {
        const subject = `ValidatingAdmissionPolicy '${policy.metadata.name ?? ''}' with binding '${binding.metadata.name ?? ''}'`;
        if (decision.action === 'deny' && actions.includes('Deny')) {
          if (denials.length === 0) denyReason = decision.reason;
          denials.push(`${subject} denied request: ${decision.message}`);
        }
        if (decision.action === 'deny' && actions.includes('Warn')) attributes.warnings?.push(`Validation failed for ${subject}: ${decision.message}`);
      }
    }
    if (denials.length === 0) return;
    const { plural } = attributes.type;
    const resource = attributes.type.group ? `${plural}.${attributes.type.group}` : plural;
    const name = object.metadata.name || object.metadata.generateName || 'Unknown';
    const message = `${resource} "${name}" is forbidden: ${denials[0]!}`;
    const reason = denyReason || 'Invalid';
    const code = reasonCodes[reason] ?? 422;
    const floeReason = (Object.values(StatusReason) as string[]).includes(reason) ? (reason as StatusReason) : reasonForCode(code);
    throw new FloeError(floeReason, message, { details: { name, group: attributes.type.group, kind: plural, causes: [{ reason: '', message: denials[0]! }] } });
  }

  /** matchConstraints / matchResources: resourceRules (with resourceNames), excludeResourceRules, selectors. */
  private matches(constraints: unknown, request: MatchRequest, a: AdmissionAttributes): boolean {
    const c = record(constraints);
    const named = (rule: unknown): boolean => {
      const names = list(record(rule).resourceNames).map(text);
      return ruleMatches(rule, request) && (names.length === 0 || names.includes(a.name));
    };
    const rules = list(c.resourceRules);
    if (rules.length > 0 && !rules.some(named)) return false;
    if (list(c.excludeResourceRules).some(named)) return false;
    const ns = request.namespace && request.resource !== 'namespaces' ? this.read.get('', 'namespaces', '', request.namespace) : undefined;
    return namespaceSelectorMatches(c.namespaceSelector, request, a.object ?? a.oldObject, ns) && objectSelectorMatches(c.objectSelector, a.object, a.oldObject);
  }

  private evaluate(policy: KubeObject, binding: KubeObject, a: AdmissionAttributes): Decision[] {
    const pspec = record(policy.spec);
    const failClosed = text(pspec.failurePolicy) !== 'Ignore';
    const failure = (message: string): Decision[] => (failClosed ? [{ action: 'deny', message, reason: 'Invalid' }] : []);
    const namespaceObject = a.namespace ? this.read.get('', 'namespaces', '', a.namespace) : undefined;
    const vars: Record<string, unknown> = {
      object: a.object ?? null,
      oldObject: a.oldObject ?? null,
      request: reviewRequest(a, ''),
      namespaceObject: namespaceObject ?? null,
      params: null,
    };
    const paramKind = record(pspec.paramKind);
    if (text(paramKind.kind)) {
      const params = this.params(paramKind, record(record(binding.spec).paramRef), a);
      if (params === 'deny') return failure('failed to configure binding: no params found for policy binding with `Deny` parameterNotFoundAction');
      if (params === 'allow') return [];
      vars.params = params;
    }
    const variables: Record<string, unknown> = {};
    vars.variables = variables;
    for (const v of list(pspec.variables).map(record)) {
      try {
        variables[text(v.name)] = this.cel.run(text(v.expression), vars);
      } catch (err) {
        return failure(`variable '${text(v.name)}' resulted in error: ${firstLine(err)}`);
      }
    }
    const conditions = this.cel.evaluate(pspec.matchConditions, vars);
    if (conditions.error) return failure(conditions.error);
    if (!conditions.matched) return [];
    const decisions: Decision[] = [];
    for (const v of list(pspec.validations).map(record)) {
      const expression = text(v.expression);
      let result: unknown;
      try {
        result = this.cel.run(expression, vars);
      } catch (err) {
        decisions.push(...failure(`expression '${expression}' resulted in error: ${firstLine(err)}`));
        continue;
      }
      if (result === true) continue;
      if (result !== false) {
        decisions.push(...failure(`expression '${expression}' resulted in error: must evaluate to bool`));
        continue;
      }
      let message = text(v.message);
      if (text(v.messageExpression)) {
        try {
          const m = this.cel.run(text(v.messageExpression), vars);
          if (typeof m === 'string' && m.trim() !== '' && !m.includes('\n')) message = m;
        } catch {
          // kube falls back to `message`, then to the expression.
        }
      }
      decisions.push({ action: 'deny', message: message || `failed expression: ${expression}`, reason: text(v.reason) || 'Invalid' });
    }
    return decisions;
  }

  /** The binding's params object, or what parameterNotFoundAction says when there is none. */
  private params(paramKind: Record<string, unknown>, ref: Record<string, unknown>, a: AdmissionAttributes): unknown {
    const kind = this.resolveKind(text(paramKind.apiVersion), text(paramKind.kind));
    const notFound = text(ref.parameterNotFoundAction) === 'Allow' ? 'allow' : 'deny';
    if (!kind) return notFound;
    const namespace = kind.namespaced ? text(ref.namespace) || a.namespace || '' : '';
    if (text(ref.name)) return this.read.get(kind.group, kind.plural, namespace, text(ref.name)) ?? notFound;
    const found = this.read.list(kind.group, kind.plural).filter((o) => !kind.namespaced || (o.metadata.namespace ?? '') === namespace);
    if (found.length === 0) return notFound;
    // A selector picks several params; each would be its own evaluation in kube. Floe evaluates the first by name.
    return found.sort((x, y) => (x.metadata.name ?? '').localeCompare(y.metadata.name ?? ''))[0];
  }
}

function firstLine(err: unknown): string {
  return celError(err);
}
