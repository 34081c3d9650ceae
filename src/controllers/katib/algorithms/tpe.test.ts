import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { median } from './stats.js';
import { random } from './random.js';
import { Rng } from './rng.js';
import { logDensity, logGaussMass, multivariateTpe, optunaParzen, sampleParzen, tpe, type Axis, type Parzen } from './tpe.js';
import type { Algorithm, Assignment, ParameterSpec, TrialRecord } from './types.js';
import { branin, braninSpace, double, input, value } from './test-problems.js';

/** A sequential loop (count = 1): suggest, evaluate, record; the trials in order. */
function loop(alg: Algorithm, parameters: ParameterSpec[], f: (a: Assignment[]) => number, n: number, seed: number): TrialRecord[] {
  const trials: TrialRecord[] = [];
  while (trials.length < n) {
    const [s] = alg.suggest(input(parameters, trials, { settings: { random_state: String(seed) } })).suggestions;
    trials.push({ name: `t${trials.length}`, assignments: s!.assignments, state: 'Succeeded', value: f(s!.assignments) });
  }
  return trials;
}

const bestOf = (trials: TrialRecord[]): number => Math.min(...trials.map((t) => t.value!));

/** Finished trials at random points of `parameters`, scored by f. */
function randomTrials(parameters: ParameterSpec[], f: (a: Assignment[]) => number, n: number): TrialRecord[] {
  const assignments = random.suggest(input(parameters, [], { count: n, settings: { random_state: '1' } })).suggestions.map((s) => s.assignments);
  return assignments.map((a, i) => ({ name: `t${i}`, assignments: a, state: 'Succeeded', value: f(a) }));
}

