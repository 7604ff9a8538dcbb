/**
 * The repository checker (restic internal/checker): finds what is missing or
 * damaged and names the snapshots it costs. Steps, in restic's order:
 *   1. load every index file (a damaged one is reported, the rest still count);
 *   2. hold the indexed packs against storage: missing, unreferenced (a hint),
 *      wrong size (Σ blob lengths + header entries + 32 + 4);
 *   3. load the snapshots and walk every tree once: each tree must be indexed,
 *      load, decode and be well formed; each file's data blobs must be indexed;
 *   4. with readData, read every indexed pack whole and verify it in the pack
 *      workers against its name, its header and the index.
 * The check only reads; the one file it writes is its lock.
 */
import { errorMessage, isHoldfastError } from '../../common/errors.js';
import { mapLimit } from '../../common/concurrency.js';
import type { Id } from '../../common/ids.js';
import type { CallOptions } from '../../backend/backend.js';
import type { PackedBlob } from '../../format/pack.js';
import { parseSnapshot, type Snapshot } from '../../format/snapshot.js';
import { withLock } from '../../repository/lock.js';
import type { Repository } from '../../repository/repository.js';
import { compareBigint } from '../snapshots.js';
import { comparePacks, isBadPack, listPacks, loadIndexFiles } from './index-check.js';
import { compareProblems, snapshotsOf, type CheckProblem } from './problems.js';
import { readPacks, type PackToRead, type ReadDataProgress } from './read-data.js';
import { walkTrees, type SnapshotRoot } from './tree-walk.js';
import { createUsageGraph, type UsageGraph } from './usage.js';

export type { CheckProblem, CheckProblemKind } from './problems.js';
export type { ReadDataProgress as CheckProgress } from './read-data.js';

/** The step a check is in, for callers that show it (restic prints one line per step). */
export type CheckPhase = 'load-indexes' | 'check-packs' | 'check-structure' | 'read-data';

export interface CheckOptions {
  readonly readData: boolean;
  /** Pack worker threads for readData (default 2). */
  readonly workers?: number;
  readonly signal?: AbortSignal;
  /** readData progress: packs and their bytes. */
  readonly onProgress?: (p: ReadDataProgress) => void;
  readonly onPhase?: (phase: CheckPhase) => void;
}

export interface CheckReport {
  readonly errors: CheckProblem[];
  /** Things worth knowing that lose no data: packs no index lists. */
  readonly hints: CheckProblem[];
  /** Packs the index lists, each checked against storage (and read in full with readData). */
  readonly packsChecked: number;
  /** Snapshot files found, damaged ones included. */
  readonly snapshots: number;
  /** Snapshots that cannot be restored in full: damaged themselves, or using a missing or damaged pack, tree or blob. Oldest first. */
  readonly damagedSnapshots: string[];
}

/**
 * Checks `repo`, which must be freshly opened: the check loads the index itself.
 *
 * restic 0.14 takes an exclusive lock for check, which stops every backup for
 * as long as the check runs (hours with readData). A shared lock is enough:
 * the check only reads, and it still keeps out prune and forget, the only
 * operations that delete, so nothing the check has seen can vanish under it.
 * Backups may run alongside because they only add files, packs before the
 * index that lists them: their new packs may show up as unreferenced (a hint,
 * never an error), and since snapshots are listed before the index is loaded
 * (design.rst, "Read and Write Ordering"), every snapshot checked has its
 * index entries already in place.
 */
export async function checkRepository(repo: Repository, opts: CheckOptions): Promise<CheckReport> {
  return withLock(repo, { exclusive: false }, () => runCheck(repo, opts));
}

