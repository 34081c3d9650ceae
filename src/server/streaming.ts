// The streaming subresources of Pods (exec, attach, portforward) after the front door has let the upgrade through:
// protocol negotiation, the remote-command channel protocols over WebSocket (v4, v5) and SPDY (v4), and port-forward's
// SPDY streams, tunnelled in a WebSocket (what kubectl 1.31+ sends) or on the upgraded connection itself.
import type { IncomingMessage } from 'node:http';
import { Duplex, Readable, Writable } from 'node:stream';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import { errors } from '../api/errors.js';
import type { AttachRequest, ExecExit, ExecRequest, ExecSession } from '../kubelet/index.js';
import { SpdySession, type SpdyStream } from './spdy.js';

/** What runs the commands and opens the connections: the local kubelet in embedded mode. */
export interface PodStreamSource {
  exec(namespace: string, pod: string, request: ExecRequest): Promise<ExecSession>;
  attach(namespace: string, pod: string, request: AttachRequest): Promise<ExecSession>;
  portForward(namespace: string, pod: string, port: number): Promise<Duplex>;
}

export type StreamKind = 'exec' | 'attach' | 'portforward';

export interface StreamTarget {
  kind: StreamKind;
  namespace: string;
  name: string;
  query: URLSearchParams;
}

/** Subprotocols, as Kubernetes names them. */
export const StreamProtocol = {
  /** Remote command v5: v4 plus the client's close signal for stdin (channel 255). WebSocket only. */
  v5: 'v5.channel.k8s.io',
  /** Remote command v4: the error channel carries a metav1.Status with the exit code. */
  v4: 'v4.channel.k8s.io',
  portForward: 'portforward.k8s.io',
  /** Port-forward's SPDY carried in WebSocket binary messages (client-go's tunnelling dialer). */
  tunnelledPortForward: 'SPDY/3.1+portforward.k8s.io',
} as const;

type Transport = 'websocket' | 'spdy';

/** The channels of remote command protocols (the numbers of the POSIX descriptors, then error and resize). */
export const Channel = { stdin: 0, stdout: 1, stderr: 2, error: 3, resize: 4, close: 255 } as const;

/** How long a SPDY client has to open the streams a request announced (the kubelet's streamCreationTimeout). */
const streamCreationMs = 30_000;
/** After the command exits, how long its output may still take to drain (a background child can hold it open). */
const outputDrainMs = 2_000;

/** The protocols this server speaks for a subresource over a transport, in no order: the client's order decides. */
function supported(kind: StreamKind, transport: Transport): string[] {
  // Port-forward over plain WebSocket channels (v4) is what the Kubernetes Python client speaks.
  if (kind === 'portforward') return transport === 'websocket' ? [StreamProtocol.tunnelledPortForward, StreamProtocol.v4] : [StreamProtocol.portForward];
  return transport === 'websocket' ? [StreamProtocol.v5, StreamProtocol.v4] : [StreamProtocol.v4];
}

/** The first protocol the client offers that the server speaks (client-go orders its offer by preference). */
export function negotiate(kind: StreamKind, transport: Transport, offered: readonly string[]): string | undefined {
  const ours = supported(kind, transport);
  return offered.find((p) => ours.includes(p));
}

/** Header values a client may send as one comma-separated line or as repeated headers (Node joins those with ", "). */
function headerList(value: string | string[] | undefined): string[] {
  const joined = Array.isArray(value) ? value.join(',') : (value ?? '');
  return joined.split(',').map((s) => s.trim()).filter(Boolean);
}

/** Go's strconv.ParseBool, as the API server parses query booleans. */
function queryBool(q: URLSearchParams, name: string): boolean {
  const v = q.get(name);
  return v !== null && ['1', 't', 'T', 'true', 'TRUE', 'True'].includes(v);
}

