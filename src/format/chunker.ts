/**
 * Content-defined chunker: restic's Rabin-fingerprint chunker (github.com/restic/chunker v0.4.0),
 * spec §7. Same polynomial and same input give the same cut points as restic, which is what lets
 * our blobs deduplicate against restic's.
 *
 * The 53-bit digest lives in two int32 locals, hi (bits 32..52) and lo (bits 0..31), so the hot loop
 * never touches BigInt or doubles. BigInt is used only to build the tables, once per polynomial.
 */
import { fail } from '../common/errors.js';

export const MIN_CHUNK = 512 * 1024;
export const MAX_CHUNK = 8 * 1024 * 1024;

const WINDOW = 64;
/** A cut needs the low 20 digest bits to be zero: about 1 MiB between cuts on random data. */
const SPLIT_MASK = (1 << 20) - 1;
/** Bytes at the start of each chunk that are counted but never hashed (restic's `pre`). */
const UNHASHED = MIN_CHUNK - WINDOW;
/** No masked digest equals this, so hashing with it as the target never cuts. */
const NEVER = -1;
/** The hi/lo split needs deg >= 40 (the table index sits in hi); restic needs deg <= 53. */
const MIN_DEGREE = 40;
const MAX_DEGREE = 53;

/** Precomputed tables for one polynomial; compute once per repository and reuse (cheap to pass to worker threads: plain typed arrays). */
export interface ChunkerTables {
  readonly polynomial: bigint;
  /** Shift that takes the 8 bits above the polynomial's degree out of the digest's hi word. */
  readonly shift: number;
  /** out[b]: hash of b followed by 63 zero bytes, split into high and low 32-bit words. */
  readonly outHi: Uint32Array;
  readonly outLo: Uint32Array;
  /** mod[b]: ((b << k) mod P) | (b << k), split into high and low 32-bit words. */
  readonly modHi: Uint32Array;
  readonly modLo: Uint32Array;
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
  return p.toString(2).length - 1;
}

/** Polynomial remainder over GF(2): x mod p. */
function polMod(x: bigint, p: bigint, k: number): bigint {
  let dx = degree(x);
  while (x !== 0n && dx >= k) {
    x ^= p << BigInt(dx - k);
    dx = degree(x);
  }
  return x;
}

function splitInto(hi: Uint32Array, lo: Uint32Array, b: number, value: bigint): void {
  hi[b] = Number(value >> 32n);
  lo[b] = Number(value & 0xffffffffn);
}

export function chunkerTables(polynomial: bigint): ChunkerTables {
  const k = polynomial > 0n ? degree(polynomial) : -1;
  if (k < MIN_DEGREE || k > MAX_DEGREE) {
    throw fail('UNSUPPORTED_REPOSITORY', `chunker polynomial must have degree ${MIN_DEGREE}..${MAX_DEGREE}, got ${k}`);
  }
  const outHi = new Uint32Array(256), outLo = new Uint32Array(256);
  const modHi = new Uint32Array(256), modLo = new Uint32Array(256);
  for (let b = 0; b < 256; b++) {
    let h = polMod(BigInt(b), polynomial, k);
    for (let i = 0; i < WINDOW - 1; i++) h = polMod(h << 8n, polynomial, k);
    splitInto(outHi, outLo, b, h);
    const top = BigInt(b) << BigInt(k);
    splitInto(modHi, modLo, b, polMod(top, polynomial, k) | top);
  }
  return Object.freeze({ polynomial, shift: k - MIN_DEGREE, outHi, outLo, modHi, modLo });
}

interface TablesTransfer {
  polynomial: string;
  shift: number;
  outHi: Uint32Array;
  outLo: Uint32Array;
  modHi: Uint32Array;
  modLo: Uint32Array;
}

/** Plain-data form of the tables so they can be posted to a worker thread and rebuilt there without recomputation. */
export function tablesToTransfer(t: ChunkerTables): unknown {
  const x: TablesTransfer = {
    polynomial: t.polynomial.toString(16), shift: t.shift,
    outHi: t.outHi, outLo: t.outLo, modHi: t.modHi, modLo: t.modLo,
  };
  return x;
}

