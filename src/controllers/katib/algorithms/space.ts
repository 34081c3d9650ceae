// The search space as algorithms use it: every parameter maps the unit interval onto its feasible values through its
// distribution (uniform, logUniform, normal, logNormal), so sampling u ~ U(0, 1) samples the parameter's prior, and any
// assignment maps back to a point of the unit cube. Categorical parameters are indexes into their list.
import type { Assignment, ParameterSpec } from './types.js';
import { normCdf, normInv } from './stats.js';

export type DimensionKind = 'continuous' | 'ordinal' | 'categorical';

export interface Dimension {
  name: string;
  /** continuous: double/int ranges; ordinal: a `discrete` list (ordered numbers); categorical: an unordered list. */
  kind: DimensionKind;
  /** Every value, in order, when there are finitely many (int, discrete, categorical, double with step). */
  values: string[] | undefined;
  /** The value at u in [0, 1]. */
  fromUnit(u: number): string;
  /** Where a value sits in [0, 1] (the middle of its cell for finite spaces); NaN for a value outside the space. */
  toUnit(value: string): number;
}

const EPS = 1e-12;
const clamp = (x: number, lo: number, hi: number): number => Math.min(hi, Math.max(lo, x));

/** Plain decimal text for a double (no exponent for the usual ranges), like Katib's suggestion services print. */
export function formatDouble(x: number): string {
  return String(Number(x.toPrecision(15)));
}

function listDimension(spec: ParameterSpec, kind: 'ordinal' | 'categorical'): Dimension {
  const list = spec.feasibleSpace.list ?? [];
  const n = list.length;
  return {
    name: spec.name,
    kind,
    values: [...list],
    fromUnit: (u) => list[clamp(Math.floor(u * n), 0, n - 1)]!,
    toUnit: (value) => {
      let i = list.indexOf(value);
      if (i < 0 && kind === 'ordinal') i = list.findIndex((v) => Number(v) === Number(value));
      return i < 0 ? NaN : (i + 0.5) / n;
    },
  };
}

function rangeDimension(spec: ParameterSpec): Dimension {
  const fs = spec.feasibleSpace;
  const min = Number(fs.min);
  const max = Number(fs.max);
  const isInt = spec.parameterType === 'int';
  const step = fs.step !== undefined && fs.step !== '' ? Number(fs.step) : isInt ? 1 : undefined;
  const dist = fs.distribution ?? 'uniform';
  const log = dist === 'logUniform' || dist === 'logNormal';
  const lo = log ? Math.log(min) : min;
  const hi = log ? Math.log(max) : max;
  const normal = dist === 'normal' || dist === 'logNormal';
  const mu = (lo + hi) / 2;
  const sigma = (hi - lo) / 6;
  // u -> the distribution's value in its (log) space, and back.
  const warp = (u: number): number => (normal ? mu + sigma * normInv(clamp(u, EPS, 1 - EPS)) : lo + u * (hi - lo));
  // min == max (Katib accepts it: its hyperband example pins num-epochs that way) has one value, in the middle.
  const unwarp = (x: number): number => (hi === lo ? 0.5 : normal ? normCdf((x - mu) / sigma) : (x - lo) / (hi - lo));
  const raw = (u: number): number => clamp(log ? Math.exp(warp(u)) : warp(u), min, max);
  const format = (x: number): string => (isInt ? String(Math.round(x)) : formatDouble(x));
  const toUnitOf = (x: number): number => {
    if (!Number.isFinite(x) || x < min - 1e-9 || x > max + 1e-9) return NaN;
    return clamp(unwarp(log ? Math.log(Math.max(x, Number.MIN_VALUE)) : x), 0, 1);
  };

  if (step === undefined) {
    return { name: spec.name, kind: 'continuous', values: undefined, fromUnit: (u) => format(raw(u)), toUnit: (v) => toUnitOf(Number(v)) };
  }
  const count = Math.floor((max - min) / step + 1e-9) + 1;
  const grid = Array.from({ length: count }, (_, i) => format(min + i * step));
  const snap = (x: number): number => clamp(Math.round((x - min) / step), 0, count - 1);
  return {
    name: spec.name,
    kind: 'continuous',
    values: grid,
    // Uniform over a grid: each grid value equally likely; other distributions: the nearest grid value.
    fromUnit: (u) => grid[dist === 'uniform' ? clamp(Math.floor(u * count), 0, count - 1) : snap(raw(u))]!,
    toUnit: (v) => {
      const x = Number(v);
      if (dist !== 'uniform') return toUnitOf(x);
      if (!Number.isFinite(x) || x < min - 1e-9 || x > max + 1e-9) return NaN;
      return (snap(x) + 0.5) / count;
    },
  };
}

export function dimension(spec: ParameterSpec): Dimension {
  switch (spec.parameterType) {
    case 'categorical':
      return listDimension(spec, 'categorical');
    case 'discrete':
      return listDimension(spec, 'ordinal');
    case 'double':
    case 'int':
      return rangeDimension(spec);
  }
}

export class SearchSpace {
  readonly dims: Dimension[];

  constructor(parameters: readonly ParameterSpec[]) {
    this.dims = parameters.map(dimension);
  }

  get size(): number {
    return this.dims.length;
  }

  /** A point of the unit cube as parameter assignments. */
  decode(u: readonly number[]): Assignment[] {
    return this.dims.map((d, i) => ({ name: d.name, value: d.fromUnit(u[i] ?? 0.5) }));
  }

  /** Assignments as a point of the unit cube; undefined when one is missing or outside the space. */
  encode(assignments: readonly Assignment[]): number[] | undefined {
    const out: number[] = [];
    for (const d of this.dims) {
      const a = assignments.find((x) => x.name === d.name);
      const u = a ? d.toUnit(a.value) : NaN;
      if (Number.isNaN(u)) return undefined;
      out.push(u);
    }
    return out;
  }

  /** The number of distinct points, Infinity when a dimension is continuous without a step. */
  cardinality(): number {
    return this.dims.reduce((n, d) => n * (d.values?.length ?? Infinity), 1);
  }

  /** A stable text key of an assignment set, for de-duplication. */
  key(assignments: readonly Assignment[]): string {
    return this.dims.map((d) => assignments.find((a) => a.name === d.name)?.value ?? '').join('\u0000');
  }
}
