/**
 * A set of 32-byte ids in shared memory, so that worker threads can decide
 * "already stored, or mine to store?" without asking the main thread.
 * Open addressing with linear probing; each slot has a state word
 * (EMPTY → WRITING → READY) changed with atomics, so exactly one thread wins
 * the claim of an id and every reader sees the whole key once it is READY.
 * Slots are never removed. Memory is committed lazily by the OS, so a large
 * capacity costs only the pages that inserts touch.
 */
import { fail } from './errors.js';

const EMPTY = 0;
const WRITING = 1;
const READY = 2;
const KEY = 32;

export interface SharedIdSet {
  /** Pass this to a worker thread and attach to it there. */
  readonly buffer: SharedArrayBuffer;
  /** Adds the id; true if this call added it (the caller owns storing it), false if it was there. */
  claim(id: Uint8Array): boolean;
  has(id: Uint8Array): boolean;
  readonly size: number;
}

export function createSharedIdSet(minCapacity: number): SharedIdSet {
  let capacity = 1024;
  while (capacity < minCapacity) capacity *= 2;
  return attachSharedIdSet(new SharedArrayBuffer(8 + capacity * 4 + capacity * KEY));
}

export function attachSharedIdSet(buffer: SharedArrayBuffer): SharedIdSet {
  const capacity = (buffer.byteLength - 8) / (4 + KEY);
  const header = new Int32Array(buffer, 0, 2);
  const states = new Int32Array(buffer, 8, capacity);
  const keys = new Uint8Array(buffer, 8 + capacity * 4, capacity * KEY);
  const mask = capacity - 1;
  const limit = Math.floor(capacity * 0.9);

  const keyEquals = (slot: number, id: Uint8Array): boolean => {
    const base = slot * KEY;
    for (let i = 0; i < KEY; i++) if (keys[base + i] !== id[i]) return false;
    return true;
  };

  const home = (id: Uint8Array): number => {
    if (id.length !== KEY) throw fail('INTERNAL', `ids are ${KEY} bytes, got ${id.length}`);
    return ((id[0]! << 24) | (id[1]! << 16) | (id[2]! << 8) | id[3]!) & mask;
  };

  const claim = (id: Uint8Array): boolean => {
    let slot = home(id);
    for (let n = 0; n < capacity; n++, slot = (slot + 1) & mask) {
      let state = Atomics.load(states, slot);
      if (state === EMPTY) {
        // Checked before taking the slot: a thread must never leave a slot in WRITING.
        if (Atomics.load(header, 0) >= limit) throw fail('INTERNAL', `the shared blob set is full (${capacity} slots)`);
        state = Atomics.compareExchange(states, slot, EMPTY, WRITING);
        if (state === EMPTY) {
          Atomics.add(header, 0, 1);
          keys.set(id, slot * KEY);
          Atomics.store(states, slot, READY);
          return true;
        }
      }
      while (state === WRITING) state = Atomics.load(states, slot);
      if (keyEquals(slot, id)) return false;
    }
    throw fail('INTERNAL', 'the shared blob set is full');
  };

  const has = (id: Uint8Array): boolean => {
    let slot = home(id);
    for (let n = 0; n < capacity; n++, slot = (slot + 1) & mask) {
      let state = Atomics.load(states, slot);
      if (state === EMPTY) return false;
      while (state === WRITING) state = Atomics.load(states, slot);
      if (keyEquals(slot, id)) return true;
    }
    return false;
  };

  return { buffer, claim, has, get size() { return Atomics.load(header, 0); } };
}
