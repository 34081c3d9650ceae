// The serving ingress for gRPC (inference.GRPCInferenceService): HTTP/2 connections that Floe's listener hands over
// (ALPN h2 over TLS, h2c in plain text) are served by one grpc-js server. A call reaches the InferenceService its
// :authority names, as KServe's gateway routes gRPC by host (`<name>.<namespace>.<domain>`, or the component's
// `<name>-predictor.<namespace>…`), after Floe's authentication and the same authorization as the HTTP ingress
// (create inferenceservices/proxy). In-process models answer here; Pod runtimes get the call on their gRPC port.
import { Metadata, Server, ServerCredentials, credentials, makeGenericClientConstructor, status, type Client as GrpcClient, type ConnectionInjector, type ServiceError, type handleUnaryCall, type UntypedServiceImplementation } from '@grpc/grpc-js';
import type { Duplex } from 'node:stream';
import { FloeError } from '../../api/errors.js';
import type { KubeObject } from '../../api/meta.js';
import type { Client } from '../../client/client.js';
import type { Http2Access } from '../../controller/index.js';
import { ProtocolError } from '../../serving/v2.js';
import { grpcError, inferenceService, modelMethods, type GrpcMethod } from '../../serving/grpc-inference.js';
import type { ServingIngress, Target } from './dataplane.js';
import { Group } from './types.js';

export interface GrpcIngressOptions {
  ingress: ServingIngress;
  /** Floe's checks for each call; without it (a test's bare ingress) every call is let through. */
  access?: Http2Access;
  /** Reads a replica Pod to find its gRPC port. */
  client: Client;
}

/** The InferenceService an :authority names: its first label is the name (or `<name>-predictor`), its second the namespace. */
export function authorityTarget(authority: string): { namespace: string; name: string } | undefined {
  const host = authority.replace(/:\d+$/, '').replace(/^\[|\]$/g, '');
  if (/^[\d.]+$/.test(host) || host.includes(':')) return undefined;
  const [name, namespace] = host.split('.');
  return name && namespace ? { namespace, name } : undefined;
}

/** The gRPC port of a Pod runtime's container, from what Floe gave it: `--grpc_port` (kserve SDK) or MLSERVER_GRPC_PORT. */
export function grpcPortOf(container: { args?: string[]; env?: { name: string; value?: string }[]; ports?: { name?: string; containerPort?: number }[] }): number | undefined {
  const args = container.args ?? [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a.startsWith('--grpc_port=')) return Number(a.slice('--grpc_port='.length));
    if (a === '--grpc_port' && args[i + 1]) return Number(args[i + 1]);
  }
  const env = container.env?.find((e) => e.name === 'MLSERVER_GRPC_PORT')?.value;
  if (env) return Number(env);
  const named = container.ports?.find((p) => p.name === 'grpc' || p.name === 'h2c')?.containerPort;
  return named;
}

type Upstream = GrpcClient & Record<string, (req: unknown, md: Metadata, cb: (err: ServiceError | null, res?: unknown) => void) => void>;

export class GrpcIngress {
  private readonly server = new Server();
  private readonly injector: ConnectionInjector;
  private readonly ingress: ServingIngress;
  private readonly access: Http2Access | undefined;
  private readonly client: Client;
  /** One channel per replica (by its HTTP URL, which names the replica Pod's incarnation). */
  private readonly upstreams = new Map<string, Upstream>();
  private readonly localMethods = new WeakMap<object, Record<string, GrpcMethod>>();

  constructor(options: GrpcIngressOptions) {
    this.ingress = options.ingress;
    this.access = options.access;
    this.client = options.client;
    const service = inferenceService();
    const impl: UntypedServiceImplementation = {};
    for (const method of Object.keys(service)) {
      const handler: handleUnaryCall<unknown, unknown> = (call, callback) => {
        this.call(method, call.getHost(), call.metadata, call.request, peerAddress(call.getPeer())).then(
          (answer) => callback(null, answer),
          (err: unknown) => callback(toServiceError(err)),
        );
      };
      impl[method] = handler;
    }
    this.server.addService(service, impl);
    // The connections arrive decrypted (or in plain text): TLS, where there is any, is Floe's listener's.
    this.injector = this.server.createConnectionInjector(ServerCredentials.createInsecure());
  }

  /** Serves gRPC on a connection Floe's listener took as HTTP/2. */
  accept(socket: Duplex): void {
    this.injector.injectConnection(socket);
  }

  close(): void {
    this.injector.destroy();
    this.server.forceShutdown();
    for (const upstream of this.upstreams.values()) upstream.close();
    this.upstreams.clear();
  }

