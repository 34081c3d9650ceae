// The pure parts of Katib: GJSON conditions, template rendering, metric parsing, defaults and validation, the
// search-space transforms, hyperband's and pbt's schedules, and medianstop's rule.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { holds, get } from '../../api/gjson.js';
import { renderRunSpec, trialParameterRefs } from './template.js';
import { parseJsonLines, parseText, strategyValue, summarize } from './metrics.js';
import { defaultExperiment, validateExperiment } from './spec.js';
import { SearchSpace } from './algorithms/space.js';
import { hyperband, HyperbandLabels } from './algorithms/hyperband.js';
import { pbt, PbtLabels } from './algorithms/pbt.js';
import { grid } from './algorithms/grid.js';
import { random } from './algorithms/random.js';
import { breaksRule, medianStopRules } from './earlystopping.js';
import { parseEventFile } from './tfevents.js';
import type { SuggestInput, TrialRecord } from './algorithms/types.js';
import type { Experiment } from './types.js';

const jobStatus = (type: string, status: string) => ({ status: { conditions: [{ type: 'Running', status: 'False' }, { type, status }] } });

describe('GJSON conditions', () => {
  const success = 'status.conditions.#(type=="Complete")#|#(status=="True")#';
  test('Katib default success and failure conditions', () => {
    assert.equal(holds(jobStatus('Complete', 'True'), success), true);
    assert.equal(holds(jobStatus('Complete', 'False'), success), false);
    assert.equal(holds(jobStatus('Failed', 'True'), success), false);
    assert.equal(holds({}, success), false);
  });
  test('first-match queries, numbers, lengths and plain paths', () => {
    const doc = { status: { replicaStatuses: { Master: { succeeded: 1 } }, items: [{ n: 1 }, { n: 5 }] } };
    assert.equal(holds(doc, 'status.replicaStatuses.Master.succeeded'), true);
    assert.deepEqual(get(doc, 'status.items.#(n>2)'), { n: 5 });
    assert.equal(get(doc, 'status.items.#'), 2);
    assert.equal(holds(doc, 'status.items.#(n>9)#'), false);
  });
});

describe('trial templates', () => {
  const spec = { apiVersion: 'batch/v1', kind: 'Job', metadata: { labels: { team: 'ml' }, annotations: { note: 'x' } }, spec: { template: { spec: { containers: [{ name: 'c', args: ['--lr=${trialParameters.lr}', '--name=${trialParameters.me}', '${trialParameters.team}-${trialParameters.note}'] }] } } } };
  const trialParameters = [
    { name: 'lr', reference: 'lr' },
    { name: 'me', reference: '${trialSpec.Name}' },
    { name: 'team', reference: '${trialSpec.Labels[team]}' },
    { name: 'note', reference: '${trialSpec.Annotations[note]}' },
  ];
  test('parameters and trial metadata substituted; named after the trial', () => {
    assert.deepEqual([...trialParameterRefs(spec)].sort(), ['lr', 'me', 'note', 'team']);
    const run = renderRunSpec({ trialSpec: spec, trialName: 'exp-abc', namespace: 'ns1', trialParameters, assignments: [{ name: 'lr', value: '0.01' }] });
    assert.deepEqual((run['spec'] as { template: { spec: { containers: { args: string[] }[] } } }).template.spec.containers[0]!.args, ['--lr=0.01', '--name=exp-abc', 'ml-x']);
    assert.equal(run.metadata.name, 'exp-abc');
    assert.equal(run.metadata.namespace, 'ns1');
  });
  test('a placeholder without a value is an error', () => {
    assert.throws(() => renderRunSpec({ trialSpec: spec, trialName: 't', namespace: 'n', trialParameters: trialParameters.slice(1), assignments: [] }), /trialParameters\.lr/);
  });
});

