import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { cmaes, CmaesLabels } from './cmaes.js';
import { SearchSpace } from './space.js';
import { median } from './stats.js';
import type { Assignment, ParameterSpec, TrialRecord } from './types.js';
import { branin, braninSpace, double, input, value } from './test-problems.js';

const settingsPath = 'spec.algorithm.algorithmSettings';
const generationOf = (t: { labels?: Record<string, string> }): number => Number(t.labels?.[CmaesLabels.generation]);

/** A sequential loop (count = 1): suggest, evaluate, record with the suggestion's labels. */
function loop(parameters: ParameterSpec[], f: (a: Assignment[]) => number, n: number, settings: Record<string, string>, fail = (_i: number) => false): TrialRecord[] {
  const trials: TrialRecord[] = [];
  while (trials.length < n) {
    const [s] = cmaes.suggest(input(parameters, trials, { settings })).suggestions;
    const i = trials.length;
    trials.push({ name: `t${i}`, assignments: s!.assignments, ...(s!.labels ? { labels: s!.labels } : {}), ...(fail(i) ? { state: 'Failed' } : { state: 'Succeeded', value: f(s!.assignments) }) });
  }
  return trials;
}

describe('cmaes', () => {
  test('names every bad setting by field', () => {
    const check = (settings: Record<string, string>) => cmaes.validate({ parameters: braninSpace, settings, parallelTrialCount: 1, settingsPath }).map((e) => e.field);
    assert.deepEqual(check({ random_state: '1', sigma: '0.2', restart_strategy: 'ipop' }), []);
    assert.deepEqual(check({ sigma: '0' }), [`${settingsPath}[sigma]`]);
    assert.deepEqual(check({ restart_strategy: 'lpop' }), [`${settingsPath}[restart_strategy]`]);
    assert.deepEqual(check({ random_state: '-1', popsize: '8' }), [`${settingsPath}[popsize]`, `${settingsPath}[random_state]`]);
  });

  test(`finds Branin's minimum (0.397887) within 100 trials (median of 5 seeds)`, () => {
    const bests = [1, 2, 3, 4, 5].map((seed) => Math.min(...loop(braninSpace, branin, 100, { random_state: String(seed) }).map((t) => t.value!)));
    assert.ok(median(bests) < 1.0, `best values ${bests.join(', ')}`);
  });

  test('generations hold λ = 4 + ⌊3 ln d⌋ successes; failed trials are sampled again', () => {
    const trials = loop(braninSpace, branin, 60, { random_state: '3' }, (i) => i % 7 === 3);
    const lambda = 4 + Math.floor(3 * Math.log(2));
    const last = generationOf(trials.at(-1)!);
    for (let g = 0; g < last; g++) {
      const inGen = trials.filter((t) => generationOf(t) === g);
      assert.equal(inGen.filter((t) => t.state === 'Succeeded').length, lambda, `generation ${g}`);
    }
    assert.ok(last >= 7);
  });

  test('is a pure function of the trials: replaying any prefix suggests the same point again', () => {
    const settings = { random_state: '4' };
    const trials = loop(braninSpace, branin, 40, settings);
    for (const k of [0, 5, 17, 39]) {
      const again = cmaes.suggest(input(braninSpace, trials.slice(0, k), { settings })).suggestions[0]!;
      assert.deepEqual(again.assignments, trials[k]!.assignments);
      assert.deepEqual(again.labels, trials[k]!.labels);
    }
    assert.notDeepEqual(cmaes.suggest(input(braninSpace, [], { settings: { random_state: '5' } })).suggestions, cmaes.suggest(input(braninSpace, [], { settings })).suggestions);
  });

  test('parallel requests: a batch of three is distinct, and later slots of a pending generation continue it', () => {
    const settings = { random_state: '6' };
    const trials = loop(braninSpace, branin, 12, settings);
    const batch = cmaes.suggest(input(braninSpace, trials, { count: 3, settings })).suggestions;
    const space = new SearchSpace(braninSpace);
    const keys = new Set(batch.map((s) => space.key(s.assignments)));
    assert.equal(keys.size, 3);
    const running: TrialRecord[] = batch.map((s, i) => ({ name: `r${i}`, assignments: s.assignments, labels: s.labels!, state: 'Running' }));
    const more = cmaes.suggest(input(braninSpace, [...trials, ...running], { count: 3, settings })).suggestions;
    assert.deepEqual(more.map(generationOf), batch.map(generationOf));
    for (const s of more) assert.ok(!keys.has(space.key(s.assignments)));
  });

  test('ipop restarts with a doubled population once the search stalls', () => {
    const flat = (): number => 1;
    const trials = loop(braninSpace, flat, 200, { random_state: '7', restart_strategy: 'ipop' });
    const sizes = new Map<number, number>();
    for (const t of trials) sizes.set(generationOf(t), (sizes.get(generationOf(t)) ?? 0) + 1);
    assert.ok([...sizes.values()].includes(12), `generation sizes ${[...sizes.values()].join(',')}`);
    const none = loop(braninSpace, flat, 200, { random_state: '7' });
    assert.ok(none.every((t) => Number.isInteger(generationOf(t))));
    assert.equal(Math.max(...[...new Set(none.map(generationOf))].map((g) => none.filter((t) => generationOf(t) === g).length)), 6);
  });

  test('falls back to independent sampling with fewer than two numeric parameters; samples categoricals at random', () => {
    const oneD = [double('x', 0, 1), { name: 'c', parameterType: 'categorical', feasibleSpace: { list: ['a', 'b', 'c'] } } satisfies ParameterSpec];
    const trials = loop(oneD, (a) => Number(value(a, 'x')), 30, { random_state: '1' });
    assert.ok(trials.every((t) => t.labels === undefined));
    assert.equal(new Set(trials.map((t) => value(t.assignments, 'c'))).size, 3);

    const mixed = [...braninSpace, { name: 'c', parameterType: 'categorical', feasibleSpace: { list: ['a', 'b'] } } satisfies ParameterSpec];
    const run = loop(mixed, branin, 40, { random_state: '2' });
    assert.ok(run.every((t) => ['a', 'b'].includes(value(t.assignments, 'c')) && Number.isInteger(generationOf(t))));
  });
});
