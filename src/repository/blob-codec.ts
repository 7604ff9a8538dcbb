/**
 * Turning a plaintext blob into what a pack stores, and back. Pure and
 * thread-agnostic: the backup workers call sealBlob, every reader calls
 * openBlob, which always re-checks the plaintext hash.
 */
import { fail } from '../common/errors.js';
import { hashId, type Id } from '../common/ids.js';
import type { Random } from '../common/clock.js';
import { open, SEAL_OVERHEAD, sealInPlaceRandom, type MasterKey } from '../format/crypto.js';
import { releaseBuffer } from '../common/memory.js';
import { compressedBound, compressInto, decompressBlob } from '../format/compression.js';
import type { BlobType } from '../format/pack.js';
import type { SealedBlob } from './packer.js';

export type CompressionMode = 'auto' | 'off' | 'max';

export interface SealOptions {
  readonly key: MasterKey;
  readonly random: Random;
  /** Repository format version: v1 never compresses. */
  readonly version: 1 | 2;
  readonly compression: CompressionMode;
}

export function sealBlob(o: SealOptions, type: BlobType, plaintext: Uint8Array, knownId?: Id): SealedBlob {
  const id = knownId ?? hashId(plaintext);
  const n = plaintext.length;
  if (shouldCompress(o, type, plaintext)) {
    const out = Buffer.allocUnsafeSlow(compressedBound(n) + SEAL_OVERHEAD);
    const packed = compressInto(out.subarray(PAYLOAD_AT), plaintext, o.compression === 'max' ? 'max' : 'fast');
    // Incompressible data is stored as is: the format allows it and it saves space and time on restore.
    if (packed < n) return { type, id, sealed: sealed(o, out, packed), uncompressedLength: n };
    out.set(plaintext, PAYLOAD_AT);
    return { type, id, sealed: sealed(o, out, n) };
  }
  const out = Buffer.allocUnsafeSlow(n + SEAL_OVERHEAD);
  out.set(plaintext, PAYLOAD_AT);
  return { type, id, sealed: sealed(o, out, n) };
}

const PAYLOAD_AT = SEAL_OVERHEAD / 2;
/** Unused room kept rather than copied away: below this, a shorter copy would cost more than it frees. */
const KEEP_SLACK = 64 * 1024;

/**
 * Seals the payload at PAYLOAD_AT in place and returns the sealed blob in a buffer of its own
 * (transferable to another thread, freed by the writer once stored). Room left over from the
 * compression bound is given back by moving a much shorter blob to an exact-size buffer.
 */
function sealed(o: SealOptions, out: Buffer, payload: number): Buffer {
  const length = payload + SEAL_OVERHEAD;
  sealInPlaceRandom(o.key, out.subarray(0, length), o.random);
  if (out.length - length <= KEEP_SLACK) return out.subarray(0, length);
  const exact = Buffer.allocUnsafeSlow(length);
  exact.set(out.subarray(0, length));
  releaseBuffer(out);
  return exact;
}

function shouldCompress(o: SealOptions, type: BlobType, plaintext: Uint8Array): boolean {
  if (o.version < 2 || plaintext.length === 0) return false;
  return type === 'tree' || o.compression !== 'off';
}

export interface StoredBlobRef {
  readonly type: BlobType;
  readonly id: Id;
  readonly uncompressedLength?: number;
}

/** Decrypts, decompresses and verifies one blob; any mismatch is INVALID_DATA naming the blob. */
export function openBlob(key: MasterKey, ref: StoredBlobRef, stored: Uint8Array): Buffer {
  let plain: Buffer;
  try {
    const payload = open(key, stored);
    if (ref.uncompressedLength === undefined) plain = payload;
    else {
      plain = decompressBlob(payload, ref.uncompressedLength);
      releaseBuffer(payload); // decrypted here, dead once decompressed
    }
  } catch (err) {
    throw fail('INVALID_DATA', `${ref.type} blob ${ref.id.slice(0, 8)} cannot be decoded`, { cause: err, data: { blob: ref.id } });
  }
  const actual = hashId(plain);
  if (actual !== ref.id) throw fail('INVALID_DATA', `${ref.type} blob ${ref.id.slice(0, 8)} has wrong content (hash ${actual.slice(0, 8)})`, { data: { blob: ref.id } });
  return plain;
}
