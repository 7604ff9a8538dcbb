/**
 * Times as restic stores them: Go's time.Time JSON form (RFC 3339 with up to
 * nanosecond precision). In memory a time is a bigint of nanoseconds since the
 * Unix epoch, which also covers Go's zero time (year 1) without rounding.
 */
import { fail } from '../common/errors.js';

const NS_PER_SECOND = 1_000_000_000n;
const SECONDS_PER_DAY = 86_400n;

/** Go's zero time.Time, 0001-01-01T00:00:00Z, which restic writes for unknown times. */
export const GO_ZERO_TIME_NS: bigint = -62_135_596_800n * NS_PER_SECOND;

interface CivilDate {
  readonly year: number;
  readonly month: number;
  readonly day: number;
}

/** Howard Hinnant's days_from_civil: proleptic Gregorian date to days since 1970-01-01. */
function daysFromCivil({ year, month, day }: CivilDate): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146_097 + doe - 719_468;
}

/** The inverse of daysFromCivil. */
function civilFromDays(days: number): CivilDate {
  const z = days + 719_468;
  const era = Math.floor(z / 146_097);
  const doe = z - era * 146_097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36_524) - Math.floor(doe / 146_096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  return { year: yoe + era * 400 + (month <= 2 ? 1 : 0), month, day };
}

/** Floor division and non-negative remainder, which bigint `/` and `%` do not give for negatives. */
function floorDivMod(a: bigint, b: bigint): [bigint, bigint] {
  const r = ((a % b) + b) % b;
  return [(a - r) / b, r];
}

const pad = (n: number | bigint, width: number): string => n.toString().padStart(width, '0');

// One-entry caches: a node's three times are usually equal, and neighbouring nodes often share them.
let lastFormatted = { ns: 0n, text: '1970-01-01T00:00:00Z' };
let lastParsed = { text: '1970-01-01T00:00:00Z', ns: 0n };

/**
 * Go's RFC3339Nano in UTC: trailing zeros of the fraction trimmed, no '.' for
 * whole seconds. Go's time.MarshalJSON refuses years outside 0..9999, so do we.
 */
export function formatGoTime(ns: bigint): string {
  if (ns !== lastFormatted.ns) lastFormatted = { ns, text: formatUncached(ns) };
  return lastFormatted.text;
}

function formatUncached(ns: bigint): string {
  const [seconds, fraction] = floorDivMod(ns, NS_PER_SECOND);
  const [days, secOfDay] = floorDivMod(seconds, SECONDS_PER_DAY);
  const { year, month, day } = civilFromDays(Number(days));
  if (year < 0 || year > 9999) throw fail('INVALID_DATA', `time ${ns}ns has year ${year}, outside Go's JSON range 0..9999`);
  const s = Number(secOfDay);
  const clock = `${pad(Math.floor(s / 3600), 2)}:${pad(Math.floor(s / 60) % 60, 2)}:${pad(s % 60, 2)}`;
  const frac = fraction === 0n ? '' : `.${pad(fraction, 9).replace(/0+$/, '')}`;
  return `${pad(year, 4)}-${pad(month, 2)}-${pad(day, 2)}T${clock}${frac}Z`;
}

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:[.,](\d+))?(?:(Z)|([+-])(\d{2}):(\d{2}))$/;

function daysInMonth(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}

function badTime(s: string, why: string): never {
  throw fail('INVALID_DATA', `invalid time ${JSON.stringify(s.slice(0, 64))}: ${why}`);
}

/** Fraction digits to nanoseconds; like Go (which also takes "," as the separator), digits past the ninth are dropped. */
function fractionToNs(digits: string | undefined): number {
  return digits === undefined ? 0 : Number(digits.slice(0, 9).padEnd(9, '0'));
}

/**
 * Parses what Go's time.UnmarshalJSON accepts from restic files: RFC 3339 with
 * an optional fraction, and 'Z' or a ±hh:mm offset. Fields are range-checked
 * as Go does, so "2021-02-30" is rejected rather than rolled over.
 */
export function parseGoTime(s: string): bigint {
  if (s !== lastParsed.text) lastParsed = { text: s, ns: parseUncached(s) };
  return lastParsed.ns;
}

function parseUncached(s: string): bigint {
  const m = RFC3339.exec(s);
  if (m === null) return badTime(s, 'not RFC 3339');
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  if (month < 1 || month > 12) return badTime(s, 'month out of range');
  if (day < 1 || day > daysInMonth(year, month)) return badTime(s, 'day out of range');
  if (hour > 23 || minute > 59 || second > 59) return badTime(s, 'time of day out of range');
  const offsetSeconds = m[8] === 'Z' ? 0 : parseOffset(s, m[9]!, Number(m[10]), Number(m[11]));
  // Whole seconds stay below 2^53 for every four-digit year, so only the last step needs bigint.
  const seconds = daysFromCivil({ year, month, day }) * 86_400 + hour * 3600 + minute * 60 + second - offsetSeconds;
  return BigInt(seconds) * NS_PER_SECOND + BigInt(fractionToNs(m[7]));
}

function parseOffset(s: string, sign: string, hours: number, minutes: number): number {
  if (hours > 23 || minutes > 59) return badTime(s, 'time zone offset out of range');
  return (sign === '-' ? -1 : 1) * (hours * 3600 + minutes * 60);
}
