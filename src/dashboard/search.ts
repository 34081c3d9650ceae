// Logs and events search: one namespace's Pods' logs and Events searched for a text, on the server (the browser gets
// only the matching lines), bounded: at most MaxPods Pods, the last MaxLogBytes of each container's log (streamed, so a
// long log never sits in memory whole), MaxMatches lines in all. Authorized as the caller: logs need `get pods/log` and
// `list pods` there, events `list events`.
import type { ServerResponse } from 'node:http';
import type { KubeObject } from '../api/meta.js';
import type { Client } from '../client/client.js';
import type { NodeRuntime, Route } from '../controller/index.js';
import type { AccessReviewer } from '../controllers/profiles/access.js';

export const SearchPrefix = '/api/dashboard/search';
export const MaxPods = 100;
export const MaxLogBytes = 256 * 1024;
export const MaxMatches = 500;
const MaxLineChars = 2000;

export interface LogMatch {
  pod: string;
  container: string;
  line: number;
  text: string;
}
export interface EventMatch {
  type?: string | undefined;
  reason?: string | undefined;
  object: string;
  message: string;
  count?: number | undefined;
  last?: string | undefined;
}
export interface SearchResult {
  namespace: string;
  query: string;
  logs: LogMatch[];
  events: EventMatch[];
  /** Pods searched, and whether a bound cut the search short (more pods, longer logs or more matches than shown). */
  podsSearched: number;
  truncated: boolean;
  /** What this caller may not search in the namespace (logs or events), if anything. */
  denied: string[];
}

type Pod = KubeObject & { spec?: { containers?: { name: string }[]; initContainers?: { name: string }[] }; status?: { startTime?: string } };
type Event = KubeObject & { type?: string; reason?: string; message?: string; count?: number; lastTimestamp?: string; eventTime?: string; involvedObject?: { kind?: string; name?: string } };

