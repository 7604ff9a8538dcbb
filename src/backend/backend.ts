/**
 * The storage contract: a Backend stores whole files addressed by (type, name)
 * and knows nothing of what is in them. Every store (local disk, memory, S3)
 * and every wrapper (retry, limit) implements it and runs the one conformance
 * suite in test/backend/conformance.ts. Modelled on restic's
 * internal/backend Backend interface.
 */

/** The kinds of file in a repository; each has its own folder (restic design.rst, "Repository Layout"). */
export type FileType = 'config' | 'key' | 'data' | 'index' | 'snapshot' | 'lock';

/**
 * Names one file. `name` is '' for the config file and a 64-hex id for every
 * other type; backends reject anything else with INVALID_ARGUMENT, so a handle
 * can never reach outside the repository.
 */
export interface Handle {
  readonly type: FileType;
  readonly name: string;
}

export interface FileInfo {
  readonly name: string;
  readonly size: number;
}

/** Every call can be canceled: an aborted signal makes it reject with CANCELED. */
export interface CallOptions {
  readonly signal?: AbortSignal;
}

/**
 * Errors: a missing file is NOT_FOUND, a full disk or exhausted quota is
 * NO_SPACE, any other storage failure is BACKEND_IO (transient: the retry
 * wrapper tries again), a malformed handle is INVALID_ARGUMENT and a canceled
 * call is CANCELED. Messages name the file by type and short id and never
 * contain file contents or credentials.
 *
 * All methods may be called concurrently, also for the same handle.
 */
export interface Backend {
  /** Where the repository lives, for humans (a path, a bucket URL); must not contain secrets. */
  readonly location: string;

  /**
   * Creates the empty layout (restic's: data/00..ff, index, keys, locks,
   * snapshots). Fails with REPOSITORY_EXISTS if a config file is already there.
   * Calling it again before a config is saved is harmless.
   */
  create(opts?: CallOptions): Promise<void>;

  /**
   * Stores the concatenation of `data` under h atomically: a reader sees the
   * whole file or nothing, never a partial file under the final name (local:
   * write <name>-tmp-<random> in the same dir, fsync file, rename, fsync dir).
   * Overwriting an existing file with the same content is allowed, which makes
   * save safe to retry. When save fails it must not leave a temporary file
   * behind. The caller may reuse `data` once the promise settles; the backend
   * must not keep a reference to it.
   */
  save(h: Handle, data: Uint8Array | readonly Uint8Array[], opts?: CallOptions): Promise<void>;

  /**
   * Returns the whole file, or `length` bytes from `offset` (a negative offset
   * counts from the end; without `length`, up to the end). NOT_FOUND if
   * missing; INVALID_DATA if fewer bytes than asked exist. The result is the
   * caller's to modify: it must not alias stored data.
   */
  load(h: Handle, range?: { offset?: number; length?: number }, opts?: CallOptions): Promise<Buffer>;

  /** Returns the file's size. NOT_FOUND if missing. */
  stat(h: Handle, opts?: CallOptions): Promise<FileInfo>;

  /**
   * Lists the files of one type with their sizes, in no particular order;
   * names that are not 64-hex ids (temp files, junk) are skipped, so config is
   * never listed (ask hasConfig). A missing folder lists as empty. Files saved
   * or removed while the listing runs may or may not appear.
   */
  list(type: FileType, opts?: CallOptions): AsyncIterable<FileInfo>;

  /** Removes h; removing a missing file succeeds (idempotent). */
  remove(h: Handle, opts?: CallOptions): Promise<void>;

  /** True when a repository config exists here. */
  hasConfig(opts?: CallOptions): Promise<boolean>;

  /** Releases resources. The backend must not be used afterwards; close itself is idempotent. */
  close(): Promise<void>;
}

/**
 * A file written piece by piece whose name is known only when it is complete
 * (a pack is named by the hash of all its bytes). Nothing is visible under a
 * final name until commit.
 */
export interface FileAppender {
  /** Appends bytes; calls must not overlap (await each before the next). */
  append(data: Uint8Array | readonly Uint8Array[]): Promise<void>;
  /** Makes the file durable and visible under h atomically; the appender must not be used afterwards. */
  commit(h: Handle, opts?: CallOptions): Promise<void>;
  /** Discards the file; idempotent, and harmless after commit. */
  abort(): Promise<void>;
}

/** Backends that can write a file in place as it grows, so callers need not hold it in memory. */
export interface AppendingBackend extends Backend {
  openAppender(type: FileType, opts?: CallOptions): Promise<FileAppender>;
  /**
   * Removes files of appenders that were neither committed nor aborted (a
   * process killed mid-write) and returns how many. Must only be called when
   * no appender can be open, i.e. under an exclusive repository lock.
   */
  removeAbandoned(type: FileType, opts?: CallOptions): Promise<number>;
}

export function canAppend(b: Backend): b is AppendingBackend {
  return typeof (b as Partial<AppendingBackend>).openAppender === 'function';
}

/** Wrappers expose the backend they wrap. */
export interface WrappingBackend extends Backend {
  unwrap(): Backend;
}
