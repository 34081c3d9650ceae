// Quantities back to text as Kubernetes' Quantity.String() writes them ("1500m", "2", "1Gi", "1536Mi"), for messages and status.

export type QuantityFormat = 'DecimalSI' | 'BinarySI';

/** The format a quantity string was written in: a binary suffix keeps binary, everything else is decimal. */
export function quantityFormatOf(value: unknown): QuantityFormat {
  return typeof value === 'string' && /(Ki|Mi|Gi|Ti|Pi|Ei)$/.test(value.trim()) ? 'BinarySI' : 'DecimalSI';
}

const binary = ['', 'Ki', 'Mi', 'Gi', 'Ti', 'Pi', 'Ei'];
const decimal: [number, string][] = [
  [18, 'E'],
  [15, 'P'],
  [12, 'T'],
  [9, 'G'],
  [6, 'M'],
  [3, 'k'],
  [0, ''],
  [-3, 'm'],
  [-6, 'u'],
  [-9, 'n'],
];

/** The integer count of nano-units of `value`, exact for what quantities hold (up to nine fractional digits). */
function nanos(value: number): bigint {
  if (Math.abs(value) >= 1e9) return BigInt(Math.round(value)) * 1_000_000_000n;
  return BigInt(Math.round(value * 1e9));
}

/**
 * Canonical text of a number of units: the largest suffix that keeps an integer mantissa (`1000` → `1k`, `0.5` →
 * `500m`, `1536Mi`); BinarySI only for whole values of at least 1024 (as Kubernetes, which falls back to decimal).
 */
export function formatQuantity(value: number, format: QuantityFormat = 'DecimalSI'): string {
  if (value === 0) return '0';
  if (format === 'BinarySI' && Number.isInteger(value) && Math.abs(value) >= 1024) {
    let mantissa = BigInt(value);
    let i = 0;
    while (i < binary.length - 1 && mantissa % 1024n === 0n) {
      mantissa /= 1024n;
      i++;
    }
    return `${mantissa}${binary[i]}`;
  }
  const n = nanos(value);
  for (const [exp, suffix] of decimal) {
    const unit = 10n ** BigInt(exp + 9);
    if (n % unit === 0n) return `${n / unit}${suffix}`;
  }
  return `${n}n`;
}
