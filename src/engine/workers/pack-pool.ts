/**
 * A pool of pack workers: the main thread loads bytes, the workers spend the
 * CPU (decrypt, decompress, hash). Jobs go to the least busy worker.
 */
import { Worker } from 'node:worker_threads';
import { fail } from '../../common/errors.js';
import { transferable } from '../../common/bytes.js';
import type { MasterKey } from '../../format/crypto.js';
import type { BlobInRange, OpenedBlob, PackResult, PackTask, VerifiedPack } from './pack-protocol.js';

export interface PackPool {
  openBlobs(data: Uint8Array, blobs: readonly BlobInRange[], keepPlaintext: boolean): Promise<readonly OpenedBlob[]>;
  verifyPack(packId: string, data: Uint8Array): Promise<VerifiedPack>;
  close(): Promise<void>;
}

interface Slot {
  readonly thread: Worker;
  busy: number;
}

const WORKER_URL = new URL('./pack-worker.js', import.meta.url);

export function createPackPool(key: MasterKey, workers: number): PackPool {
  const waiting = new Map<number, { resolve(r: PackResult): void; reject(e: unknown): void }>();
  let nextJob = 1;
  const slots: Slot[] = Array.from({ length: Math.max(1, workers) }, () => {
    const thread = new Worker(WORKER_URL, { workerData: { key } });
    const slot: Slot = { thread, busy: 0 };
    thread.on('message', (r: PackResult) => {
      slot.busy--;
      const w = waiting.get(r.job);
      waiting.delete(r.job);
      w?.resolve(r);
    });
    thread.on('error', (err) => {
      for (const w of waiting.values()) w.reject(fail('INTERNAL', `pack worker crashed: ${err.message}`, { cause: err }));
      waiting.clear();
    });
    return slot;
  });

  const run = (make: (job: number) => PackTask, transfer: ArrayBuffer[]): Promise<PackResult> => {
    const slot = slots.reduce((a, b) => (b.busy < a.busy ? b : a));
    const job = nextJob++;
    slot.busy++;
    return new Promise<PackResult>((resolve, reject) => {
      waiting.set(job, { resolve, reject });
      slot.thread.postMessage(make(job), transfer);
    }).then((r) => {
      if (r.kind === 'error') throw fail('INTERNAL', r.message);
      return r;
    });
  };

  return {
    async openBlobs(data, blobs, keepPlaintext) {
      const own = transferable(data);
      const r = await run((job) => ({ kind: 'open-blobs', job, data: own, blobs, keepPlaintext }), [own.buffer as ArrayBuffer]);
      return r.kind === 'opened' ? r.blobs : [];
    },
    async verifyPack(packId, data) {
      const own = transferable(data);
      const r = await run((job) => ({ kind: 'verify-pack', job, packId, data: own }), [own.buffer as ArrayBuffer]);
      if (r.kind !== 'verified') throw fail('INTERNAL', 'unexpected pack worker answer');
      return r.result;
    },
    async close() {
      await Promise.all(slots.map((s) => s.thread.terminate()));
    },
  };
}
