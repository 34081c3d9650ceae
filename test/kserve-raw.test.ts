// KServe's raw deployment mode on a real embedded Floe: `serving.kserve.io/deploymentMode: RawDeployment` (or
// `Standard`) makes the InferenceService controller create a Deployment and a Service `<isvc>-predictor` (and an HPA
// when the predictor asks to scale) instead of Knative-mode revisions; Floe's Deployment controller makes the Pods,
// the ingress reaches them, and the status says which mode runs. Going back to Knative mode removes them. On a real
// kube-apiserver (kube-controller-manager and a kwok node), `floe controllers` runs every InferenceService this way.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FloeError } from '../src/api/errors.js';
import type { KubeObject } from '../src/api/meta.js';
import type { Client } from '../src/client/client.js';
import { PatchType } from '../src/client/client.js';
import { KubeClient } from '../src/client/kube-client.js';
import { Manager, capabilitiesFor, startCapabilities, type RunningCapabilities } from '../src/controller/index.js';
import { servingCapability, servingClusterCapability } from '../src/controllers/serving/capability.js';
import { InferenceServiceRef, type InferenceService } from '../src/controllers/serving/index.js';
import { createLogger } from '../src/server/logger.js';
import { controlPlaneUnavailable, startControlPlane, type ControlPlane } from './helpers/control-plane.js';
import { startEmbeddedFloe, type EmbeddedFloe } from './helpers/embedded-floe.js';
import { freshNamespace } from './helpers/fixtures.js';
import { waitFor } from './helpers/wait.js';

/** A predictor of its own (stdlib only): echoes V1 instances and its GREETING back, on the port Knative's PORT names. */
const echoScript = `
import json, os
from http.server import BaseHTTPRequestHandler, HTTPServer
class H(BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200); self.end_headers(); self.wfile.write(b'{}')
    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers.get('content-length', 0))))
        out = json.dumps({'predictions': body.get('instances'), 'greeting': os.environ.get('GREETING', '')}).encode()
        self.send_response(200); self.send_header('content-type', 'application/json'); self.send_header('content-length', str(len(out))); self.end_headers(); self.wfile.write(out)
    def log_message(self, *a): pass
HTTPServer(('127.0.0.1', int(os.environ['PORT'])), H).serve_forever()
`;

