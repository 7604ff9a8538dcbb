/**
 * PostgreSQL physical backups: `pg_basebackup -D - -Ft -X fetch` writes the
 * cluster (base tablespace plus the WAL needed to make it consistent) as one tar
 * on stdout. It needs a role with REPLICATION and a pg_hba.conf `replication`
 * entry, and a cluster with no extra tablespaces (tar to stdout holds only one).
 * Restore extracts the tar into a fresh data directory (mode 0700) with the
 * system tar, reading it from stdin. Run as root, tar gives the files the
 * archive's owner (the `postgres` user, by name); the data directory itself is
 * not in the archive, so it is given the same owner, else PostgreSQL (which
 * refuses to run as root) could not open it.
 */
import { chown, mkdir, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { fail } from '../common/errors.js';
import type { BackupSession, DriverContext, RestoreSource } from './driver.js';
import { absolutePath, objectOf } from './fields.js';
import type { PgConn } from './postgres-conn.js';
import { pgEnv, safeName } from './postgres-conn.js';
import { runWithInput, startChild } from './process.js';
import { streamSession } from './session.js';

export interface PgPhysicalTarget {
  readonly dataDir: string;
}

export function parsePhysicalTarget(raw: unknown): PgPhysicalTarget {
  return Object.freeze({ dataDir: absolutePath(objectOf(raw, 'postgres physical restore target'), 'dataDir') });
}

export function openPhysicalBackup(conn: PgConn, ctx: DriverContext): Promise<BackupSession> {
  const child = startChild({
    command: 'pg_basebackup',
    args: ['-D', '-', '-Ft', '-X', 'fetch', '--checkpoint=fast', `--dbname=${conn.url}`],
    baseEnv: ctx.env,
    env: pgEnv(conn),
    secrets: [conn.password],
    signal: ctx.signal,
    what: `pg_basebackup of ${conn.host}:${conn.port}`,
  });
  return Promise.resolve(streamSession(child, `${safeName(`${conn.host}-${conn.port}`)}.tar`));
}

export async function restorePhysical(target: PgPhysicalTarget, source: RestoreSource, ctx: DriverContext): Promise<void> {
  await freshDirectory(target.dataDir);
  await runWithInput(
    { command: 'tar', args: ['-x', '-f', '-', '-C', target.dataDir], baseEnv: ctx.env, signal: ctx.signal, what: `extracting into ${target.dataDir}` },
    source.readStream(),
  );
  await ownLikeContents(target.dataDir);
}

/** Gives the data directory the owner of its PG_VERSION, which tar set from the archive. */
async function ownLikeContents(dataDir: string): Promise<void> {
  const version = await stat(join(dataDir, 'PG_VERSION')).catch(() => undefined);
  if (version === undefined) throw fail('INVALID_DATA', `the restored archive holds no PG_VERSION: ${dataDir} is not a PostgreSQL data directory`);
  const dir = await stat(dataDir);
  if (dir.uid !== version.uid || dir.gid !== version.gid) await chown(dataDir, version.uid, version.gid);
}

/** PostgreSQL refuses a data directory others can read, and a restore must not mix with old files. */
async function freshDirectory(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  if ((await readdir(dir)).length > 0) throw fail('INVALID_ARGUMENT', `dataDir ${dir} must be empty or not exist`);
}
