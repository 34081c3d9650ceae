// Recurring runs: the part of KFP's ScheduledWorkflow controller that decides when a recurring run fires. Cron (robfig
// v1, seconds first) or periodic triggers within start/end times, max_concurrency, and catch-up after downtime; the last
// fired slot is stored with the recurring run, so a restart neither repeats nor forgets a firing.
import { dueSlots, parseCron, periodicSchedule, type Schedule } from './cron.js';
import { deterministicUuid, type PipelineDb, type RecurringRunRecord, type Trigger } from './db.js';
import type { RunEngine, RunRecord } from './types.js';

export interface RecurringRunSchedulerOptions {
  db: PipelineDb;
  engine: Pick<RunEngine, 'start'>;
  /** The clock (tests inject one). */
  now?: () => Date;
  /** How often `start()` checks the schedules. */
  intervalMs?: number;
  /** With catch-up, at most this many missed slots are fired after downtime (the latest ones). */
  maxCatchup?: number;
  /** The namespace of fired runs whose recurring run has none (single-user mode). */
  defaultNamespace?: string;
  /** Told about a recurring run that could not fire (its pipeline version is gone, …). */
  onError?: (recurringRunId: string, error: unknown) => void;
}

/** The schedule of a trigger; throws CronError for a bad cron expression. */
export function scheduleOf(trigger: Trigger): Schedule {
  return 'cron_schedule' in trigger ? parseCron(trigger.cron_schedule.cron) : periodicSchedule(trigger.periodic_schedule.interval_second);
}

function windowOf(trigger: Trigger): { start_time?: string; end_time?: string } {
  return 'cron_schedule' in trigger ? trigger.cron_schedule : trigger.periodic_schedule;
}

/** The display name of the run a recurring run fires for a slot: `<name>-<UTC yyyyMMddHHmmss>`. */
export function firedRunName(displayName: string, slot: Date): string {
  return `${displayName}-${slot.toISOString().replace(/\.\d+Z$/, '').replace(/[-:T]/g, '')}`;
}

export class RecurringRunScheduler {
  private readonly db: PipelineDb;
  private readonly engine: Pick<RunEngine, 'start'>;
  private readonly now: () => Date;
  private readonly intervalMs: number;
  private readonly maxCatchup: number;
  private readonly defaultNamespace: string;
  private readonly onError: (recurringRunId: string, error: unknown) => void;
  private timer: NodeJS.Timeout | undefined;

  constructor(options: RecurringRunSchedulerOptions) {
    this.db = options.db;
    this.engine = options.engine;
    this.now = options.now ?? (() => new Date());
    this.intervalMs = options.intervalMs ?? 1000;
    this.maxCatchup = options.maxCatchup ?? 100;
    this.defaultNamespace = options.defaultNamespace ?? 'kubeflow';
    this.onError = options.onError ?? (() => undefined);
  }

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => this.tick(), this.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Fires what is due now; returns the ids of the runs it stored and started. */
  tick(): string[] {
    const started: string[] = [];
    for (const rr of this.db.enabledRecurringRuns()) {
      try {
        started.push(...this.fireDue(rr));
      } catch (err) {
        this.onError(rr.recurring_run_id, err);
      }
    }
    return started;
  }

  private fireDue(rr: RecurringRunRecord): string[] {
    const now = this.now();
    const window = windowOf(rr.trigger);
    const startMs = window.start_time ? Date.parse(window.start_time) : Number.NEGATIVE_INFINITY;
    const endMs = window.end_time ? Date.parse(window.end_time) : Number.POSITIVE_INFINITY;
    // Before the first firing the schedule counts from its start time (a past one is caught up, as KFP's
    // ScheduledWorkflow does, unless no_catchup), or from its creation when it has none.
    const cursor = new Date(rr.last_fired_at ? Math.max(Date.parse(rr.last_fired_at), startMs) : Number.isFinite(startMs) ? startMs : Date.parse(rr.created_at));
    const until = new Date(Math.min(now.getTime(), endMs));
    const slots = dueSlots(scheduleOf(rr.trigger), cursor, until, rr.no_catchup ? 1 : this.maxCatchup);
    const started: string[] = [];
    for (const slot of slots) {
      // A slot waits while the recurring run has max_concurrency runs unfinished (ScheduledWorkflow does the same).
      if (this.db.activeRunCount(rr.recurring_run_id) >= rr.max_concurrency) break;
      let run: RunRecord;
      try {
        run = this.runFor(rr, slot, now);
      } catch (err) {
        // The slot is lost rather than retried every tick; the error says why.
        this.db.fireRecurringRun(rr.recurring_run_id, slot.toISOString(), undefined);
        throw err;
      }
      if (this.db.fireRecurringRun(rr.recurring_run_id, slot.toISOString(), run)) {
        started.push(run.run_id);
        this.engine.start(run.run_id);
      }
    }
    return started;
  }

  private runFor(rr: RecurringRunRecord, slot: Date, now: Date): RunRecord {
    let spec = rr.pipeline_spec;
    let platform = rr.platform_spec;
    let ref = rr.pipeline_version_reference?.pipeline_version_id
      ? { pipeline_id: rr.pipeline_version_reference.pipeline_id, pipeline_version_id: rr.pipeline_version_reference.pipeline_version_id }
      : undefined;
    if (!spec) {
      // Follows the pipeline's latest version.
      const pipelineId = rr.pipeline_version_reference?.pipeline_id ?? '';
      const latest = this.db.latestVersion(pipelineId);
      if (!latest) throw new Error(`pipeline ${pipelineId} has no versions to run`);
      spec = latest.pipeline_spec;
      platform = latest.platform_spec;
      ref = { pipeline_id: latest.pipeline_id, pipeline_version_id: latest.pipeline_version_id };
    }
    const displayName = firedRunName(rr.display_name, slot);
    const created = now.toISOString();
    return {
      run_id: deterministicUuid(`${rr.recurring_run_id}/${displayName}`),
      experiment_id: rr.experiment_id,
      display_name: displayName,
      ...(rr.description ? { description: rr.description } : {}),
      namespace: rr.namespace || this.defaultNamespace,
      storage_state: 'AVAILABLE',
      pipeline_spec: spec,
      ...(platform ? { platform_spec: platform } : {}),
      ...(ref ? { pipeline_version_reference: ref } : {}),
      runtime_config: rr.runtime_config,
      ...(rr.service_account ? { service_account: rr.service_account } : {}),
      created_at: created,
      scheduled_at: slot.toISOString(),
      state: 'PENDING',
      state_history: [{ update_time: created, state: 'PENDING' }],
      recurring_run_id: rr.recurring_run_id,
    };
  }
}