const DeploymentRef = { apiVersion: 'apps/v1', kind: 'Deployment' } as const;
const HpaRef = { apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler' } as const;
const ServiceRef = { apiVersion: 'v1', kind: 'Service' } as const;
const PodRef = { apiVersion: 'v1', kind: 'Pod' } as const;

type Obj = KubeObject & { spec: Record<string, unknown>; status?: Record<string, unknown> };

describe('KServe raw deployment mode (embedded)', () => {
  let env: EmbeddedFloe;
  let client: Client;
  let file: string;

  before(async () => {
    env = await startEmbeddedFloe('floe-kserve-raw-');
    client = env.floe.client;
    file = join(env.dataDir, 'echo.py');
    writeFileSync(file, echoScript);
  });

  after(async () => {
    await env.stop();
  });

  const container = (greeting: string) => ({ name: 'kserve-container', image: 'myrepo/kserve-echo:1.0', command: ['python', file], env: [{ name: 'GREETING', value: greeting }], ports: [{ containerPort: 8080, protocol: 'TCP' }] });
  const get = (ns: string, name: string): Promise<InferenceService> => client.get<InferenceService>(InferenceServiceRef, name, ns);
  const readyWith = (ns: string, name: string, what: string, check: (i: InferenceService) => boolean = () => true): Promise<InferenceService> =>
    waitFor(async () => {
      const i = await get(ns, name);
      return i.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True' && i.metadata.generation === i.status.observedGeneration && check(i) ? i : undefined;
    }, { what, timeoutMs: 240_000, intervalMs: 200 });
  const post = async (url: string): Promise<{ status: number; body: Record<string, unknown> }> => {
    const res = await fetch(`${url}/v1/models/echo:predict`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"instances":[[1,2]]}' });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };
  const gone = async (ref: { apiVersion: string; kind: string }, name: string, ns: string): Promise<boolean> =>
    client.get(ref, name, ns).then(
      () => false,
      (err: unknown) => err instanceof FloeError && err.reason === 'NotFound',
    );

  test('RawDeployment: a Deployment, a Service and an HPA named <isvc>-predictor; Pods from the Deployment controller; served through the ingress; back to Knative removes them', async () => {
    const ns = await freshNamespace(client, 'kserve-raw');
    await client.create<InferenceService>({
      apiVersion: 'serving.kserve.io/v1beta1',
      kind: 'InferenceService',
      metadata: { name: 'echo', namespace: ns, annotations: { 'serving.kserve.io/deploymentMode': 'RawDeployment' } },
      spec: { predictor: { minReplicas: 1, maxReplicas: 3, scaleMetric: 'cpu', scaleTarget: 60, containers: [container('hello')] } },
    });
    const done = await readyWith(ns, 'echo', 'the raw-mode InferenceService to be Ready');
    assert.equal(done.status?.deploymentMode, 'RawDeployment');
    assert.equal(done.status?.url, `${env.floe.url}/serving/${ns}/echo`);
    assert.equal(done.status?.components?.['predictor']?.url, done.status?.url);
    assert.deepEqual(['IngressReady', 'PredictorReady', 'Ready'].map((t) => done.status?.conditions?.find((c) => c.type === t)?.status), ['True', 'True', 'True']);

    const deployment = await client.get<Obj>(DeploymentRef, 'echo-predictor', ns);
    assert.equal(deployment.metadata.ownerReferences?.[0]?.kind, 'InferenceService');
    assert.equal(deployment.metadata.labels?.['serving.kserve.io/inferenceservice'], 'echo');
    assert.equal(deployment.metadata.labels?.['component'], 'predictor');
    assert.deepEqual(deployment.spec['selector'], { matchLabels: { app: 'isvc.echo-predictor' } });
    const service = await client.get<Obj>(ServiceRef, 'echo-predictor', ns);
    assert.deepEqual(service.spec['selector'], { app: 'isvc.echo-predictor' });
    assert.equal((service.spec['ports'] as { name: string; port: number; targetPort: number }[])[0]?.port, 80);
    const hpa = await client.get<Obj>(HpaRef, 'echo-predictor', ns);
    assert.deepEqual({ ...hpa.spec, metrics: undefined }, { scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'echo-predictor' }, minReplicas: 1, maxReplicas: 3, metrics: undefined });
    assert.deepEqual(hpa.spec['metrics'], [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 60 } } }]);
    // The Pods are the Deployment's (through its ReplicaSet), not Knative-mode revisions.
    const pods = (await client.list<Obj>(PodRef, { namespace: ns, labelSelector: 'app=isvc.echo-predictor' })).items;
    assert.ok(pods.length >= 1);
    assert.ok(pods.every((p) => p.metadata.ownerReferences?.[0]?.kind === 'ReplicaSet'), JSON.stringify(pods.map((p) => p.metadata.ownerReferences)));
    assert.ok(await gone(PodRef, 'echo-predictor-00001', ns), 'no Knative-mode revision Pod');
    const answer = await post(done.status.url);
    assert.equal(answer.status, 200);
    assert.deepEqual(answer.body, { predictions: [[1, 2]], greeting: 'hello' });

    // A new container spec rolls the Deployment; the ingress then reaches the new Pod.
    const fresh = await get(ns, 'echo');
    await client.update<InferenceService>({ ...fresh, spec: { predictor: { ...fresh.spec.predictor, containers: [container('bonjour')] } } });
    await waitFor(async () => ((await post((await get(ns, 'echo')).status!.url!)).body['greeting'] === 'bonjour' ? true : undefined), { what: 'the rolled Deployment to answer', timeoutMs: 240_000, intervalMs: 500 });

    // Min = max and no metric: no HPA; the Deployment's replicas follow minReplicas.
    const again = await get(ns, 'echo');
    await client.update<InferenceService>({ ...again, spec: { predictor: { minReplicas: 1, containers: [container('bonjour')] } } });
    await waitFor(async () => ((await gone(HpaRef, 'echo-predictor', ns)) ? true : undefined), { what: 'the HPA to go', timeoutMs: 60_000 });

    // Back to Knative mode: the raw objects go, a revision serves.
    await client.patch(InferenceServiceRef, 'echo', ns, { metadata: { annotations: { 'serving.kserve.io/deploymentMode': 'Serverless' } } }, PatchType.Merge);
    const knative = await readyWith(ns, 'echo', 'the InferenceService back in Knative mode', (i) => i.status?.deploymentMode === 'Knative' && i.status.components?.['predictor']?.latestReadyRevision !== undefined);
    assert.equal((await post(knative.status!.url!)).body['greeting'], 'bonjour');
    await waitFor(async () => ((await gone(DeploymentRef, 'echo-predictor', ns)) && (await gone(ServiceRef, 'echo-predictor', ns)) ? true : undefined), { what: 'the raw Deployment and Service to go', timeoutMs: 60_000 });
  });

  test('Standard (newer KServe\'s name for raw mode): a Deployment and a Service, no HPA when the predictor does not ask to scale', async () => {
    const ns = await freshNamespace(client, 'kserve-standard');
    await client.create<InferenceService>({
      apiVersion: 'serving.kserve.io/v1beta1',
      kind: 'InferenceService',
      metadata: { name: 'echo', namespace: ns, annotations: { 'serving.kserve.io/deploymentMode': 'Standard' } },
      spec: { predictor: { containers: [container('hi')] } },
    });
    const done = await readyWith(ns, 'echo', 'the Standard-mode InferenceService to be Ready');
    assert.equal(done.status?.deploymentMode, 'Standard');
    assert.equal((await client.get<Obj>(DeploymentRef, 'echo-predictor', ns)).spec['replicas'], 1);
    assert.ok(await gone(HpaRef, 'echo-predictor', ns), 'no HPA');
    assert.deepEqual((await post(done.status.url!)).body, { predictions: [[1, 2]], greeting: 'hi' });
    const events = await client.list<KubeObject & { reason?: string }>({ apiVersion: 'v1', kind: 'Event' }, { namespace: ns });
    assert.ok(!events.items.some((e) => e.reason === 'DeploymentModeNotSupported'));
  });
});

