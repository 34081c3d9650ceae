// Label and field selectors: examples for every operator and error, and properties checked with fast-check.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { FloeError } from '../errors.js';
import {
  escapeFieldValue,
  formatLabelSelector,
  matchesFields,
  matchesLabels,
  parseFieldSelector,
  parseLabelSelector,
  selectorFromLabelSelectorObject,
} from './index.js';

const labels = { app: 'web', tier: 'front', 'example.com/team': 'a' };
const match = (sel: string, l: Record<string, string> | undefined = labels): boolean => matchesLabels(parseLabelSelector(sel), l);

describe('label selectors', () => {
  test('every operator', () => {
    assert.equal(match(''), true);
    assert.equal(match('app=web'), true);
    assert.equal(match('app==web'), true);
    assert.equal(match('app=db'), false);
    assert.equal(match('app!=db'), true);
    assert.equal(match('missing!=x'), true, '!= matches when the key is absent');
    assert.equal(match('app in (web, db)'), true);
    assert.equal(match('app in (db)'), false);
    assert.equal(match('app notin (db)'), true);
    assert.equal(match('missing notin (db)'), true, 'notin matches when the key is absent');
    assert.equal(match('tier'), true);
    assert.equal(match('!tier'), false);
    assert.equal(match('!missing'), true);
    assert.equal(match('example.com/team=a, app in (web)'), true);
    assert.equal(match('app=web,tier=back'), false);
    assert.equal(match('app=', { app: '' }), true);
  });

  test('malformed selectors are BadRequest and quote the selector', () => {
    for (const bad of ['a in (x', '=b', 'a=b=c', 'bad key=1', 'a in ()', `a=${'x'.repeat(64)}`, 'a=b,', '-a=b', 'a b']) {
      assert.throws(() => parseLabelSelector(bad), (err: unknown) => {
        assert.ok(err instanceof FloeError, bad);
        assert.equal(err.reason, 'BadRequest', bad);
        assert.ok(err.message.includes(bad), `${bad}: ${err.message}`);
        return true;
      });
    }
  });

  test('the LabelSelector object form', () => {
    const sel = selectorFromLabelSelectorObject({ matchLabels: { app: 'web' }, matchExpressions: [{ key: 'tier', operator: 'In', values: ['front'] }, { key: 'gone', operator: 'DoesNotExist' }] });
    assert.equal(matchesLabels(sel, labels), true);
    assert.throws(() => selectorFromLabelSelectorObject({ matchExpressions: [{ key: 'a', operator: 'In' }] }), /matchExpressions\[0\]\.values: Required value/);
    assert.throws(() => selectorFromLabelSelectorObject({ matchExpressions: [{ key: 'a', operator: 'Exists', values: ['x'] }] }), /matchExpressions\[0\]\.values: Forbidden/);
    assert.throws(() => selectorFromLabelSelectorObject({ matchExpressions: [{ key: 'a', operator: 'Near' }] }), /matchExpressions\[0\]\.operator: Unsupported value/);
  });

  const key = fc.constantFrom('app', 'tier', 'example.com/team', 'env', 'x');
  const value = fc.constantFrom('', 'web', 'db', 'a', 'b-1', 'v.2');
  const labelMap = fc.dictionary(key, value, { noNullPrototype: true });
  const requirement = fc.oneof(
    fc.tuple(key, value).map(([k, v]) => `${k}=${v}`),
    fc.tuple(key, value).map(([k, v]) => `${k}!=${v}`),
    fc.tuple(key, fc.uniqueArray(value.filter((v) => v !== ''), { minLength: 1, maxLength: 3 })).map(([k, vs]) => `${k} in (${vs.join(', ')})`),
    fc.tuple(key, fc.uniqueArray(value.filter((v) => v !== ''), { minLength: 1, maxLength: 3 })).map(([k, vs]) => `${k} notin (${vs.join(',')})`),
    key,
    key.map((k) => `!${k}`),
  );
  const selector = fc.array(requirement, { maxLength: 4 }).map((rs) => rs.join(','));

  test('format then parse selects exactly the same label maps', () => {
    fc.assert(fc.property(selector, labelMap, (sel, l) => {
      const parsed = parseLabelSelector(sel);
      const again = parseLabelSelector(formatLabelSelector(parsed));
      return matchesLabels(parsed, l) === matchesLabels(again, l);
    }));
  });

  test('k=v matches exactly the maps with k set to v, and != is its negation', () => {
    fc.assert(fc.property(key, value, labelMap, (k, v, l) => {
      const eq = match(`${k}=${v}`, l);
      assert.equal(eq, Object.prototype.hasOwnProperty.call(l, k) && l[k] === v);
      assert.equal(match(`${k}!=${v}`, l), !eq);
    }));
  });

  test('a comma is the conjunction of its requirements', () => {
    fc.assert(fc.property(fc.array(requirement, { minLength: 1, maxLength: 4 }), labelMap, (rs, l) => {
      assert.equal(match(rs.join(','), l), rs.every((r) => match(r, l)));
    }));
  });

  test('exists and does-not-exist are complements', () => {
    fc.assert(fc.property(key, labelMap, (k, l) => match(k, l) !== match(`!${k}`, l)));
  });
});

describe('field selectors', () => {
  const pod = (f: string): string | undefined => ({ 'metadata.name': 'web-0', 'status.phase': 'Running', 'spec.nodeName': '' })[f];

  test('=, == and != with AND', () => {
    assert.equal(matchesFields(parseFieldSelector('metadata.name=web-0'), pod), true);
    assert.equal(matchesFields(parseFieldSelector('metadata.name==web-0,status.phase!=Pending'), pod), true);
    assert.equal(matchesFields(parseFieldSelector('status.phase=Pending'), pod), false);
    assert.equal(matchesFields(parseFieldSelector('spec.nodeName='), pod), true, 'an empty value matches an empty field');
    assert.equal(matchesFields(parseFieldSelector('spec.missing='), pod), true, 'a missing field compares as empty');
    assert.equal(matchesFields(parseFieldSelector(''), pod), true);
  });

  test('malformed field selectors are BadRequest', () => {
    for (const bad of ['metadata.name', 'a>b', ',']) {
      assert.throws(() => parseFieldSelector(bad), (err: unknown) => err instanceof FloeError && err.reason === 'BadRequest', bad);
    }
  });

  test('escaped values round-trip for arbitrary strings', () => {
    fc.assert(fc.property(fc.string(), (v) => {
      const sel = parseFieldSelector(`metadata.name=${escapeFieldValue(v)},status.phase=x`);
      assert.equal(sel.requirements.length, 2);
      assert.equal(sel.requirements[0]?.value, v);
      return matchesFields(sel, (f) => (f === 'metadata.name' ? v : 'x'));
    }));
  });
});
