// Kubernetes resource quantities ("500m", "1Gi", "2", "1e3") as numbers, for validation and scheduling.

/** Decimal SI suffixes as powers of ten; "" is a plain number. */
const decimalSuffixes: Readonly<Record<string, number>> = { n: -9, u: -6, m: -3, '': 0, k: 3, M: 6, G: 9, T: 12, P: 15, E: 18 };
/** Binary SI suffixes as powers of two. */
const binarySuffixes: Readonly<Record<string, number>> = { Ki: 10, Mi: 20, Gi: 30, Ti: 40, Pi: 50, Ei: 60 };

// <sign><number> then either an exponent (e3, E-2) or one suffix. "1E" is one exa; "1E3" is a thousand.
const grammar = /^([+-]?)(\d+\.?\d*|\.\d+)(?:[eE]([+-]?\d+)|(Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE])?)$/;

/** The message kube-apiserver gives for a string that is not a quantity. */
export const quantityFormatMessage = "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'";

/**
 * The numeric value of a quantity (`'500m'` → 0.5, `'1Gi'` → 1073741824, `'1e3'` → 1000, `2` → 2),
 * or undefined when it is not one. JSON numbers are accepted as Kubernetes accepts them.
 */
export function parseQuantity(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (typeof value !== 'string') return undefined;
  const m = grammar.exec(value.trim());
  if (!m) return undefined;
  const [, sign = '', digits = '', exponent, suffix = ''] = m;
  // Let Number() round the decimal string once, so '300m' and '0.3' give the same double.
  const parsed =
    exponent !== undefined
      ? Number(`${sign}${digits}e${exponent}`)
      : suffix in binarySuffixes
        ? Number(`${sign}${digits}`) * 2 ** (binarySuffixes[suffix] ?? 0)
        : Number(`${sign}${digits}e${decimalSuffixes[suffix] ?? 0}`);
  return Number.isFinite(parsed) ? parsed : undefined;
}
