/**
 * The worker side of the backup pipeline (see protocol.ts): one file or
 * stream is read at a time, while answers for earlier chunks are handled as
 * they arrive. At most `maxOutstanding` chunks are held, asked or sealed but
 * unacknowledged, which bounds the worker's memory whatever the file size.
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { setImmediate as yieldToEvents } from 'node:timers/promises';
import { cryptoRandom } from '../../common/clock.js';
import { errorMessage } from '../../common/errors.js';
import { hashId } from '../../common/ids.js';
import { tablesFromTransfer } from '../../format/chunker.js';
import { sealBlob, type SealOptions } from '../../repository/blob-codec.js';
import { createChunkAssembler, type ChunkAssembler } from './chunk-assembler.js';
import type { FromWorker, ToWorker, WorkerInit } from './protocol.js';

const READ_SIZE = 1024 * 1024;

type Post = (msg: FromWorker, transfer?: ArrayBuffer[]) => void;

interface TaskState {
  readonly ids: string[];
  unanswered: number;
  size: number;
  readDone: boolean;
  failed: boolean;
}

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
  const assembler = createChunkAssembler(tablesFromTransfer(init.tables));
  const tasks = new Map<number, TaskState>();
  const held = new Map<string, Buffer>();
  const queue: (() => Promise<void>)[] = [];
  const streams = new Map<number, StreamInbox>();
  let outstanding = 0;
  let wake: (() => void) | undefined;
  let running = false;

  const release = (): void => {
    outstanding--;
    const w = wake;
    wake = undefined;
    w?.();
  };

  const waitForRoom = async (): Promise<void> => {
    await yieldToEvents();
    while (outstanding >= init.maxOutstanding) await new Promise<void>((r) => { wake = r; });
  };

  const emitFor = (task: number, state: TaskState) => (chunk: Buffer): void => {
    const seq = state.ids.length;
    const id = hashId(chunk);
    state.ids.push(id);
    state.size += chunk.length;
    state.unanswered++;
    held.set(`${task}:${seq}`, chunk);
    outstanding++;
    post({ kind: 'ask', task, seq, id, length: chunk.length });
  };

  const finishIfComplete = (task: number, state: TaskState): void => {
    if (state.unanswered > 0 || !(state.readDone || state.failed)) return;
    tasks.delete(task);
    if (!state.failed) post({ kind: 'done', task, ids: state.ids, size: state.size });
  };

  const answer = (task: number, seq: number, doSeal: boolean): void => {
    const k = `${task}:${seq}`;
    const chunk = held.get(k);
    const state = tasks.get(task);
    held.delete(k);
    if (chunk === undefined || state === undefined) return;
    state.unanswered--;
    if (doSeal) postSealed(task, seq, state.ids[seq]!, chunk);
    else release();
    finishIfComplete(task, state);
  };

  const postSealed = (task: number, seq: number, id: string, chunk: Buffer): void => {
    const blob = sealBlob(seal, 'data', chunk, id);
    const sealed = ownBuffer(blob.sealed);
    const msg: FromWorker = { kind: 'sealed', task, seq, id, sealed, plainLength: chunk.length, ...(blob.uncompressedLength === undefined ? {} : { uncompressedLength: blob.uncompressedLength }) };
    post(msg, [sealed.buffer as ArrayBuffer]);
  };

  const runTask = async (task: number, feed: (state: TaskState, emit: (c: Buffer) => void) => Promise<void>): Promise<void> => {
    const state: TaskState = { ids: [], unanswered: 0, size: 0, readDone: false, failed: false };
    tasks.set(task, state);
    try {
      await feed(state, emitFor(task, state));
      assembler.end(emitFor(task, state));
      state.readDone = true;
      finishIfComplete(task, state);
    } catch (err) {
      // Chunks already asked about stay held: the main thread may have promised
      // another file that this worker stores them, so they are sealed if asked.
      assembler.end(() => undefined);
      state.failed = true;
      post({ kind: 'failed', task, message: errorMessage(err), ...errnoOf(err) });
      finishIfComplete(task, state);
    }
  };

  const readFile = (path: Uint8Array) => async (_s: TaskState, emit: (c: Buffer) => void): Promise<void> => {
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

  const readStream = (task: number, inbox: StreamInbox) => async (_s: TaskState, emit: (c: Buffer) => void): Promise<void> => {
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
        case 'answer': return answer(msg.task, msg.seq, msg.seal);
        case 'ack': return release();
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

/** A buffer that owns its whole ArrayBuffer, so transferring it moves nothing else. */
function ownBuffer(b: Uint8Array): Uint8Array {
  if (b.byteOffset === 0 && b.byteLength === b.buffer.byteLength) return b;
  const copy = new Uint8Array(new ArrayBuffer(b.byteLength));
  copy.set(b);
  return copy;
}

function errnoOf(err: unknown): { errno?: string } {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? { errno: code } : {};
}
