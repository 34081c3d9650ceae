// A Gaussian-process regressor on the unit cube for Bayesian optimisation: Matern 5/2 ARD kernel (a Hamming distance on
// categorical coordinates, as Optuna's GPSampler), standardised targets, and kernel hyperparameters fitted by maximising
// the log marginal likelihood plus mild priors with a box-bounded L-BFGS in log space, from a few starts.
import { choleskyLower, cholesky, inverseLowerInto, solveLower, solveUpperT, type Square } from './linalg.js';
import type { Rng } from './rng.js';

const SQRT5 = Math.sqrt(5);
/** Smallest noise variance (in standardised units): keeps K well conditioned for noiseless objectives. */
const MIN_NOISE = 1e-6;

/** Matern 5/2 as a function of the squared scaled distance, and its derivative with respect to that square. */
function matern(r2: number): { m: number; dm: number } {
  const r = Math.sqrt(r2);
  const e = Math.exp(-SQRT5 * r);
  return { m: (1 + SQRT5 * r + (5 / 3) * r2) * e, dm: -(5 / 6) * (1 + SQRT5 * r) * e };
}

/** Matern 5/2 alone (no derivative, no allocation), for the kernel matrix and predictions. */
function maternValue(r2: number): number {
  const r = Math.sqrt(r2);
  return (1 + SQRT5 * r + (5 / 3) * r2) * Math.exp(-SQRT5 * r);
}

/** Per-dimension distance term: squared difference, or 1 for different categories. */
function delta(a: number, b: number, categorical: boolean): number {
  if (categorical) return Math.abs(a - b) > 1e-9 ? 1 : 0;
  const d = a - b;
  return d * d;
}

export interface KernelParams {
  lengthScales: number[];
  /** Signal variance, in standardised units. */
  signal: number;
  /** Noise variance, in standardised units. */
  noise: number;
}

export interface Prediction {
  mean: number;
  variance: number;
}

export interface PredictionWithGradient extends Prediction {
  /** ∂mean/∂x and ∂variance/∂x (zero along categorical coordinates). */
  dMean: Float64Array;
  dVariance: Float64Array;
}

export interface FitOptions {
  x: readonly (readonly number[])[];
  /** Targets in their own units; the process standardises them. */
  y: readonly number[];
  /** Which coordinates are categorical (Hamming distance instead of squared difference). */
  categorical: readonly boolean[];
  rng: Rng;
  /** At most this many points enter the hyperparameter fit (the best quarter plus a random sample of the rest). */
  fitCap?: number;
  /** Random starts in addition to the two fixed ones. */
  randomStarts?: number;
  /**
   * θ of an earlier fit to (mostly) the same data: the fit starts there alone, which converges in a few steps, instead
   * of screening the fixed and random starts. Ignored unless it has d + 2 finite values.
   */
  warm?: readonly number[];
}

/** Log prior of the (log) hyperparameters and its gradient: Optuna's GPSampler priors, mild enough for the data to win. */
function logPrior(theta: Float64Array, d: number, grad: Float64Array): number {
  let lp = 0;
  for (let j = 0; j < d; j++) {
    // λ = 1/ℓ² with log density -(0.1/λ + 0.1λ): peaks at ℓ = 1, rejects both extremes.
    const lam = Math.exp(-2 * theta[j]!);
    lp -= 0.1 / lam + 0.1 * lam;
    grad[j] = -2 * (0.1 / lam - 0.1 * lam); // d/dθ of -(0.1/λ + 0.1λ), dλ/dθ = -2λ
  }
  // Signal variance ~ Gamma(2, 1); noise variance ~ Gamma(1.1, 30): (k-1)·log v - r·v, v = e^θ.
  const s = Math.exp(theta[d]!);
  lp += Math.log(s) - s;
  grad[d] = 1 - s;
  const nz = Math.exp(theta[d + 1]!);
  lp += 0.1 * Math.log(nz) - 30 * nz;
  grad[d + 1] = 0.1 - 30 * nz;
  return lp;
}