for (const alg of [tpe, multivariateTpe]) {
  describe(alg.name, () => {
    test('is deterministic under random_state, and random_state matters', () => {
      const trials = randomTrials(braninSpace, branin, 30);
      const run = (seed: string) => alg.suggest(input(braninSpace, trials, { count: 3, settings: { random_state: seed } })).suggestions;
      assert.deepEqual(run('4'), run('4'));
      assert.notDeepEqual(run('4'), run('5'));
      // Without random_state the experiment's seed decides.
      assert.deepEqual(alg.suggest(input(braninSpace, trials)).suggestions, alg.suggest(input(braninSpace, trials)).suggestions);
    });

    test('samples at random until n_startup_trials have finished', () => {
      const trials = randomTrials(braninSpace, branin, 4);
      const settings = { random_state: '2', n_startup_trials: '5' };
      const early = alg.suggest(input(braninSpace, trials, { settings })).suggestions;
      const fromRandom = random.suggest(input(braninSpace, trials, { settings: { random_state: '2' } })).suggestions;
      assert.deepEqual(early, fromRandom);
    });

    test('beats random search on Branin (median best after 60 trials over 15 seeds)', () => {
      const seeds = Array.from({ length: 15 }, (_, i) => i + 1);
      const ours = median(seeds.map((s) => bestOf(loop(alg, braninSpace, branin, 60, s))));
      const baseline = median(seeds.map((s) => bestOf(loop(random, braninSpace, branin, 60, s))));
      assert.ok(ours < baseline, `${alg.name} ${ours} vs random ${baseline}`);
      assert.ok(ours < 1.2, `${alg.name} median best ${ours} (the minimum is 0.397887)`);
    });

    test('learns which category is best', () => {
      const parameters: ParameterSpec[] = [double('x', 0, 1), { name: 'opt', parameterType: 'categorical', feasibleSpace: { list: ['sgd', 'adam', 'rmsprop', 'adagrad'] } }];
      const f = (a: Assignment[]) => (Number(value(a, 'x')) - 0.3) ** 2 + (value(a, 'opt') === 'rmsprop' ? 0 : 1);
      // After the 10 random startup trials, over three seeds (Optuna's TPESampler picks it 55-60% of the time here).
      const trials = [1, 2, 3].flatMap((seed) => loop(alg, parameters, f, 50, seed).slice(10));
      const share = trials.filter((t) => value(t.assignments, 'opt') === 'rmsprop').length / trials.length;
      assert.ok(share > 0.45, `rmsprop chosen ${share} of the time after startup (random: 0.25)`);
    });

    test('keeps ints and discrete values on their grid', () => {
      const parameters: ParameterSpec[] = [
        { name: 'layers', parameterType: 'int', feasibleSpace: { min: '1', max: '8' } },
        { name: 'batch', parameterType: 'discrete', feasibleSpace: { list: ['16', '32', '64', '128'] } },
        { name: 'lr', parameterType: 'double', feasibleSpace: { min: '0.0001', max: '0.1', distribution: 'logUniform' } },
      ];
      const f = (a: Assignment[]) => Math.abs(Number(value(a, 'layers')) - 6) + Math.abs(Math.log2(Number(value(a, 'batch'))) - 6) + Math.abs(Math.log10(Number(value(a, 'lr'))) + 2);
      const trials = loop(alg, parameters, f, 40, 3);
      for (const t of trials) {
        assert.ok(Number.isInteger(Number(value(t.assignments, 'layers'))));
        assert.ok(['16', '32', '64', '128'].includes(value(t.assignments, 'batch')));
        const lr = Number(value(t.assignments, 'lr'));
        assert.ok(lr >= 0.0001 && lr <= 0.1);
      }
      assert.ok(bestOf(trials) < bestOf(trials.slice(0, 10)));
    });

    test('a batch holds distinct points, and pending trials push suggestions away (constant liar)', () => {
      const trials = randomTrials(braninSpace, branin, 30);
      const batch = alg.suggest(input(braninSpace, trials, { count: 4, settings: { random_state: '1' } })).suggestions;
      assert.equal(new Set(batch.map((s) => JSON.stringify(s.assignments))).size, 4);
      const pending: TrialRecord[] = batch.slice(0, 1).map((s) => ({ name: 'p', assignments: s.assignments, state: 'Running' }));
      const next = alg.suggest(input(braninSpace, [...trials, ...pending], { settings: { random_state: '1' } })).suggestions[0]!;
      assert.notDeepEqual(next.assignments, batch[0]!.assignments);
    });

    test('maximize is handled by negation', () => {
      // Maximising -branin walks exactly the path that minimising branin does.
      const f = (a: Assignment[]) => -branin(a);
      const maximising = loop({ ...alg, suggest: (i) => alg.suggest({ ...i, objective: 'maximize' }) }, braninSpace, f, 40, 2);
      const minimising = loop(alg, braninSpace, branin, 40, 2);
      assert.deepEqual(maximising.map((t) => t.assignments), minimising.map((t) => t.assignments));
      assert.ok(Math.max(...maximising.slice(10).map((t) => t.value!)) > Math.max(...maximising.slice(0, 10).map((t) => t.value!)));
    });
  });
}

describe('tpe', () => {
  test('samples each parameter on its own (Optuna\'s multivariate=False)', () => {
    // Shuffling x2 among the trials changes nothing that x1's estimator sees, so x1's suggestion stays put.
    const trials = randomTrials(braninSpace, branin, 30);
    const rotated = trials.map((t, i) => {
      const other = trials[(i + 7) % trials.length]!;
      return { ...t, assignments: [t.assignments[0]!, other.assignments[1]!] };
    });
    const run = (ts: TrialRecord[]) => tpe.suggest(input(braninSpace, ts, { count: 3, settings: { random_state: '3' } })).suggestions;
    const [a, b] = [run(trials), run(rotated)];
    assert.deepEqual(a.map((s) => value(s.assignments, 'x1')), b.map((s) => value(s.assignments, 'x1')));
    assert.notDeepEqual(a.map((s) => value(s.assignments, 'x2')), b.map((s) => value(s.assignments, 'x2')));
  });

  test('gamma sets the good fraction, and prior_weight and n_EI_candidates reach the estimator', () => {
    const trials = randomTrials(braninSpace, branin, 40);
    const run = (settings: Record<string, string>) => tpe.suggest(input(braninSpace, trials, { count: 2, settings: { random_state: '5', ...settings } })).suggestions;
    // The default is Optuna's default_gamma, min(ceil(0.1·n), 25).
    assert.deepEqual(run({}), run({ gamma: '0.1', prior_weight: '1', n_EI_candidates: '24' }));
    assert.deepEqual(run({}), run({ gamma: '0.08' })); // ceil(3.2) = ceil(4) = 4 of 40
    assert.notDeepEqual(run({}), run({ gamma: '0.3' }));
    assert.notDeepEqual(run({}), run({ prior_weight: '5' }));
    assert.notDeepEqual(run({}), run({ n_EI_candidates: '200' }));
  });
});

