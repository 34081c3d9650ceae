// Workloads whose code exists only inside their image, through the real controllers on a real Floe: a Katib
// Experiment whose trials run the image's training script, and a KFP container component run from the same image.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultConfig } from '../src/server/config.js';
import { startFloe, type Floe } from '../src/server/floe.js';
import { ExperimentRef, KatibLabels, TrialRef, type Experiment, type Trial } from '../src/controllers/katib/index.js';
import { containerSkipReason, floeImageLoad, writeTestImage } from '../test/helpers/container-image.js';
import { freshNamespace } from '../test/helpers/fixtures.js';
import { killRecordedProcesses } from '../test/helpers/kubelet-harness.js';
import { waitFor } from '../test/helpers/wait.js';

const skip = containerSkipReason();
if (skip) process.stderr.write(`[image-workloads] skipped: ${skip}\n`);

const image = 'floe.test/train:v1';
const script = '/app/train.sh';
const timing = { heartbeatMs: 1000, pollMs: 50, crashLoopInitialMs: 200, crashLoopMaxMs: 800, resyncMs: 1000, configRetryMs: 200 };

/**
 * The image's training script: loss = 100·(lr − 0.05)² + 0.5, printed as `loss=…` and, with `--out=FILE`, written
 * to FILE (a KFP output parameter). It exists nowhere on the host, so a run that reports a loss ran in the image.
 */
const trainScript = `#!/bin/sh
lr=0.01
out=
for a in "$@"; do
  case "$a" in
    --lr=*) lr="\${a#--lr=}" ;;
    --out=*) out="\${a#--out=}" ;;
  esac
done
loss=$(awk -v lr="$lr" 'BEGIN { printf "%.6f", (lr - 0.05) * (lr - 0.05) * 100 + 0.5 }')
echo "epoch=1 lr=$lr"
echo "loss=$loss"
if [ -n "$out" ]; then printf '%s' "$loss" > "$out"; fi
`;

const expectedLoss = (lr: number): number => (lr - 0.05) * (lr - 0.05) * 100 + 0.5;

interface EventView {
  reason?: string;
  message?: string;
  involvedObject?: { kind?: string; name?: string };
}

