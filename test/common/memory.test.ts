/** Freeing buffers at a chosen moment, and the buffers that must never be freed that way. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { releaseBuffer } from '../../src/common/memory.js';

test('a released buffer is detached: every view of it reads as empty', () => {
  const owned = Buffer.allocUnsafeSlow(1 << 20).fill(7);
  const view = owned.subarray(100, 200);
  releaseBuffer(view);
  assert.equal(owned.length, 0);
  assert.equal(view.length, 0);
  assert.equal(owned.buffer.byteLength, 0);
});

test('a slice of the shared Buffer pool is never released (its neighbours live in the same memory)', () => {
  const a = Buffer.from('first small buffer');
  const b = Buffer.from('second small buffer');
  releaseBuffer(a);
  assert.equal(a.toString(), 'first small buffer');
  assert.equal(b.toString(), 'second small buffer');
});

test('shared memory and WebAssembly memory are left alone', () => {
  const shared = new Uint8Array(new SharedArrayBuffer(1 << 20)).fill(3);
  releaseBuffer(shared);
  assert.equal(shared.length, 1 << 20);
  assert.equal(shared[5], 3);
  type WasmMemory = new (descriptor: { initial: number }) => { buffer: ArrayBuffer };
  const wasm = new Uint8Array(new (WebAssembly.Memory as unknown as WasmMemory)({ initial: 2 }).buffer);
  wasm[9] = 4;
  releaseBuffer(wasm);
  assert.equal(wasm.length, 2 * 65536);
  assert.equal(wasm[9], 4);
});
