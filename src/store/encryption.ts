// Encryption at rest as kube-apiserver does it: an EncryptionConfiguration names, per resource, providers whose first
// encrypts and all decrypt; stored values carry `k8s:enc:<provider>:v1:<key>:` before the provider's bytes.
import { createCipheriv, createDecipheriv, randomBytes, type CipherGCMTypes } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import nacl from 'tweetnacl';
import { parse as parseYaml } from 'yaml';
import { writePrivateFile } from './private-file.js';

/** What the store calls on every write and read of a row: the identity for resources no rule names. */
export interface ValueTransformer {
  /** Whether values of this resource (`group/plural`) are transformed at all. */
  handles(resource: string): boolean;
  /** The stored form of `data` (JSON text): text for identity, bytes for the encrypting providers. */
  toStorage(resource: string, context: string, data: string): string | Buffer;
  /** The JSON text back from a stored value; throws when no provider can read it. */
  fromStorage(resource: string, context: string, stored: string | Buffer): string;
}

export const encryptedPrefix = 'k8s:enc:';

/** The file Floe generates beside the database when no --encryption-provider-config is given. */
export const defaultEncryptionConfigFile = 'encryption-config.yaml';

interface Key {
  name: string;
  secret: Buffer;
}

type ProviderName = 'aesgcm' | 'aescbc' | 'secretbox' | 'identity';

/** One key of one provider: what it writes before its bytes, and how it seals and opens. */
interface KeyedProvider {
  prefix: Buffer;
  seal(plain: Buffer, context: string): Buffer;
  open(sealed: Buffer, context: string): Buffer;
}

interface Rule {
  matches(resource: string): boolean;
  /** undefined: identity first (values are written in the clear). */
  writer: KeyedProvider | undefined;
  readers: KeyedProvider[];
  identityReads: boolean;
}

export class EncryptionConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EncryptionConfigError';
  }
}

/** A parsed EncryptionConfiguration. */
export class Encryption implements ValueTransformer {
  private readonly rules: Rule[];

  private constructor(rules: Rule[]) {
    this.rules = rules;
  }

  /** Parses an EncryptionConfiguration (apiserver.config.k8s.io/v1) from YAML or JSON text; `source` names it in errors. */
  static parse(text: string, source = 'the encryption configuration'): Encryption {
    let doc: unknown;
    try {
      doc = parseYaml(text);
    } catch (err) {
      throw new EncryptionConfigError(`${source}: not YAML: ${err instanceof Error ? err.message : String(err)}`);
    }
    const config = record(doc);
    if (config.kind !== 'EncryptionConfiguration' || (config.apiVersion !== 'apiserver.config.k8s.io/v1' && config.apiVersion !== 'apiserver.config.k8s.io/v1beta1')) {
      throw new EncryptionConfigError(`${source}: expected apiVersion apiserver.config.k8s.io/v1, kind EncryptionConfiguration`);
    }
    const resources = Array.isArray(config.resources) ? config.resources : [];
    const rules: Rule[] = [];
    const seen = new Set<string>();
    resources.forEach((entry, i) => {
      const r = record(entry);
      const names = Array.isArray(r.resources) ? r.resources.map(String) : [];
      if (names.length === 0) throw new EncryptionConfigError(`${source}: resources[${i}].resources: Required value`);
      for (const n of names) {
        if (seen.has(n)) throw new EncryptionConfigError(`${source}: resources[${i}].resources: Duplicate value: "${n}"`);
        seen.add(n);
      }
      const providers = Array.isArray(r.providers) ? r.providers.map(record) : [];
      if (providers.length === 0) throw new EncryptionConfigError(`${source}: resources[${i}].providers: Required value`);
      const keyed: { name: ProviderName; keys: KeyedProvider[] }[] = providers.map((p, j) => parseProvider(p, `${source}: resources[${i}].providers[${j}]`));
      const first = keyed[0]!;
      rules.push({
        matches: matcher(names),
        writer: first.name === 'identity' ? undefined : first.keys[0],
        readers: keyed.flatMap((k) => k.keys),
        identityReads: keyed.some((k) => k.name === 'identity'),
      });
    });
    return new Encryption(rules);
  }

  static fromFile(path: string): Encryption {
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (err) {
      throw new EncryptionConfigError(`cannot read the encryption configuration ${path}: ${err instanceof Error ? err.message : String(err)}`);
    }
    return Encryption.parse(text, path);
  }

  handles(resource: string): boolean {
    return this.rule(resource) !== undefined;
  }

  toStorage(resource: string, context: string, data: string): string | Buffer {
    const writer = this.rule(resource)?.writer;
    if (!writer) return data;
    return Buffer.concat([writer.prefix, writer.seal(Buffer.from(data, 'utf8'), context)]);
  }

