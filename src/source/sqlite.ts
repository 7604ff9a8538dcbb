/**
 * The SQLite driver (DESIGN.md §4): SQLite's online backup API copies a
 * consistent image of a live database page by page, but only into another
 * database file, so the copy goes to the scratch directory first and is then
 * streamed as `<name>.sqlite`. Restore writes the file atomically (temporary
 * file and rename) and removes stale -wal/-shm/-journal files of the target,
 * which would otherwise be replayed onto the restored database; the target
 * must not be open by another process during the restore.
 */
import { createReadStream } from 'node:fs';
import { rm, stat } from 'node:fs/promises';
import { basename, extname, join } from 'node:path';
import Database from 'better-sqlite3';
import { fail } from '../common/errors.js';
import { writeFileAtomically } from './atomic-file.js';
import type { BackupSession, DriverContext, RestoreSource, SourceDriver } from './driver.js';
import { absolutePath, objectOf } from './fields.js';
import { safeName } from './postgres-conn.js';

export interface SqliteConfig {
  readonly path: string;
}

export interface SqliteTarget {
  readonly path: string;
}

function parseConfig(raw: unknown): SqliteConfig {
  return Object.freeze({ path: absolutePath(objectOf(raw, 'sqlite config'), 'path') });
}

function parseTarget(raw: unknown, config: SqliteConfig): SqliteTarget {
  const o = objectOf(raw ?? {}, 'sqlite restore target');
  return Object.freeze({ path: o['path'] === undefined ? config.path : absolutePath(o, 'path') });
}

async function copyWithBackupApi(source: string, dest: string): Promise<void> {
  let db: Database.Database;
  try {
    db = new Database(source, { readonly: true, fileMustExist: true });
  } catch (err) {
    throw fail('SOURCE_UNREADABLE', `sqlite database ${source} cannot be opened: ${(err as Error).message}`, { cause: err });
  }
  try {
    await db.backup(dest);
  } catch (err) {
    throw fail('SOURCE_UNREADABLE', `sqlite backup of ${source} failed: ${(err as Error).message}`, { cause: err });
  } finally {
    db.close();
  }
}

async function openBackup(config: SqliteConfig, ctx: DriverContext): Promise<BackupSession> {
  const name = safeName(basename(config.path, extname(config.path)));
  const copy = join(ctx.scratchDir, `${name}.sqlite`);
  await copyWithBackupApi(config.path, copy);
  const cleanup = (): Promise<void> => rm(copy, { force: true });
  return {
    input: { kind: 'stream', filename: `${name}.sqlite`, stream: createReadStream(copy) },
    finish: cleanup,
    abort: cleanup,
  };
}

async function restore(_config: SqliteConfig, target: SqliteTarget, source: RestoreSource): Promise<void> {
  await writeFileAtomically(target.path, source.readStream(), 0o644);
  await Promise.all(['-wal', '-shm', '-journal'].map((suffix) => rm(target.path + suffix, { force: true })));
}

async function size(config: SqliteConfig): Promise<number | undefined> {
  return (await stat(config.path).catch(() => undefined))?.size;
}

export const sqliteDriver: SourceDriver<SqliteConfig, SqliteTarget> = Object.freeze({
  name: 'sqlite',
  parseConfig,
  parseTarget,
  openBackup,
  restore,
  size,
});
