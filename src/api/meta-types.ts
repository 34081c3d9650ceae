// JSON types in ObjectMeta as kube-apiserver's decoder enforces them: a name must be a string before anything else is checked.

/** What a JSON value is called in Go's `cannot unmarshal X into …` errors. */
function jsonKind(value: unknown, wantInteger = false): string {
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return wantInteger && !Number.isInteger(value) ? `number ${value}` : 'number';
  if (typeof value === 'boolean') return 'bool';
  if (typeof value === 'string') return 'string';
  return 'object';
}

const stringFields: Record<string, string> = {
  name: 'string',
  generateName: 'string',
  namespace: 'string',
  selfLink: 'string',
  uid: 'types.UID',
  resourceVersion: 'string',
};
const integerFields = new Set(['generation', 'deletionGracePeriodSeconds']);
const ownerStrings: Record<string, string> = { apiVersion: 'string', kind: 'string', name: 'string', uid: 'types.UID' };

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function mismatch(value: unknown, field: string, goType: string, integer = false): string {
  return `json: cannot unmarshal ${jsonKind(value, integer)} into Go struct field ${field} of type ${goType}`;
}

/**
 * Checks the JSON types of an object's `metadata` as decoding into Go's ObjectMeta does, and returns Go's message for
 * the first mismatch (`json: cannot unmarshal number into Go struct field ObjectMeta.metadata.name of type string`), or
 * undefined. Nulls decode to Go's zero value, so null fields are removed from `object.metadata` (a null name is then
 * simply absent: "name or generateName is required"). `kind` names the outer Go struct (`ConfigMap.metadata`).
 */
export function checkObjectMetaTypes(object: Record<string, unknown>, kind: string): string | undefined {
  const meta = object.metadata;
  if (meta === undefined || meta === null) return undefined;
  if (!isRecord(meta)) return mismatch(meta, `${kind}.metadata`, 'v1.ObjectMeta');
  for (const [key, value] of Object.entries(meta)) {
    if (value === null) {
      Reflect.deleteProperty(meta, key);
      continue;
    }
    const at = `ObjectMeta.metadata.${key}`;
    const goType = stringFields[key];
    if (goType !== undefined) {
      if (typeof value !== 'string') return mismatch(value, at, goType);
    } else if (integerFields.has(key)) {
      if (typeof value !== 'number' || !Number.isInteger(value)) return mismatch(value, at, 'int64', true);
    } else if (key === 'labels' || key === 'annotations') {
      if (!isRecord(value)) return mismatch(value, at, 'map[string]string');
      for (const v of Object.values(value)) if (v !== null && typeof v !== 'string') return mismatch(v, at, 'string');
    } else if (key === 'finalizers') {
      if (!Array.isArray(value)) return mismatch(value, at, '[]string');
      for (const v of value) if (v !== null && typeof v !== 'string') return mismatch(v, at, 'string');
    } else if (key === 'ownerReferences') {
      const problem = checkOwnerReferences(value);
      if (problem) return problem;
    }
  }
  return undefined;
}

function checkOwnerReferences(value: unknown): string | undefined {
  const at = 'ObjectMeta.metadata.ownerReferences';
  if (!Array.isArray(value)) return mismatch(value, at, '[]v1.OwnerReference');
  for (const ref of value) {
    if (ref === null) continue;
    if (!isRecord(ref)) return mismatch(ref, at, 'v1.OwnerReference');
    for (const [key, v] of Object.entries(ref)) {
      if (v === null) continue;
      const field = `OwnerReference.metadata.ownerReferences.${key}`;
      const goType = ownerStrings[key];
      if (goType !== undefined && typeof v !== 'string') return mismatch(v, field, goType);
      if ((key === 'controller' || key === 'blockOwnerDeletion') && typeof v !== 'boolean') return mismatch(v, field, 'bool');
    }
  }
  return undefined;
}
