// Replica autoscaling of predictor revisions as Knative's pod autoscaler (KPA) decides it, without Knative: the load
// the ingress measured per revision (concurrency or requests per second, averaged over a stable and a panic window),
// the target per replica, and the clamps (min/max, scale-down rate, scale-down delay, panic mode). Pure: the caller
// brings the clock and the measurements.
import type { InferenceService, PredictorSpec } from './types.js';

/** Knative's per-revision annotations, read from the InferenceService's metadata and from `predictor.annotations`. */
export const KnativeAnnotations = {
  target: 'autoscaling.knative.dev/target',
  metric: 'autoscaling.knative.dev/metric',
  window: 'autoscaling.knative.dev/window',
  panicWindowPercentage: 'autoscaling.knative.dev/panic-window-percentage',
  panicThresholdPercentage: 'autoscaling.knative.dev/panic-threshold-percentage',
  targetUtilizationPercentage: 'autoscaling.knative.dev/target-utilization-percentage',
  scaleDownDelay: 'autoscaling.knative.dev/scale-down-delay',
} as const;

export type ScaleMetric = 'concurrency' | 'rps';

export interface ScaleSettings {
  metric: ScaleMetric;
  /** Per replica, before utilization. */
  target: number;
  /** 0 < u ≤ 1: the share of the target Knative aims at (70% unless given). */
  utilization: number;
  min: number;
  max: number;
  stableWindowMs: number;
  panicWindowMs: number;
  /** Panic when the panic-window recommendation is this many times the ready replicas (2 = 200%). */
  panicThreshold: number;
  scaleDownDelayMs: number;
  /** At most this factor down per decision (Knative's max-scale-down-rate, 2). */
  maxScaleDownRate: number;
  /** At most this factor up per decision (Knative's max-scale-up-rate, 1000). */
  maxScaleUpRate: number;
}

/** Knative's defaults: concurrency target 100, rps target 200, 70% utilization, 60 s window, 10% panic window, 200%. */
export const KnativeDefaults = { concurrencyTarget: 100, rpsTarget: 200, utilization: 0.7, stableWindowMs: 60_000, panicWindowPercentage: 10, panicThreshold: 2, scaleDownDelayMs: 0 } as const;

/** "60s", "1m30s", "500ms", "2h" or a bare number of seconds → milliseconds; undefined if it does not parse. */
export function parseDuration(text: string | undefined): number | undefined {
  if (text === undefined || text.trim() === '') return undefined;
  if (/^\d+(\.\d+)?$/.test(text.trim())) return Number(text) * 1000;
  const units: Record<string, number> = { h: 3_600_000, m: 60_000, s: 1000, ms: 1 };
  let total = 0;
  let rest = text.trim();
  while (rest.length > 0) {
    const m = /^(\d+(?:\.\d+)?)(ms|h|m|s)/.exec(rest);
    if (!m) return undefined;
    total += Number(m[1]) * units[m[2]!]!;
    rest = rest.slice(m[0].length);
  }
  return total;
}

const positive = (text: string | undefined): number | undefined => {
  const n = text === undefined ? NaN : Number(text);
  return Number.isFinite(n) && n > 0 ? n : undefined;
};

/**
 * A predictor's scaling settings as KServe hands them to Knative: `minReplicas` (1 unless given; 0 is scale to zero,
 * handled elsewhere, and counts as 1 here), `maxReplicas` (0 or unset is unbounded in Knative; here `hostCap`, since
 * every replica is a process on this machine), `scaleMetric` and `scaleTarget`, else the Knative annotations.
 */
