// The Kubeflow v1 Python SDKs, unchanged, against an embedded Floe through its kubeconfig: the training-operator SDK's
// TrainingClient (a real two-replica PyTorchJob) and the Katib SDK's KatibClient (an Experiment, and `tune` with a
// Python objective function run as Katib's Job trials in the image `tune` picks by default).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Client } from '../src/client/client.js';
import { startEmbeddedFloe, type EmbeddedFloe } from './helpers/embedded-floe.js';
import { freshNamespace } from './helpers/fixtures.js';
import { waitFor } from './helpers/wait.js';

const PyTorchJobRef = { apiVersion: 'kubeflow.org/v1', kind: 'PyTorchJob' } as const;

const root = process.cwd();
const python = join(root, '.venvs', 'sdk-v1', 'bin', 'python');
const torchEnv = join(root, '.venvs', 'torch', 'bin', 'python');
const skipSdk = existsSync(python) ? false : 'the sdk-v1 environment is not built (.venvs/sdk-v1 from python/envs/sdk-v1)';
const skipTorch = skipSdk || (existsSync(torchEnv) ? false : 'the torch environment is not built (.venvs/torch): PyTorchJob and tune images run there');

/**
 * Runs a Python script with the SDK environment; its last stdout line is JSON. The script is a file, as users write
 * them: `KatibClient.tune` reads the objective function's source with `inspect.getsource`.
 */
async function runPython(dir: string, name: string, script: string, args: string[]): Promise<Record<string, unknown>> {
  const file = join(dir, name);
  await writeFile(file, script);
  return new Promise((resolve, reject) => {
    const child = spawn(python, [file, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) return reject(new Error(`python exited ${code}\n${err}\n${out}`));
      try {
        resolve(JSON.parse(out.trim().split('\n').at(-1) ?? '{}') as Record<string, unknown>);
      } catch {
        reject(new Error(`no JSON from the script:\n${out}\n${err}`));
      }
    });
  });
}

