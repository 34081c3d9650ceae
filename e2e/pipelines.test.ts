// Kubeflow Pipelines as a user drives them from the shell: pipelines compiled with the kfp SDK, uploaded, listed and
// run with the built `floe` CLI against `floe up`; runs followed to their end (task progress and each component's
// output), inspected, terminated and retried, and bad input answered with what is wrong.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { killRecordedProcesses } from '../test/helpers/kubelet-harness.js';
import { floeCli, removeDir, startFloeProcess, waitFor, type FloeCliResult, type RunningFloe } from './harness.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const python = join(root, '.venvs', 'kfp', 'bin', 'python');
const missing = existsSync(python) ? false : `the pipelines environment is not installed at ${python}: run \`node tools/setup.mjs --with-training-envs\``;

/** Three pipelines: one that prints and fans out, one that fails, one that sleeps until stopped. */
const pipelines = `
import sys
from kfp import compiler, dsl

@dsl.component(base_image='python:3.11')
def say(text: str, times: int) -> str:
    for i in range(times):
        print(f'hello from {text} #{i}', flush=True)
    return text.upper()

@dsl.component(base_image='python:3.11')
def shout(text: str) -> str:
    print(f'shouting {text}!', flush=True)
    return text + '!'

@dsl.component(base_image='python:3.11')
def boom(why: str, scratch: str):
    with open(f'{scratch}/boom.attempts', 'a') as f:
        f.write('attempt\\n')
    raise RuntimeError(f'boom: {why}')

@dsl.component(base_image='python:3.11')
def nap(seconds: int):
    import time
    print('napping', flush=True)
    time.sleep(seconds)

@dsl.pipeline(name='cli-hello', description='says hello, then shouts twice')
def hello(text: str = 'world', times: int = 2, ratio: float = 1.0):
    s = say(text=text, times=times)
    with dsl.ParallelFor([1, 2]) as _:
        shout(text=s.output)

@dsl.pipeline(name='cli-boom')
def failing(why: str = 'on purpose', scratch: str = '/tmp'):
    boom(why=why, scratch=scratch)

@dsl.pipeline(name='cli-nap')
def napper(seconds: int = 600):
    nap(seconds=seconds)

for p in (hello, failing, napper):
    compiler.Compiler().compile(p, f'{sys.argv[1]}/{p.name}.yaml')
`;

const runIdOf = (r: FloeCliResult): string => {
  const id = /^Run (\S+) created/m.exec(r.stdout)?.[1];
  assert.ok(id, `no run id in: ${r.stdout}${r.stderr}`);
  return id;
};

const show = (r: FloeCliResult): string => `exit ${r.code}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`;

// Each test gets a safety net against a run that never ends (a hung CI), not a performance limit.
const safety = { timeout: 300_000 };

