// The notebook controller (kubeflow/notebooks components/notebook-controller): a Notebook becomes a StatefulSet `<name>`
// (one replica, none while `kubeflow-resource-stopped` is set) and a Service `<name>` (port 80 `http-<name>` → the
// notebook port), its status mirrors Pod `<name>-0`, and Pod and StatefulSet Events are re-issued on the Notebook.
// Where Floe runs the Pods (the Service got a loopback host port), the notebook listens on that host port instead of
// 8888, since Pods share the host's network (docs/adr/0004).
import { FloeError } from '../../api/errors.js';
import { hostPorts } from '../../api/host-ports.js';
import type { ContainerSpec, ContainerState, Pod, PodSpec, Service } from '../../api/core-v1.js';
import { EventRef, PodRef, ServiceRef } from '../../api/core-v1.js';
import type { KubeObject } from '../../api/meta.js';
import { controllerReference, kubeTime, realClock, type Clock, type KubeEvent, type Manager, type ReconcileContext, type Reconciler, type Request } from '../../controller/index.js';
import { randomBytes } from 'node:crypto';
import { SecretRef } from '../../api/core-v1.js';
import { DefaultPort, DefaultWorkingDir, isStopped, Labels, NotebookRef, notebookPrefix, StatefulSetRef, tokenSecretName, TokenSecretKey, type Notebook, type NotebookStatus } from './types.js';

export interface StatefulSet extends KubeObject {
  spec: {
    replicas?: number;
    selector?: { matchLabels?: Record<string, string> };
    template: { metadata?: { labels?: Record<string, string>; annotations?: Record<string, string> }; spec: PodSpec };
    serviceName?: string;
    [field: string]: unknown;
  };
  status?: { readyReplicas?: number; [field: string]: unknown };
}

export interface NotebookControllerOptions {
  /** Upstream's ADD_FSGROUP: unset or true adds `fsGroup: 100` to a Pod with no securityContext. */
  addFsGroup?: boolean;
  clock?: Clock;
}

const notFound = (err: unknown): boolean => err instanceof FloeError && err.reason === 'NotFound';

/** The env variable jupyter_server reads its port from when `--port` is not given (Floe's default command gives none). */
export const JupyterPortEnv = 'JUPYTER_PORT';
/** jupyter_server's token variable; Floe's default command for notebook images passes it on (empty: no token). */
export const JupyterTokenEnv = 'JUPYTER_TOKEN';

/**
 * The port the notebook container listens on: its first declared port, else 8888. Where Floe runs the Pods, the
 * Service's loopback host port stands in for it.
 */
export function notebookPort(notebook: Notebook): number {
  return notebook.spec.template.spec.containers[0]?.ports?.[0]?.containerPort ?? DefaultPort;
}

/** The Service port name upstream gives the notebook: `http-<name>`. */
export function servicePortName(notebook: Pick<Notebook, 'metadata'>): string {
  return `http-${notebook.metadata.name ?? ''}`;
}

/** The Service, as upstream generates it; `hostPort` (embedded mode) becomes its target port. */
export function desiredService(notebook: Notebook, hostPort?: number): Service {
  const name = notebook.metadata.name ?? '';
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace: notebook.metadata.namespace ?? '', ownerReferences: [controllerReference(notebook)] },
    spec: {
      type: 'ClusterIP',
      selector: { [Labels.statefulSet]: name },
      ports: [{ name: servicePortName(notebook), port: 80, targetPort: hostPort ?? notebookPort(notebook), protocol: 'TCP' }],
    },
  };
}

/** `8888`, `--port=8888`, `127.0.0.1:8888` → the same with the host port: the notebook's own references to its port. */
function rewritePort(text: string, from: number, to: number): string {
  return text.replace(new RegExp(`(^|[=:])${from}$`), `$1${to}`);
}

/**
 * The StatefulSet, as upstream generates it: `replicas` 1 or 0 (stopped), the Pod template from `spec.template.spec`
 * with `workingDir` /home/jovyan, port 8888 `notebook-port` and `NB_PREFIX` on the first container unless given, and
 * `fsGroup: 100` where asked. With `hostPort` (embedded mode) the first container's port becomes the host port, its
 * command and args follow, and `JUPYTER_PORT` says it to a server started with no `--port`.
 */
