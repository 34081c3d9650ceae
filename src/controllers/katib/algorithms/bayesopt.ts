// bayesianoptimization: Katib's skopt service, with a Gaussian process (gp.ts) on the unit cube. The first
// n_initial_points come from a Latin hypercube seeded by random_state; after that each suggestion maximises the
// acquisition over 1024 shifted Sobol points plus perturbations of the best observations, polished by L-BFGS along
// continuous coordinates and by enumeration along categorical ones (acq_optimizer sampling skips the polish; auto and
// lbfgs polish). The kernel's hyperparameters are kept in the Suggestion's algorithmSettings, so each fit starts from
// the last one.
// Points in flight and earlier points of the same batch enter the GP as fantasies ("kriging believer": the posterior
// mean, but never better than the best observation), so parallel suggestions spread out. Above 200 observations the GP
// conditions on the best 100 and the most recent others, keeping a suggestion within ~150 ms at 500 trials. gp_hedge (skopt's default)
// needs the gains of every past step, which a stateless service cannot keep cheaply: here it means log expected
// improvement, the choice of Optuna's GPSampler.
import { fieldErrors } from '../../../api/errors.js';
import { checkKnown, checkNumber, inFlight, numberSetting, observations, rngFor, type Observation } from './common.js';
import { GaussianProcess, minimizeBox } from './gp.js';
import { mixSeed, Rng } from './rng.js';
import { sobolPoints, SOBOL_MAX_DIMENSIONS } from './sobol.js';
import { SearchSpace } from './space.js';
import { normCdf, normPdf } from './stats.js';
import type { Algorithm, Suggested, SuggestInput } from './types.js';

const ESTIMATORS = ['GP'] as const;
const ACQ_FUNCS = ['gp_hedge', 'LCB', 'EI', 'PI'] as const;
const ACQ_OPTIMIZERS = ['auto', 'sampling', 'lbfgs'] as const;
type Acquisition = 'EI' | 'PI' | 'LCB';

/** skopt's defaults: LCB's κ, and PI's ξ (here in units of the observations' standard deviation). */
const KAPPA = 1.96;
const PI_XI = 0.01;
/** The GP conditions on at most this many observations: the best BEST_KEPT and the most recent others. */
const MAX_TRAIN = 200;
const BEST_KEPT = 100;
/** Global candidates: a digitally shifted Sobol sequence (1024 of them cover the cube as evenly as ~2000 random points). */
const N_CANDIDATES = 1024;
/** Perturbations around each of the best few observations (two scales), and how many candidates L-BFGS polishes. */
const N_LOCAL_PER_BEST = 30;
const N_BEST_CENTRES = 5;
const N_POLISH = 4;

const LOG_SQRT_2PI = 0.5 * Math.log(2 * Math.PI);

/** log(zΦ(z) + φ(z)), EI's standard form, and its derivative Φ/h; asymptotic below z = −10 where h underflows. */
function logH(z: number): { v: number; dv: number } {
  if (z > -10) {
    const cdf = normCdf(z);
    const h = Math.max(z * cdf + normPdf(z), 1e-300);
    return { v: Math.log(h), dv: cdf / h };
  }
  const t2 = 1 / (z * z);
  const tail = t2 * (1 - 3 * t2 + 15 * t2 * t2 - 105 * t2 * t2 * t2); // h/φ
  const mills = Math.sqrt(t2) * (1 - t2 + 3 * t2 * t2 - 15 * t2 * t2 * t2); // Φ/φ
  return { v: -0.5 * z * z - LOG_SQRT_2PI + Math.log(tail), dv: mills / tail };
}

/** log Φ(z) and its derivative φ/Φ. */
function logCdf(z: number): { v: number; dv: number } {
  if (z > -10) {
    const cdf = Math.max(normCdf(z), 1e-300);
    return { v: Math.log(cdf), dv: normPdf(z) / cdf };
  }
  const t2 = 1 / (z * z);
  const series = 1 - t2 + 3 * t2 * t2;
  return { v: -0.5 * z * z - LOG_SQRT_2PI - Math.log(-z) + Math.log(series), dv: -z / series };
}

