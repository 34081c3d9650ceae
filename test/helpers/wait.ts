// waitFor: poll a condition until it holds, for tests that observe asynchronous outcomes without bare sleeps.
import { setTimeout as sleep } from 'node:timers/promises';

export interface WaitOptions {
  /** A safety net against hangs, not a performance assertion. */
  timeoutMs?: number;
  intervalMs?: number;
  /** What was awaited, for the timeout message. */
  what?: string;
}

type Settled<T> = Exclude<T, undefined | null | false>;

/**
 * Calls `fn` every 20 ms until it returns something other than undefined, null or false, and returns that.
 * A throw counts as "not yet"; the last one is reported if time runs out.
 */
export async function waitFor<T>(fn: () => T | Promise<T>, options: WaitOptions = {}): Promise<Settled<T>> {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const intervalMs = options.intervalMs ?? 20;
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await fn();
      if (value !== undefined && value !== null && value !== false) return value as Settled<T>;
      lastError = undefined;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() >= deadline) {
      const why = lastError instanceof Error ? `: last error: ${lastError.message}` : '';
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${options.what ?? 'a condition'}${why}`, lastError === undefined ? undefined : { cause: lastError });
    }
    await sleep(intervalMs);
  }
}
