// cmaes: CMA-ES (Hansen's tutorial: weighted recombination, cumulative step-size adaptation, rank-one and rank-μ
// covariance updates) on the unit cube, as Katib's goptuna service and Optuna's CmaEsSampler run it. Stateless: every
// suggestion carries its generation in a label, and each request replays the generations from the trials in creation
// order: generation G is told once λ of its trials have succeeded (the first λ, in order; failed trials do not count,
// so their slots are sampled again, as Optuna does). Slot k of generation G draws from Rng(seed, G, k), so a restart
// recomputes the identical state and points. Samples outside [0, 1] are redrawn up to 100 times, then clipped (the
// cmaes library's repair). Categorical parameters are sampled at random, and with fewer than two numeric parameters
// every parameter is (CMA-ES needs two dimensions, as in Optuna). restart_strategy ipop restarts with a doubled
// population from a random mean when a stopping rule fires; bipop is run as ipop.
import { checkKnown, checkNumber, numberSetting } from './common.js';
import { fieldErrors } from '../../../api/errors.js';
import { symmetricEigen, type Square } from './linalg.js';
import { mixSeed, Rng } from './rng.js';
import { SearchSpace } from './space.js';
import type { Algorithm, Suggested, SuggestInput } from './types.js';

export const CmaesLabels = { generation: 'cmaes.katib.kubeflow.org/generation' } as const;

const RESTART_STRATEGIES = ['none', 'ipop', 'bipop'] as const;
const MAX_RESAMPLE = 100;
/** Salts that keep the generators of samples, restart means and random parameters apart. */
const SALT_SAMPLE = 0x53414d;
const SALT_RESTART = 0x525354;

interface Strategy {
  n: number;
  lambda: number;
  mu: number;
  weights: Float64Array;
  mueff: number;
  cs: number;
  ds: number;
  cc: number;
  c1: number;
  cmu: number;
  chiN: number;
}

function strategy(n: number, lambda: number): Strategy {
  const mu = Math.floor(lambda / 2);
  const raw = Array.from({ length: mu }, (_, i) => Math.log((lambda + 1) / 2) - Math.log(i + 1));
  const sum = raw.reduce((a, b) => a + b, 0);
  const weights = Float64Array.from(raw, (w) => w / sum);
  const mueff = 1 / weights.reduce((a, w) => a + w * w, 0);
  const cs = (mueff + 2) / (n + mueff + 5);
  const c1 = 2 / ((n + 1.3) ** 2 + mueff);
  return {
    n,
    lambda,
    mu,
    weights,
    mueff,
    cs,
    ds: 1 + 2 * Math.max(0, Math.sqrt((mueff - 1) / (n + 1)) - 1) + cs,
    cc: (4 + mueff / n) / (n + 4 + (2 * mueff) / n),
    c1,
    cmu: Math.min(1 - c1, (2 * (mueff - 2 + 1 / mueff)) / ((n + 2) ** 2 + mueff)),
    chiN: Math.sqrt(n) * (1 - 1 / (4 * n) + 1 / (21 * n * n)),
  };
}

interface CmaState {
  s: Strategy;
  restart: number;
  /** Generations told since this run (re)started. */
  g: number;
  mean: Float64Array;
  sigma: number;
  sigma0: number;
  c: Square;
  pc: Float64Array;
  ps: Float64Array;
  /** C = B·diag(D²)·Bᵀ; B's columns are the eigenvectors. */
  b: Square;
  dd: Float64Array;
  /** Best and worst value of each recent generation (the TolHistFun rule). */
  funHist: number[];
}

function initState(n: number, lambda: number, mean: Float64Array, sigma: number, restart: number): CmaState {
  const eye = new Float64Array(n * n);
  for (let i = 0; i < n; i++) eye[i * n + i] = 1;
  return {
    s: strategy(n, lambda),
    restart,
    g: 0,
    mean,
    sigma,
    sigma0: sigma,
    c: { n, a: eye },
    pc: new Float64Array(n),
    ps: new Float64Array(n),
    b: { n, a: Float64Array.from(eye) },
    dd: new Float64Array(n).fill(1),
    funHist: [],
  };
}

/** B·D·z: a standard normal vector shaped by the covariance. */
function shape(st: CmaState, z: Float64Array): Float64Array {
  const n = st.s.n;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let acc = 0;
    for (let j = 0; j < n; j++) acc += st.b.a[i * n + j]! * st.dd[j]! * z[j]!;
    out[i] = acc;
  }
  return out;
}

