// Per-revision request statistics behind one InferenceService, and a plain verdict on two variants (a canary split or
// an A/B test): which answers faster and which fails less, with the p-values of a Mann–Whitney U test on latency and
// a two-proportion z-test on errors. KServe has no such analysis; it reads what the ingress observed.
import { normCdf } from '../katib/algorithms/stats.js';

const Reservoir = 5000;

interface Tally {
  requests: number;
  errors: number;
  /** The most recent latencies (ms), at most Reservoir of them. */
  latencies: number[];
}

export interface VariantSummary {
  revision: string;
  requests: number;
  errors: number;
  errorRate: number;
  p50Ms: number;
  p99Ms: number;
}

export interface Comparison {
  a: string;
  b: string;
  /** P(latency differs by chance), Mann–Whitney U, two-sided. */
  latencyP: number;
  /** P(error rates differ by chance), two-proportion z-test, two-sided. */
  errorP: number;
  verdict: string;
}

const quantile = (sorted: number[], q: number): number => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;
const round = (x: number, digits = 3): number => Number(x.toFixed(digits));

/** Two-sided p-value of the Mann–Whitney U test (normal approximation, average ranks for ties). */
export function mannWhitneyP(a: readonly number[], b: readonly number[]): number {
  if (a.length === 0 || b.length === 0) return 1;
  const all = [...a.map((v) => ({ v, g: 0 })), ...b.map((v) => ({ v, g: 1 }))].sort((x, y) => x.v - y.v);
  let rankA = 0;
  for (let i = 0; i < all.length; ) {
    let j = i;
    while (j + 1 < all.length && all[j + 1]!.v === all[i]!.v) j++;
    const rank = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) if (all[k]!.g === 0) rankA += rank;
    i = j + 1;
  }
  const n1 = a.length;
  const n2 = b.length;
  const u = rankA - (n1 * (n1 + 1)) / 2;
  const sigma = Math.sqrt((n1 * n2 * (n1 + n2 + 1)) / 12);
  if (sigma === 0) return 1;
  const z = Math.abs(u - (n1 * n2) / 2) / sigma;
  return 2 * (1 - normCdf(z));
}

/** Two-sided p-value of the two-proportion z-test. */
export function twoProportionP(errorsA: number, nA: number, errorsB: number, nB: number): number {
  if (nA === 0 || nB === 0) return 1;
  const pooled = (errorsA + errorsB) / (nA + nB);
  const se = Math.sqrt(pooled * (1 - pooled) * (1 / nA + 1 / nB));
  if (se === 0) return 1;
  return 2 * (1 - normCdf(Math.abs(errorsA / nA - errorsB / nB) / se));
}

export class VariantStats {
  private readonly tallies = new Map<string, Tally>();

  record(revision: string, status: number, ms: number): void {
    const t = this.tallies.get(revision) ?? { requests: 0, errors: 0, latencies: [] };
    t.requests += 1;
    if (status >= 500) t.errors += 1;
    t.latencies.push(ms);
    if (t.latencies.length > Reservoir) t.latencies.shift();
    this.tallies.set(revision, t);
  }

  summaries(): VariantSummary[] {
    return [...this.tallies.entries()].map(([revision, t]) => {
      const sorted = [...t.latencies].sort((x, y) => x - y);
      return { revision, requests: t.requests, errors: t.errors, errorRate: round(t.errors / t.requests, 4), p50Ms: round(quantile(sorted, 0.5)), p99Ms: round(quantile(sorted, 0.99)) };
    });
  }

  /** The two busiest revisions compared; undefined with fewer than two. */
  compare(alpha = 0.05): Comparison | undefined {
    const ranked = [...this.tallies.entries()].sort((x, y) => y[1].requests - x[1].requests);
    if (ranked.length < 2) return undefined;
    const [a, ta] = ranked[0]!;
    const [b, tb] = ranked[1]!;
    const latencyP = mannWhitneyP(ta.latencies, tb.latencies);
    const errorP = twoProportionP(ta.errors, ta.requests, tb.errors, tb.requests);
    const median = (t: Tally): number => quantile([...t.latencies].sort((x, y) => x - y), 0.5);
    const parts: string[] = [];
    if (latencyP < alpha) {
      const [fast, slow, mf, ms] = median(ta) <= median(tb) ? [a, b, median(ta), median(tb)] : [b, a, median(tb), median(ta)];
      parts.push(`${fast} answers faster than ${slow} (median ${round(mf)} vs ${round(ms)} ms; p = ${round(latencyP, 4)}, confident at ${100 * (1 - alpha)}%)`);
    } else {
      parts.push(`no difference in latency that chance would not explain (p = ${round(latencyP, 4)})`);
    }
    if (errorP < alpha) {
      const [good, bad] = ta.errors / ta.requests <= tb.errors / tb.requests ? [a, b] : [b, a];
      parts.push(`${good} fails less often than ${bad} (p = ${round(errorP, 4)})`);
    } else {
      parts.push(`no difference in error rate that chance would not explain (p = ${round(errorP, 4)})`);
    }
    if (ta.requests < 30 || tb.requests < 30) parts.push('too few requests to be sure of anything (fewer than 30 on one side)');
    return { a, b, latencyP: round(latencyP, 6), errorP: round(errorP, 6), verdict: `${parts.join('; ')}.` };
  }
}
