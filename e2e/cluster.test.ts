// Floe's controllers on a real Kubernetes API (kube-apiserver + etcd, kube-scheduler, kube-controller-manager, kwok
// for the node and Pod lifecycles): `floe install`, `floe controllers` from outside the cluster with leader election,
// training jobs with the cluster's environment contract (DNS names, default ports), the example operator, uninstall.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FloeError } from '../src/api/errors.js';
import type { Pod, Service } from '../src/api/core-v1.js';
import type { KubeObject } from '../src/api/meta.js';
import type { Client } from '../src/client/client.js';
import { KubeClient } from '../src/client/kube-client.js';
import { findCondition, Manager } from '../src/controller/index.js';
import { createLogger } from '../src/server/logger.js';
import { addGreeterController, installGreeterCrd } from '../examples/greeter-operator/operator.js';
import { ConfigMapRef, GreeterRef, type Greeter } from '../examples/greeter-operator/greeter.js';
import { controlPlaneUnavailable, startControlPlane, type ControlPlane } from '../test/helpers/control-plane.js';
import { freshNamespace } from '../test/helpers/fixtures.js';
import { waitFor } from '../test/helpers/wait.js';
import { freePort, stopChild } from '../test/helpers/run-process.js';

const cli = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));
const unavailable = controlPlaneUnavailable();
if (unavailable) process.stderr.write(`[cluster e2e] skipped: ${unavailable}\n`);

