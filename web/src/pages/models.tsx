// Models (KServe InferenceServices): readiness, revisions and the traffic split, canary promote/rollback (a patch of
// canaryTrafficPercent, as KServe's docs do it), Floe's A/B verdict per revision, request-metrics charts per revision
// (requests per second, p50/p99 latency, errors, sampled from Floe's serving metrics while the page is open) and a
// test-request box.
import { Button, Code, Group, NumberInput, Paper, Stack, Text, Textarea, TextInput, Title } from '@mantine/core';
import { lazy, Suspense, useEffect, useRef, useState } from 'react';
import { age, condition, getJson, kubeListOptional, kubePath, request, sendJson, type KubeObject } from '../api.js';
import { usePoll } from '../hooks.js';
import { href, Link } from '../router.js';
import { DataTable } from '../data-table.js';
import { ErrorBox, Loading, StateBadge } from '../ui.js';

const Serving = 'serving.kserve.io/v1beta1';
const Chart = lazy(() => import('../components/chart.js').then((m) => ({ default: m.Chart })));
const palette = ['#1c50a0', '#c2255c', '#2b8a3e', '#e8590c', '#5f3dc4', '#0b7285'];
/** Samples kept per page: ten minutes at one every 2 s. */
const MaxSamples = 300;

interface Traffic {
  revisionName?: string;
  latestRevision?: boolean;
  percent?: number;
  tag?: string;
}
interface Isvc extends KubeObject {
  spec?: { predictor?: { canaryTrafficPercent?: number; model?: { modelFormat?: { name?: string }; storageUri?: string } } };
  status?: KubeObject['status'] & { url?: string; deploymentMode?: string; components?: Record<string, { traffic?: Traffic[]; latestReadyRevision?: string; latestRolledoutRevision?: string; url?: string }> };
}

function ready(i: Isvc): string {
  const c = i.status?.conditions?.find((x) => x.type === 'Ready');
  return c ? (c.status === 'True' ? 'Ready' : 'Pending') : 'Pending';
}
function split(i: Isvc): string {
  return (i.status?.components?.predictor?.traffic ?? []).map((t) => `${t.revisionName ?? '?'} ${t.percent ?? 0}%`).join(', ');
}

export function ModelsPage({ ns }: { ns: string }) {
  const list = usePoll(() => kubeListOptional<Isvc>(Serving, 'inferenceservices', ns), [ns], 3000);
  return (
    <Stack>
      <Title order={1}>Models (KServe)</Title>
      <ErrorBox error={list.error} />
      {list.loading && !list.data ? (
        <Loading what="inference services" />
      ) : (
        <DataTable
          caption="Inference services"
          head={['Name', 'Ready', 'Model', 'Traffic', 'URL', 'Created']}
          empty="No InferenceServices in this namespace."
          rows={(list.data?.items ?? []).map((i) => [
            <Link key="n" className="floe-row-link" to={href(`/models/${i.metadata.name}`, ns)}>
              {i.metadata.name}
            </Link>,
            <StateBadge key="s" state={ready(i)} />,
            i.spec?.predictor?.model?.modelFormat?.name ?? 'custom',
            split(i),
            i.status?.url ?? '',
            age(i.metadata.creationTimestamp),
          ])}
        />
      )}
    </Stack>
  );
}

interface Variant {
  revision: string;
  requests: number;
  errors: number;
  errorRate: number;
  p50Ms: number;
  p99Ms: number;
}
interface Variants {
  variants: Variant[];
  comparison?: { verdict: string };
}
interface Sample {
  /** Seconds since the page opened. */
  t: number;
  byRevision: Map<string, Variant>;
}

/**
 * Floe's serving metrics are running totals per revision; sampled every poll, their differences are the rates charted:
 * requests per second and errors per interval, beside the latency percentiles each sample reports.
 */
