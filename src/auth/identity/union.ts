// The request path's authentication: every identity source in kube-apiserver's order (the trusted proxy header, then
// bearer tokens: the admin token, the Pod token, the static token file, ServiceAccount JWTs), then the local admin.
import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { localAdmin, podCaller, type Authenticator, type UserInfo } from '../../server/auth.js';
import type { RequestHeaderAuthenticator } from './request-header.js';
import { bearerToken, type TokenAuthenticator } from './user.js';

export interface UnionAuthenticatorOptions {
  /** `--token`: its holder is the local admin (floe-admin, system:masters). Without it, on loopback, so is everyone. */
  adminToken?: string;
  /** The token Pods present when they call back (Katib Push): the Pod caller. Only with `adminToken`. */
  podToken?: string;
  /** Further token sources, tried in order: the --token-auth-file users, ServiceAccount tokens. */
  tokens?: TokenAuthenticator[];
  /** Trusted-header mode: the proxy's user header, believed only from the proxy addresses. */
  requestHeader?: RequestHeaderAuthenticator;
}

export class UnionAuthenticator implements Authenticator {
  private readonly adminToken: Buffer | undefined;
  private readonly podToken: Buffer | undefined;
  private readonly tokens: TokenAuthenticator[];
  private readonly requestHeader: RequestHeaderAuthenticator | undefined;

  constructor(options: UnionAuthenticatorOptions) {
    this.adminToken = options.adminToken ? Buffer.from(options.adminToken) : undefined;
    this.podToken = options.adminToken && options.podToken ? Buffer.from(options.podToken) : undefined;
    this.tokens = options.tokens ?? [];
    this.requestHeader = options.requestHeader;
  }

  authenticate(request: IncomingMessage): UserInfo | undefined {
    const proxied = this.requestHeader?.authenticate(request);
    if (proxied) return proxied;
    const header = request.headers.authorization;
    if (header !== undefined && header !== '') {
      const token = bearerToken(header);
      // Credentials that do not check out are a 401, even where the anonymous caller would be the local admin: a
      // client sending a revoked or mistyped token must learn that, not act with other rights.
      return token ? this.authenticateToken(token) : undefined;
    }
    // No credentials: the local admin when no token is configured (Floe then listens on loopback only).
    return this.adminToken ? undefined : localAdmin;
  }

  /** The user a bearer token stands for, by every token source (TokenReview asks this too). */
  authenticateToken(token: string, options: { audiences?: string[] } = {}): UserInfo | undefined {
    const given = Buffer.from(token);
    if (this.adminToken && same(given, this.adminToken)) return localAdmin;
    if (this.podToken && same(given, this.podToken)) return podCaller;
    for (const source of this.tokens) {
      const user = source.authenticateToken(token, options);
      if (user) return user;
    }
    return undefined;
  }
}

function same(given: Buffer, expected: Buffer): boolean {
  return given.length === expected.length && timingSafeEqual(given, expected);
}
