// The training operator's and Katib's Prometheus metrics (names and labels as upstream exports them), counted from the objects' lifecycle seen through informers.
import type { Logger } from '../api/logger.js';
import type { KubeObject } from '../api/meta.js';
import type { Client, KindRef } from '../client/client.js';
import { Informer } from '../controller/index.js';
import { Counter, Gauge, type Registry } from 'prom-client';

/** Training Operator v1 kinds and the `framework` label its metrics carry for each (pkg/common/metrics.go). */
export const trainingFrameworks: readonly { kind: string; framework: string }[] = [
  { kind: 'TFJob', framework: 'tensorflow' },
  { kind: 'PyTorchJob', framework: 'pytorch' },
  { kind: 'XGBoostJob', framework: 'xgboost' },
  { kind: 'MXJob', framework: 'mxnet' },
  { kind: 'MPIJob', framework: 'mpi' },
  { kind: 'PaddleJob', framework: 'paddle' },
  { kind: 'JAXJob', framework: 'jax' },
];

const katibVersion = 'kubeflow.org/v1beta1';

interface Condition {
  type?: string;
  status?: string;
}

function conditions(o: KubeObject): Condition[] {
  const list = (o.status as { conditions?: unknown } | undefined)?.conditions;
  return Array.isArray(list) ? (list as Condition[]) : [];
}

function isTrue(o: KubeObject | undefined, type: string): boolean {
  return o !== undefined && conditions(o).some((c) => c.type === type && c.status === 'True');
}

/** Whether a condition turned True between two observations of an object. */
function became(old: KubeObject | undefined, now: KubeObject, type: string): boolean {
  return isTrue(now, type) && !isTrue(old, type);
}

/** Katib's status label for the *_current gauges: the furthest condition that holds. */
function katibStatus(o: KubeObject): string {
  for (const type of ['Succeeded', 'Failed', 'EarlyStopped', 'MetricsUnavailable', 'Killed', 'Restarting', 'Running', 'Created']) if (isTrue(o, type)) return type;
  return 'Created';
}

export interface KubeflowMetricsOptions {
  client: Client;
  registry: Registry;
  log: Logger;
}

/**
 * Counters as the training operator and Katib increment them, from what their informers see: created on add (the
 * training operator counts every job its informer adds, as upstream's create handler does) or on the Created
 * condition (Katib), deleted on delete, succeeded/failed/restarted when that condition turns True. Katib's
 * `*_current{namespace,status}` gauges are computed at scrape from the caches.
 */
export class KubeflowMetrics {
  private readonly client: Client;
  private readonly log: Logger;
  private readonly informers: Informer[] = [];
  private readonly experiments: Informer;
  private readonly trials: Informer;

  constructor(options: KubeflowMetricsOptions) {
    this.client = options.client;
    this.log = options.log;
    const registers = [options.registry];
    const jobLabels = ['job_namespace', 'framework'];
    const jobs = {
      created: new Counter({ name: 'training_operator_jobs_created_total', help: 'Counts number of jobs created', labelNames: jobLabels, registers }),
      deleted: new Counter({ name: 'training_operator_jobs_deleted_total', help: 'Counts number of jobs deleted', labelNames: jobLabels, registers }),
      successful: new Counter({ name: 'training_operator_jobs_successful_total', help: 'Counts number of jobs successful', labelNames: jobLabels, registers }),
      failed: new Counter({ name: 'training_operator_jobs_failed_total', help: 'Counts number of jobs failed', labelNames: jobLabels, registers }),
      restarted: new Counter({ name: 'training_operator_jobs_restarted_total', help: 'Counts number of jobs restarted', labelNames: jobLabels, registers }),
    };
    for (const { kind, framework } of trainingFrameworks) {
      const labels = (o: KubeObject): Record<string, string> => ({ job_namespace: o.metadata.namespace ?? '', framework });
      this.watch({ apiVersion: 'kubeflow.org/v1', kind }, {
        onAdd: (o) => jobs.created.inc(labels(o)),
        onUpdate: (old, o) => {
          if (became(old, o, 'Succeeded')) jobs.successful.inc(labels(o));
          if (became(old, o, 'Failed')) jobs.failed.inc(labels(o));
          if (became(old, o, 'Restarting')) jobs.restarted.inc(labels(o));
        },
        onDelete: (o) => jobs.deleted.inc(labels(o)),
      });
    }
    const katibCounters = (what: 'experiment' | 'trial', extra: string[]): Record<string, Counter<string>> => {
      const out: Record<string, Counter<string>> = {};
      for (const event of ['created', 'deleted', 'succeeded', 'failed', ...extra]) {
        const name = `katib_${what}_${event}_total`;
        out[event] = new Counter({ name, help: `The total number of ${event.replace('_', ' ')} ${what}s`, labelNames: ['namespace'], registers });
      }
      return out;
    };
    const katib = (ref: KindRef, counters: Record<string, Counter<string>>): Informer =>
      // Created counts the first reconcile setting the condition (as Katib's controller does), not objects this
      // process finds already created when it starts.
      this.watch(ref, {
        onUpdate: (old, o) => {
          const ns = { namespace: o.metadata.namespace ?? '' };
          if (became(old, o, 'Created')) counters.created!.inc(ns);
          if (became(old, o, 'Succeeded')) counters.succeeded!.inc(ns);
          if (became(old, o, 'Failed')) counters.failed!.inc(ns);
          if (counters.metrics_unavailable && became(old, o, 'MetricsUnavailable')) counters.metrics_unavailable.inc(ns);
        },
        onDelete: (o) => counters.deleted!.inc({ namespace: o.metadata.namespace ?? '' }),
      });
    this.experiments = katib({ apiVersion: katibVersion, kind: 'Experiment' }, katibCounters('experiment', []));
    this.trials = katib({ apiVersion: katibVersion, kind: 'Trial' }, katibCounters('trial', ['metrics_unavailable']));
    const current = (name: string, help: string, informer: Informer): Gauge<string> =>
      new Gauge({
        name,
        help,
        labelNames: ['namespace', 'status'],
        registers,
        collect() {
          this.reset();
          const counts = new Map<string, { namespace: string; status: string; n: number }>();
          for (const o of informer.list()) {
            const key = { namespace: o.metadata.namespace ?? '', status: katibStatus(o) };
            const id = `${key.namespace}/${key.status}`;
            counts.set(id, { ...key, n: (counts.get(id)?.n ?? 0) + 1 });
          }
          for (const { namespace, status, n } of counts.values()) this.set({ namespace, status }, n);
        },
      });
    current('katib_experiments_current', 'The number of the current experiments', this.experiments);
    current('katib_trials_current', 'The number of the current trials', this.trials);
  }

  /** Starts the informers; a kind this API does not serve keeps retrying quietly (its capability is off). */
  start(): void {
    for (const informer of this.informers) informer.start();
  }

  async stop(): Promise<void> {
    await Promise.all(this.informers.map((i) => i.stop()));
  }

  private watch(kind: KindRef, handler: Parameters<Informer['addEventHandler']>[0]): Informer {
    const informer = new Informer({ client: this.client, kind, onError: (err) => this.log.debug({ err, kind: kind.kind }, 'kubeflow metrics informer retrying') });
    informer.addEventHandler(handler);
    this.informers.push(informer);
    return informer;
  }
}
