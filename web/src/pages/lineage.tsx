// Lineage from ML Metadata (/mlmd/v1): recent artifacts, and one artifact's upstream and downstream graph of
// executions and artifacts, drawn like a run's graph.
import { Code, Group, SegmentedControl, Stack, Text, Title } from '@mantine/core';
import { getJson } from '../api.js';
import { ArtifactPreview } from '../components/artifact-preview.js';
import { DagView, type DagEdge, type DagNode } from '../components/dag.js';
import { usePoll } from '../hooks.js';
import { href, Link, navigate } from '../router.js';
import { DataTable } from '../data-table.js';
import { ErrorBox, Loading } from '../ui.js';

interface MlmdValue {
  string_value?: string;
  int_value?: number | string;
  double_value?: number;
}
interface Artifact {
  id?: number;
  name?: string;
  type?: string;
  uri?: string;
  state?: string;
  custom_properties?: Record<string, MlmdValue>;
  create_time_since_epoch?: number | string;
}
interface Execution {
  id?: number;
  name?: string;
  type?: string;
  last_known_state?: string;
  custom_properties?: Record<string, MlmdValue>;
}
interface Lineage {
  artifacts?: Artifact[];
  executions?: Execution[];
  events?: { artifact_id: number; execution_id: number; type: string }[];
}

const executionState: Record<string, string> = { COMPLETE: 'SUCCEEDED', CACHED: 'CACHED', FAILED: 'FAILED', RUNNING: 'RUNNING', CANCELED: 'CANCELED', NEW: 'PENDING' };
const label = (props: Record<string, MlmdValue> | undefined, key: string) => props?.[key]?.string_value;

export function LineagePage({ ns, artifact, direction }: { ns: string; artifact: string | undefined; direction: string }) {
  const recent = usePoll(() => getJson<{ artifacts?: Artifact[] }>('/mlmd/v1/artifacts?page_size=50&order_by=create_time&is_asc=false'), [], 10_000);
  const graph = usePoll(
    () => (artifact ? getJson<Lineage>(`/mlmd/v1/lineage?artifact_id=${encodeURIComponent(artifact)}&direction=${direction}&max_hops=10&page_size=500`) : Promise.resolve(undefined)),
    [artifact ?? '', direction],
    0,
  );
  const nodes: DagNode[] = [];
  const edges: DagEdge[] = [];
  for (const a of graph.data?.artifacts ?? []) nodes.push({ id: `a${a.id}`, label: label(a.custom_properties, 'display_name') ?? a.name ?? `artifact ${a.id}`, kind: 'artifact', state: String(a.id) === artifact ? 'RUNNING' : 'CACHED', caption: `${String(a.id) === artifact ? 'this artifact' : 'artifact'} · ${a.type ?? ''}` });
  for (const e of graph.data?.executions ?? []) nodes.push({ id: `e${e.id}`, label: label(e.custom_properties, 'task_name') ?? e.name ?? `execution ${e.id}`, kind: 'execution', state: executionState[e.last_known_state ?? ''] ?? 'PENDING', caption: `${(e.last_known_state ?? 'unknown').toLowerCase()} · ${e.type ?? 'execution'}` });
  for (const ev of graph.data?.events ?? []) {
    if (ev.type.includes('OUTPUT')) edges.push({ from: `e${ev.execution_id}`, to: `a${ev.artifact_id}` });
    else edges.push({ from: `a${ev.artifact_id}`, to: `e${ev.execution_id}` });
  }
  return (
    <Stack>
      <Title order={1}>Lineage</Title>
      <ErrorBox error={recent.error ?? graph.error} />
      {artifact && (
        <Stack>
          <Group>
            <Text>
              Artifact <Code>{artifact}</Code> — the highlighted node
            </Text>
            <SegmentedControl
              aria-label="Direction"
              value={direction}
              onChange={(d) => navigate(href('/lineage', ns, { artifact, direction: d }), true)}
              data={[
                { value: 'UPSTREAM', label: 'Upstream' },
                { value: 'DOWNSTREAM', label: 'Downstream' },
                { value: 'BIDIRECTIONAL', label: 'Both' },
              ]}
            />
          </Group>
          {graph.loading && !graph.data ? <Loading what="the lineage" /> : <DagView nodes={nodes} edges={edges} onSelect={(id) => id.startsWith('a') && navigate(href('/lineage', ns, { artifact: id.slice(1), direction }))} />}
          <ArtifactPreview id={artifact} ns={ns} level={2} />
        </Stack>
      )}
      <Title order={2}>Recent artifacts</Title>
      <DataTable
        caption="Recent artifacts"
        head={['Id', 'Name', 'Type', 'URI']}
        empty="No artifacts yet: pipeline runs record theirs here."
        rows={(recent.data?.artifacts ?? []).map((a) => [
          <Link key="i" className="floe-row-link" to={href('/lineage', ns, { artifact: String(a.id), direction })}>
            {String(a.id)}
          </Link>,
          label(a.custom_properties, 'display_name') ?? a.name ?? '',
          a.type ?? '',
          <Code key="u">{a.uri ?? ''}</Code>,
        ])}
      />
    </Stack>
  );
}
