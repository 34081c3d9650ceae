// Katib on a real Floe with the local runtime: Experiments run Job trials as processes, metrics are collected from
// what the trials print, write or push, and the experiment ends the way Katib's does.
/* eslint-disable no-restricted-imports -- tests are composition roots: they start the server that runs these controllers */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FloeError } from '../../api/errors.js';
import type { Client } from '../../client/client.js';
import { defaultConfig } from '../../server/config.js';
import { startFloe, type Floe } from '../../server/floe.js';
import { killRecordedProcesses } from '../../../test/helpers/kubelet-harness.js';
import { freshNamespace } from '../../../test/helpers/fixtures.js';
import { waitFor } from '../../../test/helpers/wait.js';
import { ExperimentRef, KatibLabels, TrialRef, type Experiment, type Trial } from './index.js';

const JobRef = { apiVersion: 'batch/v1', kind: 'Job' };
/** The checkout's TensorFlow environment (dist/src/controllers/katib → the root). */
const tfPython = fileURLToPath(new URL('../../../../.venvs/tensorflow/bin/python', import.meta.url));
const timing = { heartbeatMs: 1000, pollMs: 50, crashLoopInitialMs: 200, crashLoopMaxMs: 800, resyncMs: 1000, configRetryMs: 200 };

interface ExperimentOptions {
  algorithm?: string;
  settings?: Record<string, string>;
  parameters?: unknown[];
  script: string;
  max?: number;
  parallel?: number;
  maxFailed?: number;
  objective?: Record<string, unknown>;
  collector?: Record<string, unknown>;
  earlyStopping?: Record<string, unknown>;
  resumePolicy?: string;
  trialParameters?: { name: string; reference: string }[];
  args?: string[];
}

/** An Experiment whose trials are batch/v1 Jobs running `python3 -c script x y`. */
function experiment(ns: string, name: string, o: ExperimentOptions): Experiment {
  const trialParameters = o.trialParameters ?? [
    { name: 'x', reference: 'x' },
    { name: 'y', reference: 'y' },
  ];
  return {
    apiVersion: 'kubeflow.org/v1beta1',
    kind: 'Experiment',
    metadata: { name, namespace: ns },
    spec: {
      objective: { type: 'minimize', objectiveMetricName: 'loss', ...(o.objective ?? {}) } as never,
      algorithm: { algorithmName: o.algorithm ?? 'random', algorithmSettings: Object.entries(o.settings ?? { random_state: '7' }).map(([k, v]) => ({ name: k, value: v })) },
      parallelTrialCount: o.parallel ?? 2,
      maxTrialCount: o.max ?? 4,
      ...(o.maxFailed !== undefined ? { maxFailedTrialCount: o.maxFailed } : {}),
      ...(o.resumePolicy ? { resumePolicy: o.resumePolicy as never } : {}),
      ...(o.collector ? { metricsCollectorSpec: o.collector } : {}),
      ...(o.earlyStopping ? { earlyStopping: o.earlyStopping as never } : {}),
      parameters: (o.parameters ?? [
        { name: 'x', parameterType: 'double', feasibleSpace: { min: '-2', max: '2' } },
        { name: 'y', parameterType: 'int', feasibleSpace: { min: '0', max: '5' } },
      ]) as never,
      trialTemplate: {
        primaryContainerName: 'training-container',
        trialParameters,
        trialSpec: {
          apiVersion: 'batch/v1',
          kind: 'Job',
          metadata: {},
          spec: {
            template: {
              spec: {
                restartPolicy: 'Never',
                containers: [{ name: 'training-container', image: 'python:3.11', command: ['python3', '-u', '-c', o.script, ...(o.args ?? trialParameters.map((p) => `\${trialParameters.${p.name}}`))] }],
              },
            },
            backoffLimit: 0,
          },
        },
      },
    },
  };
}

