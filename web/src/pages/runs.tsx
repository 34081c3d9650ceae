// Runs: a server-side paged list (KFP page tokens), and one run's graph filling in live, with a task's details and logs.
import { Button, Checkbox, Code, Group, Paper, Select, Stack, Text, TextInput, Title } from '@mantine/core';
import { useState } from 'react';
import { age, getJson, getText, sendJson, type KubeObject } from '../api.js';
import { ArtifactPreview } from '../components/artifact-preview.js';
import { DagView } from '../components/dag.js';
import { usePoll } from '../hooks.js';
import { isMultiUser, Kfp, listRuns, runGraph, specOf, type PipelineVersion, type Run, type Task } from '../kfp.js';
import { href, Link, navigate } from '../router.js';
import { DataTable } from '../data-table.js';
import { ErrorBox, Loading, StateBadge } from '../ui.js';

const PageSize = 20;

export function RunsPage({ ns }: { ns: string }) {
  const [tokens, setTokens] = useState<string[]>([]);
  const [sortBy, setSortBy] = useState('created_at desc');
  const [filter, setFilter] = useState('');
  const token = tokens.at(-1);
  const page = usePoll(() => listRuns(ns, PageSize, token, sortBy, filter), [ns, token, sortBy, filter], 3000);
  const first = tokens.length * PageSize;
  // Up to three runs picked for comparison, kept across pages.
  const [picked, setPicked] = useState<string[]>([]);
  const toggle = (id: string, on: boolean) => setPicked((p) => (on ? [...p.filter((x) => x !== id), id].slice(-3) : p.filter((x) => x !== id)));
  return (
    <Stack>
      <Title order={1}>Runs</Title>
      <Group align="end">
        <TextInput label="Filter by name" placeholder="part of a run name" value={filter} onChange={(e) => (setFilter(e.currentTarget.value), setTokens([]))} w={260} />
        <Select
          label="Sort by"
          data={[
            { value: 'created_at desc', label: 'Newest first' },
            { value: 'created_at', label: 'Oldest first' },
            { value: 'display_name', label: 'Name' },
          ]}
          value={sortBy}
          onChange={(v) => v && (setSortBy(v), setTokens([]))}
          allowDeselect={false}
          w={180}
        />
        <Button variant="default" disabled={picked.length < 2} onClick={() => navigate(href('/compare', ns, { runs: picked.join(',') }))}>
          Compare {picked.length ? `(${picked.length})` : ''}
        </Button>
      </Group>
      <ErrorBox error={page.error} />
      {page.loading && !page.data ? (
        <Loading what="runs" />
      ) : (
        <DataTable
          caption="Runs"
          head={['Compare', 'Run', 'State', 'Created', 'Duration']}
          empty="No runs: start one from a pipeline's page."
          rows={(page.data?.runs ?? []).map((r) => [
            <Checkbox key="c" aria-label={`Compare ${r.display_name}`} checked={picked.includes(r.run_id)} onChange={(e) => toggle(r.run_id, e.currentTarget.checked)} />,
            <Link key="n" className="floe-row-link" to={href(`/runs/${r.run_id}`, ns)}>
              {r.display_name}
            </Link>,
            <StateBadge key="s" state={r.state} />,
            age(r.created_at),
            duration(r.created_at, r.finished_at),
          ])}
        />
      )}
      <Group justify="space-between">
        <Text size="sm" c="dimmed" aria-live="polite">
          {page.data ? `${page.data.runs.length ? first + 1 : 0}–${first + page.data.runs.length}${page.data.total_size ? ` of ${page.data.total_size}` : ''}` : ''}
        </Text>
        <Group>
          <Button variant="default" disabled={tokens.length === 0} onClick={() => setTokens(tokens.slice(0, -1))}>
            Previous page
          </Button>
          <Button variant="default" disabled={!page.data?.next_page_token} onClick={() => page.data?.next_page_token && setTokens([...tokens, page.data.next_page_token])}>
            Next page
          </Button>
        </Group>
      </Group>
    </Stack>
  );
}

function duration(from?: string, to?: string): string {
  if (!from || !to || to.startsWith('1970')) return '';
  const s = Math.round((Date.parse(to) - Date.parse(from)) / 1000);
  return s < 120 ? `${s}s` : `${Math.round(s / 60)}m`;
}

const finished = new Set(['SUCCEEDED', 'FAILED', 'CANCELED', 'SKIPPED']);

export function RunPage({ ns, id, task }: { ns: string; id: string; task: string | undefined }) {
  const run = usePoll(() => getJson<Run>(`${Kfp}/runs/${id}`), [id], 1500);
  const ref = run.data?.pipeline_version_reference;
  const version = usePoll(
    () => (ref ? getJson<PipelineVersion>(`${Kfp}/pipelines/${ref.pipeline_id}/versions/${ref.pipeline_version_id}`) : Promise.resolve(undefined)),
    [ref?.pipeline_version_id ?? ''],
    0,
  );
  const [actionError, setActionError] = useState<string>();
  const spec = specOf(run.data?.pipeline_spec) ?? specOf(version.data?.pipeline_spec);
  const graph = runGraph(spec, run.data?.run_details?.task_details ?? []);
  const selectedTasks = task ? graph.byNode.get(task) ?? [] : [];
  const act = (verb: 'terminate' | 'retry') => {
    setActionError(undefined);
    sendJson('POST', `${Kfp}/runs/${id}:${verb}`, {})
      .then(() => run.reload())
      .catch((err: unknown) => setActionError(err instanceof Error ? err.message : String(err)));
  };
  return (
    <Stack>
      <Text size="sm" className="floe-crumbs" component="nav" aria-label="Breadcrumb">
        <Link to={href('/runs', ns)}>Runs</Link> / {run.data?.display_name ?? id}
      </Text>
      <Group justify="space-between">
        <Group>
          <Title order={1}>{run.data?.display_name ?? 'Run'}</Title>
          <span data-testid="run-state">
            <StateBadge state={run.data?.state} />
          </span>
        </Group>
        <Group>
          <Button variant="default" disabled={!run.data || finished.has(run.data.state ?? '')} onClick={() => act('terminate')}>
            Terminate
          </Button>
          <Button variant="default" disabled={run.data?.state !== 'FAILED' && run.data?.state !== 'CANCELED'} onClick={() => act('retry')}>
            Retry
          </Button>
        </Group>
      </Group>
      <ErrorBox error={run.error ?? actionError ?? run.data?.error?.message} title={run.data?.error?.message ? 'The run failed' : 'Something went wrong'} />
      {run.data?.runtime_config?.parameters && (
        <Text size="sm">
          Parameters: <Code>{JSON.stringify(run.data.runtime_config.parameters)}</Code>
        </Text>
      )}
      {!run.data && run.loading ? <Loading what="the run" /> : <DagView nodes={graph.nodes} edges={graph.edges} selected={task} onSelect={(n) => navigate(href(`/runs/${id}`, ns, { task: n }), true)} />}
      {task && <TaskPanel ns={ns} name={task} tasks={selectedTasks} />}
    </Stack>
  );
}

