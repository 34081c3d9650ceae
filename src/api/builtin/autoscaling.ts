// autoscaling/v2 HorizontalPodAutoscaler, stored as v2 and also served as autoscaling/v1 (a view converted as
// kube-apiserver converts it: the CPU target in targetCPUUtilizationPercentage, everything else round-tripped through
// the autoscaling.alpha.kubernetes.io/* annotations).
import { fieldErrors, type FieldError } from '../errors.js';
import { clone, type KubeObject } from '../meta.js';
import { checkDns1123Label } from '../names.js';
import type { ResourceType } from '../resource-type.js';
import { specOf } from './apps.js';
import { builtinType } from './builtin-type.js';
import { workloadPatchMeta } from './pod-template.js';
import { isRecord, list, num, record, text, type JsonObject } from './json.js';
import { parseQuantity } from './quantity.js';
import { column } from './printing.js';

export const HpaAnnotations = {
  metrics: 'autoscaling.alpha.kubernetes.io/metrics',
  currentMetrics: 'autoscaling.alpha.kubernetes.io/current-metrics',
  conditions: 'autoscaling.alpha.kubernetes.io/conditions',
  behavior: 'autoscaling.alpha.kubernetes.io/behavior',
} as const;

const cpuTarget = (utilization: number): JsonObject => ({ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: utilization } } });

function scalingRules(given: unknown, defaults: JsonObject): JsonObject {
  const rules = record(given);
  const out: JsonObject = { ...defaults };
  if (rules.selectPolicy !== undefined && rules.selectPolicy !== null) out.selectPolicy = rules.selectPolicy;
  if (rules.stabilizationWindowSeconds !== undefined && rules.stabilizationWindowSeconds !== null) out.stabilizationWindowSeconds = rules.stabilizationWindowSeconds;
  if (rules.policies !== undefined && rules.policies !== null) out.policies = rules.policies;
  if (rules.tolerance !== undefined && rules.tolerance !== null) out.tolerance = rules.tolerance;
  return out;
}

/** SetDefaults_HorizontalPodAutoscaler (v2): minReplicas 1, a CPU 80% target without metrics, behavior's rules. */
export function defaultHpa(object: KubeObject): void {
  const spec = specOf(object);
  spec.minReplicas ??= 1;
  if (list(spec.metrics).length === 0) spec.metrics = [cpuTarget(80)];
  if (isRecord(spec.behavior)) {
    spec.behavior.scaleUp = scalingRules(spec.behavior.scaleUp, {
      stabilizationWindowSeconds: 0,
      selectPolicy: 'Max',
      policies: [{ type: 'Pods', value: 4, periodSeconds: 15 }, { type: 'Percent', value: 100, periodSeconds: 15 }],
    });
    spec.behavior.scaleDown = scalingRules(spec.behavior.scaleDown, { selectPolicy: 'Max', policies: [{ type: 'Percent', value: 100, periodSeconds: 15 }] });
  }
  if (!isRecord(object.status)) object.status = {};
  const status = object.status as JsonObject;
  status.desiredReplicas ??= 0;
  if (!('currentMetrics' in status)) status.currentMetrics = null;
}

// ---- validation (kube-apiserver validates the internal, v2-shaped object) ----------------------------------------

/** IsValidPathSegmentName. */
function pathSegmentMessages(name: string): string[] {
  if (name === '.' || name === '..') return [`may not be '${name}'`];
  const out: string[] = [];
  for (const bad of ['/', '%']) if (name.includes(bad)) out.push(`may not contain '${bad}'`);
  return out;
}

function checkReference(ref: unknown, path: string): FieldError[] {
  const r = record(ref);
  const errs: FieldError[] = [];
  for (const key of ['kind', 'name']) {
    const v = text(r[key]);
    if (!v) errs.push(fieldErrors.required(`${path}.${key}`));
    else for (const m of pathSegmentMessages(v)) errs.push(fieldErrors.invalid(`${path}.${key}`, v, m));
  }
  return errs;
}

