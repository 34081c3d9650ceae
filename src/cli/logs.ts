// `floe logs`: a Pod container's output from the pods/log subresource, streamed as it arrives (followed with -f).
import { ExitCode, UsageError } from './cli-error.js';
import type { Session } from './session.js';
import { replicaPod } from './training.js';

export interface LogsOptions {
  container?: string;
  /** With a training job (`pytorchjob/NAME`, `job/NAME`): which replica, such as `worker-1`. */
  replica?: string;
  follow?: boolean;
  previous?: boolean;
  tail?: number;
  timestamps?: boolean;
  /** Where the bytes go (stdout); awaited per chunk so a slow reader slows the stream, not memory. */
  write: (chunk: Buffer) => Promise<void>;
}

/** Whether `web-0` or `pod/web-0` names a pod directly (otherwise it names a training job). */
function namesPod(arg: string): boolean {
  const slash = arg.indexOf('/');
  if (slash < 0) return true;
  const type = arg.slice(0, slash).toLowerCase();
  return type === 'pod' || type === 'pods' || type === 'po';
}

export function parseTail(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < -1) throw new UsageError(`--tail must be a whole number of lines (-1 for all), not "${value}"`);
  return n;
}

export async function logs(session: Session, pod: string, options: LogsOptions): Promise<ExitCode> {
  if (options.replica !== undefined && namesPod(pod)) throw new UsageError('--replica goes with a training job, such as pytorchjob/NAME --replica worker-1');
  const name = namesPod(pod) ? pod.slice(pod.indexOf('/') + 1) : await replicaPod(session, pod, options.replica);
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
