// Test support: an HTTPS admission webhook server with its own CA (node-forge), answering AdmissionReview v1 by path.
import { generateKeyPairSync } from 'node:crypto';
import { createServer, type Server } from 'node:https';
import { createServer as createTcpServer, type AddressInfo } from 'node:net';
import forge from 'node-forge';

/** What the server keeps of each AdmissionReview request it receives. */
export interface Review {
  uid: string;
  kind: { group: string; version: string; kind: string };
  resource: { group: string; version: string; resource: string };
  name: string;
  namespace?: string;
  operation: string;
  userInfo: { username: string; groups: string[] };
  object: { metadata: { name: string; labels?: Record<string, string> } } | null;
  oldObject: unknown;
  dryRun: boolean;
  options?: { kind: string };
}

export interface Certs {
  caPem: string;
  certPem: string;
  keyPem: string;
}

/** A CA and a serving certificate for 127.0.0.1, localhost and the Service name `hooks.webhooks.svc`. */
export function makeCerts(): Certs {
  const key = (): { pem: string; forgeKey: forge.pki.rsa.PrivateKey; pub: forge.pki.rsa.PublicKey } => {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const pem = privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();
    return { pem, forgeKey: forge.pki.privateKeyFromPem(pem), pub: forge.pki.publicKeyFromPem(publicKey.export({ type: 'spki', format: 'pem' }).toString()) };
  };
  const caKey = key();
  const ca = forge.pki.createCertificate();
  ca.publicKey = caKey.pub;
  ca.serialNumber = '01';
  ca.validity.notBefore = new Date(Date.now() - 60_000);
  ca.validity.notAfter = new Date(Date.now() + 24 * 3600_000);
  const caName = [{ name: 'commonName', value: 'webhook-test-ca' }];
  ca.setSubject(caName);
  ca.setIssuer(caName);
  ca.setExtensions([{ name: 'basicConstraints', cA: true }, { name: 'keyUsage', keyCertSign: true, cRLSign: true, digitalSignature: true }]);
  ca.sign(caKey.forgeKey, forge.md.sha256.create());
  const leafKey = key();
  const leaf = forge.pki.createCertificate();
  leaf.publicKey = leafKey.pub;
  leaf.serialNumber = '02';
  leaf.validity.notBefore = new Date(Date.now() - 60_000);
  leaf.validity.notAfter = new Date(Date.now() + 24 * 3600_000);
  leaf.setSubject([{ name: 'commonName', value: 'hooks.webhooks.svc' }]);
  leaf.setIssuer(caName);
  leaf.setExtensions([
    { name: 'basicConstraints', cA: false },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true },
    { name: 'extKeyUsage', serverAuth: true },
    { name: 'subjectAltName', altNames: [{ type: 7, ip: '127.0.0.1' }, { type: 2, value: 'localhost' }, { type: 2, value: 'hooks.webhooks.svc' }] },
  ]);
  leaf.sign(caKey.forgeKey, forge.md.sha256.create());
  return { caPem: forge.pki.certificateToPem(ca), certPem: forge.pki.certificateToPem(leaf), keyPem: leafKey.pem };
}

/** The webhook server under test: each path is one behaviour; every review it receives is kept. */
export function startWebhookServer(certs: Certs): Promise<{ server: Server; port: number; reviews: Review[] }> {
  const reviews: Review[] = [];
  const server = createServer({ cert: certs.certPem, key: certs.keyPem }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const review = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { request: Review };
      const r = review.request;
      reviews.push(r);
      const path = (req.url ?? '').split('?')[0] ?? '';
      const reply = (response: Record<string, unknown>): void => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', response: { uid: r.uid, ...response } }));
      };
      switch (path) {
        case '/mutate': {
          const ops = r.object?.metadata.labels ? [{ op: 'add', path: '/metadata/labels/mutated', value: 'true' }] : [{ op: 'add', path: '/metadata/labels', value: { mutated: 'true' } }];
          return reply({ allowed: true, patchType: 'JSONPatch', patch: Buffer.from(JSON.stringify(ops)).toString('base64') });
        }
        case '/mutate-invalid':
          return reply({ allowed: true, patchType: 'JSONPatch', patch: Buffer.from(JSON.stringify([{ op: 'add', path: '/metadata/labels', value: { 'bad label!': 'x' } }])).toString('base64') });
        case '/deny': {
          const name = r.object?.metadata.name ?? r.name;
          if (name.startsWith('bad')) return reply({ allowed: false, status: { code: 403, message: 'names starting with bad are not allowed' } });
          return reply({ allowed: true, warnings: ['deny webhook looked at this'] });
        }
        case '/slow':
          setTimeout(() => reply({ allowed: true }), 3000);
          return;
        default:
          return reply({ allowed: true });
      }
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ server, port: (server.address() as AddressInfo).port, reviews })));
}

/** A loopback port with nothing listening. */
export async function closedPort(): Promise<number> {
  const s = createTcpServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as AddressInfo).port;
  await new Promise((r) => s.close(r));
  return port;
}
