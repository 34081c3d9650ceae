// A client of the OCI distribution API: manifests (OCI and Docker v2, indexes resolved to one platform), blobs with
// their digests checked, pushes, and the registry's authentication (anonymous, Basic, or Bearer tokens).
import { Readable } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { basicAuthorization, fetchToken, networkMessage, parseChallenges, registryMessage, type Challenge } from './auth.js';
import { credentialsFor, type CredentialEntry, type RegistryCredential } from './credentials.js';
import { checkDigest, HashingStream, sha256Digest } from './digest.js';
import { ImageError } from './errors.js';
import { hostPlatform, manifestAccept, parseManifest, selectPlatform, type Descriptor, type ImageIndex, type ImageManifest, type Platform } from './manifest.js';
import { formatReference, registryHost, type ImageReference } from './reference.js';

export interface RegistryClientOptions {
  /** Credentials to choose from (docker config.json entries, imagePullSecrets), matched to each image's registry. */
  credentials?: readonly CredentialEntry[];
  /** Registries (`host:port`) reached over plain HTTP; localhost, 127.0.0.0/8 and [::1] always are. */
  insecureRegistries?: readonly string[];
  /** The platform chosen from an index (default: this machine's, linux/amd64 here). */
  platform?: Platform;
  userAgent?: string;
  now?: () => number;
}

/** A manifest resolved from a reference: the platform's manifest, and the index it was chosen from, if any. */
export interface ResolvedManifest {
  manifest: ImageManifest;
  digest: string;
  body: Buffer;
  index?: { index: ImageIndex; digest: string; body: Buffer };
}

interface FetchedManifest {
  body: Buffer;
  digest: string;
  parsed: ImageIndex | ImageManifest;
}

type Actions = 'pull' | 'pull,push';

/** Whether `domain` is reached over HTTP: loopback names and addresses, and the registries marked insecure. */
export function usesPlainHttp(domain: string, insecure: readonly string[] = []): boolean {
  const host = domain.startsWith('[') ? domain.slice(0, domain.indexOf(']') + 1) : domain.split(':')[0]!;
  if (host === 'localhost' || host === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(host)) return true;
  return insecure.includes(domain) || insecure.includes(host);
}

export class RegistryClient {
  private readonly credentials: readonly CredentialEntry[];
  private readonly insecure: readonly string[];
  private readonly platform: Platform;
  private readonly userAgent: string;
  private readonly now: () => number;
  /** Authorization header per registry and scope, with when it stops being good. */
  private readonly authCache = new Map<string, { header: string; expiresAt: number }>();

  constructor(options: RegistryClientOptions = {}) {
    this.credentials = options.credentials ?? [];
    this.insecure = options.insecureRegistries ?? [];
    this.platform = options.platform ?? hostPlatform();
    this.userAgent = options.userAgent ?? 'floe-images/0.1';
    this.now = options.now ?? Date.now;
  }

  /** `https://registry-1.docker.io` for docker.io, `http://127.0.0.1:5000` for a loopback registry. */
  baseUrl(domain: string): string {
    return `${usesPlainHttp(domain, this.insecure) ? 'http' : 'https'}://${registryHost(domain)}`;
  }

  /** The image manifest `ref` names for this client's platform, going through an index when the registry has one. */
  async resolve(ref: ImageReference, signal?: AbortSignal): Promise<ResolvedManifest> {
    const first = await this.fetchManifest(ref, ref.digest ?? ref.tag ?? 'latest', signal);
    if (ref.digest !== undefined) checkDigest(`manifest ${formatReference(ref)}`, { digest: ref.digest }, { digest: first.digest });
    if (first.parsed.kind === 'manifest') return { manifest: first.parsed, digest: first.digest, body: first.body };
    const chosen = selectPlatform(first.parsed, this.platform);
    const second = await this.fetchManifest(ref, chosen.digest, signal);
    checkDigest(`manifest ${chosen.digest} of ${formatReference(ref)}`, chosen, { digest: second.digest, bytes: second.body.length });
    if (second.parsed.kind !== 'manifest') throw new ImageError('ErrImagePull', `the index entry for ${chosen.platform?.os}/${chosen.platform?.architecture} is itself an index: nested indexes are not supported`);
    return { manifest: second.parsed, digest: second.digest, body: second.body, index: { index: first.parsed, digest: first.digest, body: first.body } };
  }

