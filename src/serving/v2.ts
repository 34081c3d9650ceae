// The Open Inference Protocol (V2) over REST: request/response types, a strict request decoder into typed arrays,
// the JSON encoder back, and KServe's error shape (`{"error": message}` with KServe python's status codes).

// ---------------------------------------------------------------------------------------------------------------
// Errors

/** KServe python's exception classes (kserve/errors.py) and the HTTP status each handler answers with. */
export const errorStatus = {
  InvalidInput: 400,
  ModelNotFound: 404,
  ModelNotReady: 503,
  ServerNotReady: 503,
  NotImplemented: 501,
  InferenceError: 500,
  InternalError: 500,
  /** Not KServe's: a request body over the server's size limit. */
  PayloadTooLarge: 413,
  /** FastAPI's answer to a V2 body that is not an inference request: `{"detail": [...]}`, not `{"error": ...}`. */
  RequestValidation: 422,
} as const;
export type ErrorKind = keyof typeof errorStatus;

/**
 * An error of the data plane. Kept apart from FloeError on purpose: the wire shape is KServe's `{"error": ...}`,
 * not a Kubernetes Status, and 501 has no Status reason.
 */
export class ProtocolError extends Error {
  readonly kind: ErrorKind;
  readonly status: number;
  /** RequestValidation only: FastAPI's list of what is wrong, the body's `detail`. */
  readonly detail: ValidationDetail[] | undefined;

  constructor(kind: ErrorKind, message: string, options: { cause?: unknown; detail?: ValidationDetail[] } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'ProtocolError';
    this.kind = kind;
    this.status = errorStatus[kind];
    this.detail = options.detail;
  }

  static requestValidation(detail: ValidationDetail[]): ProtocolError {
    return new ProtocolError('RequestValidation', detail.map((d) => `${d.loc.join('.')}: ${d.msg}`).join('; '), { detail });
  }

  static invalidInput(message: string): ProtocolError {
    return new ProtocolError('InvalidInput', message);
  }

  // The messages below are KServe's, word for word, so clients matching on them keep working.
  static modelNotFound(name: string): ProtocolError {
    return new ProtocolError('ModelNotFound', `Model with name ${name} does not exist.`);
  }

  static modelNotReady(name: string, detail?: string): ProtocolError {
    return new ProtocolError('ModelNotReady', `Model with name ${name} is not ready.${detail ? ` ${detail}` : ''}`);
  }

  static serverNotReady(): ProtocolError {
    return new ProtocolError('ServerNotReady', 'Server is not ready.');
  }

  static notImplemented(message: string): ProtocolError {
    return new ProtocolError('NotImplemented', message);
  }

  static inference(message: string, cause?: unknown): ProtocolError {
    return new ProtocolError('InferenceError', message, { cause });
  }
}

export interface ErrorBody {
  error: string;
}

/** One entry of FastAPI's 422 `detail`, as pydantic reports it. */
export interface ValidationDetail {
  type: string;
  loc: (string | number)[];
  msg: string;
  input: unknown;
  ctx?: Record<string, string>;
}

/** The status and body any thrown value is answered with; unknown errors read like KServe's generic handler. */
export function errorResponse(err: unknown): { status: number; kind: ErrorKind; body: ErrorBody | { detail: ValidationDetail[] } } {
  if (err instanceof ProtocolError) return { status: err.status, kind: err.kind, body: err.detail ? { detail: err.detail } : { error: err.message } };
  const message = err instanceof Error ? `${err.name} : ${err.message}` : String(err);
  return { status: 500, kind: 'InternalError', body: { error: message } };
}

// ---------------------------------------------------------------------------------------------------------------
// Types

export const datatypes = [
  'BOOL', 'UINT8', 'UINT16', 'UINT32', 'UINT64', 'INT8', 'INT16', 'INT32', 'INT64', 'FP16', 'FP32', 'FP64', 'BYTES', 'BF16',
] as const;
export type Datatype = (typeof datatypes)[number];

