/**
 * Messages between the archiver (main thread) and its chunking workers.
 *
 * For every file the main thread sends a `file` task. The worker reads and
 * chunks it, hashes each chunk and claims its id in the shared blob set:
 * whoever claims an id first seals that chunk (compress, encrypt) and hands
 * the sealed bytes over (`sealed`, buffer transferred, not copied); every
 * other occurrence is only referenced. When a file is read the worker reports
 * `done` with the ordered blob ids; it comes after the file's `sealed`
 * messages, so by then the main thread has queued all of them.
 */

export interface WorkerInit {
  readonly key: { readonly encrypt: Uint8Array; readonly macK: Uint8Array; readonly macR: Uint8Array };
  readonly version: 1 | 2;
  readonly compression: 'auto' | 'off' | 'max';
  readonly tables: unknown;
  /** The shared set of data blob ids stored or being stored (see common/shared-id-set.ts). */
  readonly known: SharedArrayBuffer;
  /** Sealed blobs a worker may have unacknowledged (bounds memory). */
  readonly maxOutstanding: number;
}

export type ToWorker =
  | { readonly kind: 'file'; readonly task: number; readonly path: Uint8Array }
  | { readonly kind: 'stream-open'; readonly task: number }
  | { readonly kind: 'stream-data'; readonly task: number; readonly data: Uint8Array }
  | { readonly kind: 'stream-end'; readonly task: number }
  | { readonly kind: 'ack' }
  | { readonly kind: 'stop' };

export type FromWorker =
  | { readonly kind: 'progress'; readonly bytes: number }
  | { readonly kind: 'sealed'; readonly id: string; readonly sealed: Uint8Array; readonly plainLength: number; readonly uncompressedLength?: number }
  | { readonly kind: 'done'; readonly task: number; readonly ids: readonly string[]; readonly size: number }
  | { readonly kind: 'failed'; readonly task: number; readonly message: string; readonly errno?: string }
  | { readonly kind: 'stream-credit'; readonly task: number };