function checkIdentifier(id: unknown, path: string): FieldError[] {
  const name = text(record(id).name);
  if (!name) return [fieldErrors.required(`${path}.name`, 'must specify a metric name')];
  return pathSegmentMessages(name).map((m) => fieldErrors.invalid(`${path}.name`, name, m));
}

function positive(value: unknown): boolean {
  const q = parseQuantity(value);
  return q !== undefined && q > 0;
}

function checkTarget(target: unknown, path: string): FieldError[] {
  const t = record(target);
  const errs: FieldError[] = [];
  const type = text(t.type);
  if (!type) errs.push(fieldErrors.required(`${path}.type`, 'must specify a metric target type'));
  if (!['Utilization', 'Value', 'AverageValue'].includes(type)) errs.push(fieldErrors.invalid(`${path}.type`, type, 'must be either Utilization, Value, or AverageValue'));
  if (t.value !== undefined && t.value !== null && !positive(t.value)) errs.push(fieldErrors.invalid(`${path}.value`, t.value, 'must be positive'));
  if (t.averageValue !== undefined && t.averageValue !== null && !positive(t.averageValue)) errs.push(fieldErrors.invalid(`${path}.averageValue`, t.averageValue, 'must be positive'));
  if (typeof t.averageUtilization === 'number' && t.averageUtilization < 1) errs.push(fieldErrors.invalid(`${path}.averageUtilization`, t.averageUtilization, 'must be greater than 0'));
  return errs;
}

const set = (v: unknown): boolean => v !== undefined && v !== null;
/** A quantity or number as text ('' for anything else). */
const q = (v: unknown): string => (typeof v === 'string' || typeof v === 'number' ? String(v) : '');

const sourceChecks: Record<string, (src: JsonObject, path: string) => FieldError[]> = {
  object: (src, path) => {
    const t = record(src.target);
    const errs = [...checkReference(src.describedObject, `${path}.describedObject`), ...checkIdentifier(src.metric, `${path}.metric`), ...checkTarget(src.target, `${path}.target`)];
    if (!set(t.value) && !set(t.averageValue)) errs.push(fieldErrors.required(`${path}.target.averageValue`, 'must set either a target value or averageValue'));
    return errs;
  },
  external: (src, path) => {
    const t = record(src.target);
    const errs = [...checkIdentifier(src.metric, `${path}.metric`), ...checkTarget(src.target, `${path}.target`)];
    if (!set(t.value) && !set(t.averageValue)) errs.push(fieldErrors.required(`${path}.target.averageValue`, 'must set either a target value for metric or a per-pod target'));
    if (set(t.value) && set(t.averageValue)) errs.push(fieldErrors.forbidden(`${path}.target.value`, 'may not set both a target value for metric and a per-pod target'));
    return errs;
  },
  pods: (src, path) => {
    const errs = [...checkIdentifier(src.metric, `${path}.metric`), ...checkTarget(src.target, `${path}.target`)];
    if (!set(record(src.target).averageValue)) errs.push(fieldErrors.required(`${path}.target.averageValue`, 'must specify a positive target averageValue'));
    return errs;
  },
  resource: (src, path) => {
    const t = record(src.target);
    const errs: FieldError[] = [];
    if (!text(src.name)) errs.push(fieldErrors.required(`${path}.name`, 'must specify a resource name'));
    errs.push(...checkTarget(src.target, `${path}.target`));
    if (!set(t.averageUtilization) && !set(t.averageValue)) errs.push(fieldErrors.required(`${path}.target.averageUtilization`, 'must set either a target raw value or a target utilization'));
    if (set(t.averageUtilization) && set(t.averageValue)) errs.push(fieldErrors.forbidden(`${path}.target.averageValue`, 'may not set both a target raw value and a target utilization'));
    return errs;
  },
  containerResource: (src, path) => {
    const t = record(src.target);
    const errs: FieldError[] = [];
    if (!text(src.name)) errs.push(fieldErrors.required(`${path}.name`, 'must specify a resource name'));
    const container = text(src.container);
    if (!container) errs.push(fieldErrors.required(`${path}.container`, 'must specify a container'));
    else for (const m of checkDns1123Label(container)) errs.push(fieldErrors.invalid(`${path}.container`, container, m));
    errs.push(...checkTarget(src.target, `${path}.target`));
    if (!set(t.averageUtilization) && !set(t.averageValue)) errs.push(fieldErrors.required(`${path}.target.averageUtilization`, 'must set either a target raw value or a target utilization'));
    if (set(t.averageUtilization) && set(t.averageValue)) errs.push(fieldErrors.forbidden(`${path}.target.averageValue`, 'may not set both a target raw value and a target utilization'));
    return errs;
  },
};