/**
 * How each datatype is held in memory. BOOL is one byte per element (0 or 1, as onnxruntime wants it); FP16 and
 * BF16 are the raw 16-bit patterns (no Float16Array in Node 20); BYTES elements are strings.
 */
export interface DataOf {
  BOOL: Uint8Array;
  UINT8: Uint8Array;
  UINT16: Uint16Array;
  UINT32: Uint32Array;
  UINT64: BigUint64Array;
  INT8: Int8Array;
  INT16: Int16Array;
  INT32: Int32Array;
  INT64: BigInt64Array;
  FP16: Uint16Array;
  FP32: Float32Array;
  FP64: Float64Array;
  BYTES: string[];
  BF16: Uint16Array;
}

export type Parameters = Record<string, string | number | boolean>;

/** A decoded tensor: `datatype` discriminates the type of `data`, which is flat and row-major. */
export type Tensor = {
  [D in Datatype]: { name: string; datatype: D; shape: number[]; data: DataOf[D]; parameters?: Parameters };
}[Datatype];

export interface RequestedOutput {
  name: string;
  parameters?: Parameters;
}

export interface InferRequest {
  id?: string;
  parameters?: Parameters;
  inputs: Tensor[];
  /** Absent: the model returns all its outputs. */
  outputs?: RequestedOutput[];
}

/** A model's answer, still holding typed arrays; `encodeInferResponse` makes the JSON body. */
export interface InferResponse {
  model_name: string;
  model_version?: string;
  id?: string;
  parameters?: Parameters;
  outputs: Tensor[];
}

/** A JSON element of `data`: bigint only for a 64-bit integer a JS number cannot hold exactly. */
export type WireElement = number | bigint | boolean | string;

export interface WireTensor {
  name: string;
  datatype: Datatype;
  shape: number[];
  data: WireElement[];
  parameters?: Parameters;
}

export interface WireInferResponse {
  model_name: string;
  model_version?: string;
  id?: string;
  parameters?: Parameters;
  outputs: WireTensor[];
}

/** `$metadata_tensor` of model metadata; -1 marks a variable dimension. */
export interface MetadataTensor {
  name: string;
  datatype: Datatype;
  shape: number[];
}

// ---------------------------------------------------------------------------------------------------------------
// Decoding

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function decodeParameters(v: unknown, where: string): Parameters {
  if (!isObject(v)) throw ProtocolError.invalidInput(`${where} must be an object`);
  for (const [k, p] of Object.entries(v)) {
    if (typeof p !== 'string' && typeof p !== 'boolean' && !(typeof p === 'number' && Number.isFinite(p))) {
      throw ProtocolError.invalidInput(`${where}.${k} must be a string, number or boolean`);
    }
  }
  return v as Parameters;
}

function decodeShape(v: unknown, where: string): number[] {
  if (!Array.isArray(v)) throw ProtocolError.invalidInput(`${where}.shape must be an array of integers`);
  v.forEach((d, i) => {
    if (typeof d !== 'number' || !Number.isSafeInteger(d) || d < 0) {
      throw ProtocolError.invalidInput(`${where}.shape[${i}] must be a non-negative integer, got ${JSON.stringify(d)}`);
    }
  });
  return v as number[];
}

/** The number of elements a shape holds (1 for a scalar). */
export function elementCount(shape: readonly number[]): number {
  return shape.reduce((n, d) => n * d, 1);
}

/**
 * Flattens row-major `data`, which may be flat or nested to any depth, provided the nesting is rectangular: at one
 * depth every element is an array of the same length, or every element is a scalar (as numpy would accept it).
 */
