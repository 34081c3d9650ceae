// Decodes a Kubernetes protobuf object of any built-in kind listed in protobuf-schema-data.ts (generated from the
// release's generated.proto) into the JSON kube-apiserver would print for it.
import { errors } from '../api/errors.js';
import { protobufKinds, protobufMessages } from './protobuf-schema-data.js';

interface Field {
  name: string;
  /** The type code after the r/z/M prefixes: s b B i d f, =Message or @special. */
  type: string;
  repeated: boolean;
  map: boolean;
  omitZero: boolean;
  /** A struct Go inlines into the parent's JSON: its fields land in the parent. */
  inline: boolean;
}

interface Message {
  fields: Map<number, Field>;
  namedSlice: boolean;
}

const compiled = new Map<string, Message>();

function message(name: string): Message {
  const hit = compiled.get(name);
  if (hit) return hit;
  const text = protobufMessages[name];
  if (text === undefined) throw errors.badRequest(`protobuf: unknown message ${name}`);
  const namedSlice = text.startsWith('*');
  const fields = new Map<number, Field>();
  for (const entry of (namedSlice ? text.slice(1) : text).split(' ').filter(Boolean)) {
    const [num, fieldName, code] = entry.split(':') as [string, string, string];
    let type = code;
    const inline = type.startsWith('^');
    if (inline) type = type.slice(1);
    const repeated = type.startsWith('r');
    if (repeated) type = type.slice(1);
    const omitZero = type.startsWith('z');
    if (omitZero) type = type.slice(1);
    const map = type.startsWith('M');
    if (map) type = type.slice(1);
    fields.set(Number(num), { name: fieldName, type, repeated, map, omitZero, inline });
  }
  const m = { fields, namedSlice };
  compiled.set(name, m);
  return m;
}

class Reader {
  pos = 0;
  constructor(readonly buf: Buffer) {}

  done(): boolean {
    return this.pos >= this.buf.length;
  }

  varint(): bigint {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      if (this.pos >= this.buf.length) throw errors.badRequest('truncated protobuf varint');
      const b = this.buf[this.pos++]!;
      result |= BigInt(b & 0x7f) << shift;
      if ((b & 0x80) === 0) return result;
      shift += 7n;
      if (shift > 70n) throw errors.badRequest('protobuf varint too long');
    }
  }

  int(): number {
    return Number(BigInt.asIntN(64, this.varint()));
  }

  bytes(): Buffer {
    const len = Number(this.varint());
    if (this.pos + len > this.buf.length) throw errors.badRequest('truncated protobuf field');
    const out = this.buf.subarray(this.pos, this.pos + len);
    this.pos += len;
    return out;
  }

  fixed(n: 4 | 8): Buffer {
    if (this.pos + n > this.buf.length) throw errors.badRequest('truncated protobuf field');
    const out = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  skip(wire: number): void {
    if (wire === 0) this.varint();
    else if (wire === 1) this.fixed(8);
    else if (wire === 2) this.bytes();
    else if (wire === 5) this.fixed(4);
    else throw errors.badRequest(`unsupported protobuf wire type ${wire}`);
  }
}

function rfc3339(seconds: number, nanos: number, micro: boolean): string | undefined {
  if (seconds === 0 && nanos === 0) return undefined;
  const iso = new Date(seconds * 1000).toISOString().replace(/\.\d{3}Z$/, '');
  return micro ? `${iso}.${String(Math.floor(nanos / 1000)).padStart(6, '0')}Z` : `${iso}Z`;
}

/** Go's time.Duration.String(): 1h2m3s, 1.5s, 300ms. */
function goDuration(ns: number): string {
  if (ns === 0) return '0s';
  const sign = ns < 0 ? '-' : '';
  let rest = Math.abs(ns);
  if (rest < 1e9) {
    if (rest < 1e3) return `${sign}${rest}ns`;
    if (rest < 1e6) return `${sign}${rest / 1e3}µs`;
    return `${sign}${rest / 1e6}ms`;
  }
  const h = Math.floor(rest / 3600e9);
  rest -= h * 3600e9;
  const m = Math.floor(rest / 60e9);
  rest -= m * 60e9;
  const s = `${rest / 1e9}s`;
  return `${sign}${h > 0 ? `${h}h` : ''}${h > 0 || m > 0 ? `${m}m` : ''}${s}`;
}

