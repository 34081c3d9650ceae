// Keeps ResourceQuota status (hard from spec, used summed from the namespace's objects) current, embedded mode's quota controller.
import { record, sameJson } from '../api/builtin/json.js';
import type { Logger } from '../api/logger.js';
import type { KubeObject } from '../api/meta.js';
import { liveUsage, type NamespaceReader } from './resource-quota.js';
import { fromResourceList, toResourceList } from './quota-usage.js';

export interface QuotaStatusKeeperOptions {
  read: NamespaceReader;
  /** Calls `onChange(namespace, resource)` after every committed change; returns the unsubscribe function. */
  subscribe: (onChange: (namespace: string, resource: string) => void) => () => void;
  /** Writes a quota's status (through the API handler chain, as a system identity). */
  writeStatus: (quota: KubeObject) => Promise<unknown>;
  /** Namespaces to look at once at start. */
  namespaces: () => string[];
  logger: Logger;
  now?: () => number;
}

/**
 * kube-controller-manager's resource-quota controller, event driven: any change in a namespace that has quotas
 * recomputes them (batched per tick); a quota whose status differs gets one status write. Also a slow resync, for Pods
 * whose deletion grace period ran out without a change.
 */
export class QuotaStatusKeeper {
  private readonly options: QuotaStatusKeeperOptions;
  private readonly dirty = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private resync: NodeJS.Timeout | undefined;
  private unsubscribe: (() => void) | undefined;
  private running: Promise<void> = Promise.resolve();

  constructor(options: QuotaStatusKeeperOptions) {
    this.options = options;
  }

  start(): void {
    // Namespaces that have quotas, so a write elsewhere costs one set lookup.
    const withQuotas = new Set(this.options.namespaces());
    this.unsubscribe = this.options.subscribe((namespace, resource) => {
      if (!namespace) return;
      if (resource === '/resourcequotas') {
        if (this.options.read('', 'resourcequotas', namespace).length > 0) withQuotas.add(namespace);
        else withQuotas.delete(namespace);
      } else if (!withQuotas.has(namespace)) {
        return;
      }
      this.mark(namespace);
    });
    for (const ns of withQuotas) this.mark(ns);
    this.resync = setInterval(() => {
      for (const ns of this.options.namespaces()) this.mark(ns);
    }, 30_000);
    this.resync.unref();
  }

  async stop(): Promise<void> {
    this.unsubscribe?.();
    if (this.timer) clearTimeout(this.timer);
    if (this.resync) clearInterval(this.resync);
    this.timer = undefined;
    await this.running;
  }

  /** Resolves once every namespace marked so far has been recomputed (tests). */
  async settled(): Promise<void> {
    while (this.dirty.size > 0 || this.timer) await new Promise((r) => setTimeout(r, 10));
    await this.running;
  }

  private mark(namespace: string): void {
    this.dirty.add(namespace);
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      const namespaces = [...this.dirty];
      this.dirty.clear();
      this.running = this.running.then(() => this.recompute(namespaces));
    }, 5);
  }

  private async recompute(namespaces: string[]): Promise<void> {
    const now = (this.options.now ?? Date.now)();
    for (const namespace of namespaces) {
      for (const quota of this.options.read('', 'resourcequotas', namespace)) {
        const hard = record(record(quota.spec).hard);
        const status = { hard: toResourceList(fromResourceList(hard)), used: toResourceList(liveUsage(quota, this.options.read, now)) };
        if (sameJson(quota.status, status)) continue;
        try {
          await this.options.writeStatus({ ...quota, status });
        } catch (err) {
          // A conflict or a deleted quota: the change that caused it marks the namespace again.
          this.options.logger.debug({ err, quota: quota.metadata.name, namespace }, 'quota status write failed');
          this.markLater(namespace);
        }
      }
    }
  }

  private markLater(namespace: string): void {
    const t = setTimeout(() => this.mark(namespace), 500);
    t.unref();
  }
}
