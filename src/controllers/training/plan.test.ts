// Pure planning: defaults, checks, and the environment contract as a cluster sees it (DNS names, default ports).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Service } from '../../api/core-v1.js';
import { mxnet, pytorch, tensorflow, xgboost } from './frameworks.js';
import { addressBook, desiredPod, desiredService, setJobCondition } from './plan.js';
import { validateJob, withDefaults } from './spec.js';
import type { Framework } from './framework.js';
import type { JobStatus, TrainingJob } from './types.js';

const container = (name: string) => ({ name, image: 'img', command: ['run'] });

function makeJob(fw: Framework, replicas: Record<string, number>, spec: Record<string, unknown> = {}): TrainingJob {
  const specs: Record<string, unknown> = {};
  for (const [type, n] of Object.entries(replicas)) specs[type] = { replicas: n, template: { spec: { containers: [container(fw.container)] } } };
  return { apiVersion: 'kubeflow.org/v1', kind: fw.kind, metadata: { name: 'job', namespace: 'team-a', uid: 'u1' }, spec: { ...spec, [fw.replicaSpecsField]: specs } };
}

/** The Services as a cluster holds them: no Floe host ports, so peers are DNS names with the framework's port. */
function clusterPods(fw: Framework, raw: TrainingJob) {
  const job = withDefaults(fw, raw);
  const services = new Map<string, Service>();
  const specs = job.spec[fw.replicaSpecsField] as Record<string, { replicas: number }>;
  for (const [type, s] of Object.entries(specs)) for (let i = 0; i < s.replicas; i++) {
    const svc = desiredService(fw, job, type, i);
    services.set(svc.metadata.name ?? '', svc);
  }
  const address = addressBook(fw, job, services);
  const envOf = (type: string, i: number): Record<string, string> =>
    Object.fromEntries((desiredPod(fw, job, type, i, address).spec.containers.find((c) => c.name === fw.container)?.env ?? []).map((e) => [e.name, String(e.value)]));
  return { job, envOf };
}

test('defaults: CamelCase replica keys, one replica, the kind restart policy and clean-pod policy, the framework port', () => {
  const raw = makeJob(tensorflow, {});
  raw.spec.tfReplicaSpecs = { worker: { template: { spec: { containers: [container('tensorflow')] } } }, ps: { replicas: 2, template: { spec: { containers: [container('tensorflow')] } } } };
  const job = withDefaults(tensorflow, raw);
  const specs = job.spec.tfReplicaSpecs as Record<string, { replicas: number; restartPolicy: string; template: { spec: { containers: { ports: unknown[] }[] } } }>;
  assert.deepEqual(Object.keys(specs).sort(), ['PS', 'Worker']);
  assert.equal(specs.Worker?.replicas, 1);
  assert.equal(specs.Worker?.restartPolicy, 'Never');
  assert.deepEqual(specs.Worker?.template.spec.containers[0]?.ports, [{ name: 'tfjob-port', containerPort: 2222 }]);
  assert.equal(job.spec.runPolicy?.cleanPodPolicy, 'Running');
  assert.equal(withDefaults(pytorch, makeJob(pytorch, { Master: 1 })).spec.runPolicy?.cleanPodPolicy, 'None');
  assert.deepEqual(raw.spec.tfReplicaSpecs && Object.keys(raw.spec.tfReplicaSpecs), ['worker', 'ps'], 'the input is not changed');
});

test('elastic defaults copy min and max from each other, or from the Worker replicas', () => {
  const both = withDefaults(pytorch, makeJob(pytorch, { Worker: 3 }, { elasticPolicy: {} }));
  assert.deepEqual([both.spec.elasticPolicy?.minReplicas, both.spec.elasticPolicy?.maxReplicas], [3, 3]);
  const onlyMax = withDefaults(pytorch, makeJob(pytorch, { Worker: 3 }, { elasticPolicy: { maxReplicas: 5 } }));
  assert.deepEqual([onlyMax.spec.elasticPolicy?.minReplicas, onlyMax.spec.elasticPolicy?.maxReplicas], [5, 5]);
});

