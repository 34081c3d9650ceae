// The dense linear algebra the Gaussian process and CMA-ES need: ml-matrix factorises, and the triangular solves run on
// flat row-major Float64Arrays (ml-matrix's solve works column by column through get/set, ~20x slower for K⁻¹).
import { CholeskyDecomposition, EigenvalueDecomposition, Matrix } from 'ml-matrix';

/** A square matrix, row-major. */
export interface Square {
  n: number;
  a: Float64Array;
}

/**
 * The lower Cholesky factor of a symmetric matrix, adding diagonal jitter (×10 per try) until it factorises; undefined
 * when even the largest jitter fails.
 */
export function cholesky(m: Square, jitter = 1e-10, tries = 8): Square | undefined {
  const { n, a } = m;
  let scale = 0;
  for (let i = 0; i < n; i++) scale = Math.max(scale, Math.abs(a[i * n + i]!));
  const k = Matrix.from1DArray(n, n, a);
  for (let t = 0; t <= tries; t++) {
    if (t > 0) {
      const extra = jitter * 10 ** (t - 1) * Math.max(scale, 1e-300);
      for (let i = 0; i < n; i++) k.set(i, i, a[i * n + i]! + extra);
    }
    const chol = new CholeskyDecomposition(k);
    if (!chol.isPositiveDefinite()) continue;
    const out = Float64Array.from(chol.lowerTriangularMatrix.to1DArray());
    let ok = true;
    for (let i = 0; i < n; i++) if (!(out[i * n + i]! > 0)) ok = false;
    if (ok) return { n, a: out };
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
  const { n, a } = l;
  const inv = new Float64Array(n * n); // L⁻¹, lower: row i = (e_i − Σ_{k<i} L_ik · row k) / L_ii
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
  const out = new Float64Array(n * n); // Σ_k row_kᵀ row_k, lower half, then mirrored
  for (let k = 0; k < n; k++) {
    const rk = k * n;
    for (let i = 0; i <= k; i++) {
      const c = inv[rk + i]!;
      if (c === 0) continue;
      const ri = i * n;
      for (let j = 0; j <= i; j++) out[ri + j]! += c * inv[rk + j]!;
    }
  }
  for (let i = 0; i < n; i++) for (let j = 0; j < i; j++) out[j * n + i] = out[i * n + j]!;
  return { n, a: out };
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
