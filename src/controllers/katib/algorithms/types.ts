// What every suggestion algorithm sees and returns: Katib's GetSuggestions contract, in TypeScript. Algorithms are pure
// functions of the experiment and its trials (state they must keep goes back in `settings`), so a restart of Floe
// recomputes exactly what it would have suggested.
import type { FieldError } from '../../../api/errors.js';

export type ParameterType = 'double' | 'int' | 'discrete' | 'categorical';
export type Distribution = 'uniform' | 'logUniform' | 'normal' | 'logNormal';

export interface FeasibleSpace {
  min?: string;
  max?: string;
  step?: string;
  list?: string[];
  distribution?: Distribution;
}

export interface ParameterSpec {
  name: string;
  parameterType: ParameterType;
  feasibleSpace: FeasibleSpace;
}

export interface Assignment {
  name: string;
  value: string;
}

export type ObjectiveType = 'minimize' | 'maximize';

/** A trial as algorithms see it. `value` is the objective metric under its metric strategy (undefined until known). */
export interface TrialRecord {
  name: string;
  assignments: Assignment[];
  labels?: Record<string, string>;
  state: 'Pending' | 'Running' | 'Succeeded' | 'Failed' | 'Killed' | 'EarlyStopped' | 'MetricsUnavailable';
  value?: number;
  /** The objective metric's reports in order (used by pbt and medianstop). */
  history?: number[];
}

export interface SuggestInput {
  parameters: ParameterSpec[];
  objective: ObjectiveType;
  /** `algorithmSettings` as name → value, merged with what the algorithm stored last time. */
  settings: Record<string, string>;
  trials: TrialRecord[];
  /** How many new suggestions to return now (`current_request_number`). */
  count: number;
  /** How many were handed out before this call (`total_request_number`). */
  issued: number;
  maxTrialCount?: number;
  parallelTrialCount: number;
  /** Seed when `random_state` is absent: derived from the experiment, so results stay reproducible per experiment. */
  defaultSeed: number;
}

export interface Suggested {
  assignments: Assignment[];
  labels?: Record<string, string>;
}

export interface SuggestOutput {
  /** Exactly `count` entries, unless the search space is exhausted (grid) — then fewer. */
  suggestions: Suggested[];
  /** Settings to store in Suggestion.status.algorithmSettings and merge into the next request. */
  settings?: Record<string, string>;
}

export interface ValidateInput {
  parameters: ParameterSpec[];
  settings: Record<string, string>;
  maxTrialCount?: number;
  parallelTrialCount: number;
  /** Field path prefix for errors: `spec.algorithm.algorithmSettings`. */
  settingsPath: string;
}

export interface Algorithm {
  name: string;
  /** Every bad setting (or parameter the algorithm cannot handle), named by field. */
  validate(input: ValidateInput): FieldError[];
  suggest(input: SuggestInput): SuggestOutput;
}
