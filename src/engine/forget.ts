/**
 * Forget: removes snapshot files, either those a retention policy does not
 * keep (applied per group, see forget-policy.ts) or those named explicitly,
 * like restic 0.14's forget. Only snapshot files go; the data they referred
 * to stays until a prune, which `prune` here runs under the same lock.
 *
 * Differences from restic 0.14: an id that matches no snapshot (or several)
 * fails the whole call before anything is removed, where restic warns and
 * goes on; and filters are ignored for explicit ids except by "latest".
 */
import { fail } from '../common/errors.js';
import { mapLimit } from '../common/concurrency.js';
import type { Id } from '../common/ids.js';
import type { Snapshot } from '../format/snapshot.js';
import { withLock } from '../repository/lock.js';
import type { Repository } from '../repository/repository.js';
import { applyPolicy, isEmptyPolicy, type ForgetGroup, type GroupBy, type RetentionPolicy } from './forget-policy.js';
import { pruneLocked, type PruneOptions, type PruneReport } from './prune/prune.js';
import { loadSnapshots, type IdentifiedSnapshot } from './snapshots.js';

export interface ForgetOptions {
  readonly policy: RetentionPolicy;
  /** restic's default is host and paths. */
  readonly groupBy?: GroupBy;
  /** Remove exactly these snapshots (full ids, unique prefixes or "latest"); the policy is not applied. */
  readonly snapshotIds?: readonly string[];
  readonly dryRun: boolean;
  /** Only snapshots of one of these hosts. */
  readonly hostname?: string | readonly string[];
  /** Only snapshots having all tags of at least one of these lists. */
  readonly tags?: readonly (readonly string[])[];
  /** Only snapshots that include all of these paths. */
  readonly paths?: readonly string[];
  /** Minutes east of UTC for the hourly/daily/... buckets (default UTC). */
  readonly timeZoneOffsetMinutes?: number;
  /** Run prune afterwards (under the same lock) if any snapshot was removed. */
  readonly prune?: Omit<PruneOptions, 'dryRun' | 'ignoreSnapshots'>;
}

export interface ForgetResult {
  readonly dryRun: boolean;
  /** True when neither a policy nor ids were given: nothing is removed. */
  readonly policyEmpty: boolean;
  /** The per-group decisions (empty when ids were given). */
  readonly groups: readonly ForgetGroup[];
  /** The snapshots removed (or, in a dry run, that would be). */
  readonly removed: readonly IdentifiedSnapshot[];
  readonly prune?: PruneReport;
}

export const DEFAULT_GROUP_BY: GroupBy = Object.freeze({ host: true, paths: true, tags: false });

const REMOVALS = 8;

export async function forget(repo: Repository, opts: ForgetOptions): Promise<ForgetResult> {
  return withLock(repo, { exclusive: true }, () => forgetLocked(repo, opts));
}

async function forgetLocked(repo: Repository, opts: ForgetOptions): Promise<ForgetResult> {
  const all = await loadSnapshots(repo);
  const filtered = all.filter((s) => matchesForgetFilter(s.snapshot, opts));
  const explicit = opts.snapshotIds !== undefined && opts.snapshotIds.length > 0;
  const policyEmpty = !explicit && isEmptyPolicy(opts.policy);
  const groups = explicit || policyEmpty ? [] : applyPolicy(filtered, opts.policy, opts.groupBy ?? DEFAULT_GROUP_BY, opts.timeZoneOffsetMinutes);
  const removed = explicit ? resolveIds(all, filtered, opts.snapshotIds!) : groups.flatMap((g) => g.remove);
  if (!opts.dryRun) await removeSnapshots(repo, removed.map((s) => s.id));
  const result: ForgetResult = { dryRun: opts.dryRun, policyEmpty, groups, removed };
  if (opts.prune === undefined || removed.length === 0) return result;
  const ignoreSnapshots = new Set(removed.map((s) => s.id));
  return { ...result, prune: await pruneLocked(repo, { ...opts.prune, dryRun: opts.dryRun, ignoreSnapshots }) };
}

/** restic's filters: any of the hosts, any of the tag lists (all its tags), all of the paths. */
export function matchesForgetFilter(s: Snapshot, f: Pick<ForgetOptions, 'hostname' | 'tags' | 'paths'>): boolean {
  const hosts = typeof f.hostname === 'string' ? [f.hostname] : f.hostname ?? [];
  if (hosts.length > 0 && !hosts.includes(s.hostname ?? '')) return false;
  const lists = (f.tags ?? []).filter((l) => l.length > 0);
  if (lists.length > 0 && !lists.some((l) => l.every((t) => (s.tags ?? []).includes(t)))) return false;
  return (f.paths ?? []).every((p) => s.paths.includes(p));
}

/** Every id must name exactly one snapshot; "latest" is the newest snapshot passing the filters. */
function resolveIds(all: readonly IdentifiedSnapshot[], filtered: readonly IdentifiedSnapshot[], refs: readonly string[]): IdentifiedSnapshot[] {
  const found = new Map<Id, IdentifiedSnapshot>();
  for (const ref of refs) {
    const s = ref === 'latest' ? latestOf(filtered) : byPrefix(all, ref);
    found.set(s.id, s);
  }
  return [...found.values()];
}

function latestOf(list: readonly IdentifiedSnapshot[]): IdentifiedSnapshot {
  const s = list.at(-1);
  if (s === undefined) throw fail('NOT_FOUND', 'no snapshot matched the given filter for "latest"');
  return s;
}

function byPrefix(all: readonly IdentifiedSnapshot[], ref: string): IdentifiedSnapshot {
  if (!/^[0-9a-f]{1,64}$/.test(ref)) throw fail('INVALID_ARGUMENT', `not a snapshot id: ${JSON.stringify(ref.slice(0, 80))}`);
  const matches = all.filter((s) => s.id.startsWith(ref));
  if (matches.length === 0) throw fail('NOT_FOUND', `no snapshot with id ${ref}`);
  if (matches.length > 1) throw fail('AMBIGUOUS_ID', `snapshot id prefix ${ref} matches ${matches.length} snapshots`);
  return matches[0]!;
}

async function removeSnapshots(repo: Repository, ids: readonly Id[]): Promise<void> {
  await mapLimit(ids, REMOVALS, (id) => repo.backend.remove({ type: 'snapshot', name: id }));
}
