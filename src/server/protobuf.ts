// Decodes the Kubernetes protobuf bodies kubectl's typed clients send (`kubectl create namespace|configmap|secret|serviceaccount`).
import { errors, FloeError } from '../api/errors.js';
import { decodeBuiltinProtobuf } from './protobuf-kinds.js';

/** How one field of a message decodes: scalar kinds, maps, or a nested message. */
type FieldSpec =
  | { name: string; type: 'string' | 'bytes' | 'bool' | 'int' }
  | { name: string; type: 'strings' }
  | { name: string; type: 'map'; values: 'string' | 'bytes' }
  | { name: string; type: 'message'; message: MessageSpec; repeated?: boolean }
  | { name: string; type: 'time' };

interface MessageSpec {
  [field: number]: FieldSpec;
}

// Field numbers are facts of the Kubernetes API (k8s.io/api and k8s.io/apimachinery generated.proto).
const ownerReference: MessageSpec = {
  1: { name: 'kind', type: 'string' },
  3: { name: 'name', type: 'string' },
  4: { name: 'uid', type: 'string' },
  5: { name: 'apiVersion', type: 'string' },
  6: { name: 'controller', type: 'bool' },
  7: { name: 'blockOwnerDeletion', type: 'bool' },
};
const objectMeta: MessageSpec = {
  1: { name: 'name', type: 'string' },
  2: { name: 'generateName', type: 'string' },
  3: { name: 'namespace', type: 'string' },
  5: { name: 'uid', type: 'string' },
  6: { name: 'resourceVersion', type: 'string' },
  7: { name: 'generation', type: 'int' },
  8: { name: 'creationTimestamp', type: 'time' },
  11: { name: 'labels', type: 'map', values: 'string' },
  12: { name: 'annotations', type: 'map', values: 'string' },
  13: { name: 'ownerReferences', type: 'message', message: ownerReference, repeated: true },
  14: { name: 'finalizers', type: 'strings' },
};
const metadata: FieldSpec = { name: 'metadata', type: 'message', message: objectMeta };
const objectReference: MessageSpec = {
  1: { name: 'kind', type: 'string' },
  2: { name: 'namespace', type: 'string' },
  3: { name: 'name', type: 'string' },
  4: { name: 'uid', type: 'string' },
  5: { name: 'apiVersion', type: 'string' },
};

// authorization.k8s.io/v1 (what `kubectl auth can-i` sends): ResourceAttributes, NonResourceAttributes, the specs.
const resourceAttributes: MessageSpec = {
  1: { name: 'namespace', type: 'string' },
  2: { name: 'verb', type: 'string' },
  3: { name: 'group', type: 'string' },
  4: { name: 'version', type: 'string' },
  5: { name: 'resource', type: 'string' },
  6: { name: 'subresource', type: 'string' },
  7: { name: 'name', type: 'string' },
};
const nonResourceAttributes: MessageSpec = { 1: { name: 'path', type: 'string' }, 2: { name: 'verb', type: 'string' } };
const accessReviewSpec: MessageSpec = {
  1: { name: 'resourceAttributes', type: 'message', message: resourceAttributes },
  2: { name: 'nonResourceAttributes', type: 'message', message: nonResourceAttributes },
  3: { name: 'user', type: 'string' },
  4: { name: 'groups', type: 'strings' },
  6: { name: 'uid', type: 'string' },
};

const kinds: Record<string, MessageSpec> = {
  'authorization.k8s.io/v1/SelfSubjectAccessReview': { 1: metadata, 2: { name: 'spec', type: 'message', message: { 1: accessReviewSpec[1]!, 2: accessReviewSpec[2]! } } },
  'authorization.k8s.io/v1/SubjectAccessReview': { 1: metadata, 2: { name: 'spec', type: 'message', message: accessReviewSpec } },
  'authorization.k8s.io/v1/LocalSubjectAccessReview': { 1: metadata, 2: { name: 'spec', type: 'message', message: accessReviewSpec } },
  'authorization.k8s.io/v1/SelfSubjectRulesReview': { 1: metadata, 2: { name: 'spec', type: 'message', message: { 1: { name: 'namespace', type: 'string' } } } },
  'authentication.k8s.io/v1/SelfSubjectReview': { 1: metadata },
  'v1/ConfigMap': { 1: metadata, 2: { name: 'data', type: 'map', values: 'string' }, 3: { name: 'binaryData', type: 'map', values: 'bytes' }, 4: { name: 'immutable', type: 'bool' } },
  'v1/Secret': { 1: metadata, 2: { name: 'data', type: 'map', values: 'bytes' }, 3: { name: 'type', type: 'string' }, 4: { name: 'stringData', type: 'map', values: 'string' }, 5: { name: 'immutable', type: 'bool' } },
  'v1/Namespace': { 1: metadata, 2: { name: 'spec', type: 'message', message: { 1: { name: 'finalizers', type: 'strings' } } } },
  'v1/ServiceAccount': {
    1: metadata,
    2: { name: 'secrets', type: 'message', message: objectReference, repeated: true },
    3: { name: 'imagePullSecrets', type: 'message', message: { 1: { name: 'name', type: 'string' } }, repeated: true },
    4: { name: 'automountServiceAccountToken', type: 'bool' },
  },
  // `kubectl create token` (k8s.io/api/authentication/v1 TokenRequestSpec, BoundObjectReference).
  'authentication.k8s.io/v1/TokenRequest': {
    1: metadata,
    2: {
      name: 'spec',
      type: 'message',
      message: {
        1: { name: 'audiences', type: 'strings' },
        3: { name: 'boundObjectRef', type: 'message', message: { 1: { name: 'kind', type: 'string' }, 2: { name: 'apiVersion', type: 'string' }, 3: { name: 'name', type: 'string' }, 4: { name: 'uid', type: 'string' } } },
        4: { name: 'expirationSeconds', type: 'int' },
      },
    },
  },
};

