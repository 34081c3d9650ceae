// Katib-style conditions (appended in order, updated in place, with lastUpdateTime) and a trial's state from them.
import { kubeTime } from '../../controller/index.js';
import type { TrialRecord } from './algorithms/types.js';
import { strategyValue } from './metrics.js';
import type { Condition, Experiment, Trial } from './types.js';

/** Sets one condition; returns whether anything changed. */
export function mark(conditions: Condition[], type: string, status: Condition['status'], reason: string, message: string, now: number): boolean {
  const at = kubeTime(now);
  const existing = conditions.find((c) => c.type === type);
  if (existing) {
    if (existing.status === status && existing.reason === reason && existing.message === message) return false;
    if (existing.status !== status) existing.lastTransitionTime = at;
    Object.assign(existing, { status, reason, message, lastUpdateTime: at });
    return true;
  }
  conditions.push({ type, status, reason, message, lastUpdateTime: at, lastTransitionTime: at });
  return true;
}

export const isTrue = (conditions: readonly Condition[] | undefined, type: string): boolean => conditions?.some((c) => c.type === type && c.status === 'True') ?? false;

const finishedStates = ['Succeeded', 'Failed', 'Killed', 'EarlyStopped', 'MetricsUnavailable'] as const;

export type TrialState = TrialRecord['state'];

export function trialState(trial: Trial): TrialState {
  const c = trial.status?.conditions;
  // EarlyStopped and MetricsUnavailable are set alongside others; they win.
  for (const s of ['EarlyStopped', 'MetricsUnavailable', 'Killed', 'Failed', 'Succeeded'] as const) if (isTrue(c, s)) return s;
  return isTrue(c, 'Running') ? 'Running' : 'Pending';
}

export const isFinished = (trial: Trial): boolean => (finishedStates as readonly string[]).includes(trialState(trial));

/** The objective value of a trial under the experiment's metric strategy, if it reported one. */
export function objectiveValue(experiment: Experiment, trial: Trial): number | undefined {
  const o = experiment.spec.objective;
  if (!o) return undefined;
  const strategy = o.metricStrategies?.find((m) => m.name === o.objectiveMetricName)?.value ?? (o.type === 'minimize' ? 'min' : 'max');
  return strategyValue(trial.status?.observation?.metrics, o.objectiveMetricName, strategy);
}
