// Kubeflow Pipelines: the run engine (KFP's driver for the PipelineSpec IR), the KFP REST API v2beta1 and its store,
// recurring runs. The composition root wires them with an ML Metadata store (src/metadata).
import type { Client } from '../../client/client.js';
import type { Logger } from '../../api/logger.js';
import type { MetadataWriter } from '../../metadata/types.js';
import { PipelineDb } from './db.js';
import { PipelineEngine } from './engine.js';
import { ObjectStore } from './object-store.js';
import { RecurringRunScheduler } from './recurring.js';
import type { PackageFetcher } from './package-url.js';
import { kfpApiRoute, kfpArtifactRoute, type ArtifactMetadata, type KfpApiOptions } from './rest.js';
import { validatePipeline } from './validate.js';
import type { WarmExecutor } from './warm-executor.js';

export { PipelineDb } from './db.js';
export { PipelineEngine, podName, RunIdLabel, TaskIdLabel } from './engine.js';
export { RecurringRunScheduler } from './recurring.js';
export { kfpApiRoute } from './rest.js';
export { packageFetcher, type PackageFetcher } from './package-url.js';
export { parsePipelineYaml, validatePipeline } from './validate.js';

export interface PipelinesOptions {
  client: Client;
  metadata: MetadataWriter & ArtifactMetadata;
  /** The KFP database (SQLite). */
  dbPath: string;
  /** The pipelines folder: default pipeline root and task outputs; mounted into every task Pod. */
  dir: string;
  logger: Logger;
  defaultNamespace?: string;
  /** Fetches `package_url`s; none are fetched unless given. */
  fetchPackage?: PackageFetcher;
  /** KFP's multi-user mode (see KfpApiOptions.multiUser). */
  multiUser?: KfpApiOptions['multiUser'];
  /** Lightweight Python components in warm workers (see PipelineEngineOptions.warmExecutor); the caller closes it. */
  warmExecutor?: WarmExecutor;
  /** False on a cluster: task Pods run on its nodes (see PipelineEngineOptions.localNode). */
  localNode?: boolean;
  /** The in-Pod launcher's source (see PipelineEngineOptions.launcher). */
  launcher?: string;
}

export interface Pipelines {
  db: PipelineDb;
  engine: PipelineEngine;
  route: ReturnType<typeof kfpApiRoute>;
  close(): Promise<void>;
}

/** The KFP API server, engine and scheduler over one database; resumes unfinished runs. */
export async function startPipelines(options: PipelinesOptions): Promise<Pipelines> {
  const defaultNamespace = options.defaultNamespace ?? 'kubeflow';
  const db = new PipelineDb({ path: options.dbPath });
  const objects = new ObjectStore({ client: options.client });
  const engine = new PipelineEngine({ client: options.client, store: db, metadata: options.metadata, dir: options.dir, logger: options.logger, defaultNamespace, objectStore: objects, ...(options.localNode === false ? { localNode: false, isolatePythonTasks: false } : {}), ...(options.launcher ? { launcher: options.launcher } : {}), ...(options.warmExecutor ? { warmExecutor: options.warmExecutor } : {}) });
  await engine.open();
  const log = options.logger.child({ component: 'recurring-runs' });
  const scheduler = new RecurringRunScheduler({ db, engine, defaultNamespace, onError: (id, err) => log.warn({ err, recurringRun: id }, 'a recurring run could not fire') });
  scheduler.start();
  const api = kfpApiRoute({ db, engine, validate: validatePipeline, defaultNamespace, ...(options.fetchPackage ? { fetchPackage: options.fetchPackage } : {}), ...(options.multiUser ? { multiUser: options.multiUser } : {}) });
  const artifacts = kfpArtifactRoute({ metadata: options.metadata, dir: options.dir, objects, defaultNamespace, ...(options.multiUser ? { multiUser: options.multiUser } : {}) });
  const route: typeof api = async (req, res, url, caller) => (await artifacts(req, res, url, caller)) || api(req, res, url, caller);
  return {
    db,
    engine,
    route,
    async close() {
      scheduler.stop();
      await engine.close();
      db.close();
    },
  };
}
