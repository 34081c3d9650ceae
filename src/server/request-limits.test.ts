// Unit tests for request limits: targets refused before routing, nesting bounds, Warning headers as kube-apiserver writes them.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { parse, stringify } from 'yaml';
import { checkNameParameter, checkRequestTarget, maxNestingDepth, parseJsonBody, parseYamlBody, warningHeaderValues, yamlNestingDepth } from './request-limits.js';

function depthOf(value: unknown): number {
  if (typeof value !== 'object' || value === null) return 0;
  const children = Array.isArray(value) ? value : Object.values(value);
  return 1 + Math.max(0, ...children.map(depthOf));
}

describe('checkRequestTarget', () => {
  test('refuses dot segments (plain or percent-encoded), backslashes, empty segments, bad escapes', () => {
    for (const target of [
      '/api/v1/namespaces/x/configmaps/..',
      '/api/v1/namespaces/x/configmaps/.',
      '/api/v1/namespaces/x/configmaps/%2e%2E',
      '/api/v1/namespaces/x/configmaps/.%2e/y',
      '/api/v1/namespaces/x/configmaps/..\\',
      '/api/v1/namespaces//configmaps',
      '/api/v1/namespaces/%zz/configmaps',
      '/api/v1/namespaces/%C0%AF/configmaps',
      '/api/v1/namespaces/x/configmaps?limit=%zz',
      '/api/v1/namespaces/x/configmaps/a\tb',
      'http://floe.local/api/v1/namespaces/x/configmaps/..',
      '*',
    ]) {
      const refused = checkRequestTarget(target);
      assert.equal(refused?.reason, 'BadRequest', target);
      assert.equal(refused.code, 400);
    }
  });

  test('lets ordinary targets through', () => {
    for (const target of ['/', '/api/v1/', '/api/v1/namespaces/x/pods/12?watch=1&labelSelector=a%3Db', '/apis/x.io/v1/widgets/a.b..c', '/api/v1/namespaces/x/configmaps/a%20b', 'http://h:1/api?x=1+2']) {
      assert.equal(checkRequestTarget(target), undefined, target);
    }
  });

  test('checkNameParameter words its refusal as kube-apiserver does', () => {
    assert.equal(checkNameParameter('..')?.message, 'Name parameter invalid: "..": may not be \'..\'');
    assert.equal(checkNameParameter('a/b%c')?.message, 'Name parameter invalid: "a/b%c": may not contain \'/\';may not contain \'%\'');
    assert.equal(checkNameParameter('a.b'), undefined);
  });
});

describe('nesting limits', () => {
  test(`JSON nested beyond ${maxNestingDepth} levels is refused before parsing; brackets inside strings do not count`, () => {
    const deep = `${'['.repeat(maxNestingDepth + 1)}${']'.repeat(maxNestingDepth + 1)}`;
    assert.throws(() => parseJsonBody(deep), /exceeded max depth of 512/);
    const atLimit = `${'['.repeat(maxNestingDepth)}${']'.repeat(maxNestingDepth)}`;
    assert.equal(depthOf(parseJsonBody(atLimit)), maxNestingDepth);
    assert.deepEqual(parseJsonBody(JSON.stringify({ a: '['.repeat(5000) })), { a: '['.repeat(5000) });
  });

  test('YAML bodies that are JSON take the JSON path; real YAML is bounded by the estimate', () => {
    const json = `{"a":${'{"a":'.repeat(400)}1${'}'.repeat(400)}}`;
    assert.equal(depthOf(parseYamlBody(json, parse)), 401);
    assert.deepEqual(parseYamlBody('{a: 1}', parse), { a: 1 });
    assert.throws(() => parseYamlBody(`a: ${'{a: '.repeat(300)}1${'}'.repeat(300)}`, parse), /exceeded max depth of 256/);
  });

  test('the YAML nesting measure agrees with the parsed value, and survives 100,000 levels', () => {
    const leaf = fc.oneof(fc.integer(), fc.string({ maxLength: 8 }), fc.constant(null));
    const tree = fc.letrec((tie) => ({
      node: fc.oneof({ depthSize: 'small', withCrossShrink: true }, leaf, fc.array(tie('node'), { maxLength: 3 }), fc.dictionary(fc.string({ minLength: 1, maxLength: 5 }), tie('node'), { maxKeys: 3 })),
    })).node;
    fc.assert(fc.property(tree, fc.boolean(), (value, flow) => {
      const text = stringify(value, flow ? { collectionStyle: 'flow' } : {});
      assert.equal(yamlNestingDepth(text), depthOf(parse(text)), text);
    }), { numRuns: 300 });
    assert.equal(yamlNestingDepth(`a: ${'['.repeat(100_000)}${']'.repeat(100_000)}`), 100_001);
  });
});

describe('warningHeaderValues', () => {
  test('299 - "text" with quotes and backslashes escaped, duplicates dropped, control characters skipped', () => {
    assert.deepEqual(warningHeaderValues(['unknown field "spec.x"', 'unknown field "spec.x"', 'a\\b', 'bad\nline']), ['299 - "unknown field \\"spec.x\\""', '299 - "a\\\\b"']);
  });

  test('past 4 KiB in all, each warning is cut to 256 characters', () => {
    const long = Array.from({ length: 20 }, (_, i) => `${i}`.padEnd(300, 'x'));
    const values = warningHeaderValues(long);
    assert.equal(values.length, 16, 'warnings stop once the cut ones fill 4 KiB');
    assert.ok(values.every((v) => v.length === '299 - ""'.length + 256));
  });

  test('non-Latin-1 text travels as UTF-8 bytes', () => {
    const [value] = warningHeaderValues(['データ']);
    assert.equal(Buffer.from(value!, 'latin1').toString('utf8'), '299 - "データ"');
  });
});
