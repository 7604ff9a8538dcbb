/**
 * The pure decision half of `forget`: which snapshots a retention policy keeps.
 * Follows restic 0.14's internal/restic/snapshot_policy.go (ApplyPolicy) and
 * snapshot_group.go (GroupSnapshots), with these deliberate differences:
 *
 * - A count of -1 means "unlimited", and counts below -1 and negative
 *   --keep-within durations are rejected, as restic does since 0.16. (0.14
 *   silently ignores a -1 count, so `--keep-daily -1` alone removes everything.)
 *   The "also keep the oldest snapshot" rule of restic 0.16 is not adopted.
 * - Buckets (hour, day, ISO week, month, year) use wall-clock time at a fixed
 *   offset, UTC unless the caller passes one. restic uses the offset stored in
 *   each snapshot's JSON (normally the local zone of the machine that made it),
 *   which Snapshot.time no longer carries.
 * - "Latest" for keep-within is the newest snapshot of the group. restic skips
 *   snapshots dated in the future of its clock; this function has no clock, so
 *   callers that care must leave such snapshots out or keep them separately.
 * - Snapshots with equal times keep the caller's order (restic's order there is
 *   arbitrary: it loads snapshots concurrently). Untagged and `tags: []` group
 *   together when grouping by tags (restic would split null from []).
 * - Groups come out sorted by hostname, paths, tags rather than in Go's random map order.
 */
import type { Snapshot } from '../format/snapshot.js';
import { fail } from '../common/errors.js';

/** restic's --keep-within format, e.g. "1y2m3d4h". */
export interface Duration { years: number; months: number; days: number; hours: number }

export interface RetentionPolicy {
  last?: number;
  hourly?: number;
  daily?: number;
  weekly?: number;
  monthly?: number;
  yearly?: number;
  within?: Duration;
  /** Each entry is a tag list: keep snapshots having all of its tags. */
  tags?: string[][];
}

export interface IdentifiedSnapshot { readonly id: string; readonly snapshot: Snapshot }

/** Why a snapshot was kept, in restic's words: "daily snapshot", "within 1y2m", "has tags [a, b]". */
export interface KeepReason { readonly id: string; readonly matches: string[] }

/** One group's decision; keep, remove and reasons are newest first, reasons parallel to keep. */
export interface ForgetGroup {
  readonly key: { hostname?: string; paths?: string[]; tags?: string[] };
  readonly keep: IdentifiedSnapshot[];
  readonly remove: IdentifiedSnapshot[];
  readonly reasons: KeepReason[];
}

/** Which fields separate groups; restic's default is host + paths. */
export type GroupBy = { host: boolean; paths: boolean; tags: boolean };

// ---------------------------------------------------------------- durations

const DURATION_UNITS = { y: 'years', m: 'months', d: 'days', h: 'hours' } as const;

/**
 * Parses restic's duration syntax: number-unit pairs with units y, m, d, h, an
 * optional '-' per number, a later unit overriding an earlier one, and "" or
 * blanks meaning zero — all as restic's ParseDuration does.
 */
export function parseDuration(s: string): Duration {
  const d: Duration = { years: 0, months: 0, days: 0, hours: 0 };
  let rest = s.trim();
  while (rest !== '') {
    const m = /^(-?)([0-9]*)([\s\S]?)/.exec(rest)!;
    const [whole, sign, digits, unit] = m as unknown as [string, string, string, string];
    if (digits === '') throw badDuration(s, 'no number found');
    const n = Number(sign + digits);
    if (!Number.isSafeInteger(n)) throw badDuration(s, `number ${sign}${digits} is too large`);
    if (unit === '') throw badDuration(s, `no unit found after number ${n}`);
    if (!Object.hasOwn(DURATION_UNITS, unit)) throw badDuration(s, `invalid unit ${JSON.stringify(unit)} found after number ${n}`);
    d[DURATION_UNITS[unit as keyof typeof DURATION_UNITS]] = n === 0 ? 0 : n;
    rest = rest.slice(whole.length);
  }
  return d;
}

