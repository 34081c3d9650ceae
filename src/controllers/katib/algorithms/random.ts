// random: independent draws from each parameter's distribution (Katib runs hyperopt's rand.suggest).
import { checkKnown, checkNumber, rngFor } from './common.js';
import { SearchSpace } from './space.js';
import type { Algorithm } from './types.js';

export const random: Algorithm = {
  name: 'random',
  validate({ settings, settingsPath }) {
    const errors: ReturnType<Algorithm['validate']> = [];
    checkKnown(settings, ['random_state'], settingsPath, errors);
    checkNumber(settings, 'random_state', { integer: true, min: 0 }, settingsPath, errors);
    return errors;
  },
  suggest(input) {
    const space = new SearchSpace(input.parameters);
    const rng = rngFor(input);
    return { suggestions: Array.from({ length: input.count }, () => ({ assignments: space.decode(space.dims.map(() => rng.uniform())) })) };
  },
};
