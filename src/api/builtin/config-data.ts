// core/v1 ConfigMap and Secret: key rules, the 1 MiB limit, Secret types and stringData, immutability.
import { fieldErrors, type FieldError } from '../errors.js';
import type { KubeObject } from '../meta.js';
import type { ResourceType } from '../resource-type.js';
import { builtinType } from './builtin-type.js';
import { configKeyMessages, isBase64 } from './field-checks.js';
import { isRecord, record, sameJson, text } from './json.js';
import { column } from './printing.js';

/** Kubernetes' MaxSecretSize, which also bounds a ConfigMap's data. */
export const maxDataBytes = 1024 * 1024;

const redacted = '<secret contents redacted>';

function base64Bytes(value: string): number {
  return Buffer.from(value, 'base64').length;
}

/** Checks one data map's keys and values; returns the bytes it holds. `encoded` maps hold base64 values. */
function checkData(field: string, value: unknown, encoded: boolean, secret: boolean, errs: FieldError[]): number {
  if (value === undefined || value === null) return 0;
  if (!isRecord(value)) {
    errs.push(fieldErrors.typeInvalid(field, secret ? redacted : value, 'must be a map of string to string'));
    return 0;
  }
  let bytes = 0;
  for (const [key, v] of Object.entries(value)) {
    const p = `${field}[${key}]`;
    for (const m of configKeyMessages(key)) errs.push(fieldErrors.invalid(p, key, m));
    if (typeof v !== 'string') errs.push(fieldErrors.typeInvalid(p, secret ? redacted : v, 'must be a string'));
    else if (encoded && !isBase64(v)) errs.push(fieldErrors.invalid(p, secret ? redacted : v, 'must be base64 encoded'));
    else bytes += encoded ? base64Bytes(v) : Buffer.byteLength(v);
  }
  return bytes;
}

/** An immutable ConfigMap or Secret keeps `immutable` and its data for good. */
function checkImmutable(object: KubeObject, old: KubeObject | undefined, fields: string[]): FieldError[] {
  if (old?.immutable !== true) return [];
  const errs: FieldError[] = [];
  if (object.immutable !== true) errs.push(fieldErrors.forbidden('immutable', 'field is immutable when `immutable` is set'));
  for (const f of fields) if (!sameJson(object[f] ?? {}, old[f] ?? {})) errs.push(fieldErrors.forbidden(f, 'field is immutable when `immutable` is set'));
  return errs;
}

export function validateConfigMap(cm: KubeObject, old?: KubeObject): FieldError[] {
  const errs: FieldError[] = [];
  let bytes = checkData('data', cm.data, false, false, errs);
  bytes += checkData('binaryData', cm.binaryData, true, false, errs);
  const data = record(cm.data);
  const binary = record(cm.binaryData);
  for (const key of Object.keys(data)) if (key in binary) errs.push(fieldErrors.invalid(`data[${key}]`, key, 'duplicate of key present in binaryData'));
  for (const key of Object.keys(binary)) if (key in data) errs.push(fieldErrors.invalid(`binaryData[${key}]`, key, 'duplicate of key present in data'));
  // Kubernetes reports the size of a ConfigMap against the whole object: an empty path.
  if (bytes > maxDataBytes) errs.push(fieldErrors.tooLong('', maxDataBytes));
  errs.push(...checkImmutable(cm, old, ['data', 'binaryData']));
  return errs;
}

/** `stringData` is write-only: merged into `data` as base64 (its keys win), then dropped. `type` defaults to Opaque. */
export function defaultSecret(secret: KubeObject): void {
  if (!text(secret.type)) secret.type = 'Opaque';
  if (isRecord(secret.stringData)) {
    const data = isRecord(secret.data) ? secret.data : {};
    for (const [key, value] of Object.entries(secret.stringData)) if (typeof value === 'string') data[key] = Buffer.from(value).toString('base64');
    secret.data = data;
    delete secret.stringData;
  }
}

function decodedJson(value: unknown): string | undefined {
  if (typeof value !== 'string' || !isBase64(value)) return undefined;
  try {
    JSON.parse(Buffer.from(value, 'base64').toString('utf8'));
    return undefined;
  } catch (err) {
    return err instanceof Error ? err.message : 'invalid JSON';
  }
}

/** Keys a typed Secret must carry. */
function checkSecretType(secret: KubeObject, data: Record<string, unknown>): FieldError[] {
  const need = (key: string): FieldError[] => (key in data ? [] : [fieldErrors.required(`data[${key}]`)]);
  switch (text(secret.type)) {
    case 'kubernetes.io/service-account-token':
      return secret.metadata.annotations?.['kubernetes.io/service-account.name'] ? [] : [fieldErrors.required('metadata.annotations[kubernetes.io/service-account.name]')];
    case 'kubernetes.io/dockercfg':
    case 'kubernetes.io/dockerconfigjson': {
      const key = secret.type === 'kubernetes.io/dockercfg' ? '.dockercfg' : '.dockerconfigjson';
      if (!(key in data)) return need(key);
      const problem = decodedJson(data[key]);
      return problem === undefined ? [] : [fieldErrors.invalid(`data[${key}]`, redacted, problem)];
    }
    case 'kubernetes.io/basic-auth':
      return 'username' in data || 'password' in data ? [] : [...need('username'), ...need('password')];
    case 'kubernetes.io/ssh-auth':
      return text(data['ssh-privatekey']) ? [] : [fieldErrors.required('data[ssh-privatekey]')];
    case 'kubernetes.io/tls':
      return [...need('tls.crt'), ...need('tls.key')];
    default:
      return [];
  }
}

export function validateSecret(secret: KubeObject, old?: KubeObject): FieldError[] {
  const errs: FieldError[] = [];
  const bytes = checkData('data', secret.data, true, true, errs);
  if (bytes > maxDataBytes) errs.push(fieldErrors.tooLong('data', maxDataBytes));
  errs.push(...checkSecretType(secret, record(secret.data)));
  if (old) {
    if (text(secret.type) !== text(old.type)) errs.push(fieldErrors.invalid('type', secret.type, 'field is immutable'));
    errs.push(...checkImmutable(secret, old, ['data']));
  }
  return errs;
}

export function configMapType(): ResourceType {
  return builtinType({
    group: '',
    version: 'v1',
    kind: 'ConfigMap',
    plural: 'configmaps',
    shortNames: ['cm'],
    columns: [column('Data', 'integer', 'The number of keys in data and binaryData.')],
    cells: (cm) => [Object.keys(record(cm.data)).length + Object.keys(record(cm.binaryData)).length],
    validate: validateConfigMap,
  });
}

export function secretType(): ResourceType {
  return builtinType({
    group: '',
    version: 'v1',
    kind: 'Secret',
    plural: 'secrets',
    columns: [column('Type', 'string', 'Used to facilitate programmatic handling of secret data.'), column('Data', 'integer', 'The number of keys in data.')],
    cells: (s) => [text(s.type), Object.keys(record(s.data)).length],
    defaults: defaultSecret,
    validate: validateSecret,
    selectableFields: { type: (s) => text(s.type) },
  });
}
