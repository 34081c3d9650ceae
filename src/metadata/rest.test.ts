// The MLMD REST API on a real HTTP server on port 0: reads, paging, lineage, writes and `{code, message}` errors.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { metadataRoute } from './rest.js';
import { MetadataStore } from './store.js';
import { writeKfpRuns, type KfpRuns } from './test-fixtures.js';

describe('MLMD REST API', () => {
  const store = new MetadataStore({ path: ':memory:' });
  const k: KfpRuns = writeKfpRuns(store);
  const route = metadataRoute(store);
  let server: Server;
  let base: string;

  before(async () => {
    server = createServer((req, res) => {
      route(req, res, new URL(req.url ?? '/', 'http://localhost')).then(
        (handled) => {
          if (!handled) res.writeHead(418).end('not mine');
        },
        () => res.writeHead(500).end(),
      );
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/mlmd/v1`;
  });

  after(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    store.close();
  });

  async function get(path: string): Promise<{ status: number; body: Record<string, unknown> }> {
    const res = await fetch(`${base}/${path}`);
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  }

  async function post(path: string, body: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
    const res = await fetch(`${base}/${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: typeof body === 'string' ? body : JSON.stringify(body) });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  }

  const idsOf = (list: unknown): number[] => (list as { id: number }[]).map((x) => x.id);

  test('types, one artifact, a context with its parent and children', async () => {
    const types = await get('artifact_types');
    assert.equal(types.status, 200);
    assert.deepEqual((types.body.artifact_types as { name: string }[]).map((t) => t.name), ['system.Dataset', 'system.Model', 'system.Metrics']);
    assert.deepEqual(((await get('execution_types')).body.execution_types as { name: string }[]).map((t) => t.name), ['system.DAGExecution', 'system.ImporterExecution', 'system.ContainerExecution']);
    assert.deepEqual(((await get('context_types')).body.context_types as { name: string }[]).map((t) => t.name), ['system.Pipeline', 'system.PipelineRun']);

    const model = await get(`artifacts/${k.artifacts.model}`);
    assert.equal(model.status, 200);
    assert.equal(model.body.type, 'system.Model');
    assert.equal(model.body.uri, 'gs://bucket/run-1/model');
    assert.equal(model.body.state, 'LIVE');
    assert.equal(typeof model.body.create_time_since_epoch, 'number');
    assert.equal((await get(`executions/${k.executions.trainer}`)).body.last_known_state, 'COMPLETE');
    assert.equal((await get(`contexts/${k.contexts.run1}`)).body.name, 'run-1');
    assert.deepEqual(idsOf((await get(`contexts/${k.contexts.run1}/parents`)).body.contexts), [k.contexts.pipeline]);
    assert.deepEqual(idsOf((await get(`contexts/${k.contexts.pipeline}/children`)).body.contexts), [k.contexts.run1, k.contexts.run2]);
    assert.deepEqual(idsOf((await get(`artifacts/${k.artifacts.train2}/contexts`)).body.contexts), [k.contexts.pipeline, k.contexts.run2]);
    assert.deepEqual(idsOf((await get(`executions/${k.executions.dag}/contexts`)).body.contexts), [k.contexts.pipeline, k.contexts.run1]);
  });

  test('lists filter and page; next_page_token is absent on the last page', async () => {
    const datasets = Object.values(k.artifacts).filter((id) => store.getArtifactsByID([id])[0]?.type === 'system.Dataset');
    const seen: number[] = [];
    let token = '';
    for (let i = 0; i < 10; i++) {
      const page = await get(`artifacts?type=system.Dataset&page_size=2&order_by=create_time&is_asc=false${token ? `&page_token=${token}` : ''}`);
      assert.equal(page.status, 200);
      seen.push(...idsOf(page.body.artifacts));
      if (page.body.next_page_token === undefined) break;
      token = page.body.next_page_token as string;
    }
    assert.deepEqual(seen, datasets.sort((a, b) => b - a));
    assert.deepEqual(idsOf((await get(`artifacts?uri=${encodeURIComponent('gs://bucket/raw.csv')}`)).body.artifacts), [k.artifacts.raw]);
    assert.deepEqual(idsOf((await get(`artifacts?context_id=${k.contexts.run2}`)).body.artifacts), [k.artifacts.raw, k.artifacts.train2]);
    assert.deepEqual(idsOf((await get(`executions?context_id=${k.contexts.run2}&type=system.ContainerExecution`)).body.executions), [k.executions.preprocess2]);
    assert.deepEqual(idsOf((await get('contexts?type=system.PipelineRun&name=run-2')).body.contexts), [k.contexts.run2]);
    const members = await get(`contexts/${k.contexts.run1}/executions?page_size=100&order_by=last_update_time`);
    assert.equal((members.body.executions as unknown[]).length, 5);
    assert.equal(members.body.next_page_token, undefined);
    assert.equal(((await get(`contexts/${k.contexts.pipeline}/artifacts?page_size=3`)).body.artifacts as unknown[]).length, 3);
  });

  test('events by artifact or execution ids', async () => {
    const events = (await get(`events?artifact_ids=${k.artifacts.raw},${k.artifacts.train2}`)).body.events as { artifact_id: number; execution_id: number; type: string; path: unknown }[];
    assert.deepEqual(events.map((e) => [e.artifact_id, e.execution_id, e.type]), [
      [k.artifacts.raw, k.executions.importer, 'OUTPUT'],
      [k.artifacts.raw, k.executions.preprocess, 'INPUT'],
      [k.artifacts.raw, k.executions.preprocess2, 'INPUT'],
      [k.artifacts.train2, k.executions.preprocess2, 'OUTPUT'],
    ]);
    assert.deepEqual(events[0]?.path, { steps: [{ key: 'artifact' }] });
    assert.equal(((await get(`events?execution_ids=${k.executions.evaluator}`)).body.events as unknown[]).length, 3);
  });

  test('lineage: direction, hop limit, pages', async () => {
    const up = await get(`lineage?artifact_id=${k.artifacts.evalMetrics}&direction=UPSTREAM&max_hops=2`);
    assert.equal(up.status, 200);
    assert.deepEqual(idsOf(up.body.artifacts).sort((a, b) => a - b), [k.artifacts.test, k.artifacts.model, k.artifacts.evalMetrics].sort((a, b) => a - b));
    assert.deepEqual(idsOf(up.body.executions), [k.executions.evaluator]);
    assert.equal((up.body.events as unknown[]).length, 3);
    const down = await get(`lineage?execution_id=${k.executions.importer}&direction=downstream`);
    assert.equal(idsOf(down.body.executions).length, 5, 'the importer, both preprocess runs, the trainer, the evaluator');

    const nodes: number[] = [];
    let events = 0;
    let token = '';
    for (let pages = 1; ; pages++) {
      const page = await get(`lineage?artifact_id=${k.artifacts.model}&page_size=5${token ? `&page_token=${token}` : ''}`);
      nodes.push(...idsOf(page.body.artifacts), ...idsOf(page.body.executions).map((id) => -id));
      events += (page.body.events as unknown[]).length;
      if (page.body.next_page_token === undefined) {
        assert.equal(pages, 3);
        break;
      }
      token = page.body.next_page_token as string;
    }
    assert.equal(new Set(nodes).size, 12);
    assert.equal(events, 12);
    const withContexts = await get(`lineage?artifact_id=${k.artifacts.train2}&max_hops=0&include_contexts=true`);
    assert.deepEqual(idsOf(withContexts.body.contexts), [k.contexts.pipeline, k.contexts.run2]);
  });

  test('errors are {code, message} naming the parameter; other paths are not ours', async () => {
    const cases: [string, number, number, RegExp][] = [
      ['artifacts?page_size=5000', 400, 3, /^page_size: must be an integer from 1 to 1000/],
      ['artifacts?order_by=name', 400, 3, /^order_by: must be create_time, last_update_time or id/],
      ['artifacts?is_asc=yes', 400, 3, /^is_asc: must be true or false/],
      ['artifacts?page_token=nonsense', 400, 3, /^page_token: is not a token/],
      ['contexts?uri=x', 400, 3, /^uri: only artifacts have a uri/],
      ['artifacts/abc', 400, 3, /^artifact id: must be a positive integer/],
      ['artifacts/99999', 404, 5, /^artifact_id: no artifact with id 99999/],
      ['contexts/99999/artifacts', 404, 5, /^context_id: no context with id 99999/],
      ['events', 400, 3, /^artifact_ids: give artifact_ids or execution_ids/],
      ['events?artifact_ids=1,x', 400, 3, /^artifact_ids: must be comma-separated positive integer ids/],
      ['lineage', 400, 3, /^artifact_id: give artifact_id or execution_id/],
      ['lineage?artifact_id=99999', 404, 5, /^artifact_ids\[0\]: no artifact with id 99999/],
      [`lineage?artifact_id=${k.artifacts.raw}&direction=SIDEWAYS`, 400, 3, /^direction: must be UPSTREAM, DOWNSTREAM or BIDIRECTIONAL/],
      [`lineage?artifact_id=${k.artifacts.raw}&max_hops=-1`, 400, 3, /^max_hops: must be an integer >= 0/],
      ['nope', 404, 5, /^no MLMD endpoint at \/mlmd\/v1\/nope/],
    ];
    for (const [path, status, code, message] of cases) {
      const r = await get(path);
      assert.equal(r.status, status, path);
      assert.equal(r.body.code, code, path);
      assert.match(r.body.message as string, message, path);
    }
    const del = await fetch(`${base}/artifacts`, { method: 'DELETE' });
    assert.equal(del.status, 405);
    assert.equal(del.headers.get('allow'), 'GET, POST');
    assert.equal(((await del.json()) as { code: number }).code, 12);
    const other = await fetch(base.replace('/mlmd/v1', '/apis/v2beta1/runs'));
    assert.equal(other.status, 418, 'a path outside /mlmd/v1 is left to the next route');
    assert.equal((await other.text()), 'not mine');
  });

  test('writes: a user records their own execution with PutExecution, and a refused write changes nothing', async () => {
    const ctx = await post('contexts', { contexts: [{ type: 'notebook.Session', name: 'session-1' }] });
    assert.equal(ctx.status, 200);
    const [session] = ctx.body.context_ids as number[];
    const put = await post('executions', {
      execution: { type: 'notebook.Cell', last_known_state: 'COMPLETE', custom_properties: { cell: { int_value: '7' } } },
      artifact_event_pairs: [
        { event: { type: 'INPUT', artifact_id: k.artifacts.model, path: { steps: [{ key: 'model' }] } } },
        { artifact: { type: 'system.HTML', uri: 'file:///tmp/report.html', state: 'LIVE' }, event: { type: 'OUTPUT', path: { steps: [{ key: 'report' }] } } },
      ],
      contexts: [session, { type: 'notebook.Project', name: 'churn' }],
    });
    assert.equal(put.status, 200, JSON.stringify(put.body));
    const { execution_id, artifact_ids, context_ids } = put.body as { execution_id: number; artifact_ids: number[]; context_ids: number[] };
    assert.equal(artifact_ids[0], k.artifacts.model);
    assert.equal(context_ids[0], session);
    assert.deepEqual(((await get(`executions/${execution_id}`)).body.custom_properties as Record<string, unknown>).cell, { int_value: 7 });
    const down = await get(`lineage?artifact_id=${k.artifacts.model}&direction=DOWNSTREAM&max_hops=2`);
    assert.ok(idsOf(down.body.artifacts).includes(artifact_ids[1]!), 'the report is downstream of the model');
    assert.deepEqual(idsOf((await get(`contexts/${context_ids[1]}/artifacts`)).body.artifacts), [k.artifacts.model, artifact_ids[1]]);

    const before = JSON.stringify([(await get('artifacts?page_size=1000')).body, (await get('executions?page_size=1000')).body, (await get('context_types')).body]);
    const refused: [string, unknown, number, number, RegExp][] = [
      ['executions', { execution: { type: 'notebook.Cell' }, artifact_event_pairs: [{ artifact: { type: 'system.HTML' }, event: { type: 'OUTPUT' } }, { event: { type: 'INPUT', artifact_id: 99999 } }] }, 400, 3, /^artifact_event_pairs\[1\]\.event\.artifact_id: no artifact with id 99999/],
      ['executions', { execution: { type: 'notebook.Cell' }, contexts: [{ type: 'brand.NewContext', name: 'x' }, 88888] }, 400, 3, /^contexts\[1\]: no context with id 88888/],
      ['executions', { artifact_event_pairs: [] }, 400, 3, /^execution: required/],
      ['artifacts', { artifacts: [{ type: 'system.Dataset' }, { type_id: 12345 }] }, 400, 3, /^artifacts\[1\]\.type_id: no artifact type with id 12345/],
      ['contexts', { contexts: [{ type: 'notebook.Session' }] }, 400, 3, /^contexts\[0\]\.name: required/],
      ['contexts', { contexts: [{ type: 'notebook.Session', name: 'session-1' }] }, 409, 6, /^contexts\[0\]\.name: context type "notebook.Session" already has a context named "session-1"/],
      ['events', { events: [{ artifact_id: k.artifacts.raw, execution_id: k.executions.importer, type: 'OUTPUT' }] }, 409, 6, /^events\[0\]: artifact \d+ already has a OUTPUT event/],
      ['artifacts', '{"artifacts": [', 400, 3, /^body: not valid JSON/],
    ];
    for (const [path, body, status, code, message] of refused) {
      const r = await post(path, body);
      assert.equal(r.status, status, `${path} ${JSON.stringify(body)}: ${JSON.stringify(r.body)}`);
      assert.equal(r.body.code, code);
      assert.match(r.body.message as string, message);
    }
    assert.equal(JSON.stringify([(await get('artifacts?page_size=1000')).body, (await get('executions?page_size=1000')).body, (await get('context_types')).body]), before);
  });
});
