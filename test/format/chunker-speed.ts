/**
 * Not a test: prints the chunker's throughput over 256 MiB of pseudo-random data.
 * Run with `node dist/test/format/chunker-speed.js`.
 */
import { MIN_CHUNK, chunkerTables, createChunker } from '../../src/format/chunker.js';

const SIZE = 256 * 1024 * 1024;
/** Bytes per next() call, like a file read buffer. */
const PIECE = 512 * 1024;
/** Bytes at the start of each chunk that the chunker skips without hashing. */
const UNHASHED = MIN_CHUNK - 64;

function pseudoRandomBytes(n: number): Uint8Array {
  const words = new Uint32Array(n / 4);
  let s = 0x9e3779b9;
  for (let i = 0; i < words.length; i++) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    words[i] = s;
  }
  return new Uint8Array(words.buffer);
}

/** Chunks data fed in PIECE-sized calls; returns the chunk lengths. */
function chunkAll(data: Uint8Array): number[] {
  const chunker = createChunker(chunkerTables(0x3da3358b4dc173n));
  const lengths: number[] = [];
  let start = 0;
  for (let off = 0; off < data.length; off += PIECE) {
    const end = Math.min(data.length, off + PIECE);
    for (let cut = chunker.next(data, off, end); cut >= 0; cut = chunker.next(data, cut, end)) {
      lengths.push(cut - start);
      start = cut;
    }
  }
  if (start < data.length) lengths.push(data.length - start);
  return lengths;
}

function main(): void {
  const data = pseudoRandomBytes(SIZE);
  chunkAll(data.subarray(0, 32 * 1024 * 1024)); // warm up the JIT
  const t0 = process.hrtime.bigint();
  const lengths = chunkAll(data);
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const hashed = lengths.reduce((sum, n) => sum + Math.max(0, n - UNHASHED), 0);
  const mb = (n: number): string => (n / 1e6 / seconds).toFixed(0);
  console.log(`${lengths.length} chunks in ${seconds.toFixed(2)} s: ${mb(SIZE)} MB/s overall, ${mb(hashed)} MB/s hashed`);
}

main();