const metricTypes = ['ContainerResource', 'External', 'Object', 'Pods', 'Resource'];
const fieldOfType: Record<string, string> = { Object: 'object', Pods: 'pods', Resource: 'resource', External: 'external', ContainerResource: 'containerResource' };

function checkMetric(value: unknown, path: string): FieldError[] {
  const m = record(value);
  const errs: FieldError[] = [];
  const type = text(m.type);
  if (!type) errs.push(fieldErrors.required(`${path}.type`, 'must specify a metric source type'));
  if (!metricTypes.includes(type)) errs.push(fieldErrors.notSupported(`${path}.type`, type, metricTypes));
  const present = ['object', 'external', 'pods', 'resource', 'containerResource'].filter((f) => set(m[f]));
  const first = present[0];
  if (first !== undefined) errs.push(...sourceChecks[first]!(record(m[first]), `${path}.${first}`));
  const expected = fieldOfType[type];
  if (expected === undefined) errs.push(fieldErrors.notSupported(`${path}.type`, type, metricTypes));
  else if (!set(m[expected])) errs.push(fieldErrors.required(`${path}.${expected}`, 'must populate information for the given metric source'));
  if (present.length !== 1) for (const f of present.filter((f) => f !== expected)) errs.push(fieldErrors.forbidden(`${path}.${f}`, 'must populate the given metric source only'));
  return errs;
}

function checkRules(value: unknown, path: string): FieldError[] {
  if (!isRecord(value)) return [];
  const errs: FieldError[] = [];
  const window = value.stabilizationWindowSeconds;
  if (typeof window === 'number' && window < 0) errs.push(fieldErrors.invalid(`${path}.stabilizationWindowSeconds`, window, 'must be greater than or equal to zero'));
  if (typeof window === 'number' && window > 3600) errs.push(fieldErrors.invalid(`${path}.stabilizationWindowSeconds`, window, 'must be less than or equal to 3600'));
  if (set(value.selectPolicy) && !['Disabled', 'Max', 'Min'].includes(text(value.selectPolicy))) errs.push(fieldErrors.notSupported(`${path}.selectPolicy`, value.selectPolicy, ['Disabled', 'Max', 'Min']));
  const policies = list(value.policies);
  if (policies.length === 0) errs.push(fieldErrors.required(`${path}.policies`, 'must specify at least one Policy'));
  policies.forEach((item, i) => {
    const p = record(item);
    const at = `${path}.policies[${i}]`;
    if (p.type !== 'Pods' && p.type !== 'Percent') errs.push(fieldErrors.notSupported(`${at}.type`, text(p.type), ['Percent', 'Pods']));
    const v = num(p.value) ?? 0;
    if (v <= 0) errs.push(fieldErrors.invalid(`${at}.value`, v, 'must be greater than zero'));
    const period = num(p.periodSeconds) ?? 0;
    if (period <= 0) errs.push(fieldErrors.invalid(`${at}.periodSeconds`, period, 'must be greater than zero'));
    if (period > 1800) errs.push(fieldErrors.invalid(`${at}.periodSeconds`, period, 'must be less than or equal to 1800'));
  });
  return errs;
}

