// tpe and multivariate-tpe: Optuna 5.0's TPESampler (default settings) on the unit cube, in its two modes.
// Observations split into good (the best gamma(n) = min(ceil(gamma·n), 25), gamma 0.1 unless set) and bad, in-flight
// points counting as bad (the constant liar); Optuna's _ParzenEstimator is fitted to each side (one kernel per
// observation plus a prior kernel N(0.5, 1) of weight prior_weight, bandwidth the larger gap to a neighbour with the
// cube's ends counting only for inner points, the magic clip 1/min(100, n + 2) below, each kernel truncated to the
// cube, older observations ramped down beyond the newest 25), and the next point is the one of n_ei_candidates draws
// from l with the largest log l(x) - log g(x). `tpe` is TPESampler(multivariate=False): one estimator and one draw per
// parameter, independently, under Katib's hyperopt-named settings (gamma, prior_weight, n_EI_candidates,
// n_startup_trials). `multivariate-tpe` is TPESampler(multivariate=True), what a bare TPESampler() runs for a
// single-objective study in Optuna 5: one product kernel per observation over every parameter. The cube already
// carries each parameter's distribution (log, normal), so the prior kernel is centred on it.
import { fieldErrors, type FieldError } from '../../../api/errors.js';
import { checkKnown, checkNumber, numberSetting, observations, rngFor } from './common.js';
import type { Rng } from './rng.js';
import { SearchSpace, type Dimension } from './space.js';
import { erfc, normCdf, normInv } from './stats.js';
import type { Algorithm, SuggestInput, Suggested } from './types.js';

/** How the estimators see one dimension: a continuous interval, n equal cells (ints, uniform steps, discrete lists), or n unordered choices. */
export type Axis = { kind: 'continuous' } | { kind: 'bins'; n: number } | { kind: 'categorical'; n: number };

function axisOf(d: Dimension): Axis {
  const n = d.values?.length ?? 0;
  if (d.kind === 'categorical') return { kind: 'categorical', n };
  if (d.kind === 'ordinal') return { kind: 'bins', n };
  // A grid counts as cells only where space.ts puts its values at cell centres (uniform steps); warped grids stay continuous.
  if (n > 0 && Math.abs(d.toUnit(d.values![0]!) - 0.5 / n) < 1e-9 && Math.abs(d.toUnit(d.values![n - 1]!) - (n - 0.5) / n) < 1e-9) {
    return { kind: 'bins', n };
  }
  return { kind: 'continuous' };
}

const cell = (x: number, n: number): number => Math.min(n - 1, Math.max(0, Math.floor(x * n)));
const centre = (i: number, n: number): number => (i + 0.5) / n;

// ---- the normal distribution in log space (kernels far from a point have densities that underflow)

const LOG_SQRT_2PI = 0.5 * Math.log(2 * Math.PI);

/** log erfc(x) for x >= 0, from the same Chebyshev fit as stats.erfc, without underflow. */
function logErfc(x: number): number {
  const t = 1 / (1 + 0.5 * x);
  return (
    Math.log(t) - x * x - 1.26551223 +
    t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277))))))))
  );
}

/** log Φ(z). */
function logNdtr(z: number): number {
  return z < -1 ? -Math.LN2 + logErfc(-z / Math.SQRT2) : Math.log1p(-0.5 * erfc(z / Math.SQRT2));
}

/** log(Φ(b) - Φ(a)) for a < b: the standard normal's mass on [a, b]. */
export function logGaussMass(a: number, b: number): number {
  if (b - a < 1e-3) {
    const m = (a + b) / 2;
    return Math.log(b - a) - 0.5 * m * m - LOG_SQRT_2PI;
  }
  if (a >= 0) return logGaussMass(-b, -a);
  if (b <= 0) {
    const lb = logNdtr(b);
    return lb + Math.log1p(-Math.exp(logNdtr(a) - lb));
  }
  return Math.log1p(-(normCdf(a) + normCdf(-b)));
}

// ---- Parzen mixtures on the unit cube, each kernel truncated to [0, 1] on its own

