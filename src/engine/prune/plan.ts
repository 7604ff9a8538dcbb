/**
 * What prune will do, decided without touching storage: restic 0.14's
 * planPrune (cmd/restic/cmd_prune.go: packInfoFromIndex, decidePackAction).
 *
 * Every pack in the index is sized up as used bytes (its header plus the
 * blobs still needed) and unused bytes. Packs with nothing used are deleted,
 * packs found in storage but in no index are deleted, and partly used packs
 * (and tree packs, and at least 10 small packs) are repacked until the unused
 * bytes left are within the limit. A blob stored in several packs counts as
 * used in exactly one of them, preferably one holding other used blobs.
 *
 * Deliberate differences from restic 0.14:
 * - Uncompressed tree packs of a v2 repository are not forced into a repack:
 *   repacking copies sealed blobs as they are, so it could never compress them.
 * - The unused bytes left after pruning count duplicates too (restic's loop
 *   compares unsigned numbers that can wrap around when duplicates exist).
 * - Blobs in missing, unneeded packs never cancel a copy out of a repacked pack.
 */
import { fail } from '../../common/errors.js';
import type { Id } from '../../common/ids.js';
import { packHeaderEntrySize, type BlobType, type PackedBlob } from '../../format/pack.js';
import { blobKey, type BlobKey } from './used-blobs.js';

/** restic's pack header overhead: the seal (32) and the length field (4). */
const HEADER_OVERHEAD = 36;
/** Fewer small packs than this are not worth repacking (and would be repacked forever). */
const MIN_SMALL_PACKS = 10;

export interface PruneStats {
  readonly blobs: { used: number; duplicate: number; unused: number; remove: number; repack: number; repackrm: number };
  readonly size: { used: number; duplicate: number; unused: number; remove: number; repack: number; repackrm: number; unref: number };
  readonly packs: { used: number; unused: number; partlyUsed: number; unref: number; keep: number; repack: number; remove: number };
}

export interface PlanInput {
  /** Every pack the index lists, with its blobs. */
  readonly indexPacks: ReadonlyMap<Id, readonly PackedBlob[]>;
  /** Every pack file in storage, with its size. */
  readonly storedPacks: ReadonlyMap<Id, number>;
  /** Blobs the snapshots need. */
  readonly used: ReadonlySet<BlobKey>;
  /** How many unused bytes may stay, given the used bytes. */
  readonly maxUnusedBytes: (usedBytes: number) => number;
  /** Treat packs below 80% of the pack size as small (default: below 4%). */
  readonly repackSmall: boolean;
  readonly packSize: number;
}

export interface PrunePlan {
  /** Pack files no index lists. */
  readonly removeUnreferenced: ReadonlySet<Id>;
  /** Indexed packs holding nothing used. */
  readonly remove: ReadonlySet<Id>;
  /** Packs whose needed blobs move to new packs before they are deleted. */
  readonly repack: ReadonlySet<Id>;
  /** Packs the index lists but storage lacks, and nothing needs: dropped from the index. */
  readonly ignoreMissing: ReadonlySet<Id>;
  /** Blobs to copy out of the repacked packs: needed, and in no pack that stays. */
  readonly keepBlobs: ReadonlySet<BlobKey>;
  readonly stats: PruneStats;
}

interface PackInfo {
  usedBlobs: number;
  unusedBlobs: number;
  usedSize: number;
  unusedSize: number;
  type: BlobType | 'mixed' | 'none';
}

interface Candidate extends PackInfo {
  readonly id: Id;
}

export function planPrune(input: PlanInput): PrunePlan {
  const stats = emptyStats();
  const { found, duplicates } = countBlobs(input, stats);
  const infos = packInfos(input.indexPacks, found, duplicates);
  const decided = decidePacks(input, infos, stats);
  const keepBlobs = decided.repack.size === 0 ? new Set<BlobKey>() : blobsToCopy(input.indexPacks, found, decided);
  return { ...decided, keepBlobs, stats };
}

function emptyStats(): PruneStats {
  return {
    blobs: { used: 0, duplicate: 0, unused: 0, remove: 0, repack: 0, repackrm: 0 },
    size: { used: 0, duplicate: 0, unused: 0, remove: 0, repack: 0, repackrm: 0, unref: 0 },
    packs: { used: 0, unused: 0, partlyUsed: 0, unref: 0, keep: 0, repack: 0, remove: 0 },
  };
}

