// SPDY/3.1, server side, as Kubernetes' streaming subresources speak it (kubectl port-forward, and exec/attach when
// WebSockets are off): frames, header blocks, and a session of client-initiated streams over any byte stream.
import { EventEmitter } from 'node:events';
import { Duplex } from 'node:stream';
import { constants as zlibConstants, createInflate, type Inflate } from 'node:zlib';

/**
 * The zlib dictionary of SPDY/3 header compression (SPDY Protocol draft 3, section 2.6.10.1): length-prefixed header
 * names and values, then common strings. Both sides prime their zlib streams with it.
 */
export const spdyHeaderDictionary: Buffer = (() => {
  const words = [
    'options', 'head', 'post', 'put', 'delete', 'trace', 'accept', 'accept-charset', 'accept-encoding', 'accept-language',
    'accept-ranges', 'age', 'allow', 'authorization', 'cache-control', 'connection', 'content-base', 'content-encoding',
    'content-language', 'content-length', 'content-location', 'content-md5', 'content-range', 'content-type', 'date',
    'etag', 'expect', 'expires', 'from', 'host', 'if-match', 'if-modified-since', 'if-none-match', 'if-range',
    'if-unmodified-since', 'last-modified', 'location', 'max-forwards', 'pragma', 'proxy-authenticate',
    'proxy-authorization', 'range', 'referer', 'retry-after', 'server', 'te', 'trailer', 'transfer-encoding', 'upgrade',
    'user-agent', 'vary', 'via', 'warning', 'www-authenticate', 'method', 'get', 'status', '200 OK', 'version',
    'HTTP/1.1', 'url', 'public', 'set-cookie', 'keep-alive', 'origin',
  ];
  const tail =
    '100101201202205206300302303304305306307402405406407408409410411412413414415416417502504505' +
    '203 Non-Authoritative Information204 No Content301 Moved Permanently400 Bad Request401 Unauthorized' +
    '403 Forbidden404 Not Found500 Internal Server Error501 Not Implemented503 Service Unavailable' +
    'Jan Feb Mar Apr May Jun Jul Aug Sept Oct Nov Dec 00:00:00 Mon, Tue, Wed, Thu, Fri, Sat, Sun, GMT' +
    'chunked,text/html,image/png,image/jpg,image/gif,application/xml,application/xhtml+xml,text/plain,' +
    'text/javascript,publicprivatemax-age=gzip,deflate,sdchcharset=utf-8charset=iso-8859-1,utf-,*,enq=0.';
  const parts: Buffer[] = [];
  for (const word of words) {
    const length = Buffer.alloc(4);
    length.writeUInt32BE(word.length);
    parts.push(length, Buffer.from(word, 'latin1'));
  }
  parts.push(Buffer.from(tail, 'latin1'));
  return Buffer.concat(parts);
})();

export const SpdyVersion = 3;
export const FrameType = { synStream: 1, synReply: 2, rstStream: 3, settings: 4, ping: 6, goAway: 7, headers: 8, windowUpdate: 9 } as const;
export const Flag = { fin: 0x01, unidirectional: 0x02 } as const;
/** RST_STREAM status codes used here. */
export const ResetStatus = { protocolError: 1, refusedStream: 3, cancel: 5 } as const;
/** A frame's payload length is 24 bits. */
const maxFrameLength = 0xffffff;
/**
 * Frames larger than this end the session: spdystream sends data in pieces of its copy buffer (32 KiB), so only a
 * client bent on making Floe buffer would send more.
 */
const maxAcceptedFrame = 1024 * 1024;
/** Data frames Floe sends carry at most this much (spdystream reads whole frames into memory). */
const dataChunk = 32 * 1024;
/** An inflated header block larger than this ends the session (a compressed bomb). */
const maxHeaderBlock = 256 * 1024;

export type Frame =
  | { control: true; type: number; flags: number; payload: Buffer }
  | { control: false; streamId: number; flags: number; payload: Buffer };

/** Cuts a byte stream into frames; keeps a partial frame until the rest arrives. */
export class FrameReader {
  private pending: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): Frame[] {
    this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    const frames: Frame[] = [];
    while (this.pending.length >= 8) {
      const first = this.pending.readUInt32BE(0);
      const flags = this.pending[4]!;
      const length = this.pending.readUInt32BE(4) & maxFrameLength;
      if (length > maxAcceptedFrame) throw new Error(`a SPDY frame of ${length} bytes is over the limit of ${maxAcceptedFrame}`);
      if (this.pending.length < 8 + length) break;
      const payload = this.pending.subarray(8, 8 + length);
      if (first & 0x80000000) {
        const version = (first >>> 16) & 0x7fff;
        if (version !== SpdyVersion) throw new Error(`unsupported SPDY version ${version}`);
        frames.push({ control: true, type: first & 0xffff, flags, payload });
      } else {
        frames.push({ control: false, streamId: first & 0x7fffffff, flags, payload });
      }
      this.pending = this.pending.subarray(8 + length);
    }
    // Keep only the partial frame, not the chunk it was cut from.
    if (this.pending.length > 0) this.pending = Buffer.from(this.pending);
    return frames;
  }
}

