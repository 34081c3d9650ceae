// Issue 23 item 4, the data path: KFP tasks with artifacts and outputs on a cluster. `floe controllers` (its own
// process and data folder) drives a Floe that serves the Kubernetes API and runs Pods in runc containers (the node),
// with a pipeline root in a real S3 server (moto). The controllers share no folder with the node: each task's in-Pod
// launcher (python/floe_kfp_launcher.py) downloads the inputs, runs the component, uploads the outputs and stores the
// report the engine reads. The real kfp.Client compiles and submits; the Pods run the KFP image (test/helpers/kfp-image).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { Pod } from '../src/api/core-v1.js';
import { defaultConfig } from '../src/server/config.js';
import { startFloe, type Floe } from '../src/server/floe.js';
import { floeImageLoad, writeTestImage } from './helpers/container-image.js';
import { ensureKfpImage, kfpImageSkipReason, kfpVenv } from './helpers/kfp-image.js';
import { killRecordedProcesses, testTiming } from './helpers/kubelet-harness.js';
import { s3ServerUnavailable, startS3Server, type S3Server } from './helpers/s3-server.js';
import { waitFor } from './helpers/wait.js';
import { freePort, stopChild } from './helpers/run-process.js';

const run = promisify(execFile);
const root = fileURLToPath(new URL('../..', import.meta.url));
const cli = join(root, 'dist', 'src', 'cli', 'main.js');
const driver = join(root, 'src', 'controllers', 'pipelines', 'testdata', 'kfp_cluster_launcher.py');
const token = 'cluster-launcher-admin-token';
const bareImage = 'floe.test/hello:v1';
const skip = kfpImageSkipReason() || s3ServerUnavailable() || false;
if (skip) process.stderr.write(`[kfp cluster launcher] skipped: ${skip}\n`);

interface RunView {
  run_id: string;
  state: string;
  error: string | null;
  tasks: { name: string; state: string; execution_id?: number; error: string | null; pod?: string; outputs: Record<string, number[] | null> }[];
}


