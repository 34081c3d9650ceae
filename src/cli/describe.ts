// `floe describe`: one object for people: identity, labels, annotations, spec/status as YAML, conditions and events.
import type { KubeList, KubeObject } from '../api/meta.js';
import { escapeFieldValue } from '../api/selectors/index.js';
import { humanAge } from '../server/table.js';
import { describeFailure, ExitCode, UsageError } from './cli-error.js';
import { formatTable, toYaml } from './printers.js';
import { apiVersionOfResource, collectionPath, objectPath, type ApiResource } from './resources.js';
import type { Session } from './session.js';

interface Condition {
  type?: string;
  status?: string;
  reason?: string;
  message?: string;
  lastTransitionTime?: string;
}

interface EventObject extends KubeObject {
  type?: string;
  reason?: string;
  message?: string;
  count?: number;
  firstTimestamp?: string;
  lastTimestamp?: string;
  eventTime?: string;
  source?: { component?: string; host?: string };
  reportingComponent?: string;
}

/** `describe pod web-0`, `describe pod/web-0`, or `describe pods` (every one in the namespace). */
export async function describe(session: Session, args: string[], options: { labelSelector?: string; now?: Date }): Promise<ExitCode> {
  const [first, ...rest] = args;
  if (first === undefined) throw new UsageError('name a resource type and an object, such as `floe describe pod web-0`');
  let resource: ApiResource;
  let names: string[];
  if (first.includes('/')) {
    const slash = first.indexOf('/');
    resource = await session.catalog.resolveOne(first.slice(0, slash));
    names = [first.slice(slash + 1), ...rest];
  } else {
    resource = await session.catalog.resolveOne(first);
    names = rest;
  }
  if (names.length > 0 && session.allNamespaces) throw new UsageError('a resource cannot be described by name across all namespaces: drop -A or the name');
  const namespace = resource.namespaced && !session.allNamespaces ? session.namespace : undefined;
  const objects: KubeObject[] = [];
  let exitCode: ExitCode = ExitCode.Ok;
  if (names.length === 0) {
    const list = await session.http.json<KubeList>({ method: 'GET', path: collectionPath(resource, namespace), query: { labelSelector: options.labelSelector || undefined } });
    objects.push(...list.items);
    if (objects.length === 0) session.io.err(resource.namespaced && namespace ? `No resources found in ${namespace} namespace.\n` : 'No resources found\n');
  }
  for (const name of names) {
    try {
      objects.push(await session.http.json<KubeObject>({ method: 'GET', path: objectPath(resource, namespace, name) }));
    } catch (err) {
      session.io.err(`${describeFailure(err).text}\n`);
      exitCode = ExitCode.Failed;
    }
  }
  const now = options.now ?? new Date();
  const texts: string[] = [];
  for (const object of objects) texts.push(render(resource, object, await eventsFor(session, resource, object), now));
  session.io.out(texts.join('\n\n'));
  return exitCode;
}

/** Events whose involvedObject is this object; a failure to list them is shown, not fatal. */
async function eventsFor(session: Session, resource: ApiResource, object: KubeObject): Promise<EventObject[] | string> {
  const meta = object.metadata;
  const fields = [`involvedObject.name=${escapeFieldValue(meta.name ?? '')}`, `involvedObject.kind=${escapeFieldValue(resource.kind)}`];
  if (meta.namespace) fields.push(`involvedObject.namespace=${escapeFieldValue(meta.namespace)}`);
  if (meta.uid) fields.push(`involvedObject.uid=${escapeFieldValue(meta.uid)}`);
  // Events about cluster-scoped objects may live in any namespace.
  const path = meta.namespace ? `/api/v1/namespaces/${encodeURIComponent(meta.namespace)}/events` : '/api/v1/events';
  try {
    const list = await session.http.json<KubeList<EventObject>>({ method: 'GET', path, query: { fieldSelector: fields.join(',') } });
    return list.items.sort((a, b) => Date.parse(lastSeen(a) ?? '') - Date.parse(lastSeen(b) ?? ''));
  } catch (err) {
    return describeFailure(err).text;
  }
}

function lastSeen(e: EventObject): string | undefined {
  return e.lastTimestamp || e.eventTime || e.firstTimestamp || e.metadata.creationTimestamp;
}