describe('metrics', () => {
  test("Katib's default line format, timestamps, names filtered", () => {
    const logs = parseText('epoch 1\naccuracy=0.5 loss=1.2e-1\n2024-01-02T03:04:05Z accuracy = 0.75\nother=3\nScore=-7.53e-05', ['accuracy', 'loss', 'Score'], [], '2000-01-01T00:00:00.000Z');
    assert.deepEqual(logs, [
      { name: 'accuracy', value: 0.5, timeStamp: '2000-01-01T00:00:00.000Z' },
      { name: 'loss', value: 0.12, timeStamp: '2000-01-01T00:00:00.000Z' },
      { name: 'accuracy', value: 0.75, timeStamp: '2024-01-02T03:04:05.000Z' },
      { name: 'Score', value: -7.53e-5, timeStamp: '2000-01-01T00:00:00.000Z' },
    ]);
  });
  test('custom regexes and JSON lines', () => {
    assert.deepEqual(parseText('Epoch 3: {acc: 0.9}', ['acc'], ['\\{(\\w+): ([0-9.]+)\\}']).map((l) => l.value), [0.9]);
    // A user's metricsFormat runs on RE2 as Katib's Go collector runs it: a backtracking pattern cannot stall the
    // controller on a line built to defeat it (with a backtracking engine this line takes ~2^40 steps).
    const evil = `${'a'.repeat(40)}!`;
    assert.deepEqual(parseText(evil, ['a'], ['^(a|a)+(\\d)$', '(x+x+)+(y)']), []);
    assert.deepEqual(parseText('loss:0.25 loss:0.5', ['loss'], ['(\\w+):([0-9.]+)']).map((l) => l.value), [0.25, 0.5]);
    assert.deepEqual(parseJsonLines('{"loss": 2, "timestamp": 0}\nnot json\n{"loss": "1.5"}', ['loss'], 'T').map((l) => [l.value, l.timeStamp]), [[2, '1970-01-01T00:00:00.000Z'], [1.5, 'T']]);
  });
  test('observation and metric strategies', () => {
    const metrics = summarize(parseText('loss=3\nloss=1\nloss=2', ['loss']), ['loss', 'acc']);
    assert.deepEqual(metrics, [{ name: 'loss', min: '1', max: '3', latest: '2' }]);
    assert.equal(strategyValue(metrics, 'loss', 'min'), 1);
    assert.equal(strategyValue(metrics, 'loss', 'max'), 3);
    assert.equal(strategyValue(metrics, 'loss', 'latest'), 2);
    assert.equal(strategyValue([{ name: 'loss', min: 'unavailable', max: 'unavailable', latest: '4' }], 'loss', 'min'), 4);
    assert.equal(strategyValue(metrics, 'acc', 'max'), undefined);
  });
});

function exp(spec: Record<string, unknown>): Experiment {
  return {
    apiVersion: 'kubeflow.org/v1beta1',
    kind: 'Experiment',
    metadata: { name: 'e' },
    spec: {
      objective: { type: 'maximize', objectiveMetricName: 'acc', additionalMetricNames: ['loss'] },
      algorithm: { algorithmName: 'random' },
      parameters: [{ name: 'lr', parameterType: 'double', feasibleSpace: { min: '0.01', max: '0.1' } }],
      trialTemplate: { primaryContainerName: 'main', trialParameters: [{ name: 'lr', reference: 'lr' }], trialSpec: { apiVersion: 'kubeflow.org/v1', kind: 'PyTorchJob', metadata: {}, spec: { x: '${trialParameters.lr}' } } },
      ...spec,
    },
  };
}