describe('KFP tasks with artifacts on a cluster: the in-Pod launcher and an S3 pipeline root', { skip }, () => {
  let s3: S3Server;
  let node: Floe;
  let nodeDir: string;
  let controllersDir: string;
  let controllers: ChildProcess | undefined;
  let host = '';
  let out: Record<'artifacts' | 'fails' | 'local_root' | 'missing_input' | 'no_python' | 'workspace' | 'workspace_no_modes', RunView>;
  let imageName = '';

  before(async () => {
    const image = ensureKfpImage();
    imageName = image.name;
    s3 = await startS3Server();
    await s3.createBucket('artifacts');
    nodeDir = mkdtempSync(join(tmpdir(), 'floe-cluster-node-'));
    controllersDir = mkdtempSync(join(tmpdir(), 'floe-cluster-controllers-'));
    floeImageLoad(nodeDir, image.layout);
    // An image with a shell and no Python, which the launcher cannot run in.
    await writeTestImage(join(controllersDir, 'bare'), bareImage);
    floeImageLoad(nodeDir, join(controllersDir, 'bare'));
    // The "cluster": an API server and a node that runs Pods in containers, with a token the controllers sign in with.
    node = await startFloe({ ...defaultConfig(), dataDir: nodeDir, port: 0, logLevel: 'silent', runPods: true, controllers: false, images: [], token, kubeletTiming: testTiming });
    const client = node.client;
    await client.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'kubeflow' } });
    await client.create({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'mlpipeline-minio-artifact', namespace: 'kubeflow' },
      stringData: { accesskey: s3.accessKey, secretkey: s3.secretKey },
    });
    const secretRef = { secretName: 'mlpipeline-minio-artifact', accessKeyKey: 'accesskey', secretKeyKey: 'secretkey' };
    const providers = { s3: { default: { endpoint: `${s3.host}:${s3.port}`, disableSSL: true, region: s3.region, credentials: { fromEnv: false, secretRef } } } };
    await client.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'kfp-launcher', namespace: 'kubeflow' }, data: { defaultPipelineRoot: 's3://artifacts/v2/artifacts', providers: JSON.stringify(providers) } });

    const port = await freePort();
    const kubeconfig = join(nodeDir, 'kubeconfig');
    controllers = spawn(process.execPath, [cli, 'controllers', '--kubeconfig', kubeconfig, '--identity', 'kfp-launcher-test', '--log-level', 'error', '--katib-db', join(controllersDir, 'katib.db'), '--katib-listen', `127.0.0.1:${port}`], { stdio: ['ignore', 'ignore', 'inherit'] });
    host = `http://127.0.0.1:${port}`;
    await waitFor(async () => {
      const res = await fetch(`${host}/apis/v2beta1/healthz`, { headers: { authorization: `Bearer ${token}` } }).catch(() => undefined);
      return res?.status === 200;
    }, { what: 'the KFP API of floe controllers', timeoutMs: 120_000 });
    const work = join(controllersDir, 'work');
    mkdirSync(work);
    const python = join(kfpVenv, 'bin', 'python');
    const { stdout } = await run(python, [driver, host, token, work, imageName, kfpVenv, bareImage], { maxBuffer: 16 * 1024 * 1024, env: { ...process.env, PYTHONWARNINGS: 'ignore' } });
    out = JSON.parse(stdout.trim().split('\n').pop() ?? '{}') as typeof out;
  }, { timeout: 3_600_000 });

  after(async () => {
    await stopChild(controllers);
    await node?.stop();
    await s3?.stop();
    if (nodeDir) {
      killRecordedProcesses(nodeDir);
      rmSync(nodeDir, { recursive: true, force: true });
    }
    if (controllersDir) rmSync(controllersDir, { recursive: true, force: true });
  });

  const task = (r: RunView, name: string): RunView['tasks'][number] => {
    const t = r.tasks.find((x) => x.name === name);
    assert.ok(t, `task ${name} in ${r.tasks.map((x) => `${x.name}=${x.state}`).join(', ')}`);
    return t;
  };
  const describeRun = (r: RunView): string => `${r.error ?? ''} ${JSON.stringify(r.tasks.map((t) => [t.name, t.state, t.error]))}`;
  const get = async (path: string): Promise<Record<string, unknown>> => {
    const res = await fetch(`${host}${path}`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(res.status, 200, path);
    return (await res.json()) as Record<string, unknown>;
  };
  const outputsOf = async (r: RunView, name: string): Promise<Record<string, unknown> | undefined> => {
    const e = await get(`/mlmd/v1/executions/${String(task(r, name).execution_id)}`);
    return ((e.execution ?? e) as { custom_properties?: { outputs?: { struct_value?: Record<string, unknown> } } }).custom_properties?.outputs?.struct_value;
  };
  const artifactOf = async (r: RunView, name: string, output: string): Promise<{ uri: string; metadata: Record<string, unknown> }> => {
    const id = task(r, name).outputs[output]?.[0];
    const a = (await get(`/mlmd/v1/artifacts/${String(id)}`)) as { artifact?: { uri?: string; custom_properties?: Record<string, unknown> }; uri?: string; custom_properties?: Record<string, unknown> };
    const artifact = a.artifact ?? a;
    return { uri: String(artifact.uri), metadata: artifact.custom_properties ?? {} };
  };

  test('the run succeeds: parameters and artifacts (a file, a folder, artifact metadata) pass between Pods through the bucket', async () => {
    const r = out.artifacts;
    assert.equal(r.state, 'SUCCEEDED', describeRun(r));
    const produced = await outputsOf(r, 'produce');
    assert.deepEqual(produced, { count: 21, where: 'container' }, 'the component ran in its container, not on the host');
    assert.deepEqual(await outputsOf(r, 'consume'), { Output: 'hello from the bucket|config.json,weights/layer0.bin|21|4' });
    assert.deepEqual(await outputsOf(r, 'read'), { Output: 'HELLO FROM THE BUCKET' }, 'the container component read its input and wrote its output by path');
  });

  test('the artifacts are objects under the root, with the bytes the components wrote; nothing is left on the controllers\' machine', async () => {
    const r = out.artifacts;
    const data = await artifactOf(r, 'produce', 'data');
    assert.match(data.uri, new RegExp(`^s3://artifacts/v2/artifacts/cluster-artifacts/${r.run_id}/produce/[^/]+/data$`));
    assert.equal((await s3.getObject('artifacts', data.uri.slice('s3://artifacts/'.length)))?.toString(), 'hello from the bucket');
    assert.match(JSON.stringify(data.metadata), /"rows"/, 'the metadata the component set on its artifact');
    const model = (await artifactOf(r, 'produce', 'model')).uri.slice('s3://artifacts/'.length);
    assert.deepEqual((await s3.listKeys('artifacts', `${model}/`)).sort(), [`${model}/config.json`, `${model}/weights/layer0.bin`]);
    const loud = (await artifactOf(r, 'shout', 'loud')).uri.slice('s3://artifacts/'.length);
    assert.equal((await s3.getObject('artifacts', loud))?.toString(), 'HELLO FROM THE BUCKET');
    // The controllers' folder holds their databases, never a task's files.
    const walk = (dir: string): string[] => readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(join(dir, e.name)) : [join(dir, e.name)]));
    const files = walk(controllersDir).filter((f) => !f.startsWith(join(controllersDir, 'work')) && !f.startsWith(join(controllersDir, 'bare')));
    assert.deepEqual(files.filter((f) => /executor_output|output_metadata|kfp_outputs|\/runs\//.test(f)), [], files.join('\n'));
  });

  test("each task Pod mounts nothing of a host, runs the component under the launcher, and gets the bucket's credentials only as Secret references", async () => {
    const r = out.artifacts;
    const pods = (await node.client.list<Pod>({ apiVersion: 'v1', kind: 'Pod' }, { namespace: 'kubeflow', labelSelector: `pipeline/runid=${r.run_id}` })).items;
    assert.equal(pods.length, 4, pods.map((p) => p.metadata.name).join(', '));
    for (const pod of pods) {
      assert.deepEqual(pod.spec.volumes?.filter((v) => v.hostPath) ?? [], [], `${pod.metadata.name}: no hostPath`);
      const main = pod.spec.containers[0]!;
      assert.equal(main.image, imageName);
      assert.equal(main.command?.[0], 'sh');
      assert.match(main.command?.[3] ?? '', /Floe's in-Pod launcher for KFP tasks/);
      const credentials = (main.env ?? []).filter((e) => e.name.startsWith('FLOE_OBJECT_STORE_'));
      assert.deepEqual(credentials.map((e) => [e.name, e.valueFrom?.secretKeyRef?.name, e.valueFrom?.secretKeyRef?.key]), [
        ['FLOE_OBJECT_STORE_0_ACCESS_KEY', 'mlpipeline-minio-artifact', 'accesskey'],
        ['FLOE_OBJECT_STORE_0_SECRET_KEY', 'mlpipeline-minio-artifact', 'secretkey'],
      ]);
      assert.ok(!JSON.stringify(pod).includes(s3.secretKey), `${pod.metadata.name}: the secret key itself is not in the Pod`);
    }
  });

  test("a failing component fails the run with its Pod's exit code, and stores no report", async () => {
    const r = out.fails;
    assert.equal(r.state, 'FAILED');
    assert.match(task(r, 'fails').error ?? '', /exit code 1/);
    assert.deepEqual((await s3.listKeys('artifacts', `v2/artifacts/cluster-fails/${r.run_id}/`)).filter((k) => k.endsWith('executor_output.json')), []);
  });

  test('a run whose pipeline root is a local folder fails with the reason, before any Pod is made', async () => {
    const r = out.local_root;
    assert.equal(r.state, 'FAILED');
    assert.match(task(r, 'produce').error ?? '', /task produce: on a cluster a task's outputs pass through an object store, and this run's pipeline root is a local folder: set runtime_config\.pipeline_root, or defaultPipelineRoot in the kfp-launcher ConfigMap of namespace kubeflow, to an s3:\/\/ or minio:\/\/ URI/);
    const pods = (await node.client.list<Pod>({ apiVersion: 'v1', kind: 'Pod' }, { namespace: 'kubeflow', labelSelector: `pipeline/runid=${r.run_id}` })).items;
    assert.deepEqual(pods.map((p) => p.metadata.name), []);
    assert.ok(!existsSync('/srv/kfp-artifacts'), 'nothing was written at the local root');
  });

  test("the launcher's own failures name the reason in the task's error (the Pod's termination message)", () => {
    const missing = out.missing_input;
    assert.equal(missing.state, 'FAILED');
    assert.match(task(missing, 'read').error ?? '', /exit code 1 \(Error\): floe launcher: the input artifact s3:\/\/artifacts\/nowhere\/data is not in the bucket/);
    const noPython = out.no_python;
    assert.equal(noPython.state, 'FAILED');
    assert.match(task(noPython, 'bare').error ?? '', /exit code 127 \(Error\): floe launcher: the image has neither python3 nor python, which Floe's in-Pod launcher needs/);
  });

  test("PipelineConfig(workspace=…): the run's claim <run>-kfp-workspace is mounted at /kfp-workspace in the tasks that name it, shared by them, and removed when the run ends", async () => {
    const r = out.workspace;
    assert.equal(r.state, 'SUCCEEDED', describeRun(r));
    assert.deepEqual(await outputsOf(r, 'write-workspace'), { Output: '/kfp-workspace' });
    assert.deepEqual(await outputsOf(r, 'read-workspace'), { Output: 'in the workspace' }, 'the second task read what the first wrote');
    const pods = (await node.client.list<Pod>({ apiVersion: 'v1', kind: 'Pod' }, { namespace: 'kubeflow', labelSelector: `pipeline/runid=${r.run_id}` })).items;
    assert.equal(pods.length, 2);
    const claims = new Set(pods.map((p) => p.spec.volumes?.find((v) => v.name === 'kfp-workspace')?.persistentVolumeClaim?.claimName));
    assert.equal(claims.size, 1);
    const claim = [...claims][0] ?? '';
    assert.match(claim, new RegExp(`^cluster-workspace-${r.run_id.replace(/-/g, '').slice(0, 5)}-kfp-workspace$`));
    for (const pod of pods) assert.ok(pod.spec.containers[0]?.volumeMounts?.some((m) => m.name === 'kfp-workspace' && m.mountPath === '/kfp-workspace'));
    const left = (await node.client.list({ apiVersion: 'v1', kind: 'PersistentVolumeClaim' }, { namespace: 'kubeflow' })).items.map((c) => c.metadata.name);
    assert.ok(!left.includes(claim), `the claim is gone after the run: ${left.join(', ')}`);
  });

  test('a workspace without accessModes fails with the reason KFP gives', () => {
    const r = out.workspace_no_modes;
    assert.equal(r.state, 'FAILED');
    assert.match(r.error ?? '', /workspace PVC spec must specify accessModes/);
  });
});
