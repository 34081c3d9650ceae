// The Open Inference Protocol's gRPC service (inference.GRPCInferenceService) for the models one ModelServer holds:
// the service definition from grpc-predict-v2.proto, protobuf messages to and from Floe's V2 tensors (typed
// `contents` and `raw_input_contents`/`raw_output_contents`), and ProtocolError kinds as gRPC status codes.
import { fileURLToPath } from 'node:url';
import { loadPackageDefinition, status, type handleUnaryCall, type ServiceDefinition, type UntypedServiceImplementation } from '@grpc/grpc-js';
import { loadSync, type Options } from '@grpc/proto-loader';
import type { ServedModel } from './model.js';
import { ProtocolError, elementCount, type DataOf, type Datatype, type ErrorKind, type InferRequest, type InferResponse, type Parameters, type Tensor, datatypes } from './v2.js';

/** The .proto ships in the checkout's src/serving (this file runs as dist/src/serving/grpc-inference.js). */
const protoFile = fileURLToPath(new URL('../../../src/serving/grpc-predict-v2.proto', import.meta.url));

/** Field names as written in the .proto; 64-bit integers as strings (exact); the `oneof` case named. */
export const protoOptions: Options = { keepCase: true, longs: String, enums: String, defaults: false, oneofs: true };

let loaded: ServiceDefinition | undefined;

/** The service definition of inference.GRPCInferenceService (loaded once per process). */
export function inferenceService(): ServiceDefinition {
  if (!loaded) {
    const pkg = loadPackageDefinition(loadSync(protoFile, protoOptions)) as unknown as { inference: { GRPCInferenceService: { service: ServiceDefinition } } };
    loaded = pkg.inference.GRPCInferenceService.service;
  }
  return loaded;
}

/** The path of the .proto, for clients that load it themselves (tests, the benchmark). */
export const inferenceProtoFile = protoFile;

// ---------------------------------------------------------------------------------------------------------------
// Messages (as proto-loader hands them over with protoOptions)

export interface ProtoParameter { bool_param?: boolean; int64_param?: string | number; string_param?: string; parameter_choice?: string }
export interface ProtoContents {
  bool_contents?: boolean[];
  int_contents?: number[];
  int64_contents?: (string | number)[];
  uint_contents?: number[];
  uint64_contents?: (string | number)[];
  fp32_contents?: number[];
  fp64_contents?: number[];
  bytes_contents?: Buffer[];
}
export interface ProtoTensor { name?: string; datatype?: string; shape?: (string | number)[]; parameters?: Record<string, ProtoParameter>; contents?: ProtoContents }
export interface ProtoInferRequest {
  model_name?: string;
  model_version?: string;
  id?: string;
  parameters?: Record<string, ProtoParameter>;
  inputs?: ProtoTensor[];
  outputs?: { name?: string; parameters?: Record<string, ProtoParameter> }[];
  raw_input_contents?: Buffer[];
}
export interface ProtoInferResponse {
  model_name: string;
  model_version?: string;
  id?: string;
  parameters?: Record<string, ProtoParameter>;
  outputs: ProtoTensor[];
  raw_output_contents?: Buffer[];
}

/** What the service needs from the model server behind it (ModelServer has all of it). */
export interface GrpcModels {
  get(name: string): ServedModel | undefined;
  list(): ServedModel[];
  /** `name` and `version` of ServerMetadata. */
  readonly serverInfo?: GrpcServerInfo;
}

export interface GrpcServerInfo {
  name: string;
  version: string;
}

// ---------------------------------------------------------------------------------------------------------------
// Decoding

function parametersFrom(map: Record<string, ProtoParameter> | undefined): Parameters | undefined {
  if (!map || Object.keys(map).length === 0) return undefined;
  const out: Parameters = {};
  for (const [k, p] of Object.entries(map)) {
    if (p.bool_param !== undefined) out[k] = p.bool_param;
    else if (p.int64_param !== undefined) out[k] = Number(p.int64_param);
    else if (p.string_param !== undefined) out[k] = p.string_param;
  }
  return out;
}

function parametersTo(params: Parameters | undefined): Record<string, ProtoParameter> | undefined {
  if (!params) return undefined;
  const out: Record<string, ProtoParameter> = {};
  for (const [k, v] of Object.entries(params)) {
    if (typeof v === 'boolean') out[k] = { bool_param: v };
    else if (typeof v === 'number' && Number.isInteger(v)) out[k] = { int64_param: String(v) };
    else out[k] = { string_param: String(v) };
  }
  return out;
}

