/**
 * Turning a plaintext blob into what a pack stores, and back. Pure and
 * thread-agnostic: the backup workers call sealBlob, every reader calls
 * openBlob, which always re-checks the plaintext hash.
 */
import { fail } from '../common/errors.js';
import { hashId, type Id } from '../common/ids.js';
import type { Random } from '../common/clock.js';
import { open, SEAL_OVERHEAD, sealFramedRandom, type MasterKey } from '../format/crypto.js';
import { compressedBound, compressInto, decompressBlob } from '../format/compression.js';
import { MAX_CHUNK } from '../format/chunker.js';
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
  const frame = frameFor(compressedBound(n));
  if (shouldCompress(o, type, plaintext)) {
    const packed = compressInto(frame.subarray(FRAME_HEAD), plaintext, o.compression === 'max' ? 'max' : 'fast');
    // Incompressible data is stored as is: the format allows it and it saves space and time on restore.
    if (packed < n) {
      return { type, id, sealed: sealFramedRandom(o.key, frame.subarray(0, packed + SEAL_OVERHEAD), o.random), uncompressedLength: n };
    }
  }
  frame.set(plaintext, FRAME_HEAD);
  return { type, id, sealed: sealFramedRandom(o.key, frame.subarray(0, n + SEAL_OVERHEAD), o.random) };
}

const FRAME_HEAD = SEAL_OVERHEAD / 2;
let frameBuffer: Buffer | undefined;

/**
 * This thread's frame for sealing: the payload goes at FRAME_HEAD with room either side, so
 * compressing and encrypting a blob allocate nothing but the sealed output. It grows to the
 * largest blob sealed; only the pages a blob touched are resident.
 */
function frameFor(payload: number): Buffer {
  const size = payload + SEAL_OVERHEAD;
  if (frameBuffer === undefined || frameBuffer.length < size) frameBuffer = Buffer.allocUnsafeSlow(Math.max(size, compressedBound(MAX_CHUNK) + SEAL_OVERHEAD));
  return frameBuffer;
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
    plain = ref.uncompressedLength === undefined ? payload : decompressBlob(payload, ref.uncompressedLength);
  } catch (err) {
    throw fail('INVALID_DATA', `${ref.type} blob ${ref.id.slice(0, 8)} cannot be decoded`, { cause: err, data: { blob: ref.id } });
  }
  const actual = hashId(plain);
  if (actual !== ref.id) throw fail('INVALID_DATA', `${ref.type} blob ${ref.id.slice(0, 8)} has wrong content (hash ${actual.slice(0, 8)})`, { data: { blob: ref.id } });
  return plain;
}
