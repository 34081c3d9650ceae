// The metadata store against KFP-shaped runs: what the engine writes reads back, lineage walks, keyset paging and
// validation that leaves the store untouched.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MetadataError } from './errors.js';
import { MetadataStore } from './store.js';
import { writeKfpRuns, type KfpRuns } from './test-fixtures.js';
import type { Artifact, LineageGraph, LineageQuery, ListFilter, ListOptions } from './types.js';

function fresh(now?: () => number): MetadataStore {
  return new MetadataStore(now ? { path: ':memory:', now } : { path: ':memory:' });
}

const ids = (nodes: { id?: number }[]): number[] => nodes.map((n) => n.id!).sort((a, b) => a - b);
const sorted = (xs: number[]): number[] => [...xs].sort((a, b) => a - b);
const edges = (g: LineageGraph): string[] => g.events.map((e) => `${e.execution_id}${e.type === 'INPUT' ? '<' : '>'}${e.artifact_id}`).sort();

/** Every page of a lineage query, concatenated, and the number of pages. */
function allPages(store: MetadataStore, query: LineageQuery): LineageGraph & { pages: number } {
  const out: LineageGraph & { pages: number } = { artifacts: [], executions: [], events: [], pages: 0 };
  let token: string | undefined;
  do {
    const page = store.getLineageSubgraph({ ...query, ...(token ? { page_token: token } : {}) });
    out.artifacts.push(...page.artifacts);
    out.executions.push(...page.executions);
    out.events.push(...page.events);
    out.pages++;
    token = page.next_page_token;
  } while (token);
  return out;
}

/** Everything a store holds, to compare before and after a refused write. */
function snapshot(store: MetadataStore): string {
  const page = { page_size: 1000 };
  const artifacts = store.getArtifacts({}, page).artifacts;
  const executions = store.getExecutions({}, page).executions;
  const contexts = store.getContexts({}, page).contexts;
  return JSON.stringify({
    types: [store.getArtifactTypes(), store.getExecutionTypes(), store.getContextTypes()],
    artifacts,
    executions,
    contexts,
    events: store.getEventsByArtifactIDs(ids(artifacts)),
    links: contexts.map((c) => [ids(store.getArtifactsByContext(c.id!, page).artifacts), ids(store.getExecutionsByContext(c.id!, page).executions), ids(store.getParentContextsByContext(c.id!))]),
  });
}

function assertRefused(fn: () => unknown, code: MetadataError['codeName'], message: RegExp): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof MetadataError, `expected a MetadataError, got ${String(err)}`);
    assert.equal(err.codeName, code, err.message);
    assert.match(err.message, message);
    return true;
  });
}

