// RBAC for embedded Floe: the index and authorizer, the review kinds, escalation prevention, bootstrap and aggregation.
import type { ResourceRegistry } from '../../api/registry.js';
import type { ApiHandler } from '../../server/api-handler.js';
import type { Store } from '../../store/store.js';
import { RBACAuthorizer, RbacIndex } from './authorizer.js';
import { RbacController } from './controller.js';
import { EscalationCheck } from './escalation.js';
import { authorizationReviewTypes } from './reviews.js';

export { RBACAuthorizer, RbacIndex, rbacKeys, type UserRules } from './authorizer.js';
export { bootstrapClusterRoleBindings, bootstrapClusterRoles, kubeflowClusterRoles } from './bootstrap.js';
export { RbacController, aggregatedRules } from './controller.js';
export { EscalationCheck } from './escalation.js';
export { impersonate, wantsImpersonation } from './impersonation.js';
export { authorizationReviewTypes } from './reviews.js';
export * from './rules.js';

export interface Rbac {
  index: RbacIndex;
  authorizer: RBACAuthorizer;
  /** The validating admission step that refuses privilege escalation through Roles and bindings. */
  escalation: EscalationCheck;
  /** Installs the bootstrap objects, aggregates, and keeps aggregating (call once the handler exists, before serving). */
  start(handler: ApiHandler, onError?: (err: unknown) => void): void;
  stop(): void;
}

/** Builds the RBAC index over the store and registers the authorization review kinds. */
export function createRbac(options: { store: Store; registry: ResourceRegistry }): Rbac {
  const index = RbacIndex.fromStore(options.store);
  const authorizer = new RBACAuthorizer(index);
  options.registry.register(authorizationReviewTypes({ authorizer, rulesFor: (user, namespace) => index.rulesFor(user, namespace) }));
  let controller: RbacController | undefined;
  return {
    index,
    authorizer,
    escalation: new EscalationCheck({ authorizer, index }),
    start(handler, onError) {
      controller = new RbacController({ handler, store: options.store, ...(onError ? { onError } : {}) });
      controller.start();
    },
    stop() {
      controller?.stop();
      index.close();
    },
  };
}
