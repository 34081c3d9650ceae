// Home: what is happening in the namespace — recent runs, experiments, training jobs, endpoints and resource usage.
// Everything but the runs comes from one call (/api/dashboard/home), so the first page makes few requests.
import { SimpleGrid, Paper, Stack, Text, Title } from '@mantine/core';
import { age, getJson } from '../api.js';
import { usePoll } from '../hooks.js';
import { listRuns } from '../kfp.js';
import { href, Link } from '../router.js';
import { ErrorBox, StateBadge } from '../ui.js';

function Card({ title, to, children }: { title: string; to?: string; children: React.ReactNode }) {
  const heading = (
    <Title order={2} size="h4">
      {title}
    </Title>
  );
  return (
    <Paper withBorder p="md" component="section" aria-label={title}>
      <Stack gap={6}>
        {to ? (
          <Link to={to} className="floe-row-link">
            {heading}
          </Link>
        ) : (
          heading
        )}
        {children}
      </Stack>
    </Paper>
  );
}

function Row({ to, name, state, when }: { to: string; name: string; state: string | undefined; when: string | undefined }) {
  return (
    <Text size="sm" component="div" style={{ display: 'flex', gap: 8, alignItems: 'center' }}>
      <Link to={to} className="floe-row-link">
        {name}
      </Link>
      <StateBadge state={state} />
      <Text span size="xs" c="dimmed">
        {age(when)} ago
      </Text>
    </Text>
  );
}

interface HomeItem {
  name: string;
  created?: string;
  state?: string;
  plural?: string;
}
interface HomeSummary {
  experiments: HomeItem[];
  jobs: HomeItem[];
  models: HomeItem[];
  usage?: { pods: number; cpu: number; memory: number; top: { pod: string; cpu: number; memory: number }[]; window?: string };
  denied: string[];
}

/** Cores as `kubectl top` writes them: millicores below one core. */
export function cores(n: number): string {
  return n < 1 ? `${Math.round(n * 1000)}m` : `${n.toFixed(2)}`;
}
export function bytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) {
    n /= 1024;
    i++;
  }
  return `${n < 10 && i > 0 ? n.toFixed(1) : Math.round(n)} ${units[i]}`;
}

function Usage({ usage, denied }: { usage: HomeSummary['usage']; denied: boolean }) {
  if (denied) return <Text size="sm" c="dimmed">You may not read Pod metrics here.</Text>;
  if (!usage) return null;
  if (usage.pods === 0) return <Text size="sm" c="dimmed">No running Pods.</Text>;
  return (
    <>
      <Text size="sm" data-testid="usage-total">
        {usage.pods} Pod{usage.pods === 1 ? '' : 's'} using {cores(usage.cpu)} CPU and {bytes(usage.memory)} of memory
      </Text>
      {/* A plain table: Mantine's brings its ScrollArea and floating-ui into the first page's bundle. */}
      <table aria-label="Busiest Pods" className="floe-small-table">
        <thead>
          <tr>
            <th scope="col">Pod</th>
            <th scope="col">CPU</th>
            <th scope="col">Memory</th>
          </tr>
        </thead>
        <tbody>
          {usage.top.slice(0, 5).map((p) => (
            <tr key={p.pod}>
              <td>{p.pod}</td>
              <td>{cores(p.cpu)}</td>
              <td>{bytes(p.memory)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
}

export function HomePage({ ns }: { ns: string }) {
  const runs = usePoll(() => listRuns(ns, 5, undefined, 'created_at desc', ''), [ns], 4000);
  const home = usePoll(() => getJson<HomeSummary>(`/api/dashboard/home?namespace=${encodeURIComponent(ns)}`), [ns], 4000);
  const none = <Text size="sm" c="dimmed">None yet.</Text>;
  const h = home.data;
  const rows = (items: HomeItem[] | undefined, to: (i: HomeItem) => string) => (
    <>
      {(items ?? []).map((i) => <Row key={`${i.plural ?? ''}/${i.name}`} to={to(i)} name={i.name} state={i.state} when={i.created} />)}
      {items && items.length === 0 && none}
    </>
  );
  return (
    <Stack>
      <Title order={1}>Namespace {ns}</Title>
      <ErrorBox error={runs.error ?? home.error} />
      <SimpleGrid cols={{ base: 1, md: 2 }}>
        <Card title="Recent runs" to={href('/runs', ns)}>
          {(runs.data?.runs ?? []).map((r) => <Row key={r.run_id} to={href(`/runs/${r.run_id}`, ns)} name={r.display_name} state={r.state} when={r.created_at} />)}
          {runs.data && runs.data.runs.length === 0 && none}
        </Card>
        <Card title="Experiments" to={href('/experiments', ns)}>
          {rows(h?.experiments, (e) => href(`/experiments/${e.name}`, ns))}
        </Card>
        <Card title="Training jobs" to={href('/jobs', ns)}>
          {rows(h?.jobs, (j) => href(`/jobs/${j.plural ?? ''}/${j.name}`, ns))}
        </Card>
        <Card title="Model endpoints" to={href('/models', ns)}>
          {rows(h?.models, (m) => href(`/models/${m.name}`, ns))}
        </Card>
        <Card title="Resource usage">
          <Usage usage={h?.usage} denied={h?.denied.includes('usage') ?? false} />
        </Card>
      </SimpleGrid>
    </Stack>
  );
}
