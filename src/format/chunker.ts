/**
 * Content-defined chunker: restic's Rabin-fingerprint chunker (github.com/restic/chunker v0.4.0),
 * spec §7. Same polynomial and same input give the same cut points as restic, which is what lets
 * our blobs deduplicate against restic's.
 *
 * Speed notes (this runs on every byte backed up; the loop is bound by the latency of
 * digest -> table index -> table load -> digest):
 * - The hashing loop is WebAssembly (rabin.wat, built into rabin.wasm): the 53-bit digest fits one
 *   i64 there, where JS needs two int32 halves; measured ~2x faster. BigInt is used only to build
 *   the tables, once per polynomial.
 * - restic XORs out[old] into the digest before taking the reduction index, which puts that load on
 *   the loop-carried path. Reduction mod P is linear, so XORing drop[old] = out[old]·x^8 mod P after
 *   the shift gives the same (fully reduced) digest with one load fewer on that path.
 * - Past the first 64 bytes of a range, the byte leaving the window is read from the data itself;
 *   a 64-byte ring only carries the window across calls. Data must sit in the module's memory:
 *   the backup reads files straight into a buffer there (Chunker.buffer); other data is copied.
 * - Only degree 53 is supported, so the reduction index is a constant shift. restic's
 *   RandomPolynomial always sets bit 53, so every repository it creates qualifies.
 */
import { readFileSync } from 'node:fs';
import { fail } from '../common/errors.js';

export const MIN_CHUNK = 512 * 1024;
export const MAX_CHUNK = 8 * 1024 * 1024;

const WINDOW = 64;
// A cut needs the low 20 digest bits to be zero (rabin.wat): about 1 MiB between cuts on random data.
/** Bytes at the start of each chunk that are counted but never hashed (restic's `pre`). */
const UNHASHED = MIN_CHUNK - WINDOW;
/** No masked digest equals this, so hashing with it as the target never cuts. */
const NEVER = -1;
const DEGREE = 53;
const TABLE_NAMES = ['outHi', 'outLo', 'modHi', 'modLo', 'dropHi', 'dropLo'] as const;

/** Precomputed tables for one polynomial; compute once per repository and reuse (cheap to pass to worker threads: plain typed arrays). */
export interface ChunkerTables {
  readonly polynomial: bigint;
  /** restic's out[b]: hash of b followed by 63 zero bytes, as high and low 32-bit words. */
  readonly outHi: Uint32Array;
  readonly outLo: Uint32Array;
  /** restic's mod[b]: ((b << 53) mod P) | (b << 53), as high and low 32-bit words. */
  readonly modHi: Uint32Array;
  readonly modLo: Uint32Array;
  /** drop[b] = out[b]·x^8 mod P: hash of b followed by 64 zero bytes, as high and low words. */
  readonly dropHi: Uint32Array;
  readonly dropLo: Uint32Array;
}

export interface Chunker {
  /** Starts a new chunk (call at the start of every file). */
  reset(): void;
  /**
   * Consumes data[from:to) as the continuation of the current chunk. Returns the index in `data`
   * just after the cut point if the current chunk ends inside the range (the chunker is then reset
   * automatically and the caller calls next() again from that index), or -1 if the whole range was
   * consumed without a cut. The caller cuts the final chunk at end of file itself.
   */
  next(data: Uint8Array, from: number, to: number): number;
}

function degree(p: bigint): number {
  return p > 0n ? p.toString(2).length - 1 : -1;
}

/** Polynomial remainder over GF(2): x mod p, where p has degree 53. */
function polMod(x: bigint, p: bigint): bigint {
  for (let dx = degree(x); dx >= DEGREE; dx = degree(x)) x ^= p << BigInt(dx - DEGREE);
  return x;
}

function checkDegree(polynomial: bigint): void {
  const k = degree(polynomial);
  if (k !== DEGREE) throw fail('UNSUPPORTED_REPOSITORY', `chunker polynomial must have degree ${DEGREE}, got ${k}`);
}

/** Tables by polynomial: building them costs ~8 ms (BigInt), once per repository rather than per backup. */
const tableCache = new Map<bigint, ChunkerTables>();
const TABLE_CACHE_SIZE = 64;

export function chunkerTables(polynomial: bigint): ChunkerTables {
  let tables = tableCache.get(polynomial);
  if (tables === undefined) {
    tables = buildTables(polynomial);
    if (tableCache.size >= TABLE_CACHE_SIZE) tableCache.delete(tableCache.keys().next().value!);
    tableCache.set(polynomial, tables);
  }
  return tables;
}

function buildTables(polynomial: bigint): ChunkerTables {
  checkDegree(polynomial);
  const t: Record<string, unknown> = { polynomial };
  for (const name of TABLE_NAMES) t[name] = new Uint32Array(256);
  const tables = t as unknown as ChunkerTables;
  const put = (hi: Uint32Array, lo: Uint32Array, b: number, value: bigint): void => {
    hi[b] = Number(value >> 32n);
    lo[b] = Number(value & 0xffffffffn);
  };
  for (let b = 0; b < 256; b++) {
    let h = BigInt(b);
    for (let i = 0; i < WINDOW - 1; i++) h = polMod(h << 8n, polynomial);
    put(tables.outHi, tables.outLo, b, h);
    put(tables.dropHi, tables.dropLo, b, polMod(h << 8n, polynomial));
    const top = BigInt(b) << BigInt(DEGREE);
    put(tables.modHi, tables.modLo, b, polMod(top, polynomial) | top);
  }
  return Object.freeze(tables);
}