const byteWidth: Partial<Record<Datatype, number>> = {
  BOOL: 1, UINT8: 1, INT8: 1, UINT16: 2, INT16: 2, FP16: 2, BF16: 2, UINT32: 4, INT32: 4, FP32: 4, UINT64: 8, INT64: 8, FP64: 8,
};

const isDatatype = (v: unknown): v is Datatype => typeof v === 'string' && (datatypes as readonly string[]).includes(v);

/** A tensor from its little-endian bytes (the raw contents extension); BYTES elements carry a 4-byte length each. */
export function tensorFromRaw(name: string, datatype: Datatype, shape: number[], raw: Buffer, where: string): Tensor {
  const n = elementCount(shape);
  if (datatype === 'BYTES') {
    const out: string[] = [];
    let at = 0;
    while (at < raw.length) {
      if (at + 4 > raw.length) throw ProtocolError.invalidInput(`${where}: raw BYTES contents end inside an element length`);
      const len = raw.readUInt32LE(at);
      if (at + 4 + len > raw.length) throw ProtocolError.invalidInput(`${where}: raw BYTES element ${out.length} runs past the contents`);
      out.push(raw.toString('utf8', at + 4, at + 4 + len));
      at += 4 + len;
    }
    if (out.length !== n) throw ProtocolError.invalidInput(`${where}: shape ${JSON.stringify(shape)} needs ${n} elements, raw contents hold ${out.length}`);
    return { name, datatype, shape, data: out };
  }
  const width = byteWidth[datatype]!;
  if (raw.length !== n * width) throw ProtocolError.invalidInput(`${where}: shape ${JSON.stringify(shape)} of ${datatype} needs ${n * width} bytes, raw contents have ${raw.length}`);
  // A copy: the message's buffer may not be aligned for the typed array.
  const bytes = new Uint8Array(raw).buffer;
  const view: Record<Exclude<Datatype, 'BYTES'>, () => DataOf[Datatype]> = {
    BOOL: () => new Uint8Array(bytes), UINT8: () => new Uint8Array(bytes), INT8: () => new Int8Array(bytes),
    UINT16: () => new Uint16Array(bytes), INT16: () => new Int16Array(bytes), FP16: () => new Uint16Array(bytes), BF16: () => new Uint16Array(bytes),
    UINT32: () => new Uint32Array(bytes), INT32: () => new Int32Array(bytes), FP32: () => new Float32Array(bytes),
    UINT64: () => new BigUint64Array(bytes), INT64: () => new BigInt64Array(bytes), FP64: () => new Float64Array(bytes),
  };
  return { name, datatype, shape, data: view[datatype]() } as Tensor;
}

/** A tensor from its typed `contents` field (the one its datatype uses). */
function tensorFromContents(name: string, datatype: Datatype, shape: number[], c: ProtoContents, where: string): Tensor {
  const n = elementCount(shape);
  const need = (len: number, field: string): void => {
    if (len !== n) throw ProtocolError.invalidInput(`${where}: shape ${JSON.stringify(shape)} needs ${n} elements, contents.${field} has ${len}`);
  };
  const ints = <T extends Int8Array | Int16Array | Int32Array | Uint8Array | Uint16Array | Uint32Array>(Ctor: new (a: number[]) => T, field: 'int_contents' | 'uint_contents'): T => {
    const v = c[field] ?? [];
    need(v.length, field);
    return new Ctor(v);
  };
  const longs = (field: 'int64_contents' | 'uint64_contents'): bigint[] => {
    const v = c[field] ?? [];
    need(v.length, field);
    return v.map((x) => BigInt(x));
  };
  switch (datatype) {
    case 'BOOL': { const v = c.bool_contents ?? []; need(v.length, 'bool_contents'); return { name, datatype, shape, data: Uint8Array.from(v, (b) => (b ? 1 : 0)) }; }
    case 'INT8': return { name, datatype, shape, data: ints(Int8Array, 'int_contents') };
    case 'INT16': return { name, datatype, shape, data: ints(Int16Array, 'int_contents') };
    case 'INT32': return { name, datatype, shape, data: ints(Int32Array, 'int_contents') };
    case 'UINT8': return { name, datatype, shape, data: ints(Uint8Array, 'uint_contents') };
    case 'UINT16': return { name, datatype, shape, data: ints(Uint16Array, 'uint_contents') };
    case 'UINT32': return { name, datatype, shape, data: ints(Uint32Array, 'uint_contents') };
    case 'INT64': return { name, datatype, shape, data: BigInt64Array.from(longs('int64_contents')) };
    case 'UINT64': return { name, datatype, shape, data: BigUint64Array.from(longs('uint64_contents')) };
    case 'FP32': { const v = c.fp32_contents ?? []; need(v.length, 'fp32_contents'); return { name, datatype, shape, data: Float32Array.from(v) }; }
    case 'FP64': { const v = c.fp64_contents ?? []; need(v.length, 'fp64_contents'); return { name, datatype, shape, data: Float64Array.from(v) }; }
    case 'BYTES': { const v = c.bytes_contents ?? []; need(v.length, 'bytes_contents'); return { name, datatype, shape, data: v.map((b) => Buffer.from(b).toString('utf8')) }; }
    case 'FP16': case 'BF16':
      throw ProtocolError.invalidInput(`${where}: ${datatype} has no typed contents field; send it in raw_input_contents`);
  }
}

