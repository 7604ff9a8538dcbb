/**
 * A packer collects sealed blobs of one type into a pack file: the blobs back
 * to back, then the sealed header, then the header length. Bytes go to a
 * PackOutput as they arrive and the pack id is hashed on the way, so
 * finishing costs only the header.
 */
import { createHash, type Hash } from 'node:crypto';
import { fail } from '../common/errors.js';
import type { Id } from '../common/ids.js';
import type { Random } from '../common/clock.js';
import { open, sealRandom, type MasterKey } from '../format/crypto.js';
import type { PackOutput } from './pack-output.js';
import { decodePackHeader, encodePackHeader, packHeaderEntrySize, MAX_HEADER_SIZE, type BlobType, type PackedBlob } from '../format/pack.js';

/** restic's default --pack-size: a pack is closed once it reaches this size. */
export const DEFAULT_PACK_SIZE = 16 * 1024 * 1024;

export interface SealedBlob {
  readonly type: BlobType;
  readonly id: Id;
  /** iv || ciphertext || mac of the (possibly compressed) plaintext. */
  readonly sealed: Uint8Array;
  /** Plaintext length when the payload is compressed; absent when stored as is. */
  readonly uncompressedLength?: number;
  /** The holder gives `sealed` up: its memory is freed as soon as it is stored. */
  readonly release?: boolean;
}

export interface FinishedPack {
  readonly id: Id;
  readonly size: number;
  readonly blobs: readonly PackedBlob[];
  /** Holds every byte of the pack; complete() it under the pack id. */
  readonly output: PackOutput;
}

export interface Packer {
  readonly type: BlobType;
  readonly size: number;
  readonly count: number;
  /** Whether adding this blob would push the header over its limit. */
  wouldOverflowHeader(blob: SealedBlob): boolean;
  add(blob: SealedBlob): void;
  /** Resolves once the pack's output has caught up to at most `maxQueued` unwritten bytes. */
  drained(maxQueued: number): Promise<void>;
  /** Closes the pack; the packer must not be used afterwards. */
  finish(key: MasterKey, random: Random): FinishedPack;
}

export function createPacker(type: BlobType, output: PackOutput): Packer {
  const hash: Hash = createHash('sha256');
  const blobs: PackedBlob[] = [];
  let size = 0;
  let headerSize = 0;
  let finished = false;

  return {
    type,
    get size() { return size; },
    get count() { return blobs.length; },
    wouldOverflowHeader: (blob) => headerSize + packHeaderEntrySize(blob) + 32 > MAX_HEADER_SIZE,
    add(blob) {
      if (finished) throw fail('INTERNAL', 'packer used after finish');
      if (blob.type !== type) throw fail('INTERNAL', `a ${blob.type} blob cannot go into a ${type} pack`);
      const entry: PackedBlob = { type, id: blob.id, offset: size, length: blob.sealed.length, ...lengthField(blob) };
      blobs.push(entry);
      output.write(blob.sealed, blob.release === true);
      hash.update(blob.sealed);
      size += blob.sealed.length;
      headerSize += packHeaderEntrySize(entry);
    },
    drained: (maxQueued) => output.drained(maxQueued),
    finish(key, random) {
      finished = true;
      const header = sealRandom(key, encodePackHeader(blobs), random);
      verifyHeader(key, header, blobs);
      const tail = Buffer.alloc(4);
      tail.writeUInt32LE(header.length, 0);
      hash.update(header).update(tail);
      output.write(header);
      output.write(tail);
      return { id: hash.digest('hex'), size: size + header.length + 4, blobs, output };
    },
  };
}

function lengthField(blob: SealedBlob): { uncompressedLength?: number } {
  return blob.uncompressedLength === undefined ? {} : { uncompressedLength: blob.uncompressedLength };
}

/** Re-decodes the header just built, so a codec bug can never reach storage (restic's verifyHeader). */
function verifyHeader(key: MasterKey, sealedHeader: Uint8Array, expected: readonly PackedBlob[]): void {
  const decoded = decodePackHeader(open(key, sealedHeader));
  const same = decoded.length === expected.length && decoded.every((d, i) => sameEntry(d, expected[i]!));
  if (!same) throw fail('INTERNAL', 'pack header does not decode to the blobs it was built from');
}

function sameEntry(a: PackedBlob, b: PackedBlob): boolean {
  return a.type === b.type && a.id === b.id && a.offset === b.offset && a.length === b.length && a.uncompressedLength === b.uncompressedLength;
}
