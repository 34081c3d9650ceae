// Katib's admission for Experiments: the defaulting webhook (experiment_defaults.go) and the validator, returning
// every bad field at once. Pure functions of the manifest, so the same checks run in admission and in unit tests.
import { fieldErrors, type FieldError } from '../../api/errors.js';
import type { KubeObject } from '../../api/meta.js';
import { algorithms, algorithmNames } from './algorithms/index.js';
import type { ParameterSpec } from './algorithms/types.js';
import { validateEarlyStopping } from './earlystopping.js';
import { trialParameterRefs } from './template.js';
import type { Experiment, ExperimentSpec, MetricsCollectorSpec, Setting, TrialTemplate } from './types.js';
import { compileRe2 } from '../../api/schema/index.js';

const trainingKinds = ['TFJob', 'PyTorchJob', 'XGBoostJob', 'MXJob', 'MPIJob'];
const condition = (type: string): string => `status.conditions.#(type=="${type}")#|#(status=="True")#`;

/** Trial kinds Katib's default config allows (group/version/kind). */
export const allowedTrialKinds: readonly string[] = ['batch/v1/Job', ...trainingKinds.map((k) => `kubeflow.org/v1/${k}`), 'trainer.kubeflow.org/v1alpha1/TrainJob'];

export const DefaultMetricsFile = '/var/log/katib/metrics.log';
export const DefaultTfEventDir = '/var/log/katib/tfevent/';

export const settingsMap = (settings: readonly Setting[] | undefined): Record<string, string> => Object.fromEntries((settings ?? []).map((s) => [s.name, s.value]));

/**
 * Success and failure conditions (and the primary Pod labels) for the trial kinds Katib knows. Admission applies them
 * to an inline trialSpec; a template from a ConfigMap gets them when the trial is rendered.
 */
export function defaultTrialConditions(template: TrialTemplate, kind: string | undefined): void {
  if (kind === 'Job') {
    template.successCondition ??= condition('Complete');
    template.failureCondition ??= condition('Failed');
  } else if (kind && trainingKinds.includes(kind)) {
    template.successCondition ??= condition('Succeeded');
    template.failureCondition ??= condition('Failed');
    template.primaryPodLabels ??= { 'training.kubeflow.org/job-role': 'master' };
  } else if (kind === 'TrainJob') {
    template.successCondition ??= condition('Complete');
    template.failureCondition ??= condition('Failed');
    template.primaryPodLabels ??= { 'jobset.sigs.k8s.io/replicatedjob-name': 'node', 'batch.kubernetes.io/job-completion-index': '0' };
  }
}

/** Fills what Katib's defaulting webhook fills. Mutates and returns the experiment. */
export function defaultExperiment(experiment: Experiment): Experiment {
  const spec: ExperimentSpec = (experiment.spec ??= {});
  spec.parallelTrialCount ??= 3;
  spec.resumePolicy ??= 'Never';
  const objective = spec.objective;
  if (objective && !objective.metricStrategies?.length) {
    const rule = objective.type === 'minimize' ? 'min' : objective.type === 'maximize' ? 'max' : 'latest';
    const names = [objective.objectiveMetricName, ...(objective.additionalMetricNames ?? [])].filter((n): n is string => typeof n === 'string');
    objective.metricStrategies = names.map((name) => ({ name, value: rule }));
  }
  if (spec.trialTemplate) defaultTrialConditions(spec.trialTemplate, spec.trialTemplate.trialSpec?.kind);
  const mc: MetricsCollectorSpec = (spec.metricsCollectorSpec ??= {});
  mc.collector ??= { kind: 'StdOut' };
  if (mc.collector.kind === 'File') {
    mc.source ??= {};
    mc.source.fileSystemPath ??= {};
    mc.source.fileSystemPath.path ??= DefaultMetricsFile;
    mc.source.fileSystemPath.kind ??= 'File';
    mc.source.fileSystemPath.format ??= 'TEXT';
  } else if (mc.collector.kind === 'TensorFlowEvent') {
    mc.source ??= {};
    mc.source.fileSystemPath ??= {};
    mc.source.fileSystemPath.path ??= DefaultTfEventDir;
    mc.source.fileSystemPath.kind ??= 'Directory';
  }
  for (const p of spec.parameters ?? []) {
    if ((p.parameterType === 'double' || p.parameterType === 'int') && p.feasibleSpace) p.feasibleSpace.distribution ??= 'uniform';
  }
  return experiment;
}

