// The HorizontalPodAutoscaler (autoscaling/v2) controller for embedded mode: Resource and ContainerResource metrics
// read from metrics.k8s.io through the Client, the target resized through its scale, upstream's conditions and events.
import { FloeError } from '../../api/errors.js';
import { PodRef, type Pod } from '../../api/core-v1.js';
import type { KubeObject } from '../../api/meta.js';
import { parseQuantity } from '../../api/builtin/quantity.js';
import { formatLabelSelector, selectorFromLabelSelectorObject, type LabelSelectorObject } from '../../api/selectors/index.js';
import type { Client, KindRef } from '../../client/client.js';
import { generationChanged, kubeTime, realClock, type Clock, type Manager, type ReconcileContext, type ReconcileResult, type Reconciler, type Request } from '../../controller/index.js';
import {
  defaultedBehavior,
  DefaultDownscaleStabilizationSeconds,
  DefaultTolerance,
  limitWithBehavior,
  limitWithRules,
  resourceReplicas,
  stabilize,
  stabilizeWithBehavior,
  type Behavior,
  type PodSample,
  type Recommendation,
  type ScaleEvent,
} from './hpa-algorithm.js';
import { isPodReady } from './replica-set-controller.js';

export const HorizontalPodAutoscalerRef = { apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler' } as const;
export const PodMetricsRef = { apiVersion: 'metrics.k8s.io/v1beta1', kind: 'PodMetrics' } as const;

export interface MetricTarget {
  type: 'Utilization' | 'Value' | 'AverageValue';
  averageUtilization?: number;
  averageValue?: string | number;
  value?: string | number;
}

export interface MetricSpec {
  type: 'Resource' | 'ContainerResource' | 'Pods' | 'Object' | 'External';
  resource?: { name: string; target: MetricTarget };
  containerResource?: { name: string; container: string; target: MetricTarget };
  pods?: { metric: { name: string }; target: MetricTarget };
  object?: { metric: { name: string }; describedObject: { kind: string; name: string }; target: MetricTarget };
  external?: { metric: { name: string }; target: MetricTarget };
}

export interface HpaCondition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  lastTransitionTime?: string;
  reason?: string;
  message?: string;
}

export interface HorizontalPodAutoscaler extends KubeObject {
  spec: {
    scaleTargetRef: { apiVersion?: string; kind: string; name: string };
    minReplicas?: number;
    maxReplicas: number;
    metrics?: MetricSpec[];
    behavior?: Behavior;
  };
  status?: {
    observedGeneration?: number;
    lastScaleTime?: string;
    currentReplicas?: number;
    desiredReplicas?: number;
    currentMetrics?: unknown[];
    conditions?: HpaCondition[];
  };
}

interface PodMetrics extends KubeObject {
  containers?: { name: string; usage?: Record<string, string> }[];
}

/** The target's scale as the `scale` subresource shows it: spec.replicas, status.replicas and the selector string. */
export interface TargetScale {
  replicas: number;
  statusReplicas: number;
  selector: string;
}

/**
 * Reads the target's scale. apps/v1 kinds (and ReplicationControllers) are read as the scale subresource derives it
 * from the object; a custom resource must expose `spec.replicas`, `status.replicas` and `status.selector` (the paths
 * most CRDs declare in subresources.scale).
 */
export async function readScale(client: Client, ref: KindRef, name: string, namespace: string): Promise<TargetScale> {
  const target = await client.get<KubeObject & { spec?: { replicas?: number; selector?: unknown }; status?: { replicas?: number; selector?: string } }>(ref, name, namespace);
  const spec = target.spec ?? {};
  let selector = target.status?.selector ?? '';
  if (!selector && spec.selector && typeof spec.selector === 'object') {
    const sel = spec.selector as LabelSelectorObject & Record<string, unknown>;
    const obj: LabelSelectorObject = sel.matchLabels || sel.matchExpressions ? sel : { matchLabels: sel as Record<string, string> };
    selector = formatLabelSelector(selectorFromLabelSelectorObject(obj));
  }
  return { replicas: spec.replicas ?? 1, statusReplicas: target.status?.replicas ?? 0, selector };
}

