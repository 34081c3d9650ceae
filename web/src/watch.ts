// Live lists by Kubernetes watch: one list, then a watch stream from its resourceVersion (the API server's own
// newline-delimited JSON events), so a page changes the moment an object does instead of on the next poll. The stream
// reopens where it ended (watches time out) and relists after 410 Gone; polling stays the fallback where no stream opens.
import { useEffect, useState } from 'react';
import { ApiError, getJson, kubePath, request, type KubeObject } from './api.js';
import type { Polled } from './hooks.js';

interface WatchEvent<T> {
  type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';
  object: T & { code?: number; message?: string };
}

const key = (o: KubeObject) => `${o.metadata.namespace ?? ''}/${o.metadata.name}`;

/** Reads a watch response line by line; resolves when the server ends it, rejects on an ERROR event (410: relist). */
async function follow<T extends KubeObject>(res: Response, apply: (e: WatchEvent<T>) => void, signal: AbortSignal): Promise<string | undefined> {
  const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  let version: string | undefined;
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done || signal.aborted) return version;
      buffer += value;
      let nl: number;
      while ((nl = buffer.indexOf('\n')) !== -1) {
        const line = buffer.slice(0, nl).trim();
        buffer = buffer.slice(nl + 1);
        if (!line) continue;
        const event = JSON.parse(line) as WatchEvent<T>;
        if (event.type === 'ERROR') throw new ApiError(event.object.code ?? 500, event.object.message ?? 'watch error');
        version = (event.object.metadata as { resourceVersion?: string } | undefined)?.resourceVersion ?? version;
        if (event.type !== 'BOOKMARK') apply(event);
      }
    }
  } finally {
    reader.releaseLock();
  }
}

/**
 * A namespace's objects of one kind, kept current by a watch. `query`: a label or field selector
 * (`labelSelector=…`). `served` is false where the kind is not served (404), as kubeListOptional says.
 */
export function useWatchList<T extends KubeObject>(apiVersion: string, plural: string, namespace: string, query = ''): Polled<{ items: T[]; served: boolean }> {
  const [data, setData] = useState<{ items: T[]; served: boolean }>();
  const [error, setError] = useState<string>();
  const [tick, setTick] = useState(0);
  useEffect(() => {
    const abort = new AbortController();
    const path = kubePath(apiVersion, plural, namespace);
    setData(undefined);
    const run = async () => {
      let backoff = 500;
      while (!abort.signal.aborted) {
        try {
          const list = await getJson<{ items?: T[]; metadata?: { resourceVersion?: string } }>(`${path}${query ? `?${query}` : ''}`);
          const objects = new Map((list.items ?? []).map((o) => [key(o), o]));
          const publish = () => setData({ items: [...objects.values()], served: true });
          publish();
          setError(undefined);
          let version = list.metadata?.resourceVersion;
          // Reopen the watch where the last one ended, until an error asks for a fresh list.
          while (!abort.signal.aborted) {
            const q = new URLSearchParams(query);
            q.set('watch', '1');
            q.set('allowWatchBookmarks', 'true');
            if (version) q.set('resourceVersion', version);
            const res = await request(`${path}?${q.toString()}`, { signal: abort.signal });
            version =
              (await follow<T>(
                res,
                (e) => {
                  if (e.type === 'DELETED') objects.delete(key(e.object));
                  else objects.set(key(e.object), e.object);
                  publish();
                },
                abort.signal,
              )) ?? version;
            backoff = 500;
          }
        } catch (err) {
          if (abort.signal.aborted) return;
          if (err instanceof ApiError && err.status === 404) {
            setData({ items: [], served: false });
            return;
          }
          if (!(err instanceof ApiError && err.status === 410)) setError(err instanceof Error ? err.message : String(err));
          await new Promise((r) => setTimeout(r, backoff));
          backoff = Math.min(backoff * 2, 10_000);
        }
      }
    };
    void run();
    return () => abort.abort();
  }, [apiVersion, plural, namespace, query, tick]);
  return { data, error, loading: data === undefined && error === undefined, reload: () => setTick((t) => t + 1) };
}

/** One object kept current by a watch (a list narrowed to its name); `error` says when it does not exist. */
export function useWatchObject<T extends KubeObject>(apiVersion: string, plural: string, namespace: string, name: string): Polled<T> {
  const list = useWatchList<T>(apiVersion, plural, namespace, `fieldSelector=${encodeURIComponent(`metadata.name=${name}`)}`);
  const object = list.data?.items.find((o) => o.metadata.name === name);
  const missing = list.data && !object ? `${plural} "${name}" not found in ${namespace}` : undefined;
  return { data: object, error: list.error ?? missing, loading: list.loading, reload: list.reload };
}
