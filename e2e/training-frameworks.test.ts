// Real distributed training through Floe, as a user runs it: the example's script in a ConfigMap (kubectl), the
// example's manifest (floe apply), Succeeded (floe wait), then every rank's FLOE_RESULT line from its logs: all ranks
// took part, they agree on the model, and the model learned.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { killRecordedProcesses } from '../test/helpers/kubelet-harness.js';
import { floeCli, kubectl, removeDir, startFloeProcess, type RunningFloe } from './harness.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const examples = join(root, 'examples', 'training');

interface Run {
  framework: string;
  /** The environment under .venvs that runs it. */
  venv: string;
  configMap: string;
  script: string;
  manifest: string;
  /** `kind/name` as floe takes it. */
  job: string;
  /** The replicas that train and print FLOE_RESULT, as --replica values. */
  ranks: string[];
  minAccuracy: number;
}

const runs: Run[] = [
  { framework: 'pytorch', venv: 'torch', configMap: 'pytorch-ddp', script: 'pytorch/train_ddp.py', manifest: 'pytorch/pytorchjob.yaml', job: 'pytorchjob/pytorch-ddp', ranks: ['master-0', 'worker-0', 'worker-1'], minAccuracy: 0.9 },
  { framework: 'pytorch', venv: 'torch', configMap: 'pytorch-elastic', script: 'pytorch/train_ddp.py', manifest: 'pytorch-elastic/pytorchjob-elastic.yaml', job: 'pytorchjob/pytorch-elastic', ranks: ['worker-0', 'worker-1', 'worker-2'], minAccuracy: 0.9 },
  { framework: 'xgboost', venv: 'torch', configMap: 'xgboost-dist', script: 'xgboost/train_xgb.py', manifest: 'xgboost/xgboostjob.yaml', job: 'xgboostjob/xgboost-dist', ranks: ['master-0', 'worker-0', 'worker-1'], minAccuracy: 0.9 },
  { framework: 'tensorflow', venv: 'tensorflow', configMap: 'tensorflow-mwms', script: 'tensorflow/train_mwms.py', manifest: 'tensorflow/tfjob.yaml', job: 'tfjob/tensorflow-mwms', ranks: ['worker-0', 'worker-1'], minAccuracy: 0.9 },
  { framework: 'mxnet', venv: 'mxnet', configMap: 'mxnet-dist', script: 'mxnet/train_dist.py', manifest: 'mxnet/mxjob.yaml', job: 'mxjob/mxnet-dist', ranks: ['worker-0', 'worker-1'], minAccuracy: 0.9 },
];

interface Result {
  framework: string;
  rank: number;
  world_size: number;
  accuracy: number;
  checksum: number;
}

describe('real distributed training through Floe', () => {
  let floe: RunningFloe;

  before(async () => {
    floe = await startFloeProcess();
  });

  after(async () => {
    await floe.stop();
    killRecordedProcesses(floe.dataDir);
    removeDir(floe.dataDir);
  });

  for (const run of runs) {
    test(`${run.job}: ${run.ranks.length} ranks train together and the model learns`, async () => {
      assert.ok(existsSync(join(root, '.venvs', run.venv, 'bin', 'python')), `.venvs/${run.venv} is missing: tools/setup.mjs builds it (npm test does)`);
      const cm = await kubectl(floe, ['create', 'configmap', run.configMap, `--from-file=${join(examples, run.script)}`]);
      assert.equal(cm.code, 0, cm.stderr);
      const applied = await floeCli(floe, ['apply', '-f', join(examples, run.manifest)]);
      assert.equal(applied.code, 0, applied.stderr);
      const waited = await floeCli(floe, ['wait', run.job, '--for=condition=Succeeded', '--timeout=600s']);
      if (waited.code !== 0) {
        const described = await floeCli(floe, ['describe', run.job]);
        const logs = await Promise.all(run.ranks.map((r) => floeCli(floe, ['logs', run.job, '--replica', r])));
        assert.fail(`${run.job} did not succeed: ${waited.stderr}\n${described.stdout}\n${logs.map((l, i) => `--- ${run.ranks[i]}\n${l.stdout.slice(-3000)}${l.stderr}`).join('\n')}`);
      }
      const results: Result[] = [];
      for (const replica of run.ranks) {
        const logs = await floeCli(floe, ['logs', run.job, '--replica', replica]);
        assert.equal(logs.code, 0, logs.stderr);
        const line = logs.stdout.trim().split('\n').filter((l) => l.startsWith('FLOE_RESULT ')).at(-1);
        assert.ok(line, `${replica} printed no FLOE_RESULT line:\n${logs.stdout.slice(-2000)}`);
        results.push(JSON.parse(line.slice('FLOE_RESULT '.length)) as Result);
      }
      const world = run.ranks.length;
      assert.deepEqual(results.map((r) => r.rank).sort(), [...Array(world).keys()], 'every rank took part, once');
      for (const r of results) {
        assert.equal(r.framework, run.framework);
        assert.equal(r.world_size, world);
        assert.ok(r.accuracy >= run.minAccuracy, `rank ${r.rank} reached ${r.accuracy} held-out accuracy, below ${run.minAccuracy}`);
        assert.ok(Math.abs(r.checksum - results[0]!.checksum) <= 1e-4 * Math.max(1, Math.abs(results[0]!.checksum)), `the ranks disagree on the model: ${JSON.stringify(results)}`);
      }
    });
  }
});