const trainingScript = `
import json, sys, time
from kubernetes import client as k8s
from kubeflow.training import TrainingClient, models
from kubeflow.training.constants import constants

kubeconfig, ns = sys.argv[1], sys.argv[2]
tc = TrainingClient(config_file=kubeconfig, namespace=ns)
code = "import os, torch, torch.distributed as dist; dist.init_process_group('gloo'); t = torch.tensor([float(os.environ['RANK']) + 1]); dist.all_reduce(t); print('rank', os.environ['RANK'], 'of', os.environ['WORLD_SIZE'], 'sum', int(t.item()), flush=True); dist.destroy_process_group()"
def replica(n):
    return models.KubeflowOrgV1ReplicaSpec(
        replicas=n,
        restart_policy="OnFailure",
        template=k8s.V1PodTemplateSpec(spec=k8s.V1PodSpec(containers=[k8s.V1Container(
            name="pytorch", image="docker.io/pytorch/pytorch:2.2.1-cuda12.1-cudnn8-runtime",
            command=["python", "-c", code], env=[k8s.V1EnvVar(name="GLOO_SOCKET_IFNAME", value="lo")])])),
    )
job = models.KubeflowOrgV1PyTorchJob(
    api_version=constants.API_VERSION, kind=constants.PYTORCHJOB_KIND,
    metadata=k8s.V1ObjectMeta(name="sdk-ddp"),
    spec=models.KubeflowOrgV1PyTorchJobSpec(
        run_policy=models.KubeflowOrgV1RunPolicy(clean_pod_policy="None"),
        pytorch_replica_specs={"Master": replica(1), "Worker": replica(1)},
    ),
)
tc.create_job(job)
created = tc.is_job_created("sdk-ddp")
done = tc.wait_for_job_conditions("sdk-ddp", timeout=600, polling_interval=1)
# The job succeeds with its master; wait for the worker's own end before reading its log.
for _ in range(120):
    if all(p.status.phase in ("Succeeded", "Failed") for p in tc.get_job_pods("sdk-ddp")):
        break
    time.sleep(1)
conditions = [c.type for c in tc.get_job_conditions("sdk-ddp") if c.status == "True"]
succeeded = tc.is_job_succeeded("sdk-ddp")
pods = tc.get_job_pod_names("sdk-ddp", is_master=False)
master_logs, _ = tc.get_job_logs("sdk-ddp")
all_logs, _ = tc.get_job_logs("sdk-ddp", is_master=False)
followed, _ = tc.get_job_logs("sdk-ddp", is_master=False, follow=True)
jobs = [j.metadata.name for j in tc.list_jobs()]
tc.delete_job("sdk-ddp")

# create_job from a training function: the SDK writes the PyTorchJob (torchrun on every replica, PET_* from Floe).
# The process group is destroyed before exit, as PyTorch asks: without it Gloo's threads may abort the process at exit
# ("terminate called without an active exception", SIGABRT) after its line is printed, torchrun then fails, and the
# container is restarted in place (restartPolicy OnFailure) into a run that waits for a master that has gone.
def train_func():
    import torch, torch.distributed as dist
    dist.init_process_group("gloo")
    t = torch.tensor([float(dist.get_rank()) + 1])
    dist.all_reduce(t)
    print(f"func rank {dist.get_rank()} of {dist.get_world_size()} sum {int(t.item())}", flush=True)
    dist.destroy_process_group()

tc.create_job(name="sdk-func", train_func=train_func, num_workers=2, num_procs_per_worker=1, env_vars={"GLOO_SOCKET_IFNAME": "lo"})
tc.wait_for_job_conditions("sdk-func", timeout=600, polling_interval=1)
# A PyTorchJob succeeds when its master does (as upstream); the worker may print its line a moment later.
for _ in range(120):
    if all(p.status.phase in ("Succeeded", "Failed") for p in tc.get_job_pods("sdk-func")):
        break
    time.sleep(1)
func_logs, _ = tc.get_job_logs("sdk-func", is_master=False)
func_image = tc.get_job("sdk-func").spec.pytorch_replica_specs["Master"].template.spec.containers[0].image
# How each replica's container ended: a restarted worker's first run is in its previous log.
def ended(state):
    t = state.terminated if state else None
    return None if t is None else t.exit_code
func_pods = {}
for p in tc.get_job_pods("sdk-func"):
    s = (p.status.container_statuses or [None])[0]
    restarts = s.restart_count if s else 0
    previous = tc.core_api.read_namespaced_pod_log(p.metadata.name, ns, container="pytorch", previous=True) if restarts > 0 else None
    func_pods[p.metadata.name] = {"phase": p.status.phase, "restarts": restarts, "exit": ended(s.state if s else None),
        "last_exit": ended(s.last_state if s else None), "previous_log": previous}
print(json.dumps({"created": created, "finished": done.metadata.name, "conditions": conditions, "succeeded": succeeded,
    "pods": sorted(pods), "master_logs": master_logs, "all_logs": all_logs, "followed": followed, "jobs": jobs,
    "func_logs": func_logs, "func_image": func_image, "func_pods": func_pods}))
`;

