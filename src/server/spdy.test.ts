// Unit tests for SPDY/3.1 as port-forward and the SPDY exec fallback use it: the dictionary, frames, header blocks
// compressed as Go's framer compresses them, and a session driven over a real socket by a client built here.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { constants as zlibConstants, createDeflate, type Deflate } from 'node:zlib';
import fc from 'fast-check';
import { adler32, controlFrame, dataFrame, decodeHeaderBlock, encodeHeaderBlock, Flag, FrameReader, FrameType, HeaderDecoder, HeaderEncoder, ResetStatus, SpdySession, spdyHeaderDictionary, type Frame, type SpdyStream } from './spdy.js';

describe('SPDY/3 header dictionary', () => {
  test('is the 1423 bytes of the SPDY/3 draft (checked by length and Adler-32)', () => {
    assert.equal(spdyHeaderDictionary.length, 1423);
    assert.equal(adler32(spdyHeaderDictionary), 0xe3c6a7c2);
    assert.equal(spdyHeaderDictionary.subarray(0, 11).toString('latin1'), '\u0000\u0000\u0000\u0007options');
    assert.ok(spdyHeaderDictionary.toString('latin1').endsWith('enq=0.'));
  });
});

describe('frames', () => {
  test('control and data frames survive any split of the byte stream', () => {
    fc.assert(fc.property(fc.array(fc.tuple(fc.boolean(), fc.uint8Array({ maxLength: 300 }), fc.integer({ min: 1, max: 0x7fffffff })), { maxLength: 8 }), fc.array(fc.integer({ min: 1, max: 50 }), { minLength: 1 }), (specs, cuts) => {
      const frames = specs.map(([control, bytes, id]) => (control ? controlFrame(FrameType.ping, 0, Buffer.from(bytes)) : dataFrame(id, Buffer.from(bytes), id % 2 === 0)));
      const stream = Buffer.concat(frames);
      const reader = new FrameReader();
      const got: Frame[] = [];
      let at = 0;
      for (let i = 0; at < stream.length; i++) {
        const size = cuts[i % cuts.length]!;
        got.push(...reader.push(stream.subarray(at, at + size)));
        at += size;
      }
      assert.equal(got.length, specs.length);
      got.forEach((frame, i) => {
        const [control, bytes, id] = specs[i]!;
        assert.equal(frame.control, control);
        assert.deepEqual(frame.payload, Buffer.from(bytes));
        if (!frame.control) {
          assert.equal(frame.streamId, id);
          assert.equal(frame.flags, id % 2 === 0 ? Flag.fin : 0);
        } else {
          assert.equal(frame.type, FrameType.ping);
        }
      });
    }));
  });

  test('a frame of another SPDY version is refused', () => {
    const frame = controlFrame(FrameType.ping, 0, Buffer.alloc(4));
    frame.writeUInt16BE(0x8002, 0);
    assert.throws(() => new FrameReader().push(frame), /unsupported SPDY version 2/);
  });

  test('header blocks: names lower-cased, several values joined by NUL', () => {
    const block = encodeHeaderBlock([['StreamType', 'data'], ['port', '8080']]);
    assert.deepEqual(decodeHeaderBlock(block), new Map([['streamtype', ['data']], ['port', ['8080']]]));
    const nul = encodeHeaderBlock([['x', 'a\u0000b']]);
    assert.deepEqual(decodeHeaderBlock(nul), new Map([['x', ['a', 'b']]]));
    assert.throws(() => decodeHeaderBlock(block.subarray(0, block.length - 1)), /truncated/);
  });
});

/** Go's framer: one zlib stream per direction, primed with the dictionary, a sync flush after each header block. */
class GoStyleCompressor {
  private readonly deflate: Deflate = createDeflate({ dictionary: spdyHeaderDictionary, level: 9 });
  private out: Buffer[] = [];

  constructor() {
    this.deflate.on('data', (chunk: Buffer) => this.out.push(chunk));
  }