export function desiredStatefulSet(notebook: Notebook, options: { hostPort?: number; addFsGroup?: boolean; tokenSecret?: string } = {}): StatefulSet {
  const name = notebook.metadata.name ?? '';
  const namespace = notebook.metadata.namespace ?? '';
  const spec: PodSpec = structuredClone(notebook.spec.template.spec);
  const first: ContainerSpec | undefined = spec.containers[0];
  if (first) {
    if (!first.workingDir) first.workingDir = DefaultWorkingDir;
    if (!first.ports) first.ports = [{ name: 'notebook-port', containerPort: DefaultPort, protocol: 'TCP' }];
    const env = (first.env ??= []);
    if (!env.some((e) => e.name === 'NB_PREFIX')) env.push({ name: 'NB_PREFIX', value: notebookPrefix(namespace, name) });
    const port = options.hostPort;
    const declared = first.ports[0]?.containerPort ?? DefaultPort;
    if (port !== undefined && declared !== port) {
      first.ports = first.ports.map((p, i) => (i === 0 ? { ...p, containerPort: port } : p));
      if (first.command) first.command = first.command.map((a) => rewritePort(a, declared, port));
      if (first.args) first.args = first.args.map((a) => rewritePort(a, declared, port));
    }
    if (port !== undefined && !env.some((e) => e.name === JupyterPortEnv)) env.push({ name: JupyterPortEnv, value: String(port) });
    if (options.tokenSecret && !env.some((e) => e.name === JupyterTokenEnv)) env.push({ name: JupyterTokenEnv, valueFrom: { secretKeyRef: { name: options.tokenSecret, key: TokenSecretKey } } });
  }
  const pod = spec as PodSpec & { securityContext?: Record<string, unknown> };
  if (options.addFsGroup !== false && pod.securityContext === undefined) pod.securityContext = { fsGroup: 100 };
  const annotations = Object.fromEntries(Object.entries(notebook.metadata.annotations ?? {}).filter(([k]) => !k.includes('kubectl') && !k.includes('notebook')));
  return {
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: { name, namespace, ownerReferences: [controllerReference(notebook)] },
    spec: {
      replicas: isStopped(notebook) ? 0 : 1,
      selector: { matchLabels: { [Labels.statefulSet]: name } },
      template: {
        metadata: { labels: { [Labels.statefulSet]: name, [Labels.notebookName]: name, ...(notebook.metadata.labels ?? {}) }, ...(Object.keys(annotations).length > 0 ? { annotations } : {}) },
        spec,
      },
    },
  };
}

/** The notebook's Jupyter token (embedded mode), from the Secret the controller made for it; undefined when there is none. */
export async function notebookToken(client: Pick<ReconcileContext['client'], 'get'>, notebook: Notebook): Promise<string | undefined> {
  let secret: KubeObject & { data?: Record<string, string> };
  try {
    secret = await client.get(SecretRef, tokenSecretName(notebook.metadata.name ?? ''), notebook.metadata.namespace);
  } catch (err) {
    if (notFound(err)) return undefined;
    throw err;
  }
  // Only the one the controller made: a user's look-alike Secret would only break their own notebook, but be exact.
  if (!secret.metadata.ownerReferences?.some((r) => r.controller === true && r.uid === notebook.metadata.uid)) return undefined;
  const value = secret.data?.[TokenSecretKey];
  return value ? Buffer.from(value, 'base64').toString('utf8') : undefined;
}

/** Whether every field of `want` is in `have` with the same value (API defaults may add fields to `have`). */
export function covers(have: unknown, want: unknown): boolean {
  if (want === undefined) return true;
  if (Array.isArray(want)) return Array.isArray(have) && have.length === want.length && want.every((w, i) => covers(have[i], w));
  if (want !== null && typeof want === 'object') {
    if (have === null || typeof have !== 'object' || Array.isArray(have)) return false;
    return Object.entries(want as Record<string, unknown>).every(([k, v]) => covers((have as Record<string, unknown>)[k], v));
  }
  return have === want;
}

/**
 * The Notebook's status, as upstream writes it: Pod `<name>-0`'s conditions (a missing lastProbeTime or
 * lastTransitionTime becomes the time it was first copied), the StatefulSet's readyReplicas, and the state of the
 * container named after the Notebook.
 */
