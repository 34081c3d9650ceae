// Model storage for KServe's storageUri: the schemes KServe's storage initializer downloads (s3://, gs://, http(s)://,
// pvc://, file:// and local paths), with the credentials and settings KServe's credential builder takes from the
// ServiceAccount's Secrets, downloaded once into a content-addressed cache under the data dir and shared by revisions.
import { createHash, createSign, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream, existsSync } from 'node:fs';
import { mkdir, readFile, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { rootCertificates } from 'node:tls';
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { createGunzip } from 'node:zlib';
import { GetObjectCommand, ListObjectsV2Command, S3Client, type S3ClientConfig } from '@aws-sdk/client-s3';
import { extract } from 'tar-stream';
import yauzl from 'yauzl';
import { FloeError } from '../../api/errors.js';
import type { KubeObject } from '../../api/meta.js';
import { ConfigMapRef, SecretRef } from '../../api/core-v1.js';
import type { Client } from '../../client/client.js';

const ServiceAccountRef = { apiVersion: 'v1', kind: 'ServiceAccount' } as const;
const ClaimRef = { apiVersion: 'v1', kind: 'PersistentVolumeClaim' } as const;
const VolumeRef = { apiVersion: 'v1', kind: 'PersistentVolume' } as const;

/** KServe's Secret annotations for S3 (pkg/credentials/s3), read as its credential builder reads them. */
export const S3Annotations = {
  endpoint: 'serving.kserve.io/s3-endpoint',
  useHttps: 'serving.kserve.io/s3-usehttps',
  region: 'serving.kserve.io/s3-region',
  verifySsl: 'serving.kserve.io/s3-verifyssl',
  useVirtualBucket: 'serving.kserve.io/s3-usevirtualbucket',
  useAnonymousCredential: 'serving.kserve.io/s3-useanoncredential',
  caBundle: 'serving.kserve.io/s3-cabundle',
  caBundleConfigMap: 'serving.kserve.io/s3-cabundle-configmap',
} as const;

/** An InferenceService annotation naming the one Secret to use instead of the ServiceAccount's (KServe's default storageSecretNameAnnotation). */
export const StorageSecretNameAnnotation = 'serving.kserve.io/storageSecretName';
/** The ConfigMap KServe copies into the namespace with the cluster's extra CAs (key `cabundle.crt`). */
export const GlobalCaBundleConfigMap = 'global-ca-bundle';

/** A storageUri, parsed: where the model is, as a discriminated union of the schemes Floe reads. */
export type StorageSource =
  | { scheme: 'local'; path: string }
  | { scheme: 's3'; bucket: string; path: string }
  | { scheme: 'gs'; bucket: string; path: string }
  | { scheme: 'http'; url: URL }
  | { scheme: 'pvc'; claim: string; path: string };

const unsupported = ['hdfs', 'webhdfs', 'hf', 'oci', 'modelscope', 'git'];
const readable = 's3://, gs://, http://, https://, pvc://, file:// and local paths';

/** Parses a storageUri, or throws an Invalid FloeError naming the field. */
export function parseStorageUri(uri: string, field: string): StorageSource {
  if (uri.startsWith('file://')) return { scheme: 'local', path: fileURLToPath(uri) };
  if (uri.startsWith('/')) return { scheme: 'local', path: uri };
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(uri)?.[1]?.toLowerCase() ?? '';
  const bad = (why: string): FloeError => new FloeError('Invalid', `${field} ${uri}: ${why}`);
  switch (scheme) {
    case 's3': {
      const rest = uri.slice('s3://'.length);
      const slash = rest.indexOf('/');
      const bucket = slash < 0 ? rest : rest.slice(0, slash);
      if (!bucket) throw bad('names no bucket (s3://<bucket>/<path>)');
      return { scheme: 's3', bucket, path: slash < 0 ? '' : rest.slice(slash + 1).replace(/^\/+/, '') };
    }
    case 'gs': {
      // KServe splits at the first `/`: the bucket, then the object path (a folder prefix or one object), kept as written.
      const rest = uri.slice('gs://'.length);
      const slash = rest.indexOf('/');
      const bucket = slash < 0 ? rest : rest.slice(0, slash);
      if (!bucket) throw bad('names no bucket (gs://<bucket>/<path>)');
      return { scheme: 'gs', bucket, path: slash < 0 ? '' : rest.slice(slash + 1) };
    }
    case 'http':
    case 'https': {
      let url: URL;
      try {
        url = new URL(uri);
      } catch {
        throw bad('is not a valid URL');
      }
      if (!basename(url.pathname)) throw bad('names no file (KServe downloads one file, or one .tar.gz/.tgz/.zip archive, from an http(s) URI)');
      return { scheme: 'http', url };
    }
    case 'pvc': {
      const rest = uri.slice('pvc://'.length);
      const slash = rest.indexOf('/');
      const claim = slash < 0 ? rest : rest.slice(0, slash);
      if (!claim) throw bad('names no PersistentVolumeClaim (pvc://<claim>/<path>)');
      return { scheme: 'pvc', claim, path: slash < 0 ? '' : rest.slice(slash + 1) };
    }
    case '':
      throw bad('is neither a URI (s3://, gs://, http(s)://, pvc://, file://) nor an absolute path');
    default:
      if (unsupported.includes(scheme)) {
        throw bad(`Floe cannot download ${scheme}:// storage (it reads ${readable})`);
      }
      throw bad(`Floe cannot read ${scheme}:// storage (it reads ${readable})`);
  }
}

/** The settings of one download, as the environment KServe's credential builder gives its storage initializer. */
export interface S3Settings {
  endpointUrl?: string;
  region?: string;
  verifySsl: boolean;
  virtualBucket: boolean;
  anonymous: boolean;
  credentials?: { accessKeyId: string; secretAccessKey: string };
  /** Extra CAs to trust (PEM), beside the system's. */
  ca?: string;
}

type Secret = KubeObject & { data?: Record<string, string>; stringData?: Record<string, string>; type?: string };
type ServiceAccount = KubeObject & { secrets?: { name?: string }[] };

/** What a download may use from the namespace: the first S3 Secret, the https headers per host, extra CAs. */
export interface StorageCredentials {
  s3: S3Settings;
  /** KServe's `<host>-headers`: the request headers (JSON) of an https Secret, by host. */
  headers: Record<string, Record<string, string>>;
  /** The namespace's global-ca-bundle, for http(s) downloads. */
  ca?: string;
  /** The service-account key of a GCS Secret (KServe's `gcloud-application-credentials.json`), and the Secret's name. */
  gcs?: { key: GcsServiceAccountKey; secret: string };
}

/** The data key of a GCS Secret, which KServe mounts at /var/secrets/ and names in GOOGLE_APPLICATION_CREDENTIALS. */
export const GcsCredentialFileName = 'gcloud-application-credentials.json';

/** The fields of a Google service-account key file Floe signs with. */
export interface GcsServiceAccountKey {
  client_email: string;
  private_key: string;
  private_key_id?: string;
  token_uri?: string;
}

const secretValue = (secret: Secret, key: string): string | undefined => {
  const s = secret.stringData?.[key];
  if (s !== undefined) return s;
  const d = secret.data?.[key];
  return d === undefined ? undefined : Buffer.from(d, 'base64').toString('utf8');
};

const falsy = (v: string | undefined): boolean => v !== undefined && ['0', 'false'].includes(v.trim().toLowerCase());

async function getOrUndefined<T extends KubeObject>(client: Client, ref: { apiVersion: string; kind: string }, name: string, namespace: string): Promise<T | undefined> {
  try {
    return await client.get<T>(ref, name, namespace);
  } catch (err) {
    if (err instanceof FloeError && err.reason === 'NotFound') return undefined;
    throw err;
  }
}

/**
 * The credentials of a namespace's ServiceAccount (`default` unless named), as KServe's credential builder reads them:
 * the InferenceService's `serving.kserve.io/storageSecretName` Secret if given, else each Secret the ServiceAccount
 * lists; a Secret with `AWS_SECRET_ACCESS_KEY` is an S3 one (its annotations, or the same keys in its data, give the
 * endpoint, https, region, verify and anonymous settings), one with `https-host` and `headers` gives request headers.
 * Without an S3 Secret, S3 requests go unsigned: Floe never lends its own process's AWS credentials to a model.
 */
export async function storageCredentials(client: Client, namespace: string, serviceAccountName: string | undefined, annotations: Record<string, string> | undefined): Promise<StorageCredentials> {
  const out: StorageCredentials = { s3: { verifySsl: true, virtualBucket: false, anonymous: true }, headers: {} };
  let names: string[] = [];
  const chosen = annotations?.[StorageSecretNameAnnotation];
  if (chosen) names = [chosen];
  else {
    const sa = await getOrUndefined<ServiceAccount>(client, ServiceAccountRef, serviceAccountName || 'default', namespace);
    names = (sa?.secrets ?? []).map((s) => s.name ?? '').filter(Boolean);
  }
  let s3Found = false;
  for (const name of names) {
    const secret = await getOrUndefined<Secret>(client, SecretRef, name, namespace);
    if (!secret) continue;
    const secretKey = secretValue(secret, 'AWS_SECRET_ACCESS_KEY') ?? secretValue(secret, 'awsSecretAccessKey');
    const gcsKey = secretValue(secret, GcsCredentialFileName);
    if (gcsKey !== undefined) {
      if (!out.gcs) out.gcs = { key: gcsServiceAccountKey(gcsKey, name), secret: name };
    } else if (secretKey !== undefined && !s3Found) {
      s3Found = true;
      out.s3 = await s3Settings(client, namespace, secret, secretKey);
    } else if (secretValue(secret, 'https-host') !== undefined && secretValue(secret, 'headers') !== undefined) {
      const host = secretValue(secret, 'https-host')!.trim();
      try {
        out.headers[host] = JSON.parse(secretValue(secret, 'headers')!) as Record<string, string>;
      } catch {
        throw new FloeError('Invalid', `Secret ${name}: headers must be a JSON object of request headers`);
      }
    }
  }
  const global = await getOrUndefined<KubeObject & { data?: Record<string, string> }>(client, ConfigMapRef, GlobalCaBundleConfigMap, namespace);
  const ca = global?.data?.['cabundle.crt'];
  if (ca) out.ca = ca;
  return out;
}

function gcsServiceAccountKey(text: string, secret: string): GcsServiceAccountKey {
  let key: Partial<GcsServiceAccountKey> & { type?: string };
  try {
    key = JSON.parse(text) as typeof key;
  } catch {
    throw new FloeError('Invalid', `Secret ${secret}: ${GcsCredentialFileName} is not JSON (a Google service-account key file)`);
  }
  if (key.type !== 'service_account' || typeof key.client_email !== 'string' || typeof key.private_key !== 'string') {
    throw new FloeError('Invalid', `Secret ${secret}: ${GcsCredentialFileName} must be a service-account key ("type": "service_account" with client_email and private_key); Floe reads no other kind`);
  }
  return key as GcsServiceAccountKey;
}

async function s3Settings(client: Client, namespace: string, secret: Secret, secretAccessKey: string): Promise<S3Settings> {
  // An annotation wins over the same setting in the Secret's data (KServe's getEnvValue).
  const value = (annotation: string, dataKey: string): string | undefined => secret.metadata.annotations?.[annotation] ?? secretValue(secret, dataKey);
  const settings: S3Settings = {
    verifySsl: !falsy(value(S3Annotations.verifySsl, 'S3_VERIFY_SSL')),
    virtualBucket: value(S3Annotations.useVirtualBucket, 'S3_USER_VIRTUAL_BUCKET')?.toLowerCase() === 'true',
    anonymous: value(S3Annotations.useAnonymousCredential, 'awsAnonymousCredential')?.toLowerCase() === 'true',
  };
  const endpoint = value(S3Annotations.endpoint, 'S3_ENDPOINT')?.trim();
  if (endpoint) {
    // A scheme in the endpoint wins over s3-usehttps; https by default.
    if (/^https?:\/\//i.test(endpoint)) settings.endpointUrl = endpoint;
    else settings.endpointUrl = `${value(S3Annotations.useHttps, 'S3_USE_HTTPS') === '0' ? 'http' : 'https'}://${endpoint}`;
  }
  const region = value(S3Annotations.region, 'AWS_DEFAULT_REGION');
  if (region) settings.region = region;
  const accessKeyId = secretValue(secret, 'AWS_ACCESS_KEY_ID') ?? secretValue(secret, 'awsAccessKeyID') ?? '';
  if (!settings.anonymous) settings.credentials = { accessKeyId, secretAccessKey };
  const cas: string[] = [];
  const caMap = value(S3Annotations.caBundleConfigMap, 'AWS_CA_BUNDLE_CONFIGMAP');
  if (caMap) {
    const map = await getOrUndefined<KubeObject & { data?: Record<string, string> }>(client, ConfigMapRef, caMap, namespace);
    const pem = map?.data?.['cabundle.crt'];
    if (!pem) throw new FloeError('Invalid', `Secret ${secret.metadata.name ?? ''}: ${S3Annotations.caBundleConfigMap} names ConfigMap ${caMap}, which has no cabundle.crt`);
    cas.push(pem);
  }
  const caFile = value(S3Annotations.caBundle, 'AWS_CA_BUNDLE');
  if (caFile) {
    if (!existsSync(caFile)) throw new FloeError('Invalid', `Secret ${secret.metadata.name ?? ''}: ca bundle file ${caFile} does not exist`);
    cas.push(await readFile(caFile, 'utf8'));
  }
  if (cas.length > 0) settings.ca = cas.join('\n');
  return settings;
}

/** `child` joined onto `root`, or an error when it would land outside it (`..`, absolute paths, NUL). */
export function within(root: string, child: string, what: string): string {
  const parts = child.split(/[\\/]+/).filter((p) => p !== '' && p !== '.');
  if (child.includes('\0') || isAbsolute(child) || parts.includes('..') || parts.length === 0) {
    throw new StorageDownloadError(`${what} ${JSON.stringify(child)} is not a path inside the model folder: refused`);
  }
  const target = resolve(root, ...parts);
  const rel = relative(root, target);
  if (rel === '' || rel.startsWith('..') || isAbsolute(rel)) throw new StorageDownloadError(`${what} ${JSON.stringify(child)} is not a path inside the model folder: refused`);
  return target;
}

/** A download that failed: the model's storage could not be read (the InferenceService says why). */
export class StorageDownloadError extends Error {
  override readonly name = 'StorageDownloadError';
}

/** The message a status condition carries for a storage failure: Invalid ones name the field already. */
export const storageMessage = (err: unknown, field: string, uri: string): string =>
  err instanceof StorageDownloadError ? `${field} ${uri}: ${err.message}` : (err as Error).message;

const archiveKind = (name: string): 'tar' | 'tgz' | 'zip' | undefined => {
  const n = name.toLowerCase();
  if (n.endsWith('.tar.gz') || n.endsWith('.tgz')) return 'tgz';
  if (n.endsWith('.tar')) return 'tar';
  if (n.endsWith('.zip')) return 'zip';
  return undefined;
};

async function writeStream(target: string, body: Readable): Promise<void> {
  await mkdir(dirname(target), { recursive: true, mode: 0o700 });
  await pipeline(body, createWriteStream(target, { flags: 'wx', mode: 0o600 }));
}

/** Unpacks a tar (optionally gzipped) archive into `dir`: regular files and folders only, every name contained. */
async function untar(file: string, dir: string, gzipped: boolean): Promise<void> {
  const ex = extract();
  const done = new Promise<void>((resolveDone, reject) => {
    ex.on('entry', (header, stream, next) => {
      // A refused entry destroys the extractor, which destroys this entry's stream with the same error: it is
      // reported once, by the extractor.
      stream.on('error', () => undefined);
      const fail = (err: unknown): void => {
        stream.resume();
        ex.destroy(err as Error);
      };
      try {
        const name = header.name.replace(/\/+$/, '');
        if (header.type === 'directory') {
          if (name !== '' && name !== '.') {
            mkdir(within(dir, name, 'archive entry'), { recursive: true, mode: 0o700 }).then(() => {
              stream.resume();
              next();
            }, fail);
          } else {
            stream.resume();
            next();
          }
          return;
        }
        if (header.type !== 'file' && header.type !== 'contiguous-file') {
          throw new StorageDownloadError(`archive entry ${JSON.stringify(header.name)} is a ${header.type ?? 'special file'}: only files and folders are unpacked, refused`);
        }
        const target = within(dir, name, 'archive entry');
        writeStream(target, stream as unknown as Readable).then(() => next(), fail);
      } catch (err) {
        fail(err);
      }
    });
    ex.on('finish', () => resolveDone());
    ex.on('error', reject);
  });
  const source = createReadStream(file);
  const feed = gzipped ? pipeline(source, createGunzip(), ex) : pipeline(source, ex);
  await Promise.all([feed, done]).catch((err: unknown) => {
    if (err instanceof StorageDownloadError) throw err;
    throw new StorageDownloadError(`Failed to unpack archive file. The file format is not valid. (${(err as Error).message})`);
  });
}

/** Unpacks a zip archive into `dir` (yauzl refuses absolute and `..` names too; the containment check is ours). */
async function unzip(file: string, dir: string): Promise<void> {
  const zip = await new Promise<yauzl.ZipFile>((ok, fail) => yauzl.open(file, { lazyEntries: true, autoClose: true }, (err, z) => (err ? fail(err) : ok(z)))).catch((err: unknown) => {
    throw new StorageDownloadError(`Failed to unpack archive file. The file format is not valid. (${(err as Error).message})`);
  });
  await new Promise<void>((ok, fail) => {
    const failWith = (err: unknown): void => {
      zip.close();
      fail(err instanceof StorageDownloadError ? err : new StorageDownloadError(`Failed to unpack archive file. The file format is not valid. (${(err as Error).message})`));
    };
    zip.on('error', failWith);
    zip.on('end', () => ok());
    zip.on('entry', (entry: yauzl.Entry) => {
      try {
        if (entry.fileName.endsWith('/')) {
          mkdir(within(dir, entry.fileName, 'archive entry'), { recursive: true, mode: 0o700 }).then(() => zip.readEntry(), failWith);
          return;
        }
        const target = within(dir, entry.fileName, 'archive entry');
        zip.openReadStream(entry, (err, stream) => {
          if (err) return failWith(err);
          writeStream(target, stream).then(() => zip.readEntry(), failWith);
        });
      } catch (err) {
        failWith(err);
      }
    });
    zip.readEntry();
  });
}

/** KServe unpacks a lone downloaded .tar/.tar.gz/.tgz/.zip into the model folder and removes the archive. */
async function unpackIfArchive(file: string, dir: string): Promise<void> {
  const kind = archiveKind(basename(file));
  if (!kind) return;
  if (kind === 'zip') await unzip(file, dir);
  else await untar(file, dir, kind === 'tgz');
  await rm(file, { force: true });
}

async function downloadS3(source: Extract<StorageSource, { scheme: 's3' }>, settings: S3Settings, dir: string): Promise<void> {
  const config: S3ClientConfig = {
    region: settings.region ?? 'us-east-1',
    forcePathStyle: !settings.virtualBucket,
    maxAttempts: 3,
    ...(settings.endpointUrl ? { endpoint: settings.endpointUrl } : {}),
    requestHandler: { httpsAgent: new HttpsAgent({ rejectUnauthorized: settings.verifySsl, ...(settings.ca ? { ca: [...rootCertificates, settings.ca] } : {}) }), connectionTimeout: 15_000, requestTimeout: 30_000 },
  };
  if (settings.credentials) config.credentials = settings.credentials;
  else config.signer = { sign: (request) => Promise.resolve(request) };
  const s3 = new S3Client(config);
  const where = `s3://${source.bucket}/${source.path}`;
  try {
    const tasks: { key: string; target: string }[] = [];
    let token: string | undefined;
    let exact = false;
    do {
      const page = await s3.send(new ListObjectsV2Command({ Bucket: source.bucket, Prefix: source.path, ...(token ? { ContinuationToken: token } : {}) }));
      for (const obj of page.Contents ?? []) {
        const key = obj.Key ?? '';
        if (key.endsWith('/') || !obj.Size) continue;
        if (key === source.path) {
          // The URI names one object: that file alone, under its own name.
          tasks.splice(0, tasks.length, { key, target: within(dir, key.slice(key.lastIndexOf('/') + 1), 'S3 key') });
          exact = true;
          break;
        }
        tasks.push({ key, target: within(dir, key.slice(source.path.length).replace(/^\/+/, ''), 'S3 key') });
      }
      token = exact || !page.IsTruncated ? undefined : page.NextContinuationToken;
    } while (token);
    if (tasks.length === 0) throw new StorageDownloadError(`Failed to fetch model. No model found in ${source.path || source.bucket}.`);
    for (const task of tasks) {
      const got = await s3.send(new GetObjectCommand({ Bucket: source.bucket, Key: task.key }));
      if (!got.Body) throw new StorageDownloadError(`${where}: object ${task.key} has no body`);
      await writeStream(task.target, got.Body as Readable);
    }
    if (tasks.length === 1) await unpackIfArchive(tasks[0]!.target, dir);
  } catch (err) {
    if (err instanceof StorageDownloadError) throw err;
    const e = err as Error & { $metadata?: { httpStatusCode?: number } };
    const status = e.$metadata?.httpStatusCode;
    throw new StorageDownloadError(`cannot read ${where}${settings.endpointUrl ? ` at ${settings.endpointUrl}` : ''}: ${e.name}${status ? ` (HTTP ${status})` : ''}: ${e.message}`);
  } finally {
    s3.destroy();
  }
}

/** Google's endpoint for the GCS JSON API; STORAGE_EMULATOR_HOST replaces it, as the google-cloud-storage clients do. */
export const GcsDefaultEndpoint = 'https://storage.googleapis.com';

/** STORAGE_EMULATOR_HOST as the Go client reads it: a URL, or a bare host:port meaning plain http. */
export const gcsEndpointFromEmulatorHost = (host: string | undefined): string | undefined => {
  const h = host?.trim();
  if (!h) return undefined;
  return (/^https?:\/\//i.test(h) ? h : `http://${h}`).replace(/\/+$/, '');
};

const base64url = (b: Buffer | string): string => Buffer.from(b).toString('base64url');

/** An OAuth2 access token for a service-account key: a signed JWT exchanged at the key's token_uri (RFC 7523). */
async function gcsAccessToken(key: GcsServiceAccountKey, secret: string): Promise<string> {
  const tokenUri = key.token_uri ?? 'https://oauth2.googleapis.com/token';
  const now = Math.floor(Date.now() / 1000);
  const header = base64url(JSON.stringify({ alg: 'RS256', typ: 'JWT', ...(key.private_key_id ? { kid: key.private_key_id } : {}) }));
  const claims = base64url(JSON.stringify({ iss: key.client_email, scope: 'https://www.googleapis.com/auth/devstorage.read_only', aud: tokenUri, iat: now, exp: now + 3600 }));
  let signature: string;
  try {
    signature = createSign('RSA-SHA256').update(`${header}.${claims}`).sign(key.private_key, 'base64url');
  } catch (err) {
    throw new StorageDownloadError(`Secret ${secret}: the service-account key's private_key cannot sign (${(err as Error).message})`);
  }
  let res: Response;
  try {
    res = await fetch(tokenUri, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer', assertion: `${header}.${claims}.${signature}` }), signal: AbortSignal.timeout(30_000) });
  } catch (err) {
    throw new StorageDownloadError(`Secret ${secret}: cannot reach the token endpoint ${tokenUri}: ${(err as Error).message}`);
  }
  const body = (await res.json().catch(() => ({}))) as { access_token?: string; error?: string; error_description?: string };
  if (!res.ok || !body.access_token) throw new StorageDownloadError(`Secret ${secret}: ${tokenUri} refused the service-account key (HTTP ${res.status}${body.error ? `: ${body.error}${body.error_description ? ` ${body.error_description}` : ''}` : ''})`);
  return body.access_token;
}

/**
 * A gs:// download as KServe's storage initializer does it, over the GCS JSON API: every object under `<path>/` is
 * written at its name less the path (folders as the names say); when there is none, `<path>` itself is the one object
 * and lands under its own base name; a lone archive is unpacked. Anonymous without a key, as KServe falls back to
 * `create_anonymous_client()`. Names are checked before anything is written: `..`, an absolute remainder or NUL fails
 * the whole download.
 */
async function downloadGcs(source: Extract<StorageSource, { scheme: 'gs' }>, credentials: StorageCredentials, endpoint: string, dir: string): Promise<void> {
  const where = `gs://${source.bucket}/${source.path}`;
  const headers: Record<string, string> = {};
  if (credentials.gcs) headers.authorization = `Bearer ${await gcsAccessToken(credentials.gcs.key, credentials.gcs.secret)}`;
  const bucketUrl = `${endpoint}/storage/v1/b/${encodeURIComponent(source.bucket)}/o`;
  const call = async (url: string): Promise<Response> => {
    let res: Response;
    try {
      res = await fetch(url, { headers, signal: AbortSignal.timeout(60_000) });
    } catch (err) {
      throw new StorageDownloadError(`cannot read ${where} at ${endpoint}: ${(err as Error).message}`);
    }
    return res;
  };
  const failure = async (res: Response, what: string): Promise<StorageDownloadError> => {
    const text = await res.text().catch(() => '');
    let message = text.slice(0, 300);
    try {
      message = (JSON.parse(text) as { error?: { message?: string } }).error?.message ?? message;
    } catch {
      // not JSON: the text as it came
    }
    const kind = res.status === 403 ? 'Permission denied' : res.status === 404 ? 'Not found' : `HTTP ${res.status}`;
    return new StorageDownloadError(`${kind} reading ${what} of ${where}${endpoint === GcsDefaultEndpoint ? '' : ` at ${endpoint}`}${message ? `: ${message}` : ''}`);
  };
  const prefix = source.path === '' || source.path.endsWith('/') ? source.path : `${source.path}/`;
  const tasks: { name: string; target: string }[] = [];
  let pageToken: string | undefined;
  do {
    const query = new URLSearchParams({ prefix, fields: 'items(name,size),nextPageToken', ...(pageToken ? { pageToken } : {}) });
    const res = await call(`${bucketUrl}?${query.toString()}`);
    if (!res.ok) throw await failure(res, `the listing of bucket ${source.bucket}`);
    const page = (await res.json()) as { items?: { name?: string; size?: string }[]; nextPageToken?: string };
    for (const item of page.items ?? []) {
      const name = item.name ?? '';
      const rest = name.slice(prefix.length);
      // Folder placeholders ("<path>/", "<path>/sub/") carry no file, as in KServe.
      if (rest === '' || rest.endsWith('/')) continue;
      tasks.push({ name, target: within(dir, rest, 'GCS object name') });
    }
    pageToken = page.nextPageToken || undefined;
  } while (pageToken);
  if (tasks.length === 0 && source.path !== '' && !source.path.endsWith('/')) {
    // No folder of that name: the path is one object, written under its base name.
    const base = source.path.slice(source.path.lastIndexOf('/') + 1);
    tasks.push({ name: source.path, target: within(dir, base, 'GCS object name') });
  }
  if (tasks.length === 0) throw new StorageDownloadError(`Failed to fetch model. No model found in ${where}.`);
  for (const task of tasks) {
    const res = await call(`${bucketUrl}/${encodeURIComponent(task.name)}?alt=media`);
    if (res.status === 404 && tasks.length === 1 && task.name === source.path) {
      await res.body?.cancel();
      throw new StorageDownloadError(`Failed to fetch model. No model found in ${where}.`);
    }
    if (!res.ok || !res.body) throw await failure(res, `object ${task.name}`);
    await writeStream(task.target, Readable.fromWeb(res.body as import('node:stream/web').ReadableStream<Uint8Array>));
  }
  if (tasks.length === 1) await unpackIfArchive(tasks[0]!.target, dir);
}

function get(url: URL, headers: Record<string, string>, ca: string | undefined): Promise<IncomingMessage> {
  return new Promise((ok, fail) => {
    const options = { headers, timeout: 30_000, ...(url.protocol === 'https:' && ca ? { ca: [...rootCertificates, ca] } : {}) };
    const req = (url.protocol === 'https:' ? httpsRequest : httpRequest)(url, options, ok);
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', fail);
    req.end();
  });
}

const zipTypes = ['application/x-zip-compressed', 'application/zip', 'application/zip-compressed'];
const tarTypes = ['application/x-tar', 'application/x-gtar', 'application/x-gzip', 'application/gzip'];

async function downloadHttp(source: Extract<StorageSource, { scheme: 'http' }>, credentials: StorageCredentials, dir: string): Promise<void> {
  const uri = source.url.toString();
  let res: IncomingMessage;
  try {
    res = await get(source.url, credentials.headers[source.url.hostname] ?? {}, credentials.ca);
  } catch (err) {
    throw new StorageDownloadError(`cannot download ${uri}: ${(err as Error).message}`);
  }
  try {
    const status = res.statusCode ?? 0;
    if (status !== 200) throw new StorageDownloadError(`URI: ${uri} returned a ${status} response code.`);
    // The Content-Type each kind of file must come with, as KServe's storage initializer checks it.
    const type = res.headers['content-type'] ?? '';
    const filename = basename(source.url.pathname);
    const kind = archiveKind(filename);
    if (kind === 'zip' && !zipTypes.some((t) => type.startsWith(t))) throw new StorageDownloadError(`URI: ${uri} did not respond with any of following 'Content-Type': ${zipTypes.join(', ')}`);
    if ((kind === 'tar' || kind === 'tgz') && !tarTypes.some((t) => type.startsWith(t))) throw new StorageDownloadError(`URI: ${uri} did not respond with any of following 'Content-Type': ${tarTypes.join(', ')}`);
    if (!kind && !type.startsWith('application/octet-stream')) throw new StorageDownloadError(`URI: ${uri} did not respond with 'Content-Type': 'application/octet-stream'`);
    const target = within(dir, filename, 'file name');
    await writeStream(target, res);
    await unpackIfArchive(target, dir);
  } finally {
    res.resume();
  }
}

/** A content hash of a folder: its files' relative paths and bytes, in name order. */
async function treeHash(dir: string): Promise<string> {
  const hash = createHash('sha256');
  const walk = async (at: string): Promise<void> => {
    for (const entry of (await readdir(at, { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
      const path = join(at, entry.name);
      const rel = relative(dir, path).split(sep).join('/');
      if (entry.isDirectory()) {
        hash.update(`d ${rel}\0`);
        await walk(path);
      } else if (entry.isFile()) {
        const file = createHash('sha256');
        await pipeline(createReadStream(path), file);
        hash.update(`f ${rel}\0${file.digest('hex')}\0`);
      }
    }
  };
  await walk(dir);
  return hash.digest('hex');
}

export interface ModelStoreOptions {
  /** The cache's folder (in the data dir): `sha256/<content hash>/` trees, `sources/<source hash>.json` index, `tmp/`. */
  cacheDir: string;
  /** The GCS JSON API's base URL: Google's unless given (Floe passes its STORAGE_EMULATOR_HOST here). */
  gcsEndpoint?: string;
}

/** What one resolution asks for: the URI, the field it came from (for messages), and whose credentials. */
export interface StorageRequest {
  uri: string;
  field: string;
  namespace: string;
  serviceAccountName?: string;
  annotations?: Record<string, string>;
}

/**
 * Resolves storageUris to local paths: local ones as they are, a PVC's to the folder of its volume, remote ones
 * downloaded once into the cache. A download goes to a fresh folder under tmp/ and is renamed into place only when
 * whole, so a failed one leaves nothing behind; the same content from any URI is kept once.
 */
export class ModelStore {
  readonly cacheDir: string;
  readonly gcsEndpoint: string;
  /** Downloads under way by source key, so concurrent reconciles of one model share one download. */
  private readonly inFlight = new Map<string, Promise<string>>();

  constructor(options: ModelStoreOptions) {
    this.cacheDir = options.cacheDir;
    this.gcsEndpoint = options.gcsEndpoint ?? GcsDefaultEndpoint;
  }

  /** The local path of a storageUri: Invalid FloeError for a URI Floe cannot read, StorageDownloadError when a download fails. */
  async resolve(client: Client, request: StorageRequest): Promise<string> {
    const source = parseStorageUri(request.uri, request.field);
    switch (source.scheme) {
      case 'local':
        if (!existsSync(source.path)) throw new FloeError('Invalid', `${request.field} ${request.uri}: ${source.path} does not exist`);
        return source.path;
      case 'pvc':
        return this.claimPath(client, request, source);
      case 's3':
      case 'gs':
      case 'http': {
        const credentials = await storageCredentials(client, request.namespace, request.serviceAccountName, request.annotations);
        // The source's identity: the object's address, not who reads it (credentials never enter the key).
        const identity =
          source.scheme === 's3' ? `s3\0${credentials.s3.endpointUrl ?? ''}\0${source.bucket}\0${source.path}` : source.scheme === 'gs' ? `gs\0${this.gcsEndpoint}\0${source.bucket}\0${source.path}` : `http\0${source.url.toString()}`;
        const key = createHash('sha256').update(identity).digest('hex');
        const cached = await this.lookup(key);
        if (cached) return cached;
        let running = this.inFlight.get(key);
        if (!running) {
          running = this.download(key, (dir) => {
            switch (source.scheme) {
              case 's3':
                return downloadS3(source, credentials.s3, dir);
              case 'gs':
                return downloadGcs(source, credentials, this.gcsEndpoint, dir);
              case 'http':
                return downloadHttp(source, credentials, dir);
            }
          }).finally(() => this.inFlight.delete(key));
          this.inFlight.set(key, running);
        }
        return running;
      }
    }
  }

  private async claimPath(client: Client, request: StorageRequest, source: Extract<StorageSource, { scheme: 'pvc' }>): Promise<string> {
    const claim = await getOrUndefined<KubeObject & { spec?: { volumeName?: string } }>(client, ClaimRef, source.claim, request.namespace);
    if (!claim) throw new StorageDownloadError(`PersistentVolumeClaim ${request.namespace}/${source.claim} does not exist`);
    const volumeName = claim.spec?.volumeName;
    const volume = volumeName ? await getOrUndefined<KubeObject & { spec?: { hostPath?: { path?: string }; local?: { path?: string } } }>(client, VolumeRef, volumeName, '') : undefined;
    const root = volume?.spec?.hostPath?.path ?? volume?.spec?.local?.path;
    if (!root) throw new StorageDownloadError(`PersistentVolumeClaim ${source.claim} is not bound to a volume with a local path yet`);
    const path = source.path.replace(/\/+$/, '') === '' ? root : within(root, source.path, 'pvc path');
    if (!existsSync(path)) throw new StorageDownloadError(`${source.path} does not exist on PersistentVolumeClaim ${source.claim}`);
    return path;
  }

  private async lookup(key: string): Promise<string | undefined> {
    try {
      const { tree } = JSON.parse(await readFile(join(this.cacheDir, 'sources', `${key}.json`), 'utf8')) as { tree: string };
      const path = join(this.cacheDir, 'sha256', tree);
      if (/^[0-9a-f]{64}$/.test(tree) && (await stat(path)).isDirectory()) return path;
    } catch {
      // not cached (or a torn index: download again)
    }
    return undefined;
  }

  private async download(key: string, fetchInto: (dir: string) => Promise<void>): Promise<string> {
    for (const d of ['tmp', 'sha256', 'sources']) await mkdir(join(this.cacheDir, d), { recursive: true, mode: 0o700 });
    const dir = join(this.cacheDir, 'tmp', `${key.slice(0, 16)}-${randomBytes(6).toString('hex')}`);
    await mkdir(dir, { mode: 0o700 });
    try {
      await fetchInto(dir);
      const tree = await treeHash(dir);
      const final = join(this.cacheDir, 'sha256', tree);
      if (existsSync(final)) await rm(dir, { recursive: true, force: true });
      else await rename(dir, final);
      const index = join(this.cacheDir, 'sources', `${key}.json.${randomBytes(4).toString('hex')}`);
      await writeFile(index, JSON.stringify({ tree }), { mode: 0o600 });
      await rename(index, join(this.cacheDir, 'sources', `${key}.json`));
      return final;
    } catch (err) {
      await rm(dir, { recursive: true, force: true });
      throw err;
    }
  }
}