describe('workloads whose code is only in their image (runc, real controllers)', { skip }, () => {
  let floe: Floe;
  let dataDir: string;

  before(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'floe-image-workloads-'));
    await writeTestImage(join(dataDir, 'layout'), image, {
      config: { Env: ['PATH=/usr/sbin:/usr/bin:/sbin:/bin'], WorkingDir: '/app' },
      extra: [{ path: 'app/train.sh', content: trainScript, mode: 0o755 }],
    });
    // Loaded before Floe starts, as `floe image load` would be by a user.
    floeImageLoad(dataDir, join(dataDir, 'layout'));
    floe = await startFloe({ ...defaultConfig(), dataDir, port: 0, logLevel: 'silent', runPods: true, controllers: true, images: [], kubeletTiming: timing });
  });

  after(async () => {
    await floe?.stop();
    killRecordedProcesses(dataDir);
    rmSync(dataDir, { recursive: true, force: true });
  });

  /** Pods the kubelet started from `image` in a container: it records a Pulled event only on that path, and events outlive the Pods. */
  const containerPods = async (ns?: string): Promise<Set<string>> => {
    const events = (await floe.client.list({ apiVersion: 'v1', kind: 'Event' }, ns ? { namespace: ns } : {})).items as unknown as EventView[];
    return new Set(
      events
        .filter((e) => e.involvedObject?.kind === 'Pod' && e.reason === 'Pulled' && e.message === `Container image "${image}" already present on machine`)
        .map((e) => e.involvedObject?.name ?? ''),
    );
  };

  test('a Katib Experiment whose trial code is only in the image reaches Succeeded with an optimal trial', async () => {
    assert.ok(!existsSync(script), `${script} must not exist on the host: the trials can only find it in the image`);
    const client = floe.client;
    const ns = await freshNamespace(client, 'img-katib');
    const experiment: Experiment = {
      apiVersion: 'kubeflow.org/v1beta1',
      kind: 'Experiment',
      metadata: { name: 'in-image', namespace: ns },
      spec: {
        objective: { type: 'minimize', objectiveMetricName: 'loss' },
        algorithm: { algorithmName: 'random', algorithmSettings: [{ name: 'random_state', value: '11' }] },
        maxTrialCount: 3,
        parallelTrialCount: 2,
        metricsCollectorSpec: { collector: { kind: 'StdOut' } },
        parameters: [{ name: 'lr', parameterType: 'double', feasibleSpace: { min: '0.01', max: '0.1' } }] as never,
        trialTemplate: {
          primaryContainerName: 'training-container',
          trialParameters: [{ name: 'learningRate', reference: 'lr' }],
          trialSpec: {
            apiVersion: 'batch/v1',
            kind: 'Job',
            metadata: {},
            spec: {
              backoffLimit: 0,
              template: { spec: { restartPolicy: 'Never', containers: [{ name: 'training-container', image, command: [script, '--lr=${trialParameters.learningRate}'] }] } },
            },
          },
        },
      },
    };
    await client.create(experiment);

    const done = await waitFor(async () => {
      const e = await client.get<Experiment>(ExperimentRef, 'in-image', ns);
      return e.status?.conditions?.some((c) => (c.type === 'Succeeded' || c.type === 'Failed') && c.status === 'True') ? e : undefined;
    }, { what: 'the experiment to finish', timeoutMs: 120_000, intervalMs: 200 });
    const ended = done.status?.conditions?.find((c) => (c.type === 'Succeeded' || c.type === 'Failed') && c.status === 'True');
    assert.deepEqual([ended?.type, ended?.reason], ['Succeeded', 'ExperimentMaxTrialsReached'], JSON.stringify(done.status));
    assert.equal(done.status?.trialsSucceeded, 3, JSON.stringify(done.status));

    const trials = (await client.list<Trial>(TrialRef, { namespace: ns, labelSelector: `${KatibLabels.experiment}=in-image` })).items;
    assert.equal(trials.length, 3);
    for (const t of trials) {
      const lr = Number(t.spec.parameterAssignments?.find((a) => a.name === 'lr')?.value);
      const loss = Number(t.status?.observation?.metrics?.find((m) => m.name === 'loss')?.latest);
      assert.ok(lr >= 0.01 && lr <= 0.1, `${t.metadata.name ?? ''}: lr=${lr}`);
      // The image's awk computed it from the trial's own --lr: the script ran with this trial's parameter.
      assert.ok(Math.abs(loss - expectedLoss(lr)) < 1e-5, `${t.metadata.name ?? ''}: loss ${loss} for lr ${lr}`);
    }
    const best = done.status?.currentOptimalTrial;
    const bestLoss = Number(best?.observation?.metrics?.find((m) => m.name === 'loss')?.min);
    assert.ok(Number.isFinite(bestLoss), `the optimal trial has a loss: ${JSON.stringify(best)}`);
    assert.equal(bestLoss, Math.min(...trials.map((t) => Number(t.status?.observation?.metrics?.find((m) => m.name === 'loss')?.min))));

    // Every trial's Pod (named after its Job, the trial) ran from the image in a container, per the kubelet's events;
    // the Pods themselves are gone with their Jobs once the trials ended.
    const inContainers = [...(await containerPods(ns))];
    for (const t of trials) {
      assert.ok(inContainers.some((name) => name.startsWith(`${t.metadata.name ?? ''}-`)), `${t.metadata.name ?? ''}'s Pod ran in a container (container Pods: ${inContainers.join(', ')})`);
    }
  });

  test('a KFP container component runs from its image and its output parameter is read back', async () => {
    const pipelineSpec = {
      pipelineInfo: { name: 'image-train' },
      schemaVersion: '2.1.0',
      sdkVersion: 'kfp-2.17.3',
      root: { dag: { tasks: { train: { taskInfo: { name: 'train' }, componentRef: { name: 'comp-train' } } } } },
      components: { 'comp-train': { executorLabel: 'exec-train', outputDefinitions: { parameters: { loss: { parameterType: 'NUMBER_DOUBLE' } } } } },
      deploymentSpec: {
        executors: {
          'exec-train': { container: { image, command: [script, '--lr=0.1'], args: ["--out={{$.outputs.parameters['loss'].output_file}}"] } },
        },
      },
    };
    const created = await fetch(`${floe.url}/apis/v2beta1/runs`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ display_name: 'image-train', pipeline_spec: pipelineSpec }),
    });
    assert.equal(created.status, 200, await created.clone().text());
    const { run_id: runId } = (await created.json()) as { run_id: string };

    interface TaskDetail { display_name: string; state: string; execution_id?: string }
    interface Run { state: string; run_details?: { task_details?: TaskDetail[] } }
    const get = async <T>(path: string): Promise<T> => {
      const res = await fetch(`${floe.url}${path}`);
      const text = await res.text();
      assert.equal(res.status, 200, `GET ${path}: ${text}`);
      return JSON.parse(text) as T;
    };
    const done = await waitFor(async () => {
      const r = await get<Run>(`/apis/v2beta1/runs/${runId}`);
      return ['SUCCEEDED', 'FAILED', 'CANCELED'].includes(r.state) ? r : undefined;
    }, { what: 'the run to finish', timeoutMs: 90_000, intervalMs: 250 });
    assert.equal(done.state, 'SUCCEEDED', JSON.stringify(done));
    const train = done.run_details?.task_details?.find((t) => t.display_name === 'train');
    assert.equal(train?.state, 'SUCCEEDED', JSON.stringify(done.run_details));

    // The output parameter the image's script wrote, as ML Metadata recorded it for the task's execution.
    const e = await get<{ execution?: { custom_properties?: { outputs?: { struct_value?: Record<string, unknown> } } } }>(`/mlmd/v1/executions/${String(train.execution_id)}`);
    const props = (e.execution ?? e) as { custom_properties?: { outputs?: { struct_value?: Record<string, unknown> } } };
    assert.deepEqual(props.custom_properties?.outputs?.struct_value, { loss: expectedLoss(0.1) });

    // The task's Pod (named after the run) ran from the image in a container.
    const prefix = `${runId.slice(0, 8).toLowerCase()}-train-`;
    const inContainers = [...(await containerPods())];
    assert.ok(inContainers.some((name) => name.startsWith(prefix)), `a Pulled event for ${prefix}… (container Pods: ${inContainers.join(', ')})`);
  });
});
