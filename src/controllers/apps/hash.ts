// Template hashes for workload controllers: `pod-template-hash` (Deployments) and revision hashes, in upstream's alphabet.

/** The alphabet kube's rand.SafeEncodeString maps digits onto: no vowels, no look-alikes, so a hash never spells a word. */
export const SafeAlphabet = 'bcdfghjklmnpqrstvwxz2456789';

/**
 * JSON with object keys sorted and null, undefined, empty maps and empty lists dropped: kube compares templates as typed
 * Go values, where `creationTimestamp: null` (which kubectl sends back in `rollout undo`) and `{}` are the zero value.
 */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(canonical(value)) ?? 'null';
}

function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) {
      const v = canonical((value as Record<string, unknown>)[key]);
      if (v === undefined || v === null) continue;
      if (Array.isArray(v) && v.length === 0) continue;
      if (v && typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length === 0) continue;
      out[key] = v;
    }
    return out;
  }
  return value;
}

/** FNV-1a, 32 bits, over UTF-8 bytes (Go's hash/fnv New32a). */
export function fnv32a(bytes: Uint8Array, seed = 0x811c9dc5): number {
  let h = seed >>> 0;
  for (const b of bytes) {
    h ^= b;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/** Each character of `text` mapped onto the safe alphabet by its code, as rand.SafeEncodeString does. */
export function safeEncode(text: string): string {
  let out = '';
  for (const ch of text) out += SafeAlphabet[ch.charCodeAt(0) % SafeAlphabet.length];
  return out;
}

/**
 * ComputeHash: FNV-32a over a deterministic dump of the template, then the collision count (little-endian uint32) when
 * set, printed in decimal and safe-encoded. Go's dump format is not reproducible here, so the values differ from
 * kube-controller-manager's; they are stable per template and use the same alphabet and length (docs/compatibility.md).
 */
export function computeHash(template: unknown, collisionCount?: number): string {
  let h = fnv32a(new TextEncoder().encode(canonicalJson(template)));
  if (collisionCount !== undefined) {
    const extra = new Uint8Array(4);
    new DataView(extra.buffer).setUint32(0, collisionCount >>> 0, true);
    h = fnv32a(extra, h);
  }
  return safeEncode(String(h));
}