export async function writeScale(client: Client, ref: KindRef, name: string, namespace: string, replicas: number): Promise<void> {
  await client.patch(ref, name, namespace, { spec: { replicas } }, 'application/merge-patch+json');
}

function targetRef(hpa: HorizontalPodAutoscaler): KindRef {
  const t = hpa.spec.scaleTargetRef;
  return { apiVersion: t.apiVersion ?? 'apps/v1', kind: t.kind };
}

function setHpaCondition(conditions: HpaCondition[], type: string, status: HpaCondition['status'], reason: string, message: string, now: number): void {
  const existing = conditions.find((c) => c.type === type);
  if (existing) {
    if (existing.status !== status) existing.lastTransitionTime = kubeTime(now);
    existing.status = status;
    existing.reason = reason;
    existing.message = message;
    return;
  }
  conditions.push({ type, status, lastTransitionTime: kubeTime(now), reason, message });
}

const order = ['AbleToScale', 'ScalingActive', 'ScalingLimited'];

class MetricError extends Error {
  constructor(readonly reason: string, message: string) {
    super(message);
  }
}

export interface HpaOptions {
  clock?: Clock;
  /** --horizontal-pod-autoscaler-sync-period (15 s). */
  syncPeriodMs?: number;
  /** --horizontal-pod-autoscaler-downscale-stabilization (5 min), used when an HPA has no behavior.scaleDown window. */
  downscaleStabilizationSeconds?: number;
  tolerance?: number;
}

export class HorizontalPodAutoscalerReconciler implements Reconciler {
  private readonly clock: Clock;
  private readonly syncPeriodMs: number;
  private readonly downscaleWindow: number;
  private readonly tolerance: number;
  private readonly recommendations = new Map<string, Recommendation[]>();
  private readonly upEvents = new Map<string, ScaleEvent[]>();
  private readonly downEvents = new Map<string, ScaleEvent[]>();

  constructor(options: HpaOptions = {}) {
    this.clock = options.clock ?? realClock();
    this.syncPeriodMs = options.syncPeriodMs ?? 15_000;
    this.downscaleWindow = options.downscaleStabilizationSeconds ?? DefaultDownscaleStabilizationSeconds;
    this.tolerance = options.tolerance ?? DefaultTolerance;
  }