/** The whole description of one object. */
export function render(resource: ApiResource, object: KubeObject, events: EventObject[] | string, now: Date): string {
  const meta = object.metadata;
  const header: [string, string[]][] = [['Name', [meta.name ?? '']]];
  if (resource.namespaced) header.push(['Namespace', [meta.namespace ?? '']]);
  header.push(['Labels', pairs(meta.labels)]);
  header.push(['Annotations', pairs(meta.annotations)]);
  header.push(['API Version', [object.apiVersion || apiVersionOfResource(resource)]]);
  header.push(['Kind', [object.kind || resource.kind]]);
  if (meta.uid) header.push(['UID', [meta.uid]]);
  if (meta.creationTimestamp) header.push(['Created', [`${meta.creationTimestamp} (${humanAge(meta.creationTimestamp, now)} ago)`]]);
  if (meta.deletionTimestamp) header.push(['Deleting', [`since ${meta.deletionTimestamp}`]]);
  if (meta.generation !== undefined) header.push(['Generation', [String(meta.generation)]]);
  if (meta.finalizers?.length) header.push(['Finalizers', [meta.finalizers.join(', ')]]);
  if (meta.ownerReferences?.length) header.push(['Owned By', meta.ownerReferences.map((o) => `${o.kind}/${o.name}${o.controller ? ' (controller)' : ''}`)]);
  const width = Math.max(...header.map(([k]) => k.length)) + 3;
  const lines: string[] = [];
  for (const [key, values] of header) {
    values.forEach((v, i) => lines.push(`${i === 0 ? `${key}:`.padEnd(width) : ' '.repeat(width)}${v}`.trimEnd()));
  }
  const status = object.status as { conditions?: Condition[] } | undefined;
  const conditions = Array.isArray(status?.conditions) ? status.conditions : [];
  for (const [key, value] of Object.entries(object)) {
    if (key === 'apiVersion' || key === 'kind' || key === 'metadata' || value === undefined) continue;
    let shown: unknown = value;
    if (key === 'status' && conditions.length > 0) {
      const { conditions: _shownBelow, ...others } = value as Record<string, unknown>;
      shown = others;
    }
    if (key === 'data' && resource.group === '' && resource.kind === 'Secret') shown = secretSizes(value);
    lines.push(...section(title(key), shown));
  }
  if (conditions.length > 0) {
    lines.push('Conditions:');
    const rows = [['Type', 'Status', 'Reason', 'Age', 'Message'], ['----', '------', '------', '---', '-------']];
    for (const c of conditions) rows.push([c.type ?? '', c.status ?? '', c.reason ?? '', c.lastTransitionTime ? humanAge(c.lastTransitionTime, now) : '', c.message ?? '']);
    lines.push(...indent(formatTable(rows)));
  }
  if (typeof events === 'string') {
    lines.push(`Events:  <unable to list events: ${events}>`);
  } else if (events.length === 0) {
    lines.push('Events:  <none>');
  } else {
    lines.push('Events:');
    const rows = [['Type', 'Reason', 'Age', 'From', 'Message'], ['----', '------', '----', '----', '-------']];
    for (const e of events) rows.push([e.type ?? '', e.reason ?? '', eventAge(e, now), e.source?.component || e.reportingComponent || '', e.message ?? '']);
    lines.push(...indent(formatTable(rows)));
  }
  return lines.join('\n') + '\n';
}

function pairs(map: Record<string, string> | undefined): string[] {
  const entries = Object.entries(map ?? {});
  return entries.length === 0 ? ['<none>'] : entries.map(([k, v]) => `${k}=${v}`);
}

/** A top-level field as `Title:` followed by its YAML, indented; scalars stay on the title's line. */
function section(name: string, value: unknown): string[] {
  if (value === null || typeof value !== 'object') return [`${name}:  ${String(value)}`];
  if (Object.keys(value).length === 0) return [`${name}:  <none>`];
  return [`${name}:`, ...indent(toYaml(value))];
}

function indent(text: string): string[] {
  return text.replace(/\n$/, '').split('\n').map((l) => `  ${l}`.trimEnd());
}

/** `stringData` → `String Data`. */
function title(key: string): string {
  const words = key.replace(/([a-z0-9])([A-Z])/g, '$1 $2');
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/** Secret values are not printed, only their sizes (as kubectl does). */
function secretSizes(data: unknown): unknown {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries((data ?? {}) as Record<string, string>)) out[k] = `${Buffer.from(v, 'base64').length} bytes`;
  return out;
}

/** `12s`, or `3m (x4 over 10m)` when the event repeated. */
function eventAge(e: EventObject, now: Date): string {
  const last = lastSeen(e);
  const age = last ? humanAge(last, now) : '<unknown>';
  const first = e.firstTimestamp || e.eventTime;
  if ((e.count ?? 1) > 1 && first) return `${age} (x${e.count} over ${humanAge(first, now)})`;
  return age;
}
