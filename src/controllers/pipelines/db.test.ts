// The pipeline store: the RunStore contract the engine relies on, pipelines/versions/experiments as KFP keeps them,
// listing, and that what was committed survives reopening the file.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { KfpError, PipelineDb } from './db.js';
import type { PipelineSpec } from './ir.js';
import type { RunRecord, TaskRecord } from './types.js';

const spec: PipelineSpec = { pipelineInfo: { name: 'p' }, root: { dag: { tasks: {} } } };

let dir: string;
let clock: number;
const now = (): Date => new Date(clock);
const open = (): PipelineDb => new PipelineDb({ path: join(dir, 'pipelines.db'), now });

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'floe-kfp-db-'));
  clock = Date.parse('2024-01-01T00:00:00Z');
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function run(db: PipelineDb, id: string, over: Partial<RunRecord> = {}): RunRecord {
  const created = now().toISOString();
  return db.createRun({
    run_id: id,
    experiment_id: db.defaultExperiment().experiment_id,
    display_name: id,
    namespace: 'kubeflow',
    storage_state: 'AVAILABLE',
    pipeline_spec: spec,
    runtime_config: {},
    created_at: created,
    scheduled_at: created,
    state: 'PENDING',
    state_history: [{ update_time: created, state: 'PENDING' }],
    ...over,
  });
}

function task(id: string, over: Partial<TaskRecord> = {}): TaskRecord {
  return { run_id: 'r1', task_id: id, display_name: id, create_time: now().toISOString(), state: 'PENDING', state_history: [], engine: { attempt: 1 }, ...over };
}

const code = (c: KfpError['code']) => (err: unknown) => err instanceof KfpError && err.code === c;

describe('RunStore', () => {
  test('runs: update appends a state change to state_history, once', () => {
    const db = open();
    run(db, 'r1');
    clock += 1000;
    let r = db.updateRun('r1', { state: 'RUNNING', pipeline_context_id: 7 });
    assert.deepEqual(r.state_history.map((h) => h.state), ['PENDING', 'RUNNING']);
    assert.equal(r.state_history[1]!.update_time, '2024-01-01T00:00:01.000Z');
    r = db.updateRun('r1', { state: 'RUNNING', pipeline_run_context_id: 8 });
    assert.equal(r.state_history.length, 2);
    r = db.updateRun('r1', { state: 'FAILED', error: { code: 2, message: 'boom' }, finished_at: now().toISOString() });
    assert.deepEqual(r.state_history[2], { update_time: '2024-01-01T00:00:01.000Z', state: 'FAILED', error: { code: 2, message: 'boom' } });
    assert.deepEqual(db.getRun('r1'), r);
    assert.equal(r.pipeline_context_id, 7);
    assert.throws(() => db.updateRun('nope', { state: 'RUNNING' }), code('NOT_FOUND'));
    db.close();
  });

  test('runsInState finds runs to resume', () => {
    const db = open();
    run(db, 'a');
    run(db, 'b');
    run(db, 'c');
    db.updateRun('b', { state: 'RUNNING' });
    db.updateRun('c', { state: 'SUCCEEDED' });
    assert.deepEqual(db.runsInState(['PENDING', 'RUNNING', 'CANCELING']).map((r) => r.run_id).sort(), ['a', 'b']);
    assert.deepEqual(db.runsInState([]), []);
    db.close();
  });

  test('tasks: keyed by run and task, kept in creation order, state changes recorded once', () => {
    const db = open();
    run(db, 'r1');
    db.putTasks([task('root'), task('child-b', { parent_task_id: 'root' }), task('child-a', { parent_task_id: 'root' })]);
    let tasks = db.listTasks('r1');
    assert.deepEqual(tasks.map((t) => t.task_id), ['root', 'child-b', 'child-a']);
    assert.deepEqual(tasks[0]!.state_history.map((h) => h.state), ['PENDING']);
    assert.deepEqual(tasks[0]!.engine, { attempt: 1 });
    clock += 5000;
    const root = tasks[0]!;
    db.putTask({ ...root, state: 'RUNNING', engine: { attempt: 2 } });
    db.putTask({ ...db.listTasks('r1')[0]!, pod_name: 'pod-1' });
    tasks = db.listTasks('r1');
    assert.deepEqual(tasks.map((t) => t.task_id), ['root', 'child-b', 'child-a'], 'a replaced task keeps its place');
    assert.deepEqual(tasks[0]!.state_history.map((h) => h.state), ['PENDING', 'RUNNING']);
    assert.equal(tasks[0]!.pod_name, 'pod-1');
    // The engine may append the entry itself; the store does not add a second one.
    db.putTask({ ...tasks[1]!, state: 'SUCCEEDED', state_history: [...tasks[1]!.state_history, { update_time: 'x', state: 'SUCCEEDED' }] });
    assert.deepEqual(db.listTasks('r1')[1]!.state_history.map((h) => h.state), ['PENDING', 'SUCCEEDED']);
    assert.deepEqual(db.listTasks('other'), []);
    db.deleteRun('r1');
    assert.deepEqual(db.listTasks('r1'), [], 'a deleted run takes its tasks');
    db.close();
  });

  test('cache: the newest entry for the fingerprint, pipeline name and namespace', () => {
    const db = open();
    const entry = { fingerprint: 'f1', pipeline_name: 'p', namespace: 'ns', run_id: 'r1', task_id: 't1', outputs: { n: 1 }, created_at: now().toISOString() };
    db.cachePut(entry);
    db.cachePut({ ...entry, run_id: 'r2', outputs: { n: 2 } });
    assert.equal(db.cacheLookup('f1', 'p', 'ns')?.run_id, 'r2');
    assert.equal(db.cacheLookup('f1', 'p', 'other'), undefined);
    assert.equal(db.cacheLookup('f1', 'q', 'ns'), undefined);
    assert.equal(db.cacheLookup('f2', 'p', 'ns'), undefined);
    db.close();
  });

  test('what was committed survives closing and reopening the file', () => {
    let db = open();
    const p = db.createPipelineAndVersion({ name: 'p', display_name: 'p', namespace: '' }, { name: 'v1', display_name: 'v1', pipeline_spec: spec, platform_spec: { platforms: { kubernetes: {} } } });
    run(db, 'r1');
    db.updateRun('r1', { state: 'RUNNING' });
    db.putTask(task('root', { state: 'RUNNING' }));
    db.cachePut({ fingerprint: 'f', pipeline_name: 'p', namespace: 'ns', run_id: 'r1', task_id: 'root', outputs: {}, created_at: now().toISOString() });
    db.close();
    db = open();
    assert.equal(db.getRun('r1')?.state, 'RUNNING');
    assert.equal(db.listTasks('r1')[0]?.state, 'RUNNING');
    assert.equal(db.cacheLookup('f', 'p', 'ns')?.task_id, 'root');
    assert.deepEqual(db.getVersion(p.version.pipeline_version_id)?.platform_spec, { platforms: { kubernetes: {} } });
    assert.equal(db.defaultExperiment().experiment_id, db.getRun('r1')?.experiment_id);
    db.close();
  });
});

