// Installs the bootstrap RBAC objects and keeps aggregated ClusterRoles' rules up to date (kube's clusterrole-aggregation controller).
import { FloeError } from '../../api/errors.js';
import type { KubeObject } from '../../api/meta.js';
import type { ApiHandler, RequestContext } from '../../server/api-handler.js';
import { stableStringify } from '../../server/api-handler.js';
import { systemController } from '../../server/auth.js';
import type { Store } from '../../store/store.js';
import { rbacKeys } from './authorizer.js';
import { bootstrapClusterRoleBindings, bootstrapClusterRoles, reconcile } from './bootstrap.js';
import { RbacGroup, selectorMatches, type PolicyRule, type RoleObject } from './rules.js';

export interface RbacControllerOptions {
  handler: ApiHandler;
  store: Store;
  onError?: (err: unknown) => void;
}

/** The aggregated rules of `role` (kube: matching ClusterRoles sorted by name, itself skipped, each rule once). */
export function aggregatedRules(role: RoleObject, all: readonly RoleObject[]): PolicyRule[] {
  const rules: PolicyRule[] = [];
  const seen = new Set<string>();
  const sorted = [...all].sort((a, b) => ((a.metadata.name ?? '') < (b.metadata.name ?? '') ? -1 : 1));
  for (const selector of role.aggregationRule?.clusterRoleSelectors ?? []) {
    for (const other of sorted) {
      if (other.metadata.name === role.metadata.name || !selectorMatches(selector, other.metadata.labels)) continue;
      for (const r of other.rules ?? []) {
        const key = ruleKey(r);
        if (seen.has(key)) continue;
        seen.add(key);
        rules.push(r);
      }
    }
  }
  return rules;
}

function ruleKey(rule: PolicyRule): string {
  const norm = (v: string[] | undefined): string[] | undefined => (v && v.length > 0 ? v : undefined);
  return stableStringify({ v: norm(rule.verbs), g: norm(rule.apiGroups), r: norm(rule.resources), n: norm(rule.resourceNames), u: norm(rule.nonResourceURLs) });
}

export class RbacController {
  private readonly handler: ApiHandler;
  private readonly store: Store;
  private readonly onError: (err: unknown) => void;
  private readonly ctx: RequestContext = { user: systemController };
  private stopWatch: (() => void) | undefined;
  private scheduled = false;
  private stopped = false;

  constructor(options: RbacControllerOptions) {
    this.handler = options.handler;
    this.store = options.store;
    this.onError = options.onError ?? (() => undefined);
  }

  /** Creates what is missing, reconciles what carries autoupdate, aggregates, then follows ClusterRole changes. */
  start(): void {
    this.installBootstrap();
    this.aggregateUntilStable();
    this.stopWatch = this.store.watch(rbacKeys.clusterRoles, this.store.currentRevision(), () => this.schedule());
  }

  stop(): void {
    this.stopped = true;
    this.stopWatch?.();
  }

  installBootstrap(): void {
    const roles = this.handler.resolve(RbacGroup, 'v1', 'clusterroles');
    const bindings = this.handler.resolve(RbacGroup, 'v1', 'clusterrolebindings');
    for (const [type, objects] of [[roles, bootstrapClusterRoles()], [bindings, bootstrapClusterRoleBindings()]] as const) {
      for (const wanted of objects as KubeObject[]) {
        const name = wanted.metadata.name ?? '';
        const existing = this.store.get(type === roles ? rbacKeys.clusterRoles : rbacKeys.clusterRoleBindings, '', name);
        if (!existing) {
          this.settle(this.handler.create(this.ctx, type, undefined, structuredClone(wanted)));
          continue;
        }
        const next = reconcile(existing, wanted);
        if (next) this.settle(this.handler.update(this.ctx, type, undefined, name, next));
      }
    }
  }

  /** One pass over every aggregating ClusterRole; returns how many it rewrote. */
  aggregate(): number {
    const type = this.handler.resolve(RbacGroup, 'v1', 'clusterroles');
    const all = this.store.list(rbacKeys.clusterRoles).items as RoleObject[];
    let written = 0;
    for (const role of all) {
      if (!role.aggregationRule) continue;
      const rules = aggregatedRules(role, all);
      if (stableStringify(rules.map(ruleKey)) === stableStringify((role.rules ?? []).map(ruleKey))) continue;
      try {
        this.settle(this.handler.update(this.ctx, type, undefined, role.metadata.name ?? '', { ...structuredClone(role), rules }));
        written += 1;
      } catch (err) {
        // A concurrent write: the next pass (its own change schedules one) picks the newer object up.
        if (!(err instanceof FloeError && (err.reason === 'Conflict' || err.reason === 'NotFound'))) throw err;
      }
    }
    return written;
  }

  /** A write is synchronous unless an admission webhook applies; then its failure is reported, not lost. */
  private settle(result: unknown): void {
    if (result instanceof Promise) result.catch((err: unknown) => this.onError(err));
  }

  private aggregateUntilStable(): void {
    // Chains (kubeflow-view → kubeflow-edit → kubeflow-admin) settle in as many passes as they are deep.
    for (let i = 0; i < 10 && this.aggregate() > 0; i++);
  }

  /** Changes arrive inside the store's commit: the pass runs after it, once for a burst of changes. */
  private schedule(): void {
    if (this.scheduled || this.stopped) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      if (this.stopped) return;
      try {
        this.aggregateUntilStable();
      } catch (err) {
        this.onError(err);
      }
    });
  }
}
