// The Experiment controller: keeps parallelTrialCount trials going until the goal, maxTrialCount or
// maxFailedTrialCount ends the experiment; asks its Suggestion for assignments, creates a Trial per assignment, and
// rolls the trials up into the status (lists, counts, current optimal trial), as Katib's experiment controller does.
import { parse as parseYaml } from 'yaml';
import { FloeError } from '../../api/errors.js';
import type { KubeObject } from '../../api/meta.js';
import { controllerReference, isControlledBy, kubeTime, realClock, TerminalError, type Clock, type ReconcileContext, type Reconciler, type Request } from '../../controller/index.js';
import { defaultExperiment, defaultTrialConditions, validateExperiment } from './spec.js';
import { isTrue, mark, objectiveValue, trialState } from './status.js';
import { renderRunSpec } from './template.js';
import { ExperimentRef, Labels, SuggestionRef, TrialRef, type Experiment, type ExperimentStatus, type Suggestion, type SuggestionItem, type Trial } from './types.js';

const ConfigMapRef = { apiVersion: 'v1', kind: 'ConfigMap' } as const;

export class ExperimentReconciler implements Reconciler {
  private readonly clock: Clock;

  constructor(options: { clock?: Clock } = {}) {
    this.clock = options.clock ?? realClock();
  }

  async reconcile(ctx: ReconcileContext, request: Request): Promise<void> {
    let experiment: Experiment;
    try {
      experiment = await ctx.client.get<Experiment>(ExperimentRef, request.name, request.namespace);
    } catch (err) {
      if (err instanceof FloeError && err.reason === 'NotFound') return;
      throw err;
    }
    if (experiment.metadata.deletionTimestamp) return;
    const now = this.clock.now();
    // On a cluster no webhook defaults or checks the experiment: do both here (a no-op after Floe's admission).
    experiment = { ...experiment, spec: defaultExperiment(structuredClone(experiment)).spec };
    const problems = isTrue(experiment.status?.conditions, 'Failed') ? [] : validateExperiment(experiment);
    if (problems.length > 0) {
      const message = problems.map((p) => `${p.field}: ${p.message}`).join('; ');
      await this.fail(ctx, experiment, `invalid spec: ${message}`, now);
      throw new TerminalError(message, { reason: 'InvalidExperiment' });
    }
    const spec = experiment.spec;
    const status: ExperimentStatus = structuredClone(experiment.status ?? {});
    const before = JSON.stringify(status);
    const conditions = (status.conditions ??= []);
    const write = async (): Promise<void> => {
      if (JSON.stringify(status) === before) return;
      status.lastReconcileTime = kubeTime(now);
      await ctx.client.updateStatus<Experiment>({ ...experiment, status });
    };
    status.startTime ??= kubeTime(now);
    mark(conditions, 'Created', 'True', 'ExperimentCreated', 'Experiment is created', now);

    const trials = (await ctx.client.list<Trial>(TrialRef, { namespace: request.namespace, labelSelector: `${Labels.experiment}=${request.name}` })).items.filter((t) => isControlledBy(t, experiment));
    const counts = rollUp(experiment, trials, status);
    const finished = counts.succeeded + counts.failed + counts.killed + counts.earlyStopped + counts.metricsUnavailable;
    const active = counts.pending + counts.running;

    // A finished experiment whose budget was raised restarts (resumePolicy LongRunning / FromVolume).
    const done = isTrue(conditions, 'Succeeded') || isTrue(conditions, 'Failed');
    if (done && spec.resumePolicy !== 'Never' && isTrue(conditions, 'Succeeded') && conditions.find((c) => c.type === 'Succeeded')?.reason === 'ExperimentMaxTrialsReached' && finished < (spec.maxTrialCount ?? Infinity)) {
      mark(conditions, 'Succeeded', 'False', 'ExperimentRestarting', 'Experiment is restarting', now);
      mark(conditions, 'Restarting', 'True', 'ExperimentRestarting', 'Experiment is restarting', now);
      delete status.completionTime;
    } else if (done) {
      await write();
      return;
    }

    const suggestion = await this.ensureSuggestion(ctx, experiment);
    const end = this.ending(experiment, counts, finished, active, suggestion, trials);
    if (end) {
      mark(conditions, 'Running', 'False', end.reason, end.message, now);
      mark(conditions, end.type, 'True', end.reason, end.message, now);
      status.completionTime = kubeTime(now);
      ctx.recorder.event(experiment, end.type === 'Failed' ? 'Warning' : 'Normal', end.reason, end.message);
      await write();
      if (spec.resumePolicy === 'Never') await this.closeSuggestion(ctx, suggestion, now);
      return;
    }

    // Keep parallelTrialCount trials going, never more than maxTrialCount in all.
    let room = Math.min((spec.parallelTrialCount ?? 3) - active, (spec.maxTrialCount ?? Infinity) - (finished + active));
    const existing = new Set(trials.map((t) => t.metadata.name));
    for (const item of suggestion.status?.suggestions ?? []) {
      if (room <= 0) break;
      if (existing.has(item.name)) continue;
      await this.createTrial(ctx, experiment, item, now);
      room -= 1;
    }
    const issued = suggestion.status?.suggestions?.length ?? 0;
    if (room > 0 && issued + room > suggestion.spec.requests) {
      await ctx.client.update<Suggestion>({ ...suggestion, spec: { ...suggestion.spec, requests: issued + room } });
    }
    if (isTrue(conditions, 'Restarting')) mark(conditions, 'Restarting', 'False', 'ExperimentRunning', 'Experiment is running', now);
    mark(conditions, 'Running', 'True', 'ExperimentRunning', 'Experiment is running', now);
    await write();
  }

