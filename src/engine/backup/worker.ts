/**
 * Chunking worker thread: reads files (or receives stream pieces), cuts them
 * with the repository's chunker, hashes each chunk and seals the chunks the
 * main thread says are new. See protocol.ts for the conversation.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { fail } from '../../common/errors.js';
import { createChunkWorker } from './chunk-worker.js';
import type { ToWorker, WorkerInit } from './protocol.js';

const port = parentPort;
if (port === null) throw fail('INTERNAL', 'the chunk worker must run in a worker thread');
const worker = createChunkWorker(workerData as WorkerInit, (msg, transfer) => port.postMessage(msg, transfer ?? []));
port.on('message', (msg: ToWorker) => {
  if (msg.kind === 'stop') port.close();
  else worker.receive(msg);
});