export function controlFrame(type: number, flags: number, payload: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE((0x80000000 | (SpdyVersion << 16) | type) >>> 0, 0);
  head.writeUInt32BE(((flags << 24) | payload.length) >>> 0, 4);
  return Buffer.concat([head, payload]);
}

export function dataFrame(streamId: number, data: Buffer, fin: boolean): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(streamId & 0x7fffffff, 0);
  head.writeUInt32BE((((fin ? Flag.fin : 0) << 24) | data.length) >>> 0, 4);
  return Buffer.concat([head, data]);
}

/** A header block before compression: a count, then length-prefixed names and values (names lower case). */
export function encodeHeaderBlock(headers: readonly (readonly [string, string])[]): Buffer {
  const parts: Buffer[] = [];
  const count = Buffer.alloc(4);
  count.writeUInt32BE(headers.length);
  parts.push(count);
  for (const [name, value] of headers) {
    for (const text of [name.toLowerCase(), value]) {
      const bytes = Buffer.from(text, 'utf8');
      const length = Buffer.alloc(4);
      length.writeUInt32BE(bytes.length);
      parts.push(length, bytes);
    }
  }
  return Buffer.concat(parts);
}

/** An inflated header block as a map of lower-case names to values (a NUL separates several values of one name). */
export function decodeHeaderBlock(block: Buffer): Map<string, string[]> {
  const out = new Map<string, string[]>();
  let at = 0;
  const take = (n: number): Buffer => {
    if (at + n > block.length) throw new Error('truncated SPDY header block');
    const slice = block.subarray(at, at + n);
    at += n;
    return slice;
  };
  const count = take(4).readUInt32BE(0);
  for (let i = 0; i < count; i++) {
    const name = take(take(4).readUInt32BE(0)).toString('utf8').toLowerCase();
    const value = take(take(4).readUInt32BE(0)).toString('utf8');
    out.set(name, [...(out.get(name) ?? []), ...value.split('\u0000')]);
  }
  return out;
}

/** zlib's checksum, which names the dictionary in the zlib header. */
export function adler32(data: Buffer): number {
  let a = 1;
  let b = 0;
  for (const byte of data) {
    a = (a + byte) % 65521;
    b = (b + a) % 65521;
  }
  return ((b << 16) | a) >>> 0;
}

/**
 * Compresses header blocks for one direction of a session. The peer keeps one zlib stream for the whole session, so
 * this is one too: the zlib header (naming the SPDY dictionary) once, then each block as a stored (uncompressed)
 * deflate block followed by an empty one, the marker of a sync flush, after which the peer's inflater hands out
 * everything it has. Floe's replies are tiny; not compressing them costs nothing and needs no zlib state.
 */
export class HeaderEncoder {
  private started = false;

  encode(headers: readonly (readonly [string, string])[]): Buffer {
    const block = encodeHeaderBlock(headers);
    const parts: Buffer[] = [];
    if (!this.started) {
      this.started = true;
      const head = Buffer.alloc(6);
      // CMF 0x78 (deflate, 32 KiB window); FLG 0xbb: FDICT set, (CMF·256 + FLG) a multiple of 31.
      head[0] = 0x78;
      head[1] = 0xbb;
      head.writeUInt32BE(adler32(spdyHeaderDictionary), 2);
      parts.push(head);
    }
    // A block always holds its 4-byte count, so there is at least one piece.
    for (let at = 0; at < block.length; at += 0xffff) {
      const piece = block.subarray(at, at + 0xffff);
      const stored = Buffer.alloc(5);
      stored[0] = 0x00; // BFINAL 0, BTYPE 00 (stored), padding to the byte boundary
      stored.writeUInt16LE(piece.length, 1);
      stored.writeUInt16LE(~piece.length & 0xffff, 3);
      parts.push(stored, piece);
    }
    parts.push(Buffer.from([0x00, 0x00, 0x00, 0xff, 0xff]));
    return Buffer.concat(parts);
  }
}

/** Inflates the peer's header blocks: one zlib stream per session, primed with the SPDY dictionary. */
export class HeaderDecoder {
  private readonly inflater: Inflate = createInflate({ dictionary: spdyHeaderDictionary });
  private out: Buffer[] = [];
  private outBytes = 0;
  private failure: Error | undefined;