/** A ModelInferRequest as Floe's V2 request; throws an InvalidInput ProtocolError naming what is wrong. */
export function decodeGrpcInferRequest(msg: ProtoInferRequest): { request: InferRequest; raw: boolean } {
  const inputs = msg.inputs ?? [];
  if (inputs.length === 0) throw ProtocolError.invalidInput('inputs must hold at least one tensor');
  const raw = msg.raw_input_contents ?? [];
  if (raw.length > 0 && raw.length !== inputs.length) {
    throw ProtocolError.invalidInput(`raw_input_contents has ${raw.length} entries for ${inputs.length} inputs: give one per input or none`);
  }
  const tensors = inputs.map((t, i): Tensor => {
    const where = `inputs[${i}] ("${t.name ?? ''}")`;
    if (!t.name) throw ProtocolError.invalidInput(`inputs[${i}].name must be a non-empty string`);
    if (!isDatatype(t.datatype)) throw ProtocolError.invalidInput(`${where}.datatype "${t.datatype ?? ''}" is not one of ${datatypes.join(', ')}`);
    const shape = (t.shape ?? []).map(Number);
    if (shape.some((d) => !Number.isSafeInteger(d) || d < 0)) throw ProtocolError.invalidInput(`${where}.shape must hold non-negative integers`);
    const tensor = raw.length > 0 ? tensorFromRaw(t.name, t.datatype, shape, raw[i]!, where) : tensorFromContents(t.name, t.datatype, shape, t.contents ?? {}, where);
    const params = parametersFrom(t.parameters);
    if (params) tensor.parameters = params;
    return tensor;
  });
  const request: InferRequest = { inputs: tensors };
  if (msg.id) request.id = msg.id;
  const params = parametersFrom(msg.parameters);
  if (params) request.parameters = params;
  if (msg.outputs && msg.outputs.length > 0) {
    request.outputs = msg.outputs.map((o) => {
      const p = parametersFrom(o.parameters);
      return { name: o.name ?? '', ...(p ? { parameters: p } : {}) };
    });
  }
  return { request, raw: raw.length > 0 };
}

// ---------------------------------------------------------------------------------------------------------------
// Encoding

/** A tensor's bytes as the raw contents extension lays them out (little-endian; BYTES length-prefixed). */
export function rawOf(t: Tensor): Buffer {
  if (t.datatype === 'BYTES') {
    return Buffer.concat(t.data.flatMap((s) => {
      const body = Buffer.from(s, 'utf8');
      const len = Buffer.alloc(4);
      len.writeUInt32LE(body.length);
      return [len, body];
    }));
  }
  const data = t.data;
  return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
}

function contentsOf(t: Tensor): ProtoContents | undefined {
  switch (t.datatype) {
    case 'BOOL': return { bool_contents: Array.from(t.data, (v) => v !== 0) };
    case 'INT8': case 'INT16': case 'INT32': return { int_contents: Array.from(t.data as ArrayLike<number>) };
    case 'UINT8': case 'UINT16': case 'UINT32': return { uint_contents: Array.from(t.data as ArrayLike<number>) };
    case 'INT64': return { int64_contents: Array.from(t.data, (b) => b.toString()) };
    case 'UINT64': return { uint64_contents: Array.from(t.data, (b) => b.toString()) };
    case 'FP32': return { fp32_contents: Array.from(t.data) };
    case 'FP64': return { fp64_contents: Array.from(t.data) };
    case 'BYTES': return { bytes_contents: t.data.map((s) => Buffer.from(s, 'utf8')) };
    case 'FP16': case 'BF16': return undefined;
  }
}

/**
 * A V2 response as a ModelInferResponse: raw_output_contents when the request came raw or an output has no typed
 * field (FP16, BF16), as KServe's and Triton's servers answer; typed `contents` otherwise.
 */
