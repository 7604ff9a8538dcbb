/**
 * Reading a pack's own header: the last 4 bytes give the sealed header's
 * length, the header lists the blobs in order. Used by check and prune to
 * compare packs with the index, independent of it.
 */
import { fail } from '../common/errors.js';
import type { Id } from '../common/ids.js';
import type { Backend, CallOptions } from '../backend/backend.js';
import { open, type MasterKey } from '../format/crypto.js';
import { decodePackHeader, MAX_HEADER_SIZE, PACK_TAIL_READ, type PackedBlob } from '../format/pack.js';

const MIN_HEADER = 32;

/** Decodes the header of a whole pack already in memory. */
export function readPackHeader(key: MasterKey, pack: Uint8Array): PackedBlob[] {
  const hlen = headerLength(pack, pack.length);
  return checkedEntries(key, pack.subarray(pack.length - 4 - hlen, pack.length - 4), pack.length - 4 - hlen);
}

/** Loads and decodes a stored pack's header with at most two reads. */
export async function loadPackHeader(backend: Backend, key: MasterKey, packId: Id, size: number, opts: CallOptions = {}): Promise<PackedBlob[]> {
  const h = { type: 'data' as const, name: packId };
  if (size < MIN_HEADER + 4) throw fail('INVALID_DATA', `pack ${packId.slice(0, 8)} is too short (${size} bytes)`, { data: { pack: packId } });
  const tailLen = Math.min(size, PACK_TAIL_READ);
  let tail = await backend.load(h, { offset: size - tailLen, length: tailLen }, opts);
  const hlen = headerLength(tail, size);
  if (hlen + 4 > tail.length) tail = await backend.load(h, { offset: size - 4 - hlen, length: hlen + 4 }, opts);
  return checkedEntries(key, tail.subarray(tail.length - 4 - hlen, tail.length - 4), size - 4 - hlen, packId);
}

function headerLength(tail: Uint8Array, packSize: number): number {
  if (tail.length < 4) throw fail('INVALID_DATA', 'pack is too short to hold a header');
  const hlen = Buffer.from(tail.buffer, tail.byteOffset, tail.byteLength).readUInt32LE(tail.length - 4);
  if (hlen < MIN_HEADER || hlen > MAX_HEADER_SIZE || hlen + 4 > packSize) throw fail('INVALID_DATA', `pack header length ${hlen} is invalid`);
  return hlen;
}

function checkedEntries(key: MasterKey, sealedHeader: Uint8Array, blobArea: number, packId?: Id): PackedBlob[] {
  const entries = decodePackHeader(open(key, sealedHeader));
  const last = entries.at(-1);
  const used = last === undefined ? 0 : last.offset + last.length;
  if (used !== blobArea) {
    const name = packId === undefined ? 'pack' : `pack ${packId.slice(0, 8)}`;
    throw fail('INVALID_DATA', `${name}: header lists ${used} bytes of blobs but the pack holds ${blobArea}`, { data: packId === undefined ? {} : { pack: packId } });
  }
  return entries;
}
