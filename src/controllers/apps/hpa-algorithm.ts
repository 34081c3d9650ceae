// The HorizontalPodAutoscaler's arithmetic, as kube-controller-manager's podautoscaler (replica_calculator.go,
// horizontal.go): usage ratio with tolerance, missing and unready Pods, stabilization windows, scaling policies.
// Pure functions over plain numbers; the controller feeds them measurements.

export const DefaultTolerance = 0.1;
/** --horizontal-pod-autoscaler-downscale-stabilization's default. */
export const DefaultDownscaleStabilizationSeconds = 300;

export interface PodSample {
  name: string;
  /** The measured value (CPU cores, memory bytes), summed over the Pod's (selected) containers; undefined = no metric. */
  value: number | undefined;
  /** The summed request for Utilization targets (0 when a container has none). */
  request: number;
  /** Counted as unready (CPU: not Ready yet); its metric is ignored when scaling up. */
  unready: boolean;
  /** Failed or being deleted: ignored altogether. */
  ignored: boolean;
}

export interface ReplicaResult {
  replicas: number;
  /** Utilization percent (Utilization targets) of the Pods with metrics. */
  utilization?: number;
  /** Average value per Pod with metrics. */
  average: number;
}

/**
 * GetResourceReplicas / GetRawResourceReplicas: `target` is a utilization percent (`utilization` true) or an average
 * value per Pod. Within tolerance ⇒ current; missing Pods count as 100% (scale down) or 0 (scale up); unready Pods count
 * as 0 when scaling up; a correction that flips the direction keeps the current count.
 */
export function resourceReplicas(current: number, samples: readonly PodSample[], target: number, utilization: boolean, tolerance = DefaultTolerance): ReplicaResult {
  const live = samples.filter((s) => !s.ignored);
  const measured = live.filter((s) => s.value !== undefined && !s.unready);
  const missing = live.filter((s) => s.value === undefined);
  const unready = live.filter((s) => s.value !== undefined && s.unready);
  if (measured.length === 0 && unready.length === 0) throw new Error('did not receive metrics for targeted pods (pods might be unready)');
  if (measured.length === 0) throw new Error('no ready pods with metrics');
  const ratioOf = (set: readonly { value: number; request: number }[]): { ratio: number; utilization?: number; average: number } => {
    const total = set.reduce((n, s) => n + s.value, 0);
    const average = total / set.length;
    if (!utilization) return { ratio: average / target, average };
    const requests = set.reduce((n, s) => n + s.request, 0);
    if (requests <= 0) throw new Error('missing request for resource');
    const pct = Math.trunc((total * 100) / requests);
    return { ratio: pct / target, utilization: pct, average };
  };
  if (utilization) {
    const noRequest = measured.find((s) => s.request <= 0);
    if (noRequest) throw new Error(`missing request for pod ${noRequest.name}`);
  }
  const base = measured.map((s) => ({ value: s.value ?? 0, request: s.request }));
  const first = ratioOf(base);
  const result = (replicas: number): ReplicaResult => ({ replicas, average: first.average, ...(first.utilization !== undefined ? { utilization: first.utilization } : {}) });
  const scaleUpWithUnready = unready.length > 0 && first.ratio > 1;
  if (!scaleUpWithUnready && missing.length === 0) {
    if (Math.abs(1 - first.ratio) <= tolerance) return result(current);
    return result(Math.ceil(first.ratio * measured.length));
  }
  const adjusted = [...base];
  const fill = (s: PodSample, full: boolean): { value: number; request: number } => ({ value: full ? (utilization ? s.request : target) : 0, request: s.request });
  for (const s of missing) adjusted.push(fill(s, first.ratio < 1));
  if (scaleUpWithUnready) for (const s of unready) adjusted.push(fill(s, false));
  const again = ratioOf(adjusted);
  if (Math.abs(1 - again.ratio) <= tolerance || (first.ratio < 1 && again.ratio > 1) || (first.ratio > 1 && again.ratio < 1)) return result(current);
  const replicas = Math.ceil(again.ratio * adjusted.length);
  if ((again.ratio < 1 && replicas > current) || (again.ratio > 1 && replicas < current)) return result(current);
  return result(replicas);
}

export interface ScalingPolicy {
  type: 'Pods' | 'Percent';
  value: number;
  periodSeconds: number;
}

export interface ScalingRules {
  stabilizationWindowSeconds?: number;
  selectPolicy?: 'Max' | 'Min' | 'Disabled';
  policies?: ScalingPolicy[];
}

export interface Behavior {
  scaleUp?: ScalingRules;
  scaleDown?: ScalingRules;
}

/** The behavior defaults (SetDefaults_HorizontalPodAutoscalerBehavior), scale-down window from the controller flag. */
export function defaultedBehavior(b: Behavior, downscaleWindowSeconds = DefaultDownscaleStabilizationSeconds): Required<{ scaleUp: Required<ScalingRules>; scaleDown: Required<ScalingRules> }> {
  return {
    scaleUp: {
      stabilizationWindowSeconds: b.scaleUp?.stabilizationWindowSeconds ?? 0,
      selectPolicy: b.scaleUp?.selectPolicy ?? 'Max',
      policies: b.scaleUp?.policies ?? [{ type: 'Pods', value: 4, periodSeconds: 15 }, { type: 'Percent', value: 100, periodSeconds: 15 }],
    },
    scaleDown: {
      stabilizationWindowSeconds: b.scaleDown?.stabilizationWindowSeconds ?? downscaleWindowSeconds,
      selectPolicy: b.scaleDown?.selectPolicy ?? 'Max',
      policies: b.scaleDown?.policies ?? [{ type: 'Percent', value: 100, periodSeconds: 15 }],
    },
  };
}

