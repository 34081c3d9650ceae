// The A/B statistics: Mann–Whitney U on latency and the two-proportion z-test on errors, and the verdict they give.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mannWhitneyP, twoProportionP, VariantStats } from './variants.js';

describe('variant statistics', () => {
  test('Mann–Whitney U: same samples give p = 1; separated samples a tiny p; ties handled', () => {
    const a = Array.from({ length: 30 }, (_, i) => i + 1);
    assert.ok(mannWhitneyP(a, [...a]) > 0.9999);
    assert.ok(mannWhitneyP(a, a.map((x) => x + 100)) < 1e-6);
    assert.ok(mannWhitneyP([1, 1, 1, 2], [1, 1, 2, 2]) > 0.3);
    assert.equal(mannWhitneyP([], a), 1);
  });

  test('two-proportion z-test', () => {
    assert.ok(twoProportionP(5, 100, 5, 100) > 0.9999);
    assert.ok(twoProportionP(0, 100, 20, 100) < 0.001);
    assert.equal(twoProportionP(0, 100, 0, 100), 1, 'no errors anywhere: nothing to tell apart');
  });

  test('the verdict names the faster and the more reliable variant', () => {
    const stats = new VariantStats();
    for (let i = 0; i < 200; i++) {
      stats.record('fast', i % 50 === 0 ? 500 : 200, 2 + (i % 5) * 0.1);
      stats.record('slow', i % 4 === 0 ? 503 : 200, 9 + (i % 5) * 0.1);
    }
    const c = stats.compare()!;
    assert.match(c.verdict, /fast answers faster than slow/);
    assert.match(c.verdict, /fast fails less often than slow/);
    assert.deepEqual(stats.summaries().map((s) => [s.revision, s.requests, s.errors]), [['fast', 200, 4], ['slow', 200, 50]]);
    const few = new VariantStats();
    few.record('a', 200, 1);
    few.record('b', 200, 2);
    assert.match(few.compare()!.verdict, /too few requests/);
  });
});