/**
 * The negative log marginal likelihood (plus negative log prior) of standardised targets and its gradient in
 * θ = (log ℓ₁…log ℓ_d, log signal, log noise), for one data set: the fit evaluates it a hundred times or so, so its
 * n×n buffers are allocated once and only lower triangles are computed (every matrix here is symmetric).
 */
export class Posterior {
  private readonly n: number;
  private readonly d: number;
  private readonly dist: Float64Array[];
  private readonly y: Float64Array;
  private readonly kf: Float64Array;
  private readonly dm: Float64Array;
  private readonly l: Float64Array;
  private readonly inv: Float64Array;
  private readonly kinv: Float64Array;
  private readonly alpha: Float64Array;
  private readonly w: Float64Array;
  private readonly acc: Float64Array;
  private readonly pg: Float64Array;

  /** `dist[j]` holds the per-dimension distance terms (n×n, lower triangle read). */
  constructor(dist: Float64Array[], y: Float64Array) {
    const n = y.length;
    this.n = n;
    this.d = dist.length;
    this.dist = dist;
    this.y = y;
    this.kf = new Float64Array(n * n);
    this.dm = new Float64Array(n * n);
    this.l = new Float64Array(n * n);
    this.inv = new Float64Array(n * n);
    this.kinv = new Float64Array(n * n);
    this.alpha = new Float64Array(n);
    this.w = new Float64Array(this.d);
    this.acc = new Float64Array(this.d);
    this.pg = new Float64Array(this.d + 2);
  }

  /** The value at θ, and its gradient into `grad` when given (without one, no K⁻¹ is formed: a third of the cost). */
  value(theta: Float64Array, grad?: Float64Array): number {
    const { n, d, dist, y, kf, dm, l, w, acc } = this;
    for (let j = 0; j < d; j++) w[j] = Math.exp(-2 * theta[j]!);
    const s = Math.exp(theta[d]!);
    const noise = Math.exp(theta[d + 1]!) + MIN_NOISE;
    let scale = 0;
    for (let a = 0; a < n; a++) {
      const ra = a * n;
      for (let b = 0; b <= a; b++) {
        const idx = ra + b;
        let r2 = 0;
        for (let j = 0; j < d; j++) r2 += w[j]! * dist[j]![idx]!;
        const r = Math.sqrt(r2);
        const e = Math.exp(-SQRT5 * r);
        kf[idx] = s * (1 + SQRT5 * r + (5 / 3) * r2) * e;
        dm[idx] = -s * (5 / 6) * (1 + SQRT5 * r) * e;
      }
      scale = Math.max(scale, kf[ra + a]! + noise);
    }
    // Jitter ×10 per try (at most three), as cholesky() does, when rounding leaves K just short of positive definite.
    let factored = false;
    for (let t = 0; t <= 3 && !factored; t++) {
      const extra = t === 0 ? 0 : 1e-10 * 10 ** (t - 1) * scale;
      for (let a = 0; a < n; a++) {
        const ra = a * n;
        for (let b = 0; b < a; b++) l[ra + b] = kf[ra + b]!;
        l[ra + a] = kf[ra + a]! + noise + extra;
      }
      factored = choleskyLower(l, n);
    }
    if (!factored) return Infinity;
    const sq: Square = { n, a: l };
    const alpha = this.alpha;
    alpha.set(y);
    solveUpperT(sq, solveLower(sq, alpha));
    let nll = 0;
    for (let a = 0; a < n; a++) nll += 0.5 * y[a]! * alpha[a]! + Math.log(l[a * n + a]!);
    nll += 0.5 * n * Math.log(2 * Math.PI);
    if (!grad) return nll - logPrior(theta, d, this.pg);
    // ∂LML/∂θ = ½ tr((ααᵀ − K⁻¹) ∂K/∂θ), summed over the lower triangle with off-diagonal terms twice.
    inverseLowerInto(l, n, this.inv, this.kinv);
    const kinv = this.kinv;
    acc.fill(0);
    let gs = 0;
    let gn = 0;
    for (let a = 0; a < n; a++) {
      const ra = a * n;
      const aa = alpha[a]!;
      for (let b = 0; b <= a; b++) {
        const idx = ra + b;
        const v = (aa * alpha[b]! - kinv[idx]!) * (a === b ? 1 : 2);
        gs += v * kf[idx]!;
        const wv = v * dm[idx]!;
        for (let j = 0; j < d; j++) acc[j]! += wv * dist[j]![idx]!;
      }
      gn += aa * aa - kinv[ra + a]!;
    }
    const pg = this.pg;
    const lp = logPrior(theta, d, pg);
    // ∂K/∂θⱼ = s·m'(r²)·Dⱼ·(−2wⱼ)
    for (let j = 0; j < d; j++) grad[j] = -(0.5 * acc[j]! * -2 * w[j]! + pg[j]!);
    grad[d] = -(0.5 * gs + pg[d]!);
    grad[d + 1] = -(0.5 * gn * (noise - MIN_NOISE) + pg[d + 1]!);
    return nll - lp;
  }
}

