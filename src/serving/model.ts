// What ModelServer needs from a served model: readiness, V2 metadata, V2 infer and, optionally, V1 predict.
import type { InferRequest, InferResponse, MetadataTensor } from './v2.js';

/** The V2 model metadata body (`GET /v2/models/{name}`). */
export interface ModelMetadata {
  name: string;
  versions?: string[];
  /** e.g. `onnxruntime_onnx`, the platform names Triton uses. */
  platform: string;
  inputs: MetadataTensor[];
  outputs: MetadataTensor[];
}

export interface ServedModel {
  readonly name: string;
  readonly version?: string;
  readonly platform: string;
  ready(): boolean;
  metadata(): ModelMetadata;
  /**
   * V2 inference. Implementations throw ProtocolError: InvalidInput (400) when the request does not fit the
   * model, InferenceError (500) when the runtime fails. The response echoes `req.id` when one was given.
   */
  infer(req: InferRequest): Promise<InferResponse>;
  /** V1 `:predict`: `instances` in, `predictions` out. Without it the server answers 501. */
  predict?(instances: unknown[]): Promise<unknown[]>;
  /** Releases what the model holds; the server calls it when the model is removed or replaced. */
  unload?(): Promise<void>;
}