  fromStorage(resource: string, context: string, stored: string | Buffer): string {
    const bytes = typeof stored === 'string' ? Buffer.from(stored, 'utf8') : stored;
    const rule = this.rule(resource);
    const encrypted = bytes.subarray(0, encryptedPrefix.length).toString('latin1') === encryptedPrefix;
    if (!encrypted) {
      if (!rule || rule.identityReads) return typeof stored === 'string' ? stored : bytes.toString('utf8');
      throw new EncryptionConfigError(`${resource} ${context}: stored in the clear, and the encryption configuration lists no identity provider to read it`);
    }
    for (const reader of rule?.readers ?? []) {
      if (bytes.length < reader.prefix.length || !bytes.subarray(0, reader.prefix.length).equals(reader.prefix)) continue;
      return reader.open(bytes.subarray(reader.prefix.length), context).toString('utf8');
    }
    const end = bytes.indexOf(':', encryptedPrefix.length + 20);
    const label = bytes.subarray(0, Math.min(end < 0 ? 64 : end, 64)).toString('latin1');
    throw new EncryptionConfigError(`${resource} ${context}: no provider in the encryption configuration reads values prefixed "${label}" (was its key removed?)`);
  }

  private rule(resource: string): Rule | undefined {
    return this.rules.find((r) => r.matches(resource));
  }
}

/** `secrets`, `deployments.apps`, `*.apps`, `*.*` against a store key `group/plural`. */
function matcher(names: string[]): (resource: string) => boolean {
  return (resource) => {
    const slash = resource.indexOf('/');
    const group = resource.slice(0, slash);
    const plural = resource.slice(slash + 1);
    return names.some((n) => {
      if (n === '*.*') return true;
      const dot = n.indexOf('.');
      const [p, g] = dot < 0 ? [n, ''] : [n.slice(0, dot), n.slice(dot + 1)];
      return (p === '*' || p === plural) && g === group;
    });
  };
}

function parseProvider(p: Record<string, unknown>, where: string): { name: ProviderName; keys: KeyedProvider[] } {
  const names = Object.keys(p);
  if (names.length !== 1) throw new EncryptionConfigError(`${where}: exactly one provider must be named (aesgcm, aescbc, secretbox, identity)`);
  const name = names[0]!;
  if (name === 'identity') return { name, keys: [] };
  if (name === 'kms') throw new EncryptionConfigError(`${where}: the kms provider is not supported by Floe (use aesgcm, aescbc or secretbox)`);
  if (name !== 'aesgcm' && name !== 'aescbc' && name !== 'secretbox') throw new EncryptionConfigError(`${where}: unknown provider "${name}"`);
  const keys = Array.isArray(record(p[name]).keys) ? (record(p[name]).keys as unknown[]).map(record) : [];
  if (keys.length === 0) throw new EncryptionConfigError(`${where}.${name}.keys: Required value`);
  const seen = new Set<string>();
  return {
    name,
    keys: keys.map((k, i): KeyedProvider => {
      const key = parseKey(k, `${where}.${name}.keys[${i}]`);
      if (seen.has(key.name)) throw new EncryptionConfigError(`${where}.${name}.keys[${i}].name: Duplicate value: "${key.name}"`);
      seen.add(key.name);
      const sizes = name === 'aesgcm' ? [16, 24, 32] : [32];
      if (!sizes.includes(key.secret.length)) {
        throw new EncryptionConfigError(`${where}.${name}.keys[${i}].secret: Invalid value: secret is not of the expected length, got ${key.secret.length}, expected one of ${JSON.stringify(sizes)}`);
      }
      return keyedProvider(name, key);
    }),
  };
}

function parseKey(k: Record<string, unknown>, where: string): Key {
  const name = typeof k.name === 'string' ? k.name : '';
  if (!name) throw new EncryptionConfigError(`${where}.name: Required value`);
  if (name.includes(':')) throw new EncryptionConfigError(`${where}.name: Invalid value: "${name}": should not contain ':'`);
  const secretText = typeof k.secret === 'string' ? k.secret : '';
  if (!secretText) throw new EncryptionConfigError(`${where}.secret: Required value`);
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(secretText.trim())) throw new EncryptionConfigError(`${where}.secret: Invalid value: secrets must be base64 encoded`);
  return { name, secret: Buffer.from(secretText.trim(), 'base64') };
}

function keyedProvider(provider: Exclude<ProviderName, 'identity'>, key: Key): KeyedProvider {
  const prefix = Buffer.from(`${encryptedPrefix}${provider}:v1:${key.name}:`, 'latin1');
  switch (provider) {
    case 'aesgcm':
      return { prefix, seal: (plain, context) => aesgcmSeal(key.secret, plain, context), open: (sealed, context) => aesgcmOpen(key.secret, sealed, context) };
    case 'aescbc':
      return { prefix, seal: (plain) => aescbcSeal(key.secret, plain), open: (sealed) => aescbcOpen(key.secret, sealed) };
    case 'secretbox':
      return { prefix, seal: (plain) => secretboxSeal(key.secret, plain), open: (sealed) => secretboxOpen(key.secret, sealed) };
  }
}

