// Impersonation headers (Impersonate-User, -Group, -Uid, -Extra-*), as kube-apiserver's impersonation filter: each one
// authorized as `impersonate` for the authenticated caller, then the request runs as the impersonated user.
import type { IncomingHttpHeaders } from 'node:http';
import { errors, FloeError } from '../../api/errors.js';
import { forbiddenMessage, type AuthorizationAttributes, type Authorizer, type UserInfo } from '../../server/auth.js';

const serviceAccountUser = /^system:serviceaccount:([^:]+):([^:]+)$/;
const extraPrefix = 'impersonate-extra-';

interface ImpersonationRequest {
  attributes: Omit<AuthorizationAttributes, 'user'>;
  apply(target: { name: string; groups: string[]; extra: Record<string, string[]>; uid: string | undefined }): void;
}

/** Whether the request carries any impersonation header. */
export function wantsImpersonation(headers: IncomingHttpHeaders): boolean {
  for (const name of Object.keys(headers)) {
    if (name === 'impersonate-user' || name === 'impersonate-group' || name === 'impersonate-uid' || name.startsWith(extraPrefix)) return true;
  }
  return false;
}

function values(header: string | string[] | undefined): string[] {
  if (header === undefined) return [];
  // Node joins repeated headers with ", "; Impersonate-Group may repeat (kubectl --as-group a --as-group b).
  return (Array.isArray(header) ? header : header.split(',')).map((v) => v.trim()).filter((v) => v !== '');
}

/**
 * The user a request acts as: the caller when it impersonates nobody; otherwise the impersonated user, after the
 * authorizer allowed the caller `impersonate` on each user, group, uid and extra value. Throws 403 (kube's text) or
 * 400 (groups, uid or extras without a user).
 */
export function impersonate(caller: UserInfo, headers: IncomingHttpHeaders, authorizer: Authorizer, rawHeaders?: string[]): UserInfo {
  if (!wantsImpersonation(headers)) return caller;
  const requests: ImpersonationRequest[] = [];
  const userHeader = typeof headers['impersonate-user'] === 'string' ? headers['impersonate-user'].trim() : '';
  const groupsSpecified = headers['impersonate-group'] !== undefined;
  if (userHeader) {
    const sa = serviceAccountUser.exec(userHeader);
    if (sa) {
      const [ns, name] = [sa[1]!, sa[2]!];
      requests.push({
        attributes: { verb: 'impersonate', group: '', resource: 'serviceaccounts', namespace: ns, name },
        apply: (t) => {
          t.name = userHeader;
          if (!groupsSpecified) t.groups.push('system:serviceaccounts', `system:serviceaccounts:${ns}`);
        },
      });
    } else {
      requests.push({ attributes: { verb: 'impersonate', group: '', resource: 'users', name: userHeader }, apply: (t) => (t.name = userHeader) });
    }
  }
  for (const g of groupHeaderValues(headers, rawHeaders)) {
    requests.push({ attributes: { verb: 'impersonate', group: '', resource: 'groups', name: g }, apply: (t) => t.groups.push(g) });
  }
  for (const [header, raw] of Object.entries(headers)) {
    if (!header.startsWith(extraPrefix)) continue;
    const key = decodeURIComponent(header.slice(extraPrefix.length)).toLowerCase();
    for (const value of values(raw)) {
      requests.push({
        attributes: { verb: 'impersonate', group: 'authentication.k8s.io', resource: 'userextras', subresource: key, name: value },
        apply: (t) => (t.extra[key] ??= []).push(value),
      });
    }
  }
  const uid = typeof headers['impersonate-uid'] === 'string' ? headers['impersonate-uid'].trim() : '';
  if (uid) requests.push({ attributes: { verb: 'impersonate', group: 'authentication.k8s.io', resource: 'uids', name: uid }, apply: (t) => (t.uid = uid) });
  if (!userHeader) {
    throw errors.badRequest(`requested ${requests.map((r) => `${r.attributes.resource} "${r.attributes.name ?? ''}"`).join(', ')} without impersonating a user`);
  }
  const target = { name: '', groups: [] as string[], extra: {} as Record<string, string[]>, uid: undefined as string | undefined };
  for (const request of requests) {
    const attributes: AuthorizationAttributes = { ...request.attributes, user: caller };
    const decision = authorizer.authorize(attributes);
    if (!decision.allowed) throw new FloeError('Forbidden', forbiddenMessage(attributes, decision.reason));
    request.apply(target);
  }
  // kube: a non-anonymous user gets system:authenticated unless the groups given say (un)authenticated already.
  if (target.name !== 'system:anonymous') {
    if (!target.groups.includes('system:authenticated') && !target.groups.includes('system:unauthenticated')) target.groups.push('system:authenticated');
  } else if (!target.groups.includes('system:unauthenticated')) {
    target.groups.push('system:unauthenticated');
  }
  const user: UserInfo = { name: target.name, groups: target.groups };
  if (target.uid !== undefined) user.uid = target.uid;
  if (Object.keys(target.extra).length > 0) user.extra = target.extra;
  return user;
}

/** Every Impersonate-Group value, one per header line (a group name may contain a comma). */
function groupHeaderValues(headers: IncomingHttpHeaders, rawHeaders: string[] | undefined): string[] {
  if (rawHeaders) {
    const out: string[] = [];
    for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
      if (rawHeaders[i]!.toLowerCase() === 'impersonate-group') out.push(rawHeaders[i + 1]!.trim());
    }
    return out.filter((g) => g !== '');
  }
  return values(headers['impersonate-group']);
}
