// Kubeflow's Tensorboard (tensorboard.kubeflow.org/v1alpha1): the CRD, the controller (a Deployment and a Service per
// Tensorboard, as kubeflow/notebooks' tensorboard-controller makes them) and `/tensorboard/<ns>/<name>/` on Floe's front
// door, which is what upstream's VirtualService is (prefix rewritten to `/`).
import type { IncomingMessage, ServerResponse } from 'node:http';
import { PodRef, ServiceRef, type Pod, type PodSpec, type Service, type Volume, type VolumeMount } from '../../api/core-v1.js';
import { FloeError } from '../../api/errors.js';
import { hostPorts, HostPortsAnnotation, serviceAddress } from '../../api/host-ports.js';
import type { KubeObject } from '../../api/meta.js';
import type { Client } from '../../client/client.js';
import { controllerReference, type CapabilityMode, type Manager, type ReconcileContext, type Route } from '../../controller/index.js';
import { DeploymentRef, type Deployment } from '../apps/deployment-util.js';
import { NotebookProxy, type NotebookTarget } from './route.js';

export const TensorboardGroup = 'tensorboard.kubeflow.org';
export const TensorboardRef = { apiVersion: 'tensorboard.kubeflow.org/v1alpha1', kind: 'Tensorboard' } as const;
const ClaimRef = { apiVersion: 'v1', kind: 'PersistentVolumeClaim' } as const;
export const TensorboardPathPrefix = '/tensorboard';
/** Upstream's TENSORBOARD_IMAGE default (the controller's ConfigMap), run on a cluster with its /usr/local/bin/tensorboard. */
export const UpstreamTensorboardImage = 'tensorflow/tensorflow:2.5.1';
/** The image Floe names in embedded mode: its image table maps it to python/envs/tensorboard (`.venvs/tensorboard`). */
export const LocalTensorboardImage = 'floe/tensorboard:2.21.0';
/** Where a `pvc://` log path is mounted, as upstream mounts it. */
const PvcMountPath = '/tensorboard_logs/';
/** A plain path is read from this claim, mounted at the path itself (upstream's backwards-compatible form). */
export const LegacyClaimName = 'tb-volume';
const TensorboardPort = 6006;

export interface TensorboardCondition {
  deploymentState: string;
  lastProbeTime?: string;
}

export interface Tensorboard extends KubeObject {
  spec: { logspath: string };
  status?: { conditions: TensorboardCondition[]; readyReplicas: number };
}

const str = { type: 'string' };

/** The CRD as upstream ships it: namespaced, v1alpha1, `spec.logspath` required, status subresource. */
export function tensorboardCrds(): KubeObject[] {
  const status = {
    type: 'object',
    properties: {
      conditions: { type: 'array', items: { type: 'object', required: ['deploymentState'], properties: { deploymentState: str, lastProbeTime: { type: 'string', format: 'date-time' } } } },
      readyReplicas: { type: 'integer', format: 'int32' },
    },
  };
  return [
    {
      apiVersion: 'apiextensions.k8s.io/v1',
      kind: 'CustomResourceDefinition',
      metadata: { name: `tensorboards.${TensorboardGroup}`, labels: { 'app.kubernetes.io/part-of': 'floe', 'app.kubernetes.io/component': 'notebooks' } },
      spec: {
        group: TensorboardGroup,
        scope: 'Namespaced',
        names: { kind: 'Tensorboard', listKind: 'TensorboardList', plural: 'tensorboards', singular: 'tensorboard' },
        versions: [
          {
            name: 'v1alpha1',
            served: true,
            storage: true,
            subresources: { status: {} },
            schema: { openAPIV3Schema: { type: 'object', properties: { apiVersion: str, kind: str, metadata: { type: 'object' }, spec: { type: 'object', required: ['logspath'], properties: { logspath: str } }, status } } },
          },
        ],
      },
    },
  ];
}

// ---- planning (pure) ------------------------------------------------------------------------------------------------

