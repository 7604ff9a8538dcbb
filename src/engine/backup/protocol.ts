/**
 * Messages between the archiver (main thread) and its chunking workers.
 *
 * For every file the main thread sends a `file` task to one worker. That
 * worker reads and chunks it, hashes each chunk and claims its id in the
 * shared blob set: whoever claims an id first has the chunk sealed, by its
 * partner worker (so one large file keeps two cores busy: one chunks, one
 * compresses and encrypts). The partner hands the sealed bytes to the main
 * thread (`sealed`, buffers transferred, not copied) and the main thread
 * acknowledges them to the chunking worker, which bounds memory. A task ends
 * with `done` (ordered blob ids) or `failed`, each saying how many chunks it
 * claimed; the main thread waits for that many sealed blobs before the
 * snapshot is written.
 */

import type { MessagePort } from 'node:worker_threads';

export interface WorkerInit {
  readonly index: number;
  readonly key: { readonly encrypt: Uint8Array; readonly macK: Uint8Array; readonly macR: Uint8Array };
  readonly version: 1 | 2;
  readonly compression: 'auto' | 'off' | 'max';
  readonly tables: unknown;
  /** The shared set of data blob ids stored or being stored (see common/shared-id-set.ts). */
  readonly known: SharedArrayBuffer;
  /** Claimed chunks a worker may have unacknowledged (bounds memory). */
  readonly maxOutstanding: number;
  /** Per worker [chunking now (0|1), seal requests waiting] as Int32 pairs, shared by all workers. */
  readonly load: SharedArrayBuffer;
}

/** A chunk to seal, sent from a chunking worker to its partner. */
export interface SealRequest {
  readonly owner: number;
  readonly task: number;
  readonly id: string;
  readonly chunk: Uint8Array;
}

export type ToWorker =
  | { readonly kind: 'file'; readonly task: number; readonly path: Uint8Array }
  | { readonly kind: 'stream-open'; readonly task: number }
  | { readonly kind: 'stream-data'; readonly task: number; readonly data: Uint8Array }
  | { readonly kind: 'stream-end'; readonly task: number }
  /** Ports to the partner (send seal requests) and from the other neighbour (receive them), if any. */
  | { readonly kind: 'connect'; readonly toPartner: MessagePort; readonly fromPartner?: MessagePort }
  | { readonly kind: 'ack' }
  | { readonly kind: 'stop' };

export type FromWorker =
  | { readonly kind: 'progress'; readonly bytes: number }
  | { readonly kind: 'sealed'; readonly owner: number; readonly task: number; readonly id: string; readonly sealed: Uint8Array; readonly plainLength: number; readonly uncompressedLength?: number }
  /** `bytes`: read since the last progress message. */
  | { readonly kind: 'done'; readonly task: number; readonly ids: readonly string[]; readonly size: number; readonly claimed: number; readonly bytes: number }
  | { readonly kind: 'failed'; readonly task: number; readonly message: string; readonly errno?: string; readonly claimed: number; readonly bytes: number }
  | { readonly kind: 'stream-credit'; readonly task: number };