describe('Kubeflow Pipelines through the CLI', { skip: missing }, () => {
  let floe: RunningFloe;
  let files: string;
  const file = (name: string): string => join(files, `${name}.yaml`);
  let versionIds: string[] = [];

  before(async () => {
    floe = await startFloeProcess();
    files = join(floe.dataDir, 'compiled');
    mkdirSync(files, { recursive: true });
    // kfp reads a component's source from its file, so the script is one.
    const script = join(files, 'pipelines.py');
    writeFileSync(script, pipelines);
    execFileSync(python, [script, files], { env: { ...process.env, PYTHONWARNINGS: 'ignore' } });
  });

  after(async () => {
    await floe.stop();
    killRecordedProcesses(floe.dataDir);
    removeDir(floe.dataDir);
  });

  test('upload a compiled pipeline twice (a new version), list it, show its inputs', safety, async () => {
    const first = await floeCli(floe, ['pipeline', 'upload', file('cli-hello')]);
    assert.equal(first.code, 0, show(first));
    assert.match(first.stdout, /Pipeline cli-hello uploaded/);
    const pipelineId = /Pipeline ID:\s+(\S+)/.exec(first.stdout)?.[1];
    const v1 = /Version ID:\s+(\S+) \(cli-hello\)/.exec(first.stdout)?.[1];
    assert.ok(pipelineId && v1, first.stdout);

    const second = await floeCli(floe, ['pipeline', 'upload', file('cli-hello')]);
    assert.equal(second.code, 0, show(second));
    assert.match(second.stdout, /uploaded version cli-hello-v2/);
    assert.equal(/Pipeline ID:\s+(\S+)/.exec(second.stdout)?.[1], pipelineId);
    const v2 = /Version ID:\s+(\S+) \(cli-hello-v2\)/.exec(second.stdout)?.[1];
    assert.ok(v2 && v2 !== v1, second.stdout);
    versionIds = [v1, v2];

    const listed = await floeCli(floe, ['pipeline', 'list']);
    assert.equal(listed.code, 0, show(listed));
    assert.match(listed.stdout, /^NAME\s+ID\s+VERSIONS\s+CREATED/);
    assert.match(listed.stdout, new RegExp(`^cli-hello\\s+${pipelineId}\\s+2\\s+\\S+\\s+says hello, then shouts twice$`, 'm'));

    const got = await floeCli(floe, ['pipeline', 'get', 'cli-hello']);
    assert.equal(got.code, 0, show(got));
    assert.match(got.stdout, new RegExp(`^ID:\\s+${pipelineId}$`, 'm'));
    assert.match(got.stdout, /Versions \(2, newest first\)/);
    assert.ok(got.stdout.indexOf(v2) < got.stdout.indexOf(v1), got.stdout);
    assert.match(got.stdout, /^\s+text\s+str\s+"world"/m);
    assert.match(got.stdout, /^\s+times\s+int\s+2/m);
    assert.match(got.stdout, /^\s+ratio\s+float\s+1\.0/m);
    // By ID too.
    const byId = await floeCli(floe, ['pipeline', 'get', pipelineId]);
    assert.equal(byId.code, 0, show(byId));
    assert.match(byId.stdout, /^Name:\s+cli-hello$/m);
  });

  test('run a compiled file with -p and --wait: task progress, component output, SUCCEEDED; then get, logs and list it', safety, async () => {
    const ran = await floeCli(floe, ['pipeline', 'run', file('cli-hello'), '-p', 'text=floe', '-p', 'times=3', '--no-cache', '--experiment', 'cli-e2e', '--wait']);
    assert.equal(ran.code, 0, show(ran));
    const id = runIdOf(ran);
    const out = ran.stdout;
    const at = (re: RegExp): number => {
      const m = re.exec(out);
      assert.ok(m, `${re} in:\n${out}`);
      return m.index;
    };
    const started = at(/^\[\d\d:\d\d:\d\d\] say\s+RUNNING$/m);
    const printed = at(/^say \| hello from floe #2$/m);
    const done = at(/^\[\d\d:\d\d:\d\d\] say\s+SUCCEEDED \(/m);
    assert.ok(started < printed && printed < done, out);
    // The ParallelFor: the loop, its iterations indented under it, each iteration's task under that.
    at(/^\[\d\d:\d\d:\d\d\] for-loop-\d+\s+RUNNING$/m);
    at(/^\[\d\d:\d\d:\d\d\] {3}for-loop-\d+-iteration-1\s+SUCCEEDED/m);
    at(/^\[\d\d:\d\d:\d\d\] {5}shout\s+SUCCEEDED/m);
    at(/^for-loop-\d+-iteration-0\/shout \| shouting FLOE!$/m);
    assert.match(out, /Run cli-hello .* SUCCEEDED after \S+\n$/);

    const got = await floeCli(floe, ['run', 'get', id]);
    assert.equal(got.code, 0, show(got));
    assert.match(got.stdout, /^State:\s+SUCCEEDED$/m);
    assert.match(got.stdout, /^Experiment:\s+cli-e2e /m);
    assert.match(got.stdout, /^Parameters:\s+text="floe" times=3$/m);
    assert.match(got.stdout, /^Finished:\s+\d{4}-/m);
    assert.match(got.stdout, /^ {2}cli-hello\s+SUCCEEDED/m);
    assert.match(got.stdout, /^ {4}say\s+SUCCEEDED\s+\S+\s+\S+/m);
    assert.match(got.stdout, /^ {8}shout\s+SUCCEEDED\s+\S+\s+\S+/m);

    const logs = await floeCli(floe, ['run', 'logs', id]);
    assert.equal(logs.code, 0, show(logs));
    assert.match(logs.stdout, /^say \| hello from floe #0$/m);
    assert.match(logs.stdout, /SUCCEEDED after/);

    const listed = await floeCli(floe, ['run', 'list']);
    assert.equal(listed.code, 0, show(listed));
    assert.match(listed.stdout, new RegExp(`^${id}\\s+cli-hello .*\\s+cli-hello\\s+SUCCEEDED\\s`, 'm'));
    const inExperiment = await floeCli(floe, ['run', 'list', '--experiment', 'cli-e2e']);
    assert.equal(inExperiment.code, 0, show(inExperiment));
    assert.match(inExperiment.stdout, new RegExp(`^${id}\\s`, 'm'));
    const elsewhere = await floeCli(floe, ['run', 'list', '--experiment', 'no-such-experiment']);
    assert.equal(elsewhere.code, 1, show(elsewhere));
    assert.match(elsewhere.stderr, /no experiment named or with the id "no-such-experiment"/);
  });

  test("run an uploaded pipeline by name (its latest version), then follow it with run logs --follow", safety, async () => {
    const ran = await floeCli(floe, ['pipeline', 'run', 'cli-hello', '-p', 'text=byname', '--run-name', 'by-name']);
    assert.equal(ran.code, 0, show(ran));
    assert.match(ran.stdout, /created: by-name$/m);
    const id = runIdOf(ran);
    const followed = await floeCli(floe, ['run', 'logs', id, '--follow']);
    assert.equal(followed.code, 0, show(followed));
    assert.match(followed.stdout, /^say \| hello from byname #1$/m);
    assert.match(followed.stdout, /Run by-name SUCCEEDED after/);
    const got = await floeCli(floe, ['run', 'get', 'by-name']);
    assert.equal(got.code, 0, show(got));
    assert.match(got.stdout, new RegExp(`^Pipeline:\\s+cli-hello \\(version ${versionIds[1]}\\)$`, 'm'));
  });

  test('a failing pipeline exits 1 with the error and the component output; retry runs it again', safety, async () => {
    const ran = await floeCli(floe, ['pipeline', 'run', file('cli-boom'), '-p', `scratch=${files}`, '--no-cache', '--wait']);
    assert.equal(ran.code, 1, show(ran));
    const id = runIdOf(ran);
    assert.match(ran.stdout, /^boom \| RuntimeError: boom: on purpose$/m);
    assert.match(ran.stdout, /^\[\d\d:\d\d:\d\d\] boom\s+FAILED \(\S+\): .*exit code 1/m);
    assert.match(ran.stdout, /Run cli-boom .* FAILED after \S+: task boom failed/);
    assert.match(ran.stderr, new RegExp(`error: run ${id} FAILED`));

    const retried = await floeCli(floe, ['run', 'retry', id]);
    assert.equal(retried.code, 0, show(retried));
    assert.match(retried.stdout, new RegExp(`Run ${id} retrying`));
    const again = await floeCli(floe, ['run', 'logs', id, '--follow']);
    assert.equal(again.code, 1, show(again));
    assert.equal(again.stdout.match(/^\[\d\d:\d\d:\d\d\] boom\s+FAILED/gm)?.length, 2, again.stdout);
    // The component really ran twice (the retry did not just adopt the first attempt's Pod).
    assert.equal(readFileSync(join(files, 'boom.attempts'), 'utf8'), 'attempt\nattempt\n');

    // A finished run cannot be retried unless it failed: the server's KFP error, shown plainly.
    const ok = await floeCli(floe, ['run', 'list']);
    const succeeded = /^(\S+)\s+.*\sSUCCEEDED\s/m.exec(ok.stdout)?.[1];
    assert.ok(succeeded, ok.stdout);
    const refused = await floeCli(floe, ['run', 'retry', succeeded]);
    assert.equal(refused.code, 1, show(refused));
    assert.match(refused.stderr, /^Error from server \(BadRequest\): run \S+ is SUCCEEDED: only a FAILED or CANCELED run can be retried$/m);
  });

  test('terminate a running run: it ends CANCELED and following it exits 1', safety, async () => {
    const ran = await floeCli(floe, ['pipeline', 'run', file('cli-nap')]);
    assert.equal(ran.code, 0, show(ran));
    const id = runIdOf(ran);
    await waitFor(async () => /^ {4}nap\s+RUNNING\s+\S+\s+\S+/m.test((await floeCli(floe, ['run', 'get', id])).stdout), { timeoutMs: 120_000, intervalMs: 500, what: 'the nap task to run' });
    const stopped = await floeCli(floe, ['run', 'terminate', id]);
    assert.equal(stopped.code, 0, show(stopped));
    const followed = await floeCli(floe, ['run', 'logs', id, '-f']);
    assert.equal(followed.code, 1, show(followed));
    assert.match(followed.stdout, /^\[\d\d:\d\d:\d\d\] nap\s+CANCELED/m);
    assert.match(followed.stdout, /Run cli-nap .* CANCELED after/);
    const got = await floeCli(floe, ['run', 'get', id]);
    assert.match(got.stdout, /^State:\s+CANCELED$/m);
  });

  test('bad input says which argument is wrong', safety, async () => {
    const syntax = await floeCli(floe, ['pipeline', 'run', file('cli-hello'), '-p', 'text=ok', '-p', 'oops']);
    assert.equal(syntax.code, 2, show(syntax));
    assert.match(syntax.stderr, /^error: -p oops: a parameter is written key=value/m);
    const noFile = await floeCli(floe, ['pipeline', 'run', join(files, 'missing.yaml')]);
    assert.equal(noFile.code, 2, show(noFile));
    assert.match(noFile.stderr, /no such file: .*missing\.yaml/);
    const noUpload = await floeCli(floe, ['pipeline', 'upload', join(files, 'missing.yaml')]);
    assert.equal(noUpload.code, 2, show(noUpload));
    const unknownPipeline = await floeCli(floe, ['pipeline', 'run', 'no-such-pipeline']);
    assert.equal(unknownPipeline.code, 1, show(unknownPipeline));
    assert.match(unknownPipeline.stderr, /"no-such-pipeline" is neither a file nor an uploaded pipeline/);
    // The server checks parameters against the pipeline's inputs.
    const unknownParam = await floeCli(floe, ['pipeline', 'run', file('cli-hello'), '-p', 'nope=1']);
    assert.equal(unknownParam.code, 1, show(unknownParam));
    assert.match(unknownParam.stderr, /^Error from server \(BadRequest\): .*nope/m);
    const badValue = await floeCli(floe, ['pipeline', 'run', file('cli-hello'), '-p', 'times=many']);
    assert.equal(badValue.code, 1, show(badValue));
    assert.match(badValue.stderr, /times.*integer/);
    const unknownRun = await floeCli(floe, ['run', 'get', '00000000-0000-0000-0000-000000000000']);
    assert.equal(unknownRun.code, 1, show(unknownRun));
    assert.match(unknownRun.stderr, /no run with the id or name/);
  });
});
