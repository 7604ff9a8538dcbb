/**
 * The PostgreSQL driver (DESIGN.md §4). Logical (default): `pg_dump
 * --format=custom` streamed as `<db>.pgdump`, restored with `pg_restore` in a
 * single transaction into the target database, which is created first when
 * missing (a restore after the database was dropped). Physical: see
 * postgres-physical.ts; a backup asked for in the physical form (a storage
 * snapshot) is physical whatever the configured mode, and so is its restore
 * target. Passwords reach the tools only through PGPASSWORD.
 */
import { fail } from '../common/errors.js';
import type { BackupSession, DriverContext, FormOptions, RestoreSource, SourceDriver } from './driver.js';
import { objectOf, optionalBoolean, type Fields } from './fields.js';
import { parseConn, pgEnv, safeName, type PgConn } from './postgres-conn.js';
import { openPhysicalBackup, parsePhysicalTarget, restorePhysical, type PgPhysicalTarget } from './postgres-physical.js';
import { runWithInput, startChild } from './process.js';
import { streamSession } from './session.js';

export type PgMode = 'logical' | 'physical';

export interface PostgresConfig {
  readonly conn: PgConn;
  readonly mode: PgMode;
}

/**
 * Logical restore: into `conn` (default: the source database), dropping the
 * dump's objects first when `clean`; with `recreate` the whole database is
 * dropped and made again first, so objects made after the backup go too (a
 * recovery to that backup).
 */
export interface PgLogicalTarget {
  readonly kind: 'logical';
  readonly conn: PgConn;
  readonly clean: boolean;
  readonly recreate: boolean;
}

export type PostgresTarget = PgLogicalTarget | ({ readonly kind: 'physical' } & PgPhysicalTarget);

function parseConfig(raw: unknown): PostgresConfig {
  const o = objectOf(raw, 'postgres config');
  return Object.freeze({ conn: parseConn(o, 'url', 'password'), mode: parseMode(o) });
}

function parseMode(o: Fields): PgMode {
  const mode = o['mode'] ?? 'logical';
  if (mode !== 'logical' && mode !== 'physical') throw fail('INVALID_ARGUMENT', "mode must be 'logical' or 'physical'");
  return mode;
}

function isPhysical(config: PostgresConfig, options: FormOptions | undefined): boolean {
  return config.mode === 'physical' || options?.form === 'physical';
}

function parseTarget(raw: unknown, config: PostgresConfig, options?: FormOptions): PostgresTarget {
  const o = objectOf(raw ?? {}, 'postgres restore target');
  if (isPhysical(config, options)) return Object.freeze({ kind: 'physical', ...parsePhysicalTarget(o) });
  const clean = optionalBoolean(o, 'clean') ?? true;
  const recreate = optionalBoolean(o, 'recreate') ?? false;
  // The restore job parses the target it stored, already parsed: its `conn` holds the url and password.
  const given = o['conn'] === undefined ? o : objectOf(o['conn'], 'conn');
  if (given['url'] === undefined) return Object.freeze({ kind: 'logical', conn: config.conn, clean, recreate });
  const conn = parseConn(given, 'url', 'password');
  return Object.freeze({ kind: 'logical', conn: withSourcePassword(conn, config.conn), clean, recreate });
}

/** A target on the same server as the source, as the same user, may reuse the source's password. */
function withSourcePassword(conn: PgConn, source: PgConn): PgConn {
  const sameLogin = conn.host === source.host && conn.port === source.port && conn.user === source.user;
  return conn.password === undefined && sameLogin ? Object.freeze({ ...conn, password: source.password }) : conn;
}

function openLogicalBackup(conn: PgConn, ctx: DriverContext): Promise<BackupSession> {
  const child = startChild({
    command: 'pg_dump',
    args: ['--format=custom', `--dbname=${conn.url}`],
    baseEnv: ctx.env,
    env: pgEnv(conn),
    secrets: [conn.password],
    signal: ctx.signal,
    what: `pg_dump of database ${conn.database}`,
  });
  return Promise.resolve(streamSession(child, `${safeName(conn.database)}.pgdump`));
}

/**
 * Creates the target database when it does not exist, connected to the server's `postgres`
 * database; the name travels as a psql variable, quoted by format('%I'), never spliced into SQL.
 */
function ensureDatabase(conn: PgConn, ctx: DriverContext, recreate = false): Promise<void> {
  const maintenance = new URL(conn.url);
  maintenance.pathname = '/postgres';
  const drop = recreate ? "SELECT format('DROP DATABASE IF EXISTS %I WITH (FORCE)', :'db')\\gexec\n" : '';
  const script = `${drop}SELECT format('CREATE DATABASE %I', :'db') WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = :'db')\\gexec\n`;
  return runWithInput(
    {
      command: 'psql',
      args: ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-v', `db=${conn.database}`, `--dbname=${maintenance.toString()}`],
      baseEnv: ctx.env,
      env: pgEnv(conn),
      secrets: [conn.password],
      signal: ctx.signal,
      what: `creating database ${conn.database}`,
    },
    (async function* () { yield Buffer.from(script); })(),
  );
}

async function restoreLogical(target: PgLogicalTarget, source: RestoreSource, ctx: DriverContext): Promise<void> {
  const clean = target.clean ? ['--clean', '--if-exists'] : [];
  // A user may be refused the `postgres` database yet own the target: then pg_restore itself says whether the target exists.
  // A recreate must not go on into a database it could not empty.
  if (target.recreate) await ensureDatabase(target.conn, ctx, true);
  else await ensureDatabase(target.conn, ctx).catch(() => undefined);
  await runWithInput(
    {
      command: 'pg_restore',
      args: ['--no-owner', '--single-transaction', ...clean, `--dbname=${target.conn.url}`],
      baseEnv: ctx.env,
      env: pgEnv(target.conn),
      secrets: [target.conn.password],
      signal: ctx.signal,
      what: `pg_restore into database ${target.conn.database}`,
    },
    source.readStream(),
  );
}

export const postgresDriver: SourceDriver<PostgresConfig, PostgresTarget> = Object.freeze({
  name: 'postgres',
  parseConfig,
  parseTarget,
  openBackup: (config: PostgresConfig, ctx: DriverContext, options?: FormOptions) =>
    isPhysical(config, options) ? openPhysicalBackup(config.conn, ctx) : openLogicalBackup(config.conn, ctx),
  restore: (_config: PostgresConfig, target: PostgresTarget, source: RestoreSource, ctx: DriverContext) =>
    target.kind === 'physical' ? restorePhysical(target, source, ctx) : restoreLogical(target, source, ctx),
});
