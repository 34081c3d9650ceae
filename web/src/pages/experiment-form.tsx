// Create a Katib experiment from a form, as Katib's UI does: objective, algorithm (and its settings), early stopping,
// the metrics collector, search space, budget, and a trial template from the `trial-templates` ConfigMaps Katib installs (label katib.kubeflow.org/component=trial-templates),
// with each `${trialParameters.X}` of the template bound to a search parameter.
import { Button, Group, NumberInput, Paper, Select, Stack, Text, TextInput } from '@mantine/core';
import { useState } from 'react';
import { getJson, kubePath, sendJson, type KubeObject } from '../api.js';
import { usePoll } from '../hooks.js';
import { href, navigate } from '../router.js';
import { ErrorBox } from '../ui.js';

const Katib = 'kubeflow.org/v1beta1';
const algorithms = ['random', 'grid', 'sobol', 'tpe', 'multivariate-tpe', 'bayesianoptimization', 'cmaes', 'hyperband'];
/** Katib's collector kinds; File and TensorFlowEvent read a path in the trial's container. */
const collectors = ['StdOut', 'File', 'TensorFlowEvent', 'Push', 'None'];

/** `a=1, b=x` as Katib's `[{name, value}]` settings; a part without `=` is refused with its text. */
export function settingsOf(text: string, field: string): { name: string; value: string }[] {
  return text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map((part) => {
      const eq = part.indexOf('=');
      if (eq <= 0) throw new Error(`${field}: "${part}" is not name=value`);
      return { name: part.slice(0, eq).trim(), value: part.slice(eq + 1).trim() };
    });
}

interface Param {
  name: string;
  type: string;
  min: string;
  max: string;
  list: string;
}
interface Template {
  configMap: string;
  namespace: string;
  path: string;
  text: string;
}

/** The trial templates: ConfigMaps labelled as Katib's, in kubeflow and in the experiment's namespace. */
async function templates(ns: string): Promise<Template[]> {
  const out: Template[] = [];
  for (const where of [...new Set(['kubeflow', ns])]) {
    try {
      const list = await getJson<{ items?: (KubeObject & { data?: Record<string, string> })[] }>(`/api/v1/namespaces/${encodeURIComponent(where)}/configmaps?labelSelector=${encodeURIComponent('katib.kubeflow.org/component=trial-templates')}`);
      for (const cm of list.items ?? []) for (const [path, text] of Object.entries(cm.data ?? {})) out.push({ configMap: cm.metadata.name, namespace: where, path, text });
    } catch {
      // A namespace this user may not read: its templates are not offered.
    }
  }
  return out;
}

export function placeholders(text: string): string[] {
  return [...new Set([...text.matchAll(/\$\{trialParameters\.([A-Za-z0-9_-]+)\}/g)].map((m) => m[1]!))];
}

function primaryContainer(text: string): string {
  return /containers:\s*\n\s*-\s*name:\s*([\w.-]+)/.exec(text)?.[1] ?? 'training-container';
}