export function flattenData(data: unknown, where: string): unknown[] {
  if (!Array.isArray(data)) throw ProtocolError.invalidInput(`${where}.data must be an array`);
  if (!data.some(Array.isArray)) return data;
  const out: unknown[] = [];
  const lengthAt: number[] = []; // length of every array at a depth
  const arraysAt: boolean[] = []; // whether elements at a depth are arrays
  const walk = (arr: unknown[], depth: number): void => {
    if (depth > 64) throw ProtocolError.invalidInput(`${where}.data is nested too deeply`);
    const len = lengthAt[depth];
    if (len === undefined) lengthAt[depth] = arr.length;
    else if (len !== arr.length) throw ProtocolError.invalidInput(`${where}.data is ragged: arrays at depth ${depth} have lengths ${len} and ${arr.length}`);
    for (const e of arr) {
      const isArr = Array.isArray(e);
      const seen = arraysAt[depth + 1];
      if (seen === undefined) arraysAt[depth + 1] = isArr;
      else if (seen !== isArr) throw ProtocolError.invalidInput(`${where}.data is ragged: depth ${depth + 1} mixes arrays and scalars`);
      if (isArr) walk(e as unknown[], depth + 1);
      else out.push(e);
    }
  };
  walk(data, 0);
  return out;
}

const intRanges = {
  UINT8: [0, 0xff, Uint8Array],
  UINT16: [0, 0xffff, Uint16Array],
  UINT32: [0, 0xffffffff, Uint32Array],
  INT8: [-0x80, 0x7f, Int8Array],
  INT16: [-0x8000, 0x7fff, Int16Array],
  INT32: [-0x80000000, 0x7fffffff, Int32Array],
} as const;

const describe = (v: unknown): string => (typeof v === 'bigint' ? `${v}n` : v === undefined ? 'undefined' : JSON.stringify(v));

/**
 * Converts flat JSON elements into the typed array of `datatype`, checking each element's type and range. The
 * caller has already checked the element count. `where` names the tensor in messages (`inputs[0] ("x")`).
 */
export function decodeElements<D extends Datatype>(datatype: D, flat: readonly unknown[], where: string): DataOf[D];
export function decodeElements(datatype: Datatype, flat: readonly unknown[], where: string): DataOf[Datatype] {
  const n = flat.length;
  const bad = (i: number, why: string): ProtocolError =>
    ProtocolError.invalidInput(`${where}: data[${i}] is ${describe(flat[i])}, ${why}`);
  switch (datatype) {
    case 'BOOL': {
      const out = new Uint8Array(n);
      for (let i = 0; i < n; i++) {
        const v = flat[i];
        if (typeof v !== 'boolean') throw bad(i, 'expected a boolean for BOOL');
        out[i] = v ? 1 : 0;
      }
      return out;
    }
    case 'UINT8': case 'UINT16': case 'UINT32': case 'INT8': case 'INT16': case 'INT32': {
      const [min, max, Ctor] = intRanges[datatype];
      const out = new Ctor(n);
      for (let i = 0; i < n; i++) {
        const v = flat[i];
        if (typeof v !== 'number' || !Number.isInteger(v)) throw bad(i, `expected an integer for ${datatype}`);
        if (v < min || v > max) throw bad(i, `out of range for ${datatype} (${min}..${max})`);
        out[i] = v;
      }
      return out;
    }
    case 'UINT64': case 'INT64': {
      // JSON.parse reads numbers as doubles, so only safe integers arrive exact; larger ones are refused rather
      // than silently rounded. Callers building requests in JS may pass bigints.
      const signed = datatype === 'INT64';
      const [min, max] = signed ? [-(2n ** 63n), 2n ** 63n - 1n] : [0n, 2n ** 64n - 1n];
      const out = signed ? new BigInt64Array(n) : new BigUint64Array(n);
      for (let i = 0; i < n; i++) {
        const v = flat[i];
        let b: bigint;
        if (typeof v === 'bigint') b = v;
        else if (typeof v === 'number' && Number.isInteger(v)) {
          if (!Number.isSafeInteger(v)) throw bad(i, `beyond ±2^53, which a JSON number cannot carry exactly for ${datatype}`);
          b = BigInt(v);
        } else throw bad(i, `expected an integer for ${datatype}`);
        if (b < min || b > max) throw bad(i, `out of range for ${datatype} (${min}..${max})`);
        out[i] = b;
      }
      return out;
    }
    case 'FP16': case 'BF16': case 'FP32': case 'FP64': {
      const out = datatype === 'FP32' ? new Float32Array(n) : datatype === 'FP64' ? new Float64Array(n) : new Uint16Array(n);
      const format = datatype === 'FP16' ? fp16 : bf16;
      for (let i = 0; i < n; i++) {
        const v = flat[i];
        if (typeof v !== 'number' || !Number.isFinite(v)) throw bad(i, `expected a finite number for ${datatype}`);
        if (datatype === 'FP64') {
          out[i] = v;
        } else if (datatype === 'FP32') {
          if (!Number.isFinite(Math.fround(v))) throw bad(i, 'out of range for FP32');
          out[i] = v;
        } else {
          const bits = toMiniFloatBits(v, format);
          if ((bits & 0x7fff) === format.infinity) throw bad(i, `out of range for ${datatype}`);
          out[i] = bits;
        }
      }
      return out;
    }
    case 'BYTES': {
      for (let i = 0; i < n; i++) if (typeof flat[i] !== 'string') throw bad(i, 'expected a string for BYTES');
      return flat.slice() as string[];
    }
  }
}

