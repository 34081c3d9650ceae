// RFC 7386 JSON merge patch (application/merge-patch+json).
import { cloneJson, getOwn, isJsonObject, setKey, type JsonObject } from './json-value.js';

/**
 * Applies a JSON merge patch: null deletes a key, objects merge recursively, anything else
 * (arrays included) replaces. Never mutates its inputs, and the result shares nothing with them.
 */
export function applyMergePatch(target: unknown, patch: unknown): unknown {
  if (!isJsonObject(patch)) return cloneJson(patch);
  const result: JsonObject = isJsonObject(target) ? cloneJson(target) : {};
  mergeInto(result, patch);
  return result;
}

/** Merges `patch` into `result`, which the caller owns. */
function mergeInto(result: JsonObject, patch: JsonObject): void {
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) {
      delete result[key];
    } else if (isJsonObject(value)) {
      const current = getOwn(result, key);
      const child: JsonObject = isJsonObject(current) ? current : {};
      mergeInto(child, value);
      setKey(result, key, child);
    } else {
      setKey(result, key, cloneJson(value));
    }
  }
}
