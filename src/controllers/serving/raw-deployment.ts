// KServe's raw deployment mode (`serving.kserve.io/deploymentMode: RawDeployment`, or `Standard` as newer KServe
// names it): the predictor as a Deployment `<isvc>-predictor` behind a Service of the same name, and a
// HorizontalPodAutoscaler when the predictor asks to scale; the Deployment controller makes the Pods.
import { createHash } from 'node:crypto';
import { FloeError } from '../../api/errors.js';
import { hostPorts } from '../../api/host-ports.js';
import { PodRef, ServiceRef, type ContainerSpec, type Pod, type Service, type Volume } from '../../api/core-v1.js';
import type { KubeObject } from '../../api/meta.js';
import { controllerReference, isControlledBy, type ReconcileContext } from '../../controller/index.js';
import type { InferenceService, PredictorSpec } from './types.js';

export const DeploymentRef = { apiVersion: 'apps/v1', kind: 'Deployment' } as const;
export const HorizontalPodAutoscalerRef = { apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler' } as const;

/** On the Deployment: the hash of the Pod template this controller last wrote (a change rolls the Deployment). */
export const TemplateHashAnnotation = 'serving.floe.dev/template-hash';

export const isRawMode = (mode: string | undefined): boolean => mode === 'RawDeployment' || mode === 'Standard';

interface Deployment extends KubeObject {
  spec: { replicas?: number; strategy?: { type: string }; selector: { matchLabels: Record<string, string> }; template: { metadata: { labels: Record<string, string>; annotations?: Record<string, string> }; spec: Record<string, unknown> } };
  status?: { replicas?: number; readyReplicas?: number; availableReplicas?: number; updatedReplicas?: number };
}

interface Hpa extends KubeObject {
  spec: { scaleTargetRef: { apiVersion: string; kind: string; name: string }; minReplicas: number; maxReplicas: number; metrics: unknown[] };
}

export interface RawPredictor {
  /** The predictor container as Knative mode would run it (ports still the container's own). */
  container: ContainerSpec;
  volumes: Volume[];
  /** The container's ports, the first the HTTP one. */
  ports: number[];
  /** Host folder mounted at /mnt/models. */
  models?: string;
  /** Rewrites the container's ports to the host ports the Service got (embedded mode: Pods share the host network). */
  localize(container: ContainerSpec, mapping: Map<number, number>): ContainerSpec;
  podFailure(pod: Pod): string | undefined;
}

export interface RawOutcome {
  ready: boolean;
  /** Where the ingress reaches the predictor: the Service's host port (embedded mode), else its cluster DNS name. */
  endpoint?: string;
  replicas?: number;
  message?: string;
  failed?: string;
}

/** `isvc.<name>-predictor`, KServe's `app` label on the raw Deployment's Pods and its Service's selector. */
const appLabel = (isvc: string): string => `isvc.${isvc}-predictor`;

/** The Deployment, Service and (when asked) HPA of a raw-mode predictor, brought to what the InferenceService says. */
export async function rawDeployment(ctx: ReconcileContext, isvc: InferenceService, predictor: RawPredictor): Promise<RawOutcome> {
  const namespace = isvc.metadata.namespace ?? '';
  const isvcName = isvc.metadata.name ?? '';
  const name = `${isvcName}-predictor`;
  const spec: PredictorSpec = isvc.spec.predictor ?? {};
  const selector = { app: appLabel(isvcName) };
  const labels = { ...(isvc.metadata.labels ?? {}), ...(spec.labels ?? {}), ...selector, 'serving.kserve.io/inferenceservice': isvcName, component: 'predictor' };
  const owner = [controllerReference(isvc)];

  let service = await getOrUndefined<Service>(ctx, ServiceRef, name, namespace);
  if (!service) {
    service = await ctx.client.create<Service>({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name, namespace, labels, ownerReferences: owner },
      spec: { selector, ports: predictor.ports.map((p, k) => ({ name: k === 0 ? 'http' : `port-${p}`, port: k === 0 ? 80 : p, targetPort: p, protocol: 'TCP' })) },
    });
  }
  const assigned = hostPorts(service);
  const local = assigned['http'] !== undefined;
  const mapping = new Map(predictor.ports.map((p, k) => [p, assigned[k === 0 ? 'http' : `port-${p}`] ?? p]));
  const container = local ? predictor.localize(predictor.container, mapping) : predictor.container;
  const podSpec = {
    containers: [predictor.models ? { ...container, volumeMounts: [...(container.volumeMounts ?? []), { name: 'kserve-provision-location', mountPath: '/mnt/models', readOnly: true }] } : container],
    volumes: [...predictor.volumes, ...(predictor.models ? [{ name: 'kserve-provision-location', hostPath: { path: predictor.models } }] : [])],
    ...(spec.serviceAccountName ? { serviceAccountName: spec.serviceAccountName } : {}),
  };
  const template = { metadata: { labels, ...(spec.annotations ? { annotations: spec.annotations } : {}) }, spec: podSpec };
  const hash = createHash('sha256').update(JSON.stringify(template)).digest('hex').slice(0, 16);

  // Replicas: minReplicas (1 unless given); an HPA, when there is one, owns the count after creation.
  const min = spec.minReplicas ?? 1;
  const max = Math.max(min, spec.maxReplicas ?? min);
  const autoscale = (spec.maxReplicas !== undefined && max > Math.max(1, min)) || spec.scaleMetric !== undefined || spec.scaleTarget !== undefined;
  let deployment = await getOrUndefined<Deployment>(ctx, DeploymentRef, name, namespace);
  if (!deployment) {
    deployment = await ctx.client.create<Deployment>({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name, namespace, labels, annotations: { [TemplateHashAnnotation]: hash }, ownerReferences: owner },
      // On one machine the Pods share the host's network, so the Service's host port: a new Pod can only listen once
      // the old one is gone (Recreate). On a cluster, KServe's RollingUpdate default.
      spec: { replicas: min, selector: { matchLabels: selector }, template, ...(local ? { strategy: { type: 'Recreate' } } : {}) },
    });
  } else if (deployment.metadata.annotations?.[TemplateHashAnnotation] !== hash || (!autoscale && deployment.spec.replicas !== min)) {
    // A new template rolls out as the Deployment controller does it; without an HPA the count follows minReplicas.
    deployment = await ctx.client.update<Deployment>({
      ...deployment,
      metadata: { ...deployment.metadata, annotations: { ...(deployment.metadata.annotations ?? {}), [TemplateHashAnnotation]: hash } },
      spec: { ...deployment.spec, ...(autoscale ? {} : { replicas: min }), template },
    });
  }

  const hpa = await getOrUndefined<Hpa>(ctx, HorizontalPodAutoscalerRef, name, namespace);
  if (autoscale) {
    const metric = spec.scaleMetric === 'memory' ? 'memory' : 'cpu';
    if ((spec.scaleMetric === 'concurrency' || spec.scaleMetric === 'rps') && !hpa) {
      ctx.recorder.event(isvc, 'Warning', 'ScaleMetricNotSupported', `scaleMetric ${spec.scaleMetric} needs KEDA in raw mode, as in KServe; the HPA scales on cpu`);
    }
    const desired: Hpa['spec'] = {
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name },
      minReplicas: Math.max(1, min),
      maxReplicas: Math.max(1, max),
      metrics: [{ type: 'Resource', resource: { name: metric, target: { type: 'Utilization', averageUtilization: spec.scaleTarget ?? 80 } } }],
    };
    if (!hpa) await ctx.client.create<Hpa>({ apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler', metadata: { name, namespace, labels, ownerReferences: owner }, spec: desired });
    else if (JSON.stringify(hpa.spec) !== JSON.stringify({ ...hpa.spec, ...desired })) await ctx.client.update<Hpa>({ ...hpa, spec: { ...hpa.spec, ...desired } });
  } else if (hpa && isControlledBy(hpa, isvc)) {
    await ctx.client.delete(HorizontalPodAutoscalerRef, name, namespace).catch(ignoreNotFound);
  }

  const endpoint = local ? `http://127.0.0.1:${assigned['http']!}` : `http://${name}.${namespace}.svc.cluster.local`;
  const available = deployment.status?.availableReplicas ?? 0;
  if (available > 0 && deployment.metadata.annotations?.[TemplateHashAnnotation] === hash) return { ready: true, endpoint, replicas: available };
  const pods = (await ctx.client.list<Pod>(PodRef, { namespace, labelSelector: `app=${appLabel(isvcName)}` })).items;
  for (const pod of pods) {
    const failure = predictor.podFailure(pod);
    if (failure) return { ready: false, failed: failure };
  }
  if (available > 0) return { ready: true, endpoint, replicas: available };
  return { ready: false, message: `Deployment ${name} has no available replica yet (${deployment.status?.readyReplicas ?? 0} ready of ${deployment.spec.replicas ?? min})` };
}

/** Takes a raw-mode predictor down (the InferenceService went back to Knative mode, or is stopped). */
rawDeployment.remove = async function remove(ctx: ReconcileContext, isvc: InferenceService): Promise<void> {
  const namespace = isvc.metadata.namespace ?? '';
  const name = `${isvc.metadata.name ?? ''}-predictor`;
  for (const ref of [HorizontalPodAutoscalerRef, DeploymentRef, ServiceRef]) {
    const object = await getOrUndefined<KubeObject>(ctx, ref, name, namespace);
    if (object && isControlledBy(object, isvc)) await ctx.client.delete(ref, name, namespace).catch(ignoreNotFound);
  }
};

async function getOrUndefined<T extends KubeObject>(ctx: ReconcileContext, ref: { apiVersion: string; kind: string }, name: string, namespace: string): Promise<T | undefined> {
  try {
    return await ctx.client.get<T>(ref, name, namespace);
  } catch (err) {
    if (err instanceof FloeError && err.reason === 'NotFound') return undefined;
    throw err;
  }
}

const ignoreNotFound = (err: unknown): void => {
  if (!(err instanceof FloeError && err.reason === 'NotFound')) throw err;
};
