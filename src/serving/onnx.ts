// An ONNX model served in-process by onnxruntime-node (CPU): V2 metadata and infer, and V1 predict.
import * as ort from 'onnxruntime-node';
import type { ModelMetadata, ServedModel } from './model.js';
import {
  ProtocolError, decodeTensor, flattenData, float16, nest, tensorElements,
  type Datatype, type InferRequest, type InferResponse, type MetadataTensor, type Tensor,
} from './v2.js';

/** onnxruntime element types and their V2 datatypes. bfloat16 has no onnxruntime-node tensor type, so no BF16. */
const v2Of: Partial<Record<ort.Tensor.Type, Datatype>> = {
  bool: 'BOOL', uint8: 'UINT8', uint16: 'UINT16', uint32: 'UINT32', uint64: 'UINT64',
  int8: 'INT8', int16: 'INT16', int32: 'INT32', int64: 'INT64',
  float16: 'FP16', float32: 'FP32', float64: 'FP64', string: 'BYTES',
};
const ortOf = Object.fromEntries(Object.entries(v2Of).map(([o, v]) => [v, o])) as Partial<Record<Datatype, ort.Tensor.Type>>;

/** A model input or output as V2 metadata sees it, plus the raw dimensions for checking requests. */
interface Port extends MetadataTensor {
  /** Fixed dimensions as numbers, variable ones as null; undefined when the model does not declare a shape. */
  dims: (number | null)[] | undefined;
}

export interface OnnxModelOptions {
  version?: string;
  sessionOptions?: ort.InferenceSession.SessionOptions;
}

function portOf(meta: ort.InferenceSession.ValueMetadata, model: string, kind: 'input' | 'output'): Port {
  if (!meta.isTensor) throw new Error(`ONNX model ${model}: ${kind} "${meta.name}" is not a tensor; only tensors can be served`);
  const datatype = v2Of[meta.type];
  if (!datatype) throw new Error(`ONNX model ${model}: ${kind} "${meta.name}" has element type ${meta.type}, which the V2 protocol cannot carry`);
  // onnxruntime reports symbolic dimensions ("batch") as strings and unknown ones as negative numbers.
  const dims = meta.shape.map((d) => (typeof d === 'number' && d >= 0 ? d : null));
  return { name: meta.name, datatype, shape: dims.map((d) => d ?? -1), dims: meta.shape.length === 0 ? undefined : dims };
}

function toOrt(t: Tensor): ort.Tensor {
  const type = ortOf[t.datatype];
  if (!type) throw ProtocolError.invalidInput(`input "${t.name}": datatype ${t.datatype} cannot be fed to onnxruntime`);
  return new ort.Tensor(type, t.data, t.shape);
}

function fromOrt(name: string, value: ort.OnnxValue, model: string): Tensor {
  const datatype = v2Of[value.type];
  if (!datatype) throw ProtocolError.inference(`model ${model}: output "${name}" has element type ${value.type}, which the V2 protocol cannot carry`);
  let data = value.data;
  // Where a runtime hands float16 back as Float16Array, turn it into the bit patterns V2 tensors hold.
  if (datatype === 'FP16' && !(data instanceof Uint16Array)) data = Uint16Array.from(data as ArrayLike<number>, float16.fromNumber);
  return { name, datatype, shape: [...value.dims], data } as Tensor;
}

/** The shape of a nested list, read along its first elements (flattenData later checks the rest agrees). */
function shapeOfNested(v: unknown): number[] {
  const shape: number[] = [];
  let cur = v;
  while (Array.isArray(cur)) {
    shape.push(cur.length);
    cur = cur[0];
  }
  return shape;
}

export class OnnxModel implements ServedModel {
  readonly name: string;
  readonly version?: string;
  readonly platform = 'onnxruntime_onnx';
  #session: ort.InferenceSession | undefined;
  readonly #inputs: Port[];
  readonly #outputs: Port[];

  private constructor(options: { name: string; version: string | undefined; session: ort.InferenceSession }) {
    this.name = options.name;
    if (options.version !== undefined) this.version = options.version;
    this.#session = options.session;
    this.#inputs = options.session.inputMetadata.map((m) => portOf(m, options.name, 'input'));
    this.#outputs = options.session.outputMetadata.map((m) => portOf(m, options.name, 'output'));
  }

  /** Loads the `.onnx` file at `path`. Throws (a plain Error) when onnxruntime cannot load it or it has non-tensor ports. */
  static async load(name: string, path: string, options: OnnxModelOptions = {}): Promise<OnnxModel> {
    const session = await ort.InferenceSession.create(path, options.sessionOptions ?? {});
    try {
      return new OnnxModel({ name, version: options.version, session });
    } catch (err) {
      await session.release();
      throw err;
    }
  }

  ready(): boolean {
    return this.#session !== undefined;
  }

