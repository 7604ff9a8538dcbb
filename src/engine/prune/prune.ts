/**
 * Prune: removes data no snapshot needs any more (restic 0.14's prune), under
 * an exclusive lock so no backup can add blobs that this run would miss.
 *
 * Steps, in an order that keeps the repository valid if the process dies at
 * any moment (at worst it leaves unreferenced packs or packs listed twice,
 * which `restic check` reports only as hints and the next prune removes):
 *   1. find the blobs every snapshot needs and plan (see plan.ts);
 *   2. copy the needed blobs of partly used packs into new packs;
 *   3. write new index files covering every pack that stays, superseding all old ones;
 *   4. delete the old index files;
 *   5. delete the unused, repacked and unreferenced packs.
 * Like restic, packs that no index lists (a backup that died before writing
 * its index) are deleted too; the exclusive lock guarantees no backup is running.
 *
 * After a prune the repository's in-memory index is stale: open it again.
 */
import type { Id } from '../../common/ids.js';
import type { CallOptions } from '../../backend/backend.js';
import { canAppend } from '../../backend/backend.js';
import type { PackedBlob } from '../../format/pack.js';
import { DEFAULT_PACK_SIZE } from '../../repository/packer.js';
import { createMasterIndex, type MasterIndex } from '../../repository/master-index.js';
import { withLock } from '../../repository/lock.js';
import type { Repository } from '../../repository/repository.js';
import { loadSnapshots } from '../snapshots.js';
import { deleteFiles, packsOf, writeIndexFiles } from './index-rewrite.js';
import { unusedLimit } from './limits.js';
import { planPrune, type PrunePlan, type PruneStats } from './plan.js';
import { repack } from './repack.js';
import { findUsedBlobs } from './used-blobs.js';

export type { PruneStats } from './plan.js';

export type PrunePhase =
  | 'load-index' | 'load-snapshots' | 'find-used' | 'list-packs'
  | 'repack' | 'write-index' | 'delete-index' | 'delete-packs' | 'done';

export type PruneEvent =
  | { readonly kind: 'phase'; readonly phase: PrunePhase; readonly count?: number }
  /** The plan is made; nothing has been changed yet. */
  | { readonly kind: 'planned'; readonly stats: PruneStats }
  | { readonly kind: 'progress'; readonly phase: 'repack' | 'delete-packs'; readonly done: number; readonly total: number };

export interface PruneOptions {
  /** Plan and report only; change nothing. */
  readonly dryRun: boolean;
  /** Unused data allowed to stay, as a percentage of what remains (default 5, like restic's --max-unused 5%). */
  readonly maxUnusedPercent?: number;
  /** … or as a number of bytes (Infinity: never repack for space). */
  readonly maxUnusedBytes?: number;
  /** Also repack packs below 80% of the pack size (restic's --repack-small). */
  readonly repackSmall?: boolean;
  readonly packSize?: number;
  /** Snapshots to treat as gone already (forget --prune --dry-run). */
  readonly ignoreSnapshots?: ReadonlySet<Id>;
  readonly signal?: AbortSignal;
  readonly onProgress?: (e: PruneEvent) => void;
}

export interface PruneReport {
  readonly dryRun: boolean;
  readonly snapshots: number;
  /** Pack files in storage before the prune. */
  readonly packsTotal: number;
  /** Packs deleted outright: nothing in them is used, or no index lists them. */
  readonly packsDeleted: number;
  /** Partly used packs whose needed blobs moved to new packs before deletion. */
  readonly packsRepacked: number;
  /** New packs written by the repack (0 in a dry run). */
  readonly packsWritten: number;
  /** Blobs the index lists afterwards. */
  readonly blobsKept: number;
  readonly blobsRemoved: number;
  /** Bytes the repository shrinks by (restic's "total prune"): unused blobs and unreferenced packs. */
  readonly bytesFreed: number;
  /** Size of the packs repacked. */
  readonly bytesRepacked: number;
  /** Index files replaced by new ones (0 when the index needs no change). */
  readonly indexFilesReplaced: number;
  /** Unfinished pack files of killed backups, removed (0 in a dry run). */
  readonly abandonedFilesRemoved: number;
  readonly stats: PruneStats;
}

export async function prune(repo: Repository, opts: PruneOptions): Promise<PruneReport> {
  unusedLimit(opts);
  return withLock(repo, { exclusive: true }, () => pruneLocked(repo, opts));
}

