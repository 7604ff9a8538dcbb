/**
 * The retention decision of a policy, as a pure function: given the backups a
 * policy made, its rules and the time now, which backups to delete. The keep
 * rules are restic's forget rules (engine/forget-policy.ts) applied per
 * resource; on top of them a backup past its expiration goes. Never deleted:
 * MANUAL backups and keep-forever ones, which also do not count in the rules.
 */
import { fail } from '../common/errors.js';
import type { BackupSource, RetentionRules } from '../catalog/index.js';
import { applyPolicy, parseDuration, type Duration, type IdentifiedSnapshot, type RetentionPolicy } from '../engine/forget-policy.js';

export interface RetentionCandidate {
  readonly id: string;
  readonly resourceId: string;
  /** ISO time; the backups' order and their hour/day/week/month buckets (UTC). */
  readonly timeRequested: string;
  readonly expiresAt: string | null;
  readonly keepForever: boolean;
  readonly source: BackupSource;
}

const COUNTS = {
  keepLast: 'last', keepHourly: 'hourly', keepDaily: 'daily', keepWeekly: 'weekly', keepMonthly: 'monthly', keepYearly: 'yearly',
} as const satisfies Partial<Record<keyof RetentionRules, keyof RetentionPolicy>>;

export const RETENTION_KEYS: readonly (keyof RetentionRules)[] = [...Object.keys(COUNTS) as (keyof typeof COUNTS)[], 'keepWithin', 'expireAfter'];

function duration(text: string, field: string): Duration {
  try {
    return parseDuration(text);
  } catch (err) {
    throw fail('INVALID_ARGUMENT', `${field}: ${err instanceof Error ? err.message : String(err)} (use e.g. 7d, 12h, 1y6m)`);
  }
}

/** Checks the rules and turns them into restic's forget policy; the errors name the rule. */
export function toForgetPolicy(rules: RetentionRules): RetentionPolicy {
  const policy: RetentionPolicy = {};
  for (const [key, kind] of Object.entries(COUNTS) as [keyof typeof COUNTS, (typeof COUNTS)[keyof typeof COUNTS]][]) {
    const n = rules[key];
    if (n === undefined) continue;
    if (!Number.isSafeInteger(n) || n < -1) throw fail('INVALID_ARGUMENT', `${key} must be a whole number, or -1 for unlimited; got ${String(n)}`);
    policy[kind] = n;
  }
  if (rules.keepWithin !== undefined) policy.within = duration(rules.keepWithin, 'keepWithin');
  if (rules.expireAfter !== undefined) checkExpireAfter(rules.expireAfter);
  return policy;
}

function checkExpireAfter(text: string): Duration {
  const d = duration(text, 'expireAfter');
  if ([d.years, d.months, d.days, d.hours].some((n) => n < 0) || [d.years, d.months, d.days, d.hours].every((n) => n === 0)) {
    throw fail('INVALID_ARGUMENT', `expireAfter must be a positive duration; got ${JSON.stringify(text)}`);
  }
  return d;
}

/** `ms` plus a calendar duration (years and months by the calendar, in UTC). */
export function addDuration(ms: number, d: Duration): number {
  const t = new Date(ms);
  t.setUTCFullYear(t.getUTCFullYear() + d.years, t.getUTCMonth() + d.months, t.getUTCDate() + d.days);
  return t.getTime() + d.hours * 3_600_000;
}

/** When a backup requested at `nowMs` under these rules expires; undefined when the rules set no expiration. */
export function expiresAtFor(rules: RetentionRules, nowMs: number): string | undefined {
  if (rules.expireAfter === undefined) return undefined;
  return new Date(addDuration(nowMs, checkExpireAfter(rules.expireAfter))).toISOString();
}

function asSnapshot(b: RetentionCandidate): IdentifiedSnapshot {
  const ms = Date.parse(b.timeRequested);
  return { id: b.id, snapshot: { time: BigInt(ms) * 1_000_000n, tree: '', paths: [b.resourceId] } };
}

function isExpired(b: RetentionCandidate, nowMs: number): boolean {
  return b.expiresAt !== null && Date.parse(b.expiresAt) <= nowMs;
}

/** Ids, the oldest request first: the order deletions go in. */
function idsOldestFirst(backups: readonly RetentionCandidate[]): string[] {
  return [...backups]
    .sort((a, b) => (a.timeRequested < b.timeRequested ? -1 : a.timeRequested > b.timeRequested ? 1 : 0))
    .map((b) => b.id);
}

/** The ids of the backups past their expiration (none kept forever), oldest first: all a policy's copies ever lose. */
export function expiredBackups(backups: readonly RetentionCandidate[], nowMs: number): string[] {
  return idsOldestFirst(backups.filter((b) => !b.keepForever && isExpired(b, nowMs)));
}

/**
 * The ids of the backups to delete, oldest first. A policy with no keep rule
 * keeps everything the rules see, so then only expiration deletes.
 */
export function backupsToDelete(backups: readonly RetentionCandidate[], rules: RetentionRules, nowMs: number): string[] {
  const policy = toForgetPolicy(rules);
  const eligible = backups.filter((b) => b.source === 'SCHEDULED' && !b.keepForever);
  const expired = new Set(eligible.filter((b) => isExpired(b, nowMs)).map((b) => b.id));
  const groups = applyPolicy(eligible.map(asSnapshot), policy, { host: false, paths: true, tags: false });
  const removed = new Set(groups.flatMap((g) => g.remove.map((s) => s.id)));
  return idsOldestFirst(eligible.filter((b) => removed.has(b.id) || expired.has(b.id)));
}
