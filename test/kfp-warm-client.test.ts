// The warm executor's C client (native/floe-warm-client.c) against the real worker (python/floe_warm_executor.py in the
// pipelines environment), side by side with the Python client it replaces on every task's path: the same component
// sees the same environment (a non-UTF-8 value, a non-ASCII one), directory and umask, runs as a fork of the worker,
// and the client exits as the task did, by code or by the signal the client forwarded to it.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { compiledClient } from '../src/controllers/pipelines/warm-executor.js';
import { createLogger } from '../src/server/logger.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const venv = join(root, '.venvs', 'kfp');
const script = join(root, 'python', 'floe_warm_executor.py');
const source = join(root, 'native', 'floe-warm-client.c');
const skip = !existsSync(join(venv, 'bin', 'python'))
  ? `the pipelines environment is not installed at ${venv}`
  : spawnSync(process.env.CC ?? 'cc', ['--version']).status !== 0 ? 'no C compiler (cc) on this machine' : false;

/** The kfp compiler's lightweight-component command, as kfp 2.17.3 writes it, around `body` (the function f). */
function component(body: string, outputFile: string): string[] {
  const install = '\nif ! [ -x "$(command -v pip)" ]; then\n    python3 -m ensurepip || python3 -m ensurepip --user || apt-get install python3-pip\nfi\n\nPIP_DISABLE_PIP_VERSION_CHECK=1 python3 -m pip install --quiet --no-warn-script-location \'kfp==2.17.3\' \'--no-deps\' \'typing-extensions>=3.7.4,<5; python_version<"3.9"\' && "$0" "$@"\n';
  const executor = 'program_path=$(mktemp -d)\n\nprintf "%s" "$0" > "$program_path/ephemeral_component.py"\n_KFP_RUNTIME=true python3 -m kfp.dsl.executor_main                         --component_module_path                         "$program_path/ephemeral_component.py"                         "$@"\n';
  const program = `\nimport kfp\nfrom kfp import dsl\nfrom kfp.dsl import *\nfrom typing import *\n\n${body}\n`;
  return ['sh', '-c', install, 'sh', '-ec', executor, program, '--executor_input', JSON.stringify({ inputs: {}, outputs: { outputFile } }), '--function_to_execute', 'f'];
}

const probe = `def f():
    import os, sys, time
    parent = open('/proc/%d/cmdline' % os.getppid(), 'rb').read().split(b'\\0')
    print('ran', 'warm' if b'worker' in parent else 'fresh')
    print('bytes', os.environb[b'FLOE_BYTES'].hex(), 'text', os.environ['FLOE_TEXT'], 'cwd', os.getcwd(), 'umask', oct(os.umask(0)))
    sys.stdout.flush()
    if os.environ['FLOE_MODE'] == 'sleep':
        print('sleeping', flush=True)
        time.sleep(120)
    sys.exit(3)
`;

interface Ended {
  code: number | null;
  signal: NodeJS.Signals | null;
  out: string;
}

describe('the warm executor\'s C client against the worker, beside the Python client', { skip }, () => {
  let dir: string;
  let worker: ChildProcess;
  let socket: string;
  let native: string;
  const path = `${join(venv, 'bin')}:${process.env.PATH ?? '/usr/bin:/bin'}`;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'floe-warm-client-'));
    socket = join(dir, 'kfp.sock');
    const built = compiledClient(source, createLogger({ level: 'silent' }));
    assert.ok(built, 'the C client builds');
    native = built;
    worker = spawn(join(venv, 'bin', 'python'), [script, 'worker', socket], { stdio: ['pipe', 'pipe', 'inherit'], env: { PATH: path, VIRTUAL_ENV: venv, HOME: process.env.HOME ?? '/root' } });
    await once(worker.stdout!, 'data');
  });

  after(async () => {
    worker?.stdin?.end();
    if (worker && worker.exitCode === null) await once(worker, 'exit');
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  /** Runs a task through a client: its environment made by sh, so one value can hold bytes that are not UTF-8. */
  async function runTask(client: string[], mode: 'exit' | 'sleep'): Promise<Ended> {
    const argv = component(probe, join(dir, `out-${mode}.json`));
    const child = spawn('sh', ['-c', 'FLOE_BYTES=$(printf "a\\377\\303\\251z"); export FLOE_BYTES; umask 027; exec "$@"', 'sh', ...client, socket, '0', ...argv], {
      cwd: dir,
      env: { PATH: path, HOME: process.env.HOME ?? '/root', FLOE_TEXT: 'naïve ☃ 𝄞', FLOE_MODE: mode },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      out += chunk;
      if (mode === 'sleep' && out.includes('sleeping')) child.kill('SIGTERM');
    });
    child.stderr.resume();
    const [code, signal] = (await once(child, 'exit')) as [number | null, NodeJS.Signals | null];
    return { code, signal, out: out.split('\n').filter((l) => l.startsWith('ran') || l.startsWith('bytes')).join('\n') };
  }

  test('the same environment, directory and umask reach the forked component, and its exit code comes back', async () => {
    const c = await runTask([native], 'exit');
    const python = await runTask(['python3', '-S', script, 'client'], 'exit');
    assert.equal(c.code, 3);
    assert.match(c.out, /^ran warm\nbytes 61ffc3a97a text naïve ☃ 𝄞 cwd \S+ umask 0o27$/);
    assert.deepEqual(c, python);
  });

  test('SIGTERM to the client reaches the task, and the client ends by the same signal', async () => {
    const c = await runTask([native], 'sleep');
    const python = await runTask(['python3', '-S', script, 'client'], 'sleep');
    assert.deepEqual({ code: c.code, signal: c.signal }, { code: null, signal: 'SIGTERM' });
    assert.deepEqual(c, python);
  });
});
