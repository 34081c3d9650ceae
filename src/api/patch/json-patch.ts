// RFC 6902 JSON patch (application/json-patch+json): document checks, per-operation preconditions, errors as Kubernetes reports them.
import * as fastJsonPatch from 'fast-json-patch';
import { errors, FloeError } from '../errors.js';
import { cloneJson, getOwn, hasOwn, isJsonObject, jsonEqual } from './json-value.js';

export const jsonPatchOps = ['add', 'remove', 'replace', 'move', 'copy', 'test'] as const;
export type JsonPatchOp = (typeof jsonPatchOps)[number];

/** One operation of a well-formed JSON patch document. */
export type JsonPatchOperation =
  | { op: 'add' | 'replace' | 'test'; path: string; value: unknown }
  | { op: 'remove'; path: string }
  | { op: 'move' | 'copy'; path: string; from: string };

// The library's own API lives on the CommonJS module object, which Node exposes as the default export.
const jsonPatchLib = fastJsonPatch.default;

/**
 * Checks that `operations` is a JSON patch document: an array of objects, each with a known `op`,
 * a JSON pointer `path`, a `from` pointer for move and copy, and a `value` for add, replace and test.
 * Throws a BadRequest FloeError naming the first problem.
 */
export function parseJsonPatch(operations: unknown): JsonPatchOperation[] {
  if (!Array.isArray(operations)) {
    throw errors.badRequest(`json patch must be an array of operations, got ${describe(operations)}`);
  }
  return operations.map((raw: unknown, index): JsonPatchOperation => {
    if (!isJsonObject(raw)) throw errors.badRequest(`json patch operation ${index} must be an object, got ${describe(raw)}`);
    const op = getOwn(raw, 'op');
    if (op === undefined) throw errors.badRequest(`json patch operation ${index} is missing "op"`);
    if (typeof op !== 'string' || !(jsonPatchOps as readonly string[]).includes(op)) {
      throw errors.badRequest(`json patch operation ${index} has unknown op ${JSON.stringify(op)}: supported ops are ${jsonPatchOps.join(', ')}`);
    }
    const path = pointerField(raw, 'path', index, op);
    switch (op as JsonPatchOp) {
      case 'add':
      case 'replace':
      case 'test':
        if (!hasOwn(raw, 'value') || raw['value'] === undefined) throw errors.badRequest(`json patch operation ${index} (${op}) is missing "value"`);
        return { op: op as 'add' | 'replace' | 'test', path, value: raw['value'] };
      case 'remove':
        return { op: 'remove', path };
      case 'move':
      case 'copy':
        return { op: op as 'move' | 'copy', path, from: pointerField(raw, 'from', index, op) };
    }
  });
}

/**
 * Applies an RFC 6902 JSON patch. A malformed document is a BadRequest; an operation that cannot
 * apply (missing path, failed test) is Invalid (422) naming the operation's index and path.
 * Never mutates its inputs, and the result shares nothing with them.
 */
export function applyJsonPatch(target: unknown, operations: unknown): unknown {
  const parsed = parseJsonPatch(operations);
  let document = cloneJson(target);
  parsed.forEach((operation, index) => {
    checkApplies(document, operation, index);
    const libOperation = { ...operation } as fastJsonPatch.Operation;
    if ('value' in libOperation) libOperation.value = cloneJson<unknown>(libOperation.value);
    try {
      document = jsonPatchLib.applyOperation<unknown>(document, libOperation, true, true, true, index).newDocument;
    } catch (err) {
      throw cannotApply(index, operation, libraryReason(err), err);
    }
  });
  return document;
}

function pointerField(raw: Record<string, unknown>, field: 'path' | 'from', index: number, op: string): string {
  const value = getOwn(raw, field);
  if (value === undefined) throw errors.badRequest(`json patch operation ${index} (${op}) is missing "${field}"`);
  if (typeof value !== 'string') throw errors.badRequest(`json patch operation ${index} (${op}) has a non-string "${field}": ${describe(value)}`);
  if (value !== '' && !value.startsWith('/')) {
    throw errors.badRequest(`json patch operation ${index} (${op}) has "${field}" ${JSON.stringify(value)}, which is not a JSON pointer: it must be empty or start with "/"`);
  }
  return value;
}

