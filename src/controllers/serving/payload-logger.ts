// KServe's payload logger (`spec.<component>.logger`), done at the ingress instead of the agent sidecar: each request
// and/or response body goes to the sink as a binary-mode CloudEvent (the ce-* headers and types KServe's agent
// sends), from a bounded queue, so a slow or dead sink never slows or fails an inference: what does not fit is dropped
// and counted.
import { randomUUID } from 'node:crypto';
import { request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { Readable } from 'node:stream';
import type { Logger } from '../../api/logger.js';

export const CloudEventTypes = { request: 'org.kubeflow.serving.inference.request', response: 'org.kubeflow.serving.inference.response' } as const;

/** `spec.predictor.logger` (and transformer, explainer) as KServe's LoggerSpec has it. */
export interface LoggerSpec {
  url?: string;
  mode?: 'all' | 'request' | 'response';
  metadataHeaders?: string[];
}

/** What the ingress logs for one route: the sink, the mode, and the attributes each event carries. */
export interface PayloadLog {
  url: string;
  mode: 'all' | 'request' | 'response';
  metadataHeaders: string[];
  inferenceService: string;
  namespace: string;
  component: string;
}

/** A LoggerSpec as the ingress uses it, or why it cannot be (an InferenceService field path in the message). */
export function payloadLog(spec: LoggerSpec | undefined, field: string, meta: { inferenceService: string; namespace: string; component: string }): PayloadLog | { invalid: string } | undefined {
  if (!spec || typeof spec !== 'object') return undefined;
  const mode = spec.mode ?? 'all';
  if (mode !== 'all' && mode !== 'request' && mode !== 'response') return { invalid: `${field}.mode must be all, request or response, not ${JSON.stringify(mode)}` };
  let url: URL;
  try {
    url = new URL(spec.url ?? '');
  } catch {
    return { invalid: `${field}.url must be an http:// or https:// URL, not ${JSON.stringify(spec.url ?? '')}` };
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return { invalid: `${field}.url must be an http:// or https:// URL, not ${JSON.stringify(spec.url)}` };
  return { url: url.toString(), mode, metadataHeaders: Array.isArray(spec.metadataHeaders) ? spec.metadataHeaders.map(String) : [], ...meta };
}

interface LogEvent {
  log: PayloadLog;
  type: string;
  id: string;
  endpoint: string;
  contentType: string;
  metadata: Record<string, string[]>;
  body: Buffer;
}

export interface PayloadSinkOptions {
  log?: Logger;
  /** Events waiting to be sent, at most; a new one past it is dropped (1000 unless given). */
  capacity?: number;
  /** Events in flight at once (KServe's agent runs 5 workers). */
  workers?: number;
  /** How long one POST may take before it counts as failed (10 s unless given). */
  timeoutMs?: number;
  /** `ce-source` (KServe's agent: `http://localhost:<agent port>/`). */
  source?: string;
}

/** The sender: a bounded queue and a few workers POSTing CloudEvents; counts what it sent, what failed and what it dropped. */
export class PayloadSink {
  readonly counts = { queued: 0, sent: 0, failed: 0, dropped: 0 };
  private readonly queue: LogEvent[] = [];
  private readonly capacity: number;
  private readonly workers: number;
  private readonly timeoutMs: number;
  private readonly source: string;
  private readonly log: Logger | undefined;
  private busy = 0;
  private closed = false;

  constructor(options: PayloadSinkOptions = {}) {
    this.capacity = options.capacity ?? 1000;
    this.workers = options.workers ?? 5;
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.source = options.source ?? 'http://localhost:9081/';
    this.log = options.log;
  }

  enqueue(event: LogEvent): void {
    if (this.closed) return;
    if (this.queue.length >= this.capacity) {
      this.counts.dropped += 1;
      // Every drop is counted; the log says so on the first and then every 100th, not once per request.
      if (this.counts.dropped % 100 === 1) this.log?.warn({ url: event.log.url, dropped: this.counts.dropped, capacity: this.capacity }, 'payload logger queue full: events dropped');
      return;
    }
    this.counts.queued += 1;
    this.queue.push(event);
    this.pump();
  }

  close(): void {
    this.closed = true;
    this.queue.length = 0;
  }

  private pump(): void {
    while (this.busy < this.workers && this.queue.length > 0) {
      const event = this.queue.shift()!;
      this.busy += 1;
      void this.send(event).finally(() => {
        this.busy -= 1;
        this.pump();
      });
    }
  }

  private send(event: LogEvent): Promise<void> {
    const { log } = event;
    const headers: Record<string, string | number> = {
      'ce-specversion': '1.0',
      'ce-id': event.id,
      'ce-source': this.source,
      'ce-type': event.type,
      'ce-time': new Date().toISOString(),
      'ce-inferenceservicename': log.inferenceService,
      'ce-namespace': log.namespace,
      'ce-component': log.component,
      'ce-endpoint': event.endpoint,
      'ce-metadata': JSON.stringify(event.metadata),
      'content-length': event.body.length,
    };
    if (event.contentType) headers['content-type'] = event.contentType;
    const send = log.url.startsWith('https:') ? httpsRequest : httpRequest;
    return new Promise<void>((resolve) => {
      const done = (err?: Error, status?: number): void => {
        if (err || (status !== undefined && (status < 200 || status > 299))) {
          this.counts.failed += 1;
          this.log?.warn({ url: log.url, id: event.id, type: event.type, status, err: err?.message }, 'payload logger could not deliver an event');
        } else this.counts.sent += 1;
        resolve();
      };
      const req = send(log.url, { method: 'POST', headers, timeout: this.timeoutMs }, (res) => {
        res.resume();
        res.once('end', () => done(undefined, res.statusCode));
        res.once('error', (err) => done(err));
      });
      req.once('timeout', () => req.destroy(new Error(`no answer in ${this.timeoutMs} ms`)));
      req.once('error', (err) => done(err));
      req.end(event.body);
    });
  }
}

/**
 * Logs one request through the ingress as KServe's agent does: reads the body, queues the request event (mode all or
 * request), hands on a request that replays the same bytes, and on a 200 answer queues the response event with the
 * bytes written (mode all or response). Both carry the caller's `ce-id`, else a new UUID; the response event keeps
 * the request's content type, as KServe's does.
 */
export async function tapPayloads(sink: PayloadSink, log: PayloadLog, endpoint: string, req: IncomingMessage, res: ServerResponse): Promise<IncomingMessage> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const body = Buffer.concat(chunks);
  const header = req.headers['ce-id'];
  const id = (Array.isArray(header) ? header[0] : header) || randomUUID();
  const contentType = req.headers['content-type'] ?? '';
  const metadata: Record<string, string[]> = {};
  for (const name of log.metadataHeaders) {
    const value = req.headers[name.toLowerCase()];
    if (value !== undefined) metadata[name] = Array.isArray(value) ? value : [value];
  }
  const base = { log, id, endpoint, contentType, metadata };
  if (log.mode !== 'response') sink.enqueue({ ...base, type: CloudEventTypes.request, body });
  if (log.mode !== 'request') {
    const written: Buffer[] = [];
    const keep = (chunk: unknown, encoding: unknown): void => {
      if (chunk === undefined || chunk === null || typeof chunk === 'function') return;
      written.push(typeof chunk === 'string' ? Buffer.from(chunk, typeof encoding === 'string' ? (encoding as BufferEncoding) : 'utf8') : Buffer.from(chunk as Uint8Array));
    };
    const write = res.write.bind(res) as (...args: unknown[]) => boolean;
    const end = res.end.bind(res) as (...args: unknown[]) => ServerResponse;
    res.write = ((...args: unknown[]) => {
      keep(args[0], args[1]);
      return write(...args);
    }) as ServerResponse['write'];
    res.end = ((...args: unknown[]) => {
      keep(args[0], args[1]);
      return end(...args);
    }) as ServerResponse['end'];
    res.once('finish', () => {
      if (res.statusCode === 200) sink.enqueue({ ...base, type: CloudEventTypes.response, body: Buffer.concat(written) });
    });
  }
  // The same request for the next hop, its body replayed from memory.
  const replay = Readable.from(body.length > 0 ? [body] : []) as unknown as IncomingMessage;
  for (const k of ['headers', 'rawHeaders', 'method', 'url', 'httpVersion', 'socket'] as const) Object.defineProperty(replay, k, { value: req[k], enumerable: true });
  return replay;
}
