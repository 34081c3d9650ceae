// robfig/cron v1 semantics (seconds first) and the due-slot arithmetic the recurring-run scheduler uses.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { CronError, dueSlots, parseCron, parseGoDuration, periodicSchedule } from './cron.js';

const at = (iso: string): Date => new Date(iso);
const next = (spec: string, after: string): string | undefined => parseCron(spec).next(at(after))?.toISOString();

describe('cron parsing and next firing (robfig v1)', () => {
  test('fields: seconds first, steps, ranges, lists', () => {
    assert.equal(next('0 0 * * * *', '2024-01-01T10:20:30Z'), '2024-01-01T11:00:00.000Z');
    assert.equal(next('0 0 * * * *', '2024-01-01T11:00:00Z'), '2024-01-01T12:00:00.000Z', 'strictly after');
    assert.equal(next('*/15 * * * * *', '2024-01-01T10:20:30Z'), '2024-01-01T10:20:45.000Z');
    assert.equal(next('10/20 * * * * *', '2024-01-01T10:20:31Z'), '2024-01-01T10:20:50.000Z', 'N/step runs N to the maximum');
    assert.equal(next('0 5-10/5 * * * *', '2024-01-01T10:06:00Z'), '2024-01-01T10:10:00.000Z');
    assert.equal(next('0 1,2,58 * * * *', '2024-01-01T10:02:00Z'), '2024-01-01T10:58:00.000Z');
    assert.equal(next('0 0 0 1 1 *', '2024-06-01T00:00:00Z'), '2025-01-01T00:00:00.000Z');
    assert.equal(next('0 0 0 29 2 *', '2025-03-01T00:00:00Z'), '2028-02-29T00:00:00.000Z', 'leap day');
  });

  test('five fields leave day of week out', () => {
    assert.equal(next('0 30 9 * *', '2024-01-01T10:00:00Z'), '2024-01-02T09:30:00.000Z');
  });

  test('names, and the day-of-month / day-of-week rule', () => {
    // 2024-01-06 is a Saturday; 2-6 is Tuesday to Saturday.
    assert.equal(next('0 0 9 ? * 2-6', '2024-01-06T10:00:00Z'), '2024-01-09T09:00:00.000Z');
    assert.equal(next('0 0 12 * JAN,jul mon', '2024-01-02T00:00:00Z'), '2024-01-08T12:00:00.000Z', 'a star day of month: both must match');
    // Neither day field is a star: either may match (the 13th, or a Friday).
    assert.equal(next('0 0 0 13 * 5', '2024-01-06T00:00:00Z'), '2024-01-12T00:00:00.000Z');
    assert.equal(next('0 0 0 13 * 5', '2024-01-12T00:00:00Z'), '2024-01-13T00:00:00.000Z');
  });

  test('descriptors and @every', () => {
    assert.equal(next('@hourly', '2024-01-01T10:20:30Z'), '2024-01-01T11:00:00.000Z');
    assert.equal(next('@daily', '2024-01-01T10:20:30Z'), '2024-01-02T00:00:00.000Z');
    assert.equal(next('@midnight', '2024-01-01T10:20:30Z'), '2024-01-02T00:00:00.000Z');
    assert.equal(next('@weekly', '2024-01-01T10:20:30Z'), '2024-01-07T00:00:00.000Z', 'Sunday');
    assert.equal(next('@monthly', '2024-01-31T10:20:30Z'), '2024-02-01T00:00:00.000Z');
    assert.equal(next('@yearly', '2024-01-31T10:20:30Z'), '2025-01-01T00:00:00.000Z');
    assert.equal(next('@annually', '2024-01-31T10:20:30Z'), '2025-01-01T00:00:00.000Z');
    assert.equal(next('@every 1h30m', '2024-01-01T10:20:30.700Z'), '2024-01-01T11:50:30.000Z');
    assert.equal(next('@every 500ms', '2024-01-01T10:20:30Z'), '2024-01-01T10:20:31.000Z', 'at least one second');
    assert.equal(next('@every 1.5s', '2024-01-01T10:20:30Z'), '2024-01-01T10:20:31.000Z', 'rounded down to seconds');
    assert.equal(parseGoDuration('2h45m30.5s'), 9_930_500);
  });

  test('a schedule that never fires has no next time', () => {
    assert.equal(next('0 0 0 30 2 *', '2024-01-01T00:00:00Z'), undefined);
  });

  test('bad specs are rejected naming the part', () => {
    const bad: [string, RegExp][] = [
      ['* * * *', /expected 5 or 6 fields/],
      ['* * * * * * *', /expected 5 or 6 fields/],
      ['61 * * * * *', /seconds: 61 is above the maximum 59/],
      ['* * 24 * * *', /hours: 24 is above the maximum 23/],
      ['* * * 0 * *', /day of month: 0 is below the minimum 1/],
      ['* * * * * 7', /day of week: 7 is above the maximum 6/],
      ['a * * * * *', /seconds: "a" is not a number/],
      ['* * * * foo *', /month: "foo" is not a number or a name/],
      ['5-1 * * * * *', /range start 5 is after its end 1/],
      ['*/0 * * * * *', /step must be at least 1/],
      ['*/x * * * * *', /step "x" is not a number/],
      ['@fortnightly', /unrecognized descriptor/],
      ['@every soon', /not a duration/],
    ];
    for (const [spec, message] of bad) assert.throws(() => parseCron(spec), (err: unknown) => err instanceof CronError && message.test(err.message), spec);
  });
});

