// The Capability contract: what one Floe capability (training, Katib, serving, pipelines, …) serves, admits, runs and routes.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Logger } from '../api/logger.js';
import type { KubeObject } from '../api/meta.js';
import type { ResourceType } from '../api/resource-type.js';
import type { Client } from '../client/client.js';
import type { Manager } from './manager.js';

/** Embedded: `floe up` (store, API server and local runtime in one process). Cluster: `floe controllers` against a real API. */
export type CapabilityMode = 'embedded' | 'cluster';

/**
 * One admission step (a webhook upstream). Plug-ins run after schema defaulting and before the write, in the order the
 * capabilities list them; within a capability, mutating before validating, as kube-apiserver orders webhooks.
 * `admit` may change `object` (defaulting) and throws a FloeError (422 with every field) to refuse it.
 */
export interface AdmissionPlugin {
  handles(type: ResourceType): boolean;
  admit(object: KubeObject, old: KubeObject | undefined): void;
}

/** What a request to a route asks to do, in the terms Kubernetes' authorizers decide on (RBAC's resource attributes). */
export interface ResourceAttributes {
  /** Kubernetes verbs (`get`, `list`, `create`, …) or an API's own (KFP authorizes `archive`, `terminate`, `retry`). */
  verb: string;
  group: string;
  resource: string;
  subresource?: string;
  namespace?: string;
  name?: string;
  /**
   * Set instead of a resource for a non-resource URL (`/metrics`): RBAC matches it against a rule's nonResourceURLs;
   * give `group` and `resource` as ''.
   */
  path?: string;
}

/** kube-apiserver's 403 text for a request the authorizer refused (the front door's, and a route's own review's). */
export function forbiddenMessage(attributes: ResourceAttributes & { user: Pick<Caller, 'name'> }, reason?: string): string {
  const user = attributes.user.name;
  const why = reason ? `: ${reason}` : '';
  if (attributes.path !== undefined) return `forbidden: User "${user}" cannot ${attributes.verb} path "${attributes.path}"${why}`;
  const resource = `${attributes.resource}${attributes.subresource ? `/${attributes.subresource}` : ''}`;
  const qualified = `${attributes.resource}${attributes.group ? `.${attributes.group}` : ''}`;
  const scope = attributes.namespace ? ` in the namespace "${attributes.namespace}"` : ' at the cluster scope';
  return `${qualified}${attributes.name ? ` "${attributes.name}"` : ''} is forbidden: User "${user}" cannot ${attributes.verb} resource "${resource}" in API group "${attributes.group}"${scope}${why}`;
}

/**
 * How a route is authorized. Every route declares one; there is no "public": authentication always runs first.
 * - `resource`: the server asks the authorizer with these attributes before the handler runs.
 * - `in-handler`: the handler authorizes each object itself through the API handler chain (the Kubernetes API does,
 *   per verb, resource and namespace); `why` says so where a reviewer reads the table.
 */
export type RouteAccess =
  | { kind: 'resource'; attributes(req: IncomingMessage, url: URL): ResourceAttributes }
  | { kind: 'in-handler'; why: string }
  /**
   * `non-resource`: authorized as kube authorizes `/metrics` or `/healthz`: the lower-cased HTTP method (HEAD as `get`)
   * on the request path, matched by RBAC nonResourceURLs rules.
   */
  | { kind: 'non-resource' };

/** Who is calling, as the authenticator found them. */
export interface Caller {
  name: string;
  groups: string[];
  /** Kubernetes' user.Info UID and extra (ServiceAccount tokens and impersonation carry them). */
  uid?: string;
  extra?: Record<string, string[]>;
}

/** An HTTP route a capability serves under Floe's one listener. */
export interface Route {
  /** Path prefix it owns, e.g. `/apis/v2beta1/`; the longest matching prefix wins. */
  prefix: string;
  access: RouteAccess;
  /**
   * Media types (without parameters) a body of a state-changing request (POST, PUT, PATCH, DELETE with a body) may
   * have. Anything else is refused with 415 before the handler runs: a browser can send text/plain, form and
   * multipart bodies cross-site without a preflight, so only what the API defines gets through.
   */
  bodyTypes: readonly string[];
  /** Serves the request; false means "not mine after all" and becomes a 404. */
  handle(req: IncomingMessage, res: ServerResponse, url: URL, caller: Caller): boolean | Promise<boolean>;
  /**
   * Serves an HTTP Upgrade (WebSocket, SPDY: `kubectl exec`, `port-forward`, notebook kernels) after the same checks as
   * `handle`; the route owns `socket` from then on. False (or no `upgrade`) ends the socket with a 404.
   */
  upgrade?(req: IncomingMessage, socket: Duplex, head: Buffer, url: URL, caller: Caller): boolean | Promise<boolean>;
}

