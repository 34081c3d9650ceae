// Kubeflow Pipelines on a real Floe: pipelines written with the kfp SDK are compiled in Python, submitted with the real
// kfp.Client, and run as Pods by the local runtime; the tests assert what a user sees through the KFP and ML Metadata APIs,
// the artifacts on disk, and the files the components wrote.
/* eslint-disable no-restricted-imports -- tests are composition roots: they start the server that runs these controllers */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { PodRef } from '../../api/core-v1.js';
import { defaultConfig } from '../../server/config.js';
import { startFloe, type Floe } from '../../server/floe.js';
import { killRecordedProcesses } from '../../../test/helpers/kubelet-harness.js';
import { waitFor } from '../../../test/helpers/wait.js';
import { parsePipelineYaml } from './validate.js';

const run = promisify(execFile);
/** The checkout's pipelines environment (dist/src/controllers/pipelines → the root), built by tools/setup.mjs. */
const kfpPython = fileURLToPath(new URL('../../../../.venvs/kfp/bin/python', import.meta.url));
const scenarios = fileURLToPath(new URL('../../../../src/controllers/pipelines/testdata/sdk_scenarios.py', import.meta.url));
const timing = { heartbeatMs: 1000, pollMs: 50, crashLoopInitialMs: 200, crashLoopMaxMs: 800, resyncMs: 1000, configRetryMs: 200 };
const missing = existsSync(kfpPython) ? false : `the pipelines environment is not installed at ${kfpPython}: run \`node tools/setup.mjs --with-training-envs\``;

interface TaskView {
  name: string;
  state: string;
  id: string;
  parent: string | null;
  execution_id: string | number | null;
  pod: string | null;
  outputs: Record<string, number[]>;
}
interface RunView {
  run_id: string;
  state: string;
  error: string | null;
  tasks: TaskView[];
  pipeline_run_context_id: string | number | null;
}
type Json = Record<string, unknown>;

