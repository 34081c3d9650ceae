// Wiring the Greeter operator: install its CRD, and register its controller with a Manager.
import { FloeError } from '../../src/api/errors.js';
import type { Client } from '../../src/client/client.js';
import { delay, generationChanged, realClock, type Clock, type Controller, type Manager } from '../../src/controller/index.js';
import { GreeterReconciler } from './greeter-reconciler.js';
import { ConfigMapRef, greeterCrd, GreeterRef } from './greeter.js';

export interface GreeterControllerOptions {
  /** ConfigMaps per Greeter this operator agrees to make; 10 unless given. */
  maxReplicas?: number;
  /** Greeters reconciled at once; 2 unless given. */
  concurrency?: number;
}

/** Registers the `greeter` controller: Greeters are primary (spec changes only), their ConfigMaps owned. */
export function addGreeterController(manager: Manager, options: GreeterControllerOptions = {}): Controller {
  return manager
    .controller('greeter')
    .for(GreeterRef, { predicates: [generationChanged] })
    .owns(ConfigMapRef)
    .withConcurrency(options.concurrency ?? 2)
    .complete(new GreeterReconciler(options.maxReplicas === undefined ? {} : { maxReplicas: options.maxReplicas }));
}

export interface InstallOptions {
  /** Give up waiting for the API to serve Greeters after this long; 30 s unless given. */
  timeoutMs?: number;
  clock?: Clock;
}

/** Creates the Greeter CRD unless it exists, then waits until the API serves Greeters. */
export async function installGreeterCrd(client: Client, options: InstallOptions = {}): Promise<void> {
  try {
    await client.create(greeterCrd());
  } catch (err) {
    if (!(err instanceof FloeError && err.reason === 'AlreadyExists')) throw err;
  }
  const clock = options.clock ?? realClock();
  const deadline = clock.now() + (options.timeoutMs ?? 30_000);
  for (;;) {
    try {
      await client.list(GreeterRef, { limit: 1 });
      return;
    } catch (err) {
      if (!(err instanceof FloeError && err.reason === 'NotFound') || clock.now() >= deadline) throw err;
    }
    await delay(clock, 100);
  }
}
