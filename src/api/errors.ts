// The one error family: FloeError with a stable reason, its HTTP code and a Kubernetes Status on the wire.

export const StatusReason = {
  NotFound: 'NotFound',
  AlreadyExists: 'AlreadyExists',
  Conflict: 'Conflict',
  Invalid: 'Invalid',
  BadRequest: 'BadRequest',
  Unauthorized: 'Unauthorized',
  Forbidden: 'Forbidden',
  Expired: 'Expired',
  RequestEntityTooLarge: 'RequestEntityTooLarge',
  MethodNotAllowed: 'MethodNotAllowed',
  NotAcceptable: 'NotAcceptable',
  UnsupportedMediaType: 'UnsupportedMediaType',
  InternalError: 'InternalError',
  Timeout: 'Timeout',
  TooManyRequests: 'TooManyRequests',
  ServiceUnavailable: 'ServiceUnavailable',
} as const;
export type StatusReason = (typeof StatusReason)[keyof typeof StatusReason];

const httpCodes: Record<StatusReason, number> = {
  NotFound: 404,
  AlreadyExists: 409,
  Conflict: 409,
  Invalid: 422,
  BadRequest: 400,
  Unauthorized: 401,
  Forbidden: 403,
  Expired: 410,
  RequestEntityTooLarge: 413,
  MethodNotAllowed: 405,
  NotAcceptable: 406,
  UnsupportedMediaType: 415,
  InternalError: 500,
  Timeout: 504,
  TooManyRequests: 429,
  ServiceUnavailable: 503,
};

/** One bad field, as Kubernetes reports it in `Status.details.causes`. */
export interface FieldError {
  /** `FieldValueRequired`, `FieldValueInvalid`, `FieldValueNotSupported`, `FieldValueDuplicate`, `FieldValueTypeInvalid`, `FieldValueForbidden`, `FieldValueTooLong`, `FieldValueTooMany`. */
  type: string;
  /** The path, dotted with brackets for indexes: `spec.containers[0].name`. */
  field: string;
  message: string;
}

export interface StatusDetails {
  name?: string;
  group?: string;
  kind?: string;
  uid?: string;
  causes?: { reason: string; message: string; field?: string }[];
  retryAfterSeconds?: number;
}

export interface Status {
  kind: 'Status';
  apiVersion: 'v1';
  metadata: Record<string, never>;
  status: 'Success' | 'Failure';
  message?: string;
  reason?: string;
  details?: StatusDetails;
  code: number;
}

export interface FloeErrorOptions {
  details?: StatusDetails;
  cause?: unknown;
}

export class FloeError extends Error {
  readonly reason: StatusReason;
  readonly code: number;
  readonly details: StatusDetails | undefined;

  constructor(reason: StatusReason, message: string, options: FloeErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'FloeError';
    this.reason = reason;
    this.code = httpCodes[reason];
    this.details = options.details;
  }

  /** Whether retrying the same request later may succeed. */
  get retryable(): boolean {
    return ['Conflict', 'InternalError', 'Timeout', 'TooManyRequests', 'ServiceUnavailable'].includes(this.reason);
  }

  toStatus(): Status {
    const status: Status = { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: this.message, reason: this.reason, code: this.code };
    if (this.details) status.details = this.details;
    return status;
  }

  static fromStatus(status: Partial<Status>, fallbackCode = 500): FloeError {
    const code = status.code ?? fallbackCode;
    const reason = (Object.values(StatusReason) as string[]).includes(status.reason ?? '')
      ? (status.reason as StatusReason)
      : reasonForCode(code);
    const opts: FloeErrorOptions = {};
    if (status.details) opts.details = status.details;
    return new FloeError(reason, status.message ?? `request failed with HTTP ${code}`, opts);
  }
}

export function reasonForCode(code: number): StatusReason {
  const found = (Object.entries(httpCodes) as [StatusReason, number][]).find(([, c]) => c === code);
  return found ? found[0] : code >= 500 ? 'InternalError' : 'BadRequest';
}

function qualified(group: string, resource: string): string {
  return group === '' ? resource : `${resource}.${group}`;
}

export const errors = {
  notFound(group: string, resource: string, name: string): FloeError {
    return new FloeError('NotFound', `${qualified(group, resource)} "${name}" not found`, { details: { name, group, kind: resource } });
  },
  alreadyExists(group: string, resource: string, name: string): FloeError {
    return new FloeError('AlreadyExists', `${qualified(group, resource)} "${name}" already exists`, { details: { name, group, kind: resource } });
  },
  conflict(group: string, resource: string, name: string, why: string): FloeError {
    return new FloeError('Conflict', `Operation cannot be fulfilled on ${qualified(group, resource)} "${name}": ${why}`, { details: { name, group, kind: resource } });
  },
  invalid(group: string, kind: string, name: string, causes: FieldError[]): FloeError {
    const list = causes.map((c) => `${c.field}: ${c.message}`).join(', ');
    return new FloeError('Invalid', `${kind}${group ? `.${group}` : ''} "${name}" is invalid: ${list}`, {
      details: { name, group, kind, causes: causes.map((c) => ({ reason: c.type, message: c.message, field: c.field })) },
    });
  },
  badRequest(message: string): FloeError {
    return new FloeError('BadRequest', message);
  },
  gone(message: string): FloeError {
    return new FloeError('Expired', message);
  },
  forbidden(message: string): FloeError {
    return new FloeError('Forbidden', message);
  },
  tooLarge(limit: number): FloeError {
    return new FloeError('RequestEntityTooLarge', `the request body exceeds the limit of ${limit} bytes`);
  },
  internal(message: string, cause?: unknown): FloeError {
    return new FloeError('InternalError', message, cause === undefined ? {} : { cause });
  },
};

/** Field error constructors with Kubernetes' cause types and message wording. */
export const fieldErrors = {
  required(field: string, detail = ''): FieldError {
    return { type: 'FieldValueRequired', field, message: detail ? `Required value: ${detail}` : 'Required value' };
  },
  invalid(field: string, value: unknown, detail: string): FieldError {
    return { type: 'FieldValueInvalid', field, message: `Invalid value: ${JSON.stringify(value)}: ${detail}` };
  },
  notSupported(field: string, value: unknown, allowed: readonly unknown[]): FieldError {
    return { type: 'FieldValueNotSupported', field, message: `Unsupported value: ${JSON.stringify(value)}: supported values: ${allowed.map((a) => JSON.stringify(a)).join(', ')}` };
  },
  typeInvalid(field: string, value: unknown, detail: string): FieldError {
    return { type: 'FieldValueTypeInvalid', field, message: `Invalid value: ${JSON.stringify(value)}: ${detail}` };
  },
  forbidden(field: string, detail: string): FieldError {
    return { type: 'FieldValueForbidden', field, message: `Forbidden: ${detail}` };
  },
  duplicate(field: string, value: unknown): FieldError {
    return { type: 'FieldValueDuplicate', field, message: `Duplicate value: ${JSON.stringify(value)}` };
  },
  tooLong(field: string, max: number): FieldError {
    return { type: 'FieldValueTooLong', field, message: `Too long: may not be more than ${max} bytes` };
  },
};