/** One candidate in [0, 1]^n: redrawn while outside the cube, then clipped. */
function sample(st: CmaState, rng: Rng): Float64Array {
  const n = st.s.n;
  let x = new Float64Array(n);
  for (let attempt = 0; attempt < MAX_RESAMPLE; attempt++) {
    const y = shape(st, Float64Array.from({ length: n }, () => rng.normal()));
    x = st.mean.map((m, i) => m + st.sigma * y[i]!);
    if (x.every((v) => v >= 0 && v <= 1)) return x;
  }
  return x.map((v) => Math.min(1, Math.max(0, v)));
}

/** The update from one generation's λ solutions (x in the cube, f to minimise). */
function tell(st: CmaState, solutions: readonly { x: Float64Array; f: number }[]): void {
  const { n, mu, weights, mueff, cs, ds, cc, c1, cmu, chiN } = st.s;
  const sorted = [...solutions].sort((a, b) => a.f - b.f);
  const ys = sorted.slice(0, mu).map((s) => s.x.map((v, i) => (v - st.mean[i]!) / st.sigma));
  const yw = new Float64Array(n);
  ys.forEach((y, k) => y.forEach((v, i) => (yw[i]! += weights[k]! * v)));
  for (let i = 0; i < n; i++) st.mean[i]! += st.sigma * yw[i]!;

  // C^(-1/2)·⟨y⟩w = B·D⁻¹·Bᵀ·⟨y⟩w
  const bty = new Float64Array(n);
  for (let j = 0; j < n; j++) for (let i = 0; i < n; i++) bty[j]! += st.b.a[i * n + j]! * yw[i]!;
  const csn = Math.sqrt(cs * (2 - cs) * mueff);
  for (let i = 0; i < n; i++) {
    let acc = 0;
    for (let j = 0; j < n; j++) acc += (st.b.a[i * n + j]! * bty[j]!) / st.dd[j]!;
    st.ps[i] = (1 - cs) * st.ps[i]! + csn * acc;
  }
  const psNorm = Math.hypot(...st.ps);
  const hsig = psNorm / Math.sqrt(1 - (1 - cs) ** (2 * (st.g + 1))) < (1.4 + 2 / (n + 1)) * chiN ? 1 : 0;
  const ccn = Math.sqrt(cc * (2 - cc) * mueff);
  for (let i = 0; i < n; i++) st.pc[i] = (1 - cc) * st.pc[i]! + hsig * ccn * yw[i]!;
  const keep = 1 - c1 - cmu + (1 - hsig) * c1 * cc * (2 - cc);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let rankMu = 0;
      for (let k = 0; k < mu; k++) rankMu += weights[k]! * ys[k]![i]! * ys[k]![j]!;
      const v = keep * st.c.a[i * n + j]! + c1 * st.pc[i]! * st.pc[j]! + cmu * rankMu;
      st.c.a[i * n + j] = v;
      st.c.a[j * n + i] = v;
    }
  }
  st.sigma *= Math.exp(Math.min(1, (cs / ds) * (psNorm / chiN - 1)));
  const e = symmetricEigen(st.c);
  st.b = e.vectors;
  st.dd = e.values.map((v) => Math.sqrt(Math.max(v, 1e-20)));
  st.g += 1;
  st.funHist.push(sorted[0]!.f, sorted[sorted.length - 1]!.f);
  const histLen = 2 * (10 + Math.ceil((30 * n) / st.s.lambda));
  if (st.funHist.length > histLen) st.funHist.splice(0, st.funHist.length - histLen);
}

/** The cmaes library's stopping rules (TolHistFun, TolX, TolXUp, NoEffectAxis/Coord, ConditionCov). */
function shouldStop(st: CmaState): boolean {
  const { n, lambda } = st.s;
  const histTerm = 10 + Math.ceil((30 * n) / lambda);
  if (st.g > histTerm && Math.max(...st.funHist) - Math.min(...st.funHist) < 1e-12) return true;
  const diag = Array.from({ length: n }, (_, i) => st.c.a[i * n + i]!);
  const tolX = 1e-12 * st.sigma0;
  if (diag.every((c, i) => st.sigma * Math.sqrt(c) < tolX && st.sigma * Math.abs(st.pc[i]!) < tolX)) return true;
  const maxD = Math.max(...st.dd);
  const minD = Math.min(...st.dd);
  if (st.sigma * maxD > 1e4) return true;
  const axis = st.g % n;
  if (st.mean.every((m, i) => m === m + 0.1 * st.sigma * st.dd[axis]! * st.b.a[i * n + axis]!)) return true;
  if (st.mean.some((m, i) => m === m + 0.2 * st.sigma * Math.sqrt(diag[i]!))) return true;
  return (maxD / minD) ** 2 > 1e14;
}

