// Kubeflow Pipelines as a Floe capability: the run engine, the KFP REST API v2beta1, recurring runs, and ML Metadata.
import type { IncomingMessage } from 'node:http';
import { join } from 'node:path';
import type { Capability, ResourceAttributes } from '../../controller/index.js';
import { MetadataStore } from '../../metadata/store.js';
import { metadataRoute } from '../../metadata/rest.js';
import { startPipelines } from './index.js';
import { packageFetcher } from './package-url.js';

/** The group KFP's multi-user mode authorizes against (its SubjectAccessReviews name pipelines.kubeflow.org). */
const KfpGroup = 'pipelines.kubeflow.org';
const KfpPrefix = '/apis/v2beta1/';
const MlmdPrefix = '/mlmd/v1';

export interface PipelinesCapabilityOptions {
  /** URL prefixes whose `package_url`s Floe may fetch; none unless the operator allows some. */
  allowPackageUrls?: readonly string[];
}

export function pipelinesCapability(options: PipelinesCapabilityOptions = {}): Capability {
  return {
    name: 'pipelines',
    modes: ['embedded'],
    async start(ctx) {
      // ML Metadata (KFP's lineage store) in its own SQLite file.
      const metadata = new MetadataStore({ path: join(ctx.dataDir, 'metadata.db') });
      const pipelines = await startPipelines({
        client: ctx.client,
        metadata,
        dbPath: join(ctx.dataDir, 'pipelines.db'),
        dir: join(ctx.dataDir, 'pipelines'),
        logger: ctx.logger,
        fetchPackage: packageFetcher(options.allowPackageUrls ?? []),
      });
      return {
        routes: [
          // JSON, and multipart/form-data for `pipelines/upload`: a form a page can post, so the Origin check guards it.
          { prefix: KfpPrefix, access: { kind: 'resource', attributes: kfpAttributes }, bodyTypes: ['application/json', 'multipart/form-data'], handle: pipelines.route },
          {
            prefix: MlmdPrefix,
            access: { kind: 'resource', attributes: (req) => ({ verb: req.method === 'POST' ? 'create' : 'get', group: KfpGroup, resource: 'metadata' }) },
            bodyTypes: ['application/json'],
            handle: metadataRoute(metadata),
          },
        ],
        async close() {
          await pipelines.close();
          metadata.close();
        },
      };
    },
  };
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
