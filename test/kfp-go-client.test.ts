// KFP's Go HTTP client for v2beta1 against an embedded Floe (issue 23 item 1: "the kfp_server_api Python client and the
// Go client must round-trip every object"). The client is generated with go-swagger, as KFP's backend/api/hack/
// generator.sh generates backend/api/v2beta1/go_http_client, from five swagger documents that
// test/kfp-go-client/swagger-from-python.py writes at build time from facts in the pinned kfp_server_api package (each
// API class's operations and parameters, each model's types, JSON names and enum values; no upstream file is carried).
// The result is built once per input hash (go-swagger's pins, the generator, the kfp pins, the program) under
// ~/.cache/floe/kfp-go-client. A small Go program (test/kfp-go-client/client) uploads, creates, gets and lists pipelines,
// versions, experiments, runs and recurring runs; for every answer this test checks that the client's models decode it
// without losing or changing a field and that the models validate (enums, date-times), and that kfp_server_api reads
// each object back the same. Skipped where Go is missing.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { FloeError } from '../src/api/errors.js';
import type { KubeObject } from '../src/api/meta.js';
import { startEmbeddedFloe, type EmbeddedFloe } from './helpers/embedded-floe.js';

const run = promisify(execFile);
const root = fileURLToPath(new URL('../../', import.meta.url));
const fixture = join(root, 'test', 'kfp-go-client');
const python = join(root, '.venvs', 'kfp', 'bin', 'python');
const driver = join(root, 'src', 'controllers', 'pipelines', 'testdata', 'kfp_go_roundtrip.py');
const cacheRoot = process.env.FLOE_CACHE_DIR ?? join(homedir(), '.cache', 'floe');
const haveGo = spawnSync('sh', ['-c', 'command -v go'], { stdio: 'ignore' }).status === 0;
const missing = !haveGo
  ? 'the Go toolchain is not on the PATH: it builds KFP\'s Go client'
  : existsSync(python) ? false : `the pipelines environment is not installed at ${python}`;
if (missing) process.stderr.write(`[kfp go client] skipped: ${missing}\n`);

// This process's own Go build cache, removed once its builds are done: the programs are cached, and go-swagger's and
// client-go's compiled packages would otherwise stay on disk (GBs) for nothing.
const goBuildCache = join(cacheRoot, 'go', `build-${process.pid}`);
const goEnv = (): NodeJS.ProcessEnv => ({ ...process.env, GOMODCACHE: join(cacheRoot, 'go', 'mod'), GOCACHE: goBuildCache, GOFLAGS: '-mod=mod', GOTOOLCHAIN: 'local', CGO_ENABLED: '0' });

function go(args: string[], cwd: string): void {
  try {
    const r = spawnSync('go', args, { cwd, env: goEnv(), stdio: ['ignore', 'inherit', 'inherit'] });
    if (r.status !== 0) throw new Error(`go ${args.join(' ')} failed in ${cwd} (exit ${r.status ?? r.signal})`);
  } finally {
    rmSync(goBuildCache, { recursive: true, force: true });
  }
}