function seedOf(input: SuggestInput): number {
  const state = input.settings['random_state'];
  return state !== undefined && state !== '' ? Number(state) : input.defaultSeed;
}

/** Replays every told generation; returns the state of the current one and its number. */
function replay(input: SuggestInput, space: SearchSpace, numeric: readonly number[], seed: number): { st: CmaState; gen: number; issuedInGen: Map<number, number> } {
  const n = numeric.length;
  const lambda0 = 4 + Math.floor(3 * Math.log(n));
  const sigma0 = numberSetting(input.settings, 'sigma', 1 / 6);
  const restarts = (input.settings['restart_strategy'] ?? 'none') !== 'none';
  const sign = input.objective === 'maximize' ? -1 : 1;

  const told = new Map<number, { x: Float64Array; f: number }[]>();
  const issuedInGen = new Map<number, number>();
  for (const t of input.trials) {
    const label = t.labels?.[CmaesLabels.generation];
    const gen = label === undefined ? NaN : Number(label);
    if (!Number.isInteger(gen) || gen < 0) continue;
    issuedInGen.set(gen, (issuedInGen.get(gen) ?? 0) + 1);
    if ((t.state !== 'Succeeded' && t.state !== 'EarlyStopped') || t.value === undefined || !Number.isFinite(t.value)) continue;
    const u = space.encode(t.assignments);
    if (!u) continue;
    const list = told.get(gen) ?? [];
    list.push({ x: Float64Array.from(numeric, (i) => u[i]!), f: sign * t.value });
    told.set(gen, list);
  }

  let st = initState(n, lambda0, new Float64Array(n).fill(0.5), sigma0, 0);
  let gen = 0;
  for (;;) {
    const sols = told.get(gen) ?? [];
    if (sols.length < st.s.lambda) break;
    tell(st, sols.slice(0, st.s.lambda));
    gen += 1;
    if (restarts && shouldStop(st)) {
      const r = st.restart + 1;
      const rng = new Rng(mixSeed(seed, SALT_RESTART, r));
      st = initState(n, lambda0 * 2 ** r, Float64Array.from({ length: n }, () => rng.uniform()), sigma0, r);
    }
  }
  return { st, gen, issuedInGen };
}

export const cmaes: Algorithm = {
  name: 'cmaes',
  validate({ settings, settingsPath }) {
    const errors: ReturnType<Algorithm['validate']> = [];
    checkKnown(settings, ['random_state', 'sigma', 'restart_strategy'], settingsPath, errors);
    checkNumber(settings, 'random_state', { integer: true, min: 0 }, settingsPath, errors);
    checkNumber(settings, 'sigma', { above: 0 }, settingsPath, errors);
    const rs = settings['restart_strategy'];
    if (rs !== undefined && !(RESTART_STRATEGIES as readonly string[]).includes(rs)) {
      errors.push(fieldErrors.notSupported(`${settingsPath}[restart_strategy]`, rs, RESTART_STRATEGIES));
    }
    return errors;
  },
  suggest(input) {
    const space = new SearchSpace(input.parameters);
    const seed = seedOf(input);
    const numeric = space.dims.flatMap((d, i) => (d.kind === 'categorical' ? [] : [i]));
    const out: Suggested[] = [];
    if (numeric.length < 2) {
      // Too few numeric dimensions for CMA-ES: independent draws, one generator per issued slot.
      for (let j = 0; j < input.count; j++) {
        const rng = new Rng(mixSeed(seed, SALT_SAMPLE, input.issued + j));
        out.push({ assignments: space.decode(space.dims.map(() => rng.uniform())) });
      }
      return { suggestions: out };
    }
    const { st, gen, issuedInGen } = replay(input, space, numeric, seed);
    const first = issuedInGen.get(gen) ?? 0;
    for (let j = 0; j < input.count; j++) {
      const rng = new Rng(mixSeed(seed, SALT_SAMPLE, gen, first + j));
      const x = sample(st, rng);
      const u = space.dims.map(() => 0.5);
      numeric.forEach((dim, k) => (u[dim] = x[k]!));
      space.dims.forEach((d, i) => {
        if (d.kind === 'categorical') u[i] = rng.uniform();
      });
      out.push({ assignments: space.decode(u), labels: { [CmaesLabels.generation]: String(gen) } });
    }
    return { suggestions: out };
  },
};
