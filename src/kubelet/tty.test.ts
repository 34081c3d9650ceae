// Integration: the terminal relay of tty containers (tty.ts) around a real command on a real pseudo-terminal, as it
// runs around `runc run` (no runc needed): output with the terminal's line endings, window sizes from the FIFO with
// SIGWINCH, input into the terminal, a stdinOnce end as end-of-file, and the command's exit code.
import { spawn } from 'node:child_process';
import { closeSync, constants, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { findTtyPython, makeTtyResizeFifo, resizeTty, ttyResizePath, ttyRunArgv, type TtyStdin } from './tty.js';
import { waitFor } from '../../test/helpers/wait.js';

const python = findTtyPython();
const skip = 'reason' in python ? python.reason : false;

describe('the terminal relay of tty containers', { skip }, () => {
  let dir: string;
  let fifo: string;

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'floe-tty-'));
  });

  after(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  /**
   * The relay around `sh -c script`, its stdin a FIFO (the fd to write it returned) or nothing; its output and exit.
   * The relay's terminal is raw, as runc wants it; the script first makes it a terminal as a container's is (`stty sane`).
   */
  const relay = (script: string, mode: TtyStdin): { output: () => string; exited: Promise<number>; stdin?: number } => {
    fifo = ttyResizePath(dir);
    assert.ok(makeTtyResizeFifo(fifo));
    let stdin: number | undefined;
    let read: number | 'ignore' = 'ignore';
    if (mode !== 'none') {
      const path = join(dir, 'stdin');
      rmSync(path, { force: true });
      assert.ok(makeTtyResizeFifo(path));
      stdin = openSync(path, constants.O_RDWR);
      read = openSync(path, constants.O_RDONLY);
    }
    const argv = ttyRunArgv((python as { path: string }).path, fifo, mode, ['sh', '-c', `stty sane; ${script}`]);
    const child = spawn(argv[0]!, argv.slice(1), { stdio: [read, 'pipe', 'inherit'] });
    if (typeof read === 'number') closeSync(read);
    let out = '';
    child.stdout!.on('data', (d: Buffer) => { out += d.toString(); });
    const exited = new Promise<number>((resolve) => child.once('exit', (code) => resolve(code ?? -1)));
    return { output: () => out, exited, ...(stdin !== undefined ? { stdin } : {}) };
  };

  test('the command runs on a terminal of 80x24 by default, with its exit code passed on', async () => {
    const r = relay('test -t 0 && test -t 1 && echo on-a-terminal; stty size; exit 6', 'none');
    assert.equal(await r.exited, 6);
    assert.equal(r.output(), 'on-a-terminal\r\n24 80\r\n');
  });

  test('a size written to the FIFO reaches the terminal and the command is told with SIGWINCH; bad sizes are ignored', async () => {
    const r = relay("trap 'echo winch; stty size; exit 0' WINCH; echo ready; while :; do sleep 0.1; done", 'none');
    await waitFor(() => r.output().includes('ready'), { what: 'the command to start', timeoutMs: 20_000 });
    resizeTty(fifo, 0, 10);
    resizeTty(fifo, 120, 40);
    assert.equal(await r.exited, 0);
    assert.equal(r.output(), 'ready\r\nwinch\r\n40 120\r\n');
    // Once the run has ended, a size has nowhere to go and is dropped.
    resizeTty(fifo, 100, 30);
  });

  test("input reaches the terminal (echoed, as a terminal does), and a stdinOnce end is the command's end of file", async () => {
    const r = relay('echo ready; while read l; do echo "got=$l"; done; echo eof; exit 2', 'once');
    await waitFor(() => r.output().includes('ready'), { what: 'the command to start', timeoutMs: 20_000 });
    writeSync(r.stdin!, 'one\n');
    await waitFor(() => r.output().includes('got=one'), { what: 'the first line', timeoutMs: 20_000 });
    closeSync(r.stdin!);
    assert.equal(await r.exited, 2);
    assert.match(r.output(), /one\r\ngot=one\r\n/);
    assert.match(r.output(), /eof\r\n$/);
  });
});
