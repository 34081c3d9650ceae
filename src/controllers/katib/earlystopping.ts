// medianstop: once min_trials_required trials have succeeded, a new trial is stopped when, from start_step reports
// on, its objective metric is worse than the median of the succeeded trials' averages over their first start_step
// reports (Katib's earlystopping-medianstop service).
import { fieldErrors, type FieldError } from '../../api/errors.js';
import { checkKnown, checkNumber, numberSetting } from './algorithms/common.js';
import { median } from './algorithms/stats.js';
import type { ObjectiveType } from './algorithms/types.js';
import type { EarlyStoppingRule } from './types.js';

export const earlyStoppingNames = ['medianstop'] as const;

export function validateEarlyStopping(name: string, settings: Record<string, string>, path: string): FieldError[] {
  const errors: FieldError[] = [];
  if (name !== 'medianstop') {
    errors.push(fieldErrors.notSupported(`${path}.algorithmName`, name, earlyStoppingNames));
    return errors;
  }
  const settingsPath = `${path}.algorithmSettings`;
  checkKnown(settings, ['min_trials_required', 'start_step'], settingsPath, errors);
  checkNumber(settings, 'min_trials_required', { integer: true, min: 1 }, settingsPath, errors);
  checkNumber(settings, 'start_step', { integer: true, min: 1 }, settingsPath, errors);
  return errors;
}

export interface StoppingInput {
  objective: ObjectiveType;
  metricName: string;
  settings: Record<string, string>;
  /** The objective metric's reports of each succeeded trial, in order. */
  succeeded: number[][];
}

export function medianStopRules(input: StoppingInput): EarlyStoppingRule[] {
  const minTrials = numberSetting(input.settings, 'min_trials_required', 3);
  const startStep = numberSetting(input.settings, 'start_step', 4);
  const averages = input.succeeded.filter((h) => h.length > 0).map((h) => h.slice(0, startStep).reduce((a, b) => a + b, 0) / Math.min(h.length, startStep));
  if (averages.length < minTrials) return [];
  return [{ name: input.metricName, value: String(median(averages)), comparison: input.objective === 'maximize' ? 'less' : 'greater', startStep }];
}

/** Whether a running trial's reports of the rule's metric break the rule (the latest report, once startStep are in). */
export function breaksRule(rule: EarlyStoppingRule, reports: readonly number[]): boolean {
  if (reports.length < (rule.startStep ?? 1)) return false;
  const latest = reports[reports.length - 1]!;
  const bound = Number(rule.value);
  switch (rule.comparison) {
    case 'less':
      return latest < bound;
    case 'greater':
      return latest > bound;
    case 'equal':
      return latest === bound;
  }
}