  async reconcile(ctx: ReconcileContext, request: Request): Promise<ReconcileResult | void> {
    const key = `${request.namespace}/${request.name}`;
    let hpa: HorizontalPodAutoscaler;
    try {
      hpa = await ctx.client.get<HorizontalPodAutoscaler>(HorizontalPodAutoscalerRef, request.name, request.namespace);
    } catch (err) {
      if (err instanceof FloeError && err.reason === 'NotFound') {
        this.recommendations.delete(key);
        this.upEvents.delete(key);
        this.downEvents.delete(key);
        return;
      }
      throw err;
    }
    if (hpa.metadata.deletionTimestamp) return;
    const now = this.clock.now();
    const status = structuredClone(hpa.status ?? {});
    const conditions = (status.conditions ??= []);
    const before = JSON.stringify(status);
    status.observedGeneration = hpa.metadata.generation ?? 0;
    const write = async (): Promise<void> => {
      conditions.sort((a, b) => order.indexOf(a.type) - order.indexOf(b.type));
      if (JSON.stringify(status) !== before) await ctx.client.updateStatus<HorizontalPodAutoscaler>({ ...hpa, status });
    };
    const ns = request.namespace;
    const ref = targetRef(hpa);
    const targetName = hpa.spec.scaleTargetRef.name;
    const reference = `${hpa.spec.scaleTargetRef.kind}/${targetName}`;

    let scale: TargetScale;
    try {
      scale = await readScale(ctx.client, ref, targetName, ns);
    } catch (err) {
      const message = `the HPA controller was unable to get the target's current scale: ${err instanceof Error ? err.message : String(err)}`;
      setHpaCondition(conditions, 'AbleToScale', 'False', 'FailedGetScale', message, now);
      ctx.recorder.event(hpa, 'Warning', 'FailedGetScale', err instanceof Error ? err.message : String(err));
      await write();
      return { requeueAfterMs: this.syncPeriodMs };
    }
    setHpaCondition(conditions, 'AbleToScale', 'True', 'SucceededGetScale', "the HPA controller was able to get the target's current scale", now);
    const current = scale.replicas;
    status.currentReplicas = scale.statusReplicas;
    const min = hpa.spec.minReplicas ?? 1;
    const max = hpa.spec.maxReplicas;
    let desired: number;
    let rescaleReason = '';

    if (current === 0 && min !== 0) {
      desired = 0;
      setHpaCondition(conditions, 'ScalingActive', 'False', 'ScalingDisabled', 'scaling is disabled since the replica count of the target is zero', now);
    } else if (current > max) {
      desired = max;
      rescaleReason = 'Current number of replicas above Spec.MaxReplicas';
      setHpaCondition(conditions, 'ScalingLimited', 'True', 'TooManyReplicas', 'the desired replica count is more than the maximum replica count', now);
    } else if (current < min) {
      desired = min;
      rescaleReason = 'Current number of replicas below Spec.MinReplicas';
      setHpaCondition(conditions, 'ScalingLimited', 'True', 'TooFewReplicas', 'the desired replica count is less than the minimum replica count', now);
    } else {
      let proposal: { replicas: number; metric: string; currentMetrics: unknown[] };
      try {
        proposal = await this.replicasForMetrics(ctx.client, hpa, scale, ns);
      } catch (err) {
        const reason = err instanceof MetricError ? err.reason : 'FailedComputeMetricsReplicas';
        const message = err instanceof Error ? err.message : String(err);
        setHpaCondition(conditions, 'ScalingActive', 'False', reason, `the HPA was unable to compute the replica count: ${message}`, now);
        ctx.recorder.event(hpa, 'Warning', reason, message);
        status.currentMetrics = [];
        status.desiredReplicas = current;
        await write();
        return { requeueAfterMs: this.syncPeriodMs };
      }
      status.currentMetrics = proposal.currentMetrics;
      setHpaCondition(conditions, 'ScalingActive', 'True', 'ValidMetricFound', `the HPA was able to successfully calculate a replica count from ${proposal.metric}`, now);
      desired = this.normalize(key, hpa, conditions, current, proposal.replicas, min, max, now);
      rescaleReason = desired < current ? 'All metrics below target' : `${proposal.metric} above target`;
    }

    if (desired !== current) {
      try {
        await writeScale(ctx.client, ref, targetName, ns, desired);
      } catch (err) {
        const message = err instanceof Error ? err.message : String(err);
        setHpaCondition(conditions, 'AbleToScale', 'False', 'FailedUpdateScale', `the HPA controller was unable to update the target scale: ${message}`, now);
        ctx.recorder.event(hpa, 'Warning', 'FailedRescale', `New size: ${desired}; reason: ${rescaleReason}; error: ${message}`);
        await write();
        return { requeueAfterMs: this.syncPeriodMs };
      }
      setHpaCondition(conditions, 'AbleToScale', 'True', 'SucceededRescale', `the HPA controller was able to update the target scale to ${desired}`, now);
      ctx.recorder.event(hpa, 'Normal', 'SuccessfulRescale', `New size: ${desired}; reason: ${rescaleReason}`);
      ctx.log.info({ hpa: key, reference, from: current, to: desired }, 'rescaled');
      if (hpa.spec.behavior) {
        const list = desired > current ? this.upEvents : this.downEvents;
        list.set(key, [...(list.get(key) ?? []).filter((e) => e.at > now - 3_600_000), { at: now, change: Math.abs(desired - current) }]);
      }
      status.lastScaleTime = kubeTime(now);
    }
    status.desiredReplicas = desired;
    await write();
    return { requeueAfterMs: this.syncPeriodMs };
  }

