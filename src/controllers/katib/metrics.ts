// Parsing metrics out of what trials write: text lines in Katib's `name=value` format (or custom two-group regexes),
// JSON lines, and the observation per metric strategy (min / max / latest).
import { compileRe2 } from '../../api/schema/index.js';
import type { Metric } from './types.js';

/** Katib's default filter (pkg/metricscollector/v1beta1/common/const.go). */
export const DefaultMetricsFormat = String.raw`([\w|-]+)\s*=\s*([+-]?\d*(\.\d+)?([Ee][+-]?\d+)?)`;

export interface MetricLog {
  name: string;
  value: number;
  /** RFC 3339; when the source gives none, when it was read. */
  timeStamp: string;
}

const rfc3339 = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2}))\s*/;

/** Metric lines of text output; only `names` are kept; a line may start with an RFC 3339 timestamp. */
export function parseText(text: string, names: readonly string[], formats: readonly string[] = [], now = new Date().toISOString()): MetricLog[] {
  // Go's regexp (RE2), as Katib's collector runs them: linear time, so a user's pattern cannot stall the controller.
  const patterns = (formats.length > 0 ? formats : [DefaultMetricsFormat]).flatMap((f) => {
    const compiled = compileRe2(f);
    return 'error' in compiled ? [] : [compiled];
  });
  const out: MetricLog[] = [];
  for (const raw of text.split('\n')) {
    const stamp = rfc3339.exec(raw);
    const line = stamp ? raw.slice(stamp[0].length) : raw;
    const timeStamp = stamp ? new Date(stamp[1]!).toISOString() : now;
    for (const pattern of patterns) {
      for (const m of pattern.matchAll(line)) {
        const name = m[1]?.trim() ?? '';
        const value = Number(m[2]);
        if (names.includes(name) && m[2] !== undefined && m[2] !== '' && Number.isFinite(value)) out.push({ name, value, timeStamp });
      }
    }
  }
  return out;
}

/** One JSON object per line, metric names as keys and an optional `timestamp` (seconds or RFC 3339). */
export function parseJsonLines(text: string, names: readonly string[], now = new Date().toISOString()): MetricLog[] {
  const out: MetricLog[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim().startsWith('{')) continue;
    let record: Record<string, unknown>;
    try {
      record = JSON.parse(line) as Record<string, unknown>;
    } catch {
      continue;
    }
    const ts = record['timestamp'];
    const timeStamp = typeof ts === 'number' ? new Date(ts * 1000).toISOString() : typeof ts === 'string' && !Number.isNaN(Date.parse(ts)) ? new Date(ts).toISOString() : now;
    for (const name of names) {
      const value = Number(record[name]);
      if (record[name] !== undefined && record[name] !== '' && Number.isFinite(value)) out.push({ name, value, timeStamp });
    }
  }
  return out;
}

export type Strategy = 'min' | 'max' | 'latest';

/** Trial.status.observation.metrics: min, max and latest of each metric that was reported. */
export function summarize(logs: readonly MetricLog[], names: readonly string[]): Metric[] {
  const out: Metric[] = [];
  for (const name of names) {
    const values = logs.filter((l) => l.name === name).map((l) => l.value);
    if (values.length === 0) continue;
    out.push({ name, min: String(Math.min(...values)), max: String(Math.max(...values)), latest: String(values[values.length - 1]) });
  }
  return out;
}

/** The value a metric strategy picks from an observation (falling back to latest, as Katib does). */
export function strategyValue(metrics: readonly Metric[] | undefined, name: string, strategy: Strategy): number | undefined {
  const m = metrics?.find((x) => x.name === name);
  if (!m) return undefined;
  const pick = Number(m[strategy]);
  if (Number.isFinite(pick)) return pick;
  const latest = Number(m.latest);
  return Number.isFinite(latest) ? latest : undefined;
}
