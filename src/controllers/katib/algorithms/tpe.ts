// tpe and multivariate-tpe: Tree-structured Parzen Estimators on the unit cube. Observations split into good (the best
// gamma(n)) and bad; a Parzen mixture l(x) is fitted to the good and g(x) to the bad; the next point is the candidate
// drawn from l with the largest log l(x) - log g(x). `tpe` follows hyperopt's tpe.suggest (one estimator per
// parameter, adaptive Parzen bandwidths, the mixture truncated as a whole); `multivariate-tpe` follows Optuna's
// TPESampler(multivariate=True, constant_liar=True) (one product kernel per observation, each kernel truncated to the
// cube). The cube already carries each parameter's distribution (log, normal), so the Parzen priors are uniform on it.
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

// ---- Parzen mixtures on the unit cube

/** One dimension of a mixture: per kernel, a Gaussian (mu, sigma; logZ its mass on [0, 1]) or a categorical distribution. */
type Component =
  | { kind: 'numeric'; bins: number; mu: number[]; sigma: number[]; logZ: number[] }
  | { kind: 'categorical'; p: number[][]; logP: number[][] };

export interface Parzen {
  /** Kernel weights, normalised. */
  weights: number[];
  logW: number[];
  dims: Component[];
  /** 'kernel': each kernel truncated to [0, 1] on its own (Optuna); 'mixture': the whole mixture truncated (hyperopt's GMM1). */
  truncation: 'kernel' | 'mixture';
  /** log of the mixture's mass on the cube under 'mixture' truncation; 0 otherwise. */
  logNorm: number;
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

function mixture(weights: number[], dims: Component[], truncation: Parzen['truncation']): Parzen {
  const total = weights.reduce((a, b) => a + b, 0);
  const w = weights.map((x) => x / total);
  const logW = w.map(Math.log);
  let logNorm = 0;
  if (truncation === 'mixture') {
    logNorm = logSumExp(logW.map((lw, k) => dims.reduce((s, d) => s + (d.kind === 'numeric' ? d.logZ[k]! : 0), lw)));
  }
  return { weights: w, logW, dims, truncation, logNorm };
}

/** log density (log mass for cells and choices) of a point of the cube under the mixture. */
export function logDensity(q: Parzen, x: readonly number[]): number {
  const perKernel = q.truncation === 'kernel';
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
      scores[k]! += perKernel ? lp - d.logZ[k]! : lp;
    }
  });
  return logSumExp(scores) - q.logNorm;
}

/** One draw from the mixture: a kernel by weight, then each dimension from that kernel. */
export function sampleParzen(q: Parzen, rng: Rng): number[] {
  for (let attempt = 0; q.truncation === 'mixture' && attempt < 1000; attempt++) {
    // hyperopt's GMM1: draw from the untruncated mixture until every numeric coordinate falls inside [0, 1).
    const k = rng.weighted(q.weights);
    const x = q.dims.map((d) => (d.kind === 'numeric' ? d.mu[k]! + d.sigma[k]! * rng.normal() : centre(rng.weighted(d.p[k]!), d.p[k]!.length)));
    if (x.every((v) => v >= 0 && v < 1)) return x.map((v, j) => snap(q.dims[j]!, v));
  }
  const k = rng.weighted(q.weights);
  return q.dims.map((d) => {
    if (d.kind === 'categorical') return centre(rng.weighted(d.p[k]!), d.p[k]!.length);
    // Inverse-CDF draw from the kernel truncated to [0, 1].
    const mu = d.mu[k]!;
    const sigma = d.sigma[k]!;
    const lo = normCdf(-mu / sigma);
    const hi = normCdf((1 - mu) / sigma);
    const v = mu + sigma * normInv(lo + (hi - lo) * rng.uniform());
    return snap(d, Math.min(1, Math.max(0, Number.isFinite(v) ? v : mu)));
  });
}

function snap(d: Component, v: number): number {
  return d.kind === 'numeric' && d.bins > 0 ? centre(cell(v, d.bins), d.bins) : v;
}

// ---- Optuna's _ParzenEstimator (TPESampler defaults: prior_weight 1, magic clip, no endpoints, default_weights)

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