function special(kind: string, raw: Buffer): unknown {
  const r = new Reader(raw);
  const values = new Map<number, bigint | Buffer>();
  while (!r.done()) {
    const tag = Number(r.varint());
    const wire = tag & 7;
    const num = tag >> 3;
    if (wire === 0) values.set(num, r.varint());
    else if (wire === 2) values.set(num, r.bytes());
    else r.skip(wire);
  }
  const int = (n: number): number => {
    const v = values.get(n);
    return typeof v === 'bigint' ? Number(BigInt.asIntN(64, v)) : 0;
  };
  const str = (n: number): string => {
    const v = values.get(n);
    return Buffer.isBuffer(v) ? v.toString('utf8') : '';
  };
  switch (kind) {
    case 'time':
      return rfc3339(int(1), int(2), false);
    case 'microtime':
      return rfc3339(int(1), int(2), true);
    case 'duration':
      return goDuration(int(1));
    case 'quantity':
      return str(1);
    case 'intorstring':
      return int(1) === 1 ? str(3) : int(2);
    case 'fieldsv1':
    case 'raw': {
      const text = str(1);
      if (text === '') return undefined;
      try {
        return JSON.parse(text) as unknown;
      } catch {
        throw errors.badRequest(`protobuf: ${kind} field does not hold JSON`);
      }
    }
    default:
      return undefined;
  }
}

function zero(value: unknown): boolean {
  return value === 0 || value === '' || value === false;
}

function decodeValue(field: Field, type: string, r: Reader, wire: number): unknown {
  if (type.startsWith('=')) return decodeMessage(type.slice(1), r.bytes());
  if (type.startsWith('@')) return special(type.slice(1), r.bytes());
  switch (type) {
    case 's':
      return r.bytes().toString('utf8');
    case 'b':
      return r.bytes().toString('base64');
    case 'B':
      return r.varint() !== 0n;
    case 'i':
      return r.int();
    case 'd':
      return wire === 1 ? r.fixed(8).readDoubleLE(0) : (r.skip(wire), 0);
    case 'f':
      return wire === 5 ? r.fixed(4).readFloatLE(0) : (r.skip(wire), 0);
    default:
      throw errors.badRequest(`protobuf: field ${field.name} has an unknown type ${type}`);
  }
}

function decodeMessage(name: string, raw: Buffer): unknown {
  const m = message(name);
  const out: Record<string, unknown> = {};
  const r = new Reader(raw);
  while (!r.done()) {
    const tag = Number(r.varint());
    const wire = tag & 7;
    const field = m.fields.get(tag >> 3);
    if (!field) {
      r.skip(wire);
      continue;
    }
    if (field.map) {
      const entry = new Reader(r.bytes());
      let key = '';
      let value: unknown = field.type === 's' ? '' : undefined;
      while (!entry.done()) {
        const t = Number(entry.varint());
        if (t >> 3 === 1) key = entry.bytes().toString('utf8');
        else if (t >> 3 === 2) value = decodeValue(field, field.type, entry, t & 7);
        else entry.skip(t & 7);
      }
      ((out[field.name] ??= {}) as Record<string, unknown>)[key] = value ?? (field.type.startsWith('=') ? {} : null);
      continue;
    }
    // Packed repeated scalars (proto3 style) arrive as one length-delimited run.
    if (field.repeated && wire === 2 && (field.type === 'i' || field.type === 'B')) {
      const run = new Reader(r.bytes());
      const items = (out[field.name] ??= []) as unknown[];
      while (!run.done()) items.push(field.type === 'B' ? run.varint() !== 0n : run.int());
      continue;
    }
    const value = decodeValue(field, field.type, r, wire);
    if (field.inline) {
      if (value !== null && typeof value === 'object') Object.assign(out, value);
      continue;
    }
    if (field.repeated) ((out[field.name] ??= []) as unknown[]).push(value);
    else if (value === undefined || (field.omitZero && zero(value))) delete out[field.name];
    else out[field.name] = value;
  }
  if (m.namedSlice) return out.items ?? [];
  return out;
}

/** The JSON form of a protobuf-encoded object of `apiVersion/kind`, or undefined when the kind is not in the table. */
export function decodeBuiltinProtobuf(apiVersion: string, kind: string, raw: Buffer): Record<string, unknown> | undefined {
  const name = protobufKinds[`${apiVersion}/${kind}`];
  if (name === undefined) return undefined;
  const decoded = decodeMessage(name, raw) as Record<string, unknown>;
  return { apiVersion, kind, ...decoded };
}