interface AcqContext {
  kind: Acquisition;
  /** The best (lowest) observation, and the PI margin in the same units. */
  best: number;
  xi: number;
}

/** The acquisition to maximise at a prediction, with its gradient when the prediction carries one. */
function acquisition(ctx: AcqContext, p: { mean: number; variance: number; dMean?: Float64Array; dVariance?: Float64Array }): { v: number; grad?: Float64Array } {
  const sigma = Math.sqrt(p.variance);
  const dSigma = p.dVariance?.map((g) => g / (2 * sigma));
  switch (ctx.kind) {
    case 'LCB': {
      const v = KAPPA * sigma - p.mean;
      return dSigma && p.dMean ? { v, grad: dSigma.map((g, j) => KAPPA * g - p.dMean![j]!) } : { v };
    }
    case 'EI':
    case 'PI': {
      const z = (ctx.best - (ctx.kind === 'PI' ? ctx.xi : 0) - p.mean) / sigma;
      const h = ctx.kind === 'EI' ? logH(z) : logCdf(z);
      const v = (ctx.kind === 'EI' ? Math.log(sigma) : 0) + h.v;
      if (!dSigma || !p.dMean) return { v };
      const grad = dSigma.map((ds, j) => {
        const dz = (-p.dMean![j]! - z * ds) / sigma;
        return (ctx.kind === 'EI' ? ds / sigma : 0) + h.dv * dz;
      });
      return { v, grad };
    }
  }
}

/** acquisition() without a gradient, allocating nothing. */
function acquisitionValue(ctx: AcqContext, mean: number, variance: number): number {
  const sigma = Math.sqrt(variance);
  switch (ctx.kind) {
    case 'LCB':
      return KAPPA * sigma - mean;
    case 'EI':
      return Math.log(sigma) + logH((ctx.best - mean) / sigma).v;
    case 'PI':
      return logCdf((ctx.best - ctx.xi - mean) / sigma).v;
  }
}

interface SpaceShape {
  /** Number of categories per coordinate; 0 for continuous and ordinal ones. */
  categories: number[];
}

const snapCategory = (u: number, n: number): number => (Math.min(n - 1, Math.max(0, Math.floor(u * n))) + 0.5) / n;

function randomPoint(shape: SpaceShape, rng: Rng): number[] {
  return shape.categories.map((n) => (n > 0 ? snapCategory(rng.uniform(), n) : rng.uniform()));
}

/** N_CANDIDATES points spread over the cube: Sobol points shifted by a random word per coordinate, else random ones. */
function globalCandidates(shape: SpaceShape, rng: Rng): number[][] {
  const d = shape.categories.length;
  if (d > SOBOL_MAX_DIMENSIONS) return Array.from({ length: N_CANDIDATES }, () => randomPoint(shape, rng));
  const shift = shape.categories.map(() => Math.floor(rng.uniform() * 2 ** 32) >>> 0);
  return sobolPoints(N_CANDIDATES, d).map((bits) =>
    Array.from(bits, (b, j) => {
      const u = ((b ^ shift[j]!) >>> 0) / 2 ** 32;
      const n = shape.categories[j]!;
      return n > 0 ? snapCategory(u, n) : u;
    }),
  );
}