describe('MetadataStore: what the pipeline engine writes', () => {
  test('a KFP run reads back: types, contexts and their parent, memberships, events with their paths', () => {
    const store = fresh();
    const k = writeKfpRuns(store);
    assert.deepEqual(store.getArtifactTypes().map((t) => t.name), ['system.Dataset', 'system.Model', 'system.Metrics']);
    assert.deepEqual(store.getExecutionTypes().map((t) => t.name), ['system.DAGExecution', 'system.ImporterExecution', 'system.ContainerExecution']);
    assert.deepEqual(store.getContextTypes().map((t) => t.name), ['system.Pipeline', 'system.PipelineRun']);

    const run = store.getContextByTypeAndName('system.PipelineRun', 'run-1');
    assert.equal(run?.id, k.contexts.run1);
    assert.deepEqual(run?.custom_properties?.namespace, { string_value: 'team-a' });
    assert.equal(store.putContext({ type: 'system.PipelineRun', name: 'run-1' }), k.contexts.run1, 'putContext reuses a context by type and name');
    assert.deepEqual(ids(store.getParentContextsByContext(k.contexts.run1)), [k.contexts.pipeline]);
    assert.deepEqual(ids(store.getChildrenContextsByContext(k.contexts.pipeline)), [k.contexts.run1, k.contexts.run2]);

    assert.deepEqual(ids(store.getContextsByArtifact(k.artifacts.model)), [k.contexts.pipeline, k.contexts.run1]);
    assert.deepEqual(ids(store.getContextsByExecution(k.executions.preprocess2)), [k.contexts.pipeline, k.contexts.run2]);
    const a = k.artifacts;
    assert.deepEqual(ids(store.getArtifactsByContext(k.contexts.run1).artifacts), sorted([a.raw, a.train, a.test, a.model, a.trainMetrics, a.evalMetrics]));
    assert.deepEqual(ids(store.getArtifactsByContext(k.contexts.pipeline).artifacts), sorted(Object.values(a)));
    assert.equal(store.getExecutionsByContext(k.contexts.pipeline).executions.length, 6);

    const model = store.getArtifactsByID([a.model])[0]!;
    assert.equal(model.type, 'system.Model');
    assert.equal(model.uri, 'gs://bucket/run-1/model');
    assert.equal(model.state, 'LIVE');
    assert.deepEqual(model.custom_properties, { display_name: { string_value: 'model' } });
    assert.deepEqual(ids(store.getArtifactsByURI('gs://bucket/raw.csv')), [a.raw]);

    const events = store.getEventsByArtifactIDs([a.raw]);
    assert.deepEqual(events.map((e) => [e.execution_id, e.type, e.path]), [
      [k.executions.importer, 'OUTPUT', { steps: [{ key: 'artifact' }] }],
      [k.executions.preprocess, 'INPUT', { steps: [{ key: 'dataset' }] }],
      [k.executions.preprocess2, 'INPUT', { steps: [{ key: 'dataset' }] }],
    ]);
    assert.deepEqual(store.getEventsByExecutionIDs([k.executions.evaluator]).map((e) => [e.artifact_id, e.type]), [[a.model, 'INPUT'], [a.test, 'INPUT'], [a.evalMetrics, 'OUTPUT']]);
    assert.deepEqual(store.getEventsByExecutionIDs([k.executions.dag]), []);
    store.close();
  });

  test('an update by id keeps the create time and moves the update time; a retried putExecution adds no events', () => {
    let clock = 1_000;
    const store = fresh(() => clock);
    const k = writeKfpRuns(store);
    clock = 5_000;
    const before = store.getExecutionsByID([k.executions.trainer])[0]!;
    const again = store.putExecution({ id: k.executions.trainer, last_known_state: 'FAILED' }, [{ event: { type: 'INPUT', artifact_id: k.artifacts.train } }], [k.contexts.run1]);
    assert.deepEqual(again, { execution_id: k.executions.trainer, artifact_ids: [k.artifacts.train] });
    const after = store.getExecutionsByID([k.executions.trainer])[0]!;
    assert.equal(after.last_known_state, 'FAILED');
    assert.equal(after.create_time_since_epoch, before.create_time_since_epoch);
    assert.equal(after.last_update_time_since_epoch, 5_000);
    assert.deepEqual(after.custom_properties, before.custom_properties, 'fields left out of an update stay');
    assert.equal(store.getEventsByExecutionIDs([k.executions.trainer]).length, 3);
    store.close();
  });

  test('create times never go back, even when the clock does; the store reopens from its file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'floe-mlmd-'));
    try {
      let clock = 10_000;
      const path = join(dir, 'mlmd.sqlite');
      let store = new MetadataStore({ path, now: () => clock });
      const [first] = store.putArtifacts([{ type: 'system.Dataset', uri: 'a' }]);
      store.close();
      clock = 9_000;
      store = new MetadataStore({ path, now: () => clock });
      const [second] = store.putArtifacts([{ type: 'system.Dataset', uri: 'b' }]);
      const [a, b] = store.getArtifactsByID([first!, second!]);
      assert.equal(a?.uri, 'a');
      assert.ok(b!.create_time_since_epoch! >= a.create_time_since_epoch!, 'the second create time is not before the first');
      store.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('MetadataStore: lineage', () => {
  const store = fresh();
  const k: KfpRuns = writeKfpRuns(store);
  const a = k.artifacts;
  const e = k.executions;

  test('UPSTREAM of an artifact: its producer, the producer inputs, their producers…', () => {
    const g = store.getLineageSubgraph({ artifact_ids: [a.evalMetrics], direction: 'UPSTREAM', max_hops: 20 });
    assert.deepEqual(ids(g.artifacts), sorted([a.evalMetrics, a.model, a.test, a.train, a.raw]));
    assert.deepEqual(ids(g.executions), sorted([e.evaluator, e.trainer, e.preprocess, e.importer]));
    assert.deepEqual(edges(g), [
      `${e.evaluator}<${a.model}`, `${e.evaluator}<${a.test}`, `${e.evaluator}>${a.evalMetrics}`, `${e.importer}>${a.raw}`,
      `${e.preprocess}<${a.raw}`, `${e.preprocess}>${a.test}`, `${e.preprocess}>${a.train}`, `${e.trainer}<${a.train}`, `${e.trainer}>${a.model}`,
    ].sort());
    assert.equal(g.next_page_token, undefined);
    assert.equal(g.artifacts[0]?.id, a.evalMetrics, 'walk order: the starting node first');

    const two = store.getLineageSubgraph({ artifact_ids: [a.evalMetrics], direction: 'UPSTREAM', max_hops: 2 });
    assert.deepEqual(ids(two.artifacts), sorted([a.evalMetrics, a.model, a.test]));
    assert.deepEqual(ids(two.executions), [e.evaluator]);
    const zero = store.getLineageSubgraph({ artifact_ids: [a.evalMetrics], direction: 'UPSTREAM', max_hops: 0 });
    assert.deepEqual([ids(zero.artifacts), zero.executions, zero.events], [[a.evalMetrics], [], []]);
  });

  test('DOWNSTREAM of an artifact: its consumers, their outputs, across runs', () => {
    const g = store.getLineageSubgraph({ artifact_ids: [a.raw], direction: 'DOWNSTREAM', max_hops: 20 });
    assert.deepEqual(ids(g.artifacts), sorted([a.raw, a.train, a.test, a.model, a.trainMetrics, a.evalMetrics, a.train2]));
    assert.deepEqual(ids(g.executions), sorted([e.preprocess, e.preprocess2, e.trainer, e.evaluator]));
    assert.ok(!g.executions.some((x) => x.id === e.importer), 'the producer is upstream, not downstream');
    const one = store.getLineageSubgraph({ artifact_ids: [a.raw], direction: 'DOWNSTREAM', max_hops: 1 });
    assert.deepEqual(ids(one.artifacts), [a.raw]);
    assert.deepEqual(ids(one.executions), sorted([e.preprocess, e.preprocess2]));
    assert.deepEqual(edges(one), [`${e.preprocess}<${a.raw}`, `${e.preprocess2}<${a.raw}`].sort());
  });

  test('BIDIRECTIONAL follows every event, so it reaches siblings; the DAG execution has no events', () => {
    const two = store.getLineageSubgraph({ artifact_ids: [a.model], max_hops: 2 });
    assert.deepEqual(ids(two.artifacts), sorted([a.model, a.train, a.trainMetrics, a.test, a.evalMetrics]));
    assert.deepEqual(ids(two.executions), sorted([e.trainer, e.evaluator]));
    const all = store.getLineageSubgraph({ artifact_ids: [a.model], direction: 'BIDIRECTIONAL', max_hops: 20, include_contexts: true });
    assert.deepEqual(ids(all.artifacts), sorted(Object.values(a)));
    assert.deepEqual(ids(all.executions), sorted([e.importer, e.preprocess, e.trainer, e.evaluator, e.preprocess2]));
    assert.equal(all.events.length, 12);
    assert.deepEqual(ids(all.contexts ?? []), sorted(Object.values(k.contexts)));
  });

  test('from an execution, and from several starting nodes', () => {
    const up = store.getLineageSubgraph({ execution_ids: [e.evaluator], direction: 'UPSTREAM' });
    assert.deepEqual(ids(up.executions), sorted([e.evaluator, e.trainer, e.preprocess, e.importer]));
    assert.deepEqual(ids(up.artifacts), sorted([a.model, a.test, a.train, a.raw]));
    const down = store.getLineageSubgraph({ execution_ids: [e.preprocess2], artifact_ids: [a.model], direction: 'DOWNSTREAM' });
    assert.deepEqual(ids(down.artifacts), sorted([a.model, a.train2, a.evalMetrics]));
    assert.deepEqual(ids(down.executions), sorted([e.preprocess2, e.evaluator]));
  });

  test('pages: each node and each event exactly once, the same walk as one big page', () => {
    const whole = store.getLineageSubgraph({ artifact_ids: [a.model], max_hops: 20, page_size: 1000 });
    for (const size of [1, 2, 3, 5]) {
      const paged = allPages(store, { artifact_ids: [a.model], max_hops: 20, page_size: size });
      assert.equal(paged.pages, Math.ceil(12 / size));
      assert.deepEqual(paged.artifacts.map((x) => x.id), whole.artifacts.map((x) => x.id), `page_size ${size}`);
      assert.deepEqual(paged.executions.map((x) => x.id), whole.executions.map((x) => x.id));
      assert.deepEqual(edges(paged), edges(whole));
      assert.equal(new Set(edges(paged)).size, paged.events.length);
    }
    const first = store.getLineageSubgraph({ artifact_ids: [a.model], page_size: 3 });
    assertRefused(() => store.getLineageSubgraph({ artifact_ids: [a.raw], page_size: 3, page_token: first.next_page_token! }), 'INVALID_ARGUMENT', /^page_token: was issued for a different query/);
  });

  test('bad lineage queries name the parameter', () => {
    assertRefused(() => store.getLineageSubgraph({ artifact_ids: [999] }), 'NOT_FOUND', /^artifact_ids\[0\]: no artifact with id 999/);
    assertRefused(() => store.getLineageSubgraph({}), 'INVALID_ARGUMENT', /^artifact_ids: give at least one/);
    assertRefused(() => store.getLineageSubgraph({ artifact_ids: [a.raw], max_hops: -1 }), 'INVALID_ARGUMENT', /^max_hops:/);
    assertRefused(() => store.getLineageSubgraph({ artifact_ids: [a.raw], direction: 'SIDEWAYS' as never }), 'INVALID_ARGUMENT', /^direction:/);
    assertRefused(() => store.getLineageSubgraph({ artifact_ids: [a.raw], page_size: 1001 }), 'INVALID_ARGUMENT', /^page_size:/);
  });
});

describe('MetadataStore: lists page by keyset', () => {
  // Times advance every 7 writes, so many rows share a time and the cursor has to break ties by id.
  let writes = 0;
  const store = fresh(() => 1_000_000 + Math.floor(writes++ / 7));
  const run = store.putContext({ type: 'system.PipelineRun', name: 'big' });
  const all: Artifact[] = [];
  store.transaction(() => {
    for (let i = 0; i < 3000; i++) {
      const { artifact_ids } = store.putExecution({ type: 'system.ContainerExecution' }, [{ artifact: { type: i % 3 === 0 ? 'system.Model' : 'system.Dataset', uri: `gs://b/${i}`, ...(i % 10 === 0 ? { name: `a${i}` } : {}) }, event: { type: 'OUTPUT' } }], i % 2 === 0 ? [run] : []);
      all.push({ id: artifact_ids[0]! });
    }
  });
  // Updating every fifth artifact (newest first) moves it to the end of LAST_UPDATE_TIME order.
  store.transaction(() => {
    for (let i = all.length - 1; i >= 0; i -= 5) store.putArtifacts([{ id: all[i]!.id!, state: 'LIVE' }]);
  });
  const full = store.getArtifactsByID(all.map((x) => x.id!));

  function walk(filter: ListFilter, options: ListOptions): number[] {
    const out: number[] = [];
    let token: string | undefined;
    do {
      const page = store.getArtifacts(filter, { ...options, ...(token ? { page_token: token } : {}) });
      assert.ok(page.artifacts.length <= (options.page_size ?? 20));
      out.push(...page.artifacts.map((x) => x.id!));
      token = page.next_page_token;
    } while (token);
    return out;
  }

  const byId = (x: Artifact, y: Artifact): number => x.id! - y.id!;
  const byUpdate = (x: Artifact, y: Artifact): number => x.last_update_time_since_epoch! - y.last_update_time_since_epoch! || byId(x, y);
  const byCreate = (x: Artifact, y: Artifact): number => x.create_time_since_epoch! - y.create_time_since_epoch! || byId(x, y);
  const cases: [string, ListFilter, (x: Artifact) => boolean][] = [
    ['everything', {}, () => true],
    ['one type', { type: 'system.Model' }, (x) => x.type === 'system.Model'],
    ['one context', { context_id: run }, (x) => Number(x.uri!.split('/')[3]) % 2 === 0],
    ['a type in a context', { context_id: run, type: 'system.Dataset' }, (x) => x.type === 'system.Dataset' && Number(x.uri!.split('/')[3]) % 2 === 0],
  ];
  for (const [label, filter, keep] of cases) {
    test(`${label}: every order, ascending and descending, no gaps or duplicates`, () => {
      const rows = full.filter(keep);
      for (const [order, cmp] of [['ID', byId], ['CREATE_TIME', byCreate], ['LAST_UPDATE_TIME', byUpdate]] as const) {
        const asc = rows.slice().sort(cmp).map((x) => x.id!);
        assert.deepEqual(walk(filter, { order_by: order, page_size: 97 }), asc, `${order} asc`);
        assert.deepEqual(walk(filter, { order_by: order, is_asc: false, page_size: 97 }), asc.slice().reverse(), `${order} desc`);
      }
    });
  }

  test('by name and by uri; a token is only good for its own query; the default page is 20', () => {
    assert.deepEqual(ids(store.getArtifacts({ name: 'a30' }).artifacts), [all[30]!.id!]);
    assert.deepEqual(store.getArtifactByTypeAndName('system.Model', 'a30')?.id, all[30]!.id);
    assert.equal(store.getArtifactByTypeAndName('system.Dataset', 'a30'), undefined);
    assert.deepEqual(ids(store.getArtifacts({ uri: 'gs://b/7' }).artifacts), [all[7]!.id!]);
    assert.deepEqual(store.getArtifacts({ type: 'no.such.Type' }).artifacts, []);
    const first = store.getArtifacts({ type: 'system.Model' });
    assert.equal(first.artifacts.length, 20);
    assertRefused(() => store.getArtifacts({ type: 'system.Dataset' }, { page_token: first.next_page_token! }), 'INVALID_ARGUMENT', /^page_token: was issued for a different query/);
    assertRefused(() => store.getArtifacts({}, { page_token: 'garbage' }), 'INVALID_ARGUMENT', /^page_token: is not a token/);
    assertRefused(() => store.getArtifacts({}, { page_size: 0 }), 'INVALID_ARGUMENT', /^page_size:/);
    assertRefused(() => store.getArtifactsByContext(424242), 'NOT_FOUND', /^context_id: no context with id 424242/);
  });
});

describe('MetadataStore: refused writes name the field and write nothing', () => {
  const store = fresh();
  const k = writeKfpRuns(store);
  const ctype = store.getContextType('system.PipelineRun')!.id;
  const mtype = store.putArtifactType({ name: 'custom.Scored', properties: { score: 'DOUBLE' } });
  store.putArtifacts([{ type: 'system.Model', name: 'champion', external_id: 'ext-1' }]);
  const before = snapshot(store);

  const refusals: [string, () => unknown, MetadataError['codeName'], RegExp][] = [
    ['an unknown type id', () => store.putArtifacts([{ type: 'system.Dataset', uri: 'gs://new' }, { type_id: 999 }]), 'INVALID_ARGUMENT', /^artifacts\[1\]\.type_id: no artifact type with id 999/],
    ['a type id of another kind', () => store.putArtifacts([{ type_id: ctype }]), 'INVALID_ARGUMENT', /^artifacts\[0\]\.type_id: no artifact type with id/],
    ['no type at all', () => store.putExecutions([{ name: 'x' }]), 'INVALID_ARGUMENT', /^executions\[0\]\.type_id: required/],
    ['a new type with a refused artifact', () => store.putArtifacts([{ type: 'brand.New' }, { type: 'brand.New', state: 'SHINY' as never }]), 'INVALID_ARGUMENT', /^artifacts\[1\]\.state: must be one of UNKNOWN/],
    ['a context without a name', () => store.putContexts([{ type: 'system.PipelineRun' } as never]), 'INVALID_ARGUMENT', /^contexts\[0\]\.name: required/],
    ['a taken context name', () => store.putContexts([{ type: 'system.PipelineRun', name: 'run-3' }, { type: 'system.PipelineRun', name: 'run-1' }]), 'ALREADY_EXISTS', /^contexts\[1\]\.name: context type "system.PipelineRun" already has a context named "run-1"/],
    ['a taken artifact name', () => store.putArtifacts([{ type: 'system.Model', name: 'm2' }, { type: 'system.Model', name: 'champion' }]), 'ALREADY_EXISTS', /^artifacts\[1\]\.name: artifact type "system.Model" already has an artifact named "champion"/],
    ['the same name twice in one call', () => store.putArtifacts([{ type: 'system.Model', name: 'twin' }, { type: 'system.Model', name: 'twin' }]), 'ALREADY_EXISTS', /^artifacts\[1\]\.name/],
    ['a taken external_id', () => store.putArtifacts([{ type: 'system.Dataset', external_id: 'ext-1' }]), 'ALREADY_EXISTS', /^artifacts\[0\]\.external_id: "ext-1" is already the external_id of artifact/],
    ['a renamed artifact', () => store.putArtifacts([{ id: store.getArtifactByTypeAndName('system.Model', 'champion')!.id!, name: 'other' }]), 'INVALID_ARGUMENT', /^artifacts\[0\]\.name: .*a name cannot change/],
    ['an update of a missing id', () => store.putArtifacts([{ id: 424242, uri: 'x' }]), 'NOT_FOUND', /^artifacts\[0\]\.id: no artifact with id 424242/],
    ['an event naming a missing artifact', () => store.putExecution({ type: 'system.ContainerExecution' }, [{ artifact: { type: 'system.Dataset', uri: 'gs://half' }, event: { type: 'OUTPUT' } }, { event: { type: 'INPUT', artifact_id: 9999 } }], [k.contexts.run1]), 'INVALID_ARGUMENT', /^artifact_event_pairs\[1\]\.event\.artifact_id: no artifact with id 9999/],
    ['a pair without its event', () => store.putExecution({ type: 'system.ContainerExecution' }, [{ artifact: { type: 'system.Dataset' } } as never], []), 'INVALID_ARGUMENT', /^artifact_event_pairs\[0\]\.event: required/],
    ['a missing context', () => store.putExecution({ type: 'system.ContainerExecution' }, [], [k.contexts.run1, 777]), 'INVALID_ARGUMENT', /^contexts\[1\]: no context with id 777/],
    ['a bad event type', () => store.putEvents([{ artifact_id: k.artifacts.raw, execution_id: k.executions.trainer, type: 'READ' as never }]), 'INVALID_ARGUMENT', /^events\[0\]\.type: must be one of/],
    ['a duplicate event', () => store.putEvents([{ artifact_id: k.artifacts.model, execution_id: k.executions.evaluator, type: 'OUTPUT' }, { artifact_id: k.artifacts.raw, execution_id: k.executions.importer, type: 'OUTPUT' }]), 'ALREADY_EXISTS', /^events\[1\]: artifact \d+ already has a OUTPUT event/],
    ['an event naming a missing execution', () => store.putEvents([{ artifact_id: k.artifacts.raw, execution_id: 5555, type: 'INPUT' }]), 'INVALID_ARGUMENT', /^events\[0\]\.execution_id: no execution with id 5555/],
    ['a non-integer int_value', () => store.putArtifacts([{ type: 'system.Dataset', custom_properties: { rows: { int_value: 1.5 } } }]), 'INVALID_ARGUMENT', /^artifacts\[0\]\.custom_properties\.rows\.int_value: must be an integer/],
    ['a Value with two fields', () => store.putArtifacts([{ type: 'system.Dataset', custom_properties: { x: { int_value: 1, string_value: 'a' } } }]), 'INVALID_ARGUMENT', /^artifacts\[0\]\.custom_properties\.x: must set exactly one/],
    ['a property of the wrong type', () => store.putArtifacts([{ type_id: mtype, properties: { score: { string_value: 'high' } } }]), 'INVALID_ARGUMENT', /^artifacts\[0\]\.properties\.score: type "custom.Scored" declares it DOUBLE, not STRING/],
    ['an undeclared property by type id', () => store.putArtifacts([{ type_id: mtype, properties: { extra: { int_value: 1 } } }]), 'INVALID_ARGUMENT', /^artifacts\[0\]\.properties\.extra: type "custom.Scored" declares no property "extra"/],
    ['a type property changing type', () => store.putArtifactType({ name: 'custom.Scored', properties: { score: 'INT', more: 'STRING' } }), 'ALREADY_EXISTS', /^artifact_type\.properties\.score: artifact type "custom.Scored" declares it as DOUBLE/],
    ['a parent cycle', () => store.putParentContexts([{ child_id: k.contexts.run2, parent_id: k.contexts.run1 }, { child_id: k.contexts.pipeline, parent_id: k.contexts.run1 }]), 'INVALID_ARGUMENT', /^parent_contexts\[1\]: context \d+ cannot be the parent of context \d+: that makes a cycle/],
    ['a context as its own parent', () => store.putParentContext(k.contexts.run1, k.contexts.run1), 'INVALID_ARGUMENT', /^parent_contexts\[0\]: .*cycle/],
    ['an attribution to a missing context', () => store.putAttributionsAndAssociations([{ artifact_id: k.artifacts.model, context_id: k.contexts.run2 }], [{ execution_id: k.executions.trainer, context_id: 31337 }]), 'INVALID_ARGUMENT', /^associations\[0\]\.context_id: no context with id 31337/],
  ];
  for (const [label, fn, code, message] of refusals) {
    test(label, () => {
      assertRefused(fn, code, message);
      assert.equal(snapshot(store), before);
    });
  }

  test('the same writes, corrected, go through', () => {
    store.putArtifacts([{ type: 'system.Dataset', uri: 'gs://new' }, { type: 'system.Model', name: 'm2' }]);
    store.putParentContexts([{ child_id: k.contexts.run2, parent_id: k.contexts.run1 }]);
    store.putParentContexts([{ child_id: k.contexts.run2, parent_id: k.contexts.run1 }]);
    assert.deepEqual(ids(store.getParentContextsByContext(k.contexts.run2)), [k.contexts.pipeline, k.contexts.run1]);
    assert.equal(store.putArtifactType({ name: 'custom.Scored', properties: { more: 'STRING' } }), mtype);
    assert.deepEqual(store.getArtifactType('custom.Scored')?.properties, { score: 'DOUBLE', more: 'STRING' });
    const [id] = store.putArtifacts([{ type: 'custom.Scored', properties: { score: { double_value: 0.5 }, added: { bool_value: true } } }]);
    assert.deepEqual(store.getArtifactsByID([id!])[0]?.properties, { score: { double_value: 0.5 }, added: { bool_value: true } });
    assert.deepEqual(store.getArtifactType('custom.Scored')?.properties, { score: 'DOUBLE', more: 'STRING', added: 'BOOLEAN' }, 'a type named by `type` gains new properties');
    assert.notEqual(snapshot(store), before);
  });
});
