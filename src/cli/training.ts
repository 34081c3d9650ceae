// Training jobs in the CLI: a Replicas column for `floe get`, and `floe logs <job> --replica worker-1`.
import type { KubeList, KubeObject } from '../api/meta.js';
import { CliError, UsageError } from './cli-error.js';
import type { ServerTable } from './printers.js';
import { collectionPath, objectPath, type ApiResource } from './resources.js';
import type { Session } from './session.js';

const trainingKinds = new Set(['TFJob', 'PyTorchJob', 'XGBoostJob', 'MXJob']);
const jobRoleLabel = 'training.kubeflow.org/job-role';

interface ReplicaStatus {
  active?: number;
  succeeded?: number;
  failed?: number;
}

export function isTrainingJob(resource: ApiResource): boolean {
  return resource.group === 'kubeflow.org' && trainingKinds.has(resource.kind);
}

/** `Master: 1 succeeded; Worker: 2 running` from `status.replicaStatuses`. */
export function replicaSummary(job: KubeObject): string {
  const statuses = (job.status as { replicaStatuses?: Record<string, ReplicaStatus> } | undefined)?.replicaStatuses ?? {};
  const parts = Object.entries(statuses).map(([type, s]) => {
    const counts = [
      [s.active ?? 0, 'running'],
      [s.succeeded ?? 0, 'succeeded'],
      [s.failed ?? 0, 'failed'],
    ].filter(([n]) => (n as number) > 0).map(([n, what]) => `${String(n)} ${String(what)}`);
    return `${type}: ${counts.length > 0 ? counts.join(', ') : 'none yet'}`;
  });
  return parts.length > 0 ? parts.join('; ') : '<none>';
}

/** Adds a Replicas column (before Age) to tables of training jobs, from the jobs' status. */
export async function addReplicaColumn(session: Session, resource: ApiResource, namespace: string | undefined, tables: ServerTable[]): Promise<void> {
  const list = await session.http.json<KubeList>({ method: 'GET', path: collectionPath(resource, namespace) });
  const summaries = new Map(list.items.map((j) => [`${j.metadata.namespace ?? ''}/${j.metadata.name ?? ''}`, replicaSummary(j)]));
  for (const table of tables) {
    const defs = table.columnDefinitions ?? [];
    const at = Math.max(defs.length - 1, 1);
    defs.splice(at, 0, { name: 'Replicas', priority: 0 });
    for (const row of table.rows ?? []) {
      const meta = row.object?.metadata;
      row.cells.splice(at, 0, summaries.get(`${meta?.namespace ?? ''}/${meta?.name ?? ''}`) ?? '<unknown>');
    }
  }
}

/**
 * The Pod behind `pytorchjob/NAME` (or `job/NAME`, searching the four kinds) and `--replica worker-1` (type and index;
 * the index defaults to 0). Without `--replica`, the replica with the master role.
 */
export async function replicaPod(session: Session, target: string, replica: string | undefined): Promise<string> {
  const slash = target.indexOf('/');
  const type = target.slice(0, slash).toLowerCase();
  const name = target.slice(slash + 1);
  if (name === '') throw new UsageError(`name the job: ${type}/NAME`);
  const all = (await session.catalog.all()).filter(isTrainingJob);
  const kinds = type === 'job' || type === 'jobs' ? all : all.filter((r) => r.plural === type || r.singular === type || r.kind.toLowerCase() === type || r.shortNames.includes(type));
  if (kinds.length === 0) throw new UsageError(`logs are read from pods or training jobs, not ${target.slice(0, slash)}: name a pod, or a job such as pytorchjob/NAME`);
  const found: { resource: ApiResource; job: KubeObject }[] = [];
  for (const resource of kinds) {
    try {
      found.push({ resource, job: await session.http.json<KubeObject>({ method: 'GET', path: objectPath(resource, session.namespace, name) }) });
    } catch {
      // not this kind
    }
  }
  if (found.length === 0) throw new CliError(`no training job named ${name} in namespace ${session.namespace}`);
  if (found.length > 1) throw new UsageError(`several jobs are named ${name} (${found.map((f) => f.resource.kind).join(', ')}): say which, such as ${found[0]!.resource.singular}/${name}`);
  const { resource } = found[0]!;
  if (replica === undefined) {
    const pods = await session.http.json<KubeList>({
      method: 'GET',
      path: `/api/v1/namespaces/${encodeURIComponent(session.namespace)}/pods`,
      query: { labelSelector: `training.kubeflow.org/job-name=${name},${jobRoleLabel}=master` },
    });
    const master = pods.items[0]?.metadata.name;
    if (!master) throw new CliError(`${resource.kind} ${name} has no master replica running: pick one with --replica, such as --replica worker-0`);
    return master;
  }
  const match = /^([a-z]+)(?:-(\d+))?$/i.exec(replica);
  if (!match) throw new UsageError(`--replica takes a replica type and index, such as worker-1 or master, not "${replica}"`);
  return `${name}-${match[1]!.toLowerCase()}-${match[2] ?? '0'}`;
}
