// cacheKeyFingerprint against testdata/fingerprints.json, which tools/kfp-fingerprint wrote with Go's protojson and
// encoding/json (the code path KFP's driver hashes). No Go runs here.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { cacheKeyFingerprint, canonicalCacheKey, goFormatFloat, goMarshal, type CacheKeyInput } from './fingerprint.js';

const file = fileURLToPath(new URL('../../../../src/controllers/pipelines/testdata/fingerprints.json', import.meta.url));

interface Case {
  name: string;
  input: CacheKeyInput;
  canonical: string;
  fingerprint: string;
}

const cases = JSON.parse(readFileSync(file, 'utf8')) as Case[];

describe('cacheKeyFingerprint matches the Go reference', () => {
  test('the reference covers the cases that matter', () => {
    const names = cases.map((c) => c.name);
    for (const n of ['strings', 'numbers', 'bools-null-lists-structs', 'artifacts', 'pvc-names', 'key-order-utf8', 'custom-cache-key']) {
      assert.ok(names.includes(n), `fingerprints.json lacks case ${n}`);
    }
  });

  for (const c of cases) {
    test(c.name, () => {
      assert.equal(canonicalCacheKey(c.input), c.canonical);
      assert.equal(cacheKeyFingerprint(c.input), c.fingerprint);
    });
  }
});

describe('cacheKeyFingerprint', () => {
  const base = cases.find((c) => c.name === 'artifacts')!.input;

  test('parameter key order does not matter, values do', () => {
    const reordered: CacheKeyInput = { ...base, inputParameterValues: Object.fromEntries(Object.entries(base.inputParameterValues).reverse()) };
    assert.equal(cacheKeyFingerprint(reordered), cacheKeyFingerprint(base));
    assert.notEqual(cacheKeyFingerprint({ ...base, inputParameterValues: { lr: 0.02 } }), cacheKeyFingerprint(base));
  });

  test('the image, the command and the PVC set matter; PVC order and repeats do not', () => {
    const withPvcs = (pvcNames: string[]): CacheKeyInput => ({ ...base, containerSpec: { ...base.containerSpec, pvcNames } });
    assert.notEqual(cacheKeyFingerprint({ ...base, containerSpec: { ...base.containerSpec, image: 'python:3.12' } }), cacheKeyFingerprint(base));
    assert.notEqual(cacheKeyFingerprint({ ...base, containerSpec: { ...base.containerSpec, cmdArgs: ['x'] } }), cacheKeyFingerprint(base));
    assert.equal(cacheKeyFingerprint(withPvcs(['b', 'a', 'b'])), cacheKeyFingerprint(withPvcs(['a', 'b'])));
    assert.notEqual(cacheKeyFingerprint(withPvcs(['a'])), cacheKeyFingerprint(withPvcs(['a', 'b'])));
  });

  test('a custom cache key ignores inputs, image and command', () => {
    const a = cacheKeyFingerprint({ ...base, cacheKey: 'k' });
    assert.equal(cacheKeyFingerprint({ ...base, cacheKey: 'k', inputParameterValues: {}, containerSpec: { image: 'other', cmdArgs: [] } }), a);
    assert.notEqual(cacheKeyFingerprint({ ...base, cacheKey: 'k2' }), a);
    assert.notEqual(cacheKeyFingerprint({ ...base, componentName: 'comp-other', cacheKey: 'k' }), a);
  });

  test('non-finite numbers cannot be fingerprinted (protojson refuses them)', () => {
    assert.throws(() => cacheKeyFingerprint({ ...base, inputParameterValues: { x: Number.NaN } }), /unsupported value: NaN/);
  });
});

describe('Go encoding/json formatting', () => {
  test('floats', () => {
    const expected: [number, string][] = [
      [0, '0'],
      [-0, '-0'],
      [3, '3'],
      [0.1, '0.1'],
      [1e20, '100000000000000000000'],
      [1e21, '1e+21'],
      [0.000001, '0.000001'],
      [1e-7, '1e-7'],
      [1.5e-7, '1.5e-7'],
      [1.25e-12, '1.25e-12'],
      [1.5e300, '1.5e+300'],
      [-4.5e-9, '-4.5e-9'],
    ];
    for (const [n, s] of expected) assert.equal(goFormatFloat(n), s, String(n));
  });

  test('strings and key order', () => {
    assert.equal(goMarshal('<a href="x">&</a>'), '"\\u003ca href=\\"x\\"\\u003e\\u0026\\u003c/a\\u003e"');
    assert.equal(goMarshal('\b\f\n\r\t\u0001\u007f\u2028'), '"\\b\\f\\n\\r\\t\\u0001\u007f\\u2028"');
    assert.equal(goMarshal({ b: 1, a: [true, null], '\uffff': 2, '😀': 3 }), '{"a":[true,null],"b":1,"\uffff":2,"😀":3}');
  });
});