function badDuration(s: string, why: string): Error {
  return fail('INVALID_ARGUMENT', `invalid duration ${JSON.stringify(s.slice(0, 64))}: ${why}`);
}

/** restic's Duration.String: the non-zero parts in y, m, d, h order. */
function formatDuration(d: Duration): string {
  const parts: [number, string][] = [[d.years, 'y'], [d.months, 'm'], [d.days, 'd'], [d.hours, 'h']];
  return parts.filter(([n]) => n !== 0).map(([n, unit]) => `${n}${unit}`).join('');
}

function isZeroDuration(d: Duration | undefined): boolean {
  return d === undefined || (d.years === 0 && d.months === 0 && d.days === 0 && d.hours === 0);
}

// ---------------------------------------------------------------- policy

const BUCKET_KINDS = ['last', 'hourly', 'daily', 'weekly', 'monthly', 'yearly'] as const;
type BucketKind = (typeof BUCKET_KINDS)[number];

/** True when the policy sets nothing; forget then keeps every snapshot. */
export function isEmptyPolicy(p: RetentionPolicy): boolean {
  return BUCKET_KINDS.every((k) => (p[k] ?? 0) === 0) && isZeroDuration(p.within) && (p.tags ?? []).length === 0;
}

function validatePolicy(p: RetentionPolicy): void {
  for (const kind of BUCKET_KINDS) {
    const n = p[kind];
    if (n !== undefined && (!Number.isSafeInteger(n) || n < -1)) {
      throw fail('INVALID_ARGUMENT', `keep-${kind} must be a whole number, or -1 for unlimited; got ${n}`);
    }
  }
  const w = p.within;
  if (w !== undefined && ![w.years, w.months, w.days, w.hours].every((n) => Number.isSafeInteger(n) && n >= 0)) {
    throw fail('INVALID_ARGUMENT', 'keep-within must not contain negative or fractional values');
  }
}

function validateOffset(minutes: number): void {
  if (!Number.isSafeInteger(minutes) || Math.abs(minutes) > 24 * 60) {
    throw fail('INVALID_ARGUMENT', `time zone offset must be whole minutes within ±24h; got ${minutes}`);
  }
}

// ---------------------------------------------------------------- calendar

const NS_PER_HOUR = 3_600_000_000_000n;
const NS_PER_DAY = 24n * NS_PER_HOUR;

function floorDiv(a: bigint, b: bigint): bigint {
  const q = a / b;
  return a % b !== 0n && a < 0n !== b < 0n ? q - 1n : q;
}

interface CivilDate { readonly year: bigint; readonly month: bigint; readonly day: bigint }

/** Howard Hinnant's civil_from_days: days since 1970-01-01 to a proleptic Gregorian date. */
function civilFromDays(days: bigint): CivilDate {
  const z = days + 719_468n;
  const era = floorDiv(z, 146_097n);
  const doe = z - era * 146_097n;
  const yoe = (doe - doe / 1460n + doe / 36_524n - doe / 146_096n) / 365n;
  const doy = doe - (365n * yoe + yoe / 4n - yoe / 100n);
  const mp = (5n * doy + 2n) / 153n;
  const month = mp < 10n ? mp + 3n : mp - 9n;
  return { year: yoe + era * 400n + (month <= 2n ? 1n : 0n), month, day: doy - (153n * mp + 2n) / 5n + 1n };
}

/** The inverse of civilFromDays, for day 1 of a month (the caller adds the days). */
function daysFromCivil(year: bigint, month: bigint): bigint {
  const y = month <= 2n ? year - 1n : year;
  const era = floorDiv(y, 400n);
  const yoe = y - era * 400n;
  const doy = (153n * (month > 2n ? month - 3n : month + 9n) + 2n) / 5n;
  return era * 146_097n + yoe * 365n + yoe / 4n - yoe / 100n + doy - 719_468n;
}