  compress(headers: [string, string][]): Promise<Buffer> {
    this.deflate.write(encodeHeaderBlock(headers));
    return new Promise((resolve) => this.deflate.flush(zlibConstants.Z_SYNC_FLUSH, () => {
      const block = Buffer.concat(this.out);
      this.out = [];
      resolve(block);
    }));
  }

  close(): void {
    this.deflate.close();
  }
}

describe('header compression', () => {
  test("Floe's blocks (stored deflate blocks, sync-flushed) inflate as one zlib stream with the dictionary", async () => {
    const encoder = new HeaderEncoder();
    const decoder = new HeaderDecoder();
    try {
      for (const headers of [[], [['x-stream-protocol-version', 'portforward.k8s.io']], [['a', 'b'.repeat(70_000)]]] as [string, string][][]) {
        const compressed = encoder.encode(headers);
        assert.deepEqual(decodeHeaderBlock(await decoder.decode(compressed)), new Map(headers.map(([k, v]) => [k, [v]])));
      }
    } finally {
      decoder.close();
    }
  });

  test("the peer's blocks (Huffman-coded, referring to the dictionary and to earlier blocks) inflate block by block", async () => {
    const compressor = new GoStyleCompressor();
    const decoder = new HeaderDecoder();
    try {
      for (let id = 0; id < 5; id++) {
        const headers: [string, string][] = [['streamtype', id % 2 === 0 ? 'error' : 'data'], ['port', '8080'], ['requestid', String(id)]];
        const block = await compressor.compress(headers);
        assert.deepEqual(decodeHeaderBlock(await decoder.decode(block)), new Map(headers.map(([k, v]) => [k, [v]])));
      }
    } finally {
      compressor.close();
      decoder.close();
    }
  });
});

/** A SPDY client over a socket, as spdystream behaves: odd stream ids, compressed SYN_STREAMs, FIN and RST. */
class TestClient {
  readonly socket: Socket;
  private readonly reader = new FrameReader();
  private readonly compressor = new GoStyleCompressor();
  private readonly frames: Frame[] = [];
  private waiters: (() => void)[] = [];

  constructor(socket: Socket) {
    this.socket = socket;
    socket.on('data', (chunk: Buffer) => {
      this.frames.push(...this.reader.push(chunk));
      for (const w of this.waiters.splice(0)) w();
    });
  }

  async open(id: number, headers: [string, string][], flags = 0): Promise<void> {
    const head = Buffer.alloc(10);
    head.writeUInt32BE(id, 0);
    this.socket.write(controlFrame(FrameType.synStream, flags, Buffer.concat([head, await this.compressor.compress(headers)])));
  }

