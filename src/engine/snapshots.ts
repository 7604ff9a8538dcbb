/**
 * Finding snapshots: list and load them, resolve "latest" or an id prefix,
 * and pick the parent of a new backup (newest with the same host and paths).
 */
import { fail } from '../common/errors.js';
import { mapLimit } from '../common/concurrency.js';
import type { Id } from '../common/ids.js';
import { parseSnapshot, type Snapshot } from '../format/snapshot.js';
import { decodeTree, type TreeNode } from '../format/tree.js';
import type { Repository } from '../repository/repository.js';

export interface IdentifiedSnapshot {
  readonly id: Id;
  readonly snapshot: Snapshot;
}

export interface SnapshotFilter {
  readonly hostname?: string;
  readonly paths?: readonly string[];
  readonly tags?: readonly string[];
}

/** All snapshots, oldest first. Snapshot files are listed before the index is read (design.rst ordering). */
export async function loadSnapshots(repo: Repository, signal?: AbortSignal): Promise<IdentifiedSnapshot[]> {
  const ids = await repo.listIds('snapshot', signal === undefined ? {} : { signal });
  const loaded = await mapLimit(ids, 8, async (id) => ({ id, snapshot: parseSnapshot(await repo.unpacked.load('snapshot', id)) }));
  return loaded.sort((a, b) => compareBigint(a.snapshot.time, b.snapshot.time) || a.id.localeCompare(b.id));
}

export function matchesFilter(s: Snapshot, f: SnapshotFilter): boolean {
  if (f.hostname !== undefined && s.hostname !== f.hostname) return false;
  if (f.paths !== undefined && !samePaths(s.paths, f.paths)) return false;
  if (f.tags !== undefined && !f.tags.every((t) => s.tags?.includes(t))) return false;
  return true;
}

export function samePaths(a: readonly string[], b: readonly string[]): boolean {
  const x = [...a].sort();
  const y = [...b].sort();
  return x.length === y.length && x.every((p, i) => p === y[i]);
}

/** Resolves "latest" (optionally filtered) or a full or shortened id. */
export async function findSnapshot(repo: Repository, ref: string, filter: SnapshotFilter = {}): Promise<IdentifiedSnapshot> {
  const all = await loadSnapshots(repo);
  if (ref === 'latest') {
    const found = all.filter((s) => matchesFilter(s.snapshot, filter)).at(-1);
    if (found === undefined) throw fail('NOT_FOUND', 'no snapshot found');
    return found;
  }
  if (!/^[0-9a-f]{1,64}$/.test(ref)) throw fail('INVALID_ARGUMENT', `not a snapshot id: ${JSON.stringify(ref)}`);
  const matches = all.filter((s) => s.id.startsWith(ref));
  if (matches.length === 0) throw fail('NOT_FOUND', `no snapshot with id ${ref}`);
  if (matches.length > 1) throw fail('AMBIGUOUS_ID', `snapshot id prefix ${ref} matches ${matches.length} snapshots`);
  return matches[0]!;
}

export async function loadTree(repo: Repository, id: Id, signal?: AbortSignal): Promise<TreeNode[]> {
  return decodeTree(await repo.loadBlob('tree', id, signal === undefined ? {} : { signal }));
}

export function compareBigint(a: bigint, b: bigint): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