export function validateHpa(object: KubeObject): FieldError[] {
  const spec = record(object.spec);
  const errs: FieldError[] = [];
  const min = num(spec.minReplicas);
  const max = num(spec.maxReplicas) ?? 0;
  // HPAScaleToZero is alpha (off) in 1.32: minReplicas is at least 1.
  if (min !== undefined && min < 1) errs.push(fieldErrors.invalid('spec.minReplicas', min, 'must be greater than or equal to 1'));
  if (max < 1) errs.push(fieldErrors.invalid('spec.maxReplicas', max, 'must be greater than 0'));
  if (min !== undefined && max < min) errs.push(fieldErrors.invalid('spec.maxReplicas', max, 'must be greater than or equal to `minReplicas`'));
  errs.push(...checkReference(spec.scaleTargetRef, 'spec.scaleTargetRef'));
  list(spec.metrics).forEach((m, i) => errs.push(...checkMetric(m, `spec.metrics[${i}]`)));
  if (isRecord(spec.behavior)) {
    errs.push(...checkRules(spec.behavior.scaleUp, 'spec.behavior.scaleUp'));
    errs.push(...checkRules(spec.behavior.scaleDown, 'spec.behavior.scaleDown'));
  }
  return errs;
}

// ---- v1 ↔ v2 ----------------------------------------------------------------------------------------------------

const isCpuUtilization = (m: JsonObject): boolean => m.type === 'Resource' && text(record(m.resource).name) === 'cpu' && set(record(record(m.resource).target).averageUtilization);

function compact(o: JsonObject): JsonObject {
  for (const k of Object.keys(o)) if (o[k] === undefined) delete o[k];
  return o;
}

function metricToV1(m: JsonObject): JsonObject {
  const out: JsonObject = { type: m.type };
  const src = (f: string): JsonObject => record(m[f]);
  if (set(m.object)) {
    const s = src('object');
    const t = record(s.target);
    out.object = compact({ target: compact({ kind: record(s.describedObject).kind, name: record(s.describedObject).name, apiVersion: record(s.describedObject).apiVersion }), metricName: record(s.metric).name, targetValue: t.value ?? '0', selector: record(s.metric).selector, averageValue: t.averageValue });
  }
  if (set(m.pods)) {
    const s = src('pods');
    out.pods = compact({ metricName: record(s.metric).name, targetAverageValue: record(s.target).averageValue ?? '0', selector: record(s.metric).selector });
  }
  if (set(m.resource)) {
    const s = src('resource');
    out.resource = compact({ name: s.name, targetAverageUtilization: record(s.target).averageUtilization, targetAverageValue: record(s.target).averageValue });
  }
  if (set(m.containerResource)) {
    const s = src('containerResource');
    out.containerResource = compact({ name: s.name, targetAverageUtilization: record(s.target).averageUtilization, targetAverageValue: record(s.target).averageValue, container: s.container });
  }
  if (set(m.external)) {
    const s = src('external');
    out.external = compact({ metricName: record(s.metric).name, metricSelector: record(s.metric).selector, targetValue: record(s.target).value, targetAverageValue: record(s.target).averageValue });
  }
  return out;
}

function metricFromV1(m: JsonObject): JsonObject {
  const out: JsonObject = { type: m.type };
  if (set(m.object)) {
    const s = record(m.object);
    out.object = {
      describedObject: compact({ kind: record(s.target).kind, name: record(s.target).name, apiVersion: record(s.target).apiVersion }),
      target: compact({ type: set(s.averageValue) ? 'AverageValue' : 'Value', value: s.targetValue ?? '0', averageValue: s.averageValue }),
      metric: compact({ name: s.metricName, selector: s.selector }),
    };
  }
  if (set(m.pods)) {
    const s = record(m.pods);
    out.pods = { metric: compact({ name: s.metricName, selector: s.selector }), target: { type: 'AverageValue', averageValue: s.targetAverageValue ?? '0' } };
  }
  for (const f of ['resource', 'containerResource']) {
    if (!set(m[f])) continue;
    const s = record(m[f]);
    const target = compact({ type: set(s.targetAverageUtilization) ? 'Utilization' : 'AverageValue', averageValue: s.targetAverageValue, averageUtilization: s.targetAverageUtilization });
    out[f] = compact({ name: s.name, target, container: f === 'containerResource' ? s.container : undefined });
  }
  if (set(m.external)) {
    const s = record(m.external);
    out.external = { metric: compact({ name: s.metricName, selector: s.metricSelector }), target: compact({ type: set(s.targetValue) ? 'Value' : 'AverageValue', value: s.targetValue, averageValue: s.targetAverageValue }) };
  }
  return out;
}

