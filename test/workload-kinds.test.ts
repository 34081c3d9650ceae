// Workload and platform kinds (apps/v1, CronJob, HPA v1/v2, PDB, PV, RC, PodTemplate, StorageClass, networking,
// PriorityClass): the same requests to Floe and to the real kube-apiserver 1.32 — defaults of valid objects, status
// codes and causes of invalid ones, discovery entries, printer columns and the scale subresource must agree.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { defaultConfig } from '../src/server/config.js';
import { startFloe } from '../src/server/floe.js';
import { controlPlaneUnavailable, startControlPlane } from './helpers/control-plane.js';

type Json = Record<string, unknown>;

interface Reply {
  status: number;
  json: Json;
  text: string;
}

interface Target {
  name: string;
  request(method: string, path: string, body?: unknown, contentType?: string, accept?: string): Promise<Reply>;
  stop(): Promise<void>;
}

function send(req: (cb: (res: import('node:http').IncomingMessage) => void) => import('node:http').ClientRequest, body: unknown): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const r = req((res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let json: Json = {};
        try {
          json = JSON.parse(text) as Json;
        } catch {
          json = {};
        }
        resolve({ status: res.statusCode ?? 0, json, text });
      });
    });
    r.on('error', reject);
    r.end(body === undefined ? undefined : JSON.stringify(body));
  });
}

function headersFor(body: unknown, contentType: string | undefined, accept: string | undefined, extra: Record<string, string>): Record<string, string> {
  const headers: Record<string, string> = { ...extra, accept: accept ?? 'application/json' };
  if (body !== undefined) headers['content-type'] = contentType ?? 'application/json';
  return headers;
}

