// Image references as Docker and Kubernetes read them: the distribution/reference grammar, Docker Hub defaulting
// (`busybox` → `docker.io/library/busybox:latest`), tags, digests, registries with ports and IPv6 hosts. Pure.
import { ImageError } from './errors.js';

/** A parsed reference. `domain` is '' only from the strict `parseReference` when the name has no registry part. */
export interface ImageReference {
  /** Registry host, with its port when given: `docker.io`, `localhost:5000`, `[::1]:5000`. */
  readonly domain: string;
  /** Repository path inside the registry: `library/busybox`, `team/train`. */
  readonly path: string;
  readonly tag?: string;
  readonly digest?: string;
}

export const dockerHubDomain = 'docker.io';
const legacyDockerHubDomain = 'index.docker.io';
/** Where Docker Hub's registry API answers (`docker.io` names the registry but serves no API). */
export const dockerHubRegistryHost = 'registry-1.docker.io';
export const defaultTag = 'latest';
const maxPathLength = 255;

// The grammar, piece by piece (distribution/reference's documented grammar, written out here).
const domainComponent = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const domainName = `${domainComponent}(?:\\.${domainComponent})*`;
const ipv6Host = '\\[[a-fA-F0-9:]+\\]';
const domainAndPort = new RegExp(`^(?:${domainName}|${ipv6Host})(?::[0-9]+)?$`);
const pathComponent = '[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*';
const remoteName = new RegExp(`^${pathComponent}(?:/${pathComponent})*$`);
const tagPattern = /^\w[\w.-]{0,127}$/;
const digestPattern = /^[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}$/;
const identifierPattern = /^[a-f0-9]{64}$/;
/** Hex lengths of the digest algorithms OCI registers (and go-digest accepts). */
const digestHexLength: Record<string, number> = { sha256: 64, sha384: 96, sha512: 128 };

function invalid(input: string, why: string): ImageError {
  return new ImageError('InvalidImageName', `invalid image reference "${input}": ${why}`);
}

/** Checks `algorithm:hex` as go-digest does: a registered algorithm, its exact length, lowercase hex. */
export function validateDigest(digest: string, input = digest): void {
  if (!digestPattern.test(digest)) throw invalid(input, `invalid digest format "${digest}"`);
  const [algorithm, hex] = digest.split(':') as [string, string];
  const length = digestHexLength[algorithm];
  if (length === undefined) throw invalid(input, `unsupported digest algorithm "${algorithm}"`);
  if (hex.length !== length) throw invalid(input, `invalid checksum digest length (${algorithm} needs ${length} hex digits, got ${hex.length})`);
  if (!/^[a-f0-9]+$/.test(hex)) throw invalid(input, 'invalid checksum digest format (lowercase hex digits only)');
}

/** Splits a name into registry domain and path the way the grammar does: a leading domain needs a '/' after it. */
function splitName(name: string): { domain: string; path: string } | undefined {
  const slash = name.indexOf('/');
  if (slash > 0) {
    const domain = name.slice(0, slash);
    const path = name.slice(slash + 1);
    if (domainAndPort.test(domain) && remoteName.test(path)) return { domain, path };
  }
  return remoteName.test(name) ? { domain: '', path: name } : undefined;
}

/**
 * The strict grammar (distribution/reference's `Parse`): no defaulting, `domain` '' when the name has none. Throws an
 * `ImageError` (`InvalidImageName`) saying what is wrong.
 */
export function parseReference(input: string): ImageReference {
  if (input === '') throw invalid(input, 'repository name must have at least one component');
  const parts = input.split('@');
  if (parts.length > 2) throw invalid(input, 'invalid reference format');
  const [nameTag, digest] = parts as [string, string | undefined];
  const colon = nameTag.lastIndexOf(':');
  const hasTag = colon > nameTag.lastIndexOf('/');
  const name = hasTag ? nameTag.slice(0, colon) : nameTag;
  const tag = hasTag ? nameTag.slice(colon + 1) : undefined;
  if (name === '') throw invalid(input, 'invalid reference format');
  if (tag !== undefined && !tagPattern.test(tag)) throw invalid(input, 'invalid reference format');
  if (digest !== undefined && !digestPattern.test(digest)) throw invalid(input, 'invalid reference format');
  const split = splitName(name);
  if (!split) {
    if (name.toLowerCase() !== name && splitName(name.toLowerCase())) throw invalid(input, 'repository name must be lowercase');
    throw invalid(input, 'invalid reference format');
  }
  if (split.path.length > maxPathLength) throw invalid(input, `repository name must not be more than ${maxPathLength} characters`);
  if (digest !== undefined) validateDigest(digest, input);
  return { ...split, ...(tag !== undefined ? { tag } : {}), ...(digest !== undefined ? { digest } : {}) };
}

