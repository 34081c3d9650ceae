// `floe logs`: a Pod container's output from the pods/log subresource, streamed as it arrives (followed with -f).
import { ExitCode, UsageError } from './cli-error.js';
import type { Session } from './session.js';

export interface LogsOptions {
  container?: string;
  follow?: boolean;
  previous?: boolean;
  tail?: number;
  timestamps?: boolean;
  /** Where the bytes go (stdout); awaited per chunk so a slow reader slows the stream, not memory. */
  write: (chunk: Buffer) => Promise<void>;
}

/** Accepts `web-0` or `pod/web-0`. */
export function podName(arg: string): string {
  const slash = arg.indexOf('/');
  if (slash < 0) return arg;
  const type = arg.slice(0, slash).toLowerCase();
  if (type !== 'pod' && type !== 'pods' && type !== 'po') throw new UsageError(`logs are read from pods, not ${arg.slice(0, slash)}: name a pod, such as pod/web-0`);
  return arg.slice(slash + 1);
}

export function parseTail(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < -1) throw new UsageError(`--tail must be a whole number of lines (-1 for all), not "${value}"`);
  return n;
}

export async function logs(session: Session, pod: string, options: LogsOptions): Promise<ExitCode> {
  const name = podName(pod);
  if (name === '') throw new UsageError('name the pod whose logs to read');
  const res = await session.http.open({
    method: 'GET',
    path: `/api/v1/namespaces/${encodeURIComponent(session.namespace)}/pods/${encodeURIComponent(name)}/log`,
    query: {
      container: options.container || undefined,
      follow: options.follow ? 'true' : undefined,
      previous: options.previous ? 'true' : undefined,
      tailLines: options.tail !== undefined && options.tail >= 0 ? String(options.tail) : undefined,
      timestamps: options.timestamps ? 'true' : undefined,
    },
  });
  for await (const chunk of res as AsyncIterable<Buffer>) await options.write(chunk);
  return ExitCode.Ok;
}
