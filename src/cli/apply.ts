// `floe apply -f`: create what is missing, merge-patch what exists, and say which of created/configured/unchanged.
import type { KubeObject } from '../api/meta.js';
import { PatchType } from '../client/client.js';
import { CliError, describeFailure, ExitCode, isNotFound } from './cli-error.js';
import type { Manifest } from './manifests.js';
import { collectionPath, objectPath, qualifiedKind, type ApiResource } from './resources.js';
import type { Session } from './session.js';

export interface ApplyOptions {
  dryRun?: boolean;
  /** How long a kind may take to be served after this run created its CRD. */
  crdWaitMs?: number;
}

export type ApplyOutcome = 'created' | 'configured' | 'unchanged';

/** Applies each manifest in order; a failure is reported and the rest still go. Resolves to the exit code. */
export async function apply(session: Session, manifests: Manifest[], options: ApplyOptions = {}): Promise<ExitCode> {
  if (manifests.length === 0) throw new CliError('no objects passed to apply: the files held no manifests');
  let exitCode: ExitCode = ExitCode.Ok;
  let createdCrd = false;
  for (const manifest of manifests) {
    try {
      const { resource, name, outcome } = await applyOne(session, manifest, { ...options, waitMs: createdCrd ? (options.crdWaitMs ?? 10_000) : 0 });
      if (resource.kind === 'CustomResourceDefinition' && outcome !== 'unchanged') createdCrd = true;
      session.io.out(`${qualifiedKind(resource)}/${name} ${outcome}${options.dryRun ? ' (dry run)' : ''}\n`);
    } catch (err) {
      const failure = describeFailure(err);
      session.io.err(`${failure.text}${failure.text.includes(manifest.source) ? '' : ` (from ${manifest.source})`}\n`);
      exitCode = ExitCode.Failed;
    }
  }
  return exitCode;
}

async function applyOne(session: Session, manifest: Manifest, options: ApplyOptions & { waitMs: number }): Promise<{ resource: ApiResource; name: string; outcome: ApplyOutcome }> {
  const object = structuredClone(manifest.object);
  const resource = await session.catalog.forKind(object.apiVersion, object.kind, { waitMs: options.waitMs });
  const namespace = resource.namespaced ? namespaceFor(session, object) : undefined;
  if (namespace !== undefined) object.metadata.namespace = namespace;
  else delete object.metadata.namespace;
  const query = { dryRun: options.dryRun ? 'All' : undefined, fieldManager: 'floe' };
  const name = object.metadata.name;
  if (name) {
    let current: KubeObject | undefined;
    try {
      current = await session.http.json<KubeObject>({ method: 'GET', path: objectPath(resource, namespace, name) });
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
    if (current) {
      const patched = await session.http.json<KubeObject>({
        method: 'PATCH',
        path: objectPath(resource, namespace, name),
        query,
        body: object,
        contentType: PatchType.Merge,
      });
      // The server skips a write that changes nothing; a dry run never writes, so compare what it would store.
      const same = options.dryRun ? sameContent(patched, current) : patched.metadata.resourceVersion === current.metadata.resourceVersion;
      return { resource, name, outcome: same ? 'unchanged' : 'configured' };
    }
  }
  const created = await session.http.json<KubeObject>({ method: 'POST', path: collectionPath(resource, namespace), query, body: object });
  return { resource, name: created.metadata.name ?? name ?? '', outcome: 'created' };
}

/** The manifest's namespace, else `-n`, else the context's; `-n` naming another namespace than the manifest is refused. */
function namespaceFor(session: Session, object: KubeObject): string {
  const own = object.metadata.namespace;
  if (own && session.namespaceExplicit && own !== session.namespace) {
    throw new CliError(`the namespace from the provided object "${own}" does not match the namespace "${session.namespace}": pass --namespace=${own} or remove it from the manifest`);
  }
  return own || session.namespace;
}

function sameContent(a: KubeObject, b: KubeObject): boolean {
  const strip = (o: KubeObject): unknown => {
    const { resourceVersion: _rv, generation: _generation, managedFields: _managed, ...meta } = o.metadata;
    return { ...o, metadata: meta };
  };
  return JSON.stringify(strip(a)) === JSON.stringify(strip(b));
}
