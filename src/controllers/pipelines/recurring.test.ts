// The recurring-run scheduler against the real store, with an injected clock: when it fires, what it fires, and that
// a restart neither repeats nor forgets a firing.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { PipelineDb, type RecurringRunRecord, type Trigger } from './db.js';
import type { PipelineSpec } from './ir.js';
import { firedRunName, RecurringRunScheduler } from './recurring.js';

const spec: PipelineSpec = { pipelineInfo: { name: 'p' }, root: { dag: { tasks: {} } } };

let dir: string;
let clock: number;
let started: string[];
const now = (): Date => new Date(clock);
const set = (iso: string): void => void (clock = Date.parse(iso));
const open = (): PipelineDb => new PipelineDb({ path: join(dir, 'pipelines.db'), now });
const scheduler = (db: PipelineDb, maxCatchup?: number): RecurringRunScheduler =>
  new RecurringRunScheduler({ db, engine: { start: (id) => void started.push(id) }, now, ...(maxCatchup ? { maxCatchup } : {}) });

function recurring(db: PipelineDb, trigger: Trigger, over: Partial<RecurringRunRecord> = {}): RecurringRunRecord {
  return db.createRecurringRun({
    display_name: 'job',
    namespace: '',
    experiment_id: db.defaultExperiment().experiment_id,
    pipeline_spec: spec,
    runtime_config: { parameters: { x: 1 } },
    max_concurrency: 10,
    trigger,
    mode: 'ENABLE',
    no_catchup: false,
    ...over,
  });
}

