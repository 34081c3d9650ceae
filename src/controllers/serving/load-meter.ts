// What Knative's queue-proxy reports to its autoscaler, measured at the ingress instead: per key (a revision), the
// requests in flight integrated over time (average concurrency) and the requests started (RPS), kept in small time
// buckets so any window can be read back.
export interface LoadMeterOptions {
  /** Bucket width; 100 ms unless given. */
  bucketMs?: number;
  now?: () => number;
}

interface Series {
  inFlight: number;
  /** Since when `inFlight` has held (its area up to then is in the buckets). */
  since: number;
  first: number;
  /** bucket index → [concurrency × ms, requests started]. */
  buckets: Map<number, [number, number]>;
  /** The widest window read so far: older buckets are dropped. */
  keepMs: number;
}

export interface Load {
  /** Average requests in flight over the window. */
  concurrency: number;
  /** Requests started per second over the window. */
  rps: number;
}

export class LoadMeter {
  private readonly bucketMs: number;
  private readonly now: () => number;
  private readonly series = new Map<string, Series>();

  constructor(options: LoadMeterOptions = {}) {
    this.bucketMs = options.bucketMs ?? 100;
    this.now = options.now ?? Date.now;
  }

  /** A request starts; call the returned function once when it ends. */
  start(key: string): () => void {
    const now = this.now();
    let s = this.series.get(key);
    if (!s) this.series.set(key, (s = { inFlight: 0, since: now, first: now, buckets: new Map(), keepMs: 60_000 }));
    this.advance(s, now);
    s.inFlight += 1;
    this.bucket(s, now)[1] += 1;
    const series = s;
    let ended = false;
    return () => {
      if (ended) return;
      ended = true;
      this.advance(series, this.now());
      series.inFlight -= 1;
    };
  }

  inFlight(key: string): number {
    return this.series.get(key)?.inFlight ?? 0;
  }

  /**
   * The load over the last `windowMs`, or over the time since the first request when that is shorter (as Knative
   * averages over the buckets it has); zero for a key never seen.
   */
  read(key: string, windowMs: number): Load {
    const s = this.series.get(key);
    if (!s) return { concurrency: 0, rps: 0 };
    const now = this.now();
    this.advance(s, now);
    s.keepMs = Math.max(s.keepMs, windowMs);
    const span = Math.max(this.bucketMs, Math.min(windowMs, now - s.first));
    const from = now - span;
    let area = 0;
    let started = 0;
    for (const [index, [a, n]] of s.buckets) {
      const start = index * this.bucketMs;
      const end = start + this.bucketMs;
      if (end <= from) continue;
      // A bucket cut by the window's start counts in proportion.
      const share = start >= from ? 1 : (end - from) / this.bucketMs;
      area += a * share;
      started += n * share;
    }
    return { concurrency: area / span, rps: (started * 1000) / span };
  }

  forget(prefix: string): void {
    for (const key of [...this.series.keys()]) if (key.startsWith(prefix)) this.series.delete(key);
  }

  private bucket(s: Series, at: number): [number, number] {
    const index = Math.floor(at / this.bucketMs);
    let b = s.buckets.get(index);
    if (!b) {
      s.buckets.set(index, (b = [0, 0]));
      // Buckets are made in time order: drop those older than the widest window from the front.
      const oldest = Math.floor((at - s.keepMs) / this.bucketMs) - 1;
      for (const old of s.buckets.keys()) {
        if (old >= oldest) break;
        s.buckets.delete(old);
      }
    }
    return b;
  }

  /** Adds the area of `inFlight` from `since` to `now`, split across the buckets it spans. */
  private advance(s: Series, now: number): void {
    if (s.inFlight > 0) {
      let t = s.since;
      while (t < now) {
        const end = Math.min(now, (Math.floor(t / this.bucketMs) + 1) * this.bucketMs);
        this.bucket(s, t)[0] += s.inFlight * (end - t);
        t = end;
      }
    }
    s.since = now;
  }
}