/** One evaluation of Posterior (tests and one-off callers). */
export function negLogPosterior(theta: Float64Array, dist: Float64Array[], y: Float64Array, grad: Float64Array): number {
  return new Posterior(dist, y).value(theta, grad);
}

export interface MinimizeOptions {
  maxIter?: number;
  /** Stop when the projected gradient's largest component falls below this. */
  gtol?: number;
  /** Stop when an iteration improves f by less than this, relatively. */
  ftol?: number;
  memory?: number;
}

/**
 * Minimises f over the box [lo, hi] with a projected L-BFGS (two-loop recursion on the free coordinates, Armijo
 * backtracking along the projected path). f writes its gradient into `grad` and may return Infinity where undefined.
 */
export function minimizeBox(
  f: (x: Float64Array, grad: Float64Array) => number,
  x0: readonly number[],
  lo: readonly number[],
  hi: readonly number[],
  options: MinimizeOptions = {},
): { x: Float64Array; f: number } {
  const { maxIter = 100, gtol = 1e-6, ftol = 1e-9, memory = 8 } = options;
  const dim = x0.length;
  const clip = (v: number, i: number): number => Math.min(hi[i]!, Math.max(lo[i]!, v));
  let x = Float64Array.from(x0, clip);
  let g = new Float64Array(dim);
  let fx = f(x, g);
  if (!Number.isFinite(fx)) return { x, f: fx };
  const ss: Float64Array[] = [];
  const ys: Float64Array[] = [];
  const dot = (a: Float64Array, b: Float64Array): number => a.reduce((acc, v, i) => acc + v * b[i]!, 0);
  for (let iter = 0; iter < maxIter; iter++) {
    const pg = g.map((gi, i) => ((x[i]! <= lo[i]! && gi > 0) || (x[i]! >= hi[i]! && gi < 0) ? 0 : gi));
    if (pg.reduce((m, v) => Math.max(m, Math.abs(v)), 0) < gtol) break;
    // Two-loop recursion: d = −H·pg.
    const q = Float64Array.from(pg);
    const rho = ss.map((s, i) => 1 / dot(ys[i]!, s));
    const al = new Float64Array(ss.length);
    for (let i = ss.length - 1; i >= 0; i--) {
      al[i] = rho[i]! * dot(ss[i]!, q);
      for (let c = 0; c < dim; c++) q[c]! -= al[i]! * ys[i]![c]!;
    }
    const last = ss.length - 1;
    const gamma = last >= 0 ? dot(ss[last]!, ys[last]!) / dot(ys[last]!, ys[last]!) : 1 / Math.max(1, Math.sqrt(dot(pg, pg)));
    for (let c = 0; c < dim; c++) q[c]! *= gamma;
    for (let i = 0; i < ss.length; i++) {
      const b = rho[i]! * dot(ys[i]!, q);
      for (let c = 0; c < dim; c++) q[c]! += ss[i]![c]! * (al[i]! - b);
    }
    let dir = q.map((v, i) => (pg[i] === 0 ? 0 : -v));
    if (!(dot(dir, pg) < 0)) {
      dir = pg.map((v) => -v);
      ss.length = 0;
      ys.length = 0;
    }
    let t = 1;
    let accepted = false;
    const gn = new Float64Array(dim);
    let xn = x;
    let fn = fx;
    for (let ls = 0; ls < 30; ls++) {
      xn = x.map((v, i) => clip(v + t * dir[i]!, i));
      fn = f(xn, gn);
      let decrease = 0;
      for (let i = 0; i < dim; i++) decrease += g[i]! * (xn[i]! - x[i]!);
      if (Number.isFinite(fn) && fn <= fx + 1e-4 * decrease) {
        accepted = true;
        break;
      }
      t *= 0.5;
    }
    if (!accepted) {
      if (ss.length === 0) break;
      ss.length = 0;
      ys.length = 0;
      continue;
    }
    const s = xn.map((v, i) => v - x[i]!);
    const yv = gn.map((v, i) => v - g[i]!);
    if (dot(s, yv) > 1e-12 * Math.max(dot(yv, yv), 1e-300)) {
      ss.push(s);
      ys.push(yv);
      if (ss.length > memory) {
        ss.shift();
        ys.shift();
      }
    }
    const rel = (fx - fn) / Math.max(Math.abs(fx), Math.abs(fn), 1);
    x = xn;
    fx = fn;
    g = gn;
    if (rel < ftol) break;
  }
  return { x, f: fx };
}

