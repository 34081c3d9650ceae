// Watch over HTTP as clients see it: bookmarks, resuming from a bookmark, 410 Gone after compaction, Table events.
import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { defaultConfig } from '../src/server/config.js';
import { startFloe, type Floe } from '../src/server/floe.js';
import { waitFor } from './helpers/wait.js';

interface Event {
  type: string;
  object: { kind?: string; metadata?: { name?: string; resourceVersion?: string }; rows?: { cells: unknown[] }[]; columnDefinitions?: unknown[]; code?: number; reason?: string };
}

let floe: Floe;
let dir: string;
before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'floe-watch-'));
  floe = await startFloe({ ...defaultConfig(), dataDir: dir, port: 0, logLevel: 'silent', bookmarkIntervalMs: 100 });
  await post('/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'w' } });
});
after(async () => {
  await floe.stop();
  rmSync(dir, { recursive: true, force: true });
});

function post(path: string, body: unknown): Promise<number> {
  return fetch(`${floe.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }).then((r) => r.status);
}

const configMap = (name: string) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: 'w' } });

/** Opens a watch stream and collects its events until closed. */
function watch(path: string, headers: Record<string, string> = {}): { events: Event[]; status: () => number; close: () => void } {
  const events: Event[] = [];
  let status = 0;
  const req = request(`${floe.url}${path}`, { headers }, (res) => {
    status = res.statusCode ?? 0;
    let buf = '';
    res.setEncoding('utf8');
    res.on('data', (d: string) => {
      buf += d;
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        events.push(JSON.parse(buf.slice(0, nl)) as Event);
        buf = buf.slice(nl + 1);
      }
    });
    res.on('end', () => {
      if (buf.trim()) events.push(JSON.parse(buf) as Event);
    });
  });
  req.on('error', () => undefined);
  req.end();
  return { events, status: () => status, close: () => req.destroy() };
}

describe('watch over HTTP', () => {
  test('bookmarks carry a resourceVersion to resume from, with no gap and no duplicate', async () => {
    await post('/api/v1/namespaces/w/configmaps', configMap('before'));
    const w = watch('/api/v1/namespaces/w/configmaps?watch=true&allowWatchBookmarks=true');
    await waitFor(() => w.events.some((e) => e.type === 'BOOKMARK'), { what: 'a bookmark' });
    w.close();
    const bookmark = w.events.find((e) => e.type === 'BOOKMARK')!;
    assert.equal(bookmark.object.kind, 'ConfigMap');
    // kube-root-ca.crt is published in every namespace (as kube-controller-manager does).
    assert.deepEqual(w.events.filter((e) => e.type === 'ADDED' && e.object.metadata?.name !== 'kube-root-ca.crt').map((e) => e.object.metadata?.name), ['before']);
    await post('/api/v1/namespaces/w/configmaps', configMap('after-1'));
    await post('/api/v1/namespaces/w/configmaps', configMap('after-2'));
    const resumed = watch(`/api/v1/namespaces/w/configmaps?watch=true&resourceVersion=${bookmark.object.metadata?.resourceVersion}`);
    await waitFor(() => resumed.events.length >= 2, { what: 'the resumed events' });
    resumed.close();
    assert.deepEqual(resumed.events.map((e) => `${e.type} ${e.object.metadata?.name}`), ['ADDED after-1', 'ADDED after-2']);
  });

  test('a watch from a compacted resourceVersion is 410 Gone with reason Expired', async () => {
    await post('/api/v1/namespaces/w/configmaps', configMap('old'));
    floe.store.compact(0);
    const res = await fetch(`${floe.url}/api/v1/namespaces/w/configmaps?watch=true&resourceVersion=1`);
    assert.equal(res.status, 410);
    const body = (await res.json()) as { kind: string; reason: string; code: number };
    assert.deepEqual([body.kind, body.reason, body.code], ['Status', 'Expired', 410]);
  });

  test('a Table watch sends rows, with column definitions only in the first event', async () => {
    const w = watch('/api/v1/namespaces/w/configmaps?watch=true', { accept: 'application/json;as=Table;v=v1;g=meta.k8s.io' });
    await waitFor(() => w.events.length >= 1, { what: 'the initial rows' });
    await post('/api/v1/namespaces/w/configmaps', configMap('tabled'));
    await waitFor(() => w.events.some((e) => e.object.rows?.[0]?.cells[0] === 'tabled'), { what: 'a row for the new object' });
    w.close();
    assert.ok((w.events[0]?.object.columnDefinitions ?? []).length > 0);
    assert.deepEqual(w.events.slice(1).map((e) => (e.object.columnDefinitions ?? []).length), w.events.slice(1).map(() => 0));
    assert.equal(w.events.at(-1)?.object.kind, 'Table');
  });
});
