// Users as the authenticators produce them: kube's user.Info (name, uid, groups, extra) and the group every
// authenticated user has.
import type { UserInfo } from '../../server/auth.js';

export const allAuthenticated = 'system:authenticated';

/** A source of users by bearer token (static file, ServiceAccount JWTs, the admin and Pod tokens). */
export interface TokenAuthenticator {
  /** The user the token stands for; undefined when it is not this source's (or not valid). */
  authenticateToken(token: string, options?: { audiences?: string[] }): UserInfo | undefined;
}

/** `user` with system:authenticated added once, as kube's authenticated-group adder does. */
export function authenticatedUser(user: UserInfo): UserInfo {
  return user.groups.includes(allAuthenticated) ? user : { ...user, groups: [...user.groups, allAuthenticated] };
}

/** The bearer token of an `Authorization` header, or undefined. */
export function bearerToken(header: string | undefined): string | undefined {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
  return match?.[1];
}