  /** GET /v2/<name>/manifests/<reference> with every manifest type in Accept; the body and its digest. */
  async fetchManifest(ref: ImageReference, reference: string, signal?: AbortSignal): Promise<FetchedManifest> {
    const res = await this.send(ref, 'pull', { method: 'GET', path: `manifests/${reference}`, headers: { accept: manifestAccept } }, signal);
    await this.expectOk(res, `manifest ${reference} of ${formatReference(ref)}`);
    const body = Buffer.from(await res.arrayBuffer());
    const digest = sha256Digest(body);
    const header = res.headers.get('docker-content-digest');
    // The header is the registry's word; for a tag it is all there is to check the body against.
    if (header && header.startsWith('sha256:') && header !== digest) throw new ImageError('ErrImagePull', `manifest ${reference} of ${formatReference(ref)}: the body's digest ${digest} is not the Docker-Content-Digest ${header} the registry sent`);
    return { body, digest, parsed: parseManifest(body, res.headers.get('content-type') ?? undefined) };
  }

  /**
   * A blob's bytes as a stream that fails, at its end, unless they hash to `desc.digest` and count `desc.size`.
   * Redirects (to a CDN or object store) are followed without the registry's Authorization header.
   */
  async fetchBlob(ref: ImageReference, desc: Pick<Descriptor, 'digest' | 'size'>, signal?: AbortSignal): Promise<Readable> {
    const res = await this.send(ref, 'pull', { method: 'GET', path: `blobs/${desc.digest}` }, signal);
    await this.expectOk(res, `blob ${desc.digest} of ${formatReference(ref)}`);
    if (!res.body) throw new ImageError('ErrImagePull', `blob ${desc.digest} of ${formatReference(ref)}: the registry sent no body`);
    const what = `blob ${desc.digest} of ${formatReference(ref)}`;
    const source = Readable.fromWeb(res.body as WebReadableStream<Uint8Array>);
    const verified = new HashingStream({ expect: { what, digest: desc.digest, size: desc.size } });
    source.on('error', (err) => verified.destroy(new ImageError('ErrImagePull', `downloading ${what}: ${networkMessage(err)}`, { cause: err })));
    return source.pipe(verified);
  }

