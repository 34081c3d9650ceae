// Reading decoded JSON defensively: built-in kinds validate objects whose fields may have any type.

export type JsonObject = Record<string, unknown>;

export function isRecord(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The value when it is an object, else an empty one (never the caller's to keep). */
export function record(value: unknown): JsonObject {
  return isRecord(value) ? value : {};
}

/** The value when it is an array, else an empty one. */
export function list(value: unknown): unknown[] {
  return Array.isArray(value) ? (value as unknown[]) : [];
}

/** The value when it is a string, else ''. Go's zero value, which Kubernetes treats as "unset". */
export function text(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

/** The value when it is a finite number, else undefined. */
export function num(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

/** Walks a dotted path through nested objects. */
export function at(value: unknown, path: string): unknown {
  let cur = value;
  for (const part of path.split('.')) cur = isRecord(cur) ? cur[part] : undefined;
  return cur;
}

/** JSON with object keys sorted, so equal values compare equal whatever order their keys came in. */
export function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => (isRecord(v) ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, v[k]])) : v)) ?? 'undefined';
}

export function sameJson(a: unknown, b: unknown): boolean {
  return canonical(a) === canonical(b);
}

/** Paths (`spec.containers[0].command`) where two JSON values differ, for messages. */
export function differingPaths(a: unknown, b: unknown, path: string, out: string[] = []): string[] {
  if (sameJson(a, b)) return out;
  if (isRecord(a) && isRecord(b)) {
    for (const key of [...new Set([...Object.keys(a), ...Object.keys(b)])].sort()) differingPaths(a[key], b[key], `${path}.${key}`, out);
  } else if (Array.isArray(a) && Array.isArray(b) && a.length === b.length) {
    a.forEach((v, i) => differingPaths(v, b[i], `${path}[${i}]`, out));
  } else {
    out.push(path);
  }
  return out;
}
