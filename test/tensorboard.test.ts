// Tensorboard (tensorboard.kubeflow.org/v1alpha1) against an embedded Floe running Pods: a Pod writes event files with
// TensorFlow's summary writer (.venvs/tensorflow; TensorBoard's own writer where TensorFlow is not built) into a PVC, a
// Tensorboard reading `pvc://<claim>/<path>` gets upstream's Deployment and Service, turns ready, and TensorBoard lists
// the run at /tensorboard/<ns>/<name>/data/runs through Floe's route.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { PodRef, ServiceRef, type Pod, type Service } from '../src/api/core-v1.js';
import { DeploymentRef, type Deployment } from '../src/controllers/apps/deployment-util.js';
import { TensorboardRef, type Tensorboard } from '../src/controllers/notebooks/tensorboard.js';
import { startEmbeddedFloe, type EmbeddedFloe } from './helpers/embedded-floe.js';
import { waitFor } from './helpers/wait.js';

const venvs = fileURLToPath(new URL('../../.venvs/', import.meta.url));
const haveTensorboard = existsSync(`${venvs}tensorboard/bin/tensorboard`);
const haveTensorflow = existsSync(`${venvs}tensorflow/bin/python`);
const skip = haveTensorboard ? false : `.venvs/tensorboard is not built (python3 -m venv .venvs/tensorboard && .venvs/tensorboard/bin/pip install -r python/envs/tensorboard/requirements.txt, or tools/setup.mjs)`;

const ns = 'tb-team';

/** Three scalar steps of `loss` into <dir>: with TensorFlow's writer, or TensorBoard's own event-file writer. */
const tfScript = (dir: string): string =>
  [
    'import tensorflow as tf',
    // tf.summary.scalar needs the tensorboard package (TensorFlow 2.21 does not bring it); tf.summary.write with the
    // scalars plugin's metadata is the same record, written by TensorFlow alone.
    'scalars = tf.compat.v1.SummaryMetadata(plugin_data=tf.compat.v1.SummaryMetadata.PluginData(plugin_name="scalars"))',
    `w = tf.summary.create_file_writer("${dir}")`,
    'with w.as_default():',
    '    for s in range(3): tf.summary.write("loss", tf.constant(1.0 / (s + 1)), step=s, metadata=scalars)',
    'w.flush()',
    'print("written")',
  ].join('\n');
const tbScript = (dir: string): string =>
  [
    'import time',
    'from tensorboard.compat.proto import event_pb2, summary_pb2',
    'from tensorboard.summary.writer.event_file_writer import EventFileWriter',
    `w = EventFileWriter("${dir}")`,
    'for s in range(3):',
    '    w.add_event(event_pb2.Event(wall_time=time.time(), step=s, summary=summary_pb2.Summary(value=[summary_pb2.Summary.Value(tag="loss", simple_value=1.0 / (s + 1))])))',
    'w.close()',
    'print("written")',
  ].join('\n');