  /** A small blob (a config) read whole and checked. */
  async fetchBlobBuffer(ref: ImageReference, desc: Pick<Descriptor, 'digest' | 'size'>, signal?: AbortSignal): Promise<Buffer> {
    const stream = await this.fetchBlob(ref, desc, signal);
    const chunks: Buffer[] = [];
    for await (const chunk of stream) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks);
  }

  /** Uploads a blob unless the registry has it (HEAD first): POST an upload, then PUT it whole with its digest. */
  async pushBlob(ref: ImageReference, data: Buffer, signal?: AbortSignal): Promise<Descriptor & { uploaded: boolean }> {
    const digest = sha256Digest(data);
    const head = await this.send(ref, 'pull,push', { method: 'HEAD', path: `blobs/${digest}` }, signal);
    if (head.ok) return { mediaType: 'application/octet-stream', digest, size: data.length, uploaded: false };
    const start = await this.send(ref, 'pull,push', { method: 'POST', path: 'blobs/uploads/' }, signal);
    await this.expectOk(start, `starting the upload of blob ${digest} to ${formatReference(ref)}`);
    const location = start.headers.get('location');
    if (!location) throw new ImageError('ErrImagePull', `the registry started an upload to ${formatReference(ref)} without a Location`);
    const url = new URL(location, `${this.baseUrl(ref.domain)}/`);
    url.searchParams.set('digest', digest);
    const put = await this.send(ref, 'pull,push', { method: 'PUT', url: url.toString(), headers: { 'content-type': 'application/octet-stream' }, body: data }, signal);
    await this.expectOk(put, `uploading blob ${digest} to ${formatReference(ref)}`);
    return { mediaType: 'application/octet-stream', digest, size: data.length, uploaded: true };
  }

  /** PUT /v2/<name>/manifests/<tag or digest>; the digest the registry stored it under. */
  async pushManifest(ref: ImageReference, reference: string, body: Buffer, mediaType: string, signal?: AbortSignal): Promise<string> {
    const res = await this.send(ref, 'pull,push', { method: 'PUT', path: `manifests/${reference}`, headers: { 'content-type': mediaType }, body }, signal);
    await this.expectOk(res, `pushing manifest ${reference} to ${formatReference(ref)}`);
    return res.headers.get('docker-content-digest') ?? sha256Digest(body);
  }

  private async expectOk(res: Response, what: string): Promise<void> {
    if (res.ok) return;
    const text = await res.text().catch(() => '');
    const message = registryMessage(text);
    const status = res.status === 404 ? 'NotFound' : res.status === 401 ? 'Unauthorized' : res.status === 403 ? 'Forbidden' : res.status === 429 ? 'TooManyRequests' : 'ServiceUnavailable';
    const hint = res.status === 401 ? ' (authentication required: give credentials in a docker config.json or an imagePullSecret)' : '';
    throw new ImageError('ErrImagePull', `${what}: ${message || res.statusText || 'failed'} (HTTP ${res.status} from ${new URL(res.url).origin})${hint}`, { status });
  }

  /**
   * One request to the repository's API, authenticated as the registry asks: on a 401 it reads the challenge, gets a
   * Bearer token (or uses Basic) with each matching credential in turn (anonymous when none matches), and retries.
   */
  private async send(ref: ImageReference, actions: Actions, req: { method: string; path?: string; url?: string; headers?: Record<string, string>; body?: Buffer }, signal?: AbortSignal): Promise<Response> {
    const base = this.baseUrl(ref.domain);
    const url = req.url ?? `${base}/v2/${ref.path}/${req.path ?? ''}`;
    const scope = `repository:${ref.path}:${actions}`;
    const cacheKey = `${ref.domain} ${scope}`;
    const attempt = async (authorization: string | undefined): Promise<Response> => {
      const headers: Record<string, string> = { 'user-agent': this.userAgent, ...(req.headers ?? {}) };
      if (authorization) headers.authorization = authorization;
      try {
        return await fetch(url, { method: req.method, headers, ...(req.body ? { body: req.body } : {}), redirect: 'follow', ...(signal ? { signal } : {}) });
      } catch (err) {
        if (err instanceof Error && err.name === 'AbortError') throw err;
        throw new ImageError('ErrImagePull', `cannot reach the registry at ${base}: ${networkMessage(err)}`, { cause: err });
      }
    };
    const cached = this.authCache.get(cacheKey);
    let res = await attempt(cached && cached.expiresAt > this.now() ? cached.header : undefined);
    if (res.status !== 401) return res;
    const challenges = parseChallenges(res.headers.get('www-authenticate') ?? '');
    const challenge = challenges.find((c) => c.scheme === 'bearer') ?? challenges.find((c) => c.scheme === 'basic');
    if (!challenge) return res;
    const candidates: (RegistryCredential | undefined)[] = credentialsFor(this.credentials, ref.domain, ref.path);
    if (candidates.length === 0) candidates.push(undefined);
    let lastError: Error | undefined;
    for (const credential of candidates) {
      let auth: { header: string; expiresAt: number };
      try {
        auth = await this.authorize(challenge, scope, credential, signal);
      } catch (err) {
        lastError = err instanceof Error ? err : new Error(String(err));
        continue;
      }
      await res.body?.cancel().catch(() => undefined);
      res = await attempt(auth.header);
      if (res.status !== 401 && res.status !== 403) {
        this.authCache.set(cacheKey, auth);
        return res;
      }
    }
    if (lastError && res.status === 401) throw lastError;
    return res;
  }

  private async authorize(challenge: Challenge, scope: string, credential: RegistryCredential | undefined, signal?: AbortSignal): Promise<{ header: string; expiresAt: number }> {
    if (challenge.scheme === 'basic') {
      if (!credential) throw new ImageError('ErrImagePull', 'the registry requires a user name and password (Basic auth), and no credentials match it', { status: 'Unauthorized' });
      return { header: basicAuthorization(credential), expiresAt: Number.MAX_SAFE_INTEGER };
    }
    const token = await fetchToken(challenge, [scope], credential, { userAgent: this.userAgent, now: this.now, ...(signal ? { signal } : {}) });
    return { header: `Bearer ${token.token}`, expiresAt: token.expiresAt };
  }
}
