/**
 * Copy (restic's `copy`): one snapshot from a source repository into a
 * destination with other keys and, usually, another chunker polynomial.
 * Blobs are copied by id, never re-chunked: every tree the snapshot reaches
 * and every data blob its files list is loaded from the source (hash-checked)
 * and sealed again with the destination's key, unless the destination already
 * holds it. Storage order is the backup's: packs, then index, then the new
 * snapshot, so a copy stopped anywhere leaves only unreferenced packs, which
 * a retry reuses and a prune removes. Both repositories carry a shared lock.
 */
import type { Id } from '../common/ids.js';
import { mapLimit } from '../common/concurrency.js';
import type { CallOptions } from '../backend/backend.js';
import { encodeSnapshot, type Snapshot } from '../format/snapshot.js';
import { decodeTree, type TreeNode } from '../format/tree.js';
import type { BlobType } from '../format/pack.js';
import { createBlobWriter, type BlobWriter } from '../repository/blob-writer.js';
import { sealBlob, type SealOptions } from '../repository/blob-codec.js';
import { withLock } from '../repository/lock.js';
import type { Repository } from '../repository/repository.js';
import { findSnapshot, type IdentifiedSnapshot } from './snapshots.js';

/** Blobs loaded and sealed at once: at most this many chunks (8 MiB each at worst) are held. */
const BLOB_COPIES = 4;

export interface CopyProgress {
  treesDone: number;
  /** Plaintext bytes of the file contents walked so far, copied or already present. */
  bytesDone: number;
  blobsCopied: number;
  /** Sealed bytes newly written to the destination. */
  bytesStored: number;
}

export interface CopyOptions {
  readonly signal?: AbortSignal;
  readonly onProgress?: (p: Readonly<CopyProgress>) => void;
  /** Tags of the new snapshot; the source snapshot's tags when absent. */
  readonly tags?: readonly string[];
}

export interface CopySummary {
  /** The new snapshot in the destination. */
  readonly snapshotId: Id;
  readonly snapshot: Snapshot;
  /** The full id of the source snapshot (the argument may be a prefix or "latest"). */
  readonly sourceId: Id;
  /** Tree and data blobs newly stored in the destination. */
  readonly blobsCopied: number;
  /** Sealed bytes the destination grew by (pack headers aside). */
  readonly bytesStored: number;
  /** Plaintext bytes of the file contents the snapshot holds (duplicates counted, repeated subtrees once). */
  readonly bytesProcessed: number;
}

/** What one copy run shares between its steps. */
interface CopyRun {
  readonly src: Repository;
  readonly writer: BlobWriter;
  readonly seal: SealOptions;
  readonly call: CallOptions;
  readonly progress: CopyProgress;
  readonly report: () => void;
}

export async function copySnapshot(src: Repository, dst: Repository, snapshotId: string, opts: CopyOptions = {}): Promise<CopySummary> {
  return withLock(src, { exclusive: false }, () => withLock(dst, { exclusive: false }, () => copyLocked(src, dst, snapshotId, opts)));
}

async function copyLocked(src: Repository, dst: Repository, snapshotId: string, opts: CopyOptions): Promise<CopySummary> {
  const call: CallOptions = opts.signal === undefined ? {} : { signal: opts.signal };
  // Snapshots before index (design.rst): a snapshot found is covered by the index read after it.
  const source = await findSnapshot(src, snapshotId);
  await Promise.all([src.loadIndex(call), dst.loadIndex(call)]);
  const writer = createBlobWriter(dst, { key: dst.key, random: dst.env.random, version: dst.config.version, compression: 'auto' }, call);
  const progress: CopyProgress = { treesDone: 0, bytesDone: 0, blobsCopied: 0, bytesStored: 0 };
  const run: CopyRun = {
    src, writer, call, progress,
    seal: { key: dst.key, random: dst.env.random, version: dst.config.version, compression: 'auto' },
    report: () => {
      const s = writer.stats();
      progress.blobsCopied = s.dataBlobs + s.treeBlobs;
      progress.bytesStored = s.storedBytes;
      opts.onProgress?.(progress);
    },
  };
  await copyTrees(run, source.snapshot.tree, opts.signal);
  await writer.flush();
  run.report();
  const snapshot = copiedRecord(source, opts.tags);
  const newId = await dst.unpacked.save('snapshot', encodeSnapshot(snapshot), call);
  return { snapshotId: newId, snapshot, sourceId: source.id, blobsCopied: progress.blobsCopied, bytesStored: progress.bytesStored, bytesProcessed: progress.bytesDone };
}

/**
 * Walks the trees depth first, each once. Every tree is descended even when
 * the destination already holds it: an interrupted earlier copy may have
 * stored a tree without all the data below it.
 */
async function copyTrees(run: CopyRun, root: Id, signal: AbortSignal | undefined): Promise<void> {
  const seen = new Set<Id>([root]);
  const stack: Id[] = [root];
  while (stack.length > 0) {
    signal?.throwIfAborted();
    const treeId = stack.pop()!;
    const bytes = await run.src.loadBlob('tree', treeId, run.call);
    const nodes = decodeTree(bytes);
    await copyContents(run, nodes);
    await addBlob(run, 'tree', treeId, bytes);
    for (const n of nodes) {
      if (n.subtree === undefined || seen.has(n.subtree)) continue;
      seen.add(n.subtree);
      stack.push(n.subtree);
    }
    run.progress.treesDone++;
    run.report();
  }
}

/** Copies the data blobs the tree's files list and the destination lacks, a few at a time. */
async function copyContents(run: CopyRun, nodes: readonly TreeNode[]): Promise<void> {
  const size = (id: Id): number => run.src.index.plaintextSize('data', id) ?? 0;
  /** Blob → how often the tree's files use it: progress counts file bytes, as a backup's does. */
  const wanted = new Map<Id, number>();
  for (const n of nodes) {
    for (const id of n.content ?? []) {
      if (run.writer.has('data', id)) run.progress.bytesDone += size(id);
      else wanted.set(id, (wanted.get(id) ?? 0) + 1);
    }
  }
  // Progress after each blob: one large file is one tree, and its copy should not look stuck.
  await mapLimit([...wanted], BLOB_COPIES, async ([id, uses]) => {
    // Another copy in this run may have queued it meanwhile; the writer drops duplicates, this skips the load.
    if (!run.writer.has('data', id)) await addBlob(run, 'data', id, await run.src.loadBlob('data', id, run.call));
    run.progress.bytesDone += uses * size(id);
    run.report();
  });
}

/** Seals a verified plaintext under the destination's key; its id is already known, so it is not hashed again. */
async function addBlob(run: CopyRun, type: BlobType, id: Id, plaintext: Buffer): Promise<void> {
  if (run.writer.has(type, id)) return;
  await run.writer.addSealed({ ...sealBlob(run.seal, type, plaintext, id), release: true }, plaintext.length);
}

/**
 * The destination's snapshot, as restic's copy writes it: the same time,
 * tree, paths, host, user and tags; no parent (it means nothing in the other
 * repository); `original` names the first snapshot of the chain.
 */
function copiedRecord(source: IdentifiedSnapshot, tags: readonly string[] | undefined): Snapshot {
  const { parent: _parent, ...rest } = source.snapshot;
  const s: Snapshot = { ...rest, original: source.snapshot.original ?? source.id };
  if (tags !== undefined) {
    if (tags.length > 0) s.tags = [...tags];
    else delete s.tags;
  }
  return s;
}
