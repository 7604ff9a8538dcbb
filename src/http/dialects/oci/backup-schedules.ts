/**
 * One OCI VolumeBackupSchedule as a core policy schedule: the period and its
 * offset become a 6-field cron expression (seconds first), retentionSeconds
 * becomes the policy's `expireAfter`, so each SCHEDULED backup carries
 * expiresAt = time requested + retention (the model's expirationTime).
 *
 * - NUMERIC_SECONDS (also when offsetType is absent, as OCI does): the start
 *   is the period's boundary plus offsetSeconds — the hour, the day (00:00),
 *   the week (Monday 00:00), the month (the 1st) or the year (1 January,
 *   counted in a 365-day year).
 * - STRUCTURED: hourOfDay, dayOfWeek, dayOfMonth and month where the period
 *   uses them (0, MONDAY, 1, JANUARY when not given); an hourly schedule
 *   starts on the hour.
 * - timeZone UTC, and REGIONAL_DATA_CENTER_TIME, which is this server's
 *   data centre: it keeps UTC.
 * - Retention is counted in whole hours (restic durations have no smaller
 *   unit): a retention that is not a multiple of 3600 s is rounded up.
 */
import type { BackupType, RetentionRules } from '../../../catalog/index.js';
import { fail } from '../../../common/errors.js';

export type Period = 'ONE_HOUR' | 'ONE_DAY' | 'ONE_WEEK' | 'ONE_MONTH' | 'ONE_YEAR';
export const DAYS_OF_WEEK = ['MONDAY', 'TUESDAY', 'WEDNESDAY', 'THURSDAY', 'FRIDAY', 'SATURDAY', 'SUNDAY'] as const;
export const MONTHS = ['JANUARY', 'FEBRUARY', 'MARCH', 'APRIL', 'MAY', 'JUNE', 'JULY', 'AUGUST', 'SEPTEMBER', 'OCTOBER', 'NOVEMBER', 'DECEMBER'] as const;
type DayOfWeek = (typeof DAYS_OF_WEEK)[number];
type Month = (typeof MONTHS)[number];

/** A schedule as stored and answered: the request's fields that apply, with OCI's defaults filled in. */
export interface OciSchedule {
  readonly backupType: BackupType;
  readonly period: Period;
  readonly offsetType?: 'STRUCTURED' | 'NUMERIC_SECONDS';
  readonly offsetSeconds?: number;
  readonly hourOfDay?: number;
  readonly dayOfWeek?: DayOfWeek;
  readonly dayOfMonth?: number;
  readonly month?: Month;
  readonly retentionSeconds: number;
  readonly timeZone: 'UTC' | 'REGIONAL_DATA_CENTER_TIME';
}

/** What the core policy of one schedule is made of. */
export interface ScheduleSpec {
  readonly cron: string;
  readonly timezone: string;
  readonly backupType: BackupType;
  readonly retention: RetentionRules;
}

const DAY = 86_400;
const MAX_RETENTION_SECONDS = 100 * 365 * DAY;
/** How long each period is, for the range of offsetSeconds (a month may start its backups on any of 31 days). */
const PERIOD_SECONDS: Readonly<Record<Period, number>> = { ONE_HOUR: 3600, ONE_DAY: DAY, ONE_WEEK: 7 * DAY, ONE_MONTH: 31 * DAY, ONE_YEAR: 365 * DAY };
const MONTH_DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

const intField = { type: 'integer', minimum: 0, maximum: 1e12 } as const;

/** The JSON schema of one schedule in a request body; unknown fields pass and are ignored. */
export const scheduleSchema = {
  type: 'object', required: ['backupType', 'period', 'retentionSeconds'],
  properties: {
    backupType: { enum: ['FULL', 'INCREMENTAL'] }, period: { enum: Object.keys(PERIOD_SECONDS) },
    offsetType: { enum: ['STRUCTURED', 'NUMERIC_SECONDS'] }, offsetSeconds: intField, hourOfDay: intField,
    dayOfWeek: { enum: DAYS_OF_WEEK }, dayOfMonth: intField, month: { enum: MONTHS }, retentionSeconds: intField,
    timeZone: { enum: ['UTC', 'REGIONAL_DATA_CENTER_TIME'] },
  },
} as const;

export type ScheduleInput = Omit<OciSchedule, 'timeZone'> & { readonly timeZone?: OciSchedule['timeZone'] };

function invalid(message: string): never {
  throw fail('INVALID_ARGUMENT', message);
}

function inRange(name: string, value: number, min: number, max: number): number {
  if (value < min || value > max) invalid(`${name} must be between ${min} and ${max}; got ${value}.`);
  return value;
}