export interface Recommendation {
  at: number;
  replicas: number;
}

export interface ScaleEvent {
  at: number;
  change: number;
}

export interface Limited {
  replicas: number;
  reason: string;
  message: string;
}

/** Without behavior: the highest recommendation of the downscale window wins (stabilizeRecommendation). */
export function stabilize(history: Recommendation[], desired: number, now: number, windowSeconds: number): { replicas: number; history: Recommendation[] } {
  const cutoff = now - windowSeconds * 1000;
  const kept = history.filter((r) => r.at > cutoff);
  const replicas = kept.reduce((m, r) => Math.max(m, r.replicas), desired);
  return { replicas, history: [...kept, { at: now, replicas: desired }] };
}

/** convertDesiredReplicasWithRules: [min, max] and the scale-up limit max(2×current, 4). */
export function limitWithRules(current: number, desired: number, min: number, max: number): Limited {
  const scaleUpLimit = Math.max(2 * current, 4);
  const [maxAllowed, reason, message] = max > scaleUpLimit
    ? [scaleUpLimit, 'ScaleUpLimit', 'the desired replica count is increasing faster than the maximum scale rate']
    : [max, 'TooManyReplicas', 'the desired replica count is more than the maximum replica count'];
  if (desired < min) return { replicas: min, reason: 'TooFewReplicas', message: 'the desired replica count is less than the minimum replica count' };
  if (desired > maxAllowed) return { replicas: maxAllowed, reason, message };
  return { replicas: desired, reason: 'DesiredWithinRange', message: 'the desired count is within the acceptable range' };
}

/** stabilizeRecommendationWithBehaviors: clamp between the lowest recent (up window) and highest recent (down window). */
export function stabilizeWithBehavior(history: Recommendation[], current: number, desired: number, now: number, b: ReturnType<typeof defaultedBehavior>): { replicas: number; reason: string; message: string; history: Recommendation[] } {
  const upCutoff = now - b.scaleUp.stabilizationWindowSeconds * 1000;
  const downCutoff = now - b.scaleDown.stabilizationWindowSeconds * 1000;
  let up = desired;
  let down = desired;
  for (const r of history) {
    if (r.at > upCutoff) up = Math.min(up, r.replicas);
    if (r.at > downCutoff) down = Math.max(down, r.replicas);
  }
  let replicas = current;
  if (replicas < up) replicas = up;
  if (replicas > down) replicas = down;
  const oldest = Math.min(upCutoff, downCutoff);
  const kept = history.filter((r) => r.at > oldest);
  const [reason, message] = replicas < desired
    ? ['ScaleUpStabilized', 'recent recommendations were lower than current one, applying the lowest recent recommendation']
    : ['ScaleDownStabilized', 'recent recommendations were higher than current one, applying the highest recent recommendation'];
  return { replicas, reason, message, history: [...kept, { at: now, replicas: desired }] };
}

const changeInPeriod = (events: readonly ScaleEvent[], periodSeconds: number, now: number): number =>
  events.filter((e) => e.at > now - periodSeconds * 1000).reduce((n, e) => n + e.change, 0);

/** convertDesiredReplicasWithBehaviorRate: policies over their periods, selectPolicy Max/Min/Disabled. */
export function limitWithBehavior(current: number, desired: number, min: number, max: number, b: ReturnType<typeof defaultedBehavior>, upEvents: readonly ScaleEvent[], downEvents: readonly ScaleEvent[], now: number): Limited {
  if (desired > current) {
    const rules = b.scaleUp;
    let limit: number;
    if (rules.selectPolicy === 'Disabled') limit = current;
    else {
      const pick = rules.selectPolicy === 'Min' ? Math.min : Math.max;
      limit = rules.selectPolicy === 'Min' ? Infinity : -Infinity;
      for (const p of rules.policies) {
        const start = current - changeInPeriod(upEvents, p.periodSeconds, now);
        limit = pick(limit, p.type === 'Pods' ? start + p.value : Math.ceil(start * (1 + p.value / 100)));
      }
    }
    if (limit < current) limit = current;
    const [allowed, reason, message] = max > limit
      ? [limit, 'ScaleUpLimit', 'the desired replica count is increasing faster than the maximum scale rate']
      : [max, 'TooManyReplicas', 'the desired replica count is more than the maximum replica count'];
    if (desired > allowed) return { replicas: allowed, reason, message };
  } else if (desired < current) {
    const rules = b.scaleDown;
    let limit: number;
    if (rules.selectPolicy === 'Disabled') limit = current;
    else {
      const pick = rules.selectPolicy === 'Min' ? Math.max : Math.min;
      limit = rules.selectPolicy === 'Min' ? -Infinity : Infinity;
      for (const p of rules.policies) {
        const start = current + changeInPeriod(downEvents, p.periodSeconds, now);
        limit = pick(limit, p.type === 'Pods' ? start - p.value : Math.trunc(start * (1 - p.value / 100)));
      }
    }
    if (limit > current) limit = current;
    const [allowed, reason, message] = min < limit
      ? [limit, 'ScaleDownLimit', 'the desired replica count is decreasing faster than the maximum scale rate']
      : [min, 'TooFewReplicas', 'the desired replica count is less than the minimum replica count'];
    if (desired < allowed) return { replicas: allowed, reason, message };
  }
  return { replicas: desired, reason: 'DesiredWithinRange', message: 'the desired count is within the acceptable range' };
}