export function notebookStatus(notebook: Notebook, sts: StatefulSet | undefined, pod: Pod | undefined, now: Date): NotebookStatus {
  const readyReplicas = sts?.status?.readyReplicas ?? 0;
  if (!pod?.status) return { conditions: [], readyReplicas, containerState: {} };
  const previous = notebook.status?.conditions ?? [];
  const stamp = kubeTime(now.getTime());
  const conditions = (pod.status.conditions ?? []).map((c) => {
    const before = previous.find((p) => p.type === c.type && p.status === c.status);
    return {
      type: c.type,
      status: c.status,
      ...(c.reason ? { reason: c.reason } : {}),
      ...(c.message ? { message: c.message } : {}),
      lastProbeTime: c.lastProbeTime ?? before?.lastProbeTime ?? stamp,
      lastTransitionTime: c.lastTransitionTime ?? before?.lastTransitionTime ?? stamp,
    };
  });
  const state: ContainerState = pod.status.containerStatuses?.find((s) => s.name === notebook.metadata.name)?.state ?? {};
  return { conditions, readyReplicas, containerState: state };
}

export class NotebookReconciler implements Reconciler {
  private readonly addFsGroup: boolean;
  private readonly clock: Clock;

  constructor(options: NotebookControllerOptions = {}) {
    this.addFsGroup = options.addFsGroup ?? true;
    this.clock = options.clock ?? realClock();
  }

  async reconcile(ctx: ReconcileContext, request: Request): Promise<void> {
    let notebook: Notebook;
    try {
      notebook = await ctx.client.get<Notebook>(NotebookRef, request.name, request.namespace);
    } catch (err) {
      if (notFound(err)) return;
      throw err;
    }
    // Children go with the Notebook through their ownerReferences; upstream keeps no finalizer.
    if (notebook.metadata.deletionTimestamp) return;
    const service = await this.ensureService(ctx, notebook);
    const hostPort = hostPorts(service)[servicePortName(notebook)];
    // Embedded: Jupyter on a loopback port every local process can reach gets a token only the route and culler send.
    const tokenSecret = hostPort !== undefined ? await this.ensureTokenSecret(ctx, notebook) : undefined;
    const sts = await this.ensureStatefulSet(ctx, notebook, hostPort, tokenSecret);
    let pod: Pod | undefined;
    try {
      pod = await ctx.client.get<Pod>(PodRef, `${request.name}-0`, request.namespace);
    } catch (err) {
      if (!notFound(err)) throw err;
    }
    const status = notebookStatus(notebook, sts, pod, new Date(this.clock.now()));
    if (pod && !pod.status?.containerStatuses?.some((s) => s.name === notebook.metadata.name)) {
      ctx.log.debug({ pod: pod.metadata.name }, 'no container of the notebook pod is named after the notebook: containerState stays empty');
    }
    if (JSON.stringify(status) !== JSON.stringify(notebook.status)) await ctx.client.updateStatus<Notebook>({ ...notebook, status });
  }

  private async ensureService(ctx: ReconcileContext, notebook: Notebook): Promise<Service> {
    const name = notebook.metadata.name ?? '';
    let have: Service | undefined;
    try {
      have = await ctx.client.get<Service>(ServiceRef, name, notebook.metadata.namespace);
    } catch (err) {
      if (!notFound(err)) throw err;
    }
    if (!have) {
      ctx.log.info({ service: name }, 'creating the notebook service');
      have = await ctx.client.create(desiredService(notebook));
    }
    // Embedded mode: the Service was given a loopback host port at admission; the notebook listens there.
    const want = desiredService(notebook, hostPorts(have)[servicePortName(notebook)]);
    if (!covers(have.spec?.selector, want.spec?.selector) || !covers(have.spec?.ports, want.spec?.ports)) {
      have = await ctx.client.update<Service>({ ...have, spec: { ...have.spec, selector: want.spec?.selector ?? {}, ports: want.spec?.ports ?? [] } });
    }
    return have;
  }

