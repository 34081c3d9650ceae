// A container's own terminal (`tty: true`) for runc Pods: runc runs in the foreground on a pseudo-terminal that a small
// relay keeps (its output into the run's log, the container's stdin into it, window sizes from a FIFO), so `kubectl
// attach -it` and `kubectl run -it` get a real terminal, and the run keeps its terminal across a Floe restart.
import { spawnSync } from 'node:child_process';
import { accessSync, closeSync, constants, openSync, rmSync, statSync, writeSync } from 'node:fs';
import { join } from 'node:path';

/**
 * runc 1.1 gives a container a terminal in two ways: detached, passing the terminal's master over `--console-socket`
 * (SCM_RIGHTS) to whoever started it; or in the foreground, relaying it to runc's own terminal (and refusing
 * `--console-socket` there). Floe's runs are foreground runc under the run's wrapper (exit code, process group,
 * re-adoption), so this relay gives runc a terminal of its own: a pseudo-terminal whose slave side is runc's stdio.
 * It is raw from the start (runc makes it raw too, but input that came before would be echoed twice): the container's
 * terminal does the echo and line editing. runc copies bytes both ways between it and the container's terminal; a new window size is set
 * on it and runc told with SIGWINCH, which makes runc set the same size on the container's terminal.
 *
 * Arguments: the resize FIFO (`<columns> <rows>` lines), the stdin mode (`none`: no stdin; `open`: the run's stdin
 * stays open; `once`: stdinOnce, whose end is sent to the terminal as end-of-file, ^D), then runc's command line.
 * runc stays in the wrapper's process group (the kubelet's signals reach it as before); the relay ignores the polite
 * signals, as the wrapper does, and exits with runc's code once the terminal's output has drained. Python's standard
 * library only (`-I`: the container's PYTHON* variables must not reach it), as the exec terminal helper.
 */
export const ttyRelay = String.raw`
import fcntl, os, select, signal, struct, sys, termios, tty
fifo, mode, argv = sys.argv[1], sys.argv[2], sys.argv[3:]
ctl = os.open(fifo, os.O_RDWR | os.O_NONBLOCK)
master, slave = os.openpty()
fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack('HHHH', 24, 80, 0, 0))
tty.setraw(slave)
polite = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGQUIT)
for s in polite:
    signal.signal(s, signal.SIG_IGN)
pid = os.fork()
if pid == 0:
    for s in polite:
        signal.signal(s, signal.SIG_DFL)
    os.dup2(slave, 0); os.dup2(slave, 1); os.dup2(slave, 2)
    for fd in (master, slave, ctl):
        if fd > 2:
            os.close(fd)
    try:
        os.execvp(argv[0], argv)
    except OSError as e:
        os.write(2, ('floe: cannot run %s: %s\r\n' % (argv[0], e.strerror)).encode())
        os._exit(127)
os.close(slave)
os.set_blocking(master, False)
def out(data):
    while data:
        data = data[os.write(1, data):]
def drain():
    while True:
        try:
            data = os.read(master, 65536)
        except OSError:
            return
        if not data:
            return
        out(data)
pending, status, partial = b'', None, b''
reading = [master, ctl] + ([0] if mode != 'none' else [])
while status is None:
    done, st = os.waitpid(pid, os.WNOHANG)
    if done:
        status = st
        break
    r, w, _ = select.select([fd for fd in reading if fd != 0 or len(pending) < 65536], [master] if pending else [], [], 0.1)
    if master in w:
        try:
            pending = pending[os.write(master, pending):]
        except OSError:
            pending = b''
    if master in r:
        try:
            data = os.read(master, 65536)
        except OSError:
            data = b''
        if data:
            out(data)
        else:
            reading.remove(master)
    if 0 in r:
        data = os.read(0, 65536)
        if data:
            pending += data
        else:
            reading.remove(0)
            if mode == 'once':
                pending += b'\x04'
    if ctl in r:
        try:
            partial += os.read(ctl, 4096)
        except BlockingIOError:
            pass
        size = None
        while b'\n' in partial:
            line, partial = partial.split(b'\n', 1)
            try:
                cols, rows = (int(x) for x in line.split())
                if cols > 0 and rows > 0:
                    size = struct.pack('HHHH', min(rows, 65535), min(cols, 65535), 0, 0)
            except ValueError:
                pass
        if size:
            try:
                fcntl.ioctl(master, termios.TIOCSWINSZ, size)
                os.kill(pid, signal.SIGWINCH)
            except OSError:
                pass
drain()
code = os.waitstatus_to_exitcode(status)
sys.exit(code if code >= 0 else 128 - code)
`;

export type TtyStdin = 'none' | 'open' | 'once';

const pythonCandidates = ['/usr/bin/python3', '/usr/local/bin/python3', '/bin/python3'];

/** The host's python3 for the relay, or why there is none. */
export function findTtyPython(): { path: string } | { reason: string } {
  const path = pythonCandidates.find((p) => {
    try {
      accessSync(p, constants.X_OK);
      return statSync(p).isFile();
    } catch {
      return false;
    }
  });
  return path ? { path } : { reason: `a container with tty: true needs python3 on this node for its terminal (looked in ${pythonCandidates.join(', ')})` };
}

/** Where a run's window sizes go: a FIFO in its bundle folder (runc's bundle of that container run). */
export function ttyResizePath(bundleDir: string): string {
  return join(bundleDir, 'tty-resize');
}

/** Makes the resize FIFO of a run; false where the machine has no `mkfifo`. */
export function makeTtyResizeFifo(path: string): boolean {
  rmSync(path, { force: true });
  return spawnSync('mkfifo', ['-m', '600', path], { stdio: 'ignore' }).status === 0;
}

/** The relay's command line around runc's. */
export function ttyRunArgv(python: string, resizeFifo: string, stdin: TtyStdin, runcArgv: readonly string[]): string[] {
  return [python, '-I', '-c', ttyRelay, resizeFifo, stdin, ...runcArgv];
}

/**
 * Tells a run's terminal its new window size. The relay holds the FIFO open for reading while the run lives, so a
 * non-blocking open fails (ENXIO) only once the run has ended: the size is then dropped, as it would be by the kubelet.
 */
export function resizeTty(resizeFifo: string, width: number, height: number): void {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width <= 0 || height <= 0) return;
  let fd: number | undefined;
  try {
    fd = openSync(resizeFifo, constants.O_WRONLY | constants.O_NONBLOCK);
    writeSync(fd, `${Math.min(width, 65535)} ${Math.min(height, 65535)}\n`);
  } catch {
    // the run ended, or it has no terminal
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