/** The structured fields the period uses, checked, with OCI's defaults. */
function structured(s: ScheduleInput): Partial<OciSchedule> {
  const p = s.period;
  return {
    ...(p === 'ONE_HOUR' ? {} : { hourOfDay: inRange('hourOfDay', s.hourOfDay ?? 0, 0, 23) }),
    ...(p === 'ONE_WEEK' ? { dayOfWeek: s.dayOfWeek ?? 'MONDAY' } : {}),
    ...(p === 'ONE_MONTH' || p === 'ONE_YEAR' ? { dayOfMonth: inRange('dayOfMonth', s.dayOfMonth ?? 1, 1, 31) } : {}),
    ...(p === 'ONE_YEAR' ? { month: s.month ?? 'JANUARY' } : {}),
  };
}

/** Checks one requested schedule and keeps what applies to its offset type; throws INVALID_ARGUMENT (400) naming the field. */
export function normalizeSchedule(s: ScheduleInput): OciSchedule {
  inRange('retentionSeconds', s.retentionSeconds, 1, MAX_RETENTION_SECONDS);
  const base = { backupType: s.backupType, period: s.period, retentionSeconds: s.retentionSeconds, timeZone: s.timeZone ?? 'UTC' } as const;
  if (s.offsetType === 'STRUCTURED') {
    const fields = structured(s);
    if (s.period === 'ONE_YEAR' && fields.dayOfMonth! > MONTH_DAYS[MONTHS.indexOf(fields.month!)]!) invalid(`${fields.month} has no day ${fields.dayOfMonth}.`);
    return { ...base, offsetType: 'STRUCTURED', ...fields };
  }
  const offsetSeconds = inRange('offsetSeconds', s.offsetSeconds ?? 0, 0, PERIOD_SECONDS[s.period] - 1);
  return { ...base, ...(s.offsetType === undefined ? {} : { offsetType: s.offsetType }), offsetSeconds };
}

/** Seconds into the period as [second, minute, hour, days] from its start. */
function split(offset: number): [number, number, number, number] {
  return [offset % 60, Math.floor(offset / 60) % 60, Math.floor(offset / 3600) % 24, Math.floor(offset / DAY)];
}

/** Day `n` (0-based) of a 365-day year as [day of month, month number]. */
function dayOfYear(n: number): [number, number] {
  let month = 0;
  while (n >= MONTH_DAYS[month]!) n -= MONTH_DAYS[month++]!;
  return [n + 1, month + 1];
}

/** cron's day of week (0 = Sunday) of the day `n` days after Monday. */
function cronWeekday(n: number): number {
  return (n + 1) % 7;
}

function numericCron(period: Period, offset: number): string {
  const [s, m, h, d] = split(offset);
  switch (period) {
    case 'ONE_HOUR': return `${s} ${m} * * * *`;
    case 'ONE_DAY': return `${s} ${m} ${h} * * *`;
    case 'ONE_WEEK': return `${s} ${m} ${h} * * ${cronWeekday(d)}`;
    case 'ONE_MONTH': return `${s} ${m} ${h} ${d + 1} * *`;
    case 'ONE_YEAR': { const [day, month] = dayOfYear(d); return `${s} ${m} ${h} ${day} ${month} *`; }
  }
}

function structuredCron(s: OciSchedule): string {
  const h = s.hourOfDay ?? 0;
  switch (s.period) {
    case 'ONE_HOUR': return '0 0 * * * *';
    case 'ONE_DAY': return `0 0 ${h} * * *`;
    case 'ONE_WEEK': return `0 0 ${h} * * ${cronWeekday(DAYS_OF_WEEK.indexOf(s.dayOfWeek ?? 'MONDAY'))}`;
    case 'ONE_MONTH': return `0 0 ${h} ${s.dayOfMonth ?? 1} * *`;
    case 'ONE_YEAR': return `0 0 ${h} ${s.dayOfMonth ?? 1} ${MONTHS.indexOf(s.month ?? 'JANUARY') + 1} *`;
  }
}

/** The core policy settings of a normalized schedule. */
export function scheduleSpec(s: OciSchedule): ScheduleSpec {
  const cron = s.offsetType === 'STRUCTURED' ? structuredCron(s) : numericCron(s.period, s.offsetSeconds ?? 0);
  return { cron, timezone: 'UTC', backupType: s.backupType, retention: { expireAfter: `${Math.ceil(s.retentionSeconds / 3600)}h` } };
}

/** The settings of a policy's placeholder row when it has no schedule: it never covers a resource, so its ticks do nothing. */
export const NO_SCHEDULE: ScheduleSpec = { cron: '0 0 0 1 1 *', timezone: 'UTC', backupType: 'INCREMENTAL', retention: {} };
