// sobol: Sobol's low-discrepancy sequence (Katib runs goptuna's Sobol sampler), in Gray-code order with Joe and Kuo's
// direction numbers. Suggestion i of a request is point issued + i (the origin skipped, as goptuna does), so the
// algorithm keeps no state and a restart continues the sequence. random_state applies a digital shift (an XOR of every
// coordinate with a seeded 32-bit word), which keeps the sequence's net structure.
import { fieldErrors } from '../../../api/errors.js';
import { checkKnown, checkNumber } from './common.js';
import { mixSeed, Rng } from './rng.js';
import { SearchSpace } from './space.js';
import type { Algorithm } from './types.js';

// Joe & Kuo, "Constructing Sobol sequences with better two-dimensional projections" (2008), file new-joe-kuo-6.21201:
// for dimensions 2, 3, …: the degree s of the primitive polynomial, its coefficients a, then the initial m_1..m_s.
// Dimension 1 is the van der Corput sequence (every m_k = 1).
const JOE_KUO = `
1 0 1
2 1 1 3
3 1 1 3 1
3 2 1 1 1
4 1 1 1 3 3
4 4 1 3 5 13
5 2 1 1 5 5 17
5 4 1 1 5 5 5
5 7 1 1 7 11 19
5 11 1 1 5 1 1
5 13 1 1 1 3 11
5 14 1 3 5 5 31
6 1 1 3 3 9 7 49
6 13 1 1 1 15 21 21
6 16 1 3 1 13 27 49
6 19 1 1 1 15 7 5
6 22 1 3 1 15 13 25
6 25 1 1 5 5 19 61
7 1 1 3 7 11 23 15 103
7 4 1 3 7 13 13 15 69
7 7 1 1 3 13 7 35 63
7 8 1 3 5 9 1 25 53
7 14 1 3 1 13 9 35 107
7 19 1 3 1 5 27 61 31
7 21 1 1 5 11 19 41 61
7 28 1 3 5 3 3 13 69
7 31 1 1 7 13 1 19 1
7 32 1 3 7 5 13 19 59
7 37 1 1 3 9 25 29 41
7 41 1 3 5 13 23 1 55
7 42 1 3 7 3 13 59 17
7 50 1 3 1 3 5 53 69
7 55 1 1 5 5 23 33 13
7 56 1 1 7 7 1 61 123
7 59 1 1 7 9 13 61 49
7 62 1 3 3 5 3 55 33
8 14 1 3 1 15 31 13 49 245
8 21 1 3 5 15 31 59 63 97
8 22 1 3 1 11 11 11 77 249
8 38 1 3 1 11 27 43 71 9
8 47 1 1 7 15 21 11 81 45
8 49 1 3 7 3 25 31 65 79
8 50 1 3 1 1 19 11 3 205
8 52 1 1 5 9 19 21 29 157
8 56 1 3 7 11 1 33 89 185
8 67 1 3 3 3 15 9 79 71
8 70 1 3 7 11 15 39 119 27
8 84 1 1 3 1 11 31 97 225
8 97 1 1 1 3 23 43 57 177
8 103 1 3 7 7 17 17 37 71
8 115 1 3 1 5 27 63 123 213
8 122 1 1 3 5 11 43 53 133
9 8 1 3 5 5 29 17 47 173 479
9 13 1 3 3 11 3 1 109 9 69
9 16 1 1 1 5 17 39 23 5 343
9 22 1 3 1 5 25 15 31 103 499
9 25 1 1 1 11 11 17 63 105 183
9 44 1 1 5 11 9 29 97 231 363
9 47 1 1 5 15 19 45 41 7 383
9 52 1 3 7 7 31 19 83 137 221
9 55 1 1 1 3 23 15 111 223 83
9 59 1 1 5 13 31 15 55 25 161
9 62 1 1 3 13 25 47 39 87 257
`;

const BITS = 32;
const TWO_32 = 2 ** 32;

