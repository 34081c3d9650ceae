// Katib's suggestion algorithms by their algorithmName.
import { bayesianoptimization } from './bayesopt.js';
import { cmaes } from './cmaes.js';
import { grid } from './grid.js';
import { hyperband } from './hyperband.js';
import { pbt } from './pbt.js';
import { random } from './random.js';
import { sobol } from './sobol.js';
import { multivariateTpe, tpe } from './tpe.js';
import type { Algorithm } from './types.js';

export const algorithms: Readonly<Record<string, Algorithm>> = {
  random,
  grid,
  sobol,
  tpe,
  'multivariate-tpe': multivariateTpe,
  bayesianoptimization,
  cmaes,
  hyperband,
  pbt,
};

export const algorithmNames = (): string[] => Object.keys(algorithms);
export type { Algorithm, Assignment, ParameterSpec, SuggestInput, SuggestOutput, TrialRecord } from './types.js';
export { SearchSpace } from './space.js';
export { HyperbandLabels } from './hyperband.js';
export { PbtLabels } from './pbt.js';
export { CmaesLabels } from './cmaes.js';
