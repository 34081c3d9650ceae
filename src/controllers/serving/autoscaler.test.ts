// The autoscaler's decisions (Knative's KPA rules) and the ingress's load meter, on an injected clock.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { decide, freshScaleState, parseDuration, scaleSettings, type ScaleSettings } from './autoscaler.js';
import { LoadMeter } from './load-meter.js';
import type { InferenceService, PredictorSpec } from './types.js';

const isvc = (annotations: Record<string, string> = {}): InferenceService => ({ apiVersion: 'serving.kserve.io/v1beta1', kind: 'InferenceService', metadata: { name: 'm', namespace: 'ns', annotations }, spec: { predictor: {} } });

describe('autoscaler settings', () => {
  test('KServe fields win over Knative annotations; Knative defaults otherwise; unset maxReplicas is the host cap', () => {
    const spec: PredictorSpec = { minReplicas: 1, maxReplicas: 4, scaleMetric: 'rps', scaleTarget: 5 };
    const s = scaleSettings(isvc({ 'autoscaling.knative.dev/target': '50', 'autoscaling.knative.dev/window': '6s' }), spec, 2);
    assert.deepEqual([s.metric, s.target, s.min, s.max, s.stableWindowMs, s.panicWindowMs, s.utilization], ['rps', 5, 1, 4, 6000, 600, 0.7]);
    const d = scaleSettings(isvc(), {}, 2);
    assert.deepEqual([d.metric, d.target, d.min, d.max, d.stableWindowMs, d.panicThreshold], ['concurrency', 100, 1, 2, 60_000, 2]);
    const a = scaleSettings(isvc({ 'autoscaling.knative.dev/metric': 'rps', 'autoscaling.knative.dev/target': '7', 'autoscaling.knative.dev/target-utilization-percentage': '100', 'autoscaling.knative.dev/scale-down-delay': '1m30s' }), { minReplicas: 0 }, 8);
    assert.deepEqual([a.metric, a.target, a.utilization, a.min, a.max, a.scaleDownDelayMs], ['rps', 7, 1, 1, 8, 90_000]);
  });

  test('durations as Knative writes them', () => {
    assert.equal(parseDuration('60s'), 60_000);
    assert.equal(parseDuration('1m30s'), 90_000);
    assert.equal(parseDuration('500ms'), 500);
    assert.equal(parseDuration('2'), 2000);
    assert.equal(parseDuration('soon'), undefined);
  });
});

describe('autoscaler decisions', () => {
  const settings: ScaleSettings = { metric: 'concurrency', target: 1, utilization: 1, min: 1, max: 5, stableWindowMs: 10_000, panicWindowMs: 1000, panicThreshold: 2, scaleDownDelayMs: 0, maxScaleDownRate: 2, maxScaleUpRate: 1000 };

  test('ceil(observed / (target × utilization)), within [min, max]', () => {
    assert.equal(decide(settings, { stable: 2.5, panic: 2.5, ready: 3 }, freshScaleState(), 0).desired, 3);
    assert.equal(decide(settings, { stable: 50, panic: 50, ready: 5 }, freshScaleState(), 0).desired, 5, 'max');
    assert.equal(decide(settings, { stable: 0, panic: 0, ready: 1 }, freshScaleState(), 0).desired, 1, 'min');
    assert.equal(decide({ ...settings, utilization: 0.7 }, { stable: 1.5, panic: 1.5, ready: 3 }, freshScaleState(), 0).desired, 3, '1.5 / 0.7 → 3');
  });

  test('scale-down at most halves per decision', () => {
    assert.equal(decide(settings, { stable: 0, panic: 0, ready: 4 }, freshScaleState(), 0).desired, 2);
  });

  test('panic: a burst over 200% of the ready replicas scales on the panic window and never down until a stable window has passed', () => {
    const burst = decide(settings, { stable: 1, panic: 4, ready: 1 }, freshScaleState(), 0);
    assert.equal(burst.panic, true);
    assert.equal(burst.desired, 4, 'the panic window decides');
    const calmer = decide(settings, { stable: 1, panic: 1, ready: 4 }, burst.state, 5000);
    assert.equal(calmer.panic, true);
    assert.equal(calmer.desired, 4, 'no scale-down in panic');
    const over = decide(settings, { stable: 1, panic: 1, ready: 4 }, calmer.state, 10_001);
    assert.equal(over.panic, false);
    assert.equal(over.desired, 2, 'out of panic: the stable window, halving at most');
  });

  test('scale-down delay keeps the highest recommendation of the delay', () => {
    const delayed = { ...settings, scaleDownDelayMs: 3000 };
    const up = decide(delayed, { stable: 3, panic: 3, ready: 3 }, freshScaleState(), 0);
    assert.equal(up.desired, 3);
    assert.equal(decide(delayed, { stable: 0, panic: 0, ready: 3 }, up.state, 2000).desired, 3);
    assert.equal(decide(delayed, { stable: 0, panic: 0, ready: 3 }, up.state, 3500).desired, 1);
  });
});

describe('load meter', () => {
  test('average concurrency and requests per second over a window, and over the time seen when that is shorter', () => {
    let now = 10_000;
    const meter = new LoadMeter({ bucketMs: 100, now: () => now });
    // Two requests in flight for 1 s, then one for 1 s.
    const a = meter.start('r');
    const b = meter.start('r');
    now += 1000;
    a();
    now += 1000;
    b();
    const whole = meter.read('r', 10_000);
    assert.ok(Math.abs(whole.concurrency - 1.5) < 1e-9, `1.5 over the 2 s seen: ${whole.concurrency}`);
    assert.ok(Math.abs(whole.rps - 1) < 1e-9, `2 requests in 2 s: ${whole.rps}`);
    const last = meter.read('r', 1000);
    assert.ok(Math.abs(last.concurrency - 1) < 1e-9, `the last second: ${last.concurrency}`);
    assert.equal(last.rps, 0);
    now += 8000;
    assert.ok(Math.abs(meter.read('r', 10_000).concurrency - 0.3) < 1e-9, '3 request-seconds over 10 s');
    assert.equal(meter.inFlight('r'), 0);
    assert.deepEqual(meter.read('unseen', 1000), { concurrency: 0, rps: 0 });
  });
});
