/**
 * Blob compression (spec §4): one standard zstd frame per blob. restic's
 * decoder takes any zstd frame, so the level is ours to pick.
 */
import { compress, decompress } from 'zstd-napi';
import binding from 'zstd-napi/binding.js';
import { errorMessage, fail } from '../common/errors.js';

/**
 * `fast` (the default, restic's `auto`) is level 1: on our benchmark data
 * level 3 (zstd's default) was 36% slower for the same ratio, and backup
 * throughput is bound by this call. `max` is level 19, for repositories
 * where space matters more than time (restic's `max`).
 */
export type CompressionLevel = 'fast' | 'max';

const LEVELS: Readonly<Record<CompressionLevel, number>> = { fast: 1, max: 19 };

export function compressBlob(plain: Uint8Array, level: CompressionLevel = 'fast'): Buffer {
  return compress(plain, { compressionLevel: LEVELS[level] });
}

let context: InstanceType<typeof binding.CCtx> | undefined;

/** Room `compressInto` may need for `length` input bytes. */
export function compressedBound(length: number): number {
  return binding.compressBound(length);
}

/** Compresses into `out` (at least compressedBound(plain.length) bytes) and returns the length written. */
export function compressInto(out: Uint8Array, plain: Uint8Array, level: CompressionLevel = 'fast'): number {
  context ??= new binding.CCtx();
  return context.compress(out, plain, LEVELS[level]);
}

/**
 * Decompresses a blob whose plaintext length the index or pack header states;
 * any other length, or a damaged frame, is INVALID_DATA. A frame that declares
 * another size is refused before anything is allocated for it.
 */
export function decompressBlob(data: Uint8Array, expectedLength: number): Buffer {
  const declared = frameContentSize(data);
  if (declared !== null && declared !== expectedLength) {
    throw fail('INVALID_DATA', `compressed blob declares ${declared} bytes, expected ${expectedLength}`);
  }
  let plain: Buffer;
  try {
    plain = decompress(data);
  } catch (err) {
    throw fail('INVALID_DATA', `cannot decompress blob: ${errorMessage(err)}`, { cause: err });
  }
  if (plain.length !== expectedLength) {
    throw fail('INVALID_DATA', `decompressed blob has ${plain.length} bytes, expected ${expectedLength}`);
  }
  return plain;
}

/** The size the frame header declares, or null when it declares none. */
function frameContentSize(data: Uint8Array): number | null {
  try {
    return binding.getFrameContentSize(data);
  } catch (err) {
    throw fail('INVALID_DATA', `not a zstd frame: ${errorMessage(err)}`, { cause: err });
  }
}
