// Printer-column cells: the value of a column's JSONPath rendered as kube-apiserver's Table renders it.
import type { PrinterColumn } from '../resource-type.js';

const rfc3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;

/**
 * Renders a column value by its declared type, as kube-apiserver does for custom resources:
 * - `string`: strings as they are, numbers and booleans as text, arrays and objects as compact JSON;
 * - `integer`: a number, truncated (anything else is no value); `number`: a number; `boolean`: a boolean;
 * - `date`: an RFC 3339 timestamp, normalised to UTC seconds (`2024-05-01T12:00:00Z`), or `<invalid>`
 *   when the string is not one (kube-apiserver then shows the age; callers that print ages do that).
 * Absent values, and values of another type than the column's, are `null` (kubectl prints `<none>`).
 */
export function formatCell(value: unknown, type: PrinterColumn['type']): string | number | boolean | null {
  if (value === undefined || value === null) return null;
  switch (type) {
    case 'string':
      if (typeof value === 'string') return value;
      if (typeof value === 'number' || typeof value === 'boolean') return String(value);
      return JSON.stringify(value) ?? null;
    case 'integer':
      return typeof value === 'number' && Number.isFinite(value) ? Math.trunc(value) : null;
    case 'number':
      return typeof value === 'number' ? value : null;
    case 'boolean':
      return typeof value === 'boolean' ? value : null;
    case 'date':
      return typeof value === 'string' ? normalizeTimestamp(value) ?? '<invalid>' : null;
    default:
      return null;
  }
}

/** An RFC 3339 timestamp as UTC with second precision (the form Kubernetes writes), or undefined. */
export function normalizeTimestamp(value: string): string | undefined {
  const m = rfc3339.exec(value.trim());
  if (!m) return undefined;
  const ms = Date.parse(value.trim().toUpperCase());
  if (Number.isNaN(ms)) return undefined;
  const [, y, mo, d, h, mi, s] = m.map(Number);
  if (mo === undefined || d === undefined || h === undefined || mi === undefined || s === undefined || y === undefined) return undefined;
  if (mo < 1 || mo > 12 || d < 1 || d > new Date(Date.UTC(y, mo, 0)).getUTCDate() || h > 23 || mi > 59 || s > 60) return undefined;
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}
