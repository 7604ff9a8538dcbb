/**
 * The first two steps of a check: load every index file on its own (one that
 * fails is reported and the rest still load), then hold the packs the index
 * lists against the packs storage has: missing, unreferenced, wrong size, and
 * index entries that cannot describe a real pack (gaps or overlaps).
 */
import { isHoldfastError, errorMessage } from '../../common/errors.js';
import { mapLimit } from '../../common/concurrency.js';
import type { Id } from '../../common/ids.js';
import type { CallOptions } from '../../backend/backend.js';
import { parseIndex, type IndexFile } from '../../format/index-file.js';
import { packHeaderEntrySize, type PackedBlob } from '../../format/pack.js';
import type { Repository } from '../../repository/repository.js';
import type { CheckProblem } from './problems.js';

/** IV and MAC around the sealed header, and the uint32 header length after it. */
const HEADER_OVERHEAD = 32 + 4;

export interface LoadedIndex {
  /** Each pack's entries, from the first index file (in id order) that lists it. */
  readonly packs: ReadonlyMap<Id, readonly PackedBlob[]>;
  readonly problems: CheckProblem[];
}

/** Loads every index file into `repo.index` and returns what they say per pack. */
export async function loadIndexFiles(repo: Repository, call: CallOptions): Promise<LoadedIndex> {
  const ids = (await repo.listIds('index', call)).sort();
  const loaded = await mapLimit(ids, 8, (id) => loadOne(repo, id, call));
  const packs = new Map<Id, readonly PackedBlob[]>();
  const problems: CheckProblem[] = [];
  loaded.forEach((result, i) => {
    if ('message' in result) {
      problems.push({ kind: 'index-damaged', index: ids[i]!, message: result.message });
      return;
    }
    repo.index.addIndexFile(result.file);
    for (const p of result.file.packs) if (!packs.has(p.id)) packs.set(p.id, p.blobs);
  });
  return { packs, problems };
}

async function loadOne(repo: Repository, id: Id, call: CallOptions): Promise<{ file: IndexFile } | { message: string }> {
  try {
    return { file: parseIndex(await repo.unpacked.load('index', id, call)) };
  } catch (err) {
    if (isHoldfastError(err, 'CANCELED')) throw err;
    return { message: errorMessage(err) };
  }
}

/** Every pack in storage with its size. */
export async function listPacks(repo: Repository, call: CallOptions): Promise<Map<Id, number>> {
  const sizes = new Map<Id, number>();
  for await (const f of repo.backend.list('data', call)) sizes.set(f.name, f.size);
  return sizes;
}

/** The size a pack must have to hold exactly these blobs (restic pack.Size). */
export function expectedPackSize(blobs: readonly PackedBlob[]): number {
  return blobs.reduce((sum, b) => sum + b.length + packHeaderEntrySize(b), HEADER_OVERHEAD);
}

/** Missing, wrong-size and inconsistently indexed packs are errors; unreferenced packs are hints. */
export function comparePacks(indexed: ReadonlyMap<Id, readonly PackedBlob[]>, stored: ReadonlyMap<Id, number>): CheckProblem[] {
  const problems: CheckProblem[] = [];
  for (const [pack, blobs] of indexed) {
    const actual = stored.get(pack);
    const expected = expectedPackSize(blobs);
    if (actual === undefined) problems.push({ kind: 'pack-missing', pack, snapshots: [] });
    else if (actual !== expected) problems.push({ kind: 'pack-size', pack, expected, actual, snapshots: [] });
    const gap = layoutError(blobs);
    if (gap !== undefined) problems.push({ kind: 'pack-damaged', pack, message: gap, snapshots: [] });
  }
  for (const pack of stored.keys()) {
    if (!indexed.has(pack)) problems.push({ kind: 'pack-unreferenced', pack });
  }
  return problems;
}

/** Blobs in a pack sit back to back from offset 0; an index saying otherwise cannot match any pack. */
function layoutError(blobs: readonly PackedBlob[]): string | undefined {
  let end = 0;
  for (const b of [...blobs].sort((x, y) => x.offset - y.offset)) {
    if (b.offset !== end) return `the index lists gaps or overlapping blobs (${b.type} blob ${b.id} at offset ${b.offset}, expected ${end})`;
    end = b.offset + b.length;
  }
  return undefined;
}

/** Whether a problem means the pack cannot be trusted to serve its blobs. */
export function isBadPack(p: CheckProblem): p is Extract<CheckProblem, { kind: 'pack-missing' | 'pack-size' | 'pack-damaged' }> {
  return p.kind === 'pack-missing' || p.kind === 'pack-size' || p.kind === 'pack-damaged';
}
