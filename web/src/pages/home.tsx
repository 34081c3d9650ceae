// Home: what is happening in the namespace — recent runs, experiments, training jobs and endpoints.
import { SimpleGrid, Paper, Stack, Text, Title } from '@mantine/core';
import { age, condition, kubeListOptional, type KubeObject } from '../api.js';
import { usePoll } from '../hooks.js';
import { listRuns } from '../kfp.js';
import { href, Link } from '../router.js';
import { ErrorBox, StateBadge } from '../ui.js';
import { listJobs } from '../training.js';

function Card({ title, to, children }: { title: string; to: string; children: React.ReactNode }) {
  return (
    <Paper withBorder p="md" component="section" aria-label={title}>
      <Stack gap={6}>
        <Link to={to} className="floe-row-link">
          <Title order={2} size="h4">
            {title}
          </Title>
        </Link>
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

export function HomePage({ ns }: { ns: string }) {
  const runs = usePoll(() => listRuns(ns, 5, undefined, 'created_at desc', ''), [ns], 4000);
  const experiments = usePoll(() => kubeListOptional<KubeObject>('kubeflow.org/v1beta1', 'experiments', ns), [ns], 4000);
  const jobs = usePoll(() => listJobs(ns), [ns], 4000);
  const models = usePoll(() => kubeListOptional<KubeObject>('serving.kserve.io/v1beta1', 'inferenceservices', ns), [ns], 4000);
  const none = <Text size="sm" c="dimmed">None yet.</Text>;
  return (
    <Stack>
      <Title order={1}>Namespace {ns}</Title>
      <ErrorBox error={runs.error ?? experiments.error ?? jobs.error ?? models.error} />
      <SimpleGrid cols={{ base: 1, md: 2 }}>
        <Card title="Recent runs" to={href('/runs', ns)}>
          {(runs.data?.runs ?? []).map((r) => <Row key={r.run_id} to={href(`/runs/${r.run_id}`, ns)} name={r.display_name} state={r.state} when={r.created_at} />)}
          {runs.data && runs.data.runs.length === 0 && none}
        </Card>
        <Card title="Experiments" to={href('/experiments', ns)}>
          {(experiments.data?.items ?? []).slice(0, 5).map((e) => <Row key={e.metadata.name} to={href(`/experiments/${e.metadata.name}`, ns)} name={e.metadata.name} state={condition(e)?.type} when={e.metadata.creationTimestamp} />)}
          {experiments.data && experiments.data.items.length === 0 && none}
        </Card>
        <Card title="Training jobs" to={href('/jobs', ns)}>
          {(jobs.data ?? []).slice(0, 5).map(({ plural, job }) => <Row key={`${plural}/${job.metadata.name}`} to={href(`/jobs/${plural}/${job.metadata.name}`, ns)} name={job.metadata.name} state={condition(job)?.type} when={job.metadata.creationTimestamp} />)}
          {jobs.data && jobs.data.length === 0 && none}
        </Card>
        <Card title="Model endpoints" to={href('/models', ns)}>
          {(models.data?.items ?? []).slice(0, 5).map((m) => <Row key={m.metadata.name} to={href(`/models/${m.metadata.name}`, ns)} name={m.metadata.name} state={m.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True' ? 'Ready' : 'Pending'} when={m.metadata.creationTimestamp} />)}
          {models.data && models.data.items.length === 0 && none}
        </Card>
      </SimpleGrid>
    </Stack>
  );
}