describe('defaults and validation', () => {
  test("Katib's defaults: parallelism, resume policy, strategies, training-kind conditions, collector, distribution", () => {
    const e = defaultExperiment(exp({}));
    assert.equal(e.spec.parallelTrialCount, 3);
    assert.equal(e.spec.resumePolicy, 'Never');
    assert.deepEqual(e.spec.objective?.metricStrategies, [{ name: 'acc', value: 'max' }, { name: 'loss', value: 'max' }]);
    assert.equal(e.spec.trialTemplate?.successCondition, 'status.conditions.#(type=="Succeeded")#|#(status=="True")#');
    assert.deepEqual(e.spec.trialTemplate?.primaryPodLabels, { 'training.kubeflow.org/job-role': 'master' });
    assert.deepEqual(e.spec.metricsCollectorSpec, { collector: { kind: 'StdOut' } });
    assert.equal(e.spec.parameters?.[0]?.feasibleSpace.distribution, 'uniform');
    assert.deepEqual(validateExperiment(e), []);
    const file = defaultExperiment(exp({ metricsCollectorSpec: { collector: { kind: 'File' } } }));
    assert.deepEqual(file.spec.metricsCollectorSpec?.source?.fileSystemPath, { path: '/var/log/katib/metrics.log', kind: 'File', format: 'TEXT' });
  });
  test('every bad field is named', () => {
    const fields = (e: Experiment): string[] => validateExperiment(defaultExperiment(e)).map((x) => x.field);
    assert.deepEqual(fields(exp({ maxTrialCount: 2, parallelTrialCount: 4, maxFailedTrialCount: 3 })), ['spec.parallelTrialCount', 'spec.maxFailedTrialCount']);
    assert.deepEqual(fields(exp({ algorithm: { algorithmName: 'grid' }, maxTrialCount: 5 })), ['spec.parameters[0].feasibleSpace.step']);
    assert.deepEqual(fields(exp({ algorithm: { algorithmName: 'grid' }, maxTrialCount: 50, parameters: [{ name: 'lr', parameterType: 'double', feasibleSpace: { min: '0.01', max: '0.1', step: '0.01' } }] })), ['spec.maxTrialCount']);
    assert.deepEqual(fields(exp({ algorithm: { algorithmName: 'hyperband', algorithmSettings: [{ name: 'eta', value: '3' }] } })), ['spec.algorithm.algorithmSettings[r_l]', 'spec.algorithm.algorithmSettings[resource_name]']);
    assert.deepEqual(fields(exp({ earlyStopping: { algorithmName: 'medianstop', algorithmSettings: [{ name: 'start_step', value: '0' }] } })), ['spec.earlyStopping.algorithmSettings[start_step]']);
    assert.deepEqual(fields(exp({ metricsCollectorSpec: { collector: { kind: 'StdOut' }, source: { filter: { metricsFormat: ['(only one group)'] } } } })), ['spec.metricsCollectorSpec.source.filter.metricsFormat[0]']);
    assert.deepEqual(fields(exp({ metricsCollectorSpec: { collector: { kind: 'PrometheusMetric' } } })), ['spec.metricsCollectorSpec.collector.kind']);
    const unused = exp({});
    unused.spec.trialTemplate!.trialParameters!.push({ name: 'batch', reference: 'lr' });
    assert.deepEqual(fields(unused), ['spec.trialTemplate.trialParameters']);
    const undeclared = exp({});
    (undeclared.spec.trialTemplate!.trialSpec!['spec'] as Record<string, string>)['y'] = '${trialParameters.momentum}';
    assert.deepEqual(fields(undeclared), ['spec.trialTemplate.trialSpec']);
  });
  test('only the trial budget may change after creation', () => {
    const old = defaultExperiment(exp({ maxTrialCount: 5 }));
    assert.deepEqual(validateExperiment(defaultExperiment(exp({ maxTrialCount: 8 })), old), []);
    assert.deepEqual(validateExperiment(defaultExperiment(exp({ maxTrialCount: 5, algorithm: { algorithmName: 'grid' } })), old).map((e) => e.field).at(-1), 'spec');
    const finished = { ...old, status: { conditions: [{ type: 'Succeeded', status: 'True' as const, reason: 'ExperimentMaxTrialsReached' }] } };
    // Katib names resumePolicy: any change to a finished, non-restartable experiment is refused.
    assert.deepEqual(validateExperiment(defaultExperiment(exp({ maxTrialCount: 8 })), finished).map((e) => e.field), ['spec.resumePolicy'], 'resumePolicy Never: no restart');
    assert.deepEqual(validateExperiment(defaultExperiment(exp({ maxTrialCount: 5 })), finished), [], 'an unchanged spec passes');
    const longRunning = defaultExperiment(exp({ maxTrialCount: 5, resumePolicy: 'LongRunning' }));
    assert.deepEqual(validateExperiment(defaultExperiment(exp({ maxTrialCount: 8, resumePolicy: 'LongRunning' })), { ...longRunning, status: finished.status }), []);
    // The budget must exceed the trials already made.
    const withTrials = { ...longRunning, status: { ...finished.status, trials: 5 } };
    assert.deepEqual(validateExperiment(defaultExperiment(exp({ maxTrialCount: 4, resumePolicy: 'LongRunning' })), withTrials).map((e) => e.field), ['spec.maxTrialCount']);
  });
});

const base = (over: Partial<SuggestInput>): SuggestInput => ({ parameters: [], objective: 'minimize', settings: {}, trials: [], count: 1, issued: 0, parallelTrialCount: 1, defaultSeed: 1, ...over });

