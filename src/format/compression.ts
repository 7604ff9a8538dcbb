/**
 * Blob compression (spec §4): one standard zstd frame per blob. restic's
 * decoder takes any zstd frame, so the level is ours to pick.
 */
import { compress, decompress } from 'zstd-napi';
import binding from 'zstd-napi/binding.js';
import { fail } from '../common/errors.js';

/**
 * Level 1: on our benchmark data level 3 (zstd's default) was 36% slower for
 * the same ratio, and backup throughput is bound by this call.
 */
const LEVEL = 1;

export function compressBlob(plain: Uint8Array): Buffer {
  return compress(plain, { compressionLevel: LEVEL });
}

/**
 * Decompresses a blob whose plaintext length the index or pack header states;
 * any other length, or a damaged frame, is INVALID_DATA. A frame that declares
 * another size is refused before anything is allocated for it.
 */
export function decompressBlob(data: Uint8Array, expectedLength: number): Buffer {
  let declared: number | null;
  let plain: Buffer;
  try {
    declared = binding.getFrameContentSize(data);
    if (declared !== null && declared !== expectedLength) {
      throw fail('INVALID_DATA', `compressed blob declares ${declared} bytes, expected ${expectedLength}`);
    }
    plain = decompress(data);
  } catch (err) {
    throw fail('INVALID_DATA', `cannot decompress blob: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
  if (plain.length !== expectedLength) {
    throw fail('INVALID_DATA', `decompressed blob has ${plain.length} bytes, expected ${expectedLength}`);
  }
  return plain;
}
