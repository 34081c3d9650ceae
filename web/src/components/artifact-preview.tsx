// Previews of a pipeline artifact the way KFP's UI shows its visualisation artifacts: system.Metrics as a table of
// scalars, system.ClassificationMetrics as a confusion matrix grid and a ROC curve, system.Markdown rendered safely
// (text only, never raw HTML), system.HTML in a sandboxed frame whose response forbids scripts.
import { Stack, Table, Text, Title } from '@mantine/core';
import { lazy, Suspense, type ReactNode } from 'react';
import { getJson, request } from '../api.js';
import { usePoll } from '../hooks.js';
import { nsQuery } from '../kfp.js';
import { Markdown } from './markdown.js';

const Chart = lazy(() => import('./chart.js').then((m) => ({ default: m.Chart })));

type Value = { int_value?: number | string; double_value?: number; string_value?: string; bool_value?: boolean; struct_value?: unknown };
export interface MlmdArtifact {
  id?: number | string;
  type?: string;
  uri?: string;
  custom_properties?: Record<string, Value>;
}

export const previewTypes = new Set(['system.Metrics', 'system.ClassificationMetrics', 'system.Markdown', 'system.HTML']);

function scalar(v: Value): number | string | boolean | undefined {
  if (v.double_value !== undefined) return v.double_value;
  if (v.int_value !== undefined) return Number(v.int_value);
  if (v.string_value !== undefined) return v.string_value;
  if (v.bool_value !== undefined) return v.bool_value;
  return undefined;
}

/** What KFP's ArtifactService says of an artifact with `view=DOWNLOAD`: where to read its file and how large it is. */
interface KfpArtifact {
  download_url?: string;
  artifact_size?: string;
}

/** Previews read at most this much; a larger file is a download link, as KFP's UI shows only an artifact's head. */
export const PreviewLimit = 1 << 20;

/**
 * An artifact's file as text through KFP's own `GET /apis/v2beta1/artifacts/{id}?view=DOWNLOAD`, which authorizes the
 * caller in the namespace of the run that made it (so namespace users can preview their own runs' files).
 */
async function artifactText(id: string): Promise<{ text: string } | { tooLarge: string }> {
  const a = await getJson<KfpArtifact>(`/apis/v2beta1/artifacts/${encodeURIComponent(id)}?view=DOWNLOAD`);
  if (!a.download_url) throw new Error('the artifact has no file to preview');
  if (Number(a.artifact_size ?? 0) > PreviewLimit) return { tooLarge: a.download_url };
  return { text: await (await request(a.download_url)).text() };
}

/** One artifact by MLMD id: its name and type, and a preview when its type is one KFP visualises. */
/** Reads one MLMD artifact; multi-user MLMD answers only with the namespace named (`?namespace=`). */
export async function mlmdArtifact(id: string, ns: string): Promise<MlmdArtifact> {
  const q = await nsQuery(ns);
  return getJson<MlmdArtifact>(`/mlmd/v1/artifacts/${encodeURIComponent(id)}${q ? `?${q}` : ''}`);
}

/** `level`: the heading level of the artifact's name, below the page's own headings. */
export function ArtifactPreview({ id, ns, level = 4 }: { id: string; ns: string; level?: 2 | 3 | 4 }) {
  const artifact = usePoll(() => mlmdArtifact(id, ns), [id, ns], 0);
  const a = artifact.data;
  if (!a) return artifact.error ? <Text size="sm" c="dimmed">Artifact {id}: {artifact.error}</Text> : null;
  const name = a.custom_properties?.display_name?.string_value ?? `artifact ${id}`;
  return (
    <section aria-label={`Artifact ${name}`} className="floe-preview" data-testid="artifact-preview">
      <Title order={level} size="h5">
        {name} <Text span size="sm" c="dimmed">({a.type ?? 'system.Artifact'})</Text>
      </Title>
      <Preview artifact={a} name={name} />
    </section>
  );
}

export function Preview({ artifact, name }: { artifact: MlmdArtifact; name: string }) {
  switch (artifact.type) {
    case 'system.Metrics':
      return <ScalarMetrics artifact={artifact} name={name} />;
    case 'system.ClassificationMetrics':
      return <ClassificationMetrics artifact={artifact} name={name} />;
    case 'system.Markdown':
      return artifact.id !== undefined ? <ArtifactFile id={String(artifact.id)} name={name} html={false} /> : null;
    case 'system.HTML':
      return artifact.id !== undefined ? <ArtifactFile id={String(artifact.id)} name={name} html /> : null;
    default:
      return artifact.uri ? <Text size="sm" c="dimmed">{artifact.uri}</Text> : null;
  }
}

function ScalarMetrics({ artifact, name }: { artifact: MlmdArtifact; name: string }) {
  const rows = Object.entries(artifact.custom_properties ?? {})
    .filter(([k]) => k !== 'display_name')
    .map(([k, v]) => [k, scalar(v)] as const)
    .filter(([, v]) => v !== undefined);
  if (rows.length === 0) return <Text size="sm" c="dimmed">No metrics logged.</Text>;
  return (
    <Table withTableBorder aria-label={`Metrics of ${name}`} w="auto" data-testid="scalar-metrics">
      <Table.Thead>
        <Table.Tr>
          <Table.Th>Metric</Table.Th>
          <Table.Th>Value</Table.Th>
        </Table.Tr>
      </Table.Thead>
      <Table.Tbody>
        {rows.map(([k, v]) => (
          <Table.Tr key={k}>
            <Table.Td>{k}</Table.Td>
            <Table.Td className="floe-num">{typeof v === 'number' ? formatNumber(v) : String(v)}</Table.Td>
          </Table.Tr>
        ))}
      </Table.Tbody>
    </Table>
  );
}