/** Decodes one tensor given its parts; `where` names it in messages. */
export function decodeTensor(name: string, datatype: Datatype, shape: number[], data: unknown, where: string): Tensor {
  const flat = flattenData(data, where);
  const want = elementCount(shape);
  if (flat.length !== want) {
    throw ProtocolError.invalidInput(`${where}: shape ${JSON.stringify(shape)} needs ${want} elements, data has ${flat.length}`);
  }
  return { name, datatype, shape, data: decodeElements(datatype, flat, where) } as Tensor;
}

const isDatatype = (v: unknown): v is Datatype => typeof v === 'string' && (datatypes as readonly string[]).includes(v);

function decodeInput(v: unknown, i: number): Tensor {
  let where = `inputs[${i}]`;
  if (!isObject(v)) throw ProtocolError.invalidInput(`${where} must be an object`);
  if (typeof v.name !== 'string' || v.name === '') throw ProtocolError.invalidInput(`${where}.name must be a non-empty string`);
  const name = v.name;
  where = `${where} ("${name}")`;
  if (!isDatatype(v.datatype)) {
    throw ProtocolError.invalidInput(`${where}.datatype ${describe(v.datatype)} is not one of ${datatypes.join(', ')}`);
  }
  const shape = decodeShape(v.shape, where);
  const parameters = v.parameters === undefined ? undefined : decodeParameters(v.parameters, `${where}.parameters`);
  if (v.data === undefined) {
    if (parameters && 'binary_data_size' in parameters) {
      throw ProtocolError.notImplemented(`${where}: the binary tensor data extension is not supported; send "data" as JSON`);
    }
    throw ProtocolError.invalidInput(`${where}.data is required`);
  }
  const tensor = decodeTensor(name, v.datatype, shape, v.data, where);
  if (parameters) tensor.parameters = parameters;
  return tensor;
}

/**
 * Decodes a V2 inference request body (already JSON-parsed). Throws a 400 ProtocolError naming the first thing
 * wrong. Unknown top-level fields are ignored, as KServe's pydantic models do.
 */
export function decodeInferRequest(body: unknown): InferRequest {
  if (!isObject(body)) throw ProtocolError.invalidInput('the inference request must be a JSON object');
  if (!Array.isArray(body.inputs) || body.inputs.length === 0) {
    throw ProtocolError.invalidInput('inputs must be a non-empty array of tensors');
  }
  const inputs = body.inputs.map(decodeInput);
  const seen = new Set<string>();
  for (const t of inputs) {
    if (seen.has(t.name)) throw ProtocolError.invalidInput(`inputs: "${t.name}" appears more than once`);
    seen.add(t.name);
  }
  const req: InferRequest = { inputs };
  if (body.id !== undefined) {
    if (typeof body.id !== 'string') throw ProtocolError.invalidInput('id must be a string');
    req.id = body.id;
  }
  if (body.parameters !== undefined) req.parameters = decodeParameters(body.parameters, 'parameters');
  if (body.outputs !== undefined) {
    if (!Array.isArray(body.outputs)) throw ProtocolError.invalidInput('outputs must be an array');
    const names = new Set<string>();
    req.outputs = body.outputs.map((o: unknown, i) => {
      if (!isObject(o) || typeof o.name !== 'string' || o.name === '') {
        throw ProtocolError.invalidInput(`outputs[${i}].name must be a non-empty string`);
      }
      if (names.has(o.name)) throw ProtocolError.invalidInput(`outputs: "${o.name}" appears more than once`);
      names.add(o.name);
      const out: RequestedOutput = { name: o.name };
      if (o.parameters !== undefined) out.parameters = decodeParameters(o.parameters, `outputs[${i}].parameters`);
      return out;
    });
  }
  return req;
}

