// What the algorithm tests share: parameter and request builders, and Branin on [-5, 10] × [0, 15] (minimum 0.397887).
import type { Assignment, ParameterSpec, SuggestInput, TrialRecord } from './types.js';

export const double = (name: string, min: number, max: number): ParameterSpec => ({ name, parameterType: 'double', feasibleSpace: { min: String(min), max: String(max) } });

export const value = (a: Assignment[], name: string): string => a.find((x) => x.name === name)!.value;

/** A one-suggestion request over `trials`, minimising, seed 7, unless `over` says otherwise. */
export function input(parameters: ParameterSpec[], trials: TrialRecord[], over: Partial<SuggestInput> = {}): SuggestInput {
  return { parameters, objective: 'minimize', settings: {}, trials, count: 1, issued: trials.length, parallelTrialCount: 1, defaultSeed: 7, ...over };
}

export const braninSpace = [double('x1', -5, 10), double('x2', 0, 15)];

export function branin(a: Assignment[]): number {
  const x1 = Number(value(a, 'x1'));
  const x2 = Number(value(a, 'x2'));
  const b = 5.1 / (4 * Math.PI ** 2);
  return (x2 - b * x1 * x1 + (5 / Math.PI) * x1 - 6) ** 2 + 10 * (1 - 1 / (8 * Math.PI)) * Math.cos(x1) + 10;
}