export function formatNumber(v: number): string {
  return Number.isInteger(v) ? String(v) : v.toPrecision(4).replace(/\.?0+$/, '');
}

interface ConfusionMatrix {
  annotationSpecs?: { displayName?: string }[];
  rows?: { row?: number[] }[];
}
interface ConfidencePoint {
  confidenceThreshold?: number;
  recall?: number;
  falsePositiveRate?: number;
}

function struct<T>(v: Value | undefined): T | undefined {
  const s = v?.struct_value;
  return s && typeof s === 'object' ? (s as T) : undefined;
}

function ClassificationMetrics({ artifact, name }: { artifact: MlmdArtifact; name: string }) {
  const matrix = struct<ConfusionMatrix>(artifact.custom_properties?.confusionMatrix);
  const confidence = struct<{ list?: ConfidencePoint[] } | ConfidencePoint[]>(artifact.custom_properties?.confidenceMetrics);
  const points = (Array.isArray(confidence) ? confidence : confidence?.list ?? []).filter((p) => typeof p.falsePositiveRate === 'number' && typeof p.recall === 'number');
  return (
    <Stack gap="sm">
      {matrix ? <ConfusionGrid matrix={matrix} name={name} /> : null}
      {points.length > 0 ? <Roc points={points} name={name} /> : null}
      {!matrix && points.length === 0 && <Text size="sm" c="dimmed">No confusion matrix or ROC curve logged.</Text>}
    </Stack>
  );
}

function ConfusionGrid({ matrix, name }: { matrix: ConfusionMatrix; name: string }) {
  const labels = (matrix.annotationSpecs ?? []).map((s, i) => s.displayName ?? `class ${i}`);
  const rows = (matrix.rows ?? []).map((r) => r.row ?? []);
  const max = Math.max(1, ...rows.flat());
  return (
    <table className="floe-confusion" aria-label={`Confusion matrix of ${name}`} data-testid="confusion-matrix">
      <caption>Confusion matrix (rows: true label, columns: predicted)</caption>
      <thead>
        <tr>
          <th scope="col">true \ predicted</th>
          {labels.map((l) => (
            <th key={l} scope="col">
              {l}
            </th>
          ))}
        </tr>
      </thead>
      <tbody>
        {rows.map((r, i) => (
          <tr key={i}>
            <th scope="row">{labels[i] ?? `class ${i}`}</th>
            {r.map((n, j) => {
              // Darker for larger counts; the text flips to white on dark cells to keep its contrast.
              const share = n / max;
              return (
                <td key={j} style={{ background: `rgba(28, 80, 160, ${(0.08 + 0.85 * share).toFixed(2)})`, color: share > 0.45 ? '#fff' : '#111' }}>
                  {n}
                </td>
              );
            })}
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function Roc({ points, name }: { points: ConfidencePoint[]; name: string }) {
  // uPlot needs x ascending: sort by false positive rate, then recall.
  const sorted = [...points].sort((a, b) => a.falsePositiveRate! - b.falsePositiveRate! || a.recall! - b.recall!);
  return (
    <Suspense fallback={<Text size="sm" c="dimmed">Loading the chart…</Text>}>
      <div data-testid="roc-curve">
        <Chart
          title={`ROC curve of ${name}`}
          x={sorted.map((p) => p.falsePositiveRate!)}
          xLabel="false positive rate"
          yLabel="true positive rate"
          wholeX={false}
          series={[
            { label: 'ROC', color: '#1c50a0', values: sorted.map((p) => p.recall!) },
            { label: 'chance', color: '#868e96', values: sorted.map((p) => p.falsePositiveRate!) },
          ]}
        />
      </div>
    </Suspense>
  );
}

/**
 * Markdown rendered as plain elements (raw HTML stays text); HTML in a frame with an empty `sandbox` (no scripts, forms,
 * popups, an opaque origin) given as `srcdoc`, so it needs no second authenticated request.
 */
function ArtifactFile({ id, name, html }: { id: string; name: string; html: boolean }) {
  const file = usePoll(() => artifactText(id), [id], 0);
  if (file.error) return <Text size="sm" c="dimmed">{file.error}</Text>;
  if (!file.data) return null;
  if ('tooLarge' in file.data) {
    return (
      <Text size="sm">
        Larger than a preview: <a href={file.data.tooLarge}>download {name}</a>
      </Text>
    );
  }
  if (html) return <iframe title={`HTML artifact ${name}`} className="floe-html-frame" sandbox="" referrerPolicy="no-referrer" srcDoc={file.data.text} data-testid="html-preview" />;
  return (
    <div className="floe-markdown" data-testid="markdown-preview">
      <Markdown text={file.data.text} />
    </div>
  );
}

export type { ReactNode };
