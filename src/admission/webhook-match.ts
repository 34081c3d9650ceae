// Which admission webhooks a request reaches: rules, scope, namespace and object selectors, matchConditions (CEL), pure.
import { Environment } from '@marcbachmann/cel-js';
import { isRecord, list, record, text } from '../api/builtin/json.js';
import type { KubeObject } from '../api/meta.js';
import { matchesLabels, selectorFromLabelSelectorObject } from '../api/selectors/index.js';

/** The request as rules see it (kube's admission.Attributes, in the fields matching reads). */
export interface MatchRequest {
  operation: string;
  group: string;
  version: string;
  /** The plural. */
  resource: string;
  subresource: string;
  /** '' for cluster-scoped objects (a Namespace's own name for the namespaces resource). */
  namespace: string;
}

/** kube's rules.Matcher for one RuleWithOperations (operations, apiGroups, apiVersions, resources with `x/*`, scope). */
export function ruleMatches(rule: unknown, request: MatchRequest, versionMatches: (versions: string[]) => boolean = (v) => v.includes('*') || v.includes(request.version)): boolean {
  const r = record(rule);
  const ops = list(r.operations).map(text);
  if (!ops.includes('*') && !ops.includes(request.operation)) return false;
  const groups = list(r.apiGroups).map(text);
  if (!groups.includes('*') && !groups.includes(request.group)) return false;
  if (!versionMatches(list(r.apiVersions).map(text))) return false;
  const resourceOk = list(r.resources)
    .map(text)
    .some((entry) => {
      const slash = entry.indexOf('/');
      const res = slash < 0 ? entry : entry.slice(0, slash);
      const sub = slash < 0 ? '' : entry.slice(slash + 1);
      return (res === '*' || res === request.resource) && (sub === '*' || sub === request.subresource);
    });
  if (!resourceOk) return false;
  const scope = text(r.scope) || '*';
  const isNamespaceObject = request.group === '' && request.resource === 'namespaces';
  if (scope === 'Namespaced') return !isNamespaceObject && request.namespace !== '';
  if (scope === 'Cluster') return isNamespaceObject || request.namespace === '';
  return true;
}

/** A LabelSelector object against labels; {} (or unset) selects everything. Throws on a malformed selector. */
export function selectorMatches(selector: unknown, labels: Record<string, string> | undefined): boolean {
  if (!isRecord(selector) || Object.keys(selector).length === 0) return true;
  return matchesLabels(selectorFromLabelSelectorObject(selector), labels ?? {});
}

/**
 * kube's namespaceSelector rule: a namespaced object is judged by its namespace's labels, a Namespace by its own,
 * any other cluster-scoped object always matches.
 */
export function namespaceSelectorMatches(selector: unknown, request: MatchRequest, object: KubeObject | undefined, namespaceObject: KubeObject | undefined): boolean {
  if (!isRecord(selector) || Object.keys(selector).length === 0) return true;
  if (request.group === '' && request.resource === 'namespaces') return selectorMatches(selector, object?.metadata.labels);
  if (request.namespace === '') return true;
  return selectorMatches(selector, namespaceObject?.metadata.labels);
}

/** objectSelector: matches when the object or the old object matches. */
export function objectSelectorMatches(selector: unknown, object: KubeObject | undefined, oldObject: KubeObject | undefined): boolean {
  if (!isRecord(selector) || Object.keys(selector).length === 0) return true;
  return (object !== undefined && selectorMatches(selector, object.metadata.labels)) || (oldObject !== undefined && selectorMatches(selector, oldObject.metadata.labels));
}

type Program = (context: Record<string, unknown>) => unknown;

/** cel-js's error, worded as cel-go words the common ones (`no such key: spec`). */
export function celError(err: unknown): string {
  const first = (err instanceof Error ? err.message : String(err)).split('\n')[0] ?? '';
  return first.replace(/^No such key/, 'no such key');
}

/** Compiled matchConditions, shared by every webhook (an Environment is costly to build). */
export class MatchConditions {
  private readonly env: Environment;
  private readonly programs = new Map<string, Program>();

  constructor() {
    this.env = new Environment({ homogeneousAggregateLiterals: false });
    for (const name of ['object', 'oldObject', 'request', 'params', 'namespaceObject', 'authorizer']) this.env.registerVariable(name, 'dyn');
  }

  private program(expression: string): Program {
    let p = this.programs.get(expression);
    if (!p) {
      p = this.env.parse(expression) as Program;
      if (this.programs.size > 1000) this.programs.clear();
      this.programs.set(expression, p);
    }
    return p;
  }

  /**
   * kube's matchConditions: all must be true for the webhook to be called; a false one skips it. Returns
   * `{ matched }` or `{ error }` naming the condition that could not be evaluated (failurePolicy decides).
   */
  evaluate(conditions: unknown, variables: Record<string, unknown>): { matched: boolean; error?: string } {
    for (const raw of list(conditions)) {
      const c = record(raw);
            let result: unknown;
      const expression = text(c.expression);
      try {
        result = this.program(expression)(variables);
      } catch (err) {
        return { matched: false, error: `expression '${expression}' resulted in error: ${celError(err)}` };
      }
      if (typeof result !== 'boolean') return { matched: false, error: `expression '${expression}' resulted in error: must evaluate to bool` };
      if (!result) return { matched: false };
    }
    return { matched: true };
  }

  /** Evaluates one expression (ValidatingAdmissionPolicy validations); throws when it does not evaluate. */
  run(expression: string, variables: Record<string, unknown>): unknown {
    return this.program(expression)(variables);
  }
}