export function ExperimentForm({ ns }: { ns: string }) {
  const tpl = usePoll(() => templates(ns), [ns], 0);
  const [name, setName] = useState('');
  const [objectiveType, setObjectiveType] = useState('minimize');
  const [metric, setMetric] = useState('loss');
  const [goal, setGoal] = useState<string | number>('');
  const [algorithm, setAlgorithm] = useState('random');
  const [algorithmSettings, setAlgorithmSettings] = useState('');
  const [earlyStopping, setEarlyStopping] = useState('none');
  const [earlyStoppingSettings, setEarlyStoppingSettings] = useState('min_trials_required=2, start_step=2');
  const [collector, setCollector] = useState('StdOut');
  const [collectorPath, setCollectorPath] = useState('/var/log/katib/metrics.log');
  const [metricsFormat, setMetricsFormat] = useState('');
  const [maxTrials, setMaxTrials] = useState<string | number>(6);
  const [parallel, setParallel] = useState<string | number>(2);
  const [params, setParams] = useState<Param[]>([{ name: 'lr', type: 'double', min: '0.01', max: '0.1', list: '' }]);
  const [templateKey, setTemplateKey] = useState<string | null>(null);
  const [bindings, setBindings] = useState<Record<string, string>>({});
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const keyOf = (t: Template) => `${t.namespace}/${t.configMap}/${t.path}`;
  const template = (tpl.data ?? []).find((t) => keyOf(t) === templateKey);
  const slots = template ? placeholders(template.text) : [];
  const setParam = (i: number, patch: Partial<Param>) => setParams((ps) => ps.map((p, j) => (j === i ? { ...p, ...patch } : p)));

  const submit = async () => {
    setError(undefined);
    if (!name.trim()) return setError('Give the experiment a name.');
    if (!template) return setError('Choose a trial template.');
    const unbound = slots.filter((s) => !(bindings[s] ?? params.find((p) => p.name === s)?.name));
    if (unbound.length) return setError(`Bind the template's ${unbound.join(', ')} to a parameter.`);
    let algorithmList: { name: string; value: string }[];
    let stoppingList: { name: string; value: string }[];
    try {
      algorithmList = settingsOf(algorithmSettings, 'Algorithm settings');
      stoppingList = earlyStopping === 'none' ? [] : settingsOf(earlyStoppingSettings, 'Early stopping settings');
    } catch (e) {
      return setError(e instanceof Error ? e.message : String(e));
    }
    const fileKind = collector === 'TensorFlowEvent' ? 'Directory' : 'File';
    const source =
      collector === 'File' || collector === 'TensorFlowEvent' || metricsFormat.trim()
        ? {
            source: {
              ...(collector === 'File' || collector === 'TensorFlowEvent' ? { fileSystemPath: { path: collectorPath, kind: fileKind } } : {}),
              ...(metricsFormat.trim() ? { filter: { metricsFormat: [metricsFormat.trim()] } } : {}),
            },
          }
        : {};
    const body = {
      apiVersion: Katib,
      kind: 'Experiment',
      metadata: { name: name.trim(), namespace: ns },
      spec: {
        objective: { type: objectiveType, objectiveMetricName: metric, ...(goal === '' ? {} : { goal: Number(goal) }) },
        algorithm: { algorithmName: algorithm, ...(algorithmList.length ? { algorithmSettings: algorithmList } : {}) },
        ...(earlyStopping === 'none' ? {} : { earlyStopping: { algorithmName: earlyStopping, ...(stoppingList.length ? { algorithmSettings: stoppingList } : {}) } }),
        metricsCollectorSpec: { collector: { kind: collector }, ...source },
        maxTrialCount: Number(maxTrials),
        parallelTrialCount: Number(parallel),
        parameters: params.map((p) => ({
          name: p.name,
          parameterType: p.type,
          feasibleSpace: p.type === 'categorical' ? { list: p.list.split(',').map((s) => s.trim()).filter(Boolean) } : { min: p.min, max: p.max },
        })),
        trialTemplate: {
          primaryContainerName: primaryContainer(template.text),
          configMap: { configMapName: template.configMap, configMapNamespace: template.namespace, templatePath: template.path },
          trialParameters: slots.map((s) => ({ name: s, reference: bindings[s] ?? s })),
        },
      },
    };
    setBusy(true);
    try {
      // The server validates the Experiment (Katib's webhook rules) and names a bad field.
      await sendJson('POST', kubePath(Katib, 'experiments', ns), body);
      navigate(href(`/experiments/${name.trim()}`, ns));
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    } finally {
      setBusy(false);
    }
  };

  return (
    <Paper withBorder p="md">
      <form
        aria-label="Create an experiment from a form"
        onSubmit={(e) => {
          e.preventDefault();
          void submit();
        }}
      >
        <Stack gap="xs">
          <Text fw={600}>Create an experiment</Text>
          <Group align="end">
            <TextInput label="Experiment name" value={name} onChange={(e) => setName(e.currentTarget.value)} w={220} />
            <Select label="Objective" data={['minimize', 'maximize']} value={objectiveType} onChange={(v) => v && setObjectiveType(v)} allowDeselect={false} w={130} />
            <TextInput label="Objective metric" value={metric} onChange={(e) => setMetric(e.currentTarget.value)} w={160} />
            <NumberInput label="Goal (optional)" value={goal} onChange={setGoal} w={140} />
          </Group>
          <Group align="end">
            <Select label="Algorithm" data={algorithms} value={algorithm} onChange={(v) => v && setAlgorithm(v)} allowDeselect={false} w={200} />
            <NumberInput label="Max trials" min={1} value={maxTrials} onChange={setMaxTrials} w={120} />
            <NumberInput label="Parallel trials" min={1} value={parallel} onChange={setParallel} w={120} />
          </Group>
          <Group align="end">
            <TextInput label="Algorithm settings" description="name=value, comma-separated (e.g. random_state=10)" value={algorithmSettings} onChange={(e) => setAlgorithmSettings(e.currentTarget.value)} w={320} />
            <Select label="Early stopping" data={[{ value: 'none', label: 'none' }, { value: 'medianstop', label: 'medianstop' }]} value={earlyStopping} onChange={(v) => v && setEarlyStopping(v)} allowDeselect={false} w={150} />
            {earlyStopping !== 'none' && <TextInput label="Early stopping settings" description="name=value, comma-separated" value={earlyStoppingSettings} onChange={(e) => setEarlyStoppingSettings(e.currentTarget.value)} w={300} />}
          </Group>
          <Group align="end">
            <Select
              label="Metrics collector"
              data={collectors}
              value={collector}
              onChange={(v) => {
                if (!v) return;
                setCollector(v);
                // Katib's defaults: a file for File, a folder of event files for TensorFlowEvent.
                setCollectorPath(v === 'TensorFlowEvent' ? '/var/log/katib/tfevent/' : '/var/log/katib/metrics.log');
              }}
              allowDeselect={false}
              w={170}
            />
            {(collector === 'File' || collector === 'TensorFlowEvent') && (
              <TextInput label={collector === 'File' ? 'Metrics file' : 'Event directory'} value={collectorPath} onChange={(e) => setCollectorPath(e.currentTarget.value)} w={280} />
            )}
            <TextInput label="Metrics format (optional)" description="a regular expression with two groups: name, value" value={metricsFormat} onChange={(e) => setMetricsFormat(e.currentTarget.value)} w={300} />
          </Group>
          <Text fw={600} size="sm" mt="xs">
            Search space
          </Text>
          {params.map((p, i) => (
            <Group key={i} align="end" role="group" aria-label={`Parameter ${i + 1}`}>
              <TextInput label={`Parameter ${i + 1} name`} value={p.name} onChange={(e) => setParam(i, { name: e.currentTarget.value })} w={160} />
              <Select label={`Parameter ${i + 1} type`} data={['double', 'int', 'discrete', 'categorical']} value={p.type} onChange={(v) => v && setParam(i, { type: v })} allowDeselect={false} w={140} />
              {p.type === 'categorical' ? (
                <TextInput label={`Parameter ${i + 1} values`} description="comma-separated" value={p.list} onChange={(e) => setParam(i, { list: e.currentTarget.value })} w={240} />
              ) : (
                <>
                  <TextInput label={`Parameter ${i + 1} min`} value={p.min} onChange={(e) => setParam(i, { min: e.currentTarget.value })} w={140} />
                  <TextInput label={`Parameter ${i + 1} max`} value={p.max} onChange={(e) => setParam(i, { max: e.currentTarget.value })} w={140} />
                </>
              )}
              <Button variant="default" aria-label={`Remove parameter ${i + 1}`} disabled={params.length === 1} onClick={() => setParams((ps) => ps.filter((_, j) => j !== i))}>
                Remove
              </Button>
            </Group>
          ))}
          <Group>
            <Button variant="default" onClick={() => setParams((ps) => [...ps, { name: '', type: 'double', min: '0', max: '1', list: '' }])}>
              Add a parameter
            </Button>
          </Group>
          <Select
            label="Trial template"
            description="From the trial-templates ConfigMaps (kubeflow and this namespace)"
            data={(tpl.data ?? []).map((t) => ({ value: keyOf(t), label: `${t.path} (${t.namespace}/${t.configMap})` }))}
            value={templateKey}
            onChange={setTemplateKey}
            w={420}
            searchable
          />
          {template && (
            <>
              <pre className="floe-mono floe-template" aria-label="The template's text">{template.text}</pre>
              {slots.map((s) => (
                <Select key={s} label={`Template's ${s} takes`} data={params.map((p) => p.name).filter(Boolean)} value={bindings[s] ?? (params.some((p) => p.name === s) ? s : null)} onChange={(v) => v && setBindings((b) => ({ ...b, [s]: v }))} w={240} />
              ))}
            </>
          )}
          <ErrorBox error={tpl.error ?? error} title="The experiment was not created" />
          <Group>
            <Button type="submit" loading={busy}>
              Create experiment
            </Button>
          </Group>
        </Stack>
      </form>
    </Paper>
  );
}