  /** Katib's completion order: goal reached, too many failures, budget spent, suggestions exhausted. */
  private ending(experiment: Experiment, counts: Counts, finished: number, active: number, suggestion: Suggestion, trials: Trial[]): { type: 'Succeeded' | 'Failed'; reason: string; message: string } | undefined {
    const spec = experiment.spec;
    const goal = spec.objective?.goal;
    if (goal !== undefined && counts.best !== undefined && (spec.objective?.type === 'maximize' ? counts.best >= goal : counts.best <= goal)) {
      return { type: 'Succeeded', reason: 'ExperimentGoalReached', message: 'Experiment has succeeded because Objective goal has reached' };
    }
    const failures = counts.failed + counts.metricsUnavailable;
    if (spec.maxFailedTrialCount !== undefined && failures > 0 && failures >= spec.maxFailedTrialCount) {
      return { type: 'Failed', reason: 'ExperimentFailed', message: 'Experiment has failed because max failed count has reached' };
    }
    if (spec.maxTrialCount !== undefined && finished >= spec.maxTrialCount) {
      return { type: 'Succeeded', reason: 'ExperimentMaxTrialsReached', message: 'Experiment has succeeded because max trial count has reached' };
    }
    const unassigned = (suggestion.status?.suggestions ?? []).some((s) => !trials.some((t) => t.metadata.name === s.name));
    if (isTrue(suggestion.status?.conditions, 'Succeeded') && active === 0 && !unassigned) {
      return { type: 'Succeeded', reason: 'ExperimentSuggestionEndReached', message: 'Experiment has succeeded because suggestion service has reached the end' };
    }
    return undefined;
  }

  private async ensureSuggestion(ctx: ReconcileContext, experiment: Experiment): Promise<Suggestion> {
    const name = experiment.metadata.name ?? '';
    try {
      return await ctx.client.get<Suggestion>(SuggestionRef, name, experiment.metadata.namespace);
    } catch (err) {
      if (!(err instanceof FloeError && err.reason === 'NotFound')) throw err;
    }
    const spec = experiment.spec;
    const suggestion: Suggestion = {
      apiVersion: SuggestionRef.apiVersion,
      kind: SuggestionRef.kind,
      metadata: { name, namespace: experiment.metadata.namespace ?? '', labels: { [Labels.experiment]: name }, ownerReferences: [controllerReference(experiment)] },
      spec: { algorithm: spec.algorithm ?? { algorithmName: 'random' }, requests: 0, resumePolicy: spec.resumePolicy ?? 'Never', ...(spec.earlyStopping ? { earlyStopping: spec.earlyStopping } : {}) },
    };
    return ctx.client.create(suggestion);
  }

  private async closeSuggestion(ctx: ReconcileContext, suggestion: Suggestion, now: number): Promise<void> {
    const status = structuredClone(suggestion.status ?? {});
    const conditions = (status.conditions ??= []);
    mark(conditions, 'Running', 'False', 'Succeeded', 'Suggestion is succeeded', now);
    if (!mark(conditions, 'Succeeded', 'True', 'Succeeded', 'Suggestion is succeeded', now)) return;
    status.completionTime = kubeTime(now);
    const fresh = await ctx.client.get<Suggestion>(SuggestionRef, suggestion.metadata.name ?? '', suggestion.metadata.namespace);
    await ctx.client.updateStatus<Suggestion>({ ...fresh, status: { ...fresh.status, conditions: status.conditions, completionTime: status.completionTime } });
  }