describe('Kubeflow Pipelines with the kfp SDK', { skip: missing }, () => {
  let floe: Floe;
  let dataDir: string;

  const start = async (): Promise<void> => {
    // Restarted on purpose mid-experiment/run: Pods keep running across the restart, to be re-adopted.
    floe = await startFloe({ ...defaultConfig(), dataDir, port: 0, logLevel: 'silent', runPods: true, controllers: true, kubeletTiming: timing, keepPods: true });
  };

  before(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'floe-kfp-'));
    await start();
  });

  after(async () => {
    await floe?.stop();
    killRecordedProcesses(dataDir);
    await rm(dataDir, { recursive: true, force: true });
  });

  /** Runs one scenario of sdk_scenarios.py against this Floe and returns the JSON it printed last. */
  const scenario = async <T>(name: string): Promise<{ out: T; scratch: string }> => {
    const scratch = join(dataDir, 'scratch', name);
    await mkdir(scratch, { recursive: true });
    const { stdout } = await run(kfpPython, [scenarios, floe.url, name, scratch], { maxBuffer: 16 * 1024 * 1024, env: { ...process.env, PYTHONWARNINGS: 'ignore' } });
    const last = stdout.trim().split('\n').pop() ?? '';
    return { out: JSON.parse(last) as T, scratch };
  };
  const get = async (path: string): Promise<Json> => {
    const res = await fetch(`${floe.url}${path}`);
    const body = (await res.json()) as Json;
    assert.equal(res.status, 200, `GET ${path}: ${JSON.stringify(body)}`);
    return body;
  };
  const task = (r: RunView, name: string): TaskView => {
    const t = r.tasks.find((x) => x.name === name);
    assert.ok(t, `task ${name} in ${r.tasks.map((x) => x.name).join(', ')}`);
    return t;
  };
  /** A container execution's output parameters as ML Metadata recorded them. */
  const outputs = async (t: TaskView): Promise<Json> => {
    const e = await get(`/mlmd/v1/executions/${String(t.execution_id)}`);
    const props = (e.execution ?? e) as { custom_properties?: { outputs?: { struct_value?: Json } } };
    return props.custom_properties?.outputs?.struct_value ?? {};
  };
  const execution = async (id: string | number | null): Promise<{ last_known_state?: string; custom_properties?: Json }> => {
    const e = await get(`/mlmd/v1/executions/${String(id)}`);
    return (e.execution ?? e);
  };

  test('parameters and artifacts flow between Python and container components; MLMD records the lineage', async () => {
    const { out } = await scenario<RunView>('basics');
    assert.equal(out.state, 'SUCCEEDED', out.error ?? '');
    for (const name of ['make-dataset', 'train', 'add', 'shout']) assert.equal(task(out, name).state, 'SUCCEEDED');
    // rows=5 → squares 0..16 sum to 30, times scale 2.0 = 60, plus 1.
    assert.deepEqual(await outputs(task(out, 'train')), { total: 60, lines: 5 });
    assert.deepEqual(await outputs(task(out, 'add')), { Output: 61 });
    assert.deepEqual(await outputs(task(out, 'shout')), { out: 'FLOE!' });
    // The model artifact is a file at its URI, and its lineage leads back to the dataset that trained it.
    const modelId = task(out, 'train').outputs.model?.[0];
    assert.ok(modelId !== undefined);
    const model = (await get(`/mlmd/v1/artifacts/${modelId}`));
    const artifact = (model.artifact ?? model) as { uri: string; type: string; custom_properties: Json };
    assert.equal(artifact.type, 'system.Model');
    assert.deepEqual(JSON.parse(await readFile(artifact.uri, 'utf8')), { total: 60 });
    assert.deepEqual(artifact.custom_properties.framework, { string_value: 'sum' });
    const lineage = (await get(`/mlmd/v1/lineage?artifact_id=${modelId}&direction=UPSTREAM&max_hops=4`)) as { artifacts: { type: string; custom_properties: Json }[] };
    const dataset = lineage.artifacts.find((a) => a.type === 'system.Dataset');
    assert.ok(dataset, 'the dataset is upstream of the model');
    assert.deepEqual(dataset.custom_properties.rows, { int_value: 5 });
    // The run's context holds every execution.
    const executions = (await get(`/mlmd/v1/contexts/${String(out.pipeline_run_context_id)}/executions?page_size=100`)) as { executions: unknown[] };
    assert.ok(executions.executions.length >= 5, `executions in the run context: ${executions.executions.length}`);
  });

  test('dsl.If / Elif / Else, ParallelFor with parallelism, dsl.Collected and a condition on a collected sum', async () => {
    const { out } = await scenario<Record<string, RunView> & { branches: Record<string, string>; big: boolean }>('control');
    assert.deepEqual(out.branches, { heads: 'if', tails: 'elif', edge: 'else' });
    for (const side of ['heads', 'tails', 'edge']) {
      const r = out[side]!;
      assert.equal(r.state, 'SUCCEEDED', `${side}: ${r.error ?? ''}`);
      assert.equal(r.tasks.filter((t) => t.name === 'square' && t.state === 'SUCCEEDED').length, 4, `${side}: four squares in the first loop`);
      assert.deepEqual(await outputs(task(r, 'total')), { Output: 30 });
      assert.equal(r.tasks.filter((t) => t.state === 'SKIPPED').length, 2, `${side}: two of the three branches skipped`);
    }
    assert.equal(out.big, true);
  });

  test('an exit handler runs after a failing step and receives its final status; the run fails', async () => {
    const { out } = await scenario<RunView & { final_status: { state: string; task: string; error: string } }>('exit');
    assert.equal(out.state, 'FAILED');
    assert.match(out.error ?? '', /boom/);
    assert.equal(task(out, 'boom').state, 'FAILED');
    assert.equal(task(out, 'final-status').state, 'SUCCEEDED');
    assert.equal(out.final_status.state, 'FAILED');
    assert.equal(out.final_status.task, 'exit-handler-1');
  });

  test('a failing step is retried until it succeeds, and fails the run once its retries are spent', async () => {
    const { out } = await scenario<{ ok: RunView; exhausted: RunView; attempts: Record<string, number> }>('retry');
    assert.equal(out.ok.state, 'SUCCEEDED', out.ok.error ?? '');
    assert.equal(out.attempts.a, 3, 'two failures, then success');
    assert.deepEqual(await outputs(task(out.ok, 'flaky')), { Output: 3 });
    assert.equal(out.exhausted.state, 'FAILED');
    assert.equal(out.attempts.b, 2, 'one try and one retry');
    assert.match(out.exhausted.error ?? '', /after 2 attempts/);
  });

  test('a re-run hits the cache (no Pod, MLMD state CACHED) unless its inputs change or caching is off for the step', async () => {
    const { out } = await scenario<{ first: RunView; second: RunView; third: RunView; stamps: number }>('cache');
    for (const r of [out.first, out.second, out.third]) assert.equal(r.state, 'SUCCEEDED', r.error ?? '');
    assert.equal((await execution(task(out.first, 'make-dataset').execution_id)).last_known_state, 'COMPLETE');
    for (const name of ['make-dataset', 'read-text']) {
      const cached = task(out.second, name);
      assert.equal((await execution(cached.execution_id)).last_known_state, 'CACHED', `${name} is a cache hit`);
      assert.equal(cached.pod, null, `${name} ran no Pod`);
    }
    assert.deepEqual(await outputs(task(out.second, 'read-text')), await outputs(task(out.first, 'read-text')));
    assert.equal((await execution(task(out.second, 'stamp').execution_id)).last_known_state, 'COMPLETE', 'caching off for stamp');
    assert.equal(out.stamps, 3, 'the uncached step ran in every run');
    assert.equal((await execution(task(out.third, 'make-dataset').execution_id)).last_known_state, 'COMPLETE', 'new rows: no hit');
    const pods = await floe.client.list(PodRef, { namespace: 'kubeflow', labelSelector: `pipeline/runid=${out.second.run_id}` });
    assert.equal(pods.items.length, 1, 'only the uncached step ran a Pod in the second run');
  });

  test('nested pipelines pass outputs up; an importer brings an outside file in as an artifact', async () => {
    const { out } = await scenario<RunView>('nested');
    assert.equal(out.state, 'SUCCEEDED', out.error ?? '');
    const squares = out.tasks.filter((t) => t.name === 'square');
    const values = await Promise.all(squares.map(outputs));
    assert.deepEqual(values.map((v) => v.Output).sort((a, b) => Number(a) - Number(b)), [49, 2401]);
    assert.deepEqual(await outputs(task(out, 'read-text')), { Output: 'imported,data\n' });
  });

  test("the Kubernetes platform spec (kfp-kubernetes): secrets and config maps as env, a secret as a volume", async () => {
    const secret = { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'db-credentials', namespace: 'kubeflow' }, stringData: { username: 'ada', password: 's3cret' } };
    const config = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'app-config', namespace: 'kubeflow' }, data: { mode: 'batch' } };
    await floe.client.create(secret);
    await floe.client.create(config);
    const { out } = await scenario<RunView & { env: { user: string; mode: string; file: string; pod: string } }>('platform');
    assert.equal(out.state, 'SUCCEEDED', out.error ?? '');
    assert.deepEqual({ ...out.env, pod: undefined }, { user: 'ada', mode: 'batch', file: 's3cret', pod: undefined });
    assert.equal(out.env.pod, task(out, 'show-env').pod, 'KFP_POD_NAME names the Pod');
  });

  test('terminating a run stops its running Pod and ends the run CANCELED', async () => {
    const { out } = await scenario<{ run_id: string; state: string; tasks: { name: string; state: string; pod: string }[] }>('terminate');
    assert.equal(out.state, 'CANCELED');
    assert.equal(out.tasks.find((t) => t.name === 'sleeper')?.state, 'CANCELED');
    const pods = await floe.client.list(PodRef, { namespace: 'kubeflow', labelSelector: `pipeline/runid=${out.run_id}` });
    await waitFor(async () => (await floe.client.list(PodRef, { namespace: 'kubeflow', labelSelector: `pipeline/runid=${out.run_id}` })).items.length === 0, { timeoutMs: 30_000, what: 'the Pod deleted' });
    assert.ok(pods.items.length <= 1);
  });

  test('a restart of Floe mid-run resumes the run: every step runs exactly once', async () => {
    const { out: compiled, scratch } = await scenario<Record<string, string>>('compile');
    const { spec } = parsePipelineYaml(await readFile(compiled['floe-restart']!, 'utf8'));
    const created = await fetch(`${floe.url}/apis/v2beta1/runs`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ display_name: 'restart', pipeline_spec: spec, runtime_config: { parameters: { scratch } } }),
    });
    assert.equal(created.status, 200, await created.clone().text());
    const { run_id } = (await created.json()) as { run_id: string };
    type Run = { state: string; run_details?: { task_details?: { display_name: string; state: string }[] } };
    const state = async (): Promise<Run> => (await get(`/apis/v2beta1/runs/${run_id}`)) as Run;
    await waitFor(async () => (await state()).run_details?.task_details?.some((t) => t.display_name === 'slow-stamp' && t.state === 'RUNNING'), { timeoutMs: 60_000, what: 'the slow step to start' });
    await floe.stop();
    await start();
    const done = await waitFor(async () => {
      const r = await state();
      return ['SUCCEEDED', 'FAILED', 'CANCELED'].includes(r.state) ? r : undefined;
    }, { timeoutMs: 120_000, intervalMs: 250, what: 'the resumed run to finish' });
    assert.equal(done.state, 'SUCCEEDED');
    for (const name of ['a', 'b', 'c']) {
      const lines = (await readFile(join(scratch, name), 'utf8')).trim().split('\n');
      assert.equal(lines.length, 1, `step ${name} ran once`);
    }
  });

  test('bad input gets a clear 400 and stores nothing', async () => {
    const { out } = await scenario<{ errors: Record<string, { status: number; body: string } | null>; pipelines: string[]; runs: string[] }>('bad');
    const unknown = out.errors.unknown_component;
    assert.ok(unknown, 'uploading a pipeline that names an unknown component fails');
    assert.equal(unknown.status, 400);
    assert.match(unknown.body, /comp-trian/);
    assert.ok(!out.pipelines.includes('broken-pipeline'));
    assert.equal(out.errors.wrong_type?.status, 400);
    assert.match(out.errors.wrong_type?.body ?? '', /runtime_config\.parameters\.rows: must be an integer/);
    assert.equal(out.errors.missing_parameter?.status, 400);
    assert.match(out.errors.missing_parameter?.body ?? '', /runtime_config\.parameters\.x: required/);
    assert.equal(out.errors.unknown_parameter?.status, 400);
    assert.match(out.errors.unknown_parameter?.body ?? '', /nope/);
    assert.deepEqual(out.runs, [], 'no run was stored');
  });

  test('a recurring run fires on its interval, at most one at a time, until disabled', async () => {
    const { out } = await scenario<{ recurring_run_id: string; experiment_id: string }>('recurring');
    const runs = await waitFor(
      async () => {
        const list = (await get(`/apis/v2beta1/runs?experiment_id=${out.experiment_id}&page_size=100`)) as { runs?: { state: string; recurring_run_id?: string }[] };
        const done = (list.runs ?? []).filter((r) => r.recurring_run_id === out.recurring_run_id && r.state === 'SUCCEEDED');
        return done.length >= 2 ? done : undefined;
      },
      { timeoutMs: 120_000, intervalMs: 500, what: 'two runs of the recurring run' },
    );
    assert.ok(runs.length >= 2);
    const res = await fetch(`${floe.url}/apis/v2beta1/recurringruns/${out.recurring_run_id}:disable`, { method: 'POST' });
    assert.equal(res.status, 200);
    const rr = await get(`/apis/v2beta1/recurringruns/${out.recurring_run_id}`);
    assert.equal(rr.status, 'DISABLED');
  });
});
