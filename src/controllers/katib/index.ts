// Katib: Experiment, Trial and Suggestion CRDs, their admission (defaults + validation), the three controllers, and
// the observation-log endpoint (Katib's DB manager) that Push trials report to.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { errors } from '../../api/errors.js';
import type { KubeObject } from '../../api/meta.js';
import { PodRef } from '../../api/core-v1.js';
import type { Client } from '../../client/client.js';
import { installCrds, type Clock, type Controller, type InstallCrdsOptions, type Manager } from '../../controller/index.js';
import type { SuggestionRunner } from './algorithms/runner.js';
import { katibCrds } from './crds.js';
import type { ObservationDb } from './db.js';
import { ExperimentReconciler } from './experiment-controller.js';
import { defaultExperiment, validateExperiment } from './spec.js';
import { SuggestionReconciler } from './suggestion-controller.js';
import { TrialReconciler, type TrialPods } from './trial-controller.js';
import { ExperimentRef, Group, Labels, SuggestionRef, TrialRef, type Experiment } from './types.js';

export { katibCrds } from './crds.js';
export { ObservationDb } from './db.js';
export { SuggestionRunner } from './algorithms/runner.js';
export { algorithms, algorithmNames } from './algorithms/index.js';
export type { TrialPods } from './trial-controller.js';
export { ExperimentRef, SuggestionRef, TrialRef, Labels as KatibLabels, type Experiment, type Trial, type Suggestion } from './types.js';
export { objectiveValue, trialState } from './status.js';
export const KatibGroup = Group;
export const katibKinds: readonly string[] = ['Experiment', 'Trial', 'Suggestion'];

/** Kinds a trial may run, each watched so the trial hears about its run object. */
const trialRunKinds = [
  { apiVersion: 'batch/v1', kind: 'Job' },
  ...['TFJob', 'PyTorchJob', 'XGBoostJob', 'MXJob'].map((kind) => ({ apiVersion: 'kubeflow.org/v1', kind })),
];

export interface KatibControllerOptions {
  db: ObservationDb;
  pods?: TrialPods;
  reportUrl?: string;
  pythonHelperDir?: string;
  reportCredentials?: { token: string; caFile?: string };
  clock?: Clock;
  /** Runs the algorithms on a worker thread (inline without one). */
  runner?: SuggestionRunner;
  /** Run kinds the API serves (Job always; the training kinds when their CRDs are installed). */
  runKinds?: { apiVersion: string; kind: string }[];
}

export function addKatibControllers(manager: Manager, options: KatibControllerOptions): Controller[] {
  const clock = options.clock ? { clock: options.clock } : {};
  const byExperiment = (o: KubeObject): { namespace: string; name: string }[] => {
    const name = o.metadata.labels?.[Labels.experiment];
    return name ? [{ namespace: o.metadata.namespace ?? '', name }] : [];
  };
  // A claim's host folder, as the local runtime mounts it for any Pod of the namespace.
  const volumeDir = options.pods?.volumeDir?.bind(options.pods);
  const claimDir = volumeDir
    ? (namespace: string, claim: string): string | undefined => volumeDir({ apiVersion: 'v1', kind: 'Pod', metadata: { namespace, name: 'katib-suggestion', uid: '' }, spec: { containers: [], volumes: [{ name: 'claim', persistentVolumeClaim: { claimName: claim } }] } }, 'claim')
    : undefined;
  const experiments = manager.controller('experiment-controller').for(ExperimentRef).owns(TrialRef).owns(SuggestionRef).withConcurrency(2).complete(new ExperimentReconciler(clock));
  const suggestions = manager.controller('suggestion-controller').for(SuggestionRef).watches(TrialRef, byExperiment).withConcurrency(2).complete(new SuggestionReconciler({ db: options.db, ...clock, ...(options.runner ? { runner: options.runner } : {}), ...(claimDir ? { claimDir } : {}) }));
  let trials = manager.controller('trial-controller').for(TrialRef);
  const byTrial = (o: KubeObject): { namespace: string; name: string }[] => {
    const name = o.metadata.labels?.[Labels.trial];
    return name ? [{ namespace: o.metadata.namespace ?? '', name }] : [];
  };
  for (const kind of options.runKinds ?? trialRunKinds) trials = trials.owns(kind);
  // Pods tell the trial its primary container started (for live metrics) before the run object changes.
  trials = trials.watches(PodRef, byTrial);
  const trialController = trials.withConcurrency(4).complete(
    new TrialReconciler({
      db: options.db,
      ...(options.pods ? { pods: options.pods } : {}),
      ...(options.reportUrl ? { reportUrl: options.reportUrl } : {}),
      ...(options.pythonHelperDir ? { pythonHelperDir: options.pythonHelperDir } : {}),
      ...(options.reportCredentials ? { reportCredentials: options.reportCredentials } : {}),
      ...clock,
    }),
  );
  return [experiments, suggestions, trialController];
}