/** gs://, s3:// and /cns/ paths are "cloud": TensorBoard reads them itself, nothing is mounted. */
export function isCloudPath(path: string): boolean {
  return path.startsWith('gs://') || path.startsWith('s3://') || path.startsWith('/cns/');
}

/** `pvc://<claim>/<sub/path>` → claim and sub-path ('' for the claim's root). */
export function parsePvcPath(path: string): { claim: string; subPath: string } | undefined {
  if (!path.startsWith('pvc://')) return undefined;
  const rest = path.slice('pvc://'.length);
  const slash = rest.indexOf('/');
  if (slash === -1) return { claim: rest, subPath: '' };
  return { claim: rest.slice(0, slash), subPath: rest.slice(slash + 1) };
}

export interface TensorboardPlanOptions {
  image: string;
  command: string[];
  /** The Service's loopback host port (embedded mode): TensorBoard listens there instead of 6006. */
  hostPort?: number;
  /** Upstream's RWO_PVC_SCHEDULING affinity: the node of a Running Pod that mounts a ReadWriteOnce claim. */
  preferredNode?: string;
}

/** The claim a Tensorboard reads its logs from, or undefined for a cloud path. */
export function logsClaim(tb: Tensorboard): string | undefined {
  const path = tb.spec.logspath;
  if (isCloudPath(path)) return undefined;
  return parsePvcPath(path)?.claim ?? LegacyClaimName;
}

/** Upstream's generateDeployment: one replica of container `tensorboard` reading `--logdir`, with the claim mounted read-only. */
export function planDeployment(tb: Tensorboard, options: TensorboardPlanOptions): Deployment {
  const name = tb.metadata.name ?? '';
  const path = tb.spec.logspath;
  let mountPath = path;
  const volumeMounts: VolumeMount[] = [];
  const volumes: Volume[] = [];
  if (!isCloudPath(path)) {
    const pvc = parsePvcPath(path);
    if (pvc) mountPath = PvcMountPath;
    volumeMounts.push({ name: 'tbpd', readOnly: true, mountPath, ...(pvc?.subPath ? { subPath: pvc.subPath } : {}) });
    volumes.push({ name: 'tbpd', persistentVolumeClaim: { claimName: pvc?.claim ?? LegacyClaimName } });
  } else if (path.startsWith('gs://')) {
    volumeMounts.push({ name: 'gcp-creds', readOnly: true, mountPath: '/secret/gcp' });
    volumes.push({ name: 'gcp-creds', secret: { secretName: 'user-gcp-sa' } });
  }
  // The Tensorboard's labels reach the Pod (PodDefaults select on them), with `app: <name>`.
  const podLabels = { ...(tb.metadata.labels ?? {}), app: name };
  const affinity = options.preferredNode
    ? { nodeAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 100, preference: { matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'In', values: [options.preferredNode] }] } }] } }
    : {};
  const spec: Record<string, unknown> = {
    affinity,
    restartPolicy: 'Always',
    containers: [
      {
        name: 'tensorboard',
        image: options.image,
        imagePullPolicy: 'IfNotPresent',
        command: options.command,
        workingDir: '/',
        args: [`--logdir=${mountPath}`, '--bind_all', ...(options.hostPort !== undefined ? [`--port=${options.hostPort}`] : [])],
        ports: [{ containerPort: TensorboardPort }],
        volumeMounts,
      },
    ],
    volumes,
  };
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: tb.metadata.namespace ?? '', ownerReferences: [controllerReference(tb)] },
    spec: { replicas: 1, selector: { matchLabels: { app: name } }, template: { metadata: { labels: podLabels }, spec: spec as unknown as PodSpec } },
  };
}

/** Upstream's generateService: ClusterIP, port `http-<name>` 80 → 6006. */
export function planService(tb: Tensorboard): Service {
  const name = tb.metadata.name ?? '';
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace: tb.metadata.namespace ?? '', ownerReferences: [controllerReference(tb)] },
    spec: { type: 'ClusterIP', selector: { app: name }, ports: [{ name: `http-${name}`, port: 80, targetPort: TensorboardPort }] },
  };
}

