/**
 * The worker side of the backup pipeline (see protocol.ts): one file or
 * stream is read at a time; each chunk is hashed in place and, if this worker
 * claims its id first, copied out and sent to the partner worker to be
 * sealed. In turn this worker seals what its other neighbour sends it. At
 * most `maxOutstanding` claimed chunks are unacknowledged, which bounds
 * memory whatever the file size.
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { setImmediate as yieldToEvents } from 'node:timers/promises';
import { cryptoRandom } from '../../common/clock.js';
import { errorMessage } from '../../common/errors.js';
import { attachSharedIdSet } from '../../common/shared-id-set.js';
import { releaseBuffer } from '../../common/memory.js';
import { tablesFromTransfer } from '../../format/chunker.js';
import { sealBlob, type SealOptions } from '../../repository/blob-codec.js';
import { createChunkAssembler } from './chunk-assembler.js';
import type { MessagePort } from 'node:worker_threads';
import type { FromWorker, SealRequest, ToWorker, WorkerInit } from './protocol.js';

const READ_SIZE = 1024 * 1024;
/** Bytes read before a large file reports progress; a small file reports with its result (fewer messages). */
const PROGRESS_EVERY = 4 * 1024 * 1024;

type Post = (msg: FromWorker, transfer?: ArrayBuffer[]) => void;
type Feed = (emit: (chunk: Buffer) => void) => Promise<void>;

export interface ChunkWorker {
  receive(msg: Exclude<ToWorker, { kind: 'stop' }>): void;
}

