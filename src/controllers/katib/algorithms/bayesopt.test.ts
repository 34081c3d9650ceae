import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { bayesianoptimization } from './bayesopt.js';
import { GaussianProcess, negLogPosterior } from './gp.js';
import { Rng } from './rng.js';
import { SearchSpace } from './space.js';
import { median } from './stats.js';
import type { Assignment, ParameterSpec, TrialRecord } from './types.js';
import { branin, braninSpace, double, input, value } from './test-problems.js';

const settingsPath = 'spec.algorithm.algorithmSettings';

/** A sequential loop (count = 1): suggest, evaluate, record. */
function loop(parameters: ParameterSpec[], f: (a: Assignment[]) => number, n: number, settings: Record<string, string>): TrialRecord[] {
  const trials: TrialRecord[] = [];
  while (trials.length < n) {
    const [s] = bayesianoptimization.suggest(input(parameters, trials, { settings })).suggestions;
    trials.push({ name: `t${trials.length}`, assignments: s!.assignments, state: 'Succeeded', value: f(s!.assignments) });
  }
  return trials;
}

function points(n: number, d: number, seed: number): number[][] {
  const rng = new Rng(seed);
  return Array.from({ length: n }, () => Array.from({ length: d }, () => rng.uniform()));
}

describe('GaussianProcess', () => {
  const f = (x: readonly number[]): number => Math.sin(6 * x[0]!) + 0.5 * x[1]! ** 2;

  test('interpolates its training points, and is sure of them', () => {
    const xs = points(20, 2, 1);
    const gp = GaussianProcess.fit({ x: xs, y: xs.map(f), categorical: [false, false], rng: new Rng(1) });
    const far = gp.predict([0.5, 1.7]).variance; // outside the cube: back to the prior
    for (const x of xs) {
      const p = gp.predict(x);
      assert.ok(Math.abs(p.mean - f(x)) < 0.02, `mean ${p.mean} vs ${f(x)}`);
      assert.ok(p.variance < far / 100, `variance ${p.variance} vs ${far}`);
    }
  });

  test('fits length scales to the data: a dimension that does not matter gets a long one', () => {
    const xs = points(30, 2, 2);
    const gp = GaussianProcess.fit({ x: xs, y: xs.map((x) => Math.sin(6 * x[0]!)), categorical: [false, false], rng: new Rng(2) });
    const [l0, l1] = gp.params.lengthScales;
    assert.ok(l0! < 1 && l1! > 4 * l0!, `length scales ${l0}, ${l1}`);
    assert.ok(gp.params.noise < 1e-3, `noise ${gp.params.noise}`);
  });

  test('a warm fit from the last kernel (θ) lands on the same kernel as a cold fit', () => {
    const xs = points(40, 3, 4);
    const y = xs.map((x) => Math.sin(5 * x[0]!) + x[1]! * x[2]!);
    const cold = GaussianProcess.fit({ x: xs, y, categorical: [false, false, false], rng: new Rng(4) });
    assert.equal(cold.theta.length, 5);
    const warm = GaussianProcess.fit({ x: xs, y, categorical: [false, false, false], rng: new Rng(5), warm: cold.theta });
    cold.params.lengthScales.forEach((l, j) => assert.ok(Math.abs(Math.log(warm.params.lengthScales[j]!) - Math.log(l)) < 0.2, `length scale ${j}: ${warm.params.lengthScales[j]} vs ${l}`));
    const probe = [0.3, 0.6, 0.2];
    assert.ok(Math.abs(warm.predict(probe).mean - cold.predict(probe).mean) < 0.05);
  });

  test('gradients of the marginal likelihood and of the posterior match finite differences', () => {
    const xs = points(15, 3, 3).map((x) => [x[0]!, x[1]!, (Math.floor(x[2]! * 3) + 0.5) / 3]);
    const y = Float64Array.from(xs, (x) => f(x) + (x[2]! > 0.5 ? 1 : 0));
    const cat = [false, false, true];
    const dist = cat.map((c, j) => Float64Array.from({ length: 15 * 15 }, (_, i) => {
      const diff = xs[Math.floor(i / 15)]![j]! - xs[i % 15]![j]!;
      return c ? (Math.abs(diff) > 1e-9 ? 1 : 0) : diff * diff;
    }));
    const theta = Float64Array.from([-1, -0.5, 0.2, 0.3, Math.log(1e-2)]);
    const grad = new Float64Array(5);
    negLogPosterior(theta, dist, y, grad);
    const h = 1e-6;
    for (let i = 0; i < theta.length; i++) {
      const up = Float64Array.from(theta);
      const down = Float64Array.from(theta);
      up[i]! += h;
      down[i]! -= h;
      const fd = (negLogPosterior(up, dist, y, new Float64Array(5)) - negLogPosterior(down, dist, y, new Float64Array(5))) / (2 * h);
      assert.ok(Math.abs(fd - grad[i]!) < 1e-4 * Math.max(1, Math.abs(fd)), `θ${i}: ${grad[i]} vs ${fd}`);
    }
    const gp = GaussianProcess.fit({ x: xs, y: Array.from(y), categorical: cat, rng: new Rng(3) });
    const at = [0.3, 0.6, 0.5];
    const p = gp.predictWithGradient(at);
    for (let j = 0; j < 2; j++) {
      const a = gp.predict(at.map((v, k) => (k === j ? v + h : v)));
      const b = gp.predict(at.map((v, k) => (k === j ? v - h : v)));
      assert.ok(Math.abs((a.mean - b.mean) / (2 * h) - p.dMean[j]!) < 1e-4 * Math.max(1, Math.abs(p.dMean[j]!)));
      assert.ok(Math.abs((a.variance - b.variance) / (2 * h) - p.dVariance[j]!) < 1e-4 * Math.max(1, Math.abs(p.dVariance[j]!)));
    }
  });
});

