// Integration: metrics.k8s.io through the in-process Client (what the HPA controller reads) and Floe's /metrics exposition with upstream names and labels.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FloeError } from '../src/api/errors.js';
import type { KubeObject } from '../src/api/meta.js';
import { defaultConfig } from '../src/server/config.js';
import { startFloe, type Floe } from '../src/server/floe.js';
import { LocalClient } from '../src/server/local-client.js';
import { createLogger } from '../src/server/logger.js';
import { killRecordedProcesses } from './helpers/kubelet-harness.js';
import { waitFor } from './helpers/wait.js';

const PodMetricsRef = { apiVersion: 'metrics.k8s.io/v1beta1', kind: 'PodMetrics' };
const NodeMetricsRef = { apiVersion: 'metrics.k8s.io/v1beta1', kind: 'NodeMetrics' };

interface PodMetrics extends KubeObject {
  timestamp: string;
  window: string;
  containers: { name: string; usage: { cpu: string; memory: string } }[];
}

/** Samples of one metric in the text exposition: labels → value. */
function samples(text: string, name: string): { labels: Record<string, string>; value: number }[] {
  const out: { labels: Record<string, string>; value: number }[] = [];
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(/([a-zA-Z_]+)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]!] = l[2]!;
    out.push({ labels, value: Number(m[3]) });
  }
  return out;
}

function nanocores(q: string): number {
  const m = /^(\d+)([num]?)$/.exec(q);
  assert.ok(m, `cpu quantity ${q}`);
  return Number(m[1]) * ({ n: 1, u: 1e3, m: 1e6, '': 1e9 } as Record<string, number>)[m[2]!]!;
}

let floe: Floe;
let dataDir: string;
const ns = 'observe';

before(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'floe-observe-'));
  floe = await startFloe({ ...defaultConfig(), dataDir, port: 0, logLevel: 'silent', runPods: true, controllers: true, node: { name: 'observe-node', labels: { zone: 'here' }, taints: [] } }, createLogger({ level: 'silent' }));
  await floe.client.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
  for (const [name, app, script] of [['spinner', 'spin', 'for (;;) {}'], ['sleeper', 'nap', 'setInterval(() => {}, 1000)']] as const) {
    await floe.client.create({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name, namespace: ns, labels: { app } },
      spec: { terminationGracePeriodSeconds: 1, containers: [{ name: 'main', image: 'node:20', command: [process.execPath, '-e', script] }] },
    });
  }
});

after(async () => {
  await floe?.stop();
  killRecordedProcesses(dataDir);
  rmSync(dataDir, { recursive: true, force: true });
});

describe('metrics.k8s.io through the in-process Client', () => {
  test('list with a label selector and get by name: PodMetrics with usage from the runtime', async () => {
    const list = await waitFor(async () => {
      const l = await floe.client.list<PodMetrics>(PodMetricsRef, { namespace: ns, labelSelector: 'app=spin' });
      return l.items.length === 1 && nanocores(l.items[0]!.containers[0]!.usage.cpu) > 50e6 ? l : undefined;
    }, { what: 'PodMetrics of the spinner', timeoutMs: 30_000, intervalMs: 250 });
    assert.equal(list.kind, 'PodMetricsList');
    assert.equal(list.apiVersion, 'metrics.k8s.io/v1beta1');
    assert.equal(list.items[0]!.metadata.name, 'spinner');
    assert.deepEqual(list.items[0]!.metadata.labels, { app: 'spin' });
    const one = await floe.client.get<PodMetrics>(PodMetricsRef, 'sleeper', ns);
    assert.equal(one.kind, 'PodMetrics');
    assert.deepEqual(one.containers.map((c) => c.name), ['main']);
    assert.ok(nanocores(one.containers[0]!.usage.cpu) < 50e6, one.containers[0]!.usage.cpu);
    assert.match(one.containers[0]!.usage.memory, /^\d+(Ki|Mi)$/);
    const everywhere = await floe.client.list<PodMetrics>(PodMetricsRef, {});
    assert.ok(everywhere.items.some((p) => p.metadata.namespace === ns && p.metadata.name === 'spinner'));
    const byField = await floe.client.list<PodMetrics>(PodMetricsRef, { namespace: ns, fieldSelector: 'metadata.name=sleeper' });
    assert.deepEqual(byField.items.map((p) => p.metadata.name), ['sleeper']);
  });

  test('NodeMetrics: the local node with its labels', async () => {
    const nodes = await floe.client.list<KubeObject & { usage: { cpu: string; memory: string } }>(NodeMetricsRef, {});
    assert.equal(nodes.items.length, 1);
    assert.equal(nodes.items[0]!.metadata.name, 'observe-node');
    assert.equal(nodes.items[0]!.metadata.labels?.zone, 'here');
    assert.ok(nanocores(nodes.items[0]!.usage.cpu) > 0);
    await assert.rejects(floe.client.get(NodeMetricsRef, 'elsewhere'), (err: unknown) => err instanceof FloeError && err.code === 404 && /nodemetrics\.metrics\.k8s\.io "elsewhere" not found/.test(err.message));
  });

  test('read-only: create, delete and watch are 405; a caller without rights gets 403', async () => {
    const object = { ...PodMetricsRef, metadata: { name: 'made-up', namespace: ns }, containers: [] };
    await assert.rejects(floe.client.create(object), (err: unknown) => err instanceof FloeError && err.code === 405);
    await assert.rejects(floe.client.delete(PodMetricsRef, 'spinner', ns), (err: unknown) => err instanceof FloeError && err.code === 405);
    await assert.rejects(floe.client.watch(PodMetricsRef, { namespace: ns }), (err: unknown) => err instanceof FloeError && err.code === 405);
    const alice = new LocalClient({ handler: floe.handler, user: { name: 'alice', groups: ['system:authenticated'] } });
    await assert.rejects(alice.list(PodMetricsRef, { namespace: ns }), (err: unknown) => err instanceof FloeError && err.code === 403 && /pods\.metrics\.k8s\.io is forbidden/.test(err.message));
  });

  test('discovery serves the group with get and list', async () => {
    const groups = (await (await fetch(`${floe.url}/apis`)).json()) as { groups: { name: string; preferredVersion: { version: string } }[] };
    assert.equal(groups.groups.find((g) => g.name === 'metrics.k8s.io')?.preferredVersion.version, 'v1beta1');
    const resources = (await (await fetch(`${floe.url}/apis/metrics.k8s.io/v1beta1`)).json()) as { resources: { name: string; kind: string; namespaced: boolean; verbs: string[] }[] };
    assert.deepEqual(resources.resources.map((r) => [r.name, r.kind, r.namespaced, r.verbs]), [['nodes', 'NodeMetrics', false, ['get', 'list']], ['pods', 'PodMetrics', true, ['get', 'list']]]);
  });
});