/** Plain-data form of the tables so they can be posted to a worker thread and rebuilt there without recomputation. */
export function tablesToTransfer(t: ChunkerTables): unknown {
  const x: Record<string, unknown> = { polynomial: t.polynomial.toString(16) };
  for (const name of TABLE_NAMES) x[name] = t[name];
  return x;
}

export function tablesFromTransfer(x: unknown): ChunkerTables {
  const t = (typeof x === 'object' && x !== null ? x : {}) as Record<string, unknown>;
  const hex = t['polynomial'];
  const ok = typeof hex === 'string' && /^[0-9a-f]{14}$/.test(hex)
    && TABLE_NAMES.every((name) => t[name] instanceof Uint32Array && (t[name] as Uint32Array).length === 256);
  if (!ok || degree(BigInt(`0x${hex}`)) !== DEGREE) throw fail('INVALID_ARGUMENT', 'not a transferred chunker table set');
  const tables: Record<string, unknown> = { polynomial: BigInt(`0x${hex}`) };
  for (const name of TABLE_NAMES) tables[name] = t[name];
  return Object.freeze(tables as unknown as ChunkerTables);
}

let rabinModule: WebAssembly.Module | undefined;

/** Compiled on first use: importing the chunker for its constants costs no file read or compile. */
function rabin(): WebAssembly.Module {
  return (rabinModule ??= new WebAssembly.Module(readFileSync(new URL('./rabin.wasm', import.meta.url))));
}
const SCRATCH = 8192;
const SCRATCH_SIZE = 65536;

interface RabinExports {
  readonly memory: WebAssembly.Memory;
  reset(): void;
  scan(p: number, end: number, target: number): number;
}

class RabinChunker implements Chunker {
  readonly #wasm: RabinExports;
  /** Bytes in the current chunk so far, hashed or not. */
  #count = 0;

  constructor(tables: ChunkerTables) {
    this.#wasm = new WebAssembly.Instance(rabin()).exports as unknown as RabinExports;
    const words = new Uint32Array(this.#wasm.memory.buffer, 0, 1024);
    for (let b = 0; b < 256; b++) {
      words.set([tables.dropLo[b]!, tables.dropHi[b]!], 2 * b);
      words.set([tables.modLo[b]!, tables.modHi[b]!], 512 + 2 * b);
    }
    this.reset();
  }

  reset(): void {
    this.#wasm.reset();
    this.#count = 0;
  }

  next(data: Uint8Array, from: number, to: number): number {
    if (!(Number.isInteger(from) && Number.isInteger(to) && from >= 0 && from <= to && to <= data.length)) {
      throw fail('INVALID_ARGUMENT', `chunker range [${from}, ${to}) is outside a buffer of ${data.length} bytes`);
    }
    let i = from;
    if (this.#count < UNHASHED) {
      const skip = Math.min(to - i, UNHASHED - this.#count);
      this.#count += skip;
      i += skip;
    }
    if (i === to) return -1;
    // The window fills over the next 63 bytes; a cut is possible from the MIN_CHUNK-th byte on.
    if (this.#count < MIN_CHUNK - 1) {
      const end = Math.min(to, i + (MIN_CHUNK - 1 - this.#count));
      this.#hash(data, i, end, NEVER);
      this.#count += end - i;
      i = end;
    }
    return i < to ? this.#scan(data, i, to) : -1;
  }

  /** Looks for a cut in data[i:to), at the latest where the chunk reaches MAX_CHUNK. */
  #scan(data: Uint8Array, i: number, to: number): number {
    const end = Math.min(to, i + (MAX_CHUNK - this.#count));
    const cut = this.#hash(data, i, end, 0);
    this.#count += end - i;
    if (cut < 0 && this.#count < MAX_CHUNK) return -1;
    this.reset();
    return cut >= 0 ? cut : end;
  }

  /** Hashes data[i:end) through the scratch area, 64 KiB at a time. */
  #hash(data: Uint8Array, i: number, end: number, target: number): number {
    const scratch = new Uint8Array(this.#wasm.memory.buffer, SCRATCH, SCRATCH_SIZE);
    for (let at = i; at < end; at += SCRATCH_SIZE) {
      const n = Math.min(SCRATCH_SIZE, end - at);
      scratch.set(data.subarray(at, at + n));
      const cut = this.#wasm.scan(SCRATCH, SCRATCH + n, target);
      if (cut >= 0) return at + (cut - SCRATCH);
    }
    return -1;
  }
}

export function createChunker(tables: ChunkerTables): Chunker {
  return new RabinChunker(tables);
}

/** Convenience for tests and small inputs: chunk lengths of a whole buffer. */
export function chunkLengths(tables: ChunkerTables, data: Uint8Array): number[] {
  const chunker = createChunker(tables);
  const lengths: number[] = [];
  let start = 0;
  for (let cut = chunker.next(data, 0, data.length); cut >= 0; cut = chunker.next(data, cut, data.length)) {
    lengths.push(cut - start);
    start = cut;
  }
  if (start < data.length) lengths.push(data.length - start);
  return lengths;
}