const katibScript = `
import json, sys
import kubeflow.katib as katib
from kubeflow.katib import models
from kubernetes import client as k8s

kubeconfig, ns = sys.argv[1], sys.argv[2]
kc = katib.KatibClient(config_file=kubeconfig, namespace=ns)

# 1. create_experiment: an Experiment object as users write it with the SDK's models (a Job trial running Python).
trial_spec = {
    "apiVersion": "batch/v1", "kind": "Job",
    "spec": {"template": {"spec": {"restartPolicy": "Never", "containers": [{
        "name": "training-container", "image": "docker.io/pytorch/pytorch:2.2.1-cuda12.1-cudnn8-runtime",
        "command": ["python", "-c", "import sys; x = float(sys.argv[1]); print(f'score={-(x - 2) ** 2}')", "\${trialParameters.x}"]}]}}},
}
experiment = models.V1beta1Experiment(
    api_version="kubeflow.org/v1beta1", kind="Experiment", metadata=k8s.V1ObjectMeta(name="sdk-exp", namespace=ns),
    spec=models.V1beta1ExperimentSpec(
        max_trial_count=3, parallel_trial_count=2, max_failed_trial_count=1,
        objective=models.V1beta1ObjectiveSpec(type="maximize", objective_metric_name="score"),
        algorithm=models.V1beta1AlgorithmSpec(algorithm_name="random"),
        parameters=[models.V1beta1ParameterSpec(name="x", parameter_type="double", feasible_space=models.V1beta1FeasibleSpace(min="0", max="4"))],
        trial_template=models.V1beta1TrialTemplate(
            primary_container_name="training-container",
            trial_parameters=[models.V1beta1TrialParameterSpec(name="x", reference="x")],
            trial_spec=trial_spec,
        ),
    ),
)
kc.create_experiment(experiment)
kc.wait_for_experiment_condition("sdk-exp", timeout=600, polling_interval=1)
exp_best = kc.get_optimal_hyperparameters("sdk-exp")
exp_succeeded = kc.is_experiment_succeeded("sdk-exp")
exp_trials = [t.metadata.name for t in kc.list_trials("sdk-exp")]

# 2. tune: a Python objective function; Katib runs it in the SDK's default base image.
def objective(parameters):
    import math
    lr = float(parameters["lr"])
    print(f"accuracy={1 - abs(math.log10(lr) + 2) / 10}")

kc.tune(
    name="sdk-tune",
    objective=objective,
    parameters={"lr": katib.search.double(min=0.0001, max=0.1)},
    objective_metric_name="accuracy",
    max_trial_count=3,
    parallel_trial_count=2,
)
kc.wait_for_experiment_condition("sdk-tune", timeout=600, polling_interval=1)
tune_best = kc.get_optimal_hyperparameters("sdk-tune")
tune_exp = kc.get_experiment("sdk-tune")
tune_image = tune_exp.spec.trial_template.trial_spec["spec"]["template"]["spec"]["containers"][0]["image"]
tune_succeeded = kc.is_experiment_succeeded("sdk-tune")
kc.delete_experiment("sdk-tune")

def best(b):
    return {"metrics": [{"name": m.name, "latest": m.latest} for m in (b.observation.metrics or [])],
            "parameters": {p.name: p.value for p in (b.parameter_assignments or [])}, "trial": b.best_trial_name}
print(json.dumps({"exp_best": best(exp_best), "exp_succeeded": exp_succeeded, "exp_trials": exp_trials,
    "tune_best": best(tune_best), "tune_succeeded": tune_succeeded, "tune_image": tune_image}))
`;