describe('tpe settings', () => {
  const base = { parameters: braninSpace, parallelTrialCount: 1, settingsPath: 'spec.algorithm.algorithmSettings' };
  const fields = (alg: Algorithm, settings: Record<string, string>) => alg.validate({ ...base, settings }).map((e) => e.field).sort();

  test('tpe accepts hyperopt settings and names bad ones by field', () => {
    assert.deepEqual(fields(tpe, { gamma: '0.3', prior_weight: '2', n_EI_candidates: '48', n_startup_trials: '5', random_state: '1' }), []);
    assert.deepEqual(fields(tpe, { gamma: '1.5' }), ['spec.algorithm.algorithmSettings[gamma]']);
    assert.deepEqual(fields(tpe, { gamma: '0' }), ['spec.algorithm.algorithmSettings[gamma]']);
    assert.deepEqual(fields(tpe, { prior_weight: '-1', n_EI_candidates: '2.5', n_ei_candidates: '3' }), [
      'spec.algorithm.algorithmSettings[n_EI_candidates]',
      'spec.algorithm.algorithmSettings[n_ei_candidates]',
      'spec.algorithm.algorithmSettings[prior_weight]',
    ]);
  });

  test('multivariate-tpe accepts Optuna settings and names bad ones by field', () => {
    assert.deepEqual(fields(multivariateTpe, { n_startup_trials: '0', n_ei_candidates: '64', random_state: '9' }), []);
    assert.deepEqual(fields(multivariateTpe, { n_ei_candidates: 'many', gamma: '0.2', n_startup_trials: '-1' }), [
      'spec.algorithm.algorithmSettings[gamma]',
      'spec.algorithm.algorithmSettings[n_ei_candidates]',
      'spec.algorithm.algorithmSettings[n_startup_trials]',
    ]);
  });
});