  private async call(method: string, authority: string, metadata: Metadata, request: unknown, peer: string | undefined): Promise<unknown> {
    const target = authorityTarget(authority);
    const headers = headersOf(metadata);
    if (this.access) {
      await this.access.admit(headers, { verb: 'create', group: Group, resource: 'inferenceservices', subresource: 'proxy', ...(target ? { namespace: target.namespace, name: target.name } : {}) }, peer);
    }
    if (!target) throw new FloeError('NotFound', `gRPC calls name their InferenceService by :authority, "<name>.<namespace>[.<domain>]"; "${authority}" names none`);
    // As an HTTP request: activity for scale to zero, a wake-up from zero (the call waits), metered for the autoscaler.
    const name = this.ingress.get(target.namespace, target.name) ? target.name : target.name.replace(/-predictor$/, '');
    const admitted = await this.ingress.admit(target.namespace, name);
    if (!admitted) throw new FloeError('NotFound', `no InferenceService ${target.name} is ready in namespace ${target.namespace}`);
    if ('timedOut' in admitted) throw new FloeError('ServiceUnavailable', `InferenceService ${name} did not scale up from zero in time`);
    let code: status = status.OK;
    try {
      return await this.forward(admitted.target, method, metadata, request, target);
    } catch (err) {
      code = toServiceError(err).code;
      throw err;
    } finally {
      admitted.done(httpStatusOf(code));
    }
  }

  private async forward(chosen: Target, method: string, metadata: Metadata, request: unknown, target: { namespace: string; name: string }): Promise<unknown> {
    if (chosen.kind === 'local') {
      const models = chosen.endpoint.grpc;
      if (!models) throw ProtocolError.notImplemented(`InferenceService ${target.name}'s runtime does not serve gRPC`);
      let methods = this.localMethods.get(models);
      if (!methods) this.localMethods.set(models, (methods = modelMethods(models, models.serverInfo ?? { name: 'floe', version: '0.1.0' })));
      const fn = methods[method];
      if (!fn) throw ProtocolError.notImplemented(`${method} is not served`);
      return fn(request);
    }
    const { replica, release } = this.ingress.acquire(chosen.replicas);
    try {
      const upstream = await this.upstream(target.namespace, replica);
      const forwarded = new Metadata();
      for (const [k, v] of Object.entries(metadata.getMap())) if (k !== 'authorization') forwarded.set(k, v);
      return await new Promise((resolve, reject) => {
        upstream[method]!(request, forwarded, (err, answer) => (err ? reject(err) : resolve(answer)));
      });
    } finally {
      release();
    }
  }

  private async upstream(namespace: string, replica: { pod: string; url: string }): Promise<Upstream> {
    const known = this.upstreams.get(replica.url);
    if (known) return known;
    const pod = await this.client.get<KubeObject & { spec?: { containers?: Parameters<typeof grpcPortOf>[0][] } }>({ apiVersion: 'v1', kind: 'Pod' }, replica.pod, namespace);
    const port = grpcPortOf(pod.spec?.containers?.[0] ?? {});
    if (!port) throw ProtocolError.notImplemented(`the predictor Pod ${replica.pod} declares no gRPC port (--grpc_port, MLSERVER_GRPC_PORT or a port named grpc)`);
    const host = new URL(replica.url).hostname;
    const Ctor = makeGenericClientConstructor(inferenceService(), 'GRPCInferenceService');
    const upstream = new Ctor(`${host}:${port}`, credentials.createInsecure()) as unknown as Upstream;
    this.upstreams.set(replica.url, upstream);
    return upstream;
  }
}

/** The address of a grpc-js peer (`1.2.3.4:5`, `[::1]:5`), without its port. */
export function peerAddress(peer: string): string | undefined {
  const bracketed = /^\[([^\]]+)\]:\d+$/.exec(peer);
  if (bracketed) return bracketed[1];
  const plain = /^([^:]+):\d+$/.exec(peer);
  return plain?.[1] ?? (peer.includes(':') ? peer : undefined);
}

/** The call's metadata as HTTP headers (what Floe's authenticators read). */
function headersOf(metadata: Metadata): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(metadata.getMap())) if (typeof v === 'string') out[k] = v;
  return out;
}

const floeCodes: Partial<Record<string, status>> = {
  Unauthorized: status.UNAUTHENTICATED,
  Forbidden: status.PERMISSION_DENIED,
  NotFound: status.NOT_FOUND,
  ServiceUnavailable: status.UNAVAILABLE,
  NotImplemented: status.UNIMPLEMENTED,
};

/** A gRPC status as the HTTP status the A/B analysis counts (errors >= 500 are the server's). */
function httpStatusOf(code: status): number {
  const known: Partial<Record<status, number>> = {
    [status.OK]: 200,
    [status.INVALID_ARGUMENT]: 400,
    [status.NOT_FOUND]: 400,
    [status.FAILED_PRECONDITION]: 400,
    [status.OUT_OF_RANGE]: 400,
    [status.UNAUTHENTICATED]: 401,
    [status.PERMISSION_DENIED]: 403,
    [status.UNIMPLEMENTED]: 501,
    [status.UNAVAILABLE]: 503,
  };
  return known[code] ?? 500;
}

function toServiceError(err: unknown): { code: status; details: string } {
  if (err instanceof FloeError) return { code: floeCodes[err.reason] ?? status.INTERNAL, details: err.message };
  const upstream = err as Partial<ServiceError>;
  if (typeof upstream.code === 'number' && typeof upstream.details === 'string') return { code: upstream.code, details: upstream.details };
  return grpcError(err);
}