describe('bayesianoptimization', () => {
  test('names every bad setting by field', () => {
    const check = (settings: Record<string, string>) => bayesianoptimization.validate({ parameters: braninSpace, settings, parallelTrialCount: 1, settingsPath });
    assert.deepEqual(check({ base_estimator: 'GP', n_initial_points: '5', acq_func: 'EI', acq_optimizer: 'lbfgs', random_state: '3' }), []);
    const fields = (s: Record<string, string>) => check(s).map((e) => e.field);
    assert.deepEqual(fields({ acq_func: 'UCB' }), [`${settingsPath}[acq_func]`]);
    assert.deepEqual(fields({ acq_func: 'EIps' }), [`${settingsPath}[acq_func]`]);
    assert.match(check({ acq_func: 'PIps' })[0]!.message, /not supported/);
    assert.deepEqual(fields({ base_estimator: 'RF' }), [`${settingsPath}[base_estimator]`]);
    assert.match(check({ base_estimator: 'GBRT' })[0]!.message, /not supported/);
    assert.deepEqual(fields({ acq_optimizer: 'adam' }), [`${settingsPath}[acq_optimizer]`]);
    assert.deepEqual(fields({ n_initial_points: '-1', random_state: 'x' }), [`${settingsPath}[n_initial_points]`, `${settingsPath}[random_state]`]);
    assert.deepEqual(fields({ kappa: '2' }), [`${settingsPath}[kappa]`]);
  });

  test('starts with a Latin hypercube: one point per stratum in each dimension', () => {
    const s = bayesianoptimization.suggest(input(braninSpace, [], { count: 10, settings: { random_state: '1' } })).suggestions;
    const space = new SearchSpace(braninSpace);
    const u = s.map((x) => space.encode(x.assignments)!);
    for (let j = 0; j < 2; j++) assert.deepEqual(u.map((x) => Math.floor(x[j]! * 10)).sort((a, b) => a - b), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  test('keeps the fitted kernel in its settings, and the next call starts from it', () => {
    const parameters = braninSpace;
    const trials: TrialRecord[] = Array.from({ length: 15 }, (_, i) => {
      const assignments: Assignment[] = [
        { name: 'x1', value: String(-5 + i) },
        { name: 'x2', value: String((i * 7) % 15) },
      ];
      return { name: `t${i}`, assignments, state: 'Succeeded' as const, value: branin(assignments) };
    });
    const first = bayesianoptimization.suggest(input(parameters, trials, { settings: { random_state: '3' } }));
    const theta = first.settings?.['gp_log_hyperparameters'];
    assert.ok(theta && theta.split(',').length === 4 && theta.split(',').every((v) => Number.isFinite(Number(v))), String(theta));
    const next = bayesianoptimization.suggest(input(parameters, trials, { settings: { random_state: '3', gp_log_hyperparameters: theta } }));
    assert.equal(next.suggestions.length, 1);
    assert.ok(next.settings?.['gp_log_hyperparameters']);
  });

  test('is deterministic under random_state, and random_state matters', () => {
    const trials = loop(braninSpace, branin, 14, { random_state: '1', n_initial_points: '8' });
    const run = (seed: string) => bayesianoptimization.suggest(input(braninSpace, trials, { count: 2, settings: { random_state: seed, n_initial_points: '8' } })).suggestions;
    assert.deepEqual(run('4'), run('4'));
    assert.notDeepEqual(run('4'), run('5'));
  });

  test('a batch of three is three distinct points, away from the trials in flight', () => {
    const trials = loop(braninSpace, branin, 12, { random_state: '2' });
    const running: TrialRecord[] = bayesianoptimization
      .suggest(input(braninSpace, trials, { count: 2, settings: { random_state: '2' } }))
      .suggestions.map((s, i) => ({ name: `r${i}`, assignments: s.assignments, state: 'Running' }));
    const all = [...trials, ...running];
    const batch = bayesianoptimization.suggest(input(braninSpace, all, { count: 3, settings: { random_state: '2' } })).suggestions;
    assert.equal(batch.length, 3);
    const space = new SearchSpace(braninSpace);
    const u = [...running, ...batch].map((s) => space.encode(s.assignments)!);
    for (let a = 0; a < u.length; a++) {
      for (let b = 0; b < a; b++) assert.ok(Math.hypot(u[a]![0]! - u[b]![0]!, u[a]![1]! - u[b]![1]!) > 1e-3, `points ${a} and ${b} coincide`);
    }
  });

  for (const acqFunc of ['gp_hedge', 'LCB', 'PI']) {
    test(`finds Branin's minimum (0.397887) within 40 trials (${acqFunc}, median of 3 seeds)`, () => {
      const bests = [1, 2, 3].map((seed) => Math.min(...loop(braninSpace, branin, 40, { random_state: String(seed), acq_func: acqFunc }).map((t) => t.value!)));
      assert.ok(median(bests) < 0.5, `best values ${bests.join(', ')}`);
    });
  }

  test('handles integer, discrete and categorical parameters, and maximisation', () => {
    const parameters: ParameterSpec[] = [
      double('lr', 1e-4, 1e-1),
      { name: 'layers', parameterType: 'int', feasibleSpace: { min: '1', max: '8' } },
      { name: 'batch', parameterType: 'discrete', feasibleSpace: { list: ['16', '32', '64', '128'] } },
      { name: 'opt', parameterType: 'categorical', feasibleSpace: { list: ['sgd', 'adam', 'rmsprop'] } },
    ];
    parameters[0]!.feasibleSpace.distribution = 'logUniform';
    const score = (a: Assignment[]): number =>
      -((Math.log10(Number(value(a, 'lr'))) + 2.5) ** 2) - (Number(value(a, 'layers')) - 5) ** 2 / 4 + (value(a, 'opt') === 'adam' ? 1 : 0) - Math.abs(Number(value(a, 'batch')) - 64) / 64;
    const trials: TrialRecord[] = [];
    while (trials.length < 30) {
      const [s] = bayesianoptimization.suggest(input(parameters, trials, { objective: 'maximize', settings: { random_state: '5' } })).suggestions;
      trials.push({ name: `t${trials.length}`, assignments: s!.assignments, state: 'Succeeded', value: score(s!.assignments) });
    }
    const best = trials.reduce((a, b) => (b.value! > a.value! ? b : a));
    assert.equal(value(best.assignments, 'opt'), 'adam');
    assert.ok(best.value! > 0.5, `best ${best.value}`);
  });
});