/**
 * The next status: the Deployment's first condition appended when its type differs from the last one recorded,
 * and readyReplicas mirrored (upstream's reconcile tail).
 */
export function nextStatus(tb: Tensorboard, deployment: Deployment): { conditions: TensorboardCondition[]; readyReplicas: number } {
  const conditions = [...(tb.status?.conditions ?? [])];
  const first = deployment.status?.conditions?.[0];
  if (first) {
    const last = conditions[conditions.length - 1];
    if (!last || last.deploymentState !== first.type) conditions.push({ deploymentState: first.type, ...(first.lastUpdateTime ? { lastProbeTime: first.lastUpdateTime } : {}) });
  }
  return { conditions, readyReplicas: deployment.status?.readyReplicas ?? 0 };
}

// ---- the controller -------------------------------------------------------------------------------------------------

export interface TensorboardControllerOptions {
  /** TENSORBOARD_IMAGE; Floe's local image in embedded mode, upstream's on a cluster. */
  image?: string;
  /** The container's command: `tensorboard` from the image table's environment locally, upstream's path on a cluster. */
  command?: string[];
  /** RWO_PVC_SCHEDULING (upstream's manifests set "True"). */
  rwoPvcScheduling?: boolean;
}

const notFound = (err: unknown): boolean => err instanceof FloeError && err.reason === 'NotFound';

async function getOrUndefined<T extends KubeObject>(client: Client, ref: { apiVersion: string; kind: string }, name: string, namespace: string): Promise<T | undefined> {
  try {
    return await client.get<T>(ref, name, namespace);
  } catch (err) {
    if (notFound(err)) return undefined;
    throw err;
  }
}

interface Claim extends KubeObject {
  status?: { accessModes?: string[] };
}

class TensorboardReconciler {
  private readonly settings: Required<TensorboardControllerOptions>;

  constructor(settings: Required<TensorboardControllerOptions>) {
    this.settings = settings;
  }

  async reconcile(ctx: ReconcileContext, request: { namespace: string; name: string }): Promise<void> {
    const tb = await getOrUndefined<Tensorboard>(ctx.client, TensorboardRef, request.name, request.namespace);
    // Foreground deletion keeps the Tensorboard while its children go: recreating them would fight the API server.
    if (!tb || tb.metadata.deletionTimestamp) return;
    const namespace = request.namespace;
    const name = request.name;
    // The Service first (upstream makes it second): in embedded mode TensorBoard must listen on its loopback port.
    const wantedService = planService(tb);
    let service = await getOrUndefined<Service>(ctx.client, ServiceRef, name, namespace);
    if (!service) service = await ctx.client.create(wantedService);
    else if (JSON.stringify(service.spec?.selector) !== JSON.stringify(wantedService.spec?.selector) || !samePorts(service, wantedService)) {
      // Upstream copies labels, annotations, selector and ports; Floe keeps its host-port annotation.
      const kept = service.metadata.annotations?.[HostPortsAnnotation];
      service = await ctx.client.update<Service>({
        ...service,
        metadata: { ...service.metadata, labels: {}, annotations: kept ? { [HostPortsAnnotation]: kept } : {} },
        spec: { ...service.spec, selector: wantedService.spec?.selector ?? {}, ports: wantedService.spec?.ports ?? [] },
      });
    }
    const hostPort = hostPorts(service)[`http-${name}`];
    const claim = logsClaim(tb);
    let preferredNode: string | undefined;
    if (claim !== undefined && this.settings.rwoPvcScheduling) {
      const pvc = await getOrUndefined<Claim>(ctx.client, ClaimRef, claim, namespace);
      // Upstream fails the reconcile (and retries) while the claim is missing.
      if (!pvc) throw new Error(`Get PersistentVolumeClaim error: persistentvolumeclaims "${claim}" not found`);
      if (pvc.status?.accessModes?.[0] === 'ReadWriteOnce') {
        const pods = (await ctx.client.list<Pod>(PodRef, { namespace })).items;
        const running = pods.find((p) => p.status?.phase === 'Running' && (p.spec.volumes ?? []).some((v) => v.persistentVolumeClaim?.claimName === claim));
        preferredNode = running?.spec.nodeName || undefined;
      }
    }
    if (isCloudPath(tb.spec.logspath) && this.settings.image === LocalTensorboardImage) {
      ctx.recorder.event(tb, 'Warning', 'CloudLogsPath', `logspath ${tb.spec.logspath} is cloud storage: Floe's tensorboard environment reads local and PVC log directories only, so TensorBoard will show no runs`);
    }
    const wanted = planDeployment(tb, { image: this.settings.image, command: this.settings.command, ...(hostPort !== undefined ? { hostPort } : {}), ...(preferredNode ? { preferredNode } : {}) });
    let deployment = await getOrUndefined<Deployment>(ctx.client, DeploymentRef, name, namespace);
    if (!deployment) {
      deployment = await ctx.client.create(wanted);
    } else if (copyDeploymentFields(wanted, deployment)) {
      deployment = await ctx.client.update(deployment);
    }
    const status = nextStatus(tb, deployment);
    if (JSON.stringify(status) !== JSON.stringify({ conditions: tb.status?.conditions ?? [], readyReplicas: tb.status?.readyReplicas ?? 0 }) || tb.status === undefined) {
      await ctx.client.updateStatus<Tensorboard>({ ...tb, status });
    }
  }
}

