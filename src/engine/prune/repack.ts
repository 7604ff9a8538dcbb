/**
 * Repacking: copies the still-needed blobs of partly used packs into new
 * packs. Blob seals are independent of the pack around them, so the sealed
 * bytes move as they are (compressed or not) once a worker has checked that
 * each one decrypts and hashes to its id; nothing damaged is ever copied.
 * The new packs (and the index file the blob writer adds for them) only add
 * duplicates, so a crash here leaves a valid repository.
 */
import { fail } from '../../common/errors.js';
import { mapLimit } from '../../common/concurrency.js';
import type { Id } from '../../common/ids.js';
import type { PackedBlob } from '../../format/pack.js';
import { SEAL_OVERHEAD } from '../../format/crypto.js';
import { createBlobWriter } from '../../repository/blob-writer.js';
import type { MasterIndex } from '../../repository/master-index.js';
import type { Repository } from '../../repository/repository.js';
import { createPackPool, type PackPool } from '../workers/pack-pool.js';
import type { BlobInRange } from '../workers/pack-protocol.js';
import { blobKey, type BlobKey } from './used-blobs.js';

const PACK_LOADS = 2;

export interface RepackInput {
  readonly repo: Repository;
  /** The packs to repack, with their blobs as the index lists them. */
  readonly packs: ReadonlyMap<Id, readonly PackedBlob[]>;
  /** Blobs to copy; each is removed once copied, so a blob stored twice is copied once. */
  readonly keep: Set<BlobKey>;
  /** The packs that stay; the new packs are added to it. Blobs already in it are not copied. */
  readonly target: MasterIndex;
  readonly packSize?: number;
  readonly signal?: AbortSignal;
  readonly onPack?: (done: number, total: number) => void;
}

export interface RepackResult {
  readonly packsWritten: number;
  readonly bytesWritten: number;
}

export async function repack(input: RepackInput): Promise<RepackResult> {
  const { repo } = input;
  // The writer dedups against `target` (the staying packs), not against the old index that still lists every blob.
  const writer = createBlobWriter({ ...repo, index: input.target }, { key: repo.key, random: repo.env.random, version: repo.config.version, compression: 'auto' }, {
    ...(input.packSize === undefined ? {} : { packSize: input.packSize }),
    ...(input.signal === undefined ? {} : { signal: input.signal }),
  });
  const pool = createPackPool(repo.key, PACK_LOADS);
  let done = 0;
  let failed = false;
  try {
    await mapLimit([...input.packs], PACK_LOADS, async ([packId, blobs]) => {
      // Once one pack fails the other task stops at its next step, before the pool closes under it.
      if (failed) return;
      await copyPack(input, pool, packId, blobs, async (blob, sealed) => { if (!failed) await writer.addSealed(sealedOf(blob, sealed), plainLength(blob)); })
        .catch((err: unknown) => { failed = true; throw err; });
      input.onPack?.(++done, input.packs.size);
    });
    await writer.flush();
  } finally {
    await pool.close();
  }
  if (input.keep.size > 0) throw fail('INTERNAL', `${input.keep.size} needed blobs were not found in the packs being repacked; nothing was deleted`);
  const stats = writer.stats();
  return { packsWritten: stats.packs, bytesWritten: stats.storedBytes };
}

type AddBlob = (blob: PackedBlob, sealed: Uint8Array) => Promise<void>;

/** Loads the stretch of the pack that holds needed blobs, verifies them, and hands them on. */
async function copyPack(input: RepackInput, pool: PackPool, packId: Id, blobs: readonly PackedBlob[], add: AddBlob): Promise<void> {
  const wanted = blobs.filter((b) => input.keep.has(blobKey(b.type, b.id))).sort((a, b) => a.offset - b.offset);
  if (wanted.length === 0) return;
  const start = wanted[0]!.offset;
  const end = Math.max(...wanted.map((b) => b.offset + b.length));
  const call = input.signal === undefined ? {} : { signal: input.signal };
  const data = await input.repo.backend.load({ type: 'data', name: packId }, { offset: start, length: end - start }, call);
  // The pool takes ownership of what it is given, so it gets a copy and `data` stays readable here.
  const checked = await pool.openBlobs(new Uint8Array(data), wanted.map((b) => inRange(b, start)), false);
  const bad = checked.find((c) => c.error !== undefined);
  if (bad !== undefined) throw fail('INVALID_DATA', `pack ${packId.slice(0, 8)}: ${bad.error}; prune stopped before deleting anything`, { data: { pack: packId, blob: bad.id } });
  for (const b of wanted) {
    if (!input.keep.delete(blobKey(b.type, b.id))) continue;
    await add(b, data.subarray(b.offset - start, b.offset - start + b.length));
  }
}

function inRange(b: PackedBlob, start: number): BlobInRange {
  const base = { type: b.type, id: b.id, offset: b.offset - start, length: b.length };
  return b.uncompressedLength === undefined ? base : { ...base, uncompressedLength: b.uncompressedLength };
}

function sealedOf(b: PackedBlob, sealed: Uint8Array): { type: PackedBlob['type']; id: Id; sealed: Uint8Array; uncompressedLength?: number } {
  const base = { type: b.type, id: b.id, sealed };
  return b.uncompressedLength === undefined ? base : { ...base, uncompressedLength: b.uncompressedLength };
}

function plainLength(b: PackedBlob): number {
  return b.uncompressedLength ?? b.length - SEAL_OVERHEAD;
}