export class GaussianProcess {
  readonly params: KernelParams;
  private readonly n: number;
  private readonly d: number;
  private readonly xs: Float64Array;
  private readonly points: readonly (readonly number[])[];
  private readonly ysStd: Float64Array;
  private readonly w: Float64Array;
  private readonly categorical: readonly boolean[];
  private readonly yMean: number;
  private readonly yScale: number;
  private readonly l: Square;
  private readonly alpha: Float64Array;
  /** k(x, X) for predict(): one buffer, reused (predict is called thousands of times per suggestion). */
  private readonly scratch: Float64Array;
  /** Whether any coordinate is categorical (else predictions take the squared-difference path only). */
  private readonly mixed: boolean;

  private constructor(
    x: readonly (readonly number[])[],
    yStd: Float64Array,
    categorical: readonly boolean[],
    params: KernelParams,
    yMean: number,
    yScale: number,
  ) {
    this.n = x.length;
    this.d = categorical.length;
    this.points = x;
    this.xs = Float64Array.from(x.flat());
    this.ysStd = yStd;
    this.categorical = categorical;
    this.params = params;
    this.w = Float64Array.from(params.lengthScales, (s) => 1 / (s * s));
    this.yMean = yMean;
    this.yScale = yScale;
    const n = this.n;
    this.scratch = new Float64Array(n);
    this.mixed = categorical.some(Boolean);
    const k = new Float64Array(n * n);
    for (let a = 0; a < n; a++) {
      for (let b = 0; b <= a; b++) {
        const v = params.signal * maternValue(this.r2(this.xs, a * this.d, b));
        k[a * n + b] = v;
        k[b * n + a] = v;
      }
      k[a * n + a]! += params.noise + MIN_NOISE;
    }
    const l = cholesky({ n, a: k });
    if (!l) throw new Error('GaussianProcess: kernel matrix is not positive definite');
    this.l = l;
    this.alpha = solveUpperT(l, solveLower(l, Float64Array.from(yStd)));
  }