function TaskPanel({ ns, name, tasks }: { ns: string; name: string; tasks: Task[] }) {
  const [index, setIndex] = useState(0);
  const t = tasks[Math.min(index, tasks.length - 1)];
  return (
    <Paper withBorder p="md" aria-label={`Task ${name}`} component="section">
      <Stack gap="xs">
        <Group>
          <Title order={2} size="h3">
            {name}
          </Title>
          <StateBadge state={t?.state ?? 'PENDING'} />
          {tasks.length > 1 && (
            <Select aria-label="Attempt or iteration" data={tasks.map((x, i) => ({ value: String(i), label: `${x.display_name ?? name} #${i + 1} (${x.state ?? ''})` }))} value={String(index)} onChange={(v) => setIndex(Number(v ?? 0))} w={280} />
          )}
        </Group>
        {!t ? (
          <Text c="dimmed">This task has not started.</Text>
        ) : (
          <>
            <Text size="sm">
              Pod: <Code>{t.pod_name ?? '—'}</Code> · started {age(t.start_time ?? t.create_time)} ago
            </Text>
            <ErrorBox error={t.error?.message} title="Task error" />
            <IoTable title="Inputs" io={t.inputs} />
            <IoTable title="Outputs" io={t.outputs} />
            <Visualizations io={t.outputs} ns={ns} />
            {t.execution_id && <Execution id={t.execution_id} />}
            {t.pod_name && <PodLogs ns={ns} pod={t.pod_name} />}
          </>
        )}
      </Stack>
    </Paper>
  );
}

function IoTable({ title, io }: { title: string; io: Task['inputs'] }) {
  const entries = Object.entries(io ?? {});
  if (entries.length === 0) return null;
  return (
    <DataTable
      caption={`${title} artifacts`}
      head={[`${title} (artifacts)`, 'Artifact ids (lineage)']}
      empty=""
      rows={entries.map(([k, v]) => [
        k,
        <Group key="a" gap={8}>
          {v.artifact_ids.map((id) => (
            <Link key={id} className="floe-row-link" to={href('/lineage', undefined, { artifact: id })}>
              {id}
            </Link>
          ))}
        </Group>,
      ])}
    />
  );
}

/** The task's output artifacts previewed as KFP's UI shows them (metrics, confusion matrix, ROC, Markdown, HTML). */
function Visualizations({ io, ns }: { io: Task['outputs']; ns: string }) {
  const ids = Object.values(io ?? {}).flatMap((v) => v.artifact_ids);
  if (ids.length === 0) return null;
  return (
    <section aria-label="Visualizations">
      <Title order={3} size="h4">
        Visualizations
      </Title>
      <Stack gap="md">
        {ids.map((id) => (
          <ArtifactPreview key={id} id={id} ns={ns} />
        ))}
      </Stack>
    </section>
  );
}

function Execution({ id }: { id: string }) {
  const exec = usePoll(() => getJson<{ custom_properties?: Record<string, unknown>; customProperties?: Record<string, unknown> }>(`/mlmd/v1/executions/${id}`), [id], 5000);
  const props = exec.data?.custom_properties ?? exec.data?.customProperties;
  if (!props) return null;
  return (
    <details>
      <summary>Parameters and execution properties (ML Metadata execution {id})</summary>
      <pre className="floe-mono">{JSON.stringify(props, null, 2)}</pre>
    </details>
  );
}

function PodLogs({ ns, pod }: { ns: string; pod: string }) {
  const logs = usePoll(
    async () => {
      const podNs = (await isMultiUser()) ? ns : 'kubeflow';
      const p = await getJson<KubeObject>(`/api/v1/namespaces/${podNs}/pods/${encodeURIComponent(pod)}`);
      const containers = ((p.spec?.containers as { name: string }[] | undefined) ?? []).map((c) => c.name);
      const container = containers.includes('main') ? 'main' : containers[0];
      return getText(`/api/v1/namespaces/${podNs}/pods/${encodeURIComponent(pod)}/log?tailLines=500${container ? `&container=${encodeURIComponent(container)}` : ''}`);
    },
    [pod],
    2000,
  );
  return (
    <section aria-label="Logs">
      <Text fw={600} size="sm">
        Logs
      </Text>
      {logs.error ? <Text c="dimmed" size="sm">{logs.error}</Text> : <pre className="floe-log" tabIndex={0} data-testid="task-logs">{logs.data ?? ''}</pre>}
    </section>
  );
}