/**
 * What FastAPI answers (422) for a V2 body that does not fit the kserve SDK's InferenceRequest model, entry for entry
 * as pydantic reports it (fields in the model's order: id, parameters, inputs, outputs; an input's name, shape,
 * datatype, parameters, data), ending with the SDK's `bytes` alternative; empty when the body fits the model.
 */
export function inferRequestProblems(body: unknown): ValidationDetail[] {
  const root = ['body', 'InferenceRequest'];
  const out: ValidationDetail[] = [];
  const problem = (type: string, loc: (string | number)[], msg: string, input: unknown): void => {
    out.push({ type, loc, msg, input });
  };
  const notObject = (v: unknown, loc: (string | number)[]): boolean => {
    if (isObject(v)) return false;
    problem('model_attributes_type', loc, 'Input should be a valid dictionary or object to extract fields from', v);
    return true;
  };
  const string = (o: Record<string, unknown>, key: string, loc: (string | number)[], required: boolean): void => {
    if (!(key in o)) {
      if (required) problem('missing', [...loc, key], 'Field required', o);
    } else if (typeof o[key] !== 'string' && !(o[key] === null && !required)) problem('string_type', [...loc, key], 'Input should be a valid string', o[key]);
  };
  const dict = (o: Record<string, unknown>, key: string, loc: (string | number)[]): void => {
    if (key in o && o[key] !== null && !isObject(o[key])) problem('dict_type', [...loc, key], 'Input should be a valid dictionary', o[key]);
  };
  const list = (o: Record<string, unknown>, key: string, loc: (string | number)[], required: boolean): unknown[] | undefined => {
    if (!(key in o)) {
      if (required) problem('missing', [...loc, key], 'Field required', o);
      return undefined;
    }
    const value: unknown = o[key];
    if (Array.isArray(value)) return value as unknown[];
    if (o[key] !== null || required) problem('list_type', [...loc, key], 'Input should be a valid list', o[key]);
    return undefined;
  };
  if (!notObject(body, root)) {
    const request = body as Record<string, unknown>;
    string(request, 'id', root, false);
    dict(request, 'parameters', root);
    list(request, 'inputs', root, true)?.forEach((input, i) => {
      const loc = [...root, 'inputs', i];
      if (notObject(input, loc)) return;
      const t = input as Record<string, unknown>;
      string(t, 'name', loc, true);
      list(t, 'shape', loc, true)?.forEach((d, j) => {
        const at = [...loc, 'shape', j];
        if (typeof d === 'boolean' || (typeof d === 'number' && Number.isInteger(d))) return;
        if (typeof d === 'number') problem('int_from_float', at, 'Input should be a valid integer, got a number with a fractional part', d);
        else if (typeof d === 'string') {
          if (!/^\s*[-+]?\d+\s*$/.test(d)) problem('int_parsing', at, 'Input should be a valid integer, unable to parse string as an integer', d);
        } else problem('int_type', at, 'Input should be a valid integer', d);
      });
      string(t, 'datatype', loc, true);
      dict(t, 'parameters', loc);
      list(t, 'data', loc, true);
    });
    list(request, 'outputs', root, false)?.forEach((output, i) => {
      const loc = [...root, 'outputs', i];
      if (notObject(output, loc)) return;
      string(output as Record<string, unknown>, 'name', loc, true);
      dict(output as Record<string, unknown>, 'parameters', loc);
    });
  }
  if (out.length > 0) problem('bytes_type', ['body', 'bytes'], 'Input should be a valid bytes', body);
  return out;
}

