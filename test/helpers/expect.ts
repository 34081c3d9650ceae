// Assertions on FloeError outcomes: a call must fail with a given Status reason, as a user would check it.
import assert from 'node:assert/strict';
import { FloeError, type StatusReason } from '../../src/api/errors.js';

/** Awaits `promise`, asserts it rejects with a FloeError of `reason`, and returns that error. */
export async function rejectsWith(promise: Promise<unknown>, reason: StatusReason): Promise<FloeError> {
  let outcome: unknown;
  try {
    outcome = await promise;
  } catch (err) {
    assert.ok(err instanceof FloeError, `expected a FloeError with reason ${reason}, got ${String(err)}`);
    assert.equal(err.reason, reason, `expected reason ${reason}, got ${err.reason}: ${err.message}`);
    return err;
  }
  assert.fail(`expected a FloeError with reason ${reason}, but the call succeeded with ${JSON.stringify(outcome)}`);
}
