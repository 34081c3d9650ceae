// Tests for RFC 6902 JSON patch: the RFC's examples, malformed documents (400), operations that cannot apply (422) and purity.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { FloeError } from '../errors.js';
import { applyJsonPatch } from './json-patch.js';
import { cloneJson } from './json-value.js';

function assertFloeError(fn: () => unknown, reason: string, ...fragments: string[]): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof FloeError, `expected a FloeError, got ${String(err)}`);
    assert.equal(err.reason, reason);
    for (const fragment of fragments) assert.ok(err.message.includes(fragment), `message ${JSON.stringify(err.message)} should mention ${JSON.stringify(fragment)}`);
    return true;
  });
}

describe('applyJsonPatch: RFC 6902 appendix A', () => {
  test('A.1 adding an object member', () => {
    assert.deepEqual(applyJsonPatch({ foo: 'bar' }, [{ op: 'add', path: '/baz', value: 'qux' }]), { foo: 'bar', baz: 'qux' });
  });
  test('A.2 adding an array element', () => {
    assert.deepEqual(applyJsonPatch({ foo: ['bar', 'baz'] }, [{ op: 'add', path: '/foo/1', value: 'qux' }]), { foo: ['bar', 'qux', 'baz'] });
  });
  test('A.3 removing an object member', () => {
    assert.deepEqual(applyJsonPatch({ baz: 'qux', foo: 'bar' }, [{ op: 'remove', path: '/baz' }]), { foo: 'bar' });
  });
  test('A.4 removing an array element', () => {
    assert.deepEqual(applyJsonPatch({ foo: ['bar', 'qux', 'baz'] }, [{ op: 'remove', path: '/foo/1' }]), { foo: ['bar', 'baz'] });
  });
  test('A.5 replacing a value', () => {
    assert.deepEqual(applyJsonPatch({ baz: 'qux', foo: 'bar' }, [{ op: 'replace', path: '/baz', value: 'boo' }]), { baz: 'boo', foo: 'bar' });
  });
  test('A.6 moving a value', () => {
    const doc = { foo: { bar: 'baz', waldo: 'fred' }, qux: { corge: 'grault' } };
    assert.deepEqual(applyJsonPatch(doc, [{ op: 'move', from: '/foo/waldo', path: '/qux/thud' }]), {
      foo: { bar: 'baz' },
      qux: { corge: 'grault', thud: 'fred' },
    });
  });
  test('A.7 moving an array element', () => {
    assert.deepEqual(applyJsonPatch({ foo: ['all', 'grass', 'cows', 'eat'] }, [{ op: 'move', from: '/foo/1', path: '/foo/3' }]), { foo: ['all', 'cows', 'eat', 'grass'] });
  });
  test('A.8 testing a value: success', () => {
    const doc = { baz: 'qux', foo: ['a', 2, 'c'] };
    assert.deepEqual(applyJsonPatch(doc, [{ op: 'test', path: '/baz', value: 'qux' }, { op: 'test', path: '/foo/1', value: 2 }]), doc);
  });
  test('A.9 testing a value: error', () => {
    assertFloeError(() => applyJsonPatch({ baz: 'qux' }, [{ op: 'test', path: '/baz', value: 'bar' }]), 'Invalid', 'operation 0', '/baz', 'test failed');
  });
  test('A.10 adding a nested member object', () => {
    assert.deepEqual(applyJsonPatch({ foo: 'bar' }, [{ op: 'add', path: '/child', value: { grandchild: {} } }]), { foo: 'bar', child: { grandchild: {} } });
  });
  test('A.11 ignoring unrecognized elements', () => {
    assert.deepEqual(applyJsonPatch({ foo: 'bar' }, [{ op: 'add', path: '/baz', value: 'qux', xyz: 123 }]), { foo: 'bar', baz: 'qux' });
  });
  test('A.12 adding to a nonexistent target', () => {
    assertFloeError(() => applyJsonPatch({ foo: 'bar' }, [{ op: 'add', path: '/baz/bat', value: 'qux' }]), 'Invalid', 'operation 0', '/baz/bat');
  });
  test('A.14 ~ escape ordering', () => {
    const doc = { '/': 9, '~1': 10 };
    assert.deepEqual(applyJsonPatch(doc, [{ op: 'test', path: '/~01', value: 10 }]), doc);
    assert.deepEqual(applyJsonPatch(doc, [{ op: 'remove', path: '/~1' }]), { '~1': 10 });
  });
  test('A.15 comparing strings and numbers', () => {
    assertFloeError(() => applyJsonPatch({ '/': 9, '~1': 10 }, [{ op: 'test', path: '/~01', value: '10' }]), 'Invalid', 'operation 0', '/~01');
  });
  test('A.16 adding an array value', () => {
    assert.deepEqual(applyJsonPatch({ foo: ['bar'] }, [{ op: 'add', path: '/foo/-', value: ['abc', 'def'] }]), { foo: ['bar', ['abc', 'def']] });
  });
});

