// Logs and events search: one namespace's Pods' logs and Events searched for a text, on the server (the browser gets
// only the matching lines), bounded: at most MaxPods Pods, the last MaxLogBytes of each container's log, MaxMatches
// lines in all. Authorized as the caller: logs need `get pods/log` and `list pods` there, events `list events`.
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
            let log: string;
            try {
              log = await node.podLog(namespace, name, c.name);
            } catch {
              continue; // not started, or already gone
            }
            let offset = 0;
            if (log.length > MaxLogBytes) {
              offset = log.length - MaxLogBytes;
              result.truncated = true;
            }
            const lines = log.slice(offset).split('\n');
            const first = offset === 0 ? 1 : log.slice(0, offset).split('\n').length;
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