function RequestCharts({ samples }: { samples: Sample[] }) {
  if (samples.length < 2) return <Text size="sm" c="dimmed">The charts start after two samples of the serving metrics (a few seconds).</Text>;
  const revisions = [...new Set(samples.flatMap((s) => [...s.byRevision.keys()]))].sort();
  const x = samples.slice(1).map((s) => Math.round(s.t));
  const per = (f: (now: Variant | undefined, before: Variant | undefined, dt: number) => number | null) =>
    revisions.map((r, i) => ({
      label: r,
      color: palette[i % palette.length]!,
      values: samples.slice(1).map((s, j) => f(s.byRevision.get(r), samples[j]!.byRevision.get(r), s.t - samples[j]!.t || 1)),
    }));
  const rate = per((now, before, dt) => (now ? Math.max(0, (now.requests - (before?.requests ?? 0)) / dt) : null));
  const errors = per((now, before) => (now ? Math.max(0, now.errors - (before?.errors ?? 0)) : null));
  const p50 = per((now) => (now && now.requests > 0 ? now.p50Ms : null)).map((s) => ({ ...s, label: `${s.label} p50` }));
  const p99 = per((now) => (now && now.requests > 0 ? now.p99Ms : null)).map((s, i) => ({ ...s, label: `${s.label} p99`, color: palette[(i + 3) % palette.length]! }));
  return (
    <Suspense fallback={<Loading what="the charts" />}>
      <div className="floe-chart-grid" data-testid="request-charts">
        <Chart title="Requests per second" x={x} xLabel="seconds" yLabel="requests/s" series={rate} height={200} wholeX={false} />
        <Chart title="Latency" x={x} xLabel="seconds" yLabel="ms" series={[...p50, ...p99]} height={200} wholeX={false} />
        <Chart title="Errors per sample" x={x} xLabel="seconds" yLabel="errors" series={errors} height={200} wholeX={false} />
      </div>
    </Suspense>
  );
}