describe('Katib (embedded, local runtime)', () => {
  let floe: Floe;
  let client: Client;
  let dataDir: string;

  const start = async (): Promise<void> => {
    // Restarted on purpose mid-experiment/run: Pods keep running across the restart, to be re-adopted.
    floe = await startFloe({ ...defaultConfig(), dataDir, port: 0, logLevel: 'silent', runPods: true, controllers: true, kubeletTiming: timing, keepPods: true });
    client = floe.client;
  };

  before(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'floe-katib-'));
    await start();
  });

  after(async () => {
    await floe.stop();
    killRecordedProcesses(dataDir);
    await rm(dataDir, { recursive: true, force: true });
  });

  const getExperiment = (ns: string, name: string): Promise<Experiment> => client.get<Experiment>(ExperimentRef, name, ns);
  const trials = async (ns: string, name: string): Promise<Trial[]> => (await client.list<Trial>(TrialRef, { namespace: ns, labelSelector: `${KatibLabels.experiment}=${name}` })).items;
  const untilDone = (ns: string, name: string, timeoutMs = 90_000): Promise<Experiment> =>
    waitFor(async () => {
      const e = await getExperiment(ns, name);
      return e.status?.conditions?.some((c) => (c.type === 'Succeeded' || c.type === 'Failed') && c.status === 'True') ? e : undefined;
    }, { what: `experiment ${name} to finish`, timeoutMs });
  const ended = (e: Experiment): [string, string] => {
    const c = e.status?.conditions?.find((x) => (x.type === 'Succeeded' || x.type === 'Failed') && x.status === 'True');
    return [c?.type ?? '', c?.reason ?? ''];
  };
  const value = (t: Trial, metric = 'loss'): number => Number(t.status?.observation?.metrics?.find((m) => m.name === metric)?.min);

  test('a bad Experiment is rejected with every bad field named, and nothing is stored', async () => {
    const ns = await freshNamespace(client, 'katib-bad');
    const bad = experiment(ns, 'bad', { script: 'print(1)', algorithm: 'annealing', max: 2, parallel: 3 });
    bad.spec.objective = { type: 'best' as never, objectiveMetricName: '' };
    bad.spec.parameters = [
      { name: 'x', parameterType: 'double', feasibleSpace: { min: '3', max: '1' } },
      { name: 'y', parameterType: 'int', feasibleSpace: { min: '0.5', max: '5', distribution: 'logUniform' } },
      { name: 'z', parameterType: 'categorical', feasibleSpace: {} },
    ];
    bad.spec.trialTemplate!.trialParameters!.push({ name: 'unused', reference: 'nope' });
    await assert.rejects(client.create(bad), (err: unknown) => {
      assert.ok(err instanceof FloeError && err.reason === 'Invalid', String(err));
      for (const field of [
        'spec.objective.type',
        'spec.objective.objectiveMetricName',
        'spec.parallelTrialCount',
        'spec.parameters[0].feasibleSpace.max',
        'spec.parameters[1].feasibleSpace.min',
        'spec.parameters[2].feasibleSpace.list',
        'spec.algorithm.algorithmName',
        'spec.trialTemplate.trialParameters[2].reference',
      ]) {
        assert.ok(err.message.includes(field), `${field} is named in: ${err.message}`);
      }
      return true;
    });
    await assert.rejects(getExperiment(ns, 'bad'), (err: unknown) => err instanceof FloeError && err.reason === 'NotFound');
    const settings = experiment(ns, 'bad-settings', { script: 'print(1)', algorithm: 'random', settings: { random_state: 'x', temperature: '3' } });
    await assert.rejects(client.create(settings), /algorithmSettings\[random_state\].*must be a number|algorithmSettings\[temperature\]/);
  });

  test('random search over Job trials: defaults filled, parallel trials, StdOut metrics, the optimal trial, runs cleaned up', async () => {
    const ns = await freshNamespace(client, 'katib-random');
    const script = 'import os, sys; x, y = float(sys.argv[1]), int(sys.argv[2]); print("trial", os.environ["KATIB_TRIAL_NAME"]); print(f"loss={(x - 0.5) ** 2 + y}"); print(f"accuracy={1 / (1 + (x - 0.5) ** 2 + y)}")';
    const created = await client.create(experiment(ns, 'rand', { script, max: 5, parallel: 2, objective: { additionalMetricNames: ['accuracy'] } }));
    assert.equal(created.spec.parallelTrialCount, 2);
    assert.equal(created.spec.resumePolicy, 'Never');
    assert.deepEqual(created.spec.objective?.metricStrategies, [
      { name: 'loss', value: 'min' },
      { name: 'accuracy', value: 'min' },
    ]);
    assert.equal(created.spec.metricsCollectorSpec?.collector?.kind, 'StdOut');
    assert.equal(created.spec.trialTemplate?.successCondition, 'status.conditions.#(type=="Complete")#|#(status=="True")#');
    const done = await untilDone(ns, 'rand');
    assert.deepEqual(ended(done), ['Succeeded', 'ExperimentMaxTrialsReached']);
    const all = await trials(ns, 'rand');
    assert.equal(all.length, 5);
    assert.equal(done.status?.trialsSucceeded, 5);
    for (const t of all) {
      assert.ok(t.status?.conditions?.some((c) => c.type === 'Succeeded' && c.status === 'True'), `${t.metadata.name} succeeded`);
      const x = Number(t.spec.parameterAssignments?.find((a) => a.name === 'x')?.value);
      const y = Number(t.spec.parameterAssignments?.find((a) => a.name === 'y')?.value);
      assert.ok(x >= -2 && x <= 2 && Number.isInteger(y) && y >= 0 && y <= 5);
      assert.ok(Math.abs(value(t) - ((x - 0.5) ** 2 + y)) < 1e-9, 'loss comes from the trial output');
      assert.ok(t.status?.observation?.metrics?.some((m) => m.name === 'accuracy'));
    }
    const best = all.reduce((a, b) => (value(a) <= value(b) ? a : b));
    assert.equal(done.status?.currentOptimalTrial?.bestTrialName, best.metadata.name);
    assert.deepEqual(done.status?.currentOptimalTrial?.parameterAssignments, best.spec.parameterAssignments);
    await waitFor(async () => ((await client.list(JobRef, { namespace: ns })).items.length === 0 ? true : undefined), { what: 'finished trial Jobs to be deleted', timeoutMs: 30_000 });
    const log = await (await fetch(`${floe.url}/katib/v1beta1/namespaces/${ns}/trials/${best.metadata.name}/observationlog?metricName=loss`)).json() as { observationLog: { metricLogs: { metric: { name: string; value: string } }[] } };
    assert.deepEqual(log.observationLog.metricLogs.map((l) => Number(l.metric.value)), [value(best)]);
  });

  test('the goal ends an experiment early; maxFailedTrialCount fails one; no metric makes a trial MetricsUnavailable', async () => {
    const ns = await freshNamespace(client, 'katib-end');
    await client.create(experiment(ns, 'goal', { script: 'print("accuracy=0.95")', max: 10, parallel: 1, objective: { type: 'maximize', objectiveMetricName: 'accuracy', goal: 0.9 } }));
    await client.create(experiment(ns, 'fails', { script: 'import sys; sys.exit(3)', max: 10, parallel: 1, maxFailed: 2 }));
    await client.create(experiment(ns, 'silent', { script: 'print("nothing to see")', max: 1, parallel: 1 }));
    const goal = await untilDone(ns, 'goal');
    assert.deepEqual(ended(goal), ['Succeeded', 'ExperimentGoalReached']);
    assert.equal(goal.status?.trials, 1);
    const fails = await untilDone(ns, 'fails');
    assert.deepEqual(ended(fails), ['Failed', 'ExperimentFailed']);
    assert.equal(fails.status?.trialsFailed, 2);
    const failed = (await trials(ns, 'fails'))[0]!;
    assert.match(failed.status?.conditions?.find((c) => c.type === 'Failed')?.message ?? '', /Job reason: BackoffLimitExceeded/);
    const silent = await untilDone(ns, 'silent');
    assert.equal(silent.status?.trialMetricsUnavailable, 1);
    const t = (await trials(ns, 'silent'))[0]!;
    assert.equal(t.status?.observation?.metrics?.find((m) => m.name === 'loss')?.latest, 'unavailable');
  });

  test('collectors: custom metricsFormat, File (JSON lines), Push through floe_katib; metricStrategies pick min / max / latest', async () => {
    const ns = await freshNamespace(client, 'katib-collect');
    const steps = 'import sys; x = float(sys.argv[1])\nfor step, v in enumerate([3.0, 1.0, 2.0]):\n';
    await client.create(experiment(ns, 'custom', {
      script: `${steps}    print(f"step {step}: loss is {v + x * 0}")`,
      max: 1,
      parallel: 1,
      objective: { metricStrategies: [{ name: 'loss', value: 'latest' }] },
      collector: { collector: { kind: 'StdOut' }, source: { filter: { metricsFormat: ['(loss) is ([-+]?[0-9.]+)'] } } },
    }));
    await client.create(experiment(ns, 'json', {
      script: `import json, os\n${steps}    open("/var/log/katib/metrics.json", "a").write(json.dumps({"loss": v, "timestamp": 1700000000 + step}) + "\\n")`,
      max: 1,
      parallel: 1,
      objective: { metricStrategies: [{ name: 'loss', value: 'max' }] },
      collector: { collector: { kind: 'File' }, source: { fileSystemPath: { path: '/var/log/katib/metrics.json', kind: 'File', format: 'JSON' } } },
    }));
    await client.create(experiment(ns, 'push', {
      script: `import floe_katib\n${steps}    floe_katib.report_metrics({"loss": v})`,
      max: 1,
      parallel: 1,
      collector: { collector: { kind: 'Push' } },
    }));
    const latest = await untilDone(ns, 'custom');
    assert.deepEqual(ended(latest), ['Succeeded', 'ExperimentMaxTrialsReached']);
    assert.deepEqual(latest.status?.currentOptimalTrial?.observation?.metrics, [{ name: 'loss', min: '1', max: '3', latest: '2' }]);
    const json = await untilDone(ns, 'json');
    assert.equal(json.status?.trialsSucceeded, 1, JSON.stringify(json.status));
    const jsonTrial = (await trials(ns, 'json'))[0]!;
    assert.deepEqual(jsonTrial.status?.observation?.metrics, [{ name: 'loss', min: '1', max: '3', latest: '2' }]);
    const log = await (await fetch(`${floe.url}/katib/v1beta1/namespaces/${ns}/trials/${jsonTrial.metadata.name}/observationlog`)).json() as { observationLog: { metricLogs: { timeStamp: string }[] } };
    assert.deepEqual(log.observationLog.metricLogs.map((l) => l.timeStamp), ['2023-11-14T22:13:20.000Z', '2023-11-14T22:13:21.000Z', '2023-11-14T22:13:22.000Z']);
    const push = await untilDone(ns, 'push');
    assert.equal(push.status?.trialsSucceeded, 1, JSON.stringify(push.status));
    assert.deepEqual((await trials(ns, 'push'))[0]!.status?.observation?.metrics, [{ name: 'loss', min: '1', max: '3', latest: '2' }]);
  });

  test('TensorFlowEvent: scalars that TensorFlow wrote with tf.summary are the trial\'s metrics', { skip: existsSync(tfPython) ? false : `.venvs/tensorflow is not installed (${tfPython})` }, async () => {
    const ns = await freshNamespace(client, 'katib-tfevent');
    const script = [
      'import sys, tensorflow as tf  # tf.summary.write: tf.summary.scalar needs TensorBoard installed',
      'w = tf.summary.create_file_writer("/var/log/katib/tfevent/train")',
      'with w.as_default():',
      '    for step, v in enumerate([0.5, 0.8, 0.7]):',
      '        tf.summary.write("accuracy", tf.constant(v + float(sys.argv[1]) * 0), step=step)',
      'w.flush()',
    ].join('\n');
    const e = experiment(ns, 'tfevent', { script, max: 1, parallel: 1, objective: { type: 'maximize', objectiveMetricName: 'accuracy' }, collector: { collector: { kind: 'TensorFlowEvent' } } });
    const container = (e.spec.trialTemplate!.trialSpec!['spec'] as { template: { spec: { containers: { image: string }[] } } }).template.spec.containers[0]!;
    container.image = 'tensorflow/tensorflow:2.21.0';
    await client.create(e);
    const done = await untilDone(ns, 'tfevent', 120_000);
    assert.equal(done.status?.trialsSucceeded, 1, JSON.stringify(done.status));
    const metrics = done.status?.currentOptimalTrial?.observation?.metrics?.[0];
    assert.equal(metrics?.name, 'accuracy');
    assert.ok(Math.abs(Number(metrics?.max) - 0.8) < 1e-6 && Math.abs(Number(metrics?.min) - 0.5) < 1e-6 && Math.abs(Number(metrics?.latest) - 0.7) < 1e-6, JSON.stringify(metrics));
  });

  test('PyTorchJob trials: Succeeded from the job\'s condition, metrics from the master replica only (primaryPodLabels)', async () => {
    const ns = await freshNamespace(client, 'katib-pytorch');
    const e = experiment(ns, 'ptj', { script: '', max: 2, parallel: 2 });
    const command = (loss: string): string[] => ['python3', '-c', `import os; print("rank", os.environ["RANK"]); print("loss=" + ${loss})`, '${trialParameters.x}', '${trialParameters.y}'];
    const replica = (loss: string): Record<string, unknown> => ({ replicas: 1, restartPolicy: 'Never', template: { spec: { containers: [{ name: 'pytorch', image: 'python:3.11', command: command(loss) }] } } });
    e.spec.trialTemplate = {
      primaryContainerName: 'pytorch',
      trialParameters: e.spec.trialTemplate!.trialParameters!,
      trialSpec: { apiVersion: 'kubeflow.org/v1', kind: 'PyTorchJob', metadata: {}, spec: { pytorchReplicaSpecs: { Master: replica('__import__("sys").argv[1]'), Worker: replica('"999"') } } },
    };
    const created = await client.create(e);
    assert.deepEqual(created.spec.trialTemplate?.primaryPodLabels, { 'training.kubeflow.org/job-role': 'master' });
    const done = await untilDone(ns, 'ptj');
    assert.equal(done.status?.trialsSucceeded, 2, JSON.stringify(done.status));
    for (const t of await trials(ns, 'ptj')) {
      assert.equal(value(t), Number(t.spec.parameterAssignments?.find((a) => a.name === 'x')?.value), 'the master\'s loss, not the worker\'s');
    }
  });

  test('medianstop: once three trials succeeded, a trial doing worse than their median is EarlyStopped and its Job removed', async () => {
    const ns = await freshNamespace(client, 'katib-stop');
    const marks = join(dataDir, `stop-${ns}`);
    // The first three runs converge; later runs report a high loss every 0.2 s for a minute.
    const script = [
      'import os, sys, time',
      `d = ${JSON.stringify(marks)}; os.makedirs(d, exist_ok=True)`,
      'n = len(os.listdir(d)); open(os.path.join(d, os.environ["KATIB_TRIAL_NAME"]), "w").close()',
      'for step in range(300 if n >= 3 else 4):',
      '    print(f"loss={(10.0 if n >= 3 else 1.0 / (step + 1))}", flush=True); time.sleep(0.2 if n >= 3 else 0)',
    ].join('\n');
    await client.create(experiment(ns, 'median', {
      script,
      max: 5,
      parallel: 1,
      earlyStopping: { algorithmName: 'medianstop', algorithmSettings: [{ name: 'min_trials_required', value: '3' }, { name: 'start_step', value: '2' }] },
    }));
    const done = await untilDone(ns, 'median', 120_000);
    assert.deepEqual(ended(done), ['Succeeded', 'ExperimentMaxTrialsReached']);
    assert.equal(done.status?.trialsSucceeded, 3);
    assert.equal(done.status?.trialsEarlyStopped, 2);
    const stopped = (await trials(ns, 'median')).filter((t) => t.status?.conditions?.some((c) => c.type === 'EarlyStopped' && c.status === 'True'));
    assert.equal(stopped.length, 2);
    for (const t of stopped) {
      assert.deepEqual(t.spec.earlyStoppingRules, [{ name: 'loss', value: String((1 + 0.5) / 2), comparison: 'greater', startStep: 2 }]);
      assert.equal(t.status?.conditions?.find((c) => c.type === 'EarlyStopped')?.reason, 'TrialEarlyStopped');
    }
  });

  test('a restart of Floe mid-experiment loses no trial and runs none twice', async () => {
    const ns = await freshNamespace(client, 'katib-restart');
    const runs = join(dataDir, `runs-${ns}.txt`);
    const script = `import os, time; open(${JSON.stringify(runs)}, "a").write(os.environ["KATIB_TRIAL_NAME"] + "\\n"); time.sleep(1.5); print("loss=1")`;
    await client.create(experiment(ns, 'resume', { script, max: 6, parallel: 2, resumePolicy: 'LongRunning' }));
    await waitFor(async () => ((await getExperiment(ns, 'resume')).status?.trialsSucceeded ?? 0) >= 2 ? true : undefined, { what: 'two trials to finish', timeoutMs: 60_000 });
    await floe.stop();
    await start();
    const done = await untilDone(ns, 'resume');
    assert.deepEqual(ended(done), ['Succeeded', 'ExperimentMaxTrialsReached']);
    const names = (await trials(ns, 'resume')).map((t) => t.metadata.name).sort();
    assert.equal(names.length, 6);
    const ran = (await readFile(runs, 'utf8')).trim().split('\n').sort();
    assert.deepEqual(ran, names, 'each trial ran exactly once');
    // LongRunning: raising maxTrialCount restarts the experiment.
    await client.update<Experiment>({ ...done, spec: { ...done.spec, maxTrialCount: 7 } });
    await waitFor(async () => ((await getExperiment(ns, 'resume')).status?.trials === 7 ? true : undefined), { what: 'the restarted experiment to add a trial', timeoutMs: 30_000 });
    const again = await untilDone(ns, 'resume');
    assert.equal(again.status?.trialsSucceeded, 7);
    assert.ok(again.status?.conditions?.some((c) => c.type === 'Restarting'));
  });

  for (const [algorithm, settings, extra] of [
    ['sobol', { random_state: '2' }, { max: 5 }],
    ['tpe', { random_state: '2', n_startup_trials: '3' }, { max: 6 }],
    ['multivariate-tpe', { random_state: '2', n_startup_trials: '3' }, { max: 6 }],
    ['bayesianoptimization', { random_state: '2', n_initial_points: '3' }, { max: 6 }],
    ['cmaes', { random_state: '2' }, { max: 7, parallel: 3 }],
    ['grid', { random_state: '3' }, { parameters: [{ name: 'x', parameterType: 'double', feasibleSpace: { min: '-1', max: '1', step: '1' } }, { name: 'y', parameterType: 'categorical', feasibleSpace: { list: ['1', '2'] } }], max: 6 }],
    ['hyperband', { r_l: '3', eta: '3', resource_name: 'y', random_state: '1' }, { parallel: 3, max: 6 }],
    ['pbt', { n_population: '5', truncation_threshold: '0.4', suggestion_trial_dir: '/tmp/floe-katib-pbt' }, { parallel: 5, max: 10 }],
  ] as const) {
    test(`${algorithm}: a manifest runs to completion`, async () => {
      const ns = await freshNamespace(client, `katib-${algorithm}`);
      const script = 'import sys; x, y = float(sys.argv[1]), float(sys.argv[2]); print(f"loss={x * x + 1 / (y + 1)}")';
      await client.create(experiment(ns, algorithm, { script, algorithm, settings: { ...settings }, ...(extra as Partial<ExperimentOptions>) }));
      const done = await untilDone(ns, algorithm);
      assert.equal(ended(done)[0], 'Succeeded', JSON.stringify(done.status?.conditions));
      const all = await trials(ns, algorithm);
      assert.equal(done.status?.trialsSucceeded, all.length);
      if (algorithm !== 'pbt') assert.equal(new Set(all.map((t) => JSON.stringify(t.spec.parameterAssignments))).size, all.length, 'no assignment twice');
      if (algorithm === 'grid') {
        assert.deepEqual(all.map((t) => t.spec.parameterAssignments?.map((a) => a.value).join(',')).sort(), ['-1,1', '-1,2', '0,1', '0,2', '1,1', '1,2']);
      }
      if (algorithm === 'hyperband') {
        // r_l=3, eta=3: bracket 1 runs 3 configurations at y=1 and promotes the best to y=3; bracket 0 runs 2 at y=3.
        const ys = all.map((t) => t.spec.parameterAssignments?.find((a) => a.name === 'y')?.value).sort();
        assert.deepEqual(ys, ['1', '1', '1', '3', '3', '3']);
      }
      if (algorithm === 'pbt') {
        const second = all.filter((t) => t.metadata.labels?.['pbt.suggestion.katib.kubeflow.org/generation'] === '1');
        assert.equal(second.length, 5);
        assert.ok(second.every((t) => t.metadata.labels?.['pbt.suggestion.katib.kubeflow.org/parent']));
      }
    });
  }
});