/** Candidate points ranked by the acquisition, best first: random and local samples, the top few polished. */
function rankCandidates(gp: GaussianProcess, ctx: AcqContext, shape: SpaceShape, centres: readonly (readonly number[])[], polish: boolean, rng: Rng): number[][] {
  const d = shape.categories.length;
  const cands: number[][] = globalCandidates(shape, rng);
  for (const c of centres) {
    for (let i = 0; i < N_LOCAL_PER_BEST; i++) {
      const scale = i % 2 === 0 ? 0.02 : 0.1;
      cands.push(
        c.map((u, j) => {
          const n = shape.categories[j]!;
          if (n > 0) return rng.uniform() < 0.2 ? snapCategory(rng.uniform(), n) : u;
          return Math.min(1, Math.max(0, u + scale * rng.normal()));
        }),
      );
    }
  }
  const prediction = new Float64Array(2);
  const values = new Float64Array(cands.length);
  for (let i = 0; i < cands.length; i++) {
    gp.predictInto(cands[i]!, prediction);
    values[i] = acquisitionValue(ctx, prediction[0]!, prediction[1]!);
  }
  const order = Array.from(cands.keys()).sort((a, b) => values[b]! - values[a]!);
  let scored = order.map((i) => ({ x: cands[i]!, v: values[i]! }));
  if (!polish) return scored.map((s) => s.x);

  const lo = shape.categories.map(() => 0);
  const hi = shape.categories.map(() => 1);
  const continuous = shape.categories.some((n) => n === 0);
  const polished: { x: number[]; v: number }[] = [];
  for (const start of scored.slice(0, N_POLISH)) {
    let x = start.x;
    let v = start.v;
    if (continuous) {
      const fixedLo = lo.map((l, j) => (shape.categories[j]! > 0 ? x[j]! : l));
      const fixedHi = hi.map((h, j) => (shape.categories[j]! > 0 ? x[j]! : h));
      const r = minimizeBox(
        (p, g) => {
          const a = acquisition(ctx, gp.predictWithGradient(Array.from(p)));
          if (!Number.isFinite(a.v)) return Infinity;
          for (let j = 0; j < d; j++) g[j] = -(a.grad?.[j] ?? 0);
          return -a.v;
        },
        x,
        fixedLo,
        fixedHi,
        { maxIter: 30, gtol: 1e-6, ftol: 1e-9 },
      );
      if (-r.f > v) {
        x = Array.from(r.x);
        v = -r.f;
      }
    }
    // One sweep over each categorical coordinate's values at the polished point.
    for (let j = 0; j < d; j++) {
      const n = shape.categories[j]!;
      for (let c = 0; c < n; c++) {
        const y = [...x];
        y[j] = (c + 0.5) / n;
        const vy = acquisition(ctx, gp.predict(y)).v;
        if (vy > v) {
          x = y;
          v = vy;
        }
      }
    }
    polished.push({ x, v });
  }
  polished.sort((a, b) => b.v - a.v);
  scored = [...polished, ...scored];
  return scored.map((s) => s.x);
}

/** The observations the GP conditions on: all of them up to MAX_TRAIN, else the best BEST_KEPT and the most recent. */
function trainingSet(obs: readonly Observation[]): Observation[] {
  if (obs.length <= MAX_TRAIN) return [...obs];
  const order = obs.map((_, i) => i).sort((a, b) => obs[a]!.y - obs[b]!.y);
  const keep = new Set(order.slice(0, BEST_KEPT));
  for (let i = obs.length - 1; i >= 0 && keep.size < MAX_TRAIN; i--) keep.add(i);
  return [...keep].sort((a, b) => a - b).map((i) => obs[i]!);
}

/**
 * The kernel hyperparameters of the last fit, kept in the Suggestion's status.algorithmSettings (where Katib keeps
 * hyperband's state) so the next fit starts from them: comma-separated log values.
 */
export const ThetaSetting = 'gp_log_hyperparameters';

function parseTheta(text: string | undefined, size: number): number[] | undefined {
  if (!text) return undefined;
  const values = text.split(',').map(Number);
  return values.length === size && values.every(Number.isFinite) ? values : undefined;
}

function seedOf(input: SuggestInput): number {
  const state = input.settings['random_state'];
  return state !== undefined && state !== '' ? Number(state) : input.defaultSeed;
}

/** A Latin hypercube of n points in [0,1]^d: each coordinate's n strata shuffled independently. */
function latinHypercube(n: number, d: number, rng: Rng): number[][] {
  const cols = Array.from({ length: d }, () => rng.shuffle(Array.from({ length: n }, (_, i) => i)).map((s) => (s + rng.uniform()) / n));
  return Array.from({ length: n }, (_, i) => cols.map((c) => c[i]!));
}