/** PodExecOptions / PodAttachOptions from the query, with kube-apiserver's checks. */
export function streamRequest(kind: 'exec', q: URLSearchParams): ExecRequest;
export function streamRequest(kind: 'attach', q: URLSearchParams): AttachRequest;
export function streamRequest(kind: 'exec' | 'attach', q: URLSearchParams): ExecRequest | AttachRequest {
  const base: AttachRequest = { stdin: queryBool(q, 'stdin'), stdout: queryBool(q, 'stdout'), stderr: queryBool(q, 'stderr'), tty: queryBool(q, 'tty') };
  const container = q.get('container');
  if (container) base.container = container;
  if (!base.stdin && !base.stdout && !base.stderr) throw errors.badRequest('you must specify at least one of stdin, stdout, stderr');
  if (kind === 'attach') return base;
  const command = q.getAll('command');
  if (command.length === 0) throw errors.badRequest('you must specify at least 1 command');
  return { ...base, command };
}

/** The ports of a port-forward over WebSocket channels: `ports` (kube-apiserver's name) or `port` (the kubelet's). */
export function forwardedPorts(q: URLSearchParams): number[] {
  const values = [...q.getAll('ports'), ...q.getAll('port')].flatMap((v) => v.split(','));
  if (values.length === 0) throw errors.badRequest('query parameter "ports" is required');
  return values.map((v) => {
    const port = Number(v.trim());
    if (!/^\d+$/.test(v.trim()) || port < 1 || port > 65535) throw errors.badRequest(`unable to parse "${v}" as a port: must be 1-65535`);
    return port;
  });
}

/** The metav1.Status the error channel carries when a command ends (remote command v4 and later). */
export function exitStatus(exit: ExecExit): Record<string, unknown> {
  const base = { kind: 'Status', apiVersion: 'v1', metadata: {} };
  if (exit.kind === 'failed') {
    return { ...base, status: 'Failure', message: `Internal error occurred: ${exit.message}`, reason: 'InternalError', details: { causes: [{ message: exit.message }] }, code: 500 };
  }
  if (exit.code === 0) return { ...base, status: 'Success' };
  // The client parses the code as an unsigned 8-bit number.
  const code = Math.max(0, Math.min(255, exit.code));
  return {
    ...base,
    status: 'Failure',
    message: `command terminated with non-zero exit code: exit status ${code}`,
    reason: 'NonZeroExitCode',
    details: { causes: [{ reason: 'ExitCode', message: String(code) }] },
  };
}

/** One message of the channel protocol: the channel byte, then the data. */
export function channelFrame(channel: number, data: Buffer): Buffer {
  return Buffer.concat([Buffer.from([channel]), data]);
}

/** A received channel message: data for a channel, a v5 close signal, or nothing usable. */
export type ChannelMessage = { kind: 'data'; channel: number; data: Buffer } | { kind: 'close'; channel: number } | { kind: 'invalid' };

export function parseChannelMessage(message: Buffer, closeSignal: boolean): ChannelMessage {
  if (message.length === 0) return { kind: 'invalid' };
  const channel = message[0]!;
  if (closeSignal && channel === Channel.close) return message.length === 2 ? { kind: 'close', channel: message[1]! } : { kind: 'invalid' };
  return { kind: 'data', channel, data: message.subarray(1) };
}

/** A terminal size message (`{"Width":80,"Height":24}`), or undefined when it is not one. */
export function parseResize(text: string): { width: number; height: number } | undefined {
  try {
    const value = JSON.parse(text) as { Width?: unknown; Height?: unknown };
    if (typeof value.Width === 'number' && typeof value.Height === 'number') return { width: value.Width, height: value.Height };
  } catch {
    // not JSON
  }
  return undefined;
}

function bufferOf(data: RawData): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (Array.isArray(data)) return Buffer.concat(data);
  return Buffer.from(data);
}

/** A session's streams as a transport carries them, whatever the transport. */
interface ExecWire {
  stdin?: Readable;
  stdout?: Writable;
  stderr?: Writable;
  onResize(listener: (width: number, height: number) => void): void;
  /** Sends the final status and closes the connection. */
  finish(status: Record<string, unknown>): void;
  onClose(listener: () => void): void;
}

