// A self-signed CA and serving certificate for token-protected Floe (kubectl sends bearer tokens only over TLS).
import { generateKeyPairSync } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { join } from 'node:path';
import forge from 'node-forge';

export interface ServingCertificate {
  caPem: string;
  certPem: string;
  keyPem: string;
}

/** Loads the certificate under `<dataDir>/pki`, or issues a CA and a server certificate for `hosts` once. */
export function ensureServingCertificate(dataDir: string, hosts: string[]): ServingCertificate {
  const dir = join(dataDir, 'pki');
  const files = { caPem: join(dir, 'ca.crt'), certPem: join(dir, 'server.crt'), keyPem: join(dir, 'server.key') };
  if (Object.values(files).every((f) => existsSync(f))) {
    const loaded = { caPem: readFileSync(files.caPem, 'utf8'), certPem: readFileSync(files.certPem, 'utf8'), keyPem: readFileSync(files.keyPem, 'utf8') };
    const cert = forge.pki.certificateFromPem(loaded.certPem);
    const names = (cert.getExtension('subjectAltName') as { altNames?: { value?: string; ip?: string }[] } | null)?.altNames ?? [];
    const covered = hosts.every((h) => names.some((n) => n.value === h || n.ip === h));
    if (covered && cert.validity.notAfter.getTime() > Date.now() + 24 * 3600 * 1000) return loaded;
  }
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const ca = issue({ commonName: 'floe-ca', isCa: true, hosts: [] });
  const server = issue({ commonName: 'floe-apiserver', isCa: false, hosts, issuer: ca });
  const out = { caPem: ca.certPem, certPem: server.certPem, keyPem: server.keyPem };
  writeFileSync(files.caPem, out.caPem);
  writeFileSync(files.certPem, out.certPem);
  writeFileSync(files.keyPem, out.keyPem, { mode: 0o600 });
  return out;
}

interface Issued {
  certPem: string;
  keyPem: string;
  cert: forge.pki.Certificate;
  key: forge.pki.rsa.PrivateKey;
}

function issue(options: { commonName: string; isCa: boolean; hosts: string[]; issuer?: Issued }): Issued {
  // Node's native key generation is much faster than forge's pure-JS RSA.
  const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const keyPem = privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.publicKeyFromPem(publicKey.export({ type: 'spki', format: 'pem' }).toString());
  cert.serialNumber = forge.util.bytesToHex(forge.random.getBytesSync(16)).replace(/^[89a-f]/, '1');
  cert.validity.notBefore = new Date(Date.now() - 60_000);
  cert.validity.notAfter = new Date(Date.now() + (options.isCa ? 10 : 1) * 365 * 24 * 3600 * 1000);
  const subject = [{ name: 'commonName', value: options.commonName }, { name: 'organizationName', value: 'floe' }];
  cert.setSubject(subject);
  cert.setIssuer(options.issuer ? options.issuer.cert.subject.attributes : subject);
  const extensions: unknown[] = [{ name: 'basicConstraints', cA: options.isCa, critical: true }];
  if (options.isCa) {
    extensions.push({ name: 'keyUsage', keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true });
  } else {
    extensions.push({ name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true });
    extensions.push({ name: 'extKeyUsage', serverAuth: true });
    extensions.push({ name: 'subjectAltName', altNames: options.hosts.map((h) => (isIP(h) ? { type: 7, ip: h } : { type: 2, value: h })) });
  }
  cert.setExtensions(extensions as Parameters<forge.pki.Certificate['setExtensions']>[0]);
  const key = forge.pki.privateKeyFromPem(keyPem);
  cert.sign(options.issuer?.key ?? key, forge.md.sha256.create());
  return { certPem: forge.pki.certificateToPem(cert), keyPem, cert, key };
}
