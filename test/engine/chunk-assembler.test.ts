/** The backup's chunk assembler: the same chunks as the chunker on the whole input, however it is read. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createCipheriv, createHash } from 'node:crypto';
import { chunkerTables, chunkLengths, MAX_CHUNK } from '../../src/format/chunker.js';
import { createChunkAssembler } from '../../src/engine/backup/chunk-assembler.js';

const tables = chunkerTables(0x3da3358b4dc173n);

/** Deterministic pseudo-random bytes (an AES-CTR key stream), so the chunk layout is fixed. */
function seeded(seed: string, n: number): Buffer {
  return createCipheriv('aes-256-ctr', createHash('sha256').update(seed).digest(), Buffer.alloc(16)).update(Buffer.alloc(n));
}

/** Feeds `data` in reads of the given sizes (cycled); returns each chunk's length and hash. */
function assemble(data: Uint8Array, reads: readonly number[]): { length: number; hash: string }[] {
  const asm = createChunkAssembler(tables);
  const out: { length: number; hash: string }[] = [];
  const emit = (c: Buffer): void => { out.push({ length: c.length, hash: createHash('sha256').update(c).digest('hex') }); };
  for (let off = 0, r = 0; off < data.length; r++) {
    const region = asm.region(Math.min(reads[r % reads.length]!, data.length - off));
    region.set(data.subarray(off, off + region.length));
    off += region.length;
    asm.commit(region.length, emit);
  }
  asm.end(emit);
  return out;
}

function expected(data: Uint8Array): { length: number; hash: string }[] {
  const result: { length: number; hash: string }[] = [];
  let at = 0;
  for (const n of chunkLengths(tables, data)) {
    result.push({ length: n, hash: createHash('sha256').update(data.subarray(at, at + n)).digest('hex') });
    at += n;
  }
  return result;
}

test('random data: the same chunks whatever the read sizes', () => {
  const data = seeded('assembler', 24 * 1024 * 1024);
  const want = expected(data);
  assert.ok(want.some((c) => c.length > 2 * 1024 * 1024), 'some chunk outgrows the usual buffer');
  assert.deepEqual(assemble(data, [1024 * 1024]), want);
  assert.deepEqual(assemble(data, [7, 65_536, 3_000_001, 999]), want);
});

test('chunks of MAX_CHUNK grow the buffer to its limit, and the next file starts afresh', () => {
  const long = new Uint8Array(2 * MAX_CHUNK + 12_345).fill(0x5a); // never matches: cut at MAX_CHUNK
  assert.deepEqual(assemble(long, [1024 * 1024]).map((c) => c.length), [MAX_CHUNK, MAX_CHUNK, 12_345]);
  const asm = createChunkAssembler(tables);
  const lengths: number[] = [];
  for (const file of [long, seeded('small', 3000)]) {
    for (let off = 0; off < file.length;) {
      const region = asm.region(file.length - off);
      region.set(file.subarray(off, off + region.length));
      off += region.length;
      asm.commit(region.length, (c) => lengths.push(c.length));
    }
    asm.end((c) => lengths.push(c.length));
  }
  assert.deepEqual(lengths, [MAX_CHUNK, MAX_CHUNK, 12_345, 3000]);
});
