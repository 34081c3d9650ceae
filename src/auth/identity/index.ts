// Identities of the embedded API server, put together from the configuration: the union authenticator, the
// ServiceAccount token issuer, and the kinds that serve them (TokenReview, serviceaccounts/token).
import { readFileSync } from 'node:fs';
import { FloeError } from '../../api/errors.js';
import type { ResourceRegistry } from '../../api/registry.js';
import type { ServiceAccountTokenSource } from '../../kubelet/service-account-tokens.js';
import type { Authorizer, Decision, UserInfo } from '../../server/auth.js';
import { resourceKey, type Store } from '../../store/store.js';
import { OidcAuthenticator, type OidcOptions } from './oidc.js';
import { RequestHeaderAuthenticator, type RequestHeaderOptions } from './request-header.js';
import { ensureSigningKey, ServiceAccountTokens } from './service-account-token.js';
import { StaticTokenAuthenticator } from './token-file.js';
import { serviceAccountWithTokenType, tokenReviewType } from './token-review.js';
import { UnionAuthenticator } from './union.js';
import type { TokenAuthenticator } from './user.js';

export { UnionAuthenticator } from './union.js';
export { ServiceAccountTokens, ensureSigningKey, defaultIssuer } from './service-account-token.js';
export { StaticTokenAuthenticator, parseTokenAuthFile } from './token-file.js';
export { RequestHeaderAuthenticator } from './request-header.js';
export { NamespaceDefaults, serviceAccountAdmission } from './service-accounts.js';
export type { TokenAuthenticator } from './user.js';

export interface IdentityOptions {
  dataDir: string;
  store: Store;
  registry: ResourceRegistry;
  adminToken?: string;
  podToken?: string;
  /** kube-apiserver's --token-auth-file. */
  tokenAuthFile?: string;
  /** Trusted-header mode. */
  authProxy?: RequestHeaderOptions;
  /** OIDC ID tokens (kube's --oidc-* flags). */
  oidc?: OidcOptions;
}

export interface Identities {
  authenticator: UnionAuthenticator;
  serviceAccounts: ServiceAccountTokens;
  /** For the user to read (a token file others can read). */
  warnings: string[];
  /** Resolves once the OIDC issuer's keys are in; rejects saying why (tokens then fail until a later refresh works). */
  ready: Promise<void>;
}

/** Builds the identity sources and registers ServiceAccount (with `token`) and TokenReview in `registry`. */
export function startIdentities(options: IdentityOptions): Identities {
  const warnings: string[] = [];
  const store = options.store;
  const serviceAccounts = new ServiceAccountTokens({
    key: ensureSigningKey(options.dataDir),
    lookup: (resource, namespace, name) => store.get(resourceKey('', resource), namespace, name),
  });
  const tokens: TokenAuthenticator[] = [];
  if (options.tokenAuthFile) {
    const file = StaticTokenAuthenticator.fromFile(options.tokenAuthFile);
    if (file.warning) warnings.push(file.warning);
    tokens.push(file.authenticator);
  }
  tokens.push(serviceAccounts);
  const oidc = options.oidc ? new OidcAuthenticator(options.oidc) : undefined;
  if (oidc) tokens.push(oidc);
  const authenticator = new UnionAuthenticator({
    ...(options.adminToken ? { adminToken: options.adminToken } : {}),
    ...(options.podToken ? { podToken: options.podToken } : {}),
    tokens,
    ...(options.authProxy ? { requestHeader: new RequestHeaderAuthenticator(options.authProxy) } : {}),
  });
  options.registry.register([serviceAccountWithTokenType(serviceAccounts), tokenReviewType({ authenticator, serviceAccounts })]);
  return { authenticator, serviceAccounts, warnings, ready: oidc ? oidc.refresh() : Promise.resolve() };
}

/** Whether a user is a ServiceAccount, and of which namespace. */
export function serviceAccountOf(user: UserInfo): { namespace: string; name: string } | undefined {
  const m = /^system:serviceaccount:([^:]+):([^:]+)$/.exec(user.name);
  return m ? { namespace: m[1]!, name: m[2]! } : undefined;
}

/** Allows what any of `authorizers` allows; the first refusal's reason otherwise. */
export function anyOfAuthorizers(...authorizers: Authorizer[]): Authorizer {
  return {
    authorize(attributes) {
      let first: Decision | undefined;
      for (const a of authorizers) {
        const decision = a.authorize(attributes);
        if (decision.allowed) return decision;
        first ??= decision;
      }
      return first ?? { allowed: false };
    },
  };
}

/**
 * The kubelet's TokenRequest, answered in process: a token for the Pod's ServiceAccount bound to the Pod (both must
 * exist with the uids given).
 */
export function podTokenSource(options: { store: Store; serviceAccounts: ServiceAccountTokens }): ServiceAccountTokenSource {
  return async (request) => {
    const sa = options.store.get(resourceKey('', 'serviceaccounts'), request.namespace, request.serviceAccountName);
    if (!sa) throw new FloeError('NotFound', `serviceaccounts "${request.serviceAccountName}" not found`);
    const issued = options.serviceAccounts.issue(sa, {
      expirationSeconds: request.expirationSeconds,
      boundObjectRef: { kind: 'Pod', name: request.pod.name, uid: request.pod.uid },
      ...(request.audiences ? { audiences: request.audiences } : {}),
    });
    return Promise.resolve({ token: issued.token, expirationTimestamp: issued.expirationTimestamp });
  };
}

/** OIDC options from the configuration: the CA file read now, so that a missing file fails the start. */
export function oidcOptions(config: { issuerUrl: string; clientId: string; usernameClaim?: string; usernamePrefix?: string; groupsClaim?: string; groupsPrefix?: string; caFile?: string }): OidcOptions {
  const { caFile, ...rest } = config;
  return { ...rest, ...(caFile ? { caPem: readFileSync(caFile, 'utf8') } : {}) };
}