/** Runs a session over a wire: input in, output out, resizes, and the exit status once the output has drained. */
function runSession(session: ExecSession, wire: ExecWire): void {
  let ended = false;
  wire.onClose(() => {
    if (!ended) session.kill();
    ended = true;
  });
  if (wire.stdin && session.stdin) wire.stdin.pipe(session.stdin);
  else wire.stdin?.resume();
  wire.onResize((width, height) => session.resize(width, height));
  const drains: Promise<void>[] = [];
  const pipes: (() => void)[] = [];
  for (const [source, sink] of [[session.stdout, wire.stdout], [session.stderr, wire.stderr]] as const) {
    if (!source || !sink) {
      source?.resume();
      sink?.end();
      continue;
    }
    drains.push(new Promise<void>((resolve) => {
      sink.once('finish', resolve);
      sink.once('close', resolve);
      sink.once('error', () => resolve());
      source.once('error', () => sink.end());
    }));
    source.pipe(sink);
    pipes.push(() => {
      source.unpipe(sink);
      source.destroy();
      sink.end();
    });
  }
  void session.exit.then(async (exit) => {
    // Output written before the exit is delivered first; a background process holding the pipes open is not waited for.
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([Promise.all(drains), new Promise((resolve) => (timer = setTimeout(resolve, outputDrainMs)))]);
    clearTimeout(timer);
    for (const stop of pipes) stop();
    await Promise.all(drains);
    if (ended) return;
    ended = true;
    wire.finish(exitStatus(exit));
  });
}

/** A writable channel of a WebSocket: each write one binary message, its callback once the socket took it. */
function channelWritable(ws: WebSocket, channel: number): Writable {
  return new Writable({
    write(chunk: Buffer, _encoding, callback) {
      if (ws.readyState !== ws.OPEN) return callback();
      ws.send(channelFrame(channel, chunk), { binary: true }, () => callback());
    },
    // The end of an output stream is the end of the session; the server sends no close signal of its own.
    final(callback) {
      callback();
    },
  });
}

/** exec/attach over the remote command channel protocol (v4, or v5 with the close signal) on a WebSocket. */
function channelWire(ws: WebSocket, protocol: string, request: AttachRequest): ExecWire {
  const closeSignal = protocol === StreamProtocol.v5;
  const stdin = request.stdin
    ? new Readable({
        read() {
          if (ws.isPaused) ws.resume();
        },
      })
    : undefined;
  const resizes: ((width: number, height: number) => void)[] = [];
  // Text messages count too: the Kubernetes Python client sends what it is given as a string as text.
  ws.on('message', (raw) => {
    const message = parseChannelMessage(bufferOf(raw), closeSignal);
    if (message.kind === 'close') {
      if (message.channel === Channel.stdin) stdin?.push(null);
      return;
    }
    if (message.kind !== 'data') return;
    if (message.channel === Channel.stdin && stdin && !stdin.readableEnded) {
      if (!stdin.push(message.data)) ws.pause();
    } else if (message.channel === Channel.resize) {
      const size = parseResize(message.data.toString('utf8'));
      if (size) for (const listener of resizes) listener(size.width, size.height);
    }
  });
  ws.once('close', () => {
    if (stdin && !stdin.readableEnded) stdin.push(null);
  });
  // As the kubelet does: an empty message on the lowest output channel tells the client the streams are ready.
  const first = request.stdout ? Channel.stdout : request.stderr && !request.tty ? Channel.stderr : Channel.error;
  ws.send(channelFrame(first, Buffer.alloc(0)), { binary: true });
  return {
    ...(stdin ? { stdin } : {}),
    ...(request.stdout ? { stdout: channelWritable(ws, Channel.stdout) } : {}),
    ...(request.stderr && !request.tty ? { stderr: channelWritable(ws, Channel.stderr) } : {}),
    onResize: (listener) => resizes.push(listener),
    finish(status) {
      if (ws.readyState !== ws.OPEN) return;
      ws.send(channelFrame(Channel.error, Buffer.from(JSON.stringify(status))), { binary: true });
      ws.close(1000);
    },
    onClose: (listener) => ws.once('close', listener),
  };
}

/**
 * exec/attach over SPDY (kubectl with KUBECTL_REMOTE_COMMAND_WEBSOCKETS=false, older clients): the client opens one
 * stream per channel, named by its `streamType` header; the session starts once every announced stream is there.
 */
/** How long a finished SPDY exec waits for the client to close the connection before closing it itself. */
const closeGraceMs = 1_000;