const isNum = (s: string | undefined): boolean => s !== undefined && s.trim() !== '' && Number.isFinite(Number(s));

function validateParameters(parameters: ParameterSpec[] | undefined, errors: FieldError[]): void {
  if (!parameters || parameters.length === 0) {
    errors.push(fieldErrors.required('spec.parameters', 'at least one parameter'));
    return;
  }
  const seen = new Set<string>();
  parameters.forEach((p, i) => {
    const path = `spec.parameters[${i}]`;
    if (!p.name) errors.push(fieldErrors.required(`${path}.name`));
    else if (seen.has(p.name)) errors.push({ type: 'FieldValueDuplicate', field: `${path}.name`, message: `Duplicate value: ${JSON.stringify(p.name)}` });
    else seen.add(p.name);
    const fs = p.feasibleSpace ?? {};
    switch (p.parameterType) {
      case 'double':
      case 'int': {
        for (const bound of ['min', 'max'] as const) {
          const v = fs[bound];
          if (v === undefined || v === '') errors.push(fieldErrors.required(`${path}.feasibleSpace.${bound}`, `a ${p.parameterType} parameter needs min and max`));
          else if (!isNum(v)) errors.push(fieldErrors.invalid(`${path}.feasibleSpace.${bound}`, v, 'must be a number'));
          else if (p.parameterType === 'int' && !Number.isInteger(Number(v))) errors.push(fieldErrors.invalid(`${path}.feasibleSpace.${bound}`, v, 'must be an integer'));
        }
        // min == max is one value (Katib's hyperband example pins num-epochs so); min > max is an empty space.
        if (isNum(fs.min) && isNum(fs.max) && Number(fs.min) > Number(fs.max)) errors.push(fieldErrors.invalid(`${path}.feasibleSpace.max`, fs.max, `must not be less than min (${fs.min})`));
        if (fs.step !== undefined && fs.step !== '' && !(isNum(fs.step) && Number(fs.step) > 0)) errors.push(fieldErrors.invalid(`${path}.feasibleSpace.step`, fs.step, 'must be a positive number'));
        if (fs.list !== undefined && fs.list.length > 0) errors.push(fieldErrors.invalid(`${path}.feasibleSpace.list`, fs.list, `a ${p.parameterType} parameter takes min and max, not a list`));
        const dist = fs.distribution ?? 'uniform';
        if (!['uniform', 'logUniform', 'normal', 'logNormal'].includes(dist)) errors.push(fieldErrors.notSupported(`${path}.feasibleSpace.distribution`, dist, ['uniform', 'logUniform', 'normal', 'logNormal']));
        if ((dist === 'logUniform' || dist === 'logNormal') && isNum(fs.min) && Number(fs.min) <= 0) errors.push(fieldErrors.invalid(`${path}.feasibleSpace.min`, fs.min, `must be positive for the ${dist} distribution`));
        break;
      }
      case 'discrete':
      case 'categorical': {
        const list = fs.list ?? [];
        if (list.length === 0) errors.push(fieldErrors.required(`${path}.feasibleSpace.list`, `a ${p.parameterType} parameter needs a list of values`));
        if (p.parameterType === 'discrete') list.forEach((v, j) => isNum(v) || errors.push(fieldErrors.invalid(`${path}.feasibleSpace.list[${j}]`, v, 'must be a number for a discrete parameter')));
        if (new Set(list).size !== list.length) errors.push(fieldErrors.invalid(`${path}.feasibleSpace.list`, list, 'values must be unique'));
        break;
      }
      default:
        errors.push(fieldErrors.notSupported(`${path}.parameterType`, p.parameterType, ['double', 'int', 'discrete', 'categorical']));
    }
  });
}

