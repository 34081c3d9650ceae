// OIDC ID tokens as kube-apiserver's --oidc-* flags accept them: issuer discovery, the issuer's JWKS (kept in memory
// and refreshed when an unknown key id shows up), audience = client id, username and groups from claims.
import { createPublicKey, verify, type KeyObject } from 'node:crypto';
import { request as httpsRequest } from 'node:https';
import type { UserInfo } from '../../server/auth.js';
import { authenticatedUser, type TokenAuthenticator } from './user.js';

export interface OidcOptions {
  /** `--oidc-issuer-url`: https, must equal the tokens' `iss`. */
  issuerUrl: string;
  /** `--oidc-client-id`: must be in the tokens' `aud`. */
  clientId: string;
  /** `--oidc-username-claim`, default `sub`. */
  usernameClaim?: string;
  /** `--oidc-username-prefix`: default `<issuer>#` unless the claim is `email`; `-` for none. */
  usernamePrefix?: string;
  /** `--oidc-groups-claim`: a string or list of strings. */
  groupsClaim?: string;
  /** `--oidc-groups-prefix`. */
  groupsPrefix?: string;
  /** `--oidc-ca-file` contents: the CA the issuer is verified with (the system's otherwise). */
  caPem?: string;
  /** `--oidc-signing-algs`, default RS256. */
  signingAlgs?: string[];
  /** `--oidc-required-claim key=value`. */
  requiredClaims?: Record<string, string>;
  /** Injected clock (seconds), for tests. */
  nowSeconds?: () => number;
}

interface Jwk {
  kid?: string;
  kty: string;
  alg?: string;
  use?: string;
  [k: string]: unknown;
}

const leewaySeconds = 60;
const refreshMinIntervalMs = 10_000;

export class OidcAuthenticator implements TokenAuthenticator {
  private readonly options: OidcOptions;
  private keys = new Map<string, { key: KeyObject; kty: string }>();
  private lastFetch = 0;
  private fetching: Promise<void> | undefined;
  private readonly now: () => number;
  private readonly prefix: string;
  private readonly algs: string[];

  constructor(options: OidcOptions) {
    if (!options.issuerUrl.startsWith('https://')) throw new Error(`--oidc-issuer-url must be an https URL, not ${options.issuerUrl}`);
    this.options = options;
    this.now = options.nowSeconds ?? (() => Math.floor(Date.now() / 1000));
    const claim = options.usernameClaim ?? 'sub';
    const prefix = options.usernamePrefix ?? (claim === 'email' ? '' : `${options.issuerUrl}#`);
    this.prefix = prefix === '-' ? '' : prefix;
    this.algs = options.signingAlgs ?? ['RS256'];
  }

  /** Fetches discovery and the key set; resolves once keys are in (or rejects, saying why). */
  async refresh(): Promise<void> {
    if (this.fetching) return this.fetching;
    this.lastFetch = Date.now();
    this.fetching = (async () => {
      const discovery = JSON.parse(await this.get(`${this.options.issuerUrl.replace(/\/+$/, '')}/.well-known/openid-configuration`)) as { issuer?: string; jwks_uri?: string };
      if (discovery.issuer !== this.options.issuerUrl) throw new Error(`the OIDC discovery document names issuer ${String(discovery.issuer)}, not ${this.options.issuerUrl}`);
      if (!discovery.jwks_uri) throw new Error('the OIDC discovery document has no jwks_uri');
      const set = JSON.parse(await this.get(discovery.jwks_uri)) as { keys?: Jwk[] };
      const keys = new Map<string, { key: KeyObject; kty: string }>();
      for (const jwk of set.keys ?? []) {
        if (jwk.use && jwk.use !== 'sig') continue;
        try {
          keys.set(jwk.kid ?? '', { key: createPublicKey({ key: jwk as never, format: 'jwk' }), kty: jwk.kty });
        } catch {
          // A key type node cannot read: tokens signed with it fail.
        }
      }
      this.keys = keys;
    })().finally(() => {
      this.fetching = undefined;
    });
    return this.fetching;
  }

  authenticateToken(token: string): UserInfo | undefined {
    const parts = token.split('.');
    if (parts.length !== 3) return undefined;
    const [h, p, s] = parts as [string, string, string];
    let header: { alg?: string; kid?: string };
    let claims: Record<string, unknown>;
    try {
      header = JSON.parse(Buffer.from(h, 'base64url').toString('utf8')) as typeof header;
      claims = JSON.parse(Buffer.from(p, 'base64url').toString('utf8')) as Record<string, unknown>;
    } catch {
      return undefined;
    }
    if (claims.iss !== this.options.issuerUrl) return undefined;
    if (!header.alg || !this.algs.includes(header.alg)) return undefined;
    const entry = this.keys.get(header.kid ?? '') ?? (header.kid === undefined && this.keys.size === 1 ? [...this.keys.values()][0] : undefined);
    if (!entry) {
      // A key the issuer rotated in: fetch the set again (not more often than every 10 s); this request fails.
      if (Date.now() - this.lastFetch > refreshMinIntervalMs) this.refresh().catch(() => undefined);
      return undefined;
    }
    const input = Buffer.from(`${h}.${p}`);
    const signature = Buffer.from(s, 'base64url');
    const hash = `sha${header.alg.slice(2)}`;
    let valid = false;
    try {
      if (header.alg.startsWith('RS')) valid = verify(hash, input, entry.key, signature);
      else if (header.alg.startsWith('PS')) valid = verify(hash, input, { key: entry.key, padding: 6, saltLength: Number(header.alg.slice(2)) / 8 }, signature);
      else if (header.alg.startsWith('ES')) valid = verify(hash, input, { key: entry.key, dsaEncoding: 'ieee-p1363' }, signature);
    } catch {
      valid = false;
    }
    if (!valid) return undefined;
    const now = this.now();
    if (typeof claims.exp !== 'number' || now > claims.exp + leewaySeconds) return undefined;
    if (typeof claims.nbf === 'number' && now < claims.nbf - leewaySeconds) return undefined;
    const aud = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
    if (!aud.includes(this.options.clientId)) return undefined;
    for (const [k, v] of Object.entries(this.options.requiredClaims ?? {})) if (claims[k] !== v) return undefined;
    const claim = this.options.usernameClaim ?? 'sub';
    const name = claims[claim];
    if (typeof name !== 'string' || name === '') return undefined;
    // kube: with the email claim, an explicit email_verified false refuses the token.
    if (claim === 'email' && claims.email_verified !== undefined && claims.email_verified !== true) return undefined;
    const groupsValue = this.options.groupsClaim ? claims[this.options.groupsClaim] : undefined;
    const groups = (Array.isArray(groupsValue) ? groupsValue : typeof groupsValue === 'string' ? [groupsValue] : []).filter((g): g is string => typeof g === 'string').map((g) => `${this.options.groupsPrefix ?? ''}${g}`);
    return authenticatedUser({ name: `${this.prefix}${name}`, groups });
  }

  private get(url: string): Promise<string> {
    return new Promise((resolve, reject) => {
      const req = httpsRequest(url, { ...(this.options.caPem ? { ca: this.options.caPem } : {}), timeout: 10_000 }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => (res.statusCode === 200 ? resolve(Buffer.concat(chunks).toString('utf8')) : reject(new Error(`GET ${url}: HTTP ${res.statusCode ?? 0}`))));
      });
      req.on('timeout', () => req.destroy(new Error(`GET ${url}: timed out`)));
      req.on('error', reject);
      req.end();
    });
  }
}