describe('pipelines, versions, experiments', () => {
  test('pipeline names are unique per namespace, version names per pipeline; the latest version', () => {
    const db = open();
    const { pipeline, version } = db.createPipelineAndVersion({ name: 'p', display_name: 'P', namespace: '' }, { name: 'v1', display_name: 'v1', pipeline_spec: spec });
    assert.throws(() => db.createPipeline({ name: 'p', display_name: 'again', namespace: '' }), code('ALREADY_EXISTS'));
    db.createPipeline({ name: 'p', display_name: 'P', namespace: 'team-a' });
    assert.throws(() => db.createVersion({ pipeline_id: pipeline.pipeline_id, name: 'v1', display_name: 'v1', pipeline_spec: spec }), code('ALREADY_EXISTS'));
    assert.throws(() => db.createVersion({ pipeline_id: 'nope', name: 'v1', display_name: 'v1', pipeline_spec: spec }), code('NOT_FOUND'));
    assert.throws(() => db.createPipelineAndVersion({ name: 'p', display_name: 'p', namespace: '' }, { name: 'x', display_name: 'x', pipeline_spec: spec }), code('ALREADY_EXISTS'));
    assert.equal(db.listPipelines({}).total_size, 2, 'a failed create stores nothing');
    clock += 1000;
    const v2 = db.createVersion({ pipeline_id: pipeline.pipeline_id, name: 'v2', display_name: 'v2', pipeline_spec: spec });
    assert.equal(db.latestVersion(pipeline.pipeline_id)?.pipeline_version_id, v2.pipeline_version_id);
    assert.equal(db.getPipelineByName('p', 'team-a')?.namespace, 'team-a');
    assert.deepEqual(db.listPipelines({}, 'team-a').items.map((p) => p.namespace).sort(), ['', 'team-a'], 'a namespace also sees shared pipelines');
    assert.throws(() => db.deletePipeline(pipeline.pipeline_id, false), code('FAILED_PRECONDITION'));
    db.deleteVersion(version.pipeline_version_id);
    db.deletePipeline(pipeline.pipeline_id, true);
    assert.equal(db.getVersion(v2.pipeline_version_id), undefined);
    assert.throws(() => db.deletePipeline(pipeline.pipeline_id, true), code('NOT_FOUND'));
    db.close();
  });

  test('the default experiment is created on first need, or adopted when one named Default exists', () => {
    let db = open();
    const adopted = db.createExperiment({ display_name: 'Default', namespace: '' });
    assert.equal(db.defaultExperiment().experiment_id, adopted.experiment_id);
    db.close();
    db = new PipelineDb({ path: join(dir, 'fresh.db'), now });
    assert.equal(db.defaultExperimentId(), undefined);
    const created = db.defaultExperiment();
    assert.equal(created.display_name, 'Default');
    assert.equal(db.defaultExperiment().experiment_id, created.experiment_id);
    assert.throws(() => db.deleteExperiment(created.experiment_id), code('INVALID_ARGUMENT'));
    db.close();
  });

  test('archiving an experiment archives its runs and disables its recurring runs', () => {
    const db = open();
    const e = db.createExperiment({ display_name: 'e', namespace: '' });
    assert.throws(() => db.createExperiment({ display_name: 'e', namespace: '' }), code('ALREADY_EXISTS'));
    run(db, 'r1', { experiment_id: e.experiment_id });
    run(db, 'r2');
    const rr = db.createRecurringRun({
      display_name: 'rr', namespace: '', experiment_id: e.experiment_id, pipeline_spec: spec, runtime_config: {}, max_concurrency: 1,
      trigger: { periodic_schedule: { interval_second: 60 } }, mode: 'ENABLE', no_catchup: false,
    });
    assert.equal(db.getExperiment(e.experiment_id)?.last_run_created_at, '2024-01-01T00:00:00.000Z');
    db.archiveExperiment(e.experiment_id);
    assert.equal(db.getExperiment(e.experiment_id)?.storage_state, 'ARCHIVED');
    assert.equal(db.getRun('r1')?.storage_state, 'ARCHIVED');
    assert.equal(db.getRun('r2')?.storage_state, 'AVAILABLE');
    assert.equal(db.getRecurringRun(rr.recurring_run_id)?.mode, 'DISABLE');
    assert.throws(() => db.unarchiveRun('r1'), code('FAILED_PRECONDITION'));
    assert.throws(() => db.setRecurringRunMode(rr.recurring_run_id, 'ENABLE'), code('FAILED_PRECONDITION'));
    db.unarchiveExperiment(e.experiment_id);
    db.unarchiveRun('r1');
    assert.equal(db.getRun('r1')?.storage_state, 'AVAILABLE');
    db.setRecurringRunMode(rr.recurring_run_id, 'ENABLE');
    db.deleteExperiment(e.experiment_id);
    assert.equal(db.getRun('r1')?.experiment_id, e.experiment_id, 'runs stay, as in KFP');
    assert.equal(db.getRecurringRun(rr.recurring_run_id)?.mode, 'DISABLE', 'nothing fires into a deleted experiment');
    db.close();
  });

  test('listing runs: scope, filter, sort, and pages stable under inserts', () => {
    const db = open();
    const e = db.createExperiment({ display_name: 'e', namespace: '' });
    for (let i = 0; i < 5; i++) {
      clock += 1000;
      run(db, `r${i}`, { experiment_id: i % 2 ? e.experiment_id : db.defaultExperiment().experiment_id, state: i === 4 ? 'FAILED' : 'PENDING' });
    }
    assert.deepEqual(db.listRuns({ sortBy: 'created_at desc' }, { experimentId: e.experiment_id }).items.map((r) => r.run_id), ['r3', 'r1']);
    const failed = db.listRuns({ filter: JSON.stringify({ predicates: [{ operation: 'EQUALS', key: 'state', string_value: 'failed' }] }) });
    assert.deepEqual(failed.items.map((r) => r.run_id), ['r4']);
    const p1 = db.listRuns({ pageSize: 2 });
    assert.deepEqual(p1.items.map((r) => r.run_id), ['r0', 'r1']);
    assert.equal(p1.total_size, 5);
    clock += 1000;
    run(db, 'r5');
    const p2 = db.listRuns({ pageSize: 2, pageToken: p1.next_page_token });
    assert.deepEqual(p2.items.map((r) => r.run_id), ['r2', 'r3']);
    const p3 = db.listRuns({ pageSize: 2, pageToken: p2.next_page_token });
    assert.deepEqual(p3.items.map((r) => r.run_id), ['r4', 'r5']);
    assert.equal(p3.next_page_token, '');
    db.close();
  });
});
