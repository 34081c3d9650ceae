// Test support: an HTTPS file server on a loopback port with a certificate from its own fresh CA (made by openssl),
// so a client trusts it only when it is given that CA explicitly.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface ServedFile {
  body: Buffer | string;
  contentType: string;
  /** A header the request must carry (name lower-case, value), else 401. */
  requireHeader?: [string, string];
}

export interface HttpsFileServer {
  /** `https://127.0.0.1:<port>` */
  url: string;
  /** The CA that signed the server's certificate (PEM). */
  caPem: string;
  /** Paths served (e.g. `/models/model.onnx`), changeable while it runs. */
  files: Map<string, ServedFile>;
  /** How many requests each path got. */
  hits: Map<string, number>;
  stop(): Promise<void>;
}

export async function startHttpsFileServer(): Promise<HttpsFileServer> {
  const dir = mkdtempSync(join(tmpdir(), 'floe-https-'));
  const run = (...args: string[]): void => {
    execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' });
  };
  try {
    run('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=floe test CA');
    run('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=127.0.0.1');
    writeFileSync(join(dir, 'ext.cnf'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
    run('x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.pem', '-days', '2', '-extfile', 'ext.cnf');
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  const caPem = readFileSync(join(dir, 'ca.pem'), 'utf8');
  const files = new Map<string, ServedFile>();
  const hits = new Map<string, number>();
  const server = createServer({ key: readFileSync(join(dir, 'server.key')), cert: readFileSync(join(dir, 'server.pem')) }, (req, res) => {
    const path = new URL(req.url ?? '/', 'https://x').pathname;
    hits.set(path, (hits.get(path) ?? 0) + 1);
    const file = files.get(path);
    if (!file) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
      return;
    }
    if (file.requireHeader && req.headers[file.requireHeader[0]] !== file.requireHeader[1]) {
      res.writeHead(401, { 'content-type': 'text/plain' }).end('unauthorized');
      return;
    }
    res.writeHead(200, { 'content-type': file.contentType }).end(file.body);
  });
  rmSync(dir, { recursive: true, force: true });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return {
    url: `https://127.0.0.1:${port}`,
    caPem,
    files,
    hits,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
