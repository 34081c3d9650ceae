// The Trial controller: creates the trial's run object (a Job, TFJob, PyTorchJob, …) from its rendered runSpec,
// follows it through successCondition / failureCondition (GJSON paths on the object), collects the metrics the trial
// reported (StdOut, File, TensorFlowEvent, Push) into the observation log, and early-stops it when a rule is broken.
import { readFile } from 'node:fs/promises';
import { basename, dirname, join, posix } from 'node:path';
import { FloeError } from '../../api/errors.js';
import type { ContainerSpec, Pod, PodSpec } from '../../api/core-v1.js';
import { PodRef } from '../../api/core-v1.js';
import type { KubeObject } from '../../api/meta.js';
import { controllerReference, kubeTime, realClock, type Clock, type ReconcileContext, type ReconcileResult, type Reconciler, type Request } from '../../controller/index.js';
import type { ObservationDb } from './db.js';
import { breaksRule } from './earlystopping.js';
import { holds } from '../../api/gjson.js';
import { parseJsonLines, parseText, summarize, type MetricLog } from './metrics.js';
import { isFinished, isTrue, mark } from './status.js';
import { readEventDir } from './tfevents.js';
import { Labels, SuggestionRef, TrialRef, type Suggestion, type Trial } from './types.js';
import { PbtLabels } from './algorithms/index.js';
import { ClaimRef, claimName, mountCheckpoint, trialDirOf, trialFolder } from './checkpoints.js';

type CheckpointMount = { claim: string; mountPath: string; subPath: string };

/** Where a trial's Pods can be read from: their logs, and (on the local runtime) their volumes' host folders. */
export interface TrialPods {
  log(namespace: string, pod: string, container: string): Promise<string>;
  volumeDir?(pod: Pod, volume: string): string | undefined;
}

export interface TrialControllerOptions {
  db: ObservationDb;
  pods?: TrialPods;
  /** Base URL of Floe's observation-log endpoint, handed to Push trials as FLOE_KATIB_REPORT_URL. */
  reportUrl?: string;
  /** Folder holding `floe_katib.py`, put on PYTHONPATH of Push trials. */
  pythonHelperDir?: string;
  /**
   * What Push trials present to a token-protected Floe: a Pod token (its identity may only report observation logs)
   * and the CA file for HTTPS, handed over as FLOE_REPORT_TOKEN and FLOE_REPORT_CA.
   */
  reportCredentials?: { token: string; caFile?: string };
  clock?: Clock;
  /** How often a running trial with early-stopping rules is checked. */
  pollMs?: number;
}

export const MetricsVolume = 'katib-metrics';

/** Every pod template of a run object: a Job's, or each replica's of a training job. */
function podTemplates(run: KubeObject): { metadata?: { labels?: Record<string, string> }; spec?: PodSpec }[] {
  const spec = run['spec'] as Record<string, unknown> | undefined;
  if (!spec) return [];
  if (spec['template']) return [spec['template']];
  return Object.entries(spec)
    .filter(([k, v]) => k.endsWith('ReplicaSpecs') && v && typeof v === 'object')
    .flatMap(([, v]) => Object.values(v as Record<string, { template?: unknown }>).flatMap((r) => (r.template ? [r.template as never] : [])));
}

export class TrialReconciler implements Reconciler {
  private readonly options: TrialControllerOptions;
  private readonly clock: Clock;

  constructor(options: TrialControllerOptions) {
    this.options = options;
    this.clock = options.clock ?? realClock();
  }