  private async ensureTokenSecret(ctx: ReconcileContext, notebook: Notebook): Promise<string> {
    const name = tokenSecretName(notebook.metadata.name ?? '');
    try {
      await ctx.client.get(SecretRef, name, notebook.metadata.namespace);
    } catch (err) {
      if (!notFound(err)) throw err;
      const token = randomBytes(24).toString('hex');
      await ctx.client.create({
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name, namespace: notebook.metadata.namespace ?? '', labels: { [Labels.notebookName]: notebook.metadata.name ?? '' }, ownerReferences: [controllerReference(notebook)] },
        type: 'Opaque',
        data: { [TokenSecretKey]: Buffer.from(token).toString('base64') },
      });
    }
    return name;
  }

  private async ensureStatefulSet(ctx: ReconcileContext, notebook: Notebook, hostPort: number | undefined, tokenSecret: string | undefined): Promise<StatefulSet> {
    const want = desiredStatefulSet(notebook, { addFsGroup: this.addFsGroup, ...(hostPort !== undefined ? { hostPort } : {}), ...(tokenSecret ? { tokenSecret } : {}) });
    let have: StatefulSet | undefined;
    try {
      have = await ctx.client.get<StatefulSet>(StatefulSetRef, want.metadata.name ?? '', want.metadata.namespace);
    } catch (err) {
      if (!notFound(err)) throw err;
    }
    if (!have) {
      ctx.log.info({ statefulSet: want.metadata.name }, 'creating the notebook statefulset');
      return ctx.client.create(want);
    }
    // Upstream's CopyStatefulSetFields: replicas and the Pod spec follow the Notebook.
    if (have.spec.replicas !== want.spec.replicas || !covers(have.spec.template.spec, want.spec.template.spec)) {
      return ctx.client.update<StatefulSet>({ ...have, spec: { ...have.spec, replicas: want.spec.replicas ?? 1, template: { ...have.spec.template, spec: want.spec.template.spec } } });
    }
    return have;
  }
}

/** Upstream's event re-emission: a Pod's or StatefulSet's Event shows on its Notebook as `Reissued from pod/<name>: …`. */
export class NotebookEventReconciler implements Reconciler {
  private readonly owners: (event: KubeEvent) => Notebook | undefined;

  constructor(owners: (event: KubeEvent) => Notebook | undefined) {
    this.owners = owners;
  }

  async reconcile(ctx: ReconcileContext, request: Request): Promise<void> {
    let event: KubeEvent;
    try {
      event = await ctx.client.get<KubeEvent>(EventRef, request.name, request.namespace);
    } catch (err) {
      if (notFound(err)) return;
      throw err;
    }
    const notebook = this.owners(event);
    if (!notebook) return;
    const kind = event.involvedObject.kind.toLowerCase();
    ctx.recorder.event(notebook, event.type === 'Warning' ? 'Warning' : 'Normal', event.reason, `Reissued from ${kind}/${event.involvedObject.name}: ${event.message}`);
  }
}

export function addNotebookControllers(manager: Manager, options: NotebookControllerOptions = {}): void {
  const notebooks = manager.informers.informerFor<Notebook>(NotebookRef);
  const pods = manager.informers.informerFor<Pod>(PodRef);
  manager
    .controller('notebook-controller')
    .for(NotebookRef)
    .owns(StatefulSetRef)
    .owns(ServiceRef)
    .watches<Pod>(PodRef, (pod) => {
      const name = pod.metadata.labels?.[Labels.notebookName];
      return name ? [{ namespace: pod.metadata.namespace ?? '', name }] : [];
    })
    .withConcurrency(2)
    .complete(new NotebookReconciler(options));
  // The Notebook an Event is about: a notebook Pod's (by its notebook-name label) or a notebook's StatefulSet's.
  const owner = (event: KubeEvent): Notebook | undefined => {
    const { kind, name, namespace = '' } = event.involvedObject;
    if (kind === 'Pod') {
      const label = pods.get(name, namespace)?.metadata.labels?.[Labels.notebookName];
      return label ? notebooks.get(label, namespace) : undefined;
    }
    if (kind === 'StatefulSet') return notebooks.get(name, namespace);
    return undefined;
  };
  manager
    .controller('notebook-events')
    .for<KubeEvent>(EventRef, { predicates: [(e) => e.type !== 'delete' && owner(e.object) !== undefined] })
    .complete(new NotebookEventReconciler(owner));
}