export function ModelPage({ ns, name }: { ns: string; name: string }) {
  const isvc = usePoll(() => getJson<Isvc>(kubePath(Serving, 'inferenceservices', ns, name)), [ns, name], 2000);
  const variants = usePoll(() => getJson<Variants>(`/serving/${ns}/${name}/.floe/variants`), [ns, name], 2000);
  // The series since the page opened: each answer of the poll is one sample.
  const opened = useRef(performance.now());
  const [samples, setSamples] = useState<Sample[]>([]);
  useEffect(() => {
    if (!variants.data) return;
    const sample = { t: (performance.now() - opened.current) / 1000, byRevision: new Map(variants.data.variants.map((v) => [v.revision, v])) };
    setSamples((s) => [...s.slice(-(MaxSamples - 1)), sample]);
  }, [variants.data]);
  const [percent, setPercent] = useState<number | string>(20);
  const [error, setError] = useState<string>();
  const traffic = isvc.data?.status?.components?.predictor?.traffic ?? [];
  const canary = isvc.data?.spec?.predictor?.canaryTrafficPercent;
  // KServe's raw deployment mode (always on a cluster without Knative): one Deployment, no revisions to split between.
  const raw = /^(RawDeployment|Standard)$/.test(isvc.data?.status?.deploymentMode ?? '');
  const patch = (value: number | null) => {
    setError(undefined);
    sendJson('PATCH', kubePath(Serving, 'inferenceservices', ns, name), { spec: { predictor: { canaryTrafficPercent: value } } }, 'application/merge-patch+json')
      .then(() => isvc.reload())
      .catch((err: unknown) => setError(err instanceof Error ? err.message : String(err)));
  };
  return (
    <Stack>
      <Text size="sm" className="floe-crumbs" component="nav" aria-label="Breadcrumb">
        <Link to={href('/models', ns)}>Models</Link> / {name}
      </Text>
      <Group>
        <Title order={1}>{name}</Title>
        {isvc.data && <StateBadge state={ready(isvc.data)} />}
      </Group>
      <ErrorBox error={isvc.error ?? error} />
      {condition(isvc.data)?.message && <Text size="sm">{condition(isvc.data)?.message}</Text>}
      <Text size="sm">
        URL: <Code>{isvc.data?.status?.url ?? '—'}</Code> · canaryTrafficPercent: <Code data-testid="canary-percent">{canary === undefined ? 'unset' : String(canary)}</Code>
      </Text>
      <Title order={2}>Traffic</Title>
      {!isvc.data ? (
        <Loading what="the service" />
      ) : raw ? (
        <Text size="sm" data-testid="raw-mode">
          Raw deployment mode ({isvc.data.status?.deploymentMode}): the Deployment <Code>{name}-predictor</Code> serves all traffic. Canary rollouts
          (canaryTrafficPercent) need Knative mode, as in KServe.
        </Text>
      ) : (
        <DataTable
          caption="Traffic split"
          head={['Revision', 'Share', 'Latest']}
          empty="No revision serves traffic yet."
          rows={traffic.map((t) => [t.revisionName ?? '', `${t.percent ?? 0}%`, t.latestRevision ? 'latest' : 'previous'])}
        />
      )}
      {!raw && (
      <Paper withBorder p="md" component="section" aria-label="Canary rollout">
        <Stack gap="xs">
          <Text fw={600}>Canary rollout</Text>
          <Text size="sm" c="dimmed">
            Promote sends all traffic to the latest revision (removes canaryTrafficPercent); roll back sends it all to the last rolled-out revision (canaryTrafficPercent 0).
          </Text>
          <Group align="end">
            <Button onClick={() => patch(null)}>Promote canary</Button>
            <Button variant="default" onClick={() => patch(0)}>
              Roll back
            </Button>
            <NumberInput label="Canary share (%)" min={0} max={100} value={percent} onChange={setPercent} w={160} />
            <Button variant="default" onClick={() => patch(Number(percent))}>
              Set share
            </Button>
          </Group>
        </Stack>
      </Paper>
      )}
      <Title order={2}>Revisions compared (A/B)</Title>
      {variants.data?.comparison?.verdict && <Text size="sm">{variants.data.comparison.verdict}</Text>}
      <DataTable
        caption="Requests per revision"
        head={['Revision', 'Requests', 'Errors', 'Error rate', 'p50 (ms)', 'p99 (ms)']}
        empty="No requests yet."
        rows={(variants.data?.variants ?? []).map((v) => [v.revision, v.requests, v.errors, v.errorRate, v.p50Ms, v.p99Ms])}
      />
      <Title order={2}>Request metrics</Title>
      <RequestCharts samples={samples} />
      <TestRequest ns={ns} name={name} />
    </Stack>
  );
}

function TestRequest({ ns, name }: { ns: string; name: string }) {
  const [path, setPath] = useState(`/v1/models/${name}:predict`);
  const [body, setBody] = useState('{"instances": [[6.8, 2.8, 4.8, 1.4]]}');
  const [answer, setAnswer] = useState<string>();
  const [busy, setBusy] = useState(false);
  return (
    <Paper withBorder p="md" component="section" aria-label="Test request">
      <form
        onSubmit={(e) => {
          e.preventDefault();
          setBusy(true);
          const started = performance.now();
          request(`/serving/${ns}/${name}${path}`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body })
            .then(async (res) => setAnswer(`${res.status} in ${Math.round(performance.now() - started)} ms\n${await res.text()}`))
            .catch((err: unknown) => setAnswer(err instanceof Error ? err.message : String(err)))
            .finally(() => setBusy(false));
        }}
      >
        <Stack gap="xs">
          <Text fw={600}>Test request</Text>
          <TextInput label="Path" value={path} onChange={(e) => setPath(e.currentTarget.value)} />
          <Textarea label="JSON body" value={body} onChange={(e) => setBody(e.currentTarget.value)} autosize minRows={3} styles={{ input: { fontFamily: 'ui-monospace, monospace', fontSize: 12 } }} />
          <Group>
            <Button type="submit" loading={busy}>
              Send
            </Button>
          </Group>
          {answer !== undefined && (
            <pre className="floe-log" data-testid="test-answer" tabIndex={0}>
              {answer}
            </pre>
          )}
        </Stack>
      </form>
    </Paper>
  );
}
