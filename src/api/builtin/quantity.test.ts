// Quantity parsing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseQuantity } from './quantity.js';

test('parses Kubernetes quantities', () => {
  assert.equal(parseQuantity('500m'), 0.5);
  assert.equal(parseQuantity('2'), 2);
  assert.equal(parseQuantity('1Gi'), 1024 ** 3);
  assert.equal(parseQuantity('1G'), 1e9);
  assert.equal(parseQuantity('1e3'), 1000);
  assert.equal(parseQuantity('1.5Mi'), 1.5 * 1024 ** 2);
  assert.equal(parseQuantity(4), 4);
  for (const bad of ['', 'abc', '1Qi', '--1', '1 Gi']) assert.equal(parseQuantity(bad), undefined, bad);
});
