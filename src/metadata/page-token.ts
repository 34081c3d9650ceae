// Opaque page tokens: a keyset cursor (or a walk position) bound to the query that issued it.
import { createHash } from 'node:crypto';
import { MetadataError } from './errors.js';

/** A short digest of what a token is only valid for: the filter, the order, the lineage query. */
export function fingerprint(query: unknown): string {
  return createHash('sha256').update(JSON.stringify(query)).digest('base64url').slice(0, 12);
}

export function encodeToken(fp: string, key: number[]): string {
  return Buffer.from(JSON.stringify({ q: fp, k: key }), 'utf8').toString('base64url');
}

/** The cursor inside `token`; throws INVALID_ARGUMENT when it is not one of ours or was issued for another query. */
export function decodeToken(token: string, fp: string, length: number, field = 'page_token'): number[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
  } catch {
    throw MetadataError.invalid(field, 'is not a token this API issued');
  }
  const t = parsed as { q?: unknown; k?: unknown } | null;
  if (!t || typeof t !== 'object' || !Array.isArray(t.k) || t.k.length !== length || !t.k.every((n) => Number.isSafeInteger(n))) {
    throw MetadataError.invalid(field, 'is not a token this API issued');
  }
  if (t.q !== fp) throw MetadataError.invalid(field, 'was issued for a different query: keep the filter, order and lineage options of the first page');
  return t.k as number[];
}
