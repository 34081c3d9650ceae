// Manifests from `-f`: files, folders (recursively, sorted), stdin; multi-document YAML or JSON; `kind: List` expanded.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { extname, join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import type { KubeObject } from '../api/meta.js';
import { CliError } from './cli-error.js';

export interface Manifest {
  object: KubeObject;
  /** Where it came from, for messages: a path (or `-`) and the document's position in it. */
  source: string;
}

const manifestExtensions = new Set(['.yaml', '.yml', '.json']);

/** Reads every manifest named by the `-f` values, in order; a folder contributes its files sorted by path. */
export async function readManifests(paths: string[], readStdin: () => Promise<string>): Promise<Manifest[]> {
  const out: Manifest[] = [];
  for (const path of paths) {
    if (path === '-') {
      out.push(...parseManifests(await readStdin(), 'stdin'));
      continue;
    }
    for (const file of filesOf(path)) out.push(...parseManifests(readText(file), file));
  }
  return out;
}

function filesOf(path: string): string[] {
  let stat;
  try {
    stat = statSync(path);
  } catch {
    throw new CliError(`the path "${path}" does not exist: check the -f value (a file, a folder, or - for stdin)`);
  }
  if (!stat.isDirectory()) return [path];
  const files: string[] = [];
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
      const p = join(dir, entry.name);
      if (entry.isDirectory()) walk(p);
      else if (manifestExtensions.has(extname(entry.name).toLowerCase())) files.push(p);
    }
  };
  walk(path);
  if (files.length === 0) throw new CliError(`no manifests (.yaml, .yml, .json) in the folder "${path}"`);
  return files;
}

function readText(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    throw new CliError(`cannot read "${file}": ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
}

/** Splits a text into objects: JSON first when it looks like JSON, otherwise YAML documents separated by `---`. */
export function parseManifests(text: string, source: string): Manifest[] {
  const values: unknown[] = [];
  const trimmed = text.trim();
  let json: unknown;
  let isJson = false;
  if (trimmed.startsWith('{') || trimmed.startsWith('[')) {
    try {
      json = JSON.parse(trimmed);
      isJson = true;
    } catch {
      isJson = false;
    }
  }
  if (isJson) {
    values.push(json);
  } else {
    for (const doc of parseAllDocuments(text)) {
      const problem = doc.errors[0];
      if (problem) throw new CliError(`error parsing ${source}: ${problem.message}`);
      values.push(doc.toJSON());
    }
  }
  const out: Manifest[] = [];
  values.forEach((value, i) => {
    const where = values.length > 1 ? `${source} (document ${i + 1})` : source;
    if (value === null || value === undefined) return;
    for (const object of expand(value, where)) out.push({ object, source: where });
  });
  return out;
}

/** A `kind: List` (or any `*List` with items, or a JSON array) becomes its items; everything is checked for identity. */
function expand(value: unknown, where: string): KubeObject[] {
  if (Array.isArray(value)) return value.flatMap((v) => expand(v, where));
  if (typeof value !== 'object' || value === null) throw new CliError(`error validating ${where}: a manifest must be an object with apiVersion, kind and metadata`);
  const object = value as Record<string, unknown>;
  if (typeof object.kind === 'string' && object.kind.endsWith('List') && Array.isArray(object.items)) {
    return object.items.flatMap((v) => expand(v, where));
  }
  const missing: string[] = [];
  if (typeof object.apiVersion !== 'string' || object.apiVersion === '') missing.push('apiVersion');
  if (typeof object.kind !== 'string' || object.kind === '') missing.push('kind');
  const meta = object.metadata as { name?: unknown; generateName?: unknown } | undefined;
  if (typeof meta !== 'object' || meta === null || (typeof meta.name !== 'string' && typeof meta.generateName !== 'string')) missing.push('metadata.name');
  if (missing.length > 0) throw new CliError(`error validating ${where}: ${missing.join(', ')} not set`);
  return [object as KubeObject];
}