export function encodeGrpcInferResponse(r: InferResponse, raw: boolean): ProtoInferResponse {
  const useRaw = raw || r.outputs.some((t) => t.datatype === 'FP16' || t.datatype === 'BF16');
  const out: ProtoInferResponse = {
    model_name: r.model_name,
    outputs: r.outputs.map((t) => {
      const params = parametersTo(t.parameters);
      const contents = useRaw ? undefined : contentsOf(t);
      return { name: t.name, datatype: t.datatype, shape: t.shape.map(String), ...(params ? { parameters: params } : {}), ...(contents ? { contents } : {}) };
    }),
  };
  if (r.model_version) out.model_version = r.model_version;
  if (r.id) out.id = r.id;
  const params = parametersTo(r.parameters);
  if (params) out.parameters = params;
  if (useRaw) out.raw_output_contents = r.outputs.map(rawOf);
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// Errors and the service

/** KServe's error classes as gRPC status codes (what kserve's and MLServer's gRPC servicers answer). */
export const grpcCodeOf: Record<ErrorKind, status> = {
  InvalidInput: status.INVALID_ARGUMENT,
  RequestValidation: status.INVALID_ARGUMENT,
  ModelNotFound: status.NOT_FOUND,
  ModelNotReady: status.UNAVAILABLE,
  ServerNotReady: status.UNAVAILABLE,
  NotImplemented: status.UNIMPLEMENTED,
  InferenceError: status.INTERNAL,
  InternalError: status.INTERNAL,
  PayloadTooLarge: status.RESOURCE_EXHAUSTED,
};

/** An error as a gRPC service error (code and details). */
export function grpcError(err: unknown): { code: status; details: string } {
  if (err instanceof ProtocolError) return { code: grpcCodeOf[err.kind], details: err.message };
  return { code: status.INTERNAL, details: err instanceof Error ? err.message : String(err) };
}

/** One call's answer from the models: the response message, or a ProtocolError thrown. */
export type GrpcMethod = (request: unknown) => Promise<unknown>;

/** The methods of inference.GRPCInferenceService answered from `models`, by method name. */
export function modelMethods(models: GrpcModels, info: GrpcServerInfo): Record<string, GrpcMethod> {
  const ready = (name: string | undefined): ServedModel => {
    const model = models.get(name ?? '');
    if (!model) throw ProtocolError.modelNotFound(name ?? '');
    return model;
  };
  return {
    ServerLive: () => Promise.resolve({ live: true }),
    ServerReady: () => Promise.resolve({ ready: models.list().every((m) => m.ready()) }),
    ModelReady: (req) => Promise.resolve({ ready: ready((req as { name?: string }).name).ready() }),
    ServerMetadata: () => Promise.resolve({ name: info.name, version: info.version, extensions: ['model_repository_extension'] }),
    ModelMetadata: (req) => {
      const m = ready((req as { name?: string }).name).metadata();
      return Promise.resolve({
        name: m.name,
        versions: m.versions ?? [],
        platform: m.platform,
        inputs: m.inputs.map((t) => ({ name: t.name, datatype: t.datatype, shape: t.shape.map(String) })),
        outputs: m.outputs.map((t) => ({ name: t.name, datatype: t.datatype, shape: t.shape.map(String) })),
      });
    },
    ModelInfer: async (req) => {
      const msg = req as ProtoInferRequest;
      const model = ready(msg.model_name);
      if (!model.ready()) throw ProtocolError.modelNotReady(model.name);
      const { request, raw } = decodeGrpcInferRequest(msg);
      let response: InferResponse;
      try {
        response = await model.infer(request);
      } catch (err) {
        throw err instanceof ProtocolError ? err : ProtocolError.inference(err instanceof Error ? err.message : String(err), err);
      }
      return encodeGrpcInferResponse(response, raw);
    },
    RepositoryModelLoad: () => Promise.reject(ProtocolError.notImplemented('the model repository is managed through TrainedModels')),
    RepositoryModelUnload: () => Promise.reject(ProtocolError.notImplemented('the model repository is managed through TrainedModels')),
  };
}

/** A grpc-js implementation of the service over `methods` (a plain server: tests, the benchmark's peer). */
export function serviceImplementation(methods: Record<string, GrpcMethod>): UntypedServiceImplementation {
  const impl: UntypedServiceImplementation = {};
  for (const [name, fn] of Object.entries(methods)) {
    const handler: handleUnaryCall<unknown, unknown> = (call, callback) => {
      fn(call.request).then((v) => callback(null, v), (err: unknown) => callback(grpcError(err)));
    };
    impl[name] = handler;
  }
  return impl;
}
