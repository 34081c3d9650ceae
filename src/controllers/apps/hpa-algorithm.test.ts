// Unit tests for the HPA's arithmetic: usage ratio and tolerance, missing and unready Pods, stabilization, policies.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { defaultedBehavior, limitWithBehavior, limitWithRules, resourceReplicas, stabilize, stabilizeWithBehavior, type PodSample } from './hpa-algorithm.js';

const pod = (name: string, value: number | undefined, request = 1, unready = false): PodSample => ({ name, value, request, unready, ignored: false });

test('utilization: desired = ceil(current × usage / target); within 10% keeps the count', () => {
  // 3 Pods at 100% of request, target 50% → 6.
  assert.equal(resourceReplicas(3, [pod('a', 1), pod('b', 1), pod('c', 1)], 50, true).replicas, 6);
  assert.equal(resourceReplicas(3, [pod('a', 1), pod('b', 1), pod('c', 1)], 50, true).utilization, 100);
  // 54% against 50% is within tolerance.
  assert.equal(resourceReplicas(3, [pod('a', 0.54), pod('b', 0.54), pod('c', 0.54)], 50, true).replicas, 3);
  // Scale down: 10% of request against 50% → ceil(0.2 × 4) = 1.
  assert.equal(resourceReplicas(4, [pod('a', 0.1), pod('b', 0.1), pod('c', 0.1), pod('d', 0.1)], 50, true).replicas, 1);
});

test('AverageValue: usage per Pod against the target value', () => {
  assert.equal(resourceReplicas(2, [pod('a', 200e6, 0), pod('b', 200e6, 0)], 100e6, false).replicas, 4);
});

test('missing metrics count as 100% when scaling down and unready Pods as 0 when scaling up', () => {
  // Scale down with one Pod missing: the missing one counts as at its request, damping the decision.
  // 3 at 10% → 1 Pod alone; with the fourth counted at 100%, (0.3 + 1) / 4 = 32% → ceil(0.64 × 4) = 3.
  assert.equal(resourceReplicas(4, [pod('a', 0.1), pod('b', 0.1), pod('c', 0.1), pod('d', undefined)], 50, true).replicas, 3);
  // Scale up with an unready Pod: it counts as 0.
  assert.equal(resourceReplicas(2, [pod('a', 1), pod('b', 0.9, 1, true)], 50, true).replicas, 2);
  assert.throws(() => resourceReplicas(2, [pod('a', 1, 0)], 50, true), /missing request/);
  assert.throws(() => resourceReplicas(2, [pod('a', undefined)], 50, true), /did not receive metrics/);
});

test('without behavior: the highest recommendation in the window wins; scale-up limited to max(2×, 4)', () => {
  const now = 1_000_000;
  const s = stabilize([{ at: now - 10_000, replicas: 5 }], 2, now, 300);
  assert.equal(s.replicas, 5);
  assert.equal(stabilize([{ at: now - 400_000, replicas: 5 }], 2, now, 300).replicas, 2);
  assert.deepEqual(limitWithRules(2, 10, 1, 20), { replicas: 4, reason: 'ScaleUpLimit', message: 'the desired replica count is increasing faster than the maximum scale rate' });
  assert.equal(limitWithRules(2, 10, 1, 3).reason, 'TooManyReplicas');
  assert.equal(limitWithRules(2, 0, 1, 3).reason, 'TooFewReplicas');
  assert.equal(limitWithRules(2, 3, 1, 3).reason, 'DesiredWithinRange');
});

test('with behavior: windows per direction, policies over their periods', () => {
  const now = 1_000_000;
  const b = defaultedBehavior({ scaleDown: { stabilizationWindowSeconds: 60 } });
  assert.equal(b.scaleDown.stabilizationWindowSeconds, 60);
  assert.equal(b.scaleUp.stabilizationWindowSeconds, 0);
  const down = stabilizeWithBehavior([{ at: now - 30_000, replicas: 6 }], 6, 2, now, b);
  assert.equal(down.replicas, 6);
  assert.equal(down.reason, 'ScaleDownStabilized');
  assert.equal(stabilizeWithBehavior([{ at: now - 90_000, replicas: 6 }], 6, 2, now, b).replicas, 2);
  // Scale-up policies: max(4 Pods, 100%) per 15 s from 1 → 5.
  assert.deepEqual(limitWithBehavior(1, 20, 1, 30, b, [], [], now).replicas, 5);
  // Already added 4 in the period: the period started at 1 → limit 5.
  assert.equal(limitWithBehavior(5, 20, 1, 30, b, [{ at: now - 5_000, change: 4 }], [], now).replicas, 5);
  const limited = limitWithBehavior(5, 20, 1, 30, b, [{ at: now - 5_000, change: 4 }], [], now);
  assert.equal(limited.reason, 'ScaleUpLimit');
  // Scale down 100% per 15 s: straight to the minimum.
  assert.deepEqual(limitWithBehavior(6, 0, 1, 10, b, [], [], now), { replicas: 1, reason: 'TooFewReplicas', message: 'the desired replica count is less than the minimum replica count' });
  const pods = defaultedBehavior({ scaleDown: { policies: [{ type: 'Pods', value: 1, periodSeconds: 60 }] } });
  assert.equal(limitWithBehavior(6, 1, 1, 10, pods, [], [], now).replicas, 5);
  assert.equal(limitWithBehavior(6, 1, 1, 10, defaultedBehavior({ scaleDown: { selectPolicy: 'Disabled' } }), [], [], now).replicas, 6);
});