test('checks name every bad field', () => {
  const job = withDefaults(tensorflow, makeJob(tensorflow, { Chief: 2, Master: 1, Bogus: 1 }));
  const fields = validateJob(tensorflow, job).map((e) => `${e.field}: ${e.message}`);
  assert.deepEqual(fields, [
    'spec.tfReplicaSpecs[Chief].replicas: Invalid value: 2: a TFJob has exactly one Chief replica',
    'spec.tfReplicaSpecs[Bogus]: Unsupported value: "Bogus": supported values: "Chief", "Master", "PS", "Worker", "Evaluator"',
    'spec.tfReplicaSpecs: Forbidden: a TFJob has either a Chief or a Master replica, not both',
  ]);
  assert.deepEqual(validateJob(pytorch, withDefaults(pytorch, { ...makeJob(pytorch, {}), metadata: { name: '9lives', namespace: 'x' } })).map((e) => e.field), ['metadata.name', 'spec.pytorchReplicaSpecs']);
  assert.deepEqual(validateJob(mxnet, withDefaults(mxnet, makeJob(mxnet, { Worker: 1 }))).map((e) => e.field), ['spec.mxReplicaSpecs[Scheduler]']);
  assert.deepEqual(validateJob(pytorch, withDefaults(pytorch, makeJob(pytorch, { Worker: 1 }, { nprocPerNode: 'many' }))).map((e) => e.field), ['spec.nprocPerNode']);
});

test('on a cluster TF_CONFIG lists <job>-<type>-<i>.<namespace>.svc:<port>', () => {
  const { envOf } = clusterPods(tensorflow, makeJob(tensorflow, { Chief: 1, PS: 1, Worker: 2 }));
  assert.deepEqual(JSON.parse(envOf('Worker', 1).TF_CONFIG ?? ''), {
    cluster: { chief: ['job-chief-0.team-a.svc:2222'], ps: ['job-ps-0.team-a.svc:2222'], worker: ['job-worker-0.team-a.svc:2222', 'job-worker-1.team-a.svc:2222'] },
    task: { type: 'worker', index: 1 },
    environment: 'cloud',
  });
  const single = clusterPods(tensorflow, makeJob(tensorflow, { Worker: 1 }));
  assert.deepEqual(single.envOf('Worker', 0), {}, 'a non-distributed TFJob gets no TF_CONFIG');
  const dynamic = clusterPods(tensorflow, makeJob(tensorflow, { PS: 1, Worker: 2 }, { enableDynamicWorker: true }));
  assert.deepEqual(JSON.parse(dynamic.envOf('Worker', 1).TF_CONFIG ?? ''), { cluster: { ps: ['job-ps-0.team-a.svc:2222'], worker: { 1: 'job-worker-1.team-a.svc:2222' } }, task: { type: 'worker', index: 1 } });
});

test('on a cluster PyTorch, XGBoost and MXNet address the master by Service name and default port', () => {
  const pt = clusterPods(pytorch, makeJob(pytorch, { Master: 1, Worker: 2 }, { nprocPerNode: '2' }));
  assert.deepEqual(pt.envOf('Worker', 1), {
    PYTHONUNBUFFERED: '1', MASTER_ADDR: 'job-master-0', PET_MASTER_ADDR: 'job-master-0', MASTER_PORT: '23456', PET_MASTER_PORT: '23456',
    WORLD_SIZE: '6', RANK: '2', PET_NODE_RANK: '2', PET_NPROC_PER_NODE: '2', PET_NNODES: '3',
  });
  const elastic = clusterPods(pytorch, makeJob(pytorch, { Worker: 2 }, { elasticPolicy: { rdzvPort: 29400, standalone: true } }));
  assert.deepEqual(elastic.envOf('Worker', 0), { PYTHONUNBUFFERED: '1', PET_NPROC_PER_NODE: 'auto', PET_NNODES: '2:2', PET_RDZV_ENDPOINT: 'job-worker-0:29400', PET_RDZV_BACKEND: 'c10d', PET_STANDALONE: '' });
  const xgb = clusterPods(xgboost, makeJob(xgboost, { Master: 1, Worker: 2 }));
  assert.deepEqual(xgb.envOf('Worker', 0), { MASTER_ADDR: 'job-master-0', MASTER_PORT: '9999', WORLD_SIZE: '3', RANK: '1', PYTHONUNBUFFERED: '1', WORKER_PORT: '9999', WORKER_ADDRS: 'job-worker-0,job-worker-1' });
  const mx = clusterPods(mxnet, makeJob(mxnet, { Scheduler: 1, Server: 1, Worker: 1 }));
  const env = mx.envOf('Server', 0);
  assert.deepEqual(JSON.parse(env.MX_CONFIG ?? ''), {
    cluster: { scheduler: [{ url: 'job-scheduler-0', port: 9091 }], server: [{ url: 'job-server-0', port: 9091 }], worker: [{ url: 'job-worker-0', port: 9091 }] },
    labels: { scheduler: '', server: '', worker: '' },
    task: { type: 'server', index: 0 },
  });
  assert.equal(env.DMLC_PS_ROOT_URI, 'job-scheduler-0');
  assert.equal(env.DMLC_ROLE, 'server');
  assert.equal(env.DMLC_WORKER_ID, undefined);
});

