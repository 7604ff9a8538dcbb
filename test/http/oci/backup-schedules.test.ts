/**
 * OCI volume backup schedules as core schedules: the first tick after a fixed
 * instant for each period and offset type, the defaults OCI fills in, the
 * ranges refused, and retention turned into whole hours of expiry.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { isHoldfastError } from '../../../src/common/errors.js';
import { normalizeSchedule, scheduleSpec, type ScheduleInput } from '../../../src/http/dialects/oci/backup-schedules.js';
import { nextRunAfter } from '../../../src/jobs/scheduler.js';

/** A Monday. */
const FROM = Date.parse('2026-05-04T10:20:00Z');
const DAY = 86_400;
const base = { backupType: 'INCREMENTAL', retentionSeconds: 3600 } as const;

const CASES: [string, ScheduleInput, string][] = [
  ['hourly on the hour', { ...base, period: 'ONE_HOUR' }, '2026-05-04T11:00:00.000Z'],
  ['hourly at 30:05', { ...base, period: 'ONE_HOUR', offsetSeconds: 1805 }, '2026-05-04T10:30:05.000Z'],
  ['daily at 03:15', { ...base, period: 'ONE_DAY', offsetType: 'NUMERIC_SECONDS', offsetSeconds: 3 * 3600 + 15 * 60 }, '2026-05-05T03:15:00.000Z'],
  ['weekly, Wednesday 01:00', { ...base, period: 'ONE_WEEK', offsetSeconds: 2 * DAY + 3600 }, '2026-05-06T01:00:00.000Z'],
  ['weekly, Sunday 00:00', { ...base, period: 'ONE_WEEK', offsetSeconds: 6 * DAY }, '2026-05-10T00:00:00.000Z'],
  ['monthly, the 15th at 02:00', { ...base, period: 'ONE_MONTH', offsetSeconds: 14 * DAY + 7200 }, '2026-05-15T02:00:00.000Z'],
  ['yearly, day 59 is 1 March', { ...base, period: 'ONE_YEAR', offsetSeconds: 59 * DAY }, '2027-03-01T00:00:00.000Z'],
  ['structured hourly', { ...base, period: 'ONE_HOUR', offsetType: 'STRUCTURED', offsetSeconds: 999 }, '2026-05-04T11:00:00.000Z'],
  ['structured daily at 23', { ...base, period: 'ONE_DAY', offsetType: 'STRUCTURED', hourOfDay: 23 }, '2026-05-04T23:00:00.000Z'],
  ['structured weekly', { ...base, period: 'ONE_WEEK', offsetType: 'STRUCTURED', dayOfWeek: 'SUNDAY', hourOfDay: 2 }, '2026-05-10T02:00:00.000Z'],
  ['structured monthly', { ...base, period: 'ONE_MONTH', offsetType: 'STRUCTURED', dayOfMonth: 4, hourOfDay: 11 }, '2026-05-04T11:00:00.000Z'],
  ['structured yearly', { ...base, period: 'ONE_YEAR', offsetType: 'STRUCTURED', month: 'FEBRUARY', dayOfMonth: 28 }, '2027-02-28T00:00:00.000Z'],
];

describe('OCI backup schedules', () => {
  for (const [name, input, next] of CASES) {
    it(`${name}: next run ${next}`, () => {
      const spec = scheduleSpec(normalizeSchedule(input));
      assert.equal(nextRunAfter(spec.cron, spec.timezone, FROM), next);
    });
  }

  it('fills in OCI\'s defaults and keeps only the fields the offset type uses', () => {
    assert.deepEqual(normalizeSchedule({ ...base, period: 'ONE_WEEK', offsetType: 'STRUCTURED', offsetSeconds: 5, dayOfMonth: 3 }), {
      ...base, period: 'ONE_WEEK', offsetType: 'STRUCTURED', hourOfDay: 0, dayOfWeek: 'MONDAY', timeZone: 'UTC',
    });
    assert.deepEqual(normalizeSchedule({ ...base, period: 'ONE_DAY', hourOfDay: 7, timeZone: 'REGIONAL_DATA_CENTER_TIME' }), {
      ...base, period: 'ONE_DAY', offsetSeconds: 0, timeZone: 'REGIONAL_DATA_CENTER_TIME',
    });
  });

  it('refuses offsets outside the period, impossible days and retention out of range', () => {
    const bad: ScheduleInput[] = [
      { ...base, period: 'ONE_HOUR', offsetSeconds: 3600 },
      { ...base, period: 'ONE_WEEK', offsetSeconds: 7 * DAY },
      { ...base, period: 'ONE_DAY', offsetType: 'STRUCTURED', hourOfDay: 24 },
      { ...base, period: 'ONE_YEAR', offsetType: 'STRUCTURED', month: 'FEBRUARY', dayOfMonth: 30 },
      { ...base, period: 'ONE_MONTH', offsetType: 'STRUCTURED', dayOfMonth: 0 },
      { ...base, period: 'ONE_DAY', retentionSeconds: 0 },
      { ...base, period: 'ONE_DAY', retentionSeconds: 101 * 365 * DAY },
    ];
    for (const s of bad) assert.throws(() => normalizeSchedule(s), (e: unknown) => isHoldfastError(e, 'INVALID_ARGUMENT'), JSON.stringify(s));
  });

  it('expires backups after the retention, rounded up to whole hours, with the schedule\'s backup type', () => {
    assert.deepEqual(scheduleSpec(normalizeSchedule({ ...base, period: 'ONE_DAY', retentionSeconds: 7 * DAY })).retention, { expireAfter: '168h' });
    const odd = scheduleSpec(normalizeSchedule({ backupType: 'FULL', period: 'ONE_DAY', retentionSeconds: 5400 }));
    assert.deepEqual([odd.retention, odd.backupType], [{ expireAfter: '2h' }, 'FULL']);
  });
});
