/**
 * The time formats of the Oracle PaaS answers, all in UTC: the DBCS backup
 * list's `27-Jul-2016 19:20:26 UTC` (and the recovery body's
 * `dd-MMM-yyyy HH:mm:ss`), the activity log's `2016-07-27T19:02:36.517+0000`,
 * the job status's Java `Date.toString()` forms, and RMAN's default backup tag
 * `TAGyyyymmddThhmmss` (paas-otc.md §1.5, §2.2–2.4).
 */
import { fail } from '../../../common/errors.js';

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];

const pad = (n: number, width = 2): string => String(n).padStart(width, '0');

function clock(d: Date): string {
  return `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;
}

/** `27-Jul-2016 19:20:26 UTC` */
export function dbcsDate(iso: string): string {
  const d = new Date(iso);
  return `${pad(d.getUTCDate())}-${MONTHS[d.getUTCMonth()]}-${d.getUTCFullYear()} ${clock(d)} UTC`;
}

/** `2016-07-27T19:02:36.517+0000` */
export function activityDate(iso: string): string {
  return new Date(iso).toISOString().replace('Z', '+0000');
}

/** `Thu Jul 14 09:52:15 GMT 2016` (the job status's job_start_date) */
export function javaDate(iso: string, zone: 'GMT' | 'UTC' = 'GMT'): string {
  const d = new Date(iso);
  return `${DAYS[d.getUTCDay()]} ${MONTHS[d.getUTCMonth()]} ${pad(d.getUTCDate())} ${clock(d)} ${zone} ${d.getUTCFullYear()}`;
}

/** `TAG20160727T190236` for the request time `iso`. */
export function dbTagAt(iso: string): string {
  const d = new Date(iso);
  return `TAG${d.getUTCFullYear()}${pad(d.getUTCMonth() + 1)}${pad(d.getUTCDate())}T${clock(d).replaceAll(':', '')}`;
}

/** The instant of a tag made by dbTagAt (for making the next free one). */
export function instantOfDbTag(tag: string): number | undefined {
  const m = /^TAG(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})$/.exec(tag);
  return m === null ? undefined : Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!);
}

const TIMESTAMP = /^(\d{1,2})-([A-Za-z]{3})-(\d{4}) (\d{1,2}):(\d{2}):(\d{2})(?: (?:UTC|GMT))?$/;

/** Reads the recovery body's `dd-MMM-yyyy HH:mm:ss` (UTC) as ISO-8601; INVALID_ARGUMENT for anything else. */
export function parseDbcsTimestamp(text: string): string {
  const m = TIMESTAMP.exec(text.trim());
  const month = m === null ? -1 : MONTHS.findIndex((name) => name.toLowerCase() === m[2]!.toLowerCase());
  if (m === null || month < 0) throw fail('INVALID_ARGUMENT', `timestamp must have the form dd-MMM-yyyy HH:mm:ss (e.g. 27-Jul-2016 19:20:26), not "${text.slice(0, 40)}"`);
  const [day, year, hour, minute, second] = [+m[1]!, +m[3]!, +m[4]!, +m[5]!, +m[6]!];
  const d = new Date(Date.UTC(year, month, day, hour, minute, second));
  if (d.getUTCDate() !== day || d.getUTCMonth() !== month || hour > 23 || minute > 59 || second > 59) {
    throw fail('INVALID_ARGUMENT', `timestamp ${text.slice(0, 40)} is not a valid date and time`);
  }
  return d.toISOString();
}

/** The recovery body's form of an ISO time, for the history. */
export function dbcsTimestamp(iso: string): string {
  return dbcsDate(iso).replace(/ UTC$/, '');
}
