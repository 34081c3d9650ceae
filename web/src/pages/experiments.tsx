// Katib: experiments, create one from YAML, its trials, the objective per trial, and the best trial so far.
import { Button, Code, Group, Paper, Stack, Text, Textarea, Title } from '@mantine/core';
import { useState } from 'react';
import { age, condition, kubeListOptional, kubePath, sendJson, type KubeObject } from '../api.js';
import { Chart } from '../components/chart.js';
import { ParallelCoordinates } from '../components/parallel.js';
import { ExperimentForm } from './experiment-form.js';
import { usePoll } from '../hooks.js';
import { useWatchList, useWatchObject } from '../watch.js';
import { href, Link, navigate } from '../router.js';
import { DataTable } from '../data-table.js';
import { ErrorBox, Loading, StateBadge } from '../ui.js';

const Katib = 'kubeflow.org/v1beta1';

interface Metric {
  name: string;
  latest?: string;
  min?: string;
  max?: string;
}
interface Experiment extends KubeObject {
  spec?: { objective?: { type?: string; objectiveMetricName?: string; goal?: number }; algorithm?: { algorithmName?: string }; maxTrialCount?: number; parallelTrialCount?: number };
  status?: KubeObject['status'] & {
    trials?: number;
    trialsSucceeded?: number;
    trialsFailed?: number;
    trialsRunning?: number;
    currentOptimalTrial?: { bestTrialName?: string; parameterAssignments?: { name: string; value: string }[]; observation?: { metrics?: Metric[] } };
  };
}
interface Trial extends KubeObject {
  spec?: { parameterAssignments?: { name: string; value: string }[] };
  status?: KubeObject['status'] & { observation?: { metrics?: Metric[] }; startTime?: string; completionTime?: string };
}

const example = `apiVersion: kubeflow.org/v1beta1
kind: Experiment
metadata:
  name: my-experiment
spec:
  objective:
    type: minimize
    objectiveMetricName: loss
  algorithm:
    algorithmName: random
  maxTrialCount: 6
  parallelTrialCount: 2
  parameters:
    - name: lr
      parameterType: double
      feasibleSpace: {min: "0.01", max: "0.1"}
  trialTemplate:
    primaryContainerName: training
    trialParameters:
      - {name: lr, reference: lr}
    trialSpec:
      apiVersion: batch/v1
      kind: Job
      spec:
        template:
          spec:
            restartPolicy: Never
            containers:
              - name: training
                image: python:3.11
                command: ["python3", "-c", "print('loss=' + str(1 - \${trialParameters.lr}))"]
`;

export function ExperimentsPage({ ns }: { ns: string }) {
  const list = usePoll(() => kubeListOptional<Experiment>(Katib, 'experiments', ns), [ns], 3000);
  const [yaml, setYaml] = useState('');
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  return (
    <Stack>
      <Title order={1}>Experiments (Katib)</Title>
      <ErrorBox error={list.error} />
      {list.data && !list.data.served && <Text c="dimmed">Katib is not served by this Floe.</Text>}
      {list.loading && !list.data ? (
        <Loading what="experiments" />
      ) : (
        <DataTable
          caption="Experiments"
          head={['Name', 'State', 'Algorithm', 'Trials (succeeded / total)', 'Best', 'Created']}
          empty="No experiments in this namespace."
          rows={(list.data?.items ?? []).map((e) => [
            <Link key="n" className="floe-row-link" to={href(`/experiments/${e.metadata.name}`, ns)}>
              {e.metadata.name}
            </Link>,
            <StateBadge key="s" state={condition(e)?.type} />,
            e.spec?.algorithm?.algorithmName ?? '',
            `${e.status?.trialsSucceeded ?? 0} / ${e.status?.trials ?? 0}`,
            bestValue(e) ?? '',
            age(e.metadata.creationTimestamp),
          ])}
        />
      )}
      <ExperimentForm ns={ns} />
      <Paper withBorder p="md">
        <form
          aria-label="Create an experiment from YAML"
          onSubmit={(ev) => {
            ev.preventDefault();
            setBusy(true);
            setError(undefined);
            // YAML goes to the API as YAML (application/yaml): the server parses and validates it, naming bad fields.
            sendJson<Experiment>('POST', kubePath(Katib, 'experiments', ns), yaml || example, 'application/yaml')
              .then((e) => navigate(href(`/experiments/${e.metadata.name}`, ns)))
              .catch((err: unknown) => setError(err instanceof Error ? err.message : String(err)))
              .finally(() => setBusy(false));
          }}
        >
          <Stack gap="xs">
            <Text fw={600}>Create an experiment from YAML</Text>
            <Textarea label="Experiment manifest" description={`Created in namespace ${ns}. Empty: the example shown.`} placeholder={example} value={yaml} onChange={(e) => setYaml(e.currentTarget.value)} autosize minRows={8} maxRows={24} styles={{ input: { fontFamily: 'ui-monospace, monospace', fontSize: 12 } }} />
            <Group>
              <Button type="submit" loading={busy}>
                Create
              </Button>
              <Button variant="default" onClick={() => setYaml(example)}>
                Fill in the example
              </Button>
            </Group>
            <ErrorBox error={error} title="The experiment was not created" />
          </Stack>
        </form>
      </Paper>
    </Stack>
  );
}

