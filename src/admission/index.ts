// Embedded mode's built-in admission: LimitRanger, admission webhooks, ValidatingAdmissionPolicy, ResourceQuota and the quota status keeper, wired over the store.
import type { Logger } from '../api/logger.js';
import type { KubeObject } from '../api/meta.js';
import type { ResourceRegistry } from '../api/registry.js';
import type { Client } from '../client/client.js';
import type { AdmissionPlugin, RemoteAdmission } from '../server/api-handler.js';
import { resourceKey, type Store } from '../store/store.js';
import { LimitRanger } from './limit-range.js';
import { PolicyAdmission } from './policies.js';
import { QuotaStatusKeeper } from './resource-quota-status.js';
import { ResourceQuotaAdmission, type NamespaceReader } from './resource-quota.js';
import { WebhookAdmission, type WebhookReader } from './webhooks.js';

export { LimitRanger, LimitRangerAnnotation } from './limit-range.js';
export { QuotaStatusKeeper } from './resource-quota-status.js';
export { ResourceQuotaAdmission, liveUsage, type NamespaceReader } from './resource-quota.js';
export { WebhookAdmission } from './webhooks.js';
export { PolicyAdmission } from './policies.js';

const admissionGroup = 'admissionregistration.k8s.io';

export interface BuiltinAdmission {
  /** Mutating, with the handler's other plug-ins (first). */
  mutating: AdmissionPlugin[];
  remote: RemoteAdmission;
  validating: AdmissionPlugin[];
  /** Starts the quota status keeper, writing through `client`; returns its stop. */
  startQuotaStatus(client: Client): () => Promise<void>;
}

export function builtinAdmission(options: { store: Store; registry: ResourceRegistry; logger: Logger }): BuiltinAdmission {
  const { store, registry, logger } = options;
  const read: NamespaceReader = (group, plural, namespace) => store.list(resourceKey(group, plural), { namespace }).items;
  // Configurations are read on every write: keep them in memory, dropped by the store's own change feed.
  const cached = new Map<string, KubeObject[]>();
  const configKinds = ['validatingwebhookconfigurations', 'mutatingwebhookconfigurations', 'validatingadmissionpolicies', 'validatingadmissionpolicybindings'].map((p) => resourceKey(admissionGroup, p));
  for (const key of configKinds) store.watch(key, store.currentRevision(), () => cached.delete(key));
  const objects: WebhookReader = {
    list: (group, plural) => {
      const key = resourceKey(group, plural);
      if (!configKinds.includes(key)) return store.list(key).items;
      let items = cached.get(key);
      if (!items) {
        items = store.list(key).items;
        cached.set(key, items);
      }
      return [...items];
    },
    get: (group, plural, namespace, name) => store.get(resourceKey(group, plural), namespace, name),
    versionsOf: (group, plural) => registry.all().filter((t) => t.group === group && t.plural === plural).map((t) => t.version),
  };
  const webhooks = new WebhookAdmission({ logger, read: objects });
  const policies = new PolicyAdmission({
    read: objects,
    resolveKind: (apiVersion, kind) => {
      const t = registry.byApiVersionKind(apiVersion, kind);
      return t ? { group: t.group, plural: t.plural, namespaced: t.namespaced } : undefined;
    },
  });
  return {
    mutating: [new LimitRanger({ read })],
    remote: webhooks,
    validating: [policies, new ResourceQuotaAdmission({ read })],
    startQuotaStatus(client) {
      const keeper = new QuotaStatusKeeper({
        read,
        logger,
        subscribe: (onChange) => store.watch(undefined, store.currentRevision(), (c) => onChange(c.object.metadata.namespace ?? '', c.resource)),
        writeStatus: (quota: KubeObject) => client.updateStatus(quota),
        namespaces: () => [...new Set(store.list(resourceKey('', 'resourcequotas')).items.map((q) => q.metadata.namespace ?? ''))],
      });
      keeper.start();
      return () => keeper.stop();
    },
  };
}
