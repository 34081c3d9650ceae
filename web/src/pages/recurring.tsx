// Recurring runs (KFP v2beta1 /recurringruns): list, create (pipeline version, experiment, parameters, a cron
// expression or an interval), enable/disable, delete.
import { Button, Group, NumberInput, SegmentedControl, Select, Stack, TextInput, Title } from '@mantine/core';
import { useState } from 'react';
import { age, getJson, request, sendJson } from '../api.js';
import { usePoll } from '../hooks.js';
import { isMultiUser, Kfp, listPipelines, listVersions, nsQuery, parametersOf, parameterValue, specOf } from '../kfp.js';
import { DataTable } from '../data-table.js';
import { ErrorBox, Loading, StateBadge } from '../ui.js';

interface RecurringRun {
  recurring_run_id: string;
  display_name: string;
  mode?: string;
  status?: string;
  created_at?: string;
  trigger?: { cron_schedule?: { cron?: string }; periodic_schedule?: { interval_second?: string | number } };
  max_concurrency?: string | number;
}

function schedule(r: RecurringRun): string {
  if (r.trigger?.cron_schedule) return `cron ${r.trigger.cron_schedule.cron ?? ''}`;
  if (r.trigger?.periodic_schedule) return `every ${r.trigger.periodic_schedule.interval_second ?? '?'} s`;
  return '';
}

export function RecurringRunsPage({ ns }: { ns: string }) {
  const list = usePoll(
    async () => {
      const q = (await isMultiUser()) ? `&namespace=${encodeURIComponent(ns)}` : '';
      return (await getJson<{ recurringRuns?: RecurringRun[] }>(`${Kfp}/recurringruns?page_size=100&sort_by=${encodeURIComponent('created_at desc')}${q}`)).recurringRuns ?? [];
    },
    [ns],
    3000,
  );
  const [error, setError] = useState<string>();
  const act = (p: Promise<unknown>) => {
    setError(undefined);
    p.then(() => list.reload()).catch((e: unknown) => setError(e instanceof Error ? e.message : String(e)));
  };
  return (
    <Stack>
      <Title order={1}>Recurring runs</Title>
      <CreateForm ns={ns} onCreated={() => list.reload()} />
      <ErrorBox error={list.error ?? error} />
      {!list.data && list.loading ? (
        <Loading what="recurring runs" />
      ) : (
        <DataTable
          caption="Recurring runs"
          head={['Name', 'Schedule', 'Mode', 'Created', 'Actions']}
          empty="No recurring runs."
          rows={(list.data ?? []).map((r) => [
            r.display_name,
            schedule(r),
            <StateBadge key="m" state={r.mode === 'DISABLE' ? 'Disabled' : 'Enabled'} />,
            age(r.created_at),
            <Group key="a" gap={6}>
              <Button size="xs" variant="default" aria-label={`${r.mode === 'DISABLE' ? 'Enable' : 'Disable'} ${r.display_name}`} onClick={() => act(sendJson('POST', `${Kfp}/recurringruns/${r.recurring_run_id}:${r.mode === 'DISABLE' ? 'enable' : 'disable'}`, {}))}>
                {r.mode === 'DISABLE' ? 'Enable' : 'Disable'}
              </Button>
              <Button size="xs" variant="default" color="red" aria-label={`Delete ${r.display_name}`} onClick={() => act(request(`${Kfp}/recurringruns/${r.recurring_run_id}`, { method: 'DELETE' }))}>
                Delete
              </Button>
            </Group>,
          ])}
        />
      )}
    </Stack>
  );
}

interface KfpExperiment {
  experiment_id: string;
  display_name: string;
}