// AES-GCM as kube's aes.NewGCMTransformer: a random 12-byte nonce, then the ciphertext with its 16-byte tag; the
// storage key is the authenticated data, so a value copied to another object's row does not open.
function aesgcmSeal(secret: Buffer, plain: Buffer, context: string): Buffer {
  const nonce = randomBytes(12);
  const cipher = createCipheriv(gcm(secret), secret, nonce);
  cipher.setAAD(Buffer.from(context, 'utf8'));
  const body = Buffer.concat([cipher.update(plain), cipher.final()]);
  return Buffer.concat([nonce, body, cipher.getAuthTag()]);
}

function aesgcmOpen(secret: Buffer, sealed: Buffer, context: string): Buffer {
  if (sealed.length < 12 + 16) throw new EncryptionConfigError('the stored value is too short for AES-GCM');
  const decipher = createDecipheriv(gcm(secret), secret, sealed.subarray(0, 12));
  decipher.setAAD(Buffer.from(context, 'utf8'));
  decipher.setAuthTag(sealed.subarray(sealed.length - 16));
  try {
    return Buffer.concat([decipher.update(sealed.subarray(12, sealed.length - 16)), decipher.final()]);
  } catch {
    throw new EncryptionConfigError('AES-GCM could not authenticate the stored value (wrong key, or the value belongs to another object)');
  }
}

function gcm(secret: Buffer): CipherGCMTypes {
  return secret.length === 16 ? 'aes-128-gcm' : secret.length === 24 ? 'aes-192-gcm' : 'aes-256-gcm';
}

// AES-CBC as kube's aes.NewCBCTransformer: a random 16-byte IV, then PKCS#7-padded ciphertext.
function aescbcSeal(secret: Buffer, plain: Buffer): Buffer {
  const iv = randomBytes(16);
  const cipher = createCipheriv('aes-256-cbc', secret, iv);
  return Buffer.concat([iv, cipher.update(plain), cipher.final()]);
}

function aescbcOpen(secret: Buffer, sealed: Buffer): Buffer {
  if (sealed.length < 32 || sealed.length % 16 !== 0) throw new EncryptionConfigError('the stored value is not a whole number of AES-CBC blocks');
  const decipher = createDecipheriv('aes-256-cbc', secret, sealed.subarray(0, 16));
  try {
    return Buffer.concat([decipher.update(sealed.subarray(16)), decipher.final()]);
  } catch {
    throw new EncryptionConfigError('AES-CBC could not decrypt the stored value (wrong key)');
  }
}

// NaCl secretbox (XSalsa20-Poly1305) as kube's secretbox transformer: a random 24-byte nonce, then the box.
function secretboxSeal(secret: Buffer, plain: Buffer): Buffer {
  const nonce = randomBytes(nacl.secretbox.nonceLength);
  return Buffer.concat([nonce, Buffer.from(nacl.secretbox(plain, nonce, secret))]);
}

function secretboxOpen(secret: Buffer, sealed: Buffer): Buffer {
  if (sealed.length < nacl.secretbox.nonceLength + nacl.secretbox.overheadLength) throw new EncryptionConfigError('the stored value is too short for secretbox');
  const opened = nacl.secretbox.open(sealed.subarray(nacl.secretbox.nonceLength), sealed.subarray(0, nacl.secretbox.nonceLength), secret);
  if (!opened) throw new EncryptionConfigError('secretbox could not open the stored value (wrong key)');
  return Buffer.from(opened);
}

function record(value: unknown): Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

/** A new configuration: Secrets sealed with AES-GCM under a fresh 32-byte key, values in the clear still readable. */
export function generatedEncryptionConfig(keyName = 'key1', secret: Buffer = randomBytes(32)): string {
  return `# Generated by Floe: Secrets are encrypted at rest with this key. Keep this file (0600) with the database;
# without it the Secrets in floe.db cannot be read. Rotation: add a new key FIRST under aesgcm.keys, restart Floe,
# run \`floe secrets rewrite\`, then remove the old key.
apiVersion: apiserver.config.k8s.io/v1
kind: EncryptionConfiguration
resources:
  - resources:
      - secrets
    providers:
      - aesgcm:
          keys:
            - name: ${keyName}
              secret: ${secret.toString('base64')}
      - identity: {}
`;
}

export interface LoadedEncryption {
  encryption: Encryption;
  path: string;
  /** True when Floe wrote a new configuration (the data directory had none). */
  generated: boolean;
  /** Set when the file can be read by others. */
  warning?: string;
}

/**
 * The encryption of a data directory: `configPath` when given (--encryption-provider-config), else the data
 * directory's own `encryption-config.yaml`, generated (0600) the first time.
 */
export function loadEncryption(options: { dataDir: string; configPath?: string }): LoadedEncryption {
  const path = options.configPath ?? join(options.dataDir, defaultEncryptionConfigFile);
  let generated = false;
  if (!options.configPath && !existsSync(path)) {
    writePrivateFile(path, generatedEncryptionConfig());
    generated = true;
  }
  const encryption = Encryption.fromFile(path);
  const out: LoadedEncryption = { encryption, path, generated };
  const mode = statSync(path).mode & 0o777;
  if ((mode & 0o077) !== 0) out.warning = `the encryption configuration ${path} can be read by other users (mode 0${mode.toString(8)}): chmod 600 ${path}`;
  return out;
}
