// Kubeflow Pipelines as a Floe capability: the run engine, the KFP REST API v2beta1, recurring runs, and ML Metadata.
import { existsSync, readFileSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import { dirname, join } from 'node:path';
import type { Capability, ResourceAttributes } from '../../controller/index.js';
import { MetadataStore } from '../../metadata/store.js';
import { metadataRoute } from '../../metadata/rest.js';
import { reviewedByCluster, subjectAccessReviewer } from '../profiles/access.js';
import { startPipelines } from './index.js';
import { multiUserMetadataRoute } from './mlmd-access.js';
import { packageFetcher } from './package-url.js';
import { WarmExecutor, type WarmEnvironment } from './warm-executor.js';

/** The group KFP's multi-user mode authorizes against (its SubjectAccessReviews name pipelines.kubeflow.org). */
const KfpGroup = 'pipelines.kubeflow.org';
const KfpPrefix = '/apis/v2beta1/';
const MlmdPrefix = '/mlmd/v1';

export interface PipelinesCapabilityOptions {
  /** URL prefixes whose `package_url`s Floe may fetch; none unless the operator allows some. */
  allowPackageUrls?: readonly string[];
  /**
   * KFP's multi-user mode: runs, experiments, recurring runs and pipelines belong to profile namespaces and every call
   * is authorized in the handler with a SubjectAccessReview (KFP's attributes, the object's own namespace).
   */
  multiUser?: boolean;
  /**
   * Lightweight Python components whose image maps to a local environment run in a warm worker of that environment
   * (default true; see warm-executor.ts). False: every task is a fresh process.
   */
  warmExecutor?: boolean;
}

/**
 * The environments a warm worker can stand for: the images the local runtime maps to the checkout's pipelines
 * environment (`pipelineImageRules` in src/server/config.ts), when it is installed.
 */
function warmEnvironments(pythonDir: string): WarmEnvironment[] {
  const python = join(dirname(pythonDir), '.venvs', 'kfp', 'bin', 'python');
  return existsSync(python) ? [{ name: 'kfp', images: ['python:*', '*/python:*'], python }] : [];
}

export function pipelinesCapability(options: PipelinesCapabilityOptions = {}): Capability {
  return {
    name: 'pipelines',
    // Cluster mode (`floe controllers`): the same API and engine, task Pods scheduled on the cluster's nodes.
    modes: ['embedded', 'cluster'],
    async start(ctx) {
      // ML Metadata (KFP's lineage store) in its own SQLite file.
      const metadata = new MetadataStore({ path: join(ctx.dataDir, 'metadata.db') });
      // Multi-user KFP reviews each call with the object's namespace; single-user KFP on a cluster reviews the route's
      // attributes there. Both ask the API server, embedded or the cluster's.
      const reviewer = subjectAccessReviewer(ctx.client);
      const review = options.multiUser ? reviewer : undefined;
      const dir = join(ctx.dataDir, 'pipelines');
      const cluster = ctx.mode === 'cluster';
      const environments = options.warmExecutor === false || cluster ? [] : warmEnvironments(ctx.pythonDir);
      const warm = environments.length > 0 ? new WarmExecutor({ dir, script: join(ctx.pythonDir, 'floe_warm_executor.py'), nativeClient: join(ctx.pythonDir, '..', 'native', 'floe-warm-client.c'), environments, logger: ctx.logger }) : undefined;
      const pipelines = await startPipelines({
        ...(review ? { multiUser: { review } } : {}),
        client: ctx.client,
        metadata,
        dbPath: join(ctx.dataDir, 'pipelines.db'),
        dir,
        logger: ctx.logger,
        ...(warm ? { warmExecutor: warm } : {}),
        ...(cluster ? { localNode: false, launcher: readFileSync(join(ctx.pythonDir, 'floe_kfp_launcher.py'), 'utf8') } : {}),
        fetchPackage: packageFetcher(options.allowPackageUrls ?? []),
      });
      return {
        routes: [
          // JSON, and multipart/form-data for `pipelines/upload`: a form a page can post, so the Origin check guards it.
          review
            ? {
                prefix: KfpPrefix,
                access: { kind: 'in-handler', why: 'multi-user KFP authorizes each call with the namespace of the run, experiment or pipeline it names, as KFP does' },
                bodyTypes: ['application/json', 'multipart/form-data'],
                handle: pipelines.route,
              }
            : cluster
              ? {
                  prefix: KfpPrefix,
                  access: { kind: 'in-handler', why: "single-user KFP on a cluster: the route's attributes are reviewed by the cluster's RBAC (SubjectAccessReview), which Floe's authorizer does not hold there" },
                  bodyTypes: ['application/json', 'multipart/form-data'],
                  handle: reviewedByCluster(reviewer, kfpAttributes, pipelines.route),
                }
              : { prefix: KfpPrefix, access: { kind: 'resource', attributes: kfpAttributes }, bodyTypes: ['application/json', 'multipart/form-data'], handle: pipelines.route },
          review
            ? {
                prefix: MlmdPrefix,
                access: { kind: 'in-handler', why: 'multi-user MLMD: a namespace the caller may read runs in, and only its nodes' },
                bodyTypes: ['application/json'],
                handle: multiUserMetadataRoute(metadataRoute(metadata), metadata, review),
              }
            : cluster
              ? {
                  prefix: MlmdPrefix,
                  access: { kind: 'in-handler', why: "single-user ML Metadata on a cluster: reviewed by the cluster's RBAC (SubjectAccessReview)" },
                  bodyTypes: ['application/json'],
                  handle: reviewedByCluster(reviewer, mlmdAttributes, metadataRoute(metadata)),
                }
              : { prefix: MlmdPrefix, access: { kind: 'resource', attributes: mlmdAttributes }, bodyTypes: ['application/json'], handle: metadataRoute(metadata) },
        ],
        async close() {
          await pipelines.close();
          await warm?.close();
          metadata.close();
        },
      };
    },
  };
}

/** ML Metadata's API: reads are `get`, writes (POST) `create`, on the metadata resource of KFP's group. */
function mlmdAttributes(req: IncomingMessage): ResourceAttributes {
  return { verb: req.method === 'POST' ? 'create' : 'get', group: KfpGroup, resource: 'metadata' };
}

/** `/apis/v2beta1/runs/ID:terminate` → terminate runs; `GET …/runs` → list runs; the namespace from `?namespace=`. */
function kfpAttributes(req: IncomingMessage, url: URL): ResourceAttributes {
  const rest = url.pathname.slice(KfpPrefix.length).split('/').filter(Boolean);
  const last = rest[rest.length - 1] ?? '';
  const custom = last.includes(':') ? last.slice(last.indexOf(':') + 1) : undefined;
  const resource = (rest[0] ?? '').split(':')[0]!;
  const named = rest.length > 1;
  const byMethod: Record<string, string> = { GET: named ? 'get' : 'list', HEAD: 'get', POST: 'create', PUT: 'update', PATCH: 'update', DELETE: 'delete' };
  const namespace = url.searchParams.get('namespace') ?? url.searchParams.get('resource_reference_key.id');
  return { verb: custom ?? byMethod[req.method ?? 'GET'] ?? 'get', group: KfpGroup, resource, ...(namespace ? { namespace } : {}) };
}