function isTable(v: unknown): v is Uint32Array {
  return v instanceof Uint32Array && v.length === 256;
}

export function tablesFromTransfer(x: unknown): ChunkerTables {
  const t = (typeof x === 'object' && x !== null ? x : {}) as Partial<TablesTransfer>;
  const ok = typeof t.polynomial === 'string' && /^[0-9a-f]{1,16}$/.test(t.polynomial)
    && typeof t.shift === 'number' && isTable(t.outHi) && isTable(t.outLo) && isTable(t.modHi) && isTable(t.modLo);
  if (!ok) throw fail('INVALID_ARGUMENT', 'not a transferred chunker table set');
  const polynomial = BigInt(`0x${t.polynomial}`);
  if (polynomial <= 0n || degree(polynomial) - MIN_DEGREE !== t.shift || degree(polynomial) > MAX_DEGREE) {
    throw fail('INVALID_ARGUMENT', 'transferred chunker tables do not match their polynomial');
  }
  const { outHi, outLo, modHi, modLo } = t as TablesTransfer;
  return Object.freeze({ polynomial, shift: t.shift, outHi, outLo, modHi, modLo });
}

class RabinChunker implements Chunker {
  readonly #outHi: Uint32Array;
  readonly #outLo: Uint32Array;
  readonly #modHi: Uint32Array;
  readonly #modLo: Uint32Array;
  readonly #shift: number;
  readonly #window = new Uint8Array(WINDOW);
  #wpos = 0;
  #hi = 0;
  #lo = 0;
  /** Bytes in the current chunk so far, hashed or not. */
  #count = 0;

  constructor(t: ChunkerTables) {
    this.#outHi = t.outHi;
    this.#outLo = t.outLo;
    this.#modHi = t.modHi;
    this.#modLo = t.modLo;
    this.#shift = t.shift;
    this.reset();
  }

  reset(): void {
    // restic slides in the byte 1 at reset; from the all-zero state that yields digest 1.
    this.#window.fill(0);
    this.#window[0] = 1;
    this.#wpos = 1;
    this.#hi = 0;
    this.#lo = 1;
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
    // The window fills over the next 63 bytes; a cut is possible from the MIN_CHUNK-th byte on.
    if (i < to && this.#count < MIN_CHUNK - 1) {
      const end = Math.min(to, i + (MIN_CHUNK - 1 - this.#count));
      this.#hash(data, i, end, NEVER);
      i = end;
    }
    if (i < to) {
      const end = Math.min(to, i + (MAX_CHUNK - this.#count));
      const cut = this.#hash(data, i, end, 0);
      if (cut >= 0 || this.#count === MAX_CHUNK) {
        this.reset();
        return cut >= 0 ? cut : end;
      }
    }
    return -1;
  }

  /**
   * Hashes data[i:end) and returns the index just after the first byte whose digest has
   * (lo & SPLIT_MASK) === target, or -1 if none did. Updates the state and count either way.
   */
  #hash(data: Uint8Array, i: number, end: number, target: number): number {
    const outHi = this.#outHi, outLo = this.#outLo, modHi = this.#modHi, modLo = this.#modLo;
    const win = this.#window, shift = this.#shift;
    let hi = this.#hi, lo = this.#lo, wpos = this.#wpos;
    const start = i;
    let cut = -1;
    while (i < end) {
      const b = data[i++]!;
      const old = win[wpos]!;
      win[wpos] = b;
      wpos = (wpos + 1) & (WINDOW - 1);
      hi ^= outHi[old]!;
      lo ^= outLo[old]!;
      // digest = ((digest << 8) | b) ^ mod[digest >> (k-8)]; mod's top part cancels the bits
      // shifted above the degree, so hi stays below 2^(k-32) without masking.
      const idx = hi >>> shift;
      hi = ((hi << 8) | (lo >>> 24)) ^ modHi[idx]!;
      lo = ((lo << 8) | b) ^ modLo[idx]!;
      if ((lo & SPLIT_MASK) === target) {
        cut = i;
        break;
      }
    }
    this.#hi = hi;
    this.#lo = lo;
    this.#wpos = wpos;
    this.#count += i - start;
    return cut;
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