/**
 * FastAPI's 422 for a V2 body that is not JSON: pydantic's `json_invalid` at the character where parsing stopped, with
 * Python's words for why (Node's parser words it differently; the position is the same where Node gives one).
 */
export function jsonInvalid(text: string, err: unknown): ValidationDetail[] {
  if (text.length === 0) return [{ type: 'missing', loc: ['body'], msg: 'Field required', input: null }];
  const message = err instanceof Error ? err.message : String(err);
  const at = /position (\d+)/.exec(message)?.[1];
  const position = at !== undefined ? Number(at) : /end of JSON input/.test(message) ? text.length : 0;
  const why = /property name/.test(message) ? 'Expecting property name enclosed in double quotes' : /Expected ','/.test(message) ? "Expecting ',' delimiter" : /Expected ':'/.test(message) ? "Expecting ':' delimiter" : 'Expecting value';
  return [{ type: 'json_invalid', loc: ['body', position], msg: 'JSON decode error', input: {}, ctx: { error: why } }];
}

// ---------------------------------------------------------------------------------------------------------------
// Encoding

/** A tensor's elements as JSON values, flat and row-major. */
export function tensorElements(t: Tensor): WireElement[] {
  switch (t.datatype) {
    case 'BOOL':
      return Array.from(t.data, (v) => v !== 0);
    case 'UINT64': case 'INT64':
      return Array.from(t.data as ArrayLike<bigint>, (b) => (b >= -maxSafe && b <= maxSafe ? Number(b) : b));
    case 'FP16':
      return Array.from(t.data, (h) => fromMiniFloatBits(h, fp16));
    case 'BF16':
      return Array.from(t.data, (h) => fromMiniFloatBits(h, bf16));
    case 'BYTES':
      return t.data.slice();
    case 'UINT8': case 'UINT16': case 'UINT32': case 'INT8': case 'INT16': case 'INT32': case 'FP32': case 'FP64':
      return Array.from(t.data as ArrayLike<number>);
  }
}
const maxSafe = BigInt(Number.MAX_SAFE_INTEGER);

/** The JSON form of a tensor; `data` is flat (the V2 protocol allows either form, and flat is what Triton sends). */
export function encodeTensor(t: Tensor): WireTensor {
  const out: WireTensor = { name: t.name, datatype: t.datatype, shape: t.shape, data: tensorElements(t) };
  if (t.parameters) out.parameters = t.parameters;
  return out;
}

export function encodeInferResponse(r: InferResponse): WireInferResponse {
  const head: Omit<WireInferResponse, 'outputs'> = { model_name: r.model_name };
  if (r.model_version !== undefined) head.model_version = r.model_version;
  if (r.id !== undefined) head.id = r.id;
  if (r.parameters) head.parameters = r.parameters;
  return { ...head, outputs: r.outputs.map(encodeTensor) };
}

/** Rebuilds nested lists of `shape` from flat row-major elements (the V1 `predictions` form). */
export function nest(flat: ArrayLike<unknown>, shape: readonly number[]): unknown {
  if (shape.length === 0) return flat[0];
  const strides = shape.map((_, d) => elementCount(shape.slice(d + 1)));
  const build = (offset: number, d: number): unknown[] => {
    const dim = shape[d] ?? 0;
    const out: unknown[] = [];
    if (d === shape.length - 1) {
      for (let i = 0; i < dim; i++) out.push(flat[offset + i]);
    } else {
      const stride = strides[d] ?? 0;
      for (let i = 0; i < dim; i++) out.push(build(offset + i * stride, d + 1));
    }
    return out;
  };
  return build(0, 0);
}

/**
 * JSON.stringify that writes bigints as exact integer literals (JSON.stringify throws on them, and Node 20 has no
 * JSON.rawJSON). Other values serialize exactly as JSON.stringify would.
 */
