// CronJob schedules as robfig/cron v3 ParseStandard reads them, time zones, and the missed-schedule arithmetic.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ScheduleError, formatInZone, formatRfc1123z, mostRecentScheduleTime, parseSchedule } from './cron-job-schedule.js';
import { jobNameFor } from './cron-job.js';

const ms = (iso: string): number => Date.parse(iso);
const next = (spec: string, after: string, zone?: string): string | undefined => {
  const t = parseSchedule(spec, zone).next(ms(after));
  return t === undefined ? undefined : new Date(t).toISOString();
};

describe('CronJob schedules (five fields, robfig ParseStandard)', () => {
  test('minute hour day-of-month month day-of-week, strictly after', () => {
    assert.equal(next('* * * * *', '2024-01-01T10:20:30Z'), '2024-01-01T10:21:00.000Z');
    assert.equal(next('* * * * *', '2024-01-01T10:21:00Z'), '2024-01-01T10:22:00.000Z');
    assert.equal(next('*/15 * * * *', '2024-01-01T10:20:30Z'), '2024-01-01T10:30:00.000Z');
    assert.equal(next('5 4 * * *', '2024-01-01T10:20:30Z'), '2024-01-02T04:05:00.000Z');
    assert.equal(next('0 0 29 2 *', '2025-03-01T00:00:00Z'), '2028-02-29T00:00:00.000Z');
    assert.equal(next('0 9 * * MON-FRI', '2024-01-06T10:00:00Z'), '2024-01-08T09:00:00.000Z', 'Saturday → Monday');
    assert.equal(next('0 0 13 * 5', '2024-01-06T00:00:00Z'), '2024-01-12T00:00:00.000Z', 'neither day field a star: either matches');
    assert.equal(next('0 0 */2 * 5', '2024-01-06T00:00:00Z'), '2024-01-07T00:00:00.000Z', '*/2 is not a star');
  });

  test('descriptors and @every', () => {
    assert.equal(next('@hourly', '2024-01-01T10:20:30Z'), '2024-01-01T11:00:00.000Z');
    assert.equal(next('@daily', '2024-01-01T10:20:30Z'), '2024-01-02T00:00:00.000Z');
    assert.equal(next('@weekly', '2024-01-01T10:20:30Z'), '2024-01-07T00:00:00.000Z');
    assert.equal(next('@monthly', '2024-01-31T10:20:30Z'), '2024-02-01T00:00:00.000Z');
    assert.equal(next('@yearly', '2024-01-31T10:20:30Z'), '2025-01-01T00:00:00.000Z');
    assert.equal(next('@annually', '2024-01-31T10:20:30Z'), '2025-01-01T00:00:00.000Z');
    assert.equal(next('@every 90s', '2024-01-01T10:00:00.500Z'), '2024-01-01T10:01:30.000Z');
  });

  test('TZ= and CRON_TZ= prefixes, and a default zone (spec.timeZone)', () => {
    assert.equal(next('TZ=Asia/Tokyo 0 9 * * *', '2024-01-01T00:30:00Z'), '2024-01-02T00:00:00.000Z');
    assert.equal(next('CRON_TZ=America/New_York 30 2 * * *', '2024-01-01T00:00:00Z'), '2024-01-01T07:30:00.000Z');
    assert.equal(next('0 9 * * *', '2024-01-01T00:30:00Z', 'Asia/Tokyo'), '2024-01-02T00:00:00.000Z');
    // 2024-03-10 02:30 does not exist in New York (DST starts): the next existing match is the day after.
    assert.equal(next('30 2 * * *', '2024-03-10T00:00:00Z', 'America/New_York'), '2024-03-11T06:30:00.000Z');
  });

  test('errors use robfig wording', () => {
    assert.throws(() => parseSchedule('* * * *'), /expected exactly 5 fields, found 4/);
    assert.throws(() => parseSchedule('60 * * * *'), /end of range \(60\) above maximum \(59\)/);
    assert.throws(() => parseSchedule('@fortnightly'), /unrecognized descriptor/);
    assert.throws(() => parseSchedule('TZ=Mars/Olympus * * * * *'), ScheduleError);
    assert.throws(() => parseSchedule('* * * * 7'), /above maximum \(6\)/);
  });

  test('most recent unmet time, missed counts, the starting deadline', () => {
    const every = parseSchedule('* * * * *');
    assert.deepEqual(mostRecentScheduleTime(every, ms('2024-01-01T10:00:30Z'), ms('2024-01-01T10:00:10Z')), { missed: 0, earliest: ms('2024-01-01T10:00:10Z') });
    const one = mostRecentScheduleTime(every, ms('2024-01-01T10:01:30Z'), ms('2024-01-01T10:00:10Z'));
    assert.equal(one.mostRecent, ms('2024-01-01T10:01:00Z'));
    assert.equal(one.missed, 1);
    const many = mostRecentScheduleTime(every, ms('2024-01-01T12:00:30Z'), ms('2024-01-01T10:00:10Z'));
    assert.equal(many.mostRecent, ms('2024-01-01T12:00:00Z'));
    assert.equal(many.missed, 120, 'more than 100: the controller warns TooManyMissedTimes');
    const bounded = mostRecentScheduleTime(every, ms('2024-01-01T12:00:30Z'), ms('2024-01-01T10:00:10Z'), 200);
    assert.equal(bounded.mostRecent, ms('2024-01-01T12:00:00Z'));
    assert.equal(bounded.missed, 3, 'startingDeadlineSeconds moves the start of counting up');
  });

  test('job names, the scheduled-timestamp annotation and the MissSchedule time format', () => {
    assert.equal(jobNameFor('hello', ms('2024-01-01T10:01:00Z')), `hello-${ms('2024-01-01T10:01:00Z') / 60_000}`);
    assert.equal(formatInZone(ms('2024-01-01T10:01:00Z'), 'UTC'), '2024-01-01T10:01:00Z');
    assert.equal(formatInZone(ms('2024-01-01T10:01:00Z'), 'Asia/Tokyo'), '2024-01-01T19:01:00+09:00');
    assert.equal(formatInZone(ms('2024-01-01T10:01:00Z'), 'America/New_York'), '2024-01-01T05:01:00-05:00');
    assert.equal(formatRfc1123z(ms('2024-01-01T10:01:00Z')), 'Mon, 01 Jan 2024 10:01:00 +0000');
  });
});
