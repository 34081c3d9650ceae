// `floe trials EXPERIMENT`: an experiment's trials as a table, best objective first, and its current best trial.
import type { KubeList, KubeObject } from '../api/meta.js';
import { ExitCode } from './cli-error.js';
import { formatTable } from './printers.js';
import type { Session } from './session.js';

interface Assignment {
  name: string;
  value: string;
}
interface Metric {
  name: string;
  min: string;
  max: string;
  latest: string;
}
type Experiment = KubeObject & {
  spec: { objective?: { type?: string; objectiveMetricName?: string; metricStrategies?: { name: string; value: 'min' | 'max' | 'latest' }[] }; parameters?: { name: string }[] };
  status?: { conditions?: { type: string; status: string; reason?: string }[]; currentOptimalTrial?: { bestTrialName?: string; parameterAssignments?: Assignment[]; observation?: { metrics?: Metric[] } }; trials?: number };
};
type Trial = KubeObject & { spec: { parameterAssignments?: Assignment[] }; status?: { conditions?: { type: string; status: string }[]; observation?: { metrics?: Metric[] } } };

const lastTrue = (conditions: { type: string; status: string }[] | undefined): string => [...(conditions ?? [])].reverse().find((c) => c.status === 'True')?.type ?? 'Pending';

export async function trialsTable(session: Session, name: string): Promise<ExitCode> {
  const base = `/apis/kubeflow.org/v1beta1/namespaces/${encodeURIComponent(session.namespace)}`;
  const experiment = await session.http.json<Experiment>({ method: 'GET', path: `${base}/experiments/${encodeURIComponent(name)}` });
  const trials = await session.http.json<KubeList<Trial>>({ method: 'GET', path: `${base}/trials`, query: { labelSelector: `katib.kubeflow.org/experiment=${name}` } });
  const objective = experiment.spec.objective ?? {};
  const metric = objective.objectiveMetricName ?? '';
  const strategy = objective.metricStrategies?.find((m) => m.name === metric)?.value ?? (objective.type === 'maximize' ? 'max' : 'min');
  const sign = objective.type === 'maximize' ? -1 : 1;
  const valueOf = (t: Trial): number | undefined => {
    const m = t.status?.observation?.metrics?.find((x) => x.name === metric);
    const v = Number(m?.[strategy]);
    return m && Number.isFinite(v) ? v : undefined;
  };
  const params = (experiment.spec.parameters ?? []).map((p) => p.name);
  const rows = trials.items
    .map((t) => ({ t, v: valueOf(t) }))
    .sort((a, b) => (a.v === undefined ? 1 : b.v === undefined ? -1 : sign * (a.v - b.v)) || (a.t.metadata.name ?? '').localeCompare(b.t.metadata.name ?? ''))
    .map(({ t, v }) => [t.metadata.name ?? '', lastTrue(t.status?.conditions), v === undefined ? '<none>' : String(v), ...params.map((p) => t.spec.parameterAssignments?.find((a) => a.name === p)?.value ?? '')]);
  const out: string[] = [];
  out.push(formatTable([['NAME', 'STATUS', `${metric.toUpperCase()} (${strategy})`, ...params.map((p) => p.toUpperCase())], ...rows]));
  const state = experiment.status?.conditions?.filter((c) => c.status === 'True').at(-1);
  out.push(`\nExperiment ${name}: ${state ? `${state.type}${state.reason ? ` (${state.reason})` : ''}` : 'Pending'}, ${trials.items.length} trials, objective: ${objective.type ?? ''} ${metric}`);
  const best = experiment.status?.currentOptimalTrial;
  if (best?.bestTrialName) {
    const m = best.observation?.metrics?.find((x) => x.name === metric);
    const assignments = (best.parameterAssignments ?? []).map((a) => `${a.name}=${a.value}`).join(' ');
    out.push(`Best trial: ${best.bestTrialName} ${metric}=${m ? m[strategy] : '<none>'} ${assignments}`);
  } else {
    out.push('Best trial: none yet');
  }
  session.io.out(`${out.join('\n')}\n`);
  return ExitCode.Ok;
}