/** Optuna's estimator: one kernel per point spanning every dimension, plus a prior kernel (centre 0.5, sigma 1). */
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
  return mixture(weights, dims, 'kernel');
}

// ---- hyperopt's adaptive Parzen estimator (one dimension)

/** hyperopt's adaptive_parzen_normal for a prior N(0.5, 1) on [0, 1], with linear forgetting beyond 25 points. */
export function hyperoptParzen(values: readonly number[], axis: Axis, priorWeight = 1): Parzen {
  const n = values.length;
  const forget = rampWeights(n);
  if (axis.kind === 'categorical') {
    // randint's posterior: forgetting-weighted counts plus prior_weight pseudo-counts per choice.
    const counts = Array.from({ length: axis.n }, () => priorWeight);
    values.forEach((v, i) => (counts[cell(v, axis.n)]! += forget[i]!));
    const total = counts.reduce((a, b) => a + b, 0);
    return mixture([1], [categorical([counts.map((c) => c / total)])], 'mixture');
  }
  const mus = [...values, 0.5];
  const weights = [...forget, priorWeight];
  let sigmas: number[];
  if (n === 0) sigmas = [1];
  else if (n === 1) sigmas = [0.5, 1];
  else {
    // Neighbour gaps among the points and the prior's centre; the outermost take their one gap.
    const order = mus.map((_, i) => i).sort((a, b) => mus[a]! - mus[b]! || (a === n ? -1 : b === n ? 1 : 0));
    const sorted = order.map((i) => mus[i]!);
    sigmas = new Array<number>(n + 1);
    order.forEach((i, r) => {
      const left = r > 0 ? sorted[r]! - sorted[r - 1]! : -Infinity;
      const right = r < n ? sorted[r + 1]! - sorted[r]! : -Infinity;
      sigmas[i] = Math.max(left, right);
    });
  }
  const minSigma = 1 / Math.min(100, n + 2);
  sigmas = sigmas.map((s, i) => (i === n ? 1 : Math.min(1, Math.max(minSigma, s))));
  return mixture(weights, [numeric(axis, mus, sigmas)], 'mixture');
}

// ---- the shared loop: history, split, startup, constant liar

interface Entry {
  x: number[];
  /** The value to minimise; undefined for a point in flight. */
  y?: number;
}

/** Succeeded trials and in-flight points, in trial order (the order the forgetting weights count in). */
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
    const gamma = numberSetting(input.settings, 'gamma', 0.25);
    const priorWeight = numberSetting(input.settings, 'prior_weight', 1);
    const candidates = numberSetting(input.settings, 'n_EI_candidates', 24);
    const startup = numberSetting(input.settings, 'n_startup_trials', 10);
    const suggestions = suggestWith(input, startup, (entries, axes, rng) => {
      const n = entries.filter((e) => e.y !== undefined).length;
      // hyperopt's ap_split_trials: the best ceil(gamma·√n), at most 25.
      const { below, above } = split(entries, Math.min(Math.ceil(gamma * Math.sqrt(n)), 25));
      // Each parameter on its own: hyperopt optimises EI per hyperparameter.
      return axes.map((axis, j) => {
        const l = hyperoptParzen(below.map((x) => x[j]!), axis, priorWeight);
        const g = hyperoptParzen(above.map((x) => x[j]!), axis, priorWeight);
        const draws = Array.from({ length: candidates }, () => sampleParzen(l, rng));
        return best(draws, (c) => logDensity(l, c) - logDensity(g, c))[0]!;
      });
    });
    return { suggestions };
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
    const candidates = numberSetting(input.settings, 'n_ei_candidates', 24);
    const startup = numberSetting(input.settings, 'n_startup_trials', 10);
    const suggestions = suggestWith(input, startup, (entries, axes, rng) => {
      const n = entries.filter((e) => e.y !== undefined).length;
      // Optuna's default_gamma: the best ceil(0.1·n), at most 25.
      const { below, above } = split(entries, Math.min(Math.ceil(0.1 * n), 25));
      const l = optunaParzen(below, axes);
      const g = optunaParzen(above, axes);
      const draws = Array.from({ length: candidates }, () => sampleParzen(l, rng));
      return best(draws, (c) => logDensity(l, c) - logDensity(g, c));
    });
    return { suggestions };
  },
};