  async reconcile(ctx: ReconcileContext, request: Request): Promise<ReconcileResult | void> {
    let trial: Trial;
    try {
      trial = await ctx.client.get<Trial>(TrialRef, request.name, request.namespace);
    } catch (err) {
      if (err instanceof FloeError && err.reason === 'NotFound') {
        this.options.db.delete(request.namespace ?? '', request.name);
        return;
      }
      throw err;
    }
    if (trial.metadata.deletionTimestamp) return;
    const run = trial.spec.runSpec;
    if (!run?.kind || !run.apiVersion) return;
    const ref = { apiVersion: run.apiVersion, kind: run.kind };
    const name = trial.metadata.name ?? '';
    const namespace = trial.metadata.namespace ?? '';
    const now = this.clock.now();

    if (isFinished(trial)) {
      if (!trial.spec.retainRun) await this.deleteRun(ctx, ref, name, namespace);
      return;
    }
    const status = structuredClone(trial.status ?? {});
    const before = JSON.stringify(status);
    const conditions = (status.conditions ??= []);
    const write = async (): Promise<void> => {
      if (JSON.stringify(status) === before) return;
      status.lastReconcileTime = kubeTime(now);
      await ctx.client.updateStatus<Trial>({ ...trial, status });
    };

    let job: KubeObject | undefined;
    try {
      job = await ctx.client.get(ref, name, namespace);
    } catch (err) {
      if (!(err instanceof FloeError && err.reason === 'NotFound')) throw err;
    }
    if (!job) {
      if (isTrue(conditions, 'Created')) {
        // The run object went away under a trial that had started it.
        mark(conditions, 'Running', 'False', 'TrialKilled', 'Trial is killed', now);
        mark(conditions, 'Killed', 'True', 'TrialKilled', `Trial is killed: its ${run.kind} was deleted`, now);
        status.completionTime = kubeTime(now);
        await write();
        return;
      }
      await ctx.client.create(this.prepareRun(trial, await this.checkpointMount(ctx, trial)));
      status.startTime ??= kubeTime(now);
      mark(conditions, 'Created', 'True', 'TrialCreated', 'Trial is created', now);
      ctx.recorder.event(trial, 'Normal', 'JobCreated', `${run.kind} ${name} created`);
      await write();
      return;
    }

    const succeeded = trial.spec.successCondition ? holds(job, trial.spec.successCondition) : false;
    const failed = !succeeded && trial.spec.failureCondition ? holds(job, trial.spec.failureCondition) : false;
    const logs = await this.collect(ctx, trial);
    const names = [trial.spec.objective?.objectiveMetricName ?? '', ...(trial.spec.objective?.additionalMetricNames ?? [])].filter(Boolean);
    const metrics = summarize(logs, names);
    if (metrics.length > 0) status.observation = { metrics };

    if (succeeded || failed) {
      status.completionTime = kubeTime(now);
      if (failed) {
        mark(conditions, 'Running', 'False', 'TrialFailed', 'Trial has failed', now);
        mark(conditions, 'Failed', 'True', 'TrialFailed', `Trial has failed. Job reason: ${jobReason(job)}`, now);
      } else if (metrics.some((m) => m.name === trial.spec.objective?.objectiveMetricName)) {
        mark(conditions, 'Running', 'False', 'TrialSucceeded', 'Trial has succeeded', now);
        mark(conditions, 'Succeeded', 'True', 'TrialSucceeded', 'Trial has succeeded', now);
      } else {
        status.observation = { metrics: [...metrics, { name: trial.spec.objective?.objectiveMetricName ?? '', min: 'unavailable', max: 'unavailable', latest: 'unavailable' }] };
        mark(conditions, 'Running', 'False', 'MetricsUnavailable', 'Metrics are not available', now);
        mark(conditions, 'MetricsUnavailable', 'True', 'MetricsUnavailable', `Metrics are not available: no ${trial.spec.objective?.objectiveMetricName ?? ''} was reported`, now);
      }
      await write();
      return;
    }

    mark(conditions, 'Running', 'True', 'TrialRunning', 'Trial is running', now);
    const broken = (trial.spec.earlyStoppingRules ?? []).find((rule) => breaksRule(rule, logs.filter((l) => l.name === rule.name).map((l) => l.value)));
    if (broken) {
      status.completionTime = kubeTime(now);
      mark(conditions, 'Running', 'False', 'TrialEarlyStopped', 'Trial is early stopped', now);
      mark(conditions, 'EarlyStopped', 'True', 'TrialEarlyStopped', 'Trial is early stopped', now);
      ctx.recorder.event(trial, 'Normal', 'TrialEarlyStopped', `${broken.name} ${broken.comparison} ${broken.value} after ${broken.startStep ?? 1} reports`);
      await write();
      await this.deleteRun(ctx, ref, name, namespace);
      return;
    }
    await write();
    if ((trial.spec.earlyStoppingRules ?? []).length > 0) return { requeueAfterMs: this.options.pollMs ?? 1000 };
  }

