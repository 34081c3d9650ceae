// Manager: the client, shared informers, event recorders and controllers, started and stopped as one (optionally only while leading).
import { randomUUID } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import { hostname } from 'node:os';
import type { Logger } from '../api/logger.js';
import type { Client } from '../client/client.js';
import type { Clock } from './clock.js';
import { Controller, ControllerBuilder, type ControllerMetrics } from './controller.js';
import { EventRecorder } from './event-recorder.js';
import { InformerFactory } from './informer-factory.js';
import { LeaderElector } from './leader-election.js';

/**
 * INITIALIZED: built, not started. STARTING: informers syncing. STANDBY: synced, waiting to lead.
 * RUNNING: controllers running. STOPPING: draining. STOPPED: done. FAILED: start threw.
 */
export type ManagerState = 'INITIALIZED' | 'STARTING' | 'STANDBY' | 'RUNNING' | 'STOPPING' | 'STOPPED' | 'FAILED';

export interface LeaderElectionOptions {
  /** The Lease's name, e.g. `greeter-operator`; one per operator. */
  leaseName: string;
  /** The Lease's namespace; it must exist. */
  leaseNamespace: string;
  /** Unique per replica; host name plus a random suffix unless given. */
  identity?: string;
  leaseDurationMs?: number;
  renewDeadlineMs?: number;
  retryPeriodMs?: number;
  releaseOnCancel?: boolean;
}

export interface ManagerOptions {
  client: Client;
  log: Logger;
  /** Watch only this namespace; all namespaces unless given. */
  namespace?: string;
  /** Run controllers only while holding a Lease. Off unless given. */
  leaderElection?: LeaderElectionOptions;
  /** How long in-flight reconciles may finish on shutdown before their signals abort; 30 s unless given. */
  gracefulShutdownMs?: number;
  /** `source.host` on recorded Events; the machine's host name unless given. */
  host?: string;
  clock?: Clock;
  /** Where controllers and their queues report (Prometheus in src/observability); none unless given. */
  metrics?: ControllerMetrics;
}

/**
 * Owns what controllers share and runs them. `start(signal)` starts the informers, waits for their caches,
 * then runs every controller (only while leading, when leader election is on) until `signal` aborts; then it
 * stops taking work, waits for in-flight reconciles, releases the lease, stops the watches and resolves.
 */
export class Manager {
  readonly client: Client;
  /** Shared caches: read from them in reconcilers or map functions (`informerFor(kind).list(...)`). */
  readonly informers: InformerFactory;
  private readonly log: Logger;
  private readonly options: ManagerOptions;
  private readonly controllers: Controller[] = [];
  private readonly recorders = new Map<string, EventRecorder>();
  private elector: LeaderElector | undefined;
  private current: ManagerState = 'INITIALIZED';

  constructor(options: ManagerOptions) {
    this.options = options;
    this.client = options.client;
    this.log = options.log;
    this.informers = new InformerFactory({
      client: options.client,
      ...(options.namespace === undefined ? {} : { namespace: options.namespace }),
      ...(options.clock ? { clock: options.clock } : {}),
      onError: (err, kind) => this.log.warn({ err, kind: kind.kind, apiVersion: kind.apiVersion }, 'list or watch failed; retrying'),
    });
  }

  get state(): ManagerState {
    return this.current;
  }

  /** Whether this manager's controllers may run: it leads, or leader election is off and it is running. */
  isLeader(): boolean {
    return this.elector ? this.elector.isLeader() : this.current === 'RUNNING';
  }

  /** Starts declaring a controller; `.complete(reconciler)` registers it with this manager. */
  controller(name: string): ControllerBuilder {
    return new ControllerBuilder({ name, onComplete: (c) => this.add(c) });
  }

  /** Registers a controller built elsewhere. Only before `start`. */
  add(controller: Controller): void {
    if (this.current !== 'INITIALIZED') throw new Error(`cannot add controller ${controller.name}: the manager is ${this.current}`);
    if (this.controllers.some((c) => c.name === controller.name)) throw new Error(`a controller named ${controller.name} is already registered`);
    this.controllers.push(controller);
  }

  /** The recorder whose Events say `source.component: <component>`; one per component. */
  recorderFor(component: string): EventRecorder {
    let recorder = this.recorders.get(component);
    if (!recorder) {
      recorder = new EventRecorder({
        client: this.client,
        component,
        host: this.options.host ?? hostname(),
        ...(this.options.clock ? { clock: this.options.clock } : {}),
        onError: (err) => this.log.warn({ err, component }, 'could not record an event'),
      });
      this.recorders.set(component, recorder);
    }
    return recorder;
  }

