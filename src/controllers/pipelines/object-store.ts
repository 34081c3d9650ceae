// S3-compatible pipeline roots (`s3://bucket/prefix`, `minio://bucket/prefix`) as KFP 2.x's launcher reads them: the
// run namespace's `kfp-launcher` ConfigMap (`defaultPipelineRoot`, `providers`), credentials from a Secret
// (`mlpipeline-minio-artifact` with `accesskey`/`secretkey` by default), and artifacts uploaded and downloaded as
// objects, a folder as the objects under its key.
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import type { Readable } from 'node:stream';
import { GetObjectCommand, HeadObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { parse as parseYaml } from 'yaml';
import { FloeError } from '../../api/errors.js';
import type { KubeObject } from '../../api/meta.js';
import type { Client } from '../../client/client.js';

export const LauncherConfigMap = 'kfp-launcher';
export const MinioArtifactSecret = 'mlpipeline-minio-artifact';
/** Where KFP's default minio provider points (the in-cluster MinIO Service of a Kubeflow install). */
const DefaultMinioEndpoint = 'minio-service.kubeflow:9000';

export type ObjectProvider = 's3' | 'minio';

export interface ObjectLocation {
  provider: ObjectProvider;
  bucket: string;
  /** The key (no leading slash); the root's prefix included. */
  key: string;
}

/** `s3://bucket/a/b` → { provider: 's3', bucket, key: 'a/b' }; anything else → undefined. */
export function parseObjectUri(uri: string): ObjectLocation | undefined {
  const m = /^(s3|minio):\/\/([^/?]+)\/?([^?]*)$/.exec(uri);
  if (!m) return undefined;
  return { provider: m[1] as ObjectProvider, bucket: m[2]!, key: m[3]!.replace(/\/+$/, '') };
}

export interface SecretKeys {
  secretName: string;
  accessKeyKey: string;
  secretKeyKey: string;
}

/** How to reach a bucket: KFP's SessionInfo for s3 and minio. */
export interface ObjectSession {
  endpoint: string;
  region: string;
  disableSSL: boolean;
  forcePathStyle: boolean;
  /** `env`: the AWS variables of Floe's own process (KFP: the launcher's environment). */
  credentials: SecretKeys | 'env';
}

interface ProviderCredentials {
  fromEnv?: boolean;
  secretRef?: Partial<SecretKeys>;
}
interface ProviderSettings {
  endpoint?: string;
  region?: string;
  disableSSL?: boolean;
  forcePathStyle?: boolean;
  credentials?: ProviderCredentials;
}
interface ProviderOverride extends ProviderSettings {
  bucketName?: string;
  keyPrefix?: string;
}
interface ProviderConfig {
  default?: ProviderSettings;
  Overrides?: ProviderOverride[];
  overrides?: ProviderOverride[];
}

function credentialsOf(c: ProviderCredentials | undefined, where: string): SecretKeys | 'env' {
  if (!c) throw new FloeError('BadRequest', `${where}: missing credentials`);
  if (c.fromEnv) return 'env';
  const ref = c.secretRef;
  if (!ref?.secretName || !ref.accessKeyKey || !ref.secretKeyKey) throw new FloeError('BadRequest', `${where}: credentials.secretRef needs secretName, accessKeyKey and secretKeyKey`);
  return { secretName: ref.secretName, accessKeyKey: ref.accessKeyKey, secretKeyKey: ref.secretKeyKey };
}

/**
 * The session for an object root, from the `providers` value of the kfp-launcher ConfigMap (YAML) as KFP's
 * launcher resolves it: the provider's `default`, then the override whose bucketName and keyPrefix match. Without a
 * providers entry, minio uses KFP's in-cluster MinIO and the mlpipeline-minio-artifact Secret; s3 uses the AWS
 * environment of Floe's process.
 */
export function sessionFor(location: ObjectLocation, providersYaml: string | undefined): ObjectSession {
  let providers: Partial<Record<ObjectProvider, ProviderConfig>> = {};
  if (providersYaml?.trim()) {
    try {
      providers = (parseYaml(providersYaml) ?? {}) as typeof providers;
    } catch (err) {
      throw new FloeError('BadRequest', `ConfigMap ${LauncherConfigMap} providers is not YAML: ${(err as Error).message}`);
    }
  }
  const config = providers[location.provider];
  if (!config?.default && !(config?.Overrides ?? config?.overrides)) {
    if (location.provider === 'minio') {
      return { endpoint: DefaultMinioEndpoint, region: 'minio', disableSSL: true, forcePathStyle: true, credentials: { secretName: MinioArtifactSecret, accessKeyKey: 'accesskey', secretKeyKey: 'secretkey' } };
    }
    return { endpoint: '', region: process.env.AWS_REGION ?? 'us-east-1', disableSSL: false, forcePathStyle: true, credentials: 'env' };
  }
  const where = `ConfigMap ${LauncherConfigMap} providers.${location.provider}`;
  const d = config.default;
  if (!d) throw new FloeError('BadRequest', `${where}: missing default`);
  const session: ObjectSession = {
    endpoint: d.endpoint ?? '',
    region: d.region ?? 'us-east-1',
    disableSSL: d.disableSSL ?? location.provider === 'minio',
    forcePathStyle: d.forcePathStyle ?? true,
    credentials: credentialsOf(d.credentials, `${where}.default`),
  };
  const override = (config.Overrides ?? config.overrides ?? []).find((o) => o.bucketName === location.bucket && (!o.keyPrefix || location.key.startsWith(o.keyPrefix)));
  if (override) {
    if (override.endpoint) session.endpoint = override.endpoint;
    if (override.region) session.region = override.region;
    if (override.disableSSL !== undefined) session.disableSSL = override.disableSSL;
    if (override.forcePathStyle !== undefined) session.forcePathStyle = override.forcePathStyle;
    session.credentials = credentialsOf(override.credentials, `${where} override for ${location.bucket}`);
  }
  return session;
}

type ConfigMapLike = KubeObject & { data?: Record<string, string> };
type SecretLike = KubeObject & { data?: Record<string, string>; stringData?: Record<string, string> };

/** Reads and writes artifacts of object roots for the engine, with credentials from the run namespace's Secrets. */
export class ObjectStore {
  private readonly client: Client;

  constructor(options: { client: Client }) {
    this.client = options.client;
  }

  /** The kfp-launcher ConfigMap's data in `namespace`, or {} when there is none. */
  async launcherConfig(namespace: string): Promise<Record<string, string>> {
    try {
      const cm = await this.client.get<ConfigMapLike>({ apiVersion: 'v1', kind: 'ConfigMap' }, LauncherConfigMap, namespace);
      return cm.data ?? {};
    } catch (err) {
      if (err instanceof FloeError && err.reason === 'NotFound') return {};
      throw err;
    }
  }

  private async s3(location: ObjectLocation, namespace: string): Promise<S3Client> {
    const config = await this.launcherConfig(namespace);
    const session = sessionFor(location, config.providers);
    let credentials: { accessKeyId: string; secretAccessKey: string } | undefined;
    if (session.credentials !== 'env') {
      const ref = session.credentials;
      let secret: SecretLike;
      try {
        secret = await this.client.get<SecretLike>({ apiVersion: 'v1', kind: 'Secret' }, ref.secretName, namespace);
      } catch (err) {
        if (err instanceof FloeError && err.reason === 'NotFound') throw new FloeError('BadRequest', `the Secret ${namespace}/${ref.secretName} with the credentials of ${location.provider}://${location.bucket} does not exist`);
        throw err;
      }
      const value = (key: string): string => {
        const v = secret.stringData?.[key] ?? (secret.data?.[key] !== undefined ? Buffer.from(secret.data[key], 'base64').toString('utf8') : undefined);
        if (v === undefined) throw new FloeError('BadRequest', `the Secret ${namespace}/${ref.secretName} has no key "${key}" (credentials of ${location.provider}://${location.bucket})`);
        return v;
      };
      credentials = { accessKeyId: value(ref.accessKeyKey), secretAccessKey: value(ref.secretKeyKey) };
    }
    if (!session.endpoint && session.credentials === 'env' && !process.env.AWS_ACCESS_KEY_ID) {
      throw new FloeError('BadRequest', `no credentials for ${location.provider}://${location.bucket}: give a providers entry with a secretRef in the ${LauncherConfigMap} ConfigMap of namespace ${namespace}, or AWS credentials in Floe's environment`);
    }
    const endpoint = endpointUrl(session);
    return new S3Client({ region: session.region, forcePathStyle: session.forcePathStyle, maxAttempts: 3, ...(endpoint ? { endpoint } : {}), ...(credentials ? { credentials } : {}) });
  }

  /** How a task Pod reaches the object at `uri`: the session the run namespace's kfp-launcher ConfigMap gives. */
  async session(uri: string, namespace: string): Promise<ObjectSession> {
    const location = parseObjectUri(uri);
    if (!location) throw new Error(`not an object URI: ${uri}`);
    return sessionFor(location, (await this.launcherConfig(namespace)).providers);
  }

  /** The object at `uri` (undefined when there is none), e.g. a task launcher's report. */
  async read(uri: string, namespace: string): Promise<Buffer | undefined> {
    const location = parseObjectUri(uri);
    if (!location) throw new Error(`not an object URI: ${uri}`);
    const s3 = await this.s3(location, namespace);
    try {
      const got = await s3.send(new GetObjectCommand({ Bucket: location.bucket, Key: location.key }));
      return Buffer.from(await got.Body!.transformToByteArray());
    } catch (err) {
      if ((err as { name?: string }).name === 'NoSuchKey') return undefined;
      throw objectError(err, `reading ${uri}`);
    } finally {
      s3.destroy();
    }
  }

  /** The size of the object at `uri`, undefined when there is none (a folder artifact is objects under its key). */
  async size(uri: string, namespace: string): Promise<number | undefined> {
    const location = parseObjectUri(uri);
    if (!location) throw new Error(`not an object URI: ${uri}`);
    const s3 = await this.s3(location, namespace);
    try {
      return (await s3.send(new HeadObjectCommand({ Bucket: location.bucket, Key: location.key }))).ContentLength ?? 0;
    } catch (err) {
      const e = err as { name?: string; $metadata?: { httpStatusCode?: number } };
      if (e.name === 'NotFound' || e.name === 'NoSuchKey' || e.$metadata?.httpStatusCode === 404) return undefined;
      throw objectError(err, `reading ${uri}`);
    } finally {
      s3.destroy();
    }
  }

  /** The object at `uri` as a stream with its size (undefined when there is none): an artifact's download. */
  async open(uri: string, namespace: string): Promise<{ stream: Readable; size?: number } | undefined> {
    const location = parseObjectUri(uri);
    if (!location) throw new Error(`not an object URI: ${uri}`);
    const s3 = await this.s3(location, namespace);
    try {
      const got = await s3.send(new GetObjectCommand({ Bucket: location.bucket, Key: location.key }));
      const stream = got.Body as Readable;
      stream.once('close', () => s3.destroy());
      return { stream, ...(got.ContentLength !== undefined ? { size: got.ContentLength } : {}) };
    } catch (err) {
      s3.destroy();
      if ((err as { name?: string }).name === 'NoSuchKey') return undefined;
      throw objectError(err, `reading ${uri}`);
    }
  }

  /** Refuses, naming the root, an object root whose session or credentials cannot be resolved in `namespace`. */
  async check(root: string, namespace: string): Promise<void> {
    const location = parseObjectUri(root);
    if (!location) throw new FloeError('BadRequest', `pipeline root "${root}" is not an s3:// or minio:// URI`);
    try {
      (await this.s3(location, namespace)).destroy();
    } catch (err) {
      if (err instanceof FloeError && !err.retryable) throw new FloeError('BadRequest', `pipeline root "${root}": ${err.message}`);
      throw err;
    }
  }

  /** Uploads a file, or every file under a folder, to the object URI (a folder's files under `<key>/`). */
  async upload(uri: string, localPath: string, namespace: string): Promise<number> {
    const location = parseObjectUri(uri);
    if (!location) throw new Error(`not an object URI: ${uri}`);
    let stat;
    try {
      stat = statSync(localPath);
    } catch {
      return 0; // the component wrote nothing there: nothing to keep (KFP uploads nothing either)
    }
    const s3 = await this.s3(location, namespace);
    try {
      const files = stat.isDirectory() ? walk(localPath) : [localPath];
      for (const file of files) {
        const key = stat.isDirectory() ? `${location.key}/${relative(localPath, file).split('\\').join('/')}` : location.key;
        await s3.send(new PutObjectCommand({ Bucket: location.bucket, Key: key, Body: readFileSync(file) }));
      }
      return files.length;
    } catch (err) {
      throw objectError(err, `uploading ${uri}`);
    } finally {
      s3.destroy();
    }
  }

  /** Downloads the object at the URI to `localPath`, or every object under `<key>/` into the folder `localPath`. */
  async download(uri: string, localPath: string, namespace: string): Promise<void> {
    const location = parseObjectUri(uri);
    if (!location) throw new Error(`not an object URI: ${uri}`);
    const s3 = await this.s3(location, namespace);
    try {
      const keys: string[] = [];
      let token: string | undefined;
      do {
        const page = await s3.send(new ListObjectsV2Command({ Bucket: location.bucket, Prefix: location.key, ...(token ? { ContinuationToken: token } : {}) }));
        for (const o of page.Contents ?? []) if (o.Key && (o.Key === location.key || o.Key.startsWith(`${location.key}/`))) keys.push(o.Key);
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (token);
      if (keys.length === 0) throw new FloeError('NotFound', `the artifact ${uri} is not in the bucket`);
      for (const key of keys) {
        const target = key === location.key ? localPath : join(localPath, key.slice(location.key.length + 1));
        const got = await s3.send(new GetObjectCommand({ Bucket: location.bucket, Key: key }));
        mkdirSync(dirname(target), { recursive: true });
        writeFileSync(target, await got.Body!.transformToByteArray());
      }
    } catch (err) {
      throw objectError(err, `downloading ${uri}`);
    } finally {
      s3.destroy();
    }
  }
}

/** The session's endpoint as a URL (a bare host:port gets http:// when SSL is off); undefined: AWS's own. */
export function endpointUrl(session: ObjectSession): string | undefined {
  if (!session.endpoint) return undefined;
  return /^https?:\/\//.test(session.endpoint) ? session.endpoint : `${session.disableSSL ? 'http' : 'https'}://${session.endpoint}`;
}

function walk(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(join(dir, e.name)) : e.isFile() ? [join(dir, e.name)] : []));
}

/** An S3 failure as a FloeError naming the object; network failures stay retryable. */
function objectError(err: unknown, what: string): Error {
  if (err instanceof FloeError) return err;
  const e = err as { name?: string; message?: string; $metadata?: { httpStatusCode?: number } };
  const status = e.$metadata?.httpStatusCode;
  if (status === 403 || status === 401) return new FloeError('BadRequest', `${what}: the object store refused the credentials (${e.name ?? status}): ${e.message ?? ''}`);
  if (status === 404 || e.name === 'NoSuchBucket') return new FloeError('BadRequest', `${what}: ${e.name ?? 'not found'}: ${e.message ?? ''}`);
  return new Error(`${what}: ${e.message ?? String(err)}`, { cause: err });
}
