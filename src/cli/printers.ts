// Output for people and scripts: aligned tables from the server's Table, names, JSON, YAML and JSONPath templates.
import { stringify } from 'yaml';
import type { KubeObject, ObjectMeta } from '../api/meta.js';
import { evaluateJsonPath, JsonPathError, parseJsonPath } from '../api/schema/index.js';
import { UsageError } from './cli-error.js';

export type OutputFormat =
  | { kind: 'table'; wide: boolean }
  | { kind: 'json' }
  | { kind: 'yaml' }
  | { kind: 'name' }
  | { kind: 'jsonpath'; template: string };

export function parseOutputFormat(value: string | undefined): OutputFormat {
  if (value === undefined || value === '') return { kind: 'table', wide: false };
  if (value === 'wide') return { kind: 'table', wide: true };
  if (value === 'json' || value === 'yaml' || value === 'name') return { kind: value };
  const jsonpath = /^jsonpath=(.*)$/s.exec(value);
  if (jsonpath) {
    const template = jsonpath[1] ?? '';
    renderJsonPath(template, {});
    return { kind: 'jsonpath', template };
  }
  throw new UsageError(`unable to match a printer for the output format "${value}": use wide, json, yaml, name or jsonpath=<template>`);
}

/** The server's meta.k8s.io/v1 Table, as far as printing needs it. */
export interface ServerTable {
  kind: 'Table';
  metadata?: { resourceVersion?: string };
  columnDefinitions?: { name: string; priority?: number }[];
  rows?: { cells: unknown[]; object?: { metadata?: ObjectMeta } | null }[];
}

export const tableAccept = 'application/json;as=Table;v=v1;g=meta.k8s.io, application/json';

/** Which server columns to show and how to label each row; built once from the first Table of a listing. */
export interface TableLayout {
  headers: string[];
  columns: number[];
  namespaceColumn: boolean;
  /** `configmap/` before each name when several kinds share the output, as kubectl does. */
  namePrefix: string;
  eventColumn: boolean;
}

export function tableLayout(table: ServerTable, options: { wide: boolean; namespaceColumn: boolean; namePrefix?: string; eventColumn?: boolean }): TableLayout {
  const defs = table.columnDefinitions ?? [];
  const columns: number[] = [];
  defs.forEach((d, i) => {
    if (options.wide || (d.priority ?? 0) === 0) columns.push(i);
  });
  const headers = columns.map((i) => defs[i]!.name.toUpperCase());
  if (options.namespaceColumn) headers.unshift('NAMESPACE');
  if (options.eventColumn) headers.unshift('EVENT');
  return { headers, columns, namespaceColumn: options.namespaceColumn, namePrefix: options.namePrefix ?? '', eventColumn: options.eventColumn ?? false };
}

/** One row's cells as text, in the layout's order; the name column is the server's `format: name` first column. */
export function rowCells(layout: TableLayout, row: NonNullable<ServerTable['rows']>[number], event?: string): string[] {
  const cells = layout.columns.map((i, n) => {
    const text = cellText(row.cells[i]);
    return n === 0 && i === 0 && layout.namePrefix ? `${layout.namePrefix}${text}` : text;
  });
  if (layout.namespaceColumn) cells.unshift(row.object?.metadata?.namespace ?? '');
  if (layout.eventColumn) cells.unshift(event ?? '');
  return cells;
}

export function cellText(value: unknown): string {
  if (value === null || value === undefined) return '<none>';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return JSON.stringify(value);
}

/** Column widths that fit the header and every row. */
export function columnWidths(rows: string[][]): number[] {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => { widths[i] = Math.max(widths[i] ?? 0, cell.length); });
  return widths;
}

/** Cells padded to `widths` with three spaces between columns (kubectl's tabwriter), no trailing blanks. */
export function formatRow(cells: string[], widths: number[]): string {
  return cells.map((cell, i) => (i === cells.length - 1 ? cell : cell.padEnd(widths[i] ?? cell.length))).join('   ').trimEnd();
}

export function formatTable(rows: string[][]): string {
  const widths = columnWidths(rows);
  return rows.map((r) => formatRow(r, widths) + '\n').join('');
}

export function toJson(value: unknown): string {
  return JSON.stringify(value, null, 4) + '\n';
}

export function toYaml(value: unknown): string {
  return stringify(value, { lineWidth: 0 });
}

/** The `kind: List` kubectl prints for several objects. */
export function listOf(items: KubeObject[]): unknown {
  return { apiVersion: 'v1', kind: 'List', metadata: { resourceVersion: '' }, items };
}

/**
 * A kubectl-style JSONPath template: literal text with `{.path}` expressions and `{"quoted"}` literals.
 * Several results of one expression are joined by spaces; objects print as JSON.
 */
export function renderJsonPath(template: string, value: unknown): string {
  let out = '';
  let i = 0;
  while (i < template.length) {
    const open = template.indexOf('{', i);
    if (open < 0) {
      out += template.slice(i);
      break;
    }
    out += template.slice(i, open);
    const close = template.indexOf('}', open);
    if (close < 0) throw new UsageError(`jsonpath template "${template}": unclosed "{"`);
    const expression = template.slice(open + 1, close).trim();
    i = close + 1;
    if (expression.startsWith('"')) {
      try {
        out += JSON.parse(expression) as string;
      } catch {
        throw new UsageError(`jsonpath template "${template}": bad literal ${expression}`);
      }
      continue;
    }
    if (/^(range|end)\b/.test(expression)) throw new UsageError(`jsonpath template "${template}": {range} is not supported; use -o json and a JSON tool`);
    let results: unknown[];
    try {
      parseJsonPath(expression);
      results = evaluateJsonPath(value, expression);
    } catch (err) {
      if (err instanceof JsonPathError) throw new UsageError(`jsonpath template "${template}": ${err.message}`);
      throw err;
    }
    out += results.map((r) => (typeof r === 'string' ? r : JSON.stringify(r))).join(' ');
  }
  return out;
}
