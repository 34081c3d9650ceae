import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { random } from './random.js';
import { sobol, SOBOL_MAX_DIMENSIONS } from './sobol.js';
import type { ParameterSpec, SuggestInput } from './types.js';

const unit = (n: number): ParameterSpec[] => Array.from({ length: n }, (_, i) => ({ name: `x${i}`, parameterType: 'double', feasibleSpace: { min: '0', max: '1' } }));

function input(parameters: ParameterSpec[], over: Partial<SuggestInput> = {}): SuggestInput {
  return { parameters, objective: 'minimize', settings: {}, trials: [], count: 1, issued: 0, parallelTrialCount: 1, defaultSeed: 7, ...over };
}

const points = (parameters: ParameterSpec[], over: Partial<SuggestInput>): number[][] =>
  sobol.suggest(input(parameters, over)).suggestions.map((s) => s.assignments.map((a) => Number(a.value)));

/** How many cells of an m×m grid the first two coordinates of `pts` fall in. */
function cellsHit(pts: number[][], m: number): number {
  return new Set(pts.map(([x, y]) => `${Math.floor(x! * m)},${Math.floor(y! * m)}`)).size;
}

describe('sobol', () => {
  test('the first points are the Gray-code Sobol sequence without its origin', () => {
    assert.deepEqual(points(unit(2), { count: 5 }), [
      [0.5, 0.5],
      [0.75, 0.25],
      [0.25, 0.75],
      [0.375, 0.375],
      [0.875, 0.875],
    ]);
    assert.deepEqual(points(unit(1), { count: 4 }), [[0.5], [0.75], [0.25], [0.375]]);
  });

  test('high dimensions match the Joe–Kuo sequence (values from scipy.stats.qmc.Sobol, scramble=False)', () => {
    const pick = (index: number): number[] => {
      const p = points(unit(64), { issued: index - 1 })[0]!;
      return [p[2]!, p[20]!, p[40]!, p[63]!];
    };
    assert.deepEqual(pick(5), [0.125, 0.625, 0.375, 0.625]);
    assert.deepEqual(pick(100), [0.7734375, 0.7578125, 0.7109375, 0.6484375]);
    assert.deepEqual(pick(1024), [0.44775390625, 0.52490234375, 0.41943359375, 0.96630859375]);
  });

  test('suggestions continue from `issued`, so split requests give the same sequence', () => {
    const whole = points(unit(3), { count: 8 });
    const parts = [...points(unit(3), { count: 3 }), ...points(unit(3), { count: 5, issued: 3 })];
    assert.deepEqual(parts, whole);
    const shifted = { settings: { random_state: '11' } };
    assert.deepEqual([...points(unit(3), { ...shifted, count: 2 }), ...points(unit(3), { ...shifted, count: 6, issued: 2 })], points(unit(3), { ...shifted, count: 8 }));
  });

  test('every 1-d projection of 2^k points is stratified, and pairs cover a grid better than random', () => {
    // Points 1..64 plus the origin form a (0, 6, 2)-net in dimensions 1-2: one point per cell of an 8×8 grid.
    const pts = [[0, 0], ...points(unit(2), { count: 63 })];
    assert.equal(cellsHit(pts, 8), 64);
    const rand = random.suggest(input(unit(2), { count: 64, settings: { random_state: '3' } })).suggestions.map((s) => s.assignments.map((a) => Number(a.value)));
    assert.ok(cellsHit(rand, 8) < 56, `random hit ${cellsHit(rand, 8)} cells`);
    const wide = points(unit(SOBOL_MAX_DIMENSIONS), { count: 256, issued: 255 });
    for (let d = 0; d < SOBOL_MAX_DIMENSIONS; d++) {
      assert.equal(new Set(wide.map((p) => Math.floor(p[d]! * 256))).size, 256, `dimension ${d + 1}`);
    }
  });

  test('random_state shifts the sequence reproducibly and keeps its stratification', () => {
    const a = points(unit(2), { count: 64, issued: 63, settings: { random_state: '5' } });
    assert.deepEqual(points(unit(2), { count: 64, issued: 63, settings: { random_state: '5' } }), a);
    assert.notDeepEqual(points(unit(2), { count: 64, issued: 63, settings: { random_state: '6' } }), a);
    assert.notDeepEqual(points(unit(2), { count: 64, issued: 63 }), a);
    assert.equal(cellsHit(a, 8), 64);
  });

  test('maps onto ints and categories through the search space', () => {
    const parameters: ParameterSpec[] = [
      { name: 'n', parameterType: 'int', feasibleSpace: { min: '1', max: '4' } },
      { name: 'opt', parameterType: 'categorical', feasibleSpace: { list: ['sgd', 'adam'] } },
    ];
    const out = sobol.suggest(input(parameters, { count: 8, issued: 7 })).suggestions.map((s) => s.assignments.map((a) => a.value).join(' '));
    assert.equal(new Set(out).size, 8, out.join(', '));
  });

  test('validate names bad settings and too many parameters', () => {
    const base = { parameters: unit(2), parallelTrialCount: 1, settingsPath: 'spec.algorithm.algorithmSettings' };
    assert.deepEqual(sobol.validate({ ...base, settings: { random_state: '3' } }), []);
    const fields = sobol.validate({ ...base, settings: { random_state: '-1', scramble: 'true' } }).map((e) => e.field).sort();
    assert.deepEqual(fields, ['spec.algorithm.algorithmSettings[random_state]', 'spec.algorithm.algorithmSettings[scramble]']);
    const tooMany = sobol.validate({ ...base, parameters: unit(SOBOL_MAX_DIMENSIONS + 1), settings: {} });
    assert.deepEqual(tooMany.map((e) => e.field), ['spec.parameters']);
  });
});