/** One dimension of a mixture: per kernel, a Gaussian (mu, sigma; logZ its mass on [0, 1]) or a categorical distribution. */
type Component =
  | { kind: 'numeric'; bins: number; mu: number[]; sigma: number[]; logZ: number[] }
  | { kind: 'categorical'; p: number[][]; logP: number[][] };

export interface Parzen {
  /** Kernel weights, normalised. */
  weights: number[];
  logW: number[];
  dims: Component[];
}

function numeric(axis: Axis, mu: number[], sigma: number[]): Component {
  const logZ = mu.map((m, k) => logGaussMass(-m / sigma[k]!, (1 - m) / sigma[k]!));
  return { kind: 'numeric', bins: axis.kind === 'bins' ? axis.n : 0, mu, sigma, logZ };
}

function categorical(p: number[][]): Component {
  return { kind: 'categorical', p, logP: p.map((row) => row.map(Math.log)) };
}

function logSumExp(xs: readonly number[]): number {
  let max = -Infinity;
  for (const x of xs) if (x > max) max = x;
  if (max === -Infinity) return -Infinity;
  let s = 0;
  for (const x of xs) s += Math.exp(x - max);
  return max + Math.log(s);
}

/** log density (log mass for cells and choices) of a point of the cube under the mixture. */
export function logDensity(q: Parzen, x: readonly number[]): number {
  const scores = q.logW.slice();
  q.dims.forEach((d, j) => {
    const xj = x[j]!;
    if (d.kind === 'categorical') {
      const i = cell(xj, d.p[0]!.length);
      for (let k = 0; k < scores.length; k++) scores[k]! += d.logP[k]![i]!;
      return;
    }
    for (let k = 0; k < scores.length; k++) {
      const mu = d.mu[k]!;
      const sigma = d.sigma[k]!;
      let lp: number;
      if (d.bins > 0) {
        const i = cell(xj, d.bins);
        lp = logGaussMass((i / d.bins - mu) / sigma, ((i + 1) / d.bins - mu) / sigma);
      } else {
        const z = (xj - mu) / sigma;
        lp = -0.5 * z * z - Math.log(sigma) - LOG_SQRT_2PI;
      }
      scores[k]! += lp - d.logZ[k]!;
    }
  });
  return logSumExp(scores);
}

/** One draw from the mixture: a kernel by weight, then each dimension from that kernel. */
export function sampleParzen(q: Parzen, rng: Rng): number[] {
  const k = rng.weighted(q.weights);
  return q.dims.map((d) => {
    if (d.kind === 'categorical') return centre(rng.weighted(d.p[k]!), d.p[k]!.length);
    // Inverse-CDF draw from the kernel truncated to [0, 1].
    const mu = d.mu[k]!;
    const sigma = d.sigma[k]!;
    const lo = normCdf(-mu / sigma);
    const hi = normCdf((1 - mu) / sigma);
    const v = mu + sigma * normInv(lo + (hi - lo) * rng.uniform());
    const x = Math.min(1, Math.max(0, Number.isFinite(v) ? v : mu));
    return d.bins > 0 ? centre(cell(x, d.bins), d.bins) : x;
  });
}

// ---- Optuna's _ParzenEstimator (TPESampler defaults: magic clip, no endpoints, default_weights)

/** Optuna's default_weights: flat for the newest 25 observations, a linear ramp up to them for older ones. */
export function rampWeights(n: number, flat = 25): number[] {
  if (n < flat) return Array.from({ length: n }, () => 1);
  const ramp = n - flat;
  return Array.from({ length: n }, (_, i) => (i >= ramp ? 1 : ramp === 1 ? 1 / n : 1 / n + ((1 - 1 / n) * i) / (ramp - 1)));
}

/** Bandwidths: the larger gap to a neighbour (the cube's ends count as neighbours, except for the outermost points). */
function neighbourSigmas(mus: readonly number[]): number[] {
  const n = mus.length;
  const order = mus.map((_, i) => i).sort((a, b) => mus[a]! - mus[b]!);
  const sorted = [0, ...order.map((i) => mus[i]!), 1];
  const sigmas = new Array<number>(n);
  order.forEach((i, r) => {
    let s = Math.max(sorted[r + 1]! - sorted[r]!, sorted[r + 2]! - sorted[r + 1]!);
    if (n >= 2 && r === 0) s = sorted[2]! - sorted[1]!;
    if (n >= 2 && r === n - 1) s = sorted[n]! - sorted[n - 1]!;
    sigmas[i] = s;
  });
  return sigmas;
}

