// The Suggestion controller: when an Experiment asks for more (spec.requests > status.suggestionCount) it runs the
// experiment's algorithm in-process over the trials so far and appends the new assignments, named, with the current
// early-stopping rules. Katib runs one suggestion Deployment per experiment and calls it over gRPC; the contract
// (requests, suggestions, stored algorithmSettings) is the same.
import { FloeError } from '../../api/errors.js';
import { kubeTime, realClock, type Clock, type ReconcileContext, type Reconciler, type Request } from '../../controller/index.js';
import { algorithms } from './algorithms/index.js';
import { claimName, desiredClaim, prepareFolders, trialDirOf } from './checkpoints.js';
import { mixSeed } from './algorithms/rng.js';
import type { SuggestionRunner } from './algorithms/runner.js';
import type { TrialRecord } from './algorithms/types.js';
import type { ObservationDb } from './db.js';
import { medianStopRules } from './earlystopping.js';
import { defaultExperiment, settingsMap } from './spec.js';
import { isTrue, mark, objectiveValue, trialState } from './status.js';
import { ExperimentRef, Labels, TrialRef, type Experiment, type Suggestion, type SuggestionItem, type Trial } from './types.js';

/** The name of an experiment's n-th suggestion (and so of its trial): stable across restarts. */
export function suggestionName(experiment: Experiment, index: number): string {
  let h = mixSeed(index);
  for (const ch of experiment.metadata.uid ?? experiment.metadata.name ?? '') h = mixSeed(h, ch.charCodeAt(0));
  return `${experiment.metadata.name ?? ''}-${(h >>> 0).toString(36).padStart(7, '0').slice(0, 8)}`;
}

const seedOf = (experiment: Experiment): number => mixSeed(...[...(experiment.metadata.uid ?? '')].map((c) => c.charCodeAt(0)));

export class SuggestionReconciler implements Reconciler {
  private readonly db: ObservationDb;
  private readonly clock: Clock;
  private readonly runner: SuggestionRunner | undefined;
  private readonly claimDir: ((namespace: string, claim: string) => string | undefined) | undefined;

  /**
   * With a runner, algorithms run on its worker thread; without, inline. `claimDir` is the host folder of a claim (the
   * local runtime's), where pbt prepares each trial's checkpoint folder.
   */
  constructor(options: { db: ObservationDb; clock?: Clock; runner?: SuggestionRunner; claimDir?: (namespace: string, claim: string) => string | undefined }) {
    this.db = options.db;
    this.clock = options.clock ?? realClock();
    this.runner = options.runner;
    this.claimDir = options.claimDir;
  }

