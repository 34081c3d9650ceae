// Pipelines: upload a compiled pipeline, its versions, and a run with a form built from the pipeline's parameters.
import { Button, FileInput, Group, Paper, Select, Stack, Text, TextInput, Title } from '@mantine/core';
import { useState } from 'react';
import { age, getJson } from '../api.js';
import { usePoll } from '../hooks.js';
import { createRun, isMultiUser, Kfp, listPipelines, listVersions, parametersOf, parameterValue, specOf, uploadPipeline, type Pipeline } from '../kfp.js';
import { href, Link, navigate } from '../router.js';
import { DataTable } from '../data-table.js';
import { ErrorBox, Loading } from '../ui.js';

export function PipelinesPage({ ns }: { ns: string }) {
  const pipelines = usePoll(() => listPipelines(ns), [ns], 5000);
  return (
    <Stack>
      <Title order={1}>Pipelines</Title>
      <UploadForm ns={ns} onDone={(id) => (id ? navigate(href(`/pipelines/${id}`, ns)) : pipelines.reload())} />
      <ErrorBox error={pipelines.error} />
      {pipelines.loading && !pipelines.data ? (
        <Loading what="pipelines" />
      ) : (
        <DataTable
          caption="Pipelines"
          head={['Name', 'Description', 'Visibility', 'Created']}
          empty="No pipelines yet: upload one compiled with kfp's Compiler."
          rows={(pipelines.data ?? []).map((p) => [
            <Link key="n" className="floe-row-link" to={href(`/pipelines/${p.pipeline_id}`, ns)}>
              {p.display_name}
            </Link>,
            p.description ?? '',
            p.namespace ? `Private (${p.namespace})` : 'Shared',
            age(p.created_at),
          ])}
        />
      )}
    </Stack>
  );
}

function UploadForm({ ns, pipelineId, onDone }: { ns: string; pipelineId?: string; onDone: (id?: string) => void }) {
  const [file, setFile] = useState<File | null>(null);
  const [name, setName] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  const what = pipelineId ? 'version' : 'pipeline';
  // Multi-user KFP: a profile user uploads a private pipeline into the selected namespace (a shared one needs a
  // cluster-wide grant), as Kubeflow's UI does.
  const multiUser = usePoll(() => isMultiUser(), [], 0).data === true;
  return (
    <Paper withBorder p="md">
      <form
        aria-label={`Upload a ${what}`}
        onSubmit={(e) => {
          e.preventDefault();
          if (!file) return setError('Choose a compiled pipeline file (YAML or JSON).');
          setBusy(true);
          setError(undefined);
          uploadPipeline(file, name || file.name.replace(/\.(ya?ml|json)$/, ''), ns, pipelineId)
            .then((p) => {
              setFile(null);
              setName('');
              onDone(pipelineId ? undefined : p.pipeline_id);
            })
            .catch((err: unknown) => setError(err instanceof Error ? err.message : String(err)))
            .finally(() => setBusy(false));
        }}
      >
        <Stack gap="xs">
          <Text fw={600}>Upload a {what}</Text>
          {multiUser && !pipelineId && (
            <Text size="sm" c="dimmed">
              Uploaded as a private pipeline of the namespace {ns}.
            </Text>
          )}
          <Group align="end">
            <FileInput label="Compiled pipeline (YAML)" placeholder="pipeline.yaml" accept=".yaml,.yml,.json" value={file} onChange={setFile} w={280} clearable />
            <TextInput label={`${pipelineId ? 'Version' : 'Pipeline'} name`} placeholder="from the file name" value={name} onChange={(e) => setName(e.currentTarget.value)} w={240} />
            <Button type="submit" loading={busy}>
              Upload
            </Button>
          </Group>
          <ErrorBox error={error} title="Upload failed" />
        </Stack>
      </form>
    </Paper>
  );
}