function spdyWire(spdy: SpdySession, request: AttachRequest): Promise<ExecWire> {
  const wanted = new Set(['error', ...(request.stdin ? ['stdin'] : []), ...(request.stdout ? ['stdout'] : []), ...(request.stderr && !request.tty ? ['stderr'] : []), ...(request.tty ? ['resize'] : [])]);
  const streams = new Map<string, SpdyStream>();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('timed out waiting for the client to create its streams')), streamCreationMs);
    spdy.once('close', () => {
      clearTimeout(timer);
      reject(new Error('the client went away before creating its streams'));
    });
    spdy.on('stream', (stream: SpdyStream) => {
      const type = stream.header('streamtype') ?? '';
      if (!wanted.has(type) || streams.has(type)) {
        stream.destroy();
        return;
      }
      streams.set(type, stream);
      if (streams.size < wanted.size) return;
      clearTimeout(timer);
      const error = streams.get('error')!;
      error.resume();
      const resizes: ((width: number, height: number) => void)[] = [];
      const resize = streams.get('resize');
      if (resize) {
        let pending = '';
        resize.setEncoding('utf8');
        resize.on('data', (text: string) => {
          pending += text;
          for (let nl = pending.indexOf('\n'); nl >= 0; nl = pending.indexOf('\n')) {
            const size = parseResize(pending.slice(0, nl));
            pending = pending.slice(nl + 1);
            if (size) for (const listener of resizes) listener(size.width, size.height);
          }
        });
      }
      const stdin = streams.get('stdin');
      const stdout = streams.get('stdout');
      const stderr = streams.get('stderr');
      resolve({
        ...(stdin ? { stdin } : {}),
        ...(stdout ? { stdout } : {}),
        ...(stderr ? { stderr } : {}),
        onResize: (listener) => resizes.push(listener),
        finish(status) {
          // The client reads its output streams to their end, then closes the connection; a GOAWAY sent at once could
          // race its reads (kubectl then printed the exit code but lost stdout). It gets a second to close first.
          error.end(JSON.stringify(status), () => {
            const timer = setTimeout(() => spdy.close(), closeGraceMs);
            timer.unref();
            spdy.once('close', () => clearTimeout(timer));
          });
        },
        onClose: (listener) => spdy.once('close', listener),
      });
    });
  });
}

/** A WebSocket as a byte stream: each write one binary message, each binary message read in order (the SPDY tunnel). */
function webSocketStream(ws: WebSocket): Duplex {
  const duplex = new Duplex({
    read() {
      if (ws.isPaused) ws.resume();
    },
    write(chunk: Buffer, _encoding, callback) {
      if (ws.readyState !== ws.OPEN) return callback(new Error('the WebSocket is closed'));
      ws.send(chunk, { binary: true }, (err) => callback(err ?? null));
    },
    final(callback) {
      if (ws.readyState === ws.OPEN) ws.close(1000);
      callback();
    },
    destroy(err, callback) {
      if (ws.readyState === ws.OPEN || ws.readyState === ws.CONNECTING) ws.terminate();
      callback(err);
    },
  });
  ws.on('message', (raw, isBinary) => {
    if (isBinary && !duplex.push(bufferOf(raw))) ws.pause();
  });
  ws.once('close', () => {
    duplex.push(null);
    duplex.destroy();
  });
  ws.on('error', () => duplex.destroy());
  return duplex;
}

/**
 * Port-forward's protocol on a SPDY session: per connection the client opens an `error` and a `data` stream with the
 * same `requestID` and the remote `port`; Floe connects, copies both ways, and closes the error stream when the
 * connection ends (with a message first when it failed).
 */