function bestValue(e: Experiment): string | undefined {
  const name = e.spec?.objective?.objectiveMetricName;
  const m = e.status?.currentOptimalTrial?.observation?.metrics?.find((x) => x.name === name);
  return m ? `${name} = ${m.latest}` : undefined;
}

/** A trial's objective value: upstream's UI shows the best value per objective type (min/max), falling back to latest. */
function objectiveOf(t: Trial, metric: string | undefined, type: string | undefined): number | null {
  const m = t.status?.observation?.metrics?.find((x) => x.name === metric);
  const raw = type === 'maximize' ? m?.max ?? m?.latest : type === 'minimize' ? m?.min ?? m?.latest : m?.latest;
  const n = Number(raw);
  return raw === undefined || Number.isNaN(n) ? null : n;
}

export function ExperimentPage({ ns, name }: { ns: string; name: string }) {
  const exp = useWatchObject<Experiment>(Katib, 'experiments', ns, name);
  // Trials by watch: a trial's new state or metric shows the moment Katib writes it.
  const trials = useWatchList<Trial>(Katib, 'trials', ns, `labelSelector=${encodeURIComponent(`katib.kubeflow.org/experiment=${name}`)}`);
  const metric = exp.data?.spec?.objective?.objectiveMetricName;
  const type = exp.data?.spec?.objective?.type;
  const sorted = [...(trials.data?.items ?? [])].sort((a, b) => (a.metadata.creationTimestamp ?? '').localeCompare(b.metadata.creationTimestamp ?? '') || a.metadata.name.localeCompare(b.metadata.name));
  const paramNames = [...new Set(sorted.flatMap((t) => (t.spec?.parameterAssignments ?? []).map((p) => p.name)))];
  const values = sorted.map((t) => objectiveOf(t, metric, type));
  const best = exp.data?.status?.currentOptimalTrial;
  const bestSoFar: (number | null)[] = [];
  let acc: number | null = null;
  for (const v of values) {
    if (v !== null) acc = acc === null ? v : type === 'maximize' ? Math.max(acc, v) : Math.min(acc, v);
    bestSoFar.push(acc);
  }
  return (
    <Stack>
      <Text size="sm" className="floe-crumbs" component="nav" aria-label="Breadcrumb">
        <Link to={href('/experiments', ns)}>Experiments</Link> / {name}
      </Text>
      <Group>
        <Title order={1}>{name}</Title>
        <StateBadge state={condition(exp.data)?.type} />
      </Group>
      <ErrorBox error={exp.error ?? trials.error} />
      {condition(exp.data)?.message && <Text size="sm">{condition(exp.data)?.message}</Text>}
      <Text size="sm">
        Objective: {type} <Code>{metric}</Code>
        {exp.data?.spec?.objective?.goal !== undefined ? ` (goal ${exp.data.spec.objective.goal})` : ''} · algorithm {exp.data?.spec?.algorithm?.algorithmName} · {exp.data?.status?.trialsSucceeded ?? 0} succeeded, {exp.data?.status?.trialsRunning ?? 0} running, {exp.data?.status?.trialsFailed ?? 0} failed
      </Text>
      {best?.bestTrialName && (
        <Paper withBorder p="sm" aria-label="Best trial" component="section">
          <Text fw={600}>Best trial: {best.bestTrialName}</Text>
          <Text size="sm">
            {(best.observation?.metrics ?? []).map((m) => `${m.name} = ${m.latest}`).join(', ')} with {(best.parameterAssignments ?? []).map((p) => `${p.name} = ${p.value}`).join(', ')}
          </Text>
        </Paper>
      )}
      {values.some((v) => v !== null) ? (
        <Chart
          title={`${metric ?? 'objective'} by trial`}
          xLabel="trial"
          x={sorted.map((_, i) => i + 1)}
          series={[
            { label: metric ?? 'objective', color: '#4c6ef5', values, points: true },
            { label: 'best so far', color: '#2b8a3e', values: bestSoFar },
          ]}
        />
      ) : (
        <Text c="dimmed" size="sm">
          The plot appears when a trial reports {metric ?? 'its metric'}.
        </Text>
      )}
      {paramNames.length > 0 && values.some((v) => v !== null) && (
        <ParallelCoordinates
          title="Parameters and objective per trial"
          axes={[...paramNames, metric ?? 'objective']}
          lines={sorted.map((t, i) => ({
            name: t.metadata.name,
            best: t.metadata.name === best?.bestTrialName,
            values: { ...Object.fromEntries((t.spec?.parameterAssignments ?? []).map((p) => [p.name, p.value])), [metric ?? 'objective']: values[i] },
          }))}
        />
      )}
      <Title order={2}>Trials</Title>
      <DataTable
        caption="Trials"
        head={['#', 'Trial', 'State', ...paramNames, metric ?? 'objective', 'Started']}
        empty="No trials yet."
        rows={sorted.map((t, i) => [
          i + 1,
          t.metadata.name + (t.metadata.name === best?.bestTrialName ? ' ★' : ''),
          <StateBadge key="s" state={condition(t)?.type} />,
          ...paramNames.map((p) => t.spec?.parameterAssignments?.find((a) => a.name === p)?.value ?? ''),
          values[i] ?? '',
          age(t.status?.startTime ?? t.metadata.creationTimestamp),
        ])}
      />
    </Stack>
  );
}
