/**
 * Replacing the index after a prune: new index files list every pack that
 * stays (each file names all the old files in `supersedes`), and only once
 * they are all stored are the old files deleted. At every moment the union of
 * the index files present covers every pack still needed.
 */
import { mapLimit } from '../../common/concurrency.js';
import type { Id } from '../../common/ids.js';
import type { CallOptions, FileType } from '../../backend/backend.js';
import { encodeIndex, type IndexPack } from '../../format/index-file.js';
import type { PackedBlob } from '../../format/pack.js';
import type { MasterIndex } from '../../repository/master-index.js';
import type { Repository } from '../../repository/repository.js';

/** restic 0.14 starts a new index file after this many blobs (three times as many when compressed). */
const BLOBS_PER_INDEX_V1 = 50_000;
const BLOBS_PER_INDEX_V2 = 150_000;
const DELETES = 8;

/** The packs of an in-memory index with their blobs in pack order. */
export function packsOf(index: MasterIndex): Map<Id, PackedBlob[]> {
  const packs = new Map<Id, PackedBlob[]>();
  for (const e of index.entries()) {
    let blobs = packs.get(e.packId);
    if (blobs === undefined) packs.set(e.packId, (blobs = []));
    const blob: PackedBlob = { type: e.type, id: e.id, offset: e.offset, length: e.length };
    blobs.push(e.uncompressedLength === undefined ? blob : { ...blob, uncompressedLength: e.uncompressedLength });
  }
  for (const blobs of packs.values()) blobs.sort((a, b) => a.offset - b.offset);
  return packs;
}

/**
 * Writes index files covering `packs`, each superseding `old`; returns their ids.
 * Always writes at least one file, so the supersedes list is recorded even when no pack stays.
 */
export async function writeIndexFiles(repo: Repository, packs: ReadonlyMap<Id, readonly PackedBlob[]>, old: readonly Id[], opts: CallOptions = {}): Promise<Id[]> {
  const limit = repo.config.version >= 2 ? BLOBS_PER_INDEX_V2 : BLOBS_PER_INDEX_V1;
  const written: Id[] = [];
  for (const chunk of chunkPacks(packs, limit)) {
    written.push(await repo.unpacked.save('index', encodeIndex({ supersedes: old, packs: chunk }), opts));
  }
  return written;
}

/** Splits packs into groups of at most `limit` blobs (a pack is never split); at least one group. */
function chunkPacks(packs: ReadonlyMap<Id, readonly PackedBlob[]>, limit: number): IndexPack[][] {
  const chunks: IndexPack[][] = [[]];
  let count = 0;
  for (const [id, blobs] of packs) {
    if (count > 0 && count + blobs.length > limit) {
      chunks.push([]);
      count = 0;
    }
    chunks.at(-1)!.push({ id, blobs });
    count += blobs.length;
  }
  return chunks;
}

/** Deletes files with a few removals in flight; fails on the first error (removing a missing file succeeds). */
export async function deleteFiles(repo: Repository, type: FileType, ids: readonly Id[], opts: CallOptions & { onDeleted?: (done: number) => void } = {}): Promise<void> {
  let done = 0;
  const call = opts.signal === undefined ? {} : { signal: opts.signal };
  await mapLimit(ids, DELETES, async (id) => {
    await repo.backend.remove({ type, name: id }, call);
    opts.onDeleted?.(++done);
  });
}