function statusToV1(m: JsonObject): JsonObject {
  const out: JsonObject = { type: m.type };
  const current = (f: string): JsonObject => record(record(m[f]).current);
  if (set(m.object)) {
    const s = record(m.object);
    out.object = compact({ target: compact({ kind: record(s.describedObject).kind, name: record(s.describedObject).name, apiVersion: record(s.describedObject).apiVersion }), metricName: record(s.metric).name, currentValue: current('object').value ?? '0', selector: record(s.metric).selector, averageValue: current('object').averageValue });
  }
  if (set(m.pods)) out.pods = compact({ metricName: record(record(m.pods).metric).name, currentAverageValue: current('pods').averageValue ?? '0', selector: record(record(m.pods).metric).selector });
  for (const f of ['resource', 'containerResource']) {
    if (!set(m[f])) continue;
    out[f] = compact({ name: record(m[f]).name, currentAverageUtilization: current(f).averageUtilization, currentAverageValue: current(f).averageValue ?? '0', container: f === 'containerResource' ? record(m[f]).container : undefined });
  }
  if (set(m.external)) out.external = compact({ metricName: record(record(m.external).metric).name, metricSelector: record(record(m.external).metric).selector, currentValue: current('external').value ?? '0', currentAverageValue: current('external').averageValue });
  return out;
}

function statusFromV1(m: JsonObject): JsonObject {
  const out: JsonObject = { type: m.type };
  if (set(m.object)) {
    const s = record(m.object);
    out.object = { describedObject: compact({ kind: record(s.target).kind, name: record(s.target).name, apiVersion: record(s.target).apiVersion }), current: compact({ value: s.currentValue ?? '0', averageValue: s.averageValue }), metric: compact({ name: s.metricName, selector: s.selector }) };
  }
  if (set(m.pods)) {
    const s = record(m.pods);
    out.pods = { metric: compact({ name: s.metricName, selector: s.selector }), current: { averageValue: s.currentAverageValue ?? '0' } };
  }
  for (const f of ['resource', 'containerResource']) {
    if (!set(m[f])) continue;
    const s = record(m[f]);
    out[f] = compact({ name: s.name, current: compact({ averageValue: s.currentAverageValue ?? '0', averageUtilization: s.currentAverageUtilization }), container: f === 'containerResource' ? s.container : undefined });
  }
  if (set(m.external)) {
    const s = record(m.external);
    out.external = { metric: compact({ name: s.metricName, selector: s.metricSelector }), current: compact({ value: s.currentValue ?? '0', averageValue: s.currentAverageValue }) };
  }
  return out;
}

function parseAnnotation(annotations: Record<string, string>, key: string): unknown[] | JsonObject | undefined {
  const raw = annotations[key];
  if (raw === undefined) return undefined;
  try {
    return JSON.parse(raw) as unknown[] | JsonObject;
  } catch {
    return undefined;
  }
}

function dropRoundTripAnnotations(meta: KubeObject['metadata']): void {
  if (!meta.annotations) return;
  for (const key of Object.values(HpaAnnotations)) delete meta.annotations[key];
  if (Object.keys(meta.annotations).length === 0) delete meta.annotations;
}

