// Registry credentials: a docker config.json (`auths`), Kubernetes imagePullSecrets (dockerconfigjson and the legacy
// dockercfg), and which of them apply to an image, matched as the kubelet's keyring matches them. Pure.
import { ImageError } from './errors.js';

export interface RegistryCredential {
  username: string;
  password: string;
  /** An OAuth2 refresh token (`identitytoken` in config.json): exchanged at the token endpoint instead of the password. */
  identityToken?: string;
  /** Where it came from, for error messages: `~/.docker/config.json`, `secret default/regcred`. */
  source: string;
}

/** One `auths` entry, with the key it was filed under. */
export interface CredentialEntry extends RegistryCredential {
  key: string;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function entryFrom(key: string, v: unknown, source: string): CredentialEntry | undefined {
  if (!isObject(v)) return undefined;
  let username = typeof v.username === 'string' ? v.username : '';
  let password = typeof v.password === 'string' ? v.password : '';
  if (typeof v.auth === 'string' && v.auth !== '') {
    const decoded = Buffer.from(v.auth, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) throw new ImageError('ErrImagePull', `${source}: the auth of "${key}" is not base64 of user:password`);
    username = decoded.slice(0, colon);
    password = decoded.slice(colon + 1);
  }
  const identityToken = typeof v.identitytoken === 'string' && v.identitytoken !== '' ? v.identitytoken : undefined;
  if (username === '' && password === '' && identityToken === undefined) return undefined;
  return { key, username, password, source, ...(identityToken !== undefined ? { identityToken } : {}) };
}

/**
 * The credentials in a docker config.json (`{"auths": {"registry": {"auth": base64(user:pass)}}}` or with `username`
 * and `password`), or in the legacy .dockercfg shape (the same map without `auths`). `source` names it in errors.
 * Credential helpers (`credsStore`, `credHelpers`) run programs and are not consulted.
 */
export function parseDockerConfig(json: string | Buffer | object, source: string): CredentialEntry[] {
  let doc: unknown = json;
  if (typeof json === 'string' || Buffer.isBuffer(json)) {
    try {
      doc = JSON.parse(json.toString());
    } catch {
      throw new ImageError('ErrImagePull', `${source} is not JSON`);
    }
  }
  if (!isObject(doc)) throw new ImageError('ErrImagePull', `${source} is not a JSON object`);
  const auths = isObject(doc.auths) ? doc.auths : doc;
  return Object.entries(auths).flatMap(([key, v]) => entryFrom(key, v, source) ?? []);
}

/** A Secret as the API returns it: `data` values are base64. */
export interface PullSecret {
  metadata?: { name?: string; namespace?: string };
  type?: string;
  data?: Record<string, string>;
}

/**
 * The credentials of one imagePullSecret: `kubernetes.io/dockerconfigjson` (`.dockerconfigjson`) or
 * `kubernetes.io/dockercfg` (`.dockercfg`). Other types carry no registry credentials and give none.
 */
export function parsePullSecret(secret: PullSecret): CredentialEntry[] {
  const name = `secret ${secret.metadata?.namespace ?? ''}${secret.metadata?.namespace ? '/' : ''}${secret.metadata?.name ?? '(unnamed)'}`;
  const field = secret.type === 'kubernetes.io/dockercfg' ? '.dockercfg' : '.dockerconfigjson';
  const data = secret.data?.[field];
  if (data === undefined) return [];
  return parseDockerConfig(Buffer.from(data, 'base64'), name);
}

const dockerHubAliases = new Set(['docker.io', 'index.docker.io', 'registry-1.docker.io']);

/** A config key as host (lowercase, Docker Hub's names folded to docker.io), port and path prefix. */
function parseKey(key: string): { hostLabels: string[]; port: string; path: string } {
  let rest = key.trim().replace(/^[a-z]+:\/\//i, '');
  const slash = rest.indexOf('/');
  let path = slash >= 0 ? rest.slice(slash + 1).replace(/\/+$/, '') : '';
  rest = slash >= 0 ? rest.slice(0, slash) : rest;
  const { host, port } = splitHostPort(rest);
  let h = host.toLowerCase();
  if (dockerHubAliases.has(h)) {
    h = 'docker.io';
    // Docker Hub's key is "https://index.docker.io/v1/": the API version is no repository prefix.
    if (/^v[12]$/.test(path)) path = '';
  }
  return { hostLabels: h.split('.'), port, path };
}

function splitHostPort(hostPort: string): { host: string; port: string } {
  if (hostPort.startsWith('[')) {
    const end = hostPort.indexOf(']');
    return { host: hostPort.slice(0, end + 1), port: hostPort.slice(end + 2) };
  }
  const colon = hostPort.lastIndexOf(':');
  return colon >= 0 ? { host: hostPort.slice(0, colon), port: hostPort.slice(colon + 1) } : { host: hostPort, port: '' };
}

function globLabel(pattern: string, label: string): boolean {
  if (!pattern.includes('*')) return pattern === label;
  const re = new RegExp(`^${pattern.split('*').map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('[^.]*')}$`);
  return re.test(label);
}

/**
 * The credentials that apply to `domain/path`, most specific key first: the host must match label by label (`*` is a
 * wildcard within one label, as in `*.example.com`), the port must be equal, and the key's path, if any, must be a
 * prefix of the repository path.
 */
export function credentialsFor(entries: readonly CredentialEntry[], domain: string, path: string): RegistryCredential[] {
  const target = parseKey(domain);
  const matches = entries.filter((e) => {
    const key = parseKey(e.key);
    if (key.port !== target.port || key.hostLabels.length !== target.hostLabels.length) return false;
    if (!key.hostLabels.every((l, i) => globLabel(l, target.hostLabels[i]!))) return false;
    return key.path === '' || path === key.path || path.startsWith(`${key.path}/`);
  });
  // Longer keys are more specific (a path prefix, no wildcard); stable for equal lengths, so config order breaks ties.
  return matches
    .map((e, i) => ({ e, i, weight: e.key.replace(/^[a-z]+:\/\//i, '').replace(/\*/g, '').length }))
    .sort((a, b) => b.weight - a.weight || a.i - b.i)
    .map(({ e }) => ({ username: e.username, password: e.password, source: e.source, ...(e.identityToken !== undefined ? { identityToken: e.identityToken } : {}) }));
}