export function scaleSettings(isvc: InferenceService, predictor: PredictorSpec, hostCap: number): ScaleSettings {
  const annotations = { ...(isvc.metadata.annotations ?? {}), ...(predictor.annotations ?? {}) };
  const metricText = predictor.scaleMetric ?? annotations[KnativeAnnotations.metric];
  const metric: ScaleMetric = metricText === 'rps' ? 'rps' : 'concurrency';
  const target = predictor.scaleTarget !== undefined && predictor.scaleTarget > 0 ? predictor.scaleTarget : (positive(annotations[KnativeAnnotations.target]) ?? (metric === 'rps' ? KnativeDefaults.rpsTarget : KnativeDefaults.concurrencyTarget));
  const utilization = Math.min(1, (positive(annotations[KnativeAnnotations.targetUtilizationPercentage]) ?? KnativeDefaults.utilization * 100) / 100);
  const min = Math.max(1, predictor.minReplicas ?? 1);
  const max = Math.max(min, predictor.maxReplicas !== undefined && predictor.maxReplicas > 0 ? predictor.maxReplicas : Math.max(min, hostCap));
  const stableWindowMs = parseDuration(annotations[KnativeAnnotations.window]) ?? KnativeDefaults.stableWindowMs;
  const panicPercent = positive(annotations[KnativeAnnotations.panicWindowPercentage]) ?? KnativeDefaults.panicWindowPercentage;
  return {
    metric,
    target,
    utilization,
    min,
    max,
    stableWindowMs,
    panicWindowMs: Math.max(100, Math.min(stableWindowMs, (stableWindowMs * panicPercent) / 100)),
    panicThreshold: (positive(annotations[KnativeAnnotations.panicThresholdPercentage]) ?? KnativeDefaults.panicThreshold * 100) / 100,
    scaleDownDelayMs: parseDuration(annotations[KnativeAnnotations.scaleDownDelay]) ?? KnativeDefaults.scaleDownDelayMs,
    maxScaleDownRate: 2,
    maxScaleUpRate: 1000,
  };
}

/** What the autoscaler remembers of one revision between decisions. */
export interface ScaleState {
  /** When panic mode began (or was last extended); absent outside panic. */
  panicSince?: number;
  /** The highest count decided during this panic: panic never scales down. */
  panicPods: number;
  /** Recent recommendations, for the scale-down delay (the highest one within the delay wins). */
  recent: { at: number; pods: number }[];
}

export const freshScaleState = (): ScaleState => ({ panicPods: 0, recent: [] });

export interface Observation {
  /** The revision's total load averaged over the stable window and over the panic window (all replicas together). */
  stable: number;
  panic: number;
  /** Replicas now ready to take requests. */
  ready: number;
}

export interface Decision {
  desired: number;
  panic: boolean;
  state: ScaleState;
}

/** One decision, as Knative's autoscaler makes it on each tick. */
export function decide(settings: ScaleSettings, seen: Observation, state: ScaleState, now: number): Decision {
  const perReplica = settings.target * settings.utilization;
  const ready = Math.max(1, seen.ready);
  const most = Math.ceil(settings.maxScaleUpRate * ready);
  const least = Math.floor(ready / settings.maxScaleDownRate);
  const clampRate = (n: number): number => Math.min(most, Math.max(least, n));
  const stablePods = clampRate(Math.ceil(seen.stable / perReplica));
  const panicPods = clampRate(Math.ceil(seen.panic / perReplica));
  const next: ScaleState = { panicPods: state.panicPods, recent: state.recent.filter((r) => now - r.at < settings.scaleDownDelayMs) };
  const overThreshold = panicPods / ready >= settings.panicThreshold;
  if (overThreshold) next.panicSince = now;
  else if (state.panicSince !== undefined && now - state.panicSince < settings.stableWindowMs) next.panicSince = state.panicSince;
  let pods: number;
  if (next.panicSince !== undefined) {
    pods = Math.max(panicPods, stablePods, state.panicSince !== undefined ? state.panicPods : ready);
    next.panicPods = pods;
  } else {
    pods = stablePods;
    next.panicPods = 0;
  }
  // The scale-down delay: keep the highest recommendation of the last `scaleDownDelay`.
  if (settings.scaleDownDelayMs > 0) {
    next.recent.push({ at: now, pods });
    pods = Math.max(...next.recent.map((r) => r.pods));
  }
  return { desired: Math.min(settings.max, Math.max(settings.min, pods)), panic: next.panicSince !== undefined, state: next };
}
