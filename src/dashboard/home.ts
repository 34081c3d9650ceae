// The Home page's data in one call: a namespace's newest Katib experiments, training jobs and InferenceServices, and
// its Pods' resource usage (metrics.k8s.io, what `kubectl top pods` reads). One request instead of eight on the first
// page; each list is authorized as the caller, and what it may not list is named, not shown.
import type { ServerResponse } from 'node:http';
import type { KubeObject } from '../api/meta.js';
import type { Client } from '../client/client.js';
import type { Caller, Route } from '../controller/index.js';
import type { AccessReviewer } from '../controllers/profiles/access.js';

export const HomePrefix = '/api/dashboard/home';
/** Rows per card: Home shows the newest few, each card links to its page. */
export const HomeRows = 5;

/** The training operator's kinds, as the Jobs page lists them. */
const jobKinds = [
  ['pytorchjobs', 'PyTorchJob'],
  ['tfjobs', 'TFJob'],
  ['xgboostjobs', 'XGBoostJob'],
  ['mxjobs', 'MXJob'],
  ['mpijobs', 'MPIJob'],
] as const;

export interface HomeItem {
  name: string;
  created?: string | undefined;
  /** The newest condition's type (experiments, jobs), or Ready / Pending (endpoints). */
  state?: string | undefined;
  /** Jobs only: their plural, for the page's link. */
  plural?: string;
}

export interface PodUsage {
  pod: string;
  /** Cores and bytes, summed over the Pod's containers. */
  cpu: number;
  memory: number;
}

export interface HomeSummary {
  namespace: string;
  experiments: HomeItem[];
  jobs: HomeItem[];
  models: HomeItem[];
  /** Pods' usage, busiest first (at most 10), and the namespace's totals; absent where no metrics are served. */
  usage?: { pods: number; cpu: number; memory: number; top: PodUsage[]; window?: string | undefined };
  /** What the caller may not list here. */
  denied: string[];
}

type Conditioned = KubeObject & { status?: { conditions?: { type: string; status?: string; lastTransitionTime?: string }[] } };
type PodMetrics = KubeObject & { window?: string; containers?: { name: string; usage?: { cpu?: string; memory?: string } }[] };

/** A Kubernetes quantity as a number (cores or bytes): "250m", "12345n", "64Mi", "1G", "2". */
export function quantity(q: string | undefined): number {
  if (!q) return 0;
  const m = /^([0-9.]+)([a-zA-Z]*)$/.exec(q.trim());
  if (!m) return 0;
  const factors: Record<string, number> = {
    n: 1e-9, u: 1e-6, m: 1e-3, '': 1, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18,
    Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60,
  };
  return Number(m[1]) * (factors[m[2] ?? ''] ?? NaN) || 0;
}

function newest<T extends KubeObject>(items: T[]): T[] {
  return [...items].sort((a, b) => (b.metadata.creationTimestamp ?? '').localeCompare(a.metadata.creationTimestamp ?? '')).slice(0, HomeRows);
}

/** The last condition that holds (else the last one): what the list pages show as the object's state. */
function state(o: Conditioned): string | undefined {
  const conditions = o.status?.conditions ?? [];
  return (conditions.filter((c) => c.status === 'True').at(-1) ?? conditions.at(-1))?.type;
}

function reply(res: ServerResponse, code: number, body: unknown): true {
  res.writeHead(code, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' });
  res.end(JSON.stringify(body));
  return true;
}

export function homeRoute(client: Client, review: AccessReviewer): Route {
  /** A list the caller may read, or undefined (and its name in `denied`); a kind not installed reads as empty. */
  const listAs = async <T extends KubeObject>(caller: Caller, denied: string[], what: string, group: string, version: string, resource: string, kind: string, namespace: string): Promise<T[]> => {
    const decision = await review(caller, { verb: 'list', group, resource, namespace });
    if (!decision.allowed) {
      denied.push(what);
      return [];
    }
    try {
      return (await client.list<T>({ apiVersion: group ? `${group}/${version}` : version, kind }, { namespace })).items;
    } catch {
      return []; // the capability that serves the kind is not running
    }
  };
  return {
    prefix: HomePrefix,
    access: { kind: 'in-handler', why: 'each list is reviewed for the caller in the namespace; what it may not list is left out and named' },
    bodyTypes: [],
    async handle(req, res, url, caller) {
      if (url.pathname.replace(/\/+$/, '') !== HomePrefix) return false;
      if (req.method !== 'GET') return reply(res, 405, { error: 'only GET' });
      const namespace = url.searchParams.get('namespace') ?? '';
      if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(namespace)) return reply(res, 400, { error: 'namespace: a namespace name is required' });
      const denied: string[] = [];
      const [experiments, models, metrics, ...jobLists] = await Promise.all([
        listAs<Conditioned>(caller, denied, 'experiments', 'kubeflow.org', 'v1beta1', 'experiments', 'Experiment', namespace),
        listAs<Conditioned>(caller, denied, 'models', 'serving.kserve.io', 'v1beta1', 'inferenceservices', 'InferenceService', namespace),
        listAs<PodMetrics>(caller, denied, 'usage', 'metrics.k8s.io', 'v1beta1', 'pods', 'PodMetrics', namespace),
        ...jobKinds.map(([plural, kind]) => listAs<Conditioned>(caller, denied, 'jobs', 'kubeflow.org', 'v1', plural, kind, namespace).then((items) => items.map((job) => ({ plural, job })))),
      ]);
      // Jobs are denied only where no kind of them may be listed (a role may leave out a deprecated kind).
      const deniedJobs = denied.filter((d) => d === 'jobs').length;
      denied.splice(0, denied.length, ...new Set(denied.filter((d) => d !== 'jobs')), ...(deniedJobs === jobKinds.length ? ['jobs'] : []));
      if (denied.length === 4) return reply(res, 403, { error: `${caller.name} may not list experiments, training jobs, InferenceServices or Pod metrics in ${namespace}` });
      const jobs = jobLists.flat().sort((a, b) => (b.job.metadata.creationTimestamp ?? '').localeCompare(a.job.metadata.creationTimestamp ?? ''));
      const summary: HomeSummary = {
        namespace,
        experiments: newest(experiments).map((e) => ({ name: e.metadata.name ?? '', created: e.metadata.creationTimestamp, state: state(e) })),
        jobs: jobs.slice(0, HomeRows).map(({ plural, job }) => ({ name: job.metadata.name ?? '', created: job.metadata.creationTimestamp, state: state(job), plural })),
        models: newest(models).map((m) => ({
          name: m.metadata.name ?? '',
          created: m.metadata.creationTimestamp,
          state: m.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True' ? 'Ready' : 'Pending',
        })),
        denied,
      };
      if (!denied.includes('usage')) {
        const pods = metrics.map((p) => ({
          pod: p.metadata.name ?? '',
          cpu: (p.containers ?? []).reduce((s, c) => s + quantity(c.usage?.cpu), 0),
          memory: (p.containers ?? []).reduce((s, c) => s + quantity(c.usage?.memory), 0),
        }));
        summary.usage = {
          pods: pods.length,
          cpu: pods.reduce((s, p) => s + p.cpu, 0),
          memory: pods.reduce((s, p) => s + p.memory, 0),
          top: pods.sort((a, b) => b.cpu - a.cpu || b.memory - a.memory).slice(0, 10),
          window: metrics[0]?.window,
        };
      }
      return reply(res, 200, summary);
    },
  };
}