  /** Stabilization and rate limits (normalizeDesiredReplicas / …WithBehaviors), setting AbleToScale and ScalingLimited. */
  private normalize(key: string, hpa: HorizontalPodAutoscaler, conditions: HpaCondition[], current: number, proposed: number, min: number, max: number, now: number): number {
    if (!hpa.spec.behavior) {
      const s = stabilize(this.recommendations.get(key) ?? [], proposed, now, this.downscaleWindow);
      this.recommendations.set(key, s.history);
      if (s.replicas !== proposed) setHpaCondition(conditions, 'AbleToScale', 'True', 'ScaleDownStabilized', 'recent recommendations were higher than current one, applying the highest recent recommendation', now);
      else setHpaCondition(conditions, 'AbleToScale', 'True', 'ReadyForNewScale', 'recommended size matches current size', now);
      const limited = limitWithRules(current, s.replicas, min, max);
      setHpaCondition(conditions, 'ScalingLimited', limited.replicas === s.replicas ? 'False' : 'True', limited.reason, limited.message, now);
      return limited.replicas;
    }
    const behavior = defaultedBehavior(hpa.spec.behavior, this.downscaleWindow);
    const s = stabilizeWithBehavior(this.recommendations.get(key) ?? [], current, proposed, now, behavior);
    this.recommendations.set(key, s.history);
    if (s.replicas !== proposed) setHpaCondition(conditions, 'AbleToScale', 'True', s.reason, s.message, now);
    else setHpaCondition(conditions, 'AbleToScale', 'True', 'ReadyForNewScale', 'recommended size matches current size', now);
    const limited = limitWithBehavior(current, s.replicas, min, max, behavior, this.upEvents.get(key) ?? [], this.downEvents.get(key) ?? [], now);
    setHpaCondition(conditions, 'ScalingLimited', limited.replicas === s.replicas ? 'False' : 'True', limited.reason, limited.message, now);
    return limited.replicas;
  }

