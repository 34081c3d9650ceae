// Compare 2–3 runs as KFP's UI does: their parameters side by side, and the scalar metrics their tasks logged
// (system.Metrics artifacts in ML Metadata) side by side.
import { Stack, Table, Text, Title } from '@mantine/core';
import { getJson } from '../api.js';
import { formatNumber, mlmdArtifact, type MlmdArtifact } from '../components/artifact-preview.js';
import { usePoll } from '../hooks.js';
import { Kfp, type Run } from '../kfp.js';
import { href, Link } from '../router.js';
import { ErrorBox, Loading, StateBadge } from '../ui.js';

interface Compared {
  run: Run;
  metrics: Map<string, number | string>;
}

function scalarOf(v: NonNullable<MlmdArtifact['custom_properties']>[string]): number | string | undefined {
  if (v.double_value !== undefined) return v.double_value;
  if (v.int_value !== undefined) return Number(v.int_value);
  if (v.string_value !== undefined) return v.string_value;
  return undefined;
}

async function load(ids: string[], ns: string): Promise<Compared[]> {
  return Promise.all(
    ids.map(async (id) => {
      const run = await getJson<Run>(`${Kfp}/runs/${encodeURIComponent(id)}`);
      const metrics = new Map<string, number | string>();
      for (const t of run.run_details?.task_details ?? []) {
        for (const [output, v] of Object.entries(t.outputs ?? {})) {
          for (const aid of v.artifact_ids) {
            const a = await mlmdArtifact(aid, ns);
            if (a.type !== 'system.Metrics') continue;
            for (const [k, value] of Object.entries(a.custom_properties ?? {})) {
              if (k === 'display_name') continue;
              const s = scalarOf(value);
              if (s !== undefined) metrics.set(`${t.display_name ?? ''} · ${output} · ${k}`, s);
            }
          }
        }
      }
      return { run, metrics };
    }),
  );
}

function show(v: unknown): string {
  if (v === undefined) return '—';
  if (typeof v === 'number') return formatNumber(v);
  return typeof v === 'string' ? v : JSON.stringify(v);
}

function SideBySide({ caption, runs, keys, value }: { caption: string; runs: Compared[]; keys: string[]; value: (c: Compared, key: string) => unknown }) {
  if (keys.length === 0) return <Text c="dimmed" size="sm">No {caption.toLowerCase()} in these runs.</Text>;
  return (
    <Table withTableBorder striped aria-label={caption} data-testid={caption === 'Parameters' ? 'compare-parameters' : 'compare-metrics'}>
      <Table.Thead>
        <Table.Tr>
          <Table.Th>{caption === 'Parameters' ? 'Parameter' : 'Metric (task · output · name)'}</Table.Th>
          {runs.map((c) => (
            <Table.Th key={c.run.run_id}>{c.run.display_name}</Table.Th>
          ))}
        </Table.Tr>
      </Table.Thead>
      <Table.Tbody>
        {keys.map((k) => {
          const values = runs.map((c) => show(value(c, k)));
          const differs = new Set(values).size > 1;
          return (
            <Table.Tr key={k} data-differs={differs}>
              <Table.Td>{differs ? <strong>{k}</strong> : k}</Table.Td>
              {values.map((v, i) => (
                <Table.Td key={i} className="floe-num">
                  {v}
                </Table.Td>
              ))}
            </Table.Tr>
          );
        })}
      </Table.Tbody>
    </Table>
  );
}

export function CompareRunsPage({ ns, ids }: { ns: string; ids: string[] }) {
  const data = usePoll(() => load(ids, ns), [ids.join(','), ns], 5000);
  const runs = data.data ?? [];
  const paramKeys = [...new Set(runs.flatMap((c) => Object.keys(c.run.runtime_config?.parameters ?? {})))].sort();
  const metricKeys = [...new Set(runs.flatMap((c) => [...c.metrics.keys()]))].sort();
  return (
    <Stack>
      <Text size="sm" className="floe-crumbs" component="nav" aria-label="Breadcrumb">
        <Link to={href('/runs', ns)}>Runs</Link> / Compare
      </Text>
      <Title order={1}>Compare runs</Title>
      <ErrorBox error={data.error} />
      {ids.length < 2 && <Text>Select two or three runs in the runs list to compare them.</Text>}
      {!data.data && data.loading ? (
        <Loading what="the runs" />
      ) : (
        <>
          <Table withTableBorder aria-label="Compared runs" w="auto">
            <Table.Tbody>
              {runs.map((c) => (
                <Table.Tr key={c.run.run_id}>
                  <Table.Td>
                    <Link to={href(`/runs/${c.run.run_id}`, ns)}>{c.run.display_name}</Link>
                  </Table.Td>
                  <Table.Td>
                    <StateBadge state={c.run.state} />
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
          <Title order={2} size="h3">
            Parameters
          </Title>
          <SideBySide caption="Parameters" runs={runs} keys={paramKeys} value={(c, k) => c.run.runtime_config?.parameters?.[k]} />
          <Title order={2} size="h3">
            Metrics
          </Title>
          <SideBySide caption="Metrics" runs={runs} keys={metricKeys} value={(c, k) => c.metrics.get(k)} />
          <Text size="xs" c="dimmed">
            Rows in bold differ between the runs.
          </Text>
        </>
      )}
    </Stack>
  );
}
