/** The shared blob set: each id is claimed exactly once, even by racing threads. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Worker } from 'node:worker_threads';
import { createHash } from 'node:crypto';
import { attachSharedIdSet, createSharedIdSet } from '../../src/common/shared-id-set.js';

const idOf = (i: number): Buffer => createHash('sha256').update(String(i)).digest();

describe('shared id set', () => {
  it('claims an id once and then reports it as present', () => {
    const set = createSharedIdSet(16);
    assert.equal(set.has(idOf(1)), false);
    assert.equal(set.claim(idOf(1)), true);
    assert.equal(set.claim(idOf(1)), false);
    assert.equal(set.has(idOf(1)), true);
    assert.equal(set.has(idOf(2)), false);
    assert.equal(set.size, 1);
  });

  it('keeps ids that collide on their home slot apart', () => {
    const set = createSharedIdSet(1024);
    const a = Buffer.alloc(32, 1);
    const b = Buffer.from(a);
    b[31] = 2; // same first four bytes, so the same home slot
    assert.equal(set.claim(a), true);
    assert.equal(set.claim(b), true);
    assert.equal(set.has(a) && set.has(b), true);
  });

  it('moves on to larger tables and still finds ids in the earlier ones', () => {
    const set = createSharedIdSet(0, 1024);
    for (let i = 0; i < 5000; i++) assert.equal(set.claim(idOf(i)), true);
    for (let i = 0; i < 5000; i++) assert.equal(set.claim(idOf(i)), false, `id ${i} claimed twice`);
    assert.equal(set.has(idOf(5000)), false);
    assert.equal(set.size, 5000);
  });

  it('refuses to fill the last table beyond half with a clear error instead of looping', () => {
    const set = createSharedIdSet(0, 1024);
    const room = 512 + (1024 * 127) / 2;
    for (let i = 0; i < room; i++) set.claim(idOf(i));
    assert.throws(() => set.claim(idOf(room)), /shared blob set is full/);
    assert.equal(set.has(idOf(0)), true, 'a failed claim leaves the lock free');
  });

  it('touches only a small part of its reservation for a few thousand ids', () => {
    const set = createSharedIdSet(0);
    assert.ok(set.buffer.byteLength > 100 * 2 ** 20, 'reserves room for millions of ids');
    for (let i = 0; i < 10000; i++) set.claim(idOf(i));
    const view = new Uint8Array(set.buffer);
    let last = 0;
    for (let i = 24; i < view.length; i += 33) if (view[i] !== 0) last = i;
    assert.ok(last < 4 * 2 ** 20, `10k ids spread over ${last} bytes`);
  });

  it('is seen the same from another thread', () => {
    const set = createSharedIdSet(64);
    set.claim(idOf(7));
    assert.equal(attachSharedIdSet(set.buffer).has(idOf(7)), true);
  });

  it('lets exactly one of several racing threads claim each id', async () => {
    const set = createSharedIdSet(0, 1024); // small tables, so the racing claims cross level changes
    const n = 20000;
    const url = new URL('../../src/common/shared-id-set.js', import.meta.url).href;
    const code = `
      const { workerData, parentPort } = require('node:worker_threads');
      const { createHash } = require('node:crypto');
      import(${JSON.stringify(url)}).then(({ attachSharedIdSet }) => {
        const set = attachSharedIdSet(workerData.buffer);
        let won = 0;
        for (let i = 0; i < workerData.n; i++) if (set.claim(createHash('sha256').update(String(i)).digest())) won++;
        parentPort.postMessage(won);
      });`;
    const wins = await Promise.all([0, 1, 2].map(() => new Promise<number>((resolve, reject) => {
      const w = new Worker(code, { eval: true, workerData: { buffer: set.buffer, n } });
      w.once('message', (won: number) => { resolve(won); void w.terminate(); });
      w.once('error', reject);
    })));
    assert.equal(wins.reduce((a, b) => a + b, 0), n);
    assert.equal(set.size, n);
  });
});