describe('search space', () => {
  test('distributions map the unit interval onto the feasible space and back', () => {
    const space = new SearchSpace([
      { name: 'u', parameterType: 'double', feasibleSpace: { min: '0', max: '10' } },
      { name: 'l', parameterType: 'double', feasibleSpace: { min: '0.001', max: '1', distribution: 'logUniform' } },
      { name: 'n', parameterType: 'double', feasibleSpace: { min: '-3', max: '3', distribution: 'normal' } },
      { name: 'i', parameterType: 'int', feasibleSpace: { min: '1', max: '4' } },
      { name: 'c', parameterType: 'categorical', feasibleSpace: { list: ['a', 'b', 'c'] } },
    ]);
    assert.deepEqual(space.decode([0.5, 0.5, 0.5, 0.99, 0.2]).map((a) => a.value), ['5', String(Number(Math.sqrt(0.001).toPrecision(15))), '0', '4', 'a']);
    const x = space.encode([{ name: 'u', value: '2.5' }, { name: 'l', value: '0.01' }, { name: 'n', value: '1' }, { name: 'i', value: '2' }, { name: 'c', value: 'c' }])!;
    assert.ok(Math.abs(x[0]! - 0.25) < 1e-12 && Math.abs(x[1]! - 1 / 3) < 1e-9 && Math.abs(x[2]! - 0.8413447) < 1e-6);
    assert.deepEqual(x.slice(3), [0.375, 5 / 6]);
    assert.equal(space.encode([{ name: 'u', value: '11' }]), undefined);
  });
  test('random is deterministic under random_state and differs between batches', () => {
    const parameters = [{ name: 'x', parameterType: 'double' as const, feasibleSpace: { min: '0', max: '1' } }];
    const a = random.suggest(base({ parameters, settings: { random_state: '4' }, count: 3 }));
    const b = random.suggest(base({ parameters, settings: { random_state: '4' }, count: 3 }));
    const c = random.suggest(base({ parameters, settings: { random_state: '4' }, count: 3, issued: 3 }));
    assert.deepEqual(a, b);
    assert.notDeepEqual(a, c);
  });
  test('grid hands out every point once, then nothing', () => {
    const parameters = [{ name: 'x', parameterType: 'int' as const, feasibleSpace: { min: '0', max: '2' } }, { name: 'y', parameterType: 'categorical' as const, feasibleSpace: { list: ['a', 'b'] } }];
    const first = grid.suggest(base({ parameters, count: 4 })).suggestions;
    const trials: TrialRecord[] = first.map((s, i) => ({ name: `t${i}`, assignments: s.assignments, state: 'Succeeded', value: i }));
    const rest = grid.suggest(base({ parameters, count: 4, trials, issued: 4 })).suggestions;
    assert.equal(rest.length, 2);
    const all = [...first, ...rest].map((s) => s.assignments.map((a) => a.value).join(''));
    assert.deepEqual(all.sort(), ['0a', '0b', '1a', '1b', '2a', '2b']);
    assert.deepEqual(grid.suggest(base({ parameters, count: 1, trials: [...trials, ...rest.map((s, i) => ({ name: `r${i}`, assignments: s.assignments, state: 'Succeeded' as const, value: 0 }))] })).suggestions, []);
  });
});

describe('hyperband', () => {
  const parameters = [
    { name: 'lr', parameterType: 'double' as const, feasibleSpace: { min: '0', max: '1' } },
    { name: 'epochs', parameterType: 'int' as const, feasibleSpace: { min: '1', max: '9' } },
  ];
  const settings = { r_l: '9', eta: '3', resource_name: 'epochs', random_state: '1' };
  test('brackets of successive halving, promoting the best by rank, state read back from labels', () => {
    const trials: TrialRecord[] = [];
    const rounds: string[] = [];
    for (let step = 0; step < 20; step++) {
      const out = hyperband.suggest(base({ parameters, settings, trials, count: 9, issued: trials.length, parallelTrialCount: 9 })).suggestions;
      if (out.length === 0) break;
      rounds.push(`${out[0]!.labels![HyperbandLabels.bracket]}/${out[0]!.labels![HyperbandLabels.round]}:${out.length}x${out[0]!.assignments[1]!.value}`);
      // The loss is the learning rate itself, so the smallest lr must be the one promoted.
      for (const s of out) trials.push({ name: `t${trials.length}`, assignments: s.assignments, labels: s.labels!, state: 'Succeeded', value: Number(s.assignments[0]!.value) });
    }
    assert.deepEqual(rounds, ['2/0:9x1', '2/1:3x3', '2/2:1x9', '1/0:5x3', '1/1:1x9', '0/0:3x9']);
    const bracket2 = trials.filter((t) => t.labels?.[HyperbandLabels.bracket] === '2');
    const best = bracket2.filter((t) => t.labels?.[HyperbandLabels.round] === '0').sort((a, b) => a.value! - b.value!)[0]!;
    assert.equal(bracket2.find((t) => t.labels?.[HyperbandLabels.round] === '2')!.assignments[0]!.value, best.assignments[0]!.value);
  });
  test('waits while a round is still running', () => {
    const first = hyperband.suggest(base({ parameters, settings, count: 9, parallelTrialCount: 9 })).suggestions;
    const trials: TrialRecord[] = first.map((s, i) => ({ name: `t${i}`, assignments: s.assignments, labels: s.labels!, state: i === 0 ? 'Running' : 'Succeeded', value: 1 }));
    assert.deepEqual(hyperband.suggest(base({ parameters, settings, trials, count: 3, issued: 9, parallelTrialCount: 9 })).suggestions, []);
  });
  test('needs parallelTrialCount >= eta^s_max', () => {
    assert.deepEqual(hyperband.validate({ parameters, settings, parallelTrialCount: 3, settingsPath: 'p' }).map((e) => e.field), ['spec.parallelTrialCount']);
  });
});

