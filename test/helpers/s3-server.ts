// Test support: a real S3-compatible server (moto's server mode from .venvs/s3) on a loopback port, filled and read
// through the AWS SDK (signed, path-style requests).
import { spawn, type ChildProcess } from 'node:child_process';
import { CreateBucketCommand, GetObjectCommand, ListObjectsV2Command, NoSuchKey, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { existsSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

// Compiled to dist/test/helpers: the repository is three folders up.
const root = fileURLToPath(new URL('../../..', import.meta.url));
/** The virtual environment python/envs/s3/requirements.txt builds (moto[server]). */
export const s3Venv = join(root, '.venvs', 's3');
const python = join(s3Venv, 'bin', 'python');

/** Why the S3 server cannot start here, or undefined when it can: pass it to `test(…, { skip })`. */
export function s3ServerUnavailable(): string | undefined {
  if (!existsSync(python)) return `.venvs/s3 is not installed (${python}): python3 -m venv .venvs/s3 && .venvs/s3/bin/pip install -r python/envs/s3/requirements.txt`;
  return undefined;
}

export interface S3Server {
  /** `http://127.0.0.1:<port>`: the endpoint for path-style requests (any region; us-east-1 is moto's default). */
  endpoint: string;
  host: string;
  port: number;
  /** Credentials a client signs with (moto accepts any; these are the ones to put in Secrets). */
  accessKey: string;
  secretKey: string;
  region: string;
  createBucket(name: string): Promise<void>;
  putObject(bucket: string, key: string, body: string | Uint8Array): Promise<void>;
  getObject(bucket: string, key: string): Promise<Buffer | undefined>;
  /** Keys under a prefix (one page of ListObjectsV2, up to 1000). */
  listKeys(bucket: string, prefix?: string): Promise<string[]>;
  stop(): Promise<void>;
}

// The server binds port 0 and prints the port it got, so parallel tests never race for one.
const serverScript = `
from werkzeug.serving import make_server
from moto.server import DomainDispatcherApplication, create_backend_app
app = DomainDispatcherApplication(create_backend_app)
srv = make_server('127.0.0.1', 0, app, threaded=True)
print(srv.server_port, flush=True)
srv.serve_forever()
`;

export async function startS3Server(): Promise<S3Server> {
  const why = s3ServerUnavailable();
  if (why) throw new Error(why);
  const child: ChildProcess = spawn(python, ['-c', serverScript], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, MOTO_ALLOW_NONEXISTENT_REGION: 'true' } });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-4000);
  });
  const port = await new Promise<number>((resolve, reject) => {
    const lines = createInterface({ input: child.stdout! });
    lines.once('line', (line) => resolve(Number(line.trim())));
    child.once('exit', (code) => reject(new Error(`the S3 server exited (${String(code)}) before it listened: ${stderr}`)));
    child.once('error', reject);
  });
  const endpoint = `http://127.0.0.1:${port}`;
  const accessKey = 'floe-test-access-key';
  const secretKey = 'floe-test-secret-key';
  const region = 'us-east-1';
  const client = new S3Client({ endpoint, region, forcePathStyle: true, credentials: { accessKeyId: accessKey, secretAccessKey: secretKey } });
  return {
    endpoint,
    host: '127.0.0.1',
    port,
    accessKey,
    secretKey,
    region,
    async createBucket(name) {
      await client.send(new CreateBucketCommand({ Bucket: name }));
    },
    async putObject(bucket, key, body) {
      await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
    },
    async getObject(bucket, key) {
      try {
        const out = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
        return Buffer.from((await out.Body?.transformToByteArray()) ?? []);
      } catch (err) {
        if (err instanceof NoSuchKey) return undefined;
        throw err;
      }
    },
    async listKeys(bucket, prefix = '') {
      const out = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix }));
      return (out.Contents ?? []).map((o) => o.Key ?? '');
    },
    async stop() {
      client.destroy();
      if (child.exitCode !== null || child.signalCode !== null) return;
      const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGTERM');
      await gone;
    },
  };
}
