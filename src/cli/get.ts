// `floe get`: tables from the server's Table response, or objects as JSON, YAML, names or JSONPath; `-w` streams.
import type { KubeList, KubeObject } from '../api/meta.js';
import { describeFailure, ExitCode, UsageError } from './cli-error.js';
import {
  columnWidths,
  formatRow,
  listOf,
  renderJsonPath,
  rowCells,
  tableAccept,
  tableLayout,
  toJson,
  toYaml,
  type OutputFormat,
  type ServerTable,
  type TableLayout,
} from './printers.js';
import { apiVersionOfResource, collectionPath, objectPath, qualifiedKind, type ApiResource } from './resources.js';
import { addReplicaColumn, isTrainingJob } from './training.js';
import type { Session } from './session.js';
import { isAbort, watchEvents } from './watch.js';

export interface GetOptions {
  output: OutputFormat;
  labelSelector?: string;
  fieldSelector?: string;
  watch?: boolean;
  outputWatchEvents?: boolean;
  noHeaders?: boolean;
  /** Ends a `-w` stream (Ctrl-C). */
  signal?: AbortSignal;
}

/** One resource type and the names asked for (none: list them). */
interface Target {
  resource: ApiResource;
  names: string[];
}

export async function get(session: Session, args: string[], options: GetOptions): Promise<ExitCode> {
  const targets = await targetsOf(session, args);
  const named = targets.some((t) => t.names.length > 0);
  if (named && session.allNamespaces) throw new UsageError('a resource cannot be retrieved by name across all namespaces: drop -A or the name');
  if (named && (options.labelSelector || options.fieldSelector)) throw new UsageError('name cannot be provided when a selector is specified');
  if (options.watch) return watch(session, targets, options);
  return options.output.kind === 'table' ? printTables(session, targets, options, options.output.wide) : printObjects(session, targets, options);
}

/** `pods`, `pods,svc`, `all`, `pods web-0 web-1`, or `pod/web-0 svc/web`. */
export async function targetsOf(session: Session, args: string[]): Promise<Target[]> {
  const [first, ...rest] = args;
  if (first === undefined) throw new UsageError('name a resource type, such as `floe get pods`');
  const slashed = args.filter((a) => a.includes('/'));
  if (slashed.length > 0) {
    if (slashed.length !== args.length) throw new UsageError('there is no need to name a resource type separately when using the TYPE/NAME form');
    const targets: Target[] = [];
    for (const arg of args) {
      const slash = arg.indexOf('/');
      const resource = await session.catalog.resolveOne(arg.slice(0, slash));
      const name = arg.slice(slash + 1);
      if (name === '') throw new UsageError(`"${arg}" names no object: use TYPE/NAME`);
      const known = targets.find((t) => t.resource === resource);
      if (known) known.names.push(name);
      else targets.push({ resource, names: [name] });
    }
    return targets;
  }
  const resources: ApiResource[] = [];
  for (const type of first.split(',').filter(Boolean)) {
    for (const r of await session.catalog.resolve(type)) if (!resources.includes(r)) resources.push(r);
  }
  return resources.map((resource) => ({ resource, names: rest }));
}

function namespaceOf(session: Session, resource: ApiResource): string | undefined {
  return !resource.namespaced || session.allNamespaces ? undefined : session.namespace;
}

function listQuery(options: GetOptions): Record<string, string | undefined> {
  return { labelSelector: options.labelSelector || undefined, fieldSelector: options.fieldSelector || undefined };
}

async function printTables(session: Session, targets: Target[], options: GetOptions, wide: boolean): Promise<ExitCode> {
  let exitCode: ExitCode = ExitCode.Ok;
  let printed = 0;
  const several = targets.length > 1;
  for (const { resource, names } of targets) {
    const namespace = namespaceOf(session, resource);
    const tables: ServerTable[] = [];
    if (names.length === 0) {
      tables.push(await session.http.json<ServerTable>({ method: 'GET', path: collectionPath(resource, namespace), query: listQuery(options), accept: tableAccept }));
    }
    for (const name of names) {
      try {
        tables.push(await session.http.json<ServerTable>({ method: 'GET', path: objectPath(resource, namespace, name), accept: tableAccept }));
      } catch (err) {
        session.io.err(`${describeFailure(err).text}\n`);
        exitCode = ExitCode.Failed;
      }
    }
    const rows = tables.flatMap((t) => t.rows ?? []);
    if (rows.length === 0) continue;
    if (isTrainingJob(resource)) await addReplicaColumn(session, resource, namespace, tables);
    const layout = tableLayout(tables[0]!, {
      wide,
      namespaceColumn: session.allNamespaces && resource.namespaced,
      namePrefix: several ? `${qualifiedKind(resource)}/` : '',
    });
    const lines = rows.map((row) => rowCells(layout, row));
    if (!options.noHeaders) lines.unshift(layout.headers);
    const widths = columnWidths(lines);
    if (printed > 0) session.io.out('\n');
    session.io.out(lines.map((l) => formatRow(l, widths) + '\n').join(''));
    printed++;
  }
  if (printed === 0 && exitCode === ExitCode.Ok) session.io.err(`${noResources(session, targets)}\n`);
  return exitCode;
}