function validateCollector(mc: MetricsCollectorSpec | undefined, errors: FieldError[]): void {
  const kind = mc?.collector?.kind;
  const path = 'spec.metricsCollectorSpec';
  const supported = ['StdOut', 'File', 'TensorFlowEvent', 'Push'];
  if (kind === 'PrometheusMetric' || kind === 'Custom') {
    errors.push(fieldErrors.invalid(`${path}.collector.kind`, kind, `not supported by Floe; use one of ${supported.join(', ')}`));
  } else if (kind !== undefined && !supported.includes(kind)) {
    errors.push(fieldErrors.notSupported(`${path}.collector.kind`, kind, [...supported, 'PrometheusMetric', 'Custom']));
  }
  const fsp = mc?.source?.fileSystemPath;
  if (kind === 'File' && fsp) {
    if (!fsp.path?.startsWith('/')) errors.push(fieldErrors.invalid(`${path}.source.fileSystemPath.path`, fsp.path, 'must be an absolute file path'));
    if (fsp.kind !== 'File') errors.push(fieldErrors.invalid(`${path}.source.fileSystemPath.kind`, fsp.kind, 'must be File for the File collector'));
    if (fsp.format !== undefined && fsp.format !== 'TEXT' && fsp.format !== 'JSON') errors.push(fieldErrors.notSupported(`${path}.source.fileSystemPath.format`, fsp.format, ['TEXT', 'JSON']));
  }
  if (kind === 'TensorFlowEvent' && fsp) {
    if (!fsp.path?.startsWith('/')) errors.push(fieldErrors.invalid(`${path}.source.fileSystemPath.path`, fsp.path, 'must be an absolute directory path'));
    if (fsp.kind !== 'Directory') errors.push(fieldErrors.invalid(`${path}.source.fileSystemPath.kind`, fsp.kind, 'must be Directory for the TensorFlowEvent collector'));
  }
  (mc?.source?.filter?.metricsFormat ?? []).forEach((format, i) => {
    const field = `${path}.source.filter.metricsFormat[${i}]`;
    // Katib compiles these with Go's regexp: RE2 syntax, linear time.
    const compiled = compileRe2(`${format}|`);
    if ('error' in compiled) {
      errors.push(fieldErrors.invalid(field, format, `not a valid regular expression: ${compiled.error}`));
      return;
    }
    // Katib takes the first two groups as name and value and ignores the rest, so nested value groups such as
    // `((-?\d+)(\.\d+)?)` are fine; fewer than two cannot name a metric.
    const groups = (compiled.matchAll('')[0]?.length ?? 1) - 1;
    if (groups < 2) errors.push(fieldErrors.invalid(field, format, `two top subexpressions are required: at least 2 capture groups (the first is the metric name, the second its value), has ${groups}`));
  });
}

function validateTemplate(spec: ExperimentSpec, errors: FieldError[]): void {
  const t = spec.trialTemplate;
  const path = 'spec.trialTemplate';
  if (!t) {
    errors.push(fieldErrors.required(path));
    return;
  }
  if (!t.trialSpec && !t.configMap) errors.push(fieldErrors.required(`${path}.trialSpec`, 'a trialSpec or a configMap'));
  if (t.trialSpec && t.configMap) errors.push(fieldErrors.invalid(`${path}.configMap`, t.configMap.configMapName, 'give a trialSpec or a configMap, not both'));
  if (t.configMap && (!t.configMap.configMapName || !t.configMap.templatePath)) errors.push(fieldErrors.required(`${path}.configMap`, 'configMapName and templatePath'));
  if (!t.primaryContainerName) errors.push(fieldErrors.required(`${path}.primaryContainerName`));
  const names = new Set<string>();
  const parameterNames = new Set((spec.parameters ?? []).map((p) => p.name));
  (t.trialParameters ?? []).forEach((tp, i) => {
    const p = `${path}.trialParameters[${i}]`;
    if (!tp.name) errors.push(fieldErrors.required(`${p}.name`));
    else if (names.has(tp.name)) errors.push({ type: 'FieldValueDuplicate', field: `${p}.name`, message: `Duplicate value: ${JSON.stringify(tp.name)}` });
    names.add(tp.name);
    const metadataRef = /^\$\{trialSpec\.(Name|Namespace|Kind|APIVersion|Labels\[.+\]|Annotations\[.+\])\}$/.test(tp.reference ?? '');
    if (!tp.reference) errors.push(fieldErrors.required(`${p}.reference`));
    else if (!metadataRef && !parameterNames.has(tp.reference)) errors.push(fieldErrors.invalid(`${p}.reference`, tp.reference, 'must name one of spec.parameters or a ${trialSpec.<field>} of the trial'));
  });
  if (t.trialSpec) {
    const gvk = `${t.trialSpec.apiVersion ?? ''}/${t.trialSpec.kind ?? ''}`;
    if (!t.trialSpec.kind || !t.trialSpec.apiVersion) errors.push(fieldErrors.required(`${path}.trialSpec.kind`, 'apiVersion and kind'));
    else if (!allowedTrialKinds.includes(gvk) && (!t.successCondition || !t.failureCondition)) {
      errors.push(fieldErrors.required(`${path}.successCondition`, `successCondition and failureCondition for a ${t.trialSpec.kind} trial`));
    }
    for (const used of trialParameterRefs(t.trialSpec)) {
      if (!names.has(used)) errors.push(fieldErrors.invalid(`${path}.trialSpec`, `\${trialParameters.${used}}`, 'is not declared in spec.trialTemplate.trialParameters'));
    }
    for (const declared of names) {
      if (!trialParameterRefs(t.trialSpec).has(declared)) errors.push(fieldErrors.invalid(`${path}.trialParameters`, declared, 'is declared but not used in trialSpec'));
    }
  }
}