  private async createTrial(ctx: ReconcileContext, experiment: Experiment, item: SuggestionItem, now: number): Promise<void> {
    const spec = experiment.spec;
    const template = structuredClone(spec.trialTemplate ?? {});
    const namespace = experiment.metadata.namespace ?? '';
    let trialSpec = template.trialSpec;
    if (!trialSpec && template.configMap) trialSpec = await this.templateFromConfigMap(ctx, experiment);
    let runSpec: KubeObject;
    try {
      runSpec = renderRunSpec({ trialSpec: trialSpec ?? { apiVersion: '', kind: '', metadata: {} }, trialName: item.name, namespace, trialParameters: template.trialParameters ?? [], assignments: item.parameterAssignments });
    } catch (err) {
      await this.fail(ctx, experiment, `cannot render the trial template: ${(err as Error).message}`, now);
      throw new TerminalError((err as Error).message, { reason: 'InvalidTrialTemplate' });
    }
    await this.ensureServed(ctx, experiment, runSpec, now);
    defaultTrialConditions(template, runSpec.kind);
    const trial: Trial = {
      apiVersion: TrialRef.apiVersion,
      kind: TrialRef.kind,
      metadata: {
        name: item.name,
        namespace,
        labels: { ...(item.labels ?? {}), [Labels.experiment]: experiment.metadata.name ?? '' },
        ownerReferences: [controllerReference(experiment)],
      },
      spec: {
        ...(spec.objective ? { objective: spec.objective } : {}),
        parameterAssignments: item.parameterAssignments,
        ...(item.earlyStoppingRules ? { earlyStoppingRules: item.earlyStoppingRules } : {}),
        runSpec,
        retainRun: template.retain ?? false,
        ...(spec.metricsCollectorSpec ? { metricsCollector: spec.metricsCollectorSpec } : {}),
        ...(template.primaryPodLabels ? { primaryPodLabels: template.primaryPodLabels } : {}),
        ...(template.primaryContainerName ? { primaryContainerName: template.primaryContainerName } : {}),
        ...(template.successCondition ? { successCondition: template.successCondition } : {}),
        ...(template.failureCondition ? { failureCondition: template.failureCondition } : {}),
        ...(item.labels ? { labels: item.labels } : {}),
      },
    };
    try {
      await ctx.client.create(trial);
      ctx.recorder.event(experiment, 'Normal', 'TrialCreated', `Created trial ${item.name}`);
    } catch (err) {
      if (!(err instanceof FloeError && err.reason === 'AlreadyExists')) throw err;
    }
  }

  /**
   * A trial whose kind the API does not serve (an Argo Workflow or Tekton PipelineRun without its CRD, a CRD never
   * installed) could never start: the experiment fails at once with a condition naming the kind, instead of stalling.
   */
  private async ensureServed(ctx: ReconcileContext, experiment: Experiment, runSpec: KubeObject, now: number): Promise<void> {
    const ref = { apiVersion: runSpec.apiVersion ?? '', kind: runSpec.kind ?? '' };
    try {
      await ctx.client.list(ref, { namespace: experiment.metadata.namespace ?? '', limit: 1 });
      return;
    } catch (err) {
      if (!(err instanceof FloeError && err.reason === 'NotFound')) throw err;
    }
    const [group, version] = ref.apiVersion.includes('/') ? ref.apiVersion.split('/') : ['', ref.apiVersion];
    const gvk = [ref.kind, version, group].filter(Boolean).join('.');
    const message = `Experiment has failed because its trial kind ${gvk} is not served: no CustomResourceDefinition declares ${ref.kind} in ${ref.apiVersion}, so its trials cannot run (install the CRD and its controller, then create the experiment again)`;
    ctx.recorder.event(experiment, 'Warning', 'TrialKindNotServed', message);
    await this.fail(ctx, experiment, message, now);
    throw new TerminalError(message, { reason: 'TrialKindNotServed' });
  }