const scheduled = (db: PipelineDb, rrId: string): string[] =>
  db
    .listRuns({ pageSize: 1000, sortBy: 'scheduled_at', filter: JSON.stringify({ predicates: [{ operation: 'EQUALS', key: 'recurring_run_id', string_value: rrId }] }) })
    .items.map((r) => r.scheduled_at!.slice(11, 19));

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'floe-kfp-recurring-'));
  started = [];
  set('2024-01-01T10:20:30Z');
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('RecurringRunScheduler', () => {
  test('a cron schedule fires at its slots, once each, as a run of the recurring run', () => {
    const db = open();
    const rr = recurring(db, { cron_schedule: { cron: '0 0 * * * *' } });
    const s = scheduler(db);
    set('2024-01-01T10:59:59Z');
    assert.deepEqual(s.tick(), []);
    set('2024-01-01T11:00:00Z');
    const [id] = s.tick();
    assert.ok(id);
    assert.deepEqual(s.tick(), [], 'a slot fires once');
    const r = db.getRun(id)!;
    assert.equal(r.recurring_run_id, rr.recurring_run_id);
    assert.equal(r.display_name, 'job-20240101110000');
    assert.equal(r.display_name, firedRunName('job', new Date('2024-01-01T11:00:00Z')));
    assert.equal(r.scheduled_at, '2024-01-01T11:00:00.000Z');
    assert.equal(r.state, 'PENDING');
    assert.equal(r.namespace, 'kubeflow');
    assert.deepEqual(r.runtime_config, { parameters: { x: 1 } });
    assert.deepEqual(r.pipeline_spec, spec);
    assert.deepEqual(started, [id]);
    assert.equal(db.getRecurringRun(rr.recurring_run_id)?.last_fired_at, '2024-01-01T11:00:00.000Z');
    db.close();
  });

  test('max_concurrency holds a slot back until a run finishes', () => {
    const db = open();
    const rr = recurring(db, { cron_schedule: { cron: '0 0 * * * *' } }, { max_concurrency: 1 });
    const s = scheduler(db);
    set('2024-01-01T11:00:00Z');
    const [first] = s.tick();
    set('2024-01-01T12:00:00Z');
    assert.deepEqual(s.tick(), [], 'the 11:00 run is still going');
    set('2024-01-01T12:30:00Z');
    db.updateRun(first!, { state: 'SUCCEEDED' });
    assert.equal(s.tick().length, 1);
    assert.deepEqual(scheduled(db, rr.recurring_run_id), ['11:00:00', '12:00:00'], 'the held slot fires late, for its own time');
    db.close();
  });

  test('after downtime: catch-up fires the missed slots (bounded); no_catchup only the latest', () => {
    const db = open();
    const catchUp = recurring(db, { cron_schedule: { cron: '0 0 * * * *' } }, { display_name: 'catch-up' });
    const bounded = recurring(db, { cron_schedule: { cron: '0 0 * * * *' } }, { display_name: 'bounded' });
    const latest = recurring(db, { cron_schedule: { cron: '0 0 * * * *' } }, { display_name: 'latest', no_catchup: true });
    set('2024-01-01T15:30:00Z');
    scheduler(db, 100).tick();
    assert.deepEqual(scheduled(db, catchUp.recurring_run_id), ['11:00:00', '12:00:00', '13:00:00', '14:00:00', '15:00:00']);
    assert.deepEqual(scheduled(db, latest.recurring_run_id), ['15:00:00']);
    set('2024-01-01T20:00:00Z');
    scheduler(db, 2).tick();
    assert.deepEqual(scheduled(db, bounded.recurring_run_id), ['11:00:00', '12:00:00', '13:00:00', '14:00:00', '15:00:00', '19:00:00', '20:00:00']);
    db.close();
  });

  test('a restart neither repeats nor forgets a firing', () => {
    let db = open();
    const rr = recurring(db, { periodic_schedule: { interval_second: 600 } });
    set('2024-01-01T10:40:30Z');
    scheduler(db).tick();
    assert.deepEqual(scheduled(db, rr.recurring_run_id), ['10:30:30', '10:40:30']);
    db.close();
    db = open();
    assert.deepEqual(scheduler(db).tick(), []);
    set('2024-01-01T11:00:31Z');
    scheduler(db).tick();
    assert.deepEqual(scheduled(db, rr.recurring_run_id), ['10:30:30', '10:40:30', '10:50:30', '11:00:30']);
    db.close();
  });

  test('start and end times bound the schedule', () => {
    const db = open();
    const periodic = recurring(db, { periodic_schedule: { interval_second: 600, start_time: '2024-01-01T12:00:00.000Z', end_time: '2024-01-01T12:30:00.000Z' } });
    const cron = recurring(db, { cron_schedule: { cron: '0 */20 * * * *', start_time: '2024-01-01T12:00:00.000Z' } }, { display_name: 'cron' });
    const s = scheduler(db);
    set('2024-01-01T11:59:59Z');
    assert.deepEqual(s.tick(), []);
    set('2024-01-01T13:00:00Z');
    s.tick();
    assert.deepEqual(scheduled(db, periodic.recurring_run_id), ['12:10:00', '12:20:00', '12:30:00']);
    assert.deepEqual(scheduled(db, cron.recurring_run_id), ['12:20:00', '12:40:00', '13:00:00'], 'strictly after the start time');
    db.close();
  });

  test('a disabled recurring run does not fire; enabled again with catch-up it backfills', () => {
    const db = open();
    const rr = recurring(db, { cron_schedule: { cron: '@hourly' } });
    db.setRecurringRunMode(rr.recurring_run_id, 'DISABLE');
    const s = scheduler(db);
    set('2024-01-01T12:10:00Z');
    assert.deepEqual(s.tick(), []);
    db.setRecurringRunMode(rr.recurring_run_id, 'ENABLE');
    s.tick();
    assert.deepEqual(scheduled(db, rr.recurring_run_id), ['11:00:00', '12:00:00']);
    db.close();
  });

  test('a start time already past is caught up from that time (KFP ScheduledWorkflow); no_catchup fires only the latest slot', () => {
    const db = open();
    // Created at 10:20:30 with a start at 07:00 and an hourly cron: 08:00, 09:00 and 10:00 are due at once.
    const rr = recurring(db, { cron_schedule: { cron: '0 0 * * * *', start_time: '2024-01-01T07:00:00Z' } });
    const lazy = recurring(db, { cron_schedule: { cron: '0 0 * * * *', start_time: '2024-01-01T07:00:00Z' } }, { display_name: 'lazy', no_catchup: true });
    scheduler(db).tick();
    assert.deepEqual(scheduled(db, rr.recurring_run_id), ['08:00:00', '09:00:00', '10:00:00']);
    assert.deepEqual(scheduled(db, lazy.recurring_run_id), ['10:00:00']);
  });

  test('a recurring run on a pipeline without a version runs the latest version at each firing', () => {
    const db = open();
    const { pipeline, version } = db.createPipelineAndVersion({ name: 'p', display_name: 'p', namespace: '' }, { name: 'v1', display_name: 'v1', pipeline_spec: spec });
    const follows = db.createRecurringRun({
      display_name: 'follows', namespace: '', experiment_id: db.defaultExperiment().experiment_id, pipeline_version_reference: { pipeline_id: pipeline.pipeline_id },
      runtime_config: {}, max_concurrency: 10, trigger: { cron_schedule: { cron: '@hourly' } }, mode: 'ENABLE', no_catchup: false,
    });
    const errors: string[] = [];
    const s = new RecurringRunScheduler({ db, engine: { start: () => undefined }, now, onError: (id) => errors.push(id) });
    set('2024-01-01T11:00:00Z');
    s.tick();
    const first = db.listRuns({ filter: JSON.stringify({ predicates: [{ operation: 'EQUALS', key: 'recurring_run_id', string_value: follows.recurring_run_id }] }) }).items[0];
    assert.deepEqual(first?.pipeline_version_reference, { pipeline_id: pipeline.pipeline_id, pipeline_version_id: version.pipeline_version_id });
    clock += 1000;
    const v2 = db.createVersion({ pipeline_id: pipeline.pipeline_id, name: 'v2', display_name: 'v2', pipeline_spec: { ...spec, pipelineInfo: { name: 'p2' } } });
    set('2024-01-01T12:00:00Z');
    s.tick();
    const runs = db.listRuns({ sortBy: 'scheduled_at', filter: JSON.stringify({ predicates: [{ operation: 'EQUALS', key: 'recurring_run_id', string_value: follows.recurring_run_id }] }) }).items;
    assert.equal(runs[1]?.pipeline_version_reference?.pipeline_version_id, v2.pipeline_version_id);
    assert.equal(runs[1]?.pipeline_spec.pipelineInfo.name, 'p2');
    db.deletePipeline(pipeline.pipeline_id, true);
    set('2024-01-01T13:00:00Z');
    s.tick();
    assert.ok(errors.includes(follows.recurring_run_id), 'a recurring run with nothing to run reports it');
    assert.equal(db.getRecurringRun(follows.recurring_run_id)?.last_fired_at, '2024-01-01T13:00:00.000Z', 'and moves on rather than retrying each tick');
    db.close();
  });
});
