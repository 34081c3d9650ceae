// The request path's authentication and authorization stages: one local admin by default, a bearer token off loopback.
import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { KubeObject } from '../api/meta.js';
import type { Client } from '../client/client.js';
import type { Caller, ResourceAttributes } from '../controller/index.js';

/** Who is calling: the same shape as the route contract's Caller. */
export type UserInfo = Caller;

/** Who asks to do what: the route contract's resource attributes and the caller. */
export interface AuthorizationAttributes extends ResourceAttributes {
  user: UserInfo;
  /**
   * Set for a non-resource request (`/metrics`, `/version`, `/apis`): RBAC matches it against nonResourceURLs and
   * ignores group and resource (give them as '').
   */
  path?: string;
}

export { forbiddenMessage } from '../controller/index.js';

export interface Decision {
  allowed: boolean;
  reason?: string;
}

/** Decides whether a user may do a verb on a resource. RBAC (a later issue) is another implementation. */
export interface Authorizer {
  authorize(attributes: AuthorizationAttributes): Decision;
}

/** Finds who is calling; undefined means the credentials were missing or wrong (401). */
export interface Authenticator {
  authenticate(request: IncomingMessage): UserInfo | undefined | Promise<UserInfo | undefined>;
}

export const localAdmin: UserInfo = { name: 'floe-admin', groups: ['system:masters', 'system:authenticated'] };
/** Pods that call back into Floe (Katib Push trials) with the Pod token: they may report observation logs, nothing else. */
export const podCaller: UserInfo = { name: 'system:floe:pod', groups: ['system:floe:pods', 'system:authenticated'] };
export const systemController: UserInfo = { name: 'system:floe-controller-manager', groups: ['system:masters', 'system:authenticated'] };

/** Members of system:masters may do anything, as in Kubernetes; Pods with the Pod token may report Katib metrics. */
export class AllowMastersAuthorizer implements Authorizer {
  authorize(attributes: AuthorizationAttributes): Decision {
    if (attributes.user.groups.includes('system:masters')) return { allowed: true };
    if (attributes.user.groups.includes('system:floe:pods') && attributes.group === 'kubeflow.org' && attributes.resource === 'trials' && attributes.subresource === 'observationlog' && attributes.verb === 'create') {
      return { allowed: true };
    }
    return { allowed: false, reason: 'no RBAC policy matched' };
  }
}

/**
 * With a token configured, requests must carry `Authorization: Bearer <token>`; without one (loopback only),
 * every request is the local admin.
 */
export class TokenAuthenticator implements Authenticator {
  private readonly token: Buffer | undefined;
  private readonly podToken: Buffer | undefined;

  /** `podToken`: the token Pods present (see podCaller); only with `token`. */
  constructor(options: { token?: string; podToken?: string }) {
    this.token = options.token ? Buffer.from(options.token) : undefined;
    this.podToken = options.token && options.podToken ? Buffer.from(options.podToken) : undefined;
  }

  authenticate(request: IncomingMessage): UserInfo | undefined {
    if (!this.token) return localAdmin;
    const header = request.headers.authorization ?? '';
    const match = /^Bearer\s+(.+)$/i.exec(header);
    if (!match?.[1]) return undefined;
    const given = Buffer.from(match[1].trim());
    if (same(given, this.token)) return localAdmin;
    if (this.podToken && same(given, this.podToken)) return podCaller;
    return undefined;
  }
}

/**
 * On a cluster: bearer tokens (a Pod's ServiceAccount token) are checked with the API server's TokenReview, and the
 * answer kept for a minute so that a trial reporting every step does not cost a review each time.
 */
export class TokenReviewAuthenticator implements Authenticator {
  private readonly client: Client;
  private readonly cache = new Map<string, { user: UserInfo | undefined; until: number }>();

  constructor(options: { client: Client }) {
    this.client = options.client;
  }

  async authenticate(request: IncomingMessage): Promise<UserInfo | undefined> {
    const match = /^Bearer\s+(.+)$/i.exec(request.headers.authorization ?? '');
    const token = match?.[1]?.trim();
    if (!token) return undefined;
    const cached = this.cache.get(token);
    if (cached && cached.until > Date.now()) return cached.user;
    const review = await this.client.create<KubeObject & { status?: { authenticated?: boolean; user?: { username?: string; groups?: string[] } } }>({
      apiVersion: 'authentication.k8s.io/v1',
      kind: 'TokenReview',
      metadata: {},
      spec: { token },
    });
    const user = review.status?.authenticated && review.status.user?.username ? { name: review.status.user.username, groups: review.status.user.groups ?? [] } : undefined;
    if (this.cache.size > 1000) this.cache.clear();
    this.cache.set(token, { user, until: Date.now() + 60_000 });
    return user;
  }
}

/** On a cluster, Floe's own routes: a Pod's ServiceAccount may report its namespace's trials' metrics and read them back. */
export class ServiceAccountAuthorizer implements Authorizer {
  authorize(attributes: AuthorizationAttributes): Decision {
    if (attributes.user.groups.includes('system:masters')) return { allowed: true };
    const sa = /^system:serviceaccount:([^:]+):[^:]+$/.exec(attributes.user.name);
    const katib = attributes.group === 'kubeflow.org' && attributes.resource === 'trials' && attributes.subresource === 'observationlog' && (attributes.verb === 'create' || attributes.verb === 'get');
    if (sa && katib && attributes.namespace === sa[1]) return { allowed: true };
    return { allowed: false, reason: sa ? `a ServiceAccount may only report metrics of trials in its own namespace (${sa[1] ?? ''})` : 'only ServiceAccounts of the trial\'s namespace may report its metrics' };
  }
}

function same(given: Buffer, expected: Buffer): boolean {
  return given.length === expected.length && timingSafeEqual(given, expected);
}
