// Helpers every algorithm shares: its seed, its observations as minimisation data on the unit cube, and the checks of
// numeric algorithmSettings.
import { fieldErrors, type FieldError } from '../../../api/errors.js';
import { mixSeed, Rng } from './rng.js';
import type { SearchSpace } from './space.js';
import type { SuggestInput } from './types.js';

/** The generator for this request: `random_state` (or the experiment's seed) mixed with how many were issued before. */
export function rngFor(input: SuggestInput, salt = 0): Rng {
  const state = input.settings['random_state'];
  const seed = state !== undefined && state !== '' ? Number(state) : input.defaultSeed;
  return new Rng(mixSeed(seed, input.issued, salt));
}

export interface Observation {
  x: number[];
  /** The objective as a value to minimise (negated for maximize). */
  y: number;
  name: string;
}

/** Succeeded (and early-stopped) trials with a value, as points of the unit cube. */
export function observations(space: SearchSpace, input: SuggestInput): Observation[] {
  const sign = input.objective === 'maximize' ? -1 : 1;
  const out: Observation[] = [];
  for (const t of input.trials) {
    if ((t.state !== 'Succeeded' && t.state !== 'EarlyStopped') || t.value === undefined || !Number.isFinite(t.value)) continue;
    const x = space.encode(t.assignments);
    if (x) out.push({ x, y: sign * t.value, name: t.name });
  }
  return out;
}

/** Points already handed out whose result is not known yet (pending or running trials). */
export function inFlight(space: SearchSpace, input: SuggestInput): number[][] {
  const out: number[][] = [];
  for (const t of input.trials) {
    if (t.state !== 'Pending' && t.state !== 'Running') continue;
    const x = space.encode(t.assignments);
    if (x) out.push(x);
  }
  return out;
}

interface NumberRule {
  integer?: boolean;
  /** Exclusive lower bound. */
  above?: number;
  /** Inclusive bounds. */
  min?: number;
  max?: number;
}

/** Checks one numeric setting; pushes a FieldError naming `path[index]` when it is malformed. */
export function checkNumber(settings: Record<string, string>, name: string, rule: NumberRule, path: string, errors: FieldError[]): void {
  const raw = settings[name];
  if (raw === undefined) return;
  const x = Number(raw);
  const field = `${path}[${name}]`;
  if (raw.trim() === '' || !Number.isFinite(x)) errors.push(fieldErrors.invalid(field, raw, 'must be a number'));
  else if (rule.integer && !Number.isInteger(x)) errors.push(fieldErrors.invalid(field, raw, 'must be an integer'));
  else if (rule.above !== undefined && !(x > rule.above)) errors.push(fieldErrors.invalid(field, raw, `must be greater than ${rule.above}`));
  else if (rule.min !== undefined && x < rule.min) errors.push(fieldErrors.invalid(field, raw, `must be at least ${rule.min}`));
  else if (rule.max !== undefined && x > rule.max) errors.push(fieldErrors.invalid(field, raw, `must be at most ${rule.max}`));
}

/** Rejects settings the algorithm does not know (Katib's services answer INVALID_ARGUMENT for them). */
export function checkKnown(settings: Record<string, string>, known: readonly string[], path: string, errors: FieldError[]): void {
  for (const name of Object.keys(settings)) {
    if (!known.includes(name)) errors.push(fieldErrors.notSupported(`${path}[${name}]`, name, known));
  }
}

export function numberSetting(settings: Record<string, string>, name: string, fallback: number): number {
  const raw = settings[name];
  return raw === undefined || raw === '' ? fallback : Number(raw);
}