function forwardPorts(spdy: SpdySession, target: StreamTarget, source: PodStreamSource): void {
  const pairs = new Map<string, { data?: SpdyStream; error?: SpdyStream; timer: NodeJS.Timeout }>();
  spdy.on('stream', (stream: SpdyStream) => {
    const type = stream.header('streamtype');
    const port = Number(stream.header('port'));
    const id = stream.header('requestid') ?? '';
    if ((type !== 'data' && type !== 'error') || !Number.isInteger(port) || port < 1 || port > 65535) {
      stream.destroy();
      return;
    }
    let pair = pairs.get(id);
    if (!pair) {
      pair = { timer: setTimeout(() => abandon(id), streamCreationMs) };
      pairs.set(id, pair);
    }
    if (pair[type]) {
      stream.destroy();
      return;
    }
    pair[type] = stream;
    if (pair.data && pair.error) {
      clearTimeout(pair.timer);
      pairs.delete(id);
      void forward(pair.data, pair.error, port);
    }
  });
  spdy.once('close', () => {
    for (const id of [...pairs.keys()]) abandon(id);
  });

  function abandon(id: string): void {
    const pair = pairs.get(id);
    if (!pair) return;
    clearTimeout(pair.timer);
    pairs.delete(id);
    pair.data?.destroy();
    pair.error?.destroy();
  }

  async function forward(data: SpdyStream, error: SpdyStream, port: number): Promise<void> {
    error.resume();
    let socket: Duplex;
    try {
      socket = await source.portForward(target.namespace, target.name, port);
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      error.end(`error forwarding port ${port} to pod ${target.name}: ${message}`);
      data.end();
      return;
    }
    const done = (): void => {
      if (!error.writableEnded) error.end();
    };
    socket.on('error', () => socket.destroy());
    data.on('error', () => data.destroy());
    // The client resets the data stream once it has read everything (or its side broke): the connection goes too.
    data.once('close', () => {
      socket.destroy();
      done();
    });
    socket.once('close', () => {
      if (!data.writableEnded && !data.destroyed) data.end();
      done();
    });
    data.pipe(socket);
    socket.pipe(data);
  }
}

/**
 * Port-forward over WebSocket channels, one connection per requested port: data on channel 2i, errors on 2i + 1, each
 * channel's first message the port (16 bits, little endian); the WebSocket closes when every connection has ended.
 */
function forwardChannels(ws: WebSocket, target: StreamTarget, source: PodStreamSource, ports: readonly number[]): void {
  const sockets: (Duplex | undefined)[] = ports.map(() => undefined);
  const early: Buffer[][] = ports.map(() => []);
  let open = ports.length;
  const send = (channel: number, data: Buffer, callback?: () => void): void => {
    if (ws.readyState === ws.OPEN) ws.send(channelFrame(channel, data), { binary: true }, () => callback?.());
  };
  const ended = (): void => {
    open -= 1;
    if (open === 0 && ws.readyState === ws.OPEN) ws.close(1000);
  };
  ports.forEach((port, i) => {
    const bytes = Buffer.alloc(2);
    bytes.writeUInt16LE(port);
    send(2 * i, bytes);
    send(2 * i + 1, bytes);
    source.portForward(target.namespace, target.name, port).then(
      (socket) => {
        sockets[i] = socket;
        for (const chunk of early[i]!.splice(0)) socket.write(chunk);
        socket.on('data', (chunk: Buffer) => {
          send(2 * i, chunk, () => {
            if (ws.bufferedAmount < 1024 * 1024) socket.resume();
          });
          if (ws.bufferedAmount >= 1024 * 1024) socket.pause();
        });
        socket.on('drain', () => ws.resume());
        socket.on('error', () => socket.destroy());
        socket.once('close', ended);
      },
      (err: unknown) => {
        send(2 * i + 1, Buffer.from(`error forwarding port ${port} to pod ${target.name}: ${err instanceof Error ? err.message : String(err)}`));
        ended();
      },
    );
  });
  ws.on('message', (raw) => {
    const message = parseChannelMessage(bufferOf(raw), false);
    if (message.kind !== 'data' || message.channel % 2 !== 0) return;
    const i = message.channel / 2;
    if (i >= ports.length || message.data.length === 0) return;
    const socket = sockets[i];
    if (!socket) early[i]!.push(message.data);
    else if (!socket.write(message.data)) ws.pause();
  });
  ws.once('close', () => {
    for (const socket of sockets) socket?.destroy();
  });
}

/** Serves the upgraded connections of pods/exec, pods/attach and pods/portforward. */
export class PodStreamServer {
  private readonly source: PodStreamSource;
  private readonly wss: WebSocketServer;
  private readonly chosen = new WeakMap<IncomingMessage, string>();
  private readonly open = new Set<() => void>();