describe('due slots', () => {
  const iso = (ds: Date[]): string[] => ds.map((d) => d.toISOString());

  test('cron: the latest slots in (after, until], oldest first, at most limit', () => {
    const hourly = parseCron('0 0 * * * *');
    const after = at('2024-01-01T00:00:00Z');
    const until = at('2024-01-01T05:30:00Z');
    assert.deepEqual(iso(dueSlots(hourly, after, until, 100)), ['01', '02', '03', '04', '05'].map((h) => `2024-01-01T${h}:00:00.000Z`));
    assert.deepEqual(iso(dueSlots(hourly, after, until, 2)), ['2024-01-01T04:00:00.000Z', '2024-01-01T05:00:00.000Z']);
    assert.deepEqual(iso(dueSlots(hourly, after, at('2024-01-01T05:00:00Z'), 1)), ['2024-01-01T05:00:00.000Z'], 'until is inclusive');
    assert.deepEqual(dueSlots(hourly, until, after, 5), []);
  });

  test('a long backlog of a dense schedule is not walked from its start', () => {
    const everySecond = parseCron('* * * * * *');
    const slots = dueSlots(everySecond, at('2000-01-01T00:00:00Z'), at('2024-01-01T00:00:00Z'), 3);
    assert.deepEqual(iso(slots), ['2023-12-31T23:59:58.000Z', '2023-12-31T23:59:59.000Z', '2024-01-01T00:00:00.000Z']);
    const yearly = parseCron('@yearly');
    assert.deepEqual(iso(dueSlots(yearly, at('2000-06-01T00:00:00Z'), at('2024-06-01T00:00:00Z'), 2)), ['2023-01-01T00:00:00.000Z', '2024-01-01T00:00:00.000Z']);
  });

  test('periodic: a grid from the previous firing', () => {
    const hourly = periodicSchedule(3600);
    const after = at('2024-01-01T00:00:00.500Z');
    assert.deepEqual(iso(dueSlots(hourly, after, at('2024-01-01T03:00:00Z'), 10)), ['01', '02', '03'].map((h) => `2024-01-01T${h}:00:00.000Z`));
    assert.deepEqual(iso(dueSlots(hourly, after, at('2024-01-01T03:59:59Z'), 1)), ['2024-01-01T03:00:00.000Z']);
    assert.deepEqual(dueSlots(hourly, after, at('2024-01-01T00:59:59Z'), 10), []);
    const every = parseCron('@every 10m');
    assert.deepEqual(iso(dueSlots(every, at('2024-01-01T00:00:07Z'), at('2024-01-01T00:30:00Z'), 10)), ['2024-01-01T00:10:07.000Z', '2024-01-01T00:20:07.000Z']);
  });
});
