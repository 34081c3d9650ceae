// Registry authentication: the WWW-Authenticate challenge (Basic or Bearer with realm/service/scope) and the token
// endpoint of the distribution token spec, with basic credentials or an OAuth2 refresh token.
import { ImageError } from './errors.js';
import type { RegistryCredential } from './credentials.js';

export interface Challenge {
  scheme: string;
  params: Record<string, string>;
}

/**
 * Parses a WWW-Authenticate header into its challenges: `Bearer realm="…",service="…",scope="repository:a/b:pull"`.
 * Quoted values may hold commas (a scope with `pull,push`); several challenges may share one header.
 */
export function parseChallenges(header: string): Challenge[] {
  const challenges: Challenge[] = [];
  let i = 0;
  const skip = (re: RegExp): void => {
    while (i < header.length && re.test(header[i]!)) i++;
  };
  const token = (): string => {
    const start = i;
    while (i < header.length && /[!#$%&'*+\-.^_`|~0-9A-Za-z]/.test(header[i]!)) i++;
    return header.slice(start, i);
  };
  while (i < header.length) {
    skip(/[\s,]/);
    const scheme = token();
    if (scheme === '') break;
    const challenge: Challenge = { scheme: scheme.toLowerCase(), params: {} };
    challenges.push(challenge);
    for (;;) {
      skip(/[\s,]/);
      const save = i;
      const key = token();
      skip(/\s/);
      if (key === '' || header[i] !== '=') {
        // Not a parameter: the next challenge's scheme (or token68 credentials, which registries do not send).
        i = save;
        break;
      }
      i++;
      skip(/\s/);
      let value = '';
      if (header[i] === '"') {
        i++;
        while (i < header.length && header[i] !== '"') {
          if (header[i] === '\\' && i + 1 < header.length) i++;
          value += header[i];
          i++;
        }
        i++;
      } else {
        value = token();
      }
      challenge.params[key.toLowerCase()] = value;
    }
  }
  return challenges;
}

export function basicAuthorization(credential: Pick<RegistryCredential, 'username' | 'password'>): string {
  return `Basic ${Buffer.from(`${credential.username}:${credential.password}`).toString('base64')}`;
}

export interface Token {
  token: string;
  /** When to stop using it (ms since the epoch). */
  expiresAt: number;
}

/**
 * Asks the token endpoint of a Bearer challenge for a token covering `scopes`: GET with basic credentials (or none,
 * for anonymous pulls), or, with an identity token, the OAuth2 refresh-token POST. Errors carry the endpoint's message.
 */
export async function fetchToken(challenge: Challenge, scopes: readonly string[], credential: RegistryCredential | undefined, opts: { signal?: AbortSignal; userAgent: string; now?: () => number }): Promise<Token> {
  const realm = challenge.params.realm;
  if (!realm) throw new ImageError('ErrImagePull', 'the registry asked for a Bearer token but named no realm to get it from');
  let url: URL;
  try {
    url = new URL(realm);
  } catch {
    throw new ImageError('ErrImagePull', `the registry's token realm "${realm}" is not a URL`);
  }
  const service = challenge.params.service;
  const allScopes = [...new Set([...(challenge.params.scope ? challenge.params.scope.split(' ') : []), ...scopes])];
  let res: Response;
  const headers: Record<string, string> = { 'user-agent': opts.userAgent, accept: 'application/json' };
  try {
    if (credential?.identityToken !== undefined) {
      const form = new URLSearchParams({ grant_type: 'refresh_token', refresh_token: credential.identityToken, client_id: 'floe' });
      if (service) form.set('service', service);
      if (allScopes.length > 0) form.set('scope', allScopes.join(' '));
      res = await fetch(url, { method: 'POST', headers: { ...headers, 'content-type': 'application/x-www-form-urlencoded' }, body: form.toString(), ...(opts.signal ? { signal: opts.signal } : {}) });
    } else {
      if (service) url.searchParams.set('service', service);
      for (const s of allScopes) url.searchParams.append('scope', s);
      if (credential) headers.authorization = basicAuthorization(credential);
      res = await fetch(url, { headers, ...(opts.signal ? { signal: opts.signal } : {}) });
    }
  } catch (err) {
    throw new ImageError('ErrImagePull', `cannot reach the token endpoint ${url.origin}${url.pathname}: ${networkMessage(err)}`, { cause: err });
  }
  const text = await res.text();
  if (!res.ok) {
    const who = !credential ? 'anonymously' : credential.identityToken !== undefined ? `for the identity token in ${credential.source}` : `as "${credential.username}" (${credential.source})`;
    throw new ImageError('ErrImagePull', `the token endpoint ${url.origin}${url.pathname} refused a token ${who}: HTTP ${res.status}${registryMessage(text) ? `: ${registryMessage(text)}` : ''}`, { status: res.status === 401 ? 'Unauthorized' : res.status === 403 ? 'Forbidden' : 'ServiceUnavailable' });
  }
  let body: { token?: unknown; access_token?: unknown; expires_in?: unknown };
  try {
    body = JSON.parse(text) as typeof body;
  } catch {
    throw new ImageError('ErrImagePull', `the token endpoint ${url.origin}${url.pathname} answered something that is not JSON`);
  }
  const token = typeof body.token === 'string' && body.token !== '' ? body.token : typeof body.access_token === 'string' ? body.access_token : '';
  if (token === '') throw new ImageError('ErrImagePull', `the token endpoint ${url.origin}${url.pathname} answered without a token`);
  // The spec's default lifetime is 60 s; leave a margin so a token never expires in flight.
  const lifetime = typeof body.expires_in === 'number' && body.expires_in > 0 ? body.expires_in : 60;
  return { token, expiresAt: (opts.now ?? Date.now)() + Math.max(lifetime - 10, 1) * 1000 };
}

/** The `errors[].code: message` list of a distribution API error body, or its text when it is short. */
export function registryMessage(text: string): string {
  try {
    const doc = JSON.parse(text) as { errors?: { code?: string; message?: string; detail?: unknown }[]; details?: string; error?: string };
    if (Array.isArray(doc.errors) && doc.errors.length > 0) return doc.errors.map((e) => [e.code, e.message].filter(Boolean).join(': ')).join('; ');
    if (typeof doc.details === 'string') return doc.details;
    if (typeof doc.error === 'string') return doc.error;
  } catch {
    // not JSON
  }
  const trimmed = text.trim();
  return trimmed.length > 0 && trimmed.length <= 300 && !trimmed.startsWith('<') ? trimmed : '';
}

/** What went wrong on the wire, from fetch's TypeError and its cause (ECONNREFUSED, a TLS failure, a timeout). */
export function networkMessage(err: unknown): string {
  const e = err as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (e?.name === 'AbortError') return 'the pull was cancelled';
  if (e?.name === 'TimeoutError') return 'the request timed out';
  return e?.cause?.message ?? e?.cause?.code ?? e?.message ?? String(err);
}