export type NodeNeed = 'podLogs' | 'volumeDirs';

/** What a capability may ask of the node runtime (the local kubelet embedded; the cluster's API on a cluster). */
export interface NodeRuntime {
  /** A container's whole log. */
  podLog(namespace: string, pod: string, container: string): Promise<string>;
  /** A container's log as it is read, chunk by chunk (the dashboard's search keeps only a bounded tail of it). */
  podLogStream?(namespace: string, pod: string, container: string): AsyncIterable<Buffer>;
  /** The host folder behind a Pod's volume (embedded only: a cluster's volumes are not on this machine). */
  volumeDir?(pod: KubeObject, volume: string): string | undefined;
}

/** Everything a capability gets when it starts. */
export interface CapabilityContext {
  mode: CapabilityMode;
  client: Client;
  /** Its controllers go here; the manager starts once every capability has started. */
  manager: Manager;
  logger: Logger;
  /** The folder for its own files (SQLite databases, artifacts); the data directory embedded, a volume on a cluster. */
  dataDir: string;
  /** Where Pods reach Floe's routes (Katib Push reports, the serving ingress), e.g. `http://127.0.0.1:8443`. */
  url: string;
  node?: NodeRuntime;
  /** The checkout's python/ folder (floe_katib.py, Floe's kserve runtime). */
  pythonDir: string;
  /** What a Pod presents to call Floe's routes when they need credentials (a token-protected Floe). */
  podCredentials?: PodCredentials;
  /** HTTP/2 connections on Floe's listener (gRPC), and the checks each call on them passes. */
  http2?: Http2Access;
}

/**
 * Floe's listener takes HTTP/2 where a client asks for it and cannot speak HTTP/1.1 (ALPN `h2` only over TLS, the
 * h2c preface in plain text: gRPC clients); `take` hands those connections over. `admit` authenticates a call's
 * headers and authorizes the attributes as a route's requests are (401/403 FloeErrors).
 */
export interface Http2Access {
  take(accept: (socket: Duplex) => void): void;
  /** `remoteAddress`: the client's address (an authenticating proxy is recognised by it). */
  admit(headers: IncomingMessage['headers'], attributes: ResourceAttributes, remoteAddress?: string): Promise<Caller>;
}

/** A bearer token for Pods' calls back to Floe, and the CA that signed Floe's certificate (HTTPS). */
export interface PodCredentials {
  token: string;
  /** Path of the CA certificate (PEM) on the machine the Pods run on. */
  caFile?: string;
}

/** What a started capability hands back: its routes and how to close what it opened. */
export interface StartedCapability {
  routes?: Route[];
  /** Runs after the manager has stopped its controllers. */
  close?(): Promise<void>;
}

export interface Capability {
  /** Lower-case, unique: `training`, `katib`, `serving`, `pipelines`, … */
  readonly name: string;
  readonly modes: readonly CapabilityMode[];
  /** The CustomResourceDefinitions it serves; installed (created or brought up to date) before any controller starts. */
  crds?(): KubeObject[];
  /** Objects it installs once after its CRDs (kept as the user left them when they exist), e.g. built-in runtimes. */
  defaults?(ctx: Pick<CapabilityContext, 'pythonDir'>): KubeObject[];
  /** Its admission plug-ins (defaulting and validation webhooks upstream), in upstream webhook order. */
  admission?: readonly AdmissionPlugin[];
  /**
   * What it asks of the node runtime (`ctx.node`): `podLogs` (Katib's StdOut collector), `volumeDirs` (collectors that
   * read a Pod's volume on this machine). A mode that cannot give one starts the capability anyway and logs which of
   * its features are off, so that a user reads why a collector does not work instead of guessing.
   */
  needs?: readonly NodeNeed[];
  /** Adds its controllers to `ctx.manager` and opens its stores; called in list order, after every CRD is served. */
  start(ctx: CapabilityContext): Promise<StartedCapability>;
}
