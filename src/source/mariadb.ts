/**
 * The MariaDB/MySQL driver (DESIGN.md §4): `mariadb-dump --single-transaction`
 * (a consistent InnoDB snapshot, with routines, triggers and events) streamed as
 * `<db>.sql`; restore pipes it into `mariadb <db>`, creating the database first
 * when missing. The password reaches the tools only through MYSQL_PWD.
 * A backup asked for in the physical form copies the whole server with
 * mariadb-backup when installed (mariadb-physical.ts), else it is the same dump.
 */
import { fail } from '../common/errors.js';
import type { BackupSession, DriverContext, FormOptions, RestoreSource, SourceDriver } from './driver.js';
import { absolutePath, objectOf, optionalBoolean, optionalPort, optionalSecret, requiredString, type Fields } from './fields.js';
import { openServerCopy, peekServerCopy, restoreServerCopy } from './mariadb-physical.js';
import { safeName } from './postgres-conn.js';
import { run, runWithInput, startChild, type ChildOptions } from './process.js';
import { streamSession } from './session.js';

export interface MariadbConfig {
  readonly host: string;
  readonly port: number;
  readonly user: string;
  readonly password?: string;
  readonly database: string;
}

/** A logical restore: the dump goes into this database. */
export interface MariadbTarget {
  readonly database: string;
  /** Drop the database and make it again before loading, so objects made after the backup go too (a recovery). */
  readonly recreate: boolean;
}

/** A mariadb-backup copy restores into a fresh data directory. */
export interface MariadbServerTarget {
  readonly dataDir: string;
}

/** Names are quoted with backticks in CREATE DATABASE, so only plain names are accepted. */
function databaseName(o: Fields, field: string): string {
  const name = requiredString(o, field);
  if (!/^[A-Za-z0-9_$-]{1,64}$/.test(name)) throw fail('INVALID_ARGUMENT', `${field} must be 1-64 of A-Z a-z 0-9 _ $ -`);
  return name;
}

function parseConfig(raw: unknown): MariadbConfig {
  const o = objectOf(raw, 'mariadb config');
  return Object.freeze({
    host: requiredString(o, 'host'),
    port: optionalPort(o, 'port') ?? 3306,
    user: requiredString(o, 'user'),
    password: optionalSecret(o, 'password'),
    database: databaseName(o, 'database'),
  });
}

function parseTarget(raw: unknown, config: MariadbConfig, options?: FormOptions): MariadbTarget | MariadbServerTarget {
  const o = objectOf(raw ?? {}, 'mariadb restore target');
  // A physical-form backup may be a dump after all (no mariadb-backup then): it takes either target.
  if (options?.form === 'physical' && o['dataDir'] !== undefined) return Object.freeze({ dataDir: absolutePath(o, 'dataDir') });
  return Object.freeze({ database: o['database'] === undefined ? config.database : databaseName(o, 'database'), recreate: optionalBoolean(o, 'recreate') ?? false });
}

/** Options shared by every child: where to connect, and the password in the environment only. */
function toolOptions(config: MariadbConfig, ctx: DriverContext, command: string, what: string): Omit<ChildOptions, 'args'> & { args: string[] } {
  return {
    command,
    args: ['--protocol=TCP', `--host=${config.host}`, `--port=${config.port}`, `--user=${config.user}`],
    baseEnv: ctx.env,
    env: config.password === undefined ? {} : { MYSQL_PWD: config.password },
    secrets: [config.password],
    signal: ctx.signal,
    what,
  };
}

async function openBackup(config: MariadbConfig, ctx: DriverContext, options?: FormOptions): Promise<BackupSession> {
  if (options?.form === 'physical') {
    const base = toolOptions(config, ctx, 'mariadb-backup', `mariadb-backup of ${config.host}:${config.port}`);
    const copy = await openServerCopy(base, `${safeName(`${config.host}-${config.port}`)}.xbstream`, ctx);
    if (copy !== undefined) return copy;
  }
  return openDump(config, ctx);
}

function openDump(config: MariadbConfig, ctx: DriverContext): Promise<BackupSession> {
  const opts = toolOptions(config, ctx, 'mariadb-dump', `mariadb-dump of database ${config.database}`);
  const flags = ['--single-transaction', '--routines', '--triggers', '--events'];
  const child = startChild({ ...opts, args: [...opts.args, ...flags, '--', config.database] });
  return Promise.resolve(streamSession(child, `${safeName(config.database)}.sql`));
}

async function restoreDump(config: MariadbConfig, target: MariadbTarget, source: RestoreSource, ctx: DriverContext): Promise<void> {
  const dump = await peekServerCopy(source.readStream());
  if (dump.serverCopy) {
    await dump.cancel();
    throw fail('INVALID_ARGUMENT', 'this backup is a mariadb-backup copy of the whole server: restore it into a dataDir, not a database');
  }
  const opts = toolOptions(config, ctx, 'mariadb', `restore into database ${target.database}`);
  const drop = target.recreate ? `DROP DATABASE IF EXISTS \`${target.database}\`; ` : '';
  await run({ ...opts, args: [...opts.args, '-e', `${drop}CREATE DATABASE IF NOT EXISTS \`${target.database}\``] }).catch(async (err: unknown) => {
    await dump.cancel();
    throw err;
  });
  await runWithInput({ ...opts, args: [...opts.args, target.database] }, dump.stream);
}

function restore(config: MariadbConfig, target: MariadbTarget | MariadbServerTarget, source: RestoreSource, ctx: DriverContext): Promise<void> {
  return 'dataDir' in target ? restoreServerCopy(target.dataDir, source, ctx) : restoreDump(config, target, source, ctx);
}

export const mariadbDriver: SourceDriver<MariadbConfig, MariadbTarget | MariadbServerTarget> = Object.freeze({
  name: 'mariadb',
  parseConfig,
  parseTarget,
  openBackup,
  restore,
});