async function floeTarget(): Promise<Target> {
  const dataDir = await mkdtemp(join(tmpdir(), 'floe-workload-kinds-'));
  const floe = await startFloe({ ...defaultConfig(), dataDir, port: 0, logLevel: 'silent' });
  return {
    name: 'floe',
    request: (method, path, body, contentType, accept) =>
      send((cb) => httpRequest({ host: '127.0.0.1', port: floe.port, method, path, headers: headersFor(body, contentType, accept, {}) }, cb), body),
    async stop() {
      await floe.stop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

async function kubeTarget(): Promise<Target> {
  const plane = await startControlPlane();
  const config = parseYaml(await readFile(plane.kubeconfig, 'utf8')) as {
    clusters: { cluster: { server: string; 'certificate-authority-data': string } }[];
    users: { user: { token: string } }[];
  };
  const ca = Buffer.from(config.clusters[0]!.cluster['certificate-authority-data'], 'base64').toString('utf8');
  const auth = { authorization: `Bearer ${config.users[0]!.user.token}` };
  const url = new URL(config.clusters[0]!.cluster.server);
  return {
    name: 'kube-apiserver',
    request: (method, path, body, contentType, accept) =>
      send((cb) => httpsRequest({ host: url.hostname, port: Number(url.port), method, path, ca, headers: headersFor(body, contentType, accept, auth) }, cb), body),
    stop: () => plane.stop(),
  };
}

// ---- manifests ----------------------------------------------------------------------------------------------------

const labels = { app: 'web' };
const container = { name: 'main', image: 'nginx:1.27' };
const podTemplate = (spec: Json = {}): Json => ({ metadata: { labels }, spec: { containers: [container], ...spec } });
const meta = (name: string): Json => ({ name });

const deployment = (name: string, spec: Json = {}): Json => ({
  apiVersion: 'apps/v1', kind: 'Deployment', metadata: meta(name), spec: { selector: { matchLabels: labels }, template: podTemplate(), ...spec },
});
const replicaSet = (name: string, spec: Json = {}): Json => ({
  apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: meta(name), spec: { selector: { matchLabels: labels }, template: podTemplate(), ...spec },
});
const statefulSet = (name: string, spec: Json = {}): Json => ({
  apiVersion: 'apps/v1', kind: 'StatefulSet', metadata: meta(name), spec: { serviceName: 'web', selector: { matchLabels: labels }, template: podTemplate(), ...spec },
});
const daemonSet = (name: string, spec: Json = {}): Json => ({
  apiVersion: 'apps/v1', kind: 'DaemonSet', metadata: meta(name), spec: { selector: { matchLabels: labels }, template: podTemplate(), ...spec },
});
const jobTemplate = (podSpec: Json = { restartPolicy: 'OnFailure' }): Json => ({ spec: { template: { spec: { containers: [container], ...podSpec } } } });
const cronJob = (name: string, spec: Json = {}): Json => ({
  apiVersion: 'batch/v1', kind: 'CronJob', metadata: meta(name), spec: { schedule: '*/5 * * * *', jobTemplate: jobTemplate(), ...spec },
});
const hpa = (name: string, spec: Json = {}): Json => ({
  apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler', metadata: meta(name),
  spec: { scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' }, maxReplicas: 5, ...spec },
});
const pdb = (name: string, spec: Json = {}): Json => ({ apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', metadata: meta(name), spec: { selector: { matchLabels: labels }, ...spec } });
const pv = (name: string, spec: Json = {}): Json => ({
  apiVersion: 'v1', kind: 'PersistentVolume', metadata: meta(name), spec: { capacity: { storage: '1Gi' }, accessModes: ['ReadWriteOnce'], hostPath: { path: '/tmp/pv' }, ...spec },
});
const rc = (name: string, spec: Json = {}): Json => ({ apiVersion: 'v1', kind: 'ReplicationController', metadata: meta(name), spec: { template: podTemplate(), ...spec } });
const storageClass = (name: string, extra: Json = {}): Json => ({ apiVersion: 'storage.k8s.io/v1', kind: 'StorageClass', metadata: meta(name), provisioner: 'example.com/local', ...extra });
const networkPolicy = (name: string, spec: Json = {}): Json => ({ apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: meta(name), spec: { podSelector: { matchLabels: labels }, ...spec } });
const backend = { service: { name: 'web', port: { number: 80 } } };
const ingress = (name: string, spec: Json = {}): Json => ({
  apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', metadata: meta(name),
  spec: { rules: [{ host: 'web.example.com', http: { paths: [{ path: '/', pathType: 'Prefix', backend }] } }], ...spec },
});
const ingressClass = (name: string, spec: Json = {}): Json => ({ apiVersion: 'networking.k8s.io/v1', kind: 'IngressClass', metadata: meta(name), spec: { controller: 'example.com/ingress', ...spec } });
const priorityClass = (name: string, extra: Json = {}): Json => ({ apiVersion: 'scheduling.k8s.io/v1', kind: 'PriorityClass', metadata: meta(name), value: 1000, ...extra });

const ns = '/namespaces/default';
const paths: Record<string, string> = {
  Deployment: `/apis/apps/v1${ns}/deployments`,
  ReplicaSet: `/apis/apps/v1${ns}/replicasets`,
  StatefulSet: `/apis/apps/v1${ns}/statefulsets`,
  DaemonSet: `/apis/apps/v1${ns}/daemonsets`,
  ControllerRevision: `/apis/apps/v1${ns}/controllerrevisions`,
  CronJob: `/apis/batch/v1${ns}/cronjobs`,
  HorizontalPodAutoscaler: `/apis/autoscaling/v2${ns}/horizontalpodautoscalers`,
  PodDisruptionBudget: `/apis/policy/v1${ns}/poddisruptionbudgets`,
  PersistentVolume: '/api/v1/persistentvolumes',
  ReplicationController: `/api/v1${ns}/replicationcontrollers`,
  PodTemplate: `/api/v1${ns}/podtemplates`,
  StorageClass: '/apis/storage.k8s.io/v1/storageclasses',
  NetworkPolicy: `/apis/networking.k8s.io/v1${ns}/networkpolicies`,
  Ingress: `/apis/networking.k8s.io/v1${ns}/ingresses`,
  IngressClass: '/apis/networking.k8s.io/v1/ingressclasses',
  PriorityClass: '/apis/scheduling.k8s.io/v1/priorityclasses',
};
const pathOf = (o: Json): string => {
  if (o.apiVersion === 'autoscaling/v1') return `/apis/autoscaling/v1${ns}/horizontalpodautoscalers`;
  return paths[o.kind as string]!;
};

/** A create (as a dry run: nothing is kept) and what Floe must answer: 201, or the code and the fields of the causes. */
interface CreateCase {
  name: string;
  body: Json;
  expect: number;
  /** `field` of each cause (sorted), for 422s. */
  causes?: string[];
  /** Messages kube-apiserver words with Go pointer addresses (%#v of a struct with pointers): compared without the value. */
  goPointers?: boolean;
}

const valid = (name: string, body: Json): CreateCase => ({ name, body, expect: 201 });
const invalid = (name: string, body: Json, causes: string[]): CreateCase => ({ name, body, expect: 422, causes: [...causes].sort() });

const createCases: CreateCase[] = [
  valid('Deployment: defaults (strategy, history, deadline, pod template)', deployment('d-defaults')),
  valid('Deployment: Recreate gets no rollingUpdate', deployment('d-recreate', { strategy: { type: 'Recreate' } })),
  valid('Deployment: probes, volumes and ports defaulted in the template', deployment('d-template', {
    template: podTemplate({
      containers: [{ ...container, ports: [{ containerPort: 80 }], readinessProbe: { httpGet: { port: 80 } }, env: [{ name: 'NODE', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } }], volumeMounts: [{ name: 'cfg', mountPath: '/cfg' }, { name: 'scratch', mountPath: '/s' }] }],
      volumes: [{ name: 'cfg', configMap: { name: 'cfg' } }, { name: 'scratch' }],
    }),
  })),
  invalid('Deployment: no selector', { ...deployment('d-noselector'), spec: { template: podTemplate() } }, ['spec.selector', 'spec.template.metadata.labels']),
  invalid('Deployment: selector does not match the template', deployment('d-mismatch', { selector: { matchLabels: { app: 'other' } } }), ['spec.template.metadata.labels']),
  invalid('Deployment: empty selector', deployment('d-empty', { selector: {} }), ['spec.selector']),
  invalid('Deployment: maxSurge and maxUnavailable both 0', deployment('d-zero', { strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 0, maxUnavailable: 0 } } }), ['spec.strategy.rollingUpdate.maxUnavailable']),
  invalid('Deployment: maxUnavailable over 100%', deployment('d-150', { strategy: { rollingUpdate: { maxUnavailable: '150%' } } }), ['spec.strategy.rollingUpdate.maxUnavailable']),
  invalid('Deployment: a bad percentage', deployment('d-pct', { strategy: { rollingUpdate: { maxSurge: 'lots' } } }), ['spec.strategy.rollingUpdate.maxSurge']),
  invalid('Deployment: Recreate with rollingUpdate', deployment('d-recreate-ru', { strategy: { type: 'Recreate', rollingUpdate: { maxSurge: 1 } } }), ['spec.strategy.rollingUpdate']),
  invalid('Deployment: restartPolicy Never', deployment('d-never', { template: podTemplate({ restartPolicy: 'Never' }) }), ['spec.template.spec.restartPolicy']),
  invalid('Deployment: progressDeadlineSeconds not above minReadySeconds', deployment('d-deadline', { minReadySeconds: 30, progressDeadlineSeconds: 30 }), ['spec.progressDeadlineSeconds']),
  invalid('Deployment: negative replicas', deployment('d-neg', { replicas: -1 }), ['spec.replicas']),
  invalid('Deployment: a container without image', deployment('d-noimage', { template: podTemplate({ containers: [{ name: 'main' }] }) }), ['spec.template.spec.containers[0].image']),
  valid('Deployment: seccomp profiles of the Pod and a container', deployment('d-seccomp', { template: podTemplate({ securityContext: { seccompProfile: { type: 'RuntimeDefault' } }, containers: [{ ...container, securityContext: { seccompProfile: { type: 'Localhost', localhostProfile: 'profiles/audit.json' } } }] }) })),
  invalid('Deployment: seccomp Localhost without a profile, an unknown type', deployment('d-seccomp-bad', { template: podTemplate({ securityContext: { seccompProfile: { type: 'Localhost' } }, containers: [{ ...container, securityContext: { seccompProfile: { type: 'Strict' } } }] }) }), ['spec.template.spec.securityContext.seccompProfile.localhostProfile', 'spec.template.spec.containers[0].securityContext.seccompProfile.type']),
  invalid('Deployment: seccomp profile paths out of the profile folder', deployment('d-seccomp-path', { template: podTemplate({ securityContext: { seccompProfile: { type: 'Localhost', localhostProfile: '../../etc/x.json' } }, containers: [{ ...container, securityContext: { seccompProfile: { type: 'Localhost', localhostProfile: '/etc/x.json' } } }] }) }), ['spec.template.spec.securityContext.seccompProfile.localhostProfile', 'spec.template.spec.containers[0].securityContext.seccompProfile.localhostProfile']),
  valid('ReplicaSet: defaults', replicaSet('rs-defaults')),
  invalid('ReplicaSet: restartPolicy OnFailure and activeDeadlineSeconds', replicaSet('rs-bad', { template: podTemplate({ restartPolicy: 'OnFailure', activeDeadlineSeconds: 5 }) }), ['spec.template.spec.restartPolicy', 'spec.template.spec.activeDeadlineSeconds']),
  valid('StatefulSet: defaults and claim templates', statefulSet('sts-defaults', { volumeClaimTemplates: [{ metadata: { name: 'data' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } }] })),
  valid('StatefulSet: OnDelete gets no partition', statefulSet('sts-ondelete', { updateStrategy: { type: 'OnDelete' } })),
  invalid('StatefulSet: a name that is no DNS label', statefulSet('sts.dotted'), ['metadata.name']),
  invalid('StatefulSet: unknown podManagementPolicy', statefulSet('sts-policy', { podManagementPolicy: 'Sometimes' }), ['spec.podManagementPolicy']),
  invalid('StatefulSet: OnDelete with rollingUpdate', statefulSet('sts-ondelete-ru', { updateStrategy: { type: 'OnDelete', rollingUpdate: { partition: 1 } } }), ['spec.updateStrategy.rollingUpdate']),
  invalid('StatefulSet: negative partition', statefulSet('sts-partition', { updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: -1 } } }), ['spec.updateStrategy.rollingUpdate.partition']),
  valid('DaemonSet: defaults', daemonSet('ds-defaults')),
  invalid('DaemonSet: maxSurge with maxUnavailable', daemonSet('ds-both', { updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 1 } } }), ['spec.updateStrategy.rollingUpdate.maxSurge']),
  invalid('DaemonSet: no selector', { ...daemonSet('ds-nosel'), spec: { template: podTemplate() } }, ['spec.template.metadata.labels']),
  valid('ControllerRevision', { apiVersion: 'apps/v1', kind: 'ControllerRevision', metadata: meta('cr-1'), data: { spec: { template: {} } }, revision: 1 }),
  invalid('ControllerRevision: no data', { apiVersion: 'apps/v1', kind: 'ControllerRevision', metadata: meta('cr-nodata'), revision: 1 }, ['data']),
  valid('CronJob: defaults', cronJob('cj-defaults')),
  valid('CronJob: a descriptor and a time zone', cronJob('cj-tz', { schedule: '@hourly', timeZone: 'Europe/Berlin' })),
  valid('CronJob: @every', cronJob('cj-every', { schedule: '@every 1h30m' })),
  invalid('CronJob: minute out of range', cronJob('cj-61', { schedule: '61 * * * *' }), ['spec.schedule']),
  invalid('CronJob: six fields', cronJob('cj-six', { schedule: '0 0 * * * *' }), ['spec.schedule']),
  invalid('CronJob: TZ in the schedule', cronJob('cj-crontz', { schedule: 'CRON_TZ=UTC 0 * * * *' }), ['spec.schedule']),
  invalid('CronJob: unknown time zone', cronJob('cj-mars', { timeZone: 'Mars/Olympus' }), ['spec.timeZone']),
  invalid('CronJob: restartPolicy Always in the job template', cronJob('cj-always', { jobTemplate: jobTemplate({ restartPolicy: 'Always' }) }), ['spec.jobTemplate.spec.template.spec.restartPolicy']),
  invalid('CronJob: unknown concurrencyPolicy', cronJob('cj-policy', { concurrencyPolicy: 'Sometimes' }), ['spec.concurrencyPolicy']),
  invalid('CronJob: a name over 52 characters', cronJob(`cj-${'x'.repeat(50)}`), ['metadata.name']),
  valid('HorizontalPodAutoscaler v2: default metric', hpa('hpa-defaults')),
  valid('HorizontalPodAutoscaler v2: behavior defaults', hpa('hpa-behavior', { behavior: { scaleDown: { stabilizationWindowSeconds: 60 } } })),
  valid('HorizontalPodAutoscaler v2: pods and object metrics', hpa('hpa-metrics', {
    metrics: [
      { type: 'Pods', pods: { metric: { name: 'qps' }, target: { type: 'AverageValue', averageValue: '10' } } },
      { type: 'Object', object: { describedObject: { kind: 'Service', name: 'web' }, metric: { name: 'rps' }, target: { type: 'Value', value: '100' } } },
    ],
  })),
  invalid('HorizontalPodAutoscaler v2: maxReplicas 0 and minReplicas above it', hpa('hpa-max', { maxReplicas: 0, minReplicas: 2 }), ['spec.maxReplicas', 'spec.maxReplicas']),
  invalid('HorizontalPodAutoscaler v2: no scale target name', hpa('hpa-ref', { scaleTargetRef: { kind: 'Deployment' } }), ['spec.scaleTargetRef.name']),
  invalid('HorizontalPodAutoscaler v2: a resource metric without target', hpa('hpa-target', { metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization' } } }] }), ['spec.metrics[0].resource.target.averageUtilization']),
  valid('HorizontalPodAutoscaler v1', { apiVersion: 'autoscaling/v1', kind: 'HorizontalPodAutoscaler', metadata: meta('hpa-v1'), spec: { scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' }, maxReplicas: 3, targetCPUUtilizationPercentage: 60 } }),
  invalid('HorizontalPodAutoscaler v1: a zero CPU target', { apiVersion: 'autoscaling/v1', kind: 'HorizontalPodAutoscaler', metadata: meta('hpa-v1-bad'), spec: { scaleTargetRef: { kind: 'Deployment', name: 'web' }, maxReplicas: 3, targetCPUUtilizationPercentage: 0 } }, ['spec.metrics[0].resource.target.averageUtilization']),
  valid('PodDisruptionBudget', pdb('pdb-ok', { minAvailable: 1 })),
  { ...invalid('PodDisruptionBudget: both minAvailable and maxUnavailable', pdb('pdb-both', { minAvailable: 1, maxUnavailable: 1 }), ['spec']), goPointers: true },
  invalid('PodDisruptionBudget: over 100%', pdb('pdb-pct', { maxUnavailable: '150%' }), ['spec.maxUnavailable']),
  valid('PersistentVolume: defaults', pv('pv-defaults')),
  invalid('PersistentVolume: no capacity, no access modes, no source', { apiVersion: 'v1', kind: 'PersistentVolume', metadata: meta('pv-empty'), spec: {} }, ['spec', 'spec.accessModes', 'spec.capacity', 'spec.capacity']),
  invalid('PersistentVolume: two sources', pv('pv-two', { nfs: { server: 'nfs', path: '/x' } }), ['spec.nfs']),
  valid('ReplicationController: selector and labels from the template', rc('rc-defaults')),
  invalid('ReplicationController: selector does not match', rc('rc-mismatch', { selector: { app: 'other' } }), ['spec.template.metadata.labels']),
  valid('PodTemplate', { apiVersion: 'v1', kind: 'PodTemplate', metadata: meta('pt-1'), template: podTemplate() }),
  invalid('PodTemplate: no containers', { apiVersion: 'v1', kind: 'PodTemplate', metadata: meta('pt-empty'), template: { metadata: { labels }, spec: {} } }, ['template.spec.containers']),
  valid('StorageClass: defaults', storageClass('sc-defaults')),
  invalid('StorageClass: no provisioner, bad reclaim policy', { apiVersion: 'storage.k8s.io/v1', kind: 'StorageClass', metadata: meta('sc-bad'), reclaimPolicy: 'Recycle' }, ['provisioner', 'reclaimPolicy']),
  valid('NetworkPolicy: policy types and port protocol defaulted', networkPolicy('np-defaults', { egress: [{ ports: [{ port: 53 }] }] })),
  invalid('NetworkPolicy: a bad port and an empty peer', networkPolicy('np-bad', { ingress: [{ ports: [{ port: 70000 }], from: [{}] }] }), ['spec.ingress[0].ports[0].port', 'spec.ingress[0].from[0]']),
  valid('Ingress', ingress('ing-ok')),
  invalid('Ingress: no rules and no default backend', { ...ingress('ing-none'), spec: {} }, ['spec']),
  invalid('Ingress: relative path, missing pathType, backend without port', ingress('ing-bad', {
    rules: [{ http: { paths: [{ path: 'x', pathType: 'Prefix', backend }, { path: '/y', backend }, { path: '/z', pathType: 'Exact', backend: { service: { name: 'web' } } }] } }],
  }), ['spec.rules[0].http.paths[0].path', 'spec.rules[0].http.paths[1].pathType', 'spec.rules[0].http.paths[2].backend']),
  valid('IngressClass: parameters scope defaulted', ingressClass('ic-params', { parameters: { apiGroup: 'example.com', kind: 'Params', name: 'p' } })),
  invalid('IngressClass: controller without domain', ingressClass('ic-bad', { controller: 'nginx' }), ['spec.controller']),
  valid('PriorityClass: preemptionPolicy defaulted', priorityClass('pc-ok', { description: 'high' })),
  invalid('PriorityClass: a reserved name', priorityClass('system-mine'), ['metadata.name']),
  invalid('PriorityClass: above the user range', priorityClass('pc-big', { value: 2000000000 }), ['value']),
];

/** An object as both servers return it, minus what differs per server by nature (uids, times, versions). */
function normalize(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(normalize);
  if (value === null || typeof value !== 'object') return value;
  const out: Json = {};
  for (const [k, v] of Object.entries(value as Json)) {
    if (['uid', 'resourceVersion', 'creationTimestamp', 'managedFields', 'lastPhaseTransitionTime', 'selfLink'].includes(k)) continue;
    // A Deployment controller's revision annotation lands whenever the controller gets there (Floe runs one, the bare
    // kube-apiserver none): the comparison is of what the API server answers.
    if (k === 'annotations' && v && typeof v === 'object' && !Array.isArray(v)) {
      const rest = Object.fromEntries(Object.entries(v as Json).filter(([name]) => name !== 'deployment.kubernetes.io/revision'));
      if (Object.keys(rest).length > 0) out[k] = normalize(rest);
      continue;
    }
    // The StorageObjectInUseProtection admission plugin's finalizer: Floe has no pv-protection controller to remove it.
    if (k === 'finalizers' && Array.isArray(v) && v.includes('kubernetes.io/pv-protection')) {
      const rest = v.filter((f) => f !== 'kubernetes.io/pv-protection');
      if (rest.length > 0) out[k] = rest;
      continue;
    }
    out[k] = normalize(v);
  }
  return out;
}

/** A 422's causes as `field|reason`, sorted. */
function causes(reply: Reply): string[] {
  const details = reply.json.details as { causes?: { field?: string; reason?: string }[] } | undefined;
  return (details?.causes ?? []).map((c) => `${c.field ?? ''}|${c.reason ?? ''}`).sort();
}

function causeMessages(reply: Reply): string[] {
  const details = reply.json.details as { causes?: { field?: string; message?: string }[] } | undefined;
  return (details?.causes ?? []).map((c) => `${c.field ?? ''}: ${c.message ?? ''}`).sort();
}

async function dryRunCreate(t: Target, body: Json): Promise<Reply> {
  return t.request('POST', `${pathOf(body)}?dryRun=All`, body);
}

// ---- update cases: create for real, change, compare, delete ---------------------------------------------------------

interface UpdateCase {
  name: string;
  body: Json;
  /** A merge patch applied to the created object. */
  patch: Json;
  expect: number;
  causes?: string[];
}

const updateCases: UpdateCase[] = [
  { name: 'Deployment: the selector is immutable', body: deployment('u-deploy'), patch: { spec: { selector: { matchLabels: { app: 'web', tier: 'x' } }, template: { metadata: { labels: { app: 'web', tier: 'x' } } } } }, expect: 422, causes: ['spec.selector'] },
  { name: 'Deployment: a template change bumps generation', body: deployment('u-deploy-gen'), patch: { spec: { template: { spec: { containers: [{ ...container, image: 'nginx:1.28' }] } } } }, expect: 200 },
  { name: 'StatefulSet: serviceName may not change', body: statefulSet('u-sts'), patch: { spec: { serviceName: 'other' } }, expect: 422, causes: ['spec'] },
  { name: 'StatefulSet: replicas may change', body: statefulSet('u-sts-ok'), patch: { spec: { replicas: 3 } }, expect: 200 },
  { name: 'StorageClass: the provisioner may not change', body: storageClass('u-sc'), patch: { provisioner: 'example.com/other' }, expect: 422, causes: ['provisioner'] },
  { name: 'PriorityClass: the value may not change', body: priorityClass('u-pc'), patch: { value: 5 }, expect: 422, causes: ['value'] },
  { name: 'ControllerRevision: data is immutable', body: { apiVersion: 'apps/v1', kind: 'ControllerRevision', metadata: meta('u-cr'), data: { a: 1 }, revision: 1 }, patch: { data: { a: 2 } }, expect: 422, causes: ['data'] },
  { name: 'CronJob: TZ stays forbidden on update', body: cronJob('u-cj'), patch: { spec: { schedule: 'TZ=UTC 0 * * * *' } }, expect: 422, causes: ['spec.schedule'] },
];

async function runUpdate(t: Target, c: UpdateCase): Promise<{ created: Reply; patched: Reply; deleted: Reply }> {
  const name = (c.body.metadata as Json).name as string;
  const created = await t.request('POST', pathOf(c.body), c.body);
  const patched = await t.request('PATCH', `${pathOf(c.body)}/${name}`, c.patch, 'application/merge-patch+json');
  const deleted = await t.request('DELETE', `${pathOf(c.body)}/${name}`);
  return { created, patched, deleted };
}

// ---- Floe alone ---------------------------------------------------------------------------------------------------

describe('workload kinds on Floe', () => {
  let floe: Target;
  before(async () => {
    floe = await floeTarget();
  });
  after(async () => {
    await floe.stop();
  });

  for (const c of createCases) {
    test(c.name, async () => {
      const reply = await dryRunCreate(floe, c.body);
      assert.equal(reply.status, c.expect, reply.text.slice(0, 1500));
      if (c.causes) assert.deepEqual(causes(reply).map((x) => x.split('|')[0]).sort(), c.causes, reply.text);
    });
  }

  for (const c of updateCases) {
    test(`update: ${c.name}`, async () => {
      const { created, patched } = await runUpdate(floe, c);
      assert.equal(created.status, 201, created.text);
      assert.equal(patched.status, c.expect, patched.text.slice(0, 1500));
      if (c.causes) assert.deepEqual(causes(patched).map((x) => x.split('|')[0]).sort(), c.causes, patched.text);
      if (c.name.includes('bumps generation')) assert.equal((patched.json.metadata as Json).generation, 2);
    });
  }

  test('Deployment defaults as kube-apiserver fills them', async () => {
    const reply = await dryRunCreate(floe, deployment('d-check'));
    const spec = reply.json.spec as Json;
    assert.equal(spec.replicas, 1);
    assert.deepEqual(spec.strategy, { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '25%', maxSurge: '25%' } });
    assert.equal(spec.revisionHistoryLimit, 10);
    assert.equal(spec.progressDeadlineSeconds, 600);
    const podSpec = (spec.template as Json).spec as Json;
    assert.equal(podSpec.restartPolicy, 'Always');
    assert.equal(podSpec.dnsPolicy, 'ClusterFirst');
    assert.equal(podSpec.enableServiceLinks, undefined, 'enableServiceLinks is a Pod default, not a template one');
    assert.deepEqual(reply.json.status, {});
    assert.equal((reply.json.metadata as Json).generation, 1);
  });

  test('HorizontalPodAutoscaler: one object, two versions', async () => {
    const v1 = { apiVersion: 'autoscaling/v1', kind: 'HorizontalPodAutoscaler', metadata: meta('both'), spec: { scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' }, maxReplicas: 3, targetCPUUtilizationPercentage: 60 } };
    assert.equal((await floe.request('POST', pathOf(v1), v1)).status, 201);
    const asV2 = await floe.request('GET', `${paths.HorizontalPodAutoscaler!}/both`);
    assert.deepEqual((asV2.json.spec as Json).metrics, [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 60 } } }]);
    assert.equal((asV2.json.spec as Json).minReplicas, 1);
    // A second metric added through v2 survives in v1 as an annotation and comes back.
    const patch = { spec: { metrics: [...((asV2.json.spec as Json).metrics as unknown[]), { type: 'Pods', pods: { metric: { name: 'qps' }, target: { type: 'AverageValue', averageValue: '5' } } }] } };
    assert.equal((await floe.request('PATCH', `${paths.HorizontalPodAutoscaler!}/both`, patch, 'application/merge-patch+json')).status, 200);
    const asV1 = await floe.request('GET', `${pathOf(v1)}/both`);
    assert.equal((asV1.json.spec as Json).targetCPUUtilizationPercentage, 60);
    assert.match(String(((asV1.json.metadata as Json).annotations as Json)['autoscaling.alpha.kubernetes.io/metrics']), /qps/);
    assert.equal((await floe.request('PUT', `${pathOf(v1)}/both`, { ...asV1.json, spec: { ...(asV1.json.spec as Json), maxReplicas: 4 } })).status, 200);
    const back = await floe.request('GET', `${paths.HorizontalPodAutoscaler!}/both`);
    assert.equal((back.json.spec as Json).maxReplicas, 4);
    assert.equal(((back.json.spec as Json).metrics as unknown[]).length, 2);
    assert.equal(((back.json.metadata as Json).annotations as Json | undefined)?.['autoscaling.alpha.kubernetes.io/metrics'], undefined);
  });

  test('the system PriorityClasses exist', async () => {
    const reply = await floe.request('GET', `${paths.PriorityClass!}/system-node-critical`);
    assert.equal(reply.status, 200);
    assert.equal(reply.json.value, 2000001000);
  });

  test('scale subresource: GET, PUT and merge PATCH', async () => {
    assert.equal((await floe.request('POST', paths.Deployment!, deployment('scaled', { replicas: 2 }))).status, 201);
    const scale = await floe.request('GET', `${paths.Deployment!}/scaled/scale`);
    assert.equal(scale.status, 200, scale.text);
    assert.equal(scale.json.kind, 'Scale');
    assert.equal(scale.json.apiVersion, 'autoscaling/v1');
    assert.deepEqual(scale.json.spec, { replicas: 2 });
    assert.deepEqual(scale.json.status, { replicas: 0, selector: 'app=web' });
    const put = await floe.request('PUT', `${paths.Deployment!}/scaled/scale`, { ...scale.json, spec: { replicas: 4 } });
    assert.equal(put.status, 200, put.text);
    assert.deepEqual(put.json.spec, { replicas: 4 });
    const patched = await floe.request('PATCH', `${paths.Deployment!}/scaled/scale`, { spec: { replicas: 1 } }, 'application/merge-patch+json');
    assert.equal(patched.status, 200, patched.text);
    const after = await floe.request('GET', `${paths.Deployment!}/scaled`);
    assert.equal((after.json.spec as Json).replicas, 1);
    assert.equal((after.json.metadata as Json).generation, 3);
    const stale = await floe.request('PUT', `${paths.Deployment!}/scaled/scale`, { ...scale.json, spec: { replicas: 3 } });
    assert.equal(stale.status, 409, stale.text);
    const negative = await floe.request('PATCH', `${paths.Deployment!}/scaled/scale`, { spec: { replicas: -1 } }, 'application/merge-patch+json');
    assert.equal(negative.status, 422, negative.text);
    assert.deepEqual(causes(negative), ['spec.replicas|FieldValueInvalid']);
    const none = await floe.request('GET', `/apis/apps/v1${ns}/daemonsets/nothing/scale`);
    assert.equal(none.status, 404);
  });

  test('scale subresource of a custom resource that declares it', async () => {
    const crd = {
      apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', metadata: { name: 'widgets.scale.floe.dev' },
      spec: {
        group: 'scale.floe.dev', scope: 'Namespaced', names: { plural: 'widgets', singular: 'widget', kind: 'Widget' },
        versions: [{
          name: 'v1', served: true, storage: true,
          schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } },
          subresources: { status: {}, scale: { specReplicasPath: '.spec.count', statusReplicasPath: '.status.count', labelSelectorPath: '.status.selector' } },
        }],
      },
    };
    assert.equal((await floe.request('POST', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', crd)).status, 201);
    const base = `/apis/scale.floe.dev/v1${ns}/widgets`;
    let created: Reply | undefined;
    for (let i = 0; i < 200 && created?.status !== 201; i++) {
      created = await floe.request('POST', base, { apiVersion: 'scale.floe.dev/v1', kind: 'Widget', metadata: { name: 'w' }, spec: { count: 2 } });
      if (created.status !== 201) await new Promise((r) => setTimeout(r, 50));
    }
    assert.equal(created?.status, 201, created?.text);
    const discovery = await floe.request('GET', '/apis/scale.floe.dev/v1');
    assert.ok((discovery.json.resources as Json[]).some((r) => r.name === 'widgets/scale' && r.kind === 'Scale' && r.group === 'autoscaling'), discovery.text);
    const w = await floe.request('GET', `${base}/w`);
    assert.equal((await floe.request('PUT', `${base}/w/status`, { ...w.json, status: { count: 1, selector: 'app=w' } })).status, 200);
    const scale = await floe.request('GET', `${base}/w/scale`);
    assert.deepEqual([scale.json.spec, scale.json.status], [{ replicas: 2 }, { replicas: 1, selector: 'app=w' }]);
    const patched = await floe.request('PATCH', `${base}/w/scale`, { spec: { replicas: 7 } }, 'application/merge-patch+json');
    assert.equal(patched.status, 200, patched.text);
    assert.equal(((await floe.request('GET', `${base}/w`)).json.spec as Json).count, 7);
  });

  test('an unknown kind is reported as not served by Floe', async () => {
    const reply = await floe.request('GET', '/apis/apps/v1/namespaces/default/nosuchthings');
    assert.equal(reply.status, 404);
    assert.equal(reply.json.reason, 'NotFound');
  });
});

// ---- Floe beside kube-apiserver -----------------------------------------------------------------------------------

const unavailable = controlPlaneUnavailable();
if (unavailable) console.error(`[workload-kinds] kube-apiserver differential cases skipped: ${unavailable}`);

describe('workload kinds: Floe and kube-apiserver agree (differential)', { ...(unavailable ? { skip: unavailable } : {}) }, () => {
  let floe: Target;
  let kube: Target;
  before(async () => {
    [floe, kube] = await Promise.all([floeTarget(), kubeTarget()]);
  }, { timeout: 900_000 });
  after(async () => {
    await Promise.all([floe?.stop(), kube?.stop()]);
  });

  for (const c of createCases) {
    test(c.name, async () => {
      const [f, k] = await Promise.all([dryRunCreate(floe, c.body), dryRunCreate(kube, c.body)]);
      assert.equal(f.status, k.status, `floe ${f.status} ${f.text.slice(0, 800)}\nkube ${k.status} ${k.text.slice(0, 800)}`);
      if (k.status === 201) assert.deepEqual(normalize(f.json), normalize(k.json));
      else {
        assert.equal(f.json.reason, k.json.reason);
        assert.deepEqual(causes(f), causes(k), `floe ${f.text}\nkube ${k.text}`);
        const shown = (r: Reply): string[] => (c.goPointers ? causeMessages(r).map((m) => m.replace(/Invalid value: .*: /, 'Invalid value: …: ')) : causeMessages(r));
        assert.deepEqual(shown(f), shown(k));
      }
    });
  }

  for (const c of updateCases) {
    test(`update: ${c.name}`, async () => {
      const [f, k] = await Promise.all([runUpdate(floe, c), runUpdate(kube, c)]);
      assert.equal(f.patched.status, k.patched.status, `floe ${f.patched.text.slice(0, 800)}\nkube ${k.patched.text.slice(0, 800)}`);
      if (k.patched.status === 200) {
        const strip = (r: Reply): unknown => normalize({ ...r.json, status: undefined });
        assert.deepEqual(strip(f.patched), strip(k.patched));
      } else {
        assert.deepEqual(causes(f.patched), causes(k.patched), `floe ${f.patched.text}\nkube ${k.patched.text}`);
        assert.deepEqual(causeMessages(f.patched), causeMessages(k.patched));
      }
    });
  }

  const groupVersions = ['/api/v1', '/apis/apps/v1', '/apis/batch/v1', '/apis/autoscaling/v2', '/apis/autoscaling/v1', '/apis/policy/v1', '/apis/storage.k8s.io/v1', '/apis/networking.k8s.io/v1', '/apis/scheduling.k8s.io/v1'];
  const ours = new Set(['deployments', 'replicasets', 'statefulsets', 'daemonsets', 'controllerrevisions', 'cronjobs', 'horizontalpodautoscalers', 'poddisruptionbudgets', 'persistentvolumes', 'replicationcontrollers', 'podtemplates', 'storageclasses', 'networkpolicies', 'ingresses', 'ingressclasses', 'priorityclasses']);
  for (const gv of groupVersions) {
    test(`discovery of ${gv}: names, scope, short names, categories and subresources`, async () => {
      const [f, k] = await Promise.all([floe.request('GET', gv), kube.request('GET', gv)]);
      const pick = (r: Reply): unknown[] =>
        ((r.json.resources as Json[]) ?? [])
          .filter((x) => ours.has(String(x.name).split('/')[0]!))
          .map((x) => ({ name: x.name, singularName: x.singularName, namespaced: x.namespaced, kind: x.kind, group: x.group, version: x.version, shortNames: x.shortNames, categories: x.categories, verbs: [...((x.verbs as string[]) ?? [])].sort() }))
          .sort((a, b) => String(a.name).localeCompare(String(b.name)));
      assert.deepEqual(pick(f), pick(k));
    });
  }

  const tableKinds: Json[] = [
    deployment('t-deploy'), replicaSet('t-rs'), statefulSet('t-sts'), daemonSet('t-ds'), cronJob('t-cj', { suspend: true, timeZone: 'UTC' }), hpa('t-hpa'), pdb('t-pdb', { minAvailable: '50%' }),
    pv('t-pv'), rc('t-rc'), storageClass('t-sc'), networkPolicy('t-np'), ingress('t-ing'), ingressClass('t-ic'), priorityClass('t-pc'),
    { apiVersion: 'apps/v1', kind: 'ControllerRevision', metadata: meta('t-cr'), data: {}, revision: 3 },
  ];
  for (const body of tableKinds) {
    test(`kubectl get ${String(body.kind)}: columns and the spec-derived cells`, async () => {
      const name = (body.metadata as Json).name as string;
      const columnsOf = async (t: Target): Promise<{ columns: unknown[]; cells: unknown[] }> => {
        const created = await t.request('POST', pathOf(body), body);
        assert.equal(created.status, 201, `${t.name}: ${created.text}`);
        const reply = (await t.request('GET', `${pathOf(body)}/${name}`, undefined, undefined, 'application/json;as=Table;v=v1;g=meta.k8s.io')).json;
        await t.request('DELETE', `${pathOf(body)}/${name}`);
        const defs = ((reply.columnDefinitions as Json[]) ?? []).map((d) => ({ name: d.name, type: d.type, priority: d.priority }));
        const row = ((reply.rows as Json[]) ?? [])[0] ?? {};
        // Status-derived cells move with controllers (kube-controller-manager runs beside kube-apiserver): compare the rest.
        const statusColumns = new Set(['Ready', 'Up-to-date', 'Available', 'Current', 'Desired', 'Age', 'Replicas', 'Targets', 'Allowed Disruptions', 'Status', 'Claim', 'Active', 'Last Schedule', 'Address']);
        const cells = ((row.cells as unknown[]) ?? []).filter((_, i) => !statusColumns.has(String(defs[i]?.name)));
        return { columns: defs, cells };
      };
      const [f, k] = await Promise.all([columnsOf(floe), columnsOf(kube)]);
      assert.deepEqual(f.columns, k.columns);
      assert.deepEqual(f.cells, k.cells);
    });
  }

  test('scale subresource: the same Scale from both', async () => {
    const get = async (t: Target): Promise<unknown> => {
      assert.equal((await t.request('POST', paths.Deployment!, deployment('diff-scale', { replicas: 2, selector: { matchLabels: labels, matchExpressions: [{ key: 'tier', operator: 'NotIn', values: ['b', 'a'] }] } }))).status, 201);
      const scale = await t.request('GET', `${paths.Deployment!}/diff-scale/scale`);
      const patched = await t.request('PATCH', `${paths.Deployment!}/diff-scale/scale`, { spec: { replicas: 0 } }, 'application/merge-patch+json');
      const bad = await t.request('PATCH', `${paths.Deployment!}/diff-scale/scale`, { spec: { replicas: -2 } }, 'application/merge-patch+json');
      await t.request('DELETE', `${paths.Deployment!}/diff-scale`);
      return [normalize({ ...scale.json, status: { selector: (scale.json.status as Json).selector } }), normalize(patched.json.spec), bad.status, causeMessages(bad)];
    };
    const [f, k] = await Promise.all([get(floe), get(kube)]);
    assert.deepEqual(f, k);
  });
});