/** First pass: used, duplicate and unused blobs; refuses when a needed blob is in no index. */
function countBlobs(input: PlanInput, stats: PruneStats): { found: Set<BlobKey>; duplicates: Map<BlobKey, number> } {
  const found = new Set<BlobKey>();
  const duplicates = new Map<BlobKey, number>();
  for (const blobs of input.indexPacks.values()) {
    for (const b of blobs) {
      const key = blobKey(b.type, b.id);
      if (found.has(key)) {
        duplicates.set(key, (duplicates.get(key) ?? 1) + 1);
        stats.blobs.duplicate++;
        stats.size.duplicate += b.length;
      } else if (input.used.has(key)) {
        found.add(key);
        stats.blobs.used++;
        stats.size.used += b.length;
      } else {
        stats.blobs.unused++;
        stats.size.unused += b.length;
      }
    }
  }
  throwIfMissing(input.used, found);
  return { found, duplicates };
}

function throwIfMissing(used: ReadonlySet<BlobKey>, found: ReadonlySet<BlobKey>): void {
  const missing = [...used].filter((k) => !found.has(k));
  if (missing.length === 0) return;
  const [type, id] = missing[0]!.split(':') as [string, string];
  throw fail('INVALID_DATA', `the index is not complete: ${missing.length} blobs still in use are in no index (first: ${type} blob ${id.slice(0, 8)}); prune will not run, to prevent data loss`, { data: { missing: missing.length } });
}

/** Second pass: each pack's used and unused bytes, header counted as used (restic's pack.Size). */
function packInfos(indexPacks: PlanInput['indexPacks'], found: ReadonlySet<BlobKey>, duplicates: Map<BlobKey, number>): Map<Id, PackInfo> {
  const infos = new Map<Id, PackInfo>();
  for (const [packId, blobs] of indexPacks) {
    const info: PackInfo = { usedBlobs: 0, unusedBlobs: 0, usedSize: HEADER_OVERHEAD, unusedSize: 0, type: 'none' };
    for (const b of blobs) {
      info.usedSize += packHeaderEntrySize(b);
      info.type = info.type === 'none' || info.type === b.type ? b.type : 'mixed';
      const key = blobKey(b.type, b.id);
      if (duplicates.has(key)) continue;
      if (found.has(key)) addUsed(info, b.length);
      else addUnused(info, b.length);
    }
    infos.set(packId, info);
  }
  if (duplicates.size > 0) placeDuplicates(indexPacks, infos, duplicates);
  return infos;
}

/**
 * Marks one copy of each duplicate used: the first met in a pack that already
 * holds used blobs, else the last copy; every other copy is unused.
 */
function placeDuplicates(indexPacks: PlanInput['indexPacks'], infos: Map<Id, PackInfo>, duplicates: Map<BlobKey, number>): void {
  for (const [packId, blobs] of indexPacks) {
    const info = infos.get(packId)!;
    for (const b of blobs) {
      const key = blobKey(b.type, b.id);
      const count = duplicates.get(key);
      if (count === undefined) continue;
      if (count !== 0 && (info.usedBlobs > 0 || count === 1)) {
        addUsed(info, b.length);
        duplicates.set(key, 0);
      } else {
        addUnused(info, b.length);
        if (count !== 0) duplicates.set(key, count - 1);
      }
    }
  }
}

function addUsed(info: PackInfo, size: number): void {
  info.usedBlobs++;
  info.usedSize += size;
}

function addUnused(info: PackInfo, size: number): void {
  info.unusedBlobs++;
  info.unusedSize += size;
}

interface Decided {
  readonly removeUnreferenced: Set<Id>;
  readonly remove: Set<Id>;
  readonly repack: Set<Id>;
  readonly ignoreMissing: Set<Id>;
}

