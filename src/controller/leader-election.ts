// LeaderElector: one leader among replicas, through a coordination.k8s.io/v1 Lease (client-go's algorithm).
import { FloeError } from '../api/errors.js';
import type { KubeObject } from '../api/meta.js';
import type { Client, KindRef } from '../client/client.js';
import { delay, realClock, type Clock } from './clock.js';
import { kubeMicroTime } from './conditions.js';

export const LeaseRef: KindRef = { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease' };

export interface LeaseSpec {
  holderIdentity?: string;
  leaseDurationSeconds?: number;
  acquireTime?: string;
  renewTime?: string;
  leaseTransitions?: number;
}

export interface Lease extends KubeObject {
  spec?: LeaseSpec;
}

export interface LeaderElectorOptions {
  client: Client;
  /** The Lease to hold; it is created when missing (its namespace must exist). */
  lease: { name: string; namespace: string };
  /** This candidate's identity, unique among replicas (host name plus a random suffix, say). */
  identity: string;
  /** How long a lease stays valid without renewal; 15 s unless given. Written in whole seconds. */
  leaseDurationMs?: number;
  /** How long the leader keeps trying to renew before it gives up leading; 10 s unless given. */
  renewDeadlineMs?: number;
  /** How often candidates try to acquire and the leader renews; 2 s unless given. */
  retryPeriodMs?: number;
  /** Hand the lease back on shutdown, so a successor need not wait for it to expire; true unless given. */
  releaseOnCancel?: boolean;
  clock?: Clock;
  /** Jitter source for retries; Math.random unless given. */
  random?: () => number;
  /** Called on becoming leader; `signal` aborts when leadership ends. Not awaited. */
  onStartedLeading?: (signal: AbortSignal) => void | Promise<void>;
  /** Called when leadership ends (lost, or on shutdown); awaited before the lease is released. */
  onStoppedLeading?: () => void | Promise<void>;
  /** Called when a different holder is observed. */
  onNewLeader?: (identity: string) => void;
  /** Failures the elector recovers from by retrying. */
  onError?: (err: unknown) => void;
}

/**
 * Campaigns for a Lease and keeps it. A holder's lease counts as expired when its record has not changed for
 * `leaseDurationSeconds` by this candidate's own clock (so clock skew between machines does not matter).
 * The leader renews every `retryPeriodMs`; if it cannot renew within `renewDeadlineMs` (or sees another
 * holder) it stops leading and campaigns again. `run` resolves after shutdown, with the lease released.
 */
export class LeaderElector {
  readonly identity: string;
  private readonly client: Client;
  private readonly lease: { name: string; namespace: string };
  private readonly leaseDurationMs: number;
  private readonly renewDeadlineMs: number;
  private readonly retryPeriodMs: number;
  private readonly releaseOnCancel: boolean;
  private readonly clock: Clock;
  private readonly random: () => number;
  private readonly options: LeaderElectorOptions;
  private observedRecord = '';
  private observedAt = 0;
  private observedHolder = '';
  private leading = false;
  private running = false;

  constructor(options: LeaderElectorOptions) {
    this.options = options;
    this.client = options.client;
    this.lease = options.lease;
    this.identity = options.identity;
    this.leaseDurationMs = options.leaseDurationMs ?? 15_000;
    this.renewDeadlineMs = options.renewDeadlineMs ?? 10_000;
    this.retryPeriodMs = options.retryPeriodMs ?? 2_000;
    this.releaseOnCancel = options.releaseOnCancel ?? true;
    this.clock = options.clock ?? realClock();
    this.random = options.random ?? Math.random;
    if (!this.identity) throw new RangeError('LeaderElector needs a non-empty identity');
    if (this.leaseDurationMs <= this.renewDeadlineMs) throw new RangeError('leaseDurationMs must be greater than renewDeadlineMs');
    if (this.renewDeadlineMs <= this.retryPeriodMs * 1.2) throw new RangeError('renewDeadlineMs must be greater than 1.2 × retryPeriodMs');
  }

  /** Whether this candidate holds the lease now. */
  isLeader(): boolean {
    return this.leading;
  }

  /** The holder last observed ('' when none). */
  get leader(): string {
    return this.observedHolder;
  }

  /** Campaigns, leads, and campaigns again after a loss, until `signal` aborts. */
  async run(signal: AbortSignal): Promise<void> {
    if (this.running) throw new Error(`the leader elector ${this.identity} is already running`);
    this.running = true;
    try {
      while (!signal.aborted) {
        if (!(await this.acquire(signal))) break;
        const term = new AbortController();
        this.leading = true;
        this.startLeading(term.signal);
        const outcome = await this.renew(signal);
        this.leading = false;
        term.abort();
        try {
          await this.options.onStoppedLeading?.();
        } catch (err) {
          this.options.onError?.(err);
        }
        if (outcome === 'cancelled') {
          if (this.releaseOnCancel) await this.release();
          break;
        }
      }
    } finally {
      this.leading = false;
      this.running = false;
    }
  }

  private startLeading(signal: AbortSignal): void {
    try {
      const started = this.options.onStartedLeading?.(signal);
      if (started instanceof Promise) started.catch((err: unknown) => this.options.onError?.(err));
    } catch (err) {
      this.options.onError?.(err);
    }
  }

  private async acquire(signal: AbortSignal): Promise<boolean> {
    while (!signal.aborted) {
      if (await this.attempt()) return true;
      await delay(this.clock, this.retryPeriodMs * (1 + 0.2 * this.random()), signal);
    }
    return false;
  }

  private async renew(signal: AbortSignal): Promise<'lost' | 'cancelled'> {
    let renewedAt = this.clock.now();
    for (;;) {
      if (!(await delay(this.clock, this.retryPeriodMs, signal))) return 'cancelled';
      if (await this.attempt()) {
        renewedAt = this.clock.now();
        continue;
      }
      if (signal.aborted) return 'cancelled';
      if (this.observedHolder !== this.identity || this.clock.now() - renewedAt >= this.renewDeadlineMs) return 'lost';
    }
  }

  /** One round of client-go's tryAcquireOrRenew: true when this candidate holds the lease afterwards. */
  private async attempt(): Promise<boolean> {
    try {
      return await this.tryAcquireOrRenew();
    } catch (err) {
      if (err instanceof FloeError && (err.reason === 'Conflict' || err.reason === 'AlreadyExists')) return false;
      this.options.onError?.(err);
      return false;
    }
  }

  private async tryAcquireOrRenew(): Promise<boolean> {
    const now = this.clock.now();
    const durationSeconds = Math.max(1, Math.ceil(this.leaseDurationMs / 1000));
    let lease: Lease;
    try {
      lease = await this.client.get<Lease>(LeaseRef, this.lease.name, this.lease.namespace);
    } catch (err) {
      if (!(err instanceof FloeError && err.reason === 'NotFound')) throw err;
      const spec: LeaseSpec = { holderIdentity: this.identity, leaseDurationSeconds: durationSeconds, acquireTime: kubeMicroTime(now), renewTime: kubeMicroTime(now), leaseTransitions: 0 };
      const created = await this.client.create<Lease>({ apiVersion: LeaseRef.apiVersion, kind: LeaseRef.kind, metadata: { name: this.lease.name, namespace: this.lease.namespace }, spec });
      this.observe(created.spec ?? spec, this.clock.now());
      return true;
    }
    const current = lease.spec ?? {};
    this.observe(current, now);
    const holder = current.holderIdentity ?? '';
    const validForMs = (current.leaseDurationSeconds ?? durationSeconds) * 1000;
    if (holder !== '' && holder !== this.identity && this.observedAt + validForMs > now) return false;
    const mine = holder === this.identity;
    const spec: LeaseSpec = {
      holderIdentity: this.identity,
      leaseDurationSeconds: durationSeconds,
      acquireTime: mine && current.acquireTime ? current.acquireTime : kubeMicroTime(now),
      renewTime: kubeMicroTime(now),
      leaseTransitions: mine ? (current.leaseTransitions ?? 0) : (current.leaseTransitions ?? 0) + 1,
    };
    const updated = await this.client.update<Lease>({ ...lease, spec });
    this.observe(updated.spec ?? spec, this.clock.now());
    return true;
  }

  /** Tracks when the record last changed, by this candidate's clock. */
  private observe(spec: LeaseSpec, now: number): void {
    const record = JSON.stringify([spec.holderIdentity ?? '', spec.renewTime ?? '', spec.acquireTime ?? '', spec.leaseTransitions ?? 0, spec.leaseDurationSeconds ?? 0]);
    if (record === this.observedRecord) return;
    this.observedRecord = record;
    this.observedAt = now;
    const holder = spec.holderIdentity ?? '';
    if (holder !== this.observedHolder) {
      this.observedHolder = holder;
      if (holder !== '' && holder !== this.identity) this.options.onNewLeader?.(holder);
    }
  }

  /** Gives the lease up if this candidate still holds it: no holder, a one-second duration, as client-go does. */
  private async release(): Promise<void> {
    try {
      const lease = await this.client.get<Lease>(LeaseRef, this.lease.name, this.lease.namespace);
      if ((lease.spec?.holderIdentity ?? '') !== this.identity) return;
      const now = kubeMicroTime(this.clock.now());
      const spec: LeaseSpec = { leaseDurationSeconds: 1, acquireTime: now, renewTime: now, leaseTransitions: lease.spec?.leaseTransitions ?? 0 };
      const released = await this.client.update<Lease>({ ...lease, spec });
      this.observe(released.spec ?? spec, this.clock.now());
    } catch (err) {
      this.options.onError?.(err);
    }
  }
}