function samePorts(have: Service, want: Service): boolean {
  const a = (have.spec?.ports ?? []).map((p) => [p.name ?? '', p.port, String(p.targetPort ?? p.port)]);
  const b = (want.spec?.ports ?? []).map((p) => [p.name ?? '', p.port, String(p.targetPort ?? p.port)]);
  return JSON.stringify(a) === JSON.stringify(b);
}

/** Upstream's CopyDeploymentSetFields: labels, replicas and the Pod's affinity; true when the stored one must change. */
function copyDeploymentFields(from: Deployment, to: Deployment): boolean {
  let update = false;
  for (const [k, v] of Object.entries(to.metadata.labels ?? {})) if (from.metadata.labels?.[k] !== v) update = true;
  to.metadata.labels = from.metadata.labels ?? {};
  if ((from.spec.replicas ?? 1) !== (to.spec.replicas ?? 1)) {
    to.spec.replicas = from.spec.replicas ?? 1;
    update = true;
  }
  const fromAffinity = (from.spec.template.spec as unknown as Record<string, unknown>).affinity ?? {};
  const toSpec = to.spec.template.spec as unknown as Record<string, unknown>;
  if (JSON.stringify(toSpec.affinity ?? {}) !== JSON.stringify(fromAffinity)) {
    toSpec.affinity = fromAffinity;
    update = true;
  }
  return update;
}

/** The controller's settings by mode: Floe's local TensorBoard embedded, upstream's image and command on a cluster. */
export function tensorboardSettings(mode: CapabilityMode, options: TensorboardControllerOptions = {}): Required<TensorboardControllerOptions> {
  const local = mode === 'embedded';
  return {
    image: options.image ?? (local ? LocalTensorboardImage : UpstreamTensorboardImage),
    command: options.command ?? (local ? ['tensorboard'] : ['/usr/local/bin/tensorboard']),
    rwoPvcScheduling: options.rwoPvcScheduling ?? true,
  };
}

/** Adds the tensorboard controller: For(Tensorboard), Owns(Deployment), as upstream's SetupWithManager. */
export function addTensorboardController(manager: Manager, ctx: { mode: CapabilityMode }, options: TensorboardControllerOptions = {}): void {
  const reconciler = new TensorboardReconciler(tensorboardSettings(ctx.mode, options));
  manager.controller('tensorboard-controller').for(TensorboardRef).owns(DeploymentRef).complete({ reconcile: (c, r) => reconciler.reconcile(c, r) });
}

// ---- the route ------------------------------------------------------------------------------------------------------

