// Reading TensorFlow event files (what tf.summary and TensorBoard writers produce) for the TensorFlowEvent collector:
// TFRecord framing (u64 length, u32 masked CRC, data, u32 CRC) around `Event` protos; scalars are a summary value's
// `simple_value` (TF1) or a one-element float/double `tensor` (TF2).
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { MetricLog } from './metrics.js';

class Reader {
  pos = 0;
  constructor(private readonly buf: Buffer) {}
  get done(): boolean {
    return this.pos >= this.buf.length;
  }
  varint(): number {
    let result = 0;
    let shift = 0;
    for (;;) {
      const b = this.buf[this.pos++]!;
      result += (b & 0x7f) * 2 ** shift;
      if (b < 0x80) return result;
      shift += 7;
    }
  }
  float(): number {
    this.pos += 4;
    return this.buf.readFloatLE(this.pos - 4);
  }
  double(): number {
    this.pos += 8;
    return this.buf.readDoubleLE(this.pos - 8);
  }
  bytes(): Buffer {
    const n = this.varint();
    const out = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }
  /** Reads a field key; returns [field number, wire type]. */
  key(): [number, number] {
    const k = this.varint();
    return [Math.floor(k / 8), k & 7];
  }
  skip(wire: number): void {
    if (wire === 0) this.varint();
    else if (wire === 1) this.pos += 8;
    else if (wire === 2) {
      const n = this.varint(); // read first: `this.pos += this.varint()` would add to the old position
      this.pos += n;
    }
    else if (wire === 5) this.pos += 4;
    else throw new Error(`unsupported wire type ${wire}`);
  }
}

function tensorScalar(buf: Buffer): number | undefined {
  const r = new Reader(buf);
  let dtype = 1;
  let value: number | undefined;
  let content: Buffer | undefined;
  while (!r.done) {
    const [field, wire] = r.key();
    if (field === 1 && wire === 0) dtype = r.varint();
    else if (field === 4 && wire === 2) content = r.bytes();
    else if (field === 5 && wire === 2) value = r.bytes().readFloatLE(0);
    else if (field === 5 && wire === 5) value = r.float();
    else if (field === 6 && wire === 2) value = r.bytes().readDoubleLE(0);
    else if (field === 6 && wire === 1) value = r.double();
    else r.skip(wire);
  }
  if (value === undefined && content && content.length >= 4) value = dtype === 2 ? content.readDoubleLE(0) : content.readFloatLE(0);
  return value;
}

function summaryValues(buf: Buffer): { tag: string; value: number }[] {
  const out: { tag: string; value: number }[] = [];
  const r = new Reader(buf);
  while (!r.done) {
    const [field, wire] = r.key();
    if (field !== 1 || wire !== 2) {
      r.skip(wire);
      continue;
    }
    const v = new Reader(r.bytes());
    let tag = '';
    let value: number | undefined;
    while (!v.done) {
      const [f, w] = v.key();
      if (f === 1 && w === 2) tag = v.bytes().toString('utf8');
      else if (f === 2 && w === 5) value = v.float();
      else if (f === 8 && w === 2) value = tensorScalar(v.bytes());
      else v.skip(w);
    }
    if (value !== undefined) out.push({ tag, value });
  }
  return out;
}

/** Scalar metrics of one event file whose tag is a wanted name (or ends with `/name`). */
export function parseEventFile(buf: Buffer, names: readonly string[]): MetricLog[] {
  const out: MetricLog[] = [];
  let pos = 0;
  while (pos + 12 <= buf.length) {
    const length = Number(buf.readBigUInt64LE(pos));
    const start = pos + 12;
    if (start + length + 4 > buf.length) break;
    const r = new Reader(buf.subarray(start, start + length));
    pos = start + length + 4;
    let wallTime = 0;
    let values: { tag: string; value: number }[] = [];
    while (!r.done) {
      const [field, wire] = r.key();
      if (field === 1 && wire === 1) wallTime = r.double();
      else if (field === 5 && wire === 2) values = summaryValues(r.bytes());
      else r.skip(wire);
    }
    for (const { tag, value } of values) {
      const name = names.find((n) => tag === n || tag.endsWith(`/${n}`));
      if (name) out.push({ name, value, timeStamp: new Date(wallTime * 1000).toISOString() });
    }
  }
  return out;
}

/** Every `*tfevents*` file under a directory, in time order of their records. */
export function readEventDir(dir: string, names: readonly string[]): MetricLog[] {
  const files: string[] = [];
  const walk = (d: string): void => {
    let entries: string[];
    try {
      entries = readdirSync(d);
    } catch {
      return;
    }
    for (const e of entries) {
      const p = join(d, e);
      if (statSync(p).isDirectory()) walk(p);
      else if (e.includes('tfevents')) files.push(p);
    }
  };
  walk(dir);
  return files.flatMap((f) => parseEventFile(readFileSync(f), names)).sort((a, b) => a.timeStamp.localeCompare(b.timeStamp));
}
