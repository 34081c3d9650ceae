// Training jobs (Kubeflow's training operator kinds): list, replicas and their states, logs per replica, events.
import { Group, Select, Stack, Text, Title } from '@mantine/core';
import { useState } from 'react';
import { age, condition, getText, kubeList, type KubeObject } from '../api.js';
import { jobKinds, listJobs, Training, type Job } from '../training.js';
import { usePoll } from '../hooks.js';
import { useWatchList, useWatchObject } from '../watch.js';
import { href, Link } from '../router.js';
import { DataTable } from '../data-table.js';
import { ErrorBox, Loading, StateBadge } from '../ui.js';

function replicas(job: Job): string {
  return Object.entries(job.status?.replicaStatuses ?? {})
    .map(([type, s]) => `${type}: ${s.active ?? 0} active, ${s.succeeded ?? 0} succeeded, ${s.failed ?? 0} failed`)
    .join(' · ');
}

export function JobsPage({ ns }: { ns: string }) {
  const jobs = usePoll(() => listJobs(ns), [ns], 3000);
  return (
    <Stack>
      <Title order={1}>Training jobs</Title>
      <ErrorBox error={jobs.error} />
      {jobs.loading && !jobs.data ? (
        <Loading what="training jobs" />
      ) : (
        <DataTable
          caption="Training jobs"
          head={['Name', 'Kind', 'State', 'Replicas', 'Created']}
          empty="No training jobs in this namespace (kubectl apply a PyTorchJob or TFJob manifest)."
          rows={(jobs.data ?? []).map(({ kind, plural, job }) => [
            <Link key="n" className="floe-row-link" to={href(`/jobs/${plural}/${job.metadata.name}`, ns)}>
              {job.metadata.name}
            </Link>,
            kind,
            <StateBadge key="s" state={condition(job)?.type} />,
            replicas(job),
            age(job.metadata.creationTimestamp),
          ])}
        />
      )}
    </Stack>
  );
}

interface Pod extends KubeObject {
  spec?: { containers?: { name: string }[] };
  status?: KubeObject['status'] & { phase?: string; containerStatuses?: { name: string; restartCount?: number; state?: Record<string, { reason?: string; exitCode?: number }> }[] };
}
interface Event extends KubeObject {
  type?: string;
  reason?: string;
  message?: string;
  lastTimestamp?: string;
  eventTime?: string;
  count?: number;
}

export function JobPage({ ns, plural, name }: { ns: string; plural: string; name: string }) {
  const job = useWatchObject<Job>(Training, plural, ns, name);
  // The replicas' Pods by watch: a Pod's phase shows the moment the kubelet reports it.
  const pods = useWatchList<Pod>('v1', 'pods', ns, `labelSelector=${encodeURIComponent(`training.kubeflow.org/job-name=${name}`)}`);
  const events = usePoll(() => kubeList<Event>('v1', 'events', ns, `fieldSelector=${encodeURIComponent(`involvedObject.name=${name}`)}`), [ns, name], 3000);
  const [pod, setPod] = useState<string | null>(null);
  const podList = [...(pods.data?.items ?? [])].sort((a, b) => a.metadata.name.localeCompare(b.metadata.name));
  const podNames = podList.map((p) => p.metadata.name);
  const chosen = pod ?? podNames[0] ?? null;
  const kind = jobKinds.find((k) => k.plural === plural)?.kind ?? plural;
  return (
    <Stack>
      <Text size="sm" className="floe-crumbs" component="nav" aria-label="Breadcrumb">
        <Link to={href('/jobs', ns)}>Training jobs</Link> / {kind} {name}
      </Text>
      <Group>
        <Title order={1}>{name}</Title>
        <StateBadge state={condition(job.data)?.type} />
      </Group>
      <ErrorBox error={job.error} />
      {condition(job.data)?.message && <Text size="sm">{condition(job.data)?.message}</Text>}
      <Title order={2}>Replicas</Title>
      <DataTable
        caption="Replicas"
        head={['Pod', 'Replica', 'Phase', 'Restarts', 'Container state']}
        empty="No replica Pods (yet)."
        rows={podList.map((p) => {
          const c = p.status?.containerStatuses?.[0];
          const [stateName, detail] = Object.entries(c?.state ?? {})[0] ?? [];
          return [
            p.metadata.name,
            `${p.metadata.labels?.['training.kubeflow.org/replica-type'] ?? ''} ${p.metadata.labels?.['training.kubeflow.org/replica-index'] ?? ''}`,
            <StateBadge key="s" state={p.status?.phase} />,
            c?.restartCount ?? 0,
            stateName ? `${stateName}${detail?.reason ? ` (${detail.reason}${detail.exitCode !== undefined ? `, exit ${detail.exitCode}` : ''})` : ''}` : '',
          ];
        })}
      />
      <Title order={2}>Logs</Title>
      {podNames.length > 0 && <Select label="Replica" data={podNames} value={chosen} onChange={setPod} allowDeselect={false} w={320} />}
      {chosen && <Logs ns={ns} pod={chosen} />}
      <Title order={2}>Events</Title>
      <DataTable
        caption="Events"
        head={['Type', 'Reason', 'Message', 'Age']}
        empty="No events."
        rows={(events.data ?? []).map((e) => [e.type ?? '', e.reason ?? '', e.message ?? '', age(e.lastTimestamp ?? e.eventTime ?? e.metadata.creationTimestamp)])}
      />
    </Stack>
  );
}

export function Logs({ ns, pod, container }: { ns: string; pod: string; container?: string }) {
  const logs = usePoll(() => getText(`/api/v1/namespaces/${ns}/pods/${encodeURIComponent(pod)}/log?tailLines=500${container ? `&container=${encodeURIComponent(container)}` : ''}`), [ns, pod, container ?? ''], 2000);
  if (logs.error) return <Text c="dimmed" size="sm">{logs.error}</Text>;
  return (
    <pre className="floe-log" tabIndex={0} aria-label={`Logs of ${pod}`}>
      {logs.data ?? ''}
    </pre>
  );
}
