// The KFP REST API driven by the real kfp.Client (kfp 2.x, from .venvs/kfp), and bad input sent to it directly.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { PipelineDb } from './db.js';
import { kfpApiRoute } from './rest.js';
import type { RunEngine } from './types.js';

const python = fileURLToPath(new URL('../../../../.venvs/kfp/bin/python', import.meta.url));
const driver = fileURLToPath(new URL('../../../../src/controllers/pipelines/testdata/kfp_client_drive.py', import.meta.url));
const noKfp = existsSync(python) ? false : `.venvs/kfp is not installed (${python}): tools/setup.mjs --with-training-envs builds it`;

/**
 * Checks what the real validator will (an object IR with a name and a root DAG) plus the pipeline's required inputs;
 * a pipeline named "bad-pipeline" always fails, so that a test can send one.
 */
function testValidate(spec: unknown, _platform: unknown, parameters?: Record<string, unknown>): string[] {
  const s = spec as { pipelineInfo?: { name?: string }; root?: { dag?: unknown; inputDefinitions?: { parameters?: Record<string, { isOptional?: boolean; defaultValue?: unknown }> } } };
  const problems: string[] = [];
  if (!s.pipelineInfo?.name) problems.push('pipelineInfo.name: required');
  if (s.pipelineInfo?.name === 'bad-pipeline') problems.push('root.dag.tasks.t.componentRef.name: component "comp-missing" does not exist');
  if (!s.root?.dag) problems.push('root.dag: required');
  if (parameters) {
    for (const [name, def] of Object.entries(s.root?.inputDefinitions?.parameters ?? {})) {
      if (!def.isOptional && def.defaultValue === undefined && !(name in parameters)) problems.push(`runtime_config.parameters.${name}: required by the pipeline`);
    }
  }
  return problems;
}

/** An engine that only records what it is asked: start() leaves the run PENDING; terminate() ends it CANCELED. */
function recordingEngine(db: PipelineDb): RunEngine & { started: string[]; terminated: string[]; retried: string[] } {
  const e = {
    started: [] as string[],
    terminated: [] as string[],
    retried: [] as string[],
    start: (id: string) => void e.started.push(id),
    terminate: async (id: string) => {
      e.terminated.push(id);
      db.updateRun(id, { state: 'CANCELED', finished_at: new Date().toISOString() });
      return Promise.resolve();
    },
    retry: async (id: string) => {
      e.retried.push(id);
      return Promise.resolve();
    },
  };
  return e;
}

const tinySpec = {
  pipelineInfo: { name: 'tiny' },
  root: { dag: { tasks: {} }, inputDefinitions: { parameters: { n: { parameterType: 'NUMBER_INTEGER' } } } },
  schemaVersion: '2.1.0',
  sdkVersion: 'kfp-2.17.3',
};