type Resolved = { found: true; value: unknown } | { found: false };

function tokensOf(pointer: string): string[] {
  return pointer === '' ? [] : pointer.slice(1).split('/').map((t) => t.replace(/~1/g, '/').replace(/~0/g, '~'));
}

const arrayIndex = /^(0|[1-9][0-9]*)$/;

/** Follows a JSON pointer through own properties and in-range array indexes only. */
function resolve(document: unknown, tokens: readonly string[]): Resolved {
  let current = document;
  for (const token of tokens) {
    if (Array.isArray(current)) {
      if (!arrayIndex.test(token) || Number(token) >= current.length) return { found: false };
      current = current[Number(token)];
    } else if (isJsonObject(current)) {
      if (!hasOwn(current, token)) return { found: false };
      current = current[token];
    } else {
      return { found: false };
    }
  }
  return { found: true, value: current };
}

/** RFC 6902's preconditions, checked before the library mutates anything, so failures say precisely why. */
function checkApplies(document: unknown, operation: JsonPatchOperation, index: number): void {
  const tokens = tokensOf(operation.path);
  if (tokens.includes('__proto__')) throw cannotApply(index, operation, 'the path segment "__proto__" is not allowed');
  switch (operation.op) {
    case 'add': {
      if (tokens.length === 0) return;
      const parent = resolve(document, tokens.slice(0, -1));
      const last = tokens[tokens.length - 1] ?? '';
      if (!parent.found) throw cannotApply(index, operation, 'the parent of the path does not exist');
      if (Array.isArray(parent.value)) {
        if (last !== '-' && !arrayIndex.test(last)) throw cannotApply(index, operation, `"${last}" is not an array index`);
        if (last !== '-' && Number(last) > parent.value.length) {
          throw cannotApply(index, operation, `array index ${last} is out of bounds (length ${parent.value.length})`);
        }
      } else if (!isJsonObject(parent.value)) {
        throw cannotApply(index, operation, 'the parent of the path is neither an object nor an array');
      }
      return;
    }
    case 'remove':
    case 'replace':
      if (!resolve(document, tokens).found) throw cannotApply(index, operation, 'the path does not exist');
      return;
    case 'test': {
      const found = resolve(document, tokens);
      if (!found.found) throw cannotApply(index, operation, 'the path does not exist');
      if (!jsonEqual(found.value, operation.value)) {
        throw cannotApply(index, operation, `test failed: the value is ${describe(found.value)}, not ${describe(operation.value)}`);
      }
      return;
    }
    case 'move':
    case 'copy': {
      const fromTokens = tokensOf(operation.from);
      if (fromTokens.includes('__proto__')) throw cannotApply(index, operation, 'the from segment "__proto__" is not allowed');
      if (!resolve(document, fromTokens).found) throw cannotApply(index, operation, `the from path ${JSON.stringify(operation.from)} does not exist`);
      if (operation.op === 'move' && operation.path.startsWith(`${operation.from}/`)) {
        throw cannotApply(index, operation, `cannot move ${JSON.stringify(operation.from)} into its own child`);
      }
      // The target of a move or copy must be addable.
      checkApplies(document, { op: 'add', path: operation.path, value: null }, index);
      return;
    }
  }
}

function cannotApply(index: number, operation: JsonPatchOperation, why: string, cause?: unknown): FloeError {
  const message = `json patch operation ${index} (${operation.op} ${JSON.stringify(operation.path)}) cannot be applied: ${why}`;
  return new FloeError('Invalid', message, {
    details: { causes: [{ reason: 'FieldValueInvalid', message, field: `patch[${index}]` }] },
    ...(cause === undefined ? {} : { cause }),
  });
}

function libraryReason(err: unknown): string {
  if (err instanceof jsonPatchLib.JsonPatchError) return `${err.name}: ${err.message}`;
  return err instanceof Error ? err.message : String(err);
}

function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  const text = JSON.stringify(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}
