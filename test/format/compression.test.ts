/** zstd blob compression and the v1/v2 "unpacked" file encoding. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compress } from 'zstd-napi';
import { isHoldfastError } from '../../src/common/errors.js';
import { compressBlob, decompressBlob } from '../../src/format/compression.js';
import { decodeUnpacked, encodeUnpacked } from '../../src/format/unpacked.js';

const invalid = (e: unknown): boolean => isHoldfastError(e, 'INVALID_DATA');
const ZSTD_MAGIC = Buffer.from('28b52ffd', 'hex');

test('compressBlob makes a standard zstd frame that decompressBlob reverses', () => {
  for (const plain of [Buffer.alloc(0), Buffer.from('x'), Buffer.alloc(1 << 20, 'restic '), Buffer.from(Array.from({ length: 5000 }, (_, i) => (i * 7919) % 251))]) {
    const packed = compressBlob(plain);
    assert.deepEqual(packed.subarray(0, 4), ZSTD_MAGIC);
    assert.deepEqual(decompressBlob(packed, plain.length), plain);
  }
  assert.ok(compressBlob(Buffer.alloc(1 << 20, 'restic ')).length < 1000);
});

test('decompressBlob reads frames from other encoders, with and without a declared size', () => {
  const plain = Buffer.from('{"nodes":[]}\n'.repeat(100));
  assert.deepEqual(decompressBlob(compress(plain, { compressionLevel: 19 }), plain.length), plain);
  assert.deepEqual(decompressBlob(compress(plain, { contentSizeFlag: false }), plain.length), plain);
});

test('decompressBlob: a wrong length or a damaged frame is INVALID_DATA', () => {
  const plain = Buffer.from('hello hello hello hello');
  const packed = compressBlob(plain);
  assert.throws(() => decompressBlob(packed, plain.length + 1), invalid);
  assert.throws(() => decompressBlob(compress(plain, { contentSizeFlag: false }), plain.length - 1), invalid);
  assert.throws(() => decompressBlob(Buffer.from('not zstd'), 8), invalid);
  assert.throws(() => decompressBlob(packed.subarray(0, packed.length - 3), plain.length), invalid);
});

test('encodeUnpacked: v2 is 0x02 || zstd(json), v1 the json itself', () => {
  const json = Buffer.from('{"packs":[]}\n');
  const v2 = encodeUnpacked(json, 2);
  assert.equal(v2[0], 0x02);
  assert.deepEqual(v2.subarray(1, 5), ZSTD_MAGIC);
  assert.deepEqual(decodeUnpacked(v2, 2), json);
  assert.deepEqual(encodeUnpacked(json, 1), json);
  assert.deepEqual(decodeUnpacked(json, 1), json);
});

test('decodeUnpacked v2 also takes bare JSON objects and arrays, and nothing else', () => {
  for (const raw of ['{"a":1}', '[1]']) assert.deepEqual(decodeUnpacked(Buffer.from(raw), 2), Buffer.from(raw));
  for (const raw of [Buffer.alloc(0), Buffer.from(' {}'), Buffer.from('\n[]'), Buffer.from([0x01, 0x02]), Buffer.from([0x02, 1, 2, 3])]) {
    assert.throws(() => decodeUnpacked(raw, 2), invalid, raw.toString('hex'));
  }
});

test('the max level compresses text at least as well as the fast one and round-trips', () => {
  const text = Buffer.from(Array.from({ length: 20000 }, (_, i) => `line ${i % 97} status=${i % 7} path=/a/b/${i % 13}\n`).join(''));
  const max = compressBlob(text, 'max');
  assert.ok(max.length <= compressBlob(text).length, 'max is no larger than fast');
  assert.ok(decompressBlob(max, text.length).equals(text));
});