function reply(res: ServerResponse, code: number, body: unknown): true {
  res.writeHead(code, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' });
  res.end(JSON.stringify(body));
  return true;
}

export interface LogTail {
  /** The last `maxBytes` of the log, from the first whole line within them. */
  text: string;
  /** What came before it: bytes and (whole) lines, so matches keep their line numbers. */
  skippedBytes: number;
  skippedLines: number;
}

function countLines(b: Buffer): number {
  let n = 0;
  for (let i = b.indexOf(0x0a); i !== -1; i = b.indexOf(0x0a, i + 1)) n++;
  return n;
}

/**
 * The tail of a container's log, read as a stream: chunks older than the last `maxBytes` are counted and dropped as
 * they arrive, so memory stays at `maxBytes` plus one chunk however long the log is. Falls back to the whole log where
 * the node has no stream (the cluster's API).
 */
export async function logTail(node: NodeRuntime, namespace: string, pod: string, container: string, maxBytes: number): Promise<LogTail> {
  const source: AsyncIterable<Buffer> = node.podLogStream
    ? node.podLogStream(namespace, pod, container)
    : (async function* () {
        yield Buffer.from(await node.podLog(namespace, pod, container), 'utf8');
      })();
  const kept: Buffer[] = [];
  let keptBytes = 0;
  let skippedBytes = 0;
  let skippedLines = 0;
  for await (const chunk of source) {
    if (chunk.length === 0) continue;
    kept.push(chunk);
    keptBytes += chunk.length;
    while (kept.length > 1 && keptBytes - kept[0]!.length >= maxBytes) {
      const old = kept.shift()!;
      keptBytes -= old.length;
      skippedBytes += old.length;
      skippedLines += countLines(old);
    }
  }
  let all = Buffer.concat(kept);
  kept.length = 0;
  if (all.length > maxBytes) {
    // Cut at the first line start within the last maxBytes (no half line), unless one line is longer than that.
    let cut = all.length - maxBytes;
    const nl = all.indexOf(0x0a, cut - 1);
    if (nl !== -1) cut = nl + 1;
    skippedBytes += cut;
    skippedLines += countLines(all.subarray(0, cut));
    all = all.subarray(cut);
  }
  return { text: all.toString('utf8'), skippedBytes, skippedLines };
}

export function searchRoute(client: Client, review: AccessReviewer, node: NodeRuntime | undefined): Route {
  return {
    prefix: SearchPrefix,
    access: { kind: 'in-handler', why: 'searches only what the caller may read in the namespace: pods/log for logs, events for events' },
    bodyTypes: [],
    async handle(req, res, url, caller) {
      if (url.pathname.replace(/\/+$/, '') !== SearchPrefix) return false;
      if (req.method !== 'GET') return reply(res, 405, { error: 'only GET' });
      const namespace = url.searchParams.get('namespace') ?? '';
      const query = (url.searchParams.get('q') ?? '').trim();
      if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(namespace)) return reply(res, 400, { error: 'namespace: a namespace name is required' });
      if (query.length < 2 || query.length > 200) return reply(res, 400, { error: 'q: search for 2 to 200 characters' });
      const needle = query.toLowerCase();
      const [listPods, readLogs, listEvents] = await Promise.all([
        review(caller, { verb: 'list', group: '', resource: 'pods', namespace }),
        review(caller, { verb: 'get', group: '', resource: 'pods', subresource: 'log', namespace }),
        review(caller, { verb: 'list', group: '', resource: 'events', namespace }),
      ]);
      const denied: string[] = [];
      if (!listPods.allowed || !readLogs.allowed) denied.push('logs');
      if (!listEvents.allowed) denied.push('events');
      if (denied.length === 2) return reply(res, 403, { error: `${caller.name} may not read logs or events in ${namespace}` });
      const result: SearchResult = { namespace, query, logs: [], events: [], podsSearched: 0, truncated: false, denied };

      if (!denied.includes('events')) {
        const events = (await client.list<Event>({ apiVersion: 'v1', kind: 'Event' }, { namespace })).items;
        const when = (e: Event) => e.lastTimestamp ?? e.eventTime ?? e.metadata.creationTimestamp ?? '';
        for (const e of events.sort((a, b) => when(b).localeCompare(when(a)))) {
          const object = `${e.involvedObject?.kind ?? ''}/${e.involvedObject?.name ?? ''}`;
          if (![e.message, e.reason, object].some((s) => s?.toLowerCase().includes(needle))) continue;
          if (result.events.length >= MaxMatches) {
            result.truncated = true;
            break;
          }
          result.events.push({ type: e.type, reason: e.reason, object, message: e.message ?? '', count: e.count, last: when(e) });
        }
      }

      if (!denied.includes('logs') && node) {
        const pods = (await client.list<Pod>({ apiVersion: 'v1', kind: 'Pod' }, { namespace })).items;
        // Newest first: what a user searching for a failure most likely means.
        pods.sort((a, b) => (b.status?.startTime ?? b.metadata.creationTimestamp ?? '').localeCompare(a.status?.startTime ?? a.metadata.creationTimestamp ?? ''));
        if (pods.length > MaxPods) result.truncated = true;
        search: for (const pod of pods.slice(0, MaxPods)) {
          result.podsSearched++;
          const name = pod.metadata.name ?? '';
          for (const c of [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])]) {
            let tail: LogTail;
            try {
              tail = await logTail(node, namespace, name, c.name, MaxLogBytes);
            } catch {
              continue; // not started, or already gone
            }
            if (tail.skippedBytes > 0) result.truncated = true;
            const lines = tail.text.split('\n');
            const first = tail.skippedLines + 1;
            for (let i = 0; i < lines.length; i++) {
              const text = lines[i]!;
              if (!text.toLowerCase().includes(needle)) continue;
              if (result.logs.length >= MaxMatches) {
                result.truncated = true;
                break search;
              }
              result.logs.push({ pod: name, container: c.name, line: first + i, text: text.length > MaxLineChars ? `${text.slice(0, MaxLineChars)}…` : text });
            }
          }
        }
      }
      return reply(res, 200, result);
    },
  };
}