describe('applyJsonPatch: more semantics', () => {
  test('copy, and the whole document at the root path', () => {
    assert.deepEqual(applyJsonPatch({ a: { b: 1 } }, [{ op: 'copy', from: '/a', path: '/c' }]), { a: { b: 1 }, c: { b: 1 } });
    assert.deepEqual(applyJsonPatch({ a: 1 }, [{ op: 'replace', path: '', value: { b: 2 } }]), { b: 2 });
  });
  test('a copied value is independent of its source', () => {
    const result = applyJsonPatch({ a: { b: 1 } }, [{ op: 'copy', from: '/a', path: '/c' }, { op: 'replace', path: '/c/b', value: 2 }]);
    assert.deepEqual(result, { a: { b: 1 }, c: { b: 2 } });
  });
  test('operations apply in order and see earlier results', () => {
    const result = applyJsonPatch({ metadata: { labels: {} } }, [
      { op: 'add', path: '/metadata/labels/app', value: 'web' },
      { op: 'test', path: '/metadata/labels/app', value: 'web' },
      { op: 'move', from: '/metadata/labels/app', path: '/metadata/labels/tier' },
    ]);
    assert.deepEqual(result, { metadata: { labels: { tier: 'web' } } });
  });
  test('labels with slashes are addressed with ~1', () => {
    assert.deepEqual(applyJsonPatch({ labels: {} }, [{ op: 'add', path: '/labels/app.kubernetes.io~1name', value: 'x' }]), { labels: { 'app.kubernetes.io/name': 'x' } });
  });
});

describe('applyJsonPatch: malformed documents are BadRequest', () => {
  const cases: [string, unknown, string][] = [
    ['not an array', { op: 'add', path: '/a', value: 1 }, 'must be an array'],
    ['an operation that is not an object', ['add'], 'operation 0 must be an object'],
    ['a missing op', [{ path: '/a' }], 'missing "op"'],
    ['an unknown op', [{ op: 'add', path: '/a', value: 1 }, { op: 'frobnicate', path: '/a' }], 'operation 1 has unknown op "frobnicate"'],
    ['a missing path', [{ op: 'remove' }], 'missing "path"'],
    ['a non-string path', [{ op: 'remove', path: 3 }], 'non-string "path"'],
    ['a path that is not a pointer', [{ op: 'remove', path: 'a/b' }], 'not a JSON pointer'],
    ['a missing value', [{ op: 'add', path: '/a' }], 'missing "value"'],
    ['a missing from', [{ op: 'move', path: '/a' }], 'missing "from"'],
  ];
  for (const [name, patch, fragment] of cases) {
    test(name, () => assertFloeError(() => applyJsonPatch({ a: 1 }, patch), 'BadRequest', fragment));
  }
  test('a BadRequest is HTTP 400', () => {
    try {
      applyJsonPatch({}, 'nope');
      assert.fail('expected a throw');
    } catch (err) {
      assert.ok(err instanceof FloeError);
      assert.equal(err.code, 400);
    }
  });
});