/** Bucket values as restic's ymdh, ymd, yw (ISO year*100 + ISO week), ym and y compute them. */
function bucketValues(wallNs: bigint): Record<Exclude<BucketKind, 'last'>, number> {
  const days = floorDiv(wallNs, NS_PER_DAY);
  const hour = (wallNs - days * NS_PER_DAY) / NS_PER_HOUR;
  const { year, month, day } = civilFromDays(days);
  const ymd = year * 10_000n + month * 100n + day;
  return {
    hourly: Number(ymd * 100n + hour),
    daily: Number(ymd),
    weekly: Number(isoWeek(days)),
    monthly: Number(year * 100n + month),
    yearly: Number(year),
  };
}

/** Go's ISOWeek: the week belongs to the year of its Thursday; 1970-01-01 was a Thursday. */
function isoWeek(days: bigint): bigint {
  const weekday = days + 3n - floorDiv(days + 3n, 7n) * 7n; // 0 = Monday
  const thursday = days - weekday + 3n;
  const { year } = civilFromDays(thursday);
  return year * 100n + (thursday - daysFromCivil(year, 1n)) / 7n + 1n;
}

/** Go's latest.AddDate(-y, -m, -d).Add(-h hours), on wall-clock nanoseconds. */
function subtractDuration(wallNs: bigint, d: Duration): bigint {
  const days = floorDiv(wallNs, NS_PER_DAY);
  const timeOfDay = wallNs - days * NS_PER_DAY;
  const { year, month, day } = civilFromDays(days);
  const month0 = month - 1n - BigInt(d.months); // Go normalises months into years first ...
  const newYear = year - BigInt(d.years) + floorDiv(month0, 12n);
  const newMonth = month0 - floorDiv(month0, 12n) * 12n + 1n;
  const newDays = daysFromCivil(newYear, newMonth) + day - 1n - BigInt(d.days); // ... then lets days overflow
  return newDays * NS_PER_DAY + timeOfDay - BigInt(d.hours) * NS_PER_HOUR;
}

// ---------------------------------------------------------------- grouping

type GroupKey = ForgetGroup['key'];

function groupKey(sn: Snapshot, by: GroupBy): GroupKey {
  const key: { hostname?: string; paths?: string[]; tags?: string[] } = {};
  if (by.host) key.hostname = sn.hostname ?? '';
  if (by.paths) key.paths = [...sn.paths].sort(compareStrings);
  if (by.tags) key.tags = [...(sn.tags ?? [])].sort(compareStrings);
  return key;
}

/** Byte-wise order of UTF-16 code units, close to Go's sort.Strings and independent of locale. */
function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function groupSnapshots(snapshots: readonly IdentifiedSnapshot[], by: GroupBy): [GroupKey, IdentifiedSnapshot[]][] {
  const groups = new Map<string, [GroupKey, IdentifiedSnapshot[]]>();
  for (const s of snapshots) {
    const key = groupKey(s.snapshot, by);
    const k = JSON.stringify([key.hostname, key.paths, key.tags]);
    const group = groups.get(k);
    if (group === undefined) groups.set(k, [key, [s]]);
    else group[1].push(s);
  }
  return [...groups.values()].sort(([a], [b]) => compareKeys(a, b));
}

/** Orders groups by hostname, then paths, then tags, each list compared element by element. */
function compareKeys(a: GroupKey, b: GroupKey): number {
  return compareStrings(a.hostname ?? '', b.hostname ?? '') || compareLists(a.paths ?? [], b.paths ?? []) || compareLists(a.tags ?? [], b.tags ?? []);
}

function compareLists(a: readonly string[], b: readonly string[]): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const c = compareStrings(a[i]!, b[i]!);
    if (c !== 0) return c;
  }
  return a.length - b.length;
}

// ---------------------------------------------------------------- policy evaluation

interface Bucket { kind: BucketKind; count: number; last: number | undefined }

