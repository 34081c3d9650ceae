// `floe delete`: by name, from manifests, or by selector; with a cascade policy, and optionally waiting until gone.
import type { KubeList } from '../api/meta.js';
import type { PropagationPolicy } from '../client/client.js';
import { CliError, describeFailure, ExitCode, isNotFound, UsageError } from './cli-error.js';
import { targetsOf } from './get.js';
import type { Manifest } from './manifests.js';
import { collectionPath, objectPath, qualifiedKind, type ApiResource } from './resources.js';
import type { Session } from './session.js';
import { waitUntil } from './wait.js';

export interface DeleteCommandOptions {
  manifests?: Manifest[];
  labelSelector?: string;
  all?: boolean;
  cascade: PropagationPolicy;
  wait: boolean;
  timeoutMs: number;
  ignoreNotFound: boolean;
}

/** kubectl's `--cascade` values: background, foreground, orphan (and the older true/false). */
export function parseCascade(value: string | undefined): PropagationPolicy {
  switch ((value ?? 'background').toLowerCase()) {
    case 'background':
    case 'true':
      return 'Background';
    case 'foreground':
      return 'Foreground';
    case 'orphan':
    case 'false':
      return 'Orphan';
    default:
      throw new UsageError(`--cascade must be background, foreground or orphan, not "${value ?? ''}"`);
  }
}

interface Doomed {
  resource: ApiResource;
  namespace: string | undefined;
  name: string;
}

export async function deleteObjects(session: Session, args: string[], options: DeleteCommandOptions): Promise<ExitCode> {
  const doomed = await collect(session, args, options);
  let exitCode: ExitCode = ExitCode.Ok;
  const deleted: Doomed[] = [];
  for (const d of doomed) {
    try {
      await session.http.json({
        method: 'DELETE',
        path: objectPath(d.resource, d.namespace, d.name),
        body: { kind: 'DeleteOptions', apiVersion: 'v1', propagationPolicy: options.cascade },
      });
      session.io.out(`${qualifiedKind(d.resource)} "${d.name}" deleted\n`);
      deleted.push(d);
    } catch (err) {
      if (options.ignoreNotFound && isNotFound(err)) continue;
      session.io.err(`${describeFailure(err).text}\n`);
      exitCode = ExitCode.Failed;
    }
  }
  if (options.wait) {
    const deadline = Date.now() + options.timeoutMs;
    for (const d of deleted) {
      if (!(await waitUntil(session, d.resource, d.namespace, d.name, { kind: 'delete' }, deadline))) {
        throw new CliError(`timed out waiting for ${qualifiedKind(d.resource)} "${d.name}" to be gone: its finalizers or dependents may still be held; see \`floe describe ${d.resource.plural} ${d.name}\``);
      }
    }
  }
  return exitCode;
}

async function collect(session: Session, args: string[], options: DeleteCommandOptions): Promise<Doomed[]> {
  if (options.manifests) {
    if (args.length > 0) throw new UsageError('name objects either with -f or as arguments, not both');
    const out: Doomed[] = [];
    for (const m of options.manifests) {
      const resource = await session.catalog.forKind(m.object.apiVersion, m.object.kind);
      const name = m.object.metadata.name;
      if (!name) throw new CliError(`${m.source}: a ${m.object.kind} with only generateName cannot be deleted by manifest`);
      out.push({ resource, namespace: resource.namespaced ? m.object.metadata.namespace || session.namespace : undefined, name });
    }
    return out;
  }
  if (args.length === 0) throw new UsageError('name what to delete: TYPE NAME..., TYPE/NAME, -f FILE, or TYPE -l SELECTOR');
  const targets = await targetsOf(session, args);
  const out: Doomed[] = [];
  for (const { resource, names } of targets) {
    const namespace = resource.namespaced && !session.allNamespaces ? session.namespace : undefined;
    if (names.length > 0) {
      if (options.labelSelector || options.all) throw new UsageError('name objects or select them with -l/--all, not both');
      if (session.allNamespaces) throw new UsageError('a resource cannot be deleted by name across all namespaces: drop -A or the name');
      for (const name of names) out.push({ resource, namespace, name });
      continue;
    }
    if (!options.labelSelector && !options.all) {
      throw new UsageError(`name the ${resource.plural} to delete, or select them with -l SELECTOR or --all`);
    }
    const list = await session.http.json<KubeList>({ method: 'GET', path: collectionPath(resource, namespace), query: { labelSelector: options.labelSelector || undefined } });
    for (const item of list.items) out.push({ resource, namespace: resource.namespaced ? item.metadata.namespace : undefined, name: item.metadata.name ?? '' });
  }
  if (out.length === 0) session.io.err('No resources found\n');
  return out;
}
