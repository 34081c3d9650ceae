// ServiceAccount tokens as kube-apiserver issues them: bound, signed JWTs (TokenRequest, `kubectl create token`) with
// audience and expiry, checked against the ServiceAccount (and bound Pod) still existing with the same uid.
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, randomUUID, sign, verify, type KeyObject } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FloeError } from '../../api/errors.js';
import type { FieldError } from '../../api/errors.js';
import type { KubeObject } from '../../api/meta.js';
import type { CreateSubresource, ReviewRequest } from '../../api/resource-type.js';
import type { UserInfo } from '../../server/auth.js';
import { writePrivateFile } from '../../store/private-file.js';
import { authenticatedUser, type TokenAuthenticator } from './user.js';

/** The issuer (and default API audience) kube-apiserver uses in kind and most clusters. */
export const defaultIssuer = 'https://kubernetes.default.svc.cluster.local';
export const signingKeyFile = 'sa-signing-key.pem';

/** kube's minimum TokenRequest duration (10 minutes) and default (1 hour). */
export const minExpirationSeconds = 600;
export const defaultExpirationSeconds = 3600;
/** Clock skew allowed on exp/nbf, as kube's validator (jwt.DefaultLeeway). */
const leewaySeconds = 60;
/** A bound Pod deleted longer than this ago no longer vouches for its tokens (kube's grace). */
const podDeletionGraceSeconds = 60;

export interface SigningKey {
  privateKey: KeyObject;
  publicKey: KeyObject;
  alg: 'RS256' | 'ES256';
  /** kube's key id: base64url of the SHA-256 of the public key's DER (PKIX). */
  kid: string;
}

/** The data directory's signing key (PEM, 0600), made on first use: ECDSA P-256; an RSA key put there is used too. */
export function ensureSigningKey(dataDir: string): SigningKey {
  const path = join(dataDir, signingKeyFile);
  let pem: string;
  if (existsSync(path)) {
    pem = readFileSync(path, 'utf8');
  } else {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    writePrivateFile(path, pem);
  }
  return signingKey(createPrivateKey(pem));
}

export function signingKey(privateKey: KeyObject): SigningKey {
  const publicKey = createPublicKey(privateKey);
  const type = privateKey.asymmetricKeyType;
  if (type !== 'rsa' && type !== 'ec') throw new Error(`the ServiceAccount signing key must be RSA or ECDSA P-256, not ${type ?? 'unknown'}`);
  if (type === 'ec' && privateKey.asymmetricKeyDetails?.namedCurve !== 'prime256v1') throw new Error('an ECDSA ServiceAccount signing key must be on P-256');
  const der = publicKey.export({ type: 'spki', format: 'der' });
  return { privateKey, publicKey, alg: type === 'rsa' ? 'RS256' : 'ES256', kid: createHash('sha256').update(der).digest('base64url') };
}

/** The claims of a ServiceAccount token, as kube's serviceaccount package writes them. */
export interface ServiceAccountClaims {
  iss: string;
  sub: string;
  aud: string[];
  exp: number;
  iat: number;
  nbf: number;
  jti: string;
  'kubernetes.io': {
    namespace: string;
    serviceaccount: { name: string; uid: string };
    pod?: { name: string; uid: string };
    secret?: { name: string; uid: string };
    node?: { name: string; uid: string };
  };
}

export interface BoundObjectRef {
  kind: 'Pod' | 'Secret' | 'Node';
  apiVersion?: string;
  name: string;
  uid?: string;
}

/** Reads objects from the store (synchronous: authentication runs on every request). */
export type ObjectLookup = (resource: 'serviceaccounts' | 'pods' | 'secrets' | 'nodes', namespace: string, name: string) => KubeObject | undefined;

export interface ServiceAccountTokensOptions {
  key: SigningKey;
  lookup: ObjectLookup;
  issuer?: string;
  /** What a token must be meant for to be accepted as an API credential (kube's --api-audiences); the issuer by default. */
  apiAudiences?: string[];
  /** Injected clock (seconds since the epoch), for tests. */
  nowSeconds?: () => number;
}

/** Why a token was refused, for TokenReview's status.error. */
export type TokenCheck = { ok: true; user: UserInfo; audiences: string[] } | { ok: false; error: string; ours: boolean };

export class ServiceAccountTokens implements TokenAuthenticator {
  readonly issuer: string;
  readonly apiAudiences: string[];
  private readonly key: SigningKey;
  private readonly lookup: ObjectLookup;
  private readonly now: () => number;

