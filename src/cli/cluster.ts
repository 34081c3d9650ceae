// Floe on a Kubernetes cluster: `floe install` / `floe uninstall` (CRDs, RBAC, the controller manager Deployment) and
// `floe controllers` (the same controllers, run from anywhere with a kubeconfig, with leader election on a Lease).
import { FloeError } from '../api/errors.js';
import type { KubeObject } from '../api/meta.js';
import type { Client, KindRef } from '../client/client.js';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { capabilitiesFor, Manager, startCapabilities, type Capability } from '../controller/index.js';
import type { KubeClient } from '../client/kube-client.js';
import type { Logger } from '../api/logger.js';
import { kubeflowClusterRoles } from '../auth/rbac/bootstrap.js';
import { UsageError } from './cli-error.js';
import { ServiceAccountAuthorizer, TokenReviewAuthenticator } from '../server/auth.js';
import { floeCapabilities } from '../server/capabilities.js';
import { notebookOptionsFromEnv } from '../controllers/notebooks/capability.js';
import { FrontDoor } from '../server/front-door.js';
import type { DashboardOptions } from '../dashboard/capability.js';
import { preparePrivateDatabase } from '../store/private-file.js';

export const SystemNamespace = 'floe-system';
const name = 'floe-controller-manager';
/** Katib's DB manager (observation logs; Push trials report here), served by the controller manager. */
const KatibService = 'floe-katib-db-manager';
const KatibPort = 6789;
const labels = { 'app.kubernetes.io/name': 'floe', 'app.kubernetes.io/component': 'controller-manager' };