describe('pbt', () => {
  const parameters = [{ name: 'lr', parameterType: 'double' as const, feasibleSpace: { min: '0.0001', max: '0.1' } }];
  const settings = { n_population: '5', truncation_threshold: '0.4', suggestion_trial_dir: '/tmp/x', random_state: '2' };
  test('the bottom of a generation exploits the top and explores around it; the rest continue', () => {
    const gen0 = pbt.suggest(base({ parameters, settings, count: 5 })).suggestions;
    assert.equal(gen0.length, 5);
    const trials: TrialRecord[] = gen0.map((s, i) => ({ name: `g0-${i}`, assignments: s.assignments, labels: s.labels!, state: 'Succeeded', value: i }));
    const gen1 = pbt.suggest(base({ parameters, settings, trials, count: 5, issued: 5 })).suggestions;
    assert.deepEqual(gen1.map((s) => s.labels![PbtLabels.generation]), ['1', '1', '1', '1', '1']);
    assert.deepEqual(gen1.slice(0, 3).map((s) => s.labels![PbtLabels.parent]), ['g0-0', 'g0-1', 'g0-2']);
    assert.deepEqual(gen1.slice(0, 3).map((s) => s.assignments), gen0.slice(0, 3).map((s) => s.assignments));
    for (const s of gen1.slice(3)) {
      const parent = trials.find((t) => t.name === s.labels![PbtLabels.parent])!;
      assert.ok(['g0-0', 'g0-1'].includes(parent.name), 'exploits a top member');
      const ratio = Number(s.assignments[0]!.value) / Number(parent.assignments[0]!.value);
      assert.ok(Math.abs(ratio - 0.8) < 1e-9 || Math.abs(ratio - 1.2) < 1e-9 || Number(s.assignments[0]!.value) === 0.1 || Number(s.assignments[0]!.value) === 0.0001, `perturbed by 0.8 or 1.2: ${ratio}`);
    }
  });
});

describe('tfevents', () => {
  // Written by TensorFlow 2.21: tf.summary.write("accuracy", tf.constant(v), step=step) for v in 0.5, 0.8, 0.7.
  const file = Buffer.from('3e00000000000000d9d240e7090000401de4c2da411a0d627261696e2e4576656e743a3252240a2274656e736f72666c6f772e636f72652e7574696c2e6576656e74735f777269746572ce8057d52300000000000000b09f7743097d5e661de4c2da412a180a160a086163637572616379420a0801120022040000003f6037609d2500000000000000eabc36f309546e661de4c2da4110012a180a160a086163637572616379420a080112002204cdcc4c3fdae6af082500000000000000eabc36f3094e7b661de4c2da4110022a180a160a086163637572616379420a0801120022043333333f1faab6be', 'hex');
  test('TF2 tensor scalars with their wall time; other tags ignored', () => {
    const logs = parseEventFile(file, ['accuracy']);
    assert.deepEqual(logs.map((l) => Math.round(l.value * 1e6) / 1e6), [0.5, 0.8, 0.7]);
    assert.ok(logs.every((l) => l.timeStamp.startsWith('2026-')));
    assert.deepEqual(parseEventFile(file, ['loss']), []);
    assert.deepEqual(parseEventFile(file.subarray(0, file.length - 3), ['accuracy']).length, 2, 'a record cut short is not read');
  });
});

describe('medianstop', () => {
  test('no rule before min_trials_required; then the median of first-start_step averages', () => {
    assert.deepEqual(medianStopRules({ objective: 'minimize', metricName: 'loss', settings: {}, succeeded: [[1], [2]] }), []);
    const rules = medianStopRules({ objective: 'maximize', metricName: 'acc', settings: { start_step: '2' }, succeeded: [[0.5, 0.7, 0.9], [0.2, 0.4], [0.8, 1.0]] });
    assert.deepEqual(rules, [{ name: 'acc', value: '0.6', comparison: 'less', startStep: 2 }]);
    assert.equal(breaksRule(rules[0]!, [0.1]), false, 'not before start_step reports');
    assert.equal(breaksRule(rules[0]!, [0.1, 0.5]), true);
    assert.equal(breaksRule(rules[0]!, [0.1, 0.7]), false);
  });
});