/** `/tensorboard/<ns>/<name>/<rest>` → its parts. */
export function parseTensorboardPath(pathname: string): { namespace: string; name: string; rest: string } | undefined {
  if (!pathname.startsWith(`${TensorboardPathPrefix}/`)) return undefined;
  const [namespace = '', name = '', ...rest] = pathname.slice(TensorboardPathPrefix.length + 1).split('/');
  if (!namespace || !name) return undefined;
  try {
    return { namespace: decodeURIComponent(namespace), name: decodeURIComponent(name), rest: rest.join('/') };
  } catch {
    return undefined;
  }
}

/**
 * The notebook route's proxy (HTTP forwarding, headers, errors) with another target: the Tensorboard's Service, the
 * matched prefix rewritten to `/` as upstream's VirtualService does. Requests reach it as `/notebook/<ns>/<name>/…`
 * paths (see `tensorboardRoute`), which `target` maps back.
 */
class TensorboardProxy extends NotebookProxy {
  private readonly tbClient: Client;
  private readonly domain: string;

  constructor(tbClient: Client, clusterDomain: string) {
    super({ client: tbClient, clusterDomain });
    this.tbClient = tbClient;
    this.domain = clusterDomain;
  }

  override async target(namespace: string, name: string, pathWithQuery: string): Promise<NotebookTarget> {
    const tb = await getOrUndefined<Tensorboard>(this.tbClient, TensorboardRef, name, namespace);
    if (!tb) throw new FloeError('NotFound', `tensorboards.${TensorboardGroup} "${name}" not found in namespace "${namespace}"`);
    const service = await getOrUndefined<Service>(this.tbClient, ServiceRef, name, namespace);
    const port = service?.spec?.ports?.find((p) => p.name === `http-${name}`) ?? service?.spec?.ports?.[0];
    if (!service || !port) throw new FloeError('ServiceUnavailable', `Tensorboard ${namespace}/${name} has no Service yet`);
    const address = serviceAddress(service, port, `${name}.${namespace}.svc.${this.domain}`);
    const prefix = `/notebook/${encodeURIComponent(namespace)}/${encodeURIComponent(name)}/`;
    const path = pathWithQuery.startsWith(prefix) ? `/${pathWithQuery.slice(prefix.length)}` : pathWithQuery;
    return { host: address.host, port: address.port, path, headers: {} };
  }
}

/** `/tensorboard/`: authorized as `get` on the Tensorboard (a Profile's viewers and editors may). */
export function tensorboardRoute(options: { client: Client; clusterDomain?: string }): Route {
  const proxy = new TensorboardProxy(options.client, options.clusterDomain ?? 'cluster.local');
  const asNotebookUrl = (url: URL, parsed: { namespace: string; name: string; rest: string }): URL =>
    new URL(`/notebook/${encodeURIComponent(parsed.namespace)}/${encodeURIComponent(parsed.name)}/${parsed.rest}${url.search}`, url);
  return {
    prefix: `${TensorboardPathPrefix}/`,
    access: {
      kind: 'resource',
      attributes: (_req, url) => {
        const parsed = parseTensorboardPath(url.pathname);
        return { verb: 'get', group: TensorboardGroup, resource: 'tensorboards', ...(parsed ? { namespace: parsed.namespace, name: parsed.name } : {}) };
      },
    },
    // TensorBoard's own page POSTs FormData (the time-series and scalars plugins read `request.form`): without the form
    // types its dashboards stay empty. Those POSTs only read; the front door's Origin check still refuses other sites.
    bodyTypes: ['application/json', 'multipart/form-data', 'application/x-www-form-urlencoded'],
    async handle(req: IncomingMessage, res: ServerResponse, url: URL) {
      const parsed = parseTensorboardPath(url.pathname);
      if (!parsed) return false;
      // Istio matches `/tensorboard/<ns>/<name>/`: the bare name gets its slash.
      if (parsed.rest === '' && !url.pathname.endsWith('/')) {
        res.writeHead(301, { location: `${url.pathname}/${url.search}` });
        res.end();
        return true;
      }
      return proxy.handle(req, res, asNotebookUrl(url, parsed));
    },
  };
}
