/**
 * The main-thread side of the backup pipeline: a ring of chunking workers,
 * each sealing for its neighbour (see protocol.ts). This side feeds sealed
 * blobs to the blob writer in arrival order, acknowledges them to the worker
 * that claimed them (its backpressure), resolves each file with its ordered
 * blob ids, and `settle()` waits until every claimed chunk has been queued.
 */
import { MessageChannel, Worker, type MessagePort } from 'node:worker_threads';
import { fail } from '../../common/errors.js';
import type { BlobWriter } from '../../repository/blob-writer.js';
import type { SealedBlob } from '../../repository/packer.js';
import { sealBlob, type SealOptions } from '../../repository/blob-codec.js';
import { releaseBuffer } from '../../common/memory.js';
import type { FromWorker, SealRequest, ToWorker, WorkerInit } from './protocol.js';

export interface StoredContent {
  readonly ids: readonly string[];
  readonly size: number;
}

export interface ChunkPool {
  /**
   * Hands one file to a worker, waiting while all are busy (the walk's
   * backpressure). `result` settles when the file is chunked and its new
   * blobs queued; it rejects with SOURCE_UNREADABLE when the file cannot be read.
   */
  submitFile(path: Buffer, sizeHint?: number): Promise<{ readonly result: Promise<StoredContent> }>;
  /** Chunks and stores a byte stream (e.g. a database dump on stdin). */
  storeStream(stream: AsyncIterable<Uint8Array>): Promise<StoredContent>;
  /** Resolves once every chunk claimed by an ended task is in the blob writer. */
  settle(): Promise<void>;
  close(): Promise<void>;
}

export interface ChunkPoolOptions {
  readonly writer: BlobWriter;
  readonly init: Omit<WorkerInit, 'index' | 'load'>;
  readonly workers: number;
  /** Tasks queued per worker before submitFile waits (keeps the walk from running far ahead). */
  readonly tasksPerWorker?: number;
  /** Called with the plaintext size of every chunk read. */
  readonly onBytes?: (n: number) => void;
  /** With a single worker, the main thread seals for it using these (it is idle otherwise). */
  readonly mainSeals?: SealOptions;
}

interface Pending {
  readonly bytes: number;
  resolve(c: StoredContent): void;
  reject(err: unknown): void;
  credit?: () => void;
}

interface PoolWorker {
  readonly thread: Worker;
  inFlight: number;
  /** Bytes of the files queued on this worker, as far as known when they were sent. */
  queuedBytes: number;
  chain: Promise<void>;
}

const WORKER_URL = new URL('./worker.js', import.meta.url);
/** A worker with this much queued takes no more files: they would wait behind a large one. */
const MAX_QUEUED_BYTES = 32 * 1024 * 1024;

