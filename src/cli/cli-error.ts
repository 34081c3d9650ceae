// The CLI's failures and their exit codes: 1 for what went wrong at run time, 2 for a command typed wrong.
import { FloeError } from '../api/errors.js';

export const ExitCode = {
  Ok: 0,
  Failed: 1,
  Usage: 2,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** Printed as `error: <message>`; the message says what to do next. */
export class CliError extends Error {
  readonly exitCode: ExitCode;

  constructor(message: string, options: { exitCode?: ExitCode; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'CliError';
    this.exitCode = options.exitCode ?? ExitCode.Failed;
  }
}

/** A command typed wrong (a flag value, a missing operand): exit code 2, like commander's own errors. */
export class UsageError extends CliError {
  constructor(message: string) {
    super(message, { exitCode: ExitCode.Usage });
    this.name = 'UsageError';
  }
}

export const unreachableHint = 'is `floe up` running? start it with `npm start` (or `floe up`), or point --kubeconfig at a running Floe';

/**
 * KubeHttp raises FloeError for both: the server's Status (no cause) and failures on this side such as a
 * refused connection or an unreadable kubeconfig (with the underlying error as cause).
 */
export function isServerError(err: unknown): err is FloeError {
  return err instanceof FloeError && err.cause === undefined;
}

/** Whether the server could not be reached at all (refused, reset, unknown host). */
export function isUnreachable(err: unknown): boolean {
  if (!(err instanceof FloeError) || err.reason !== 'ServiceUnavailable') return false;
  const cause = err.cause as { code?: unknown } | undefined;
  return typeof cause?.code === 'string';
}

/** One failure as the lines a user reads on stderr, kubectl's wording where kubectl has one. */
export function describeFailure(err: unknown): { text: string; exitCode: ExitCode } {
  if (err instanceof CliError) return { text: `error: ${err.message}`, exitCode: err.exitCode };
  if (isUnreachable(err)) return { text: `error: ${(err as FloeError).message}\n${unreachableHint}`, exitCode: ExitCode.Failed };
  if (isServerError(err)) return { text: `Error from server (${err.reason}): ${err.message}`, exitCode: ExitCode.Failed };
  return { text: `error: ${err instanceof Error ? err.message : String(err)}`, exitCode: ExitCode.Failed };
}

export function isNotFound(err: unknown): boolean {
  return isServerError(err) && err.reason === 'NotFound';
}