describe('applyJsonPatch: operations that cannot apply are Invalid (422)', () => {
  const cases: [string, unknown, unknown, string[]][] = [
    ['remove of a missing key', { a: 1 }, [{ op: 'remove', path: '/b' }], ['operation 0', '"/b"', 'does not exist']],
    ['replace of a missing key', { a: 1 }, [{ op: 'test', path: '/a', value: 1 }, { op: 'replace', path: '/b', value: 2 }], ['operation 1', '"/b"']],
    ['remove past the end of an array', { a: [1] }, [{ op: 'remove', path: '/a/1' }], ['operation 0', '/a/1']],
    ['add past the end of an array', { a: [1] }, [{ op: 'add', path: '/a/5', value: 2 }], ['operation 0', '/a/5', 'out of bounds']],
    ['add with a non-numeric array index', { a: [1] }, [{ op: 'add', path: '/a/x', value: 2 }], ['/a/x', 'not an array index']],
    ['an index with a leading zero', { a: [1, 2] }, [{ op: 'remove', path: '/a/01' }], ['/a/01']],
    ['move from a missing path', { a: 1 }, [{ op: 'move', from: '/x', path: '/y' }], ['operation 0', '"/y"', '"/x"']],
    ['move into its own child', { a: { b: 1 } }, [{ op: 'move', from: '/a', path: '/a/b/c' }], ['own child']],
    ['an inherited property is not a member', { a: 1 }, [{ op: 'remove', path: '/toString' }], ['/toString', 'does not exist']],
    ['a __proto__ path', { a: 1 }, [{ op: 'add', path: '/__proto__/x', value: 1 }], ['__proto__']],
    ['test of a missing path', { a: 1 }, [{ op: 'test', path: '/b', value: null }], ['/b']],
  ];
  for (const [name, doc, patch, fragments] of cases) {
    test(name, () => assertFloeError(() => applyJsonPatch(doc, patch), 'Invalid', ...fragments));
  }
  test('an Invalid is HTTP 422 and leaves the target untouched', () => {
    const doc = { a: { b: 1 } };
    try {
      applyJsonPatch(doc, [{ op: 'remove', path: '/a/b' }, { op: 'remove', path: '/a/b' }]);
      assert.fail('expected a throw');
    } catch (err) {
      assert.ok(err instanceof FloeError);
      assert.equal(err.code, 422);
      assert.match(err.message, /operation 1/);
    }
    assert.deepEqual(doc, { a: { b: 1 } });
  });
});

function escapeToken(key: string): string {
  return key.replace(/~/g, '~0').replace(/\//g, '~1');
}

const plainObject = fc.dictionary(fc.string(), fc.jsonValue(), { noNullPrototype: true });

describe('applyJsonPatch: properties', () => {
  test('add then remove of a fresh key restores the original', () => {
    fc.assert(fc.property(plainObject, fc.string(), fc.jsonValue(), (x, key, value) => {
      fc.pre(!Object.prototype.hasOwnProperty.call(x, key) && key !== '__proto__');
      const path = `/${escapeToken(key)}`;
      assert.deepStrictEqual(applyJsonPatch(x, [{ op: 'add', path, value }, { op: 'remove', path }]), x);
    }));
  });

  test('inputs are never mutated and the result shares nothing with them', () => {
    fc.assert(fc.property(plainObject, fc.string(), fc.jsonValue(), (x, key, value) => {
      fc.pre(key !== '__proto__');
      const path = `/${escapeToken(key)}`;
      const patch = [{ op: 'add', path, value }, { op: 'copy', from: path, path: `${path}-copy` }, { op: 'add', path: '/nested', value: { list: [value] } }];
      const xBefore = cloneJson(x);
      const patchBefore = cloneJson(patch);
      const result = applyJsonPatch(x, patch) as { nested: { list: unknown[] } };
      assert.deepStrictEqual(x, xBefore);
      assert.deepStrictEqual(patch, patchBefore);
      result.nested.list.push('more');
      assert.deepStrictEqual(patch, patchBefore);
    }));
  });
});
