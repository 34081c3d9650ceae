// Notebooks, through the Jupyter web app API (/jupyter/api, as Kubeflow's notebooks page calls it); where that API is
// not served, the kubeflow.org/v1beta1 Notebook objects are listed directly.
import { Anchor, Button, Group, Paper, Stack, Text, TextInput, Title } from '@mantine/core';
import { useState } from 'react';
import { age, ApiError, getJson, kubeListOptional, request, sendJson, xsrfHeader, type KubeObject } from '../api.js';
import { usePoll } from '../hooks.js';
import { DataTable } from '../data-table.js';
import { ErrorBox, Loading, StateBadge } from '../ui.js';

interface Summary {
  name: string;
  namespace: string;
  image?: string;
  shortImage?: string;
  cpu?: string | null;
  memory?: string | null;
  age?: string;
  status?: { phase?: string; message?: string };
}

async function load(ns: string): Promise<{ via: 'jupyter' | 'api' | 'none'; notebooks: Summary[] }> {
  try {
    const r = await getJson<{ notebooks?: Summary[] }>(`/jupyter/api/namespaces/${encodeURIComponent(ns)}/notebooks`);
    return { via: 'jupyter', notebooks: r.notebooks ?? [] };
  } catch (err) {
    if (!(err instanceof ApiError && err.status === 404)) throw err;
  }
  const list = await kubeListOptional<KubeObject>('kubeflow.org/v1beta1', 'notebooks', ns);
  if (!list.served) return { via: 'none', notebooks: [] };
  return {
    via: 'api',
    notebooks: list.items.map((n) => ({
      name: n.metadata.name,
      namespace: ns,
      age: n.metadata.creationTimestamp ?? '',
      status: { phase: n.metadata.annotations?.['kubeflow-resource-stopped'] ? 'stopped' : ((n.status?.containerState as Record<string, unknown> | undefined)?.running ? 'ready' : 'waiting') },
    })),
  };
}

export function NotebooksPage({ ns }: { ns: string }) {
  const list = usePoll(() => load(ns), [ns], 3000);
  const [error, setError] = useState<string>();
  const [name, setName] = useState('');
  const [image, setImage] = useState('jupyter/base-notebook');
  const [busy, setBusy] = useState(false);
  const base = `/jupyter/api/namespaces/${encodeURIComponent(ns)}/notebooks`;
  const act = (p: Promise<unknown>) => {
    setError(undefined);
    p.then(() => list.reload()).catch((err: unknown) => setError(err instanceof Error ? err.message : String(err)));
  };
  const jupyter = list.data?.via === 'jupyter';
  return (
    <Stack>
      <Title order={1}>Notebooks</Title>
      <ErrorBox error={list.error ?? error} />
      {list.data?.via === 'none' && <Text c="dimmed">Notebooks are not served by this Floe.</Text>}
      {list.data?.via === 'api' && <Text c="dimmed" size="sm">The Jupyter web app API is not served here: listing Notebook objects read-only.</Text>}
      {list.loading && !list.data ? (
        <Loading what="notebooks" />
      ) : (
        <DataTable
          caption="Notebooks"
          head={['Name', 'Status', 'Image', 'CPU', 'Memory', 'Created', 'Actions']}
          empty="No notebooks in this namespace."
          rows={(list.data?.notebooks ?? []).map((n) => {
            const phase = n.status?.phase ?? 'unknown';
            return [
              phase === 'ready' ? (
                <Anchor key="n" href={`/notebook/${n.namespace}/${n.name}/`} target="_blank" rel="noopener">
                  {n.name}
                </Anchor>
              ) : (
                n.name
              ),
              <span key="s" title={n.status?.message}>
                <StateBadge state={phase} />
              </span>,
              n.shortImage ?? n.image ?? '',
              n.cpu ?? '',
              n.memory ?? '',
              age(n.age),
              jupyter ? (
                <Group key="a" gap={4}>
                  <Button size="compact-xs" variant="default" onClick={() => act(sendJson('PATCH', `${base}/${n.name}`, { stopped: phase !== 'stopped' }, 'application/json', xsrfHeader()))}>
                    {phase === 'stopped' ? 'Start' : 'Stop'}
                  </Button>
                  <Button size="compact-xs" variant="default" color="red" onClick={() => window.confirm(`Delete notebook ${n.name}?`) && act(request(`${base}/${n.name}`, { method: 'DELETE', headers: xsrfHeader() }))}>
                    Delete
                  </Button>
                </Group>
              ) : (
                ''
              ),
            ];
          })}
        />
      )}
      {jupyter && (
        <Paper withBorder p="md">
          <form
            aria-label="New notebook"
            onSubmit={(e) => {
              e.preventDefault();
              setBusy(true);
              setError(undefined);
              sendJson('POST', base, {
                name,
                namespace: ns,
                image,
                imagePullPolicy: 'IfNotPresent',
                serverType: 'jupyter',
                cpu: '0.5',
                cpuLimit: '',
                memory: '1Gi',
                memoryLimit: '',
                gpus: { num: 'none' },
                tolerationGroup: 'none',
                affinityConfig: 'none',
                configurations: [],
                datavols: [],
                shm: true,
              }, 'application/json', xsrfHeader())
                .then(() => (setName(''), list.reload()))
                .catch((err: unknown) => setError(err instanceof Error ? err.message : String(err)))
                .finally(() => setBusy(false));
            }}
          >
            <Stack gap="xs">
              <Text fw={600}>New notebook</Text>
              <Group align="end">
                <TextInput label="Name" required value={name} onChange={(e) => setName(e.currentTarget.value)} w={220} />
                <TextInput label="Image" value={image} onChange={(e) => setImage(e.currentTarget.value)} w={300} />
                <Button type="submit" loading={busy}>
                  Launch
                </Button>
              </Group>
            </Stack>
          </form>
        </Paper>
      )}
    </Stack>
  );
}