  constructor(options: ServiceAccountTokensOptions) {
    this.key = options.key;
    this.lookup = options.lookup;
    this.issuer = options.issuer ?? defaultIssuer;
    this.apiAudiences = options.apiAudiences ?? [this.issuer];
    this.now = options.nowSeconds ?? (() => Math.floor(Date.now() / 1000));
  }

  /** Signs a token for `serviceAccount`, optionally bound to a Pod, Secret or Node (which must exist). */
  issue(serviceAccount: KubeObject, request: { audiences?: string[]; expirationSeconds?: number; boundObjectRef?: BoundObjectRef }): { token: string; expirationTimestamp: string; claims: ServiceAccountClaims } {
    const namespace = serviceAccount.metadata.namespace ?? 'default';
    const name = serviceAccount.metadata.name ?? '';
    const now = this.now();
    const exp = now + (request.expirationSeconds ?? defaultExpirationSeconds);
    const k8s: ServiceAccountClaims['kubernetes.io'] = { namespace, serviceaccount: { name, uid: serviceAccount.metadata.uid ?? '' } };
    const ref = request.boundObjectRef;
    if (ref) {
      const bound = this.lookup(ref.kind === 'Pod' ? 'pods' : ref.kind === 'Secret' ? 'secrets' : 'nodes', ref.kind === 'Node' ? '' : namespace, ref.name);
      if (!bound) throw new FloeError('NotFound', `${ref.kind.toLowerCase()}s "${ref.name}" not found`);
      const uid = bound.metadata.uid ?? '';
      if (ref.uid && ref.uid !== uid) throw new FloeError('Conflict', `the UID in the bound object reference (${ref.uid}) does not match the UID in record. The object might have been deleted and then recreated`);
      const entry = { name: ref.name, uid };
      if (ref.kind === 'Pod') {
        k8s.pod = entry;
        // kube 1.32 adds the Pod's node (ServiceAccountTokenPodNodeInfo), when it is scheduled and the Node exists.
        const nodeName = (bound.spec as { nodeName?: string } | undefined)?.nodeName;
        const node = nodeName ? this.lookup('nodes', '', nodeName) : undefined;
        if (nodeName && node) k8s.node = { name: nodeName, uid: node.metadata.uid ?? '' };
      } else if (ref.kind === 'Secret') {
        k8s.secret = entry;
      } else {
        k8s.node = entry;
      }
    }
    const claims: ServiceAccountClaims = {
      aud: request.audiences && request.audiences.length > 0 ? request.audiences : this.apiAudiences,
      exp,
      iat: now,
      iss: this.issuer,
      jti: randomUUID(),
      'kubernetes.io': k8s,
      nbf: now,
      sub: `system:serviceaccount:${namespace}:${name}`,
    };
    return { token: this.sign(claims), expirationTimestamp: new Date(exp * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z'), claims };
  }

  authenticateToken(token: string, options: { audiences?: string[] } = {}): UserInfo | undefined {
    const check = this.check(token, options.audiences);
    return check.ok ? check.user : undefined;
  }

  /**
   * Validates a token: signature, issuer, time, audience (one of `audiences`, the API audiences by default), and that
   * the ServiceAccount, and the object it is bound to, still exist with the uids the token names.
   */
  check(token: string, audiences: string[] = this.apiAudiences): TokenCheck {
    const parts = token.split('.');
    if (parts.length !== 3) return { ok: false, error: 'not a JWT', ours: false };
    const [h, p, s] = parts as [string, string, string];
    let header: { alg?: string; kid?: string };
    let claims: Partial<ServiceAccountClaims>;
    try {
      header = JSON.parse(Buffer.from(h, 'base64url').toString('utf8')) as typeof header;
      claims = JSON.parse(Buffer.from(p, 'base64url').toString('utf8')) as typeof claims;
    } catch {
      return { ok: false, error: 'not a JWT', ours: false };
    }
    if (claims.iss !== this.issuer) return { ok: false, error: 'the token was issued by another issuer', ours: false };
    if (header.alg !== this.key.alg || !this.verifySignature(`${h}.${p}`, Buffer.from(s, 'base64url'))) {
      return { ok: false, error: '[invalid bearer token, square/go-jose: error in cryptographic primitive]', ours: true };
    }
    const now = this.now();
    if (typeof claims.exp !== 'number' || now > claims.exp + leewaySeconds) return { ok: false, error: '[invalid bearer token, service account token has expired]', ours: true };
    if (typeof claims.nbf === 'number' && now < claims.nbf - leewaySeconds) return { ok: false, error: '[invalid bearer token, service account token is not valid yet]', ours: true };
    const tokenAudiences = Array.isArray(claims.aud) ? claims.aud : typeof claims.aud === 'string' ? [claims.aud] : [];
    const matched = audiences.filter((a) => tokenAudiences.includes(a));
    if (matched.length === 0) return { ok: false, error: '[invalid bearer token, token audiences ' + JSON.stringify(tokenAudiences) + ' is invalid for the target audiences ' + JSON.stringify(audiences) + ']', ours: true };
    const k8s = claims['kubernetes.io'];
    const sub = /^system:serviceaccount:([^:]+):([^:]+)$/.exec(claims.sub ?? '');
    if (!k8s || !sub || sub[1] !== k8s.namespace || sub[2] !== k8s.serviceaccount?.name) return { ok: false, error: '[invalid bearer token, service account token claims are malformed]', ours: true };
    const namespace = k8s.namespace;
    const sa = this.lookup('serviceaccounts', namespace, k8s.serviceaccount.name);
    if (!sa || sa.metadata.deletionTimestamp !== undefined) return { ok: false, error: `[invalid bearer token, serviceaccounts "${k8s.serviceaccount.name}" not found]`, ours: true };
    if (sa.metadata.uid !== k8s.serviceaccount.uid) {
      return { ok: false, error: `[invalid bearer token, service account UID (${k8s.serviceaccount.uid}) does not match claim (${sa.metadata.uid ?? ''})]`, ours: true };
    }
    const extra: Record<string, string[]> = {};
    if (k8s.pod) {
      const pod = this.lookup('pods', namespace, k8s.pod.name);
      if (!pod) return { ok: false, error: `[invalid bearer token, pods "${k8s.pod.name}" not found]`, ours: true };
      if (pod.metadata.uid !== k8s.pod.uid) return { ok: false, error: `[invalid bearer token, pod UID (${pod.metadata.uid ?? ''}) does not match claim (${k8s.pod.uid})]`, ours: true };
      const deleted = pod.metadata.deletionTimestamp;
      if (deleted !== undefined && Date.parse(deleted) / 1000 < now - podDeletionGraceSeconds) {
        return { ok: false, error: `[invalid bearer token, pod "${k8s.pod.name}" is being deleted]`, ours: true };
      }
      extra['authentication.kubernetes.io/pod-name'] = [k8s.pod.name];
      extra['authentication.kubernetes.io/pod-uid'] = [k8s.pod.uid];
    }
    if (k8s.secret) {
      const secret = this.lookup('secrets', namespace, k8s.secret.name);
      if (!secret || secret.metadata.uid !== k8s.secret.uid) return { ok: false, error: `[invalid bearer token, secrets "${k8s.secret.name}" not found]`, ours: true };
    }
    if (k8s.node) {
      const node = this.lookup('nodes', '', k8s.node.name);
      // A Pod-bound token names its node for information only; a Node-bound one depends on it.
      if (!k8s.pod && (!node || node.metadata.uid !== k8s.node.uid)) return { ok: false, error: `[invalid bearer token, nodes "${k8s.node.name}" not found]`, ours: true };
      extra['authentication.kubernetes.io/node-name'] = [k8s.node.name];
      extra['authentication.kubernetes.io/node-uid'] = [k8s.node.uid];
    }
    if (claims.jti) extra['authentication.kubernetes.io/credential-id'] = [`JTI=${claims.jti}`];
    const user: UserInfo = authenticatedUser({
      name: `system:serviceaccount:${namespace}:${k8s.serviceaccount.name}`,
      uid: k8s.serviceaccount.uid,
      groups: ['system:serviceaccounts', `system:serviceaccounts:${namespace}`],
      extra,
    });
    return { ok: true, user, audiences: matched };
  }

  /** The `serviceaccounts/token` subresource: authentication.k8s.io/v1 TokenRequest. */
  tokenRequest(): CreateSubresource {
    return {
      group: 'authentication.k8s.io',
      version: 'v1',
      kind: 'TokenRequest',
      defaults: (object) => {
        const spec = specOf(object);
        if (spec.expirationSeconds === undefined || spec.expirationSeconds === null) spec.expirationSeconds = defaultExpirationSeconds;
        if (!Array.isArray(spec.audiences) || spec.audiences.length === 0) spec.audiences = [...this.apiAudiences];
      },
      validate: (object) => validateTokenRequest(object),
      review: (request: ReviewRequest, object: KubeObject) => {
        const sa = request.parent;
        if (!sa) throw new FloeError('NotFound', 'serviceaccounts not found');
        if (sa.metadata.deletionTimestamp !== undefined) throw new FloeError('Forbidden', `serviceaccounts "${sa.metadata.name ?? ''}" is being deleted`);
        const spec = specOf(object);
        const refIn = spec.boundObjectRef as { kind?: string; apiVersion?: string; name?: string; uid?: string } | undefined;
        const boundObjectRef: BoundObjectRef | undefined = refIn?.name ? { kind: refIn.kind as BoundObjectRef['kind'], name: refIn.name, ...(refIn.uid ? { uid: refIn.uid } : {}) } : undefined;
        const issued = this.issue(sa, {
          audiences: spec.audiences as string[],
          expirationSeconds: spec.expirationSeconds as number,
          ...(boundObjectRef ? { boundObjectRef } : {}),
        });
        if (boundObjectRef && refIn) refIn.uid = issued.claims['kubernetes.io'].pod?.uid ?? issued.claims['kubernetes.io'].secret?.uid ?? issued.claims['kubernetes.io'].node?.uid ?? '';
        const out: KubeObject = {
          ...object,
          apiVersion: 'authentication.k8s.io/v1',
          kind: 'TokenRequest',
          metadata: { ...object.metadata, name: sa.metadata.name ?? '', namespace: sa.metadata.namespace ?? '', creationTimestamp: null as unknown as string },
          status: { token: request.dryRun ? '' : issued.token, expirationTimestamp: issued.expirationTimestamp },
        };
        return out;
      },
    };
  }

  private sign(claims: ServiceAccountClaims): string {
    const header = Buffer.from(JSON.stringify({ alg: this.key.alg, kid: this.key.kid })).toString('base64url');
    const payload = Buffer.from(JSON.stringify(claims)).toString('base64url');
    const input = `${header}.${payload}`;
    const signature = this.key.alg === 'RS256'
      ? sign('sha256', Buffer.from(input), this.key.privateKey)
      : sign('sha256', Buffer.from(input), { key: this.key.privateKey, dsaEncoding: 'ieee-p1363' });
    return `${input}.${signature.toString('base64url')}`;
  }

  private verifySignature(input: string, signature: Buffer): boolean {
    try {
      return this.key.alg === 'RS256'
        ? verify('sha256', Buffer.from(input), this.key.publicKey, signature)
        : verify('sha256', Buffer.from(input), { key: this.key.publicKey, dsaEncoding: 'ieee-p1363' }, signature);
    } catch {
      return false;
    }
  }
}

function specOf(object: KubeObject): Record<string, unknown> {
  const o = object as KubeObject & { spec?: Record<string, unknown> };
  if (!o.spec || typeof o.spec !== 'object') o.spec = {};
  return o.spec;
}

/** kube's TokenRequest validation: a duration of at least 10 minutes (and under 2^32 s), a known bound kind. */
function validateTokenRequest(object: KubeObject): FieldError[] {
  const spec = specOf(object);
  const errs: FieldError[] = [];
  const seconds = spec.expirationSeconds;
  if (typeof seconds !== 'number' || !Number.isInteger(seconds)) {
    errs.push({ type: 'FieldValueInvalid', field: 'spec.expirationSeconds', message: `Invalid value: ${JSON.stringify(seconds)}: must be an integer` });
  } else if (seconds < minExpirationSeconds) {
    errs.push({ type: 'FieldValueInvalid', field: 'spec.expirationSeconds', message: `Invalid value: ${seconds}: may not specify a duration less than 10 minutes` });
  } else if (seconds > 2 ** 32) {
    errs.push({ type: 'FieldValueInvalid', field: 'spec.expirationSeconds', message: `Invalid value: ${seconds}: may not specify a duration larger than 2^32 seconds` });
  }
  if (!Array.isArray(spec.audiences) || spec.audiences.some((a) => typeof a !== 'string' || a === '')) {
    errs.push({ type: 'FieldValueInvalid', field: 'spec.audiences', message: 'Invalid value: audiences must be non-empty strings' });
  }
  const ref = spec.boundObjectRef as { kind?: unknown; apiVersion?: unknown; name?: unknown } | undefined | null;
  if (ref) {
    if (ref.kind !== 'Pod' && ref.kind !== 'Secret' && ref.kind !== 'Node') {
      errs.push({ type: 'FieldValueNotSupported', field: 'spec.boundObjectRef.kind', message: `Unsupported value: ${JSON.stringify(ref.kind)}: supported values: "Pod", "Secret", "Node"` });
    }
    if (ref.apiVersion !== undefined && ref.apiVersion !== 'v1') {
      errs.push({ type: 'FieldValueNotSupported', field: 'spec.boundObjectRef.apiVersion', message: `Unsupported value: ${JSON.stringify(ref.apiVersion)}: supported values: "v1"` });
    }
    if (typeof ref.name !== 'string' || ref.name === '') errs.push({ type: 'FieldValueRequired', field: 'spec.boundObjectRef.name', message: 'Required value' });
  }
  return errs;
}