const BUCKET_REASONS: Record<BucketKind, string> = {
  last: 'last snapshot', hourly: 'hourly snapshot', daily: 'daily snapshot',
  weekly: 'weekly snapshot', monthly: 'monthly snapshot', yearly: 'yearly snapshot',
};

/** restic's HasTags, including its quirk that an empty tag matches an untagged snapshot. */
function hasTags(sn: Snapshot, list: readonly string[]): boolean {
  const tags = sn.tags ?? [];
  for (const tag of list) {
    if (tag === '' && tags.length === 0) return true;
    if (!tags.includes(tag)) return false;
  }
  return true;
}

/** Counts the snapshot in every bucket whose value changed and which has count left. */
function bucketReasons(buckets: Bucket[], wallNs: bigint, nr: number): string[] {
  const reasons: string[] = [];
  const values = { last: nr, ...bucketValues(wallNs) };
  for (const b of buckets) {
    if (b.count === 0 || values[b.kind] === b.last) continue;
    b.last = values[b.kind];
    if (b.count > 0) b.count--;
    reasons.push(BUCKET_REASONS[b.kind]);
  }
  return reasons;
}

interface Decision { keep: IdentifiedSnapshot[]; remove: IdentifiedSnapshot[]; reasons: KeepReason[] }

/** Newest first; Array.prototype.sort is stable, so equal times keep the caller's order (restic: sort.Stable). */
function newestFirst(group: readonly IdentifiedSnapshot[]): IdentifiedSnapshot[] {
  return [...group].sort((a, b) => (a.snapshot.time > b.snapshot.time ? -1 : a.snapshot.time < b.snapshot.time ? 1 : 0));
}

/** restic's ApplyPolicy for one group: tags, then within, then the counted buckets. */
function decideGroup(group: readonly IdentifiedSnapshot[], p: RetentionPolicy, offsetNs: bigint): Decision {
  const list = newestFirst(group);
  if (isEmptyPolicy(p)) {
    return { keep: list, remove: [], reasons: list.map((s) => ({ id: s.id, matches: ['policy is empty'] })) };
  }
  const buckets: Bucket[] = BUCKET_KINDS.map((kind) => ({ kind, count: p[kind] ?? 0, last: undefined }));
  const within = p.within !== undefined && !isZeroDuration(p.within) ? p.within : undefined;
  const latest = list[0]?.snapshot.time ?? 0n; // groups are never empty
  const cutoff = within === undefined ? 0n : subtractDuration(latest + offsetNs, within) - offsetNs;
  const out: Decision = { keep: [], remove: [], reasons: [] };
  list.forEach((s, nr) => {
    const matches = (p.tags ?? []).filter((l) => hasTags(s.snapshot, l)).map((l) => `has tags [${l.join(', ')}]`);
    if (within !== undefined && s.snapshot.time > cutoff) matches.push(`within ${formatDuration(within)}`);
    matches.push(...bucketReasons(buckets, s.snapshot.time + offsetNs, nr));
    if (matches.length === 0) {
      out.remove.push(s);
    } else {
      out.keep.push(s);
      out.reasons.push({ id: s.id, matches });
    }
  });
  return out;
}

/**
 * Splits snapshots into groups and decides, per group, which to keep. Every
 * input snapshot lands in exactly one keep or remove list. The offset is
 * minutes east of UTC (+120 for CEST; the opposite sign of JS getTimezoneOffset).
 */
export function applyPolicy(
  snapshots: readonly IdentifiedSnapshot[],
  policy: RetentionPolicy,
  groupBy: GroupBy,
  timeZoneOffsetMinutes = 0,
): ForgetGroup[] {
  validatePolicy(policy);
  validateOffset(timeZoneOffsetMinutes);
  const offsetNs = BigInt(timeZoneOffsetMinutes) * 60_000_000_000n;
  return groupSnapshots(snapshots, groupBy).map(([key, group]) => Object.freeze({ key, ...decideGroup(group, policy, offsetNs) }));
}
