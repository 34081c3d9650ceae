// Training jobs end to end through the built CLI and kubectl: apply, wait, get with replica states, logs per replica, kill -9 of Floe mid-job.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { killRecordedProcesses } from '../test/helpers/kubelet-harness.js';
import { floeCli, kubectl, removeDir, startFloeProcess, waitFor, type RunningFloe } from './harness.js';

const printRank = "import os; print('rank', os.environ['RANK'], 'of', os.environ['WORLD_SIZE'], flush=True)";

function pytorchJob(name: string, seconds: number): string {
  const replica = (type: string, replicas: number): string => `
    ${type}:
      replicas: ${replicas}
      restartPolicy: OnFailure
      template:
        spec:
          containers:
            - name: pytorch
              image: python:3.11
              command: ["python3", "-c", "${printRank}; import time; time.sleep(${seconds})"]`;
  return `apiVersion: kubeflow.org/v1
kind: PyTorchJob
metadata:
  name: ${name}
spec:
  pytorchReplicaSpecs:${replica('Master', 1)}${replica('Worker', 2)}
`;
}

describe('training jobs through the CLI', () => {
  let floe: RunningFloe;

  before(async () => {
    floe = await startFloeProcess();
  });

  after(async () => {
    await floe.stop();
    killRecordedProcesses(floe.dataDir);
    removeDir(floe.dataDir);
  });

  test('floe apply, floe wait, floe get with replica states, floe logs per replica, kubectl get', async () => {
    const applied = await floeCli(floe, ['apply', '-f', '-'], pytorchJob('ranks', 0));
    assert.equal(applied.code, 0, applied.stderr);
    assert.equal(applied.stdout.trim(), 'pytorchjob.kubeflow.org/ranks created');
    const waited = await floeCli(floe, ['wait', 'pytorchjob/ranks', '--for=condition=Succeeded', '--timeout=60s']);
    assert.equal(waited.code, 0, waited.stderr);
    const got = await floeCli(floe, ['get', 'pytorchjobs']);
    assert.equal(got.code, 0, got.stderr);
    const [header, row] = got.stdout.trim().split('\n');
    assert.match(header ?? '', /^NAME\s+STATE\s+REPLICAS\s+AGE$/);
    assert.match(row ?? '', /^ranks\s+Succeeded\s+Master: 1 succeeded; Worker: 2 succeeded\s+\d+s$/);
    const worker1 = await floeCli(floe, ['logs', 'pytorchjob/ranks', '--replica', 'worker-1']);
    assert.equal(worker1.code, 0, worker1.stderr);
    assert.equal(worker1.stdout, 'rank 2 of 3\n');
    const master = await floeCli(floe, ['logs', 'job/ranks']);
    assert.equal(master.stdout, 'rank 0 of 3\n');
    const wrong = await floeCli(floe, ['logs', 'pytorchjob/ranks', '--replica', 'worker-7']);
    assert.equal(wrong.code, 1);
    assert.match(wrong.stderr, /ranks-worker-7/);
    const viaKubectl = await kubectl(floe, ['get', 'pytorchjobs', '-o', 'wide']);
    assert.match(viaKubectl.stdout, /ranks\s+Succeeded/);
    const pods = await kubectl(floe, ['get', 'pods', '-l', 'training.kubeflow.org/job-name=ranks', '-o', 'name']);
    assert.deepEqual(pods.stdout.trim().split('\n').sort(), ['pod/ranks-master-0', 'pod/ranks-worker-0', 'pod/ranks-worker-1']);
  });

  test('kill -9 of Floe mid-job, then a restart: the job still ends Succeeded', async () => {
    const applied = await floeCli(floe, ['apply', '-f', '-'], pytorchJob('sturdy', 4));
    assert.equal(applied.code, 0, applied.stderr);
    await waitFor(async () => {
      const r = await floeCli(floe, ['get', 'pytorchjob', 'sturdy', '-o', 'jsonpath={.status.replicaStatuses.Worker.active}']);
      return r.stdout === '2';
    }, { what: 'the workers to run', timeoutMs: 30_000 });
    const dataDir = floe.dataDir;
    const exited = new Promise((r) => floe.process.once('exit', r));
    floe.process.kill('SIGKILL');
    await exited;
    floe = await startFloeProcess([], dataDir);
    const waited = await floeCli(floe, ['wait', 'pytorchjob/sturdy', '--for=condition=Succeeded', '--timeout=60s']);
    assert.equal(waited.code, 0, waited.stderr + waited.stdout);
    const logs = await floeCli(floe, ['logs', 'pytorchjob/sturdy', '--replica', 'worker-0']);
    assert.equal(logs.stdout, 'rank 1 of 3\n', 'the same process ran on: it was re-adopted, not restarted');
    const restarts = await floeCli(floe, ['get', 'pods', '-l', 'training.kubeflow.org/job-name=sturdy', '-o', 'jsonpath={.items[*].status.containerStatuses[0].restartCount}']);
    assert.equal(restarts.stdout.trim(), '0 0 0');
  });
});