export const bayesianoptimization: Algorithm = {
  name: 'bayesianoptimization',
  validate({ settings, settingsPath }) {
    const errors: ReturnType<Algorithm['validate']> = [];
    checkKnown(settings, ['base_estimator', 'n_initial_points', 'acq_func', 'acq_optimizer', 'random_state'], settingsPath, errors);
    const oneOf = (name: string, allowed: readonly string[], detail?: (v: string) => string | undefined): void => {
      const v = settings[name];
      if (v === undefined || allowed.includes(v)) return;
      const why = detail?.(v);
      errors.push(why ? fieldErrors.invalid(`${settingsPath}[${name}]`, v, why) : fieldErrors.notSupported(`${settingsPath}[${name}]`, v, allowed));
    };
    oneOf('base_estimator', ESTIMATORS, (v) => (['RF', 'ET', 'GBRT'].includes(v) ? `base_estimator ${v} is not supported here; use GP` : undefined));
    oneOf('acq_func', ACQ_FUNCS, (v) => (['EIps', 'PIps'].includes(v) ? `${v} (per-second acquisition) is not supported: trials report no durations` : undefined));
    oneOf('acq_optimizer', ACQ_OPTIMIZERS);
    checkNumber(settings, 'n_initial_points', { integer: true, min: 0 }, settingsPath, errors);
    checkNumber(settings, 'random_state', { integer: true, min: 0 }, settingsPath, errors);
    return errors;
  },
  suggest(input) {
    const space = new SearchSpace(input.parameters);
    const d = space.size;
    const shape: SpaceShape = { categories: space.dims.map((dim) => (dim.kind === 'categorical' ? (dim.values?.length ?? 1) : 0)) };
    const nInit = numberSetting(input.settings, 'n_initial_points', 10);
    const obs = observations(space, input);
    const rng = rngFor(input);
    const seen = new Set(input.trials.map((t) => space.key(t.assignments)));
    const out: Suggested[] = [];
    const take = (u: readonly number[]): number[] => {
      const assignments = space.decode(u);
      seen.add(space.key(assignments));
      out.push({ assignments });
      return space.encode(assignments) ?? [...u];
    };

    if (obs.length < Math.max(nInit, 2)) {
      const design = latinHypercube(Math.max(nInit, 1), d, new Rng(mixSeed(seedOf(input), 0x4c4853)));
      for (let j = 0; j < input.count; j++) take(design[input.issued + j] ?? randomPoint(shape, rng));
      return { suggestions: out };
    }

    const acqFunc = input.settings['acq_func'] ?? 'gp_hedge';
    const kind: Acquisition = acqFunc === 'LCB' || acqFunc === 'PI' ? acqFunc : 'EI';
    const polish = (input.settings['acq_optimizer'] ?? 'auto') !== 'sampling';
    const train = trainingSet(obs);
    const ys = obs.map((o) => o.y);
    const best = Math.min(...ys);
    const mean = ys.reduce((a, b) => a + b, 0) / ys.length;
    const sd = Math.sqrt(ys.reduce((a, b) => a + (b - mean) ** 2, 0) / ys.length);
    const ctx: AcqContext = { kind, best, xi: PI_XI * (sd || 1) };
    const centres = [...obs].sort((a, b) => a.y - b.y).slice(0, N_BEST_CENTRES).map((o) => o.x);
    const categorical = shape.categories.map((n) => n > 0);
    const believe = (g: GaussianProcess, x: readonly number[]): number => Math.max(g.predict(x).mean, best);

    const warm = parseTheta(input.settings[ThetaSetting], d + 2);
    let gp = GaussianProcess.fit({ x: train.map((o) => o.x), y: train.map((o) => o.y), categorical, rng, ...(warm ? { warm } : {}) });
    const settings = { [ThetaSetting]: gp.theta.map((t) => t.toPrecision(6)).join(',') };
    const pending = inFlight(space, input);
    if (pending.length > 0) {
      const g = gp;
      gp = gp.condition(pending, pending.map((x) => believe(g, x)));
    }
    for (let j = 0; j < input.count; j++) {
      const ranked = rankCandidates(gp, ctx, shape, centres, polish, rng);
      let pick = ranked.find((x) => !seen.has(space.key(space.decode(x))));
      for (let tries = 0; pick === undefined && tries < 100; tries++) {
        const x = randomPoint(shape, rng);
        if (!seen.has(space.key(space.decode(x)))) pick = x;
      }
      const x = take(pick ?? ranked[0]!);
      if (j + 1 < input.count) gp = gp.condition([x], [believe(gp, x)]);
    }
    return { suggestions: out, settings };
  },
};
