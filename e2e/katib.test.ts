// Katib as a user runs it: the example's trial template (a ConfigMap) and three Experiments tuning a real XGBoost
// model with random search, TPE and Bayesian optimisation (floe apply), Succeeded (floe wait), then `floe trials`:
// every algorithm's best trial beats XGBoost's default hyperparameters on the validation set.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { killRecordedProcesses } from '../test/helpers/kubelet-harness.js';
import { floeCli, kubectl, removeDir, startFloeProcess, type RunningFloe } from './harness.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const examples = join(root, 'examples', 'katib');
const python = join(root, '.venvs', 'torch', 'bin', 'python');
const algorithms = ['random', 'tpe', 'bayesianoptimization'];

describe('Katib tunes a real model through Floe', () => {
  let floe: RunningFloe;

  before(async () => {
    floe = await startFloeProcess();
  });

  after(async () => {
    await floe.stop();
    killRecordedProcesses(floe.dataDir);
    removeDir(floe.dataDir);
  });

  test('random, tpe and bayesianoptimization each find hyperparameters better than XGBoost\'s defaults', async () => {
    assert.ok(existsSync(python), '.venvs/torch is missing: tools/setup.mjs builds it (npm test does)');
    const baseline = Number(/rmse=([0-9.]+)/.exec(execFileSync(python, [join(examples, 'tune_xgb.py')], { encoding: 'utf8' }))?.[1]);
    assert.ok(baseline > 0, 'the default model has a validation RMSE');
    const cm = await kubectl(floe, ['create', 'configmap', 'tune-xgb', `--from-file=${join(examples, 'tune_xgb.py')}`]);
    assert.equal(cm.code, 0, cm.stderr);
    const template = await floeCli(floe, ['apply', '-f', join(examples, 'trial-template.yaml')]);
    assert.equal(template.code, 0, template.stderr);
    for (const algorithm of algorithms) {
      const applied = await floeCli(floe, ['apply', '-f', join(examples, `xgboost-${algorithm}.yaml`)]);
      assert.equal(applied.code, 0, applied.stderr);
    }
    for (const algorithm of algorithms) {
      const name = `xgboost-${algorithm}`;
      const waited = await floeCli(floe, ['wait', `experiment/${name}`, '--for=condition=Succeeded', '--timeout=900s']);
      if (waited.code !== 0) {
        const described = await floeCli(floe, ['describe', `experiment/${name}`]);
        assert.fail(`${name} did not succeed: ${waited.stderr}\n${described.stdout}`);
      }
      const table = await floeCli(floe, ['trials', name]);
      assert.equal(table.code, 0, table.stderr);
      const lines = table.stdout.split('\n');
      assert.match(lines[0] ?? '', /^NAME\s+STATUS\s+RMSE \(min\)\s+LR\s+MAX_DEPTH\s+MIN_CHILD_WEIGHT\s+SUBSAMPLE/);
      const rows = lines.slice(1).filter((l) => l.startsWith(`${name}-`));
      assert.equal(rows.length, 12, table.stdout);
      const values = rows.map((r) => Number(r.split(/\s+/)[2]));
      assert.ok(rows.every((r) => r.split(/\s+/)[1] === 'Succeeded'), table.stdout);
      assert.deepEqual(values, [...values].sort((a, b) => a - b), 'sorted best first');
      const best = /Best trial: (\S+) rmse=([0-9.]+)/.exec(table.stdout);
      assert.ok(best, table.stdout);
      assert.equal(best[1], rows[0]!.split(/\s+/)[0]);
      assert.equal(Number(best[2]), values[0]);
      assert.ok(values[0]! < baseline, `${algorithm}: best RMSE ${values[0]} should beat the default's ${baseline}\n${table.stdout}`);
      const listed = await floeCli(floe, ['get', 'experiments']);
      assert.match(listed.stdout, new RegExp(`${name}\\s+Succeeded\\s+True\\s+12`));
    }
  });
});
