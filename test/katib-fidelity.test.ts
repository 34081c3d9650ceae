// Katib and training-operator fidelity on a real Floe: manifests Katib's own webhook accepts are accepted (min == max,
// nested metricsFormat groups, an unchanged spec replaced with its keys in another order), pbt trials get their own
// checkpoint folders, the standard trial templates are installed, a trial kind nobody serves fails the experiment at
// once, and training jobs honour runPolicy.managedBy and get the operator's defaults stored.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { FloeError } from '../src/api/errors.js';
import type { KubeObject } from '../src/api/meta.js';
import type { Client } from '../src/client/client.js';
import { algorithms } from '../src/controllers/katib/algorithms/index.js';
import type { ParameterSpec } from '../src/controllers/katib/algorithms/types.js';
import { ExperimentRef, KatibLabels, TrialRef, type Experiment, type Trial } from '../src/controllers/katib/index.js';
import { parseText } from '../src/controllers/katib/metrics.js';
import { defaultConfig } from '../src/server/config.js';
import { startFloe, type Floe } from '../src/server/floe.js';
import { killRecordedProcesses } from './helpers/kubelet-harness.js';
import { freshNamespace } from './helpers/fixtures.js';
import { waitFor } from './helpers/wait.js';

const timing = { heartbeatMs: 1000, pollMs: 50, crashLoopInitialMs: 200, crashLoopMaxMs: 800, resyncMs: 1000, configRetryMs: 200 };
const PodRef = { apiVersion: 'v1', kind: 'Pod' };
const ConfigMapRef = { apiVersion: 'v1', kind: 'ConfigMap' };
const PyTorchJobRef = { apiVersion: 'kubeflow.org/v1', kind: 'PyTorchJob' };

const dbl = (name: string, min: string, max: string): ParameterSpec => ({ name, parameterType: 'double', feasibleSpace: { min, max } });

interface Options {
  script: string;
  parameters?: ParameterSpec[];
  algorithm?: string;
  settings?: Record<string, string>;
  max?: number;
  parallel?: number;
  args?: string[];
  trialParameters?: { name: string; reference: string }[];
  collector?: Record<string, unknown>;
}

/** An Experiment whose trials are Jobs running `python3 -c script args…`. */
function experiment(ns: string, name: string, o: Options): Experiment {
  const parameters = o.parameters ?? [dbl('x', '-1', '1')];
  const trialParameters = o.trialParameters ?? parameters.map((p) => ({ name: p.name.replace(/-/g, '_'), reference: p.name }));
  return {
    apiVersion: 'kubeflow.org/v1beta1',
    kind: 'Experiment',
    metadata: { name, namespace: ns },
    spec: {
      objective: { type: 'minimize', objectiveMetricName: 'loss' },
      algorithm: { algorithmName: o.algorithm ?? 'random', algorithmSettings: Object.entries(o.settings ?? { random_state: '3' }).map(([k, v]) => ({ name: k, value: v })) },
      parallelTrialCount: o.parallel ?? 2,
      maxTrialCount: o.max ?? 2,
      parameters,
      ...(o.collector ? { metricsCollectorSpec: o.collector } : {}),
      trialTemplate: {
        primaryContainerName: 'training-container',
        trialParameters,
        trialSpec: {
          apiVersion: 'batch/v1',
          kind: 'Job',
          metadata: {},
          spec: {
            backoffLimit: 0,
            template: {
              spec: {
                restartPolicy: 'Never',
                containers: [{ name: 'training-container', image: 'python:3.11', command: ['python3', '-u', '-c', o.script, ...(o.args ?? trialParameters.map((p) => `\${trialParameters.${p.name}}`))] }],
              },
            },
          },
        },
      },
    },
  };
}

/** The same value with every object's keys in reverse order (what a YAML round trip through kubectl may do). */
function reorder(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(reorder);
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).reverse().map(([k, v]) => [k, reorder(v)]));
  return value;
}

const invalid = (field: string, text: string) => (err: unknown): boolean => {
  assert.ok(err instanceof FloeError && err.reason === 'Invalid', String(err));
  assert.ok(err.message.includes(field) && err.message.includes(text), `${field} / ${text} in: ${err.message}`);
  return true;
};