/** go-swagger's generator (pinned in test/kfp-go-client/tools), then KFP's v2beta1 client and the program; cached. */
function buildRoundTrip(): string {
  const hash = (files: string[]): string => {
    const h = createHash('sha256');
    for (const f of files) h.update(f).update(readFileSync(join(fixture, f)));
    return h.digest('hex').slice(0, 16);
  };
  const toolsDir = join(cacheRoot, 'kfp-go-client', `swagger-${hash(['tools/go.mod', 'tools/go.sum'])}`);
  const swagger = join(toolsDir, 'swagger');
  if (!existsSync(swagger)) {
    mkdirSync(toolsDir, { recursive: true });
    process.stderr.write(`[kfp go client] building go-swagger (first time: minutes; cached in ${toolsDir})\n`);
    const tmp = `${swagger}.${process.pid}.tmp`;
    go(['build', '-trimpath', '-ldflags=-s -w', '-o', tmp, 'github.com/go-swagger/go-swagger/cmd/swagger'], join(fixture, 'tools'));
    renameSync(tmp, swagger);
  }
  // The generator's output follows from the script and the kfp_server_api it reads (pinned in the kfp environment).
  const kfpPins = join('..', '..', 'python', 'envs', 'kfp', 'requirements.txt');
  const dir = join(cacheRoot, 'kfp-go-client', hash(['tools/go.mod', 'tools/go.sum', 'client/go.mod', 'client/go.sum', 'client/main.go', 'swagger-from-python.py', kfpPins]));
  const bin = join(dir, 'kfp-go-roundtrip');
  if (existsSync(bin)) return bin;
  const work = `${dir}.${process.pid}.tmp`;
  rmSync(work, { recursive: true, force: true });
  mkdirSync(join(work, 'go_http_client'), { recursive: true });
  for (const f of ['go.mod', 'go.sum', 'main.go']) cpSync(join(fixture, 'client', f), join(work, f));
  // The swagger documents, written from kfp_server_api's facts into the build directory.
  const swaggerDir = join(work, 'swagger');
  const gen = spawnSync(python, [join(fixture, 'swagger-from-python.py'), swaggerDir], { stdio: ['ignore', 'inherit', 'inherit'] });
  if (gen.status !== 0) throw new Error(`swagger-from-python.py failed (exit ${gen.status ?? gen.signal})`);
  // The same five invocations as KFP's generator.sh for v2beta1.
  for (const [file, app] of [['recurring_run', 'recurring_run'], ['run', 'run'], ['experiment', 'experiment'], ['pipeline', 'pipeline'], ['pipeline.upload', 'pipeline_upload']] as const) {
    const r = spawnSync(swagger, ['generate', 'client', '-q', '-f', join(swaggerDir, `${file}.swagger.json`), '-A', app, '--principal', 'models.Principal', '-c', `${app}_client`, '-m', `${app}_model`, '-t', 'go_http_client'], { cwd: work, env: goEnv(), stdio: ['ignore', 'inherit', 'inherit'] });
    if (r.status !== 0) throw new Error(`swagger generate client for ${file} failed (exit ${r.status ?? r.signal})`);
  }
  go(['build', '-trimpath', '-o', 'kfp-go-roundtrip', '.'], work);
  rmSync(dir, { recursive: true, force: true });
  renameSync(work, dir);
  return bin;
}

/** client-go's typed clientset speaking protobuf (test/kfp-go-client/pvc), built once per input hash. */
function buildPvcProgram(): string {
  const h = createHash('sha256');
  for (const f of ['go.mod', 'go.sum', 'main.go']) h.update(f).update(readFileSync(join(fixture, 'pvc', f)));
  const dir = join(cacheRoot, 'kfp-go-client', `pvc-${h.digest('hex').slice(0, 16)}`);
  const bin = join(dir, 'kfp-pvc-protobuf');
  if (existsSync(bin)) return bin;
  mkdirSync(dir, { recursive: true });
  process.stderr.write(`[kfp go client] building the client-go protobuf program (first time: minutes; cached in ${dir})\n`);
  const tmp = `${bin}.${process.pid}.tmp`;
  go(['build', '-trimpath', '-ldflags=-s -w', '-o', tmp, '.'], join(fixture, 'pvc'));
  renameSync(tmp, bin);
  return bin;
}

interface Step {
  name: string;
  raw?: unknown;
  model?: unknown;
  validate: string;
  error?: string;
}

const zeroTimes = new Set(['0001-01-01T00:00:00.000Z', '0001-01-01T00:00:00Z']);
const isoTime = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/;

/**
 * What a JSON document says, whatever the encoder: empty values (which Go's `omitempty`, proto3 JSON and Python's
 * serializer each leave out differently) dropped, times compared as instants (Go writes milliseconds), the Go zero time
 * as unset.
 */
function meaning(v: unknown): unknown {
  if (v === null || v === undefined || v === '' || v === false || v === 0) return undefined;
  if (typeof v === 'string') {
    if (zeroTimes.has(v)) return undefined;
    return isoTime.test(v) ? new Date(v).toISOString() : v;
  }
  if (Array.isArray(v)) {
    const items = v.map(meaning);
    return items.length === 0 ? undefined : items;
  }
  if (typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
      const m = meaning(x);
      if (m !== undefined) out[k] = m;
    }
    return Object.keys(out).length === 0 ? undefined : out;
  }
  return v;
}