/** Docker's split of a familiar name: the first component is a registry only if it looks like one. */
function splitDockerDomain(input: string): { domain: string; remainder: string } {
  const slash = input.indexOf('/');
  if (slash < 0) return { domain: dockerHubDomain, remainder: `library/${input}` };
  const first = input.slice(0, slash);
  const rest = input.slice(slash + 1);
  let domain: string;
  let remainder: string;
  if (first === 'localhost') [domain, remainder] = [first, rest];
  else if (first === legacyDockerHubDomain) [domain, remainder] = [dockerHubDomain, rest];
  else if (/[.:]/.test(first)) [domain, remainder] = [first, rest];
  // Repository paths are lowercase, so an uppercase first component can only be a host.
  else if (first.toLowerCase() !== first) [domain, remainder] = [first, rest];
  else [domain, remainder] = [dockerHubDomain, input];
  if (domain === dockerHubDomain && !remainder.includes('/')) remainder = `library/${remainder}`;
  return { domain, remainder };
}

/**
 * A reference as `docker pull` and the kubelet read it (distribution/reference's `ParseNormalizedNamed`): Docker Hub
 * when no registry is named, `library/` for its official images, `latest` when neither tag nor digest is given.
 */
export function normalizeReference(input: string): ImageReference & { domain: string } {
  if (identifierPattern.test(input)) throw invalid(input, 'a 64-character hexadecimal string is an image ID, not a repository name');
  const { domain, remainder } = splitDockerDomain(input);
  const colon = remainder.indexOf(':');
  const remote = colon >= 0 ? remainder.slice(0, colon) : remainder;
  if (remote.toLowerCase() !== remote) throw invalid(input, `repository name (${remote}) must be lowercase`);
  const parsed = parseReference(`${domain}/${remainder}`);
  if (parsed.tag === undefined && parsed.digest === undefined) return { ...parsed, tag: defaultTag };
  return parsed;
}

/** `domain/path[:tag][@digest]` (or the path alone when the domain is ''). */
export function formatReference(ref: ImageReference): string {
  return `${repositoryName(ref)}${ref.tag !== undefined ? `:${ref.tag}` : ''}${ref.digest !== undefined ? `@${ref.digest}` : ''}`;
}

/** `domain/path`: the repository, without tag or digest. */
export function repositoryName(ref: Pick<ImageReference, 'domain' | 'path'>): string {
  return ref.domain === '' ? ref.path : `${ref.domain}/${ref.path}`;
}

/**
 * The name an image is stored and matched under: with a digest, `repo@digest` (the content, whatever tag came with it,
 * as `ParseDockerRef` does); otherwise `repo:tag`.
 */
export function canonicalName(ref: ImageReference): string {
  if (ref.digest !== undefined) return `${repositoryName(ref)}@${ref.digest}`;
  return `${repositoryName(ref)}:${ref.tag ?? defaultTag}`;
}

/** The short form Docker shows: `busybox:1.36` for `docker.io/library/busybox:1.36`, `team/app` for Docker Hub users. */
export function familiarName(ref: ImageReference): string {
  let repo = repositoryName(ref);
  if (ref.domain === dockerHubDomain) {
    repo = ref.path;
    const rest = repo.startsWith('library/') ? repo.slice('library/'.length) : undefined;
    if (rest !== undefined && !rest.includes('/')) repo = rest;
  }
  return `${repo}${ref.tag !== undefined ? `:${ref.tag}` : ''}${ref.digest !== undefined ? `@${ref.digest}` : ''}`;
}

/** The host the registry API answers at: Docker Hub's API lives on `registry-1.docker.io`. */
export function registryHost(domain: string): string {
  return domain === dockerHubDomain || domain === legacyDockerHubDomain ? dockerHubRegistryHost : domain;
}

/**
 * Kubernetes' default `imagePullPolicy` (core/v1 defaulting): `Always` when the tag is `latest`, given or implied by
 * having neither tag nor digest; `IfNotPresent` otherwise, a reference that does not parse included.
 */
export function defaultPullPolicy(image: string): 'Always' | 'IfNotPresent' {
  try {
    return normalizeReference(image).tag === defaultTag ? 'Always' : 'IfNotPresent';
  } catch {
    return 'IfNotPresent';
  }
}