const magic = Buffer.from([0x6b, 0x38, 0x73, 0x00]); // "k8s\0"

/** Decodes a `application/vnd.kubernetes.protobuf` body into the JSON object it stands for. */
export function decodeKubernetesProtobuf(body: Buffer): Record<string, unknown> {
  if (body.length < 4 || !body.subarray(0, 4).equals(magic)) throw errors.badRequest('the protobuf body does not start with the Kubernetes envelope');
  const unknown = decodeMessage(new Reader(body.subarray(4)), {
    1: { name: 'typeMeta', type: 'message', message: { 1: { name: 'apiVersion', type: 'string' }, 2: { name: 'kind', type: 'string' } } },
    2: { name: 'raw', type: 'bytes' },
  });
  const typeMeta = (unknown.typeMeta ?? {}) as { apiVersion?: string; kind?: string };
  const key = `${typeMeta.apiVersion ?? ''}/${typeMeta.kind ?? ''}`;
  const spec = kinds[key];
  if (!spec) {
    // Every other built-in kind decodes through the table generated from the release's generated.proto.
    const generated = decodeBuiltinProtobuf(typeMeta.apiVersion ?? '', typeMeta.kind ?? '', Buffer.from((unknown.raw as string | undefined) ?? '', 'base64'));
    if (generated) return generated;
    throw new FloeError('UnsupportedMediaType', `Floe decodes protobuf only for ${Object.keys(kinds).join(', ')}; send ${key} as application/json (kubectl apply -f does)`);
  }
  const raw = Buffer.from((unknown.raw as string | undefined) ?? '', 'base64');
  return { apiVersion: typeMeta.apiVersion, kind: typeMeta.kind, ...decodeMessage(new Reader(raw), spec) };
}

class Reader {
  private pos = 0;
  constructor(private readonly buf: Buffer) {}

  done(): boolean {
    return this.pos >= this.buf.length;
  }

  varint(): number {
    let result = 0;
    let shift = 0;
    for (;;) {
      if (this.pos >= this.buf.length) throw errors.badRequest('truncated protobuf varint');
      const b = this.buf[this.pos++]!;
      result += (b & 0x7f) * 2 ** shift;
      if ((b & 0x80) === 0) return result;
      shift += 7;
      if (shift > 63) throw errors.badRequest('protobuf varint too long');
    }
  }

  bytes(): Buffer {
    const len = this.varint();
    if (this.pos + len > this.buf.length) throw errors.badRequest('truncated protobuf field');
    const out = this.buf.subarray(this.pos, this.pos + len);
    this.pos += len;
    return out;
  }

  skip(wire: number): void {
    if (wire === 0) this.varint();
    else if (wire === 1) this.pos += 8;
    else if (wire === 2) this.bytes();
    else if (wire === 5) this.pos += 4;
    else throw errors.badRequest(`unsupported protobuf wire type ${wire}`);
  }
}

function decodeMessage(reader: Reader, spec: MessageSpec): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  while (!reader.done()) {
    const tag = reader.varint();
    const field = Math.floor(tag / 8);
    const wire = tag & 7;
    const f = spec[field];
    if (!f) {
      reader.skip(wire);
      continue;
    }
    switch (f.type) {
      case 'string': {
        // Go writes empty strings that its JSON would omit; so do we.
        const v = reader.bytes().toString('utf8');
        if (v !== '') out[f.name] = v;
        break;
      }
      case 'bytes':
        out[f.name] = reader.bytes().toString('base64');
        break;
      case 'bool':
        out[f.name] = reader.varint() !== 0;
        break;
      case 'int': {
        const v = reader.varint();
        if (v !== 0) out[f.name] = v;
        break;
      }
      case 'strings':
        ((out[f.name] ??= []) as string[]).push(reader.bytes().toString('utf8'));
        break;
      case 'map': {
        const entry = decodeMessage(new Reader(reader.bytes()), { 1: { name: 'key', type: 'string' }, 2: { name: 'value', type: f.values } });
        ((out[f.name] ??= {}) as Record<string, unknown>)[typeof entry.key === 'string' ? entry.key : ''] = entry.value ?? '';
        break;
      }
      case 'message': {
        const value = decodeMessage(new Reader(reader.bytes()), f.message);
        if (f.repeated) ((out[f.name] ??= []) as unknown[]).push(value);
        else out[f.name] = value;
        break;
      }
      case 'time': {
        const t = decodeMessage(new Reader(reader.bytes()), { 1: { name: 's', type: 'int' } });
        out[f.name] = new Date(Number(t.s ?? 0) * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
        break;
      }
    }
  }
  return out;
}