test('pods carry the operator labels, job-role on the master, ExitCode as Never, and user env before the contract', () => {
  const raw = makeJob(pytorch, { Master: 1 });
  const specs = raw.spec.pytorchReplicaSpecs as Record<string, { restartPolicy?: string; template: { spec: { containers: { env?: unknown[] }[] } } }>;
  specs.Master!.restartPolicy = 'ExitCode';
  specs.Master!.template.spec.containers[0]!.env = [{ name: 'MINE', value: '1' }];
  const job = withDefaults(pytorch, raw);
  const pod = desiredPod(pytorch, job, 'Master', 0, addressBook(pytorch, job, new Map()));
  assert.equal(pod.metadata.name, 'job-master-0');
  assert.deepEqual(pod.metadata.labels, {
    'training.kubeflow.org/operator-name': 'pytorchjob-controller', 'training.kubeflow.org/job-name': 'job', 'training.kubeflow.org/replica-type': 'master',
    'training.kubeflow.org/replica-index': '0', 'training.kubeflow.org/job-role': 'master',
  });
  assert.equal(pod.spec.restartPolicy, 'Never');
  assert.equal(pod.spec.containers[0]?.env?.[0]?.name, 'MINE');
  assert.deepEqual(pod.metadata.ownerReferences, [{ apiVersion: 'kubeflow.org/v1', kind: 'PyTorchJob', name: 'job', uid: 'u1', controller: true, blockOwnerDeletion: true }]);
});

test('conditions: the last is the state; Running and Restarting replace each other; Succeeded turns Running False', () => {
  const status: JobStatus = {};
  setJobCondition(status, 'Created', 'True', 'TFJobCreated', 'created', 0);
  setJobCondition(status, 'Running', 'True', 'TFJobRunning', 'running', 1000);
  setJobCondition(status, 'Restarting', 'True', 'TFJobRestarting', 'restarting', 2000);
  assert.deepEqual(status.conditions?.map((c) => c.type), ['Created', 'Restarting']);
  setJobCondition(status, 'Running', 'True', 'TFJobRunning', 'running', 3000);
  assert.equal(setJobCondition(status, 'Running', 'True', 'TFJobRunning', 'running', 4000), false, 'no change, no write');
  setJobCondition(status, 'Succeeded', 'True', 'TFJobSucceeded', 'done', 5000);
  assert.deepEqual(status.conditions?.map((c) => `${c.type}=${c.status}`), ['Created=True', 'Running=False', 'Succeeded=True']);
});

test('success rules: chief or master decides; else worker-0, or every worker with AllWorkers; elastic PyTorch on any worker', () => {
  const pods = (replicas: number, succeeded: number[]) => ({ replicas, succeeded: new Set(succeeded), running: new Set<number>() });
  const tf = (spec: Record<string, unknown> = {}) => withDefaults(tensorflow, makeJob(tensorflow, { Worker: 2 }, spec));
  assert.equal(tensorflow.succeeded(tf(), { Worker: pods(2, [0]) }), true);
  assert.equal(tensorflow.succeeded(tf(), { Worker: pods(2, [1]) }), false);
  assert.equal(tensorflow.succeeded(tf({ successPolicy: 'AllWorkers' }), { Worker: pods(2, [0]) }), false);
  assert.equal(tensorflow.succeeded(tf({ successPolicy: 'AllWorkers' }), { Worker: pods(2, [0, 1]) }), true);
  assert.equal(tensorflow.succeeded(tf(), { Chief: pods(1, []), Worker: pods(2, [0, 1]) }), false, 'with a chief, the chief decides');
  assert.equal(pytorch.succeeded(withDefaults(pytorch, makeJob(pytorch, { Worker: 3 }, { elasticPolicy: {} })), { Worker: pods(3, [2]) }), true);
  assert.equal(pytorch.succeeded(withDefaults(pytorch, makeJob(pytorch, { Worker: 3 })), { Worker: pods(3, [2]) }), false);
  assert.equal(mxnet.succeeded(withDefaults(mxnet, makeJob(mxnet, { Scheduler: 1, Worker: 2 })), { Scheduler: pods(1, []), Worker: pods(2, [0, 1]) }), true);
  assert.equal(xgboost.succeeded(withDefaults(xgboost, makeJob(xgboost, { Master: 1, Worker: 2 })), { Master: pods(1, [0]), Worker: pods(2, []) }), true);
});