/** Prune for callers already holding the exclusive lock (forget --prune). */
export async function pruneLocked(repo: Repository, opts: PruneOptions): Promise<PruneReport> {
  const limit = unusedLimit(opts);
  const call: CallOptions = opts.signal === undefined ? {} : { signal: opts.signal };
  const phase = (p: PrunePhase, count?: number): void => opts.onProgress?.({ kind: 'phase', phase: p, ...(count === undefined ? {} : { count }) });
  // Loading the index before the snapshots is fine here: the exclusive lock keeps both still.
  phase('load-index');
  const indexIds = await repo.loadIndex(call);
  phase('load-snapshots');
  const snapshots = (await loadSnapshots(repo, opts.signal)).filter((s) => opts.ignoreSnapshots?.has(s.id) !== true);
  phase('find-used', snapshots.length);
  const used = await findUsedBlobs(repo, snapshots.map((s) => s.snapshot.tree), opts.signal);
  phase('list-packs');
  const storedPacks = await listPacks(repo, call);
  const indexPacks = packsOf(repo.index);
  const plan = planPrune({ indexPacks, storedPacks, used, maxUnusedBytes: limit, repackSmall: opts.repackSmall ?? false, packSize: opts.packSize ?? DEFAULT_PACK_SIZE });
  opts.onProgress?.({ kind: 'planned', stats: plan.stats });
  const report = reportOf(plan, { snapshots: snapshots.length, packsTotal: storedPacks.size, indexFiles: indexIds.length, dryRun: opts.dryRun });
  if (opts.dryRun) return report;
  // Before this prune opens appenders of its own; the exclusive lock keeps backups out.
  const abandonedFilesRemoved = canAppend(repo.backend) ? await repo.backend.removeAbandoned('data', call) : 0;
  const done = await execute(repo, plan, indexPacks, opts);
  phase('done');
  return { ...report, ...done, abandonedFilesRemoved };
}

async function listPacks(repo: Repository, call: CallOptions): Promise<Map<Id, number>> {
  const packs = new Map<Id, number>();
  for await (const f of repo.backend.list('data', call)) packs.set(f.name, f.size);
  return packs;
}

const needsIndexRewrite = (plan: PrunePlan): boolean => plan.remove.size + plan.repack.size + plan.ignoreMissing.size > 0;

function reportOf(plan: PrunePlan, o: { snapshots: number; packsTotal: number; indexFiles: number; dryRun: boolean }): PruneReport {
  const { blobs, size } = plan.stats;
  const removed = blobs.remove + blobs.repackrm;
  return {
    dryRun: o.dryRun,
    snapshots: o.snapshots,
    packsTotal: o.packsTotal,
    packsDeleted: plan.remove.size + plan.removeUnreferenced.size,
    packsRepacked: plan.repack.size,
    packsWritten: 0,
    blobsKept: blobs.used + blobs.unused + blobs.duplicate - removed,
    blobsRemoved: removed,
    bytesFreed: size.remove + size.repackrm + size.unref,
    bytesRepacked: size.repack,
    indexFilesReplaced: needsIndexRewrite(plan) ? o.indexFiles : 0,
    abandonedFilesRemoved: 0,
    stats: plan.stats,
  };
}

async function execute(repo: Repository, plan: PrunePlan, indexPacks: Map<Id, PackedBlob[]>, opts: PruneOptions): Promise<Partial<PruneReport>> {
  const call: CallOptions = opts.signal === undefined ? {} : { signal: opts.signal };
  const emit = (phase: PrunePhase, count?: number): void => opts.onProgress?.({ kind: 'phase', phase, ...(count === undefined ? {} : { count }) });
  const staying = stayingIndex(plan, indexPacks);
  let packsWritten = 0;
  if (plan.repack.size > 0) {
    emit('repack', plan.repack.size);
    packsWritten = await repackPlanned(repo, plan, indexPacks, staying, opts);
  }
  let indexFilesReplaced = 0;
  if (needsIndexRewrite(plan)) {
    emit('write-index');
    // Listed now, so the index files the repack wrote for its new packs are replaced as well.
    const old = await repo.listIds('index', call);
    await writeIndexFiles(repo, packsOf(staying), old, call);
    emit('delete-index', old.length);
    await deleteFiles(repo, 'index', old, call);
    indexFilesReplaced = old.length;
  }
  const doomed = [...plan.removeUnreferenced, ...plan.remove, ...plan.repack];
  if (doomed.length > 0) emit('delete-packs', doomed.length);
  await deleteFiles(repo, 'data', doomed, { ...call, onDeleted: (done) => opts.onProgress?.({ kind: 'progress', phase: 'delete-packs', done, total: doomed.length }) });
  return { packsWritten, indexFilesReplaced };
}

/** The packs that stay, as an index the repack adds its new packs to. */
function stayingIndex(plan: PrunePlan, indexPacks: Map<Id, PackedBlob[]>): MasterIndex {
  const index = createMasterIndex();
  for (const [id, blobs] of indexPacks) {
    if (!plan.remove.has(id) && !plan.repack.has(id) && !plan.ignoreMissing.has(id)) index.addPack({ id, blobs });
  }
  return index;
}

async function repackPlanned(repo: Repository, plan: PrunePlan, indexPacks: Map<Id, PackedBlob[]>, staying: MasterIndex, opts: PruneOptions): Promise<number> {
  const packs = new Map([...plan.repack].map((id) => [id, indexPacks.get(id)!] as const));
  const result = await repack({
    repo, packs, keep: new Set(plan.keepBlobs), target: staying,
    ...(opts.packSize === undefined ? {} : { packSize: opts.packSize }),
    ...(opts.signal === undefined ? {} : { signal: opts.signal }),
    onPack: (done, total) => opts.onProgress?.({ kind: 'progress', phase: 'repack', done, total }),
  });
  return result.packsWritten;
}
