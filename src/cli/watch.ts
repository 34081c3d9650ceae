// Watch streams for `get -w`, `wait` and `delete --wait`: newline-delimited events read straight off the response.
import type { IncomingMessage } from 'node:http';
import { FloeError } from '../api/errors.js';
import { isStatus, type KubeHttp } from '../client/kube-http.js';

export interface RawWatchEvent {
  type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK';
  object: unknown;
}

export interface WatchRequest {
  path: string;
  resourceVersion?: string;
  labelSelector?: string | undefined;
  fieldSelector?: string | undefined;
  /** Ask the server to end the watch after this long (it then closes the response normally). */
  timeoutSeconds?: number;
  accept?: string;
  signal?: AbortSignal;
}

/** Opens a watch and yields its events until the server ends it; an ERROR event throws the Status it carries. */
export async function* watchEvents(http: KubeHttp, request: WatchRequest): AsyncGenerator<RawWatchEvent> {
  const res = await http.open({
    method: 'GET',
    path: request.path,
    query: {
      watch: 'true',
      resourceVersion: request.resourceVersion || undefined,
      labelSelector: request.labelSelector || undefined,
      fieldSelector: request.fieldSelector || undefined,
      timeoutSeconds: request.timeoutSeconds === undefined ? undefined : String(Math.max(1, Math.ceil(request.timeoutSeconds))),
    },
    ...(request.accept ? { accept: request.accept } : {}),
    ...(request.signal ? { signal: request.signal } : {}),
  });
  try {
    for await (const line of jsonLines(res)) {
      const event = line as { type?: string; object?: unknown };
      if (event.type === 'ERROR') {
        throw isStatus(event.object) ? FloeError.fromStatus(event.object) : new FloeError('InternalError', 'the watch stream carried an ERROR event without a Status');
      }
      if (event.type === 'ADDED' || event.type === 'MODIFIED' || event.type === 'DELETED' || event.type === 'BOOKMARK') {
        yield { type: event.type, object: event.object };
      }
    }
  } finally {
    res.destroy();
  }
}

/** Parses each line of a streamed response as JSON. */
export async function* jsonLines(res: IncomingMessage): AsyncGenerator<unknown> {
  res.setEncoding('utf8');
  let buffer = '';
  for await (const chunk of res as AsyncIterable<string>) {
    buffer += chunk;
    for (let end = buffer.indexOf('\n'); end >= 0; end = buffer.indexOf('\n')) {
      const line = buffer.slice(0, end);
      buffer = buffer.slice(end + 1);
      if (line.trim() !== '') yield parseLine(line);
    }
  }
  if (buffer.trim() !== '') yield parseLine(buffer);
}

function parseLine(line: string): unknown {
  try {
    return JSON.parse(line);
  } catch (err) {
    throw new FloeError('InternalError', 'the watch stream carried a line that is not JSON', { cause: err });
  }
}

/** Whether `err` is the abort of our own signal (a deadline or Ctrl-C), not a failure. */
export function isAbort(err: unknown, signal: AbortSignal | undefined): boolean {
  return signal?.aborted === true || (err instanceof Error && err.name === 'AbortError');
}
