// Quantity parsing: suffixes, exponents, signs and what is refused.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { parseQuantity } from './quantity.js';

describe('parseQuantity', () => {
  test('decimal suffixes', () => {
    assert.equal(parseQuantity('500m'), 0.5);
    assert.equal(parseQuantity('2'), 2);
    assert.equal(parseQuantity('1k'), 1000);
    assert.equal(parseQuantity('1G'), 1e9);
    assert.equal(parseQuantity('1E'), 1e18);
    assert.equal(parseQuantity('250u'), 0.00025);
    assert.equal(parseQuantity('5n'), 5e-9);
  });

  test('binary suffixes', () => {
    assert.equal(parseQuantity('1Gi'), 1024 ** 3);
    assert.equal(parseQuantity('1.5Mi'), 1.5 * 1024 ** 2);
    assert.equal(parseQuantity('128Ki'), 131072);
  });

  test('exponents, signs and bare fractions', () => {
    assert.equal(parseQuantity('1e3'), 1000);
    assert.equal(parseQuantity('1E3'), 1000);
    assert.equal(parseQuantity('12e-1'), 1.2);
    assert.equal(parseQuantity('-1'), -1);
    assert.equal(parseQuantity('+2'), 2);
    assert.equal(parseQuantity('.5'), 0.5);
    assert.equal(parseQuantity('1.'), 1);
  });

  test('the same amount written two ways compares equal', () => {
    assert.equal(parseQuantity('300m'), parseQuantity('0.3'));
    assert.equal(parseQuantity('1000m'), parseQuantity('1'));
    assert.equal(parseQuantity('1Ki'), parseQuantity('1024'));
  });

  test('JSON numbers and surrounding blanks', () => {
    assert.equal(parseQuantity(4), 4);
    assert.equal(parseQuantity(0.25), 0.25);
    assert.equal(parseQuantity(' 1Gi '), 1024 ** 3);
  });

  test('refuses what is not a quantity', () => {
    for (const bad of ['', 'abc', '1Qi', '--1', '1 Gi', '1e', '1.5.5', 'Gi', '1gi', '1K', '0x10', '1e3Mi']) {
      assert.equal(parseQuantity(bad), undefined, bad);
    }
    for (const bad of [null, undefined, true, {}, [], Number.NaN, Number.POSITIVE_INFINITY]) assert.equal(parseQuantity(bad), undefined);
  });
});