describe('Kubeflow v1 Python SDKs against Floe', () => {
  let env: EmbeddedFloe;
  let client: Client;
  let dir: string;

  before(async () => {
    env = await startEmbeddedFloe('floe-sdk-v1-');
    client = env.floe.client;
    dir = await mkdtemp(join(tmpdir(), 'floe-sdk-v1-scripts-'));
  });
  after(async () => {
    await env.stop();
    await rm(dir, { recursive: true, force: true });
  });

  test('TrainingClient (kubeflow-training 1.9): create_job (a PyTorchJob object, and a training function), wait_for_job_conditions, get_job_conditions, get_job_logs, delete_job', { skip: skipTorch }, async () => {
    const ns = await freshNamespace(client, 'sdk-training');
    const seen = await runPython(dir, 'training_client.py', trainingScript, [env.floe.kubeconfigPath, ns]);
    assert.equal(seen.created, true);
    assert.equal(seen.finished, 'sdk-ddp');
    assert.deepEqual(seen.conditions, ['Created', 'Succeeded']);
    assert.equal(seen.succeeded, true);
    assert.deepEqual(seen.pods, ['sdk-ddp-master-0', 'sdk-ddp-worker-0']);
    // Both ranks took part in the all-reduce (1 + 2).
    assert.deepEqual(Object.keys(seen.master_logs as object), ['sdk-ddp-master-0']);
    const all = seen.all_logs as Record<string, string>;
    assert.match(all['sdk-ddp-master-0'] ?? '', /rank 0 of 2 sum 3/);
    assert.match(all['sdk-ddp-worker-0'] ?? '', /rank 1 of 2 sum 3/);
    const followed = seen.followed as Record<string, string>;
    assert.match(followed['sdk-ddp-worker-0'] ?? '', /rank 1 of 2 sum 3/);
    assert.ok((seen.jobs as string[]).includes('sdk-ddp'));
    await waitFor(async () => !(await client.list(PyTorchJobRef, { namespace: ns })).items.some((j) => j.metadata.name === 'sdk-ddp'), { what: 'delete_job to remove the PyTorchJob' });
    // create_job(train_func=…): the SDK's default PyTorch image, torchrun on both replicas, both ranks in the all-reduce.
    assert.match(seen.func_image as string, /pytorch/);
    const func = seen.func_logs as Record<string, string>;
    assert.deepEqual(Object.keys(func).sort(), ['sdk-func-master-0', 'sdk-func-worker-0']);
    // Rank 0's sum (1 + 2) shows that both ranks took part.
    assert.match(func['sdk-func-master-0'] ?? '', /func rank 0 of 2 sum 3/);
    // The worker ran once, ended with 0, and its torchrun child's line is in its log. On failure the message carries
    // the worker's statuses and, when it was restarted, its previous run's log (the current one is the new run's).
    const worker = (seen.func_pods as Record<string, { phase: string; restarts: number; exit: number | null; last_exit: number | null; previous_log: string | null }>)['sdk-func-worker-0'];
    const how = JSON.stringify({ worker, log: func['sdk-func-worker-0'] });
    assert.equal(worker?.phase, 'Succeeded', how);
    assert.equal(worker?.restarts, 0, how);
    assert.equal(worker?.exit, 0, how);
    assert.match(func['sdk-func-worker-0'] ?? '', /func rank 1 of 2 sum 3/, how);
  });

  test('KatibClient (kubeflow-katib 0.19): create_experiment, tune with a Python objective, wait_for_experiment_condition, get_optimal_hyperparameters', { skip: skipTorch }, async () => {
    const ns = await freshNamespace(client, 'sdk-katib');
    const seen = await runPython(dir, 'katib_client.py', katibScript, [env.floe.kubeconfigPath, ns]);
    type Best = { metrics: { name: string; latest: string }[]; parameters: Record<string, string>; trial: string };
    const exp = seen.exp_best as Best;
    assert.equal(seen.exp_succeeded, true);
    assert.equal((seen.exp_trials as string[]).length, 3);
    assert.ok((seen.exp_trials as string[]).includes(exp.trial));
    const x = Number(exp.parameters.x);
    assert.ok(x >= 0 && x <= 4);
    assert.equal(exp.metrics[0]?.name, 'score');
    assert.ok(Math.abs(Number(exp.metrics[0]?.latest) + (x - 2) ** 2) < 1e-6, 'the best score is the one its x gives');

    assert.equal(seen.tune_succeeded, true);
    assert.equal(seen.tune_image, 'docker.io/pytorch/pytorch:2.2.1-cuda12.1-cudnn8-runtime');
    const tune = seen.tune_best as Best;
    const lr = Number(tune.parameters.lr);
    assert.ok(lr >= 0.0001 && lr <= 0.1);
    assert.equal(tune.metrics[0]?.name, 'accuracy');
    assert.ok(Math.abs(Number(tune.metrics[0]?.latest) - (1 - Math.abs(Math.log10(lr) + 2) / 10)) < 1e-6, 'the objective function ran with the suggested lr');
  });
});