/** Direction numbers v_k = m_k / 2^k as 32-bit fractions, per dimension (index k from 1). */
const DIRECTIONS: readonly Uint32Array[] = (() => {
  const rows = JOE_KUO.trim().split('\n').map((line) => line.trim().split(/\s+/).map(Number));
  const out = [Uint32Array.from({ length: BITS + 1 }, (_, k) => (k === 0 ? 0 : 2 ** (BITS - k)))];
  for (const [s = 0, a = 0, ...m] of rows) {
    const v = new Uint32Array(BITS + 1);
    for (let k = 1; k <= s; k++) v[k] = m[k - 1]! * 2 ** (BITS - k);
    // The recurrence of the primitive polynomial x^s + a_1 x^(s-1) + … + a_(s-1) x + 1.
    for (let k = s + 1; k <= BITS; k++) {
      let x = v[k - s]! ^ (v[k - s]! >>> s);
      for (let j = 1; j < s; j++) if ((a >>> (s - 1 - j)) & 1) x ^= v[k - j]!;
      v[k] = x >>> 0;
    }
    out.push(v);
  }
  return out;
})();

/** The most parameters the table covers. */
export const SOBOL_MAX_DIMENSIONS = DIRECTIONS.length;

/**
 * Points 1…count of the unscrambled sequence (the origin skipped), as 32-bit fractions: the Gray-code recurrence flips
 * one direction number per dimension from one point to the next, so the whole run costs O(count · dims).
 */
export function sobolPoints(count: number, dims: number): Uint32Array[] {
  const x = new Uint32Array(dims);
  const out: Uint32Array[] = [];
  for (let i = 1; i <= count; i++) {
    // The bit that changes between gray(i − 1) and gray(i): the lowest set bit of i.
    const k = 31 - Math.clz32(i & -i) + 1;
    for (let d = 0; d < dims; d++) x[d] = (x[d]! ^ DIRECTIONS[d]![k]!) >>> 0;
    out.push(Uint32Array.from(x));
  }
  return out;
}

/** Point `index` (0 = the origin) of the unscrambled sequence, as 32-bit fractions, one per dimension. */
export function sobolPoint(index: number, dims: number): number[] {
  const gray = (index ^ (index >>> 1)) >>> 0;
  return Array.from({ length: dims }, (_, d) => {
    let x = 0;
    for (let k = 1, g = gray; g !== 0; k++, g >>>= 1) if (g & 1) x ^= DIRECTIONS[d]![k]!;
    return x >>> 0;
  });
}

export const sobol: Algorithm = {
  name: 'sobol',
  validate({ parameters, settings, settingsPath }) {
    const errors: ReturnType<Algorithm['validate']> = [];
    checkKnown(settings, ['random_state'], settingsPath, errors);
    checkNumber(settings, 'random_state', { integer: true, min: 0 }, settingsPath, errors);
    if (parameters.length > SOBOL_MAX_DIMENSIONS) {
      errors.push(fieldErrors.invalid('spec.parameters', parameters.length, `the sobol algorithm supports at most ${SOBOL_MAX_DIMENSIONS} parameters`));
    }
    return errors;
  },
  suggest(input) {
    const space = new SearchSpace(input.parameters);
    const state = input.settings['random_state'];
    // The shift depends on random_state alone (not on `issued`), so every call continues the same shifted sequence.
    const rng = state !== undefined && state !== '' ? new Rng(mixSeed(Number(state), 0x50b01)) : undefined;
    const shift = space.dims.map(() => (rng ? Math.floor(rng.uniform() * TWO_32) : 0));
    const suggestions = Array.from({ length: input.count }, (_, i) => {
      const x = sobolPoint(input.issued + i + 1, space.size);
      return { assignments: space.decode(x.map((w, d) => ((w ^ shift[d]!) >>> 0) / TWO_32)) };
    });
    return { suggestions };
  },
};