function CreateForm({ ns, onCreated }: { ns: string; onCreated: () => void }) {
  const pipelines = usePoll(() => listPipelines(ns), [ns], 0);
  const experiments = usePoll(async () => {
    const q = await nsQuery(ns);
    return (await getJson<{ experiments?: KfpExperiment[] }>(`${Kfp}/experiments?page_size=200&sort_by=${encodeURIComponent('created_at desc')}${q ? `&${q}` : ''}`)).experiments ?? [];
  }, [ns], 0);
  const [pipelineId, setPipelineId] = useState<string | null>(null);
  const versions = usePoll(() => (pipelineId ? listVersions(pipelineId) : Promise.resolve([])), [pipelineId ?? ''], 0);
  const [versionId, setVersionId] = useState<string | null>(null);
  const [experimentId, setExperimentId] = useState<string | null>(null);
  const [values, setValues] = useState<Record<string, string>>({});
  const [name, setName] = useState('');
  const [kind, setKind] = useState('cron');
  const [cron, setCron] = useState('0 0 * * * *');
  const [interval, setInterval] = useState<number | string>(3600);
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  // The newest version unless one is chosen; its parameters make the form's fields, with their defaults.
  const version = versions.data?.find((v) => v.pipeline_version_id === versionId) ?? versions.data?.[0];
  const params = parametersOf(specOf(version?.pipeline_spec));
  const shown = (key: string, def: unknown) => values[key] ?? (def === undefined ? '' : typeof def === 'string' ? def : JSON.stringify(def));
  const submit = async () => {
    setError(undefined);
    if (!pipelineId || !version) return setError('Choose a pipeline.');
    if (!name.trim()) return setError('Give the recurring run a name.');
    setBusy(true);
    try {
      const parameters: Record<string, unknown> = {};
      for (const [key, p] of params) {
        const text = shown(key, p.defaultValue);
        if (text === '' && p.isOptional) continue;
        parameters[key] = parameterValue(p.parameterType, text);
      }
      await sendJson('POST', `${Kfp}/recurringruns`, {
        display_name: name.trim(),
        pipeline_version_reference: { pipeline_id: pipelineId, pipeline_version_id: version.pipeline_version_id },
        ...(experimentId ? { experiment_id: experimentId } : {}),
        runtime_config: { parameters },
        trigger: kind === 'cron' ? { cron_schedule: { cron } } : { periodic_schedule: { interval_second: String(interval) } },
        mode: 'ENABLE',
        max_concurrency: '1',
        no_catchup: true,
        ...((await isMultiUser()) ? { namespace: ns } : {}),
      });
      setName('');
      onCreated();
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    } finally {
      setBusy(false);
    }
  };
  return (
    <form
      onSubmit={(e) => {
        e.preventDefault();
        void submit();
      }}
      aria-label="Create a recurring run"
    >
      <Stack gap="xs" maw={640}>
        <Title order={2} size="h4">
          Create a recurring run
        </Title>
        <Group align="end">
          <TextInput label="Recurring run name" value={name} onChange={(e) => setName(e.currentTarget.value)} w={220} />
          <Select
            label="Pipeline"
            data={(pipelines.data ?? []).map((p) => ({ value: p.pipeline_id, label: p.display_name }))}
            value={pipelineId}
            onChange={(v) => {
              setPipelineId(v);
              setVersionId(null);
              setValues({});
            }}
            w={240}
            searchable
          />
        </Group>
        <Group align="end">
          <Select
            label="Pipeline version"
            placeholder={pipelineId ? 'the newest' : 'choose a pipeline first'}
            data={(versions.data ?? []).map((v) => ({ value: v.pipeline_version_id, label: v.display_name }))}
            value={version?.pipeline_version_id ?? null}
            onChange={(v) => {
              setVersionId(v);
              setValues({});
            }}
            allowDeselect={false}
            w={240}
          />
          <Select
            label="Experiment"
            placeholder="Default"
            data={(experiments.data ?? []).map((e) => ({ value: e.experiment_id, label: e.display_name }))}
            value={experimentId}
            onChange={setExperimentId}
            clearable
            w={220}
          />
        </Group>
        {params.length > 0 && (
          <Group align="end" role="group" aria-label="Parameters">
            {params.map(([key, p]) => (
              <TextInput
                key={key}
                label={key}
                description={p.parameterType?.toLowerCase().replace('number_', '') ?? 'string'}
                required={!p.isOptional && p.defaultValue === undefined}
                value={shown(key, p.defaultValue)}
                onChange={(e) => setValues({ ...values, [key]: e.currentTarget.value })}
                w={160}
              />
            ))}
          </Group>
        )}
        <SegmentedControl aria-label="Trigger" data={[{ value: 'cron', label: 'Cron' }, { value: 'interval', label: 'Interval' }]} value={kind} onChange={setKind} w={220} />
        {kind === 'cron' ? (
          <TextInput label="Cron expression" description="KFP's six fields: second minute hour day month weekday" value={cron} onChange={(e) => setCron(e.currentTarget.value)} w={300} />
        ) : (
          <NumberInput label="Interval in seconds" min={1} value={interval} onChange={setInterval} w={200} />
        )}
        <ErrorBox error={error} />
        <Group>
          <Button type="submit" loading={busy}>
            Create recurring run
          </Button>
        </Group>
      </Stack>
    </form>
  );
}