describe('/metrics', () => {
  test('the text format with kube-apiserver, storage, workqueue, controller-runtime and process metrics', async () => {
    // Requests of each shape, then a Job the job controller reconciles.
    await fetch(`${floe.url}/api/v1/namespaces/${ns}/pods`);
    await fetch(`${floe.url}/api/v1/namespaces/${ns}/pods/spinner`);
    await fetch(`${floe.url}/api/v1/nodes`);
    await fetch(`${floe.url}/api/v1/namespaces/${ns}/configmaps?dryRun=All`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' } }) });
    await fetch(`${floe.url}/api/v1/namespaces/${ns}/pods/none`);
    await floe.client.create({ apiVersion: 'batch/v1', kind: 'Job', metadata: { name: 'once', namespace: ns }, spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'main', image: 'node:20', command: [process.execPath, '-e', ''] }] } } } });
    await waitFor(async () => {
      const t = await (await fetch(`${floe.url}/metrics`)).text();
      return samples(t, 'controller_runtime_reconcile_total').some((s) => s.labels.controller === 'job-controller' && s.labels.result === 'success' && s.value > 0) ? t : undefined;
    }, { what: 'a reconcile of the job controller', timeoutMs: 30_000, intervalMs: 250 });
    const response = await fetch(`${floe.url}/metrics`);
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
    // This scrape counts the earlier ones (a request is counted when its response ends).
    const text = await response.text();

    const requests = samples(text, 'apiserver_request_total');
    const find = (labels: Record<string, string>): number => requests.filter((s) => Object.entries(labels).every(([k, v]) => s.labels[k] === v)).reduce((sum, s) => sum + s.value, 0);
    assert.ok(find({ verb: 'LIST', resource: 'pods', scope: 'namespace', group: '', version: 'v1', code: '200', component: 'apiserver' }) >= 1);
    assert.ok(find({ verb: 'GET', resource: 'pods', scope: 'resource', code: '200' }) >= 1);
    assert.ok(find({ verb: 'GET', resource: 'pods', scope: 'resource', code: '404' }) >= 1);
    assert.ok(find({ verb: 'LIST', resource: 'nodes', scope: 'cluster' }) >= 1);
    assert.ok(find({ verb: 'CREATE', resource: 'configmaps', scope: 'resource', dry_run: 'All', code: '201' }) >= 1);
    assert.ok(find({ verb: 'GET', resource: '', subresource: '/metrics', scope: '' }) >= 1);
    assert.match(text, /^# TYPE apiserver_request_duration_seconds histogram$/m);
    assert.match(text, /^apiserver_request_duration_seconds_bucket\{le="0\.005",verb="LIST",dry_run="",group="",version="v1",resource="pods",subresource="",scope="namespace",component="apiserver"\} \d+$/m);
    assert.ok(samples(text, 'apiserver_request_duration_seconds_bucket').every((s) => s.labels.code === undefined));
    assert.ok(samples(text, 'apiserver_response_sizes_count').some((s) => s.labels.verb === 'LIST' && s.labels.resource === 'pods' && s.value >= 1));
    assert.ok(samples(text, 'etcd_request_duration_seconds_count').some((s) => s.labels.operation === 'create' && s.labels.type === 'jobs.batch' && s.value >= 1));
    assert.ok(samples(text, 'apiserver_storage_objects').some((s) => s.labels.resource === 'pods' && s.value >= 2));
    assert.ok(samples(text, 'workqueue_adds_total').some((s) => s.labels.name === 'job-controller' && s.labels.controller === 'job-controller' && s.value >= 1));
    for (const name of ['workqueue_depth', 'workqueue_retries_total', 'workqueue_unfinished_work_seconds', 'workqueue_longest_running_processor_seconds']) {
      assert.ok(samples(text, name).some((s) => s.labels.name === 'job-controller'), name);
    }
    assert.ok(samples(text, 'workqueue_queue_duration_seconds_count').some((s) => s.labels.name === 'job-controller' && s.value >= 1));
    assert.ok(samples(text, 'workqueue_work_duration_seconds_count').some((s) => s.labels.name === 'job-controller' && s.value >= 1));
    assert.ok(samples(text, 'controller_runtime_reconcile_time_seconds_count').some((s) => s.labels.controller === 'job-controller' && s.value >= 1));
    assert.ok(samples(text, 'controller_runtime_max_concurrent_reconciles').some((s) => s.labels.controller === 'job-controller' && s.value === 2));
    assert.ok(samples(text, 'controller_runtime_active_workers').some((s) => s.labels.controller === 'job-controller'));
    assert.ok(samples(text, 'controller_runtime_reconcile_errors_total').some((s) => s.labels.controller === 'job-controller'));
    assert.ok(samples(text, 'process_cpu_seconds_total')[0]!.value > 0);
    assert.ok(samples(text, 'process_resident_memory_bytes')[0]!.value > 0);
    assert.ok(samples(text, 'nodejs_heap_size_used_bytes')[0]!.value > 0);
  });

  test('the training operator\'s and Katib\'s metrics follow their objects', async () => {
    const scrape = async (): Promise<string> => (await fetch(`${floe.url}/metrics`)).text();
    const value = (text: string, name: string, labels: Record<string, string>): number =>
      samples(text, name).filter((s) => Object.entries(labels).every(([k, v]) => s.labels[k] === v)).reduce((sum, s) => sum + s.value, 0);
    const PyTorchJobRef = { apiVersion: 'kubeflow.org/v1', kind: 'PyTorchJob' };
    await floe.client.create({ ...PyTorchJobRef, metadata: { name: 'counted', namespace: ns }, spec: { pytorchReplicaSpecs: { Master: { replicas: 1, restartPolicy: 'Never', template: { spec: { containers: [{ name: 'pytorch', image: 'pytorch/pytorch', command: ['true'] }] } } } } } });
    await waitFor(async () => value(await scrape(), 'training_operator_jobs_created_total', { job_namespace: ns, framework: 'pytorch' }) === 1, { what: 'jobs_created_total', timeoutMs: 30_000, intervalMs: 250 });
    await floe.client.delete(PyTorchJobRef, 'counted', ns);
    await waitFor(async () => value(await scrape(), 'training_operator_jobs_deleted_total', { job_namespace: ns, framework: 'pytorch' }) === 1, { what: 'jobs_deleted_total', timeoutMs: 30_000, intervalMs: 250 });

    const ExperimentRef = { apiVersion: 'kubeflow.org/v1beta1', kind: 'Experiment' };
    await floe.client.create({
      ...ExperimentRef,
      metadata: { name: 'counted', namespace: ns },
      spec: {
        objective: { type: 'minimize', objectiveMetricName: 'loss' },
        algorithm: { algorithmName: 'random' },
        parallelTrialCount: 1,
        maxTrialCount: 1,
        parameters: [{ name: 'x', parameterType: 'double', feasibleSpace: { min: '0', max: '1' } }],
        trialTemplate: {
          primaryContainerName: 'training-container',
          trialParameters: [{ name: 'x', reference: 'x' }],
          trialSpec: { apiVersion: 'batch/v1', kind: 'Job', spec: { backoffLimit: 0, template: { spec: { restartPolicy: 'Never', containers: [{ name: 'training-container', image: 'python:3.11', command: ['python3', '-c', 'print("loss=${trialParameters.x}")'] }] } } } },
        },
      },
    });
    const text = await waitFor(async () => {
      const t = await scrape();
      return value(t, 'katib_experiment_created_total', { namespace: ns }) === 1 && value(t, 'katib_trial_created_total', { namespace: ns }) >= 1 ? t : undefined;
    }, { what: 'katib created counters', timeoutMs: 60_000, intervalMs: 250 });
    assert.equal(value(text, 'katib_experiments_current', { namespace: ns }), 1);
    assert.ok(value(text, 'katib_trials_current', { namespace: ns }) >= 1);
    await floe.client.delete(ExperimentRef, 'counted', ns);
    await waitFor(async () => value(await scrape(), 'katib_experiment_deleted_total', { namespace: ns }) === 1, { what: 'katib_experiment_deleted_total', timeoutMs: 60_000, intervalMs: 250 });
  });

  test('/metrics refuses writes and serves only its own path', async () => {
    assert.equal((await fetch(`${floe.url}/metrics`, { method: 'POST' })).status, 405);
    assert.equal((await fetch(`${floe.url}/metricsx`)).status, 404);
  });
});
