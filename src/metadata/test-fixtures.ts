// The KFP-shaped metadata the tests share, written through MetadataWriter the way the pipeline engine writes it.
import type { Artifact, Context, MetadataWriter } from './types.js';

/**
 * Run 1 of pipeline "train-pipeline": importer → raw; preprocess(raw) → train, test; trainer(train) → model, metrics;
 * evaluator(model, test) → eval_metrics; a root DAG execution without events. Run 2: preprocess2(raw) → train2.
 * Both runs' contexts have the pipeline context as parent; every node is in its pipeline and run contexts.
 */
export function writeKfpRuns(store: MetadataWriter): KfpRuns {
  const pipeline = store.putContext({ type: 'system.Pipeline', name: 'train-pipeline' });
  const run1 = store.putContext(runContext('run-1'));
  const run2 = store.putContext(runContext('run-2'));
  store.putParentContext(run1, pipeline);
  store.putParentContext(run2, pipeline);
  const ctx1 = [pipeline, run1];
  const ctx2 = [pipeline, run2];

  const dag = store.putExecution(container('root', 'system.DAGExecution'), [], ctx1).execution_id;
  const importer = store.putExecution(container('importer', 'system.ImporterExecution'), [out('artifact', dataset('gs://bucket/raw.csv'))], ctx1);
  const raw = importer.artifact_ids[0]!;
  const pre = store.putExecution(container('preprocess'), [input('dataset', raw), out('train', dataset('gs://bucket/run-1/train')), out('test', dataset('gs://bucket/run-1/test'))], ctx1);
  const [train, test] = pre.artifact_ids.slice(1) as [number, number];
  const trainer = store.putExecution(container('trainer'), [input('train', train), out('model', { type: 'system.Model', uri: 'gs://bucket/run-1/model', state: 'LIVE' }), out('metrics', metrics('gs://bucket/run-1/metrics'))], ctx1);
  const [model, trainMetrics] = trainer.artifact_ids.slice(1) as [number, number];
  const evaluator = store.putExecution(container('evaluator'), [input('model', model), input('test', test), out('eval_metrics', metrics('gs://bucket/run-1/eval'))], ctx1);
  const evalMetrics = evaluator.artifact_ids[2]!;
  const pre2 = store.putExecution(container('preprocess'), [input('dataset', raw), out('train', dataset('gs://bucket/run-2/train'))], ctx2);
  return {
    contexts: { pipeline, run1, run2 },
    executions: { dag, importer: importer.execution_id, preprocess: pre.execution_id, trainer: trainer.execution_id, evaluator: evaluator.execution_id, preprocess2: pre2.execution_id },
    artifacts: { raw, train, test, model, trainMetrics, evalMetrics, train2: pre2.artifact_ids[1]! },
  };
}

export interface KfpRuns {
  contexts: { pipeline: number; run1: number; run2: number };
  executions: { dag: number; importer: number; preprocess: number; trainer: number; evaluator: number; preprocess2: number };
  artifacts: { raw: number; train: number; test: number; model: number; trainMetrics: number; evalMetrics: number; train2: number };
}

function runContext(name: string): Context {
  return {
    type: 'system.PipelineRun',
    name,
    custom_properties: { namespace: { string_value: 'team-a' }, pipeline_root: { string_value: `gs://bucket/train-pipeline/${name}` } },
  };
}

function container(task: string, type = 'system.ContainerExecution') {
  return { type, last_known_state: 'COMPLETE' as const, custom_properties: { task_name: { string_value: task }, display_name: { string_value: task } } };
}

function dataset(uri: string): Artifact {
  return { type: 'system.Dataset', uri, state: 'LIVE' };
}

function metrics(uri: string): Artifact {
  return { type: 'system.Metrics', uri, state: 'LIVE', custom_properties: { accuracy: { double_value: 0.9 } } };
}

function input(key: string, artifactId: number) {
  return { event: { type: 'INPUT' as const, artifact_id: artifactId, path: { steps: [{ key }] } } };
}

function out(key: string, artifact: Artifact) {
  return { artifact: { ...artifact, custom_properties: { ...artifact.custom_properties, display_name: { string_value: key } } }, event: { type: 'OUTPUT' as const, path: { steps: [{ key }] } } };
}
