// The reconciler contract (controller-runtime's, in TypeScript): what a reconciler gets, returns and throws.
import type { Logger } from '../api/logger.js';
import type { Client } from '../client/client.js';
import type { EventRecorder } from './event-recorder.js';
import type { Request } from './keys.js';

/** Everything one reconcile may use. */
export interface ReconcileContext {
  /** Aborted when the manager shuts down (after a grace period) or loses leadership: pass it to long waits. */
  readonly signal: AbortSignal;
  /** Bound to the controller, the request's namespace and name, and this reconcile's id. */
  readonly log: Logger;
  readonly client: Client;
  readonly recorder: EventRecorder;
  /** Unique per reconcile, also bound into `log`. */
  readonly reconcileId: string;
}

/** Come back later: `requeueAfterMs` re-runs the request after that delay (and resets its backoff). */
export interface ReconcileResult {
  readonly requeueAfterMs?: number;
}

/**
 * Brings the world in line with one object's spec. Level-based: read the object afresh, never branch on
 * "created" versus "updated". Throw for transient failures (the queue backs off and retries); throw a
 * `TerminalError` for failures retrying cannot fix; a 409 Conflict is retried at once and logged at debug.
 */
export interface Reconciler {
  reconcile(ctx: ReconcileContext, request: Request): Promise<ReconcileResult | void>;
}

/** A reconciler written as a plain function. */
export type ReconcileFunction = Reconciler['reconcile'];

export interface TerminalErrorOptions {
  /** The Event reason recorded on the object; `ReconcileFailed` unless given. */
  reason?: string;
  cause?: unknown;
}

/**
 * A failure retrying cannot fix (the spec asks for something impossible). The controller logs it, records
 * a Warning Event on the object, and does not retry until the object changes again. Set a condition that
 * tells the user why before throwing it.
 */
export class TerminalError extends Error {
  readonly reason: string;

  constructor(message: string, options: TerminalErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'TerminalError';
    this.reason = options.reason ?? 'ReconcileFailed';
  }
}