async function printObjects(session: Session, targets: Target[], options: GetOptions): Promise<ExitCode> {
  let exitCode: ExitCode = ExitCode.Ok;
  const items: { resource: ApiResource; object: KubeObject }[] = [];
  for (const { resource, names } of targets) {
    const namespace = namespaceOf(session, resource);
    if (names.length === 0) {
      const list = await session.http.json<KubeList>({ method: 'GET', path: collectionPath(resource, namespace), query: listQuery(options) });
      for (const object of list.items) items.push({ resource, object: withIdentity(resource, object) });
    }
    for (const name of names) {
      try {
        items.push({ resource, object: withIdentity(resource, await session.http.json<KubeObject>({ method: 'GET', path: objectPath(resource, namespace, name) })) });
      } catch (err) {
        session.io.err(`${describeFailure(err).text}\n`);
        exitCode = ExitCode.Failed;
      }
    }
  }
  const single = targets.length === 1 && targets[0]!.names.length === 1;
  const output = options.output;
  if (output.kind === 'name') {
    for (const { resource, object } of items) session.io.out(`${qualifiedKind(resource)}/${object.metadata.name ?? ''}\n`);
    if (items.length === 0 && exitCode === ExitCode.Ok) session.io.err(`${noResources(session, targets)}\n`);
    return exitCode;
  }
  if (single && items.length === 0) return exitCode;
  const value = single ? items[0]!.object : listOf(items.map((i) => i.object));
  switch (output.kind) {
    case 'json':
      session.io.out(toJson(value));
      break;
    case 'yaml':
      session.io.out(toYaml(value));
      break;
    case 'jsonpath':
      session.io.out(renderJsonPath(output.template, value));
      break;
    case 'table':
      break;
  }
  return exitCode;
}

/** List items may come without apiVersion and kind; printed objects always carry them. */
function withIdentity(resource: ApiResource, object: KubeObject): KubeObject {
  return { ...object, apiVersion: object.apiVersion || apiVersionOfResource(resource), kind: object.kind || resource.kind };
}

function noResources(session: Session, targets: Target[]): string {
  const namespaced = targets.some((t) => t.resource.namespaced);
  return namespaced && !session.allNamespaces ? `No resources found in ${session.namespace} namespace.` : 'No resources found';
}

/** Lists, prints, then follows the changes from that resourceVersion until the signal ends it. */
async function watch(session: Session, targets: Target[], options: GetOptions): Promise<ExitCode> {
  const target = targets[0];
  if (targets.length !== 1 || !target) throw new UsageError('watch is only supported on one resource type at a time');
  if (target.names.length > 1) throw new UsageError('watch is only supported on one object (or a selector) at a time');
  const { resource } = target;
  const namespace = namespaceOf(session, resource);
  const name = target.names[0];
  const fieldSelector = [options.fieldSelector, name ? `metadata.name=${name}` : undefined].filter(Boolean).join(',');
  const query = { labelSelector: options.labelSelector || undefined, fieldSelector: fieldSelector || undefined };
  const path = collectionPath(resource, namespace);
  const table = options.output.kind === 'table';
  let resourceVersion: string | undefined;
  let layout: TableLayout | undefined;
  let widths: number[] = [];
  if (table) {
    const initial = await session.http.json<ServerTable>({ method: 'GET', path, query, accept: tableAccept });
    layout = tableLayout(initial, {
      wide: options.output.kind === 'table' && options.output.wide,
      namespaceColumn: session.allNamespaces && resource.namespaced,
      eventColumn: options.outputWatchEvents === true,
    });
    const lines = (initial.rows ?? []).map((row) => rowCells(layout!, row, 'ADDED'));
    if (!options.noHeaders) lines.unshift(layout.headers);
    widths = columnWidths(lines);
    session.io.out(lines.map((l) => formatRow(l, widths) + '\n').join(''));
    resourceVersion = initial.metadata?.resourceVersion;
  } else {
    const list = await session.http.json<KubeList>({ method: 'GET', path, query });
    for (const object of list.items) printWatched(session, resource, options, 'ADDED', withIdentity(resource, object));
    resourceVersion = list.metadata.resourceVersion;
  }
  const signal = options.signal;
  while (!signal?.aborted) {
    try {
      const events = watchEvents(session.http, { path, ...query, ...(resourceVersion ? { resourceVersion } : {}), ...(table ? { accept: tableAccept } : {}), ...(signal ? { signal } : {}) });
      for await (const event of events) {
        if (event.type === 'BOOKMARK') {
          resourceVersion = (event.object as KubeObject).metadata.resourceVersion ?? resourceVersion;
          continue;
        }
        if (layout) {
          for (const row of (event.object as ServerTable).rows ?? []) {
            session.io.out(formatRow(rowCells(layout, row, event.type), widths) + '\n');
            resourceVersion = row.object?.metadata?.resourceVersion ?? resourceVersion;
          }
        } else {
          const object = withIdentity(resource, event.object as KubeObject);
          printWatched(session, resource, options, event.type, object);
          resourceVersion = object.metadata.resourceVersion ?? resourceVersion;
        }
      }
    } catch (err) {
      if (isAbort(err, signal)) break;
      throw err;
    }
  }
  return ExitCode.Ok;
}

function printWatched(session: Session, resource: ApiResource, options: GetOptions, type: string, object: KubeObject): void {
  const value = options.outputWatchEvents ? { type, object } : object;
  const output = options.output;
  switch (output.kind) {
    case 'json':
      session.io.out(toJson(value));
      break;
    case 'yaml':
      session.io.out(`---\n${toYaml(value)}`);
      break;
    case 'name':
      session.io.out(`${options.outputWatchEvents ? `${type} ` : ''}${qualifiedKind(resource)}/${object.metadata.name ?? ''}\n`);
      break;
    case 'jsonpath':
      session.io.out(`${renderJsonPath(output.template, object)}\n`);
      break;
    case 'table':
      break;
  }
}
