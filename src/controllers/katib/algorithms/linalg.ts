// The dense linear algebra the Gaussian process and CMA-ES need: Cholesky factors and triangular solves on flat row-major
// Float64Arrays, in place where the GP calls them often (ml-matrix works through get/set, several times slower);
// ml-matrix for the symmetric eigen-decomposition.
import { EigenvalueDecomposition, Matrix } from 'ml-matrix';

/** A square matrix, row-major. */
export interface Square {
  n: number;
  a: Float64Array;
}

/**
 * Factorises in place: the lower triangle of row-major `a` (n×n, symmetric, only its lower triangle read) becomes L with
 * L Lᵀ = A; the strict upper triangle is left as it was. False when A is not (numerically) positive definite.
 */
export function choleskyLower(a: Float64Array, n: number): boolean {
  for (let i = 0; i < n; i++) {
    const ri = i * n;
    for (let j = 0; j <= i; j++) {
      const rj = j * n;
      let s = a[ri + j]!;
      for (let k = 0; k < j; k++) s -= a[ri + k]! * a[rj + k]!;
      if (i === j) {
        if (!(s > 0)) return false;
        a[ri + i] = Math.sqrt(s);
      } else {
        a[ri + j] = s / a[rj + j]!;
      }
    }
  }
  return true;
}

/**
 * The lower Cholesky factor of a symmetric matrix, adding diagonal jitter (×10 per try) until it factorises; undefined
 * when even the largest jitter fails.
 */
export function cholesky(m: Square, jitter = 1e-10, tries = 8): Square | undefined {
  const { n, a } = m;
  let scale = 0;
  for (let i = 0; i < n; i++) scale = Math.max(scale, Math.abs(a[i * n + i]!));
  const out = new Float64Array(n * n);
  for (let t = 0; t <= tries; t++) {
    out.set(a);
    if (t > 0) {
      const extra = jitter * 10 ** (t - 1) * Math.max(scale, 1e-300);
      for (let i = 0; i < n; i++) out[i * n + i]! += extra;
    }
    if (!choleskyLower(out, n)) continue;
    for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) out[i * n + j] = 0;
    return { n, a: out };
  }
  return undefined;
}

/** Solves L x = b in place (L lower triangular). */
export function solveLower(l: Square, b: Float64Array): Float64Array {
  const { n, a } = l;
  for (let i = 0; i < n; i++) {
    let s = b[i]!;
    const r = i * n;
    for (let j = 0; j < i; j++) s -= a[r + j]! * b[j]!;
    b[i] = s / a[r + i]!;
  }
  return b;
}

/** Solves Lᵀ x = b in place. */
export function solveUpperT(l: Square, b: Float64Array): Float64Array {
  const { n, a } = l;
  for (let i = n - 1; i >= 0; i--) {
    let s = b[i]!;
    for (let j = i + 1; j < n; j++) s -= a[j * n + i]! * b[j]!;
    b[i] = s / a[i * n + i]!;
  }
  return b;
}

/** (L Lᵀ)⁻¹ from the Cholesky factor L: invert L (lower), then form L⁻ᵀ L⁻¹; rows stay contiguous in inner loops. */
export function inverseFromCholesky(l: Square): Square {
  const { n } = l;
  const out = new Float64Array(n * n);
  inverseLowerInto(l.a, n, new Float64Array(n * n), out);
  for (let i = 0; i < n; i++) for (let j = 0; j < i; j++) out[j * n + i] = out[i * n + j]!;
  return { n, a: out };
}

/**
 * The lower triangle of (L Lᵀ)⁻¹ into `out`, from the lower triangle of `a` (L), with `inv` as scratch for L⁻¹; both
 * buffers n×n and overwritten. The strict upper triangle of `out` is left zero.
 */
export function inverseLowerInto(a: Float64Array, n: number, inv: Float64Array, out: Float64Array): void {
  inv.fill(0);
  out.fill(0);
  // L⁻¹, lower: row i = (e_i − Σ_{k<i} L_ik · row k) / L_ii
  for (let i = 0; i < n; i++) {
    const ri = i * n;
    for (let k = 0; k < i; k++) {
      const c = a[ri + k]!;
      if (c === 0) continue;
      const rk = k * n;
      for (let j = 0; j <= k; j++) inv[ri + j]! -= c * inv[rk + j]!;
    }
    inv[ri + i] = 1;
    const d = a[ri + i]!;
    for (let j = 0; j <= i; j++) inv[ri + j]! /= d;
  }
  // Σ_k row_kᵀ row_k, lower half.
  for (let k = 0; k < n; k++) {
    const rk = k * n;
    for (let i = 0; i <= k; i++) {
      const c = inv[rk + i]!;
      if (c === 0) continue;
      const ri = i * n;
      for (let j = 0; j <= i; j++) out[ri + j]! += c * inv[rk + j]!;
    }
  }
}

/** Eigen-decomposition of a symmetric matrix: values and the eigenvectors as columns of `vectors` (row-major). */
export function symmetricEigen(m: Square): { values: Float64Array; vectors: Square } {
  const { n, a } = m;
  const rows = Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) => (a[i * n + j]! + a[j * n + i]!) / 2));
  const e = new EigenvalueDecomposition(new Matrix(rows), { assumeSymmetric: true });
  const v = e.eigenvectorMatrix;
  const vectors = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) vectors[i * n + j] = v.get(i, j);
  return { values: Float64Array.from(e.realEigenvalues), vectors: { n, a: vectors } };
}
