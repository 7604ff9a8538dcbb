/**
 * Groups the blobs a restore needs by pack and cuts each pack into ranges to
 * read: blobs closer than MAX_GAP are read together, so one read serves many
 * blobs without pulling in large unused stretches, and a range stops growing
 * at MAX_RANGE, which bounds the memory one job holds (its blobs decompressed).
 */
import type { Id } from '../../common/ids.js';
import type { MasterIndex } from '../../repository/master-index.js';
import type { BlobInRange } from '../workers/pack-protocol.js';
import type { PlannedFile } from './plan.js';

const MAX_GAP = 1024 * 1024;
const MAX_RANGE = 4 * 1024 * 1024;

export interface BlobUse {
  readonly file: PlannedFile;
  readonly offset: number;
}

export interface JobBlob {
  readonly inRange: BlobInRange;
  readonly length: number;
  readonly uses: BlobUse[];
}

export interface PackJob {
  readonly packId: Id;
  readonly start: number;
  end: number;
  readonly blobs: JobBlob[];
}

interface Needed {
  readonly id: Id;
  readonly offset: number;
  readonly length: number;
  readonly plainLength: number;
  readonly uncompressedLength?: number;
  readonly uses: BlobUse[];
}

export function packJobs(index: MasterIndex, files: readonly PlannedFile[]): PackJob[] {
  const byPack = new Map<Id, Map<Id, Needed>>();
  for (const file of files) {
    for (const b of file.blobs) {
      const loc = index.lookup('data', b.id)!;
      let blobs = byPack.get(loc.packId);
      if (blobs === undefined) byPack.set(loc.packId, (blobs = new Map()));
      let need = blobs.get(b.id);
      if (need === undefined) {
        need = { id: b.id, offset: loc.offset, length: loc.length, plainLength: b.length, uses: [], ...(loc.uncompressedLength === undefined ? {} : { uncompressedLength: loc.uncompressedLength }) };
        blobs.set(b.id, need);
      }
      need.uses.push({ file, offset: b.fileOffset });
    }
  }
  return [...byPack.entries()].flatMap(([packId, blobs]) => rangesOf(packId, [...blobs.values()]));
}

function rangesOf(packId: Id, blobs: Needed[]): PackJob[] {
  blobs.sort((a, b) => a.offset - b.offset);
  const jobs: PackJob[] = [];
  let current: PackJob | undefined;
  for (const b of blobs) {
    if (current === undefined || b.offset - current.end > MAX_GAP || b.offset + b.length - current.start > MAX_RANGE) {
      current = { packId, start: b.offset, end: b.offset, blobs: [] };
      jobs.push(current);
    }
    const inRange: BlobInRange = { type: 'data', id: b.id, offset: b.offset - current.start, length: b.length, ...(b.uncompressedLength === undefined ? {} : { uncompressedLength: b.uncompressedLength }) };
    current.blobs.push({ inRange, length: b.plainLength, uses: b.uses });
    current.end = Math.max(current.end, b.offset + b.length);
  }
  return jobs;
}
