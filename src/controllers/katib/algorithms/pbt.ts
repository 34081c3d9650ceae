// pbt (population-based training): generations of n_population trials. After a generation ends, the members ranked
// in the bottom `truncation_threshold` are replaced by a top member (exploit) with perturbed parameters (explore:
// each value ×0.8 or ×1.2, a list value moved by one, or with `resample_probability` drawn afresh); the others continue
// unchanged. Each new trial names its parent in a label; the suggestion controller copies the parent's checkpoint
// folder under `suggestion_trial_dir` to the new trial's before the trial starts.
import { fieldErrors } from '../../../api/errors.js';
import { checkKnown, checkNumber, numberSetting, rngFor } from './common.js';
import type { Rng } from './rng.js';
import { dimension, formatDouble, SearchSpace } from './space.js';
import type { Algorithm, Assignment, ParameterSpec, Suggested, TrialRecord } from './types.js';

export const PbtLabels = { generation: 'pbt.suggestion.katib.kubeflow.org/generation', parent: 'pbt.suggestion.katib.kubeflow.org/parent' } as const;

function perturb(spec: ParameterSpec, value: string, rng: Rng, resample: number): string {
  const dim = dimension(spec);
  if (rng.uniform() < resample) return dim.fromUnit(rng.uniform());
  const list = spec.feasibleSpace.list;
  if (list && list.length > 0) {
    const i = list.indexOf(value);
    return list[Math.min(list.length - 1, Math.max(0, i + (rng.uniform() < 0.5 ? -1 : 1)))] ?? value;
  }
  const min = Number(spec.feasibleSpace.min);
  const max = Number(spec.feasibleSpace.max);
  const x = Math.min(max, Math.max(min, Number(value) * (rng.uniform() < 0.5 ? 0.8 : 1.2)));
  return spec.parameterType === 'int' ? String(Math.round(x)) : formatDouble(x);
}

export const pbt: Algorithm = {
  name: 'pbt',
  validate({ settings, settingsPath }) {
    const errors: ReturnType<Algorithm['validate']> = [];
    checkKnown(settings, ['suggestion_trial_dir', 'n_population', 'truncation_threshold', 'resample_probability', 'random_state'], settingsPath, errors);
    for (const required of ['suggestion_trial_dir', 'n_population', 'truncation_threshold']) {
      if (settings[required] === undefined) errors.push(fieldErrors.required(`${settingsPath}[${required}]`));
    }
    checkNumber(settings, 'n_population', { integer: true, min: 5 }, settingsPath, errors);
    checkNumber(settings, 'truncation_threshold', { above: 0, max: 1 }, settingsPath, errors);
    checkNumber(settings, 'resample_probability', { min: 0, max: 1 }, settingsPath, errors);
    checkNumber(settings, 'random_state', { integer: true, min: 0 }, settingsPath, errors);
    return errors;
  },
  suggest(input) {
    const size = numberSetting(input.settings, 'n_population', 5);
    const cut = Math.max(1, Math.ceil(size * numberSetting(input.settings, 'truncation_threshold', 0.2)));
    const resample = numberSetting(input.settings, 'resample_probability', 0);
    const generationOf = (t: TrialRecord): number => Number(t.labels?.[PbtLabels.generation] ?? 0);
    let generation = input.trials.reduce((g, t) => Math.max(g, generationOf(t)), 0);
    let members = input.trials.filter((t) => generationOf(t) === generation);
    if (members.length >= size) {
      if (members.some((t) => t.state === 'Pending' || t.state === 'Running')) return { suggestions: [] };
      generation += 1;
      members = [];
    }
    const rng = rngFor(input);
    const space = new SearchSpace(input.parameters);
    const sign = input.objective === 'maximize' ? -1 : 1;
    const ranked = input.trials
      .filter((t) => generationOf(t) === generation - 1 && t.value !== undefined && Number.isFinite(t.value))
      .sort((a, b) => sign * (a.value! - b.value!));
    const out: Suggested[] = [];
    for (let k = members.length; k < size && out.length < input.count; k++) {
      const labels: Record<string, string> = { [PbtLabels.generation]: String(generation) };
      let assignments: Assignment[];
      if (generation === 0 || ranked.length === 0) {
        assignments = space.decode(space.dims.map(() => rng.uniform()));
      } else if (k < ranked.length && k < size - cut) {
        assignments = ranked[k]!.assignments;
        labels[PbtLabels.parent] = ranked[k]!.name;
      } else {
        const parent = ranked[rng.int(Math.min(cut, ranked.length))]!;
        assignments = input.parameters.map((p) => ({ name: p.name, value: perturb(p, parent.assignments.find((a) => a.name === p.name)?.value ?? '', rng, resample) }));
        labels[PbtLabels.parent] = parent.name;
      }
      out.push({ assignments, labels });
    }
    return { suggestions: out };
  },
};