  metadata(): ModelMetadata {
    const strip = ({ name, datatype, shape }: Port): MetadataTensor => ({ name, datatype, shape });
    const meta: ModelMetadata = { name: this.name, platform: this.platform, inputs: this.#inputs.map(strip), outputs: this.#outputs.map(strip) };
    if (this.version !== undefined) meta.versions = [this.version];
    return meta;
  }

  async infer(req: InferRequest): Promise<InferResponse> {
    const session = this.#live();
    const feeds: Record<string, ort.Tensor> = {};
    for (const t of req.inputs) {
      const port = this.#inputs.find((p) => p.name === t.name);
      if (!port) throw ProtocolError.invalidInput(`model ${this.name} has no input "${t.name}" (inputs: ${this.#names(this.#inputs)})`);
      this.#check(port, t);
      feeds[t.name] = toOrt(t);
    }
    const missing = this.#inputs.filter((p) => !(p.name in feeds));
    if (missing.length > 0) throw ProtocolError.invalidInput(`model ${this.name} needs input ${missing.map((p) => `"${p.name}"`).join(', ')}`);

    let fetch = this.#outputs.map((p) => p.name);
    if (req.outputs) {
      fetch = req.outputs.map((o) => o.name);
      const unknown = fetch.find((n) => !this.#outputs.some((p) => p.name === n));
      if (unknown !== undefined) throw ProtocolError.invalidInput(`model ${this.name} has no output "${unknown}" (outputs: ${this.#names(this.#outputs)})`);
    }
    const results = await this.#run(session, feeds, fetch);
    const res: InferResponse = {
      model_name: this.name,
      outputs: fetch.map((n) => fromOrt(n, results[n] as ort.OnnxValue, this.name)),
    };
    if (this.version !== undefined) res.model_version = this.version;
    if (req.id !== undefined) res.id = req.id;
    return res;
  }

  /**
   * V1: `instances` are rows of the model's one input; they are stacked into a tensor of shape [n, ...row shape]
   * and the first output comes back split into rows, as nested lists.
   */
  async predict(instances: unknown[]): Promise<unknown[]> {
    const session = this.#live();
    const [port, ...others] = this.#inputs;
    if (!port || others.length > 0) {
      throw ProtocolError.invalidInput(`model ${this.name} has ${this.#inputs.length} inputs; the V1 protocol feeds "instances" to a model with exactly one`);
    }
    if (instances.length === 0) throw ProtocolError.invalidInput('"instances" must not be empty');
    const rowShape = shapeOfNested(instances[0]);
    instances.forEach((row, i) => {
      const s = shapeOfNested(row);
      if (s.length !== rowShape.length || s.some((d, j) => d !== rowShape[j])) {
        throw ProtocolError.invalidInput(`instances[${i}] has shape ${JSON.stringify(s)}, instances[0] has ${JSON.stringify(rowShape)}`);
      }
    });
    const shape = [instances.length, ...rowShape];
    // flattenData first so a ragged row is reported as such rather than as a count mismatch.
    flattenData(instances, 'instances');
    const input = decodeTensor(port.name, port.datatype, shape, instances, 'instances');
    this.#check(port, input);
    const first = this.#outputs[0];
    if (!first) throw ProtocolError.inference(`model ${this.name} has no outputs`);
    const results = await this.#run(session, { [port.name]: toOrt(input) }, [first.name]);
    const out = fromOrt(first.name, results[first.name] as ort.OnnxValue, this.name);
    const nested = nest(tensorElements(out), out.shape);
    return Array.isArray(nested) ? (nested as unknown[]) : [nested];
  }

  async unload(): Promise<void> {
    const session = this.#session;
    this.#session = undefined;
    await session?.release();
  }

  #live(): ort.InferenceSession {
    if (!this.#session) throw ProtocolError.modelNotReady(this.name);
    return this.#session;
  }

  #names(ports: Port[]): string {
    return ports.map((p) => p.name).join(', ');
  }

  /** A request tensor must match the model's declared datatype, rank and fixed dimensions. */
  #check(port: Port, t: Tensor): void {
    if (t.datatype !== port.datatype) {
      throw ProtocolError.invalidInput(`input "${t.name}" has datatype ${t.datatype}; model ${this.name} expects ${port.datatype}`);
    }
    const dims = port.dims;
    if (dims === undefined) return;
    const fits = t.shape.length === dims.length && dims.every((d, i) => d === null || d === t.shape[i]);
    if (!fits) {
      throw ProtocolError.invalidInput(`input "${t.name}" has shape ${JSON.stringify(t.shape)}; model ${this.name} expects ${JSON.stringify(port.shape)} (-1 = any)`);
    }
  }

  async #run(session: ort.InferenceSession, feeds: Record<string, ort.Tensor>, fetch: string[]): Promise<ort.InferenceSession.ReturnType> {
    try {
      return await session.run(feeds, fetch);
    } catch (err) {
      throw ProtocolError.inference(`model ${this.name}: ${err instanceof Error ? err.message : String(err)}`, err);
    }
  }
}