/**
 * Optuna's estimator over the given axes: one kernel per point spanning every axis, plus a prior kernel (centre 0.5,
 * sigma 1; uniform over categories) of weight priorWeight. With one axis it is the univariate estimator.
 */
export function optunaParzen(points: readonly (readonly number[])[], axes: readonly Axis[], priorWeight = 1): Parzen {
  const n = points.length;
  const weights = n === 0 ? [1] : [...rampWeights(n), priorWeight];
  const minSigma = 1 / Math.min(100, n + 2);
  const dims = axes.map((axis, j): Component => {
    if (axis.kind === 'categorical') {
      if (n === 0) return categorical([Array.from({ length: axis.n }, () => 1 / axis.n)]);
      const base = priorWeight / (n + 1);
      const rows = points.map((p) => {
        const row = Array.from({ length: axis.n }, () => base);
        row[cell(p[j]!, axis.n)]! += 1;
        const s = base * axis.n + 1;
        return row.map((v) => v / s);
      });
      rows.push(Array.from({ length: axis.n }, () => 1 / axis.n));
      return categorical(rows);
    }
    const mus = points.map((p) => p[j]!);
    const sigmas = neighbourSigmas(mus).map((s) => Math.min(1, Math.max(minSigma, s)));
    return numeric(axis, [...mus, 0.5], [...sigmas, 1]);
  });
  const total = weights.reduce((a, b) => a + b, 0);
  const w = weights.map((x) => x / total);
  return { weights: w, logW: w.map(Math.log), dims };
}

// ---- the shared loop: history, split, startup, constant liar

interface Entry {
  x: number[];
  /** The value to minimise; undefined for a point in flight. */
  y?: number;
}

/** Succeeded trials and in-flight points, in trial order (the order rampWeights counts in). */
function history(space: SearchSpace, input: SuggestInput): Entry[] {
  const done = new Map(observations(space, input).map((o) => [o.name, o]));
  const out: Entry[] = [];
  for (const t of input.trials) {
    const o = done.get(t.name);
    if (o) out.push({ x: o.x, y: o.y });
    else if (t.state === 'Pending' || t.state === 'Running') {
      const x = space.encode(t.assignments);
      if (x) out.push({ x });
    }
  }
  return out;
}

/** The best nBelow finished points, and the rest with every in-flight point (the constant liar: pending counts as bad). */
function split(entries: readonly Entry[], nBelow: number): { below: number[][]; above: number[][] } {
  const ranked = entries.filter((e) => e.y !== undefined).sort((a, b) => a.y! - b.y!);
  const good = new Set(ranked.slice(0, nBelow));
  return { below: entries.filter((e) => good.has(e)).map((e) => e.x), above: entries.filter((e) => !good.has(e)).map((e) => e.x) };
}

type Propose = (entries: readonly Entry[], axes: readonly Axis[], rng: Rng) => number[];

function suggestWith(input: SuggestInput, startup: number, propose: Propose): Suggested[] {
  const space = new SearchSpace(input.parameters);
  const axes = space.dims.map(axisOf);
  const entries = history(space, input);
  const finished = entries.filter((e) => e.y !== undefined).length;
  const rng = rngFor(input);
  const out: Suggested[] = [];
  for (let i = 0; i < input.count; i++) {
    const x = finished < startup ? axes.map(() => rng.uniform()) : propose(entries, axes, rng);
    // Later suggestions of the same batch see this one as in flight.
    entries.push({ x });
    out.push({ assignments: space.decode(x) });
  }
  return out;
}

function best(candidates: number[][], score: (x: number[]) => number): number[] {
  let top = candidates[0]!;
  let topScore = -Infinity;
  for (const c of candidates) {
    const s = score(c);
    if (s > topScore) [top, topScore] = [c, s];
  }
  return top;
}