  constructor(options: { source: PodStreamSource; maxMessageBytes?: number }) {
    this.source = options.source;
    this.wss = new WebSocketServer({ noServer: true, maxPayload: options.maxMessageBytes ?? 4 * 1024 * 1024, perMessageDeflate: false, clientTracking: false });
    // The protocol was negotiated before the handshake (see serve); the answer names it.
    this.wss.on('headers', (headers: string[], req: IncomingMessage) => {
      const protocol = this.chosen.get(req);
      if (protocol) headers.push(`Sec-WebSocket-Protocol: ${protocol}`);
    });
  }

  /**
   * Takes an upgrade the front door admitted and the API authorized. Throws FloeError (an HTTP error the front door
   * writes) for a request it cannot serve: no protocol in common, bad options, a Pod or container that is not there.
   */
  async serve(req: IncomingMessage, socket: Duplex, head: Buffer, target: StreamTarget): Promise<void> {
    const upgrade = (req.headers.upgrade ?? '').toLowerCase();
    const transport: Transport | undefined = upgrade === 'websocket' ? 'websocket' : upgrade === 'spdy/3.1' ? 'spdy' : undefined;
    if (!transport) throw errors.badRequest(`unable to upgrade: the connection asks for "${req.headers.upgrade ?? ''}"; this server speaks WebSocket and SPDY/3.1`);
    const offered = headerList(transport === 'websocket' ? req.headers['sec-websocket-protocol'] : req.headers['x-stream-protocol-version']);
    const protocol = negotiate(target.kind, transport, offered);
    if (!protocol) {
      throw errors.badRequest(`unable to upgrade: unable to negotiate protocol: client supports [${offered.join(' ')}], server supports [${supported(target.kind, transport).join(' ')}]`);
    }
    let session: ExecSession | undefined;
    let request: AttachRequest | undefined;
    const channelPorts = target.kind === 'portforward' && protocol === StreamProtocol.v4 ? forwardedPorts(target.query) : undefined;
    if (target.kind === 'exec') {
      const exec = streamRequest('exec', target.query);
      request = exec;
      session = await this.source.exec(target.namespace, target.name, exec);
    } else if (target.kind === 'attach') {
      request = streamRequest('attach', target.query);
      session = await this.source.attach(target.namespace, target.name, request);
    }
    // From here the session runs; it ends with the connection, whether or not the handshake completes.
    let upgraded = false;
    socket.once('close', () => {
      if (!upgraded) session?.kill();
    });
    if (transport === 'websocket') {
      this.chosen.set(req, protocol);
      // ws checks offered subprotocols against RFC 7230's token syntax, which `SPDY/3.1+portforward.k8s.io` (with its
      // '/') fails; Floe has already chosen, so ws does not see the offer and the 'headers' listener answers.
      delete req.headers['sec-websocket-protocol'];
      this.wss.handleUpgrade(req, socket, head, (ws) => {
        upgraded = true;
        const stop = (): void => ws.terminate();
        this.open.add(stop);
        ws.once('close', () => this.open.delete(stop));
        ws.on('error', () => ws.terminate());
        if (session && request) runSession(session, channelWire(ws, protocol, request));
        else if (channelPorts) forwardChannels(ws, target, this.source, channelPorts);
        else this.track(forwardOver(new SpdySession(webSocketStream(ws)), target, this.source));
      });
      return;
    }
    socket.write(`HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\nX-Stream-Protocol-Version: ${protocol}\r\n\r\n`);
    upgraded = true;
    if (head.length > 0) socket.unshift(head);
    socket.on('error', () => socket.destroy());
    const spdy = new SpdySession(socket);
    this.track(spdy);
    if (!session || !request) {
      forwardOver(spdy, target, this.source);
      return;
    }
    const running = session;
    spdyWire(spdy, request).then(
      (wire) => runSession(running, wire),
      () => {
        running.kill();
        spdy.close();
      },
    );
  }

  /** Ends every open streaming connection (Floe is stopping). */
  close(): void {
    for (const stop of [...this.open]) stop();
    this.open.clear();
  }

  private track(spdy: SpdySession): void {
    const stop = (): void => spdy.close();
    this.open.add(stop);
    spdy.once('close', () => this.open.delete(stop));
  }
}

function forwardOver(spdy: SpdySession, target: StreamTarget, source: PodStreamSource): SpdySession {
  forwardPorts(spdy, target, source);
  return spdy;
}