describe('Parzen estimators', () => {
  const rng = new Rng(3);
  const xs = Array.from({ length: 40 }, () => rng.uniform() ** 2);
  const total = (q: Parzen, axis: Axis): number => {
    if (axis.kind !== 'continuous') return Array.from({ length: axis.n }, (_, i) => Math.exp(logDensity(q, [(i + 0.5) / axis.n]))).reduce((a, b) => a + b, 0);
    const n = 20000;
    return Array.from({ length: n }, (_, i) => Math.exp(logDensity(q, [(i + 0.5) / n]))).reduce((a, b) => a + b, 0) / n;
  };

  test('densities are normalised on the cube', () => {
    for (const axis of [{ kind: 'continuous' }, { kind: 'bins', n: 7 }, { kind: 'categorical', n: 5 }] satisfies Axis[]) {
      const pts = axis.kind === 'continuous' ? xs : xs.map((x) => (Math.floor(x * axis.n) + 0.5) / axis.n);
      for (const n of [0, 1, 2, 40]) {
        for (const priorWeight of [1, 3]) {
          const q = optunaParzen(pts.slice(0, n).map((x) => [x]), [axis], priorWeight);
          assert.ok(Math.abs(total(q, axis) - 1) < 1e-4, `${axis.kind} n=${n} prior_weight=${priorWeight}`);
        }
      }
    }
  });

  test('samples follow the density', () => {
    for (const q of [optunaParzen(xs.map((x) => [x]), [{ kind: 'continuous' }]), optunaParzen(xs.slice(0, 3).map((x) => [x]), [{ kind: 'continuous' }], 2)]) {
      const counts = new Array<number>(5).fill(0);
      const draws = 40000;
      for (let i = 0; i < draws; i++) counts[Math.min(4, Math.floor(sampleParzen(q, rng)[0]! * 5))]! += 1;
      counts.forEach((c, b) => {
        const mass = Array.from({ length: 200 }, (_, i) => Math.exp(logDensity(q, [(b + (i + 0.5) / 200) / 5]))).reduce((s, v) => s + v, 0) / 1000;
        assert.ok(Math.abs(c / draws - mass) < 0.01, `bin ${b}: ${c / draws} vs ${mass}`);
      });
    }
  });

  test('one axis is Optuna\'s univariate _ParzenEstimator (log_pdf values from Optuna 5.0.0)', () => {
    // _ParzenEstimator({'x': obs}, {'x': FloatDistribution(0, 1)}, prior_weight, magic clip, no endpoints, default_weights).
    const few = [0.1, 0.35, 0.4, 0.8];
    const many = Array.from({ length: 30 }, (_, i) => Number((((i + 1) * 0.6180339887) % 1).toFixed(6)));
    const at = [0.05, 0.3, 0.5, 0.9];
    const cases: [number[], number, number[]][] = [
      [[], 1, [-0.0602722, 0.0209778, 0.0409778, -0.0390222]],
      [[0.7], 1, [-0.179367987, -0.01230442, 0.05849793, 0.019991807]],
      [few, 1, [0.060750146, 0.251654244, 0.104394934, -0.456796514]],
      [few, 2, [0.041569733, 0.21671704, 0.094100779, -0.373899742]],
      // 30 observations: the oldest five ramped down, the clip at 1/32.
      [many, 1, [0.140320931, 0.225739107, 0.166199968, 0.159147989]],
    ];
    const close = (ours: number[], optuna: number[], what: string) =>
      ours.forEach((v, i) => assert.ok(Math.abs(v - optuna[i]!) < 1e-6, `${what} at ${i}: ${v} vs Optuna ${optuna[i]}`));
    for (const [obs, priorWeight, expected] of cases) {
      const q = optunaParzen(obs.map((x) => [x]), [{ kind: 'continuous' }], priorWeight);
      close(at.map((x) => logDensity(q, [x])), expected, `n=${obs.length} prior_weight=${priorWeight}`);
    }
    // IntDistribution(1, 8) observed at 2, 3, 3, 7; log_pdf at 1, 3, 5, 8 (cells of the cube: (v - 0.5) / 8).
    const int = (v: number) => [(v - 0.5) / 8];
    const qi = optunaParzen([2, 3, 3, 7].map(int), [{ kind: 'bins', n: 8 }]);
    close([1, 3, 5, 8].map((v) => logDensity(qi, int(v))), [-2.012489854, -1.669816182, -2.214545071, -2.655287112], 'int');
    // CategoricalDistribution of four choices observed at 0, 2, 2, 3.
    const cat = (i: number) => [(i + 0.5) / 4];
    const qc = optunaParzen([0, 2, 2, 3].map(cat), [{ kind: 'categorical', n: 4 }]);
    close([0, 1, 2, 3].map((i) => logDensity(qc, cat(i))), [-1.386294361, -1.974081026, -1.018569581, -1.386294361], 'categorical');
  });

  test('the Gaussian mass stays finite far in the tails', () => {
    assert.ok(Math.abs(logGaussMass(-0.5, 0.5) - Math.log(0.3829249225480262)) < 1e-6);
    assert.ok(Math.abs(logGaussMass(-40, -39) - -765.0832) < 1e-2);
    assert.equal(logGaussMass(39, 40), logGaussMass(-40, -39));
  });
});
