/**
 * Messages between the archiver (main thread) and its chunking workers.
 *
 * For every file the main thread sends a `file` task. The worker reads and
 * chunks it, and for each chunk asks whether the blob is new (`ask`). The
 * main thread answers `seal` at most once per blob id; the worker then
 * compresses and encrypts the chunk and hands the sealed bytes over
 * (`sealed`, buffer transferred, not copied). When every chunk of a file is
 * answered the worker reports `done` with the ordered blob ids. Chunk bytes
 * never leave the worker unless they must be stored.
 */

export interface WorkerInit {
  readonly key: { readonly encrypt: Uint8Array; readonly macK: Uint8Array; readonly macR: Uint8Array };
  readonly version: 1 | 2;
  readonly compression: 'auto' | 'off' | 'max';
  readonly tables: unknown;
  /** Chunks a worker may hold while waiting for answers (bounds memory). */
  readonly maxOutstanding: number;
}

export type ToWorker =
  | { readonly kind: 'file'; readonly task: number; readonly path: Uint8Array }
  | { readonly kind: 'stream-open'; readonly task: number }
  | { readonly kind: 'stream-data'; readonly task: number; readonly data: Uint8Array }
  | { readonly kind: 'stream-end'; readonly task: number }
  | { readonly kind: 'answer'; readonly task: number; readonly seq: number; readonly seal: boolean }
  | { readonly kind: 'ack' }
  | { readonly kind: 'stop' };

export type FromWorker =
  | { readonly kind: 'ask'; readonly task: number; readonly seq: number; readonly id: string; readonly length: number }
  | { readonly kind: 'sealed'; readonly task: number; readonly seq: number; readonly id: string; readonly sealed: Uint8Array; readonly plainLength: number; readonly uncompressedLength?: number }
  | { readonly kind: 'done'; readonly task: number; readonly ids: readonly string[]; readonly size: number }
  | { readonly kind: 'failed'; readonly task: number; readonly message: string; readonly errno?: string }
  | { readonly kind: 'stream-credit'; readonly task: number };