  constructor() {
    this.inflater.on('data', (chunk: Buffer) => {
      this.out.push(chunk);
      this.outBytes += chunk.length;
    });
    this.inflater.on('error', (err) => (this.failure = err));
  }

  /** The next block; calls must not overlap (a session decodes its frames in order). */
  decode(compressed: Buffer): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      if (this.failure) return reject(this.failure);
      this.inflater.write(compressed);
      // The flush callback runs after the output of everything written before it has been emitted.
      this.inflater.flush(zlibConstants.Z_SYNC_FLUSH, () => {
        if (this.failure) return reject(this.failure);
        const block = Buffer.concat(this.out);
        const size = this.outBytes;
        this.out = [];
        this.outBytes = 0;
        if (size > maxHeaderBlock) return reject(new Error(`a SPDY header block of ${size} bytes is over the limit of ${maxHeaderBlock}`));
        resolve(block);
      });
    });
  }

  close(): void {
    this.inflater.close();
  }
}

/**
 * One stream the client opened. The readable side is what the client sends (ended by its FIN), the writable side
 * what Floe sends (`end()` sends FIN). Destroying it before both sides ended resets it (RST_STREAM CANCEL).
 */
export class SpdyStream extends Duplex {
  readonly id: number;
  readonly headers: ReadonlyMap<string, string[]>;
  private readonly session: SpdySession;
  /** Set when the peer reset the stream or the session went away: nothing more is sent. */
  gone = false;
  private sentFin = false;
  private receivedFin = false;

  constructor(options: { session: SpdySession; id: number; headers: Map<string, string[]> }) {
    super({ allowHalfOpen: true });
    this.session = options.session;
    this.id = options.id;
    this.headers = options.headers;
  }

  /** The first value of a header (names are lower case). */
  header(name: string): string | undefined {
    return this.headers.get(name)?.[0];
  }

  /** @internal data from the peer; false when the reader is behind (the session pauses its transport). */
  receive(data: Buffer, fin: boolean): boolean {
    if (this.receivedFin) return true;
    let more = true;
    if (data.length > 0) more = this.push(data);
    if (fin) {
      this.receivedFin = true;
      this.push(null);
    }
    return more;
  }

  /** @internal the peer reset the stream, or the session ended. */
  abort(): void {
    this.gone = true;
    if (!this.receivedFin) {
      this.receivedFin = true;
      this.push(null);
    }
    this.destroy();
  }

  override _read(): void {
    this.session.resume();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    if (this.gone || this.sentFin) return callback(new Error(`SPDY stream ${this.id} is closed`));
    const frames: Buffer[] = [];
    for (let at = 0; at < chunk.length; at += dataChunk) frames.push(dataFrame(this.id, chunk.subarray(at, at + dataChunk), false));
    this.session.send(Buffer.concat(frames), callback);
  }

  override _final(callback: (error?: Error | null) => void): void {
    if (this.gone || this.sentFin) return callback();
    this.sentFin = true;
    this.session.send(dataFrame(this.id, Buffer.alloc(0), true), () => callback());
    this.session.settle(this);
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    if (!this.gone && !(this.sentFin && this.receivedFin)) this.session.reset(this.id, ResetStatus.cancel);
    this.gone = true;
    this.session.forget(this.id);
    callback(error);
  }

  /** @internal whether both sides have ended. */
  get settled(): boolean {
    return this.sentFin && this.receivedFin;
  }
}

export interface SpdySessionOptions {
  /** Streams open at once; more are refused (RST_STREAM REFUSED_STREAM). */
  maxStreams?: number;
}

/**
 * The server side of one SPDY/3.1 session over `transport` (an upgraded socket, or a WebSocket carrying SPDY). Every
 * SYN_STREAM gets a SYN_REPLY at once, then a 'stream' event; pings are answered. spdystream (the client Kubernetes
 * uses) does no flow control, so neither does this: a stream whose reader is behind pauses the whole transport.
 * Emits 'stream' (SpdyStream) and 'close'.
 */
export class SpdySession extends EventEmitter {
  private readonly transport: Duplex;
  private readonly reader = new FrameReader();
  private readonly encoder = new HeaderEncoder();
  private readonly decoder = new HeaderDecoder();
  private readonly streams = new Map<number, SpdyStream>();
  private readonly maxStreams: number;
  private lastStreamId = 0;
  private queue: Promise<void> = Promise.resolve();
  private paused = false;
  private closed = false;

