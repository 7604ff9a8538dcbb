/**
 * Where a pack's bytes go while it is being built. On a backend that can
 * append (local disk) each blob is written out as it arrives, so packs cost
 * no memory and finishing one is only fsync + rename; elsewhere the blobs are
 * kept in memory and saved whole when the pack is complete.
 */
import type { AppendingBackend, Backend, CallOptions, FileAppender, Handle } from '../backend/backend.js';
import { canAppend } from '../backend/backend.js';
import { releaseBuffer } from '../common/memory.js';

export interface PackOutput {
  /** Queues bytes in order; failures surface at complete(). With `release`, the part's memory is freed once written. */
  write(part: Uint8Array, release?: boolean): void;
  /** Stores everything written under h. */
  complete(h: Handle, opts?: CallOptions): Promise<void>;
  /** Drops what was written. */
  discard(): Promise<void>;
  /** Whether this output keeps the pack's bytes in memory until complete(). */
  readonly buffered: boolean;
  /** Resolves once at most `maxQueued` bytes wait to be written (writers' backpressure). */
  drained(maxQueued: number): Promise<void>;
}

export async function openPackOutput(backend: Backend, opts: CallOptions = {}): Promise<PackOutput> {
  return canAppend(backend) ? appendingOutput(await backend.openAppender('data', opts)) : bufferedOutput(backend);
}

function bufferedOutput(backend: Backend): PackOutput {
  const parts: Uint8Array[] = [];
  const owned: Uint8Array[] = [];
  return {
    buffered: true,
    write: (part, release) => {
      parts.push(part);
      if (release === true) owned.push(part);
    },
    complete: async (h, opts) => {
      await backend.save(h, parts, opts);
      for (const part of owned.splice(0)) releaseBuffer(part);
    },
    discard: async () => { parts.length = 0; },
    drained: async () => undefined,
  };
}

/** Parts queued while a write is running go out together in the next writev. */
function appendingOutput(appender: FileAppender): PackOutput {
  let queued: Uint8Array[] = [];
  let owned: Uint8Array[] = [];
  let queuedBytes = 0;
  let writing: Promise<void> | undefined;
  let failure: unknown;
  const waiters: { max: number; wake: () => void }[] = [];
  const drain = async (): Promise<void> => {
    while (queued.length > 0 && failure === undefined) {
      const parts = queued;
      const written = owned;
      queued = [];
      owned = [];
      await appender.append(parts).catch((err: unknown) => { failure ??= err; });
      queuedBytes -= parts.reduce((n, p) => n + p.length, 0);
      for (const part of written) releaseBuffer(part);
      for (const w of waiters.filter((x) => queuedBytes <= x.max || failure !== undefined)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.wake();
      }
    }
    writing = undefined;
  };
  return {
    buffered: false,
    write(part, release) {
      queued.push(part);
      if (release === true) owned.push(part);
      queuedBytes += part.length;
      writing ??= drain();
    },
    drained(max) {
      if (queuedBytes <= max || failure !== undefined) return Promise.resolve();
      return new Promise((wake) => waiters.push({ max, wake }));
    },
    async complete(h, opts) {
      await writing;
      if (failure !== undefined) {
        await appender.abort();
        throw failure;
      }
      await appender.commit(h, opts);
    },
    async discard() {
      await writing;
      await appender.abort();
    },
  };
}

export type { AppendingBackend };
