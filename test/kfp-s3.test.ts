// S3-compatible pipeline roots (issue 23 item 4's object store) with the real kfp SDK against an embedded Floe and a
// real S3 server (moto's server mode, test/helpers/s3-server.ts): the kfp-launcher ConfigMap's defaultPipelineRoot and
// providers config and the mlpipeline-minio-artifact Secret, as KFP 2.x's launcher reads them. Artifacts written by a
// step land in the bucket (a file as one object, a folder as objects under its key) and the next step reads them back;
// a root whose credentials Secret is missing fails the run with the reason.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { FloeError } from '../src/api/errors.js';
import { startEmbeddedFloe, type EmbeddedFloe } from './helpers/embedded-floe.js';
import { s3ServerUnavailable, startS3Server, type S3Server } from './helpers/s3-server.js';

const run = promisify(execFile);
const root = fileURLToPath(new URL('../../', import.meta.url));
const python = join(root, '.venvs', 'kfp', 'bin', 'python');
const driver = join(root, 'src', 'controllers', 'pipelines', 'testdata', 'kfp_s3_roots.py');
const missing = !existsSync(python) ? `the pipelines environment is not installed at ${python}` : (s3ServerUnavailable() ?? false);
if (missing) process.stderr.write(`[kfp s3] skipped: ${missing}\n`);

interface RunView {
  run_id: string;
  state: string;
  error: string | null;
  tasks: { name: string; state: string; execution_id?: number; error: string | null; outputs: Record<string, number[] | null> }[];
}

