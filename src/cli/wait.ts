// `floe wait`: block until objects meet a condition or are gone, following a watch, within a timeout.
import type { KubeObject } from '../api/meta.js';
import { CliError, ExitCode, isNotFound, UsageError } from './cli-error.js';
import { collectionPath, objectPath, qualifiedKind, qualifiedPlural, type ApiResource } from './resources.js';
import type { Session } from './session.js';
import { isAbort, watchEvents } from './watch.js';

export type WaitFor = { kind: 'condition'; type: string; status: string } | { kind: 'delete' };

/** `condition=Ready`, `condition=Ready=False`, `delete`. */
export function parseWaitFor(value: string | undefined): WaitFor {
  if (value === 'delete') return { kind: 'delete' };
  const m = /^condition=([^=]+)(?:=(.+))?$/.exec(value ?? '');
  if (!m) throw new UsageError(`--for must be condition=<type>[=<status>] or delete, not "${value ?? ''}"`);
  return { kind: 'condition', type: m[1]!, status: m[2] ?? 'True' };
}

/** `90s`, `1m30s`, `500ms`, `2h`; a bare number is seconds. */
export function parseDuration(text: string): number {
  const trimmed = text.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Number(trimmed) * 1000;
  const units: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
  let total = 0;
  let rest = trimmed;
  while (rest !== '') {
    const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)/.exec(rest);
    if (!m) throw new UsageError(`"${text}" is not a duration: use forms such as 30s, 2m or 1m30s`);
    total += Number(m[1]) * units[m[2]!]!;
    rest = rest.slice(m[0].length);
  }
  if (trimmed === '') throw new UsageError('an empty duration: use forms such as 30s, 2m or 1m30s');
  return total;
}

export function conditionMet(object: KubeObject, want: { type: string; status: string }): boolean {
  const conditions = (object.status as { conditions?: { type?: string; status?: string }[] } | undefined)?.conditions;
  if (!Array.isArray(conditions)) return false;
  return conditions.some((c) => c.type?.toLowerCase() === want.type.toLowerCase() && c.status?.toLowerCase() === want.status.toLowerCase());
}

/** `widget/w1 pod/p`, or `widget w1 w2`. */
async function objectsOf(session: Session, args: string[]): Promise<{ resource: ApiResource; name: string }[]> {
  const [first, ...rest] = args;
  if (first === undefined) throw new UsageError('name what to wait for, such as `floe wait pod/web-0 --for=condition=Ready`');
  const out: { resource: ApiResource; name: string }[] = [];
  if (first.includes('/')) {
    for (const arg of args) {
      const slash = arg.indexOf('/');
      if (slash < 0) throw new UsageError(`"${arg}": use TYPE/NAME for every object, or TYPE NAME...`);
      out.push({ resource: await session.catalog.resolveOne(arg.slice(0, slash)), name: arg.slice(slash + 1) });
    }
    return out;
  }
  if (rest.length === 0) throw new UsageError(`name the ${first} to wait for: TYPE/NAME or TYPE NAME`);
  const resource = await session.catalog.resolveOne(first);
  return rest.map((name) => ({ resource, name }));
}

export async function wait(session: Session, args: string[], options: { for: WaitFor; timeoutMs: number }): Promise<ExitCode> {
  const objects = await objectsOf(session, args);
  const deadline = Date.now() + options.timeoutMs;
  for (const { resource, name } of objects) {
    const namespace = resource.namespaced ? session.namespace : undefined;
    const met = await waitUntil(session, resource, namespace, name, options.for, deadline);
    if (!met) {
      const what = options.for.kind === 'delete' ? 'the deletion' : `condition ${options.for.type}=${options.for.status}`;
      throw new CliError(`timed out waiting for ${what} on ${qualifiedPlural(resource)}/${name}: raise --timeout, or see \`floe describe ${resource.plural} ${name}\``);
    }
    session.io.out(`${qualifiedKind(resource)}/${name} condition met\n`);
  }
  return ExitCode.Ok;
}

/**
 * Reads the object, then follows a watch on it from that resourceVersion until `want` holds; re-reads when
 * the server ends the watch. Resolves false at the deadline. Waiting on a condition of an object that does
 * not exist, or is deleted meanwhile, fails.
 */
export async function waitUntil(session: Session, resource: ApiResource, namespace: string | undefined, name: string, want: WaitFor, deadline: number): Promise<boolean> {
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), Math.max(0, deadline - Date.now()));
  try {
    for (;;) {
      let current: KubeObject | undefined;
      try {
        current = await session.http.json<KubeObject>({ method: 'GET', path: objectPath(resource, namespace, name), signal: abort.signal });
      } catch (err) {
        if (isAbort(err, abort.signal)) return false;
        if (!isNotFound(err) || want.kind !== 'delete') throw err;
      }
      if (current === undefined) return true;
      if (want.kind === 'condition' && conditionMet(current, want)) return true;
      if (Date.now() >= deadline) return false;
      const events = watchEvents(session.http, {
        path: collectionPath(resource, namespace),
        fieldSelector: `metadata.name=${name}`,
        ...(current.metadata.resourceVersion ? { resourceVersion: current.metadata.resourceVersion } : {}),
        timeoutSeconds: (deadline - Date.now()) / 1000,
        signal: abort.signal,
      });
      try {
        for await (const event of events) {
          if (event.type === 'BOOKMARK') continue;
          const object = event.object as KubeObject;
          if (event.type === 'DELETED') {
            if (want.kind === 'delete') return true;
            throw new CliError(`${qualifiedPlural(resource)}/${name} was deleted while waiting for condition ${want.type}`);
          }
          if (want.kind === 'condition' && conditionMet(object, want)) return true;
        }
      } catch (err) {
        if (isAbort(err, abort.signal)) return false;
        throw err;
      }
    }
  } finally {
    clearTimeout(timer);
  }
}