/** Everything `floe install` applies, in order. */
export function clusterManifests(options: { image: string; multiUser?: boolean }): KubeObject[] {
  const rules = [
    { apiGroups: ['kubeflow.org'], resources: ['tfjobs', 'pytorchjobs', 'xgboostjobs', 'mxjobs', 'tfjobs/status', 'pytorchjobs/status', 'xgboostjobs/status', 'mxjobs/status'], verbs: ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete'] },
    { apiGroups: ['kubeflow.org'], resources: ['experiments', 'trials', 'suggestions', 'experiments/status', 'trials/status', 'suggestions/status'], verbs: ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete'] },
    { apiGroups: ['batch'], resources: ['jobs'], verbs: ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete'] },
    { apiGroups: [''], resources: ['pods', 'services'], verbs: ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete'] },
    { apiGroups: [''], resources: ['pods/log', 'configmaps'], verbs: ['get', 'list'] },
    // Events: recorded by every controller, watched by the notebook controller (a Pod's events re-told on its Notebook),
    // listed by the dashboard's activities and search.
    { apiGroups: [''], resources: ['events'], verbs: ['get', 'list', 'watch', 'create', 'update', 'patch'] },
    { apiGroups: ['events.k8s.io'], resources: ['events'], verbs: ['create', 'update', 'patch'] },
    { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['get', 'list', 'watch', 'create', 'update', 'patch'] },
    { apiGroups: ['apiextensions.k8s.io'], resources: ['customresourcedefinitions'], verbs: ['get', 'list', 'watch', 'create', 'update'] },
    // Floe's own routes (Katib's observation-log endpoint) authenticate Pods' ServiceAccount tokens with TokenReview.
    { apiGroups: ['authentication.k8s.io'], resources: ['tokenreviews'], verbs: ['create'] },
    // Profiles: the profile controller makes each Profile's namespace, ServiceAccounts, RoleBindings (to the kubeflow-*
    // ClusterRoles, hence `bind`) and quota; KFAM manages contributor RoleBindings and asks SubjectAccessReviews.
    { apiGroups: ['kubeflow.org'], resources: ['profiles', 'profiles/status', 'profiles/finalizers'], verbs: ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete'] },
    { apiGroups: [''], resources: ['namespaces', 'serviceaccounts', 'resourcequotas'], verbs: ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete'] },
    { apiGroups: ['rbac.authorization.k8s.io'], resources: ['rolebindings'], verbs: ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete'] },
    { apiGroups: ['rbac.authorization.k8s.io'], resources: ['clusterroles'], verbs: ['bind'], resourceNames: ['kubeflow-admin', 'kubeflow-edit', 'kubeflow-view'] },
    { apiGroups: ['authorization.k8s.io'], resources: ['subjectaccessreviews'], verbs: ['create'] },
    // Trainer v2: TrainJobs and their JobSets (Jobs for kube-controller-manager), the default ClusterTrainingRuntimes
    // and the kubeflow-system/kubeflow-trainer-public ConfigMap the SDK reads.
    { apiGroups: ['trainer.kubeflow.org'], resources: ['trainjobs', 'trainjobs/status', 'trainingruntimes', 'clustertrainingruntimes'], verbs: ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete'] },
    { apiGroups: ['jobset.x-k8s.io'], resources: ['jobsets', 'jobsets/status'], verbs: ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete'] },
    { apiGroups: [''], resources: ['configmaps'], verbs: ['create'] },
    // MPIJob (mpi-operator v2): its hostfile ConfigMap (updated as workers start), its SSH Secret, the launcher Job.
    { apiGroups: ['kubeflow.org'], resources: ['mpijobs', 'mpijobs/status'], verbs: ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete'] },
    { apiGroups: [''], resources: ['configmaps', 'secrets'], verbs: ['get', 'list', 'watch', 'create', 'update'] },
    // Notebooks: Notebook → StatefulSet + Service; PodDefaults read; Tensorboard → Deployment + Service.
    { apiGroups: ['kubeflow.org'], resources: ['notebooks', 'notebooks/status', 'poddefaults'], verbs: ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete'] },
    { apiGroups: ['tensorboard.kubeflow.org'], resources: ['tensorboards', 'tensorboards/status'], verbs: ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete'] },
    { apiGroups: ['apps'], resources: ['statefulsets', 'deployments'], verbs: ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete'] },
    // KServe in raw-deployment mode (the serving-cluster capability): Deployment + Service (+ HPA) per InferenceService.
    { apiGroups: ['serving.kserve.io'], resources: ['inferenceservices', 'inferenceservices/status', 'servingruntimes', 'clusterservingruntimes', 'inferencegraphs', 'inferencegraphs/status', 'trainedmodels', 'trainedmodels/status'], verbs: ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete'] },
    { apiGroups: ['autoscaling'], resources: ['horizontalpodautoscalers'], verbs: ['get', 'list', 'watch', 'create', 'update', 'delete'] },
    // Katib's PBT: the `<experiment>-pbt` claim that holds the trials' checkpoint folders.
    { apiGroups: [''], resources: ['persistentvolumeclaims'], verbs: ['get', 'list', 'watch', 'create', 'delete'] },
    // The dashboard's Home usage card (what `kubectl top pods` reads, where the cluster runs metrics-server); the
    // dashboard's other reads (Profiles, RoleBindings, Namespaces, ConfigMaps, Events, jobs, experiments,
    // InferenceServices, Pods and their logs) are granted above. Each read is first reviewed for the caller.
    { apiGroups: ['metrics.k8s.io'], resources: ['pods'], verbs: ['list'] },
  ];
  return [
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: SystemNamespace, labels } },
    ...clusterCapabilities().flatMap((c) => c.crds?.() ?? []),
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name, namespace: SystemNamespace, labels } },
    { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name, labels }, rules },
    // Kubeflow's kubeflow-admin/edit/view (aggregated by the cluster's own controller) and their leaf roles: what
    // Profiles bind their owner, default-editor and default-viewer to.
    ...kubeflowClusterRoles(),
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: { name, labels },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name },
      subjects: [{ kind: 'ServiceAccount', name, namespace: SystemNamespace }],
    },
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name, namespace: SystemNamespace, labels },
      spec: {
        // One replica: Katib's observation logs live in its SQLite file (a PVC would let two replicas hand over).
        replicas: 1,
        strategy: { type: 'Recreate' },
        selector: { matchLabels: labels },
        template: {
          metadata: { labels },
          spec: {
            serviceAccountName: name,
            containers: [{
              name: 'manager',
              image: options.image,
              command: ['node', 'dist/src/cli/main.js', 'controllers', '--lease-namespace', SystemNamespace, '--katib-db', '/var/lib/floe/katib.db', '--katib-listen', `0.0.0.0:${KatibPort}`, '--katib-report-url', `http://${KatibService}.${SystemNamespace}.svc:${KatibPort}/katib/v1beta1`, ...(options.multiUser ? ['--multi-user'] : [])],
              ports: [{ name: 'db-manager', containerPort: KatibPort }],
              volumeMounts: [{ name: 'katib-db', mountPath: '/var/lib/floe' }],
              resources: { requests: { cpu: '100m', memory: '128Mi' }, limits: { memory: '512Mi' } },
            }],
            volumes: [{ name: 'katib-db', emptyDir: {} }],
          },
        },
      },
    },
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: KatibService, namespace: SystemNamespace, labels },
      spec: { selector: labels, ports: [{ name: 'db-manager', port: KatibPort, targetPort: KatibPort }] },
    },
  ];
}

const refOf = (o: KubeObject): KindRef => ({ apiVersion: o.apiVersion ?? '', kind: o.kind ?? '' });
const label = (o: KubeObject): string => `${(o.kind ?? '').toLowerCase()}/${o.metadata.name ?? ''}`;

/** Creates each object, or replaces it when it exists; one line per object, as kubectl apply prints. */
export async function install(client: Client, objects: KubeObject[], out: (line: string) => void): Promise<void> {
  for (const object of objects) {
    try {
      await client.create(object);
      out(`${label(object)} created`);
    } catch (err) {
      if (!(err instanceof FloeError && err.reason === 'AlreadyExists')) throw err;
      const existing = await client.get(refOf(object), object.metadata.name ?? '', object.metadata.namespace);
      await client.update({ ...existing, ...object, metadata: { ...existing.metadata, labels: object.metadata.labels ?? {} } });
      out(`${label(object)} configured`);
    }
  }
}

/** Deletes what `install` applied, last first. CRDs go too, and with them every job of their kinds. */
export async function uninstall(client: Client, objects: KubeObject[], out: (line: string) => void): Promise<void> {
  for (const object of [...objects].reverse()) {
    try {
      await client.delete(refOf(object), object.metadata.name ?? '', object.metadata.namespace, { propagationPolicy: 'Background' });
      out(`${label(object)} deleted`);
    } catch (err) {
      if (!(err instanceof FloeError && err.reason === 'NotFound')) throw err;
    }
  }
}

/** Objects of one kind that deleting its CRD would delete with it. */
export interface UninstallLoss {
  kind: string;
  plural: string;
  count: number;
}

/** Counts, across namespaces, the objects of each kind whose CRD `uninstall` deletes (kinds not served count none). */
export async function uninstallLosses(client: Client, objects: KubeObject[]): Promise<UninstallLoss[]> {
  const out: UninstallLoss[] = [];
  // What Floe's capabilities install themselves (Trainer's default ClusterTrainingRuntimes, KServe's built-in
  // ClusterServingRuntimes where Floe serves) is no user's loss.
  const key = (o: KubeObject): string => `${o.kind ?? ''}/${o.metadata?.namespace ?? ''}/${o.metadata?.name ?? ''}`;
  const ownDefaults = new Set(floeCapabilities({ allowPackageUrls: [] }).flatMap((c) => c.defaults?.({ pythonDir }) ?? []).map(key));
  for (const crd of objects.filter((o) => o.kind === 'CustomResourceDefinition')) {
    const spec = (crd as { spec?: { group?: string; names?: { kind?: string; plural?: string }; versions?: { name: string; storage?: boolean }[] } }).spec;
    const version = spec?.versions?.find((v) => v.storage)?.name ?? spec?.versions?.[0]?.name;
    if (!spec?.group || !spec.names?.kind || !version) continue;
    try {
      const list = await client.list({ apiVersion: `${spec.group}/${version}`, kind: spec.names.kind });
      const kind = spec.names.kind;
      const count = list.items.filter((o) => !ownDefaults.has(key({ ...o, kind }))).length;
      if (count > 0) out.push({ kind, plural: spec.names.plural ?? kind, count });
    } catch (err) {
      if (!(err instanceof FloeError && err.reason === 'NotFound')) throw err;
    }
  }
  return out;
}

export interface UninstallConfirmation {
  /** `--yes`: go ahead without asking. */
  yes: boolean;
  /** Whether a person can answer: stdin and stderr are terminals. */
  interactive: boolean;
  /** Asks the question and resolves with the answer typed. */
  ask: (question: string) => Promise<string>;
  /** The kubeconfig, named in the question. */
  kubeconfig: string;
  losses: UninstallLoss[];
}

/**
 * Whether `floe uninstall` may delete: with `--yes`, yes; on a terminal, when the person answers y or yes to a question
 * that names what goes with the CRDs; with no terminal to ask on, a UsageError saying to pass `--yes`.
 */
export async function confirmUninstall(options: UninstallConfirmation): Promise<boolean> {
  if (options.yes) return true;
  const jobs = options.losses.length === 0
    ? 'no Floe jobs exist there now, but any created before it finishes are deleted too'
    : `with them ${options.losses.map((l) => `${l.count} ${l.count === 1 ? l.kind : l.plural}`).join(', ')}`;
  const what = `floe uninstall deletes Floe's CRDs, RBAC and controller manager from the cluster of ${options.kubeconfig}, and ${jobs}`;
  if (!options.interactive) throw new UsageError(`${what}; there is no terminal to ask on, so pass --yes to go ahead`);
  const answer = await options.ask(`${what}.\nDelete them? [y/N] `);
  return /^\s*y(es)?\s*$/i.test(answer);
}

export interface ControllersOptions {
  client: Client;
  logger: Logger;
  /** Namespace of the `floe-controllers` Lease; created when missing. */
  leaseNamespace: string;
  identity?: string;
  signal: AbortSignal;
  /** Katib's observation-log database file. */
  katibDb: string;
  /** `host:port` to serve the observation-log endpoint on; not served when absent. */
  katibListen?: string;
  /** The URL Push trials report to (`…/katib/v1beta1`). */
  katibReportUrl?: string;
  /** KFP's multi-user mode (profile namespaces; every call reviewed by the cluster). */
  multiUser?: boolean;
}

/** The capabilities a cluster runs: the same list as `floe up`, those that run in cluster mode. */
function clusterCapabilities(dashboard: DashboardOptions = {}, multiUser = false): Capability[] {
  return capabilitiesFor('cluster', floeCapabilities({ allowPackageUrls: [], notebooks: notebookOptionsFromEnv(process.env), dashboard, multiUser }));
}

/**
 * The token behind a request signed in by the dashboard's session cookie: the dashboard forwards the pages' Kubernetes
 * API calls to the cluster with the caller's own token.
 */
function sessionTokenOf(door: FrontDoor | undefined): DashboardOptions {
  const sessions = door?.sessions;
  return sessions ? { sessionToken: (req) => sessions.tokenOf(req) } : {};
}

/** python/ of this checkout (floe_katib.py). */
const pythonDir = fileURLToPath(new URL('../../../python', import.meta.url));

/**
 * Installs the CRDs, then runs every cluster capability's controllers while holding the `floe-controllers` Lease, until
 * `signal` aborts. Their routes (Katib's observation-log endpoint, KFAM, KFP's API, the dashboard at /ui/ and its
 * backends) are served on `katibListen` through the same front door as `floe up`'s, authenticating callers by their
 * Kubernetes tokens (TokenReview).
 */
export async function runControllers(options: ControllersOptions): Promise<void> {
  const { client } = options;
  try {
    await client.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: options.leaseNamespace } });
  } catch (err) {
    if (!(err instanceof FloeError && (err.reason === 'AlreadyExists' || err.reason === 'Forbidden'))) throw err;
  }
  const manager = new Manager({
    client,
    log: options.logger,
    leaderElection: { leaseName: 'floe-controllers', leaseNamespace: options.leaseNamespace, ...(options.identity ? { identity: options.identity } : {}) },
  });
  const door = options.katibListen
    ? new FrontDoor({ authenticator: new TokenReviewAuthenticator({ client }), authorizer: new ServiceAccountAuthorizer(), guard: { hosts: '*', allowedOrigins: [] }, logger: options.logger })
    : undefined;
  const listening = door && options.katibListen ? await listen(door, options.katibListen) : undefined;
  const kube = client as Partial<KubeClient>;
  // The cluster capabilities keep their files beside the Katib database (katib.db), private to this process's user.
  const dataDir = dirname(options.katibDb);
  preparePrivateDatabase(join(dataDir, 'katib.db'));
  const reportBase = options.katibReportUrl?.replace(/\/katib\/v1beta1\/?$/, '') ?? (listening ? `http://${listening}` : 'http://127.0.0.1');
  const running = await startCapabilities(
    clusterCapabilities(sessionTokenOf(door), options.multiUser === true),
    {
      mode: 'cluster',
      client,
      logger: options.logger,
      dataDir,
      url: reportBase,
      pythonDir,
      ...(kube.podLog ? { node: { podLog: (ns: string, pod: string, container: string) => kube.podLog!(ns, pod, container) } } : {}),
    },
    manager,
  );
  door?.mount(running.routes);
  door?.open();
  const stop = (): void => void running.stop();
  options.signal.addEventListener('abort', stop, { once: true });
  try {
    await running.done;
  } finally {
    options.signal.removeEventListener('abort', stop);
    await running.stop();
    await door?.close();
  }
}

async function listen(door: FrontDoor, address: string): Promise<string> {
  const at = address.lastIndexOf(':');
  const host = address.slice(0, at) || '127.0.0.1';
  const bound = await door.listen(Number(address.slice(at + 1)), host);
  return `${host}:${bound.port}`;
}
