// Live data: poll while the page is visible, keep the last good answer and show the error beside it.
import { useCallback, useEffect, useRef, useState } from 'react';

export interface Polled<T> {
  data: T | undefined;
  error: string | undefined;
  loading: boolean;
  reload: () => void;
}

export function usePoll<T>(load: () => Promise<T>, deps: readonly unknown[], intervalMs = 2000): Polled<T> {
  const [data, setData] = useState<T>();
  const [error, setError] = useState<string>();
  const [loading, setLoading] = useState(true);
  const [tick, setTick] = useState(0);
  const loadRef = useRef(load);
  loadRef.current = load;
  const depsKey = JSON.stringify(deps);
  const lastKey = useRef(depsKey);
  useEffect(() => {
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    if (lastKey.current !== depsKey) {
      lastKey.current = depsKey;
      setData(undefined);
      setLoading(true);
    }
    const run = async () => {
      try {
        const value = await loadRef.current();
        if (stopped) return;
        setData(value);
        setError(undefined);
      } catch (err) {
        if (stopped) return;
        setError(err instanceof Error ? err.message : String(err));
      } finally {
        if (!stopped) setLoading(false);
      }
      if (!stopped && intervalMs > 0) timer = setTimeout(() => void run(), document.hidden ? intervalMs * 5 : intervalMs);
    };
    void run();
    return () => {
      stopped = true;
      if (timer) clearTimeout(timer);
    };
  }, [depsKey, tick, intervalMs]);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  return { data, error, loading, reload };
}
