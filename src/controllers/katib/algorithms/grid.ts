// grid: every combination of the parameters' values, each once, in an order shuffled by random_state (as Optuna's
// GridSampler picks unvisited points at random). Doubles need a step; maxTrialCount may not exceed the grid.
import { fieldErrors } from '../../../api/errors.js';
import { checkKnown, checkNumber, numberSetting } from './common.js';
import { mixSeed, Rng } from './rng.js';
import { SearchSpace } from './space.js';
import type { Algorithm, Assignment } from './types.js';

function combinations(space: SearchSpace): Assignment[][] {
  let out: Assignment[][] = [[]];
  for (const d of space.dims) {
    const values = d.values ?? [];
    out = out.flatMap((prefix) => values.map((value) => [...prefix, { name: d.name, value }]));
  }
  return out;
}

export const grid: Algorithm = {
  name: 'grid',
  validate({ parameters, settings, settingsPath, maxTrialCount }) {
    const errors: ReturnType<Algorithm['validate']> = [];
    checkKnown(settings, ['random_state'], settingsPath, errors);
    checkNumber(settings, 'random_state', { integer: true, min: 0 }, settingsPath, errors);
    parameters.forEach((p, i) => {
      if (p.parameterType === 'double' && (p.feasibleSpace.step === undefined || p.feasibleSpace.step === '')) {
        errors.push(fieldErrors.required(`spec.parameters[${i}].feasibleSpace.step`, 'the grid algorithm needs a step for double parameters'));
      }
    });
    if (errors.length === 0 && maxTrialCount !== undefined) {
      const size = new SearchSpace(parameters).cardinality();
      if (maxTrialCount > size) errors.push(fieldErrors.invalid('spec.maxTrialCount', maxTrialCount, `must not exceed the number of grid points (${size})`));
    }
    return errors;
  },
  suggest(input) {
    const space = new SearchSpace(input.parameters);
    const seen = new Set(input.trials.map((t) => space.key(t.assignments)));
    const order = new Rng(mixSeed(numberSetting(input.settings, 'random_state', input.defaultSeed))).shuffle(combinations(space));
    return { suggestions: order.filter((a) => !seen.has(space.key(a))).slice(0, input.count).map((assignments) => ({ assignments })) };
  },
};
