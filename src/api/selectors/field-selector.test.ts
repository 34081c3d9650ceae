// Field selectors: examples for every operator, escape and error, and fast-check properties.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { FloeError } from '../errors.js';
import {
  escapeFieldValue,
  fieldsOf,
  formatFieldSelector,
  matchesFields,
  parseFieldSelector,
  unescapeFieldValue,
  type FieldRequirement,
} from './field-selector.js';

const podFields: Record<string, string> = { 'metadata.name': 'web-0', 'status.phase': 'Running', 'spec.nodeName': '' };
const pod = (f: string): string | undefined => podFields[f];
const match = (sel: string, get: (f: string) => string | undefined = pod): boolean => matchesFields(parseFieldSelector(sel), get);

function rejects(sel: string, why: string): void {
  assert.throws(() => parseFieldSelector(sel), (err: unknown) => {
    assert.ok(err instanceof FloeError, sel);
    assert.equal(err.reason, 'BadRequest', sel);
    assert.ok(err.message.includes(JSON.stringify(sel)), `${sel}: ${err.message}`);
    assert.ok(err.message.includes(why), `${sel}: ${err.message}`);
    return true;
  }, sel);
}

describe('parseFieldSelector examples', () => {
  test('=, == and != joined by commas', () => {
    assert.equal(match('metadata.name=web-0'), true);
    assert.equal(match('metadata.name==web-0'), true);
    assert.equal(match('metadata.name!=web-0'), false);
    assert.equal(match('metadata.name==web-0,status.phase!=Pending'), true);
    assert.equal(match('metadata.name=web-0,status.phase=Pending'), false);
    assert.deepEqual(parseFieldSelector('a==b,c!=d').requirements, [
      { field: 'a', operator: 'Equals', value: 'b' },
      { field: 'c', operator: 'NotEquals', value: 'd' },
    ]);
  });

  test('a missing field compares as the empty string', () => {
    assert.equal(match('spec.nodeName='), true);
    assert.equal(match('spec.missing='), true);
    assert.equal(match('spec.missing!='), false);
    assert.equal(match('spec.missing!=x'), true);
    assert.equal(match('spec.missing=x'), false);
  });

  test('empty text and empty terms select everything', () => {
    assert.deepEqual(parseFieldSelector('').requirements, []);
    assert.deepEqual(parseFieldSelector(',').requirements, []);
    assert.deepEqual(parseFieldSelector('a=b,,').requirements, [{ field: 'a', operator: 'Equals', value: 'b' }]);
    assert.equal(match(''), true);
  });

  test('values unescape \\, \\= and \\\\', () => {
    assert.deepEqual(parseFieldSelector('a=x\\,y,b=p\\=q,c!=back\\\\slash').requirements, [
      { field: 'a', operator: 'Equals', value: 'x,y' },
      { field: 'b', operator: 'Equals', value: 'p=q' },
      { field: 'c', operator: 'NotEquals', value: 'back\\slash' },
    ]);
    assert.equal(match('metadata.name=a\\,b', (f) => (f === 'metadata.name' ? 'a,b' : undefined)), true);
    assert.deepEqual(parseFieldSelector('a=\\=').requirements, [{ field: 'a', operator: 'Equals', value: '=' }]);
    assert.deepEqual(parseFieldSelector('a=!x').requirements, [{ field: 'a', operator: 'Equals', value: '!x' }]);
  });

  test('the leftmost operator splits a term, and nothing is trimmed', () => {
    assert.deepEqual(parseFieldSelector('a!=b').requirements, [{ field: 'a', operator: 'NotEquals', value: 'b' }]);
    assert.deepEqual(parseFieldSelector('a!b=c').requirements, [{ field: 'a!b', operator: 'Equals', value: 'c' }]);
    assert.deepEqual(parseFieldSelector('status.phase = Running').requirements, [{ field: 'status.phase ', operator: 'Equals', value: ' Running' }]);
    assert.deepEqual(parseFieldSelector('=x').requirements, [{ field: '', operator: 'Equals', value: 'x' }]);
  });

  test('fieldsOf names each field once, so the server can reject unsupported ones', () => {
    assert.deepEqual(fieldsOf(parseFieldSelector('spec.foo=1,metadata.name!=a,spec.foo!=2')), ['spec.foo', 'metadata.name']);
    assert.deepEqual(fieldsOf(parseFieldSelector('')), []);
  });
});