  private async templateFromConfigMap(ctx: ReconcileContext, experiment: Experiment): Promise<KubeObject> {
    const ref = experiment.spec.trialTemplate?.configMap ?? {};
    const now = this.clock.now();
    try {
      const cm = await ctx.client.get<KubeObject & { data?: Record<string, string> }>(ConfigMapRef, ref.configMapName ?? '', ref.configMapNamespace ?? experiment.metadata.namespace);
      const text = cm.data?.[ref.templatePath ?? ''];
      if (text === undefined) throw new Error(`ConfigMap ${ref.configMapName ?? ''} has no key ${ref.templatePath ?? ''}`);
      return parseYaml(text) as KubeObject;
    } catch (err) {
      const message = err instanceof FloeError && err.reason === 'NotFound' ? `ConfigMap ${ref.configMapName ?? ''} not found` : (err as Error).message;
      await this.fail(ctx, experiment, `cannot read the trial template: ${message}`, now);
      throw new TerminalError(message, { reason: 'InvalidTrialTemplate' });
    }
  }

  private async fail(ctx: ReconcileContext, experiment: Experiment, message: string, now: number): Promise<void> {
    const fresh = await ctx.client.get<Experiment>(ExperimentRef, experiment.metadata.name ?? '', experiment.metadata.namespace);
    const status = structuredClone(fresh.status ?? {});
    const conditions = (status.conditions ??= []);
    mark(conditions, 'Running', 'False', 'ExperimentFailed', message, now);
    mark(conditions, 'Failed', 'True', 'ExperimentFailed', message, now);
    status.completionTime = kubeTime(now);
    await ctx.client.updateStatus<Experiment>({ ...fresh, status });
  }
}

interface Counts {
  pending: number;
  running: number;
  succeeded: number;
  failed: number;
  killed: number;
  earlyStopped: number;
  metricsUnavailable: number;
  best: number | undefined;
}

/** Fills the trial lists, counts and currentOptimalTrial of the status. */
function rollUp(experiment: Experiment, trials: Trial[], status: ExperimentStatus): Counts {
  const lists: Record<string, string[]> = { Pending: [], Running: [], Succeeded: [], Failed: [], Killed: [], EarlyStopped: [], MetricsUnavailable: [] };
  const sorted = [...trials].sort((a, b) => (a.metadata.name ?? '').localeCompare(b.metadata.name ?? ''));
  for (const t of sorted) lists[trialState(t)]!.push(t.metadata.name ?? '');
  const set = (key: keyof ExperimentStatus, names: string[]): void => {
    if (names.length > 0) (status as Record<string, unknown>)[key] = names;
    else delete (status as Record<string, unknown>)[key];
  };
  set('pendingTrialList', lists['Pending']!);
  set('runningTrialList', lists['Running']!);
  set('succeededTrialList', lists['Succeeded']!);
  set('failedTrialList', lists['Failed']!);
  set('killedTrialList', lists['Killed']!);
  set('earlyStoppedTrialList', lists['EarlyStopped']!);
  set('metricsUnavailableTrialList', lists['MetricsUnavailable']!);
  const n = (state: string): number => lists[state]!.length;
  Object.assign(status, {
    trials: trials.length,
    trialsPending: n('Pending'),
    trialsRunning: n('Running'),
    trialsSucceeded: n('Succeeded'),
    trialsFailed: n('Failed'),
    trialsKilled: n('Killed'),
    trialsEarlyStopped: n('EarlyStopped'),
    trialMetricsUnavailable: n('MetricsUnavailable'),
  });
  const maximize = experiment.spec.objective?.type === 'maximize';
  let best: { trial: Trial; value: number } | undefined;
  for (const t of sorted) {
    const state = trialState(t);
    if (state !== 'Succeeded' && state !== 'EarlyStopped') continue;
    const value = objectiveValue(experiment, t);
    if (value === undefined) continue;
    if (!best || (maximize ? value > best.value : value < best.value)) best = { trial: t, value };
  }
  if (best) {
    status.currentOptimalTrial = {
      bestTrialName: best.trial.metadata.name ?? '',
      parameterAssignments: best.trial.spec.parameterAssignments ?? [],
      observation: { metrics: best.trial.status?.observation?.metrics ?? [] },
    };
  }
  return { pending: n('Pending'), running: n('Running'), succeeded: n('Succeeded'), failed: n('Failed'), killed: n('Killed'), earlyStopped: n('EarlyStopped'), metricsUnavailable: n('MetricsUnavailable'), best: best?.value };
}