async function runCheck(repo: Repository, opts: CheckOptions): Promise<CheckReport> {
  const call: CallOptions = opts.signal === undefined ? {} : { signal: opts.signal };
  const snaps = await loadSnapshotRoots(repo, call);
  opts.onPhase?.('load-indexes');
  const index = await loadIndexFiles(repo, call);
  opts.onPhase?.('check-packs');
  const stored = await listPacks(repo, call);
  const packProblems = comparePacks(index.packs, stored);
  opts.onPhase?.('check-structure');
  const graph = createUsageGraph();
  const treeProblems = await walkTrees(repo, snaps.roots, graph, call);
  const problems = [...index.problems, ...packProblems, ...snaps.problems, ...treeProblems];
  if (opts.readData) {
    opts.onPhase?.('read-data');
    const toRead = packsToRead(index.packs, stored, packProblems);
    problems.push(...await readPacks(repo, toRead, { workers: opts.workers ?? 2, ...optional(opts) }));
  }
  return buildReport(problems, graph, snaps, index.packs.size);
}

function optional(opts: CheckOptions): { signal?: AbortSignal; onProgress?: (p: ReadDataProgress) => void } {
  return { ...(opts.signal === undefined ? {} : { signal: opts.signal }), ...(opts.onProgress === undefined ? {} : { onProgress: opts.onProgress }) };
}

/** Indexed packs that storage holds at the right size; the others are reported already and not worth reading. */
function packsToRead(indexed: ReadonlyMap<Id, readonly PackedBlob[]>, stored: ReadonlyMap<Id, number>, known: readonly CheckProblem[]): PackToRead[] {
  const flagged = new Set(known.filter(isBadPack).map((p) => p.pack));
  return [...indexed.keys()].sort()
    .filter((id) => !flagged.has(id) && stored.has(id))
    .map((id) => ({ id, size: stored.get(id)!, blobs: indexed.get(id)! }));
}

interface SnapshotRoots {
  readonly total: number;
  /** Loadable snapshots, oldest first. */
  readonly roots: SnapshotRoot[];
  readonly problems: CheckProblem[];
}

async function loadSnapshotRoots(repo: Repository, call: CallOptions): Promise<SnapshotRoots> {
  const ids = (await repo.listIds('snapshot', call)).sort();
  type Loaded = { id: Id; snapshot: Snapshot } | { id: Id; message: string };
  const loaded = await mapLimit(ids, 8, async (id): Promise<Loaded> => {
    try {
      return { id, snapshot: parseSnapshot(await repo.unpacked.load('snapshot', id, call)) };
    } catch (err) {
      if (isHoldfastError(err, 'CANCELED')) throw err;
      return { id, message: errorMessage(err) };
    }
  });
  const good = loaded.flatMap((l) => ('snapshot' in l ? [l] : []));
  good.sort((a, b) => compareBigint(a.snapshot.time, b.snapshot.time) || a.id.localeCompare(b.id));
  const problems = loaded.flatMap((l): CheckProblem[] => ('message' in l ? [{ kind: 'snapshot-damaged', snapshot: l.id, message: l.message }] : []));
  return { total: ids.length, roots: good.map((g) => ({ id: g.id, tree: g.snapshot.tree })), problems };
}

/** Names the snapshots behind each pack problem, orders everything and splits errors from hints. */
function buildReport(problems: CheckProblem[], graph: UsageGraph, snaps: SnapshotRoots, packsChecked: number): CheckReport {
  const rank = new Map(snaps.roots.map((r, i) => [r.id, i]));
  const ordered = (ids: Iterable<Id>): Id[] => [...ids].sort((a, b) => (rank.get(a) ?? rank.size) - (rank.get(b) ?? rank.size) || a.localeCompare(b));
  const named = problems.map((p): CheckProblem => {
    if (isBadPack(p)) return { ...p, snapshots: ordered(graph.snapshotsOfPack(p.pack)) };
    return 'snapshots' in p ? { ...p, snapshots: ordered(p.snapshots) } : p;
  }).sort(compareProblems);
  const errors = named.filter((p) => p.kind !== 'pack-unreferenced');
  return {
    errors,
    hints: named.filter((p) => p.kind === 'pack-unreferenced'),
    packsChecked,
    snapshots: snaps.total,
    damagedSnapshots: ordered(new Set(errors.flatMap(snapshotsOf))),
  };
}
