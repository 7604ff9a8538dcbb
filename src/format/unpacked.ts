/**
 * "Unpacked" files (index, snapshot, lock; spec §5) before sealing: in a v2
 * repository a version byte 0x02 then a zstd frame of the JSON, or the bare
 * JSON, told apart by the first byte; in v1 always the bare JSON.
 */
import { decompress } from 'zstd-napi';
import { errorMessage, fail } from '../common/errors.js';
import { compressBlob } from './compression.js';

const VERSION_COMPRESSED = 0x02;
const JSON_OBJECT = 0x7b; // '{'
const JSON_ARRAY = 0x5b; // '['

const view = (b: Uint8Array): Buffer => Buffer.from(b.buffer, b.byteOffset, b.length);

/** What gets sealed: v2 writes 0x02 || zstd(json), as restic does; v1 the JSON itself. */
export function encodeUnpacked(json: Uint8Array, version: 1 | 2): Buffer {
  if (version === 1) return view(json);
  return Buffer.concat([Buffer.of(VERSION_COMPRESSED), compressBlob(json)]);
}

/** The JSON inside an opened unpacked file; any other leading byte in v2 (whitespace too) is INVALID_DATA. */
export function decodeUnpacked(plain: Uint8Array, version: 1 | 2): Buffer {
  if (version === 1) return view(plain);
  const first = plain[0];
  if (first === JSON_OBJECT || first === JSON_ARRAY) return view(plain);
  if (first !== VERSION_COMPRESSED) {
    throw fail('INVALID_DATA', `unpacked file starts with ${first === undefined ? 'nothing' : `byte 0x${first.toString(16)}`}, not 0x02, '{' or '['`);
  }
  try {
    return decompress(plain.subarray(1));
  } catch (err) {
    throw fail('INVALID_DATA', `cannot decompress unpacked file: ${errorMessage(err)}`, { cause: err });
  }
}