  /**
   * pbt trials (those the suggestion labelled with a generation) whose algorithm names `suggestion_trial_dir`: the
   * suggestion's claim, mounted there with the trial's own folder as subPath (Katib's Pod webhook does the same).
   */
  private async checkpointMount(ctx: ReconcileContext, trial: Trial): Promise<CheckpointMount | undefined> {
    const experiment = trial.metadata.labels?.[Labels.experiment];
    if (!experiment || trial.metadata.labels?.[PbtLabels.generation] === undefined) return undefined;
    let suggestion: Suggestion;
    try {
      suggestion = await ctx.client.get<Suggestion>(SuggestionRef, experiment, trial.metadata.namespace);
    } catch (err) {
      if (err instanceof FloeError && err.reason === 'NotFound') return undefined;
      throw err;
    }
    const mountPath = trialDirOf(suggestion);
    if (!mountPath) return undefined;
    try {
      await ctx.client.get(ClaimRef, claimName(suggestion), trial.metadata.namespace);
    } catch (err) {
      // No claim (the controller may not create claims on this cluster): the trial runs without a checkpoint folder.
      if (err instanceof FloeError && (err.reason === 'NotFound' || err.reason === 'Forbidden')) return undefined;
      throw err;
    }
    return { claim: claimName(suggestion), mountPath, subPath: trialFolder(experiment, trial.metadata.name ?? '') };
  }

  /** The run object with the trial's labels, KATIB_TRIAL_NAME and what its collector needs, owned by the trial. */
  prepareRun(trial: Trial, checkpoint?: CheckpointMount): KubeObject {
    const run = structuredClone(trial.spec.runSpec!);
    const name = trial.metadata.name ?? '';
    const labels = { [Labels.trial]: name, ...(trial.metadata.labels?.[Labels.experiment] ? { [Labels.experiment]: trial.metadata.labels[Labels.experiment] } : {}) };
    run.metadata = { ...(run.metadata ?? {}), labels: { ...(run.metadata?.labels ?? {}), ...labels }, ownerReferences: [controllerReference(trial)] };
    const collector = trial.spec.metricsCollector;
    const kind = collector?.collector?.kind ?? 'StdOut';
    const path = collector?.source?.fileSystemPath?.path ?? '';
    const mountPath = kind === 'File' ? dirname(path) : kind === 'TensorFlowEvent' ? posix.normalize(path) : undefined;
    for (const template of podTemplates(run)) {
      template.metadata = { ...(template.metadata ?? {}), labels: { ...(template.metadata?.labels ?? {}), ...labels } };
      const spec = template.spec;
      if (!spec) continue;
      const primary = spec.containers.find((c: ContainerSpec) => c.name === trial.spec.primaryContainerName);
      if (!primary) continue;
      const env = [...(primary.env ?? []).filter((e) => e.name !== 'KATIB_TRIAL_NAME'), { name: 'KATIB_TRIAL_NAME', value: name }];
      if (kind === 'Push' && this.options.reportUrl) {
        env.push({ name: 'FLOE_KATIB_REPORT_URL', value: `${this.options.reportUrl}/namespaces/${trial.metadata.namespace ?? ''}/trials/${name}/observationlog` });
        const credentials = this.options.reportCredentials;
        if (credentials) {
          env.push({ name: 'FLOE_REPORT_TOKEN', value: credentials.token });
          if (credentials.caFile) env.push({ name: 'FLOE_REPORT_CA', value: credentials.caFile });
        }
        if (this.options.pythonHelperDir) {
          const existing = env.find((e) => e.name === 'PYTHONPATH')?.value;
          env.push({ name: 'PYTHONPATH', value: existing ? `${this.options.pythonHelperDir}:${existing}` : this.options.pythonHelperDir });
        }
      }
      primary.env = env;
      if (checkpoint) mountCheckpoint(spec, trial.spec.primaryContainerName ?? '', checkpoint);
      if (mountPath) {
        spec.volumes = [...(spec.volumes ?? []).filter((v) => v.name !== MetricsVolume), { name: MetricsVolume, emptyDir: {} }];
        primary.volumeMounts = [...(primary.volumeMounts ?? []).filter((m) => m.name !== MetricsVolume), { name: MetricsVolume, mountPath }];
      }
    }
    return run;
  }