describe('parseFieldSelector errors', () => {
  test('a term without an operator', () => {
    rejects('metadata.name', "can't understand 'metadata.name'");
    rejects('a=b,c', "can't understand 'c'");
    rejects('a>b', "can't understand 'a>b'");
    rejects(' ', "can't understand ' '");
  });

  test('bad escapes and bare = in values', () => {
    rejects('a=b=c', "unescaped '='");
    rejects('a==b=c', "unescaped '='");
    rejects('a=x\\y', "invalid escape sequence: '\\y'");
    rejects('a=x\\', "a trailing '\\'");
    rejects('a\\=b=c', "unescaped '=' in the value of \"a\\\\\"");
  });

  test('unescapeFieldValue throws BadRequest the same way', () => {
    assert.equal(unescapeFieldValue('a\\,b\\=c\\\\'), 'a,b=c\\');
    assert.throws(() => unescapeFieldValue('a,b'), (err: unknown) => err instanceof FloeError && err.reason === 'BadRequest' && err.message.includes("unescaped ','"));
  });
});

describe('formatFieldSelector', () => {
  test('escapes values', () => {
    assert.equal(formatFieldSelector({ requirements: [{ field: 'a', operator: 'Equals', value: 'x,y=z\\' }, { field: 'b', operator: 'NotEquals', value: '' }] }), 'a=x\\,y\\=z\\\\,b!=');
    assert.equal(formatFieldSelector({ requirements: [] }), '');
  });
});

const field = fc.constantFrom('metadata.name', 'metadata.namespace', 'status.phase', 'spec.nodeName', 'a');
const anyString = fc.oneof(fc.string({ unit: 'binary' }), fc.string({ unit: fc.constantFrom('\\', ',', '=', '!', 'a', ' ') }));
const requirement: fc.Arbitrary<FieldRequirement> = fc.record({ field, operator: fc.constantFrom('Equals' as const, 'NotEquals' as const), value: anyString }, { noNullPrototype: true });
const object = fc.dictionary(field, anyString);

describe('field selector properties', () => {
  test('escape then unescape gives back any string', () => {
    fc.assert(fc.property(anyString, (v) => {
      assert.equal(unescapeFieldValue(escapeFieldValue(v)), v);
      const sel = parseFieldSelector(`metadata.name=${escapeFieldValue(v)},status.phase!=${escapeFieldValue(v)}`);
      assert.deepEqual(sel.requirements.map((r) => r.value), [v, v]);
    }), { numRuns: 500 });
  });

  test('format then parse gives back the same requirements', () => {
    fc.assert(fc.property(fc.array(requirement, { maxLength: 4 }), (requirements) => {
      const parsed = parseFieldSelector(formatFieldSelector({ requirements }));
      assert.deepEqual(parsed.requirements, requirements);
    }), { numRuns: 500 });
  });

  test('!= is the negation of =, and a comma is the conjunction', () => {
    fc.assert(fc.property(fc.array(requirement, { minLength: 1, maxLength: 4 }), object, (requirements, obj) => {
      const get = (f: string): string | undefined => obj[f];
      for (const r of requirements) {
        const eq = matchesFields({ requirements: [{ ...r, operator: 'Equals' }] }, get);
        assert.equal(eq, (obj[r.field] ?? '') === r.value);
        assert.equal(matchesFields({ requirements: [{ ...r, operator: 'NotEquals' }] }, get), !eq);
      }
      const text = formatFieldSelector({ requirements });
      assert.equal(matchesFields(parseFieldSelector(text), get), requirements.every((r) => matchesFields({ requirements: [r] }, get)));
    }));
  });
});