function decidePacks(input: PlanInput, infos: Map<Id, PackInfo>, stats: PruneStats): Decided {
  const out: Decided = { removeUnreferenced: new Set(), remove: new Set(), repack: new Set(), ignoreMissing: new Set() };
  const target = input.repackSmall ? Math.floor(input.packSize / 5) * 4 : Math.floor(input.packSize / 25);
  const candidates: Candidate[] = [];
  const small: Candidate[] = [];
  for (const [id, size] of input.storedPacks) {
    const info = infos.get(id);
    if (info === undefined) {
      out.removeUnreferenced.add(id);
      stats.size.unref += size;
      continue;
    }
    checkSize(id, info, size);
    countPack(stats, info);
    if (info.usedBlobs === 0) markRemoved(out.remove, id, info, stats);
    else if (info.unusedBlobs === 0 && info.type !== 'mixed') {
      if (size >= target) stats.packs.keep++;
      else small.push({ id, ...info });
    } else candidates.push({ id, ...info });
  }
  handleMissing(input, infos, out, stats);
  if (small.length < MIN_SMALL_PACKS) stats.packs.keep += small.length;
  else candidates.push(...small);
  chooseRepacks(candidates, target, input.maxUnusedBytes(stats.size.used), out.repack, stats);
  stats.packs.unref = out.removeUnreferenced.size;
  stats.packs.repack = out.repack.size;
  stats.packs.remove = out.remove.size;
  return out;
}

/** A needed pack whose size disagrees with the index cannot be repacked or kept safely. */
function checkSize(id: Id, info: PackInfo, size: number): void {
  const expected = info.usedSize + info.unusedSize;
  if (expected === size || info.usedBlobs === 0) return;
  throw fail('INVALID_DATA', `pack ${id.slice(0, 8)}: the index implies ${expected} bytes but the file has ${size}; rebuild the index first`, { data: { pack: id } });
}

function countPack(stats: PruneStats, info: PackInfo): void {
  if (info.usedBlobs === 0) stats.packs.unused++;
  else if (info.unusedBlobs === 0) stats.packs.used++;
  else stats.packs.partlyUsed++;
}

function markRemoved(set: Set<Id>, id: Id, info: PackInfo, stats: PruneStats): void {
  set.add(id);
  stats.blobs.remove += info.unusedBlobs;
  stats.size.remove += info.unusedSize;
}

/** Indexed packs absent from storage: fine when unneeded (dropped from the index), fatal otherwise. */
function handleMissing(input: PlanInput, infos: Map<Id, PackInfo>, out: Decided, stats: PruneStats): void {
  const needed: Id[] = [];
  for (const [id, info] of infos) {
    if (input.storedPacks.has(id)) continue;
    if (info.usedBlobs === 0) markRemoved(out.ignoreMissing, id, info, stats);
    else needed.push(id);
  }
  if (needed.length > 0) {
    throw fail('INVALID_DATA', `the index references ${needed.length} needed pack files which are missing from the repository (first: ${needed[0]!.slice(0, 8)})`, { data: { packs: needed } });
  }
}

/** Tree and mixed packs first, then small ones, then by falling share of unused bytes. */
function compareCandidates(target: number) {
  return (a: Candidate, b: Candidate): number => {
    const aData = a.type === 'data';
    const bData = b.type === 'data';
    if (aData !== bData) return aData ? 1 : -1;
    const aSmall = a.usedSize + a.unusedSize < target;
    const bSmall = b.usedSize + b.unusedSize < target;
    if (aSmall !== bSmall) return aSmall ? -1 : 1;
    return b.unusedSize * a.usedSize - a.unusedSize * b.usedSize;
  };
}

function chooseRepacks(candidates: Candidate[], target: number, maxUnusedAfter: number, repack: Set<Id>, stats: PruneStats): void {
  candidates.sort(compareCandidates(target));
  for (const p of candidates) {
    const unusedAfter = stats.size.unused + stats.size.duplicate - stats.size.remove - stats.size.repackrm;
    const largeEnough = p.usedSize + p.unusedSize >= target;
    if (p.type === 'data' && unusedAfter < maxUnusedAfter && largeEnough) {
      stats.packs.keep++;
      continue;
    }
    repack.add(p.id);
    stats.blobs.repack += p.unusedBlobs + p.usedBlobs;
    stats.size.repack += p.unusedSize + p.usedSize;
    stats.blobs.repackrm += p.unusedBlobs;
    stats.size.repackrm += p.unusedSize;
  }
}

/** Needed blobs that no staying pack holds: exactly what the repack must copy. */
function blobsToCopy(indexPacks: PlanInput['indexPacks'], found: ReadonlySet<BlobKey>, d: Decided): Set<BlobKey> {
  const keep = new Set(found);
  for (const [packId, blobs] of indexPacks) {
    if (d.remove.has(packId) || d.repack.has(packId) || d.ignoreMissing.has(packId)) continue;
    for (const b of blobs) keep.delete(blobKey(b.type, b.id));
  }
  return keep;
}
