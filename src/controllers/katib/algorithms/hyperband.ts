// hyperband (Li et al.): brackets of successive halving. Bracket s (s_max down to 0) starts n configurations at
// resource r = r_l·eta^-s; each round keeps the best 1/eta and multiplies their resource by eta. The resource goes into
// the parameter named by `resource_name`. Where Katib's service keeps its position in algorithmSettings, Floe reads
// it from the trials' labels (bracket and round), so a restart resumes exactly where it was.
import { fieldErrors } from '../../../api/errors.js';
import { checkKnown, checkNumber, numberSetting, rngFor } from './common.js';
import { formatDouble, SearchSpace } from './space.js';
import type { Algorithm, Assignment, SuggestInput, Suggested, TrialRecord } from './types.js';

export const HyperbandLabels = { bracket: 'hyperband.katib.kubeflow.org/bracket', round: 'hyperband.katib.kubeflow.org/round' } as const;

interface Plan {
  sMax: number;
  eta: number;
  rl: number;
}

function planOf(settings: Record<string, string>): Plan {
  const eta = numberSetting(settings, 'eta', 3);
  const rl = numberSetting(settings, 'r_l', NaN);
  return { eta, rl, sMax: Math.floor(Math.log(rl) / Math.log(eta) + 1e-9) };
}

/** Configurations and resource of round i of bracket s. */
function round(plan: Plan, s: number, i: number): { n: number; r: number } {
  const n0 = Math.ceil(((plan.sMax + 1) / (s + 1)) * plan.eta ** s);
  return { n: Math.floor(n0 * plan.eta ** -i), r: plan.rl * plan.eta ** (i - s) };
}

const done = (t: TrialRecord): boolean => t.state !== 'Pending' && t.state !== 'Running';

export const hyperband: Algorithm = {
  name: 'hyperband',
  validate({ parameters, settings, settingsPath, parallelTrialCount }) {
    const errors: ReturnType<Algorithm['validate']> = [];
    checkKnown(settings, ['r_l', 'eta', 'resource_name', 'random_state'], settingsPath, errors);
    if (settings['r_l'] === undefined) errors.push(fieldErrors.required(`${settingsPath}[r_l]`, 'the maximum resource'));
    checkNumber(settings, 'r_l', { above: 0 }, settingsPath, errors);
    checkNumber(settings, 'eta', { above: 1 }, settingsPath, errors);
    checkNumber(settings, 'random_state', { integer: true, min: 0 }, settingsPath, errors);
    const resource = settings['resource_name'];
    if (resource === undefined) errors.push(fieldErrors.required(`${settingsPath}[resource_name]`, 'the parameter that carries the resource'));
    else {
      const p = parameters.find((x) => x.name === resource);
      if (!p) errors.push(fieldErrors.invalid(`${settingsPath}[resource_name]`, resource, 'must name one of spec.parameters'));
      else if (p.parameterType !== 'int' && p.parameterType !== 'double') errors.push(fieldErrors.invalid(`${settingsPath}[resource_name]`, resource, 'must name an int or double parameter'));
    }
    if (errors.length === 0) {
      const plan = planOf(settings);
      const need = Math.ceil(plan.eta ** plan.sMax);
      if (parallelTrialCount < need) errors.push(fieldErrors.invalid('spec.parallelTrialCount', parallelTrialCount, `hyperband with r_l=${plan.rl} and eta=${plan.eta} needs at least ${need}`));
    }
    return errors;
  },
  suggest(input: SuggestInput) {
    const plan = planOf(input.settings);
    const resourceName = input.settings['resource_name'] ?? '';
    const isInt = input.parameters.find((p) => p.name === resourceName)?.parameterType === 'int';
    const withResource = (assignments: Assignment[], r: number): Assignment[] =>
      assignments.map((a) => (a.name === resourceName ? { name: a.name, value: isInt ? String(Math.max(1, Math.round(r))) : formatDouble(r) } : a));
    const label = (t: TrialRecord): [number, number] => [Number(t.labels?.[HyperbandLabels.bracket] ?? NaN), Number(t.labels?.[HyperbandLabels.round] ?? NaN)];
    const inGroup = (s: number, i: number): TrialRecord[] => input.trials.filter((t) => label(t)[0] === s && label(t)[1] === i);

    // The current group: the last one trials were issued for, in bracket-major order (s descending, i ascending).
    let s = plan.sMax;
    let i = 0;
    for (const t of input.trials) {
      const [ts, ti] = label(t);
      if (Number.isNaN(ts)) continue;
      if (ts < s || (ts === s && ti > i)) [s, i] = [ts, ti];
    }
    const sign = input.objective === 'maximize' ? -1 : 1;
    const ranked = (bs: number, bi: number): TrialRecord[] =>
      inGroup(bs, bi)
        .filter((t) => t.value !== undefined && Number.isFinite(t.value))
        .sort((a, b) => sign * (a.value! - b.value!));
    // A promoted round holds at most as many as the previous round produced results.
    const size = (bs: number, bi: number): number => (bi === 0 ? round(plan, bs, 0).n : Math.min(round(plan, bs, bi).n, ranked(bs, bi - 1).length));
    let group = inGroup(s, i);
    if (group.length >= size(s, i)) {
      if (!group.every(done)) return { suggestions: [] };
      if (i < s) i += 1;
      else if (s > 0) [s, i] = [s - 1, 0];
      else return { suggestions: [] };
      group = inGroup(s, i);
    }
    const { r } = round(plan, s, i);
    const n = size(s, i);
    const labels = { [HyperbandLabels.bracket]: String(s), [HyperbandLabels.round]: String(i) };
    const want = Math.min(input.count, n - group.length);
    const out: Suggested[] = [];
    if (i === 0) {
      const space = new SearchSpace(input.parameters);
      const rng = rngFor(input);
      for (let k = 0; k < want; k++) out.push({ assignments: withResource(space.decode(space.dims.map(() => rng.uniform())), r), labels });
    } else {
      // Promote the best of the previous round in rank order (trials without a result drop out).
      for (const t of ranked(s, i - 1).slice(group.length, group.length + want)) out.push({ assignments: withResource(t.assignments, r), labels: { ...labels, 'hyperband.katib.kubeflow.org/parent': t.name } });
    }
    return { suggestions: out };
  },
};