  /** Fits the kernel hyperparameters to (x, y) and conditions on all of it. Needs at least one point. */
  static fit(options: FitOptions): GaussianProcess {
    const { x, y, categorical, rng, fitCap = 100, randomStarts = 4, warm } = options;
    const d = categorical.length;
    const n = y.length;
    const yMean = y.reduce((a, b) => a + b, 0) / n;
    const sd = Math.sqrt(y.reduce((a, b) => a + (b - yMean) ** 2, 0) / n);
    const yScale = sd > 1e-12 * Math.max(1, Math.abs(yMean)) ? sd : 1;
    const yStd = Float64Array.from(y, (v) => (v - yMean) / yScale);

    // The points the hyperparameters see: all of them, or the best quarter and a random sample of the rest.
    let fitIdx = Array.from({ length: n }, (_, i) => i);
    if (n > fitCap) {
      const byY = [...fitIdx].sort((a, b) => y[a]! - y[b]!);
      const best = byY.slice(0, Math.floor(fitCap / 4));
      const rest = rng.shuffle(byY.slice(best.length)).slice(0, fitCap - best.length);
      fitIdx = [...best, ...rest].sort((a, b) => a - b);
    }
    const m = fitIdx.length;
    const dist = Array.from({ length: d }, (_, j) => {
      const dj = new Float64Array(m * m);
      for (let a = 0; a < m; a++) {
        for (let b = 0; b < m; b++) dj[a * m + b] = delta(x[fitIdx[a]!]![j]!, x[fitIdx[b]!]![j]!, categorical[j]!);
      }
      return dj;
    });
    const ySub = Float64Array.from(fitIdx, (i) => yStd[i]!);

    // Bounds: ℓ in [0.01, 30] (longer = the dimension barely matters), signal in [0.01, 20], noise in [1e-9, 1].
    const lo = [...Array<number>(d).fill(Math.log(0.01)), Math.log(0.01), Math.log(1e-9)];
    const hi = [...Array<number>(d).fill(Math.log(30)), Math.log(20), Math.log(1)];
    const starts: number[][] = [
      [...Array<number>(d).fill(Math.log(0.5)), 0, Math.log(1e-3)],
      [...Array<number>(d).fill(Math.log(0.15)), 0, Math.log(1e-4)],
    ];
    for (let r = 0; r < randomStarts; r++) {
      starts.push([...Array.from({ length: d }, () => rng.between(Math.log(0.05), Math.log(2))), rng.between(-1, 1), rng.between(Math.log(1e-6), Math.log(0.1))]);
    }
    const posterior = new Posterior(dist, ySub);
    const objective = (t: Float64Array, g: Float64Array): number => posterior.value(t, g);
    // Optuna's GPSampler stops its L-BFGS-B at gtol 1e-2: hyperparameters need no more precision than that.
    const full = { maxIter: 60, gtol: 1e-2, ftol: 1e-4 };
    type Found = { x: Float64Array; f: number } | undefined;
    const better = (a: Found, b: Found): Found => (b && Number.isFinite(b.f) && (!a || b.f < a.f) ? b : a);
    let found: Found;
    if (warm && warm.length === d + 2 && warm.every(Number.isFinite)) {
      found = better(undefined, minimizeBox(objective, warm, lo, hi, full));
    } else {
      // Fewer restarts: the starts are screened by their value alone (no gradient, so no K⁻¹), and only the most
      // promising one is run to convergence; the marginal likelihood has few basins over these bounds.
      let start = starts[0]!;
      let startValue = Infinity;
      for (const s of starts) {
        const v = posterior.value(Float64Array.from(s, (t, i) => Math.min(hi[i]!, Math.max(lo[i]!, t))));
        if (v < startValue) {
          start = s;
          startValue = v;
        }
      }
      found = better(undefined, minimizeBox(objective, start, lo, hi, full));
    }
    const theta = found?.x ?? Float64Array.from(starts[0]!);
    const params: KernelParams = {
      lengthScales: Array.from({ length: d }, (_, j) => Math.exp(theta[j]!)),
      signal: Math.exp(theta[d]!),
      noise: Math.exp(theta[d + 1]!),
    };
    return new GaussianProcess(x, yStd, categorical, params, yMean, yScale);
  }

  /** θ = (log ℓ₁…log ℓ_d, log signal, log noise) of the kernel, to warm-start the next fit. */
  get theta(): number[] {
    return [...this.params.lengthScales.map(Math.log), Math.log(this.params.signal), Math.log(this.params.noise)];
  }

  /** The same kernel and standardisation, conditioned on more points (fantasies for batch suggestions). */
  condition(x: readonly (readonly number[])[], y: readonly number[]): GaussianProcess {
    const extra = Float64Array.from(y, (v) => (v - this.yMean) / this.yScale);
    const ys = new Float64Array(this.n + extra.length);
    ys.set(this.ysStd);
    ys.set(extra, this.n);
    return new GaussianProcess([...this.points, ...x], ys, this.categorical, this.params, this.yMean, this.yScale);
  }