  /** computeReplicasForMetrics: the largest proposal over the metrics that could be computed. */
  private async replicasForMetrics(client: Client, hpa: HorizontalPodAutoscaler, scale: TargetScale, ns: string): Promise<{ replicas: number; metric: string; currentMetrics: unknown[] }> {
    const metrics = hpa.spec.metrics && hpa.spec.metrics.length > 0 ? hpa.spec.metrics : [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 80 } } } as MetricSpec];
    if (!scale.selector) throw new MetricError('InvalidSelector', 'selector is required');
    let best: { replicas: number; metric: string } | undefined;
    let firstError: Error | undefined;
    const currentMetrics: unknown[] = [];
    let samples: Promise<{ pods: Pod[]; usage: Map<string, PodMetrics> }> | undefined;
    const load = (): Promise<{ pods: Pod[]; usage: Map<string, PodMetrics> }> => (samples ??= this.loadSamples(client, ns, scale.selector));
    for (const m of metrics) {
      try {
        const r = await this.replicasForMetric(m, scale.replicas, load);
        currentMetrics.push(r.current);
        if (!best || r.replicas > best.replicas) best = { replicas: r.replicas, metric: r.metric };
      } catch (err) {
        firstError ??= err instanceof Error ? err : new Error(String(err));
        currentMetrics.push({ type: m.type });
      }
    }
    // Upstream scales on the valid metrics unless every one failed (or a failed one might have asked for more).
    if (!best) throw firstError ?? new MetricError('FailedComputeMetricsReplicas', 'no metrics');
    return { ...best, currentMetrics: currentMetrics.filter((c) => Object.keys(c as object).length > 1) };
  }

  private async loadSamples(client: Client, ns: string, selector: string): Promise<{ pods: Pod[]; usage: Map<string, PodMetrics> }> {
    const [pods, metrics] = await Promise.all([client.list<Pod>(PodRef, { namespace: ns, labelSelector: selector }), client.list<PodMetrics>(PodMetricsRef, { namespace: ns, labelSelector: selector })]);
    return { pods: pods.items, usage: new Map(metrics.items.map((m) => [m.metadata.name ?? '', m])) };
  }

  private async replicasForMetric(m: MetricSpec, current: number, load: () => Promise<{ pods: Pod[]; usage: Map<string, PodMetrics> }>): Promise<{ replicas: number; metric: string; current: unknown }> {
    const source = m.type === 'Resource' ? m.resource : m.type === 'ContainerResource' ? m.containerResource : undefined;
    if (!source) {
      const reason = { Pods: 'FailedGetPodsMetric', Object: 'FailedGetObjectMetric', External: 'FailedGetExternalMetric', Resource: 'FailedGetResourceMetric', ContainerResource: 'FailedGetContainerResourceMetric' }[m.type] ?? 'InvalidMetricSourceType';
      const api = m.type === 'External' ? 'external.metrics.k8s.io' : 'custom.metrics.k8s.io';
      const name = m.pods?.metric.name ?? m.object?.metric.name ?? m.external?.metric.name ?? '';
      throw new MetricError(reason, `unable to get metric ${name}: no ${api} API is served by Floe (only Resource and ContainerResource metrics from metrics.k8s.io are)`);
    }
    const resource = source.name;
    const container = m.type === 'ContainerResource' ? m.containerResource?.container : undefined;
    const failReason = m.type === 'Resource' ? 'FailedGetResourceMetric' : 'FailedGetContainerResourceMetric';
    let data: { pods: Pod[]; usage: Map<string, PodMetrics> };
    try {
      data = await load();
    } catch (err) {
      throw new MetricError(failReason, `failed to get ${resource} utilization: unable to get metrics for resource ${resource}: ${err instanceof Error ? err.message : String(err)}`);
    }
    const samples: PodSample[] = data.pods.map((pod) => {
      const containers = pod.spec.containers.filter((c) => container === undefined || c.name === container);
      const requests = containers.map((c) => parseQuantity(c.resources?.requests?.[resource]));
      const usage = data.usage.get(pod.metadata.name ?? '');
      const values = usage?.containers?.filter((c) => container === undefined || c.name === container).map((c) => parseQuantity(c.usage?.[resource]) ?? 0);
      return {
        name: pod.metadata.name ?? '',
        value: values && values.length > 0 ? values.reduce((a, b) => a + b, 0) : undefined,
        request: requests.some((r) => r === undefined) ? 0 : requests.reduce<number>((a, b) => a + (b ?? 0), 0),
        // Simplified readiness (upstream also looks at the CPU initialization period): Pending or not-Ready Pods are unready for CPU.
        unready: pod.status?.phase === 'Pending' || (resource === 'cpu' && !isPodReady(pod)),
        ignored: Boolean(pod.metadata.deletionTimestamp) || pod.status?.phase === 'Failed' || pod.status?.phase === 'Succeeded',
      };
    });
    const target = source.target;
    const utilization = target.type === 'Utilization';
    const goal = utilization ? (target.averageUtilization ?? 80) : (parseQuantity(target.averageValue) ?? NaN);
    if (!Number.isFinite(goal) || goal <= 0) throw new MetricError('InvalidMetricSourceType', `invalid ${resource} target`);
    if (samples.length === 0) throw new MetricError(failReason, `failed to get ${resource} utilization: no pods match the selector`);
    let r;
    try {
      r = resourceReplicas(current, samples, goal, utilization, this.tolerance);
    } catch (err) {
      throw new MetricError(failReason, `failed to get ${resource} utilization: ${err instanceof Error ? err.message : String(err)}`);
    }
    const averageValue = resource === 'cpu' ? `${Math.round(r.average * 1000)}m` : String(Math.round(r.average));
    const currentValue = { averageValue, ...(r.utilization !== undefined ? { averageUtilization: r.utilization } : {}) };
    const metric = utilization ? `${resource} resource utilization (percentage of request)` : `${resource} resource`;
    const currentMetric = m.type === 'Resource' ? { type: 'Resource', resource: { name: resource, current: currentValue } } : { type: 'ContainerResource', containerResource: { name: resource, container, current: currentValue } };
    return { replicas: r.replicas, metric, current: currentMetric };
  }
}

/** The `horizontal-pod-autoscaler` controller: every HPA re-evaluated each sync period (15 s upstream). */
export function addHorizontalPodAutoscalerController(manager: Manager, options: HpaOptions = {}): void {
  manager.controller('horizontal-pod-autoscaler').for(HorizontalPodAutoscalerRef, { predicates: [generationChanged] }).withConcurrency(2).complete(new HorizontalPodAutoscalerReconciler(options));
}
