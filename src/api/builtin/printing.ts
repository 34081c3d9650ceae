// What built-in printers share: column definitions, the AGE placeholder and kube-apiserver's short human durations.
import type { PrinterColumn } from '../resource-type.js';

/** A server-side Table column whose cells are computed in code (jsonPath is unused). */
export function column(name: string, type: PrinterColumn['type'], description: string, priority = 0): PrinterColumn {
  const c: PrinterColumn = { name, type, jsonPath: '', description };
  if (priority > 0) c.priority = priority;
  return c;
}

/**
 * AGE where kube-apiserver puts it mid-table (pods, services, nodes, claims: before the priority-1 columns).
 * The table code fills its cell from metadata.creationTimestamp; printers return `ageCell` there.
 */
export const ageColumn: PrinterColumn = column('Age', 'string', 'CreationTimestamp is a timestamp representing the server time when this object was created.');
export const ageCell = undefined;

/** Go's duration.HumanDuration: 45s, 3m20s, 14m, 5h3m, 2d4h, 400d, 3y20d. */
export function humanDuration(ms: number): string {
  const seconds = Math.trunc(ms / 1000);
  if (seconds < -1) return '<invalid>';
  if (seconds < 0) return '0s';
  if (seconds < 120) return `${seconds}s`;
  const minutes = Math.trunc(seconds / 60);
  if (minutes < 10) return seconds % 60 === 0 ? `${minutes}m` : `${minutes}m${seconds % 60}s`;
  if (minutes < 180) return `${minutes}m`;
  const hours = Math.trunc(minutes / 60);
  if (hours < 8) return minutes % 60 === 0 ? `${hours}h` : `${hours}h${minutes % 60}m`;
  if (hours < 48) return `${hours}h`;
  const days = Math.trunc(hours / 24);
  if (hours < 24 * 8) return hours % 24 === 0 ? `${days}d` : `${days}d${hours % 24}h`;
  if (days < 365 * 2) return `${days}d`;
  const years = Math.trunc(days / 365);
  if (days < 365 * 8) return days % 365 === 0 ? `${years}y` : `${years}y${days % 365}d`;
  return `${years}y`;
}

/** translateTimestampSince: the age of a timestamp, or '<unknown>' when there is none. */
export function since(timestamp: unknown, now: Date): string {
  if (typeof timestamp !== 'string' || timestamp === '') return '<unknown>';
  const at = Date.parse(timestamp);
  return Number.isNaN(at) ? '<unknown>' : humanDuration(now.getTime() - at);
}

/** labels.FormatLabels: `a=b,c=d` sorted by key, or '<none>'. */
export function formatLabels(labels: Record<string, unknown>): string {
  const pairs = Object.keys(labels).sort().map((k) => `${k}=${String(labels[k])}`);
  return pairs.length > 0 ? pairs.join(',') : '<none>';
}