export function createChunkPool(o: ChunkPoolOptions): ChunkPool {
  const perWorker = o.tasksPerWorker ?? 16;
  const pending = new Map<number, Pending>();
  const slotWaiters: (() => void)[] = [];
  let nextTask = 1;
  let broken: unknown;
  let claimed = 0;
  let sealedIn = 0;
  let settled: (() => void) | undefined;
  const checkSettled = (): void => {
    if (settled !== undefined && sealedIn >= claimed) { const s = settled; settled = undefined; s(); }
  };

  const send = (w: PoolWorker, msg: ToWorker, transfer: ArrayBuffer[] = []): void => w.thread.postMessage(msg, transfer);

  const onMessage = (w: PoolWorker, msg: FromWorker): void => {
    if (msg.kind === 'progress') return o.onBytes?.(msg.bytes);
    if (msg.kind === 'stream-credit') return pending.get(msg.task)?.credit?.();
    w.chain = w.chain.then(() => settle(w, msg)).catch((err: unknown) => fatal(err));
  };

  const settle = async (w: PoolWorker, msg: FromWorker): Promise<void> => {
    if (msg.kind === 'sealed') {
      const blob = { type: 'data' as const, id: msg.id, sealed: msg.sealed, release: true, ...(msg.uncompressedLength === undefined ? {} : { uncompressedLength: msg.uncompressedLength }) };
      await queueSealed(blob, msg.plainLength, msg.owner);
    } else if (msg.kind === 'done' || msg.kind === 'failed') {
      if (msg.bytes > 0) o.onBytes?.(msg.bytes);
      const p = pending.get(msg.task);
      pending.delete(msg.task);
      w.inFlight--;
      w.queuedBytes -= p?.bytes ?? 0;
      claimed += msg.claimed;
      slotWaiters.shift()?.();
      if (msg.kind === 'done') {
        p?.resolve({ ids: msg.ids, size: msg.size });
      } else {
        p?.reject(fail('SOURCE_UNREADABLE', msg.message, { data: { errno: msg.errno } }));
      }
    }
  };

  /** Hands a sealed blob to the writer and acknowledges it to the worker that claimed it. */
  const queueSealed = async (blob: SealedBlob, plainLength: number, owner: number): Promise<void> => {
    await o.writer.addSealed(blob, plainLength);
    sealedIn++;
    send(workers[owner]!, { kind: 'ack' });
    checkSettled();
  };

  const fatal = (err: unknown): void => {
    broken ??= err;
    for (const p of pending.values()) p.reject(err);
    pending.clear();
    for (const wake of slotWaiters.splice(0)) wake();
    settled?.();
  };

  const count = Math.max(1, o.workers);
  const mainPartner = count === 1 && o.mainSeals !== undefined;
  // One [chunking, waiting] pair per worker, and one for the main thread when it seals.
  const load = new SharedArrayBuffer(8 * (count + (mainPartner ? 1 : 0)));
  const workers: PoolWorker[] = Array.from({ length: count }, (_, index) => {
    const thread = new Worker(WORKER_URL, { workerData: { ...o.init, index, load } });
    const w: PoolWorker = { thread, inFlight: 0, queuedBytes: 0, chain: Promise.resolve() };
    thread.on('message', (msg: FromWorker) => onMessage(w, msg));
    thread.on('error', (err) => fatal(fail('INTERNAL', `chunk worker crashed: ${err.message}`, { cause: err })));
    return w;
  });

  connectRing(workers.map((w) => w.thread));
  let mainChain: Promise<void> = Promise.resolve();
  const mainPort = mainPartner ? connectMain(workers[0]!.thread) : undefined;
  mainPort?.on('message', (r: SealRequest) => {
    mainChain = mainChain.then(() => sealInMain(r)).catch((err: unknown) => fatal(err));
  });

  const mainLoad = new Int32Array(load);
  /** The main thread's share of the work: seal a claimed chunk and queue it, like a worker's `sealed`. */
  const sealInMain = async (r: SealRequest): Promise<void> => {
    Atomics.sub(mainLoad, 2 * count + 1, 1);
    const blob = sealBlob(o.mainSeals!, 'data', r.chunk, r.id);
    const plainLength = r.chunk.length;
    releaseBuffer(r.chunk); // the worker's copy
    await queueSealed({ ...blob, release: true }, plainLength, r.owner);
  };

  /** The worker with the least queued bytes, so small files do not wait behind a large one. */
  const acquire = async (bytes: number): Promise<PoolWorker> => {
    for (;;) {
      if (broken !== undefined) throw broken;
      const open = workers.filter((w) => w.inFlight === 0 || (w.inFlight < perWorker && w.queuedBytes < MAX_QUEUED_BYTES));
      if (open.length > 0) {
        const w = open.reduce((a, b) => (b.queuedBytes < a.queuedBytes ? b : a));
        w.inFlight++;
        w.queuedBytes += bytes;
        return w;
      }
      await new Promise<void>((r) => slotWaiters.push(r));
    }
  };

  const start = async (bytes: number, msgFor: (task: number) => ToWorker): Promise<{ task: number; w: PoolWorker; done: Promise<StoredContent> }> => {
    const w = await acquire(bytes);
    const task = nextTask++;
    const done = new Promise<StoredContent>((resolve, reject) => pending.set(task, { bytes, resolve, reject }));
    send(w, msgFor(task));
    return { task, w, done };
  };

  return {
    async submitFile(path, sizeHint = 0) {
      const { done } = await start(sizeHint, (task) => ({ kind: 'file', task, path }));
      done.catch(() => undefined); // the caller awaits it later; never an unhandled rejection
      return { result: done };
    },
    async storeStream(stream) {
      const { task, w, done } = await start(Number.MAX_SAFE_INTEGER, (t) => ({ kind: 'stream-open', task: t }));
      await pumpStream(stream, pending.get(task)!, (data) => send(w, { kind: 'stream-data', task, data }, [data.buffer as ArrayBuffer]));
      send(w, { kind: 'stream-end', task });
      return done;
    },
    async settle() {
      await Promise.all([...workers.map((w) => w.chain), mainChain]);
      if (broken !== undefined) throw broken;
      if (sealedIn >= claimed) return;
      await new Promise<void>((r) => { settled = r; });
      if (broken !== undefined) throw broken;
    },
    async close() {
      await Promise.all([...workers.map((w) => w.chain), mainChain]);
      mainPort?.close();
      await Promise.all(workers.map((w) => w.thread.terminate()));
    },
  };
}

/** Each worker sends chunks to seal to the next one in the ring; a single worker seals its own. */
function connectRing(threads: readonly Worker[]): void {
  if (threads.length < 2) return;
  const channels = threads.map(() => new MessageChannel());
  threads.forEach((t, i) => {
    const toPartner = channels[i]!.port1;
    const fromPartner = channels[(i + threads.length - 1) % threads.length]!.port2;
    t.postMessage({ kind: 'connect', toPartner, fromPartner }, [toPartner, fromPartner]);
  });
}

/** Makes the main thread the partner of a lone worker; returns the port its seal requests arrive on. */
function connectMain(thread: Worker): MessagePort {
  const channel = new MessageChannel();
  thread.postMessage({ kind: 'connect', toPartner: channel.port1 }, [channel.port1]);
  return channel.port2;
}

/** Sends stream pieces with at most two in flight, each in a buffer of its own (transferable). */
async function pumpStream(stream: AsyncIterable<Uint8Array>, p: Pending, sendPiece: (data: Uint8Array) => void): Promise<void> {
  let credits = 2;
  let wake: (() => void) | undefined;
  p.credit = () => { credits++; wake?.(); };
  for await (const piece of stream) {
    while (credits === 0) await new Promise<void>((r) => { wake = r; });
    credits--;
    sendPiece(new Uint8Array(piece)); // a copy: the stream may reuse its buffers
  }
}
