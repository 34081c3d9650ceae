// The metadata store's error: a google.rpc code (MLMD's gRPC statuses) and the HTTP status its REST API answers with.

/**
 * Kept apart from FloeError on purpose: MLMD clients see `{code, message}` with a google.rpc code, not a Kubernetes
 * Status.
 */
export const RpcCode = {
  INVALID_ARGUMENT: 3,
  NOT_FOUND: 5,
  ALREADY_EXISTS: 6,
  FAILED_PRECONDITION: 9,
  UNIMPLEMENTED: 12,
  INTERNAL: 13,
} as const;
export type RpcCodeName = keyof typeof RpcCode;

const httpStatus: Record<RpcCodeName, number> = {
  INVALID_ARGUMENT: 400,
  NOT_FOUND: 404,
  ALREADY_EXISTS: 409,
  FAILED_PRECONDITION: 400,
  UNIMPLEMENTED: 405,
  INTERNAL: 500,
};

export class MetadataError extends Error {
  readonly codeName: RpcCodeName;
  /** The google.rpc code. */
  readonly code: number;
  readonly httpStatus: number;

  constructor(codeName: RpcCodeName, message: string, options: { cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'MetadataError';
    this.codeName = codeName;
    this.code = RpcCode[codeName];
    this.httpStatus = httpStatus[codeName];
  }

  /** `field` is the path of the offending input, e.g. `artifact_event_pairs[1].event.artifact_id`. */
  static invalid(field: string, what: string): MetadataError {
    return new MetadataError('INVALID_ARGUMENT', `${field}: ${what}`);
  }

  static notFound(field: string, what: string): MetadataError {
    return new MetadataError('NOT_FOUND', `${field}: ${what}`);
  }

  static alreadyExists(field: string, what: string): MetadataError {
    return new MetadataError('ALREADY_EXISTS', `${field}: ${what}`);
  }
}