describe('Tensorboard (embedded)', { skip }, () => {
  let h: EmbeddedFloe;
  before(async () => {
    h = await startEmbeddedFloe('floe-tensorboard-');
    const client = h.floe.client;
    await client.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
    await client.create({ apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name: 'logs', namespace: ns }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } });
  });
  after(async () => {
    await h?.stop();
  });

  test(`event files written by ${haveTensorflow ? 'TensorFlow' : "TensorBoard's writer (TensorFlow is not built)"} into a PVC are served at /tensorboard/<ns>/<name>/`, async () => {
    const client = h.floe.client;
    const run = haveTensorflow ? 'tf-run' : 'tb-run';
    await client.create<Pod>({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'writer', namespace: ns },
      spec: {
        restartPolicy: 'Never',
        containers: [
          {
            name: 'writer',
            image: haveTensorflow ? 'tensorflow/tensorflow:2.21.0' : 'floe/tensorboard:2.21.0',
            command: ['python', '-c', (haveTensorflow ? tfScript : tbScript)(`/logs/runs/${run}`)],
            volumeMounts: [{ name: 'logs', mountPath: '/logs' }],
          },
        ],
        volumes: [{ name: 'logs', persistentVolumeClaim: { claimName: 'logs' } }],
      },
    });
    const written = await waitFor(async () => {
      const p = await client.get<Pod>(PodRef, 'writer', ns);
      return p.status?.phase === 'Succeeded' || p.status?.phase === 'Failed' ? p : undefined;
    }, { what: 'the writer Pod to finish', timeoutMs: 240_000 });
    const log = await (await fetch(`${h.floe.url}/api/v1/namespaces/${ns}/pods/writer/log`)).text();
    assert.equal(written.status?.phase, 'Succeeded', log);

    await client.create<Tensorboard>({ apiVersion: 'tensorboard.kubeflow.org/v1alpha1', kind: 'Tensorboard', metadata: { name: 'board', namespace: ns }, spec: { logspath: 'pvc://logs/runs' } });
    // What upstream's controller makes: Deployment <name> (container tensorboard, --logdir at the claim's mount) and
    // Service <name> with port http-<name> 80 → 6006.
    const deployment = await waitFor(() => client.get<Deployment>(DeploymentRef, 'board', ns), { what: 'the Deployment' });
    const container = deployment.spec.template.spec.containers[0]!;
    assert.equal(container.name, 'tensorboard');
    assert.deepEqual(container.args?.slice(0, 2), ['--logdir=/tensorboard_logs/', '--bind_all']);
    assert.deepEqual(container.volumeMounts, [{ name: 'tbpd', readOnly: true, mountPath: '/tensorboard_logs/', subPath: 'runs' }]);
    assert.deepEqual(deployment.spec.selector.matchLabels, { app: 'board' });
    assert.equal(deployment.metadata.ownerReferences?.[0]?.kind, 'Tensorboard');
    const service = await client.get<Service>(ServiceRef, 'board', ns);
    assert.deepEqual(service.spec?.ports?.map((p) => [p.name, p.port, p.targetPort]), [['http-board', 80, 6006]]);
    const ready = await waitFor(async () => {
      const tb = await client.get<Tensorboard>(TensorboardRef, 'board', ns);
      return tb.status?.readyReplicas === 1 ? tb : undefined;
    }, { what: 'the Tensorboard to be ready', timeoutMs: 60_000 });
    assert.ok((ready.status?.conditions.length ?? 0) > 0, 'a deploymentState condition is recorded');

    // The bare path gets its slash, as Istio's prefix match wants it.
    const bare = await fetch(`${h.floe.url}/tensorboard/${ns}/board`, { redirect: 'manual' });
    assert.equal(bare.status, 301);
    assert.equal(bare.headers.get('location'), `/tensorboard/${ns}/board/`);
    const runs = await waitFor(async () => {
      const res = await fetch(`${h.floe.url}/tensorboard/${ns}/board/data/runs`);
      if (!res.ok) return undefined;
      const list = (await res.json()) as string[];
      return list.includes(run) ? list : undefined;
    }, { what: 'TensorBoard to list the run through Floe', timeoutMs: 90_000 });
    assert.deepEqual(runs, [run]);
    const tags = (await (await fetch(`${h.floe.url}/tensorboard/${ns}/board/data/plugin/scalars/tags`)).json()) as Record<string, Record<string, unknown>>;
    assert.ok(tags[run]?.loss, `the loss scalar is there: ${JSON.stringify(tags)}`);
    // TensorBoard's page asks its time-series plugin with a FormData POST: it passes Floe's front door.
    const form = new FormData();
    form.append('requests', JSON.stringify([{ plugin: 'scalars', tag: 'loss' }]));
    const series = await fetch(`${h.floe.url}/tensorboard/${ns}/board/data/plugin/timeseries/timeSeries`, { method: 'POST', body: form });
    assert.equal(series.status, 200);
    const points = (await series.json()) as { runToSeries?: Record<string, { step: number; value: number }[]> }[];
    assert.deepEqual(points[0]?.runToSeries?.[run]?.map((p) => p.step), [0, 1, 2]);
    // The same form POST from another site's page is refused at the front door before TensorBoard sees it.
    const crossSite = await fetch(`${h.floe.url}/tensorboard/${ns}/board/data/plugin/timeseries/timeSeries`, { method: 'POST', body: form, headers: { Origin: 'http://evil.example' } });
    assert.equal(crossSite.status, 403);
    assert.match(await crossSite.text(), /requests from pages at http:\/\/evil\.example are not allowed/);
    const page = await fetch(`${h.floe.url}/tensorboard/${ns}/board/`);
    assert.equal(page.status, 200);
    assert.match(await page.text(), /<html/i);
  });
});
