/**
 * The contract every source driver keeps: how a resource is read for a backup
 * and written back on restore. Drivers know nothing of repositories; they hand
 * the engine either paths to archive or one stream to store as a file, and on
 * restore they receive the stored data the same way.
 */

/** What a backup archives: paths on this machine, or one stream stored under a file name. */
export type BackupInput =
  | { readonly kind: 'paths'; readonly paths: readonly string[] }
  | { readonly kind: 'stream'; readonly filename: string; readonly stream: AsyncIterable<Uint8Array> };

/** A consistent copy being read. */
export interface BackupSession {
  readonly input: BackupInput;
  /**
   * Call after the engine consumed the input: waits for the tool that produced the stream to exit,
   * runs post hooks, and throws SOURCE_UNREADABLE (with the tool's stderr, secrets removed) if the
   * copy was not complete: a backup whose session fails must not be reported as available.
   */
  finish(): Promise<void>;
  /** Stops the tool and runs post hooks; safe to call after finish or twice. */
  abort(): Promise<void>;
}

/** Where a restore reads the backup from (given by the engine). */
export interface RestoreSource {
  /**
   * For `paths` backups: restores the archived tree under the directory `target`, as restic does:
   * an archived absolute path `/a/b` arrives at `<target>/a/b` (with its parent directories).
   * Drivers that must place the data at an exact path restore into a scratch directory on the
   * same filesystem and rename.
   */
  restoreTree(target: string): Promise<void>;
  /** For `stream` backups: the stored file's bytes. */
  readStream(): AsyncIterable<Uint8Array>;
}

export interface DriverContext {
  readonly signal?: AbortSignal;
  /** A directory the driver may use for scratch files, removed by the caller afterwards. */
  readonly scratchDir: string;
  /**
   * The environment dump tools run with (main passes process.env, which src/source may not read);
   * secrets are added to it per child. Default: only a PATH of /usr/local/bin:/usr/bin:/bin.
   */
  readonly env?: Readonly<Record<string, string | undefined>>;
}

/**
 * Which copy a backup is: absent, the form the resource's config names; `physical`, the engine's
 * storage-level copy whatever the config says (a "storage snapshot", DESIGN.md §4). A driver with
 * only one form ignores it. The same options reach parseTarget, since a physical backup restores
 * into another kind of target (a data directory) than a logical one.
 */
export interface FormOptions {
  readonly form?: 'physical';
}

export interface SourceDriver<Config = unknown, Target = unknown> {
  readonly name: string;
  /** Checks a resource's driver config; throws INVALID_ARGUMENT naming the bad field. */
  parseConfig(raw: unknown): Config;
  /** Checks a restore target for a backup of this form; throws INVALID_ARGUMENT naming the bad field. */
  parseTarget(raw: unknown, config: Config, options?: FormOptions): Target;
  openBackup(config: Config, ctx: DriverContext, options?: FormOptions): Promise<BackupSession>;
  restore(config: Config, target: Target, source: RestoreSource, ctx: DriverContext): Promise<void>;
  /** Logical size of the resource in bytes, when it can be told cheaply (for progress and sizes). */
  size?(config: Config): Promise<number | undefined>;
}
