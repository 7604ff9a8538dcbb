/**
 * A set of 32-byte ids in shared memory, so that worker threads can decide
 * "already stored, or mine to store?" without asking the main thread.
 *
 * The set is a ladder of open-addressing tables in one buffer whose pages the
 * OS commits only when touched: the first sized for the ids known up front,
 * then tables for new ids, each twice the size of the one before. Inserts go
 * to the current table until it is half full, then to the next, so a backup
 * of ten thousand new chunks touches about a megabyte, not the reservation. Every operation holds a spin lock: claims come once per chunk
 * (hundreds per second), so the lock is never contended long, and it makes
 * "claimed exactly once across all tables" trivially true.
 */
import { fail } from './errors.js';

const KEY = 32;
const SLOT = KEY + 1; // a used flag, then the key
const LEVELS = 8;
const GROWTH_SLOTS = 1 << 15; // the first table for new ids; the ladder holds ~4M new ids
const HEADER = 24; // int32: lock, current level, its count, total, first-table slots, growth slots
const UNLOCKED = 0;
const LOCKED = 1;

export interface SharedIdSet {
  /** Pass this to a worker thread and attach to it there. */
  readonly buffer: SharedArrayBuffer;
  /** Adds the id; true if this call added it (the caller owns storing it), false if it was there. */
  claim(id: Uint8Array): boolean;
  has(id: Uint8Array): boolean;
  readonly size: number;
}

/** A set whose first table holds `known` ids at half load, with room for millions more. */
export function createSharedIdSet(known: number, growthSlots = GROWTH_SLOTS): SharedIdSet {
  let first = 1024;
  while (first < 2 * known) first *= 2;
  const slots = first + growthSlots * (2 ** (LEVELS - 1) - 1);
  const buffer = new SharedArrayBuffer(HEADER + slots * SLOT);
  const header = new Int32Array(buffer, 0, HEADER / 4);
  header[4] = first;
  header[5] = growthSlots;
  return attachSharedIdSet(buffer);
}

export function attachSharedIdSet(buffer: SharedArrayBuffer): SharedIdSet {
  const header = new Int32Array(buffer, 0, HEADER / 4);
  const first = header[4]!;
  const growth = header[5]!;
  const bytes = new Uint8Array(buffer, HEADER);
  const capacityOf = (level: number): number => (level === 0 ? first : growth << (level - 1));
  const offsetOf = (level: number): number => (level === 0 ? 0 : first + growth * (2 ** (level - 1) - 1));

  const locked = <T>(fn: () => T): T => {
    while (Atomics.compareExchange(header, 0, UNLOCKED, LOCKED) !== UNLOCKED) { /* spin: held for microseconds */ }
    try { return fn(); } finally { Atomics.store(header, 0, UNLOCKED); }
  };

  /** The slot holding id in a level, or the empty slot where it would go. */
  const probe = (level: number, id: Uint8Array): { slot: number; found: boolean } => {
    const capacity = capacityOf(level);
    const base = offsetOf(level);
    let i = ((id[0]! << 24) | (id[1]! << 16) | (id[2]! << 8) | id[3]!) & (capacity - 1);
    for (;;) {
      const at = (base + i) * SLOT;
      if (bytes[at] === 0) return { slot: at, found: false };
      if (keyEquals(bytes, at + 1, id)) return { slot: at, found: true };
      i = (i + 1) & (capacity - 1);
    }
  };

  const contains = (id: Uint8Array): boolean => {
    checkLength(id);
    const current = header[1]!;
    for (let level = current; level >= 0; level--) if (probe(level, id).found) return true;
    return false;
  };

  const insert = (id: Uint8Array): void => {
    let level = header[1]!;
    if (header[2]! >= capacityOf(level) / 2) {
      if (level === LEVELS - 1) throw fail('INTERNAL', `the shared blob set is full (${header[3]} ids)`);
      header[1] = ++level;
      header[2] = 0;
    }
    const { slot } = probe(level, id);
    bytes.set(id, slot + 1);
    bytes[slot] = 1;
    header[2] = header[2]! + 1;
    header[3] = header[3]! + 1;
  };

  const claim = (id: Uint8Array): boolean => locked(() => {
    if (contains(id)) return false;
    insert(id);
    return true;
  });

  return {
    buffer,
    claim,
    has: (id) => locked(() => contains(id)),
    get size() { return locked(() => header[3]!); },
  };
}

function checkLength(id: Uint8Array): void {
  if (id.length !== KEY) throw fail('INTERNAL', `ids are ${KEY} bytes, got ${id.length}`);
}

function keyEquals(bytes: Uint8Array, at: number, id: Uint8Array): boolean {
  for (let i = 0; i < KEY; i++) if (bytes[at + i] !== id[i]) return false;
  return true;
}
