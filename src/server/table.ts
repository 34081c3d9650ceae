// meta.k8s.io/v1 Table responses for `kubectl get`: built-in printers and CRD additionalPrinterColumns.
import type { KubeObject } from '../api/meta.js';
import type { PrinterColumn, ResourceType } from '../api/resource-type.js';
import { evaluateColumnPath } from '../api/schema/index.js';

export interface TableColumnDefinition {
  name: string;
  type: string;
  format: string;
  description: string;
  priority: number;
}

export interface TableRow {
  cells: unknown[];
  object: unknown;
}

export interface Table {
  kind: 'Table';
  apiVersion: 'meta.k8s.io/v1';
  metadata: { resourceVersion?: string; continue?: string };
  columnDefinitions: TableColumnDefinition[];
  rows: TableRow[];
}

export type IncludeObject = 'None' | 'Metadata' | 'Object';

const nameColumn: TableColumnDefinition = {
  name: 'Name',
  type: 'string',
  format: 'name',
  description: 'Name must be unique within a namespace. Cannot be updated.',
  priority: 0,
};
const ageColumn: TableColumnDefinition = {
  name: 'Age',
  type: 'string',
  format: '',
  description: 'CreationTimestamp is a timestamp representing the server time when this object was created.',
  priority: 0,
};

export function columnDefinitions(type: ResourceType): TableColumnDefinition[] {
  const own = type.columns.map((c: PrinterColumn) => ({
    name: c.name,
    type: c.type,
    format: c.format ?? '',
    description: c.description ?? '',
    priority: c.priority ?? 0,
  }));
  const hasAge = own.some((c) => c.name.toLowerCase() === 'age' || c.name.toLowerCase() === 'created at' || c.name.toLowerCase() === 'last seen');
  // Events lead with LAST SEEN and keep NAME at the end, hidden by default; everything else leads with NAME.
  if (type.group === '' && type.kind === 'Event') return [...own, { ...nameColumn, priority: 1 }];
  return hasAge ? [nameColumn, ...own] : [nameColumn, ...own, ageColumn];
}

export function toTable(type: ResourceType, objects: KubeObject[], include: IncludeObject, meta: Table['metadata'], now: Date, withColumns = true): Table {
  const defs = columnDefinitions(type);
  return {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata: meta,
    columnDefinitions: withColumns ? defs : [],
    rows: objects.map((o) => ({ cells: rowCells(type, o, now), object: embedded(o, include) })),
  };
}

function rowCells(type: ResourceType, object: KubeObject, now: Date): unknown[] {
  const own = type.cells
    ? type.cells(object)
    : type.columns.map((c) => {
        const value = evaluateColumnPath(object, c.jsonPath);
        if (value === undefined || value === null) return null;
        if (c.type === 'date' && typeof value === 'string') return humanAge(value, now);
        if (typeof value === 'object') return JSON.stringify(value);
        return value;
      });
  const age = humanAge(object.metadata.creationTimestamp, now);
  const ageAt = type.columns.findIndex((c) => c.name === 'Age');
  const cells = own.map((v, i) => (i === ageAt && (v === undefined || v === '') ? age : v === undefined ? null : v));
  const name = object.metadata.name ?? '';
  if (type.group === '' && type.kind === 'Event') return [...cells, name];
  const defs = columnDefinitions(type);
  return defs.length === cells.length + 1 ? [name, ...cells] : [name, ...cells, age];
}

function embedded(object: KubeObject, include: IncludeObject): unknown {
  if (include === 'None') return null;
  if (include === 'Object') return object;
  return { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: object.metadata };
}

/** Kubernetes' short human durations: 45s, 3m20s, 14m, 5h3m, 2d4h, 400d, 3y20d. */
export function humanAge(timestamp: string | undefined, now: Date): string {
  if (!timestamp) return '<unknown>';
  const seconds = Math.floor((now.getTime() - Date.parse(timestamp)) / 1000);
  if (Number.isNaN(seconds)) return '<unknown>';
  if (seconds < -1) return '<invalid>';
  if (seconds < 0) return '0s';
  if (seconds < 120) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 10) return seconds % 60 === 0 ? `${minutes}m` : `${minutes}m${seconds % 60}s`;
  if (minutes < 180) return `${minutes}m`;
  const hours = Math.floor(minutes / 60);
  if (hours < 8) return minutes % 60 === 0 ? `${hours}h` : `${hours}h${minutes % 60}m`;
  if (hours < 48) return `${hours}h`;
  const days = Math.floor(hours / 24);
  if (hours < 24 * 8) return hours % 24 === 0 ? `${days}d` : `${days}d${hours % 24}h`;
  if (days < 365 * 2) return `${days}d`;
  const years = Math.floor(days / 365);
  if (days < 365 * 8) return days % 365 === 0 ? `${years}y` : `${years}y${days % 365}d`;
  return `${years}y`;
}
