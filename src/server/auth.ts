// The request path's authentication and authorization stages: one local admin by default, a bearer token off loopback.
import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

export interface UserInfo {
  name: string;
  groups: string[];
}

export interface AuthorizationAttributes {
  user: UserInfo;
  verb: string;
  group: string;
  resource: string;
  subresource?: string;
  namespace?: string;
  name?: string;
}

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
  authenticate(request: IncomingMessage): UserInfo | undefined;
}

export const localAdmin: UserInfo = { name: 'floe-admin', groups: ['system:masters', 'system:authenticated'] };
export const systemController: UserInfo = { name: 'system:floe-controller-manager', groups: ['system:masters', 'system:authenticated'] };

/** Members of system:masters may do anything, as in Kubernetes. */
export class AllowMastersAuthorizer implements Authorizer {
  authorize(attributes: AuthorizationAttributes): Decision {
    if (attributes.user.groups.includes('system:masters')) return { allowed: true };
    return { allowed: false, reason: 'no RBAC policy matched' };
  }
}

/**
 * With a token configured, requests must carry `Authorization: Bearer <token>`; without one (loopback only),
 * every request is the local admin.
 */
export class TokenAuthenticator implements Authenticator {
  private readonly token: Buffer | undefined;

  constructor(options: { token?: string }) {
    this.token = options.token ? Buffer.from(options.token) : undefined;
  }

  authenticate(request: IncomingMessage): UserInfo | undefined {
    if (!this.token) return localAdmin;
    const header = request.headers.authorization ?? '';
    const match = /^Bearer\s+(.+)$/i.exec(header);
    if (!match?.[1]) return undefined;
    const given = Buffer.from(match[1].trim());
    return given.length === this.token.length && timingSafeEqual(given, this.token) ? localAdmin : undefined;
  }
}