describe('KFP pipeline roots in an S3-compatible bucket', { skip: missing }, () => {
  let env: EmbeddedFloe;
  let s3: S3Server;
  let out: Record<string, RunView>;

  before(async () => {
    s3 = await startS3Server();
    await s3.createBucket('artifacts');
    await s3.createBucket('locked');
    env = await startEmbeddedFloe('floe-kfp-s3-');
    const client = env.floe.client;
    await client.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'kubeflow' } }).catch((err: unknown) => {
      if (!(err instanceof FloeError && err.reason === 'AlreadyExists')) throw err;
    });
    // KFP's shapes: the Secret its manifests create for MinIO, and the launcher ConfigMap of the run's namespace.
    await client.create({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'mlpipeline-minio-artifact', namespace: 'kubeflow' },
      data: { accesskey: Buffer.from(s3.accessKey).toString('base64'), secretkey: Buffer.from(s3.secretKey).toString('base64') },
    });
    const secretRef = { secretName: 'mlpipeline-minio-artifact', accessKeyKey: 'accesskey', secretKeyKey: 'secretkey' };
    const provider = (extra: Record<string, unknown> = {}): Record<string, unknown> => ({
      default: { endpoint: `${s3.host}:${s3.port}`, disableSSL: true, region: s3.region, credentials: { fromEnv: false, secretRef } },
      ...extra,
    });
    const providers = {
      s3: provider({ Overrides: [{ bucketName: 'locked', keyPrefix: 'root', credentials: { fromEnv: false, secretRef: { ...secretRef, secretName: 'no-such-secret' } } }] }),
      minio: provider(),
    };
    await client.create({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'kfp-launcher', namespace: 'kubeflow' },
      data: { defaultPipelineRoot: 's3://artifacts/v2/artifacts', providers: JSON.stringify(providers) },
    });
    const work = join(env.dataDir, 'work');
    await mkdir(work, { recursive: true });
    const { stdout } = await run(python, [driver, env.floe.url, work], { maxBuffer: 16 * 1024 * 1024, env: { ...process.env, PYTHONWARNINGS: 'ignore' } });
    out = JSON.parse(stdout.trim().split('\n').pop() ?? '{}') as Record<string, RunView>;
  });

  after(async () => {
    await env?.stop();
    await s3?.stop();
  });

  const task = (r: RunView, name: string): RunView['tasks'][number] => {
    const t = r.tasks.find((x) => x.name === name);
    assert.ok(t, `task ${name} in ${r.tasks.map((x) => `${x.name}=${x.state}`).join(', ')}`);
    return t;
  };
  const get = async (path: string): Promise<Record<string, unknown>> => {
    const res = await fetch(`${env.floe.url}${path}`);
    assert.equal(res.status, 200, path);
    return (await res.json()) as Record<string, unknown>;
  };
  const consumed = async (r: RunView): Promise<unknown> => {
    const e = await get(`/mlmd/v1/executions/${String(task(r, 'consume').execution_id)}`);
    return ((e.execution ?? e) as { custom_properties?: { outputs?: { struct_value?: { Output?: unknown } } } }).custom_properties?.outputs?.struct_value?.Output;
  };
  const artifactUri = async (r: RunView, output: string): Promise<string> => {
    const id = task(r, 'produce').outputs[output]?.[0];
    const a = await get(`/mlmd/v1/artifacts/${String(id)}`);
    return String(((a.artifact ?? a) as { uri?: string }).uri);
  };
  const describeRun = (r: RunView): string => `${r.error ?? ''} ${JSON.stringify(r.tasks.map((t) => [t.name, t.state, t.error]))}`;

  test("the kfp-launcher ConfigMap's defaultPipelineRoot: artifacts land in the bucket and the next step reads them", async () => {
    const r = out.from_configmap!;
    assert.equal(r.state, 'SUCCEEDED', describeRun(r));
    assert.equal(await consumed(r), 'from the ConfigMap root|config.json,weights.bin|config.json of from the ConfigMap root');
    const data = await artifactUri(r, 'data');
    assert.match(data, new RegExp(`^s3://artifacts/v2/artifacts/s3-roots/${r.run_id}/produce/[^/]+/data$`));
    const key = data.slice('s3://artifacts/'.length);
    assert.equal((await s3.getObject('artifacts', key))?.toString(), 'from the ConfigMap root', 'the file artifact is one object');
    const model = (await artifactUri(r, 'model')).slice('s3://artifacts/'.length);
    assert.deepEqual((await s3.listKeys('artifacts', `${model}/`)).sort(), [`${model}/config.json`, `${model}/weights.bin`], 'a folder artifact is the objects under its key');
  });

  test('runtime_config.pipeline_root s3://bucket/prefix and minio://bucket/prefix with the providers config', async () => {
    const explicit = out.explicit!;
    assert.equal(explicit.state, 'SUCCEEDED', describeRun(explicit));
    assert.equal(await consumed(explicit), 'explicit root|config.json,weights.bin|config.json of explicit root');
    assert.match(await artifactUri(explicit, 'data'), /^s3:\/\/artifacts\/explicit\/s3-roots\//);
    assert.ok((await s3.listKeys('artifacts', 'explicit/s3-roots/')).length >= 3);
    const minio = out.minio!;
    assert.equal(minio.state, 'SUCCEEDED', describeRun(minio));
    assert.match(await artifactUri(minio, 'data'), /^minio:\/\/artifacts\/minio-root\/s3-roots\//);
    assert.ok((await s3.listKeys('artifacts', 'minio-root/s3-roots/')).length >= 3);
  });

  test("a root whose credentials Secret is missing fails the run, naming the root and the Secret; nothing is written", async () => {
    const r = out.no_secret!;
    assert.equal(r.state, 'FAILED');
    assert.match(r.error ?? '', /s3:\/\/locked\/root/);
    assert.match(r.error ?? '', /Secret kubeflow\/no-such-secret/);
    assert.deepEqual(await s3.listKeys('locked'), []);
  });

  test("an artifact in the bucket is served by the artifacts API: its storage, a download URL, and its bytes streamed from the bucket", async () => {
    const r = out.from_configmap!;
    const id = task(r, 'produce').outputs.data?.[0];
    const basic = await get(`/apis/v2beta1/artifacts/${String(id)}?view=DOWNLOAD`);
    const uri = await artifactUri(r, 'data');
    assert.equal(basic.uri, uri);
    assert.equal(basic.storage_provider, 's3');
    assert.equal(basic.storage_path, uri.slice('s3://'.length));
    assert.equal(basic.download_url, `/apis/v2beta1/artifacts/${String(id)}:download`);
    assert.equal(basic.artifact_size, String('from the ConfigMap root'.length));
    const res = await fetch(`${env.floe.url}${String(basic.download_url)}`);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'application/octet-stream');
    assert.equal(res.headers.get('x-content-type-options'), 'nosniff');
    assert.equal(await res.text(), 'from the ConfigMap root');
    // A folder artifact is objects under its key: no single file to download.
    const model = task(r, 'produce').outputs.model?.[0];
    assert.equal((await get(`/apis/v2beta1/artifacts/${String(model)}?view=DOWNLOAD`)).download_url, undefined, 'no download URL for a folder');
    const folder = await fetch(`${env.floe.url}/apis/v2beta1/artifacts/${String(model)}:download`);
    assert.equal(folder.status, 404);
    assert.match(((await folder.json()) as { message?: string }).message ?? '', /has no object at s3:\/\/artifacts\/.*\/model \(a folder artifact/);
  });
});