  /** Reads the trial's metrics source from the start, stores what it found, and returns the whole observation log. */
  private async collect(ctx: ReconcileContext, trial: Trial): Promise<MetricLog[]> {
    const namespace = trial.metadata.namespace ?? '';
    const name = trial.metadata.name ?? '';
    const db = this.options.db;
    const spec = trial.spec.metricsCollector;
    const kind = spec?.collector?.kind ?? 'StdOut';
    const names = [trial.spec.objective?.objectiveMetricName ?? '', ...(trial.spec.objective?.additionalMetricNames ?? [])].filter(Boolean);
    if (kind !== 'Push') {
      const pod = await this.primaryPod(ctx, trial);
      const pods = this.options.pods;
      if (pod && pods) {
        const fsp = spec?.source?.fileSystemPath;
        let found: MetricLog[] | undefined;
        if (kind === 'StdOut') {
          const text = await pods.log(namespace, pod.metadata.name ?? '', trial.spec.primaryContainerName ?? '').catch(() => undefined);
          if (text !== undefined) found = parseText(text, names, spec?.source?.filter?.metricsFormat ?? []);
        } else {
          const dir = pods.volumeDir?.(pod, MetricsVolume);
          if (dir && kind === 'File') {
            const text = await readFile(join(dir, basename(fsp?.path ?? '')), 'utf8').catch(() => undefined);
            if (text !== undefined) found = fsp?.format === 'JSON' ? parseJsonLines(text, names) : parseText(text, names, spec?.source?.filter?.metricsFormat ?? []);
          } else if (dir && kind === 'TensorFlowEvent') {
            found = readEventDir(dir, names);
          }
        }
        if (found) db.replace(namespace, name, kind, keepTimes(db.get(namespace, name), found));
      }
    }
    return db.get(namespace, name);
  }

  /** The newest Pod of the trial that matches primaryPodLabels. */
  private async primaryPod(ctx: ReconcileContext, trial: Trial): Promise<Pod | undefined> {
    const selector = Object.entries({ [Labels.trial]: trial.metadata.name ?? '', ...(trial.spec.primaryPodLabels ?? {}) })
      .map(([k, v]) => `${k}=${v}`)
      .join(',');
    const pods = (await ctx.client.list<Pod>(PodRef, { namespace: trial.metadata.namespace ?? '', labelSelector: selector })).items;
    const started = pods.filter((p) => p.status?.containerStatuses?.some((s) => s.name === trial.spec.primaryContainerName && (s.state?.running || s.state?.terminated || s.lastState?.terminated)));
    return started.sort((a, b) => (a.metadata.creationTimestamp ?? '').localeCompare(b.metadata.creationTimestamp ?? '')).pop();
  }

  private async deleteRun(ctx: ReconcileContext, ref: { apiVersion: string; kind: string }, name: string, namespace: string): Promise<void> {
    try {
      await ctx.client.delete(ref, name, namespace, { propagationPolicy: 'Background' });
    } catch (err) {
      if (!(err instanceof FloeError && err.reason === 'NotFound')) throw err;
    }
  }
}

/** Re-read lines keep the time they were first seen (a source without timestamps is re-parsed on every poll). */
function keepTimes(previous: MetricLog[], found: MetricLog[]): MetricLog[] {
  return found.map((l, i) => {
    const p = previous[i];
    return p && p.name === l.name && p.value === l.value ? { ...l, timeStamp: p.timeStamp } : l;
  });
}

function jobReason(job: KubeObject): string {
  const conditions = ((job['status'] as { conditions?: { type: string; status: string; reason?: string }[] } | undefined)?.conditions ?? []).filter((c) => c.status === 'True');
  return conditions[conditions.length - 1]?.reason ?? 'unknown';
}