export async function installKatibCrds(client: Client, options: InstallCrdsOptions = {}): Promise<void> {
  await installCrds(client, katibCrds(), options);
}

/** Admission for Experiments, as Katib's webhooks do it: defaults, then every bad field at once. */
export function admitKatib(object: KubeObject, old: KubeObject | undefined): void {
  if (object.kind !== 'Experiment') return;
  const experiment = defaultExperiment(object as Experiment);
  const problems = validateExperiment(experiment, old as Experiment | undefined);
  if (problems.length > 0) throw errors.invalid(Group, 'Experiment', object.metadata.name ?? '', problems);
}

async function body(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}');
}

function send(res: ServerResponse, code: number, value: unknown): void {
  res.writeHead(code, { 'content-type': 'application/json' });
  res.end(JSON.stringify(value));
}

/**
 * Katib's DB manager over HTTP: `GET|POST|DELETE /katib/v1beta1/namespaces/NS/trials/TRIAL/observationlog`.
 * GET takes metricName, startTime, endTime; POST takes `{metricLogs: [{timeStamp, metric: {name, value}}]}` (the
 * ObservationLog message in JSON), or the shorthand `{metrics: {name: value}}` that floe_katib.report_metrics sends.
 */
export function observationLogRoute(db: ObservationDb): (req: IncomingMessage, res: ServerResponse, url: URL) => Promise<boolean> {
  const pattern = /^\/katib\/v1beta1\/namespaces\/([^/]+)\/trials\/([^/]+)\/observationlog\/?$/;
  return async (req, res, url) => {
    const m = pattern.exec(url.pathname);
    if (!m) return false;
    const namespace = decodeURIComponent(m[1]!);
    const trial = decodeURIComponent(m[2]!);
    if (req.method === 'GET') {
      const q = url.searchParams;
      const logs = db.get(namespace, trial, { ...(q.get('metricName') ? { metricName: q.get('metricName')! } : {}), ...(q.get('startTime') ? { startTime: q.get('startTime')! } : {}), ...(q.get('endTime') ? { endTime: q.get('endTime')! } : {}) });
      send(res, 200, { observationLog: { metricLogs: logs.map((l) => ({ timeStamp: l.timeStamp, metric: { name: l.name, value: String(l.value) } })) } });
      return true;
    }
    if (req.method === 'DELETE') {
      db.delete(namespace, trial);
      send(res, 200, {});
      return true;
    }
    if (req.method !== 'POST') {
      send(res, 405, { message: `method ${req.method ?? ''} is not allowed here` });
      return true;
    }
    let input: { metricLogs?: { timeStamp?: string; metric?: { name?: string; value?: string | number } }[]; metrics?: Record<string, number | string>; timestamp?: string };
    try {
      input = (await body(req)) as typeof input;
    } catch {
      send(res, 400, { message: 'the body must be JSON' });
      return true;
    }
    const now = new Date().toISOString();
    const logs = [
      ...(input.metricLogs ?? []).map((l, i) => ({ name: l.metric?.name ?? '', value: Number(l.metric?.value), timeStamp: l.timeStamp ?? now, field: `metricLogs[${i}].metric` })),
      ...Object.entries(input.metrics ?? {}).map(([name, value]) => ({ name, value: Number(value), timeStamp: input.timestamp ?? now, field: `metrics.${name}` })),
    ];
    const bad = logs.filter((l) => !l.name || !Number.isFinite(l.value) || Number.isNaN(Date.parse(l.timeStamp)));
    if (logs.length === 0 || bad.length > 0) {
      send(res, 400, { message: logs.length === 0 ? 'no metrics given: send metricLogs or metrics' : `${bad.map((b) => b.field).join(', ')}: each metric needs a name, a numeric value and an RFC 3339 timeStamp` });
      return true;
    }
    db.report(namespace, trial, logs.map((l) => ({ name: l.name, value: l.value, timeStamp: new Date(l.timeStamp).toISOString() })));
    send(res, 200, { reported: logs.length });
    return true;
  };
}