/** An autoscaling/v1 HPA as the v2 object it stands for (Convert_v1_HorizontalPodAutoscaler_To_autoscaling_…). */
export function hpaFromV1(v1: KubeObject): KubeObject {
  const out = clone(v1);
  out.apiVersion = 'autoscaling/v2';
  const spec = record(v1.spec);
  const status = record(v1.status);
  const annotations = v1.metadata.annotations ?? {};
  const v2spec: JsonObject = compact({ scaleTargetRef: spec.scaleTargetRef, minReplicas: spec.minReplicas, maxReplicas: spec.maxReplicas });
  const metrics: JsonObject[] = set(spec.targetCPUUtilizationPercentage) ? [cpuTarget(spec.targetCPUUtilizationPercentage as number)] : [];
  const others = parseAnnotation(annotations, HpaAnnotations.metrics);
  if (Array.isArray(others)) v2spec.metrics = [...others.map((m) => metricFromV1(record(m))), ...metrics.slice(0, 1)];
  else if (metrics.length > 0) v2spec.metrics = metrics;
  const behavior = parseAnnotation(annotations, HpaAnnotations.behavior);
  if (isRecord(behavior) && Object.keys(behavior).length > 0) v2spec.behavior = behavior;
  if (list(v2spec.metrics).length === 0) v2spec.metrics = [cpuTarget(80)];
  out.spec = v2spec;
  const v2status: JsonObject = compact({ observedGeneration: status.observedGeneration, lastScaleTime: status.lastScaleTime, currentReplicas: status.currentReplicas || undefined, desiredReplicas: status.desiredReplicas ?? 0 });
  const current = parseAnnotation(annotations, HpaAnnotations.currentMetrics);
  if (Array.isArray(current)) v2status.currentMetrics = current.map((m) => statusFromV1(record(m)));
  else if (set(status.currentCPUUtilizationPercentage)) v2status.currentMetrics = [{ type: 'Resource', resource: { name: 'cpu', current: { averageUtilization: status.currentCPUUtilizationPercentage } } }];
  else v2status.currentMetrics = null;
  const conditions = parseAnnotation(annotations, HpaAnnotations.conditions);
  if (Array.isArray(conditions)) v2status.conditions = conditions;
  out.status = v2status;
  dropRoundTripAnnotations(out.metadata);
  return out;
}

/** The autoscaling/v1 view of a stored v2 HPA (Convert_autoscaling_HorizontalPodAutoscaler_To_v1_…). */
export function hpaToV1(v2: KubeObject): KubeObject {
  const out = clone(v2);
  out.apiVersion = 'autoscaling/v1';
  dropRoundTripAnnotations(out.metadata);
  const spec = record(v2.spec);
  const status = record(v2.status);
  const metrics = list(spec.metrics).map(record);
  const v1spec: JsonObject = compact({ scaleTargetRef: spec.scaleTargetRef, minReplicas: spec.minReplicas, maxReplicas: spec.maxReplicas });
  const cpu = metrics.find(isCpuUtilization);
  if (cpu) v1spec.targetCPUUtilizationPercentage = record(record(cpu.resource).target).averageUtilization;
  out.spec = v1spec;
  const annotations: Record<string, string> = {};
  const others = metrics.filter((m) => !isCpuUtilization(m)).map(metricToV1);
  if (others.length > 0) annotations[HpaAnnotations.metrics] = JSON.stringify(others);
  const current = list(status.currentMetrics).map(record);
  if (current.length > 0) annotations[HpaAnnotations.currentMetrics] = JSON.stringify(current.map(statusToV1));
  if (isRecord(spec.behavior)) annotations[HpaAnnotations.behavior] = JSON.stringify(spec.behavior);
  if (list(status.conditions).length > 0) annotations[HpaAnnotations.conditions] = JSON.stringify(status.conditions);
  if (Object.keys(annotations).length > 0) out.metadata.annotations = { ...(out.metadata.annotations ?? {}), ...annotations };
  const v1status: JsonObject = compact({ observedGeneration: status.observedGeneration, lastScaleTime: status.lastScaleTime, currentReplicas: status.currentReplicas ?? 0, desiredReplicas: status.desiredReplicas ?? 0 });
  const cpuNow = current.find((m) => m.type === 'Resource' && text(record(m.resource).name) === 'cpu' && set(record(record(m.resource).current).averageUtilization));
  if (cpuNow) v1status.currentCPUUtilizationPercentage = record(record(cpuNow.resource).current).averageUtilization;
  out.status = v1status;
  return out;
}

// ---- printing -----------------------------------------------------------------------------------------------------