describe('Katib and training-operator fidelity (embedded)', () => {
  let floe: Floe;
  let client: Client;
  let dataDir: string;

  before(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'floe-katib-fidelity-'));
    floe = await startFloe({ ...defaultConfig(), dataDir, port: 0, logLevel: 'silent', runPods: true, controllers: true, kubeletTiming: timing });
    client = floe.client;
  });

  after(async () => {
    await floe.stop();
    killRecordedProcesses(dataDir);
    await rm(dataDir, { recursive: true, force: true });
  });

  const getExperiment = (ns: string, name: string): Promise<Experiment> => client.get<Experiment>(ExperimentRef, name, ns);
  const trialsOf = async (ns: string, name: string): Promise<Trial[]> => (await client.list<Trial>(TrialRef, { namespace: ns, labelSelector: `${KatibLabels.experiment}=${name}` })).items;
  const finished = (ns: string, name: string, timeoutMs = 120_000): Promise<Experiment> =>
    waitFor(async () => {
      const e = await getExperiment(ns, name);
      return e.status?.conditions?.some((c) => (c.type === 'Succeeded' || c.type === 'Failed') && c.status === 'True') ? e : undefined;
    }, { what: `experiment ${name} to finish`, timeoutMs });
  const endedAs = (e: Experiment): string => e.status?.conditions?.find((c) => (c.type === 'Succeeded' || c.type === 'Failed') && c.status === 'True')?.type ?? '';

  test('a parameter with min == max is accepted and every algorithm suggests its one value (Katib\'s hyperband example pins num-epochs)', async () => {
    const ns = await freshNamespace(client, 'fid-minmax');
    const parameters: ParameterSpec[] = [dbl('lr', '0.01', '0.05'), dbl('momentum', '0.5', '0.9'), { name: 'num-epochs', parameterType: 'int', feasibleSpace: { min: '1', max: '1' } }];
    const script = 'import sys; lr, m, e = float(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3]); print(f"loss={lr * m / e}")';
    await client.create(experiment(ns, 'hyperband', { script, parameters, algorithm: 'hyperband', settings: { resource_name: 'num-epochs', eta: '2', r_l: '2' }, max: 2, parallel: 2 }));
    const done = await finished(ns, 'hyperband');
    assert.equal(endedAs(done), 'Succeeded', JSON.stringify(done.status?.conditions));
    // min > max is still an empty space, refused naming the field.
    await assert.rejects(client.create(experiment(ns, 'empty', { script, parameters: [dbl('x', '2', '1')] })), invalid('spec.parameters[0].feasibleSpace.max', 'must not be less than min'));

    const pinned: ParameterSpec[] = [dbl('a', '0.5', '0.5'), { name: 'b', parameterType: 'int', feasibleSpace: { min: '3', max: '3' } }, dbl('c', '0', '1')];
    for (const [name, algorithm] of Object.entries(algorithms)) {
      if (name === 'grid' || name === 'hyperband') continue; // grid needs a step; hyperband sets its resource itself
      const trials = Array.from({ length: 12 }, (_, i) => ({ name: `t${i}`, assignments: [{ name: 'a', value: '0.5' }, { name: 'b', value: '3' }, { name: 'c', value: String(i / 12) }], state: 'Succeeded' as const, value: (i - 6) ** 2 }));
      const out = algorithm.suggest({ parameters: pinned, objective: 'minimize', settings: { random_state: '1', n_population: '5', truncation_threshold: '0.4', suggestion_trial_dir: '/tmp/x' }, trials, count: 2, issued: 12, parallelTrialCount: 2, defaultSeed: 1 });
      for (const s of out.suggestions) {
        assert.equal(s.assignments.find((a) => a.name === 'a')?.value, '0.5', `${name}: ${JSON.stringify(s.assignments)}`);
        assert.equal(s.assignments.find((a) => a.name === 'b')?.value, '3', `${name}: ${JSON.stringify(s.assignments)}`);
      }
    }
  });

  test('metricsFormat: at least two groups, the first two are name and value; nested value groups collect correctly', async () => {
    const ns = await freshNamespace(client, 'fid-format');
    const nested = String.raw`([\w|-]+)\s*:\s*((-?\d+)(\.\d+)?)`;
    assert.deepEqual(
      parseText('epoch 1\nloss: -0.25\nloss : 3\naccuracy: 0.9', ['loss'], [nested], '2026-01-01T00:00:00.000Z').map((l) => l.value),
      [-0.25, 3],
    );
    const script = 'import sys; x = float(sys.argv[1]); print("progress: starting"); print(f"loss: {round(x * x, 4)}")';
    const collector = { collector: { kind: 'StdOut' }, source: { filter: { metricsFormat: [nested] } } };
    await client.create(experiment(ns, 'nested', { script, collector, max: 2, parallel: 2 }));
    const done = await finished(ns, 'nested');
    assert.equal(endedAs(done), 'Succeeded', JSON.stringify(done.status?.conditions));
    for (const t of await trialsOf(ns, 'nested')) {
      const x = Number(t.spec.parameterAssignments?.find((a) => a.name === 'x')?.value);
      assert.equal(Number(t.status?.observation?.metrics?.find((m) => m.name === 'loss')?.latest), Math.round(x * x * 10000) / 10000);
    }
    const oneGroup = { collector: { kind: 'StdOut' }, source: { filter: { metricsFormat: [String.raw`loss=([\d.]+)`] } } };
    await assert.rejects(client.create(experiment(ns, 'one-group', { script, collector: oneGroup })), invalid('spec.metricsCollectorSpec.source.filter.metricsFormat[0]', 'two top subexpressions are required'));
  });

  test('an unchanged spec replaced with its keys in another order is accepted; only the trial budget may change', async () => {
    const ns = await freshNamespace(client, 'fid-replace');
    await client.create(experiment(ns, 'edit', { script: 'import sys; print(f"loss={float(sys.argv[1]) ** 2}")', max: 2, parallel: 1 }));
    const replace = async (change: (spec: Record<string, unknown>) => void): Promise<Experiment> => {
      // The controller writes status meanwhile: a 409 means read again and retry, as kubectl users do.
      for (;;) {
        // As `kubectl get -o yaml | kubectl replace` sends it: YAML with sorted keys, then every object reversed.
        const current = parseYaml(stringifyYaml(await getExperiment(ns, 'edit'), { sortMapEntries: true })) as Experiment;
        const spec = reorder(current.spec) as Record<string, unknown>;
        change(spec);
        try {
          return await client.update<Experiment>({ ...current, spec: spec });
        } catch (err) {
          if (!(err instanceof FloeError && err.reason === 'Conflict')) throw err;
        }
      }
    };
    await replace(() => undefined);
    const raised = await replace((spec) => {
      spec['parallelTrialCount'] = 2;
    });
    assert.equal(raised.spec.parallelTrialCount, 2);
    await assert.rejects(
      replace((spec) => {
        (spec['objective'] as Record<string, unknown>)['goal'] = 0.1;
      }),
      invalid('spec', 'only spec.parallelTrialCount, spec.maxTrialCount and spec.maxFailedTrialCount are editable'),
    );
    // Finished with resumePolicy Never: no change restarts it, named as Katib names it.
    await finished(ns, 'edit');
    await assert.rejects(
      replace((spec) => {
        spec['maxTrialCount'] = 5;
      }),
      invalid('spec.resumePolicy', 'Experiment can be restarted if it is in succeeded state by reaching max trials'),
    );
    await replace(() => undefined);
  });

  test('pbt: each trial mounts its own checkpoint folder, and a new member starts from a copy of its parent\'s', async () => {
    const ns = await freshNamespace(client, 'fid-pbt');
    // Each trial appends its name to lineage.txt in the folder it sees at the checkpoint path.
    const script = [
      'import os, sys',
      'lr, d = float(sys.argv[1]), sys.argv[2]',
      'os.makedirs(d, exist_ok=True)',
      'f = os.path.join(d, "lineage.txt")',
      'prev = open(f).read() if os.path.exists(f) else ""',
      'open(f, "w").write(prev + os.environ["KATIB_TRIAL_NAME"] + "\\n")',
      'print(f"loss={(lr - 0.3) ** 2}")',
    ].join('\n');
    const checkpoints = '/var/log/katib/checkpoints/';
    await client.create(
      experiment(ns, 'pbt', {
        script,
        algorithm: 'pbt',
        settings: { suggestion_trial_dir: checkpoints, n_population: '5', truncation_threshold: '0.4', random_state: '4' },
        parameters: [dbl('lr', '0.01', '0.9')],
        trialParameters: [{ name: 'lr', reference: 'lr' }],
        args: ['${trialParameters.lr}', checkpoints],
        max: 10,
        parallel: 5,
      }),
    );
    const done = await finished(ns, 'pbt', 180_000);
    assert.equal(endedAs(done), 'Succeeded', JSON.stringify(done.status?.conditions));
    // Katib's layout: the suggestion's claim `<experiment>-pbt`, a folder `<experiment>/<trial>` per trial.
    const claim = join(dataDir, 'volumes', ns, 'pbt-pbt', 'pbt');
    const lineage = async (trial: string): Promise<string[]> => (await readFile(join(claim, trial, 'lineage.txt'), 'utf8')).trim().split('\n');
    const trials = await trialsOf(ns, 'pbt');
    assert.equal(trials.length, 10);
    for (const t of trials) {
      const name = t.metadata.name ?? '';
      const parent = t.metadata.labels?.['pbt.suggestion.katib.kubeflow.org/parent'];
      assert.ok(existsSync(join(claim, name)), `${name} has its own folder`);
      assert.deepEqual(await lineage(name), parent ? [...(await lineage(parent)), name] : [name], `${name} (parent ${parent ?? 'none'})`);
    }
  });

  test('the kubeflow/trial-templates ConfigMap is installed with Katib\'s keys, and an Experiment can use it', async () => {
    const cm = await client.get<KubeObject & { data?: Record<string, string> }>(ConfigMapRef, 'trial-templates', 'kubeflow');
    assert.equal(cm.metadata.labels?.['katib.kubeflow.org/component'], 'trial-templates');
    assert.deepEqual(Object.keys(cm.data ?? {}).sort(), ['defaultTrialTemplate.yaml', 'enasCPUTemplate', 'pytorchJobTemplate']);
    const kinds = Object.fromEntries(Object.entries(cm.data ?? {}).map(([k, v]) => [k, (parseYaml(v) as KubeObject).kind]));
    assert.deepEqual(kinds, { 'defaultTrialTemplate.yaml': 'Job', enasCPUTemplate: 'Job', pytorchJobTemplate: 'PyTorchJob' });
    assert.match(cm.data?.['defaultTrialTemplate.yaml'] ?? '', /\$\{trialParameters\.learningRate\}[\s\S]*\$\{trialParameters\.momentum\}/);
    assert.match(cm.data?.['enasCPUTemplate'] ?? '', /\$\{trialParameters\.neuralNetworkArchitecture\}[\s\S]*\$\{trialParameters\.neuralNetworkConfig\}/);
    const ns = await freshNamespace(client, 'fid-templates');
    const e = experiment(ns, 'from-configmap', { script: '', parameters: [dbl('lr', '0.01', '0.05'), dbl('momentum', '0.5', '0.9')], trialParameters: [{ name: 'learningRate', reference: 'lr' }, { name: 'momentum', reference: 'momentum' }] });
    delete e.spec.trialTemplate!.trialSpec;
    e.spec.trialTemplate!.configMap = { configMapName: 'trial-templates', configMapNamespace: 'kubeflow', templatePath: 'defaultTrialTemplate.yaml' };
    const created = await client.create(e);
    assert.equal(created.spec.trialTemplate?.configMap?.templatePath, 'defaultTrialTemplate.yaml');
    await client.delete(ExperimentRef, 'from-configmap', ns);
  });

  test('a trial kind the API does not serve (Argo Workflow, Tekton PipelineRun) fails the experiment at once, naming the kind', async () => {
    const ns = await freshNamespace(client, 'fid-unserved');
    for (const [name, apiVersion, kind, gvk] of [
      ['argo', 'argoproj.io/v1alpha1', 'Workflow', 'Workflow.v1alpha1.argoproj.io'],
      ['tekton', 'tekton.dev/v1', 'PipelineRun', 'PipelineRun.v1.tekton.dev'],
    ] as const) {
      const e = experiment(ns, name, { script: '' });
      e.spec.trialTemplate!.trialSpec = { apiVersion, kind, metadata: {}, spec: { entrypoint: 'main', params: [{ name: 'x', value: '${trialParameters.x}' }] } };
      e.spec.trialTemplate!.primaryPodLabels = { 'katib.kubeflow.org/model-training': 'true' };
      e.spec.trialTemplate!.successCondition = 'status.[@this].#(phase=="Succeeded")#';
      e.spec.trialTemplate!.failureCondition = 'status.[@this].#(phase=="Failed")#';
      await client.create(e);
      const done = await finished(ns, name);
      const failed = done.status?.conditions?.find((c) => c.type === 'Failed' && c.status === 'True');
      assert.ok(failed?.message?.includes(gvk) && failed.message.includes('not served'), JSON.stringify(done.status?.conditions));
      assert.equal((await trialsOf(ns, name)).length, 0);
    }
  });

  test('training jobs: the operator\'s defaults are stored; runPolicy.managedBy is honoured, checked and immutable', async () => {
    const ns = await freshNamespace(client, 'fid-managed');
    const job = (name: string, runPolicy?: Record<string, unknown>): KubeObject => ({
      apiVersion: 'kubeflow.org/v1',
      kind: 'PyTorchJob',
      metadata: { name, namespace: ns },
      spec: {
        ...(runPolicy ? { runPolicy } : {}),
        pytorchReplicaSpecs: { master: { template: { spec: { containers: [{ name: 'pytorch', image: 'python:3.11', command: ['python3', '-c', 'print("done")'] }] } } } },
      },
    });
    const stored = await client.create(job('defaults'));
    const spec = stored['spec'] as Record<string, unknown> & { runPolicy: Record<string, unknown>; pytorchReplicaSpecs: Record<string, Record<string, unknown>> };
    assert.deepEqual(Object.keys(spec.pytorchReplicaSpecs), ['Master']);
    const master = spec.pytorchReplicaSpecs['Master']!;
    assert.equal(master['replicas'], 1);
    assert.equal(master['restartPolicy'], 'OnFailure');
    assert.deepEqual((master['template'] as { spec: { containers: { ports?: unknown }[] } }).spec.containers[0]!.ports, [{ name: 'pytorchjob-port', containerPort: 23456 }]);
    assert.equal(spec.runPolicy['cleanPodPolicy'], 'None');
    assert.equal(spec.runPolicy['suspend'], false);
    assert.equal(spec['nprocPerNode'], 'auto');

    await assert.rejects(client.create(job('bad-manager', { managedBy: 'example.com/other' })), invalid('spec.runPolicy.managedBy', 'Unsupported value: "example.com/other": supported values: "kueue.x-k8s.io/multikueue", "kubeflow.org/training-operator"'));
    await client.create(job('multikueue', { managedBy: 'kueue.x-k8s.io/multikueue' }));
    await client.create(job('ours', { managedBy: 'kubeflow.org/training-operator' }));
    // Once the operator has run its own job to the end, it has long seen the MultiKueue one: no Pods, no status.
    await waitFor(async () => {
      const j = await client.get(PyTorchJobRef, 'ours', ns);
      return (j['status'] as { conditions?: { type: string; status: string }[] } | undefined)?.conditions?.some((c) => c.type === 'Succeeded' && c.status === 'True') ? j : undefined;
    }, { what: 'the operator-managed job to succeed', timeoutMs: 60_000 });
    const foreign = await client.get(PyTorchJobRef, 'multikueue', ns);
    assert.equal(foreign['status'], undefined, JSON.stringify(foreign['status']));
    const pods = (await client.list(PodRef, { namespace: ns, labelSelector: 'training.kubeflow.org/job-name=multikueue' })).items;
    assert.equal(pods.length, 0);
    await assert.rejects(
      client.update({ ...foreign, spec: { ...(foreign['spec'] as object), runPolicy: { ...((foreign['spec'] as { runPolicy: object }).runPolicy), managedBy: 'kubeflow.org/training-operator' } } }),
      invalid('spec.runPolicy.managedBy', 'field is immutable'),
    );
  });
});
