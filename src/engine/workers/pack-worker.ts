/** Worker thread entry for pack tasks (see pack-protocol.ts). */
import { parentPort, workerData } from 'node:worker_threads';
import { errorMessage, fail } from '../../common/errors.js';
import { releaseBuffer } from '../../common/memory.js';
import { ownsBuffer } from '../../common/bytes.js';
import type { MasterKey } from '../../format/crypto.js';
import { openBlobs, verifyPack } from './pack-work.js';
import type { PackResult, PackTask, PackWorkerInit } from './pack-protocol.js';

const port = parentPort;
if (port === null) throw fail('INTERNAL', 'the pack worker must run in a worker thread');
const init = workerData as PackWorkerInit;
const key: MasterKey = { encrypt: Buffer.from(init.key.encrypt), macK: Buffer.from(init.key.macK), macR: Buffer.from(init.key.macR) };

port.on('message', (task: PackTask | { kind: 'stop' }) => {
  if (task.kind === 'stop') return port.close();
  let result: PackResult;
  const transfer: ArrayBuffer[] = [];
  try {
    if (task.kind === 'open-blobs') {
      const blobs = openBlobs(key, task.data, task.blobs, task.keepPlaintext);
      for (const b of blobs) if (b.plaintext !== undefined && ownsBuffer(b.plaintext)) transfer.push(b.plaintext.buffer as ArrayBuffer);
      result = { kind: 'opened', job: task.job, blobs };
    } else {
      result = { kind: 'verified', job: task.job, result: verifyPack(key, task.packId, task.data) };
    }
  } catch (err) {
    result = { kind: 'error', job: task.job, message: errorMessage(err) };
  }
  port.postMessage(result, transfer);
  releaseBuffer(task.data); // the pool hands its bytes over to this worker
});