/** Every problem of a defaulted Experiment, each naming its field. */
export function validateExperiment(experiment: Experiment, old?: Experiment): FieldError[] {
  const errors: FieldError[] = [];
  const spec = experiment.spec ?? {};
  const o = spec.objective;
  if (!o) errors.push(fieldErrors.required('spec.objective'));
  else {
    if (o.type !== 'minimize' && o.type !== 'maximize') errors.push(fieldErrors.notSupported('spec.objective.type', o.type, ['minimize', 'maximize']));
    if (!o.objectiveMetricName) errors.push(fieldErrors.required('spec.objective.objectiveMetricName'));
    if (o.additionalMetricNames?.includes(o.objectiveMetricName)) errors.push(fieldErrors.invalid('spec.objective.additionalMetricNames', o.objectiveMetricName, 'must not contain the objective metric'));
    (o.metricStrategies ?? []).forEach((m, i) => {
      if (!['min', 'max', 'latest'].includes(m.value)) errors.push(fieldErrors.notSupported(`spec.objective.metricStrategies[${i}].value`, m.value, ['min', 'max', 'latest']));
    });
  }
  const positive = (field: 'parallelTrialCount' | 'maxTrialCount' | 'maxFailedTrialCount', min: number): void => {
    const v = spec[field];
    if (v !== undefined && (!Number.isInteger(v) || v < min)) errors.push(fieldErrors.invalid(`spec.${field}`, v, `must be an integer >= ${min}`));
  };
  positive('parallelTrialCount', 1);
  positive('maxTrialCount', 1);
  positive('maxFailedTrialCount', 0);
  if (spec.maxTrialCount !== undefined && spec.parallelTrialCount !== undefined && spec.parallelTrialCount > spec.maxTrialCount) {
    errors.push(fieldErrors.invalid('spec.parallelTrialCount', spec.parallelTrialCount, `must not exceed spec.maxTrialCount (${spec.maxTrialCount})`));
  }
  if (spec.maxTrialCount !== undefined && spec.maxFailedTrialCount !== undefined && spec.maxFailedTrialCount > spec.maxTrialCount) {
    errors.push(fieldErrors.invalid('spec.maxFailedTrialCount', spec.maxFailedTrialCount, `must not exceed spec.maxTrialCount (${spec.maxTrialCount})`));
  }
  if (spec.resumePolicy !== undefined && !['Never', 'LongRunning', 'FromVolume'].includes(spec.resumePolicy)) {
    errors.push(fieldErrors.notSupported('spec.resumePolicy', spec.resumePolicy, ['Never', 'LongRunning', 'FromVolume']));
  }
  if (spec.nasConfig) errors.push(fieldErrors.invalid('spec.nasConfig', 'nasConfig', 'neural architecture search (enas, darts) is not supported by Floe'));
  validateParameters(spec.parameters, errors);
  const name = spec.algorithm?.algorithmName;
  if (!name) errors.push(fieldErrors.required('spec.algorithm.algorithmName'));
  else if (!algorithms[name]) errors.push(fieldErrors.notSupported('spec.algorithm.algorithmName', name, algorithmNames()));
  else if (errors.every((e) => !e.field.startsWith('spec.parameters'))) {
    errors.push(
      ...algorithms[name].validate({
        parameters: spec.parameters ?? [],
        settings: settingsMap(spec.algorithm?.algorithmSettings),
        parallelTrialCount: spec.parallelTrialCount ?? 3,
        settingsPath: 'spec.algorithm.algorithmSettings',
        ...(spec.maxTrialCount !== undefined ? { maxTrialCount: spec.maxTrialCount } : {}),
      }),
    );
  }
  if (spec.earlyStopping) errors.push(...validateEarlyStopping(spec.earlyStopping.algorithmName, settingsMap(spec.earlyStopping.algorithmSettings), 'spec.earlyStopping'));
  validateCollector(spec.metricsCollectorSpec, errors);
  validateTemplate(spec, errors);
  if (old) errors.push(...validateUpdate(spec, old));
  return errors;
}

