/**
 * Conversions between row columns and domain values, shared by every store:
 * clock time to ISO text, JSON text, 0/1 flags, pg's bigint strings, page
 * cursors, and the unique-violation test both drivers need.
 */
import type { Clock } from '../common/clock.js';
import { fail } from '../common/errors.js';
import type { BigIntColumn, Flag } from './schema.js';

/** The clock's instant as ISO-8601 UTC with milliseconds; fixed width, so text order is time order. */
export function isoNow(clock: Clock, plusMs = 0): string {
  return new Date(Number(clock.nowNs() / 1_000_000n) + plusMs).toISOString();
}

export function toJson(value: unknown): string {
  return JSON.stringify(value ?? null);
}

export function fromJson<T>(text: string): T {
  return JSON.parse(text) as T;
}

export function toFlag(value: boolean): Flag {
  return value ? 1 : 0;
}

export function fromFlag(value: number | boolean): boolean {
  return value === 1 || value === true;
}

export function fromBigInt(value: BigIntColumn | null): number | null {
  return value === null ? null : Number(value);
}

/** Cursors are opaque to callers: base64url of the JSON of the sort key of the last row. */
export function encodeCursor(key: readonly string[]): string {
  return Buffer.from(JSON.stringify(key)).toString('base64url');
}

export function decodeCursor(cursor: string, width: number): string[] {
  try {
    const key: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (Array.isArray(key) && key.length === width && key.every((k) => typeof k === 'string')) return key as string[];
  } catch {
    // fall through to the uniform error below
  }
  throw fail('INVALID_ARGUMENT', 'not a valid page cursor');
}

/** Checks a page limit and answers how many rows to fetch: one more tells whether a next page exists. */
export function fetchSize(limit: number): number {
  if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw fail('INVALID_ARGUMENT', `page limit must be 1..1000, got ${limit}`);
  return limit + 1;
}

/** Trims the extra row and derives the cursor from the last row kept. */
export function toPage<R, T>(rows: R[], limit: number, map: (row: R) => T, key: (row: R) => string[]): { items: T[]; next?: string } {
  const kept = rows.slice(0, limit);
  const last = kept[kept.length - 1];
  const items = kept.map(map);
  return rows.length > limit && last !== undefined ? { items, next: encodeCursor(key(last)) } : { items };
}

/** True for a UNIQUE / PRIMARY KEY violation from better-sqlite3 or pg. */
export function isUniqueViolation(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === '23505' || code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
}

/** Runs a write and turns a unique violation into ALREADY_EXISTS with the given message. */
export async function uniquely<T>(write: () => Promise<T>, message: string): Promise<T> {
  try {
    return await write();
  } catch (err) {
    if (isUniqueViolation(err)) throw fail('ALREADY_EXISTS', message, { cause: err });
    throw err;
  }
}