  constructor(transport: Duplex, options: SpdySessionOptions = {}) {
    super();
    this.transport = transport;
    this.maxStreams = options.maxStreams ?? 1000;
    transport.on('data', (chunk: Buffer) => this.received(chunk));
    transport.once('end', () => this.shutdown());
    transport.once('close', () => this.shutdown());
    transport.on('error', () => this.shutdown());
  }

  /** Ends the session: every stream, then GOAWAY and the transport. */
  close(): void {
    if (this.closed) return;
    const goAway = Buffer.alloc(8);
    goAway.writeUInt32BE(this.lastStreamId & 0x7fffffff, 0);
    if (this.transport.writable) this.transport.end(controlFrame(FrameType.goAway, 0, goAway));
    this.shutdown();
  }

  /** @internal */
  send(bytes: Buffer, callback?: (error?: Error | null) => void): void {
    if (this.closed || !this.transport.writable) {
      callback?.(new Error('the SPDY session is closed'));
      return;
    }
    this.transport.write(bytes, callback);
  }

  /** @internal */
  reset(id: number, status: number): void {
    const payload = Buffer.alloc(8);
    payload.writeUInt32BE(id & 0x7fffffff, 0);
    payload.writeUInt32BE(status, 4);
    this.send(controlFrame(FrameType.rstStream, 0, payload));
  }

  /** @internal a stream both sides ended is done. */
  settle(stream: SpdyStream): void {
    if (stream.settled) this.forget(stream.id);
  }

  /** @internal */
  forget(id: number): void {
    this.streams.delete(id);
  }

  /** @internal a stream's reader wants more. */
  resume(): void {
    if (!this.paused) return;
    this.paused = false;
    this.transport.resume();
  }

  private received(chunk: Buffer): void {
    if (this.closed) return;
    let frames: Frame[];
    try {
      frames = this.reader.push(chunk);
    } catch {
      this.close();
      return;
    }
    for (const frame of frames) {
      this.queue = this.queue.then(() => this.handle(frame)).catch(() => this.close());
    }
  }

  private async handle(frame: Frame): Promise<void> {
    if (this.closed) return;
    if (!frame.control) {
      const stream = this.streams.get(frame.streamId);
      if (!stream) return;
      const fin = (frame.flags & Flag.fin) !== 0;
      if (!stream.receive(frame.payload, fin) && !this.paused) {
        this.paused = true;
        this.transport.pause();
      }
      if (fin) this.settle(stream);
      return;
    }
    const p = frame.payload;
    switch (frame.type) {
      case FrameType.synStream: {
        if (p.length < 10) throw new Error('short SYN_STREAM');
        const id = p.readUInt32BE(0) & 0x7fffffff;
        // Decode even a stream that is refused below: the header compression state is shared by every block.
        const headers = decodeHeaderBlock(await this.decoder.decode(p.subarray(10)));
        if (id === 0 || id % 2 === 0 || id <= this.lastStreamId) {
          this.reset(id, ResetStatus.protocolError);
          return;
        }
        this.lastStreamId = id;
        if (this.streams.size >= this.maxStreams) {
          this.reset(id, ResetStatus.refusedStream);
          return;
        }
        const stream = new SpdyStream({ session: this, id, headers });
        // A write after the peer reset the stream fails; the stream's 'close' is what its users act on.
        stream.on('error', () => undefined);
        this.streams.set(id, stream);
        const reply = Buffer.alloc(4);
        reply.writeUInt32BE(id, 0);
        this.send(controlFrame(FrameType.synReply, 0, Buffer.concat([reply, this.encoder.encode([])])));
        if (frame.flags & Flag.fin) stream.receive(Buffer.alloc(0), true);
        this.emit('stream', stream);
        return;
      }
      case FrameType.headers:
        // Header blocks after SYN_STREAM carry nothing Kubernetes uses, but they advance the compression state.
        if (p.length >= 4) await this.decoder.decode(p.subarray(4));
        return;
      case FrameType.rstStream: {
        if (p.length < 8) return;
        const stream = this.streams.get(p.readUInt32BE(0) & 0x7fffffff);
        stream?.abort();
        return;
      }
      case FrameType.ping:
        this.send(controlFrame(FrameType.ping, 0, Buffer.from(p)));
        return;
      case FrameType.goAway:
        this.shutdown();
        this.transport.end();
        return;
      default:
        // SETTINGS, WINDOW_UPDATE (spdystream ignores flow control too), and types this server does not know.
        return;
    }
  }

  private shutdown(): void {
    if (this.closed) return;
    this.closed = true;
    for (const stream of [...this.streams.values()]) stream.abort();
    this.streams.clear();
    this.decoder.close();
    if (this.paused) this.transport.resume();
    this.emit('close');
  }
}
