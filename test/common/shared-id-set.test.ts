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

  it('refuses to fill beyond 90% with a clear error instead of looping', () => {
    const set = createSharedIdSet(1024);
    for (let i = 0; i < 921; i++) set.claim(idOf(i));
    assert.throws(() => { for (let i = 921; i < 1024; i++) set.claim(idOf(i)); }, /shared blob set is full/);
  });

  it('is seen the same from another thread', () => {
    const set = createSharedIdSet(64);
    set.claim(idOf(7));
    assert.equal(attachSharedIdSet(set.buffer).has(idOf(7)), true);
  });

  it('lets exactly one of several racing threads claim each id', async () => {
    const set = createSharedIdSet(1 << 16);
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