interface TpeOptions {
  /** One estimator over every parameter (Optuna's multivariate=True), or one per parameter. */
  multivariate: boolean;
  /** The fraction of finished observations in the good set (at most 25 of them). */
  gamma: number;
  priorWeight: number;
  candidates: number;
}

/** Optuna's TPESampler._sample: split, fit l and g, keep the draw from l with the best log l - log g. */
function tpeProposer(o: TpeOptions): Propose {
  return (entries, axes, rng) => {
    const n = entries.filter((e) => e.y !== undefined).length;
    const { below, above } = split(entries, Math.min(Math.ceil(o.gamma * n), 25));
    // The groups of parameters sampled together: all of them, or each on its own (sample_independent), in order.
    const groups = o.multivariate ? [axes.map((_, j) => j)] : axes.map((_, j) => [j]);
    const x = new Array<number>(axes.length);
    for (const group of groups) {
      const project = (points: number[][]): number[][] => points.map((p) => group.map((j) => p[j]!));
      const sub = group.map((j) => axes[j]!);
      const l = optunaParzen(project(below), sub, o.priorWeight);
      const g = optunaParzen(project(above), sub, o.priorWeight);
      const draws = Array.from({ length: o.candidates }, () => sampleParzen(l, rng));
      const top = best(draws, (c) => logDensity(l, c) - logDensity(g, c));
      group.forEach((j, k) => (x[j] = top[k]!));
    }
    return x;
  };
}

function checkBelow1(settings: Record<string, string>, name: string, path: string, errors: FieldError[]): void {
  const before = errors.length;
  checkNumber(settings, name, { above: 0 }, path, errors);
  const raw = settings[name];
  if (raw !== undefined && errors.length === before && Number(raw) >= 1) errors.push(fieldErrors.invalid(`${path}[${name}]`, raw, 'must be less than 1'));
}

export const tpe: Algorithm = {
  name: 'tpe',
  validate({ settings, settingsPath }) {
    const errors: FieldError[] = [];
    checkKnown(settings, ['gamma', 'prior_weight', 'n_EI_candidates', 'n_startup_trials', 'random_state'], settingsPath, errors);
    checkBelow1(settings, 'gamma', settingsPath, errors);
    checkNumber(settings, 'prior_weight', { above: 0 }, settingsPath, errors);
    checkNumber(settings, 'n_EI_candidates', { integer: true, min: 1 }, settingsPath, errors);
    checkNumber(settings, 'n_startup_trials', { integer: true, min: 0 }, settingsPath, errors);
    checkNumber(settings, 'random_state', { integer: true, min: 0 }, settingsPath, errors);
    return errors;
  },
  suggest(input) {
    const propose = tpeProposer({
      multivariate: false,
      gamma: numberSetting(input.settings, 'gamma', 0.1),
      priorWeight: numberSetting(input.settings, 'prior_weight', 1),
      candidates: numberSetting(input.settings, 'n_EI_candidates', 24),
    });
    return { suggestions: suggestWith(input, numberSetting(input.settings, 'n_startup_trials', 10), propose) };
  },
};

export const multivariateTpe: Algorithm = {
  name: 'multivariate-tpe',
  validate({ settings, settingsPath }) {
    const errors: FieldError[] = [];
    checkKnown(settings, ['n_startup_trials', 'n_ei_candidates', 'random_state'], settingsPath, errors);
    checkNumber(settings, 'n_startup_trials', { integer: true, min: 0 }, settingsPath, errors);
    checkNumber(settings, 'n_ei_candidates', { integer: true, min: 1 }, settingsPath, errors);
    checkNumber(settings, 'random_state', { integer: true, min: 0 }, settingsPath, errors);
    return errors;
  },
  suggest(input) {
    const propose = tpeProposer({ multivariate: true, gamma: 0.1, priorWeight: 1, candidates: numberSetting(input.settings, 'n_ei_candidates', 24) });
    return { suggestions: suggestWith(input, numberSetting(input.settings, 'n_startup_trials', 10), propose) };
  },
};