/** formatHPAMetrics: `cpu: 12%/80%`, `<unknown>/100 (avg)`… (at most two, then `+ N more...`). */
export function formatHpaMetrics(specs: JsonObject[], statuses: JsonObject[]): string {
  if (specs.length === 0) return '<none>';
  const out = specs.map((m, i) => {
    const st = record(statuses[i]);
    const cur = (f: string): JsonObject => record(record(st[f]).current);
    const src = record(m[fieldOfType[text(m.type)] ?? '']);
    const t = record(src.target);
    switch (m.type) {
      case 'External':
      case 'Object': {
        const f = m.type === 'External' ? 'external' : 'object';
        if (set(t.averageValue)) return `${set(st[f]) && set(cur(f).averageValue) ? q(cur(f).averageValue) : '<unknown>'}/${q(t.averageValue)} (avg)`;
        return `${set(st[f]) ? q(cur(f).value ?? '0') : '<unknown>'}/${q(t.value ?? '0')}`;
      }
      case 'Pods':
        return `${set(st.pods) ? q(cur('pods').averageValue ?? '0') : '<unknown>'}/${q(t.averageValue ?? '0')}`;
      case 'Resource':
      case 'ContainerResource': {
        const f = m.type === 'Resource' ? 'resource' : 'containerResource';
        const name = text(src.name);
        if (set(t.averageValue)) return `${name}: ${set(st[f]) ? q(cur(f).averageValue ?? '0') : '<unknown>'}/${q(t.averageValue)}`;
        const current = set(st[f]) && set(cur(f).averageUtilization) ? `${q(cur(f).averageUtilization)}%` : '<unknown>';
        return `${name}: ${current}/${set(t.averageUtilization) ? `${q(t.averageUtilization)}%` : '<auto>'}`;
      }
      default:
        return '<unknown type>';
    }
  });
  return out.length > 2 ? `${out.slice(0, 2).join(', ')} + ${out.length - 2} more...` : out.join(', ');
}

const hpaColumns = [
  column('Reference', 'string', 'scaleTargetRef points to the target resource to scale, and is used to the pods for which metrics should be collected, as well as to actually change the replica count.'),
  column('Targets', 'string', 'metrics contains the specifications for which to use to calculate the desired replica count (the maximum replica count across all metrics will be used).'),
  column('MinPods', 'string', 'minReplicas is the lower limit for the number of replicas to which the autoscaler can scale down.'),
  column('MaxPods', 'string', 'maxReplicas is the upper limit for the number of replicas to which the autoscaler can scale up.'),
  column('Replicas', 'string', 'currentReplicas is current number of replicas of pods managed by this autoscaler.'),
];

function hpaCells(v2: KubeObject): unknown[] {
  const spec = record(v2.spec);
  const status = record(v2.status);
  const ref = record(spec.scaleTargetRef);
  const min = num(spec.minReplicas);
  return [`${text(ref.kind)}/${text(ref.name)}`, formatHpaMetrics(list(spec.metrics).map(record), list(status.currentMetrics).map(record)), min === undefined ? '<unset>' : String(min), num(spec.maxReplicas) ?? 0, num(status.currentReplicas) ?? 0];
}

function hpaType(version: 'v2' | 'v1'): ResourceType {
  const v1 = version === 'v1';
  return builtinType({
    patchMeta: workloadPatchMeta([]),
    group: 'autoscaling',
    version,
    kind: 'HorizontalPodAutoscaler',
    plural: 'horizontalpodautoscalers',
    shortNames: ['hpa'],
    categories: ['all'],
    storageVersion: 'v2',
    statusSubresource: true,
    columns: hpaColumns,
    cells: (o) => hpaCells(v1 ? hpaFromV1(o) : o),
    // A v1 object is defaulted (minReplicas) as v1, then converted to the stored v2 form and validated as that.
    defaults: v1
      ? (o) => {
          specOf(o).minReplicas ??= 1;
        }
      : defaultHpa,
    validate: v1 ? (o) => validateHpa(hpaFromV1(o)) : validateHpa,
    convert: {
      toStorage: (o) => {
        const stored = v1 ? hpaFromV1(o) : o;
        defaultHpa(stored);
        return stored;
      },
      fromStorage: (o) => (v1 ? hpaToV1(o) : o),
    },
    createClearsStatus: true,
  });
}

export function horizontalPodAutoscalerTypes(): ResourceType[] {
  return [hpaType('v2'), hpaType('v1')];
}