describe("KFP's Go HTTP client (v2beta1) round-trips every object Floe serves", { skip: missing }, () => {
  let env: EmbeddedFloe;
  let steps: Map<string, Step>;
  let fromPython: Record<string, unknown>;

  before(async () => {
    const bin = buildRoundTrip();
    env = await startEmbeddedFloe('floe-kfp-go-');
    const work = join(env.dataDir, 'work');
    mkdirSync(work, { recursive: true });
    const yaml = join(work, 'add.yaml');
    const json = join(work, 'add.json');
    await run(python, [driver, 'compile', yaml, json], { env: { ...process.env, PYTHONWARNINGS: 'ignore' } });
    const host = env.floe.url.replace(/^https?:\/\//, '');
    const { stdout } = await run(bin, [host, yaml, json], { maxBuffer: 64 * 1024 * 1024 });
    const report = JSON.parse(stdout.trim().split('\n').pop() ?? '{}') as { steps: Step[] };
    steps = new Map(report.steps.map((s) => [s.name, s]));
    const model = (name: string): Record<string, string> => (steps.get(name)?.model ?? {}) as Record<string, string>;
    const ids = {
      pipeline_id: model('create_pipeline').pipeline_id,
      pipeline_version_id: model('create_pipeline_version').pipeline_version_id,
      experiment_id: model('create_experiment').experiment_id,
      run_id: model('create_run').run_id,
      recurring_run_id: model('create_recurring_run').recurring_run_id,
    };
    writeFileSync(join(work, 'ids.json'), JSON.stringify(ids));
    const read = await run(python, [driver, 'read', env.floe.url, join(work, 'ids.json')], { maxBuffer: 64 * 1024 * 1024, env: { ...process.env, PYTHONWARNINGS: 'ignore' } });
    fromPython = JSON.parse(read.stdout.trim().split('\n').pop() ?? '{}') as Record<string, unknown>;
  });

  after(async () => {
    await env?.stop();
  });

  const expected = [
    'upload_pipeline', 'create_pipeline', 'get_pipeline', 'get_pipeline_by_name', 'list_pipelines',
    'create_pipeline_version', 'get_pipeline_version', 'list_pipeline_versions',
    'create_experiment', 'get_experiment', 'list_experiments',
    'create_run', 'get_run', 'list_runs',
    'create_recurring_run', 'get_recurring_run', 'list_recurring_runs',
  ];

  test('every call succeeds and its answer validates against the Go models (enums, date-times, formats)', () => {
    assert.deepEqual([...steps.keys()], expected, JSON.stringify([...steps.values()].filter((s) => s.error)));
    for (const s of steps.values()) {
      assert.equal(s.error, undefined, `${s.name}: ${s.error ?? ''}`);
      assert.equal(s.validate, '', `${s.name}: the Go model refuses the answer: ${s.validate}`);
    }
  });

  test('decoding into the Go models and encoding again loses or changes no field of any answer', () => {
    for (const s of steps.values()) assert.deepEqual(meaning(s.model), meaning(s.raw), `${s.name}: raw ${JSON.stringify(s.raw)}`);
  });

  test('what the Go client sent comes back: names, tags, inline spec, runtime parameters, recurring trigger', () => {
    const m = (name: string): Record<string, unknown> => steps.get(name)?.model as Record<string, unknown>;
    assert.deepEqual(m('upload_pipeline').tags, { client: 'go' });
    assert.equal(m('upload_pipeline').display_name, 'Go Uploaded');
    assert.deepEqual(m('create_pipeline').tags, { team: 'ml' });
    assert.equal(m('get_pipeline_by_name').pipeline_id, m('upload_pipeline').pipeline_id);
    const listed = (m('list_pipelines').pipelines as { pipeline_id: string }[]).map((p) => p.pipeline_id);
    assert.ok(listed.includes(m('create_pipeline').pipeline_id as string) && listed.includes(m('upload_pipeline').pipeline_id as string));
    const version = m('get_pipeline_version');
    assert.deepEqual(version.tags, { stage: 'one' });
    assert.equal((version.pipeline_spec as { pipelineInfo?: { name?: string } }).pipelineInfo?.name, 'go-add');
    assert.equal((m('list_pipeline_versions').pipeline_versions as unknown[]).length, 1, 'the upload made one version');
    const done = m('get_run');
    assert.equal(done.state, 'SUCCEEDED', JSON.stringify(done.error));
    assert.deepEqual((done.runtime_config as { parameters: unknown }).parameters, { a: 2, b: 5 });
    assert.equal(done.experiment_id, m('create_experiment').experiment_id);
    assert.deepEqual((m('list_runs').runs as { run_id: string }[]).map((r) => r.run_id), [done.run_id]);
    const rr = m('get_recurring_run');
    assert.equal(rr.mode, 'DISABLE');
    assert.equal(rr.max_concurrency, '2');
    assert.equal(rr.no_catchup, true);
    const periodic = (rr.trigger as { periodic_schedule: Record<string, unknown> }).periodic_schedule;
    assert.equal(periodic.interval_second, '3600');
    assert.ok(meaning(periodic.start_time) === undefined && meaning(periodic.end_time) === undefined, `the Go zero times mean unset: ${JSON.stringify(periodic)}`);
  });

  test('kfp_server_api reads every object the Go client made as the Go client reads it', () => {
    for (const name of ['get_pipeline', 'get_pipeline_version', 'get_run', 'get_recurring_run']) {
      assert.deepEqual(meaning(fromPython[name]), meaning(steps.get(name)?.model), name);
    }
    // The Go client read the experiment before its run existed; kfp_server_api reads it after.
    const { last_run_created_at: lastRun, ...experiment } = fromPython.get_experiment as Record<string, unknown>;
    assert.deepEqual(meaning(experiment), meaning(steps.get('get_experiment')?.model));
    assert.equal(meaning(lastRun), meaning((steps.get('get_run')?.model as Record<string, unknown>).created_at));
  });
});

interface PvcRun {
  run_id: string;
  state: string;
  error: string | null;
  tasks: { name: string; state: string; execution_id?: number; error: string | null }[];
}

describe('kfp-kubernetes claims made through protobuf (client-go) and by CreatePVC', { skip: missing }, () => {
  let env: EmbeddedFloe;
  let made: { created: { metadata: { name: string; namespace: string; uid?: string }; spec: { accessModes: string[]; storageClassName?: string } }; listed: number; sent: string };
  let result: PvcRun;

  before(async () => {
    const bin = buildPvcProgram();
    env = await startEmbeddedFloe('floe-kfp-pvc-');
    const work = join(env.dataDir, 'work');
    mkdirSync(work, { recursive: true });
    await env.floe.client.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'kubeflow' } }).catch((err: unknown) => {
      if (!(err instanceof FloeError && err.reason === 'AlreadyExists')) throw err;
    });
    const { stdout } = await run(bin, [env.floe.kubeconfigPath, 'kubeflow', 'given-claim']);
    made = JSON.parse(stdout.trim().split('\n').pop() ?? '{}') as typeof made;
    const ran = await run(python, [driver, 'pvc', env.floe.url, work, 'given-claim'], { maxBuffer: 16 * 1024 * 1024, env: { ...process.env, PYTHONWARNINGS: 'ignore' } });
    result = JSON.parse(ran.stdout.trim().split('\n').pop() ?? '{}') as PvcRun;
  });

  after(async () => {
    await env?.stop();
  });

  const outputs = async (name: string): Promise<Record<string, unknown>> => {
    const t = result.tasks.find((x) => x.name === name);
    assert.ok(t, `task ${name} in ${result.tasks.map((x) => `${x.name}=${x.state}`).join(', ')}`);
    const res = await fetch(`${env.floe.url}/mlmd/v1/executions/${String(t.execution_id)}`);
    const e = (await res.json()) as { execution?: unknown };
    const props = (e.execution ?? e) as { custom_properties?: { outputs?: { struct_value?: Record<string, unknown> } } };
    return props.custom_properties?.outputs?.struct_value ?? {};
  };

  test('client-go creates and lists the claim in protobuf; the default StorageClass is filled in', () => {
    assert.equal(made.sent, 'application/vnd.kubernetes.protobuf');
    assert.equal(made.created.metadata.name, 'given-claim');
    assert.ok(made.created.metadata.uid, 'the API server answered with the stored claim');
    assert.deepEqual(made.created.spec.accessModes, ['ReadWriteOnce']);
    assert.equal(made.created.spec.storageClassName, 'standard');
    assert.equal(made.listed, 1);
  });

  test('a pipeline mounts the protobuf-made claim and one CreatePVC made; data written by one task is read by the next', async () => {
    assert.equal(result.state, 'SUCCEEDED', `${result.error ?? ''} ${JSON.stringify(result.tasks.map((t) => [t.name, t.state, t.error]))}`);
    assert.deepEqual(await outputs('read-given'), { Output: 'on the protobuf claim' });
    assert.deepEqual(await outputs('read-made'), { Output: 'on the made claim' });
    const claim = await env.floe.client.get<KubeObject & { status?: { phase?: string } }>({ apiVersion: 'v1', kind: 'PersistentVolumeClaim' }, 'given-claim', 'kubeflow');
    assert.equal(claim.status?.phase, 'Bound', 'the local-path provisioner bound it');
  });
});
