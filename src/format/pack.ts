/**
 * Pack headers (spec §4): the plaintext list of entries that ends every pack,
 * one per blob in blob order. Offsets are not stored; blobs sit back to back
 * from offset 0, so each offset is the sum of the lengths before it.
 */
import { fail } from '../common/errors.js';
import { bytesToId, idToBytes, isId } from '../common/ids.js';

export type BlobType = 'data' | 'tree';

export interface PackedBlob {
  readonly type: BlobType;
  readonly id: string;
  readonly offset: number;
  /** Encrypted length in the pack: 16 (iv) + payload + 16 (mac). */
  readonly length: number;
  /** Plaintext length; present iff the payload is zstd-compressed, and then > 0. */
  readonly uncompressedLength?: number;
}

/** restic's maxHeaderSize: the sealed header may not exceed this. */
export const MAX_HEADER_SIZE = 16 * 1024 * 1024;
/** Bytes a reader loads first from the end: 15 compressed entries, the seal overhead and the length field. */
export const PACK_TAIL_READ = 15 * 41 + 36;

const PLAIN_ENTRY = 37;
const COMPRESSED_ENTRY = 41;
const SEAL_OVERHEAD = 32;
const TYPE_CODES: Readonly<Record<BlobType, number>> = { data: 0, tree: 1 };
const COMPRESSED_FLAG = 2;

const isCompressed = (b: { uncompressedLength?: number }): boolean => (b.uncompressedLength ?? 0) > 0;

export function packHeaderEntrySize(b: { uncompressedLength?: number }): number {
  return isCompressed(b) ? COMPRESSED_ENTRY : PLAIN_ENTRY;
}

const isUint32 = (n: number): boolean => Number.isInteger(n) && n >= 0 && n <= 0xffffffff;

function checkEntry(b: PackedBlob, expectedOffset: number): void {
  const what = `pack entry ${b.id.slice(0, 8)}`;
  if (!isId(b.id)) throw fail('INVALID_DATA', `${what}: not a blob id`);
  if (!Object.hasOwn(TYPE_CODES, b.type)) throw fail('INVALID_DATA', `${what}: unknown type ${String(b.type)}`);
  if (!isUint32(b.length)) throw fail('INVALID_DATA', `${what}: length ${b.length} is not a uint32`);
  if (b.uncompressedLength !== undefined && !isUint32(b.uncompressedLength)) {
    throw fail('INVALID_DATA', `${what}: uncompressed length ${b.uncompressedLength} is not a uint32`);
  }
  // The header cannot say where a blob starts; an offset that differs would make the index disagree with it.
  if (b.offset !== expectedOffset) throw fail('INVALID_DATA', `${what}: offset ${b.offset}, but blobs must be contiguous (expected ${expectedOffset})`);
}

/** The plaintext header; seal it and append its length as uint32 LE to finish the pack. */
export function encodePackHeader(blobs: readonly PackedBlob[]): Buffer {
  const size = blobs.reduce((sum, b) => sum + packHeaderEntrySize(b), 0);
  if (size + SEAL_OVERHEAD > MAX_HEADER_SIZE) throw fail('INVALID_DATA', `pack header of ${blobs.length} entries exceeds ${MAX_HEADER_SIZE} bytes`);
  const out = Buffer.alloc(size);
  let pos = 0;
  let offset = 0;
  for (const b of blobs) {
    checkEntry(b, offset);
    const compressed = isCompressed(b);
    pos = out.writeUInt8(TYPE_CODES[b.type] + (compressed ? COMPRESSED_FLAG : 0), pos);
    pos = out.writeUInt32LE(b.length, pos);
    if (compressed) pos = out.writeUInt32LE(b.uncompressedLength!, pos);
    pos += idToBytes(b.id).copy(out, pos);
    offset += b.length;
  }
  return out;
}

function decodeEntry(plain: Buffer, pos: number, offset: number): PackedBlob {
  const code = plain[pos]!;
  if (code > 3) throw fail('INVALID_DATA', `pack header entry at byte ${pos} has invalid type ${code}`);
  const type: BlobType = code & 1 ? 'tree' : 'data';
  const size = code & COMPRESSED_FLAG ? COMPRESSED_ENTRY : PLAIN_ENTRY;
  if (pos + size > plain.length) throw fail('INVALID_DATA', `pack header is truncated at byte ${pos}`);
  const length = plain.readUInt32LE(pos + 1);
  const id = bytesToId(plain.subarray(pos + size - 32, pos + size));
  if (size === PLAIN_ENTRY) return { type, id, offset, length };
  const uncompressedLength = plain.readUInt32LE(pos + 5);
  // 0 means "not compressed" everywhere else (index, loader), so such an entry could never round-trip.
  if (uncompressedLength === 0) throw fail('INVALID_DATA', `pack header entry ${id.slice(0, 8)} is compressed with uncompressed length 0`);
  return { type, id, offset, length, uncompressedLength };
}

/** The entries of a decrypted header, with offsets as running sums from 0. */
export function decodePackHeader(plain: Uint8Array): PackedBlob[] {
  const buf = Buffer.from(plain.buffer, plain.byteOffset, plain.length);
  const blobs: PackedBlob[] = [];
  let offset = 0;
  for (let pos = 0; pos < buf.length; ) {
    const entry = decodeEntry(buf, pos, offset);
    blobs.push(entry);
    pos += packHeaderEntrySize(entry);
    offset += entry.length;
  }
  return blobs;
}