/**
 * Deep equality of decoded JSON, as Go's equality.Semantic.DeepEqual sees two decoded specs: object keys in any order,
 * a key whose value is undefined the same as a missing key.
 */
export function semanticEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) || Array.isArray(b)) {
    return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((v, i) => semanticEqual(v, b[i]));
  }
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  const ra = a as Record<string, unknown>;
  const rb = b as Record<string, unknown>;
  const keys = new Set([...Object.keys(ra), ...Object.keys(rb)]);
  for (const k of keys) if (!semanticEqual(ra[k], rb[k])) return false;
  return true;
}

const isCompleted = (e: Experiment): boolean => (e.status?.conditions ?? []).some((c) => (c.type === 'Succeeded' || c.type === 'Failed') && c.status === 'True');

/** Katib: a completed experiment restarts only when it reached maxTrialCount and its resumePolicy is LongRunning or FromVolume. */
function restartable(e: Experiment): boolean {
  const succeeded = e.status?.conditions?.find((c) => c.type === 'Succeeded' && c.status === 'True');
  return succeeded?.reason === 'ExperimentMaxTrialsReached' && (e.spec?.resumePolicy === 'LongRunning' || e.spec?.resumePolicy === 'FromVolume');
}

/**
 * Katib's update rules: only the trial budget may change (that is how an experiment is restarted), compared
 * semantically, so `kubectl get -o yaml | kubectl replace` of an unchanged spec passes whatever order its keys come in.
 */
function validateUpdate(spec: ExperimentSpec, old: Experiment): FieldError[] {
  const errors: FieldError[] = [];
  const before = old.spec ?? {};
  if (semanticEqual(spec, before)) return errors;
  if (isCompleted(old) && !restartable(old)) {
    errors.push(
      fieldErrors.invalid(
        'spec.resumePolicy',
        spec.resumePolicy,
        'Experiment can be restarted if it is in succeeded state by reaching max trials and spec.resumePolicy = LongRunning or spec.resumePolicy = FromVolume, when experiment is completed',
      ),
    );
  }
  const trials = old.status?.trials ?? 0;
  if (spec.maxTrialCount !== undefined && spec.maxTrialCount <= trials) errors.push(fieldErrors.invalid('spec.maxTrialCount', spec.maxTrialCount, 'must be greater than status.trials count'));
  const budget = { maxTrialCount: undefined, parallelTrialCount: undefined, maxFailedTrialCount: undefined };
  if (!semanticEqual({ ...spec, ...budget }, { ...before, ...budget })) {
    errors.push(fieldErrors.forbidden('spec', 'only spec.parallelTrialCount, spec.maxTrialCount and spec.maxFailedTrialCount are editable'));
  }
  return errors;
}

export const isExperiment = (o: KubeObject): o is Experiment => o.kind === 'Experiment';
