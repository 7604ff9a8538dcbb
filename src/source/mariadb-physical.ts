/**
 * MariaDB physical backups, a storage snapshot of the whole server:
 * `mariadb-backup --backup --stream=xbstream` copies the files of every
 * database while the server runs, with the redo log that makes them
 * consistent, as one xbstream on stdout. It reads the server's data directory
 * itself, so it must run on the database host as a user that can read it.
 * When neither `mariadb-backup` nor its old name `mariabackup` is on the
 * tools' PATH, the driver falls back to its consistent logical dump
 * (docs/decisions.md).
 *
 * A restore into a fresh data directory unpacks the stream with `mbstream`
 * and prepares it (`mariadb-backup --prepare`), after which mariadbd can start
 * on it; the files belong to whoever ran the restore, so the server's user
 * must be given them first (`chown -R mysql:`). The xbstream magic tells such
 * a backup from a dump, so each is refused by the other's restore.
 */
import { constants } from 'node:fs';
import { access, mkdir, readdir } from 'node:fs/promises';
import { delimiter, join } from 'node:path';
import { fail } from '../common/errors.js';
import type { BackupSession, DriverContext, RestoreSource } from './driver.js';
import { DEFAULT_TOOL_ENV, runWithInput, run, startChild, type ChildOptions } from './process.js';
import { streamSession } from './session.js';

/** How every xbstream chunk starts. */
const XBSTREAM_MAGIC = Buffer.from('XBSTCK01');

const BACKUP_TOOLS = ['mariadb-backup', 'mariabackup'];

/** A child's connection arguments, environment (with the password) and signal; command and purpose are set here. */
export type ToolBase = Omit<ChildOptions, 'args'> & { readonly args: readonly string[] };

/** The first of `names` that is an executable file in one of the PATH directories of `env`. */
export async function findTool(names: readonly string[], env: DriverContext['env']): Promise<string | undefined> {
  const dirs = (env?.['PATH'] ?? DEFAULT_TOOL_ENV['PATH'] ?? '').split(delimiter).filter((d) => d !== '');
  for (const name of names) {
    for (const dir of dirs) {
      const path = join(dir, name);
      if (await access(path, constants.X_OK).then(() => true, () => false)) return path;
    }
  }
  return undefined;
}

/** Starts mariadb-backup streaming the server; undefined when it is not installed. */
export async function openServerCopy(base: ToolBase, filename: string, ctx: DriverContext): Promise<BackupSession | undefined> {
  const tool = await findTool(BACKUP_TOOLS, ctx.env);
  if (tool === undefined) return undefined;
  const child = startChild({
    ...base,
    command: tool,
    // The scratch directory takes the few files the tool writes beside the stream.
    args: ['--backup', '--stream=xbstream', `--target-dir=${ctx.scratchDir}`, ...base.args],
  });
  return streamSession(child, filename);
}

export interface Peeked {
  /** The stream's first bytes (fewer if it is shorter). */
  readonly head: Buffer;
  /** The whole stream again, head included; iterate it once. */
  readonly stream: AsyncIterable<Uint8Array>;
  /** Releases the stream when it will not be read (a Node stream is destroyed). */
  cancel(): Promise<void>;
}

/** Reads the first `n` bytes of a stream without losing them. */
export async function peek(stream: AsyncIterable<Uint8Array>, n: number): Promise<Peeked> {
  const it = stream[Symbol.asyncIterator]();
  const seen: Uint8Array[] = [];
  let size = 0;
  let ended = false;
  while (size < n) {
    const next = await it.next();
    if (next.done === true) { ended = true; break; }
    seen.push(next.value);
    size += next.value.length;
  }
  const head = Buffer.concat(seen).subarray(0, n);
  async function* replay(): AsyncGenerator<Uint8Array> {
    yield* seen;
    if (ended) return;
    for (let next = await it.next(); next.done !== true; next = await it.next()) yield next.value;
  }
  return { head, stream: replay(), cancel: async () => { if (!ended) await it.return?.(); } };
}

/** Peeks whether a stored stream is a mariadb-backup copy (true) or a dump. */
export async function peekServerCopy(stream: AsyncIterable<Uint8Array>): Promise<Peeked & { readonly serverCopy: boolean }> {
  const peeked = await peek(stream, XBSTREAM_MAGIC.length);
  return { ...peeked, serverCopy: peeked.head.equals(XBSTREAM_MAGIC) };
}

/** A restore must not mix with old files. */
async function freshDirectory(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o750 });
  if ((await readdir(dir)).length > 0) throw fail('INVALID_ARGUMENT', `dataDir ${dir} must be empty or not exist`);
}

/** Unpacks a mariadb-backup stream into `dataDir` and prepares it, so that mariadbd can start on it. */
export async function restoreServerCopy(dataDir: string, source: RestoreSource, ctx: DriverContext): Promise<void> {
  const peeked = await peekServerCopy(source.readStream());
  try {
    if (!peeked.serverCopy) {
      throw fail('INVALID_ARGUMENT', 'this backup is a logical dump (mariadb-backup was not installed when it was made): restore it into a database, not a dataDir');
    }
    await freshDirectory(dataDir);
  } catch (err) {
    await peeked.cancel();
    throw err;
  }
  const common = { baseEnv: ctx.env, signal: ctx.signal };
  await runWithInput({ ...common, command: 'mbstream', args: ['-x', '-C', dataDir], what: `unpacking the backup into ${dataDir}` }, peeked.stream);
  const tool = (await findTool(BACKUP_TOOLS, ctx.env)) ?? BACKUP_TOOLS[0]!;
  await run({ ...common, command: tool, args: ['--prepare', `--target-dir=${dataDir}`], what: `preparing ${dataDir}` });
}