export function stringifyJson(value: unknown): string {
  const isFlatScalar = (e: unknown): boolean => typeof e === 'number' || typeof e === 'string' || typeof e === 'boolean';
  const parts: string[] = [];
  const write = (v: unknown): void => {
    if (typeof v === 'bigint') parts.push(v.toString());
    else if (Array.isArray(v) && v.every(isFlatScalar)) parts.push(JSON.stringify(v)); // tensor data: the native path
    else if (Array.isArray(v)) {
      parts.push('[');
      for (let i = 0; i < v.length; i++) {
        if (i > 0) parts.push(',');
        const e: unknown = v[i];
        if (e === undefined || typeof e === 'function' || typeof e === 'symbol') parts.push('null');
        else write(e);
      }
      parts.push(']');
    } else if (isObject(v) && typeof (v as { toJSON?: unknown }).toJSON !== 'function') {
      parts.push('{');
      let first = true;
      for (const [k, e] of Object.entries(v)) {
        if (e === undefined || typeof e === 'function' || typeof e === 'symbol') continue;
        if (!first) parts.push(',');
        first = false;
        parts.push(JSON.stringify(k), ':');
        write(e);
      }
      parts.push('}');
    } else parts.push(JSON.stringify(v) ?? 'null');
  };
  write(value);
  return parts.join('');
}

// ---------------------------------------------------------------------------------------------------------------
// 16-bit floats: IEEE half (FP16) and bfloat16 (BF16), rounded to nearest even like numpy and torch.

interface MiniFloat {
  mantBits: number;
  bias: number;
  maxExp: number;
  /** The bit pattern of +infinity. */
  infinity: number;
}
const miniFloat = (expBits: number, mantBits: number): MiniFloat => {
  const bias = 2 ** (expBits - 1) - 1;
  return { mantBits, bias, maxExp: bias, infinity: (2 ** expBits - 1) << mantBits };
};
const fp16 = miniFloat(5, 10);
const bf16 = miniFloat(8, 7);

function roundHalfEven(v: number): number {
  const f = Math.floor(v);
  const d = v - f;
  return d > 0.5 || (d === 0.5 && f % 2 !== 0) ? f + 1 : f;
}

/** The 16-bit pattern nearest to `x`; overflow gives infinity (the decoder refuses that as out of range). */
function toMiniFloatBits(x: number, f: MiniFloat): number {
  const sign = x < 0 || Object.is(x, -0) ? 0x8000 : 0;
  const a = Math.abs(x);
  if (Number.isNaN(x)) return f.infinity | (1 << (f.mantBits - 1));
  if (a === Infinity) return sign | f.infinity;
  const minNormal = 2 ** (1 - f.bias);
  const unit = 2 ** (f.mantBits);
  if (a < minNormal) {
    // Subnormal: a multiple of 2^(1-bias-mantBits). A result of `unit` is exactly the smallest normal's pattern.
    return sign | roundHalfEven(a / minNormal * unit);
  }
  let e = Math.floor(Math.log2(a));
  if (2 ** e > a) e--;
  else if (2 ** (e + 1) <= a) e++;
  let m = roundHalfEven((a / 2 ** e - 1) * unit);
  if (m === unit) {
    m = 0;
    e++;
  }
  if (e > f.maxExp) return sign | f.infinity;
  return sign | ((e + f.bias) << f.mantBits) | m;
}

function fromMiniFloatBits(h: number, f: MiniFloat): number {
  const sign = h & 0x8000 ? -1 : 1;
  const e = (h & 0x7fff) >> f.mantBits;
  const m = h & ((1 << f.mantBits) - 1);
  const unit = 2 ** f.mantBits;
  if (e === 0) return sign * (m / unit) * 2 ** (1 - f.bias);
  if ((h & 0x7fff) >= f.infinity) return m ? NaN : sign * Infinity;
  return sign * (1 + m / unit) * 2 ** (e - f.bias);
}

/** Bit conversions for callers holding FP16/BF16 tensors. */
export const float16 = {
  fromNumber: (x: number): number => toMiniFloatBits(x, fp16),
  toNumber: (h: number): number => fromMiniFloatBits(h, fp16),
};
export const bfloat16 = {
  fromNumber: (x: number): number => toMiniFloatBits(x, bf16),
  toNumber: (h: number): number => fromMiniFloatBits(h, bf16),
};
