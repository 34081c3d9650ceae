// Unit tests for schema patterns on RE2: Go's syntax and error wording (as kube-apiserver 1.32 reported them), linear time.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { compileRe2 } from './re2.js';

function errorOf(pattern: string): string | undefined {
  const compiled = compileRe2(pattern);
  return 'error' in compiled ? compiled.error : undefined;
}

function matches(pattern: string, value: string): boolean {
  const compiled = compileRe2(pattern);
  if ('error' in compiled) assert.fail(`${pattern} does not compile: ${compiled.error}`);
  return compiled.test(value);
}

describe('compileRe2', () => {
  test('refuses what Go refuses, in Go\'s words (the messages kube-apiserver 1.32 returned for the same patterns)', () => {
    const cases: [string, string][] = [
      ['(a)\\1', 'invalid escape sequence: `\\1`'],
      ['a(?=b)', 'invalid or unsupported Perl syntax: `(?=`'],
      ['(?<=a)b', 'invalid named capture: `(?<=a)b`'],
      ['a**', 'invalid nested repetition operator: `**`'],
      ['a++', 'invalid nested repetition operator: `++`'],
      ['x{2}{3}', 'invalid nested repetition operator: `{2}{3}`'],
      ['[z-a]', 'invalid character class range: `z-a`'],
      ['\\pX', 'invalid character class range: `\\pX`'],
      ['a{1001}', 'invalid repeat count: `{1001}`'],
      ['a{2,1}', 'invalid repeat count: `{2,1}`'],
      ['((a{100}){100}){100}', 'invalid repeat count: `{100}`'],
      ['\\C', 'invalid escape sequence: `\\C`'],
      ['\\8', 'invalid escape sequence: `\\8`'],
      ['\\u0041', 'invalid escape sequence: `\\u`'],
      ['\\k<n>', 'invalid escape sequence: `\\k`'],
      ['\\x{110000}', 'invalid escape sequence: `\\x{110000`'],
      ['(a', 'missing closing ): `(a`'],
      ['a)', 'unexpected ): `a)`'],
      ['[a', 'missing closing ]: `[a`'],
      ['\\', 'trailing backslash at end of expression: ``'],
      ['*', 'missing argument to repetition operator: `*`'],
      ['(?#c)', 'invalid or unsupported Perl syntax: `(?#`'],
      ['(?z)', 'invalid or unsupported Perl syntax: `(?z`'],
      ['(?P=n)', 'invalid or unsupported Perl syntax: `(?P`'],
    ];
    for (const [pattern, message] of cases) assert.equal(errorOf(pattern), `error parsing regexp: ${message}`, pattern);
  });

  test('accepts what Go accepts, with Go\'s meaning', () => {
    for (const pattern of ['(?<n>a)', '(?P<n>a)', '(?i)abc', '\\Q.*\\E', '[[:word:]]', '\\p{Greek}', 'x{1000}', '[\\d-z]', '\\b\\B\\A\\z', '[]a]', '[^]a]']) {
      assert.equal(errorOf(pattern), undefined, pattern);
    }
    assert.ok(matches('^\\pL+$', 'abcÄ'));
    assert.ok(!matches('^\\pL+$', '123'));
    assert.ok(matches('^(?i)abc$', 'ABC'));
    assert.ok(matches('^\\Q(?<x>\\E$', '(?<x>'), 'text inside \\Q…\\E is literal, never rewritten');
    assert.ok(matches('^[(?<]+$', '(?<'), 'a character class is not a group');
    assert.ok(matches('^[a-z0-9]([-a-z0-9]*[a-z0-9])?$', 'my-name'));
    assert.ok(!matches('^a$', 'a\n'), '$ is the end of text, as in Go');
  });

  test('matching time is linear: ^(a+)+$ against 100,000 a\'s and "!" does not match, at once', () => {
    assert.equal(matches('^(a+)+$', `${'a'.repeat(100_000)}!`), false);
    assert.equal(matches('^(a+)+$', 'a'.repeat(100_000)), true);
  });

  test('a value too large for the engine\'s heap does not match, and the engine keeps working afterwards', () => {
    assert.equal(matches('^a+$', 'a'.repeat(24 * 1024 * 1024)), false);
    assert.equal(matches('^a+$', 'aaa'), true);
    assert.equal(matches('^(a+)+$', 'aa!'), false);
  });

  test('patterns evicted from the cache compile again and behave the same', () => {
    const first = compileRe2('^first-[0-9]+$');
    for (let i = 0; i < 600; i++) compileRe2(`^p${i}$`);
    assert.ok(!('error' in first));
    assert.equal(first.test('first-12'), true, 'a pattern held across evictions still answers');
    assert.equal(matches('^first-[0-9]+$', 'first-x'), false);
  });
});