export function createChunkWorker(init: WorkerInit, post: Post): ChunkWorker {
  const seal: SealOptions = {
    key: { encrypt: Buffer.from(init.key.encrypt), macK: Buffer.from(init.key.macK), macR: Buffer.from(init.key.macR) },
    random: cryptoRandom,
    version: init.version,
    compression: init.compression,
  };
  const known = attachSharedIdSet(init.known);
  const assembler = createChunkAssembler(tablesFromTransfer(init.tables));
  const queue: (() => Promise<void>)[] = [];
  const streams = new Map<number, StreamInbox>();
  let outstanding = 0;
  let wake: (() => void) | undefined;
  let running = false;

  const waitForRoom = async (): Promise<void> => {
    await yieldToEvents();
    while (outstanding >= init.maxOutstanding) await new Promise<void>((r) => { wake = r; });
  };

  let toPartner: MessagePort | undefined;
  const load = new Int32Array(init.load);
  const partner = (init.index + 1) % (load.length / 2);
  const CHUNKING = 0;
  const WAITING = 1;
  const MAX_PARTNER_QUEUE = 4;

  /** Hand a chunk over only to a partner that has nothing better to do. */
  const partnerIsFree = (): boolean =>
    toPartner !== undefined && Atomics.load(load, 2 * partner + CHUNKING) === 0 && Atomics.load(load, 2 * partner + WAITING) < MAX_PARTNER_QUEUE;

  /** Seals a claimed chunk and hands it to the main thread (on behalf of its owner). */
  const sealFor = (r: SealRequest): void => {
    if (r.owner !== init.index) Atomics.sub(load, 2 * init.index + WAITING, 1);
    const blob = sealBlob(seal, 'data', r.chunk, r.id);
    const sealed = blob.sealed; // a view of a buffer of its own: moved, with it, to the main thread
    const extra = blob.uncompressedLength === undefined ? {} : { uncompressedLength: blob.uncompressedLength };
    post({ kind: 'sealed', owner: r.owner, task: r.task, id: r.id, sealed, plainLength: r.chunk.length, ...extra }, [sealed.buffer as ArrayBuffer]);
  };

  /** Seals a partner's chunk; the copy it sent is freed at once. */
  const sealForPartner = (r: SealRequest): void => {
    sealFor(r);
    releaseBuffer(r.chunk);
  };

  /** Hashes a chunk in place; if this worker claims its id first, has it sealed. Returns the id. */
  const store = (task: number, chunk: Buffer, claimedSoFar: { n: number }): string => {
    const digest = createHash('sha256').update(chunk).digest();
    const id = digest.toString('hex');
    if (known.claim(digest)) {
      claimedSoFar.n++;
      outstanding++;
      if (!partnerIsFree()) {
        sealFor({ owner: init.index, task, id, chunk });
      } else {
        const copy = new Uint8Array(chunk); // the chunk is a view into the reused read buffer
        const req: SealRequest = { owner: init.index, task, id, chunk: copy };
        Atomics.add(load, 2 * partner + WAITING, 1);
        toPartner!.postMessage(req, [copy.buffer]);
      }
    }
    return id;
  };

  const runTask = async (task: number, feed: Feed): Promise<void> => {
    const ids: string[] = [];
    const claimed = { n: 0 };
    let size = 0;
    let unreported = 0;
    const emit = (chunk: Buffer): void => {
      ids.push(store(task, chunk, claimed));
      size += chunk.length;
      unreported += chunk.length;
      if (unreported < PROGRESS_EVERY) return;
      post({ kind: 'progress', bytes: unreported });
      unreported = 0;
    };
    Atomics.store(load, 2 * init.index + CHUNKING, 1);
    try {
      await feed(emit);
      assembler.end(emit);
      post({ kind: 'done', task, ids, size, claimed: claimed.n, bytes: unreported });
    } catch (err) {
      // Chunks already claimed are still sealed and stored: other files may use them.
      assembler.end(() => undefined);
      post({ kind: 'failed', task, message: errorMessage(err), claimed: claimed.n, bytes: unreported, ...errnoOf(err) });
    } finally {
      if (queue.length === 0) Atomics.store(load, 2 * init.index + CHUNKING, 0);
    }
  };

  const readFile = (path: Uint8Array): Feed => async (emit) => {
    const fd = openSync(Buffer.from(path), 'r');
    try {
      for (;;) {
        const region = assembler.region(READ_SIZE);
        const n = readSync(fd, region, 0, region.length, null);
        if (n === 0) return;
        assembler.commit(n, emit);
        await waitForRoom();
      }
    } finally {
      closeSync(fd);
    }
  };

  const readStream = (task: number, inbox: StreamInbox): Feed => async (emit) => {
    for (;;) {
      const piece = await inbox.next();
      if (piece === undefined) return;
      for (let off = 0; off < piece.length;) {
        const region = assembler.region(piece.length - off);
        region.set(piece.subarray(off, off + region.length));
        off += region.length;
        assembler.commit(region.length, emit);
        await waitForRoom();
      }
      releaseBuffer(piece); // a copy made for this worker
      post({ kind: 'stream-credit', task });
    }
  };

  const enqueue = (job: () => Promise<void>): void => {
    queue.push(job);
    if (!running) void drain();
  };

  const drain = async (): Promise<void> => {
    running = true;
    while (queue.length > 0) await queue.shift()!();
    running = false;
  };

  return {
    receive(msg) {
      switch (msg.kind) {
        case 'file': return enqueue(() => runTask(msg.task, readFile(msg.path)));
        case 'stream-open': {
          const inbox = createInbox();
          streams.set(msg.task, inbox);
          return enqueue(() => runTask(msg.task, readStream(msg.task, inbox)).finally(() => streams.delete(msg.task)));
        }
        case 'stream-data': return streams.get(msg.task)?.push(msg.data);
        case 'stream-end': return streams.get(msg.task)?.push(undefined);
        case 'connect':
          toPartner = msg.toPartner;
          msg.fromPartner?.on('message', sealForPartner);
          return;
        case 'ack': {
          outstanding--;
          const w = wake;
          wake = undefined;
          return w?.();
        }
      }
    },
  };
}

interface StreamInbox {
  push(piece: Uint8Array | undefined): void;
  next(): Promise<Uint8Array | undefined>;
}

function createInbox(): StreamInbox {
  const pieces: (Uint8Array | undefined)[] = [];
  let waiter: ((p: Uint8Array | undefined) => void) | undefined;
  return {
    push(piece) {
      if (waiter !== undefined) { const w = waiter; waiter = undefined; w(piece); } else pieces.push(piece);
    },
    next() {
      if (pieces.length > 0) return Promise.resolve(pieces.shift());
      return new Promise((r) => { waiter = r; });
    },
  };
}

function errnoOf(err: unknown): { errno?: string } {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? { errno: code } : {};
}