  /** The next frame matching `match`, removed from the queue. */
  async next(match: (f: Frame) => boolean): Promise<Frame> {
    for (;;) {
      const i = this.frames.findIndex(match);
      if (i >= 0) return this.frames.splice(i, 1)[0]!;
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
  }

  /** Everything the server sent on a stream until its FIN. */
  async readToFin(id: number): Promise<string> {
    let text = '';
    for (;;) {
      const f = await this.next((x) => !x.control && x.streamId === id);
      text += f.payload.toString();
      if (f.flags & Flag.fin) return text;
    }
  }

  close(): void {
    this.compressor.close();
    this.socket.destroy();
  }
}

describe('a SPDY session over a socket', () => {
  let server: Server;
  let port: number;
  const streams: SpdyStream[] = [];
  const sessions: SpdySession[] = [];

  before(async () => {
    server = createServer((socket) => {
      const session = new SpdySession(socket, { maxStreams: 3 });
      sessions.push(session);
      session.on('stream', (stream: SpdyStream) => {
        streams.push(stream);
        if (stream.header('streamtype') !== 'echo') return;
        let got = '';
        stream.on('data', (d: Buffer) => (got += d.toString()));
        stream.on('end', () => stream.end(got.toUpperCase()));
      });
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    port = (server.address() as { port: number }).port;
  });

  after(() => {
    for (const s of sessions) s.close();
    server.close();
  });

  async function client(): Promise<TestClient> {
    const socket = connect({ port, host: '127.0.0.1' });
    await once(socket, 'connect');
    return new TestClient(socket);
  }

  test('SYN_STREAM gets SYN_REPLY; data both ways with FIN; pings are answered', async () => {
    const c = await client();
    try {
      await c.open(1, [['streamtype', 'echo'], ['requestid', '0']]);
      const reply = await c.next((f) => f.control && f.type === FrameType.synReply);
      assert.equal(reply.payload.readUInt32BE(0), 1);
      c.socket.write(dataFrame(1, Buffer.from('hello '), false));
      c.socket.write(dataFrame(1, Buffer.from('spdy'), true));
      assert.equal(await c.readToFin(1), 'HELLO SPDY');
      const ping = Buffer.alloc(4);
      ping.writeUInt32BE(7);
      c.socket.write(controlFrame(FrameType.ping, 0, ping));
      const pong = await c.next((f) => f.control && f.type === FrameType.ping);
      assert.equal(pong.payload.readUInt32BE(0), 7);
      // A second stream: its compressed headers build on the first block's.
      await c.open(3, [['streamtype', 'echo'], ['requestid', '1']]);
      await c.next((f) => f.control && f.type === FrameType.synReply && f.payload.readUInt32BE(0) === 3);
      assert.equal(streams.at(-1)!.header('requestid'), '1');
      c.socket.write(dataFrame(3, Buffer.from('again'), true));
      assert.equal(await c.readToFin(3), 'AGAIN');
    } finally {
      c.close();
    }
  });

  test('RST_STREAM from the client closes the stream; ids that are even or go backwards are refused', async () => {
    const c = await client();
    try {
      await c.open(1, [['streamtype', 'hold']]);
      await c.next((f) => f.control && f.type === FrameType.synReply);
      const held = streams.at(-1)!;
      const closed = once(held, 'close');
      const rst = Buffer.alloc(8);
      rst.writeUInt32BE(1, 0);
      rst.writeUInt32BE(ResetStatus.cancel, 4);
      c.socket.write(controlFrame(FrameType.rstStream, 0, rst));
      await closed;
      await c.open(2, [['streamtype', 'hold']]);
      const refused = await c.next((f) => f.control && f.type === FrameType.rstStream);
      assert.deepEqual([refused.payload.readUInt32BE(0), refused.payload.readUInt32BE(4)], [2, ResetStatus.protocolError]);
    } finally {
      c.close();
    }
  });

  test('streams past the limit are refused; destroying a stream resets it', async () => {
    const c = await client();
    try {
      for (const id of [1, 3, 5]) await c.open(id, [['streamtype', 'hold']]);
      await c.open(7, [['streamtype', 'hold']]);
      const refused = await c.next((f) => f.control && f.type === FrameType.rstStream);
      assert.deepEqual([refused.payload.readUInt32BE(0), refused.payload.readUInt32BE(4)], [7, ResetStatus.refusedStream]);
      streams.at(-1)!.destroy();
      const reset = await c.next((f) => f.control && f.type === FrameType.rstStream);
      assert.deepEqual([reset.payload.readUInt32BE(0), reset.payload.readUInt32BE(4)], [5, ResetStatus.cancel]);
    } finally {
      c.close();
    }
  });

  test('closing the session sends GOAWAY and ends the streams', async () => {
    const c = await client();
    try {
      await c.open(1, [['streamtype', 'hold']]);
      await c.next((f) => f.control && f.type === FrameType.synReply);
      const held = streams.at(-1)!;
      const ended = once(held, 'close');
      sessions.at(-1)!.close();
      await c.next((f) => f.control && f.type === FrameType.goAway);
      await ended;
    } finally {
      c.close();
    }
  });
});

describe('limits', () => {
  test('a frame over 1 MiB is refused before it is buffered', () => {
    const head = Buffer.alloc(8);
    head.writeUInt32BE(1, 0);
    head.writeUInt32BE(2 * 1024 * 1024, 4);
    assert.throws(() => new FrameReader().push(head), /over the limit/);
  });
});
