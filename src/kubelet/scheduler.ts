// The one-node scheduler: binds Pods with an empty nodeName that fit, gangs all-or-nothing; says why the rest wait.
import { FloeError } from '../api/errors.js';
import type { Logger } from '../api/logger.js';
import type { Client } from '../client/client.js';
import type { EventRecorder } from './events.js';
import type { Informer } from './informer.js';
import { podRequests } from './resources.js';
import { fitsNode, gangOf, planGang, reserve, schedulingOrder, unschedulableMessage, type NodeUsage } from './scheduling.js';
import { isTerminal, type Node, type Pod, type PodCondition } from './types.js';

export interface SchedulerOptions {
  client: Client;
  nodeName: string;
  pods: Informer<Pod>;
  nodes: Informer<Node>;
  events: EventRecorder;
  logger: Logger;
  resyncMs: number;
}

function isOurs(pod: Pod): boolean {
  const name = pod.spec.schedulerName;
  return name === undefined || name === '' || name === 'default-scheduler';
}

export class Scheduler {
  private readonly client: Client;
  private readonly nodeName: string;
  private readonly pods: Informer<Pod>;
  private readonly nodes: Informer<Node>;
  private readonly events: EventRecorder;
  private readonly log: Logger;
  private readonly resyncMs: number;
  /** Pods bound by this scheduler whose binding the cache has not shown yet (kube-scheduler's "assumed" pods). */
  private readonly assumed = new Map<string, Pod>();
  private running: Promise<void> | undefined;
  private again = false;
  private stopped = false;
  private timer: NodeJS.Immediate | undefined;
  private resync: NodeJS.Timeout | undefined;

  constructor(options: SchedulerOptions) {
    this.client = options.client;
    this.nodeName = options.nodeName;
    this.pods = options.pods;
    this.nodes = options.nodes;
    this.events = options.events;
    this.log = options.logger.child({ component: 'scheduler' });
    this.resyncMs = options.resyncMs;
  }

  start(): void {
    this.pods.onEvent(() => this.trigger());
    this.nodes.onEvent(() => this.trigger());
    this.resync = setInterval(() => this.trigger(), this.resyncMs);
    this.resync.unref();
    this.trigger();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearImmediate(this.timer);
    clearInterval(this.resync);
    await this.running;
  }

  /**
   * Coalesces the events of one turn of the event loop into one pass, and those that arrive during a pass into the
   * next. No timer: a wait here is on every Pod's path from created to running (a 10 ms one was a sixth of a pipeline
   * step's time on the warm executor).
   */
  trigger(): void {
    if (this.stopped || this.timer) return;
    this.timer = setImmediate(() => {
      this.timer = undefined;
      if (this.running) {
        this.again = true;
        return;
      }
      this.running = this.pass()
        .catch((err: unknown) => this.log.warn({ err }, 'scheduling pass failed'))
        .finally(() => {
          this.running = undefined;
          if (this.again) {
            this.again = false;
            this.trigger();
          }
        });
    });
  }

  private async pass(): Promise<void> {
    const node = this.nodes.get(undefined, this.nodeName);
    if (!node) return;
    const all = this.pods.list();
    for (const uid of [...this.assumed.keys()]) {
      const cached = all.find((p) => p.metadata.uid === uid);
      if (!cached || cached.spec.nodeName) this.assumed.delete(uid);
    }
    const usage: NodeUsage = { requested: {}, pods: 0 };
    const boundByGang = new Map<string, number>();
    for (const pod of all) {
      const assumed = this.assumed.get(pod.metadata.uid ?? '');
      const nodeName = assumed?.spec.nodeName ?? pod.spec.nodeName;
      if (nodeName !== this.nodeName || isTerminal(pod)) continue;
      reserve(usage, pod);
      const gang = gangOf(pod);
      if (gang) {
        const key = `${pod.metadata.namespace ?? ''}/${gang.name}`;
        boundByGang.set(key, (boundByGang.get(key) ?? 0) + 1);
      }
    }
    const pending = all
      .filter((p) => !p.spec.nodeName && !this.assumed.has(p.metadata.uid ?? '') && isOurs(p) && !p.metadata.deletionTimestamp && !isTerminal(p))
      .sort(schedulingOrder);
    const gangsDone = new Set<string>();
    for (const pod of pending) {
      if (this.stopped) return;
      const gang = gangOf(pod);
      if (!gang) {
        const fit = fitsNode(pod, node, usage);
        if (fit.fits) {
          if (await this.bind(pod)) reserve(usage, pod);
        } else {
          await this.unschedulable(pod, unschedulableMessage(fit.reasons));
        }
        continue;
      }
      const key = `${pod.metadata.namespace ?? ''}/${gang.name}`;
      if (gangsDone.has(key)) continue;
      gangsDone.add(key);
      const members = pending.filter((p) => p.metadata.namespace === pod.metadata.namespace && gangOf(p)?.name === gang.name);
      const minAvailable = Math.max(...members.map((p) => gangOf(p)?.minAvailable ?? 1));
      const plan = planGang({ name: gang.name, minAvailable }, members, boundByGang.get(key) ?? 0, node, usage);
      if (plan.bind) {
        for (const member of members) if (await this.bind(member)) reserve(usage, member);
      } else {
        for (const member of members) await this.unschedulable(member, plan.message);
      }
    }
  }

  private async bind(pod: Pod): Promise<boolean> {
    try {
      const bound = await this.client.update<Pod>({ ...pod, spec: { ...pod.spec, nodeName: this.nodeName } });
      this.assumed.set(pod.metadata.uid ?? '', bound);
      this.log.debug({ pod: `${pod.metadata.namespace ?? ''}/${pod.metadata.name ?? ''}`, requests: podRequests(pod.spec) }, 'bound pod');
      this.events.record(bound, 'Normal', 'Scheduled', `Successfully assigned ${pod.metadata.namespace ?? ''}/${pod.metadata.name ?? ''} to ${this.nodeName}`);
      return true;
    } catch (err) {
      if (err instanceof FloeError && (err.reason === 'Conflict' || err.reason === 'NotFound')) return false;
      throw err;
    }
  }

  private async unschedulable(pod: Pod, message: string): Promise<void> {
    const existing = pod.status?.conditions?.find((c) => c.type === 'PodScheduled');
    if (existing?.status === 'False' && existing.reason === 'Unschedulable' && existing.message === message) return;
    const condition: PodCondition = {
      type: 'PodScheduled',
      status: 'False',
      reason: 'Unschedulable',
      message,
      lastProbeTime: null,
      lastTransitionTime: existing?.status === 'False' && existing.lastTransitionTime ? existing.lastTransitionTime : new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    };
    const conditions = [...(pod.status?.conditions ?? []).filter((c) => c.type !== 'PodScheduled'), condition];
    try {
      await this.client.updateStatus<Pod>({ ...pod, status: { ...(pod.status ?? {}), phase: 'Pending', conditions } });
    } catch (err) {
      if (err instanceof FloeError && (err.reason === 'Conflict' || err.reason === 'NotFound')) return;
      throw err;
    }
    this.events.record(pod, 'Warning', 'FailedScheduling', message);
  }
}