  /** Runs until `signal` aborts, then shuts down gracefully; resolves once everything has stopped. */
  async start(signal: AbortSignal): Promise<void> {
    if (this.current !== 'INITIALIZED') throw new Error(`the manager cannot start: it is ${this.current}`);
    this.current = 'STARTING';
    // Every controller and its workers listen on this one signal; more than Node's default ten is expected.
    setMaxListeners(0, signal);
    const onAbort = (): void => {
      if (this.current !== 'STOPPED' && this.current !== 'FAILED') this.current = 'STOPPING';
    };
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      for (const controller of this.controllers) controller.informers(this.informers);
      this.informers.start();
      this.log.info({ controllers: this.controllers.map((c) => c.name) }, 'waiting for caches to sync');
      if (await this.informers.waitForSync(signal)) {
        const election = this.options.leaderElection;
        if (election) await this.lead(election, signal);
        else if (!signal.aborted) {
          this.current = 'RUNNING';
          await this.runControllers(signal, undefined);
        }
      }
      this.current = 'STOPPING';
      await Promise.all([...this.recorders.values()].map((r) => r.flush()));
      await this.informers.stop();
      this.current = 'STOPPED';
      this.log.info({}, 'manager stopped');
    } catch (err) {
      this.current = 'FAILED';
      await this.informers.stop();
      throw err;
    } finally {
      signal.removeEventListener('abort', onAbort);
    }
  }

  private async lead(election: LeaderElectionOptions, signal: AbortSignal): Promise<void> {
    if (!signal.aborted) this.current = 'STANDBY';
    let running: Promise<void> | undefined;
    let term: AbortController | undefined;
    let lost: AbortController | undefined;
    const identity = election.identity ?? `${hostname()}_${randomUUID()}`;
    const log = this.log.child({ lease: `${election.leaseNamespace}/${election.leaseName}`, identity });
    this.elector = new LeaderElector({
      client: this.client,
      lease: { name: election.leaseName, namespace: election.leaseNamespace },
      identity,
      ...(election.leaseDurationMs === undefined ? {} : { leaseDurationMs: election.leaseDurationMs }),
      ...(election.renewDeadlineMs === undefined ? {} : { renewDeadlineMs: election.renewDeadlineMs }),
      ...(election.retryPeriodMs === undefined ? {} : { retryPeriodMs: election.retryPeriodMs }),
      ...(election.releaseOnCancel === undefined ? {} : { releaseOnCancel: election.releaseOnCancel }),
      ...(this.options.clock ? { clock: this.options.clock } : {}),
      onStartedLeading: () => {
        log.info({}, 'became leader; starting controllers');
        term = new AbortController();
        lost = new AbortController();
        if (!signal.aborted) this.current = 'RUNNING';
        running = this.runControllers(term.signal, lost.signal);
      },
      onStoppedLeading: async () => {
        // Shutting down: drain gracefully. Leadership lost: another replica may already lead, so stop now.
        if (signal.aborted) log.info({}, 'shutting down; stopping controllers before releasing the lease');
        else {
          log.warn({}, 'lost leadership; stopping controllers');
          lost?.abort();
        }
        this.current = signal.aborted ? 'STOPPING' : 'STANDBY';
        term?.abort();
        await running;
        running = undefined;
      },
      onNewLeader: (leader) => log.info({ leader }, 'observed a new leader'),
      onError: (err) => log.warn({ err }, 'leader election attempt failed; retrying'),
    });
    await this.elector.run(signal);
  }

  private async runControllers(signal: AbortSignal, abortReconciles: AbortSignal | undefined): Promise<void> {
    await Promise.all(
      this.controllers.map(async (controller) => {
        try {
          await controller.run(
            { informers: this.informers, client: this.client, recorder: this.recorderFor(controller.name), log: this.log.child({ controller: controller.name }), ...(this.options.clock ? { clock: this.options.clock } : {}), ...(this.options.metrics ? { metrics: this.options.metrics } : {}) },
            { signal, ...(this.options.gracefulShutdownMs === undefined ? {} : { gracefulShutdownMs: this.options.gracefulShutdownMs }), ...(abortReconciles ? { abortReconciles } : {}) },
          );
        } catch (err) {
          this.log.error({ err, controller: controller.name }, 'controller stopped with an error');
        }
      }),
    );
  }
}
