// Tests for RFC 7386 JSON merge patch: the RFC's examples and algebraic laws checked with fast-check.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { applyMergePatch } from './merge-patch.js';
import { cloneJson, isJsonObject } from './json-value.js';

describe('applyMergePatch: RFC 7386 appendix A', () => {
  const cases: [unknown, unknown, unknown][] = [
    [{ a: 'b' }, { a: 'c' }, { a: 'c' }],
    [{ a: 'b' }, { b: 'c' }, { a: 'b', b: 'c' }],
    [{ a: 'b' }, { a: null }, {}],
    [{ a: 'b', b: 'c' }, { a: null }, { b: 'c' }],
    [{ a: ['b'] }, { a: 'c' }, { a: 'c' }],
    [{ a: 'c' }, { a: ['b'] }, { a: ['b'] }],
    [{ a: { b: 'c' } }, { a: { b: 'd', c: null } }, { a: { b: 'd' } }],
    [{ a: [{ b: 'c' }] }, { a: [1] }, { a: [1] }],
    [['a', 'b'], ['c', 'd'], ['c', 'd']],
    [{ a: 'b' }, ['c'], ['c']],
    [{ a: 'foo' }, null, null],
    [{ a: 'foo' }, 'bar', 'bar'],
    [{ e: null }, { a: 1 }, { e: null, a: 1 }],
    [[1, 2], { a: 'b', c: null }, { a: 'b' }],
    [{}, { a: { bb: { ccc: null } } }, { a: { bb: {} } }],
  ];
  cases.forEach(([target, patch, expected], i) => {
    test(`example ${i + 1}: ${JSON.stringify(target)} + ${JSON.stringify(patch)}`, () => {
      assert.deepEqual(applyMergePatch(target, patch), expected);
    });
  });

  test('the section 3 example (title, author, tags, phoneNumber)', () => {
    const target = { title: 'Goodbye!', author: { givenName: 'John', familyName: 'Doe' }, tags: ['example', 'sample'], content: 'This will be unchanged' };
    const patch = { title: 'Hello!', phoneNumber: '+01-123-456-7890', author: { familyName: null }, tags: ['example'] };
    assert.deepEqual(applyMergePatch(target, patch), {
      title: 'Hello!',
      author: { givenName: 'John' },
      tags: ['example'],
      content: 'This will be unchanged',
      phoneNumber: '+01-123-456-7890',
    });
  });
});

describe('applyMergePatch: purity', () => {
  test('does not mutate the target or the patch, and the result shares nothing with them', () => {
    const target = { a: { b: [1, 2] }, keep: { deep: { x: 1 } } };
    const patch = { a: { c: { d: 1 } }, n: [{ z: 1 }] };
    const targetBefore = cloneJson(target);
    const patchBefore = cloneJson(patch);
    const result = applyMergePatch(target, patch) as { a: { b: number[]; c: { d: number } }; keep: { deep: { x: number } }; n: { z: number }[] };
    assert.deepEqual(target, targetBefore);
    assert.deepEqual(patch, patchBefore);
    result.a.b.push(3);
    result.a.c.d = 2;
    result.keep.deep.x = 2;
    result.n[0]!.z = 2;
    assert.deepEqual(target, targetBefore);
    assert.deepEqual(patch, patchBefore);
  });

  test('a __proto__ key is stored as data and never changes a prototype', () => {
    const patch = JSON.parse('{"__proto__": {"polluted": true}}') as unknown;
    const result = applyMergePatch({}, patch) as Record<string, unknown>;
    assert.equal(({} as Record<string, unknown>)['polluted'], undefined);
    assert.equal(Object.getPrototypeOf(result), Object.prototype);
    assert.deepEqual(Object.keys(result), ['__proto__']);
  });
});

/** JSON objects with no nulls anywhere, for patches whose every leaf must land. */
const nullFreeJson = fc.letrec((tie) => ({
  value: fc.oneof({ depthSize: 'small' }, fc.string(), fc.integer(), fc.boolean(), fc.array(tie('value'), { maxLength: 3 }), tie('object')),
  object: fc.dictionary(fc.string(), tie('value'), { maxKeys: 4, noNullPrototype: true }),
})).object;

/** Every [path, leaf] of a null-free patch: arrays, primitives and empty objects are leaves. */
function leaves(value: unknown, path: string[] = []): [string[], unknown][] {
  if (!isJsonObject(value) || Object.keys(value).length === 0) return [[path, value]];
  return Object.entries(value).flatMap(([k, v]) => leaves(v, [...path, k]));
}

function lookup(value: unknown, path: readonly string[]): unknown {
  let current = value;
  for (const k of path) {
    if (!isJsonObject(current) || !Object.prototype.hasOwnProperty.call(current, k)) return undefined;
    current = current[k];
  }
  return current;
}

describe('applyMergePatch: laws', () => {
  test('an empty patch object leaves an object unchanged', () => {
    fc.assert(fc.property(fc.dictionary(fc.string(), fc.jsonValue(), { noNullPrototype: true }), (x) => {
      assert.deepStrictEqual(applyMergePatch(x, {}), x);
    }));
  });

  test('applying a patch twice equals applying it once', () => {
    fc.assert(fc.property(fc.jsonValue(), fc.jsonValue(), (x, p) => {
      const once = applyMergePatch(x, p);
      assert.deepStrictEqual(applyMergePatch(once, p), once);
    }));
  });

  test('every leaf of a null-free patch is present in the result', () => {
    fc.assert(fc.property(fc.jsonValue(), nullFreeJson, (x, p) => {
      const result = applyMergePatch(x, p);
      for (const [path, leaf] of leaves(p)) {
        // An empty object merges nothing in, but leaves an object at its path.
        if (isJsonObject(leaf)) assert.ok(isJsonObject(lookup(result, path)), `an object at ${JSON.stringify(path)}`);
        else assert.deepStrictEqual(lookup(result, path), leaf);
      }
    }));
  });

  test('inputs are never mutated', () => {
    fc.assert(fc.property(fc.jsonValue(), fc.jsonValue(), (x, p) => {
      const xBefore = cloneJson(x);
      const pBefore = cloneJson(p);
      applyMergePatch(x, p);
      assert.deepStrictEqual(x, xBefore);
      assert.deepStrictEqual(p, pBefore);
    }));
  });
});