function runCli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cli, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    child.once('error', reject);
    child.once('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

interface Replica {
  replicas: number;
  container: string;
}

/** A training job whose Pods kwok completes (annotation) a moment after they run. */
function job(kind: string, field: string, ns: string, name: string, replicas: Record<string, Replica>): KubeObject {
  const specs: Record<string, unknown> = {};
  for (const [type, r] of Object.entries(replicas)) {
    specs[type] = {
      replicas: r.replicas,
      template: {
        metadata: { annotations: { 'kwok.floe.dev/complete': 'Succeeded' } },
        spec: { containers: [{ name: r.container, image: 'registry.example/train:1', command: ['python', 'train.py'] }] },
      },
    };
  }
  return { apiVersion: 'kubeflow.org/v1', kind, metadata: { name, namespace: ns }, spec: { [field]: specs } };
}


const envOf = (pod: Pod, container: string): Record<string, string> =>
  Object.fromEntries((pod.spec.containers.find((c) => c.name === container)?.env ?? []).map((e) => [e.name, String(e.value)]));

describe('Floe on a real kube-apiserver with kwok', { ...(unavailable ? { skip: unavailable } : {}) }, () => {
  let plane: ControlPlane;
  let client: Client;
  let controllers: ChildProcess | undefined;
  let katibPort = 0;

  before(async () => {
    plane = await startControlPlane();
    client = KubeClient.fromFile(plane.kubeconfig);
  }, { timeout: 3_600_000 });

  after(async () => {
    await stopChild(controllers);
    await plane?.stop();
  });

  test('floe install applies CRDs, RBAC and the controller manager; floe controllers leads through a Lease', async () => {
    const installed = await runCli(['install', '--kubeconfig', plane.kubeconfig, '--image', 'registry.example/floe:test']);
    assert.equal(installed.code, 0, installed.stderr);
    assert.match(installed.stdout, /customresourcedefinition\/pytorchjobs\.kubeflow\.org created/);
    assert.match(installed.stdout, /deployment\/floe-controller-manager created/);
    // Kubeflow's aggregated roles, which Profiles bind: the cluster's controller fills them from the leaf roles.
    const edit = await client.get<Pod & { aggregationRule?: { clusterRoleSelectors?: { matchLabels?: Record<string, string> }[] } }>({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole' }, 'kubeflow-edit');
    assert.deepEqual(edit.aggregationRule?.clusterRoleSelectors?.[0]?.matchLabels, { 'rbac.authorization.kubeflow.org/aggregate-to-kubeflow-edit': 'true' });
    assert.match(installed.stdout, /clusterrole\/kubeflow-pipelines-edit created/);
    const deployment = await client.get<{ metadata: { name?: string }; spec: { template: { spec: { containers: { image: string }[] } } } } & Pod>({ apiVersion: 'apps/v1', kind: 'Deployment' }, 'floe-controller-manager', 'floe-system');
    assert.equal(deployment.spec.template.spec.containers[0]?.image, 'registry.example/floe:test');
    const again = await runCli(['install', '--kubeconfig', plane.kubeconfig, '--image', 'registry.example/floe:test']);
    assert.match(again.stdout, /clusterrole\/floe-controller-manager configured/);
    // The Deployment's Pods would run the image on a real node; here the controllers run from outside instead.
    await client.patch({ apiVersion: 'apps/v1', kind: 'Deployment' }, 'floe-controller-manager', 'floe-system', { spec: { replicas: 0 } }, 'application/merge-patch+json');

    katibPort = await freePort();
    controllers = spawn(process.execPath, [cli, 'controllers', '--kubeconfig', plane.kubeconfig, '--identity', 'e2e-outside', '--log-level', 'warn', '--katib-db', join(plane.dir, 'katib.db'), '--katib-listen', `127.0.0.1:${katibPort}`], { stdio: ['ignore', 'ignore', 'inherit'] });
    const lease = await waitFor(async () => {
      const l = await client.get<{ spec?: { holderIdentity?: string } } & Pod>({ apiVersion: 'coordination.k8s.io/v1', kind: 'Lease' }, 'floe-controllers', 'floe-system');
      return l.spec?.holderIdentity === 'e2e-outside' ? l : undefined;
    }, { what: 'the floe-controllers Lease to be held', timeoutMs: 60_000 });
    assert.ok(lease);
  });

  test('PyTorchJob: headless Services, MASTER_ADDR by Service name, default port 23456, Succeeded when kwok completes the Pods', async () => {
    const ns = await freshNamespace(client, 'cluster-pt');
    await client.create(job('PyTorchJob', 'pytorchReplicaSpecs', ns, 'mnist', { Master: { replicas: 1, container: 'pytorch' }, Worker: { replicas: 2, container: 'pytorch' } }));
    const done = await waitFor(async () => {
      const j = await client.get<{ status?: { conditions?: { type: string; status: string }[] } } & Pod>({ apiVersion: 'kubeflow.org/v1', kind: 'PyTorchJob' }, 'mnist', ns);
      return j.status?.conditions?.some((c) => c.type === 'Succeeded' && c.status === 'True') ? j : undefined;
    }, { what: 'the PyTorchJob to succeed', timeoutMs: 120_000 });
    assert.ok(done);
    const services = (await client.list<Service>({ apiVersion: 'v1', kind: 'Service' }, { namespace: ns })).items;
    assert.deepEqual(services.map((s) => s.metadata.name).sort(), ['mnist-master-0', 'mnist-worker-0', 'mnist-worker-1']);
    for (const s of services) {
      assert.equal(s.spec?.clusterIP, 'None');
      assert.equal(s.metadata.annotations?.['floe.dev/host-ports'], undefined, 'no Floe host ports on a cluster');
    }
    const pods = (await client.list<Pod>({ apiVersion: 'v1', kind: 'Pod' }, { namespace: ns })).items;
    const worker1 = pods.find((p) => p.metadata.name === 'mnist-worker-1');
    assert.ok(worker1, JSON.stringify(pods.map((p) => p.metadata.name)));
    assert.equal(worker1.spec.nodeName, 'kwok-node-0', 'kube-scheduler placed it on the kwok node');
    const env = envOf(worker1, 'pytorch');
    assert.equal(env.MASTER_ADDR, 'mnist-master-0');
    assert.equal(env.MASTER_PORT, '23456');
    assert.equal(env.WORLD_SIZE, '3');
    assert.equal(env.RANK, '2');
  });

  test('TFJob: TF_CONFIG with <job>-<type>-<i>.<ns>.svc:2222, Succeeded when worker-0 completes', async () => {
    const ns = await freshNamespace(client, 'cluster-tf');
    await client.create(job('TFJob', 'tfReplicaSpecs', ns, 'dist', { Worker: { replicas: 2, container: 'tensorflow' } }));
    await waitFor(async () => {
      const j = await client.get<{ status?: { conditions?: { type: string; status: string }[] } } & Pod>({ apiVersion: 'kubeflow.org/v1', kind: 'TFJob' }, 'dist', ns);
      return j.status?.conditions?.some((c) => c.type === 'Succeeded' && c.status === 'True');
    }, { what: 'the TFJob to succeed', timeoutMs: 120_000 });
    const pod = await client.get<Pod>({ apiVersion: 'v1', kind: 'Pod' }, 'dist-worker-1', ns);
    assert.deepEqual(JSON.parse(envOf(pod, 'tensorflow').TF_CONFIG ?? '{}'), {
      cluster: { worker: [`dist-worker-0.${ns}.svc:2222`, `dist-worker-1.${ns}.svc:2222`] },
      task: { type: 'worker', index: 1 },
      environment: 'cloud',
    });
  });

  test('Katib: an Experiment runs PyTorchJob trials; Push metrics reach the observation-log endpoint of floe controllers', async () => {
    const ns = await freshNamespace(client, 'cluster-katib');
    const TrialRef = { apiVersion: 'kubeflow.org/v1beta1', kind: 'Trial' };
    type Trial = KubeObject & { spec: { parameterAssignments: { name: string; value: string }[] }; status?: { conditions?: { type: string; status: string }[] } };
    await client.create({
      apiVersion: 'kubeflow.org/v1beta1',
      kind: 'Experiment',
      metadata: { name: 'tune', namespace: ns },
      spec: {
        objective: { type: 'minimize', objectiveMetricName: 'loss' },
        algorithm: { algorithmName: 'random', algorithmSettings: [{ name: 'random_state', value: '5' }] },
        parallelTrialCount: 2,
        maxTrialCount: 2,
        metricsCollectorSpec: { collector: { kind: 'Push' } },
        parameters: [{ name: 'lr', parameterType: 'double', feasibleSpace: { min: '0.01', max: '0.1', distribution: 'logUniform' } }],
        trialTemplate: {
          primaryContainerName: 'pytorch',
          trialParameters: [{ name: 'learningRate', reference: 'lr' }],
          trialSpec: {
            apiVersion: 'kubeflow.org/v1',
            kind: 'PyTorchJob',
            spec: { pytorchReplicaSpecs: { Master: { replicas: 1, template: { spec: { containers: [{ name: 'pytorch', image: 'registry.example/train:1', command: ['python', 'train.py', '--lr=${trialParameters.learningRate}'] }] } } } } },
          },
        },
      },
    });
    const trials = await waitFor(async () => {
      const items = (await client.list<Trial>(TrialRef, { namespace: ns })).items;
      return items.length === 2 ? items : undefined;
    }, { what: 'two trials', timeoutMs: 60_000 });
    const losses = new Map<string, number>();
    for (const trial of trials) {
      const name = trial.metadata.name ?? '';
      const lr = Number(trial.spec.parameterAssignments.find((a) => a.name === 'lr')?.value);
      losses.set(name, Math.abs(Math.log10(lr) + 1.5));
      // What the trial's training code would do with floe_katib.report_metrics, then exit 0: it authenticates with its
      // Pod's ServiceAccount token, which Floe checks with the API server's TokenReview.
      const report = (token?: string): Promise<Response> =>
        fetch(`http://127.0.0.1:${katibPort}/katib/v1beta1/namespaces/${ns}/trials/${name}/observationlog`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
          body: JSON.stringify({ metrics: { loss: losses.get(name) } }),
        });
      assert.equal((await report()).status, 401, 'no token: refused');
      assert.equal((await report(serviceAccountToken(plane.kubeconfig, 'default'))).status, 403, "another namespace's ServiceAccount: refused");
      const res = await report(await waitFor(() => serviceAccountToken(plane.kubeconfig, ns), { what: `a token for ${ns}/default`, timeoutMs: 30_000 }));
      assert.equal(res.status, 200, await res.text());
      const pod = await waitFor(() => client.get<Pod>({ apiVersion: 'v1', kind: 'Pod' }, `${name}-master-0`, ns).catch(() => undefined), { what: `the master Pod of ${name}`, timeoutMs: 60_000 });
      assert.equal(envOf(pod, 'pytorch').KATIB_TRIAL_NAME, name);
      assert.match(envOf(pod, 'pytorch').FLOE_KATIB_REPORT_URL ?? '', new RegExp(`/katib/v1beta1/namespaces/${ns}/trials/${name}/observationlog$`));
      assert.equal(pod.metadata.labels?.['katib.kubeflow.org/trial'], name);
      assert.equal(pod.spec.containers[0]?.command?.[2], `--lr=${trial.spec.parameterAssignments[0]?.value ?? ''}`);
      await client.patch({ apiVersion: 'v1', kind: 'Pod' }, `${name}-master-0`, ns, { metadata: { annotations: { 'kwok.floe.dev/complete': 'Succeeded' } } }, 'application/merge-patch+json');
    }
    const done = await waitFor(async () => {
      const e = await client.get<KubeObject & { status?: { conditions?: { type: string; status: string; reason?: string }[]; currentOptimalTrial?: { bestTrialName?: string }; trialsSucceeded?: number } }>({ apiVersion: 'kubeflow.org/v1beta1', kind: 'Experiment' }, 'tune', ns);
      return e.status?.conditions?.some((c) => c.type === 'Succeeded' && c.status === 'True') ? e : undefined;
    }, { what: 'the experiment to succeed', timeoutMs: 120_000 });
    assert.equal(done.status?.trialsSucceeded, 2);
    const best = [...losses.entries()].sort((a, b) => a[1] - b[1])[0]![0];
    assert.equal(done.status?.currentOptimalTrial?.bestTrialName, best);
  });

  test('the example operator: ConfigMaps, Ready status, and garbage collection by kube-controller-manager', async () => {
    await installGreeterCrd(client);
    const manager = new Manager({ client, log: createLogger({ level: 'silent' }), host: 'e2e' });
    addGreeterController(manager);
    const abort = new AbortController();
    const running = manager.start(abort.signal);
    try {
      const ns = await freshNamespace(client, 'cluster-greeter');
      await client.create<Greeter>({ apiVersion: GreeterRef.apiVersion, kind: 'Greeter', metadata: { name: 'hello', namespace: ns }, spec: { message: 'hi', replicas: 2 } });
      await waitFor(async () => {
        const g = await client.get<Greeter>(GreeterRef, 'hello', ns);
        return findCondition(g.status?.conditions, 'Ready')?.status === 'True';
      }, { what: 'the Greeter to be Ready', timeoutMs: 60_000 });
      const names = (await client.list(ConfigMapRef, { namespace: ns, labelSelector: 'example.floe.dev/greeter=hello' })).items.map((c) => c.metadata.name).sort();
      assert.deepEqual(names, ['hello-0', 'hello-1']);
      await client.delete(GreeterRef, 'hello', ns);
      await waitFor(async () => (await client.list(ConfigMapRef, { namespace: ns, labelSelector: 'example.floe.dev/greeter=hello' })).items.length === 0, { what: 'the ConfigMaps to be collected', timeoutMs: 60_000 });
    } finally {
      abort.abort();
      await running;
    }
  });

  test('floe uninstall removes what install applied', async () => {
    const removed = await runCli(['uninstall', '--kubeconfig', plane.kubeconfig, '--yes']);
    assert.equal(removed.code, 0, removed.stderr);
    assert.match(removed.stdout, /deployment\/floe-controller-manager deleted/);
    await waitFor(async () => {
      try {
        await client.get({ apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition' }, 'tfjobs.kubeflow.org');
        return false;
      } catch (err) {
        return err instanceof FloeError && err.reason === 'NotFound';
      }
    }, { what: 'the CRDs to go', timeoutMs: 60_000 });
  });
});

/** A token of the namespace's `default` ServiceAccount, as `kubectl create token` issues it (TokenRequest). */
function serviceAccountToken(kubeconfig: string, namespace: string): string | undefined {
  const r = spawnSync('kubectl', ['--kubeconfig', kubeconfig, 'create', 'token', 'default', '-n', namespace], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : undefined;
}
