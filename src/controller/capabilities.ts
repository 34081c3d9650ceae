// Starting a list of capabilities in one mode: CRDs first, then defaults, then each capability in order, then the manager.
import { FloeError } from '../api/errors.js';
import type { AdmissionPlugin, Capability, CapabilityContext, CapabilityMode, Route } from './capability.js';
import { installCrds } from './install-crds.js';
import type { Manager } from './manager.js';

/** The capabilities of a list that run in a mode, in list order. */
export function capabilitiesFor(mode: CapabilityMode, list: readonly Capability[]): Capability[] {
  const names = new Set<string>();
  for (const c of list) {
    if (names.has(c.name)) throw new Error(`two capabilities are named ${c.name}`);
    names.add(c.name);
  }
  return list.filter((c) => c.modes.includes(mode));
}

/** Every capability's admission plug-ins, in list order (the order webhooks are called upstream). */
export function admissionOf(list: readonly Capability[]): AdmissionPlugin[] {
  return list.flatMap((c) => [...(c.admission ?? [])]);
}

export interface RunningCapabilities {
  routes: Route[];
  /** Stops the manager (its controllers), then closes each capability, last started first. */
  stop(): Promise<void>;
  /** Settles when the manager stops on its own (or when `stop` has run). */
  done: Promise<void>;
}

/**
 * Installs every capability's CRDs and defaults, starts each capability (it adds its controllers to the manager),
 * then starts the manager. A capability that fails to start closes the ones started before it.
 */
export async function startCapabilities(list: readonly Capability[], ctx: Omit<CapabilityContext, 'manager'>, manager: Manager): Promise<RunningCapabilities> {
  for (const capability of list) {
    const crds = capability.crds?.() ?? [];
    if (crds.length > 0) await installCrds(ctx.client, crds);
  }
  for (const capability of list) {
    for (const object of capability.defaults?.({ pythonDir: ctx.pythonDir }) ?? []) {
      try {
        await ctx.client.create(object);
      } catch (err) {
        // Kept as the user left it.
        if (!(err instanceof FloeError && err.reason === 'AlreadyExists')) throw err;
      }
    }
  }
  const closers: { name: string; close(): Promise<void> }[] = [];
  const routes: Route[] = [];
  const closeAll = async (): Promise<void> => {
    for (const c of closers.reverse()) {
      try {
        await c.close();
      } catch (err) {
        ctx.logger.error({ err, capability: c.name }, 'a capability did not close cleanly');
      }
    }
    closers.length = 0;
  };
  for (const capability of list) {
    const missing = (capability.needs ?? []).filter((need) => (need === 'podLogs' ? !ctx.node : !ctx.node?.volumeDir));
    if (missing.length > 0) ctx.logger.warn({ capability: capability.name, missing, mode: ctx.mode }, 'the node runtime of this mode lacks what some features of this capability need; they stay off');
  }
  try {
    for (const capability of list) {
      const started = await capability.start({ ...ctx, manager, logger: ctx.logger.child({ capability: capability.name }) });
      routes.push(...(started.routes ?? []));
      if (started.close) closers.push({ name: capability.name, close: () => started.close?.() ?? Promise.resolve() });
    }
  } catch (err) {
    await closeAll();
    throw err;
  }
  const abort = new AbortController();
  const done = manager.start(abort.signal);
  let stopped: Promise<void> | undefined;
  return {
    routes,
    done,
    stop() {
      stopped ??= (async () => {
        abort.abort();
        await done;
        await closeAll();
      })();
      return stopped;
    },
  };
}