const unavailable = controlPlaneUnavailable();

describe('KServe raw mode on a real kube-apiserver (cluster mode, `floe controllers`)', { ...(unavailable ? { skip: unavailable } : {}), timeout: 600_000 }, () => {
  let plane: ControlPlane;
  let client: KubeClient;
  let dir: string;
  let running: RunningCapabilities;

  before(async () => {
    plane = await startControlPlane();
    client = KubeClient.fromFile(plane.kubeconfig);
    dir = await mkdtemp(join(tmpdir(), 'floe-kserve-raw-cluster-'));
    const logger = createLogger({ level: 'silent' });
    const manager = new Manager({ client, log: logger });
    // The capabilities `floe controllers` runs for serving, as it picks them (capabilitiesFor('cluster', …)).
    running = await startCapabilities(capabilitiesFor('cluster', [servingCapability, servingClusterCapability]), { mode: 'cluster', client, logger, dataDir: dir, url: 'http://127.0.0.1', pythonDir: dir }, manager);
  });
  after(async () => {
    await running?.stop();
    await plane?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  test('an InferenceService without the annotation runs as a Deployment + Service + HPA; the cluster\'s controllers and node bring it to Ready', async () => {
    const ns = 'kserve-raw';
    await client.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
    await client.create<InferenceService>({
      apiVersion: 'serving.kserve.io/v1beta1',
      kind: 'InferenceService',
      metadata: { name: 'echo', namespace: ns, labels: { team: 'a' } },
      spec: { predictor: { minReplicas: 1, maxReplicas: 2, containers: [{ name: 'kserve-container', image: 'registry.example/echo:1.0', ports: [{ containerPort: 8080, protocol: 'TCP' }] }] } },
    });
    const done = await waitFor(async () => {
      const i = await client.get<InferenceService>(InferenceServiceRef, 'echo', ns);
      return i.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True' ? i : undefined;
    }, { what: 'the InferenceService to be Ready on the cluster', timeoutMs: 240_000, intervalMs: 500 });
    assert.equal(done.status?.deploymentMode, 'RawDeployment');
    assert.equal(done.status?.url, `http://echo-predictor.${ns}.svc.cluster.local`);
    assert.equal(done.status?.components?.['predictor']?.url, done.status?.url);
    const deployment = await client.get<Obj>(DeploymentRef, 'echo-predictor', ns);
    assert.equal(deployment.metadata.labels?.['team'], 'a', 'the InferenceService\'s labels go to the Deployment');
    assert.ok(((deployment.status?.['availableReplicas'] as number | undefined) ?? 0) >= 1, 'kube-controller-manager counted an available replica');
    const template = deployment.spec['template'] as { spec: { containers: { image: string; command?: string[]; env?: { name: string; value?: string }[] }[] } };
    assert.equal(template.spec.containers[0]?.image, 'registry.example/echo:1.0');
    assert.equal(template.spec.containers[0]?.command, undefined, 'on a cluster the image runs its own entrypoint');
    assert.ok(template.spec.containers[0]?.env?.some((e) => e.name === 'PORT' && e.value === '8080'), 'the container port itself, not a host port');
    const service = await client.get<Obj>(ServiceRef, 'echo-predictor', ns);
    assert.deepEqual(service.spec['selector'], { app: 'isvc.echo-predictor' });
    const hpa = await client.get<Obj>(HpaRef, 'echo-predictor', ns);
    assert.equal(hpa.spec['maxReplicas'], 2);
    const pods = (await client.list<Obj>(PodRef, { namespace: ns, labelSelector: 'app=isvc.echo-predictor' })).items;
    assert.ok(pods.some((p) => p.metadata.ownerReferences?.[0]?.kind === 'ReplicaSet'), 'Pods made by the cluster\'s ReplicaSet controller');
  });

  test('a storageUri that is a local path is refused on a cluster: it would name a file of Floe\'s own container', async () => {
    const ns = 'kserve-local-path';
    await client.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
    for (const [name, uri] of [['by-file-url', 'file:///var/run/secrets/kubernetes.io/serviceaccount'], ['by-path', '/etc']] as const) {
      // A custom predictor's STORAGE_URI (no runtime needed on this cluster); spec.predictor.model.storageUri goes the same way.
      await client.create<InferenceService>({ apiVersion: 'serving.kserve.io/v1beta1', kind: 'InferenceService', metadata: { name, namespace: ns }, spec: { predictor: { containers: [{ name: 'kserve-container', image: 'registry.example/echo:1.0', env: [{ name: 'STORAGE_URI', value: uri }] }] } } });
      const failed = await waitFor(async () => {
        const i = await client.get<InferenceService>(InferenceServiceRef, name, ns);
        return i.status?.conditions?.find((c) => c.type === 'Ready' && c.status === 'False' && /local path is refused on a cluster/.test(c.message ?? '')) ? i : undefined;
      }, { what: `${name} refused`, timeoutMs: 60_000, intervalMs: 500 });
      const ready = failed.status?.conditions?.find((c) => c.type === 'Ready');
      assert.ok((ready?.message ?? '').startsWith(`spec.predictor.containers[].env[STORAGE_URI] ${uri}: `), ready?.message);
      assert.equal(ready?.reason, 'InvalidPredictorSpec');
    }
  });
});
