// A container's stdin (`stdin: true`): a FIFO in the Pod's folder, read by the container and written by `kubectl attach`.
// The container's end outlives Floe: the run's wrapper holds a second writer (unless `stdinOnce`), so a Floe restart is no
// end of input, and a restarted Floe opens the FIFO again for the next attach.
import { spawnSync } from 'node:child_process';
import { closeSync, constants, existsSync, openSync, rmSync } from 'node:fs';
import { Socket } from 'node:net';
import { Writable } from 'node:stream';

/** The fds a run is spawned with: the container's stdin, and (unless once) the writer its wrapper keeps as fd 3. */
export interface StdinFds {
  read: number;
  hold?: number;
}

/** One container run's stdin, as Floe writes it. */
export class ContainerStdin {
  private socket: Socket | undefined;
  private attached = false;

  private constructor(
    readonly path: string,
    readonly once: boolean,
  ) {}

  /**
   * Makes the FIFO and opens its ends for a new run; undefined (stdin from /dev/null) where the machine has no `mkfifo`.
   * Close the returned fds in Floe once the run is spawned.
   */
  static create(path: string, once: boolean): { stdin: ContainerStdin; fds: StdinFds } | undefined {
    rmSync(path, { force: true });
    if (spawnSync('mkfifo', ['-m', '600', path], { stdio: 'ignore' }).status !== 0) return undefined;
    const stdin = new ContainerStdin(path, once);
    // Floe's writer first: an O_RDWR open of a FIFO never blocks, and with a writer there the reader's open does not.
    const write = openSync(path, constants.O_RDWR);
    const read = openSync(path, constants.O_RDONLY);
    const hold = once ? undefined : openSync(path, constants.O_WRONLY);
    stdin.socket = stdin.wrap(write);
    return { stdin, fds: { read, ...(hold !== undefined ? { hold } : {}) } };
  }

  /** The stdin of a run Floe re-adopted after a restart; undefined when there is none to write to. */
  static reopen(path: string, once: boolean): ContainerStdin | undefined {
    // A stdinOnce stream ended with the Floe that held it.
    if (once || !existsSync(path)) return undefined;
    const stdin = new ContainerStdin(path, once);
    stdin.socket = stdin.wrap(openSync(path, constants.O_RDWR));
    return stdin;
  }

  private wrap(fd: number): Socket {
    const socket = new Socket({ fd, readable: false, writable: true });
    // An open stdin does not keep Floe running.
    socket.unref();
    // The container exited or closed its stdin: what is still written is dropped, as it would be by the kubelet.
    socket.on('error', () => undefined);
    return socket;
  }

  /**
   * What an attach writes into. With `stdinOnce` only the first attach gets the stream, and its end is the container's
   * end of input; otherwise each attach writes until it detaches and the stream stays open.
   */
  attach(): Writable | undefined {
    const socket = this.socket;
    if (!socket || socket.destroyed || (this.once && this.attached)) return undefined;
    this.attached = true;
    return new Writable({
      write: (chunk: Buffer, _encoding, callback) => {
        if (socket.destroyed) return callback();
        socket.write(chunk, () => callback());
      },
      final: (callback) => {
        if (this.once) socket.end();
        callback();
      },
      destroy: (err, callback) => {
        if (this.once) socket.end();
        callback(err);
      },
    });
  }

  /** Floe stops: its end closes, the FIFO stays for the run (and the next Floe). */
  detach(): void {
    this.socket?.destroy();
    this.socket = undefined;
  }

  /** The run ended: nothing more to write, and the FIFO goes. */
  close(): void {
    this.detach();
    rmSync(this.path, { force: true });
  }
}

/** Closes Floe's copies of the fds a spawned run now holds. */
export function closeStdinFds(fds: StdinFds | undefined): void {
  if (!fds) return;
  closeSync(fds.read);
  if (fds.hold !== undefined) closeSync(fds.hold);
}
