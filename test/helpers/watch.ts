// Watch helpers for tests: take the next events of a stream, with a safety timeout, without ending the stream.
import type { KubeObject, WatchEvent } from '../../src/api/meta.js';
import type { WatchStream } from '../../src/client/client.js';

export interface TakeOptions {
  timeoutMs?: number;
  /** Keep BOOKMARK events instead of skipping them. */
  bookmarks?: boolean;
  /** Keep events about kube-root-ca.crt, which kube-controller-manager publishes in every namespace. */
  system?: boolean;
}

/** The next `count` events (bookmarks skipped). Reads with next(), so the stream stays open for more. */
export async function takeEvents<T extends KubeObject>(stream: WatchStream<T>, count: number, options: TakeOptions = {}): Promise<WatchEvent<T>[]> {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const iterator = stream[Symbol.asyncIterator]();
  const out: WatchEvent<T>[] = [];
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms waiting for ${count} watch events; got ${JSON.stringify(summary(out))}`)), timeoutMs);
  });
  deadline.catch(() => undefined);
  try {
    while (out.length < count) {
      const next = await Promise.race([iterator.next(), deadline]);
      if (next.done) throw new Error(`the watch ended after ${out.length} of ${count} events: ${JSON.stringify(summary(out))}`);
      if (next.value.type === 'BOOKMARK' && !options.bookmarks) continue;
      if (next.value.object.metadata?.name === 'kube-root-ca.crt' && !options.system) continue;
      out.push(next.value);
    }
  } finally {
    clearTimeout(timer);
  }
  return out;
}

/** `[type, name]` pairs: what a test compares. */
export function summary(events: WatchEvent[]): [string, string][] {
  return events.map((e) => [e.type, e.object.metadata.name ?? '']);
}
