/**
 * The in-memory union of every index file: where each blob lives (pack,
 * offset, length). restic readers take the union of all index files; a blob
 * stored twice is looked up in the first pack that was indexed.
 */
import type { Id } from '../common/ids.js';
import type { BlobType, PackedBlob } from '../format/pack.js';
import type { IndexFile, IndexPack } from '../format/index-file.js';

export interface BlobLocation {
  readonly packId: Id;
  readonly type: BlobType;
  readonly offset: number;
  readonly length: number;
  readonly uncompressedLength?: number;
}

export interface MasterIndex {
  lookup(type: BlobType, id: Id): BlobLocation | undefined;
  has(type: BlobType, id: Id): boolean;
  addPack(pack: IndexPack): void;
  addIndexFile(file: IndexFile): void;
  /** Plaintext size of a blob: uncompressed length, or encrypted length minus the 32-byte seal overhead. */
  plaintextSize(type: BlobType, id: Id): number | undefined;
  blobCount(type: BlobType): number;
  packIds(): ReadonlySet<Id>;
  /** Every (blob, pack) pair in the index, duplicates included. */
  entries(): Iterable<BlobLocation & { readonly id: Id }>;
}

export function createMasterIndex(): MasterIndex {
  const byType: Record<BlobType, Map<Id, BlobLocation>> = { data: new Map(), tree: new Map() };
  const packs = new Map<Id, readonly PackedBlob[]>();

  const addPack = (pack: IndexPack): void => {
    if (packs.has(pack.id)) return;
    packs.set(pack.id, pack.blobs);
    for (const b of pack.blobs) {
      const map = byType[b.type];
      if (!map.has(b.id)) map.set(b.id, toLocation(pack.id, b));
    }
  };

  return {
    lookup: (type, id) => byType[type].get(id),
    has: (type, id) => byType[type].has(id),
    addPack,
    addIndexFile: (file) => file.packs.forEach(addPack),
    plaintextSize: (type, id) => {
      const loc = byType[type].get(id);
      if (loc === undefined) return undefined;
      return loc.uncompressedLength ?? loc.length - 32;
    },
    blobCount: (type) => byType[type].size,
    packIds: () => new Set(packs.keys()),
    *entries() {
      for (const [packId, blobs] of packs) {
        for (const b of blobs) yield { ...toLocation(packId, b), id: b.id };
      }
    },
  };
}

function toLocation(packId: Id, b: PackedBlob): BlobLocation {
  const loc: BlobLocation = { packId, type: b.type, offset: b.offset, length: b.length };
  return b.uncompressedLength === undefined ? loc : { ...loc, uncompressedLength: b.uncompressedLength };
}