describe('KFP REST API v2beta1', () => {
  let dir: string;
  let db: PipelineDb;
  let server: Server;
  let base: string;
  let engine: ReturnType<typeof recordingEngine>;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'floe-kfp-rest-'));
    db = new PipelineDb({ path: join(dir, 'pipelines.db') });
    engine = recordingEngine(db);
    const route = kfpApiRoute({ db, engine, validate: testValidate });
    server = createServer((req, res) => {
      void route(req, res, new URL(req.url ?? '/', 'http://localhost')).then((handled) => {
        if (!handled) {
          res.writeHead(404);
          res.end();
        }
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  after(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function call(method: string, path: string, body?: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
    const r = await fetch(`${base}/apis/v2beta1${path}`, { method, ...(body === undefined ? {} : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }) });
    return { status: r.status, json: (await r.json()) as Record<string, unknown> };
  }

  test('kfp.Client works unchanged', { skip: noKfp, timeout: 180_000 }, async () => {
    const outFile = join(dir, 'client.json');
    const home = join(dir, 'home');
    const code = await new Promise<number>((resolve, reject) => {
      const p = spawn(python, [driver, base, dir, outFile], { env: { ...process.env, HOME: home, PYTHONWARNINGS: 'ignore' }, stdio: ['ignore', 'pipe', 'pipe'] });
      let log = '';
      p.stdout.on('data', (d: Buffer) => (log += d.toString()));
      p.stderr.on('data', (d: Buffer) => (log += d.toString()));
      p.on('error', reject);
      p.on('exit', (c) => {
        if (c !== 0) console.error(log);
        resolve(c ?? 1);
      });
    });
    assert.equal(code, 0, 'the kfp.Client script failed (its output is above)');
    const out = JSON.parse(readFileSync(outFile, 'utf8')) as unknown;
    const at = (path: string): unknown => path.split('.').reduce<unknown>((o, k) => (o !== null && typeof o === 'object' ? (o as Record<string, unknown>)[k] : undefined), out);
    const list = (path: string): Record<string, unknown>[] => (at(path) ?? []) as Record<string, unknown>[];
    const pluck = (path: string, key: string): unknown[] => list(path).map((x) => x[key]);
    const find = (path: string, key: string, value: string): Record<string, unknown> => list(path).find((x) => x[key] === value) ?? {};

    assert.equal(at('namespace'), '');
    assert.equal(at('healthz.multi_user'), false);
    assert.equal(at('pipeline.name'), 'add-pipeline');
    assert.equal(at('pipeline.display_name'), 'add-pipeline');
    assert.equal(at('pipeline.description'), 'first upload');
    assert.equal(at('upload_duplicate.status'), 409);
    assert.equal(at('upload_duplicate.body.code'), 6);
    assert.equal(at('v2.name'), 'v2');
    assert.equal(at('v2.pipeline_spec.pipelineInfo.name'), 'add-pipeline', 'the tar.gz package is read');
    assert.equal(at('v3.pipeline_spec.platform_spec.platforms.kubernetes.deploymentSpec.executors.exec-add.nodeSelector.labels.disk'), 'ssd');
    assert.equal(at('v3.pipeline_spec.pipeline_spec.pipelineInfo.name'), 'add-pipeline');
    assert.equal(at('version_duplicate.status'), 409);
    assert.equal(at('get_pipeline_id'), at('pipeline.pipeline_id'));
    assert.equal(at('get_pipeline_id_missing'), null);
    assert.equal(at('get_pipeline.pipeline_id'), at('pipeline.pipeline_id'));
    assert.equal(at('list_pipelines.total_size'), 1);
    assert.deepEqual(pluck('list_versions.pipeline_versions', 'name'), ['v3-platform', 'v2', 'add-pipeline']);
    assert.equal(at('get_v3.pipeline_version_id'), at('v3.pipeline_version_id'));

    assert.equal(at('experiment.display_name'), 'exp-a');
    assert.equal(at('experiment_again.experiment_id'), at('experiment.experiment_id'));
    assert.equal(at('get_experiment_by_name.experiment_id'), at('experiment.experiment_id'));
    assert.deepEqual(pluck('list_experiments.experiments', 'display_name').sort(), ['Default', 'exp-a']);
    assert.ok(find('list_experiments.experiments', 'display_name', 'exp-a').last_run_created_at);

    const [id1, id2, id3, id4] = at('run_ids') as string[];
    assert.equal(at('run1.state'), 'PENDING');
    assert.equal(at('run1.display_name'), 'run-1');
    assert.equal(at('run1.experiment_id'), find('list_experiments.experiments', 'display_name', 'Default').experiment_id);
    assert.equal(at('run1.runtime_config.parameters.x'), 5);
    assert.equal(at('run1.pipeline_spec.pipelineInfo.name'), 'add-pipeline');
    assert.equal(at('run1.state_history.0.state'), 'PENDING');
    assert.deepEqual(at('run1.run_details.task_details'), []);
    assert.deepEqual(at('run2.pipeline_version_reference'), { pipeline_id: at('pipeline.pipeline_id'), pipeline_version_id: at('v2.pipeline_version_id') });
    assert.equal(at('run2.pipeline_spec'), null);
    assert.equal(at('run3.pipeline_spec.platform_spec.platforms.kubernetes.deploymentSpec.executors.exec-add.nodeSelector.labels.disk'), 'ssd');
    assert.equal(at('run3.pipeline_spec.pipeline_spec.root.dag.tasks.add.cachingOptions.enableCache') ?? false, false);
    assert.deepEqual(engine.started.slice(0, 4), [id1, id2, id3, id4]);

    assert.equal(at('runs_page1.total_size'), 4);
    assert.deepEqual(pluck('runs_page1.runs', 'display_name'), ['run-4', 'run-3', 'run-2']);
    assert.deepEqual(pluck('runs_page2.runs', 'display_name'), ['run-1']);
    assert.equal(at('runs_page2.next_page_token'), null);
    assert.deepEqual(pluck('runs_in_exp.runs', 'display_name'), ['run-2', 'run-3', 'run-4']);
    assert.deepEqual(pluck('runs_filter_string_op.runs', 'run_id'), [id2]);
    assert.deepEqual(pluck('runs_filter_numeric_op.runs', 'display_name'), ['run-4', 'run-3', 'run-2', 'run-1']);
    assert.deepEqual(pluck('runs_filter_in.runs', 'display_name').sort(), ['run-1', 'run-4']);
    assert.equal(at('runs_filter_bad_key.status'), 400);
    assert.match(String(at('runs_filter_bad_key.body.message')), /unknown key "colour"/);

    assert.equal(at('run1_archived'), 'ARCHIVED');
    assert.equal(at('runs_available.total_size'), 3);
    assert.equal(at('run1_unarchived'), 'AVAILABLE');
    assert.equal(at('run2_terminated'), 'CANCELED');
    assert.deepEqual(engine.terminated, [id2, id4], 'deleting the unfinished run-4 terminated it first');
    assert.equal(at('missing_param.status'), 400);
    assert.match(String(at('missing_param.body.message')), /runtime_config\.parameters\.n/);
    assert.equal(at('unknown_version.status'), 404);
    assert.equal(at('unknown_run.status'), 404);
    assert.equal(at('unknown_run.body.code'), 5);

    assert.equal(at('cron.trigger.cron_schedule.cron'), '0 0 * * * *');
    assert.equal(at('cron.max_concurrency'), '2');
    assert.equal(at('cron.status'), 'ENABLED');
    assert.equal(at('cron.mode'), 'ENABLE');
    assert.ok(at('cron.pipeline_version_reference'));
    assert.equal(at('interval.trigger.periodic_schedule.interval_second'), '3600');
    assert.equal(at('interval.no_catchup'), true);
    assert.equal(at('interval.status'), 'DISABLED');
    assert.equal(at('interval.runtime_config.parameters.y'), 7);
    assert.equal(at('interval.pipeline_spec.pipelineInfo.name'), 'add-pipeline');
    assert.equal(at('bad_cron.status'), 400);
    assert.match(String(at('bad_cron.body.message')), /cron_schedule\.cron: seconds: 61 is above the maximum 59/);
    assert.deepEqual(pluck('list_recurring.recurring_runs', 'display_name'), ['every-hour', 'hourly']);
    assert.equal(at('cron_disabled.status'), 'DISABLED');
    assert.equal(at('interval_enabled'), 'ENABLED');
    assert.equal(at('recurring_after_delete.recurring_runs'), null);

    assert.equal(at('run4_deleted.status'), 404);
    assert.equal(at('delete_pipeline_with_versions.status'), 400);
    assert.equal(at('delete_pipeline_with_versions.body.code'), 9);
    assert.equal(at('pipelines_after_delete.pipelines'), null);
    assert.equal(at('exp_archived'), 'ARCHIVED');
    assert.equal(at('run3_after_exp_archive'), 'ARCHIVED');
    assert.equal(at('exp_deleted.status'), 404);
    assert.equal(at('from_func'), 'from-func');
    assert.equal(at('from_func_pipeline'), 'from-func-pipeline');
    assert.equal(at('zip_pipeline.pipeline_spec.pipelineInfo.name'), 'add-pipeline', 'the zip package is read');
  });

  test('a run with an invalid spec, a missing parameter or an unknown version is refused and nothing is stored', async () => {
    const before = db.listRuns({}).total_size;
    const started = engine.started.length;
    const bad = await call('POST', '/runs', { display_name: 'bad', pipeline_spec: { ...tinySpec, pipelineInfo: { name: 'bad-pipeline' } }, runtime_config: { parameters: { n: 1 } } });
    assert.equal(bad.status, 400);
    assert.equal(bad.json.code, 3);
    assert.match(String(bad.json.message), /componentRef\.name/);
    assert.equal(typeof bad.json.error_message, 'string');
    assert.deepEqual(bad.json.details, []);

    const missing = await call('POST', '/runs', { display_name: 'missing', pipeline_spec: tinySpec });
    assert.equal(missing.status, 400);
    assert.match(String(missing.json.message), /runtime_config\.parameters\.n: required/);

    const noName = await call('POST', '/runs', { pipeline_spec: tinySpec, runtime_config: { parameters: { n: 1 } } });
    assert.equal(noName.status, 400);
    assert.match(String(noName.json.message), /run\.display_name: required/);

    const unknownVersion = await call('POST', '/runs', { display_name: 'x', pipeline_version_reference: { pipeline_id: 'nope', pipeline_version_id: 'nope' } });
    assert.equal(unknownVersion.status, 404);
    const unknownPipeline = await call('POST', '/runs', { display_name: 'x', pipeline_version_reference: { pipeline_id: 'nope' } });
    assert.equal(unknownPipeline.status, 404);
    const unknownExperiment = await call('POST', '/runs', { display_name: 'x', experiment_id: 'nope', pipeline_spec: tinySpec, runtime_config: { parameters: { n: 1 } } });
    assert.equal(unknownExperiment.status, 404);
    const unknownField = await call('POST', '/runs', { display_name: 'x', pipeline_spec: tinySpec, colour: 'red' });
    assert.equal(unknownField.status, 400);
    assert.match(String(unknownField.json.message), /unknown field "colour"/);
    const notJson = await fetch(`${base}/apis/v2beta1/runs`, { method: 'POST', body: '{not json' });
    assert.equal(notJson.status, 400);

    assert.equal(db.listRuns({}).total_size, before);
    assert.equal(engine.started.length, started);

    const ok = await call('POST', '/runs', { display_name: 'ok', pipeline_spec: tinySpec, runtime_config: { parameters: { n: 1 } } });
    assert.equal(ok.status, 200);
    assert.equal(ok.json.state, 'PENDING');
    assert.equal(db.getRun(String(ok.json.run_id))?.state, 'PENDING');
  });

  test('versions: inline spec and invalid spec; pipelines: create, names, patch, cascade delete', async () => {
    const p = await call('POST', '/pipelines', { display_name: 'inline-pipe', description: 'd' });
    assert.equal(p.status, 200);
    const pid = String(p.json.pipeline_id);
    assert.equal(p.json.name, 'inline-pipe');
    const dup = await call('POST', '/pipelines', { name: 'inline-pipe' });
    assert.equal(dup.status, 409);
    assert.equal(dup.json.code, 6);

    const badVersion = await call('POST', `/pipelines/${pid}/versions`, { name: 'v-bad', pipeline_spec: { ...tinySpec, pipelineInfo: { name: 'bad-pipeline' } } });
    assert.equal(badVersion.status, 400);
    assert.equal((await call('GET', `/pipelines/${pid}/versions`)).json.pipeline_versions, undefined, 'nothing stored');
    const v = await call('POST', `/pipelines/${pid}/versions`, { display_name: 'v1', pipeline_spec: tinySpec });
    assert.equal(v.status, 200);
    assert.equal(v.json.name, 'v1');
    assert.deepEqual(v.json.pipeline_spec, tinySpec);
    const noSource = await call('POST', `/pipelines/${pid}/versions`, { name: 'v2' });
    assert.equal(noSource.status, 400);
    assert.match(String(noSource.json.message), /pipeline_spec or package_url\.pipeline_url is required/);
    const unknownPipeline = await call('POST', '/pipelines/nope/versions', { name: 'v', pipeline_spec: tinySpec });
    assert.equal(unknownPipeline.status, 404);

    const both = await call('POST', '/pipelines/create', { pipeline: { name: 'pair' }, pipeline_version: { name: 'pair-v1', pipeline_spec: { pipeline_spec: tinySpec, platform_spec: { platforms: { kubernetes: {} } } } } });
    assert.equal(both.status, 200);
    const pairVersions = await call('GET', `/pipelines/${String(both.json.pipeline_id)}/versions`);
    assert.deepEqual(((pairVersions.json.pipeline_versions as Record<string, unknown>[])[0]!.pipeline_spec as Record<string, unknown>).platform_spec, { platforms: { kubernetes: {} } });
    const pairRun = await call('POST', '/runs', { display_name: 'pair-run', pipeline_version_reference: { pipeline_id: both.json.pipeline_id }, runtime_config: { parameters: { n: 1 } } });
    assert.deepEqual(db.getRun(String(pairRun.json.run_id))?.platform_spec, { platforms: { kubernetes: {} } }, 'a run from a version keeps its platform spec');

    const byName = await call('GET', '/pipelines/names/inline-pipe');
    assert.equal(byName.json.pipeline_id, pid);
    assert.equal((await call('GET', '/pipelines/names/nope')).status, 404);
    const patched = await call('PATCH', `/pipelines/${pid}`, { display_name: 'Inline Pipe' });
    assert.equal(patched.json.display_name, 'Inline Pipe');

    // A run from the pipeline alone runs its latest version.
    const run = await call('POST', '/runs', { display_name: 'latest', pipeline_version_reference: { pipeline_id: pid }, runtime_config: { parameters: { n: 2 } } });
    assert.equal(run.status, 200);
    assert.deepEqual(run.json.pipeline_version_reference, { pipeline_id: pid, pipeline_version_id: v.json.pipeline_version_id });

    assert.equal((await call('DELETE', `/pipelines/${pid}`)).status, 400);
    assert.equal((await call('DELETE', `/pipelines/${pid}?cascade=true`)).status, 200);
    assert.equal((await call('GET', `/pipelines/${pid}`)).status, 404);
    assert.equal(db.getVersion(String(v.json.pipeline_version_id)), undefined);
    assert.equal(db.getRun(String(run.json.run_id))?.pipeline_spec.pipelineInfo.name, 'tiny', 'a run keeps its spec after its version is gone');
  });

  test('experiments, runs :retry, bad list options, unknown paths', async () => {
    const e = await call('POST', '/experiments', { display_name: 'exp-rest' });
    assert.equal(e.status, 200);
    assert.equal(e.json.storage_state, 'AVAILABLE');
    assert.equal((await call('POST', '/experiments', { display_name: 'exp-rest' })).status, 409);
    assert.equal((await call('POST', '/experiments', { description: 'no name' })).status, 400);
    const def = db.defaultExperiment();
    const delDefault = await call('DELETE', `/experiments/${def.experiment_id}`);
    assert.equal(delDefault.status, 400);

    const run = await call('POST', '/runs', { display_name: 'to-retry', experiment_id: e.json.experiment_id, pipeline_spec: tinySpec, runtime_config: { parameters: { n: 1 } } });
    const runId = String(run.json.run_id);
    const early = await call('POST', `/runs/${runId}:retry`);
    assert.equal(early.status, 400);
    assert.equal(early.json.code, 9);
    db.updateRun(runId, { state: 'FAILED' });
    assert.equal((await call('POST', `/runs/${runId}:retry`)).status, 200);
    assert.deepEqual(engine.retried, [runId]);
    assert.equal((await call('POST', `/runs/${runId}:terminate`)).status, 400, 'a finished run cannot be terminated');

    const badSort = await call('GET', '/runs?sort_by=colour%20desc');
    assert.equal(badSort.status, 400);
    assert.match(String(badSort.json.message), /sort_by: unknown field "colour"/);
    const badOp = await call('GET', `/runs?filter=${encodeURIComponent(JSON.stringify({ predicates: [{ operation: 'LIKE', key: 'display_name', string_value: 'x' }] }))}`);
    assert.equal(badOp.status, 400);
    assert.match(String(badOp.json.message), /operation: unknown operation "LIKE"/);
    const badToken = await call('GET', '/runs?page_token=garbage');
    assert.equal(badToken.status, 400);

    const recurring = await call('POST', '/recurringruns', { display_name: 'r', pipeline_spec: tinySpec, runtime_config: { parameters: { n: 1 } }, trigger: { periodic_schedule: { interval_second: '0' } } });
    assert.equal(recurring.status, 400);
    assert.match(String(recurring.json.message), /interval_second: must be at least 1/);
    const both = await call('POST', '/recurringruns', { display_name: 'r', pipeline_spec: tinySpec, trigger: { cron_schedule: { cron: '@daily' }, periodic_schedule: { interval_second: 5 } } });
    assert.equal(both.status, 400);
    const camel = await call('POST', '/recurringruns', { displayName: 'camel', pipelineSpec: tinySpec, runtimeConfig: { parameters: { n: 1 } }, maxConcurrency: '3', trigger: { cronSchedule: { cron: '@every 90s' } } });
    assert.equal(camel.status, 200, JSON.stringify(camel.json));
    assert.equal(camel.json.max_concurrency, '3');
    // The Go client sends unset times as 0001-01-01T00:00:00Z: they mean "none", not a window from year 1.
    const goZero = await call('POST', '/recurringruns', {
      display_name: 'go-client',
      pipeline_spec: tinySpec,
      runtime_config: { parameters: { n: 1 } },
      trigger: { periodic_schedule: { interval_second: '3600', start_time: '0001-01-01T00:00:00Z', end_time: '0001-01-01T00:00:00Z' } },
    });
    assert.equal(goZero.status, 200, JSON.stringify(goZero.json));
    assert.deepEqual(goZero.json.trigger, { periodic_schedule: { interval_second: '3600' } });
    const noTrigger = await call('POST', '/recurringruns', { display_name: 'r', pipeline_spec: tinySpec, runtime_config: { parameters: { n: 1 } } });
    assert.equal(noTrigger.status, 400);
    assert.match(String(noTrigger.json.message), /API Trigger cannot be nil/);

    assert.equal((await call('GET', '/nothing-here')).status, 404);
    assert.equal((await call('PUT', '/runs')).status, 405);
    assert.equal((await call('GET', '/healthz')).json.multi_user, false);
  });
});