  get size(): number {
    return this.n;
  }

  /** Squared scaled distance between point `off` of `src` (offset into a flat array) and training point b. */
  private r2(src: ArrayLike<number>, off: number, b: number): number {
    let r2 = 0;
    const base = b * this.d;
    for (let j = 0; j < this.d; j++) r2 += this.w[j]! * delta(src[off + j]!, this.xs[base + j]!, this.categorical[j]!);
    return r2;
  }

  /** Posterior mean and variance of the latent function (no observation noise), in the targets' units. */
  predict(x: readonly number[]): Prediction {
    const out = new Float64Array(2);
    this.predictInto(x, out);
    return { mean: out[0]!, variance: out[1]! };
  }

  /** predict() into out = [mean, variance], allocating nothing: candidate scoring calls it thousands of times. */
  predictInto(x: readonly number[], out: Float64Array): void {
    const { n, d, w, xs, categorical, alpha } = this;
    const k = this.scratch;
    const signal = this.params.signal;
    let mean = 0;
    const mixed = this.mixed;
    for (let i = 0; i < n; i++) {
      let r2 = 0;
      const base = i * d;
      for (let j = 0; j < d; j++) {
        const diff = x[j]! - xs[base + j]!;
        r2 += w[j]! * (mixed && categorical[j] ? (Math.abs(diff) > 1e-9 ? 1 : 0) : diff * diff);
      }
      const r = Math.sqrt(r2);
      const kv = signal * (1 + SQRT5 * r + (5 / 3) * r2) * Math.exp(-SQRT5 * r);
      k[i] = kv;
      mean += kv * alpha[i]!;
    }
    // q = |L⁻¹k|², solving in place.
    const a = this.l.a;
    let q = 0;
    for (let i = 0; i < n; i++) {
      let s = k[i]!;
      const r = i * n;
      for (let j = 0; j < i; j++) s -= a[r + j]! * k[j]!;
      const v = s / a[r + i]!;
      k[i] = v;
      q += v * v;
    }
    const variance = Math.max(this.params.signal - q, 1e-12 * this.params.signal);
    out[0] = this.yMean + this.yScale * mean;
    out[1] = this.yScale * this.yScale * variance;
  }

  /** predict() with the gradient along the continuous coordinates. */
  predictWithGradient(x: readonly number[]): PredictionWithGradient {
    const { n, d } = this;
    const k = new Float64Array(n);
    const dk = new Float64Array(n * d); // ∂k_i/∂x_j
    let mean = 0;
    const dMean = new Float64Array(d);
    for (let i = 0; i < n; i++) {
      const mt = matern(this.r2(x, 0, i));
      k[i] = this.params.signal * mt.m;
      mean += k[i]! * this.alpha[i]!;
      const c = this.params.signal * mt.dm * 2;
      for (let j = 0; j < d; j++) {
        if (this.categorical[j]) continue;
        const g = c * this.w[j]! * (x[j]! - this.xs[i * d + j]!);
        dk[i * d + j] = g;
        dMean[j]! += g * this.alpha[i]!;
      }
    }
    const v = solveLower(this.l, Float64Array.from(k));
    let q = 0;
    for (let i = 0; i < n; i++) q += v[i]! * v[i]!;
    const beta = solveUpperT(this.l, v); // K⁻¹k
    const dVariance = new Float64Array(d);
    for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) dVariance[j]! -= 2 * dk[i * d + j]! * beta[i]!;
    const raw = this.params.signal - q;
    const floor = 1e-12 * this.params.signal;
    const s2 = this.yScale * this.yScale;
    return {
      mean: this.yMean + this.yScale * mean,
      variance: s2 * Math.max(raw, floor),
      dMean: dMean.map((g) => g * this.yScale),
      dVariance: raw > floor ? dVariance.map((g) => g * s2) : new Float64Array(d),
    };
  }
}