  async reconcile(ctx: ReconcileContext, request: Request): Promise<void> {
    let suggestion: Suggestion;
    let experiment: Experiment;
    try {
      suggestion = await ctx.client.get<Suggestion>({ apiVersion: ExperimentRef.apiVersion, kind: 'Suggestion' }, request.name, request.namespace);
      experiment = await ctx.client.get<Experiment>(ExperimentRef, request.name, request.namespace);
    } catch (err) {
      if (err instanceof FloeError && err.reason === 'NotFound') return;
      throw err;
    }
    experiment = { ...experiment, spec: defaultExperiment(structuredClone(experiment)).spec };
    if (suggestion.metadata.deletionTimestamp || isTrue(suggestion.status?.conditions, 'Succeeded') || isTrue(suggestion.status?.conditions, 'Failed')) return;
    const now = this.clock.now();
    const status: NonNullable<Suggestion['status']> = structuredClone(suggestion.status ?? {});
    const before = JSON.stringify(status);
    const conditions = (status.conditions ??= []);
    status.startTime ??= kubeTime(now);
    mark(conditions, 'Created', 'True', 'SuggestionCreated', 'Suggestion is created', now);
    mark(conditions, 'Running', 'True', 'SuggestionRunning', 'Suggestion is running', now);
    const items = (status.suggestions ??= []);
    const need = suggestion.spec.requests - items.length;
    if (need > 0) {
      const trials = (await ctx.client.list<Trial>(TrialRef, { namespace: request.namespace, labelSelector: `${Labels.experiment}=${request.name}` })).items;
      const byName = new Map(trials.map((t) => [t.metadata.name ?? '', t]));
      const records: TrialRecord[] = items.map((s) => {
        const t = byName.get(s.name);
        const value = t ? objectiveValue(experiment, t) : undefined;
        return { name: s.name, assignments: s.parameterAssignments, state: t ? trialState(t) : 'Pending', ...(s.labels ? { labels: s.labels } : {}), ...(value !== undefined ? { value } : {}) };
      });
      const name = experiment.spec.algorithm?.algorithmName ?? '';
      if (!algorithms[name]) throw new FloeError('Invalid', `unknown algorithm ${name}`);
      const settings = { ...settingsMap(experiment.spec.algorithm?.algorithmSettings), ...settingsMap(status.algorithmSettings) };
      const input = {
        parameters: experiment.spec.parameters ?? [],
        objective: experiment.spec.objective?.type ?? 'minimize',
        settings,
        trials: records,
        count: need,
        issued: items.length,
        parallelTrialCount: experiment.spec.parallelTrialCount ?? 3,
        defaultSeed: seedOf(experiment),
        ...(experiment.spec.maxTrialCount !== undefined ? { maxTrialCount: experiment.spec.maxTrialCount } : {}),
      };
      const out = this.runner ? await this.runner.suggest(name, input) : algorithms[name].suggest(input);
      const rules = experiment.spec.earlyStopping ? this.stoppingRules(experiment, records) : [];
      const added: SuggestionItem[] = out.suggestions.slice(0, need).map((s, i) => ({
        name: suggestionName(experiment, items.length + i),
        parameterAssignments: s.assignments,
        ...(rules.length > 0 ? { earlyStoppingRules: rules } : {}),
        ...(s.labels ? { labels: s.labels } : {}),
      }));
      if (trialDirOf(suggestion) && added.length > 0) {
        await this.ensureClaim(ctx, suggestion);
        const dir = this.claimDir?.(suggestion.metadata.namespace ?? '', claimName(suggestion));
        if (dir) prepareFolders(dir, experiment, added);
      }
      items.push(...added);
      status.suggestionCount = items.length;
      if (out.settings) status.algorithmSettings = Object.entries({ ...settingsMap(status.algorithmSettings), ...out.settings }).map(([name, value]) => ({ name, value }));
      const active = records.some((r) => r.state === 'Pending' || r.state === 'Running');
      if (added.length === 0 && !active) {
        mark(conditions, 'Running', 'False', 'SuggestionEndReached', 'The algorithm has no more suggestions', now);
        mark(conditions, 'Succeeded', 'True', 'SuggestionEndReached', 'The algorithm has no more suggestions', now);
      }
      if (added.length > 0) ctx.recorder.event(suggestion, 'Normal', 'SuggestionsAdded', `${added.length} new suggestions, ${items.length} in all`);
    }
    status.suggestionCount = items.length;
    if (JSON.stringify(status) !== before) await ctx.client.updateStatus<Suggestion>({ ...suggestion, status });
  }

  /**
   * The claim holding the trials' checkpoint folders (Katib's suggestion PVC), owned by the Suggestion. A controller
   * not allowed to create claims (a cluster role without them) runs pbt without checkpoint folders: trials mount a
   * claim only when it exists.
   */
  private async ensureClaim(ctx: ReconcileContext, suggestion: Suggestion): Promise<void> {
    try {
      await ctx.client.create(desiredClaim(suggestion));
    } catch (err) {
      if (err instanceof FloeError && err.reason === 'Forbidden') {
        ctx.recorder.event(suggestion, 'Warning', 'CheckpointClaimForbidden', `cannot create PersistentVolumeClaim ${claimName(suggestion)}: ${err.message}; trials run without checkpoint folders`);
        return;
      }
      if (!(err instanceof FloeError && err.reason === 'AlreadyExists')) throw err;
    }
  }

  private stoppingRules(experiment: Experiment, records: TrialRecord[]): ReturnType<typeof medianStopRules> {
    const metric = experiment.spec.objective?.objectiveMetricName ?? '';
    const succeeded = records.filter((r) => r.state === 'Succeeded').map((r) => this.db.get(experiment.metadata.namespace ?? '', r.name, { metricName: metric }).map((l) => l.value));
    return medianStopRules({ objective: experiment.spec.objective?.type ?? 'minimize', metricName: metric, settings: settingsMap(experiment.spec.earlyStopping?.algorithmSettings), succeeded });
  }
}