export function PipelinePage({ ns, id }: { ns: string; id: string }) {
  const pipeline = usePoll(() => getJson<Pipeline>(`${Kfp}/pipelines/${id}`), [id], 0);
  const versions = usePoll(() => listVersions(id), [id], 5000);
  return (
    <Stack>
      <Text size="sm" className="floe-crumbs" component="nav" aria-label="Breadcrumb">
        <Link to={href('/pipelines', ns)}>Pipelines</Link> / {pipeline.data?.display_name ?? id}
      </Text>
      <Title order={1}>{pipeline.data?.display_name ?? 'Pipeline'}</Title>
      <ErrorBox error={pipeline.error ?? versions.error} />
      {versions.data && versions.data.length > 0 && <RunForm ns={ns} pipelineId={id} versions={versions.data} />}
      <Title order={2}>Versions</Title>
      <DataTable
        caption="Versions"
        head={['Version', 'Parameters', 'Created']}
        empty="No versions."
        rows={(versions.data ?? []).map((v) => [
          v.display_name,
          parametersOf(specOf(v.pipeline_spec))
            .map(([n]) => n)
            .join(', '),
          age(v.created_at),
        ])}
      />
      <UploadForm ns={ns} pipelineId={id} onDone={() => versions.reload()} />
    </Stack>
  );
}

function RunForm({ ns, pipelineId, versions }: { ns: string; pipelineId: string; versions: { pipeline_version_id: string; display_name: string; pipeline_spec?: unknown }[] }) {
  const [versionId, setVersionId] = useState(versions[0]?.pipeline_version_id ?? '');
  const version = versions.find((v) => v.pipeline_version_id === versionId) ?? versions[0];
  const params = parametersOf(specOf(version?.pipeline_spec));
  const [values, setValues] = useState<Record<string, string>>({});
  const [runName, setRunName] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  const shown = (name: string, def: unknown) => values[name] ?? (def === undefined ? '' : typeof def === 'string' ? def : JSON.stringify(def));
  return (
    <Paper withBorder p="md">
      <form
        aria-label="Create a run"
        onSubmit={(e) => {
          e.preventDefault();
          setError(undefined);
          try {
            const parameters: Record<string, unknown> = {};
            for (const [name, p] of params) {
              const text = shown(name, p.defaultValue);
              if (text === '' && p.isOptional) continue;
              parameters[name] = parameterValue(p.parameterType, text);
            }
            setBusy(true);
            const display = runName || `${version?.display_name ?? 'run'} ${new Date().toISOString().slice(0, 19).replace('T', ' ')}`;
            createRun(ns, {
              display_name: display,
              pipeline_version_reference: { pipeline_id: pipelineId, pipeline_version_id: version?.pipeline_version_id },
              runtime_config: { parameters },
            })
              .then((run) => navigate(href(`/runs/${run.run_id}`, ns)))
              .catch((err: unknown) => setError(err instanceof Error ? err.message : String(err)))
              .finally(() => setBusy(false));
          } catch (err) {
            setError(err instanceof Error ? err.message : String(err));
          }
        }}
      >
        <Stack gap="xs">
          <Text fw={600}>Create a run</Text>
          <Group align="end">
            <Select label="Version" data={versions.map((v) => ({ value: v.pipeline_version_id, label: v.display_name }))} value={version?.pipeline_version_id ?? null} onChange={(v) => v && setVersionId(v)} allowDeselect={false} w={240} />
            <TextInput label="Run name" placeholder="generated" value={runName} onChange={(e) => setRunName(e.currentTarget.value)} w={260} />
          </Group>
          {params.length > 0 && <Text size="sm" c="dimmed">Parameters</Text>}
          <Group align="end">
            {params.map(([name, p]) => (
              <TextInput
                key={name}
                label={name}
                description={p.parameterType?.toLowerCase().replace('number_', '') ?? 'string'}
                required={!p.isOptional && p.defaultValue === undefined}
                value={shown(name, p.defaultValue)}
                onChange={(e) => setValues({ ...values, [name]: e.currentTarget.value })}
                w={200}
              />
            ))}
          </Group>
          <Group>
            <Button type="submit" loading={busy}>
              Start run
            </Button>
          </Group>
          <ErrorBox error={error} title="The run was not created" />
        </Stack>
      </form>
    </Paper>
  );
}
