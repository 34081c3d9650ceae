// authentication.k8s.io/v1 TokenReview (create-only, never stored) and the ServiceAccount kind with its
// `token` subresource (TokenRequest), for the embedded API server.
import type { KubeObject } from '../../api/meta.js';
import type { FieldError } from '../../api/errors.js';
import type { ResourceType } from '../../api/resource-type.js';
import { builtinType } from '../../api/builtin/builtin-type.js';
import { serviceAccountType } from '../../api/builtin/service-account.js';
import type { ServiceAccountTokens } from './service-account-token.js';
import type { UnionAuthenticator } from './union.js';

/** TokenReview: `status.authenticated` and the user for `spec.token`, checked against `spec.audiences` when given. */
export function tokenReviewType(options: { authenticator: UnionAuthenticator; serviceAccounts: ServiceAccountTokens }): ResourceType {
  return builtinType({
    group: 'authentication.k8s.io',
    version: 'v1',
    kind: 'TokenReview',
    plural: 'tokenreviews',
    namespaced: false,
    verbs: ['create'],
    validate: (object) => {
      const token = (object as KubeObject & { spec?: { token?: unknown } }).spec?.token;
      const errs: FieldError[] = [];
      if (typeof token !== 'string' || token === '') errs.push({ type: 'FieldValueRequired', field: 'spec.token', message: 'Required value' });
      return errs;
    },
    review: (_request, object) => {
      const spec = (object as KubeObject & { spec?: { token?: string; audiences?: string[] } }).spec ?? {};
      const token = spec.token ?? '';
      const wanted = Array.isArray(spec.audiences) && spec.audiences.length > 0 ? spec.audiences : undefined;
      const audiences = wanted ?? options.serviceAccounts.apiAudiences;
      const check = options.serviceAccounts.check(token, audiences);
      let status: Record<string, unknown>;
      if (check.ok) {
        status = { authenticated: true, user: userJson(check.user), audiences: check.audiences };
      } else if (check.ours) {
        status = { user: {}, error: check.error };
      } else {
        // Not a ServiceAccount token: the other sources are audience-less (kube treats them as meant for the API).
        const user = options.authenticator.authenticateToken(token);
        const apiAudienceWanted = !wanted || wanted.some((a) => options.serviceAccounts.apiAudiences.includes(a));
        status = user && apiAudienceWanted
          ? { authenticated: true, user: userJson(user), audiences: wanted ? wanted.filter((a) => options.serviceAccounts.apiAudiences.includes(a)) : options.serviceAccounts.apiAudiences }
          : { user: {}, error: '[invalid bearer token, Token has been invalidated]' };
      }
      return { ...object, metadata: { ...object.metadata, creationTimestamp: null as unknown as string }, status };
    },
  });
}

function userJson(user: { name: string; uid?: string; groups: string[]; extra?: Record<string, string[]> }): Record<string, unknown> {
  return { username: user.name, ...(user.uid ? { uid: user.uid } : {}), groups: user.groups, ...(user.extra && Object.keys(user.extra).length > 0 ? { extra: user.extra } : {}) };
}

/** The core ServiceAccount kind with `serviceaccounts/token` (TokenRequest), replacing the plain built-in. */
export function serviceAccountWithTokenType(serviceAccounts: ServiceAccountTokens): ResourceType {
  return { ...serviceAccountType(), createSubresources: { token: serviceAccounts.tokenRequest() } };
}
