// A CA and serving certificate for token-protected Floe (kubectl sends bearer tokens only over TLS): which names the
// certificate covers, which address the kubeconfig names, and the private files under <data dir>/pki.
import { generateKeyPairSync } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { hostname, networkInterfaces } from 'node:os';
import { isIP } from 'node:net';
import { join } from 'node:path';
import forge from 'node-forge';
import { ensurePrivateDir, writePrivateFile } from '../store/private-file.js';
import { validSan } from './config.js';
import { tightenPki } from './data-dir.js';

export interface ServingCertificate {
  caPem: string;
  certPem: string;
  keyPem: string;
  /** `<data dir>/pki/ca.crt`: what clients verify the server with (FLOE_REPORT_CA for Katib Push trials). */
  caFile: string;
  /** The names and addresses the serving certificate covers. */
  hosts: string[];
}

const loopbackNames = ['127.0.0.1', 'localhost', '::1'];

/** 0.0.0.0 and :: : every address of the machine. */
export function isWildcard(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '');
  return h === '0.0.0.0' || h === '' || (isIP(h) === 6 && /^[0:]+$/.test(h));
}

type Interfaces = ReturnType<typeof networkInterfaces>;

/**
 * The names the serving certificate must cover: the loopback names, the bind host (for a wildcard bind, every address
 * of this machine's interfaces and its host name instead), and the extra names given with `--tls-san`. IPv6
 * link-local addresses are left out: they need a zone, which no certificate can name.
 */
export function servingHosts(bindHost: string, extraSans: readonly string[] = [], interfaces: Interfaces = networkInterfaces(), machine: string = hostname()): string[] {
  const hosts = new Set(loopbackNames);
  const bind = bindHost.replace(/^\[|\]$/g, '');
  if (!isWildcard(bind)) {
    hosts.add(bind.toLowerCase());
  } else {
    for (const addresses of Object.values(interfaces)) {
      for (const a of addresses ?? []) {
        if (a.family === 'IPv6' && /^fe[89ab]/i.test(a.address)) continue;
        hosts.add(a.address.toLowerCase());
      }
    }
    if (machine && validSan(machine)) hosts.add(machine.toLowerCase());
  }
  for (const san of extraSans) hosts.add(san.replace(/^\[|\]$/g, '').toLowerCase());
  return [...hosts];
}

/**
 * The URL clients on this machine use (the kubeconfig's server, Katib's report URL): the bind host, or 127.0.0.1 for a
 * wildcard bind, which Floe answers on and its certificate covers, unlike 0.0.0.0.
 */
export function kubeconfigServer(bindHost: string, port: number, scheme: 'http' | 'https'): string {
  const bind = bindHost.replace(/^\[|\]$/g, '');
  const host = isWildcard(bind) ? '127.0.0.1' : bind;
  return `${scheme}://${isIP(host) === 6 ? `[${host}]` : host}:${port}`;
}

/**
 * Loads the CA and serving certificate under `<dataDir>/pki`. The CA is issued once and kept (kubeconfigs and Push
 * trials trust it); the serving certificate is issued again whenever it does not cover `hosts`, was not signed by
 * that CA, or expires within a month. The folder is 0700 and every file in it 0600.
 */
export function ensureServingCertificate(dataDir: string, hosts: string[]): ServingCertificate {
  const dir = join(dataDir, 'pki');
  ensurePrivateDir(dir);
  tightenPki(dir);
  const files = { caPem: join(dir, 'ca.crt'), caKey: join(dir, 'ca.key'), certPem: join(dir, 'server.crt'), keyPem: join(dir, 'server.key') };
  let ca = loadCa(files.caPem, files.caKey);
  if (!ca) {
    ca = issue({ commonName: 'floe-ca', isCa: true, hosts: [] });
    writePrivateFile(files.caKey, ca.keyPem);
    writePrivateFile(files.caPem, ca.certPem);
  }
  const current = loadServing(files.certPem, files.keyPem, ca, hosts);
  if (current) return { caPem: ca.certPem, ...current, caFile: files.caPem, hosts };
  const server = issue({ commonName: 'floe-apiserver', isCa: false, hosts, issuer: ca });
  writePrivateFile(files.keyPem, server.keyPem);
  writePrivateFile(files.certPem, server.certPem);
  return { caPem: ca.certPem, certPem: server.certPem, keyPem: server.keyPem, caFile: files.caPem, hosts };
}

const monthMs = 30 * 24 * 3600 * 1000;

function loadCa(certFile: string, keyFile: string): Issued | undefined {
  if (!existsSync(certFile) || !existsSync(keyFile)) return undefined;
  try {
    const certPem = readFileSync(certFile, 'utf8');
    const keyPem = readFileSync(keyFile, 'utf8');
    const cert = forge.pki.certificateFromPem(certPem);
    const key = forge.pki.privateKeyFromPem(keyPem);
    const publicKey = cert.publicKey as forge.pki.rsa.PublicKey;
    if (publicKey.n.compareTo(key.n) !== 0) return undefined;
    if (cert.validity.notAfter.getTime() < Date.now() + monthMs) return undefined;
    return { certPem, keyPem, cert, key };
  } catch {
    return undefined;
  }
}

function loadServing(certFile: string, keyFile: string, ca: Issued, hosts: string[]): { certPem: string; keyPem: string } | undefined {
  if (!existsSync(certFile) || !existsSync(keyFile)) return undefined;
  try {
    const certPem = readFileSync(certFile, 'utf8');
    const keyPem = readFileSync(keyFile, 'utf8');
    const cert = forge.pki.certificateFromPem(certPem);
    if (!ca.cert.verify(cert)) return undefined;
    if ((cert.publicKey as forge.pki.rsa.PublicKey).n.compareTo(forge.pki.privateKeyFromPem(keyPem).n) !== 0) return undefined;
    if (cert.validity.notAfter.getTime() < Date.now() + monthMs) return undefined;
    const names = (cert.getExtension('subjectAltName') as { altNames?: { value?: string; ip?: string }[] } | null)?.altNames ?? [];
    const covered = hosts.every((h) => names.some((n) => (isIP(h) ? n.ip !== undefined && sameIp(n.ip, h) : n.value?.toLowerCase() === h.toLowerCase())));
    return covered ? { certPem, keyPem } : undefined;
  } catch {
    return undefined;
  }
}

/** forge writes IPv6 addresses in their long form; compare them as bytes. */
function sameIp(a: string, b: string): boolean {
  const util = forge.util as unknown as { bytesFromIP(ip: string): string | null };
  const bytes = (ip: string): string | null => util.bytesFromIP(ip);
  return isIP(a) === isIP(b) && bytes(a) === bytes(b);
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
